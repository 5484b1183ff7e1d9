//! Hand-off delivery to the helpdesk: a background worker that POSTs queued deliveries from
//! the store's outbox, signed the Standard Webhooks way, in order per conversation, retried
//! with exponential backoff and jitter (honouring `Retry-After`) until the retry window runs
//! out, then marked failed — never dropped. Without a URL, deliveries stay pending.

pub mod sign;

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tokio::sync::watch;

use crate::store::{AttemptOutcome, Delivery, Store};

use self::sign::Secret;

/// Deliveries attempted at once (each from a different conversation).
const PARALLEL: usize = 16;
/// The longest a worker sleeps before looking at the outbox again.
const IDLE_POLL: Duration = Duration::from_secs(2);

#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    pub url: Option<String>,
    pub secret: Option<Secret>,
    pub timeout: Duration,
    pub retry_window: SignedDuration,
    pub first_backoff: SignedDuration,
    pub max_backoff: SignedDuration,
}

impl DeliveryConfig {
    pub fn new(
        url: Option<String>,
        secret: Option<Secret>,
        timeout: Duration,
        retry_window: SignedDuration,
    ) -> Self {
        DeliveryConfig {
            url,
            secret,
            timeout,
            retry_window,
            first_backoff: SignedDuration::from_secs(5),
            max_backoff: SignedDuration::from_mins(30),
        }
    }

    /// The delay before attempt `attempts + 1`: doubling from `first_backoff`, capped, with
    /// ±25% jitter so many failing deliveries do not retry in lockstep.
    pub fn backoff(&self, attempts: i64) -> SignedDuration {
        let exponent = attempts.clamp(0, 20) as u32;
        let base = self
            .first_backoff
            .as_millis()
            .saturating_mul(1i128 << exponent);
        let capped = base.min(self.max_backoff.as_millis()) as f64;
        let jittered = capped * (0.75 + fastrand::f64() * 0.5);
        SignedDuration::from_millis(jittered as i64)
    }
}

/// Counts what the worker did, for metrics.
pub trait DeliveryObserver: Send + Sync {
    fn attempted(&self, kind: &str, outcome: &str);
}

/// Runs until `shutdown` turns true: finishes the attempts under way, then returns.
pub async fn run_worker(
    clock: crate::clock::Clock,
    store: Store,
    config: DeliveryConfig,
    observer: std::sync::Arc<dyn DeliveryObserver>,
    mut shutdown: watch::Receiver<bool>,
) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("firstline/", env!("CARGO_PKG_VERSION")))
        .timeout(config.timeout)
        .connect_timeout(config.timeout)
        .no_proxy()
        .build()
        .expect("an HTTP client with a timeout and no redirects builds");
    let queued = store.deliveries_queued();
    // Attempts run side by side, up to PARALLEL, and a new one starts as soon as a slot is
    // free: a helpdesk that hangs on one request (until the timeout) does not hold back
    // the hand-offs of other conversations. Each due delivery is the oldest of its
    // conversation, so a conversation's own deliveries still go one after the other.
    let mut attempts: tokio::task::JoinSet<()> = tokio::task::JoinSet::new();
    // The delivery each attempt under way is for, by task.
    let mut in_flight: std::collections::HashMap<tokio::task::Id, String> =
        std::collections::HashMap::new();
    loop {
        if *shutdown.borrow() {
            while attempts.join_next().await.is_some() {}
            return;
        }
        if config.url.is_some() && attempts.len() < PARALLEL {
            // An attempt under way is still pending in the store: asked for, it is skipped.
            match store
                .due_deliveries(clock.now(), PARALLEL + in_flight.len())
                .await
            {
                Ok(due) => {
                    for delivery in due {
                        if attempts.len() >= PARALLEL {
                            break;
                        }
                        if in_flight.values().any(|id| *id == delivery.id) {
                            continue;
                        }
                        let id = delivery.id.clone();
                        let (client, store, config, observer, clock) = (
                            client.clone(),
                            store.clone(),
                            config.clone(),
                            observer.clone(),
                            clock.clone(),
                        );
                        let task = attempts.spawn(async move {
                            let observer = observer.as_ref();
                            attempt(&client, &store, &config, observer, &clock, delivery).await;
                        });
                        in_flight.insert(task.id(), id);
                    }
                }
                Err(error) => tracing::error!(%error, "cannot read the outbox"),
            }
        }
        // With attempts under way, the next due time may be one of theirs: a finished
        // attempt, a new hand-off or the idle poll wakes the loop instead.
        let wait = match store.next_due_at().await {
            Ok(Some(next)) if config.url.is_some() && attempts.is_empty() => {
                let millis = next
                    .duration_since(clock.now())
                    .as_millis()
                    .clamp(10, IDLE_POLL.as_millis() as i128);
                Duration::from_millis(millis as u64)
            }
            _ => IDLE_POLL,
        };
        tokio::select! {
            Some(done) = attempts.join_next_with_id(), if !attempts.is_empty() => {
                let task = match done {
                    Ok((task, ())) => task,
                    Err(error) => error.id(),
                };
                in_flight.remove(&task);
            }
            _ = queued.notified() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => {}
        }
    }
}

