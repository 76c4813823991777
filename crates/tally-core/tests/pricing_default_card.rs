//! The default rate card, priced by hand: specific usages against hand-derived costs, the
//! product's claims (a chat is 1-10 credits, premium video 500 or more), and the errors each
//! kind of bad usage gives.

use tally_core::Millicredits;
use tally_core::pricing::{
    Action, Dimension, ItemRates, PricingError, Quality, RateCard, Usage, default_card, price,
};

fn card() -> RateCard {
    default_card()
}

/// A usage from `field=value` pairs (`seconds` in seconds with up to 3 decimals).
fn usage(action: Action, model: &str, fields: &[(&str, &str)]) -> Usage {
    let mut map = serde_json::Map::new();
    map.insert("action".into(), action.as_str().into());
    map.insert("model".into(), model.into());
    for (name, value) in fields {
        let value: serde_json::Value = serde_json::from_str(value)
            .unwrap_or_else(|_| serde_json::Value::String(value.to_string()));
        map.insert(name.to_string(), value);
    }
    Usage::from_json(&serde_json::Value::Object(map)).expect("a well-formed usage")
}

/// Checks `min` and `max` (credits as text) and the exact total behind `max`.
fn check(action: Action, model: &str, fields: &[(&str, &str)], expected: (&str, &str, &str)) {
    let card = card();
    let usage = usage(action, model, fields);
    let price = price(&card, &usage).unwrap_or_else(|error| panic!("{model} {fields:?}: {error}"));
    let (min, max, exact) = expected;
    let actual = (
        price.min().to_string(),
        price.max().to_string(),
        price.exact_max().to_string(),
    );
    assert_eq!(
        (actual.0.as_str(), actual.1.as_str(), actual.2.as_str()),
        (min, max, exact),
        "{model} {fields:?}"
    );
}

fn check_error(action: Action, model: &str, fields: &[(&str, &str)], expected: PricingError) {
    let card = card();
    let usage = usage(action, model, fields);
    assert_eq!(price(&card, &usage), Err(expected), "{model} {fields:?}");
}

#[test]
fn chat_prices() {
    use Action::Chat;
    let typical = [("input_tokens", "1000"), ("output_tokens", "300")];
    // 1000 × 0.00015 + 300 × 0.0006 = 0.33, rounded up to 1.
    check(Chat, "gpt-4o-mini", &typical, ("1", "1", "0.33"));
    // 1000 × 0.0025 + 300 × 0.01 = 5.5 → 6.
    check(Chat, "gpt-4o", &typical, ("6", "6", "5.5"));
    // 1000 × 0.001 + 300 × 0.005 = 2.5 → 3.
    check(Chat, "claude-haiku-4-5", &typical, ("3", "3", "2.5"));
    // 1000 × 0.003 + 300 × 0.015 = 7.5 → 8.
    check(Chat, "claude-sonnet-4-5", &typical, ("8", "8", "7.5"));
    // 1000 × 0.0003 + 300 × 0.0025 = 1.05 → 2.
    check(Chat, "gemini-2.5-flash", &typical, ("2", "2", "1.05"));
    // 1000 × 0.00125 + 300 × 0.01 = 4.25 → 5.
    check(Chat, "gemini-2.5-pro", &typical, ("5", "5", "4.25"));

    // API.md's example: 1200 × 0.0025 + 0 + 350 × 0.01 = 6.5 → 7.
    let example = [
        ("input_tokens", "1200"),
        ("cached_input_tokens", "0"),
        ("output_tokens", "350"),
    ];
    check(Chat, "gpt-4o", &example, ("7", "7", "6.5"));
    // With an upper bound: min 1200 × 0.0025 = 3; max 3 + 4096 × 0.01 = 43.96 → 44.
    let bounded = [("input_tokens", "1200"), ("max_output_tokens", "4096")];
    check(Chat, "gpt-4o", &bounded, ("3", "44", "43.96"));
    // output_tokens is exact: max_output_tokens is then ignored.
    let both = [
        ("input_tokens", "1200"),
        ("output_tokens", "350"),
        ("max_output_tokens", "4096"),
    ];
    check(Chat, "gpt-4o", &both, ("7", "7", "6.5"));
    // Cached input: 10000 × 0.00015 + 5000 × 0.000075 + 1000 × 0.0006 = 2.475 → 3.
    let cached = [
        ("input_tokens", "10000"),
        ("cached_input_tokens", "5000"),
        ("output_tokens", "1000"),
    ];
    check(Chat, "gpt-4o-mini", &cached, ("3", "3", "2.475"));
}

