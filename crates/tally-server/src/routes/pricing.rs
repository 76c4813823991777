//! Quotes (the cost, shown before the user commits: of one usage, or of a workflow run's list
//! of them) and the rate card.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};
use tally_core::Millicredits;
use tally_core::pricing::{self, Usage};

use super::known_query;
use super::write::{
    Admin, AnyKey, Context, Decode, Prepared, RequestBody, WriteRequest, WriteRoute, run,
};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::json::Fields;
use crate::pricing::{QUOTE_TTL_SECONDS, document_error, pricing_error, usage_error};
use crate::render::{self, credits};
use crate::reply::json_response;
use crate::state::AppState;
use crate::workflow;
use tally_engine::Command;

/// The body limit of `PUT /v1/rate-card` (API.md: 16 MiB).
pub const RATE_CARD_BODY_BYTES_MAX: usize = 16 * 1024 * 1024;

/// The body of `POST /v1/quotes`.
pub struct QuoteRequest {
    pub usage: Option<Value>,
    pub account_id: Option<String>,
    /// Whether to list the cheaper models for the same usage (default false).
    pub alternatives: bool,
}

impl Decode for QuoteRequest {
    type Target = AnyKey;

    // A quote changes nothing: there is nothing to replay.
    const IDEMPOTENT: bool = false;

    const FIELDS: &'static [&'static str] = &["usage", "account_id", "alternatives"];

    fn schema() -> Value {
        use crate::schema::*;
        body(
            &["usage"],
            json!({
                "usage": usage_or_run(),
                "account_id": text(256),
                "alternatives": boolean(),
            }),
        )
    }

    fn decode(fields: &mut Fields, _: &Context<'_, AnyKey>) -> Result<Self, ApiError> {
        Ok(QuoteRequest {
            usage: fields.take("usage"),
            account_id: fields.string("account_id", 256)?,
            alternatives: fields.boolean("alternatives")?.unwrap_or(false),
        })
    }
}

/// `POST /v1/quotes`: answered here, without the engine.
pub struct CreateQuote;

impl WriteRoute for CreateQuote {
    type Body = QuoteRequest;

    fn prepare(
        state: &AppState,
        principal: &Principal,
        _: AnyKey,
        body: QuoteRequest,
    ) -> Result<Prepared, ApiError> {
        Ok(Prepared::Answered {
            status: StatusCode::OK,
            body: quote(state, principal, body)?.to_string(),
        })
    }
}

pub async fn create_quote(
    State(state): State<AppState>,
    request: WriteRequest<QuoteRequest>,
) -> Response {
    run::<CreateQuote>(&state, request).await
}

