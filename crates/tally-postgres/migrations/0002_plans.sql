-- Plans and packs: one subscription row per account that ever subscribed, and purchases.

CREATE TABLE subscriptions (
    account_id           TEXT PRIMARY KEY REFERENCES accounts (id),
    plan_id              TEXT NOT NULL,
    plan_name            TEXT NOT NULL,
    credits_per_seat     BIGINT NOT NULL CHECK (credits_per_seat > 0),
    seats                BIGINT NOT NULL CHECK (seats >= 1),
    next_period_seats    BIGINT CHECK (next_period_seats >= 1),
    status               TEXT NOT NULL CHECK (status IN ('active', 'canceling', 'canceled')),
    anchor               BIGINT NOT NULL,
    period_index         BIGINT NOT NULL CHECK (period_index >= 0),
    current_period_start BIGINT NOT NULL,
    current_period_end   BIGINT NOT NULL,
    period_grant_ids     TEXT NOT NULL,
    created_at           BIGINT NOT NULL,
    canceled_at          BIGINT,
    CHECK (current_period_start < current_period_end)
);

CREATE TABLE purchases (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    pack_id    TEXT NOT NULL,
    grant_id   TEXT NOT NULL REFERENCES grants (id),
    credits    BIGINT NOT NULL CHECK (credits > 0),
    price_usd  TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX purchases_by_account ON purchases (account_id, seq);
