//! The one place that parses YAML. Content loaders call [`parse`] and get a typed value plus a
//! map of positions, so later checks (unknown step references, duplicate ids…) can point at
//! `file:line:column`. `serde_yaml` is archived upstream: swapping the parser must touch only
//! this file. Nothing outside this module names a YAML crate.
//!
//! Author files are hostile input: their size is bounded, and so is how far aliases may expand
//! (a "billion laughs" file is refused before it is deserialized).

use std::collections::HashMap;
use std::path::Path;

use serde::de::DeserializeOwned;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use crate::diag::Diagnostic;

/// The largest author file accepted, in bytes.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;
/// The most YAML nodes a document may have once its aliases are expanded.
pub const MAX_EXPANDED_NODES: usize = 200_000;
/// The deepest nesting of mappings and sequences accepted.
pub const MAX_DEPTH: usize = 64;

/// Where each value of a parsed document starts, by dotted path (`steps.2.ask.slot`); 1-based.
#[derive(Debug, Default, Clone)]
pub struct Positions {
    values: HashMap<String, (usize, usize)>,
    keys: HashMap<String, (usize, usize)>,
    /// Added to every line: front matter starts after the `---` line of a Markdown file.
    line_offset: usize,
}

impl Positions {
    /// The position of the value at `path`, or of its nearest recorded ancestor.
    pub fn at(&self, path: &str) -> Option<(usize, usize)> {
        let mut candidate = path;
        loop {
            if let Some(&(line, column)) = self.values.get(candidate) {
                return Some((line + self.line_offset, column));
            }
            match candidate.rfind('.') {
                Some(dot) => candidate = &candidate[..dot],
                None => {
                    return self
                        .values
                        .get("")
                        .map(|&(line, column)| (line + self.line_offset, column))
                }
            }
        }
    }

    /// The position of the key that introduces `path` (falls back to the value's position).
    pub fn key(&self, path: &str) -> Option<(usize, usize)> {
        match self.keys.get(path) {
            Some(&(line, column)) => Some((line + self.line_offset, column)),
            None => self.at(path),
        }
    }
}

/// Parses one YAML document into `T`, refusing oversized and alias-bomb input. `line_offset`
/// shifts reported lines (for front matter embedded in another file).
pub fn parse<T: DeserializeOwned>(
    file: &Path,
    text: &str,
    line_offset: usize,
) -> Result<(T, Positions), Diagnostic> {
    if text.len() > MAX_FILE_BYTES {
        return Err(Diagnostic::file(
            file,
            format!(
                "file is {} bytes, more than the {} allowed",
                text.len(),
                MAX_FILE_BYTES
            ),
        ));
    }
    // A byte order mark is allowed at the start of a YAML file.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut recorder = Recorder::default();
    let mut parser = Parser::new_from_str(text);
    // Pull events one at a time (the parser's own `load` recurses once per nesting level,
    // which a hostile file could use to overflow the stack).
    loop {
        match parser.next_token() {
            Ok((Event::StreamEnd, _)) => break,
            Ok((event, marker)) => {
                recorder.on_event(event, marker);
                if recorder.refused.is_some() {
                    break;
                }
            }
            Err(error) => {
                let marker = error.marker();
                return Err(Diagnostic::at(
                    file,
                    Some((marker.line() + line_offset, marker.col() + 1)),
                    format!("YAML syntax: {}", error.info()),
                ));
            }
        }
    }
    if let Some(message) = recorder.refused {
        return Err(Diagnostic::file(file, message));
    }
    let value: T = if text.trim().is_empty() {
        // An empty file is an empty mapping: required fields then get their own message.
        serde_yaml::from_str("{}")
    } else {
        serde_yaml::from_str(text)
    }
    .map_err(|error| {
        let position = error
            .location()
            .map(|location| (location.line() + line_offset, location.column()));
        Diagnostic::at(file, position, tidy_serde_message(&error.to_string()))
    })?;
    let positions = Positions {
        values: recorder.values,
        keys: recorder.keys,
        line_offset,
    };
    Ok((value, positions))
}

/// serde_yaml appends " at line L column C" to its messages; the position is printed separately.
fn tidy_serde_message(message: &str) -> String {
    match message.find(" at line ") {
        Some(index) => message[..index].to_string(),
        None => message.to_string(),
    }
}

