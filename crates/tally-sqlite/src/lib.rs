//! The embedded SQLite backend, Tally's default store.
//!
//! One writer connection (used only by the ledger engine, so SQLite never sees two writers)
//! and a small pool of reader connections. WAL mode with `synchronous=FULL`: a commit is on
//! disk when `commit` returns. Migrations are embedded and applied in order at open.
//!
//! What rows mean, what the readers select and what `verify` adds up is tally-store's, shared
//! with PostgreSQL; this crate runs it on SQLite connections (`rows.rs`) and writes batches with
//! SQLite's statements (`write.rs`).

mod integrity;
mod key_index;
mod migrate;
mod rows;
mod write;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{Connection, OpenFlags};
use tally_core::{AccountState, Grant, Hold, Purchase};
use tally_store::sql::SqlReads;
use tally_store::webhooks::SqlWebhooks;
use tally_store::{
    ApiKeyRecord, BatchWrite, IdempotencyRecord, LedgerStore, StoreError, VerifyReport, read,
    state, verify,
};

use key_index::KeyIndex;
use rows::{Reader, unavailable};
use tally_store::row::{Query, RowSource, Value};

/// How many idle reader connections are kept.
const READER_CONNECTIONS_IDLE_MAX: usize = 16;

/// The embedded store.
pub struct SqliteStore {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    /// Where each idempotency key's record is (see [`key_index`]).
    keys: Mutex<KeyIndex>,
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

impl SqliteStore {
    /// Opens (creating and migrating when needed) the database at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let mut writer = Connection::open(&path).map_err(unavailable)?;
        integrity::check(&writer, &path, migrate::SCHEMA_VERSION)?;
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
        migrate::migrate(&mut writer)?;
        writer
            .execute_batch(&format!(
                "PRAGMA application_id = {};",
                integrity::APPLICATION_ID
            ))
            .map_err(unavailable)?;
        let keys = index_keys(&writer)?;
        let stop = Arc::new(AtomicBool::new(false));
        let checkpointer = spawn_checkpointer(&path, stop.clone())?;
        Ok(SqliteStore {
            path,
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
            keys: Mutex::new(keys),
            checkpointer: Some(checkpointer),
            stop,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes a consistent copy of the database to `out`, which must not exist: SQLite's
    /// `VACUUM INTO`, in one read transaction on a reader connection, so the copy is the
    /// ledger as of one commit while the server goes on writing (a WAL reader blocks no one).
    pub fn backup_to(&self, out: &Path) -> Result<(), StoreError> {
        if out.exists() {
            return Err(StoreError::Refused(format!(
                "{}: it exists, and a backup never overwrites a file",
                out.display()
            )));
        }
        let target = out
            .to_str()
            .ok_or_else(|| StoreError::Refused(format!("{}: not a UTF-8 path", out.display())))?;
        self.with_reader(|connection| {
            connection
                .execute("VACUUM INTO ?1", [target])
                .map(|_| ())
                .map_err(unavailable)
        })
    }
    fn writer(&self) -> MutexGuard<'_, Connection> {
        self.writer.lock().expect("sqlite: writer poisoned")
    }

    fn keys(&self) -> MutexGuard<'_, KeyIndex> {
        self.keys.lock().expect("sqlite: key index poisoned")
    }

    /// Runs `read` on an idle reader connection (or a new one), which goes back to the pool.
    fn with_reader<T, E: From<StoreError>>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, E>,
    ) -> Result<T, E> {
        let idle = self
            .readers
            .lock()
            .expect("sqlite: reader pool poisoned")
            .pop();
        let connection = match idle {
            Some(connection) => connection,
            None => open_reader(&self.path)?,
        };
        let result = read(&connection);
        let mut readers = self.readers.lock().expect("sqlite: reader pool poisoned");
        if readers.len() < READER_CONNECTIONS_IDLE_MAX {
            readers.push(connection);
        }
        result
    }

    /// Runs one of tally-store's readers on a reader connection, with cached statements
    /// (the engine's lookups, on its thread: they borrow what they look up).
    fn lookup<T, E: From<StoreError>>(
        &self,
        read: impl FnOnce(&mut Reader<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        self.with_reader(|connection| read(&mut Reader::cached(connection)))
    }
}

/// The index of every idempotency record the database holds.
fn index_keys(connection: &Connection) -> Result<KeyIndex, StoreError> {
    let mut keys = KeyIndex::new();
    let mut select = connection
        .prepare("SELECT seq, scope, key FROM idempotency ORDER BY seq")
        .map_err(unavailable)?;
    let mut rows = select.query([]).map_err(unavailable)?;
    while let Some(row) = rows.next().map_err(unavailable)? {
        let unreadable =
            |error| StoreError::Corrupt(format!("idempotency: a record does not read: {error}"));
        let seq: i64 = row.get(0).map_err(unreadable)?;
        let scope: String = row.get(1).map_err(unreadable)?;
        let key: String = row.get(2).map_err(unreadable)?;
        keys.insert(&scope, &key, seq);
    }
    Ok(keys)
}

/// The idempotency record in row `seq`.
fn record_at<S: RowSource>(db: &mut S, seq: i64) -> Result<Option<IdempotencyRecord>, StoreError> {
    let mut query = Query::new(S::PARAMETER, "SELECT * FROM idempotency WHERE seq = ");
    query.bind(Value::I64(seq));
    db.first(&query, tally_store::tables::idempotency::decode)
}

fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(unavailable)?;
    connection
        .busy_timeout(std::time::Duration::from_secs(5))
        .map_err(unavailable)?;
    connection
        .execute_batch(&format!("PRAGMA mmap_size = {MMAP_BYTES};"))
        .map_err(unavailable)?;
    Ok(connection)
}

