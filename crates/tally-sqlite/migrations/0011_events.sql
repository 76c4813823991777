-- Events: what the platform must react to, written in the same transaction as the change that
-- causes it (a transactional outbox). `body` is the event's JSON exactly as it is served and
-- delivered. `sequence` numbers an account's events from 1, without gaps.
CREATE TABLE events (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    sequence   INTEGER NOT NULL CHECK (sequence >= 1),
    type       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    body       TEXT NOT NULL,
    UNIQUE (account_id, sequence)
) STRICT;

CREATE INDEX events_by_account ON events (account_id, seq);
CREATE INDEX events_by_type ON events (type, seq);

-- Events are append-only, like entries.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

-- The account's settings and what its events need between batches: the last event's
-- sequence, and which balance alerts have fired since the balance last rose above them
-- (bit 1: `balance.low`, bit 2: `balance.depleted`).
ALTER TABLE accounts ADD COLUMN event_sequence INTEGER NOT NULL DEFAULT 0 CHECK (event_sequence >= 0);
ALTER TABLE accounts ADD COLUMN alerts INTEGER NOT NULL DEFAULT 0 CHECK (alerts >= 0 AND alerts <= 3);
ALTER TABLE accounts ADD COLUMN low_balance_threshold INTEGER CHECK (low_balance_threshold >= 0);
ALTER TABLE accounts ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';

-- Whether the grant's `grant.expiring` event (3 days before its expiry) was written.
ALTER TABLE grants ADD COLUMN expiry_warned INTEGER NOT NULL DEFAULT 0 CHECK (expiry_warned = 0 OR expiry_warned = 1);
