//! Plan subscriptions on an account: a monthly allowance per seat, granted at the start of
//! every period and expiring at its end (no rollover).
//!
//! The rules (API.md, Plans): starting grants `credits_per_seat × seats` at once; more seats
//! mid-period grant the added seats' credits prorated to the rest of the period (rounded down
//! to whole credits) at once; fewer seats take effect at the next period; another plan starts
//! a new period at once and voids what is left of the old plan's credits; a cancel ends the
//! subscription at the period's end. A server that was down across period ends catches up in
//! order, but a period that ended before the catch-up grants nothing: only the period that
//! contains "now" gets its allowance (no credits are issued retroactively).

use super::events::EventKind;
use super::{
    AccountState, Effects, EntryKind, GrantLifecycle, GrantSource, GrantSpec, IdSource, Rejection,
    written,
};
use crate::amount::{AMOUNT_MILLICREDITS_MAX, Millicredits};
use crate::catalog::Plan;
use crate::periods::{period_start, prorate};
use crate::time::Timestamp;

/// The most seats one subscription may have.
pub const SEATS_MAX: u32 = 100_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SubscriptionStatus {
    Active,
    /// Ends at the current period's end.
    Canceling,
    Canceled,
}

impl SubscriptionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionStatus::Active => "active",
            SubscriptionStatus::Canceling => "canceling",
            SubscriptionStatus::Canceled => "canceled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "active" => SubscriptionStatus::Active,
            "canceling" => SubscriptionStatus::Canceling,
            "canceled" => SubscriptionStatus::Canceled,
            _ => return None,
        })
    }
}

/// An account's plan and where it is in its periods.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscription {
    pub account_id: String,
    pub plan_id: String,
    pub plan_name: String,
    /// The plan's allowance per seat, as it was when the subscription started.
    pub credits_per_seat: Millicredits,
    pub seats: u32,
    /// Seats from the next period on (a decrease waits for it).
    pub next_period_seats: Option<u32>,
    pub status: SubscriptionStatus,
    /// Periods are `anchor + n months`.
    pub anchor: Timestamp,
    pub period_index: u32,
    pub current_period_start: Timestamp,
    pub current_period_end: Timestamp,
    /// The plan grants of the current period (the allowance, and prorated seat additions).
    pub period_grant_ids: Vec<String>,
    pub created_at: Timestamp,
    pub canceled_at: Option<Timestamp>,
}

impl AccountState {
    pub fn subscription(&self) -> Option<&Subscription> {
        self.subscription.as_deref()
    }

    /// Puts back the subscription a store persisted (after [`AccountState::restore`]).
    pub fn restore_subscription(&mut self, subscription: Subscription) {
        self.subscription = Some(Box::new(subscription));
        self.recompute_next_due();
    }

    /// What is left of the current period's allowance (spendable or held).
    pub fn allowance_left(&self) -> Millicredits {
        let Some(subscription) = &self.subscription else {
            return Millicredits::ZERO;
        };
        let left = self
            .grants
            .iter()
            .filter(|grant| grant.lifecycle == GrantLifecycle::Active)
            .filter(|grant| subscription.period_grant_ids.contains(&grant.id))
            .map(|grant| grant.remaining.get())
            .sum();
        Millicredits::new(left)
    }

    fn allowance(
        plan_credits_per_seat: Millicredits,
        seats: u32,
    ) -> Result<Millicredits, Rejection> {
        let amount = plan_credits_per_seat
            .get()
            .checked_mul(i64::from(seats))
            .ok_or(Rejection::Overflow)?;
        if amount > AMOUNT_MILLICREDITS_MAX {
            return Err(Rejection::Overflow);
        }
        Ok(Millicredits::new(amount))
    }

    /// Issues a plan grant of the current period, expiring at its end.
    fn issue_plan_grant(
        &mut self,
        amount: Millicredits,
        description: String,
        at: Timestamp,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) -> Result<(), Rejection> {
        let end = self
            .subscription
            .as_ref()
            .expect("ledger: a subscription")
            .current_period_end;
        if !amount.is_positive() {
            return Ok(());
        }
        let spec = GrantSpec {
            amount,
            source: GrantSource::Plan,
            priority: 0,
            effective_at: None,
            expires_at: Some(end),
            description: Some(description),
            metadata: None,
        };
        let grant = self.issue_grant(spec, at, ids, effects)?;
        let subscription = self.subscription.as_mut().expect("ledger: a subscription");
        subscription.period_grant_ids.push(grant.id);
        Ok(())
    }

