//! The end-to-end harness: a real `tally serve` process on a fresh SQLite file, and a small
//! HTTP client for API.md.
//!
//! Every test starts its own server (`127.0.0.1:0`, its own temp dir), so tests run in
//! parallel without sharing state. The server is killed and the temp dir removed on drop; when
//! a test panics, the tail of the server's log is printed first.
//!
//! Amounts are compared exactly: JSON is parsed with `arbitrary_precision`, so a number keeps
//! its text (`json!(7)` equals the server's `7`), and [`millis`] turns a number's text into
//! integer millicredits without a float.

#![allow(dead_code)]

pub(crate) mod receiver;

use std::fs::{File, OpenOptions};
use std::hash::{BuildHasher, Hasher};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

/// The admin key every harness server is started with unless a test picks another.
pub(crate) const ADMIN_KEY: &str = "tk_admin_e2e_0123456789abcdef";

/// How long one HTTP exchange may take before the test fails (never reached when all is well).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// The `tally` binary under test.
pub(crate) fn tally_bin() -> &'static str {
    env!("CARGO_BIN_EXE_tally")
}

// ---------------------------------------------------------------------------------------------
// Temp dirs
// ---------------------------------------------------------------------------------------------

/// A unique directory under the system temp dir, removed on drop.
pub(crate) struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub(crate) fn new(label: &str) -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = random_u64();
        let path = std::env::temp_dir().join(format!(
            "tally-e2e-{label}-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&path).expect("creating the test's temp dir");
        TempDir { path }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

/// One HTTP answer: status, headers (names lower-cased), body text and body JSON
/// (`Value::Null` when the body is not JSON).
#[derive(Debug, Clone)]
pub(crate) struct Resp {
    pub method: String,
    pub path: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub text: String,
    pub body: Value,
}

impl Resp {
    fn new(
        method: &str,
        path: &str,
        status: u16,
        headers: Vec<(String, String)>,
        text: String,
    ) -> Self {
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            method: method.to_string(),
            path: path.to_string(),
            status,
            headers,
            text,
            body,
        }
    }

    /// A header's value (case-insensitive name).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Asserts the status and returns the response.
    #[track_caller]
    pub(crate) fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status, status,
            "{} {}: expected status {status}, got {} with body {}",
            self.method, self.path, self.status, self.text
        );
        self
    }

    /// Asserts an RFC 9457 problem with this status and code, and returns the body.
    #[track_caller]
    pub(crate) fn problem(&self, status: u16, code: &str) -> &Value {
        assert_eq!(
            (self.status, self.body["code"].as_str()),
            (status, Some(code)),
            "{} {}: expected {status} {code}, got {} with body {}",
            self.method,
            self.path,
            self.status,
            self.text
        );
        let content_type = self.header("content-type").unwrap_or_default();
        assert!(
            content_type.starts_with("application/problem+json"),
            "{} {}: a problem must be application/problem+json, got {content_type:?}",
            self.method,
            self.path
        );
        assert_eq!(
            self.body["status"],
            json!(status),
            "problem.status: {}",
            self.text
        );
        for field in ["type", "title", "detail"] {
            assert!(
                self.body[field].is_string(),
                "{} {}: problem field `{field}` missing: {}",
                self.method,
                self.path,
                self.text
            );
        }
        &self.body
    }

    /// The `id` field of the body.
    #[track_caller]
    pub(crate) fn id(&self) -> String {
        self.body["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{} {}: no `id` in {}", self.method, self.path, self.text))
            .to_string()
    }

    /// Whether the response says it is an idempotent replay.
    pub(crate) fn replayed(&self) -> bool {
        self.header("idempotent-replayed") == Some("true")
    }
}

impl std::ops::Index<&str> for Resp {
    type Output = Value;

    fn index(&self, key: &str) -> &Value {
        &self.body[key]
    }
}

// ---------------------------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------------------------

/// An HTTP client for one server with one bearer key (or none). Non-2xx statuses are answers,
/// not errors.
#[derive(Clone)]
pub(crate) struct Client {
    agent: ureq::Agent,
    base: String,
    key: Option<String>,
}

/// A ureq agent that treats every status as an answer. It opens a connection per request:
/// reusing connections is tested once, on purpose, by
/// `api::a_request_refused_before_its_body_arrives_leaves_the_connection_usable`, so that
/// every other test checks the API and not how the server handles a reused connection.
pub(crate) fn new_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(REQUEST_TIMEOUT))
        .max_idle_connections(0)
        .max_idle_connections_per_host(0)
        .build()
        .into()
}

