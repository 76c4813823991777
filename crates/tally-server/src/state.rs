//! What every handler can reach: the store (for reads), the engine (for writes), the clock,
//! the keys, the limits, the catalog and the pricing state.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::response::Response;
use tally_core::Clock;
use tally_core::catalog::Catalog;
use tally_engine::clock::TestClock;
use tally_engine::{Command, EngineHandle, Idempotency};
use tally_store::Store;

/// Everything a handler can reach: one shared [`AppParts`], so the clone every request and
/// extractor makes is one reference count (it was a dozen, and a copy of the admin key's hash).
#[derive(Clone)]
pub struct AppState(Arc<AppParts>);

impl AppState {
    pub fn new(parts: AppParts) -> Self {
        AppState(Arc::new(parts))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppParts;

    fn deref(&self) -> &AppParts {
        &self.0
    }
}

/// What [`AppState`] shares.
pub struct AppParts {
    pub store: Arc<dyn Store>,
    pub engine: EngineHandle,
    pub clock: Arc<dyn Clock>,
    /// Present when `--test-clock` is on.
    pub test_clock: Option<Arc<TestClock>>,
    pub admin_key_hash: String,
    pub key_touches: Arc<Mutex<HashMap<String, Instant>>>,
    pub metrics: Arc<crate::metrics::HttpMetrics>,
    pub limits: Arc<crate::limits::Limits>,
    /// The plans and packs on sale.
    pub catalog: Arc<Catalog>,
    /// Rate cards and quotes.
    pub pricing: Arc<crate::pricing::Pricing>,
    /// The Stripe webhook's signing secrets (none: the webhook route is off).
    pub stripe_webhook_secrets: Arc<crate::stripe::WebhookSecrets>,
    /// The address people reach this server at (`https://billing.example.com`, no trailing
    /// slash): portal links are made on it, and `https` makes the dashboard's cookies `Secure`.
    pub public_url: Arc<str>,
    /// How webhooks are delivered (`--webhook-deny-private`).
    pub webhooks: Arc<crate::webhooks::WebhookConfig>,
    /// How deliveries reach `https` endpoints (read at start: a bad CA file fails the start).
    pub webhook_tls: crate::webhooks::client::Tls,
    /// The OpenAPI document's JSON (`crate::openapi`), built once at start.
    pub openapi: Arc<str>,
}

impl AppState {
    /// Sends a command to the engine and turns its answer into a response.
    pub async fn submit(&self, command: Command, idempotency: Option<Idempotency>) -> Response {
        crate::reply::respond(self.engine.submit(command, idempotency).await)
    }

    /// [`AppState::submit`] for a request an admin made: an admin action writes its audit
    /// record (naming `actor`, the admin key's id) in the batch of the change.
    pub async fn submit_by(
        &self,
        command: Command,
        idempotency: Option<Idempotency>,
        actor: Option<&str>,
    ) -> Response {
        let reply = self.engine.submit_by(command, idempotency, actor).await;
        crate::reply::respond(reply)
    }
}
