//! Content loading as a whole: the shipped content is complete, and a broken copy reports
//! every problem at once, each with its file and position.

use firstline::locale::Locale;

use crate::support::{shipped, ContentCopy};

#[test]
fn shipped_content_loads_with_every_locale_complete() {
    let content = shipped();
    let settings = &content.settings;
    assert_eq!(
        settings
            .locales
            .iter()
            .map(Locale::to_string)
            .collect::<Vec<_>>(),
        ["en", "es", "fr", "nl"]
    );
    for locale in ["en", "es", "fr", "nl"] {
        let count = content
            .help_center
            .articles()
            .iter()
            .filter(|a| a.locale.as_str() == locale)
            .count();
        assert!(count >= 25, "{locale} has only {count} articles");
    }
    for name in [
        "order_status",
        "returns",
        "opening_hours",
        "human",
        "billing_person",
    ] {
        let flow = content
            .flows
            .get(name)
            .unwrap_or_else(|| panic!("flow {name} is shipped"));
        assert!(!flow.builtin, "{name} comes from flows/");
    }
    for name in ["first_contact", "didnt_understand", "cancel", "off_hours"] {
        assert!(
            content.flows.get(name).is_some_and(|f| f.builtin),
            "system flow {name}"
        );
    }
    assert_eq!(
        settings.queues.keys().collect::<Vec<_>>(),
        ["billing", "support"]
    );
    assert_eq!(content.version.len(), 12);
}

/// The version names the content, not where it lives: two copies in different directories
/// name the same version, and one changed byte names another.
#[test]
fn the_content_version_follows_the_bytes_not_the_directory() {
    let first = ContentCopy::new();
    let second = ContentCopy::new();
    let version = |copy: &ContentCopy| copy.load().expect("the copy loads").version;
    assert_eq!(version(&first), version(&second));
    assert_eq!(version(&first), shipped().version);
    second.edit(
        "kb/en/shipping-costs.md",
        "is shipping free",
        "is shipping free?",
    );
    assert_ne!(version(&first), version(&second));
}

#[test]
fn a_file_in_flows_overrides_the_system_flow_of_the_same_name() {
    let content = shipped();
    let human = content.flows.get("human").unwrap();
    assert!(human.file.ends_with("flows/human.yaml"));
    assert!(!human.builtin);
}

