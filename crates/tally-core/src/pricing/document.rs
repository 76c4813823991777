//! The rate card document: the JSON that `GET` and `PUT /v1/rate-card` carry, read and written.
//!
//! Reading is strict and exact. Every number is read from its own text (serde_json keeps it
//! with `arbitrary_precision`), exponents included, so `2.5e-06` is exactly 0.0000025 credits;
//! unknown fields, duplicate (action, model) items, negative or too fine rates, tiers out of
//! order and prices that fall as size or quality rises are all refused, each error naming the
//! field by its path (`items[3].tiers[1].prices.high`). Writing gives back a document that reads
//! as the same card.

use serde_json::{Map, Value};

use crate::amount::{AmountError, Decimal, Millicredits};

use super::card::{
    ChatRates, ContextTier, ImageRates, ImageTier, ItemRates, QualityPrices, RateCard, RateItem,
    SizeLimit, SpeechRates, TokenRates, VideoRates, VideoTier,
};
use super::rate::{CreditRate, FEMTOCREDITS_PER_PICOCREDIT, RateError, scaled};
use super::usage::{Action, MODEL_BYTES_MAX, QUANTITY_MAX, Quality, SIDE_PIXELS_MAX, exact_number};

/// The most items a card may hold.
pub const ITEMS_MAX: usize = 10_000;

/// The most size tiers an image or video item may have.
pub const TIERS_MAX: usize = 64;

/// The most long-context tiers a chat item may have.
pub const CONTEXT_TIERS_MAX: usize = 16;

/// The longest tier name, in bytes.
pub const TIER_NAME_BYTES_MAX: usize = 64;

/// The longest `effective_at` text, in bytes.
pub const EFFECTIVE_AT_BYTES_MAX: usize = 64;

/// The largest `max_pixels` a tier may name (the largest side, squared).
pub const PIXELS_MAX: u64 = SIDE_PIXELS_MAX * SIDE_PIXELS_MAX;

/// An item's `minimum` when the document leaves it out: 1 credit.
pub const MINIMUM_DEFAULT: Millicredits = Millicredits::from_credits(1);

/// An item's `rounding_step` when the document leaves it out: 1 credit.
pub const ROUNDING_STEP_DEFAULT: Millicredits = Millicredits::from_credits(1);

/// A rate card document as read: the card's content, with `version` and `effective_at` as the
/// client sent them (the server assigns both; see [`RateCardDocument::into_card`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateCardDocument {
    pub version: Option<i64>,
    pub effective_at: Option<String>,
    credits_per_usd: Option<CreditRate>,
    items: Vec<RateItem>,
    index: Vec<u32>,
}

impl RateCardDocument {
    pub fn credits_per_usd(&self) -> Option<CreditRate> {
        self.credits_per_usd
    }

    pub fn items(&self) -> &[RateItem] {
        &self.items
    }

    /// The card this document describes, as `version`, in effect from `effective_at` (RFC 3339
    /// text; the server's clock, never the core's).
    pub fn into_card(self, version: i64, effective_at: impl Into<String>) -> RateCard {
        RateCard {
            version,
            effective_at: effective_at.into(),
            credits_per_usd: self.credits_per_usd,
            items: self.items,
            index: self.index,
        }
    }
}

/// Why a document is not a valid rate card; `param` is the path of the offending field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rate card: `{param}` {kind}")]
pub struct DocumentError {
    param: String,
    kind: DocumentErrorKind,
}

impl DocumentError {
    fn new(param: impl Into<String>, kind: DocumentErrorKind) -> Self {
        DocumentError {
            param: param.into(),
            kind,
        }
    }

    /// The path of the field, e.g. `items[2].rates.input_tokens` (`document` for the whole).
    pub fn param(&self) -> &str {
        &self.param
    }

    pub fn kind(&self) -> &DocumentErrorKind {
        &self.kind
    }

