//! `POST /v1/batch`: many write operations in one request, applied in one engine batch.
//!
//! Each operation `{method, path, body?, idempotency_key?}` is read, authorized and prepared
//! exactly as the route it names would read, authorize and prepare it alone (the same
//! [`WriteRoute`], the same [`Target`] check against the outer request's key, the same body
//! type, the same request hash for its key), then every prepared command goes to the engine as
//! one group ([`tally_engine::EngineHandle::submit_group`]): one batch, one commit, answers in
//! order. An operation that is refused (a bad body, another account's path, an unknown route)
//! gets its own problem document as its result and changes nothing; the others apply.
//!
//! What is the whole request's, not an operation's: the key (401), the body's size
//! ([`BATCH_BODY_BYTES_MAX`]), its JSON, and the `operations` array itself (1 to
//! [`BATCH_OPERATIONS_MAX`]): any of those wrong and nothing is applied. The request takes no
//! `Idempotency-Key` of its own (refused, so nobody believes a batch is protected by one):
//! each operation's `idempotency_key` is what makes a retry of the batch safe.

use std::fmt::Write as _;

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value};
use tally_engine::Idempotency;

use super::write::{
    AnyKey, Context, Decode, Prepared, RequestBody, Target, WriteRequest, WriteRoute,
    is_valid_idempotency_key, request_hash,
};
use super::{ROUTES, accounts, debits, keys, limits, plans, pricing, purchases, topup};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::json::Fields;
use crate::reply::{json_response, reply_parts};
use crate::state::AppState;

/// The most operations one batch holds.
pub const BATCH_OPERATIONS_MAX: usize = 1000;

/// The body limit of `POST /v1/batch`: room for 1,000 operations of 16 KiB each. Each
/// operation's body keeps its route's own limit (1 MiB) as well.
pub const BATCH_BODY_BYTES_MAX: usize = 16 * 1024 * 1024;

/// The longest `method` and `path` an operation may name.
const OPERATION_METHOD_BYTES_MAX: usize = 16;
const OPERATION_PATH_BYTES_MAX: usize = 2048;

/// One operation, as sent.
pub struct Operation {
    pub method: String,
    pub path: String,
    pub body: Option<Value>,
    pub idempotency_key: Option<String>,
}

/// The body of `POST /v1/batch`: every operation, each read or refused on its own.
pub struct BatchRequest {
    pub operations: Vec<Result<Operation, ApiError>>,
}

impl Decode for BatchRequest {
    type Target = AnyKey;

    const BODY_BYTES_MAX: usize = BATCH_BODY_BYTES_MAX;

    // Checked by the handler: a batch refuses an `Idempotency-Key` of its own.
    const IDEMPOTENT: bool = false;

    const FIELDS: &'static [&'static str] = &["operations"];

    fn schema() -> Value {
        use crate::schema::*;
        // Each operation is read on its own: one that is not an object of this shape is refused
        // in its own result (the batch still answers 200), so the schema of an item describes
        // and does not constrain.
        let item = serde_json::json!({
            "description": format!(
                "An operation: `{{method, path, body?, idempotency_key?}}` (`method` at most {OPERATION_METHOD_BYTES_MAX} bytes, \
                 `path` at most {OPERATION_PATH_BYTES_MAX}, `body` what its route takes, `idempotency_key` as the header); \
                 anything else is refused in its own result."
            ),
            "examples": [{"method": "POST", "path": "/v1/accounts/acme/charges", "body": {"amount": 5}, "idempotency_key": "run-42-step-1"}],
        });
        let mut operations = array(item);
        operations["minItems"] = serde_json::json!(1);
        operations["maxItems"] = serde_json::json!(BATCH_OPERATIONS_MAX);
        body(
            &["operations"],
            serde_json::json!({ "operations": operations }),
        )
    }

    fn decode(fields: &mut Fields, _: &Context<'_, AnyKey>) -> Result<Self, ApiError> {
        let count_error = |count: usize| {
            ApiError::invalid_request(
                "operations",
                format!("send 1 to {BATCH_OPERATIONS_MAX} operations, got {count}"),
            )
        };
        let operations = fields.take("operations");
        let operations = fields.required("operations", operations)?;
        let Value::Array(items) = operations else {
            return Err(ApiError::invalid_json(
                Some("operations"),
                "`operations` must be an array",
            ));
        };
        if items.is_empty() || items.len() > BATCH_OPERATIONS_MAX {
            return Err(count_error(items.len()));
        }
        let operations = items
            .into_iter()
            .enumerate()
            .map(|(index, item)| Operation::read(index, item))
            .collect();
        Ok(BatchRequest { operations })
    }
}

