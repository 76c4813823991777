//! The storage seam: what a batch writes, what the API reads, and the trait every backend
//! (embedded SQLite, shared PostgreSQL) implements.
//!
//! Backends persist; they never decide. The engine applies commands with the core and hands
//! the resulting [`BatchWrite`] to [`Store::commit`], which writes it in one transaction.
//!
//! What the SQL stores have in common is written here once, on top of the few traits in
//! [`row`] that each of them implements: the tables' columns, encoders and decoders
//! ([`tables`], [`codec`]), the readers ([`read`], [`usage`]), accounts' states ([`state`]) and
//! `tally verify` ([`verify`]). A store keeps its connections, its migrations and its
//! statements' dialect.

pub mod codec;
pub mod read;
pub mod row;
pub mod sql;
pub mod state;
pub mod tables;
pub mod usage;
pub mod verify;
pub mod webhooks;

use tally_core::usage::{BucketKey, UsageDelta, UsageKey};
use tally_core::{
    Account, AccountState, AccountTotals, Charge, Effects, Entry, EntryKind, Grant, GrantStatus,
    Hold, HoldStatus, Millicredits, PortalLink, Purchase, PurchaseStatus, Subscription, Timestamp,
};

/// Why the store failed. Every variant is the store's problem, not the user's.
#[derive(Clone, Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store: the database cannot be reached or failed: {0}")]
    Unavailable(String),
    #[error("store: stored data is inconsistent: {0}")]
    Corrupt(String),
    /// The file or database is not one the store may open (another program's, a newer
    /// schema's): nothing was written to it.
    #[error("store: refusing to open {0}")]
    Refused(String),
    /// Another node's transaction got in the way (a serialization failure or deadlock): the
    /// whole batch can be tried again.
    #[error("store: a concurrent transaction conflicted: {0}")]
    Conflict(String),
    /// A shared batch's connection was lost before its COMMIT was sent: the transaction cannot
    /// have committed, nothing of it was applied, and the whole batch can be tried again on a
    /// new connection.
    #[error("store: the batch's connection was lost before its COMMIT; nothing was applied: {0}")]
    Interrupted(String),
}

/// A stored response to an idempotent request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// Whose key it is: `admin`, or `account:<id>`.
    pub scope: String,
    pub key: String,
    /// A hash of the method, path and body of the original request.
    pub request_hash: String,
    pub status: u16,
    pub body: String,
    pub created_at: Timestamp,
}

/// An event as written: its JSON body (rendered by the API when the engine decided it) and the
/// columns its lists filter on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRecord {
    /// `evt_…`.
    pub id: String,
    pub account_id: String,
    /// The account's count of events so far, this one included (1, 2, …, without gaps).
    pub sequence: i64,
    /// `balance.low`, `grant.created`, …
    pub event_type: String,
    pub created_at: Timestamp,
    /// The event's JSON, exactly as served and delivered.
    pub body: String,
}

impl EventRecord {
    /// The record of an event the core decided, with the body the API rendered for it.
    pub fn of(event: tally_core::events::Event, body: String) -> Self {
        EventRecord {
            event_type: event.kind.type_name().to_string(),
            id: event.id,
            account_id: event.account_id,
            sequence: event.sequence,
            created_at: event.at,
            body,
        }
    }
}

/// One admin action, as the audit log keeps it: written by the engine in the transaction of
/// the change it records, so there is no change without its record and no record without its
/// change. A replay changes nothing and writes none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    /// `aud_…`.
    pub id: String,
    pub at: Timestamp,
    /// Who: the admin key's id (`admin` for the key the server was started with).
    pub actor: String,
    /// What: `rate_card.put`, `grant.void`, `purchase.complete`, …
    pub action: String,
    /// On what: the id of the grant, purchase, key, account, rate card version, ….
    pub target_id: String,
    /// The account it concerns, if one.
    pub account_id: Option<String>,
}

/// Filters on the events list.
#[derive(Clone, Debug, Default)]
pub struct EventFilter {
    pub account_id: Option<String>,
    pub event_type: Option<String>,
}

