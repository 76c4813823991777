//! One batch's transaction on the shared database, and loading the states of the accounts it
//! locks (tally-store builds them from the rows).
//!
//! Locks come in one order on every node: the accounts' advisory locks in id order (they cover
//! ids with no row yet), then their rows (`FOR UPDATE`, ordered the same way), then the
//! idempotency keys' advisory locks in key order (`(scope, key)`, bytewise), all of a batch's
//! keys in one statement. The transaction is `READ COMMITTED`: each statement reads what was
//! committed before it began, so what is read right after a lock is granted (in a statement
//! of its own) includes everything the previous holder committed. A deadlock PostgreSQL
//! detects anyway is a `Conflict`, and the engine tries the batch again.

use std::time::{Duration, Instant};

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use tally_core::{AccountState, Timestamp};
use tally_store::state::{self, LIVE_GRANTS, PENDING_HOLDS};

use tally_store::{
    BatchWrite, IdempotencyRecord, Locked, SharedBatch, StoreError, UnavailableAccount, read,
    tables,
};

use crate::faults::{self, AfterHook, BatchPoint, FaultHook};
use crate::locks::{account_lock_key, idempotency_lock_key};
use crate::pool::{self, CommitEnd, Connection, Lent};
use crate::rows::{self, JsonRow, Source, decode_all};
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
    // The rest of their state in one statement (one round trip, not seven): each row as a
    // JSON object, with the table it came from.
    let rows = connection.query(&rest_of_states_sql(), &[&present])?;
    let mut rest = Rest::default();
    for row in &rows {
        let table: String = rows::get(row, "t")?;
        let text: String = rows::get(row, "data")?;
        let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text)
            .map_err(|error| StoreError::Corrupt(format!("postgres: a {table} row: {error}")))?;
        let row = JsonRow(&object);
        match table.as_str() {
            "grants" => rest.grants.push(tables::grants::decode(&row)?),
            "holds" => rest.holds.push(tables::holds::decode(&row)?),
            "subscriptions" => rest
                .subscriptions
                .push(tables::subscriptions::decode(&row)?),
            "purchases" => rest.purchases.push(tables::purchases::decode(&row)?),
            "auto_topups" => rest.topups.push(tables::auto_topups::decode(&row)?),
            "limits" => rest.limits.push(tables::limits::decode_limit(&row)?),
            "limit_counters" => rest.counters.push(tables::limits::decode_counter(&row)?),
            other => {
                return Err(StoreError::Corrupt(format!(
                    "postgres: a row of an unknown table {other}"
                )));
            }
        }
    }
    let kept = state::Kept {
        topups: rest.topups,
        limits: rest.limits,
        counters: rest.counters,
    };
    state::assemble(
        accounts,
        rest.grants,
        rest.holds,
        rest.subscriptions,
        rest.purchases,
        kept,
    )
}

/// What [`load_states`] reads besides the accounts' rows.
#[derive(Default)]
struct Rest {
    grants: Vec<tally_core::Grant>,
    holds: Vec<tally_core::Hold>,
    subscriptions: Vec<tally_core::Subscription>,
    purchases: Vec<tally_core::Purchase>,
    topups: Vec<tally_core::AutoTopup>,
    limits: Vec<tables::limits::LimitRow>,
    counters: Vec<tally_core::LimitCounter>,
}

/// The live rows of the accounts `$1` in every table a state is built from but `accounts`,
/// as `(t, data)`: the table's name and the row as a JSON object.
fn rest_of_states_sql() -> String {
    let of = |table: &str, filter: &str| {
        format!(
            "SELECT '{table}' AS t, to_jsonb(r)::text AS data FROM {table} r \
             WHERE r.account_id = ANY($1){filter}"
        )
    };
    [
        of("grants", &format!(" AND ({LIVE_GRANTS})")),
        of("holds", &format!(" AND {PENDING_HOLDS}")),
        of("subscriptions", ""),
        of("purchases", &format!(" AND {}", tables::purchases::PENDING)),
        of(
            "auto_topups",
            &format!(" AND {}", tables::auto_topups::KEPT),
        ),
        format!(
            "SELECT 'limits' AS t, to_jsonb(r)::text AS data FROM ({} \
             WHERE limits.account_id = ANY($1)) r",
            tables::limits::CURRENT
        ),
        of("limit_counters", ""),
    ]
    .join(" UNION ALL ")
}

