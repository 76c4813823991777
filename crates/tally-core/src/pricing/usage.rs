//! The usage descriptor: what an action consumed (or may consume), as API.md spells it.
//!
//! [`Usage`] is plain data with public fields; [`Usage::from_json`] reads the JSON form
//! exactly (quantities from the number's text, never through a float) and checks JSON types
//! and field names only. What the quantities mean for an action (which are required, which
//! don't belong, their ranges) is checked by [`price`](super::price), so a `Usage` built in
//! Rust gets the same validation as one read from a request.

use std::fmt;

use serde_json::{Map, Number, Value};

use crate::amount::Decimal;

use super::rate::scaled;

/// The largest token, character, unit or image count a usage may carry: 1e15, well inside
/// what a JavaScript number holds exactly (2^53).
pub const QUANTITY_MAX: u64 = 1_000_000_000_000_000;

/// The longest duration a usage may carry, in milliseconds (1e12 seconds).
pub const DURATION_MS_MAX: u64 = 1_000_000_000_000_000;

/// The largest width or height of an image or video, in pixels.
pub const SIDE_PIXELS_MAX: u64 = 1_000_000;

/// The longest model name, in bytes (usage and rate card alike).
pub const MODEL_BYTES_MAX: usize = 256;

/// The longest `product` or `member`, in bytes.
pub const ATTRIBUTION_BYTES_MAX: usize = 1_024;

/// Milliseconds in one second: `seconds` is read with at most 3 fraction digits.
pub(super) const MILLISECONDS_PER_SECOND: u64 = 1_000;

/// What the user did. Each action has its own dimensions (see [`Field::actions`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    Chat,
    Embedding,
    Image,
    Video,
    Speech,
    Custom,
}

impl Action {
    pub const ALL: [Action; 6] = [
        Action::Chat,
        Action::Embedding,
        Action::Image,
        Action::Video,
        Action::Speech,
        Action::Custom,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Chat => "chat",
            Action::Embedding => "embedding",
            Action::Image => "image",
            Action::Video => "video",
            Action::Speech => "speech",
            Action::Custom => "custom",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Action::ALL
            .into_iter()
            .find(|action| action.as_str() == text)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The quality of a generated image. Two ladders exist: `low < medium < high` (gpt-image-1)
/// and `standard < hd` (dall-e-3); a rate card may not price a higher rung below a lower one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Quality {
    Low,
    Medium,
    High,
    Standard,
    Hd,
}

impl Quality {
    pub const ALL: [Quality; 5] = [
        Quality::Low,
        Quality::Medium,
        Quality::High,
        Quality::Standard,
        Quality::Hd,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Quality::Low => "low",
            Quality::Medium => "medium",
            Quality::High => "high",
            Quality::Standard => "standard",
            Quality::Hd => "hd",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Quality::ALL
            .into_iter()
            .find(|quality| quality.as_str() == text)
    }

    /// Its position in [`Quality::ALL`] (a small dense index for per-quality tables).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The next rung up the same ladder, if any.
    pub fn next_higher(self) -> Option<Quality> {
        match self {
            Quality::Low => Some(Quality::Medium),
            Quality::Medium => Some(Quality::High),
            Quality::Standard => Some(Quality::Hd),
            Quality::High | Quality::Hd => None,
        }
    }
}

impl fmt::Display for Quality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A quantity field of a usage descriptor, named as in JSON (and in errors' `param`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    InputTokens,
    CachedInputTokens,
    OutputTokens,
    MaxOutputTokens,
    Width,
    Height,
    Quality,
    Count,
    Seconds,
    Characters,
    Units,
}

impl Field {
    pub const ALL: [Field; 11] = [
        Field::InputTokens,
        Field::CachedInputTokens,
        Field::OutputTokens,
        Field::MaxOutputTokens,
        Field::Width,
        Field::Height,
        Field::Quality,
        Field::Count,
        Field::Seconds,
        Field::Characters,
        Field::Units,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Field::InputTokens => "input_tokens",
            Field::CachedInputTokens => "cached_input_tokens",
            Field::OutputTokens => "output_tokens",
            Field::MaxOutputTokens => "max_output_tokens",
            Field::Width => "width",
            Field::Height => "height",
            Field::Quality => "quality",
            Field::Count => "count",
            Field::Seconds => "seconds",
            Field::Characters => "characters",
            Field::Units => "units",
        }
    }

