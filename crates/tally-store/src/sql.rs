//! The readers' side of a SQL store, written once: a store that runs tally-store's readers on
//! a reader connection of its own implements [`SqlReads`], and so [`ReadStore`]. Each store
//! says how it reaches a connection; what is read, and how, is here.

use tally_core::usage::UsageDelta;
use tally_core::{
    Charge, Entry, Grant, GrantStatus, Hold, HoldStatus, Purchase, PurchaseStatus, Subscription,
    Timestamp,
};

use crate::row::RowSource;
use crate::{
    AccountRow, ApiKeyRecord, BalanceRead, EntryFilter, EventFilter, EventRecord, Page, PageError,
    PageRequest, RateCardRecord, ReadStore, StoreError, UsageDimension, UsageGroup, UsageRangeOf,
    UsageRead, VerifyReport,
};

/// How a SQL store runs a reader. The readers are `'static` closures (a store may run them on
/// a connection pool's thread, and again on a new connection if the first one broke).
pub trait SqlReads: Send + Sync + 'static {
    /// A reader connection, as a source of rows.
    type Source<'a>: RowSource;

    /// Runs one of tally-store's readers on a reader connection.
    fn read<T: Send + 'static>(
        &self,
        read: impl Fn(&mut Self::Source<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError>;

    /// Runs one of tally-store's readers in one read transaction: every statement it runs
    /// sees the same committed state (one reply, one snapshot).
    fn snapshot<T: Send + 'static>(
        &self,
        read: impl Fn(&mut Self::Source<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError>;

    /// Runs a page reader (an unknown cursor is an answer, not a failure to retry).
    fn read_page<T: Send + 'static>(
        &self,
        read: impl Fn(&mut Self::Source<'_>) -> Result<Page<T>, PageError> + Send + 'static,
    ) -> Result<Page<T>, PageError> {
        self.read(move |db| match read(db) {
            Err(PageError::Store(error)) => Err(error),
            answer => Ok(answer),
        })?
    }

    /// `tally verify` over the whole store, as the store best runs it (in one snapshot).
    fn verify_all(&self) -> Result<VerifyReport, StoreError>;
}

impl<S: SqlReads> ReadStore for S {
    fn ping(&self) -> Result<(), StoreError> {
        self.read(|db| db.each("SELECT 1", &[], &mut |_| Ok(())))
    }

    fn account(&self, id: &str) -> Result<Option<AccountRow>, StoreError> {
        let id = id.to_string();
        self.read(move |db| crate::read::account(db, &id))
    }

    fn accounts(&self, page: &PageRequest) -> Result<Page<AccountRow>, PageError> {
        let page = page.clone();
        self.read_page(move |db| crate::read::accounts(db, &page))
    }

    fn balance_grants(&self, account_id: &str) -> Result<Vec<Grant>, StoreError> {
        let account_id = account_id.to_string();
        self.read(move |db| crate::read::balance_grants(db, &account_id))
    }

    fn grants(
        &self,
        account_id: &str,
        status: Option<GrantStatus>,
        page: &PageRequest,
    ) -> Result<Page<Grant>, PageError> {
        let (account_id, page) = (account_id.to_string(), page.clone());
        self.read_page(move |db| crate::read::grants(db, &account_id, status, &page))
    }

    fn usage(
        &self,
        account_id: &str,
        from: Timestamp,
        to: Timestamp,
        group_by: &[UsageDimension],
    ) -> Result<Vec<(UsageGroup, UsageDelta)>, StoreError> {
        let (account_id, group_by) = (account_id.to_string(), group_by.to_vec());
        self.read(move |db| crate::usage::read(db, &account_id, (from, to), &group_by, None))
    }

    fn auto_topup(&self, account_id: &str) -> Result<Option<tally_core::AutoTopup>, StoreError> {
        let account_id = account_id.to_string();
        self.read(move |db| crate::read::auto_topup(db, &account_id))
    }

    fn limits(&self, account_id: &str) -> Result<crate::LimitsRead, StoreError> {
        let account_id = account_id.to_string();
        self.read(move |db| crate::read::limits(db, &account_id))
    }

    fn subscription(&self, account_id: &str) -> Result<Option<Subscription>, StoreError> {
        let account_id = account_id.to_string();
        self.read(move |db| crate::read::subscription(db, &account_id))
    }

    fn balance(
        &self,
        account_id: &str,
        window: (Timestamp, Timestamp),
    ) -> Result<Option<BalanceRead>, StoreError> {
        let account_id = account_id.to_string();
        self.snapshot(move |db| crate::read::balance(db, &account_id, window))
    }

    fn account_usage(
        &self,
        account_id: &str,
        range: UsageRangeOf,
        group_by: &[UsageDimension],
    ) -> Result<Option<UsageRead>, StoreError> {
        let (account_id, group_by) = (account_id.to_string(), group_by.to_vec());
        self.snapshot(move |db| crate::read::account_usage(db, &account_id, &*range, &group_by))
    }

    fn rate_card(&self, version: i64) -> Result<Option<RateCardRecord>, StoreError> {
        self.read(move |db| crate::read::rate_card(db, version))
    }

    fn all_purchases(
        &self,
        status: Option<PurchaseStatus>,
        page: &PageRequest,
    ) -> Result<Page<Purchase>, PageError> {
        let page = page.clone();
        self.read_page(move |db| crate::read::purchases_of(db, None, status, &page))
    }

    fn purchases(
        &self,
        account_id: &str,
        status: Option<PurchaseStatus>,
        page: &PageRequest,
    ) -> Result<Page<Purchase>, PageError> {
        let (account_id, page) = (account_id.to_string(), page.clone());
        self.read_page(move |db| crate::read::purchases(db, &account_id, status, &page))
    }

    fn charge(&self, id: &str) -> Result<Option<Charge>, StoreError> {
        let id = id.to_string();
        self.read(move |db| crate::read::charge(db, &id))
    }

    fn hold_account(&self, id: &str) -> Result<Option<String>, StoreError> {
        let id = id.to_string();
        self.read(move |db| crate::read::hold_account(db, &id))
    }

    fn charges(&self, account_id: &str, page: &PageRequest) -> Result<Page<Charge>, PageError> {
        let (account_id, page) = (account_id.to_string(), page.clone());
        self.read_page(move |db| crate::read::charges(db, &account_id, &page))
    }

    fn holds(
        &self,
        account_id: &str,
        status: Option<HoldStatus>,
        page: &PageRequest,
    ) -> Result<Page<Hold>, PageError> {
        let (account_id, page) = (account_id.to_string(), page.clone());
        self.read_page(move |db| crate::read::holds(db, &account_id, status, &page))
    }

    fn entries(
        &self,
        account_id: &str,
        filter: &EntryFilter,
        page: &PageRequest,
    ) -> Result<Page<Entry>, PageError> {
        let (account_id, filter, page) = (account_id.to_string(), filter.clone(), page.clone());
        self.read_page(move |db| crate::read::entries(db, &account_id, &filter, &page))
    }

    fn events(
        &self,
        filter: &EventFilter,
        page: &PageRequest,
    ) -> Result<Page<EventRecord>, PageError> {
        let (filter, page) = (filter.clone(), page.clone());
        self.read_page(move |db| crate::read::events(db, &filter, &page))
    }

    fn event(&self, id: &str) -> Result<Option<EventRecord>, StoreError> {
        let id = id.to_string();
        self.read(move |db| crate::read::event(db, &id))
    }

    fn api_key_by_hash(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        let key_hash = key_hash.to_string();
        self.read(move |db| crate::read::api_key_by_hash(db, &key_hash))
    }

    fn api_keys(&self, account_id: &str) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let account_id = account_id.to_string();
        self.read(move |db| crate::read::api_keys(db, &account_id))
    }

    fn audit_log(&self, page: &PageRequest) -> Result<Page<crate::AuditRecord>, PageError> {
        let page = page.clone();
        self.read_page(move |db| crate::tables::audit::read_page(db, &page))
    }

    fn verify(&self) -> Result<VerifyReport, StoreError> {
        self.verify_all()
    }
}
