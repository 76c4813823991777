//! `tally usage|limits|charges|purchases|events|webhooks`: what an account did and what the
//! platform is told about it, from the command line, beside `resource_commands` (the ledger's
//! resources). Same conventions: a short text answer, or the API's JSON with `--json`; client
//! flags anywhere; bodies built only from checked arguments.

use std::process::ExitCode;

use clap::Subcommand;
use serde_json::{Value, json};

use crate::client::{Client, ClientArgs, OutputArgs, show};
use crate::resource_commands::{data, more, with_query};
use crate::text;

#[derive(Subcommand, Debug)]
pub enum ActivityCommand {
    /// ACCOUNT's usage: credits spent (net of refunds) and actions, per group, over a range
    /// (default: the current period, or the last 30 days), in the account's time zone.
    Usage {
        account: String,
        /// Start: an RFC 3339 instant or a date (YYYY-MM-DD, in the account's time zone).
        #[arg(long)]
        from: Option<String>,
        /// End: an RFC 3339 instant, or a date (through the end of that day).
        #[arg(long)]
        to: Option<String>,
        /// Comma-separated: product, model, member, action, day.
        #[arg(long, value_name = "DIMENSIONS")]
        group_by: Option<String>,
        #[command(flatten)]
        client: ClientArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Show or replace ACCOUNT's spend limits (replacing needs an admin key).
    Limits {
        #[command(subcommand)]
        command: LimitsCommand,
        #[command(flatten)]
        client: ClientArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// List an account's charges, or show one.
    Charges {
        #[command(subcommand)]
        command: ChargesCommand,
        #[command(flatten)]
        client: ClientArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// List purchases (one account's, or with an admin key every account's), or show one.
    Purchases {
        #[command(subcommand)]
        command: PurchasesCommand,
        #[command(flatten)]
        client: ClientArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// List events, newest first, show one, or deliver one again (admin key).
    Events {
        #[command(subcommand)]
        command: EventsCommand,
        #[command(flatten)]
        client: ClientArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Webhook endpoints: create, list, show, change, delete, rotate the secret, and the
    /// log of deliveries (admin key).
    Webhooks {
        #[command(subcommand)]
        command: WebhooksCommand,
        #[command(flatten)]
        client: ClientArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum LimitsCommand {
    /// The limits with used, remaining and resets_at.
    Show { account: String },
    /// Replace every limit with LIMITS, a JSON list as `PUT /v1/accounts/{id}/limits` takes
    /// (`[{"id": "daily", "scope": "member", "match": "*", "window": "day", "max": 200}]`);
    /// `[]` removes them all.
    Set { account: String, limits: String },
}

#[derive(Subcommand, Debug)]
pub enum ChargesCommand {
    /// ACCOUNT's charges, newest first.
    List {
        account: String,
        /// At most this many (1–1000).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000))]
        limit: Option<u32>,
    },
    /// One charge, with what was refunded of it.
    Show { charge: String },
}

#[derive(Subcommand, Debug)]
pub enum PurchasesCommand {
    /// ACCOUNT's purchases; without ACCOUNT (admin key) every account's.
    List {
        account: Option<String>,
        /// pending, completed, failed, canceled or expired.
        #[arg(long)]
        status: Option<String>,
    },
    /// One purchase.
    Show { purchase: String },
}

#[derive(Subcommand, Debug)]
pub enum EventsCommand {
    /// Events, newest first (account keys: their account's).
    List {
        /// Only this account's (admin keys).
        #[arg(long)]
        account: Option<String>,
        /// Only events of this type (e.g. balance.low).
        #[arg(long = "type", value_name = "TYPE")]
        kind: Option<String>,
        /// At most this many (1–1000).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000))]
        limit: Option<u32>,
    },
    /// One event, with its data.
    Show { event: String },
    /// Deliver EVENT again to its endpoints (admin key).
    Redeliver { event: String },
}

#[derive(Subcommand, Debug)]
pub enum WebhooksCommand {
    /// Register URL (where events are POSTed); the signing secret is printed once.
    Create {
        #[arg(value_name = "URL")]
        endpoint_url: String,
        /// Comma-separated event types (default: every type).
        #[arg(long, value_name = "TYPES")]
        events: Option<String>,
        #[arg(long)]
        description: Option<String>,
    },
    /// Every endpoint.
    List,
    /// One endpoint.
    Show { endpoint: String },
    /// Change an endpoint's URL, events, description or status (enabled, disabled).
    Update {
        endpoint: String,
        /// The new URL (`--url` is the server's).
        #[arg(long, value_name = "URL")]
        endpoint_url: Option<String>,
        #[arg(long, value_name = "TYPES")]
        events: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long)]
        status: Option<String>,
    },
    /// Delete an endpoint: nothing more is delivered to it.
    Delete { endpoint: String },
    /// A new signing secret (printed once); the old one also signs for 24 hours.
    RotateSecret { endpoint: String },
    /// The log of an endpoint's delivery attempts, newest first.
    Deliveries { endpoint: String },
}

pub(crate) fn run(command: ActivityCommand) -> anyhow::Result<ExitCode> {
    match command {
        ActivityCommand::Usage {
            account,
            from,
            to,
            group_by,
            client,
            output,
        } => {
            let mut query = Vec::new();
            for (name, value) in [("from", from), ("to", to), ("group_by", group_by)] {
                if let Some(value) = value {
                    query.push(format!("{name}={}", encode(&value)));
                }
            }
            let path = with_query(&format!("/v1/accounts/{account}/usage"), &query);
            let usage = Client::new(&client)?.get(&path)?;
            show(&output, &usage, usage_text);
        }
        ActivityCommand::Limits {
            command,
            client,
            output,
        } => {
            let client = Client::new(&client)?;
            let limits = match command {
                LimitsCommand::Show { account } => {
                    client.get(&format!("/v1/accounts/{account}/limits"))?
                }
                LimitsCommand::Set { account, limits } => {
                    let limits: Value = serde_json::from_str(&limits).map_err(|error| {
                        anyhow::anyhow!("LIMITS must be a JSON list of limits: {error}")
                    })?;
                    anyhow::ensure!(limits.is_array(), "LIMITS must be a JSON list of limits");
                    client.put(
                        &format!("/v1/accounts/{account}/limits"),
                        &json!({"limits": limits}),
                    )?
                }
            };
            show(&output, &limits, limits_text);
        }
        ActivityCommand::Charges {
            command,
            client,
            output,
        } => {
            let client = Client::new(&client)?;
            match command {
                ChargesCommand::List { account, limit } => {
                    let query: Vec<String> =
                        limit.map(|l| format!("limit={l}")).into_iter().collect();
                    let path = with_query(&format!("/v1/accounts/{account}/charges"), &query);
                    show(&output, &client.get(&path)?, charges_text);
                }
                ChargesCommand::Show { charge } => {
                    let charge = client.get(&format!("/v1/charges/{charge}"))?;
                    show(&output, &charge, |charge| {
                        format!(
                            "charge {} on {}: {} credits, {} refunded ({})\n",
                            text(&charge["id"]),
                            text(&charge["account_id"]),
                            text(&charge["amount"]),
                            text(&charge["refunded"]),
                            text(&charge["created_at"])
                        )
                    });
                }
            }
        }
        ActivityCommand::Purchases {
            command,
            client,
            output,
        } => {
            let client = Client::new(&client)?;
            match command {
                PurchasesCommand::List { account, status } => {
                    let query: Vec<String> =
                        status.map(|s| format!("status={s}")).into_iter().collect();
                    let path = match account {
                        Some(account) => format!("/v1/accounts/{account}/purchases"),
                        None => "/v1/purchases".to_string(),
                    };
                    show(
                        &output,
                        &client.get(&with_query(&path, &query))?,
                        purchases_text,
                    );
                }
                PurchasesCommand::Show { purchase } => {
                    let purchase = client.get(&format!("/v1/purchases/{purchase}"))?;
                    show(&output, &purchase, |purchase| {
                        format!(
                            "purchase {} on {}: pack {}, {} credits, {}\n",
                            text(&purchase["id"]),
                            text(&purchase["account_id"]),
                            text(&purchase["pack"]),
                            text(&purchase["credits"]),
                            text(&purchase["status"])
                        )
                    });
                }
            }
        }
        ActivityCommand::Events {
            command,
            client,
            output,
        } => {
            let client = Client::new(&client)?;
            match command {
                EventsCommand::List {
                    account,
                    kind,
                    limit,
                } => {
                    let mut query = Vec::new();
                    if let Some(account) = account {
                        query.push(format!("account_id={}", encode(&account)));
                    }
                    if let Some(kind) = kind {
                        query.push(format!("type={}", encode(&kind)));
                    }
                    if let Some(limit) = limit {
                        query.push(format!("limit={limit}"));
                    }
                    let events = client.get(&with_query("/v1/events", &query))?;
                    show(&output, &events, events_text);
                }
                EventsCommand::Show { event } => {
                    let event = client.get(&format!("/v1/events/{event}"))?;
                    show(&output, &event, |event| {
                        format!(
                            "event {} ({}) on {}, #{} at {}\n{}\n",
                            text(&event["id"]),
                            text(&event["type"]),
                            text(&event["account_id"]),
                            text(&event["sequence"]),
                            text(&event["created_at"]),
                            serde_json::to_string_pretty(&event["data"]).unwrap_or_default()
                        )
                    });
                }
                EventsCommand::Redeliver { event } => {
                    let answer =
                        client.post(&format!("/v1/events/{event}/redeliver"), &json!({}))?;
                    show(&output, &answer, |_| {
                        format!("{event}: queued for delivery again\n")
                    });
                }
            }
        }
        ActivityCommand::Webhooks {
            command,
            client,
            output,
        } => webhooks(command, &Client::new(&client)?, &output)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn webhooks(command: WebhooksCommand, client: &Client, output: &OutputArgs) -> anyhow::Result<()> {
    let events = |list: &str| -> Value {
        json!(
            list.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
        )
    };
    match command {
        WebhooksCommand::Create {
            endpoint_url,
            events: types,
            description,
        } => {
            let mut body = json!({"url": endpoint_url});
            if let Some(types) = types {
                body["events"] = events(&types);
            }
            if let Some(description) = description {
                body["description"] = json!(description);
            }
            let endpoint = client.post("/v1/webhook-endpoints", &body)?;
            show(output, &endpoint, |endpoint| {
                format!(
                    "{}signing secret (shown only now): {}\n",
                    endpoint_text(endpoint),
                    text(&endpoint["secret"])
                )
            });
        }
        WebhooksCommand::List => {
            let endpoints = client.get("/v1/webhook-endpoints")?;
            show(output, &endpoints, |endpoints| {
                let mut out = String::new();
                for endpoint in data(endpoints) {
                    out.push_str(&endpoint_text(endpoint));
                }
                out.push_str(&more(endpoints));
                out
            });
        }
        WebhooksCommand::Show { endpoint } => {
            let endpoint = client.get(&format!("/v1/webhook-endpoints/{endpoint}"))?;
            show(output, &endpoint, endpoint_text);
        }
        WebhooksCommand::Update {
            endpoint,
            endpoint_url,
            events: types,
            description,
            status,
        } => {
            let mut body = json!({});
            if let Some(url) = endpoint_url {
                body["url"] = json!(url);
            }
            if let Some(types) = types {
                body["events"] = events(&types);
            }
            if let Some(description) = description {
                body["description"] = json!(description);
            }
            if let Some(status) = status {
                body["status"] = json!(status);
            }
            let endpoint = client.patch(&format!("/v1/webhook-endpoints/{endpoint}"), &body)?;
            show(output, &endpoint, endpoint_text);
        }
        WebhooksCommand::Delete { endpoint } => {
            let answer = client.delete(&format!("/v1/webhook-endpoints/{endpoint}"))?;
            show(output, &answer, |_| format!("deleted {endpoint}\n"));
        }
        WebhooksCommand::RotateSecret { endpoint } => {
            let answer = client.post(
                &format!("/v1/webhook-endpoints/{endpoint}/rotate-secret"),
                &json!({}),
            )?;
            show(output, &answer, |answer| {
                format!(
                    "new signing secret for {} (shown only now): {}\n",
                    text(&answer["id"]),
                    text(&answer["secret"])
                )
            });
        }
        WebhooksCommand::Deliveries { endpoint } => {
            let deliveries = client.get(&format!("/v1/webhook-endpoints/{endpoint}/deliveries"))?;
            show(output, &deliveries, |deliveries| {
                let mut out = format!(
                    "{:<32} {:<5} {:>8} {:>6} {:<28} error\n",
                    "event", "ok", "attempt", "code", "attempted"
                );
                for delivery in data(deliveries) {
                    out.push_str(&format!(
                        "{:<32} {:<5} {:>8} {:>6} {:<28} {}\n",
                        text(&delivery["event_id"]),
                        text(&delivery["ok"]),
                        text(&delivery["attempt"]),
                        text(&delivery["status_code"]),
                        text(&delivery["created_at"]),
                        text(&delivery["error"])
                    ));
                }
                out.push_str(&more(deliveries));
                out
            });
        }
    }
    Ok(())
}

/// A query value with the characters a query string gives meaning to escaped.
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b',' | b':' => {
                out.push(char::from(byte));
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

fn usage_text(usage: &Value) -> String {
    let mut out = format!(
        "usage of {} from {} to {} ({})\n",
        text(&usage["account_id"]),
        text(&usage["from"]),
        text(&usage["to"]),
        text(&usage["time_zone"])
    );
    for row in data(usage) {
        let group: Vec<String> = ["day", "product", "model", "member", "action"]
            .iter()
            .filter_map(|name| {
                row.get(*name)
                    .map(|value| format!("{name}={}", text(value)))
            })
            .collect();
        out.push_str(&format!(
            "  {:<60} {:>14} credits {:>8} actions\n",
            group.join(" "),
            text(&row["credits"]),
            text(&row["count"])
        ));
    }
    out.push_str(&format!(
        "  {:<60} {:>14} credits {:>8} actions\n",
        "total",
        text(&usage["total"]["credits"]),
        text(&usage["total"]["count"])
    ));
    out
}

/// A list page as a table: one column per `(field, heading, width)`, a negative width
/// aligned right (numbers), then the line that says the list goes on.
fn table(list: &Value, columns: &[(&str, &str, i32)]) -> String {
    let line = |texts: Vec<String>| {
        let cells: Vec<String> = texts
            .iter()
            .zip(columns)
            .map(|(text, (_, _, width))| {
                let padded = width.unsigned_abs() as usize;
                if *width < 0 {
                    format!("{text:>padded$}")
                } else {
                    format!("{text:<padded$}")
                }
            })
            .collect();
        format!("{}\n", cells.join(" "))
    };
    let mut out = line(
        columns
            .iter()
            .map(|(_, heading, _)| heading.to_string())
            .collect(),
    );
    for row in data(list) {
        out.push_str(&line(
            columns
                .iter()
                .map(|(field, _, _)| text(&row[*field]))
                .collect(),
        ));
    }
    out.push_str(&more(list));
    out
}

fn limits_text(limits: &Value) -> String {
    table(
        limits,
        &[
            ("id", "id", 20),
            ("scope", "scope", 8),
            ("match", "match", 10),
            ("window", "window", 8),
            ("max", "max", -12),
            ("used", "used", -12),
            ("remaining", "remaining", -12),
            ("resets_at", "resets", 0),
        ],
    )
}

fn charges_text(charges: &Value) -> String {
    table(
        charges,
        &[
            ("id", "id", 32),
            ("amount", "amount", -14),
            ("refunded", "refunded", -14),
            ("product", "product", 16),
            ("created_at", "created", 0),
        ],
    )
}

fn purchases_text(purchases: &Value) -> String {
    table(
        purchases,
        &[
            ("id", "id", 32),
            ("account_id", "account", 24),
            ("pack", "pack", 12),
            ("credits", "credits", -12),
            ("status", "status", 0),
        ],
    )
}

fn events_text(events: &Value) -> String {
    table(
        events,
        &[
            ("id", "id", 32),
            ("type", "type", 24),
            ("account_id", "account", 24),
            ("sequence", "seq", -6),
            ("created_at", "created", 0),
        ],
    )
}

fn endpoint_text(endpoint: &Value) -> String {
    let events = endpoint["events"]
        .as_array()
        .map(|types| types.iter().map(text).collect::<Vec<_>>().join(","))
        .unwrap_or_else(|| "every type".to_string());
    format!(
        "{} {} ({}): {}\n",
        text(&endpoint["id"]),
        text(&endpoint["url"]),
        text(&endpoint["status"]),
        events
    )
}
