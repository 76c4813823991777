//! One batch's transaction on the shared database, and loading the states of the accounts it
//! locks (tally-store builds them from the rows).
//!
//! Locks come in one order on every node: the accounts' advisory locks in id order (they cover
//! ids with no row yet), then their rows (`FOR UPDATE`, ordered the same way), then the
//! idempotency keys' advisory locks as the commands come. The transaction is `READ COMMITTED`:
//! each statement reads what was committed before it began, so what is read right after a lock
//! is granted includes everything the previous holder committed. A deadlock PostgreSQL detects
//! anyway is a `Conflict`, and the engine tries the batch again.

use tally_core::{AccountState, Timestamp};
use tally_store::state::{self, LIVE_GRANTS, PENDING_HOLDS};
use tally_store::{BatchWrite, IdempotencyRecord, SharedBatch, StoreError, read, tables};

use crate::locks::{account_lock_key, idempotency_lock_key};
use crate::pool::{self, Connection, Lent};
use crate::rows::{self, Source, decode_all};
use crate::write;

/// Loads the states of these accounts (those that exist), locking their rows when `lock`.
pub(crate) fn load_states(
    connection: &mut Connection,
    account_ids: &[String],
    lock: bool,
) -> Result<Vec<AccountState>, StoreError> {
    if account_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = if lock {
        "SELECT * FROM accounts WHERE id = ANY($1) ORDER BY id COLLATE \"C\" FOR UPDATE"
    } else {
        "SELECT * FROM accounts WHERE id = ANY($1) ORDER BY id COLLATE \"C\""
    };
    let accounts = connection.query(sql, &[&account_ids])?;
    if accounts.is_empty() {
        return Ok(Vec::new());
    }
    let accounts = decode_all(&accounts, tables::accounts::decode)?;
    let present: Vec<&str> = accounts.iter().map(|row| row.account.id.as_str()).collect();
    let grants = connection.query(
        &format!("SELECT * FROM grants WHERE account_id = ANY($1) AND ({LIVE_GRANTS})"),
        &[&present],
    )?;
    let holds = connection.query(
        &format!("SELECT * FROM holds WHERE account_id = ANY($1) AND {PENDING_HOLDS}"),
        &[&present],
    )?;
    let subscriptions = connection.query(
        "SELECT * FROM subscriptions WHERE account_id = ANY($1)",
        &[&present],
    )?;
    let purchases = connection.query(
        &format!(
            "SELECT * FROM purchases WHERE account_id = ANY($1) AND {}",
            tables::purchases::PENDING
        ),
        &[&present],
    )?;
    let topups = connection.query(
        &format!(
            "SELECT * FROM auto_topups WHERE account_id = ANY($1) AND {}",
            tables::auto_topups::KEPT
        ),
        &[&present],
    )?;
    let limits = connection.query(
        &format!(
            "{} WHERE limits.account_id = ANY($1)",
            tables::limits::CURRENT
        ),
        &[&present],
    )?;
    let counters = connection.query(
        "SELECT * FROM limit_counters WHERE account_id = ANY($1)",
        &[&present],
    )?;
    let kept = state::Kept {
        topups: decode_all(&topups, tables::auto_topups::decode)?,
        limits: decode_all(&limits, tables::limits::decode_limit)?,
        counters: decode_all(&counters, tables::limits::decode_counter)?,
    };
    state::assemble(
        accounts,
        decode_all(&grants, tables::grants::decode)?,
        decode_all(&holds, tables::holds::decode)?,
        decode_all(&subscriptions, tables::subscriptions::decode)?,
        decode_all(&purchases, tables::purchases::decode)?,
        kept,
    )
}

/// The same error again (`StoreError` is not `Clone`).
fn again(error: &StoreError) -> StoreError {
    match error {
        StoreError::Unavailable(detail) => StoreError::Unavailable(detail.clone()),
        StoreError::Corrupt(detail) => StoreError::Corrupt(detail.clone()),
        StoreError::Conflict(detail) => StoreError::Conflict(detail.clone()),
        StoreError::Refused(detail) => StoreError::Refused(detail.clone()),
    }
}

