//! `tally bench --populate PATH`: builds a large SQLite store to measure Tally on.
//!
//! The rows are written by the real engine of an in-process server (as `--engine-only` does),
//! so the store is exactly what a server would have written: `--populate-accounts` accounts
//! `big-N` (N from 0), each created with one large grant (one entry), then 1-credit charges on
//! accounts picked uniformly at random (one entry each) until the store holds
//! `--populate-entries` entries. `--in-flight` submitters (default 4096) keep the engine's
//! batches full: one commit per batch, not per entry, or 10 million entries would take days.
//!
//! The store must not exist yet (nothing to resume, nothing overwritten). Progress goes to
//! stderr every few seconds; at the end come the elapsed time, the file size, the bytes per
//! entry, and the ledger check of `tally verify`.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use serde_json::{Value, json};
use tally_engine::{BATCH_COMMANDS_MAX_DEFAULT, Command, EngineHandle};
use tally_server::{ServeConfig, Server};
use tokio::time::Instant;

use super::engine::{charge_spec, setup_account, verify_report};
use super::report::per_second;
use super::workload::Rng;

/// The populated accounts are `big-0`, `big-1`, …: `--existing-accounts big-` reads them.
pub(super) const ACCOUNT_PREFIX: &str = "big-";

/// Submitters in flight by default: as many as the engine's default batch bound, so a batch
/// fills while the previous one commits.
pub(super) const IN_FLIGHT_DEFAULT: usize = 4096;

/// How often the progress line is printed.
const PROGRESS_INTERVAL: Duration = Duration::from_secs(5);

/// What to build.
pub(super) struct Populate {
    pub db: PathBuf,
    pub accounts: u64,
    /// Entries in all: one grant per account, the rest charges.
    pub entries: u64,
    pub max_batch: Option<usize>,
    pub in_flight: usize,
}

/// What was built.
pub(super) struct Populated {
    pub db: PathBuf,
    pub accounts: u64,
    /// Entries the engine acknowledged (grants and charges).
    pub entries: u64,
    pub accounts_elapsed: Duration,
    pub elapsed: Duration,
    pub db_bytes: u64,
    pub wal_bytes: u64,
    /// `tally verify`'s verdict, and how long it took.
    pub ledger: String,
    pub verified: bool,
    pub verify_elapsed: Duration,
}

impl Populated {
    pub(super) fn file_bytes(&self) -> u64 {
        self.db_bytes + self.wal_bytes
    }

    /// File bytes per entry, in hundredths (integers only, as in the rest of the bench).
    fn bytes_per_entry_centis(&self) -> u64 {
        self.file_bytes() * 100 / self.entries.max(1)
    }
}

/// The counters the submitters and the progress line share.
struct Progress {
    entries: AtomicU64,
    target: u64,
    started: Instant,
    /// Set at the first error, so every submitter stops.
    failed: AtomicBool,
}

pub(super) async fn run(plan: &Populate) -> anyhow::Result<Populated> {
    check_plan(plan)?;
    let config = ServeConfig {
        admin_key: Some(tally_server::auth::new_admin_key()),
        max_batch: plan.max_batch.unwrap_or(BATCH_COMMANDS_MAX_DEFAULT).max(1),
        ..ServeConfig::default()
    };
    let server = tokio::task::block_in_place(|| {
        let store = std::sync::Arc::new(tally_sqlite::SqliteStore::open(&plan.db)?);
        Server::start(store, &config)
    })
    .with_context(|| format!("opening {}", plan.db.display()))?;
    let progress = Arc::new(Progress {
        entries: AtomicU64::new(0),
        target: plan.entries,
        started: Instant::now(),
        failed: AtomicBool::new(false),
    });
    let reporter = tokio::spawn(report_progress(progress.clone()));
    let written = write(server.state.engine.clone(), plan, &progress).await;
    let elapsed = progress.started.elapsed();
    // Not awaited: it may be asleep for most of an interval.
    reporter.abort();
    // Stopped whatever happened, so the engine finishes its queue and the store closes.
    tokio::task::block_in_place(|| server.stop());
    let accounts_elapsed = written?;
    let (db_bytes, wal_bytes) = file_sizes(&plan.db);
    let verify_started = Instant::now();
    let report = tokio::task::block_in_place(|| verify_report(&plan.db));
    let verify_elapsed = verify_started.elapsed();
    let entries = progress.entries.load(Ordering::SeqCst);
    let (ledger, verified) = ledger_verdict(report, plan.accounts, entries);
    Ok(Populated {
        db: plan.db.clone(),
        accounts: plan.accounts,
        entries,
        accounts_elapsed,
        elapsed,
        db_bytes,
        wal_bytes,
        ledger,
        verified,
        verify_elapsed,
    })
}

