//! `cargo bench --bench decision`: the cost of one decision (`engine::decide`) on the shipped
//! help center, as latency percentiles over many first messages. A plain harness: the target
//! is stated as a percentile, which this prints directly.

use std::path::Path;
use std::time::{Duration, Instant};

use firstline::content::Content;
use firstline::engine::{self, ConversationState, Customer, Inbound};

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
    let state = ConversationState::default();
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
    // Warm up caches and the allocator.
    for message in &messages {
        engine::decide(&content, &state, message, now);
    }
    let rounds = 2_000;
    let mut samples: Vec<Duration> = Vec::with_capacity(rounds * messages.len());
    for _ in 0..rounds {
        for message in &messages {
            let started = Instant::now();
            let decision = engine::decide(&content, &state, message, now);
            samples.push(started.elapsed());
            std::hint::black_box(decision);
        }
    }
    report(
        "decision, shipped help center (128 articles, 4 languages)",
        &mut samples,
    );
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