async fn attempt(
    client: &reqwest::Client,
    store: &Store,
    config: &DeliveryConfig,
    observer: &dyn DeliveryObserver,
    clock: &crate::clock::Clock,
    delivery: Delivery,
) {
    let Some(url) = &config.url else { return };
    // The signature's timestamp is the real time: receivers check it against their clock.
    let timestamp = Timestamp::now().as_second();
    let mut request = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &delivery.id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("idempotency-key", &delivery.id);
    if let Some(secret) = &config.secret {
        request = request.header(
            "webhook-signature",
            secret.sign(&delivery.id, timestamp, delivery.payload.as_bytes()),
        );
    }
    let result = request.body(delivery.payload.clone()).send().await;
    let now = clock.now();
    let result = match result {
        Ok(response) if response.status().is_success() => AttemptResult::Accepted,
        Ok(response) => AttemptResult::Refused {
            status: response.status().as_u16(),
            retry_after: response
                .headers()
                .get("retry-after")
                .and_then(|value| value.to_str().ok())
                .and_then(retry_after_seconds)
                .map(|seconds| SignedDuration::from_secs(seconds.clamp(0, 24 * 3600))),
        },
        Err(error) if error.is_timeout() => AttemptResult::Failed("timed out".into()),
        Err(error) => AttemptResult::Failed(without_url(&error)),
    };
    let outcome = judge(
        config,
        delivery.attempts,
        delivery.window_start,
        now,
        result,
    );
    let label = if matches!(outcome, AttemptOutcome::Delivered) {
        "delivered"
    } else {
        "retry"
    };
    let label = match &outcome {
        AttemptOutcome::Failed { .. } => "failed",
        _ => label,
    };
    match &outcome {
        AttemptOutcome::Delivered => {
            tracing::info!(delivery = %delivery.id, kind = %delivery.kind, attempts = delivery.attempts + 1, "delivered")
        }
        AttemptOutcome::RetryAt { at, error } => {
            tracing::warn!(delivery = %delivery.id, %error, retry_at = %at, "delivery failed, will retry")
        }
        AttemptOutcome::Failed { error } => {
            tracing::error!(delivery = %delivery.id, %error, "delivery failed for good; retry it from /v1/handoffs")
        }
    }
    observer.attempted(&delivery.kind, label);
    if let Err(error) = store.record_attempt(&delivery.id, outcome, now).await {
        tracing::error!(%error, delivery = %delivery.id, "cannot record a delivery attempt");
    }
}

/// A `Retry-After` value in seconds from now: a number of seconds, or an HTTP date ("Wed,
/// 02 Dec 2026 05:52:18 GMT", RFC 9110), read against the real time as the receiver wrote it.
pub fn retry_after_seconds(value: &str) -> Option<i64> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<i64>() {
        return Some(seconds);
    }
    let at = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    Some(at.duration_since(Timestamp::now()).as_secs())
}

/// What the helpdesk did with one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptResult {
    /// A 2xx answer.
    Accepted,
    /// Any other status (redirects included: they are not followed).
    Refused {
        status: u16,
        retry_after: Option<SignedDuration>,
    },
    /// No answer: connection refused, timed out, reset.
    Failed(String),
}

/// The retry policy: delivered on 2xx; otherwise retried after the backoff (or the receiver's
/// `Retry-After`, when longer) while that stays inside the retry window; else failed for good.
pub fn judge(
    config: &DeliveryConfig,
    attempts: i64,
    window_start: Timestamp,
    now: Timestamp,
    result: AttemptResult,
) -> AttemptOutcome {
    let (error, retry_after) = match result {
        AttemptResult::Accepted => return AttemptOutcome::Delivered,
        AttemptResult::Refused {
            status,
            retry_after,
        } => (format!("HTTP {status}"), retry_after),
        AttemptResult::Failed(error) => (error, None),
    };
    let delay = config.backoff(attempts);
    let delay = retry_after.map_or(delay, |asked| asked.max(delay));
    let at = now.checked_add(delay).unwrap_or(now);
    let deadline = window_start.checked_add(config.retry_window).unwrap_or(now);
    if at > deadline {
        AttemptOutcome::Failed { error }
    } else {
        AttemptOutcome::RetryAt { at, error }
    }
}

/// A transport error without the URL, which may carry credentials.
fn without_url(error: &reqwest::Error) -> String {
    let text = error.without_url_ref().to_string();
    if error.is_connect() {
        format!("cannot connect: {text}")
    } else {
        text
    }
}

trait WithoutUrl {
    fn without_url_ref(&self) -> String;
}

impl WithoutUrl for reqwest::Error {
    fn without_url_ref(&self) -> String {
        let mut text = self.to_string();
        if let Some(url) = self.url() {
            text = text.replace(url.as_str(), "<handoff url>");
        }
        text
    }
}
