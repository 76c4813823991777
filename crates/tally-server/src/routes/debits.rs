//! Charges (one-step debits) and holds (reserve, then capture or void).

use axum::body::Body;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use tally_core::{Attribution, DebitSpec, Millicredits};

use crate::app::{AppState, json_response};
use crate::auth::Principal;
use crate::engine::Command;
use crate::error::ApiError;
use crate::json::{Fields, TEXT_BYTES_MAX};
use crate::render;

/// The default and the bounds of a hold's time to live (API.md).
pub const HOLD_TTL_SECONDS_DEFAULT: i64 = 600;
pub const HOLD_TTL_SECONDS_MIN: i64 = 1;
pub const HOLD_TTL_SECONDS_MAX: i64 = 86_400;

/// The amount of a debit (exactly one of `amount` and `usage`) and its attribution.
fn debit_spec(fields: &mut Fields) -> Result<DebitSpec, ApiError> {
    let amount = fields.positive_amount("amount")?;
    let has_usage = fields.has("usage");
    let amount = match (amount, has_usage) {
        (Some(_), true) => {
            return Err(ApiError::invalid_request(
                "usage",
                "send exactly one of `amount` and `usage`",
            ));
        }
        (Some(amount), false) => amount,
        (None, true) => {
            return Err(ApiError::invalid_request(
                "usage",
                "pricing by `usage` needs a rate card, which this server does not have yet; send `amount`",
            ));
        }
        (None, false) => {
            return Err(ApiError::invalid_request(
                "amount",
                "send exactly one of `amount` and `usage`",
            ));
        }
    };
    let attribution = Attribution {
        product: fields.string("product", TEXT_BYTES_MAX)?,
        member: fields.string("member", TEXT_BYTES_MAX)?,
        ..Attribution::default()
    };
    let description = fields.string("description", TEXT_BYTES_MAX)?;
    let metadata = fields.metadata("metadata")?;
    Ok(DebitSpec {
        amount,
        attribution,
        description,
        metadata,
        extra: None,
    })
}

pub async fn create_charge(
    State(state): State<AppState>,
    principal: Principal,
    Path(account_id): Path<String>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    principal.require_account(&account_id)?;
    let (value, idempotency) = state
        .read_body(&principal, &method, uri.path(), &headers, body)
        .await?;
    let mut fields = Fields::new(value)?;
    let spec = debit_spec(&mut fields)?;
    fields.finish()?;
    Ok(state
        .submit(Command::Charge { account_id, spec }, idempotency)
        .await)
}

pub async fn get_charge(
    State(state): State<AppState>,
    principal: Principal,
    Path(charge_id): Path<String>,
) -> Result<Response, ApiError> {
    let charge = state
        .store
        .charge(&charge_id)?
        .filter(|charge| principal.can_see(&charge.account_id));
    let charge = charge.ok_or(ApiError::NotFound { what: "charge" })?;
    Ok(json_response(
        StatusCode::OK,
        render::charge(&charge).to_string(),
    ))
}

pub async fn create_hold(
    State(state): State<AppState>,
    principal: Principal,
    Path(account_id): Path<String>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    principal.require_account(&account_id)?;
    let (value, idempotency) = state
        .read_body(&principal, &method, uri.path(), &headers, body)
        .await?;
    let mut fields = Fields::new(value)?;
    let spec = debit_spec(&mut fields)?;
    let ttl_seconds = fields
        .integer("ttl_seconds", HOLD_TTL_SECONDS_MIN, HOLD_TTL_SECONDS_MAX)?
        .unwrap_or(HOLD_TTL_SECONDS_DEFAULT);
    fields.finish()?;
    Ok(state
        .submit(
            Command::Hold {
                account_id,
                spec,
                ttl_seconds,
            },
            idempotency,
        )
        .await)
}

pub async fn get_hold(
    State(state): State<AppState>,
    principal: Principal,
    Path(hold_id): Path<String>,
) -> Result<Response, ApiError> {
    let hold = state
        .store
        .hold(&hold_id)?
        .filter(|hold| principal.can_see(&hold.account_id));
    let hold = hold.ok_or(ApiError::NotFound { what: "hold" })?;
    Ok(json_response(
        StatusCode::OK,
        render::hold(&hold).to_string(),
    ))
}

/// Another account's hold is not found, before anything about the request is looked at. (The
/// engine checks again when it applies the command.)
fn require_visible_hold(
    state: &AppState,
    principal: &Principal,
    hold_id: &str,
) -> Result<(), ApiError> {
    match state.store.hold(hold_id)? {
        Some(hold) if principal.can_see(&hold.account_id) => Ok(()),
        _ => Err(ApiError::NotFound { what: "hold" }),
    }
}

pub async fn capture_hold(
    State(state): State<AppState>,
    principal: Principal,
    Path(hold_id): Path<String>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    require_visible_hold(&state, &principal, &hold_id)?;
    let (value, idempotency) = state
        .read_body(&principal, &method, uri.path(), &headers, body)
        .await?;
    let mut fields = Fields::new(value)?;
    let amount: Option<Millicredits> = fields.non_negative_amount("amount")?;
    if fields.has("usage") {
        return Err(ApiError::invalid_request(
            "usage",
            "pricing by `usage` needs a rate card, which this server does not have yet; send `amount`",
        ));
    }
    fields.finish()?;
    let command = Command::Capture {
        hold_id,
        owner: principal.owner(),
        amount,
        extra: None,
    };
    Ok(state.submit(command, idempotency).await)
}

pub async fn void_hold(
    State(state): State<AppState>,
    principal: Principal,
    Path(hold_id): Path<String>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    require_visible_hold(&state, &principal, &hold_id)?;
    let (value, idempotency) = state
        .read_body(&principal, &method, uri.path(), &headers, body)
        .await?;
    Fields::new(value)?.finish()?;
    Ok(state
        .submit(
            Command::VoidHold {
                hold_id,
                owner: principal.owner(),
            },
            idempotency,
        )
        .await)
}