/// An API key as stored (only the hash of the secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub id: String,
    /// `None` for an admin key.
    pub account_id: Option<String>,
    pub key_hash: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// A stored rate card version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateCardRecord {
    pub version: i64,
    pub effective_at: Timestamp,
    /// The card's JSON document.
    pub document: String,
    pub created_at: Timestamp,
}

/// A dimension usage can be grouped by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UsageDimension {
    Product,
    Model,
    Member,
    Action,
    Day,
}

impl UsageDimension {
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "product" => UsageDimension::Product,
            "model" => UsageDimension::Model,
            "member" => UsageDimension::Member,
            "action" => UsageDimension::Action,
            "day" => UsageDimension::Day,
            _ => return None,
        })
    }
}

/// One group of a usage query (dimensions not grouped by are `None`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UsageGroup {
    pub day: Option<i64>,
    pub product: Option<String>,
    pub model: Option<String>,
    pub member: Option<String>,
    pub action: Option<String>,
}

/// An account's limit set and the counters kept for it.
pub type LimitsRead = (Option<tally_core::LimitSet>, Vec<tally_core::LimitCounter>);

/// Everything one batch writes, in one transaction.
#[derive(Clone, Debug, Default)]
pub struct BatchWrite {
    pub new_accounts: Vec<Account>,
    /// The totals of every account the batch touched, as they are after it.
    pub account_totals: Vec<(String, AccountTotals)>,
    /// When each touched account next has due work (`None`: nothing due), for the shared
    /// store's scheduler.
    pub account_next_due: Vec<(String, Option<Timestamp>)>,
    pub effects: Effects,
    pub idempotency: Vec<IdempotencyRecord>,
    pub new_api_keys: Vec<ApiKeyRecord>,
    /// `(key id, revoked at)`.
    pub revoked_api_keys: Vec<(String, Timestamp)>,
    /// `(key id, last used at)`: bookkeeping, coalesced by the engine.
    pub touched_api_keys: Vec<(String, Timestamp)>,
    /// New portal links (only their tokens' hashes).
    pub new_portal_links: Vec<PortalLink>,
    /// `(link id, used at)`: links a visit redeemed.
    pub redeemed_portal_links: Vec<(String, Timestamp)>,
    /// New rate card versions.
    pub new_rate_cards: Vec<RateCardRecord>,
    /// What the batch's charges and captures add to the usage aggregates.
    pub usage: Vec<(UsageKey, UsageDelta)>,
    /// What the batch's charges, captures and refunds add to the hour and minute aggregates.
    pub usage_buckets: Vec<(BucketKey, UsageDelta)>,
    pub meta: Vec<(String, String)>,
    /// The events the batch's changes caused (the outbox), in the order they happened.
    pub events: Vec<EventRecord>,
    /// Meta rows written only where the key has no value yet (the first node to start wins).
    pub meta_if_absent: Vec<(String, String)>,
    /// The admin actions the batch made, for the audit log.
    pub audit: Vec<AuditRecord>,
}

impl BatchWrite {
    pub fn is_empty(&self) -> bool {
        self.new_accounts.is_empty()
            && self.account_totals.is_empty()
            && self.effects.entries.is_empty()
            && self.effects.grants.is_empty()
            && self.effects.holds.is_empty()
            && self.effects.charges.is_empty()
            && self.effects.subscriptions.is_empty()
            && self.effects.auto_topups.is_empty()
            && self.effects.accounts.is_empty()
            && self.effects.limit_sets.is_empty()
            && self.effects.limit_counters.is_empty()
            && self.effects.purchases.is_empty()
            && self.new_rate_cards.is_empty()
            && self.idempotency.is_empty()
            && self.new_api_keys.is_empty()
            && self.revoked_api_keys.is_empty()
            && self.touched_api_keys.is_empty()
            && self.meta.is_empty()
            && self.meta_if_absent.is_empty()
            && self.effects.refunds.is_empty()
            && self.new_portal_links.is_empty()
            && self.redeemed_portal_links.is_empty()
            && self.events.is_empty()
            && self.audit.is_empty()
    }
}