    /// Whether the document is not JSON or a field has the wrong JSON type (API.md: 400
    /// `invalid_json`); every other error is 422 `invalid_request` naming `param`.
    pub fn is_invalid_json(&self) -> bool {
        matches!(
            self.kind,
            DocumentErrorKind::NotJson(_) | DocumentErrorKind::WrongType { .. }
        )
    }
}

/// What is wrong with the field a [`DocumentError`] names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentErrorKind {
    #[error("is not JSON: {0}")]
    NotJson(String),
    #[error("must be {expected}")]
    WrongType { expected: &'static str },
    #[error("is not a known field")]
    UnknownField,
    #[error("is required")]
    Missing,
    #[error("is not a valid rate: {0}")]
    Rate(RateError),
    #[error("is not a valid amount: {0}")]
    Amount(AmountError),
    #[error("must not be negative")]
    Negative,
    #[error("must be more than zero")]
    NotPositive,
    #[error("must be a whole number from {min} to {max}")]
    OutOfRange { min: u64, max: u64 },
    #[error("must be one of chat, embedding, image, video, speech, custom")]
    UnknownAction,
    #[error("must be one of low, medium, high, standard, hd")]
    UnknownQuality,
    #[error("must be a multiple of 0.000000001 credits (a megapixel rate is exact per pixel)")]
    TooPreciseForMegapixels,
    #[error("must not be empty")]
    Empty,
    #[error("is longer than {max_bytes} bytes")]
    TooLong { max_bytes: usize },
    #[error("has more than {max} entries")]
    TooMany { max: usize },
    #[error("has the same action and model as items[{first}]")]
    DuplicateItem { first: usize },
    #[error("repeats a name used by an earlier tier")]
    DuplicateName,
    #[error("{0}")]
    Inconsistent(&'static str),
}

/// Reads a rate card document from JSON text.
///
/// ```
/// use tally_core::pricing::parse_document;
/// let document = parse_document(r#"{"items": [
///     {"action": "chat", "model": "m", "rates": {"input_tokens": 2.5e-3, "output_tokens": 0.01}}
/// ]}"#).unwrap();
/// assert_eq!(document.version, None);
/// assert_eq!(document.items()[0].minimum().to_string(), "1");
/// ```
pub fn parse_document(text: &str) -> Result<RateCardDocument, DocumentError> {
    let value: Value = serde_json::from_str(text).map_err(|error| {
        DocumentError::new("document", DocumentErrorKind::NotJson(error.to_string()))
    })?;
    parse_document_value(&value)
}

/// Reads a rate card document from a parsed JSON value (which must have been parsed with
/// `arbitrary_precision`, as this workspace's serde_json is, so numbers keep their text).
pub fn parse_document_value(value: &Value) -> Result<RateCardDocument, DocumentError> {
    let root = Fields::new(
        value,
        String::new(),
        &["version", "effective_at", "credits_per_usd", "items"],
    )?;
    let version = root
        .integer("version", 1, i64::MAX as u64)?
        .map(|version| version as i64);
    let effective_at = root
        .string("effective_at", EFFECTIVE_AT_BYTES_MAX)?
        .map(str::to_string);
    let credits_per_usd = root.rate("credits_per_usd")?;
    if credits_per_usd == Some(CreditRate::ZERO) {
        return Err(root.error("credits_per_usd", DocumentErrorKind::NotPositive));
    }
    let values = root
        .array("items", ITEMS_MAX)?
        .ok_or_else(|| root.error("items", DocumentErrorKind::Missing))?;
    let mut items = Vec::with_capacity(values.len());
    for (position, value) in values.iter().enumerate() {
        items.push(item(value, format!("items[{position}]"))?);
    }
    let index = index(&items)?;
    Ok(RateCardDocument {
        version,
        effective_at,
        credits_per_usd,
        items,
        index,
    })
}

/// Reads a stored card: a document that must carry its `version` and `effective_at` (what
/// [`to_json`] writes).
pub fn parse_card(text: &str) -> Result<RateCard, DocumentError> {
    let document = parse_document(text)?;
    let version = document
        .version
        .ok_or_else(|| DocumentError::new("version", DocumentErrorKind::Missing))?;
    let effective_at = document
        .effective_at
        .clone()
        .ok_or_else(|| DocumentError::new("effective_at", DocumentErrorKind::Missing))?;
    Ok(document.into_card(version, effective_at))
}

/// The whole card as its JSON document, `{version, effective_at, credits_per_usd?, items}`;
/// every rate is a JSON number with its exact decimal text. [`parse_card`] of its text gives
/// back an equal card.
pub fn to_json(card: &RateCard) -> Value {
    let mut map = Map::new();
    map.insert("version".into(), Value::Number(card.version().into()));
    map.insert("effective_at".into(), card.effective_at().into());
    if let Some(rate) = card.credits_per_usd() {
        map.insert("credits_per_usd".into(), rate_json(rate));
    }
    map.insert(
        "items".into(),
        Value::Array(card.items().iter().map(item_json).collect()),
    );
    Value::Object(map)
}

/// Item positions sorted by (action, model); refuses duplicates, naming the later one.
fn index(items: &[RateItem]) -> Result<Vec<u32>, DocumentError> {
    let mut index: Vec<u32> = (0..items.len() as u32).collect();
    // Stable: equal keys keep document order, so each pair below is (earlier, later).
    index.sort_by(|&a, &b| {
        let (a, b) = (&items[a as usize], &items[b as usize]);
        (a.action(), a.model()).cmp(&(b.action(), b.model()))
    });
    let duplicate = index
        .windows(2)
        .filter(|pair| {
            let (a, b) = (&items[pair[0] as usize], &items[pair[1] as usize]);
            (a.action(), a.model()) == (b.action(), b.model())
        })
        .min_by_key(|pair| pair[1]);
    if let Some(pair) = duplicate {
        return Err(DocumentError::new(
            format!("items[{}].model", pair[1]),
            DocumentErrorKind::DuplicateItem {
                first: pair[0] as usize,
            },
        ));
    }
    Ok(index)
}

const ITEM_FIELDS: [&str; 4] = ["action", "model", "minimum", "rounding_step"];

fn item(value: &Value, path: String) -> Result<RateItem, DocumentError> {
    let action = {
        let fields = Fields::new(value, path.clone(), &[])?;
        let text = fields
            .string("action", 32)?
            .ok_or_else(|| fields.error("action", DocumentErrorKind::Missing))?;
        Action::parse(text)
            .ok_or_else(|| fields.error("action", DocumentErrorKind::UnknownAction))?
    };
    let extra: &[&str] = match action {
        Action::Chat => &["rates", "context_tiers"],
        Action::Embedding | Action::Speech | Action::Custom => &["rates"],
        Action::Image => &[
            "tiers",
            "default_quality",
            "per_megapixel",
            "max_width",
            "max_height",
            "max_pixels",
        ],
        Action::Video => &["tiers"],
    };
    let fields = Fields::new(value, path, &[&ITEM_FIELDS[..], extra].concat())?;
    let model = fields
        .string("model", MODEL_BYTES_MAX)?
        .ok_or_else(|| fields.error("model", DocumentErrorKind::Missing))?
        .to_string();
    let minimum = fields.credits("minimum")?.unwrap_or(MINIMUM_DEFAULT);
    let rounding_step = fields
        .credits("rounding_step")?
        .unwrap_or(ROUNDING_STEP_DEFAULT);
    if !rounding_step.is_positive() {
        return Err(fields.error("rounding_step", DocumentErrorKind::NotPositive));
    }
    let rates = match action {
        Action::Chat => ItemRates::Chat(chat(&fields)?),
        Action::Embedding => {
            let rates = fields.required_object("rates", &["input_tokens"])?;
            ItemRates::Embedding {
                input_tokens: rates.required_rate("input_tokens")?,
            }
        }
        Action::Image => ItemRates::Image(image(&fields)?),
        Action::Video => ItemRates::Video(VideoRates {
            tiers: video_tiers(&fields)?,
        }),
        Action::Speech => {
            let rates = fields.required_object("rates", &["characters", "seconds"])?;
            let speech = SpeechRates {
                characters: rates.rate("characters")?,
                seconds: rates.rate("seconds")?,
            };
            if speech.characters.is_none() && speech.seconds.is_none() {
                return Err(fields.error(
                    "rates",
                    DocumentErrorKind::Inconsistent("must price `characters`, `seconds` or both"),
                ));
            }
            ItemRates::Speech(speech)
        }
        Action::Custom => {
            let rates = fields.required_object("rates", &["units"])?;
            ItemRates::Custom {
                units: rates.required_rate("units")?,
            }
        }
    };
    Ok(RateItem {
        model,
        minimum,
        rounding_step,
        rates,
    })
}

const TOKEN_FIELDS: [&str; 3] = ["input_tokens", "cached_input_tokens", "output_tokens"];

fn token_rates(fields: &Fields) -> Result<TokenRates, DocumentError> {
    Ok(TokenRates {
        input_tokens: fields.required_rate("input_tokens")?,
        cached_input_tokens: fields.rate("cached_input_tokens")?,
        output_tokens: fields.required_rate("output_tokens")?,
    })
}

fn chat(fields: &Fields) -> Result<ChatRates, DocumentError> {
    let base = token_rates(&fields.required_object("rates", &TOKEN_FIELDS)?)?;
    let mut context_tiers: Vec<ContextTier> = Vec::new();
    for (position, value) in fields
        .array("context_tiers", CONTEXT_TIERS_MAX)?
        .into_iter()
        .flatten()
        .enumerate()
    {
        let tier = Fields::new(
            value,
            fields.path(&format!("context_tiers[{position}]")),
            &["above_input_tokens", "rates"],
        )?;
        let above_input_tokens = tier
            .integer("above_input_tokens", 0, QUANTITY_MAX)?
            .ok_or_else(|| tier.error("above_input_tokens", DocumentErrorKind::Missing))?;
        let rates = token_rates(&tier.required_object("rates", &TOKEN_FIELDS)?)?;
        let below = context_tiers.last();
        if below.is_some_and(|below| above_input_tokens <= below.above_input_tokens) {
            return Err(tier.error(
                "above_input_tokens",
                DocumentErrorKind::Inconsistent("must be above the previous tier's threshold"),
            ));
        }
        if !rates.covers(below.map_or(&base, |below| &below.rates)) {
            return Err(tier.error(
                "rates",
                DocumentErrorKind::Inconsistent(
                    "must price the same kinds of token as `rates`, none below the level under it",
                ),
            ));
        }
        context_tiers.push(ContextTier {
            above_input_tokens,
            rates,
        });
    }
    Ok(ChatRates {
        base,
        context_tiers,
    })
}

fn size_limit(fields: &Fields) -> Result<SizeLimit, DocumentError> {
    Ok(SizeLimit {
        max_width: fields.integer("max_width", 1, SIDE_PIXELS_MAX)?,
        max_height: fields.integer("max_height", 1, SIDE_PIXELS_MAX)?,
        max_pixels: fields.integer("max_pixels", 1, PIXELS_MAX)?,
    })
}

/// A size tier's name and bounds; the bounds must cap the pixel count.
fn tier_head(fields: &Fields) -> Result<(String, SizeLimit), DocumentError> {
    let name = fields
        .string("name", TIER_NAME_BYTES_MAX)?
        .ok_or_else(|| fields.error("name", DocumentErrorKind::Missing))?;
    let limit = size_limit(fields)?;
    if limit.capacity_pixels().is_none() {
        return Err(fields.error(
            "max_pixels",
            DocumentErrorKind::Inconsistent(
                "is required unless both `max_width` and `max_height` are given",
            ),
        ));
    }
    Ok((name.to_string(), limit))
}

/// The `tiers` array: present, not empty, not too long.
fn tier_values<'a>(fields: &Fields<'a>) -> Result<&'a Vec<Value>, DocumentError> {
    let values = fields
        .array("tiers", TIERS_MAX)?
        .ok_or_else(|| fields.error("tiers", DocumentErrorKind::Missing))?;
    if values.is_empty() {
        return Err(fields.error("tiers", DocumentErrorKind::Empty));
    }
    Ok(values)
}

