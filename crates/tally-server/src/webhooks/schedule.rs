//! When a failed delivery is tried again: the schedule of Standard Webhooks' reference
//! implementation (about three days in all), a jitter of up to a tenth of each step (never
//! earlier than the step, so a test clock moved by the step times 1.1 always reaches it), and
//! a receiver's `Retry-After` when it asks for later.

use std::time::Duration;

use tally_core::Timestamp;

/// The waits after the 1st, 2nd, … failed attempt; after the last, the delivery is given up
/// (ten attempts in all).
pub const RETRY_SCHEDULE: [Duration; 9] = [
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(14 * 3600),
    Duration::from_secs(20 * 3600),
    Duration::from_secs(24 * 3600),
];

/// The jitter's bound, in thousandths of a step.
pub const JITTER_PER_MILLE_MAX: u64 = 100;

/// The longest `Retry-After` honoured (longer: the schedule's step, capped at this).
pub const RETRY_AFTER_SECONDS_MAX: u64 = 24 * 3600;

/// When attempt `attempt` (1, 2, …) having failed at `now` is tried again (`None`: it was the
/// last). `jitter_per_mille` is drawn by the caller from `0..=JITTER_PER_MILLE_MAX`.
pub fn next_attempt_at(
    attempt: i64,
    now: Timestamp,
    jitter_per_mille: u64,
    retry_after_seconds: Option<u64>,
) -> Option<Timestamp> {
    let index = usize::try_from(attempt.checked_sub(1)?).ok()?;
    let step = *RETRY_SCHEDULE.get(index)?;
    let step_micros = u64::try_from(step.as_micros()).unwrap_or(u64::MAX);
    let jitter = jitter_per_mille.min(JITTER_PER_MILLE_MAX);
    // Rounded down: the jitter's last microsecond is the caller's to lose.
    let mut wait_micros = step_micros + step_micros / 1000 * jitter;
    if let Some(seconds) = retry_after_seconds {
        let asked = seconds.min(RETRY_AFTER_SECONDS_MAX) * 1_000_000;
        wait_micros = wait_micros.max(asked);
    }
    let wait = i64::try_from(wait_micros).unwrap_or(i64::MAX);
    Some(Timestamp::from_micros(now.as_micros().saturating_add(wait)))
}

/// A jitter in `0..=JITTER_PER_MILLE_MAX`.
pub fn random_jitter() -> u64 {
    let mut bytes = [0u8; 2];
    getrandom::fill(&mut bytes).expect("webhooks: the system's random source failed");
    u64::from(u16::from_le_bytes(bytes)) % (JITTER_PER_MILLE_MAX + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: i64 = 1_000_000;

    fn wait(attempt: i64, jitter: u64, retry_after: Option<u64>) -> Option<i64> {
        let now = Timestamp::from_micros(0);
        next_attempt_at(attempt, now, jitter, retry_after).map(Timestamp::as_micros)
    }

    #[test]
    fn the_schedule_runs_ten_attempts_over_about_three_days() {
        assert_eq!(wait(1, 0, None), Some(5 * SECOND));
        assert_eq!(wait(2, 0, None), Some(300 * SECOND));
        assert_eq!(wait(9, 0, None), Some(86_400 * SECOND));
        assert_eq!(wait(10, 0, None), None);
        assert_eq!(wait(0, 0, None), None);
        let total: u64 = RETRY_SCHEDULE.iter().map(Duration::as_secs).sum();
        assert_eq!(total, 272_105); // 3 days, 3 h, 35 min, 5 s
    }

    #[test]
    fn jitter_only_adds_up_to_a_tenth_and_retry_after_only_delays() {
        assert_eq!(wait(1, 100, None), Some(5_500_000));
        assert_eq!(wait(1, 5_000, None), Some(5_500_000));
        assert_eq!(wait(1, 0, Some(60)), Some(60 * SECOND));
        assert_eq!(wait(2, 0, Some(60)), Some(300 * SECOND));
        assert_eq!(wait(1, 0, Some(u64::MAX)), Some(86_400 * SECOND));
        assert!((0..1000).all(|_| random_jitter() <= JITTER_PER_MILLE_MAX));
    }
}
