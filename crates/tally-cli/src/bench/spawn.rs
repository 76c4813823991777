//! `--spawn`: runs `tally serve` (this very binary) as a separate process on a fresh temp
//! SQLite file (or on `--db` / `--database-url`), with a generated admin key and
//! `--listen 127.0.0.1:0`; reads the address from its `tally listening on …` line; stops it
//! with SIGTERM (a graceful drain) and checks the ledger with `tally verify` afterwards.
//!
//! Also reads a process's CPU time and memory from /proc, for the report.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// How long the server may take to print its address.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(120);

/// How long the server may take to drain and stop after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(60);

/// Clock ticks per second of /proc/PID/stat's CPU times (`getconf CLK_TCK`: 100 on Linux).
const CLOCK_TICKS_PER_SECOND: u64 = 100;

/// How to start the server.
pub(super) struct SpawnOptions {
    pub db: Option<PathBuf>,
    pub database_url: Option<String>,
    pub max_batch: Option<usize>,
    /// `RUST_LOG` for the server (None: inherited).
    pub log_filter: Option<String>,
    pub extra_args: Vec<String>,
    /// Keep the temp dir (database and log) after the run.
    pub keep: bool,
}

/// A running `tally serve`.
pub(super) struct Spawned {
    child: Child,
    pub address: SocketAddr,
    pub admin_key: String,
    /// The SQLite file, when the store is embedded.
    pub db: Option<PathBuf>,
    database_url: Option<String>,
    pub log: PathBuf,
    /// The temp dir to remove at the end (None with `--keep` or a caller's `--db`).
    temp_dir: Option<PathBuf>,
    pub dir: PathBuf,
}

/// How the ledger check went.
pub(super) enum Ledger {
    Verified(String),
    Failed(String),
    NotChecked(String),
}

impl Ledger {
    pub(super) fn label(&self) -> String {
        match self {
            Ledger::Verified(summary) => format!("verified ({summary})"),
            Ledger::Failed(detail) => format!("FAILED: {detail}"),
            Ledger::NotChecked(why) => format!("not checked ({why})"),
        }
    }

    pub(super) fn is_verified(&self) -> bool {
        matches!(self, Ledger::Verified(_))
    }
}

