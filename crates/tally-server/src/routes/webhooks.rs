//! Webhook endpoints (admin only, every route: an account key gets 403): create (the
//! `whsec_…` secret is shown only in that answer), list, get, change, delete, rotate the
//! secret (the old one keeps signing, as a second signature, for 24 hours), and the log of
//! an endpoint's delivery attempts.
//!
//! These routes do not go through the engine: they write delivery state only (endpoints),
//! through the store's [`tally_store::webhooks::WebhookStore`]. A create with an
//! `Idempotency-Key` is kept with the endpoint it made: the same key and body answer that
//! endpoint again (without its secret, as a replayed key creation does), another body 409.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};
use tally_core::Timestamp;
use tally_store::AuditRecord;
use tally_store::webhooks::{
    CreateKey, Created, EndpointChange, EndpointRecord, EndpointStatus, EventSelection,
};

use super::events::event_type;
use super::write::{Admin, AdminOn, Context, Decode, Target, WriteRequest};
use super::{known_query, page_request};
use crate::auth::{Actor, Principal};
use crate::error::ApiError;
use crate::json::{Fields, TEXT_BYTES_MAX};
use crate::render;
use crate::reply::json_response;
use crate::state::AppState;
use crate::webhooks::{signature, target};

/// How long a rotated-out secret keeps signing.
pub const PREVIOUS_SECRET_SECONDS: i64 = 24 * 3600;

/// The most event types one endpoint may list (more than there are: duplicates are refused).
const ENDPOINT_EVENTS_MAX: usize = 64;

/// The URL of an endpoint, checked: http or https, a host, no credentials; with
/// `--webhook-deny-private`, no private or loopback host.
fn endpoint_url(fields: &mut Fields, state: &AppState) -> Result<Option<String>, ApiError> {
    let Some(url) = fields.string("url", target::URL_BYTES_MAX * 2)? else {
        return Ok(None);
    };
    let parsed =
        target::parse(&url).map_err(|error| ApiError::invalid_request("url", error.to_string()))?;
    if state.webhooks.deny_private && target::names_private_host(&parsed) {
        return Err(ApiError::invalid_request(
            "url",
            target::UrlError::Private.to_string(),
        ));
    }
    Ok(Some(url))
}

/// `events`: a non-empty array of known event types, or `["*"]` for all of them.
fn endpoint_events(fields: &mut Fields) -> Result<Option<EventSelection>, ApiError> {
    let Some(value) = fields.take("events") else {
        return Ok(None);
    };
    let Value::Array(items) = value else {
        return Err(ApiError::invalid_json(
            Some("events"),
            "`events` has the wrong JSON type: it must be an array of event types",
        ));
    };
    if items.is_empty() || items.len() > ENDPOINT_EVENTS_MAX {
        return Err(ApiError::invalid_request(
            "events",
            "`events` lists at least one event type (or [\"*\"] for all); leave it out for all",
        ));
    }
    let mut types: Vec<String> = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        let param = format!("events[{index}]");
        let Value::String(text) = item else {
            return Err(ApiError::invalid_json(
                Some(&param),
                format!("`{param}` has the wrong JSON type: it must be a string"),
            ));
        };
        if text == tally_store::webhooks::ALL_EVENTS {
            return Ok(Some(EventSelection::All));
        }
        let text = event_type(&param, &text)?;
        if types.contains(&text) {
            return Err(ApiError::invalid_request(
                &param,
                format!("`{param}`: {text:?} is listed twice"),
            ));
        }
        types.push(text);
    }
    Ok(Some(EventSelection::Only(types)))
}

fn description(fields: &mut Fields) -> Result<Option<String>, ApiError> {
    fields.string("description", TEXT_BYTES_MAX)
}

/// With `--webhook-deny-private`, refuses a URL whose host resolves to a private address now
/// (each delivery checks again: a name can change what it resolves to). A name that does not
/// resolve yet is accepted.
async fn check_resolved(state: &AppState, url: &str) -> Result<(), ApiError> {
    if !state.webhooks.deny_private {
        return Ok(());
    }
    let Ok(parsed) = target::parse(url) else {
        return Ok(());
    };
    let lookup = tokio::net::lookup_host((parsed.host.as_str(), parsed.port));
    let resolved = tokio::time::timeout(std::time::Duration::from_secs(5), lookup).await;
    if let Ok(Ok(addresses)) = resolved {
        let addresses: Vec<_> = addresses.collect();
        if addresses
            .iter()
            .any(|address| !target::is_public(address.ip()))
        {
            return Err(ApiError::invalid_request(
                "url",
                target::UrlError::Private.to_string(),
            ));
        }
    }
    Ok(())
}

/// The body of `POST /v1/webhook-endpoints`.
pub struct CreateEndpointRequest {
    pub url: String,
    pub events: EventSelection,
    pub description: Option<String>,
}

