//! The PostgreSQL backend: one database that several `tally serve` nodes share.
//!
//! The engine of each node opens one transaction per batch ([`Store::begin_shared_batch`]):
//! it locks and loads the accounts the batch touches, claims a share of the accounts with due
//! work (`FOR UPDATE SKIP LOCKED`, so each expiry happens on exactly one node), applies the
//! commands with the core, writes, and commits. Correctness never depends on a node's memory.
//!
//! The schema mirrors SQLite's (migrations numbered alike, applied at open under an advisory
//! lock so nodes starting together migrate once), with one addition: `accounts.next_due_at`,
//! the schedulers' index. Every database call runs on a worker thread that owns its connection
//! (see `pool.rs`), so the store can be used from async handlers; a broken connection makes
//! that call `Unavailable` and the next one connects again.

mod pool;
mod rows;
mod shared;
mod verify;
mod write;

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use postgres::Row;
use postgres::types::ToSql;
use tally_core::usage::{MICROS_PER_DAY, UsageDelta, day_of, day_start};
use tally_core::{AccountState, Charge, Entry, Grant, GrantStatus, Hold, Millicredits};
use tally_core::{Subscription, Timestamp};
use tally_store::{
    AccountRow, ApiKeyRecord, BatchWrite, EntryFilter, IdempotencyRecord, Page, PageError,
    PageRequest, PurchaseRecord, RateCardRecord, SharedBatch, Store, StoreError, UsageDimension,
    UsageGroup, VerifyReport,
};

use pool::{Connection, Pool};
pub use shared::account_lock_key;

/// The migrations, in order, numbered like SQLite's. Never edit an applied one; add a new one.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_ledger.sql")),
    (2, include_str!("../migrations/0002_plans.sql")),
    (3, include_str!("../migrations/0003_usage.sql")),
    (4, include_str!("../migrations/0004_rate_cards.sql")),
];

/// The session advisory lock held while migrating (any constant unlikely to clash).
const MIGRATION_LOCK_KEY: i64 = 0x7461_6c6c_795f_6d67; // "tally_mg"

/// Connections for readers (request handlers) per node.
const READER_CONNECTIONS_MAX: usize = 8;

/// Connections for batches and commits per node (the engine uses one at a time).
const WRITER_CONNECTIONS_MAX: usize = 4;

/// How long connecting may take before the call is `Unavailable`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The store on a PostgreSQL database.
pub struct PostgresStore {
    readers: Pool,
    writers: Pool,
    described: String,
}

type Param = Box<dyn ToSql + Sync + Send>;

fn params(values: &[Param]) -> Vec<&(dyn ToSql + Sync)> {
    values
        .iter()
        .map(|value| value.as_ref() as &(dyn ToSql + Sync))
        .collect()
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/dbname`) and
    /// migrates it. TLS is not supported: use a URL without `sslmode=require`.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let mut config = postgres::Config::from_str(url).map_err(|error| {
            StoreError::Unavailable(format!("postgres: the database URL: {error}"))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("tally");
        }
        config.keepalives(true);
        let described = describe(&config);
        let config = Arc::new(config);
        let store = PostgresStore {
            readers: Pool::new(config.clone(), "tally-pg-read", READER_CONNECTIONS_MAX),
            writers: Pool::new(config, "tally-pg-write", WRITER_CONNECTIONS_MAX),
            described,
        };
        store.writers.run(migrate)?;
        Ok(store)
    }

    /// Where the store is, without user or password (for logs): `postgres://host:port/db`.
    pub fn describe(&self) -> &str {
        &self.described
    }

    /// Runs a read on a reader connection (again on a new one if that one was broken).
    fn read<T: Send + 'static>(
        &self,
        job: impl Fn(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.readers.run(pool::retried_once(job))
    }

    fn one<T: Send + 'static>(
        &self,
        sql: &'static str,
        key: &str,
        map: fn(&Row) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        let key = key.to_string();
        self.read(move |connection| {
            connection
                .query_opt(sql, &[&key])?
                .as_ref()
                .map(map)
                .transpose()
        })
    }

    /// A page of `table`, newest first (by `seq`), after the row with id `starting_after`.
    /// `condition` is more SQL (` AND …`) whose parameters are `$4`, `$5`, … in order.
    fn page<T: Send + 'static>(
        &self,
        table: &'static str,
        account_id: Option<&str>,
        condition: String,
        values: Vec<Param>,
        page: &PageRequest,
        map: fn(&Row) -> Result<T, StoreError>,
    ) -> Result<Page<T>, PageError> {
        let limit = page.limit;
        let starting_after = page.starting_after.clone();
        let account_id = account_id.map(str::to_string);
        let result = self.read(move |connection| {
            let cursor: i64 = match &starting_after {
                None => i64::MAX,
                Some(id) => {
                    let sql = format!("SELECT seq FROM {table} WHERE id = $1");
                    match connection.query_opt(&sql, &[id])? {
                        Some(row) => rows::get(&row, "seq")?,
                        None => return Ok(None),
                    }
                }
            };
            let scope = if account_id.is_some() {
                "account_id = $1"
            } else {
                "$1::text IS NULL"
            };
            let sql = format!(
                "SELECT * FROM {table} WHERE {scope} AND seq < $2{condition}
                 ORDER BY seq DESC LIMIT $3"
            );
            let rows_max = i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX);
            let mut all: Vec<&(dyn ToSql + Sync)> = vec![&account_id, &cursor, &rows_max];
            all.extend(params(&values));
            let found = connection.query(&sql, &all)?;
            let mut data = found.iter().map(map).collect::<Result<Vec<T>, _>>()?;
            let has_more = data.len() > limit;
            data.truncate(limit);
            Ok(Some(Page { data, has_more }))
        })?;
        result.ok_or(PageError::UnknownCursor)
    }
}

