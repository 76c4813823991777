//! An in-process Tally for tests: a real SQLite file in a temp dir, the real engine, and the
//! router driven with `tower::ServiceExt::oneshot` (no socket).

#![allow(dead_code)]

pub(crate) mod faulty_store;
pub(crate) mod gated_store;

use std::path::PathBuf;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use tally_server::{ServeConfig, Server};
use tower::ServiceExt;

pub(crate) const ADMIN_KEY: &str = "admin-key-for-tests";

/// The SQLite store in `dir` (created on first use).
pub(crate) fn sqlite(dir: &std::path::Path) -> std::sync::Arc<dyn tally_store::Store> {
    std::sync::Arc::new(tally_sqlite::SqliteStore::open(dir.join("tally.db")).unwrap())
}

pub(crate) struct TestServer {
    server: Option<Server>,
    pub router: Router,
    pub dir: PathBuf,
    config: ServeConfig,
}

impl TestServer {
    /// A server with the test clock, on a fresh database; `configure` may change the config.
    pub(crate) fn start(configure: impl FnOnce(&mut ServeConfig)) -> TestServer {
        let dir =
            std::env::temp_dir().join(format!("tally-test-{}", tally_engine::ids::random_token(8)));
        std::fs::create_dir_all(&dir).unwrap();
        let mut config = ServeConfig {
            admin_key: Some(ADMIN_KEY.to_string()),
            test_clock: true,
            max_batch: 64,
            ..ServeConfig::default()
        };
        configure(&mut config);
        let server = Server::start(sqlite(&dir), &config).unwrap();
        let router = server.router();
        TestServer {
            server: Some(server),
            router,
            dir,
            config,
        }
    }

    /// Stops the server (the engine finishes its queue) and starts a new one on the same
    /// database; `configure` may change the config for the new run.
    pub(crate) fn restart(&mut self, configure: impl FnOnce(&mut ServeConfig)) {
        self.router = Router::new();
        if let Some(server) = self.server.take() {
            server.stop();
        }
        configure(&mut self.config);
        let server = Server::start(sqlite(&self.dir), &self.config).unwrap();
        self.router = server.router();
        self.server = Some(server);
    }

    pub(crate) fn server(&self) -> &Server {
        self.server.as_ref().unwrap()
    }

    pub(crate) async fn call(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(key) = key {
            request = request.header("authorization", format!("Bearer {key}"));
        }
        let body = body
            .map(|body| Body::from(body.to_string()))
            .unwrap_or_else(Body::empty);
        let response = self
            .router
            .clone()
            .oneshot(request.body(body).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        (status, value)
    }

    /// An admin request that must succeed; its body.
    pub(crate) async fn admin(&self, method: &str, path: &str, body: Value) -> Value {
        let body = (method != "GET").then_some(body);
        let (status, value) = self.call(method, path, Some(ADMIN_KEY), body).await;
        assert!(status.is_success(), "{method} {path}: {status} {value}");
        value
    }

    /// `tally verify` on the database: no difference anywhere.
    pub(crate) fn verify(&self) {
        let report = self.server().state.store.verify().unwrap();
        assert!(report.problems.is_empty(), "verify: {:?}", report.problems);
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.router = Router::new();
        if let Some(server) = self.server.take() {
            server.stop();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
