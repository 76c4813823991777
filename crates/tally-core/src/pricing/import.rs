//! Importing LiteLLM's model cost map (`model_prices_and_context_window.json`) as a rate card
//! document: [`import_litellm`].
//!
//! Pure and exact: the price list is read from its own text (serde_json keeps every number's
//! text with `arbitrary_precision`, never an f64). The list's prices are binary floats printed
//! in full (`8.900000000000001e-07`), so each USD price of a card unit (a field's value, or a
//! per-pixel price × the size's pixels) is read as the decimal it was meant to be: rounded half
//! to even to at most [`USD_SIGNIFICANT_DIGITS`] (12) significant digits, which removes the
//! noise in the 16th and changes no price written with fewer digits
//! ([`ImportReport::rounded`] lists the keys it changed). That decimal is multiplied by
//! `credits_per_usd × markup` exactly, and a rate still finer than the card's precision
//! (1e-12 credits) is refused, never rounded further. Every key of the list ends up in exactly
//! one place of the [`ImportReport`]: imported (into an item of the document), imported as an
//! alias, skipped (with the reason), a non-model key, or not selected by
//! [`ImportOptions::only`].
//!
//! How LiteLLM's entries become items (the model is the LiteLLM key, case-sensitive, so two
//! keys never make the same item; the one exception is noted below):
//!
//! - `chat`, `completion`, `responses` → `chat`: `input_cost_per_token`,
//!   `output_cost_per_token`, `cache_read_input_token_cost`; `*_above_{N}k_tokens` fields and
//!   `tiered_pricing` ranges become context tiers above N × 1000 (resp. the range's start)
//!   input tokens. A tier that leaves out a kind of token keeps the base rate for it (as
//!   LiteLLM does). Service tiers (`_batches`, `_priority`, `_flex`…), cache writes, audio and
//!   image tokens, reasoning tokens and web search are not on a card.
//! - `embedding` → `embedding` (`input_cost_per_token`).
//! - `image_generation` → `image`. OpenAI-style keys `[provider/]{quality}/{W}-x-{H}/{model}`
//!   are grouped into one item per `[provider/]{model}` (this is where two keys share an item):
//!   one size tier per `W x H`, one price per quality (`output_cost_per_image`, else
//!   `input_cost_per_image` — LiteLLM's name for the generated image on these keys — else
//!   the per-pixel price × W × H). `max-x-max` is a tier above every named size. Other image
//!   entries: `output_cost_per_image_{0.5K,1K,2K,4K,512,1024,1536}` as size tiers (K × 1024
//!   pixels a side, as a pixel count so portrait and landscape are alike), else one tier of any
//!   size at `output_cost_per_image` (or `input_cost_per_image` alone), else `per_megapixel`
//!   from `input_cost_per_pixel` + `output_cost_per_pixel`. Qualities Tally does not know
//!   (`xhigh`, `max`) are skipped; a single-quality item prices `standard`.
//! - `video_generation` → `video`: `output_cost_per_second_{480p,720p,768p,1080p,2k,4k}` as
//!   tiers capped by the resolution's 16:9 pixel count; the default `output_cost_per_second`
//!   is dropped when it equals a tier, else it prices the sizes below the first tier that costs
//!   more; alone (or `output_cost_per_video_per_second`) it is one tier of any size.
//! - `audio_speech` → `speech` by `characters` (`input_cost_per_character`) and/or by
//!   `seconds` (`output_cost_per_second`); `audio_transcription` → `speech` by `seconds`
//!   (`input_cost_per_second`, or `output_cost_per_second` when that is the only positive one).
//! - Entries without `mode` (Fireworks size buckets, Deepgram Aura) are read by their fields:
//!   per character → speech, `embedding` in the key → embedding, per token → chat.
//!
//! An explicit 0 is a price (free); an absent price is unknown, and the entry is skipped.
//! Minimum and rounding step are left at the card's defaults (1 credit each).

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use serde_json::{Map, Value};

use crate::amount::Decimal;

use super::document::{
    DocumentError, DocumentErrorKind, ITEMS_MAX, PIXELS_MAX, parse_document_value,
};
use super::rate::{CreditRate, FEMTOCREDITS_PER_PICOCREDIT, RATE_PICOCREDITS_MAX, RateError};
use super::usage::{MODEL_BYTES_MAX, Quality, exact_number};

/// Keys of the list that are not models.
pub const LITELLM_NON_MODEL_KEYS: [&str; 2] = ["sample_spec", "fallback_generalizations"];

/// How the report names the mode of an entry that has none.
pub const NO_MODE: &str = "(none)";

/// What to import and at which exchange rate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportOptions {
    /// Credits per US dollar (default 1000); written on the document as `credits_per_usd`.
    pub credits_per_usd: Decimal,
    /// A multiplier on every price (default 1; 1.2 is a 20% markup).
    pub markup: Decimal,
    /// Only keys matching this pattern: with a `*`, a glob over the whole key (`*` matches any
    /// text, `/` included); without, a substring. Case-sensitive. An OpenAI-style image key
    /// also matches through the model it is grouped under (`gpt-image-1*` selects
    /// `medium/1024-x-1024/gpt-image-1`).
    pub only: Option<String>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            credits_per_usd: Decimal::parse("1000").expect("a decimal"),
            markup: Decimal::parse("1").expect("a decimal"),
            only: None,
        }
    }
}

/// Why the list cannot be imported at all (one bad entry is skipped, never an error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("the price list is not JSON: {0}")]
    NotJson(String),
    #[error("the price list must be a JSON object keyed by model")]
    NotAnObject,
    #[error("`{option}` {reason}")]
    InvalidOption {
        option: &'static str,
        reason: String,
    },
    #[error("{count} items is more than a rate card holds ({max}); narrow the import with `only`")]
    TooManyItems { count: usize, max: usize },
    #[error("the imported document is refused (a bug in the importer): {0}")]
    Document(DocumentError),
}

/// Why an entry was skipped, for counting; [`Skipped::reason`] has the details.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipKind {
    /// No cost field at all: the price is unknown (not free).
    Unpriced,
    /// The mode is not one of Tally's actions (rerank, ocr, realtime, image_edit…).
    NoAction,
    /// Priced, but only in units a card has no dimension for (per image token, per query,
    /// per second of a deployment…).
    NoUsablePrice,
    /// A price that is not a non-negative number (a string, an object, a negative number).
    BadValue,
    /// A rate finer than 1e-12 credits once converted after the 12-digit reading (refused rather than rounded).
    TooPrecise,
    /// A rate above 1e12 credits once converted.
    TooLarge,
    /// An image quality the card does not know, or one not priced at every size.
    UnsupportedQuality,
    /// The card refuses the item (prices that fall as size or context rises…).
    Refused,
    /// Another key already made an item for the same (action, model).
    Duplicate,
    /// An alias whose target is missing, not imported, or not a plain entry.
    AliasTarget,
    /// The key is longer than a model name may be.
    ModelName,
}

impl SkipKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipKind::Unpriced => "unpriced (no cost field)",
            SkipKind::NoAction => "mode has no Tally action",
            SkipKind::NoUsablePrice => "no price in a unit the card has",
            SkipKind::BadValue => "price is not a number",
            SkipKind::TooPrecise => "finer than 1e-12 credits",
            SkipKind::TooLarge => "over 1e12 credits",
            SkipKind::UnsupportedQuality => "unsupported image quality",
            SkipKind::Refused => "refused by the rate card rules",
            SkipKind::Duplicate => "duplicate (action, model)",
            SkipKind::AliasTarget => "alias target not imported",
            SkipKind::ModelName => "model name too long",
        }
    }
}

impl fmt::Display for SkipKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One key of the list that did not become (part of) an item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub key: String,
    /// The entry's `mode` ([`NO_MODE`] when it has none; an alias's is its target's).
    pub mode: String,
    /// For an alias entry, the key it names.
    pub alias_of: Option<String>,
    pub kind: SkipKind,
    pub reason: String,
}

/// What [`import_litellm`] made of the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportReport {
    /// `{credits_per_usd, items}`: what `PUT /v1/rate-card` takes ([`parse_document_value`]
    /// reads it).
    pub document: Value,
    /// Keys imported, by LiteLLM mode (alias keys are counted in [`ImportReport::aliases`]).
    pub imported: BTreeMap<String, usize>,
    /// Alias keys (`alias_of`) imported with their target's prices, by the target's mode.
    pub aliases: BTreeMap<String, usize>,
    /// Items of the document, by Tally action.
    pub items: BTreeMap<String, usize>,
    /// Items whose every rate is 0 (explicitly free in the list).
    pub free_items: usize,
    /// Imported keys (aliases aside) with a USD price of more than
    /// [`USD_SIGNIFICANT_DIGITS`] significant digits, read rounded to that many, in key order.
    pub rounded: Vec<String>,
    /// Every key that could not be imported, with the reason, in key order.
    pub skipped: Vec<Skipped>,
    /// Keys that are documentation or rules, not models (`sample_spec`…).
    pub non_model_keys: Vec<String>,
    /// Keys left out because they do not match [`ImportOptions::only`].
    pub not_selected: usize,
    /// Keys in the list.
    pub total_keys: usize,
}

impl ImportReport {
    pub fn imported_total(&self) -> usize {
        self.imported.values().sum()
    }

    pub fn aliases_total(&self) -> usize {
        self.aliases.values().sum()
    }

    pub fn items_total(&self) -> usize {
        self.items.values().sum()
    }

    /// Skipped keys by mode.
    pub fn skipped_by_mode(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for skipped in &self.skipped {
            *counts.entry(skipped.mode.clone()).or_insert(0) += 1;
        }
        counts
    }

    /// Skipped keys by kind of reason.
    pub fn skipped_by_kind(&self) -> BTreeMap<SkipKind, usize> {
        let mut counts = BTreeMap::new();
        for skipped in &self.skipped {
            *counts.entry(skipped.kind).or_insert(0) += 1;
        }
        counts
    }

