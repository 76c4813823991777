//! Spend limits: `PUT /v1/accounts/{id}/limits` (admin) replaces the account's set, through
//! the engine; `GET` shows where each limit stands (`used`, `remaining`, `resets_at`), read
//! from the store at the server's clock. The limits are checked by the core, inside the debit.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;
use tally_core::{
    LIMIT_TEXT_BYTES_MAX, LIMITS_MAX, LimitScope, LimitSpec, LimitWindow, MATCH_EACH,
    SubscriptionStatus,
};
use tally_engine::Command;

use super::write::{AdminOn, Context, Decode, Prepared, WriteRequest, WriteRoute, run};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::json::Fields;
use crate::render;
use crate::reply::json_response;
use crate::state::AppState;

/// The body of `PUT /v1/accounts/{id}/limits`: `{limits: [Limit]}`.
pub struct PutLimitsRequest {
    pub limits: Vec<LimitSpec>,
}

/// One limit of the body, read from `limits[position]`.
fn limit_spec(item: Value, position: usize) -> Result<LimitSpec, ApiError> {
    let prefix = format!("limits[{position}].");
    let mut fields = Fields::nested(item, &prefix)?;
    let param = |name: &str| format!("{prefix}{name}");
    let id = fields.string("id", LIMIT_TEXT_BYTES_MAX)?;
    if id.as_deref().is_some_and(str::is_empty) {
        return Err(ApiError::invalid_request(
            param("id"),
            "an id is 1 to 255 bytes",
        ));
    }
    let scope = fields.string("scope", 32)?;
    let scope = fields.required("scope", scope)?;
    let scope = LimitScope::parse(&scope).ok_or_else(|| {
        ApiError::invalid_request(
            param("scope"),
            format!("unknown scope {scope:?}: one of member, product, key, account"),
        )
    })?;
    let window = fields.string("window", 32)?;
    let window = fields.required("window", window)?;
    let window = LimitWindow::parse(&window).ok_or_else(|| {
        ApiError::invalid_request(
            param("window"),
            format!("unknown window {window:?}: one of day, month, period, total"),
        )
    })?;
    let matches = fields.string("match", LIMIT_TEXT_BYTES_MAX)?;
    let matches = match (scope, matches) {
        (LimitScope::Account, None) => MATCH_EACH.to_string(),
        (LimitScope::Account, Some(matches)) if matches != MATCH_EACH => {
            return Err(ApiError::invalid_request(
                param("match"),
                "an account limit's match is \"*\" (or left out)",
            ));
        }
        (_, matches) => fields.required("match", matches)?,
    };
    if matches.is_empty() {
        return Err(ApiError::invalid_request(
            param("match"),
            "a match is a member, product or key (1 to 255 bytes), or \"*\" for each",
        ));
    }
    let max = fields.non_negative_amount("max")?;
    let max = fields.required("max", max)?;
    fields.finish_with(&["id", "scope", "match", "window", "max"])?;
    Ok(LimitSpec {
        id,
        scope,
        matches,
        window,
        max,
    })
}

impl Decode for PutLimitsRequest {
    type Target = AdminOn;

    const FIELDS: &'static [&'static str] = &["limits"];

    fn schema() -> Value {
        use crate::schema::*;
        let limit = body(
            &["scope", "window", "max"],
            serde_json::json!({
                "id": {"type": "string", "minLength": 1, "maxLength": LIMIT_TEXT_BYTES_MAX},
                "scope": one_of(&["member", "product", "key", "account"]),
                "match": {"type": "string", "minLength": 1, "maxLength": LIMIT_TEXT_BYTES_MAX, "description": "The member, product or key it counts, or `*` for each separately (an account limit's is `*`, or left out)."},
                "window": one_of(&["day", "month", "period", "total"]),
                "max": credits_in(false),
            }),
        );
        let mut limits = array(limit);
        limits["maxItems"] = serde_json::json!(LIMITS_MAX);
        body(&["limits"], serde_json::json!({ "limits": limits }))
    }

    fn decode(fields: &mut Fields, _: &Context<'_, AdminOn>) -> Result<Self, ApiError> {
        let limits = fields.take("limits");
        let limits = fields.required("limits", limits)?;
        let Value::Array(items) = limits else {
            return Err(ApiError::invalid_json(
                Some("limits"),
                "`limits` has the wrong JSON type: it must be an array of limits",
            ));
        };
        if items.len() > LIMITS_MAX {
            return Err(ApiError::invalid_request(
                "limits",
                format!("at most {LIMITS_MAX} limits"),
            ));
        }
        let limits = items
            .into_iter()
            .enumerate()
            .map(|(position, item)| limit_spec(item, position))
            .collect::<Result<Vec<_>, _>>()?;
        // Duplicate ids and the like: the core's own check, named by the field at fault.
        if let Err((position, problem)) = tally_core::check_limit_specs(&limits) {
            return Err(tally_core::Rejection::LimitInvalid { position, problem }.into());
        }
        Ok(PutLimitsRequest { limits })
    }
}

/// `PUT /v1/accounts/{id}/limits`.
pub struct PutLimits;

impl WriteRoute for PutLimits {
    type Body = PutLimitsRequest;

    fn prepare(
        _: &AppState,
        _: &Principal,
        AdminOn(account_id): AdminOn,
        body: PutLimitsRequest,
    ) -> Result<Prepared, ApiError> {
        Ok(Prepared::engine(Command::PutLimits {
            account_id,
            limits: body.limits,
        }))
    }
}

pub async fn put_limits(
    State(state): State<AppState>,
    request: WriteRequest<PutLimitsRequest>,
) -> Response {
    run::<PutLimits>(&state, request).await
}

/// `GET /v1/accounts/{id}/limits`: each limit with where it stands now.
pub async fn get_limits(
    State(state): State<AppState>,
    principal: Principal,
    Path(account_id): Path<String>,
) -> Result<Response, ApiError> {
    principal.require_account(&account_id)?;
    let body = limits_body(&state, &account_id)?;
    Ok(json_response(StatusCode::OK, body.to_string()))
}

/// The account's limits as `GET` shows them (the dashboard reads them in process too).
pub fn limits_body(state: &AppState, account_id: &str) -> Result<Value, ApiError> {
    let row = state
        .store
        .account(account_id)?
        .ok_or(ApiError::NotFound { what: "account" })?;
    let (set, counters) = state.store.limits(account_id)?;
    let Some(set) = set else {
        return Ok(render::limits(&[]));
    };
    let period = state
        .store
        .subscription(account_id)?
        .filter(|subscription| subscription.status != SubscriptionStatus::Canceled)
        .map(|subscription| {
            (
                subscription.current_period_start,
                subscription.current_period_end,
            )
        });
    let statuses = tally_core::limit_statuses(
        set,
        counters,
        &row.account.settings.time_zone,
        period,
        state.clock.now(),
    );
    Ok(render::limits(&statuses))
}