impl Client {
    pub(crate) fn new(base: &str, key: Option<&str>) -> Self {
        Client {
            agent: new_agent(),
            base: base.to_string(),
            key: key.map(str::to_string),
        }
    }

    /// The same server with another key.
    pub(crate) fn with_key(&self, key: &str) -> Client {
        Client {
            agent: self.agent.clone(),
            base: self.base.clone(),
            key: Some(key.to_string()),
        }
    }

    /// The same server without a key.
    pub(crate) fn anonymous(&self) -> Client {
        Client {
            agent: self.agent.clone(),
            base: self.base.clone(),
            key: None,
        }
    }

    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// The key this client sends, if any (for a `tally` client command in a test).
    pub(crate) fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// Sends a request; `body: None` sends none. Transport errors are returned.
    pub(crate) fn try_request(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
    ) -> Result<Resp, ureq::Error> {
        let url = format!("{}{path}", self.base);
        let authorization = self.key.as_ref().map(|key| format!("Bearer {key}"));
        let response = match method {
            "GET" | "DELETE" => {
                let mut request = if method == "GET" {
                    self.agent.get(&url)
                } else {
                    self.agent.delete(&url)
                };
                if let Some(authorization) = &authorization {
                    request = request.header("Authorization", authorization);
                }
                for (name, value) in headers {
                    request = request.header(*name, *value);
                }
                request.call()?
            }
            "POST" | "PUT" | "PATCH" => {
                let mut request = match method {
                    "POST" => self.agent.post(&url),
                    "PUT" => self.agent.put(&url),
                    _ => self.agent.patch(&url),
                };
                if let Some(authorization) = &authorization {
                    request = request.header("Authorization", authorization);
                }
                if body.is_some() {
                    request = request.header("Content-Type", "application/json");
                }
                for (name, value) in headers {
                    request = request.header(*name, *value);
                }
                match body {
                    Some(body) => request.send(body)?,
                    None => request.send_empty()?,
                }
            }
            other => panic!("harness: unsupported method {other}"),
        };
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body = response.into_body();
        let text = body
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_string()?;
        Ok(Resp::new(method, path, status, headers, text))
    }

    /// Sends a request and panics on a transport error.
    #[track_caller]
    pub(crate) fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
    ) -> Resp {
        match self.try_request(method, path, body, headers) {
            Ok(response) => response,
            Err(error) => panic!("{method} {path}: transport error: {error}"),
        }
    }

    #[track_caller]
    pub(crate) fn get(&self, path: &str) -> Resp {
        self.request("GET", path, None, &[])
    }

    #[track_caller]
    pub(crate) fn delete(&self, path: &str) -> Resp {
        self.request("DELETE", path, None, &[])
    }

    /// POST with a JSON body.
    #[track_caller]
    pub(crate) fn post(&self, path: &str, body: Value) -> Resp {
        let text = body.to_string();
        self.request("POST", path, Some(text.as_bytes()), &[])
    }

    /// POST with a JSON body and an `Idempotency-Key`.
    #[track_caller]
    pub(crate) fn post_idem(&self, path: &str, idempotency_key: &str, body: Value) -> Resp {
        let text = body.to_string();
        self.request(
            "POST",
            path,
            Some(text.as_bytes()),
            &[("Idempotency-Key", idempotency_key)],
        )
    }

    /// POST with a raw body (any bytes) and extra headers.
    #[track_caller]
    pub(crate) fn post_raw(&self, path: &str, body: &[u8], headers: &[(&str, &str)]) -> Resp {
        self.request("POST", path, Some(body), headers)
    }

    /// POST without a body.
    #[track_caller]
    pub(crate) fn post_empty(&self, path: &str) -> Resp {
        self.request("POST", path, None, &[])
    }

    /// Sends a request over a raw TCP connection (`Connection: close`, a `Content-Length`), for
    /// what a well-behaved client library refuses to send. `extra_headers` are whole header
    /// lines, each ending in `\r\n`.
    pub(crate) fn raw(&self, method: &str, path: &str, extra_headers: &[u8], body: &[u8]) -> Resp {
        let mut headers = format!("Content-Length: {}\r\n", body.len()).into_bytes();
        headers.extend_from_slice(extra_headers);
        self.raw_framed(method, path, &headers, body)
    }

    /// Like [`Client::raw`], but the caller frames the body (no `Content-Length` is added):
    /// e.g. `Transfer-Encoding: chunked` with a chunked body. The body is written from another
    /// thread, so a server that answers before reading it all cannot deadlock the test.
    pub(crate) fn raw_framed(&self, method: &str, path: &str, headers: &[u8], body: &[u8]) -> Resp {
        let address = self
            .base
            .strip_prefix("http://")
            .expect("harness: an http base URL");
        let mut stream = TcpStream::connect(address).expect("raw: connecting");
        stream
            .set_read_timeout(Some(REQUEST_TIMEOUT))
            .expect("raw: read timeout");
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Type: application/json\r\n"
        )
        .into_bytes();
        if let Some(key) = &self.key {
            head.extend_from_slice(format!("Authorization: Bearer {key}\r\n").as_bytes());
        }
        head.extend_from_slice(headers);
        head.extend_from_slice(b"\r\n");
        let mut writer = stream.try_clone().expect("raw: cloning the stream");
        let body = body.to_vec();
        let sender = std::thread::spawn(move || {
            let _ = writer.write_all(&head);
            let _ = writer.write_all(&body);
            let _ = writer.flush();
        });
        let mut received = Vec::new();
        // A reset after the answer arrived is fine: keep what was read.
        let mut buffer = [0u8; 64 * 1024];
        loop {
            match stream.read(&mut buffer) {
                Ok(0) => break,
                Ok(count) => received.extend_from_slice(&buffer[..count]),
                Err(_) => break,
            }
        }
        let _ = sender.join();
        let text = String::from_utf8_lossy(&received).into_owned();
        let (head, body) = text
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("raw {method} {path}: no HTTP answer, got {text:?}"));
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status: u16 = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("raw {method} {path}: bad status line {status_line:?}"));
        let headers: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
            .collect();
        let chunked = headers
            .iter()
            .any(|(name, value)| name == "transfer-encoding" && value.contains("chunked"));
        let body = if chunked {
            dechunk(body)
        } else {
            body.to_string()
        };
        Resp::new(method, path, status, headers, body)
    }
}

