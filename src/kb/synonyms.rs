//! Synonyms: the words customers use for what the help center calls otherwise ("lamp", "rug"
//! and "vase" for "item"), one list per locale in `kb/<locale>/synonyms.yaml`. The help center
//! reads each listed word as the word it is listed under, in its articles when it indexes them
//! and in every question it searches, so the shop's products need not be written into every
//! article, and a product's name no longer counts as a word the help center has never seen
//! (which marks a question as off topic). A listed word matches the customer's word when
//! both have the same stem and the customer's word starts with the listed one (accents and
//! case aside): "lamps" and "lámparas" count as "lamp" and "lámpara", while "mes" (month) is
//! not "mesa" (table) though the two share a stem. Irregular forms are listed on their own
//! ("shelves"). A listed phrase ("bed linen") matches before its words.
//!
//! Only the search reads with synonyms: what customers are shown (titles, answers, snippets)
//! keeps its own words, and flows match the message as written, trying it with synonyms only
//! when it starts none (see `engine`).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use aho_corasick::AhoCorasick;
use rustc_hash::FxHashMap as HashMap;
use tantivy::tokenizer::TextAnalyzer;

use crate::diag::Diagnostics;
use crate::kb::analyzer;
use crate::locale::{Language, Locale};
use crate::yaml;

/// The file, in a locale's help-center folder, that lists its synonyms.
pub const FILE_NAME: &str = "synonyms.yaml";
/// The most words one language may list.
const MAX_ENTRIES: usize = 10_000;
/// The most words one listed phrase may have.
const MAX_PHRASE_WORDS: usize = 6;

/// One language's synonyms, compiled to stems.
#[derive(Clone)]
pub struct Synonyms {
    stemmer: TextAnalyzer,
    /// The stems of a listed word or phrase, joined by spaces → the entries with those stems:
    /// the index of their replacement and their words as written (folded).
    entries: HashMap<String, Vec<(usize, Vec<String>)>>,
    /// The words listed words are read as.
    replacements: Vec<String>,
    /// The most words a listed phrase has.
    longest: usize,
    /// Every listed word and phrase as written.
    written: Vec<String>,
    /// The folded first words of the entries: a text without any of them anywhere has no
    /// synonym and is not analyzed further (most messages).
    prefilter: Option<AhoCorasick>,
}

impl std::fmt::Debug for Synonyms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Synonyms")
            .field("entries", &self.entries.len())
            .finish()
    }
}

impl Synonyms {
    /// No synonyms: every text reads as written.
    pub fn none(language: Language) -> Synonyms {
        Synonyms {
            stemmer: analyzer::build_stemmer(language),
            entries: HashMap::default(),
            replacements: Vec::new(),
            longest: 0,
            written: Vec::new(),
            prefilter: None,
        }
    }

    /// The text with every listed word or phrase replaced by the word it is listed under
    /// (the longest listed phrase first); the text itself when none is there.
    pub fn rewrite<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if self.entries.is_empty() {
            return Cow::Borrowed(text);
        }
        if let Some(prefilter) = &self.prefilter {
            // Plain ASCII needs no folding beyond case, which the automaton ignores.
            let found = if text.is_ascii() {
                prefilter.is_match(text)
            } else {
                prefilter.is_match(&crate::text::fold(text))
            };
            if !found {
                return Cow::Borrowed(text);
            }
        }
        let terms = analyzer::terms(&self.stemmer, text);
        let mut out = String::new();
        let mut copied = 0;
        let mut at = 0;
        let mut key = String::new();
        while at < terms.len() {
            let mut found = None;
            for length in (1..=self.longest.min(terms.len() - at)).rev() {
                key.clear();
                for (offset, term) in terms[at..at + length].iter().enumerate() {
                    if offset > 0 {
                        key.push(' ');
                    }
                    key.push_str(&term.stem);
                }
                let span = &terms[at..at + length];
                let replacement = self.entries.get(key.as_str()).and_then(|variants| {
                    variants.iter().find_map(|(replacement, words)| {
                        words
                            .iter()
                            .zip(span)
                            .all(|(word, term)| {
                                crate::text::fold(&text[term.from..term.to])
                                    .starts_with(word.as_str())
                            })
                            .then_some(*replacement)
                    })
                });
                if let Some(replacement) = replacement {
                    found = Some((length, replacement));
                    break;
                }
            }
            match found {
                Some((length, replacement)) => {
                    out.push_str(&text[copied..terms[at].from]);
                    out.push_str(&self.replacements[replacement]);
                    copied = terms[at + length - 1].to;
                    at += length;
                }
                None => at += 1,
            }
        }
        if copied == 0 {
            return Cow::Borrowed(text);
        }
        out.push_str(&text[copied..]);
        Cow::Owned(out)
    }

    /// The listed words and phrases as written: words of the language too, for telling a
    /// message's language and reading its typing slips.
    pub fn written(&self) -> impl Iterator<Item = &str> {
        self.written.iter().map(String::as_str)
    }
}

