-- firstline's PostgreSQL schema: the SQLite schema's tables and meanings. Times are Unix
-- milliseconds. Created in the schema the connection's search_path names.
CREATE TABLE IF NOT EXISTS conversations (
    channel         TEXT    NOT NULL,
    conversation_id TEXT    NOT NULL,
    state           TEXT    NOT NULL,
    customer        TEXT    NOT NULL,
    version         BIGINT  NOT NULL,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    PRIMARY KEY (channel, conversation_id)
);

-- One row per accepted inbound message: the idempotency key and the exact response sent.
CREATE TABLE IF NOT EXISTS inbound (
    channel         TEXT    NOT NULL,
    message_id      TEXT    NOT NULL,
    conversation_id TEXT    NOT NULL,
    request_hash    TEXT    NOT NULL,
    response        BYTEA   NOT NULL,
    created_at      BIGINT  NOT NULL,
    PRIMARY KEY (channel, message_id)
);

CREATE TABLE IF NOT EXISTS messages (
    seq             BIGSERIAL PRIMARY KEY,
    channel         TEXT    NOT NULL,
    conversation_id TEXT    NOT NULL,
    direction       TEXT    NOT NULL,
    message_id      TEXT,
    text            TEXT    NOT NULL,
    meta            TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages (channel, conversation_id, seq);

-- Deliveries to the helpdesk (hand-offs and follow-up messages), kept forever.
CREATE TABLE IF NOT EXISTS outbox (
    seq             BIGSERIAL PRIMARY KEY,
    id              TEXT    NOT NULL UNIQUE,
    channel         TEXT    NOT NULL,
    conversation_id TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    attempts        BIGINT  NOT NULL,
    next_attempt_at BIGINT  NOT NULL,
    window_start    BIGINT  NOT NULL,
    last_error      TEXT,
    created_at      BIGINT  NOT NULL,
    delivered_at    BIGINT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS outbox_by_conversation ON outbox (channel, conversation_id, status, seq);
