//! The HTTP API (axum): routes under `/v1`, authentication by API key, request validation,
//! and the mapping of every failure to the one error shape. Only this module knows HTTP and
//! JSON request formats; it calls [`crate::service::Service`] for everything else.

pub mod error;
pub mod metrics;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequest, MatchedPath, Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::content::Content;
use crate::engine::{Customer, Owner};
use crate::handoff::sign::constant_time_eq;
use crate::locale::Locale;
use crate::service::{MessageRequest, Service};
use crate::store::{DeliveryStatus, Direction, NewMessage, RetryOutcome};

use self::error::{ApiError, Code};
use self::metrics::{
    ActionLabels, HandoffLabels, Metrics, RequestLabels, RouteLabels, StatusLabels,
};

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// The longest request target (path and query) accepted.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// The most bytes of header names and values accepted in one request.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;
const MAX_ID_CHARS: usize = 200;
/// The most messages a conversation's state lists (its latest; `?limit=` for fewer).
const MAX_HISTORY: usize = 10_000;

/// The OpenAPI document describing this API.
pub const OPENAPI: &str = include_str!("openapi.json");

/// Who is calling: a channel adapter (bound to its channel) or an operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Adapter(String),
    Admin,
}

/// API keys: each adapter key serves one channel; the admin key reaches everything.
#[derive(Clone, Default)]
pub struct Keys {
    pub adapters: Vec<(String, String)>,
    pub admin: Option<String>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let channels: Vec<&str> = self
            .adapters
            .iter()
            .map(|(channel, _)| channel.as_str())
            .collect();
        f.debug_struct("Keys")
            .field("channels", &channels)
            .field("admin", &self.admin.is_some())
            .finish()
    }
}

impl Keys {
    /// Parses `channel:key,channel:key`.
    pub fn parse_adapters(text: &str) -> Result<Vec<(String, String)>, String> {
        let mut keys = Vec::new();
        for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (channel, key) = pair.split_once(':').ok_or_else(|| {
                "FIRSTLINE_API_KEYS is a comma-separated list of channel:key pairs".to_string()
            })?;
            // Spaces around a pair's parts are the list's layout, not the key's.
            let (channel, key) = (channel.trim(), key.trim());
            if !valid_channel(channel) {
                return Err(format!(
                    "FIRSTLINE_API_KEYS: `{channel}` is not a channel name (1 to 64 lowercase letters, digits, `-` or `_`)"
                ));
            }
            if key.len() < 8 {
                return Err(format!(
                    "FIRSTLINE_API_KEYS: channel `{channel}` needs a key of at least 8 characters"
                ));
            }
            // One key, one channel: with the same key for two, one of them could not be
            // reached, and which one would depend on the order of the list.
            if let Some((other, _)) = keys.iter().find(|(_, known)| known == key) {
                return Err(format!(
                    "FIRSTLINE_API_KEYS: channels `{other}` and `{channel}` have the same key; give each channel its own"
                ));
            }
            keys.push((channel.to_string(), key.to_string()));
        }
        Ok(keys)
    }

    fn caller(&self, headers: &HeaderMap) -> Result<Caller, ApiError> {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            // The scheme's name is case-insensitive (RFC 9110): "bearer" is "Bearer".
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, key)| key.trim())
            .ok_or_else(|| {
                ApiError::new(Code::Unauthorized, "send `Authorization: Bearer <API key>`")
            })?;
        if self
            .admin
            .as_deref()
            .is_some_and(|admin| constant_time_eq(admin.as_bytes(), presented.as_bytes()))
        {
            return Ok(Caller::Admin);
        }
        // Check every key, so timing does not tell which one almost matched.
        let mut found = None;
        for (channel, key) in &self.adapters {
            if constant_time_eq(key.as_bytes(), presented.as_bytes()) {
                found = Some(channel.clone());
            }
        }
        found
            .map(Caller::Adapter)
            .ok_or_else(|| ApiError::new(Code::Unauthorized, "unknown API key"))
    }
}

