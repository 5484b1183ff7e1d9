//! Tests: `firstline eval` and the intent models behind it, on a generated labelled set large
//! enough for the neural network (a help center of over a thousand questions), through the
//! real decision path, and the command as a user runs it.

use firstline::eval::{evaluate, Example};

use crate::support::firstline;
use firstline::locale::Locale;

/// Twelve support intents, each with its own phrases; questions are phrase × frame.
const INTENTS: &[(&str, &[&str])] = &[
    (
        "refund",
        &[
            "get my money back",
            "receive a refund",
            "be refunded for the order",
            "claim a refund",
        ],
    ),
    (
        "shipping_cost",
        &[
            "know what delivery costs",
            "pay for shipping",
            "see the postage price",
            "find the shipping fee",
        ],
    ),
    (
        "track_order",
        &[
            "track my parcel",
            "see where my package is",
            "follow my delivery",
            "locate my shipment",
        ],
    ),
    (
        "reset_password",
        &[
            "reset my password",
            "recover my login",
            "change a forgotten password",
            "get back into my account",
        ],
    ),
    (
        "delete_account",
        &[
            "delete my account",
            "close my profile for good",
            "remove all my data",
            "erase my account",
        ],
    ),
    (
        "gift_card",
        &[
            "use a gift card",
            "redeem a voucher",
            "check my gift card balance",
            "pay with a gift voucher",
        ],
    ),
    (
        "damaged_item",
        &[
            "report a broken item",
            "complain that the product arrived damaged",
            "send back a cracked vase",
            "get a replacement for a damaged lamp",
        ],
    ),
    (
        "change_address",
        &[
            "change my delivery address",
            "update where the parcel goes",
            "ship to another street",
            "correct my postal address",
        ],
    ),
    (
        "invoice",
        &[
            "get an invoice",
            "download my receipt",
            "receive a vat invoice",
            "print the bill for my order",
        ],
    ),
    (
        "opening_hours",
        &[
            "know your opening times",
            "find out when the shop opens",
            "see your business hours",
            "know when support is open",
        ],
    ),
    (
        "discount_code",
        &[
            "apply a promo code",
            "use my discount coupon",
            "enter a voucher code at checkout",
            "get the coupon to work",
        ],
    ),
    (
        "size_guide",
        &[
            "find the right size",
            "read the size chart",
            "know which size fits me",
            "compare the sizes of the shirts",
        ],
    ),
];

const FRAMES: &[&str] = &[
    "how do i {}",
    "i want to {}",
    "can you help me {}",
    "please tell me how to {}",
    "is it possible to {}",
    "i would like to {} today",
    "what should i do to {}",
    "hello, i need to {}",
    "could i {} online",
    "where can i {}",
    "i am trying to {} but it fails",
    "need to {} asap",
    "quick question: can i {}",
    "why can't i {}",
    "help me {} please",
    "explain how to {}",
    "any way to {}",
    "i was wondering how to {}",
    "tell me the steps to {}",
    "do you let customers {}",
    "hi there, i'd like to {}",
    "what is the fastest way to {}",
    "i don't know how to {}",
    "show me how to {}",
    "can someone help me {}",
    "want to {} now",
];

/// Off-topic questions: nothing a shop's help center answers.
const OFF_TOPIC: &[&str] = &[
    "what is the capital city of australia",
    "write me a poem about the ocean waves",
    "how many moons does jupiter have",
    "who won the football world cup in 1998",
    "what is the square root of one hundred forty four",
    "recommend a good science fiction novel to read",
    "how do volcanoes erupt under the sea",
    "translate good morning into japanese for me",
    "what is the boiling point of water on everest",
    "tell me a joke about penguins and ice",
    "how long do elephants usually live in the wild",
    "what is the distance between earth and mars",
    "teach me the rules of chess openings",
    "which planet has the most beautiful rings",
    "how do bees make honey in the hive",
    "what language do people speak in brazil",
    "explain quantum entanglement in simple words",
    "what year did the roman empire fall",
    "how tall is the tallest tree on the planet",
    "suggest a recipe for vegetarian lasagna tonight",
];

fn example(text: String, label: &str) -> Example {
    Example {
        text,
        label: label.to_string(),
    }
}

/// (train, val, test): 12 × 90 training questions, 12 × 8 val and test, plus off-topic ones.
fn labelled_set() -> (Vec<Example>, Vec<Example>, Vec<Example>) {
    let (mut train, mut val, mut test) = (Vec::new(), Vec::new(), Vec::new());
    for (label, phrases) in INTENTS {
        let mut questions = Vec::new();
        for (p, phrase) in phrases.iter().enumerate() {
            for (f, frame) in FRAMES.iter().enumerate() {
                questions.push(((p * 7 + f * 3) % 11, frame.replace("{}", phrase)));
            }
        }
        for (slot, question) in questions {
            match slot {
                0 => val.push(example(question, label)),
                1 => test.push(example(question, label)),
                _ => train.push(example(question, label)),
            }
        }
    }
    for (index, text) in OFF_TOPIC.iter().enumerate() {
        let target = if index % 2 == 0 { &mut val } else { &mut test };
        target.push(example(text.to_string(), "oos"));
    }
    (train, val, test)
}

fn english() -> Locale {
    Locale::parse("en").expect("en is a locale")
}