    /// The actions this field belongs to; anywhere else it is an error, not silently ignored.
    pub fn actions(self) -> &'static [Action] {
        match self {
            Field::InputTokens => &[Action::Chat, Action::Embedding],
            Field::CachedInputTokens | Field::OutputTokens | Field::MaxOutputTokens => {
                &[Action::Chat]
            }
            Field::Width | Field::Height => &[Action::Image, Action::Video],
            Field::Quality | Field::Count => &[Action::Image],
            Field::Seconds => &[Action::Video, Action::Speech],
            Field::Characters => &[Action::Speech],
            Field::Units => &[Action::Custom],
        }
    }

    /// The allowed range of the field's integer value (for `seconds`, in milliseconds).
    pub fn range(self) -> (u64, u64) {
        match self {
            Field::Width | Field::Height => (1, SIDE_PIXELS_MAX),
            Field::Count => (1, QUANTITY_MAX),
            Field::Seconds => (0, DURATION_MS_MAX),
            Field::Quality => (0, 0),
            _ => (0, QUANTITY_MAX),
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One usage descriptor (API.md, "Usage descriptors"). Quantities are exact integers;
/// `seconds` is kept in milliseconds (`duration_ms`).
///
/// `max_output_tokens` is an upper bound: priced alone it gives a range (`min` as if no output
/// token was produced, `max` as if all were). When `output_tokens` is also given, the usage is
/// exact and `max_output_tokens` is ignored (the actual count is what happened).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Usage {
    /// Free text for attribution; not used for pricing.
    pub product: Option<String>,
    /// Free text for attribution; not used for pricing.
    pub member: Option<String>,
    pub action: Action,
    pub model: String,
    pub input_tokens: Option<u64>,
    pub cached_input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub max_output_tokens: Option<u64>,
    pub width: Option<u64>,
    pub height: Option<u64>,
    pub quality: Option<Quality>,
    /// Images generated; absent means 1.
    pub count: Option<u64>,
    /// JSON `seconds` (up to 3 fraction digits), in milliseconds.
    pub duration_ms: Option<u64>,
    pub characters: Option<u64>,
    pub units: Option<u64>,
}

/// Why a JSON value is not a usage descriptor. `param` names the field inside the usage
/// object (the server prefixes it, e.g. `usage.input_tokens`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsageError {
    /// The JSON type is wrong (API.md: 400 `invalid_json`).
    #[error("`{param}` must be a JSON {expected}, not {got}")]
    WrongType {
        param: &'static str,
        expected: &'static str,
        /// The JSON type sent: `a string`, `an array`…
        got: &'static str,
    },
    #[error("unknown field `{param}`")]
    UnknownField { param: String },
    #[error("`{param}` is required")]
    Missing { param: &'static str },
    #[error("`{param}` {reason}")]
    Invalid {
        param: &'static str,
        reason: InvalidReason,
    },
}

/// What is wrong with a field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidReason {
    #[error("must not be negative")]
    Negative,
    #[error("must be a whole number, without a fraction")]
    NotWhole,
    #[error("allows at most 3 fraction digits (milliseconds)")]
    TooPrecise,
    #[error("is too large")]
    TooLarge,
    #[error("is not a number")]
    NotANumber,
    #[error("must be one of chat, embedding, image, video, speech, custom")]
    UnknownAction,
    #[error("must be one of low, medium, high, standard, hd")]
    UnknownQuality,
    #[error("must not be empty")]
    Empty,
    #[error("is too long")]
    TooLong,
}

impl UsageError {
    /// The field the error is about, relative to the usage object.
    pub fn param(&self) -> &str {
        match self {
            UsageError::WrongType { param, .. }
            | UsageError::Missing { param }
            | UsageError::Invalid { param, .. } => param,
            UsageError::UnknownField { param } => param,
        }
    }

    /// Whether the JSON type was wrong (400 `invalid_json`) rather than the value (422).
    pub fn is_wrong_type(&self) -> bool {
        matches!(self, UsageError::WrongType { .. })
    }

