//! Instants as integer microseconds since the Unix epoch, and the Clock seam.
//!
//! The core never reads a clock: every operation is given the instant it happens at. Integers
//! (not a date library's type) so that instants read the same on SQLite and PostgreSQL.

/// An instant, in microseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(i64);

pub const MICROS_PER_SECOND: i64 = 1_000_000;

impl Timestamp {
    pub const MIN: Timestamp = Timestamp(i64::MIN);
    pub const MAX: Timestamp = Timestamp(i64::MAX);

    pub const fn from_micros(micros: i64) -> Self {
        Timestamp(micros)
    }

    pub const fn as_micros(self) -> i64 {
        self.0
    }

    /// This instant plus `seconds`, saturating at the ends of time.
    pub fn plus_seconds(self, seconds: i64) -> Self {
        Timestamp(
            self.0
                .saturating_add(seconds.saturating_mul(MICROS_PER_SECOND)),
        )
    }
}

/// Where the engine gets "now" from. The server passes a system clock or a test clock.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}
