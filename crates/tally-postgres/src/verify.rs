//! `tally verify` for PostgreSQL: streams the rows of one consistent snapshot (`REPEATABLE
//! READ`, so nodes writing meanwhile cause no false differences) into the shared
//! [`Verifier`], which recomputes every cached balance from the append-only entries. Rows are
//! streamed, never all held at once.

use tally_store::verify::{AccountRow, EntryRow, GrantRow, Verifier};
use tally_store::{StoreError, VerifyReport};

use crate::pool::Connection;
use crate::rows::get;

/// Checks the whole ledger in one read-only snapshot.
pub(crate) fn verify(connection: &mut Connection) -> Result<VerifyReport, StoreError> {
    connection.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", check)
}

fn check(connection: &mut Connection) -> Result<VerifyReport, StoreError> {
    let mut verifier = Verifier::default();
    connection.for_each_row(
        "SELECT id, account_id, type, amount, held, postings FROM entries ORDER BY seq",
        |row| {
            let (id, account_id, kind, postings): (String, String, String, String) = (
                get(row, "id")?,
                get(row, "account_id")?,
                get(row, "type")?,
                get(row, "postings")?,
            );
            verifier.entry(EntryRow {
                id: &id,
                account_id: &account_id,
                kind: &kind,
                amount: get(row, "amount")?,
                held: get(row, "held")?,
                postings: &postings,
            });
            Ok(())
        },
    )?;
    connection.for_each_row(
        "SELECT account_id, reservations FROM holds WHERE status = 'pending'",
        |row| {
            let (account_id, reservations): (String, String) =
                (get(row, "account_id")?, get(row, "reservations")?);
            verifier.pending_hold(&account_id, &reservations);
            Ok(())
        },
    )?;
    connection.for_each_row(
        "SELECT id, account_id, amount, remaining, reserved, lifecycle FROM grants ORDER BY seq",
        |row| {
            let (id, account_id, lifecycle): (String, String, String) = (
                get(row, "id")?,
                get(row, "account_id")?,
                get(row, "lifecycle")?,
            );
            verifier.grant(GrantRow {
                id: &id,
                account_id: &account_id,
                amount: get(row, "amount")?,
                remaining: get(row, "remaining")?,
                reserved: get(row, "reserved")?,
                lifecycle: &lifecycle,
            });
            Ok(())
        },
    )?;
    connection.for_each_row(
        "SELECT id, overdraft_limit, posted, held, overdraft_remaining, overdraft_reserved
         FROM accounts ORDER BY seq",
        |row| {
            let id: String = get(row, "id")?;
            verifier.account(AccountRow {
                id: &id,
                overdraft_limit: get(row, "overdraft_limit")?,
                posted: get(row, "posted")?,
                held: get(row, "held")?,
                overdraft_remaining: get(row, "overdraft_remaining")?,
                overdraft_reserved: get(row, "overdraft_reserved")?,
            });
            Ok(())
        },
    )?;
    Ok(verifier.finish())
}
