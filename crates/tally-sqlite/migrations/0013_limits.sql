-- Spend limits. `limit_sets`: how many limits the account's last PUT set, and when; `limits`:
-- one row per place in a set (a shorter set leaves the places past its size unread, so rows
-- are only ever upserted); `limit_counters`: what each limit counted in its current window,
-- per value (the member, product or key; '*' for an account limit). Counters are written by
-- the debits, releases and refunds that move them: their CHECKs are chains of `=`, no `IN`.
CREATE TABLE limit_sets (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id),
    size       INTEGER NOT NULL CHECK (size >= 0 AND size <= 100),
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE limits (
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    position    INTEGER NOT NULL CHECK (position >= 0 AND position < 100),
    id          TEXT NOT NULL,
    scope       TEXT NOT NULL CHECK (scope = 'member' OR scope = 'product' OR scope = 'key' OR scope = 'account'),
    matched     TEXT NOT NULL CHECK (length(matched) >= 1),
    time_window TEXT NOT NULL CHECK (time_window = 'day' OR time_window = 'month' OR time_window = 'period' OR time_window = 'total'),
    max         INTEGER NOT NULL CHECK (max >= 0),
    PRIMARY KEY (account_id, position)
) STRICT, WITHOUT ROWID;

CREATE TABLE limit_counters (
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    limit_id     TEXT NOT NULL,
    match_value  TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    used         INTEGER NOT NULL CHECK (used >= 0),
    reached      INTEGER NOT NULL CHECK (reached = 0 OR reached = 1),
    PRIMARY KEY (account_id, limit_id, match_value)
) STRICT, WITHOUT ROWID;

-- The account key that made a hold or a charge (NULL for an admin's): what `key` limits count,
-- and give back when the hold releases or the charge is refunded.
ALTER TABLE holds ADD COLUMN key_id TEXT;
ALTER TABLE charges ADD COLUMN key_id TEXT;
