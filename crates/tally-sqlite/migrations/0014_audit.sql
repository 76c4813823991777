-- The audit log: one row per admin action (a rate card installed, a grant made or voided, a
-- purchase completed, failed or canceled, a key issued or revoked, an account's settings or
-- limits changed, the test clock moved), written by the engine in the transaction of the
-- change itself: no change without its row, no row without its change. `actor` is the admin
-- key's id (`admin` for the key `tally serve` was started with; `stripe` for a payment
-- Stripe's webhook completed). Append-only, like entries.
CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL CHECK (length(actor) >= 1),
    action     TEXT NOT NULL CHECK (length(action) >= 1),
    target_id  TEXT NOT NULL,
    account_id TEXT
) STRICT;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
