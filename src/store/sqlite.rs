//! The SQLite store: one file, WAL journal, `synchronous=FULL` so an acknowledged commit
//! survives a crash or power loss.
//!
//! All writes go through one writer thread that drains whatever requests are waiting and
//! commits them in one transaction (group commit). A turn that turns out a duplicate or a
//! version conflict checks before it writes and leaves nothing behind; a storage error rolls
//! the whole batch back unacknowledged. Reads run on a small pool of read-only connections, which
//! WAL lets proceed beside the writer.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use jiff::Timestamp;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use tokio::sync::{mpsc, oneshot, Notify};

use super::*;

/// The most write requests committed in one transaction.
const MAX_BATCH: usize = 512;
/// Read connections kept open.
const MAX_READERS: usize = 8;

#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    jobs: mpsc::UnboundedSender<Job>,
    readers: Mutex<Vec<Connection>>,
    queued: Arc<Notify>,
}

enum Job {
    Turn(
        Box<TurnWrite>,
        oneshot::Sender<Result<CommitOutcome, StoreError>>,
    ),
    Update {
        channel: String,
        conversation_id: String,
        message: NewMessage,
        now: Timestamp,
        change: Box<dyn FnOnce(&mut ConversationState) + Send>,
        reply: oneshot::Sender<Result<bool, StoreError>>,
    },
    Attempt {
        id: String,
        outcome: AttemptOutcome,
        now: Timestamp,
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
    Retry {
        id: String,
        now: Timestamp,
        reply: oneshot::Sender<Result<RetryOutcome, StoreError>>,
    },
    Close(oneshot::Sender<()>),
}

/// A job's result, held until its transaction commits.
enum Done {
    Turn(
        oneshot::Sender<Result<CommitOutcome, StoreError>>,
        Result<CommitOutcome, StoreError>,
    ),
    Update(
        oneshot::Sender<Result<bool, StoreError>>,
        Result<bool, StoreError>,
    ),
    Attempt(
        oneshot::Sender<Result<(), StoreError>>,
        Result<(), StoreError>,
    ),
    Retry(
        oneshot::Sender<Result<RetryOutcome, StoreError>>,
        Result<RetryOutcome, StoreError>,
    ),
}

/// Creates the store's folder, and any missing parent, readable by this user alone: the
/// store holds customers' messages. A folder that exists keeps its permissions.
fn private_folder(folder: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(folder)
}

/// Creates an empty database file readable and writable by this user alone (SQLite gives its
/// WAL and shared-memory files the same permissions). An empty file is an empty database.
fn private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        // Created meanwhile by another process: SQLite's locking takes it from here.
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
    }
}

