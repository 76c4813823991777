//! `tally bench --engine-only`: the ledger engine without HTTP. For each batch bound, a server
//! is started in process on a fresh temp SQLite file (`Server::start` with `max_batch`), one
//! account (or `--accounts` of them for charge-spread) gets a large grant, and many tasks
//! submit `Command::Charge` straight to the engine, so batches fill. Every reply is durable
//! (the engine answers after the commit), so charges/s here is durable charges per second.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use tally_core::{Attribution, DebitSpec, GrantSource, GrantSpec, Millicredits};
use tally_engine::{Command, EngineHandle};
use tally_server::{ServeConfig, Server};
use tally_store::ReadStore;
use tokio::time::Instant;

use super::report::{average, millis, per_second};
use super::spawn::load_average;

/// The grant of each engine-bench account: 1e11 credits, far more than any run spends.
const GRANT_MILLICREDITS: i64 = 100_000_000_000_000;

/// What one charge debits (1 credit).
const CHARGE_MILLICREDITS: i64 = 1_000;

pub struct EngineBench {
    pub batch_sizes: Vec<usize>,
    /// Submitting tasks; default twice the batch bound (at least 64), so batches fill.
    pub in_flight: Option<usize>,
    pub accounts: usize,
    pub warmup: Duration,
    pub duration: Duration,
    /// Each account has spend limits every charge is checked against (`--with-limits`).
    pub with_limits: bool,
}

pub struct EngineResult {
    pub max_batch: usize,
    pub in_flight: usize,
    pub charges: u64,
    pub charges_per_second: u64,
    pub batches: u64,
    pub commit_micros: u64,
    pub rejected: u64,
    pub ledger: String,
    pub load_before: String,
    pub load_after: String,
}

pub async fn run(bench: &EngineBench) -> anyhow::Result<Vec<EngineResult>> {
    let mut results = Vec::new();
    for &max_batch in &bench.batch_sizes {
        let result = run_one(bench, max_batch.max(1)).await?;
        eprintln!(
            "bench: engine, max batch {:>5}: {:>8} charges/s",
            result.max_batch, result.charges_per_second
        );
        results.push(result);
    }
    Ok(results)
}

async fn run_one(bench: &EngineBench, max_batch: usize) -> anyhow::Result<EngineResult> {
    let dir = std::env::temp_dir().join(format!(
        "tally-bench-engine-{}-{max_batch}-{}",
        std::process::id(),
        tally_engine::ids::random_token(8)
    ));
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("engine.db");
    let result = measure(bench, max_batch, &db).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn measure(
    bench: &EngineBench,
    max_batch: usize,
    db: &std::path::Path,
) -> anyhow::Result<EngineResult> {
    let config = ServeConfig {
        admin_key: Some(tally_server::auth::new_admin_key()),
        max_batch,
        ..ServeConfig::default()
    };
    let server = tokio::task::block_in_place(|| {
        let store = std::sync::Arc::new(tally_sqlite::SqliteStore::open(db)?);
        Server::start(store, &config)
    })?;
    let engine = server.state.engine.clone();
    let accounts: Vec<String> = (0..bench.accounts.max(1))
        .map(|n| format!("bench-engine-{n}"))
        .collect();
    for account in &accounts {
        setup_account(&engine, account).await?;
        if bench.with_limits {
            set_limits(&engine, account).await?;
        }
    }
    let in_flight = bench.in_flight.unwrap_or((2 * max_batch).max(64));
    let start = Instant::now();
    let measure_from = start + bench.warmup;
    let end = measure_from + bench.duration;
    let charges = Arc::new(AtomicU64::new(0));
    let rejected = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let accounts = Arc::new(accounts);
    let mut tasks = Vec::with_capacity(in_flight);
    for task in 0..in_flight {
        let engine = engine.clone();
        let charges = charges.clone();
        let rejected = rejected.clone();
        let stop = stop.clone();
        let accounts = accounts.clone();
        tasks.push(tokio::spawn(async move {
            let mut next = task;
            while !stop.load(Ordering::Relaxed) {
                let account_id = accounts[next % accounts.len()].clone();
                next = next.wrapping_add(in_flight);
                let command = Command::Charge {
                    account_id,
                    spec: charge_spec(),
                };
                let reply = engine.submit(command, None).await;
                let now = Instant::now();
                if now >= measure_from && now < end {
                    match reply {
                        Ok(_) => charges.fetch_add(1, Ordering::Relaxed),
                        Err(_) => rejected.fetch_add(1, Ordering::Relaxed),
                    };
                }
            }
        }));
    }
    tokio::time::sleep_until(measure_from).await;
    let load_before = load_average();
    let metrics = engine.metrics.clone();
    let batches_before = metrics.batches.load(Ordering::Relaxed);
    let commit_before = metrics.commit_micros_total.load(Ordering::Relaxed);
    tokio::time::sleep_until(end).await;
    let batches = metrics.batches.load(Ordering::Relaxed) - batches_before;
    let commit_micros = metrics.commit_micros_total.load(Ordering::Relaxed) - commit_before;
    let load_after = load_average();
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.context("an engine bench task panicked")?;
    }
    drop(engine);
    tokio::task::block_in_place(|| server.stop());
    let ledger = tokio::task::block_in_place(|| verify(db));
    let charges = charges.load(Ordering::Relaxed);
    Ok(EngineResult {
        max_batch,
        in_flight,
        charges,
        charges_per_second: per_second(charges, bench.duration),
        batches,
        commit_micros,
        rejected: rejected.load(Ordering::Relaxed),
        ledger,
        load_before,
        load_after,
    })
}