/// A database URL as it may be logged: `postgres://host:port/dbname`, without the user, the
/// password or the options (or just `postgres` if it does not parse).
pub fn describe_url(url: &str) -> String {
    postgres::Config::from_str(url)
        .map_or_else(|_| "postgres".to_string(), |config| describe(&config))
}

/// `postgres://host:port/dbname`, leaving out who connects and how.
fn describe(config: &postgres::Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|host| match host {
            postgres::config::Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".into());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let dbname = config.get_dbname().unwrap_or("");
    format!("postgres://{host}:{port}/{dbname}")
}

fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    connection.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK_KEY])?;
    let migrated = apply_migrations(connection);
    let unlocked = connection.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK_KEY]);
    migrated?;
    unlocked.map(|_| ())
}

fn apply_migrations(connection: &mut Connection) -> Result<(), StoreError> {
    connection.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    BIGINT PRIMARY KEY,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    )?;
    let applied: i64 = rows::get(
        &connection
            .query_opt(
                "SELECT COALESCE(MAX(version), 0)::bigint AS version FROM schema_migrations",
                &[],
            )?
            .ok_or_else(|| StoreError::Corrupt("postgres: no schema version".into()))?,
        "version",
    )?;
    for (version, sql) in MIGRATIONS {
        if *version <= applied {
            continue;
        }
        connection.transaction("BEGIN", |connection| {
            connection.batch_execute(sql)?;
            connection.execute(
                "INSERT INTO schema_migrations (version) VALUES ($1)",
                &[version],
            )?;
            Ok(())
        })?;
    }
    Ok(())
}

/// The columns a usage query groups by, in order.
fn usage_columns(group_by: &[UsageDimension]) -> Vec<&'static str> {
    group_by
        .iter()
        .map(|dimension| match dimension {
            UsageDimension::Day => "day",
            UsageDimension::Product => "product",
            UsageDimension::Model => "model",
            UsageDimension::Member => "member",
            UsageDimension::Action => "action",
        })
        .collect()
}

fn usage_row(columns: &[&str], row: &Row) -> Result<(UsageGroup, UsageDelta), StoreError> {
    let mut group = UsageGroup::default();
    for (index, column) in columns.iter().enumerate() {
        let name = format!("g{index}");
        match *column {
            "day" => group.day = Some(rows::get(row, &name)?),
            "product" => group.product = Some(rows::get(row, &name)?),
            "model" => group.model = Some(rows::get(row, &name)?),
            "member" => group.member = Some(rows::get(row, &name)?),
            _ => group.action = Some(rows::get(row, &name)?),
        }
    }
    Ok((
        group,
        UsageDelta {
            credits: Millicredits::new(rows::get(row, "credits")?),
            count: rows::get(row, "count")?,
        },
    ))
}

