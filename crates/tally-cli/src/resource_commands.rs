//! `tally accounts|balance|grants|charge|holds|entries`: the ledger's resources from the
//! command line. Each prints a short human-readable answer, or with `--json` the API's answer
//! as it came. Amounts are parsed exactly (`Millicredits::parse_credits`) before any request.

use std::process::ExitCode;

use clap::Subcommand;
use serde_json::{Map, Value, json};
use tally_core::Millicredits;

use crate::client::{Client, ClientArgs, OutputArgs, show};
use crate::{parse_credits, parse_instant, text};

#[derive(Subcommand, Debug)]
pub enum ResourceCommand {
    /// Create, list and show accounts (creating and listing need an admin key).
    Accounts {
        #[command(subcommand)]
        command: AccountsCommand,
        #[command(flatten)]
        client: ClientArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Show ACCOUNT's balance: available, posted, held and its grants.
    Balance {
        account: String,
        #[command(flatten)]
        client: ClientArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Grant credits to an account, list its grants, void one (admin key).
    Grants {
        #[command(subcommand)]
        command: GrantsCommand,
        #[command(flatten)]
        client: ClientArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Charge ACCOUNT: AMOUNT credits, or a usage priced by the current rate card.
    Charge(ChargeArgs),
    /// Reserve credits (a hold), then capture or void it; list an account's holds.
    Holds {
        #[command(subcommand)]
        command: HoldsCommand,
        #[command(flatten)]
        client: ClientArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// List ACCOUNT's ledger entries, newest first.
    Entries {
        account: String,
        /// Only entries of this type (grant, charge, hold, capture, release, expire, void,
        /// adjustment, refund).
        #[arg(long = "type", value_name = "TYPE")]
        kind: Option<String>,
        /// At most this many (1–1000).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000))]
        limit: Option<u32>,
        #[command(flatten)]
        client: ClientArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum AccountsCommand {
    /// Create an account, with the id ID or a generated one.
    Create {
        id: Option<String>,
        #[arg(long)]
        name: Option<String>,
        /// Credits the account may go below zero (exact, at most 3 fraction digits).
        #[arg(long, value_parser = parse_credits_or_zero, allow_hyphen_values = true)]
        overdraft_limit: Option<Millicredits>,
    },
    /// List the accounts.
    List {
        /// At most this many (1–1000).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000))]
        limit: Option<u32>,
    },
    /// Show an account with its balance.
    Show { id: String },
    /// Change an account's settings (admin key): only the flags given change.
    Update {
        id: String,
        #[arg(long)]
        name: Option<String>,
        /// Credits the balance may go below zero (exact; 0 for none).
        #[arg(long, value_parser = parse_credits_or_zero)]
        overdraft_limit: Option<Millicredits>,
        /// An IANA time zone (its days are the account's usage days and limit windows).
        #[arg(long)]
        time_zone: Option<String>,
        /// Credits below which `balance.low` fires (exact; `none` for the default).
        #[arg(long, value_name = "CREDITS|none")]
        low_balance_threshold: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum GrantsCommand {
    /// Grant AMOUNT credits to ACCOUNT.
    Create {
        account: String,
        /// Credits (exact, at most 3 fraction digits).
        #[arg(value_parser = parse_credits, allow_hyphen_values = true)]
        amount: Millicredits,
        /// promo, adjustment, plan or pack (default promo).
        #[arg(long)]
        source: Option<String>,
        /// When the unspent rest expires (RFC 3339).
        #[arg(long, value_parser = parse_instant)]
        expires_at: Option<tally_core::Timestamp>,
        /// Lower is spent first (default 0).
        #[arg(long, allow_negative_numbers = true)]
        priority: Option<i64>,
        #[arg(long)]
        description: Option<String>,
    },
    /// List ACCOUNT's grants.
    List {
        account: String,
        /// pending, active, depleted, expired or voided.
        #[arg(long)]
        status: Option<String>,
    },
    /// Void a grant: its unspent credits are gone.
    Void { grant: String },
}

/// A usage for the rate card to price, instead of an amount.
#[derive(clap::Args, Debug, Clone)]
pub struct UsageArgs {
    /// The model, as the rate card names it: the debit is priced from the flags below.
    #[arg(long, value_name = "M")]
    pub model: Option<String>,
    /// chat, embedding or custom (default: custom with --units, else chat).
    #[arg(long, value_parser = ["chat", "embedding", "custom"], requires = "model")]
    pub action: Option<String>,
    #[arg(long, value_name = "N", requires = "model")]
    pub input_tokens: Option<u64>,
    #[arg(long, value_name = "N", requires = "model")]
    pub cached_input_tokens: Option<u64>,
    #[arg(long, value_name = "N", requires = "model")]
    pub output_tokens: Option<u64>,
    /// An upper bound on output tokens (holds: the hold reserves the maximum).
    #[arg(long, value_name = "N", requires = "model")]
    pub max_output_tokens: Option<u64>,
    #[arg(long, value_name = "N", requires = "model")]
    pub units: Option<u64>,
}

/// Who a debit is attributed to, and its idempotency key.
#[derive(clap::Args, Debug, Clone)]
pub struct DebitArgs {
    /// Free text for attribution (`assistant`, `studio`, …).
    #[arg(long)]
    pub product: Option<String>,
    /// The member of the account who spent it.
    #[arg(long)]
    pub member: Option<String>,
    #[arg(long)]
    pub description: Option<String>,
    /// Sent as `Idempotency-Key`: the same key and body again changes nothing.
    #[arg(long)]
    pub idempotency_key: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct ChargeArgs {
    pub account: String,
    /// Credits (exact, at most 3 fraction digits); or --model and a usage.
    #[arg(
        value_parser = parse_credits,
        allow_hyphen_values = true,
        required_unless_present = "model",
        conflicts_with = "model"
    )]
    pub amount: Option<Millicredits>,
    #[command(flatten)]
    pub usage: UsageArgs,
    #[command(flatten)]
    pub debit: DebitArgs,
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(clap::Args, Debug)]
pub struct HoldCreateArgs {
    pub account: String,
    /// Credits (exact, at most 3 fraction digits); or --model and a usage.
    #[arg(
        value_parser = parse_credits,
        allow_hyphen_values = true,
        required_unless_present = "model",
        conflicts_with = "model"
    )]
    pub amount: Option<Millicredits>,
    /// Seconds until an uncaptured hold expires (default 600).
    #[arg(long)]
    pub ttl_seconds: Option<u32>,
    #[command(flatten)]
    pub usage: UsageArgs,
    #[command(flatten)]
    pub debit: DebitArgs,
}

#[derive(Subcommand, Debug)]
pub enum HoldsCommand {
    /// Reserve AMOUNT credits (or a usage's maximum) on ACCOUNT.
    Create(Box<HoldCreateArgs>),
    /// Capture a hold: all of it, or --amount credits (the rest is released unless
    /// --final=false).
    Capture {
        hold: String,
        #[arg(long, value_parser = parse_credits, allow_hyphen_values = true)]
        amount: Option<Millicredits>,
        /// false: the hold stays pending, the rest still reserved.
        #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set)]
        r#final: Option<bool>,
        /// Sent as `Idempotency-Key`.
        #[arg(long)]
        idempotency_key: Option<String>,
    },
    /// Void a pending hold: its credits return.
    Void { hold: String },
    /// Extend a pending hold: reserve --amount more credits and/or live --ttl-seconds from
    /// now; refused, the hold stays exactly as it was.
    Extend {
        hold: String,
        #[arg(long, value_parser = parse_credits, allow_hyphen_values = true)]
        amount: Option<Millicredits>,
        #[arg(long)]
        ttl_seconds: Option<u32>,
        /// Sent as `Idempotency-Key`.
        #[arg(long)]
        idempotency_key: Option<String>,
    },
    /// List ACCOUNT's holds.
    List {
        account: String,
        /// pending, captured, voided or expired.
        #[arg(long)]
        status: Option<String>,
    },
}

pub(crate) fn run(command: ResourceCommand) -> anyhow::Result<ExitCode> {
    match command {
        ResourceCommand::Accounts {
            command,
            client,
            output,
        } => accounts(command, &Client::new(&client)?, &output),
        ResourceCommand::Balance {
            account,
            client,
            output,
        } => {
            let balance = Client::new(&client)?.get(&format!("/v1/accounts/{account}/balance"))?;
            show(&output, &balance, balance_text);
            Ok(ExitCode::SUCCESS)
        }
        ResourceCommand::Grants {
            command,
            client,
            output,
        } => grants(command, &Client::new(&client)?, &output),
        ResourceCommand::Charge(args) => charge(&args),
        ResourceCommand::Holds {
            command,
            client,
            output,
        } => holds(command, &Client::new(&client)?, &output),
        ResourceCommand::Entries {
            account,
            kind,
            limit,
            client,
            output,
        } => {
            let mut query = Vec::new();
            if let Some(kind) = kind {
                query.push(format!("type={kind}"));
            }
            if let Some(limit) = limit {
                query.push(format!("limit={limit}"));
            }
            let path = with_query(&format!("/v1/accounts/{account}/entries"), &query);
            let entries = Client::new(&client)?.get(&path)?;
            show(&output, &entries, entries_text);
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub(crate) fn with_query(path: &str, query: &[String]) -> String {
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

fn accounts(
    command: AccountsCommand,
    client: &Client,
    output: &OutputArgs,
) -> anyhow::Result<ExitCode> {
    match command {
        AccountsCommand::Create {
            id,
            name,
            overdraft_limit,
        } => {
            let mut body = json!({});
            if let Some(id) = id {
                body["id"] = json!(id);
            }
            if let Some(name) = name {
                body["name"] = json!(name);
            }
            if let Some(limit) = overdraft_limit {
                body["overdraft_limit"] = tally_server::render::credits(limit);
            }
            let account = client.post("/v1/accounts", &body)?;
            show(output, &account, |account| {
                format!(
                    "created account {} ({}), overdraft limit {}\n",
                    text(&account["id"]),
                    text(&account["name"]),
                    text(&account["overdraft_limit"])
                )
            });
        }
        AccountsCommand::List { limit } => {
            let query: Vec<String> = limit
                .map(|limit| format!("limit={limit}"))
                .into_iter()
                .collect();
            let accounts = client.get(&with_query("/v1/accounts", &query))?;
            show(output, &accounts, |accounts| {
                let mut out = format!(
                    "{:<32} {:<24} {:>14} {:<28}\n",
                    "id", "name", "available", "created"
                );
                for account in data(accounts) {
                    out.push_str(&format!(
                        "{:<32} {:<24} {:>14} {:<28}\n",
                        text(&account["id"]),
                        text(&account["name"]),
                        text(&account["balance"]["available"]),
                        text(&account["created_at"])
                    ));
                }
                out.push_str(&more(accounts));
                out
            });
        }
        AccountsCommand::Update {
            id,
            name,
            overdraft_limit,
            time_zone,
            low_balance_threshold,
        } => {
            let mut body = json!({});
            if let Some(name) = name {
                body["name"] = json!(name);
            }
            if let Some(limit) = overdraft_limit {
                body["overdraft_limit"] = tally_server::render::credits(limit);
            }
            if let Some(zone) = time_zone {
                body["time_zone"] = json!(zone);
            }
            if let Some(threshold) = low_balance_threshold {
                body["low_balance_threshold"] = if threshold == "none" {
                    Value::Null
                } else {
                    let amount = parse_credits_or_zero(&threshold)
                        .map_err(|error| anyhow::anyhow!("--low-balance-threshold: {error}"))?;
                    tally_server::render::credits(amount)
                };
            }
            let account = client.patch(&format!("/v1/accounts/{id}"), &body)?;
            show(output, &account, |account| {
                format!(
                    "account {} ({}): time zone {}, overdraft limit {}, low balance threshold {}\n",
                    text(&account["id"]),
                    text(&account["name"]),
                    text(&account["time_zone"]),
                    text(&account["overdraft_limit"]),
                    text(&account["low_balance_threshold"])
                )
            });
        }
        AccountsCommand::Show { id } => {
            let account = client.get(&format!("/v1/accounts/{id}"))?;
            show(output, &account, |account| {
                format!(
                    "account {} ({}), created {}, overdraft limit {}\n{}",
                    text(&account["id"]),
                    text(&account["name"]),
                    text(&account["created_at"]),
                    text(&account["overdraft_limit"]),
                    balance_text(&account["balance"])
                )
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn data(list: &Value) -> impl Iterator<Item = &Value> {
    list["data"].as_array().into_iter().flatten()
}

/// The line that says a list goes on, if it does.
pub(crate) fn more(list: &Value) -> String {
    if list["has_more"] == Value::Bool(true) {
        "(more: pass a larger --limit)\n".to_string()
    } else {
        String::new()
    }
}

fn balance_text(balance: &Value) -> String {
    let mut out = format!(
        "available {} · posted {} · held {} · overdraft limit {}\n",
        text(&balance["available"]),
        text(&balance["posted"]),
        text(&balance["held"]),
        text(&balance["overdraft_limit"])
    );
    if let Some(next) = balance.get("next_expiry").filter(|next| next.is_object()) {
        out.push_str(&format!(
            "next expiry: {} credits at {}\n",
            text(&next["amount"]),
            text(&next["at"])
        ));
    }
    for grant in balance["grants"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "  {:<32} {:<10} {:>14} remaining, priority {}, expires {}\n",
            text(&grant["id"]),
            text(&grant["source"]),
            text(&grant["remaining"]),
            text(&grant["priority"]),
            text(&grant["expires_at"])
        ));
    }
    out
}

fn grant_text(grant: &Value) -> String {
    format!(
        "grant {} on {}: {} of {} credits remaining, {} ({}, priority {}, expires {})\n",
        text(&grant["id"]),
        text(&grant["account_id"]),
        text(&grant["remaining"]),
        text(&grant["amount"]),
        text(&grant["status"]),
        text(&grant["source"]),
        text(&grant["priority"]),
        text(&grant["expires_at"])
    )
}

fn grants(
    command: GrantsCommand,
    client: &Client,
    output: &OutputArgs,
) -> anyhow::Result<ExitCode> {
    match command {
        GrantsCommand::Create {
            account,
            amount,
            source,
            expires_at,
            priority,
            description,
        } => {
            let mut body = json!({"amount": tally_server::render::credits(amount)});
            if let Some(source) = source {
                body["source"] = json!(source);
            }
            if let Some(at) = expires_at {
                body["expires_at"] = tally_server::render::instant(at);
            }
            if let Some(priority) = priority {
                body["priority"] = json!(priority);
            }
            if let Some(description) = description {
                body["description"] = json!(description);
            }
            let grant = client.post(&format!("/v1/accounts/{account}/grants"), &body)?;
            show(output, &grant, grant_text);
        }
        GrantsCommand::List { account, status } => {
            let query: Vec<String> = status.map(|s| format!("status={s}")).into_iter().collect();
            let path = with_query(&format!("/v1/accounts/{account}/grants"), &query);
            let grants = client.get(&path)?;
            show(output, &grants, |grants| {
                let mut out = format!(
                    "{:<32} {:<10} {:<9} {:>14} {:>14} {:>8} expires\n",
                    "id", "source", "status", "amount", "remaining", "priority"
                );
                for grant in data(grants) {
                    out.push_str(&format!(
                        "{:<32} {:<10} {:<9} {:>14} {:>14} {:>8} {}\n",
                        text(&grant["id"]),
                        text(&grant["source"]),
                        text(&grant["status"]),
                        text(&grant["amount"]),
                        text(&grant["remaining"]),
                        text(&grant["priority"]),
                        text(&grant["expires_at"])
                    ));
                }
                out.push_str(&more(grants));
                out
            });
        }
        GrantsCommand::Void { grant } => {
            let grant = client.post(&format!("/v1/grants/{grant}/void"), &json!({}))?;
            show(output, &grant, grant_text);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The `usage` object for `--model` and its quantities.
fn usage_body(usage: &UsageArgs, model: &str, debit: &DebitArgs) -> Value {
    let mut body = Map::new();
    let action = usage.action.clone().unwrap_or_else(|| {
        if usage.units.is_some() {
            "custom".into()
        } else {
            "chat".into()
        }
    });
    body.insert("action".into(), action.into());
    body.insert("model".into(), model.into());
    for (name, value) in [
        ("input_tokens", usage.input_tokens),
        ("cached_input_tokens", usage.cached_input_tokens),
        ("output_tokens", usage.output_tokens),
        ("max_output_tokens", usage.max_output_tokens),
        ("units", usage.units),
    ] {
        if let Some(value) = value {
            body.insert(name.into(), value.into());
        }
    }
    if let Some(product) = &debit.product {
        body.insert("product".into(), product.clone().into());
    }
    Value::Object(body)
}

/// The body of a charge or hold: `amount` or `usage`, plus attribution.
fn debit_body(amount: Option<Millicredits>, usage: &UsageArgs, debit: &DebitArgs) -> Value {
    let mut body = json!({});
    match (amount, &usage.model) {
        (Some(amount), _) => body["amount"] = tally_server::render::credits(amount),
        (None, Some(model)) => body["usage"] = usage_body(usage, model, debit),
        // clap requires one of the two.
        (None, None) => {}
    }
    for (name, value) in [
        ("product", &debit.product),
        ("member", &debit.member),
        ("description", &debit.description),
    ] {
        if let Some(value) = value {
            body[name] = json!(value);
        }
    }
    body
}

fn charge(args: &ChargeArgs) -> anyhow::Result<ExitCode> {
    let body = debit_body(args.amount, &args.usage, &args.debit);
    let charge = Client::new(&args.client)?.post_idempotent(
        &format!("/v1/accounts/{}/charges", args.account),
        &body,
        args.debit.idempotency_key.as_deref(),
    )?;
    show(&args.output, &charge, |charge| {
        let drawn: Vec<String> = charge["drawn"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|draw| format!("{} from {}", text(&draw["amount"]), text(&draw["grant_id"])))
            .collect();
        format!(
            "charge {} on {}: {} credits; {} available after{}\n",
            text(&charge["id"]),
            text(&charge["account_id"]),
            text(&charge["amount"]),
            text(&charge["available_after"]),
            if drawn.is_empty() {
                String::new()
            } else {
                format!(" (drawn: {})", drawn.join(", "))
            }
        )
    });
    Ok(ExitCode::SUCCESS)
}

fn hold_text(hold: &Value) -> String {
    let mut out = format!(
        "hold {} on {}: {}, {} credits held, {} captured",
        text(&hold["id"]),
        text(&hold["account_id"]),
        text(&hold["status"]),
        text(&hold["amount"]),
        text(&hold["captured"])
    );
    if let Some(released) = hold.get("released").filter(|value| !value.is_null()) {
        out.push_str(&format!(", {} released", text(released)));
    }
    out.push_str(&format!(", expires {}\n", text(&hold["expires_at"])));
    out
}

fn holds(command: HoldsCommand, client: &Client, output: &OutputArgs) -> anyhow::Result<ExitCode> {
    match command {
        HoldsCommand::Create(args) => {
            let HoldCreateArgs {
                account,
                amount,
                ttl_seconds,
                usage,
                debit,
            } = *args;
            let mut body = debit_body(amount, &usage, &debit);
            if let Some(ttl) = ttl_seconds {
                body["ttl_seconds"] = json!(ttl);
            }
            let hold = client.post_idempotent(
                &format!("/v1/accounts/{account}/holds"),
                &body,
                debit.idempotency_key.as_deref(),
            )?;
            show(output, &hold, hold_text);
        }
        HoldsCommand::Capture {
            hold,
            amount,
            r#final,
            idempotency_key,
        } => {
            let mut body = json!({});
            if let Some(amount) = amount {
                body["amount"] = tally_server::render::credits(amount);
            }
            if let Some(last) = r#final {
                body["final"] = json!(last);
            }
            let hold = client.post_idempotent(
                &format!("/v1/holds/{hold}/capture"),
                &body,
                idempotency_key.as_deref(),
            )?;
            show(output, &hold, hold_text);
        }
        HoldsCommand::Void { hold } => {
            let hold = client.post(&format!("/v1/holds/{hold}/void"), &json!({}))?;
            show(output, &hold, hold_text);
        }
        HoldsCommand::Extend {
            hold,
            amount,
            ttl_seconds,
            idempotency_key,
        } => {
            let mut body = json!({});
            if let Some(amount) = amount {
                body["amount"] = tally_server::render::credits(amount);
            }
            if let Some(ttl) = ttl_seconds {
                body["ttl_seconds"] = json!(ttl);
            }
            let hold = client.post_idempotent(
                &format!("/v1/holds/{hold}/extend"),
                &body,
                idempotency_key.as_deref(),
            )?;
            show(output, &hold, hold_text);
        }
        HoldsCommand::List { account, status } => {
            let query: Vec<String> = status.map(|s| format!("status={s}")).into_iter().collect();
            let holds = client.get(&with_query(
                &format!("/v1/accounts/{account}/holds"),
                &query,
            ))?;
            show(output, &holds, |holds| {
                let mut out = format!(
                    "{:<32} {:<9} {:>14} {:>14} expires\n",
                    "id", "status", "amount", "captured"
                );
                for hold in data(holds) {
                    out.push_str(&format!(
                        "{:<32} {:<9} {:>14} {:>14} {}\n",
                        text(&hold["id"]),
                        text(&hold["status"]),
                        text(&hold["amount"]),
                        text(&hold["captured"]),
                        text(&hold["expires_at"])
                    ));
                }
                out.push_str(&more(holds));
                out
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn entries_text(entries: &Value) -> String {
    let mut out = format!(
        "{:<32} {:<10} {:>14} {:>14} {:<28} of\n",
        "id", "type", "amount", "held", "created"
    );
    for entry in data(entries) {
        let of = ["grant_id", "hold_id", "charge_id"]
            .iter()
            .filter_map(|field| entry.get(*field).and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(" ");
        out.push_str(&format!(
            "{:<32} {:<10} {:>14} {:>14} {:<28} {of}\n",
            text(&entry["id"]),
            text(&entry["type"]),
            text(&entry["amount"]),
            text(&entry["held"]),
            text(&entry["created_at"])
        ));
    }
    out.push_str(&more(entries));
    out
}

/// An amount that may be zero (an overdraft limit), never negative.
fn parse_credits_or_zero(text: &str) -> Result<Millicredits, String> {
    match Millicredits::parse_credits(text) {
        Ok(amount) if amount.is_negative() => Err("the amount must not be negative".into()),
        Ok(amount) => Ok(amount),
        Err(error) => Err(error.to_string()),
    }
}
