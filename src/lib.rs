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
//! - [`eval`]: matching quality on a labelled set, through the real decision.
//! - [`convtest`]: YAML conversation tests for authors (`firstline test`).
//! - [`locale`], [`text`]: languages, detection, folding.
//! - [`yaml`], [`diag`]: the one YAML parser and positioned diagnostics.
//! - [`store`]: durable conversations, idempotency records and the delivery outbox (SQLite).
//! - [`service`]: one inbound message, decided once and stored atomically (no HTTP).
//! - [`handoff`]: signed, retried, ordered delivery of hand-offs to the helpdesk.
//! - [`api`]: the axum routes, authentication and the error shape.
//! - [`app`]: builds everything from settings and serves with graceful shutdown.

pub mod api;
pub mod app;
pub mod clock;
pub mod config;
pub mod content;
pub mod convtest;
pub mod diag;
pub mod engine;
pub mod eval;
pub mod flow;
pub mod handoff;
pub mod hours;
pub mod kb;
pub mod locale;
pub mod reply;
pub mod service;
pub mod spelling;
pub mod store;
pub mod text;
pub mod yaml;
