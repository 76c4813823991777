//! The client commands' way to a running server: [`tally_client`] on a runtime of the
//! command's own, and the flags every client command takes (`--url`, `--key`, `--json`).
//!
//! The commands print the server's JSON as it came (`--json`) or a text made from it, so
//! they use the typed client's [`request`](tally_client::Client::request) with
//! `serde_json::Value`; what the typed client adds is the same for them as for any Rust
//! caller: an `Idempotency-Key` on every write (the one given with `--idempotency-key`,
//! else a new one), retries with that key after a 503, a failed connection or a timeout, and
//! the server's problem as the error (`402 insufficient_credits: … (param: …)`).

use anyhow::Context;
use serde_json::Value;
use tally_client::Method;

/// Where the server is and which key to use. Global: accepted after any subcommand too
/// (`tally keys create acme --url … --key …`).
#[derive(clap::Args, Debug, Clone)]
pub struct ClientArgs {
    /// The server's base URL.
    #[arg(
        long,
        global = true,
        env = "TALLY_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub url: String,
    /// The API key (an admin key for admin commands).
    #[arg(long, global = true, env = "TALLY_KEY", hide_env_values = true)]
    pub key: Option<String>,
}

/// How to print an answer. Global like [`ClientArgs`].
#[derive(clap::Args, Debug, Clone)]
pub struct OutputArgs {
    /// Print the API's JSON answer instead of text.
    #[arg(long, global = true)]
    pub json: bool,
}

/// The API's answer as JSON with `--json`, else as `describe` says it.
pub(crate) fn show(output: &OutputArgs, answer: &Value, describe: impl Fn(&Value) -> String) {
    if output.json {
        println!(
            "{}",
            serde_json::to_string_pretty(answer).unwrap_or_else(|_| answer.to_string())
        );
    } else {
        print!("{}", describe(answer));
    }
}

/// A blocking face on [`tally_client::Client`] for one command.
pub struct Client {
    runtime: tokio::runtime::Runtime,
    api: tally_client::Client,
}

impl Client {
    pub fn new(args: &ClientArgs) -> anyhow::Result<Self> {
        let key = args
            .key
            .clone()
            .or_else(|| std::env::var("TALLY_ADMIN_KEY").ok())
            .context("no API key: pass --key or set TALLY_KEY")?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the client's runtime")?;
        let api = tally_client::Client::new(args.url.as_str(), key)?;
        Ok(Client { runtime, api })
    }

    /// The answer to METHOD PATH (with BODY), or the server's problem as the error.
    fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        idempotency_key: Option<&str>,
    ) -> anyhow::Result<Value> {
        let api = match idempotency_key {
            Some(key) => self.api.with_idempotency_key(key),
            None => self.api.clone(),
        };
        let reply = self
            .runtime
            .block_on(api.request::<Value>(method, path, body))?;
        if reply.replayed() {
            // On stderr: stdout stays the answer (with --json, exactly the server's).
            eprintln!(
                "tally: replayed: the first answer to Idempotency-Key {}; nothing was done again",
                reply.idempotency_key().unwrap_or("?")
            );
        }
        Ok(reply.into_value())
    }

    pub fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.call(Method::GET, path, None, None)
    }

    pub fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        self.call(Method::POST, path, Some(body), None)
    }

    /// POST with `key` as its `Idempotency-Key` when given (else a generated one).
    pub fn post_idempotent(
        &self,
        path: &str,
        body: &Value,
        key: Option<&str>,
    ) -> anyhow::Result<Value> {
        self.call(Method::POST, path, Some(body), key)
    }

    pub fn put(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        self.call(Method::PUT, path, Some(body), None)
    }

    pub fn patch(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        self.call(Method::PATCH, path, Some(body), None)
    }

    pub fn delete(&self, path: &str) -> anyhow::Result<Value> {
        self.call(Method::DELETE, path, None, None)
    }
}
