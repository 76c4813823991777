//! Migrations on a database that already holds data: a file written by an older Tally opens,
//! migrates, and keeps every row, constraint, index and trigger.

use std::path::{Path, PathBuf};

use rusqlite::Connection;
use tally_sqlite::SqliteStore;
use tally_store::{LedgerStore, ReadStore};

/// A fresh directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        use std::hash::{BuildHasher, Hasher};
        // RandomState's keys come from the OS's random source: a name no other run uses.
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write(name.as_bytes());
        let nanos = hasher.finish();
        let path = std::env::temp_dir().join(format!(
            "tally-sqlite-{name}-{}-{nanos}",
            std::process::id()
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

const BEFORE_VERSION_5: &[&str] = &[
    include_str!("../migrations/0001_ledger.sql"),
    include_str!("../migrations/0002_plans.sql"),
    include_str!("../migrations/0003_usage.sql"),
    include_str!("../migrations/0004_rate_cards.sql"),
];

/// A database as Tally with migrations 1 to 4 left it, with one row in every rebuilt table and
/// a purchase that refers to a grant (a rebuilt table other rows point at).
fn database_at_version_4(path: &Path) {
    let connection = Connection::open(path).expect("opening");
    connection
        .execute_batch(
            "CREATE TABLE schema_migrations (
                 version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT;",
        )
        .expect("schema_migrations");
    for (index, sql) in BEFORE_VERSION_5.iter().enumerate() {
        connection.execute_batch(sql).expect("an old migration");
        connection
            .execute(
                "INSERT INTO schema_migrations VALUES (?1, 0)",
                [index as i64 + 1],
            )
            .expect("recording it");
    }
    connection
        .execute_batch(
            "INSERT INTO accounts (id, overdraft_limit, created_at, posted, held,
                 overdraft_remaining, overdraft_reserved)
             VALUES ('acct_a', 0, 1, 4000, 1000, 0, 0);
             INSERT INTO grants (id, account_id, amount, remaining, reserved, source, priority,
                 effective_at, lifecycle, ordinal, created_at)
             VALUES ('gr_a', 'acct_a', 5000, 4000, 1000, 'pack', 0, 1, 'active', 1, 1);
             INSERT INTO holds (id, account_id, status, amount, captured, released, expires_at,
                 created_at, reservations)
             VALUES ('hold_a', 'acct_a', 'pending', 1000, 0, 0, 99, 2, 'gr_a:1000');
             INSERT INTO entries (id, account_id, type, amount, held, grant_id, created_at,
                 postings)
             VALUES ('ent_1', 'acct_a', 'grant', 5000, 0, 'gr_a', 1, 'gr_a:5000:0'),
                    ('ent_2', 'acct_a', 'charge', -1000, 0, NULL, 2, 'gr_a:-1000:0');
             INSERT INTO subscriptions (account_id, plan_id, plan_name, credits_per_seat, seats,
                 status, anchor, period_index, current_period_start, current_period_end,
                 period_grant_ids, created_at)
             VALUES ('acct_a', 'pro', 'Pro', 250000000, 1, 'active', 1, 0, 1, 2, '', 1);
             INSERT INTO purchases (id, account_id, pack_id, grant_id, credits, price_usd,
                 created_at)
             VALUES ('pur_a', 'acct_a', 'small', 'gr_a', 5000, '5.00', 1);
             INSERT INTO idempotency (scope, key, request_hash, status, body, created_at)
             VALUES ('admin', 'k-2', 'h2', 201, '{\"n\":2}', 2),
                    ('acct_a', 'k-1', 'h1', 201, '{\"n\":1}', 1),
                    ('admin', 'k-1', 'h0', 409, '{\"n\":0}', 1);",
        )
        .expect("rows");
}

fn count(connection: &Connection, sql: &str) -> i64 {
    connection
        .query_row(sql, [], |row| row.get(0))
        .expect("a count")
}

#[test]
fn the_latest_version_keeps_every_row_and_constraint_of_a_version_4_database() {
    let dir = TempDir::new("migrate5");
    let path = dir.0.join("old.db");
    database_at_version_4(&path);

    let store = SqliteStore::open(&path).expect("opening migrates");
    let grant = store.grant("gr_a").expect("read").expect("the grant");
    assert_eq!((grant.remaining.get(), grant.reserved.get()), (4000, 1000));
    assert!(store.hold("hold_a").expect("read").is_some());
    assert!(store.subscription("acct_a").expect("read").is_some());
    // Migration 15 keeps every idempotency record, in write order, each found by its key.
    for (scope, key, hash, status) in [
        ("admin", "k-1", "h0", 409),
        ("acct_a", "k-1", "h1", 201),
        ("admin", "k-2", "h2", 201),
    ] {
        let record = store.idempotency(scope, key).expect("read").expect(key);
        assert_eq!(
            (record.request_hash.as_str(), record.status),
            (hash, status)
        );
    }
    assert!(store.idempotency("acct_a", "k-2").expect("read").is_none());
    drop(store);

    let connection = Connection::open(&path).expect("reopening");
    connection
        .execute_batch("PRAGMA foreign_keys = ON;")
        .expect("foreign keys");
    // Migrated to the latest version (6 rebuilds entries again, with the same guarantees).
    assert_eq!(
        count(&connection, "SELECT MAX(version) FROM schema_migrations"),
        15
    );
    assert_eq!(
        count(
            &connection,
            "SELECT COUNT(*) FROM idempotency WHERE seq = 3 AND key = 'k-2'"
        ),
        1
    );
    // Migration 14 starts the audit log empty: no admin action is made up for the past.
    assert_eq!(count(&connection, "SELECT COUNT(*) FROM audit_log"), 0);
    // Migration 8 fills the hour and minute buckets from the charges already written: the one
    // charge (1 credit at 2 µs) is one hour bucket and one minute bucket, both starting at 0.
    assert_eq!(
        count(
            &connection,
            "SELECT COUNT(*) FROM usage_buckets WHERE account_id = 'acct_a' AND start = 0 \
             AND credits = 1000 AND count = 1 AND product = '' \
             AND (width = 3600000000 OR width = 60000000)"
        ),
        2
    );
    assert_eq!(count(&connection, "SELECT COUNT(*) FROM usage_buckets"), 2);
    // The purchase made before payments had a state was granted at once: it is completed,
    // with its grant, and its pack's validity is read back from that grant.
    assert_eq!(
        count(
            &connection,
            "SELECT COUNT(*) FROM purchases WHERE status = 'completed' AND grant_id = 'gr_a' \
             AND resolved_at = created_at AND pack_name = pack_id"
        ),
        1
    );
    for (table, rows) in [
        ("accounts", 1),
        ("grants", 1),
        ("holds", 1),
        ("entries", 2),
        ("subscriptions", 1),
        ("purchases", 1),
    ] {
        assert_eq!(
            count(&connection, &format!("SELECT COUNT(*) FROM {table}")),
            rows,
            "{table}"
        );
    }
    // The rebuilt tables keep their order (seq), their indexes and the append-only triggers.
    let ids: Vec<String> = connection
        .prepare("SELECT id FROM entries ORDER BY seq")
        .expect("prepare")
        .query_map([], |row| row.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(ids, ["ent_1", "ent_2"]);
    for index in [
        "grants_by_account",
        "grants_live",
        "holds_by_account",
        "holds_pending",
        "entries_by_account",
    ] {
        assert_eq!(
            count(
                &connection,
                &format!(
                    "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'index' AND name = '{index}'"
                )
            ),
            1,
            "{index}"
        );
    }
    let changed = connection.execute("UPDATE entries SET amount = 0 WHERE id = 'ent_1'", []);
    assert!(changed.is_err(), "entries stay append-only");
    let deleted = connection.execute("DELETE FROM entries", []);
    assert!(deleted.is_err(), "entries stay append-only");

    // The rewritten CHECKs refuse what the old ones refused.
    for refused in [
        "INSERT INTO entries (id, account_id, type, amount, held, created_at, postings)
         VALUES ('ent_x', 'acct_a', 'gift', 1, 0, 3, '')",
        "UPDATE grants SET lifecycle = 'paused' WHERE id = 'gr_a'",
        "UPDATE grants SET source = 'gift' WHERE id = 'gr_a'",
        "UPDATE holds SET status = 'open' WHERE id = 'hold_a'",
        "UPDATE subscriptions SET status = 'paused' WHERE account_id = 'acct_a'",
    ] {
        assert!(connection.execute(refused, []).is_err(), "{refused}");
    }
    // And references still hold, both ways.
    let orphan = connection.execute(
        "INSERT INTO grants (id, account_id, amount, remaining, reserved, source, priority,
             effective_at, lifecycle, ordinal, created_at)
         VALUES ('gr_b', 'acct_nobody', 5, 5, 0, 'pack', 0, 1, 'active', 2, 1)",
        [],
    );
    assert!(orphan.is_err(), "a grant needs its account");
    let referenced =
        connection.execute("UPDATE grants SET id = 'gr_renamed' WHERE id = 'gr_a'", []);
    assert!(referenced.is_err(), "a purchase still points at its grant");
}

/// Version 6 (holds in parts, refunds): an old hold opens with an empty record of what its
/// captures took, and the entries table takes the type `refund` and still refuses others.
#[test]
fn version_6_keeps_old_holds_and_takes_refund_entries() {
    let dir = TempDir::new("migrate6");
    let path = dir.0.join("old.db");
    database_at_version_4(&path);

    let store = SqliteStore::open(&path).expect("opening migrates");
    let hold = store.hold("hold_a").expect("read").expect("the hold");
    assert!(hold.captured_from.is_empty());
    assert_eq!(hold.captured_at, None);
    drop(store);

    let connection = Connection::open(&path).expect("reopening");
    connection
        .execute(
            "INSERT INTO entries (id, account_id, type, amount, held, created_at, postings)
             VALUES ('ent_r', 'acct_a', 'refund', 1, 0, 3, 'gr_a:1:0')",
            [],
        )
        .expect("a refund entry");
    assert_eq!(count(&connection, "SELECT COUNT(*) FROM entries"), 3);
    let gift = connection.execute(
        "INSERT INTO entries (id, account_id, type, amount, held, created_at, postings)
         VALUES ('ent_x', 'acct_a', 'gift', 1, 0, 3, '')",
        [],
    );
    assert!(gift.is_err(), "other types are refused");
    let changed = connection.execute("UPDATE entries SET amount = 0 WHERE id = 'ent_r'", []);
    assert!(changed.is_err(), "entries stay append-only");
    let both = connection.execute(
        "INSERT INTO refunds (id, account_id, charge_id, hold_id, amount, restored, expired,
             created_at) VALUES ('ref_x', 'acct_a', 'chg_1', 'hold_a', 1, '', 0, 3)",
        [],
    );
    assert!(
        both.is_err(),
        "a refund is of a charge or of a hold, not both"
    );
}

