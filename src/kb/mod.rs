//! The help center: Markdown articles with YAML front matter, indexed with tantivy (one index
//! and one analyzer per language), searched with queries built from analyzed tokens — never
//! from a query parser — and re-scored into a confidence in [0, 1].
//!
//! Loading reads files; searching is pure and needs no I/O. No HTTP or decision logic here.

pub mod analyzer;
pub mod classifier;
pub mod linear;
pub mod network;
pub mod similarity;
pub mod synonyms;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use serde::{Deserialize, Serialize};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, STORED,
};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{doc, Index, IndexReader, ReloadPolicy, Term as IndexTerm};

use crate::diag::Diagnostics;
use crate::locale::{Language, Locale};
use crate::yaml;

use self::classifier::Classifier;
use self::similarity::UnitSet;
use self::synonyms::Synonyms;

/// How many articles BM25 retrieval hands to the re-scorer.
const CANDIDATES: usize = 10;
/// How much the intent model's confidence weighs in the final confidence; the rest is
/// question similarity (with coverage and margin). The linear model of a small help center
/// is trusted less the fewer questions it learned from: `MODEL_WEIGHT` from
/// `FULL_TRUST_QUESTIONS` questions per article. The network of a large one weighs
/// `NETWORK_WEIGHT` (chosen on CLINC150's validation set, never its test set).
const MODEL_WEIGHT: f32 = 0.6;
const FULL_TRUST_QUESTIONS: f32 = 50.0;
const NETWORK_WEIGHT: f32 = 0.8;
/// A lead in question similarity this large over the runner-up counts as fully unambiguous.
const MARGIN_SCALE: f32 = 0.3;
/// The largest article file accepted.
const MAX_ARTICLE_BYTES: u64 = 1024 * 1024;
/// The most alternate questions one article may have.
const MAX_QUESTIONS: usize = 2_000;

/// One help-center article in one locale.
#[derive(Debug, Clone)]
pub struct Article {
    pub id: String,
    pub locale: Locale,
    pub language: Language,
    pub title: String,
    pub questions: Vec<String>,
    pub tags: Vec<String>,
    pub url: String,
    /// Answer threshold for this article, overriding the locale's and the global one.
    pub threshold: Option<f32>,
    pub queue: Option<String>,
    /// A case the team resolves (a damaged item, a missing parcel): a long message that
    /// reports it, with the details the answer would ask for, goes to a person at this
    /// priority rather than being told to contact the team (`front matter: report`).
    pub report: Option<crate::flow::Priority>,
    /// The Markdown body, and its first paragraph as plain text: what the bot sends.
    pub body: String,
    pub answer: String,
    pub file: PathBuf,
}

/// A search result: the article, how sure the match is, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    #[serde(skip)]
    pub article: usize,
    pub id: String,
    pub title: String,
    pub url: String,
    pub confidence: f32,
    pub snippet: String,
    pub matched_terms: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    id: String,
    locale: String,
    title: String,
    #[serde(default)]
    questions: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    url: String,
    threshold: Option<f32>,
    queue: Option<String>,
    /// `low`, `normal`, `high` or `urgent`: see `Article::report`.
    report: Option<String>,
}

/// All articles, and one search index per language that has articles.
pub struct HelpCenter {
    articles: Vec<Article>,
    indexes: HashMap<Language, LanguageIndex>,
}

struct LanguageIndex {
    analyzer: TextAnalyzer,
    reader: IndexReader,
    /// Per segment, per document: the global article index.
    articles_by_doc: Vec<Vec<usize>>,
    fields: Fields,
    units: UnitSet,
    /// Every stem of each article (title, questions, body), by global article index.
    article_stems: HashMap<usize, HashSet<String>>,
    /// Every folded surface word of the language's articles, to recognize the language.
    vocabulary: HashSet<String>,
    /// Each article's body sentences with their stems, for snippets.
    sentences: HashMap<usize, Vec<Sentence>>,
    /// Each article's short answer and later passages, read without synonyms, for details.
    passages: HashMap<usize, Passages>,
    /// How many of the language's articles use each stem (read without synonyms).
    stem_articles: HashMap<String, usize>,
    /// The terms the questions field and the body field hold.
    indexed_terms: [HashSet<Box<[u8]>>; 2],
    /// The intent model learned from titles and questions (none with a single article).
    classifier: Option<Classifier>,
    /// How much the model's confidence weighs in a confidence (see `MODEL_WEIGHT` and
    /// `NETWORK_WEIGHT`).
    model_weight: f32,
    /// The words customers use for the articles' words, read as them on both sides.
    synonyms: Synonyms,
}

#[derive(Clone, Copy)]
struct Fields {
    ord: Field,
    /// The title and the alternate questions: every way customers ask.
    questions: Field,
    body: Field,
}

