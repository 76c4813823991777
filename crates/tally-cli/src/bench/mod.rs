//! `tally bench`: a load generator for a Tally server, and a benchmark of the ledger engine
//! without HTTP.
//!
//! Against `--url` (with `--key`, an admin key: the bench creates its accounts and grants) or
//! a server it starts itself (`--spawn`), it runs one scenario with `--connections` keep-alive
//! connections, in a closed loop or at `--rate` operations a second (open loop, latency from
//! the intended send time), warms up, measures for `--duration` seconds, and reports
//! requests/s, latency percentiles (HdrHistogram), errors by status and code, and the ledger
//! check (`tally verify` on the spawned server's store after it stopped).
//!
//! `--engine-only` submits charges straight to the engine of an in-process server at several
//! batch bounds. `--smoke` is the CI mode: it asserts only that the run happened and the
//! ledger verified.
//!
//! `--populate PATH` builds a large store (accounts `big-N` with grants, then charges) through
//! an in-process engine, to measure on: `--spawn --db PATH` serves it, and
//! `--existing-accounts big-` points a scenario at its accounts instead of fresh ones.
//!
//! Submodules: `http` (the hyper client), `workload` (scenarios, account picking, setup),
//! `load` (the driver), `spawn` (the server process and /proc samples), `report` (table and
//! JSON), `engine` (the engine-only bench), `populate` (the large store).

pub mod engine;
mod http;
mod load;
mod populate;
mod report;
mod sink;
mod spawn;
mod workload;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use hyper::Method;
use tokio::time::Instant;

use http::{Connection, Target};
use report::{EngineCounters, Report};
use spawn::{Ledger, ProcessSample, SpawnOptions, Spawned};
use workload::Workload;

/// What the load generator sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// POST /v1/quotes with a gpt-4o chat usage on the default rate card.
    Quote,
    /// Charges spread uniformly over `--accounts` accounts.
    ChargeSpread,
    /// Every charge on one account.
    ChargeHot,
    /// A hold, then its capture, over `--accounts` accounts (uniform).
    HoldCapture,
    /// 50% quotes, 40% hold+capture, 10% balance reads, Zipf-distributed over `--accounts`.
    Mixed,
    /// GET /v1/accounts/{id}/balance over `--accounts` accounts (uniform): reads only.
    Balance,
    /// GET /v1/accounts/{id}/balance of one busy account: set up with `--busy-charges` charges
    /// (through POST /v1/batch, before anything is measured), or a populated one
    /// (`--existing-accounts big-` after `--populate --populate-accounts 1`).
    BalanceBusy,
    /// GET /healthz: the HTTP ceiling (no store, no engine) to read the others against.
    Healthz,
    /// POST /v1/batch of `--batch-size` charges on one account, each with its own
    /// idempotency key (operations/s counts charges).
    BatchCharge,
    /// POST /v1/accounts/{id}/grants of 1 credit over `--accounts` accounts (uniform): every
    /// one writes an event (`grant.created`), for the cost of events and their webhooks.
    GrantSpread,
}

