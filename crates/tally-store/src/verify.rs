//! The arithmetic of `tally verify`, shared by every store: a store streams its rows into a
//! [`Verifier`] (entries, then pending holds, then grants, then accounts) and gets back the
//! report. The invariants are checked here once, whatever the database.
//!
//! [`run`] is the whole of `tally verify` on an SQL store: the four statements, in order, each
//! row read by column name into the [`Verifier`].
//!
//! Grants' `remaining` and `reserved`, accounts' `posted`, `held` and overdraft line, and the
//! pending holds' reservations must all equal what the entries add up to, and every grant must
//! conserve its credits: issued = remaining + spent + expired + voided. Refunds never total
//! more than what they refund (a charge, or what a hold captured), and each charge's and hold's
//! `refunded` is its refunds' sum. Each account's events are numbered 1 to its
//! `event_sequence`, without gaps. No idempotency key has two records.

use std::collections::HashMap;

use tally_core::{EntryKind, Line};

use crate::row::{ColumnReader, Fields, RowSource};
use crate::{StoreError, VerifyReport, codec};

/// Recomputes the ledger of an SQL store, streaming its rows (none are held all at once).
pub fn run<S: RowSource>(db: &mut S) -> Result<VerifyReport, StoreError> {
    let mut verifier = Verifier::default();
    db.each(
        "SELECT id, account_id, type, amount, held, postings FROM entries ORDER BY seq",
        &[],
        &mut |row| verifier.entry_row(row),
    )?;
    db.each(
        "SELECT id, account_id, reservations FROM holds WHERE status = 'pending'",
        &[],
        &mut |row| verifier.pending_hold_row(row),
    )?;
    db.each(
        "SELECT id, account_id, amount, remaining, reserved, lifecycle FROM grants ORDER BY seq",
        &[],
        &mut |row| verifier.grant_row(row),
    )?;
    db.each(
        "SELECT id, overdraft_limit, posted, held, overdraft_remaining, overdraft_reserved
         FROM accounts ORDER BY seq",
        &[],
        &mut |row| verifier.account_row(row),
    )?;
    for (table, total, key) in [
        ("charges", "amount", "charge_id"),
        ("holds", "captured", "hold_id"),
    ] {
        db.each(
            &format!(
                "SELECT t.id, t.account_id, t.{total} AS total, t.refunded,
                     COALESCE((SELECT CAST(SUM(r.amount) AS BIGINT) FROM refunds r
                               WHERE r.{key} = t.id), 0) AS refunds
                 FROM {table} t
                 WHERE t.refunded <> 0 OR EXISTS (SELECT 1 FROM refunds r WHERE r.{key} = t.id)
                 ORDER BY t.seq"
            ),
            &[],
            &mut |row| verifier.refunded_row(table, row),
        )?;
    }
    // Only the accounts whose events are not exactly 1..=event_sequence.
    db.each(
        "SELECT a.id, a.event_sequence, COUNT(e.sequence) AS events,
             COALESCE(MAX(e.sequence), 0) AS last
         FROM accounts a LEFT JOIN events e ON e.account_id = a.id
         GROUP BY a.id, a.event_sequence
         HAVING COUNT(e.sequence) <> a.event_sequence OR COALESCE(MAX(e.sequence), 0) <> a.event_sequence",
        &[],
        &mut |row| verifier.events_row(row),
    )?;
    // Only the idempotency keys recorded more than once (SQLite's records are in write order,
    // found by an index in memory, so nothing in its schema refuses a second one).
    db.each(
        "SELECT scope, key, COUNT(*) AS records FROM idempotency
         GROUP BY scope, key HAVING COUNT(*) > 1",
        &[],
        &mut |row| verifier.key_recorded_twice_row(row),
    )?;
    Ok(verifier.finish())
}

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

/// One stored entry row.
pub struct EntryRow<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub kind: &'a str,
    pub amount: i64,
    pub held: i64,
    pub postings: &'a str,
}

/// One stored grant row.
pub struct GrantRow<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub amount: i64,
    pub remaining: i64,
    pub reserved: i64,
    pub lifecycle: &'a str,
}

/// One stored account row.
pub struct AccountRow<'a> {
    pub id: &'a str,
    pub overdraft_limit: i64,
    pub posted: i64,
    pub held: i64,
    pub overdraft_remaining: i64,
    pub overdraft_reserved: i64,
}

/// One charge or hold with refunds, as `run` reads it.
pub struct RefundedRow<'a> {
    /// `charge` or `hold`.
    pub what: &'a str,
    pub id: &'a str,
    pub account_id: &'a str,
    /// What it took: the charge's amount, or what the hold captured.
    pub total: i64,
    pub refunded: i64,
    /// The sum of its refunds' amounts.
    pub refunds: i64,
}