impl LedgerStore for SqliteStore {
    fn load_states(&self) -> Result<Vec<AccountState>, StoreError> {
        state::load_all(&mut Reader::uncached(&self.writer()))
    }

    fn max_grant_ordinal(&self) -> Result<i64, StoreError> {
        read::max_grant_ordinal(&mut Reader::uncached(&self.writer()))
    }

    fn commit_many(&self, batches: &[&BatchWrite]) -> Result<(), StoreError> {
        let mut writer = self.writer();
        let record_seqs = write::write_batches(&mut writer, batches).map_err(unavailable)?;
        // Committed: the index names the new records before anyone learns of the commit (the
        // engine forgets a batch's own records once this returns).
        let records = batches.iter().flat_map(|batch| &batch.idempotency);
        let mut keys = self.keys();
        for (record, seq) in records.zip(record_seqs) {
            keys.insert(&record.scope, &record.key, seq);
        }
        Ok(())
    }

    fn idempotency(&self, scope: &str, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        // A key the index does not name was never recorded: no read. Else from a reader (the
        // writer connection is busy committing while the engine applies the next batch).
        let candidates = self.keys().candidates(scope, key);
        for seq in candidates {
            let record = self.lookup(|db| record_at(db, seq))?;
            if let Some(record) = record.filter(|r| r.scope == scope && r.key == key) {
                return Ok(Some(record));
            }
        }
        Ok(None)
    }

    fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.lookup(|db| read::meta(db, key))
    }

    fn grant(&self, id: &str) -> Result<Option<Grant>, StoreError> {
        self.lookup(|db| read::grant(db, id))
    }

    fn hold(&self, id: &str) -> Result<Option<Hold>, StoreError> {
        self.lookup(|db| read::hold(db, id))
    }

    fn purchase(&self, id: &str) -> Result<Option<Purchase>, StoreError> {
        self.lookup(|db| read::purchase(db, id))
    }

    fn charge_written(&self, id: &str) -> Result<Option<tally_core::Charge>, StoreError> {
        self.lookup(|db| read::charge(db, id))
    }

    fn latest_rate_card_version(&self) -> Result<Option<i64>, StoreError> {
        self.lookup(|db| read::latest_rate_card_version(db))
    }

    fn api_key(&self, id: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        self.lookup(|db| read::api_key(db, id))
    }

    fn portal_link(&self, token_hash: &str) -> Result<Option<tally_core::PortalLink>, StoreError> {
        self.lookup(|db| read::portal_link(db, token_hash))
    }
}

/// The delivery side writes on the writer connection, between the engine's commits (SQLite
/// has one writer at a time; waiting on the mutex costs the committer less than SQLite's busy
/// handler would). One process claims, so a claim takes no row locks.
impl SqlWebhooks for SqliteStore {
    type Sink<'a> = Reader<'a>;

    const CLAIM_LOCK: &'static str = "";

    fn write<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Reader<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let mut writer = self.writer();
        let transaction = writer
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(unavailable)?;
        let result = job(&mut Reader::cached(&transaction))?;
        transaction.commit().map_err(unavailable)?;
        Ok(result)
    }
}

impl SqlReads for SqliteStore {
    type Source<'a> = Reader<'a>;

    fn read<T: Send + 'static>(
        &self,
        read: impl Fn(&mut Reader<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.with_reader(|connection| read(&mut Reader::cached(connection)))
    }

    fn snapshot<T: Send + 'static>(
        &self,
        read: impl Fn(&mut Reader<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        // A deferred transaction on a WAL database: its first read fixes the snapshot every
        // later statement in it reads.
        self.with_reader(|connection| {
            connection.execute_batch("BEGIN").map_err(unavailable)?;
            let result = read(&mut Reader::cached(connection));
            let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
            connection.execute_batch(end).map_err(unavailable)?;
            result
        })
    }

    fn verify_all(&self) -> Result<VerifyReport, StoreError> {
        // Prepared afresh: a one-off that should not push the readers' statements out.
        self.with_reader(|connection| verify::run(&mut Reader::uncached(connection)))
    }
}
