//! Question similarity: each "unit" (an article title, an alternate question, a flow example)
//! is a TF-IDF vector of stems; a customer question is scored against units by cosine
//! similarity through an inverted index. This is what turns retrieval into a confidence in
//! [0, 1] that means the same thing for every help center.

use rustc_hash::FxHashMap as HashMap;

/// A set of short texts, already analyzed into stems, each tagged with an owner index.
#[derive(Debug, Default, Clone)]
pub struct UnitSet {
    /// Per unit: its owner (article or flow index) and its vector norm.
    units: Vec<(usize, f32)>,
    /// stem → (unit, weight) postings.
    postings: HashMap<String, Vec<(u32, f32)>>,
    /// stem → inverse document frequency over units.
    idf: HashMap<String, f32>,
    /// The weight a stem never seen in any unit gets: it counts against the match.
    unseen_idf: f32,
    /// Each owner's units, as a range of unit indices (units are built owner by owner).
    ranges: HashMap<usize, (u32, u32)>,
}

impl UnitSet {
    /// Builds the set from (owner, stems) pairs; a given owner's units must be consecutive.
    pub fn build(units: Vec<(usize, Vec<String>)>) -> UnitSet {
        let count = units.len().max(1) as f32;
        let mut document_frequency: HashMap<&str, u32> = HashMap::default();
        let deduplicated: Vec<(usize, Vec<String>)> = units
            .into_iter()
            .map(|(owner, mut stems)| {
                stems.sort();
                stems.dedup();
                (owner, stems)
            })
            .collect();
        for (_, stems) in &deduplicated {
            for stem in stems {
                *document_frequency.entry(stem.as_str()).or_default() += 1;
            }
        }
        let idf: HashMap<String, f32> = document_frequency
            .iter()
            .map(|(stem, frequency)| (stem.to_string(), (1.0 + count / *frequency as f32).ln()))
            .collect();
        let mut set = UnitSet {
            units: Vec::with_capacity(deduplicated.len()),
            postings: HashMap::default(),
            unseen_idf: (1.0 + count).ln(),
            idf,
            ranges: HashMap::default(),
        };
        for (unit_index, (owner, stems)) in deduplicated.iter().enumerate() {
            let mut norm = 0.0;
            for stem in stems {
                let weight = set.idf[stem.as_str()];
                norm += weight * weight;
                set.postings
                    .entry(stem.clone())
                    .or_default()
                    .push((unit_index as u32, weight));
            }
            set.units.push((*owner, norm.sqrt()));
            let range = set
                .ranges
                .entry(*owner)
                .or_insert((unit_index as u32, unit_index as u32));
            range.1 = unit_index as u32 + 1;
        }
        set
    }

    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// The weight of a stem: rarer stems weigh more; unseen stems weigh the most.
    pub fn weight(&self, stem: &str) -> f32 {
        self.idf.get(stem).copied().unwrap_or(self.unseen_idf)
    }

    /// For each of `owners`, the best cosine similarity of any of its units to the query.
    /// Units are stored owner by owner, so each owner's units are one range of every posting
    /// list: only those ranges are read.
    pub fn best_for_owners(&self, query: &[String], owners: &[usize]) -> HashMap<usize, f32> {
        let mut unique: Vec<&String> = query.iter().collect();
        unique.sort();
        unique.dedup();
        let query_norm = unique
            .iter()
            .map(|stem| self.weight(stem).powi(2))
            .sum::<f32>()
            .sqrt();
        let mut best: HashMap<usize, f32> = HashMap::default();
        if query_norm == 0.0 {
            return best;
        }
        let lists: Vec<&Vec<(u32, f32)>> = unique
            .iter()
            .filter_map(|stem| self.postings.get(stem.as_str()))
            .collect();
        // Dot products of the current owner's units, indexed from its range's start.
        let mut dot: Vec<f32> = Vec::new();
        for &owner in owners {
            let Some(&(start, end)) = self.ranges.get(&owner) else {
                continue;
            };
            dot.clear();
            dot.resize((end - start) as usize, 0.0);
            for list in &lists {
                let from = list.partition_point(|(unit, _)| *unit < start);
                for &(unit, weight) in list[from..].iter().take_while(|(unit, _)| *unit < end) {
                    dot[(unit - start) as usize] += weight * weight;
                }
            }
            let mut top = 0.0f32;
            for (offset, &product) in dot.iter().enumerate() {
                let norm = self.units[start as usize + offset].1;
                if product > 0.0 && norm > 0.0 {
                    top = top.max((product / (query_norm * norm)).clamp(0.0, 1.0));
                }
            }
            if top > 0.0 {
                best.insert(owner, top);
            }
        }
        best
    }

    /// Every owner that has units.
    pub fn owners(&self) -> impl Iterator<Item = usize> + '_ {
        self.ranges.keys().copied()
    }
}