pub struct AppState {
    pub service: Arc<Service>,
    pub keys: Keys,
    pub metrics: Arc<Metrics>,
    pub config_file: PathBuf,
    pub max_text_chars: usize,
    /// Serializes reloads (admin request and file watcher).
    pub reload_lock: tokio::sync::Mutex<()>,
    /// The only clock the service reads.
    pub clock: crate::app::Clock,
    /// Per-adapter request limit, if configured.
    pub limiter: Option<RateLimiter>,
    /// How long a request body may take to arrive once its headers have (408 after).
    pub body_timeout: std::time::Duration,
}

/// A limit on each adapter key's requests (per channel; the admin key is not limited): a
/// token bucket holding a minute's worth, refilled continuously, so a quiet adapter may burst.
pub struct RateLimiter {
    per_minute: u32,
    buckets: Mutex<HashMap<String, Bucket>>,
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> RateLimiter {
        RateLimiter {
            per_minute: per_minute.max(1),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request's token for `channel`, or says in how many seconds one is there.
    pub fn take(&self, channel: &str) -> Result<(), u64> {
        let now = Instant::now();
        let capacity = self.per_minute as f64;
        let per_second = capacity / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if !buckets.contains_key(channel) {
            buckets.insert(
                channel.to_string(),
                Bucket {
                    tokens: capacity,
                    updated: now,
                },
            );
        }
        let bucket = buckets.get_mut(channel).expect("inserted above");
        let refill = now.duration_since(bucket.updated).as_secs_f64() * per_second;
        bucket.tokens = (bucket.tokens + refill).min(capacity);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / per_second).ceil().max(1.0) as u64)
        }
    }
}

/// The application's routes, ready to serve or to call with `oneshot` in tests.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/v1/messages", post(post_message))
        .route(
            "/v1/conversations/{channel}/{conversation_id}",
            get(get_conversation),
        )
        .route(
            "/v1/conversations/{channel}/{conversation_id}/handback",
            post(handback),
        )
        .route(
            "/v1/conversations/{channel}/{conversation_id}/agent-messages",
            post(agent_message),
        )
        .route("/v1/kb/search", get(kb_search))
        .route("/v1/handoffs", get(list_handoffs))
        .route("/v1/handoffs/{id}/retry", post(retry_handoff))
        .route("/v1/admin/reload", post(reload))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .route(
            "/openapi.json",
            get(|| async { ([(header::CONTENT_TYPE, "application/json")], OPENAPI) }),
        )
        .fallback(|| async { ApiError::new(Code::NotFound, "no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(Code::MethodNotAllowed, "method not allowed on this route")
        })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(bound_request_head))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            record_request,
        ))
        .with_state(state)
}

/// Refuses an over-long request target or header block in the API's error shape. (Beyond
/// what the HTTP parser itself buffers, about 400 KiB, it answers with its own bare status.)
async fn bound_request_head(request: Request, next: Next) -> Response {
    let uri = request.uri();
    let target = uri.path().len() + uri.query().map_or(0, |query| query.len() + 1);
    if target > MAX_URI_BYTES {
        return ApiError::new(
            Code::UriTooLong,
            format!("the request target is longer than {MAX_URI_BYTES} bytes"),
        )
        .into_response();
    }
    let headers: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if headers > MAX_HEADER_BYTES {
        return ApiError::new(
            Code::HeadersTooLarge,
            format!("the request headers are larger than {MAX_HEADER_BYTES} bytes"),
        )
        .into_response();
    }
    next.run(request).await
}

async fn record_request(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |path| path.as_str().to_string());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let labels = RequestLabels {
        route: route.clone(),
        method,
        status: response.status().as_u16(),
    };
    state.metrics.requests.get_or_create(&labels).inc();
    state
        .metrics
        .request_seconds
        .get_or_create(&RouteLabels { route })
        .observe(started.elapsed().as_secs_f64());
    response
}