impl Spawned {
    pub(super) fn start(options: &SpawnOptions) -> anyhow::Result<Spawned> {
        let exe = std::env::current_exe().context("finding the tally binary")?;
        let dir = std::env::temp_dir().join(format!(
            "tally-bench-{}-{}",
            std::process::id(),
            tally_engine::ids::random_token(8)
        ));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("creating the temp dir {}", dir.display()))?;
        let admin_key = tally_server::auth::new_admin_key();
        let log = dir.join("server.log");
        let mut command = Command::new(exe);
        command
            .arg("serve")
            .args(["--listen", "127.0.0.1:0"])
            .args(["--admin-key", &admin_key]);
        let db = match (&options.database_url, &options.db) {
            (Some(url), _) => {
                command.args(["--database-url", url]);
                None
            }
            (None, Some(db)) => Some(db.clone()),
            (None, None) => Some(dir.join("bench.db")),
        };
        if let Some(db) = &db {
            command.arg("--db").arg(db);
        }
        if let Some(max_batch) = options.max_batch {
            command.args(["--max-batch", &max_batch.to_string()]);
        }
        command.args(&options.extra_args);
        if let Some(filter) = &options.log_filter {
            command.env("RUST_LOG", filter);
        }
        if options.database_url.is_none() {
            command.env_remove("TALLY_DATABASE_URL");
        }
        command
            .env_remove("TALLY_ADMIN_KEY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(File::create(&log).context("creating the server log")?);
        let mut child = command.spawn().context("starting `tally serve`")?;
        let stdout = child.stdout.take().context("the server's stdout")?;
        let (found, address) = mpsc::channel();
        // Reads the server's stdout to its end, so the pipe never fills.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.strip_prefix("tally listening on http://") {
                    let address = rest.split_whitespace().next().unwrap_or_default();
                    let _ = found.send(address.parse::<SocketAddr>());
                }
            }
        });
        let spawned = |address| Spawned {
            child,
            address,
            admin_key,
            db,
            database_url: options.database_url.clone(),
            log: log.clone(),
            temp_dir: (!options.keep).then(|| dir.clone()),
            dir: dir.clone(),
        };
        match address.recv_timeout(STARTUP_TIMEOUT) {
            Ok(Ok(address)) => Ok(spawned(address)),
            Ok(Err(error)) => {
                let mut server = spawned(SocketAddr::from(([127, 0, 0, 1], 0)));
                let _ = server.child.kill();
                bail!("the server printed an unreadable address: {error}")
            }
            Err(_) => {
                let mut server = spawned(SocketAddr::from(([127, 0, 0, 1], 0)));
                let _ = server.child.kill();
                let _ = server.child.wait();
                let tail = log_tail(&log);
                server.remove_temp_dir();
                bail!("the server did not start; its log ends with:\n{tail}")
            }
        }
    }

    pub(super) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// How the server ended, if it already has (something else stopped it mid-run).
    pub(super) fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Stops the server (SIGTERM, then SIGKILL after [`STOP_TIMEOUT`]) and says how it ended.
    pub(super) fn stop(&mut self) -> anyhow::Result<ExitStatus> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            if Instant::now() >= deadline {
                self.child.kill()?;
                return Ok(self.child.wait()?);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Runs `tally verify` on the stopped server's store.
    pub(super) fn verify(&self) -> Ledger {
        let Ok(exe) = std::env::current_exe() else {
            return Ledger::NotChecked("the tally binary cannot be found".into());
        };
        let mut command = Command::new(exe);
        command.arg("verify");
        match (&self.db, &self.database_url) {
            (Some(db), _) => command.arg("--db").arg(db),
            (None, Some(url)) => command.args(["--database-url", url]),
            (None, None) => return Ledger::NotChecked("no store to check".into()),
        };
        match command.stdin(Stdio::null()).output() {
            Err(error) => Ledger::NotChecked(format!("running tally verify: {error}")),
            Ok(output) => {
                let stdout = String::from_utf8_lossy(&output.stdout);
                let stderr = String::from_utf8_lossy(&output.stderr);
                if output.status.success() {
                    let summary = stdout.lines().next().unwrap_or("ok").to_string();
                    Ledger::Verified(summary)
                } else if self.db.is_none() && stderr.contains("unexpected argument") {
                    Ledger::NotChecked("this tally verify cannot check PostgreSQL".into())
                } else {
                    Ledger::Failed(format!("{}{}", stdout.trim(), stderr.trim()))
                }
            }
        }
    }

    pub(super) fn remove_temp_dir(&mut self) {
        if let Some(dir) = self.temp_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        self.remove_temp_dir();
    }
}

/// The last lines of a log file.
pub(super) fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// A process's CPU time (user + system) and memory, from /proc.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct ProcessSample {
    pub cpu_micros: u64,
    pub rss_kib: u64,
    pub peak_rss_kib: u64,
}

/// Samples process `pid` ("self" for this one); zeros where /proc cannot be read.
pub(super) fn sample(pid: &str) -> ProcessSample {
    let mut sample = ProcessSample::default();
    if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The fields after the command name (which may hold spaces) start at state (field 3);
        // utime and stime are fields 14 and 15.
        if let Some(rest) = stat.rsplit_once(')').map(|(_, rest)| rest) {
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let ticks = |index: usize| {
                fields
                    .get(index)
                    .and_then(|field| field.parse::<u64>().ok())
                    .unwrap_or(0)
            };
            let total = ticks(11) + ticks(12);
            sample.cpu_micros = total * 1_000_000 / CLOCK_TICKS_PER_SECOND;
        }
    }
    if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
        for line in status.lines() {
            let kib = || {
                line.split_whitespace()
                    .nth(1)
                    .and_then(|value| value.parse::<u64>().ok())
                    .unwrap_or(0)
            };
            if line.starts_with("VmRSS:") {
                sample.rss_kib = kib();
            } else if line.starts_with("VmHWM:") {
                sample.peak_rss_kib = kib();
            }
        }
    }
    sample
}

/// The 1-minute load average.
pub(super) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".to_string())
}