impl std::fmt::Debug for HelpCenter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HelpCenter")
            .field("articles", &self.articles.len())
            .field("languages", &self.indexes.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Reads every `kb/<locale>/*.md` file. Problems go to `diagnostics`; good articles are kept.
pub fn load_articles(
    dir: &Path,
    locales: &[Locale],
    diagnostics: &mut Diagnostics,
) -> Vec<Article> {
    let mut articles = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => {
            diagnostics.error(
                dir,
                None,
                format!("cannot read the help-center folder: {error}"),
            );
            return articles;
        }
    };
    let mut folders: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    folders.sort();
    for folder in folders {
        if !folder.is_dir() {
            continue;
        }
        let name = folder.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let Some(locale) = Locale::parse(name).filter(|l| locales.contains(l)) else {
            diagnostics.error(
                &folder,
                None,
                format!(
                    "`{name}` is not one of the configured locales ({})",
                    join_locales(locales)
                ),
            );
            continue;
        };
        let mut files: Vec<PathBuf> = match std::fs::read_dir(&folder) {
            Ok(entries) => entries.filter_map(|e| e.ok()).map(|e| e.path()).collect(),
            Err(error) => {
                diagnostics.error(&folder, None, format!("cannot read: {error}"));
                continue;
            }
        };
        files.sort();
        for file in files {
            if file.extension().and_then(|e| e.to_str()) != Some("md") {
                continue;
            }
            let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
            if size > MAX_ARTICLE_BYTES {
                diagnostics.error(
                    &file,
                    None,
                    format!("article is {size} bytes, more than the {MAX_ARTICLE_BYTES} allowed"),
                );
                continue;
            }
            match std::fs::read_to_string(&file) {
                Ok(text) => {
                    if let Some(article) = parse_article(&file, &text, &locale, diagnostics) {
                        articles.push(article);
                    }
                }
                Err(error) => diagnostics.error(&file, None, format!("cannot read: {error}")),
            }
        }
    }
    let mut seen: HashMap<(String, Locale), PathBuf> = HashMap::default();
    for article in &articles {
        if let Some(other) = seen.insert(
            (article.id.clone(), article.locale.clone()),
            article.file.clone(),
        ) {
            diagnostics.error(
                &article.file,
                Some((2, 1)),
                format!(
                    "duplicate article id `{}` (also in {})",
                    article.id,
                    other.display()
                ),
            );
        }
    }
    articles
}

/// Parses one article file; `folder_locale` is the locale its folder names.
pub fn parse_article(
    file: &Path,
    text: &str,
    folder_locale: &Locale,
    diagnostics: &mut Diagnostics,
) -> Option<Article> {
    let Some((front, body)) = split_front_matter(text) else {
        diagnostics.error(
            file,
            Some((1, 1)),
            "an article starts with `---`, YAML front matter, and `---`",
        );
        return None;
    };
    let (meta, positions) = match yaml::parse::<FrontMatter>(file, front, 1) {
        Ok(parsed) => parsed,
        Err(diagnostic) => {
            diagnostics.push(diagnostic);
            return None;
        }
    };
    let before = diagnostics.len();
    let mut error =
        |path: &str, message: String| diagnostics.error(file, positions.at(path), message);
    if meta.id.is_empty()
        || !meta
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        error(
            "id",
            format!(
                "article id `{}` must be lowercase letters, digits and `-`",
                meta.id
            ),
        );
    }
    let locale = Locale::parse(&meta.locale);
    match &locale {
        None => error("locale", format!("`{}` is not a locale", meta.locale)),
        Some(locale) if locale != folder_locale => error(
            "locale",
            format!("locale `{locale}` does not match the folder `{folder_locale}`"),
        ),
        _ => {}
    }
    let language = folder_locale.language();
    if language.is_none() {
        error(
            "locale",
            format!("no analyzer for the language of `{folder_locale}`"),
        );
    }
    if meta.title.trim().is_empty() {
        error("title", "the title is empty".into());
    }
    if meta.questions.is_empty() {
        error(
            "questions",
            "list at least one other way customers ask this question".into(),
        );
    }
    if meta.questions.len() > MAX_QUESTIONS {
        error("questions", format!("more than {MAX_QUESTIONS} questions"));
    }
    for (index, question) in meta.questions.iter().enumerate() {
        if question.trim().is_empty() {
            error(&format!("questions.{index}"), "empty question".into());
        }
    }
    if !(meta.url.starts_with("https://") || meta.url.starts_with("http://"))
        || meta.url.contains(char::is_whitespace)
    {
        error(
            "url",
            format!("`{}` is not an absolute http(s) URL", meta.url),
        );
    }
    if let Some(threshold) = meta.threshold {
        if !(threshold > 0.0 && threshold <= 1.0) {
            error("threshold", "a threshold is a number in (0, 1]".into());
        }
    }
    let report = meta.report.as_deref().and_then(|text| {
        let priority = crate::flow::Priority::parse(text);
        if priority.is_none() {
            error(
                "report",
                format!("`{text}` is not a priority (low, normal, high or urgent)"),
            );
        }
        priority
    });
    let answer = first_paragraph(body);
    if answer.is_empty() {
        diagnostics.error(
            file,
            None,
            "the article has no body: its first paragraph is the answer",
        );
    }
    if diagnostics.len() > before {
        return None;
    }
    Some(Article {
        id: meta.id,
        locale: folder_locale.clone(),
        language: language?,
        title: meta.title.trim().to_string(),
        questions: meta
            .questions
            .into_iter()
            .map(|q| q.trim().to_string())
            .collect(),
        tags: meta.tags,
        url: meta.url,
        threshold: meta.threshold,
        queue: meta.queue,
        report,
        body: body.to_string(),
        answer,
        file: file.to_path_buf(),
    })
}