    /// One line: what was imported and skipped, by mode.
    pub fn summary(&self) -> String {
        fn listed(counts: &BTreeMap<String, usize>) -> String {
            counts
                .iter()
                .map(|(mode, count)| format!("{mode} {count}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
        let mut line = format!(
            "imported {} keys ({}) and {} aliases as {} items ({}); skipped {} ({}); \
             {} non-model keys",
            self.imported_total(),
            listed(&self.imported),
            self.aliases_total(),
            self.items_total(),
            listed(&self.items),
            self.skipped.len(),
            listed(&self.skipped_by_mode()),
            self.non_model_keys.len(),
        );
        if !self.rounded.is_empty() {
            line.push_str(&format!(
                "; {} imported with a price read at {USD_SIGNIFICANT_DIGITS} significant digits",
                self.rounded.len()
            ));
        }
        if self.not_selected > 0 {
            line.push_str(&format!("; {} not selected", self.not_selected));
        }
        line.push_str(&format!("; {} keys in all", self.total_keys));
        line
    }
}

/// Converts LiteLLM's model cost map (its JSON text) into a rate card document.
///
/// ```
/// use tally_core::pricing::{ImportOptions, import_litellm, parse_document_value};
/// let list = r#"{
///     "gpt-4o-mini": {"mode": "chat", "input_cost_per_token": 1.5e-07,
///                     "output_cost_per_token": 6e-07, "cache_read_input_token_cost": 7.5e-08},
///     "whisper-1": {"mode": "audio_transcription", "input_cost_per_second": 0.0001},
///     "some-rerank": {"mode": "rerank", "input_cost_per_query": 0.002}
/// }"#;
/// let report = import_litellm(list, &ImportOptions::default()).unwrap();
/// let document = parse_document_value(&report.document).unwrap();
/// assert_eq!(document.items().len(), 2);
/// assert_eq!(report.document["items"][0]["rates"]["input_tokens"].to_string(), "0.00015");
/// assert_eq!(report.skipped[0].key, "some-rerank");
/// ```
pub fn import_litellm(text: &str, options: &ImportOptions) -> Result<ImportReport, ImportError> {
    let value: Value =
        serde_json::from_str(text).map_err(|error| ImportError::NotJson(error.to_string()))?;
    let Value::Object(list) = value else {
        return Err(ImportError::NotAnObject);
    };
    let converter = Converter::new(options)?;
    Importer::new(&list, &converter, options.only.as_deref()).run()
}

// ---------------------------------------------------------------------------------------------
// Exact decimals
// ---------------------------------------------------------------------------------------------

/// A non-negative exact decimal, `mantissa × 10^exponent`, kept normalized (no trailing zeros
/// in the mantissa; zero has exponent 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Exact {
    mantissa: u128,
    exponent: i64,
}

impl Exact {
    const ZERO: Exact = Exact {
        mantissa: 0,
        exponent: 0,
    };

    fn new(mantissa: u128, exponent: i64) -> Exact {
        let (mut mantissa, mut exponent) = (mantissa, exponent);
        if mantissa == 0 {
            return Exact::ZERO;
        }
        while mantissa.is_multiple_of(10) {
            mantissa /= 10;
            exponent += 1;
        }
        Exact { mantissa, exponent }
    }

    /// The magnitude of `decimal` (`None` when its digits do not fit 128 bits).
    fn from_decimal(decimal: &Decimal) -> Option<Exact> {
        let (_, digits, exponent) = decimal.parts();
        let mut mantissa: u128 = 0;
        for digit in digits.bytes() {
            mantissa = mantissa
                .checked_mul(10)?
                .checked_add(u128::from(digit - b'0'))?;
        }
        Some(Exact::new(mantissa, exponent))
    }

    fn checked_mul(self, other: Exact) -> Option<Exact> {
        Some(Exact::new(
            self.mantissa.checked_mul(other.mantissa)?,
            self.exponent.checked_add(other.exponent)?,
        ))
    }

    fn times(self, factor: u128) -> Option<Exact> {
        self.checked_mul(Exact::new(factor, 0))
    }

    fn is_zero(self) -> bool {
        self.mantissa == 0
    }

    /// Rounded half to even to at most `digits` significant digits (unchanged when it has no
    /// more).
    fn to_significant(self, digits: u32) -> Exact {
        let length = self.mantissa.checked_ilog10().map_or(1, |log| log + 1);
        if length <= digits {
            return self;
        }
        let dropped = length - digits;
        let power = 10u128.pow(dropped);
        let (mut kept, rest) = (self.mantissa / power, self.mantissa % power);
        let half = power / 2;
        if rest > half || (rest == half && kept % 2 == 1) {
            kept += 1;
        }
        Exact::new(kept, self.exponent + i64::from(dropped))
    }

    /// The value in units of `10^-scale`, if that is a whole number within `max`.
    fn scaled(self, scale: i64, max: i128) -> Result<i128, Fineness> {
        if self.is_zero() {
            return Ok(0);
        }
        let shift = self.exponent + scale;
        if shift < 0 {
            return Err(Fineness::TooPrecise);
        }
        let value = u32::try_from(shift)
            .ok()
            .and_then(|shift| 10u128.checked_pow(shift))
            .and_then(|power| self.mantissa.checked_mul(power))
            .and_then(|value| i128::try_from(value).ok())
            .ok_or(Fineness::TooLarge)?;
        if value > max {
            return Err(Fineness::TooLarge);
        }
        Ok(value)
    }
}

enum Fineness {
    TooPrecise,
    TooLarge,
}

impl fmt::Display for Exact {
    /// Plain decimal text, no exponent: `0.000040054321`, `167`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.mantissa.to_string();
        if self.exponent >= 0 {
            return write!(f, "{digits}{}", "0".repeat(self.exponent as usize));
        }
        let fraction = self.exponent.unsigned_abs() as usize;
        if digits.len() > fraction {
            let (whole, part) = digits.split_at(digits.len() - fraction);
            write!(f, "{whole}.{part}")
        } else {
            write!(f, "0.{}{digits}", "0".repeat(fraction - digits.len()))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// USD to credits
// ---------------------------------------------------------------------------------------------

/// Why one entry (or group of keys) cannot be imported.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Problem {
    kind: SkipKind,
    reason: String,
}

impl Problem {
    fn new(kind: SkipKind, reason: impl Into<String>) -> Self {
        Problem {
            kind,
            reason: reason.into(),
        }
    }
}

/// How many significant digits a USD price is read to: the list's prices are binary floats
/// printed in full (`8.900000000000001e-07`), and no provider prices to 16 digits.
pub const USD_SIGNIFICANT_DIGITS: u32 = 12;

/// USD × credits_per_usd × markup, exactly.
struct Converter {
    factor: Exact,
    credits_per_usd: CreditRate,
    /// How the factor reads in reasons: `× 1000` or `× 1000 × 1.2`.
    factor_text: String,
    /// How many prices so far had more than [`USD_SIGNIFICANT_DIGITS`] digits (the importer
    /// reads it before and after each entry to know which entries it changed).
    rounded: Cell<usize>,
}

impl Converter {
    fn new(options: &ImportOptions) -> Result<Converter, ImportError> {
        let invalid = |option: &'static str, reason: &str| ImportError::InvalidOption {
            option,
            reason: reason.to_string(),
        };
        let positive = |option: &'static str, decimal: &Decimal| {
            if decimal.is_negative() || decimal.is_zero() {
                return Err(invalid(option, "must be more than zero"));
            }
            Exact::from_decimal(decimal).ok_or_else(|| invalid(option, "has too many digits"))
        };
        let credits_per_usd = positive("credits_per_usd", &options.credits_per_usd)?;
        let markup = positive("markup", &options.markup)?;
        let credits_per_usd_rate = CreditRate::parse(&credits_per_usd.to_string())
            .map_err(|error| invalid("credits_per_usd", &error.to_string()))?;
        let factor = credits_per_usd
            .checked_mul(markup)
            .ok_or_else(|| invalid("markup", "has too many digits"))?;
        let factor_text = if markup == Exact::new(1, 0) {
            format!("× {credits_per_usd}")
        } else {
            format!("× {credits_per_usd} × {markup}")
        };
        Ok(Converter {
            factor,
            credits_per_usd: credits_per_usd_rate,
            factor_text,
            rounded: Cell::new(0),
        })
    }

    /// `usd × per` USD (per unit of the field) in credits, as a card rate: the USD price of
    /// the card's unit read to [`USD_SIGNIFICANT_DIGITS`] significant digits, then converted
    /// exactly.
    fn rate(&self, field: &str, usd: Exact, per: u128) -> Result<CreditRate, Problem> {
        let mut shown = if per == 1 {
            format!("`{field}` {usd} USD")
        } else {
            format!("`{field}` {usd} USD × {per}")
        };
        let too_many_digits = |shown: &str| {
            Problem::new(
                SkipKind::TooPrecise,
                format!("{shown} has too many digits to convert exactly"),
            )
        };
        let unit_usd = usd.times(per).ok_or_else(|| too_many_digits(&shown))?;
        let read = unit_usd.to_significant(USD_SIGNIFICANT_DIGITS);
        if read != unit_usd {
            self.rounded.set(self.rounded.get() + 1);
            shown = format!(
                "{shown} (read as {read} USD at {USD_SIGNIFICANT_DIGITS} significant digits)"
            );
        }
        let credits = read
            .checked_mul(self.factor)
            .ok_or_else(|| too_many_digits(&shown))?;
        match credits.scaled(12, RATE_PICOCREDITS_MAX) {
            Ok(picocredits) => {
                Ok(CreditRate::from_picocredits(picocredits).expect("checked against the maximum"))
            }
            Err(Fineness::TooPrecise) => Err(Problem::new(
                SkipKind::TooPrecise,
                format!(
                    "{shown} {} = {credits} credits is finer than the card's 1e-12 credits",
                    self.factor_text
                ),
            )),
            Err(Fineness::TooLarge) => Err(Problem::new(
                SkipKind::TooLarge,
                format!(
                    "{shown} {} = {credits} credits is over 1e12 credits",
                    self.factor_text
                ),
            )),
        }
    }
}

/// One entry of the list: its key and fields.
#[derive(Clone, Copy)]
struct Entry<'a> {
    key: &'a str,
    fields: &'a Map<String, Value>,
}

