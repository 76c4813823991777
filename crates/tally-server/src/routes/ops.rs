//! Operations: health, readiness, Prometheus metrics, the OpenAPI document, the test clock.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::write::{Context, Decode, Target, WriteRequest};
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

/// The OpenAPI document (`crate::openapi`), built once at start.
pub async fn openapi(State(state): State<AppState>) -> Response {
    json_response(StatusCode::OK, state.openapi.to_string())
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

    fn schema() -> Value {
        use crate::schema::*;
        let mut schema = body(
            &[],
            json!({
                "advance_seconds": integer(0, 100 * 366 * 86_400),
                "now": instant(),
            }),
        );
        schema["description"] = json!("Exactly one of `advance_seconds` and `now`.");
        schema
    }

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
        .submit_by(Command::MoveClock { to }, None, actor.as_deref())
        .await)
}
