//! The embedded SQLite backend, Tally's default store.
//!
//! One writer connection (used only by the ledger engine, so SQLite never sees two writers)
//! and a small pool of reader connections. WAL mode with `synchronous=FULL`: a commit is on
//! disk when `commit` returns. Migrations are embedded and applied in order at open.

mod verify;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, Transaction, params};
use tally_core::usage::UsageDelta;
use tally_core::{
    Account, AccountState, AccountTotals, Attribution, Charge, Entry, EntryKind, Grant,
    GrantLifecycle, GrantSource, GrantStatus, Hold, HoldStatus, Millicredits, Subscription,
    SubscriptionStatus, Timestamp,
};
use tally_store::codec;
use tally_store::{
    AccountRow, ApiKeyRecord, BatchWrite, EntryFilter, IdempotencyRecord, Page, PageError,
    PageRequest, PurchaseRecord, RateCardRecord, Store, StoreError, UsageDimension, UsageGroup,
    VerifyReport,
};

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
];

/// How many idle reader connections are kept.
const READER_CONNECTIONS_IDLE_MAX: usize = 16;

/// The embedded store.
pub struct SqliteStore {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    checkpointer: Option<std::thread::JoinHandle<()>>,
    stop: Arc<AtomicBool>,
}

/// The writer's page cache, in KiB.
const WRITER_CACHE_KIB: u32 = 32_768;

/// How much of the database file connections map into memory: none. Mapped pages count in
/// the server's RSS (and in a container's memory limit) for every page any connection has
/// touched: 115 MiB of a 258 MiB RSS with 100,000 accounts, for no throughput the bench
/// could tell apart from noise. Reads go through each connection's own page cache.
const MMAP_BYTES: u64 = 0;

/// The WAL size (in pages) at which the writer checkpoints what is left (32 MiB).
const WAL_AUTOCHECKPOINT_PAGES: u32 = 8192;

/// How often the checkpointer copies the WAL back into the database file (often, so the
/// writer's own checkpoints find little left to copy).
const CHECKPOINT_INTERVAL: std::time::Duration = std::time::Duration::from_millis(50);

/// Checkpoints the WAL from its own connection (PASSIVE: it never blocks the writer or the
/// readers), so commits mostly don't pay for it; a last full checkpoint when the store closes.
fn spawn_checkpointer(
    path: &Path,
    stop: Arc<AtomicBool>,
) -> Result<std::thread::JoinHandle<()>, StoreError> {
    let connection = Connection::open(path).map_err(unavailable)?;
    connection
        .busy_timeout(std::time::Duration::from_secs(5))
        .map_err(unavailable)?;
    let thread = std::thread::Builder::new()
        .name("tally-checkpoint".into())
        .spawn(move || {
            let step = std::time::Duration::from_millis(25);
            let mut waited = std::time::Duration::ZERO;
            while !stop.load(Ordering::SeqCst) {
                std::thread::sleep(step);
                waited += step;
                if waited >= CHECKPOINT_INTERVAL {
                    waited = std::time::Duration::ZERO;
                    let _ = connection.execute_batch("PRAGMA wal_checkpoint(PASSIVE);");
                }
            }
            let _ = connection.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);");
        })
        .map_err(|error| StoreError::Unavailable(error.to_string()))?;
    Ok(thread)
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(checkpointer) = self.checkpointer.take() {
            let _ = checkpointer.join();
        }
    }
}

fn unavailable(error: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(error.to_string())
}

fn corrupt(what: impl Into<String>) -> StoreError {
    StoreError::Corrupt(what.into())
}

