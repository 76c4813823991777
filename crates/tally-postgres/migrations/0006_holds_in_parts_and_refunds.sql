-- Holds captured in parts, extended, and refunds: the same as SQLite's migration 6.
-- (SQLite's migration 5 rebuilt tables to change CHECKs SQLite cannot alter; PostgreSQL
-- needed none of it, so it has no migration 5.)
ALTER TABLE holds ADD COLUMN captured_from TEXT NOT NULL DEFAULT '';
ALTER TABLE holds ADD COLUMN captured_at BIGINT;

CREATE TABLE refunds (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    charge_id  TEXT,
    hold_id    TEXT,
    amount     BIGINT NOT NULL CHECK (amount > 0),
    restored   TEXT NOT NULL,
    expired    BIGINT NOT NULL CHECK (expired >= 0 AND expired <= amount),
    reason     TEXT,
    created_at BIGINT NOT NULL,
    CHECK ((charge_id IS NULL) <> (hold_id IS NULL))
);
CREATE INDEX refunds_by_charge ON refunds (charge_id) WHERE charge_id IS NOT NULL;
CREATE INDEX refunds_by_hold ON refunds (hold_id) WHERE hold_id IS NOT NULL;

ALTER TABLE entries DROP CONSTRAINT entries_type_check;
ALTER TABLE entries ADD CONSTRAINT entries_type_check CHECK (type IN ('grant', 'charge', 'hold', 'capture', 'release', 'expire', 'void', 'adjustment', 'refund'));
