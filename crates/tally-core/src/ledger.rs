//! The ledger state machine of one account: grants, holds, charges, and the entries they write.
//!
//! Every change of a balance goes through [`AccountState::post`], which applies an [`Entry`]'s
//! postings to the grant lines and keeps `posted` and `held` equal to what the entries add up
//! to. Operations validate everything first and mutate after, so a rejected command changes
//! nothing. Time and new ids are passed in; there is no I/O here.

use std::collections::HashMap;

use crate::amount::Millicredits;
use crate::time::Timestamp;
use events::{Alerts, Event, EventKind};

pub mod events;
mod limits;
mod purchase;
mod reset;
mod subscription;
mod topup;

pub use limits::{
    AccountPatch, LIMIT_TEXT_BYTES_MAX, LIMITS_MAX, Limit, LimitBook, LimitCounter, LimitProblem,
    LimitScope, LimitSet, LimitSpec, LimitStatus, LimitUse, LimitWindow, MATCH_EACH,
    check_limit_specs, limit_statuses, time_zone,
};
pub use purchase::{Purchase, PurchaseEnd, PurchaseStatus};
pub use reset::NextReset;
pub use subscription::{SEATS_MAX, Subscription, SubscriptionStatus};
pub use topup::{AutoTopup, AutoTopupSpec, AutoTopupStatus, TOPUP_FAILURES_MAX, month_start};

/// Where a grant's credits came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GrantSource {
    Promo,
    Adjustment,
    Plan,
    Pack,
}

impl GrantSource {
    pub fn as_str(self) -> &'static str {
        match self {
            GrantSource::Promo => "promo",
            GrantSource::Adjustment => "adjustment",
            GrantSource::Plan => "plan",
            GrantSource::Pack => "pack",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "promo" => GrantSource::Promo,
            "adjustment" => GrantSource::Adjustment,
            "plan" => GrantSource::Plan,
            "pack" => GrantSource::Pack,
            _ => return None,
        })
    }
}

/// Where a grant is in its life. `depleted` is not a stage of its own: it is an active grant
/// with nothing remaining (see [`Grant::status`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GrantLifecycle {
    /// Not yet effective: not part of the balance.
    Pending,
    Active,
    /// Its unreserved remainder expired; what holds still reserve lives on until they resolve.
    Expired,
    /// Voided by an operator; what holds still reserve lives on until they resolve.
    Voided,
}

impl GrantLifecycle {
    pub fn as_str(self) -> &'static str {
        match self {
            GrantLifecycle::Pending => "pending",
            GrantLifecycle::Active => "active",
            GrantLifecycle::Expired => "expired",
            GrantLifecycle::Voided => "voided",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "pending" => GrantLifecycle::Pending,
            "active" => GrantLifecycle::Active,
            "expired" => GrantLifecycle::Expired,
            "voided" => GrantLifecycle::Voided,
            _ => return None,
        })
    }
}

/// A grant's status as the API shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GrantStatus {
    Pending,
    Active,
    Depleted,
    Expired,
    Voided,
}

impl GrantStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            GrantStatus::Pending => "pending",
            GrantStatus::Active => "active",
            GrantStatus::Depleted => "depleted",
            GrantStatus::Expired => "expired",
            GrantStatus::Voided => "voided",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "pending" => GrantStatus::Pending,
            "active" => GrantStatus::Active,
            "depleted" => GrantStatus::Depleted,
            "expired" => GrantStatus::Expired,
            "voided" => GrantStatus::Voided,
            _ => return None,
        })
    }
}

/// A block of credits on an account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub id: String,
    pub account_id: String,
    pub amount: Millicredits,
    /// Not yet spent, expired or voided.
    pub remaining: Millicredits,
    /// The part of `remaining` that pending holds have claimed.
    pub reserved: Millicredits,
    pub source: GrantSource,
    /// Lower is spent first.
    pub priority: i64,
    pub effective_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub lifecycle: GrantLifecycle,
    /// Creation order, the last tie-breaker of the spending order.
    pub ordinal: i64,
    pub created_at: Timestamp,
    pub description: Option<String>,
    /// Client metadata, as JSON text.
    pub metadata: Option<String>,
    /// Whether its `grant.expiring` event was written.
    pub expiry_warned: bool,
}

impl Grant {
    /// When its `grant.expiring` event is due: 3 days before it expires (or when it became
    /// effective, if later), while it is active with credits left and not yet warned of.
    pub fn expiry_warning_due(&self) -> Option<Timestamp> {
        let expires_at = self.expires_at?;
        let due = (self.lifecycle == GrantLifecycle::Active
            && !self.expiry_warned
            && self.remaining.is_positive())
        .then(|| {
            Timestamp::from_micros(
                expires_at
                    .as_micros()
                    .saturating_sub(events::EXPIRY_WARNING_MICROS),
            )
        })?;
        Some(due.max(self.effective_at))
    }

    pub fn status(&self) -> GrantStatus {
        match self.lifecycle {
            GrantLifecycle::Pending => GrantStatus::Pending,
            GrantLifecycle::Expired => GrantStatus::Expired,
            GrantLifecycle::Voided => GrantStatus::Voided,
            GrantLifecycle::Active if self.remaining == Millicredits::ZERO => GrantStatus::Depleted,
            GrantLifecycle::Active => GrantStatus::Active,
        }
    }

    /// What a new debit may take from this grant.
    pub fn spendable(&self) -> Millicredits {
        if self.lifecycle == GrantLifecycle::Active {
            Millicredits::new(self.remaining.get() - self.reserved.get())
        } else {
            Millicredits::ZERO
        }
    }

    /// The spending order of API.md: lowest priority, then soonest expiry (never last), then
    /// oldest.
    pub fn spend_key(&self) -> (i64, Timestamp, i64) {
        (
            self.priority,
            self.expires_at.unwrap_or(Timestamp::MAX),
            self.ordinal,
        )
    }

    /// Whether nothing more can happen to this grant, so it need not stay in memory.
    fn is_finished(&self) -> bool {
        match self.lifecycle {
            GrantLifecycle::Pending => false,
            GrantLifecycle::Active => self.remaining == Millicredits::ZERO,
            GrantLifecycle::Expired | GrantLifecycle::Voided => self.reserved == Millicredits::ZERO,
        }
    }
}

/// A balance line an entry posts to: a grant, or the account's overdraft line (whose
/// `remaining` is minus the debt, and whose `reserved` is what holds reserved beyond the grants).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Line {
    Grant(String),
    Overdraft,
}

impl Line {
    pub fn grant_id(&self) -> Option<&str> {
        match self {
            Line::Grant(id) => Some(id),
            Line::Overdraft => None,
        }
    }
}

/// What a hold still reserves on one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reservation {
    pub line: Line,
    pub amount: Millicredits,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HoldStatus {
    Pending,
    Captured,
    Voided,
    Expired,
}

impl HoldStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            HoldStatus::Pending => "pending",
            HoldStatus::Captured => "captured",
            HoldStatus::Voided => "voided",
            HoldStatus::Expired => "expired",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "pending" => HoldStatus::Pending,
            "captured" => HoldStatus::Captured,
            "voided" => HoldStatus::Voided,
            "expired" => HoldStatus::Expired,
            _ => return None,
        })
    }
}

/// Who an action is attributed to, and what priced it. Carried onto every entry it causes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attribution {
    pub product: Option<String>,
    pub member: Option<String>,
    pub model: Option<String>,
    pub action: Option<String>,
    pub rate_card_version: Option<i64>,
    pub quote_id: Option<String>,
    /// The account key that made the debit (`None` for an admin's): what `key` limits count.
    /// Kept with holds and charges, not with entries.
    pub key_id: Option<String>,
}

impl Attribution {
    /// What an entry keeps of it: all but the key (which only holds and charges keep).
    pub fn for_entry(&self) -> Attribution {
        Attribution {
            key_id: None,
            ..self.clone()
        }
    }
}

/// A reservation of credits, captured or voided later.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hold {
    pub id: String,
    pub account_id: String,
    pub status: HoldStatus,
    pub amount: Millicredits,
    pub captured: Millicredits,
    pub released: Millicredits,
    pub expires_at: Timestamp,
    pub created_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
    pub attribution: Attribution,
    pub description: Option<String>,
    pub metadata: Option<String>,
    /// What the hold still reserves, in spending order (empty once resolved).
    pub reservations: Vec<Reservation>,
    /// Opaque data the shell keeps with the hold (the usage and pricing that made it).
    pub extra: Option<String>,
    /// What its captures took from each line, in the order they took it, less what refunds
    /// gave back (from the end: a refund gives back the last taken first).
    pub captured_from: Vec<Reservation>,
    /// When it was last captured (its refunds net usage on that day).
    pub captured_at: Option<Timestamp>,
    /// What refunds gave back of what it captured.
    pub refunded: Millicredits,
}

impl Hold {
    /// What the hold still reserves: its amount less what it captured so far.
    pub fn uncaptured(&self) -> Millicredits {
        Millicredits::new(self.amount.get() - self.captured.get())
    }
}

/// Appends what capture postings took from each line to a hold's record of its draws.
fn record_draws(draws: &mut Vec<Reservation>, postings: &[Posting]) {
    for posting in postings {
        let take = -posting.remaining_delta.get();
        match draws.last_mut() {
            Some(last) if last.line == posting.line => {
                last.amount = Millicredits::new(last.amount.get() + take);
            }
            _ => draws.push(Reservation {
                line: posting.line.clone(),
                amount: Millicredits::new(take),
            }),
        }
    }
}

