//! The rate card shipped with the binary: list prices from LiteLLM's model cost map at
//! 1 credit = US$0.001.
//!
//! The card is a JSON document embedded at compile time (`default_card.json`, next to this
//! file), read by the same strict reader as `PUT /v1/rate-card`. docs/pricing.md lists every
//! price with the USD figure and the LiteLLM key it came from.

use super::card::RateCard;
use super::document::parse_card;

/// The default rate card's JSON document (version 1).
pub const DEFAULT_CARD_JSON: &str = include_str!("default_card.json");

/// How many credits one US dollar buys on the default card.
pub const DEFAULT_CREDITS_PER_USD: i64 = 1_000;

/// The default rate card, version 1. The server stores it as the first version when it has
/// none.
pub fn default_card() -> RateCard {
    // A bug, not a user's mistake: the embedded document is checked by the tests.
    parse_card(DEFAULT_CARD_JSON).expect("the embedded default rate card is valid")
}
