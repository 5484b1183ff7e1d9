//! `firstline.yaml`: the process configuration, parsed from raw YAML into checked settings
//! (locales, thresholds, queues with their schedules, content folders). Every problem is
//! reported with its position; nothing downstream re-checks a string from here.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::diag::Diagnostics;
use crate::hours::{Schedule, ScheduleSpec};
use crate::locale::{Language, Locale};
use crate::yaml;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigSpec {
    business: BusinessSpec,
    default_locale: String,
    locales: Vec<String>,
    #[serde(default)]
    content: ContentSpec,
    thresholds: Thresholds,
    #[serde(default)]
    locale_thresholds: BTreeMap<String, Thresholds>,
    #[serde(default = "default_session_idle")]
    session_idle_minutes: u32,
    default_queue: String,
    queues: BTreeMap<String, QueueSpec>,
    schedules: BTreeMap<String, ScheduleSpec>,
    /// A conversation a person owns returns to the bot after this long without agent activity.
    #[serde(default = "default_human_idle")]
    human_idle_minutes: u32,
    /// Settings of the HTTP service; the decision engine never reads them.
    #[serde(default)]
    server: ServerSpec,
}

fn default_human_idle() -> u32 {
    24 * 60
}

/// The `server` section. Secrets never live here: API keys, the admin key and the hand-off
/// signing secret come from environment variables only.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSpec {
    /// Default `127.0.0.1:8080`; `FIRSTLINE_LISTEN` overrides.
    pub listen: Option<String>,
    /// Default `sqlite://data/firstline.db`; `FIRSTLINE_STORE_URL` overrides.
    pub store_url: Option<String>,
    /// Where hand-offs are delivered; `FIRSTLINE_HANDOFF_URL` overrides. None: kept pending.
    pub handoff_url: Option<String>,
    /// Per-attempt timeout of a delivery, in seconds (default 10).
    pub handoff_timeout_seconds: Option<u64>,
    /// How long a delivery is retried before it is marked failed, in hours (default 24).
    pub handoff_retry_hours: Option<u64>,
    /// The most characters of customer text accepted (default 4000).
    pub max_text_chars: Option<usize>,
    /// Reload content when files under flows/, templates/ or kb/ change (default true).
    pub watch_content: Option<bool>,
    /// Requests a minute each adapter key may make (default: no limit);
    /// `FIRSTLINE_RATE_LIMIT_PER_MINUTE` overrides.
    pub rate_limit_per_minute: Option<u32>,
    /// The most client connections open at once (default 512); more wait to be accepted.
    pub max_connections: Option<usize>,
}