impl SqliteStore {
    /// Opens (creating and migrating when needed) the database at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let mut writer = Connection::open(&path).map_err(unavailable)?;
        // The writer keeps a large page cache and leaves most checkpointing to the
        // checkpointer thread, so a commit is usually the batch's pages and one fsync of the
        // WAL. But a PASSIVE checkpoint running beside a busy writer never catches up with
        // it, and the WAL only starts over once everything in it is checkpointed: left alone
        // it grew by 3 GB in 12 s of charges, every frame landing on a freshly allocated
        // (zeroed) block. So the writer checkpoints too, once the WAL holds
        // WAL_AUTOCHECKPOINT_PAGES: it copies only what the checkpointer has not, and the
        // next commit starts the WAL over. The WAL stays near that size under any load.
        writer
            .execute_batch(&format!(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = FULL;
                 PRAGMA foreign_keys = ON;
                 PRAGMA busy_timeout = 5000;
                 PRAGMA cache_size = -{WRITER_CACHE_KIB};
                 PRAGMA mmap_size = {MMAP_BYTES};
                 PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES};"
            ))
            .map_err(unavailable)?;
        migrate(&mut writer)?;
        let stop = Arc::new(AtomicBool::new(false));
        let checkpointer = spawn_checkpointer(&path, stop.clone())?;
        Ok(SqliteStore {
            path,
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
            checkpointer: Some(checkpointer),
            stop,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn with_reader<T>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, rusqlite::Error>,
    ) -> Result<T, StoreError> {
        let idle = self
            .readers
            .lock()
            .expect("sqlite: reader pool poisoned")
            .pop();
        let connection = match idle {
            Some(connection) => connection,
            None => {
                let connection = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .map_err(unavailable)?;
                connection
                    .busy_timeout(std::time::Duration::from_secs(5))
                    .map_err(unavailable)?;
                connection
                    .execute_batch(&format!("PRAGMA mmap_size = {MMAP_BYTES};"))
                    .map_err(unavailable)?;
                connection
            }
        };
        let result = read(&connection).map_err(unavailable);
        let mut readers = self.readers.lock().expect("sqlite: reader pool poisoned");
        if readers.len() < READER_CONNECTIONS_IDLE_MAX {
            readers.push(connection);
        }
        result
    }

    fn page<T>(
        &self,
        table: &str,
        account_id: Option<&str>,
        extra_where: &str,
        extra_params: Vec<Box<dyn rusqlite::ToSql>>,
        page: &PageRequest,
        map: fn(&Row) -> Result<T, rusqlite::Error>,
    ) -> Result<Page<T>, PageError> {
        let limit = page.limit;
        let starting_after = page.starting_after.clone();
        let account_id = account_id.map(str::to_string);
        let table = table.to_string();
        let extra_where = extra_where.to_string();
        let result = self.with_reader(move |connection| {
            let cursor_seq: Option<i64> = match &starting_after {
                None => None,
                Some(id) => {
                    let sql = format!("SELECT seq FROM {table} WHERE id = ?1");
                    let seq = connection
                        .query_row(&sql, [id], |row| row.get(0))
                        .optional()?;
                    match seq {
                        Some(seq) => Some(seq),
                        None => return Ok(None),
                    }
                }
            };
            let mut sql = format!("SELECT * FROM {table} WHERE 1 = 1");
            let mut values: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
            if let Some(account_id) = account_id {
                values.push(Box::new(account_id));
                sql.push_str(&format!(" AND account_id = ?{}", values.len()));
            }
            if let Some(seq) = cursor_seq {
                values.push(Box::new(seq));
                sql.push_str(&format!(" AND seq < ?{}", values.len()));
            }
            let base = values.len();
            sql.push_str(&extra_where);
            for (offset, value) in extra_params.into_iter().enumerate() {
                sql = sql.replace(
                    &format!("?{{{offset}}}"),
                    &format!("?{}", base + offset + 1),
                );
                values.push(value);
            }
            values.push(Box::new((limit + 1) as i64));
            sql.push_str(&format!(" ORDER BY seq DESC LIMIT ?{}", values.len()));
            let mut statement = connection.prepare_cached(&sql)?;
            let rows = statement.query_map(
                rusqlite::params_from_iter(values.iter().map(std::convert::AsRef::as_ref)),
                map,
            )?;
            let mut data = rows.collect::<Result<Vec<T>, _>>()?;
            let has_more = data.len() > limit;
            data.truncate(limit);
            Ok(Some(Page { data, has_more }))
        })?;
        result.ok_or(PageError::UnknownCursor)
    }
}

fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    connection
        .execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT;",
        )
        .map_err(unavailable)?;
    let applied: i64 = connection
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |row| row.get(0),
        )
        .map_err(unavailable)?;
    // A migration may rebuild a table others refer to (SQLite's way to change a constraint):
    // foreign keys are off while it runs, as SQLite's documentation prescribes, and checked
    // before it commits.
    connection
        .execute_batch("PRAGMA foreign_keys = OFF;")
        .map_err(unavailable)?;
    let migrated = apply_migrations(connection, applied);
    connection
        .execute_batch("PRAGMA foreign_keys = ON;")
        .map_err(unavailable)?;
    migrated
}

