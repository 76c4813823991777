//! Spend limits inside an account's shared pool: per member, product, key or the whole
//! account, over a calendar day or month (in the account's time zone), the plan period, or all
//! time. A debit that would take any matching limit's `used` above its `max` is refused in the
//! same step that checks the balance; holds count when made (and their extensions when made),
//! what a hold releases comes back, and so does what a refund gives back.
//!
//! The rules, decided here:
//! - `used` counts from the moment a limit is set: a new limit starts at zero (the ledger's
//!   history is not scanned). A `PUT` that keeps a limit (same id, scope, match and window)
//!   keeps its `used`; any other change starts it again.
//! - A release or refund gives back to the window the spending was counted in (a hold's: the
//!   window it was made in; a charge's: its own). Once that window has passed, nothing comes
//!   back: the new window never counted it. An extension made in a later window than its hold
//!   is counted there and not given back (the limit errs on the side of spending less).
//! - `limit.reached` fires once per limit (per matched value, for `"*"`) per window: when a
//!   debit brings `used` to exactly `max`, or when a debit is refused by that limit, whichever
//!   comes first.
//! - Changing the time zone starts new day and month windows (counted from zero).
//!
//! The cost on an account without limits is one `Option` test per debit.

use std::collections::HashMap;

use jiff::ToSpan;
use jiff::tz::TimeZone;

use super::events::EventKind;
use super::{Account, AccountState, Attribution, Effects, IdKind, IdSource, Rejection};
use crate::amount::Millicredits;
use crate::time::Timestamp;

/// The most limits one account may have.
pub const LIMITS_MAX: usize = 100;

/// The longest a limit's id or match may be, in bytes.
pub const LIMIT_TEXT_BYTES_MAX: usize = 255;

/// A limit's `match` that applies to each value separately (each member, product, key).
pub const MATCH_EACH: &str = "*";

/// What a limit is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LimitScope {
    Member,
    Product,
    Key,
    Account,
}

impl LimitScope {
    pub fn as_str(self) -> &'static str {
        match self {
            LimitScope::Member => "member",
            LimitScope::Product => "product",
            LimitScope::Key => "key",
            LimitScope::Account => "account",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "member" => LimitScope::Member,
            "product" => LimitScope::Product,
            "key" => LimitScope::Key,
            "account" => LimitScope::Account,
            _ => return None,
        })
    }

    /// The value of a debit's attribution this scope looks at (`None`: it has none, and a
    /// limit of this scope does not apply to it).
    fn value_of(self, attribution: &Attribution) -> Option<&str> {
        match self {
            LimitScope::Member => attribution.member.as_deref(),
            LimitScope::Product => attribution.product.as_deref(),
            LimitScope::Key => attribution.key_id.as_deref(),
            LimitScope::Account => Some(MATCH_EACH),
        }
    }
}

/// The span a limit counts over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LimitWindow {
    /// A calendar day in the account's time zone.
    Day,
    /// A calendar month in the account's time zone.
    Month,
    /// The plan's current period (without a plan: all time, until one starts).
    Period,
    /// All time.
    Total,
}

impl LimitWindow {
    pub fn as_str(self) -> &'static str {
        match self {
            LimitWindow::Day => "day",
            LimitWindow::Month => "month",
            LimitWindow::Period => "period",
            LimitWindow::Total => "total",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "day" => LimitWindow::Day,
            "month" => LimitWindow::Month,
            "period" => LimitWindow::Period,
            "total" => LimitWindow::Total,
            _ => return None,
        })
    }
}

/// One limit of an account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limit {
    /// `lim_…` unless the client named it.
    pub id: String,
    pub scope: LimitScope,
    /// The value it applies to, or [`MATCH_EACH`] for each value separately (an `account`
    /// limit's match is always `"*"`).
    pub matches: String,
    pub window: LimitWindow,
    pub max: Millicredits,
}