impl SqliteStore {
    /// Opens (creating it and its folder if needed) the database file.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let open_error = |message: String| StoreError::Open {
            path: path.display().to_string(),
            message,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            private_folder(parent).map_err(|e| open_error(e.to_string()))?;
        }
        // A mistyped store URL starts an empty store, and the pending hand-offs of the right
        // one are not listed: said at startup, where an operator looks.
        if !path.exists() {
            tracing::warn!(path = %path.display(), "no store at this path: a new, empty one is created");
            private_file(path).map_err(|e| open_error(e.to_string()))?;
        }
        let writer = Connection::open(path).map_err(|e| open_error(e.to_string()))?;
        writer.busy_timeout(std::time::Duration::from_secs(10))?;
        let mode: String = writer.query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(open_error(format!(
                "cannot use WAL journal mode (got {mode})"
            )));
        }
        writer.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF;")?;
        writer.execute_batch(include_str!("schema.sql"))?;

        let (jobs, receiver) = mpsc::unbounded_channel();
        let queued = Arc::new(Notify::new());
        let notify = queued.clone();
        std::thread::Builder::new()
            .name("firstline-sqlite-writer".into())
            .spawn(move || write_loop(writer, receiver, notify))
            .map_err(|e| open_error(e.to_string()))?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                jobs,
                readers: Mutex::new(Vec::new()),
                queued,
            }),
        })
    }

    pub fn deliveries_queued(&self) -> Arc<Notify> {
        self.inner.queued.clone()
    }

    async fn read<T: Send + 'static>(
        &self,
        query: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.read_inline(query))
            .await
            .map_err(|_| StoreError::WriterGone)?
    }

    async fn submit<T>(
        &self,
        job: Job,
        reply: oneshot::Receiver<Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        self.inner
            .jobs
            .send(job)
            .map_err(|_| StoreError::WriterGone)?;
        reply.await.map_err(|_| StoreError::WriterGone)?
    }

    /// Runs a read on a pooled connection on the calling thread. For the per-message
    /// primary-key lookups only: they hit the page cache in microseconds, less than a thread
    /// hand-off would cost.
    fn read_inline<T>(
        &self,
        query: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let pooled = self
            .inner
            .readers
            .lock()
            .map(|mut pool| pool.pop())
            .unwrap_or(None);
        let connection = match pooled {
            Some(connection) => connection,
            None => open_reader(&self.inner.path)?,
        };
        let result = query(&connection);
        if let Ok(mut pool) = self.inner.readers.lock() {
            if pool.len() < MAX_READERS {
                pool.push(connection);
            }
        }
        result
    }

    /// The stored response of a message, if any, and the conversation's current record.
    pub async fn lookup_turn(
        &self,
        channel: &str,
        message_id: &str,
        conversation_id: &str,
    ) -> Result<(Option<StoredResponse>, Option<ConversationRecord>), StoreError> {
        self.read_inline(|db| {
            let stored = read_inbound(db, channel, message_id)?;
            if stored.is_some() {
                return Ok((stored, None));
            }
            Ok((None, read_conversation(db, channel, conversation_id)?))
        })
    }

    pub async fn load_conversation(
        &self,
        channel: &str,
        conversation_id: &str,
    ) -> Result<Option<ConversationRecord>, StoreError> {
        let (channel, conversation_id) = (channel.to_string(), conversation_id.to_string());
        self.read(move |db| read_conversation(db, &channel, &conversation_id))
            .await
    }

    pub async fn commit_turn(&self, turn: TurnWrite) -> Result<CommitOutcome, StoreError> {
        let (reply, receiver) = oneshot::channel();
        self.submit(Job::Turn(Box::new(turn), reply), receiver)
            .await
    }

    pub async fn history(
        &self,
        channel: &str,
        conversation_id: &str,
        limit: usize,
    ) -> Result<Vec<MessageRecord>, StoreError> {
        let (channel, conversation_id) = (channel.to_string(), conversation_id.to_string());
        self.read(move |db| {
            let mut statement = db.prepare_cached(
                "SELECT seq, direction, message_id, text, meta, created_at FROM messages
                 WHERE channel = ?1 AND conversation_id = ?2 ORDER BY seq DESC LIMIT ?3",
            )?;
            let rows =
                statement.query_map(params![channel, conversation_id, limit as i64], |row| {
                    let meta: String = row.get(4)?;
                    Ok(MessageRecord {
                        seq: row.get(0)?,
                        direction: Direction::parse(&row.get::<_, String>(1)?),
                        message_id: row.get(2)?,
                        text: row.get(3)?,
                        meta: serde_json::from_str(&meta).unwrap_or(serde_json::Value::Null),
                        at: from_millis(row.get(5)?),
                    })
                })?;
            let mut messages = rows.collect::<Result<Vec<_>, _>>()?;
            messages.reverse();
            Ok(messages)
        })
        .await
    }

    pub async fn update_conversation(
        &self,
        channel: &str,
        conversation_id: &str,
        message: NewMessage,
        now: Timestamp,
        change: Box<dyn FnOnce(&mut ConversationState) + Send>,
    ) -> Result<bool, StoreError> {
        let (reply, receiver) = oneshot::channel();
        let job = Job::Update {
            channel: channel.into(),
            conversation_id: conversation_id.into(),
            message,
            now,
            change,
            reply,
        };
        self.submit(job, receiver).await
    }

    pub async fn due_deliveries(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        self.read(move |db| {
            let mut statement = db.prepare_cached(&format!(
                "SELECT {DELIVERY_COLUMNS} FROM outbox o
                 WHERE o.status = 'pending' AND o.next_attempt_at <= ?1
                   AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.channel = o.channel
                       AND p.conversation_id = o.conversation_id AND p.status IN ('pending', 'failed') AND p.seq < o.seq)
                 ORDER BY o.seq LIMIT ?2"
            ))?;
            let rows = statement.query_map(params![millis(now), limit as i64], delivery_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    pub async fn next_due_at(&self) -> Result<Option<Timestamp>, StoreError> {
        self.read(|db| {
            let next: Option<i64> = db.query_row(
                "SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending'",
                [],
                |row| row.get(0),
            )?;
            Ok(next.map(from_millis))
        })
        .await
    }

    pub async fn record_attempt(
        &self,
        id: &str,
        outcome: AttemptOutcome,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let (reply, receiver) = oneshot::channel();
        self.submit(
            Job::Attempt {
                id: id.into(),
                outcome,
                now,
                reply,
            },
            receiver,
        )
        .await
    }

    pub async fn list_deliveries(
        &self,
        status: DeliveryStatus,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        self.read(move |db| {
            let mut statement = db.prepare_cached(&format!(
                "SELECT {DELIVERY_COLUMNS} FROM outbox o WHERE o.status = ?1 AND o.seq > ?3 ORDER BY o.seq LIMIT ?2"
            ))?;
            let rows = statement.query_map(params![status.as_str(), limit as i64, after], delivery_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    pub async fn retry_delivery(
        &self,
        id: &str,
        now: Timestamp,
    ) -> Result<RetryOutcome, StoreError> {
        let (reply, receiver) = oneshot::channel();
        self.submit(
            Job::Retry {
                id: id.into(),
                now,
                reply,
            },
            receiver,
        )
        .await
    }

    pub async fn delivery_counts(&self) -> Result<Vec<(DeliveryStatus, i64)>, StoreError> {
        self.read(|db| {
            let mut statement =
                db.prepare_cached("SELECT status, COUNT(*) FROM outbox GROUP BY status")?;
            let rows = statement.query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
            })?;
            let mut counts = Vec::new();
            for row in rows {
                let (status, count) = row?;
                if let Some(status) = DeliveryStatus::parse(&status) {
                    counts.push((status, count));
                }
            }
            Ok(counts)
        })
        .await
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        self.read(|db| Ok(db.query_row("SELECT 1", [], |_| Ok(()))?))
            .await
    }

    pub async fn close(&self) {
        let (reply, receiver) = oneshot::channel();
        if self.inner.jobs.send(Job::Close(reply)).is_ok() {
            let _ = receiver.await;
        }
    }
}

fn delivery_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Delivery> {
    let status: String = row.get(6)?;
    Ok(Delivery {
        seq: row.get(0)?,
        id: row.get(1)?,
        channel: row.get(2)?,
        conversation_id: row.get(3)?,
        kind: row.get(4)?,
        payload: row.get(5)?,
        status: DeliveryStatus::parse(&status).unwrap_or(DeliveryStatus::Pending),
        attempts: row.get(7)?,
        next_attempt_at: from_millis(row.get(8)?),
        window_start: from_millis(row.get(9)?),
        last_error: row.get(10)?,
        created_at: from_millis(row.get(11)?),
        delivered_at: row.get::<_, Option<i64>>(12)?.map(from_millis),
    })
}

fn read_inbound(
    db: &Connection,
    channel: &str,
    message_id: &str,
) -> Result<Option<StoredResponse>, StoreError> {
    let mut statement = db.prepare_cached(
        "SELECT request_hash, response FROM inbound WHERE channel = ?1 AND message_id = ?2",
    )?;
    let found = statement
        .query_row(params![channel, message_id], |row| {
            Ok(StoredResponse {
                request_hash: row.get(0)?,
                body: Bytes::from(row.get::<_, Vec<u8>>(1)?),
            })
        })
        .optional()?;
    Ok(found)
}

fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let connection = Connection::open(path)?;
    connection.busy_timeout(std::time::Duration::from_secs(10))?;
    connection.execute_batch("PRAGMA query_only=ON;")?;
    Ok(connection)
}

fn read_conversation(
    db: &Connection,
    channel: &str,
    conversation_id: &str,
) -> Result<Option<ConversationRecord>, StoreError> {
    let mut statement = db.prepare_cached("SELECT state, version, customer FROM conversations WHERE channel = ?1 AND conversation_id = ?2")?;
    let row = statement
        .query_row(params![channel, conversation_id], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, String>(2)?,
            ))
        })
        .optional()?;
    match row {
        None => Ok(None),
        Some((state, version, customer)) => Ok(Some(ConversationRecord {
            state: serde_json::from_str(&state)
                .map_err(|e| StoreError::Corrupt(format!("conversation state: {e}")))?,
            version,
            customer: serde_json::from_str(&customer).unwrap_or(serde_json::Value::Null),
        })),
    }
}

