//! Rows to core types: the same columns and text forms as SQLite's, so both stores read alike.
//! A value that does not decode is `StoreError::Corrupt`, naming the column.

use postgres::Row;
use postgres::types::FromSql;
use tally_core::{
    Account, AccountTotals, Attribution, Charge, Entry, EntryKind, Grant, GrantLifecycle,
    GrantSource, Hold, HoldStatus, Millicredits, Subscription, SubscriptionStatus, Timestamp,
};
use tally_store::codec;
use tally_store::{
    AccountRow, ApiKeyRecord, IdempotencyRecord, PurchaseRecord, RateCardRecord, StoreError,
};

pub(crate) fn get<'a, T: FromSql<'a>>(row: &'a Row, column: &str) -> Result<T, StoreError> {
    row.try_get(column).map_err(|error| {
        let error = crate::pool::explain(&error);
        StoreError::Corrupt(format!("postgres: column {column}: {error}"))
    })
}

fn bad(column: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("postgres: unexpected {column} {value:?}"))
}

fn millicredits(row: &Row, column: &str) -> Result<Millicredits, StoreError> {
    Ok(Millicredits::new(get(row, column)?))
}

fn timestamp(row: &Row, column: &str) -> Result<Timestamp, StoreError> {
    Ok(Timestamp::from_micros(get(row, column)?))
}

fn optional_timestamp(row: &Row, column: &str) -> Result<Option<Timestamp>, StoreError> {
    Ok(get::<Option<i64>>(row, column)?.map(Timestamp::from_micros))
}

fn small(row: &Row, column: &str) -> Result<u32, StoreError> {
    let value: i64 = get(row, column)?;
    u32::try_from(value).map_err(|_| bad(column, &value.to_string()))
}

pub(crate) fn account_row(row: &Row) -> Result<AccountRow, StoreError> {
    Ok(AccountRow {
        account: Account {
            id: get(row, "id")?,
            name: get(row, "name")?,
            overdraft_limit: millicredits(row, "overdraft_limit")?,
            metadata: get(row, "metadata")?,
            created_at: timestamp(row, "created_at")?,
        },
        totals: AccountTotals {
            posted: millicredits(row, "posted")?,
            held: millicredits(row, "held")?,
            overdraft_remaining: millicredits(row, "overdraft_remaining")?,
            overdraft_reserved: millicredits(row, "overdraft_reserved")?,
        },
    })
}

pub(crate) fn grant_row(row: &Row) -> Result<Grant, StoreError> {
    let source: String = get(row, "source")?;
    let lifecycle: String = get(row, "lifecycle")?;
    Ok(Grant {
        id: get(row, "id")?,
        account_id: get(row, "account_id")?,
        amount: millicredits(row, "amount")?,
        remaining: millicredits(row, "remaining")?,
        reserved: millicredits(row, "reserved")?,
        source: GrantSource::parse(&source).ok_or_else(|| bad("source", &source))?,
        priority: get(row, "priority")?,
        effective_at: timestamp(row, "effective_at")?,
        expires_at: optional_timestamp(row, "expires_at")?,
        lifecycle: GrantLifecycle::parse(&lifecycle).ok_or_else(|| bad("lifecycle", &lifecycle))?,
        ordinal: get(row, "ordinal")?,
        created_at: timestamp(row, "created_at")?,
        description: get(row, "description")?,
        metadata: get(row, "metadata")?,
    })
}

fn attribution(row: &Row) -> Result<Attribution, StoreError> {
    Ok(Attribution {
        product: get(row, "product")?,
        member: get(row, "member")?,
        model: get(row, "model")?,
        action: get(row, "action")?,
        rate_card_version: get(row, "rate_card_version")?,
        quote_id: get(row, "quote_id")?,
    })
}

pub(crate) fn hold_row(row: &Row) -> Result<Hold, StoreError> {
    let status: String = get(row, "status")?;
    let reservations: String = get(row, "reservations")?;
    Ok(Hold {
        id: get(row, "id")?,
        account_id: get(row, "account_id")?,
        status: HoldStatus::parse(&status).ok_or_else(|| bad("status", &status))?,
        amount: millicredits(row, "amount")?,
        captured: millicredits(row, "captured")?,
        released: millicredits(row, "released")?,
        expires_at: timestamp(row, "expires_at")?,
        created_at: timestamp(row, "created_at")?,
        resolved_at: optional_timestamp(row, "resolved_at")?,
        attribution: attribution(row)?,
        description: get(row, "description")?,
        metadata: get(row, "metadata")?,
        reservations: codec::decode_reservations(&reservations)
            .ok_or_else(|| bad("reservations", &reservations))?,
        extra: get(row, "extra")?,
    })
}