/// A text as the help center searches and indexes it. An order, phone or account number says
/// which, not what: no article has it, and left in it only dilutes the words that ask ("an
/// invoice for order 12345678"). So does a code in capitals and digits ("the code WELCOME10
/// says invalid"). A product's name is read as the word the articles use for it ("lamp" as
/// "item", see `synonyms`).
fn reading<'a>(synonyms: &Synonyms, text: &'a str) -> std::borrow::Cow<'a, str> {
    use std::borrow::Cow;
    match without_identifiers(text) {
        Cow::Borrowed(text) => synonyms.rewrite(text),
        Cow::Owned(text) => Cow::Owned(synonyms.rewrite(&text).into_owned()),
    }
}

/// The text with identifiers replaced by a space: every run of six digits or more (order,
/// phone, account numbers) and every word of five characters or more made of capitals and
/// digits with at least two of each (discount, gift card and tracking codes: "WELCOME10",
/// "3SABC12"). Shorter numbers ("30 days", "4.95") and words ("24H", "A4") stay.
fn without_identifiers(text: &str) -> std::borrow::Cow<'_, str> {
    static IDENTIFIER: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"[0-9]{6,}|\b[A-Z0-9]*[0-9][A-Z0-9]*\b").expect("a valid pattern")
    });
    // Most texts have no digit at all, and no identifier.
    if !text.bytes().any(|b| b.is_ascii_digit()) {
        return std::borrow::Cow::Borrowed(text);
    }
    let is_identifier = |found: &str| {
        let digits = found.bytes().filter(u8::is_ascii_digit).count();
        digits >= 6 || (found.len() >= 5 && digits >= 2 && found.len() - digits >= 2)
    };
    if !IDENTIFIER
        .find_iter(text)
        .any(|found| is_identifier(found.as_str()))
    {
        return std::borrow::Cow::Borrowed(text);
    }
    IDENTIFIER.replace_all(text, |found: &regex::Captures| {
        if is_identifier(&found[0]) {
            " ".to_string()
        } else {
            found[0].to_string()
        }
    })
}

/// Word counts behind a language guess.
struct VocabularyGuess {
    language: Language,
    /// Words of the text (numbers left out).
    words: usize,
    /// Words some help center knows (counted for the lenient reading only).
    known: usize,
    /// Words the best language's help center knows.
    best: usize,
    runner_up: usize,
}

impl HelpCenter {
    /// Indexes articles: one tantivy index and one question-similarity set per language.
    pub fn build(articles: Vec<Article>) -> tantivy::Result<HelpCenter> {
        Self::build_with_synonyms(articles, BTreeMap::new())
    }

    /// Indexes articles, reading each language's synonyms as the words they are listed under.
    pub fn build_with_synonyms(
        articles: Vec<Article>,
        mut synonyms: BTreeMap<Language, Synonyms>,
    ) -> tantivy::Result<HelpCenter> {
        let mut by_language: BTreeMap<Language, Vec<usize>> = BTreeMap::new();
        for (index, article) in articles.iter().enumerate() {
            by_language.entry(article.language).or_default().push(index);
        }
        let mut indexes = HashMap::default();
        for (language, members) in by_language {
            let synonyms = synonyms
                .remove(&language)
                .unwrap_or_else(|| Synonyms::none(language));
            indexes.insert(
                language,
                LanguageIndex::build(language, &articles, &members, synonyms)?,
            );
        }
        Ok(HelpCenter { articles, indexes })
    }

    pub fn articles(&self) -> &[Article] {
        &self.articles
    }

    pub fn article(&self, index: usize) -> &Article {
        &self.articles[index]
    }

    pub fn has_language(&self, language: Language) -> bool {
        self.indexes.contains_key(&language)
    }

    /// The language whose help-center vocabulary covers the text best, when one clearly does:
    /// at least two words, most of them known in that language, and more than in any other.
    pub fn guess_language(&self, text: &str) -> Option<Language> {
        let guess = self.vocabulary_guess(text, false)?;
        tracing::debug!(
            words = guess.words,
            best = guess.best,
            runner_up = guess.runner_up,
            language = ?guess.language,
            "language guess"
        );
        let clear = if guess.words == 1 {
            guess.best == 1 && guess.runner_up == 0
        } else {
            guess.best * 2 >= guess.words && guess.best > guess.runner_up
        };
        clear.then_some(guess.language)
    }

    /// A weaker reading of the same evidence, for text nothing else could place: the words
    /// no help center knows ("emportez", "matelas", "matrassen") are left out, and the
    /// language that has most of the rest, and more of them than any other, wins. "vous
    /// emportez l'ancien matelas ?" is French by "vous" alone; "je" and "un" make "je cherche
    /// un tapis rouge" French rather than Dutch ("je") or Spanish ("un").
    pub fn lean_language(&self, text: &str) -> Option<Language> {
        let guess = self.vocabulary_guess(text, true)?;
        (guess.words >= 2 && guess.best * 2 >= guess.known && guess.best > guess.runner_up)
            .then_some(guess.language)
    }

