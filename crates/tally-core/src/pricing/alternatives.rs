//! The cheaper choice: the other models of the same action on a card that price the same
//! usage for less.
//!
//! The rule (docs/pricing.md, "The cheaper choice"):
//! - candidates are the card's items of the usage's action, other than the quoted model; an
//!   item that cannot price this usage (a dimension it lacks, a size it does not cover, a
//!   quality it does not offer) is skipped;
//! - a candidate is cheaper when its `max` is strictly below the quoted `max`, and, with a
//!   budget, fits when its `max` is at most the budget;
//! - the models of the quoted model's family (the part of the id before `/`, else before the
//!   first `-`) are chosen first, then the others, each group by (`max`, model id); at most
//!   [`ALTERNATIVES_MAX`] are kept, and the answer lists them cheapest first, by (`max`, model
//!   id): the same card and usage always give the same list.
//!
//! The items of one action are a contiguous run of the card's sorted index, so a card of
//! thousands of models is scanned once per action, never whole.

use crate::amount::Millicredits;

use super::card::{RateCard, RateItem};
use super::price::{Price, is_valid, price_item};
use super::usage::Usage;

/// The most alternatives a quote or a refusal lists.
pub const ALTERNATIVES_MAX: usize = 5;

/// A cheaper model for the same usage, with its own price.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Alternative<'card> {
    pub model: &'card str,
    pub price: Price<'card>,
}

/// A model's family: the part of its id before `/` (`openai/gpt-4o` → `openai`), else before
/// the first `-` (`gpt-4o-mini` → `gpt`), else the whole id.
pub fn model_family(model: &str) -> &str {
    match model.split_once('/') {
        Some((family, _)) => family,
        None => model.split_once('-').map_or(model, |(family, _)| family),
    }
}

