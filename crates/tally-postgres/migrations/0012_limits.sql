-- Spend limits, as SQLite's migration 13: `limit_sets` (how many limits the last PUT set),
-- `limits` (one row per place in a set; places past its size are unread), `limit_counters`
-- (what each limit counted in its current window, per value).
CREATE TABLE limit_sets (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id),
    size       BIGINT NOT NULL CHECK (size >= 0 AND size <= 100),
    updated_at BIGINT NOT NULL
);

CREATE TABLE limits (
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    position    BIGINT NOT NULL CHECK (position >= 0 AND position < 100),
    id          TEXT NOT NULL,
    scope       TEXT NOT NULL CHECK (scope IN ('member', 'product', 'key', 'account')),
    matched     TEXT NOT NULL CHECK (length(matched) >= 1),
    time_window TEXT NOT NULL CHECK (time_window IN ('day', 'month', 'period', 'total')),
    max         BIGINT NOT NULL CHECK (max >= 0),
    PRIMARY KEY (account_id, position)
);

CREATE TABLE limit_counters (
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    limit_id     TEXT NOT NULL,
    match_value  TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    used         BIGINT NOT NULL CHECK (used >= 0),
    reached      BIGINT NOT NULL CHECK (reached = 0 OR reached = 1),
    PRIMARY KEY (account_id, limit_id, match_value)
);

-- The account key that made a hold or a charge (NULL for an admin's).
ALTER TABLE holds ADD COLUMN key_id TEXT;
ALTER TABLE charges ADD COLUMN key_id TEXT;