/// A one-step debit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Charge {
    pub id: String,
    pub account_id: String,
    pub amount: Millicredits,
    /// What each grant gave, in spending order.
    pub drawn: Vec<(String, Millicredits)>,
    /// The part beyond the grants, taken from the overdraft.
    pub overdraft: Millicredits,
    pub available_after: Millicredits,
    pub attribution: Attribution,
    pub description: Option<String>,
    pub metadata: Option<String>,
    pub created_at: Timestamp,
    /// Opaque data the shell keeps with the charge (the usage and lines that priced it).
    pub extra: Option<String>,
    /// What refunds gave back of it.
    pub refunded: Millicredits,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntryKind {
    Grant,
    Charge,
    Hold,
    Capture,
    Release,
    Expire,
    Void,
    Adjustment,
    /// Credits a refund gave back (to the grants they came from, or the debt).
    Refund,
}

impl EntryKind {
    /// Every kind, in the order the docs list them.
    pub const ALL: [EntryKind; 9] = [
        EntryKind::Grant,
        EntryKind::Charge,
        EntryKind::Hold,
        EntryKind::Capture,
        EntryKind::Release,
        EntryKind::Expire,
        EntryKind::Void,
        EntryKind::Adjustment,
        EntryKind::Refund,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Grant => "grant",
            EntryKind::Charge => "charge",
            EntryKind::Hold => "hold",
            EntryKind::Capture => "capture",
            EntryKind::Release => "release",
            EntryKind::Expire => "expire",
            EntryKind::Void => "void",
            EntryKind::Adjustment => "adjustment",
            EntryKind::Refund => "refund",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// What one entry did to one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Posting {
    pub line: Line,
    pub remaining_delta: Millicredits,
    pub reserved_delta: Millicredits,
}

/// One change of a balance. `amount` is what it did to `posted`, `held` what it did to `held`;
/// the postings say which lines moved. Entries are append-only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub id: String,
    pub account_id: String,
    pub kind: EntryKind,
    pub amount: Millicredits,
    pub held: Millicredits,
    pub grant_id: Option<String>,
    pub hold_id: Option<String>,
    pub charge_id: Option<String>,
    pub attribution: Attribution,
    pub description: Option<String>,
    pub created_at: Timestamp,
    pub postings: Vec<Posting>,
}

/// An account's own fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub name: Option<String>,
    pub overdraft_limit: Millicredits,
    /// Client metadata, as JSON text.
    pub metadata: Option<String>,
    pub created_at: Timestamp,
    pub settings: AccountSettings,
}

/// What an admin sets on an account besides its name, overdraft and metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountSettings {
    /// The IANA time zone days and months are counted in (`UTC` unless set).
    pub time_zone: String,
    /// Below this `available` fires `balance.low` (`None`: 10 % of the current period's plan
    /// allowance, or never without a plan).
    pub low_balance_threshold: Option<Millicredits>,
}

impl Default for AccountSettings {
    fn default() -> Self {
        AccountSettings {
            time_zone: "UTC".to_string(),
            low_balance_threshold: None,
        }
    }
}

/// The last snapshot of the batch's `snapshots` that `is_it` picks.
pub(crate) fn written<T>(snapshots: &[T], is_it: impl Fn(&T) -> bool) -> Option<&T> {
    snapshots.iter().rev().find(|snapshot| is_it(snapshot))
}

/// The kinds of id the core asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdKind {
    Grant,
    Hold,
    Charge,
    Entry,
    Purchase,
    Refund,
    Event,
    Limit,
}

impl IdKind {
    pub fn prefix(self) -> &'static str {
        match self {
            IdKind::Grant => "grant_",
            IdKind::Hold => "hold_",
            IdKind::Charge => "chg_",
            IdKind::Entry => "ent_",
            IdKind::Purchase => "pur_",
            IdKind::Refund => "ref_",
            IdKind::Event => "evt_",
            IdKind::Limit => "lim_",
        }
    }
}

/// Where new ids and creation ordinals come from (the shell passes randomness in).
pub trait IdSource {
    fn new_id(&mut self, kind: IdKind) -> String;
    /// A number larger than every one given before (orders grants created at the same instant).
    fn next_ordinal(&mut self) -> i64;
}

/// Why a command was refused. Ordered by how they are checked; each says whether retrying the
/// same command later could succeed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("ledger: the amount must be positive")]
    AmountNotPositive,
    #[error("ledger: the expiry must be after the effective time and in the future")]
    GrantWindowInvalid,
    #[error("ledger: no such account")]
    AccountNotFound,
    #[error("ledger: the account exists already")]
    AccountExists,
    #[error("ledger: no such grant")]
    GrantNotFound,
    #[error("ledger: no such hold")]
    HoldNotFound,
    #[error("ledger: the hold is {} , not pending", status.as_str())]
    HoldNotPending { status: HoldStatus },
    #[error("ledger: capture of {requested} exceeds the hold of {held}")]
    CaptureExceedsHold {
        held: Millicredits,
        requested: Millicredits,
    },
    #[error("ledger: {available} credits available, {required} required")]
    InsufficientCredits {
        available: Millicredits,
        required: Millicredits,
    },
    #[error("ledger: the account's balance would overflow")]
    Overflow,
    #[error("ledger: seats must be from 1 to 100000")]
    SeatsInvalid,
    #[error("ledger: the account has no subscription")]
    NoSubscription,
    #[error("ledger: no plan {plan_id:?} in the catalog")]
    PlanNotFound { plan_id: String },
    #[error("ledger: no pack {pack_id:?} in the catalog")]
    PackNotFound { pack_id: String },
    #[error("ledger: no such API key")]
    KeyNotFound,
    #[error("ledger: no such purchase")]
    PurchaseNotFound,
    #[error("ledger: the purchase is {}, not pending", status.as_str())]
    PurchaseNotPending { status: PurchaseStatus },
    #[error("ledger: a purchase must stay payable for a positive time")]
    PurchaseWindowInvalid,
    #[error("ledger: only {refundable} credits are left to refund")]
    RefundExceedsCharge { refundable: Millicredits },
    #[error("ledger: no such charge")]
    ChargeNotFound,
    #[error("ledger: the usage so far prices {priced}, below the {captured} captured already")]
    UsageBelowCaptured {
        captured: Millicredits,
        priced: Millicredits,
    },
    #[error("ledger: the account has no auto top-up")]
    AutoTopupNotFound,
    #[error("portal: no such link")]
    PortalLinkNotFound,
    #[error("portal: the link was used already")]
    PortalLinkUsed,
    #[error("portal: the link has expired")]
    PortalLinkExpired,
    #[error("portal: a link lives from 1 to 3600 seconds")]
    PortalTtlInvalid,
    #[error("limits: limit {} allows {remaining} more credits in its window", limit.id)]
    LimitExceeded {
        limit: Box<Limit>,
        /// The value it counted on (the member, product or key; `*` for the account).
        value: String,
        used: Millicredits,
        remaining: Millicredits,
        /// When its window ends (`None`: never).
        resets_at: Option<Timestamp>,
    },
    #[error("limits: limit {position} is invalid ({})", problem.field())]
    LimitInvalid {
        position: usize,
        problem: LimitProblem,
    },
    #[error(
        "ledger: the overdraft limit must be at least {overdraft_limit_min}, what the account owes"
    )]
    OverdraftBelowDebt { overdraft_limit_min: Millicredits },
    #[error("ledger: unknown time zone")]
    TimeZoneUnknown,
}

impl Rejection {
    /// The refusal's stable number: never reused, never renumbered, so logs and clients may
    /// keep it (the order is the order of the checks, as in the enum).
    pub fn number(&self) -> u16 {
        match self {
            Rejection::AmountNotPositive => 1,
            Rejection::GrantWindowInvalid => 2,
            Rejection::AccountNotFound => 3,
            Rejection::AccountExists => 4,
            Rejection::GrantNotFound => 5,
            Rejection::HoldNotFound => 6,
            Rejection::HoldNotPending { .. } => 7,
            Rejection::CaptureExceedsHold { .. } => 8,
            Rejection::InsufficientCredits { .. } => 9,
            Rejection::Overflow => 10,
            Rejection::SeatsInvalid => 11,
            Rejection::NoSubscription => 12,
            Rejection::PlanNotFound { .. } => 13,
            Rejection::PackNotFound { .. } => 14,
            Rejection::KeyNotFound => 15,
            Rejection::PurchaseNotFound => 16,
            Rejection::PurchaseNotPending { .. } => 17,
            Rejection::PurchaseWindowInvalid => 18,
            Rejection::RefundExceedsCharge { .. } => 19,
            Rejection::ChargeNotFound => 20,
            Rejection::UsageBelowCaptured { .. } => 21,
            Rejection::AutoTopupNotFound => 22,
            Rejection::PortalLinkNotFound => 23,
            Rejection::PortalLinkUsed => 24,
            Rejection::PortalLinkExpired => 25,
            Rejection::PortalTtlInvalid => 26,
            // 27 to 29 are another branch's.
            Rejection::LimitExceeded { .. } => 30,
            Rejection::LimitInvalid { .. } => 31,
            Rejection::OverdraftBelowDebt { .. } => 32,
            Rejection::TimeZoneUnknown => 33,
        }
    }

    /// Whether the same command could succeed later without being changed.
    pub fn retry_could_succeed(&self) -> bool {
        matches!(
            self,
            Rejection::AccountNotFound
                | Rejection::GrantNotFound
                | Rejection::HoldNotFound
                | Rejection::PurchaseNotFound
                | Rejection::ChargeNotFound
                | Rejection::InsufficientCredits { .. }
                | Rejection::Overflow
                | Rejection::LimitExceeded { .. }
        )
    }
}

