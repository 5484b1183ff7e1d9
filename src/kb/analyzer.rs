//! One text analyzer per language: split on words, lowercase, drop stop words, stem, fold
//! accents. The same analyzer builds the index and reads customer text, which never passes
//! through a query parser: it is only ever cut into tokens here.

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language as StemLanguage, LowerCaser, RemoveLongFilter, SimpleTokenizer,
    Stemmer, StopWordFilter, TextAnalyzer,
};

use crate::locale::Language;
use crate::text::MAX_MATCH_CHARS;

/// A token of analyzed text: its stem and where the original word is in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub stem: String,
    pub from: usize,
    pub to: usize,
}

/// The tokenizer name registered in each language's tantivy index.
pub fn tokenizer_name(language: Language) -> String {
    format!("firstline_{}", language.code())
}

pub fn build(language: Language) -> TextAnalyzer {
    let stem_language = stem_language(language);
    let stop_words = StopWordFilter::new(stem_language)
        .unwrap_or_else(|| StopWordFilter::remove(Vec::<String>::new()));
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(stop_words)
        .filter(Stemmer::new(stem_language))
        .filter(AsciiFoldingFilter)
        .build()
}

/// Stemming without stop-word removal, for the intent model: small words carry intent there.
pub fn build_stemmer(language: Language) -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(Stemmer::new(stem_language(language)))
        .filter(AsciiFoldingFilter)
        .build()
}

/// Analyzes `text` (at most [`MAX_MATCH_CHARS`] characters of it) into terms.
pub fn terms(analyzer: &TextAnalyzer, text: &str) -> Vec<Term> {
    let end = text
        .char_indices()
        .nth(MAX_MATCH_CHARS)
        .map_or(text.len(), |(index, _)| index);
    let mut analyzer = analyzer.clone();
    let mut stream = analyzer.token_stream(&text[..end]);
    let mut out = Vec::new();
    while stream.advance() {
        let token = stream.token();
        out.push(Term {
            stem: token.text.clone(),
            from: token.offset_from,
            to: token.offset_to,
        });
    }
    out
}

fn stem_language(language: Language) -> StemLanguage {
    match language {
        Language::En => StemLanguage::English,
        Language::Es => StemLanguage::Spanish,
        Language::Fr => StemLanguage::French,
        Language::Nl => StemLanguage::Dutch,
        Language::De => StemLanguage::German,
        Language::Pt => StemLanguage::Portuguese,
    }
}