impl<'a> Entry<'a> {
    fn get(&self, field: &str) -> Option<&'a Value> {
        self.fields.get(field).filter(|value| !value.is_null())
    }

    fn has(&self, field: &str) -> bool {
        self.get(field).is_some()
    }

    /// The mode, as the report names it.
    fn mode(&self) -> String {
        match self.get("mode") {
            Some(Value::String(mode)) => mode.clone(),
            _ => NO_MODE.to_string(),
        }
    }

    /// Whether any field looks like a price (LiteLLM's cost fields all contain `cost`).
    fn has_cost_field(&self) -> bool {
        self.fields.iter().any(|(name, value)| {
            !value.is_null() && (name.contains("cost") || name == "tiered_pricing")
        })
    }

    /// The cost fields present, for reasons (`input_cost_per_second, cost_per_second`).
    fn cost_fields(&self) -> String {
        let names: Vec<&str> = self
            .fields
            .iter()
            .filter(|(name, value)| {
                !value.is_null() && (name.contains("cost") || *name == "tiered_pricing")
            })
            .map(|(name, _)| name.as_str())
            .collect();
        const SHOWN: usize = 6;
        if names.len() > SHOWN {
            format!("{}, … ({} in all)", names[..SHOWN].join(", "), names.len())
        } else {
            names.join(", ")
        }
    }

    /// A USD price: absent (or null) is `None`; anything but a non-negative number is a
    /// problem.
    fn usd(&self, field: &str) -> Result<Option<Exact>, Problem> {
        usd_value(field, self.get(field))
    }

    /// A converted rate.
    fn rate(&self, converter: &Converter, field: &str) -> Result<Option<CreditRate>, Problem> {
        self.usd(field)?
            .map(|usd| converter.rate(field, usd, 1))
            .transpose()
    }

    /// "Skipped: not priced" — unknown when the entry has no cost field at all, else priced in
    /// units the card has no dimension for.
    fn no_price(&self, wanted: &str) -> Problem {
        if self.has_cost_field() {
            Problem::new(
                SkipKind::NoUsablePrice,
                format!("no {wanted}; priced only by {}", self.cost_fields()),
            )
        } else {
            Problem::new(
                SkipKind::Unpriced,
                "no cost field: the price is unknown (not free)",
            )
        }
    }
}

fn usd_value(field: &str, value: Option<&Value>) -> Result<Option<Exact>, Problem> {
    let bad = |what: String| Problem::new(SkipKind::BadValue, format!("`{field}` {what}"));
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(number)) => {
            let text = number.to_string();
            let decimal =
                Decimal::parse(&text).ok_or_else(|| bad(format!("is not a decimal ({text})")))?;
            if decimal.is_negative() {
                return Err(bad(format!("is negative ({text})")));
            }
            Exact::from_decimal(&decimal).map(Some).ok_or_else(|| {
                Problem::new(
                    SkipKind::TooPrecise,
                    format!("`{field}` {text} has too many digits"),
                )
            })
        }
        Some(Value::String(text)) => {
            let shown: String = text.chars().take(40).collect();
            Err(bad(format!("is a string ({shown:?}), not a number")))
        }
        Some(Value::Bool(_)) => Err(bad("is a boolean, not a number".into())),
        Some(Value::Array(_)) => Err(bad("is an array, not a number".into())),
        Some(Value::Object(_)) => Err(bad("is an object, not a number".into())),
    }
}

fn rate_json(rate: CreditRate) -> Value {
    exact_number(&rate.to_string())
}

fn object(pairs: Vec<(&str, Value)>) -> Value {
    Value::Object(
        pairs
            .into_iter()
            .map(|(name, value)| (name.to_string(), value))
            .collect(),
    )
}

fn item_head(action: &str, model: &str) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("action".into(), action.into());
    map.insert("model".into(), model.into());
    map
}

// ---------------------------------------------------------------------------------------------
// Chat and embedding
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Default)]
struct TokenDraft {
    input: Option<CreditRate>,
    output: Option<CreditRate>,
    cached: Option<CreditRate>,
}

/// `input_cost_per_token_above_200k_tokens` → (`input_cost_per_token`, 200000).
fn above_tokens_field(name: &str) -> Option<(&'static str, u64)> {
    for base in [
        "input_cost_per_token",
        "output_cost_per_token",
        "cache_read_input_token_cost",
    ] {
        let Some(rest) = name
            .strip_prefix(base)
            .and_then(|rest| rest.strip_prefix("_above_"))
            .and_then(|rest| rest.strip_suffix("k_tokens"))
        else {
            continue;
        };
        if rest.is_empty() || !rest.bytes().all(|byte| byte.is_ascii_digit()) || rest.len() > 9 {
            return None;
        }
        let thousands: u64 = rest.parse().ok()?;
        return Some((base, thousands * 1_000));
    }
    None
}

fn set_token_rate(draft: &mut TokenDraft, base: &str, rate: CreditRate) {
    match base {
        "input_cost_per_token" => draft.input = Some(rate),
        "output_cost_per_token" => draft.output = Some(rate),
        _ => draft.cached = Some(rate),
    }
}

/// A whole number of tokens from a `range` bound (`256000.0` is 256000).
fn token_bound(value: &Value) -> Option<u64> {
    let Value::Number(number) = value else {
        return None;
    };
    let decimal = Decimal::parse(&number.to_string())?;
    if decimal.is_negative() {
        return None;
    }
    let exact = Exact::from_decimal(&decimal)?;
    exact
        .scaled(0, i128::from(u64::MAX))
        .ok()
        .and_then(|value| u64::try_from(value).ok())
}

fn chat_item(entry: Entry, converter: &Converter) -> Result<Value, Problem> {
    let mut base = TokenDraft {
        input: entry.rate(converter, "input_cost_per_token")?,
        output: entry.rate(converter, "output_cost_per_token")?,
        cached: entry.rate(converter, "cache_read_input_token_cost")?,
    };
    let mut tiers: BTreeMap<u64, TokenDraft> = BTreeMap::new();
    for (name, value) in entry.fields {
        if let Some((base_field, threshold)) = above_tokens_field(name)
            && let Some(usd) = usd_value(name, Some(value))?
        {
            let rate = converter.rate(name, usd, 1)?;
            set_token_rate(tiers.entry(threshold).or_default(), base_field, rate);
        }
    }
    if let Some(ranges) = entry.get("tiered_pricing") {
        let Value::Array(ranges) = ranges else {
            return Err(Problem::new(
                SkipKind::BadValue,
                "`tiered_pricing` is not an array",
            ));
        };
        for (position, range) in ranges.iter().enumerate() {
            let path = format!("tiered_pricing[{position}]");
            let Value::Object(fields) = range else {
                return Err(Problem::new(
                    SkipKind::BadValue,
                    format!("`{path}` is not an object"),
                ));
            };
            let start = match fields.get("range") {
                Some(Value::Array(bounds)) if bounds.len() == 2 => token_bound(&bounds[0]),
                _ => None,
            }
            .ok_or_else(|| {
                Problem::new(
                    SkipKind::BadValue,
                    format!("`{path}.range` is not [start, end] in whole tokens"),
                )
            })?;
            let tier = Entry {
                key: entry.key,
                fields,
            };
            let mut draft = TokenDraft::default();
            for base_field in [
                "input_cost_per_token",
                "output_cost_per_token",
                "cache_read_input_token_cost",
            ] {
                if let Some(usd) = tier.usd(base_field)? {
                    let rate = converter.rate(&format!("{path}.{base_field}"), usd, 1)?;
                    set_token_rate(&mut draft, base_field, rate);
                }
            }
            // The first range prices the base (unless the entry has its own base rates).
            let level = if start == 0 {
                &mut base
            } else {
                tiers.entry(start).or_default()
            };
            level.input = level.input.or(draft.input);
            level.output = level.output.or(draft.output);
            level.cached = level.cached.or(draft.cached);
        }
    }
    let (Some(input), Some(output)) = (base.input, base.output) else {
        let missing = if base.input.is_none() {
            "input_cost_per_token"
        } else {
            "output_cost_per_token"
        };
        return Err(entry.no_price(&format!("per-token price (`{missing}`)")));
    };
    // Cached tokens: priced on every level or on none. A level without its own cached rate
    // bills them at the base's cached rate, else at its own input rate (what "absent" means).
    let any_cached = base.cached.is_some() || tiers.values().any(|tier| tier.cached.is_some());
    let rates = |input: CreditRate, output: CreditRate, cached: Option<CreditRate>| {
        let mut pairs = vec![("input_tokens", rate_json(input))];
        if any_cached {
            pairs.push(("cached_input_tokens", rate_json(cached.unwrap_or(input))));
        }
        pairs.push(("output_tokens", rate_json(output)));
        object(pairs)
    };
    let mut item = item_head("chat", entry.key);
    item.insert("rates".into(), rates(input, output, base.cached));
    if !tiers.is_empty() {
        let context_tiers = tiers
            .iter()
            .map(|(threshold, tier)| {
                let input = tier.input.unwrap_or(input);
                object(vec![
                    ("above_input_tokens", Value::Number((*threshold).into())),
                    (
                        "rates",
                        rates(
                            input,
                            tier.output.unwrap_or(output),
                            tier.cached.or(base.cached).or(Some(input)),
                        ),
                    ),
                ])
            })
            .collect();
        item.insert("context_tiers".into(), Value::Array(context_tiers));
    }
    Ok(Value::Object(item))
}

fn embedding_item(entry: Entry, converter: &Converter) -> Result<Value, Problem> {
    let input = entry
        .rate(converter, "input_cost_per_token")?
        .ok_or_else(|| entry.no_price("per-token price (`input_cost_per_token`)"))?;
    let mut item = item_head("embedding", entry.key);
    item.insert(
        "rates".into(),
        object(vec![("input_tokens", rate_json(input))]),
    );
    Ok(Value::Object(item))
}

// ---------------------------------------------------------------------------------------------
// Images
// ---------------------------------------------------------------------------------------------

/// A size tier of an image or video item, before it is written.
struct SizeTier {
    name: String,
    /// `(max_width, max_height)` or `None` for a pixel cap only.
    sides: Option<(u64, u64)>,
    max_pixels: Option<u64>,
}

impl SizeTier {
    fn any() -> Self {
        SizeTier {
            name: "any".into(),
            sides: None,
            max_pixels: Some(PIXELS_MAX),
        }
    }

