//! Accounts, balances, grants and ledger entries.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use serde_json::Value;
use tally_core::{EntryKind, GrantSource, GrantSpec, GrantStatus, Millicredits};
use tally_store::EntryFilter;

use super::{known_query, page_request};
use crate::app::{AppState, json_response};
use crate::auth::Principal;
use crate::engine::Command;
use crate::error::ApiError;
use crate::json::{Fields, TEXT_BYTES_MAX};
use crate::render;

/// The longest account id.
pub const ACCOUNT_ID_BYTES_MAX: usize = 64;

/// Whether `id` is a valid client-chosen account id (`[A-Za-z0-9_.:-]{1,64}`).
pub fn is_valid_account_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= ACCOUNT_ID_BYTES_MAX
        && id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"_.:-".contains(&byte))
}

fn ok(body: Value) -> Response {
    json_response(StatusCode::OK, body.to_string())
}

pub async fn create_account(
    State(state): State<AppState>,
    principal: Principal,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    principal.require_admin()?;
    let (value, idempotency) = state
        .read_body(&principal, &method, uri.path(), &headers, body)
        .await?;
    let mut fields = Fields::new(value)?;
    let id = fields.string("id", ACCOUNT_ID_BYTES_MAX * 4)?;
    if let Some(id) = &id
        && !is_valid_account_id(id)
    {
        return Err(ApiError::invalid_request(
            "id",
            "id must match [A-Za-z0-9_.:-]{1,64}",
        ));
    }
    let name = fields.string("name", TEXT_BYTES_MAX)?;
    let overdraft_limit = fields
        .non_negative_amount("overdraft_limit")?
        .unwrap_or(Millicredits::ZERO);
    let metadata = fields.metadata("metadata")?;
    fields.finish()?;
    Ok(state
        .submit(
            Command::CreateAccount {
                id,
                name,
                overdraft_limit,
                metadata,
            },
            idempotency,
        )
        .await)
}

pub async fn list_accounts(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    principal.require_admin()?;
    known_query(&query, &["limit", "starting_after"])?;
    let page = state.store.accounts(&page_request(&query)?)?;
    let now = state.clock.now();
    let mut data = Vec::with_capacity(page.data.len());
    for row in page.data {
        let grants = state.store.balance_grants(&row.account.id)?;
        let subscription = state.store.subscription(&row.account.id)?;
        let balance = render::balance(
            &row.account,
            &row.totals,
            &grants,
            subscription.as_ref(),
            now,
        );
        data.push(render::account(&row.account, balance));
    }
    Ok(ok(render::list(data, page.has_more)))
}

fn read_balance(
    state: &AppState,
    account_id: &str,
) -> Result<(tally_core::Account, Value), ApiError> {
    let row = state
        .store
        .account(account_id)?
        .ok_or(ApiError::NotFound { what: "account" })?;
    let grants = state.store.balance_grants(account_id)?;
    let subscription = state.store.subscription(account_id)?;
    let balance = render::balance(
        &row.account,
        &row.totals,
        &grants,
        subscription.as_ref(),
        state.clock.now(),
    );
    Ok((row.account, balance))
}

pub async fn get_account(
    State(state): State<AppState>,
    principal: Principal,
    Path(account_id): Path<String>,
) -> Result<Response, ApiError> {
    principal.require_account(&account_id)?;
    let (account, balance) = read_balance(&state, &account_id)?;
    Ok(ok(render::account(&account, balance)))
}

pub async fn get_balance(
    State(state): State<AppState>,
    principal: Principal,
    Path(account_id): Path<String>,
) -> Result<Response, ApiError> {
    principal.require_account(&account_id)?;
    let (_, balance) = read_balance(&state, &account_id)?;
    Ok(ok(balance))
}

