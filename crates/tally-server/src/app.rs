//! The application: shared state, the router, and `serve` (listen, log, shut down gracefully).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use tally_core::Clock;
use tally_core::catalog::Catalog;
use tally_store::Store;

use tally_engine::clock::{SystemClock, TestClock};
use tally_engine::{Command, EngineConfig, EngineHandle, TEST_CLOCK_META};

use crate::auth::{hash_key, new_admin_key};
use crate::error::ApiError;
use crate::state::AppState;

/// How the server is configured (the store and the listener are handed to it, not named).
#[derive(Clone, Debug)]
pub struct ServeConfig {
    pub admin_key: Option<String>,
    pub test_clock: bool,
    /// Where the test clock starts (default: the wall clock), unless an earlier run of the test
    /// clock left it later.
    pub test_clock_start: Option<tally_core::Timestamp>,
    pub max_batch: usize,
    pub limits: crate::limits::LimitsConfig,
    /// A catalog file replacing the default plans and packs.
    pub catalog: Option<PathBuf>,
    /// The signing secrets of the Stripe webhook endpoints (`whsec_…`, several while one
    /// rolls); none leaves `POST /v1/integrations/stripe/webhook` off.
    pub stripe_webhook_secrets: Vec<String>,
    /// The address people reach the server at (see [`AppState::public_url`]); without one,
    /// `http://127.0.0.1` (the binary passes its listen address).
    pub public_url: Option<String>,
    /// How webhooks are delivered.
    pub webhooks: crate::webhooks::WebhookConfig,
    /// The most connections served at once; the next ones are answered 503 and closed
    /// (see [`crate::connections`]).
    pub max_connections: usize,
    /// How long a connection may send nothing before it is closed (see
    /// [`crate::connections`]).
    pub idle_timeout: std::time::Duration,
}

impl Default for ServeConfig {
    /// A generated admin key, the system clock, the default batch bound, limits and catalog.
    fn default() -> Self {
        ServeConfig {
            admin_key: None,
            test_clock: false,
            test_clock_start: None,
            max_batch: tally_engine::BATCH_COMMANDS_MAX_DEFAULT,
            limits: crate::limits::LimitsConfig::default(),
            catalog: None,
            stripe_webhook_secrets: Vec::new(),
            public_url: None,
            webhooks: crate::webhooks::WebhookConfig::default(),
            max_connections: crate::connections::CONNECTIONS_MAX_DEFAULT,
            idle_timeout: std::time::Duration::from_secs(
                crate::connections::CONNECTION_IDLE_SECONDS_DEFAULT,
            ),
        }
    }
}

/// The meta key under which a generated admin key's hash is kept.
const ADMIN_KEY_HASH_META: &str = "admin_key_hash";

