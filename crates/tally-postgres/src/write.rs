//! Writes one batch: the rows SQLite's `write_batch` writes, plus each touched account's
//! `next_due_at`. Every table gets one statement over arrays (`UNNEST … WITH ORDINALITY`,
//! inserted in the batch's order so `seq` follows it), so a batch costs a handful of round
//! trips however many commands it holds.
//!
//! The statements are planned on the caller's thread ([`plan`]) and run on a connection's
//! ([`run`]). Rows another node may write at the same time (API keys, meta) are written one at a
//! time in key order, so two nodes never wait on each other in opposite orders; every other row
//! belongs to an account the batch has locked.

use std::collections::HashMap;
use std::hash::Hash;

use postgres::types::ToSql;
use tally_core::{AccountTotals, Timestamp};
use tally_store::{BatchWrite, StoreError, codec};

use crate::pool::Connection;

type Param = Box<dyn ToSql + Sync + Send>;

/// One statement and its parameters.
struct Step {
    sql: String,
    params: Vec<Param>,
}

/// The statements that write one batch, in order.
#[derive(Default)]
pub(crate) struct Plan {
    steps: Vec<Step>,
}

impl Plan {
    fn push(&mut self, sql: String, params: Vec<Param>) {
        self.steps.push(Step { sql, params });
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
        connection.execute(&step.sql, &params)?;
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

const ATTRIBUTION_COLUMNS: [(&str, &str); 6] = [
    ("product", "text"),
    ("member", "text"),
    ("model", "text"),
    ("action", "text"),
    ("rate_card_version", "bigint"),
    ("quote_id", "text"),
];

fn micros(at: &Timestamp) -> i64 {
    at.as_micros()
}

/// What the batch says about one account it touched: its totals, and when it next has due
/// work (`Some(None)`: nothing due any more; `None`: not said, left as it is).
#[derive(Default)]
struct Touched<'a> {
    id: &'a str,
    totals: Option<&'a AccountTotals>,
    next_due: Option<Option<i64>>,
}

/// Plans the statements that write `batch`.
pub(crate) fn plan(batch: &BatchWrite) -> Plan {
    let mut plan = Plan::default();
    let effects = &batch.effects;

    let accounts: Vec<_> = batch.new_accounts.iter().collect();
    if !accounts.is_empty() {
        plan.push(
            insert_unnest(
                "accounts",
                &[
                    ("id", "text"),
                    ("name", "text"),
                    ("overdraft_limit", "bigint"),
                    ("metadata", "text"),
                    ("created_at", "bigint"),
                ],
                &[
                    ("posted", "0"),
                    ("held", "0"),
                    ("overdraft_remaining", "0"),
                    ("overdraft_reserved", "0"),
                ],
                "",
            ),
            vec![
                column(&accounts, |account| account.id.clone()),
                column(&accounts, |account| account.name.clone()),
                column(&accounts, |account| account.overdraft_limit.get()),
                column(&accounts, |account| account.metadata.clone()),
                column(&accounts, |account| micros(&account.created_at)),
            ],
        );
    }

    let grants = last_wins(&effects.grants, |grant| grant.id.clone());
    if !grants.is_empty() {
        plan.push(
            insert_unnest(
                "grants",
                &[
                    ("id", "text"),
                    ("account_id", "text"),
                    ("amount", "bigint"),
                    ("remaining", "bigint"),
                    ("reserved", "bigint"),
                    ("source", "text"),
                    ("priority", "bigint"),
                    ("effective_at", "bigint"),
                    ("expires_at", "bigint"),
                    ("lifecycle", "text"),
                    ("ordinal", "bigint"),
                    ("created_at", "bigint"),
                    ("description", "text"),
                    ("metadata", "text"),
                ],
                &[],
                " ON CONFLICT (id) DO UPDATE SET remaining = excluded.remaining, \
                 reserved = excluded.reserved, lifecycle = excluded.lifecycle",
            ),
            vec![
                column(&grants, |grant| grant.id.clone()),
                column(&grants, |grant| grant.account_id.clone()),
                column(&grants, |grant| grant.amount.get()),
                column(&grants, |grant| grant.remaining.get()),
                column(&grants, |grant| grant.reserved.get()),
                column(&grants, |grant| grant.source.as_str().to_string()),
                column(&grants, |grant| grant.priority),
                column(&grants, |grant| micros(&grant.effective_at)),
                column(&grants, |grant| grant.expires_at.as_ref().map(micros)),
                column(&grants, |grant| grant.lifecycle.as_str().to_string()),
                column(&grants, |grant| grant.ordinal),
                column(&grants, |grant| micros(&grant.created_at)),
                column(&grants, |grant| grant.description.clone()),
                column(&grants, |grant| grant.metadata.clone()),
            ],
        );
    }

    let holds = last_wins(&effects.holds, |hold| hold.id.clone());
    if !holds.is_empty() {
        let mut columns = vec![
            ("id", "text"),
            ("account_id", "text"),
            ("status", "text"),
            ("amount", "bigint"),
            ("captured", "bigint"),
            ("released", "bigint"),
            ("expires_at", "bigint"),
            ("created_at", "bigint"),
            ("resolved_at", "bigint"),
        ];
        columns.extend(ATTRIBUTION_COLUMNS);
        columns.extend([
            ("description", "text"),
            ("metadata", "text"),
            ("reservations", "text"),
            ("extra", "text"),
        ]);
        plan.push(
            insert_unnest(
                "holds",
                &columns,
                &[],
                " ON CONFLICT (id) DO UPDATE SET status = excluded.status, \
                 captured = excluded.captured, released = excluded.released, \
                 resolved_at = excluded.resolved_at, reservations = excluded.reservations, \
                 extra = excluded.extra",
            ),
            vec![
                column(&holds, |hold| hold.id.clone()),
                column(&holds, |hold| hold.account_id.clone()),
                column(&holds, |hold| hold.status.as_str().to_string()),
                column(&holds, |hold| hold.amount.get()),
                column(&holds, |hold| hold.captured.get()),
                column(&holds, |hold| hold.released.get()),
                column(&holds, |hold| micros(&hold.expires_at)),
                column(&holds, |hold| micros(&hold.created_at)),
                column(&holds, |hold| hold.resolved_at.as_ref().map(micros)),
                column(&holds, |hold| hold.attribution.product.clone()),
                column(&holds, |hold| hold.attribution.member.clone()),
                column(&holds, |hold| hold.attribution.model.clone()),
                column(&holds, |hold| hold.attribution.action.clone()),
                column(&holds, |hold| hold.attribution.rate_card_version),
                column(&holds, |hold| hold.attribution.quote_id.clone()),
                column(&holds, |hold| hold.description.clone()),
                column(&holds, |hold| hold.metadata.clone()),
                column(&holds, |hold| {
                    codec::encode_reservations(&hold.reservations)
                }),
                column(&holds, |hold| hold.extra.clone()),
            ],
        );
    }

    let charges: Vec<_> = effects.charges.iter().collect();
    if !charges.is_empty() {
        let mut columns = vec![
            ("id", "text"),
            ("account_id", "text"),
            ("amount", "bigint"),
            ("drawn", "text"),
            ("overdraft", "bigint"),
            ("available_after", "bigint"),
        ];
        columns.extend(ATTRIBUTION_COLUMNS);
        columns.extend([
            ("description", "text"),
            ("metadata", "text"),
            ("extra", "text"),
            ("created_at", "bigint"),
        ]);
        plan.push(
            insert_unnest("charges", &columns, &[], ""),
            vec![
                column(&charges, |charge| charge.id.clone()),
                column(&charges, |charge| charge.account_id.clone()),
                column(&charges, |charge| charge.amount.get()),
                column(&charges, |charge| codec::encode_drawn(&charge.drawn)),
                column(&charges, |charge| charge.overdraft.get()),
                column(&charges, |charge| charge.available_after.get()),
                column(&charges, |charge| charge.attribution.product.clone()),
                column(&charges, |charge| charge.attribution.member.clone()),
                column(&charges, |charge| charge.attribution.model.clone()),
                column(&charges, |charge| charge.attribution.action.clone()),
                column(&charges, |charge| charge.attribution.rate_card_version),
                column(&charges, |charge| charge.attribution.quote_id.clone()),
                column(&charges, |charge| charge.description.clone()),
                column(&charges, |charge| charge.metadata.clone()),
                column(&charges, |charge| charge.extra.clone()),
                column(&charges, |charge| micros(&charge.created_at)),
            ],
        );
    }

    let entries: Vec<_> = effects.entries.iter().collect();
    if !entries.is_empty() {
        let mut columns = vec![
            ("id", "text"),
            ("account_id", "text"),
            ("type", "text"),
            ("amount", "bigint"),
            ("held", "bigint"),
            ("grant_id", "text"),
            ("hold_id", "text"),
            ("charge_id", "text"),
        ];
        columns.extend(ATTRIBUTION_COLUMNS);
        columns.extend([
            ("description", "text"),
            ("created_at", "bigint"),
            ("postings", "text"),
        ]);
        plan.push(
            insert_unnest("entries", &columns, &[], ""),
            vec![
                column(&entries, |entry| entry.id.clone()),
                column(&entries, |entry| entry.account_id.clone()),
                column(&entries, |entry| entry.kind.as_str().to_string()),
                column(&entries, |entry| entry.amount.get()),
                column(&entries, |entry| entry.held.get()),
                column(&entries, |entry| entry.grant_id.clone()),
                column(&entries, |entry| entry.hold_id.clone()),
                column(&entries, |entry| entry.charge_id.clone()),
                column(&entries, |entry| entry.attribution.product.clone()),
                column(&entries, |entry| entry.attribution.member.clone()),
                column(&entries, |entry| entry.attribution.model.clone()),
                column(&entries, |entry| entry.attribution.action.clone()),
                column(&entries, |entry| entry.attribution.rate_card_version),
                column(&entries, |entry| entry.attribution.quote_id.clone()),
                column(&entries, |entry| entry.description.clone()),
                column(&entries, |entry| micros(&entry.created_at)),
                column(&entries, |entry| codec::encode_postings(&entry.postings)),
            ],
        );
    }

    let subscriptions = last_wins(&effects.subscriptions, |subscription| {
        subscription.account_id.clone()
    });
    if !subscriptions.is_empty() {
        plan.push(
            insert_unnest(
                "subscriptions",
                &[
                    ("account_id", "text"),
                    ("plan_id", "text"),
                    ("plan_name", "text"),
                    ("credits_per_seat", "bigint"),
                    ("seats", "bigint"),
                    ("next_period_seats", "bigint"),
                    ("status", "text"),
                    ("anchor", "bigint"),
                    ("period_index", "bigint"),
                    ("current_period_start", "bigint"),
                    ("current_period_end", "bigint"),
                    ("period_grant_ids", "text"),
                    ("created_at", "bigint"),
                    ("canceled_at", "bigint"),
                ],
                &[],
                " ON CONFLICT (account_id) DO UPDATE SET plan_id = excluded.plan_id, \
                 plan_name = excluded.plan_name, credits_per_seat = excluded.credits_per_seat, \
                 seats = excluded.seats, next_period_seats = excluded.next_period_seats, \
                 status = excluded.status, anchor = excluded.anchor, \
                 period_index = excluded.period_index, \
                 current_period_start = excluded.current_period_start, \
                 current_period_end = excluded.current_period_end, \
                 period_grant_ids = excluded.period_grant_ids, \
                 canceled_at = excluded.canceled_at",
            ),
            vec![
                column(&subscriptions, |s| s.account_id.clone()),
                column(&subscriptions, |s| s.plan_id.clone()),
                column(&subscriptions, |s| s.plan_name.clone()),
                column(&subscriptions, |s| s.credits_per_seat.get()),
                column(&subscriptions, |s| i64::from(s.seats)),
                column(&subscriptions, |s| s.next_period_seats.map(i64::from)),
                column(&subscriptions, |s| s.status.as_str().to_string()),
                column(&subscriptions, |s| micros(&s.anchor)),
                column(&subscriptions, |s| i64::from(s.period_index)),
                column(&subscriptions, |s| micros(&s.current_period_start)),
                column(&subscriptions, |s| micros(&s.current_period_end)),
                column(&subscriptions, |s| s.period_grant_ids.join(";")),
                column(&subscriptions, |s| micros(&s.created_at)),
                column(&subscriptions, |s| s.canceled_at.as_ref().map(micros)),
            ],
        );
    }

    let purchases: Vec<_> = batch.new_purchases.iter().collect();
    if !purchases.is_empty() {
        plan.push(
            insert_unnest(
                "purchases",
                &[
                    ("id", "text"),
                    ("account_id", "text"),
                    ("pack_id", "text"),
                    ("grant_id", "text"),
                    ("credits", "bigint"),
                    ("price_usd", "text"),
                    ("created_at", "bigint"),
                ],
                &[],
                "",
            ),
            vec![
                column(&purchases, |purchase| purchase.id.clone()),
                column(&purchases, |purchase| purchase.account_id.clone()),
                column(&purchases, |purchase| purchase.pack_id.clone()),
                column(&purchases, |purchase| purchase.grant_id.clone()),
                column(&purchases, |purchase| purchase.credits.get()),
                column(&purchases, |purchase| purchase.price_usd.clone()),
                column(&purchases, |purchase| micros(&purchase.created_at)),
            ],
        );
    }

    // The engine adds up each group once per batch; add up repeats anyway (one row per key).
    let mut usage: Vec<_> = Vec::new();
    let mut usage_place = HashMap::new();
    for (key, delta) in &batch.usage {
        match usage_place.get(key) {
            Some(&at) => {
                let (_, total): &mut (_, tally_core::usage::UsageDelta) = &mut usage[at];
                total.credits =
                    tally_core::Millicredits::new(total.credits.get() + delta.credits.get());
                total.count += delta.count;
            }
            None => {
                usage_place.insert(key, usage.len());
                usage.push((key, *delta));
            }
        }
    }
    let usage: Vec<_> = usage.iter().collect();
    if !usage.is_empty() {
        plan.push(
            insert_unnest(
                "usage_daily",
                &[
                    ("account_id", "text"),
                    ("day", "bigint"),
                    ("product", "text"),
                    ("model", "text"),
                    ("member", "text"),
                    ("action", "text"),
                    ("credits", "bigint"),
                    ("count", "bigint"),
                ],
                &[],
                " ON CONFLICT (account_id, day, product, model, member, action) DO UPDATE SET \
                 credits = usage_daily.credits + excluded.credits, \
                 count = usage_daily.count + excluded.count",
            ),
            vec![
                column(&usage, |(key, _)| key.account_id.clone()),
                column(&usage, |(key, _)| key.day),
                column(&usage, |(key, _)| key.product.clone()),
                column(&usage, |(key, _)| key.model.clone()),
                column(&usage, |(key, _)| key.member.clone()),
                column(&usage, |(key, _)| key.action.clone()),
                column(&usage, |(_, delta)| delta.credits.get()),
                column(&usage, |(_, delta)| delta.count),
            ],
        );
    }

    let cards: Vec<_> = batch.new_rate_cards.iter().collect();
    if !cards.is_empty() {
        plan.push(
            insert_unnest(
                "rate_cards",
                &[
                    ("version", "bigint"),
                    ("effective_at", "bigint"),
                    ("document", "text"),
                    ("created_at", "bigint"),
                ],
                &[],
                "",
            ),
            vec![
                column(&cards, |card| card.version),
                column(&cards, |card| micros(&card.effective_at)),
                column(&cards, |card| card.document.clone()),
                column(&cards, |card| micros(&card.created_at)),
            ],
        );
    }

    // Totals and next due instants of the touched accounts, in one statement.
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
                 next_due_at = CASE WHEN t.set_next_due THEN t.next_due_at
                     ELSE accounts.next_due_at END
             FROM UNNEST($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[],
                     $6::boolean[], $7::bigint[])
                 AS t (id, posted, held, overdraft_remaining, overdraft_reserved, set_next_due,
                     next_due_at)
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
            ],
        );
    }

    let records: Vec<_> = batch.idempotency.iter().collect();
    if !records.is_empty() {
        plan.push(
            insert_unnest(
                "idempotency",
                &[
                    ("scope", "text"),
                    ("key", "text"),
                    ("request_hash", "text"),
                    ("status", "bigint"),
                    ("body", "text"),
                    ("created_at", "bigint"),
                ],
                &[],
                "",
            ),
            vec![
                column(&records, |record| record.scope.clone()),
                column(&records, |record| record.key.clone()),
                column(&records, |record| record.request_hash.clone()),
                column(&records, |record| i64::from(record.status)),
                column(&records, |record| record.body.clone()),
                column(&records, |record| micros(&record.created_at)),
            ],
        );
    }

    let keys: Vec<_> = batch.new_api_keys.iter().collect();
    if !keys.is_empty() {
        plan.push(
            insert_unnest(
                "api_keys",
                &[
                    ("id", "text"),
                    ("account_id", "text"),
                    ("key_hash", "text"),
                    ("created_at", "bigint"),
                ],
                &[],
                "",
            ),
            vec![
                column(&keys, |key| key.id.clone()),
                column(&keys, |key| key.account_id.clone()),
                column(&keys, |key| key.key_hash.clone()),
                column(&keys, |key| micros(&key.created_at)),
            ],
        );
    }

    let mut revoked = last_wins(&batch.revoked_api_keys, |(key_id, _)| key_id.clone());
    revoked.sort_by(|left, right| left.0.cmp(&right.0));
    for (key_id, at) in revoked {
        plan.push(
            "UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL".to_string(),
            vec![Box::new(key_id.clone()), Box::new(micros(at))],
        );
    }
    let mut touched_keys = last_wins(&batch.touched_api_keys, |(key_id, _)| key_id.clone());
    touched_keys.sort_by(|left, right| left.0.cmp(&right.0));
    for (key_id, at) in touched_keys {
        plan.push(
            "UPDATE api_keys SET last_used_at = $2 WHERE id = $1".to_string(),
            vec![Box::new(key_id.clone()), Box::new(micros(at))],
        );
    }
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
    plan
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
    fn an_empty_batch_writes_nothing() {
        assert!(plan(&BatchWrite::default()).steps.is_empty());
    }
}