/// What a quote priced: one usage, or a workflow run's list of them.
enum Quoted<'card> {
    One(Box<(Usage, pricing::Price<'card>)>),
    Run(workflow::PricedRun<'card>),
}

/// A quote's body.
fn quote(
    state: &AppState,
    principal: &Principal,
    QuoteRequest {
        usage: usage_value,
        account_id,
        alternatives,
    }: QuoteRequest,
) -> Result<Value, ApiError> {
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
    let card = state.pricing.current()?;
    // One usage, or a workflow run's list of them (its cost the sum of its steps').
    let quoted = match &usage_value {
        Value::Object(_) => {
            let usage =
                Usage::from_json(&usage_value).map_err(|error| usage_error(error, "usage."))?;
            let price =
                pricing::price(&card, &usage).map_err(|error| pricing_error(error, "usage."))?;
            Quoted::One(Box::new((usage, price)))
        }
        Value::Array(_) => {
            if alternatives {
                return Err(ApiError::invalid_request(
                    "alternatives",
                    "alternatives are listed for one usage, not for a list",
                ));
            }
            let steps = workflow::read_steps(&usage_value)?;
            Quoted::Run(workflow::price_run(&card, steps)?)
        }
        _ => {
            return Err(ApiError::invalid_json(
                Some("usage"),
                "`usage` must be an object, or a list of them",
            ));
        }
    };
    let (cost_min, cost_max) = match &quoted {
        Quoted::One(one) => (one.1.min(), one.1.max()),
        Quoted::Run(run) => (run.min, run.max),
    };
    // What the account can spend (available plus overdraft room), for `affordable`.
    let mut room = None;
    let account = match &account_id {
        None => None,
        Some(account_id) => {
            let row = state
                .store
                .account(account_id)?
                .ok_or(ApiError::NotFound { what: "account" })?;
            let subscription = state.store.subscription(account_id)?;
            let available = row.totals.posted.get() - row.totals.held.get();
            let after = available - cost_max.get();
            room = Some(Millicredits::new(
                available.saturating_add(row.account.overdraft_limit.get()),
            ));
            Some(json!({
                "id": account_id,
                "available": credits(Millicredits::new(available)),
                "affordable": after >= -row.account.overdraft_limit.get(),
                "available_after": credits(Millicredits::new(after)),
                "next_reset": render::next_reset(subscription.as_ref()),
            }))
        }
    };
    let now = state.clock.now();
    let expires_at = now.plus_seconds(QUOTE_TTL_SECONDS);
    // The usage as the answer shows it, read once for the id and the body.
    let usage_json = match &quoted {
        Quoted::One(one) => one.0.to_json(),
        Quoted::Run(run) => run.usage_json(),
    };
    let quoted_usage = match &quoted {
        Quoted::One(_) => crate::quote_id::Quoted::Usage(usage_json.clone()),
        Quoted::Run(_) => crate::quote_id::Quoted::Run {
            digest: crate::quote_id::run_digest(&usage_json),
        },
    };
    let id = state.pricing.quote_id(
        card.version(),
        expires_at,
        account_id.as_deref(),
        quoted_usage,
    );
    let mut body = json!({
        "id": id,
        "object": "quote",
        "cost": {"min": credits(cost_min), "max": credits(cost_max)},
        "exact": cost_min == cost_max,
        "rate_card_version": card.version(),
        "created_at": render::instant(now),
        "expires_at": render::instant(expires_at),
    });
    if let Some(account) = account {
        body["account"] = account;
    }
    body["usage"] = usage_json;
    match &quoted {
        Quoted::One(one) => {
            let (usage, price) = &**one;
            body["lines"] = crate::pricing::numeric_lines(price.lines_json());
            if alternatives {
                body["alternatives"] =
                    crate::pricing::alternatives_json(&card, usage, cost_max, None, room);
            }
        }
        Quoted::Run(run) => {
            body["items"] = run.items_json();
        }
    }
    Ok(body)
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

/// The body of `PUT /v1/rate-card`: a rate card document, read whole by its own parser.
pub struct PutRateCardRequest {
    pub document: pricing::RateCardDocument,
}

impl RequestBody for PutRateCardRequest {
    type Target = Admin;

    const BODY_BYTES_MAX: usize = RATE_CARD_BODY_BYTES_MAX;

    const FIELDS: &'static [&'static str] =
        &["version", "effective_at", "credits_per_usd", "items"];

    fn schema() -> Value {
        crate::schema::reference("RateCardDocument")
    }

    fn from_json(value: Value, _: &Context<'_, Admin>) -> Result<Self, ApiError> {
        let document = pricing::parse_document_value(&value).map_err(document_error)?;
        Ok(PutRateCardRequest { document })
    }
}

pub async fn put_rate_card(
    State(state): State<AppState>,
    WriteRequest {
        idempotency,
        actor,
        body: PutRateCardRequest { document },
        ..
    }: WriteRequest<PutRateCardRequest>,
) -> Result<Response, ApiError> {
    let response = state
        .submit_by(
            Command::PutRateCard { document },
            idempotency,
            actor.as_deref(),
        )
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
