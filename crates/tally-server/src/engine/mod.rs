//! The ledger engine: the one writer of the process, with group commit.
//!
//! Requests enter a channel; the engine thread drains whatever is waiting (up to
//! `max_batch`) into one batch, applies each command in order with the pure core, writes the
//! whole batch in one transaction, commits once, and only then answers every request of the
//! batch. A rejected command changes nothing and does not affect the others. Idempotency keys
//! are checked here and written in the same transaction as their effect.
//!
//! On the embedded store the engine is the only writer, so it keeps every account's state in
//! memory and only writes; the writing is done by the [`committer`] thread, so the next batch
//! is applied while the last one is synced (its answers still wait for its commit). It is also the scheduler: it wakes when the next hold or grant
//! falls due (or when the test clock moves) and does that work in a batch of its own.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::json;
use tally_core::catalog::Catalog;
use tally_core::{
    Account, AccountState, Clock, DebitSpec, Effects, Grant, GrantSpec, HoldStatus, Millicredits,
    Rejection, Timestamp,
};
use tally_store::{ApiKeyRecord, BatchWrite, IdempotencyRecord, PurchaseRecord, Store, StoreError};
use tokio::sync::oneshot;

use crate::clock::TestClock;
use crate::error::ApiError;
use crate::ids::{RandomIds, new_id};
use crate::render;

mod committer;

use committer::{CommitterLink, Handoff, InFlight};

/// The default bound on commands per batch.
pub const BATCH_COMMANDS_MAX_DEFAULT: usize = 4096;

/// How often a batch on a shared store is tried before its requests get 503.
const SHARED_BATCH_ATTEMPTS_MAX: u32 = 8;

/// How many accounts with due work one shared batch claims.
const SHARED_DUE_ACCOUNTS_PER_BATCH: usize = 256;

/// How long a node of a shared store waits between looks for due work.
const SHARED_SCHEDULER_INTERVAL: Duration = Duration::from_millis(500);

/// The longest the engine sleeps without looking at the clock.
const SCHEDULER_SLEEP_MAX: Duration = Duration::from_secs(1);

/// A command for the engine.
#[derive(Debug, Clone)]
pub enum Command {
    CreateAccount {
        id: Option<String>,
        name: Option<String>,
        overdraft_limit: Millicredits,
        metadata: Option<String>,
    },
    CreateGrant {
        account_id: String,
        spec: GrantSpec,
    },
    VoidGrant {
        grant_id: String,
    },
    Charge {
        account_id: String,
        spec: DebitSpec,
    },
    Hold {
        account_id: String,
        spec: DebitSpec,
        ttl_seconds: i64,
    },
    /// `owner`: the account the caller may act for (`None` for an admin).
    Capture {
        hold_id: String,
        owner: Option<String>,
        amount: Option<Millicredits>,
        extra: Option<String>,
    },
    VoidHold {
        hold_id: String,
        owner: Option<String>,
    },
    CreateApiKey {
        account_id: String,
        key_hash: String,
        secret: String,
    },
    RevokeApiKey {
        key_id: String,
    },
    TouchApiKey {
        key_id: String,
        at: Timestamp,
    },
    /// Moves the test clock and does all work that falls due.
    MoveClock {
        to: Timestamp,
    },
    /// Starts or changes the account's plan subscription.
    Subscribe {
        account_id: String,
        plan_id: String,
        seats: u32,
    },
    /// Cancels the subscription at the current period's end.
    CancelSubscription {
        account_id: String,
    },
    /// Buys a credit pack.
    Purchase {
        account_id: String,
        pack_id: String,
    },
    /// Installs a new rate card version (the engine numbers it).
    PutRateCard {
        document: tally_core::pricing::RateCardDocument,
    },
}

/// The idempotency key a request came with.
#[derive(Debug, Clone)]
pub struct Idempotency {
    pub scope: String,
    pub key: String,
    pub request_hash: String,
}

/// A successful answer.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub status: u16,
    pub body: ReplyBody,
    pub replayed: bool,
}

/// The body of an answer. The engine thread is the one serial part of the write path, so the
/// common answers leave it as values and are rendered to JSON by the request's own task;
/// only a body kept for idempotent replays is rendered by the engine.
#[derive(Debug, Clone)]
pub enum ReplyBody {
    Json(String),
    Charge(Box<tally_core::Charge>),
    Hold(Box<tally_core::Hold>),
    Grant(Box<Grant>),
}

impl ReplyBody {
    /// The body as JSON text.
    pub fn into_json(self) -> String {
        match self {
            ReplyBody::Json(text) => text,
            ReplyBody::Charge(charge) => render::charge(&charge).to_string(),
            ReplyBody::Hold(hold) => render::hold(&hold).to_string(),
            ReplyBody::Grant(grant) => render::grant(&grant).to_string(),
        }
    }
}

pub type Reply = Result<Rendered, ApiError>;

struct Envelope {
    command: Command,
    idempotency: Option<Idempotency>,
    reply: Option<oneshot::Sender<Reply>>,
}

