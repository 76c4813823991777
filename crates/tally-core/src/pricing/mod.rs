//! Pricing: rate cards, usage descriptors, and the exact cost of a usage on a card.
//!
//! Bird's-eye view: a [`RateCard`] is an immutable, versioned table of prices keyed by
//! (action, model), read from its JSON document by [`parse_document`] and written back by
//! [`to_json`]. A [`Usage`] says what an action consumed (or may consume, with
//! `max_output_tokens`). [`price`] turns the two into a [`Price`]: `min` and `max` in
//! millicredits and the lines that explain `max`.
//!
//! Codemap:
//! - `rate.rs`: [`CreditRate`] (picocredits per unit) and [`Femtocredits`] (exact amounts).
//! - `usage.rs`: [`Usage`], [`Action`], [`Quality`], and reading a usage from JSON.
//! - `card.rs`: the card model ([`RateCard`], [`RateItem`], [`ItemRates`] and tiers).
//! - `document.rs`: the JSON document, strict and exact both ways.
//! - `alternatives.rs`: [`cheaper_alternatives`], the cheaper models for the same usage.
//! - `price.rs`: [`price`], [`Price`], [`Line`], [`PricingError`].
//! - `default_card.rs` and `default_card.json`: the card shipped with the binary.
//!
//! Architecture invariants:
//! - No float anywhere: rates are integers of 1e-12 credits read from decimal text, line amounts
//!   integers of 1e-15 credits, every operation checked; overflow is an error value.
//! - Rounding happens once per priced action: `max(minimum, ceil_to_step(exact total))`.
//! - Pricing is a pure function of (card, usage): no clock, no randomness, no hashing, no I/O,
//!   and it does not allocate.
//! - More of any quantity (tokens, pixels, seconds, quality) never costs less: the document
//!   reader refuses cards whose prices fall as size, context or quality rises.

mod alternatives;
mod card;
mod default_card;
mod document;
mod import;
mod price;
mod rate;
mod usage;

pub use alternatives::{ALTERNATIVES_MAX, Alternative, cheaper_alternatives, model_family};
pub use card::{
    ChatRates, ContextTier, ImageRates, ImageTier, ItemRates, QualityPrices, RateCard, RateItem,
    SizeLimit, SpeechRates, TokenRates, VideoRates, VideoTier,
};
pub use default_card::{DEFAULT_CARD_JSON, DEFAULT_CREDITS_PER_USD, default_card};
pub use document::{
    CONTEXT_TIERS_MAX, DocumentError, DocumentErrorKind, EFFECTIVE_AT_BYTES_MAX, ITEMS_MAX,
    MINIMUM_DEFAULT, PIXELS_MAX, ROUNDING_STEP_DEFAULT, RateCardDocument, TIER_NAME_BYTES_MAX,
    TIERS_MAX, parse_card, parse_document, parse_document_value, to_json,
};
pub use import::{
    ImportError, ImportOptions, ImportReport, LITELLM_NON_MODEL_KEYS, NO_MODE, SkipKind, Skipped,
    USD_SIGNIFICANT_DIGITS, import_litellm,
};
pub use price::{
    Dimension, LINES_MAX, Line, PIXELS_PER_MEGAPIXEL, Price, PricingError, Quantity, Tier, price,
};
pub use rate::{
    CreditRate, FEMTOCREDITS_PER_CREDIT, FEMTOCREDITS_PER_MILLICREDIT, Femtocredits,
    PICOCREDITS_PER_CREDIT, RATE_CREDITS_MAX, RATE_PICOCREDITS_MAX, RateError,
};
pub use usage::{
    ATTRIBUTION_BYTES_MAX, Action, DURATION_MS_MAX, Field, InvalidReason, MODEL_BYTES_MAX,
    QUANTITY_MAX, Quality, SIDE_PIXELS_MAX, Usage, UsageError,
};
