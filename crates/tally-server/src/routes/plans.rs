//! Plans, subscriptions, and the credit packs on sale (their purchases: [`super::purchases`]).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::write::{
    Context, Decode, OwnAccount, Prepared, Target, Unkeyed, WriteRequest, WriteRoute,
    respond_prepared, run,
};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::json::Fields;
use crate::render::{self, credits, decimal_number};
use crate::reply::json_response;
use crate::state::AppState;
use tally_engine::Command;

/// The plans on sale.
pub fn plans_json(state: &AppState) -> Value {
    let plans: Vec<Value> = state
        .catalog
        .plans
        .iter()
        .map(|plan| {
            json!({
                "id": plan.id,
                "object": "plan",
                "name": plan.name,
                "credits_per_seat": credits(plan.credits_per_seat),
                "period": "month",
                "price_usd": decimal_number(&plan.price_usd),
                "rollover": false,
            })
        })
        .collect();
    Value::Array(plans)
}

/// The packs on sale.
pub fn packs_json(state: &AppState) -> Value {
    let packs: Vec<Value> = state
        .catalog
        .packs
        .iter()
        .map(|pack| {
            json!({
                "id": pack.id,
                "object": "pack",
                "name": pack.name,
                "credits": credits(pack.credits),
                "price_usd": decimal_number(&pack.price_usd),
                "expires_after_days": pack.expires_after_days,
            })
        })
        .collect();
    Value::Array(packs)
}

pub async fn list_plans(State(state): State<AppState>, _principal: Principal) -> Response {
    json_response(StatusCode::OK, plans_json(&state).to_string())
}

pub async fn list_packs(State(state): State<AppState>, _principal: Principal) -> Response {
    json_response(StatusCode::OK, packs_json(&state).to_string())
}

/// The body of `PUT /v1/accounts/{id}/subscription`.
pub struct SubscribeRequest {
    pub plan_id: String,
    pub seats: u32,
}

impl Decode for SubscribeRequest {
    type Target = OwnAccount;

    const FIELDS: &'static [&'static str] = &["plan", "seats"];

    fn schema() -> Value {
        use crate::schema::*;
        body(
            &["plan"],
            serde_json::json!({
                "plan": text(128),
                "seats": integer(1, i64::from(tally_core::ledger::SEATS_MAX)),
            }),
        )
    }

    fn decode(fields: &mut Fields, _: &Context<'_, OwnAccount>) -> Result<Self, ApiError> {
        let plan = fields.string("plan", 128)?;
        let plan_id = fields.required("plan", plan)?;
        let seats = fields
            .integer("seats", 1, i64::from(tally_core::ledger::SEATS_MAX))?
            .unwrap_or(1);
        Ok(SubscribeRequest {
            plan_id,
            seats: seats as u32,
        })
    }
}

/// `PUT /v1/accounts/{id}/subscription`.
pub struct Subscribe;

impl WriteRoute for Subscribe {
    type Body = SubscribeRequest;

    fn prepare(
        state: &AppState,
        _: &Principal,
        OwnAccount(account_id): OwnAccount,
        SubscribeRequest { plan_id, seats }: SubscribeRequest,
    ) -> Result<Prepared, ApiError> {
        if state.catalog.plan(&plan_id).is_none() {
            return Err(ApiError::invalid_request(
                "plan",
                format!("no plan {plan_id:?} in the catalog"),
            ));
        }
        Ok(Prepared::engine(Command::Subscribe {
            account_id,
            plan_id,
            seats,
        }))
    }
}

pub async fn put_subscription(
    State(state): State<AppState>,
    request: WriteRequest<SubscribeRequest>,
) -> Response {
    run::<Subscribe>(&state, request).await
}

pub async fn get_subscription(
    State(state): State<AppState>,
    principal: Principal,
    Path(account_id): Path<String>,
) -> Result<Response, ApiError> {
    principal.require_account(&account_id)?;
    let subscription = state.store.subscription(&account_id)?;
    let subscription = subscription.ok_or(ApiError::NotFound {
        what: "subscription",
    })?;
    Ok(json_response(
        StatusCode::OK,
        render::subscription(&subscription).to_string(),
    ))
}

/// `DELETE /v1/accounts/{id}/subscription` (it reads no body and takes no
/// `Idempotency-Key`).
pub struct CancelSubscription;

impl WriteRoute for CancelSubscription {
    type Body = Unkeyed<OwnAccount>;

    fn prepare(
        _: &AppState,
        _: &Principal,
        OwnAccount(account_id): OwnAccount,
        _: Unkeyed<OwnAccount>,
    ) -> Result<Prepared, ApiError> {
        Ok(Prepared::engine(Command::CancelSubscription { account_id }))
    }
}

pub async fn delete_subscription(
    State(state): State<AppState>,
    principal: Principal,
    actor: crate::auth::Actor,
    Path(account_id): Path<String>,
) -> Result<Response, ApiError> {
    let target = OwnAccount::resolve(Some(account_id), &state, &principal)?;
    let body = Unkeyed(std::marker::PhantomData);
    let prepared = CancelSubscription::prepare(&state, &principal, target, body)?;
    Ok(respond_prepared(&state, prepared, None, &actor).await)
}
