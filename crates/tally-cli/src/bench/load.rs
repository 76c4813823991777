//! The load driver: `connections` tasks, each with its own keep-alive connection, in a closed
//! loop (send, wait, send again) or an open loop at a fixed rate.
//!
//! In the open loop, operation `i` is due at `start + i / rate`; a free task takes the next
//! due operation, waits for its time, sends it, and measures its latency from that intended
//! time, so a stalled server is charged with the whole wait (no coordinated omission). The
//! capture of a hold-and-capture pair is sent when the hold answers, and measured from then.
//!
//! Only operations due inside the measurement window (after the warm-up) are recorded.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use hdrhistogram::Histogram;
use hyper::Method;
use serde::Deserialize;
use tokio::time::Instant;

use super::http::{Answer, Connection, Target};
use super::workload::{
    Op, Rng, Workload, batch_charge_body, capture_body, charge_body, grant_body, hold_body,
};

/// The largest latency the histograms hold (µs); longer ones are clamped to it.
const LATENCY_MICROS_MAX: u64 = 120_000_000;

/// How a run is driven.
pub(super) struct Plan {
    pub connections: usize,
    /// Operations per second (open loop), or `None` for a closed loop.
    pub rate: Option<u64>,
    pub warmup: Duration,
    pub duration: Duration,
    /// Send a fresh `Idempotency-Key` with every write.
    pub idempotency: bool,
    /// A tag that makes idempotency keys unique to this run.
    pub tag: String,
}

/// What a run measured.
pub(super) struct Measured {
    /// Latency of every recorded request (µs).
    pub latency: Histogram<u64>,
    pub requests: u64,
    pub operations: u64,
    /// Requests that failed, by `STATUS code` or by connection error.
    pub errors: BTreeMap<String, u64>,
    /// Open loop: operations due before the end that were never sent (the server was behind).
    pub backlog: u64,
}

impl Measured {
    fn new() -> Measured {
        Measured {
            latency: Histogram::new_with_bounds(1, LATENCY_MICROS_MAX, 3)
                .expect("bench: valid histogram bounds"),
            requests: 0,
            operations: 0,
            errors: BTreeMap::new(),
            backlog: 0,
        }
    }

    fn merge(&mut self, other: Measured) {
        self.latency
            .add(&other.latency)
            .expect("bench: histograms of the same bounds");
        self.requests += other.requests;
        self.operations += other.operations;
        for (error, count) in other.errors {
            *self.errors.entry(error).or_default() += count;
        }
    }

    pub(super) fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
}

/// What the tasks share: the clock of the run and the progress counters.
struct Shared {
    start: Instant,
    measure_from: Instant,
    end: Instant,
    rate: Option<u64>,
    next_op: AtomicU64,
    /// Requests answered so far, warm-up included (for the progress line).
    requests_done: AtomicU64,
    errors: AtomicU64,
    finished: AtomicBool,
}