#[test]
fn long_context_prices_the_whole_request_at_the_higher_rate() {
    use Action::Chat;
    // At the threshold (not above): 200000 × 0.003 + 1000 × 0.015 = 615.
    let at = [("input_tokens", "200000"), ("output_tokens", "1000")];
    check(Chat, "claude-sonnet-4-5", &at, ("615", "615", "615"));
    // Above: 250000 × 0.006 + 1000 × 0.0225 = 1522.5 → 1523.
    let above = [("input_tokens", "250000"), ("output_tokens", "1000")];
    check(
        Chat,
        "claude-sonnet-4-5",
        &above,
        ("1523", "1523", "1522.5"),
    );
    // Cached tokens count toward the threshold: 150000 + 60000 = 210000 > 200000, so
    // 150000 × 0.0025 + 60000 × 0.00025 + 2000 × 0.015 = 375 + 15 + 30 = 420.
    let cached = [
        ("input_tokens", "150000"),
        ("cached_input_tokens", "60000"),
        ("output_tokens", "2000"),
    ];
    check(Chat, "gemini-2.5-pro", &cached, ("420", "420", "420"));
    // 200001 input tokens: 200001 × 0.0025 = 500.0025 → 501.
    let just_above = [("input_tokens", "200001"), ("output_tokens", "0")];
    check(
        Chat,
        "gemini-2.5-pro",
        &just_above,
        ("501", "501", "500.0025"),
    );
}

#[test]
fn embedding_prices() {
    use Action::Embedding;
    // 50000 × 0.00002 = 1 exactly (step 0.1).
    check(
        Embedding,
        "text-embedding-3-small",
        &[("input_tokens", "50000")],
        ("1", "1", "1"),
    );
    // 1000 × 0.00002 = 0.02, raised to the 0.1 minimum.
    check(
        Embedding,
        "text-embedding-3-small",
        &[("input_tokens", "1000")],
        ("0.1", "0.1", "0.02"),
    );
    // 12345 × 0.00013 = 1.60485 → 1.7 (step 0.1).
    check(
        Embedding,
        "text-embedding-3-large",
        &[("input_tokens", "12345")],
        ("1.7", "1.7", "1.60485"),
    );
}

#[test]
fn image_prices() {
    use Action::Image;
    let square = [("width", "1024"), ("height", "1024")];
    let with = |quality: &'static str| [square[0], square[1], ("quality", quality)];
    check(Image, "gpt-image-1", &with("low"), ("11", "11", "11"));
    check(Image, "gpt-image-1", &with("medium"), ("42", "42", "42"));
    check(Image, "gpt-image-1", &with("high"), ("167", "167", "167"));
    // No quality: the item's default (high).
    check(Image, "gpt-image-1", &square, ("167", "167", "167"));
    // A smaller size is priced at the smallest tier that covers it.
    check(
        Image,
        "gpt-image-1",
        &[("width", "512"), ("height", "512"), ("quality", "low")],
        ("11", "11", "11"),
    );
    // Portrait, two images: 2 × 63.
    let portrait = [
        ("width", "1024"),
        ("height", "1536"),
        ("quality", "medium"),
        ("count", "2"),
    ];
    check(Image, "gpt-image-1", &portrait, ("126", "126", "126"));
    // 1100 wide fits only the landscape tier.
    let wide = [("width", "1100"), ("height", "1000"), ("quality", "high")];
    check(Image, "gpt-image-1", &wide, ("250", "250", "250"));
    // nano-banana-2 (Google's Gemini 3.1 Flash Image at fal.ai) by output resolution, 0.5K
    // to 4K, each tier capped at its widest output (21:9: 1584×672 at 1K, twice the sides at
    // 2K, four times at 4K): a 256×256 thumbnail is the 0.5K price, 3840×2160, 4096×4096 and
    // 5504×3072 the 4K price.
    let size = |width: &'static str, height: &'static str| [("width", width), ("height", height)];
    check(
        Image,
        "nano-banana-2",
        &size("256", "256"),
        ("60", "60", "60"),
    );
    check(
        Image,
        "nano-banana-2",
        &size("1024", "1024"),
        ("80", "80", "80"),
    );
    check(
        Image,
        "nano-banana-2",
        &size("1536", "2752"),
        ("120", "120", "120"),
    );
    check(
        Image,
        "nano-banana-2",
        &size("3840", "2160"),
        ("160", "160", "160"),
    );
    check(
        Image,
        "nano-banana-2",
        &size("4096", "4096"),
        ("160", "160", "160"),
    );
    // Per megapixel: 1024 × 1024 = 1.048576 MP × 40 = 41.94304 → 42.
    check(Image, "flux-pro-1.1", &square, ("42", "42", "41.94304"));
    // 2 × 1440 × 1440 = 4.1472 MP × 40 = 165.888 → 166.
    let large = [("width", "1440"), ("height", "1440"), ("count", "2")];
    check(Image, "flux-pro-1.1", &large, ("166", "166", "165.888"));
}

