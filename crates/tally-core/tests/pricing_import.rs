//! The LiteLLM importer over the real price list (`tests/data/litellm_model_prices.json`,
//! with its licence): every key accounted for, counts checked against counts taken from
//! the JSON itself, the document read back and priced, and spot checks whose expected rates
//! are computed here from the list's own USD fields with exact decimals.
//!
//! The list must be there: a missing file fails the test (it never skips).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde_json::{Map, Value};
use tally_core::Decimal;
use tally_core::pricing::{
    Action, CreditRate, ImportOptions, ImportReport, NO_MODE, Quality, RateCard, SkipKind, Usage,
    import_litellm, parse_document_value, price,
};

const LIST: &str = "tests/data/litellm_model_prices.json";

fn list_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(LIST);
        std::fs::read_to_string(&path).unwrap_or_else(|error| {
            panic!(
                "the LiteLLM price list must be at {}: {error}",
                path.display()
            )
        })
    })
}

fn list() -> &'static Map<String, Value> {
    static LIST_JSON: OnceLock<Map<String, Value>> = OnceLock::new();
    LIST_JSON.get_or_init(|| match serde_json::from_str(list_text()) {
        Ok(Value::Object(map)) => map,
        other => panic!("the price list is not a JSON object: {other:?}"),
    })
}

fn options(credits_per_usd: &str, markup: &str, only: Option<&str>) -> ImportOptions {
    ImportOptions {
        credits_per_usd: Decimal::parse(credits_per_usd).unwrap(),
        markup: Decimal::parse(markup).unwrap(),
        only: only.map(str::to_string),
    }
}

fn default_report() -> &'static ImportReport {
    static REPORT: OnceLock<ImportReport> = OnceLock::new();
    REPORT.get_or_init(|| import_litellm(list_text(), &ImportOptions::default()).unwrap())
}

fn card(report: &ImportReport) -> RateCard {
    parse_document_value(&report.document)
        .unwrap_or_else(|error| panic!("the imported document is refused: {error}"))
        .into_card(2, "2026-11-24T00:00:00Z")
}

fn items(report: &ImportReport) -> &Vec<Value> {
    report.document["items"].as_array().unwrap()
}

fn item<'r>(report: &'r ImportReport, action: &str, model: &str) -> &'r Value {
    items(report)
        .iter()
        .find(|item| item["action"] == action && item["model"] == model)
        .unwrap_or_else(|| {
            panic!(
                "no ({action}, {model}) item; skipped: {:?}",
                skipped(report, model)
            )
        })
}

fn skipped<'r>(report: &'r ImportReport, key: &str) -> Option<&'r tally_core::pricing::Skipped> {
    report.skipped.iter().find(|skipped| skipped.key == key)
}

fn entry(key: &str) -> &'static Map<String, Value> {
    match list().get(key) {
        Some(Value::Object(entry)) => entry,
        other => panic!("`{key}` is not an entry of the list: {other:?}"),
    }
}

fn mode_of(entry: &Map<String, Value>) -> String {
    entry
        .get("mode")
        .and_then(Value::as_str)
        .unwrap_or(NO_MODE)
        .to_string()
}