    fn capacity(&self) -> u64 {
        match (self.sides, self.max_pixels) {
            (Some((width, height)), Some(pixels)) => (width * height).min(pixels),
            (Some((width, height)), None) => width * height,
            (None, Some(pixels)) => pixels,
            (None, None) => PIXELS_MAX,
        }
    }

    fn bounds(&self, map: &mut Map<String, Value>) {
        map.insert("name".into(), self.name.clone().into());
        if let Some((width, height)) = self.sides {
            map.insert("max_width".into(), Value::Number(width.into()));
            map.insert("max_height".into(), Value::Number(height.into()));
        }
        if let Some(pixels) = self.max_pixels {
            map.insert("max_pixels".into(), Value::Number(pixels.into()));
        }
    }
}

fn image_tiers_item(
    model: &str,
    default_quality: Quality,
    tiers: &[(SizeTier, Vec<(Quality, CreditRate)>)],
) -> Value {
    let mut item = item_head("image", model);
    item.insert("default_quality".into(), default_quality.as_str().into());
    let tiers = tiers
        .iter()
        .map(|(tier, prices)| {
            let mut map = Map::new();
            tier.bounds(&mut map);
            let prices = prices
                .iter()
                .map(|(quality, price)| (quality.as_str().to_string(), rate_json(*price)))
                .collect();
            map.insert("prices".into(), Value::Object(prices));
            Value::Object(map)
        })
        .collect();
    item.insert("tiers".into(), Value::Array(tiers));
    Value::Object(item)
}

/// The quality a usage without one is priced at: `high` (gpt-image's `auto` may pick it),
/// else `standard` (dall-e-3's default), else the highest offered.
fn default_quality(offered: &BTreeSet<Quality>) -> Quality {
    [
        Quality::High,
        Quality::Standard,
        Quality::Hd,
        Quality::Medium,
        Quality::Low,
    ]
    .into_iter()
    .find(|quality| offered.contains(quality))
    .unwrap_or(Quality::Standard)
}

/// `output_cost_per_image_1K` → the side in pixels (1024); `_0.5K` → 512, `_1536` → 1536.
fn image_size_suffix(name: &str) -> Option<(String, u64)> {
    let suffix = name.strip_prefix("output_cost_per_image_")?;
    let side = if let Some(thousands) = suffix.strip_suffix('K') {
        // 0.5K, 1K, 2K, 4K: K × 1024 pixels a side.
        let decimal = Decimal::parse(thousands)?;
        Exact::from_decimal(&decimal)?
            .times(1024)?
            .scaled(0, i128::from(u32::MAX))
            .ok()?
    } else {
        if suffix.is_empty() || !suffix.bytes().all(|byte| byte.is_ascii_digit()) {
            return None;
        }
        suffix.parse::<i128>().ok()?
    };
    let side = u64::try_from(side)
        .ok()
        .filter(|side| (1..=1_000_000).contains(side))?;
    Some((suffix.to_string(), side))
}

fn image_item(entry: Entry, converter: &Converter) -> Result<Value, Problem> {
    // Priced by size: output_cost_per_image_{size}.
    let mut sized: Vec<(SizeTier, CreditRate)> = Vec::new();
    for (name, value) in entry.fields {
        if let Some((suffix, side)) = image_size_suffix(name)
            && let Some(usd) = usd_value(name, Some(value))?
        {
            let tier = SizeTier {
                name: suffix,
                sides: None,
                max_pixels: Some(side * side),
            };
            sized.push((tier, converter.rate(name, usd, 1)?));
        }
    }
    let per_image = match entry.rate(converter, "output_cost_per_image")? {
        Some(rate) => Some(rate),
        // Without an output price, LiteLLM's `input_cost_per_image` on an image_generation
        // entry is the generated image's price (as on its OpenAI-style keys).
        None if sized.is_empty() => entry.rate(converter, "input_cost_per_image")?,
        None => None,
    };
    let quality = Quality::Standard;
    let offered = BTreeSet::from([quality]);
    if !sized.is_empty() {
        if let Some(default) = per_image
            && !sized.iter().any(|(_, rate)| *rate == default)
        {
            return Err(Problem::new(
                SkipKind::NoUsablePrice,
                "`output_cost_per_image` matches none of its `output_cost_per_image_{size}` prices",
            ));
        }
        sized.sort_by_key(|(tier, rate)| (tier.capacity(), *rate));
        let tiers: Vec<_> = sized
            .into_iter()
            .map(|(tier, rate)| (tier, vec![(quality, rate)]))
            .collect();
        return Ok(image_tiers_item(
            entry.key,
            default_quality(&offered),
            &tiers,
        ));
    }
    if let Some(rate) = per_image {
        return Ok(image_tiers_item(
            entry.key,
            quality,
            &[(SizeTier::any(), vec![(quality, rate)])],
        ));
    }
    let input_pixel = entry.usd("input_cost_per_pixel")?;
    let output_pixel = entry.usd("output_cost_per_pixel")?;
    if input_pixel.is_some() || output_pixel.is_some() {
        let per_pixel = match (input_pixel, output_pixel) {
            (Some(a), Some(b)) => {
                // a + b: align exponents (both are small decimals).
                let exponent = a.exponent.min(b.exponent);
                let align = |value: Exact| {
                    u32::try_from(value.exponent - exponent)
                        .ok()
                        .and_then(|shift| 10u128.checked_pow(shift))
                        .and_then(|power| value.mantissa.checked_mul(power))
                };
                align(a)
                    .zip(align(b))
                    .and_then(|(a, b)| a.checked_add(b))
                    .map(|sum| Exact::new(sum, exponent))
                    .ok_or_else(|| {
                        Problem::new(
                            SkipKind::TooPrecise,
                            "per-pixel prices have too many digits",
                        )
                    })?
            }
            (a, b) => a.or(b).unwrap_or(Exact::ZERO),
        };
        let field = match (input_pixel, output_pixel) {
            (Some(_), Some(_)) => "input_cost_per_pixel + output_cost_per_pixel",
            (Some(_), None) => "input_cost_per_pixel",
            _ => "output_cost_per_pixel",
        };
        let per_megapixel = converter.rate(field, per_pixel, 1_000_000)?;
        if per_megapixel.picocredits() % FEMTOCREDITS_PER_PICOCREDIT != 0 {
            return Err(Problem::new(
                SkipKind::TooPrecise,
                format!(
                    "`{field}` × 1000000 {} = {per_megapixel} credits per megapixel is finer than \
                     the card's 1e-9 credits per megapixel",
                    converter.factor_text
                ),
            ));
        }
        let mut item = item_head("image", entry.key);
        item.insert("per_megapixel".into(), rate_json(per_megapixel));
        return Ok(Value::Object(item));
    }
    Err(entry.no_price("per-image or per-pixel price"))
}

/// `(W, H)` of an OpenAI-style image key, or `None` for `max-x-max`.
type GridSize = Option<(u64, u64)>;

/// An OpenAI-style image key: `[provider/][quality/]{W}-x-{H}/{model}`.
struct GridKey {
    /// `[provider/]{model}`: the item's model.
    model: String,
    /// The quality segment as written (`None`: the key names no quality).
    quality: Option<String>,
    size: GridSize,
}

const GRID_QUALITIES: [&str; 7] = ["low", "medium", "high", "standard", "hd", "xhigh", "max"];

