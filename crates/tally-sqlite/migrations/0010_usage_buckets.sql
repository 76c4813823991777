-- Usage per hour and per minute (`width` in µs: 3600000000 or 60000000; `start` the bucket's
-- first instant in µs), kept in the same transaction as the entries, like usage_daily: a usage
-- range's partial days are read from these buckets, and only its partial minutes (at most
-- two, one at each end) from the entries. Missing attributes are empty strings.
CREATE TABLE usage_buckets (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    width      INTEGER NOT NULL CHECK (width = 3600000000 OR width = 60000000),
    start      INTEGER NOT NULL CHECK (start % width = 0),
    product    TEXT NOT NULL,
    model      TEXT NOT NULL,
    member     TEXT NOT NULL,
    action     TEXT NOT NULL,
    credits    INTEGER NOT NULL,
    count      INTEGER NOT NULL CHECK (count >= 0),
    PRIMARY KEY (account_id, width, start, product, model, member, action)
) STRICT, WITHOUT ROWID;

-- The partial minutes of a usage range read the account's entries by instant.
CREATE INDEX entries_by_account_time ON entries (account_id, created_at);

-- The buckets of what was written before: charges and captures, net of refunds in the
-- bucket of the spending refunded (as the engine adds them).
INSERT INTO usage_buckets (account_id, width, start, product, model, member, action, credits, count)
SELECT account_id, width, at - ((at % width) + width) % width, product, model, member, action,
       SUM(credits), SUM(count)
FROM (
    SELECT account_id, created_at AS at, COALESCE(product, '') AS product,
           COALESCE(model, '') AS model, COALESCE(member, '') AS member,
           COALESCE(action, '') AS action, -amount AS credits, 1 AS count
    FROM entries WHERE type = 'charge' OR type = 'capture'
    UNION ALL
    SELECT account_id, spent_at, COALESCE(product, ''), COALESCE(model, ''),
           COALESCE(member, ''), COALESCE(action, ''), -amount, 0
    FROM refunds
) AS spending
CROSS JOIN (SELECT 3600000000 AS width UNION ALL SELECT 60000000) AS widths
GROUP BY 1, 2, 3, 4, 5, 6, 7;