/// Refuses a tier whose name repeats an earlier one, or that is smaller than the one before.
fn check_tier_order(
    tier: &Fields,
    earlier: &[(&str, SizeLimit)],
    name: &str,
    limit: &SizeLimit,
) -> Result<(), DocumentError> {
    if earlier.iter().any(|(other, _)| *other == name) {
        return Err(tier.error("name", DocumentErrorKind::DuplicateName));
    }
    if let Some((_, before)) = earlier.last()
        && limit.capacity_pixels() < before.capacity_pixels()
    {
        return Err(tier.error(
            "max_pixels",
            DocumentErrorKind::Inconsistent(
                "makes this tier smaller than the one before: list tiers smallest first",
            ),
        ));
    }
    Ok(())
}

fn image(fields: &Fields) -> Result<ImageRates, DocumentError> {
    if let Some(per_megapixel) = fields.rate("per_megapixel")? {
        for name in ["tiers", "default_quality"] {
            if fields.get(name).is_some() {
                return Err(fields.error(
                    name,
                    DocumentErrorKind::Inconsistent("cannot be used with `per_megapixel`"),
                ));
            }
        }
        if per_megapixel.picocredits() % FEMTOCREDITS_PER_PICOCREDIT != 0 {
            return Err(fields.error("per_megapixel", DocumentErrorKind::TooPreciseForMegapixels));
        }
        return Ok(ImageRates::PerMegapixel {
            per_megapixel,
            limit: size_limit(fields)?,
        });
    }
    for name in ["max_width", "max_height", "max_pixels"] {
        if fields.get(name).is_some() {
            return Err(fields.error(
                name,
                DocumentErrorKind::Inconsistent(
                    "belongs in each tier (or with `per_megapixel`), not on the item",
                ),
            ));
        }
    }
    let values = tier_values(fields)?;
    let mut tiers: Vec<ImageTier> = Vec::with_capacity(values.len());
    for (position, value) in values.iter().enumerate() {
        let tier = Fields::new(
            value,
            fields.path(&format!("tiers[{position}]")),
            &["name", "max_width", "max_height", "max_pixels", "prices"],
        )?;
        let (name, limit) = tier_head(&tier)?;
        let earlier: Vec<(&str, SizeLimit)> = tiers
            .iter()
            .map(|tier| (tier.name.as_str(), tier.limit))
            .collect();
        check_tier_order(&tier, &earlier, &name, &limit)?;
        let prices = quality_prices(&tier)?;
        if let Some(first) = tiers.first()
            && !prices.offers_same_qualities(&first.prices)
        {
            return Err(tier.error(
                "prices",
                DocumentErrorKind::Inconsistent("must offer the same qualities as `tiers[0]`"),
            ));
        }
        if let Some(before) = tiers.last() {
            for (quality, price) in prices.iter() {
                if before
                    .prices
                    .get(quality)
                    .is_some_and(|smaller| price < smaller)
                {
                    return Err(tier.error(
                        &format!("prices.{quality}"),
                        DocumentErrorKind::Inconsistent(
                            "is below the same quality's price in the smaller tier before it",
                        ),
                    ));
                }
            }
        }
        tiers.push(ImageTier {
            name,
            limit,
            prices,
        });
    }
    let offered = tiers[0].prices;
    let default_quality = match fields.string("default_quality", 32)? {
        Some(text) => {
            let quality = Quality::parse(text).ok_or_else(|| {
                fields.error("default_quality", DocumentErrorKind::UnknownQuality)
            })?;
            if offered.get(quality).is_none() {
                return Err(fields.error(
                    "default_quality",
                    DocumentErrorKind::Inconsistent("is not a quality the tiers price"),
                ));
            }
            quality
        }
        None => {
            let mut qualities = offered.iter().map(|(quality, _)| quality);
            match (qualities.next(), qualities.next()) {
                (Some(only), None) => only,
                _ => return Err(fields.error("default_quality", DocumentErrorKind::Missing)),
            }
        }
    };
    Ok(ImageRates::Tiers {
        default_quality,
        tiers,
    })
}

