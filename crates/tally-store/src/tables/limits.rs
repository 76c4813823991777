//! Spend limits: `limit_sets` (one row per account whose limits were ever set: how many the
//! last `PUT` set, and when), `limits` (one row per place in a set: a shorter set leaves the
//! places past its size in the table, unread) and `limit_counters` (what each limit counted in
//! its current window, per value, written again by every debit, release and refund that moves
//! it). Rows are only ever upserted, never deleted.

use tally_core::{Limit, LimitCounter, LimitScope, LimitSet, LimitWindow};

use super::{Table, i64, micros, text};
use crate::StoreError;
use crate::row::{ColumnReader, ColumnWriter, Fields};

pub const SETS: Table = Table {
    name: "limit_sets",
    groups: &[&[text("account_id"), i64("size"), i64("updated_at")]],
    constants: &[],
    on_conflict: " ON CONFLICT (account_id) DO UPDATE SET size = excluded.size, \
                  updated_at = excluded.updated_at",
};

pub const LIMITS: Table = Table {
    name: "limits",
    groups: &[&[
        text("account_id"),
        i64("position"),
        text("id"),
        text("scope"),
        text("matched"),
        text("time_window"),
        i64("max"),
    ]],
    constants: &[],
    on_conflict: " ON CONFLICT (account_id, position) DO UPDATE SET id = excluded.id, \
                  scope = excluded.scope, matched = excluded.matched, \
                  time_window = excluded.time_window, max = excluded.max",
};

pub const COUNTERS: Table = Table {
    name: "limit_counters",
    groups: &[&[
        text("account_id"),
        text("limit_id"),
        text("match_value"),
        i64("window_start"),
        i64("used"),
        i64("reached"),
    ]],
    constants: &[],
    on_conflict: " ON CONFLICT (account_id, limit_id, match_value) DO UPDATE SET \
                  window_start = excluded.window_start, used = excluded.used, \
                  reached = excluded.reached",
};

/// The limits of the current sets, with their sets' `updated_at`: `SELECT` this, then `WHERE`
/// or `AND` more (the table names are the tables').
pub const CURRENT: &str = "SELECT limits.*, limit_sets.updated_at AS set_updated_at \
     FROM limits JOIN limit_sets ON limit_sets.account_id = limits.account_id \
     AND limits.position < limit_sets.size";

/// One limit at its place in its account's set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitRow {
    pub account_id: String,
    pub position: i64,
    pub limit: Limit,
    /// The set's `updated_at` (read only).
    pub updated_at: tally_core::Timestamp,
}

/// The rows a set writes: its places, in order.
pub fn rows_of(set: &LimitSet) -> Vec<LimitRow> {
    set.limits
        .iter()
        .enumerate()
        .map(|(position, limit)| LimitRow {
            account_id: set.account_id.clone(),
            position: i64::try_from(position).expect("limits: a set is small"),
            limit: limit.clone(),
            updated_at: set.updated_at,
        })
        .collect()
}

pub fn encode_set<W: ColumnWriter>(set: &LimitSet, writer: &mut W) -> Result<(), W::Error> {
    writer.text(&set.account_id)?;
    writer.i64(i64::try_from(set.limits.len()).expect("limits: a set is small"))?;
    writer.i64(micros(set.updated_at))
}

pub fn encode_limit<W: ColumnWriter>(row: &LimitRow, writer: &mut W) -> Result<(), W::Error> {
    writer.text(&row.account_id)?;
    writer.i64(row.position)?;
    writer.text(&row.limit.id)?;
    writer.text(row.limit.scope.as_str())?;
    writer.text(&row.limit.matches)?;
    writer.text(row.limit.window.as_str())?;
    writer.i64(row.limit.max.get())
}

/// A row of [`CURRENT`].
pub fn decode_limit(row: &dyn ColumnReader) -> Result<LimitRow, StoreError> {
    let fields = Fields::new(row, LIMITS.name, "id")?;
    Ok(LimitRow {
        account_id: fields.text("account_id")?,
        position: fields.i64("position")?,
        limit: Limit {
            id: fields.key().to_string(),
            scope: fields.parsed("scope", LimitScope::parse)?,
            matches: fields.text("matched")?,
            window: fields.parsed("time_window", LimitWindow::parse)?,
            max: fields.millicredits("max")?,
        },
        updated_at: fields.timestamp("set_updated_at")?,
    })
}

pub fn encode_counter<W: ColumnWriter>(
    counter: &LimitCounter,
    writer: &mut W,
) -> Result<(), W::Error> {
    writer.text(&counter.account_id)?;
    writer.text(&counter.limit_id)?;
    writer.text(&counter.value)?;
    writer.i64(micros(counter.window_start))?;
    writer.i64(counter.used.get())?;
    writer.i64(i64::from(counter.reached))
}

pub fn decode_counter(row: &dyn ColumnReader) -> Result<LimitCounter, StoreError> {
    let fields = Fields::new(row, COUNTERS.name, "limit_id")?;
    Ok(LimitCounter {
        account_id: fields.text("account_id")?,
        limit_id: fields.key().to_string(),
        value: fields.text("match_value")?,
        window_start: fields.timestamp("window_start")?,
        used: fields.millicredits("used")?,
        reached: fields.i64("reached")? != 0,
    })
}

/// The sets these rows make, one per account, each in its order.
pub fn sets_of(rows: Vec<LimitRow>) -> Vec<LimitSet> {
    let mut sets: Vec<LimitSet> = Vec::new();
    let mut rows = rows;
    rows.sort_by(|a, b| (&a.account_id, a.position).cmp(&(&b.account_id, b.position)));
    for row in rows {
        match sets.last_mut() {
            Some(set) if set.account_id == row.account_id => set.limits.push(row.limit),
            _ => sets.push(LimitSet {
                account_id: row.account_id,
                limits: vec![row.limit],
                updated_at: row.updated_at,
            }),
        }
    }
    sets
}
