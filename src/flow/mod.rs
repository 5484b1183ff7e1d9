//! Conversation flows: the checked model, loading from `flows/*.yaml` with positions, the
//! system flows that ship with the engine, and trigger matching (see [`triggers`]).
//!
//! Compiling resolves every step and flow reference to an index, so the engine never looks a
//! name up at run time and can never meet a dangling reference.

pub mod spec;
pub mod triggers;
pub mod validate;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use regex::Regex;
use serde::Serialize;

use crate::diag::Diagnostics;
use crate::locale::Language;
use crate::yaml::{self, Positions};

use self::spec::{ConditionSpec, FlowSpec, StepSpec};
use self::validate::Validator;

/// The flows every deployment has; a file in `flows/` with the same `name` replaces one.
pub const SYSTEM_FLOWS: [(&str, &str); 5] = [
    ("first_contact", include_str!("system/first_contact.yaml")),
    (
        "didnt_understand",
        include_str!("system/didnt_understand.yaml"),
    ),
    ("human", include_str!("system/human.yaml")),
    ("cancel", include_str!("system/cancel.yaml")),
    ("off_hours", include_str!("system/off_hours.yaml")),
];

/// System flows the engine runs in the middle of a turn: they may only talk, set and branch.
const PASSIVE_SYSTEM_FLOWS: [&str; 3] = ["first_contact", "didnt_understand", "off_hours"];

/// The most characters in one regex pattern, and the compiled size allowed.
const MAX_PATTERN_CHARS: usize = 1_000;
const REGEX_SIZE_LIMIT: usize = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Idle,
    Always,
    InFlow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Low,
    Normal,
    High,
    Urgent,
}