    /// Starts, changes (plan or seats) or reactivates the account's subscription.
    pub fn subscribe(
        &mut self,
        plan: &Plan,
        seats: u32,
        at: Timestamp,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) -> Result<Subscription, Rejection> {
        self.run_due(at, ids, effects);
        if !(1..=SEATS_MAX).contains(&seats) {
            return Err(Rejection::SeatsInvalid);
        }
        let allowance = Self::allowance(plan.credits_per_seat, seats)?;
        if self.posted.checked_add(allowance).is_none() {
            return Err(Rejection::Overflow);
        }
        let current = self
            .subscription
            .clone()
            .filter(|s| s.status != SubscriptionStatus::Canceled);
        match current {
            Some(current) if current.plan_id == plan.id => {
                let subscription = self.subscription.as_mut().expect("ledger: a subscription");
                subscription.status = SubscriptionStatus::Active;
                subscription.canceled_at = None;
                if seats > current.seats {
                    let added = Self::allowance(current.credits_per_seat, seats - current.seats)?;
                    let prorated = prorate(
                        added,
                        current.current_period_start,
                        current.current_period_end,
                        at,
                    );
                    subscription.seats = seats;
                    subscription.next_period_seats = None;
                    let description = format!(
                        "{} plan: {} added seats, prorated",
                        plan.name,
                        seats - current.seats
                    );
                    self.issue_plan_grant(prorated, description, at, ids, effects)?;
                } else if seats < current.seats {
                    subscription.next_period_seats = Some(seats);
                } else {
                    subscription.next_period_seats = None;
                }
            }
            Some(current) => {
                // Another plan: what is left of the old plan's credits is voided at once.
                for grant_id in &current.period_grant_ids {
                    if self
                        .grant(grant_id)
                        .is_some_and(|grant| grant.lifecycle == GrantLifecycle::Active)
                    {
                        self.end_grant(
                            grant_id,
                            GrantLifecycle::Voided,
                            EntryKind::Void,
                            at,
                            ids,
                            effects,
                        );
                    }
                }
                self.start_subscription(plan, seats, at, ids, effects)?;
            }
            None => self.start_subscription(plan, seats, at, ids, effects)?,
        }
        self.recompute_next_due();
        let subscription = self
            .subscription
            .as_deref()
            .cloned()
            .expect("ledger: a subscription");
        effects.subscriptions.push(subscription.clone());
        let changed = EventKind::SubscriptionChanged {
            subscription: Box::new(subscription.clone()),
        };
        self.emit(changed, at, ids, effects);
        debug_assert_eq!(self.check(), Ok(()));
        Ok(subscription)
    }

    fn start_subscription(
        &mut self,
        plan: &Plan,
        seats: u32,
        at: Timestamp,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) -> Result<(), Rejection> {
        let end = period_start(at, 1).map_err(|_| Rejection::Overflow)?;
        let created_at = self
            .subscription
            .as_ref()
            .map_or(at, |previous| previous.created_at);
        self.subscription = Some(Box::new(Subscription {
            account_id: self.account.id.clone(),
            plan_id: plan.id.clone(),
            plan_name: plan.name.clone(),
            credits_per_seat: plan.credits_per_seat,
            seats,
            next_period_seats: None,
            status: SubscriptionStatus::Active,
            anchor: at,
            period_index: 0,
            current_period_start: at,
            current_period_end: end,
            period_grant_ids: Vec::new(),
            created_at,
            canceled_at: None,
        }));
        let allowance = Self::allowance(plan.credits_per_seat, seats)?;
        self.issue_plan_grant(
            allowance,
            format!("{} plan allowance", plan.name),
            at,
            ids,
            effects,
        )
    }

    /// Cancels at the current period's end (the allowance stays usable until then).
    pub fn cancel_subscription(
        &mut self,
        at: Timestamp,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) -> Result<Subscription, Rejection> {
        self.run_due(at, ids, effects);
        let subscription = self
            .subscription
            .as_mut()
            .ok_or(Rejection::NoSubscription)?;
        if subscription.status == SubscriptionStatus::Active {
            subscription.status = SubscriptionStatus::Canceling;
            subscription.canceled_at = Some(at);
        }
        let subscription = Subscription::clone(subscription);
        effects.subscriptions.push(subscription.clone());
        let changed = EventKind::SubscriptionChanged {
            subscription: Box::new(subscription.clone()),
        };
        self.emit(changed, at, ids, effects);
        Ok(subscription)
    }

    /// The end of the current period (due work): the next period begins, with its allowance
    /// when it contains `now`; a canceling subscription ends.
    pub(super) fn renew_subscription(
        &mut self,
        due_at: Timestamp,
        now: Timestamp,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) {
        let subscription = self
            .subscription
            .as_mut()
            .expect("ledger: renewing a subscription");
        subscription.period_grant_ids.clear();
        if subscription.status == SubscriptionStatus::Canceling {
            subscription.status = SubscriptionStatus::Canceled;
        } else {
            subscription.period_index += 1;
            subscription.current_period_start = subscription.current_period_end;
            match period_start(subscription.anchor, subscription.period_index + 1) {
                Ok(end) => subscription.current_period_end = end,
                Err(_) => subscription.status = SubscriptionStatus::Canceled,
            }
            if let Some(seats) = subscription.next_period_seats.take() {
                subscription.seats = seats;
            }
        }
        let grants_now = subscription.status == SubscriptionStatus::Active
            && subscription.current_period_end > now;
        let allowance = Self::allowance(subscription.credits_per_seat, subscription.seats);
        let description = format!("{} plan allowance", subscription.plan_name);
        if grants_now && let Ok(allowance) = allowance {
            // Cannot fail: the allowance was checked when the subscription was made.
            let _ = self.issue_plan_grant(allowance, description, due_at, ids, effects);
        }
        let subscription = self
            .subscription
            .as_deref()
            .cloned()
            .expect("ledger: a subscription");
        effects.subscriptions.push(subscription.clone());
        self.recompute_next_due();
        let kind = if subscription.status == SubscriptionStatus::Canceled {
            EventKind::SubscriptionChanged {
                subscription: Box::new(subscription),
            }
        } else {
            let grant = subscription
                .period_grant_ids
                .last()
                .and_then(|id| written(&effects.grants, |grant| &grant.id == id))
                .cloned()
                .map(Box::new);
            EventKind::SubscriptionRenewed {
                subscription: Box::new(subscription),
                grant,
            }
        };
        self.emit(kind, due_at, ids, effects);
    }
}
