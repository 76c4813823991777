//! `tally rate-card import|show` and `tally quote`: rate cards from LiteLLM's price list, the
//! server's current card as a table, and the price of a usage before it is committed.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Subcommand;
use serde_json::{Map, Value, json};
use tally_core::Decimal;
use tally_core::pricing::{
    self, ImageRates, ImportOptions, ItemRates, PIXELS_MAX, RateCard, SizeLimit, TokenRates,
};

use crate::client::{Client, ClientArgs, OutputArgs, show};

#[derive(Subcommand, Debug)]
pub enum RateCardCommand {
    /// Convert LiteLLM's model cost map into a rate card document: the document on stdout,
    /// every skipped entry and a summary on stderr. With --apply, install it on the server.
    Import(ImportArgs),
    /// Print the server's current rate card as a table.
    Show,
}

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// LiteLLM's `model_prices_and_context_window.json`.
    #[arg(long, value_name = "FILE")]
    pub litellm: PathBuf,
    /// Credits per US dollar (an exact decimal).
    #[arg(long, value_name = "N", default_value = "1000", value_parser = parse_decimal)]
    pub credits_per_usd: Decimal,
    /// A multiplier on every price (an exact decimal: 1.2 is a 20% markup).
    #[arg(long, value_name = "X", default_value = "1", value_parser = parse_decimal)]
    pub markup: Decimal,
    /// Only keys matching PATTERN: a glob with `*` over the whole key, else a substring.
    #[arg(long, value_name = "PATTERN")]
    pub only: Option<String>,
    /// Install the document as the server's new rate card version (needs an admin key).
    /// With --json, stdout is the server's answer (the installed card) instead of the
    /// document.
    #[arg(long)]
    pub apply: bool,
}

#[derive(clap::Args, Debug)]
pub struct QuoteArgs {
    /// The model, as the rate card names it.
    #[arg(long)]
    pub model: String,
    /// The action; by default told from the flags (tokens: chat, characters or seconds alone:
    /// speech, seconds with a size: video, a size, quality or count: image, units: custom).
    #[arg(long, value_parser = ["chat", "embedding", "image", "video", "speech", "custom"])]
    pub action: Option<String>,
    #[arg(long, value_name = "N")]
    pub input_tokens: Option<u64>,
    #[arg(long, value_name = "N")]
    pub cached_input_tokens: Option<u64>,
    #[arg(long, value_name = "N")]
    pub output_tokens: Option<u64>,
    /// An upper bound on output tokens: the quote is a range.
    #[arg(long, value_name = "N")]
    pub max_output_tokens: Option<u64>,
    #[arg(long, value_name = "W")]
    pub width: Option<u64>,
    #[arg(long, value_name = "H")]
    pub height: Option<u64>,
    /// low, medium, high, standard or hd.
    #[arg(long, value_name = "Q")]
    pub quality: Option<String>,
    /// Images generated.
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
    /// Seconds of video or audio (up to 3 decimals).
    #[arg(long, value_name = "S", value_parser = parse_number)]
    pub seconds: Option<Value>,
    #[arg(long, value_name = "N")]
    pub characters: Option<u64>,
    #[arg(long, value_name = "N")]
    pub units: Option<u64>,
    /// Free text for attribution.
    #[arg(long, value_name = "P")]
    pub product: Option<String>,
    /// Also say whether this account can afford it.
    #[arg(long, value_name = "A")]
    pub account: Option<String>,
    /// Also list the cheaper models for the same usage (at most 5, cheapest first).
    #[arg(long)]
    pub alternatives: bool,
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

fn parse_decimal(text: &str) -> Result<Decimal, String> {
    Decimal::parse(text).ok_or_else(|| format!("{text:?} is not a decimal number"))
}

/// A JSON number from its text, exactly (no float in between).
fn parse_number(text: &str) -> Result<Value, String> {
    match serde_json::from_str::<Value>(text.trim()) {
        Ok(value @ Value::Number(_)) => Ok(value),
        _ => Err(format!("{text:?} is not a number")),
    }
}

pub(crate) fn rate_card(
    command: RateCardCommand,
    client: &ClientArgs,
    output: &OutputArgs,
) -> anyhow::Result<ExitCode> {
    match command {
        RateCardCommand::Import(args) => import(args, client, output),
        RateCardCommand::Show => show_card(client, output),
    }
}

fn import(args: ImportArgs, client: &ClientArgs, output: &OutputArgs) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.litellm)
        .with_context(|| format!("reading {}", args.litellm.display()))?;
    let options = ImportOptions {
        credits_per_usd: args.credits_per_usd,
        markup: args.markup,
        only: args.only,
    };
    let report = pricing::import_litellm(&text, &options)
        .with_context(|| format!("importing {}", args.litellm.display()))?;
    for skipped in &report.skipped {
        let alias = match &skipped.alias_of {
            Some(target) => format!(", alias of {target}"),
            None => String::new(),
        };
        eprintln!(
            "skipped {} ({}{alias}): {}",
            skipped.key, skipped.mode, skipped.reason
        );
    }
    for (kind, count) in report.skipped_by_kind() {
        eprintln!("skipped {count:>5}: {kind}");
    }
    if report.free_items > 0 {
        eprintln!(
            "{} items are free in the list (every rate 0); each still costs the minimum, 1 credit",
            report.free_items
        );
    }
    eprintln!("{}", report.summary());
    let answer_instead = args.apply && output.json;
    if !answer_instead {
        println!("{}", serde_json::to_string_pretty(&report.document)?);
    }
    if args.apply {
        if report.items_total() == 0 {
            bail!("nothing to install: no item was imported");
        }
        let card = Client::new(client)?.put("/v1/rate-card", &report.document)?;
        show(output, &card, |_| String::new());
        eprintln!(
            "installed rate card version {} ({} items, effective {})",
            text_of(&card["version"]),
            card["items"].as_array().map_or(0, Vec::len),
            text_of(&card["effective_at"]),
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => "-".to_string(),
        other => other.to_string(),
    }
}

