//! Billing periods on the calendar, and proration within one.
//!
//! A subscription's periods are `anchor + n months` in UTC, each clamped to its month's last
//! day when the month is too short (an anchor of Jan 31 gives Feb 28 or 29, then Mar 31).
//! Never "previous end + 1 month", which drifts from the 31st to the 28th for good.

use jiff::ToSpan;
use jiff::tz::TimeZone;

use crate::amount::{MILLICREDITS_PER_CREDIT, Millicredits};
use crate::time::Timestamp;

/// Why a period cannot be computed (only instants beyond the calendar's range).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("periods: the instant is outside the calendar's range")]
    OutOfRange,
}

fn to_jiff(at: Timestamp) -> Result<jiff::Timestamp, PeriodError> {
    jiff::Timestamp::from_microsecond(at.as_micros()).map_err(|_| PeriodError::OutOfRange)
}

/// The start of period `index` (0 is the anchor itself).
pub fn period_start(anchor: Timestamp, index: u32) -> Result<Timestamp, PeriodError> {
    let anchor = to_jiff(anchor)?.to_zoned_datetime(TimeZone::UTC).datetime();
    let start = anchor
        .checked_add(i64::from(index).months())
        .map_err(|_| PeriodError::OutOfRange)?;
    let start = start
        .to_zoned_datetime(TimeZone::UTC)
        .map_err(|_| PeriodError::OutOfRange)?;
    Ok(Timestamp::from_micros(start.timestamp().as_microsecond()))
}

/// The period that contains `at` (`at >= anchor`): its index, start and end.
pub fn period_containing(
    anchor: Timestamp,
    at: Timestamp,
) -> Result<(u32, Timestamp, Timestamp), PeriodError> {
    if at < anchor {
        return Ok((0, anchor, period_start(anchor, 1)?));
    }
    // Months are 28 to 31 days: start from a guess below the answer and walk forward.
    let micros_per_31_days = 31 * 86_400 * 1_000_000i64;
    let mut index = ((at.as_micros() - anchor.as_micros()) / micros_per_31_days) as u32;
    loop {
        let end = period_start(anchor, index + 1)?;
        if at < end {
            return Ok((index, period_start(anchor, index)?, end));
        }
        index += 1;
    }
}

/// `amount` prorated to what is left of the period `[start, end)` at `at`, rounded down to
/// whole credits (the account keeps no fraction; the platform keeps the rest).
pub fn prorate(
    amount: Millicredits,
    start: Timestamp,
    end: Timestamp,
    at: Timestamp,
) -> Millicredits {
    let length = i128::from(end.as_micros()) - i128::from(start.as_micros());
    let left = (i128::from(end.as_micros()) - i128::from(at.as_micros())).clamp(0, length.max(0));
    if length <= 0 || amount.get() <= 0 {
        return Millicredits::ZERO;
    }
    let exact_millicredits = i128::from(amount.get()) * left / length;
    // Round down to a whole credit.
    let whole_credits = exact_millicredits / i128::from(MILLICREDITS_PER_CREDIT);
    Millicredits::new((whole_credits * i128::from(MILLICREDITS_PER_CREDIT)) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        let timestamp: jiff::Timestamp = text.parse().unwrap();
        Timestamp::from_micros(timestamp.as_microsecond())
    }

    fn starts(anchor: &str, count: u32) -> Vec<String> {
        (0..count)
            .map(|index| {
                let start = period_start(at(anchor), index).unwrap();
                jiff::Timestamp::from_microsecond(start.as_micros())
                    .unwrap()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn month_ends_clamp_and_come_back() {
        assert_eq!(
            starts("2027-01-31T10:00:00Z", 4),
            [
                "2027-01-31T10:00:00Z",
                "2027-02-28T10:00:00Z",
                "2027-03-31T10:00:00Z",
                "2027-04-30T10:00:00Z"
            ]
        );
        // A leap year.
        assert_eq!(
            starts("2028-01-30T00:00:00Z", 3),
            [
                "2028-01-30T00:00:00Z",
                "2028-02-29T00:00:00Z",
                "2028-03-30T00:00:00Z"
            ]
        );
        assert_eq!(
            starts("2027-01-29T00:00:00Z", 3),
            [
                "2027-01-29T00:00:00Z",
                "2027-02-28T00:00:00Z",
                "2027-03-29T00:00:00Z"
            ]
        );
        // Twelve months later is the same day of the year.
        assert_eq!(
            starts("2027-08-31T23:59:59Z", 13)[12],
            "2028-08-31T23:59:59Z"
        );
    }

    #[test]
    fn the_containing_period_is_found() {
        let anchor = at("2027-01-31T00:00:00Z");
        let (index, start, end) = period_containing(anchor, at("2027-03-15T00:00:00Z")).unwrap();
        assert_eq!(
            (index, start, end),
            (1, at("2027-02-28T00:00:00Z"), at("2027-03-31T00:00:00Z"))
        );
        let (index, _, _) = period_containing(anchor, at("2027-03-31T00:00:00Z")).unwrap();
        assert_eq!(index, 2);
        let (index, _, _) = period_containing(anchor, anchor).unwrap();
        assert_eq!(index, 0);
    }

    #[test]
    fn proration_rounds_down_to_whole_credits() {
        let start = at("2027-04-01T00:00:00Z");
        let end = at("2027-05-01T00:00:00Z");
        let pro = Millicredits::from_credits(250_000);
        // Half-way: exactly half.
        assert_eq!(
            prorate(pro, start, end, at("2027-04-16T00:00:00Z")),
            Millicredits::from_credits(125_000)
        );
        // A third of 30 days left: 83,333.33… → 83,333.
        assert_eq!(
            prorate(pro, start, end, at("2027-04-21T00:00:00Z")),
            Millicredits::from_credits(83_333)
        );
        assert_eq!(prorate(pro, start, end, end), Millicredits::ZERO);
        assert_eq!(prorate(pro, start, end, start), pro);
    }
}
