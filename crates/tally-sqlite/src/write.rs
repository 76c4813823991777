//! The batch writer: every batch of a commit in one `IMMEDIATE` transaction, each table's rows
//! with one cached statement run once per row. The inserts are built (once) from the shared
//! [`tally_store::tables`], whose encoders bind each row's values straight to the statement
//! (nothing is collected first: every charge goes through here); the updates that are SQLite's
//! own (totals, keys, meta) are written out below.

use std::sync::OnceLock;

use rusqlite::{Connection, Transaction, params};
use tally_core::{AccountTotals, Timestamp};
use tally_store::BatchWrite;
use tally_store::tables::{
    Table, accounts, api_keys, audit, auto_topups, charges, entries, events, grants, holds,
    idempotency, limits, portal_links, purchases, rate_cards, refunds, subscriptions,
    usage_buckets, usage_daily,
};

use crate::rows::Binder;

/// One table's insert: `INSERT INTO table (columns…, constants…) VALUES (?1, ?2, …,
/// constants…) on_conflict`, built from the shared table when first used.
struct Insert {
    table: &'static Table,
    sql: OnceLock<String>,
}

impl Insert {
    const fn new(table: &'static Table) -> Self {
        Insert {
            table,
            sql: OnceLock::new(),
        }
    }

    fn sql(&self) -> &str {
        self.sql.get_or_init(|| {
            let table = self.table;
            let mut names: Vec<&str> = table.columns().map(|column| column.name).collect();
            let mut values: Vec<String> = (1..=names.len()).map(|n| format!("?{n}")).collect();
            for (name, value) in table.constants {
                names.push(name);
                values.push(value.to_string());
            }
            format!(
                "INSERT INTO {} ({}) VALUES ({}){}",
                table.name,
                names.join(", "),
                values.join(", "),
                table.on_conflict
            )
        })
    }

    /// Runs the insert once per row, with the values `encode` binds.
    fn run<'c, T>(
        &self,
        connection: &'c Connection,
        rows: &[T],
        encode: impl Fn(&T, &mut Binder<'c>) -> Result<(), rusqlite::Error>,
    ) -> Result<(), rusqlite::Error> {
        self.run_each(connection, rows, encode, |_| {})
    }

    /// Runs the insert once per row, as [`Insert::run`], and adds each new row's rowid to
    /// `rowids`.
    fn run_numbered<'c, T>(
        &self,
        connection: &'c Connection,
        rows: &[T],
        encode: impl Fn(&T, &mut Binder<'c>) -> Result<(), rusqlite::Error>,
        rowids: &mut Vec<i64>,
    ) -> Result<(), rusqlite::Error> {
        self.run_each(connection, rows, encode, |connection| {
            rowids.push(connection.last_insert_rowid());
        })
    }

    /// Runs the insert once per row, and `inserted` after each.
    fn run_each<'c, T>(
        &self,
        connection: &'c Connection,
        rows: &[T],
        encode: impl Fn(&T, &mut Binder<'c>) -> Result<(), rusqlite::Error>,
        mut inserted: impl FnMut(&Connection),
    ) -> Result<(), rusqlite::Error> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut statement = Binder::new(connection, self.sql())?;
        for row in rows {
            statement.execute(row, &encode)?;
            inserted(connection);
        }
        Ok(())
    }
}

static ACCOUNTS: Insert = Insert::new(&accounts::TABLE);
static GRANTS: Insert = Insert::new(&grants::TABLE);
static HOLDS: Insert = Insert::new(&holds::TABLE);
static CHARGES: Insert = Insert::new(&charges::TABLE);
static ENTRIES: Insert = Insert::new(&entries::TABLE);
static REFUNDS: Insert = Insert::new(&refunds::TABLE);
static SUBSCRIPTIONS: Insert = Insert::new(&subscriptions::TABLE);
static AUTO_TOPUPS: Insert = Insert::new(&auto_topups::TABLE);
static PURCHASES: Insert = Insert::new(&purchases::TABLE);
static USAGE_DAILY: Insert = Insert::new(&usage_daily::TABLE);
static USAGE_BUCKETS: Insert = Insert::new(&usage_buckets::TABLE);
static RATE_CARDS: Insert = Insert::new(&rate_cards::TABLE);
static IDEMPOTENCY: Insert = Insert::new(&idempotency::TABLE);
static API_KEYS: Insert = Insert::new(&api_keys::TABLE);
static PORTAL_LINKS: Insert = Insert::new(&portal_links::TABLE);
static EVENTS: Insert = Insert::new(&events::TABLE);
static AUDIT: Insert = Insert::new(&audit::TABLE);
static LIMIT_SETS: Insert = Insert::new(&limits::SETS);
static LIMITS: Insert = Insert::new(&limits::LIMITS);
static LIMIT_COUNTERS: Insert = Insert::new(&limits::COUNTERS);