/// A raw keep-alive HTTP/1.1 connection: send bytes, read one response at a time.
pub(crate) struct RawConnection {
    stream: TcpStream,
    buffered: Vec<u8>,
}

impl RawConnection {
    pub(crate) fn open(base: &str) -> Self {
        let address = base
            .strip_prefix("http://")
            .expect("harness: an http base URL");
        let stream = TcpStream::connect(address).expect("raw: connecting");
        stream
            .set_read_timeout(Some(REQUEST_TIMEOUT))
            .expect("raw: read timeout");
        stream.set_nodelay(true).expect("raw: nodelay");
        RawConnection {
            stream,
            buffered: Vec::new(),
        }
    }

    /// Writes bytes; false when the connection is gone.
    pub(crate) fn send(&mut self, bytes: &[u8]) -> bool {
        self.stream.write_all(bytes).is_ok() && self.stream.flush().is_ok()
    }

    /// Waits, sending nothing, until the server closes the connection: true when it did (the
    /// end of the stream), false when the read timed out or failed instead.
    pub(crate) fn closed_by_the_server(&mut self) -> bool {
        let mut buffer = [0u8; 4096];
        loop {
            match self.stream.read(&mut buffer) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(_) => return false,
            }
        }
    }

    /// Reads one response (with a `Content-Length` body); `None` when the connection ends or
    /// fails first.
    pub(crate) fn read_response(&mut self) -> Option<Resp> {
        let mut buffer = [0u8; 64 * 1024];
        let head_end = loop {
            if let Some(at) = self
                .buffered
                .windows(4)
                .position(|window| window == b"\r\n\r\n")
            {
                break at;
            }
            match self.stream.read(&mut buffer) {
                Ok(0) | Err(_) => return None,
                Ok(count) => self.buffered.extend_from_slice(&buffer[..count]),
            }
        };
        let head = String::from_utf8_lossy(&self.buffered[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let status: u16 = lines
            .next()
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|code| code.parse().ok())?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
            .collect();
        let length: usize = headers
            .iter()
            .find(|(name, _)| name == "content-length")
            .and_then(|(_, value)| value.parse().ok())
            .unwrap_or(0);
        let body_start = head_end + 4;
        while self.buffered.len() < body_start + length {
            match self.stream.read(&mut buffer) {
                Ok(0) | Err(_) => return None,
                Ok(count) => self.buffered.extend_from_slice(&buffer[..count]),
            }
        }
        let body =
            String::from_utf8_lossy(&self.buffered[body_start..body_start + length]).into_owned();
        self.buffered.drain(..body_start + length);
        Some(Resp::new("RAW", "", status, headers, body))
    }
}

