//! Auto top-up (admin): `PUT`, `GET`, `DELETE /v1/accounts/{id}/auto-topup`. The engine
//! decides each top-up inside the debit that crosses the threshold; this only sets, shows and
//! removes the settings.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use tally_engine::Command;

use super::write::{
    AdminOn, Context, Decode, Prepared, Target, Unkeyed, WriteRequest, WriteRoute,
    respond_prepared, run,
};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::json::Fields;
use crate::render;
use crate::reply::json_response;
use crate::state::AppState;

/// The most top-up purchases a month may allow.
pub const MONTHLY_MAX_LIMIT: i64 = 1_000;
/// The longest cooldown: 31 days.
pub const COOLDOWN_SECONDS_MAX: i64 = 31 * 86_400;
/// Defaults (API.md).
pub const MONTHLY_MAX_DEFAULT: i64 = 4;
pub const COOLDOWN_SECONDS_DEFAULT: i64 = 600;

/// The body of `PUT /v1/accounts/{id}/auto-topup`.
pub struct AutoTopupRequest {
    pub pack_id: String,
    pub threshold: tally_core::Millicredits,
    pub monthly_max: u32,
    pub cooldown_seconds: i64,
    pub complete: bool,
}

impl Decode for AutoTopupRequest {
    type Target = AdminOn;

    const FIELDS: &'static [&'static str] = &[
        "pack",
        "threshold",
        "monthly_max",
        "cooldown_seconds",
        "complete",
    ];

    fn schema() -> serde_json::Value {
        use crate::schema::*;
        body(
            &["pack", "threshold"],
            serde_json::json!({
                "pack": text(128),
                "threshold": credits_in(false),
                "monthly_max": integer(1, MONTHLY_MAX_LIMIT),
                "cooldown_seconds": integer(0, COOLDOWN_SECONDS_MAX),
                "complete": boolean(),
            }),
        )
    }

    fn decode(fields: &mut Fields, context: &Context<'_, AdminOn>) -> Result<Self, ApiError> {
        let pack = fields.string("pack", 128)?;
        let pack_id = fields.required("pack", pack)?;
        if context.state.catalog.pack(&pack_id).is_none() {
            return Err(ApiError::invalid_request(
                "pack",
                format!("no pack {pack_id:?} in the catalog (GET /v1/packs lists them)"),
            ));
        }
        let threshold = fields.non_negative_amount("threshold")?;
        let threshold = fields.required("threshold", threshold)?;
        let monthly_max = fields
            .integer("monthly_max", 1, MONTHLY_MAX_LIMIT)?
            .unwrap_or(MONTHLY_MAX_DEFAULT);
        let cooldown_seconds = fields
            .integer("cooldown_seconds", 0, COOLDOWN_SECONDS_MAX)?
            .unwrap_or(COOLDOWN_SECONDS_DEFAULT);
        let complete = fields.boolean("complete")?.unwrap_or(false);
        Ok(AutoTopupRequest {
            pack_id,
            threshold,
            monthly_max: u32::try_from(monthly_max).expect("topup: bounded above"),
            cooldown_seconds,
            complete,
        })
    }
}

/// `PUT /v1/accounts/{id}/auto-topup`.
pub struct PutAutoTopup;

impl WriteRoute for PutAutoTopup {
    type Body = AutoTopupRequest;

    fn prepare(
        _: &AppState,
        _: &Principal,
        AdminOn(account_id): AdminOn,
        body: AutoTopupRequest,
    ) -> Result<Prepared, ApiError> {
        Ok(Prepared::engine(Command::PutAutoTopup {
            account_id,
            pack_id: body.pack_id,
            threshold: body.threshold,
            monthly_max: body.monthly_max,
            cooldown_seconds: body.cooldown_seconds,
            complete: body.complete,
        }))
    }
}

pub async fn put_auto_topup(
    State(state): State<AppState>,
    request: WriteRequest<AutoTopupRequest>,
) -> Response {
    run::<PutAutoTopup>(&state, request).await
}

/// `DELETE /v1/accounts/{id}/auto-topup`.
pub struct DeleteAutoTopup;

impl WriteRoute for DeleteAutoTopup {
    type Body = Unkeyed<AdminOn>;

    fn prepare(
        _: &AppState,
        _: &Principal,
        AdminOn(account_id): AdminOn,
        _: Unkeyed<AdminOn>,
    ) -> Result<Prepared, ApiError> {
        Ok(Prepared::engine(Command::DeleteAutoTopup { account_id }))
    }
}

pub async fn delete_auto_topup(
    State(state): State<AppState>,
    principal: Principal,
    actor: crate::auth::Actor,
    Path(account_id): Path<String>,
) -> Result<Response, ApiError> {
    let target = AdminOn::resolve(Some(account_id), &state, &principal)?;
    let body = Unkeyed(std::marker::PhantomData);
    let prepared = DeleteAutoTopup::prepare(&state, &principal, target, body)?;
    Ok(respond_prepared(&state, prepared, None, &actor).await)
}

pub async fn get_auto_topup(
    State(state): State<AppState>,
    principal: Principal,
    Path(account_id): Path<String>,
) -> Result<Response, ApiError> {
    principal.require_admin()?;
    state
        .store
        .account(&account_id)?
        .ok_or(ApiError::NotFound { what: "account" })?;
    let topup = state
        .store
        .auto_topup(&account_id)?
        .ok_or(ApiError::NotFound {
            what: "auto top-up",
        })?;
    Ok(json_response(
        StatusCode::OK,
        render::auto_topup(&topup, false).to_string(),
    ))
}