/// Writes batches, in order, in one transaction. The answer is the `seq` of each idempotency
/// record written, in the order of the batches' records (for the store's index of keys).
pub(crate) fn write_batches(
    connection: &mut Connection,
    batches: &[&BatchWrite],
) -> Result<Vec<i64>, rusqlite::Error> {
    let transaction =
        connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut record_seqs = Vec::new();
    for batch in batches {
        write_batch(&transaction, batch, &mut record_seqs)?;
    }
    transaction.commit()?;
    Ok(record_seqs)
}

/// One batch's rows, table by table, in the order the foreign keys need.
fn write_batch(
    db: &Transaction,
    batch: &BatchWrite,
    record_seqs: &mut Vec<i64>,
) -> Result<(), rusqlite::Error> {
    let effects = &batch.effects;
    ACCOUNTS.run(db, &batch.new_accounts, accounts::encode)?;
    GRANTS.run(db, &effects.grants, grants::encode)?;
    HOLDS.run(db, &effects.holds, holds::encode)?;
    CHARGES.run(db, &effects.charges, charges::encode)?;
    ENTRIES.run(db, &effects.entries, entries::encode)?;
    REFUNDS.run(db, &effects.refunds, refunds::encode)?;
    SUBSCRIPTIONS.run(db, &effects.subscriptions, subscriptions::encode)?;
    AUTO_TOPUPS.run(db, &effects.auto_topups, auto_topups::encode)?;
    PURCHASES.run(db, &effects.purchases, purchases::encode)?;
    USAGE_DAILY.run(db, &batch.usage, |(key, delta), binder| {
        usage_daily::encode(key, delta, binder)
    })?;
    USAGE_BUCKETS.run(db, &batch.usage_buckets, |(key, delta), binder| {
        usage_buckets::encode(key, delta, binder)
    })?;
    RATE_CARDS.run(db, &batch.new_rate_cards, rate_cards::encode)?;
    update_settings(db, &effects.accounts, &batch.account_totals)?;
    update_totals(db, &batch.account_totals)?;
    LIMIT_SETS.run(db, &effects.limit_sets, limits::encode_set)?;
    for set in &effects.limit_sets {
        LIMITS.run(db, &limits::rows_of(set), limits::encode_limit)?;
    }
    LIMIT_COUNTERS.run(db, &effects.limit_counters, limits::encode_counter)?;
    IDEMPOTENCY.run_numbered(db, &batch.idempotency, idempotency::encode, record_seqs)?;
    API_KEYS.run(db, &batch.new_api_keys, api_keys::encode)?;
    let revoke = "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL";
    set_key_instants(db, revoke, &batch.revoked_api_keys)?;
    let touch = "UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1";
    set_key_instants(db, touch, &batch.touched_api_keys)?;
    PORTAL_LINKS.run(db, &batch.new_portal_links, portal_links::encode)?;
    redeem_portal_links(db, &batch.redeemed_portal_links)?;
    EVENTS.run(db, &batch.events, events::encode)?;
    fan_out(db, &batch.events)?;
    AUDIT.run(db, &batch.audit, audit::encode)?;
    write_meta(db, &batch.meta, &batch.meta_if_absent)
}

/// The fan-out: with each event, in its transaction, one pending delivery per enabled webhook
/// endpoint that subscribes to its type (`INSERT … SELECT … FROM webhook_endpoints`), so an
/// event and its deliveries commit together, and an endpoint created after the event is not
/// sent it (but by a redelivery).
fn fan_out(
    connection: &Connection,
    events: &[tally_store::EventRecord],
) -> Result<(), rusqlite::Error> {
    if events.is_empty() {
        return Ok(());
    }
    static SQL: OnceLock<String> = OnceLock::new();
    let sql =
        SQL.get_or_init(|| format!("{} WHERE ev.id = ?1", tally_store::webhooks::FAN_OUT_SELECT));
    let mut insert = connection.prepare_cached(sql)?;
    for event in events {
        insert.execute(params![event.id])?;
    }
    Ok(())
}