impl Limit {
    /// The counter a debit with this attribution counts on, if the limit applies to it.
    fn counter_value<'a>(&'a self, attribution: &'a Attribution) -> Option<&'a str> {
        let value = self.scope.value_of(attribution)?;
        if self.matches == MATCH_EACH || self.matches == value {
            Some(value)
        } else {
            None
        }
    }

    /// Whether two limits count the same thing (so a `PUT` keeps the counters).
    fn counts_like(&self, other: &Limit) -> bool {
        self.id == other.id
            && self.scope == other.scope
            && self.matches == other.matches
            && self.window == other.window
    }
}

/// A limit to set: the id is generated when none is given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitSpec {
    pub id: Option<String>,
    pub scope: LimitScope,
    pub matches: String,
    pub window: LimitWindow,
    pub max: Millicredits,
}

/// An account's set of limits, as a `PUT` set it (stored as one row).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitSet {
    pub account_id: String,
    pub limits: Vec<Limit>,
    pub updated_at: Timestamp,
}

/// What a limit has counted in its current window, for one value (the match itself, or each
/// value of a `"*"` limit; `"*"` for an `account` limit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitCounter {
    pub account_id: String,
    pub limit_id: String,
    pub value: String,
    /// The start of the window `used` counts (a counter of a past window counts as zero).
    pub window_start: Timestamp,
    pub used: Millicredits,
    /// Whether `limit.reached` fired in this window.
    pub reached: bool,
}

/// Where one limit stands now, for one value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitUse {
    pub value: String,
    pub used: Millicredits,
    pub remaining: Millicredits,
}

/// Where a limit stands now: its largest `used` (for `"*"`: of any one value), what is left
/// of it, when its window ends (`None`: never), and each value's own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitStatus {
    pub limit: Limit,
    pub used: Millicredits,
    pub remaining: Millicredits,
    pub resets_at: Option<Timestamp>,
    /// Each value counted in the current window, by value.
    pub values: Vec<LimitUse>,
}

/// A window: its start, and its end (`None`: it never ends).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    start: Timestamp,
    end: Option<Timestamp>,
}

impl Span {
    fn contains(&self, at: Timestamp) -> bool {
        self.start <= at && self.end.is_none_or(|end| at < end)
    }
}

pub use crate::zone::time_zone;
use crate::zone::{start_of, to_jiff};

/// The calendar day or month around `at` in `zone`: from its first instant (midnight, or the
/// first instant after a DST gap at midnight) to the next one's.
fn calendar_span(window: LimitWindow, zone: &TimeZone, at: Timestamp) -> Span {
    let zoned = to_jiff(at).to_zoned_datetime(zone.clone());
    let date = zoned.date();
    let (first, next) = match window {
        LimitWindow::Day => (Some(date), date.tomorrow().ok()),
        _ => {
            let first = date.first_of_month();
            (Some(first), first.checked_add(1.month()).ok())
        }
    };
    let start_of = |day: jiff::civil::Date| start_of(day, zone);
    Span {
        start: first.and_then(start_of).unwrap_or(Timestamp::MIN),
        end: next.and_then(start_of),
    }
}

/// An account's limits as it keeps them: the set, the time zone its days and months are
/// in, the current window of each limit (a cache), and the counters by limit, then value.
#[derive(Clone, Debug)]
pub struct LimitBook {
    set: LimitSet,
    zone: TimeZone,
    spans: Vec<Option<Span>>,
    counters: Vec<HashMap<String, LimitCounter>>,
}

impl LimitBook {
    /// A book from what a store kept (counters of limits no longer set are left out). An
    /// unknown time zone counts in UTC.
    pub fn new(set: LimitSet, counters: Vec<LimitCounter>, time_zone_name: &str) -> Self {
        let zone = crate::zone::time_zone_or_utc(time_zone_name);
        let mut book = LimitBook {
            spans: vec![None; set.limits.len()],
            counters: vec![HashMap::new(); set.limits.len()],
            set,
            zone,
        };
        for counter in counters {
            if let Some(index) = book.index_of(&counter.limit_id) {
                book.counters[index].insert(counter.value.clone(), counter);
            }
        }
        book
    }

