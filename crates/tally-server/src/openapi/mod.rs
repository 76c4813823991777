//! The OpenAPI 3.1 document, generated from the code: the paths from the route table
//! (`routes::ROUTES`: method, path, access, summary, the request type), each request body's
//! schema from its type ([`crate::routes::write::RequestBody::schema`]), each answer's status,
//! schema, query parameters and links from [`operations`], the resources from
//! [`components`], the problems from [`problems`], the event payloads from [`webhooks`].
//!
//! It is built once at start and served at `/openapi.json`; `docs/openapi.json` is its
//! pretty-printed text (`tally openapi`), which a test keeps equal to what the code generates.

pub mod components;
pub mod operations;
pub mod problems;
pub mod webhooks;

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::routes::write::IDEMPOTENCY_KEY_BYTES_MAX;
use crate::routes::{Access, ROUTES, Route};
use crate::schema::reference;
use operations::Answer;

/// The document.
pub fn document() -> Value {
    let mut paths: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
    for route in ROUTES {
        paths
            .entry(route.path)
            .or_default()
            .insert(route.method.to_lowercase(), operation(route));
    }
    let mut schemas = components::schemas();
    schemas.extend(problems::schemas());
    schemas.extend(webhooks::schemas());
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Tally",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The credits engine of an AI platform: accounts, grants, charges, holds, quotes, plans, packs, purchases, spend limits, events and webhooks. Amounts are credits, exact decimals with at most 3 fraction digits, written as JSON numbers. Errors are RFC 9457 problems (docs/errors.md).",
            "license": {"name": "Proprietary", "identifier": "LicenseRef-Proprietary"},
        },
        "servers": [{"url": "http://127.0.0.1:8080", "description": "`tally serve`'s default address"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "`Authorization: Bearer <key>`: an admin key (everything), or an account key (its own account only).",
                },
            },
            "headers": headers(),
            "schemas": schemas,
            "responses": problems::responses(),
        },
        "paths": paths,
        "webhooks": webhooks::webhooks(),
    })
}

/// The document as `docs/openapi.json` holds it: pretty-printed, with a final newline.
pub fn text() -> String {
    let mut text = serde_json::to_string_pretty(&document()).expect("openapi: JSON");
    text.push('\n');
    text
}

fn headers() -> Value {
    json!({
        "Idempotent-Replayed": {
            "description": "`true` when this answer replays the first answer to the request's Idempotency-Key (nothing was done again).",
            "schema": {"type": "string", "enum": ["true"]},
        },
        "Retry-After": {
            "description": "Seconds to wait before retrying.",
            "schema": {"type": "integer", "minimum": 0},
        },
    })
}

/// The path parameters of `path` (`{id}`, `{version}`).
fn path_parameters(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            let description = if name == "version" {
                "The rate card's version number."
            } else {
                "The resource's id."
            };
            json!({"name": name, "in": "path", "required": true, "description": description, "schema": {"type": "string"}})
        })
        .collect()
}

/// The problem statuses the route may answer: every route 431 (headers over their limit), 500
/// and 503 (timed out, overloaded, the store unreachable), and each what its access, its
/// body and its parameters may be refused with.
fn problem_statuses(route: &Route, operation: Option<&operations::Operation>) -> Vec<u16> {
    let mut statuses = vec![431, 500, 503];
    let writes = route.body.is_some();
    if writes {
        statuses.extend([400, 413, 422]);
    }
    if route.access != Access::Public {
        statuses.extend([401, 404, 429]);
    }
    if route.access == Access::Admin || route.path == "/v1/batch" {
        statuses.push(403);
    }
    if route.path == "/v1/integrations/stripe/webhook" || route.path == "/errors/{code}" {
        statuses.push(404);
    }
    let debits = [
        "/v1/accounts/{id}/charges",
        "/v1/accounts/{id}/holds",
        "/v1/holds/{id}/capture",
        "/v1/holds/{id}/extend",
    ];
    if writes && debits.contains(&route.path) {
        statuses.push(402);
    }
    if writes && route.method != "PATCH" {
        statuses.push(409);
    }
    if route.method == "PATCH" || route.method == "DELETE" {
        statuses.push(409);
    }
    if operation.is_some_and(|operation| !operation.query.is_empty())
        || route.path == "/v1/rate-card/versions/{version}"
        || route.method == "DELETE"
        || route.method == "PATCH"
    {
        statuses.push(422);
    }
    statuses.sort_unstable();
    statuses.dedup();
    statuses
}

