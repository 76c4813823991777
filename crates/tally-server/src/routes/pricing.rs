//! Quotes (the cost, shown before the user commits) and the rate card.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};
use tally_core::Millicredits;
use tally_core::pricing::{self, Usage};

use super::known_query;
use crate::app::{AppState, json_response};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::json::{Fields, read_json};
use crate::pricing::{QUOTE_TTL_SECONDS, document_error, pricing_error, usage_error};
use crate::render::{self, credits};
use tally_engine::Command;

/// The body limit of `PUT /v1/rate-card` (API.md: 16 MiB).
pub const RATE_CARD_BODY_BYTES_MAX: usize = 16 * 1024 * 1024;

pub async fn create_quote(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let value = read_json(&headers, body, crate::json::BODY_BYTES_MAX).await?;
    let mut fields = Fields::new(value)?;
    let usage_value = fields.take("usage");
    let account_id = fields.string("account_id", 256)?;
    fields.finish()?;
    // A quote made with an account key is that account's, named or not.
    let account_id = match (account_id, principal.owner()) {
        (Some(account_id), _) => {
            principal.require_account(&account_id)?;
            Some(account_id)
        }
        (None, owner) => owner,
    };
    let usage_value =
        usage_value.ok_or_else(|| ApiError::invalid_request("usage", "`usage` is required"))?;
    if !usage_value.is_object() {
        return Err(ApiError::invalid_json(
            Some("usage"),
            "`usage` must be an object",
        ));
    }
    let usage = Usage::from_json(&usage_value).map_err(|error| usage_error(error, "usage."))?;
    let card = state.pricing.current()?;
    let price = pricing::price(&card, &usage).map_err(|error| pricing_error(error, "usage."))?;
    let account = match &account_id {
        None => None,
        Some(account_id) => {
            let row = state
                .store
                .account(account_id)?
                .ok_or(ApiError::NotFound { what: "account" })?;
            let available = row.totals.posted.get() - row.totals.held.get();
            let after = available - price.max().get();
            Some(json!({
                "id": account_id,
                "available": credits(Millicredits::new(available)),
                "affordable": after >= -row.account.overdraft_limit.get(),
                "available_after": credits(Millicredits::new(after)),
            }))
        }
    };
    let now = state.clock.now();
    let expires_at = now.plus_seconds(QUOTE_TTL_SECONDS);
    let id = state
        .pricing
        .quote_id(card.version(), expires_at, account_id.as_deref());
    let mut body = json!({
        "id": id,
        "object": "quote",
        "usage": usage.to_json(),
        "cost": {"min": credits(price.min()), "max": credits(price.max())},
        "exact": price.min() == price.max(),
        "lines": crate::pricing::numeric_lines(price.lines_json()),
        "rate_card_version": card.version(),
        "created_at": render::instant(now),
        "expires_at": render::instant(expires_at),
    });
    if let Some(account) = account {
        body["account"] = account;
    }
    Ok(json_response(StatusCode::OK, body.to_string()))
}

pub async fn get_rate_card(
    State(state): State<AppState>,
    _principal: Principal,
) -> Result<Response, ApiError> {
    let card = state.pricing.current()?;
    Ok(json_response(
        StatusCode::OK,
        pricing::to_json(&card).to_string(),
    ))
}

pub async fn get_rate_card_version(
    State(state): State<AppState>,
    _principal: Principal,
    Path(version): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    known_query(&query, &[])?;
    let not_found = || ApiError::NotFound {
        what: "rate card version",
    };
    let version: i64 = version.parse().map_err(|_| not_found())?;
    let card = state.pricing.version(version)?.ok_or_else(not_found)?;
    Ok(json_response(
        StatusCode::OK,
        pricing::to_json(&card).to_string(),
    ))
}

pub async fn put_rate_card(
    State(state): State<AppState>,
    principal: Principal,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    principal.require_admin()?;
    let (value, idempotency) = state
        .read_body_limited(
            &principal,
            &method,
            uri.path(),
            &headers,
            body,
            RATE_CARD_BODY_BYTES_MAX,
        )
        .await?;
    let document = pricing::parse_document_value(&value).map_err(document_error)?;
    let response = state
        .submit(Command::PutRateCard { document }, idempotency)
        .await;
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, RATE_CARD_BODY_BYTES_MAX * 2)
        .await
        .map_err(|_| ApiError::Internal)?;
    if parts.status.is_success() {
        // This node prices with the new version at once; other nodes within a second.
        if let Ok(card) = pricing::parse_card(&String::from_utf8_lossy(&bytes)) {
            state.pricing.installed(card);
        }
    }
    Ok(Response::from_parts(parts, Body::from(bytes)))
}

/// The current rate card's items, for clients that list what can be priced.
pub fn items_summary(card: &pricing::RateCard) -> Value {
    Value::Array(
        card.items()
            .iter()
            .map(|item| json!({"action": item.action().as_str(), "model": item.model()}))
            .collect(),
    )
}
