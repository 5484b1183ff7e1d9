//! The PostgreSQL store: the same tables and promises as the SQLite store, for deployments
//! that run several engines against one database or keep their data in PostgreSQL already.
//!
//! Each write is its own transaction on a pooled connection (PostgreSQL commits concurrent
//! transactions together on its own), under READ COMMITTED with explicit row locks:
//! - a turn first locks its conversation's row (`FOR UPDATE`) and compares the version it
//!   was decided on, so a second message of the same conversation waits for the first and
//!   then sees a conflict: it is read again and decided again, never written over the first;
//! - the inbound record's primary key makes `(channel, message_id)` unique: a racing
//!   duplicate waits for the first insert and then writes nothing;
//! - a conflict, a duplicate, a deadlock or a serialization failure rolls the transaction
//!   back, so it leaves nothing behind.
//!
//! Acknowledged writes are as durable as the server makes them (`synchronous_commit=on`,
//! PostgreSQL's default). Connections use TLS as libpq's `sslmode` and `sslrootcert` say
//! (`pg_tls`): by default, encrypted when the server offers it.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use jiff::Timestamp;
use tokio::sync::Notify;
use tokio_postgres::error::SqlState;
use tokio_postgres::Row;

use super::pg_tls;
use super::*;

/// Connections kept by one engine.
const POOL_SIZE: usize = 16;
/// How long a claimed delivery is left to the engine that claimed it. Its attempt ends long
/// before (the per-attempt timeout); only an engine killed mid-attempt leaves a lease to run out.
const LEASE: jiff::SignedDuration = jiff::SignedDuration::from_mins(2);
/// Any number, the same in every engine: held while the schema is created.
const SCHEMA_LOCK: i64 = 0x6669_7273_746c_696e;

#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    queued: Arc<Notify>,
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(error: tokio_postgres::Error) -> StoreError {
        StoreError::Postgres(error.to_string())
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(error: deadpool_postgres::PoolError) -> StoreError {
        StoreError::Postgres(format!("no connection: {}", with_causes(&error)))
    }
}

/// An error and what caused it ("error performing TLS handshake: invalid peer certificate:
/// UnknownIssuer"), each said once. Neither names the password: the URL is not in them.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(error) = cause {
        let said = error.to_string();
        if !text.contains(&said) {
            text = format!("{text}: {said}");
        }
        cause = error.source();
    }
    text
}

/// A deadlock or serialization failure: the transaction was rolled back and may simply run
/// again, which a version conflict already does.
fn is_retryable(error: &tokio_postgres::Error) -> bool {
    matches!(
        error.code(),
        Some(&SqlState::T_R_DEADLOCK_DETECTED) | Some(&SqlState::T_R_SERIALIZATION_FAILURE)
    )
}

