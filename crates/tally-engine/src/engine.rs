//! The engine thread: it drains whatever is waiting (up to the batch bound) into one batch,
//! looks up the batch's idempotency keys, reads the clock once, does the work that is due,
//! applies each command with the pure core, and hands the batch's write to the committer,
//! which answers every request of the batch once it is durable. A rejected command changes
//! nothing and does not affect the others. A group of commands submitted together
//! ([`crate::EngineHandle::submit_group`]) is never split across batches.
//!
//! On the embedded store the engine is the only writer, so it keeps every account's state in
//! memory and only writes; while the committer syncs one batch, the next is applied, and what
//! unfinished batches decided is remembered ([`InFlight`]). It is also the scheduler: it
//! wakes when the next hold or grant falls due (or when the test clock moves) and does that
//! work in a batch of its own.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::Duration;

use tally_core::catalog::Catalog;
use tally_core::{AccountState, Clock, HoldStatus, Timestamp};
use tally_store::{BatchWrite, EventRecord, IdempotencyRecord, LedgerStore, StoreError};
use tokio::sync::oneshot;

use crate::batch::{Batch, InFlight, KnownKey};
use crate::clock::TestClock;
use crate::command::{Envelope, Submission};
use crate::committer::{CommitterLink, Handoff};
use crate::config::{EngineConfig, EngineMetrics};
use crate::ids::RandomIds;
use crate::known::Known;
use crate::{
    Answer, Command, EngineError, EventRenderer, Idempotency, Renderer, Reply, StoredAnswer,
};

/// The longest the engine sleeps without looking at the clock.
const SCHEDULER_SLEEP_MAX: Duration = Duration::from_secs(1);

/// How long a node of a shared store waits between looks for due work.
const SHARED_SCHEDULER_INTERVAL: Duration = Duration::from_millis(500);

/// How long the engine waits before trying again after a reload failed.
const RELOAD_RETRY_INTERVAL: Duration = Duration::from_millis(100);

pub(crate) struct Engine {
    pub store: Arc<dyn LedgerStore>,
    pub catalog: Arc<Catalog>,
    pub clock: Arc<dyn Clock>,
    pub test_clock: Option<Arc<TestClock>>,
    pub render: Renderer,
    pub render_event: EventRenderer,
    pub batch_commands_max: usize,
    /// Every account's state, boxed: the map's table holds a pointer per slot (its slots are
    /// up to twice its accounts), not a whole state.
    pub accounts: HashMap<String, Box<AccountState>>,
    /// Pending hold → its account.
    pub hold_index: HashMap<String, String>,
    /// Pending purchase → its account.
    pub purchase_index: HashMap<String, String>,
    /// `(next due instant, account)` for every account with due work.
    due: BTreeSet<(Timestamp, String)>,
    due_of: HashMap<String, Timestamp>,
    pub ids: RandomIds,
    pub metrics: Arc<EngineMetrics>,
    /// Whether the store is shared by several nodes (lock and load per batch).
    pub shared: bool,
    /// The thread that commits batches on the embedded store (none on a shared store, where
    /// each batch commits in its own locking transaction).
    committer: Option<CommitterLink>,
    /// What the batches handed to the committer and not yet finished decided, oldest first.
    pub in_flight: VecDeque<InFlight>,
    /// The number of the next batch handed to the committer.
    next_seq: u64,
    /// Whether the next batch records where the test clock stands (the first one does, so
    /// the store always knows the clock its entries were made at).
    record_test_clock: bool,
    /// The instant of the last batch (see [`Engine::batch_now`]).
    last_batch_at: Timestamp,
    /// Where the test clock stood when the engine opened (what a reload goes back to when the
    /// store has no instant of its own yet).
    test_clock_at_open: Timestamp,
}