    /// How many of the text's words each language's help center knows. `None` for a text
    /// without words, or of one word shorter than six letters ("ok", "no" and "paypal" tell
    /// nothing; "verzendkosten" and "reembolso" do).
    fn vocabulary_guess(&self, text: &str, lenient: bool) -> Option<VocabularyGuess> {
        let folded = crate::text::fold(text);
        // "ok" is written in every language: a help center that happens to use it says
        // nothing about the customer's.
        let words: Vec<&str> = folded
            .split(' ')
            .filter(|w| {
                !w.is_empty()
                    && !w.chars().all(|c| c.is_ascii_digit())
                    && !matches!(*w, "ok" | "okay" | "oke" | "oki")
            })
            .collect();
        if words.is_empty() || (words.len() == 1 && words[0].chars().count() < 6) {
            return None;
        }
        // Chat shorthand ("u", "svp", "mn") tells its language too.
        let known_in = |language: Language, index: &LanguageIndex, word: &str| {
            index.vocabulary.contains(word) || crate::locale::is_chat_word(language, word)
        };
        let mut scores: Vec<(usize, Language)> = self
            .indexes
            .iter()
            .map(|(language, index)| {
                let count = words
                    .iter()
                    .filter(|w| known_in(*language, index, w))
                    .count();
                (count, *language)
            })
            .collect();
        scores.sort_by(|a, b| b.cmp(a));
        let (best, language) = *scores.first()?;
        // Known in some language: counted only for the lenient reading, which needs it.
        let known = if lenient {
            words
                .iter()
                .filter(|w| {
                    self.indexes
                        .iter()
                        .any(|(language, index)| known_in(*language, index, w))
                })
                .count()
        } else {
            0
        };
        Some(VocabularyGuess {
            language,
            words: words.len(),
            known,
            best,
            runner_up: scores.get(1).map_or(0, |s| s.0),
        })
    }

    /// A passage of the article's body after its short answer that names what the customer
    /// asked about where the short answer and the title do not: "¿podéis enviar a
    /// Canarias?" gets the list of countries and the paragraph about islands. Only words
    /// that name something count, and only those few of the language's articles use (at
    /// most [`DETAIL_MAX_ARTICLES`]), read without synonyms (a synonym reads "Canarias" as
    /// "país"), so "should", "order" or "days" add nothing. With several such passages, the
    /// one that names most of those words, the first on a tie.
    pub fn detail(&self, article: usize, text: &str) -> Option<&str> {
        self.detail_within(article, text, DETAIL_MAX_ARTICLES)
    }

    /// [`HelpCenter::detail`] with words that up to `max_articles` of the language's
    /// articles use: a message already known to be about this article (a follow-up of its
    /// answer) may pick its passage by a commoner word ("gast" for the passage about orders
    /// placed as a guest).
    pub fn detail_within(&self, article: usize, text: &str, max_articles: usize) -> Option<&str> {
        let language = self.articles.get(article)?.language;
        let index = self.indexes.get(&language)?;
        let passages = index.passages.get(&article)?;
        if passages.later.is_empty() {
            return None;
        }
        // A word few articles use; or one the article's own questions use, among somewhat
        // more ("muebles a medida": "medida" is also a size to exchange).
        let limit = |stem: &String| {
            if passages.asked.contains(stem) {
                max_articles.max(FOLLOW_UP_DETAIL_MAX_ARTICLES)
            } else {
                max_articles
            }
        };
        let mut asked: Vec<String> = named_stems(index, language, text, limit)
            .filter(|stem| !passages.answer.contains(stem))
            .collect();
        asked.sort();
        asked.dedup();
        let mut best: Option<(usize, &str)> = None;
        for passage in &passages.later {
            let named = asked.iter().filter(|s| passage.stems.contains(*s)).count();
            if named > 0 && best.is_none_or(|(most, _)| named > most) {
                best = Some((named, &passage.text));
            }
        }
        if best.is_some() {
            tracing::debug!(?asked, "detail added to the answer");
        }
        best.map(|(_, text)| text)
    }

    /// Whether the article's short answer names something the customer named that few of
    /// the language's articles use (at most [`FOLLOW_UP_DETAIL_MAX_ARTICLES`], as for a
    /// follow-up's passage): "en duitsland?" and "We leveren in Nederland, België, …
    /// Duitsland".
    pub fn answer_names(&self, article: usize, text: &str) -> bool {
        let Some(language) = self.articles.get(article).map(|a| a.language) else {
            return false;
        };
        let Some(index) = self.indexes.get(&language) else {
            return false;
        };
        let Some(passages) = index.passages.get(&article) else {
            return false;
        };
        named_stems(index, language, text, |_| FOLLOW_UP_DETAIL_MAX_ARTICLES)
            .any(|stem| passages.answer.contains(&stem))
    }

    /// The title of the article titled `title`, in `language` when it has a translation
    /// there (the same id): a follow-up in English after a Dutch answer is read with the
    /// English title.
    pub fn title_in<'a>(&'a self, title: &'a str, language: Language) -> &'a str {
        let Some(article) = self.articles.iter().find(|a| a.title == title) else {
            return title;
        };
        if article.language == language {
            return title;
        }
        self.articles
            .iter()
            .find(|a| a.id == article.id && a.language == language)
            .map_or(title, |a| a.title.as_str())
    }