fn apply_migrations(connection: &mut Connection, applied: i64) -> Result<(), StoreError> {
    for (version, sql) in MIGRATIONS {
        if *version <= applied {
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
            return Err(corrupt(format!(
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

fn timestamp(micros: i64) -> Timestamp {
    Timestamp::from_micros(micros)
}

fn millicredits(row: &Row, column: &str) -> Result<Millicredits, rusqlite::Error> {
    Ok(Millicredits::new(row.get(column)?))
}

fn bad_column(column: &str, value: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("sqlite: unexpected {column} {value:?}").into(),
    )
}

fn account_row(row: &Row) -> Result<AccountRow, rusqlite::Error> {
    Ok(AccountRow {
        account: Account {
            id: row.get("id")?,
            name: row.get("name")?,
            overdraft_limit: millicredits(row, "overdraft_limit")?,
            metadata: row.get("metadata")?,
            created_at: timestamp(row.get("created_at")?),
        },
        totals: AccountTotals {
            posted: millicredits(row, "posted")?,
            held: millicredits(row, "held")?,
            overdraft_remaining: millicredits(row, "overdraft_remaining")?,
            overdraft_reserved: millicredits(row, "overdraft_reserved")?,
        },
    })
}

fn grant_row(row: &Row) -> Result<Grant, rusqlite::Error> {
    let source: String = row.get("source")?;
    let lifecycle: String = row.get("lifecycle")?;
    Ok(Grant {
        id: row.get("id")?,
        account_id: row.get("account_id")?,
        amount: millicredits(row, "amount")?,
        remaining: millicredits(row, "remaining")?,
        reserved: millicredits(row, "reserved")?,
        source: GrantSource::parse(&source).ok_or_else(|| bad_column("source", &source))?,
        priority: row.get("priority")?,
        effective_at: timestamp(row.get("effective_at")?),
        expires_at: row.get::<_, Option<i64>>("expires_at")?.map(timestamp),
        lifecycle: GrantLifecycle::parse(&lifecycle)
            .ok_or_else(|| bad_column("lifecycle", &lifecycle))?,
        ordinal: row.get("ordinal")?,
        created_at: timestamp(row.get("created_at")?),
        description: row.get("description")?,
        metadata: row.get("metadata")?,
    })
}

fn attribution(row: &Row) -> Result<Attribution, rusqlite::Error> {
    Ok(Attribution {
        product: row.get("product")?,
        member: row.get("member")?,
        model: row.get("model")?,
        action: row.get("action")?,
        rate_card_version: row.get("rate_card_version")?,
        quote_id: row.get("quote_id")?,
    })
}

fn hold_row(row: &Row) -> Result<Hold, rusqlite::Error> {
    let status: String = row.get("status")?;
    let reservations: String = row.get("reservations")?;
    Ok(Hold {
        id: row.get("id")?,
        account_id: row.get("account_id")?,
        status: HoldStatus::parse(&status).ok_or_else(|| bad_column("status", &status))?,
        amount: millicredits(row, "amount")?,
        captured: millicredits(row, "captured")?,
        released: millicredits(row, "released")?,
        expires_at: timestamp(row.get("expires_at")?),
        created_at: timestamp(row.get("created_at")?),
        resolved_at: row.get::<_, Option<i64>>("resolved_at")?.map(timestamp),
        attribution: attribution(row)?,
        description: row.get("description")?,
        metadata: row.get("metadata")?,
        reservations: codec::decode_reservations(&reservations)
            .ok_or_else(|| bad_column("reservations", &reservations))?,
        extra: row.get("extra")?,
    })
}

fn charge_row(row: &Row) -> Result<Charge, rusqlite::Error> {
    let drawn: String = row.get("drawn")?;
    Ok(Charge {
        id: row.get("id")?,
        account_id: row.get("account_id")?,
        amount: millicredits(row, "amount")?,
        drawn: codec::decode_drawn(&drawn).ok_or_else(|| bad_column("drawn", &drawn))?,
        overdraft: millicredits(row, "overdraft")?,
        available_after: millicredits(row, "available_after")?,
        attribution: attribution(row)?,
        description: row.get("description")?,
        metadata: row.get("metadata")?,
        created_at: timestamp(row.get("created_at")?),
        extra: row.get("extra")?,
    })
}

fn entry_row(row: &Row) -> Result<Entry, rusqlite::Error> {
    let kind: String = row.get("type")?;
    let postings: String = row.get("postings")?;
    Ok(Entry {
        id: row.get("id")?,
        account_id: row.get("account_id")?,
        kind: EntryKind::parse(&kind).ok_or_else(|| bad_column("type", &kind))?,
        amount: millicredits(row, "amount")?,
        held: millicredits(row, "held")?,
        grant_id: row.get("grant_id")?,
        hold_id: row.get("hold_id")?,
        charge_id: row.get("charge_id")?,
        attribution: attribution(row)?,
        description: row.get("description")?,
        created_at: timestamp(row.get("created_at")?),
        postings: codec::decode_postings(&postings)
            .ok_or_else(|| bad_column("postings", &postings))?,
    })
}

fn subscription_row(row: &Row) -> Result<Subscription, rusqlite::Error> {
    let status: String = row.get("status")?;
    let grant_ids: String = row.get("period_grant_ids")?;
    let seats: i64 = row.get("seats")?;
    let next_period_seats: Option<i64> = row.get("next_period_seats")?;
    Ok(Subscription {
        account_id: row.get("account_id")?,
        plan_id: row.get("plan_id")?,
        plan_name: row.get("plan_name")?,
        credits_per_seat: millicredits(row, "credits_per_seat")?,
        seats: u32::try_from(seats).map_err(|_| bad_column("seats", &seats.to_string()))?,
        next_period_seats: next_period_seats.and_then(|seats| u32::try_from(seats).ok()),
        status: SubscriptionStatus::parse(&status).ok_or_else(|| bad_column("status", &status))?,
        anchor: timestamp(row.get("anchor")?),
        period_index: row.get("period_index")?,
        current_period_start: timestamp(row.get("current_period_start")?),
        current_period_end: timestamp(row.get("current_period_end")?),
        period_grant_ids: grant_ids
            .split(';')
            .filter(|id| !id.is_empty())
            .map(str::to_string)
            .collect(),
        created_at: timestamp(row.get("created_at")?),
        canceled_at: row.get::<_, Option<i64>>("canceled_at")?.map(timestamp),
    })
}

fn purchase_row(row: &Row) -> Result<PurchaseRecord, rusqlite::Error> {
    Ok(PurchaseRecord {
        id: row.get("id")?,
        account_id: row.get("account_id")?,
        pack_id: row.get("pack_id")?,
        grant_id: row.get("grant_id")?,
        credits: millicredits(row, "credits")?,
        price_usd: row.get("price_usd")?,
        created_at: timestamp(row.get("created_at")?),
    })
}

fn api_key_row(row: &Row) -> Result<ApiKeyRecord, rusqlite::Error> {
    Ok(ApiKeyRecord {
        id: row.get("id")?,
        account_id: row.get("account_id")?,
        key_hash: row.get("key_hash")?,
        created_at: timestamp(row.get("created_at")?),
        last_used_at: row.get::<_, Option<i64>>("last_used_at")?.map(timestamp),
        revoked_at: row.get::<_, Option<i64>>("revoked_at")?.map(timestamp),
    })
}

/// Writes batches, in order, in one transaction.
fn write_batches(
    connection: &mut Connection,
    batches: &[&BatchWrite],
) -> Result<(), rusqlite::Error> {
    let transaction =
        connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    for batch in batches {
        write_batch(&transaction, batch)?;
    }
    transaction.commit()
}

fn write_batch(transaction: &Transaction, batch: &BatchWrite) -> Result<(), rusqlite::Error> {
    {
        let mut insert_account = transaction.prepare_cached(
            "INSERT INTO accounts (id, name, overdraft_limit, metadata, created_at, posted, held,
                 overdraft_remaining, overdraft_reserved)
             VALUES (?1, ?2, ?3, ?4, ?5, 0, 0, 0, 0)",
        )?;
        for account in &batch.new_accounts {
            insert_account.execute(params![
                account.id,
                account.name,
                account.overdraft_limit.get(),
                account.metadata,
                account.created_at.as_micros(),
            ])?;
        }
        let mut upsert_grant = transaction.prepare_cached(
            "INSERT INTO grants (id, account_id, amount, remaining, reserved, source, priority,
                 effective_at, expires_at, lifecycle, ordinal, created_at, description, metadata)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
             ON CONFLICT (id) DO UPDATE SET remaining = excluded.remaining,
                 reserved = excluded.reserved, lifecycle = excluded.lifecycle",
        )?;
        for grant in &batch.effects.grants {
            upsert_grant.execute(params![
                grant.id,
                grant.account_id,
                grant.amount.get(),
                grant.remaining.get(),
                grant.reserved.get(),
                grant.source.as_str(),
                grant.priority,
                grant.effective_at.as_micros(),
                grant.expires_at.map(Timestamp::as_micros),
                grant.lifecycle.as_str(),
                grant.ordinal,
                grant.created_at.as_micros(),
                grant.description,
                grant.metadata,
            ])?;
        }
        let mut upsert_hold = transaction.prepare_cached(
            "INSERT INTO holds (id, account_id, status, amount, captured, released, expires_at,
                 created_at, resolved_at, product, member, model, action, rate_card_version,
                 quote_id, description, metadata, reservations, extra)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                 ?18, ?19)
             ON CONFLICT (id) DO UPDATE SET status = excluded.status,
                 captured = excluded.captured, released = excluded.released,
                 resolved_at = excluded.resolved_at, reservations = excluded.reservations,
                 extra = excluded.extra",
        )?;
        for hold in &batch.effects.holds {
            let attribution = &hold.attribution;
            upsert_hold.execute(params![
                hold.id,
                hold.account_id,
                hold.status.as_str(),
                hold.amount.get(),
                hold.captured.get(),
                hold.released.get(),
                hold.expires_at.as_micros(),
                hold.created_at.as_micros(),
                hold.resolved_at.map(Timestamp::as_micros),
                attribution.product,
                attribution.member,
                attribution.model,
                attribution.action,
                attribution.rate_card_version,
                attribution.quote_id,
                hold.description,
                hold.metadata,
                codec::encode_reservations(&hold.reservations),
                hold.extra,
            ])?;
        }
        let mut insert_charge = transaction.prepare_cached(
            "INSERT INTO charges (id, account_id, amount, drawn, overdraft, available_after,
                 product, member, model, action, rate_card_version, quote_id, description,
                 metadata, extra, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        )?;
        for charge in &batch.effects.charges {
            let attribution = &charge.attribution;
            insert_charge.execute(params![
                charge.id,
                charge.account_id,
                charge.amount.get(),
                codec::encode_drawn(&charge.drawn),
                charge.overdraft.get(),
                charge.available_after.get(),
                attribution.product,
                attribution.member,
                attribution.model,
                attribution.action,
                attribution.rate_card_version,
                attribution.quote_id,
                charge.description,
                charge.metadata,
                charge.extra,
                charge.created_at.as_micros(),
            ])?;
        }
        let mut insert_entry = transaction.prepare_cached(
            "INSERT INTO entries (id, account_id, type, amount, held, grant_id, hold_id,
                 charge_id, product, member, model, action, rate_card_version, quote_id,
                 description, created_at, postings)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
        )?;
        for entry in &batch.effects.entries {
            let attribution = &entry.attribution;
            insert_entry.execute(params![
                entry.id,
                entry.account_id,
                entry.kind.as_str(),
                entry.amount.get(),
                entry.held.get(),
                entry.grant_id,
                entry.hold_id,
                entry.charge_id,
                attribution.product,
                attribution.member,
                attribution.model,
                attribution.action,
                attribution.rate_card_version,
                attribution.quote_id,
                entry.description,
                entry.created_at.as_micros(),
                codec::encode_postings(&entry.postings),
            ])?;
        }
        let mut upsert_subscription = transaction.prepare_cached(
            "INSERT INTO subscriptions (account_id, plan_id, plan_name, credits_per_seat, seats,
                 next_period_seats, status, anchor, period_index, current_period_start,
                 current_period_end, period_grant_ids, created_at, canceled_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
             ON CONFLICT (account_id) DO UPDATE SET plan_id = excluded.plan_id,
                 plan_name = excluded.plan_name, credits_per_seat = excluded.credits_per_seat,
                 seats = excluded.seats, next_period_seats = excluded.next_period_seats,
                 status = excluded.status, anchor = excluded.anchor,
                 period_index = excluded.period_index,
                 current_period_start = excluded.current_period_start,
                 current_period_end = excluded.current_period_end,
                 period_grant_ids = excluded.period_grant_ids,
                 canceled_at = excluded.canceled_at",
        )?;
        for subscription in &batch.effects.subscriptions {
            upsert_subscription.execute(params![
                subscription.account_id,
                subscription.plan_id,
                subscription.plan_name,
                subscription.credits_per_seat.get(),
                subscription.seats,
                subscription.next_period_seats,
                subscription.status.as_str(),
                subscription.anchor.as_micros(),
                subscription.period_index,
                subscription.current_period_start.as_micros(),
                subscription.current_period_end.as_micros(),
                subscription.period_grant_ids.join(";"),
                subscription.created_at.as_micros(),
                subscription.canceled_at.map(Timestamp::as_micros),
            ])?;
        }
        let mut insert_purchase = transaction.prepare_cached(
            "INSERT INTO purchases (id, account_id, pack_id, grant_id, credits, price_usd, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for purchase in &batch.new_purchases {
            insert_purchase.execute(params![
                purchase.id,
                purchase.account_id,
                purchase.pack_id,
                purchase.grant_id,
                purchase.credits.get(),
                purchase.price_usd,
                purchase.created_at.as_micros(),
            ])?;
        }
        let mut add_usage = transaction.prepare_cached(
            "INSERT INTO usage_daily (account_id, day, product, model, member, action, credits, count)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (account_id, day, product, model, member, action) DO UPDATE SET
                 credits = credits + excluded.credits, count = count + excluded.count",
        )?;
        for (key, delta) in &batch.usage {
            add_usage.execute(params![
                key.account_id,
                key.day,
                key.product,
                key.model,
                key.member,
                key.action,
                delta.credits.get(),
                delta.count,
            ])?;
        }
        let mut insert_rate_card = transaction.prepare_cached(
            "INSERT INTO rate_cards (version, effective_at, document, created_at)
             VALUES (?1, ?2, ?3, ?4)",
        )?;
        for card in &batch.new_rate_cards {
            insert_rate_card.execute(params![
                card.version,
                card.effective_at.as_micros(),
                card.document,
                card.created_at.as_micros(),
            ])?;
        }
        let mut update_totals = transaction.prepare_cached(
            "UPDATE accounts SET posted = ?2, held = ?3, overdraft_remaining = ?4,
                 overdraft_reserved = ?5 WHERE id = ?1",
        )?;
        for (account_id, totals) in &batch.account_totals {
            update_totals.execute(params![
                account_id,
                totals.posted.get(),
                totals.held.get(),
                totals.overdraft_remaining.get(),
                totals.overdraft_reserved.get(),
            ])?;
        }
        let mut insert_idempotency = transaction.prepare_cached(
            "INSERT INTO idempotency (scope, key, request_hash, status, body, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for record in &batch.idempotency {
            insert_idempotency.execute(params![
                record.scope,
                record.key,
                record.request_hash,
                record.status,
                record.body,
                record.created_at.as_micros(),
            ])?;
        }
        let mut insert_key = transaction.prepare_cached(
            "INSERT INTO api_keys (id, account_id, key_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for key in &batch.new_api_keys {
            insert_key.execute(params![
                key.id,
                key.account_id,
                key.key_hash,
                key.created_at.as_micros()
            ])?;
        }
        let mut revoke_key = transaction.prepare_cached(
            "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        )?;
        for (key_id, at) in &batch.revoked_api_keys {
            revoke_key.execute(params![key_id, at.as_micros()])?;
        }
        let mut upsert_meta = transaction.prepare_cached(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )?;
        let mut touch_key =
            transaction.prepare_cached("UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1")?;
        for (key_id, at) in &batch.touched_api_keys {
            touch_key.execute(params![key_id, at.as_micros()])?;
        }
        for (key, value) in &batch.meta {
            upsert_meta.execute(params![key, value])?;
        }
        let mut insert_meta = transaction
            .prepare_cached("INSERT OR IGNORE INTO meta (key, value) VALUES (?1, ?2)")?;
        for (key, value) in &batch.meta_if_absent {
            insert_meta.execute(params![key, value])?;
        }
    }
    Ok(())
}

impl Store for SqliteStore {
    fn load_states(&self) -> Result<Vec<AccountState>, StoreError> {
        let connection = self.writer.lock().expect("sqlite: writer poisoned");
        let read = || -> Result<_, rusqlite::Error> {
            let mut statement = connection.prepare("SELECT * FROM accounts ORDER BY seq")?;
            let accounts = statement
                .query_map([], account_row)?
                .collect::<Result<Vec<_>, _>>()?;
            let mut statement = connection.prepare(
                "SELECT * FROM grants WHERE lifecycle = 'pending'
                     OR (lifecycle = 'active' AND remaining > 0) OR reserved > 0",
            )?;
            let grants = statement
                .query_map([], grant_row)?
                .collect::<Result<Vec<_>, _>>()?;
            let mut statement =
                connection.prepare("SELECT * FROM holds WHERE status = 'pending'")?;
            let holds = statement
                .query_map([], hold_row)?
                .collect::<Result<Vec<_>, _>>()?;
            let mut statement = connection.prepare("SELECT * FROM subscriptions")?;
            let subscriptions = statement
                .query_map([], subscription_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok((accounts, grants, holds, subscriptions))
        };
        let (accounts, grants, holds, subscriptions) = read().map_err(unavailable)?;
        let mut subscriptions: HashMap<String, Subscription> = subscriptions
            .into_iter()
            .map(|subscription| (subscription.account_id.clone(), subscription))
            .collect();
        let mut grants_by_account: HashMap<String, Vec<Grant>> = HashMap::new();
        for grant in grants {
            grants_by_account
                .entry(grant.account_id.clone())
                .or_default()
                .push(grant);
        }
        let mut holds_by_account: HashMap<String, Vec<Hold>> = HashMap::new();
        for hold in holds {
            holds_by_account
                .entry(hold.account_id.clone())
                .or_default()
                .push(hold);
        }
        accounts
            .into_iter()
            .map(|row| {
                let grants = grants_by_account
                    .remove(&row.account.id)
                    .unwrap_or_default();
                let holds = holds_by_account.remove(&row.account.id).unwrap_or_default();
                let subscription = subscriptions.remove(&row.account.id);
                let mut state = AccountState::restore(row.account, row.totals, grants, holds)
                    .map_err(corrupt)?;
                if let Some(subscription) = subscription {
                    state.restore_subscription(subscription);
                }
                Ok(state)
            })
            .collect()
    }

    fn max_grant_ordinal(&self) -> Result<i64, StoreError> {
        let connection = self.writer.lock().expect("sqlite: writer poisoned");
        connection
            .query_row("SELECT COALESCE(MAX(ordinal), 0) FROM grants", [], |row| {
                row.get(0)
            })
            .map_err(unavailable)
    }

    fn commit_many(&self, batches: &[&BatchWrite]) -> Result<(), StoreError> {
        let mut connection = self.writer.lock().expect("sqlite: writer poisoned");
        write_batches(&mut connection, batches).map_err(unavailable)
    }

    fn idempotency(&self, scope: &str, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        // From a reader: the writer connection is busy committing while the engine applies
        // the next batch (records not yet committed, the engine remembers itself).
        self.with_reader(|connection| {
            connection
                .prepare_cached("SELECT * FROM idempotency WHERE scope = ?1 AND key = ?2")?
                .query_row([scope, key], |row| {
                    Ok(IdempotencyRecord {
                        scope: row.get("scope")?,
                        key: row.get("key")?,
                        request_hash: row.get("request_hash")?,
                        status: row.get("status")?,
                        body: row.get("body")?,
                        created_at: timestamp(row.get("created_at")?),
                    })
                })
                .optional()
        })
    }

    fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        let key = key.to_string();
        self.with_reader(move |connection| {
            connection
                .query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| {
                    row.get(0)
                })
                .optional()
        })
    }

    fn ping(&self) -> Result<(), StoreError> {
        self.with_reader(|connection| connection.query_row("SELECT 1", [], |_| Ok(())))
    }

    fn account(&self, id: &str) -> Result<Option<AccountRow>, StoreError> {
        self.with_reader(|connection| {
            connection
                .prepare_cached("SELECT * FROM accounts WHERE id = ?1")?
                .query_row([id], account_row)
                .optional()
        })
    }

    fn accounts(&self, page: &PageRequest) -> Result<Page<AccountRow>, PageError> {
        self.page("accounts", None, "", Vec::new(), page, account_row)
    }

    fn balance_grants(&self, account_id: &str) -> Result<Vec<Grant>, StoreError> {
        self.with_reader(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT * FROM grants WHERE account_id = ?1
                     AND ((lifecycle = 'active' AND remaining > 0) OR reserved > 0)",
            )?;
            let mut grants = statement
                .query_map([account_id], grant_row)?
                .collect::<Result<Vec<_>, _>>()?;
            grants.sort_by_key(Grant::spend_key);
            Ok(grants)
        })
    }

    fn grant(&self, id: &str) -> Result<Option<Grant>, StoreError> {
        self.with_reader(|connection| {
            connection
                .prepare_cached("SELECT * FROM grants WHERE id = ?1")?
                .query_row([id], grant_row)
                .optional()
        })
    }

    fn grants(
        &self,
        account_id: &str,
        status: Option<GrantStatus>,
        page: &PageRequest,
    ) -> Result<Page<Grant>, PageError> {
        let condition = match status {
            None => "",
            Some(GrantStatus::Pending) => " AND lifecycle = 'pending'",
            Some(GrantStatus::Active) => " AND lifecycle = 'active' AND remaining > 0",
            Some(GrantStatus::Depleted) => " AND lifecycle = 'active' AND remaining = 0",
            Some(GrantStatus::Expired) => " AND lifecycle = 'expired'",
            Some(GrantStatus::Voided) => " AND lifecycle = 'voided'",
        };
        self.page(
            "grants",
            Some(account_id),
            condition,
            Vec::new(),
            page,
            grant_row,
        )
    }

    fn hold(&self, id: &str) -> Result<Option<Hold>, StoreError> {
        self.with_reader(|connection| {
            connection
                .prepare_cached("SELECT * FROM holds WHERE id = ?1")?
                .query_row([id], hold_row)
                .optional()
        })
    }

    fn subscription(&self, account_id: &str) -> Result<Option<Subscription>, StoreError> {
        self.with_reader(|connection| {
            connection
                .prepare_cached("SELECT * FROM subscriptions WHERE account_id = ?1")?
                .query_row([account_id], subscription_row)
                .optional()
        })
    }

    fn purchases(
        &self,
        account_id: &str,
        page: &PageRequest,
    ) -> Result<Page<PurchaseRecord>, PageError> {
        self.page(
            "purchases",
            Some(account_id),
            "",
            Vec::new(),
            page,
            purchase_row,
        )
    }

    fn usage(
        &self,
        account_id: &str,
        from: Timestamp,
        to: Timestamp,
        group_by: &[UsageDimension],
    ) -> Result<Vec<(UsageGroup, UsageDelta)>, StoreError> {
        use tally_core::usage::{MICROS_PER_DAY, day_of, day_start};
        let mut groups: HashMap<UsageGroup, UsageDelta> = HashMap::new();
        if from >= to {
            return Ok(Vec::new());
        }
        // Whole days [first_day, end_day) from the aggregates; the rest from the entries.
        let first_day = day_of(Timestamp::from_micros(
            from.as_micros() + MICROS_PER_DAY - 1,
        ));
        let end_day = day_of(to);
        let columns: Vec<&str> = group_by
            .iter()
            .map(|dimension| match dimension {
                UsageDimension::Day => "day",
                UsageDimension::Product => "product",
                UsageDimension::Model => "model",
                UsageDimension::Member => "member",
                UsageDimension::Action => "action",
            })
            .collect();
        let select_groups = |day_expression: &str, text_expression: fn(&str) -> String| -> String {
            columns
                .iter()
                .map(|column| {
                    if *column == "day" {
                        day_expression.to_string()
                    } else {
                        text_expression(column)
                    }
                })
                .map(|expression| format!("{expression}, "))
                .collect()
        };
        let group_clause = if columns.is_empty() {
            String::new()
        } else {
            format!(
                " GROUP BY {}",
                (1..=columns.len())
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let read_group = |row: &Row| -> Result<(UsageGroup, UsageDelta), rusqlite::Error> {
            let mut group = UsageGroup::default();
            for (index, column) in columns.iter().enumerate() {
                match *column {
                    "day" => group.day = Some(row.get(index)?),
                    "product" => group.product = Some(row.get(index)?),
                    "model" => group.model = Some(row.get(index)?),
                    "member" => group.member = Some(row.get(index)?),
                    _ => group.action = Some(row.get(index)?),
                }
            }
            let credits: i64 = row.get(columns.len())?;
            let count: i64 = row.get(columns.len() + 1)?;
            Ok((
                group,
                UsageDelta {
                    credits: Millicredits::new(credits),
                    count,
                },
            ))
        };
        let mut partial_ranges = Vec::new();
        if first_day < end_day {
            partial_ranges.push((from, day_start(first_day)));
            partial_ranges.push((day_start(end_day), to));
        } else {
            partial_ranges.push((from, to));
        }
        let rows = self.with_reader(|connection| {
            let mut rows = Vec::new();
            if first_day < end_day {
                let sql = format!(
                    "SELECT {}COALESCE(SUM(credits), 0), COALESCE(SUM(count), 0) FROM usage_daily
                     WHERE account_id = ?1 AND day >= ?2 AND day < ?3{group_clause}",
                    select_groups("day", std::string::ToString::to_string)
                );
                let mut statement = connection.prepare_cached(&sql)?;
                for row in statement.query_map(params![account_id, first_day, end_day], read_group)? {
                    rows.push(row?);
                }
            }
            let sql = format!(
                "SELECT {}COALESCE(SUM(-amount), 0), COUNT(*) FROM entries
                 WHERE account_id = ?1 AND type IN ('charge', 'capture')
                     AND created_at >= ?2 AND created_at < ?3{group_clause}",
                select_groups(
                    &format!("(created_at - ((created_at % {MICROS_PER_DAY}) + {MICROS_PER_DAY}) % {MICROS_PER_DAY}) / {MICROS_PER_DAY}"),
                    |column| format!("COALESCE({column}, '')")
                )
            );
            let mut statement = connection.prepare_cached(&sql)?;
            for (start, end) in &partial_ranges {
                if start < end {
                    for row in statement.query_map(params![account_id, start.as_micros(), end.as_micros()], read_group)? {
                        rows.push(row?);
                    }
                }
            }
            Ok(rows)
        })?;
        for (group, delta) in rows {
            if delta.count == 0 && columns.is_empty() && delta.credits == Millicredits::ZERO {
                continue;
            }
            let total = groups.entry(group).or_default();
            total.credits = Millicredits::new(total.credits.get() + delta.credits.get());
            total.count += delta.count;
        }
        let mut groups: Vec<_> = groups.into_iter().collect();
        groups.sort_by(|left, right| left.0.cmp(&right.0));
        Ok(groups)
    }

    fn rate_card(&self, version: i64) -> Result<Option<RateCardRecord>, StoreError> {
        self.with_reader(|connection| {
            connection
                .prepare_cached("SELECT * FROM rate_cards WHERE version = ?1")?
                .query_row([version], |row| {
                    Ok(RateCardRecord {
                        version: row.get("version")?,
                        effective_at: timestamp(row.get("effective_at")?),
                        document: row.get("document")?,
                        created_at: timestamp(row.get("created_at")?),
                    })
                })
                .optional()
        })
    }

    fn latest_rate_card_version(&self) -> Result<Option<i64>, StoreError> {
        self.with_reader(|connection| {
            connection
                .prepare_cached("SELECT MAX(version) FROM rate_cards")?
                .query_row([], |row| row.get(0))
        })
    }

    fn charge(&self, id: &str) -> Result<Option<Charge>, StoreError> {
        self.with_reader(|connection| {
            connection
                .prepare_cached("SELECT * FROM charges WHERE id = ?1")?
                .query_row([id], charge_row)
                .optional()
        })
    }

    fn entries(
        &self,
        account_id: &str,
        filter: &EntryFilter,
        page: &PageRequest,
    ) -> Result<Page<Entry>, PageError> {
        let mut condition = String::new();
        let mut values: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
        if let Some(kind) = filter.kind {
            condition.push_str(&format!(" AND type = ?{{{}}}", values.len()));
            values.push(Box::new(kind.as_str().to_string()));
        }
        if let Some(product) = &filter.product {
            condition.push_str(&format!(" AND product = ?{{{}}}", values.len()));
            values.push(Box::new(product.clone()));
        }
        if let Some(from) = filter.from {
            condition.push_str(&format!(" AND created_at >= ?{{{}}}", values.len()));
            values.push(Box::new(from.as_micros()));
        }
        if let Some(to) = filter.to {
            condition.push_str(&format!(" AND created_at < ?{{{}}}", values.len()));
            values.push(Box::new(to.as_micros()));
        }
        self.page(
            "entries",
            Some(account_id),
            &condition,
            values,
            page,
            entry_row,
        )
    }

    fn api_key_by_hash(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        self.with_reader(|connection| {
            connection
                .prepare_cached("SELECT * FROM api_keys WHERE key_hash = ?1")?
                .query_row([key_hash], api_key_row)
                .optional()
        })
    }

    fn api_key(&self, id: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        self.with_reader(|connection| {
            connection
                .prepare_cached("SELECT * FROM api_keys WHERE id = ?1")?
                .query_row([id], api_key_row)
                .optional()
        })
    }

    fn api_keys(&self, account_id: &str) -> Result<Vec<ApiKeyRecord>, StoreError> {
        self.with_reader(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT * FROM api_keys WHERE account_id = ?1 AND revoked_at IS NULL
                 ORDER BY seq DESC",
            )?;
            statement.query_map([account_id], api_key_row)?.collect()
        })
    }

    fn verify(&self) -> Result<VerifyReport, StoreError> {
        self.with_reader(verify::verify)
    }
}