/// What a batch of commands changed, for the store to write.
#[derive(Clone, Debug, Default)]
pub struct Effects {
    pub entries: Vec<Entry>,
    /// Grants as they are after the change (a grant may appear more than once; the last wins).
    pub grants: Vec<Grant>,
    /// Holds as they are after the change (the last wins).
    pub holds: Vec<Hold>,
    pub charges: Vec<Charge>,
    /// Subscriptions as they are after the change (the last wins).
    pub subscriptions: Vec<Subscription>,
    /// Purchases as they are after the change (the last wins).
    pub purchases: Vec<Purchase>,
    /// Auto top-ups as they are after the change (the last wins, per account).
    pub auto_topups: Vec<AutoTopup>,
    /// Refunds made.
    pub refunds: Vec<Refund>,
    /// The events the changes caused, in order.
    pub events: Vec<Event>,
    /// Accounts whose own fields changed, as they are after the change (the last wins).
    pub accounts: Vec<Account>,
    /// Limit sets as a `PUT` left them (the last wins, per account).
    pub limit_sets: Vec<LimitSet>,
    /// Limit counters as they are after the change (the last wins, per limit and value).
    pub limit_counters: Vec<LimitCounter>,
}

/// What a refund is of: a charge, or what a hold captured (as last written).
#[derive(Clone, Debug)]
pub enum RefundOf {
    Charge(Charge),
    Hold(Hold),
}

/// A refund of a charge, or of what a hold captured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refund {
    pub id: String,
    pub account_id: String,
    pub charge_id: Option<String>,
    pub hold_id: Option<String>,
    pub amount: Millicredits,
    /// What went back to each grant that is still active, in the order given back.
    pub restored: Vec<(String, Millicredits)>,
    /// What did not come back: drawn from grants that have ended since (an `expire` entry),
    /// or from the overdraft beyond the debt that still stands.
    pub expired: Millicredits,
    pub reason: Option<String>,
    pub created_at: Timestamp,
    /// Who and what the refunded spending was for (not stored with the refund).
    pub attribution: Attribution,
    /// When the refunded spending happened: usage is netted on its day (not stored).
    pub spent_at: Timestamp,
}

/// A grant to create.
#[derive(Clone, Debug)]
pub struct GrantSpec {
    pub amount: Millicredits,
    pub source: GrantSource,
    pub priority: i64,
    pub effective_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
    pub description: Option<String>,
    pub metadata: Option<String>,
}

/// What a capture takes from a hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaptureAmount {
    /// All that the hold still reserves.
    Rest,
    /// This much.
    Exactly(Millicredits),
    /// What brings the hold's captures up to this total (the price of the usage so far, when
    /// a usage is captured in parts): this less what was captured before.
    UpTo(Millicredits),
}

/// A debit to make: a charge at once, or a hold.
#[derive(Clone, Debug)]
pub struct DebitSpec {
    pub amount: Millicredits,
    pub attribution: Attribution,
    pub description: Option<String>,
    pub metadata: Option<String>,
    pub extra: Option<String>,
}

/// Due work, in the order it is done when several items fall due at the same instant.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum DueItem {
    ActivateGrant(String),
    ExpireHold(String),
    ExpireGrant(String),
    /// The end of the subscription's current period.
    RenewSubscription,
    ExpirePurchase(String),
    /// `grant.expiring`, 3 days before the grant's expiry.
    WarnGrantExpiry(String),
}

/// The whole mutable state of one account.
#[derive(Clone, Debug)]
pub struct AccountState {
    pub account: Account,
    /// Grants that can still change, in spending order.
    grants: Vec<Grant>,
    /// Minus the debt (never positive).
    overdraft_remaining: Millicredits,
    /// What pending holds reserve beyond the grants (never negative).
    overdraft_reserved: Millicredits,
    /// Pending holds by id.
    holds: HashMap<String, Hold>,
    posted: Millicredits,
    held: Millicredits,
    /// The account's plan subscription, if it ever had one (boxed: most accounts have none,
    /// and the engine keeps every account's state in memory).
    subscription: Option<Box<Subscription>>,
    /// Pending pack purchases, oldest first (ended ones are final: only the store keeps them).
    purchases: Vec<Purchase>,
    /// The auto top-up, when one is set (boxed: most accounts have none).
    auto_topup: Option<Box<AutoTopup>>,
    /// The spend limits, when any is set (boxed: most accounts have none, and a debit on
    /// such an account pays one test for them).
    limits: Option<Box<LimitBook>>,
    /// The earliest instant at which some due work falls due (MAX when none).
    next_due_at: Timestamp,
    /// The account's count of events so far.
    pub(crate) event_sequence: i64,
    /// Which balance alerts have fired (see [`AccountState::watch_balance`]).
    pub(crate) alerts: Alerts,
    /// `available` when the balance was last watched (not stored: a restored state starts
    /// from its `available`).
    pub(crate) watched_available: Millicredits,
}

/// The persisted scalar fields of an account's balance (the rest is in grants and holds), and
/// of its events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct AccountTotals {
    pub posted: Millicredits,
    pub held: Millicredits,
    pub overdraft_remaining: Millicredits,
    pub overdraft_reserved: Millicredits,
    /// The account's count of events so far.
    pub event_sequence: i64,
    pub alerts: Alerts,
}

impl AccountState {
    /// A new account with nothing on it.
    pub fn new(account: Account) -> Self {
        AccountState {
            account,
            grants: Vec::new(),
            overdraft_remaining: Millicredits::ZERO,
            overdraft_reserved: Millicredits::ZERO,
            holds: HashMap::new(),
            posted: Millicredits::ZERO,
            held: Millicredits::ZERO,
            subscription: None,
            purchases: Vec::new(),
            auto_topup: None,
            limits: None,
            next_due_at: Timestamp::MAX,
            event_sequence: 0,
            alerts: Alerts::default(),
            watched_available: Millicredits::ZERO,
        }
    }

    /// Rebuilds an account's state from what a store persisted: the totals, the grants that can
    /// still change, and the pending holds. Fails if they don't add up.
    pub fn restore(
        account: Account,
        totals: AccountTotals,
        grants: Vec<Grant>,
        holds: Vec<Hold>,
    ) -> Result<Self, String> {
        let mut state = AccountState {
            account,
            grants: grants
                .into_iter()
                .filter(|grant| !grant.is_finished())
                .collect(),
            overdraft_remaining: totals.overdraft_remaining,
            overdraft_reserved: totals.overdraft_reserved,
            holds: holds
                .into_iter()
                .map(|hold| (hold.id.clone(), hold))
                .collect(),
            posted: totals.posted,
            held: totals.held,
            subscription: None,
            purchases: Vec::new(),
            auto_topup: None,
            limits: None,
            next_due_at: Timestamp::MAX,
            event_sequence: totals.event_sequence,
            alerts: totals.alerts,
            watched_available: totals
                .posted
                .checked_sub(totals.held)
                .unwrap_or(Millicredits::ZERO),
        };
        state.grants.sort_by_key(Grant::spend_key);
        // The list reuses the given one's allocation: no more room than its grants.
        state.grants.shrink_to_fit();
        state.recompute_next_due();
        state.check()?;
        Ok(state)
    }

    pub fn totals(&self) -> AccountTotals {
        AccountTotals {
            posted: self.posted,
            held: self.held,
            overdraft_remaining: self.overdraft_remaining,
            overdraft_reserved: self.overdraft_reserved,
            event_sequence: self.event_sequence,
            alerts: self.alerts,
        }
    }

    pub fn posted(&self) -> Millicredits {
        self.posted
    }

    pub fn held(&self) -> Millicredits {
        self.held
    }

    pub fn available(&self) -> Millicredits {
        Millicredits::new(self.posted.get() - self.held.get())
    }

    /// The grants that can still change, in spending order.
    pub fn grants(&self) -> &[Grant] {
        &self.grants
    }

    pub fn pending_hold(&self, hold_id: &str) -> Option<&Hold> {
        self.holds.get(hold_id)
    }

    pub fn pending_holds(&self) -> impl Iterator<Item = &Hold> {
        self.holds.values()
    }

    pub fn grant(&self, grant_id: &str) -> Option<&Grant> {
        self.grants.iter().find(|grant| grant.id == grant_id)
    }

    /// The earliest instant at which due work falls due on this account.
    pub fn next_due_at(&self) -> Timestamp {
        self.next_due_at
    }

    /// Whether a debit of `required` fits: `available - required >= -overdraft_limit`.
    fn check_debit(&self, required: Millicredits) -> Result<(), Rejection> {
        let available = self.available();
        let after = available
            .get()
            .checked_sub(required.get())
            .ok_or(Rejection::Overflow)?;
        if after < -self.account.overdraft_limit.get() {
            return Err(Rejection::InsufficientCredits {
                available,
                required,
            });
        }
        Ok(())
    }

    /// Splits a debit across the spendable grants in spending order; the rest is overdraft.
    fn allocate(&self, amount: Millicredits) -> (Vec<(usize, Millicredits)>, Millicredits) {
        let mut left = amount.get();
        let mut takes = Vec::new();
        for (index, grant) in self.grants.iter().enumerate() {
            if left == 0 {
                break;
            }
            let spendable = grant.spendable().get();
            if spendable > 0 {
                let take = spendable.min(left);
                takes.push((index, Millicredits::new(take)));
                left -= take;
            }
        }
        (takes, Millicredits::new(left))
    }