    /// Whether the article's title or one of its questions has `folded_word` as written
    /// (folded), or a word that it starts or that starts it ("cadeaubon" for "cadeaubonnen",
    /// four letters at least): not only a word of the same stem ("sale" for "salido").
    pub fn article_uses_word(&self, article: usize, folded_word: &str) -> bool {
        let article = &self.articles[article];
        let same_word = |word: &str| {
            word == folded_word
                || (word.len().min(folded_word.len()) >= 4
                    && (word.starts_with(folded_word) || folded_word.starts_with(word)))
        };
        std::iter::once(&article.title)
            .chain(&article.questions)
            .any(|text| crate::text::fold(text).split(' ').any(same_word))
    }

    /// Whether the article's title has a word (stemmed) of `text`: "password" and "How do I
    /// reset my password?".
    pub fn title_mentions(&self, article: usize, text: &str) -> bool {
        let article = &self.articles[article];
        let Some(index) = self.indexes.get(&article.language) else {
            return false;
        };
        let title: Vec<String> = analyzer::terms(&index.analyzer, &article.title)
            .into_iter()
            .map(|t| t.stem)
            .collect();
        analyzer::terms(&index.analyzer, text)
            .iter()
            .any(|t| title.contains(&t.stem))
    }

    /// The text with the language's synonyms read as the words they are listed under ("the
    /// wrong cushion" as "the wrong item"); the text itself when none is in it.
    pub fn with_synonyms<'a>(
        &self,
        language: Language,
        text: &'a str,
    ) -> std::borrow::Cow<'a, str> {
        match self.indexes.get(&language) {
            Some(index) => index.synonyms.rewrite(text),
            None => std::borrow::Cow::Borrowed(text),
        }
    }

    /// The best articles for a customer's text, most confident first. Any text is a plain
    /// question: it is analyzed into tokens, never parsed as query syntax.
    pub fn search(&self, language: Language, text: &str, limit: usize) -> Vec<Hit> {
        let Some(index) = self.indexes.get(&language) else {
            return Vec::new();
        };
        let written = text;
        let read = reading(&index.synonyms, text);
        let text: &str = &read;
        // Courtesy words ("please", "graag") ask nothing: left in, a rare one outweighs the
        // words that do ("ik wil graag mijn bestelling annuleren").
        let terms = crate::locale::without_courtesy(text, analyzer::terms(&index.analyzer, text));
        if terms.is_empty() || limit == 0 {
            return Vec::new();
        }
        let stems: Vec<String> = terms.iter().map(|t| t.stem.clone()).collect();
        let mut candidates = index.retrieve(&stems);
        // The intent model's most likely articles are candidates too, with their probability.
        let probability: HashMap<usize, f32> = index
            .classifier
            .as_ref()
            .map(|model| model.predict(text).into_iter().take(CANDIDATES).collect())
            .unwrap_or_default();
        for &article in probability.keys() {
            if !candidates
                .iter()
                .any(|(candidate, _)| *candidate == article)
            {
                candidates.push((article, 0.0));
            }
        }
        let owners: Vec<usize> = candidates.iter().map(|(article, _)| *article).collect();
        let similarity = index.units.best_for_owners(&stems, &owners);
        let mut unique: Vec<&String> = stems.iter().collect();
        unique.sort();
        unique.dedup();
        let total_weight: f32 = unique.iter().map(|s| index.units.weight(s).powi(2)).sum();

        // The two best question similarities among the candidates: an answer is only sure
        // when it is clearly ahead of the runner-up.
        let mut best_two = [(usize::MAX, 0.0f32); 2];
        for (&article, &value) in &similarity {
            if value > best_two[0].1 || (value == best_two[0].1 && article < best_two[0].0) {
                best_two = [(article, value), best_two[0]];
            } else if value > best_two[1].1 {
                best_two[1] = (article, value);
            }
        }
        let mut scored: Vec<(usize, f32, f32)> = candidates
            .into_iter()
            .map(|(article, bm25)| {
                let question_similarity = similarity.get(&article).copied().unwrap_or(0.0);
                let rival = if article == best_two[0].0 { best_two[1].1 } else { best_two[0].1 };
                let margin = ((question_similarity - rival) / MARGIN_SCALE).clamp(0.0, 1.0);
                let article_stems = &index.article_stems[&article];
                let covered: f32 = unique
                    .iter()
                    .filter(|s| article_stems.contains(s.as_str()))
                    .map(|s| index.units.weight(s).powi(2))
                    .sum();
                let coverage = if total_weight > 0.0 {
                    covered / total_weight
                } else {
                    0.0
                };
                let matching = 0.7 * question_similarity + 0.1 * coverage + 0.2 * margin;
                let model = probability.get(&article).copied().unwrap_or(0.0);
                // The model is trusted by its evidence: on a small help center it ranks worse
                // than question similarity and is sure of itself even off topic.
                let confidence = (index.model_weight * model + (1.0 - index.model_weight) * matching).clamp(0.0, 1.0);
                tracing::debug!(article = %self.articles[article].id, question_similarity, coverage, margin, bm25, "candidate");
                (article, confidence, bm25)
            })
            .collect();
        scored.sort_by(|a, b| {
            b.1.total_cmp(&a.1)
                .then(b.2.total_cmp(&a.2))
                .then(a.0.cmp(&b.0))
        });
        scored.truncate(limit);
        // The matched words are the customer's own ("lamp", not the "item" it is read as), for
        // an agent's or a widget's highlighting: each written word, or the word it is read as.
        let written_terms: Vec<(String, Vec<String>)> = match &read {
            std::borrow::Cow::Borrowed(_) => terms
                .iter()
                .map(|t| (text[t.from..t.to].to_lowercase(), vec![t.stem.clone()]))
                .collect(),
            std::borrow::Cow::Owned(_) => {
                crate::locale::without_courtesy(written, analyzer::terms(&index.analyzer, written))
                    .into_iter()
                    .map(|t| {
                        let word = &written[t.from..t.to];
                        let mut stems = vec![t.stem];
                        if let std::borrow::Cow::Owned(as_read) = index.synonyms.rewrite(word) {
                            stems.extend(
                                analyzer::terms(&index.analyzer, &as_read)
                                    .into_iter()
                                    .map(|t| t.stem),
                            );
                        }
                        (word.to_lowercase(), stems)
                    })
                    .collect()
            }
        };
        scored
            .into_iter()
            .map(|(article_index, confidence, _)| {
                let article = &self.articles[article_index];
                let article_stems = &index.article_stems[&article_index];
                let mut matched_terms: Vec<String> = written_terms
                    .iter()
                    .filter(|(_, stems)| stems.iter().any(|stem| article_stems.contains(stem)))
                    .map(|(word, _)| word.clone())
                    .collect();
                matched_terms.dedup();
                Hit {
                    article: article_index,
                    id: article.id.clone(),
                    title: article.title.clone(),
                    url: article.url.clone(),
                    confidence: (confidence * 1000.0).round() / 1000.0,
                    snippet: snippet(&index.sentences[&article_index], article, &stems),
                    matched_terms,
                }
            })
            .collect()
    }
}

