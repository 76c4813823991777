//! Usage aggregates: credits spent and actions taken, per account, UTC day, product, model,
//! member and action. The engine derives them from each batch's entries (charges and
//! captures) and the store adds them up in the same transaction as the ledger, so usage queries
//! cost O(days × groups), whatever the number of events.

use std::collections::HashMap;

use crate::amount::Millicredits;
use crate::ledger::{Attribution, Entry, EntryKind, Refund};
use crate::time::Timestamp;

/// Microseconds in a UTC day.
pub const MICROS_PER_DAY: i64 = 86_400 * 1_000_000;

/// Microseconds in an hour and in a minute: the widths of the finer aggregates
/// (`usage_buckets`), which a range's partial days are read from.
pub const MICROS_PER_HOUR: i64 = 3_600 * 1_000_000;
pub const MICROS_PER_MINUTE: i64 = 60 * 1_000_000;

/// The widths of the bucket aggregates, widest first; each divides the one before it, and
/// the widest divides a day.
pub const BUCKET_WIDTHS: [i64; 2] = [MICROS_PER_HOUR, MICROS_PER_MINUTE];

/// The first instant of the bucket `width` wide that `at` falls in.
pub fn bucket_start(at: Timestamp, width: i64) -> i64 {
    at.as_micros() - at.as_micros().rem_euclid(width)
}

/// The UTC day (days since 1970-01-01) an instant falls on.
pub fn day_of(at: Timestamp) -> i64 {
    at.as_micros().div_euclid(MICROS_PER_DAY)
}

/// The first instant of a UTC day.
pub fn day_start(day: i64) -> Timestamp {
    Timestamp::from_micros(day.saturating_mul(MICROS_PER_DAY))
}

/// One group of the aggregates. Missing attributes are empty strings.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UsageKey {
    pub account_id: String,
    pub day: i64,
    pub product: String,
    pub model: String,
    pub member: String,
    pub action: String,
}

/// One group of the bucket aggregates: an hour or a minute (`width`, in µs) starting at
/// `start` (µs since the epoch, a multiple of `width`) instead of a day.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BucketKey {
    pub account_id: String,
    pub width: i64,
    pub start: i64,
    pub product: String,
    pub model: String,
    pub member: String,
    pub action: String,
}

/// What to add to one group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UsageDelta {
    pub credits: Millicredits,
    pub count: i64,
}

/// Whether an entry is spending that counts as usage (a charge or a capture), and how much.
pub fn spent(entry: &Entry) -> Option<Millicredits> {
    match entry.kind {
        EntryKind::Charge | EntryKind::Capture => Some(Millicredits::new(-entry.amount.get())),
        _ => None,
    }
}

/// The aggregate deltas of a batch's entries.
pub fn usage_deltas(entries: &[Entry]) -> Vec<(UsageKey, UsageDelta)> {
    let mut groups: HashMap<UsageKey, UsageDelta> = HashMap::new();
    for entry in entries {
        let Some(credits) = spent(entry) else {
            continue;
        };
        let attribution = &entry.attribution;
        let key = UsageKey {
            account_id: entry.account_id.clone(),
            day: day_of(entry.created_at),
            product: attribution.product.clone().unwrap_or_default(),
            model: attribution.model.clone().unwrap_or_default(),
            member: attribution.member.clone().unwrap_or_default(),
            action: attribution.action.clone().unwrap_or_default(),
        };
        let delta = groups.entry(key).or_default();
        delta.credits = Millicredits::new(delta.credits.get() + credits.get());
        delta.count += 1;
    }
    let mut deltas: Vec<_> = groups.into_iter().collect();
    deltas.sort_by(|left, right| left.0.cmp(&right.0));
    deltas
}

/// What refunds take off the aggregates: usage is net of refunds, in the group and on the day
/// of the spending refunded. The number of actions stays: the action happened.
pub fn refund_deltas(refunds: &[Refund]) -> Vec<(UsageKey, UsageDelta)> {
    refunds
        .iter()
        .map(|refund| {
            let attribution = &refund.attribution;
            let key = UsageKey {
                account_id: refund.account_id.clone(),
                day: day_of(refund.spent_at),
                product: attribution.product.clone().unwrap_or_default(),
                model: attribution.model.clone().unwrap_or_default(),
                member: attribution.member.clone().unwrap_or_default(),
                action: attribution.action.clone().unwrap_or_default(),
            };
            let delta = UsageDelta {
                credits: Millicredits::new(-refund.amount.get()),
                count: 0,
            };
            (key, delta)
        })
        .collect()
}

