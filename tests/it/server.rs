//! Helpers for tests of the running service: the real application on port 0 with its own
//! temporary content copy and SQLite file, a clock the test can move, and a real webhook
//! receiver that records what it gets and can be told to fail, stall or be down.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use firstline::api::Keys;
use firstline::app::{AppConfig, Application, Clock};
use firstline::handoff::sign::Secret;
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use tokio::sync::oneshot;

use crate::support::ContentCopy;

pub const WEB_KEY: &str = "web-test-key-123";
pub const WHATSAPP_KEY: &str = "wa-test-key-123";
pub const ADMIN_KEY: &str = "admin-test-key-1";
/// `whsec_` + base64 of 32 bytes.
pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw5PqYbSv5fhM=";

/// A Monday 10:00 in Amsterdam: every shipped queue is open.
pub const MONDAY_MORNING: &str = "2026-11-23T10:00:00+01:00";
/// A Sunday 03:00 in Amsterdam: every shipped queue is closed.
pub const SUNDAY_NIGHT: &str = "2026-11-22T03:00:00+01:00";

/// A clock that starts at a chosen instant, runs in real time, and can be moved forward.
#[derive(Clone)]
pub struct TestClock {
    start: Timestamp,
    began: Instant,
    offset_ms: Arc<AtomicI64>,
}

impl TestClock {
    pub fn starting_at(start: &str) -> TestClock {
        TestClock {
            start: start.parse().unwrap(),
            began: Instant::now(),
            offset_ms: Arc::new(AtomicI64::new(0)),
        }
    }

    pub fn advance(&self, by: SignedDuration) {
        self.offset_ms
            .fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }

    pub fn clock(&self) -> Clock {
        let this = self.clone();
        Clock::new(move || {
            let elapsed =
                this.began.elapsed().as_millis() as i64 + this.offset_ms.load(Ordering::SeqCst);
            this.start
                .checked_add(SignedDuration::from_millis(elapsed))
                .unwrap()
        })
    }
}

#[derive(Clone)]
pub struct Options {
    pub handoff_url: Option<String>,
    pub secret: bool,
    pub retry_window: SignedDuration,
    pub first_backoff: SignedDuration,
    pub timeout: Duration,
    pub start: &'static str,
    pub watch: bool,
    pub rate_limit_per_minute: Option<u32>,
    /// The store to use instead of a SQLite file in the app's store folder.
    pub store_url: Option<String>,
    pub max_connections: usize,
    pub header_timeout: Duration,
}

impl Options {
    /// These options, delivering hand-offs to `url`.
    pub fn delivering_to(&self, url: &str) -> Options {
        Options {
            handoff_url: Some(url.to_string()),
            ..self.clone()
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            handoff_url: None,
            secret: true,
            retry_window: SignedDuration::from_hours(24),
            first_backoff: SignedDuration::from_millis(100),
            timeout: Duration::from_secs(2),
            start: MONDAY_MORNING,
            watch: false,
            rate_limit_per_minute: None,
            store_url: None,
            max_connections: 512,
            header_timeout: Duration::from_secs(20),
        }
    }
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub clock: TestClock,
    pub content: ContentCopy,
    pub store_dir: Arc<tempfile::TempDir>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    pub async fn spawn(options: Options) -> TestApp {
        let store_dir = Arc::new(tempfile::tempdir().unwrap());
        TestApp::spawn_with(options, ContentCopy::new(), store_dir).await
    }

    /// Starts an app on an existing content copy and store folder (a restart).
    pub async fn spawn_with(
        options: Options,
        content: ContentCopy,
        store_dir: Arc<tempfile::TempDir>,
    ) -> TestApp {
        let clock = TestClock::starting_at(options.start);
        let config = AppConfig {
            config_file: content.config(),
            listen: "127.0.0.1:0".into(),
            store_url: options.store_url.clone().unwrap_or_else(|| {
                format!(
                    "sqlite://{}",
                    store_dir.path().join("firstline.db").display()
                )
            }),
            handoff_url: options.handoff_url.clone(),
            handoff_secret: options.secret.then(|| Secret::parse(SECRET).unwrap()),
            handoff_timeout: options.timeout,
            handoff_retry_window: options.retry_window,
            keys: Keys {
                adapters: vec![
                    ("web".into(), WEB_KEY.into()),
                    ("whatsapp".into(), WHATSAPP_KEY.into()),
                ],
                admin: Some(ADMIN_KEY.into()),
            },
            max_text_chars: 4000,
            rate_limit_per_minute: options.rate_limit_per_minute,
            watch_content: options.watch,
            max_connections: options.max_connections,
            header_timeout: options.header_timeout,
            watch_interval: Duration::from_millis(100),
            handoff_first_backoff: options.first_backoff,
            clock: clock.clock(),
        };
        let app = Application::build(config).await.expect("the app builds");
        let base = format!("http://{}", app.local_addr());
        let (shutdown, stop) = oneshot::channel::<()>();
        let task = tokio::spawn(app.serve(async move {
            let _ = stop.await;
        }));
        TestApp {
            base,
            client: reqwest::Client::builder().no_proxy().build().unwrap(),
            clock,
            content,
            store_dir,
            shutdown: Some(shutdown),
            task: Some(task),
        }
    }

