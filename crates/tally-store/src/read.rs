//! The [`Store`](crate::Store) readers, written once for every SQL store: the statements they
//! run (the same in SQLite and PostgreSQL but for how parameters are numbered, which the
//! [`Query`] builder does) and what the rows become. A store runs them on one of its
//! connections through [`RowSource`]; usage is in [`crate::usage`], `verify` in
//! [`crate::verify`].

use tally_core::{
    Charge, Entry, Grant, GrantStatus, Hold, HoldStatus, Millicredits, Purchase, PurchaseStatus,
    Subscription, Timestamp,
};

use crate::row::{ColumnReader, Fields, Query, RowSource, Value};
use crate::tables::{
    Table, accounts, api_keys, auto_topups, charges, entries, events, grants, holds, idempotency,
    portal_links, purchases, rate_cards, subscriptions,
};
use crate::{
    AccountRow, ApiKeyRecord, BalanceRead, EntryFilter, EventFilter, EventRecord,
    IdempotencyRecord, Page, PageError, PageRequest, RateCardRecord, StoreError, UsageDimension,
    UsageRead,
};

/// The first row `select` (`SELECT … WHERE column = `) gives for `key`.
fn lookup<S: RowSource, T>(
    db: &mut S,
    select: &str,
    key: Value<'_>,
    decode: impl Fn(&dyn ColumnReader) -> Result<T, StoreError>,
) -> Result<Option<T>, StoreError> {
    let mut query = Query::new(S::PARAMETER, select);
    query.bind(key);
    db.first(&query, decode)
}

/// The row of `table` whose `column` is `key`.
fn by_key<S: RowSource, T>(
    db: &mut S,
    table: &str,
    column: &str,
    key: Value<'_>,
    decode: impl Fn(&dyn ColumnReader) -> Result<T, StoreError>,
) -> Result<Option<T>, StoreError> {
    let select = format!("SELECT * FROM {table} WHERE {column} = ");
    lookup(db, &select, key, decode)
}

/// The row of `table` whose id is `id`.
fn by_id<S: RowSource, T>(
    db: &mut S,
    table: &Table,
    id: &str,
    decode: impl Fn(&dyn ColumnReader) -> Result<T, StoreError>,
) -> Result<Option<T>, StoreError> {
    by_key(db, table.name, "id", Value::Text(id), decode)
}

pub fn account<S: RowSource>(db: &mut S, id: &str) -> Result<Option<AccountRow>, StoreError> {
    by_id(db, &accounts::TABLE, id, accounts::decode)
}

pub fn grant<S: RowSource>(db: &mut S, id: &str) -> Result<Option<Grant>, StoreError> {
    by_id(db, &grants::TABLE, id, grants::decode)
}

pub fn hold<S: RowSource>(db: &mut S, id: &str) -> Result<Option<Hold>, StoreError> {
    by_id(db, &holds::TABLE, id, holds::decode)
}

/// The account of hold `id`, its one column read alone: whose hold it is, even when the rest
/// of its row does not decode.
pub fn hold_account<S: RowSource>(db: &mut S, id: &str) -> Result<Option<String>, StoreError> {
    let select = format!("SELECT account_id FROM {} WHERE id = ", holds::TABLE.name);
    lookup(db, &select, Value::Text(id), |row| {
        Fields::keyed(row, holds::TABLE.name, id.to_string()).text("account_id")
    })
}

pub fn charge<S: RowSource>(db: &mut S, id: &str) -> Result<Option<Charge>, StoreError> {
    by_id(db, &charges::TABLE, id, charges::decode)
}

pub fn subscription<S: RowSource>(
    db: &mut S,
    account_id: &str,
) -> Result<Option<Subscription>, StoreError> {
    let (table, key) = (subscriptions::TABLE.name, Value::Text(account_id));
    by_key(db, table, "account_id", key, subscriptions::decode)
}

/// The account's current limits (none when never set, or set empty) and their counters.
pub fn limits<S: RowSource>(
    db: &mut S,
    account_id: &str,
) -> Result<(Option<tally_core::LimitSet>, Vec<tally_core::LimitCounter>), StoreError> {
    let mut query = Query::new(S::PARAMETER, crate::tables::limits::CURRENT);
    query
        .push(" WHERE limits.account_id = ")
        .bind(Value::Text(account_id));
    let rows = db.rows(&query, crate::tables::limits::decode_limit)?;
    let set = crate::tables::limits::sets_of(rows).pop();
    let mut query = Query::new(
        S::PARAMETER,
        "SELECT * FROM limit_counters WHERE account_id = ",
    );
    query.bind(Value::Text(account_id));
    let counters = db.rows(&query, crate::tables::limits::decode_counter)?;
    Ok((set, counters))
}

