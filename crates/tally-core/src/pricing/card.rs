//! The rate card: a versioned, immutable table of prices keyed by (action, model).
//!
//! A card is only ever built by the document reader ([`super::document`]), which checks every
//! invariant listed on the types below; after that, pricing cannot meet a malformed card.
//! Items keep the order the document gave them; lookups go through an index sorted by
//! (action, model), so a lookup is a binary search with no hashing and no allocation.

use crate::amount::Millicredits;

use super::rate::CreditRate;
use super::usage::{Action, Quality};

/// One version of the rate card.
///
/// Architecture invariant: no two items share (action, model); `index` lists every item once,
/// sorted by (action, model).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateCard {
    pub(crate) version: i64,
    pub(crate) effective_at: String,
    pub(crate) credits_per_usd: Option<CreditRate>,
    pub(crate) items: Vec<RateItem>,
    pub(crate) index: Vec<u32>,
}

impl RateCard {
    /// The version the server assigned (every charge records it).
    pub fn version(&self) -> i64 {
        self.version
    }

    /// When this version took effect, as the RFC 3339 text the server assigned.
    pub fn effective_at(&self) -> &str {
        &self.effective_at
    }

    /// Informational: how many credits one US dollar buys (1000 on the default card).
    pub fn credits_per_usd(&self) -> Option<CreditRate> {
        self.credits_per_usd
    }

    /// Every item, in document order.
    pub fn items(&self) -> &[RateItem] {
        &self.items
    }

    /// The item that prices `action` on `model` (exact, case-sensitive match).
    pub fn item(&self, action: Action, model: &str) -> Option<&RateItem> {
        let position = self
            .index
            .binary_search_by(|&index| {
                let item = &self.items[index as usize];
                (item.action(), item.model.as_str()).cmp(&(action, model))
            })
            .ok()?;
        Some(&self.items[self.index[position] as usize])
    }
}

/// The prices of one (action, model).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateItem {
    pub(crate) model: String,
    /// The least an action costs, in credits (default 1).
    pub(crate) minimum: Millicredits,
    /// The exact total is rounded up to a multiple of this, once (default 1 credit; > 0).
    pub(crate) rounding_step: Millicredits,
    pub(crate) rates: ItemRates,
}

impl RateItem {
    pub fn action(&self) -> Action {
        self.rates.action()
    }

    pub fn model(&self) -> &str {
        &self.model
    }

    pub fn minimum(&self) -> Millicredits {
        self.minimum
    }

    pub fn rounding_step(&self) -> Millicredits {
        self.rounding_step
    }

    pub fn rates(&self) -> &ItemRates {
        &self.rates
    }
}

/// How an item prices its action. The variant decides the action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ItemRates {
    Chat(ChatRates),
    Embedding {
        /// Credits per input token.
        input_tokens: CreditRate,
    },
    Image(ImageRates),
    Video(VideoRates),
    Speech(SpeechRates),
    Custom {
        /// Credits per unit (a search, a tool call, a workflow step).
        units: CreditRate,
    },
}

impl ItemRates {
    pub fn action(&self) -> Action {
        match self {
            ItemRates::Chat(_) => Action::Chat,
            ItemRates::Embedding { .. } => Action::Embedding,
            ItemRates::Image(_) => Action::Image,
            ItemRates::Video(_) => Action::Video,
            ItemRates::Speech(_) => Action::Speech,
            ItemRates::Custom { .. } => Action::Custom,
        }
    }
}

/// Credits per token, by kind of token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenRates {
    pub input_tokens: CreditRate,
    /// Absent: cached input tokens bill at the input rate (never for free by omission).
    pub cached_input_tokens: Option<CreditRate>,
    pub output_tokens: CreditRate,
}

impl TokenRates {
    /// The rate cached input tokens bill at.
    pub fn cached_input_rate(&self) -> CreditRate {
        self.cached_input_tokens.unwrap_or(self.input_tokens)
    }

    /// Whether no rate of `self` is below the same rate of `other` (and both price the same
    /// kinds of token).
    pub(crate) fn covers(&self, other: &TokenRates) -> bool {
        self.input_tokens >= other.input_tokens
            && self.output_tokens >= other.output_tokens
            && self.cached_input_tokens.is_some() == other.cached_input_tokens.is_some()
            && self.cached_input_rate() >= other.cached_input_rate()
    }
}

/// Chat prices, with long-context tiers.
///
/// Invariants: tiers' `above_input_tokens` strictly ascend; each tier prices the same kinds of
/// token as the base and no rate is below the level under it (so more tokens never cost less).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatRates {
    pub(crate) base: TokenRates,
    pub(crate) context_tiers: Vec<ContextTier>,
}

impl ChatRates {
    pub fn base(&self) -> &TokenRates {
        &self.base
    }

    pub fn context_tiers(&self) -> &[ContextTier] {
        &self.context_tiers
    }

