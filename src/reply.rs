//! Message templates: handlebars files `templates/<locale>/<name>.hbs`, checked at load time
//! (syntax, variables that can exist, partial cycles) and rendered with a locale fallback chain
//! (`es-MX` → `es` → default). Output is HTML-escaped for the web channel and plain elsewhere.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use handlebars::template::{Parameter, Template, TemplateElement};
use handlebars::Handlebars;
use serde_json::Value;

use crate::diag::Diagnostics;
use crate::locale::Locale;

/// The largest template file accepted.
const MAX_TEMPLATE_BYTES: usize = 64 * 1024;

/// Templates the engine renders itself; each must exist in every configured locale.
pub const ENGINE_TEMPLATES: [&str; 8] = [
    "first_contact",
    "answer",
    "suggest",
    "didnt_understand",
    "handoff",
    "off_hours",
    "cancelled",
    "invalid_answer",
];

/// Variables every template may use (besides `slots.<name>` and list items in `each`).
const ROOT_VARIABLES: [&str; 36] = [
    "customer.name",
    "customer.first_name",
    "returning",
    "hours_follow",
    "customer.known",
    "business.name",
    "business.help_center_url",
    "article.title",
    "article.url",
    "article.answer",
    "article.detail",
    "article.id",
    "suggestions",
    "queue.name",
    "queue.open",
    "queue.reply_minutes",
    "next_open",
    "next_open_at",
    "timezone",
    "reason",
    "channel",
    "locale",
    "customer",
    "slots",
    "attempt",
    "attempt.has_digits",
    "attempt.last",
    "attempt.noted",
    "attempt.waiting",
    "again",
    "acknowledged",
    "hours_told",
    "declined",
    "repeated",
    "reported",
    "single",
];
const SUGGESTION_FIELDS: [&str; 3] = ["number", "title", "url"];
const HELPERS: [&str; 3] = ["if", "unless", "each"];

/// Channels whose replies are HTML and so get escaped output.
pub fn is_html_channel(channel: &str) -> bool {
    matches!(channel, "web" | "webchat" | "widget")
}

pub struct Templates {
    by_locale: BTreeMap<Locale, Registries>,
}

struct Registries {
    plain: Handlebars<'static>,
    html: Handlebars<'static>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates")
            .field("locales", &self.by_locale.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Templates {
    /// Whether `name` exists in exactly this locale (no fallback).
    pub fn has(&self, locale: &Locale, name: &str) -> bool {
        self.by_locale
            .get(locale)
            .is_some_and(|r| r.plain.has_template(name))
    }

    /// The locale whose version of `name` a render with `chain` uses.
    pub fn resolve<'c>(&self, chain: &'c [Locale], name: &str) -> Option<&'c Locale> {
        chain.iter().find(|locale| self.has(locale, name))
    }

    /// Renders `name` in the first locale of `chain` that has it. `None` when no locale has
    /// it or rendering failed (content checks make both impossible for shipped content).
    /// Renders `name` in the first locale of `chain` that has it. The data is taken, not
    /// borrowed: handlebars would otherwise copy it whole into its context on every render.
    pub fn render(&self, chain: &[Locale], name: &str, data: Value, html: bool) -> Option<String> {
        let registries = chain.iter().find_map(|locale| {
            self.by_locale
                .get(locale)
                .filter(|r| r.plain.has_template(name))
        })?;
        let registry = if html {
            &registries.html
        } else {
            &registries.plain
        };
        match registry.render_with_context(name, &handlebars::Context::from(data)) {
            Ok(text) => Some(text.trim().to_string()),
            Err(error) => {
                tracing::error!(template = name, error = %error, "template failed to render");
                None
            }
        }
    }
}

struct Source {
    file: PathBuf,
    template: Template,
}