impl Scenario {
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Quote => "quote",
            Scenario::ChargeSpread => "charge-spread",
            Scenario::ChargeHot => "charge-hot",
            Scenario::HoldCapture => "hold-capture",
            Scenario::Mixed => "mixed",
            Scenario::Balance => "balance",
            Scenario::BalanceBusy => "balance-busy",
            Scenario::Healthz => "healthz",
            Scenario::BatchCharge => "batch-charge",
            Scenario::GrantSpread => "grant-spread",
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// The scenario.
    #[arg(long, value_enum, default_value_t = Scenario::ChargeHot)]
    pub scenario: Scenario,
    /// A running server's base URL (http://HOST:PORT); needs an admin --key.
    #[arg(long)]
    pub url: Option<String>,
    /// Another node of --url's store (PostgreSQL, several nodes): the connections are dealt
    /// round-robin over --url and these (set-up and /metrics go to --url). Repeatable.
    #[arg(long = "also-url", requires = "url")]
    pub also_urls: Vec<String>,
    /// The admin key for --url (or TALLY_ADMIN_KEY).
    #[arg(long, env = "TALLY_KEY", hide_env_values = true)]
    pub key: Option<String>,
    /// Start `tally serve` (this binary) on a fresh temp SQLite file, and stop it after.
    #[arg(long)]
    pub spawn: bool,
    /// With --spawn: serve this SQLite file instead of a fresh one (e.g. one made with
    /// --populate; the bench still creates its own accounts, unless --existing-accounts).
    #[arg(long, requires = "spawn")]
    pub db: Option<PathBuf>,
    /// With --spawn: serve this PostgreSQL database (`tally serve --database-url`).
    #[arg(long, requires = "spawn")]
    pub database_url: Option<String>,
    /// With --spawn (or --engine-only: see --batch-sizes; or --populate): the server's
    /// --max-batch.
    #[arg(long)]
    pub max_batch: Option<usize>,
    /// With --spawn: the server's RUST_LOG (default: inherited; the server logs each request
    /// at info).
    #[arg(long)]
    pub server_log: Option<String>,
    /// With --spawn: one more argument for `tally serve` (repeatable).
    #[arg(long = "server-arg", allow_hyphen_values = true)]
    pub server_args: Vec<String>,
    /// With --spawn: keep the temp dir (database and server log).
    #[arg(long)]
    pub keep: bool,
    /// Keep-alive connections (each one request at a time).
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// Operations per second (open loop); without it, a closed loop.
    #[arg(long)]
    pub rate: Option<u64>,
    /// Seconds measured.
    #[arg(long, default_value_t = 10)]
    pub duration: u64,
    /// Seconds of load before measuring.
    #[arg(long, default_value_t = 2)]
    pub warmup: u64,
    /// Accounts of charge-spread, hold-capture, mixed and balance.
    #[arg(long, default_value_t = 10_000)]
    pub accounts: usize,
    /// Use accounts already in the store, PREFIX0 to PREFIX{--accounts - 1}, instead of
    /// creating fresh ones: no setup, and the run reads and writes a large store's own
    /// accounts (after --populate: `--existing-accounts big-`). They must have credits for
    /// charges and holds (--populate's have plenty).
    #[arg(long, value_name = "PREFIX", conflicts_with_all = ["engine_only", "populate"])]
    pub existing_accounts: Option<String>,
    /// Send no Idempotency-Key with writes. By default every write carries a fresh one, as
    /// real clients' do (a charge that may be retried must); this measures the difference.
    /// A batch's charges always carry keys.
    #[arg(long)]
    pub no_idempotency: bool,
    /// Threads of the bench's own runtime.
    #[arg(long, default_value_t = 1)]
    pub client_threads: usize,
    /// Print the result as one JSON object on stdout (the table goes to stderr).
    #[arg(long)]
    pub json: bool,
    /// CI mode: fail unless the run made successful requests and the ledger verified.
    #[arg(long)]
    pub smoke: bool,
    /// Benchmark the ledger engine in process, without HTTP, at each of --batch-sizes.
    #[arg(long)]
    pub engine_only: bool,
    /// With --engine-only: give each account two spend limits every charge is checked and
    /// counted against (a product limit per day, an account limit in total; never reached),
    /// to measure what limits cost a debit.
    #[arg(long, requires = "engine_only")]
    pub with_limits: bool,
    /// With --scenario balance-busy (on a fresh account): the charges made on it first, all
    /// of them today.
    #[arg(long, default_value_t = 300_000)]
    pub busy_charges: u64,
    /// With --scenario batch-charge: the charges in each POST /v1/batch (1 to 1000).
    #[arg(long, default_value_t = 100)]
    pub batch_size: usize,
    /// With --engine-only: the batch bounds to measure.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 16, 256, 4096])]
    pub batch_sizes: Vec<usize>,
    /// With --engine-only: concurrent submitters (default: twice the batch bound, at least 64).
    /// With --populate: default 4096.
    #[arg(long)]
    pub in_flight: Option<usize>,
    /// Build a new SQLite store at PATH (refused if it exists) through an in-process engine:
    /// --populate-accounts accounts `big-0`, `big-1`, … each with one large grant (one entry),
    /// then 1-credit charges on accounts picked uniformly until it holds --populate-entries
    /// entries. Prints progress, the file size, bytes per entry and `tally verify`.
    #[arg(long, value_name = "PATH")]
    pub populate: Option<PathBuf>,
    /// With --populate: the accounts to create.
    #[arg(long, default_value_t = 1_000_000, requires = "populate")]
    pub populate_accounts: u64,
    /// With --populate: the entries the store holds in all (grants plus charges).
    #[arg(long, default_value_t = 10_000_000, requires = "populate")]
    pub populate_entries: u64,
    /// Webhook endpoints to subscribe to every event before the setup (each pointing at a
    /// loopback receiver the bench runs, answering 204): the ledger's figures with the
    /// delivery worker at work, to compare with the same run without (0).
    #[arg(long, default_value_t = 0, conflicts_with_all = ["engine_only", "populate"])]
    pub webhook_endpoints: usize,
}