/// One 1-credit charge (also what `--populate` writes).
pub(super) fn charge_spec() -> DebitSpec {
    DebitSpec {
        amount: Millicredits::new(CHARGE_MILLICREDITS),
        attribution: Attribution {
            product: Some("assistant".to_string()),
            ..Attribution::default()
        },
        description: None,
        metadata: None,
        extra: None,
    }
}

/// Creates `account_id` with one large grant (its one entry); `--populate` uses it too.
pub(super) async fn setup_account(engine: &EngineHandle, account_id: &str) -> anyhow::Result<()> {
    let create = Command::CreateAccount {
        id: Some(account_id.to_string()),
        name: Some("bench".to_string()),
        overdraft_limit: Millicredits::new(0),
        metadata: None,
    };
    if let Err(error) = engine.submit(create, None).await {
        bail!("creating {account_id}: {error:?}");
    }
    let grant = Command::CreateGrant {
        account_id: account_id.to_string(),
        spec: GrantSpec {
            amount: Millicredits::new(GRANT_MILLICREDITS),
            source: GrantSource::Promo,
            priority: 0,
            effective_at: None,
            expires_at: None,
            description: Some("bench".to_string()),
            metadata: None,
        },
    };
    if let Err(error) = engine.submit(grant, None).await {
        bail!("granting credits to {account_id}: {error:?}");
    }
    Ok(())
}

/// Two limits that every bench charge matches and none reaches: a day window (the calendar
/// one, in a time zone with DST) and a total.
async fn set_limits(engine: &EngineHandle, account_id: &str) -> anyhow::Result<()> {
    let patch = Command::UpdateAccount {
        account_id: account_id.to_string(),
        patch: tally_core::AccountPatch {
            time_zone: Some("America/New_York".to_string()),
            ..tally_core::AccountPatch::default()
        },
    };
    if let Err(error) = engine.submit(patch, None).await {
        bail!("setting the time zone of {account_id}: {error:?}");
    }
    let limit = |scope, matches: &str, window| tally_core::LimitSpec {
        id: None,
        scope,
        matches: matches.to_string(),
        window,
        max: Millicredits::new(GRANT_MILLICREDITS),
    };
    let limits = vec![
        limit(
            tally_core::LimitScope::Product,
            "assistant",
            tally_core::LimitWindow::Day,
        ),
        limit(
            tally_core::LimitScope::Account,
            tally_core::MATCH_EACH,
            tally_core::LimitWindow::Total,
        ),
    ];
    let put = Command::PutLimits {
        account_id: account_id.to_string(),
        limits,
    };
    if let Err(error) = engine.submit(put, None).await {
        bail!("setting the limits of {account_id}: {error:?}");
    }
    Ok(())
}

fn verify(db: &std::path::Path) -> String {
    match verify_report(db) {
        Ok(report) if report.problems.is_empty() => format!(
            "verified ({} accounts, {} entries)",
            report.accounts, report.entries
        ),
        Ok(report) => format!("FAILED: {} problems", report.problems.len()),
        Err(error) => format!("FAILED: {error}"),
    }
}

/// `tally verify` of a stopped server's SQLite store.
pub(super) fn verify_report(db: &std::path::Path) -> anyhow::Result<tally_store::VerifyReport> {
    let store = tally_sqlite::SqliteStore::open(db)?;
    Ok(store.verify()?)
}

pub fn table(results: &[EngineResult], duration: Duration) -> String {
    let mut out = format!(
        "engine only (no HTTP), {}s per batch bound; durable charges per second\n",
        duration.as_secs()
    );
    out.push_str(&format!(
        "  {:>9} {:>9} {:>12} {:>10} {:>12} {:>11} {:>9}  ledger\n",
        "max batch", "in flight", "charges/s", "per batch", "commit (ms)", "commit time", "load 1m"
    ));
    for result in results {
        let window = u64::try_from(duration.as_micros()).unwrap_or(u64::MAX);
        out.push_str(&format!(
            "  {:>9} {:>9} {:>12} {:>10} {:>12} {:>10}% {:>9}  {}\n",
            result.max_batch,
            result.in_flight,
            result.charges_per_second,
            average(result.charges, result.batches),
            millis(average(result.commit_micros, result.batches)),
            result.commit_micros * 100 / window.max(1),
            result.load_after,
            result.ledger
        ));
    }
    out
}

pub fn json(results: &[EngineResult], duration: Duration) -> Value {
    let rows: Vec<Value> = results
        .iter()
        .map(|result| {
            json!({
                "max_batch": result.max_batch,
                "in_flight": result.in_flight,
                "charges": result.charges,
                "charges_per_second": result.charges_per_second,
                "rejected": result.rejected,
                "batches": result.batches,
                "commands_per_batch": average(result.charges, result.batches),
                "commit_micros_per_batch": average(result.commit_micros, result.batches),
                "ledger": result.ledger,
                "load_average_before": result.load_before,
                "load_average_after": result.load_after,
            })
        })
        .collect();
    json!({
        "scenario": "engine-only",
        "duration_seconds": duration.as_secs(),
        "results": rows,
    })
}
