-- The ledger: accounts, grants, holds, charges, entries, idempotency keys.
-- The same tables as SQLite's 0001_ledger.sql: SQLite's INTEGER (64 bits) is BIGINT here, every
-- `seq` an identity column. Instants are unix microseconds; amounts are millicredits.

CREATE TABLE accounts (
    seq                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                  TEXT NOT NULL UNIQUE,
    name                TEXT,
    overdraft_limit     BIGINT NOT NULL CHECK (overdraft_limit >= 0),
    metadata            TEXT,
    created_at          BIGINT NOT NULL,
    posted              BIGINT NOT NULL,
    held                BIGINT NOT NULL CHECK (held >= 0),
    overdraft_remaining BIGINT NOT NULL CHECK (overdraft_remaining <= 0),
    overdraft_reserved  BIGINT NOT NULL CHECK (overdraft_reserved >= 0),
    -- PostgreSQL only: when the account next has due work (hold or grant expiry, activation,
    -- period end), for the nodes' schedulers to claim (`FOR UPDATE SKIP LOCKED`). NULL: none.
    next_due_at         BIGINT,
    CHECK (posted - held >= -overdraft_limit)
);
CREATE INDEX accounts_due ON accounts (next_due_at) WHERE next_due_at IS NOT NULL;

CREATE TABLE grants (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    amount       BIGINT NOT NULL CHECK (amount > 0),
    remaining    BIGINT NOT NULL,
    reserved     BIGINT NOT NULL,
    source       TEXT NOT NULL CHECK (source IN ('promo', 'adjustment', 'plan', 'pack')),
    priority     BIGINT NOT NULL,
    effective_at BIGINT NOT NULL,
    expires_at   BIGINT,
    lifecycle    TEXT NOT NULL CHECK (lifecycle IN ('pending', 'active', 'expired', 'voided')),
    ordinal      BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    description  TEXT,
    metadata     TEXT,
    CHECK (0 <= reserved AND reserved <= remaining AND remaining <= amount)
);
CREATE INDEX grants_by_account ON grants (account_id, seq);
-- The grants that can still change (the rest are final): what a batch loads.
CREATE INDEX grants_live ON grants (account_id)
    WHERE lifecycle = 'pending' OR (lifecycle = 'active' AND remaining > 0) OR reserved > 0;

CREATE TABLE holds (
    seq               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                TEXT NOT NULL UNIQUE,
    account_id        TEXT NOT NULL REFERENCES accounts (id),
    status            TEXT NOT NULL CHECK (status IN ('pending', 'captured', 'voided', 'expired')),
    amount            BIGINT NOT NULL CHECK (amount > 0),
    captured          BIGINT NOT NULL CHECK (captured >= 0),
    released          BIGINT NOT NULL CHECK (released >= 0),
    expires_at        BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    resolved_at       BIGINT,
    product           TEXT,
    member            TEXT,
    model             TEXT,
    action            TEXT,
    rate_card_version BIGINT,
    quote_id          TEXT,
    description       TEXT,
    metadata          TEXT,
    reservations      TEXT NOT NULL,
    extra             TEXT,
    CHECK (captured + released <= amount)
);
CREATE INDEX holds_by_account ON holds (account_id, seq);
CREATE INDEX holds_pending ON holds (account_id) WHERE status = 'pending';

CREATE TABLE charges (
    seq               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                TEXT NOT NULL UNIQUE,
    account_id        TEXT NOT NULL REFERENCES accounts (id),
    amount            BIGINT NOT NULL CHECK (amount > 0),
    drawn             TEXT NOT NULL,
    overdraft         BIGINT NOT NULL CHECK (overdraft >= 0),
    available_after   BIGINT NOT NULL,
    product           TEXT,
    member            TEXT,
    model             TEXT,
    action            TEXT,
    rate_card_version BIGINT,
    quote_id          TEXT,
    description       TEXT,
    metadata          TEXT,
    extra             TEXT,
    created_at        BIGINT NOT NULL
);
CREATE INDEX charges_by_account ON charges (account_id, seq);

-- Append-only. `postings` lists what the entry did to each line: `grant_id:remaining:reserved`
-- separated by `;`, with `~` naming the account's overdraft line.
CREATE TABLE entries (
    seq               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                TEXT NOT NULL UNIQUE,
    account_id        TEXT NOT NULL REFERENCES accounts (id),
    type              TEXT NOT NULL CHECK (type IN ('grant', 'charge', 'hold', 'capture', 'release', 'expire', 'void', 'adjustment')),
    amount            BIGINT NOT NULL,
    held              BIGINT NOT NULL,
    grant_id          TEXT,
    hold_id           TEXT,
    charge_id         TEXT,
    product           TEXT,
    member            TEXT,
    model             TEXT,
    action            TEXT,
    rate_card_version BIGINT,
    quote_id          TEXT,
    description       TEXT,
    created_at        BIGINT NOT NULL,
    postings          TEXT NOT NULL
);
CREATE INDEX entries_by_account ON entries (account_id, seq);

CREATE FUNCTION entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'entries are append-only';
END;
$$;
CREATE TRIGGER entries_append_only_update BEFORE UPDATE ON entries
    FOR EACH ROW EXECUTE FUNCTION entries_append_only();
CREATE TRIGGER entries_append_only_delete BEFORE DELETE ON entries
    FOR EACH ROW EXECUTE FUNCTION entries_append_only();
CREATE TRIGGER entries_append_only_truncate BEFORE TRUNCATE ON entries
    FOR EACH STATEMENT EXECUTE FUNCTION entries_append_only();

-- One row per idempotency key, written in the same transaction as its effect.
CREATE TABLE idempotency (
    scope        TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       BIGINT NOT NULL,
    body         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE api_keys (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    account_id   TEXT REFERENCES accounts (id),
    key_hash     TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX api_keys_by_account ON api_keys (account_id, seq);