pub fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let modes = [
        args.spawn,
        args.url.is_some(),
        args.engine_only,
        args.populate.is_some(),
    ];
    if modes.iter().filter(|&&mode| mode).count() != 1 {
        bail!(
            "tally bench needs exactly one of --spawn, --url URL, --engine-only and \
             --populate PATH"
        );
    }
    if !(1..=1000).contains(&args.batch_size) {
        bail!("--batch-size must be from 1 to 1000 (the operations one POST /v1/batch holds)");
    }
    if args.existing_accounts.is_some()
        && matches!(args.scenario, Scenario::Quote | Scenario::Healthz)
    {
        bail!(
            "--existing-accounts needs a scenario with accounts; {} has none",
            args.scenario.name()
        );
    }
    if args.connections == 0 {
        bail!("--connections must be at least 1");
    }
    if args.rate == Some(0) {
        bail!("--rate must be at least 1");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.client_threads.max(1))
        .enable_all()
        .build()?;
    if args.engine_only {
        return runtime.block_on(engine_only(&args));
    }
    if let Some(db) = &args.populate {
        return runtime.block_on(populate(&args, db));
    }
    let mut server = match args.spawn {
        true => Some(Spawned::start(&SpawnOptions {
            db: args.db.clone(),
            database_url: args.database_url.clone(),
            max_batch: args.max_batch,
            log_filter: args.server_log.clone(),
            extra_args: args.server_args.clone(),
            keep: args.keep,
        })?),
        false => None,
    };
    let result = runtime.block_on(measure(&args, server.as_ref()));
    let (mut report, server_end) = match result {
        Ok(result) => result,
        Err(error) => {
            if let Some(server) = &server {
                eprintln!(
                    "bench: the server's log ends with:\n{}",
                    spawn::log_tail(&server.log)
                );
            }
            return Err(error);
        }
    };
    let mut invalid = None;
    if let Some(server) = server.as_mut() {
        if let Some(status) = server.exited() {
            invalid = Some(format!("the server stopped during the run ({status})"));
        }
        let status = server.stop()?;
        report.ledger = match status.success() {
            true => server.verify(),
            false => Ledger::Failed(format!(
                "the server exited with {status}; log:\n{}",
                spawn::log_tail(&server.log)
            )),
        };
        if args.keep {
            eprintln!("bench: kept {}", server.dir.display());
        }
        report.server = server_end;
    }
    report.invalid = invalid;
    if args.json {
        eprint!("{}", report.table());
        println!("{}", report.json());
    } else {
        print!("{}", report.table());
    }
    let successes = report
        .measured
        .requests
        .saturating_sub(report.measured.error_count());
    if let Ledger::Failed(_) = report.ledger {
        eprintln!("bench: the ledger check failed");
        return Ok(ExitCode::FAILURE);
    }
    if let Some(why) = &report.invalid {
        eprintln!("bench: the run is not valid: {why}");
        return Ok(ExitCode::FAILURE);
    }
    if args.smoke {
        if successes == 0 {
            eprintln!("bench: smoke: no request succeeded");
            return Ok(ExitCode::FAILURE);
        }
        if !report.ledger.is_verified() {
            eprintln!("bench: smoke: the ledger was not verified");
            return Ok(ExitCode::FAILURE);
        }
        eprintln!("bench: smoke: ok ({successes} successful requests, ledger verified)");
    }
    Ok(ExitCode::SUCCESS)
}