/// Recomputes the ledger from the rows it is fed, in order: every entry (oldest first), every
/// pending hold, every grant, every account.
#[derive(Default)]
pub struct Verifier {
    report: VerifyReport,
    grants: HashMap<String, LineSums>,
    accounts: HashMap<String, AccountSums>,
    grant_accounts: HashMap<String, String>,
    reserved_by_holds: HashMap<String, i64>,
    overdraft_reserved_by_holds: HashMap<String, i64>,
    grant_totals_by_account: HashMap<String, (i64, i64)>,
}

impl Verifier {
    pub fn entry(&mut self, entry: EntryRow<'_>) {
        let report = &mut self.report;
        report.entries += 1;
        let (entry_id, account_id) = (entry.id, entry.account_id);
        let Some(kind) = EntryKind::parse(entry.kind) else {
            report.problems.push(format!(
                "account {account_id}: entry {entry_id} has type {:?}",
                entry.kind
            ));
            return;
        };
        let Some(postings) = codec::decode_postings(entry.postings) else {
            report.problems.push(format!(
                "account {account_id}: entry {entry_id} has unreadable postings"
            ));
            return;
        };
        let posting_amount: i64 = postings.iter().map(|p| p.remaining_delta.get()).sum();
        let posting_held: i64 = postings.iter().map(|p| p.reserved_delta.get()).sum();
        if posting_amount != entry.amount || posting_held != entry.held {
            report.problems.push(format!(
                "account {account_id}: entry {entry_id} amount/held differ from its postings"
            ));
        }
        let sums = self.accounts.entry(account_id.to_string()).or_default();
        sums.posted += entry.amount;
        sums.held += entry.held;
        for posting in postings {
            let line = match &posting.line {
                Line::Overdraft => &mut sums.overdraft,
                Line::Grant(grant_id) => {
                    self.grant_accounts
                        .entry(grant_id.clone())
                        .or_insert_with(|| account_id.to_string());
                    self.grants.entry(grant_id.clone()).or_default()
                }
            };
            let delta = posting.remaining_delta.get();
            line.remaining += delta;
            line.reserved += posting.reserved_delta.get();
            match kind {
                EntryKind::Grant => line.issued += delta,
                // A refund gives back what was spent: it counts against spending.
                EntryKind::Charge
                | EntryKind::Capture
                | EntryKind::Adjustment
                | EntryKind::Refund => {
                    line.spent -= delta;
                }
                EntryKind::Expire => line.expired -= delta,
                EntryKind::Void => line.voided -= delta,
                EntryKind::Hold | EntryKind::Release => {}
            }
        }
    }

    /// A pending hold's stored reservations.
    pub fn pending_hold(&mut self, account_id: &str, reservations: &str) {
        for reservation in codec::decode_reservations(reservations).unwrap_or_default() {
            match reservation.line {
                Line::Grant(grant_id) => {
                    *self.reserved_by_holds.entry(grant_id).or_default() +=
                        reservation.amount.get();
                }
                Line::Overdraft => {
                    *self
                        .overdraft_reserved_by_holds
                        .entry(account_id.to_string())
                        .or_default() += reservation.amount.get();
                }
            }
        }
    }

    pub fn grant(&mut self, grant: GrantRow<'_>) {
        let report = &mut self.report;
        report.grants += 1;
        let (grant_id, account_id, amount) = (grant.id, grant.account_id, grant.amount);
        let (remaining, reserved, lifecycle) = (grant.remaining, grant.reserved, grant.lifecycle);
        let sums = self.grants.remove(grant_id).unwrap_or_default();
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
        let holds_reserve = self.reserved_by_holds.remove(grant_id).unwrap_or(0);
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
        let totals = self
            .grant_totals_by_account
            .entry(account_id.to_string())
            .or_default();
        totals.0 += remaining;
        totals.1 += reserved;
    }

    pub fn account(&mut self, account: AccountRow<'_>) {
        let report = &mut self.report;
        report.accounts += 1;
        let account_id = account.id;
        let (posted, held) = (account.posted, account.held);
        let (overdraft_remaining, overdraft_reserved) =
            (account.overdraft_remaining, account.overdraft_reserved);
        let sums = self.accounts.remove(account_id).unwrap_or_default();
        let (grant_remaining, grant_reserved) = self
            .grant_totals_by_account
            .remove(account_id)
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
        let holds_reserve = self
            .overdraft_reserved_by_holds
            .remove(account_id)
            .unwrap_or(0);
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
        if posted - held < -account.overdraft_limit {
            report.problems.push(format!(
                "{place}: available is below minus the overdraft limit"
            ));
        }
    }