/// Counters the engine keeps for `/metrics`.
#[derive(Default)]
pub struct EngineMetrics {
    /// Transactions committed (on the embedded store, one may carry several engine batches:
    /// the committer writes everything waiting at once).
    pub batches: AtomicU64,
    pub commands: AtomicU64,
    pub commit_failures: AtomicU64,
    pub commit_micros_total: AtomicU64,
    pub healthy: AtomicBool,
}

/// The handle request handlers use to reach the engine.
#[derive(Clone)]
pub struct EngineHandle {
    sender: mpsc::Sender<Envelope>,
    pub metrics: Arc<EngineMetrics>,
}

impl EngineHandle {
    /// Submits a command and waits for its answer (sent after the batch commits).
    pub async fn submit(&self, command: Command, idempotency: Option<Idempotency>) -> Reply {
        let (reply, answer) = oneshot::channel();
        let envelope = Envelope {
            command,
            idempotency,
            reply: Some(reply),
        };
        self.sender.send(envelope).map_err(|_| shutting_down())?;
        answer.await.unwrap_or_else(|_| Err(shutting_down()))
    }

    /// Submits a command nobody waits for (bookkeeping).
    pub fn submit_detached(&self, command: Command) {
        let _ = self.sender.send(Envelope {
            command,
            idempotency: None,
            reply: None,
        });
    }
}

fn shutting_down() -> ApiError {
    ApiError::Unavailable {
        detail: "the server is shutting down; retry".into(),
    }
}

/// Stops the process at once (exit status 70) after a broken invariant. The message goes to
/// stderr directly: the log is written by a background thread that exiting would cut short.
fn stop_process(message: &str) -> ! {
    tracing::error!("{message}");
    eprintln!("tally: {message}");
    std::process::exit(70);
}

/// Starts the engine thread. It runs until every handle is dropped, then finishes what is
/// queued and stops; join the returned thread to wait for that.
pub fn start(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    test_clock: Option<Arc<TestClock>>,
    catalog: Arc<Catalog>,
    max_batch: usize,
) -> Result<(EngineHandle, std::thread::JoinHandle<()>), StoreError> {
    let metrics = Arc::new(EngineMetrics::default());
    let mut engine = Engine {
        store,
        catalog,
        clock,
        test_clock,
        max_batch: max_batch.max(1),
        accounts: HashMap::new(),
        hold_index: HashMap::new(),
        due: BTreeSet::new(),
        due_of: HashMap::new(),
        ids: RandomIds::new(0),
        metrics: metrics.clone(),
        shared: false,
        committer: None,
        in_flight: VecDeque::new(),
        next_seq: 1,
    };
    engine.load()?;
    if !engine.shared {
        engine.committer = Some(CommitterLink::start(
            engine.store.clone(),
            metrics.clone(),
            engine.max_batch,
        ));
    }
    // Catch up first: whatever fell due while the server was down is done (and durable)
    // before the server answers anything, in order, without waiting for a request.
    engine.run_batch(Vec::new());
    if let Some(committer) = &engine.committer {
        committer.drain();
    }
    let (sender, receiver) = mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("tally-engine".into())
        .spawn(move || {
            // A panic in the engine is a broken invariant: stop the process rather than keep
            // answering from a state nobody trusts. A restart reloads it from the store.
            let outcome =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| engine.run(receiver)));
            if outcome.is_err() {
                stop_process("engine: panicked; stopping the process");
            }
        })
        .expect("engine: spawning the engine thread");
    Ok((EngineHandle { sender, metrics }, thread))
}

struct Engine {
    store: Arc<dyn Store>,
    catalog: Arc<Catalog>,
    clock: Arc<dyn Clock>,
    test_clock: Option<Arc<TestClock>>,
    max_batch: usize,
    accounts: HashMap<String, AccountState>,
    /// Pending hold → its account.
    hold_index: HashMap<String, String>,
    /// `(next due instant, account)` for every account with due work.
    due: BTreeSet<(Timestamp, String)>,
    due_of: HashMap<String, Timestamp>,
    ids: RandomIds,
    metrics: Arc<EngineMetrics>,
    /// Whether the store is shared by several nodes (lock and load per batch).
    shared: bool,
    /// The thread that commits batches on the embedded store (none on a shared store, where
    /// each batch commits in its own locking transaction).
    committer: Option<CommitterLink>,
    /// What the batches handed to the committer and not yet finished decided, oldest first.
    in_flight: VecDeque<InFlight>,
    /// The number of the next batch handed to the committer.
    next_seq: u64,
}

/// What one batch has done so far.
#[derive(Default)]
struct Batch {
    write: BatchWrite,
    effects: Effects,
    touched: HashSet<String>,
    /// Whether `idempotency` holds every stored record of the batch's keys (read under lock on
    /// a shared store), so the store need not be asked again.
    idempotency_complete: bool,
    /// Idempotency records written by this batch (not yet in the store), and on a shared store
    /// also those read for its keys.
    idempotency: HashMap<(String, String), IdempotencyRecord>,
    /// Holds resolved by this batch: id → (account, status).
    resolved_holds: HashMap<String, (String, HoldStatus)>,
    /// Grants created by this batch, for a void in the same batch.
    new_grants: HashMap<String, String>,
    /// API keys created by this batch.
    new_keys: HashMap<String, ApiKeyRecord>,
}

