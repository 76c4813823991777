-- Webhooks: the endpoints events are delivered to, one delivery per endpoint and event (the
-- queue the delivery worker claims from), and the log of every attempt. Only the delivery
-- side writes these (the endpoint routes and the worker); the engine's batch writer inserts
-- an event's pending deliveries in the event's own transaction, and nothing else here.

CREATE TABLE webhook_endpoints (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    url         TEXT NOT NULL,
    description TEXT,
    -- `*` (every type), or the types it subscribes to, each between commas: `,a.b,c.d,`.
    events      TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status = 'enabled' OR status = 'disabled'),
    -- `whsec_…`: kept to sign with. During a rotation the previous one signs too, until it
    -- expires.
    secret      TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_expires_at INTEGER,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    -- The creating request's Idempotency-Key and request hash (admin scope).
    idempotency_key TEXT UNIQUE,
    request_hash    TEXT,
    CHECK ((previous_secret IS NULL) = (previous_secret_expires_at IS NULL))
) STRICT;

-- One row per endpoint and event. `pending` rows are the queue: due at `next_attempt_at`,
-- claimed under a lease (`lease_until`, on the engine's clock) by one worker at a time.
CREATE TABLE webhook_deliveries (
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_seq       INTEGER NOT NULL REFERENCES events (seq),
    account_id      TEXT NOT NULL,
    state           TEXT NOT NULL
        CHECK (state = 'pending' OR state = 'delivered' OR state = 'failed'),
    attempts        INTEGER NOT NULL CHECK (attempts >= 0),
    next_attempt_at INTEGER,
    lease_token     TEXT,
    lease_owner     TEXT,
    lease_until     INTEGER,
    last_status_code INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (endpoint_id, event_seq),
    CHECK ((state = 'pending') = (next_attempt_at IS NOT NULL))
) STRICT;

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (endpoint_id, account_id, event_seq)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_seq);

-- Every attempt, as it happened (append-only).
CREATE TABLE webhook_attempts (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id    TEXT NOT NULL,
    attempt     INTEGER NOT NULL CHECK (attempt >= 1),
    status_code INTEGER,
    ok          INTEGER NOT NULL CHECK (ok = 0 OR ok = 1),
    error       TEXT,
    created_at  INTEGER NOT NULL,
    next_attempt_at INTEGER
) STRICT;

CREATE INDEX webhook_attempts_by_endpoint ON webhook_attempts (endpoint_id, seq);

-- What the dashboard lists as failing: given up, or retrying.
CREATE INDEX webhook_deliveries_failing ON webhook_deliveries (updated_at)
    WHERE state = 'failed' OR (state = 'pending' AND attempts > 0);
