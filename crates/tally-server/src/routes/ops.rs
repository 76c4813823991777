//! Operations: health, readiness, Prometheus metrics, the OpenAPI document, the test clock.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::write::{Context, Decode, IDEMPOTENCY_KEY_BYTES_MAX, Target, WriteRequest};
use super::{Access, ROUTES};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::json::Fields;
use crate::render;
use crate::reply::json_response;
use crate::state::AppState;
use tally_engine::Command;
use tally_engine::clock::TestClock;

pub async fn healthz() -> Response {
    json_response(StatusCode::OK, json!({"status": "ok"}).to_string())
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    let engine_healthy = state.engine.metrics.healthy.load(Ordering::SeqCst);
    match state.store.ping() {
        Ok(()) if engine_healthy => {
            json_response(StatusCode::OK, json!({"status": "ready"}).to_string())
        }
        Ok(()) => ApiError::Unavailable {
            detail: "the ledger engine is recovering".into(),
        }
        .into_response(),
        Err(error) => ApiError::from(error).into_response(),
    }
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    let mut text = String::new();
    let engine = &state.engine.metrics;
    let _ = writeln!(text, "# TYPE tally_engine_batches_total counter");
    let _ = writeln!(
        text,
        "tally_engine_batches_total {}",
        engine.batches.load(Ordering::Relaxed)
    );
    let _ = writeln!(text, "# TYPE tally_engine_commands_total counter");
    let _ = writeln!(
        text,
        "tally_engine_commands_total {}",
        engine.commands.load(Ordering::Relaxed)
    );
    let _ = writeln!(text, "# TYPE tally_engine_commit_failures_total counter");
    let _ = writeln!(
        text,
        "tally_engine_commit_failures_total {}",
        engine.commit_failures.load(Ordering::Relaxed)
    );
    let _ = writeln!(text, "# TYPE tally_engine_commit_seconds_total counter");
    let micros = engine.commit_micros_total.load(Ordering::Relaxed);
    let _ = writeln!(
        text,
        "tally_engine_commit_seconds_total {}.{:06}",
        micros / 1_000_000,
        micros % 1_000_000
    );
    let by_route = state.metrics.by_route();
    let sorted: BTreeMap<_, _> = by_route.into_iter().collect();
    let _ = writeln!(text, "# TYPE tally_http_requests_total counter");
    for ((method, route, status), (count, _)) in &sorted {
        let _ = writeln!(
            text,
            "tally_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {count}"
        );
    }
    let _ = writeln!(text, "# TYPE tally_http_request_seconds_total counter");
    for ((method, route, status), (_, micros)) in &sorted {
        let _ = writeln!(
            text,
            "tally_http_request_seconds_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {}.{:06}",
            micros / 1_000_000,
            micros % 1_000_000
        );
    }
    let mut response = (StatusCode::OK, text).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    response
}

/// The OpenAPI 3.1 document, generated from the route table.
pub fn openapi_document() -> Value {
    let mut paths: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
    for route in ROUTES {
        let mut operation = Map::new();
        operation.insert("summary".into(), json!(route.summary));
        operation.insert(
            "x-access".into(),
            json!(format!("{:?}", route.access).to_lowercase()),
        );
        if route.access != Access::Public {
            operation.insert("security".into(), json!([{"bearer": []}]));
        }
        let mut parameters: Vec<Value> = route
            .path
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        if let Some(body) = route.body {
            if body.idempotent {
                parameters.push(json!({
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": false,
                    "schema": {"type": "string", "minLength": 1, "maxLength": IDEMPOTENCY_KEY_BYTES_MAX},
                }));
            }
            let properties: Map<String, Value> = body
                .fields
                .iter()
                .map(|name| (name.to_string(), json!({})))
                .collect();
            let schema =
                json!({"type": "object", "properties": properties, "additionalProperties": false});
            operation.insert(
                "requestBody".into(),
                json!({"required": false, "content": {"application/json": {"schema": schema}}}),
            );
        }
        if !parameters.is_empty() {
            operation.insert("parameters".into(), Value::Array(parameters));
        }
        operation.insert(
            "responses".into(),
            json!({
                "200": {"description": "OK"},
                "default": {"description": "An RFC 9457 problem", "content": {"application/problem+json": {}}}
            }),
        );
        paths
            .entry(route.path)
            .or_default()
            .insert(route.method.to_lowercase(), Value::Object(operation));
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Tally", "version": env!("CARGO_PKG_VERSION"), "description": "The credits engine of an AI platform."},
        "servers": [{"url": "/"}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": paths,
    })
}