/// The success response of `operation`.
fn success(route: &Route, operation: &operations::Operation) -> Value {
    let (media_type, schema) = match operation.answer {
        Answer::Json(name) => ("application/json", reference(name)),
        Answer::JsonArray(name) => (
            "application/json",
            json!({"type": "array", "items": reference(name)}),
        ),
        Answer::Text => ("text/plain", json!({"type": "string"})),
        Answer::Html => ("text/html", json!({"type": "string"})),
        Answer::Document => (
            "application/json",
            json!({"type": "object", "additionalProperties": true, "description": "This document."}),
        ),
    };
    let mut response = json!({
        "description": route.summary,
        "content": {media_type: {"schema": schema}},
    });
    if route.body.is_some_and(|body| body.idempotent) {
        response["headers"] =
            json!({"Idempotent-Replayed": {"$ref": "#/components/headers/Idempotent-Replayed"}});
    }
    if !operation.links.is_empty() {
        let links: Map<String, Value> = operation
            .links
            .iter()
            .map(|(name, operation_id, pointer)| {
                (
                    name.to_string(),
                    json!({
                        "operationId": operation_id,
                        "parameters": {"id": format!("$response.body#{pointer}")},
                    }),
                )
            })
            .collect();
        response["links"] = Value::Object(links);
    }
    response
}

fn operation(route: &Route) -> Value {
    let found = operations::find(route.method, route.path);
    let mut operation = Map::new();
    if let Some(found) = found {
        operation.insert("operationId".into(), json!(found.id));
    }
    operation.insert("summary".into(), json!(route.summary));
    operation.insert(
        "x-access".into(),
        json!(format!("{:?}", route.access).to_lowercase()),
    );
    if route.access == Access::Public {
        operation.insert("security".into(), json!([]));
    }
    let mut parameters = path_parameters(route.path);
    if let Some(found) = found {
        for name in found.query {
            let (schema, description) = operations::query_parameter(route.path, name);
            parameters.push(json!({
                "name": name,
                "in": "query",
                "required": false,
                "description": description,
                "schema": schema,
            }));
        }
    }
    if let Some(body) = route.body {
        if body.idempotent {
            parameters.push(json!({
                "name": "Idempotency-Key",
                "in": "header",
                "required": false,
                "description": "Makes the request safe to retry: the same key with the same body answers the first answer again (`Idempotent-Replayed: true`), for 24 hours at least; with another body, 409 `idempotency_conflict`.",
                "schema": {"type": "string", "minLength": 1, "maxLength": IDEMPOTENCY_KEY_BYTES_MAX, "pattern": "^[\\x20-\\x7e]+$"},
            }));
        }
        operation.insert(
            "requestBody".into(),
            json!({"required": false, "content": {"application/json": {"schema": (body.schema)()}}}),
        );
    }
    if !parameters.is_empty() {
        operation.insert("parameters".into(), Value::Array(parameters));
    }
    let mut responses = Map::new();
    match found {
        Some(found) => {
            responses.insert(found.status.to_string(), success(route, found));
        }
        None => {
            // No row in `operations`: the tests of this module fail until it has one.
            responses.insert(
                "200".into(),
                json!({"description": "Undocumented: this route has no row in openapi/operations.rs"}),
            );
        }
    }
    for status in problem_statuses(route, found) {
        responses.insert(
            status.to_string(),
            json!({"$ref": format!("#/components/responses/Problem{status}")}),
        );
    }
    operation.insert("responses".into(), Value::Object(responses));
    Value::Object(operation)
}

#[cfg(test)]
mod tests;
