//! Pricing one usage descriptor on one rate card: `price(&card, &usage) -> Price`.
//!
//! Validation runs top to bottom before any arithmetic: fields that don't belong to the action,
//! quantities out of range, missing dimensions, the (action, model) lookup, then what the model
//! offers (qualities, sizes). The arithmetic is exact and checked: each line is
//! `quantity × unit_price` in femtocredits, the lines add up to an exact total, and the total is
//! rounded up once, to the item's step, and raised to its minimum. Nothing here allocates: the
//! lines live in a fixed array and borrow tier names from the card.

use std::fmt;

use serde_json::{Map, Value};

use crate::amount::{AMOUNT_MILLICREDITS_MAX, Millicredits};

use super::card::{ImageRates, ItemRates, RateCard, RateItem, SizeLimit, smallest_covering};
use super::rate::{CreditRate, FEMTOCREDITS_PER_MILLICREDIT, FEMTOCREDITS_PER_PICOCREDIT};
use super::rate::{Femtocredits, write_scaled};
use super::usage::exact_number;
use super::usage::{Action, DURATION_MS_MAX, Field, MILLISECONDS_PER_SECOND, Quality, Usage};

/// The most lines a price has: chat's input, cached input and output, plus the adjustment.
pub const LINES_MAX: usize = 4;

/// Pixels in one megapixel.
pub const PIXELS_PER_MEGAPIXEL: u64 = 1_000_000;

/// What a line of a price counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dimension {
    InputTokens,
    CachedInputTokens,
    OutputTokens,
    Images,
    Megapixels,
    Seconds,
    Characters,
    Units,
    /// The exact total rounded up to the item's step.
    Rounding,
    /// The exact total (rounded) raised to the item's minimum.
    Minimum,
}

impl Dimension {
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::InputTokens => "input_tokens",
            Dimension::CachedInputTokens => "cached_input_tokens",
            Dimension::OutputTokens => "output_tokens",
            Dimension::Images => "images",
            Dimension::Megapixels => "megapixels",
            Dimension::Seconds => "seconds",
            Dimension::Characters => "characters",
            Dimension::Units => "units",
            Dimension::Rounding => "rounding",
            Dimension::Minimum => "minimum",
        }
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An exact quantity in the unit its line's `unit_price` is per.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Quantity {
    /// Tokens, images, characters, units (and 1 for the adjustment line).
    Count(u64),
    /// A duration, priced per second; shown in seconds (`8.125`).
    Milliseconds(u64),
    /// Pixels, priced per megapixel; shown in megapixels (`1.048576`).
    Pixels(u64),
}

impl Quantity {
    /// `self × rate`, exactly, in femtocredits (`None` on overflow).
    fn times(self, rate: CreditRate) -> Option<i128> {
        let picocredits = rate.picocredits();
        match self {
            Quantity::Count(count) => i128::from(count)
                .checked_mul(picocredits)?
                .checked_mul(FEMTOCREDITS_PER_PICOCREDIT),
            // 1 ms × 1 picocredit per second = 1e-3 × 1e-12 credits = 1 femtocredit.
            Quantity::Milliseconds(duration_ms) => i128::from(duration_ms).checked_mul(picocredits),
            // 1 pixel × 1 picocredit per megapixel = 1e-18 credits: exact in femtocredits
            // because per-megapixel rates are multiples of 1000 picocredits (a card invariant).
            Quantity::Pixels(pixels) => {
                debug_assert_eq!(picocredits % FEMTOCREDITS_PER_PICOCREDIT, 0);
                i128::from(pixels).checked_mul(picocredits / FEMTOCREDITS_PER_PICOCREDIT)
            }
        }
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Quantity::Count(count) => write!(f, "{count}"),
            Quantity::Milliseconds(duration_ms) => write_scaled(f, i128::from(duration_ms), 3),
            Quantity::Pixels(pixels) => write_scaled(f, i128::from(pixels), 6),
        }
    }
}

/// Which tier of the item priced a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tier<'card> {
    /// A long-context tier: the prompt exceeded this many input tokens.
    Context { above_input_tokens: u64 },
    /// A size tier of an image or video model, by its name on the card.
    Size { name: &'card str },
}