/// The bucket deltas of a batch's entries and refunds, one per bucket of each width and group:
/// the same spending as [`usage_deltas`] and [`refund_deltas`] (a refund in the bucket of the
/// spending it refunds), in hours and minutes instead of days.
pub fn bucket_deltas(entries: &[Entry], refunds: &[Refund]) -> Vec<(BucketKey, UsageDelta)> {
    let mut groups: HashMap<BucketKey, UsageDelta> = HashMap::new();
    let mut add =
        |account_id: &str, at: Timestamp, attribution: &Attribution, delta: UsageDelta| {
            for width in BUCKET_WIDTHS {
                let key = BucketKey {
                    account_id: account_id.to_string(),
                    width,
                    start: bucket_start(at, width),
                    product: attribution.product.clone().unwrap_or_default(),
                    model: attribution.model.clone().unwrap_or_default(),
                    member: attribution.member.clone().unwrap_or_default(),
                    action: attribution.action.clone().unwrap_or_default(),
                };
                let total = groups.entry(key).or_default();
                total.credits = Millicredits::new(total.credits.get() + delta.credits.get());
                total.count += delta.count;
            }
        };
    for entry in entries {
        if let Some(credits) = spent(entry) {
            let delta = UsageDelta { credits, count: 1 };
            add(
                &entry.account_id,
                entry.created_at,
                &entry.attribution,
                delta,
            );
        }
    }
    for refund in refunds {
        let delta = UsageDelta {
            credits: Millicredits::new(-refund.amount.get()),
            count: 0,
        };
        add(
            &refund.account_id,
            refund.spent_at,
            &refund.attribution,
            delta,
        );
    }
    let mut deltas: Vec<_> = groups.into_iter().collect();
    deltas.sort_by(|left, right| left.0.cmp(&right.0));
    deltas
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: EntryKind, amount: i64, at: i64, product: &str) -> Entry {
        Entry {
            id: format!("ent_{amount}_{at}"),
            account_id: "a".into(),
            kind,
            amount: Millicredits::new(amount),
            held: Millicredits::ZERO,
            grant_id: None,
            hold_id: None,
            charge_id: None,
            attribution: Attribution {
                product: Some(product.into()),
                ..Attribution::default()
            },
            description: None,
            created_at: Timestamp::from_micros(at),
            postings: Vec::new(),
        }
    }

    #[test]
    fn charges_and_captures_count_per_day_and_group() {
        let day = MICROS_PER_DAY;
        let entries = [
            entry(EntryKind::Charge, -7_000, 10, "assistant"),
            entry(EntryKind::Capture, -500, 20, "assistant"),
            entry(EntryKind::Charge, -1_000, day + 5, "assistant"),
            entry(EntryKind::Charge, -2_000, 30, "studio"),
            entry(EntryKind::Grant, 50_000, 40, "assistant"),
            entry(EntryKind::Hold, 0, 50, "assistant"),
        ];
        let deltas = usage_deltas(&entries);
        let summary: Vec<(i64, &str, i64, i64)> = deltas
            .iter()
            .map(|(key, delta)| {
                (
                    key.day,
                    key.product.as_str(),
                    delta.credits.get(),
                    delta.count,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (0, "assistant", 7_500, 2),
                (0, "studio", 2_000, 1),
                (1, "assistant", 1_000, 1)
            ]
        );
    }

    #[test]
    fn buckets_add_up_per_hour_and_minute_with_refunds_in_the_bucket_of_their_spending() {
        let (hour, minute) = (MICROS_PER_HOUR, MICROS_PER_MINUTE);
        let entries = [
            entry(EntryKind::Charge, -7_000, 10, "assistant"),
            entry(EntryKind::Charge, -500, minute + 1, "assistant"),
            entry(EntryKind::Capture, -1_000, hour + 5, "assistant"),
            entry(EntryKind::Grant, 50_000, 40, "assistant"),
        ];
        let refund = Refund {
            id: "ref_1".into(),
            account_id: "a".into(),
            charge_id: Some("ch_1".into()),
            hold_id: None,
            amount: Millicredits::new(200),
            restored: Vec::new(),
            expired: Millicredits::ZERO,
            reason: None,
            created_at: Timestamp::from_micros(2 * hour),
            attribution: Attribution {
                product: Some("assistant".into()),
                ..Attribution::default()
            },
            spent_at: Timestamp::from_micros(10),
        };
        let summary: Vec<(i64, i64, i64, i64)> = bucket_deltas(&entries, &[refund])
            .iter()
            .map(|(key, delta)| (key.width, key.start, delta.credits.get(), delta.count))
            .collect();
        assert_eq!(
            summary,
            [
                (minute, 0, 6_800, 1),
                (minute, minute, 500, 1),
                (minute, hour, 1_000, 1),
                (hour, 0, 7_300, 2),
                (hour, hour, 1_000, 1),
            ]
        );
    }

    #[test]
    fn buckets_floor_before_the_epoch() {
        let at = Timestamp::from_micros(-1);
        assert_eq!(bucket_start(at, MICROS_PER_MINUTE), -MICROS_PER_MINUTE);
        assert_eq!(bucket_start(Timestamp::from_micros(0), MICROS_PER_HOUR), 0);
    }

    #[test]
    fn days_are_utc_and_floor_before_the_epoch() {
        assert_eq!(day_of(Timestamp::from_micros(0)), 0);
        assert_eq!(day_of(Timestamp::from_micros(MICROS_PER_DAY - 1)), 0);
        assert_eq!(day_of(Timestamp::from_micros(-1)), -1);
        assert_eq!(day_start(2), Timestamp::from_micros(2 * MICROS_PER_DAY));
    }
}
