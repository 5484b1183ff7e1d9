//! Everything firstline says, loaded and checked as one unit: settings, flows, templates and
//! the help center. `Content::load` either returns content in which every cross-reference
//! resolves, or every problem found in every file. Only loaders (here and the modules they
//! call) touch files; a built `Content` is immutable and shared by reference.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::config::{self, Settings};
use crate::diag::Diagnostics;
use crate::flow::triggers::TriggerMatcher;
use crate::flow::{self, FlowSet};
use crate::kb::synonyms::Synonyms;
use crate::kb::{self, Article, HelpCenter};
use crate::locale::Language;
use crate::reply::{self, Templates};
use crate::spelling::Speller;

#[derive(Debug)]
pub struct Content {
    pub settings: Settings,
    pub flows: FlowSet,
    pub triggers: TriggerMatcher,
    pub templates: Templates,
    pub help_center: HelpCenter,
    /// Per language, the words of its articles and flow phrases, to read misspelled words.
    pub spellers: BTreeMap<Language, Speller>,
    /// A short fingerprint of the loaded files, named in every decision.
    pub version: String,
}

impl Content {
    /// Loads `firstline.yaml` and the content folders it names.
    pub fn load(config_file: &Path) -> Result<Content, Diagnostics> {
        let mut diagnostics = Diagnostics::default();
        let Some(settings) = config::load(config_file, &mut diagnostics) else {
            return Err(diagnostics.sorted());
        };
        let flows = flow::load(&settings.flows_dir, &mut diagnostics);
        let templates = reply::load(
            &settings.templates_dir,
            &settings.locales,
            &flows.slots,
            &mut diagnostics,
        );
        let articles = kb::load_articles(&settings.kb_dir, &settings.locales, &mut diagnostics);
        let synonyms = kb::synonyms::load(&settings.kb_dir, &settings.locales, &mut diagnostics);
        let version = fingerprint(&[
            &settings.file,
            &settings.flows_dir,
            &settings.templates_dir,
            &settings.kb_dir,
        ]);
        Self::assemble(
            settings,
            flows,
            templates,
            (articles, synonyms),
            version,
            diagnostics,
        )
    }

    /// Cross-checks loaded parts and builds the indexes: the help center from its articles and
    /// each language's synonyms.
    pub fn assemble(
        settings: Settings,
        flows: FlowSet,
        templates: Templates,
        (articles, synonyms): (Vec<Article>, BTreeMap<Language, Synonyms>),
        version: String,
        mut diagnostics: Diagnostics,
    ) -> Result<Content, Diagnostics> {
        for reference in &flows.queues {
            if !settings.queues.contains_key(&reference.name) {
                diagnostics.error(
                    &reference.file,
                    reference.position,
                    format!("unknown queue `{}`", reference.name),
                );
            }
        }
        for reference in &flows.slot_refs {
            if !flows.slots.contains(&reference.name) {
                diagnostics.error(
                    &reference.file,
                    reference.position,
                    format!("no flow fills the slot `{}`", reference.name),
                );
            }
        }
        for flow in &flows.flows {
            if let Some(topic) = &flow.topic {
                if !articles.iter().any(|article| &article.id == topic) {
                    diagnostics.error(
                        &flow.file,
                        None,
                        format!("`topic`: no help-center article has the id `{topic}`"),
                    );
                }
            }
        }
        for article in &articles {
            if let Some(queue) = &article.queue {
                if !settings.queues.contains_key(queue) {
                    diagnostics.error(&article.file, None, format!("unknown queue `{queue}`"));
                }
            }
        }
        // Every template a flow or the engine uses must exist in every configured locale
        // (its own folder or its language's), so no customer silently gets another language.
        for locale in &settings.locales {
            let language = crate::locale::Locale::parse(locale.language_code());
            let exists = |name: &str| {
                templates.has(locale, name)
                    || language.as_ref().is_some_and(|l| templates.has(l, name))
            };
            let mut reported = BTreeSet::new();
            for reference in &flows.templates {
                if !exists(&reference.name) && reported.insert(reference.name.clone()) {
                    diagnostics.error(
                        &reference.file,
                        reference.position,
                        format!(
                            "template `{}` has no `{locale}` version ({}/{locale}/{}.hbs)",
                            reference.name,
                            settings.templates_dir.display(),
                            reference.name
                        ),
                    );
                }
            }
            for name in reply::ENGINE_TEMPLATES {
                if !exists(name) && reported.insert(name.to_string()) {
                    diagnostics.error(
                        &settings.templates_dir,
                        None,
                        format!("the engine needs template `{name}` in `{locale}` ({}/{locale}/{name}.hbs)", settings.templates_dir.display()),
                    );
                }
            }
        }
        if !diagnostics.is_empty() {
            return Err(diagnostics.sorted());
        }
        let spellers = spellers(&articles, &synonyms, &flows);
        let help_center = match HelpCenter::build_with_synonyms(articles, synonyms) {
            Ok(help_center) => help_center,
            Err(error) => {
                diagnostics.error(
                    &settings.kb_dir,
                    None,
                    format!("cannot build the search index: {error}"),
                );
                return Err(diagnostics);
            }
        };
        let triggers = TriggerMatcher::build(&flows);
        Ok(Content {
            settings,
            flows,
            triggers,
            templates,
            help_center,
            spellers,
            version,
        })
    }
}

