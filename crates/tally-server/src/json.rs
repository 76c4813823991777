//! Reading request bodies: the size limit, JSON syntax, and typed fields with exact errors.
//!
//! Bodies are parsed into a `serde_json::Value` (with `arbitrary_precision`, so numbers keep
//! their text and amounts never pass through a float), then read field by field with
//! [`Fields`]: a wrong JSON type is 400 `invalid_json`, a missing, unknown or out-of-range field
//! is 422 `invalid_request` naming it, and a bad amount is 422 `invalid_amount`.

use axum::body::Body;
use axum::http::HeaderMap;
use serde_json::{Map, Value};
use tally_core::{Decimal, Millicredits, Timestamp};

use crate::error::ApiError;

/// The default body limit (API.md: 1 MiB).
pub const BODY_BYTES_MAX: usize = 1024 * 1024;

/// How deeply a body may nest objects and arrays.
pub const JSON_DEPTH_MAX: usize = 32;

/// The longest free-text field (names, descriptions, products, members).
pub const TEXT_BYTES_MAX: usize = 1024;

/// The largest metadata object, serialized.
pub const METADATA_BYTES_MAX: usize = 16 * 1024;

/// Reads the body (at most `limit_bytes`) and parses it as JSON. An empty body is `{}`.
pub async fn read_json(
    headers: &HeaderMap,
    body: Body,
    limit_bytes: usize,
) -> Result<Value, ApiError> {
    if let Some(length) = headers.get(axum::http::header::CONTENT_LENGTH) {
        let length: Option<usize> = length.to_str().ok().and_then(|text| text.parse().ok());
        if length.is_some_and(|length| length > limit_bytes) {
            return Err(ApiError::PayloadTooLarge { limit_bytes });
        }
    }
    let bytes = axum::body::to_bytes(body, limit_bytes)
        .await
        .map_err(|_| ApiError::PayloadTooLarge { limit_bytes })?;
    // No body at all reads as `{}` (a POST with nothing to say); whitespace alone is not
    // JSON, and is refused like any other text that is not.
    if bytes.is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    let value: Value = serde_json::from_slice(&bytes)
        .map_err(|error| ApiError::invalid_json(None, format!("the body is not JSON: {error}")))?;
    if depth(&value) > JSON_DEPTH_MAX {
        return Err(ApiError::invalid_request(
            "body",
            format!("the body nests deeper than {JSON_DEPTH_MAX} levels"),
        ));
    }
    Ok(value)
}

fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// The fields of a JSON object, consumed one by one; whatever is left is unknown.
pub struct Fields {
    map: Map<String, Value>,
    prefix: String,
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Fields {
    /// The fields of `value`, which must be an object.
    pub fn new(value: Value) -> Result<Self, ApiError> {
        Self::nested(value, "")
    }

    /// The fields of an object found at `prefix` (e.g. `usage.`), for error messages.
    pub fn nested(value: Value, prefix: &str) -> Result<Self, ApiError> {
        match value {
            Value::Object(map) => Ok(Fields {
                map,
                prefix: prefix.to_string(),
            }),
            other => Err(ApiError::invalid_json(
                (!prefix.is_empty()).then_some(prefix.trim_end_matches('.')),
                format!("expected a JSON object, got {}", type_name(&other)),
            )),
        }
    }

    fn param(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn wrong_type(&self, name: &str, expected: &str, got: &Value) -> ApiError {
        let param = self.param(name);
        ApiError::invalid_json(
            Some(&param),
            format!(
                "`{param}` has the wrong JSON type: it must be {expected}, not {}",
                type_name(got)
            ),
        )
    }

    /// Removes a field; JSON `null` counts as absent.
    pub fn take(&mut self, name: &str) -> Option<Value> {
        match self.map.remove(name) {
            None | Some(Value::Null) => None,
            Some(value) => Some(value),
        }
    }

    /// Removes a field sent as JSON `null` (to clear a setting): whether it was.
    pub fn null(&mut self, name: &str) -> bool {
        if self.map.get(name).is_some_and(Value::is_null) {
            self.map.remove(name);
            return true;
        }
        false
    }

    pub fn has(&self, name: &str) -> bool {
        self.map.get(name).is_some_and(|value| !value.is_null())
    }

    pub fn required<T>(&self, name: &str, value: Option<T>) -> Result<T, ApiError> {
        value.ok_or_else(|| {
            let param = self.param(name);
            ApiError::invalid_request(&param, format!("`{param}` is required"))
        })
    }

    /// An amount in credits (a JSON number with at most 3 fraction digits, |x| <= 1e12).
    pub fn amount(&mut self, name: &str) -> Result<Option<Millicredits>, ApiError> {
        let Some(value) = self.take(name) else {
            return Ok(None);
        };
        let Value::Number(number) = &value else {
            return Err(self.wrong_type(name, "a number of credits", &value));
        };
        let param = self.param(name);
        Millicredits::parse_credits(&number.to_string())
            .map(Some)
            .map_err(|error| ApiError::invalid_amount(&param, format!("`{param}`: {error}")))
    }

    /// An amount that must be more than zero.
    pub fn positive_amount(&mut self, name: &str) -> Result<Option<Millicredits>, ApiError> {
        let amount = self.amount(name)?;
        if let Some(amount) = amount
            && !amount.is_positive()
        {
            let param = self.param(name);
            return Err(ApiError::invalid_amount(
                &param,
                format!("`{param}` must be positive"),
            ));
        }
        Ok(amount)
    }

    /// An amount that must not be negative.
    pub fn non_negative_amount(&mut self, name: &str) -> Result<Option<Millicredits>, ApiError> {
        let amount = self.amount(name)?;
        if let Some(amount) = amount
            && amount.is_negative()
        {
            let param = self.param(name);
            return Err(ApiError::invalid_amount(
                &param,
                format!("`{param}` must not be negative"),
            ));
        }
        Ok(amount)
    }

    /// A JSON boolean.
    pub fn boolean(&mut self, name: &str) -> Result<Option<bool>, ApiError> {
        let Some(value) = self.take(name) else {
            return Ok(None);
        };
        match value {
            Value::Bool(flag) => Ok(Some(flag)),
            other => Err(self.wrong_type(name, "true or false", &other)),
        }
    }

    /// A whole number within `min..=max`.
    pub fn integer(&mut self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        let Some(value) = self.take(name) else {
            return Ok(None);
        };
        let Value::Number(number) = &value else {
            return Err(self.wrong_type(name, "a whole number", &value));
        };
        let param = self.param(name);
        let out_of_range = || {
            ApiError::invalid_request(
                &param,
                format!("`{param}` must be a whole number from {min} to {max}, not {number}"),
            )
        };
        let decimal = Decimal::parse(&number.to_string()).ok_or_else(out_of_range)?;
        let whole = decimal.to_scaled(0, i64::MAX).map_err(|_| out_of_range())?;
        if whole < min || whole > max {
            return Err(out_of_range());
        }
        Ok(Some(whole))
    }

    /// A string of at most `max_bytes` bytes.
    pub fn string(&mut self, name: &str, max_bytes: usize) -> Result<Option<String>, ApiError> {
        let Some(value) = self.take(name) else {
            return Ok(None);
        };
        let Value::String(text) = value else {
            return Err(self.wrong_type(name, "a string", &value));
        };
        if text.len() > max_bytes {
            let param = self.param(name);
            return Err(ApiError::invalid_request(
                &param,
                format!("`{param}` is longer than {max_bytes} bytes"),
            ));
        }
        Ok(Some(text))
    }

    /// An RFC 3339 instant.
    pub fn timestamp(&mut self, name: &str) -> Result<Option<Timestamp>, ApiError> {
        let Some(text) = self.string(name, 64)? else {
            return Ok(None);
        };
        let param = self.param(name);
        crate::render::parse_timestamp(&text)
            .map(Some)
            .ok_or_else(|| {
                ApiError::invalid_request(&param, format!("`{param}` must be an RFC 3339 instant"))
            })
    }

    /// Client metadata: a JSON object, kept as its JSON text.
    pub fn metadata(&mut self, name: &str) -> Result<Option<String>, ApiError> {
        let Some(value) = self.take(name) else {
            return Ok(None);
        };
        if !value.is_object() {
            return Err(self.wrong_type(name, "an object", &value));
        }
        let text = value.to_string();
        if text.len() > METADATA_BYTES_MAX {
            let param = self.param(name);
            return Err(ApiError::invalid_request(
                &param,
                format!("`{param}` is larger than {METADATA_BYTES_MAX} bytes"),
            ));
        }
        Ok(Some(text))
    }

    /// A nested object's fields.
    pub fn object(&mut self, name: &str) -> Result<Option<Fields>, ApiError> {
        let Some(value) = self.take(name) else {
            return Ok(None);
        };
        if !value.is_object() {
            return Err(self.wrong_type(name, "an object", &value));
        }
        let prefix = format!("{}{name}.", self.prefix);
        Fields::nested(value, &prefix).map(Some)
    }

    /// Refuses whatever fields were not read.
    pub fn finish(self) -> Result<(), ApiError> {
        self.finish_with(&[])
    }

    /// Refuses whatever fields were not read, listing the `accepted` ones (when given).
    pub fn finish_with(self, accepted: &[&str]) -> Result<(), ApiError> {
        match self.map.keys().next() {
            None => Ok(()),
            Some(name) => Err(self.unknown(name, accepted)),
        }
    }

    /// The first field that is not one of `accepted` (in key order), as its error.
    pub fn first_unknown(&self, accepted: &[&str]) -> Option<ApiError> {
        self.map
            .keys()
            .find(|name| !accepted.contains(&name.as_str()))
            .map(|name| self.unknown(name, accepted))
    }

    fn unknown(&self, name: &str, accepted: &[&str]) -> ApiError {
        let param = self.param(name);
        let mut detail = format!("unknown field `{param}`");
        if !accepted.is_empty() {
            let listed: Vec<String> = accepted
                .iter()
                .map(|field| format!("`{}`", self.param(field)))
                .collect();
            detail.push_str(&format!("; this request accepts {}", listed.join(", ")));
        }
        ApiError::invalid_request(&param, detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(value: Value) -> Fields {
        Fields::new(value).expect("an object")
    }

    #[test]
    fn amounts_keep_their_text() {
        let value: Value =
            serde_json::from_str(r#"{"a": 0.1, "b": 1e3, "c": 0.0001, "d": "5"}"#).unwrap();
        let mut fields = fields(value);
        assert_eq!(fields.amount("a").unwrap(), Some(Millicredits::new(100)));
        assert_eq!(
            fields.amount("b").unwrap(),
            Some(Millicredits::new(1_000_000))
        );
        assert_eq!(fields.amount("c").unwrap_err().code(), "invalid_amount");
        assert_eq!(fields.amount("d").unwrap_err().code(), "invalid_json");
        fields.finish().unwrap();
    }

    #[test]
    fn unknown_fields_are_named() {
        let mut fields = fields(json!({"amount": 1, "amout": 2}));
        fields.amount("amount").unwrap();
        let error = fields.finish().unwrap_err();
        assert_eq!(
            error,
            ApiError::invalid_request("amout", "unknown field `amout`")
        );
    }

    #[test]
    fn an_unknown_field_is_found_before_decoding_and_lists_the_accepted_ones() {
        let fields = fields(json!({"amout": 3, "product": "x"}));
        let error = fields.first_unknown(&["amount", "product"]).unwrap();
        assert_eq!(
            error,
            ApiError::invalid_request(
                "amout",
                "unknown field `amout`; this request accepts `amount`, `product`"
            )
        );
        assert_eq!(fields.first_unknown(&["amout", "product"]), None);
        let nested = Fields::nested(json!({"x": 1}), "usage.").unwrap();
        assert_eq!(
            nested.finish_with(&["model"]).unwrap_err().body()["param"],
            json!("usage.x")
        );
    }

    #[test]
    fn a_wrong_type_and_a_wrong_value_read_differently() {
        let value: Value = serde_json::from_str(r#"{"a": "5", "b": 5.5}"#).unwrap();
        let mut fields = fields(value);
        let typed = fields.integer("a", 1, 10).unwrap_err();
        let valued = fields.integer("b", 1, 10).unwrap_err();
        assert_eq!(
            (typed.code(), valued.code()),
            ("invalid_json", "invalid_request")
        );
        assert_eq!(
            typed.body()["detail"],
            json!("`a` has the wrong JSON type: it must be a whole number, not a string")
        );
        assert_eq!(
            valued.body()["detail"],
            json!("`b` must be a whole number from 1 to 10, not 5.5")
        );
    }

    #[test]
    fn integers_are_whole_and_in_range() {
        let value: Value =
            serde_json::from_str(r#"{"a": 5.0, "b": 5.5, "c": -1, "d": 1e30}"#).unwrap();
        let mut fields = fields(value);
        assert_eq!(fields.integer("a", 1, 10).unwrap(), Some(5));
        assert_eq!(
            fields.integer("b", 1, 10).unwrap_err().code(),
            "invalid_request"
        );
        assert_eq!(
            fields.integer("c", 1, 10).unwrap_err().code(),
            "invalid_request"
        );
        assert_eq!(
            fields.integer("d", 1, 10).unwrap_err().code(),
            "invalid_request"
        );
    }
}
