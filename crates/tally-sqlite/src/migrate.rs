//! The schema: SQLite's migrations, embedded and applied in order when the store opens, each in
//! a transaction of its own (PostgreSQL's are numbered alike, in that crate).

use rusqlite::Connection;
use tally_store::StoreError;

use crate::rows::unavailable;

/// The migrations, in order. Never edit an applied one; add a new one.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_ledger.sql")),
    (2, include_str!("../migrations/0002_plans.sql")),
    (3, include_str!("../migrations/0003_usage.sql")),
    (4, include_str!("../migrations/0004_rate_cards.sql")),
    (
        5,
        include_str!("../migrations/0005_checks_without_in_lists.sql"),
    ),
    (6, include_str!("../migrations/0006_purchase_payment.sql")),
    (
        7,
        include_str!("../migrations/0007_holds_in_parts_and_refunds.sql"),
    ),
    (8, include_str!("../migrations/0008_auto_topup.sql")),
    (9, include_str!("../migrations/0009_portal_links.sql")),
    (10, include_str!("../migrations/0010_usage_buckets.sql")),
    (11, include_str!("../migrations/0011_events.sql")),
    (12, include_str!("../migrations/0012_webhooks.sql")),
    (13, include_str!("../migrations/0013_limits.sql")),
    (14, include_str!("../migrations/0014_audit.sql")),
    (
        15,
        include_str!("../migrations/0015_idempotency_in_write_order.sql"),
    ),
];

/// The newest schema this binary knows.
pub(crate) const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].0;

pub(crate) fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    connection
        .execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT;",
        )
        .map_err(unavailable)?;
    // Every migration not applied yet, in order: not only those above the highest applied,
    // so that one merged later with a lower number (numbers are reserved per branch) still runs.
    let applied: Vec<i64> = connection
        .prepare("SELECT version FROM schema_migrations")
        .and_then(|mut statement| {
            statement
                .query_map([], |row| row.get(0))?
                .collect::<Result<Vec<i64>, _>>()
        })
        .map_err(unavailable)?;
    // A migration may rebuild a table others refer to (SQLite's way to change a constraint):
    // foreign keys are off while it runs, as SQLite's documentation prescribes, and checked
    // before it commits.
    connection
        .execute_batch("PRAGMA foreign_keys = OFF;")
        .map_err(unavailable)?;
    let migrated = apply_migrations(connection, &applied);
    connection
        .execute_batch("PRAGMA foreign_keys = ON;")
        .map_err(unavailable)?;
    migrated
}

fn apply_migrations(connection: &mut Connection, applied: &[i64]) -> Result<(), StoreError> {
    for (version, sql) in MIGRATIONS {
        if applied.contains(version) {
            continue;
        }
        let transaction = connection.transaction().map_err(unavailable)?;
        transaction.execute_batch(sql).map_err(unavailable)?;
        let dangling: i64 = transaction
            .query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |row| {
                row.get(0)
            })
            .map_err(unavailable)?;
        if dangling > 0 {
            return Err(StoreError::Corrupt(format!(
                "migration {version} leaves {dangling} rows with dangling references"
            )));
        }
        transaction
            .execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, unixepoch())",
                [version],
            )
            .map_err(unavailable)?;
        transaction.commit().map_err(unavailable)?;
    }
    Ok(())
}