/// The account's auto top-up, unless it was never set or was removed.
pub fn auto_topup<S: RowSource>(
    db: &mut S,
    account_id: &str,
) -> Result<Option<tally_core::AutoTopup>, StoreError> {
    let (table, key) = (auto_topups::TABLE.name, Value::Text(account_id));
    let topup = by_key(db, table, "account_id", key, auto_topups::decode)?;
    Ok(topup.filter(|topup| topup.status != tally_core::AutoTopupStatus::Disabled))
}

pub fn rate_card<S: RowSource>(
    db: &mut S,
    version: i64,
) -> Result<Option<RateCardRecord>, StoreError> {
    let (table, key) = (rate_cards::TABLE.name, Value::I64(version));
    by_key(db, table, "version", key, rate_cards::decode)
}

pub fn api_key<S: RowSource>(db: &mut S, id: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
    by_id(db, &api_keys::TABLE, id, api_keys::decode)
}

pub fn api_key_by_hash<S: RowSource>(
    db: &mut S,
    key_hash: &str,
) -> Result<Option<ApiKeyRecord>, StoreError> {
    let (table, key) = (api_keys::TABLE.name, Value::Text(key_hash));
    by_key(db, table, "key_hash", key, api_keys::decode)
}

pub fn portal_link<S: RowSource>(
    db: &mut S,
    token_hash: &str,
) -> Result<Option<tally_core::PortalLink>, StoreError> {
    let (table, key) = (portal_links::TABLE.name, Value::Text(token_hash));
    by_key(db, table, "token_hash", key, portal_links::decode)
}

pub fn idempotency<S: RowSource>(
    db: &mut S,
    scope: &str,
    key: &str,
) -> Result<Option<IdempotencyRecord>, StoreError> {
    let mut query = Query::new(S::PARAMETER, "SELECT * FROM idempotency WHERE scope = ");
    query
        .bind(Value::Text(scope))
        .push(" AND key = ")
        .bind(Value::Text(key));
    db.first(&query, idempotency::decode)
}

pub fn meta<S: RowSource>(db: &mut S, key: &str) -> Result<Option<String>, StoreError> {
    let select = "SELECT value FROM meta WHERE key = ";
    lookup(db, select, Value::Text(key), |row| {
        Fields::keyed(row, "meta", key.to_string()).text("value")
    })
}

