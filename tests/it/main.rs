//! The one integration test binary. Each module tests one capability through the crate's
//! public API; `support` holds the shared helpers (shipped content, temporary content copies).

mod cli;
mod content_check;
mod conversations;
mod decisions;
mod eval;
mod flows;
mod help_center;
mod hours;
mod postgres;
mod server;
mod service_api;
mod service_delivery;
mod spelling;
mod support;
mod templates;
mod yaml_input;
