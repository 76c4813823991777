//! Events: what an account's changes tell the platform. The core decides which events a change
//! causes; the engine writes them in the same batch as the change (an outbox), and the API
//! renders and delivers them.

/// Every event type, as named on the wire. A webhook endpoint subscribes to some of them (or
/// all); the events list filters by one.
pub const EVENT_TYPES: &[&str] = &[
    "balance.low",
    "balance.depleted",
    "grant.created",
    "grant.expiring",
    "grant.expired",
    "hold.expired",
    "purchase.created",
    "purchase.completed",
    "purchase.failed",
    "purchase.expired",
    "topup.requested",
    "topup.suspended",
    "subscription.renewed",
    "subscription.changed",
    "refund.created",
    "limit.reached",
];

/// Whether `name` is an event type.
pub fn is_event_type(name: &str) -> bool {
    EVENT_TYPES.contains(&name)
}

use super::{
    AccountState, AutoTopup, Effects, Grant, Hold, IdKind, IdSource, Purchase, Refund,
    Subscription, SubscriptionStatus,
};
use crate::{Millicredits, Timestamp};

/// One event, as the core decided it: whose, its place in the account's sequence, when, the
/// account's `available` right after its cause, and what happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// `evt_…`.
    pub id: String,
    pub account_id: String,
    /// The account's count of events, this one included (1, 2, …, without gaps).
    pub sequence: i64,
    pub at: Timestamp,
    /// The account's `available` once the cause was applied.
    pub available: Millicredits,
    pub kind: EventKind,
}

/// What happened, with what a consumer needs to act on it without another request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// `available` went below the account's low balance threshold.
    BalanceLow {
        threshold: Millicredits,
    },
    /// `available` reached zero or less, or a debit was refused for lack of credits
    /// (`refused`: the amount asked for).
    BalanceDepleted {
        refused: Option<Millicredits>,
    },
    GrantCreated {
        grant: Box<Grant>,
    },
    /// The grant expires in 3 days or less, with credits left on it.
    GrantExpiring {
        grant: Box<Grant>,
    },
    /// The grant expired; `expired` is what it still had unspent and unreserved.
    GrantExpired {
        grant: Box<Grant>,
        expired: Millicredits,
    },
    HoldExpired {
        hold: Box<Hold>,
    },
    PurchaseCreated {
        purchase: Box<Purchase>,
    },
    PurchaseCompleted {
        purchase: Box<Purchase>,
        grant: Box<Grant>,
    },
    PurchaseFailed {
        purchase: Box<Purchase>,
    },
    PurchaseExpired {
        purchase: Box<Purchase>,
    },
    /// A debit left `available` below the auto top-up's threshold: `purchase` was opened.
    TopupRequested {
        purchase: Box<Purchase>,
        threshold: Millicredits,
    },
    /// Three top-up purchases in a row failed: auto top-up stops until it is set again.
    TopupSuspended {
        topup: Box<AutoTopup>,
    },
    /// A new plan period began, with its grant.
    SubscriptionRenewed {
        subscription: Box<Subscription>,
        grant: Option<Box<Grant>>,
    },
    /// The plan, its seats or its status changed (a new subscription, a change, a cancel).
    SubscriptionChanged {
        subscription: Box<Subscription>,
    },
    RefundCreated {
        refund: Box<Refund>,
    },
    /// A limit's `used` reached its `max` in its window, or a debit was refused by it
    /// (`refused`: the amount asked for): once per limit (per value, for `*`) per window.
    LimitReached {
        limit_id: String,
        /// `member`, `product`, `key` or `account`.
        scope: String,
        /// The limit's match (`*`: each value).
        matches: String,
        /// The member, product or key it counted on (`*` for an account limit).
        value: String,
        /// `day`, `month`, `period` or `total`.
        window: String,
        max: Millicredits,
        used: Millicredits,
        /// When the window ends (`None`: never).
        resets_at: Option<Timestamp>,
        refused: Option<Millicredits>,
    },
}

