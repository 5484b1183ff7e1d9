//! Building and running the service in one place: settings from `firstline.yaml` with
//! environment overrides, the content, the store, the delivery worker, the content watcher
//! and the HTTP server. `Application::build` takes its listener address from the settings, so
//! tests start the real thing on port 0.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::{bail, Context};
use jiff::SignedDuration;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::api::metrics::Metrics;
use crate::api::{self, AppState, Keys};
pub use crate::clock::Clock;
use crate::content::Content;
use crate::handoff::sign::Secret;
use crate::handoff::{self, DeliveryConfig};
use crate::service::Service;
use crate::store::Store;

/// Everything a deployment decides, after environment overrides. Secrets never print.
#[derive(Debug, Clone)]
pub struct AppConfig {
    pub config_file: PathBuf,
    pub listen: String,
    pub store_url: String,
    pub handoff_url: Option<String>,
    pub handoff_secret: Option<Secret>,
    pub handoff_timeout: Duration,
    pub handoff_retry_window: SignedDuration,
    pub keys: Keys,
    pub max_text_chars: usize,
    /// Requests a minute per adapter key; `None`: no limit.
    pub rate_limit_per_minute: Option<u32>,
    pub watch_content: bool,
    /// Client connections open at once; more wait in the listen queue.
    pub max_connections: usize,
    /// How long a client may take to send a request's headers (also the next request's, on
    /// an idle kept-alive connection), and then its body.
    pub header_timeout: Duration,
    /// How often the content watcher looks at file times.
    pub watch_interval: Duration,
    /// The first retry delay of a failed delivery (it doubles up to 30 minutes).
    pub handoff_first_backoff: SignedDuration,
    pub clock: Clock,
}

