//! The intent model for large help centers: a neural network with one hidden layer over
//! sparse TF-IDF features of each alternate question, one output class per article.
//!
//! Features come in three views, each TF-IDF weighted (sublinear counts) and L2-normalized on
//! its own before the three are joined: folded words (single words, pairs, triples, pairs with
//! one or two words skipped, the first word), character 2–5-grams of each word, and stems
//! (single stems and adjacent pairs). Training is Adam on mini-batches with heavy dropout on
//! the input features (four of five are hidden from each example on each pass), so the model
//! learns to recognise a question from any part of it rather than from one memorised phrase.
//!
//! Its confidence is not the softmax probability, which is sure of itself far off topic, but
//! the energy of the scores (their log-sum-exp: how strongly anything fired), placed on a
//! 0–1 scale by where it falls among the training questions' own energies.
//!
//! Deterministic: the same questions always train the same weights (fixed seed, fixed order).

use rustc_hash::FxHashMap as HashMap;

use tantivy::tokenizer::TextAnalyzer;

use crate::kb::analyzer;
use crate::kb::classifier::{hash, softmax};
use crate::text::fold;

/// Hidden units.
const HIDDEN: usize = 256;
/// Passes over the training questions, and the most example-passes a training may take:
/// a help center far larger than 15,000 questions gets fewer passes (at least 3), so a reload
/// stays in seconds.
const EPOCHS: usize = 40;
const MIN_EPOCHS: usize = 3;
const EXAMPLE_PASSES: usize = 600_000;
/// Examples per Adam step.
const BATCH: usize = 32;
/// Adam's first step size; it falls linearly to zero over training.
const LEARNING_RATE: f32 = 2e-3;
/// Share of an example's input features hidden on each pass, and of hidden units.
const INPUT_DROPOUT: f32 = 0.8;
const HIDDEN_DROPOUT: f32 = 0.5;
/// A feature must appear in this many questions to be kept (one-off n-grams are noise, and
/// each kept feature costs `HIDDEN` weights); at most `MAX_FEATURES` are kept, the most
/// frequent (150,000 × 256 weights is 150 MB, three times that while training, a quarter once
/// trained and kept in 8 bits).
const MIN_DOCUMENT_FREQUENCY: u32 = 2;
const MAX_FEATURES: usize = 150_000;
/// Character n-gram sizes taken from each word (padded with boundary marks).
const CHAR_NGRAMS: std::ops::RangeInclusive<usize> = 2..=5;
/// Feature views: folded words, characters, stems.
const VIEWS: usize = 3;
/// The fixed seed of initialization, shuffling and dropout.
const SEED: u64 = 0x9e37_79b9_7f4a_7c15;

/// A sparse, L2-normalized feature vector: (column, value), columns ascending.
type Features = Vec<(u32, f32)>;
/// Feature hash → (view, count) of one text.
type Counts = HashMap<u64, (u8, f32)>;

pub struct Network {
    /// Feature hash → column.
    columns: HashMap<u64, u32>,
    idf: Vec<f32>,
    view: Vec<u8>,
    layers: Layers,
    /// Class → owner (global article index).
    owners: Vec<usize>,
    /// Where the training questions' energies sit: confidence 0.5 two standard deviations
    /// below their mean.
    energy_center: f32,
    energy_scale: f32,
    /// Stemming without stop-word removal: "how", "my", "not" matter to intent.
    stemmer: TextAnalyzer,
}

impl std::fmt::Debug for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Network")
            .field("features", &self.idf.len())
            .field("classes", &self.owners.len())
            .finish()
    }
}