fn dechunk(mut text: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = text.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        text = rest[size..].trim_start_matches("\r\n");
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The server process
// ---------------------------------------------------------------------------------------------

/// How to start `tally serve`.
#[derive(Clone, Debug)]
pub(crate) struct ServeOptions {
    pub admin_key: String,
    pub test_clock: bool,
    pub max_batch: Option<usize>,
    /// `--stripe-webhook-secret` (comma separated for several).
    pub stripe_webhook_secret: Option<String>,
    /// `--public-url` (default: the server's own address).
    pub public_url: Option<String>,
    /// `--webhook-deny-private`.
    pub webhook_deny_private: bool,
    /// `--webhook-lease-seconds`.
    pub webhook_lease_seconds: Option<u64>,
    /// `--webhook-ca-file`.
    pub webhook_ca_file: Option<PathBuf>,
    /// `--max-connections`.
    pub max_connections: Option<usize>,
    /// `--idle-timeout-seconds`.
    pub idle_timeout_seconds: Option<u64>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            admin_key: ADMIN_KEY.to_string(),
            test_clock: false,
            max_batch: None,
            stripe_webhook_secret: None,
            public_url: None,
            webhook_deny_private: false,
            webhook_lease_seconds: None,
            webhook_ca_file: None,
            max_connections: None,
            idle_timeout_seconds: None,
        }
    }
}

/// A running `tally serve`; killed on drop.
pub(crate) struct Server {
    child: Option<Child>,
    base: String,
    db: PathBuf,
    log: PathBuf,
    admin_key: String,
}

impl Server {
    /// Starts `tally serve` on `db` (stderr appended to `log`) and waits for its listening
    /// line.
    pub(crate) fn start(db: &Path, log: &Path, options: &ServeOptions) -> Server {
        let log_file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("opening the server log");
        let mut command = Command::new(tally_bin());
        command
            .arg("serve")
            .arg("--db")
            .arg(db)
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--admin-key")
            .arg(&options.admin_key)
            .env_remove("TALLY_DB")
            .env_remove("TALLY_LISTEN")
            .env_remove("TALLY_ADMIN_KEY")
            .env_remove("TALLY_STRIPE_WEBHOOK_SECRET")
            .env_remove("TALLY_PUBLIC_URL")
            .env_remove("TALLY_WEBHOOK_DENY_PRIVATE")
            .env_remove("TALLY_WEBHOOK_CA_FILE")
            .env_remove("TALLY_MAX_CONNECTIONS")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file));
        if options.test_clock {
            command.arg("--test-clock");
        }
        if let Some(max_batch) = options.max_batch {
            command.arg("--max-batch").arg(max_batch.to_string());
        }
        if options.webhook_deny_private {
            command.arg("--webhook-deny-private");
        }
        if let Some(seconds) = options.webhook_lease_seconds {
            command
                .arg("--webhook-lease-seconds")
                .arg(seconds.to_string());
        }
        if let Some(path) = &options.webhook_ca_file {
            command.arg("--webhook-ca-file").arg(path);
        }
        if let Some(max) = options.max_connections {
            command.arg("--max-connections").arg(max.to_string());
        }
        if let Some(seconds) = options.idle_timeout_seconds {
            command
                .arg("--idle-timeout-seconds")
                .arg(seconds.to_string());
        }
        if let Some(secret) = &options.stripe_webhook_secret {
            command.arg("--stripe-webhook-secret").arg(secret);
        }
        if let Some(public_url) = &options.public_url {
            command.arg("--public-url").arg(public_url);
        }
        let mut child = command.spawn().expect("spawning `tally serve`");
        let stdout = child.stdout.take().expect("the server's stdout");
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let base = loop {
            line.clear();
            let read = reader.read_line(&mut line).unwrap_or(0);
            if read == 0 {
                let _ = child.kill();
                let status = child.wait();
                panic!(
                    "`tally serve` ended before listening ({status:?}); its log:\n{}",
                    read_tail(log, 200)
                );
            }
            if let Some(rest) = line.trim().strip_prefix("tally listening on ") {
                let url = rest
                    .split_whitespace()
                    .next()
                    .expect("a URL after `tally listening on`");
                break url.trim_end_matches('/').to_string();
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = reader.read_to_end(&mut sink);
        });
        Server {
            child: Some(child),
            base,
            db: db.to_path_buf(),
            log: log.to_path_buf(),
            admin_key: options.admin_key.clone(),
        }
    }

    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    pub(crate) fn db(&self) -> &Path {
        &self.db
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.as_ref().expect("the server is running").id()
    }

    /// A client with the admin key.
    pub(crate) fn admin(&self) -> Client {
        Client::new(&self.base, Some(&self.admin_key))
    }

    /// A client with `key`.
    pub(crate) fn client(&self, key: &str) -> Client {
        Client::new(&self.base, Some(key))
    }

    /// A client without a key.
    pub(crate) fn anonymous(&self) -> Client {
        Client::new(&self.base, None)
    }

    /// SIGKILL, and wait for the process to be gone.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM (a graceful stop), and wait; asserts a clean exit.
    pub(crate) fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let status = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status()
                .expect("running `kill -TERM`");
            assert!(status.success(), "kill -TERM failed: {status}");
            let exit = child.wait().expect("waiting for the server");
            assert!(
                exit.success(),
                "`tally serve` did not exit cleanly on SIGTERM ({exit}); its log:\n{}",
                read_tail(&self.log, 100)
            );
        }
    }

    pub(crate) fn is_running(&self) -> bool {
        self.child.is_some()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if std::thread::panicking() && self.child.is_some() {
            eprintln!(
                "--- tail of the server log ({}) ---\n{}",
                self.log.display(),
                read_tail(&self.log, 60)
            );
        }
        self.kill();
    }
}