/// One line of a price: `amount == quantity × unit_price`, exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line<'card> {
    pub dimension: Dimension,
    pub quantity: Quantity,
    /// Credits per unit of `quantity` (per token, image, second, megapixel...).
    pub unit_price: Femtocredits,
    /// Exact credits, before the one rounding.
    pub amount: Femtocredits,
    pub tier: Option<Tier<'card>>,
    pub quality: Option<Quality>,
    /// The quantity is an upper bound (`max_output_tokens`): counted in `max`, not in `min`.
    pub upper_bound: bool,
}

impl Line<'_> {
    const EMPTY: Line<'static> = Line {
        dimension: Dimension::Units,
        quantity: Quantity::Count(0),
        unit_price: Femtocredits::ZERO,
        amount: Femtocredits::ZERO,
        tier: None,
        quality: None,
        upper_bound: false,
    };

    /// `{dimension, quantity, unit_price, amount}` plus `tier`, `quality` and `upper_bound`
    /// when they apply. `quantity` is a JSON number; `unit_price` and `amount` are exact
    /// decimal strings (they may carry up to 15 fraction digits, more than a JavaScript number
    /// keeps).
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("dimension".into(), self.dimension.as_str().into());
        map.insert("quantity".into(), exact_number(&self.quantity.to_string()));
        map.insert("unit_price".into(), self.unit_price.to_string().into());
        map.insert("amount".into(), self.amount.to_string().into());
        match self.tier {
            Some(Tier::Context { above_input_tokens }) => {
                let name = format!("above_{above_input_tokens}_input_tokens");
                map.insert("tier".into(), name.into());
            }
            Some(Tier::Size { name }) => {
                map.insert("tier".into(), name.into());
            }
            None => {}
        }
        if let Some(quality) = self.quality {
            map.insert("quality".into(), quality.as_str().into());
        }
        if self.upper_bound {
            map.insert("upper_bound".into(), true.into());
        }
        Value::Object(map)
    }
}

/// The cost of a usage: the range `min..=max` (equal when the usage is exact) and the lines
/// that explain `max`. Lines borrow tier names from the card that priced them.
///
/// Invariants: `min <= max`; the lines' amounts add up to `max` exactly (the last line is the
/// rounding or minimum adjustment, when there is one); `max - exact_max` is less than one
/// rounding step unless the minimum applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Price<'card> {
    min: Millicredits,
    max: Millicredits,
    exact_min: Femtocredits,
    exact_max: Femtocredits,
    lines: [Line<'card>; LINES_MAX],
    line_count: usize,
}

impl<'card> Price<'card> {
    /// The cost if every upper bound stays unused (no output token).
    pub fn min(&self) -> Millicredits {
        self.min
    }

    /// The cost if every upper bound is used in full; a hold reserves this.
    pub fn max(&self) -> Millicredits {
        self.max
    }

    /// The exact total behind `min`, before rounding.
    pub fn exact_min(&self) -> Femtocredits {
        self.exact_min
    }

    /// The exact total behind `max`, before rounding.
    pub fn exact_max(&self) -> Femtocredits {
        self.exact_max
    }

    pub fn lines(&self) -> &[Line<'card>] {
        &self.lines[..self.line_count]
    }

    /// The lines as a JSON array (see [`Line::to_json`]).
    pub fn lines_json(&self) -> Value {
        Value::Array(self.lines().iter().map(Line::to_json).collect())
    }
}

