//! What the engine runs with besides its store, and what it counts for `/metrics`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64};

use tally_core::Clock;
use tally_core::catalog::Catalog;

use crate::answer::{EventRenderer, Renderer};
use crate::clock::TestClock;

/// What the engine runs with, besides its store.
#[derive(Clone)]
pub struct EngineConfig {
    pub clock: Arc<dyn Clock>,
    /// Present when the test clock is on (`Command::MoveClock` moves it).
    pub test_clock: Option<Arc<TestClock>>,
    /// The plans and packs on sale.
    pub catalog: Arc<Catalog>,
    /// The most commands one batch (and one commit) holds.
    pub batch_commands_max: usize,
    /// Renders the answer kept for an idempotent replay.
    pub render: Renderer,
    /// Renders the body of each event the batches write.
    pub render_event: EventRenderer,
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
