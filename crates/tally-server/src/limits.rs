//! Limits that protect the service: a per-key request rate (token buckets), the total size of
//! a request's headers, and a per-request timeout. Body size and JSON depth are in json.rs;
//! the list page cap is in routes/mod.rs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::ApiError;

/// The default request rate of one account key, per second, and its burst.
pub const KEY_REQUESTS_PER_SECOND_DEFAULT: u32 = 1_000;
pub const KEY_REQUESTS_BURST_DEFAULT: u32 = 2_000;

/// The default bound on all of a request's header names and values together.
pub const HEADER_BYTES_MAX_DEFAULT: usize = 16 * 1024;

/// The default time a request may take before it is answered 503 (its effect, if it reached
/// the engine, still commits: a retry with the same Idempotency-Key gives the one outcome).
pub const REQUEST_TIMEOUT_DEFAULT: Duration = Duration::from_secs(30);

/// A token costs this many micro-tokens; buckets count in micro-tokens to stay in integers.
const MICRO_TOKENS_PER_REQUEST: u64 = 1_000_000;

#[derive(Clone, Debug)]
pub struct LimitsConfig {
    /// Requests per second per account key; 0 turns the rate limit off.
    pub key_requests_per_second: u32,
    pub key_requests_burst: u32,
    /// Whether admin keys are rate limited too (off by default).
    pub limit_admin_keys: bool,
    pub header_bytes_max: usize,
    pub request_timeout: Duration,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            key_requests_per_second: KEY_REQUESTS_PER_SECOND_DEFAULT,
            key_requests_burst: KEY_REQUESTS_BURST_DEFAULT,
            limit_admin_keys: false,
            header_bytes_max: HEADER_BYTES_MAX_DEFAULT,
            request_timeout: REQUEST_TIMEOUT_DEFAULT,
        }
    }
}

struct Bucket {
    micro_tokens: u64,
    refilled_at: Instant,
}

pub struct Limits {
    pub config: LimitsConfig,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl Limits {
    pub fn new(config: LimitsConfig) -> Self {
        Limits {
            config,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `key_id`'s bucket, or says how many seconds to wait.
    pub fn take(&self, key_id: &str, is_admin: bool) -> Result<(), ApiError> {
        let per_second = u64::from(self.config.key_requests_per_second);
        if per_second == 0 || (is_admin && !self.config.limit_admin_keys) {
            return Ok(());
        }
        let capacity = u64::from(self.config.key_requests_burst.max(1)) * MICRO_TOKENS_PER_REQUEST;
        let now = Instant::now();
        let mut buckets = self.buckets.lock().expect("limits: buckets poisoned");
        let bucket = buckets.entry(key_id.to_string()).or_insert(Bucket {
            micro_tokens: capacity,
            refilled_at: now,
        });
        let elapsed_micros = now.duration_since(bucket.refilled_at).as_micros() as u64;
        bucket.micro_tokens = bucket
            .micro_tokens
            .saturating_add(elapsed_micros.saturating_mul(per_second))
            .min(capacity);
        bucket.refilled_at = now;
        if bucket.micro_tokens >= MICRO_TOKENS_PER_REQUEST {
            bucket.micro_tokens -= MICRO_TOKENS_PER_REQUEST;
            return Ok(());
        }
        let missing = MICRO_TOKENS_PER_REQUEST - bucket.micro_tokens;
        // Micro-tokens refill at `per_second` per microsecond: round the wait up to a second.
        let wait_micros = missing.div_ceil(per_second);
        Err(ApiError::RateLimited {
            retry_after_seconds: wait_micros.div_ceil(1_000_000).max(1),
        })
    }
}

/// Refuses oversized headers (431) and answers 503 when a request runs past its timeout.
pub async fn guard(State(limits): State<Arc<Limits>>, request: Request, next: Next) -> Response {
    let header_bytes: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    let limit = limits.config.header_bytes_max;
    if header_bytes > limit {
        let body = json!({
            "type": crate::error::problem_type("headers_too_large"),
            "title": "The request's headers are too large",
            "status": 431,
            "code": "headers_too_large",
            "detail": format!("the headers are over the limit of {limit} bytes"),
        });
        let mut response = (
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            body.to_string(),
        )
            .into_response();
        response.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/problem+json"),
        );
        return response;
    }
    let has_body = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .is_some_and(|length| length.as_bytes() != b"0")
        || request
            .headers()
            .contains_key(axum::http::header::TRANSFER_ENCODING);
    let mut response = match tokio::time::timeout(limits.config.request_timeout, next.run(request))
        .await
    {
        Ok(response) => response,
        Err(_) => ApiError::Unavailable {
            detail: "the request timed out; retrying with the same Idempotency-Key is safe".into(),
        }
        .into_response(),
    };
    // A request refused before its body was read (no key, not yours, too large, too many)
    // leaves that body on the connection: say the connection closes, rather than let the
    // client find it closed under its next request.
    let refused_unread = matches!(
        response.status().as_u16(),
        401 | 403 | 404 | 413 | 429 | 503
    );
    if has_body && refused_unread {
        response.headers_mut().insert(
            axum::http::header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_second: u32, burst: u32) -> Limits {
        Limits::new(LimitsConfig {
            key_requests_per_second: per_second,
            key_requests_burst: burst,
            ..LimitsConfig::default()
        })
    }

    #[test]
    fn a_burst_beyond_the_bucket_is_refused_with_a_wait() {
        let limits = limits(1, 3);
        for _ in 0..3 {
            limits.take("key_a", false).unwrap();
        }
        assert_eq!(
            limits.take("key_a", false),
            Err(ApiError::RateLimited {
                retry_after_seconds: 1
            })
        );
        // Another key has its own bucket; admin keys are not limited by default.
        limits.take("key_b", false).unwrap();
        for _ in 0..10 {
            limits.take("admin", true).unwrap();
        }
    }

    #[test]
    fn zero_turns_the_limit_off() {
        let limits = limits(0, 1);
        for _ in 0..100 {
            limits.take("key_a", false).unwrap();
        }
    }
}
