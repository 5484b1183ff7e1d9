//! `firstline eval`: matching quality on a labelled set. Builds a help center in memory with
//! one article per label (its training texts become the alternate questions), runs every test
//! text through the real decision (`engine::decide`, the code that serves the API), and scores
//! it: a text labelled `oos` is right when the engine hands off; any other is right when the
//! engine's top article is its label and it did not hand off.
//!
//! With a validation file, the hand-off threshold is chosen on it first, from the confidences
//! the real decision reports, and only then is the test file evaluated.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use crate::config::{self, Thresholds};
use crate::content::Content;
use crate::diag::Diagnostics;
use crate::engine::{self, Action, ConversationState, Customer, Decision, Inbound};
use crate::flow;
use crate::kb::Article;
use crate::locale::Locale;
use crate::reply;

/// The label that marks an out-of-scope text: the right decision is a hand-off.
pub const OUT_OF_SCOPE: &str = "oos";

/// A business open around the clock, so hand-offs are only ever about confidence.
const EVAL_CONFIG: &str = r#"
business: { name: Evaluation, help_center_url: "https://help.example" }
default_locale: LOCALE
locales: [LOCALE]
thresholds: { answer: 0.5, suggest: 0.3 }
default_queue: support
queues: { support: { name: Support, schedule: always } }
schedules:
  always:
    timezone: UTC
    weekly:
      mon: ["00:00-24:00"]
      tue: ["00:00-24:00"]
      wed: ["00:00-24:00"]
      thu: ["00:00-24:00"]
      fri: ["00:00-24:00"]
      sat: ["00:00-24:00"]
      sun: ["00:00-24:00"]
"#;

#[derive(Debug, Clone, Deserialize)]
pub struct Example {
    pub text: String,
    pub label: String,
}

/// Reads JSON lines `{"text": …, "label": …}`; a bad line is an error naming its number.
pub fn read_examples(path: &Path) -> anyhow::Result<Vec<Example>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut examples = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let example: Example = serde_json::from_str(line).with_context(|| {
            format!(
                "{}:{}: not a {{\"text\", \"label\"}} JSON object",
                path.display(),
                index + 1
            )
        })?;
        examples.push(example);
    }
    if examples.is_empty() {
        bail!("{}: no examples", path.display());
    }
    Ok(examples)
}

/// Builds the evaluation content: system flows, minimal templates, one article per label.
pub fn build_content(train: &[Example], locale: &Locale) -> anyhow::Result<Content> {
    let mut diagnostics = Diagnostics::default();
    let config_text = EVAL_CONFIG.replace("LOCALE", locale.as_str());
    let Some(settings) = config::parse(
        Path::new("<eval>/firstline.yaml"),
        &config_text,
        &mut diagnostics,
    ) else {
        bail!("evaluation settings: {diagnostics}");
    };
    let Some(language) = locale.language() else {
        bail!("no analyzer for `{locale}`");
    };
    let flows = flow::from_sources(&[], &mut diagnostics);
    let template_texts: Vec<(&str, &str, &str)> = reply::ENGINE_TEMPLATES
        .iter()
        .map(|name| (locale.as_str(), *name, "{{article.title}}"))
        .collect();
    let templates = reply::from_texts(&template_texts, &flows.slots, &mut diagnostics);
    let mut by_label: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for example in train.iter().filter(|e| e.label != OUT_OF_SCOPE) {
        by_label
            .entry(&example.label)
            .or_default()
            .push(&example.text);
    }
    let articles = by_label
        .into_iter()
        .map(|(label, texts)| Article {
            id: label.to_string(),
            locale: locale.clone(),
            language,
            title: texts[0].to_string(),
            questions: texts[1..].iter().map(|t| t.to_string()).collect(),
            tags: Vec::new(),
            url: format!("https://help.example/{label}"),
            threshold: None,
            queue: None,
            report: None,
            body: String::new(),
            answer: label.replace('_', " "),
            file: Path::new("<eval>").join(label),
        })
        .collect();
    Content::assemble(
        settings,
        flows,
        templates,
        (articles, Default::default()),
        "eval".into(),
        diagnostics,
    )
    .map_err(|diagnostics| anyhow::anyhow!("evaluation content: {diagnostics}"))
}