#[test]
fn video_prices() {
    use Action::Video;
    let hd = [("seconds", "8"), ("width", "1920"), ("height", "1080")];
    let sd = [("seconds", "8"), ("width", "1280"), ("height", "720")];
    check(Video, "veo-3", &hd, ("3200", "3200", "3200"));
    check(Video, "sora-2", &sd, ("800", "800", "800"));
    check(Video, "sora-2-pro", &sd, ("2400", "2400", "2400"));
    // Portrait high-res: 1024 × 1792 pixels fall in the 1024p tier, 8 × 500.
    let tall = [("seconds", "8"), ("width", "1024"), ("height", "1792")];
    check(Video, "sora-2-pro", &tall, ("4000", "4000", "4000"));
    // API.md: 1920×1080 on a 720p/1080p/4K model is priced at 1080p: 8 × 120.
    check(Video, "veo-3.1-fast", &hd, ("960", "960", "960"));
    check(Video, "veo-3.1-fast", &sd, ("800", "800", "800"));
    let uhd = [("seconds", "8"), ("width", "3840"), ("height", "2160")];
    check(Video, "veo-3.1-fast", &uhd, ("2400", "2400", "2400"));
    // Milliseconds are exact: 4.5 × 100 and 8.125 × 600.
    let short = [("seconds", "4.5"), ("width", "1280"), ("height", "720")];
    check(Video, "veo-3.1-fast", &short, ("450", "450", "450"));
    let odd = [("seconds", "8.125"), ("width", "3840"), ("height", "2160")];
    check(Video, "veo-3.1", &odd, ("4875", "4875", "4875"));
    // 0.001 s × 100 = 0.1 credits, rounded up to 1.
    let blip = [("seconds", "0.001"), ("width", "1280"), ("height", "720")];
    check(Video, "sora-2", &blip, ("1", "1", "0.1"));
}

#[test]
fn speech_and_custom_prices() {
    use Action::{Custom, Speech};
    // 900 × 0.015 = 13.5 → 14.
    check(
        Speech,
        "tts-1",
        &[("characters", "900")],
        ("14", "14", "13.5"),
    );
    check(
        Speech,
        "tts-1-hd",
        &[("characters", "900")],
        ("27", "27", "27"),
    );
    // 60 × 0.1 = 6; 61.5 × 0.1 = 6.15 → 7.
    check(Speech, "whisper-1", &[("seconds", "60")], ("6", "6", "6"));
    check(
        Speech,
        "whisper-1",
        &[("seconds", "61.5")],
        ("7", "7", "6.15"),
    );
    check(Custom, "web-search", &[("units", "3")], ("30", "30", "30"));
    check(
        Custom,
        "code-interpreter",
        &[("units", "2")],
        ("60", "60", "60"),
    );
    check(Custom, "workflow-step", &[("units", "1")], ("1", "1", "1"));
    // Zero units cost the minimum.
    check(Custom, "workflow-step", &[("units", "0")], ("1", "1", "0"));
}

