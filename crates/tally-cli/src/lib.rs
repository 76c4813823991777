//! The `tally` command line: `serve` runs the server, `verify` checks a ledger, and the client
//! commands talk to a running server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde_json::json;

mod activity_commands;
pub mod bench;
pub mod client;
mod pricing_commands;
mod resource_commands;

use client::{Client, ClientArgs, OutputArgs, show};

/// Tally, the credits engine of an AI platform.
#[derive(Parser, Debug)]
#[command(name = "tally", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Load-test a server (or the engine alone) and report throughput and latency.
    Bench(bench::BenchArgs),
    /// Recompute every balance from the ledger entries and report any difference.
    Verify(VerifyArgs),
    /// Copy an SQLite store to a new file while it serves (consistent as of one commit), then
    /// verify the copy.
    Backup(BackupArgs),
    /// Print the OpenAPI 3.1 document this binary serves at /openapi.json (as committed in
    /// docs/openapi.json: `tally openapi > docs/openapi.json`).
    Openapi,
    /// Create, list and revoke account keys on a running server (needs an admin key).
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
        #[command(flatten)]
        client: ClientArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// List the plans on sale.
    Plans {
        #[command(flatten)]
        client: ClientArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// List the credit packs on sale.
    Packs {
        #[command(flatten)]
        client: ClientArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Start or change ACCOUNT's plan.
    Subscribe {
        account: String,
        plan: String,
        #[arg(long, default_value_t = 1)]
        seats: u32,
        #[command(flatten)]
        client: ClientArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Buy the credit pack PACK for ACCOUNT. With an admin key the purchase is completed at
    /// once (the platform was paid) unless `--pending`; with an account key it always waits
    /// for its payment (`tally purchase complete` records it).
    Buy {
        account: String,
        pack: String,
        /// Open the purchase `pending`: no credits until it is completed.
        #[arg(long)]
        pending: bool,
        #[command(flatten)]
        client: ClientArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Record a pending purchase's payment: complete it (its credits are granted), fail it
    /// or cancel it (admin key).
    Purchase {
        #[command(subcommand)]
        action: PurchaseAction,
        #[command(flatten)]
        client: ClientArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Import a rate card from LiteLLM's price list, or show the current one.
    RateCard {
        #[command(subcommand)]
        command: pricing_commands::RateCardCommand,
        #[command(flatten)]
        client: ClientArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Price a usage on the current rate card before committing it.
    Quote(pricing_commands::QuoteArgs),
    /// Refund a charge (`chg_…`), or what a hold (`hold_…`) captured: all that is left, or
    /// `--amount` credits.
    Refund {
        /// The charge's id, or the hold's.
        id: String,
        /// Credits to refund (exact, at most 3 fraction digits); default: all that is left.
        #[arg(long, value_parser = parse_credits)]
        amount: Option<tally_core::Millicredits>,
        /// Why (kept with the refund and its entries).
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        client: ClientArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    #[command(flatten)]
    Resource(resource_commands::ResourceCommand),
    #[command(flatten)]
    Activity(activity_commands::ActivityCommand),
}

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Create a key for ACCOUNT; the key is printed once.
    Create { account: String },
    /// List ACCOUNT's keys (never the keys themselves).
    List { account: String },
    /// Revoke the key with id ID at once.
    Revoke { id: String },
}

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// The embedded SQLite database (created and migrated on first start).
    #[arg(long, env = "TALLY_DB", default_value = "./tally.db")]
    pub db: PathBuf,
    /// A PostgreSQL database that several nodes share (`postgres://user@host:port/dbname`),
    /// used instead of `--db`; migrated on start.
    #[arg(long, env = "TALLY_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Where to listen.
    #[arg(long, env = "TALLY_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The admin API key. Without one (and none stored), one is generated and printed once.
    #[arg(long, env = "TALLY_ADMIN_KEY", hide_env_values = true)]
    pub admin_key: Option<String>,
    /// Enable the test clock endpoints (`/v1/clock`): time moves only when an admin moves it.
    #[arg(long)]
    pub test_clock: bool,
    /// With --test-clock: where the clock starts (RFC 3339) instead of the wall clock.
    #[arg(long, value_parser = parse_instant, requires = "test_clock")]
    pub test_clock_start: Option<tally_core::Timestamp>,
    /// The most commands the engine commits in one transaction (1: one per command).
    #[arg(long, default_value_t = tally_engine::BATCH_COMMANDS_MAX_DEFAULT)]
    pub max_batch: usize,
    /// Requests per second allowed per account key (0: no limit).
    #[arg(long, env = "TALLY_RATE_LIMIT", default_value_t = tally_server::limits::KEY_REQUESTS_PER_SECOND_DEFAULT)]
    pub rate_limit: u32,
    /// The burst an account key may send above its rate.
    #[arg(long, env = "TALLY_RATE_BURST", default_value_t = tally_server::limits::KEY_REQUESTS_BURST_DEFAULT)]
    pub rate_burst: u32,
    /// Rate-limit admin keys too.
    #[arg(long)]
    pub rate_limit_admin: bool,
    /// A TOML file with the plans and packs on sale (replaces the default catalog).
    #[arg(long, env = "TALLY_CATALOG")]
    pub catalog: Option<PathBuf>,
    /// The signing secret of the Stripe webhook endpoint (`whsec_…`): turns on
    /// `POST /v1/integrations/stripe/webhook`. Several, comma separated, while a secret rolls.
    #[arg(
        long,
        env = "TALLY_STRIPE_WEBHOOK_SECRET",
        hide_env_values = true,
        value_delimiter = ','
    )]
    pub stripe_webhook_secret: Vec<String>,
    /// The address people and the platform reach this server at (`https://billing.example.com`):
    /// portal links are made on it, and with https the dashboard's cookies are `Secure`.
    /// Default: `http://` and the address it listens on.
    #[arg(long, env = "TALLY_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Seconds a request may take before it is answered 503.
    #[arg(long, default_value_t = 30)]
    pub request_timeout_seconds: u64,
    /// Refuse webhook endpoints on loopback, private and link-local addresses (their URLs,
    /// and what their hosts resolve to before each delivery). Off by default: only admins
    /// create endpoints, and a self-hosted platform's receivers often sit on its own network.
    #[arg(long, env = "TALLY_WEBHOOK_DENY_PRIVATE")]
    pub webhook_deny_private: bool,
    /// Seconds a node leases a webhook delivery it attempts: after a node dies mid-delivery,
    /// another retries it this much later. Keep it above the 15 s delivery timeout (a
    /// shorter one lets a slow attempt be made twice); tests shorten it.
    #[arg(long, default_value_t = 60, hide = true)]
    pub webhook_lease_seconds: u64,
    /// A PEM file of root certificates trusted for https webhook endpoints besides the Web
    /// PKI's (a private CA for receivers on the platform's own network).
    #[arg(long, env = "TALLY_WEBHOOK_CA_FILE")]
    pub webhook_ca_file: Option<PathBuf>,
    /// The most connections served at once (idle keep-alive ones count). One more is answered
    /// 503 `unavailable` with `Retry-After: 1` and closed, nothing read or done.
    #[arg(long, env = "TALLY_MAX_CONNECTIONS", default_value_t = tally_server::connections::CONNECTIONS_MAX_DEFAULT as u64, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_connections: u64,
    /// Seconds a connection may send nothing before it is closed (an idle keep-alive
    /// connection holds one of the `--max-connections` slots until then). Above the request
    /// timeout, so a request in progress is never cut.
    #[arg(long, env = "TALLY_IDLE_TIMEOUT_SECONDS", default_value_t = tally_server::connections::CONNECTION_IDLE_SECONDS_DEFAULT, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub idle_timeout_seconds: u64,
}

#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    /// The embedded SQLite database to check.
    #[arg(long, env = "TALLY_DB", default_value = "./tally.db")]
    pub db: PathBuf,
    /// A PostgreSQL database to check instead (`postgres://user@host:port/dbname`).
    #[arg(long, env = "TALLY_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct BackupArgs {
    /// The embedded SQLite database to copy (it may be serving).
    #[arg(long, env = "TALLY_DB", default_value = "./tally.db")]
    pub db: PathBuf,
    /// Where to write the copy (must not exist). Restore: stop the server, put the copy in
    /// the database's place, start it again.
    pub out: PathBuf,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // Log lines go to stderr from a thread of their own, buffered and flushed whenever no
    // more are waiting: a request never waits for a write(2) of its access-log line (one
    // unbuffered write per line cost ~8 µs of each request). Nothing is dropped; the guard
    // flushes what is left when main returns.
    let (log_writer, _log_flush) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("tally-log")
        .finish(std::io::BufWriter::new(std::io::stderr()));
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(log_writer)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let result = match cli.command {
        Command::Serve(args) => serve(args),
        Command::Bench(args) => bench::run(args),
        Command::Verify(args) => verify(args),
        Command::Backup(args) => backup(&args),
        Command::Openapi => {
            print!("{}", tally_server::openapi::text());
            Ok(ExitCode::SUCCESS)
        }
        Command::Keys {
            command,
            client,
            output,
        } => keys(command, &client, &output),
        Command::Plans { client, output } => plans(&client, &output),
        Command::Packs { client, output } => packs(&client, &output),
        Command::Subscribe {
            account,
            plan,
            seats,
            client,
            output,
        } => subscribe(&account, &plan, seats, &client, &output),
        Command::Buy {
            account,
            pack,
            pending,
            client,
            output,
        } => buy(&account, &pack, pending, &client, &output),
        Command::Purchase {
            action,
            client,
            output,
        } => purchase(action, &client, &output),
        Command::RateCard {
            command,
            client,
            output,
        } => pricing_commands::rate_card(command, &client, &output),
        Command::Quote(args) => pricing_commands::quote(&args),
        Command::Refund {
            id,
            amount,
            reason,
            client,
            output,
        } => refund(&id, amount, reason, &client, &output),
        Command::Resource(command) => resource_commands::run(command),
        Command::Activity(command) => activity_commands::run(command),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("tally: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The composition root: opens the store named on the command line, starts the server on
/// it, binds the listener and serves until SIGTERM or ctrl-c.
fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut config = tally_server::ServeConfig {
        admin_key: args.admin_key,
        test_clock: args.test_clock,
        test_clock_start: args.test_clock_start,
        max_batch: args.max_batch,
        catalog: args.catalog,
        stripe_webhook_secrets: args
            .stripe_webhook_secret
            .iter()
            .map(|secret| secret.trim().to_string())
            .filter(|secret| !secret.is_empty())
            .collect(),
        limits: tally_server::limits::LimitsConfig {
            key_requests_per_second: args.rate_limit,
            key_requests_burst: args.rate_burst,
            limit_admin_keys: args.rate_limit_admin,
            request_timeout: std::time::Duration::from_secs(args.request_timeout_seconds.max(1)),
            ..Default::default()
        },
        public_url: None,
        webhooks: tally_server::webhooks::WebhookConfig {
            deny_private: args.webhook_deny_private,
            lease: std::time::Duration::from_secs(args.webhook_lease_seconds.max(1)),
            extra_roots: args.webhook_ca_file.clone(),
        },
        max_connections: usize::try_from(args.max_connections)?,
        idle_timeout: std::time::Duration::from_secs(args.idle_timeout_seconds),
    };
    let (store, described) = open_store(&args.db, args.database_url.as_deref(), true)?;
    runtime.block_on(async move {
        // Bound first: the default public URL is the address it listens on (port 0 picks one).
        let listener = tokio::net::TcpListener::bind(args.listen).await?;
        let address = listener.local_addr()?;
        config.public_url = Some(
            args.public_url
                .unwrap_or_else(|| format!("http://{address}")),
        );
        let server = tally_server::Server::start(store, &config)?;
        println!("tally listening on http://{address} (store: {described})");
        tracing::info!(%address, store = %described, "listening");
        let router = tally_web::app(server.state.clone());
        tally_server::serve(server, router, listener, shutdown_signal()).await
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The store: PostgreSQL when a URL is given, else the SQLite file (created unless `create`
/// is false); with how to name it in a log line (never a password).
pub fn open_store(
    db: &std::path::Path,
    database_url: Option<&str>,
    create: bool,
) -> anyhow::Result<(std::sync::Arc<dyn tally_store::Store>, String)> {
    match database_url {
        Some(url) => Ok((
            std::sync::Arc::new(tally_postgres::PostgresStore::open(url)?),
            tally_postgres::describe_url(url),
        )),
        None => {
            if !create && !db.exists() {
                anyhow::bail!("no database at {}", db.display());
            }
            Ok((
                std::sync::Arc::new(tally_sqlite::SqliteStore::open(db)?),
                db.display().to_string(),
            ))
        }
    }
}

/// Completes at SIGTERM or ctrl-c.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received");
}

fn backup(args: &BackupArgs) -> anyhow::Result<ExitCode> {
    if !args.db.exists() {
        anyhow::bail!("no database at {}", args.db.display());
    }
    let store = tally_sqlite::SqliteStore::open(&args.db)?;
    store.backup_to(&args.out)?;
    drop(store);
    println!("backed up {} to {}", args.db.display(), args.out.display());
    let copy: std::sync::Arc<dyn tally_store::Store> =
        std::sync::Arc::new(tally_sqlite::SqliteStore::open(&args.out)?);
    report_verify(copy.as_ref())
}

fn verify(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let (store, _) = open_store(&args.db, args.database_url.as_deref(), false)?;
    report_verify(store.as_ref())
}

/// Runs `verify` on `store` and prints what it found.
fn report_verify(store: &dyn tally_store::Store) -> anyhow::Result<ExitCode> {
    let report = store.verify()?;
    println!(
        "checked {} accounts, {} grants, {} entries",
        report.accounts, report.grants, report.entries
    );
    if report.problems.is_empty() {
        println!("ok: every balance equals its entries, every grant conserves its credits");
        Ok(ExitCode::SUCCESS)
    } else {
        for problem in &report.problems {
            println!("DIFFERENCE {problem}");
        }
        println!("{} problems", report.problems.len());
        Ok(ExitCode::FAILURE)
    }
}

fn keys(command: KeysCommand, args: &ClientArgs, output: &OutputArgs) -> anyhow::Result<ExitCode> {
    let client = Client::new(args)?;
    match command {
        KeysCommand::Create { account } => {
            let key = client.post(&format!("/v1/accounts/{account}/keys"), &json!({}))?;
            show(output, &key, |key| {
                format!(
                    "id:  {}\nkey: {}\n(the key is shown only now; only its hash is stored)\n",
                    key["id"].as_str().unwrap_or_default(),
                    key["key"].as_str().unwrap_or_default()
                )
            });
        }
        KeysCommand::List { account } => {
            let keys = client.get(&format!("/v1/accounts/{account}/keys"))?;
            show(output, &keys, |keys| {
                let mut out = format!("{:<32} {:<28} last used\n", "id", "created");
                for key in keys["data"].as_array().into_iter().flatten() {
                    out.push_str(&format!(
                        "{:<32} {:<28} {}\n",
                        key["id"].as_str().unwrap_or_default(),
                        key["created_at"].as_str().unwrap_or_default(),
                        key["last_used_at"].as_str().unwrap_or("never"),
                    ));
                }
                out
            });
        }
        KeysCommand::Revoke { id } => {
            let answer = client.delete(&format!("/v1/keys/{id}"))?;
            show(output, &answer, |_| format!("revoked {id}\n"));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Null => "-".to_string(),
        other => other.to_string(),
    }
}

fn plans(args: &ClientArgs, output: &OutputArgs) -> anyhow::Result<ExitCode> {
    let plans = Client::new(args)?.get("/v1/plans")?;
    show(output, &plans, |plans| {
        let mut out = format!(
            "{:<12} {:<16} {:>18} {:>12}\n",
            "id", "name", "credits per seat", "USD/month"
        );
        for plan in plans.as_array().into_iter().flatten() {
            out.push_str(&format!(
                "{:<12} {:<16} {:>18} {:>12}\n",
                text(&plan["id"]),
                text(&plan["name"]),
                text(&plan["credits_per_seat"]),
                text(&plan["price_usd"])
            ));
        }
        out
    });
    Ok(ExitCode::SUCCESS)
}

fn packs(args: &ClientArgs, output: &OutputArgs) -> anyhow::Result<ExitCode> {
    let packs = Client::new(args)?.get("/v1/packs")?;
    show(output, &packs, |packs| {
        let mut out = format!(
            "{:<12} {:<18} {:>10} {:>8} {:>12}\n",
            "id", "name", "credits", "USD", "valid days"
        );
        for pack in packs.as_array().into_iter().flatten() {
            out.push_str(&format!(
                "{:<12} {:<18} {:>10} {:>8} {:>12}\n",
                text(&pack["id"]),
                text(&pack["name"]),
                text(&pack["credits"]),
                text(&pack["price_usd"]),
                text(&pack["expires_after_days"])
            ));
        }
        out
    });
    Ok(ExitCode::SUCCESS)
}

fn subscribe(
    account: &str,
    plan: &str,
    seats: u32,
    args: &ClientArgs,
    output: &OutputArgs,
) -> anyhow::Result<ExitCode> {
    let body = json!({"plan": plan, "seats": seats});
    let subscription =
        Client::new(args)?.put(&format!("/v1/accounts/{account}/subscription"), &body)?;
    show(output, &subscription, |subscription| {
        format!(
            "{account}: {} × {} seats, {} until {}\n",
            text(&subscription["plan"]),
            text(&subscription["seats"]),
            text(&subscription["status"]),
            text(&subscription["current_period_end"])
        )
    });
    Ok(ExitCode::SUCCESS)
}

fn buy(
    account: &str,
    pack: &str,
    pending: bool,
    args: &ClientArgs,
    output: &OutputArgs,
) -> anyhow::Result<ExitCode> {
    let body = if pending {
        json!({"pack": pack, "complete": false})
    } else {
        json!({"pack": pack})
    };
    let purchase = Client::new(args)?.post(&format!("/v1/accounts/{account}/purchases"), &body)?;
    show(output, &purchase, purchase_text);
    Ok(ExitCode::SUCCESS)
}

/// What `tally purchase` does to a pending purchase.
#[derive(Subcommand, Debug)]
pub enum PurchaseAction {
    /// The payment arrived: grant the pack's credits.
    Complete {
        purchase: String,
        /// The payment provider's reference (a checkout session, an invoice).
        #[arg(long)]
        payment_reference: Option<String>,
    },
    /// The payment failed: no credits.
    Fail { purchase: String },
    /// Cancel it: no credits.
    Cancel { purchase: String },
}

fn purchase(
    action: PurchaseAction,
    client: &ClientArgs,
    output: &OutputArgs,
) -> anyhow::Result<ExitCode> {
    let (purchase_id, verb, body) = match action {
        PurchaseAction::Complete {
            purchase,
            payment_reference,
        } => {
            let body = match payment_reference {
                Some(reference) => json!({"payment_reference": reference}),
                None => json!({}),
            };
            (purchase, "complete", body)
        }
        PurchaseAction::Fail { purchase } => (purchase, "fail", json!({})),
        PurchaseAction::Cancel { purchase } => (purchase, "cancel", json!({})),
    };
    let purchase =
        Client::new(client)?.post(&format!("/v1/purchases/{purchase_id}/{verb}"), &body)?;
    show(output, &purchase, purchase_text);
    Ok(ExitCode::SUCCESS)
}

fn purchase_text(purchase: &serde_json::Value) -> String {
    let account = text(&purchase["account_id"]);
    let id = text(&purchase["id"]);
    match purchase["status"].as_str() {
        Some("completed") => format!(
            "{account}: purchase {id} of {} completed ({} credits, grant {}, expires {})\n",
            text(&purchase["pack"]),
            text(&purchase["credits"]),
            text(&purchase["grant"]["id"]),
            text(&purchase["grant"]["expires_at"])
        ),
        Some("pending") => {
            let pay = purchase["checkout_url"]
                .as_str()
                .map(|url| format!("; pay at {url}"))
                .unwrap_or_default();
            format!(
                "{account}: purchase {id} of {} is pending: its {} credits arrive when it is paid (before {}){pay}\n",
                text(&purchase["pack"]),
                text(&purchase["credits"]),
                text(&purchase["expires_at"])
            )
        }
        _ => format!(
            "{account}: purchase {id} of {} is {}: no credits\n",
            text(&purchase["pack"]),
            text(&purchase["status"])
        ),
    }
}

fn refund(
    id: &str,
    amount: Option<tally_core::Millicredits>,
    reason: Option<String>,
    args: &ClientArgs,
    output: &OutputArgs,
) -> anyhow::Result<ExitCode> {
    let mut body = json!({});
    if let Some(amount) = amount {
        body["amount"] = tally_server::render::credits(amount);
    }
    if let Some(reason) = reason {
        body["reason"] = json!(reason);
    }
    let of = if id.starts_with("hold_") {
        "holds"
    } else {
        "charges"
    };
    let refund = Client::new(args)?.post(&format!("/v1/{of}/{id}/refunds"), &body)?;
    show(output, &refund, |refund| {
        format!(
            "{}: refunded {} credits of {id} ({} expired)\n",
            text(&refund["id"]),
            text(&refund["amount"]),
            text(&refund["expired"])
        )
    });
    Ok(ExitCode::SUCCESS)
}

fn parse_credits(text: &str) -> Result<tally_core::Millicredits, String> {
    match tally_core::Millicredits::parse_credits(text) {
        Ok(amount) if amount.is_positive() => Ok(amount),
        Ok(_) => Err("the amount must be positive".into()),
        Err(error) => Err(error.to_string()),
    }
}

fn parse_instant(text: &str) -> Result<tally_core::Timestamp, String> {
    tally_server::render::parse_timestamp(text)
        .ok_or_else(|| format!("{text:?} is not an RFC 3339 instant"))
}