impl EventKind {
    /// The event's type on the wire (one of [`EVENT_TYPES`]).
    pub fn type_name(&self) -> &'static str {
        match self {
            EventKind::BalanceLow { .. } => "balance.low",
            EventKind::BalanceDepleted { .. } => "balance.depleted",
            EventKind::GrantCreated { .. } => "grant.created",
            EventKind::GrantExpiring { .. } => "grant.expiring",
            EventKind::GrantExpired { .. } => "grant.expired",
            EventKind::HoldExpired { .. } => "hold.expired",
            EventKind::PurchaseCreated { .. } => "purchase.created",
            EventKind::PurchaseCompleted { .. } => "purchase.completed",
            EventKind::PurchaseFailed { .. } => "purchase.failed",
            EventKind::PurchaseExpired { .. } => "purchase.expired",
            EventKind::TopupRequested { .. } => "topup.requested",
            EventKind::TopupSuspended { .. } => "topup.suspended",
            EventKind::SubscriptionRenewed { .. } => "subscription.renewed",
            EventKind::SubscriptionChanged { .. } => "subscription.changed",
            EventKind::RefundCreated { .. } => "refund.created",
            EventKind::LimitReached { .. } => "limit.reached",
        }
    }
}

/// Which balance alerts have fired since `available` last rose back above them: each fires
/// once per crossing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Alerts {
    pub low: bool,
    pub depleted: bool,
}

impl Alerts {
    /// As stored: bit 1 `low`, bit 2 `depleted`.
    pub fn bits(self) -> i64 {
        i64::from(self.low) | (i64::from(self.depleted) << 1)
    }

    pub fn from_bits(bits: i64) -> Self {
        Alerts {
            low: bits & 1 != 0,
            depleted: bits & 2 != 0,
        }
    }
}

/// How long before a grant's expiry `grant.expiring` is written: 3 days.
pub const EXPIRY_WARNING_MICROS: i64 = 3 * 24 * 3600 * 1_000_000;

impl AccountState {
    /// Writes an event of this account, next in its sequence.
    pub(crate) fn emit(
        &mut self,
        kind: EventKind,
        at: Timestamp,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) {
        self.event_sequence += 1;
        effects.events.push(Event {
            id: ids.new_id(IdKind::Event),
            account_id: self.account.id.clone(),
            sequence: self.event_sequence,
            at,
            available: self.available(),
            kind,
        });
    }

    /// The threshold below which `balance.low` fires: the account's own, else 10 % of the
    /// current period's plan allowance, else none.
    pub fn low_balance_threshold(&self) -> Option<Millicredits> {
        if let Some(threshold) = self.account.settings.low_balance_threshold {
            return Some(threshold);
        }
        let subscription = self.subscription()?;
        if subscription.status == SubscriptionStatus::Canceled {
            return None;
        }
        let allowance = subscription
            .credits_per_seat
            .get()
            .checked_mul(i64::from(subscription.seats))?;
        Some(Millicredits::new(allowance / 10))
    }

    /// The balance alerts a change calls for, called after every change to the account. A
    /// change that lowers `available` below the threshold writes `balance.low`, once, until
    /// `available` is back at or above it; one that lowers it to zero or less writes
    /// `balance.depleted`, once, until credits arrive (a rise above zero). Credits arriving
    /// never fire an alert, and an account that never had credits is not "depleted".
    pub fn watch_balance(&mut self, at: Timestamp, ids: &mut dyn IdSource, effects: &mut Effects) {
        let (before, available) = (self.watched_available, self.available());
        self.watched_available = available;
        let fell = available < before;
        match self.low_balance_threshold() {
            Some(threshold) if available < threshold => {
                if fell && !self.alerts.low {
                    self.alerts.low = true;
                    self.emit(EventKind::BalanceLow { threshold }, at, ids, effects);
                }
            }
            _ => self.alerts.low = false,
        }
        if available.get() <= 0 {
            if fell && !self.alerts.depleted {
                self.alerts.depleted = true;
                let kind = EventKind::BalanceDepleted { refused: None };
                self.emit(kind, at, ids, effects);
            }
        } else if !fell && available > before {
            self.alerts.depleted = false;
        }
    }

    /// A debit of `amount` was refused for lack of credits: `balance.depleted`, unless it
    /// fired already and no credits arrived since.
    pub fn watch_refusal(
        &mut self,
        amount: Millicredits,
        at: Timestamp,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) {
        if !self.alerts.depleted {
            self.alerts.depleted = true;
            let kind = EventKind::BalanceDepleted {
                refused: Some(amount),
            };
            self.emit(kind, at, ids, effects);
        }
    }

    pub fn alerts(&self) -> Alerts {
        self.alerts
    }

    pub fn event_sequence(&self) -> i64 {
        self.event_sequence
    }
}