impl PostgresStore {
    /// Connects to the database a `postgres://` URL names and creates the tables if needed.
    /// The error never repeats the URL, which may hold a password.
    pub async fn open(url: &str) -> Result<PostgresStore, StoreError> {
        let invalid = |message: String| StoreError::Open {
            path: "postgres://…".into(),
            message: format!("invalid PostgreSQL URL: {message}"),
        };
        let (url, tls) = pg_tls::split_url(url).map_err(invalid)?;
        let mut config =
            tokio_postgres::Config::from_str(&url).map_err(|e| invalid(e.to_string()))?;
        config.ssl_mode(tls.mode);
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(5));
        }
        let target = describe(&config);
        let tls = pg_tls::client_config(&tls).map_err(|message| StoreError::Open {
            path: target.clone(),
            message,
        })?;
        let manager = Manager::from_config(
            config,
            tokio_postgres_rustls::MakeRustlsConnect::new(tls),
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(10)))
            .create_timeout(Some(Duration::from_secs(10)))
            .build()
            .map_err(|e| StoreError::Open {
                path: target.clone(),
                message: e.to_string(),
            })?;
        let open_error = |message: String| StoreError::Open {
            path: target.clone(),
            message,
        };
        let mut client = pool.get().await.map_err(|e| open_error(with_causes(&e)))?;
        let transaction = client
            .transaction()
            .await
            .map_err(|e| open_error(e.to_string()))?;
        transaction
            .execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
            .await
            .map_err(|e| open_error(e.to_string()))?;
        transaction
            .batch_execute(include_str!("postgres_schema.sql"))
            .await
            .map_err(|e| open_error(format!("creating the tables: {e}")))?;
        transaction
            .commit()
            .await
            .map_err(|e| open_error(e.to_string()))?;
        Ok(PostgresStore {
            pool,
            queued: Arc::new(Notify::new()),
        })
    }

    pub fn deliveries_queued(&self) -> Arc<Notify> {
        self.queued.clone()
    }

    pub async fn lookup_turn(
        &self,
        channel: &str,
        message_id: &str,
        conversation_id: &str,
    ) -> Result<(Option<StoredResponse>, Option<ConversationRecord>), StoreError> {
        let client = self.pool.get().await?;
        let statement = client
            .prepare_cached(
                "SELECT request_hash, response FROM inbound WHERE channel = $1 AND message_id = $2",
            )
            .await?;
        if let Some(row) = client
            .query_opt(&statement, &[&channel, &message_id])
            .await?
        {
            let stored = StoredResponse {
                request_hash: row.get(0),
                body: Bytes::from(row.get::<_, Vec<u8>>(1)),
            };
            return Ok((Some(stored), None));
        }
        let record = read_conversation(&client, channel, conversation_id, false).await?;
        Ok((None, record))
    }

    pub async fn load_conversation(
        &self,
        channel: &str,
        conversation_id: &str,
    ) -> Result<Option<ConversationRecord>, StoreError> {
        let client = self.pool.get().await?;
        read_conversation(&client, channel, conversation_id, false).await
    }

    pub async fn commit_turn(&self, turn: TurnWrite) -> Result<CommitOutcome, StoreError> {
        let state =
            serde_json::to_string(&turn.state).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut client = self.pool.get().await?;
        let transaction = client.transaction().await?;
        let outcome = match write_turn(&transaction, &turn, &state).await {
            Ok(outcome) => outcome,
            Err(error) if is_retryable(&error) => CommitOutcome::Conflict,
            Err(error) => return Err(error.into()),
        };
        if outcome != CommitOutcome::Committed {
            transaction.rollback().await?;
            return Ok(outcome);
        }
        match transaction.commit().await {
            Ok(()) => {}
            Err(error) if is_retryable(&error) => return Ok(CommitOutcome::Conflict),
            Err(error) => return Err(error.into()),
        }
        if !turn.deliveries.is_empty() {
            self.queued.notify_one();
        }
        Ok(CommitOutcome::Committed)
    }

    pub async fn history(
        &self,
        channel: &str,
        conversation_id: &str,
        limit: usize,
    ) -> Result<Vec<MessageRecord>, StoreError> {
        let client = self.pool.get().await?;
        let statement = client
            .prepare_cached(
                "SELECT seq, direction, message_id, text, meta, created_at FROM messages
                 WHERE channel = $1 AND conversation_id = $2 ORDER BY seq DESC LIMIT $3",
            )
            .await?;
        let rows = client
            .query(&statement, &[&channel, &conversation_id, &(limit as i64)])
            .await?;
        let mut messages: Vec<MessageRecord> = rows
            .iter()
            .map(|row| MessageRecord {
                seq: row.get(0),
                direction: Direction::parse(row.get(1)),
                message_id: row.get(2),
                text: row.get(3),
                meta: serde_json::from_str(row.get(4)).unwrap_or(serde_json::Value::Null),
                at: from_millis(row.get(5)),
            })
            .collect();
        messages.reverse();
        Ok(messages)
    }

    pub async fn update_conversation(
        &self,
        channel: &str,
        conversation_id: &str,
        message: NewMessage,
        now: Timestamp,
        change: Box<dyn FnOnce(&mut ConversationState) + Send>,
    ) -> Result<bool, StoreError> {
        let mut client = self.pool.get().await?;
        let transaction = client.transaction().await?;
        let Some(mut record) =
            read_conversation(&transaction, channel, conversation_id, true).await?
        else {
            transaction.rollback().await?;
            return Ok(false);
        };
        // A message with an id is written once: a helpdesk's retry changes nothing. (The
        // conversation's row is locked by the read, so two retries cannot both pass.)
        if let Some(id) = &message.message_id {
            let seen = transaction
                .query_opt(
                    "SELECT text FROM messages WHERE channel = $1 AND conversation_id = $2 AND direction = $3 AND message_id = $4",
                    &[&channel, &conversation_id, &message.direction.as_str(), id],
                )
                .await?;
            if let Some(row) = seen {
                transaction.rollback().await?;
                let text: String = row.get(0);
                return if text == message.text {
                    Ok(true)
                } else {
                    Err(StoreError::DifferentMessage(id.clone()))
                };
            }
        }
        change(&mut record.state);
        let state =
            serde_json::to_string(&record.state).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let statement = transaction
            .prepare_cached(
                "UPDATE conversations SET state = $3, version = version + 1, updated_at = $4
                 WHERE channel = $1 AND conversation_id = $2",
            )
            .await?;
        transaction
            .execute(
                &statement,
                &[&channel, &conversation_id, &state, &millis(now)],
            )
            .await?;
        insert_message(
            &transaction,
            channel,
            conversation_id,
            &message,
            millis(now),
        )
        .await?;
        transaction.commit().await?;
        Ok(true)
    }

    /// Claims the due deliveries: each is leased to this engine (its next attempt moved
    /// [`LEASE`] ahead) in the same statement that finds it, so engines sharing the database
    /// never attempt one delivery at the same time. The attempt's outcome replaces the lease.
    pub async fn due_deliveries(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        let client = self.pool.get().await?;
        let statement = client
            .prepare_cached(&format!(
                "WITH due AS (
                     SELECT o.seq FROM outbox o
                     WHERE o.status = 'pending' AND o.next_attempt_at <= $1
                       AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.channel = o.channel
                           AND p.conversation_id = o.conversation_id
                           AND p.status IN ('pending', 'failed') AND p.seq < o.seq)
                     ORDER BY o.seq LIMIT $2
                     FOR UPDATE SKIP LOCKED)
                 UPDATE outbox SET next_attempt_at = $3 FROM due WHERE outbox.seq = due.seq
                 RETURNING {}",
                DELIVERY_COLUMNS.replace("o.", "outbox.")
            ))
            .await?;
        let lease_until = now.saturating_add(LEASE).unwrap_or(now);
        let rows = client
            .query(
                &statement,
                &[&millis(now), &(limit as i64), &millis(lease_until)],
            )
            .await?;
        let mut due: Vec<Delivery> = rows.iter().map(delivery_from_row).collect();
        due.sort_by_key(|delivery| delivery.seq);
        Ok(due)
    }

    pub async fn next_due_at(&self) -> Result<Option<Timestamp>, StoreError> {
        let client = self.pool.get().await?;
        let row = client
            .query_one(
                "SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending'",
                &[],
            )
            .await?;
        Ok(row.get::<_, Option<i64>>(0).map(from_millis))
    }

    pub async fn record_attempt(
        &self,
        id: &str,
        outcome: AttemptOutcome,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let client = self.pool.get().await?;
        let now = millis(now);
        match outcome {
            AttemptOutcome::Delivered => {
                client
                    .execute(
                        "UPDATE outbox SET status = 'delivered', attempts = attempts + 1,
                         delivered_at = $2, last_error = NULL WHERE id = $1",
                        &[&id, &now],
                    )
                    .await?
            }
            AttemptOutcome::RetryAt { at, error } => {
                client
                    .execute(
                        "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $2,
                         last_error = $3 WHERE id = $1",
                        &[&id, &millis(at), &error],
                    )
                    .await?
            }
            AttemptOutcome::Failed { error } => {
                client
                    .execute(
                        "UPDATE outbox SET status = 'failed', attempts = attempts + 1,
                         last_error = $2 WHERE id = $1",
                        &[&id, &error],
                    )
                    .await?
            }
        };
        Ok(())
    }

    pub async fn list_deliveries(
        &self,
        status: DeliveryStatus,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        let client = self.pool.get().await?;
        let statement = client
            .prepare_cached(&format!(
                "SELECT {DELIVERY_COLUMNS} FROM outbox o WHERE o.status = $1 AND o.seq > $3 ORDER BY o.seq LIMIT $2"
            ))
            .await?;
        let rows = client
            .query(&statement, &[&status.as_str(), &(limit as i64), &after])
            .await?;
        Ok(rows.iter().map(delivery_from_row).collect())
    }

    pub async fn retry_delivery(
        &self,
        id: &str,
        now: Timestamp,
    ) -> Result<RetryOutcome, StoreError> {
        let mut client = self.pool.get().await?;
        let transaction = client.transaction().await?;
        let status: Option<String> = transaction
            .query_opt("SELECT status FROM outbox WHERE id = $1 FOR UPDATE", &[&id])
            .await?
            .map(|row| row.get(0));
        let outcome = match status.as_deref() {
            None => RetryOutcome::NotFound,
            Some("delivered") => RetryOutcome::AlreadyDelivered,
            Some(_) => {
                transaction
                    .execute(
                        "UPDATE outbox SET status = 'pending', next_attempt_at = $2,
                         window_start = $2 WHERE id = $1",
                        &[&id, &millis(now)],
                    )
                    .await?;
                RetryOutcome::Requeued
            }
        };
        transaction.commit().await?;
        if outcome == RetryOutcome::Requeued {
            self.queued.notify_one();
        }
        Ok(outcome)
    }

    pub async fn delivery_counts(&self) -> Result<Vec<(DeliveryStatus, i64)>, StoreError> {
        let client = self.pool.get().await?;
        let rows = client
            .query("SELECT status, COUNT(*) FROM outbox GROUP BY status", &[])
            .await?;
        Ok(rows
            .iter()
            .filter_map(|row| Some((DeliveryStatus::parse(row.get(0))?, row.get(1))))
            .collect())
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        let client = self.pool.get().await?;
        client.query_one("SELECT 1", &[]).await?;
        Ok(())
    }

    /// Closes the pool: a write in flight finishes (it holds its connection), new ones fail.
    pub async fn close(&self) {
        self.pool.close();
    }
}

