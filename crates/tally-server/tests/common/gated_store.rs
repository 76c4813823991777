//! A store the engine tests control: a real SQLite file whose commits the test can hold at a
//! gate, make fail, and count; and the helpers that drive the engine against it without ever
//! waiting on time.
//!
//! The gate: while it is closed, a commit says that it has started (and what it carries) and
//! then blocks until the test opens the gate or lets exactly that one commit through. The test
//! waits on that with a condition variable, so "this batch is being committed while the next
//! ones are applied" is forced, not hoped for.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::task::Poll;

use tally_core::{AccountState, Grant, Hold};
use tally_engine::{Answer, Command, EngineHandle, Idempotency, Reply as EngineReply};
use tally_server::error::ApiError;
use tally_sqlite::SqliteStore;
use tally_store::{ApiKeyRecord, BatchWrite, IdempotencyRecord, LedgerStore, StoreError};

/// A temp directory, removed when dropped.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!(
            "tally-{name}-{}-{}",
            std::process::id(),
            tally_engine::ids::random_token(8)
        ));
        std::fs::create_dir_all(&path).expect("creating a temp dir");
        TempDir(path)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A commit waiting at the closed gate.
#[derive(Clone, Debug)]
pub(crate) struct BlockedCommit {
    /// Its number among all commits this store has started (from 1).
    pub number: u64,
    /// How many engine batches it carries.
    pub batches: usize,
    /// What they write.
    pub writes: Vec<BatchWrite>,
}

#[derive(Default)]
struct Gate {
    closed: bool,
    /// Commits the test let through while the gate stays closed.
    permits: u64,
    /// The commit waiting at the gate, if any.
    blocked: Option<BlockedCommit>,
    /// Commits that entered `commit_many`.
    started: u64,
    /// How many of the next commits fail.
    fail_next: u64,
    failed: u64,
    succeeded: u64,
}

/// [`SqliteStore`] with a gate, injected failures and counters on `commit_many`; every other
/// method is the SQLite store's own.
pub(crate) struct GatedStore {
    inner: SqliteStore,
    gate: Mutex<Gate>,
    changed: Condvar,
}

impl GatedStore {
    /// The store on `path` (created if missing), with the gate open.
    pub(crate) fn open(path: &Path) -> GatedStore {
        GatedStore {
            inner: SqliteStore::open(path).expect("opening the SQLite store"),
            gate: Mutex::new(Gate::default()),
            changed: Condvar::new(),
        }
    }

    fn gate(&self) -> MutexGuard<'_, Gate> {
        // A test that panicked while holding the lock leaves the counters as they were.
        self.gate
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn wait<'a>(&self, gate: MutexGuard<'a, Gate>) -> MutexGuard<'a, Gate> {
        self.changed
            .wait(gate)
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// From now on every commit blocks at the gate.
    pub(crate) fn close_gate(&self) {
        self.gate().closed = true;
    }

    /// Lets every waiting and later commit through.
    pub(crate) fn open_gate(&self) {
        let mut gate = self.gate();
        gate.closed = false;
        gate.permits = 0;
        self.changed.notify_all();
    }

    /// Lets exactly one commit through (the one waiting, or the next); the gate stays closed.
    pub(crate) fn release_one(&self) {
        self.gate().permits += 1;
        self.changed.notify_all();
    }

    /// Blocks until a commit after the first `after` ones is waiting at the closed gate, and
    /// says what it carries.
    pub(crate) fn wait_for_blocked_commit(&self, after: u64) -> BlockedCommit {
        let mut gate = self.gate();
        loop {
            assert!(
                gate.closed,
                "waiting for a blocked commit with the gate open"
            );
            if let Some(blocked) = gate.blocked.as_ref().filter(|b| b.number > after) {
                return blocked.clone();
            }
            gate = self.wait(gate);
        }
    }

    /// Makes the next `count` commits fail with [`StoreError::Unavailable`] (after the gate).
    pub(crate) fn fail_next_commits(&self, count: u64) {
        self.gate().fail_next = count;
    }

    /// Injected failures not used yet.
    pub(crate) fn failures_pending(&self) -> u64 {
        self.gate().fail_next
    }

    /// Commits that entered `commit_many` (so far, on this store).
    pub(crate) fn commits_started(&self) -> u64 {
        self.gate().started
    }

    pub(crate) fn commits_failed(&self) -> u64 {
        self.gate().failed
    }

    pub(crate) fn commits_succeeded(&self) -> u64 {
        self.gate().succeeded
    }
}

impl LedgerStore for GatedStore {
    fn commit_many(&self, batches: &[&BatchWrite]) -> Result<(), StoreError> {
        {
            let mut gate = self.gate();
            gate.started += 1;
            if gate.closed {
                gate.blocked = Some(BlockedCommit {
                    number: gate.started,
                    batches: batches.len(),
                    writes: batches.iter().map(|write| (*write).clone()).collect(),
                });
                self.changed.notify_all();
                while gate.closed && gate.permits == 0 {
                    gate = self.wait(gate);
                }
                if gate.closed {
                    gate.permits -= 1;
                }
                gate.blocked = None;
            }
            if gate.fail_next > 0 {
                gate.fail_next -= 1;
                gate.failed += 1;
                return Err(StoreError::Unavailable("injected: the disk is full".into()));
            }
        }
        self.inner.commit_many(batches)?;
        self.gate().succeeded += 1;
        Ok(())
    }

