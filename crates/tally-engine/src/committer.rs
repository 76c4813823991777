//! The committer: the thread that writes the engine's batches, so the engine can go on
//! applying while earlier batches are written and synced.
//!
//! The engine hands each applied batch over and goes straight on to the next. The committer
//! takes everything handed over since its last commit and writes it in one transaction (up to
//! the engine's batch bound in commands), so under load every fsync carries all the work that
//! arrived while the last one ran. Every answer is sent from here, after its batch commits,
//! in batch order: no client ever sees an effect, or a refusal that depends on one, before it
//! is durable.
//!
//! The engine remembers what each handed-over batch decided ([`InFlight`]) until
//! [`CommitterLink::finished`] says it is done, instead of asking the store, which does not
//! have it yet. When a commit fails the in-memory state is ahead of the store: the committer
//! refuses every batch it is handed until the engine, having seen
//! [`CommitterLink::poisoned`], drains the pipeline with a barrier and reloads.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;

use tally_store::{BatchWrite, LedgerStore, StoreError};
use tokio::sync::oneshot;

use crate::batch::InFlight;
use crate::config::EngineMetrics;
use crate::stop::stop_process;
use crate::{EngineError, Reply};

/// How many batches the engine may hand over before it waits for the committer.
const HANDOFF_BATCHES_MAX: usize = 64;

/// One applied batch, handed over.
pub(crate) struct Handoff {
    pub seq: u64,
    /// How many commands it holds (the committer's transactions respect the batch bound).
    pub commands: usize,
    pub write: Arc<BatchWrite>,
    pub replies: Vec<(oneshot::Sender<Reply>, Reply)>,
    /// The engine's memory of batches already finished: freed here, off the engine thread
    /// (thousands of entries at a time).
    pub retired: Vec<InFlight>,
}

enum ToCommitter {
    Batch(Handoff),
    /// Answered once every batch handed over before it is finished; clears the poison.
    Barrier(mpsc::SyncSender<()>),
}

/// The engine's end of the committer.
pub(crate) struct CommitterLink {
    sender: Option<mpsc::SyncSender<ToCommitter>>,
    poisoned: Arc<AtomicBool>,
    finished: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl CommitterLink {
    /// Starts the committer; one transaction holds at most `max_commands` commands (but always
    /// at least one batch).
    pub(crate) fn start(
        store: Arc<dyn LedgerStore>,
        metrics: Arc<EngineMetrics>,
        max_commands: usize,
    ) -> Self {
        let (sender, receiver) = mpsc::sync_channel(HANDOFF_BATCHES_MAX);
        let poisoned = Arc::new(AtomicBool::new(false));
        let finished = Arc::new(AtomicU64::new(0));
        let committer = Committer {
            store,
            metrics,
            max_commands,
            poisoned: poisoned.clone(),
            finished: finished.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("tally-commit".into())
            .spawn(move || {
                // As in the engine: a panic here means nobody knows what is durable.
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    committer.run(receiver);
                }));
                if outcome.is_err() {
                    stop_process("committer: panicked; stopping the process");
                }
            })
            .expect("engine: spawning the committer thread");
        CommitterLink {
            sender: Some(sender),
            poisoned,
            finished,
            thread: Some(thread),
        }
    }

    /// Hands a batch over. Waits only when many batches are already waiting.
    pub(crate) fn send(&self, handoff: Handoff) {
        self.sender
            .as_ref()
            .expect("engine: the committer runs until the engine stops")
            .send(ToCommitter::Batch(handoff))
            .expect("engine: the committer thread is gone");
    }

    /// The highest batch number finished (committed, or refused after a failure).
    pub(crate) fn finished(&self) -> u64 {
        self.finished.load(Ordering::Acquire)
    }

    /// Whether a commit failed since the last [`CommitterLink::drain`].
    pub(crate) fn poisoned(&self) -> bool {
        self.poisoned.load(Ordering::SeqCst)
    }

    /// Waits until every batch handed over is finished, and clears the poison: the engine
    /// reloads from the store next.
    pub(crate) fn drain(&self) {
        let (ack, acked) = mpsc::sync_channel(1);
        self.sender
            .as_ref()
            .expect("engine: the committer runs until the engine stops")
            .send(ToCommitter::Barrier(ack))
            .expect("engine: the committer thread is gone");
        acked.recv().expect("engine: the committer thread is gone");
    }
}

impl Drop for CommitterLink {
    /// Lets the committer finish what it was handed, then waits for it.
    fn drop(&mut self) {
        drop(self.sender.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct Committer {
    store: Arc<dyn LedgerStore>,
    metrics: Arc<EngineMetrics>,
    max_commands: usize,
    poisoned: Arc<AtomicBool>,
    finished: Arc<AtomicU64>,
}

impl Committer {
    fn run(&self, receiver: mpsc::Receiver<ToCommitter>) {
        let mut waiting = VecDeque::new();
        loop {
            if waiting.is_empty() {
                match receiver.recv() {
                    Ok(message) => waiting.push_back(message),
                    Err(mpsc::RecvError) => return,
                }
            }
            while let Ok(message) = receiver.try_recv() {
                waiting.push_back(message);
            }
            match waiting.pop_front() {
                Some(ToCommitter::Barrier(ack)) => {
                    self.poisoned.store(false, Ordering::SeqCst);
                    let _ = ack.send(());
                }
                Some(ToCommitter::Batch(first)) => {
                    let mut commands = first.commands;
                    let mut group = vec![first];
                    while let Some(ToCommitter::Batch(next)) = waiting.front() {
                        if commands + next.commands > self.max_commands {
                            break;
                        }
                        commands += next.commands;
                        let Some(ToCommitter::Batch(next)) = waiting.pop_front() else {
                            unreachable!("committer: the front was a batch");
                        };
                        group.push(next);
                    }
                    self.commit(group);
                }
                None => {}
            }
        }
    }

    /// Commits a group of batches in one transaction, then answers them in order.
    fn commit(&self, group: Vec<Handoff>) {
        let last_seq = group.last().map_or(0, |handoff| handoff.seq);
        let writes: Vec<&BatchWrite> = group
            .iter()
            .map(|handoff| handoff.write.as_ref())
            .filter(|write| !write.is_empty())
            .collect();
        let refused = if self.poisoned.load(Ordering::SeqCst) {
            Some("an earlier commit failed; the engine is reloading".to_string())
        } else if writes.is_empty() {
            None
        } else {
            let started = std::time::Instant::now();
            let committed = self.store.commit_many(&writes);
            self.metrics
                .commit_micros_total
                .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
            self.metrics.batches.fetch_add(1, Ordering::Relaxed);
            committed.err().map(|error| {
                tracing::error!(%error, "engine: commit failed; answering 503 and reloading");
                self.metrics.commit_failures.fetch_add(1, Ordering::Relaxed);
                // Poisoned first: every batch after these is refused until the engine has
                // drained the pipeline and reloaded.
                self.poisoned.store(true, Ordering::SeqCst);
                self.metrics.healthy.store(false, Ordering::SeqCst);
                error.to_string()
            })
        };
        self.finished.store(last_seq, Ordering::Release);
        for handoff in group {
            match &refused {
                None => {
                    for (sender, reply) in handoff.replies {
                        let _ = sender.send(reply);
                    }
                }
                Some(detail) => {
                    for (sender, _) in handoff.replies {
                        let _ = sender.send(Err(EngineError::Store(StoreError::Unavailable(
                            detail.clone(),
                        ))));
                    }
                }
            }
            drop((handoff.write, handoff.retired));
        }
    }
}