fn show_card(args: &ClientArgs, output: &OutputArgs) -> anyhow::Result<ExitCode> {
    let document = Client::new(args)?.get("/v1/rate-card")?;
    if output.json {
        show(output, &document, |_| String::new());
        return Ok(ExitCode::SUCCESS);
    }
    let card = pricing::parse_card(&document.to_string())
        .context("the server's rate card is not a rate card document")?;
    print!("{}", card_table(&card));
    Ok(ExitCode::SUCCESS)
}

/// The card as a table: a header, then one row per item (and one per further tier).
pub(crate) fn card_table(card: &RateCard) -> String {
    let mut out = format!(
        "rate card version {}, effective {}, {} items",
        card.version(),
        card.effective_at(),
        card.items().len()
    );
    if let Some(rate) = card.credits_per_usd() {
        out.push_str(&format!(", {rate} credits per USD"));
    }
    out.push('\n');
    let width = card
        .items()
        .iter()
        .map(|item| item.model().chars().count())
        .max()
        .unwrap_or(0)
        .clamp(5, 60);
    out.push_str(&format!(
        "{:<9}  {:<width$}  rates (credits per unit)\n",
        "action", "model"
    ));
    for item in card.items() {
        let mut rows = item_rows(item.rates());
        if (item.minimum() != pricing::MINIMUM_DEFAULT
            || item.rounding_step() != pricing::ROUNDING_STEP_DEFAULT)
            && let Some(first) = rows.first_mut()
        {
            first.push_str(&format!(
                "  (minimum {}, rounding step {})",
                item.minimum(),
                item.rounding_step()
            ));
        }
        for (position, row) in rows.iter().enumerate() {
            let (action, model) = if position == 0 {
                (item.action().as_str(), item.model())
            } else {
                ("", "")
            };
            out.push_str(&format!("{action:<9}  {model:<width$}  {row}\n"));
        }
    }
    out
}

