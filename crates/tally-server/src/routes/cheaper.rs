//! The cheaper choice on a refusal: a 402 `insufficient_credits` on a charge or hold priced
//! from `usage` lists the cheaper models for the same usage that would fit what the account
//! can spend (its available credits plus its overdraft room).

use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;
use tally_core::pricing::Usage;
use tally_core::{DebitSpec, Millicredits};
use tally_engine::Command;

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

    /// The same for a command (a charge or a hold of `POST /v1/batch`).
    pub fn of_command(command: &Command) -> Option<UsageDebit> {
        match command {
            Command::Charge { account_id, spec }
            | Command::Hold {
                account_id, spec, ..
            } => UsageDebit::of(spec, account_id),
            _ => None,
        }
    }
}

/// A problem body with `alternatives` added when it is a 402 `insufficient_credits` (`None`:
/// the body stays as it is).
pub fn problem_with_alternatives(
    state: &AppState,
    debit: &UsageDebit,
    status: StatusCode,
    body: &[u8],
) -> Option<String> {
    if status != StatusCode::PAYMENT_REQUIRED {
        return None;
    }
    let mut problem: Value = serde_json::from_slice(body).ok()?;
    if problem.get("code").and_then(Value::as_str) != Some("insufficient_credits") {
        return None;
    }
    problem["alternatives"] = alternatives(state, debit)?;
    Some(problem.to_string())
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
    match problem_with_alternatives(state, &debit, parts.status, &bytes) {
        Some(problem) => Response::from_parts(parts, Body::from(problem)),
        None => Response::from_parts(parts, Body::from(bytes)),
    }
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
