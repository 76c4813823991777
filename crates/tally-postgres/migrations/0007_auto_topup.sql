-- Auto top-up: one row per account whose top-up was ever set (its settings, with the pack as
-- it was sold, and where it stands: this month's count, the last attempt, failures in a row,
-- the purchase waiting for its payment). Purchases say whether the top-up opened them.

CREATE TABLE auto_topups (
    account_id                     TEXT PRIMARY KEY REFERENCES accounts (id),
    pack_id                        TEXT NOT NULL,
    pack_name                      TEXT NOT NULL,
    pack_credits                   BIGINT NOT NULL CHECK (pack_credits > 0),
    pack_price_usd                 TEXT NOT NULL,
    pack_expires_after_days        BIGINT,
    threshold                      BIGINT NOT NULL CHECK (threshold >= 0),
    monthly_max                    BIGINT NOT NULL CHECK (monthly_max >= 1),
    cooldown_seconds               BIGINT NOT NULL CHECK (cooldown_seconds >= 0),
    complete                       BIGINT NOT NULL CHECK (complete = 0 OR complete = 1),
    purchase_expires_after_seconds BIGINT NOT NULL CHECK (purchase_expires_after_seconds > 0),
    checkout_url                   TEXT,
    status                         TEXT NOT NULL CHECK (status = 'active' OR status = 'suspended' OR status = 'disabled'),
    month_start                    BIGINT NOT NULL,
    used_this_month                BIGINT NOT NULL CHECK (used_this_month >= 0),
    last_attempt_at                BIGINT,
    consecutive_failures           BIGINT NOT NULL CHECK (consecutive_failures >= 0),
    pending_purchase_id            TEXT,
    updated_at                     BIGINT NOT NULL
);
ALTER TABLE purchases ADD COLUMN topup BIGINT NOT NULL DEFAULT 0 CHECK (topup IN (0, 1));