impl Engine {
    /// Loads the ledger and catches up: whatever fell due while the store was closed is done
    /// (and durable) before the engine answers anything.
    pub(crate) fn open(
        store: Arc<dyn LedgerStore>,
        config: EngineConfig,
        metrics: Arc<EngineMetrics>,
    ) -> Result<Engine, StoreError> {
        let config_has_test_clock = config.test_clock.is_some();
        let test_clock_at_open = config.clock.now();
        let mut engine = Engine {
            store,
            catalog: config.catalog,
            clock: config.clock,
            test_clock: config.test_clock,
            render: config.render,
            render_event: config.render_event,
            batch_commands_max: config.batch_commands_max.max(1),
            accounts: HashMap::new(),
            hold_index: HashMap::new(),
            purchase_index: HashMap::new(),
            due: BTreeSet::new(),
            due_of: HashMap::new(),
            ids: RandomIds::new(0),
            metrics,
            shared: false,
            committer: None,
            in_flight: VecDeque::new(),
            next_seq: 1,
            record_test_clock: config_has_test_clock,
            test_clock_at_open,
            last_batch_at: Timestamp::MIN,
        };
        engine.load()?;
        if !engine.shared {
            engine.committer = Some(CommitterLink::start(
                engine.store.clone(),
                engine.metrics.clone(),
                engine.batch_commands_max,
            ));
        }
        engine.run_batch(Vec::new());
        if let Some(committer) = &engine.committer {
            committer.drain();
        }
        Ok(engine)
    }

