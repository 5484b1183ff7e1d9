//! The `firstline` binary: parse the command line, set up logging, hand over to the library.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use firstline::content::Content;
use firstline::engine::{self, ConversationState, Customer, Inbound};

/// mimalloc: the service allocates many short-lived strings per request on several
/// threads, where glibc's allocator was the largest single cost under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "firstline",
    version,
    about = "A chatbot autoresponder engine: first answers on every channel, hand-off to humans"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the answer service (HTTP API, durable store, hand-off delivery).
    Serve {
        #[arg(long, default_value = "firstline.yaml")]
        config: PathBuf,
    },
    /// Validate all content (configuration, flows, templates, help center); exit 1 on errors.
    Check {
        #[arg(long, default_value = "firstline.yaml")]
        config: PathBuf,
    },
    /// Decide the answer to one first message, offline, and print it as JSON.
    Ask {
        #[arg(long, default_value = "firstline.yaml")]
        config: PathBuf,
        /// The clock to decide at (RFC 3339); default: now.
        #[arg(long)]
        at: Option<String>,
        /// The customer's locale (e.g. es-MX); default: detected from the text.
        #[arg(long)]
        locale: Option<String>,
        /// The channel the message came from.
        #[arg(long, default_value = "chat")]
        channel: String,
        /// The customer's name.
        #[arg(long)]
        name: Option<String>,
        /// The customer's IANA time zone.
        #[arg(long)]
        timezone: Option<String>,
        /// The customer's message.
        text: String,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FIRSTLINE_LOG")
                .unwrap_or_else(|_| default_log_filter().into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// The service logs its events at info; the offline commands only warnings.
fn default_log_filter() -> &'static str {
    if std::env::args().nth(1).as_deref() == Some("serve") {
        "firstline=info,warn"
    } else {
        "warn"
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve { config } => {
            let settings =
                firstline::app::AppConfig::load(&config, |name| std::env::var(name).ok())?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let app = firstline::app::Application::build(settings).await?;
                app.serve(firstline::app::shutdown_signal()).await
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { config } => match Content::load(&config) {
            Ok(content) => {
                println!(
                    "ok: {} flows, {} articles, {} locales (content {})",
                    content.flows.flows.len(),
                    content.help_center.articles().len(),
                    content.settings.locales.len(),
                    content.version
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(diagnostics) => {
                println!("{diagnostics}");
                Ok(ExitCode::from(1))
            }
        },
        Command::Ask {
            config,
            at,
            locale,
            channel,
            name,
            timezone,
            text,
        } => {
            let now = match at {
                Some(at) => parse_instant(&at)?,
                None => jiff::Timestamp::now(),
            };
            if let Some(zone) = &timezone {
                jiff::tz::TimeZone::get(zone)
                    .with_context(|| format!("unknown time zone `{zone}`"))?;
            }
            let content = match Content::load(&config) {
                Ok(content) => content,
                Err(diagnostics) => {
                    println!("{diagnostics}");
                    return Ok(ExitCode::from(1));
                }
            };
            let inbound = Inbound {
                channel,
                text,
                customer: Customer {
                    id: "cli".into(),
                    name,
                    locale,
                    timezone,
                },
            };
            let decision = engine::decide(&content, &ConversationState::default(), &inbound, now);
            println!("{}", serde_json::to_string_pretty(&decision)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Accepts RFC 3339 with an offset (`2026-11-23T08:30:00+01:00`, `…Z`).
fn parse_instant(text: &str) -> anyhow::Result<jiff::Timestamp> {
    text.parse::<jiff::Timestamp>().with_context(|| {
        format!("`{text}` is not an RFC 3339 time with an offset, e.g. 2026-11-23T08:30:00+01:00")
    })
}