impl Priority {
    pub fn parse(text: &str) -> Option<Priority> {
        match text {
            "low" => Some(Priority::Low),
            "normal" => Some(Priority::Normal),
            "high" => Some(Priority::High),
            "urgent" => Some(Priority::Urgent),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Flow {
    pub name: String,
    pub description: Option<String>,
    /// True for a system flow that no file overrides.
    pub builtin: bool,
    pub scope: Scope,
    pub keywords: BTreeMap<Language, Vec<String>>,
    pub patterns: Vec<Regex>,
    /// Matched against the folded message (`text::fold`): a match means this message is not
    /// for this flow, whatever its keywords, patterns or examples say.
    pub except: Vec<Regex>,
    pub examples: BTreeMap<Language, Vec<String>>,
    /// Matched against every message the bot answers: named captures fill slots
    /// (`FlowSpec::remember`).
    pub remember: Vec<Regex>,
    /// The help-center article (id) the flow is about (`FlowSpec::topic`).
    pub topic: Option<String>,
    pub steps: Vec<Step>,
    pub file: PathBuf,
}

impl Flow {
    /// Whether a message (folded, `text::fold`) may start this flow in one of `scopes`: its
    /// scope is allowed and none of its `except` patterns matches.
    pub fn may_start(&self, scopes: &[Scope], folded: &str) -> bool {
        scopes.contains(&self.scope) && !self.except.iter().any(|e| e.is_match(folded))
    }
}

#[derive(Debug, Clone)]
pub struct Step {
    pub id: String,
    pub action: Action,
    /// The step after this one; `None` ends the flow.
    pub next: Option<usize>,
}

#[derive(Debug, Clone)]
pub enum Action {
    Say(String),
    Ask(Ask),
    Branch {
        arms: Vec<(Condition, usize)>,
        otherwise: Option<usize>,
    },
    Set {
        slot: String,
        value: String,
    },
    GotoFlow(usize),
    Call(usize),
    Handoff(Handoff),
    End,
}

#[derive(Debug, Clone)]
pub struct Ask {
    pub slot: String,
    pub prompt: String,
    pub validator: Option<Validator>,
    pub retries: u8,
    pub invalid: String,
    /// Where to go when retries run out; `None` hands off to the default queue.
    pub on_fail: Option<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Open(String),
    Closed(String),
    SlotEquals(String, String),
    SlotOneOf(String, Vec<String>),
    SlotPresent(String, bool),
    Channel(Vec<String>),
    Locale(Vec<String>),
    /// The reply before this message answered with an article or offered some (`true`), or
    /// did neither.
    Answered(bool),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Handoff {
    pub queue: Option<String>,
    pub priority: Priority,
    pub reason: String,
    pub message: Option<String>,
}

/// A reference from a flow to something defined elsewhere, kept for cross-file checks.
#[derive(Debug, Clone)]
pub struct Reference {
    pub file: PathBuf,
    pub position: Option<(usize, usize)>,
    pub name: String,
}

/// The compiled flows and what they refer to outside themselves.
#[derive(Debug, Clone, Default)]
pub struct FlowSet {
    pub flows: Vec<Flow>,
    pub by_name: HashMap<String, usize>,
    pub templates: Vec<Reference>,
    pub queues: Vec<Reference>,
    pub slot_refs: Vec<Reference>,
    /// Every slot some flow can fill (ask, set, or a regex capture).
    pub slots: BTreeSet<String>,
}

impl FlowSet {
    pub fn get(&self, name: &str) -> Option<&Flow> {
        self.by_name.get(name).map(|&index| &self.flows[index])
    }

    pub fn index(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }
}

struct Parsed {
    spec: FlowSpec,
    positions: Positions,
    file: PathBuf,
    builtin: bool,
}

/// Loads `flows/*.yaml` and the system flows, then compiles and checks them all.
pub fn load(dir: &Path, diagnostics: &mut Diagnostics) -> FlowSet {
    let mut parsed: Vec<Parsed> = Vec::new();
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries.filter_map(|e| e.ok()).map(|e| e.path()).collect(),
        Err(error) => {
            diagnostics.error(dir, None, format!("cannot read the flows folder: {error}"));
            Vec::new()
        }
    };
    files.retain(|f| matches!(f.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")));
    files.sort();
    for file in files {
        match std::fs::read_to_string(&file) {
            Ok(text) => match yaml::parse::<FlowSpec>(&file, &text, 0) {
                Ok((spec, positions)) => parsed.push(Parsed {
                    spec,
                    positions,
                    file,
                    builtin: false,
                }),
                Err(diagnostic) => diagnostics.push(diagnostic),
            },
            Err(error) => diagnostics.error(&file, None, format!("cannot read: {error}")),
        }
    }
    compile(parsed, diagnostics)
}

/// Compiles flows given as (file name, YAML text) pairs plus the system flows; for tests and
/// tools that hold content in memory.
pub fn from_sources(sources: &[(&str, &str)], diagnostics: &mut Diagnostics) -> FlowSet {
    let mut parsed = Vec::new();
    for (name, text) in sources {
        let file = PathBuf::from(name);
        match yaml::parse::<FlowSpec>(&file, text, 0) {
            Ok((spec, positions)) => parsed.push(Parsed {
                spec,
                positions,
                file,
                builtin: false,
            }),
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
    }
    compile(parsed, diagnostics)
}

fn compile(mut parsed: Vec<Parsed>, diagnostics: &mut Diagnostics) -> FlowSet {
    let mut seen: HashMap<String, PathBuf> = HashMap::new();
    parsed.retain(|p| {
        if let Some(other) = seen.get(&p.spec.name) {
            diagnostics.error(
                &p.file,
                p.positions.at("name"),
                format!(
                    "duplicate flow name `{}` (also in {})",
                    p.spec.name,
                    other.display()
                ),
            );
            return false;
        }
        seen.insert(p.spec.name.clone(), p.file.clone());
        true
    });
    for (name, text) in SYSTEM_FLOWS {
        if seen.contains_key(name) {
            continue;
        }
        let file = PathBuf::from(format!("<system>/{name}.yaml"));
        match yaml::parse::<FlowSpec>(&file, text, 0) {
            Ok((spec, positions)) => parsed.push(Parsed {
                spec,
                positions,
                file,
                builtin: true,
            }),
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
    }
    let by_name: HashMap<String, usize> = parsed
        .iter()
        .enumerate()
        .map(|(index, p)| (p.spec.name.clone(), index))
        .collect();
    let mut set = FlowSet {
        by_name,
        ..FlowSet::default()
    };
    for p in &parsed {
        if let Some(flow) = compile_flow(p, &mut set, diagnostics) {
            set.flows.push(flow);
        } else {
            // Keep indices aligned: a broken flow is replaced by an empty one (loading fails anyway).
            set.flows.push(Flow {
                name: p.spec.name.clone(),
                description: None,
                builtin: p.builtin,
                scope: Scope::Idle,
                keywords: BTreeMap::new(),
                patterns: Vec::new(),
                except: Vec::new(),
                examples: BTreeMap::new(),
                remember: Vec::new(),
                topic: None,
                steps: vec![Step {
                    id: "end".into(),
                    action: Action::End,
                    next: None,
                }],
                file: p.file.clone(),
            });
        }
    }
    set
}

fn compile_flow(p: &Parsed, set: &mut FlowSet, diagnostics: &mut Diagnostics) -> Option<Flow> {
    let before = diagnostics.len();
    let file = &p.file;
    let positions = &p.positions;
    let spec = &p.spec;
    let mut error =
        |path: &str, message: String| diagnostics.error(file, positions.at(path), message);

    if spec.name.is_empty()
        || !spec
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        error(
            "name",
            format!(
                "flow name `{}` must be letters, digits, `_` or `-`",
                spec.name
            ),
        );
    }
    if spec.steps.is_empty() {
        error("steps", "a flow needs at least one step".into());
    }
    let scope = match spec.triggers.scope.as_deref() {
        None | Some("idle") => Scope::Idle,
        Some("always") => Scope::Always,
        Some("in_flow") => Scope::InFlow,
        Some(other) => {
            error(
                "triggers.scope",
                format!("unknown scope `{other}` (idle, always, in_flow)"),
            );
            Scope::Idle
        }
    };

    let mut keywords = BTreeMap::new();
    for (code, list) in &spec.triggers.keywords {
        match Language::from_code(code) {
            Some(language) => {
                for (index, keyword) in list.iter().enumerate() {
                    if crate::text::fold(keyword).is_empty() {
                        error(
                            &format!("triggers.keywords.{code}.{index}"),
                            "empty keyword".into(),
                        );
                    }
                }
                keywords.insert(language, list.clone());
            }
            None => error(
                &format!("triggers.keywords.{code}"),
                format!("unknown language `{code}`"),
            ),
        }
    }
    let mut examples = BTreeMap::new();
    for (code, list) in &spec.triggers.examples {
        match Language::from_code(code) {
            Some(language) => {
                examples.insert(language, list.clone());
            }
            None => error(
                &format!("triggers.examples.{code}"),
                format!("unknown language `{code}`"),
            ),
        }
    }
    let mut patterns = Vec::new();
    for (index, pattern) in spec.triggers.patterns.iter().enumerate() {
        match compile_regex(pattern) {
            Ok(regex) => {
                for name in regex.capture_names().flatten() {
                    set.slots.insert(name.to_string());
                }
                patterns.push(regex);
            }
            Err(message) => error(&format!("triggers.patterns.{index}"), message),
        }
    }
    let mut remember = Vec::new();
    for (index, pattern) in spec.remember.iter().enumerate() {
        match compile_regex(pattern) {
            Ok(regex) if regex.capture_names().flatten().next().is_none() => error(
                &format!("remember.{index}"),
                "a pattern to remember needs a named capture, `(?P<slot>…)`, to fill".into(),
            ),
            Ok(regex) => {
                for name in regex.capture_names().flatten() {
                    set.slots.insert(name.to_string());
                }
                remember.push(regex);
            }
            Err(message) => error(&format!("remember.{index}"), message),
        }
    }
    let mut except = Vec::new();
    for (index, pattern) in spec.triggers.except.iter().enumerate() {
        match compile_regex(pattern) {
            Ok(regex) => except.push(regex),
            Err(message) => error(&format!("triggers.except.{index}"), message),
        }
    }

    // Step ids: given or generated from the position; duplicates are errors.
    let mut ids: HashMap<String, usize> = HashMap::new();
    let step_ids: Vec<String> = spec
        .steps
        .iter()
        .enumerate()
        .map(|(index, step)| step.id.clone().unwrap_or_else(|| format!("#{}", index + 1)))
        .collect();
    for (index, id) in step_ids.iter().enumerate() {
        if ids.insert(id.clone(), index).is_some() {
            error(
                &format!("steps.{index}.id"),
                format!("duplicate step id `{id}`"),
            );
        }
    }
    let step_ref = |path: &str, name: &str, error: &mut dyn FnMut(&str, String)| -> Option<usize> {
        match ids.get(name) {
            Some(&index) => Some(index),
            None => {
                error(
                    path,
                    format!("unknown step `{name}` in flow `{}`", spec.name),
                );
                None
            }
        }
    };

    let mut steps = Vec::new();
    for (index, step) in spec.steps.iter().enumerate() {
        let base = format!("steps.{index}");
        let kinds = step_kinds(step);
        if kinds.len() != 1 {
            error(
                &base,
                if kinds.is_empty() {
                    "a step needs one of say, ask, branch, set, goto_flow, call, handoff, end"
                        .to_string()
                } else {
                    format!(
                        "a step does one thing, this one has {}",
                        kinds.join(" and ")
                    )
                },
            );
            continue;
        }
        let following = (index + 1 < spec.steps.len()).then_some(index + 1);
        let mut next = match &step.next {
            Some(name) => step_ref(&format!("{base}.next"), name, &mut error),
            None => following,
        };
        let template = |path: String, name: &str, set: &mut FlowSet| {
            set.templates.push(Reference {
                file: file.clone(),
                position: positions.at(&path),
                name: name.to_string(),
            });
        };
        let action = if let Some(name) = &step.say {
            template(format!("{base}.say"), name, set);
            Action::Say(name.clone())
        } else if let Some(ask) = &step.ask {
            set.slots.insert(ask.slot.clone());
            template(format!("{base}.ask.prompt"), &ask.prompt, set);
            let invalid = ask
                .invalid
                .clone()
                .unwrap_or_else(|| "invalid_answer".to_string());
            template(format!("{base}.ask.invalid"), &invalid, set);
            let validator = match &ask.validate {
                Some(v) => match Validator::compile(v) {
                    Ok(validator) => Some(validator),
                    Err(message) => {
                        error(&format!("{base}.ask.validate"), message);
                        None
                    }
                },
                None => None,
            };
            let on_fail = ask
                .on_fail
                .as_ref()
                .and_then(|name| step_ref(&format!("{base}.ask.on_fail"), name, &mut error));
            Action::Ask(self::Ask {
                slot: ask.slot.clone(),
                prompt: ask.prompt.clone(),
                validator,
                retries: ask.retries.unwrap_or(2).min(10),
                invalid,
                on_fail,
            })
        } else if let Some(arms) = &step.branch {
            let mut compiled = Vec::new();
            let mut otherwise = None;
            for (arm_index, arm) in arms.iter().enumerate() {
                let arm_path = format!("{base}.branch.{arm_index}");
                match (&arm.when, &arm.goto, &arm.otherwise) {
                    (Some(when), Some(goto), None) => {
                        let condition =
                            compile_condition(when, &arm_path, set, file, positions, &mut error);
                        let target = step_ref(&format!("{arm_path}.goto"), goto, &mut error);
                        if let (Some(condition), Some(target)) = (condition, target) {
                            compiled.push((condition, target));
                        }
                    }
                    (None, None, Some(name)) if arm_index + 1 == arms.len() => {
                        otherwise = step_ref(&format!("{arm_path}.otherwise"), name, &mut error);
                    }
                    (None, None, Some(_)) => {
                        error(&arm_path, "`otherwise` must be the last arm".into())
                    }
                    _ => error(
                        &arm_path,
                        "a branch arm is `when` with `goto`, or `otherwise`".into(),
                    ),
                }
            }
            if step.next.is_some() {
                error(
                    &format!("{base}.next"),
                    "a branch goes where its arms say; remove `next`".into(),
                );
            }
            // Without `otherwise`, a branch where no arm matches goes on to the next step.
            Action::Branch {
                arms: compiled,
                otherwise: otherwise.or(following),
            }
        } else if let Some(assign) = &step.set {
            set.slots.insert(assign.slot.clone());
            Action::Set {
                slot: assign.slot.clone(),
                value: assign.value.clone(),
            }
        } else if let Some(name) = step.goto_flow.as_ref().or(step.call.as_ref()) {
            let key = if step.goto_flow.is_some() {
                "goto_flow"
            } else {
                "call"
            };
            match set.by_name.get(name) {
                Some(&target) if step.goto_flow.is_some() => Action::GotoFlow(target),
                Some(&target) => Action::Call(target),
                None => {
                    error(&format!("{base}.{key}"), format!("unknown flow `{name}`"));
                    Action::End
                }
            }
        } else if let Some(handoff) = &step.handoff {
            if let Some(queue) = &handoff.queue {
                set.queues.push(Reference {
                    file: file.clone(),
                    position: positions.at(&format!("{base}.handoff.queue")),
                    name: queue.clone(),
                });
            }
            if let Some(message) = &handoff.message {
                template(format!("{base}.handoff.message"), message, set);
            }
            let priority = match handoff.priority.as_deref().map(|p| (p, Priority::parse(p))) {
                None => Priority::Normal,
                Some((_, Some(priority))) => priority,
                Some((text, None)) => {
                    error(
                        &format!("{base}.handoff.priority"),
                        format!("unknown priority `{text}` (low, normal, high, urgent)"),
                    );
                    Priority::Normal
                }
            };
            Action::Handoff(Handoff {
                queue: handoff.queue.clone(),
                priority,
                reason: handoff.reason.clone().unwrap_or_else(|| spec.name.clone()),
                message: handoff.message.clone(),
            })
        } else {
            if step.end != Some(true) {
                error(&format!("{base}.end"), "`end` takes `true`".into());
            }
            Action::End
        };
        if matches!(
            action,
            Action::GotoFlow(_) | Action::Handoff(_) | Action::End
        ) {
            if step.next.is_some() {
                error(
                    &format!("{base}.next"),
                    format!("nothing runs after `{}`; remove `next`", kinds[0]),
                );
            }
            next = None;
        }
        steps.push(Step {
            id: step_ids[index].clone(),
            action,
            next,
        });
    }

    if PASSIVE_SYSTEM_FLOWS.contains(&spec.name.as_str()) {
        for (index, step) in steps.iter().enumerate() {
            if !matches!(
                step.action,
                Action::Say(_) | Action::Set { .. } | Action::Branch { .. } | Action::End
            ) {
                error(
                    &format!("steps.{index}"),
                    format!(
                        "the system flow `{}` may only say, set, branch and end",
                        spec.name
                    ),
                );
            }
        }
    }

    // Every step must be reachable from the first.
    if diagnostics.len() == before && !steps.is_empty() {
        let mut reached = vec![false; steps.len()];
        let mut stack = vec![0usize];
        while let Some(index) = stack.pop() {
            if std::mem::replace(&mut reached[index], true) {
                continue;
            }
            let step = &steps[index];
            stack.extend(step.next);
            match &step.action {
                Action::Ask(ask) => stack.extend(ask.on_fail),
                Action::Branch { arms, otherwise } => {
                    stack.extend(arms.iter().map(|(_, target)| *target));
                    stack.extend(*otherwise);
                }
                _ => {}
            }
        }
        for (index, reached) in reached.iter().enumerate() {
            if !reached {
                diagnostics.error(
                    file,
                    positions.at(&format!("steps.{index}")),
                    format!("step `{}` can never be reached", steps[index].id),
                );
            }
        }
    }

    (diagnostics.len() == before).then(|| Flow {
        name: spec.name.clone(),
        description: spec.description.clone(),
        builtin: p.builtin,
        scope,
        keywords,
        patterns,
        except,
        examples,
        remember,
        topic: spec.topic.clone(),
        steps,
        file: file.clone(),
    })
}

fn step_kinds(step: &StepSpec) -> Vec<&'static str> {
    let mut kinds = Vec::new();
    let present = [
        ("say", step.say.is_some()),
        ("ask", step.ask.is_some()),
        ("branch", step.branch.is_some()),
        ("set", step.set.is_some()),
        ("goto_flow", step.goto_flow.is_some()),
        ("call", step.call.is_some()),
        ("handoff", step.handoff.is_some()),
        ("end", step.end.is_some()),
    ];
    for (name, is_present) in present {
        if is_present {
            kinds.push(name);
        }
    }
    kinds
}

fn compile_condition(
    when: &ConditionSpec,
    path: &str,
    set: &mut FlowSet,
    file: &Path,
    positions: &Positions,
    error: &mut dyn FnMut(&str, String),
) -> Option<Condition> {
    let kinds = [
        when.open.is_some(),
        when.closed.is_some(),
        when.slot.is_some(),
        when.channel.is_some(),
        when.locale.is_some(),
        when.answered.is_some(),
    ];
    let slot_tests = [
        when.equals.is_some(),
        when.one_of.is_some(),
        when.present.is_some(),
    ];
    if kinds.iter().filter(|&&kind| kind).count() != 1
        || (when.slot.is_none() && slot_tests.contains(&true))
    {
        error(&format!("{path}.when"), "a condition is one of: open, closed, slot (with equals, one_of or present), channel, locale, answered".into());
        return None;
    }
    let when = when.clone();
    let queue_ref = |name: &str, key: &str, set: &mut FlowSet| {
        set.queues.push(Reference {
            file: file.to_path_buf(),
            position: positions.at(&format!("{path}.when.{key}")),
            name: name.to_string(),
        });
    };
    let condition = if let Some(queue) = when.open {
        queue_ref(&queue, "open", set);
        Condition::Open(queue)
    } else if let Some(queue) = when.closed {
        queue_ref(&queue, "closed", set);
        Condition::Closed(queue)
    } else if let Some(slot) = when.slot {
        set.slot_refs.push(Reference {
            file: file.to_path_buf(),
            position: positions.at(&format!("{path}.when.slot")),
            name: slot.clone(),
        });
        match (when.equals, when.one_of, when.present) {
            (Some(value), None, None) => Condition::SlotEquals(slot, value),
            (None, Some(values), None) => Condition::SlotOneOf(slot, values),
            (None, None, Some(present)) => Condition::SlotPresent(slot, present),
            _ => {
                error(
                    &format!("{path}.when"),
                    "a slot condition has one of `equals`, `one_of`, `present`".into(),
                );
                return None;
            }
        }
    } else if let Some(channels) = when.channel {
        Condition::Channel(channels.into_vec())
    } else if let Some(locales) = when.locale {
        Condition::Locale(locales.into_vec())
    } else {
        Condition::Answered(when.answered == Some(true))
    };
    Some(condition)
}

/// Compiles an author's regex with bounded size, so a pattern cannot eat memory or time.
pub fn compile_regex(pattern: &str) -> Result<Regex, String> {
    if pattern.chars().count() > MAX_PATTERN_CHARS {
        return Err(format!("regex longer than {MAX_PATTERN_CHARS} characters"));
    }
    regex::RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|error| {
            format!(
                "invalid regex: {}",
                error.to_string().lines().last().unwrap_or("").trim()
            )
        })
}