enum Outcome {
    Account(Account),
    Grant(Grant),
    Charge(tally_core::Charge),
    Hold(tally_core::Hold),
    ApiKey {
        record: ApiKeyRecord,
        secret: String,
    },
    ApiKeyRevoked(ApiKeyRecord),
    Subscription(tally_core::Subscription),
    Purchase {
        record: PurchaseRecord,
        grant: Grant,
    },
    RateCard(serde_json::Value),
    Clock(Timestamp),
    Nothing,
}

impl Engine {
    fn load(&mut self) -> Result<(), StoreError> {
        self.accounts.clear();
        self.hold_index.clear();
        self.due.clear();
        self.due_of.clear();
        self.in_flight.clear();
        self.shared = self.store.is_shared();
        if self.shared {
            // Nothing is kept across batches: every batch locks and loads what it touches.
            self.metrics.healthy.store(true, Ordering::SeqCst);
            return Ok(());
        }
        self.ids = RandomIds::new(self.store.max_grant_ordinal()?);
        for state in self.store.load_states()? {
            let account_id = state.account.id.clone();
            for hold in state.pending_holds() {
                self.hold_index.insert(hold.id.clone(), account_id.clone());
            }
            self.accounts.insert(account_id.clone(), state);
            self.reschedule(&account_id);
        }
        self.metrics.healthy.store(true, Ordering::SeqCst);
        Ok(())
    }

    fn reschedule(&mut self, account_id: &str) {
        let next = self
            .accounts
            .get(account_id)
            .map_or(Timestamp::MAX, AccountState::next_due_at);
        if let Some(previous) = self.due_of.remove(account_id) {
            self.due.remove(&(previous, account_id.to_string()));
        }
        if next != Timestamp::MAX {
            self.due.insert((next, account_id.to_string()));
            self.due_of.insert(account_id.to_string(), next);
        }
    }

    fn run(mut self, receiver: mpsc::Receiver<Envelope>) {
        let mut disconnected = false;
        while !disconnected {
            let first = match self.time_to_next_due() {
                Some(wait) if wait.is_zero() => match receiver.try_recv() {
                    Ok(envelope) => Some(envelope),
                    Err(mpsc::TryRecvError::Empty) => None,
                    Err(mpsc::TryRecvError::Disconnected) => {
                        disconnected = true;
                        None
                    }
                },
                wait => match receiver.recv_timeout(wait.unwrap_or(SCHEDULER_SLEEP_MAX)) {
                    Ok(envelope) => Some(envelope),
                    Err(mpsc::RecvTimeoutError::Timeout) => None,
                    Err(mpsc::RecvTimeoutError::Disconnected) => {
                        disconnected = true;
                        None
                    }
                },
            };
            let mut envelopes = Vec::new();
            envelopes.extend(first);
            while envelopes.len() < self.max_batch {
                match receiver.try_recv() {
                    Ok(envelope) => envelopes.push(envelope),
                    Err(_) => break,
                }
            }
            self.run_batch(envelopes);
        }
        // Lets the committer finish (and answer) what it was handed.
        drop(self.committer.take());
        tracing::info!("engine stopped");
    }

    /// How long until the next due work (None: nothing due, or a test clock that only moves
    /// on request).
    fn time_to_next_due(&self) -> Option<Duration> {
        if self.test_clock.is_some() {
            return None;
        }
        if self.shared {
            // Other nodes schedule work too: look for claimable due work regularly.
            return Some(SHARED_SCHEDULER_INTERVAL);
        }
        let (next, _) = self.due.first()?;
        let now = self.clock.now();
        let micros = next.as_micros().saturating_sub(now.as_micros()).max(0) as u64;
        Some(Duration::from_micros(micros).min(SCHEDULER_SLEEP_MAX))
    }

