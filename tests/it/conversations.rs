//! The shipped conversation tests (`tests/conversations/`) pass, run the way `firstline test`
//! runs them, and the runner reports a failing expectation at its line.

use firstline::convtest;

use crate::support::{repo, shipped, ContentCopy};

#[test]
fn every_shipped_conversation_test_passes() {
    let files = convtest::collect(&[repo().join("tests/conversations")]);
    assert!(!files.is_empty());
    let mut report = String::new();
    for file in &files {
        let result = convtest::run_file(shipped(), file);
        for failure in &result.failures {
            report.push_str(&format!("{failure}\n"));
        }
    }
    assert!(
        report.is_empty(),
        "{} files, failures:\n{report}",
        files.len()
    );
}

#[test]
fn a_failing_expectation_is_reported_at_its_line() {
    let copy = ContentCopy::new();
    copy.write(
        "tests/conversations/wrong.yaml",
        "name: wrong\nat: 2026-11-23T10:00:00+01:00\nturns:\n  - say: How much does shipping cost?\n    expect:\n      action: handed_off\n      article: shipping-costs\n  - wait: 2h\n  - say: Can I pay with PayPal?\n    expect: { reply_matches: 'Bitcoin|Dogecoin' }\n",
    );
    let content = copy.load().expect("content loads");
    let result = convtest::run_file(&content, &copy.dir().join("tests/conversations/wrong.yaml"));
    let lines: Vec<String> = result.failures.iter().map(ToString::to_string).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].contains("wrong.yaml:6:15: expected action `handed_off`, got `answered`"),
        "{lines:?}"
    );
    assert!(
        lines[1].contains("wrong.yaml:10:") && lines[1].contains("does not match"),
        "{lines:?}"
    );
}

#[test]
fn a_malformed_test_file_is_a_failure_not_a_panic() {
    let copy = ContentCopy::new();
    copy.write(
        "tests/conversations/bad.yaml",
        "name: bad\nat: yesterday\nturns: []\n",
    );
    copy.write("tests/conversations/worse.yaml", "name: [unclosed\n");
    let content = copy.load().expect("content loads");
    for name in ["bad.yaml", "worse.yaml"] {
        let result =
            convtest::run_file(&content, &copy.dir().join("tests/conversations").join(name));
        assert_eq!(result.failures.len(), 1, "{name}");
    }
}

#[test]
fn a_test_can_say_what_the_helpdesk_answered_and_expect_the_hand_offs_fate() {
    let copy = ContentCopy::new();
    copy.write(
        "tests/conversations/delivery.yaml",
        "name: delivery\nat: 2026-11-23T10:00:00+01:00\nturns:\n  - say: I want to talk to a person\n    delivery: 503\n    expect: { delivery: delivered }\n  - say: How much does shipping cost?\n    delivery: 200\n",
    );
    let content = copy.load().expect("content loads");
    let result = convtest::run_file(
        &content,
        &copy.dir().join("tests/conversations/delivery.yaml"),
    );
    let lines: Vec<String> = result.failures.iter().map(ToString::to_string).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].contains("delivery.yaml:6:")
            && lines[0].contains("expected the delivery to be `delivered`, got `pending`"),
        "{lines:?}"
    );
    assert!(
        lines[1].contains("delivery.yaml:8:") && lines[1].contains("no hand-off to deliver"),
        "{lines:?}"
    );
}