/// A batch's open transaction, on a connection lent to it alone until it ends.
pub(crate) struct PgSharedBatch<'a> {
    worker: Lent<'a>,
    /// Whether the transaction is still open (dropping the batch rolls it back).
    open: bool,
    /// The accounts this batch has locked.
    locked: Vec<String>,
    /// The first call that failed. PostgreSQL aborts the transaction on any error, so the batch
    /// cannot commit any more: `commit` answers this again (a `Conflict` stays a `Conflict`,
    /// which the engine retries, even when the caller did not stop at the first error).
    failed: Option<StoreError>,
}

impl<'a> PgSharedBatch<'a> {
    /// Opens the transaction.
    pub(crate) fn begin(mut worker: Lent<'a>) -> Result<Self, StoreError> {
        worker.run(pool::retried_once(|connection| {
            connection.batch_execute("BEGIN ISOLATION LEVEL READ COMMITTED")
        }))?;
        Ok(PgSharedBatch {
            worker,
            open: true,
            locked: Vec::new(),
            failed: None,
        })
    }

    /// Runs a statement job in the transaction, remembering a failure.
    fn run<T: Send + 'static>(
        &mut self,
        job: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        if let Some(failed) = &self.failed {
            return Err(again(failed));
        }
        let result = self.worker.run(job);
        if let Err(error) = &result {
            self.failed = Some(again(error));
        }
        result
    }
}

impl SharedBatch for PgSharedBatch<'_> {
    fn lock_accounts(&mut self, account_ids: &[String]) -> Result<Vec<AccountState>, StoreError> {
        let mut ids = account_ids.to_vec();
        ids.sort();
        ids.dedup();
        self.locked.extend(ids.iter().cloned());
        self.run(move |connection| {
            for id in &ids {
                connection.execute("SELECT pg_advisory_xact_lock($1)", &[&account_lock_key(id)])?;
            }
            load_states(connection, &ids, true)
        })
    }

    fn claim_due(&mut self, now: Timestamp, limit: usize) -> Result<Vec<AccountState>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mine = self.locked.clone();
        let states = self.run(move |connection| {
            // Due accounts no other batch has locked (rows or, just below, advisory locks).
            let due = connection.query(
                "SELECT id FROM accounts WHERE next_due_at <= $1 AND NOT (id = ANY($3))
                 ORDER BY next_due_at LIMIT $2 FOR UPDATE SKIP LOCKED",
                &[&now.as_micros(), &limit, &mine],
            )?;
            if due.is_empty() {
                return Ok(Vec::new());
            }
            let ids: Vec<String> = due
                .iter()
                .map(|row| rows::get(row, "id"))
                .collect::<Result<_, _>>()?;
            let keys: Vec<i64> = ids.iter().map(|id| account_lock_key(id)).collect();
            let claimed = connection.query(
                "SELECT c.id FROM UNNEST($1::text[], $2::bigint[]) AS c (id, key)
                 WHERE pg_try_advisory_xact_lock(c.key)",
                &[&ids, &keys],
            )?;
            let mut claimed: Vec<String> = claimed
                .iter()
                .map(|row| rows::get(row, "id"))
                .collect::<Result<_, _>>()?;
            claimed.sort();
            load_states(connection, &claimed, true)
        })?;
        self.locked
            .extend(states.iter().map(|state| state.account.id.clone()));
        Ok(states)
    }

    fn idempotency(
        &mut self,
        scope: &str,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let lock = idempotency_lock_key(scope, key);
        let (scope, key) = (scope.to_string(), key.to_string());
        self.run(move |connection| {
            connection.execute("SELECT pg_advisory_xact_lock($1)", &[&lock])?;
            // A statement of its own: it reads what the key's last holder committed.
            read::idempotency(&mut Source(connection), &scope, &key)
        })
    }

    fn commit(mut self: Box<Self>, batch: &BatchWrite) -> Result<(), StoreError> {
        let plan = write::plan(batch);
        self.run(move |connection| {
            write::run(connection, &plan)?;
            connection.batch_execute("COMMIT")
        })?;
        self.open = false;
        Ok(())
    }
}

impl Drop for PgSharedBatch<'_> {
    fn drop(&mut self) {
        if self.open {
            // Waited for, so the batch's locks are gone when the drop returns.
            let _ = self.worker.run(|connection| {
                connection.rollback();
                Ok(())
            });
        }
    }
}
