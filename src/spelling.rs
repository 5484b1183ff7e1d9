//! Spelling correction for customer text, per language. A word the content never uses that
//! is one edit (a letter missing, extra or wrong, or two letters swapped) from words it does
//! use is read as the most used of them: "shiping" as "shipping", "pakage" as "package",
//! "pedidoo" as "pedido". Short words (under four letters), words with digits and words the
//! content knows are never changed; neither is a word whose nearest words are used equally
//! often (no way to choose).
//!
//! Candidates are found through single-letter deletions (the symmetric-delete method): every
//! content word is indexed under itself and each of its deletions, and a customer's word is
//! looked up under itself and each of its own; the edit distance confirms each candidate.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use tantivy::tokenizer::TextAnalyzer;

use crate::kb::analyzer;
use crate::locale::Language;
use crate::text::fold;

/// Words shorter than this (in letters) are never corrected, nor corrected to: one letter
/// more or less turns too many short real words into others ("sell" into "spell").
const MIN_LETTERS: usize = 5;
/// A wrong letter turns too many short real words into others ("crack" into "track", "dire"
/// into "dure"): only words this long are corrected by replacing a letter.
const MIN_LETTERS_TO_SUBSTITUTE: usize = 7;
/// A word the content uses once is no likely target for a typo (a name, a rare word).
const MIN_USES: u32 = 2;
/// Words longer than this are left alone: no customer word that long is a typo worth fixing,
/// and deletions of a long word cost.
const MAX_LETTERS: usize = 24;

pub struct Speller {
    /// The language's stemmer: a word the content has in another form ("mauvais" for
    /// "mauvaise", "bezorger" for "bezorgen") is known, not misspelled.
    stemmer: TextAnalyzer,
    stems: HashSet<String>,
    /// Each known word (folded) with how often the content uses it and its usual spelling.
    words: HashMap<String, Known>,
    /// Every known word and each of its single-letter deletions → the known words.
    deletions: HashMap<String, Vec<u32>>,
    /// Known words by id.
    list: Vec<String>,
}

impl std::fmt::Debug for Speller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Speller")
            .field("words", &self.words.len())
            .finish()
    }
}

#[derive(Debug)]
struct Known {
    count: u32,
    /// The spelling the content uses most (lower case, accents kept: stemmers need them).
    spelling: String,
    spelling_count: u32,
}

impl Speller {
    /// Learns the words of the given texts (all of one language).
    pub fn build<'a>(language: Language, texts: impl IntoIterator<Item = &'a str>) -> Speller {
        let stemmer = analyzer::build_stemmer(language);
        let mut speller = Speller {
            stems: HashSet::default(),
            words: HashMap::default(),
            deletions: HashMap::default(),
            list: Vec::new(),
            stemmer,
        };
        let mut spellings: HashMap<(String, String), u32> = HashMap::default();
        for text in texts {
            speller.stems.extend(
                analyzer::terms(&speller.stemmer, text)
                    .into_iter()
                    .map(|t| t.stem),
            );
            for (_, word) in words(text) {
                let folded = fold(word);
                if folded.is_empty() || folded.contains(' ') {
                    continue;
                }
                let lower = word.to_lowercase();
                *spellings.entry((folded, lower)).or_default() += 1;
            }
        }
        for ((folded, spelling), count) in spellings {
            let known = speller.words.entry(folded).or_insert_with(|| Known {
                count: 0,
                spelling: String::new(),
                spelling_count: 0,
            });
            known.count += count;
            if count > known.spelling_count
                || (count == known.spelling_count && spelling < known.spelling)
            {
                known.spelling = spelling;
                known.spelling_count = count;
            }
        }
        let mut known: Vec<&String> = speller.words.keys().filter(|w| correctable(w)).collect();
        known.sort();
        let mut deletions: HashMap<String, Vec<u32>> = HashMap::default();
        for (id, word) in known.iter().enumerate() {
            each_key(word, |key| {
                let ids = deletions.entry(key.to_string()).or_default();
                if ids.last() != Some(&(id as u32)) {
                    ids.push(id as u32);
                }
            });
        }
        speller.list = known.into_iter().cloned().collect();
        speller.deletions = deletions;
        speller
    }

    /// The known word a customer's word stands for, when it is unknown and one known word is
    /// clearly the nearest; as the content spells it.
    pub fn correct_word(&self, word: &str) -> Option<&str> {
        self.correct_folded(&fold(word), |_| false)
    }

    /// The text with each misspelled word replaced, everything else (punctuation, spacing,
    /// numbers) as it was; `None` when nothing needed correcting. Words for which `keep`
    /// (given the folded word) says so stay as written: words the caller knows in other
    /// ways ("doei", "please").
    pub fn correct(&self, text: &str, keep: impl Fn(&str) -> bool) -> Option<String> {
        let mut out: Option<String> = None;
        let mut copied = 0;
        for (start, word) in words(text) {
            if let Some(correction) = self.correct_folded(&fold_word(word), &keep) {
                let out = out.get_or_insert_with(|| String::with_capacity(text.len() + 8));
                out.push_str(&text[copied..start]);
                out.push_str(correction);
                copied = start + word.len();
            }
        }
        out.map(|mut out| {
            out.push_str(&text[copied..]);
            out
        })
    }

    /// Cheapest tests first: most words are known, most unknown words have no near word.
    fn correct_folded(&self, folded: &str, keep: impl Fn(&str) -> bool) -> Option<&str> {
        if !correctable(folded) || self.words.contains_key(folded) {
            return None;
        }
        let first = folded.chars().next();
        let letters = folded.chars().count();
        let mut best: Option<(u32, &str)> = None;
        let mut tied = false;
        let mut seen: Vec<u32> = Vec::new();
        each_key(folded, |key| {
            let Some(ids) = self.deletions.get(key) else {
                return;
            };
            for &id in ids {
                if seen.contains(&id) {
                    continue;
                }
                seen.push(id);
                let candidate = self.list[id as usize].as_str();
                let count = self.words[candidate].count;
                if count < MIN_USES
                    || candidate.chars().next() != first
                    || is_plural_of(folded, candidate)
                    || is_plural_of(candidate, folded)
                    || strsim::osa_distance(folded, candidate) != 1
                    || (letters < MIN_LETTERS_TO_SUBSTITUTE && is_substitution(folded, candidate))
                {
                    continue;
                }
                match best {
                    Some((best_count, _)) if count < best_count => {}
                    Some((best_count, _)) if count == best_count => tied = true,
                    _ => {
                        best = Some((count, candidate));
                        tied = false;
                    }
                }
            }
        });
        let (_, candidate) = best.filter(|_| !tied)?;
        if keep(folded) {
            return None;
        }
        // Another form of a word the content has is no misspelling.
        let stems = analyzer::terms(&self.stemmer, folded);
        if stems.iter().any(|t| self.stems.contains(&t.stem)) {
            return None;
        }
        Some(self.words[candidate].spelling.as_str())
    }
}

