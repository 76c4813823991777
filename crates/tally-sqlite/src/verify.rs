//! `tally verify` for SQLite: streams the rows into the shared [`Verifier`], which recomputes
//! every cached balance from the append-only entries and checks conservation.

use rusqlite::Connection;
use tally_store::VerifyReport;
use tally_store::verify::{AccountRow, EntryRow, GrantRow, Verifier};

pub(crate) fn verify(connection: &Connection) -> Result<VerifyReport, rusqlite::Error> {
    let mut verifier = Verifier::default();
    let mut statement = connection
        .prepare("SELECT id, account_id, type, amount, held, postings FROM entries ORDER BY seq")?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let (id, account_id, kind, postings): (String, String, String, String) =
            (row.get(0)?, row.get(1)?, row.get(2)?, row.get(5)?);
        verifier.entry(EntryRow {
            id: &id,
            account_id: &account_id,
            kind: &kind,
            amount: row.get(3)?,
            held: row.get(4)?,
            postings: &postings,
        });
    }
    let mut statement = connection
        .prepare("SELECT account_id, reservations FROM holds WHERE status = 'pending'")?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let (account_id, reservations): (String, String) = (row.get(0)?, row.get(1)?);
        verifier.pending_hold(&account_id, &reservations);
    }
    let mut statement = connection.prepare(
        "SELECT id, account_id, amount, remaining, reserved, lifecycle FROM grants ORDER BY seq",
    )?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let (id, account_id, lifecycle): (String, String, String) =
            (row.get(0)?, row.get(1)?, row.get(5)?);
        verifier.grant(GrantRow {
            id: &id,
            account_id: &account_id,
            amount: row.get(2)?,
            remaining: row.get(3)?,
            reserved: row.get(4)?,
            lifecycle: &lifecycle,
        });
    }
    let mut statement = connection.prepare(
        "SELECT id, overdraft_limit, posted, held, overdraft_remaining, overdraft_reserved
         FROM accounts ORDER BY seq",
    )?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let id: String = row.get(0)?;
        verifier.account(AccountRow {
            id: &id,
            overdraft_limit: row.get(1)?,
            posted: row.get(2)?,
            held: row.get(3)?,
            overdraft_remaining: row.get(4)?,
            overdraft_reserved: row.get(5)?,
        });
    }
    Ok(verifier.finish())
}
