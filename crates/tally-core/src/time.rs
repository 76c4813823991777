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

    /// The instant as RFC 3339 text in UTC with microseconds where they are not zero
    /// (`2026-12-01T21:27:28.5Z`); instants past year 9999 read as its last microsecond.
    pub fn to_rfc3339(self) -> String {
        match jiff::Timestamp::from_microsecond(self.0) {
            Ok(timestamp) => timestamp.to_string(),
            Err(_) => "9999-12-31T23:59:59.999999Z".to_string(),
        }
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