fn write_loop(mut db: Connection, mut jobs: mpsc::UnboundedReceiver<Job>, queued: Arc<Notify>) {
    while let Some(first) = jobs.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut close = Vec::new();
        let mut done = Vec::new();
        let mut delivery_added = false;
        let transaction = db.transaction_with_behavior(TransactionBehavior::Immediate);
        let transaction = match transaction {
            Ok(transaction) => transaction,
            Err(error) => {
                tracing::error!(%error, "cannot start a write transaction");
                for job in batch {
                    fail(job, &error);
                }
                continue;
            }
        };
        // No savepoint per job: a turn that is a duplicate or a version conflict checks
        // before it writes, so it leaves nothing behind. Any error is the storage's own
        // (I/O, disk full): the whole batch is rolled back and every job in it fails
        // unacknowledged, and its callers may try again.
        let mut failed: Option<String> = None;
        for job in batch {
            if let Job::Close(reply) = job {
                close.push(reply);
                continue;
            }
            if let Some(error) = &failed {
                fail(job, error);
                continue;
            }
            let outcome = apply(&transaction, job, &mut delivery_added);
            if let Some(error) = outcome.storage_error() {
                tracing::error!(%error, "write failed; rolling back the batch");
                failed = Some(error);
            }
            done.push(outcome);
        }
        let committed = match failed {
            Some(error) => Err(error),
            None => transaction.commit().map_err(|error| error.to_string()),
        };
        match committed {
            Ok(()) => {
                for outcome in done {
                    outcome.send();
                }
                if delivery_added {
                    queued.notify_one();
                }
            }
            Err(error) => {
                tracing::error!(%error, "write transaction failed to commit");
                for outcome in done {
                    outcome.fail(&error);
                }
            }
        }
        if !close.is_empty() {
            for reply in close {
                let _ = reply.send(());
            }
            return;
        }
    }
}