    /// The message with the field named from the request's root: `prefix` is where the usage
    /// object sits (`usage.`), so `input_tokens` reads `usage.input_tokens`.
    pub fn detail(&self, prefix: &str) -> String {
        let param = self.param();
        let root = prefix.trim_end_matches('.');
        let full = if param == "usage" && !root.is_empty() {
            root.to_string()
        } else {
            format!("{prefix}{param}")
        };
        self.to_string()
            .replacen(&format!("`{param}`"), &format!("`{full}`"), 1)
    }
}

/// How a JSON value's type reads in an error: `a string`, `an array`…
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Usage {
    /// A usage of `action` on `model` with no quantities yet.
    pub fn new(action: Action, model: impl Into<String>) -> Self {
        Usage {
            product: None,
            member: None,
            action,
            model: model.into(),
            input_tokens: None,
            cached_input_tokens: None,
            output_tokens: None,
            max_output_tokens: None,
            width: None,
            height: None,
            quality: None,
            count: None,
            duration_ms: None,
            characters: None,
            units: None,
        }
    }

    /// Whether every quantity is exact (no upper bound left open), so that `min == max`.
    pub fn is_exact(&self) -> bool {
        self.max_output_tokens.is_none() || self.output_tokens.is_some()
    }

    /// The integer value of a quantity field (`seconds` in milliseconds; `quality` has none).
    pub fn quantity(&self, field: Field) -> Option<u64> {
        match field {
            Field::InputTokens => self.input_tokens,
            Field::CachedInputTokens => self.cached_input_tokens,
            Field::OutputTokens => self.output_tokens,
            Field::MaxOutputTokens => self.max_output_tokens,
            Field::Width => self.width,
            Field::Height => self.height,
            Field::Quality => None,
            Field::Count => self.count,
            Field::Seconds => self.duration_ms,
            Field::Characters => self.characters,
            Field::Units => self.units,
        }
    }

    /// Whether the descriptor carries `field` at all.
    pub fn has(&self, field: Field) -> bool {
        match field {
            Field::Quality => self.quality.is_some(),
            other => self.quantity(other).is_some(),
        }
    }

    /// Reads a usage descriptor from its JSON object. JSON `null` counts as absent. Numbers are
    /// read from their text (exponents included: `1.2e3` tokens is 1200), so nothing passes
    /// through a float. Checks types, names and the syntax of values; ranges and which fields an
    /// action needs are checked by [`price`](super::price).
    pub fn from_json(value: &Value) -> Result<Usage, UsageError> {
        let Value::Object(map) = value else {
            return Err(UsageError::WrongType {
                param: "usage",
                expected: "object",
                got: json_type(value),
            });
        };
        if let Some(name) = map.keys().find(|name| !is_usage_field(name)) {
            return Err(UsageError::UnknownField {
                param: name.clone(),
            });
        }
        let action_text =
            string(map, "action", 32)?.ok_or(UsageError::Missing { param: "action" })?;
        let action = Action::parse(action_text).ok_or(UsageError::Invalid {
            param: "action",
            reason: InvalidReason::UnknownAction,
        })?;
        let model =
            string(map, "model", MODEL_BYTES_MAX)?.ok_or(UsageError::Missing { param: "model" })?;
        let quality = match string(map, "quality", 32)? {
            None => None,
            Some(text) => Some(Quality::parse(text).ok_or(UsageError::Invalid {
                param: "quality",
                reason: InvalidReason::UnknownQuality,
            })?),
        };
        Ok(Usage {
            product: string(map, "product", ATTRIBUTION_BYTES_MAX)?.map(str::to_string),
            member: string(map, "member", ATTRIBUTION_BYTES_MAX)?.map(str::to_string),
            action,
            model: model.to_string(),
            input_tokens: integer(map, Field::InputTokens, 0)?,
            cached_input_tokens: integer(map, Field::CachedInputTokens, 0)?,
            output_tokens: integer(map, Field::OutputTokens, 0)?,
            max_output_tokens: integer(map, Field::MaxOutputTokens, 0)?,
            width: integer(map, Field::Width, 0)?,
            height: integer(map, Field::Height, 0)?,
            quality,
            count: integer(map, Field::Count, 0)?,
            duration_ms: integer(map, Field::Seconds, 3)?,
            characters: integer(map, Field::Characters, 0)?,
            units: integer(map, Field::Units, 0)?,
        })
    }

    /// The JSON form, as [`Usage::from_json`] reads it (absent fields are left out; `seconds`
    /// as an exact decimal number).
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        if let Some(product) = &self.product {
            map.insert("product".into(), Value::String(product.clone()));
        }
        if let Some(member) = &self.member {
            map.insert("member".into(), Value::String(member.clone()));
        }
        map.insert("action".into(), Value::String(self.action.as_str().into()));
        map.insert("model".into(), Value::String(self.model.clone()));
        for field in Field::ALL {
            match field {
                Field::Quality => {
                    if let Some(quality) = self.quality {
                        map.insert(
                            field.as_str().into(),
                            Value::String(quality.as_str().into()),
                        );
                    }
                }
                Field::Seconds => {
                    if let Some(duration_ms) = self.duration_ms {
                        // Seconds, exactly (as a price line shows a duration).
                        let text = super::rate::scaled_text(i128::from(duration_ms), 3);
                        map.insert(field.as_str().into(), exact_number(&text));
                    }
                }
                _ => {
                    if let Some(quantity) = self.quantity(field) {
                        map.insert(field.as_str().into(), Value::Number(quantity.into()));
                    }
                }
            }
        }
        Value::Object(map)
    }
}

