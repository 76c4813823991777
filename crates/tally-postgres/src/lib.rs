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
//!
//! TLS is the URL's `sslmode` and `sslrootcert`, libpq's way, on rustls (`tls.rs`). A batch
//! whose COMMIT got no answer is settled by asking the server about its transaction before
//! anyone is answered (`shared.rs`), and an account whose rows do not load is left out of the
//! batch and reported, so the others go on.
//!
//! What rows mean, what the readers select and what `verify` adds up is tally-store's, shared
//! with SQLite; this crate runs it on its connections (`rows.rs`), locks and loads accounts for
//! batches (`shared.rs`) and writes batches with PostgreSQL's statements (`write.rs`).

mod faults;
mod locks;
mod pool;
mod rows;
mod shared;
mod tls;
mod write;

use std::str::FromStr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tally_core::{AccountState, Grant, Hold, Purchase};
use tally_store::sql::SqlReads;
use tally_store::webhooks::SqlWebhooks;
use tally_store::{
    ApiKeyRecord, BatchWrite, IdempotencyRecord, LedgerStore, SharedBatch, StoreError,
    VerifyReport, read, state, verify,
};

#[doc(hidden)]
pub use faults::{AfterHook, BatchPoint, FaultHook};
pub use locks::{account_lock_key, idempotency_lock_key};
use pool::{Connection, Pool, Target};
use rows::Source;
pub use tls::{RootCert, SslMode, TlsError, TlsOptions};

/// The migrations, in order, numbered like SQLite's. Never edit an applied one; add a new one.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_ledger.sql")),
    (2, include_str!("../migrations/0002_plans.sql")),
    (3, include_str!("../migrations/0003_usage.sql")),
    (4, include_str!("../migrations/0004_rate_cards.sql")),
    (5, include_str!("../migrations/0005_purchase_payment.sql")),
    (
        6,
        include_str!("../migrations/0006_holds_in_parts_and_refunds.sql"),
    ),
    (7, include_str!("../migrations/0007_auto_topup.sql")),
    (8, include_str!("../migrations/0008_portal_links.sql")),
    (9, include_str!("../migrations/0009_usage_buckets.sql")),
    (10, include_str!("../migrations/0010_events.sql")),
    (11, include_str!("../migrations/0011_webhooks.sql")),
    (12, include_str!("../migrations/0012_limits.sql")),
    (13, include_str!("../migrations/0013_audit.sql")),
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
    /// The tests' fault hook (see `set_fault_hook`).
    hook: RwLock<Option<FaultHook>>,
    /// Accounts whose stored state did not load (see `shared::Quarantine`).
    quarantine: shared::Quarantine,
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/dbname`, with
    /// `?sslmode=…&sslrootcert=PATH` for TLS: see `tls.rs`; no `sslmode`, no TLS) and migrates
    /// it.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let (url, options) = tls::split_url(url).map_err(|error| {
            StoreError::Unavailable(format!("postgres: the database URL: {error}"))
        })?;
        let mut config = postgres::Config::from_str(&url).map_err(|error| {
            StoreError::Unavailable(format!("postgres: the database URL: {error}"))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("tally");
        }
        config.keepalives(true);
        config.ssl_mode(tls::negotiation(&options));
        let connector = tls::connector(&options)
            .map_err(|error| StoreError::Unavailable(format!("postgres: {error}")))?;
        let described = describe(&config, &options);
        let target = Arc::new(Target {
            config,
            tls: connector,
            options,
        });
        let store = PostgresStore {
            readers: Pool::new(target.clone(), "tally-pg-read", READER_CONNECTIONS_MAX),
            writers: Pool::new(target, "tally-pg-write", WRITER_CONNECTIONS_MAX),
            described,
            hook: RwLock::new(None),
            quarantine: shared::Quarantine::default(),
        };
        store.writers.run(migrate)?;
        Ok(store)
    }

    /// For tests: calls `hook` at each point of every shared batch's transaction (see
    /// [`BatchPoint`]), on the thread that owns the batch's connection, with its server
    /// process id; `None` removes it.
    #[doc(hidden)]
    pub fn set_fault_hook(&self, hook: Option<FaultHook>) {
        *self.hook.write().expect("postgres: fault hook poisoned") = hook;
    }

    /// Where the store is, without user or password (for logs): `postgres://host:port/db`.
    pub fn describe(&self) -> &str {
        &self.described
    }

    /// Runs a job on a reader connection (again on a new one if that one was broken).
    fn run_read<T: Send + 'static>(
        &self,
        job: impl Fn(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.readers.run(pool::retried_once(job))
    }

    /// Runs `job` in one read-only snapshot, so nodes writing meanwhile cannot make it see
    /// half a batch.
    fn read_snapshot<T: Send + 'static>(
        &self,
        job: impl Fn(&mut Source<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.run_read(move |connection| {
            connection.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", |c| {
                job(&mut Source(c))
            })
        })
    }
}