/// Why a usage cannot be priced. Every variant but `UnknownModel` is a 422 `invalid_request`
/// naming [`PricingError::param`]; `UnknownModel` is 422 `unknown_model`. None is retryable
/// with the same usage and card.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    #[error("`{param}` does not apply to action `{action}`")]
    UnexpectedDimension { action: Action, param: &'static str },
    #[error("`{param}` must be from {min} to {max}")]
    QuantityOutOfRange {
        param: &'static str,
        min: u64,
        max: u64,
    },
    #[error("`{param}` is required for action `{action}`")]
    MissingDimension { action: Action, param: &'static str },
    #[error(
        "the rate card has no `{action}` price for model `{model}`: send a model the card \
         prices (GET /v1/rate-card lists them), or add this one to the card \
         (PUT /v1/rate-card)"
    )]
    UnknownModel { action: Action, model: String },
    #[error("this model does not price `{param}`")]
    UnpricedDimension { param: &'static str },
    #[error("quality `{quality}` is not offered by this model")]
    UnsupportedQuality { quality: Quality },
    #[error("{width}x{height} is beyond the largest size this model prices ({largest})")]
    SizeNotCovered {
        param: &'static str,
        width: u64,
        height: u64,
        /// The largest size(s) the model prices: `1440x1440`, `1024x1536 or 1536x1024`,
        /// `up to 921600 pixels`.
        largest: String,
    },
    #[error("the cost is over 1e12 credits")]
    CostTooLarge { param: &'static str },
}

impl PricingError {
    /// The usage field the error is about (relative to the usage object).
    pub fn param(&self) -> &'static str {
        match *self {
            PricingError::UnexpectedDimension { param, .. }
            | PricingError::QuantityOutOfRange { param, .. }
            | PricingError::MissingDimension { param, .. }
            | PricingError::UnpricedDimension { param }
            | PricingError::SizeNotCovered { param, .. }
            | PricingError::CostTooLarge { param } => param,
            PricingError::UnknownModel { .. } => "model",
            PricingError::UnsupportedQuality { .. } => "quality",
        }
    }

    /// Whether this is API.md's `unknown_model` (else `invalid_request`).
    pub fn is_unknown_model(&self) -> bool {
        matches!(self, PricingError::UnknownModel { .. })
    }
}

/// Prices `usage` on `card`: the same usage and card always give the same price.
///
/// ```
/// use tally_core::pricing::{Action, Usage, default_card, price};
/// let card = default_card();
/// let mut usage = Usage::new(Action::Chat, "gpt-4o");
/// usage.input_tokens = Some(1_000);
/// usage.output_tokens = Some(300);
/// let price = price(&card, &usage).unwrap();
/// // 1000 × 0.0025 + 300 × 0.01 = 5.5 credits, rounded up to 6.
/// assert_eq!(price.max().to_string(), "6");
/// assert_eq!(price.exact_max().to_string(), "5.5");
/// ```
pub fn price<'card>(card: &'card RateCard, usage: &Usage) -> Result<Price<'card>, PricingError> {
    // The model first: a usage for a model the card does not price says so, whatever else
    // it lacks.
    let item = card
        .item(usage.action, &usage.model)
        .ok_or_else(|| PricingError::UnknownModel {
            action: usage.action,
            model: usage.model.clone(),
        })?;
    validate(usage)?;
    price_item(item, usage)
}

/// Whether `usage` is well formed for its action (no field of another action, quantities in
/// range), whichever model prices it.
pub(crate) fn is_valid(usage: &Usage) -> bool {
    validate(usage).is_ok()
}