/// The authenticated caller. As an extractor it runs before the body is read, so a request
/// without a valid key is a 401, and one over its key's rate limit a 429, whatever its body.
pub struct Authenticated(pub Caller);

impl axum::extract::FromRequestParts<Arc<AppState>> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let caller = state.keys.caller(&parts.headers)?;
        if let (Caller::Adapter(channel), Some(limiter)) = (&caller, &state.limiter) {
            if let Err(seconds) = limiter.take(channel) {
                let mut error = ApiError::new(
                    Code::TooManyRequests,
                    format!(
                        "the `{channel}` key is over its limit of {} requests a minute",
                        limiter.per_minute
                    ),
                );
                error.retry_after = Some(seconds);
                return Err(error);
            }
        }
        Ok(Authenticated(caller))
    }
}

/// JSON body extractor whose rejections use the API's error shape.
pub struct ApiJson<T>(pub T);

impl<T: serde::de::DeserializeOwned> FromRequest<Arc<AppState>> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(
        request: Request,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let headers = request.headers();
        // A compressed body would otherwise reach the JSON parser as bytes it cannot read.
        if let Some(encoding) = headers.get(header::CONTENT_ENCODING) {
            let encoding = encoding.to_str().unwrap_or("").trim();
            if !encoding.eq_ignore_ascii_case("identity") {
                return Err(ApiError::new(
                    Code::UnsupportedMediaType,
                    "send the body uncompressed: no `content-encoding` is accepted",
                ));
            }
        }
        // A body declared too large is refused before any of it is read, rather than after
        // 64 KiB of it or, from a client waiting for `100 Continue`, never.
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok());
        if declared.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
            return Err(ApiError::body_too_large());
        }
        // A client that sends its body slowly, or never finishes it, would hold a task and
        // a connection for as long as it likes.
        let limit = state.body_timeout;
        match tokio::time::timeout(limit, Json::<Object<T>>::from_request(request, state)).await {
            Ok(read) => read
                .map(|Json(Object(value))| ApiJson(value))
                .map_err(ApiError::from),
            Err(_) => Err(ApiError::new(
                Code::RequestTimeout,
                format!(
                    "the request body did not arrive within {} ms",
                    limit.as_millis()
                ),
            )),
        }
    }
}

/// A JSON object read into `T`. serde's derived structs also accept an array of their
/// fields in order (`["web", "c-1", ...]`); the API documents objects, and an array that
/// happens to fit is far more likely a client's bug than its intent.
struct Object<T>(T);

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Object<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit<T>(std::marker::PhantomData<T>);
        impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for Visit<T> {
            type Value = T;
            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }
        deserializer
            .deserialize_map(Visit(std::marker::PhantomData))
            .map(Object)
    }
}

fn object<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    Object::deserialize(deserializer).map(|Object(value)| value)
}

#[derive(Deserialize)]
struct MessageBody {
    channel: String,
    conversation_id: String,
    message_id: String,
    #[serde(deserialize_with = "object")]
    customer: CustomerBody,
    text: String,
    #[serde(default)]
    sent_at: Option<String>,
}

#[derive(Deserialize)]
struct CustomerBody {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    locale: Option<String>,
    #[serde(default)]
    timezone: Option<String>,
}

