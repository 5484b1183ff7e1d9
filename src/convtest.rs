//! `firstline test`: conversation tests that authors write in YAML and run before deploying.
//! A test pins the clock, the channel and the customer, then plays turns through the real
//! decision (`engine::decide`), carrying the conversation state from turn to turn, and checks
//! each turn's expectations. Failures name the test file and the line of the expectation.
//!
//! ```yaml
//! name: order status, in English, during business hours
//! at: 2026-11-23T10:00:00+01:00
//! channel: whatsapp
//! customer: { name: Ana, locale: en, timezone: Europe/Amsterdam }
//! turns:
//!   - say: Where is my order?
//!     expect: { action: flow, flow: order_status, reply_contains: order number }
//!   - say: "12345678"
//!     expect: { action: handed_off, queue: support, reason: order_status, slots: { order_number: "12345678" } }
//!   - say: I want a person
//!     delivery: { status: 503, failing_for: 25h }   # what the helpdesk answered
//!     expect: { delivery: failed }                    # delivered | pending | failed
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};
use regex::Regex;
use serde::Deserialize;

use crate::content::Content;
use crate::diag::Diagnostic;
use crate::engine::{self, ConversationState, Customer, Decision, Inbound, Owner};
use crate::yaml::{self, Positions};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestSpec {
    name: String,
    at: String,
    #[serde(default = "default_channel")]
    channel: String,
    #[serde(default)]
    customer: CustomerSpec,
    turns: Vec<TurnSpec>,
}

fn default_channel() -> String {
    "chat".into()
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomerSpec {
    name: Option<String>,
    locale: Option<String>,
    timezone: Option<String>,
}

/// One turn: the customer says something, or time passes, or the helpdesk acts.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TurnSpec {
    say: Option<String>,
    /// Moves the clock before this turn: `45m`, `2h`, `3d`.
    wait: Option<String>,
    /// The helpdesk gives the conversation back to the bot before this turn.
    #[serde(default)]
    handback: bool,
    /// What the helpdesk answers when this turn's hand-off is delivered.
    #[serde(default)]
    delivery: Option<DeliverySpec>,
    #[serde(default)]
    expect: Option<Expect>,
}

/// The helpdesk's answer to a hand-off delivery: a status (`503`), `timeout` or
/// `unreachable`, optionally after the deliveries have been failing for a while.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum DeliverySpec {
    Status(u16),
    Word(String),
    Detailed {
        #[serde(default)]
        status: Option<u16>,
        #[serde(default)]
        error: Option<String>,
        #[serde(default)]
        retry_after: Option<String>,
        /// How long this hand-off has already been failing (`25h`).
        #[serde(default)]
        failing_for: Option<String>,
    },
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    action: Option<String>,
    flow: Option<String>,
    article: Option<String>,
    queue: Option<String>,
    reason: Option<String>,
    priority: Option<String>,
    open_now: Option<bool>,
    after_hours: Option<bool>,
    locale: Option<String>,
    slots: Option<BTreeMap<String, String>>,
    /// The exact text of the reply list, joined with newlines.
    reply: Option<String>,
    reply_contains: Option<OneOrMany>,
    reply_not_contains: Option<OneOrMany>,
    reply_matches: Option<String>,
    replies: Option<usize>,
    /// The bot owns the conversation (`bot`) or a person does (`human`) after the turn.
    owner: Option<String>,
    /// What becomes of the hand-off given the turn's `delivery`: `delivered`, `pending`
    /// (retried later) or `failed` (listed for an operator).
    delivery: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn items(&self) -> Vec<&str> {
        match self {
            OneOrMany::One(one) => vec![one.as_str()],
            OneOrMany::Many(many) => many.iter().map(String::as_str).collect(),
        }
    }
}

/// The outcome of one test file.
#[derive(Debug)]
pub struct FileResult {
    pub file: PathBuf,
    pub name: String,
    /// One line per failed expectation (`file:line:column: message`).
    pub failures: Vec<Diagnostic>,
    /// What the bot said and did at each turn, for `firstline test --transcript`.
    pub transcript: String,
}

/// Every `*.yaml` file under the given paths (files or folders), sorted.
pub fn collect(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for path in paths {
        walk(path, &mut files, 0);
    }
    files.sort();
    files
}

