//! The end of a run: a table for people and, with `--json`, one JSON object for scripts.
//!
//! Rates are computed in integers (count × 10⁶ / elapsed µs), latencies are whole
//! microseconds from the histogram, so no float arithmetic is needed anywhere.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};

use super::load::Measured;
use super::spawn::{Ledger, ProcessSample};

/// Everything a run reports.
pub(super) struct Report {
    pub scenario: String,
    pub target: String,
    pub connections: usize,
    pub rate: Option<u64>,
    pub warmup: Duration,
    pub duration: Duration,
    pub accounts: usize,
    pub max_batch: Option<usize>,
    pub idempotency: bool,
    pub measured: Measured,
    pub ledger: Ledger,
    pub load_before: String,
    pub load_after: String,
    /// CPU the server and the bench used during the measurement window, and the server's memory.
    pub server: Option<ProcessSample>,
    pub client: ProcessSample,
    /// Engine counters over the measurement window, read from the server's /metrics.
    pub engine: Option<EngineCounters>,
    /// Why the figures are not to be trusted (the server stopped mid-run), if they are not.
    pub invalid: Option<String>,
}

/// The engine's batches and commands during the window, and the time spent committing.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct EngineCounters {
    pub batches: u64,
    pub commands: u64,
    pub commit_micros: u64,
}

impl EngineCounters {
    pub(super) fn since(self, before: EngineCounters) -> EngineCounters {
        EngineCounters {
            batches: self.batches.saturating_sub(before.batches),
            commands: self.commands.saturating_sub(before.commands),
            commit_micros: self.commit_micros.saturating_sub(before.commit_micros),
        }
    }
}

/// `count` per second over `elapsed`, in integers.
pub(super) fn per_second(count: u64, elapsed: Duration) -> u64 {
    let micros = elapsed.as_micros().max(1);
    u64::try_from(u128::from(count) * 1_000_000 / micros).unwrap_or(u64::MAX)
}

/// `total / count`, rounded to the nearest integer.
pub(super) fn average(total: u64, count: u64) -> u64 {
    let count = count.max(1);
    total.saturating_add(count / 2) / count
}

/// Whole percent of `part` in `whole`.
fn percent(part: u64, whole: u64) -> u64 {
    part.saturating_mul(100) / whole.max(1)
}

/// Microseconds as milliseconds with two decimals.
pub(super) fn millis(micros: u64) -> String {
    format!("{}.{:02}", micros / 1000, (micros % 1000) / 10)
}

pub(super) struct Latencies {
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
}

impl Report {
    pub(super) fn latencies(&self) -> Latencies {
        let histogram = &self.measured.latency;
        Latencies {
            p50: histogram.value_at_quantile(0.50),
            p90: histogram.value_at_quantile(0.90),
            p99: histogram.value_at_quantile(0.99),
            p999: histogram.value_at_quantile(0.999),
            max: histogram.max(),
        }
    }

    pub(super) fn requests_per_second(&self) -> u64 {
        per_second(self.measured.requests, self.duration)
    }

    /// Requests per second that got a 2xx answer.
    pub(super) fn successes_per_second(&self) -> u64 {
        let successes = self
            .measured
            .requests
            .saturating_sub(self.measured.error_count());
        per_second(successes, self.duration)
    }

    pub(super) fn json(&self) -> Value {
        let latency = self.latencies();
        let window_micros = u64::try_from(self.duration.as_micros()).unwrap_or(u64::MAX);
        let errors: BTreeMap<&String, &u64> = self.measured.errors.iter().collect();
        let server = self.server.map(|server| {
            json!({
                "cpu_percent": percent(server.cpu_micros, window_micros),
                "cpu_micros_per_request": server.cpu_micros / self.measured.requests.max(1),
                "rss_mib": server.rss_kib / 1024,
                "peak_rss_mib": server.peak_rss_kib / 1024,
            })
        });
        let engine = self.engine.map(|engine| {
            json!({
                "batches": engine.batches,
                "commands": engine.commands,
                "commands_per_batch": average(engine.commands, engine.batches),
                "commit_micros_per_batch": average(engine.commit_micros, engine.batches),
                "commit_percent_of_window": percent(engine.commit_micros, window_micros),
            })
        });
        json!({
            "scenario": self.scenario,
            "target": self.target,
            "connections": self.connections,
            "rate": self.rate,
            "warmup_seconds": self.warmup.as_secs(),
            "duration_seconds": self.duration.as_secs(),
            "accounts": self.accounts,
            "max_batch": self.max_batch,
            "idempotency_keys": self.idempotency,
            "requests": self.measured.requests,
            "operations": self.measured.operations,
            "requests_per_second": self.requests_per_second(),
            "successful_requests_per_second": self.successes_per_second(),
            "invalid": self.invalid,
            "operations_per_second": per_second(self.measured.operations, self.duration),
            "latency_micros": {
                "p50": latency.p50,
                "p90": latency.p90,
                "p99": latency.p99,
                "p99_9": latency.p999,
                "max": latency.max,
            },
            "errors": errors,
            "error_count": self.measured.error_count(),
            "backlog": self.measured.backlog,
            "ledger": match &self.ledger {
                Ledger::Verified(_) => "verified",
                Ledger::Failed(_) => "failed",
                Ledger::NotChecked(_) => "not checked",
            },
            "ledger_detail": self.ledger.label(),
            "load_average_before": self.load_before,
            "load_average_after": self.load_after,
            "server": server,
            "client_cpu_percent": percent(self.client.cpu_micros, window_micros),
            "engine": engine,
        })
    }