/// Breaks one thing in each file and expects each problem, at its position, in one report.
#[test]
fn every_problem_in_every_file_is_reported_at_once() {
    let copy = ContentCopy::new();
    // An unknown step reference and an invalid regex.
    copy.edit(
        "flows/order_status.yaml",
        "      on_fail: no_number",
        "      on_fail: nowhere",
    );
    copy.edit(
        "flows/order_status.yaml",
        r"(?:^|\D)(\d{4})[ .-]?(\d{4})(?:\D|$)",
        r"(?:^|\D)(\d{4})[ .-]?(\d{4}(?:\D|$)",
    );
    // An exception that is not a regex.
    copy.edit(
        "flows/human.yaml",
        r"'\b(are|r|were) (you|u)",
        r"'\b(are|r|were (you|u)",
    );
    // A value to remember with no slot to fill.
    copy.edit(
        "flows/order_number.yaml",
        r"(?P<order_number>(\d{4})[ .-]?(\d{4}))\b'",
        r"(\d{4})[ .-]?(\d{4})\b'",
    );
    // A queue that does not exist, and a duplicate step id.
    copy.edit(
        "flows/returns.yaml",
        "handoff: { queue: support, priority: high, reason: return_damaged }",
        "handoff: { queue: vip, priority: high, reason: return_damaged }",
    );
    copy.edit(
        "flows/returns.yaml",
        "  - id: wrong_item\n",
        "  - id: damaged\n",
    );
    // An unreachable step.
    copy.write(
        "flows/unreachable.yaml",
        "name: unreachable\nsteps:\n  - say: cancelled\n  - end: true\n  - id: orphan\n    say: cancelled\n",
    );
    // A template variable that cannot exist, and templates including each other.
    copy.write(
        "templates/en/answer.hbs",
        "{{article.nope}} {{article.url}}\n",
    );
    copy.write("templates/en/loop_a.hbs", "{{> loop_b}}\n");
    copy.write("templates/en/loop_b.hbs", "{{> loop_a}}\n");
    // A locale missing a template a flow uses.
    std::fs::remove_file(copy.dir().join("templates/nl/returns.damaged.hbs")).unwrap();
    // Overlapping intervals and an unknown time zone.
    copy.edit(
        "firstline.yaml",
        r#"fri: ["08:00-20:00", "21:00-01:00"]"#,
        r#"fri: ["08:00-20:00", "19:00-01:00"]"#,
    );
    copy.edit(
        "firstline.yaml",
        "    timezone: Europe/Amsterdam\n    weekly:\n      mon: [\"09:00",
        "    timezone: Europe/Atlantis\n    weekly:\n      mon: [\"09:00",
    );

    let report = copy
        .load()
        .expect_err("broken content must not load")
        .to_string();
    // The configuration is checked first: once it fails, fix it and the rest is reported.
    assert!(report.contains("firstline.yaml:"), "{report}");
    assert!(
        report.contains("intervals overlap on fri and fri"),
        "{report}"
    );
    assert!(
        report.contains("unknown time zone `Europe/Atlantis`"),
        "{report}"
    );
    let overlap_line = line_of(&report, "intervals overlap");
    assert!(
        overlap_line.starts_with(&format!("{}:", copy.config().display())),
        "{overlap_line}"
    );

    // With the configuration fixed, every content problem shows up together.
    copy.edit("firstline.yaml", r#""19:00-01:00""#, r#""21:00-01:00""#);
    copy.edit("firstline.yaml", "Europe/Atlantis", "Europe/Amsterdam");
    let report = copy
        .load()
        .expect_err("broken content must not load")
        .to_string();
    let expectations = [
        ("flows/order_status.yaml:", "unknown step `nowhere`"),
        ("flows/order_status.yaml:", "invalid regex"),
        ("flows/human.yaml:", "invalid regex"),
        ("flows/order_number.yaml:17:", "needs a named capture"),
        ("flows/returns.yaml:", "unknown queue `vip`"),
        ("flows/returns.yaml:", "duplicate step id `damaged`"),
        (
            "flows/unreachable.yaml:5:",
            "step `orphan` can never be reached",
        ),
        (
            "templates/en/answer.hbs:",
            "unknown variable `article.nope`",
        ),
        ("templates/en/loop_a.hbs:", "cycle"),
        (
            "flows/returns.yaml:",
            "template `returns.damaged` has no `nl` version",
        ),
    ];
    for (file, message) in expectations {
        assert!(
            report
                .lines()
                .any(|line| line.contains(file) && line.contains(message)),
            "`{message}` should point at {file}:\n{report}"
        );
    }
    // Positions are line:column for YAML problems.
    let position = line_of(&report, "unknown step `nowhere`");
    let after_file = position.split("flows/order_status.yaml:").nth(1).unwrap();
    let mut parts = after_file.splitn(3, ':');
    let line: usize = parts.next().unwrap().parse().expect("a line number");
    let column: usize = parts.next().unwrap().parse().expect("a column number");
    let source = copy.read("flows/order_status.yaml");
    let source_line = source.lines().nth(line - 1).unwrap();
    assert_eq!(&source_line[column - 1..], "nowhere", "{position}");
}

#[test]
fn unknown_keys_and_wrong_shapes_point_at_their_line() {
    let copy = ContentCopy::new();
    copy.edit(
        "flows/opening_hours.yaml",
        "  - id: open_now\n    say:",
        "  - id: open_now\n    sya: typo\n    say:",
    );
    let report = copy.load().expect_err("unknown key").to_string();
    let line = line_of(&report, "unknown field `sya`");
    let source = copy.read("flows/opening_hours.yaml");
    let expected = source
        .lines()
        .position(|l| l.contains("sya: typo"))
        .unwrap()
        + 1;
    assert!(
        line.contains(&format!("flows/opening_hours.yaml:{expected}:")),
        "{line}"
    );
}

#[test]
fn duplicate_article_ids_in_one_locale_are_reported() {
    let copy = ContentCopy::new();
    let text = copy.read("kb/en/gift-cards.md");
    copy.write("kb/en/gift-cards-copy.md", &text);
    let report = copy.load().expect_err("duplicate id").to_string();
    assert!(
        report.contains("duplicate article id `gift-cards`"),
        "{report}"
    );
}

#[test]
fn a_step_with_two_actions_or_none_is_an_error() {
    let copy = ContentCopy::new();
    copy.write(
        "flows/bad.yaml",
        "name: bad\nsteps:\n  - say: cancelled\n    end: true\n  - id: nothing\n",
    );
    let report = copy.load().expect_err("bad steps").to_string();
    assert!(report.contains("flows/bad.yaml:3:"), "{report}");
    assert!(
        report.contains("a step does one thing, this one has say and end"),
        "{report}"
    );
    assert!(report.contains("a step needs one of say"), "{report}");
}

#[test]
fn validators_and_conditions_are_checked() {
    let copy = ContentCopy::new();
    copy.write(
        "flows/checks.yaml",
        r#"name: checks
steps:
  - id: ask
    ask:
      slot: size
      prompt: cancelled
      validate: { number: { min: 10, max: 1 } }
  - branch:
      - when: { slot: never_filled, equals: x }
        goto: ask
      - when: { open: support, channel: sms }
        goto: ask
"#,
    );
    let report = copy
        .load()
        .expect_err("bad validator and conditions")
        .to_string();
    assert!(report.contains("min 10 is above max 1"), "{report}");
    assert!(
        report.contains("no flow fills the slot `never_filled`"),
        "{report}"
    );
    assert!(report.contains("a condition is one of"), "{report}");
}

#[test]
fn the_engine_templates_must_exist_in_every_locale() {
    let copy = ContentCopy::new();
    std::fs::remove_file(copy.dir().join("templates/fr/suggest.hbs")).unwrap();
    let report = copy
        .load()
        .expect_err("missing engine template")
        .to_string();
    assert!(
        report.contains("the engine needs template `suggest` in `fr`"),
        "{report}"
    );
}

#[test]
fn a_missing_content_folder_is_a_clear_error() {
    let copy = ContentCopy::new();
    std::fs::remove_dir_all(copy.dir().join("kb")).unwrap();
    let report = copy.load().expect_err("missing kb").to_string();
    assert!(
        report.contains("cannot read the help-center folder"),
        "{report}"
    );
}

fn line_of<'a>(report: &'a str, needle: &str) -> &'a str {
    report
        .lines()
        .find(|line| line.contains(needle))
        .unwrap_or_else(|| panic!("no line with `{needle}` in:\n{report}"))
}

#[test]
fn an_oversized_article_is_refused() {
    let copy = ContentCopy::new();
    let mut text = copy.read("kb/en/gift-cards.md");
    text.push_str(&"Gift cards are lovely. ".repeat(60_000));
    copy.write("kb/en/gift-cards.md", &text);
    let report = copy.load().expect_err("oversized article").to_string();
    assert!(
        report.contains("gift-cards.md: article is")
            && report.contains("more than the 1048576 allowed"),
        "{report}"
    );
}
