//! The application: shared state, the router, and `serve` (listen, log, shut down gracefully).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use tally_core::Clock;
use tally_core::catalog::Catalog;
use tally_store::Store;

use crate::auth::{Principal, hash_key, new_admin_key};
use crate::clock::{SystemClock, TestClock};
use crate::engine::{self, Command, EngineHandle, Idempotency, Reply};
use crate::error::ApiError;
use crate::json::{BODY_BYTES_MAX, read_json};

/// Everything a handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub engine: EngineHandle,
    pub clock: Arc<dyn Clock>,
    /// Present when `--test-clock` is on.
    pub test_clock: Option<Arc<TestClock>>,
    pub admin_key_hash: String,
    pub key_touches: Arc<Mutex<HashMap<String, Instant>>>,
    pub metrics: Arc<crate::routes::ops::HttpMetrics>,
    pub limits: Arc<crate::limits::Limits>,
    /// The plans and packs on sale.
    pub catalog: Arc<Catalog>,
    /// The dashboard's sessions (web/session.rs).
    pub sessions: Arc<crate::web::session::Sessions>,
    /// Rate cards and quotes.
    pub pricing: Arc<crate::pricing::Pricing>,
}

/// How `tally serve` is configured.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    pub db: PathBuf,
    /// A PostgreSQL database several nodes share (`postgres://…`), instead of `db`.
    pub database_url: Option<String>,
    pub listen: SocketAddr,
    pub admin_key: Option<String>,
    pub test_clock: bool,
    /// Where the test clock starts (default: the wall clock), unless an earlier run of the test
    /// clock left it later.
    pub test_clock_start: Option<tally_core::Timestamp>,
    pub max_batch: usize,
    pub limits: crate::limits::LimitsConfig,
    /// A catalog file replacing the default plans and packs.
    pub catalog: Option<PathBuf>,
}

impl Default for ServeConfig {
    /// `./tally.db` on `127.0.0.1:8080`, a generated admin key, the system clock, the default
    /// batch bound, limits and catalog.
    fn default() -> Self {
        ServeConfig {
            db: PathBuf::from("./tally.db"),
            database_url: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            admin_key: None,
            test_clock: false,
            test_clock_start: None,
            max_batch: crate::engine::BATCH_COMMANDS_MAX_DEFAULT,
            limits: crate::limits::LimitsConfig::default(),
            catalog: None,
        }
    }
}

/// The longest an `Idempotency-Key` may be.
const IDEMPOTENCY_KEY_BYTES_MAX: usize = 255;

/// The meta key under which the test clock's last instant is kept (unix microseconds).
pub const TEST_CLOCK_META: &str = "test_clock_now";

/// The meta key under which a generated admin key's hash is kept.
const ADMIN_KEY_HASH_META: &str = "admin_key_hash";

impl AppState {
    /// Reads the body as JSON, checks the idempotency key, and returns the parsed body with the
    /// idempotency context to hand to the engine.
    pub async fn read_body(
        &self,
        principal: &Principal,
        method: &Method,
        path: &str,
        headers: &HeaderMap,
        body: Body,
    ) -> Result<(serde_json::Value, Option<Idempotency>), ApiError> {
        self.read_body_limited(principal, method, path, headers, body, BODY_BYTES_MAX)
            .await
    }

    /// [`AppState::read_body`] with another body limit.
    pub async fn read_body_limited(
        &self,
        principal: &Principal,
        method: &Method,
        path: &str,
        headers: &HeaderMap,
        body: Body,
        limit_bytes: usize,
    ) -> Result<(serde_json::Value, Option<Idempotency>), ApiError> {
        let idempotency_key = match headers.get("idempotency-key") {
            None => None,
            Some(value) => {
                let key = value.to_str().ok().filter(|key| {
                    !key.is_empty()
                        && key.len() <= IDEMPOTENCY_KEY_BYTES_MAX
                        && key.bytes().all(|byte| (0x20..0x7f).contains(&byte))
                });
                let key = key.ok_or_else(|| {
                    ApiError::invalid_request(
                        "Idempotency-Key",
                        "Idempotency-Key must be 1 to 255 printable ASCII characters",
                    )
                })?;
                Some(key.to_string())
            }
        };
        let value = read_json(headers, body, limit_bytes).await?;
        let idempotency = idempotency_key.map(|key| {
            let mut hasher = Sha256::new();
            hasher.update(method.as_str().as_bytes());
            hasher.update(b" ");
            hasher.update(path.as_bytes());
            hasher.update(b"\n");
            // The canonical form (object keys sorted, no whitespace) is what is compared, so
            // a retry that formats the same body differently is the same request.
            hasher.update(value.to_string().as_bytes());
            let request_hash = hasher
                .finalize()
                .iter()
                .map(|byte| format!("{byte:02x}"))
                .collect();
            Idempotency {
                scope: principal.idempotency_scope(),
                key,
                request_hash,
            }
        });
        Ok((value, idempotency))
    }

    /// Sends a command to the engine and turns its answer into a response.
    pub async fn submit(&self, command: Command, idempotency: Option<Idempotency>) -> Response {
        respond(self.engine.submit(command, idempotency).await)
    }
}

