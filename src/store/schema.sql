-- firstline's SQLite schema. Times are Unix milliseconds.
CREATE TABLE IF NOT EXISTS conversations (
    channel         TEXT    NOT NULL,
    conversation_id TEXT    NOT NULL,
    state           TEXT    NOT NULL,
    customer        TEXT    NOT NULL,
    version         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (channel, conversation_id)
) WITHOUT ROWID;

-- One row per accepted inbound message: the idempotency key and the exact response sent.
CREATE TABLE IF NOT EXISTS inbound (
    channel         TEXT    NOT NULL,
    message_id      TEXT    NOT NULL,
    conversation_id TEXT    NOT NULL,
    request_hash    TEXT    NOT NULL,
    response        BLOB    NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (channel, message_id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS messages (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    channel         TEXT    NOT NULL,
    conversation_id TEXT    NOT NULL,
    direction       TEXT    NOT NULL,
    message_id      TEXT,
    text            TEXT    NOT NULL,
    meta            TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages (channel, conversation_id, seq);

-- Deliveries to the helpdesk (hand-offs and follow-up messages), kept forever.
CREATE TABLE IF NOT EXISTS outbox (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT    NOT NULL UNIQUE,
    channel         TEXT    NOT NULL,
    conversation_id TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    window_start    INTEGER NOT NULL,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    delivered_at    INTEGER
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS outbox_by_conversation ON outbox (channel, conversation_id, status, seq);