#[test]
fn lines_explain_the_cost() {
    let card = card();
    let usage = usage(
        Action::Chat,
        "gpt-4o",
        &[
            ("input_tokens", "1200"),
            ("cached_input_tokens", "0"),
            ("max_output_tokens", "4096"),
        ],
    );
    let price = price(&card, &usage).unwrap();
    let lines = serde_json::json!([
        {"dimension": "input_tokens", "quantity": 1200, "unit_price": "0.0025", "amount": "3"},
        {"dimension": "cached_input_tokens", "quantity": 0, "unit_price": "0.00125", "amount": "0"},
        {"dimension": "output_tokens", "quantity": 4096, "unit_price": "0.01", "amount": "40.96", "upper_bound": true},
        {"dimension": "rounding", "quantity": 1, "unit_price": "0.04", "amount": "0.04"}
    ]);
    assert_eq!(price.lines_json().to_string(), lines.to_string());

    let usage = usage_image();
    let price = tally_core::pricing::price(&card, &usage).unwrap();
    let lines = serde_json::json!([
        {"dimension": "images", "quantity": 2, "unit_price": "250", "amount": "500", "tier": "1536x1024", "quality": "high"}
    ]);
    assert_eq!(price.lines_json().to_string(), lines.to_string());

    let long = self::usage(
        Action::Chat,
        "claude-sonnet-4-5",
        &[("input_tokens", "250000"), ("output_tokens", "0")],
    );
    let price = tally_core::pricing::price(&card, &long).unwrap();
    assert_eq!(
        price.lines()[0].to_json()["tier"],
        "above_200000_input_tokens"
    );

    // 10 × 0.00002 = 0.0002, rounded up to the 0.1 step (which is also the minimum).
    let tiny = self::usage(
        Action::Embedding,
        "text-embedding-3-small",
        &[("input_tokens", "10")],
    );
    let price = tally_core::pricing::price(&card, &tiny).unwrap();
    let last = price.lines().last().unwrap();
    assert_eq!(
        (last.dimension, last.amount.to_string()),
        (Dimension::Rounding, "0.0998".to_string())
    );
    // Nothing to round: the minimum alone decides.
    let empty = self::usage(
        Action::Embedding,
        "text-embedding-3-small",
        &[("input_tokens", "0")],
    );
    let price = tally_core::pricing::price(&card, &empty).unwrap();
    let last = price.lines().last().unwrap();
    assert_eq!(
        (last.dimension, last.amount.to_string()),
        (Dimension::Minimum, "0.1".to_string())
    );
}

fn usage_image() -> Usage {
    let mut usage = Usage::new(Action::Image, "gpt-image-1");
    usage.width = Some(1536);
    usage.height = Some(1024);
    usage.quality = Some(Quality::High);
    usage.count = Some(2);
    usage
}

#[test]
fn a_typical_chat_costs_1_to_10_credits_on_every_chat_model() {
    let card = card();
    let mut models = 0;
    for item in card.items() {
        if !matches!(item.rates(), ItemRates::Chat(_)) {
            continue;
        }
        models += 1;
        let mut usage = Usage::new(Action::Chat, item.model());
        usage.input_tokens = Some(1_000);
        usage.output_tokens = Some(300);
        let cost = price(&card, &usage).unwrap().max();
        assert!(
            (Millicredits::from_credits(1)..=Millicredits::from_credits(10)).contains(&cost),
            "{}: {cost}",
            item.model()
        );
    }
    assert!(models >= 6);
}

#[test]
fn a_premium_model_costs_more_than_a_fast_one() {
    let card = card();
    let cost = |model: &str| {
        let mut usage = Usage::new(Action::Chat, model);
        usage.input_tokens = Some(1_000);
        usage.output_tokens = Some(300);
        price(&card, &usage).unwrap().exact_max()
    };
    for (premium, fast) in [
        ("gpt-4o", "gpt-4o-mini"),
        ("claude-sonnet-4-5", "claude-haiku-4-5"),
        ("gemini-2.5-pro", "gemini-2.5-flash"),
    ] {
        assert!(cost(premium) > cost(fast), "{premium} vs {fast}");
    }
}

#[test]
fn an_8_second_video_costs_500_credits_or_more_on_every_video_model() {
    let card = card();
    let mut models = 0;
    for item in card.items() {
        let ItemRates::Video(video) = item.rates() else {
            continue;
        };
        models += 1;
        // Even the smallest tier, at a small size.
        let smallest = &video.tiers()[0];
        let mut usage = Usage::new(Action::Video, item.model());
        usage.duration_ms = Some(8_000);
        usage.width = Some(640);
        usage.height = Some(360);
        let price = price(&card, &usage).unwrap();
        assert_eq!(
            price.lines()[0].tier,
            Some(tally_core::pricing::Tier::Size {
                name: smallest.name()
            })
        );
        assert!(
            price.max() >= Millicredits::from_credits(500),
            "{}: {}",
            item.model(),
            price.max()
        );
    }
    assert!(models >= 3);
}