fn tokens(rates: &TokenRates) -> String {
    let mut text = format!("input {}", rates.input_tokens);
    if let Some(cached) = rates.cached_input_tokens {
        text.push_str(&format!(" · cached {cached}"));
    }
    text.push_str(&format!(" · output {} /token", rates.output_tokens));
    text
}

fn bounds(limit: &SizeLimit) -> String {
    match (limit.max_width, limit.max_height, limit.max_pixels) {
        (None, None, Some(pixels)) if pixels == PIXELS_MAX => "any size".to_string(),
        (Some(width), Some(height), None) => format!("≤{width}×{height}"),
        (None, None, Some(pixels)) => format!("≤{pixels} px"),
        (None, None, None) => "any size".to_string(),
        (width, height, pixels) => {
            let mut parts = Vec::new();
            if let Some(width) = width {
                parts.push(format!("width ≤{width}"));
            }
            if let Some(height) = height {
                parts.push(format!("height ≤{height}"));
            }
            if let Some(pixels) = pixels {
                parts.push(format!("≤{pixels} px"));
            }
            parts.join(", ")
        }
    }
}

fn item_rows(rates: &ItemRates) -> Vec<String> {
    match rates {
        ItemRates::Chat(chat) => {
            let mut rows = vec![tokens(chat.base())];
            for tier in chat.context_tiers() {
                rows.push(format!(
                    "above {} input tokens: {}",
                    tier.above_input_tokens,
                    tokens(&tier.rates)
                ));
            }
            rows
        }
        ItemRates::Embedding { input_tokens } => vec![format!("input {input_tokens} /token")],
        ItemRates::Image(ImageRates::Tiers {
            default_quality,
            tiers,
        }) => tiers
            .iter()
            .enumerate()
            .map(|(position, tier)| {
                let prices = tier
                    .prices()
                    .iter()
                    .map(|(quality, price)| format!("{quality} {price}"))
                    .collect::<Vec<_>>()
                    .join(" · ");
                let mut row = format!(
                    "{} ({}): {prices} /image",
                    tier.name(),
                    bounds(tier.limit())
                );
                if position == 0 {
                    row.push_str(&format!("; default quality {default_quality}"));
                }
                row
            })
            .collect(),
        ItemRates::Image(ImageRates::PerMegapixel {
            per_megapixel,
            limit,
        }) => vec![format!("{per_megapixel} /megapixel ({})", bounds(limit))],
        ItemRates::Video(video) => video
            .tiers()
            .iter()
            .map(|tier| {
                format!(
                    "{} ({}): {} /second",
                    tier.name(),
                    bounds(tier.limit()),
                    tier.per_second()
                )
            })
            .collect(),
        ItemRates::Speech(speech) => {
            let mut parts = Vec::new();
            if let Some(rate) = speech.characters {
                parts.push(format!("{rate} /character"));
            }
            if let Some(rate) = speech.seconds {
                parts.push(format!("{rate} /second"));
            }
            vec![parts.join(" · ")]
        }
        ItemRates::Custom { units } => vec![format!("{units} /unit")],
    }
}

/// The action a quote is for: `--action`, else told from the quantities given.
fn quote_action(args: &QuoteArgs) -> anyhow::Result<&str> {
    if let Some(action) = &args.action {
        return Ok(action);
    }
    let tokens = [
        args.input_tokens,
        args.cached_input_tokens,
        args.output_tokens,
        args.max_output_tokens,
    ]
    .iter()
    .any(Option::is_some);
    let size = args.width.is_some() || args.height.is_some();
    Ok(if tokens {
        "chat"
    } else if args.characters.is_some() {
        "speech"
    } else if args.units.is_some() {
        "custom"
    } else if args.seconds.is_some() && size {
        "video"
    } else if args.seconds.is_some() {
        "speech"
    } else if size || args.quality.is_some() || args.count.is_some() {
        "image"
    } else {
        bail!("cannot tell the action from the flags given: pass --action or a quantity")
    })
}