/// Refuses a store that exists already (populating is not resumable, and must not add to a
/// store someone cares about) and a plan with fewer entries than accounts.
fn check_plan(plan: &Populate) -> anyhow::Result<()> {
    for path in [plan.db.clone(), wal_path(&plan.db)] {
        if path.exists() {
            bail!(
                "--populate: {} exists already; populating builds a new store (remove it, or \
                 choose another path)",
                path.display()
            );
        }
    }
    if plan.accounts == 0 {
        bail!("--populate-accounts must be at least 1");
    }
    if plan.entries < plan.accounts {
        bail!(
            "--populate-entries ({}) must be at least --populate-accounts ({}): every account \
             gets one grant, which is one entry",
            plan.entries,
            plan.accounts
        );
    }
    Ok(())
}

/// Creates the accounts with their grants, then the charges. Returns how long the accounts
/// took.
async fn write(
    engine: EngineHandle,
    plan: &Populate,
    progress: &Arc<Progress>,
) -> anyhow::Result<Duration> {
    let in_flight = plan.in_flight.max(1);
    let create_engine = engine.clone();
    in_parallel(in_flight, plan.accounts, progress, move |n, _rng| {
        let engine = create_engine.clone();
        async move { setup_account(&engine, &account_id(n)).await }
    })
    .await?;
    let accounts_elapsed = progress.started.elapsed();
    eprintln!(
        "bench: populate: {} accounts with grants in {} ms; now {} charges",
        plan.accounts,
        accounts_elapsed.as_millis(),
        plan.entries - plan.accounts
    );
    let accounts = plan.accounts;
    in_parallel(
        in_flight,
        plan.entries - plan.accounts,
        progress,
        move |_n, rng| {
            let engine = engine.clone();
            let account_id = account_id(rng.below(accounts));
            async move { charge(&engine, account_id).await }
        },
    )
    .await?;
    Ok(accounts_elapsed)
}

fn account_id(n: u64) -> String {
    format!("{ACCOUNT_PREFIX}{n}")
}

async fn charge(engine: &EngineHandle, account_id: String) -> anyhow::Result<()> {
    let command = Command::Charge {
        account_id: account_id.clone(),
        spec: charge_spec(),
    };
    match engine.submit(command, None).await {
        Ok(_) => Ok(()),
        Err(error) => bail!("charging {account_id}: {error:?}"),
    }
}

