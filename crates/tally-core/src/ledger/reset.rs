//! The next reset: when a plan's next allowance arrives, and how much it is.

use crate::amount::{AMOUNT_MILLICREDITS_MAX, Millicredits};
use crate::time::Timestamp;

use super::subscription::{Subscription, SubscriptionStatus};

/// The next plan grant of a subscription: at the current period's end,
/// `credits_per_seat × the next period's seats`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NextReset {
    pub at: Timestamp,
    pub credits: Millicredits,
}

impl Subscription {
    /// The next plan grant, as the renewal will issue it; `None` unless the subscription is
    /// active (a canceling one ends at the period's end, with no grant), or when the
    /// allowance would not be a valid amount (the renewal would issue none either).
    pub fn next_reset(&self) -> Option<NextReset> {
        if self.status != SubscriptionStatus::Active {
            return None;
        }
        let seats = self.next_period_seats.unwrap_or(self.seats);
        let credits = self
            .credits_per_seat
            .get()
            .checked_mul(i64::from(seats))
            .filter(|credits| *credits <= AMOUNT_MILLICREDITS_MAX)?;
        Some(NextReset {
            at: self.current_period_end,
            credits: Millicredits::new(credits),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subscription(status: SubscriptionStatus, next_period_seats: Option<u32>) -> Subscription {
        Subscription {
            account_id: "acct".into(),
            plan_id: "pro".into(),
            plan_name: "Pro".into(),
            credits_per_seat: Millicredits::new(1_500),
            seats: 4,
            next_period_seats,
            status,
            anchor: Timestamp::from_micros(0),
            period_index: 0,
            current_period_start: Timestamp::from_micros(0),
            current_period_end: Timestamp::from_micros(2_678_400_000_000),
            period_grant_ids: Vec::new(),
            created_at: Timestamp::from_micros(0),
            canceled_at: None,
        }
    }

    #[test]
    fn an_active_plan_resets_at_the_period_end_with_the_next_periods_seats() {
        let active = subscription(SubscriptionStatus::Active, None);
        assert_eq!(
            active.next_reset(),
            Some(NextReset {
                at: active.current_period_end,
                credits: Millicredits::new(6_000),
            })
        );
        let fewer = subscription(SubscriptionStatus::Active, Some(2));
        assert_eq!(
            fewer.next_reset().unwrap().credits,
            Millicredits::new(3_000)
        );
    }

    #[test]
    fn a_canceling_or_canceled_plan_has_no_reset() {
        assert_eq!(
            subscription(SubscriptionStatus::Canceling, None).next_reset(),
            None
        );
        assert_eq!(
            subscription(SubscriptionStatus::Canceled, None).next_reset(),
            None
        );
    }
}