/// The `{usage, account_id?}` body of `POST /v1/quotes`.
pub(crate) fn quote_body(args: &QuoteArgs) -> anyhow::Result<Value> {
    let mut usage = Map::new();
    usage.insert("action".into(), quote_action(args)?.into());
    usage.insert("model".into(), args.model.clone().into());
    let counts = [
        ("input_tokens", args.input_tokens),
        ("cached_input_tokens", args.cached_input_tokens),
        ("output_tokens", args.output_tokens),
        ("max_output_tokens", args.max_output_tokens),
        ("width", args.width),
        ("height", args.height),
        ("count", args.count),
        ("characters", args.characters),
        ("units", args.units),
    ];
    for (name, value) in counts {
        if let Some(value) = value {
            usage.insert(name.into(), value.into());
        }
    }
    if let Some(quality) = &args.quality {
        usage.insert("quality".into(), quality.clone().into());
    }
    if let Some(seconds) = &args.seconds {
        usage.insert("seconds".into(), seconds.clone());
    }
    if let Some(product) = &args.product {
        usage.insert("product".into(), product.clone().into());
    }
    let mut body = json!({ "usage": Value::Object(usage) });
    if let Some(account) = &args.account {
        body["account_id"] = account.clone().into();
    }
    if args.alternatives {
        body["alternatives"] = true.into();
    }
    Ok(body)
}

pub(crate) fn quote(args: &QuoteArgs) -> anyhow::Result<ExitCode> {
    let body = quote_body(args)?;
    let quote = Client::new(&args.client)?.post("/v1/quotes", &body)?;
    show(&args.output, &quote, quote_text);
    Ok(ExitCode::SUCCESS)
}

/// A quote as text: the cost (`min – max` or one figure), its lines, the card version and,
/// for an account, whether it is affordable.
pub(crate) fn quote_text(quote: &Value) -> String {
    let (min, max) = (
        text_of(&quote["cost"]["min"]),
        text_of(&quote["cost"]["max"]),
    );
    let mut out = if min == max {
        format!("cost: {max} credits\n")
    } else {
        format!("cost: {min} – {max} credits (a hold reserves the maximum)\n")
    };
    for line in quote["lines"].as_array().into_iter().flatten() {
        let mut row = format!(
            "  {:<20} {} × {} = {}",
            text_of(&line["dimension"]),
            text_of(&line["quantity"]),
            text_of(&line["unit_price"]),
            text_of(&line["amount"]),
        );
        for field in ["tier", "quality"] {
            if let Some(value) = line.get(field).filter(|value| !value.is_null()) {
                row.push_str(&format!(" [{field} {}]", text_of(value)));
            }
        }
        if line["upper_bound"] == Value::Bool(true) {
            row.push_str(" (upper bound)");
        }
        out.push_str(&row);
        out.push('\n');
    }
    out.push_str(&format!(
        "rate card version {}; quote {} valid until {}\n",
        text_of(&quote["rate_card_version"]),
        text_of(&quote["id"]),
        text_of(&quote["expires_at"]),
    ));
    if let Some(account) = quote.get("account").filter(|value| value.is_object()) {
        let affordable = account["affordable"] == Value::Bool(true);
        out.push_str(&format!(
            "account {}: {} available, {} after: {}\n",
            text_of(&account["id"]),
            text_of(&account["available"]),
            text_of(&account["available_after"]),
            if affordable {
                "affordable"
            } else {
                "NOT affordable"
            },
        ));
    }
    for alternative in quote["alternatives"].as_array().into_iter().flatten() {
        let (min, max) = (
            text_of(&alternative["cost"]["min"]),
            text_of(&alternative["cost"]["max"]),
        );
        let cost = if min == max {
            max
        } else {
            format!("{min} – {max}")
        };
        let affordable = match alternative.get("affordable") {
            Some(Value::Bool(true)) => " (affordable)",
            Some(Value::Bool(false)) => " (NOT affordable)",
            _ => "",
        };
        out.push_str(&format!(
            "cheaper: {} at {cost} credits{affordable}\n",
            text_of(&alternative["model"])
        ));
    }
    out
}