    /// Applies an entry's postings to the lines and the totals, and records it.
    fn post(&mut self, entry: Entry, effects: &mut Effects) {
        let mut amount = 0i64;
        let mut held = 0i64;
        for posting in &entry.postings {
            amount += posting.remaining_delta.get();
            held += posting.reserved_delta.get();
            match &posting.line {
                Line::Grant(grant_id) => {
                    let grant = self
                        .grants
                        .iter_mut()
                        .find(|grant| &grant.id == grant_id)
                        .expect("ledger: a posting names a grant the account holds");
                    grant.remaining =
                        Millicredits::new(grant.remaining.get() + posting.remaining_delta.get());
                    grant.reserved =
                        Millicredits::new(grant.reserved.get() + posting.reserved_delta.get());
                    assert!(
                        grant.reserved.get() >= 0
                            && grant.reserved <= grant.remaining
                            && grant.remaining <= grant.amount,
                        "ledger: grant {} out of bounds after {:?}",
                        grant.id,
                        entry.kind
                    );
                }
                Line::Overdraft => {
                    self.overdraft_remaining = Millicredits::new(
                        self.overdraft_remaining.get() + posting.remaining_delta.get(),
                    );
                    self.overdraft_reserved = Millicredits::new(
                        self.overdraft_reserved.get() + posting.reserved_delta.get(),
                    );
                    assert!(
                        self.overdraft_remaining.get() <= 0 && self.overdraft_reserved.get() >= 0,
                        "ledger: overdraft line out of bounds"
                    );
                }
            }
        }
        assert_eq!(
            amount,
            entry.amount.get(),
            "ledger: an entry's amount is its postings' sum"
        );
        assert_eq!(
            held,
            entry.held.get(),
            "ledger: an entry's held is its postings' sum"
        );
        self.posted = self
            .posted
            .checked_add(entry.amount)
            .expect("ledger: posted overflow");
        self.held = self
            .held
            .checked_add(entry.held)
            .expect("ledger: held overflow");
        effects.entries.push(entry);
    }

    fn new_entry(
        &self,
        ids: &mut dyn IdSource,
        kind: EntryKind,
        at: Timestamp,
        postings: Vec<Posting>,
    ) -> Entry {
        let amount = postings
            .iter()
            .map(|posting| posting.remaining_delta.get())
            .sum();
        let held = postings
            .iter()
            .map(|posting| posting.reserved_delta.get())
            .sum();
        let single_grant = match postings.as_slice() {
            [only] => only.line.grant_id().map(str::to_string),
            _ => None,
        };
        Entry {
            id: ids.new_id(IdKind::Entry),
            account_id: self.account.id.clone(),
            kind,
            amount: Millicredits::new(amount),
            held: Millicredits::new(held),
            grant_id: single_grant,
            hold_id: None,
            charge_id: None,
            attribution: Attribution::default(),
            description: None,
            created_at: at,
            postings,
        }
    }

    /// Records the grant snapshots the store must write and forgets finished grants.
    fn settle_grants(&mut self, touched: &[String], effects: &mut Effects) {
        for (index, grant_id) in touched.iter().enumerate() {
            if touched[..index].contains(grant_id) {
                continue;
            }
            if let Some(grant) = self.grants.iter().find(|grant| &grant.id == grant_id) {
                effects.grants.push(grant.clone());
            }
        }
        self.grants.retain(|grant| !grant.is_finished());
    }

    fn recompute_next_due(&mut self) {
        let mut next = Timestamp::MAX;
        for grant in &self.grants {
            match grant.lifecycle {
                GrantLifecycle::Pending => next = next.min(grant.effective_at),
                GrantLifecycle::Active => {
                    if let Some(expires_at) = grant.expires_at {
                        next = next.min(expires_at);
                    }
                    if let Some(warn_at) = grant.expiry_warning_due() {
                        next = next.min(warn_at);
                    }
                }
                GrantLifecycle::Expired | GrantLifecycle::Voided => {}
            }
        }
        for hold in self.holds.values() {
            next = next.min(hold.expires_at);
        }
        for purchase in &self.purchases {
            next = next.min(purchase.expires_at);
        }
        if let Some(subscription) = &self.subscription
            && subscription.status != SubscriptionStatus::Canceled
        {
            next = next.min(subscription.current_period_end);
        }
        self.next_due_at = next;
    }

    /// The earliest piece of due work at or before `at`, if any.
    fn next_due_item(&self, at: Timestamp) -> Option<(Timestamp, DueItem)> {
        let mut due: Option<(Timestamp, DueItem)> = None;
        let mut consider = |candidate: (Timestamp, DueItem)| {
            if candidate.0 <= at && due.as_ref().is_none_or(|current| candidate < *current) {
                due = Some(candidate);
            }
        };
        for grant in &self.grants {
            match grant.lifecycle {
                GrantLifecycle::Pending => {
                    consider((grant.effective_at, DueItem::ActivateGrant(grant.id.clone())));
                }
                GrantLifecycle::Active => {
                    if let Some(expires_at) = grant.expires_at {
                        consider((expires_at, DueItem::ExpireGrant(grant.id.clone())));
                    }
                    if let Some(warn_at) = grant.expiry_warning_due() {
                        consider((warn_at, DueItem::WarnGrantExpiry(grant.id.clone())));
                    }
                }
                GrantLifecycle::Expired | GrantLifecycle::Voided => {}
            }
        }
        for hold in self.holds.values() {
            consider((hold.expires_at, DueItem::ExpireHold(hold.id.clone())));
        }
        for purchase in &self.purchases {
            consider((
                purchase.expires_at,
                DueItem::ExpirePurchase(purchase.id.clone()),
            ));
        }
        if let Some(subscription) = &self.subscription
            && subscription.status != SubscriptionStatus::Canceled
        {
            consider((subscription.current_period_end, DueItem::RenewSubscription));
        }
        due
    }

    /// Does all the work due at or before `at` (grant activation, hold expiry, grant expiry),
    /// each at its own due instant, in order. Every operation calls this first, so no command
    /// ever sees a grant or hold past its time.
    pub fn run_due(&mut self, at: Timestamp, ids: &mut dyn IdSource, effects: &mut Effects) {
        if at < self.next_due_at {
            return;
        }
        // One item at a time, earliest first: an item can create more due work (a renewal
        // issues a grant that expires at the next period's end).
        while let Some((due_at, item)) = self.next_due_item(at) {
            match item {
                DueItem::ActivateGrant(grant_id) => {
                    self.activate_grant(&grant_id, due_at, ids, effects);
                }
                DueItem::ExpireHold(hold_id) => {
                    self.resolve_hold(&hold_id, HoldStatus::Expired, None, due_at, ids, effects);
                    let hold = written(&effects.holds, |hold| hold.id == hold_id)
                        .expect("ledger: the expired hold was written")
                        .clone();
                    let kind = EventKind::HoldExpired {
                        hold: Box::new(hold),
                    };
                    self.emit(kind, due_at, ids, effects);
                }
                DueItem::WarnGrantExpiry(grant_id) => {
                    self.warn_grant_expiry(&grant_id, due_at, ids, effects);
                }
                DueItem::ExpireGrant(grant_id) => {
                    self.expire_grant(&grant_id, due_at, ids, effects);
                }
                DueItem::RenewSubscription => self.renew_subscription(due_at, at, ids, effects),
                DueItem::ExpirePurchase(purchase_id) => {
                    self.expire_purchase(&purchase_id, due_at, ids, effects);
                }
            }
        }
        self.recompute_next_due();
        debug_assert_eq!(self.check(), Ok(()));
    }

    /// Issues a grant. An active grant first repays any overdraft debt (an `adjustment` entry).
    pub fn create_grant(
        &mut self,
        spec: GrantSpec,
        at: Timestamp,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) -> Result<Grant, Rejection> {
        self.run_due(at, ids, effects);
        self.issue_grant(spec, at, ids, effects)
    }

    /// [`AccountState::create_grant`] without the due work first (for due work itself).
    fn issue_grant(
        &mut self,
        spec: GrantSpec,
        at: Timestamp,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) -> Result<Grant, Rejection> {
        if !spec.amount.is_positive() {
            return Err(Rejection::AmountNotPositive);
        }
        let effective_at = spec.effective_at.unwrap_or(at).max(at);
        if let Some(expires_at) = spec.expires_at
            && expires_at <= effective_at
        {
            return Err(Rejection::GrantWindowInvalid);
        }
        let total: i64 = self.grants.iter().map(|grant| grant.amount.get()).sum();
        if self.posted.checked_add(spec.amount).is_none()
            || total.checked_add(spec.amount.get()).is_none()
        {
            return Err(Rejection::Overflow);
        }
        let grant = Grant {
            id: ids.new_id(IdKind::Grant),
            account_id: self.account.id.clone(),
            amount: spec.amount,
            remaining: Millicredits::ZERO,
            reserved: Millicredits::ZERO,
            source: spec.source,
            priority: spec.priority,
            effective_at,
            expires_at: spec.expires_at,
            lifecycle: GrantLifecycle::Pending,
            ordinal: ids.next_ordinal(),
            created_at: at,
            description: spec.description,
            metadata: spec.metadata,
            expiry_warned: false,
        };
        let grant_id = grant.id.clone();
        let position = self
            .grants
            .partition_point(|other| other.spend_key() <= grant.spend_key());
        // Exactly one more: an account holds a few grants, and the engine keeps every
        // account in memory (a doubling Vec held room for four, 700 bytes, per account).
        self.grants.reserve_exact(1);
        self.grants.insert(position, grant);
        if effective_at <= at {
            self.activate_grant(&grant_id, at, ids, effects);
        } else {
            // A pending grant is written as it is; its entry comes when it becomes effective.
            // Its `remaining` is zero until then, so the balance never counts it early.
            self.settle_grants(std::slice::from_ref(&grant_id), effects);
        }
        self.recompute_next_due();
        debug_assert_eq!(self.check(), Ok(()));
        let grant = written(&effects.grants, |grant| grant.id == grant_id)
            .expect("ledger: the new grant was written")
            .clone();
        let created = EventKind::GrantCreated {
            grant: Box::new(grant.clone()),
        };
        self.emit(created, at, ids, effects);
        // A grant that expires within 3 days is warned of at once, with its creation (not at
        // the next due work, which a command on another account might come before).
        if grant
            .expiry_warning_due()
            .is_some_and(|warn_at| warn_at <= at)
        {
            self.warn_grant_expiry(&grant.id, at, ids, effects);
            self.recompute_next_due();
        }
        Ok(grant)
    }

