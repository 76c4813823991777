//! The clocks the engine can be given: the system's, or a test clock an admin moves.

use std::sync::atomic::{AtomicI64, Ordering};

use tally_core::{Clock, Timestamp};

/// The wall clock.
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(
        clippy::disallowed_methods,
        reason = "the one place that reads the wall clock"
    )]
    fn now(&self) -> Timestamp {
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock: the system clock is before 1970");
        Timestamp::from_micros(since_epoch.as_micros() as i64)
    }
}

/// A clock that stands still between moves and never goes backwards.
pub struct TestClock {
    now_micros: AtomicI64,
}

impl TestClock {
    pub fn starting_at(at: Timestamp) -> Self {
        TestClock {
            now_micros: AtomicI64::new(at.as_micros()),
        }
    }

    /// Puts the clock back where the store last saw it (after a failed commit took the moves
    /// of its batches with it: they never happened).
    pub fn restore(&self, at: Timestamp) {
        self.now_micros.store(at.as_micros(), Ordering::SeqCst);
    }

    /// Moves the clock to `to`; refuses to go backwards.
    pub fn set(&self, to: Timestamp) -> Result<(), Timestamp> {
        let now = self.now();
        if to < now {
            return Err(now);
        }
        self.now_micros.store(to.as_micros(), Ordering::SeqCst);
        Ok(())
    }
}

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_micros(self.now_micros.load(Ordering::SeqCst))
    }
}