/// A field's USD price, as the list writes it (a JSON number's text).
fn usd(key: &str, field: &str) -> String {
    match entry(key).get(field) {
        Some(Value::Number(number)) => number.to_string(),
        other => panic!("`{key}`.`{field}` is not a number: {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// An exact decimal product, written independently of the importer: digits as a big integer in
// base 10^9 limbs, so any length works.
// ---------------------------------------------------------------------------------------------

fn digits_and_exponent(text: &str) -> (Vec<u8>, i64) {
    let decimal = Decimal::parse(text).unwrap_or_else(|| panic!("{text} is not a decimal"));
    assert!(!decimal.is_negative(), "{text} is negative");
    let (_, digits, exponent) = decimal.parts();
    (digits.bytes().map(|byte| byte - b'0').collect(), exponent)
}

/// `a × b × …` exactly, as plain decimal text.
fn product(factors: &[&str]) -> String {
    let mut digits: Vec<u8> = vec![1];
    let mut exponent = 0i64;
    for factor in factors {
        let (other, other_exponent) = digits_and_exponent(factor);
        if other.is_empty() {
            return "0".into();
        }
        // Schoolbook multiplication on decimal digits.
        let mut result = vec![0u32; digits.len() + other.len()];
        for (i, a) in digits.iter().rev().enumerate() {
            for (j, b) in other.iter().rev().enumerate() {
                result[i + j] += u32::from(*a) * u32::from(*b);
            }
        }
        let mut carry = 0u32;
        for cell in &mut result {
            let value = *cell + carry;
            *cell = value % 10;
            carry = value / 10;
        }
        assert_eq!(carry, 0);
        digits = result.iter().rev().map(|digit| *digit as u8).collect();
        while digits.len() > 1 && digits[0] == 0 {
            digits.remove(0);
        }
        exponent += other_exponent;
    }
    let text: String = digits
        .iter()
        .map(|digit| char::from(b'0' + digit))
        .collect();
    if exponent >= 0 {
        return format!("{text}{}", "0".repeat(exponent as usize));
    }
    let fraction = exponent.unsigned_abs() as usize;
    let padded = format!(
        "{}{text}",
        "0".repeat((fraction + 1).saturating_sub(text.len()))
    );
    let (whole, part) = padded.split_at(padded.len() - fraction);
    format!("{whole}.{part}")
}

/// The card rate a document number stands for.
fn rate_of(value: &Value) -> CreditRate {
    CreditRate::parse(&value.to_string()).unwrap_or_else(|error| panic!("{value}: {error}"))
}

/// The rate `usd × credits_per_usd × markup` must be.
fn expected(usd: &str, credits_per_usd: &str, markup: &str) -> CreditRate {
    let credits = product(&[usd, credits_per_usd, markup]);
    CreditRate::parse(&credits).unwrap_or_else(|error| panic!("{credits}: {error}"))
}

fn usage(action: Action, model: &str, fields: &[(&str, u64)]) -> Usage {
    let mut usage = Usage::new(action, model);
    for (name, value) in fields {
        let value = Some(*value);
        match *name {
            "input_tokens" => usage.input_tokens = value,
            "cached_input_tokens" => usage.cached_input_tokens = value,
            "output_tokens" => usage.output_tokens = value,
            "width" => usage.width = value,
            "height" => usage.height = value,
            "count" => usage.count = value,
            "seconds_ms" => usage.duration_ms = value,
            "characters" => usage.characters = value,
            other => panic!("usage field {other}"),
        }
    }
    usage
}

/// `Σ quantity × rate` in credits, exactly, as the price's exact total must print.
fn exact_total(terms: &[(u64, &str)]) -> String {
    let mut femtocredits: i128 = 0;
    for (quantity, rate) in terms {
        let rate = CreditRate::parse(rate).unwrap();
        femtocredits += i128::from(*quantity) * rate.picocredits() * 1_000;
    }
    tally_core::pricing::Femtocredits::new(femtocredits).to_string()
}

const ACTION_MODES: [&str; 6] = [
    "chat",
    "completion",
    "responses",
    "embedding",
    "image_generation",
    "video_generation",
];
const SPEECH_MODES: [&str; 2] = ["audio_speech", "audio_transcription"];

fn has_cost_field(entry: &Map<String, Value>) -> bool {
    entry.iter().any(|(name, value)| {
        !value.is_null() && (name.contains("cost") || name == "tiered_pricing")
    })
}

// ---------------------------------------------------------------------------------------------
// Every key accounted for
// ---------------------------------------------------------------------------------------------

#[test]
fn every_key_is_accounted_for_and_counts_match_the_json() {
    let report = default_report();
    let list = list();
    println!("{}", report.summary());
    for (kind, count) in report.skipped_by_kind() {
        println!("  skipped, {kind}: {count}");
    }

    // Counted from the JSON alone.
    let mut by_mode: BTreeMap<String, usize> = BTreeMap::new();
    let mut alias_keys = 0;
    let mut non_model = 0;
    for (key, value) in list {
        if key == "sample_spec" || key == "fallback_generalizations" {
            non_model += 1;
            continue;
        }
        let Value::Object(entry) = value else {
            panic!("`{key}` is not an object");
        };
        if entry.contains_key("alias_of") {
            alias_keys += 1;
            continue;
        }
        *by_mode.entry(mode_of(entry)).or_insert(0) += 1;
    }
    assert_eq!(report.total_keys, list.len());
    assert_eq!(report.non_model_keys.len(), non_model);
    assert_eq!(non_model, 2);
    assert_eq!(report.not_selected, 0);

    // imported + skipped + aliases + non-model keys == total keys.
    assert_eq!(
        report.imported_total() + report.skipped.len() + report.aliases_total() + non_model,
        list.len(),
        "{}",
        report.summary()
    );

    // By mode: every non-alias key of a mode is imported or skipped under that mode.
    let mut skipped_by_mode: BTreeMap<String, usize> = BTreeMap::new();
    let mut skipped_aliases = 0;
    for skipped in &report.skipped {
        assert!(!skipped.reason.is_empty(), "{skipped:?}");
        if skipped.alias_of.is_some() {
            skipped_aliases += 1;
        } else {
            *skipped_by_mode.entry(skipped.mode.clone()).or_insert(0) += 1;
        }
    }
    for (mode, count) in &by_mode {
        let imported = report.imported.get(mode).copied().unwrap_or(0);
        let skipped = skipped_by_mode.get(mode).copied().unwrap_or(0);
        assert_eq!(
            imported + skipped,
            *count,
            "mode {mode}: {imported} imported + {skipped} skipped"
        );
    }
    for mode in report.imported.keys().chain(skipped_by_mode.keys()) {
        assert!(by_mode.contains_key(mode), "mode {mode} is not in the list");
    }
    assert_eq!(report.aliases_total() + skipped_aliases, alias_keys);
    assert_eq!(alias_keys, 98);

    // Keys named once: skipped keys are unique, and every key is a non-model key, skipped, an
    // item's model, or an OpenAI-style image key grouped under an item.
    let skipped_keys: BTreeSet<&str> = report.skipped.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(skipped_keys.len(), report.skipped.len());
    let models: BTreeSet<&str> = items(report)
        .iter()
        .map(|item| item["model"].as_str().unwrap())
        .collect();
    let (mut direct, mut grouped) = (0, 0);
    for (key, value) in list {
        let non_model = report.non_model_keys.contains(key);
        if non_model || skipped_keys.contains(key.as_str()) {
            assert!(!(non_model && skipped_keys.contains(key.as_str())), "{key}");
            continue;
        }
        if models.contains(key.as_str()) {
            direct += 1;
            continue;
        }
        assert!(
            key.contains("-x-") && value["mode"] == "image_generation",
            "`{key}` is neither imported, skipped nor a non-model key"
        );
        grouped += 1;
    }
    assert_eq!(
        report.imported_total() + report.aliases_total(),
        direct + grouped,
        "imported keys: items named after their key, and OpenAI-style image keys grouped"
    );

    // Alias items carry their target's rates.
    for (key, value) in list {
        let Some(target) = value.get("alias_of").and_then(Value::as_str) else {
            continue;
        };
        if let Some(alias) = items(report)
            .iter()
            .find(|item| item["model"] == key.as_str())
        {
            let target = items(report)
                .iter()
                .find(|item| item["model"] == target && item["action"] == alias["action"])
                .unwrap_or_else(|| panic!("alias {key} imported without its target {target}"));
            let strip = |item: &Value| {
                let mut item = item.clone();
                item["model"] = Value::Null;
                item
            };
            assert_eq!(strip(alias), strip(target), "alias {key}");
        }
    }
}

#[test]
fn unknown_prices_are_skipped_and_explicit_zeros_are_free() {
    let report = default_report();
    // Entries of an action's mode with no cost field at all: unknown, so skipped as such.
    let mut unpriced: BTreeMap<String, usize> = BTreeMap::new();
    let mut free_chat: Vec<&str> = Vec::new();
    for (key, value) in list() {
        let Value::Object(entry) = value else {
            continue;
        };
        let mode = mode_of(entry);
        if entry.contains_key("alias_of") || key == "sample_spec" {
            continue;
        }
        if (ACTION_MODES.contains(&mode.as_str()) || SPEECH_MODES.contains(&mode.as_str()))
            && !has_cost_field(entry)
        {
            *unpriced.entry(mode.clone()).or_insert(0) += 1;
        }
        let zero = |field: &str| {
            entry
                .get(field)
                .and_then(|value| Decimal::parse(&value.to_string()))
                .is_some_and(|decimal| decimal.is_zero())
        };
        if mode == "chat" && zero("input_cost_per_token") && zero("output_cost_per_token") {
            free_chat.push(key);
        }
    }
    let mut skipped_unpriced: BTreeMap<String, usize> = BTreeMap::new();
    for skipped in &report.skipped {
        if skipped.kind == SkipKind::Unpriced {
            *skipped_unpriced.entry(skipped.mode.clone()).or_insert(0) += 1;
        }
    }
    assert_eq!(skipped_unpriced, unpriced);
    assert_eq!(
        unpriced.get("chat"),
        Some(&51),
        "README §3.5: 51 chat entries have no cost field"
    );

    assert_eq!(
        free_chat.len(),
        78,
        "README §3.5: 78 chat entries are priced at exactly 0"
    );
    for key in &free_chat {
        let item = item(report, "chat", key);
        assert_eq!(
            rate_of(&item["rates"]["input_tokens"]),
            CreditRate::ZERO,
            "{key}"
        );
        assert_eq!(
            rate_of(&item["rates"]["output_tokens"]),
            CreditRate::ZERO,
            "{key}"
        );
    }
    assert!(report.free_items >= free_chat.len());

    // Modes with no Tally action are skipped as such, one for one.
    let no_action = list()
        .iter()
        .filter(|(key, value)| {
            let mode = value.get("mode").and_then(Value::as_str);
            *key != "sample_spec"
                && mode.is_some_and(|mode| {
                    !ACTION_MODES.contains(&mode) && !SPEECH_MODES.contains(&mode)
                })
        })
        .count();
    let skipped_no_action = report
        .skipped
        .iter()
        .filter(|skipped| skipped.kind == SkipKind::NoAction)
        .count();
    assert_eq!(skipped_no_action, no_action);

    // Every chat entry with both per-token prices is imported, or refused only for a reason
    // about its numbers (never "unpriced").
    for (key, value) in list() {
        let priced = |field: &str| value.get(field).is_some_and(Value::is_number);
        if value["mode"] == "chat"
            && priced("input_cost_per_token")
            && priced("output_cost_per_token")
        {
            if let Some(skipped) = skipped(report, key) {
                assert!(
                    matches!(
                        skipped.kind,
                        SkipKind::TooPrecise
                            | SkipKind::TooLarge
                            | SkipKind::Refused
                            | SkipKind::BadValue
                    ),
                    "{skipped:?}"
                );
            } else {
                item(report, "chat", key);
            }
        }
    }
}

#[test]
fn the_document_reads_back_and_prices() {
    let report = default_report();
    let document = parse_document_value(&report.document).unwrap();
    assert_eq!(document.items().len(), report.items_total());
    assert_eq!(document.credits_per_usd().unwrap().to_string(), "1000");
    assert!(
        report.document.get("version").is_none() && report.document.get("effective_at").is_none()
    );
    let mut by_action: BTreeMap<String, usize> = BTreeMap::new();
    for item in document.items() {
        *by_action
            .entry(item.action().as_str().to_string())
            .or_insert(0) += 1;
    }
    assert_eq!(by_action, report.items);
    for action in ["chat", "embedding", "image", "video", "speech"] {
        assert!(report.items[action] > 0, "no {action} item");
    }
    // Minimum and rounding step are the defaults, except that a free model has no minimum.
    let mut free = 0;
    for (item, json) in document
        .items()
        .iter()
        .zip(report.document["items"].as_array().unwrap())
    {
        if item.minimum().to_string() == "0" {
            free += 1;
        } else {
            assert_eq!(item.minimum().to_string(), "1", "{json}");
        }
        assert_eq!(item.rounding_step().to_string(), "1");
    }
    assert_eq!(
        free, report.free_items,
        "every free item, and only those, has no minimum"
    );
    // Every chat item prices a small request.
    let card = card(report);
    for item in card
        .items()
        .iter()
        .filter(|item| item.action() == Action::Chat)
    {
        let usage = usage(
            Action::Chat,
            item.model(),
            &[("input_tokens", 1_000), ("output_tokens", 500)],
        );
        let price =
            price(&card, &usage).unwrap_or_else(|error| panic!("{}: {error}", item.model()));
        // At least the minimum: a credit, or nothing for a free model.
        assert!(price.max() >= item.minimum(), "{}", item.model());
        assert_eq!(
            price.max() == tally_core::Millicredits::ZERO,
            item.minimum() == tally_core::Millicredits::ZERO
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Spot checks, expected values computed from the list's own USD fields
// ---------------------------------------------------------------------------------------------

fn spot_checks(credits_per_usd: &str, markup: &str) {
    let report = if (credits_per_usd, markup) == ("1000", "1") {
        default_report().clone()
    } else {
        import_litellm(list_text(), &options(credits_per_usd, markup, None)).unwrap()
    };
    let card = card(&report);
    let rate = |key: &str, field: &str| expected(&usd(key, field), credits_per_usd, markup);
    let text = |rate: CreditRate| rate.to_string();

    // Chat: gpt-4o-mini and gpt-4o, 1,000 input + 500 output tokens.
    for model in ["gpt-4o-mini", "gpt-4o"] {
        let chat = item(&report, "chat", model);
        let input = rate(model, "input_cost_per_token");
        let output = rate(model, "output_cost_per_token");
        assert_eq!(rate_of(&chat["rates"]["input_tokens"]), input, "{model}");
        assert_eq!(rate_of(&chat["rates"]["output_tokens"]), output, "{model}");
        assert_eq!(
            rate_of(&chat["rates"]["cached_input_tokens"]),
            rate(model, "cache_read_input_token_cost"),
            "{model}"
        );
        let usage = usage(
            Action::Chat,
            model,
            &[("input_tokens", 1_000), ("output_tokens", 500)],
        );
        let price = price(&card, &usage).unwrap();
        let total = exact_total(&[(1_000, &text(input)), (500, &text(output))]);
        assert_eq!(price.exact_max().to_string(), total, "{model}");
    }

    // claude-sonnet-4-5 and its long-context tier wherever the list gives one.
    let mut with_tier = 0;
    for (key, value) in list()
        .iter()
        .filter(|(key, _)| key.contains("claude-sonnet-4-5"))
    {
        if value.get("alias_of").is_some() || skipped(&report, key).is_some() {
            continue;
        }
        let chat = item(&report, "chat", key);
        assert_eq!(
            rate_of(&chat["rates"]["input_tokens"]),
            rate(key, "input_cost_per_token"),
            "{key}"
        );
        assert_eq!(
            rate_of(&chat["rates"]["output_tokens"]),
            rate(key, "output_cost_per_token"),
            "{key}"
        );
        if value
            .get("input_cost_per_token_above_200k_tokens")
            .is_some()
        {
            with_tier += 1;
            let tier = chat["context_tiers"]
                .as_array()
                .and_then(|tiers| {
                    tiers
                        .iter()
                        .find(|tier| tier["above_input_tokens"] == 200_000)
                })
                .unwrap_or_else(|| panic!("{key}: no tier above 200000 tokens"));
            let input = rate(key, "input_cost_per_token_above_200k_tokens");
            let output = rate(key, "output_cost_per_token_above_200k_tokens");
            assert_eq!(rate_of(&tier["rates"]["input_tokens"]), input, "{key}");
            assert_eq!(rate_of(&tier["rates"]["output_tokens"]), output, "{key}");
            // 250,000 prompt tokens: the tier prices the whole request.
            let usage = usage(
                Action::Chat,
                key,
                &[("input_tokens", 250_000), ("output_tokens", 1_000)],
            );
            let price = price(&card, &usage).unwrap();
            let total = exact_total(&[(250_000, &text(input)), (1_000, &text(output))]);
            assert_eq!(price.exact_max().to_string(), total, "{key}");
        }
    }
    assert!(with_tier > 0, "no claude-sonnet-4-5 key with a 200k tier");
    let sonnet = item(&report, "chat", "claude-sonnet-4-5");
    assert_eq!(
        rate_of(&sonnet["rates"]["input_tokens"]),
        rate("claude-sonnet-4-5", "input_cost_per_token")
    );

    // Embedding.
    let embedding = item(&report, "embedding", "text-embedding-3-small");
    let input = rate("text-embedding-3-small", "input_cost_per_token");
    assert_eq!(rate_of(&embedding["rates"]["input_tokens"]), input);

    // gpt-image-1: one item from the {quality}/{W}-x-{H}/gpt-image-1 keys.
    let image = item(&report, "image", "gpt-image-1");
    let tiers = image["tiers"].as_array().unwrap();
    for quality in ["low", "medium", "high"] {
        for (size, name) in [
            ("1024-x-1024", "1024x1024"),
            ("1024-x-1536", "1024x1536"),
            ("1536-x-1024", "1536x1024"),
        ] {
            let key = format!("{quality}/{size}/gpt-image-1");
            let tier = tiers.iter().find(|tier| tier["name"] == name).unwrap();
            assert_eq!(
                rate_of(&tier["prices"][quality]),
                rate(&key, "input_cost_per_image"),
                "{key}"
            );
        }
    }
    let mut usage_image = usage(
        Action::Image,
        "gpt-image-1",
        &[("width", 1024), ("height", 1024), ("count", 2)],
    );
    usage_image.quality = Some(Quality::Medium);
    let price_image = price(&card, &usage_image).unwrap();
    let medium = rate("medium/1024-x-1024/gpt-image-1", "input_cost_per_image");
    assert_eq!(
        price_image.exact_max().to_string(),
        exact_total(&[(2, &text(medium))])
    );

    // Speech: tts-1 by character, whisper-1 by second.
    let tts = item(&report, "speech", "tts-1");
    let characters = rate("tts-1", "input_cost_per_character");
    assert_eq!(rate_of(&tts["rates"]["characters"]), characters);
    let price_tts = price(
        &card,
        &usage(Action::Speech, "tts-1", &[("characters", 1_000)]),
    )
    .unwrap();
    assert_eq!(
        price_tts.exact_max().to_string(),
        exact_total(&[(1_000, &text(characters))])
    );
    let whisper = item(&report, "speech", "whisper-1");
    let seconds = rate("whisper-1", "input_cost_per_second");
    assert_eq!(rate_of(&whisper["rates"]["seconds"]), seconds);
    let price_whisper = price(
        &card,
        &usage(Action::Speech, "whisper-1", &[("seconds_ms", 60_000)]),
    )
    .unwrap();
    assert_eq!(
        price_whisper.exact_max().to_string(),
        exact_total(&[(60, &text(seconds))])
    );

    // Video: veo 3.1 fast by resolution, sora-2 per second.
    let veo = "vertex_ai/veo-3.1-fast-generate-001";
    let video = item(&report, "video", veo);
    let tiers = video["tiers"].as_array().unwrap();
    let tier = |name: &str| tiers.iter().find(|tier| tier["name"] == name).unwrap();
    let full_hd = rate(veo, "output_cost_per_second_1080p");
    assert_eq!(rate_of(&tier("1080p")["per_second"]), full_hd);
    assert_eq!(
        rate_of(&tier("4k")["per_second"]),
        rate(veo, "output_cost_per_second_4k")
    );
    let default = rate(veo, "output_cost_per_second");
    let usage_veo = |width, height| {
        usage(
            Action::Video,
            veo,
            &[("width", width), ("height", height), ("seconds_ms", 8_000)],
        )
    };
    let price_1080 = price(&card, &usage_veo(1920, 1080)).unwrap();
    assert_eq!(
        price_1080.exact_max().to_string(),
        exact_total(&[(8, &text(full_hd))])
    );
    let price_720 = price(&card, &usage_veo(1280, 720)).unwrap();
    assert_eq!(
        price_720.exact_max().to_string(),
        exact_total(&[(8, &text(default))])
    );
    let sora = item(&report, "video", "sora-2");
    let per_second = rate("sora-2", "output_cost_per_video_per_second");
    assert_eq!(rate_of(&sora["tiers"][0]["per_second"]), per_second);
}

#[test]
fn spot_checks_at_the_default_rate() {
    spot_checks("1000", "1");
}

#[test]
fn spot_checks_with_a_markup() {
    spot_checks("1000", "1.2");
}

#[test]
fn spot_checks_at_another_exchange_rate() {
    // Comfy Router's 211 credits per USD, with a 15% markup.
    spot_checks("211", "1.15");
}

#[test]
fn a_markup_changes_only_the_rates() {
    let marked = import_litellm(list_text(), &options("1000", "1.5", None)).unwrap();
    let report = default_report();
    // × 1.5 never needs fewer digits, so it imports a subset: what it loses is too precise.
    let models = |report: &ImportReport| -> BTreeSet<String> {
        items(report)
            .iter()
            .map(|item| item["model"].as_str().unwrap().to_string())
            .collect()
    };
    let (plain, marked_models) = (models(report), models(&marked));
    assert!(marked_models.is_subset(&plain));
    for model in plain.difference(&marked_models) {
        let skipped = skipped(&marked, model)
            .or_else(|| {
                marked
                    .skipped
                    .iter()
                    .find(|s| s.key.ends_with(model.as_str()))
            })
            .unwrap_or_else(|| panic!("{model} is neither imported nor skipped with a markup"));
        assert_eq!(skipped.kind, SkipKind::TooPrecise, "{skipped:?}");
    }
    let gpt = item(&marked, "chat", "gpt-4o");
    assert_eq!(
        rate_of(&gpt["rates"]["output_tokens"]),
        expected(&usd("gpt-4o", "output_cost_per_token"), "1000", "1.5")
    );
    assert_eq!(marked.document["credits_per_usd"].to_string(), "1000");
}

// ---------------------------------------------------------------------------------------------
// --only
// ---------------------------------------------------------------------------------------------

#[test]
fn only_selects_the_matching_keys() {
    let full = default_report();
    let imported_models = |report: &ImportReport| -> BTreeSet<String> {
        items(report)
            .iter()
            .map(|item| item["model"].as_str().unwrap().to_string())
            .collect()
    };

    let report = import_litellm(list_text(), &options("1000", "1", Some("gpt-4o*"))).unwrap();
    let models = imported_models(&report);
    let expected: BTreeSet<String> = imported_models(full)
        .into_iter()
        .filter(|model| model.starts_with("gpt-4o"))
        .collect();
    assert_eq!(models, expected);
    assert!(models.contains("gpt-4o") && models.contains("gpt-4o-mini"));
    assert!(!models.contains("openai/gpt-4o"));
    let matching = list()
        .keys()
        .filter(|key| key.starts_with("gpt-4o"))
        .count();
    assert_eq!(
        report.imported_total() + report.aliases_total() + report.skipped.len(),
        matching
    );
    assert_eq!(
        report.not_selected + matching + report.non_model_keys.len(),
        list().len()
    );
    for skipped in &report.skipped {
        assert!(skipped.key.starts_with("gpt-4o"), "{skipped:?}");
    }
    card(&report);

    // A substring, and an image model selected through its grouped keys.
    let report = import_litellm(list_text(), &options("1000", "1", Some("gpt-image-1"))).unwrap();
    let models = imported_models(&report);
    assert!(models.contains("gpt-image-1"), "{models:?}");
    assert!(
        models.iter().all(|model| model.contains("gpt-image-1")),
        "{models:?}"
    );
    assert_eq!(
        item(&report, "image", "gpt-image-1"),
        item(full, "image", "gpt-image-1")
    );

    let report =
        import_litellm(list_text(), &options("1000", "1", Some("no-such-model-*"))).unwrap();
    assert_eq!(items(&report).len(), 0);
    assert!(report.skipped.is_empty());
    parse_document_value(&report.document).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Float noise: every price read at 12 significant digits, checked by an independent reading
// of the list's number texts (digit strings, never f64)
// ---------------------------------------------------------------------------------------------

/// A JSON number's text as (digits without leading zeros, exponent): `8.9e-07` is ("89", -8).
fn number_digits(text: &str) -> (Vec<u8>, i64) {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], text[at + 1..].parse::<i64>().unwrap()),
        None => (text, 0),
    };
    assert!(!mantissa.starts_with('-'), "{text} is negative");
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits: Vec<u8> = whole
        .bytes()
        .chain(fraction.bytes())
        .map(|byte| byte - b'0')
        .collect();
    let exponent = exponent - i64::try_from(fraction.len()).unwrap();
    while digits.first() == Some(&0) {
        digits.remove(0);
    }
    (digits, exponent)
}

/// Rounded half to even to 12 significant digits; whether that changed the number.
fn twelve_digits(text: &str) -> (Vec<u8>, i64, bool) {
    let (mut digits, mut exponent) = number_digits(text);
    if digits.len() <= 12 {
        return (digits, exponent, false);
    }
    let rest = digits.split_off(12);
    exponent += i64::try_from(rest.len()).unwrap();
    let round_up = match rest[0].cmp(&5) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal => {
            rest[1..].iter().any(|digit| *digit != 0) || digits[11] % 2 == 1
        }
    };
    if round_up {
        let mut position = digits.len();
        loop {
            position -= 1;
            if digits[position] == 9 {
                digits[position] = 0;
                if position == 0 {
                    digits.insert(0, 1);
                    break;
                }
            } else {
                digits[position] += 1;
                break;
            }
        }
    }
    (digits, exponent, true)
}

/// A USD price (the list's text) at 1000 credits per USD in femtocredits (1e-15 credits), or
/// `None` when, read at 12 significant digits, it is finer than a card's 1e-12 credits.
fn femtocredits_per_unit(text: &str) -> Option<i128> {
    let (digits, exponent, _) = twelve_digits(text);
    let mut value: i128 = 0;
    for digit in &digits {
        value = value * 10 + i128::from(*digit);
    }
    if value == 0 {
        return Some(0);
    }
    // × 1000 credits per USD, in units of 1e-15 credits: × 10^(exponent + 18).
    let mut scale = exponent + 3 + 12;
    while scale < 0 && value % 10 == 0 {
        value /= 10;
        scale += 1;
    }
    if scale < 0 {
        return None; // finer than 1e-12 credits
    }
    Some(value * 10i128.pow(u32::try_from(scale).unwrap()) * 1_000)
}

fn number_text(entry: &Value, field: &str) -> Option<String> {
    entry
        .get(field)
        .filter(|value| value.is_number())
        .map(Value::to_string)
}

#[test]
fn the_tests_own_twelve_digit_reading() {
    // 0.00089 credits, 0.00000089 USD: the float noise in the 16th digit is gone.
    assert_eq!(
        femtocredits_per_unit("8.900000000000001e-07"),
        Some(890_000_000_000)
    );
    assert_eq!(
        femtocredits_per_unit("0.0000016000000000000001"),
        Some(1_600_000_000_000)
    );
    // Half to even at the 13th digit.
    assert_eq!(
        femtocredits_per_unit("1.000000000005e-3"),
        Some(1_000_000_000_000_000)
    );
    assert_eq!(
        femtocredits_per_unit("1.000000000015e-3"),
        Some(1_000_000_000_020_000)
    );
    assert_eq!(
        femtocredits_per_unit("9.9999999999999e-3"),
        Some(10_000_000_000_000_000)
    );
    // A seventh stays a seventh: finer than 1e-12 credits at any number of digits.
    assert_eq!(femtocredits_per_unit("0.0000011428571428571428"), None);
    assert_eq!(femtocredits_per_unit("0"), Some(0));
}

/// Every plain chat entry (no long-context tiers) with both per-token prices: its per-token
/// cost, computed here from the list's number texts, is the price Tally quotes, or, when that
/// cost is finer than a card can hold, the entry is refused as too precise.
#[test]
fn chat_costs_match_an_independent_reading_of_the_list() {
    let report = default_report();
    let card = card(report);
    let (input_tokens, cached_tokens, output_tokens) = (123_457u64, 4_321u64, 6_789u64);
    let (mut checked, mut noisy, mut refused) = (0, 0, 0);
    for (key, value) in list() {
        if value.get("mode").and_then(Value::as_str) != Some("chat")
            || value.get("alias_of").is_some()
            || value
                .get("tiered_pricing")
                .is_some_and(|tiers| !tiers.is_null())
            || value
                .as_object()
                .unwrap()
                .keys()
                .any(|field| field.contains("_above_"))
        {
            continue;
        }
        let (Some(input), Some(output)) = (
            number_text(value, "input_cost_per_token"),
            number_text(value, "output_cost_per_token"),
        ) else {
            continue;
        };
        let cached = number_text(value, "cache_read_input_token_cost");
        let texts: Vec<&String> = [Some(&input), Some(&output), cached.as_ref()]
            .into_iter()
            .flatten()
            .collect();
        let is_noisy = texts.iter().any(|text| twelve_digits(text).2);
        let rates: Option<Vec<i128>> = texts
            .iter()
            .map(|text| femtocredits_per_unit(text))
            .collect();
        let Some(rates) = rates else {
            let skipped = skipped(report, key).unwrap_or_else(|| panic!("{key} is imported"));
            assert_eq!(skipped.kind, SkipKind::TooPrecise, "{skipped:?}");
            refused += 1;
            continue;
        };
        let (input_rate, output_rate) = (rates[0], rates[1]);
        let cached_rate = rates.get(2).copied().unwrap_or(input_rate);
        let exact = input_rate * i128::from(input_tokens)
            + cached_rate * i128::from(cached_tokens)
            + output_rate * i128::from(output_tokens);
        let usage = usage(
            Action::Chat,
            key,
            &[
                ("input_tokens", input_tokens),
                ("cached_input_tokens", cached_tokens),
                ("output_tokens", output_tokens),
            ],
        );
        let quoted = price(&card, &usage).unwrap_or_else(|error| panic!("{key}: {error}"));
        assert_eq!(
            quoted.exact_max().to_string(),
            tally_core::pricing::Femtocredits::new(exact).to_string(),
            "{key}: {input} / {output} / {cached:?} USD a token"
        );
        // Rounded up to the next whole credit, at least 1 (0 for a free model).
        let femto_per_credit = 1_000_000_000_000_000i128;
        let credits = (exact + femto_per_credit - 1) / femto_per_credit;
        let expected_millicredits = if exact == 0 {
            0
        } else {
            credits.max(1) * 1_000
        };
        assert_eq!(
            i128::from(quoted.max().get()),
            expected_millicredits,
            "{key}"
        );
        assert_eq!(report.rounded.contains(key), is_noisy, "{key} in `rounded`");
        checked += 1;
        if is_noisy {
            noisy += 1;
        }
    }
    println!(
        "{checked} chat entries priced as the list reads, {noisy} of them noisy; {refused} refused"
    );
    assert!(checked >= 300, "only {checked} entries checked");
    assert!(noisy >= 20, "only {noisy} entries with float noise checked");
}

/// What still refuses an entry with a price is a real reason, each one checked against the
/// list: a price that is a repeating decimal (too precise at any number of digits), and list
/// prices that fall as the image grows, which a card refuses (a bigger size never costs less).
#[test]
fn only_real_reasons_refuse_a_priced_entry() {
    let report = default_report();
    let too_precise: BTreeSet<&str> = report
        .skipped
        .iter()
        .filter(|skipped| skipped.kind == SkipKind::TooPrecise)
        .map(|skipped| skipped.key.as_str())
        .collect();
    assert_eq!(
        too_precise,
        BTreeSet::from([
            "bigmodel/glm-5.3",
            "bigmodel/glm-5.3-flash",
            "bigmodel/glm-5.3-flashx"
        ]),
    );
    for key in &too_precise {
        let input =
            number_text(&Value::Object(entry(key).clone()), "input_cost_per_token").unwrap();
        assert_eq!(femtocredits_per_unit(&input), None, "{key}: {input}");
        let reason = &skipped(report, key).unwrap().reason;
        assert!(
            reason.contains("at 12 significant digits") && reason.contains("finer than"),
            "{reason}"
        );
    }

    // Refused by the card: OpenAI-style keys `{prefix}/{quality}/{W}-x-{H}/{model}` whose
    // model, in the list itself, prices a larger size below a smaller one of the same quality.
    let refused: Vec<&tally_core::pricing::Skipped> = report
        .skipped
        .iter()
        .filter(|skipped| skipped.kind == SkipKind::Refused)
        .collect();
    assert_eq!(refused.len(), 126);
    let grid = |key: &str| -> Option<(String, String, u64, String)> {
        let parts: Vec<&str> = key.split('/').collect();
        let at = parts.iter().position(|part| part.contains("-x-"))?;
        let (width, height) = parts[at].split_once("-x-")?;
        let pixels = width.parse::<u64>().ok()? * height.parse::<u64>().ok()?;
        let prefix = parts[..at.saturating_sub(1)].join("/");
        let quality = parts[at.checked_sub(1)?].to_string();
        Some((
            format!("{prefix}|{}", parts[at + 1..].join("/")),
            quality,
            pixels,
            key.to_string(),
        ))
    };
    for skipped in &refused {
        assert_eq!(skipped.mode, "image_generation", "{skipped:?}");
        assert!(
            skipped.reason.contains("below the same quality's price"),
            "{skipped:?}"
        );
        let (model, _, _, _) = grid(&skipped.key).unwrap();
        // Prices of the same model by quality, from the list: some larger size costs less.
        let mut falls = false;
        let siblings: Vec<(String, u64, i128)> = list()
            .iter()
            .filter_map(|(key, value)| {
                let (other, quality, pixels, _) = grid(key)?;
                let price = femtocredits_per_unit(&number_text(value, "output_cost_per_image")?)?;
                (other == model).then_some((quality, pixels, price))
            })
            .collect();
        for (quality, pixels, price) in &siblings {
            falls |= siblings
                .iter()
                .any(|(q, p, pr)| q == quality && p > pixels && pr < price);
        }
        assert!(
            falls,
            "{}: the list's prices never fall with size",
            skipped.key
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The cheaper choice on the imported card (thousands of models)
// ---------------------------------------------------------------------------------------------

/// For a spread of the imported card's chat models, the alternatives equal what a brute
/// force over every item of the card chooses by the documented rule (docs/pricing.md, "The
/// cheaper choice"): the other models of the action that price the usage for strictly less,
/// the quoted model's family first, each group by (max, model id), at most five, listed
/// cheapest first. Each is its own price, and the answer is the same every time.
#[test]
fn alternatives_on_the_imported_card_are_the_brute_force_choice() {
    use tally_core::pricing::{ALTERNATIVES_MAX, cheaper_alternatives};
    let card = card(default_report());
    assert!(
        card.items().len() > 2_000,
        "the imported card is large: {}",
        card.items().len()
    );
    let chat_models: Vec<&str> = card
        .items()
        .iter()
        .filter(|item| item.action() == Action::Chat)
        .map(tally_core::pricing::RateItem::model)
        .collect();
    // The family by the documented rule, written here on its own.
    let family = |model: &str| -> String {
        match model.find('/') {
            Some(at) => model[..at].to_string(),
            None => model.split('-').next().unwrap_or(model).to_string(),
        }
    };
    let mut checked = 0;
    let mut with_alternatives = 0;
    for model in chat_models.iter().step_by(chat_models.len() / 150 + 1) {
        let usage = usage(
            Action::Chat,
            model,
            &[("input_tokens", 12_000), ("output_tokens", 3_500)],
        );
        let Ok(quoted) = price(&card, &usage) else {
            continue;
        };
        let mut expected: Vec<(bool, tally_core::Millicredits, &str)> = Vec::new();
        for item in card.items() {
            if item.action() != Action::Chat || item.model() == *model {
                continue;
            }
            let mut other = usage.clone();
            other.model = item.model().to_string();
            if let Ok(other_price) = price(&card, &other)
                && other_price.max() < quoted.max()
            {
                let other_family = family(item.model()) != family(model);
                expected.push((other_family, other_price.max(), item.model()));
            }
        }
        expected.sort();
        expected.truncate(ALTERNATIVES_MAX);
        let mut expected: Vec<(tally_core::Millicredits, &str)> = expected
            .into_iter()
            .map(|(_, max, model)| (max, model))
            .collect();
        expected.sort();

        let alternatives = cheaper_alternatives(&card, &usage, quoted.max(), None);
        let got: Vec<(tally_core::Millicredits, &str)> = alternatives
            .iter()
            .map(|alternative| (alternative.price.max(), alternative.model))
            .collect();
        assert_eq!(got, expected, "{model}");
        for alternative in &alternatives {
            let mut own = usage.clone();
            own.model = alternative.model.to_string();
            assert_eq!(price(&card, &own).unwrap(), alternative.price, "{model}");
        }
        assert_eq!(
            alternatives,
            cheaper_alternatives(&card, &usage, quoted.max(), None),
            "{model}: the same answer every time"
        );
        checked += 1;
        with_alternatives += usize::from(!alternatives.is_empty());
    }
    assert!(checked >= 100, "checked {checked} models");
    assert!(
        with_alternatives >= checked / 2,
        "most models have a cheaper one ({with_alternatives} of {checked})"
    );
}
