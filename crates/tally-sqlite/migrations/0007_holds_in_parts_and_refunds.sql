-- Holds captured in parts, extended, and refunds.
--
-- A hold records what its captures took from each line (`captured_from`, in the codec's
-- reservation text, in the order taken) and when it was last captured, so that a refund can
-- give the credits back to the grants they came from. Holds written before this migration
-- have an empty record: their refunds restore nothing and expire what they refund (see
-- docs/refunds.md).
ALTER TABLE holds ADD COLUMN captured_from TEXT NOT NULL DEFAULT '';
ALTER TABLE holds ADD COLUMN captured_at INTEGER;
-- What refunds gave back, on the charge or hold refunded (their rows are written again by a
-- refund; `verify` checks these equal the refunds' sums).
ALTER TABLE holds ADD COLUMN refunded INTEGER NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= captured);
ALTER TABLE charges ADD COLUMN refunded INTEGER NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount);

-- One row per refund, never changed. `restored` lists what went back to each grant.
CREATE TABLE refunds (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    charge_id  TEXT,
    hold_id    TEXT,
    amount     INTEGER NOT NULL CHECK (amount > 0),
    restored   TEXT NOT NULL,
    expired    INTEGER NOT NULL CHECK (expired >= 0 AND expired <= amount),
    reason     TEXT,
    created_at INTEGER NOT NULL,
    -- Who and what the refunded spending was for, and when it happened: usage is net of
    -- refunds in the group and on the day of the spending.
    product           TEXT,
    member            TEXT,
    model             TEXT,
    action            TEXT,
    rate_card_version INTEGER,
    quote_id          TEXT,
    spent_at          INTEGER NOT NULL,
    CHECK ((charge_id IS NULL) <> (hold_id IS NULL))
) STRICT;
CREATE INDEX refunds_by_charge ON refunds (charge_id) WHERE charge_id IS NOT NULL;
CREATE INDEX refunds_by_hold ON refunds (hold_id) WHERE hold_id IS NOT NULL;
-- The partial days of a usage query read refunds by the instant of the spending refunded.
CREATE INDEX refunds_by_spending ON refunds (account_id, spent_at);

-- The entry type `refund`: SQLite cannot change a CHECK in place, so entries are rebuilt
-- (as in migration 5; foreign keys are off while migrations run, and checked after).
CREATE TABLE entries_rebuilt (
    seq               INTEGER PRIMARY KEY,
    id                TEXT NOT NULL UNIQUE,
    account_id        TEXT NOT NULL REFERENCES accounts (id),
    type              TEXT NOT NULL CHECK (type = 'grant' OR type = 'charge' OR type = 'hold' OR type = 'capture' OR type = 'release' OR type = 'expire' OR type = 'void' OR type = 'adjustment' OR type = 'refund'),
    amount            INTEGER NOT NULL,
    held              INTEGER NOT NULL,
    grant_id          TEXT,
    hold_id           TEXT,
    charge_id         TEXT,
    product           TEXT,
    member            TEXT,
    model             TEXT,
    action            TEXT,
    rate_card_version INTEGER,
    quote_id          TEXT,
    description       TEXT,
    created_at        INTEGER NOT NULL,
    postings          TEXT NOT NULL
) STRICT;
INSERT INTO entries_rebuilt SELECT * FROM entries;
DROP TABLE entries;
ALTER TABLE entries_rebuilt RENAME TO entries;
CREATE INDEX entries_by_account ON entries (account_id, seq);
CREATE TRIGGER entries_append_only_update BEFORE UPDATE ON entries
BEGIN SELECT RAISE(ABORT, 'entries are append-only'); END;
CREATE TRIGGER entries_append_only_delete BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'entries are append-only'); END;