impl Operation {
    /// Reads the operation at `index`; what is wrong with it is named `operations[index].…`.
    fn read(index: usize, value: Value) -> Result<Operation, ApiError> {
        let mut fields = Fields::nested(value, &format!("operations[{index}]."))?;
        let method = fields.string("method", OPERATION_METHOD_BYTES_MAX)?;
        let method = fields.required("method", method)?;
        let path = fields.string("path", OPERATION_PATH_BYTES_MAX)?;
        let path = fields.required("path", path)?;
        let body = fields.take("body");
        let idempotency_key = fields.string("idempotency_key", usize::MAX)?;
        fields.finish()?;
        if let Some(key) = &idempotency_key
            && !is_valid_idempotency_key(key)
        {
            return Err(ApiError::invalid_request(
                format!("operations[{index}].idempotency_key"),
                "an idempotency_key must be 1 to 255 printable ASCII characters",
            ));
        }
        Ok(Operation {
            method,
            path,
            body,
            idempotency_key,
        })
    }
}

/// How an operation is prepared: what [`prepare`] is for each route that may be batched.
type PrepareFn = fn(
    &AppState,
    &Principal,
    Option<String>,
    &Operation,
) -> Result<(Prepared, Option<Idempotency>), ApiError>;

/// A route an operation may name.
struct BatchRoute {
    method: &'static str,
    path: &'static str,
    prepare: PrepareFn,
}

/// Every write route that may be batched. Not here, on purpose: `PUT /v1/rate-card` and
/// `POST /v1/clock`, which change what every other operation of the batch is priced or
/// timed at (send them alone), `POST /v1/batch` itself, Stripe's webhook, and portal links
/// (a sign-in for one redirect, not a ledger operation).
const BATCH_ROUTES: &[BatchRoute] = &[
    batchable::<accounts::CreateAccount>("POST", "/v1/accounts"),
    batchable::<accounts::UpdateAccount>("PATCH", "/v1/accounts/{id}"),
    batchable::<limits::PutLimits>("PUT", "/v1/accounts/{id}/limits"),
    batchable::<accounts::CreateGrant>("POST", "/v1/accounts/{id}/grants"),
    batchable::<accounts::VoidGrant>("POST", "/v1/grants/{id}/void"),
    batchable::<debits::CreateCharge>("POST", "/v1/accounts/{id}/charges"),
    batchable::<debits::CreateHold>("POST", "/v1/accounts/{id}/holds"),
    batchable::<debits::CaptureHold>("POST", "/v1/holds/{id}/capture"),
    batchable::<debits::VoidHold>("POST", "/v1/holds/{id}/void"),
    batchable::<debits::ExtendHold>("POST", "/v1/holds/{id}/extend"),
    batchable::<debits::RefundCharge>("POST", "/v1/charges/{id}/refunds"),
    batchable::<debits::RefundHold>("POST", "/v1/holds/{id}/refunds"),
    batchable::<pricing::CreateQuote>("POST", "/v1/quotes"),
    batchable::<plans::Subscribe>("PUT", "/v1/accounts/{id}/subscription"),
    batchable::<plans::CancelSubscription>("DELETE", "/v1/accounts/{id}/subscription"),
    batchable::<topup::PutAutoTopup>("PUT", "/v1/accounts/{id}/auto-topup"),
    batchable::<topup::DeleteAutoTopup>("DELETE", "/v1/accounts/{id}/auto-topup"),
    batchable::<purchases::CreatePurchase>("POST", "/v1/accounts/{id}/purchases"),
    batchable::<purchases::CompletePurchase>("POST", "/v1/purchases/{id}/complete"),
    batchable::<purchases::FailPurchase>("POST", "/v1/purchases/{id}/fail"),
    batchable::<purchases::CancelPurchase>("POST", "/v1/purchases/{id}/cancel"),
    batchable::<keys::CreateKey>("POST", "/v1/accounts/{id}/keys"),
    batchable::<keys::RevokeKey>("DELETE", "/v1/keys/{id}"),
];

/// The routes of [`super::ROUTES`] that write and are not in [`BATCH_ROUTES`], on purpose.
pub const NOT_BATCHABLE: &[(&str, &str)] = &[
    ("PUT", "/v1/rate-card"),
    ("POST", "/v1/clock"),
    ("POST", "/v1/batch"),
    // Authenticated by its signature over its own raw body, not by the batch's key.
    ("POST", "/v1/integrations/stripe/webhook"),
    ("POST", "/v1/accounts/{id}/portal-sessions"),
    // Webhooks are delivery state, written outside the engine: not ledger operations.
    ("POST", "/v1/events/{id}/redeliver"),
    ("POST", "/v1/webhook-endpoints"),
    ("PATCH", "/v1/webhook-endpoints/{id}"),
    ("DELETE", "/v1/webhook-endpoints/{id}"),
    ("POST", "/v1/webhook-endpoints/{id}/rotate-secret"),
];