pub(crate) fn charge_row(row: &Row) -> Result<Charge, StoreError> {
    let drawn: String = get(row, "drawn")?;
    Ok(Charge {
        id: get(row, "id")?,
        account_id: get(row, "account_id")?,
        amount: millicredits(row, "amount")?,
        drawn: codec::decode_drawn(&drawn).ok_or_else(|| bad("drawn", &drawn))?,
        overdraft: millicredits(row, "overdraft")?,
        available_after: millicredits(row, "available_after")?,
        attribution: attribution(row)?,
        description: get(row, "description")?,
        metadata: get(row, "metadata")?,
        created_at: timestamp(row, "created_at")?,
        extra: get(row, "extra")?,
    })
}

pub(crate) fn entry_row(row: &Row) -> Result<Entry, StoreError> {
    let kind: String = get(row, "type")?;
    let postings: String = get(row, "postings")?;
    Ok(Entry {
        id: get(row, "id")?,
        account_id: get(row, "account_id")?,
        kind: EntryKind::parse(&kind).ok_or_else(|| bad("type", &kind))?,
        amount: millicredits(row, "amount")?,
        held: millicredits(row, "held")?,
        grant_id: get(row, "grant_id")?,
        hold_id: get(row, "hold_id")?,
        charge_id: get(row, "charge_id")?,
        attribution: attribution(row)?,
        description: get(row, "description")?,
        created_at: timestamp(row, "created_at")?,
        postings: codec::decode_postings(&postings).ok_or_else(|| bad("postings", &postings))?,
    })
}

pub(crate) fn subscription_row(row: &Row) -> Result<Subscription, StoreError> {
    let status: String = get(row, "status")?;
    let grant_ids: String = get(row, "period_grant_ids")?;
    let next_period_seats: Option<i64> = get(row, "next_period_seats")?;
    Ok(Subscription {
        account_id: get(row, "account_id")?,
        plan_id: get(row, "plan_id")?,
        plan_name: get(row, "plan_name")?,
        credits_per_seat: millicredits(row, "credits_per_seat")?,
        seats: small(row, "seats")?,
        next_period_seats: next_period_seats.and_then(|seats| u32::try_from(seats).ok()),
        status: SubscriptionStatus::parse(&status).ok_or_else(|| bad("status", &status))?,
        anchor: timestamp(row, "anchor")?,
        period_index: small(row, "period_index")?,
        current_period_start: timestamp(row, "current_period_start")?,
        current_period_end: timestamp(row, "current_period_end")?,
        period_grant_ids: grant_ids
            .split(';')
            .filter(|id| !id.is_empty())
            .map(str::to_string)
            .collect(),
        created_at: timestamp(row, "created_at")?,
        canceled_at: optional_timestamp(row, "canceled_at")?,
    })
}

pub(crate) fn purchase_row(row: &Row) -> Result<PurchaseRecord, StoreError> {
    Ok(PurchaseRecord {
        id: get(row, "id")?,
        account_id: get(row, "account_id")?,
        pack_id: get(row, "pack_id")?,
        grant_id: get(row, "grant_id")?,
        credits: millicredits(row, "credits")?,
        price_usd: get(row, "price_usd")?,
        created_at: timestamp(row, "created_at")?,
    })
}

pub(crate) fn api_key_row(row: &Row) -> Result<ApiKeyRecord, StoreError> {
    Ok(ApiKeyRecord {
        id: get(row, "id")?,
        account_id: get(row, "account_id")?,
        key_hash: get(row, "key_hash")?,
        created_at: timestamp(row, "created_at")?,
        last_used_at: optional_timestamp(row, "last_used_at")?,
        revoked_at: optional_timestamp(row, "revoked_at")?,
    })
}

pub(crate) fn idempotency_row(row: &Row) -> Result<IdempotencyRecord, StoreError> {
    let status: i64 = get(row, "status")?;
    Ok(IdempotencyRecord {
        scope: get(row, "scope")?,
        key: get(row, "key")?,
        request_hash: get(row, "request_hash")?,
        status: u16::try_from(status).map_err(|_| bad("status", &status.to_string()))?,
        body: get(row, "body")?,
        created_at: timestamp(row, "created_at")?,
    })
}

pub(crate) fn rate_card_row(row: &Row) -> Result<RateCardRecord, StoreError> {
    Ok(RateCardRecord {
        version: get(row, "version")?,
        effective_at: timestamp(row, "effective_at")?,
        document: get(row, "document")?,
        created_at: timestamp(row, "created_at")?,
    })
}
