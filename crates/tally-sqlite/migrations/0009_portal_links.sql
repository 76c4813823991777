-- Portal links: single-use links that sign a visitor in to one account's dashboard. Only the
-- SHA-256 of the token is kept. `used_at` is set once, by the visit that redeems the link.
CREATE TABLE portal_links (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL CHECK (expires_at > created_at AND expires_at <= created_at + 3600000000),
    return_url TEXT,
    used_at    INTEGER CHECK (used_at >= created_at AND used_at < expires_at)
) STRICT;
