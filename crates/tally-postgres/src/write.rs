//! Writes one batch: the rows SQLite's `write_batch` writes, plus each touched account's
//! `next_due_at`. Every table gets one statement over arrays (`UNNEST … WITH ORDINALITY`,
//! inserted in the batch's order so `seq` follows it), so a batch costs a handful of round
//! trips however many commands it holds. The inserts are built from the shared
//! [`tally_store::tables`], whose encoders fill one array per column.
//!
//! The statements are planned on the caller's thread ([`plan`]) and run on a connection's
//! ([`run`]). Rows another node may write at the same time (API keys, meta) are written one at a
//! time in key order, so two nodes never wait on each other in opposite orders; every other row
//! belongs to an account the batch has locked.

use std::collections::HashMap;
use std::convert::Infallible;
use std::hash::Hash;

use postgres::types::ToSql;
use tally_core::usage::UsageDelta;
use tally_core::{AccountTotals, Millicredits, Timestamp};
use tally_store::row::ColumnWriter;
use tally_store::tables::{
    ColumnType, Table, accounts, api_keys, audit, auto_topups, charges, entries, events, grants,
    holds, idempotency, limits, portal_links, purchases, rate_cards, refunds, subscriptions,
    usage_buckets, usage_daily,
};
use tally_store::{BatchWrite, StoreError};

use crate::pool::Connection;

type Param = Box<dyn ToSql + Sync + Send>;

/// One statement and its parameters.
struct Step {
    sql: String,
    params: Vec<Param>,
    /// How many rows it must change, when that is known (otherwise the batch conflicted).
    rows_expected: Option<u64>,
}

/// The statements that write one batch, in order.
#[derive(Default)]
pub(crate) struct Plan {
    steps: Vec<Step>,
}

impl Plan {
    fn push(&mut self, sql: String, params: Vec<Param>) {
        self.steps.push(Step {
            sql,
            params,
            rows_expected: None,
        });
    }

    /// A statement that must change exactly one row.
    fn push_one_row(&mut self, sql: String, params: Vec<Param>) {
        self.steps.push(Step {
            sql,
            params,
            rows_expected: Some(1),
        });
    }

    /// One insert of every row into `table` (none when there are no rows).
    fn insert<T: ?Sized>(
        &mut self,
        table: &Table,
        rows: &[&T],
        encode: impl Fn(&T, &mut Arrays) -> Result<(), Infallible>,
    ) {
        if rows.is_empty() {
            return;
        }
        let mut arrays = Arrays::new(table, rows.len());
        for row in rows {
            arrays.at = 0;
            let Ok(()) = encode(row, &mut arrays);
        }
        self.push(insert_table(table), arrays.into_params());
    }
}

/// Runs a plan's statements, in order, in the transaction the caller opened.
pub(crate) fn run(connection: &mut Connection, plan: &Plan) -> Result<(), StoreError> {
    for step in &plan.steps {
        let params: Vec<&(dyn ToSql + Sync)> = step
            .params
            .iter()
            .map(|param| param.as_ref() as &(dyn ToSql + Sync))
            .collect();
        let changed = connection.execute(&step.sql, &params)?;
        if let Some(expected) = step.rows_expected
            && changed != expected
        {
            // Another node changed the row since this batch read it: start over from the
            // store (a redeemed portal link is then refused as used).
            return Err(StoreError::Conflict(format!(
                "`{}` changed {changed} rows, not {expected}",
                step.sql
            )));
        }
    }
    Ok(())
}

/// One array parameter: `f` of every item.
fn column<T, V>(items: &[&T], f: impl Fn(&T) -> V) -> Param
where
    V: ToSql + Sync + Send + 'static,
    Vec<V>: ToSql,
{
    Box::new(items.iter().map(|item| f(item)).collect::<Vec<V>>())
}

/// One column's values, in row order.
enum Array {
    Text(Vec<Option<String>>),
    I64(Vec<Option<i64>>),
}

/// The values of a table's rows, one array per column, as its encoder writes them.
struct Arrays {
    table: &'static str,
    arrays: Vec<Array>,
    /// The column the next value goes to.
    at: usize,
}

impl Arrays {
    fn new(table: &Table, rows: usize) -> Self {
        let arrays = table
            .columns()
            .map(|column| match column.kind {
                ColumnType::Text => Array::Text(Vec::with_capacity(rows)),
                ColumnType::I64 => Array::I64(Vec::with_capacity(rows)),
            })
            .collect();
        Arrays {
            table: table.name,
            arrays,
            at: 0,
        }
    }