fn walk(path: &Path, files: &mut Vec<PathBuf>, depth: usize) {
    if path.is_dir() && depth < 8 {
        if let Ok(entries) = std::fs::read_dir(path) {
            for entry in entries.flatten() {
                walk(&entry.path(), files, depth + 1);
            }
        }
    } else if matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    ) {
        files.push(path.to_path_buf());
    }
}

/// Runs one test file against the content.
pub fn run_file(content: &Content, file: &Path) -> FileResult {
    let fail = |message: String, position: Option<(usize, usize)>| FileResult {
        file: file.to_path_buf(),
        name: file.display().to_string(),
        failures: vec![Diagnostic::at(file, position, message)],
        transcript: String::new(),
    };
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(error) => return fail(format!("cannot read: {error}"), None),
    };
    let (spec, positions) = match yaml::parse::<TestSpec>(file, &text, 0) {
        Ok(parsed) => parsed,
        Err(diagnostic) => {
            return FileResult {
                file: file.to_path_buf(),
                name: file.display().to_string(),
                failures: vec![diagnostic],
                transcript: String::new(),
            }
        }
    };
    let mut now: Timestamp = match spec.at.parse() {
        Ok(at) => at,
        Err(_) => {
            return fail(
                format!("`at` {} is not an RFC 3339 time with an offset", spec.at),
                positions.at("at"),
            )
        }
    };
    let customer = Customer {
        id: "test-customer".into(),
        name: spec.customer.name.clone(),
        locale: spec.customer.locale.clone(),
        timezone: spec.customer.timezone.clone(),
    };
    let mut state = ConversationState::default();
    let mut failures = Vec::new();
    let mut transcript = String::new();
    for (index, turn) in spec.turns.iter().enumerate() {
        let base = format!("turns.{index}");
        if let Some(wait) = &turn.wait {
            match parse_wait(wait) {
                Some(duration) => now = now.checked_add(duration).unwrap_or(now),
                None => failures.push(Diagnostic::at(
                    file,
                    positions.at(&format!("{base}.wait")),
                    format!("`wait` {wait} is not like 45m, 2h or 3d"),
                )),
            }
        }
        if turn.handback {
            state.owner = Owner::Bot;
        }
        let Some(text) = &turn.say else {
            if turn.expect.is_some() {
                failures.push(Diagnostic::at(
                    file,
                    positions.at(&base),
                    "a turn with `expect` needs `say`",
                ));
            }
            continue;
        };
        let inbound = Inbound {
            channel: spec.channel.clone(),
            text: text.clone(),
            customer: customer.clone(),
        };
        let decision = engine::decide(content, &state, &inbound, now);
        describe_turn(&mut transcript, index, turn, &decision);
        let delivery = match (&turn.delivery, &decision.handoff) {
            (Some(spec), Some(_)) => match delivery_outcome(spec, now) {
                Ok(outcome) => Some(outcome),
                Err(message) => {
                    failures.push(Diagnostic::at(
                        file,
                        positions.at(&format!("{base}.delivery")),
                        message,
                    ));
                    None
                }
            },
            (Some(_), None) => {
                failures.push(Diagnostic::at(
                    file,
                    positions.at(&format!("{base}.delivery")),
                    "this turn made no hand-off to deliver",
                ));
                None
            }
            _ => None,
        };
        if let Some(expect) = &turn.expect {
            check(
                &decision,
                expect,
                file,
                &positions,
                &format!("{base}.expect"),
                &mut failures,
            );
            if let Some(expected) = &expect.delivery {
                let position = positions.at(&format!("{base}.expect.delivery"));
                match &delivery {
                    Some(actual) if actual == expected => {}
                    Some(actual) => failures.push(Diagnostic::at(
                        file,
                        position,
                        format!("expected the delivery to be `{expected}`, got `{actual}`"),
                    )),
                    None => failures.push(Diagnostic::at(
                        file,
                        position,
                        "`expect.delivery` needs a hand-off and the turn's `delivery`",
                    )),
                }
            }
        }
        state = decision.state;
    }
    FileResult {
        file: file.to_path_buf(),
        name: spec.name,
        failures,
        transcript,
    }
}

