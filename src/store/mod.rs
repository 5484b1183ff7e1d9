//! Durable storage: conversations and their state, the message history, the idempotency
//! record of every inbound message (with the exact response bytes), and the outbox of
//! hand-off deliveries. Only this module knows SQL.
//!
//! The interface is the [`Store`] enum so a PostgreSQL implementation can sit beside SQLite
//! without the service noticing. Invariants every implementation keeps:
//! - a turn (inbound record, messages, conversation state, outbox rows) commits atomically;
//! - `(channel, message_id)` is unique: a second commit of it reports `Duplicate`;
//! - a conversation's state is only written over the version it was read at (`Conflict`
//!   otherwise), so concurrent messages of one conversation never lose an update.

pub mod pg_tls;
pub mod postgres;
pub mod sqlite;

use bytes::Bytes;
use jiff::Timestamp;
use serde::Serialize;

use crate::engine::ConversationState;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("store: cannot open {path}: {message}")]
    Open { path: String, message: String },
    #[error("store: {0}")]
    Postgres(String),
    #[error("store: unsupported store URL scheme `{0}` (use sqlite://path or postgres://…)")]
    UnsupportedUrl(String),
    #[error("store: the write transaction failed: {0}")]
    Transaction(String),
    #[error("store: the writer has stopped")]
    WriterGone,
    #[error("store: corrupt record: {0}")]
    Corrupt(String),
    /// A message id already stored in the conversation with another text.
    #[error("message `{0}` was already recorded in this conversation with another text")]
    DifferentMessage(String),
}

/// The stored answer to an inbound message.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub request_hash: String,
    pub body: Bytes,
}

#[derive(Debug, Clone)]
pub struct ConversationRecord {
    pub state: ConversationState,
    pub version: i64,
    pub customer: serde_json::Value,
}

/// Who wrote a message in a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Customer,
    Bot,
    Agent,
    System,
}

