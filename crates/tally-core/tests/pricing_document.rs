//! The rate card document: what `PUT /v1/rate-card` accepts and refuses, exact numbers in any
//! JSON form, and the round trip through `GET`.

use serde_json::{Value, json};
use tally_core::pricing::{
    Action, CreditRate, DEFAULT_CARD_JSON, DocumentErrorKind, RateError, Usage, default_card,
    parse_card, parse_document, parse_document_value, price, to_json,
};

/// One example item per action: the shapes docs/pricing.md shows.
fn examples() -> Value {
    // Parsed from text (not `json!`, whose float literals pass through f64 formatting).
    serde_json::from_str(EXAMPLES).unwrap()
}

const EXAMPLES: &str = r#"{
  "version": 3,
  "effective_at": "2026-11-24T00:00:00Z",
  "credits_per_usd": 1000,
  "items": [
    {"action": "chat", "model": "gpt-4o",
     "rates": {"input_tokens": 0.0025, "cached_input_tokens": 0.00125, "output_tokens": 0.01},
     "minimum": 1, "rounding_step": 1},
    {"action": "chat", "model": "gemini-2.5-pro",
     "rates": {"input_tokens": 0.00125, "cached_input_tokens": 0.000125, "output_tokens": 0.01},
     "context_tiers": [
       {"above_input_tokens": 200000,
        "rates": {"input_tokens": 0.0025, "cached_input_tokens": 0.00025, "output_tokens": 0.015}}
     ],
     "minimum": 1, "rounding_step": 1},
    {"action": "embedding", "model": "text-embedding-3-small",
     "rates": {"input_tokens": 0.00002}, "minimum": 0.1, "rounding_step": 0.1},
    {"action": "image", "model": "gpt-image-1", "default_quality": "high",
     "tiers": [
       {"name": "1024x1024", "max_width": 1024, "max_height": 1024,
        "prices": {"low": 11, "medium": 42, "high": 167}},
       {"name": "1024x1536", "max_width": 1024, "max_height": 1536,
        "prices": {"low": 16, "medium": 63, "high": 250}}
     ],
     "minimum": 1, "rounding_step": 1},
    {"action": "image", "model": "flux-pro-1.1", "per_megapixel": 40,
     "max_width": 1440, "max_height": 1440, "minimum": 1, "rounding_step": 1},
    {"action": "video", "model": "veo-3.1-fast",
     "tiers": [
       {"name": "720p", "max_pixels": 921600, "per_second": 100},
       {"name": "1080p", "max_pixels": 2073600, "per_second": 120},
       {"name": "4k", "max_pixels": 8294400, "per_second": 300}
     ],
     "minimum": 1, "rounding_step": 1},
    {"action": "speech", "model": "tts-1", "rates": {"characters": 0.015},
     "minimum": 1, "rounding_step": 1},
    {"action": "speech", "model": "whisper-1", "rates": {"seconds": 0.1},
     "minimum": 1, "rounding_step": 1},
    {"action": "custom", "model": "web-search", "rates": {"units": 10},
     "minimum": 1, "rounding_step": 1}
  ]
}"#;

#[test]
fn the_examples_are_written_back_as_they_were_read() {
    let text = examples().to_string();
    let card = parse_card(&text).unwrap();
    assert_eq!(card.version(), 3);
    assert_eq!(card.effective_at(), "2026-11-24T00:00:00Z");
    assert_eq!(card.items().len(), 9);
    // Every field the examples spell out comes back, with the same number text.
    assert_eq!(to_json(&card), examples());
}

#[test]
fn the_default_card_round_trips() {
    let card = default_card();
    assert_eq!(card.version(), 1);
    let json = to_json(&card);
    let again = parse_card(&json.to_string()).unwrap();
    assert_eq!(again, card);
    assert_eq!(to_json(&again), json);
    // Pretty-printed text reads the same.
    let pretty = serde_json::to_string_pretty(&json).unwrap();
    assert_eq!(parse_card(&pretty).unwrap(), card);
    assert_eq!(
        parse_document(DEFAULT_CARD_JSON).unwrap().credits_per_usd(),
        CreditRate::from_picocredits(1_000 * 1_000_000_000_000)
    );
}

