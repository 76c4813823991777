//! The problem documents (RFC 9457) as schemas: the fields every problem has, and each code's
//! own, as `error.rs` writes them; and the `components.responses` that name them per status.

use serde_json::{Map, Value, json};

use crate::schema::{array, constant, credits, integer, nullable, object, reference, string};

/// A field a problem adds: its name, its schema, and whether it is always there.
type Extra = (&'static str, Value, bool);

/// Every code, its status, and the fields it adds.
#[rustfmt::skip]
fn codes() -> Vec<(&'static str, u16, Vec<Extra>)> {
    let param = || ("param", string(), true);
    vec![
        ("invalid_json", 400, vec![("param", string(), false)]),
        ("invalid_signature", 400, vec![param()]),
        ("unauthorized", 401, vec![]),
        ("insufficient_credits", 402, vec![
            ("available", credits(), true),
            ("required", credits(), true),
            ("alternatives", array(reference("Alternative")), false),
        ]),
        ("limit_exceeded", 402, vec![
            ("limit", reference("Limit"), true),
            ("match_value", string(), true),
            ("used", credits(), true),
            ("remaining", credits(), true),
            ("resets_at", nullable(crate::schema::instant()), true),
            ("alternatives", array(reference("Alternative")), false),
        ]),
        ("forbidden", 403, vec![]),
        ("not_found", 404, vec![]),
        ("method_not_allowed", 405, vec![]),
        ("conflict", 409, vec![]),
        ("idempotency_conflict", 409, vec![]),
        ("hold_not_pending", 409, vec![("hold_status", crate::schema::one_of(&["pending", "captured", "voided", "expired"]), true)]),
        ("purchase_not_pending", 409, vec![("purchase_status", crate::schema::one_of(&["pending", "completed", "failed", "canceled", "expired"]), true)]),
        ("payload_too_large", 413, vec![("limit_bytes", integer(0, i64::MAX), true)]),
        ("invalid_request", 422, vec![param()]),
        ("invalid_amount", 422, vec![param()]),
        ("unknown_model", 422, vec![param()]),
        ("capture_exceeds_hold", 422, vec![("held", credits(), true), ("requested", credits(), true)]),
        ("refund_exceeds_charge", 422, vec![("refundable", credits(), true)]),
        ("overdraft_below_debt", 422, vec![param(), ("overdraft_limit_min", credits(), true)]),
        ("rate_limited", 429, vec![]),
        ("headers_too_large", 431, vec![]),
        ("internal", 500, vec![]),
        ("unavailable", 503, vec![]),
        ("account_unavailable", 503, vec![("account_id", string(), true)]),
    ]
}

/// The statuses a problem may have.
pub fn statuses() -> Vec<u16> {
    let mut statuses: Vec<u16> = codes().iter().map(|(_, status, _)| *status).collect();
    statuses.dedup();
    statuses
}

/// The name of the schema of one code's problem.
fn schema_name(code: &str) -> String {
    let camel: String = code
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect();
    format!("{camel}Problem")
}

/// `Problem` (any problem), one schema per code, and `Problem{status}` for each status.
pub fn schemas() -> Map<String, Value> {
    let mut schemas = Map::new();
    let base = || {
        json!({
            "type": {"type": "string", "description": "`/docs/errors#<code>`: the code's section of docs/errors.md."},
            "title": string(),
            "status": {"type": "integer"},
            "code": string(),
            "detail": string(),
        })
    };
    let mut by_status: Vec<(u16, Vec<Value>)> = Vec::new();
    for (code, status, extra) in codes() {
        let mut properties = base();
        properties["status"] = json!({"type": "integer", "const": status});
        properties["code"] = constant(code);
        properties["type"]["const"] = json!(crate::error::problem_type(code));
        let mut required = vec!["type", "title", "status", "code", "detail"];
        for (name, schema, always) in extra {
            properties[name] = schema;
            if always {
                required.push(name);
            }
        }
        let name = schema_name(code);
        schemas.insert(name.clone(), object(&required, properties));
        match by_status.iter_mut().find(|(each, _)| *each == status) {
            Some((_, refs)) => refs.push(reference(&name)),
            None => by_status.push((status, vec![reference(&name)])),
        }
    }
    let all: Vec<Value> = codes()
        .iter()
        .map(|(code, _, _)| reference(&schema_name(code)))
        .collect();
    let mut problem = json!({"oneOf": all, "discriminator": {"propertyName": "code"}});
    problem["description"] = json!(
        "An RFC 9457 problem: `type`, `title`, `status`, `code`, `detail`, and each code's own fields (docs/errors.md)."
    );
    schemas.insert("Problem".into(), problem);
    for (status, refs) in by_status {
        let schema = if refs.len() == 1 {
            refs.into_iter().next().expect("one")
        } else {
            json!({"oneOf": refs})
        };
        schemas.insert(format!("Problem{status}"), schema);
    }
    schemas
}

/// What each status means, for its response's description.
fn description(status: u16) -> &'static str {
    match status {
        400 => {
            "The body is not JSON, a field has the wrong JSON type, or a signature does not verify"
        }
        401 => "No key, an unknown key, or a revoked one",
        402 => "Not enough credits, or a spend limit would be passed",
        403 => "An account key on an admin route",
        404 => "No such resource (or not the key's)",
        405 => "The path exists; the method does not (`Allow` lists those that do)",
        409 => {
            "It exists already, an idempotency key reused with another request, or a hold or purchase that is not pending"
        }
        413 => "The body is over its limit",
        422 => "A field is missing, unknown or out of range (`param` names it)",
        429 => "The key's request rate is over its limit",
        431 => "The request's headers are over their limit",
        500 => "An internal error (logged, never leaked)",
        503 => {
            "The store cannot be reached, or the server is overloaded or shutting down: retry (with the same Idempotency-Key)"
        }
        _ => "A problem",
    }
}

/// `components.responses`: `Problem{status}` for each status an operation may answer (a 405
/// is for the methods no operation has: its problem is among the schemas).
pub fn responses() -> Map<String, Value> {
    let mut responses = Map::new();
    for status in statuses().into_iter().filter(|status| *status != 405) {
        let mut response = json!({
            "description": description(status),
            "content": {"application/problem+json": {"schema": reference(&format!("Problem{status}"))}},
        });
        if status == 429 || status == 503 {
            response["headers"] =
                json!({"Retry-After": {"$ref": "#/components/headers/Retry-After"}});
        }
        responses.insert(format!("Problem{status}"), response);
    }
    responses
}