    fn index_of(&self, limit_id: &str) -> Option<usize> {
        self.set
            .limits
            .iter()
            .position(|limit| limit.id == limit_id)
    }

    pub fn set(&self) -> &LimitSet {
        &self.set
    }

    /// Every counter kept, in the order of the limits.
    pub fn counters(&self) -> impl Iterator<Item = &LimitCounter> {
        self.counters.iter().flat_map(|by_value| by_value.values())
    }

    /// The window of limit `index` around `at`; `period` is the plan's current period.
    fn span(&self, index: usize, period: Option<Span>, at: Timestamp) -> Span {
        // Only calendar windows are cached: a period window moves when a plan starts.
        if let Some(span) = self.spans[index]
            && span.contains(at)
        {
            return span;
        }
        match self.set.limits[index].window {
            LimitWindow::Total => Span {
                start: Timestamp::MIN,
                end: None,
            },
            LimitWindow::Period => period.unwrap_or(Span {
                start: Timestamp::MIN,
                end: None,
            }),
            window => calendar_span(window, &self.zone, at),
        }
    }

    /// Keeps a calendar window, so the next debit in it need not compute it.
    fn remember(&mut self, index: usize, span: Span) {
        if matches!(
            self.set.limits[index].window,
            LimitWindow::Day | LimitWindow::Month
        ) {
            self.spans[index] = Some(span);
        }
    }

    /// What limit `index` has counted for `value` in `span`.
    fn used(&self, index: usize, value: &str, span: Span) -> Millicredits {
        match self.counters[index].get(value) {
            Some(counter) if counter.window_start == span.start => counter.used,
            _ => Millicredits::ZERO,
        }
    }

    /// Where every limit stands at `at`.
    fn statuses(&self, period: Option<Span>, at: Timestamp) -> Vec<LimitStatus> {
        self.set
            .limits
            .iter()
            .enumerate()
            .map(|(index, limit)| {
                let span = self.span(index, period, at);
                let mut values: Vec<LimitUse> = self.counters[index]
                    .values()
                    .filter(|counter| counter.window_start == span.start)
                    .filter(|counter| counter.used.is_positive() || counter.reached)
                    .map(|counter| LimitUse {
                        value: counter.value.clone(),
                        used: counter.used,
                        remaining: remaining(limit.max, counter.used),
                    })
                    .collect();
                values.sort_by(|a, b| a.value.cmp(&b.value));
                let used = values
                    .iter()
                    .map(|value| value.used)
                    .max()
                    .unwrap_or(Millicredits::ZERO);
                LimitStatus {
                    limit: limit.clone(),
                    used,
                    remaining: remaining(limit.max, used),
                    resets_at: span.end,
                    values,
                }
            })
            .collect()
    }
}

fn remaining(max: Millicredits, used: Millicredits) -> Millicredits {
    Millicredits::new((max.get() - used.get()).max(0))
}

/// Where the limits of a stored set stand at `at` (for reads): `period` is the plan's current
/// period, when the account has a plan that is not canceled.
pub fn limit_statuses(
    set: LimitSet,
    counters: Vec<LimitCounter>,
    time_zone_name: &str,
    period: Option<(Timestamp, Timestamp)>,
    at: Timestamp,
) -> Vec<LimitStatus> {
    let book = LimitBook::new(set, counters, time_zone_name);
    let period = period.map(|(start, end)| Span {
        start,
        end: Some(end),
    });
    book.statuses(period, at)
}

/// What an admin changes on an account (`None`: unchanged; `Some(None)`: cleared).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountPatch {
    pub name: Option<Option<String>>,
    pub overdraft_limit: Option<Millicredits>,
    pub metadata: Option<Option<String>>,
    pub time_zone: Option<String>,
    pub low_balance_threshold: Option<Option<Millicredits>>,
}