impl Store for PostgresStore {
    fn begin_shared_batch(&self) -> Result<Option<Box<dyn SharedBatch + '_>>, StoreError> {
        let worker = self.writers.get()?;
        Ok(Some(Box::new(shared::PgSharedBatch::begin(worker)?)))
    }

    fn is_shared(&self) -> bool {
        true
    }

    fn load_states(&self) -> Result<Vec<AccountState>, StoreError> {
        self.read(|connection| {
            connection.transaction(
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                shared::load_all_states,
            )
        })
    }

    fn max_grant_ordinal(&self) -> Result<i64, StoreError> {
        self.read(|connection| {
            let row = connection.query_opt(
                "SELECT COALESCE(MAX(ordinal), 0)::bigint AS ordinal FROM grants",
                &[],
            )?;
            row.map_or(Ok(0), |row| rows::get(&row, "ordinal"))
        })
    }

    fn commit_many(&self, batches: &[&BatchWrite]) -> Result<(), StoreError> {
        let plans: Vec<_> = batches.iter().map(|batch| write::plan(batch)).collect();
        self.writers.run(move |connection| {
            connection.transaction("BEGIN", |connection| {
                plans
                    .iter()
                    .try_for_each(|plan| write::run(connection, plan))
            })
        })
    }

    fn idempotency(&self, scope: &str, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        let (scope, key) = (scope.to_string(), key.to_string());
        self.read(move |connection| {
            connection
                .query_opt(
                    "SELECT * FROM idempotency WHERE scope = $1 AND key = $2",
                    &[&scope, &key],
                )?
                .as_ref()
                .map(rows::idempotency_row)
                .transpose()
        })
    }

    fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.one("SELECT value FROM meta WHERE key = $1", key, |row| {
            rows::get(row, "value")
        })
    }

    fn ping(&self) -> Result<(), StoreError> {
        self.read(|connection| connection.batch_execute("SELECT 1"))
    }

    fn account(&self, id: &str) -> Result<Option<AccountRow>, StoreError> {
        self.one(
            "SELECT * FROM accounts WHERE id = $1",
            id,
            rows::account_row,
        )
    }

    fn accounts(&self, page: &PageRequest) -> Result<Page<AccountRow>, PageError> {
        self.page(
            "accounts",
            None,
            String::new(),
            Vec::new(),
            page,
            rows::account_row,
        )
    }

    fn balance_grants(&self, account_id: &str) -> Result<Vec<Grant>, StoreError> {
        let account_id = account_id.to_string();
        self.read(move |connection| {
            let found = connection.query(
                "SELECT * FROM grants WHERE account_id = $1
                     AND ((lifecycle = 'active' AND remaining > 0) OR reserved > 0)",
                &[&account_id],
            )?;
            let mut grants = found
                .iter()
                .map(rows::grant_row)
                .collect::<Result<Vec<_>, _>>()?;
            grants.sort_by_key(Grant::spend_key);
            Ok(grants)
        })
    }

    fn grant(&self, id: &str) -> Result<Option<Grant>, StoreError> {
        self.one("SELECT * FROM grants WHERE id = $1", id, rows::grant_row)
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
            condition.to_string(),
            Vec::new(),
            page,
            rows::grant_row,
        )
    }

    fn hold(&self, id: &str) -> Result<Option<Hold>, StoreError> {
        self.one("SELECT * FROM holds WHERE id = $1", id, rows::hold_row)
    }

    fn usage(
        &self,
        account_id: &str,
        from: Timestamp,
        to: Timestamp,
        group_by: &[UsageDimension],
    ) -> Result<Vec<(UsageGroup, UsageDelta)>, StoreError> {
        if from >= to {
            return Ok(Vec::new());
        }
        // Whole days [first_day, end_day) from the aggregates; the rest from the entries.
        let first_day = day_of(Timestamp::from_micros(
            from.as_micros() + MICROS_PER_DAY - 1,
        ));
        let end_day = day_of(to);
        let columns = usage_columns(group_by);
        let select = |day: &str, text: fn(&str) -> String| -> String {
            columns
                .iter()
                .enumerate()
                .map(|(index, column)| {
                    let expression = if *column == "day" {
                        day.to_string()
                    } else {
                        text(column)
                    };
                    format!("{expression} AS g{index}, ")
                })
                .collect()
        };
        let group_clause = if columns.is_empty() {
            String::new()
        } else {
            let positions: Vec<String> = (1..=columns.len()).map(|i| i.to_string()).collect();
            format!(" GROUP BY {}", positions.join(", "))
        };
        let whole_days_sql = format!(
            "SELECT {}COALESCE(SUM(credits), 0)::bigint AS credits,
                 COALESCE(SUM(count), 0)::bigint AS count
             FROM usage_daily WHERE account_id = $1 AND day >= $2 AND day < $3{group_clause}",
            select("day", std::string::ToString::to_string)
        );
        let entries_sql = format!(
            "SELECT {}COALESCE(SUM(-amount), 0)::bigint AS credits, COUNT(*) AS count
             FROM entries WHERE account_id = $1 AND type IN ('charge', 'capture')
                 AND created_at >= $2 AND created_at < $3{group_clause}",
            select(
                &format!(
                    "(created_at - ((created_at % {MICROS_PER_DAY}) + {MICROS_PER_DAY}) \
                     % {MICROS_PER_DAY}) / {MICROS_PER_DAY}"
                ),
                |column| format!("COALESCE({column}, '')")
            )
        );
        let mut partial_ranges = Vec::new();
        if first_day < end_day {
            partial_ranges.push((from, day_start(first_day)));
            partial_ranges.push((day_start(end_day), to));
        } else {
            partial_ranges.push((from, to));
        }
        let account_id = account_id.to_string();
        let read_columns = columns.clone();
        let found = self.read(move |connection| {
            let mut found = Vec::new();
            if first_day < end_day {
                for row in
                    connection.query(&whole_days_sql, &[&account_id, &first_day, &end_day])?
                {
                    found.push(usage_row(&read_columns, &row)?);
                }
            }
            for (start, end) in &partial_ranges {
                if start < end {
                    let rows = connection.query(
                        &entries_sql,
                        &[&account_id, &start.as_micros(), &end.as_micros()],
                    )?;
                    for row in rows {
                        found.push(usage_row(&read_columns, &row)?);
                    }
                }
            }
            Ok(found)
        })?;
        let mut groups: HashMap<UsageGroup, UsageDelta> = HashMap::new();
        for (group, delta) in found {
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

    fn subscription(&self, account_id: &str) -> Result<Option<Subscription>, StoreError> {
        self.one(
            "SELECT * FROM subscriptions WHERE account_id = $1",
            account_id,
            rows::subscription_row,
        )
    }

    fn rate_card(&self, version: i64) -> Result<Option<RateCardRecord>, StoreError> {
        self.read(move |connection| {
            connection
                .query_opt("SELECT * FROM rate_cards WHERE version = $1", &[&version])?
                .as_ref()
                .map(rows::rate_card_row)
                .transpose()
        })
    }

    fn latest_rate_card_version(&self) -> Result<Option<i64>, StoreError> {
        self.read(|connection| {
            let row =
                connection.query_opt("SELECT MAX(version) AS version FROM rate_cards", &[])?;
            row.map_or(Ok(None), |row| rows::get(&row, "version"))
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
            String::new(),
            Vec::new(),
            page,
            rows::purchase_row,
        )
    }

    fn charge(&self, id: &str) -> Result<Option<Charge>, StoreError> {
        self.one("SELECT * FROM charges WHERE id = $1", id, rows::charge_row)
    }

    fn entries(
        &self,
        account_id: &str,
        filter: &EntryFilter,
        page: &PageRequest,
    ) -> Result<Page<Entry>, PageError> {
        let mut condition = String::new();
        let mut values: Vec<Param> = Vec::new();
        // The page's own parameters are $1 (account), $2 (cursor) and $3 (limit).
        let mut bind = |sql: &str, value: Param| {
            values.push(value);
            condition.push_str(&format!(" AND {sql} ${}", values.len() + 3));
        };
        if let Some(kind) = filter.kind {
            bind("type =", Box::new(kind.as_str().to_string()));
        }
        if let Some(product) = &filter.product {
            bind("product =", Box::new(product.clone()));
        }
        if let Some(from) = filter.from {
            bind("created_at >=", Box::new(from.as_micros()));
        }
        if let Some(to) = filter.to {
            bind("created_at <", Box::new(to.as_micros()));
        }
        self.page(
            "entries",
            Some(account_id),
            condition,
            values,
            page,
            rows::entry_row,
        )
    }

    fn api_key_by_hash(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        self.one(
            "SELECT * FROM api_keys WHERE key_hash = $1",
            key_hash,
            rows::api_key_row,
        )
    }

    fn api_key(&self, id: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        self.one(
            "SELECT * FROM api_keys WHERE id = $1",
            id,
            rows::api_key_row,
        )
    }

    fn api_keys(&self, account_id: &str) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let account_id = account_id.to_string();
        self.read(move |connection| {
            connection
                .query(
                    "SELECT * FROM api_keys WHERE account_id = $1 AND revoked_at IS NULL
                     ORDER BY seq DESC",
                    &[&account_id],
                )?
                .iter()
                .map(rows::api_key_row)
                .collect()
        })
    }

    fn verify(&self) -> Result<VerifyReport, StoreError> {
        self.read(verify::verify)
    }
}