/// One log line per request, at info; never the key.
async fn log_request(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = loggable_path(request.uri().path()).to_string();
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

/// The router: every route of API.md, with limits and logging.
pub fn app(state: AppState) -> Router {
    app_with(Router::new(), state)
}

/// The API's routes beside `extra` (routes of their own state, such as the dashboard's), with
/// the fallback, the limits and the logging over all of them.
pub fn app_with(extra: Router, state: AppState) -> Router {
    crate::routes::router()
        .fallback(|| async { ApiError::NotFound { what: "route" } })
        .with_state(state.clone())
        .merge(extra)
        .layer(middleware::from_fn(
            crate::routes::allowed::method_not_allowed_problem,
        ))
        .layer(middleware::from_fn_with_state(
            state.limits.clone(),
            crate::limits::guard,
        ))
        .layer(middleware::from_fn_with_state(state, log_request))
}

/// The public URL, checked: `http://` or `https://` and a host, without a trailing slash.
pub fn public_url(url: Option<&str>) -> anyhow::Result<String> {
    let Some(url) = url else {
        return Ok("http://127.0.0.1".to_string());
    };
    let trimmed = url.trim_end_matches('/');
    if !crate::routes::portal::is_web_url(trimmed) {
        anyhow::bail!(
            "--public-url must be an http:// or https:// URL such as https://billing.example.com, not {url:?}"
        );
    }
    Ok(trimmed.to_string())
}

/// The path as it may be logged: a portal link's token is a sign-in secret, so
/// `/portal/{token}` is logged as `/portal/…`.
pub fn loggable_path(path: &str) -> &str {
    if path.starts_with(crate::routes::portal::PORTAL_PATH_PREFIX) {
        "/portal/…"
    } else {
        path
    }
}

/// A started server: the store open, the engine running, the state ready for a router.
pub struct Server {
    pub state: AppState,
    engine_thread: std::thread::JoinHandle<()>,
    max_connections: usize,
    idle_timeout: std::time::Duration,
}

impl Server {
    /// Starts the engine on `store`, settles the admin key and the pricing state (through the
    /// engine), and makes the state ready for a router.
    pub fn start(store: Arc<dyn Store>, config: &ServeConfig) -> anyhow::Result<Server> {
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
        let stripe_webhook_secrets =
            crate::stripe::WebhookSecrets::new(config.stripe_webhook_secrets.clone())
                .map_err(|error| anyhow::anyhow!("--stripe-webhook-secret: {error}"))?;
        if config.test_clock && store.is_shared() {
            anyhow::bail!(
                "--test-clock cannot be used with --database-url: every node sharing the \
                 database has its own clock, and a test clock would move only one of them"
            );
        }
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
        let (engine, engine_thread) = tally_engine::start(
            store.clone(),
            EngineConfig {
                clock: clock.clone(),
                test_clock: test_clock.clone(),
                catalog: catalog.clone(),
                batch_commands_max: config.max_batch,
                render: crate::reply::renderer(),
                render_event: crate::event_body::renderer(),
            },
        )?;
        let admin_key_hash = match &config.admin_key {
            Some(key) => hash_key(key),
            None => settle_admin_key(&store, &engine)?,
        };
        let pricing = crate::pricing::Pricing::open(store.clone(), &engine)?;
        let state = AppState::new(crate::state::AppParts {
            store,
            engine,
            clock,
            test_clock,
            admin_key_hash,
            key_touches: Arc::default(),
            metrics: Arc::default(),
            limits: Arc::new(crate::limits::Limits::new(config.limits.clone())),
            catalog,
            pricing: Arc::new(pricing),
            stripe_webhook_secrets: Arc::new(stripe_webhook_secrets),
            public_url: public_url(config.public_url.as_deref())?.into(),
            webhooks: Arc::new(config.webhooks.clone()),
            webhook_tls: config.webhooks.tls()?,
            openapi: crate::openapi::document().to_string().into(),
        });
        Ok(Server {
            state,
            engine_thread,
            max_connections: config.max_connections,
            idle_timeout: config.idle_timeout,
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

/// The admin key's hash: the one stored, or a new key's (printed once; only its hash is kept),
/// stored through the engine like every other write.
fn settle_admin_key(store: &Arc<dyn Store>, engine: &EngineHandle) -> anyhow::Result<String> {
    if let Some(hash) = store.meta(ADMIN_KEY_HASH_META)? {
        return Ok(hash);
    }
    let key = new_admin_key();
    let hash = hash_key(&key);
    engine
        .submit_blocking(Command::SetMetaIfAbsent {
            key: ADMIN_KEY_HASH_META.to_string(),
            value: hash.clone(),
        })
        .map_err(|error| anyhow::anyhow!("storing the admin key: {error}"))?;
    // Another node starting at the same time may have stored its key first.
    let stored = store.meta(ADMIN_KEY_HASH_META)?.unwrap_or(hash.clone());
    if stored == hash {
        println!("Generated an admin key (shown once, only its hash is stored):");
        println!("  {key}");
    } else {
        println!("Another node generated the admin key; use that one.");
    }
    Ok(stored)
}

/// Serves `router` (made from `server`'s state) on `listener`, at most `max_connections` at
/// once (the next are answered 503 and closed), until `shutdown` completes; then
/// finishes the requests, the webhook attempts and the batches in flight and returns. The
/// webhook delivery worker runs beside the server for as long.
pub async fn serve(
    server: Server,
    router: Router,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (stop_worker, stopping) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(crate::webhooks::worker::run(
        crate::webhooks::worker::WorkerContext {
            store: server.state.store.clone(),
            clock: server.state.clock.clone(),
            deny_private: server.state.webhooks.deny_private,
            lease: server.state.webhooks.lease,
            tls: server.state.webhook_tls.clone(),
        },
        stopping,
    ));
    let listener = crate::connections::CappedListener::new(
        listener,
        server.max_connections,
        server.idle_timeout,
    );
    let served = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await;
    let _ = stop_worker.send(true);
    let _ = worker.await;
    served?;
    tracing::info!("draining the engine");
    // With every request answered, the engine finishes its queue and stops.
    tokio::task::spawn_blocking(move || server.stop()).await?;
    tracing::info!("stopped");
    Ok(())
}