/// The one row `sql`, an aggregate over `table`, gives.
fn aggregate<S: RowSource, T>(
    db: &mut S,
    table: &str,
    sql: &str,
    read: impl Fn(&Fields<'_>) -> Result<T, StoreError>,
) -> Result<Option<T>, StoreError> {
    let query = Query::new(S::PARAMETER, sql);
    db.first(&query, |row| read(&Fields::aggregate(row, table)))
}

/// The newest rate card version, if any.
pub fn latest_rate_card_version<S: RowSource>(db: &mut S) -> Result<Option<i64>, StoreError> {
    let sql = "SELECT MAX(version) AS version FROM rate_cards";
    let version = aggregate(db, rate_cards::TABLE.name, sql, |row| {
        row.opt_i64("version")
    })?;
    Ok(version.flatten())
}

/// The largest grant ordinal given so far (0 before the first grant).
pub fn max_grant_ordinal<S: RowSource>(db: &mut S) -> Result<i64, StoreError> {
    let sql = "SELECT COALESCE(MAX(ordinal), 0) AS ordinal FROM grants";
    let ordinal = aggregate(db, grants::TABLE.name, sql, |row| row.i64("ordinal"))?;
    Ok(ordinal.unwrap_or(0))
}

/// The grants of an account that count in its balance, in spending order.
pub fn balance_grants<S: RowSource>(
    db: &mut S,
    account_id: &str,
) -> Result<Vec<Grant>, StoreError> {
    let mut query = Query::new(S::PARAMETER, "SELECT * FROM grants WHERE account_id = ");
    query
        .bind(Value::Text(account_id))
        .push(" AND ((lifecycle = 'active' AND remaining > 0) OR reserved > 0)");
    let mut grants = db.rows(&query, grants::decode)?;
    grants.sort_by_key(Grant::spend_key);
    Ok(grants)
}

/// An account's balance and what it spent in `window` (run in one snapshot by the store).
pub fn balance<S: RowSource>(
    db: &mut S,
    account_id: &str,
    (from, to): (Timestamp, Timestamp),
) -> Result<Option<BalanceRead>, StoreError> {
    let Some(row) = account(db, account_id)? else {
        return Ok(None);
    };
    let grants = balance_grants(db, account_id)?;
    let subscription = subscription(db, account_id)?;
    let mut spent = Millicredits::ZERO;
    for (_, delta) in crate::usage::read(db, account_id, (from, to), &[], None)? {
        spent = spent
            .checked_add(delta.credits)
            .ok_or_else(|| StoreError::Corrupt(format!("usage of {account_id} overflows")))?;
    }
    Ok(Some(BalanceRead {
        row,
        grants,
        subscription,
        spent,
    }))
}

/// An account's usage over the range `range` makes of the account's time zone and plan (run
/// in one snapshot), with days in that time zone.
pub fn account_usage<S: RowSource>(
    db: &mut S,
    account_id: &str,
    range: &crate::UsageRangeFn,
    group_by: &[UsageDimension],
) -> Result<Option<UsageRead>, StoreError> {
    let Some(row) = account(db, account_id)? else {
        return Ok(None);
    };
    let subscription = subscription(db, account_id)?;
    let time_zone = row.account.settings.time_zone.clone();
    let zone = tally_core::zone::time_zone_or_utc(&time_zone);
    let (from, to) = range(&zone, subscription.as_ref());
    let local = (time_zone != "UTC").then_some(&zone);
    let groups = crate::usage::read(db, account_id, (from, to), group_by, local)?;
    Ok(Some(UsageRead {
        from,
        to,
        time_zone,
        groups,
    }))
}

/// An account's keys that are not revoked, newest first.
pub fn api_keys<S: RowSource>(
    db: &mut S,
    account_id: &str,
) -> Result<Vec<ApiKeyRecord>, StoreError> {
    let mut query = Query::new(S::PARAMETER, "SELECT * FROM api_keys WHERE account_id = ");
    query
        .bind(Value::Text(account_id))
        .push(" AND revoked_at IS NULL ORDER BY seq DESC");
    db.rows(&query, api_keys::decode)
}

/// One more condition on a page: SQL (` AND …`) and the value it compares with, if any.
pub(crate) struct Condition<'a> {
    pub(crate) sql: &'static str,
    pub(crate) value: Option<Value<'a>>,
}

/// The grant-status filter of the grants list.
pub fn grant_status_condition(status: Option<GrantStatus>) -> &'static str {
    match status {
        None => "",
        Some(GrantStatus::Pending) => " AND lifecycle = 'pending'",
        Some(GrantStatus::Active) => " AND lifecycle = 'active' AND remaining > 0",
        Some(GrantStatus::Depleted) => " AND lifecycle = 'active' AND remaining = 0",
        Some(GrantStatus::Expired) => " AND lifecycle = 'expired'",
        Some(GrantStatus::Voided) => " AND lifecycle = 'voided'",
    }
}

pub fn accounts<S: RowSource>(
    db: &mut S,
    page: &PageRequest,
) -> Result<Page<AccountRow>, PageError> {
    read_page(db, accounts::TABLE.name, None, &[], page, accounts::decode)
}

pub fn grants<S: RowSource>(
    db: &mut S,
    account_id: &str,
    status: Option<GrantStatus>,
    page: &PageRequest,
) -> Result<Page<Grant>, PageError> {
    let status = Condition {
        sql: grant_status_condition(status),
        value: None,
    };
    let table = grants::TABLE.name;
    read_page(db, table, Some(account_id), &[status], page, grants::decode)
}

pub fn purchase<S: RowSource>(db: &mut S, id: &str) -> Result<Option<Purchase>, StoreError> {
    by_id(db, &purchases::TABLE, id, purchases::decode)
}

pub fn purchases<S: RowSource>(
    db: &mut S,
    account_id: &str,
    status: Option<PurchaseStatus>,
    page: &PageRequest,
) -> Result<Page<Purchase>, PageError> {
    purchases_of(db, Some(account_id), status, page)
}

/// Purchases of one account, or of every account (`None`), newest first.
pub fn purchases_of<S: RowSource>(
    db: &mut S,
    account_id: Option<&str>,
    status: Option<PurchaseStatus>,
    page: &PageRequest,
) -> Result<Page<Purchase>, PageError> {
    let conditions: Vec<Condition> = status
        .map(|status| Condition {
            sql: " AND status = ",
            value: Some(Value::Text(status.as_str())),
        })
        .into_iter()
        .collect();
    let table = purchases::TABLE.name;
    read_page(db, table, account_id, &conditions, page, purchases::decode)
}