fn quality_prices(tier: &Fields) -> Result<QualityPrices, DocumentError> {
    let value = tier
        .get("prices")
        .ok_or_else(|| tier.error("prices", DocumentErrorKind::Missing))?;
    let prices_path = tier.path("prices");
    let Value::Object(map) = value else {
        return Err(DocumentError::new(
            prices_path,
            DocumentErrorKind::WrongType {
                expected: "an object",
            },
        ));
    };
    if map.is_empty() {
        return Err(DocumentError::new(prices_path, DocumentErrorKind::Empty));
    }
    let fields = Fields::new(value, prices_path.clone(), &[])?;
    let mut prices = QualityPrices::default();
    for name in map.keys() {
        let quality = Quality::parse(name).ok_or_else(|| {
            DocumentError::new(
                format!("{prices_path}.{name}"),
                DocumentErrorKind::UnknownQuality,
            )
        })?;
        let price = fields.required_rate(quality.as_str())?;
        prices.set(quality, price);
    }
    for (quality, price) in prices.iter() {
        if let Some(higher) = quality.next_higher()
            && prices
                .get(higher)
                .is_some_and(|higher_price| higher_price < price)
        {
            return Err(DocumentError::new(
                format!("{prices_path}.{higher}"),
                DocumentErrorKind::Inconsistent("is below the price of the quality under it"),
            ));
        }
    }
    Ok(prices)
}

