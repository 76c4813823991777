//! Usage over a time range, for every store, read from aggregates at three widths: the days
//! wholly inside the range from `usage_daily`, the whole hours and then the whole minutes of
//! what is left from `usage_buckets`, and only what is left after that (at most two partial
//! minutes, one at each end of the range) from the charge, capture and refund rows themselves;
//! the parts are added up per group. The statements read the same in both dialects.
//!
//! The bound: a range reads at most `days × groups` daily rows, `2 × (23 + 59) × groups`
//! bucket rows, and the entries and refunds of at most two partial minutes (through the
//! `(account_id, created_at)` and `(account_id, spent_at)` indexes), however long the
//! account's history. A range whose ends are whole minutes reads no entries at all.
//!
//! Grouped by day in a time zone other than UTC, the days are the zone's local days: the
//! range is cut where the zone's offset changes (DST), and each part reads its hours (not
//! the UTC days, which straddle local midnights) with the day of each row shifted by the
//! part's offset. In a zone whose offset is not a whole number of hours (Asia/Kolkata), the
//! hour around each local midnight straddles it, so such a part is also cut at its local
//! midnights. The bound becomes `24 × days × groups` hour rows and `2 × 59 × groups` minute
//! rows per local day, still independent of the account's history.

use std::collections::HashMap;

use jiff::tz::TimeZone;
use tally_core::usage::{BUCKET_WIDTHS, MICROS_PER_DAY, MICROS_PER_HOUR, UsageDelta};
use tally_core::{Millicredits, Timestamp};

use crate::row::{ColumnReader, Fields, Query, RowSource, Value};
use crate::{StoreError, UsageDimension, UsageGroup};

/// Where the usage of `[from, to)` is read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    /// The whole days `[first, end)` inside the range, from the daily aggregates.
    pub whole_days: Option<(i64, i64)>,
    /// Whole buckets `(width, first start, end)` (µs) of what the days leave, from the bucket
    /// aggregates: at most two ranges of hours, then at most two of minutes.
    pub buckets: Vec<(i64, i64, i64)>,
    /// The rest of the range, from the entries: at most two pieces, inside at most two minutes
    /// (those of the range's two ends; none of the pieces is empty).
    pub partial: Vec<(Timestamp, Timestamp)>,
}

/// The whole `width`-wide buckets `[first, end)` (µs) inside `[low, high)`, if any.
fn whole(low: i64, high: i64, width: i64) -> Option<(i64, i64)> {
    let first = low
        .checked_add(width - 1)?
        .div_euclid(width)
        .checked_mul(width)?;
    let end = high.div_euclid(width).checked_mul(width)?;
    (first < end).then_some((first, end))
}

/// Every width the aggregates are kept at, widest first: days, hours, minutes.
const ALL_WIDTHS: [i64; 3] = [MICROS_PER_DAY, BUCKET_WIDTHS[0], BUCKET_WIDTHS[1]];

impl Split {
    pub fn new(from: Timestamp, to: Timestamp) -> Split {
        Split::with_widths(from, to, &ALL_WIDTHS)
    }

    /// The split of `[from, to)` into aggregates of `widths` (widest first, each a width the
    /// aggregates are kept at), then entries.
    pub fn with_widths(from: Timestamp, to: Timestamp, widths: &[i64]) -> Split {
        let mut split = Split {
            whole_days: None,
            buckets: Vec::new(),
            partial: Vec::new(),
        };
        if from >= to {
            return split;
        }
        let mut pieces = vec![(from.as_micros(), to.as_micros())];
        for &width in widths {
            let mut left = Vec::new();
            for (low, high) in pieces {
                let Some((first, end)) = whole(low, high, width) else {
                    left.push((low, high));
                    continue;
                };
                if width == MICROS_PER_DAY {
                    split.whole_days = Some((first / MICROS_PER_DAY, end / MICROS_PER_DAY));
                } else {
                    split.buckets.push((width, first, end));
                }
                left.extend([(low, first), (end, high)]);
            }
            pieces = left.into_iter().filter(|(low, high)| low < high).collect();
        }
        split.partial = pieces
            .into_iter()
            .map(|(low, high)| (Timestamp::from_micros(low), Timestamp::from_micros(high)))
            .collect();
        split
    }
}