    /// The next column's array; the encoders write every column in the table's order, with
    /// its type (tally-store's round-trip tests check they do).
    fn next(&mut self) -> &mut Array {
        self.at += 1;
        let table = self.table;
        self.arrays
            .get_mut(self.at - 1)
            .unwrap_or_else(|| panic!("postgres: more values than {table} has columns"))
    }

    fn into_params(self) -> Vec<Param> {
        self.arrays
            .into_iter()
            .map(|array| match array {
                Array::Text(values) => Box::new(values) as Param,
                Array::I64(values) => Box::new(values) as Param,
            })
            .collect()
    }

    fn push_text(&mut self, value: Option<String>) -> Result<(), Infallible> {
        match self.next() {
            Array::Text(values) => values.push(value),
            Array::I64(_) => panic!("postgres: text written to an integer column"),
        }
        Ok(())
    }

    fn push_i64(&mut self, value: Option<i64>) -> Result<(), Infallible> {
        match self.next() {
            Array::I64(values) => values.push(value),
            Array::Text(_) => panic!("postgres: an integer written to a text column"),
        }
        Ok(())
    }
}

impl ColumnWriter for Arrays {
    type Error = Infallible;

    fn text(&mut self, value: &str) -> Result<(), Infallible> {
        self.push_text(Some(value.to_string()))
    }

    fn opt_text(&mut self, value: Option<&str>) -> Result<(), Infallible> {
        self.push_text(value.map(str::to_string))
    }

    fn i64(&mut self, value: i64) -> Result<(), Infallible> {
        self.push_i64(Some(value))
    }

    fn opt_i64(&mut self, value: Option<i64>) -> Result<(), Infallible> {
        self.push_i64(value)
    }
}

/// Every item once, at the place it first appears, as it last appears ("the last wins").
fn last_wins<T, K: Eq + Hash>(items: &[T], key: impl Fn(&T) -> K) -> Vec<&T> {
    let mut place: HashMap<K, usize> = HashMap::new();
    let mut kept: Vec<&T> = Vec::new();
    for item in items {
        match place.get(&key(item)) {
            Some(&at) => kept[at] = item,
            None => {
                place.insert(key(item), kept.len());
                kept.push(item);
            }
        }
    }
    kept
}

fn all<T>(items: &[T]) -> Vec<&T> {
    items.iter().collect()
}

/// `INSERT INTO table (columns…, constants…) SELECT … FROM UNNEST($1::type[], …)` in order.
fn insert_unnest(
    table: &str,
    columns: &[(&str, &str)],
    constants: &[(&str, &str)],
    tail: &str,
) -> String {
    let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    let arrays: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(index, (_, kind))| format!("${}::{kind}[]", index + 1))
        .collect();
    let mut targets = names.clone();
    targets.extend(constants.iter().map(|(name, _)| *name));
    let mut values: Vec<String> = names.iter().map(|name| format!("t.{name}")).collect();
    values.extend(constants.iter().map(|(_, value)| value.to_string()));
    format!(
        "INSERT INTO {table} ({}) SELECT {} FROM UNNEST({}) WITH ORDINALITY AS t ({}, ord) \
         ORDER BY ord{tail}",
        targets.join(", "),
        values.join(", "),
        arrays.join(", "),
        names.join(", ")
    )
}

/// The insert of a shared table's rows.
fn insert_table(table: &Table) -> String {
    let columns: Vec<(&str, &str)> = table
        .columns()
        .map(|column| match column.kind {
            ColumnType::Text => (column.name, "text"),
            ColumnType::I64 => (column.name, "bigint"),
        })
        .collect();
    insert_unnest(table.name, &columns, table.constants, table.on_conflict)
}

fn micros(at: &Timestamp) -> i64 {
    at.as_micros()
}

