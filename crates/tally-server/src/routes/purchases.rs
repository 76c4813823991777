//! Credit pack purchases and their payment: an account's own key can only open a `pending`
//! purchase (no credits); the platform's backend (an admin key) completes it when the payment
//! arrives, or fails or cancels it. Only a completion grants the pack's credits.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use tally_core::{Purchase, PurchaseEnd, PurchaseStatus};
use tally_engine::Command;

use super::write::{
    AdminOn, Context, Decode, Empty, OwnAccount, Prepared, WriteRequest, WriteRoute, run,
};
use super::{known_query, page_request};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::json::Fields;
use crate::render;
use crate::reply::json_response;
use crate::state::AppState;

/// The body of `POST /v1/accounts/{id}/purchases`.
pub struct PurchaseRequest {
    pub pack_id: String,
    /// Whether the platform was paid already (admin keys only; default `true` for them).
    pub complete: Option<bool>,
}

impl Decode for PurchaseRequest {
    type Target = OwnAccount;

    const FIELDS: &'static [&'static str] = &["pack", "complete"];

    fn schema() -> serde_json::Value {
        use crate::schema::*;
        body(
            &["pack"],
            serde_json::json!({
                "pack": text(128),
                "complete": boolean(),
            }),
        )
    }

    fn decode(fields: &mut Fields, context: &Context<'_, OwnAccount>) -> Result<Self, ApiError> {
        let pack = fields.string("pack", 128)?;
        let pack_id = fields.required("pack", pack)?;
        if context.state.catalog.pack(&pack_id).is_none() {
            return Err(ApiError::invalid_request(
                "pack",
                format!("no pack {pack_id:?} in the catalog (GET /v1/packs lists them)"),
            ));
        }
        let complete = fields.boolean("complete")?;
        Ok(PurchaseRequest { pack_id, complete })
    }
}

/// `POST /v1/accounts/{id}/purchases`: with an account key always `pending`, whatever the
/// body says; with an admin key completed at once unless `complete: false`.
pub struct CreatePurchase;

impl WriteRoute for CreatePurchase {
    type Body = PurchaseRequest;

    fn prepare(
        _: &AppState,
        principal: &Principal,
        OwnAccount(account_id): OwnAccount,
        PurchaseRequest { pack_id, complete }: PurchaseRequest,
    ) -> Result<Prepared, ApiError> {
        let paid = matches!(principal, Principal::Admin) && complete.unwrap_or(true);
        Ok(Prepared::engine(Command::Purchase {
            account_id,
            pack_id,
            paid,
        }))
    }
}

pub async fn create_purchase(
    State(state): State<AppState>,
    request: WriteRequest<PurchaseRequest>,
) -> Response {
    run::<CreatePurchase>(&state, request).await
}

/// The body of `POST /v1/purchases/{id}/complete`.
pub struct CompleteRequest {
    pub payment_reference: Option<String>,
}

impl Decode for CompleteRequest {
    type Target = AdminOn;

    const FIELDS: &'static [&'static str] = &["payment_reference"];

    fn schema() -> serde_json::Value {
        use crate::schema::*;
        body(&[], serde_json::json!({ "payment_reference": text(255) }))
    }

    fn decode(fields: &mut Fields, _: &Context<'_, AdminOn>) -> Result<Self, ApiError> {
        let payment_reference = fields.string("payment_reference", 255)?;
        Ok(CompleteRequest { payment_reference })
    }
}

/// `POST /v1/purchases/{id}/complete`: the payment arrived; the pack's grant, exactly once.
pub struct CompletePurchase;

impl WriteRoute for CompletePurchase {
    type Body = CompleteRequest;

    fn prepare(
        _: &AppState,
        _: &Principal,
        AdminOn(purchase_id): AdminOn,
        CompleteRequest { payment_reference }: CompleteRequest,
    ) -> Result<Prepared, ApiError> {
        Ok(Prepared::engine(Command::CompletePurchase {
            purchase_id,
            payment_reference,
        }))
    }
}

pub async fn complete_purchase(
    State(state): State<AppState>,
    request: WriteRequest<CompleteRequest>,
) -> Response {
    run::<CompletePurchase>(&state, request).await
}