    fn run_batch(&mut self, envelopes: Vec<Envelope>) {
        if let Some(committer) = &self.committer
            && (committer.poisoned() || !self.metrics.healthy.load(Ordering::SeqCst))
        {
            // A commit failed: the memory is ahead of the store. Let the committer refuse
            // what it still holds, then reload below.
            committer.drain();
            self.metrics.healthy.store(false, Ordering::SeqCst);
        }
        if !self.metrics.healthy.load(Ordering::SeqCst)
            && let Err(error) = self.load()
        {
            tracing::error!(%error, "engine: reloading the ledger failed");
            for envelope in envelopes {
                if let Some(reply) = envelope.reply {
                    let _ = reply.send(Err(ApiError::from(StoreError::Unavailable(
                        error.to_string(),
                    ))));
                }
            }
            std::thread::sleep(Duration::from_millis(100));
            return;
        }
        if self.shared {
            self.run_shared_batch(envelopes);
            return;
        }
        let mut batch = Batch::default();
        let now = self.clock.now();
        self.ids.raise_floor(now.as_micros());
        self.run_due(now, &mut batch);
        let commands = envelopes.len();
        let mut replies = Vec::with_capacity(envelopes.len());
        for envelope in envelopes {
            let reply = self.handle(envelope.command, envelope.idempotency, &mut batch);
            if let Some(sender) = envelope.reply {
                replies.push((sender, reply));
            }
        }
        self.metrics
            .commands
            .fetch_add(replies.len() as u64, Ordering::Relaxed);
        let write = Arc::new(self.finish_batch(&mut batch));
        let committer = self
            .committer
            .as_ref()
            .expect("engine: the embedded store has a committer");
        let finished = committer.finished();
        let mut retired = Vec::new();
        while self
            .in_flight
            .front()
            .is_some_and(|batch| batch.seq <= finished)
        {
            retired.extend(self.in_flight.pop_front());
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.in_flight.push_back(InFlight {
            seq,
            idempotency: batch.idempotency,
            resolved_holds: batch.resolved_holds,
            new_grants: batch.new_grants,
            new_keys: batch.new_keys,
            write: write.clone(),
        });
        // Even an empty write goes through the committer: its answers may depend on a batch
        // before it, and must not overtake that batch's commit.
        committer.send(Handoff {
            seq,
            commands,
            write,
            replies,
            retired,
        });
    }

    /// The write of a batch whose commands have all been applied.
    fn finish_batch(&self, batch: &mut Batch) -> BatchWrite {
        let mut write = std::mem::take(&mut batch.write);
        write.effects = std::mem::take(&mut batch.effects);
        // A hot grant or hold may change thousands of times in one batch: write it once, as
        // it is at the end.
        last_by_id(&mut write.effects.grants, |grant| grant.id.as_str());
        last_by_id(&mut write.effects.holds, |hold| hold.id.as_str());
        last_by_id(&mut write.effects.subscriptions, |subscription| {
            subscription.account_id.as_str()
        });
        write.usage = tally_core::usage::usage_deltas(&write.effects.entries);
        for account_id in &batch.touched {
            if let Some(state) = self.accounts.get(account_id) {
                write
                    .account_totals
                    .push((account_id.clone(), state.totals()));
                let next_due = Some(state.next_due_at()).filter(|at| *at != Timestamp::MAX);
                write.account_next_due.push((account_id.clone(), next_due));
            }
        }
        write
    }

    /// A batch on a store several nodes share: lock and load the accounts the commands touch
    /// (and a share of the accounts with due work), apply, write, commit; on a serialization
    /// conflict, start over from what is in the store. Nothing is kept across batches.
    fn run_shared_batch(&mut self, envelopes: Vec<Envelope>) {
        let mut commands = Vec::with_capacity(envelopes.len());
        let mut senders = Vec::with_capacity(envelopes.len());
        for envelope in envelopes {
            commands.push((envelope.command, envelope.idempotency));
            senders.push(envelope.reply);
        }
        let mut attempt = 0;
        let outcome = loop {
            attempt += 1;
            let result = self.try_shared_batch(&commands);
            self.accounts.clear();
            self.hold_index.clear();
            match result {
                Err(StoreError::Conflict(detail)) if attempt < SHARED_BATCH_ATTEMPTS_MAX => {
                    tracing::debug!(%detail, attempt, "engine: batch conflicted; retrying");
                    std::thread::sleep(Duration::from_millis(2 * attempt as u64));
                }
                other => break other,
            }
        };
        self.metrics.batches.fetch_add(1, Ordering::Relaxed);
        self.metrics
            .commands
            .fetch_add(commands.len() as u64, Ordering::Relaxed);
        match outcome {
            Ok(replies) => {
                for (sender, reply) in senders.into_iter().zip(replies) {
                    if let Some(sender) = sender {
                        let _ = sender.send(reply);
                    }
                }
            }
            Err(error) => {
                tracing::error!(%error, "engine: shared batch failed; answering 503");
                self.metrics.commit_failures.fetch_add(1, Ordering::Relaxed);
                for sender in senders.into_iter().flatten() {
                    let _ = sender.send(Err(ApiError::from(StoreError::Unavailable(
                        error.to_string(),
                    ))));
                }
            }
        }
    }

    fn try_shared_batch(
        &mut self,
        commands: &[(Command, Option<Idempotency>)],
    ) -> Result<Vec<Reply>, StoreError> {
        let store = self.store.clone();
        let now = self.clock.now();
        self.ids.raise_floor(now.as_micros());
        // The accounts the commands touch (a hold's or grant's account from its committed row:
        // they never move between accounts).
        let mut account_ids = std::collections::BTreeSet::new();
        for (command, _) in commands {
            match command {
                Command::CreateAccount { id: Some(id), .. } => {
                    account_ids.insert(id.clone());
                }
                Command::CreateGrant { account_id, .. }
                | Command::Charge { account_id, .. }
                | Command::Hold { account_id, .. }
                | Command::CreateApiKey { account_id, .. }
                | Command::Subscribe { account_id, .. }
                | Command::CancelSubscription { account_id }
                | Command::Purchase { account_id, .. } => {
                    account_ids.insert(account_id.clone());
                }
                Command::Capture { hold_id, .. } | Command::VoidHold { hold_id, .. } => {
                    if let Some(hold) = store.hold(hold_id)? {
                        account_ids.insert(hold.account_id);
                    }
                }
                Command::VoidGrant { grant_id } => {
                    if let Some(grant) = store.grant(grant_id)? {
                        account_ids.insert(grant.account_id);
                    }
                }
                Command::CreateAccount { id: None, .. }
                | Command::PutRateCard { .. }
                | Command::RevokeApiKey { .. }
                | Command::TouchApiKey { .. }
                | Command::MoveClock { .. } => {}
            }
        }
        let mut shared = store.begin_shared_batch()?;
        let transaction = shared
            .as_mut()
            .expect("engine: a shared store opens shared batches");
        let account_ids: Vec<String> = account_ids.into_iter().collect();
        let mut batch = Batch::default();
        for state in transaction.lock_accounts(&account_ids)? {
            self.adopt(state);
        }
        // The idempotency keys, locked after the accounts and in key order (so two nodes never
        // deadlock), read before anything is applied: a failed lookup fails this attempt, and
        // the whole batch is tried again.
        let mut keys: Vec<(String, String)> = commands
            .iter()
            .filter_map(|(_, idempotency)| idempotency.as_ref())
            .map(|idempotency| (idempotency.scope.clone(), idempotency.key.clone()))
            .collect();
        keys.sort();
        keys.dedup();
        for (scope, key) in keys {
            if let Some(record) = transaction.idempotency(&scope, &key)? {
                batch.idempotency.insert((scope, key), record);
            }
        }
        batch.idempotency_complete = true;
        // The clock is read after the locks: entries follow those of the node that held them.
        let now = self.clock.now();
        self.ids.raise_floor(now.as_micros());
        for state in transaction.claim_due(now, SHARED_DUE_ACCOUNTS_PER_BATCH)? {
            if self.accounts.contains_key(&state.account.id) {
                continue;
            }
            let account_id = state.account.id.clone();
            self.adopt(state);
            self.run_due_on(&account_id, now, &mut batch);
        }
        let mut replies = Vec::with_capacity(commands.len());
        for (command, idempotency) in commands {
            replies.push(self.handle(command.clone(), idempotency.clone(), &mut batch));
        }
        let write = self.finish_batch(&mut batch);
        let transaction = shared.expect("engine: the shared batch is open");
        transaction.commit(&write)?;
        Ok(replies)
    }

    /// Takes a loaded account state into this batch.
    fn adopt(&mut self, state: AccountState) {
        let account_id = state.account.id.clone();
        for hold in state.pending_holds() {
            self.hold_index.insert(hold.id.clone(), account_id.clone());
        }
        self.accounts.insert(account_id, state);
    }

    /// Does the work due at or before `now` on one account.
    fn run_due_on(&mut self, account_id: &str, now: Timestamp, batch: &mut Batch) {
        if let Some(state) = self.accounts.get_mut(account_id) {
            let before = batch.effects.holds.len();
            state.run_due(now, &mut self.ids, &mut batch.effects);
            for hold in &batch.effects.holds[before..] {
                if hold.status != HoldStatus::Pending {
                    self.hold_index.remove(&hold.id);
                    batch
                        .resolved_holds
                        .insert(hold.id.clone(), (account_id.to_string(), hold.status));
                }
            }
            batch.touched.insert(account_id.to_string());
        }
    }

    /// Does every piece of work due at or before `now`, on every account.
    fn run_due(&mut self, now: Timestamp, batch: &mut Batch) {
        while let Some((due_at, account_id)) = self.due.first().cloned() {
            if due_at > now {
                break;
            }
            self.run_due_on(&account_id, now, batch);
            self.reschedule(&account_id);
        }
    }

    fn handle(
        &mut self,
        command: Command,
        idempotency: Option<Idempotency>,
        batch: &mut Batch,
    ) -> Reply {
        if let Some(idempotency) = &idempotency {
            let slot = (idempotency.scope.clone(), idempotency.key.clone());
            let stored = match batch
                .idempotency
                .get(&slot)
                .or_else(|| self.find_in_flight(|batch| batch.idempotency.get(&slot)))
            {
                Some(record) => Some(record.clone()),
                None if batch.idempotency_complete => None,
                None => self
                    .store
                    .idempotency(&idempotency.scope, &idempotency.key)?,
            };
            if let Some(record) = stored {
                if record.request_hash != idempotency.request_hash {
                    return Err(ApiError::IdempotencyConflict);
                }
                return Ok(Rendered {
                    status: record.status,
                    body: ReplyBody::Json(record.body),
                    replayed: true,
                });
            }
        }
        let outcome = self.execute(command, batch)?;
        let Some(idempotency) = idempotency else {
            let status = outcome_status(&outcome);
            let body = match outcome {
                Outcome::Charge(charge) => ReplyBody::Charge(Box::new(charge)),
                Outcome::Hold(hold) => ReplyBody::Hold(Box::new(hold)),
                Outcome::Grant(grant) => ReplyBody::Grant(Box::new(grant)),
                other => ReplyBody::Json(answer_body(&other, &self.accounts).to_string()),
            };
            return Ok(Rendered {
                status,
                body,
                replayed: false,
            });
        };
        let status = outcome_status(&outcome);
        let body = answer_body(&outcome, &self.accounts).to_string();
        let record = IdempotencyRecord {
            scope: idempotency.scope.clone(),
            key: idempotency.key.clone(),
            request_hash: idempotency.request_hash,
            status,
            body: stored_body(&outcome, &body),
            created_at: self.clock.now(),
        };
        batch
            .idempotency
            .insert((idempotency.scope, idempotency.key), record.clone());
        batch.write.idempotency.push(record);
        Ok(Rendered {
            status,
            body: ReplyBody::Json(body),
            replayed: false,
        })
    }

    /// The account of a pending hold the caller may act on, or the right error.
    fn hold_account(
        &self,
        hold_id: &str,
        owner: &Option<String>,
        batch: &Batch,
    ) -> Result<String, ApiError> {
        let visible = |account_id: &str| owner.as_deref().is_none_or(|owner| owner == account_id);
        if let Some(account_id) = self.hold_index.get(hold_id) {
            if visible(account_id) {
                return Ok(account_id.clone());
            }
            return Err(ApiError::NotFound { what: "hold" });
        }
        if let Some((account_id, status)) = batch
            .resolved_holds
            .get(hold_id)
            .or_else(|| self.find_in_flight(|batch| batch.resolved_holds.get(hold_id)))
        {
            if visible(account_id) {
                return Err(ApiError::HoldNotPending { status: *status });
            }
            return Err(ApiError::NotFound { what: "hold" });
        }
        match self.store.hold(hold_id)? {
            Some(hold) if visible(&hold.account_id) => Err(ApiError::HoldNotPending {
                status: hold.status,
            }),
            _ => Err(ApiError::NotFound { what: "hold" }),
        }
    }

    fn execute(&mut self, command: Command, batch: &mut Batch) -> Result<Outcome, ApiError> {
        let now = self.clock.now();
        let outcome = match command {
            Command::CreateAccount {
                id,
                name,
                overdraft_limit,
                metadata,
            } => {
                let id = id.unwrap_or_else(|| new_id("acct_"));
                if self.accounts.contains_key(&id) {
                    return Err(Rejection::AccountExists.into());
                }
                let account = Account {
                    id: id.clone(),
                    name,
                    overdraft_limit,
                    metadata,
                    created_at: now,
                };
                self.accounts
                    .insert(id.clone(), AccountState::new(account.clone()));
                batch.write.new_accounts.push(account.clone());
                batch.touched.insert(id);
                Outcome::Account(account)
            }
            Command::CreateGrant { account_id, spec } => {
                let state = self
                    .accounts
                    .get_mut(&account_id)
                    .ok_or(ApiError::NotFound { what: "account" })?;
                let grant = state.create_grant(spec, now, &mut self.ids, &mut batch.effects)?;
                batch
                    .new_grants
                    .insert(grant.id.clone(), account_id.clone());
                batch.touched.insert(account_id.clone());
                self.reschedule(&account_id);
                Outcome::Grant(grant)
            }
            Command::VoidGrant { grant_id } => {
                let account_id = match batch
                    .new_grants
                    .get(&grant_id)
                    .or_else(|| self.find_in_flight(|batch| batch.new_grants.get(&grant_id)))
                {
                    Some(account_id) => account_id.clone(),
                    None => match self.store.grant(&grant_id)? {
                        Some(grant) => grant.account_id,
                        None => return Err(ApiError::NotFound { what: "grant" }),
                    },
                };
                let state = self
                    .accounts
                    .get_mut(&account_id)
                    .ok_or(ApiError::NotFound { what: "account" })?;
                match state.void_grant(&grant_id, now, &mut self.ids, &mut batch.effects)? {
                    Some(grant) => {
                        batch.touched.insert(account_id.clone());
                        self.reschedule(&account_id);
                        Outcome::Grant(grant)
                    }
                    // Finished before (depleted, or ended): answer it as it stands.
                    None => match self.last_written_grant(&grant_id, batch)? {
                        Some(grant) => Outcome::Grant(grant),
                        None => return Err(ApiError::NotFound { what: "grant" }),
                    },
                }
            }
            Command::Charge { account_id, spec } => {
                let state = self
                    .accounts
                    .get_mut(&account_id)
                    .ok_or(ApiError::NotFound { what: "account" })?;
                let charge = state.charge(spec, now, &mut self.ids, &mut batch.effects)?;
                batch.touched.insert(account_id.clone());
                self.reschedule(&account_id);
                Outcome::Charge(charge)
            }
            Command::Hold {
                account_id,
                spec,
                ttl_seconds,
            } => {
                let state = self
                    .accounts
                    .get_mut(&account_id)
                    .ok_or(ApiError::NotFound { what: "account" })?;
                let hold = state.hold(spec, ttl_seconds, now, &mut self.ids, &mut batch.effects)?;
                self.hold_index.insert(hold.id.clone(), account_id.clone());
                batch.touched.insert(account_id.clone());
                self.reschedule(&account_id);
                Outcome::Hold(hold)
            }
            Command::Capture {
                hold_id,
                owner,
                amount,
                extra,
            } => {
                let account_id = self.hold_account(&hold_id, &owner, batch)?;
                let state = self
                    .accounts
                    .get_mut(&account_id)
                    .ok_or(ApiError::NotFound { what: "account" })?;
                let hold = state.capture(
                    &hold_id,
                    amount,
                    extra,
                    now,
                    &mut self.ids,
                    &mut batch.effects,
                )?;
                self.resolved(&account_id, &hold, batch);
                Outcome::Hold(hold)
            }
            Command::VoidHold { hold_id, owner } => {
                let account_id = self.hold_account(&hold_id, &owner, batch)?;
                let state = self
                    .accounts
                    .get_mut(&account_id)
                    .ok_or(ApiError::NotFound { what: "account" })?;
                let hold = state.void_hold(&hold_id, now, &mut self.ids, &mut batch.effects)?;
                self.resolved(&account_id, &hold, batch);
                Outcome::Hold(hold)
            }
            Command::CreateApiKey {
                account_id,
                key_hash,
                secret,
            } => {
                if !self.accounts.contains_key(&account_id) {
                    return Err(ApiError::NotFound { what: "account" });
                }
                let record = ApiKeyRecord {
                    id: new_id("key_"),
                    account_id: Some(account_id),
                    key_hash,
                    created_at: now,
                    last_used_at: None,
                    revoked_at: None,
                };
                batch.new_keys.insert(record.id.clone(), record.clone());
                batch.write.new_api_keys.push(record.clone());
                Outcome::ApiKey { record, secret }
            }
            Command::RevokeApiKey { key_id } => {
                let record = match batch
                    .new_keys
                    .get(&key_id)
                    .or_else(|| self.find_in_flight(|batch| batch.new_keys.get(&key_id)))
                {
                    Some(record) => Some(record.clone()),
                    None => self.store.api_key(&key_id)?,
                };
                let Some(mut record) = record else {
                    return Err(ApiError::NotFound { what: "key" });
                };
                // Revoked by this batch or the one in flight: not yet in the store.
                let revoked_lately = batch
                    .write
                    .revoked_api_keys
                    .iter()
                    .chain(
                        self.in_flight
                            .iter()
                            .flat_map(|batch| &batch.write.revoked_api_keys),
                    )
                    .find(|(revoked, _)| *revoked == key_id)
                    .map(|(_, at)| *at);
                if record.revoked_at.is_none() {
                    record.revoked_at = revoked_lately;
                }
                if record.revoked_at.is_none() {
                    record.revoked_at = Some(now);
                    batch.write.revoked_api_keys.push((key_id, now));
                }
                Outcome::ApiKeyRevoked(record)
            }
            Command::TouchApiKey { key_id, at } => {
                batch.write.touched_api_keys.push((key_id, at));
                Outcome::Nothing
            }
            Command::Subscribe {
                account_id,
                plan_id,
                seats,
            } => {
                let plan = self.catalog.plan(&plan_id).cloned().ok_or_else(|| {
                    ApiError::invalid_request("plan", format!("no plan {plan_id:?} in the catalog"))
                })?;
                let state = self
                    .accounts
                    .get_mut(&account_id)
                    .ok_or(ApiError::NotFound { what: "account" })?;
                let subscription =
                    state.subscribe(&plan, seats, now, &mut self.ids, &mut batch.effects)?;
                batch.touched.insert(account_id.clone());
                self.reschedule(&account_id);
                Outcome::Subscription(subscription)
            }
            Command::CancelSubscription { account_id } => {
                let state = self
                    .accounts
                    .get_mut(&account_id)
                    .ok_or(ApiError::NotFound { what: "account" })?;
                let subscription =
                    state.cancel_subscription(now, &mut self.ids, &mut batch.effects)?;
                batch.touched.insert(account_id.clone());
                self.reschedule(&account_id);
                Outcome::Subscription(subscription)
            }
            Command::Purchase {
                account_id,
                pack_id,
            } => {
                let pack = self.catalog.pack(&pack_id).cloned().ok_or_else(|| {
                    ApiError::invalid_request("pack", format!("no pack {pack_id:?} in the catalog"))
                })?;
                let state = self
                    .accounts
                    .get_mut(&account_id)
                    .ok_or(ApiError::NotFound { what: "account" })?;
                let grant = state.purchase(&pack, now, &mut self.ids, &mut batch.effects)?;
                batch.touched.insert(account_id.clone());
                self.reschedule(&account_id);
                let record = PurchaseRecord {
                    id: new_id("pur_"),
                    account_id,
                    pack_id: pack.id.clone(),
                    grant_id: grant.id.clone(),
                    credits: pack.credits,
                    price_usd: pack.price_usd.clone(),
                    created_at: now,
                };
                batch.write.new_purchases.push(record.clone());
                Outcome::Purchase { record, grant }
            }
            Command::PutRateCard { document } => {
                let stored = self.store.latest_rate_card_version()?.unwrap_or(0);
                let in_batch = batch
                    .write
                    .new_rate_cards
                    .iter()
                    .chain(
                        self.in_flight
                            .iter()
                            .flat_map(|batch| &batch.write.new_rate_cards),
                    )
                    .map(|card| card.version)
                    .max()
                    .unwrap_or(0);
                let version = stored.max(in_batch) + 1;
                let card = document.into_card(version, render::format_timestamp(now));
                let document = tally_core::pricing::to_json(&card);
                batch
                    .write
                    .new_rate_cards
                    .push(tally_store::RateCardRecord {
                        version,
                        effective_at: now,
                        document: document.to_string(),
                        created_at: now,
                    });
                Outcome::RateCard(document)
            }
            Command::MoveClock { to } => {
                let Some(test_clock) = &self.test_clock else {
                    return Err(ApiError::NotFound { what: "route" });
                };
                test_clock.set(to).map_err(|now| {
                    ApiError::invalid_request(
                        "now",
                        format!(
                            "the clock never moves backwards; it is {}",
                            render::format_timestamp(now)
                        ),
                    )
                })?;
                batch.write.meta.push((
                    crate::app::TEST_CLOCK_META.to_string(),
                    to.as_micros().to_string(),
                ));
                self.run_due(to, batch);
                Outcome::Clock(to)
            }
        };
        Ok(outcome)
    }

    /// The first answer `find` gives, asking the batches in flight newest first.
    fn find_in_flight<'a, T>(&'a self, find: impl Fn(&'a InFlight) -> Option<T>) -> Option<T> {
        self.in_flight.iter().rev().find_map(find)
    }

    /// A grant as last written: by this batch, by a batch in flight, or in the store.
    fn last_written_grant(&self, grant_id: &str, batch: &Batch) -> Result<Option<Grant>, ApiError> {
        let written = batch
            .effects
            .grants
            .iter()
            .rev()
            .chain(
                self.in_flight
                    .iter()
                    .rev()
                    .flat_map(|batch| batch.write.effects.grants.iter().rev()),
            )
            .find(|grant| grant.id == grant_id);
        match written {
            Some(grant) => Ok(Some(grant.clone())),
            None => Ok(self.store.grant(grant_id)?),
        }
    }

    fn resolved(&mut self, account_id: &str, hold: &tally_core::Hold, batch: &mut Batch) {
        self.hold_index.remove(&hold.id);
        batch
            .resolved_holds
            .insert(hold.id.clone(), (account_id.to_string(), hold.status));
        batch.touched.insert(account_id.to_string());
        self.reschedule(account_id);
    }
}

/// The status of a successful answer.
fn outcome_status(outcome: &Outcome) -> u16 {
    match outcome {
        Outcome::Account(_)
        | Outcome::Grant(_)
        | Outcome::Charge(_)
        | Outcome::ApiKey { .. }
        | Outcome::Purchase { .. } => 201,
        Outcome::Hold(hold) if hold.status == HoldStatus::Pending => 201,
        Outcome::Hold(_)
        | Outcome::ApiKeyRevoked(_)
        | Outcome::Subscription(_)
        | Outcome::RateCard(_)
        | Outcome::Clock(_)
        | Outcome::Nothing => 200,
    }
}

/// The body to answer (with a new key's secret, the one time it is shown).
fn answer_body(outcome: &Outcome, accounts: &HashMap<String, AccountState>) -> serde_json::Value {
    match outcome {
        Outcome::Account(account) => {
            let state = accounts.get(&account.id);
            let totals = state.map(AccountState::totals).unwrap_or_default();
            let grants: Vec<Grant> = state
                .map(|state| {
                    state
                        .grants()
                        .iter()
                        .filter(|grant| grant.spendable().is_positive())
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            let balance = render::balance(account, &totals, &grants, None, account.created_at);
            render::account(account, balance)
        }
        Outcome::Grant(grant) => render::grant(grant),
        Outcome::Charge(charge) => render::charge(charge),
        Outcome::Hold(hold) => render::hold(hold),
        Outcome::ApiKey { record, secret } => render::api_key(record, Some(secret)),
        Outcome::ApiKeyRevoked(record) => render::api_key(record, None),
        Outcome::Subscription(subscription) => render::subscription(subscription),
        Outcome::Purchase { record, grant } => render::purchase(record, grant),
        Outcome::RateCard(document) => document.clone(),
        Outcome::Clock(now) => json!({"now": render::instant(*now)}),
        Outcome::Nothing => json!({}),
    }
}

/// The body to keep for idempotent replays: the answer, but never a secret.
fn stored_body(outcome: &Outcome, answer: &str) -> String {
    match outcome {
        Outcome::ApiKey { record, .. } => render::api_key(record, None).to_string(),
        _ => answer.to_string(),
    }
}

/// Keeps only the last snapshot of each id, in the order of those last snapshots.
fn last_by_id<T>(snapshots: &mut Vec<T>, id: impl Fn(&T) -> &str) {
    if snapshots.len() < 2 {
        return;
    }
    let mut last_index: HashMap<&str, usize> = HashMap::with_capacity(snapshots.len());
    for (index, snapshot) in snapshots.iter().enumerate() {
        last_index.insert(id(snapshot), index);
    }
    if last_index.len() == snapshots.len() {
        return;
    }
    let mut keep: Vec<bool> = vec![false; snapshots.len()];
    for index in last_index.into_values() {
        keep[index] = true;
    }
    let mut position = 0;
    snapshots.retain(|_| {
        let kept = keep[position];
        position += 1;
        kept
    });
}

#[cfg(test)]
mod tests {
    use super::last_by_id;

    #[test]
    fn only_the_last_snapshot_of_each_id_is_kept_in_order() {
        let mut snapshots = vec![("a", 1), ("b", 1), ("a", 2), ("c", 1), ("b", 2)];
        last_by_id(&mut snapshots, |snapshot| snapshot.0);
        assert_eq!(snapshots, [("a", 2), ("c", 1), ("b", 2)]);
    }
}
