//! Auto top-up: when a debit leaves `available` below the account's threshold, the same step
//! opens one purchase of the chosen pack (pending until paid, or paid at once for invoiced
//! customers), guarded so that a declining card is not retried into the ground.
//!
//! The guard rails, all decided here, inside the debit's own step (so that any number of
//! concurrent debits crossing the threshold, on any number of nodes, make one purchase: the
//! account's steps are serialized): never a second top-up while one is pending; a cooldown
//! after each attempt; at most `monthly_max` attempts per calendar month (UTC); three failed
//! (or expired) top-up purchases in a row suspend it until it is set again. A top-up that
//! cannot be made (an overflowing balance) is skipped: the debit that crossed the threshold
//! stands either way.

use super::events::EventKind;
use super::purchase::Buyer;
use super::{AccountState, Effects, IdSource, Purchase, PurchaseStatus};
use crate::amount::Millicredits;
use crate::catalog::Pack;
use crate::time::Timestamp;

/// Failed top-up purchases in a row that suspend the top-up.
pub const TOPUP_FAILURES_MAX: u32 = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AutoTopupStatus {
    Active,
    /// Three failures in a row: no more top-ups until it is set again.
    Suspended,
    /// Removed (kept as a row, so its month's count survives a remove and set again).
    Disabled,
}

impl AutoTopupStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AutoTopupStatus::Active => "active",
            AutoTopupStatus::Suspended => "suspended",
            AutoTopupStatus::Disabled => "disabled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "active" => AutoTopupStatus::Active,
            "suspended" => AutoTopupStatus::Suspended,
            "disabled" => AutoTopupStatus::Disabled,
            _ => return None,
        })
    }
}

/// What an operator sets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AutoTopupSpec {
    /// The pack bought, as the catalog sells it now.
    pub pack: Pack,
    pub threshold: Millicredits,
    /// Top-up purchases per calendar month (UTC).
    pub monthly_max: u32,
    pub cooldown_seconds: i64,
    /// Completed at once (the customer is invoiced) rather than pending until paid.
    pub complete: bool,
    /// How long a pending top-up purchase waits for its payment.
    pub purchase_expires_after_seconds: i64,
    /// The catalog's checkout URL template.
    pub checkout_url: Option<String>,
}

/// An account's auto top-up: its settings and where it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AutoTopup {
    pub account_id: String,
    pub spec: AutoTopupSpec,
    pub status: AutoTopupStatus,
    /// The start of the calendar month `used_this_month` counts.
    pub month_start: Timestamp,
    pub used_this_month: u32,
    pub last_attempt_at: Option<Timestamp>,
    pub consecutive_failures: u32,
    /// The top-up purchase waiting for its payment, if one is.
    pub pending_purchase_id: Option<String>,
    pub updated_at: Timestamp,
}

/// The first instant of `at`'s calendar month in UTC.
pub fn month_start(at: Timestamp) -> Timestamp {
    let utc = jiff::tz::TimeZone::UTC;
    let instant = jiff::Timestamp::from_microsecond(at.as_micros())
        .expect("ledger: a timestamp is in jiff's range");
    let first = instant
        .to_zoned_datetime(utc.clone())
        .datetime()
        .date()
        .first_of_month()
        .to_datetime(jiff::civil::Time::midnight())
        .to_zoned_datetime(utc)
        .expect("ledger: the first of a month is an instant");
    Timestamp::from_micros(first.timestamp().as_microsecond())
}

impl AccountState {
    pub fn auto_topup(&self) -> Option<&AutoTopup> {
        self.auto_topup.as_deref()
    }

    /// Sets (or replaces) the auto top-up: active again, its failures forgotten; what this
    /// month already used still counts.
    pub fn set_auto_topup(
        &mut self,
        spec: AutoTopupSpec,
        at: Timestamp,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) -> AutoTopup {
        self.run_due(at, ids, effects);
        let month = month_start(at);
        let kept = self.auto_topup.as_deref();
        let (used_this_month, last_attempt_at, pending_purchase_id) = match kept {
            Some(old) if old.month_start == month => (
                old.used_this_month,
                old.last_attempt_at,
                old.pending_purchase_id.clone(),
            ),
            Some(old) => (0, old.last_attempt_at, old.pending_purchase_id.clone()),
            None => (0, None, None),
        };
        let topup = AutoTopup {
            account_id: self.account.id.clone(),
            spec,
            status: AutoTopupStatus::Active,
            month_start: month,
            used_this_month,
            last_attempt_at,
            consecutive_failures: 0,
            pending_purchase_id,
            updated_at: at,
        };
        self.auto_topup = Some(Box::new(topup.clone()));
        effects.auto_topups.push(topup.clone());
        topup
    }

