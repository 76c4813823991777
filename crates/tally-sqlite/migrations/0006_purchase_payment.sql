-- Pack purchases gain a payment state: a purchase opens `pending`, with no grant, and is
-- granted its pack's credits only when it completes. Purchases made before this were granted
-- at once: they are `completed`, completed when they were made. The pack's name and validity
-- are kept on the purchase, so that a catalog change while the payment is pending changes
-- neither what it grants nor what it costs. SQLite cannot drop a NOT NULL in place: the table
-- is rebuilt.

CREATE TABLE purchases_rebuilt (
    seq                      INTEGER PRIMARY KEY,
    id                       TEXT NOT NULL UNIQUE,
    account_id               TEXT NOT NULL REFERENCES accounts (id),
    pack_id                  TEXT NOT NULL,
    pack_name                TEXT NOT NULL,
    credits                  INTEGER NOT NULL CHECK (credits > 0),
    price_usd                TEXT NOT NULL,
    grant_expires_after_days INTEGER,
    status                   TEXT NOT NULL CHECK (status = 'pending' OR status = 'completed' OR status = 'failed' OR status = 'canceled' OR status = 'expired'),
    grant_id                 TEXT REFERENCES grants (id),
    payment_reference        TEXT,
    checkout_url             TEXT,
    created_at               INTEGER NOT NULL,
    expires_at               INTEGER NOT NULL,
    resolved_at              INTEGER,
    CHECK ((status = 'completed') = (grant_id IS NOT NULL)),
    CHECK ((status = 'pending') = (resolved_at IS NULL))
) STRICT;
INSERT INTO purchases_rebuilt
    (seq, id, account_id, pack_id, pack_name, credits, price_usd, grant_expires_after_days,
     status, grant_id, payment_reference, created_at, expires_at, resolved_at)
SELECT p.seq, p.id, p.account_id, p.pack_id, p.pack_id, p.credits, p.price_usd,
       CASE WHEN g.expires_at IS NULL THEN NULL
            ELSE (g.expires_at - g.created_at) / 86400000000 END,
       'completed', p.grant_id, NULL, p.created_at, p.created_at + 86400000000, p.created_at
FROM purchases p JOIN grants g ON g.id = p.grant_id;
DROP TABLE purchases;
ALTER TABLE purchases_rebuilt RENAME TO purchases;
CREATE INDEX purchases_by_account ON purchases (account_id, seq);
CREATE INDEX purchases_pending ON purchases (account_id) WHERE status = 'pending';