/// The schema of an endpoint's body: `url`, `events`, `description` (and `status` for a
/// change), of which `required` must be there.
fn endpoint_schema(required: &[&str], with_status: bool) -> Value {
    use crate::schema::*;
    let mut events = array(json!({"type": "string", "enum": endpoint_event_names()}));
    events["minItems"] = json!(1);
    events["maxItems"] = json!(ENDPOINT_EVENTS_MAX);
    events["description"] =
        json!("The event types it receives; `[\"*\"]` (the default): all of them.");
    let mut properties = json!({
        "url": {"type": "string", "maxLength": target::URL_BYTES_MAX, "format": "uri", "description": "An absolute http:// or https:// URL."},
        "events": events,
        "description": text(TEXT_BYTES_MAX),
    });
    if with_status {
        properties["status"] = one_of(&["enabled", "disabled"]);
    }
    body(required, properties)
}

/// What an endpoint's `events` may name: every event type, and `*` for all.
pub fn endpoint_event_names() -> Vec<&'static str> {
    let mut names = vec![tally_store::webhooks::ALL_EVENTS];
    names.extend_from_slice(tally_core::events::EVENT_TYPES);
    names
}

impl Decode for CreateEndpointRequest {
    type Target = Admin;

    const FIELDS: &'static [&'static str] = &["url", "events", "description"];

    fn schema() -> Value {
        endpoint_schema(&["url"], false)
    }

    fn decode(fields: &mut Fields, context: &Context<'_, Admin>) -> Result<Self, ApiError> {
        let url = endpoint_url(fields, context.state)?;
        let url = fields.required("url", url)?;
        Ok(CreateEndpointRequest {
            url,
            events: endpoint_events(fields)?.unwrap_or(EventSelection::All),
            description: description(fields)?.filter(|text| !text.is_empty()),
        })
    }
}

fn new_endpoint_id() -> String {
    format!("we_{}", tally_engine::ids::random_token(12))
}

/// The audit record of an admin's change of an endpoint (none without an admin to name),
/// written by the store in the change's transaction, as the engine writes the others'.
fn audit_record(
    actor: &Actor,
    action: &str,
    endpoint_id: &str,
    at: Timestamp,
) -> Option<AuditRecord> {
    let actor = actor.as_deref()?;
    Some(AuditRecord {
        id: tally_engine::ids::audit_id(),
        at,
        actor: actor.to_string(),
        action: action.to_string(),
        target_id: endpoint_id.to_string(),
        account_id: None,
    })
}

/// `POST /v1/webhook-endpoints` → 201 with the secret (the only time it is shown).
pub async fn create_endpoint(
    State(state): State<AppState>,
    request: WriteRequest<CreateEndpointRequest>,
) -> Result<Response, ApiError> {
    let WriteRequest {
        idempotency,
        body,
        actor,
        ..
    } = request;
    check_resolved(&state, &body.url).await?;
    let now = state.clock.now();
    let endpoint = EndpointRecord {
        id: new_endpoint_id(),
        url: body.url,
        description: body.description,
        events: body.events,
        status: EndpointStatus::Enabled,
        secret: signature::new_secret(),
        previous_secret: None,
        created_at: now,
        updated_at: now,
    };
    let key = idempotency.map(|idempotency| CreateKey {
        key: idempotency.key,
        request_hash: idempotency.request_hash,
    });
    let audit = audit_record(&actor, "webhook_endpoint.create", &endpoint.id, now);
    match state
        .store
        .create_endpoint(&endpoint, key.as_ref(), audit.as_ref())?
    {
        Created::New(endpoint) => Ok(json_response(
            StatusCode::CREATED,
            render::webhook_endpoint(&endpoint, true).to_string(),
        )),
        Created::Replayed(endpoint) => {
            let mut response = json_response(
                StatusCode::CREATED,
                render::webhook_endpoint(&endpoint, false).to_string(),
            );
            response
                .headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            Ok(response)
        }
        Created::KeyConflict => Err(ApiError::IdempotencyConflict),
    }
}

/// `GET /v1/webhook-endpoints`: newest first, without secrets.
pub async fn list_endpoints(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    principal.require_admin()?;
    known_query(&query, &["limit", "starting_after"])?;
    let page = state.store.endpoints(&page_request(&query)?)?;
    let data = page
        .data
        .iter()
        .map(|endpoint| render::webhook_endpoint(endpoint, false))
        .collect();
    Ok(json_response(
        StatusCode::OK,
        render::list(data, page.has_more).to_string(),
    ))
}

fn found(endpoint: Option<EndpointRecord>) -> Result<EndpointRecord, ApiError> {
    endpoint.ok_or(ApiError::NotFound {
        what: "webhook endpoint",
    })
}

/// `GET /v1/webhook-endpoints/{id}`, without its secret.
pub async fn get_endpoint(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    principal.require_admin()?;
    let endpoint = found(state.store.endpoint(&id)?)?;
    Ok(json_response(
        StatusCode::OK,
        render::webhook_endpoint(&endpoint, false).to_string(),
    ))
}