    fn load_states(&self) -> Result<Vec<AccountState>, StoreError> {
        self.inner.load_states()
    }

    fn max_grant_ordinal(&self) -> Result<i64, StoreError> {
        self.inner.max_grant_ordinal()
    }

    fn idempotency(&self, scope: &str, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        self.inner.idempotency(scope, key)
    }

    fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.inner.meta(key)
    }

    fn grant(&self, id: &str) -> Result<Option<Grant>, StoreError> {
        self.inner.grant(id)
    }

    fn hold(&self, id: &str) -> Result<Option<Hold>, StoreError> {
        self.inner.hold(id)
    }

    fn purchase(&self, id: &str) -> Result<Option<tally_core::Purchase>, StoreError> {
        self.inner.purchase(id)
    }

    fn charge_written(&self, id: &str) -> Result<Option<tally_core::Charge>, StoreError> {
        self.inner.charge_written(id)
    }

    fn latest_rate_card_version(&self) -> Result<Option<i64>, StoreError> {
        self.inner.latest_rate_card_version()
    }

    fn api_key(&self, id: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        self.inner.api_key(id)
    }

    fn portal_link(&self, token_hash: &str) -> Result<Option<tally_core::PortalLink>, StoreError> {
        self.inner.portal_link(token_hash)
    }
}

/// Reads go to the SQLite store itself: only the engine's side is gated.
impl std::ops::Deref for GatedStore {
    type Target = SqliteStore;

    fn deref(&self) -> &SqliteStore {
        &self.inner
    }
}

/// An engine answer as the API gives it: the status, the JSON body and whether it replays a
/// key's first answer (a refusal as the API's error).
#[derive(Clone, Debug)]
pub(crate) struct Rendered {
    pub status: u16,
    pub body: RenderedBody,
    pub replayed: bool,
}

/// A body as the API sends it.
#[derive(Clone, Debug)]
pub(crate) struct RenderedBody(String);

impl RenderedBody {
    pub(crate) fn into_json(self) -> String {
        self.0
    }
}

/// What the tests compare: the engine's reply in the API's terms.
pub(crate) type Reply = Result<Rendered, ApiError>;

/// The engine's reply as the API renders it (`tally_server::reply`).
pub(crate) fn as_api(reply: EngineReply) -> Reply {
    let rendered = |status: u16, body: String, replayed: bool| Rendered {
        status,
        body: RenderedBody(body),
        replayed,
    };
    match reply.map_err(ApiError::from)? {
        Answer::Done(outcome) => Ok(rendered(
            tally_server::reply::outcome_status(&outcome).as_u16(),
            tally_server::reply::outcome_body(&outcome).to_string(),
            false,
        )),
        Answer::Recorded { answer, .. } => Ok(rendered(answer.status, answer.body, false)),
        Answer::Replayed(answer) => Ok(rendered(answer.status, answer.body, true)),
    }
}

/// The renderer the API hands the engine.
pub(crate) fn renderer() -> tally_engine::Renderer {
    tally_server::reply::renderer()
}

type ReplyFuture = Pin<Box<dyn Future<Output = Reply> + Send>>;

enum Slot {
    Waiting(ReplyFuture),
    Answered(Reply),
}

/// Commands handed to the engine, in order, whose answers may not have come yet.
pub(crate) struct Submitted {
    slots: Vec<Slot>,
}

/// Submits the commands in this order and returns without waiting for their answers: each
/// `submit` is polled once, in order, which puts its command in the engine's channel. So the
/// engine receives (and applies) them in exactly this order.
pub(crate) async fn submit_in_order(
    engine: &EngineHandle,
    commands: impl IntoIterator<Item = (Command, Option<Idempotency>)>,
) -> Submitted {
    let mut slots: Vec<Slot> = commands
        .into_iter()
        .map(|(command, idempotency)| {
            let engine = engine.clone();
            let future: ReplyFuture =
                Box::pin(async move { as_api(engine.submit(command, idempotency).await) });
            Slot::Waiting(future)
        })
        .collect();
    std::future::poll_fn(|context| {
        for slot in &mut slots {
            if let Slot::Waiting(future) = slot
                && let Poll::Ready(reply) = future.as_mut().poll(context)
            {
                *slot = Slot::Answered(reply);
            }
        }
        Poll::Ready(())
    })
    .await;
    Submitted { slots }
}

impl Submitted {
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// Every answer, in submission order.
    pub(crate) async fn replies(self) -> Vec<Reply> {
        let mut replies = Vec::with_capacity(self.slots.len());
        for slot in self.slots {
            replies.push(match slot {
                Slot::Answered(reply) => reply,
                Slot::Waiting(future) => future.await,
            });
        }
        replies
    }
}

/// Blocks until the engine has applied `commands` commands in all (its `commands` counter
/// counts a batch once it is applied, before it is handed to the committer). A wait on a
/// condition: it yields the CPU and never decides anything by time.
pub(crate) fn wait_until_applied(engine: &EngineHandle, commands: u64) {
    while engine.metrics.commands.load(Ordering::SeqCst) < commands {
        std::thread::yield_now();
    }
}