const fn batchable<R: WriteRoute>(method: &'static str, path: &'static str) -> BatchRoute {
    BatchRoute {
        method,
        path,
        prepare: prepare::<R>,
    }
}

/// One operation on route `R`, in the order its single request is checked: the target
/// against the caller, the key, the body's size, its fields, then the route's own checks.
fn prepare<R: WriteRoute>(
    state: &AppState,
    principal: &Principal,
    id: Option<String>,
    operation: &Operation,
) -> Result<(Prepared, Option<Idempotency>), ApiError> {
    let target = <<R::Body as RequestBody>::Target as Target>::resolve(id, state, principal)?;
    // No body is `{}`, as an empty request body is.
    let value = operation
        .body
        .clone()
        .unwrap_or_else(|| Value::Object(Map::new()));
    let limit_bytes = <R::Body as RequestBody>::BODY_BYTES_MAX;
    if value.to_string().len() > limit_bytes {
        return Err(ApiError::PayloadTooLarge { limit_bytes });
    }
    let key = operation
        .idempotency_key
        .clone()
        .filter(|_| <R::Body as RequestBody>::IDEMPOTENT);
    let idempotency = match key {
        None => None,
        Some(key) => {
            let method = Method::from_bytes(operation.method.as_bytes())
                .expect("batch: a routed method is a method");
            Some(Idempotency {
                scope: principal.idempotency_scope(),
                key,
                request_hash: request_hash(&method, path_only(&operation.path), &value),
            })
        }
    };
    let context = Context {
        state,
        target: &target,
    };
    let body = <R::Body as RequestBody>::from_json(value, &context)?;
    Ok((R::prepare(state, principal, target, body)?, idempotency))
}

/// The path without its query (a write route reads none, and a request's hash has none).
fn path_only(path: &str) -> &str {
    path.split_once('?').map_or(path, |(path, _)| path)
}

/// The route an operation names and the id its path holds: 404 for a path no route has, 405
/// for a method its path does not take, 422 for a route that cannot be batched.
fn route_of(
    index: usize,
    operation: &Operation,
) -> Result<(&'static BatchRoute, Option<String>), ApiError> {
    let path = path_only(&operation.path);
    let segments: Vec<&str> = path.split('/').collect();
    let mut path_known = false;
    let mut matched = None;
    for route in ROUTES {
        let id = match_path(route.path, &segments).map_err(|_| {
            ApiError::invalid_request(
                format!("operations[{index}].path"),
                "the path has an invalid percent escape",
            )
        })?;
        let Some(id) = id else {
            continue;
        };
        path_known = true;
        if route.method == operation.method {
            matched = Some((route, id));
            break;
        }
    }
    let Some((route, id)) = matched else {
        return Err(if path_known {
            ApiError::MethodNotAllowed {
                allowed: super::allowed::allowed_methods(path),
            }
        } else {
            ApiError::NotFound { what: "route" }
        });
    };
    BATCH_ROUTES
        .iter()
        .find(|batch| batch.method == route.method && batch.path == route.path)
        .map(|batch| (batch, id))
        .ok_or_else(|| {
            ApiError::invalid_request(
                format!("operations[{index}].path"),
                format!(
                    "`{} {}` cannot be batched: only the write routes that change no other operation's pricing or time (send it alone)",
                    route.method, route.path
                ),
            )
        })
}

/// Whether `segments` (a path split at `/`) match `template` (axum syntax); the one `{…}`
/// segment's value, percent-decoded, when they do.
fn match_path(template: &str, segments: &[&str]) -> Result<Option<Option<String>>, ApiError> {
    let parts: Vec<&str> = template.split('/').collect();
    if parts.len() != segments.len() {
        return Ok(None);
    }
    let mut id = None;
    for (part, segment) in parts.iter().zip(segments) {
        if part.starts_with('{') {
            if segment.is_empty() {
                return Ok(None);
            }
            id = Some(percent_decode(segment)?);
        } else if part != segment {
            return Ok(None);
        }
    }
    Ok(Some(id))
}

/// A path segment with its `%XX` escapes decoded, as the router decodes a path parameter.
fn percent_decode(segment: &str) -> Result<String, ApiError> {
    let invalid = || ApiError::invalid_request("path", "the path has an invalid percent escape");
    let bytes = segment.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = bytes.get(index + 1..index + 3).ok_or_else(invalid)?;
            let hex = std::str::from_utf8(hex).map_err(|_| invalid())?;
            decoded.push(u8::from_str_radix(hex, 16).map_err(|_| invalid())?);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(decoded).map_err(|_| invalid())
}

