//! The engine's answers as HTTP responses: the status and body of each outcome, the renderer
//! the engine keeps idempotent answers with, and engine errors as API errors. The engine
//! decides; this is where its decisions get their HTTP shape.

use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tally_core::{AccountTotals, HoldStatus};
use tally_engine::{Answer, Outcome, RenderedAnswer, Renderer, Reply, StoredAnswer};

use crate::error::ApiError;
use crate::render;

/// The status of a successful answer: 201 for what a command created, 200 otherwise.
pub fn outcome_status(outcome: &Outcome) -> StatusCode {
    match outcome {
        Outcome::Account(_)
        | Outcome::Grant(_)
        | Outcome::Charge(_)
        | Outcome::ApiKey { .. }
        | Outcome::Purchase { opened: true, .. }
        | Outcome::Refund(_)
        | Outcome::PortalLink { .. } => StatusCode::CREATED,
        Outcome::Hold(hold) if hold.status == HoldStatus::Pending => StatusCode::CREATED,
        Outcome::Hold(_)
        | Outcome::Purchase { opened: false, .. }
        | Outcome::ApiKeyRevoked(_)
        | Outcome::Subscription(_)
        | Outcome::AutoTopup { .. }
        | Outcome::RateCard(_)
        | Outcome::Clock(_)
        | Outcome::Nothing
        | Outcome::HoldChanged(_)
        | Outcome::AccountUpdated { .. }
        | Outcome::Limits(_)
        | Outcome::PortalLinkRedeemed(_) => StatusCode::OK,
    }
}

/// The body of a successful answer (with a new key's secret, the one time it is shown).
pub fn outcome_body(outcome: &Outcome) -> Value {
    match outcome {
        Outcome::Account(account) => {
            // A new account: no grants, nothing posted.
            let balance = render::balance(
                account,
                &AccountTotals::default(),
                &[],
                None,
                account.created_at,
            );
            render::account(account, balance)
        }
        Outcome::Grant(grant) => render::grant(grant),
        Outcome::Charge(charge) => render::charge(charge),
        Outcome::Hold(hold) => render::hold(hold),
        Outcome::ApiKey { record, secret } => render::api_key(record, Some(secret)),
        Outcome::ApiKeyRevoked(record) => render::api_key(record, None),
        Outcome::Subscription(subscription) => render::subscription(subscription),
        Outcome::AutoTopup { topup, removed } => render::auto_topup(topup, *removed),
        Outcome::Purchase {
            purchase, grant, ..
        } => render::purchase(purchase, grant.as_deref()),
        Outcome::RateCard(card) => tally_core::pricing::to_json(card),
        Outcome::Clock(now) => json!({"now": render::instant(*now)}),
        Outcome::Nothing => json!({}),
        Outcome::HoldChanged(hold) => render::hold(hold),
        Outcome::Refund(refund) => render::refund(refund),
        Outcome::PortalLink { link, url } => render::portal_session(link, Some(url)),
        Outcome::PortalLinkRedeemed(link) => render::portal_session(link, None),
        Outcome::AccountUpdated {
            account,
            totals,
            grants,
            subscription,
            at,
        } => {
            let balance = render::balance(account, totals, grants, subscription.as_deref(), *at);
            render::account(account, balance)
        }
        Outcome::Limits(statuses) => render::limits(statuses),
    }
}

/// Renders the answer of a keyed request, and what to keep of it for replays: never a
/// secret.
fn render_for_replay(outcome: &Outcome) -> RenderedAnswer {
    let answer = StoredAnswer {
        status: outcome_status(outcome).as_u16(),
        body: outcome_body(outcome).to_string(),
    };
    let kept_body = match outcome {
        Outcome::ApiKey { record, .. } => Some(render::api_key(record, None).to_string()),
        Outcome::PortalLink { link, .. } => Some(render::portal_session(link, None).to_string()),
        _ => None,
    };
    RenderedAnswer { answer, kept_body }
}

/// The renderer handed to the engine at start.
pub fn renderer() -> Renderer {
    Arc::new(render_for_replay)
}

/// A JSON response.
pub fn json_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// A successful answer as a response (with `Idempotent-Replayed` on a replay).
pub fn answer_response(answer: Answer) -> Response {
    match answer {
        Answer::Done(outcome) => {
            json_response(outcome_status(&outcome), outcome_body(&outcome).to_string())
        }
        Answer::Recorded { answer, .. } => stored_response(answer),
        Answer::Replayed(answer) => {
            let mut response = stored_response(answer);
            response
                .headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            response
        }
    }
}

fn stored_response(answer: StoredAnswer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    json_response(status, answer.body)
}

/// The engine's reply as the parts of a response: its status, its JSON body (a problem
/// document for a refusal) and whether it replays a key's first answer.
pub fn reply_parts(reply: Reply) -> (StatusCode, String, bool) {
    let stored = |answer: StoredAnswer| {
        let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
        (status, answer.body)
    };
    match reply {
        Ok(Answer::Done(outcome)) => (
            outcome_status(&outcome),
            outcome_body(&outcome).to_string(),
            false,
        ),
        Ok(Answer::Recorded { answer, .. }) => {
            let (status, body) = stored(answer);
            (status, body, false)
        }
        Ok(Answer::Replayed(answer)) => {
            let (status, body) = stored(answer);
            (status, body, true)
        }
        Err(error) => {
            let error = ApiError::from(error);
            (error.status(), error.body().to_string(), false)
        }
    }
}

/// The engine's reply as a response.
pub fn respond(reply: Reply) -> Response {
    match reply {
        Ok(answer) => answer_response(answer),
        Err(error) => ApiError::from(error).into_response(),
    }
}