/// The accounts whose stored state did not load, as this store last found them: due-work
/// claims skip them (a corrupt account would otherwise be claimed, and fail to load, in every
/// batch), and a batch that loads one again takes it off.
pub(crate) type Quarantine = Arc<Mutex<HashSet<String>>>;

/// [`load_states`], sparing the batch an account whose state does not load: when the accounts
/// together fail with `Corrupt` (only decoding and assembly make it, so the transaction is
/// still good), each is loaded alone, and those that fail are reported instead.
pub(crate) fn load_loadable_states(
    connection: &mut Connection,
    account_ids: &[String],
    lock: bool,
) -> Result<Locked, StoreError> {
    match load_states(connection, account_ids, lock) {
        Ok(states) => Ok(Locked {
            states,
            unavailable: Vec::new(),
        }),
        // One account alone: that is the one, no need to load it again.
        Err(StoreError::Corrupt(problem)) if account_ids.len() == 1 => Ok(Locked {
            states: Vec::new(),
            unavailable: vec![UnavailableAccount {
                account_id: account_ids[0].clone(),
                problem,
            }],
        }),
        Err(StoreError::Corrupt(_)) => {
            let mut locked = Locked::default();
            for id in account_ids {
                match load_states(connection, std::slice::from_ref(id), lock) {
                    Ok(mut states) => locked.states.append(&mut states),
                    Err(StoreError::Corrupt(problem)) => {
                        locked.unavailable.push(UnavailableAccount {
                            account_id: id.clone(),
                            problem,
                        });
                    }
                    Err(other) => return Err(other),
                }
            }
            Ok(locked)
        }
        Err(other) => Err(other),
    }
}

/// How long a commit whose answer was lost is looked into before it is given up as unknown.
const SETTLE_WAIT_MAX: Duration = Duration::from_secs(5);

/// How long to wait between two looks while the lost commit's transaction is still running.
const SETTLE_POLL: Duration = Duration::from_millis(10);

/// What settling a lost COMMIT found out.
enum Settled {
    /// The server says the transaction committed.
    Committed,
    /// The server says it did not: final (a process still running it was ended first).
    Aborted,
    /// Not found out in time; what the last look failed with, if it failed.
    Unknown(String),
}

/// What the server says of a transaction (`txid_status`).
enum TransactionStatus {
    Committed,
    Aborted,
    InProgress,
    /// Too old for the server to remember (or a status this code does not know).
    Forgotten,
}

/// The same error again (`StoreError` is not `Clone`).
fn again(error: &StoreError) -> StoreError {
    match error {
        StoreError::Unavailable(detail) => StoreError::Unavailable(detail.clone()),
        StoreError::Corrupt(detail) => StoreError::Corrupt(detail.clone()),
        StoreError::Conflict(detail) => StoreError::Conflict(detail.clone()),
        StoreError::Refused(detail) => StoreError::Refused(detail.clone()),
        StoreError::Interrupted(detail) => StoreError::Interrupted(detail.clone()),
    }
}

/// A batch's open transaction, on a connection lent to it alone until it ends.
pub(crate) struct PgSharedBatch<'a> {
    worker: Lent<'a>,
    /// The transaction's id, read with its BEGIN: what the server is asked about if COMMIT's
    /// answer is lost.
    xid: i64,
    /// Whether the transaction is still open (dropping the batch rolls it back).
    open: bool,
    /// The accounts this batch has locked.
    locked: Vec<String>,
    /// The first call that failed. PostgreSQL aborts the transaction on any error, so the batch
    /// cannot commit any more: `commit` answers this again (a `Conflict` stays a `Conflict`,
    /// which the engine retries, even when the caller did not stop at the first error).
    failed: Option<StoreError>,
    /// The tests' fault hook, if one is set.
    hook: Option<FaultHook>,
    /// The store's accounts known not to load.
    quarantine: Quarantine,
}

