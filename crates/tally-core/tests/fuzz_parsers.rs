//! Fuzzing the parsers that read what clients send (proptest over arbitrary bytes and
//! arbitrary JSON; cargo-fuzz needs a nightly toolchain these machines don't have): the amount
//! parser, the usage-descriptor decoder, and the rate-card document parser must never panic,
//! and whatever they accept must behave (prices exist or are refused cleanly; a document that
//! parses round-trips).

use proptest::prelude::*;
use serde_json::Value;
use tally_core::Millicredits;
use tally_core::pricing::{
    Usage, default_card, parse_document, parse_document_value, price, to_json,
};

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        "-?[0-9]{1,30}(\\.[0-9]{1,30})?([eE][-+]?[0-9]{1,6})?"
            .prop_filter_map("a JSON number", |text| serde_json::from_str::<Value>(&text)
                .ok()),
        "\\PC{0,16}".prop_map(Value::from),
        prop::sample::select(vec![
            "chat",
            "embedding",
            "image",
            "video",
            "speech",
            "custom",
            "gpt-4o",
            "gpt-image-1",
            "veo-3",
            "tts-1",
            "whisper-1",
            "web-search",
            "low",
            "medium",
            "high",
            "hd",
            "standard",
        ])
        .prop_map(Value::from),
    ]
}

/// JSON shaped like a usage descriptor or a rate card item: objects with the known field
/// names (and some unknown ones) holding any kind of value.
fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(4, 48, 8, |inner| {
        let names = prop::sample::select(vec![
            "action",
            "model",
            "input_tokens",
            "cached_input_tokens",
            "output_tokens",
            "max_output_tokens",
            "width",
            "height",
            "quality",
            "count",
            "seconds",
            "characters",
            "units",
            "product",
            "member",
            "items",
            "rates",
            "tiers",
            "context_tiers",
            "above_input_tokens",
            "prices",
            "per_second",
            "per_megapixel",
            "max_pixels",
            "max_width",
            "max_height",
            "name",
            "minimum",
            "rounding_step",
            "default_quality",
            "version",
            "effective_at",
            "credits_per_usd",
            "colour",
        ]);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(names.prop_map(str::to_string), inner, 0..8)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn the_amount_parser_survives_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let text = String::from_utf8_lossy(&bytes);
        if let Ok(amount) = Millicredits::parse_credits(&text) {
            prop_assert!(amount.is_within_api_range());
            prop_assert_eq!(Millicredits::parse_credits(&amount.to_string()), Ok(amount));
        }
    }

    #[test]
    fn the_usage_decoder_survives_arbitrary_json(value in json_value()) {
        let card = default_card();
        if let Ok(usage) = Usage::from_json(&value) {
            if let Ok(priced) = price(&card, &usage) {
                prop_assert!(priced.min() <= priced.max());
                prop_assert!(!priced.min().is_negative());
            }
            // What was accepted reads back the same.
            prop_assert_eq!(Usage::from_json(&usage.to_json()), Ok(usage));
        }
    }

    #[test]
    fn the_rate_card_parser_survives_arbitrary_json(items in prop::collection::vec(json_value(), 0..4)) {
        let document = serde_json::json!({"items": items});
        if let Ok(parsed) = parse_document_value(&document) {
            let card = parsed.into_card(1, "2027-01-01T00:00:00Z");
            let again = parse_document_value(&to_json(&card)).expect("a written card reads back");
            prop_assert_eq!(again.into_card(1, "2027-01-01T00:00:00Z"), card);
        }
    }

    #[test]
    fn the_rate_card_parser_survives_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_document(&String::from_utf8_lossy(&bytes));
    }
}