/// The models of `usage.action` on `card` that price `usage` for less than `quoted_max`
/// (and, with `budget`, for at most `budget`), as the rule above chooses and orders them.
pub fn cheaper_alternatives<'card>(
    card: &'card RateCard,
    usage: &Usage,
    quoted_max: Millicredits,
    budget: Option<Millicredits>,
) -> Vec<Alternative<'card>> {
    let family = model_family(&usage.model);
    if !is_valid(usage) {
        return Vec::new();
    }
    let start = card
        .index
        .partition_point(|&index| card.items[index as usize].action() < usage.action);
    let end = card
        .index
        .partition_point(|&index| card.items[index as usize].action() <= usage.action);
    // (another family, max, model, item): only what ordering needs, prices kept for the
    // chosen few.
    let mut found: Vec<(bool, Millicredits, &'card str, &'card RateItem)> = Vec::new();
    for &index in &card.index[start..end] {
        let item = &card.items[index as usize];
        let model = item.model();
        if model == usage.model {
            continue;
        }
        let Ok(price) = price_item(item, usage) else {
            continue;
        };
        let max = price.max();
        if max >= quoted_max || budget.is_some_and(|budget| max > budget) {
            continue;
        }
        found.push((model_family(model) != family, max, model, item));
    }
    found.sort_unstable_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
    found.truncate(ALTERNATIVES_MAX);
    found.sort_unstable_by(|a, b| (a.1, a.2).cmp(&(b.1, b.2)));
    found
        .into_iter()
        .filter_map(|(_, _, model, item)| {
            let price = price_item(item, usage).ok()?;
            Some(Alternative { model, price })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::{Action, default_card, parse_document_value, price};
    use proptest::prelude::*;
    use serde_json::json;

    fn chat(model: &str, input_tokens: u64, output_tokens: u64) -> Usage {
        let mut usage = Usage::new(Action::Chat, model);
        usage.input_tokens = Some(input_tokens);
        usage.output_tokens = Some(output_tokens);
        usage
    }

    /// A card of `count` chat models in a few families, rates from a simple formula, plus an
    /// image and a speech item (never candidates for a chat usage).
    fn large_card(count: u64) -> RateCard {
        let families = ["openai", "anthropic", "google", "mistral"];
        let mut items: Vec<serde_json::Value> = (0..count)
            .map(|n| {
                let family = families[usize::try_from(n).unwrap() % families.len()];
                let input = format!("0.{:06}", 1 + (n * 7919) % 9_000);
                let output = format!("0.{:06}", 2 + (n * 104_729) % 90_000);
                json!({"action": "chat", "model": format!("{family}/model-{n:05}"),
                       "rates": {"input_tokens": input.parse::<serde_json::Number>().unwrap(),
                                 "output_tokens": output.parse::<serde_json::Number>().unwrap()}})
            })
            .collect();
        items.push(json!({"action": "custom", "model": "openai/search",
                          "rates": {"units": 1}}));
        let document = json!({"version": 1, "effective_at": "2026-01-01T00:00:00Z",
                              "items": items});
        parse_document_value(&document)
            .unwrap()
            .into_card(1, "2026-01-01T00:00:00Z")
    }

    fn check(card: &RateCard, usage: &Usage, budget: Option<Millicredits>) {
        let quoted = price(card, usage).unwrap();
        let alternatives = cheaper_alternatives(card, usage, quoted.max(), budget);
        assert!(alternatives.len() <= ALTERNATIVES_MAX);
        for alternative in &alternatives {
            assert_ne!(alternative.model, usage.model);
            assert!(alternative.price.max() < quoted.max());
            if let Some(budget) = budget {
                assert!(alternative.price.max() <= budget);
            }
            // Each equals its own quote: the same usage on that model.
            let mut own = usage.clone();
            own.model = alternative.model.to_string();
            assert_eq!(price(card, &own).unwrap(), alternative.price);
            assert_eq!(
                card.item(usage.action, alternative.model).unwrap().action(),
                usage.action
            );
        }
        for pair in alternatives.windows(2) {
            assert!(
                (pair[0].price.max(), pair[0].model) < (pair[1].price.max(), pair[1].model),
                "sorted cheapest first, then by model id"
            );
        }
        // Deterministic: the same card and usage give the same list.
        assert_eq!(
            alternatives,
            cheaper_alternatives(card, usage, quoted.max(), budget)
        );
    }

    #[test]
    fn families_are_the_part_before_the_slash_or_the_dash() {
        assert_eq!(model_family("openai/gpt-4o"), "openai");
        assert_eq!(model_family("gpt-4o-mini"), "gpt");
        assert_eq!(model_family("whisper"), "whisper");
    }

    #[test]
    fn gpt_4o_has_the_cheaper_chat_models_of_the_default_card() {
        let card = default_card();
        let usage = chat("gpt-4o", 1_000, 1_000);
        let quoted = price(&card, &usage).unwrap();
        let alternatives = cheaper_alternatives(&card, &usage, quoted.max(), None);
        // Expected from the card's rates by hand: 1000 in + 1000 out tokens.
        // gpt-4o 12.5 → 13; gpt-4o-mini 0.75 → 1; claude-haiku 6; gemini-flash 2.8 → 3;
        // gemini-pro 11.25 → 12; claude-sonnet 18 (not cheaper).
        let models: Vec<&str> = alternatives.iter().map(|a| a.model).collect();
        assert_eq!(
            models,
            [
                "gpt-4o-mini",
                "gemini-2.5-flash",
                "claude-haiku-4-5",
                "gemini-2.5-pro"
            ]
        );
        assert_eq!(quoted.max(), Millicredits::new(13_000));
        assert_eq!(alternatives[0].price.max(), Millicredits::new(1_000));
        let fitting =
            cheaper_alternatives(&card, &usage, quoted.max(), Some(Millicredits::new(3_000)));
        let models: Vec<&str> = fitting.iter().map(|a| a.model).collect();
        assert_eq!(models, ["gpt-4o-mini", "gemini-2.5-flash"]);
    }

    #[test]
    fn the_cheapest_model_has_no_alternative() {
        let card = default_card();
        let usage = chat("gpt-4o-mini", 1_000, 1_000);
        let quoted = price(&card, &usage).unwrap();
        assert!(cheaper_alternatives(&card, &usage, quoted.max(), None).is_empty());
    }

    #[test]
    fn models_that_cannot_price_the_usage_are_skipped() {
        // tts-1 prices characters, whisper-1 seconds: a transcription has no tts alternative.
        let card = default_card();
        let mut usage = Usage::new(Action::Speech, "whisper-1");
        usage.duration_ms = Some(600_000);
        let quoted = price(&card, &usage).unwrap();
        for alternative in cheaper_alternatives(&card, &usage, Millicredits::new(i64::MAX), None) {
            let mut own = usage.clone();
            own.model = alternative.model.to_string();
            assert!(price(&card, &own).is_ok());
        }
        check(&card, &usage, None);
        assert!(quoted.max().is_positive());
    }

    #[test]
    fn the_same_family_is_chosen_first_on_a_large_card() {
        let card = large_card(2_000);
        let usage = chat("anthropic/model-01001", 20_000, 20_000);
        let quoted = price(&card, &usage).unwrap();
        let alternatives = cheaper_alternatives(&card, &usage, quoted.max(), None);
        assert_eq!(alternatives.len(), ALTERNATIVES_MAX);
        assert!(
            alternatives
                .iter()
                .all(|a| a.model.starts_with("anthropic/"))
        );
        // They are the five cheapest of the family, computed here by brute force.
        let mut family: Vec<(Millicredits, String)> = card
            .items()
            .iter()
            .filter(|item| item.action() == Action::Chat && item.model().starts_with("anthropic/"))
            .filter(|item| item.model() != usage.model)
            .map(|item| {
                let mut own = usage.clone();
                own.model = item.model().to_string();
                (price(&card, &own).unwrap().max(), item.model().to_string())
            })
            .filter(|(max, _)| *max < quoted.max())
            .collect();
        family.sort();
        let expected: Vec<&str> = family.iter().take(5).map(|(_, m)| m.as_str()).collect();
        let models: Vec<&str> = alternatives.iter().map(|a| a.model).collect();
        assert_eq!(models, expected);
        check(&card, &usage, None);
    }

    proptest! {
        #[test]
        fn every_alternative_is_cheaper_its_own_price_sorted_and_at_most_five(
            model in 0u64..600,
            input_tokens in 0u64..2_000_000,
            output_tokens in 0u64..200_000,
            budget in proptest::option::of(0i64..5_000_000),
        ) {
            let card = large_card(600);
            let family = ["openai", "anthropic", "google", "mistral"][usize::try_from(model % 4).unwrap()];
            let usage = chat(&format!("{family}/model-{model:05}"), input_tokens, output_tokens);
            check(&card, &usage, budget.map(Millicredits::new));
        }

        #[test]
        fn the_default_card_keeps_the_rule_for_every_chat_model(
            model in 0usize..6,
            input_tokens in 0u64..400_000,
            output_tokens in 0u64..100_000,
        ) {
            let card = default_card();
            let chat_models: Vec<&str> = card
                .items()
                .iter()
                .filter(|item| item.action() == Action::Chat)
                .map(crate::pricing::RateItem::model)
                .collect();
            let usage = chat(chat_models[model % chat_models.len()], input_tokens, output_tokens);
            check(&card, &usage, None);
        }
    }
}