/// A JSON response.
pub fn json_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The engine's answer as a response (with `Idempotent-Replayed` on a replay).
pub fn respond(reply: Reply) -> Response {
    match reply {
        Ok(rendered) => {
            let status = StatusCode::from_u16(rendered.status).unwrap_or(StatusCode::OK);
            let mut response = json_response(status, rendered.body.into_json());
            if rendered.replayed {
                response
                    .headers_mut()
                    .insert("idempotent-replayed", HeaderValue::from_static("true"));
            }
            response
        }
        Err(error) => error.into_response(),
    }
}

/// One log line per request, at info; never the key.
async fn log_request(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|matched| matched.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    state
        .metrics
        .record(&method, &route, response.status(), elapsed);
    tracing::info!(
        %method,
        %path,
        status = response.status().as_u16(),
        micros = elapsed.as_micros() as u64,
        "request"
    );
    response
}

/// The router: every route of API.md, with logging.
pub fn app(state: AppState) -> Router {
    crate::routes::router()
        .merge(crate::web::router())
        .fallback(|| async { ApiError::NotFound { what: "route" } })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::limits::guard,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), log_request))
        .with_state(state)
}

/// A started server: the store open, the engine running, the state ready for a router.
pub struct Server {
    pub state: AppState,
    engine_thread: std::thread::JoinHandle<()>,
}

impl Server {
    /// Opens the store (creating and migrating it), settles the admin key, and starts the
    /// engine.
    pub fn start(config: &ServeConfig) -> anyhow::Result<Server> {
        let catalog = match &config.catalog {
            None => Catalog::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|error| {
                    anyhow::anyhow!("reading the catalog {}: {error}", path.display())
                })?;
                crate::catalog_file::parse_catalog(&text)
                    .map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))?
            }
        };
        let catalog = Arc::new(catalog);
        let store: Arc<dyn Store> = match &config.database_url {
            Some(url) => {
                if config.test_clock {
                    anyhow::bail!(
                        "--test-clock cannot be used with --database-url: every node sharing the \
                         database has its own clock, and a test clock would move only one of them"
                    );
                }
                Arc::new(tally_postgres::PostgresStore::open(url)?)
            }
            None => Arc::new(tally_sqlite::SqliteStore::open(&config.db)?),
        };
        let (clock, test_clock): (Arc<dyn Clock>, Option<Arc<TestClock>>) = if config.test_clock {
            // The test clock never moves backwards, not even across restarts.
            let left_at = store
                .meta(TEST_CLOCK_META)?
                .and_then(|micros| micros.parse().ok())
                .map(tally_core::Timestamp::from_micros);
            let start = config
                .test_clock_start
                .unwrap_or_else(|| SystemClock.now())
                .max(left_at.unwrap_or(tally_core::Timestamp::MIN));
            let test_clock = Arc::new(TestClock::starting_at(start));
            (test_clock.clone(), Some(test_clock))
        } else {
            (Arc::new(SystemClock), None)
        };
        let admin_key_hash = match &config.admin_key {
            Some(key) => hash_key(key),
            None => match store.meta(ADMIN_KEY_HASH_META)? {
                Some(hash) => hash,
                None => {
                    let key = new_admin_key();
                    let hash = hash_key(&key);
                    let write = tally_store::BatchWrite {
                        meta_if_absent: vec![(ADMIN_KEY_HASH_META.to_string(), hash.clone())],
                        ..Default::default()
                    };
                    store.commit(&write)?;
                    // Another node starting at the same time may have stored its key first.
                    let stored = store.meta(ADMIN_KEY_HASH_META)?.unwrap_or(hash.clone());
                    if stored == hash {
                        println!("Generated an admin key (shown once, only its hash is stored):");
                        println!("  {key}");
                    } else {
                        println!("Another node generated the admin key; use that one.");
                    }
                    stored
                }
            },
        };
        let store_for_pricing = store.clone();
        let now = clock.now();
        let (engine, engine_thread) = engine::start(
            store.clone(),
            clock.clone(),
            test_clock.clone(),
            catalog.clone(),
            config.max_batch,
        )?;
        let state = AppState {
            store,
            engine,
            clock,
            test_clock,
            admin_key_hash,
            key_touches: Arc::default(),
            metrics: Arc::default(),
            limits: Arc::new(crate::limits::Limits::new(config.limits.clone())),
            catalog,
            sessions: Arc::default(),
            pricing: Arc::new(crate::pricing::Pricing::open(store_for_pricing, now)?),
        };
        Ok(Server {
            state,
            engine_thread,
        })
    }

    /// The router over this server's state.
    pub fn router(&self) -> Router {
        app(self.state.clone())
    }

    /// Drops this server's state and waits for the engine to finish its queue. Routers made
    /// from it must be dropped first.
    pub fn stop(self) {
        drop(self.state);
        let _ = self.engine_thread.join();
    }
}

/// Opens the store, starts the engine, and serves until SIGTERM or ctrl-c; then finishes the
/// requests and batches in flight and returns.
pub async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    let server = Server::start(&config)?;
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let address = listener.local_addr()?;
    let store = match &config.database_url {
        Some(url) => tally_postgres::describe_url(url),
        None => config.db.display().to_string(),
    };
    println!("tally listening on http://{address} (store: {store})");
    tracing::info!(%address, %store, "listening");
    let router = server.router();
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("draining the engine");
    // With every request answered, the engine finishes its queue and stops.
    tokio::task::spawn_blocking(move || server.stop()).await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received");
}