pub async fn create_grant(
    State(state): State<AppState>,
    principal: Principal,
    Path(account_id): Path<String>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    principal.require_admin()?;
    let (value, idempotency) = state
        .read_body(&principal, &method, uri.path(), &headers, body)
        .await?;
    let mut fields = Fields::new(value)?;
    let amount = fields.positive_amount("amount")?;
    let amount = fields.required("amount", amount)?;
    let source = match fields.string("source", 32)? {
        None => GrantSource::Promo,
        Some(text) => GrantSource::parse(&text).ok_or_else(|| {
            ApiError::invalid_request(
                "source",
                "source must be one of promo, adjustment, plan, pack",
            )
        })?,
    };
    let priority = fields
        .integer("priority", -1_000_000, 1_000_000)?
        .unwrap_or(0);
    let effective_at = fields.timestamp("effective_at")?;
    let expires_at = fields.timestamp("expires_at")?;
    let description = fields.string("description", TEXT_BYTES_MAX)?;
    let metadata = fields.metadata("metadata")?;
    fields.finish()?;
    let now = state.clock.now();
    if let Some(expires_at) = expires_at
        && (expires_at <= now
            || effective_at.is_some_and(|effective_at| expires_at <= effective_at))
    {
        return Err(ApiError::invalid_request(
            "expires_at",
            "expires_at must be in the future and after effective_at",
        ));
    }
    let spec = GrantSpec {
        amount,
        source,
        priority,
        effective_at,
        expires_at,
        description,
        metadata,
    };
    Ok(state
        .submit(Command::CreateGrant { account_id, spec }, idempotency)
        .await)
}

pub async fn list_grants(
    State(state): State<AppState>,
    principal: Principal,
    Path(account_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    principal.require_account(&account_id)?;
    known_query(&query, &["limit", "starting_after", "status"])?;
    let status = match query.get("status") {
        None => None,
        Some(text) => Some(GrantStatus::parse(text).ok_or_else(|| {
            ApiError::invalid_request(
                "status",
                "status must be pending, active, depleted, expired or voided",
            )
        })?),
    };
    let page = page_request(&query)?;
    state
        .store
        .account(&account_id)?
        .ok_or(ApiError::NotFound { what: "account" })?;
    let page = state.store.grants(&account_id, status, &page)?;
    Ok(ok(render::list(
        page.data.iter().map(render::grant).collect(),
        page.has_more,
    )))
}

pub async fn get_grant(
    State(state): State<AppState>,
    principal: Principal,
    Path(grant_id): Path<String>,
) -> Result<Response, ApiError> {
    let grant = state
        .store
        .grant(&grant_id)?
        .filter(|grant| principal.can_see(&grant.account_id));
    let grant = grant.ok_or(ApiError::NotFound { what: "grant" })?;
    Ok(ok(render::grant(&grant)))
}

pub async fn void_grant(
    State(state): State<AppState>,
    principal: Principal,
    Path(grant_id): Path<String>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    principal.require_admin()?;
    let (value, idempotency) = state
        .read_body(&principal, &method, uri.path(), &headers, body)
        .await?;
    Fields::new(value)?.finish()?;
    let response = state
        .submit(Command::VoidGrant { grant_id }, idempotency)
        .await;
    // A void answers the grant as it is now: 200, not 201.
    Ok(with_status(response, StatusCode::OK))
}

fn with_status(mut response: Response, status: StatusCode) -> Response {
    if response.status() == StatusCode::CREATED {
        *response.status_mut() = status;
    }
    response
}

pub async fn list_entries(
    State(state): State<AppState>,
    principal: Principal,
    Path(account_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    principal.require_account(&account_id)?;
    known_query(
        &query,
        &["limit", "starting_after", "type", "product", "from", "to"],
    )?;
    let page = page_request(&query)?;
    let kind = match query.get("type") {
        None => None,
        Some(text) => Some(EntryKind::parse(text).ok_or_else(|| {
            ApiError::invalid_request(
                "type",
                "type must be grant, charge, hold, capture, release, expire, void or adjustment",
            )
        })?),
    };
    let instant = |name: &str| -> Result<Option<tally_core::Timestamp>, ApiError> {
        match query.get(name) {
            None => Ok(None),
            Some(text) => render::parse_timestamp(text).map(Some).ok_or_else(|| {
                ApiError::invalid_request(name, format!("{name} must be an RFC 3339 instant"))
            }),
        }
    };
    let filter = EntryFilter {
        kind,
        product: query.get("product").cloned(),
        from: instant("from")?,
        to: instant("to")?,
    };
    state
        .store
        .account(&account_id)?
        .ok_or(ApiError::NotFound { what: "account" })?;
    let page = state.store.entries(&account_id, &filter, &page)?;
    Ok(ok(render::list(
        page.data.iter().map(render::entry).collect(),
        page.has_more,
    )))
}