fn video_tiers(fields: &Fields) -> Result<Vec<VideoTier>, DocumentError> {
    let values = tier_values(fields)?;
    let mut tiers: Vec<VideoTier> = Vec::with_capacity(values.len());
    for (position, value) in values.iter().enumerate() {
        let tier = Fields::new(
            value,
            fields.path(&format!("tiers[{position}]")),
            &[
                "name",
                "max_width",
                "max_height",
                "max_pixels",
                "per_second",
            ],
        )?;
        let (name, limit) = tier_head(&tier)?;
        let earlier: Vec<(&str, SizeLimit)> = tiers
            .iter()
            .map(|tier| (tier.name.as_str(), tier.limit))
            .collect();
        check_tier_order(&tier, &earlier, &name, &limit)?;
        let per_second = tier.required_rate("per_second")?;
        if tiers
            .last()
            .is_some_and(|before| per_second < before.per_second)
        {
            return Err(tier.error(
                "per_second",
                DocumentErrorKind::Inconsistent("is below the price of the smaller tier before it"),
            ));
        }
        tiers.push(VideoTier {
            name,
            limit,
            per_second,
        });
    }
    Ok(tiers)
}

/// The fields of one JSON object at `path`, with unknown names refused up front.
struct Fields<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl<'a> Fields<'a> {
    /// The object at `path`; with a non-empty `allowed`, any other field is an error.
    fn new(value: &'a Value, path: String, allowed: &[&str]) -> Result<Self, DocumentError> {
        let Value::Object(map) = value else {
            let param = if path.is_empty() {
                "document".to_string()
            } else {
                path
            };
            return Err(DocumentError::new(
                param,
                DocumentErrorKind::WrongType {
                    expected: "an object",
                },
            ));
        };
        let fields = Fields { map, path };
        if !allowed.is_empty()
            && let Some(name) = map.keys().find(|name| !allowed.contains(&name.as_str()))
        {
            return Err(fields.error(name, DocumentErrorKind::UnknownField));
        }
        Ok(fields)
    }