/// What one decision says about the scoring.
#[derive(Debug, Clone)]
struct Observed {
    text: String,
    label: String,
    /// What the decision did, and why it handed off (if it did).
    action: Action,
    reason: Option<String>,
    /// The decision's confidence, when the help center scored it (else the outcome is fixed).
    confidence: Option<f32>,
    top: Option<String>,
    handed_off: bool,
    /// Whether the engine hands this text off when its confidence is below the threshold
    /// (vague text and small talk get a "didn't understand" instead).
    handoffable: bool,
    micros: f64,
}

/// The decisions on the texts under `thresholds`. With `probe`, each also records whether
/// it is handed off when its confidence is below the hand-off threshold (a first pass where
/// every one is), which scoring at other thresholds needs; without, that pass is skipped.
fn observe_all(
    content: &mut Content,
    thresholds: Thresholds,
    examples: &[Example],
    now: jiff::Timestamp,
    probe: bool,
) -> Vec<Observed> {
    let handoffable: Vec<bool> = if probe {
        content.settings.thresholds = Thresholds {
            answer: 2.0,
            suggest: 2.0,
        };
        examples
            .iter()
            .map(|e| observe(content, e, now).handed_off)
            .collect()
    } else {
        vec![true; examples.len()]
    };
    content.settings.thresholds = thresholds;
    examples
        .iter()
        .zip(handoffable)
        .map(|(e, handoffable)| Observed {
            handoffable,
            ..observe(content, e, now)
        })
        .collect()
}

fn observe(content: &Content, example: &Example, now: jiff::Timestamp) -> Observed {
    let inbound = Inbound {
        channel: "eval".into(),
        text: example.text.clone(),
        customer: Customer {
            id: "eval".into(),
            name: None,
            locale: Some(content.settings.default_locale.to_string()),
            timezone: None,
        },
    };
    let state = ConversationState::default();
    let started = Instant::now();
    let decision = engine::decide(content, &state, &inbound, now);
    let micros = started.elapsed().as_secs_f64() * 1e6;
    Observed {
        text: example.text.clone(),
        label: example.label.clone(),
        action: decision.action,
        reason: decision.handoff.as_ref().map(|h| h.reason.clone()),
        confidence: scored_confidence(&decision),
        top: top_article(&decision),
        handed_off: decision.action == Action::HandedOff,
        handoffable: true,
        micros,
    }
}

/// The confidence when the help center decided (answer, suggestion, low-confidence hand-off).
fn scored_confidence(decision: &Decision) -> Option<f32> {
    let by_confidence = match decision.action {
        Action::Answered | Action::Suggested => true,
        Action::HandedOff => decision
            .handoff
            .as_ref()
            .is_some_and(|h| h.reason == "low_confidence"),
        _ => false,
    };
    if by_confidence {
        decision.confidence
    } else {
        None
    }
}

fn top_article(decision: &Decision) -> Option<String> {
    decision
        .article
        .as_ref()
        .or(decision.suggestions.first())
        .or(decision.handoff.as_ref().and_then(|h| h.candidates.first()))
        .map(|a| a.id.clone())
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub in_scope_accuracy: f64,
    pub oos_recall: f64,
    pub n_in_scope: usize,
    pub n_oos: usize,
    pub thresholds: Thresholds,
    pub thresholds_from: &'static str,
    pub p50_us: f64,
    pub p99_us: f64,
    pub build_ms: u128,
    pub articles: usize,
    pub questions: usize,
    /// The test texts the engine got wrong, in file order (written by `--errors`).
    #[serde(skip)]
    pub mistakes: Vec<Mistake>,
}

/// A test text the engine got wrong, and what it did instead.
#[derive(Debug, Clone, Serialize)]
pub struct Mistake {
    pub text: String,
    pub label: String,
    pub action: Action,
    /// The top article, when the decision had one.
    pub article: Option<String>,
    pub reason: Option<String>,
    pub confidence: Option<f32>,
}

fn mistakes(observed: &[Observed]) -> Vec<Mistake> {
    observed
        .iter()
        .filter(|o| !is_right(o, o.handed_off))
        .map(|o| Mistake {
            text: o.text.clone(),
            label: o.label.clone(),
            action: o.action,
            article: o.top.clone(),
            reason: o.reason.clone(),
            confidence: o.confidence,
        })
        .collect()
}

fn is_right(item: &Observed, handed_off: bool) -> bool {
    if item.label == OUT_OF_SCOPE {
        handed_off
    } else {
        !handed_off && item.top.as_deref() == Some(item.label.as_str())
    }
}