/// Host, port and database for messages: never the user or password.
fn describe(config: &tokio_postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
        #[cfg(unix)]
        Some(tokio_postgres::config::Host::Unix(path)) => path.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let database = config.get_dbname().unwrap_or("(default database)");
    format!("postgres://{host}:{port}/{database}")
}

fn delivery_from_row(row: &Row) -> Delivery {
    Delivery {
        seq: row.get(0),
        id: row.get(1),
        channel: row.get(2),
        conversation_id: row.get(3),
        kind: row.get(4),
        payload: row.get(5),
        status: DeliveryStatus::parse(row.get(6)).unwrap_or(DeliveryStatus::Pending),
        attempts: row.get(7),
        next_attempt_at: from_millis(row.get(8)),
        window_start: from_millis(row.get(9)),
        last_error: row.get(10),
        created_at: from_millis(row.get(11)),
        delivered_at: row.get::<_, Option<i64>>(12).map(from_millis),
    }
}

/// Reads a conversation; `lock` takes its row lock until the transaction ends.
async fn read_conversation(
    client: &impl deadpool_postgres::GenericClient,
    channel: &str,
    conversation_id: &str,
    lock: bool,
) -> Result<Option<ConversationRecord>, StoreError> {
    let sql = if lock {
        "SELECT state, version, customer FROM conversations
         WHERE channel = $1 AND conversation_id = $2 FOR UPDATE"
    } else {
        "SELECT state, version, customer FROM conversations
         WHERE channel = $1 AND conversation_id = $2"
    };
    let statement = client.prepare_cached(sql).await?;
    let Some(row) = client
        .query_opt(&statement, &[&channel, &conversation_id])
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(ConversationRecord {
        state: serde_json::from_str(row.get(0))
            .map_err(|e| StoreError::Corrupt(format!("conversation state: {e}")))?,
        version: row.get(1),
        customer: serde_json::from_str(row.get(2)).unwrap_or(serde_json::Value::Null),
    }))
}

