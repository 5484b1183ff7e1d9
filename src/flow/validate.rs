//! Slot validators for `ask` steps: email, phone, number range, length, regex, one-of. Each
//! turns a customer's answer into the value stored in the slot, or refuses it.

use regex::Regex;

use super::spec::{OneOfSpec, ValidatorSpec};
use crate::text::fold;

#[derive(Debug, Clone)]
pub enum Validator {
    Email,
    Phone,
    Number {
        min: Option<f64>,
        max: Option<f64>,
    },
    Length {
        min: Option<f64>,
        max: Option<f64>,
    },
    Regex(Regex),
    /// (canonical value, folded answers that mean it)
    OneOf(Vec<(String, Vec<String>)>),
}

impl Validator {
    /// Whether a valid answer is a value (an order number, an email address, a number) rather
    /// than words: a sentence that fails such a step may be another question; one that fails a
    /// choice in words ("I don't like it" for "why are you returning it?") is still an answer.
    pub fn expects_a_value(&self) -> bool {
        matches!(
            self,
            Validator::Email | Validator::Phone | Validator::Number { .. } | Validator::Regex(_)
        )
    }

    pub fn compile(spec: &ValidatorSpec) -> Result<Validator, String> {
        let mut chosen = Vec::new();
        if spec.email == Some(true) {
            chosen.push(Validator::Email);
        }
        if spec.phone == Some(true) {
            chosen.push(Validator::Phone);
        }
        if let Some(range) = &spec.number {
            check_range(range.min, range.max)?;
            chosen.push(Validator::Number {
                min: range.min,
                max: range.max,
            });
        }
        if let Some(range) = &spec.length {
            check_range(range.min, range.max)?;
            chosen.push(Validator::Length {
                min: range.min,
                max: range.max,
            });
        }
        if let Some(pattern) = &spec.regex {
            chosen.push(Validator::Regex(super::compile_regex(pattern)?));
        }
        if let Some(one_of) = &spec.one_of {
            let options: Vec<(String, Vec<String>)> = match one_of {
                OneOfSpec::List(values) => values
                    .iter()
                    .enumerate()
                    .map(|(index, value)| {
                        (value.clone(), vec![fold(value), (index + 1).to_string()])
                    })
                    .collect(),
                OneOfSpec::Map(map) => map
                    .iter()
                    .map(|(value, answers)| {
                        let mut folded: Vec<String> = answers.iter().map(|a| fold(a)).collect();
                        folded.push(fold(value));
                        (value.clone(), folded)
                    })
                    .collect(),
            };
            if options.is_empty() {
                return Err("`one_of` needs at least one option".into());
            }
            chosen.push(Validator::OneOf(options));
        }
        match chosen.len() {
            1 => Ok(chosen.remove(0)),
            0 => Err("a validator is one of: email, phone, number, length, regex, one_of".into()),
            _ => Err("use one validator per question".into()),
        }
    }

    /// The option a message names in words, for a choice the flow has not asked yet: "it's
    /// broken" while asked for the order number names the return reason "damaged". Only
    /// choices in words count: a number ("1", "2") means an option only as the reply to the
    /// numbered list, and values (order numbers, emails) are asked for.
    pub fn choice_named(&self, message: &str) -> Option<String> {
        let Validator::OneOf(options) = self else {
            return None;
        };
        let in_words = |answer: &&String| !answer.chars().all(|c| c.is_ascii_digit());
        one_of(options, message, in_words)
    }