/// The body of `PATCH /v1/webhook-endpoints/{id}`: any of `url`, `events`, `description`
/// (`""` clears it) and `status` (`enabled` or `disabled`).
pub struct UpdateEndpointRequest(EndpointChange);

impl Decode for UpdateEndpointRequest {
    type Target = AdminOn;

    const IDEMPOTENT: bool = false;

    const FIELDS: &'static [&'static str] = &["url", "events", "description", "status"];

    fn schema() -> Value {
        endpoint_schema(&[], true)
    }

    fn decode(fields: &mut Fields, context: &Context<'_, AdminOn>) -> Result<Self, ApiError> {
        let url = endpoint_url(fields, context.state)?;
        let events = endpoint_events(fields)?;
        let description = description(fields)?.map(|text| Some(text).filter(|t| !t.is_empty()));
        let status = match fields.string("status", 16)? {
            None => None,
            Some(text) => Some(EndpointStatus::parse(&text).ok_or_else(|| {
                ApiError::invalid_request(
                    "status",
                    format!("status must be enabled or disabled, not {text:?}"),
                )
            })?),
        };
        Ok(UpdateEndpointRequest(EndpointChange {
            url,
            events,
            description,
            status,
        }))
    }
}

/// `PATCH /v1/webhook-endpoints/{id}`.
pub async fn update_endpoint(
    State(state): State<AppState>,
    request: WriteRequest<UpdateEndpointRequest>,
) -> Result<Response, ApiError> {
    let WriteRequest {
        target: AdminOn(id),
        body: UpdateEndpointRequest(change),
        actor,
        ..
    } = request;
    if let Some(url) = &change.url {
        check_resolved(&state, url).await?;
    }
    let now = state.clock.now();
    let audit = audit_record(&actor, "webhook_endpoint.update", &id, now);
    let endpoint = found(
        state
            .store
            .update_endpoint(&id, &change, now, audit.as_ref())?,
    )?;
    Ok(json_response(
        StatusCode::OK,
        render::webhook_endpoint(&endpoint, false).to_string(),
    ))
}

/// `DELETE /v1/webhook-endpoints/{id}`: with its deliveries and their log.
pub async fn delete_endpoint(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    actor: Actor,
) -> Result<Response, ApiError> {
    AdminOn::resolve(Some(id.clone()), &state, &principal)?;
    let audit = audit_record(&actor, "webhook_endpoint.delete", &id, state.clock.now());
    if !state.store.delete_endpoint(&id, audit.as_ref())? {
        return Err(ApiError::NotFound {
            what: "webhook endpoint",
        });
    }
    Ok(json_response(
        StatusCode::OK,
        json!({"id": id, "deleted": true}).to_string(),
    ))
}

/// The body of `POST /v1/webhook-endpoints/{id}/rotate-secret`: none.
pub struct RotateRequest;

impl Decode for RotateRequest {
    type Target = AdminOn;

    const IDEMPOTENT: bool = false;

    const FIELDS: &'static [&'static str] = &[];

    fn schema() -> Value {
        crate::schema::empty_body()
    }

    fn decode(_: &mut Fields, _: &Context<'_, AdminOn>) -> Result<Self, ApiError> {
        Ok(RotateRequest)
    }
}

/// `POST /v1/webhook-endpoints/{id}/rotate-secret` → the endpoint with its new secret (shown
/// only here); the old one signs too until `previous_secret_expires_at`.
pub async fn rotate_secret(
    State(state): State<AppState>,
    request: WriteRequest<RotateRequest>,
) -> Result<Response, ApiError> {
    let AdminOn(id) = request.target;
    let now = state.clock.now();
    let audit = audit_record(&request.actor, "webhook_endpoint.rotate_secret", &id, now);
    let expires_at = Timestamp::from_micros(
        now.as_micros()
            .saturating_add(PREVIOUS_SECRET_SECONDS * 1_000_000),
    );
    let secret = signature::new_secret();
    let rotated =
        state
            .store
            .rotate_endpoint_secret(&id, &secret, expires_at, now, audit.as_ref())?;
    let endpoint = found(rotated)?;
    Ok(json_response(
        StatusCode::OK,
        render::webhook_endpoint(&endpoint, true).to_string(),
    ))
}

/// `GET /v1/webhook-endpoints/{id}/deliveries`: every attempt, newest first.
pub async fn list_deliveries(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    principal.require_admin()?;
    known_query(&query, &["limit", "starting_after"])?;
    let page = page_request(&query)?;
    found(state.store.endpoint(&id)?)?;
    let page = state.store.delivery_attempts(&id, &page)?;
    let data = page.data.iter().map(render::webhook_attempt).collect();
    Ok(json_response(
        StatusCode::OK,
        render::list(data, page.has_more).to_string(),
    ))
}