/// `POST /v1/purchases/{id}/fail`: the payment failed; no credits.
pub struct FailPurchase;

impl WriteRoute for FailPurchase {
    type Body = Empty<AdminOn>;

    fn prepare(
        _: &AppState,
        _: &Principal,
        AdminOn(purchase_id): AdminOn,
        _: Empty<AdminOn>,
    ) -> Result<Prepared, ApiError> {
        let end = PurchaseEnd::Failed;
        Ok(Prepared::engine(Command::EndPurchase { purchase_id, end }))
    }
}

pub async fn fail_purchase(
    State(state): State<AppState>,
    request: WriteRequest<Empty<AdminOn>>,
) -> Response {
    run::<FailPurchase>(&state, request).await
}

/// `POST /v1/purchases/{id}/cancel`: the buyer or the platform gave up; no credits.
pub struct CancelPurchase;

impl WriteRoute for CancelPurchase {
    type Body = Empty<AdminOn>;

    fn prepare(
        _: &AppState,
        _: &Principal,
        AdminOn(purchase_id): AdminOn,
        _: Empty<AdminOn>,
    ) -> Result<Prepared, ApiError> {
        let end = PurchaseEnd::Canceled;
        Ok(Prepared::engine(Command::EndPurchase { purchase_id, end }))
    }
}

pub async fn cancel_purchase(
    State(state): State<AppState>,
    request: WriteRequest<Empty<AdminOn>>,
) -> Response {
    run::<CancelPurchase>(&state, request).await
}

/// A purchase as the API shows it: with its grant as it is now, once it completed.
fn purchase_json(state: &AppState, purchase: &Purchase) -> Result<serde_json::Value, ApiError> {
    let grant = match &purchase.grant_id {
        Some(grant_id) => state.store.grant(grant_id)?,
        None => None,
    };
    Ok(render::purchase(purchase, grant.as_ref()))
}

/// `GET /v1/purchases/{id}`: another account's purchase is not found.
pub async fn get_purchase(
    State(state): State<AppState>,
    principal: Principal,
    Path(purchase_id): Path<String>,
) -> Result<Response, ApiError> {
    let purchase = state
        .store
        .purchase(&purchase_id)?
        .filter(|purchase| principal.can_see(&purchase.account_id))
        .ok_or(ApiError::NotFound { what: "purchase" })?;
    Ok(json_response(
        StatusCode::OK,
        purchase_json(&state, &purchase)?.to_string(),
    ))
}

/// The `status` filter of a purchases list.
fn status_filter(query: &HashMap<String, String>) -> Result<Option<PurchaseStatus>, ApiError> {
    match query.get("status") {
        None => Ok(None),
        Some(text) => PurchaseStatus::parse(text).map(Some).ok_or_else(|| {
            ApiError::invalid_request(
                "status",
                "status must be one of pending, completed, failed, canceled, expired",
            )
        }),
    }
}

/// `GET /v1/purchases?status=` (admin): every account's purchases, newest first (the
/// platform's view of what awaits payment).
pub async fn list_all_purchases(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    principal.require_admin()?;
    known_query(&query, &["limit", "starting_after", "status"])?;
    let page = page_request(&query)?;
    let status = status_filter(&query)?;
    let page = state.store.all_purchases(status, &page)?;
    let data = page
        .data
        .iter()
        .map(|purchase| purchase_json(&state, purchase))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json_response(
        StatusCode::OK,
        render::list(data, page.has_more).to_string(),
    ))
}

/// `GET /v1/accounts/{id}/purchases?status=`.
pub async fn list_purchases(
    State(state): State<AppState>,
    principal: Principal,
    Path(account_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    principal.require_account(&account_id)?;
    known_query(&query, &["limit", "starting_after", "status"])?;
    let page = page_request(&query)?;
    let status = status_filter(&query)?;
    state
        .store
        .account(&account_id)?
        .ok_or(ApiError::NotFound { what: "account" })?;
    let page = state.store.purchases(&account_id, status, &page)?;
    let data = page
        .data
        .iter()
        .map(|purchase| purchase_json(&state, purchase))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json_response(
        StatusCode::OK,
        render::list(data, page.has_more).to_string(),
    ))
}