/// Credits spent and actions taken on `account_id` in `[from, to)`, per group, in group order;
/// days are local days of `zone` (`None`: UTC).
pub fn read<S: RowSource>(
    db: &mut S,
    account_id: &str,
    (from, to): (Timestamp, Timestamp),
    group_by: &[UsageDimension],
    zone: Option<&TimeZone>,
) -> Result<Vec<(UsageGroup, UsageDelta)>, StoreError> {
    let mut found = Vec::new();
    for (table, query) in statements(S::PARAMETER, account_id, (from, to), group_by, zone) {
        db.each(query.sql(), query.params(), &mut |row| {
            found.push(group_row(row, table, account_id, group_by)?);
            Ok(())
        })?;
    }
    Ok(sum(found, group_by.is_empty()))
}

/// A part of a range read with one day expression: every row it reads is on the local day
/// of its instant shifted by `offset_micros`, and `widths` are the aggregates that never
/// straddle a local midnight there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Piece {
    pub from: Timestamp,
    pub to: Timestamp,
    pub offset_micros: i64,
    pub widths: &'static [i64],
}

/// The pieces of `[from, to)`: one in UTC (or when days are not asked for), else one per
/// offset of `zone` in the range, and one per local day where the offset is not whole hours.
pub fn pieces(
    (from, to): (Timestamp, Timestamp),
    group_by: &[UsageDimension],
    zone: Option<&TimeZone>,
) -> Vec<Piece> {
    let whole = Piece {
        from,
        to,
        offset_micros: 0,
        widths: &ALL_WIDTHS,
    };
    let zone = match zone {
        Some(zone) if group_by.contains(&UsageDimension::Day) => zone,
        _ => return vec![whole],
    };
    let mut pieces = Vec::new();
    for span in tally_core::zone::offset_spans(from, to, zone) {
        let offset_micros = span.offset_micros;
        if offset_micros == 0 {
            pieces.push(Piece {
                from: span.from,
                to: span.to,
                ..whole
            });
        } else if offset_micros % MICROS_PER_HOUR == 0 {
            pieces.push(Piece {
                from: span.from,
                to: span.to,
                offset_micros,
                widths: &BUCKET_WIDTHS,
            });
        } else {
            for (_, from, to) in tally_core::zone::local_days(span.from, span.to, zone) {
                pieces.push(Piece {
                    from,
                    to,
                    offset_micros,
                    widths: &BUCKET_WIDTHS,
                });
            }
        }
    }
    pieces
}

/// The statements [`read`] runs, each with the table it reads: per piece, one for the whole
/// days, one per range of whole buckets, and two (entries, refunds) per partial piece.
pub fn statements<'a>(
    parameter: char,
    account_id: &'a str,
    range: (Timestamp, Timestamp),
    group_by: &[UsageDimension],
    zone: Option<&TimeZone>,
) -> Vec<(&'static str, Query<'a>)> {
    let mut statements = Vec::new();
    for piece in pieces(range, group_by, zone) {
        let split = Split::with_widths(piece.from, piece.to, piece.widths);
        let shift = piece.offset_micros;
        if let Some(days) = split.whole_days {
            let query = whole_days(parameter, group_by, account_id, days);
            statements.push(("usage_daily", query));
        }
        for (width, first, end) in split.buckets {
            let query = buckets(parameter, group_by, account_id, width, (first, end), shift);
            statements.push(("usage_buckets", query));
        }
        for range in split.partial {
            let query = entries(parameter, group_by, account_id, range, shift);
            statements.push(("entries", query));
            let query = refunds(parameter, group_by, account_id, range, shift);
            statements.push(("refunds", query));
        }
    }
    statements
}

fn column(dimension: UsageDimension) -> &'static str {
    match dimension {
        UsageDimension::Day => "day",
        UsageDimension::Product => "product",
        UsageDimension::Model => "model",
        UsageDimension::Member => "member",
        UsageDimension::Action => "action",
    }
}

/// `SELECT <group columns as g0, g1, …>` with `day` as the day and `text` of each attribute.
fn select(group_by: &[UsageDimension], day: &str, text: fn(&str) -> String) -> String {
    let mut sql = String::from("SELECT ");
    for (index, dimension) in group_by.iter().enumerate() {
        let expression = match dimension {
            UsageDimension::Day => day.to_string(),
            other => text(column(*other)),
        };
        sql.push_str(&format!("{expression} AS g{index}, "));
    }
    sql
}

fn group_clause(group_by: &[UsageDimension]) -> String {
    if group_by.is_empty() {
        return String::new();
    }
    let positions: Vec<String> = (1..=group_by.len()).map(|i| i.to_string()).collect();
    format!(" GROUP BY {}", positions.join(", "))
}

/// The rows of `head` (the groups and sums `FROM` a table) of one account whose `column` is in
/// `[low, high)` and that meet `condition` (` AND …`), grouped.
struct Grouped<'h> {
    head: &'h str,
    column: &'h str,
    condition: &'h str,
}