/// An account's balance as one snapshot: the account with its totals, the grants that count
/// in its balance, its plan, and what it spent in the window the forecast averages.
#[derive(Clone, Debug)]
pub struct BalanceRead {
    pub row: AccountRow,
    pub grants: Vec<Grant>,
    pub subscription: Option<Subscription>,
    /// Spent (net of refunds) in the window asked for.
    pub spent: Millicredits,
}

/// The range of a usage query, made by the caller from the account's time zone and plan
/// (read in the same snapshot as the usage): `(from, to)`.
pub type UsageRangeOf = std::sync::Arc<UsageRangeFn>;

/// What [`UsageRangeOf`] holds: the range of a usage read, from the account's time zone and
/// its subscription as the snapshot reads them.
pub type UsageRangeFn =
    dyn Fn(&jiff::tz::TimeZone, Option<&Subscription>) -> (Timestamp, Timestamp) + Send + Sync;

/// An account's usage as one snapshot: the range it was read over, the time zone its days
/// are in, and the groups.
#[derive(Clone, Debug)]
pub struct UsageRead {
    pub from: Timestamp,
    pub to: Timestamp,
    pub time_zone: String,
    pub groups: Vec<(UsageGroup, UsageDelta)>,
}

/// An account with its balance totals.
#[derive(Clone, Debug)]
pub struct AccountRow {
    pub account: Account,
    pub totals: AccountTotals,
}

/// A page request: newest first, after the item with id `starting_after`.
#[derive(Clone, Debug)]
pub struct PageRequest {
    pub limit: usize,
    pub starting_after: Option<String>,
}

/// A page of results, newest first.
#[derive(Clone, Debug)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub has_more: bool,
}

/// Filters on the entries list.
#[derive(Clone, Debug, Default)]
pub struct EntryFilter {
    pub kind: Option<EntryKind>,
    pub product: Option<String>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

/// Why a page could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("page: `starting_after` names no item of this list")]
    UnknownCursor,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What `tally verify` found.
#[derive(Clone, Debug, Default)]
pub struct VerifyReport {
    pub accounts: u64,
    pub grants: u64,
    pub entries: u64,
    /// One line per difference, naming the account (and grant) it is on.
    pub problems: Vec<String>,
}

/// What [`SharedBatch::lock_loadable_accounts`] locked: the states of the accounts that
/// loaded, and those whose stored state did not (each with what is wrong with it).
#[derive(Debug, Default)]
pub struct Locked {
    pub states: Vec<AccountState>,
    pub unavailable: Vec<UnavailableAccount>,
}

/// An account whose stored state does not load (a row that does not decode, or a state that
/// breaks an invariant): locked, left alone, and reported instead of failing the batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnavailableAccount {
    pub account_id: String,
    /// What is wrong, for the log (never shown to a client).
    pub problem: String,
}

