-- Events: the same as SQLite's migration 11 (an outbox written with the change that causes it).
CREATE TABLE events (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    sequence   BIGINT NOT NULL CHECK (sequence >= 1),
    type       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    body       TEXT NOT NULL,
    UNIQUE (account_id, sequence)
);

CREATE INDEX events_by_account ON events (account_id, seq);
CREATE INDEX events_by_type ON events (type, seq);

CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only';
END $$;
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER events_append_only_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();

ALTER TABLE accounts ADD COLUMN event_sequence BIGINT NOT NULL DEFAULT 0 CHECK (event_sequence >= 0);
ALTER TABLE accounts ADD COLUMN alerts BIGINT NOT NULL DEFAULT 0 CHECK (alerts >= 0 AND alerts <= 3);
ALTER TABLE accounts ADD COLUMN low_balance_threshold BIGINT CHECK (low_balance_threshold >= 0);
ALTER TABLE accounts ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';

ALTER TABLE grants ADD COLUMN expiry_warned BIGINT NOT NULL DEFAULT 0 CHECK (expiry_warned = 0 OR expiry_warned = 1);