fn fail(job: Job, error: &dyn std::fmt::Display) {
    let error = || StoreError::Transaction(error.to_string());
    match job {
        Job::Turn(_, reply) => drop(reply.send(Err(error()))),
        Job::Update { reply, .. } => drop(reply.send(Err(error()))),
        Job::Attempt { reply, .. } => drop(reply.send(Err(error()))),
        Job::Retry { reply, .. } => drop(reply.send(Err(error()))),
        Job::Close(reply) => drop(reply.send(())),
    }
}

impl Done {
    /// The storage error this job met, if any. Outcomes such as a duplicate are not errors,
    /// and neither is a corrupt record or a message id stored with another text: each is
    /// found before the job writes anything, so it fails that job alone.
    fn storage_error(&self) -> Option<String> {
        let error = match self {
            Done::Turn(_, result) => result.as_ref().err(),
            Done::Update(_, result) => result.as_ref().err(),
            Done::Attempt(_, result) => result.as_ref().err(),
            Done::Retry(_, result) => result.as_ref().err(),
        };
        error
            .filter(|error| {
                !matches!(
                    error,
                    StoreError::Corrupt(_) | StoreError::DifferentMessage(_)
                )
            })
            .map(ToString::to_string)
    }

    fn send(self) {
        match self {
            Done::Turn(reply, result) => drop(reply.send(result)),
            Done::Update(reply, result) => drop(reply.send(result)),
            Done::Attempt(reply, result) => drop(reply.send(result)),
            Done::Retry(reply, result) => drop(reply.send(result)),
        }
    }

