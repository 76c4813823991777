//! The cheaper choice on a refusal: a 402 `insufficient_credits` on a charge or hold priced
//! from `usage` lists the cheaper models for the same usage that would fit what the account
//! can spend (its available credits plus its overdraft room).

use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;
use tally_core::pricing::Usage;
use tally_core::{DebitSpec, Millicredits};

use crate::state::AppState;

/// The most bytes of a 402 body read back (a problem document is small).
const PROBLEM_BYTES_MAX: usize = 64 * 1024;

/// What a usage-priced debit needs to list its alternatives if it is refused.
pub struct UsageDebit {
    account_id: String,
    usage: Usage,
    version: i64,
    max: Millicredits,
}

impl UsageDebit {
    /// `None` for a debit of a plain `amount`.
    pub fn of(spec: &DebitSpec, account_id: &str) -> Option<UsageDebit> {
        let extra: Value = serde_json::from_str(spec.extra.as_deref()?).ok()?;
        let usage = Usage::from_json(extra.get("usage")?).ok()?;
        Some(UsageDebit {
            account_id: account_id.to_string(),
            usage,
            version: spec.attribution.rate_card_version?,
            max: spec.amount,
        })
    }
}

/// Adds `alternatives` to a 402 `insufficient_credits` answer; any other answer is returned
/// as it is.
pub async fn with_alternatives(
    state: &AppState,
    debit: Option<UsageDebit>,
    response: Response,
) -> Response {
    let Some(debit) = debit else {
        return response;
    };
    if response.status() != StatusCode::PAYMENT_REQUIRED {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, PROBLEM_BYTES_MAX).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let mut problem: Value = match serde_json::from_slice(&bytes) {
        Ok(problem) => problem,
        Err(_) => return Response::from_parts(parts, Body::from(bytes)),
    };
    if problem.get("code").and_then(Value::as_str) == Some("insufficient_credits")
        && let Some(alternatives) = alternatives(state, &debit)
    {
        problem["alternatives"] = alternatives;
        return Response::from_parts(parts, Body::from(problem.to_string()));
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// The alternatives that fit the account's room now (`None` if it cannot be read: the
/// refusal is answered without them).
fn alternatives(state: &AppState, debit: &UsageDebit) -> Option<Value> {
    let row = state.store.account(&debit.account_id).ok()??;
    let room = (row.totals.posted.get() - row.totals.held.get())
        .saturating_add(row.account.overdraft_limit.get());
    let room = Millicredits::new(room);
    let card = state.pricing.version(debit.version).ok()??;
    Some(crate::pricing::alternatives_json(
        &card,
        &debit.usage,
        debit.max,
        Some(room),
        None,
    ))
}
