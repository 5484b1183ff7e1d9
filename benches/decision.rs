//! `cargo bench --bench decision`: the cost of one decision (`engine::decide`) on the shipped
//! help center, as latency percentiles over many first messages. A plain harness: the target
//! is stated as a percentile, which this prints directly.

use std::path::Path;
use std::time::{Duration, Instant};

use firstline::content::Content;
use firstline::engine::{self, ConversationState, Customer, Inbound};

/// The allocator the `firstline` binary uses, so the bench times what the server runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const QUESTIONS: [&str; 12] = [
    "How much does shipping cost?",
    "Can I pay with PayPal?",
    "How do I return an item?",
    "I forgot my password",
    "Where is my order?",
    "Do you ship to Germany?",
    "My parcel arrived damaged",
    "I want to talk to a person",
    "¿Cuánto cuesta el envío?",
    "Combien coûte la livraison ?",
    "Hoe lang duurt de levering?",
    "What is the meaning of life?",
];

fn main() {
    let content = Content::load(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/firstline.yaml"
    )))
    .unwrap_or_else(|diagnostics| panic!("{diagnostics}"));
    let now: jiff::Timestamp = "2026-11-23T10:00:00+01:00".parse().unwrap();
    let messages: Vec<Inbound> = QUESTIONS
        .iter()
        .map(|text| Inbound {
            channel: "whatsapp".into(),
            text: text.to_string(),
            customer: Customer {
                id: "bench".into(),
                name: Some("Ana".into()),
                locale: None,
                timezone: None,
            },
        })
        .collect();
    let mut samples = measure(&content, &messages, now, 2_000);
    let label = format!(
        "decision, shipped help center ({} articles, 4 languages)",
        content.help_center.articles().len()
    );
    report(&label, &mut samples);
    clinc150(now);
}

/// Times `rounds` passes over the messages, one decision at a time, after a warm-up pass.
fn measure(
    content: &Content,
    messages: &[Inbound],
    now: jiff::Timestamp,
    rounds: usize,
) -> Vec<Duration> {
    let state = ConversationState::default();
    for message in messages.iter().take(500) {
        engine::decide(content, &state, message, now);
    }
    let mut samples = Vec::with_capacity(rounds * messages.len());
    for _ in 0..rounds {
        for message in messages {
            let started = Instant::now();
            let decision = engine::decide(content, &state, message, now);
            samples.push(started.elapsed());
            std::hint::black_box(decision);
        }
    }
    samples
}

fn report(name: &str, samples: &mut [Duration]) {
    samples.sort();
    let at =
        |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1e6;
    let mean = samples.iter().map(Duration::as_secs_f64).sum::<f64>() / samples.len() as f64 * 1e6;
    println!(
        "{name}: n={} mean={mean:.1}us p50={:.1}us p90={:.1}us p99={:.1}us max={:.1}us",
        samples.len(),
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0)
    );
}

/// The CLINC150 help center (150 articles, 15,000 questions), when the data set sits beside
/// the repository in `../shared/benchmarks/clinc150/`; decisions on its test texts.
fn clinc150(now: jiff::Timestamp) {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/benchmarks/clinc150");
    let (Ok(train), Ok(test)) = (
        firstline::eval::read_examples(&folder.join("train.jsonl")),
        firstline::eval::read_examples(&folder.join("test.jsonl")),
    ) else {
        println!(
            "decision, CLINC150: skipped ({} not found)",
            folder.display()
        );
        return;
    };
    let locale = firstline::locale::Locale::parse("en").unwrap();
    let started = Instant::now();
    let content = firstline::eval::build_content(&train, &locale).unwrap();
    println!(
        "CLINC150 help center built in {} ms",
        started.elapsed().as_millis()
    );
    let messages: Vec<Inbound> = test
        .iter()
        .map(|example| Inbound {
            channel: "eval".into(),
            text: example.text.clone(),
            customer: Customer {
                id: "bench".into(),
                name: None,
                locale: Some("en".into()),
                timezone: None,
            },
        })
        .collect();
    let mut samples = measure(&content, &messages, now, 2);
    report(
        "decision, CLINC150 help center (150 articles, 15,000 questions)",
        &mut samples,
    );
}