    fn fail(self, error: &dyn std::fmt::Display) {
        let error = StoreError::Transaction(error.to_string());
        match self {
            Done::Turn(reply, _) => drop(reply.send(Err(error))),
            Done::Update(reply, _) => drop(reply.send(Err(error))),
            Done::Attempt(reply, _) => drop(reply.send(Err(error))),
            Done::Retry(reply, _) => drop(reply.send(Err(error))),
        }
    }
}

fn apply(db: &Connection, job: Job, delivery_added: &mut bool) -> Done {
    match job {
        Job::Turn(turn, reply) => {
            let result = write_turn(db, &turn);
            if matches!(result, Ok(CommitOutcome::Committed)) && !turn.deliveries.is_empty() {
                *delivery_added = true;
            }
            Done::Turn(reply, result)
        }
        Job::Update {
            channel,
            conversation_id,
            message,
            now,
            change,
            reply,
        } => Done::Update(
            reply,
            write_update(db, &channel, &conversation_id, message, now, change),
        ),
        Job::Attempt {
            id,
            outcome,
            now,
            reply,
        } => Done::Attempt(reply, write_attempt(db, &id, outcome, now)),
        Job::Retry { id, now, reply } => {
            let result = write_retry(db, &id, now);
            if matches!(result, Ok(RetryOutcome::Requeued)) {
                *delivery_added = true;
            }
            Done::Retry(reply, result)
        }
        Job::Close(_) => unreachable!("close jobs are handled by the loop"),
    }
}

fn write_turn(db: &Connection, turn: &TurnWrite) -> Result<CommitOutcome, StoreError> {
    let now = millis(turn.now);
    let state =
        serde_json::to_string(&turn.state).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let customer = turn.customer.to_string();
    // Checked before anything is written, so a conflict leaves no trace in the batch.
    let version: Option<i64> = db
        .prepare_cached(
            "SELECT version FROM conversations WHERE channel = ?1 AND conversation_id = ?2",
        )?
        .query_row(params![turn.channel, turn.conversation_id], |row| {
            row.get(0)
        })
        .optional()?;
    if version != turn.expected_version {
        return Ok(CommitOutcome::Conflict);
    }
    let inserted = db.prepare_cached(
        "INSERT INTO inbound (channel, message_id, conversation_id, request_hash, response, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
    )?
    .execute(params![turn.channel, turn.message_id, turn.conversation_id, turn.request_hash, turn.response.as_ref(), now])?;
    if inserted == 0 {
        return Ok(CommitOutcome::Duplicate);
    }
    let written = match turn.expected_version {
        None => db
            .prepare_cached(
                "INSERT INTO conversations (channel, conversation_id, state, customer, version, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5) ON CONFLICT DO NOTHING",
            )?
            .execute(params![turn.channel, turn.conversation_id, state, customer, now])?,
        Some(version) => db
            .prepare_cached(
                "UPDATE conversations SET state = ?3, customer = ?4, version = version + 1, updated_at = ?5
                 WHERE channel = ?1 AND conversation_id = ?2 AND version = ?6",
            )?
            .execute(params![turn.channel, turn.conversation_id, state, customer, now, version])?,
    };
    if written == 0 {
        return Err(StoreError::Transaction(
            "conversation changed under the writer".into(),
        ));
    }
    for message in &turn.messages {
        insert_message(db, &turn.channel, &turn.conversation_id, message, now)?;
    }
    for delivery in &turn.deliveries {
        db.prepare_cached(
            "INSERT INTO outbox (id, channel, conversation_id, kind, payload, status, attempts, next_attempt_at, window_start, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 0, ?6, ?6, ?6)",
        )?
        .execute(params![delivery.id, turn.channel, turn.conversation_id, delivery.kind, delivery.payload, now])?;
    }
    Ok(CommitOutcome::Committed)
}