    /// Graceful shutdown; returns the content and store for a restart.
    pub async fn stop(mut self) -> (ContentCopy, Arc<tempfile::TempDir>) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().expect("the app shuts down cleanly");
        }
        (self.content, self.store_dir)
    }

    pub async fn post(&self, path: &str, key: Option<&str>, body: &Value) -> (StatusCode, Value) {
        let mut request = self
            .client
            .post(format!("{}{}", self.base, path))
            .json(body);
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.unwrap();
        let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, path: &str, key: Option<&str>) -> (StatusCode, Value) {
        let mut request = self.client.get(format!("{}{}", self.base, path));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.unwrap();
        let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Posts a message with exactly this message id.
    pub async fn say_raw(
        &self,
        conversation: &str,
        message_id: &str,
        text: &str,
    ) -> (StatusCode, Value) {
        let mut body = message(conversation, "", text);
        body["message_id"] = Value::String(message_id.to_string());
        self.post("/v1/messages", Some(WEB_KEY), &body).await
    }

    /// Posts a customer message on the web channel; returns status and body.
    pub async fn say(
        &self,
        conversation: &str,
        message_id: &str,
        text: &str,
    ) -> (StatusCode, Value) {
        self.post(
            "/v1/messages",
            Some(WEB_KEY),
            &message(conversation, message_id, text),
        )
        .await
    }
}

/// A message body for the web channel. Message ids are unique per channel, as adapters' are:
/// the id is scoped by the conversation (`c1/m1`).
pub fn message(conversation: &str, message_id: &str, text: &str) -> Value {
    serde_json::json!({
        "channel": "web",
        "conversation_id": conversation,
        "message_id": format!("{conversation}/{message_id}"),
        "customer": {"id": format!("customer-{conversation}"), "name": "Ana", "locale": "en"},
        "text": text,
    })
}

/// What the receiver does with the next requests.
#[derive(Debug, Clone)]
pub enum Mode {
    Accept,
    /// Answer with this status (and optional Retry-After seconds) `remaining` more times.
    Fail {
        status: u16,
        retry_after: Option<u64>,
        remaining: usize,
    },
    /// Wait this long before answering 200.
    Stall(Duration),
    /// Wait this long before answering the next request with 200; answer the others at once.
    StallNext(Duration),
}

#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub timestamp: i64,
    pub signature: String,
    pub body: Value,
    pub raw: Vec<u8>,
    pub at: Instant,
    /// The status this request was answered with.
    pub answered: u16,
}

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    pub log: Arc<Mutex<Vec<Received>>>,
    pub mode: Arc<Mutex<Mode>>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Receiver::serve(listener)
    }

    /// Starts a receiver on a given address (to bring a "down" receiver back).
    pub async fn start_at(address: SocketAddr) -> Receiver {
        let mut tries = 0;
        let listener = loop {
            match tokio::net::TcpListener::bind(address).await {
                Ok(listener) => break listener,
                Err(error) if tries < 50 => {
                    tries += 1;
                    let _ = error;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => panic!("cannot bind {address}: {error}"),
            }
        };
        Receiver::serve(listener)
    }

    /// An address nothing listens on (yet).
    pub async fn unused_address() -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap()
    }

    fn serve(listener: tokio::net::TcpListener) -> Receiver {
        let address = listener.local_addr().unwrap();
        let log: Arc<Mutex<Vec<Received>>> = Arc::default();
        let mode = Arc::new(Mutex::new(Mode::Accept));
        let (state_log, state_mode) = (log.clone(), mode.clone());
        let app = axum::Router::new().route(
            "/hooks",
            axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
                let (log, mode) = (state_log.clone(), state_mode.clone());
                async move {
                    let current = {
                        let mut mode = mode.lock().unwrap();
                        let current = mode.clone();
                        if let Mode::Fail { remaining, .. } = &mut *mode {
                            *remaining -= 1;
                            if *remaining == 0 {
                                *mode = Mode::Accept;
                            }
                        }
                        if let Mode::StallNext(_) = &*mode {
                            *mode = Mode::Accept;
                        }
                        current
                    };
                    if let Mode::Stall(duration) | Mode::StallNext(duration) = current {
                        tokio::time::sleep(duration).await;
                    }
                    let header = |name: &str| {
                        headers
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_string()
                    };
                    let (status, retry_after) = match current {
                        Mode::Fail {
                            status,
                            retry_after,
                            ..
                        } => (status, retry_after),
                        _ => (200, None),
                    };
                    log.lock().unwrap().push(Received {
                        id: header("webhook-id"),
                        timestamp: header("webhook-timestamp").parse().unwrap_or(0),
                        signature: header("webhook-signature"),
                        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
                        raw: body.to_vec(),
                        at: Instant::now(),
                        answered: status,
                    });
                    let mut response = axum::response::Response::new(axum::body::Body::empty());
                    *response.status_mut() = StatusCode::from_u16(status).unwrap();
                    if let Some(seconds) = retry_after {
                        response
                            .headers_mut()
                            .insert("retry-after", seconds.to_string().parse().unwrap());
                    }
                    response
                }
            }),
        );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver {
            url: format!("http://{address}/hooks"),
            log,
            mode,
        }
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    pub fn received(&self) -> Vec<Received> {
        self.log.lock().unwrap().clone()
    }

    /// The requests answered 2xx, in arrival order.
    pub fn delivered(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| (200..300).contains(&r.answered))
            .collect()
    }

    /// Waits until `count` deliveries were accepted, or panics after `within`.
    pub async fn wait_for(&self, count: usize, within: Duration) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let delivered = self.delivered();
            if delivered.len() >= count {
                return delivered;
            }
            assert!(
                Instant::now() < deadline,
                "only {} of {count} deliveries arrived: {:?}",
                delivered.len(),
                self.received()
                    .iter()
                    .map(|r| (&r.id, r.answered))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
