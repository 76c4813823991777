//! Tally's ledger engine: the one writer of the process, with group commit. It knows no HTTP
//! and no JSON: commands come in as values, outcomes and refusals go out as values, and the
//! API renders them.
//!
//! # Layout
//!
//! - `handle`: [`start`], and the [`EngineHandle`] request handlers submit through (a bounded
//!   queue); `config`: the [`EngineConfig`] and the [`EngineMetrics`].
//! - [`command`]: the closed set of [`Command`]s, and the [`Idempotency`] context of a request.
//! - [`answer`]: what comes back: an [`Outcome`], a replayed [`StoredAnswer`], or an
//!   [`EngineError`] (a core [`tally_core::Rejection`] or a store failure).
//! - `engine`: the engine thread: batches, the idempotency prefetch, due work and the
//!   scheduler; `batch`: what one batch decides, and what of it stays findable in flight; `apply`: one function per command; `known`: the one lookup view
//!   (this batch, then batches in flight, then the store); `shared`: batches on a store that
//!   several nodes share; `committer`: the thread that writes the batches.
//! - [`clock`] and [`ids`]: the system and test clocks, and random ids.
//!
//! The answer kept for an idempotent replay must be written in the same transaction as its
//! effect, so it is rendered here, on the engine thread, by a [`Renderer`] the API hands in at
//! [`start`]; the engine never looks inside it.

mod answer;
mod apply;
mod audit;
mod batch;
pub mod clock;
mod command;
mod committer;
mod config;
mod engine;
mod handle;
pub mod ids;
mod known;
mod shared;
mod stop;

pub use answer::{
    Answer, EngineError, EventRenderer, Outcome, RenderedAnswer, Renderer, Reply, StoredAnswer,
};
pub use command::{Command, Idempotency};
pub use config::{EngineConfig, EngineMetrics};
pub use handle::{EngineHandle, start};

/// The default bound on commands per batch.
pub const BATCH_COMMANDS_MAX_DEFAULT: usize = 4096;

/// The most commands one [`EngineHandle::submit_group`] may hold. A group is never split: it
/// shares a batch with other commands while they fit under the batch bound, and is a batch of
/// its own when it is larger than that bound (so a batch holds at most the larger of the two).
pub const GROUP_COMMANDS_MAX: usize = 4096;

/// How many requests may wait for the engine before a new one is refused (503) instead of
/// queued: four full batches. The queue's slots are allocated up front (about 300 bytes each).
/// A group ([`EngineHandle::submit_group`]) takes one slot, whatever its size.
pub const REQUESTS_QUEUED_MAX: usize = 16_384;

/// The meta key under which the test clock's last instant is kept (unix microseconds).
pub const TEST_CLOCK_META: &str = "test_clock_now";