#[test]
fn version_and_effective_at_are_the_servers_to_assign() {
    let document = parse_document(
        r#"{"items": [{"action": "custom", "model": "web-search", "rates": {"units": 10}}]}"#,
    )
    .unwrap();
    assert_eq!(
        (document.version, document.effective_at.clone()),
        (None, None)
    );
    let card = document.into_card(7, "2026-12-01T00:00:00Z");
    let json = to_json(&card);
    assert_eq!(json["version"], json!(7));
    assert_eq!(json["effective_at"], json!("2026-12-01T00:00:00Z"));
    // Defaults are written out explicitly.
    assert_eq!(json["items"][0]["minimum"], json!(1));
    assert_eq!(json["items"][0]["rounding_step"], json!(1));
    // A stored card must carry both.
    let error = parse_card(
        r#"{"version": 1, "items": [{"action": "custom", "model": "w", "rates": {"units": 1}}]}"#,
    )
    .unwrap_err();
    assert_eq!(error.param(), "effective_at");
}

#[test]
fn numbers_are_read_exactly_in_every_json_form() {
    let forms = [
        "0.0000025",
        "2.5e-06",
        "2.5E-6",
        "25e-7",
        "0.25e-5",
        "2.50000e-6",
        "0.00000250000",
    ];
    for form in forms {
        let text = format!(
            r#"{{"items": [{{"action": "chat", "model": "m", "rates": {{"input_tokens": {form}, "output_tokens": 1e-2}}}}]}}"#
        );
        let card = parse_document(&text).unwrap().into_card(1, "t");
        let json = to_json(&card);
        assert_eq!(
            json["items"][0]["rates"]["input_tokens"].to_string(),
            "0.0000025",
            "{form}"
        );
        assert_eq!(
            json["items"][0]["rates"]["output_tokens"].to_string(),
            "0.01"
        );
        // 400000 × 0.0000025 + 300 × 0.01 = 1 + 3 = 4, exactly: no float noise to round up.
        let mut usage = Usage::new(Action::Chat, "m");
        usage.input_tokens = Some(400_000);
        usage.output_tokens = Some(300);
        let price = price(&card, &usage).unwrap();
        assert_eq!(price.exact_max().to_string(), "4", "{form}");
        assert_eq!(price.max().to_string(), "4", "{form}");
    }
    // LiteLLM's gpt-4o-mini rates (USD per token) × 1000, written as LiteLLM writes them.
    let text = r#"{"items": [{"action": "chat", "model": "mini",
        "rates": {"input_tokens": 1.5e-04, "cached_input_tokens": 7.5e-05, "output_tokens": 6e-04}}]}"#;
    let card = parse_document(text).unwrap().into_card(1, "t");
    let json = to_json(&card);
    assert_eq!(
        json["items"][0]["rates"].to_string(),
        r#"{"cached_input_tokens":0.000075,"input_tokens":0.00015,"output_tokens":0.0006}"#
    );
    // A Value parsed elsewhere (the server's body reader) keeps the number text too.
    let value: Value = serde_json::from_str(text).unwrap();
    assert_eq!(
        parse_document_value(&value).unwrap().items(),
        parse_document(text).unwrap().items()
    );
}

/// An item list around `item`, for the error table.
fn with_item(item: Value) -> String {
    json!({ "items": [item] }).to_string()
}

fn check_error(text: &str, param: &str, kind: DocumentErrorKind) {
    let error = parse_document(text).unwrap_err();
    assert_eq!(
        (error.param(), error.kind()),
        (param, &kind),
        "{text}: {error}"
    );
}

