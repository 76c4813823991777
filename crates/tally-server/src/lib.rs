//! Tally's HTTP server: the axum router, the batching ledger engine and its scheduler.
//!
//! This is the only crate that knows HTTP. `app(state)` builds the router apart from
//! `serve()`, so tests can drive it in process or against a real listener.

pub mod app;
pub mod auth;
pub mod catalog_file;
pub mod error;
pub mod json;
pub mod limits;
pub mod metrics;
pub mod pricing;
pub mod render;
pub mod reply;
pub mod routes;
pub mod secret;
pub mod state;

pub use app::{AppState, ServeConfig, Server, app, app_with, serve};