impl Shared {
    /// When operation `index` is due (open loop).
    fn due(&self, index: u64, rate: u64) -> Instant {
        let nanos = u128::from(index) * 1_000_000_000 / u128::from(rate.max(1));
        self.start + Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}

#[derive(Deserialize)]
struct Problem {
    code: Option<String>,
}

#[derive(Deserialize)]
struct WithId {
    id: String,
}

/// Runs the plan and merges what every task measured: connection `n` goes to
/// `targets[n % targets.len()]` (the nodes of one store).
pub(super) async fn run(
    targets: &[Arc<Target>],
    workload: Arc<Workload>,
    plan: &Plan,
    start: Instant,
) -> Measured {
    let shared = Arc::new(Shared {
        start,
        measure_from: start + plan.warmup,
        end: start + plan.warmup + plan.duration,
        rate: plan.rate,
        next_op: AtomicU64::new(0),
        requests_done: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        finished: AtomicBool::new(false),
    });
    let progress = tokio::spawn(progress(shared.clone(), plan.warmup, plan.duration));
    let mut tasks = Vec::with_capacity(plan.connections);
    for task in 0..plan.connections {
        let worker = Worker {
            connection: Connection::new(targets[task % targets.len()].clone()),
            workload: workload.clone(),
            shared: shared.clone(),
            rng: Rng::new(task as u64 + 1),
            // A batch's charges always carry keys: that is what the scenario measures.
            idempotency: (plan.idempotency || workload.scenario == super::Scenario::BatchCharge)
                .then(|| format!("bench-{}-{task}", plan.tag)),
            sequence: 0,
            measured: Measured::new(),
        };
        tasks.push(tokio::spawn(worker.run()));
    }
    let mut measured = Measured::new();
    for task in tasks {
        match task.await {
            Ok(part) => measured.merge(part),
            Err(error) => {
                *measured
                    .errors
                    .entry(format!("bench task panicked: {error}"))
                    .or_default() += 1;
            }
        }
    }
    shared.finished.store(true, Ordering::SeqCst);
    let _ = progress.await;
    if let Some(rate) = plan.rate {
        let taken = shared.next_op.load(Ordering::SeqCst);
        // Every task took one index past the end (or at the end) and stopped there.
        let taken = taken.saturating_sub(plan.connections as u64);
        let due =
            (u128::from(rate) * (plan.warmup + plan.duration).as_nanos() / 1_000_000_000) as u64;
        measured.backlog = due.saturating_sub(taken);
    }
    measured
}

struct Worker {
    connection: Connection,
    workload: Arc<Workload>,
    shared: Arc<Shared>,
    rng: Rng,
    idempotency: Option<String>,
    sequence: u64,
    measured: Measured,
}

impl Worker {
    async fn run(mut self) -> Measured {
        loop {
            let intended = match self.shared.rate {
                None => Instant::now(),
                Some(rate) => {
                    let index = self.shared.next_op.fetch_add(1, Ordering::Relaxed);
                    let due = self.shared.due(index, rate);
                    if due >= self.shared.end || Instant::now() >= self.shared.end {
                        break;
                    }
                    tokio::time::sleep_until(due).await;
                    due
                }
            };
            if intended >= self.shared.end {
                break;
            }
            let record = intended >= self.shared.measure_from;
            let op = self.workload.next(&mut self.rng);
            let operations = self.operation(op, intended, record).await;
            if record {
                self.measured.operations += operations;
            }
        }
        self.measured
    }

    fn next_key(&mut self) -> Option<String> {
        let prefix = self.idempotency.as_ref()?;
        self.sequence += 1;
        Some(format!("{prefix}-{}", self.sequence))
    }

    /// Sends one operation of the workload; how many operations it was (a batch is its
    /// charges).
    async fn operation(&mut self, op: Op, intended: Instant, record: bool) -> u64 {
        let workload = self.workload.clone();
        match op {
            Op::BatchCharge { account } => {
                let keys: Vec<String> = (0..workload.batch_size)
                    .filter_map(|_| self.next_key())
                    .collect();
                let body = batch_charge_body(workload.charge_path(account), &keys);
                let answer = self
                    .request(
                        Method::POST,
                        "/v1/batch",
                        Some(body),
                        false,
                        intended,
                        record,
                    )
                    .await;
                if let Some(answer) = answer {
                    self.count_batch_refusals(&answer.body, record);
                }
                return keys.len() as u64;
            }
            Op::Quote { account } => {
                let body = workload.quote_body(account);
                self.request(
                    Method::POST,
                    "/v1/quotes",
                    Some(body),
                    false,
                    intended,
                    record,
                )
                .await;
            }
            Op::Charge { account } => {
                let path = workload.charge_path(account);
                self.request(
                    Method::POST,
                    path,
                    Some(charge_body()),
                    true,
                    intended,
                    record,
                )
                .await;
            }
            Op::Grant { account } => {
                let path = workload.grant_path(account);
                self.request(
                    Method::POST,
                    path,
                    Some(grant_body()),
                    true,
                    intended,
                    record,
                )
                .await;
            }
            Op::Balance { account } => {
                let path = workload.balance_path(account);
                self.request(Method::GET, path, None, false, intended, record)
                    .await;
            }
            Op::Healthz => {
                self.request(Method::GET, "/healthz", None, false, intended, record)
                    .await;
            }
            Op::HoldCapture { account } => {
                let path = workload.hold_path(account);
                let hold = self
                    .request(
                        Method::POST,
                        path,
                        Some(hold_body()),
                        true,
                        intended,
                        record,
                    )
                    .await;
                let Some(hold) = hold else { return 1 };
                let Ok(hold) = serde_json::from_slice::<WithId>(&hold.body) else {
                    self.error(record, "hold answer without an id".to_string());
                    return 1;
                };
                let path = format!("/v1/holds/{}/capture", hold.id);
                self.request(
                    Method::POST,
                    &path,
                    Some(capture_body()),
                    true,
                    Instant::now(),
                    record,
                )
                .await;
            }
        }
        1
    }