async fn post_message(
    State(state): State<Arc<AppState>>,
    Authenticated(caller): Authenticated,
    ApiJson(body): ApiJson<MessageBody>,
) -> Result<Response, ApiError> {
    let request = validate_message(body, state.max_text_chars)?;
    authorize_channel(&caller, &request.channel)?;
    let started = Instant::now();
    let outcome = state
        .service
        .handle_message(&request, state.clock.now())
        .await?;
    if let Some(decision) = &outcome.decision {
        let metrics = &state.metrics;
        metrics
            .decision_seconds
            .observe(started.elapsed().as_secs_f64());
        let action = serde_json::to_value(decision.action)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        metrics
            .decisions
            .get_or_create(&ActionLabels {
                action: action.clone(),
            })
            .inc();
        if let Some(handoff) = &decision.handoff {
            metrics
                .handoffs
                .get_or_create(&HandoffLabels {
                    reason: handoff.reason.clone(),
                    queue: handoff.queue.clone(),
                    after_hours: handoff.after_hours.to_string(),
                })
                .inc();
        }
        // Ids come from adapters: written quoted and escaped (`?`), so that one cannot
        // forge a log line ("c-1\n INFO … decided …").
        tracing::info!(
            channel = %request.channel,
            conversation = ?request.conversation_id,
            message_id = ?request.message_id,
            %action,
            locale = %decision.locale,
            content = %decision.content_version,
            "decided"
        );
        tracing::debug!(text = %request.text, "customer text");
    }
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        Body::from(outcome.body),
    )
        .into_response())
}

/// No chat channel sends U+0000, and PostgreSQL cannot store it in text: refused the same
/// way whichever store is configured.
const NUL_IN_TEXT: &str = "`text` contains a NUL character (U+0000)";

fn validate_message(body: MessageBody, max_text_chars: usize) -> Result<MessageRequest, ApiError> {
    if !valid_channel(&body.channel) {
        return Err(ApiError::invalid(
            "`channel` is 1 to 64 lowercase letters, digits, `-` or `_`",
        ));
    }
    check_id("conversation_id", &body.conversation_id)?;
    check_id("message_id", &body.message_id)?;
    check_id("customer.id", &body.customer.id)?;
    if blank(&body.text) {
        return Err(ApiError::invalid("`text` is empty"));
    }
    if body.text.contains('\0') {
        return Err(ApiError::invalid(NUL_IN_TEXT));
    }
    let characters = body.text.chars().count();
    if characters > max_text_chars {
        return Err(ApiError::invalid(format!(
            "`text` has {characters} characters; at most {max_text_chars} are accepted"
        )));
    }
    if body
        .customer
        .name
        .as_ref()
        .is_some_and(|name| name.chars().count() > MAX_ID_CHARS)
    {
        return Err(ApiError::invalid(format!(
            "`customer.name` is longer than {MAX_ID_CHARS} characters"
        )));
    }
    // A channel passes the browser's or the phone's locale through as it comes: whatever
    // names a language is read as a hint, and anything else is no hint (the text tells the
    // language). A customer's message is never refused for it.
    if body
        .customer
        .locale
        .as_ref()
        .is_some_and(|locale| locale.chars().count() > MAX_ID_CHARS)
    {
        return Err(ApiError::invalid(format!(
            "`customer.locale` is longer than {MAX_ID_CHARS} characters"
        )));
    }
    let locale = body
        .customer
        .locale
        .as_deref()
        .and_then(Locale::from_hint)
        .map(|locale| locale.to_string());
    let timezone = match body
        .customer
        .timezone
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        Some(zone) => {
            let found = jiff::tz::TimeZone::get(zone).map_err(|_| {
                ApiError::invalid(format!(
                    "`customer.timezone` `{zone}` is not an IANA time zone"
                ))
            })?;
            // As the time zone database spells it ("europe/amsterdam" is found, and passed
            // on as "Europe/Amsterdam", which a helpdesk's library also finds).
            Some(found.iana_name().unwrap_or(zone).to_string())
        }
        None => None,
    };
    let sent_at = match body.sent_at.as_deref() {
        Some(text) => {
            let time = rfc3339(text)
                .ok_or_else(|| ApiError::invalid("`sent_at` is not an RFC 3339 time"))?;
            // Written back out in UTC, a time before year 1 or after 9999 would not be an
            // RFC 3339 time any more (and none is a real sending time).
            let year = time.to_zoned(jiff::tz::TimeZone::UTC).year();
            if !(1970..=9998).contains(&year) {
                return Err(ApiError::invalid(
                    "`sent_at` must be a time between the years 1970 and 9998",
                ));
            }
            Some(time)
        }
        None => None,
    };
    Ok(MessageRequest {
        channel: body.channel,
        conversation_id: body.conversation_id,
        message_id: body.message_id,
        customer: Customer {
            id: body.customer.id,
            name: body.customer.name.as_deref().and_then(printable_name),
            locale,
            timezone,
        },
        text: body.text,
        sent_at,
    })
}