/// One speller per language, from its articles (titles, questions, bodies), its synonyms and
/// its flows' keywords and example phrases.
fn spellers(
    articles: &[Article],
    synonyms: &BTreeMap<Language, Synonyms>,
    flows: &FlowSet,
) -> BTreeMap<Language, Speller> {
    let mut texts: BTreeMap<Language, Vec<&str>> = BTreeMap::new();
    for article in articles {
        let list = texts.entry(article.language).or_default();
        list.push(&article.title);
        list.extend(article.questions.iter().map(String::as_str));
        list.push(&article.body);
    }
    for (language, synonyms) in synonyms {
        texts
            .entry(*language)
            .or_default()
            .extend(synonyms.written());
    }
    for flow in &flows.flows {
        for (language, phrases) in flow.keywords.iter().chain(&flow.examples) {
            texts
                .entry(*language)
                .or_default()
                .extend(phrases.iter().map(String::as_str));
        }
    }
    texts
        .into_iter()
        .map(|(language, list)| (language, Speller::build(language, list)))
        .collect()
}

/// A stable fingerprint of every file under the given paths: each file's name relative to its
/// root and its bytes. Where the content lives (the clone's directory, a relative or absolute
/// `--config`) does not change it, so every server of one deployment names the same version.
fn fingerprint(paths: &[&Path]) -> String {
    // FNV-1a: stable across runs and platforms, enough to tell content versions apart.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for byte in bytes {
            hash ^= *byte as u64;
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for (index, root) in paths.iter().enumerate() {
        let mut files = Vec::new();
        collect_files(root, &mut files, 0);
        files.sort();
        feed(&(index as u64).to_le_bytes());
        for file in files {
            let name = match file.strip_prefix(root) {
                Ok(relative) if !relative.as_os_str().is_empty() => relative,
                _ => Path::new(file.file_name().unwrap_or_default()),
            };
            // Separators as `/` so a Windows checkout names the same version.
            let name: Vec<_> = name
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect();
            feed(name.join("/").as_bytes());
            feed(&[0]);
            if let Ok(bytes) = std::fs::read(&file) {
                feed(&(bytes.len() as u64).to_le_bytes());
                feed(&bytes);
            }
        }
    }
    format!("{hash:016x}")[..12].to_string()
}

fn collect_files(path: &Path, out: &mut Vec<std::path::PathBuf>, depth: usize) {
    if path.is_file() {
        out.push(path.to_path_buf());
    } else if path.is_dir() && depth < 4 {
        if let Ok(entries) = std::fs::read_dir(path) {
            for entry in entries.flatten() {
                collect_files(&entry.path(), out, depth + 1);
            }
        }
    }
}
