-- Portal links: the same as SQLite's migration 8.
CREATE TABLE portal_links (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL CHECK (expires_at > created_at AND expires_at <= created_at + 3600000000),
    return_url TEXT,
    used_at    BIGINT CHECK (used_at >= created_at AND used_at < expires_at)
);
