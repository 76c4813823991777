-- Webhooks: the same as SQLite's migration 12 (endpoints, one delivery per endpoint and event,
-- the log of every attempt), written only by the delivery side; the batch writer inserts an
-- event's pending deliveries in the event's own transaction. Several nodes claim pending
-- deliveries with `FOR UPDATE SKIP LOCKED` and a lease.

CREATE TABLE webhook_endpoints (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    url         TEXT NOT NULL,
    description TEXT,
    events      TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status = 'enabled' OR status = 'disabled'),
    secret      TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_expires_at BIGINT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    idempotency_key TEXT UNIQUE,
    request_hash    TEXT,
    CHECK ((previous_secret IS NULL) = (previous_secret_expires_at IS NULL))
);

CREATE TABLE webhook_deliveries (
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_seq       BIGINT NOT NULL REFERENCES events (seq),
    account_id      TEXT NOT NULL,
    state           TEXT NOT NULL
        CHECK (state = 'pending' OR state = 'delivered' OR state = 'failed'),
    attempts        BIGINT NOT NULL CHECK (attempts >= 0),
    next_attempt_at BIGINT,
    lease_token     TEXT,
    lease_owner     TEXT,
    lease_until     BIGINT,
    last_status_code BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (endpoint_id, event_seq),
    CHECK ((state = 'pending') = (next_attempt_at IS NOT NULL))
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (endpoint_id, account_id, event_seq)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_seq);

CREATE TABLE webhook_attempts (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id    TEXT NOT NULL,
    attempt     BIGINT NOT NULL CHECK (attempt >= 1),
    status_code BIGINT,
    ok          BIGINT NOT NULL CHECK (ok = 0 OR ok = 1),
    error       TEXT,
    created_at  BIGINT NOT NULL,
    next_attempt_at BIGINT
);

CREATE INDEX webhook_attempts_by_endpoint ON webhook_attempts (endpoint_id, seq);

CREATE INDEX webhook_deliveries_failing ON webhook_deliveries (updated_at)
    WHERE state = 'failed' OR (state = 'pending' AND attempts > 0);