fn read_tail(path: &Path, lines: usize) -> String {
    let mut text = String::new();
    if let Ok(mut file) = File::open(path) {
        let _ = file.read_to_string(&mut text);
    }
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

// ---------------------------------------------------------------------------------------------
// The fixture: a temp dir, a database in it, a server on it
// ---------------------------------------------------------------------------------------------

/// One test's Tally: a fresh database and a server on it. The suite is parametrized by store:
/// with `TALLY_TEST_BACKEND=postgres` every test that does not need the test clock (which a
/// shared database refuses by design) runs on a fresh PostgreSQL database of its own on
/// `TALLY_TEST_DATABASE_URL`; otherwise on a SQLite file in its own temp dir.
pub(crate) struct Tally {
    // Dropped in this order: the server first, then its database and directory.
    server: Server,
    options: ServeOptions,
    database: Option<TestDatabase>,
    dir: TempDir,
    db: PathBuf,
    log: PathBuf,
}

/// Whether this run of the suite is on PostgreSQL.
pub(crate) fn on_postgres() -> bool {
    std::env::var("TALLY_TEST_BACKEND").is_ok_and(|backend| backend == "postgres")
}

impl Tally {
    /// A server without the test clock.
    pub(crate) fn start() -> Self {
        Self::start_with(ServeOptions::default())
    }

    /// A server with `--test-clock`.
    pub(crate) fn with_test_clock() -> Self {
        Self::start_with(ServeOptions {
            test_clock: true,
            ..ServeOptions::default()
        })
    }

    pub(crate) fn start_with(options: ServeOptions) -> Self {
        if on_postgres() && !options.test_clock {
            return Self::start_postgres_with(options);
        }
        Self::start_sqlite_with(options)
    }

    /// On a SQLite file, whatever the suite's backend (for tests of the file itself).
    pub(crate) fn start_sqlite_with(options: ServeOptions) -> Self {
        let dir = TempDir::new("srv");
        let db = dir.path().join("tally.db");
        let log = dir.path().join("server.log");
        let server = Server::start(&db, &log, &options);
        Tally {
            server,
            options,
            database: None,
            dir,
            db,
            log,
        }
    }

    fn start_postgres_with(options: ServeOptions) -> Self {
        let dir = TempDir::new("srv");
        let db = dir.path().join("unused.db");
        let log = dir.path().join("server.log");
        let database = TestDatabase::create();
        let server = Server::start_postgres(&database.url, &log, &options);
        Tally {
            server,
            options,
            database: Some(database),
            dir,
            db,
            log,
        }
    }

    /// Whether this test's store is PostgreSQL.
    pub(crate) fn is_postgres(&self) -> bool {
        self.database.is_some()
    }

    pub(crate) fn server(&self) -> &Server {
        &self.server
    }

    pub(crate) fn server_mut(&mut self) -> &mut Server {
        &mut self.server
    }

    /// The SQLite file (a test that opens it must start with `start_sqlite_with`).
    pub(crate) fn db(&self) -> &Path {
        assert!(
            self.database.is_none(),
            "this test's store is PostgreSQL, not a file"
        );
        &self.db
    }

    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn admin(&self) -> Client {
        self.server.admin()
    }

    pub(crate) fn client(&self, key: &str) -> Client {
        self.server.client(key)
    }

    pub(crate) fn anonymous(&self) -> Client {
        self.server.anonymous()
    }

    /// SIGKILL the server.
    pub(crate) fn kill(&mut self) {
        self.server.kill();
    }

    /// Stop the server gracefully.
    pub(crate) fn stop(&mut self) {
        self.server.stop();
    }

    /// The options the next [`Tally::restart`] starts the server with.
    pub(crate) fn set_options(&mut self, options: ServeOptions) {
        self.options = options;
    }

    /// Start a new server on the same database (after `kill` or `stop`).
    pub(crate) fn restart(&mut self) {
        self.server.kill();
        self.server = match &self.database {
            Some(database) => Server::start_postgres(&database.url, &self.log, &self.options),
            None => Server::start(&self.db, &self.log, &self.options),
        };
    }

    /// Runs `tally verify --db` and asserts it passes.
    #[track_caller]
    pub(crate) fn verify(&self) {
        match &self.database {
            Some(database) => {
                let (ok, text) = run_verify_postgres(&database.url);
                assert!(ok, "`tally verify --database-url` failed:\n{text}");
            }
            None => verify_ok(&self.db),
        }
    }
}

/// Runs `tally verify --db PATH`: (exit success, stdout and stderr).
pub(crate) fn run_verify(db: &Path) -> (bool, String) {
    let output = Command::new(tally_bin())
        .arg("verify")
        .arg("--db")
        .arg(db)
        .env_remove("TALLY_DB")
        .output()
        .expect("running `tally verify`");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// Asserts `tally verify --db PATH` passes.
#[track_caller]
pub(crate) fn verify_ok(db: &Path) {
    let (ok, text) = run_verify(db);
    assert!(ok, "`tally verify` failed:\n{text}");
}

// ---------------------------------------------------------------------------------------------
// Amounts and time
// ---------------------------------------------------------------------------------------------

/// A JSON number from its text, exactly (`num("7.5")`).
pub(crate) fn num(text: &str) -> Value {
    let value: Value = serde_json::from_str(text).expect("num: a JSON number");
    assert!(value.is_number(), "num: {text} is not a number");
    value
}

/// A JSON amount as integer millicredits, read from its text (`12.5` → 12500). Panics on
/// anything but a plain decimal number with at most 3 fraction digits.
#[track_caller]
pub(crate) fn millis(value: &Value) -> i64 {
    let Value::Number(number) = value else {
        panic!("millis: {value} is not a JSON number");
    };
    let text = number.to_string();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    assert!(
        !whole.is_empty()
            && whole.bytes().all(|byte| byte.is_ascii_digit())
            && fraction.len() <= 3
            && fraction.bytes().all(|byte| byte.is_ascii_digit()),
        "millis: {text} is not an amount with at most 3 fraction digits"
    );
    let whole: i64 = whole.parse().expect("millis: whole part");
    let fraction: i64 = format!("{fraction:0<3}").parse().expect("millis: fraction");
    let magnitude = whole * 1000 + fraction;
    if negative { -magnitude } else { magnitude }
}

/// Parses an RFC 3339 UTC timestamp string (and asserts it is one).
#[track_caller]
pub(crate) fn instant(value: &Value) -> jiff::Timestamp {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("instant: {value} is not a string"));
    assert!(
        text.ends_with('Z'),
        "instant: {text} is not an RFC 3339 UTC string"
    );
    text.parse()
        .unwrap_or_else(|error| panic!("instant: {text} is not RFC 3339: {error}"))
}

/// `at + seconds`, as RFC 3339 text.
pub(crate) fn plus_seconds(at: jiff::Timestamp, seconds: i64) -> String {
    at.checked_add(jiff::SignedDuration::from_secs(seconds))
        .expect("plus_seconds: in range")
        .to_string()
}

/// Now by the wall clock, as a jiff timestamp.
pub(crate) fn wall_now() -> jiff::Timestamp {
    jiff::Timestamp::now()
}

// ---------------------------------------------------------------------------------------------
// Ledger helpers
// ---------------------------------------------------------------------------------------------

/// Creates an account with this id (asserts 201) and returns the body.
#[track_caller]
pub(crate) fn create_account(admin: &Client, id: &str) -> Value {
    admin
        .post("/v1/accounts", json!({"id": id}))
        .expect(201)
        .body
}

/// Grants `amount` (plus any other fields of `extra`) to `account`; asserts 201.
#[track_caller]
pub(crate) fn grant(admin: &Client, account: &str, amount: Value, extra: Value) -> Value {
    let mut body = json!({"amount": amount});
    if let Value::Object(extra) = extra {
        for (key, value) in extra {
            body[key] = value;
        }
    }
    admin
        .post(&format!("/v1/accounts/{account}/grants"), body)
        .expect(201)
        .body
}

/// Issues an account key; returns (key id, secret).
#[track_caller]
pub(crate) fn account_key(admin: &Client, account: &str) -> (String, String) {
    let response = admin
        .post_empty(&format!("/v1/accounts/{account}/keys"))
        .expect(201);
    let secret = response["key"]
        .as_str()
        .expect("a new key shows its secret")
        .to_string();
    (response.id(), secret)
}

/// Charges `amount`; returns the response (any status).
#[track_caller]
pub(crate) fn charge(client: &Client, account: &str, amount: Value) -> Resp {
    client.post(
        &format!("/v1/accounts/{account}/charges"),
        json!({"amount": amount}),
    )
}

/// Holds `amount`; returns the response (any status).
#[track_caller]
pub(crate) fn hold(client: &Client, account: &str, amount: Value) -> Resp {
    client.post(
        &format!("/v1/accounts/{account}/holds"),
        json!({"amount": amount}),
    )
}

/// The balance (asserts 200).
#[track_caller]
pub(crate) fn balance(client: &Client, account: &str) -> Value {
    client
        .get(&format!("/v1/accounts/{account}/balance"))
        .expect(200)
        .body
}

/// (posted, held, available) of an account's balance, in millicredits.
#[track_caller]
pub(crate) fn totals(client: &Client, account: &str) -> (i64, i64, i64) {
    let b = balance(client, account);
    (
        millis(&b["posted"]),
        millis(&b["held"]),
        millis(&b["available"]),
    )
}

/// Every entry of an account, newest first, following the pages.
#[track_caller]
pub(crate) fn entries(client: &Client, account: &str) -> Vec<Value> {
    list_all(client, &format!("/v1/accounts/{account}/entries"))
}

/// Every item of a list endpoint, newest first, following `has_more` and `starting_after`.
#[track_caller]
pub(crate) fn list_all(client: &Client, path: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let separator = if path.contains('?') { '&' } else { '?' };
        let page_path = match &after {
            None => format!("{path}{separator}limit=1000"),
            Some(id) => format!("{path}{separator}limit=1000&starting_after={id}"),
        };
        let page = client.get(&page_path).expect(200);
        let data = page["data"]
            .as_array()
            .unwrap_or_else(|| panic!("{page_path}: no `data` array in {}", page.text))
            .clone();
        let has_more = page["has_more"]
            .as_bool()
            .unwrap_or_else(|| panic!("{page_path}: no `has_more` in {}", page.text));
        after = data
            .last()
            .and_then(|item| item["id"].as_str())
            .map(str::to_string);
        all.extend(data);
        if !has_more || after.is_none() {
            return all;
        }
    }
}

