//! Account keys: created once (the secret is shown only then), listed without it, revoked.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::write::{AdminOn, Empty, WriteRequest};
use crate::auth::{Principal, hash_key, new_account_key};
use crate::error::ApiError;
use crate::render;
use crate::reply::json_response;
use crate::state::AppState;
use tally_engine::Command;

pub async fn create_key(
    State(state): State<AppState>,
    WriteRequest {
        target: AdminOn(account_id),
        idempotency,
        ..
    }: WriteRequest<Empty<AdminOn>>,
) -> Response {
    let secret = new_account_key();
    let command = Command::CreateApiKey {
        account_id,
        key_hash: hash_key(&secret),
        secret,
    };
    state.submit(command, idempotency).await
}

pub async fn list_keys(
    State(state): State<AppState>,
    principal: Principal,
    Path(account_id): Path<String>,
) -> Result<Response, ApiError> {
    principal.require_admin()?;
    state
        .store
        .account(&account_id)?
        .ok_or(ApiError::NotFound { what: "account" })?;
    let keys = state.store.api_keys(&account_id)?;
    let data = keys.iter().map(|key| render::api_key(key, None)).collect();
    Ok(json_response(
        StatusCode::OK,
        render::list(data, false).to_string(),
    ))
}

pub async fn revoke_key(
    State(state): State<AppState>,
    principal: Principal,
    Path(key_id): Path<String>,
) -> Result<Response, ApiError> {
    principal.require_admin()?;
    Ok(state.submit(Command::RevokeApiKey { key_id }, None).await)
}