impl LanguageIndex {
    fn build(
        language: Language,
        articles: &[Article],
        members: &[usize],
        synonyms: Synonyms,
    ) -> tantivy::Result<Self> {
        let tokenizer = analyzer::tokenizer_name(language);
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(&tokenizer)
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        let mut schema = Schema::builder();
        let fields = Fields {
            ord: schema.add_u64_field("ord", FAST | STORED),
            questions: schema.add_text_field("questions", text.clone()),
            body: schema.add_text_field("body", text),
        };
        let index = Index::create_in_ram(schema.build());
        let analyzer = analyzer::build(language);
        index.tokenizers().register(&tokenizer, analyzer.clone());
        let mut writer = index.writer_with_num_threads(1, 30_000_000)?;
        let mut units = Vec::new();
        let mut article_stems = HashMap::default();
        let mut vocabulary = HashSet::default();
        let mut article_sentences = HashMap::default();
        let mut article_passages = HashMap::default();
        let mut stem_articles: HashMap<String, usize> = HashMap::default();
        // Each article's title and questions, then its body, as the search reads them.
        let read: HashMap<usize, (Vec<String>, String)> = members
            .iter()
            .map(|&index| {
                let article = &articles[index];
                let asked = std::iter::once(&article.title)
                    .chain(&article.questions)
                    .map(|text| reading(&synonyms, text).into_owned())
                    .collect();
                let body = reading(&synonyms, &article.body).into_owned();
                (index, (asked, body))
            })
            .collect();
        for &article_index in members {
            let article = &articles[article_index];
            let (asked, body) = &read[&article_index];
            writer.add_document(doc!(
                fields.ord => article_index as u64,
                fields.questions => asked.join("\n"),
                fields.body => body.as_str(),
            ))?;
            let mut all: HashSet<String> = HashSet::default();
            for unit in asked {
                let stems: Vec<String> = analyzer::terms(&analyzer, unit)
                    .into_iter()
                    .map(|t| t.stem)
                    .collect();
                all.extend(stems.iter().cloned());
                units.push((article_index, stems));
            }
            all.extend(analyzer::terms(&analyzer, body).into_iter().map(|t| t.stem));
            article_stems.insert(article_index, all);
            article_sentences.insert(article_index, sentences(&analyzer, &synonyms, article));
            let written: HashSet<String> = std::iter::once(&article.title)
                .chain(&article.questions)
                .chain(std::iter::once(&article.body))
                .flat_map(|text| analyzer::terms(&analyzer, text))
                .map(|t| t.stem)
                .collect();
            for stem in written {
                *stem_articles.entry(stem).or_default() += 1;
            }
            article_passages.insert(
                article_index,
                Passages::read(&analyzer, &article.title, &article.questions, &article.body),
            );
        }
        // Every word of the articles, and the words customers use for theirs, as written.
        let texts = members
            .iter()
            .flat_map(|&index| {
                let article = &articles[index];
                std::iter::once(&article.title)
                    .chain(&article.questions)
                    .chain(std::iter::once(&article.body))
                    .map(String::as_str)
            })
            .chain(synonyms.written());
        for line in texts.flat_map(str::lines) {
            let folded = crate::text::fold(line);
            vocabulary.extend(
                folded
                    .split(' ')
                    .filter(|w| !w.is_empty())
                    .map(str::to_string),
            );
        }
        writer.commit()?;
        let reader: IndexReader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        // Map each document to its article once, so a search never reads fast fields.
        let searcher = reader.searcher();
        let mut articles_by_doc = Vec::new();
        for segment in searcher.segment_readers() {
            let column = segment.fast_fields().u64("ord")?;
            let docs: Vec<usize> = (0..segment.max_doc())
                .map(|doc| column.first(doc).unwrap_or(0) as usize)
                .collect();
            articles_by_doc.push(docs);
        }
        // The terms each field holds, as indexed: a query leaves out the terms a field does
        // not hold, which could add nothing to a score but cost a weight each.
        let mut indexed_terms = [HashSet::default(), HashSet::default()];
        for segment in searcher.segment_readers() {
            for (field, terms) in [fields.questions, fields.body]
                .into_iter()
                .zip(indexed_terms.iter_mut())
            {
                let inverted = segment.inverted_index(field)?;
                let mut stream = inverted.terms().stream()?;
                while stream.advance() {
                    terms.insert(stream.key().to_vec().into_boxed_slice());
                }
            }
        }
        let examples: Vec<(usize, &str)> = members
            .iter()
            .flat_map(|&index| {
                read[&index]
                    .0
                    .iter()
                    .map(move |text| (index, text.as_str()))
            })
            .collect();
        let classifier = Classifier::train(analyzer::build_stemmer(language), &examples);
        let questions_per_article = examples.len() as f32 / members.len().max(1) as f32;
        let model_weight = match classifier {
            Some(Classifier::Network(_)) => NETWORK_WEIGHT,
            Some(Classifier::Linear(_)) => {
                MODEL_WEIGHT * (questions_per_article / FULL_TRUST_QUESTIONS).min(1.0)
            }
            None => 0.0,
        };
        Ok(LanguageIndex {
            model_weight,
            analyzer,
            reader,
            articles_by_doc,
            classifier,
            fields,
            units: UnitSet::build(units),
            article_stems,
            vocabulary,
            sentences: article_sentences,
            passages: article_passages,
            stem_articles,
            indexed_terms,
            synonyms,
        })
    }