    /// Counts the refused operations of a batch's answer as errors, by status and code.
    fn count_batch_refusals(&mut self, body: &[u8], record: bool) {
        let Ok(answer) = serde_json::from_slice::<BatchAnswer>(body) else {
            self.error(record, "batch answer without results".to_string());
            return;
        };
        for result in answer.results {
            if !(200..300).contains(&result.status) {
                let code = result.body.code.unwrap_or_else(|| "-".to_string());
                self.error(record, format!("{} {code}", result.status));
            }
        }
    }

    /// Sends one request; records its latency from `intended` and, when it failed, its error.
    /// Returns the answer when it is a success.
    async fn request(
        &mut self,
        method: Method,
        path: &str,
        body: Option<bytes::Bytes>,
        write: bool,
        intended: Instant,
        record: bool,
    ) -> Option<Answer> {
        let key = if write { self.next_key() } else { None };
        let result = self
            .connection
            .send(method, path, body, key.as_deref())
            .await;
        let latency = intended.elapsed();
        self.shared.requests_done.fetch_add(1, Ordering::Relaxed);
        if record {
            self.measured.requests += 1;
            let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
            self.measured
                .latency
                .saturating_record(micros.clamp(1, LATENCY_MICROS_MAX));
        }
        match result {
            Ok(answer) if (200..300).contains(&answer.status) => Some(answer),
            Ok(answer) => {
                let code = serde_json::from_slice::<Problem>(&answer.body)
                    .ok()
                    .and_then(|problem| problem.code)
                    .unwrap_or_else(|| "-".to_string());
                self.error(record, format!("{} {code}", answer.status));
                None
            }
            Err(error) => {
                self.error(record, format!("connection: {}", root_cause(&error)));
                // Don't spin on a dead server.
                tokio::time::sleep(Duration::from_millis(10)).await;
                None
            }
        }
    }

    fn error(&mut self, record: bool, key: String) {
        self.shared.errors.fetch_add(1, Ordering::Relaxed);
        if record {
            *self.measured.errors.entry(key).or_default() += 1;
        }
    }
}

/// The part of a `POST /v1/batch` answer the bench reads.
#[derive(Deserialize)]
struct BatchAnswer {
    results: Vec<BatchResult>,
}

#[derive(Deserialize)]
struct BatchResult {
    status: u16,
    body: Problem,
}

fn root_cause(error: &anyhow::Error) -> String {
    let context = error.to_string();
    match error.root_cause().to_string() {
        cause if cause == context => context,
        cause => format!("{context}: {cause}"),
    }
}

/// Prints a progress line on stderr every second: elapsed time, phase, requests in the last
/// second, errors so far.
async fn progress(shared: Arc<Shared>, warmup: Duration, duration: Duration) {
    let terminal = std::io::stderr().is_terminal();
    let total = (warmup + duration).as_secs();
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    ticker.tick().await;
    let mut last = 0u64;
    let mut elapsed = 0u64;
    while !shared.finished.load(Ordering::SeqCst) {
        ticker.tick().await;
        elapsed += 1;
        let done = shared.requests_done.load(Ordering::Relaxed);
        let phase = if elapsed <= warmup.as_secs() {
            "warm-up"
        } else if elapsed <= total {
            "measure"
        } else {
            "draining"
        };
        let line = format!(
            "bench: {elapsed:>3}s/{total}s {phase:<8} {:>8} req/s  {:>10} requests  {} errors",
            done - last,
            done,
            shared.errors.load(Ordering::Relaxed)
        );
        last = done;
        if terminal {
            eprint!("\r{line}   ");
        } else {
            eprintln!("{line}");
        }
    }
    if terminal {
        eprintln!();
    }
}
