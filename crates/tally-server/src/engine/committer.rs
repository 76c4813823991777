//! The committer: the thread that writes the engine's batches, so the engine can apply the
//! next batch while the last one is written and synced.
//!
//! The engine applies batch N+1 in memory while this thread commits batch N; every answer of
//! a batch is sent from here, after its commit, in batch order, so no client ever sees an
//! effect (or a refusal that depends on one) before it is durable. The channel between them
//! is a rendezvous: the engine's hand-off of N+1 completes only once N is committed, so at
//! most one batch is ever applied but not yet durable, and the engine remembers what that
//! batch decided ([`InFlight`]) instead of asking the store for it.
//!
//! When a commit fails, the in-memory state is ahead of the store. The committer then refuses
//! every batch it is handed (their state built on the failed one) until the engine, having
//! seen [`CommitterLink::poisoned`], drains the pipeline with a barrier and reloads.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use tally_core::HoldStatus;
use tally_store::{ApiKeyRecord, BatchWrite, IdempotencyRecord, Store, StoreError};
use tokio::sync::oneshot;

use super::{EngineMetrics, Reply};
use crate::error::ApiError;

/// What one batch, handed to the committer and perhaps not yet durable, decided that the next
/// batch may need to look up (the store does not have it yet).
#[derive(Default)]
pub(super) struct InFlight {
    pub idempotency: HashMap<(String, String), IdempotencyRecord>,
    /// Holds the batch resolved: id → (account, status).
    pub resolved_holds: HashMap<String, (String, HoldStatus)>,
    /// Grants the batch created: id → account.
    pub new_grants: HashMap<String, String>,
    pub new_keys: HashMap<String, ApiKeyRecord>,
    /// Everything else it wrote (grant snapshots, revocations, rate cards), for rare lookups.
    pub write: Arc<BatchWrite>,
}

enum ToCommitter {
    Batch {
        write: Arc<BatchWrite>,
        replies: Vec<(oneshot::Sender<Reply>, Reply)>,
        /// The engine's memory of the batch before, no longer needed: freed here, off the
        /// engine thread (thousands of entries at a time).
        retired: InFlight,
    },
    /// Answered once every batch handed over before it is finished; clears the poison.
    Barrier(mpsc::SyncSender<()>),
}

/// The engine's end of the committer.
pub(super) struct CommitterLink {
    sender: Option<mpsc::SyncSender<ToCommitter>>,
    poisoned: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl CommitterLink {
    pub fn start(store: Arc<dyn Store>, metrics: Arc<EngineMetrics>) -> Self {
        let (sender, receiver) = mpsc::sync_channel(0);
        let poisoned = Arc::new(AtomicBool::new(false));
        let committer = Committer {
            store,
            metrics,
            poisoned: poisoned.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("tally-commit".into())
            .spawn(move || {
                // As in the engine: a panic here means nobody knows what is durable.
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    committer.run(receiver)
                }));
                if outcome.is_err() {
                    tracing::error!("committer: panicked; stopping the process");
                    std::process::exit(70);
                }
            })
            .expect("engine: spawning the committer thread");
        CommitterLink {
            sender: Some(sender),
            poisoned,
            thread: Some(thread),
        }
    }

    /// Hands a batch over (and the engine's memory of the batch before, to free); returns
    /// once the committer has taken it, that is once the batch before it is committed (or
    /// refused).
    pub fn send(
        &self,
        write: Arc<BatchWrite>,
        replies: Vec<(oneshot::Sender<Reply>, Reply)>,
        retired: InFlight,
    ) {
        self.sender
            .as_ref()
            .expect("engine: the committer runs until the engine stops")
            .send(ToCommitter::Batch {
                write,
                replies,
                retired,
            })
            .expect("engine: the committer thread is gone");
    }

    /// Whether a commit failed since the last [`CommitterLink::drain`].
    pub fn poisoned(&self) -> bool {
        self.poisoned.load(Ordering::SeqCst)
    }

    /// Waits until every batch handed over is finished, and clears the poison: the engine
    /// reloads from the store next.
    pub fn drain(&self) {
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
    store: Arc<dyn Store>,
    metrics: Arc<EngineMetrics>,
    poisoned: Arc<AtomicBool>,
}

impl Committer {
    fn run(&self, receiver: mpsc::Receiver<ToCommitter>) {
        for message in receiver {
            match message {
                ToCommitter::Batch {
                    write,
                    replies,
                    retired,
                } => {
                    self.commit(&write, replies);
                    drop((write, retired));
                }
                ToCommitter::Barrier(ack) => {
                    self.poisoned.store(false, Ordering::SeqCst);
                    let _ = ack.send(());
                }
            }
        }
    }

    fn commit(&self, write: &BatchWrite, replies: Vec<(oneshot::Sender<Reply>, Reply)>) {
        let refused = if self.poisoned.load(Ordering::SeqCst) {
            Some("an earlier commit failed; the engine is reloading".to_string())
        } else if write.is_empty() {
            None
        } else {
            let started = std::time::Instant::now();
            let committed = self.store.commit(write);
            self.metrics
                .commit_micros_total
                .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
            self.metrics.batches.fetch_add(1, Ordering::Relaxed);
            committed.err().map(|error| {
                tracing::error!(%error, "engine: commit failed; answering 503 and reloading");
                self.metrics.commit_failures.fetch_add(1, Ordering::Relaxed);
                // Poisoned first: every batch after this one is refused until the engine
                // has drained the pipeline and reloaded.
                self.poisoned.store(true, Ordering::SeqCst);
                self.metrics.healthy.store(false, Ordering::SeqCst);
                error.to_string()
            })
        };
        match refused {
            None => {
                for (sender, reply) in replies {
                    let _ = sender.send(reply);
                }
            }
            Some(detail) => {
                for (sender, _) in replies {
                    let _ = sender.send(Err(ApiError::from(StoreError::Unavailable(
                        detail.clone(),
                    ))));
                }
            }
        }
    }
}