    /// BM25 retrieval over title (weighted most), questions and body; returns (article, score).
    fn retrieve(&self, stems: &[String]) -> Vec<(usize, f32)> {
        let mut unique: Vec<&String> = stems.iter().collect();
        unique.sort();
        unique.dedup();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let fields = [(self.fields.questions, 2.5), (self.fields.body, 1.0)];
        for stem in unique {
            for (&(field, boost), terms) in fields.iter().zip(&self.indexed_terms) {
                if !terms.contains(stem.as_bytes()) {
                    continue;
                }
                let term = IndexTerm::from_field_text(field, stem);
                let query = TermQuery::new(term, IndexRecordOption::WithFreqs);
                clauses.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(query), boost)),
                ));
            }
        }
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let Ok(top) = searcher.search(&query, &TopDocs::with_limit(CANDIDATES).order_by_score())
        else {
            return Vec::new();
        };
        top.into_iter()
            .filter_map(|(score, address)| {
                let segment = self.articles_by_doc.get(address.segment_ord as usize)?;
                segment
                    .get(address.doc_id as usize)
                    .map(|&article| (article, score))
            })
            .collect()
    }
}

fn split_front_matter(text: &str) -> Option<(&str, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rest = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))?;
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            return Some((&rest[..offset], &rest[offset + line.len()..]));
        }
        offset += line.len();
    }
    None
}

/// The first paragraph of a Markdown body, as plain text: the answer the bot sends.
fn first_paragraph(body: &str) -> String {
    let mut lines = Vec::new();
    for line in body.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            if lines.is_empty() {
                continue;
            }
            break;
        }
        if trimmed.starts_with('#') && lines.is_empty() {
            continue;
        }
        lines.push(trimmed);
    }
    plain_markdown(&lines.join(" "))
}

/// Strips inline Markdown: emphasis markers, code ticks, and links (`[text](url)` → `text (url)`).
pub fn plain_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('[') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after
            .find("](")
            .and_then(|mid| after[mid + 2..].find(')').map(|end| (mid, mid + 2 + end)))
        {
            Some((mid, end)) => {
                let label = &after[..mid];
                let url = &after[mid + 2..end];
                if label == url {
                    out.push_str(url);
                } else {
                    out.push_str(&format!("{label} ({url})"));
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out.replace("**", "").replace("__", "").replace('`', "")
}

/// The most articles of a language a word may appear in and still make a passage worth
/// adding to an answer (see `HelpCenter::detail`).
const DETAIL_MAX_ARTICLES: usize = 3;

/// The stems of the words of `text` that name something (not a function, courtesy or
/// small-talk word of the language) and that at most `limit(stem)` of the language's
/// articles use: what a passage or a short answer must name to be about what was asked.
fn named_stems<'a>(
    index: &'a LanguageIndex,
    language: Language,
    text: &'a str,
    limit: impl Fn(&String) -> usize + 'a,
) -> impl Iterator<Item = String> + 'a {
    analyzer::terms(&index.analyzer, text)
        .into_iter()
        .filter(move |t| {
            !crate::locale::is_known_word(language, &crate::text::fold(&text[t.from..t.to]))
        })
        .map(|t| t.stem)
        .filter(move |stem| {
            index
                .stem_articles
                .get(stem)
                .is_some_and(|&count| count <= limit(stem))
        })
}