/// Sets up the scenario's accounts, runs the load, and samples the server over the window.
/// Returns the report (ledger not yet checked) and the server's CPU and memory.
async fn measure(
    args: &BenchArgs,
    server: Option<&Spawned>,
) -> anyhow::Result<(Report, Option<ProcessSample>)> {
    let (target, target_label, others) = match (server, &args.url) {
        (Some(server), _) => (
            Target::new(server.address, &server.admin_key)?,
            format!("spawned http://{}", server.address),
            Vec::new(),
        ),
        (None, Some(url)) => {
            let key = args
                .key
                .clone()
                .or_else(|| std::env::var("TALLY_ADMIN_KEY").ok())
                .context("--url needs an admin key: pass --key or set TALLY_KEY")?;
            let others = args
                .also_urls
                .iter()
                .map(|other| Target::from_url(other, &key))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let label = std::iter::once(url)
                .chain(&args.also_urls)
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(" + ");
            (Target::from_url(url, &key)?, label, others)
        }
        (None, None) => bail!("bench: no target"),
    };
    let targets: Vec<Arc<Target>> = std::iter::once(target.clone()).chain(others).collect();
    let tag = run_tag();
    let workload = Arc::new(
        match &args.existing_accounts {
            Some(prefix) => Workload::existing(args.scenario, args.accounts, prefix),
            None => Workload::new(args.scenario, args.accounts, &tag),
        }
        .with_batch_size(args.batch_size)
        .with_busy_charges(args.busy_charges),
    );
    let sink = match args.webhook_endpoints {
        0 => None,
        endpoints => Some(subscribe(&target, endpoints).await?),
    };
    let setup_started = Instant::now();
    workload::setup(&target, &workload).await?;
    if let (Some(prefix), Some(last)) = (&args.existing_accounts, workload.accounts.last()) {
        eprintln!(
            "bench: using {} existing accounts, {prefix}0 to {last}",
            workload.accounts.len()
        );
    } else if !workload.accounts.is_empty() {
        eprintln!(
            "bench: set up {} accounts with grants in {} ms",
            workload.accounts.len(),
            setup_started.elapsed().as_millis()
        );
    }
    let warmup = Duration::from_secs(args.warmup);
    let duration = Duration::from_secs(args.duration.max(1));
    let plan = load::Plan {
        connections: args.connections,
        rate: args.rate,
        warmup,
        duration,
        idempotency: !args.no_idempotency,
        tag,
    };
    let pid = server.map(|server| server.pid().to_string());
    let start = Instant::now();
    let sampler = tokio::spawn(sample_window(
        target.clone(),
        pid.clone(),
        start + warmup,
        start + warmup + duration,
    ));
    let load_before = spawn::load_average();
    let delivered_before = sink.as_ref().map(sink::Sink::received);
    let measured = load::run(&targets, workload.clone(), &plan, start).await;
    let load_after = spawn::load_average();
    if let (Some(sink), Some(before)) = (&sink, delivered_before) {
        eprintln!(
            "bench: {} webhook endpoints subscribed to every event; their receiver got {} \
             deliveries in all, {} from the start of the warmup",
            args.webhook_endpoints,
            sink.received(),
            sink.received() - before
        );
    }
    let window = sampler.await.context("the sampler panicked")?;
    let server_end = pid.as_deref().map(|pid| {
        let end = spawn::sample(pid);
        ProcessSample {
            cpu_micros: window.server_cpu_micros,
            rss_kib: end.rss_kib,
            peak_rss_kib: end.peak_rss_kib,
        }
    });
    let report = Report {
        scenario: args.scenario.name().to_string(),
        target: target_label,
        connections: args.connections,
        rate: args.rate,
        warmup,
        duration,
        accounts: workload.accounts.len(),
        max_batch: args.max_batch,
        idempotency: !args.no_idempotency,
        measured,
        ledger: Ledger::NotChecked("--url: the server's store is not the bench's to check".into()),
        load_before,
        load_after,
        server: None,
        client: ProcessSample {
            cpu_micros: window.client_cpu_micros,
            ..ProcessSample::default()
        },
        engine: window.engine,
        invalid: None,
    };
    Ok((report, server_end))
}

/// Starts the bench's webhook receiver and subscribes `endpoints` endpoints to every event,
/// all pointing at it.
async fn subscribe(target: &Arc<Target>, endpoints: usize) -> anyhow::Result<sink::Sink> {
    let sink = sink::Sink::start().await?;
    let body = serde_json::json!({
        "url": format!("http://{}/bench", sink.address),
        "description": "bench",
    });
    for _ in 0..endpoints {
        target
            .api()
            .request::<serde_json::Value>(Method::POST, "/v1/webhook-endpoints", Some(&body))
            .await
            .context("creating a webhook endpoint")?;
    }
    eprintln!(
        "bench: {endpoints} webhook endpoints on a receiver at {}",
        sink.address
    );
    Ok(sink)
}

/// What changed between the start and the end of the measurement window.
struct Window {
    server_cpu_micros: u64,
    client_cpu_micros: u64,
    engine: Option<EngineCounters>,
}

