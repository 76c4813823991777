//! Account keys: created once (the secret is shown only then), listed without it, revoked.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::write::{
    AdminOn, Empty, Prepared, Target, Unkeyed, WriteRequest, WriteRoute, respond_prepared, run,
};
use super::{known_query, page_request};
use crate::auth::{Principal, hash_key, new_account_key};
use crate::error::ApiError;
use crate::render;
use crate::reply::json_response;
use crate::state::AppState;
use tally_engine::Command;

/// `POST /v1/accounts/{id}/keys`.
pub struct CreateKey;

impl WriteRoute for CreateKey {
    type Body = Empty<AdminOn>;

    fn prepare(
        _: &AppState,
        _: &Principal,
        AdminOn(account_id): AdminOn,
        _: Empty<AdminOn>,
    ) -> Result<Prepared, ApiError> {
        let secret = new_account_key();
        Ok(Prepared::engine(Command::CreateApiKey {
            account_id,
            key_hash: hash_key(&secret),
            secret,
        }))
    }
}

pub async fn create_key(
    State(state): State<AppState>,
    request: WriteRequest<Empty<AdminOn>>,
) -> Response {
    run::<CreateKey>(&state, request).await
}

pub async fn list_keys(
    State(state): State<AppState>,
    principal: Principal,
    Path(account_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    principal.require_admin()?;
    known_query(&query, &["limit", "starting_after"])?;
    let page = page_request(&query)?;
    state
        .store
        .account(&account_id)?
        .ok_or(ApiError::NotFound { what: "account" })?;
    // An account has a handful of live keys: they are read whole, newest first, and paged here.
    let keys = state.store.api_keys(&account_id)?;
    let start = match &page.starting_after {
        None => 0,
        Some(after) => {
            keys.iter()
                .position(|key| &key.id == after)
                .ok_or(tally_store::PageError::UnknownCursor)?
                + 1
        }
    };
    let rest = &keys[start..];
    let shown = &rest[..rest.len().min(page.limit)];
    let data = shown.iter().map(|key| render::api_key(key, None)).collect();
    Ok(json_response(
        StatusCode::OK,
        render::list(data, rest.len() > shown.len()).to_string(),
    ))
}

/// `DELETE /v1/keys/{id}` (it reads no body and takes no `Idempotency-Key`).
pub struct RevokeKey;

impl WriteRoute for RevokeKey {
    type Body = Unkeyed<AdminOn>;

    fn prepare(
        _: &AppState,
        _: &Principal,
        AdminOn(key_id): AdminOn,
        _: Unkeyed<AdminOn>,
    ) -> Result<Prepared, ApiError> {
        Ok(Prepared::engine(Command::RevokeApiKey { key_id }))
    }
}

pub async fn revoke_key(
    State(state): State<AppState>,
    principal: Principal,
    actor: crate::auth::Actor,
    Path(key_id): Path<String>,
) -> Result<Response, ApiError> {
    let target = AdminOn::resolve(Some(key_id), &state, &principal)?;
    let body = Unkeyed(std::marker::PhantomData);
    let prepared = RevokeKey::prepare(&state, &principal, target, body)?;
    Ok(respond_prepared(&state, prepared, None, &actor).await)
}