    fn path(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    fn error(&self, name: &str, kind: DocumentErrorKind) -> DocumentError {
        DocumentError::new(self.path(name), kind)
    }

    fn wrong_type(&self, name: &str, expected: &'static str) -> DocumentError {
        self.error(name, DocumentErrorKind::WrongType { expected })
    }

    /// A field's value; JSON `null` counts as absent.
    fn get(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|value| !value.is_null())
    }

    fn number(&self, name: &str) -> Result<Option<String>, DocumentError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(number)) => Ok(Some(number.to_string())),
            Some(_) => Err(self.wrong_type(name, "a number")),
        }
    }

    fn rate(&self, name: &str) -> Result<Option<CreditRate>, DocumentError> {
        let Some(text) = self.number(name)? else {
            return Ok(None);
        };
        CreditRate::parse(&text)
            .map(Some)
            .map_err(|error| self.error(name, DocumentErrorKind::Rate(error)))
    }

    fn required_rate(&self, name: &str) -> Result<CreditRate, DocumentError> {
        self.rate(name)?
            .ok_or_else(|| self.error(name, DocumentErrorKind::Missing))
    }

    /// Credits with at most 3 fraction digits, not negative.
    fn credits(&self, name: &str) -> Result<Option<Millicredits>, DocumentError> {
        let Some(text) = self.number(name)? else {
            return Ok(None);
        };
        let amount = Millicredits::parse_credits(&text)
            .map_err(|error| self.error(name, DocumentErrorKind::Amount(error)))?;
        if amount.is_negative() {
            return Err(self.error(name, DocumentErrorKind::Negative));
        }
        Ok(Some(amount))
    }

    fn integer(&self, name: &str, min: u64, max: u64) -> Result<Option<u64>, DocumentError> {
        let Some(text) = self.number(name)? else {
            return Ok(None);
        };
        let out_of_range = || self.error(name, DocumentErrorKind::OutOfRange { min, max });
        let decimal = Decimal::parse(&text).ok_or_else(out_of_range)?;
        if decimal.is_negative() || decimal.fraction_digits() > 0 {
            return Err(out_of_range());
        }
        let value = scaled(&decimal, 0, i128::from(max)).ok_or_else(out_of_range)?;
        let value = u64::try_from(value).map_err(|_| out_of_range())?;
        if value < min {
            return Err(out_of_range());
        }
        Ok(Some(value))
    }

    fn string(&self, name: &str, bytes_max: usize) -> Result<Option<&'a str>, DocumentError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(text)) if text.is_empty() => {
                Err(self.error(name, DocumentErrorKind::Empty))
            }
            Some(Value::String(text)) if text.len() > bytes_max => Err(self.error(
                name,
                DocumentErrorKind::TooLong {
                    max_bytes: bytes_max,
                },
            )),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(self.wrong_type(name, "a string")),
        }
    }

    fn array(&self, name: &str, max: usize) -> Result<Option<&'a Vec<Value>>, DocumentError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Array(values)) if values.len() > max => {
                Err(self.error(name, DocumentErrorKind::TooMany { max }))
            }
            Some(Value::Array(values)) => Ok(Some(values)),
            Some(_) => Err(self.wrong_type(name, "an array")),
        }
    }

    fn required_object(&self, name: &str, allowed: &[&str]) -> Result<Fields<'a>, DocumentError> {
        let value = self
            .get(name)
            .ok_or_else(|| self.error(name, DocumentErrorKind::Missing))?;
        Fields::new(value, self.path(name), allowed)
    }
}