/// One turn of the transcript: what the customer said, what the bot did, and its replies.
fn describe_turn(out: &mut String, index: usize, turn: &TurnSpec, decision: &Decision) {
    use std::fmt::Write as _;
    let mut before = Vec::new();
    if let Some(wait) = &turn.wait {
        before.push(format!("after {wait}"));
    }
    if turn.handback {
        before.push("after a hand-back".into());
    }
    let before = if before.is_empty() {
        String::new()
    } else {
        format!(" ({})", before.join(", "))
    };
    let _ = writeln!(
        out,
        "{}{before}> {}",
        index + 1,
        turn.say.as_deref().unwrap_or_default()
    );
    let mut what = vec![action_name(decision)];
    if let Some(flow) = &decision.flow {
        what.push(format!("flow {flow}"));
    }
    if let Some(article) = &decision.article {
        what.push(format!("article {}", article.id));
    }
    if !decision.suggestions.is_empty() {
        let ids: Vec<_> = decision.suggestions.iter().map(|a| a.id.as_str()).collect();
        what.push(format!("suggestions {}", ids.join(", ")));
    }
    if let Some(handoff) = &decision.handoff {
        what.push(format!(
            "queue {}, reason {}",
            handoff.queue, handoff.reason
        ));
    }
    if let Some(confidence) = decision.confidence {
        what.push(format!("confidence {confidence:.3}"));
    }
    what.push(format!("locale {}", decision.locale));
    if !decision.slots.is_empty() {
        let slots: Vec<_> = decision
            .slots
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        what.push(format!("slots {}", slots.join(" ")));
    }
    let _ = writeln!(out, "   [{}]", what.join("; "));
    for reply in &decision.replies {
        for line in reply.text.lines() {
            let _ = writeln!(out, "   | {line}");
        }
    }
}

fn action_name(decision: &Decision) -> String {
    serde_json::to_value(decision.action)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Judges one delivery attempt with the worker's own retry policy (default settings).
fn delivery_outcome(spec: &DeliverySpec, now: Timestamp) -> Result<String, String> {
    use crate::handoff::{judge, AttemptResult, DeliveryConfig};
    let word = |word: &str| match word {
        "timeout" => Ok(AttemptResult::Failed("timed out".into())),
        "unreachable" => Ok(AttemptResult::Failed("cannot connect".into())),
        other => Err(format!(
            "`delivery` `{other}` is a status code, timeout or unreachable"
        )),
    };
    let status = |status: u16, retry_after: Option<SignedDuration>| {
        if (200..300).contains(&status) {
            AttemptResult::Accepted
        } else {
            AttemptResult::Refused {
                status,
                retry_after,
            }
        }
    };
    let (result, failing_for) = match spec {
        DeliverySpec::Status(code) => (status(*code, None), SignedDuration::ZERO),
        DeliverySpec::Word(text) => (word(text)?, SignedDuration::ZERO),
        DeliverySpec::Detailed {
            status: code,
            error,
            retry_after,
            failing_for,
        } => {
            let retry_after = match retry_after {
                Some(text) => Some(
                    parse_wait(text)
                        .ok_or_else(|| format!("`retry_after` {text} is not like 30s or 2m"))?,
                ),
                None => None,
            };
            let result = match (code, error) {
                (Some(code), None) => status(*code, retry_after),
                (None, Some(error)) => word(error)?,
                _ => return Err("`delivery` has a `status` or an `error`".into()),
            };
            let failing_for = match failing_for {
                Some(text) => parse_wait(text)
                    .ok_or_else(|| format!("`failing_for` {text} is not like 25h"))?,
                None => SignedDuration::ZERO,
            };
            (result, failing_for)
        }
    };
    let config = DeliveryConfig::new(
        Some("http://helpdesk".into()),
        None,
        std::time::Duration::from_secs(10),
        SignedDuration::from_hours(24),
    );
    let window_start = now.checked_sub(failing_for).unwrap_or(now);
    Ok(match judge(&config, 0, window_start, now, result) {
        crate::store::AttemptOutcome::Delivered => "delivered",
        crate::store::AttemptOutcome::RetryAt { .. } => "pending",
        crate::store::AttemptOutcome::Failed { .. } => "failed",
    }
    .to_string())
}

fn parse_wait(text: &str) -> Option<SignedDuration> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit())?);
    let number: i64 = number.parse().ok()?;
    match unit.trim() {
        "s" => Some(SignedDuration::from_secs(number)),
        "m" | "min" => Some(SignedDuration::from_mins(number)),
        "h" => Some(SignedDuration::from_hours(number)),
        "d" => Some(SignedDuration::from_hours(number.checked_mul(24)?)),
        _ => None,
    }
}

