//! How the rest of the process reaches the engine: [`start`] it with a store and an
//! [`EngineConfig`], then [`EngineHandle::submit`] commands. The queue in front of the engine
//! is bounded ([`crate::REQUESTS_QUEUED_MAX`]): a full queue refuses at once rather than
//! growing without limit. [`EngineHandle::submit_group`] puts many commands in one slot of
//! that queue: the engine applies them together, in one batch and one commit.

use std::future::Future;
use std::sync::Arc;
use std::sync::mpsc;

use tally_store::{LedgerStore, StoreError};
use tokio::sync::oneshot;

use crate::command::{Envelope, Submission};
use crate::config::{EngineConfig, EngineMetrics};
use crate::engine::Engine;
use crate::stop::stop_process;
use crate::{Command, EngineError, GROUP_COMMANDS_MAX, Idempotency, REQUESTS_QUEUED_MAX, Reply};

/// The handle request handlers use to reach the engine.
#[derive(Clone)]
pub struct EngineHandle {
    sender: mpsc::SyncSender<Submission>,
    pub metrics: Arc<EngineMetrics>,
}

impl EngineHandle {
    /// Submits a command and waits for its answer (sent after the batch commits).
    pub async fn submit(&self, command: Command, idempotency: Option<Idempotency>) -> Reply {
        self.submit_by(command, idempotency, None).await
    }

    /// [`EngineHandle::submit`] for a caller the audit log names: an admin action by `actor`
    /// (an admin key's id) writes its record in the batch that makes the change.
    pub async fn submit_by(
        &self,
        command: Command,
        idempotency: Option<Idempotency>,
        actor: Option<&str>,
    ) -> Reply {
        let (reply, answer) = oneshot::channel();
        self.enqueue(Envelope {
            command,
            idempotency,
            actor: actor.map(std::sync::Arc::from),
            reply: Some(reply),
        })?;
        answer.await.unwrap_or(Err(EngineError::ShuttingDown))
    }

    /// Submits a command and blocks this thread until its answer (for start-up, where no
    /// request task exists; it works inside and outside an async runtime).
    pub fn submit_blocking(&self, command: Command) -> Reply {
        let (reply, answer) = oneshot::channel();
        self.enqueue(Envelope {
            command,
            idempotency: None,
            actor: None,
            reply: Some(reply),
        })?;
        // `blocking_recv` refuses to run on a runtime's thread: wait on a thread of its own.
        std::thread::spawn(move || answer.blocking_recv())
            .join()
            .map_err(|_| EngineError::ShuttingDown)?
            .unwrap_or(Err(EngineError::ShuttingDown))
    }

    /// Submits a command nobody waits for (bookkeeping; dropped when the queue is full).
    pub fn submit_detached(&self, command: Command) {
        let _ = self.enqueue(Envelope {
            command,
            idempotency: None,
            actor: None,
            reply: None,
        });
    }

    /// Submits commands the engine applies together, in this order, in one batch (and one
    /// commit), and returns a future of their answers, in the same order. Each is applied,
    /// refused or replayed exactly as if submitted alone; only the batching is fixed. The group
    /// is queued before this returns (the future only waits), so a group submitted after
    /// another is applied after it. A full queue or a stopping engine answers every command
    /// with the same error.
    ///
    /// # Panics
    ///
    /// With more than [`GROUP_COMMANDS_MAX`] commands: the caller bounds its groups.
    pub fn submit_group(
        &self,
        commands: Vec<(Command, Option<Idempotency>)>,
    ) -> impl Future<Output = Vec<Reply>> + Send + 'static {
        self.submit_group_by(commands, None)
    }

    /// [`EngineHandle::submit_group`] for a caller the audit log names (see
    /// [`EngineHandle::submit_by`]).
    ///
    /// # Panics
    ///
    /// With more than [`GROUP_COMMANDS_MAX`] commands: the caller bounds its groups.
    pub fn submit_group_by(
        &self,
        commands: Vec<(Command, Option<Idempotency>)>,
        actor: Option<&str>,
    ) -> impl Future<Output = Vec<Reply>> + Send + 'static {
        let actor: Option<std::sync::Arc<str>> = actor.map(std::sync::Arc::from);
        assert!(
            commands.len() <= GROUP_COMMANDS_MAX,
            "engine: a group of {} commands is over the bound of {GROUP_COMMANDS_MAX}",
            commands.len()
        );
        let count = commands.len();
        let mut answers = Vec::with_capacity(count);
        let mut envelopes = Vec::with_capacity(count);
        for (command, idempotency) in commands {
            let (reply, answer) = oneshot::channel();
            envelopes.push(Envelope {
                command,
                idempotency,
                actor: actor.clone(),
                reply: Some(reply),
            });
            answers.push(answer);
        }
        let queued = if envelopes.is_empty() {
            Ok(())
        } else {
            self.enqueue_submission(Submission::Group(envelopes))
        };
        async move {
            match queued {
                Err(error) => vec![Err(error); count],
                Ok(()) => {
                    let mut replies = Vec::with_capacity(count);
                    for answer in answers {
                        replies.push(answer.await.unwrap_or(Err(EngineError::ShuttingDown)));
                    }
                    replies
                }
            }
        }
    }

    fn enqueue(&self, envelope: Envelope) -> Result<(), EngineError> {
        self.enqueue_submission(Submission::One(envelope))
    }

    fn enqueue_submission(&self, submission: Submission) -> Result<(), EngineError> {
        self.sender
            .try_send(submission)
            .map_err(|error| match error {
                mpsc::TrySendError::Full(_) => EngineError::Overloaded {
                    queued: REQUESTS_QUEUED_MAX,
                },
                mpsc::TrySendError::Disconnected(_) => EngineError::ShuttingDown,
            })
    }
}

/// Starts the engine thread after catching up on the work that fell due while the store was
/// closed. It runs until every handle is dropped, then finishes what is queued and stops;
/// join the returned thread to wait for that.
pub fn start(
    store: Arc<dyn LedgerStore>,
    config: EngineConfig,
) -> Result<(EngineHandle, std::thread::JoinHandle<()>), StoreError> {
    let metrics = Arc::new(EngineMetrics::default());
    let engine = Engine::open(store, config, metrics.clone())?;
    let (sender, receiver) = mpsc::sync_channel(REQUESTS_QUEUED_MAX);
    let thread = std::thread::Builder::new()
        .name("tally-engine".into())
        .spawn(move || {
            // A panic in the engine is a broken invariant: stop the process rather than keep
            // answering from a state nobody trusts. A restart reloads it from the store.
            let outcome =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| engine.run(&receiver)));
            if outcome.is_err() {
                stop_process("engine: panicked; stopping the process");
            }
        })
        .expect("engine: spawning the engine thread");
    Ok((EngineHandle { sender, metrics }, thread))
}
