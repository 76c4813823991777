-- Usage aggregates, kept in the same transaction as the entries they add up.
-- Missing attributes are empty strings, so that every group has one row.
CREATE TABLE usage_daily (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    day        BIGINT NOT NULL,
    product    TEXT NOT NULL,
    model      TEXT NOT NULL,
    member     TEXT NOT NULL,
    action     TEXT NOT NULL,
    credits    BIGINT NOT NULL,
    count      BIGINT NOT NULL CHECK (count >= 0),
    PRIMARY KEY (account_id, day, product, model, member, action)
);
