//! Flow features through the real decision on a content copy with extra flows: example-phrase
//! triggers, `call` returning to its caller, every slot validator, and answer thresholds set
//! per locale and per article.

use firstline::engine::{self, Action, ConversationState};
use firstline::flow::spec::{OneOfSpec, RangeSpec, ValidatorSpec};
use firstline::flow::validate::Validator;

use crate::support::{at, converse, message, ContentCopy, OPEN};

#[test]
fn an_example_phrase_starts_its_flow_when_it_matches_better_than_any_article() {
    let copy = ContentCopy::new();
    copy.write(
        "flows/gift_wrap.yaml",
        "name: gift_wrap\ntriggers:\n  examples:\n    en: [can you wrap my present in gift paper, I want gift wrapping for my order]\nsteps:\n  - say: cancelled\n",
    );
    let content = copy.load().expect("loads");
    let decision = engine::decide(
        &content,
        &ConversationState::default(),
        &message("could you wrap the present in gift paper", None),
        at(OPEN),
    );
    assert_eq!(decision.action, Action::Flow);
    assert_eq!(decision.flow.as_deref(), Some("gift_wrap"));
    // An unrelated question still goes to the help center.
    let decision = engine::decide(
        &content,
        &ConversationState::default(),
        &message("How much does shipping cost?", None),
        at(OPEN),
    );
    assert_eq!(
        decision.article.map(|a| a.id),
        Some("shipping-costs".into())
    );
}

#[test]
fn a_called_flow_returns_to_the_step_after_the_call_even_across_turns() {
    let copy = ContentCopy::new();
    copy.write(
        "flows/outer.yaml",
        "name: outer\ntriggers:\n  keywords:\n    en: [start outer]\nsteps:\n  - call: inner\n  - set: { slot: outer_done, value: \"yes\" }\n  - say: cancelled\n",
    );
    copy.write(
        "flows/inner.yaml",
        "name: inner\nsteps:\n  - ask: { slot: email, prompt: invalid_answer, validate: { email: true } }\n",
    );
    let content = copy.load().expect("loads");
    let decisions = converse(
        &content,
        &[
            (OPEN, "start outer"),
            ("2026-11-23T10:01:00+01:00", "ana@example.com"),
        ],
        None,
    );
    assert_eq!(decisions[0].state.waiting.as_ref().unwrap().flow, "inner");
    assert_eq!(decisions[0].state.stack.len(), 1);
    let done = &decisions[1];
    assert_eq!(
        done.slots.get("email").map(String::as_str),
        Some("ana@example.com")
    );
    assert_eq!(
        done.slots.get("outer_done").map(String::as_str),
        Some("yes")
    );
    assert!(done.state.stack.is_empty() && done.state.waiting.is_none());
}

#[test]
fn a_flow_that_loops_forever_hands_off_instead_of_hanging() {
    let copy = ContentCopy::new();
    copy.write(
        "flows/loop.yaml",
        "name: loop\ntriggers:\n  keywords:\n    en: [spin forever]\nsteps:\n  - id: a\n    set: { slot: x, value: \"1\" }\n    next: b\n  - id: b\n    set: { slot: y, value: \"2\" }\n    next: a\n",
    );
    let content = copy.load().expect("loads");
    let decision = engine::decide(
        &content,
        &ConversationState::default(),
        &message("spin forever", None),
        at(OPEN),
    );
    assert_eq!(decision.action, Action::HandedOff);
    assert_eq!(decision.handoff.unwrap().reason, "flow_error");
}

fn validator(spec: ValidatorSpec) -> Validator {
    Validator::compile(&spec).expect("a valid validator")
}