impl<'a> PgSharedBatch<'a> {
    /// Opens the transaction.
    pub(crate) fn begin(
        mut worker: Lent<'a>,
        hook: Option<FaultHook>,
        quarantine: Quarantine,
    ) -> Result<Self, StoreError> {
        let at_begin = hook.clone();
        let xid = worker.run(pool::retried_once(move |connection| {
            let xid = connection.begin_with_xid("BEGIN ISOLATION LEVEL READ COMMITTED")?;
            let after = faults::call(
                at_begin.as_ref(),
                BatchPoint::Begun,
                connection.backend_pid(),
            );
            faults::follow(connection, after);
            Ok(xid)
        }))?;
        Ok(PgSharedBatch {
            worker,
            xid,
            open: true,
            locked: Vec::new(),
            failed: None,
            hook,
            quarantine,
        })
    }

    /// Finds out whether the transaction `xid`, whose `COMMIT` got no answer, committed: on a
    /// new connection, asks the server (`txid_status`) until the transaction has ended. One
    /// still running (its server process has not noticed the lost connection yet) is ended
    /// with its process, `pid`, so that the answer comes at once and is final. Only
    /// [`Settled::Committed`] may be answered as done; otherwise nothing is acknowledged, and
    /// a retry with the same idempotency key gets the one true outcome.
    fn settle(&mut self, xid: i64, pid: Option<i32>, lost: &str) -> Settled {
        let deadline = Instant::now() + SETTLE_WAIT_MAX;
        let mut terminated = false;
        let mut last_error = String::new();
        loop {
            let status = self.worker.run(pool::retried_once(move |connection| {
                let rows = connection.query("SELECT txid_status($1) AS status", &[&xid])?;
                let status: Option<String> = match rows.first() {
                    Some(row) => rows::get(row, "status")?,
                    None => None,
                };
                Ok(match status.as_deref() {
                    Some("committed") => TransactionStatus::Committed,
                    Some("aborted") => TransactionStatus::Aborted,
                    Some("in progress") => TransactionStatus::InProgress,
                    _ => TransactionStatus::Forgotten,
                })
            }));
            match status {
                Ok(TransactionStatus::Committed) => {
                    tracing::warn!(
                        xid,
                        lost,
                        "postgres: the connection was lost at COMMIT; the batch committed"
                    );
                    return Settled::Committed;
                }
                Ok(TransactionStatus::Aborted) => return Settled::Aborted,
                Ok(TransactionStatus::Forgotten) => break,
                Ok(TransactionStatus::InProgress) => {
                    if !terminated && let Some(pid) = pid {
                        terminated = true;
                        let _ = self.worker.run(move |connection| {
                            connection.query(
                                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                                 WHERE pid = $1 AND backend_xid::text = ($2 % 4294967296)::text",
                                &[&pid, &xid],
                            )
                        });
                    }
                }
                Err(error) => last_error = format!(" (asking: {error})"),
            }
            if Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(SETTLE_POLL);
        }
        tracing::error!(
            xid,
            lost,
            "postgres: the connection was lost at COMMIT and whether the batch committed could \
             not be found out; answered as not done{last_error}"
        );
        Settled::Unknown(last_error)
    }

    /// A COMMIT whose answer was lost, settled: `Ok` only when the server says it committed.
    fn settle_lost(&mut self, xid: i64, pid: Option<i32>, lost: &str) -> Result<(), StoreError> {
        match self.settle(xid, pid, lost) {
            Settled::Committed => Ok(()),
            Settled::Aborted => Err(StoreError::Unavailable(format!(
                "postgres: the connection was lost at COMMIT ({lost}); the batch did not commit"
            ))),
            Settled::Unknown(last_error) => Err(StoreError::Unavailable(format!(
                "postgres: the connection was lost at COMMIT ({lost}) and whether the batch \
                 committed is unknown{last_error}"
            ))),
        }
    }

