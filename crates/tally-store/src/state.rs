//! Accounts' live states from their rows, for every store: what the embedded engine keeps in
//! memory from the start, and what the shared store loads for each batch. A store selects the
//! rows (the predicates here say which: the same SQL in both dialects) and this builds the
//! states, so a corrupt state reads the same whatever the database.

use std::collections::HashMap;

use tally_core::{AccountState, AutoTopup, Grant, Hold, LimitCounter, Purchase, Subscription};

use crate::row::{Query, RowSource, corrupt};
use crate::tables::limits::{self, LimitRow};
use crate::tables::{accounts, auto_topups, grants, holds, purchases, subscriptions};
use crate::{AccountRow, StoreError};

/// The grants that can still change (the rest are final): what a state holds. SQLite's and
/// PostgreSQL's `grants_live` index has this very predicate.
pub const LIVE_GRANTS: &str =
    "lifecycle = 'pending' OR (lifecycle = 'active' AND remaining > 0) OR reserved > 0";

/// The holds a state holds.
pub const PENDING_HOLDS: &str = "status = 'pending'";

/// Every account's state, in the order the accounts were created.
pub fn load_all<S: RowSource>(db: &mut S) -> Result<Vec<AccountState>, StoreError> {
    let select = |sql: &str| Query::new(S::PARAMETER, sql);
    let accounts = db.rows(
        &select("SELECT * FROM accounts ORDER BY seq"),
        accounts::decode,
    )?;
    let grants = db.rows(
        &select(&format!("SELECT * FROM grants WHERE {LIVE_GRANTS}")),
        grants::decode,
    )?;
    let holds = db.rows(
        &select(&format!("SELECT * FROM holds WHERE {PENDING_HOLDS}")),
        holds::decode,
    )?;
    let subscriptions = db.rows(
        &select("SELECT * FROM subscriptions"),
        subscriptions::decode,
    )?;
    let purchases = db.rows(
        &select(&format!(
            "SELECT * FROM purchases WHERE {}",
            purchases::PENDING
        )),
        purchases::decode,
    )?;
    let topups = db.rows(
        &select(&format!(
            "SELECT * FROM auto_topups WHERE {}",
            auto_topups::KEPT
        )),
        auto_topups::decode,
    )?;
    let limit_rows = db.rows(&select(limits::CURRENT), limits::decode_limit)?;
    let counters = db.rows(
        &select("SELECT * FROM limit_counters"),
        limits::decode_counter,
    )?;
    let kept = Kept {
        topups,
        limits: limit_rows,
        counters,
    };
    assemble(accounts, grants, holds, subscriptions, purchases, kept)
}

/// What a state keeps besides its balance: the auto top-up, the limits and their counters.
#[derive(Default)]
pub struct Kept {
    pub topups: Vec<AutoTopup>,
    pub limits: Vec<LimitRow>,
    pub counters: Vec<LimitCounter>,
}

/// The states of these accounts, from their rows and those of their live grants, pending holds
/// subscriptions and pending purchases (rows of other accounts are left out).
pub fn assemble(
    accounts: Vec<AccountRow>,
    grants: Vec<Grant>,
    holds: Vec<Hold>,
    subscriptions: Vec<Subscription>,
    purchases: Vec<Purchase>,
    kept: Kept,
) -> Result<Vec<AccountState>, StoreError> {
    let mut limit_sets: HashMap<String, tally_core::LimitSet> = limits::sets_of(kept.limits)
        .into_iter()
        .map(|set| (set.account_id.clone(), set))
        .collect();
    let mut counters_by_account = by_account(kept.counters, |counter| &counter.account_id);
    let mut topups: HashMap<String, AutoTopup> = kept
        .topups
        .into_iter()
        .map(|topup| (topup.account_id.clone(), topup))
        .collect();
    let mut grants_by_account = by_account(grants, |grant| &grant.account_id);
    let mut holds_by_account = by_account(holds, |hold| &hold.account_id);
    let mut purchases_by_account = by_account(purchases, |purchase| &purchase.account_id);
    let mut subscriptions: HashMap<String, Subscription> = subscriptions
        .into_iter()
        .map(|subscription| (subscription.account_id.clone(), subscription))
        .collect();
    // Sized once: a million states are 0.3 GiB, and a list that doubles to hold them copies
    // them and briefly holds both.
    let mut states = Vec::with_capacity(accounts.len());
    for row in accounts {
        states.push({
            let id = row.account.id.clone();
            let grants = grants_by_account.remove(&id).unwrap_or_default();
            let holds = holds_by_account.remove(&id).unwrap_or_default();
            let mut state = AccountState::restore(row.account, row.totals, grants, holds)
                .map_err(|problem| corrupt(accounts::TABLE.name, Some(&id), problem))?;
            if let Some(subscription) = subscriptions.remove(&id) {
                state.restore_subscription(subscription);
            }
            if let Some(purchases) = purchases_by_account.remove(&id) {
                state.restore_purchases(purchases);
            }
            if let Some(topup) = topups.remove(&id) {
                state.restore_auto_topup(topup);
            }
            if let Some(set) = limit_sets.remove(&id) {
                let counters = counters_by_account.remove(&id).unwrap_or_default();
                state.restore_limits(set, counters);
            }
            state
                .check()
                .map_err(|problem| corrupt(accounts::TABLE.name, Some(&id), problem))?;
            state
        });
    }
    Ok(states)
}

/// `items` by the account they are on, in their order. Each list starts with room for one:
/// most accounts have one grant, and a list's first push would make room for four (a state
/// keeps its list, so that was 528 bytes an account for nothing: 0.5 GiB with a million).
fn by_account<T>(items: Vec<T>, account: fn(&T) -> &String) -> HashMap<String, Vec<T>> {
    let mut by_account: HashMap<String, Vec<T>> = HashMap::new();
    for item in items {
        by_account
            .entry(account(&item).clone())
            .or_insert_with(|| Vec::with_capacity(1))
            .push(item);
    }
    by_account
}
