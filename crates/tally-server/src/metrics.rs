//! Request counts and latencies by route and status, for `/metrics`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use axum::http::{Method, StatusCode};

/// `(method, route, status)`.
pub type RouteKey = (String, String, u16);

/// Request counts and latencies by route and status.
#[derive(Default)]
pub struct HttpMetrics {
    /// `(requests, microseconds spent)` per route and status.
    by_route: Mutex<HashMap<RouteKey, (u64, u64)>>,
}

impl HttpMetrics {
    pub fn record(&self, method: &Method, route: &str, status: StatusCode, elapsed: Duration) {
        let mut by_route = self.by_route.lock().expect("metrics: poisoned");
        let slot = by_route
            .entry((method.to_string(), route.to_string(), status.as_u16()))
            .or_default();
        slot.0 += 1;
        slot.1 += elapsed.as_micros() as u64;
    }
}

impl HttpMetrics {
    /// The counts so far: `(requests, microseconds spent)` per route and status.
    pub fn by_route(&self) -> HashMap<RouteKey, (u64, u64)> {
        self.by_route.lock().expect("metrics: poisoned").clone()
    }
}