    /// A pending grant becomes effective: its credits are posted (a grant entry), then repay
    /// any debt first (by the invariant, it is the only grant spendable while a debt stands).
    fn activate_grant(
        &mut self,
        grant_id: &str,
        at: Timestamp,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) {
        let grant = self.grants.iter_mut().find(|grant| grant.id == grant_id);
        let grant = grant.expect("ledger: activating a grant the account holds");
        debug_assert_eq!(grant.lifecycle, GrantLifecycle::Pending);
        grant.lifecycle = GrantLifecycle::Active;
        let amount = grant.amount;
        let mut entry = self.new_entry(
            ids,
            EntryKind::Grant,
            at,
            vec![Posting {
                line: Line::Grant(grant_id.to_string()),
                remaining_delta: amount,
                reserved_delta: Millicredits::ZERO,
            }],
        );
        entry.description = self
            .grant(grant_id)
            .and_then(|grant| grant.description.clone());
        self.post(entry, effects);
        let mut touched = vec![grant_id.to_string()];
        touched.extend(self.repay_debt(at, ids, effects));
        self.settle_grants(&touched, effects);
    }

    /// Repays as much of the debt as the spendable grants allow, drawn in spending order, in
    /// one `adjustment` entry. DESIGN.md: credits that become spendable while the account owes
    /// repay the debt first, so every operation that can make credits spendable (a grant
    /// becoming active, a hold releasing credits on an active grant, a capture turning an
    /// overdraft reservation into debt) ends with this. It never moves `posted` or `held`.
    /// Returns the grants drawn, for the caller to settle.
    fn repay_debt(
        &mut self,
        at: Timestamp,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) -> Vec<String> {
        let debt = -self.overdraft_remaining.get();
        if debt <= 0 {
            return Vec::new();
        }
        let (takes, _) = self.allocate(Millicredits::new(debt));
        if takes.is_empty() {
            return Vec::new();
        }
        let drawn: Vec<String> = takes
            .iter()
            .map(|(index, _)| self.grants[*index].id.clone())
            .collect();
        let repaid = Millicredits::new(takes.iter().map(|(_, take)| take.get()).sum());
        let mut postings: Vec<Posting> = drawn
            .iter()
            .zip(&takes)
            .map(|(grant_id, (_, take))| Posting {
                line: Line::Grant(grant_id.clone()),
                remaining_delta: Millicredits::new(-take.get()),
                reserved_delta: Millicredits::ZERO,
            })
            .collect();
        postings.push(Posting {
            line: Line::Overdraft,
            remaining_delta: repaid,
            reserved_delta: Millicredits::ZERO,
        });
        let mut entry = self.new_entry(ids, EntryKind::Adjustment, at, postings);
        if let [only] = drawn.as_slice() {
            entry.grant_id = Some(only.clone());
        }
        entry.description = Some(format!("overdraft of {repaid} credits repaid"));
        self.post(entry, effects);
        drawn
    }

    /// Writes the grant's `grant.expiring` (due work, once).
    fn warn_grant_expiry(
        &mut self,
        grant_id: &str,
        at: Timestamp,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) {
        let Some(grant) = self.grants.iter_mut().find(|grant| grant.id == grant_id) else {
            return;
        };
        grant.expiry_warned = true;
        let grant = grant.clone();
        effects.grants.push(grant.clone());
        let kind = EventKind::GrantExpiring {
            grant: Box::new(grant),
        };
        self.emit(kind, at, ids, effects);
    }

    fn expire_grant(
        &mut self,
        grant_id: &str,
        at: Timestamp,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) {
        let expired = self
            .grant(grant_id)
            .filter(|grant| grant.lifecycle == GrantLifecycle::Active)
            .map_or(Millicredits::ZERO, Grant::spendable);
        self.end_grant(
            grant_id,
            GrantLifecycle::Expired,
            EntryKind::Expire,
            at,
            ids,
            effects,
        );
        let grant = written(&effects.grants, |grant| grant.id == grant_id)
            .expect("ledger: the ended grant was written")
            .clone();
        let kind = EventKind::GrantExpired {
            grant: Box::new(grant),
            expired,
        };
        self.emit(kind, at, ids, effects);
    }

    /// Ends a grant: its unreserved remainder expires or is voided (one entry), what holds still
    /// reserve lives on.
    fn end_grant(
        &mut self,
        grant_id: &str,
        lifecycle: GrantLifecycle,
        kind: EntryKind,
        at: Timestamp,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) {
        let grant = self.grants.iter_mut().find(|grant| grant.id == grant_id);
        let grant = grant.expect("ledger: ending a grant the account holds");
        let was_active = grant.lifecycle == GrantLifecycle::Active;
        let unreserved = grant.spendable();
        grant.lifecycle = lifecycle;
        if was_active && unreserved.is_positive() {
            let entry = self.new_entry(
                ids,
                kind,
                at,
                vec![Posting {
                    line: Line::Grant(grant_id.to_string()),
                    remaining_delta: Millicredits::new(-unreserved.get()),
                    reserved_delta: Millicredits::ZERO,
                }],
            );
            self.post(entry, effects);
        }
        self.settle_grants(&[grant_id.to_string()], effects);
    }

    /// Voids a grant (an operator's act): its unreserved remainder is voided at once. Voiding
    /// a grant that already ended returns it unchanged.
    pub fn void_grant(
        &mut self,
        grant_id: &str,
        at: Timestamp,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) -> Result<Option<Grant>, Rejection> {
        self.run_due(at, ids, effects);
        let Some(grant) = self.grant(grant_id) else {
            // Not in memory: finished already (or not this account's); the shell reads it.
            return Ok(None);
        };
        if matches!(
            grant.lifecycle,
            GrantLifecycle::Expired | GrantLifecycle::Voided
        ) {
            return Ok(Some(grant.clone()));
        }
        let mut snapshot = None;
        self.end_grant(
            grant_id,
            GrantLifecycle::Voided,
            EntryKind::Void,
            at,
            ids,
            effects,
        );
        if let Some(grant) = effects
            .grants
            .iter()
            .rev()
            .find(|grant| grant.id == grant_id)
        {
            snapshot = Some(grant.clone());
        }
        self.recompute_next_due();
        debug_assert_eq!(self.check(), Ok(()));
        Ok(snapshot)
    }

    /// A one-step debit, drawn across grants in spending order (and the overdraft beyond them).
    pub fn charge(
        &mut self,
        spec: DebitSpec,
        at: Timestamp,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) -> Result<Charge, Rejection> {
        self.run_due(at, ids, effects);
        if !spec.amount.is_positive() {
            return Err(Rejection::AmountNotPositive);
        }
        self.check_debit(spec.amount)?;
        if let Err(refused) = self.check_limits(&spec.attribution, spec.amount, at) {
            self.watch_limit_refusal(&refused, spec.amount, at, ids, effects);
            return Err(refused);
        }
        let (takes, overdraft) = self.allocate(spec.amount);
        let charge_id = ids.new_id(IdKind::Charge);
        let mut postings: Vec<Posting> = takes
            .iter()
            .map(|(index, take)| Posting {
                line: Line::Grant(self.grants[*index].id.clone()),
                remaining_delta: Millicredits::new(-take.get()),
                reserved_delta: Millicredits::ZERO,
            })
            .collect();
        if overdraft.is_positive() {
            postings.push(Posting {
                line: Line::Overdraft,
                remaining_delta: Millicredits::new(-overdraft.get()),
                reserved_delta: Millicredits::ZERO,
            });
        }
        let drawn: Vec<(String, Millicredits)> = takes
            .iter()
            .map(|(index, take)| (self.grants[*index].id.clone(), *take))
            .collect();
        let touched: Vec<String> = drawn.iter().map(|(grant_id, _)| grant_id.clone()).collect();
        let mut entry = self.new_entry(ids, EntryKind::Charge, at, postings);
        entry.charge_id = Some(charge_id.clone());
        entry.attribution = spec.attribution.for_entry();
        entry.description = spec.description.clone();
        self.post(entry, effects);
        self.settle_grants(&touched, effects);
        self.count_limits(&spec.attribution, spec.amount, at, ids, effects);
        let charge = Charge {
            id: charge_id,
            account_id: self.account.id.clone(),
            amount: spec.amount,
            drawn,
            overdraft,
            available_after: self.available(),
            attribution: spec.attribution,
            description: spec.description,
            metadata: spec.metadata,
            created_at: at,
            extra: spec.extra,
            refunded: Millicredits::ZERO,
        };
        effects.charges.push(charge.clone());
        self.top_up_if_low(at, ids, effects);
        self.recompute_next_due();
        debug_assert_eq!(self.check(), Ok(()));
        Ok(charge)
    }

    /// Reserves credits for `ttl_seconds`, on specific grants in spending order.
    pub fn hold(
        &mut self,
        spec: DebitSpec,
        ttl_seconds: i64,
        at: Timestamp,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) -> Result<Hold, Rejection> {
        self.run_due(at, ids, effects);
        if !spec.amount.is_positive() {
            return Err(Rejection::AmountNotPositive);
        }
        self.check_debit(spec.amount)?;
        if let Err(refused) = self.check_limits(&spec.attribution, spec.amount, at) {
            self.watch_limit_refusal(&refused, spec.amount, at, ids, effects);
            return Err(refused);
        }
        let (takes, overdraft) = self.allocate(spec.amount);
        let mut reservations: Vec<Reservation> = takes
            .iter()
            .map(|(index, take)| Reservation {
                line: Line::Grant(self.grants[*index].id.clone()),
                amount: *take,
            })
            .collect();
        if overdraft.is_positive() {
            reservations.push(Reservation {
                line: Line::Overdraft,
                amount: overdraft,
            });
        }
        let postings = reservations
            .iter()
            .map(|reservation| Posting {
                line: reservation.line.clone(),
                remaining_delta: Millicredits::ZERO,
                reserved_delta: reservation.amount,
            })
            .collect();
        let hold_id = ids.new_id(IdKind::Hold);
        let mut entry = self.new_entry(ids, EntryKind::Hold, at, postings);
        entry.hold_id = Some(hold_id.clone());
        entry.attribution = spec.attribution.for_entry();
        entry.description = spec.description.clone();
        self.post(entry, effects);
        let touched: Vec<String> = reservations
            .iter()
            .filter_map(|r| r.line.grant_id().map(str::to_string))
            .collect();
        self.settle_grants(&touched, effects);
        self.count_limits(&spec.attribution, spec.amount, at, ids, effects);
        let hold = Hold {
            id: hold_id.clone(),
            account_id: self.account.id.clone(),
            status: HoldStatus::Pending,
            amount: spec.amount,
            captured: Millicredits::ZERO,
            released: Millicredits::ZERO,
            expires_at: at.plus_seconds(ttl_seconds),
            created_at: at,
            resolved_at: None,
            attribution: spec.attribution,
            description: spec.description,
            metadata: spec.metadata,
            reservations,
            extra: spec.extra,
            captured_from: Vec::new(),
            captured_at: None,
            refunded: Millicredits::ZERO,
        };
        effects.holds.push(hold.clone());
        self.holds.insert(hold_id, hold.clone());
        self.top_up_if_low(at, ids, effects);
        self.recompute_next_due();
        debug_assert_eq!(self.check(), Ok(()));
        Ok(hold)
    }