impl Network {
    /// Trains on (owner, text) pairs. Returns `None` with fewer than two owners.
    pub fn train(stemmer: TextAnalyzer, examples: &[(usize, &str)]) -> Option<Network> {
        let mut owners: Vec<usize> = examples.iter().map(|(owner, _)| *owner).collect();
        owners.sort_unstable();
        owners.dedup();
        if owners.len() < 2 {
            return None;
        }
        let class_of: HashMap<usize, usize> = owners
            .iter()
            .enumerate()
            .map(|(class, owner)| (*owner, class))
            .collect();
        let raw: Vec<Counts> = examples
            .iter()
            .map(|(_, text)| counts(&stemmer, text))
            .collect();

        // Columns in first-seen order (deterministic), with document frequencies.
        let mut first_seen: HashMap<u64, usize> = HashMap::default();
        let mut seen: Vec<(u64, u8, u32)> = Vec::new();
        for features in &raw {
            let mut hashes: Vec<(&u64, &(u8, f32))> = features.iter().collect();
            hashes.sort_unstable_by_key(|(hash, _)| **hash);
            for (hash, (view, _)) in hashes {
                let slot = *first_seen.entry(*hash).or_insert_with(|| {
                    seen.push((*hash, *view, 0));
                    seen.len() - 1
                });
                seen[slot].2 += 1;
            }
        }
        seen.retain(|(_, _, df)| *df >= MIN_DOCUMENT_FREQUENCY);
        if seen.len() > MAX_FEATURES {
            // The most frequent, ties in first-seen order (a stable sort keeps it).
            seen.sort_by_key(|(_, _, df)| std::cmp::Reverse(*df));
            seen.truncate(MAX_FEATURES);
        }
        let documents = raw.len() as f32;
        let mut columns: HashMap<u64, u32> = HashMap::default();
        let mut idf = Vec::new();
        let mut view = Vec::new();
        for (hash, feature_view, df) in seen {
            columns.insert(hash, idf.len() as u32);
            idf.push(((1.0 + documents) / (1.0 + df as f32)).ln() + 1.0);
            view.push(feature_view);
        }
        let classes = owners.len();
        let mut random = Random(SEED);
        let mut model = Network {
            layers: Layers::new(idf.len(), classes, &mut random),
            energy_center: 0.0,
            energy_scale: 1.0,
            columns,
            idf,
            view,
            owners,
            stemmer,
        };
        let vectors: Vec<(Features, usize)> = raw
            .iter()
            .zip(examples)
            .map(|(counts, (owner, _))| (model.vectorize(counts), class_of[owner]))
            .collect();
        let started = std::time::Instant::now();
        Trainer::new(&model.layers).run(&mut model.layers, &vectors, &mut random);
        tracing::info!(
            questions = vectors.len(),
            articles = classes,
            features = model.idf.len(),
            passes = epochs_for(vectors.len()),
            ms = started.elapsed().as_millis() as u64,
            "intent network trained"
        );
        model.layers.quantize();
        let energies: Vec<f32> = vectors
            .iter()
            .map(|(features, _)| energy(&model.layers.scores(features)))
            .collect();
        let count = energies.len() as f32;
        let mean = energies.iter().sum::<f32>() / count;
        let variance = energies.iter().map(|e| (e - mean).powi(2)).sum::<f32>() / count;
        model.energy_scale = variance.sqrt().max(1e-3);
        model.energy_center = mean - 2.0 * model.energy_scale;
        Some(model)
    }

    /// Every owner's confidence for the text, most likely first: the top one's is the
    /// energy's place on the training scale, the others' in proportion to their probability.
    pub fn predict(&self, text: &str) -> Vec<(usize, f32)> {
        let features = self.vectorize(&counts(&self.stemmer, text));
        if features.is_empty() {
            // Nothing the model has seen: no opinion.
            return Vec::new();
        }
        let mut scores = self.layers.scores(&features);
        let sure =
            1.0 / (1.0 + (-(energy(&scores) - self.energy_center) / self.energy_scale).exp());
        softmax(&mut scores);
        let top = scores.iter().copied().fold(0.0f32, f32::max);
        let mut ranked: Vec<(usize, f32)> = scores
            .iter()
            .enumerate()
            .map(|(class, p)| (self.owners[class], p / top * sure))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
    }

    /// Sublinear TF-IDF over known features, each view L2-normalized, then the whole.
    fn vectorize(&self, counts: &Counts) -> Features {
        let mut vector: Features = counts
            .iter()
            .filter_map(|(hash, (_, count))| {
                let column = *self.columns.get(hash)?;
                Some((column, (1.0 + count.ln()) * self.idf[column as usize]))
            })
            .collect();
        let mut norms = [0.0f32; VIEWS];
        for (column, value) in &vector {
            norms[self.view[*column as usize] as usize] += value * value;
        }
        let present = norms.iter().filter(|n| **n > 0.0).count() as f32;
        for (column, value) in &mut vector {
            let norm = norms[self.view[*column as usize] as usize].sqrt();
            *value /= norm * present.sqrt();
        }
        vector.sort_unstable_by_key(|(column, _)| *column);
        vector
    }
}