    /// A COMMIT that could not be sent, the connection found lost first: the transaction
    /// cannot have committed, but its server process may still hold its locks (it has not
    /// seen the connection go, as when the network failed). It is settled as a lost COMMIT
    /// is, which ends that process; once the server says the transaction is over without
    /// committing, the batch is `Interrupted`, and may be tried again on a new connection.
    fn settle_not_sent(
        &mut self,
        xid: i64,
        pid: Option<i32>,
        lost: &str,
    ) -> Result<(), StoreError> {
        match self.settle(xid, pid, lost) {
            // Not without its COMMIT; but the server's word is the one that counts.
            Settled::Committed => Ok(()),
            Settled::Aborted => Err(StoreError::Interrupted(format!(
                "postgres: the connection was lost before COMMIT was sent ({lost}); the batch \
                 did not commit"
            ))),
            Settled::Unknown(last_error) => Err(StoreError::Unavailable(format!(
                "postgres: the connection was lost before COMMIT was sent ({lost}), and whether \
                 its transaction has ended could not be found out{last_error}"
            ))),
        }
    }

    /// Runs a statement job in the transaction, remembering a failure. A job that found the
    /// connection lost is `Interrupted`: no COMMIT was sent, so nothing of the batch applied.
    fn run<T: Send + 'static>(
        &mut self,
        job: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        if let Some(failed) = &self.failed {
            return Err(again(failed));
        }
        let result = self.worker.run(move |connection| match job(connection) {
            Err(StoreError::Unavailable(detail)) if connection.transaction_lost() => {
                Err(StoreError::Interrupted(detail))
            }
            result => result,
        });
        if let Err(error) = &result {
            self.failed = Some(again(error));
        }
        result
    }
}

