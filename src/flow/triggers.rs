//! Flow triggers: every flow's keywords in one aho-corasick automaton (matched on word
//! boundaries of case- and accent-folded text), regex patterns whose named captures fill slots,
//! and example phrases scored like help-center questions.

use std::collections::{BTreeMap, HashMap};

use aho_corasick::{AhoCorasick, MatchKind};
use tantivy::tokenizer::TextAnalyzer;

use super::{FlowSet, Scope};
use crate::kb::analyzer;
use crate::kb::similarity::UnitSet;
use crate::locale::Language;
use crate::text::{fold, MAX_MATCH_CHARS};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerKind {
    Keyword,
    Pattern,
    Example,
}

/// A flow a message starts, with the slots its pattern captured.
#[derive(Debug, Clone, PartialEq)]
pub struct TriggerMatch {
    pub flow: usize,
    pub kind: TriggerKind,
    pub slots: BTreeMap<String, String>,
    /// 1.0 for keywords and patterns; the question similarity for examples.
    pub confidence: f32,
}

#[derive(Debug, Clone, Copy)]
struct Keyword {
    flow: usize,
    length: usize,
    language: Language,
    single_word: bool,
    /// The flow hands off before it asks anything: the keyword asks for a person ("talk to
    /// someone") or says the customer needs one ("this is unacceptable").
    asks_for_person: bool,
}

pub struct TriggerMatcher {
    automaton: Option<AhoCorasick>,
    /// For each automaton pattern: its flow, its length in folded characters, its language,
    /// and whether it is a single word (which matches only in its own language).
    keyword_flows: Vec<Keyword>,
    examples: HashMap<Language, (TextAnalyzer, UnitSet)>,
}

impl std::fmt::Debug for TriggerMatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TriggerMatcher")
            .field("keywords", &self.keyword_flows.len())
            .finish()
    }
}

/// Whether a flow's first steps only talk and then hand off (an apology, then a person).
fn hands_off_at_once(flow: &crate::flow::Flow) -> bool {
    let mut current = (!flow.steps.is_empty()).then_some(0);
    for _ in 0..flow.steps.len() {
        let Some(index) = current else {
            return false;
        };
        match &flow.steps[index].action {
            crate::flow::Action::Say(_) => current = flow.steps[index].next,
            crate::flow::Action::Handoff(_) => return true,
            _ => return false,
        }
    }
    false
}

impl TriggerMatcher {
    pub fn build(flows: &FlowSet) -> TriggerMatcher {
        let mut keywords = Vec::new();
        let mut keyword_flows = Vec::new();
        for (index, flow) in flows.flows.iter().enumerate() {
            let asks_for_person = hands_off_at_once(flow);
            for (language, list) in &flow.keywords {
                for keyword in list {
                    let folded = fold(keyword);
                    if !folded.is_empty() {
                        keyword_flows.push(Keyword {
                            flow: index,
                            length: folded.chars().count(),
                            language: *language,
                            single_word: !folded.contains(' '),
                            asks_for_person,
                        });
                        keywords.push(folded);
                    }
                }
            }
        }
        let automaton = (!keywords.is_empty()).then(|| {
            AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .build(&keywords)
                .expect("folded keywords always build an automaton")
        });
        let mut by_language: BTreeMap<Language, Vec<(usize, String)>> = BTreeMap::new();
        for (index, flow) in flows.flows.iter().enumerate() {
            for (language, list) in &flow.examples {
                for example in list {
                    by_language
                        .entry(*language)
                        .or_default()
                        .push((index, example.clone()));
                }
            }
        }
        let examples = by_language
            .into_iter()
            .map(|(language, list)| {
                let analyzer = analyzer::build(language);
                let units = list
                    .into_iter()
                    .map(|(flow, text)| {
                        (
                            flow,
                            analyzer::terms(&analyzer, &text)
                                .into_iter()
                                .map(|t| t.stem)
                                .collect(),
                        )
                    })
                    .collect();
                (language, (analyzer, UnitSet::build(units)))
            })
            .collect();
        TriggerMatcher {
            automaton,
            keyword_flows,
            examples,
        }
    }

    /// The flow a keyword or pattern in `text` starts, among flows whose scope is allowed.
    /// Flows with scope `always` win over others; then patterns, then the longest keyword.
    pub fn find(
        &self,
        flows: &FlowSet,
        text: &str,
        language: Language,
        scopes: &[Scope],
    ) -> Option<TriggerMatch> {
        let text: String = text.chars().take(MAX_MATCH_CHARS).collect();
        let folded = fold(&text);
        let allowed = |flow: usize| flows.flows[flow].may_start(scopes, &folded);
        let mut best: Option<(u8, usize, usize, TriggerMatch)> = None;
        let mut consider = |rank: u8, length: usize, candidate: TriggerMatch| {
            let key = (rank, length);
            let better = match &best {
                None => true,
                Some((best_rank, best_length, _, _)) => key > (*best_rank, *best_length),
            };
            if better {
                best = Some((rank, length, candidate.flow, candidate));
            }
        };
        let urgency = |flow: usize| {
            if flows.flows[flow].scope == Scope::Always {
                2u8
            } else {
                0
            }
        };

        for (index, flow) in flows.flows.iter().enumerate() {
            if !allowed(index) {
                continue;
            }
            for pattern in &flow.patterns {
                if let Some(captures) = pattern.captures(&text) {
                    let slots = pattern
                        .capture_names()
                        .flatten()
                        .filter_map(|name| {
                            captures
                                .name(name)
                                .map(|m| (name.to_string(), captured_value(pattern, &captures, m)))
                        })
                        .collect();
                    consider(
                        urgency(index) + 1,
                        usize::MAX,
                        TriggerMatch {
                            flow: index,
                            kind: TriggerKind::Pattern,
                            slots,
                            confidence: 1.0,
                        },
                    );
                    break;
                }
            }
        }
        for keyword in self.keywords_in(&folded) {
            // A phrase is specific in any language; a single word only in its own (Dutch
            // "mens" is English "men's" once folded).
            let flow = keyword.flow;
            if allowed(flow) && (!keyword.single_word || keyword.language == language) {
                consider(
                    urgency(flow),
                    keyword.length,
                    TriggerMatch {
                        flow,
                        kind: TriggerKind::Keyword,
                        slots: BTreeMap::new(),
                        confidence: 1.0,
                    },
                );
            }
        }
        best.map(|(_, _, _, found)| found)
    }