/// What a failed request must leave alone: the account's balance and every entry.
#[derive(Debug, PartialEq)]
pub(crate) struct Snapshot {
    pub balance: Value,
    pub entries: Vec<Value>,
}

/// The balance without what is computed from the current time rather than from the ledger
/// (`forecast`: the burn rate and when `available` runs out, as of now).
pub(crate) fn ledger_balance(mut balance: Value) -> Value {
    if let Value::Object(fields) = &mut balance {
        fields.remove("forecast");
    }
    balance
}

#[track_caller]
pub(crate) fn snapshot(client: &Client, account: &str) -> Snapshot {
    Snapshot {
        balance: ledger_balance(balance(client, account)),
        entries: entries(client, account),
    }
}

/// Entries of one type.
pub(crate) fn of_type<'a>(entries: &'a [Value], kind: &str) -> Vec<&'a Value> {
    entries
        .iter()
        .filter(|entry| entry["type"] == json!(kind))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL: several nodes on one database
// ---------------------------------------------------------------------------------------------

impl Server {
    /// Starts `tally serve --database-url URL`, a node of a shared PostgreSQL database (stderr
    /// appended to `log`), and waits for its listening line.
    pub(crate) fn start_postgres(database_url: &str, log: &Path, options: &ServeOptions) -> Server {
        let log_file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("opening the server log");
        let mut command = Command::new(tally_bin());
        command
            .arg("serve")
            .arg("--database-url")
            .arg(database_url)
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--admin-key")
            .arg(&options.admin_key)
            .env_remove("TALLY_DB")
            .env_remove("TALLY_DATABASE_URL")
            .env_remove("TALLY_LISTEN")
            .env_remove("TALLY_ADMIN_KEY")
            .env_remove("TALLY_STRIPE_WEBHOOK_SECRET")
            .env_remove("TALLY_PUBLIC_URL")
            .env_remove("TALLY_WEBHOOK_DENY_PRIVATE")
            .env_remove("TALLY_WEBHOOK_CA_FILE")
            .env_remove("TALLY_MAX_CONNECTIONS")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file));
        if options.test_clock {
            command.arg("--test-clock");
        }
        if let Some(max_batch) = options.max_batch {
            command.arg("--max-batch").arg(max_batch.to_string());
        }
        if options.webhook_deny_private {
            command.arg("--webhook-deny-private");
        }
        if let Some(seconds) = options.webhook_lease_seconds {
            command
                .arg("--webhook-lease-seconds")
                .arg(seconds.to_string());
        }
        if let Some(path) = &options.webhook_ca_file {
            command.arg("--webhook-ca-file").arg(path);
        }
        if let Some(max) = options.max_connections {
            command.arg("--max-connections").arg(max.to_string());
        }
        if let Some(seconds) = options.idle_timeout_seconds {
            command
                .arg("--idle-timeout-seconds")
                .arg(seconds.to_string());
        }
        if let Some(secret) = &options.stripe_webhook_secret {
            command.arg("--stripe-webhook-secret").arg(secret);
        }
        if let Some(public_url) = &options.public_url {
            command.arg("--public-url").arg(public_url);
        }
        let mut child = command.spawn().expect("spawning `tally serve`");
        let stdout = child.stdout.take().expect("the server's stdout");
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let base = loop {
            line.clear();
            let read = reader.read_line(&mut line).unwrap_or(0);
            if read == 0 {
                let _ = child.kill();
                let status = child.wait();
                panic!(
                    "`tally serve --database-url` ended before listening ({status:?}); its log:\n{}",
                    read_tail(log, 200)
                );
            }
            if let Some(rest) = line.trim().strip_prefix("tally listening on ") {
                let url = rest
                    .split_whitespace()
                    .next()
                    .expect("a URL after `tally listening on`");
                break url.trim_end_matches('/').to_string();
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = reader.read_to_end(&mut sink);
        });
        Server {
            child: Some(child),
            base,
            db: PathBuf::new(),
            log: log.to_path_buf(),
            admin_key: options.admin_key.clone(),
        }
    }
}