impl Grouped<'_> {
    fn query<'a>(
        &self,
        parameter: char,
        group_by: &[UsageDimension],
        account_id: &'a str,
        (low, high): (i64, i64),
    ) -> Query<'a> {
        let column = self.column;
        let mut query = Query::new(parameter, self.head);
        query
            .push(" WHERE account_id = ")
            .bind(Value::Text(account_id));
        query
            .push(&format!(" AND {column} >= "))
            .bind(Value::I64(low));
        query
            .push(&format!(" AND {column} < "))
            .bind(Value::I64(high));
        query.push(self.condition).push(&group_clause(group_by));
        query
    }
}

fn whole_days<'a>(
    parameter: char,
    group_by: &[UsageDimension],
    account_id: &'a str,
    days: (i64, i64),
) -> Query<'a> {
    let mut head = select(group_by, "day", str::to_string);
    head.push_str(
        "CAST(COALESCE(SUM(credits), 0) AS BIGINT) AS credits, \
         CAST(COALESCE(SUM(count), 0) AS BIGINT) AS count FROM usage_daily",
    );
    let grouped = Grouped {
        head: &head,
        column: "day",
        condition: "",
    };
    grouped.query(parameter, group_by, account_id, days)
}

/// Whole buckets `width` wide starting in `[first, end)`.
fn buckets<'a>(
    parameter: char,
    group_by: &[UsageDimension],
    account_id: &'a str,
    width: i64,
    range: (i64, i64),
    shift: i64,
) -> Query<'a> {
    let mut head = select(group_by, &day_of_column("start", shift), str::to_string);
    head.push_str(
        "CAST(COALESCE(SUM(credits), 0) AS BIGINT) AS credits, \
         CAST(COALESCE(SUM(count), 0) AS BIGINT) AS count FROM usage_buckets",
    );
    // The width is one of the core's constants, not input.
    let condition = format!(" AND width = {width}");
    let grouped = Grouped {
        head: &head,
        column: "start",
        condition: &condition,
    };
    grouped.query(parameter, group_by, account_id, range)
}

/// The day of the instant in `column` shifted by `shift` µs (the local time's offset from
/// UTC; 0 for the UTC day), in SQL both dialects read alike. The shift is a zone's offset,
/// never input.
fn day_of_column(column: &str, shift: i64) -> String {
    let column = if shift == 0 {
        column.to_string()
    } else {
        format!("({column} + ({shift}))")
    };
    format!(
        "({column} - (({column} % {MICROS_PER_DAY}) + {MICROS_PER_DAY}) % {MICROS_PER_DAY}) \
         / {MICROS_PER_DAY}"
    )
}

/// What refunds took off the spending of `[start, end)`, in the spending's groups: the
/// credits refunded, no actions (the action happened).
fn refunds<'a>(
    parameter: char,
    group_by: &[UsageDimension],
    account_id: &'a str,
    (start, end): (Timestamp, Timestamp),
    shift: i64,
) -> Query<'a> {
    let day = day_of_column("spent_at", shift);
    let mut head = select(group_by, &day, |column| format!("COALESCE({column}, '')"));
    head.push_str(
        "CAST(COALESCE(SUM(-amount), 0) AS BIGINT) AS credits, CAST(0 AS BIGINT) AS count \
         FROM refunds",
    );
    let grouped = Grouped {
        head: &head,
        column: "spent_at",
        condition: "",
    };
    let range = (start.as_micros(), end.as_micros());
    grouped.query(parameter, group_by, account_id, range)
}

fn entries<'a>(
    parameter: char,
    group_by: &[UsageDimension],
    account_id: &'a str,
    (start, end): (Timestamp, Timestamp),
    shift: i64,
) -> Query<'a> {
    let day = day_of_column("created_at", shift);
    let mut head = select(group_by, &day, |column| format!("COALESCE({column}, '')"));
    head.push_str(
        "CAST(COALESCE(SUM(-amount), 0) AS BIGINT) AS credits, COUNT(*) AS count \
         FROM entries",
    );
    let grouped = Grouped {
        head: &head,
        column: "created_at",
        condition: " AND type IN ('charge', 'capture')",
    };
    let range = (start.as_micros(), end.as_micros());
    grouped.query(parameter, group_by, account_id, range)
}

