//! The usage readers' statements on a real SQLite file: each one is an index search on the
//! account's rows in its range (never a scan of a table or of the account's entries), so a read
//! costs at most the rows in its ranges, and those are bounded by construction (see
//! `tally_store::usage`: whole days, at most 2 × (23 + 59) buckets per group, and the entries of
//! at most two partial minutes).

use std::path::PathBuf;

use rusqlite::Connection;
use rusqlite::types::Value as SqlValue;
use tally_core::Timestamp;
use tally_core::usage::MICROS_PER_DAY;
use tally_sqlite::SqliteStore;
use tally_store::UsageDimension;
use tally_store::row::Value;

/// A fresh directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write(name.as_bytes());
        let path = std::env::temp_dir().join(format!(
            "tally-sqlite-{name}-{}-{}",
            std::process::id(),
            hasher.finish()
        ));
        std::fs::create_dir_all(&path).expect("creating a temp dir");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// SQLite's plan for a statement, one line per step.
fn plan(connection: &Connection, sql: &str, params: &[Value<'_>]) -> Vec<String> {
    let params: Vec<SqlValue> = params
        .iter()
        .map(|value| match value {
            Value::Text(text) => SqlValue::Text((*text).to_string()),
            Value::I64(number) => SqlValue::Integer(*number),
            Value::OptText(text) => text.map_or(SqlValue::Null, |t| SqlValue::Text(t.into())),
            Value::OptI64(number) => number.map_or(SqlValue::Null, SqlValue::Integer),
        })
        .collect();
    let mut statement = connection
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .expect("explaining");
    statement
        .query_map(rusqlite::params_from_iter(params), |row| {
            row.get::<_, String>("detail")
        })
        .expect("the plan")
        .map(|line| line.expect("a plan line"))
        .collect()
}

#[test]
fn every_usage_statement_searches_an_index_on_the_account_and_its_range() {
    let dir = TempDir::new("reads");
    let path = dir.0.join("reads.db");
    drop(SqliteStore::open(&path).expect("creating the store"));
    let connection = Connection::open(&path).expect("opening");
    // A range with whole days, hours and minutes, and partial minutes at both ends.
    let from = Timestamp::from_micros(20_000 * MICROS_PER_DAY + 3_723_000_017);
    let to = Timestamp::from_micros(20_009 * MICROS_PER_DAY + 50_000_000_123);
    let groupings: [&[UsageDimension]; 2] = [
        &[],
        &[
            UsageDimension::Day,
            UsageDimension::Product,
            UsageDimension::Model,
            UsageDimension::Member,
            UsageDimension::Action,
        ],
    ];
    let new_york = tally_core::zone::time_zone("America/New_York").expect("in the database");
    let kolkata = tally_core::zone::time_zone("Asia/Kolkata").expect("in the database");
    for group_by in groupings {
        let statements = tally_store::usage::statements('?', "acme", (from, to), group_by, None);
        let tables: Vec<&str> = statements.iter().map(|(table, _)| *table).collect();
        assert_eq!(
            tables,
            [
                "usage_daily",
                "usage_buckets",
                "usage_buckets",
                "usage_buckets",
                "usage_buckets",
                "entries",
                "refunds",
                "entries",
                "refunds"
            ]
        );
        // In a zone, days grouped: hours (and minutes around Kolkata's half-hour midnights)
        // instead of UTC days, every one still an index search.
        let mut statements = statements;
        for zone in [&new_york, &kolkata] {
            let zoned =
                tally_store::usage::statements('?', "acme", (from, to), group_by, Some(zone));
            if group_by.contains(&UsageDimension::Day) {
                assert!(zoned.iter().all(|(table, _)| *table != "usage_daily"));
            }
            statements.extend(zoned);
        }
        for (table, query) in &statements {
            let lines = plan(&connection, query.sql(), query.params());
            let index = match *table {
                "usage_daily" | "usage_buckets" => "PRIMARY KEY",
                "entries" => "entries_by_account_time",
                _ => "refunds_by_spending",
            };
            let searches: Vec<&String> = lines
                .iter()
                .filter(|line| line.starts_with("SEARCH") || line.starts_with("SCAN"))
                .collect();
            assert_eq!(searches.len(), 1, "{table}: {lines:?}");
            let search = searches[0];
            assert!(
                search.starts_with(&format!("SEARCH {table} USING"))
                    && search.contains(index)
                    && search.contains("account_id=?")
                    && search.contains('>')
                    && search.contains('<'),
                "{table} must be searched by account and range with {index}: {lines:?}"
            );
        }
    }
}
