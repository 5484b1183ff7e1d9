//! The intent model for small help centers: softmax regression over sparse TF-IDF features of
//! each alternate question (stemmed words, stemmed word pairs and character n-grams of words),
//! one class per article. Its probability is a confidence that knows about every other article.
//!
//! Deterministic: the same questions always train the same weights (fixed seed, fixed order).

use rustc_hash::FxHashMap as HashMap;

use tantivy::tokenizer::TextAnalyzer;

use crate::kb::analyzer;
use crate::kb::classifier::{hash, softmax};
use crate::text::fold;

/// Passes over the training questions, and the first pass's step size (then 1/epoch).
const EPOCHS: usize = 20;
const LEARNING_RATE: f32 = 4.0;
/// Character n-gram sizes taken from each word (padded with spaces).
const CHAR_NGRAMS: std::ops::RangeInclusive<usize> = 2..=5;

/// A sparse, L2-normalized feature vector.
type Features = Vec<(u32, f32)>;

pub struct Linear {
    /// Feature hash → column.
    columns: HashMap<u64, u32>,
    idf: Vec<f32>,
    /// `columns × classes`, row-major by column.
    weights: Vec<f32>,
    bias: Vec<f32>,
    /// Class → owner (global article index).
    owners: Vec<usize>,
    /// Stemming without stop-word removal: "how", "my", "not" matter to intent.
    stemmer: TextAnalyzer,
}

impl std::fmt::Debug for Linear {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Linear")
            .field("features", &self.idf.len())
            .field("classes", &self.owners.len())
            .finish()
    }
}

impl Linear {
    /// Trains on (owner, text) pairs. Returns `None` with fewer than two owners.
    pub fn train(stemmer: TextAnalyzer, examples: &[(usize, &str)]) -> Option<Linear> {
        let mut owners: Vec<usize> = examples.iter().map(|(owner, _)| *owner).collect();
        owners.sort_unstable();
        owners.dedup();
        if owners.len() < 2 {
            return None;
        }
        let class_of: std::collections::HashMap<usize, usize> = owners
            .iter()
            .enumerate()
            .map(|(class, owner)| (*owner, class))
            .collect();
        let raw: Vec<HashMap<u64, f32>> = examples
            .iter()
            .map(|(_, text)| counts(&stemmer, text))
            .collect();

        let mut columns: HashMap<u64, u32> = HashMap::default();
        let mut document_frequency: Vec<u32> = Vec::new();
        for features in &raw {
            for hash in features.keys() {
                let next = columns.len() as u32;
                let column = *columns.entry(*hash).or_insert(next);
                if column as usize == document_frequency.len() {
                    document_frequency.push(0);
                }
                document_frequency[column as usize] += 1;
            }
        }
        let documents = raw.len() as f32;
        let idf: Vec<f32> = document_frequency
            .iter()
            .map(|&df| ((1.0 + documents) / (1.0 + df as f32)).ln() + 1.0)
            .collect();
        let classes = owners.len();
        let mut model = Linear {
            columns,
            idf,
            weights: Vec::new(),
            bias: vec![0.0; classes],
            owners,
            stemmer,
        };
        model.weights = vec![0.0; model.idf.len() * classes];
        let vectors: Vec<(Features, usize)> = raw
            .iter()
            .zip(examples)
            .map(|(counts, (owner, _))| (model.vectorize(counts), class_of[owner]))
            .collect();

        let mut order: Vec<usize> = (0..vectors.len()).collect();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut probabilities = vec![0.0f32; classes];
        for epoch in 0..EPOCHS {
            shuffle(&mut order, &mut seed);
            let rate = LEARNING_RATE / (1.0 + epoch as f32);
            for &index in &order {
                let (features, class) = &vectors[index];
                model.scores_into(features, &mut probabilities);
                softmax(&mut probabilities);
                probabilities[*class] -= 1.0;
                for &(column, value) in features {
                    let row = &mut model.weights
                        [column as usize * classes..(column as usize + 1) * classes];
                    let step = rate * value;
                    for (weight, gradient) in row.iter_mut().zip(&probabilities) {
                        *weight -= step * gradient;
                    }
                }
                for (bias, gradient) in model.bias.iter_mut().zip(&probabilities) {
                    *bias -= rate * gradient;
                }
            }
        }
        Some(model)
    }

    /// Every owner's probability for the text, most likely first.
    pub fn predict(&self, text: &str) -> Vec<(usize, f32)> {
        let features = self.vectorize(&counts(&self.stemmer, text));
        let mut probabilities = vec![0.0f32; self.owners.len()];
        if features.is_empty() {
            // Nothing the model has seen: no opinion.
            return Vec::new();
        }
        self.scores_into(&features, &mut probabilities);
        softmax(&mut probabilities);
        let mut ranked: Vec<(usize, f32)> = probabilities
            .iter()
            .enumerate()
            .map(|(class, p)| (self.owners[class], *p))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
    }

    fn scores_into(&self, features: &[(u32, f32)], scores: &mut [f32]) {
        let classes = self.owners.len();
        scores.copy_from_slice(&self.bias);
        for &(column, value) in features {
            let row = &self.weights[column as usize * classes..(column as usize + 1) * classes];
            for (score, weight) in scores.iter_mut().zip(row) {
                *score += value * weight;
            }
        }
    }

    /// Sublinear TF-IDF over known features, L2-normalized.
    fn vectorize(&self, counts: &HashMap<u64, f32>) -> Features {
        let mut vector: Features = counts
            .iter()
            .filter_map(|(hash, count)| {
                let column = *self.columns.get(hash)?;
                Some((column, (1.0 + count.ln()) * self.idf[column as usize]))
            })
            .collect();
        let norm = vector.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            for (_, value) in &mut vector {
                *value /= norm;
            }
        }
        vector.sort_unstable_by_key(|(column, _)| *column);
        vector
    }
}

/// Feature counts of a text: stems, stem pairs, and character n-grams of folded words.
fn counts(stemmer: &TextAnalyzer, text: &str) -> HashMap<u64, f32> {
    let mut counts: HashMap<u64, f32> = HashMap::default();
    let mut add = |kind: u8, parts: &[&str]| {
        *counts.entry(hash(kind, parts)).or_default() += 1.0;
    };
    let stems: Vec<String> = analyzer::terms(stemmer, text)
        .into_iter()
        .map(|t| t.stem)
        .collect();
    for stem in &stems {
        add(b'w', &[stem]);
    }
    for pair in stems.windows(2) {
        add(b'b', &[&pair[0], &pair[1]]);
    }
    let folded = fold(text);
    for word in folded.split(' ').filter(|w| !w.is_empty()) {
        let padded: Vec<char> = std::iter::once(' ')
            .chain(word.chars())
            .chain(std::iter::once(' '))
            .collect();
        for size in CHAR_NGRAMS {
            for window in padded.windows(size) {
                let gram: String = window.iter().collect();
                add(b'c', &[&gram]);
            }
        }
    }
    counts
}

/// Fisher-Yates with xorshift: a fixed sequence for a fixed seed.
fn shuffle(order: &mut [usize], seed: &mut u64) {
    for i in (1..order.len()).rev() {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        let j = (*seed % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
}
