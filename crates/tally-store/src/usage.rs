//! Usage over a time range, for every store: the days wholly inside the range come from the
//! daily aggregates (`usage_daily`), the partial days at its two ends from the charge and capture
//! entries themselves, and the two are added up per group. The statements read the same in
//! both dialects.

use std::collections::HashMap;

use tally_core::usage::{MICROS_PER_DAY, UsageDelta, day_of, day_start};
use tally_core::{Millicredits, Timestamp};

use crate::row::{ColumnReader, Fields, Query, RowSource, Value};
use crate::{StoreError, UsageDimension, UsageGroup};

/// Where the usage of `[from, to)` is read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    /// The whole days `[first, end)` inside the range, from the aggregates.
    pub whole_days: Option<(i64, i64)>,
    /// The rest of the range, from the entries (none of these is empty).
    pub partial: Vec<(Timestamp, Timestamp)>,
}

impl Split {
    pub fn new(from: Timestamp, to: Timestamp) -> Split {
        if from >= to {
            return Split {
                whole_days: None,
                partial: Vec::new(),
            };
        }
        let first_day = day_of(Timestamp::from_micros(
            from.as_micros() + MICROS_PER_DAY - 1,
        ));
        let end_day = day_of(to);
        let (whole_days, partial) = if first_day < end_day {
            let ends = vec![(from, day_start(first_day)), (day_start(end_day), to)];
            (Some((first_day, end_day)), ends)
        } else {
            (None, vec![(from, to)])
        };
        Split {
            whole_days,
            partial: partial
                .into_iter()
                .filter(|(start, end)| start < end)
                .collect(),
        }
    }
}

/// Credits spent and actions taken on `account_id` in `[from, to)`, per group, in group order.
pub fn read<S: RowSource>(
    db: &mut S,
    account_id: &str,
    from: Timestamp,
    to: Timestamp,
    group_by: &[UsageDimension],
) -> Result<Vec<(UsageGroup, UsageDelta)>, StoreError> {
    let split = Split::new(from, to);
    let mut found = Vec::new();
    if let Some(days) = split.whole_days {
        let query = whole_days(S::PARAMETER, group_by, account_id, days);
        db.each(query.sql(), query.params(), &mut |row| {
            found.push(group_row(row, "usage_daily", account_id, group_by)?);
            Ok(())
        })?;
    }
    for range in split.partial {
        let query = entries(S::PARAMETER, group_by, account_id, range);
        db.each(query.sql(), query.params(), &mut |row| {
            found.push(group_row(row, "entries", account_id, group_by)?);
            Ok(())
        })?;
        let query = refunds(S::PARAMETER, group_by, account_id, range);
        db.each(query.sql(), query.params(), &mut |row| {
            found.push(group_row(row, "refunds", account_id, group_by)?);
            Ok(())
        })?;
    }
    Ok(sum(found, group_by.is_empty()))
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

/// The UTC day of the instant in `column`, in SQL both dialects read alike.
fn day_of_column(column: &str) -> String {
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
) -> Query<'a> {
    let day = day_of_column("spent_at");
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
) -> Query<'a> {
    let day = day_of_column("created_at");
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

    #[test]
    fn whole_days_from_the_aggregates_and_the_ends_from_the_entries() {
        let split = Split::new(at(DAY / 2), at(3 * DAY + 5));
        assert_eq!(split.whole_days, Some((1, 3)));
        assert_eq!(
            split.partial,
            vec![(at(DAY / 2), at(DAY)), (at(3 * DAY), at(3 * DAY + 5))]
        );
        let aligned = Split::new(at(DAY), at(3 * DAY));
        assert_eq!(aligned.whole_days, Some((1, 3)));
        assert!(aligned.partial.is_empty());
    }

    #[test]
    fn a_range_inside_one_day_and_an_empty_one_read_only_entries_or_nothing() {
        let inside = Split::new(at(DAY + 1), at(DAY + 9));
        assert_eq!(inside.whole_days, None);
        assert_eq!(inside.partial, vec![(at(DAY + 1), at(DAY + 9))]);
        let empty = Split::new(at(5), at(5));
        assert_eq!(empty.whole_days, None);
        assert!(empty.partial.is_empty());
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
}