impl AppConfig {
    /// Reads the `server` section of the configuration file, then applies the environment
    /// (`FIRSTLINE_LISTEN`, `FIRSTLINE_STORE_URL`, `FIRSTLINE_HANDOFF_URL`,
    /// `FIRSTLINE_HANDOFF_SECRET`, `FIRSTLINE_API_KEYS`, `FIRSTLINE_ADMIN_KEY`,
    /// `FIRSTLINE_RATE_LIMIT_PER_MINUTE`).
    pub fn load(
        config_file: &Path,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<AppConfig> {
        let mut diagnostics = crate::diag::Diagnostics::default();
        let Some(settings) = crate::config::load(config_file, &mut diagnostics) else {
            bail!("invalid configuration:\n{diagnostics}");
        };
        let server = settings.server;
        let env = |name: &str| {
            env(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let handoff_secret = match env("FIRSTLINE_HANDOFF_SECRET") {
            Some(text) => Some(
                Secret::parse(&text)
                    .map_err(|e| anyhow::anyhow!("FIRSTLINE_HANDOFF_SECRET: {e}"))?,
            ),
            None => None,
        };
        let adapters = match env("FIRSTLINE_API_KEYS") {
            Some(text) => Keys::parse_adapters(&text).map_err(anyhow::Error::msg)?,
            None => Vec::new(),
        };
        let admin = env("FIRSTLINE_ADMIN_KEY");
        if admin.as_ref().is_some_and(|key| key.len() < 8) {
            bail!("FIRSTLINE_ADMIN_KEY must have at least 8 characters");
        }
        // The admin key reaches every channel and the hand-off queue: an adapter holding it
        // would too.
        if let Some((channel, _)) = adapters
            .iter()
            .find(|(_, key)| admin.as_deref() == Some(key.as_str()))
        {
            bail!("FIRSTLINE_ADMIN_KEY is also the key of channel `{channel}`; give the admin its own key");
        }
        let rate_limit_per_minute = match env("FIRSTLINE_RATE_LIMIT_PER_MINUTE") {
            Some(text) => match text.parse::<u32>() {
                Ok(0) => None,
                Ok(limit) => Some(limit),
                Err(_) => {
                    bail!("FIRSTLINE_RATE_LIMIT_PER_MINUTE must be a whole number (0: no limit)")
                }
            },
            None => server.rate_limit_per_minute.filter(|limit| *limit > 0),
        };
        let handoff_url = env("FIRSTLINE_HANDOFF_URL").or(server.handoff_url);
        if let Some(url) = &handoff_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                bail!("the hand-off URL must start with http:// or https://");
            }
            // A hand-off carries the customer and the transcript: the helpdesk must be able
            // to tell it came from here. A forgotten secret stops the start, it does not
            // send unsigned requests.
            if handoff_secret.is_none() {
                bail!(
                    "a hand-off URL is set but FIRSTLINE_HANDOFF_SECRET is not: hand-offs are signed \
                     (Standard Webhooks); set the secret the helpdesk verifies with (whsec_ + base64)"
                );
            }
        }
        Ok(AppConfig {
            config_file: config_file.to_path_buf(),
            listen: env("FIRSTLINE_LISTEN")
                .or(server.listen)
                .unwrap_or_else(|| "127.0.0.1:8080".into()),
            store_url: env("FIRSTLINE_STORE_URL")
                .or(server.store_url)
                .unwrap_or_else(|| "sqlite://data/firstline.db".into()),
            handoff_url,
            handoff_secret,
            handoff_timeout: Duration::from_secs(
                server.handoff_timeout_seconds.unwrap_or(10).clamp(1, 300),
            ),
            handoff_retry_window: SignedDuration::from_hours(
                server.handoff_retry_hours.unwrap_or(24).clamp(1, 24 * 30) as i64,
            ),
            keys: Keys { adapters, admin },
            max_text_chars: server.max_text_chars.unwrap_or(4000).clamp(1, 16_000),
            rate_limit_per_minute,
            watch_content: server.watch_content.unwrap_or(true),
            max_connections: server.max_connections.unwrap_or(512).clamp(1, 1_000_000),
            header_timeout: Duration::from_secs(20),
            watch_interval: Duration::from_secs(1),
            handoff_first_backoff: SignedDuration::from_secs(5),
            clock: Clock::system(),
        })
    }
}

pub struct Application {
    listener: TcpListener,
    state: Arc<AppState>,
    config: AppConfig,
}

impl Application {
    /// Loads and checks the content, opens the store and binds the listener.
    pub async fn build(config: AppConfig) -> anyhow::Result<Application> {
        let config_file = config.config_file.clone();
        let content = tokio::task::spawn_blocking(move || Content::load(&config_file))
            .await?
            .map_err(|diagnostics| anyhow::anyhow!("the content has problems:\n{diagnostics}"))?;
        let store = Store::open(&config.store_url)
            .await
            .context("opening the store")?;
        let listener = TcpListener::bind(&config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        if config.keys.adapters.is_empty() {
            tracing::warn!(
                "no adapter API keys (FIRSTLINE_API_KEYS): POST /v1/messages will answer 401"
            );
        }
        if config.keys.admin.is_none() {
            tracing::warn!("no admin key (FIRSTLINE_ADMIN_KEY): the hand-off list, retries and reloads answer 403");
        }
        if config.handoff_url.is_none() {
            tracing::warn!("no hand-off URL (FIRSTLINE_HANDOFF_URL): hand-offs stay pending and visible at /v1/handoffs");
        }
        let state = Arc::new(AppState {
            service: Arc::new(Service::new(content, store)),
            keys: config.keys.clone(),
            metrics: Arc::new(Metrics::default()),
            config_file: config.config_file.clone(),
            max_text_chars: config.max_text_chars,
            reload_lock: tokio::sync::Mutex::new(()),
            clock: config.clock.clone(),
            limiter: config.rate_limit_per_minute.map(api::RateLimiter::new),
            body_timeout: config.header_timeout,
        });
        Ok(Application {
            listener,
            state,
            config,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn service(&self) -> Arc<Service> {
        self.state.service.clone()
    }

    /// Serves until `shutdown` completes; then stops accepting, finishes requests in flight,
    /// stops the delivery worker after its current attempts, and closes the store.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Application {
            listener,
            state,
            config,
        } = self;
        let (stop, stopped) = watch::channel(false);
        let mut delivery = DeliveryConfig::new(
            config.handoff_url.clone(),
            config.handoff_secret.clone(),
            config.handoff_timeout,
            config.handoff_retry_window,
        );
        delivery.first_backoff = config.handoff_first_backoff;
        let worker = tokio::spawn(handoff::run_worker(
            config.clock.clone(),
            state.service.store.clone(),
            delivery,
            state.metrics.clone(),
            stopped.clone(),
        ));
        let watcher = config.watch_content.then(|| {
            tokio::spawn(watch_content(
                state.clone(),
                config.watch_interval,
                stopped.clone(),
            ))
        });
        tracing::info!(address = %listener.local_addr()?, content = %state.service.content().version, "serving");
        let router = api::router(state.clone());
        serve_http(
            listener,
            router,
            config.max_connections,
            config.header_timeout,
            shutdown,
        )
        .await;
        tracing::info!("stopped accepting; stopping the delivery worker");
        let _ = stop.send(true);
        let _ = worker.await;
        if let Some(watcher) = watcher {
            let _ = watcher.await;
        }
        state.service.store.close().await;
        tracing::info!("shut down cleanly");
        Ok(())
    }
}

/// Accepts HTTP/1 connections until `shutdown`, then waits for those open to finish their
/// requests in flight (idle ones close at once). At most `max_connections` are open at a
/// time, so that a flood of idle sockets cannot use up the file descriptors the store and
/// the content reload need; a client that sends no complete request head within
/// `header_timeout` is disconnected, and a slow body times out in the API (408).
async fn serve_http(
    listener: TcpListener,
    router: axum::Router,
    max_connections: usize,
    header_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;

    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(max_connections));
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let socket = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((socket, _)) => socket,
                Err(error) => {
                    // Out of file descriptors, or a connection reset before it was
                    // accepted: wait a moment rather than spin.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = socket.set_nodelay(true);
        let connection = builder.serve_connection(
            TokioIo::new(socket),
            TowerToHyperService::new(router.clone()),
        );
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Polls the content files' sizes and modification times; on a change, reloads (a refused
/// reload keeps the old content and logs every problem).
async fn watch_content(state: Arc<AppState>, interval: Duration, mut stop: watch::Receiver<bool>) {
    let folders = {
        let content = state.service.content();
        let settings = &content.settings;
        vec![
            settings.file.clone(),
            settings.flows_dir.clone(),
            settings.templates_dir.clone(),
            settings.kb_dir.clone(),
        ]
    };
    let mut last = signature(&folders);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.changed() => return,
        }
        let current = signature(&folders);
        if current != last {
            last = current;
            tracing::info!("content files changed; reloading");
            let _ = api::reload_content(&state).await;
        }
    }
}

fn signature(paths: &[PathBuf]) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
    let mut out = Vec::new();
    for path in paths {
        collect(path, &mut out, 0);
    }
    out.sort();
    out
}

fn collect(path: &Path, out: &mut Vec<(PathBuf, u64, Option<SystemTime>)>, depth: usize) {
    let Ok(metadata) = std::fs::metadata(path) else {
        return;
    };
    if metadata.is_file() {
        out.push((path.to_path_buf(), metadata.len(), metadata.modified().ok()));
    } else if metadata.is_dir() && depth < 4 {
        if let Ok(entries) = std::fs::read_dir(path) {
            for entry in entries.flatten() {
                collect(&entry.path(), out, depth + 1);
            }
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
    tracing::info!("shutdown signal received");
}