impl SharedBatch for PgSharedBatch<'_> {
    fn lock_accounts(&mut self, account_ids: &[String]) -> Result<Vec<AccountState>, StoreError> {
        let locked = self.lock_loadable_accounts(account_ids)?;
        match locked.unavailable.first() {
            None => Ok(locked.states),
            Some(account) => Err(StoreError::Corrupt(account.problem.clone())),
        }
    }

    fn lock_loadable_accounts(&mut self, account_ids: &[String]) -> Result<Locked, StoreError> {
        let mut ids = account_ids.to_vec();
        ids.sort();
        ids.dedup();
        self.locked.extend(ids.iter().cloned());
        let hook = self.hook.clone();
        let locks: Vec<i64> = ids.iter().map(|id| account_lock_key(id)).collect();
        let locked = self.run(move |connection| {
            // One statement, taking them in id order (waiting, lock after lock, for any held
            // elsewhere); the loads that follow are statements of their own, so they read what
            // each lock's last holder committed.
            if !locks.is_empty() {
                connection.execute(
                    "SELECT pg_advisory_xact_lock(a.lock)
                     FROM UNNEST($1::bigint[]) WITH ORDINALITY AS a (lock, n) ORDER BY a.n",
                    &[&locks],
                )?;
            }
            let locked = load_loadable_states(connection, &ids, true)?;
            let after = faults::call(hook.as_ref(), BatchPoint::Locked, connection.backend_pid());
            faults::follow(connection, after);
            Ok(locked)
        })?;
        let mut quarantine = self
            .quarantine
            .lock()
            .expect("postgres: quarantine poisoned");
        // Nothing to forget while nothing is quarantined (the usual case).
        if !quarantine.is_empty() {
            for state in &locked.states {
                quarantine.remove(&state.account.id);
            }
        }
        for account in &locked.unavailable {
            quarantine.insert(account.account_id.clone());
        }
        Ok(locked)
    }

    fn claim_due(&mut self, now: Timestamp, limit: usize) -> Result<Vec<AccountState>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        // Neither the accounts this batch holds nor those known not to load.
        let mut mine = self.locked.clone();
        mine.extend(
            self.quarantine
                .lock()
                .expect("postgres: quarantine poisoned")
                .iter()
                .cloned(),
        );
        let locked = self.run(move |connection| {
            // Due accounts no other batch has locked (rows or, just below, advisory locks).
            let due = connection.query(
                "SELECT id FROM accounts WHERE next_due_at <= $1 AND NOT (id = ANY($3))
                 ORDER BY next_due_at LIMIT $2 FOR UPDATE SKIP LOCKED",
                &[&now.as_micros(), &limit, &mine],
            )?;
            if due.is_empty() {
                return Ok(Locked::default());
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
            load_loadable_states(connection, &claimed, true)
        })?;
        self.locked
            .extend(locked.states.iter().map(|state| state.account.id.clone()));
        if !locked.unavailable.is_empty() {
            let mut quarantine = self
                .quarantine
                .lock()
                .expect("postgres: quarantine poisoned");
            for account in &locked.unavailable {
                tracing::error!(
                    account_id = %account.account_id,
                    problem = %account.problem,
                    "postgres: an account with due work does not load; its due work waits \
                     until it is repaired"
                );
                quarantine.insert(account.account_id.clone());
            }
        }
        Ok(locked.states)
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

    /// Two statements whatever the number of keys: one takes their advisory locks, in key
    /// order (waiting, lock after lock, for a batch elsewhere that holds one); the next reads
    /// their records. It must be a statement of its own: a statement reads what was committed
    /// before it began, and only once every lock is granted has each key's last holder
    /// committed.
    fn idempotency_keys(
        &mut self,
        keys: &[(String, String)],
    ) -> Result<Vec<Option<IdempotencyRecord>>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut sorted: Vec<(String, String)> = keys.to_vec();
        sorted.sort();
        sorted.dedup();
        let locks: Vec<i64> = sorted
            .iter()
            .map(|(scope, key)| idempotency_lock_key(scope, key))
            .collect();
        let (scopes, names): (Vec<String>, Vec<String>) = sorted.into_iter().unzip();
        let records = self.run(move |connection| {
            connection.execute(
                "SELECT pg_advisory_xact_lock(k.lock)
                 FROM UNNEST($1::bigint[]) WITH ORDINALITY AS k (lock, n) ORDER BY k.n",
                &[&locks],
            )?;
            // Each key by the primary key: the subquery (its LIMIT keeps it one) is run per
            // key, never joined to a scan of the whole table.
            let rows = connection.query(
                "SELECT i.* FROM UNNEST($1::text[], $2::text[]) AS k (scope, key),
                 LATERAL (SELECT * FROM idempotency
                          WHERE scope = k.scope AND key = k.key LIMIT 1) AS i",
                &[&scopes, &names],
            )?;
            decode_all(&rows, tables::idempotency::decode)
        })?;
        let found: HashMap<(String, String), IdempotencyRecord> = records
            .into_iter()
            .map(|record| ((record.scope.clone(), record.key.clone()), record))
            .collect();
        Ok(keys.iter().map(|slot| found.get(slot).cloned()).collect())
    }

    /// Writes and commits. A `COMMIT` the server answered is final either way; one whose
    /// answer was lost with the connection is settled (see `settle`) before this returns, so
    /// `Ok` always means committed and an error always means not acknowledged.
    fn commit(mut self: Box<Self>, batch: &BatchWrite) -> Result<(), StoreError> {
        let plan = write::plan(batch);
        let hook = self.hook.clone();
        let xid = self.xid;
        let (pid, after) = self.run(move |connection| {
            write::run(connection, &plan)?;
            let pid = connection.backend_pid();
            let after = faults::call(hook.as_ref(), BatchPoint::Written, pid);
            faults::follow(connection, after);
            Ok((pid, after))
        })?;
        let hook = self.hook.clone();
        let end = self.worker.run(move |connection| {
            if after == AfterHook::AbandonAtCommit {
                connection.abandon();
                return Ok(CommitEnd::Lost(
                    "the test hook lost COMMIT on its way".into(),
                ));
            }
            Ok(match connection.commit() {
                CommitEnd::Committed => {
                    let pid = connection.backend_pid();
                    match faults::call(hook.as_ref(), BatchPoint::Committed, pid) {
                        AfterHook::Go | AfterHook::DropConnection | AfterHook::AbandonAtCommit => {
                            CommitEnd::Committed
                        }
                        AfterHook::LoseCommitAnswer => {
                            connection.drop_connection();
                            CommitEnd::Lost("the test hook lost COMMIT's answer".into())
                        }
                    }
                }
                other => other,
            })
        });
        // Whatever happened, the transaction is over (or its connection is gone).
        self.open = false;
        match end {
            Ok(CommitEnd::Committed) => Ok(()),
            Ok(CommitEnd::Refused(error)) => Err(error),
            Ok(CommitEnd::Lost(lost)) => self.settle_lost(xid, pid, &lost),
            Ok(CommitEnd::NotSent(lost)) => self.settle_not_sent(xid, pid, &lost),
            Err(error) => Err(error),
        }
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