fn rate_json(rate: CreditRate) -> Value {
    exact_number(&rate.to_string())
}

fn credits_json(amount: Millicredits) -> Value {
    exact_number(&amount.to_string())
}

fn token_rates_json(rates: &TokenRates) -> Value {
    let mut map = Map::new();
    map.insert("input_tokens".into(), rate_json(rates.input_tokens));
    if let Some(rate) = rates.cached_input_tokens {
        map.insert("cached_input_tokens".into(), rate_json(rate));
    }
    map.insert("output_tokens".into(), rate_json(rates.output_tokens));
    Value::Object(map)
}

fn size_limit_json(map: &mut Map<String, Value>, limit: &SizeLimit) {
    let bounds = [
        ("max_width", limit.max_width),
        ("max_height", limit.max_height),
        ("max_pixels", limit.max_pixels),
    ];
    for (name, bound) in bounds {
        if let Some(bound) = bound {
            map.insert(name.into(), Value::Number(bound.into()));
        }
    }
}

fn item_json(item: &RateItem) -> Value {
    let mut map = Map::new();
    map.insert("action".into(), item.action().as_str().into());
    map.insert("model".into(), item.model().into());
    map.insert("minimum".into(), credits_json(item.minimum()));
    map.insert("rounding_step".into(), credits_json(item.rounding_step()));
    match item.rates() {
        ItemRates::Chat(chat) => {
            map.insert("rates".into(), token_rates_json(chat.base()));
            if !chat.context_tiers().is_empty() {
                let tiers = chat
                    .context_tiers()
                    .iter()
                    .map(|tier| {
                        let mut tier_map = Map::new();
                        tier_map.insert(
                            "above_input_tokens".into(),
                            Value::Number(tier.above_input_tokens.into()),
                        );
                        tier_map.insert("rates".into(), token_rates_json(&tier.rates));
                        Value::Object(tier_map)
                    })
                    .collect();
                map.insert("context_tiers".into(), Value::Array(tiers));
            }
        }
        ItemRates::Embedding { input_tokens } => {
            let mut rates = Map::new();
            rates.insert("input_tokens".into(), rate_json(*input_tokens));
            map.insert("rates".into(), Value::Object(rates));
        }
        ItemRates::Image(ImageRates::Tiers {
            default_quality,
            tiers,
        }) => {
            map.insert("default_quality".into(), default_quality.as_str().into());
            let tiers = tiers
                .iter()
                .map(|tier| {
                    let mut tier_map = Map::new();
                    tier_map.insert("name".into(), tier.name().into());
                    size_limit_json(&mut tier_map, tier.limit());
                    let prices = tier
                        .prices()
                        .iter()
                        .map(|(quality, price)| (quality.as_str().to_string(), rate_json(price)))
                        .collect();
                    tier_map.insert("prices".into(), Value::Object(prices));
                    Value::Object(tier_map)
                })
                .collect();
            map.insert("tiers".into(), Value::Array(tiers));
        }
        ItemRates::Image(ImageRates::PerMegapixel {
            per_megapixel,
            limit,
        }) => {
            map.insert("per_megapixel".into(), rate_json(*per_megapixel));
            size_limit_json(&mut map, limit);
        }
        ItemRates::Video(video) => {
            let tiers = video
                .tiers()
                .iter()
                .map(|tier| {
                    let mut tier_map = Map::new();
                    tier_map.insert("name".into(), tier.name().into());
                    size_limit_json(&mut tier_map, tier.limit());
                    tier_map.insert("per_second".into(), rate_json(tier.per_second()));
                    Value::Object(tier_map)
                })
                .collect();
            map.insert("tiers".into(), Value::Array(tiers));
        }
        ItemRates::Speech(speech) => {
            let mut rates = Map::new();
            if let Some(rate) = speech.characters {
                rates.insert("characters".into(), rate_json(rate));
            }
            if let Some(rate) = speech.seconds {
                rates.insert("seconds".into(), rate_json(rate));
            }
            map.insert("rates".into(), Value::Object(rates));
        }
        ItemRates::Custom { units } => {
            let mut rates = Map::new();
            rates.insert("units".into(), rate_json(*units));
            map.insert("rates".into(), Value::Object(rates));
        }
    }
    Value::Object(map)
}