enum Frame {
    Mapping { path: String, key: Option<String> },
    Sequence { path: String, index: usize },
}

/// Walks the event stream once to record positions and to bound alias expansion.
#[derive(Default)]
struct Recorder {
    frames: Vec<Frame>,
    /// Expanded node counts: one entry per open container, plus the document total at index 0.
    sizes: Vec<(usize, usize)>,
    anchors: HashMap<usize, usize>,
    total: usize,
    values: HashMap<String, (usize, usize)>,
    keys: HashMap<String, (usize, usize)>,
    refused: Option<String>,
    container_start: Option<String>,
}

fn join(path: &str, segment: &str) -> String {
    if path.is_empty() {
        segment.to_string()
    } else {
        format!("{path}.{segment}")
    }
}

impl Recorder {
    /// Where a new node goes; `None` when the node is a mapping key.
    fn place_node(&mut self, position: (usize, usize), key_text: Option<&str>) -> Option<String> {
        match self.frames.last_mut() {
            None => {
                self.values.insert(String::new(), position);
                Some(String::new())
            }
            Some(Frame::Sequence { path, index }) => {
                let node_path = join(path, &index.to_string());
                *index += 1;
                self.values.insert(node_path.clone(), position);
                Some(node_path)
            }
            Some(Frame::Mapping { path, key }) => match key.take() {
                Some(key_name) => {
                    let node_path = join(path, &key_name);
                    self.values.insert(node_path.clone(), position);
                    Some(node_path)
                }
                None => {
                    let key_name = key_text.unwrap_or("?").to_string();
                    self.keys.insert(join(path, &key_name), position);
                    *key = Some(key_name);
                    None
                }
            },
        }
    }

    fn count(&mut self, nodes: usize) {
        self.total = self.total.saturating_add(nodes);
        if let Some((_, size)) = self.sizes.last_mut() {
            *size = size.saturating_add(nodes);
        }
        if self.total > MAX_EXPANDED_NODES && self.refused.is_none() {
            self.refused = Some(format!(
                "YAML expands to more than {MAX_EXPANDED_NODES} nodes (aliases repeated too often)"
            ));
        }
    }
}

impl MarkedEventReceiver for Recorder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        if self.refused.is_some() {
            return;
        }
        let position = (mark.line(), mark.col() + 1);
        // A mapping "starts" where its first key does (the parser marks the key's `:`).
        if let Some(path) = self.container_start.take() {
            if matches!(
                event,
                Event::Scalar(..)
                    | Event::Alias(..)
                    | Event::SequenceStart(..)
                    | Event::MappingStart(..)
            ) {
                self.values.insert(path, position);
            }
        }
        match event {
            Event::Scalar(text, _, anchor, _) => {
                self.place_node(position, Some(&text));
                if anchor != 0 {
                    self.anchors.insert(anchor, 1);
                }
                self.count(1);
            }
            Event::Alias(anchor) => {
                self.place_node(position, Some("*alias"));
                let size = self.anchors.get(&anchor).copied().unwrap_or(1);
                self.count(size);
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if self.frames.len() >= MAX_DEPTH {
                    self.refused = Some(format!("YAML nested deeper than {MAX_DEPTH} levels"));
                    return;
                }
                let is_mapping = matches!(event, Event::MappingStart(..));
                let path = self
                    .place_node(position, None)
                    .unwrap_or_else(|| "?".to_string());
                if is_mapping {
                    self.container_start = Some(path.clone());
                }
                self.frames.push(if is_mapping {
                    Frame::Mapping { path, key: None }
                } else {
                    Frame::Sequence { path, index: 0 }
                });
                self.sizes.push((anchor, 0));
                self.count(1);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                self.frames.pop();
                if let Some((anchor, size)) = self.sizes.pop() {
                    if anchor != 0 {
                        self.anchors.insert(anchor, size.max(1));
                    }
                    // The container's nodes were already counted into the total.
                    if let Some((_, parent)) = self.sizes.last_mut() {
                        *parent = parent.saturating_add(size);
                    }
                }
            }
            _ => {}
        }
    }
}
