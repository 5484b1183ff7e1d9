//! The `firstline` binary as a user runs it: `check` and `ask`, exit codes and output.

use crate::support::{firstline, ContentCopy};

#[test]
fn check_accepts_the_shipped_content() {
    let (code, stdout, _) = firstline(&["check"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.starts_with("ok: 15 flows, 164 articles, 4 locales"),
        "{stdout}"
    );
}

#[test]
fn check_prints_every_error_with_its_position_and_exits_1() {
    let copy = ContentCopy::new();
    copy.edit(
        "flows/order_status.yaml",
        "      on_fail: no_number",
        "      on_fail: nowhere",
    );
    copy.write("templates/en/answer.hbs", "{{article.nope}}\n");
    let config = copy.config();
    let (code, stdout, _) = firstline(&["check", "--config", config.to_str().unwrap()]);
    assert_eq!(code, 1, "{stdout}");
    let order_status = copy.dir().join("flows/order_status.yaml");
    assert!(
        stdout.contains(&format!("{}:", order_status.display())),
        "{stdout}"
    );
    assert!(stdout.contains("unknown step `nowhere`"), "{stdout}");
    assert!(
        stdout.contains("unknown variable `article.nope`"),
        "{stdout}"
    );
    assert!(stdout.trim_end().ends_with("2 error(s)"), "{stdout}");
}

#[test]
fn ask_prints_the_decision_as_json() {
    let (code, stdout, stderr) = firstline(&[
        "ask",
        "--at",
        "2026-11-23T10:00:00+01:00",
        "How much does shipping cost?",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let decision: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(decision["action"], "answered");
    assert_eq!(decision["locale"], "en");
    assert_eq!(decision["article"]["id"], "shipping-costs");
    assert!(decision["article"]["url"]
        .as_str()
        .unwrap()
        .starts_with("https://"));
    assert!(decision["confidence"].as_f64().unwrap() > 0.6);
    assert!(decision["replies"][1]["text"]
        .as_str()
        .unwrap()
        .contains("4.95"));
}

#[test]
fn ask_reports_a_handoff_with_queue_reason_priority_and_next_opening() {
    let (code, stdout, stderr) = firstline(&[
        "ask",
        "--at",
        "2026-11-22T03:00:00+01:00",
        "--locale",
        "fr",
        "--channel",
        "sms",
        "Je voudrais parler à un conseiller",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let decision: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(decision["action"], "handed_off");
    assert_eq!(decision["flow"], "human");
    let handoff = &decision["handoff"];
    assert_eq!(handoff["queue"], "support");
    assert_eq!(handoff["reason"], "customer_request");
    assert_eq!(handoff["priority"], "normal");
    assert_eq!(handoff["open_now"], false);
    assert_eq!(handoff["next_open_at"], "2026-11-23T07:00:00Z");
    assert!(decision["replies"]
        .as_array()
        .unwrap()
        .iter()
        .any(|reply| reply["text"].as_str().unwrap().contains("demain à 08:00")));
}

#[test]
fn ask_refuses_a_bad_clock_or_time_zone_clearly() {
    let (code, _, stderr) = firstline(&["ask", "--at", "next tuesday", "hello"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("is not an RFC 3339 time"), "{stderr}");
    let (code, _, stderr) = firstline(&["ask", "--timezone", "Mars/Olympus", "hello"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown time zone"), "{stderr}");
}

#[test]
fn ask_ends_quietly_when_the_reader_closes_the_pipe() {
    // `firstline ask … | head -1`: the reader is gone before the decision is printed.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_firstline"))
        .args(["ask", "--at", "2026-11-23T10:00:00+01:00", "hello"])
        .current_dir(crate::support::repo())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run firstline");
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("wait for firstline");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn test_transcript_shows_what_the_bot_said_at_every_turn() {
    let copy = ContentCopy::new();
    // A conversation without expectations: the author wants to see the bot's side.
    copy.write(
        "draft/shipping.yaml",
        "name: draft\nat: 2026-11-23T10:00:00+01:00\ncustomer: { name: Ana }\nturns:\n  - say: how much is shipping?\n  - wait: 2m\n    say: I want to talk to a person\n",
    );
    let config = copy.config();
    let draft = copy.dir().join("draft");
    let (code, stdout, stderr) = firstline(&[
        "test",
        "--transcript",
        "--config",
        config.to_str().unwrap(),
        draft.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("== draft ("), "{stdout}");
    assert!(stdout.contains("1> how much is shipping?"), "{stdout}");
    assert!(
        stdout.contains("[answered; article shipping-costs; confidence"),
        "{stdout}"
    );
    assert!(stdout.contains("| Hi Ana!"), "{stdout}");
    assert!(
        stdout.contains("2 (after 2m)> I want to talk to a person"),
        "{stdout}"
    );
    assert!(
        stdout.contains("[handed_off; flow human; queue support, reason customer_request;"),
        "{stdout}"
    );
    assert!(
        stdout.trim_end().ends_with("1 passed, 0 failed"),
        "{stdout}"
    );

    // Without the flag, only the outcome.
    let (code, stdout, _) = firstline(&[
        "test",
        "--config",
        config.to_str().unwrap(),
        draft.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert_eq!(stdout.trim(), "1 passed, 0 failed");
}