/// Loads every template folder; `slots` are the slot names flows can fill.
pub fn load(
    dir: &Path,
    locales: &[Locale],
    slots: &BTreeSet<String>,
    diagnostics: &mut Diagnostics,
) -> Templates {
    let mut sources: BTreeMap<Locale, BTreeMap<String, Source>> = BTreeMap::new();
    let folders = match std::fs::read_dir(dir) {
        Ok(entries) => {
            let mut folders: Vec<PathBuf> = entries
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect();
            folders.sort();
            folders
        }
        Err(error) => {
            diagnostics.error(
                dir,
                None,
                format!("cannot read the templates folder: {error}"),
            );
            Vec::new()
        }
    };
    for folder in folders {
        let name = folder.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let locale = match Locale::parse(name) {
            Some(locale)
                if locales
                    .iter()
                    .any(|l| l.language_code() == locale.language_code()) =>
            {
                locale
            }
            _ => {
                diagnostics.error(
                    &folder,
                    None,
                    format!("`{name}` is not a configured locale or a variant of one"),
                );
                continue;
            }
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
            .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        for file in files {
            if file.extension().and_then(|e| e.to_str()) != Some("hbs") {
                continue;
            }
            let template_name = file
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("")
                .to_string();
            let text = match std::fs::read_to_string(&file) {
                Ok(text) if text.len() <= MAX_TEMPLATE_BYTES => text,
                Ok(_) => {
                    diagnostics.error(
                        &file,
                        None,
                        format!("template larger than {MAX_TEMPLATE_BYTES} bytes"),
                    );
                    continue;
                }
                Err(error) => {
                    diagnostics.error(&file, None, format!("cannot read: {error}"));
                    continue;
                }
            };
            if let Some(source) = compile(&file, &text, diagnostics) {
                sources
                    .entry(locale.clone())
                    .or_default()
                    .insert(template_name, source);
            }
        }
    }
    from_sources(sources, slots, diagnostics)
}

/// Builds templates from in-memory sources: `(locale, name, text)`; for tests and tools.
pub fn from_texts(
    texts: &[(&str, &str, &str)],
    slots: &BTreeSet<String>,
    diagnostics: &mut Diagnostics,
) -> Templates {
    let mut sources: BTreeMap<Locale, BTreeMap<String, Source>> = BTreeMap::new();
    for (locale, name, text) in texts {
        let Some(locale) = Locale::parse(locale) else {
            continue;
        };
        let file = PathBuf::from(format!("templates/{locale}/{name}.hbs"));
        if let Some(source) = compile(&file, text, diagnostics) {
            sources
                .entry(locale)
                .or_default()
                .insert(name.to_string(), source);
        }
    }
    from_sources(sources, slots, diagnostics)
}

fn compile(file: &Path, text: &str, diagnostics: &mut Diagnostics) -> Option<Source> {
    match Template::compile(text) {
        Ok(template) => Some(Source {
            file: file.to_path_buf(),
            template,
        }),
        Err(error) => {
            let reason = error.reason().to_string();
            diagnostics.error(file, error.pos(), format!("template syntax: {reason}"));
            None
        }
    }
}

fn from_sources(
    sources: BTreeMap<Locale, BTreeMap<String, Source>>,
    slots: &BTreeSet<String>,
    diagnostics: &mut Diagnostics,
) -> Templates {
    let mut by_locale = BTreeMap::new();
    for (locale, templates) in sources {
        let mut partials: HashMap<&str, Vec<String>> = HashMap::new();
        for (name, source) in &templates {
            let mut checker = Checker {
                slots,
                problems: Vec::new(),
                partials: Vec::new(),
            };
            checker.elements(&source.template.elements, false);
            for problem in checker.problems {
                diagnostics.error(&source.file, None, problem);
            }
            for partial in &checker.partials {
                if !templates.contains_key(partial) {
                    diagnostics.error(
                        &source.file,
                        None,
                        format!("includes `{partial}`, which has no `{locale}` template"),
                    );
                }
            }
            partials.insert(name.as_str(), checker.partials);
        }
        for (name, source) in &templates {
            if let Some(cycle) = find_cycle(name, &partials) {
                diagnostics.error(
                    &source.file,
                    None,
                    format!(
                        "templates include each other in a cycle: {}",
                        cycle.join(" → ")
                    ),
                );
            }
        }
        let mut plain = Handlebars::new();
        plain.register_escape_fn(handlebars::no_escape);
        let mut html = Handlebars::new();
        html.register_escape_fn(handlebars::html_escape);
        for (name, source) in templates {
            plain.register_template(&name, source.template.clone());
            html.register_template(&name, source.template);
        }
        by_locale.insert(locale, Registries { plain, html });
    }
    Templates { by_locale }
}

/// Walks a template's syntax tree and reports variables that no render can provide.
struct Checker<'a> {
    slots: &'a BTreeSet<String>,
    problems: Vec<String>,
    partials: Vec<String>,
}

