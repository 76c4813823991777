//! Tally's HTTP API: the router, the typed request bodies, authorization, limits, and the
//! rendering of the engine's outcomes and refusals.
//!
//! This is the only crate that knows HTTP. It opens no database and binds no socket: a store
//! is handed to [`Server::start`], which starts the engine on it; `app(state)` builds the
//! router apart from [`serve`], so tests can drive it in process or against a real listener.
//!
//! # Layout
//!
//! - `routes/`: the route table and the handlers, one file per area; `routes/write.rs` is
//!   the write prologue (`WriteRequest<T>`) and each route owns its body's type.
//! - `auth.rs`: who is calling (`Principal`); `state.rs`: what every handler reaches.
//! - `reply.rs` and `error.rs`: outcomes and refusals as statuses and JSON; `render.rs`: the
//!   JSON shapes; `json.rs`: the exact body parser.
//! - `pricing.rs` (and `quote_id.rs`: signed quote ids), `limits.rs`, `metrics.rs`, `secret.rs`, `catalog_file.rs`; `app.rs`: the
//!   server's start, the router and `serve`.
//! - `workflow.rs`: a workflow run's list of usage, priced on one card (quotes and holds).
//! - `stripe.rs`: Stripe's webhook signatures (the route is `routes/stripe.rs`).
//! - `openapi/`: the OpenAPI 3.1 document, generated from the route table, the request types'
//!   schemas (`schema.rs`: the JSON Schema builders) and the resources' schemas.
//! - `webhooks/`: delivering events to webhook endpoints (the worker, signatures, the retry
//!   schedule, URL checks); the routes are `routes/webhooks.rs` and `routes/events.rs`.

pub mod app;
pub mod auth;
pub mod catalog_file;
pub mod connections;
pub mod error;
pub mod event_body;
pub mod json;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod pricing;
pub mod quote_id;
pub mod render;
pub mod reply;
pub mod routes;
pub mod schema;
pub mod secret;
pub mod state;
pub mod stripe;
pub mod webhooks;
pub mod workflow;

pub use app::{ServeConfig, Server, app, app_with, serve};
pub use state::AppState;