/// One hidden layer of ReLU units between the sparse features and the class scores.
struct Layers {
    /// `features × HIDDEN`, row-major by feature column; emptied by `quantize` once trained.
    input: Vec<f32>,
    /// The trained `input` in 8 bits, each row scaled by its own largest weight: a quarter of
    /// the memory a decision reads (one random row per feature) and a reload holds twice.
    quantized: Vec<i8>,
    row_scale: Vec<f32>,
    input_bias: Vec<f32>,
    /// `HIDDEN × classes`, row-major by hidden unit.
    output: Vec<f32>,
    output_bias: Vec<f32>,
    classes: usize,
}

impl Layers {
    /// Small random weights (normal, scaled to the layer), zero biases.
    fn new(features: usize, classes: usize, random: &mut Random) -> Layers {
        Layers {
            input: (0..features * HIDDEN)
                .map(|_| random.normal() * 0.014)
                .collect(),
            quantized: Vec::new(),
            row_scale: Vec::new(),
            input_bias: vec![0.0; HIDDEN],
            output: (0..HIDDEN * classes)
                .map(|_| random.normal() / (HIDDEN as f32).sqrt())
                .collect(),
            output_bias: vec![0.0; classes],
            classes,
        }
    }

    /// Replaces the trained first layer by its 8-bit form (symmetric, per row).
    fn quantize(&mut self) {
        self.quantized = Vec::with_capacity(self.input.len());
        self.row_scale = Vec::with_capacity(self.input.len() / HIDDEN);
        for row in self.input.chunks_exact(HIDDEN) {
            let largest = row.iter().fold(0.0f32, |m, w| m.max(w.abs()));
            let scale = if largest > 0.0 { largest / 127.0 } else { 1.0 };
            self.row_scale.push(scale);
            self.quantized.extend(
                row.iter()
                    .map(|w| (w / scale).round().clamp(-127.0, 127.0) as i8),
            );
        }
        self.input = Vec::new();
    }

    /// The class scores of a feature vector, from the quantized first layer.
    fn scores(&self, features: &[(u32, f32)]) -> Vec<f32> {
        let mut hidden = self.input_bias.clone();
        for &(column, value) in features {
            let start = column as usize * HIDDEN;
            let row = &self.quantized[start..start + HIDDEN];
            let factor = value * self.row_scale[column as usize];
            for (unit, &weight) in hidden.iter_mut().zip(row) {
                *unit += factor * weight as f32;
            }
        }
        let mut scores = self.output_bias.clone();
        for (unit, &activation) in hidden.iter().enumerate() {
            if activation > 0.0 {
                axpy(activation, self.output_row(unit), &mut scores);
            }
        }
        scores
    }

    fn input_row(&self, column: u32) -> &[f32] {
        &self.input[column as usize * HIDDEN..(column as usize + 1) * HIDDEN]
    }

    fn output_row(&self, unit: usize) -> &[f32] {
        &self.output[unit * self.classes..(unit + 1) * self.classes]
    }
}

/// Adam's moment estimates and the scratch space of one training run; dropped afterwards.
struct Trainer {
    input_moments: Moments,
    input_bias_moments: Moments,
    output_moments: Moments,
    output_bias_moments: Moments,
    step: i32,
}

impl Trainer {
    fn new(model: &Layers) -> Trainer {
        Trainer {
            input_moments: Moments::new(model.input.len()),
            input_bias_moments: Moments::new(HIDDEN),
            output_moments: Moments::new(model.output.len()),
            output_bias_moments: Moments::new(model.output_bias.len()),
            step: 0,
        }
    }