impl Checker<'_> {
    fn elements(&mut self, elements: &[TemplateElement], in_suggestions: bool) {
        for element in elements {
            match element {
                TemplateElement::Expression(helper) | TemplateElement::HtmlExpression(helper) => {
                    if helper.params.is_empty() && helper.hash.is_empty() {
                        self.parameter(&helper.name, in_suggestions);
                    } else {
                        self.helper_name(&helper.name);
                        for param in &helper.params {
                            self.parameter(param, in_suggestions);
                        }
                    }
                }
                TemplateElement::HelperBlock(helper) => {
                    self.helper_name(&helper.name);
                    let name = parameter_text(&helper.name);
                    let mut inner_suggestions = in_suggestions;
                    for param in &helper.params {
                        self.parameter(param, in_suggestions);
                        if name.as_deref() == Some("each") {
                            inner_suggestions =
                                parameter_text(param).as_deref() == Some("suggestions");
                            if !inner_suggestions {
                                self.problems
                                    .push("`each` only iterates over `suggestions`".into());
                            }
                        }
                    }
                    if let Some(template) = &helper.template {
                        self.elements(&template.elements, inner_suggestions);
                    }
                    if let Some(template) = &helper.inverse {
                        self.elements(&template.elements, in_suggestions);
                    }
                }
                TemplateElement::PartialExpression(partial)
                | TemplateElement::PartialBlock(partial) => match parameter_text(&partial.name) {
                    Some(name) => self.partials.push(name),
                    None => self
                        .problems
                        .push("a partial needs a plain template name".into()),
                },
                TemplateElement::DecoratorExpression(_) | TemplateElement::DecoratorBlock(_) => {
                    self.problems
                        .push("decorators are not supported in templates".into());
                }
                _ => {}
            }
        }
    }

    fn helper_name(&mut self, name: &Parameter) {
        if let Some(name) = parameter_text(name) {
            if !HELPERS.contains(&name.as_str()) {
                self.problems
                    .push(format!("unknown helper `{name}` (use if, unless, each)"));
            }
        }
    }

    fn parameter(&mut self, parameter: &Parameter, in_suggestions: bool) {
        match parameter {
            Parameter::Literal(_) => {}
            Parameter::Subexpression(sub) => {
                if let Some(params) = sub.params() {
                    for param in params {
                        self.parameter(param, in_suggestions);
                    }
                }
            }
            Parameter::Name(_) | Parameter::Path(_) => {
                let Some(path) = parameter_text(parameter) else {
                    return;
                };
                if !self.variable_exists(&path, in_suggestions) {
                    self.problems.push(format!("unknown variable `{path}`"));
                }
            }
            _ => {}
        }
    }

    fn variable_exists(&self, path: &str, in_suggestions: bool) -> bool {
        if path.starts_with('@') || path == "this" {
            return in_suggestions || path == "this";
        }
        let (path, from_root) = match path.strip_prefix("../") {
            Some(rest) => (rest, true),
            None => (path, !in_suggestions),
        };
        let path = path.strip_prefix("this.").unwrap_or(path);
        if !from_root {
            return SUGGESTION_FIELDS.contains(&path);
        }
        if let Some(slot) = path.strip_prefix("slots.") {
            return self.slots.contains(slot);
        }
        ROOT_VARIABLES.contains(&path)
    }
}

fn parameter_text(parameter: &Parameter) -> Option<String> {
    match parameter {
        Parameter::Name(name) => Some(name.clone()),
        Parameter::Path(handlebars::Path::Relative((_, raw))) => Some(raw.clone()),
        Parameter::Path(handlebars::Path::Local((_, _, raw))) => Some(raw.clone()),
        _ => None,
    }
}

fn find_cycle(start: &str, partials: &HashMap<&str, Vec<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        start: &str,
        partials: &HashMap<&str, Vec<String>>,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        for next in partials.get(node).into_iter().flatten() {
            if next == start {
                path.push(next.clone());
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if visit(next, start, partials, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start.to_string()];
    let mut seen = BTreeSet::new();
    visit(start, start, partials, &mut path, &mut seen).then_some(path)
}