fn group_row(
    row: &dyn ColumnReader,
    table: &str,
    account_id: &str,
    group_by: &[UsageDimension],
) -> Result<(UsageGroup, UsageDelta), StoreError> {
    let fields = Fields::keyed(row, table, account_id.to_string());
    let mut group = UsageGroup::default();
    for (index, dimension) in group_by.iter().enumerate() {
        let name = format!("g{index}");
        match dimension {
            UsageDimension::Day => group.day = Some(fields.i64(&name)?),
            UsageDimension::Product => group.product = Some(fields.text(&name)?),
            UsageDimension::Model => group.model = Some(fields.text(&name)?),
            UsageDimension::Member => group.member = Some(fields.text(&name)?),
            UsageDimension::Action => group.action = Some(fields.text(&name)?),
        }
    }
    let delta = UsageDelta {
        credits: fields.millicredits("credits")?,
        count: fields.i64("count")?,
    };
    Ok((group, delta))
}

/// The rows of both sources added up per group, in group order. Ungrouped, an empty range
/// reads as one row of zeros: it adds nothing.
fn sum(rows: Vec<(UsageGroup, UsageDelta)>, ungrouped: bool) -> Vec<(UsageGroup, UsageDelta)> {
    let mut groups: HashMap<UsageGroup, UsageDelta> = HashMap::new();
    for (group, delta) in rows {
        if delta.count == 0 && ungrouped && delta.credits == Millicredits::ZERO {
            continue;
        }
        let total = groups.entry(group).or_default();
        total.credits = Millicredits::new(total.credits.get() + delta.credits.get());
        total.count += delta.count;
    }
    let mut groups: Vec<_> = groups.into_iter().collect();
    groups.sort_by(|left, right| left.0.cmp(&right.0));
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = MICROS_PER_DAY;

    fn at(micros: i64) -> Timestamp {
        Timestamp::from_micros(micros)
    }

    const HOUR: i64 = tally_core::usage::MICROS_PER_HOUR;
    const MINUTE: i64 = tally_core::usage::MICROS_PER_MINUTE;

    #[test]
    fn whole_days_then_hours_then_minutes_and_only_the_partial_minutes_from_the_entries() {
        let from = DAY / 2 + 3 * MINUTE + 7;
        let to = 3 * DAY + 2 * HOUR + 5 * MINUTE + 5;
        let split = Split::new(at(from), at(to));
        assert_eq!(split.whole_days, Some((1, 3)));
        assert_eq!(
            split.buckets,
            vec![
                (HOUR, DAY / 2 + HOUR, DAY),
                (HOUR, 3 * DAY, 3 * DAY + 2 * HOUR),
                (MINUTE, DAY / 2 + 4 * MINUTE, DAY / 2 + HOUR),
                (MINUTE, 3 * DAY + 2 * HOUR, 3 * DAY + 2 * HOUR + 5 * MINUTE),
            ]
        );
        assert_eq!(
            split.partial,
            vec![
                (at(from), at(DAY / 2 + 4 * MINUTE)),
                (at(3 * DAY + 2 * HOUR + 5 * MINUTE), at(to))
            ]
        );
        let aligned = Split::new(at(DAY), at(3 * DAY));
        assert_eq!(aligned.whole_days, Some((1, 3)));
        assert!(aligned.buckets.is_empty() && aligned.partial.is_empty());
    }

    #[test]
    fn a_range_inside_one_minute_and_an_empty_one_read_only_entries_or_nothing() {
        let inside = Split::new(at(DAY + 1), at(DAY + 9));
        assert_eq!((inside.whole_days, inside.buckets.len()), (None, 0));
        assert_eq!(inside.partial, vec![(at(DAY + 1), at(DAY + 9))]);
        let empty = Split::new(at(5), at(5));
        assert_eq!(empty, Split::new(at(9), at(5)));
        assert!(empty.whole_days.is_none() && empty.buckets.is_empty());
        assert!(empty.partial.is_empty());
    }

    /// Seeded ranges, before and after the epoch: the parts tile the range exactly (no
    /// instant read twice or left out), and the bound holds: at most two partial pieces,
    /// inside at most two minutes, and at most 2 × (23 + 59) whole buckets.
    #[test]
    fn the_parts_tile_the_range_and_stay_within_the_bound() {
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |bound: i64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            i64::try_from(seed % u64::try_from(bound).unwrap()).unwrap()
        };
        for _ in 0..5_000 {
            let from = next(40 * DAY) - 20 * DAY;
            let length = match next(4) {
                0 => next(MINUTE),
                1 => next(HOUR),
                2 => next(2 * DAY),
                _ => next(30 * DAY),
            };
            let split = Split::new(at(from), at(from + length));
            let mut parts: Vec<(i64, i64)> = Vec::new();
            if let Some((first, end)) = split.whole_days {
                parts.push((first * DAY, end * DAY));
            }
            let mut buckets = 0;
            for (width, first, end) in &split.buckets {
                assert_eq!((first.rem_euclid(*width), end.rem_euclid(*width)), (0, 0));
                buckets += (end - first) / width;
                parts.push((*first, *end));
            }
            assert!(
                buckets <= 2 * (23 + 59),
                "{buckets} buckets for {from}+{length}"
            );
            assert!(split.partial.len() <= 2);
            let mut minutes = std::collections::BTreeSet::new();
            for (low, high) in &split.partial {
                let (low, high) = (low.as_micros(), high.as_micros());
                minutes.extend([low.div_euclid(MINUTE), (high - 1).div_euclid(MINUTE)]);
                parts.push((low, high));
            }
            assert!(minutes.len() <= 2, "{minutes:?} for {from}+{length}");
            parts.sort_unstable();
            let mut reached = from;
            for (low, high) in parts {
                assert!(low < high);
                assert_eq!(low, reached, "a gap or an overlap in {from}+{length}");
                reached = high;
            }
            assert_eq!(reached, from + length);
        }
    }

    #[test]
    fn a_range_of_whole_minutes_reads_no_entries() {
        let split = Split::new(at(-3 * MINUTE), at(7 * DAY + 11 * MINUTE));
        assert!(split.partial.is_empty());
    }

    #[test]
    fn groups_add_up_across_sources_and_an_ungrouped_empty_range_adds_nothing() {
        let delta = |credits, count| UsageDelta {
            credits: Millicredits::new(credits),
            count,
        };
        let product = |name: &str| UsageGroup {
            product: Some(name.to_string()),
            ..UsageGroup::default()
        };
        let rows = vec![
            (product("b"), delta(5, 1)),
            (product("a"), delta(2, 1)),
            (product("b"), delta(7, 2)),
        ];
        assert_eq!(
            sum(rows, false),
            vec![(product("a"), delta(2, 1)), (product("b"), delta(12, 3))]
        );
        let zeros = vec![(UsageGroup::default(), delta(0, 0))];
        assert!(sum(zeros, true).is_empty());
    }

    /// Seeded ranges in zones with DST and half-hour offsets: the pieces tile the range, the
    /// zone keeps one offset through each, and no aggregate a piece may read straddles a local
    /// midnight (whole UTC days only where the offset is zero).
    #[test]
    fn zoned_pieces_tile_the_range_and_never_straddle_a_local_midnight() {
        let zones = [
            "America/New_York",
            "Asia/Kolkata",
            "Australia/Lord_Howe",
            "Europe/London",
        ];
        let mut seed: u64 = 0x1234_5678_9abc_def1;
        let mut next = |bound: i64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            i64::try_from(seed % u64::try_from(bound).unwrap()).unwrap()
        };
        for name in zones {
            let zone = tally_core::zone::time_zone(name).expect("in the database");
            for _ in 0..200 {
                // Within 2026 and 2027, across their DST changes.
                let from = 20_454 * DAY + next(700 * DAY);
                let to = from + next(40 * DAY);
                let pieces = pieces((at(from), at(to)), &[UsageDimension::Day], Some(&zone));
                let mut reached = from;
                for piece in &pieces {
                    assert_eq!(
                        piece.from.as_micros(),
                        reached,
                        "{name}: a gap or an overlap"
                    );
                    assert!(piece.from < piece.to);
                    reached = piece.to.as_micros();
                    let offset = |micros: i64| {
                        i64::from(
                            zone.to_offset(jiff::Timestamp::from_microsecond(micros).unwrap())
                                .seconds(),
                        ) * 1_000_000
                    };
                    assert_eq!(offset(piece.from.as_micros()), piece.offset_micros);
                    assert_eq!(offset(piece.to.as_micros() - 1), piece.offset_micros);
                    let widest = piece.widths[0];
                    let local = |micros: i64| (micros + piece.offset_micros).div_euclid(DAY);
                    let split = Split::with_widths(piece.from, piece.to, piece.widths);
                    for (width, first, end) in &split.buckets {
                        assert!(*width <= widest);
                        let mut start = *first;
                        while start < *end {
                            assert_eq!(local(start), local(start + width - 1), "{name}");
                            start += width;
                        }
                    }
                    if split.whole_days.is_some() {
                        assert_eq!(piece.offset_micros, 0, "{name}");
                    }
                }
                assert_eq!(reached, to.max(from));
            }
        }
    }
}
