//! A small blocking client for a running Tally server, used by the client commands.

use anyhow::{Context, bail};
use serde_json::Value;

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

pub struct Client {
    agent: ureq::Agent,
    base: String,
    key: String,
}

impl Client {
    pub fn new(args: &ClientArgs) -> anyhow::Result<Self> {
        let key = args
            .key
            .clone()
            .or_else(|| std::env::var("TALLY_ADMIN_KEY").ok())
            .context("no API key: pass --key or set TALLY_KEY")?;
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .new_agent();
        Ok(Client {
            agent,
            base: args.url.trim_end_matches('/').to_string(),
            key,
        })
    }

    fn finish(
        response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> anyhow::Result<Value> {
        let mut response = response.context("the server cannot be reached")?;
        let status = response.status();
        let text = response
            .body_mut()
            .read_to_string()
            .context("reading the response")?;
        let body: Value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)?
        };
        if !status.is_success() {
            let code = body.get("code").and_then(Value::as_str).unwrap_or("error");
            let detail = body.get("detail").and_then(Value::as_str).unwrap_or("");
            match body.get("param").and_then(Value::as_str) {
                Some(param) => bail!("{} {code}: {detail} (param: {param})", status.as_u16()),
                None => bail!("{} {code}: {detail}", status.as_u16()),
            }
        }
        Ok(body)
    }

    pub fn get(&self, path: &str) -> anyhow::Result<Value> {
        let request = self
            .agent
            .get(format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {}", self.key));
        Self::finish(request.call())
    }

    pub fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        let request = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {}", self.key))
            .header("content-type", "application/json");
        Self::finish(request.send(body.to_string()))
    }

    /// POST with an `Idempotency-Key` header when `key` is given.
    pub fn post_idempotent(
        &self,
        path: &str,
        body: &Value,
        key: Option<&str>,
    ) -> anyhow::Result<Value> {
        let mut request = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {}", self.key))
            .header("content-type", "application/json");
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        Self::finish(request.send(body.to_string()))
    }

    pub fn put(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        let request = self
            .agent
            .put(format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {}", self.key))
            .header("content-type", "application/json");
        Self::finish(request.send(body.to_string()))
    }

    pub fn patch(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        let request = self
            .agent
            .patch(format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {}", self.key))
            .header("content-type", "application/json");
        Self::finish(request.send(body.to_string()))
    }

    pub fn delete(&self, path: &str) -> anyhow::Result<Value> {
        let request = self
            .agent
            .delete(format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {}", self.key));
        Self::finish(request.call())
    }
}