fn check(
    decision: &Decision,
    expect: &Expect,
    file: &Path,
    positions: &Positions,
    base: &str,
    failures: &mut Vec<Diagnostic>,
) {
    let mut fail = |key: &str, message: String| {
        failures.push(Diagnostic::at(
            file,
            positions.at(&format!("{base}.{key}")),
            message,
        ))
    };
    let text = decision
        .replies
        .iter()
        .map(|r| r.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let action = action_name(decision);
    let handoff = decision.handoff.as_ref();
    let mut same = |key: &str, expected: &Option<String>, actual: Option<String>| {
        if let Some(expected) = expected {
            if actual.as_deref() != Some(expected.as_str()) {
                fail(
                    key,
                    format!(
                        "expected {key} `{expected}`, got {}",
                        actual.map_or("none".into(), |a| format!("`{a}`"))
                    ),
                );
            }
        }
    };
    same("action", &expect.action, Some(action));
    same("flow", &expect.flow, decision.flow.clone());
    same(
        "article",
        &expect.article,
        decision.article.as_ref().map(|a| a.id.clone()),
    );
    same("queue", &expect.queue, handoff.map(|h| h.queue.clone()));
    same("reason", &expect.reason, handoff.map(|h| h.reason.clone()));
    same(
        "priority",
        &expect.priority,
        handoff
            .and_then(|h| serde_json::to_value(h.priority).ok())
            .and_then(|v| v.as_str().map(str::to_string)),
    );
    same(
        "open_now",
        &expect.open_now.map(|b| b.to_string()),
        handoff.map(|h| h.open_now.to_string()),
    );
    same(
        "after_hours",
        &expect.after_hours.map(|b| b.to_string()),
        handoff.map(|h| h.after_hours.to_string()),
    );
    same("locale", &expect.locale, Some(decision.locale.clone()));
    same(
        "owner",
        &expect.owner,
        Some(match decision.state.owner {
            Owner::Bot => "bot".into(),
            Owner::Human { .. } => "human".into(),
        }),
    );
    if let Some(slots) = &expect.slots {
        for (slot, value) in slots {
            let actual = decision.slots.get(slot);
            if actual != Some(value) {
                failures.push(Diagnostic::at(
                    file,
                    positions.at(&format!("{base}.slots.{slot}")),
                    format!(
                        "expected slot {slot} `{value}`, got {}",
                        actual.map_or("none".into(), |a| format!("`{a}`"))
                    ),
                ));
            }
        }
    }
    let mut fail = |key: &str, message: String| {
        failures.push(Diagnostic::at(
            file,
            positions.at(&format!("{base}.{key}")),
            message,
        ))
    };
    if let Some(expected) = &expect.reply {
        if text.trim() != expected.trim() {
            fail(
                "reply",
                format!(
                    "expected the reply\n    {}\n  got\n    {}",
                    expected.trim(),
                    text
                ),
            );
        }
    }
    if let Some(count) = expect.replies {
        if decision.replies.len() != count {
            fail(
                "replies",
                format!("expected {count} replies, got {}", decision.replies.len()),
            );
        }
    }
    if let Some(needles) = &expect.reply_contains {
        for needle in needles.items() {
            if !text.contains(needle) {
                fail(
                    "reply_contains",
                    format!("the reply does not contain `{needle}`: {text:?}"),
                );
            }
        }
    }
    if let Some(needles) = &expect.reply_not_contains {
        for needle in needles.items() {
            if text.contains(needle) {
                fail(
                    "reply_not_contains",
                    format!("the reply contains `{needle}`: {text:?}"),
                );
            }
        }
    }
    if let Some(pattern) = &expect.reply_matches {
        match Regex::new(pattern) {
            Ok(regex) if regex.is_match(&text) => {}
            Ok(_) => fail(
                "reply_matches",
                format!("the reply does not match /{pattern}/: {text:?}"),
            ),
            Err(error) => fail("reply_matches", format!("invalid regex: {error}")),
        }
    }
}