#[test]
fn bad_documents_name_the_field() {
    use DocumentErrorKind::*;
    let chat = |rates: Value| json!({"action": "chat", "model": "m", "rates": rates});
    let ok_rates = json!({"input_tokens": 1, "output_tokens": 2});

    let error = parse_document("{").unwrap_err();
    assert_eq!(error.param(), "document");
    assert!(error.is_invalid_json());
    check_error(
        "[]",
        "document",
        WrongType {
            expected: "an object",
        },
    );
    check_error(r#"{"itemz": []}"#, "itemz", UnknownField);
    check_error(r#"{}"#, "items", Missing);
    check_error(
        r#"{"items": {}}"#,
        "items",
        WrongType {
            expected: "an array",
        },
    );
    check_error(
        r#"{"version": 0, "items": []}"#,
        "version",
        OutOfRange {
            min: 1,
            max: i64::MAX as u64,
        },
    );
    check_error(
        r#"{"version": 1.5, "items": []}"#,
        "version",
        OutOfRange {
            min: 1,
            max: i64::MAX as u64,
        },
    );
    check_error(
        r#"{"credits_per_usd": 0, "items": []}"#,
        "credits_per_usd",
        NotPositive,
    );
    check_error(
        r#"{"effective_at": "", "items": []}"#,
        "effective_at",
        Empty,
    );

    check_error(
        &with_item(json!({"model": "m"})),
        "items[0].action",
        Missing,
    );
    check_error(
        &with_item(json!({"action": "dance", "model": "m"})),
        "items[0].action",
        UnknownAction,
    );
    check_error(
        &with_item(json!({"action": "chat", "rates": ok_rates})),
        "items[0].model",
        Missing,
    );
    check_error(
        &with_item(json!({"action": "chat", "model": "", "rates": ok_rates})),
        "items[0].model",
        Empty,
    );
    check_error(
        &with_item(json!({"action": "chat", "model": "m", "rates": ok_rates, "tiers": []})),
        "items[0].tiers",
        UnknownField,
    );
    check_error(
        &with_item(chat(json!({"input_tokns": 1, "output_tokens": 2}))),
        "items[0].rates.input_tokns",
        UnknownField,
    );
    check_error(
        &with_item(chat(json!({"output_tokens": 2}))),
        "items[0].rates.input_tokens",
        Missing,
    );
    check_error(
        &with_item(chat(json!({"input_tokens": -0.001, "output_tokens": 2}))),
        "items[0].rates.input_tokens",
        Rate(RateError::Negative),
    );
    check_error(
        &with_item(chat(json!({"input_tokens": 1e-13, "output_tokens": 2}))),
        "items[0].rates.input_tokens",
        Rate(RateError::TooPrecise),
    );
    check_error(
        &with_item(chat(json!({"input_tokens": 1e13, "output_tokens": 2}))),
        "items[0].rates.input_tokens",
        Rate(RateError::TooLarge),
    );
    let error = parse_document(&with_item(chat(
        json!({"input_tokens": "1", "output_tokens": 2}),
    )))
    .unwrap_err();
    assert_eq!(error.param(), "items[0].rates.input_tokens");
    assert!(error.is_invalid_json());

    let item = json!({"action": "chat", "model": "m", "rates": ok_rates});
    check_error(
        &json!({"items": [item, {"action": "custom", "model": "x", "rates": {"units": 1}}, item]})
            .to_string(),
        "items[2].model",
        DuplicateItem { first: 0 },
    );
    // The same model under two actions is two items.
    parse_document(
        &json!({"items": [item, {"action": "embedding", "model": "m", "rates": {"input_tokens": 1}}]}).to_string(),
    )
    .unwrap();
    check_error(
        &with_item(json!({"action": "chat", "model": "m", "rates": ok_rates, "rounding_step": 0})),
        "items[0].rounding_step",
        NotPositive,
    );
    check_error(
        &with_item(json!({"action": "chat", "model": "m", "rates": ok_rates, "minimum": -1})),
        "items[0].minimum",
        Negative,
    );
    check_error(
        &with_item(json!({"action": "chat", "model": "m", "rates": ok_rates, "minimum": 0.0001})),
        "items[0].minimum",
        Amount(tally_core::AmountError::TooPrecise),
    );
}

#[test]
fn bad_tiers_name_the_field() {
    use DocumentErrorKind::*;
    let rates = json!({"input_tokens": 1, "cached_input_tokens": 0.5, "output_tokens": 2});
    let context = |tiers: Value| {
        with_item(json!({"action": "chat", "model": "m", "rates": rates, "context_tiers": tiers}))
    };
    check_error(
        &context(json!([
            {"above_input_tokens": 100, "rates": {"input_tokens": 2, "cached_input_tokens": 1, "output_tokens": 4}},
            {"above_input_tokens": 100, "rates": {"input_tokens": 3, "cached_input_tokens": 1, "output_tokens": 4}}
        ])),
        "items[0].context_tiers[1].above_input_tokens",
        Inconsistent("must be above the previous tier's threshold"),
    );
    let cheaper = context(json!([
        {"above_input_tokens": 100, "rates": {"input_tokens": 0.5, "cached_input_tokens": 1, "output_tokens": 4}}
    ]));
    assert_eq!(
        parse_document(&cheaper).unwrap_err().param(),
        "items[0].context_tiers[0].rates"
    );
    let fewer = context(json!([
        {"above_input_tokens": 100, "rates": {"input_tokens": 2, "output_tokens": 4}}
    ]));
    assert_eq!(
        parse_document(&fewer).unwrap_err().param(),
        "items[0].context_tiers[0].rates"
    );

    let image = |tiers: Value| {
        with_item(
            json!({"action": "image", "model": "m", "default_quality": "low", "tiers": tiers}),
        )
    };
    check_error(&image(json!([])), "items[0].tiers", Empty);
    let smaller_second = image(json!([
        {"name": "big", "max_pixels": 2000000, "prices": {"low": 1}},
        {"name": "small", "max_pixels": 1000000, "prices": {"low": 2}}
    ]));
    assert_eq!(
        parse_document(&smaller_second).unwrap_err().param(),
        "items[0].tiers[1].max_pixels"
    );
    check_error(
        &image(json!([
            {"name": "a", "max_pixels": 1000000, "prices": {"low": 1, "high": 5}},
            {"name": "b", "max_pixels": 2000000, "prices": {"low": 2, "high": 4}}
        ])),
        "items[0].tiers[1].prices.high",
        Inconsistent("is below the same quality's price in the smaller tier before it"),
    );
    check_error(
        &image(json!([{"name": "a", "max_pixels": 1000000, "prices": {"low": 3, "medium": 2}}])),
        "items[0].tiers[0].prices.medium",
        Inconsistent("is below the price of the quality under it"),
    );
    check_error(
        &image(json!([{"name": "a", "max_pixels": 1000000, "prices": {"ultra": 3}}])),
        "items[0].tiers[0].prices.ultra",
        UnknownQuality,
    );
    check_error(
        &image(json!([
            {"name": "a", "max_pixels": 1000000, "prices": {"low": 1, "high": 5}},
            {"name": "b", "max_pixels": 2000000, "prices": {"low": 2}}
        ])),
        "items[0].tiers[1].prices",
        Inconsistent("must offer the same qualities as `tiers[0]`"),
    );
    check_error(
        &image(json!([
            {"name": "a", "max_pixels": 1000000, "prices": {"low": 1}},
            {"name": "a", "max_pixels": 2000000, "prices": {"low": 2}}
        ])),
        "items[0].tiers[1].name",
        DuplicateName,
    );
    check_error(
        &image(json!([{"name": "a", "max_width": 1000, "prices": {"low": 1}}])),
        "items[0].tiers[0].max_pixels",
        Inconsistent("is required unless both `max_width` and `max_height` are given"),
    );
    check_error(
        &with_item(json!({"action": "image", "model": "m",
            "tiers": [{"name": "a", "max_pixels": 1000000, "prices": {"low": 1, "high": 2}}]})),
        "items[0].default_quality",
        Missing,
    );
    check_error(
        &with_item(
            json!({"action": "image", "model": "m", "default_quality": "hd",
            "tiers": [{"name": "a", "max_pixels": 1000000, "prices": {"low": 1}}]}),
        ),
        "items[0].default_quality",
        Inconsistent("is not a quality the tiers price"),
    );
    check_error(
        &with_item(json!({"action": "image", "model": "m", "per_megapixel": 1e-10})),
        "items[0].per_megapixel",
        TooPreciseForMegapixels,
    );
    check_error(
        &with_item(json!({"action": "image", "model": "m", "per_megapixel": 1, "tiers": []})),
        "items[0].tiers",
        Inconsistent("cannot be used with `per_megapixel`"),
    );
    check_error(
        &with_item(json!({"action": "video", "model": "m", "tiers": [
            {"name": "720p", "max_pixels": 921600, "per_second": 100},
            {"name": "1080p", "max_pixels": 2073600, "per_second": 99}
        ]})),
        "items[0].tiers[1].per_second",
        Inconsistent("is below the price of the smaller tier before it"),
    );
    check_error(
        &with_item(json!({"action": "video", "model": "m", "tiers": [
            {"name": "720p", "max_pixels": 921600, "per_second": 100, "fps": 24}
        ]})),
        "items[0].tiers[0].fps",
        UnknownField,
    );
    check_error(
        &with_item(json!({"action": "speech", "model": "m", "rates": {}})),
        "items[0].rates",
        Inconsistent("must price `characters`, `seconds` or both"),
    );
    check_error(
        &with_item(json!({"action": "custom", "model": "m", "rates": {"units": 1, "seconds": 1}})),
        "items[0].rates.seconds",
        UnknownField,
    );
}

#[test]
fn error_messages_read_well() {
    let error = parse_document(&with_item(
        json!({"action": "chat", "model": "m", "rates": {"input_tokens": -1, "output_tokens": 1}}),
    ))
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "rate card: `items[0].rates.input_tokens` is not a valid rate: must not be negative"
    );
}
