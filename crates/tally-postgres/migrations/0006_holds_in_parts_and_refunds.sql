-- Holds captured in parts, extended, and refunds: the same as SQLite's migration 6.
-- (SQLite's migration 5 rebuilt tables to change CHECKs SQLite cannot alter; PostgreSQL
-- needed none of it, so it has no migration 5.)
ALTER TABLE holds ADD COLUMN captured_from TEXT NOT NULL DEFAULT '';
ALTER TABLE holds ADD COLUMN captured_at BIGINT;
-- What refunds gave back, on the charge or hold refunded (their rows are written again by a
-- refund; `verify` checks these equal the refunds' sums).
ALTER TABLE holds ADD COLUMN refunded BIGINT NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= captured);
ALTER TABLE charges ADD COLUMN refunded BIGINT NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount);

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
    -- Who and what the refunded spending was for, and when it happened: usage is net of
    -- refunds in the group and on the day of the spending.
    product           TEXT,
    member            TEXT,
    model             TEXT,
    action            TEXT,
    rate_card_version BIGINT,
    quote_id          TEXT,
    spent_at          BIGINT NOT NULL,
    CHECK ((charge_id IS NULL) <> (hold_id IS NULL))
);
CREATE INDEX refunds_by_charge ON refunds (charge_id) WHERE charge_id IS NOT NULL;
CREATE INDEX refunds_by_hold ON refunds (hold_id) WHERE hold_id IS NOT NULL;
-- The partial days of a usage query read refunds by the instant of the spending refunded.
CREATE INDEX refunds_by_spending ON refunds (account_id, spent_at);

ALTER TABLE entries DROP CONSTRAINT entries_type_check;
ALTER TABLE entries ADD CONSTRAINT entries_type_check CHECK (type IN ('grant', 'charge', 'hold', 'capture', 'release', 'expire', 'void', 'adjustment', 'refund'));