/// Accuracy on a set of observations, as if the hand-off threshold were `suggest`.
fn score(observed: &[Observed], suggest: Option<f32>) -> (f64, f64, usize, usize) {
    let (mut right_in, mut n_in, mut right_oos, mut n_oos) = (0usize, 0usize, 0usize, 0usize);
    for item in observed {
        let handed_off = match (suggest, item.confidence) {
            (Some(threshold), Some(confidence)) => confidence < threshold && item.handoffable,
            _ => item.handed_off,
        };
        let right = is_right(item, handed_off) as usize;
        if item.label == OUT_OF_SCOPE {
            n_oos += 1;
            right_oos += right;
        } else {
            n_in += 1;
            right_in += right;
        }
    }
    let ratio = |right: usize, n: usize| if n == 0 { 0.0 } else { right as f64 / n as f64 };
    (ratio(right_in, n_in), ratio(right_oos, n_oos), n_in, n_oos)
}

/// The hand-off threshold with the most right decisions on the validation texts, among those
/// that hand off at least `min_oos_recall` of the out-of-scope ones.
fn choose_threshold(observed: &[Observed], min_oos_recall: f64) -> f32 {
    let mut best = (f64::MIN, 0.0f32);
    for step in 0..=1000 {
        let threshold = step as f32 / 1000.0;
        let (in_scope, oos, n_in, n_oos) = score(observed, Some(threshold));
        if min_oos_recall > 0.0 {
            // An operating point: the lowest cut that hands off enough out-of-scope texts
            // keeps the most in-scope answers.
            if n_oos == 0 || oos + 1e-9 >= min_oos_recall {
                return threshold;
            }
            continue;
        }
        let right = in_scope * n_in as f64 + oos * n_oos as f64;
        if right > best.0 + 1e-9 {
            best = (right, threshold);
        }
    }
    best.1
}

/// Runs the whole evaluation.
pub fn evaluate(
    train: &[Example],
    test: &[Example],
    val: Option<&[Example]>,
    locale: &Locale,
    min_oos_recall: f64,
) -> anyhow::Result<Report> {
    let started = Instant::now();
    let mut content = build_content(train, locale)?;
    let build_ms = started.elapsed().as_millis();
    let now: jiff::Timestamp = "2026-01-05T12:00:00Z".parse().expect("a fixed instant");
    let articles = content.help_center.articles().len();
    let questions = content
        .help_center
        .articles()
        .iter()
        .map(|a| a.questions.len() + 1)
        .sum();

    let (thresholds, thresholds_from) = match val {
        Some(val) => {
            // Record the real decisions' confidences with nothing handed off on confidence,
            // then choose the cut on them.
            let probe = Thresholds {
                answer: 1.0,
                suggest: 0.0,
            };
            let observed = observe_all(&mut content, probe, val, now, true);
            let suggest = choose_threshold(&observed, min_oos_recall);
            let thresholds = Thresholds {
                answer: suggest.max(0.5),
                suggest,
            };
            (thresholds, "validation")
        }
        None => (content.settings.thresholds, "default"),
    };
    let curve = std::env::var_os("FIRSTLINE_EVAL_CURVE").is_some();
    let observed = observe_all(&mut content, thresholds, test, now, curve);
    let (in_scope_accuracy, oos_recall, n_in_scope, n_oos) = score(&observed, None);
    if curve {
        for step in (0..=100).step_by(5) {
            let threshold = step as f32 / 100.0;
            let (in_scope, oos, _, _) = score(&observed, Some(threshold));
            eprintln!(
                "threshold {threshold:.2}: in-scope {:.2}% oos {:.2}%",
                in_scope * 100.0,
                oos * 100.0
            );
        }
    }
    let mut micros: Vec<f64> = observed.iter().map(|o| o.micros).collect();
    micros.sort_by(f64::total_cmp);
    let percentile = |q: f64| micros[((micros.len() as f64 - 1.0) * q).round() as usize];
    Ok(Report {
        in_scope_accuracy,
        oos_recall,
        n_in_scope,
        n_oos,
        thresholds,
        thresholds_from,
        p50_us: percentile(0.5),
        p99_us: percentile(0.99),
        build_ms,
        articles,
        questions,
        mistakes: mistakes(&observed),
    })
}