fn grid_key(key: &str) -> Option<GridKey> {
    let segments: Vec<&str> = key.split('/').collect();
    let position = segments.iter().position(|segment| {
        segment.split_once("-x-").is_some_and(|(width, height)| {
            let side = |text: &str| {
                text == "max" || (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
            };
            side(width) && side(height) && ((width == "max") == (height == "max"))
        })
    })?;
    if position + 1 >= segments.len() {
        return None;
    }
    let (width, height) = segments[position].split_once("-x-")?;
    let size = if width == "max" {
        None
    } else {
        let side = |text: &str| {
            text.parse::<u64>()
                .ok()
                .filter(|side| (1..=1_000_000).contains(side))
        };
        Some((side(width)?, side(height)?))
    };
    let (prefix, quality) = match position.checked_sub(1) {
        Some(before) if GRID_QUALITIES.contains(&segments[before]) => {
            (&segments[..before], Some(segments[before].to_string()))
        }
        _ => (&segments[..position], None),
    };
    let model = prefix
        .iter()
        .chain(&segments[position + 1..])
        .copied()
        .collect::<Vec<_>>()
        .join("/");
    Some(GridKey {
        model,
        quality,
        size,
    })
}

/// The price of one OpenAI-style key: per image, else per pixel × W × H.
fn grid_price(entry: Entry, size: GridSize, converter: &Converter) -> Result<CreditRate, Problem> {
    for field in ["output_cost_per_image", "input_cost_per_image"] {
        if let Some(rate) = entry.rate(converter, field)? {
            return Ok(rate);
        }
    }
    let input_pixel = entry.usd("input_cost_per_pixel")?;
    let output_pixel = entry.usd("output_cost_per_pixel")?;
    let Some((width, height)) = size else {
        return Err(entry.no_price("per-image price (a per-pixel price needs a size)"));
    };
    let pixels = u128::from(width * height);
    let mut total: Option<CreditRate> = None;
    for (field, usd) in [
        ("input_cost_per_pixel", input_pixel),
        ("output_cost_per_pixel", output_pixel),
    ] {
        if let Some(usd) = usd {
            let rate = converter.rate(field, usd, pixels)?;
            total = Some(match total {
                None => rate,
                Some(sum) => CreditRate::from_picocredits(sum.picocredits() + rate.picocredits())
                    .ok_or_else(|| {
                    Problem::new(
                        SkipKind::TooLarge,
                        "the per-pixel prices add up to over 1e12 credits",
                    )
                })?,
            });
        }
    }
    total.ok_or_else(|| entry.no_price("per-image or per-pixel price"))
}

// ---------------------------------------------------------------------------------------------
// Video and speech
// ---------------------------------------------------------------------------------------------

/// `output_cost_per_second_1080p` → ("1080p", 1920 × 1080 pixels).
fn video_resolution(name: &str) -> Option<(String, u64)> {
    let suffix = name.strip_prefix("output_cost_per_second_")?;
    let pixels = match suffix {
        "2k" | "2K" => 2560 * 1440,
        "4k" | "4K" => 3840 * 2160,
        "8k" | "8K" => 7680 * 4320,
        _ => {
            let lines = suffix.strip_suffix(['p', 'P'])?;
            if lines.is_empty() || lines.len() > 5 || !lines.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let height: u64 = lines.parse().ok()?;
            // 16:9, the width rounded up: 480p is 854 × 480, 768p is 1366 × 768.
            let width = (height * 16).div_ceil(9);
            width * height
        }
    };
    Some((suffix.to_string(), pixels))
}

fn video_item(entry: Entry, converter: &Converter) -> Result<Value, Problem> {
    let mut named: Vec<(SizeTier, CreditRate)> = Vec::new();
    for (name, value) in entry.fields {
        if let Some((suffix, pixels)) = video_resolution(name)
            && let Some(usd) = usd_value(name, Some(value))?
        {
            let tier = SizeTier {
                name: suffix,
                sides: None,
                max_pixels: Some(pixels),
            };
            named.push((tier, converter.rate(name, usd, 1)?));
        }
    }
    named.sort_by_key(|(tier, _)| tier.capacity());
    let default = match entry.rate(converter, "output_cost_per_second")? {
        Some(rate) => Some(rate),
        None => entry.rate(converter, "output_cost_per_video_per_second")?,
    };
    let mut tiers = named;
    match default {
        None if tiers.is_empty() => return Err(entry.no_price("per-second price")),
        None => {}
        Some(rate) if tiers.is_empty() => tiers.push((SizeTier::any(), rate)),
        Some(rate) if tiers.iter().any(|(_, tier_rate)| *tier_rate == rate) => {}
        Some(rate) => {
            // The default resolution has no tier of its own: it prices the sizes below the
            // first tier that costs more.
            let Some(position) = tiers.iter().position(|(_, tier_rate)| *tier_rate > rate) else {
                return Err(Problem::new(
                    SkipKind::NoUsablePrice,
                    "`output_cost_per_second` is above every resolution's price: its resolution is unknown",
                ));
            };
            let below = tiers[position].0.capacity() - 1;
            let tier = SizeTier {
                name: "default".into(),
                sides: None,
                max_pixels: Some(below),
            };
            tiers.insert(position, (tier, rate));
        }
    }
    let mut item = item_head("video", entry.key);
    let tiers = tiers
        .iter()
        .map(|(tier, rate)| {
            let mut map = Map::new();
            tier.bounds(&mut map);
            map.insert("per_second".into(), rate_json(*rate));
            Value::Object(map)
        })
        .collect();
    item.insert("tiers".into(), Value::Array(tiers));
    Ok(Value::Object(item))
}

fn speech_item(
    entry: Entry,
    characters: Option<CreditRate>,
    seconds: Option<CreditRate>,
    wanted: &str,
) -> Result<Value, Problem> {
    if characters.is_none() && seconds.is_none() {
        return Err(entry.no_price(wanted));
    }
    let mut rates = Vec::new();
    if let Some(rate) = characters {
        rates.push(("characters", rate_json(rate)));
    }
    if let Some(rate) = seconds {
        rates.push(("seconds", rate_json(rate)));
    }
    let mut item = item_head("speech", entry.key);
    item.insert("rates".into(), object(rates));
    Ok(Value::Object(item))
}

fn text_to_speech_item(entry: Entry, converter: &Converter) -> Result<Value, Problem> {
    speech_item(
        entry,
        entry.rate(converter, "input_cost_per_character")?,
        entry.rate(converter, "output_cost_per_second")?,
        "per-character or per-second price",
    )
}

fn transcription_item(entry: Entry, converter: &Converter) -> Result<Value, Problem> {
    let input = entry.rate(converter, "input_cost_per_second")?;
    let seconds = match input {
        Some(rate) if rate != CreditRate::ZERO => Some(rate),
        _ => match entry.rate(converter, "output_cost_per_second")? {
            Some(output) if output != CreditRate::ZERO => Some(output),
            _ => input,
        },
    };
    speech_item(entry, None, seconds, "per-second price")
}

// ---------------------------------------------------------------------------------------------
// The import
// ---------------------------------------------------------------------------------------------

/// What one key is, before pricing.
enum Kind<'a> {
    NonModel,
    NotAnObject,
    Alias(&'a Value),
    Grid(GridKey, Entry<'a>),
    Plain(Entry<'a>),
}

/// The item a plain entry makes (or why it makes none).
fn plain_item(entry: Entry, converter: &Converter) -> Result<Value, Problem> {
    let mode = entry.mode();
    match mode.as_str() {
        "chat" | "completion" | "responses" => chat_item(entry, converter),
        "embedding" => embedding_item(entry, converter),
        "image_generation" => image_item(entry, converter),
        "video_generation" => video_item(entry, converter),
        "audio_speech" => text_to_speech_item(entry, converter),
        "audio_transcription" => transcription_item(entry, converter),
        NO_MODE if entry.has("mode") => {
            Err(Problem::new(SkipKind::BadValue, "`mode` is not a string"))
        }
        NO_MODE => {
            if entry.has("input_cost_per_character") {
                text_to_speech_item(entry, converter)
            } else if entry.key.contains("embedding") && entry.has("input_cost_per_token") {
                embedding_item(entry, converter)
            } else if entry.has("input_cost_per_token") || entry.has("output_cost_per_token") {
                chat_item(entry, converter)
            } else if entry.has_cost_field() {
                Err(Problem::new(
                    SkipKind::NoAction,
                    format!(
                        "no `mode`, and its prices ({}) fit no action",
                        entry.cost_fields()
                    ),
                ))
            } else {
                Err(entry.no_price("mode or price"))
            }
        }
        other => Err(Problem::new(
            SkipKind::NoAction,
            format!("mode `{other}` has no Tally action"),
        )),
    }
}

/// Reads an item back through the card's own reader; the reader's refusal is the reason.
fn validate(item: &Value) -> Result<(), Problem> {
    let model = item["model"].as_str().unwrap_or_default();
    if model.len() > MODEL_BYTES_MAX {
        return Err(Problem::new(
            SkipKind::ModelName,
            format!("the model name is longer than {MODEL_BYTES_MAX} bytes"),
        ));
    }
    let document = object(vec![("items", Value::Array(vec![item.clone()]))]);
    parse_document_value(&document)
        .map(|_| ())
        .map_err(|error| {
            let reason = error.to_string().replace("items[0].", "");
            let kind = match error.kind() {
                DocumentErrorKind::Rate(RateError::TooPrecise)
                | DocumentErrorKind::TooPreciseForMegapixels => SkipKind::TooPrecise,
                DocumentErrorKind::Rate(RateError::TooLarge) => SkipKind::TooLarge,
                _ => SkipKind::Refused,
            };
            Problem::new(kind, reason)
        })
}

/// Whether every rate of an item is 0.
fn is_free(item: &Value) -> bool {
    fn zero(value: &Value, bound: bool) -> bool {
        match value {
            Value::Number(number) => {
                bound || Decimal::parse(&number.to_string()).is_some_and(|d| d.is_zero())
            }
            Value::Array(values) => values.iter().all(|value| zero(value, false)),
            Value::Object(map) => map.iter().all(|(name, value)| {
                zero(
                    value,
                    matches!(
                        name.as_str(),
                        "max_width" | "max_height" | "max_pixels" | "above_input_tokens"
                    ),
                )
            }),
            _ => true,
        }
    }
    zero(item, false)
}

/// Whether `text` matches `pattern` (a glob with `*`, else a substring).
fn matches(pattern: &str, text: &str) -> bool {
    if !pattern.contains('*') {
        return text.contains(pattern);
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// What became of one selected key (in key order), before duplicates are resolved.
enum Outcome {
    /// An item from these keys (a group lists all its keys; the first is where it stands).
    Item {
        keys: Vec<(String, String)>,
        alias_of: Option<String>,
        item: Value,
    },
    Skip(Skipped),
}

struct Importer<'a> {
    list: &'a Map<String, Value>,
    converter: &'a Converter,
    only: Option<&'a str>,
}

impl<'a> Importer<'a> {
    fn new(list: &'a Map<String, Value>, converter: &'a Converter, only: Option<&'a str>) -> Self {
        Importer {
            list,
            converter,
            only,
        }
    }

    fn selected(&self, key: &str, model: Option<&str>) -> bool {
        match self.only {
            None => true,
            Some(pattern) => {
                matches(pattern, key) || model.is_some_and(|model| matches(pattern, model))
            }
        }
    }

    fn kind(key: &'a str, value: &'a Value) -> Kind<'a> {
        if LITELLM_NON_MODEL_KEYS.contains(&key) {
            return Kind::NonModel;
        }
        let Value::Object(fields) = value else {
            return Kind::NotAnObject;
        };
        let entry = Entry { key, fields };
        if let Some(target) = entry.get("alias_of") {
            return Kind::Alias(target);
        }
        if entry.mode() == "image_generation"
            && let Some(grid) = grid_key(key)
        {
            return Kind::Grid(grid, entry);
        }
        Kind::Plain(entry)
    }

    fn run(self) -> Result<ImportReport, ImportError> {
        let mut report = ImportReport {
            document: Value::Null,
            imported: BTreeMap::new(),
            aliases: BTreeMap::new(),
            items: BTreeMap::new(),
            free_items: 0,
            rounded: Vec::new(),
            skipped: Vec::new(),
            non_model_keys: Vec::new(),
            not_selected: 0,
            total_keys: self.list.len(),
        };
        let kinds: Vec<(&str, Kind)> = self
            .list
            .iter()
            .map(|(key, value)| (key.as_str(), Self::kind(key, value)))
            .collect();
        // Plain entries are priced up front: aliases need their targets' items.
        let mut plain: HashMap<&str, Result<Value, Problem>> = HashMap::new();
        // Keys with a price read at USD_SIGNIFICANT_DIGITS (whether or not they import).
        let mut rounded: BTreeSet<String> = BTreeSet::new();
        for (key, kind) in &kinds {
            if let Kind::Plain(entry) = kind {
                let before = self.converter.rounded.get();
                plain.insert(key, plain_item(*entry, self.converter));
                if self.converter.rounded.get() > before {
                    rounded.insert(key.to_string());
                }
            }
        }
        let groups = self.grid_groups(&kinds);
        for group in groups.values() {
            rounded.extend(group.rounded.iter().cloned());
        }
        let mut outcomes: Vec<Outcome> = Vec::new();
        for (key, kind) in &kinds {
            let skip = |mode: String, alias_of: Option<String>, problem: Problem| {
                Outcome::Skip(Skipped {
                    key: key.to_string(),
                    mode,
                    alias_of,
                    kind: problem.kind,
                    reason: problem.reason,
                })
            };
            match kind {
                Kind::NonModel => report.non_model_keys.push(key.to_string()),
                _ if !self.selected(
                    key,
                    match kind {
                        Kind::Grid(grid, _) => Some(grid.model.as_str()),
                        _ => None,
                    },
                ) =>
                {
                    report.not_selected += 1;
                }
                Kind::NotAnObject => outcomes.push(skip(
                    NO_MODE.into(),
                    None,
                    Problem::new(SkipKind::BadValue, "the entry is not a JSON object"),
                )),
                Kind::Plain(entry) => match &plain[key] {
                    Ok(item) => outcomes.push(Outcome::Item {
                        keys: vec![(key.to_string(), entry.mode())],
                        alias_of: None,
                        item: item.clone(),
                    }),
                    Err(problem) => outcomes.push(skip(entry.mode(), None, problem.clone())),
                },
                Kind::Alias(target) => outcomes.push(self.alias(key, target, &plain, &kinds)),
                Kind::Grid(grid, _) => {
                    let group = &groups[&grid.model];
                    if let Some(problem) = group.skipped.get(*key) {
                        outcomes.push(skip("image_generation".into(), None, problem.clone()));
                    } else if group.members.first().map(String::as_str) == Some(*key) {
                        match &group.item {
                            Ok(item) => outcomes.push(Outcome::Item {
                                keys: group
                                    .members
                                    .iter()
                                    .map(|member| (member.clone(), "image_generation".to_string()))
                                    .collect(),
                                alias_of: None,
                                item: item.clone(),
                            }),
                            Err(problem) => {
                                for member in &group.members {
                                    outcomes.push(Outcome::Skip(Skipped {
                                        key: member.clone(),
                                        mode: "image_generation".into(),
                                        alias_of: None,
                                        kind: problem.kind,
                                        reason: problem.reason.clone(),
                                    }));
                                }
                            }
                        }
                    }
                }
            }
        }
        // Validate, then keep the first item of each (action, model).
        let mut seen: HashMap<(String, String), String> = HashMap::new();
        let mut items: Vec<Value> = Vec::new();
        for outcome in outcomes {
            let (keys, alias_of, item) = match outcome {
                Outcome::Skip(skipped) => {
                    report.skipped.push(skipped);
                    continue;
                }
                Outcome::Item {
                    keys,
                    alias_of,
                    item,
                } => (keys, alias_of, item),
            };
            let action = item["action"].as_str().unwrap_or_default().to_string();
            let model = item["model"].as_str().unwrap_or_default().to_string();
            let problem = match validate(&item) {
                Err(problem) => Some(problem),
                Ok(()) => seen.get(&(action.clone(), model.clone())).map(|first| {
                    Problem::new(
                        SkipKind::Duplicate,
                        format!("({action}, {model}) is already priced by `{first}`"),
                    )
                }),
            };
            if let Some(problem) = problem {
                for (key, mode) in keys {
                    report.skipped.push(Skipped {
                        key,
                        mode,
                        alias_of: alias_of.clone(),
                        kind: problem.kind,
                        reason: problem.reason.clone(),
                    });
                }
                continue;
            }
            seen.insert((action.clone(), model), keys[0].0.clone());
            if alias_of.is_none() {
                report.rounded.extend(
                    keys.iter()
                        .filter(|(key, _)| rounded.contains(key))
                        .map(|(key, _)| key.clone()),
                );
            }
            for (_, mode) in &keys {
                let counts = if alias_of.is_some() {
                    &mut report.aliases
                } else {
                    &mut report.imported
                };
                *counts.entry(mode.clone()).or_insert(0) += 1;
            }
            *report.items.entry(action).or_insert(0) += 1;
            let mut item = item;
            if is_free(&item) {
                // A model the list prices at exactly 0 is free: no minimum charge either.
                report.free_items += 1;
                item["minimum"] = Value::from(0);
            }
            items.push(item);
        }
        if items.len() > ITEMS_MAX {
            return Err(ImportError::TooManyItems {
                count: items.len(),
                max: ITEMS_MAX,
            });
        }
        let document = object(vec![
            ("credits_per_usd", rate_json(self.converter.credits_per_usd)),
            ("items", Value::Array(items)),
        ]);
        parse_document_value(&document).map_err(ImportError::Document)?;
        report.document = document;
        Ok(report)
    }

    fn alias(
        &self,
        key: &str,
        target: &Value,
        plain: &HashMap<&str, Result<Value, Problem>>,
        kinds: &[(&str, Kind)],
    ) -> Outcome {
        let skip = |mode: String, alias_of: Option<String>, problem: Problem| {
            Outcome::Skip(Skipped {
                key: key.to_string(),
                mode,
                alias_of,
                kind: problem.kind,
                reason: problem.reason,
            })
        };
        let Value::String(target) = target else {
            return skip(
                NO_MODE.into(),
                None,
                Problem::new(SkipKind::BadValue, "`alias_of` is not a string"),
            );
        };
        let alias_of = Some(target.clone());
        let found = kinds
            .iter()
            .find(|(other, _)| *other == target.as_str())
            .map(|(_, kind)| kind);
        let problem = |reason: String| Problem::new(SkipKind::AliasTarget, reason);
        match found {
            None => skip(
                NO_MODE.into(),
                alias_of,
                problem(format!("alias of `{target}`, which is not in the list")),
            ),
            Some(Kind::Plain(entry)) => match &plain[target.as_str()] {
                Ok(item) => {
                    let mut item = item.clone();
                    item["model"] = Value::String(key.to_string());
                    Outcome::Item {
                        keys: vec![(key.to_string(), entry.mode())],
                        alias_of,
                        item,
                    }
                }
                Err(target_problem) => skip(
                    entry.mode(),
                    alias_of,
                    problem(format!(
                        "alias of `{target}`, which is skipped: {}",
                        target_problem.reason
                    )),
                ),
            },
            Some(Kind::Alias(_)) => skip(
                NO_MODE.into(),
                alias_of,
                problem(format!(
                    "alias of `{target}`, itself an alias (one hop only)"
                )),
            ),
            Some(_) => skip(
                NO_MODE.into(),
                alias_of,
                problem(format!(
                    "alias of `{target}`, which is not a model's own entry"
                )),
            ),
        }
    }

    /// The OpenAI-style image keys, grouped by model (selected keys only).
    fn grid_groups(&self, kinds: &[(&str, Kind)]) -> BTreeMap<String, GridGroup> {
        let mut members: BTreeMap<String, Vec<(&str, &GridKey, Entry)>> = BTreeMap::new();
        for (key, kind) in kinds {
            if let Kind::Grid(grid, entry) = kind
                && self.selected(key, Some(&grid.model))
            {
                members
                    .entry(grid.model.clone())
                    .or_default()
                    .push((key, grid, *entry));
            }
        }
        members
            .into_iter()
            .map(|(model, keys)| {
                let group = grid_group(&model, &keys, self.converter);
                (model, group)
            })
            .collect()
    }
}

/// One model's OpenAI-style keys: the item they make, the keys in it, and the keys left out.
struct GridGroup {
    /// The keys priced by `item` (or all refused with it), in key order.
    members: Vec<String>,
    item: Result<Value, Problem>,
    skipped: HashMap<String, Problem>,
    /// Keys with a price read at [`USD_SIGNIFICANT_DIGITS`].
    rounded: BTreeSet<String>,
}

fn grid_group(model: &str, keys: &[(&str, &GridKey, Entry)], converter: &Converter) -> GridGroup {
    let mut skipped: HashMap<String, Problem> = HashMap::new();
    let mut rounded: BTreeSet<String> = BTreeSet::new();
    let has_quality = keys.iter().any(|(_, grid, _)| grid.quality.is_some());
    // (size, quality) → (key, price)
    let mut cells: BTreeMap<(GridSize, Quality), (String, CreditRate)> = BTreeMap::new();
    for (key, grid, entry) in keys {
        let quality = match &grid.quality {
            None if has_quality => {
                skipped.insert(
                    key.to_string(),
                    Problem::new(
                        SkipKind::Duplicate,
                        format!("names no quality; `{model}` is priced by its quality keys"),
                    ),
                );
                continue;
            }
            None => Quality::Standard,
            Some(text) => match Quality::parse(text) {
                Some(quality) => quality,
                None => {
                    skipped.insert(
                        key.to_string(),
                        Problem::new(
                            SkipKind::UnsupportedQuality,
                            format!("quality `{text}` is not one a card prices (low, medium, high, standard, hd)"),
                        ),
                    );
                    continue;
                }
            },
        };
        let before = converter.rounded.get();
        let priced = grid_price(*entry, grid.size, converter);
        if converter.rounded.get() > before {
            rounded.insert(key.to_string());
        }
        match priced {
            Ok(price) => {
                if let Some((first, _)) = cells.get(&(grid.size, quality)) {
                    let problem = Problem::new(
                        SkipKind::Duplicate,
                        format!("the same size and quality of `{model}` as `{first}`"),
                    );
                    skipped.insert(key.to_string(), problem);
                } else {
                    cells.insert((grid.size, quality), (key.to_string(), price));
                }
            }
            Err(problem) => {
                skipped.insert(key.to_string(), problem);
            }
        }
    }
    // Every tier offers the same qualities: keep those priced at every size.
    let sizes: BTreeSet<GridSize> = cells.keys().map(|(size, _)| *size).collect();
    let qualities: BTreeSet<Quality> = cells.keys().map(|(_, quality)| *quality).collect();
    let complete: BTreeSet<Quality> = qualities
        .iter()
        .copied()
        .filter(|quality| {
            sizes
                .iter()
                .all(|size| cells.contains_key(&(*size, *quality)))
        })
        .collect();
    cells.retain(|(_, quality), (key, _)| {
        if complete.contains(quality) {
            return true;
        }
        skipped.insert(
            key.clone(),
            Problem::new(
                SkipKind::UnsupportedQuality,
                format!("quality `{quality}` of `{model}` is not priced at every size"),
            ),
        );
        false
    });
    let mut members: Vec<String> = cells.values().map(|(key, _)| key.clone()).collect();
    members.sort();
    if members.is_empty() {
        return GridGroup {
            members,
            item: Err(Problem::new(SkipKind::NoUsablePrice, "nothing to price")),
            skipped,
            rounded,
        };
    }
    let mut tiers: Vec<(SizeTier, Vec<(Quality, CreditRate)>)> = sizes
        .iter()
        .filter(|size| {
            complete
                .iter()
                .all(|quality| cells.contains_key(&(**size, *quality)))
        })
        .map(|size| {
            let tier = match size {
                Some((width, height)) => SizeTier {
                    name: format!("{width}x{height}"),
                    sides: Some((*width, *height)),
                    max_pixels: None,
                },
                None => SizeTier {
                    name: "max".into(),
                    sides: None,
                    max_pixels: Some(PIXELS_MAX),
                },
            };
            let prices = complete
                .iter()
                .map(|quality| (*quality, cells[&(*size, *quality)].1))
                .collect();
            (tier, prices)
        })
        .collect();
    // Smallest first; sizes of the same pixel count cheapest first (they never cover each
    // other, so their order only matters to the rule that prices never fall).
    tiers.sort_by(|(a, a_prices), (b, b_prices)| {
        (a.capacity(), a_prices).cmp(&(b.capacity(), b_prices))
    });
    let item = image_tiers_item(model, default_quality(&complete), &tiers);
    GridGroup {
        members,
        item: Ok(item),
        skipped,
        rounded,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::{Action, Usage, price};

    fn import(text: &str) -> ImportReport {
        import_litellm(text, &ImportOptions::default()).unwrap()
    }

    fn item<'r>(report: &'r ImportReport, model: &str) -> &'r Value {
        report.document["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|item| item["model"] == model)
            .unwrap_or_else(|| panic!("no item {model} in {}", report.document))
    }

    fn skipped<'r>(report: &'r ImportReport, key: &str) -> &'r Skipped {
        report
            .skipped
            .iter()
            .find(|skipped| skipped.key == key)
            .unwrap_or_else(|| panic!("{key} is not skipped: {:?}", report.skipped))
    }

    #[test]
    fn exact_decimals_multiply_and_print_exactly() {
        let parse = |text: &str| Exact::from_decimal(&Decimal::parse(text).unwrap()).unwrap();
        assert_eq!(
            parse("2e-08")
                .checked_mul(parse("1000"))
                .unwrap()
                .to_string(),
            "0.00002"
        );
        assert_eq!(
            parse("4.0054321e-08").times(1_048_576).unwrap().to_string(),
            "0.041999999696896"
        );
        assert_eq!(parse("167").to_string(), "167");
        assert_eq!(parse("1.5e3").to_string(), "1500");
        assert_eq!(parse("0.0").to_string(), "0");
    }

    #[test]
    fn chat_rates_tiers_and_numbers_in_any_form() {
        let report = import(
            r#"{
            "m": {"mode": "chat", "input_cost_per_token": 1.25e-06, "output_cost_per_token": 0.00001,
                  "cache_read_input_token_cost": 1.25E-7,
                  "input_cost_per_token_above_200k_tokens": 2.5e-06,
                  "output_cost_per_token_above_200k_tokens": 1.5e-05,
                  "input_cost_per_token_above_272k_tokens_priority": 9,
                  "search_context_cost_per_query": {"search_context_size_low": 0.01},
                  "some_future_field": [1, "x"]},
            "int": {"mode": "completion", "input_cost_per_token": 0, "output_cost_per_token": 1},
            "r": {"mode": "responses", "input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6}
        }"#,
        );
        assert!(report.skipped.is_empty(), "{:?}", report.skipped);
        let m = item(&report, "m");
        assert_eq!(m["rates"]["input_tokens"].to_string(), "0.00125");
        assert_eq!(m["rates"]["cached_input_tokens"].to_string(), "0.000125");
        let tier = &m["context_tiers"][0];
        assert_eq!(tier["above_input_tokens"].to_string(), "200000");
        assert_eq!(tier["rates"]["input_tokens"].to_string(), "0.0025");
        assert_eq!(tier["rates"]["output_tokens"].to_string(), "0.015");
        // No cached rate above 200k: the base's cached rate stays.
        assert_eq!(tier["rates"]["cached_input_tokens"].to_string(), "0.000125");
        assert_eq!(m["context_tiers"].as_array().unwrap().len(), 1);
        assert_eq!(
            item(&report, "int")["rates"]["output_tokens"].to_string(),
            "1000"
        );
        assert_eq!(report.imported["chat"], 1);
        assert_eq!(report.imported["completion"], 1);
        assert_eq!(report.imported["responses"], 1);
        assert_eq!(report.items["chat"], 3);
    }

    #[test]
    fn tiered_pricing_ranges_become_context_tiers() {
        let report = import(
            r#"{"q": {"mode": "chat", "tiered_pricing": [
                {"input_cost_per_token": 5e-8, "output_cost_per_token": 4e-7, "range": [0, 256000.0]},
                {"input_cost_per_token": 2.5e-7, "output_cost_per_token": 2e-6, "range": [256000.0, 1000000.0]}
            ]}}"#,
        );
        let q = item(&report, "q");
        assert_eq!(q["rates"]["input_tokens"].to_string(), "0.00005");
        assert_eq!(
            q["context_tiers"][0]["above_input_tokens"].to_string(),
            "256000"
        );
        assert_eq!(
            q["context_tiers"][0]["rates"]["output_tokens"].to_string(),
            "0.002"
        );
    }

    #[test]
    fn free_is_not_unknown() {
        let report = import(
            r#"{
            "free": {"mode": "chat", "input_cost_per_token": 0.0, "output_cost_per_token": 0},
            "unknown": {"mode": "chat", "max_tokens": 8192},
            "per-second": {"mode": "chat", "input_cost_per_second": 0.001}
        }"#,
        );
        assert_eq!(
            item(&report, "free")["rates"]["input_tokens"].to_string(),
            "0"
        );
        assert_eq!(report.free_items, 1);
        assert_eq!(skipped(&report, "unknown").kind, SkipKind::Unpriced);
        let per_second = skipped(&report, "per-second");
        assert_eq!(per_second.kind, SkipKind::NoUsablePrice);
        assert!(
            per_second.reason.contains("input_cost_per_second"),
            "{}",
            per_second.reason
        );
    }

    #[test]
    fn strings_objects_and_negatives_where_numbers_belong_skip_the_entry() {
        let report = import(
            r#"{
            "s": {"mode": "chat", "input_cost_per_token": "0.001", "output_cost_per_token": 1e-6},
            "o": {"mode": "embedding", "input_cost_per_token": {"usd": 1}},
            "n": {"mode": "chat", "input_cost_per_token": -1e-6, "output_cost_per_token": 1e-6},
            "b": {"mode": "audio_speech", "input_cost_per_character": true},
            "not-an-object": 42,
            "ok": {"mode": "chat", "input_cost_per_token": 1e-6, "output_cost_per_token": 1e-6}
        }"#,
        );
        for key in ["s", "o", "n", "b", "not-an-object"] {
            assert_eq!(skipped(&report, key).kind, SkipKind::BadValue, "{key}");
        }
        assert!(skipped(&report, "s").reason.contains("string"));
        assert!(skipped(&report, "o").reason.contains("object"));
        assert!(skipped(&report, "n").reason.contains("negative"));
        assert_eq!(report.items_total(), 1);
    }

    #[test]
    fn too_fine_rates_are_skipped_not_rounded() {
        let report = import(
            r#"{"fine": {"mode": "chat", "input_cost_per_token": 1.23e-16, "output_cost_per_token": 1e-6}}"#,
        );
        let fine = skipped(&report, "fine");
        assert_eq!(fine.kind, SkipKind::TooPrecise);
        assert!(
            fine.reason.contains("0.000000000000123 credits"),
            "{}",
            fine.reason
        );
        // With more credits per USD the same price is exact.
        let options = ImportOptions {
            credits_per_usd: Decimal::parse("1000000").unwrap(),
            ..ImportOptions::default()
        };
        let report = import_litellm(
            r#"{"fine": {"mode": "chat", "input_cost_per_token": 1.23e-16, "output_cost_per_token": 1e-6}}"#,
            &options,
        )
        .unwrap();
        assert_eq!(
            item(&report, "fine")["rates"]["input_tokens"].to_string(),
            "0.000000000123"
        );
    }

    #[test]
    fn markup_and_exchange_rate_multiply_exactly() {
        let options = ImportOptions {
            credits_per_usd: Decimal::parse("211").unwrap(),
            markup: Decimal::parse("1.2").unwrap(),
            only: None,
        };
        let report = import_litellm(
            r#"{"m": {"mode": "embedding", "input_cost_per_token": 2e-08, "output_cost_per_token": 0}}"#,
            &options,
        )
        .unwrap();
        // 2e-08 × 211 × 1.2 = 0.000005064
        assert_eq!(
            item(&report, "m")["rates"]["input_tokens"].to_string(),
            "0.000005064"
        );
        assert_eq!(report.document["credits_per_usd"].to_string(), "211");
        for (name, cpu, markup) in [("credits_per_usd", "0", "1"), ("markup", "1000", "-1")] {
            let options = ImportOptions {
                credits_per_usd: Decimal::parse(cpu).unwrap(),
                markup: Decimal::parse(markup).unwrap(),
                only: None,
            };
            let error = import_litellm("{}", &options).unwrap_err();
            assert!(matches!(error, ImportError::InvalidOption { option, .. } if option == name));
        }
    }

    #[test]
    fn aliases_resolve_one_hop() {
        let report = import(
            r#"{
            "target": {"mode": "chat", "input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6},
            "latest": {"alias_of": "target"},
            "dangling": {"alias_of": "nowhere"},
            "second-hop": {"alias_of": "latest"},
            "unpriced": {"mode": "chat"},
            "to-unpriced": {"alias_of": "unpriced"}
        }"#,
        );
        assert_eq!(
            item(&report, "latest")["rates"]["output_tokens"].to_string(),
            "0.002"
        );
        assert_eq!(report.aliases["chat"], 1);
        assert_eq!(report.imported["chat"], 1);
        for key in ["dangling", "second-hop", "to-unpriced"] {
            assert_eq!(skipped(&report, key).kind, SkipKind::AliasTarget, "{key}");
        }
        assert_eq!(skipped(&report, "to-unpriced").mode, "chat");
    }

    #[test]
    fn openai_style_image_keys_group_into_one_item() {
        let report = import(
            r#"{
            "low/1024-x-1024/img": {"mode": "image_generation", "input_cost_per_image": 0.011},
            "medium/1024-x-1024/img": {"mode": "image_generation", "input_cost_per_image": 0.042},
            "high/1024-x-1024/img": {"mode": "image_generation", "input_cost_per_image": 0.167},
            "low/1536-x-1024/img": {"mode": "image_generation", "input_cost_per_image": 0.016},
            "medium/1536-x-1024/img": {"mode": "image_generation", "input_cost_per_image": 0.063},
            "high/1536-x-1024/img": {"mode": "image_generation", "input_cost_per_image": 0.25},
            "xhigh/1024-x-1024/img": {"mode": "image_generation", "input_cost_per_image": 0.3},
            "1024-x-1024/img": {"mode": "image_generation", "input_cost_per_image": 0.011},
            "azure/hd/1024-x-1024/dall": {"mode": "image_generation", "input_cost_per_pixel": 8.39233e-08},
            "azure/standard/1024-x-1024/dall": {"mode": "image_generation", "input_cost_per_pixel": 4.19617e-08},
            "512-x-512/50-steps/sd": {"mode": "image_generation", "output_cost_per_image": 0.018},
            "max-x-max/50-steps/sd": {"mode": "image_generation", "output_cost_per_image": 0.036}
        }"#,
        );
        let img = item(&report, "img");
        assert_eq!(img["default_quality"], "high");
        assert_eq!(img["tiers"][0]["name"], "1024x1024");
        assert_eq!(img["tiers"][0]["prices"]["medium"].to_string(), "42");
        assert_eq!(img["tiers"][1]["prices"]["high"].to_string(), "250");
        assert_eq!(
            skipped(&report, "xhigh/1024-x-1024/img").kind,
            SkipKind::UnsupportedQuality
        );
        assert_eq!(
            skipped(&report, "1024-x-1024/img").kind,
            SkipKind::Duplicate
        );
        let dall = item(&report, "azure/dall");
        assert_eq!(dall["default_quality"], "standard");
        // 8.39233e-08 × 1048576 × 1000 exactly.
        assert_eq!(
            dall["tiers"][0]["prices"]["hd"].to_string(),
            "87.9999582208"
        );
        let sd = item(&report, "50-steps/sd");
        assert_eq!(sd["tiers"][1]["name"], "max");
        assert_eq!(report.imported["image_generation"], 10);
        assert_eq!(report.items["image"], 3);

        let document = parse_document_value(&report.document).unwrap();
        let card = document.into_card(1, "2026-01-01T00:00:00Z");
        let mut usage = Usage::new(Action::Image, "img");
        usage.width = Some(1024);
        usage.height = Some(1024);
        usage.quality = Some(Quality::Medium);
        assert_eq!(price(&card, &usage).unwrap().max().to_string(), "42");
        usage.model = "50-steps/sd".into();
        usage.quality = None;
        usage.width = Some(2048);
        assert_eq!(price(&card, &usage).unwrap().max().to_string(), "36");
    }

    #[test]
    fn image_sizes_pixels_and_token_only_entries() {
        let report = import(
            r#"{
            "banana": {"mode": "image_generation", "output_cost_per_image": 0.08,
                       "output_cost_per_image_0.5K": 0.06, "output_cost_per_image_1K": 0.08,
                       "output_cost_per_image_2K": 0.12, "output_cost_per_image_4K": 0.16},
            "flat": {"mode": "image_generation", "output_cost_per_image": 0.04},
            "pixel": {"mode": "image_generation", "input_cost_per_pixel": 1.3e-09, "output_cost_per_pixel": 0.0},
            "tokens": {"mode": "image_generation", "input_cost_per_token": 5e-6, "output_cost_per_image_token": 4e-5}
        }"#,
        );
        let banana = item(&report, "banana");
        assert_eq!(banana["tiers"][0]["name"], "0.5K");
        assert_eq!(banana["tiers"][0]["max_pixels"].to_string(), "262144");
        assert_eq!(banana["tiers"][3]["prices"]["standard"].to_string(), "160");
        assert_eq!(
            item(&report, "flat")["tiers"][0]["prices"]["standard"].to_string(),
            "40"
        );
        assert_eq!(item(&report, "pixel")["per_megapixel"].to_string(), "1.3");
        assert_eq!(skipped(&report, "tokens").kind, SkipKind::NoUsablePrice);
    }

    #[test]
    fn video_resolutions_and_the_default_rate() {
        let report = import(
            r#"{
            "veo": {"mode": "video_generation", "output_cost_per_second": 0.1,
                    "output_cost_per_second_1080p": 0.12, "output_cost_per_second_4k": 0.3},
            "wan": {"mode": "video_generation", "output_cost_per_second": 0.165025,
                    "output_cost_per_second_480p": 0.041256, "output_cost_per_second_720p": 0.082513,
                    "output_cost_per_second_1080p": 0.165025},
            "sora": {"mode": "video_generation", "output_cost_per_video_per_second": 0.1}
        }"#,
        );
        let veo = item(&report, "veo");
        assert_eq!(veo["tiers"][0]["name"], "default");
        assert_eq!(veo["tiers"][0]["max_pixels"].to_string(), "2073599");
        assert_eq!(veo["tiers"][1]["per_second"].to_string(), "120");
        let wan = item(&report, "wan");
        assert_eq!(wan["tiers"].as_array().unwrap().len(), 3);
        assert_eq!(wan["tiers"][0]["max_pixels"].to_string(), "409920");
        assert_eq!(
            item(&report, "sora")["tiers"][0]["per_second"].to_string(),
            "100"
        );
    }

    #[test]
    fn speech_transcription_and_entries_without_mode() {
        let report = import(
            r#"{
            "tts": {"mode": "audio_speech", "input_cost_per_character": 1.5e-05},
            "stt": {"mode": "audio_transcription", "input_cost_per_second": 0.0001, "output_cost_per_second": 0.0001},
            "soniox": {"mode": "audio_transcription", "input_cost_per_second": 0.0, "output_cost_per_second": 2.77778e-05},
            "aura": {"input_cost_per_character": 3e-05},
            "fireworks-embedding-small": {"input_cost_per_token": 8e-09, "output_cost_per_token": 0.0},
            "fireworks-up-to-4b": {"input_cost_per_token": 1e-07, "output_cost_per_token": 1e-07},
            "rerank": {"mode": "rerank", "input_cost_per_query": 0.002}
        }"#,
        );
        assert_eq!(
            item(&report, "tts")["rates"]["characters"].to_string(),
            "0.015"
        );
        assert_eq!(item(&report, "stt")["rates"]["seconds"].to_string(), "0.1");
        assert_eq!(
            item(&report, "soniox")["rates"]["seconds"].to_string(),
            "0.0277778"
        );
        assert_eq!(item(&report, "aura")["action"], "speech");
        assert_eq!(
            item(&report, "fireworks-embedding-small")["action"],
            "embedding"
        );
        assert_eq!(item(&report, "fireworks-up-to-4b")["action"], "chat");
        assert_eq!(report.imported[NO_MODE], 3);
        assert_eq!(skipped(&report, "rerank").kind, SkipKind::NoAction);
    }

    #[test]
    fn only_selects_by_glob_or_substring() {
        let list = r#"{
            "gpt-4o": {"mode": "chat", "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05},
            "gpt-4o-mini": {"mode": "chat", "input_cost_per_token": 1.5e-07, "output_cost_per_token": 6e-07},
            "openai/gpt-4o": {"mode": "chat", "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05},
            "medium/1024-x-1024/gpt-image-1": {"mode": "image_generation", "input_cost_per_image": 0.042},
            "sample_spec": {"mode": "one of: chat"}
        }"#;
        let with = |pattern: &str| {
            let options = ImportOptions {
                only: Some(pattern.into()),
                ..ImportOptions::default()
            };
            let report = import_litellm(list, &options).unwrap();
            let mut models: Vec<String> = report.document["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|item| item["model"].as_str().unwrap().to_string())
                .collect();
            models.sort();
            (models, report)
        };
        let (models, report) = with("gpt-4o*");
        assert_eq!(models, ["gpt-4o", "gpt-4o-mini"]);
        assert_eq!(report.not_selected, 2);
        assert_eq!(report.non_model_keys, ["sample_spec"]);
        assert_eq!(with("gpt-4o").0, ["gpt-4o", "gpt-4o-mini", "openai/gpt-4o"]);
        assert_eq!(with("*/gpt-4o").0, ["openai/gpt-4o"]);
        assert_eq!(with("gpt-image-1*").0, ["gpt-image-1"]);
        assert_eq!(with("nothing").0, Vec::<String>::new());
        assert!(matches("a*b*c", "abc") && matches("a*b*c", "a-b-b-c") && !matches("a*b*c", "acb"));
        assert!(matches("*", "") && !matches("ab*ba", "aba"));
    }

    #[test]
    fn monotonicity_refusals_name_the_field() {
        let report = import(
            r#"{"cheaper-when-long": {"mode": "chat", "input_cost_per_token": 2e-06, "output_cost_per_token": 1e-05,
                 "input_cost_per_token_above_200k_tokens": 1e-06}}"#,
        );
        let refused = skipped(&report, "cheaper-when-long");
        assert_eq!(refused.kind, SkipKind::Refused);
        assert!(
            refused.reason.contains("context_tiers[0].rates"),
            "{}",
            refused.reason
        );
    }

    #[test]
    fn not_json_or_not_an_object_is_an_error() {
        let options = ImportOptions::default();
        assert!(matches!(
            import_litellm("{", &options),
            Err(ImportError::NotJson(_))
        ));
        assert_eq!(
            import_litellm("[]", &options),
            Err(ImportError::NotAnObject)
        );
    }
}