/// A database URL as it may be logged: `postgres://host:port/dbname`, without the user, the
/// password or the options but the TLS mode (or just `postgres` if it does not parse).
pub fn describe_url(url: &str) -> String {
    let Ok((url, options)) = tls::split_url(url) else {
        return "postgres".to_string();
    };
    postgres::Config::from_str(&url).map_or_else(
        |_| "postgres".to_string(),
        |config| describe(&config, &options),
    )
}

/// `postgres://host:port/dbname` (and `?sslmode=…` when not `disable`), leaving out who
/// connects and with what.
fn describe(config: &postgres::Config, options: &TlsOptions) -> String {
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
    match options.mode {
        SslMode::Disable => format!("postgres://{host}:{port}/{dbname}"),
        mode => format!(
            "postgres://{host}:{port}/{dbname}?sslmode={}",
            mode.as_str()
        ),
    }
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
    // Every migration not applied yet, in order: not only those above the highest applied,
    // so that one merged later with a lower number (numbers are reserved per branch) still runs.
    let applied: Vec<i64> = connection
        .query("SELECT version FROM schema_migrations", &[])?
        .iter()
        .map(|row| rows::get(row, "version"))
        .collect::<Result<_, _>>()?;
    for (version, sql) in MIGRATIONS {
        if applied.contains(version) {
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

impl LedgerStore for PostgresStore {
    fn begin_shared_batch(&self) -> Result<Option<Box<dyn SharedBatch + '_>>, StoreError> {
        let worker = self.writers.get()?;
        let hook = self
            .hook
            .read()
            .expect("postgres: fault hook poisoned")
            .clone();
        Ok(Some(Box::new(shared::PgSharedBatch::begin(
            worker,
            hook,
            self.quarantine.clone(),
        )?)))
    }

    fn is_shared(&self) -> bool {
        true
    }

    fn load_states(&self) -> Result<Vec<AccountState>, StoreError> {
        self.read_snapshot(|db| state::load_all(db))
    }

    fn max_grant_ordinal(&self) -> Result<i64, StoreError> {
        self.read(|db| read::max_grant_ordinal(db))
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
        self.read(move |db| read::idempotency(db, &scope, &key))
    }

    fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        let key = key.to_string();
        self.read(move |db| read::meta(db, &key))
    }

    fn grant(&self, id: &str) -> Result<Option<Grant>, StoreError> {
        let id = id.to_string();
        self.read(move |db| read::grant(db, &id))
    }

    fn hold(&self, id: &str) -> Result<Option<Hold>, StoreError> {
        let id = id.to_string();
        self.read(move |db| read::hold(db, &id))
    }

    fn purchase(&self, id: &str) -> Result<Option<Purchase>, StoreError> {
        let id = id.to_string();
        self.read(move |db| read::purchase(db, &id))
    }

    fn charge_written(&self, id: &str) -> Result<Option<tally_core::Charge>, StoreError> {
        let id = id.to_string();
        self.read(move |db| read::charge(db, &id))
    }

    fn latest_rate_card_version(&self) -> Result<Option<i64>, StoreError> {
        self.read(|db| read::latest_rate_card_version(db))
    }

    fn api_key(&self, id: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        let id = id.to_string();
        self.read(move |db| read::api_key(db, &id))
    }

    fn portal_link(&self, token_hash: &str) -> Result<Option<tally_core::PortalLink>, StoreError> {
        let token_hash = token_hash.to_string();
        self.read(move |db| read::portal_link(db, &token_hash))
    }
}

/// The delivery side writes on a writer connection, one transaction per call; several nodes
/// claim, so a claim locks the rows it takes and skips those another node holds.
impl SqlWebhooks for PostgresStore {
    type Sink<'a> = Source<'a>;

    const CLAIM_LOCK: &'static str = " FOR UPDATE OF d SKIP LOCKED";

    fn write<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Source<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.writers.run(move |connection| {
            connection.transaction("BEGIN", |connection| job(&mut Source(connection)))
        })
    }
}

impl SqlReads for PostgresStore {
    type Source<'a> = Source<'a>;

    fn read<T: Send + 'static>(
        &self,
        read: impl Fn(&mut Source<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.run_read(move |connection| read(&mut Source(connection)))
    }

    fn snapshot<T: Send + 'static>(
        &self,
        read: impl Fn(&mut Source<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.read_snapshot(read)
    }

    fn verify_all(&self) -> Result<VerifyReport, StoreError> {
        // Streamed from one snapshot: nodes writing meanwhile cause no false differences.
        self.read_snapshot(|db| verify::run(db))
    }
}