    pub(super) fn table(&self) -> String {
        let latency = self.latencies();
        let window_micros = u64::try_from(self.duration.as_micros()).unwrap_or(u64::MAX);
        let mut out = String::new();
        let mode = match self.rate {
            Some(rate) => format!("open loop at {rate} op/s"),
            None => "closed loop".to_string(),
        };
        let batch = self
            .max_batch
            .map_or("server default".to_string(), |batch| batch.to_string());
        out.push_str(&format!(
            "scenario {}  target {}  {} connections, {mode}, {}s (+{}s warm-up), max batch {batch}\n",
            self.scenario,
            self.target,
            self.connections,
            self.duration.as_secs(),
            self.warmup.as_secs(),
        ));
        if let Some(why) = &self.invalid {
            out.push_str(&format!("  NOT VALID: {why}\n"));
        }
        out.push_str(&format!(
            "  {:<14} {:>12}  ({} with a 2xx answer)\n  {:<14} {:>12}\n",
            "requests/s",
            self.requests_per_second(),
            self.successes_per_second(),
            "operations/s",
            per_second(self.measured.operations, self.duration)
        ));
        out.push_str(&format!(
            "  {:<14} {:>9} {:>9} {:>9} {:>9} {:>9}  (ms)\n",
            "latency", "p50", "p90", "p99", "p99.9", "max"
        ));
        out.push_str(&format!(
            "  {:<14} {:>9} {:>9} {:>9} {:>9} {:>9}\n",
            "",
            millis(latency.p50),
            millis(latency.p90),
            millis(latency.p99),
            millis(latency.p999),
            millis(latency.max)
        ));
        out.push_str(&format!(
            "  {:<14} {} requests, {} operations, {} errors",
            "counts",
            self.measured.requests,
            self.measured.operations,
            self.measured.error_count()
        ));
        if self.rate.is_some() {
            out.push_str(&format!(
                ", {} operations never sent (backlog)",
                self.measured.backlog
            ));
        }
        out.push('\n');
        for (error, count) in &self.measured.errors {
            out.push_str(&format!("  {:<14} {count:>8}  {error}\n", "error"));
        }
        if let Some(server) = self.server {
            out.push_str(&format!(
                "  {:<14} {}% CPU, {} µs CPU per request, RSS {} MiB (peak {} MiB)\n",
                "server",
                percent(server.cpu_micros, window_micros),
                server.cpu_micros / self.measured.requests.max(1),
                server.rss_kib / 1024,
                server.peak_rss_kib / 1024
            ));
        }
        if let Some(engine) = self.engine {
            out.push_str(&format!(
                "  {:<14} {} batches, {} commands per batch, {} ms per commit, commits {}% of the time\n",
                "engine",
                engine.batches,
                average(engine.commands, engine.batches),
                millis(average(engine.commit_micros, engine.batches)),
                percent(engine.commit_micros, window_micros)
            ));
        }
        out.push_str(&format!(
            "  {:<14} {}% CPU (the bench itself)\n",
            "client",
            percent(self.client.cpu_micros, window_micros)
        ));
        out.push_str(&format!(
            "  {:<14} {} before, {} after\n",
            "load average", self.load_before, self.load_after
        ));
        out.push_str(&format!("  {:<14} {}\n", "ledger", self.ledger.label()));
        out
    }
}