/// One batch's transaction on a store that several nodes share. The accounts it loads stay
/// locked until [`SharedBatch::commit`]; dropping it rolls back.
pub trait SharedBatch {
    /// Locks these accounts, in id order (so two nodes never deadlock), and loads their state.
    /// Ids with no account are locked too (so two nodes cannot create the same account) and
    /// left out of the result.
    fn lock_accounts(&mut self, account_ids: &[String]) -> Result<Vec<AccountState>, StoreError>;
    /// [`SharedBatch::lock_accounts`], except that an account whose stored state does not
    /// load is left out and reported in [`Locked::unavailable`] (still locked) instead of
    /// failing the call: one corrupt account does not stop the others of the batch (what the
    /// engine calls).
    fn lock_loadable_accounts(&mut self, account_ids: &[String]) -> Result<Locked, StoreError>;
    /// Locks and loads up to `limit` accounts whose due work (hold or grant expiry, activation,
    /// period end) falls at or before `now`, skipping those another node holds.
    fn claim_due(&mut self, now: Timestamp, limit: usize) -> Result<Vec<AccountState>, StoreError>;
    /// The stored answer to an idempotency key; the key stays locked until the batch ends, so
    /// two nodes never both execute it.
    fn idempotency(
        &mut self,
        scope: &str,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError>;
    /// [`SharedBatch::idempotency`] for several keys (`(scope, key)`) at once (what the engine
    /// calls): the stored answer to each, in the order given (a key given twice is answered
    /// twice). Every key stays locked until the batch ends; they are locked in key order,
    /// whatever the order given, so two nodes never deadlock over them.
    fn idempotency_keys(
        &mut self,
        keys: &[(String, String)],
    ) -> Result<Vec<Option<IdempotencyRecord>>, StoreError>;
    /// Writes the batch and commits.
    fn commit(self: Box<Self>, batch: &BatchWrite) -> Result<(), StoreError>;
}

/// What the engine needs of a store: the state to start from, durable commits, and the few
/// lookups of what was written before (idempotency records, holds, grants, keys, settings,
/// rate card versions). Writers are called only by the engine.
pub trait LedgerStore: Send + Sync + 'static {
    /// `Some` when several nodes may share this store: the engine then locks and loads the
    /// accounts of every batch instead of keeping them in memory. `None` (the default) for an
    /// embedded store the engine owns alone.
    fn begin_shared_batch(&self) -> Result<Option<Box<dyn SharedBatch + '_>>, StoreError> {
        Ok(None)
    }
    /// Whether [`LedgerStore::begin_shared_batch`] opens batches (several nodes may share the store).
    fn is_shared(&self) -> bool {
        false
    }
    /// Every account's live state (the embedded engine keeps them all in memory).
    fn load_states(&self) -> Result<Vec<AccountState>, StoreError>;
    /// The largest grant ordinal given so far.
    fn max_grant_ordinal(&self) -> Result<i64, StoreError>;
    /// Writes several batches, in order, in one durable transaction: all or none.
    fn commit_many(&self, batches: &[&BatchWrite]) -> Result<(), StoreError>;
    /// Writes a batch in one durable transaction.
    fn commit(&self, batch: &BatchWrite) -> Result<(), StoreError> {
        self.commit_many(&[batch])
    }
    fn idempotency(&self, scope: &str, key: &str) -> Result<Option<IdempotencyRecord>, StoreError>;
    fn meta(&self, key: &str) -> Result<Option<String>, StoreError>;
    fn grant(&self, id: &str) -> Result<Option<Grant>, StoreError>;
    fn hold(&self, id: &str) -> Result<Option<Hold>, StoreError>;
    fn purchase(&self, id: &str) -> Result<Option<Purchase>, StoreError>;
    /// The newest rate card version, if any.
    fn latest_rate_card_version(&self) -> Result<Option<i64>, StoreError>;
    fn api_key(&self, id: &str) -> Result<Option<ApiKeyRecord>, StoreError>;
    /// The portal link whose token hashes to `token_hash`, as committed.
    fn portal_link(&self, token_hash: &str) -> Result<Option<PortalLink>, StoreError>;
    /// A charge as written (what a refund of it starts from).
    fn charge_written(&self, id: &str) -> Result<Option<Charge>, StoreError>;
}