pub async fn openapi() -> Response {
    json_response(StatusCode::OK, openapi_document().to_string())
}

pub async fn get_clock(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Response, ApiError> {
    principal.require_admin()?;
    let clock = state
        .test_clock
        .as_ref()
        .ok_or(ApiError::NotFound { what: "route" })?;
    use tally_core::Clock as _;
    Ok(json_response(
        StatusCode::OK,
        json!({"now": render::instant(clock.now())}).to_string(),
    ))
}

/// The test clock, on an admin key: without `--test-clock` the route is not found, before
/// anything about the request is looked at.
pub struct TestClockOn(pub Arc<TestClock>);

impl Target for TestClockOn {
    fn resolve(
        _: Option<String>,
        state: &AppState,
        principal: &Principal,
    ) -> Result<Self, ApiError> {
        principal.require_admin()?;
        let clock = state.test_clock.clone();
        let clock = clock.ok_or(ApiError::NotFound { what: "route" })?;
        Ok(TestClockOn(clock))
    }
}

/// The body of `POST /v1/clock`: exactly one of `advance_seconds` and `now`.
pub struct MoveClockRequest {
    pub advance_seconds: Option<i64>,
    pub now: Option<tally_core::Timestamp>,
}

impl Decode for MoveClockRequest {
    type Target = TestClockOn;

    const FIELDS: &'static [&'static str] = &["advance_seconds", "now"];

    fn decode(fields: &mut Fields, _: &Context<'_, TestClockOn>) -> Result<Self, ApiError> {
        Ok(MoveClockRequest {
            advance_seconds: fields.integer("advance_seconds", 0, 100 * 366 * 86_400)?,
            now: fields.timestamp("now")?,
        })
    }
}

pub async fn move_clock(
    State(state): State<AppState>,
    WriteRequest {
        target: TestClockOn(clock),
        body: MoveClockRequest {
            advance_seconds,
            now,
        },
        actor,
        ..
    }: WriteRequest<MoveClockRequest>,
) -> Result<Response, ApiError> {
    use tally_core::Clock as _;
    let to = match (advance_seconds, now) {
        (Some(seconds), None) => clock.now().plus_seconds(seconds),
        (None, Some(now)) => now,
        _ => {
            return Err(ApiError::invalid_request(
                "advance_seconds",
                "send exactly one of `advance_seconds` and `now`",
            ));
        }
    };
    // Moving the clock is not replayed: the key is checked, and not kept.
    Ok(state
        .submit_by(Command::MoveClock { to }, None, &actor)
        .await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_lists_each_write_body_and_its_fields() {
        let document = openapi_document();
        for route in ROUTES {
            let operation = &document["paths"][route.path][route.method.to_lowercase()];
            let body = &operation["requestBody"];
            let writes = matches!(route.method, "POST" | "PUT" | "PATCH");
            assert_eq!(
                !body.is_null(),
                writes,
                "{} {}: a route reads a body exactly when it is a POST, a PUT or a PATCH",
                route.method,
                route.path
            );
        }
        let hold = &document["paths"]["/v1/accounts/{id}/holds"]["post"];
        let schema = &hold["requestBody"]["content"]["application/json"]["schema"];
        assert_eq!(schema["additionalProperties"], json!(false));
        assert!(schema["properties"]["ttl_seconds"].is_object(), "{schema}");
        assert!(schema["properties"]["usage"].is_object(), "{schema}");
        let key = |path: &str, method: &str| {
            document["paths"][path][method]["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|parameter| parameter["name"] == "Idempotency-Key")
        };
        assert!(key("/v1/accounts/{id}/holds", "post"));
        assert!(
            !key("/v1/quotes", "post"),
            "a quote takes no Idempotency-Key"
        );
        assert!(!key("/v1/accounts/{id}", "get"));
    }
}
