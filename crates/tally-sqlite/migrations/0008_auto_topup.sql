-- Auto top-up: one row per account whose top-up was ever set (its settings, with the pack as
-- it was sold, and where it stands: this month's count, the last attempt, failures in a row,
-- the purchase waiting for its payment). Purchases say whether the top-up opened them.

CREATE TABLE auto_topups (
    account_id                     TEXT PRIMARY KEY REFERENCES accounts (id),
    pack_id                        TEXT NOT NULL,
    pack_name                      TEXT NOT NULL,
    pack_credits                   INTEGER NOT NULL CHECK (pack_credits > 0),
    pack_price_usd                 TEXT NOT NULL,
    pack_expires_after_days        INTEGER,
    threshold                      INTEGER NOT NULL CHECK (threshold >= 0),
    monthly_max                    INTEGER NOT NULL CHECK (monthly_max >= 1),
    cooldown_seconds               INTEGER NOT NULL CHECK (cooldown_seconds >= 0),
    complete                       INTEGER NOT NULL CHECK (complete = 0 OR complete = 1),
    purchase_expires_after_seconds INTEGER NOT NULL CHECK (purchase_expires_after_seconds > 0),
    checkout_url                   TEXT,
    status                         TEXT NOT NULL CHECK (status = 'active' OR status = 'suspended' OR status = 'disabled'),
    month_start                    INTEGER NOT NULL,
    used_this_month                INTEGER NOT NULL CHECK (used_this_month >= 0),
    last_attempt_at                INTEGER,
    consecutive_failures           INTEGER NOT NULL CHECK (consecutive_failures >= 0),
    pending_purchase_id            TEXT,
    updated_at                     INTEGER NOT NULL
) STRICT;
ALTER TABLE purchases ADD COLUMN topup INTEGER NOT NULL DEFAULT 0 CHECK (topup = 0 OR topup = 1);