/// What readers need of a store: the resources as committed, pages of them, usage, and
/// `tally verify`. Nothing here writes.
pub trait ReadStore: Send + Sync + 'static {
    fn ping(&self) -> Result<(), StoreError>;
    fn account(&self, id: &str) -> Result<Option<AccountRow>, StoreError>;
    fn accounts(&self, page: &PageRequest) -> Result<Page<AccountRow>, PageError>;
    /// The grants of an account that count in its balance (active, with credits remaining).
    fn balance_grants(&self, account_id: &str) -> Result<Vec<Grant>, StoreError>;
    fn grants(
        &self,
        account_id: &str,
        status: Option<GrantStatus>,
        page: &PageRequest,
    ) -> Result<Page<Grant>, PageError>;
    /// Credits spent and actions taken on `account_id` in `[from, to)`, per group (days in
    /// UTC; [`Store::account_usage`] groups by the account's days).
    fn usage(
        &self,
        account_id: &str,
        from: Timestamp,
        to: Timestamp,
        group_by: &[UsageDimension],
    ) -> Result<Vec<(UsageGroup, UsageDelta)>, StoreError>;
    fn subscription(&self, account_id: &str) -> Result<Option<Subscription>, StoreError>;
    /// The account's current limits (none when never set or set empty) and their counters.
    fn limits(&self, account_id: &str) -> Result<LimitsRead, StoreError>;
    /// The account's auto top-up (none when never set, or removed).
    fn auto_topup(&self, account_id: &str) -> Result<Option<tally_core::AutoTopup>, StoreError>;
    /// An account's balance in one snapshot, with what it spent in `[window.0, window.1)`
    /// (`None`: no such account). Its cost does not grow with the account's history: the
    /// window's ends should be whole minutes, so the spending comes from the aggregates alone.
    fn balance(
        &self,
        account_id: &str,
        window: (Timestamp, Timestamp),
    ) -> Result<Option<BalanceRead>, StoreError>;
    /// An account's usage in one snapshot over the range `range` makes of its plan, per group
    /// (`None`: no such account).
    fn account_usage(
        &self,
        account_id: &str,
        range: UsageRangeOf,
        group_by: &[UsageDimension],
    ) -> Result<Option<UsageRead>, StoreError>;
    /// A rate card version.
    fn rate_card(&self, version: i64) -> Result<Option<RateCardRecord>, StoreError>;
    /// Every account's purchases, newest first; only those in `status` when it is given.
    fn all_purchases(
        &self,
        status: Option<PurchaseStatus>,
        page: &PageRequest,
    ) -> Result<Page<Purchase>, PageError>;
    /// An account's purchases, newest first; only those in `status` when it is given.
    fn purchases(
        &self,
        account_id: &str,
        status: Option<PurchaseStatus>,
        page: &PageRequest,
    ) -> Result<Page<Purchase>, PageError>;
    fn charge(&self, id: &str) -> Result<Option<Charge>, StoreError>;
    /// Whose hold `id` is (`None`: no such hold), read without decoding the rest of its row:
    /// a route that finds the hold damaged answers for its account, or not found to anyone
    /// else.
    fn hold_account(&self, id: &str) -> Result<Option<String>, StoreError>;
    /// An account's charges, newest first.
    fn charges(&self, account_id: &str, page: &PageRequest) -> Result<Page<Charge>, PageError>;
    /// An account's holds, newest first (by creation), optionally only those in `status`.
    fn holds(
        &self,
        account_id: &str,
        status: Option<HoldStatus>,
        page: &PageRequest,
    ) -> Result<Page<Hold>, PageError>;
    fn entries(
        &self,
        account_id: &str,
        filter: &EntryFilter,
        page: &PageRequest,
    ) -> Result<Page<Entry>, PageError>;
    /// Events, newest first, of one account or all, of one type or all.
    fn events(
        &self,
        filter: &EventFilter,
        page: &PageRequest,
    ) -> Result<Page<EventRecord>, PageError>;
    fn event(&self, id: &str) -> Result<Option<EventRecord>, StoreError>;
    fn api_key_by_hash(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>, StoreError>;
    fn api_keys(&self, account_id: &str) -> Result<Vec<ApiKeyRecord>, StoreError>;
    /// The audit log of admin actions, newest first.
    fn audit_log(&self, page: &PageRequest) -> Result<Page<AuditRecord>, PageError>;
    /// Recomputes every grant's remaining and reserved and every account's posted and held
    /// from the entries, and checks conservation.
    fn verify(&self) -> Result<VerifyReport, StoreError>;
}

/// A storage backend: what the engine needs, what readers need, and what the webhooks'
/// delivery side writes.
pub trait Store: LedgerStore + ReadStore + webhooks::WebhookStore {}

impl<T: LedgerStore + ReadStore + webhooks::WebhookStore + ?Sized> Store for T {}
