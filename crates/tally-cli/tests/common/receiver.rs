//! The webhook receiver of the end-to-end tests: `tests/webhooks/receiver.py`, a real HTTP
//! server on loopback that verifies every delivery with the stock `standardwebhooks` library
//! (installed by scripts/test into a venv: `TALLY_TEST_PYTHON` names its python), logs it, and
//! answers as the test tells it (ok, fail with a status and `Retry-After`, hang, 410).

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::Client;

/// How long a test waits for what it expects the worker to do (never reached when all is
/// well: every wait ends as soon as the condition holds).
pub(crate) const WAIT_MAX: Duration = Duration::from_secs(60);

pub(crate) struct Receiver {
    child: Child,
    /// Where deliveries go: the http listener, or the https one when there is one (control
    /// and the log are always on the http one).
    hooks: String,
    client: Client,
}

/// The python that has `standardwebhooks`.
fn python() -> String {
    std::env::var("TALLY_TEST_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

impl Receiver {
    pub(crate) fn start() -> Receiver {
        Self::start_with(&[])
    }

    /// A receiver serving https with this certificate and key (PEM files).
    pub(crate) fn start_tls(certificate: &std::path::Path, key: &std::path::Path) -> Receiver {
        let (certificate, key) = (certificate.display().to_string(), key.display().to_string());
        Self::start_with(&["--tls", &certificate, &key])
    }

    fn start_with(args: &[&str]) -> Receiver {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/webhooks/receiver.py");
        let mut child = Command::new(python())
            .arg(script)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting the webhook receiver (python3)");
        let stdout = child.stdout.take().expect("the receiver's stdout");
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let read = reader.read_line(&mut line).unwrap_or(0);
        let Some(base) = line.trim().strip_prefix("receiver listening on ") else {
            let _ = child.kill();
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                let _ = pipe.read_to_string(&mut stderr);
            }
            panic!(
                "the webhook receiver did not start ({read} bytes: {line:?}): {stderr}\n\
                 It needs the `standardwebhooks` package: run scripts/test (which installs it \
                 into a venv and sets TALLY_TEST_PYTHON), or `pip install -r \
                 crates/tally-cli/tests/webhooks/requirements.txt` and set TALLY_TEST_PYTHON."
            );
        };
        let mut bases = base.split_whitespace();
        let base = bases.next().unwrap_or_default().to_string();
        let hooks = bases.next().unwrap_or(&base).to_string();
        Receiver {
            child,
            client: Client::new(&base, None),
            hooks,
        }
    }

    /// Where endpoints point.
    pub(crate) fn url(&self) -> String {
        format!("{}/hook", self.hooks)
    }

    /// Changes how it answers (see receiver.py).
    pub(crate) fn control(&self, change: Value) {
        self.client.post("/control", change).expect(204);
    }

    pub(crate) fn secrets(&self, secrets: &[&str]) {
        self.control(json!({ "secrets": secrets }));
    }

    /// Every request received so far, in order.
    pub(crate) fn received(&self) -> Vec<Value> {
        let answer = self.client.get("/received").expect(200);
        answer.body["received"]
            .as_array()
            .expect("the receiver's log")
            .clone()
    }

    /// The requests answered 2xx.
    pub(crate) fn delivered(&self) -> Vec<Value> {
        self.received()
            .into_iter()
            .filter(|entry| {
                entry["answered"]
                    .as_u64()
                    .is_some_and(|s| (200..300).contains(&s))
            })
            .collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until `done` says yes (polled every 50 ms, at most [`WAIT_MAX`]); panics naming
/// `what` with the last value seen.
#[track_caller]
pub(crate) fn wait_for<T: std::fmt::Debug>(
    what: &str,
    mut probe: impl FnMut() -> T,
    done: impl Fn(&T) -> bool,
) -> T {
    let started = Instant::now();
    loop {
        let value = probe();
        if done(&value) {
            return value;
        }
        if started.elapsed() > WAIT_MAX {
            panic!("waited {WAIT_MAX:?} for {what}; last seen: {value:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
