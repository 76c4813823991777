//! `tally verify` for PostgreSQL: recomputes every cached balance from the append-only entries,
//! as SQLite's verify does, reading one consistent snapshot (`REPEATABLE READ`) so that nodes
//! writing meanwhile cause no false differences. Rows are streamed, never all held at once.
//!
//! Grants' `remaining` and `reserved`, accounts' `posted`, `held` and overdraft line, and the
//! pending holds' reservations must all equal what the entries add up to, and every grant must
//! conserve its credits: issued = remaining + spent + expired + voided.

use std::collections::HashMap;

use tally_core::{EntryKind, Line};
use tally_store::{StoreError, VerifyReport, codec};

use crate::pool::Connection;
use crate::rows::get;

#[derive(Default)]
struct LineSums {
    remaining: i64,
    reserved: i64,
    issued: i64,
    spent: i64,
    expired: i64,
    voided: i64,
}

#[derive(Default)]
struct AccountSums {
    posted: i64,
    held: i64,
    overdraft: LineSums,
}

/// Checks the whole ledger in one read-only snapshot.
pub(crate) fn verify(connection: &mut Connection) -> Result<VerifyReport, StoreError> {
    connection.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", check)
}

fn check(connection: &mut Connection) -> Result<VerifyReport, StoreError> {
    let mut report = VerifyReport::default();
    let mut grants: HashMap<String, LineSums> = HashMap::new();
    let mut accounts: HashMap<String, AccountSums> = HashMap::new();
    let mut grant_accounts: HashMap<String, String> = HashMap::new();

    connection.for_each_row(
        "SELECT id, account_id, type, amount, held, postings FROM entries ORDER BY seq",
        |row| {
            report.entries += 1;
            let entry_id: String = get(row, "id")?;
            let account_id: String = get(row, "account_id")?;
            let kind_text: String = get(row, "type")?;
            let amount: i64 = get(row, "amount")?;
            let held: i64 = get(row, "held")?;
            let postings_text: String = get(row, "postings")?;
            let Some(kind) = EntryKind::parse(&kind_text) else {
                report.problems.push(format!(
                    "account {account_id}: entry {entry_id} has type {kind_text:?}"
                ));
                return Ok(());
            };
            let Some(postings) = codec::decode_postings(&postings_text) else {
                report.problems.push(format!(
                    "account {account_id}: entry {entry_id} has unreadable postings"
                ));
                return Ok(());
            };
            let posting_amount: i64 = postings.iter().map(|p| p.remaining_delta.get()).sum();
            let posting_held: i64 = postings.iter().map(|p| p.reserved_delta.get()).sum();
            if posting_amount != amount || posting_held != held {
                report.problems.push(format!(
                    "account {account_id}: entry {entry_id} amount/held differ from its postings"
                ));
            }
            let sums = accounts.entry(account_id.clone()).or_default();
            sums.posted += amount;
            sums.held += held;
            for posting in postings {
                let line = match &posting.line {
                    Line::Overdraft => &mut sums.overdraft,
                    Line::Grant(grant_id) => {
                        grant_accounts
                            .entry(grant_id.clone())
                            .or_insert_with(|| account_id.clone());
                        grants.entry(grant_id.clone()).or_default()
                    }
                };
                let delta = posting.remaining_delta.get();
                line.remaining += delta;
                line.reserved += posting.reserved_delta.get();
                match kind {
                    EntryKind::Grant => line.issued += delta,
                    EntryKind::Charge | EntryKind::Capture | EntryKind::Adjustment => {
                        line.spent -= delta
                    }
                    EntryKind::Expire => line.expired -= delta,
                    EntryKind::Void => line.voided -= delta,
                    EntryKind::Hold | EntryKind::Release => {}
                }
            }
            Ok(())
        },
    )?;

    let mut reserved_by_holds: HashMap<String, i64> = HashMap::new();
    let mut overdraft_reserved_by_holds: HashMap<String, i64> = HashMap::new();
    connection.for_each_row(
        "SELECT account_id, reservations FROM holds WHERE status = 'pending'",
        |row| {
            let account_id: String = get(row, "account_id")?;
            let text: String = get(row, "reservations")?;
            for reservation in codec::decode_reservations(&text).unwrap_or_default() {
                match reservation.line {
                    Line::Grant(grant_id) => {
                        *reserved_by_holds.entry(grant_id).or_default() += reservation.amount.get();
                    }
                    Line::Overdraft => {
                        *overdraft_reserved_by_holds
                            .entry(account_id.clone())
                            .or_default() += reservation.amount.get();
                    }
                }
            }
            Ok(())
        },
    )?;

    let mut grant_remaining_by_account: HashMap<String, (i64, i64)> = HashMap::new();
    connection.for_each_row("SELECT id, account_id, amount, remaining, reserved, lifecycle FROM grants ORDER BY seq", |row| {
        report.grants += 1;
        let grant_id: String = get(row, "id")?;
        let account_id: String = get(row, "account_id")?;
        let amount: i64 = get(row, "amount")?;
        let remaining: i64 = get(row, "remaining")?;
        let reserved: i64 = get(row, "reserved")?;
        let lifecycle: String = get(row, "lifecycle")?;
        let sums = grants.remove(&grant_id).unwrap_or_default();
        let place = format!("account {account_id}: grant {grant_id}");
        if sums.remaining != remaining {
            report.problems.push(format!(
                "{place}: remaining is {remaining} but the entries add up to {}",
                sums.remaining
            ));
        }
        if sums.reserved != reserved {
            report.problems.push(format!(
                "{place}: reserved is {reserved} but the entries add up to {}",
                sums.reserved
            ));
        }
        let holds_reserve = reserved_by_holds.remove(&grant_id).unwrap_or(0);
        if holds_reserve != reserved {
            report.problems.push(format!(
                "{place}: reserved is {reserved} but pending holds reserve {holds_reserve}"
            ));
        }
        let issued_expected = if lifecycle == "pending" { 0 } else { amount };
        if sums.issued != issued_expected && !(lifecycle == "voided" && sums.issued == 0) {
            report.problems.push(format!(
                "{place}: {} issued by entries, the grant is for {amount}",
                sums.issued
            ));
        }
        if sums.issued != remaining + sums.spent + sums.expired + sums.voided {
            report.problems.push(format!(
                "{place}: not conserved: issued {} != remaining {remaining} + spent {} + expired {} + voided {}",
                sums.issued, sums.spent, sums.expired, sums.voided
            ));
        }
        if (lifecycle == "expired" || lifecycle == "voided") && remaining != reserved {
            report
                .problems
                .push(format!("{place}: ended but keeps unreserved credits"));
        }
        let totals = grant_remaining_by_account.entry(account_id).or_default();
        totals.0 += remaining;
        totals.1 += reserved;
        Ok(())
    })?;
    for (grant_id, _) in grants {
        let account = grant_accounts.get(&grant_id).cloned().unwrap_or_default();
        report.problems.push(format!(
            "account {account}: entries name unknown grant {grant_id}"
        ));
    }

    connection.for_each_row(
        "SELECT id, overdraft_limit, posted, held, overdraft_remaining, overdraft_reserved
         FROM accounts ORDER BY seq",
        |row| {
            report.accounts += 1;
            let account_id: String = get(row, "id")?;
            let overdraft_limit: i64 = get(row, "overdraft_limit")?;
            let posted: i64 = get(row, "posted")?;
            let held: i64 = get(row, "held")?;
            let overdraft_remaining: i64 = get(row, "overdraft_remaining")?;
            let overdraft_reserved: i64 = get(row, "overdraft_reserved")?;
            let sums = accounts.remove(&account_id).unwrap_or_default();
            let (grant_remaining, grant_reserved) = grant_remaining_by_account
                .remove(&account_id)
                .unwrap_or_default();
            let place = format!("account {account_id}");
            if sums.posted != posted {
                report.problems.push(format!(
                    "{place}: posted is {posted} but the entries add up to {}",
                    sums.posted
                ));
            }
            if sums.held != held {
                report.problems.push(format!(
                    "{place}: held is {held} but the entries add up to {}",
                    sums.held
                ));
            }
            if sums.overdraft.remaining != overdraft_remaining
                || sums.overdraft.reserved != overdraft_reserved
            {
                report.problems.push(format!(
                    "{place}: the overdraft line differs from its entries"
                ));
            }
            let holds_reserve = overdraft_reserved_by_holds.remove(&account_id).unwrap_or(0);
            if holds_reserve != overdraft_reserved {
                report.problems.push(format!(
                    "{place}: overdraft reserved differs from pending holds"
                ));
            }
            if grant_remaining + overdraft_remaining != posted {
                report.problems.push(format!(
                    "{place}: posted is not the grants' remaining less the debt"
                ));
            }
            if grant_reserved + overdraft_reserved != held {
                report.problems.push(format!(
                    "{place}: held is not what the grants and overdraft reserve"
                ));
            }
            if posted - held < -overdraft_limit {
                report.problems.push(format!(
                    "{place}: available is below minus the overdraft limit"
                ));
            }
            Ok(())
        },
    )?;
    for account_id in accounts.into_keys() {
        report.problems.push(format!(
            "account {account_id}: entries name an unknown account"
        ));
    }
    Ok(report)
}
