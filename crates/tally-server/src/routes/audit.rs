//! `GET /v1/audit`: the audit log of admin actions (who installed a rate card, made or voided
//! a grant, completed a purchase, issued a key, changed an account's settings), newest first.
//! Admin only. The engine writes each record in the transaction of the change it records;
//! this only reads them.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};
use tally_store::AuditRecord;

use super::{known_query, page_request};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::render;
use crate::reply::json_response;
use crate::state::AppState;

/// An audit record's JSON.
pub fn audit_record(record: &AuditRecord) -> Value {
    json!({
        "id": record.id,
        "object": "audit_record",
        "actor": record.actor,
        "action": record.action,
        "target_id": record.target_id,
        "account_id": record.account_id,
        "created_at": render::instant(record.at),
    })
}

pub async fn list_audit(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    principal.require_admin()?;
    known_query(&query, &["limit", "starting_after"])?;
    let page = state.store.audit_log(&page_request(&query)?)?;
    let data = page.data.iter().map(audit_record).collect();
    Ok(json_response(
        StatusCode::OK,
        render::list(data, page.has_more).to_string(),
    ))
}