/// No CHECK on a table the engine writes uses an `IN (...)` list: SQLite builds a temporary
/// b-tree for such a list on every row written.
#[test]
fn tables_written_per_command_have_no_in_list_checks() {
    let dir = TempDir::new("inlists");
    let path = dir.0.join("fresh.db");
    drop(SqliteStore::open(&path).expect("opening"));
    let connection = Connection::open(&path).expect("reopening");
    let tables: Vec<(String, String)> = connection
        .prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'table'")
        .expect("prepare")
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert!(tables.iter().any(|(name, _)| name == "entries"));
    for (name, sql) in tables {
        assert!(
            !sql.to_ascii_uppercase().contains(" IN ("),
            "{name} has an IN list: {sql}"
        );
    }
}

#[test]
fn portal_links_keep_their_life_bounds_in_the_schema_too() {
    let dir = TempDir::new("portal");
    let path = dir.0.join("portal.db");
    drop(SqliteStore::open(&path).expect("a fresh store"));
    let connection = Connection::open(&path).expect("reopening");
    connection
        .execute_batch(
            "INSERT INTO accounts (id, overdraft_limit, created_at, posted, held, \
             overdraft_remaining, overdraft_reserved) VALUES ('acct_p', 0, 0, 0, 0, 0, 0);",
        )
        .expect("an account");
    let insert = |id: &str, expires_at: i64| {
        connection.execute(
            "INSERT INTO portal_links (id, account_id, token_hash, created_at, expires_at) \
             VALUES (?1, 'acct_p', ?1, 1000000, ?2)",
            rusqlite::params![id, expires_at],
        )
    };
    // A life of 1 s to an hour, as the core allows.
    insert("p_ok", 1_000_000 + 300_000_000).expect("a link of 300 s");
    assert!(insert("p_none", 1_000_000).is_err(), "no life at all");
    assert!(
        insert("p_long", 1_000_000 + 3_600_000_001).is_err(),
        "longer than an hour"
    );
    let used = |at: i64| {
        connection.execute(
            "UPDATE portal_links SET used_at = ?1 WHERE id = 'p_ok'",
            [at],
        )
    };
    assert!(used(1_000_000 + 300_000_000).is_err(), "used at its expiry");
    assert!(used(999_999).is_err(), "used before it was made");
    assert_eq!(used(2_000_000).expect("used in its life"), 1);
}
