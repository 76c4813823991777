-- Idempotency records in the order they were written, not in a b-tree keyed by the clients'
-- keys. Keys are the clients' (random, or one sequence per client), so every record written
-- under the old `(scope, key)` primary key landed on its own page of a table of ~500-byte
-- rows: a keyed charge wrote about 18 KiB (WAL and checkpoint) where an unkeyed one wrote
-- 5 KiB. A record is now an append. Its key is found through the store's index in memory
-- (`seq` by a hash of scope and key, built when the store opens); the one writer is the only
-- one that looks keys up, and `verify` checks that no key was recorded twice.
CREATE TABLE idempotency_in_order (
    seq          INTEGER PRIMARY KEY,
    scope        TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL,
    body         TEXT NOT NULL,
    created_at   INTEGER NOT NULL
) STRICT;

INSERT INTO idempotency_in_order (scope, key, request_hash, status, body, created_at)
SELECT scope, key, request_hash, status, body, created_at FROM idempotency
ORDER BY created_at, scope, key;

DROP TABLE idempotency;
ALTER TABLE idempotency_in_order RENAME TO idempotency;