/// Plans the statements that write `batch`. A row written twice in one batch is written once,
/// as it is last (one statement cannot change a row twice).
pub(crate) fn plan(batch: &BatchWrite) -> Plan {
    let mut plan = Plan::default();
    let effects = &batch.effects;
    plan.insert(
        &accounts::TABLE,
        &all(&batch.new_accounts),
        accounts::encode,
    );
    let grants = last_wins(&effects.grants, |grant| grant.id.clone());
    plan.insert(&grants::TABLE, &grants, grants::encode);
    let holds = last_wins(&effects.holds, |hold| hold.id.clone());
    plan.insert(&holds::TABLE, &holds, holds::encode);
    let charges = last_wins(&effects.charges, |charge| charge.id.clone());
    plan.insert(&charges::TABLE, &charges, charges::encode);
    plan.insert(&entries::TABLE, &all(&effects.entries), entries::encode);
    plan.insert(&refunds::TABLE, &all(&effects.refunds), refunds::encode);
    let subscriptions = last_wins(&effects.subscriptions, |subscription| {
        subscription.account_id.clone()
    });
    plan.insert(&subscriptions::TABLE, &subscriptions, subscriptions::encode);
    let purchases = last_wins(&effects.purchases, |purchase| purchase.id.clone());
    plan.insert(&purchases::TABLE, &purchases, purchases::encode);
    let topups = last_wins(&effects.auto_topups, |topup| topup.account_id.clone());
    plan.insert(&auto_topups::TABLE, &topups, auto_topups::encode);
    let usage = summed_usage(&batch.usage);
    plan.insert(&usage_daily::TABLE, &all(&usage), |(key, delta), arrays| {
        usage_daily::encode(key, delta, arrays)
    });
    let buckets = summed_usage(&batch.usage_buckets);
    plan.insert(
        &usage_buckets::TABLE,
        &all(&buckets),
        |(key, delta), arrays| usage_buckets::encode(key, delta, arrays),
    );
    plan.insert(
        &rate_cards::TABLE,
        &all(&batch.new_rate_cards),
        rate_cards::encode,
    );
    update_settings(&mut plan, batch);
    update_accounts(&mut plan, batch);
    let sets = last_wins(&effects.limit_sets, |set| set.account_id.clone());
    plan.insert(&limits::SETS, &sets, limits::encode_set);
    let limit_rows: Vec<limits::LimitRow> =
        sets.iter().flat_map(|set| limits::rows_of(set)).collect();
    plan.insert(&limits::LIMITS, &all(&limit_rows), limits::encode_limit);
    let counters = last_wins(&effects.limit_counters, |counter| {
        (
            counter.account_id.clone(),
            counter.limit_id.clone(),
            counter.value.clone(),
        )
    });
    plan.insert(&limits::COUNTERS, &counters, limits::encode_counter);
    plan.insert(
        &idempotency::TABLE,
        &all(&batch.idempotency),
        idempotency::encode,
    );
    plan.insert(
        &api_keys::TABLE,
        &all(&batch.new_api_keys),
        api_keys::encode,
    );
    let revoke = "UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL";
    set_key_instants(&mut plan, revoke, &batch.revoked_api_keys);
    let touch = "UPDATE api_keys SET last_used_at = $2 WHERE id = $1";
    set_key_instants(&mut plan, touch, &batch.touched_api_keys);
    plan.insert(
        &portal_links::TABLE,
        &all(&batch.new_portal_links),
        portal_links::encode,
    );
    // A link is redeemed once: the update must find it unused (the engine checked it did).
    let redeem = "UPDATE portal_links SET used_at = $2 WHERE id = $1 AND used_at IS NULL";
    for (link_id, at) in &batch.redeemed_portal_links {
        let params: Vec<Param> = vec![Box::new(link_id.clone()), Box::new(micros(at))];
        plan.push_one_row(redeem.to_string(), params);
    }
    plan.insert(&events::TABLE, &all(&batch.events), events::encode);
    plan.insert(&audit::TABLE, &all(&batch.audit), audit::encode);
    fan_out(&mut plan, batch);
    write_meta(&mut plan, batch);
    plan
}

/// The fan-out: with the batch's events, in its transaction, one pending delivery per enabled
/// webhook endpoint that subscribes to each event's type (`INSERT … SELECT … FROM
/// webhook_endpoints`, one statement for the batch), so an event and its deliveries commit
/// together.
fn fan_out(plan: &mut Plan, batch: &BatchWrite) {
    if batch.events.is_empty() {
        return;
    }
    let ids: Vec<String> = batch.events.iter().map(|event| event.id.clone()).collect();
    let sql = format!(
        "{} WHERE ev.id = ANY($1::text[]) ORDER BY ev.seq, e.id",
        tally_store::webhooks::FAN_OUT_SELECT
    );
    plan.push(sql, vec![Box::new(ids)]);
}

