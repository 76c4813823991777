//! A store that fails on purpose, under the engine: [`SqliteStore`] on a real file, with faults
//! armed on the engine's side of the seam: a commit that fails before it
//! writes (an I/O error, or the disk full: SQLite's `SQLITE_IOERR` and `SQLITE_FULL`), a commit
//! that writes and is durable but reports an I/O error all the same (an fsync, or the
//! checkpoint after the commit, that failed: the outcome is unknown to the engine), a lookup
//! that fails with an I/O error (an idempotency key, a hold, a charge, a grant, a setting), or
//! the reload after a failure that fails once.
//!
//! A fault fires at a chosen call (the n-th of its kind after it was armed), so a seed
//! always injects the same faults; the counters say what fired. Nothing here is in the
//! server's path: the wrapper exists only in the tests that use it.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use tally_core::{AccountState, Grant, Hold};
use tally_sqlite::SqliteStore;
use tally_store::{ApiKeyRecord, BatchWrite, IdempotencyRecord, LedgerStore, StoreError};

/// What to break.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    /// A commit fails with an I/O error before anything is written.
    CommitIo,
    /// A commit fails with the disk full before anything is written.
    CommitFull,
    /// A commit writes everything, durably, then reports an I/O error (unknown outcome).
    CommitUnknown,
    /// A lookup (key, hold, charge, grant, setting) fails with an I/O error.
    Read,
    /// Loading the accounts (the reload after a failure) fails with an I/O error.
    Load,
}

impl Fault {
    pub(crate) const ALL: [Fault; 5] = [
        Fault::CommitIo,
        Fault::CommitFull,
        Fault::CommitUnknown,
        Fault::Read,
        Fault::Load,
    ];

    fn error(self) -> StoreError {
        StoreError::Unavailable(
            match self {
                Fault::CommitFull => "injected: database or disk is full (ENOSPC)",
                Fault::CommitUnknown => "injected: disk I/O error (fsync, after the commit)",
                _ => "injected: disk I/O error (EIO)",
            }
            .to_string(),
        )
    }

    fn is_commit(self) -> bool {
        matches!(
            self,
            Fault::CommitIo | Fault::CommitFull | Fault::CommitUnknown
        )
    }
}

#[derive(Default)]
struct Plan {
    /// The armed faults, each with how many more calls of its kind pass before it fires.
    armed: Vec<(Fault, u64)>,
    /// Faults that fired, by kind (in [`Fault::ALL`]'s order).
    fired: [u64; 5],
}

/// [`SqliteStore`] with armed faults on what the engine calls.
pub(crate) struct FaultyStore {
    inner: SqliteStore,
    plan: Mutex<Plan>,
}

impl FaultyStore {
    pub(crate) fn open(path: &Path) -> FaultyStore {
        FaultyStore {
            inner: SqliteStore::open(path).expect("opening the SQLite store"),
            plan: Mutex::new(Plan::default()),
        }
    }

    fn plan(&self) -> MutexGuard<'_, Plan> {
        self.plan
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Arms `fault` to fire at the `call`-th call of its kind from now (1: the next one).
    pub(crate) fn arm(&self, fault: Fault, call: u64) {
        self.plan().armed.push((fault, call.max(1)));
    }

    /// Disarms what has not fired (a failed reload too, with `reload`).
    pub(crate) fn disarm(&self, reload: bool) {
        self.plan()
            .armed
            .retain(|(fault, _)| *fault == Fault::Load && !reload);
    }

    /// The SQLite store itself, never failed: how the test looks at what was written.
    pub(crate) fn sqlite(&self) -> &SqliteStore {
        &self.inner
    }

    /// How many faults of this kind fired so far.
    pub(crate) fn fired(&self, fault: Fault) -> u64 {
        let index = Fault::ALL
            .iter()
            .position(|f| *f == fault)
            .expect("a fault");
        self.plan().fired[index]
    }

    /// Whether this call (one of `kinds`) is the one the armed fault fires at.
    fn fires(&self, kinds: impl Fn(Fault) -> bool) -> Option<Fault> {
        let mut plan = self.plan();
        let at = plan.armed.iter().position(|(fault, _)| kinds(*fault))?;
        let (fault, left) = &mut plan.armed[at];
        *left -= 1;
        if *left > 0 {
            return None;
        }
        let fault = *fault;
        plan.armed.remove(at);
        let index = Fault::ALL
            .iter()
            .position(|f| *f == fault)
            .expect("a fault");
        plan.fired[index] += 1;
        Some(fault)
    }

    fn read<T>(&self, read: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
        match self.fires(|fault| fault == Fault::Read) {
            Some(fault) => Err(fault.error()),
            None => read(),
        }
    }
}

impl LedgerStore for FaultyStore {
    fn commit_many(&self, batches: &[&BatchWrite]) -> Result<(), StoreError> {
        match self.fires(Fault::is_commit) {
            None => self.inner.commit_many(batches),
            Some(Fault::CommitUnknown) => {
                self.inner.commit_many(batches)?;
                Err(Fault::CommitUnknown.error())
            }
            Some(fault) => Err(fault.error()),
        }
    }

    fn load_states(&self) -> Result<Vec<AccountState>, StoreError> {
        match self.fires(|fault| fault == Fault::Load) {
            Some(fault) => Err(fault.error()),
            None => self.inner.load_states(),
        }
    }

    fn max_grant_ordinal(&self) -> Result<i64, StoreError> {
        self.inner.max_grant_ordinal()
    }

    fn idempotency(&self, scope: &str, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        self.read(|| self.inner.idempotency(scope, key))
    }

    fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.read(|| self.inner.meta(key))
    }

    fn grant(&self, id: &str) -> Result<Option<Grant>, StoreError> {
        self.read(|| self.inner.grant(id))
    }

    fn hold(&self, id: &str) -> Result<Option<Hold>, StoreError> {
        self.read(|| self.inner.hold(id))
    }

    fn purchase(&self, id: &str) -> Result<Option<tally_core::Purchase>, StoreError> {
        self.read(|| self.inner.purchase(id))
    }

    fn charge_written(&self, id: &str) -> Result<Option<tally_core::Charge>, StoreError> {
        self.read(|| self.inner.charge_written(id))
    }

    fn latest_rate_card_version(&self) -> Result<Option<i64>, StoreError> {
        self.read(|| self.inner.latest_rate_card_version())
    }

    fn api_key(&self, id: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        self.read(|| self.inner.api_key(id))
    }

    fn portal_link(&self, token_hash: &str) -> Result<Option<tally_core::PortalLink>, StoreError> {
        self.read(|| self.inner.portal_link(token_hash))
    }
}
