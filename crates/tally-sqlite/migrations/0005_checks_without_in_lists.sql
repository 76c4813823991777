-- SQLite evaluates `x IN ('a', 'b', 'c')` in a CHECK constraint by building a temporary
-- b-tree for the list on every row written, with its own page cache: allocated, filled and
-- freed per insert (the single largest cost of writing an entry, found by profiling the
-- write path). The same constraints as chains of `=` cost a few comparisons. SQLite cannot
-- change a CHECK in place, so the tables are rebuilt (foreign keys are off while migrations
-- run, and checked after). Also drops `charges_by_account`: charges are only read by id.

CREATE TABLE grants_rebuilt (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    amount       INTEGER NOT NULL CHECK (amount > 0),
    remaining    INTEGER NOT NULL,
    reserved     INTEGER NOT NULL,
    source       TEXT NOT NULL CHECK (source = 'promo' OR source = 'adjustment' OR source = 'plan' OR source = 'pack'),
    priority     INTEGER NOT NULL,
    effective_at INTEGER NOT NULL,
    expires_at   INTEGER,
    lifecycle    TEXT NOT NULL CHECK (lifecycle = 'pending' OR lifecycle = 'active' OR lifecycle = 'expired' OR lifecycle = 'voided'),
    ordinal      INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    description  TEXT,
    metadata     TEXT,
    CHECK (0 <= reserved AND reserved <= remaining AND remaining <= amount)
) STRICT;
INSERT INTO grants_rebuilt SELECT * FROM grants;
DROP TABLE grants;
ALTER TABLE grants_rebuilt RENAME TO grants;
CREATE INDEX grants_by_account ON grants (account_id, seq);
CREATE INDEX grants_live ON grants (account_id)
    WHERE lifecycle = 'pending' OR (lifecycle = 'active' AND remaining > 0) OR reserved > 0;

CREATE TABLE holds_rebuilt (
    seq               INTEGER PRIMARY KEY,
    id                TEXT NOT NULL UNIQUE,
    account_id        TEXT NOT NULL REFERENCES accounts (id),
    status            TEXT NOT NULL CHECK (status = 'pending' OR status = 'captured' OR status = 'voided' OR status = 'expired'),
    amount            INTEGER NOT NULL CHECK (amount > 0),
    captured          INTEGER NOT NULL CHECK (captured >= 0),
    released          INTEGER NOT NULL CHECK (released >= 0),
    expires_at        INTEGER NOT NULL,
    created_at        INTEGER NOT NULL,
    resolved_at       INTEGER,
    product           TEXT,
    member            TEXT,
    model             TEXT,
    action            TEXT,
    rate_card_version INTEGER,
    quote_id          TEXT,
    description       TEXT,
    metadata          TEXT,
    reservations      TEXT NOT NULL,
    extra             TEXT,
    CHECK (captured + released <= amount)
) STRICT;
INSERT INTO holds_rebuilt SELECT * FROM holds;
DROP TABLE holds;
ALTER TABLE holds_rebuilt RENAME TO holds;
CREATE INDEX holds_by_account ON holds (account_id, seq);
CREATE INDEX holds_pending ON holds (account_id) WHERE status = 'pending';

CREATE TABLE entries_rebuilt (
    seq               INTEGER PRIMARY KEY,
    id                TEXT NOT NULL UNIQUE,
    account_id        TEXT NOT NULL REFERENCES accounts (id),
    type              TEXT NOT NULL CHECK (type = 'grant' OR type = 'charge' OR type = 'hold' OR type = 'capture' OR type = 'release' OR type = 'expire' OR type = 'void' OR type = 'adjustment'),
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

CREATE TABLE subscriptions_rebuilt (
    account_id           TEXT PRIMARY KEY REFERENCES accounts (id),
    plan_id              TEXT NOT NULL,
    plan_name            TEXT NOT NULL,
    credits_per_seat     INTEGER NOT NULL CHECK (credits_per_seat > 0),
    seats                INTEGER NOT NULL CHECK (seats >= 1),
    next_period_seats    INTEGER CHECK (next_period_seats >= 1),
    status               TEXT NOT NULL CHECK (status = 'active' OR status = 'canceling' OR status = 'canceled'),
    anchor               INTEGER NOT NULL,
    period_index         INTEGER NOT NULL CHECK (period_index >= 0),
    current_period_start INTEGER NOT NULL,
    current_period_end   INTEGER NOT NULL,
    period_grant_ids     TEXT NOT NULL,
    created_at           INTEGER NOT NULL,
    canceled_at          INTEGER,
    CHECK (current_period_start < current_period_end)
) STRICT, WITHOUT ROWID;
INSERT INTO subscriptions_rebuilt SELECT * FROM subscriptions;
DROP TABLE subscriptions;
ALTER TABLE subscriptions_rebuilt RENAME TO subscriptions;


DROP INDEX charges_by_account;
