//! The intent model learned from the help center itself at load time, one class per article.
//! It ranks articles far better than nearest-question similarity when articles have many
//! questions, and its confidence knows about every other article.
//!
//! Two models, chosen by how much there is to learn from: a small help center (a hand-written
//! FAQ) gets softmax regression ([`linear`](super::linear)), which is sure of itself from a few
//! questions per article; a large one gets a neural network with one hidden layer
//! ([`network`](super::network)), which needs the data and then ranks better.

use tantivy::tokenizer::TextAnalyzer;

use crate::kb::linear::Linear;
use crate::kb::network::Network;

/// Training questions (over all articles of one language) from which the network is used.
pub const LARGE_HELP_CENTER: usize = 1_000;

#[derive(Debug)]
pub enum Classifier {
    Linear(Linear),
    Network(Network),
}

impl Classifier {
    /// Trains on (owner, text) pairs. Returns `None` with fewer than two owners.
    pub fn train(stemmer: TextAnalyzer, examples: &[(usize, &str)]) -> Option<Classifier> {
        if examples.len() >= LARGE_HELP_CENTER {
            Network::train(stemmer, examples).map(Classifier::Network)
        } else {
            Linear::train(stemmer, examples).map(Classifier::Linear)
        }
    }

    /// Every owner's confidence for the text, most likely first.
    pub fn predict(&self, text: &str) -> Vec<(usize, f32)> {
        match self {
            Classifier::Linear(model) => model.predict(text),
            Classifier::Network(model) => model.predict(text),
        }
    }
}

/// FNV-1a over a kind byte and the parts, separated: stable across runs and platforms.
pub fn hash(kind: u8, parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |byte: u8| {
        hash ^= byte as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    };
    feed(kind);
    for part in parts {
        for byte in part.bytes() {
            feed(byte);
        }
        feed(0);
    }
    hash
}

pub fn softmax(scores: &mut [f32]) {
    let max = scores.iter().copied().fold(f32::MIN, f32::max);
    let mut sum = 0.0;
    for score in scores.iter_mut() {
        *score = (*score - max).exp();
        sum += *score;
    }
    for score in scores.iter_mut() {
        *score /= sum;
    }
}