#[test]
fn validators_accept_and_normalize_good_answers_and_refuse_bad_ones() {
    let email = validator(ValidatorSpec {
        email: Some(true),
        ..Default::default()
    });
    assert_eq!(
        email.check(" Ana@Example.COM "),
        Some("ana@example.com".into())
    );
    for bad in [
        "ana",
        "ana@",
        "@example.com",
        "ana@example",
        "a b@example.com",
        "ana@@example.com",
    ] {
        assert_eq!(email.check(bad), None, "{bad}");
    }
    let phone = validator(ValidatorSpec {
        phone: Some(true),
        ..Default::default()
    });
    assert_eq!(
        phone.check("+31 (20) 123-4567"),
        Some("+31201234567".into())
    );
    assert_eq!(phone.check("12345"), None);
    assert_eq!(phone.check("call me maybe"), None);
    let number = validator(ValidatorSpec {
        number: Some(RangeSpec {
            min: Some(1.0),
            max: Some(10.0),
        }),
        ..Default::default()
    });
    assert_eq!(number.check("7,5"), Some("7.5".into()));
    assert_eq!(number.check("11"), None);
    assert_eq!(number.check("NaN"), None);
    let length = validator(ValidatorSpec {
        length: Some(RangeSpec {
            min: Some(2.0),
            max: Some(5.0),
        }),
        ..Default::default()
    });
    assert_eq!(length.check("ñandú"), Some("ñandú".into()));
    assert_eq!(length.check("x"), None);
    let one_of = validator(ValidatorSpec {
        one_of: Some(OneOfSpec::List(vec!["small".into(), "large".into()])),
        ..Default::default()
    });
    assert_eq!(one_of.check("2"), Some("large".into()));
    assert_eq!(one_of.check("SMALL please"), Some("small".into()));
    assert_eq!(
        one_of.check("small or large"),
        None,
        "two options is ambiguous"
    );
    // Capture groups are joined: an order number written in two groups is one value.
    let order = validator(ValidatorSpec {
        regex: Some(r"(?:^|\D)(\d{4})[ .-]?(\d{4})(?:\D|$)".into()),
        ..Default::default()
    });
    for written in ["12345678", "1234 5678", "#1234-5678", "it's 1234.5678!"] {
        assert_eq!(order.check(written), Some("12345678".into()), "{written}");
    }
    for bad in ["1234567", "123456789", "06 12345 678", "1234  5678"] {
        assert_eq!(order.check(bad), None, "{bad}");
    }
    let whole = validator(ValidatorSpec {
        regex: Some(r"^[A-Z]{2}\d{4}$".into()),
        ..Default::default()
    });
    assert_eq!(whole.check("NL1234"), Some("NL1234".into()));
    let both = ValidatorSpec {
        email: Some(true),
        phone: Some(true),
        ..Default::default()
    };
    assert!(
        Validator::compile(&both).is_err(),
        "one validator per question"
    );
}

#[test]
fn answer_thresholds_can_be_set_per_locale_and_per_article() {
    let question = "which payment methods do you take";
    let copy = ContentCopy::new();
    let baseline = engine::decide(
        &copy.load().unwrap(),
        &ConversationState::default(),
        &message(question, Some("en")),
        at(OPEN),
    );
    assert_eq!(baseline.action, Action::Answered);
    // A locale that demands more than any confidence: suggest instead of answering.
    copy.edit(
        "firstline.yaml",
        "locale_thresholds: {}",
        "locale_thresholds: { en: { answer: 1.0, suggest: 0.3 } }",
    );
    let strict_locale = engine::decide(
        &copy.load().unwrap(),
        &ConversationState::default(),
        &message(question, Some("en")),
        at(OPEN),
    );
    assert_eq!(strict_locale.action, Action::Suggested);
    let spanish = engine::decide(
        &copy.load().unwrap(),
        &ConversationState::default(),
        &message("¿Puedo pagar con PayPal?", Some("es")),
        at(OPEN),
    );
    assert_eq!(
        spanish.action,
        Action::Answered,
        "other locales keep the global thresholds"
    );
    // An article that demands more than its confidence.
    let copy = ContentCopy::new();
    copy.edit(
        "kb/en/payment-methods.md",
        "queue: billing",
        "queue: billing\nthreshold: 1.0",
    );
    let strict_article = engine::decide(
        &copy.load().unwrap(),
        &ConversationState::default(),
        &message(question, Some("en")),
        at(OPEN),
    );
    assert_ne!(strict_article.action, Action::Answered);
}

#[test]
fn a_flow_phrase_tells_the_language_when_nothing_else_does() {
    let content = ContentCopy::new().load().expect("loads");
    // Four words the help centers barely know, and a verb form whatlang does not place.
    let decision = engine::decide(
        &content,
        &ConversationState::default(),
        &message("quisiera devolver unas sillas", None),
        at(OPEN),
    );
    assert_eq!(decision.locale.to_string(), "es");
    assert_eq!(decision.flow.as_deref(), Some("returns"));
    assert!(decision
        .replies
        .iter()
        .any(|r| r.text.contains("devolución")));

    let triggers = &content.triggers;
    use firstline::locale::Language;
    assert_eq!(
        triggers.phrase_language("je souhaite retourner deux chaises"),
        Some(Language::Fr)
    );
    // Single words tell nothing; phrases of two languages tell nothing.
    assert_eq!(triggers.phrase_language("mens"), None);
    assert_eq!(triggers.phrase_language("terugsturen"), None);
    assert_eq!(
        triggers.phrase_language("quiero devolver, I want to return"),
        None
    );
    // Hostile text: nothing, no panic.
    assert_eq!(triggers.phrase_language(""), None);
    assert_eq!(triggers.phrase_language(&"🙂".repeat(10_000)), None);
}