/// Reads `kb/<locale>/synonyms.yaml` of every configured locale that has one: a mapping from
/// the word the articles use to the words customers use for it. Locales of one language
/// share their lists. Problems go to `diagnostics`, each at its line and column.
pub fn load(
    dir: &Path,
    locales: &[Locale],
    diagnostics: &mut Diagnostics,
) -> BTreeMap<Language, Synonyms> {
    let mut by_language: BTreeMap<Language, Compiler> = BTreeMap::new();
    for locale in locales {
        let file = dir.join(locale.to_string()).join(FILE_NAME);
        if !file.is_file() {
            continue;
        }
        let Some(language) = locale.language() else {
            continue;
        };
        let text = match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(error) => {
                diagnostics.error(&file, None, format!("cannot read: {error}"));
                continue;
            }
        };
        let (lists, positions) = match yaml::parse::<BTreeMap<String, Vec<String>>>(&file, &text, 0)
        {
            Ok(parsed) => parsed,
            Err(diagnostic) => {
                diagnostics.push(diagnostic);
                continue;
            }
        };
        let compiler = by_language
            .entry(language)
            .or_insert_with(|| Compiler::new(language));
        for (word, listed) in &lists {
            let source = Source {
                file: &file,
                position: positions.key(word),
            };
            compiler.add(
                word,
                listed,
                &source,
                |index| positions.at(&format!("{word}.{index}")),
                diagnostics,
            );
        }
    }
    by_language
        .into_iter()
        .map(|(language, compiler)| (language, compiler.finish()))
        .collect()
}

struct Source<'a> {
    file: &'a Path,
    position: Option<(usize, usize)>,
}

/// Where an entry was first listed, and under which word.
struct Listing {
    file: PathBuf,
    position: Option<(usize, usize)>,
    word: String,
}

struct Compiler {
    synonyms: Synonyms,
    /// Where each entry was listed, for a second listing's message.
    listed_at: HashMap<String, Listing>,
    /// The stems of every word entries are read as.
    targets: HashMap<String, String>,
}

impl Compiler {
    fn new(language: Language) -> Compiler {
        Compiler {
            synonyms: Synonyms::none(language),
            listed_at: HashMap::default(),
            targets: HashMap::default(),
        }
    }

    /// The compiled synonyms, with the prefilter over their entries' first words.
    fn finish(mut self) -> Synonyms {
        let mut first_words: Vec<&str> = self
            .synonyms
            .entries
            .values()
            .flatten()
            .filter_map(|(_, words)| words.first().map(String::as_str))
            .collect();
        first_words.sort_unstable();
        first_words.dedup();
        // Without the automaton (it cannot fail to build for a list of words) every text
        // would only be analyzed: a lost shortcut, never a lost synonym.
        self.synonyms.prefilter = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&first_words)
            .ok();
        self.synonyms
    }

    fn stems(&self, text: &str) -> Vec<String> {
        analyzer::terms(&self.synonyms.stemmer, text)
            .into_iter()
            .map(|t| t.stem)
            .collect()
    }

    /// Each word of `text` as the stemmer cuts it, folded.
    fn folded_words(&self, text: &str) -> Vec<String> {
        analyzer::terms(&self.synonyms.stemmer, text)
            .into_iter()
            .map(|t| crate::text::fold(&text[t.from..t.to]))
            .collect()
    }

    fn add(
        &mut self,
        word: &str,
        listed: &[String],
        source: &Source,
        position_of: impl Fn(usize) -> Option<(usize, usize)>,
        diagnostics: &mut Diagnostics,
    ) {
        let word = word.trim();
        let target = self.stems(word).join(" ");
        if target.is_empty() {
            diagnostics.error(
                source.file,
                source.position,
                format!("`{word}` has no words to read others as"),
            );
            return;
        }
        if listed.is_empty() {
            diagnostics.error(
                source.file,
                source.position,
                format!("`{word}` lists no words: give the words customers use for it"),
            );
            return;
        }
        if let Some(Listing { word: other, .. }) = self.listed_at.get(&target) {
            diagnostics.error(
                source.file,
                source.position,
                format!("`{word}` is itself listed under `{other}`: list its words there"),
            );
            return;
        }
        self.targets.insert(target.clone(), word.to_string());
        let replacement = self.synonyms.replacements.len();
        self.synonyms.replacements.push(word.to_string());
        for (index, entry) in listed.iter().enumerate() {
            let position = position_of(index);
            let stems = self.stems(entry);
            let key = stems.join(" ");
            let mut error = |message: String| diagnostics.error(source.file, position, message);
            if stems.is_empty() {
                error(format!("`{entry}` has no words"));
                continue;
            }
            if stems.len() > MAX_PHRASE_WORDS {
                error(format!(
                    "`{entry}` has more than {MAX_PHRASE_WORDS} words: list a word or a short phrase"
                ));
                continue;
            }
            if key == target {
                error(format!("`{entry}` is the word `{word}` itself"));
                continue;
            }
            if let Some(other) = self.targets.get(&key) {
                error(format!(
                    "`{entry}` is a word others are read as (`{other}`): list its words under `{other}` instead"
                ));
                continue;
            }
            // Another form of a word listed under the same key ("estante", "estantería")
            // is a variant; under another key it would be read two ways.
            if let Some(Listing {
                file,
                position: at,
                word: other,
            }) = self.listed_at.get(&key)
            {
                if other != word {
                    let place = match at {
                        Some((line, _)) => format!("{}:{line}", file.display()),
                        None => file.display().to_string(),
                    };
                    error(format!(
                        "`{entry}` is already read as `{other}` ({place}): words with one stem are read one way"
                    ));
                    continue;
                }
            }
            if self.synonyms.written.len() >= MAX_ENTRIES {
                error(format!("more than {MAX_ENTRIES} synonyms in one language"));
                return;
            }
            self.listed_at
                .entry(key.clone())
                .or_insert_with(|| Listing {
                    file: source.file.to_path_buf(),
                    position,
                    word: word.to_string(),
                });
            self.synonyms.longest = self.synonyms.longest.max(stems.len());
            let words = self.folded_words(entry);
            self.synonyms
                .entries
                .entry(key)
                .or_default()
                .push((replacement, words));
            self.synonyms.written.push(entry.trim().to_string());
        }
    }
}
