//! Calendar days in an account's time zone. Limits' day and month windows and usage's day
//! groups are local days of the account's `time_zone` (IANA, DST-safe with jiff's database);
//! this is the one place the core turns instants into local days and back, so the two agree.
//!
//! A local day is named like a UTC one, by its number of days since 1970-01-01: the date
//! 2026-03-08 is day 20,520 in every zone, but starts at a different instant in each.

use jiff::tz::TimeZone;

use crate::time::Timestamp;

/// The longest time zone name accepted (IANA names are far shorter).
pub const TIME_ZONE_BYTES_MAX: usize = 64;

/// Microseconds in a second.
const MICROS_PER_SECOND: i64 = 1_000_000;

/// Resolves an IANA time zone name with jiff's time zone database.
pub fn time_zone(name: &str) -> Option<TimeZone> {
    if name.is_empty() || name.len() > TIME_ZONE_BYTES_MAX {
        return None;
    }
    jiff::tz::db().get(name).ok()
}

/// The zone an account's setting names, UTC when the name is unknown (settings are checked
/// when they are set, so this happens only to a store written by hand).
pub fn time_zone_or_utc(name: &str) -> TimeZone {
    time_zone(name).unwrap_or(TimeZone::UTC)
}

pub(crate) fn to_jiff(at: Timestamp) -> jiff::Timestamp {
    let clamped = at.as_micros().clamp(
        jiff::Timestamp::MIN.as_microsecond(),
        jiff::Timestamp::MAX.as_microsecond(),
    );
    jiff::Timestamp::from_microsecond(clamped).expect("zone: clamped into jiff's range")
}

pub(crate) fn from_jiff(at: jiff::Timestamp) -> Timestamp {
    Timestamp::from_micros(at.as_microsecond())
}

/// The first instant of `date` in `zone`: its midnight, or the first instant after a DST gap
/// at midnight. `None` outside jiff's range.
pub fn start_of(date: jiff::civil::Date, zone: &TimeZone) -> Option<Timestamp> {
    date.to_zoned_datetime(zone.clone())
        .and_then(|midnight| midnight.start_of_day())
        .ok()
        .map(|start| from_jiff(start.timestamp()))
}

/// The local date `at` falls on in `zone`.
pub fn date_of(at: Timestamp, zone: &TimeZone) -> jiff::civil::Date {
    to_jiff(at).to_zoned_datetime(zone.clone()).date()
}

/// The number of a date: days since 1970-01-01.
pub fn day_number(date: jiff::civil::Date) -> i64 {
    let epoch = jiff::civil::date(1970, 1, 1);
    i64::from(
        date.since((jiff::Unit::Day, epoch))
            .map(|span| span.get_days())
            .unwrap_or(0),
    )
}

/// The date a day number names.
pub fn date_of_day_number(day: i64) -> Option<jiff::civil::Date> {
    let days = i32::try_from(day).ok()?;
    jiff::civil::date(1970, 1, 1)
        .checked_add(jiff::Span::new().try_days(days).ok()?)
        .ok()
}

/// The local day (days since 1970-01-01) `at` falls on in `zone`.
pub fn local_day(at: Timestamp, zone: &TimeZone) -> i64 {
    day_number(date_of(at, zone))
}

/// A part of a time range in which `zone` keeps one offset from UTC: every instant `t` of
/// `[from, to)` has the local time `t + offset_micros`, so its local day is
/// `(t + offset_micros)` divided by a day, rounded down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OffsetSpan {
    pub from: Timestamp,
    pub to: Timestamp,
    pub offset_micros: i64,
}

/// `[from, to)` cut where `zone`'s offset changes (DST, or a change of the zone's rules), in
/// order; empty when the range is.
pub fn offset_spans(from: Timestamp, to: Timestamp, zone: &TimeZone) -> Vec<OffsetSpan> {
    let mut spans = Vec::new();
    let mut start = from;
    while start < to {
        let offset_micros = i64::from(zone.to_offset(to_jiff(start)).seconds()) * MICROS_PER_SECOND;
        let end = zone
            .following(to_jiff(start))
            .next()
            .map(|transition| from_jiff(transition.timestamp()))
            .filter(|next| *next > start && *next < to)
            .unwrap_or(to);
        spans.push(OffsetSpan {
            from: start,
            to: end,
            offset_micros,
        });
        start = end;
    }
    spans
}

/// `[from, to)` cut at the local midnights of `zone`, each piece with its local day, in order.
pub fn local_days(
    from: Timestamp,
    to: Timestamp,
    zone: &TimeZone,
) -> Vec<(i64, Timestamp, Timestamp)> {
    let mut days = Vec::new();
    let mut start = from;
    while start < to {
        let date = date_of(start, zone);
        let end = date
            .tomorrow()
            .ok()
            .and_then(|next| start_of(next, zone))
            .filter(|next| *next > start)
            .map_or(to, |next| next.min(to));
        days.push((day_number(date), start, end));
        start = end;
    }
    days
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instant(text: &str) -> Timestamp {
        from_jiff(
            text.parse::<jiff::Timestamp>()
                .expect("an RFC 3339 instant"),
        )
    }

    #[test]
    fn day_numbers_count_from_the_epoch() {
        assert_eq!(day_number(jiff::civil::date(1970, 1, 1)), 0);
        assert_eq!(day_number(jiff::civil::date(1969, 12, 31)), -1);
        assert_eq!(day_number(jiff::civil::date(2026, 3, 8)), 20_520);
        assert_eq!(
            date_of_day_number(20_520),
            Some(jiff::civil::date(2026, 3, 8))
        );
    }

    #[test]
    fn new_york_spring_forward_cuts_the_range_and_makes_a_23_hour_day() {
        let zone = time_zone("America/New_York").expect("in the database");
        // 2026-03-08 02:00 EST became 03:00 EDT (07:00 UTC).
        let (from, to) = (
            instant("2026-03-08T00:00:00Z"),
            instant("2026-03-10T00:00:00Z"),
        );
        let spans = offset_spans(from, to, &zone);
        assert_eq!(spans.len(), 2);
        assert_eq!(spans[0].to, instant("2026-03-08T07:00:00Z"));
        assert_eq!(spans[0].offset_micros, -5 * 3_600 * MICROS_PER_SECOND);
        assert_eq!(spans[1].offset_micros, -4 * 3_600 * MICROS_PER_SECOND);
        let days = local_days(from, to, &zone);
        let starts: Vec<Timestamp> = days.iter().map(|(_, start, _)| *start).collect();
        assert_eq!(
            starts,
            vec![
                instant("2026-03-08T00:00:00Z"),
                instant("2026-03-08T05:00:00Z"),
                instant("2026-03-09T04:00:00Z"),
            ]
        );
        assert_eq!(days[1].0, 20_520);
        assert_eq!(
            days[1].2.as_micros() - days[1].1.as_micros(),
            23 * 3_600_000_000
        );
    }

    #[test]
    fn kolkata_days_start_at_half_past_six_in_the_evening_utc() {
        let zone = time_zone("Asia/Kolkata").expect("in the database");
        let at = instant("2026-03-07T18:29:59Z");
        assert_eq!(local_day(at, &zone), 20_519);
        assert_eq!(local_day(at.plus_seconds(1), &zone), 20_520);
        let spans = offset_spans(at, at.plus_seconds(86_400 * 30), &zone);
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].offset_micros, 19_800 * MICROS_PER_SECOND);
    }
}
