//! The document's `webhooks`: one per event type, the Event a delivery posts with the `data`
//! `event_body.rs` writes for that type, and the Standard Webhooks headers that sign it.

use serde_json::{Map, Value, json};

use super::components::event_with;
use crate::schema::{constant, credits, instant, nullable, object, one_of, reference, string};

/// The `data` of each event type: its own fields (name, schema); `available` is added to all.
fn data(event_type: &str) -> Vec<(&'static str, Value)> {
    let grant = || ("grant", reference("Grant"));
    let purchase = || ("purchase", reference("Purchase"));
    match event_type {
        "balance.low" => vec![("threshold", credits())],
        "balance.depleted" => vec![
            ("reason", one_of(&["debit_refused", "reached_zero"])),
            ("refused_amount", nullable(credits())),
        ],
        "grant.created" => vec![grant()],
        "grant.expiring" => vec![
            grant(),
            ("expires_at", nullable(instant())),
            ("remaining", credits()),
        ],
        "grant.expired" => vec![grant(), ("expired", credits())],
        "hold.expired" => vec![("hold", reference("Hold"))],
        "purchase.created" | "purchase.completed" | "purchase.failed" | "purchase.expired" => {
            vec![purchase()]
        }
        "topup.requested" => vec![purchase(), ("threshold", credits())],
        "topup.suspended" => vec![("auto_topup", reference("AutoTopup"))],
        "subscription.renewed" => vec![
            ("subscription", reference("Subscription")),
            ("grant", nullable(reference("Grant"))),
        ],
        "subscription.changed" => vec![("subscription", reference("Subscription"))],
        "refund.created" => vec![("refund", reference("Refund"))],
        "limit.reached" => vec![
            ("limit", reference("Limit")),
            ("value", string()),
            ("used", credits()),
            ("remaining", credits()),
            ("resets_at", nullable(instant())),
            ("reason", one_of(&["debit_refused", "reached"])),
            ("refused_amount", nullable(credits())),
        ],
        other => panic!("openapi: no data schema for the event type {other}: add it here"),
    }
}

/// The event schema of one type.
pub fn event_schema(event_type: &str) -> Value {
    let mut properties = json!({"available": credits()});
    let mut required = vec!["available"];
    for (name, schema) in data(event_type) {
        properties[name] = schema;
        required.push(name);
    }
    event_with(constant(event_type), object(&required, properties))
}

/// The component name of one type's event (`grant.created`: `GrantCreatedEvent`).
pub fn schema_name(event_type: &str) -> String {
    let camel: String = event_type
        .split(['.', '_'])
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect();
    format!("{camel}Event")
}

/// Each type's event schema, for `components.schemas`.
pub fn schemas() -> Map<String, Value> {
    tally_core::events::EVENT_TYPES
        .iter()
        .map(|event_type| (schema_name(event_type), event_schema(event_type)))
        .collect()
}

/// The `webhooks` section.
pub fn webhooks() -> Map<String, Value> {
    tally_core::events::EVENT_TYPES
        .iter()
        .map(|event_type| {
            let operation = json!({
                "post": {
                    "operationId": format!("webhook_{}", event_type.replace('.', "_")),
                    "summary": format!("A `{event_type}` event, posted to the endpoints subscribed to it"),
                    "description": "Signed as Standard Webhooks: `webhook-signature` is `v1,<base64 HMAC-SHA256>` of `{id}.{timestamp}.{body}` with the endpoint's secret (two, space-separated, during a rotation). Any 2xx answer delivers it; otherwise it is retried with backoff for about 3 days; 410 disables the endpoint.",
                    "security": [],
                    "parameters": [
                        {"name": "webhook-id", "in": "header", "required": true, "schema": {"type": "string"}, "description": "The event's id."},
                        {"name": "webhook-timestamp", "in": "header", "required": true, "schema": {"type": "string"}, "description": "Unix seconds."},
                        {"name": "webhook-signature", "in": "header", "required": true, "schema": {"type": "string"}, "description": "`v1,<base64>`, space-separated during a rotation."},
                    ],
                    "requestBody": {
                        "required": true,
                        "content": {"application/json": {"schema": reference(&schema_name(event_type))}},
                    },
                    "responses": {
                        "200": {"description": "Delivered (any 2xx)"},
                        "410": {"description": "Gone: the endpoint is disabled"},
                    },
                }
            });
            (event_type.to_string(), operation)
        })
        .collect()
}