/// Where an operation's result comes from.
enum Slot {
    /// Known before the engine ran: a refusal, or an answer made without it (a quote).
    Answered(StatusCode, String),
    /// The engine's answer to the group's next command; a 201 is sent as this status. A
    /// usage-priced debit's 402 lists its alternatives, as it would alone.
    Engine(StatusCode, Option<Box<super::cheaper::UsageDebit>>),
}

pub async fn batch(
    State(state): State<AppState>,
    headers: HeaderMap,
    WriteRequest {
        principal,
        actor,
        body: BatchRequest { operations },
        ..
    }: WriteRequest<BatchRequest>,
) -> Result<Response, ApiError> {
    if headers.contains_key("idempotency-key") {
        return Err(ApiError::invalid_request(
            "Idempotency-Key",
            "a batch takes no Idempotency-Key: give each operation its own idempotency_key",
        ));
    }
    let mut slots = Vec::with_capacity(operations.len());
    let mut commands = Vec::new();
    for (index, operation) in operations.into_iter().enumerate() {
        let prepared = operation.and_then(|operation| {
            let (route, id) = route_of(index, &operation)?;
            (route.prepare)(&state, &principal, id, &operation)
        });
        match prepared {
            Err(error) => slots.push(Slot::Answered(error.status(), error.body().to_string())),
            Ok((Prepared::Answered { status, body }, _)) => {
                slots.push(Slot::Answered(status, body));
            }
            Ok((
                Prepared::Engine {
                    command,
                    created_status,
                },
                idempotency,
            )) => {
                let debit = super::cheaper::UsageDebit::of_command(&command).map(Box::new);
                slots.push(Slot::Engine(created_status, debit));
                commands.push((command, idempotency));
            }
        }
    }
    let replies = state.engine.submit_group_by(commands, actor.as_deref());
    let mut replies = replies.await.into_iter();
    let mut text = String::from("{\"results\":[");
    for (index, slot) in slots.into_iter().enumerate() {
        let (status, body, replayed) = match slot {
            Slot::Answered(status, body) => (status, body, false),
            Slot::Engine(created_status, debit) => {
                let reply = replies
                    .next()
                    .expect("batch: the engine answers every command of the group");
                let (status, mut body, replayed) = reply_parts(reply);
                if let Some(problem) = debit.and_then(|debit| {
                    super::cheaper::problem_with_alternatives(
                        &state,
                        &debit,
                        status,
                        body.as_bytes(),
                    )
                }) {
                    body = problem;
                }
                let status = if status == StatusCode::CREATED {
                    created_status
                } else {
                    status
                };
                (status, body, replayed)
            }
        };
        if index > 0 {
            text.push(',');
        }
        let _ = write!(
            text,
            "{{\"status\":{},\"replayed\":{replayed},\"body\":{body}}}",
            status.as_u16()
        );
    }
    text.push_str("]}");
    Ok(json_response(StatusCode::OK, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_write_route_is_batchable_or_left_out_on_purpose() {
        for route in ROUTES {
            let writes = matches!(route.method, "POST" | "PUT" | "PATCH" | "DELETE");
            let batched = BATCH_ROUTES
                .iter()
                .any(|batch| batch.method == route.method && batch.path == route.path);
            let left_out = NOT_BATCHABLE.contains(&(route.method, route.path));
            assert_eq!(
                writes,
                batched ^ left_out,
                "{} {}: a write route is either batchable or left out, and only a write route",
                route.method,
                route.path
            );
        }
        for batch in BATCH_ROUTES {
            assert!(
                ROUTES
                    .iter()
                    .any(|route| route.method == batch.method && route.path == batch.path),
                "{} {} is not a route",
                batch.method,
                batch.path
            );
        }
    }

    #[test]
    fn paths_match_their_templates_and_decode_their_id() {
        let check = |template: &str, path: &str, expected: Option<Option<&str>>| {
            let segments: Vec<&str> = path.split('/').collect();
            let matched = match_path(template, &segments).expect("a valid path");
            assert_eq!(
                matched,
                expected.map(|id| id.map(str::to_string)),
                "{template} {path}"
            );
        };
        check("/v1/accounts", "/v1/accounts", Some(None));
        check("/v1/accounts", "/v1/accounts/", None);
        check(
            "/v1/accounts/{id}/charges",
            "/v1/accounts/a/charges",
            Some(Some("a")),
        );
        check("/v1/accounts/{id}/charges", "/v1/accounts//charges", None);
        check(
            "/v1/accounts/{id}/charges",
            "/v1/accounts/a%3Ab/charges",
            Some(Some("a:b")),
        );
        check("/v1/accounts/{id}/charges", "/v1/accounts/a/holds", None);
        assert_eq!(path_only("/v1/quotes?x=1"), "/v1/quotes");
        assert!(percent_decode("a%zz").is_err());
        assert!(percent_decode("a%2").is_err());
        assert!(percent_decode("%ff").is_err(), "not UTF-8");
    }
}