    /// Captures `amount` of a pending hold (all that is left of it when `None`) and releases
    /// the rest. `extra` replaces the hold's opaque data (the actual usage that priced the
    /// capture).
    pub fn capture(
        &mut self,
        hold_id: &str,
        amount: Option<Millicredits>,
        extra: Option<String>,
        at: Timestamp,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) -> Result<Hold, Rejection> {
        let amount = amount.map_or(CaptureAmount::Rest, CaptureAmount::Exactly);
        self.capture_part(hold_id, amount, extra, true, at, ids, effects)
    }

    /// Captures `amount` of a pending hold. A final capture settles the hold: the uncaptured
    /// rest is released. A capture that is not final keeps the hold pending with the rest
    /// still reserved; given an exact amount, it must capture something. Captures never
    /// total more than the hold's amount.
    #[allow(clippy::too_many_arguments)]
    pub fn capture_part(
        &mut self,
        hold_id: &str,
        amount: CaptureAmount,
        extra: Option<String>,
        settle: bool,
        at: Timestamp,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) -> Result<Hold, Rejection> {
        self.run_due(at, ids, effects);
        let hold = self.holds.get(hold_id).ok_or(Rejection::HoldNotFound)?;
        let rest = hold.uncaptured();
        let requested = match amount {
            CaptureAmount::Rest => rest,
            CaptureAmount::Exactly(amount) => {
                if amount.is_negative() || (!settle && !amount.is_positive()) {
                    return Err(Rejection::AmountNotPositive);
                }
                amount
            }
            CaptureAmount::UpTo(total) => {
                if total < hold.captured {
                    return Err(Rejection::UsageBelowCaptured {
                        captured: hold.captured,
                        priced: total,
                    });
                }
                Millicredits::new(total.get() - hold.captured.get())
            }
        };
        if requested > rest {
            return Err(Rejection::CaptureExceedsHold {
                held: rest,
                requested,
            });
        }
        if let Some(extra) = extra {
            self.holds
                .get_mut(hold_id)
                .expect("ledger: the hold is pending")
                .extra = Some(extra);
        }
        if settle {
            return Ok(self.resolve_hold(
                hold_id,
                HoldStatus::Captured,
                Some(requested),
                at,
                ids,
                effects,
            ));
        }
        if !requested.is_positive() {
            // The usage so far prices what was captured already: nothing more to take.
            let hold = self
                .holds
                .get(hold_id)
                .expect("ledger: the hold is pending")
                .clone();
            effects.holds.push(hold.clone());
            return Ok(hold);
        }
        Ok(self.capture_some(hold_id, requested, at, ids, effects))
    }

    /// A capture that is not final: takes `amount` from the hold's reservations in order (a
    /// capture entry) and keeps the rest reserved.
    fn capture_some(
        &mut self,
        hold_id: &str,
        amount: Millicredits,
        at: Timestamp,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) -> Hold {
        let mut hold = self
            .holds
            .remove(hold_id)
            .expect("ledger: capturing a pending hold");
        let mut left = amount.get();
        let mut postings = Vec::new();
        for reservation in &mut hold.reservations {
            let take = reservation.amount.get().min(left);
            if take == 0 {
                continue;
            }
            left -= take;
            reservation.amount = Millicredits::new(reservation.amount.get() - take);
            postings.push(Posting {
                line: reservation.line.clone(),
                remaining_delta: Millicredits::new(-take),
                reserved_delta: Millicredits::new(-take),
            });
        }
        debug_assert_eq!(left, 0, "ledger: a capture never exceeds its hold");
        hold.reservations.retain(|r| r.amount.is_positive());
        let mut touched: Vec<String> = postings
            .iter()
            .filter_map(|p| p.line.grant_id().map(str::to_string))
            .collect();
        record_draws(&mut hold.captured_from, &postings);
        let mut entry = self.new_entry(ids, EntryKind::Capture, at, postings);
        entry.hold_id = Some(hold.id.clone());
        entry.attribution = hold.attribution.for_entry();
        self.post(entry, effects);
        hold.captured = Millicredits::new(hold.captured.get() + amount.get());
        hold.captured_at = Some(at);
        // A capture on the overdraft line makes a debt; anything spendable repays it.
        touched.extend(self.repay_debt(at, ids, effects));
        self.settle_grants(&touched, effects);
        effects.holds.push(hold.clone());
        self.holds.insert(hold.id.clone(), hold.clone());
        self.recompute_next_due();
        debug_assert_eq!(self.check(), Ok(()));
        hold
    }

    /// Extends a pending hold: reserves `amount` more (in spending order, a `hold` entry)
    /// and/or sets its expiry to `ttl_seconds` from `at`. A refusal leaves the hold exactly as
    /// it was.
    pub fn extend_hold(
        &mut self,
        hold_id: &str,
        amount: Option<Millicredits>,
        ttl_seconds: Option<i64>,
        at: Timestamp,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) -> Result<Hold, Rejection> {
        self.run_due(at, ids, effects);
        let hold = self.holds.get(hold_id).ok_or(Rejection::HoldNotFound)?;
        if let Some(amount) = amount {
            if !amount.is_positive() {
                return Err(Rejection::AmountNotPositive);
            }
            hold.amount.checked_add(amount).ok_or(Rejection::Overflow)?;
            self.check_debit(amount)?;
            let attribution = hold.attribution.clone();
            if let Err(refused) = self.check_limits(&attribution, amount, at) {
                self.watch_limit_refusal(&refused, amount, at, ids, effects);
                return Err(refused);
            }
        }
        let mut hold = self
            .holds
            .remove(hold_id)
            .expect("ledger: extending a pending hold");
        if let Some(amount) = amount {
            let (takes, overdraft) = self.allocate(amount);
            let mut added: Vec<Reservation> = takes
                .iter()
                .map(|(index, take)| Reservation {
                    line: Line::Grant(self.grants[*index].id.clone()),
                    amount: *take,
                })
                .collect();
            if overdraft.is_positive() {
                added.push(Reservation {
                    line: Line::Overdraft,
                    amount: overdraft,
                });
            }
            let postings = added
                .iter()
                .map(|reservation| Posting {
                    line: reservation.line.clone(),
                    remaining_delta: Millicredits::ZERO,
                    reserved_delta: reservation.amount,
                })
                .collect();
            let mut entry = self.new_entry(ids, EntryKind::Hold, at, postings);
            entry.hold_id = Some(hold.id.clone());
            entry.attribution = hold.attribution.for_entry();
            entry.description = Some(format!("hold extended by {amount} credits"));
            self.post(entry, effects);
            let touched: Vec<String> = added
                .iter()
                .filter_map(|r| r.line.grant_id().map(str::to_string))
                .collect();
            for reservation in added {
                match hold
                    .reservations
                    .iter_mut()
                    .find(|kept| kept.line == reservation.line)
                {
                    Some(kept) => {
                        kept.amount =
                            Millicredits::new(kept.amount.get() + reservation.amount.get());
                    }
                    None => hold.reservations.push(reservation),
                }
            }
            hold.amount = Millicredits::new(hold.amount.get() + amount.get());
            self.settle_grants(&touched, effects);
            self.count_limits(&hold.attribution, amount, at, ids, effects);
        }
        if let Some(ttl_seconds) = ttl_seconds {
            hold.expires_at = at.plus_seconds(ttl_seconds);
        }
        effects.holds.push(hold.clone());
        self.holds.insert(hold.id.clone(), hold.clone());
        if amount.is_some() {
            self.top_up_if_low(at, ids, effects);
        }
        self.recompute_next_due();
        debug_assert_eq!(self.check(), Ok(()));
        Ok(hold)
    }

    /// Voids a pending hold: everything it reserved goes back.
    pub fn void_hold(
        &mut self,
        hold_id: &str,
        at: Timestamp,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) -> Result<Hold, Rejection> {
        self.run_due(at, ids, effects);
        if !self.holds.contains_key(hold_id) {
            return Err(Rejection::HoldNotFound);
        }
        Ok(self.resolve_hold(hold_id, HoldStatus::Voided, None, at, ids, effects))
    }