    /// Removes the auto top-up; `None` when there was none.
    pub fn remove_auto_topup(&mut self, at: Timestamp, effects: &mut Effects) -> Option<AutoTopup> {
        let mut topup = *self.auto_topup.take()?;
        topup.status = AutoTopupStatus::Disabled;
        topup.updated_at = at;
        effects.auto_topups.push(topup.clone());
        Some(topup)
    }

    /// Puts back the auto top-up a store persisted (a disabled one is not kept).
    pub fn restore_auto_topup(&mut self, topup: AutoTopup) {
        self.auto_topup = (topup.status != AutoTopupStatus::Disabled).then(|| Box::new(topup));
    }

    /// After a debit: opens the top-up purchase if `available` is below the threshold and
    /// every guard rail allows it. Never refuses anything.
    pub(super) fn top_up_if_low(
        &mut self,
        at: Timestamp,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) {
        let Some(topup) = self.auto_topup.as_deref() else {
            return;
        };
        if topup.status != AutoTopupStatus::Active || self.available() >= topup.spec.threshold {
            return;
        }
        let pending = topup
            .pending_purchase_id
            .as_deref()
            .is_some_and(|id| self.pending_purchase(id).is_some());
        let cooling = topup
            .last_attempt_at
            .is_some_and(|last| at < last.plus_seconds(topup.spec.cooldown_seconds));
        let month = month_start(at);
        let used = if topup.month_start == month {
            topup.used_this_month
        } else {
            0
        };
        if pending || cooling || used >= topup.spec.monthly_max {
            return;
        }
        let spec = topup.spec.clone();
        let buyer = Buyer::AutoTopup;
        let ttl = spec.purchase_expires_after_seconds;
        let bought = if spec.complete {
            self.paid(&spec.pack, at, ttl, None, buyer, ids, effects)
                .map(|(purchase, _)| purchase)
        } else {
            let checkout_url = spec.checkout_url.as_deref();
            self.open(&spec.pack, at, ttl, checkout_url, buyer, ids, effects)
        };
        let Ok(purchase) = bought else {
            return;
        };
        let topup = self
            .auto_topup
            .as_deref_mut()
            .expect("ledger: the top-up checked above");
        topup.month_start = month;
        topup.used_this_month = used + 1;
        topup.last_attempt_at = Some(at);
        topup.pending_purchase_id =
            (purchase.status == PurchaseStatus::Pending).then(|| purchase.id.clone());
        topup.updated_at = at;
        let threshold = topup.spec.threshold;
        effects.auto_topups.push(topup.clone());
        let kind = EventKind::TopupRequested {
            purchase: Box::new(purchase),
            threshold,
        };
        self.emit(kind, at, ids, effects);
    }

    /// After a top-up purchase ended: a completion clears the failures; a failure or an
    /// expiry counts one, and the third in a row suspends the top-up.
    pub(super) fn topup_purchase_ended(
        &mut self,
        purchase: &Purchase,
        at: Timestamp,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) {
        if !purchase.topup {
            return;
        }
        let Some(topup) = self.auto_topup.as_deref_mut() else {
            return;
        };
        let was_active = topup.status == AutoTopupStatus::Active;
        if topup.pending_purchase_id.as_deref() == Some(purchase.id.as_str()) {
            topup.pending_purchase_id = None;
        }
        match purchase.status {
            PurchaseStatus::Completed => topup.consecutive_failures = 0,
            PurchaseStatus::Failed | PurchaseStatus::Expired => {
                topup.consecutive_failures += 1;
                if topup.consecutive_failures >= TOPUP_FAILURES_MAX
                    && topup.status == AutoTopupStatus::Active
                {
                    topup.status = AutoTopupStatus::Suspended;
                }
            }
            PurchaseStatus::Canceled | PurchaseStatus::Pending => {}
        }
        let suspended_now = topup.status == AutoTopupStatus::Suspended && was_active;
        if let Some(at) = purchase.resolved_at {
            topup.updated_at = at;
        }
        let topup = topup.clone();
        effects.auto_topups.push(topup.clone());
        if suspended_now {
            let kind = EventKind::TopupSuspended {
                topup: Box::new(topup),
            };
            self.emit(kind, at, ids, effects);
        }
    }
}