    /// The rates for a prompt of `prompt_tokens` (input plus cached input): the highest tier
    /// whose threshold the prompt exceeds prices the whole request, else the base.
    pub fn rates_for(&self, prompt_tokens: u64) -> (&TokenRates, Option<u64>) {
        match self
            .context_tiers
            .iter()
            .rev()
            .find(|tier| prompt_tokens > tier.above_input_tokens)
        {
            Some(tier) => (&tier.rates, Some(tier.above_input_tokens)),
            None => (&self.base, None),
        }
    }
}

/// Rates that apply to the whole request when the prompt exceeds `above_input_tokens`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContextTier {
    pub above_input_tokens: u64,
    pub rates: TokenRates,
}

/// The bounds of a size tier: an image or video fits when each bound present holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SizeLimit {
    pub max_width: Option<u64>,
    pub max_height: Option<u64>,
    pub max_pixels: Option<u64>,
}

impl SizeLimit {
    pub fn covers(&self, width: u64, height: u64) -> bool {
        self.max_width.is_none_or(|max| width <= max)
            && self.max_height.is_none_or(|max| height <= max)
            && self
                .max_pixels
                .is_none_or(|max| width.saturating_mul(height) <= max)
    }

    /// The most pixels a covered size can have (`None`: unbounded).
    pub fn capacity_pixels(&self) -> Option<u64> {
        let rectangle = match (self.max_width, self.max_height) {
            (Some(width), Some(height)) => Some(width.saturating_mul(height)),
            _ => None,
        };
        match (rectangle, self.max_pixels) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.max_width.is_none() && self.max_height.is_none() && self.max_pixels.is_none()
    }
}

/// Image prices: per image by size tier and quality, or per megapixel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImageRates {
    /// Invariants: at least one tier; tiers listed smallest first (by pixel capacity); every
    /// tier offers the same qualities, one of which is `default_quality`; for each quality
    /// the price never decreases from a tier to the next; within a tier a higher rung of a
    /// quality ladder never costs less than a lower one.
    Tiers {
        default_quality: Quality,
        tiers: Vec<ImageTier>,
    },
    /// `pixels × count × per_megapixel / 1,000,000`, exact: `per_megapixel` is a multiple of
    /// 1e-9 credits. Sizes outside `limit` (when it has bounds) are refused.
    PerMegapixel {
        per_megapixel: CreditRate,
        limit: SizeLimit,
    },
}

/// A size tier of an image model with a price per image for each quality it offers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageTier {
    pub(crate) name: String,
    pub(crate) limit: SizeLimit,
    pub(crate) prices: QualityPrices,
}

impl ImageTier {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn limit(&self) -> &SizeLimit {
        &self.limit
    }

    pub fn prices(&self) -> &QualityPrices {
        &self.prices
    }
}

/// A price per image for each quality offered (a small table indexed by [`Quality`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QualityPrices([Option<CreditRate>; Quality::ALL.len()]);

impl QualityPrices {
    pub fn get(&self, quality: Quality) -> Option<CreditRate> {
        self.0[quality.index()]
    }

    pub(crate) fn set(&mut self, quality: Quality, price: CreditRate) {
        self.0[quality.index()] = Some(price);
    }

    /// The qualities offered, with their prices, in [`Quality::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (Quality, CreditRate)> + '_ {
        Quality::ALL
            .into_iter()
            .filter_map(|quality| self.get(quality).map(|price| (quality, price)))
    }

    pub(crate) fn offers_same_qualities(&self, other: &QualityPrices) -> bool {
        Quality::ALL
            .into_iter()
            .all(|quality| self.get(quality).is_some() == other.get(quality).is_some())
    }
}

/// Video prices per second by resolution tier.
///
/// Invariants: at least one tier; tiers listed smallest first; `per_second` never decreases
/// from a tier to the next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VideoRates {
    pub(crate) tiers: Vec<VideoTier>,
}

impl VideoRates {
    pub fn tiers(&self) -> &[VideoTier] {
        &self.tiers
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VideoTier {
    pub(crate) name: String,
    pub(crate) limit: SizeLimit,
    pub(crate) per_second: CreditRate,
}

impl VideoTier {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn limit(&self) -> &SizeLimit {
        &self.limit
    }

    pub fn per_second(&self) -> CreditRate {
        self.per_second
    }
}

/// Speech prices: text-to-speech by character, transcription by second (at least one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpeechRates {
    pub characters: Option<CreditRate>,
    pub seconds: Option<CreditRate>,
}

/// The first tier (smallest first) that covers `width × height`.
pub(crate) fn smallest_covering<T>(
    tiers: &[T],
    limit: impl Fn(&T) -> &SizeLimit,
    width: u64,
    height: u64,
) -> Option<&T> {
    tiers.iter().find(|tier| limit(tier).covers(width, height))
}
