-- The ledger: accounts, grants, holds, charges, entries, idempotency keys.
-- Instants are unix microseconds (INTEGER); amounts are millicredits (INTEGER).

CREATE TABLE accounts (
    seq                 INTEGER PRIMARY KEY,
    id                  TEXT NOT NULL UNIQUE,
    name                TEXT,
    overdraft_limit     INTEGER NOT NULL CHECK (overdraft_limit >= 0),
    metadata            TEXT,
    created_at          INTEGER NOT NULL,
    posted              INTEGER NOT NULL,
    held                INTEGER NOT NULL CHECK (held >= 0),
    overdraft_remaining INTEGER NOT NULL CHECK (overdraft_remaining <= 0),
    overdraft_reserved  INTEGER NOT NULL CHECK (overdraft_reserved >= 0),
    CHECK (posted - held >= -overdraft_limit)
) STRICT;

CREATE TABLE grants (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    amount       INTEGER NOT NULL CHECK (amount > 0),
    remaining    INTEGER NOT NULL,
    reserved     INTEGER NOT NULL,
    source       TEXT NOT NULL CHECK (source IN ('promo', 'adjustment', 'plan', 'pack')),
    priority     INTEGER NOT NULL,
    effective_at INTEGER NOT NULL,
    expires_at   INTEGER,
    lifecycle    TEXT NOT NULL CHECK (lifecycle IN ('pending', 'active', 'expired', 'voided')),
    ordinal      INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    description  TEXT,
    metadata     TEXT,
    CHECK (0 <= reserved AND reserved <= remaining AND remaining <= amount)
) STRICT;
CREATE INDEX grants_by_account ON grants (account_id, seq);
-- The grants that can still change (the rest are final): what the engine loads at start.
CREATE INDEX grants_live ON grants (account_id)
    WHERE lifecycle = 'pending' OR (lifecycle = 'active' AND remaining > 0) OR reserved > 0;

CREATE TABLE holds (
    seq               INTEGER PRIMARY KEY,
    id                TEXT NOT NULL UNIQUE,
    account_id        TEXT NOT NULL REFERENCES accounts (id),
    status            TEXT NOT NULL CHECK (status IN ('pending', 'captured', 'voided', 'expired')),
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
CREATE INDEX holds_by_account ON holds (account_id, seq);
CREATE INDEX holds_pending ON holds (account_id) WHERE status = 'pending';

CREATE TABLE charges (
    seq               INTEGER PRIMARY KEY,
    id                TEXT NOT NULL UNIQUE,
    account_id        TEXT NOT NULL REFERENCES accounts (id),
    amount            INTEGER NOT NULL CHECK (amount > 0),
    drawn             TEXT NOT NULL,
    overdraft         INTEGER NOT NULL CHECK (overdraft >= 0),
    available_after   INTEGER NOT NULL,
    product           TEXT,
    member            TEXT,
    model             TEXT,
    action            TEXT,
    rate_card_version INTEGER,
    quote_id          TEXT,
    description       TEXT,
    metadata          TEXT,
    extra             TEXT,
    created_at        INTEGER NOT NULL
) STRICT;
CREATE INDEX charges_by_account ON charges (account_id, seq);

-- Append-only. `postings` lists what the entry did to each line: `grant_id:remaining:reserved`
-- separated by `;`, with `~` naming the account's overdraft line.
CREATE TABLE entries (
    seq               INTEGER PRIMARY KEY,
    id                TEXT NOT NULL UNIQUE,
    account_id        TEXT NOT NULL REFERENCES accounts (id),
    type              TEXT NOT NULL CHECK (type IN ('grant', 'charge', 'hold', 'capture', 'release', 'expire', 'void', 'adjustment')),
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
CREATE INDEX entries_by_account ON entries (account_id, seq);

CREATE TRIGGER entries_append_only_update BEFORE UPDATE ON entries
BEGIN SELECT RAISE(ABORT, 'entries are append-only'); END;
CREATE TRIGGER entries_append_only_delete BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'entries are append-only'); END;

-- One row per idempotency key, written in the same transaction as its effect.
CREATE TABLE idempotency (
    scope        TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL,
    body         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
) STRICT, WITHOUT ROWID;

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE api_keys (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    account_id   TEXT REFERENCES accounts (id),
    key_hash     TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
) STRICT;
CREATE INDEX api_keys_by_account ON api_keys (account_id, seq);