    /// Ends a pending hold: captures `captured` from its reservations in order (a capture
    /// entry), releases the rest (a release entry), expires at once what it released on
    /// grants that ended meanwhile (an expire entry), then repays the debt from what is
    /// spendable (an adjustment entry, see [`AccountState::repay_debt`]).
    fn resolve_hold(
        &mut self,
        hold_id: &str,
        status: HoldStatus,
        captured: Option<Millicredits>,
        at: Timestamp,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) -> Hold {
        let mut hold = self
            .holds
            .remove(hold_id)
            .expect("ledger: resolving a pending hold");
        let mut capture_left = captured.unwrap_or(Millicredits::ZERO).get();
        let mut capture_postings = Vec::new();
        let mut release_postings = Vec::new();
        let mut expire_postings = Vec::new();
        let mut touched = Vec::new();
        for reservation in &hold.reservations {
            let take = reservation.amount.get().min(capture_left);
            capture_left -= take;
            let rest = reservation.amount.get() - take;
            if take > 0 {
                capture_postings.push(Posting {
                    line: reservation.line.clone(),
                    remaining_delta: Millicredits::new(-take),
                    reserved_delta: Millicredits::new(-take),
                });
            }
            if rest > 0 {
                release_postings.push(Posting {
                    line: reservation.line.clone(),
                    remaining_delta: Millicredits::ZERO,
                    reserved_delta: Millicredits::new(-rest),
                });
                if let Line::Grant(grant_id) = &reservation.line {
                    let ended = self.grant(grant_id).is_some_and(|grant| {
                        grant.lifecycle != GrantLifecycle::Active
                            || grant.expires_at.is_some_and(|expires_at| expires_at <= at)
                    });
                    if ended {
                        expire_postings.push(Posting {
                            line: reservation.line.clone(),
                            remaining_delta: Millicredits::new(-rest),
                            reserved_delta: Millicredits::ZERO,
                        });
                    }
                }
            }
            if let Some(grant_id) = reservation.line.grant_id() {
                touched.push(grant_id.to_string());
            }
        }
        debug_assert_eq!(capture_left, 0, "ledger: a capture never exceeds its hold");
        let captured_total = Millicredits::new(
            capture_postings
                .iter()
                .map(|posting| -posting.remaining_delta.get())
                .sum(),
        );
        let released_total = Millicredits::new(
            release_postings
                .iter()
                .map(|posting| -posting.reserved_delta.get())
                .sum(),
        );
        record_draws(&mut hold.captured_from, &capture_postings);
        for (kind, postings) in [
            (EntryKind::Capture, capture_postings),
            (EntryKind::Release, release_postings),
            (EntryKind::Expire, expire_postings),
        ] {
            if postings.is_empty() {
                continue;
            }
            let mut entry = self.new_entry(ids, kind, at, postings);
            entry.hold_id = Some(hold.id.clone());
            entry.attribution = hold.attribution.for_entry();
            self.post(entry, effects);
        }
        hold.status = status;
        if captured_total.is_positive() {
            hold.captured_at = Some(at);
        }
        hold.captured = Millicredits::new(hold.captured.get() + captured_total.get());
        hold.released = released_total;
        hold.resolved_at = Some(at);
        // What the hold released was counted by its limits when it was made: it comes back.
        self.give_back_limits(&hold.attribution, hold.created_at, released_total, effects);
        hold.reservations.clear();
        // What the hold released on active grants, or the debt its capture made, may leave
        // spendable credits alongside a debt: they repay it at once.
        touched.extend(self.repay_debt(at, ids, effects));
        self.settle_grants(&touched, effects);
        effects.holds.push(hold.clone());
        self.recompute_next_due();
        hold
    }

    /// Refunds `amount` (all that is left when `None`) of a charge or of what a hold captured.
    /// Credits go back to the lines they were drawn from, last drawn first: to a grant still
    /// active (a `refund` entry), to a grant that has ended since and expire at once (and an
    /// `expire` entry), to the debt while one stands; what came from the overdraft beyond the
    /// debt that still stands does not come back. `grants` are the grants the draws name that
    /// this state did not keep before the call (finished ones), as last written; one that the
    /// due work this call does first finishes is found in `effects`, as it wrote it.
    #[allow(clippy::too_many_arguments)]
    pub fn refund(
        &mut self,
        of: RefundOf,
        amount: Option<Millicredits>,
        reason: Option<String>,
        grants: Vec<Grant>,
        at: Timestamp,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) -> Result<Refund, Rejection> {
        self.run_due(at, ids, effects);
        // A hold as it is now: pending in memory, or as this call's due work wrote it (it
        // may have expired just now), else as the shell found it.
        let of = match of {
            RefundOf::Hold(hold) => {
                let written = effects.holds.iter().rev().find(|h| h.id == hold.id);
                let now = self.holds.get(&hold.id).or(written).cloned();
                RefundOf::Hold(now.unwrap_or(hold))
            }
            charge @ RefundOf::Charge(_) => charge,
        };
        // A charge's draws never change: its refunds took the last `refunded` of them. A hold
        // may capture again after a refund, so its record is what is left to give back.
        let (total, refunded, draws, skip, attribution, spent_at) = match &of {
            RefundOf::Charge(charge) => {
                let mut draws: Vec<Reservation> = charge
                    .drawn
                    .iter()
                    .map(|(grant_id, amount)| Reservation {
                        line: Line::Grant(grant_id.clone()),
                        amount: *amount,
                    })
                    .collect();
                if charge.overdraft.is_positive() {
                    draws.push(Reservation {
                        line: Line::Overdraft,
                        amount: charge.overdraft,
                    });
                }
                let spent = (charge.attribution.clone(), charge.created_at);
                let skip = charge.refunded.get();
                (
                    charge.amount,
                    charge.refunded,
                    draws,
                    skip,
                    spent.0,
                    spent.1,
                )
            }
            RefundOf::Hold(hold) => (
                hold.captured,
                hold.refunded,
                hold.captured_from.clone(),
                0,
                hold.attribution.clone(),
                hold.captured_at.unwrap_or(at),
            ),
        };
        let refundable = Millicredits::new(total.get() - refunded.get());
        let requested = amount.unwrap_or(refundable);
        if amount.is_some_and(|amount| !amount.is_positive()) {
            return Err(Rejection::AmountNotPositive);
        }
        if !requested.is_positive() || requested > refundable {
            return Err(Rejection::RefundExceedsCharge { refundable });
        }
        // The grants the draws name that this state does not keep: as this call's due work
        // wrote them, else as the shell found them. A grant neither has is not this account's.
        let mut found: Vec<Grant> = Vec::new();
        for grant_id in draws.iter().filter_map(|draw| draw.line.grant_id()) {
            if self.grant(grant_id).is_some() || found.iter().any(|g| g.id == grant_id) {
                continue;
            }
            let written = effects.grants.iter().rev().find(|g| g.id == grant_id);
            let grant = written
                .or_else(|| grants.iter().find(|g| g.id == grant_id))
                .filter(|grant| grant.account_id == self.account.id)
                .ok_or(Rejection::GrantNotFound)?;
            found.push(grant.clone());
        }
        // Validated: from here on nothing can fail.
        for mut grant in found {
            // A depleted grant is not kept, so its expiry was never run: it ended all the same
            // (with nothing left, nothing expired then).
            if grant.lifecycle == GrantLifecycle::Active
                && grant.expires_at.is_some_and(|expires_at| expires_at <= at)
            {
                grant.lifecycle = GrantLifecycle::Expired;
            }
            self.grants.push(grant);
        }
        self.grants.sort_by_key(Grant::spend_key);
        // The pieces to give back: the draws from the last, past what was refunded before.
        let mut skip = skip;
        let mut left = requested.get();
        let mut pieces: Vec<(Line, i64)> = Vec::new();
        for draw in draws.iter().rev() {
            if left == 0 {
                break;
            }
            let mut available = draw.amount.get();
            let skipped = available.min(skip);
            skip -= skipped;
            available -= skipped;
            let take = available.min(left);
            if take > 0 {
                left -= take;
                pieces.push((draw.line.clone(), take));
            }
        }
        // What no recorded draw covers (a hold captured before draws were recorded) does not
        // come back.
        let expired_uncovered = left;
        let mut expired = left;
        let mut refund_postings: Vec<Posting> = Vec::new();
        let mut expire_postings: Vec<Posting> = Vec::new();
        let mut restored: Vec<(String, Millicredits)> = Vec::new();
        let mut touched: Vec<String> = Vec::new();
        let mut debt = -self.overdraft_remaining.get();
        for (line, take) in pieces {
            match &line {
                Line::Grant(grant_id) => {
                    let active = self
                        .grant(grant_id)
                        .expect("ledger: every grant drawn from is kept or found")
                        .lifecycle
                        == GrantLifecycle::Active;
                    touched.push(grant_id.clone());
                    refund_postings.push(Posting {
                        line: line.clone(),
                        remaining_delta: Millicredits::new(take),
                        reserved_delta: Millicredits::ZERO,
                    });
                    if active {
                        match restored.iter_mut().find(|(id, _)| id == grant_id) {
                            Some((_, amount)) => {
                                *amount = Millicredits::new(amount.get() + take);
                            }
                            None => restored.push((grant_id.clone(), Millicredits::new(take))),
                        }
                    } else {
                        expired += take;
                        expire_postings.push(Posting {
                            line: line.clone(),
                            remaining_delta: Millicredits::new(-take),
                            reserved_delta: Millicredits::ZERO,
                        });
                    }
                }
                Line::Overdraft => {
                    let back = take.min(debt);
                    debt -= back;
                    expired += take - back;
                    if back > 0 {
                        refund_postings.push(Posting {
                            line: Line::Overdraft,
                            remaining_delta: Millicredits::new(back),
                            reserved_delta: Millicredits::ZERO,
                        });
                    }
                }
            }
        }
        let (charge_id, hold_id) = match &of {
            RefundOf::Charge(charge) => (Some(charge.id.clone()), None),
            RefundOf::Hold(hold) => (None, Some(hold.id.clone())),
        };
        for (kind, postings) in [
            (EntryKind::Refund, refund_postings),
            (EntryKind::Expire, expire_postings),
        ] {
            if postings.is_empty() {
                continue;
            }
            let mut entry = self.new_entry(ids, kind, at, postings);
            entry.charge_id.clone_from(&charge_id);
            entry.hold_id.clone_from(&hold_id);
            entry.attribution = attribution.for_entry();
            entry.description.clone_from(&reason);
            self.post(entry, effects);
        }
        // Credits back on an active grant while a debt stands repay it at once.
        touched.extend(self.repay_debt(at, ids, effects));
        self.settle_grants(&touched, effects);
        let counted_at = match &of {
            RefundOf::Charge(charge) => charge.created_at,
            RefundOf::Hold(hold) => hold.created_at,
        };
        self.give_back_limits(&attribution, counted_at, requested, effects);
        let now_refunded = Millicredits::new(refunded.get() + requested.get());
        match of {
            RefundOf::Charge(mut charge) => {
                charge.refunded = now_refunded;
                effects.charges.push(charge);
            }
            RefundOf::Hold(mut hold) => {
                hold.refunded = now_refunded;
                // What was given back leaves the record, from its end.
                let mut given = requested.get() - expired_uncovered;
                while given > 0 {
                    let last = hold
                        .captured_from
                        .last_mut()
                        .expect("ledger: the record covers what was given back");
                    let take = last.amount.get().min(given);
                    given -= take;
                    last.amount = Millicredits::new(last.amount.get() - take);
                    if !last.amount.is_positive() {
                        hold.captured_from.pop();
                    }
                }
                if let Some(pending) = self.holds.get_mut(&hold.id) {
                    pending.refunded = now_refunded;
                    pending.captured_from.clone_from(&hold.captured_from);
                }
                effects.holds.push(hold);
            }
        }
        let refund = Refund {
            id: ids.new_id(IdKind::Refund),
            account_id: self.account.id.clone(),
            charge_id,
            hold_id,
            amount: requested,
            restored,
            expired: Millicredits::new(expired),
            reason,
            created_at: at,
            attribution,
            spent_at,
        };
        effects.refunds.push(refund.clone());
        self.recompute_next_due();
        let created = EventKind::RefundCreated {
            refund: Box::new(refund.clone()),
        };
        self.emit(created, at, ids, effects);
        debug_assert_eq!(self.check(), Ok(()));
        Ok(refund)
    }