fn is_usage_field(name: &str) -> bool {
    matches!(name, "product" | "member" | "action" | "model")
        || Field::ALL.iter().any(|field| field.as_str() == name)
}

fn static_name(name: &str) -> &'static str {
    match name {
        "product" => "product",
        "member" => "member",
        "action" => "action",
        "model" => "model",
        _ => Field::ALL
            .into_iter()
            .find(|field| field.as_str() == name)
            .map_or("usage", Field::as_str),
    }
}

fn string<'a>(
    map: &'a Map<String, Value>,
    name: &'static str,
    bytes_max: usize,
) -> Result<Option<&'a str>, UsageError> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => {
            if text.is_empty() {
                Err(UsageError::Invalid {
                    param: static_name(name),
                    reason: InvalidReason::Empty,
                })
            } else if text.len() > bytes_max {
                Err(UsageError::Invalid {
                    param: static_name(name),
                    reason: InvalidReason::TooLong,
                })
            } else {
                Ok(Some(text))
            }
        }
        Some(other) => Err(UsageError::WrongType {
            param: static_name(name),
            expected: "string",
            got: json_type(other),
        }),
    }
}

/// A non-negative number with at most `scale` fraction digits, times `10^scale`, as a u64.
fn integer(map: &Map<String, Value>, field: Field, scale: u32) -> Result<Option<u64>, UsageError> {
    let param = field.as_str();
    let invalid = |reason| UsageError::Invalid { param, reason };
    match map.get(param) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(number)) => {
            let decimal =
                Decimal::parse(&number.to_string()).ok_or(invalid(InvalidReason::NotANumber))?;
            if decimal.is_negative() {
                return Err(invalid(InvalidReason::Negative));
            }
            if decimal.fraction_digits() > u64::from(scale) {
                return Err(invalid(if scale == 0 {
                    InvalidReason::NotWhole
                } else {
                    InvalidReason::TooPrecise
                }));
            }
            let value = scaled(&decimal, scale, i128::from(u64::MAX))
                .ok_or(invalid(InvalidReason::TooLarge))?;
            u64::try_from(value)
                .map(Some)
                .map_err(|_| invalid(InvalidReason::TooLarge))
        }
        Some(other) => Err(UsageError::WrongType {
            param,
            expected: if scale == 0 {
                "number (a whole number)"
            } else {
                "number"
            },
            got: json_type(other),
        }),
    }
}