    /// The keywords found in folded text, on word boundaries.
    fn keywords_in<'a>(&'a self, folded: &'a str) -> impl Iterator<Item = Keyword> + 'a {
        self.keyword_spans(folded).map(|(keyword, _)| keyword)
    }

    /// The keywords found in folded text, on word boundaries, with their byte ranges.
    fn keyword_spans<'a>(
        &'a self,
        folded: &'a str,
    ) -> impl Iterator<Item = (Keyword, std::ops::Range<usize>)> + 'a {
        let bytes = folded.as_bytes();
        self.automaton
            .iter()
            .flat_map(move |automaton| automaton.find_overlapping_iter(folded))
            .filter(move |found| {
                let starts_word = found.start() == 0 || bytes[found.start() - 1] == b' ';
                let ends_word = found.end() == bytes.len() || bytes[found.end()] == b' ';
                starts_word && ends_word
            })
            .map(|found| {
                (
                    self.keyword_flows[found.pattern().as_usize()],
                    found.range(),
                )
            })
    }

    /// The message without its requests for a person (the keywords of flows that start by
    /// handing off: "talk to someone", "hablar con una persona"), folded; `None` when it has
    /// none. What is left says what the customer wants a person for: "my invoice is wrong
    /// and I want to speak to someone" leaves "my invoice is wrong and i want to".
    pub fn without_person_requests(&self, text: &str) -> Option<String> {
        let text: String = text.chars().take(MAX_MATCH_CHARS).collect();
        let folded = fold(&text);
        let mut keep = vec![true; folded.len()];
        let mut found = false;
        for (keyword, range) in self.keyword_spans(&folded) {
            if keyword.asks_for_person {
                keep[range].iter_mut().for_each(|byte| *byte = false);
                found = true;
            }
        }
        if !found {
            return None;
        }
        let rest: String = folded
            .char_indices()
            .filter(|(at, _)| keep[*at])
            .map(|(_, c)| c)
            .collect();
        Some(rest.split_whitespace().collect::<Vec<_>>().join(" "))
    }

    /// The language of the flow phrases in `text` ("quisiera devolver"), when they are all of
    /// one language: content authors' phrases know this domain where general statistics
    /// do not. Single words tell nothing ("mens" is Dutch, "men's" English).
    pub fn phrase_language(&self, text: &str) -> Option<Language> {
        let text: String = text.chars().take(MAX_MATCH_CHARS).collect();
        let folded = fold(&text);
        let mut found: Option<Language> = None;
        for keyword in self.keywords_in(&folded).filter(|k| !k.single_word) {
            match found {
                None => found = Some(keyword.language),
                Some(language) if language != keyword.language => return None,
                Some(_) => {}
            }
        }
        found
    }

    /// The flow whose example phrase is most like `text`, with its similarity.
    pub fn best_example(
        &self,
        flows: &FlowSet,
        language: Language,
        text: &str,
        scopes: &[Scope],
    ) -> Option<TriggerMatch> {
        let (analyzer, units) = self.examples.get(&language)?;
        let stems: Vec<String> = analyzer::terms(analyzer, text)
            .into_iter()
            .map(|t| t.stem)
            .collect();
        let folded = fold(text);
        let allowed: Vec<usize> = units
            .owners()
            .filter(|flow| flows.flows[*flow].may_start(scopes, &folded))
            .collect();
        let mut scored: Vec<(usize, f32)> = units
            .best_for_owners(&stems, &allowed)
            .into_iter()
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored.first().map(|&(flow, confidence)| TriggerMatch {
            flow,
            kind: TriggerKind::Example,
            slots: BTreeMap::new(),
            confidence,
        })
    }
}

/// A named capture's slot value. Unnamed groups inside it keep what they captured, joined,
/// as a regex validator does: `(?P<order_number>(\d{4})[ -]?(\d{4}))` fills "12345678" from
/// "1234 5678".
pub(crate) fn captured_value(
    pattern: &regex::Regex,
    captures: &regex::Captures<'_>,
    named: regex::Match<'_>,
) -> String {
    let inner: String = pattern
        .capture_names()
        .zip(captures.iter())
        .skip(1)
        .filter_map(|(name, group)| group.filter(|_| name.is_none()))
        .filter(|group| group.start() >= named.start() && group.end() <= named.end())
        .map(|group| group.as_str())
        .collect();
    if inner.is_empty() {
        named.as_str().trim().to_string()
    } else {
        inner
    }
}