/// Why a limit of a set is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitProblem {
    /// More than [`LIMITS_MAX`] limits.
    TooMany,
    /// Two limits with the same id.
    DuplicateId,
    /// An empty or overlong id or match, or an `account` limit matching anything but `"*"`.
    BadMatch,
    BadId,
    /// A negative max.
    NegativeMax,
}

impl LimitProblem {
    /// The field of the limit at fault.
    pub fn field(self) -> &'static str {
        match self {
            LimitProblem::TooMany => "limits",
            LimitProblem::DuplicateId | LimitProblem::BadId => "id",
            LimitProblem::BadMatch => "match",
            LimitProblem::NegativeMax => "max",
        }
    }
}

/// Checks a set of limits to be: the position of the first at fault and why.
pub fn check_limit_specs(specs: &[LimitSpec]) -> Result<(), (usize, LimitProblem)> {
    if specs.len() > LIMITS_MAX {
        return Err((LIMITS_MAX, LimitProblem::TooMany));
    }
    for (position, spec) in specs.iter().enumerate() {
        if let Some(id) = &spec.id {
            if id.is_empty() || id.len() > LIMIT_TEXT_BYTES_MAX {
                return Err((position, LimitProblem::BadId));
            }
            if specs[..position]
                .iter()
                .any(|other| other.id.as_deref() == Some(id))
            {
                return Err((position, LimitProblem::DuplicateId));
            }
        }
        let bad_match = spec.matches.is_empty()
            || spec.matches.len() > LIMIT_TEXT_BYTES_MAX
            || (spec.scope == LimitScope::Account && spec.matches != MATCH_EACH);
        if bad_match {
            return Err((position, LimitProblem::BadMatch));
        }
        if spec.max.is_negative() {
            return Err((position, LimitProblem::NegativeMax));
        }
    }
    Ok(())
}

impl AccountState {
    /// The plan's current period, as the `period` window counts it (none without a plan
    /// that runs).
    fn limit_period(&self) -> Option<Span> {
        let subscription = self.subscription()?;
        if subscription.status == super::SubscriptionStatus::Canceled {
            return None;
        }
        Some(Span {
            start: subscription.current_period_start,
            end: Some(subscription.current_period_end),
        })
    }

    /// The account's limits (`None`: it has none).
    pub fn limit_book(&self) -> Option<&LimitBook> {
        self.limits.as_deref()
    }

    /// Where every limit of the account stands at `at`.
    pub fn limit_statuses(&self, at: Timestamp) -> Vec<LimitStatus> {
        match &self.limits {
            Some(book) => book.statuses(self.limit_period(), at),
            None => Vec::new(),
        }
    }

    /// Restores the limits a store kept.
    pub fn restore_limits(&mut self, set: LimitSet, counters: Vec<LimitCounter>) {
        self.limits = (!set.limits.is_empty()).then(|| {
            Box::new(LimitBook::new(
                set,
                counters,
                &self.account.settings.time_zone,
            ))
        });
    }

    /// Replaces the account's limits. A limit kept as it was (same id, scope, match and
    /// window) keeps what it counted; every other counter starts again (written as zero, so
    /// an id used again later starts from nothing).
    pub fn set_limits(
        &mut self,
        specs: Vec<LimitSpec>,
        at: Timestamp,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) -> Result<Vec<LimitStatus>, Rejection> {
        self.run_due(at, ids, effects);
        if let Err((position, problem)) = check_limit_specs(&specs) {
            return Err(Rejection::LimitInvalid { position, problem });
        }
        // Validated: from here on nothing can fail.
        let limits: Vec<Limit> = specs
            .into_iter()
            .map(|spec| Limit {
                id: spec.id.unwrap_or_else(|| ids.new_id(IdKind::Limit)),
                scope: spec.scope,
                matches: spec.matches,
                window: spec.window,
                max: spec.max,
            })
            .collect();
        let set = LimitSet {
            account_id: self.account.id.clone(),
            limits,
            updated_at: at,
        };
        let mut kept: Vec<LimitCounter> = Vec::new();
        if let Some(old) = self.limits.take() {
            for (index, by_value) in old.counters.into_iter().enumerate() {
                let old_limit = &old.set.limits[index];
                let stays = set.limits.iter().any(|new| new.counts_like(old_limit));
                for (_, mut counter) in by_value {
                    if stays {
                        kept.push(counter);
                    } else {
                        counter.used = Millicredits::ZERO;
                        counter.reached = false;
                        effects.limit_counters.push(counter);
                    }
                }
            }
        }
        effects.limit_sets.push(set.clone());
        self.restore_limits(set, kept);
        Ok(self.limit_statuses(at))
    }