#[test]
fn bad_usages_name_their_field() {
    use Action::{Chat, Custom, Embedding, Image, Speech, Video};
    check_error(
        Chat,
        "gpt-5",
        &[("input_tokens", "1"), ("output_tokens", "1")],
        PricingError::UnknownModel {
            action: Chat,
            model: "gpt-5".into(),
        },
    );
    // A model is priced per action: gpt-4o has no embedding rate.
    check_error(
        Embedding,
        "gpt-4o",
        &[("input_tokens", "1")],
        PricingError::UnknownModel {
            action: Embedding,
            model: "gpt-4o".into(),
        },
    );
    check_error(
        Embedding,
        "text-embedding-3-small",
        &[("input_tokens", "1"), ("output_tokens", "1")],
        PricingError::UnexpectedDimension {
            action: Embedding,
            param: "output_tokens",
        },
    );
    check_error(
        Chat,
        "gpt-4o",
        &[("output_tokens", "1")],
        PricingError::MissingDimension {
            action: Chat,
            param: "input_tokens",
        },
    );
    check_error(
        Chat,
        "gpt-4o",
        &[("input_tokens", "1")],
        PricingError::MissingDimension {
            action: Chat,
            param: "output_tokens",
        },
    );
    check_error(
        Chat,
        "gpt-4o",
        &[
            ("input_tokens", "1"),
            ("width", "5"),
            ("output_tokens", "1"),
        ],
        PricingError::UnexpectedDimension {
            action: Chat,
            param: "width",
        },
    );
    check_error(
        Chat,
        "gpt-4o",
        &[
            ("input_tokens", "18446744073709551615"),
            ("output_tokens", "1"),
        ],
        PricingError::QuantityOutOfRange {
            param: "input_tokens",
            min: 0,
            max: 1_000_000_000_000_000,
        },
    );
    check_error(
        Image,
        "gpt-image-1",
        &[("width", "1024"), ("height", "1024"), ("count", "0")],
        PricingError::QuantityOutOfRange {
            param: "count",
            min: 1,
            max: 1_000_000_000_000_000,
        },
    );
    check_error(
        Image,
        "gpt-image-1",
        &[("width", "1024")],
        PricingError::MissingDimension {
            action: Image,
            param: "height",
        },
    );
    check_error(
        Image,
        "gpt-image-1",
        &[("width", "1024"), ("height", "1024"), ("quality", "hd")],
        PricingError::UnsupportedQuality {
            quality: Quality::Hd,
        },
    );
    check_error(
        Image,
        "gpt-image-1",
        &[("width", "1536"), ("height", "1536")],
        PricingError::SizeNotCovered {
            param: "width",
            width: 1536,
            height: 1536,
            largest: "1024x1536 or 1536x1024".into(),
        },
    );
    check_error(
        Image,
        "gpt-image-1",
        &[("width", "1024"), ("height", "2048")],
        PricingError::SizeNotCovered {
            param: "height",
            width: 1024,
            height: 2048,
            largest: "1024x1536 or 1536x1024".into(),
        },
    );
    check_error(
        Image,
        "nano-banana-2",
        &[("width", "6336"), ("height", "2700")],
        PricingError::SizeNotCovered {
            param: "width",
            width: 6336,
            height: 2700,
            largest: "up to 17031168 pixels".into(),
        },
    );
    check_error(
        Image,
        "flux-pro-1.1",
        &[("width", "1024"), ("height", "1024"), ("quality", "high")],
        PricingError::UnsupportedQuality {
            quality: Quality::High,
        },
    );
    check_error(
        Video,
        "sora-2",
        &[("seconds", "8"), ("width", "1920"), ("height", "1080")],
        PricingError::SizeNotCovered {
            param: "width",
            width: 1920,
            height: 1080,
            largest: "up to 921600 pixels".into(),
        },
    );
    check_error(
        Video,
        "veo-3",
        &[("width", "1920"), ("height", "1080")],
        PricingError::MissingDimension {
            action: Video,
            param: "seconds",
        },
    );
    check_error(
        Speech,
        "tts-1",
        &[],
        PricingError::MissingDimension {
            action: Speech,
            param: "characters",
        },
    );
    check_error(
        Speech,
        "whisper-1",
        &[("characters", "10")],
        PricingError::UnpricedDimension {
            param: "characters",
        },
    );
    check_error(
        Custom,
        "web-search",
        &[],
        PricingError::MissingDimension {
            action: Custom,
            param: "units",
        },
    );
    // The largest quantities are refused by range, never overflow: 1e15 units × 10 credits.
    check_error(
        Custom,
        "web-search",
        &[("units", "1000000000000000")],
        PricingError::CostTooLarge { param: "units" },
    );
}