    fn run(&mut self, model: &mut Layers, vectors: &[(Features, usize)], random: &mut Random) {
        let classes = model.classes;
        let batches_per_epoch = vectors.len().div_ceil(BATCH);
        let epochs = epochs_for(vectors.len());
        let total_steps = (epochs * batches_per_epoch) as f32;
        let keep_input = 1.0 - INPUT_DROPOUT;
        let keep_hidden = 1.0 - HIDDEN_DROPOUT;

        let mut order: Vec<usize> = (0..vectors.len()).collect();
        let mut output_gradient = vec![0.0f32; HIDDEN * classes];
        let mut output_bias_gradient = vec![0.0f32; classes];
        let mut input_bias_gradient = vec![0.0f32; HIDDEN];
        // Gradient rows of the input features seen in the batch.
        let mut row_of: HashMap<u32, usize> = HashMap::default();
        let mut touched: Vec<u32> = Vec::new();
        let mut row_gradients: Vec<f32> = Vec::new();
        let mut active: Vec<(u32, f32)> = Vec::new();
        let mut hidden = vec![0.0f32; HIDDEN];
        let mut hidden_gradient = vec![0.0f32; HIDDEN];
        let mut scores = vec![0.0f32; classes];

        for _ in 0..epochs {
            random.shuffle(&mut order);
            for batch in order.chunks(BATCH) {
                let rate = LEARNING_RATE * (1.0 - self.step as f32 / total_steps);
                let scale = 1.0 / batch.len() as f32;
                output_gradient.fill(0.0);
                output_bias_gradient.fill(0.0);
                input_bias_gradient.fill(0.0);
                row_of.clear();
                touched.clear();
                row_gradients.clear();
                for &index in batch {
                    let (features, class) = &vectors[index];
                    active.clear();
                    active.extend(
                        features
                            .iter()
                            .filter(|_| random.unit() >= INPUT_DROPOUT)
                            .map(|&(column, value)| (column, value / keep_input)),
                    );
                    // Forward, with dropout on the hidden units.
                    hidden.copy_from_slice(&model.input_bias);
                    for &(column, value) in &active {
                        axpy(value, model.input_row(column), &mut hidden);
                    }
                    for activation in hidden.iter_mut() {
                        let kept = random.unit() >= HIDDEN_DROPOUT;
                        *activation = if kept && *activation > 0.0 {
                            *activation / keep_hidden
                        } else {
                            0.0
                        };
                    }
                    scores.copy_from_slice(&model.output_bias);
                    for (unit, &activation) in hidden.iter().enumerate() {
                        if activation > 0.0 {
                            axpy(activation, model.output_row(unit), &mut scores);
                        }
                    }
                    // Backward: cross-entropy gradient on the scores, averaged over the batch.
                    softmax(&mut scores);
                    scores[*class] -= 1.0;
                    for score in scores.iter_mut() {
                        *score *= scale;
                    }
                    axpy(1.0, &scores, &mut output_bias_gradient);
                    for (unit, &activation) in hidden.iter().enumerate() {
                        if activation > 0.0 {
                            let row = &mut output_gradient[unit * classes..(unit + 1) * classes];
                            axpy(activation, &scores, row);
                            hidden_gradient[unit] =
                                dot(model.output_row(unit), &scores) / keep_hidden;
                        } else {
                            hidden_gradient[unit] = 0.0;
                        }
                    }
                    axpy(1.0, &hidden_gradient, &mut input_bias_gradient);
                    for &(column, value) in &active {
                        let slot = *row_of.entry(column).or_insert_with(|| {
                            touched.push(column);
                            row_gradients.resize(row_gradients.len() + HIDDEN, 0.0);
                            touched.len() - 1
                        });
                        axpy(
                            value,
                            &hidden_gradient,
                            &mut row_gradients[slot * HIDDEN..(slot + 1) * HIDDEN],
                        );
                    }
                }
                self.step += 1;
                let adam = Adam::new(self.step, rate);
                adam.update(
                    &mut model.output,
                    &output_gradient,
                    &mut self.output_moments,
                    0,
                );
                adam.update(
                    &mut model.output_bias,
                    &output_bias_gradient,
                    &mut self.output_bias_moments,
                    0,
                );
                adam.update(
                    &mut model.input_bias,
                    &input_bias_gradient,
                    &mut self.input_bias_moments,
                    0,
                );
                // Only the rows of features in the batch move (lazy Adam).
                for (slot, &column) in touched.iter().enumerate() {
                    let start = column as usize * HIDDEN;
                    adam.update(
                        &mut model.input[start..start + HIDDEN],
                        &row_gradients[slot * HIDDEN..(slot + 1) * HIDDEN],
                        &mut self.input_moments,
                        start,
                    );
                }
            }
        }
    }
}

struct Moments {
    first: Vec<f32>,
    second: Vec<f32>,
}

impl Moments {
    fn new(len: usize) -> Moments {
        Moments {
            first: vec![0.0; len],
            second: vec![0.0; len],
        }
    }
}

/// One Adam step's constants (β1 0.9, β2 0.999, bias-corrected).
struct Adam {
    rate: f32,
    first_correction: f32,
    second_correction: f32,
}