    /// Whether a debit of `amount` with this attribution fits every limit that applies.
    pub(crate) fn check_limits(
        &self,
        attribution: &Attribution,
        amount: Millicredits,
        at: Timestamp,
    ) -> Result<(), Rejection> {
        let Some(book) = &self.limits else {
            return Ok(());
        };
        let period = self.limit_period();
        for (index, limit) in book.set.limits.iter().enumerate() {
            let Some(value) = limit.counter_value(attribution) else {
                continue;
            };
            let span = book.span(index, period, at);
            let used = book.used(index, value, span);
            let after = used.checked_add(amount).ok_or(Rejection::Overflow)?;
            if after > limit.max {
                return Err(Rejection::LimitExceeded {
                    limit: Box::new(limit.clone()),
                    value: value.to_string(),
                    used,
                    remaining: remaining(limit.max, used),
                    resets_at: span.end,
                });
            }
        }
        Ok(())
    }

    /// Counts a debit that [`AccountState::check_limits`] let through on every limit that
    /// applies; a limit it brings to its max fires `limit.reached` (once per window).
    pub(crate) fn count_limits(
        &mut self,
        attribution: &Attribution,
        amount: Millicredits,
        at: Timestamp,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) {
        if self.limits.is_none() {
            return;
        }
        let period = self.limit_period();
        let Some(book) = self.limits.as_deref_mut() else {
            return;
        };
        let mut reached: Vec<EventKind> = Vec::new();
        for index in 0..book.set.limits.len() {
            let limit = &book.set.limits[index];
            let Some(value) = limit.counter_value(attribution) else {
                continue;
            };
            let value = value.to_string();
            let (limit_id, max) = (limit.id.clone(), limit.max);
            let span = book.span(index, period, at);
            book.remember(index, span);
            let account_id = &self.account.id;
            let counter = book.counters[index]
                .entry(value.clone())
                .or_insert_with(|| LimitCounter {
                    account_id: account_id.clone(),
                    limit_id,
                    value,
                    window_start: span.start,
                    used: Millicredits::ZERO,
                    reached: false,
                });
            if counter.window_start != span.start {
                counter.window_start = span.start;
                counter.used = Millicredits::ZERO;
                counter.reached = false;
            }
            counter.used = Millicredits::new(counter.used.get() + amount.get());
            debug_assert!(counter.used <= max, "limits: counted past a checked max");
            if counter.used == max && !counter.reached {
                counter.reached = true;
                reached.push(reached_event(&book.set.limits[index], counter, span, None));
            }
            effects.limit_counters.push(counter.clone());
        }
        for kind in reached {
            self.emit(kind, at, ids, effects);
        }
    }

    /// A debit was refused by a limit: `limit.reached`, unless it fired in this window.
    pub(crate) fn watch_limit_refusal(
        &mut self,
        rejection: &Rejection,
        attribution_amount: Millicredits,
        at: Timestamp,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) {
        let Rejection::LimitExceeded { limit, value, .. } = rejection else {
            return;
        };
        if self.limits.is_none() {
            return;
        }
        let period = self.limit_period();
        let Some(book) = self.limits.as_deref_mut() else {
            return;
        };
        let Some(index) = book.index_of(&limit.id) else {
            return;
        };
        let span = book.span(index, period, at);
        book.remember(index, span);
        let account_id = &self.account.id;
        let counter = book.counters[index]
            .entry(value.clone())
            .or_insert_with(|| LimitCounter {
                account_id: account_id.clone(),
                limit_id: limit.id.clone(),
                value: value.clone(),
                window_start: span.start,
                used: Millicredits::ZERO,
                reached: false,
            });
        if counter.window_start != span.start {
            counter.window_start = span.start;
            counter.used = Millicredits::ZERO;
            counter.reached = false;
        }
        if counter.reached {
            return;
        }
        counter.reached = true;
        let kind = reached_event(
            &book.set.limits[index],
            counter,
            span,
            Some(attribution_amount),
        );
        effects.limit_counters.push(counter.clone());
        self.emit(kind, at, ids, effects);
    }