    /// The value to store, or `None` when the answer is not acceptable.
    pub fn check(&self, answer: &str) -> Option<String> {
        let answer = answer.trim();
        match self {
            Validator::Email => {
                let (local, domain) = answer.split_once('@')?;
                let valid = !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !answer.chars().any(char::is_whitespace)
                    && !domain.contains('@')
                    && answer.len() <= 254;
                valid.then(|| answer.to_lowercase())
            }
            Validator::Phone => {
                let plus = answer.starts_with('+');
                let mut digits = String::new();
                for c in answer.chars() {
                    match c {
                        '0'..='9' => digits.push(c),
                        ' ' | '-' | '.' | '(' | ')' | '/' => {}
                        '+' if digits.is_empty() => {}
                        _ => return None,
                    }
                }
                (7..=15).contains(&digits.len()).then(|| {
                    if plus {
                        format!("+{digits}")
                    } else {
                        digits
                    }
                })
            }
            Validator::Number { min, max } => {
                let number: f64 = answer.replace(',', ".").parse().ok()?;
                let ok = number.is_finite()
                    && min.is_none_or(|m| number >= m)
                    && max.is_none_or(|m| number <= m);
                ok.then(|| answer.replace(',', "."))
            }
            Validator::Length { min, max } => {
                let length = answer.chars().count() as f64;
                let ok = min.is_none_or(|m| length >= m) && max.is_none_or(|m| length <= m);
                ok.then(|| answer.to_string())
            }
            // With capture groups, the slot keeps what they captured, joined: "It's
            // #12345678" → "12345678", and "1234 5678" → "12345678" for `(\d{4}) ?(\d{4})`.
            Validator::Regex(regex) => regex.captures(answer).map(|captures| {
                let groups: String = captures
                    .iter()
                    .skip(1)
                    .flatten()
                    .map(|group| group.as_str())
                    .collect();
                if groups.is_empty() {
                    answer.to_string()
                } else {
                    groups
                }
            }),
            Validator::OneOf(options) => one_of(options, answer, |_| true),
        }
    }
}

/// The option an answer names among those `usable` allows: the whole answer first, then an
/// option named as a word in a longer answer (two named: none, it is ambiguous).
fn one_of(
    options: &[(String, Vec<String>)],
    answer: &str,
    usable: impl Fn(&&String) -> bool,
) -> Option<String> {
    let folded = fold(answer);
    options
        .iter()
        .find(|(_, answers)| answers.iter().filter(&usable).any(|a| *a == folded))
        .or_else(|| {
            let words: Vec<&str> = folded.split(' ').collect();
            let mut hits = options.iter().filter(|(_, answers)| {
                answers
                    .iter()
                    .filter(&usable)
                    .any(|a| !a.is_empty() && contains_phrase(&words, a))
            });
            let first = hits.next();
            if hits.next().is_some() {
                None
            } else {
                first
            }
        })
        .map(|(value, _)| value.clone())
}

fn contains_phrase(words: &[&str], phrase: &str) -> bool {
    let first = phrase.split(' ').next().unwrap_or_default();
    let length = phrase.split(' ').count();
    words.iter().enumerate().any(|(start, word)| {
        *word == first
            && words.len() - start >= length
            && phrase.split(' ').zip(&words[start..]).all(|(p, w)| p == *w)
            && !negated(&words[..start])
    })
}

/// Whether the words before an option's phrase deny it: "nothing wrong with it", "not
/// broken", "pas cassé", "niks kapot", "nada roto" name the option to say it is not so.
fn negated(before: &[&str]) -> bool {
    const NEGATIONS: [&str; 11] = [
        "not", "nothing", "no", "never", "nada", "ni", "pas", "rien", "niet", "niks", "niets",
    ];
    const BETWEEN: [&str; 8] = ["is", "really", "at", "all", "es", "est", "echt", "vraiment"];
    match before {
        [.., last] if NEGATIONS.contains(last) => true,
        [.., negation, between] => NEGATIONS.contains(negation) && BETWEEN.contains(between),
        _ => false,
    }
}

fn check_range(min: Option<f64>, max: Option<f64>) -> Result<(), String> {
    match (min, max) {
        (Some(min), Some(max)) if min > max => Err(format!("min {min} is above max {max}")),
        _ => Ok(()),
    }
}