/// The same for a message known to follow up on the article's answer.
pub const FOLLOW_UP_DETAIL_MAX_ARTICLES: usize = 6;

/// An article's short answer (its first paragraph) and title as stems, and the passages
/// after it: each paragraph, and each item of a list on its own, as plain text with its stems.
struct Passages {
    answer: HashSet<String>,
    /// The stems of the article's questions: what it says it is asked about.
    asked: HashSet<String>,
    later: Vec<Sentence>,
}

impl Passages {
    fn read(analyzer: &TextAnalyzer, title: &str, questions: &[String], body: &str) -> Passages {
        // The lines after the short answer, which `first_paragraph` reads the same way.
        let mut lines = body.lines().map(str::trim).peekable();
        while lines
            .next_if(|l| l.is_empty() || l.starts_with('#'))
            .is_some()
        {}
        while lines.next_if(|l| !l.is_empty()).is_some() {}
        // Paragraphs and list items (with their continuation lines), and whether a blank
        // line or a heading came before each.
        struct Block<'a> {
            item: bool,
            after_blank: bool,
            lines: Vec<&'a str>,
        }
        let mut raw: Vec<Block> = Vec::new();
        let mut after_blank = true;
        for line in lines {
            if line.is_empty() || line.starts_with('#') {
                after_blank = true;
                continue;
            }
            let item = line.starts_with("- ")
                || line.starts_with("* ")
                || line
                    .split_once(". ")
                    .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
            match raw.last_mut() {
                Some(block) if !after_blank && !item => block.lines.push(line),
                _ => raw.push(Block {
                    item,
                    after_blank,
                    lines: vec![line],
                }),
            }
            after_blank = false;
        }
        // A paragraph that ends with a colon ("contact us with:") keeps the list after it,
        // up to a blank line after one of its items.
        let mut blocks: Vec<String> = Vec::new();
        let mut list: Option<usize> = None;
        for block in raw {
            let text = plain_markdown(&block.lines.join(" "));
            let text = text.trim_start_matches(['-', '*', ' ']);
            match (list, blocks.last_mut()) {
                (Some(items), Some(intro)) if block.item && (items == 0 || !block.after_blank) => {
                    intro.push_str(if intro.ends_with([':', ';', ',', '.']) {
                        " "
                    } else {
                        "; "
                    });
                    intro.push_str(text);
                    list = Some(items + 1);
                }
                _ => {
                    list = (!block.item && text.ends_with(':')).then_some(0);
                    blocks.push(text.to_string());
                }
            }
        }
        let stems = |text: &str| -> HashSet<String> {
            analyzer::terms(analyzer, text)
                .into_iter()
                .map(|t| t.stem)
                .collect()
        };
        let mut answer = stems(&first_paragraph(body));
        answer.extend(stems(title));
        let asked = questions.iter().flat_map(|q| stems(q)).collect();
        let later = blocks
            .into_iter()
            .map(|text| Sentence {
                stems: stems(&text),
                text,
            })
            .collect();
        Passages {
            answer,
            asked,
            later,
        }
    }
}

/// A body sentence with its stems, analyzed once when the index is built.
struct Sentence {
    text: String,
    stems: HashSet<String>,
}

fn sentences(analyzer: &TextAnalyzer, synonyms: &Synonyms, article: &Article) -> Vec<Sentence> {
    plain_markdown(&article.body)
        .split(['.', '!', '?', '\n'])
        .map(|s| s.trim().trim_start_matches(['-', '*', ' ']))
        .filter(|s| s.len() > 3)
        .map(|text| Sentence {
            text: text.to_string(),
            stems: analyzer::terms(analyzer, &synonyms.rewrite(text))
                .into_iter()
                .map(|t| t.stem)
                .collect(),
        })
        .collect()
}

/// The body sentence that shares the most stems with the question, else the answer.
fn snippet(sentences: &[Sentence], article: &Article, query: &[String]) -> String {
    let mut best: Option<(usize, &str)> = None;
    for sentence in sentences {
        let shared = query.iter().filter(|q| sentence.stems.contains(*q)).count();
        if shared > 0 && best.is_none_or(|(count, _)| shared > count) {
            best = Some((shared, &sentence.text));
        }
    }
    let text = best.map_or(article.answer.as_str(), |(_, sentence)| sentence);
    truncate_chars(text, 200)
}

pub fn truncate_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    format!("{}…", cut.trim_end())
}

fn join_locales(locales: &[Locale]) -> String {
    locales
        .iter()
        .map(Locale::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