    fn load(&mut self) -> Result<(), StoreError> {
        self.accounts.clear();
        self.hold_index.clear();
        self.purchase_index.clear();
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
            for purchase in state.pending_purchases() {
                self.purchase_index
                    .insert(purchase.id.clone(), account_id.clone());
            }
            self.accounts.insert(account_id.clone(), Box::new(state));
            self.reschedule(&account_id);
        }
        self.metrics.healthy.store(true, Ordering::SeqCst);
        Ok(())
    }

    /// After a failed commit: the test clock goes back to where the store has it, since the
    /// moves of the batches that failed never happened.
    fn restore_test_clock(&mut self) -> Result<(), StoreError> {
        let Some(test_clock) = &self.test_clock else {
            return Ok(());
        };
        let stored = self.store.meta(crate::TEST_CLOCK_META)?;
        let at = stored
            .and_then(|micros| micros.parse().ok())
            .map_or(self.test_clock_at_open, Timestamp::from_micros);
        test_clock.restore(at);
        // The next batch records it, in case the store never had it.
        self.record_test_clock = true;
        Ok(())
    }

    /// Files the account under its next due instant (or nowhere when nothing is due).
    pub(crate) fn reschedule(&mut self, account_id: &str) {
        let next = self
            .accounts
            .get(account_id)
            .map_or(Timestamp::MAX, |state| state.next_due_at());
        if let Some(previous) = self.due_of.remove(account_id) {
            self.due.remove(&(previous, account_id.to_string()));
        }
        if next != Timestamp::MAX {
            self.due.insert((next, account_id.to_string()));
            self.due_of.insert(account_id.to_string(), next);
        }
    }

    pub(crate) fn run(mut self, receiver: &mpsc::Receiver<Submission>) {
        let mut disconnected = false;
        // A group that did not fit in the last batch: it starts the next one.
        let mut carried: Option<Submission> = None;
        while !disconnected {
            let first = match carried.take() {
                Some(submission) => Some(submission),
                None => self.wait_for_submission(receiver, &mut disconnected),
            };
            let mut envelopes = Vec::new();
            if let Some(first) = first {
                first.append_to(&mut envelopes);
            }
            while envelopes.len() < self.batch_commands_max {
                match receiver.try_recv() {
                    // A group is never split: one that does not fit waits for the next batch
                    // (which it starts; a group larger than the bound is a batch of its own).
                    Ok(submission)
                        if !envelopes.is_empty()
                            && envelopes.len() + submission.len() > self.batch_commands_max =>
                    {
                        carried = Some(submission);
                        break;
                    }
                    Ok(submission) => submission.append_to(&mut envelopes),
                    Err(_) => break,
                }
            }
            self.run_batch(envelopes);
        }
        // Lets the committer finish (and answer) what it was handed.
        drop(self.committer.take());
        tracing::info!("engine stopped");
    }

    /// The first submission of the next batch, waiting at most until due work falls due (none:
    /// the wait ended with nothing, and the batch only does the due work).
    fn wait_for_submission(
        &self,
        receiver: &mpsc::Receiver<Submission>,
        disconnected: &mut bool,
    ) -> Option<Submission> {
        match self.time_to_next_due() {
            Some(wait) if wait.is_zero() => match receiver.try_recv() {
                Ok(submission) => Some(submission),
                Err(mpsc::TryRecvError::Empty) => None,
                Err(mpsc::TryRecvError::Disconnected) => {
                    *disconnected = true;
                    None
                }
            },
            wait => match receiver.recv_timeout(wait.unwrap_or(SCHEDULER_SLEEP_MAX)) {
                Ok(submission) => Some(submission),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    *disconnected = true;
                    None
                }
            },
        }
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
        let micros = next.as_micros().saturating_sub(now.as_micros()).max(0);
        let micros = u64::try_from(micros).unwrap_or(0);
        Some(Duration::from_micros(micros).min(SCHEDULER_SLEEP_MAX))
    }

    /// Whether the state in memory can be trusted; after a failed commit, lets the committer
    /// refuse what it still holds and reloads from the store.
    fn recover(&mut self, envelopes: &mut Vec<Envelope>) -> bool {
        if let Some(committer) = &self.committer
            && (committer.poisoned() || !self.metrics.healthy.load(Ordering::SeqCst))
        {
            // A commit failed: the memory is ahead of the store. Let the committer refuse
            // what it still holds, then reload below.
            committer.drain();
            self.metrics.healthy.store(false, Ordering::SeqCst);
        }
        if self.metrics.healthy.load(Ordering::SeqCst) {
            return true;
        }
        let Err(error) = self.load().and_then(|()| self.restore_test_clock()) else {
            return true;
        };
        // Not healthy until all of the reload worked (the next batch tries again).
        self.metrics.healthy.store(false, Ordering::SeqCst);
        tracing::error!(%error, "engine: reloading the ledger failed");
        for envelope in envelopes.drain(..) {
            if let Some(reply) = envelope.reply {
                let _ = reply.send(Err(StoreError::Unavailable(error.to_string()).into()));
            }
        }
        std::thread::sleep(RELOAD_RETRY_INTERVAL);
        false
    }

    fn run_batch(&mut self, mut envelopes: Vec<Envelope>) {
        if !self.recover(&mut envelopes) {
            return;
        }
        if self.shared {
            self.run_shared_batch(envelopes);
            return;
        }
        let mut batch = Batch::new(self.batch_now());
        self.ids.raise_floor(batch.now.as_micros());
        if std::mem::take(&mut self.record_test_clock) {
            batch.write.meta.push((
                crate::TEST_CLOCK_META.to_string(),
                batch.now.as_micros().to_string(),
            ));
        }
        self.look_up_keys(&envelopes, &mut batch);
        self.run_due(&mut batch);
        let commands = envelopes.len();
        let mut replies = Vec::with_capacity(envelopes.len());
        for envelope in envelopes {
            let reply = self.handle(
                envelope.command,
                envelope.idempotency,
                envelope.actor.as_deref(),
                &mut batch,
            );
            if let Some(sender) = envelope.reply {
                replies.push((sender, reply));
            }
        }
        self.metrics
            .commands
            .fetch_add(replies.len() as u64, Ordering::Relaxed);
        let write = Arc::new(self.finish_batch(&mut batch));
        self.hand_over(batch, write, commands, replies);
    }

    /// Gives the batch to the committer, remembering what it decided until it is finished.
    fn hand_over(
        &mut self,
        batch: Batch,
        write: Arc<BatchWrite>,
        commands: usize,
        replies: Vec<(oneshot::Sender<Reply>, Reply)>,
    ) {
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
        assert!(
            self.in_flight.back().is_none_or(|last| last.seq < seq),
            "engine: batches are handed over in order"
        );
        self.in_flight.push_back(InFlight {
            seq,
            idempotency: batch.idempotency,
            resolved_holds: batch.resolved_holds,
            new_keys: batch.new_keys,
            portal_links: batch.portal_links,
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

    /// The lookup view of this batch: the batch, then the batches in flight, then the store.
    /// The instant of the next batch: the clock's, but never before the last batch's. A wall
    /// clock stepped backwards (NTP, a VM restored) must not date entries before those
    /// already written, or run due work at an instant before one it already ran at: time
    /// stands still until the clock catches up. The test clock is taken as it is: it moves
    /// only forwards, and back only with the moves a failed commit took with it.
    pub(crate) fn batch_now(&mut self) -> Timestamp {
        let now = self.clock.now();
        if self.test_clock.is_some() {
            return now;
        }
        let now = now.max(self.last_batch_at);
        self.last_batch_at = now;
        now
    }

    pub(crate) fn known<'a>(&'a self, batch: &'a Batch) -> Known<'a> {
        Known::new(batch, &self.in_flight, self.store.as_ref())
    }

    /// Looks up every idempotency key of the batch before any command runs: in the batches in
    /// flight (newest first), then in the store.
    fn look_up_keys(&self, envelopes: &[Envelope], batch: &mut Batch) {
        let mut keys = HashMap::new();
        for idempotency in envelopes
            .iter()
            .filter_map(|envelope| envelope.idempotency.as_ref())
        {
            let slot = (idempotency.scope.clone(), idempotency.key.clone());
            if keys.contains_key(&slot) {
                continue;
            }
            let known = match self.known(batch).idempotency(&slot) {
                Ok(Some(record)) => KnownKey::Recorded(record),
                Ok(None) => KnownKey::Unused,
                Err(error) => KnownKey::LookupFailed(error),
            };
            keys.insert(slot, known);
        }
        batch.keys = keys;
    }

    /// The write of a batch whose commands have all been applied.
    pub(crate) fn finish_batch(&self, batch: &mut Batch) -> BatchWrite {
        let mut write = std::mem::take(&mut batch.write);
        // A hot grant or hold may change thousands of times in one batch: write it once, as
        // it is at the end.
        last_by_id(&mut write.effects.grants, |grant| grant.id.as_str());
        last_by_id(&mut write.effects.holds, |hold| hold.id.as_str());
        last_by_id(&mut write.effects.purchases, |purchase| {
            purchase.id.as_str()
        });
        last_by_id(&mut write.effects.subscriptions, |subscription| {
            subscription.account_id.as_str()
        });
        last_by_id(&mut write.effects.charges, |charge| charge.id.as_str());
        write.usage = tally_core::usage::usage_deltas(&write.effects.entries);
        write
            .usage
            .extend(tally_core::usage::refund_deltas(&write.effects.refunds));
        write.usage_buckets =
            tally_core::usage::bucket_deltas(&write.effects.entries, &write.effects.refunds);
        write.events = write
            .effects
            .events
            .drain(..)
            .map(|event| {
                let body = (self.render_event)(&event);
                EventRecord::of(event, body)
            })
            .collect();
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

    /// Does the work due at or before the batch's instant on one account.
    pub(crate) fn run_due_on(&mut self, account_id: &str, batch: &mut Batch) {
        let Some(state) = self.accounts.get_mut(account_id) else {
            return;
        };
        let before = batch.write.effects.holds.len();
        let purchases_before = batch.write.effects.purchases.len();
        state.run_due(batch.now, &mut self.ids, &mut batch.write.effects);
        state.watch_balance(batch.now, &mut self.ids, &mut batch.write.effects);
        for purchase in &batch.write.effects.purchases[purchases_before..] {
            self.purchase_index.remove(&purchase.id);
        }
        for hold in &batch.write.effects.holds[before..] {
            if hold.status != HoldStatus::Pending {
                self.hold_index.remove(&hold.id);
                batch
                    .resolved_holds
                    .insert(hold.id.clone(), (account_id.to_string(), hold.status));
            }
        }
        batch.touched.insert(account_id.to_string());
    }

    /// Does every piece of work due at or before the batch's instant, on every account.
    pub(crate) fn run_due(&mut self, batch: &mut Batch) {
        while let Some((due_at, account_id)) = self.due.first().cloned() {
            if due_at > batch.now {
                break;
            }
            self.run_due_on(&account_id, batch);
            self.reschedule(&account_id);
            assert!(
                self.due_of
                    .get(&account_id)
                    .is_none_or(|next| *next > due_at),
                "engine: due work on {account_id} did not move its next due instant"
            );
        }
    }

    /// One command: a replay of its key's first answer, or the command applied (and, with a
    /// key, its answer rendered and recorded in the same batch).
    pub(crate) fn handle(
        &mut self,
        command: Command,
        idempotency: Option<Idempotency>,
        actor: Option<&str>,
        batch: &mut Batch,
    ) -> Reply {
        let Some(idempotency) = idempotency else {
            return Ok(Answer::Done(self.execute_audited(command, actor, batch)?));
        };
        let slot = (idempotency.scope, idempotency.key);
        let earlier = match batch.idempotency.get(&slot) {
            Some(record) => Some(record),
            None => match batch.keys.get(&slot) {
                Some(KnownKey::Recorded(record)) => Some(record),
                Some(KnownKey::Unused) => None,
                Some(KnownKey::LookupFailed(error)) => return Err(error.clone().into()),
                None => unreachable!("engine: every key of a batch is looked up before it runs"),
            },
        };
        if let Some(record) = earlier {
            if record.request_hash != idempotency.request_hash {
                return Err(EngineError::IdempotencyConflict);
            }
            return Ok(Answer::Replayed(StoredAnswer {
                status: record.status,
                body: record.body.clone(),
            }));
        }
        let outcome = self.execute_audited(command, actor, batch)?;
        let rendered = (self.render)(&outcome);
        let record = IdempotencyRecord {
            scope: slot.0.clone(),
            key: slot.1.clone(),
            request_hash: idempotency.request_hash,
            status: rendered.answer.status,
            body: rendered
                .kept_body
                .unwrap_or_else(|| rendered.answer.body.clone()),
            created_at: batch.now,
        };
        batch.write.idempotency.push(record.clone());
        batch.idempotency.insert(slot, record);
        Ok(Answer::Recorded {
            outcome,
            answer: rendered.answer,
        })
    }

    /// Applies a command; when an admin made it and it is an admin action, its audit record
    /// goes into the batch's write with the change.
    fn execute_audited(
        &mut self,
        command: Command,
        actor: Option<&str>,
        batch: &mut Batch,
    ) -> Result<crate::Outcome, EngineError> {
        let planned = actor.and_then(|actor| crate::audit::plan(&command).map(|p| (actor, p)));
        let outcome = self.execute(command, batch)?;
        if let Some((actor, planned)) = planned {
            let record = planned.record(crate::ids::audit_id(), actor, &outcome, batch.now);
            batch.write.audit.push(record);
        }
        Ok(outcome)
    }

    /// Forgets what a shared batch loaded (nothing is kept across batches there).
    pub(crate) fn forget(&mut self) {
        self.accounts.clear();
        self.hold_index.clear();
        self.purchase_index.clear();
    }

    /// Counts a batch that committed in its own transaction (a shared batch).
    pub(crate) fn count_batch(&self, commands: usize) {
        self.metrics.batches.fetch_add(1, Ordering::Relaxed);
        self.metrics
            .commands
            .fetch_add(commands as u64, Ordering::Relaxed);
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