/// Runs `tally verify --database-url URL`: (exit success, stdout and stderr).
pub(crate) fn run_verify_postgres(database_url: &str) -> (bool, String) {
    let output = Command::new(tally_bin())
        .arg("verify")
        .arg("--database-url")
        .arg(database_url)
        .env_remove("TALLY_DB")
        .env_remove("TALLY_DATABASE_URL")
        .output()
        .expect("running `tally verify --database-url`");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

// ---------------------------------------------------------------------------------------------
// Test databases on a PostgreSQL server
// ---------------------------------------------------------------------------------------------

/// The PostgreSQL server the tests may create databases on (`scripts/with-postgres` sets it).
pub(crate) fn test_server_url() -> String {
    match std::env::var("TALLY_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "TALLY_TEST_DATABASE_URL is not set: run the PostgreSQL tests through scripts/with-postgres (it starts a throwaway cluster), or point it at a server where the tests may create databases"
        ),
    }
}

/// `url` with its database name replaced by `name`.
pub(crate) fn with_dbname(url: &str, name: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((head, query)) => (head, format!("?{query}")),
        None => (url, String::new()),
    };
    let authority = head.find("://").map_or(0, |at| at + 3);
    let base = match head[authority..].find('/') {
        Some(at) => &head[..authority + at],
        None => head,
    };
    format!("{base}/{name}{query}")
}

pub(crate) fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    // RandomState's keys come from the OS's random source, once per process and thread.
    hasher.write_u32(std::process::id());
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::SeqCst));
    hasher.finish()
}

/// A database of the test's own on the test server; dropped (connections and all) on drop.
pub(crate) struct TestDatabase {
    server: String,
    name: String,
    pub url: String,
}

impl TestDatabase {
    pub(crate) fn create() -> TestDatabase {
        let server = test_server_url();
        let name = format!("tally_test_{:016x}", random_u64());
        let mut admin = postgres::Client::connect(&server, postgres::NoTls)
            .unwrap_or_else(|error| panic!("connecting to the test server: {error}"));
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("creating the test database");
        let url = with_dbname(&server, &name);
        TestDatabase { server, name, url }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.server, postgres::NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}
