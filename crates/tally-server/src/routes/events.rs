//! Events: the pull path (`GET /v1/events`, `GET /v1/events/{id}`), for platforms that poll
//! and for catching up after an outage, and `POST /v1/events/{id}/redeliver`. An event is
//! served as it was stored, byte for byte: the body a webhook delivery signs is the body a
//! read returns. Account keys see only their account's events (another account's: 404).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;
use tally_core::events::{EVENT_TYPES, is_event_type};
use tally_store::{EventFilter, EventRecord};

use super::write::{AdminOn, Context, Decode, WriteRequest};
use super::{known_query, page_request};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::json::Fields;
use crate::reply::json_response;
use crate::state::AppState;

/// The event type a `type` filter (or an endpoint's `events`) names, checked.
pub fn event_type(param: &str, text: &str) -> Result<String, ApiError> {
    if is_event_type(text) {
        return Ok(text.to_string());
    }
    Err(ApiError::invalid_request(
        param,
        format!(
            "`{param}` names an unknown event type {text:?}; the event types are {}",
            EVENT_TYPES.join(", ")
        ),
    ))
}

/// `GET /v1/events?type=&account_id=&starting_after=&limit=`: newest first.
pub async fn list_events(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    known_query(&query, &["type", "account_id", "limit", "starting_after"])?;
    let event_type = match query.get("type") {
        None => None,
        Some(text) => Some(event_type("type", text)?),
    };
    let asked = query.get("account_id").filter(|id| !id.is_empty());
    let account_id = match (principal.owner(), asked) {
        (Some(own), Some(asked)) if *asked != own => {
            return Err(ApiError::NotFound { what: "account" });
        }
        (Some(own), _) => Some(own),
        (None, Some(asked)) => {
            state
                .store
                .account(asked)?
                .ok_or(ApiError::NotFound { what: "account" })?;
            Some(asked.clone())
        }
        (None, None) => None,
    };
    let page = page_request(&query)?;
    // A cursor must be an event the caller may see (else it would tell another account's
    // event ids from unknown ones).
    if let Some(cursor) = &page.starting_after
        && let Some(owner) = principal.owner()
        && state
            .store
            .event(cursor)?
            .is_some_and(|event| event.account_id != owner)
    {
        return Err(ApiError::invalid_request(
            "starting_after",
            "starting_after names no item of this list",
        ));
    }
    let filter = EventFilter {
        account_id,
        event_type,
    };
    let page = state.store.events(&filter, &page)?;
    Ok(json_response(
        StatusCode::OK,
        list_text(&page.data, page.has_more),
    ))
}

/// `{"object": "list", "data": [event, …], "has_more": …}` with each event's stored body as
/// it is.
pub fn list_text(events: &[EventRecord], has_more: bool) -> String {
    let bodies: Vec<&str> = events.iter().map(|event| event.body.as_str()).collect();
    format!(
        "{{\"object\":\"list\",\"data\":[{}],\"has_more\":{has_more}}}",
        bodies.join(",")
    )
}

/// The event `id`, if the caller may see it.
fn visible_event(
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> Result<EventRecord, ApiError> {
    state
        .store
        .event(id)?
        .filter(|event| principal.can_see(&event.account_id))
        .ok_or(ApiError::NotFound { what: "event" })
}

/// `GET /v1/events/{id}`.
pub async fn get_event(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let event = visible_event(&state, &principal, &id)?;
    Ok(json_response(StatusCode::OK, event.body))
}

/// The body of `POST /v1/events/{id}/redeliver`: none (it schedules, so a retry does no
/// harm: it takes no `Idempotency-Key`).
pub struct RedeliverRequest;

impl Decode for RedeliverRequest {
    type Target = AdminOn;

    const IDEMPOTENT: bool = false;

    const FIELDS: &'static [&'static str] = &[];

    fn schema() -> serde_json::Value {
        crate::schema::empty_body()
    }

    fn decode(_: &mut Fields, _: &Context<'_, AdminOn>) -> Result<Self, ApiError> {
        Ok(RedeliverRequest)
    }
}

/// `POST /v1/events/{id}/redeliver` (admin): the event again, from now, to the endpoints it
/// was for and to the enabled ones that subscribe to its type. 202: the deliveries are
/// scheduled, the worker makes them.
pub async fn redeliver_event(
    State(state): State<AppState>,
    request: WriteRequest<RedeliverRequest>,
) -> Result<Response, ApiError> {
    let AdminOn(id) = request.target;
    let event = visible_event(&state, &request.principal, &id)?;
    let endpoints = state.store.redeliver(&event.id, state.clock.now())?;
    let body = json!({"event_id": event.id, "endpoints": endpoints});
    Ok(json_response(StatusCode::ACCEPTED, body.to_string()))
}