    /// Gives `amount` back to the limits that counted a debit with this attribution made at
    /// `spent_at` (a release or a refund), in the window it was counted in, if that window is
    /// still the counter's.
    pub(crate) fn give_back_limits(
        &mut self,
        attribution: &Attribution,
        spent_at: Timestamp,
        amount: Millicredits,
        effects: &mut Effects,
    ) {
        if !amount.is_positive() {
            return;
        }
        if self.limits.is_none() {
            return;
        }
        let period = self.limit_period();
        let Some(book) = self.limits.as_deref_mut() else {
            return;
        };
        for index in 0..book.set.limits.len() {
            let Some(value) = book.set.limits[index].counter_value(attribution) else {
                continue;
            };
            let span = book.span(index, period, spent_at);
            if let Some(counter) = book.counters[index].get_mut(value)
                && counter.window_start == span.start
                && counter.used.is_positive()
            {
                counter.used =
                    Millicredits::new(counter.used.get() - counter.used.get().min(amount.get()));
                effects.limit_counters.push(counter.clone());
            }
        }
    }

    /// Changes the account's own fields. An overdraft limit below what the account already
    /// owes (or holds beyond its grants) is refused: it would leave `available` under its
    /// floor. A new time zone starts new day and month windows for the limits.
    pub fn update_account(
        &mut self,
        patch: AccountPatch,
        at: Timestamp,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) -> Result<Account, Rejection> {
        self.run_due(at, ids, effects);
        let zone = match &patch.time_zone {
            Some(name) => Some(time_zone(name).ok_or(Rejection::TimeZoneUnknown)?),
            None => None,
        };
        if let Some(limit) = patch.overdraft_limit {
            let least = (-self.available().get()).max(0);
            if limit.get() < least {
                return Err(Rejection::OverdraftBelowDebt {
                    overdraft_limit_min: Millicredits::new(least),
                });
            }
        }
        if let Some(Some(threshold)) = patch.low_balance_threshold
            && threshold.is_negative()
        {
            return Err(Rejection::AmountNotPositive);
        }
        // Validated: from here on nothing can fail.
        let account = &mut self.account;
        if let Some(name) = patch.name {
            account.name = name;
        }
        if let Some(limit) = patch.overdraft_limit {
            account.overdraft_limit = limit;
        }
        if let Some(metadata) = patch.metadata {
            account.metadata = metadata;
        }
        if let Some(threshold) = patch.low_balance_threshold {
            account.settings.low_balance_threshold = threshold;
        }
        if let (Some(name), Some(zone)) = (patch.time_zone, zone) {
            account.settings.time_zone = name;
            if let Some(book) = self.limits.as_deref_mut() {
                book.zone = zone;
                book.spans.iter_mut().for_each(|span| *span = None);
            }
        }
        effects.accounts.push(self.account.clone());
        debug_assert_eq!(self.check(), Ok(()));
        Ok(self.account.clone())
    }
}

fn reached_event(
    limit: &Limit,
    counter: &LimitCounter,
    span: Span,
    refused: Option<Millicredits>,
) -> EventKind {
    EventKind::LimitReached {
        limit_id: limit.id.clone(),
        scope: limit.scope.as_str().to_string(),
        matches: limit.matches.clone(),
        value: counter.value.clone(),
        window: limit.window.as_str().to_string(),
        max: limit.max,
        used: counter.used,
        resets_at: span.end,
        refused,
    }
}