/// The own fields of the accounts a command changed (a PATCH), with their totals as the batch
/// left them in the same statement: the row's overdraft `CHECK` holds for the two together.
fn update_settings(
    connection: &Connection,
    accounts: &[tally_core::Account],
    totals: &[(String, AccountTotals)],
) -> Result<(), rusqlite::Error> {
    if accounts.is_empty() {
        return Ok(());
    }
    let mut update = connection.prepare_cached(
        "UPDATE accounts SET name = ?2, overdraft_limit = ?3, metadata = ?4, time_zone = ?5,
             low_balance_threshold = ?6, posted = COALESCE(?7, posted),
             held = COALESCE(?8, held), overdraft_remaining = COALESCE(?9, overdraft_remaining),
             overdraft_reserved = COALESCE(?10, overdraft_reserved) WHERE id = ?1",
    )?;
    for account in accounts {
        let totals = totals
            .iter()
            .rev()
            .find(|(id, _)| *id == account.id)
            .map(|(_, totals)| totals);
        update.execute(params![
            account.id,
            account.name,
            account.overdraft_limit.get(),
            account.metadata,
            account.settings.time_zone,
            account
                .settings
                .low_balance_threshold
                .map(tally_core::Millicredits::get),
            totals.map(|t| t.posted.get()),
            totals.map(|t| t.held.get()),
            totals.map(|t| t.overdraft_remaining.get()),
            totals.map(|t| t.overdraft_reserved.get()),
        ])?;
    }
    Ok(())
}

/// The totals of every account the batch touched, as they are after it.
fn update_totals(
    connection: &Connection,
    totals: &[(String, AccountTotals)],
) -> Result<(), rusqlite::Error> {
    let mut update = connection.prepare_cached(
        "UPDATE accounts SET posted = ?2, held = ?3, overdraft_remaining = ?4,
             overdraft_reserved = ?5, event_sequence = ?6, alerts = ?7 WHERE id = ?1",
    )?;
    for (account_id, totals) in totals {
        update.execute(params![
            account_id,
            totals.posted.get(),
            totals.held.get(),
            totals.overdraft_remaining.get(),
            totals.overdraft_reserved.get(),
            totals.event_sequence,
            totals.alerts.bits(),
        ])?;
    }
    Ok(())
}

/// One instant per key: `sql` sets `?2` on the key `?1`.
fn set_key_instants(
    connection: &Connection,
    sql: &str,
    keys: &[(String, Timestamp)],
) -> Result<(), rusqlite::Error> {
    let mut update = connection.prepare_cached(sql)?;
    for (key_id, at) in keys {
        update.execute(params![key_id, at.as_micros()])?;
    }
    Ok(())
}

/// Marks portal links used. Each must be found unused (the engine checked it was): anything
/// else fails the commit rather than answer a second visit as the first.
fn redeem_portal_links(
    connection: &Connection,
    links: &[(String, Timestamp)],
) -> Result<(), rusqlite::Error> {
    let mut update = connection
        .prepare_cached("UPDATE portal_links SET used_at = ?2 WHERE id = ?1 AND used_at IS NULL")?;
    for (link_id, at) in links {
        let changed = update.execute(params![link_id, at.as_micros()])?;
        if changed != 1 {
            return Err(rusqlite::Error::StatementChangedRows(changed));
        }
    }
    Ok(())
}

/// Meta rows: set, then set only where the key has no value yet.
fn write_meta(
    connection: &Connection,
    meta: &[(String, String)],
    meta_if_absent: &[(String, String)],
) -> Result<(), rusqlite::Error> {
    let mut upsert = connection.prepare_cached(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?;
    for (key, value) in meta {
        upsert.execute(params![key, value])?;
    }
    let mut insert =
        connection.prepare_cached("INSERT OR IGNORE INTO meta (key, value) VALUES (?1, ?2)")?;
    for (key, value) in meta_if_absent {
        insert.execute(params![key, value])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_insert_binds_every_column_in_order_and_sets_the_constants() {
        assert_eq!(
            ACCOUNTS.sql(),
            "INSERT INTO accounts (id, name, overdraft_limit, metadata, created_at, time_zone, \
             low_balance_threshold, posted, held, overdraft_remaining, overdraft_reserved) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, 0, 0, 0)"
        );
        assert_eq!(
            API_KEYS.sql(),
            "INSERT INTO api_keys (id, account_id, key_hash, created_at) VALUES (?1, ?2, ?3, ?4)"
        );
        assert!(GRANTS.sql().contains(
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, \
             ?12, ?13, ?14, ?15) ON CONFLICT (id) DO UPDATE SET remaining = excluded.remaining"
        ));
    }
}
