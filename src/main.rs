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
    /// Run YAML conversation tests (default: tests/conversations next to the configuration).
    Test {
        #[arg(long, default_value = "firstline.yaml")]
        config: PathBuf,
        /// Test files or folders.
        paths: Vec<PathBuf>,
        /// Print what the bot says and does at every turn (expectations are optional then).
        #[arg(long)]
        transcript: bool,
    },
    /// Measure matching quality on labelled JSON lines ({"text", "label"}; label "oos" = hand off).
    Eval {
        /// Training texts: one help-center article per label, its texts as questions.
        #[arg(long)]
        train: PathBuf,
        /// Texts to evaluate.
        #[arg(long)]
        test: PathBuf,
        /// Validation texts: choose the hand-off threshold on these first.
        #[arg(long)]
        val: Option<PathBuf>,
        /// The language of the texts.
        #[arg(long, default_value = "en")]
        locale: String,
        /// With --val: the threshold must hand off at least this share of out-of-scope texts.
        #[arg(long, default_value_t = 0.0)]
        min_oos_recall: f64,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        /// Write the test texts the engine got wrong to this file, as JSON lines.
        #[arg(long)]
        errors: Option<PathBuf>,
    },
}

/// Writes a line to stdout. A reader that closed the pipe early (`firstline ask … | head -1`)
/// ends the command through `run`'s error, which `main` treats as a normal end, not a panic.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FIRSTLINE_LOG")
                .unwrap_or_else(|_| default_log_filter().into()),
        )
        .with_writer(std::io::stderr)
        // Colours for a person at a terminal; a log file or collector gets plain text.
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none(),
        )
        .init();
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(error) if closed_pipe(&error) => ExitCode::SUCCESS,
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
        Command::Test {
            config,
            paths,
            transcript,
        } => {
            let content = match Content::load(&config) {
                Ok(content) => content,
                Err(diagnostics) => {
                    out!("{diagnostics}");
                    return Ok(ExitCode::from(1));
                }
            };
            let paths = if paths.is_empty() {
                vec![config
                    .parent()
                    .map(|p| p.join("tests/conversations"))
                    .unwrap_or_else(|| "tests/conversations".into())]
            } else {
                paths
            };
            let files = firstline::convtest::collect(&paths);
            if files.is_empty() {
                out!(
                    "no conversation tests under {}",
                    paths
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                return Ok(ExitCode::from(1));
            }
            let (mut passed, mut failed) = (0, 0);
            for file in files {
                let result = firstline::convtest::run_file(&content, &file);
                if transcript {
                    out!("== {} ({})", result.name, result.file.display());
                    out!("{}", result.transcript);
                }
                if result.failures.is_empty() {
                    passed += 1;
                } else {
                    failed += 1;
                    out!("FAIL {} ({})", result.name, result.file.display());
                    for failure in &result.failures {
                        out!("  {failure}");
                    }
                }
            }
            out!("{passed} passed, {failed} failed");
            Ok(if failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Eval {
            train,
            test,
            val,
            locale,
            min_oos_recall,
            json,
            errors,
        } => {
            let locale = firstline::locale::Locale::parse(&locale)
                .with_context(|| format!("`{locale}` is not a locale"))?;
            let train = firstline::eval::read_examples(&train)?;
            let test = firstline::eval::read_examples(&test)?;
            let val = val
                .map(|path| firstline::eval::read_examples(&path))
                .transpose()?;
            let report =
                firstline::eval::evaluate(&train, &test, val.as_deref(), &locale, min_oos_recall)?;
            if let Some(path) = errors {
                let mut lines = String::new();
                for mistake in &report.mistakes {
                    lines.push_str(&serde_json::to_string(mistake)?);
                    lines.push('\n');
                }
                std::fs::write(&path, lines)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            if json {
                out!("{}", serde_json::to_string(&report)?);
            } else {
                out!(
                    "in-scope accuracy  {:.2}% of {}",
                    report.in_scope_accuracy * 100.0,
                    report.n_in_scope
                );
                out!(
                    "out-of-scope recall {:.2}% of {}",
                    report.oos_recall * 100.0,
                    report.n_oos
                );
                out!(
                    "thresholds         answer {:.3}, suggest (hand off below) {:.3} ({})",
                    report.thresholds.answer,
                    report.thresholds.suggest,
                    report.thresholds_from
                );
                out!(
                    "decision latency   p50 {:.0} us, p99 {:.0} us",
                    report.p50_us,
                    report.p99_us
                );
                out!(
                    "help center        {} articles, {} questions, built in {} ms",
                    report.articles,
                    report.questions,
                    report.build_ms
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { config } => match Content::load(&config) {
            Ok(content) => {
                out!(
                    "ok: {} flows, {} articles, {} locales (content {})",
                    content.flows.flows.len(),
                    content.help_center.articles().len(),
                    content.settings.locales.len(),
                    content.version
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(diagnostics) => {
                out!("{diagnostics}");
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
                    out!("{diagnostics}");
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
            out!("{}", serde_json::to_string_pretty(&decision)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Accepts RFC 3339 with an offset (`2026-11-23T08:30:00+01:00`, `…Z`).
fn closed_pipe(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<std::io::Error>()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

fn parse_instant(text: &str) -> anyhow::Result<jiff::Timestamp> {
    text.parse::<jiff::Timestamp>().with_context(|| {
        format!("`{text}` is not an RFC 3339 time with an offset, e.g. 2026-11-23T08:30:00+01:00")
    })
}