fn default_session_idle() -> u32 {
    30
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BusinessSpec {
    name: String,
    help_center_url: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContentSpec {
    #[serde(default = "default_flows")]
    flows: PathBuf,
    #[serde(default = "default_templates")]
    templates: PathBuf,
    #[serde(default = "default_kb")]
    kb: PathBuf,
}

impl Default for ContentSpec {
    fn default() -> Self {
        ContentSpec {
            flows: default_flows(),
            templates: default_templates(),
            kb: default_kb(),
        }
    }
}

fn default_flows() -> PathBuf {
    "flows".into()
}
fn default_templates() -> PathBuf {
    "templates".into()
}
fn default_kb() -> PathBuf {
    "kb".into()
}

/// Confidence cut-offs: answer at or above `answer`, suggest at or above `suggest`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    pub answer: f32,
    pub suggest: f32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QueueSpec {
    name: LocalizedText,
    schedule: String,
    #[serde(default = "default_reply_minutes")]
    reply_minutes: u32,
    #[serde(default)]
    tags: Vec<String>,
}

fn default_reply_minutes() -> u32 {
    60
}

/// A text with optional translations: a plain string, or `{en: …, es: …}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum LocalizedText {
    Plain(String),
    ByLocale(BTreeMap<String, String>),
}

impl LocalizedText {
    /// The text for a locale, following its fallback chain.
    pub fn get(&self, chain: &[Locale]) -> &str {
        match self {
            LocalizedText::Plain(text) => text,
            LocalizedText::ByLocale(map) => chain
                .iter()
                .find_map(|locale| map.get(locale.as_str()))
                .or_else(|| map.values().next())
                .map_or("", String::as_str),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Business {
    pub name: String,
    pub help_center_url: String,
}

#[derive(Debug, Clone)]
pub struct Queue {
    pub id: String,
    pub name: LocalizedText,
    pub schedule: String,
    pub reply_minutes: u32,
    pub tags: Vec<String>,
}

/// The checked configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    pub file: PathBuf,
    pub business: Business,
    pub default_locale: Locale,
    pub locales: Vec<Locale>,
    pub thresholds: Thresholds,
    pub locale_thresholds: HashMap<Locale, Thresholds>,
    pub session_idle_minutes: u32,
    pub human_idle_minutes: u32,
    pub default_queue: String,
    pub queues: BTreeMap<String, Queue>,
    pub schedules: BTreeMap<String, Schedule>,
    pub flows_dir: PathBuf,
    pub templates_dir: PathBuf,
    pub kb_dir: PathBuf,
    pub server: ServerSpec,
}

impl Settings {
    /// Thresholds for a locale: its own, its language's, or the global ones.
    pub fn thresholds_for(&self, locale: &Locale) -> Thresholds {
        self.locale_thresholds
            .get(locale)
            .or_else(|| {
                Locale::parse(locale.language_code()).and_then(|l| self.locale_thresholds.get(&l))
            })
            .copied()
            .unwrap_or(self.thresholds)
    }

    pub fn languages(&self) -> Vec<Language> {
        let mut languages: Vec<Language> =
            self.locales.iter().filter_map(Locale::language).collect();
        languages.sort();
        languages.dedup();
        languages
    }

    /// The queue an article's tags route to, if any queue claims one of them.
    pub fn queue_for_tags(&self, tags: &[String]) -> Option<&str> {
        tags.iter().find_map(|tag| {
            self.queues
                .values()
                .find(|queue| queue.tags.iter().any(|t| t == tag))
                .map(|queue| queue.id.as_str())
        })
    }
}

/// Reads and checks `firstline.yaml`. Content folders are resolved against its directory.
pub fn load(file: &Path, diagnostics: &mut Diagnostics) -> Option<Settings> {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(error) => {
            diagnostics.error(
                file,
                None,
                format!("cannot read the configuration: {error}"),
            );
            return None;
        }
    };
    parse(file, &text, diagnostics)
}

pub fn parse(file: &Path, text: &str, diagnostics: &mut Diagnostics) -> Option<Settings> {
    let (spec, positions) = match yaml::parse::<ConfigSpec>(file, text, 0) {
        Ok(parsed) => parsed,
        Err(diagnostic) => {
            diagnostics.push(diagnostic);
            return None;
        }
    };
    let mut problems: Vec<(String, String)> = Vec::new();
    let mut error = |path: &str, message: String| problems.push((path.to_string(), message));

    let mut locales = Vec::new();
    for (index, raw) in spec.locales.iter().enumerate() {
        match Locale::parse(raw) {
            Some(locale) if locale.language().is_some() => locales.push(locale),
            Some(_) => error(
                &format!("locales.{index}"),
                format!("no analyzer for `{raw}` (supported: en, es, fr, nl, de, pt)"),
            ),
            None => error(
                &format!("locales.{index}"),
                format!("`{raw}` is not a locale"),
            ),
        }
    }
    if spec.locales.is_empty() {
        error("locales", "list at least one locale".into());
    }
    let default_locale = Locale::parse(&spec.default_locale);
    match &default_locale {
        Some(locale) if locales.contains(locale) => {}
        _ => error(
            "default_locale",
            format!("`{}` must be one of `locales`", spec.default_locale),
        ),
    }
    let mut check_thresholds = |path: &str, thresholds: &Thresholds| {
        let valid = |v: f32| (0.0..=1.0).contains(&v);
        if !valid(thresholds.answer) || !valid(thresholds.suggest) {
            error(path, "thresholds are numbers in [0, 1]".into());
        } else if thresholds.suggest > thresholds.answer {
            error(path, "`suggest` must not be above `answer`".into());
        }
    };
    check_thresholds("thresholds", &spec.thresholds);
    let mut locale_thresholds = HashMap::new();
    let mut invalid_locales = Vec::new();
    for (raw, thresholds) in &spec.locale_thresholds {
        check_thresholds(&format!("locale_thresholds.{raw}"), thresholds);
        match Locale::parse(raw) {
            Some(locale) => {
                locale_thresholds.insert(locale, *thresholds);
            }
            None => invalid_locales.push(raw.clone()),
        }
    }
    for raw in invalid_locales {
        error(
            &format!("locale_thresholds.{raw}"),
            format!("`{raw}` is not a locale"),
        );
    }

    let mut schedules = BTreeMap::new();
    for (name, schedule_spec) in &spec.schedules {
        match Schedule::build(name, schedule_spec) {
            Ok(schedule) => {
                schedules.insert(name.clone(), schedule);
            }
            Err(problems) => {
                for problem in problems {
                    error(
                        &format!("schedules.{name}.{}", problem.path),
                        problem.message,
                    );
                }
            }
        }
    }
    let mut queues = BTreeMap::new();
    for (id, queue) in &spec.queues {
        if !spec.schedules.contains_key(&queue.schedule) {
            error(
                &format!("queues.{id}.schedule"),
                format!("unknown schedule `{}`", queue.schedule),
            );
        }
        queues.insert(
            id.clone(),
            Queue {
                id: id.clone(),
                name: queue.name.clone(),
                schedule: queue.schedule.clone(),
                reply_minutes: queue.reply_minutes,
                tags: queue.tags.clone(),
            },
        );
    }
    if !queues.contains_key(&spec.default_queue) {
        error(
            "default_queue",
            format!("unknown queue `{}`", spec.default_queue),
        );
    }
    if !(spec.business.help_center_url.starts_with("https://")
        || spec.business.help_center_url.starts_with("http://"))
    {
        error(
            "business.help_center_url",
            "not an absolute http(s) URL".into(),
        );
    }
    if spec.session_idle_minutes == 0 {
        error("session_idle_minutes", "must be at least 1".into());
    }
    if spec.human_idle_minutes == 0 {
        error("human_idle_minutes", "must be at least 1".into());
    }
    if !problems.is_empty() {
        for (path, message) in problems {
            diagnostics.error(file, positions.at(&path), message);
        }
        return None;
    }
    let base = file.parent().map(Path::to_path_buf).unwrap_or_default();
    Some(Settings {
        file: file.to_path_buf(),
        business: Business {
            name: spec.business.name,
            help_center_url: spec.business.help_center_url,
        },
        default_locale: default_locale?,
        locales,
        thresholds: spec.thresholds,
        locale_thresholds,
        session_idle_minutes: spec.session_idle_minutes,
        human_idle_minutes: spec.human_idle_minutes,
        default_queue: spec.default_queue,
        queues,
        schedules,
        flows_dir: base.join(&spec.content.flows),
        templates_dir: base.join(&spec.content.templates),
        kb_dir: base.join(&spec.content.kb),
        server: spec.server,
    })
}