impl Direction {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Direction::Customer => "customer",
            Direction::Bot => "bot",
            Direction::Agent => "agent",
            Direction::System => "system",
        }
    }

    fn parse(text: &str) -> Direction {
        match text {
            "customer" => Direction::Customer,
            "bot" => Direction::Bot,
            "agent" => Direction::Agent,
            _ => Direction::System,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewMessage {
    pub direction: Direction,
    pub message_id: Option<String>,
    pub text: String,
    pub meta: serde_json::Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct MessageRecord {
    pub seq: i64,
    pub direction: Direction,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    pub text: String,
    pub meta: serde_json::Value,
    pub at: Timestamp,
}

/// A delivery to queue with the turn: a hand-off or a follow-up message for the helpdesk.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    /// Stable across retries and restarts: the `webhook-id` the receiver deduplicates on.
    pub id: String,
    pub kind: String,
    pub payload: String,
}

/// Everything one inbound message changes, written in one transaction.
#[derive(Debug, Clone)]
pub struct TurnWrite {
    pub channel: String,
    pub conversation_id: String,
    pub message_id: String,
    pub request_hash: String,
    pub response: Bytes,
    /// The version the state was read at; `None` when the conversation is new.
    pub expected_version: Option<i64>,
    pub state: ConversationState,
    pub customer: serde_json::Value,
    pub messages: Vec<NewMessage>,
    pub deliveries: Vec<NewDelivery>,
    pub now: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitOutcome {
    Committed,
    /// The `(channel, message_id)` was already stored by another request.
    Duplicate,
    /// The conversation changed since it was read: read again and decide again.
    Conflict,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<DeliveryStatus> {
        match text {
            "pending" => Some(DeliveryStatus::Pending),
            "delivered" => Some(DeliveryStatus::Delivered),
            "failed" => Some(DeliveryStatus::Failed),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub id: String,
    /// The delivery's place in the outbox, increasing: a page of a listing ends at one.
    pub seq: i64,
    pub channel: String,
    pub conversation_id: String,
    pub kind: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: Timestamp,
    /// Retries stop (status `failed`) once this window has passed since it started.
    pub window_start: Timestamp,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
    #[serde(skip)]
    pub payload: String,
}

/// What happened to one delivery attempt.
#[derive(Debug, Clone)]
pub enum AttemptOutcome {
    Delivered,
    RetryAt { at: Timestamp, error: String },
    Failed { error: String },
}

/// The result of an operator's retry request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryOutcome {
    Requeued,
    AlreadyDelivered,
    NotFound,
}

/// The durable store. One variant per backend.
#[derive(Clone)]
pub enum Store {
    Sqlite(sqlite::SqliteStore),
    Postgres(postgres::PostgresStore),
}

impl Store {
    /// Opens the store a URL names: `sqlite://relative/or/absolute/path.db`, or
    /// `postgres://user@host:port/database` (also `postgresql://`; libpq's key=value
    /// parameters such as `?options=-csearch_path%3Dfirstline` pass through, and `sslmode` and
    /// `sslrootcert` choose TLS as in libpq). Tables are
    /// created when missing. An error never repeats the URL: it may hold a password.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            return Ok(Store::Sqlite(sqlite::SqliteStore::open(
                std::path::Path::new(path),
            )?));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Store::Postgres(postgres::PostgresStore::open(url).await?));
        }
        let scheme = url.split_once("://").map_or("(none)", |(scheme, _)| scheme);
        Err(StoreError::UnsupportedUrl(
            scheme.chars().take(32).collect(),
        ))
    }

    /// The stored response of a message if it was already decided; else the conversation's
    /// current record (if the conversation exists). One read for the hot path.
    pub async fn lookup_turn(
        &self,
        channel: &str,
        message_id: &str,
        conversation_id: &str,
    ) -> Result<(Option<StoredResponse>, Option<ConversationRecord>), StoreError> {
        match self {
            Store::Sqlite(store) => {
                store
                    .lookup_turn(channel, message_id, conversation_id)
                    .await
            }
            Store::Postgres(store) => {
                store
                    .lookup_turn(channel, message_id, conversation_id)
                    .await
            }
        }
    }

    pub async fn load_conversation(
        &self,
        channel: &str,
        conversation_id: &str,
    ) -> Result<Option<ConversationRecord>, StoreError> {
        match self {
            Store::Sqlite(store) => store.load_conversation(channel, conversation_id).await,
            Store::Postgres(store) => store.load_conversation(channel, conversation_id).await,
        }
    }

    pub async fn commit_turn(&self, turn: TurnWrite) -> Result<CommitOutcome, StoreError> {
        match self {
            Store::Sqlite(store) => store.commit_turn(turn).await,
            Store::Postgres(store) => store.commit_turn(turn).await,
        }
    }

    /// The conversation's messages, oldest first; at most `limit`, the most recent ones.
    pub async fn history(
        &self,
        channel: &str,
        conversation_id: &str,
        limit: usize,
    ) -> Result<Vec<MessageRecord>, StoreError> {
        match self {
            Store::Sqlite(store) => store.history(channel, conversation_id, limit).await,
            Store::Postgres(store) => store.history(channel, conversation_id, limit).await,
        }
    }

    /// Applies `change` to a stored conversation's state and appends `message`, atomically.
    /// Returns false when the conversation does not exist.
    pub async fn update_conversation(
        &self,
        channel: &str,
        conversation_id: &str,
        message: NewMessage,
        now: Timestamp,
        change: Box<dyn FnOnce(&mut ConversationState) + Send>,
    ) -> Result<bool, StoreError> {
        match self {
            Store::Sqlite(store) => {
                store
                    .update_conversation(channel, conversation_id, message, now, change)
                    .await
            }
            Store::Postgres(store) => {
                store
                    .update_conversation(channel, conversation_id, message, now, change)
                    .await
            }
        }
    }

    /// Pending deliveries whose time has come, at most one per conversation (its oldest), so
    /// a conversation's deliveries arrive in order.
    pub async fn due_deliveries(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        match self {
            Store::Sqlite(store) => store.due_deliveries(now, limit).await,
            Store::Postgres(store) => store.due_deliveries(now, limit).await,
        }
    }

    /// When the next pending delivery is due, if any.
    pub async fn next_due_at(&self) -> Result<Option<Timestamp>, StoreError> {
        match self {
            Store::Sqlite(store) => store.next_due_at().await,
            Store::Postgres(store) => store.next_due_at().await,
        }
    }

    pub async fn record_attempt(
        &self,
        id: &str,
        outcome: AttemptOutcome,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(store) => store.record_attempt(id, outcome, now).await,
            Store::Postgres(store) => store.record_attempt(id, outcome, now).await,
        }
    }

    /// Deliveries of one status, oldest first, after the one numbered `after` (a page's
    /// last `seq`: the next page).
    pub async fn list_deliveries(
        &self,
        status: DeliveryStatus,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        match self {
            Store::Sqlite(store) => store.list_deliveries(status, after, limit).await,
            Store::Postgres(store) => store.list_deliveries(status, after, limit).await,
        }
    }

    pub async fn retry_delivery(
        &self,
        id: &str,
        now: Timestamp,
    ) -> Result<RetryOutcome, StoreError> {
        match self {
            Store::Sqlite(store) => store.retry_delivery(id, now).await,
            Store::Postgres(store) => store.retry_delivery(id, now).await,
        }
    }

    /// Number of deliveries by status, for metrics.
    pub async fn delivery_counts(&self) -> Result<Vec<(DeliveryStatus, i64)>, StoreError> {
        match self {
            Store::Sqlite(store) => store.delivery_counts().await,
            Store::Postgres(store) => store.delivery_counts().await,
        }
    }

    /// A cheap query that proves the store answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(store) => store.ping().await,
            Store::Postgres(store) => store.ping().await,
        }
    }

    /// Stops accepting writes and waits for the writer to finish what it has.
    pub async fn close(&self) {
        match self {
            Store::Sqlite(store) => store.close().await,
            Store::Postgres(store) => store.close().await,
        }
    }

    /// Woken after every commit that queued a delivery.
    pub fn deliveries_queued(&self) -> std::sync::Arc<tokio::sync::Notify> {
        match self {
            Store::Sqlite(store) => store.deliveries_queued(),
            Store::Postgres(store) => store.deliveries_queued(),
        }
    }
}

/// The outbox columns a `Delivery` is read from, in order, over the alias `o`: the same in
/// every backend's schema.
pub(crate) const DELIVERY_COLUMNS: &str =
    "o.seq, o.id, o.channel, o.conversation_id, o.kind, o.payload, o.status, o.attempts,
    o.next_attempt_at, o.window_start, o.last_error, o.created_at, o.delivered_at";

pub(crate) fn millis(timestamp: Timestamp) -> i64 {
    timestamp.as_millisecond()
}

pub(crate) fn from_millis(value: i64) -> Timestamp {
    Timestamp::from_millisecond(value).unwrap_or(Timestamp::UNIX_EPOCH)
}
