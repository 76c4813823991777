//! Charges (one-step debits) and holds (reserve, then capture or void).

use axum::body::Body;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use tally_core::{Attribution, DebitSpec, Millicredits};

use crate::app::{AppState, json_response};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::json::{Fields, TEXT_BYTES_MAX};
use crate::pricing::price_usage;
use crate::render;
use tally_engine::Command;

/// The default and the bounds of a hold's time to live (API.md).
pub const HOLD_TTL_SECONDS_DEFAULT: i64 = 600;
pub const HOLD_TTL_SECONDS_MIN: i64 = 1;
pub const HOLD_TTL_SECONDS_MAX: i64 = 86_400;

/// What a debit is for: a charge must be exact, a hold may have upper bounds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum DebitKind {
    Charge,
    Hold,
}

/// The amount of a debit (exactly one of `amount` and `usage`; a `usage` is priced by the
/// rate card, or by the version a `quote_id` pinned) and its attribution.
fn debit_spec(
    state: &AppState,
    fields: &mut Fields,
    account_id: &str,
    kind: DebitKind,
) -> Result<DebitSpec, ApiError> {
    let amount = fields.positive_amount("amount")?;
    let usage = fields.take("usage");
    let quote_id = fields.string("quote_id", 256)?;
    let product = fields.string("product", TEXT_BYTES_MAX)?;
    let member = fields.string("member", TEXT_BYTES_MAX)?;
    let description = fields.string("description", TEXT_BYTES_MAX)?;
    let metadata = fields.metadata("metadata")?;
    let pinned_version = match &quote_id {
        Some(quote_id) => Some(state.pricing.check_quote(
            quote_id,
            account_id,
            state.clock.now(),
        )?),
        None => None,
    };
    let (amount, attribution, extra) = match (amount, usage) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid_request(
                "usage",
                "send exactly one of `amount` and `usage`",
            ));
        }
        (None, None) => {
            return Err(ApiError::invalid_request(
                "amount",
                "send exactly one of `amount` and `usage`",
            ));
        }
        (Some(amount), None) => {
            let attribution = Attribution {
                product,
                member,
                quote_id,
                ..Attribution::default()
            };
            (amount, attribution, None)
        }
        (None, Some(usage)) => {
            let priced = price_usage(
                &state.pricing,
                &usage,
                pinned_version,
                quote_id,
                product,
                member,
            )?;
            if kind == DebitKind::Charge && priced.min != priced.max {
                return Err(ApiError::invalid_request(
                    "usage.max_output_tokens",
                    "a charge needs the exact usage (output_tokens); hold with max_output_tokens, then capture",
                ));
            }
            (priced.max, priced.attribution, Some(priced.extra))
        }
    };
    Ok(DebitSpec {
        amount,
        attribution,
        description,
        metadata,
        extra,
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
    let spec = debit_spec(&state, &mut fields, &account_id, DebitKind::Charge)?;
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
    let spec = debit_spec(&state, &mut fields, &account_id, DebitKind::Hold)?;
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
) -> Result<tally_core::Hold, ApiError> {
    match state.store.hold(hold_id)? {
        Some(hold) if principal.can_see(&hold.account_id) => Ok(hold),
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
    let hold = require_visible_hold(&state, &principal, &hold_id)?;
    let (value, idempotency) = state
        .read_body(&principal, &method, uri.path(), &headers, body)
        .await?;
    let mut fields = Fields::new(value)?;
    let amount: Option<Millicredits> = fields.non_negative_amount("amount")?;
    let usage = fields.take("usage");
    fields.finish()?;
    let (amount, extra) = match (amount, usage) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid_request(
                "usage",
                "send at most one of `amount` and `usage`",
            ));
        }
        (amount, None) => (amount, None),
        (None, Some(usage)) => {
            // The actual usage, priced by the rate card version the hold pinned.
            let version = hold.attribution.rate_card_version;
            let priced = price_usage(
                &state.pricing,
                &usage,
                version,
                hold.attribution.quote_id.clone(),
                None,
                None,
            )?;
            if priced.min != priced.max {
                return Err(ApiError::invalid_request(
                    "usage.max_output_tokens",
                    "a capture needs the actual usage (output_tokens), not an upper bound",
                ));
            }
            // Keep what the hold was made for, and add what was captured.
            let mut extra = hold
                .extra
                .as_deref()
                .and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok())
                .filter(serde_json::Value::is_object)
                .unwrap_or_else(|| serde_json::json!({}));
            let captured: serde_json::Value =
                serde_json::from_str(&priced.extra).unwrap_or_default();
            extra["captured_usage"] = captured["usage"].clone();
            extra["captured_lines"] = captured["lines"].clone();
            (Some(priced.max), Some(extra.to_string()))
        }
    };
    let command = Command::Capture {
        hold_id,
        owner: principal.owner(),
        amount,
        extra,
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