/// One row per usage group: the engine adds up each group once per batch; repeats are added up
/// anyway.
fn summed_usage<K: Eq + std::hash::Hash>(usage: &[(K, UsageDelta)]) -> Vec<(&K, UsageDelta)> {
    let mut summed: Vec<(&K, UsageDelta)> = Vec::new();
    let mut place: HashMap<&K, usize> = HashMap::new();
    for (key, delta) in usage {
        match place.get(key) {
            Some(&at) => {
                let total = &mut summed[at].1;
                total.credits = Millicredits::new(total.credits.get() + delta.credits.get());
                total.count += delta.count;
            }
            None => {
                place.insert(key, summed.len());
                summed.push((key, *delta));
            }
        }
    }
    summed
}

/// What the batch says about one account it touched: its totals, and when it next has due
/// work (`Some(None)`: nothing due any more; `None`: not said, left as it is).
#[derive(Default)]
struct Touched<'a> {
    id: &'a str,
    totals: Option<&'a AccountTotals>,
    next_due: Option<Option<i64>>,
}

/// Totals and next due instants of the touched accounts, in one statement.
fn update_accounts(plan: &mut Plan, batch: &BatchWrite) {
    let mut touched: Vec<Touched<'_>> = Vec::new();
    let mut touched_place: HashMap<String, usize> = HashMap::new();
    let mut place = |account_id: &str, touched: &mut Vec<Touched<'_>>| -> usize {
        *touched_place
            .entry(account_id.to_string())
            .or_insert_with(|| {
                touched.push(Touched::default());
                touched.len() - 1
            })
    };
    for (account_id, totals) in &batch.account_totals {
        let at = place(account_id, &mut touched);
        touched[at].id = account_id;
        touched[at].totals = Some(totals);
    }
    for (account_id, next_due) in &batch.account_next_due {
        let at = place(account_id, &mut touched);
        touched[at].id = account_id;
        touched[at].next_due = Some(next_due.as_ref().map(micros));
    }
    let touched: Vec<_> = touched.iter().collect();
    if !touched.is_empty() {
        plan.push(
            "UPDATE accounts SET
                 posted = COALESCE(t.posted, accounts.posted),
                 held = COALESCE(t.held, accounts.held),
                 overdraft_remaining = COALESCE(t.overdraft_remaining, accounts.overdraft_remaining),
                 overdraft_reserved = COALESCE(t.overdraft_reserved, accounts.overdraft_reserved),
                 event_sequence = COALESCE(t.event_sequence, accounts.event_sequence),
                 alerts = COALESCE(t.alerts, accounts.alerts),
                 next_due_at = CASE WHEN t.set_next_due THEN t.next_due_at
                     ELSE accounts.next_due_at END
             FROM UNNEST($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[],
                     $6::boolean[], $7::bigint[], $8::bigint[], $9::bigint[])
                 AS t (id, posted, held, overdraft_remaining, overdraft_reserved, set_next_due,
                     next_due_at, event_sequence, alerts)
             WHERE accounts.id = t.id"
                .to_string(),
            vec![
                column(&touched, |account| account.id.to_string()),
                column(&touched, |account| account.totals.map(|t| t.posted.get())),
                column(&touched, |account| account.totals.map(|t| t.held.get())),
                column(&touched, |account| {
                    account.totals.map(|t| t.overdraft_remaining.get())
                }),
                column(&touched, |account| {
                    account.totals.map(|t| t.overdraft_reserved.get())
                }),
                column(&touched, |account| account.next_due.is_some()),
                column(&touched, |account| account.next_due.flatten()),
                column(&touched, |account| account.totals.map(|t| t.event_sequence)),
                column(&touched, |account| account.totals.map(|t| t.alerts.bits())),
            ],
        );
    }
}