    /// Checks every invariant of the account's state; the error names the first one broken.
    pub fn check(&self) -> Result<(), String> {
        if let Some(purchase) = self.purchases.iter().find(|purchase| {
            purchase.status != PurchaseStatus::Pending
                || purchase.account_id != self.account.id
                || purchase.grant_id.is_some()
        }) {
            return Err(format!(
                "{}: purchase {} kept but not pending on this account",
                self.account.id, purchase.id
            ));
        }
        let mut posted = self.overdraft_remaining.get();
        let mut held = self.overdraft_reserved.get();
        if self.overdraft_remaining.get() > 0 || self.overdraft_reserved.get() < 0 {
            return Err(format!("{}: overdraft line out of bounds", self.account.id));
        }
        let mut reserved_by_line: HashMap<Line, i64> = HashMap::new();
        for hold in self.holds.values() {
            if hold.status != HoldStatus::Pending {
                return Err(format!(
                    "{}: hold {} kept but not pending",
                    self.account.id, hold.id
                ));
            }
            let total: i64 = hold.reservations.iter().map(|r| r.amount.get()).sum();
            if total != hold.uncaptured().get() {
                return Err(format!(
                    "{}: hold {} reservations != amount",
                    self.account.id, hold.id
                ));
            }
            for reservation in &hold.reservations {
                *reserved_by_line
                    .entry(reservation.line.clone())
                    .or_default() += reservation.amount.get();
            }
        }
        for window in self.grants.windows(2) {
            if window[0].spend_key() > window[1].spend_key() {
                return Err(format!("{}: grants out of spending order", self.account.id));
            }
        }
        for grant in &self.grants {
            let bounded = grant.reserved.get() >= 0
                && grant.reserved <= grant.remaining
                && grant.remaining <= grant.amount;
            if !bounded {
                return Err(format!(
                    "{}: grant {} out of bounds",
                    self.account.id, grant.id
                ));
            }
            let line_reserved = reserved_by_line.remove(&Line::Grant(grant.id.clone()));
            if line_reserved.unwrap_or(0) != grant.reserved.get() {
                return Err(format!(
                    "{}: grant {} reserved != holds",
                    self.account.id, grant.id
                ));
            }
            match grant.lifecycle {
                GrantLifecycle::Pending => {
                    if grant.remaining.get() != 0 {
                        return Err(format!(
                            "{}: pending grant {} counted",
                            self.account.id, grant.id
                        ));
                    }
                }
                GrantLifecycle::Active => {}
                GrantLifecycle::Expired | GrantLifecycle::Voided => {
                    if grant.remaining != grant.reserved {
                        return Err(format!(
                            "{}: ended grant {} keeps unreserved credits",
                            self.account.id, grant.id
                        ));
                    }
                }
            }
            posted += grant.remaining.get();
            held += grant.reserved.get();
        }
        let overdraft_reserved = reserved_by_line.remove(&Line::Overdraft).unwrap_or(0);
        if overdraft_reserved != self.overdraft_reserved.get() {
            return Err(format!("{}: overdraft reserved != holds", self.account.id));
        }
        if !reserved_by_line.is_empty() {
            return Err(format!(
                "{}: a hold reserves on a grant not kept",
                self.account.id
            ));
        }
        if posted != self.posted.get() || held != self.held.get() {
            return Err(format!(
                "{}: posted or held != the lines' sums",
                self.account.id
            ));
        }
        if self.overdraft_remaining.is_negative()
            && let Some(grant) = self.grants.iter().find(|g| g.spendable().is_positive())
        {
            return Err(format!(
                "{}: a debt stands while grant {} has unreserved credits",
                self.account.id, grant.id
            ));
        }
        if self.available().get() < -self.account.overdraft_limit.get() {
            return Err(format!(
                "{}: available below the overdraft limit",
                self.account.id
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{HoldStatus, Millicredits, Rejection};

    #[test]
    fn a_restored_state_keeps_no_more_room_than_its_grants() {
        use super::{
            Account, AccountSettings, AccountState, AccountTotals, Grant, GrantLifecycle,
            GrantSource, Timestamp,
        };
        let account = Account {
            id: "a".into(),
            name: None,
            overdraft_limit: Millicredits::ZERO,
            metadata: None,
            created_at: Timestamp::from_micros(1),
            settings: AccountSettings::default(),
        };
        let grant = Grant {
            id: "g".into(),
            account_id: "a".into(),
            amount: Millicredits::new(5000),
            remaining: Millicredits::new(5000),
            reserved: Millicredits::ZERO,
            source: GrantSource::Promo,
            priority: 0,
            effective_at: Timestamp::from_micros(1),
            expires_at: None,
            lifecycle: GrantLifecycle::Active,
            ordinal: 1,
            created_at: Timestamp::from_micros(1),
            description: None,
            metadata: None,
            expiry_warned: false,
        };
        // A store's list with room for four (what a first push makes): the engine keeps every
        // account's state, so the room would be kept a million times.
        let mut grants = Vec::with_capacity(4);
        grants.push(grant);
        let totals = AccountTotals {
            posted: Millicredits::new(5000),
            ..AccountTotals::default()
        };
        let state = AccountState::restore(account, totals, grants, Vec::new()).expect("restores");
        assert_eq!(state.grants.len(), 1);
        assert_eq!(state.grants.capacity(), 1);
    }

    #[test]
    fn every_refusal_has_its_own_number_in_the_order_of_the_enum() {
        let amount = Millicredits::from_credits(1);
        let every = [
            Rejection::AmountNotPositive,
            Rejection::GrantWindowInvalid,
            Rejection::AccountNotFound,
            Rejection::AccountExists,
            Rejection::GrantNotFound,
            Rejection::HoldNotFound,
            Rejection::HoldNotPending {
                status: HoldStatus::Captured,
            },
            Rejection::CaptureExceedsHold {
                held: amount,
                requested: amount,
            },
            Rejection::InsufficientCredits {
                available: amount,
                required: amount,
            },
            Rejection::Overflow,
            Rejection::SeatsInvalid,
            Rejection::NoSubscription,
            Rejection::PlanNotFound {
                plan_id: "p".into(),
            },
            Rejection::PackNotFound {
                pack_id: "p".into(),
            },
            Rejection::KeyNotFound,
            Rejection::PurchaseNotFound,
            Rejection::PurchaseNotPending {
                status: super::PurchaseStatus::Completed,
            },
            Rejection::PurchaseWindowInvalid,
            Rejection::RefundExceedsCharge { refundable: amount },
            Rejection::ChargeNotFound,
            Rejection::UsageBelowCaptured {
                captured: amount,
                priced: amount,
            },
            Rejection::AutoTopupNotFound,
            Rejection::PortalLinkNotFound,
            Rejection::PortalLinkUsed,
            Rejection::PortalLinkExpired,
            Rejection::PortalTtlInvalid,
            Rejection::LimitExceeded {
                limit: Box::new(super::Limit {
                    id: "lim_1".into(),
                    scope: super::LimitScope::Member,
                    matches: "*".into(),
                    window: super::LimitWindow::Day,
                    max: amount,
                }),
                value: "ann".into(),
                used: amount,
                remaining: amount,
                resets_at: None,
            },
            Rejection::LimitInvalid {
                position: 0,
                problem: super::LimitProblem::NegativeMax,
            },
            Rejection::OverdraftBelowDebt {
                overdraft_limit_min: amount,
            },
            Rejection::TimeZoneUnknown,
        ];
        let numbers: Vec<u16> = every.iter().map(Rejection::number).collect();
        // 27 to 29 are reserved for another branch.
        let expected: Vec<u16> = (1..=26).chain(30..=33).collect();
        assert_eq!(
            numbers, expected,
            "numbers are stable: never reuse or renumber one"
        );
    }
}