/// A JSON number carrying exactly `text` (a decimal this module formatted itself).
pub(crate) fn exact_number(text: &str) -> Value {
    // With `arbitrary_precision`, a parsed Number keeps its text: no float is involved.
    let number: Number = text
        .parse()
        .expect("a decimal formatted by the pricing module is valid JSON number text");
    Value::Number(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Usage, UsageError> {
        Usage::from_json(&serde_json::from_str(text).unwrap())
    }

    #[test]
    fn reads_the_api_examples() {
        let usage = read(
            r#"{"product": "assistant", "action": "chat", "model": "gpt-4o", "input_tokens": 1200, "cached_input_tokens": 0, "output_tokens": 350}"#,
        )
        .unwrap();
        assert_eq!(usage.product.as_deref(), Some("assistant"));
        assert_eq!(usage.action, Action::Chat);
        assert_eq!(usage.input_tokens, Some(1200));
        assert_eq!(usage.cached_input_tokens, Some(0));
        assert_eq!(usage.output_tokens, Some(350));
        assert!(usage.is_exact());

        let usage = read(r#"{"action": "chat", "model": "gpt-4o", "input_tokens": 1200, "max_output_tokens": 4096}"#).unwrap();
        assert_eq!(usage.max_output_tokens, Some(4096));
        assert!(!usage.is_exact());

        let usage = read(r#"{"action": "video", "model": "veo-3", "seconds": 8.25, "width": 1920, "height": 1080}"#).unwrap();
        assert_eq!(usage.duration_ms, Some(8_250));
        assert_eq!((usage.width, usage.height), (Some(1920), Some(1080)));

        let usage = read(r#"{"action": "image", "model": "gpt-image-1", "width": 1024, "height": 1024, "quality": "high", "count": 2}"#).unwrap();
        assert_eq!(usage.quality, Some(Quality::High));
        assert_eq!(usage.count, Some(2));

        let usage =
            read(r#"{"action": "custom", "model": "web-search", "units": 3e0, "member": null}"#)
                .unwrap();
        assert_eq!(usage.units, Some(3));
        assert_eq!(usage.member, None);
    }

    #[test]
    fn names_what_is_wrong() {
        let cases: [(&str, &str, bool); 14] = [
            (r#"{"model": "m"}"#, "action", false),
            (r#"{"action": "chat"}"#, "model", false),
            (r#"{"action": "dance", "model": "m"}"#, "action", false),
            (r#"{"action": "chat", "model": ""}"#, "model", false),
            (r#"{"action": "chat", "model": 5}"#, "model", true),
            (
                r#"{"action": "chat", "model": "m", "input_tokens": -1}"#,
                "input_tokens",
                false,
            ),
            (
                r#"{"action": "chat", "model": "m", "input_tokens": 1.5}"#,
                "input_tokens",
                false,
            ),
            (
                r#"{"action": "chat", "model": "m", "input_tokens": "5"}"#,
                "input_tokens",
                true,
            ),
            (
                r#"{"action": "chat", "model": "m", "input_tokens": 18446744073709551616}"#,
                "input_tokens",
                false,
            ),
            (
                r#"{"action": "chat", "model": "m", "input_tokens": 1e400}"#,
                "input_tokens",
                false,
            ),
            (
                r#"{"action": "video", "model": "m", "seconds": 1.0005}"#,
                "seconds",
                false,
            ),
            (
                r#"{"action": "image", "model": "m", "quality": "ultra"}"#,
                "quality",
                false,
            ),
            (
                r#"{"action": "chat", "model": "m", "input_tokenz": 1}"#,
                "input_tokenz",
                false,
            ),
            (
                r#"{"action": "chat", "model": "m", "quality": 1}"#,
                "quality",
                true,
            ),
        ];
        for (text, param, wrong_type) in cases {
            let error = read(text).unwrap_err();
            assert_eq!(error.param(), param, "{text}: {error}");
            assert_eq!(error.is_wrong_type(), wrong_type, "{text}: {error}");
        }
        assert!(Usage::from_json(&Value::Null).unwrap_err().is_wrong_type());
    }

    #[test]
    fn reads_the_largest_quantities_exactly() {
        let usage =
            read(r#"{"action": "chat", "model": "m", "input_tokens": 18446744073709551615}"#)
                .unwrap();
        assert_eq!(usage.input_tokens, Some(u64::MAX));
        let usage = read(r#"{"action": "video", "model": "m", "seconds": 1.5e1}"#).unwrap();
        assert_eq!(usage.duration_ms, Some(15_000));
    }

    #[test]
    fn json_round_trips() {
        let mut usage = Usage::new(Action::Video, "veo-3");
        usage.duration_ms = Some(8_125);
        usage.width = Some(1920);
        usage.height = Some(1080);
        usage.product = Some("studio".into());
        let json = usage.to_json();
        assert_eq!(json["seconds"].to_string(), "8.125");
        assert_eq!(Usage::from_json(&json), Ok(usage));
    }
}
