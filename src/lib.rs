//! firstline: a chatbot autoresponder engine that answers every customer message at once and
//! hands conversations to a human queue when it is not sure or when a person is asked for.
//!
//! Map of the crate:
//! - [`config`]: `firstline.yaml`, parsed into checked [`config::Settings`].
//! - [`content`]: loads and cross-checks everything ([`content::Content`]).
//! - [`flow`]: conversation flows, system flows, trigger matching.
//! - [`kb`]: the help center: articles, tantivy indexes, confidence scoring.
//! - [`hours`]: business-hours schedules: `is_open`, `next_open_at`.
//! - [`reply`]: handlebars templates with locale fallback.
//! - [`engine`]: the pure decision, [`engine::decide`].
//! - [`locale`], [`text`]: languages, detection, folding.
//! - [`yaml`], [`diag`]: the one YAML parser and positioned diagnostics.

pub mod config;
pub mod content;
pub mod diag;
pub mod engine;
pub mod flow;
pub mod hours;
pub mod kb;
pub mod locale;
pub mod reply;
pub mod text;
pub mod yaml;
