//! The document against the route table: every route documented with its answer, every body
//! schema stating exactly the fields its decoder reads, every reference resolving.

use super::*;
use crate::schema::property_names;

#[test]
fn every_route_has_a_row_with_its_answer_and_every_row_a_route() {
    let missing: Vec<String> = ROUTES
        .iter()
        .filter(|route| operations::find(route.method, route.path).is_none())
        .map(|route| format!("{} {}", route.method, route.path))
        .collect();
    assert!(
        missing.is_empty(),
        "routes without a response schema: add a row to crates/tally-server/src/openapi/operations.rs for {missing:?}"
    );
    let orphans: Vec<String> = operations::OPERATIONS
        .iter()
        .filter(|operation| {
            !ROUTES
                .iter()
                .any(|route| route.method == operation.method && route.path == operation.path)
        })
        .map(|operation| format!("{} {}", operation.method, operation.path))
        .collect();
    assert!(orphans.is_empty(), "rows for no route: {orphans:?}");
    let mut ids: Vec<&str> = operations::OPERATIONS.iter().map(|op| op.id).collect();
    ids.sort_unstable();
    let count = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), count, "operation ids are unique");
}

#[test]
fn each_body_schema_holds_exactly_the_fields_its_decoder_reads() {
    for route in ROUTES {
        let Some(body) = route.body else {
            assert!(
                !matches!(route.method, "POST" | "PUT" | "PATCH"),
                "{} {} reads a body: it names its request type",
                route.method,
                route.path
            );
            continue;
        };
        let schema = (body.schema)();
        // A body that is a document of its own is described by a component.
        let schema = match schema["$ref"].as_str() {
            Some(name) => {
                components::schemas()[name.trim_start_matches("#/components/schemas/")].clone()
            }
            None => schema,
        };
        let mut properties = property_names(&schema);
        properties.sort();
        let mut fields: Vec<String> = body.fields.iter().map(ToString::to_string).collect();
        fields.sort();
        assert_eq!(
            properties, fields,
            "{} {}: the body's schema and its FIELDS",
            route.method, route.path
        );
    }
}

/// Every `$ref` in `value`.
fn references(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(target)) => found.push(target.clone()),
                    _ => references(value, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| references(item, found)),
        _ => {}
    }
}

#[test]
fn every_reference_resolves_and_every_link_names_an_operation() {
    let document = document();
    let mut found = Vec::new();
    references(&document, &mut found);
    assert!(!found.is_empty());
    for target in found {
        let pointer = target.trim_start_matches('#');
        assert!(
            document.pointer(pointer).is_some(),
            "{target} resolves to nothing"
        );
    }
    for operation in operations::OPERATIONS {
        for (name, operation_id, _) in operation.links {
            assert!(
                operations::OPERATIONS
                    .iter()
                    .any(|each| each.id == *operation_id),
                "{}: the link {name} names no operation {operation_id}",
                operation.id
            );
        }
    }
}

#[test]
fn every_operation_answers_its_status_with_a_schema_and_keyed_writes_say_so() {
    let document = document();
    let hold = &document["paths"]["/v1/accounts/{id}/holds"]["post"];
    let created = &hold["responses"]["201"];
    assert_eq!(
        created["content"]["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/Hold"})
    );
    assert!(created["headers"]["Idempotent-Replayed"].is_object());
    assert!(
        hold["responses"]["402"].is_object(),
        "a hold may be refused 402"
    );
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
    let rate_limited = &document["components"]["responses"]["Problem429"];
    assert!(rate_limited["headers"]["Retry-After"].is_object());
    let unavailable = &document["components"]["responses"]["Problem503"];
    assert!(unavailable["headers"]["Retry-After"].is_object());
    assert_eq!(
        document["paths"]["/v1/events/{id}/redeliver"]["post"]["responses"]["202"]["content"]["application/json"]
            ["schema"],
        json!({"$ref": "#/components/schemas/Redelivery"})
    );
}

#[test]
fn every_problem_code_of_the_error_table_has_its_schema() {
    use crate::error::ApiError;
    let schemas = problems::schemas();
    let samples = [
        ApiError::invalid_json(None, "x"),
        ApiError::Unauthorized,
        ApiError::InsufficientCredits {
            available: tally_core::Millicredits::new(1),
            required: tally_core::Millicredits::new(2),
        },
        ApiError::Forbidden,
        ApiError::NotFound { what: "thing" },
        ApiError::Conflict { detail: "x".into() },
        ApiError::IdempotencyConflict,
        ApiError::PayloadTooLarge { limit_bytes: 1 },
        ApiError::invalid_request("a", "b"),
        ApiError::invalid_amount("a", "b"),
        ApiError::RateLimited {
            retry_after_seconds: 1,
        },
        ApiError::MethodNotAllowed {
            allowed: "GET".into(),
        },
        ApiError::Unavailable { detail: "x".into() },
        ApiError::AccountUnavailable {
            account_id: "acme".into(),
        },
        ApiError::Internal,
        ApiError::RefundExceedsCharge {
            refundable: tally_core::Millicredits::new(1),
        },
        ApiError::InvalidSignature {
            tolerance_seconds: 300,
        },
        ApiError::OverdraftBelowDebt {
            overdraft_limit_min: tally_core::Millicredits::new(1),
        },
    ];
    for error in samples {
        let body = error.body();
        let code = error.code();
        let schema = schemas
            .values()
            .find(|schema| schema["properties"]["code"]["const"] == json!(code))
            .unwrap_or_else(|| panic!("no schema for the problem code {code}"));
        let properties = schema["properties"].as_object().expect("properties");
        for field in body.as_object().expect("a problem is an object").keys() {
            assert!(
                properties.contains_key(field),
                "{code}: the problem's field {field} is not in its schema"
            );
        }
        for required in schema["required"].as_array().expect("required") {
            let required = required.as_str().expect("a name");
            assert!(
                body.get(required).is_some(),
                "{code}: the schema requires {required}, which the problem lacks"
            );
        }
        assert_eq!(
            schema["properties"]["status"]["const"],
            json!(error.status().as_u16())
        );
    }
}

#[test]
fn every_event_type_has_its_webhook() {
    let document = document();
    for event_type in tally_core::events::EVENT_TYPES {
        let webhook = &document["webhooks"][*event_type]["post"];
        assert!(webhook.is_object(), "no webhook for {event_type}");
    }
}