/// The own fields of the accounts a command changed (a PATCH: rare), one statement each, with
/// the totals the batch left them with: the row's overdraft `CHECK` holds for the two together.
fn update_settings(plan: &mut Plan, batch: &BatchWrite) {
    for account in last_wins(&batch.effects.accounts, |account| account.id.clone()) {
        let totals = batch
            .account_totals
            .iter()
            .rev()
            .find(|(id, _)| *id == account.id)
            .map(|(_, totals)| *totals);
        plan.push(
            "UPDATE accounts SET name = $2, overdraft_limit = $3, metadata = $4, time_zone = $5,
                 low_balance_threshold = $6, posted = COALESCE($7, posted),
                 held = COALESCE($8, held),
                 overdraft_remaining = COALESCE($9, overdraft_remaining),
                 overdraft_reserved = COALESCE($10, overdraft_reserved)
             WHERE id = $1"
                .to_string(),
            vec![
                Box::new(account.id.clone()),
                Box::new(account.name.clone()),
                Box::new(account.overdraft_limit.get()),
                Box::new(account.metadata.clone()),
                Box::new(account.settings.time_zone.clone()),
                Box::new(
                    account
                        .settings
                        .low_balance_threshold
                        .map(tally_core::Millicredits::get),
                ),
                Box::new(totals.map(|t| t.posted.get())),
                Box::new(totals.map(|t| t.held.get())),
                Box::new(totals.map(|t| t.overdraft_remaining.get())),
                Box::new(totals.map(|t| t.overdraft_reserved.get())),
            ],
        );
    }
}

/// One instant per key (the last one given), one key at a time in id order: `sql` sets `$2`
/// on the key `$1`.
fn set_key_instants(plan: &mut Plan, sql: &str, keys: &[(String, Timestamp)]) {
    let mut keys = last_wins(keys, |(key_id, _)| key_id.clone());
    keys.sort_by(|left, right| left.0.cmp(&right.0));
    for (key_id, at) in keys {
        let params: Vec<Param> = vec![Box::new(key_id.clone()), Box::new(micros(at))];
        plan.push(sql.to_string(), params);
    }
}

/// Meta rows, one at a time in key order: set, then set only where the key has no value yet.
fn write_meta(plan: &mut Plan, batch: &BatchWrite) {
    let mut meta = last_wins(&batch.meta, |(key, _)| key.clone());
    meta.sort_by(|left, right| left.0.cmp(&right.0));
    for (key, value) in meta {
        plan.push(
            "INSERT INTO meta (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value"
                .to_string(),
            vec![Box::new(key.clone()), Box::new(value.clone())],
        );
    }
    let mut meta_if_absent: Vec<&(String, String)> = batch.meta_if_absent.iter().collect();
    meta_if_absent.sort_by(|left, right| left.0.cmp(&right.0));
    for (key, value) in meta_if_absent {
        plan.push(
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING"
                .to_string(),
            vec![Box::new(key.clone()), Box::new(value.clone())],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_snapshot_wins_at_the_first_place() {
        let items = [("a", 1), ("b", 1), ("a", 2), ("c", 1), ("b", 2)];
        let kept: Vec<_> = last_wins(&items, |(key, _)| *key)
            .into_iter()
            .copied()
            .collect();
        assert_eq!(kept, vec![("a", 2), ("b", 2), ("c", 1)]);
    }

    #[test]
    fn inserts_keep_the_batch_order() {
        let sql = insert_unnest(
            "t",
            &[("id", "text"), ("n", "bigint")],
            &[("zero", "0")],
            " ON CONFLICT DO NOTHING",
        );
        assert_eq!(
            sql,
            "INSERT INTO t (id, n, zero) SELECT t.id, t.n, 0 FROM UNNEST($1::text[], \
             $2::bigint[]) WITH ORDINALITY AS t (id, n, ord) ORDER BY ord ON CONFLICT DO NOTHING"
        );
    }

    #[test]
    fn a_shared_table_is_inserted_with_its_columns_types_and_constants() {
        assert_eq!(
            insert_table(&accounts::TABLE),
            "INSERT INTO accounts (id, name, overdraft_limit, metadata, created_at, time_zone, \
             low_balance_threshold, posted, held, overdraft_remaining, overdraft_reserved) \
             SELECT t.id, t.name, t.overdraft_limit, t.metadata, t.created_at, t.time_zone, \
             t.low_balance_threshold, 0, 0, 0, 0 FROM UNNEST($1::text[], $2::text[], \
             $3::bigint[], $4::text[], $5::bigint[], $6::text[], $7::bigint[]) WITH ORDINALITY \
             AS t (id, name, overdraft_limit, metadata, created_at, time_zone, \
             low_balance_threshold, ord) ORDER BY ord"
        );
    }

    #[test]
    fn an_empty_batch_writes_nothing() {
        assert!(plan(&BatchWrite::default()).steps.is_empty());
    }
}