#[test]
fn a_large_help_center_is_learned_and_scored_through_the_real_decision_path() {
    let (train, val, test) = labelled_set();
    assert!(train.len() >= firstline::kb::classifier::LARGE_HELP_CENTER);
    let report = evaluate(&train, &test, Some(&val), &english(), 0.5).expect("evaluates");
    assert_eq!(report.thresholds_from, "validation");
    assert_eq!(report.n_oos, OFF_TOPIC.len() / 2);
    assert!(report.n_in_scope > 50, "{report:?}");
    assert!(
        report.in_scope_accuracy >= 0.9,
        "questions phrased like the training ones are answered: {report:?}"
    );
    assert!(
        report.oos_recall >= 0.5,
        "off-topic questions are handed off: {report:?}"
    );
    assert!(report.p50_us > 0.0 && report.p99_us >= report.p50_us);
}

#[test]
fn the_chosen_operating_point_reaches_the_asked_recall_on_the_validation_set_itself() {
    let (train, val, _) = labelled_set();
    for wanted in [0.5, 0.8] {
        let report = evaluate(&train, &val, Some(&val), &english(), wanted).expect("evaluates");
        assert!(
            report.oos_recall + 1e-9 >= wanted,
            "asked {wanted}, the thresholds chosen on val hand off only {} of val: {report:?}",
            report.oos_recall
        );
    }
}

#[test]
fn the_same_questions_always_train_the_same_model() {
    let (train, val, test) = labelled_set();
    let first = evaluate(&train, &test, Some(&val), &english(), 0.0).expect("evaluates");
    let second = evaluate(&train, &test, Some(&val), &english(), 0.0).expect("evaluates");
    assert_eq!(first.in_scope_accuracy, second.in_scope_accuracy);
    assert_eq!(first.oos_recall, second.oos_recall);
    assert_eq!(first.thresholds.suggest, second.thresholds.suggest);
}

fn write_jsonl(dir: &std::path::Path, name: &str, examples: &[Example]) -> String {
    let text: String = examples
        .iter()
        .map(|e| serde_json::json!({"text": e.text, "label": e.label}).to_string() + "\n")
        .collect();
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path.display().to_string()
}

#[test]
fn the_command_prints_one_json_object_with_every_number() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (train, val, test) = labelled_set();
    let train = write_jsonl(dir.path(), "train.jsonl", &train);
    let val = write_jsonl(dir.path(), "val.jsonl", &val);
    let test = write_jsonl(dir.path(), "test.jsonl", &test);
    let errors = dir.path().join("errors.jsonl");
    let (code, stdout, stderr) = firstline(&[
        "eval",
        "--train",
        &train,
        "--val",
        &val,
        "--test",
        &test,
        "--json",
        "--errors",
        errors.to_str().expect("a UTF-8 path"),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    for key in [
        "in_scope_accuracy",
        "oos_recall",
        "n_in_scope",
        "n_oos",
        "thresholds",
        "p50_us",
        "p99_us",
    ] {
        assert!(report.get(key).is_some(), "{key} missing: {stdout}");
    }
    assert_eq!(report["thresholds_from"], "validation");

    // --errors lists exactly the texts the scores count as wrong, with what happened instead.
    let wrong = |share: &str, n: &str| {
        let n = report[n].as_f64().expect("a count");
        (n * (1.0 - report[share].as_f64().expect("a share"))).round() as usize
    };
    let expected = wrong("in_scope_accuracy", "n_in_scope") + wrong("oos_recall", "n_oos");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&errors)
        .expect("the errors file is written")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), expected, "{lines:?}");
    for line in &lines {
        assert!(
            line["text"].is_string() && line["label"].is_string(),
            "{line}"
        );
        assert!(line["action"].is_string(), "{line}");
        if line["label"] == "oos" {
            assert_ne!(line["action"], "handed_off", "{line}");
        } else {
            assert!(
                line["action"] == "handed_off" || line["article"] != line["label"],
                "a right answer listed as wrong: {line}"
            );
        }
    }
}

#[test]
fn a_bad_line_or_an_empty_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let good = dir.path().join("good.jsonl");
    std::fs::write(&good, "{\"text\": \"where is my parcel\", \"label\": \"track\"}\n{\"text\": \"refund please\", \"label\": \"refund\"}\n").unwrap();
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"text\": \"where is my parcel\", \"label\": \"track\"}\n\n{\"text\": \"no label\"}\n",
    )
    .unwrap();
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "\n\n").unwrap();
    let good = good.display().to_string();

    let (code, _, stderr) = firstline(&[
        "eval",
        "--train",
        &bad.display().to_string(),
        "--test",
        &good,
    ]);
    assert_ne!(code, 0);
    assert!(stderr.contains("bad.jsonl:3:"), "{stderr}");

    let (code, _, stderr) = firstline(&[
        "eval",
        "--train",
        &good,
        "--test",
        &empty.display().to_string(),
    ]);
    assert_ne!(code, 0);
    assert!(stderr.contains("no examples"), "{stderr}");

    let (code, _, stderr) = firstline(&[
        "eval",
        "--train",
        &good,
        "--test",
        "/nonexistent/test.jsonl",
    ]);
    assert_ne!(code, 0);
    assert!(stderr.contains("cannot read"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_huge_help_center_trains_in_fewer_passes_so_a_reload_stays_in_seconds() {
    use firstline::kb::network::epochs_for;
    assert_eq!(epochs_for(1_000), 40);
    assert_eq!(epochs_for(15_000), 40, "CLINC150's size gets every pass");
    assert_eq!(epochs_for(30_000), 20);
    assert_eq!(epochs_for(100_000), 6);
    assert_eq!(epochs_for(10_000_000), 3, "never fewer than three");
    assert_eq!(epochs_for(0), 40);
}