    /// A charge or hold that was refunded: `refunded` is its refunds' sum, and at most what
    /// it took (`total`).
    pub fn refunded(&mut self, row: RefundedRow<'_>) {
        let RefundedRow {
            what,
            id,
            account_id,
            total,
            refunded,
            refunds,
        } = row;
        let place = format!("account {account_id}: {what} {id}");
        if refunds != refunded {
            self.report.problems.push(format!(
                "{place}: refunded is {refunded} but its refunds add up to {refunds}"
            ));
        }
        if refunds > total {
            self.report.problems.push(format!(
                "{place}: refunds of {refunds} exceed the {total} it took"
            ));
        }
    }

    fn refunded_row(&mut self, table: &str, row: &dyn ColumnReader) -> Result<(), StoreError> {
        let fields = Fields::new(row, table, "id")?;
        self.refunded(RefundedRow {
            what: if table == "charges" { "charge" } else { "hold" },
            id: fields.key(),
            account_id: &fields.text("account_id")?,
            total: fields.i64("total")?,
            refunded: fields.i64("refunded")?,
            refunds: fields.i64("refunds")?,
        });
        Ok(())
    }

    /// An account whose events are not numbered 1 to its `event_sequence`.
    fn events_row(&mut self, row: &dyn ColumnReader) -> Result<(), StoreError> {
        let fields = Fields::new(row, "accounts", "id")?;
        let (sequence, events, last) = (
            fields.i64("event_sequence")?,
            fields.i64("events")?,
            fields.i64("last")?,
        );
        self.report.problems.push(format!(
            "account {}: its event sequence is {sequence} but it has {events} events, the last \
             numbered {last}",
            fields.key()
        ));
        Ok(())
    }

    /// An idempotency key with more than one record.
    fn key_recorded_twice_row(&mut self, row: &dyn ColumnReader) -> Result<(), StoreError> {
        let fields = Fields::new(row, "idempotency", "scope")?;
        let (key, records) = (fields.text("key")?, fields.i64("records")?);
        self.report.problems.push(format!(
            "idempotency key {key:?} of {}: {records} records, where a key has one answer",
            fields.key()
        ));
        Ok(())
    }

    fn entry_row(&mut self, row: &dyn ColumnReader) -> Result<(), StoreError> {
        let fields = Fields::new(row, "entries", "id")?;
        self.entry(EntryRow {
            id: fields.key(),
            account_id: &fields.text("account_id")?,
            kind: &fields.text("type")?,
            amount: fields.i64("amount")?,
            held: fields.i64("held")?,
            postings: &fields.text("postings")?,
        });
        Ok(())
    }

    fn pending_hold_row(&mut self, row: &dyn ColumnReader) -> Result<(), StoreError> {
        let fields = Fields::new(row, "holds", "id")?;
        self.pending_hold(&fields.text("account_id")?, &fields.text("reservations")?);
        Ok(())
    }

    fn grant_row(&mut self, row: &dyn ColumnReader) -> Result<(), StoreError> {
        let fields = Fields::new(row, "grants", "id")?;
        self.grant(GrantRow {
            id: fields.key(),
            account_id: &fields.text("account_id")?,
            amount: fields.i64("amount")?,
            remaining: fields.i64("remaining")?,
            reserved: fields.i64("reserved")?,
            lifecycle: &fields.text("lifecycle")?,
        });
        Ok(())
    }

    fn account_row(&mut self, row: &dyn ColumnReader) -> Result<(), StoreError> {
        let fields = Fields::new(row, "accounts", "id")?;
        self.account(AccountRow {
            id: fields.key(),
            overdraft_limit: fields.i64("overdraft_limit")?,
            posted: fields.i64("posted")?,
            held: fields.i64("held")?,
            overdraft_remaining: fields.i64("overdraft_remaining")?,
            overdraft_reserved: fields.i64("overdraft_reserved")?,
        });
        Ok(())
    }

    /// The report, with what the entries named but no row matched.
    pub fn finish(mut self) -> VerifyReport {
        for grant_id in self.grants.into_keys() {
            let account = self
                .grant_accounts
                .get(&grant_id)
                .cloned()
                .unwrap_or_default();
            self.report.problems.push(format!(
                "account {account}: entries name unknown grant {grant_id}"
            ));
        }
        for account_id in self.accounts.into_keys() {
            self.report.problems.push(format!(
                "account {account_id}: entries name an unknown account"
            ));
        }
        self.report
    }
}