pub fn charges<S: RowSource>(
    db: &mut S,
    account_id: &str,
    page: &PageRequest,
) -> Result<Page<Charge>, PageError> {
    let table = charges::TABLE.name;
    read_page(db, table, Some(account_id), &[], page, charges::decode)
}

pub fn holds<S: RowSource>(
    db: &mut S,
    account_id: &str,
    status: Option<HoldStatus>,
    page: &PageRequest,
) -> Result<Page<Hold>, PageError> {
    let conditions: Vec<Condition<'_>> = status
        .map(|status| Condition {
            sql: " AND status = ",
            value: Some(Value::Text(status.as_str())),
        })
        .into_iter()
        .collect();
    let table = holds::TABLE.name;
    read_page(
        db,
        table,
        Some(account_id),
        &conditions,
        page,
        holds::decode,
    )
}

pub fn entries<S: RowSource>(
    db: &mut S,
    account_id: &str,
    filter: &EntryFilter,
    page: &PageRequest,
) -> Result<Page<Entry>, PageError> {
    let mut conditions = Vec::new();
    let mut compare = |sql, value| {
        conditions.push(Condition {
            sql,
            value: Some(value),
        });
    };
    if let Some(kind) = filter.kind {
        compare(" AND type = ", Value::Text(kind.as_str()));
    }
    if let Some(product) = &filter.product {
        compare(" AND product = ", Value::Text(product));
    }
    if let Some(from) = filter.from {
        compare(" AND created_at >= ", Value::I64(from.as_micros()));
    }
    if let Some(to) = filter.to {
        compare(" AND created_at < ", Value::I64(to.as_micros()));
    }
    let table = entries::TABLE.name;
    read_page(
        db,
        table,
        Some(account_id),
        &conditions,
        page,
        entries::decode,
    )
}

pub fn event<S: RowSource>(db: &mut S, id: &str) -> Result<Option<EventRecord>, StoreError> {
    by_id(db, &events::TABLE, id, events::decode)
}

/// Events, newest first, of one account or all, of one type or all.
pub fn events<S: RowSource>(
    db: &mut S,
    filter: &EventFilter,
    page: &PageRequest,
) -> Result<Page<EventRecord>, PageError> {
    let conditions: Vec<Condition<'_>> = filter
        .event_type
        .as_deref()
        .map(|event_type| Condition {
            sql: " AND type = ",
            value: Some(Value::Text(event_type)),
        })
        .into_iter()
        .collect();
    let account_id = filter.account_id.as_deref();
    let table = events::TABLE.name;
    read_page(db, table, account_id, &conditions, page, events::decode)
}

/// A page of `table` (of one account's rows, or all), newest first (by `seq`), after the row
/// with id `page.starting_after`.
pub(crate) fn read_page<S: RowSource, T>(
    db: &mut S,
    table: &str,
    account_id: Option<&str>,
    conditions: &[Condition<'_>],
    page: &PageRequest,
    decode: impl Fn(&dyn ColumnReader) -> Result<T, StoreError>,
) -> Result<Page<T>, PageError> {
    let cursor = match &page.starting_after {
        None => None,
        Some(id) => {
            let select = format!("SELECT seq FROM {table} WHERE id = ");
            let seq = lookup(db, &select, Value::Text(id), |row| {
                Fields::keyed(row, table, id.clone()).i64("seq")
            })?;
            Some(seq.ok_or(PageError::UnknownCursor)?)
        }
    };
    let mut query = Query::new(S::PARAMETER, &format!("SELECT * FROM {table} WHERE 1 = 1"));
    if let Some(account_id) = account_id {
        query
            .push(" AND account_id = ")
            .bind(Value::Text(account_id));
    }
    if let Some(seq) = cursor {
        query.push(" AND seq < ").bind(Value::I64(seq));
    }
    for condition in conditions {
        query.push(condition.sql);
        if let Some(value) = condition.value {
            query.bind(value);
        }
    }
    let rows_max = i64::try_from(page.limit.saturating_add(1)).unwrap_or(i64::MAX);
    query
        .push(" ORDER BY seq DESC LIMIT ")
        .bind(Value::I64(rows_max));
    let mut data = db.rows(&query, decode)?;
    let has_more = data.len() > page.limit;
    data.truncate(page.limit);
    Ok(Page { data, has_more })
}