fn insert_message(
    db: &Connection,
    channel: &str,
    conversation_id: &str,
    message: &NewMessage,
    now: i64,
) -> Result<(), StoreError> {
    db.prepare_cached(
        "INSERT INTO messages (channel, conversation_id, direction, message_id, text, meta, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![channel, conversation_id, message.direction.as_str(), message.message_id, message.text, message.meta.to_string(), now])?;
    Ok(())
}

fn write_update(
    db: &Connection,
    channel: &str,
    conversation_id: &str,
    message: NewMessage,
    now: Timestamp,
    change: Box<dyn FnOnce(&mut ConversationState) + Send>,
) -> Result<bool, StoreError> {
    let Some(mut record) = read_conversation(db, channel, conversation_id)? else {
        return Ok(false);
    };
    // A message with an id is written once: a helpdesk's retry changes nothing.
    if let Some(id) = &message.message_id {
        let seen: Option<String> = db
            .prepare_cached(
                "SELECT text FROM messages WHERE channel = ?1 AND conversation_id = ?2 AND direction = ?3 AND message_id = ?4",
            )?
            .query_row(params![channel, conversation_id, message.direction.as_str(), id], |row| row.get(0))
            .optional()?;
        match seen {
            Some(text) if text == message.text => return Ok(true),
            Some(_) => return Err(StoreError::DifferentMessage(id.clone())),
            None => {}
        }
    }
    change(&mut record.state);
    let state =
        serde_json::to_string(&record.state).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    db.prepare_cached(
        "UPDATE conversations SET state = ?3, version = version + 1, updated_at = ?4 WHERE channel = ?1 AND conversation_id = ?2",
    )?
    .execute(params![channel, conversation_id, state, millis(now)])?;
    insert_message(db, channel, conversation_id, &message, millis(now))?;
    Ok(true)
}

fn write_attempt(
    db: &Connection,
    id: &str,
    outcome: AttemptOutcome,
    now: Timestamp,
) -> Result<(), StoreError> {
    let now = millis(now);
    match outcome {
        AttemptOutcome::Delivered => db
            .prepare_cached("UPDATE outbox SET status = 'delivered', attempts = attempts + 1, delivered_at = ?2, last_error = NULL WHERE id = ?1")?
            .execute(params![id, now])?,
        AttemptOutcome::RetryAt { at, error } => db
            .prepare_cached("UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3 WHERE id = ?1")?
            .execute(params![id, millis(at), error])?,
        AttemptOutcome::Failed { error } => db
            .prepare_cached("UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?2 WHERE id = ?1")?
            .execute(params![id, error])?,
    };
    Ok(())
}

fn write_retry(db: &Connection, id: &str, now: Timestamp) -> Result<RetryOutcome, StoreError> {
    let status: Option<String> = db
        .prepare_cached("SELECT status FROM outbox WHERE id = ?1")?
        .query_row(params![id], |row| row.get(0))
        .optional()?;
    match status.as_deref() {
        None => Ok(RetryOutcome::NotFound),
        Some("delivered") => Ok(RetryOutcome::AlreadyDelivered),
        Some(_) => {
            db.prepare_cached("UPDATE outbox SET status = 'pending', next_attempt_at = ?2, window_start = ?2 WHERE id = ?1")?
                .execute(params![id, millis(now)])?;
            Ok(RetryOutcome::Requeued)
        }
    }
}
