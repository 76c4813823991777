//! An account's charges and holds as lists (API.md's list conventions: `limit`,
//! `starting_after`, `{data, has_more}`, newest first), so a backend that restarts can find
//! its pending holds (`?status=pending`) and what it charged.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use tally_core::HoldStatus;

use super::{known_query, page_request};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::render;
use crate::reply::json_response;
use crate::state::AppState;

/// `GET /v1/accounts/{id}/charges`.
pub async fn list_charges(
    State(state): State<AppState>,
    principal: Principal,
    Path(account_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    principal.require_account(&account_id)?;
    known_query(&query, &["limit", "starting_after"])?;
    let page = page_request(&query)?;
    require_account_exists(&state, &account_id)?;
    let page = state
        .store
        .charges(&account_id, &page)
        .map_err(|error| ApiError::from(error).for_account(&account_id))?;
    let body = render::list(
        page.data.iter().map(render::charge).collect(),
        page.has_more,
    );
    Ok(json_response(StatusCode::OK, body.to_string()))
}

/// `GET /v1/accounts/{id}/holds?status=`.
pub async fn list_holds(
    State(state): State<AppState>,
    principal: Principal,
    Path(account_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    principal.require_account(&account_id)?;
    known_query(&query, &["limit", "starting_after", "status"])?;
    let status = match query.get("status") {
        None => None,
        Some(text) => Some(HoldStatus::parse(text).ok_or_else(|| {
            ApiError::invalid_request(
                "status",
                format!("status must be pending, captured, voided or expired, not {text:?}"),
            )
        })?),
    };
    let page = page_request(&query)?;
    require_account_exists(&state, &account_id)?;
    let page = state
        .store
        .holds(&account_id, status, &page)
        .map_err(|error| ApiError::from(error).for_account(&account_id))?;
    let body = render::list(page.data.iter().map(render::hold).collect(), page.has_more);
    Ok(json_response(StatusCode::OK, body.to_string()))
}

fn require_account_exists(state: &AppState, account_id: &str) -> Result<(), ApiError> {
    state
        .store
        .account(account_id)?
        .map(|_| ())
        .ok_or(ApiError::NotFound { what: "account" })
}