/// `text::fold` for one word, without its Unicode normalization when the word is plain ASCII
/// (most words): this runs on every word of every message.
fn fold_word(word: &str) -> std::borrow::Cow<'_, str> {
    if word.bytes().all(|b| b.is_ascii_lowercase()) {
        std::borrow::Cow::Borrowed(word)
    } else if word.is_ascii() {
        std::borrow::Cow::Owned(
            word.chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .map(|c| c.to_ascii_lowercase())
                .collect(),
        )
    } else {
        std::borrow::Cow::Owned(fold(word))
    }
}

/// Whether a folded word may be corrected, or corrected to: letters only, 4 to 24 of them.
fn correctable(folded: &str) -> bool {
    let letters = folded.chars().count();
    (MIN_LETTERS..=MAX_LETTERS).contains(&letters) && folded.chars().all(char::is_alphabetic)
}

/// Whether two words one edit apart differ by a replaced letter (same length, not two
/// letters swapped).
fn is_substitution(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len() != b.len() {
        return false;
    }
    let differ: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
    differ.len() == 1
}

/// Whether `a` is `b` with an "s" added: another form of the same word, not a misspelling
/// ("games" and "game" search alike already).
fn is_plural_of(a: &str, b: &str) -> bool {
    a.strip_suffix('s') == Some(b)
}

/// Calls `f` with the word itself, then with the word without each of its letters in turn:
/// the keys under which a known word is indexed and a customer's word is looked up. One
/// buffer for all of them (lookups run on the hot path).
fn each_key(word: &str, mut f: impl FnMut(&str)) {
    f(word);
    let mut key = String::with_capacity(word.len());
    for (at, c) in word.char_indices() {
        key.clear();
        key.push_str(&word[..at]);
        key.push_str(&word[at + c.len_utf8()..]);
        f(&key);
    }
}

/// The words of a text with their byte offsets: runs of letters, digits and apostrophes (as
/// `text::fold` keeps them together: "hasn't" is one word).
fn words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut rest = text.char_indices().peekable();
    std::iter::from_fn(move || {
        let is_word = |c: char| c.is_alphanumeric() || c == '\'' || c == '’';
        let (start, _) = loop {
            let (at, c) = rest.next()?;
            if c.is_alphanumeric() {
                break (at, c);
            }
        };
        let mut end = text.len();
        while let Some(&(at, c)) = rest.peek() {
            if !is_word(c) {
                end = at;
                break;
            }
            rest.next();
        }
        let word = text[start..end].trim_end_matches(['\'', '’']);
        Some((start, word))
    })
}