#[test]
fn errors_say_which_api_code_they_are() {
    let unknown = PricingError::UnknownModel {
        action: Action::Chat,
        model: "gpt-9".into(),
    };
    assert!(unknown.is_unknown_model());
    assert_eq!(unknown.param(), "model");
    // It names the model, the action, and where the card's models are listed.
    let text = unknown.to_string();
    assert!(
        text.contains("`gpt-9`") && text.contains("`chat`"),
        "{text}"
    );
    assert!(text.contains("GET /v1/rate-card"), "{text}");
    let quality = PricingError::UnsupportedQuality {
        quality: Quality::Hd,
    };
    assert!(!quality.is_unknown_model());
    assert_eq!(quality.param(), "quality");
    assert_eq!(
        quality.to_string(),
        "quality `hd` is not offered by this model"
    );
}

#[test]
fn the_docs_table_lists_every_default_price() {
    let docs = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/pricing.md"
    ))
    .expect("docs/pricing.md");
    let card = card();
    for item in card.items() {
        let model = format!("`{}`", item.model());
        let rows: Vec<&str> = docs
            .lines()
            .filter(|line| line.starts_with('|') && line.contains(&model))
            .collect();
        assert!(!rows.is_empty(), "docs/pricing.md has no row for {model}");
        let rates: Vec<String> = match item.rates() {
            ItemRates::Chat(chat) => {
                let mut rates = Vec::new();
                for rates_level in std::iter::once(chat.base())
                    .chain(chat.context_tiers().iter().map(|tier| &tier.rates))
                {
                    rates.push(rates_level.input_tokens.to_string());
                    rates.push(rates_level.output_tokens.to_string());
                    rates.extend(rates_level.cached_input_tokens.map(|rate| rate.to_string()));
                }
                rates
            }
            ItemRates::Embedding { input_tokens } => vec![input_tokens.to_string()],
            ItemRates::Image(tally_core::pricing::ImageRates::Tiers { tiers, .. }) => tiers
                .iter()
                .flat_map(|tier| tier.prices().iter().map(|(_, price)| price.to_string()))
                .collect(),
            ItemRates::Image(tally_core::pricing::ImageRates::PerMegapixel {
                per_megapixel,
                ..
            }) => vec![per_megapixel.to_string()],
            ItemRates::Video(video) => video
                .tiers()
                .iter()
                .map(|tier| tier.per_second().to_string())
                .collect(),
            ItemRates::Speech(speech) => speech
                .characters
                .iter()
                .chain(speech.seconds.iter())
                .map(std::string::ToString::to_string)
                .collect(),
            ItemRates::Custom { units } => vec![units.to_string()],
        };
        for rate in rates {
            let cell = format!("| {rate} |");
            assert!(
                rows.iter().any(|row| row.contains(&cell)),
                "docs/pricing.md lists no rate {rate} for {model}"
            );
        }
    }
}

/// The 4K model's prices are the list's: `fal_ai/fal-ai/nano-banana-2`'s
/// `output_cost_per_image_{0.5K,1K,2K,4K}` × 1000 credits per USD, and 4K costs more than a
/// thumbnail.
#[test]
fn the_4k_image_model_prices_what_the_list_says() {
    let list: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/litellm_model_prices.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let entry = &list["fal_ai/fal-ai/nano-banana-2"];
    let card = card();
    let priced = |width: u64, height: u64| {
        let mut usage = Usage::new(Action::Image, "nano-banana-2");
        usage.width = Some(width);
        usage.height = Some(height);
        price(&card, &usage).unwrap()
    };
    for (resolution, side) in [("0.5K", 512u64), ("1K", 1024), ("2K", 2048), ("4K", 4096)] {
        let usd = entry[format!("output_cost_per_image_{resolution}")].to_string();
        // USD with at most 3 fraction digits × 1000 is a whole number of credits.
        let (whole, fraction) = usd.split_once('.').unwrap_or((&usd, ""));
        assert!(fraction.len() <= 3, "{usd}");
        let credits: i64 = format!("{whole}{fraction:0<3}").parse().unwrap();
        let price = priced(side, side);
        assert_eq!(
            price.max(),
            Millicredits::from_credits(credits),
            "{resolution}"
        );
        assert_eq!(
            price.lines()[0].tier,
            Some(tally_core::pricing::Tier::Size { name: resolution }),
        );
    }
    assert!(priced(3840, 2160).max() > priced(256, 256).max());
}