/// Runs `job(n)` for every `n` in `0..count` on `in_flight` tasks, counting one entry per job
/// done; at the first error every task stops, and that error is returned.
async fn in_parallel<Job, Done>(
    in_flight: usize,
    count: u64,
    progress: &Arc<Progress>,
    job: Job,
) -> anyhow::Result<()>
where
    Job: Fn(u64, &mut Rng) -> Done + Clone + Send + 'static,
    Done: Future<Output = anyhow::Result<()>> + Send,
{
    let next = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..in_flight)
        .map(|task| {
            let (job, next, progress) = (job.clone(), next.clone(), progress.clone());
            tokio::spawn(async move {
                let mut rng = Rng::new(task as u64 + 1);
                while !progress.failed.load(Ordering::Relaxed) {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= count {
                        break;
                    }
                    if let Err(error) = job(n, &mut rng).await {
                        progress.failed.store(true, Ordering::Relaxed);
                        return Err(error);
                    }
                    progress.entries.fetch_add(1, Ordering::Relaxed);
                }
                Ok(())
            })
        })
        .collect();
    let mut first_error = None;
    for task in tasks {
        let outcome = task
            .await
            .unwrap_or_else(|panic| Err(anyhow!("a populate task panicked: {panic}")));
        if let Err(error) = outcome {
            first_error.get_or_insert(error);
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// Prints entries so far, the rate of the last interval and on average, and the time left,
/// every [`PROGRESS_INTERVAL`], until it is aborted.
async fn report_progress(progress: Arc<Progress>) {
    let mut ticker = tokio::time::interval(PROGRESS_INTERVAL);
    ticker.tick().await;
    let mut last = 0u64;
    loop {
        ticker.tick().await;
        let done = progress.entries.load(Ordering::Relaxed);
        let elapsed = progress.started.elapsed();
        let average = per_second(done, elapsed);
        let left = (progress.target.saturating_sub(done)) / average.max(1);
        eprintln!(
            "bench: populate: {:>5}s {done:>11}/{} entries ({}%)  {:>7} entries/s now  \
             {average:>7} on average  ~{left}s left",
            elapsed.as_secs(),
            progress.target,
            done * 100 / progress.target.max(1),
            per_second(done - last, PROGRESS_INTERVAL),
        );
        last = done;
    }
}

/// The store's `-wal` file (SQLite's name: the database path with `-wal` appended).
fn wal_path(db: &Path) -> PathBuf {
    let mut path = db.as_os_str().to_owned();
    path.push("-wal");
    PathBuf::from(path)
}

/// The sizes of the database file and of its WAL (0 when there is none).
fn file_sizes(db: &Path) -> (u64, u64) {
    let size = |path: &Path| std::fs::metadata(path).map_or(0, |meta| meta.len());
    (size(db), size(&wal_path(db)))
}

/// `tally verify`'s verdict, also checking that the store holds exactly the accounts and
/// entries written (a command that made more or fewer entries would skew bytes per entry).
fn ledger_verdict(
    report: anyhow::Result<tally_store::VerifyReport>,
    accounts: u64,
    entries: u64,
) -> (String, bool) {
    match report {
        Err(error) => (format!("FAILED: {error:#}"), false),
        Ok(report) if !report.problems.is_empty() => (
            format!(
                "FAILED: {} problems, the first: {}",
                report.problems.len(),
                report.problems[0]
            ),
            false,
        ),
        Ok(report) if report.accounts != accounts || report.entries != entries => (
            format!(
                "verified, but the store holds {} accounts and {} entries, not {accounts} and \
                 {entries}",
                report.accounts, report.entries
            ),
            false,
        ),
        Ok(report) => (
            format!(
                "verified ({} accounts, {} entries)",
                report.accounts, report.entries
            ),
            true,
        ),
    }
}

pub(super) fn table(populated: &Populated) -> String {
    let centis = populated.bytes_per_entry_centis();
    format!(
        "populated {}: {} accounts, {} entries in {} ms ({} entries/s; accounts and grants \
         {} ms, charges {} ms)\n  file: {} bytes (main {} + wal {}), {}.{:02} bytes per \
         entry\n  ledger: {} in {} ms\n",
        populated.db.display(),
        populated.accounts,
        populated.entries,
        populated.elapsed.as_millis(),
        per_second(populated.entries, populated.elapsed),
        populated.accounts_elapsed.as_millis(),
        (populated.elapsed - populated.accounts_elapsed).as_millis(),
        populated.file_bytes(),
        populated.db_bytes,
        populated.wal_bytes,
        centis / 100,
        centis % 100,
        populated.ledger,
        populated.verify_elapsed.as_millis(),
    )
}

pub(super) fn json(populated: &Populated) -> Value {
    json!({
        "scenario": "populate",
        "db": populated.db.display().to_string(),
        "accounts": populated.accounts,
        "entries": populated.entries,
        "elapsed_millis": populated.elapsed.as_millis() as u64,
        "accounts_elapsed_millis": populated.accounts_elapsed.as_millis() as u64,
        "entries_per_second": per_second(populated.entries, populated.elapsed),
        "db_bytes": populated.db_bytes,
        "wal_bytes": populated.wal_bytes,
        "file_bytes": populated.file_bytes(),
        "bytes_per_entry_hundredths": populated.bytes_per_entry_centis(),
        "ledger": populated.ledger,
        "verify_elapsed_millis": populated.verify_elapsed.as_millis() as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wal_is_the_path_with_wal_appended() {
        assert_eq!(
            wal_path(Path::new("/tmp/big.db")),
            PathBuf::from("/tmp/big.db-wal")
        );
    }

    #[test]
    fn a_plan_with_fewer_entries_than_accounts_is_refused() {
        let plan = Populate {
            db: std::env::temp_dir().join("tally-populate-test-never-created.db"),
            accounts: 10,
            entries: 9,
            max_batch: None,
            in_flight: 1,
        };
        let error = check_plan(&plan).unwrap_err().to_string();
        assert!(error.contains("--populate-entries"), "{error}");
    }
}