/// An RFC 3339 time. jiff also reads offsets up to ±25:59, which RFC 3339 has no room for
/// (its hours end at 23).
fn rfc3339(text: &str) -> Option<Timestamp> {
    let time = text.parse::<Timestamp>().ok()?;
    let offset_fits = match text.as_bytes() {
        [.., b'Z' | b'z'] => true,
        [.., b'+' | b'-', h1, h2, b':', _, _] if h1.is_ascii_digit() && h2.is_ascii_digit() => {
            (h1 - b'0') * 10 + (h2 - b'0') <= 23
        }
        _ => false,
    };
    offset_fits.then_some(time)
}

fn valid_channel(channel: &str) -> bool {
    (1..=64).contains(&channel.len())
        && channel
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// A customer's name as replies may say it: control characters (a newline, NUL, a
/// terminal escape) and bidirectional overrides are left out and runs of spaces made one, so
/// "Hi {{name}}!" stays one line that reads as written; nothing left is no name. The name is
/// the channel's profile data, not the customer's message: cleaned, not refused.
fn printable_name(name: &str) -> Option<String> {
    let kept: String = name
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .filter(|c| !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
        .collect();
    let name = kept.split_whitespace().collect::<Vec<_>>().join(" ");
    (!name.is_empty()).then_some(name)
}

/// Whether a text shows nothing: only white space and invisible format characters (zero
/// width spaces and joiners, the byte order mark).
fn blank(text: &str) -> bool {
    text.chars().all(|c| {
        c.is_whitespace() || matches!(c, '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}')
    })
}

fn check_id(field: &str, value: &str) -> Result<(), ApiError> {
    let characters = value.chars().count();
    if characters == 0
        || characters > MAX_ID_CHARS
        || value.chars().any(char::is_control)
        || blank(value)
    {
        return Err(ApiError::invalid(format!(
            "`{field}` is 1 to {MAX_ID_CHARS} printable characters, not all of them spaces"
        )));
    }
    Ok(())
}

fn authorize_channel(caller: &Caller, channel: &str) -> Result<(), ApiError> {
    match caller {
        Caller::Admin => Ok(()),
        Caller::Adapter(own) if own == channel => Ok(()),
        Caller::Adapter(own) => Err(ApiError::new(
            Code::Forbidden,
            format!("this key serves the `{own}` channel, not `{channel}`"),
        )),
    }
}

fn require_admin(caller: &Caller) -> Result<(), ApiError> {
    match caller {
        Caller::Admin => Ok(()),
        Caller::Adapter(_) => Err(ApiError::new(
            Code::Forbidden,
            "this route needs the admin key",
        )),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConversationQuery {
    /// The most recent messages to return (still oldest first).
    #[serde(default)]
    limit: Option<usize>,
}

async fn get_conversation(
    State(state): State<Arc<AppState>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<(String, String)>, axum::extract::rejection::PathRejection>,
    query: Result<Query<ConversationQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Path((channel, conversation_id)) = path?;
    let Query(query) = query?;
    authorize_channel(&caller, &channel)?;
    let limit = bounded_limit(query.limit, MAX_HISTORY, MAX_HISTORY)?;
    let store = &state.service.store;
    let record = store
        .load_conversation(&channel, &conversation_id)
        .await?
        .ok_or_else(|| ApiError::new(Code::NotFound, "no such conversation"))?;
    let messages = store.history(&channel, &conversation_id, limit).await?;
    let state_json = &record.state;
    let owner = match &state_json.owner {
        Owner::Bot => json!({"kind": "bot"}),
        Owner::Human { queue, since } => {
            json!({"kind": "human", "queue": queue, "since": since.to_string()})
        }
    };
    Ok(Json(json!({
        "channel": channel,
        "conversation_id": conversation_id,
        "customer": record.customer,
        "owner": owner,
        "locale": state_json.locale,
        "active_flow": state_json.waiting.as_ref().map(|w| json!({"flow": w.flow, "step": w.step, "retries": w.retries})),
        "slots": state_json.slots,
        "session": {
            "number": state_json.session,
            "started_at": state_json.session_started_at.map(|t| t.to_string()),
            "last_message_at": state_json.last_message_at.map(|t| t.to_string()),
        },
        "version": record.version,
        "messages": messages,
    }))
    .into_response())
}

async fn handback(
    State(state): State<Arc<AppState>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<(String, String)>, axum::extract::rejection::PathRejection>,
) -> Result<Response, ApiError> {
    let Path((channel, conversation_id)) = path?;
    authorize_channel(&caller, &channel)?;
    let reply =
        json!({"channel": channel, "conversation_id": conversation_id, "owner": {"kind": "bot"}});
    // A hand-back the bot already has (a helpdesk's retry) changes nothing and adds no line
    // to the history.
    let record = state
        .service
        .store
        .load_conversation(&channel, &conversation_id)
        .await?
        .ok_or_else(|| ApiError::new(Code::NotFound, "no such conversation"))?;
    if matches!(record.state.owner, Owner::Bot) {
        return Ok(Json(reply).into_response());
    }
    let message = NewMessage {
        direction: Direction::System,
        message_id: None,
        text: "handed back to the bot".into(),
        meta: json!({"event": "handback"}),
    };
    let change = Box::new(|state: &mut crate::engine::ConversationState| {
        state.owner = Owner::Bot;
        state.misses = 0;
    });
    let found = state
        .service
        .store
        .update_conversation(
            &channel,
            &conversation_id,
            message,
            state.clock.now(),
            change,
        )
        .await?;
    if !found {
        return Err(ApiError::new(Code::NotFound, "no such conversation"));
    }
    tracing::info!(%channel, conversation = ?conversation_id, "handed back to the bot");
    Ok(Json(reply).into_response())
}

#[derive(Deserialize)]
struct AgentMessageBody {
    text: String,
    /// The helpdesk's id for the message: a retry with the same id is stored once.
    #[serde(default)]
    message_id: Option<String>,
    #[serde(default)]
    agent: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    queue: Option<String>,
}

async fn agent_message(
    State(state): State<Arc<AppState>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<(String, String)>, axum::extract::rejection::PathRejection>,
    ApiJson(body): ApiJson<AgentMessageBody>,
) -> Result<Response, ApiError> {
    let Path((channel, conversation_id)) = path?;
    authorize_channel(&caller, &channel)?;
    if blank(&body.text) || body.text.chars().count() > state.max_text_chars * 4 {
        return Err(ApiError::invalid("`text` is empty or too long"));
    }
    if body.text.contains('\0') {
        return Err(ApiError::invalid(NUL_IN_TEXT));
    }
    if let Some(id) = &body.message_id {
        check_id("message_id", id)?;
    }
    let content = state.service.content();
    let settings = &content.settings;
    if let Some(queue) = body.queue.as_deref() {
        if !settings.queues.contains_key(queue) {
            return Err(ApiError::invalid(format!(
                "`queue` `{queue}` is not a configured queue"
            )));
        }
    }
    // An agent who speaks first in a conversation the bot owns takes it over, for the
    // queue named or the default one.
    let queue = body
        .queue
        .clone()
        .unwrap_or_else(|| settings.default_queue.clone());
    drop(content);
    let now = state.clock.now();
    let message = NewMessage {
        direction: Direction::Agent,
        message_id: body.message_id,
        text: body.text,
        meta: json!({"agent": body.agent}),
    };
    // An agent speaking owns the conversation, and renews the ownership's idle clock.
    let change = Box::new(move |state: &mut crate::engine::ConversationState| {
        let queue = match &state.owner {
            Owner::Human { queue, .. } => queue.clone(),
            Owner::Bot => queue,
        };
        state.owner = Owner::Human { queue, since: now };
    });
    let found = state
        .service
        .store
        .update_conversation(&channel, &conversation_id, message, now, change)
        .await?;
    if !found {
        return Err(ApiError::new(Code::NotFound, "no such conversation"));
    }
    // The owner as stored: a retry of a message recorded before a hand-back changes nothing,
    // and the bot owns the conversation.
    let owner = match state
        .service
        .store
        .load_conversation(&channel, &conversation_id)
        .await?
        .map(|record| record.state.owner)
    {
        Some(Owner::Bot) => "bot",
        _ => "human",
    };
    Ok((StatusCode::CREATED, Json(json!({"channel": channel, "conversation_id": conversation_id, "owner": {"kind": owner}}))).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchQuery {
    q: String,
    #[serde(default)]
    locale: Option<String>,
    #[serde(default)]
    limit: Option<usize>,
}

async fn kb_search(
    State(state): State<Arc<AppState>>,
    _authenticated: Authenticated,
    query: Result<Query<SearchQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query?;
    if query.q.chars().count() > state.max_text_chars {
        return Err(ApiError::invalid("`q` is too long"));
    }
    let content = state.service.content();
    let settings = &content.settings;
    let locale = match query.locale.as_deref() {
        Some(raw) => Locale::from_hint(raw)
            .ok_or_else(|| ApiError::invalid(format!("`locale` `{raw}` is not a locale")))?,
        None => settings.default_locale.clone(),
    };
    let language = locale
        .language()
        .filter(|l| content.help_center.has_language(*l))
        .or(settings.default_locale.language())
        .ok_or_else(|| ApiError::invalid("no help center for that locale"))?;
    let limit = bounded_limit(query.limit, 5, 20)?;
    // An article none of whose words the query shares is no result ("zzzzqqq").
    let mut hits = content.help_center.search(language, &query.q, limit);
    hits.retain(|hit| !hit.matched_terms.is_empty());
    Ok(Json(SearchResponse {
        locale: language.code(),
        content_version: &content.version,
        results: &hits,
    })
    .into_response())
}

/// A `limit` query parameter: `default` when absent, and 1 to `max` as the OpenAPI
/// document says, else a 422 that says so (a silent clamp would hide the caller's mistake).
fn bounded_limit(limit: Option<usize>, default: usize, max: usize) -> Result<usize, ApiError> {
    match limit {
        None => Ok(default),
        Some(limit) if (1..=max).contains(&limit) => Ok(limit),
        Some(limit) => Err(ApiError::invalid(format!(
            "`limit` is {limit}; it must be 1 to {max}"
        ))),
    }
}

/// Serialized directly, not through `json!`: a `Value` widens each `f32` confidence to
/// `f64`, and 0.85 would read 0.8500000238418579.
#[derive(Serialize)]
struct SearchResponse<'a> {
    locale: &'a str,
    content_version: &'a str,
    results: &'a [crate::kb::Hit],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HandoffQuery {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    limit: Option<usize>,
    /// The `seq` of the last hand-off of the page before (`next_after`).
    #[serde(default)]
    after: Option<u64>,
}

async fn list_handoffs(
    State(state): State<Arc<AppState>>,
    Authenticated(caller): Authenticated,
    query: Result<Query<HandoffQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    require_admin(&caller)?;
    let Query(query) = query?;
    let status = match query.status.as_deref() {
        None => DeliveryStatus::Pending,
        Some(raw) => DeliveryStatus::parse(raw)
            .ok_or_else(|| ApiError::invalid("`status` is pending, failed or delivered"))?,
    };
    let limit = bounded_limit(query.limit, 100, 1000)?;
    let deliveries = state
        .service
        .store
        .list_deliveries(
            status,
            query.after.unwrap_or(0).min(i64::MAX as u64) as i64,
            limit,
        )
        .await?;
    // A full page may have more after it: its last `seq` is where the next page starts.
    let next_after = (deliveries.len() == limit)
        .then(|| deliveries.last().map(|delivery| delivery.seq))
        .flatten();
    let items: Vec<serde_json::Value> = deliveries
        .iter()
        .map(|delivery| {
            let mut item = serde_json::to_value(delivery).unwrap_or_default();
            item["payload"] = serde_json::from_str(&delivery.payload).unwrap_or_default();
            item
        })
        .collect();
    Ok(
        Json(json!({"status": status, "handoffs": items, "next_after": next_after}))
            .into_response(),
    )
}

async fn retry_handoff(
    State(state): State<Arc<AppState>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> Result<Response, ApiError> {
    require_admin(&caller)?;
    let Path(id) = path?;
    match state
        .service
        .store
        .retry_delivery(&id, state.clock.now())
        .await?
    {
        RetryOutcome::Requeued => Ok((
            StatusCode::ACCEPTED,
            Json(json!({"id": id, "status": "pending"})),
        )
            .into_response()),
        RetryOutcome::AlreadyDelivered => Err(ApiError::new(
            Code::Conflict,
            "this hand-off was already delivered",
        )),
        RetryOutcome::NotFound => Err(ApiError::new(Code::NotFound, "no such hand-off")),
    }
}

async fn reload(
    State(state): State<Arc<AppState>>,
    Authenticated(caller): Authenticated,
) -> Result<Response, ApiError> {
    require_admin(&caller)?;
    let version = reload_content(&state).await?;
    Ok(Json(json!({"content_version": version})).into_response())
}

/// Loads the content again beside the old one and swaps it in when valid; otherwise keeps
/// the old content and returns every problem.
pub async fn reload_content(state: &AppState) -> Result<String, ApiError> {
    let _guard = state.reload_lock.lock().await;
    let config_file = state.config_file.clone();
    let loaded = tokio::task::spawn_blocking(move || Content::load(&config_file))
        .await
        .map_err(|_| ApiError::new(Code::Internal, "the reload task failed"))?;
    match loaded {
        Ok(content) => {
            let version = content.version.clone();
            let previous = state.service.content().version.clone();
            state.service.swap_content(content);
            state
                .metrics
                .reloads
                .get_or_create(&StatusLabels {
                    status: "ok".into(),
                })
                .inc();
            tracing::info!(%previous, version = %version, "content reloaded");
            Ok(version)
        }
        Err(diagnostics) => {
            state
                .metrics
                .reloads
                .get_or_create(&StatusLabels {
                    status: "refused".into(),
                })
                .inc();
            for diagnostic in diagnostics.iter() {
                tracing::error!(problem = %diagnostic, "content refused");
            }
            let mut error = ApiError::new(
                Code::InvalidContent,
                format!(
                    "the new content has {} problem(s); the old content keeps serving",
                    diagnostics.len()
                ),
            );
            error.details = diagnostics.iter().map(ToString::to_string).collect();
            Err(error)
        }
    }
}

async fn readyz(State(state): State<Arc<AppState>>) -> Result<Response, ApiError> {
    state
        .service
        .store
        .ping()
        .await
        .map_err(|_| ApiError::new(Code::Unavailable, "the store does not answer"))?;
    Ok(
        Json(json!({"status": "ready", "content_version": state.service.content().version}))
            .into_response(),
    )
}

async fn metrics_text(State(state): State<Arc<AppState>>) -> Response {
    if let Ok(counts) = state.service.store.delivery_counts().await {
        for status in [
            DeliveryStatus::Pending,
            DeliveryStatus::Failed,
            DeliveryStatus::Delivered,
        ] {
            let count = counts
                .iter()
                .find(|(s, _)| *s == status)
                .map_or(0, |(_, c)| *c);
            state
                .metrics
                .backlog
                .get_or_create(&StatusLabels {
                    status: status.as_str().into(),
                })
                .set(count);
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.encode(),
    )
        .into_response()
}
