//! JSON Schema builders for the OpenAPI document: the few shapes every body and resource is
//! made of (credits, instants, nullable fields, closed objects), written once so that each
//! request type can state its schema next to the fields it reads, and the resources' schemas
//! in `openapi/` read like the renderers they describe.
//!
//! A leaf: it knows JSON and nothing of routes, so both `routes/` and `openapi/` use it.

use serde_json::{Map, Value, json};

/// The largest magnitude of an amount, in credits (API.md: 1e12).
pub const CREDITS_MAX: i64 = 1_000_000_000_000;

/// Credits: an exact decimal with at most 3 fraction digits, as a JSON number.
pub fn credits() -> Value {
    json!({"$ref": "#/components/schemas/Credits"})
}

/// The `Credits` component: an amount as the server writes it. A single amount a request
/// sends is at most 1e12 credits ([`credits_in`]); a total (a balance over several grants)
/// may be more.
pub fn credits_component() -> Value {
    json!({
        "type": "number",
        "description": "Credits: an exact decimal with at most 3 fraction digits, written as a JSON \
            number (`12`, `12.5`, `0.125`) and read from its text, never through a float; \
            stored as integer millicredits. An amount a request sends is at most 1e12 in \
            magnitude (more fraction digits, or more: 422 `invalid_amount`); a total, such \
            as a balance over several grants, may be larger.",
        "examples": [12.5],
    })
}

/// Credits a request sends that must be more than zero (`positive`) or not negative.
pub fn credits_in(positive: bool) -> Value {
    let bound = if positive {
        "exclusiveMinimum"
    } else {
        "minimum"
    };
    let mut schema = json!({
        "type": "number",
        "maximum": CREDITS_MAX,
        "description": "Credits, at most 3 fraction digits and 1e12 (see `Credits`).",
        "examples": [12.5],
    });
    schema[bound] = json!(0);
    schema
}

/// An RFC 3339 UTC instant.
pub fn instant() -> Value {
    json!({"type": "string", "format": "date-time"})
}

/// A string of at most `max_bytes` bytes (`maxLength` counts characters, which are at least a
/// byte each: a longer string is refused either way).
pub fn text(max_bytes: usize) -> Value {
    json!({"type": "string", "maxLength": max_bytes})
}

/// Any string.
pub fn string() -> Value {
    json!({"type": "string"})
}

/// A whole number within `min..=max`.
pub fn integer(min: i64, max: i64) -> Value {
    json!({"type": "integer", "minimum": min, "maximum": max})
}

/// `true` or `false`.
pub fn boolean() -> Value {
    json!({"type": "boolean"})
}

/// One of `values`.
pub fn one_of(values: &[&str]) -> Value {
    json!({"type": "string", "enum": values})
}

/// Exactly `value`.
pub fn constant(value: &str) -> Value {
    json!({"type": "string", "const": value})
}

/// Client metadata: any JSON object. `additionalProperties: true` says so outright, which
/// JSON Schema assumes anyway but client generators don't (openapi-typescript reads a bare
/// `object` as one with no property at all).
pub fn metadata() -> Value {
    json!({
        "type": "object",
        "additionalProperties": true,
        "description": "Client metadata: any JSON object (16 KiB at most).",
    })
}

/// A reference to a component schema.
pub fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// `schema`, or JSON `null`.
pub fn nullable(schema: Value) -> Value {
    json!({"anyOf": [schema, {"type": "null"}]})
}

/// An array of `items`.
pub fn array(items: Value) -> Value {
    json!({"type": "array", "items": items})
}

/// A closed object: `properties` (a JSON object of schemas), of which `required` are always
/// there, and no other property.
pub fn object(required: &[&str], properties: Value) -> Value {
    let mut schema = open_object(required, properties);
    schema["additionalProperties"] = json!(false);
    schema
}

/// An object with `properties`, of which `required` are always there, that may carry
/// others (documented where it is used).
pub fn open_object(required: &[&str], properties: Value) -> Value {
    assert!(
        properties.is_object(),
        "schema: properties are a JSON object"
    );
    for name in required {
        assert!(
            properties.get(*name).is_some(),
            "schema: required property {name} is not among the properties"
        );
    }
    let mut schema = Map::new();
    schema.insert("type".into(), json!("object"));
    schema.insert("properties".into(), properties);
    if !required.is_empty() {
        schema.insert("required".into(), json!(required));
    }
    Value::Object(schema)
}

/// A request body: a closed object whose `required` fields must be there, and whose other
/// fields may be left out or sent as `null` (which the decoder reads as absent).
pub fn body(required: &[&str], properties: Value) -> Value {
    let Value::Object(properties) = properties else {
        panic!("schema: a body's properties are a JSON object");
    };
    let properties: Map<String, Value> = properties
        .into_iter()
        .map(|(name, schema)| {
            if required.contains(&name.as_str()) {
                (name, schema)
            } else {
                (name, nullable(schema))
            }
        })
        .collect();
    object(required, Value::Object(properties))
}

/// The body of a route that reads none: `{}` (or nothing).
pub fn empty_body() -> Value {
    object(&[], json!({}))
}

/// The property names of an object schema (the `properties`' keys), for the tests that check
/// a body's schema against the fields its decoder reads.
pub fn property_names(schema: &Value) -> Vec<String> {
    schema["properties"]
        .as_object()
        .map(|properties| properties.keys().cloned().collect())
        .unwrap_or_default()
}

/// `usage` where a workflow run's list is taken too (quotes, holds): one descriptor, or a list
/// of 1 to 100.
pub fn usage_or_run() -> Value {
    json!({
        "anyOf": [
            reference("Usage"),
            {"type": "array", "items": reference("Usage"), "minItems": 1, "maxItems": 100,
             "description": "A workflow run's steps, priced each and summed."}
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_makes_its_optional_fields_nullable_and_refuses_others() {
        let schema = body(&["a"], json!({"a": string(), "b": integer(0, 1)}));
        assert_eq!(schema["additionalProperties"], json!(false));
        assert_eq!(schema["required"], json!(["a"]));
        assert_eq!(schema["properties"]["a"], json!({"type": "string"}));
        assert_eq!(
            schema["properties"]["b"]["anyOf"][1],
            json!({"type": "null"})
        );
    }

    #[test]
    #[should_panic(expected = "required property c")]
    fn a_required_property_must_be_described() {
        object(&["c"], json!({"a": string()}));
    }
}