/// `usage` priced on `item` as if it named the item's model; `usage` is valid
/// ([`is_valid`]). The cheaper choice prices one usage on many items this way, without a
/// lookup per item.
pub(crate) fn price_item<'card>(
    item: &'card RateItem,
    usage: &Usage,
) -> Result<Price<'card>, PricingError> {
    let mut tally = Tally::new();
    match item.rates() {
        ItemRates::Chat(chat) => {
            let input_tokens = usage.input_tokens.unwrap_or(0);
            // Both are at most QUANTITY_MAX (validated): the sum cannot overflow.
            let prompt_tokens = input_tokens.saturating_add(usage.cached_input_tokens.unwrap_or(0));
            let (rates, above) = chat.rates_for(prompt_tokens);
            let tier = above.map(|above_input_tokens| Tier::Context { above_input_tokens });
            let token_line = |dimension, count, upper_bound| Line {
                tier,
                upper_bound,
                ..Line::new(dimension, Quantity::Count(count))
            };
            tally.add(
                token_line(Dimension::InputTokens, input_tokens, false),
                rates.input_tokens,
                "input_tokens",
            )?;
            if let Some(cached) = usage.cached_input_tokens {
                tally.add(
                    token_line(Dimension::CachedInputTokens, cached, false),
                    rates.cached_input_rate(),
                    "cached_input_tokens",
                )?;
            }
            let (output_tokens, upper_bound) = match (usage.output_tokens, usage.max_output_tokens)
            {
                (Some(exact), _) => (exact, false),
                (None, Some(bound)) => (bound, true),
                (None, None) => return Err(missing(Action::Chat, Field::OutputTokens)),
            };
            tally.add(
                token_line(Dimension::OutputTokens, output_tokens, upper_bound),
                rates.output_tokens,
                "output_tokens",
            )?;
        }
        ItemRates::Embedding { input_tokens } => {
            let count = usage.input_tokens.unwrap_or(0);
            tally.add(
                Line::new(Dimension::InputTokens, Quantity::Count(count)),
                *input_tokens,
                "input_tokens",
            )?;
        }
        ItemRates::Image(ImageRates::Tiers {
            default_quality,
            tiers,
        }) => {
            let quality = usage.quality.unwrap_or(*default_quality);
            // Every tier offers the same qualities (a card invariant): ask the first.
            if tiers
                .first()
                .and_then(|tier| tier.prices().get(quality))
                .is_none()
            {
                return Err(PricingError::UnsupportedQuality { quality });
            }
            let (width, height) = size(usage);
            let tier =
                smallest_covering(tiers, |tier| tier.limit(), width, height).ok_or_else(|| {
                    size_error(
                        tiers.iter().map(super::card::ImageTier::limit),
                        width,
                        height,
                    )
                })?;
            let unit_price = tier
                .prices()
                .get(quality)
                .ok_or(PricingError::UnsupportedQuality { quality })?;
            let count = usage.count.unwrap_or(1);
            tally.add(
                Line {
                    tier: Some(Tier::Size { name: tier.name() }),
                    quality: Some(quality),
                    ..Line::new(Dimension::Images, Quantity::Count(count))
                },
                unit_price,
                "count",
            )?;
        }
        ItemRates::Image(ImageRates::PerMegapixel {
            per_megapixel,
            limit,
        }) => {
            if let Some(quality) = usage.quality {
                return Err(PricingError::UnsupportedQuality { quality });
            }
            let (width, height) = size(usage);
            if !limit.covers(width, height) {
                return Err(size_error([limit].into_iter(), width, height));
            }
            // width and height are at most SIDE_PIXELS_MAX (validated): no overflow here.
            let pixels = width.saturating_mul(height);
            let pixels = pixels
                .checked_mul(usage.count.unwrap_or(1))
                .ok_or(PricingError::CostTooLarge { param: "count" })?;
            tally.add(
                Line::new(Dimension::Megapixels, Quantity::Pixels(pixels)),
                *per_megapixel,
                "count",
            )?;
        }
        ItemRates::Video(video) => {
            let (width, height) = size(usage);
            let tier = smallest_covering(video.tiers(), |tier| tier.limit(), width, height)
                .ok_or_else(|| {
                    size_error(
                        video.tiers().iter().map(super::card::VideoTier::limit),
                        width,
                        height,
                    )
                })?;
            let duration_ms = usage.duration_ms.unwrap_or(0);
            tally.add(
                Line {
                    tier: Some(Tier::Size { name: tier.name() }),
                    ..Line::new(Dimension::Seconds, Quantity::Milliseconds(duration_ms))
                },
                tier.per_second(),
                "seconds",
            )?;
        }
        ItemRates::Speech(speech) => {
            if usage.characters.is_none() && usage.duration_ms.is_none() {
                let field = if speech.characters.is_some() {
                    Field::Characters
                } else {
                    Field::Seconds
                };
                return Err(missing(Action::Speech, field));
            }
            if let Some(characters) = usage.characters {
                let rate = speech.characters.ok_or(PricingError::UnpricedDimension {
                    param: "characters",
                })?;
                tally.add(
                    Line::new(Dimension::Characters, Quantity::Count(characters)),
                    rate,
                    "characters",
                )?;
            }
            if let Some(duration_ms) = usage.duration_ms {
                let rate = speech
                    .seconds
                    .ok_or(PricingError::UnpricedDimension { param: "seconds" })?;
                tally.add(
                    Line::new(Dimension::Seconds, Quantity::Milliseconds(duration_ms)),
                    rate,
                    "seconds",
                )?;
            }
        }
        ItemRates::Custom { units } => {
            let count = usage.units.unwrap_or(0);
            tally.add(
                Line::new(Dimension::Units, Quantity::Count(count)),
                *units,
                "units",
            )?;
        }
    }
    tally.finish(item)
}

impl<'card> Line<'card> {
    /// A line of `quantity`; [`Tally::add`] sets its unit price and amount.
    fn new(dimension: Dimension, quantity: Quantity) -> Line<'card> {
        Line {
            dimension,
            quantity,
            ..Line::EMPTY
        }
    }
}

