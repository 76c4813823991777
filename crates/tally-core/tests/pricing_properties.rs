//! Properties of pricing over random usages on the default card and on random valid cards:
//! monotonicity, `min <= max` bounds, rounding applied once, lines that add up, no panic and no
//! overflow anywhere in the descriptor space, and exact document round trips.

use proptest::prelude::*;
use proptest::sample::select;
use tally_core::Millicredits;
use tally_core::amount::AMOUNT_MILLICREDITS_MAX;
use tally_core::pricing::{
    Action, CreditRate, DEFAULT_CARD_JSON, Dimension, FEMTOCREDITS_PER_MILLICREDIT, Field,
    ImageRates, ItemRates, PricingError, QUANTITY_MAX, Quality, Quantity, RateCard, RateItem,
    SIDE_PIXELS_MAX, Usage, default_card, parse_card, parse_document, price, to_json,
};

// ---------------------------------------------------------------------------------------------
// Checking one price.

/// Everything a price must satisfy, whatever the usage: bounds, one rounding, lines that add
/// up exactly, determinism.
fn check_price(card: &RateCard, usage: &Usage) -> Result<(), TestCaseError> {
    let Ok(priced) = price(card, usage) else {
        return Ok(());
    };
    let item = card
        .item(usage.action, &usage.model)
        .expect("priced, so the item exists");
    prop_assert!(Millicredits::ZERO <= priced.min());
    prop_assert!(priced.min() <= priced.max());
    prop_assert!(priced.max().get() <= AMOUNT_MILLICREDITS_MAX);
    prop_assert!(priced.exact_min() <= priced.exact_max());
    if usage.is_exact() {
        prop_assert_eq!(priced.min(), priced.max());
    }
    // Rounding is applied once, to the exact total: cost = max(minimum, ceil_to_step(total)).
    let step = i128::from(item.rounding_step().get()) * FEMTOCREDITS_PER_MILLICREDIT;
    let minimum = i128::from(item.minimum().get()) * FEMTOCREDITS_PER_MILLICREDIT;
    for (exact, cost) in [
        (priced.exact_min().get(), priced.min()),
        (priced.exact_max().get(), priced.max()),
    ] {
        let cost = i128::from(cost.get()) * FEMTOCREDITS_PER_MILLICREDIT;
        let rounded = (exact + step - 1) / step * step;
        prop_assert_eq!(cost, rounded.max(minimum));
        prop_assert!(cost >= exact, "never undercharges");
        if cost > minimum {
            prop_assert!(cost - exact < step, "overcharges by less than one step");
        }
    }
    // Every line is quantity × unit price, and the lines add up to max exactly.
    let mut sum = 0i128;
    let mut dimension_sum = 0i128;
    let mut exact_sum = 0i128;
    for line in priced.lines() {
        let (quantity, scale) = match line.quantity {
            Quantity::Count(count) => (count, 1),
            Quantity::Milliseconds(duration_ms) => (duration_ms, 1_000),
            Quantity::Pixels(pixels) => (pixels, 1_000_000),
        };
        prop_assert_eq!(
            i128::from(quantity) * line.unit_price.get(),
            line.amount.get() * scale
        );
        sum += line.amount.get();
        if !matches!(line.dimension, Dimension::Rounding | Dimension::Minimum) {
            dimension_sum += line.amount.get();
            if !line.upper_bound {
                exact_sum += line.amount.get();
            }
        }
    }
    prop_assert_eq!(
        sum,
        i128::from(priced.max().get()) * FEMTOCREDITS_PER_MILLICREDIT
    );
    prop_assert_eq!(dimension_sum, priced.exact_max().get());
    prop_assert_eq!(exact_sum, priced.exact_min().get());
    // Deterministic: the same usage on the same card (or an equal copy) gives the same price.
    let copy = card.clone();
    prop_assert_eq!(price(&copy, usage), Ok(priced));
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Usages that fit an item.

/// A quantity of varied magnitude: small, medium, large, up to the limit.
fn pick(seed: u64) -> u64 {
    match seed % 5 {
        0 => seed % 1_000,
        1 => seed % 300_000,
        2 => seed % 1_000_000_000,
        3 => seed % 1_000_000_000_000,
        _ => seed % (QUANTITY_MAX + 1),
    }
}

fn side(seed: u64, largest: u64) -> u64 {
    1 + seed % largest
}

/// A usage that the item can price (mostly: sizes may fall beyond the largest tier).
fn usage_for(item: &RateItem, seeds: [u64; 8]) -> Usage {
    let mut usage = Usage::new(item.action(), item.model());
    match item.rates() {
        ItemRates::Chat(_) => {
            usage.input_tokens = Some(pick(seeds[0]));
            if !seeds[1].is_multiple_of(3) {
                usage.cached_input_tokens = Some(pick(seeds[1] / 3));
            }
            match seeds[2] % 3 {
                0 => usage.output_tokens = Some(pick(seeds[3])),
                1 => usage.max_output_tokens = Some(pick(seeds[3])),
                _ => {
                    usage.output_tokens = Some(pick(seeds[3]));
                    usage.max_output_tokens = Some(pick(seeds[4]));
                }
            }
        }
        ItemRates::Embedding { .. } => usage.input_tokens = Some(pick(seeds[0])),
        ItemRates::Image(rates) => {
            usage.width = Some(side(seeds[0], 4_000));
            usage.height = Some(side(seeds[1], 4_000));
            if seeds[2].is_multiple_of(2) {
                usage.count = Some(1 + seeds[3] % 10);
            }
            if let ImageRates::Tiers { tiers, .. } = rates {
                let offered: Vec<Quality> = tiers[0].prices().iter().map(|(q, _)| q).collect();
                if !seeds[4].is_multiple_of(3) {
                    usage.quality = Some(offered[(seeds[5] as usize) % offered.len()]);
                }
            }
        }
        ItemRates::Video(_) => {
            usage.duration_ms = Some(seeds[0] % 100_000_000);
            usage.width = Some(side(seeds[1], 5_000));
            usage.height = Some(side(seeds[2], 5_000));
        }
        ItemRates::Speech(rates) => {
            if rates.characters.is_some() {
                usage.characters = Some(pick(seeds[0]));
            }
            if rates.seconds.is_some() && (rates.characters.is_none() || seeds[1].is_multiple_of(2))
            {
                usage.duration_ms = Some(seeds[2] % 1_000_000_000);
            }
        }
        ItemRates::Custom { .. } => usage.units = Some(pick(seeds[0])),
    }
    usage
}

/// The usage with one quantity made larger (or the quality one rung higher), each way it can.
fn bumps(usage: &Usage, delta: u64) -> Vec<(Field, Usage)> {
    let mut bumped = Vec::new();
    for field in Field::ALL {
        if !field.actions().contains(&usage.action) {
            continue;
        }
        let mut more = usage.clone();
        let slot = match field {
            Field::InputTokens => &mut more.input_tokens,
            Field::CachedInputTokens => &mut more.cached_input_tokens,
            Field::OutputTokens => &mut more.output_tokens,
            Field::MaxOutputTokens => &mut more.max_output_tokens,
            Field::Width => &mut more.width,
            Field::Height => &mut more.height,
            Field::Count => &mut more.count,
            Field::Seconds => &mut more.duration_ms,
            Field::Characters => &mut more.characters,
            Field::Units => &mut more.units,
            Field::Quality => {
                if let Some(higher) = usage.quality.and_then(Quality::next_higher) {
                    more.quality = Some(higher);
                    bumped.push((field, more));
                }
                continue;
            }
        };
        // An absent quantity counts as zero (one image for `count`), except where it changes
        // which dimensions the model is asked to price.
        let current = match (field, *slot) {
            (_, Some(value)) => value,
            (Field::Count, None) => 1,
            (Field::CachedInputTokens, None) => 0,
            _ => continue,
        };
        *slot = Some(current.saturating_add(delta));
        bumped.push((field, more));
    }
    bumped
}

/// More of anything never costs less; a size beyond every tier stays beyond when it grows.
fn check_monotone(card: &RateCard, usage: &Usage, delta: u64) -> Result<(), TestCaseError> {
    let base = price(card, usage);
    for (field, more) in bumps(usage, delta) {
        let bigger = price(card, &more);
        match (&base, &bigger) {
            (Ok(base), Ok(bigger)) => {
                prop_assert!(bigger.max() >= base.max(), "{field}: {usage:?} -> {more:?}");
                prop_assert!(bigger.min() >= base.min(), "{field}: {usage:?} -> {more:?}");
                prop_assert!(bigger.exact_max() >= base.exact_max());
            }
            // Growing past a limit is refused, and so is a rung the model does not offer.
            (Ok(_), Err(error)) => prop_assert!(
                matches!(
                    error,
                    PricingError::QuantityOutOfRange { .. }
                        | PricingError::SizeNotCovered { .. }
                        | PricingError::CostTooLarge { .. }
                ) || (field == Field::Quality
                    && matches!(error, PricingError::UnsupportedQuality { .. })),
                "{field}: {error}"
            ),
            (Err(PricingError::SizeNotCovered { .. }), _) => {
                prop_assert!(bigger.is_err(), "{field}: a larger size became coverable");
            }
            _ => {}
        }
    }
    Ok(())
}

/// A usage with `max_output_tokens` bounds every actual usage within it.
fn check_bounds(card: &RateCard, usage: &Usage, actual_seed: u64) -> Result<(), TestCaseError> {
    let Some(bound) = usage.max_output_tokens else {
        return Ok(());
    };
    let mut open = usage.clone();
    open.output_tokens = None;
    let Ok(range) = price(card, &open) else {
        return Ok(());
    };
    let mut actual = open.clone();
    actual.max_output_tokens = None;
    for output_tokens in [0, bound, actual_seed % (bound + 1)] {
        actual.output_tokens = Some(output_tokens);
        let cost = price(card, &actual).expect("within the bound, as priceable as the bound");
        prop_assert_eq!(cost.min(), cost.max());
        prop_assert!(range.min() <= cost.max() && cost.max() <= range.max());
    }
    // Exact usage at both ends gives the range's ends.
    actual.output_tokens = Some(0);
    prop_assert_eq!(price(card, &actual).unwrap().max(), range.min());
    actual.output_tokens = Some(bound);
    prop_assert_eq!(price(card, &actual).unwrap().max(), range.max());
    Ok(())
}

fn check_item(card: &RateCard, index: usize, seeds: [u64; 8]) -> Result<(), TestCaseError> {
    let item = &card.items()[index % card.items().len()];
    let usage = usage_for(item, seeds);
    check_price(card, &usage)?;
    for delta in [1, seeds[6] % 1_000 + 1, pick(seeds[7])] {
        check_monotone(card, &usage, delta)?;
        for (_, more) in bumps(&usage, delta) {
            check_price(card, &more)?;
        }
    }
    check_bounds(card, &usage, seeds[6])
}

// ---------------------------------------------------------------------------------------------
// Random valid cards, written with numbers in random JSON forms.

/// Picocredits written as credits in one of several exact JSON forms.
fn number_text(picocredits: i128, form: u8) -> String {
    let plain = CreditRate::from_picocredits(picocredits)
        .expect("a rate in range")
        .to_string();
    if picocredits == 0 {
        return ["0", "0.0", "0e5", "0E-3"][usize::from(form % 4)].to_string();
    }
    let digits = picocredits.to_string();
    let significant = digits.trim_end_matches('0');
    let zeros = (digits.len() - significant.len()) as i64;
    let exponent = zeros - 12;
    match form % 4 {
        0 => plain,
        1 if plain.contains('.') => format!("{plain}00"),
        1 => format!("{plain}.000"),
        2 => format!("{significant}e{exponent}"),
        _ => {
            let (head, tail) = significant.split_at(1);
            let exponent = exponent + tail.len() as i64;
            let sign = if exponent >= 0 { "+" } else { "" };
            if tail.is_empty() {
                format!("{head}E{sign}{exponent}")
            } else {
                format!("{head}.{tail}E{sign}{exponent}")
            }
        }
    }
}

#[derive(Clone, Debug)]
enum ItemSpec {
    Chat {
        base: [i128; 3],
        cached: bool,
        tiers: Vec<(u64, [i128; 3])>,
    },
    Embedding(i128),
    ImageTiers {
        qualities: Vec<Quality>,
        default: usize,
        quality_step: i128,
        /// (side increment, price increment, bound by sides or by pixels)
        tiers: Vec<(u64, i128, bool)>,
    },
    Megapixel {
        nanocredits: i128,
        max_side: Option<u64>,
    },
    Video(Vec<(u64, i128)>),
    Speech(Option<i128>, Option<i128>),
    Custom(i128),
}

#[derive(Clone, Debug)]
struct CardSpec {
    /// (item, minimum in millicredits, rounding step in millicredits)
    items: Vec<(ItemSpec, i64, i64)>,
}

fn rate() -> impl Strategy<Value = i128> {
    prop_oneof![
        Just(0i128),
        1i128..=1_000_000,
        1i128..=1_000_000_000_000,
        1i128..=1_000_000_000_000_000,
    ]
}

fn quality_set() -> impl Strategy<Value = Vec<Quality>> {
    proptest::sample::subsequence(Quality::ALL.to_vec(), 1..=5)
}

fn item_spec() -> impl Strategy<Value = ItemSpec> {
    prop_oneof![
        (
            [rate(), rate(), rate()],
            any::<bool>(),
            prop::collection::vec((1u64..500_000, [rate(), rate(), rate()]), 0..3)
        )
            .prop_map(|(base, cached, tiers)| ItemSpec::Chat {
                base,
                cached,
                tiers
            }),
        rate().prop_map(ItemSpec::Embedding),
        (
            quality_set(),
            any::<usize>(),
            rate(),
            prop::collection::vec((0u64..2_000, rate(), any::<bool>()), 1..4)
        )
            .prop_map(
                |(qualities, default, quality_step, tiers)| ItemSpec::ImageTiers {
                    default: default % qualities.len(),
                    qualities,
                    quality_step,
                    tiers
                }
            ),
        (0i128..=1_000_000_000, prop::option::of(1u64..5_000)).prop_map(
            |(nanocredits, max_side)| ItemSpec::Megapixel {
                nanocredits,
                max_side
            }
        ),
        prop::collection::vec((1u64..5_000_000, rate()), 1..4).prop_map(ItemSpec::Video),
        (prop::option::of(rate()), prop::option::of(rate()))
            .prop_filter("speech prices something", |(a, b)| a.is_some()
                || b.is_some())
            .prop_map(|(characters, seconds)| ItemSpec::Speech(characters, seconds)),
        rate().prop_map(ItemSpec::Custom),
    ]
}

fn card_spec() -> impl Strategy<Value = CardSpec> {
    prop::collection::vec((item_spec(), 0i64..=5_000, 1i64..=10_000), 1..8)
        .prop_map(|items| CardSpec { items })
}

fn rank(quality: Quality) -> i128 {
    match quality {
        Quality::Low | Quality::Standard => 0,
        Quality::Medium | Quality::Hd => 1,
        Quality::High => 2,
    }
}

/// The spec as document text; `forms` picks how each number is written.
fn render(spec: &CardSpec, forms: &[u8]) -> String {
    let mut next_form = 0usize;
    let mut number = |picocredits: i128| {
        let form = forms[next_form % forms.len()];
        next_form += 1;
        number_text(picocredits, form)
    };
    let mut items = Vec::new();
    for (position, (item, minimum, step)) in spec.items.iter().enumerate() {
        let model = format!("model-{position}");
        let head = format!(
            r#""model": "{model}", "minimum": {}, "rounding_step": {}"#,
            Millicredits::new(*minimum),
            Millicredits::new(*step)
        );
        let body = match item {
            ItemSpec::Chat {
                base,
                cached,
                tiers,
            } => {
                let mut token_rates = |rates: [i128; 3]| {
                    let cached_rate = if *cached {
                        format!(r#", "cached_input_tokens": {}"#, number(rates[1]))
                    } else {
                        String::new()
                    };
                    format!(
                        r#"{{"input_tokens": {}{cached_rate}, "output_tokens": {}}}"#,
                        number(rates[0]),
                        number(rates[2])
                    )
                };
                let mut level = *base;
                let mut above = 0u64;
                let mut rendered_tiers = Vec::new();
                for (threshold_step, increments) in tiers {
                    above += threshold_step;
                    for kind in 0..3 {
                        level[kind] = (level[kind] + increments[kind]).min(1_000_000_000_000_000);
                    }
                    rendered_tiers.push(format!(
                        r#"{{"above_input_tokens": {above}, "rates": {}}}"#,
                        token_rates(level)
                    ));
                }
                format!(
                    r#""action": "chat", "rates": {}, "context_tiers": [{}]"#,
                    token_rates(*base),
                    rendered_tiers.join(", ")
                )
            }
            ItemSpec::Embedding(rate) => format!(
                r#""action": "embedding", "rates": {{"input_tokens": {}}}"#,
                number(*rate)
            ),
            ItemSpec::ImageTiers {
                qualities,
                default,
                quality_step,
                tiers,
            } => {
                let mut side = 256u64;
                let mut base = 0i128;
                let mut rendered = Vec::new();
                for (position, (side_step, price_step, by_sides)) in tiers.iter().enumerate() {
                    side += side_step;
                    base = (base + price_step).min(1_000_000_000_000_000);
                    let bounds = if *by_sides {
                        format!(r#""max_width": {side}, "max_height": {side}"#)
                    } else {
                        format!(r#""max_pixels": {}"#, side * side)
                    };
                    let prices: Vec<String> = qualities
                        .iter()
                        .map(|quality| {
                            format!(
                                r#""{quality}": {}"#,
                                number(base + rank(*quality) * quality_step)
                            )
                        })
                        .collect();
                    rendered.push(format!(
                        r#"{{"name": "tier-{position}", {bounds}, "prices": {{{}}}}}"#,
                        prices.join(", ")
                    ));
                }
                format!(
                    r#""action": "image", "default_quality": "{}", "tiers": [{}]"#,
                    qualities[*default],
                    rendered.join(", ")
                )
            }
            ItemSpec::Megapixel {
                nanocredits,
                max_side,
            } => {
                let bounds = max_side
                    .map(|side| format!(r#", "max_width": {side}, "max_height": {side}"#))
                    .unwrap_or_default();
                format!(
                    r#""action": "image", "per_megapixel": {}{bounds}"#,
                    number(nanocredits * 1_000)
                )
            }
            ItemSpec::Video(tiers) => {
                let mut pixels = 0u64;
                let mut per_second = 0i128;
                let rendered: Vec<String> = tiers
                    .iter()
                    .enumerate()
                    .map(|(position, (pixel_step, price_step))| {
                        pixels += pixel_step;
                        per_second = (per_second + price_step).min(1_000_000_000_000_000);
                        format!(
                            r#"{{"name": "tier-{position}", "max_pixels": {pixels}, "per_second": {}}}"#,
                            number(per_second)
                        )
                    })
                    .collect();
                format!(r#""action": "video", "tiers": [{}]"#, rendered.join(", "))
            }
            ItemSpec::Speech(characters, seconds) => {
                let mut rates = Vec::new();
                if let Some(rate) = characters {
                    rates.push(format!(r#""characters": {}"#, number(*rate)));
                }
                if let Some(rate) = seconds {
                    rates.push(format!(r#""seconds": {}"#, number(*rate)));
                }
                format!(r#""action": "speech", "rates": {{{}}}"#, rates.join(", "))
            }
            ItemSpec::Custom(rate) => format!(
                r#""action": "custom", "rates": {{"units": {}}}"#,
                number(*rate)
            ),
        };
        items.push(format!("{{{head}, {body}}}"));
    }
    format!(
        r#"{{"version": 2, "effective_at": "2026-11-24T12:00:00Z", "items": [{}]}}"#,
        items.join(",\n")
    )
}

fn random_card() -> impl Strategy<Value = (RateCard, String)> {
    (card_spec(), prop::collection::vec(any::<u8>(), 1..16)).prop_map(|(spec, forms)| {
        let text = render(&spec, &forms);
        let card = parse_card(&text).unwrap_or_else(|error| panic!("{error}\n{text}"));
        // The same card written plainly: numbers in every form read the same.
        let plain = parse_card(&render(&spec, &[0])).expect("plain form");
        assert_eq!(card, plain, "{text}");
        (card, text)
    })
}

// ---------------------------------------------------------------------------------------------
// The whole descriptor space.

fn edge_quantity() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(1u64),
        Just(u64::MAX),
        Just(u64::MAX - 1),
        Just(QUANTITY_MAX),
        Just(QUANTITY_MAX + 1),
        Just(SIDE_PIXELS_MAX),
        Just(SIDE_PIXELS_MAX + 1),
        0u64..10_000,
        any::<u64>(),
    ]
}

fn any_usage(models: Vec<String>) -> impl Strategy<Value = Usage> {
    let model = prop_oneof![select(models), "[a-z0-9.-]{0,12}"];
    let quantities = prop::collection::vec(prop::option::weighted(0.6, edge_quantity()), 10);
    (
        select(Action::ALL.to_vec()),
        model,
        quantities,
        prop::option::of(select(Quality::ALL.to_vec())),
    )
        .prop_map(|(action, model, quantities, quality)| {
            let mut usage = Usage::new(action, model);
            usage.input_tokens = quantities[0];
            usage.cached_input_tokens = quantities[1];
            usage.output_tokens = quantities[2];
            usage.max_output_tokens = quantities[3];
            usage.width = quantities[4];
            usage.height = quantities[5];
            usage.count = quantities[6];
            usage.duration_ms = quantities[7];
            usage.characters = quantities[8];
            usage.units = quantities[9];
            usage.quality = quality;
            usage
        })
}

fn default_models() -> Vec<String> {
    default_card()
        .items()
        .iter()
        .map(|item| item.model().to_string())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// More tokens, pixels, seconds, characters, units, images or quality never cost less on
    /// the default card; ranges bound actual usage; rounding is applied once.
    #[test]
    fn default_card_properties(index in any::<usize>(), seeds in any::<[u64; 8]>()) {
        let card = default_card();
        check_item(&card, index, seeds)?;
    }

    /// The same on random valid cards (tiers, context thresholds, qualities, minimums, steps).
    #[test]
    fn random_card_properties((card, _) in random_card(), index in any::<usize>(), seeds in any::<[u64; 8]>()) {
        check_item(&card, index, seeds)?;
    }

    /// No panic and no overflow anywhere in the descriptor space, u64::MAX included; whatever
    /// prices satisfies every invariant.
    #[test]
    fn any_usage_prices_or_fails_cleanly(usage in any_usage(default_models())) {
        let card = default_card();
        check_price(&card, &usage)?;
        if let Err(error) = price(&card, &usage) {
            prop_assert!(!error.param().is_empty());
            prop_assert!(!error.to_string().is_empty());
        }
    }

    #[test]
    fn any_usage_on_a_random_card((card, _) in random_card(), usage in any_usage((0..8).map(|i| format!("model-{i}")).collect())) {
        check_price(&card, &usage)?;
    }

    /// A usage's JSON form reads back as the same usage.
    #[test]
    fn usage_json_round_trips(usage in any_usage(default_models())) {
        // An empty model name is refused by the reader (tested in usage.rs).
        prop_assume!(!usage.model.is_empty());
        let read = Usage::from_json(&usage.to_json());
        prop_assert_eq!(read, Ok(usage));
    }

    /// Document → card → document → card gives equal cards and identical JSON, whatever
    /// form the numbers were written in.
    #[test]
    fn document_round_trips((card, text) in random_card()) {
        let json = to_json(&card);
        let again = parse_card(&json.to_string()).map_err(|error| TestCaseError::fail(format!("{error}\n{text}")))?;
        prop_assert_eq!(&again, &card);
        prop_assert_eq!(to_json(&again), json);
    }

    /// Numbers are read exactly in every form: the parsed rate is the integer written.
    #[test]
    fn exponent_forms_parse_exactly(picocredits in 0i128..=1_000_000_000_000_000_000_000, form in any::<u8>()) {
        let text = number_text(picocredits, form);
        let document = format!(r#"{{"items": [{{"action": "custom", "model": "m", "rates": {{"units": {text}}}}}]}}"#);
        let card = parse_document(&document).unwrap().into_card(1, "t");
        let ItemRates::Custom { units } = card.items()[0].rates() else { unreachable!() };
        prop_assert_eq!(units.picocredits(), picocredits, "{}", text);
    }

    /// The reader never panics, whatever it is given.
    #[test]
    fn parse_never_panics_on_mangled_documents(cut in 0usize..DEFAULT_CARD_JSON.len(), length in 0usize..40, insert in "[\\[\\]{}\",:0-9eE.+-]{0,3}") {
        let end = (cut + length).min(DEFAULT_CARD_JSON.len());
        if DEFAULT_CARD_JSON.is_char_boundary(cut) && DEFAULT_CARD_JSON.is_char_boundary(end) {
            let mangled = format!("{}{insert}{}", &DEFAULT_CARD_JSON[..cut], &DEFAULT_CARD_JSON[end..]);
            let _ = parse_document(&mangled);
        }
    }

    #[test]
    fn parse_never_panics_on_any_text(text in "\\PC{0,200}") {
        let _ = parse_document(&text);
    }
}

#[test]
fn number_forms_are_what_they_claim() {
    assert_eq!(number_text(2_500_000, 0), "0.0000025");
    assert_eq!(number_text(2_500_000, 1), "0.000002500");
    assert_eq!(number_text(2_500_000, 2), "25e-7");
    assert_eq!(number_text(2_500_000, 3), "2.5E-6");
    assert_eq!(number_text(167_000_000_000_000, 3), "1.67E+2");
    assert_eq!(number_text(1_000_000_000_000, 1), "1.000");
}

/// The generators are not vacuous: every item of the default card prices most of the usages
/// made for it, so the properties above are checked on real prices, not on errors.
#[test]
fn generated_usages_mostly_price() {
    let card = default_card();
    // A fixed xorshift sequence: the same seeds on every run.
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for item in card.items() {
        let attempts = 400;
        let priced = (0..attempts)
            .filter(|_| {
                let seeds = [
                    next(),
                    next(),
                    next(),
                    next(),
                    next(),
                    next(),
                    next(),
                    next(),
                ];
                price(&card, &usage_for(item, seeds)).is_ok()
            })
            .count();
        assert!(
            priced * 10 >= attempts,
            "{}: only {priced} of {attempts} generated usages priced",
            item.model()
        );
    }
}