impl Adam {
    const BETA1: f32 = 0.9;
    const BETA2: f32 = 0.999;
    const EPSILON: f32 = 1e-8;

    fn new(step: i32, rate: f32) -> Adam {
        Adam {
            rate,
            first_correction: 1.0 - Self::BETA1.powi(step),
            second_correction: 1.0 - Self::BETA2.powi(step),
        }
    }

    /// Updates `parameters` with `gradient`, using the moments from `offset` on.
    fn update(
        &self,
        parameters: &mut [f32],
        gradient: &[f32],
        moments: &mut Moments,
        offset: usize,
    ) {
        let end = offset + parameters.len();
        let first = &mut moments.first[offset..end];
        let second = &mut moments.second[offset..end];
        let step = self.rate / self.first_correction;
        let second_scale = 1.0 / self.second_correction;
        for (((parameter, &g), m), v) in parameters
            .iter_mut()
            .zip(gradient)
            .zip(first.iter_mut())
            .zip(second.iter_mut())
        {
            *m = Self::BETA1 * *m + (1.0 - Self::BETA1) * g;
            *v = Self::BETA2 * *v + (1.0 - Self::BETA2) * g * g;
            *parameter -= step * *m / ((*v * second_scale).sqrt() + Self::EPSILON);
        }
    }
}

/// `y += a·x`.
fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

/// `x · y`, summed in eight lanes so the compiler can use vector instructions (a single
/// running sum has to be added in order, one element at a time).
fn dot(x: &[f32], y: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (x_chunks, y_chunks) = (x.chunks_exact(8), y.chunks_exact(8));
    let tail: f32 = x_chunks
        .remainder()
        .iter()
        .zip(y_chunks.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in x_chunks.zip(y_chunks) {
        for lane in 0..8 {
            lanes[lane] += x[lane] * y[lane];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// Feature counts of a text in the three views.
fn counts(stemmer: &TextAnalyzer, text: &str) -> Counts {
    let mut counts: Counts = HashMap::default();
    let mut add = |view: u8, kind: u8, parts: &[&str]| {
        counts.entry(hash(kind, parts)).or_insert((view, 0.0)).1 += 1.0;
    };
    let folded = fold(text);
    let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    // View 0: words and their order.
    if let Some(first) = words.first() {
        add(0, b'^', &[first]);
    }
    for (i, word) in words.iter().enumerate() {
        add(0, b'1', &[word]);
        if let Some(next) = words.get(i + 1) {
            add(0, b'2', &[word, next]);
        }
        if let Some(third) = words.get(i + 2) {
            add(0, b'3', &[word, words[i + 1], third]);
            add(0, b'k', &[word, third]);
        }
        if let Some(fourth) = words.get(i + 3) {
            add(0, b'K', &[word, fourth]);
        }
    }
    // View 1: character n-grams of each word.
    let mut padded: Vec<char> = Vec::new();
    let mut gram = String::new();
    for word in &words {
        padded.clear();
        padded.push('<');
        padded.extend(word.chars());
        padded.push('>');
        for size in CHAR_NGRAMS {
            for window in padded.windows(size) {
                gram.clear();
                gram.extend(window);
                add(1, b'c', &[&gram]);
            }
        }
    }
    // View 2: stems and stem pairs.
    let stems: Vec<String> = analyzer::terms(stemmer, text)
        .into_iter()
        .map(|t| t.stem)
        .collect();
    for stem in &stems {
        add(2, b's', &[stem]);
    }
    for pair in stems.windows(2) {
        add(2, b'p', &[&pair[0], &pair[1]]);
    }
    counts
}

/// Training passes for a help center of `examples` questions.
pub fn epochs_for(examples: usize) -> usize {
    (EXAMPLE_PASSES / examples.max(1)).clamp(MIN_EPOCHS, EPOCHS)
}

/// Log-sum-exp of the scores: high when some class fired strongly.
fn energy(scores: &[f32]) -> f32 {
    let max = scores.iter().copied().fold(f32::MIN, f32::max);
    max + scores.iter().map(|s| (s - max).exp()).sum::<f32>().ln()
}

/// xorshift64*: a fixed sequence for a fixed seed.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f32 {
        let u = 1.0 - self.unit();
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
    }

    /// Fisher–Yates.
    fn shuffle(&mut self, order: &mut [usize]) {
        for i in (1..order.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            order.swap(i, j);
        }
    }
}