fn missing(action: Action, field: Field) -> PricingError {
    PricingError::MissingDimension {
        action,
        param: field.as_str(),
    }
}

/// Checks what does not depend on the card: which fields the action takes, their ranges, and
/// the ones it needs.
fn validate(usage: &Usage) -> Result<(), PricingError> {
    let action = usage.action;
    for field in Field::ALL {
        if usage.has(field) && !field.actions().contains(&action) {
            return Err(PricingError::UnexpectedDimension {
                action,
                param: field.as_str(),
            });
        }
    }
    for field in Field::ALL {
        if let Some(quantity) = usage.quantity(field) {
            let (min, max) = field.range();
            if quantity < min || quantity > max {
                // Durations are kept in milliseconds but written in seconds.
                let (min, max) = if field == Field::Seconds {
                    (0, DURATION_MS_MAX / MILLISECONDS_PER_SECOND)
                } else {
                    (min, max)
                };
                return Err(PricingError::QuantityOutOfRange {
                    param: field.as_str(),
                    min,
                    max,
                });
            }
        }
    }
    let required: &[Field] = match action {
        Action::Chat => &[Field::InputTokens],
        Action::Embedding => &[Field::InputTokens],
        Action::Image => &[Field::Width, Field::Height],
        Action::Video => &[Field::Seconds, Field::Width, Field::Height],
        // Characters or seconds, depending on what the model prices: checked with the item.
        Action::Speech => &[],
        Action::Custom => &[Field::Units],
    };
    if let Some(field) = required.iter().find(|field| !usage.has(**field)) {
        return Err(missing(action, *field));
    }
    if action == Action::Chat && usage.output_tokens.is_none() && usage.max_output_tokens.is_none()
    {
        return Err(missing(action, Field::OutputTokens));
    }
    Ok(())
}

/// Width and height, both present (validated for image and video).
fn size(usage: &Usage) -> (u64, u64) {
    (usage.width.unwrap_or(0), usage.height.unwrap_or(0))
}

/// Names the side that exceeds every tier, or `width` when only the area does.
fn size_error<'a>(
    limits: impl Iterator<Item = &'a SizeLimit> + Clone,
    width: u64,
    height: u64,
) -> PricingError {
    let limits_for_largest = limits.clone();
    let widest = limits
        .clone()
        .map(|limit| limit.max_width.unwrap_or(u64::MAX))
        .max()
        .unwrap_or(0);
    let tallest = limits
        .map(|limit| limit.max_height.unwrap_or(u64::MAX))
        .max()
        .unwrap_or(0);
    let param = if width <= widest && height > tallest {
        "height"
    } else {
        "width"
    };
    PricingError::SizeNotCovered {
        param,
        width,
        height,
        largest: largest_sizes(limits_for_largest),
    }
}

/// The tiers of the largest capacity (an unbounded one is the largest), described.
fn largest_sizes<'a>(limits: impl Iterator<Item = &'a SizeLimit>) -> String {
    let limits: Vec<&SizeLimit> = limits.collect();
    let capacity = |limit: &SizeLimit| limit.capacity_pixels().unwrap_or(u64::MAX);
    let largest = limits
        .iter()
        .map(|limit| capacity(limit))
        .max()
        .unwrap_or(0);
    let mut described: Vec<String> = Vec::new();
    for limit in limits.iter().filter(|limit| capacity(limit) == largest) {
        let text = describe_limit(limit);
        if !described.contains(&text) {
            described.push(text);
        }
    }
    described.join(" or ")
}

/// `1536x1024`, `up to 921600 pixels`, `width up to 1440, height up to 1440`.
fn describe_limit(limit: &SizeLimit) -> String {
    match (limit.max_width, limit.max_height, limit.max_pixels) {
        (Some(width), Some(height), pixels)
            if pixels.is_none_or(|pixels| pixels >= width.saturating_mul(height)) =>
        {
            format!("{width}x{height}")
        }
        (None, None, Some(pixels)) => format!("up to {pixels} pixels"),
        (width, height, pixels) => {
            let mut parts = Vec::new();
            if let Some(width) = width {
                parts.push(format!("width up to {width}"));
            }
            if let Some(height) = height {
                parts.push(format!("height up to {height}"));
            }
            if let Some(pixels) = pixels {
                parts.push(format!("up to {pixels} pixels"));
            }
            parts.join(", ")
        }
    }
}

