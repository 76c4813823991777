-- Pack purchases gain a payment state: a purchase opens `pending`, with no grant, and is
-- granted its pack's credits only when it completes. Purchases made before this were granted
-- at once: they are `completed`, completed when they were made. The pack's name and validity
-- are kept on the purchase, so that a catalog change while the payment is pending changes
-- neither what it grants nor what it costs.

ALTER TABLE purchases
    ADD COLUMN pack_name TEXT,
    ADD COLUMN grant_expires_after_days BIGINT,
    ADD COLUMN status TEXT NOT NULL DEFAULT 'completed',
    ADD COLUMN payment_reference TEXT,
    ADD COLUMN checkout_url TEXT,
    ADD COLUMN expires_at BIGINT,
    ADD COLUMN resolved_at BIGINT,
    ALTER COLUMN grant_id DROP NOT NULL;
UPDATE purchases p SET
    pack_name = p.pack_id,
    grant_expires_after_days = CASE WHEN g.expires_at IS NULL THEN NULL
                                    ELSE (g.expires_at - g.created_at) / 86400000000 END,
    expires_at = p.created_at + 86400000000,
    resolved_at = p.created_at
FROM grants g WHERE g.id = p.grant_id;
ALTER TABLE purchases
    ALTER COLUMN pack_name SET NOT NULL,
    ALTER COLUMN expires_at SET NOT NULL,
    ALTER COLUMN status DROP DEFAULT,
    ADD CONSTRAINT purchases_status CHECK (status IN ('pending', 'completed', 'failed', 'canceled', 'expired')),
    ADD CONSTRAINT purchases_granted_when_completed CHECK ((status = 'completed') = (grant_id IS NOT NULL)),
    ADD CONSTRAINT purchases_resolved_unless_pending CHECK ((status = 'pending') = (resolved_at IS NULL));
CREATE INDEX purchases_pending ON purchases (account_id) WHERE status = 'pending';
