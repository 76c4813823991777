//! Usage aggregates: credits spent and actions taken, per account, UTC day, product, model,
//! member and action. The engine derives them from each batch's entries (charges and
//! captures) and the store adds them up in the same transaction as the ledger, so usage queries
//! cost O(days × groups), whatever the number of events.

use std::collections::HashMap;

use crate::amount::Millicredits;
use crate::ledger::{Entry, EntryKind, Refund};
use crate::time::Timestamp;

/// Microseconds in a UTC day.
pub const MICROS_PER_DAY: i64 = 86_400 * 1_000_000;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Attribution;

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
    fn days_are_utc_and_floor_before_the_epoch() {
        assert_eq!(day_of(Timestamp::from_micros(0)), 0);
        assert_eq!(day_of(Timestamp::from_micros(MICROS_PER_DAY - 1)), 0);
        assert_eq!(day_of(Timestamp::from_micros(-1)), -1);
        assert_eq!(day_start(2), Timestamp::from_micros(2 * MICROS_PER_DAY));
    }
}