/// The lines so far and their exact totals.
struct Tally<'card> {
    lines: [Line<'card>; LINES_MAX],
    line_count: usize,
    exact_min: Femtocredits,
    exact_max: Femtocredits,
    /// The field behind the largest line: what `CostTooLarge` names.
    largest_param: &'static str,
    largest_amount: Femtocredits,
}

impl<'card> Tally<'card> {
    fn new() -> Self {
        Tally {
            lines: [Line::EMPTY; LINES_MAX],
            line_count: 0,
            exact_min: Femtocredits::ZERO,
            exact_max: Femtocredits::ZERO,
            largest_param: "usage",
            largest_amount: Femtocredits::ZERO,
        }
    }

    /// Adds a line, computing its amount from its quantity and unit price.
    fn add(
        &mut self,
        mut line: Line<'card>,
        rate: CreditRate,
        param: &'static str,
    ) -> Result<(), PricingError> {
        let too_large = || PricingError::CostTooLarge { param };
        line.unit_price = rate.to_femtocredits();
        line.amount = Femtocredits::new(line.quantity.times(rate).ok_or_else(too_large)?);
        self.exact_max = self
            .exact_max
            .checked_add(line.amount)
            .ok_or_else(too_large)?;
        if !line.upper_bound {
            self.exact_min = self
                .exact_min
                .checked_add(line.amount)
                .ok_or_else(too_large)?;
        }
        if line.amount > self.largest_amount || self.line_count == 0 {
            self.largest_amount = line.amount;
            self.largest_param = param;
        }
        self.push(line);
        Ok(())
    }

    fn push(&mut self, line: Line<'card>) {
        // At most three dimension lines plus one adjustment: a bug if this overflows.
        self.lines[self.line_count] = line;
        self.line_count += 1;
    }

    /// Rounds both totals once and adds the adjustment line that makes the lines add up to
    /// `max`.
    fn finish(mut self, item: &RateItem) -> Result<Price<'card>, PricingError> {
        let param = self.largest_param;
        let too_large = || PricingError::CostTooLarge { param };
        let (min, _) = cost(self.exact_min, item).ok_or_else(too_large)?;
        let (max, minimum_applied) = cost(self.exact_max, item).ok_or_else(too_large)?;
        let max_femtocredits = Femtocredits::new(
            i128::from(max.get())
                .checked_mul(FEMTOCREDITS_PER_MILLICREDIT)
                .ok_or_else(too_large)?,
        );
        let adjustment = max_femtocredits
            .checked_sub(self.exact_max)
            .ok_or_else(too_large)?;
        if adjustment > Femtocredits::ZERO {
            self.push(Line {
                dimension: if minimum_applied {
                    Dimension::Minimum
                } else {
                    Dimension::Rounding
                },
                quantity: Quantity::Count(1),
                unit_price: adjustment,
                amount: adjustment,
                ..Line::EMPTY
            });
        }
        Ok(Price {
            min,
            max,
            exact_min: self.exact_min,
            exact_max: self.exact_max,
            lines: self.lines,
            line_count: self.line_count,
        })
    }
}

/// `max(minimum, ceil_to_step(exact))`, and whether the minimum decided it. `None` when the
/// cost would be over the API's largest amount.
fn cost(exact: Femtocredits, item: &RateItem) -> Option<(Millicredits, bool)> {
    let exact = exact.get();
    let step = i128::from(item.rounding_step().get()).checked_mul(FEMTOCREDITS_PER_MILLICREDIT)?;
    if exact < 0 || step <= 0 {
        return None;
    }
    // Round up to a whole number of steps: the platform keeps the remainder, which is less
    // than one step; the user is never charged less than the exact total.
    let steps = exact.checked_add(step - 1)? / step;
    let rounded = steps.checked_mul(step)? / FEMTOCREDITS_PER_MILLICREDIT;
    let rounded = i64::try_from(rounded).ok()?;
    let minimum = item.minimum().get();
    let cost = rounded.max(minimum);
    (cost <= AMOUNT_MILLICREDITS_MAX).then_some((Millicredits::new(cost), minimum > rounded))
}