async fn write_turn(
    db: &deadpool_postgres::Transaction<'_>,
    turn: &TurnWrite,
    state: &str,
) -> Result<CommitOutcome, tokio_postgres::Error> {
    let now = millis(turn.now);
    let customer = turn.customer.to_string();
    // Locks the row (if any) first: a second turn of this conversation waits here, then
    // finds the version moved on.
    let statement = db
        .prepare_cached(
            "SELECT version FROM conversations
             WHERE channel = $1 AND conversation_id = $2 FOR UPDATE",
        )
        .await?;
    let version: Option<i64> = db
        .query_opt(&statement, &[&turn.channel, &turn.conversation_id])
        .await?
        .map(|row| row.get(0));
    if version != turn.expected_version {
        return Ok(CommitOutcome::Conflict);
    }
    let statement = db
        .prepare_cached(
            "INSERT INTO inbound (channel, message_id, conversation_id, request_hash, response, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .await?;
    let inserted = db
        .execute(
            &statement,
            &[
                &turn.channel,
                &turn.message_id,
                &turn.conversation_id,
                &turn.request_hash,
                &turn.response.as_ref(),
                &now,
            ],
        )
        .await?;
    if inserted == 0 {
        return Ok(CommitOutcome::Duplicate);
    }
    let written = match turn.expected_version {
        None => {
            let statement = db
                .prepare_cached(
                    "INSERT INTO conversations (channel, conversation_id, state, customer, version, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, 1, $5, $5) ON CONFLICT DO NOTHING",
                )
                .await?;
            db.execute(
                &statement,
                &[
                    &turn.channel,
                    &turn.conversation_id,
                    &state,
                    &customer,
                    &now,
                ],
            )
            .await?
        }
        Some(version) => {
            let statement = db
                .prepare_cached(
                    "UPDATE conversations SET state = $3, customer = $4, version = version + 1, updated_at = $5
                     WHERE channel = $1 AND conversation_id = $2 AND version = $6",
                )
                .await?;
            db.execute(
                &statement,
                &[
                    &turn.channel,
                    &turn.conversation_id,
                    &state,
                    &customer,
                    &now,
                    &version,
                ],
            )
            .await?
        }
    };
    if written == 0 {
        // Another engine created the conversation since it was read.
        return Ok(CommitOutcome::Conflict);
    }
    for message in &turn.messages {
        insert_message(db, &turn.channel, &turn.conversation_id, message, now).await?;
    }
    let statement = db
        .prepare_cached(
            "INSERT INTO outbox (id, channel, conversation_id, kind, payload, status, attempts, next_attempt_at, window_start, created_at)
             VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6, $6)",
        )
        .await?;
    for delivery in &turn.deliveries {
        db.execute(
            &statement,
            &[
                &delivery.id,
                &turn.channel,
                &turn.conversation_id,
                &delivery.kind,
                &delivery.payload,
                &now,
            ],
        )
        .await?;
    }
    Ok(CommitOutcome::Committed)
}

async fn insert_message(
    db: &impl deadpool_postgres::GenericClient,
    channel: &str,
    conversation_id: &str,
    message: &NewMessage,
    now: i64,
) -> Result<(), tokio_postgres::Error> {
    let statement = db
        .prepare_cached(
            "INSERT INTO messages (channel, conversation_id, direction, message_id, text, meta, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .await?;
    db.execute(
        &statement,
        &[
            &channel,
            &conversation_id,
            &message.direction.as_str(),
            &message.message_id,
            &message.text,
            &message.meta.to_string(),
            &now,
        ],
    )
    .await?;
    Ok(())
}