async fn sample_window(
    target: Arc<Target>,
    pid: Option<String>,
    from: Instant,
    to: Instant,
) -> Window {
    let mut connection = Connection::new(target);
    tokio::time::sleep_until(from).await;
    let server_before = pid.as_deref().map(spawn::sample).unwrap_or_default();
    let client_before = spawn::sample("self");
    let engine_before = engine_counters(&mut connection).await;
    tokio::time::sleep_until(to).await;
    let server_after = pid.as_deref().map(spawn::sample).unwrap_or_default();
    let client_after = spawn::sample("self");
    let engine_after = engine_counters(&mut connection).await;
    Window {
        server_cpu_micros: server_after
            .cpu_micros
            .saturating_sub(server_before.cpu_micros),
        client_cpu_micros: client_after
            .cpu_micros
            .saturating_sub(client_before.cpu_micros),
        engine: match (engine_before, engine_after) {
            (Some(before), Some(after)) => Some(after.since(before)),
            _ => None,
        },
    }
}

/// The engine's counters from the server's `/metrics`.
async fn engine_counters(connection: &mut Connection) -> Option<EngineCounters> {
    let answer = connection
        .send(Method::GET, "/metrics", None, None)
        .await
        .ok()?;
    let text = std::str::from_utf8(&answer.body).ok()?;
    let value = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
            .map(str::trim)
    };
    let integer = |name: &str| value(name)?.parse::<u64>().ok();
    let commit_micros = {
        let seconds = value("tally_engine_commit_seconds_total")?;
        let (whole, fraction) = seconds.split_once('.').unwrap_or((seconds, "0"));
        let fraction = format!("{fraction:0<6}");
        whole.parse::<u64>().ok()? * 1_000_000 + fraction.get(..6)?.parse::<u64>().ok()?
    };
    Some(EngineCounters {
        batches: integer("tally_engine_batches_total")?,
        commands: integer("tally_engine_commands_total")?,
        commit_micros,
    })
}

/// A short tag unique to this run (account ids and idempotency keys carry it).
fn run_tag() -> String {
    tally_engine::ids::random_token(5)
}

async fn engine_only(args: &BenchArgs) -> anyhow::Result<ExitCode> {
    let mut batch_sizes = args.batch_sizes.clone();
    if let Some(max_batch) = args.max_batch {
        batch_sizes = vec![max_batch];
    }
    let accounts = match args.scenario {
        Scenario::ChargeSpread => args.accounts,
        Scenario::ChargeHot => 1,
        other => bail!(
            "--engine-only runs charge-hot or charge-spread, not {}",
            other.name()
        ),
    };
    let bench = engine::EngineBench {
        batch_sizes,
        in_flight: args.in_flight,
        accounts,
        warmup: Duration::from_secs(args.warmup),
        duration: Duration::from_secs(args.duration.max(1)),
        with_limits: args.with_limits,
    };
    let results = engine::run(&bench).await?;
    let table = engine::table(&results, bench.duration);
    if args.json {
        eprint!("{table}");
        println!("{}", engine::json(&results, bench.duration));
    } else {
        print!("{table}");
    }
    if results
        .iter()
        .any(|result| !result.ledger.starts_with("verified"))
    {
        eprintln!("bench: a ledger check failed");
        return Ok(ExitCode::FAILURE);
    }
    if args.smoke && results.iter().any(|result| result.charges == 0) {
        eprintln!("bench: smoke: a batch bound made no charge");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// `--populate PATH`: builds the store, prints what it took, and fails unless it verified.
async fn populate(args: &BenchArgs, db: &std::path::Path) -> anyhow::Result<ExitCode> {
    let plan = populate::Populate {
        db: db.to_path_buf(),
        accounts: args.populate_accounts,
        entries: args.populate_entries,
        max_batch: args.max_batch,
        in_flight: args.in_flight.unwrap_or(populate::IN_FLIGHT_DEFAULT),
    };
    eprintln!(
        "bench: populating {} with {} accounts ({}N) and {} entries, {} in flight",
        db.display(),
        plan.accounts,
        populate::ACCOUNT_PREFIX,
        plan.entries,
        plan.in_flight
    );
    let populated = populate::run(&plan).await?;
    let table = populate::table(&populated);
    if args.json {
        eprint!("{table}");
        println!("{}", populate::json(&populated));
    } else {
        print!("{table}");
    }
    if !populated.verified {
        eprintln!("bench: the ledger check failed");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
