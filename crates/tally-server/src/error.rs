//! The one error type of the HTTP API, mapped to API.md's status and code table in one place.
//!
//! Every failure a client can see is a variant here, rendered as RFC 9457
//! `application/problem+json` with the fields API.md names per code. Internal errors are
//! logged and never leaked.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use tally_core::{HoldStatus, Millicredits, PurchaseStatus, Rejection};
use tally_engine::EngineError;
use tally_store::{PageError, StoreError};

use crate::render::credits;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    InvalidJson {
        detail: String,
        param: Option<String>,
    },
    Unauthorized,
    InsufficientCredits {
        available: Millicredits,
        required: Millicredits,
    },
    Forbidden,
    NotFound {
        what: &'static str,
    },
    Conflict {
        detail: String,
    },
    IdempotencyConflict,
    HoldNotPending {
        status: HoldStatus,
    },
    PurchaseNotPending {
        status: PurchaseStatus,
    },
    PayloadTooLarge {
        limit_bytes: usize,
    },
    InvalidRequest {
        param: String,
        detail: String,
    },
    InvalidAmount {
        param: String,
        detail: String,
    },
    UnknownModel {
        param: String,
        detail: String,
    },
    CaptureExceedsHold {
        held: Millicredits,
        requested: Millicredits,
    },
    RateLimited {
        retry_after_seconds: u64,
    },
    /// The path exists, the method does not: `allowed` is the `Allow` header's value.
    MethodNotAllowed {
        allowed: String,
    },
    Unavailable {
        detail: String,
    },
    /// One account's stored state does not load: that account is left alone, the others work.
    AccountUnavailable {
        account_id: String,
    },
    Internal,
    /// A stored row that does not load was read: 500 `internal` like [`ApiError::Internal`],
    /// unless the route knows whose account it read ([`ApiError::for_account`]): then that
    /// account is unavailable (503 `account_unavailable`), as its writes are.
    StoreDamaged,
    RefundExceedsCharge {
        refundable: Millicredits,
    },
    /// A webhook whose signature is missing, malformed, stale or made with another secret.
    InvalidSignature {
        tolerance_seconds: i64,
    },
    /// A debit a spend limit refused: the limit, what it counted in its window (for the value
    /// it counts on), what is left, and when the window ends.
    LimitExceeded {
        limit: Box<tally_core::Limit>,
        value: String,
        used: Millicredits,
        remaining: Millicredits,
        resets_at: Option<tally_core::Timestamp>,
    },
    /// An overdraft limit below what the account owes already.
    OverdraftBelowDebt {
        overdraft_limit_min: Millicredits,
    },
}

impl ApiError {
    /// This error, on a route that reads `account_id`: a stored row of it that does not load
    /// makes that account unavailable (503, with its id), as a write to it would be; any other
    /// error is itself.
    pub fn for_account(self, account_id: &str) -> ApiError {
        match self {
            ApiError::StoreDamaged => {
                tracing::error!(
                    account_id,
                    "an account whose stored state does not load was read"
                );
                ApiError::AccountUnavailable {
                    account_id: account_id.to_string(),
                }
            }
            other => other,
        }
    }

    pub fn invalid_request(param: impl Into<String>, detail: impl Into<String>) -> Self {
        ApiError::InvalidRequest {
            param: param.into(),
            detail: detail.into(),
        }
    }

    pub fn invalid_amount(param: impl Into<String>, detail: impl Into<String>) -> Self {
        ApiError::InvalidAmount {
            param: param.into(),
            detail: detail.into(),
        }
    }

    pub fn invalid_json(param: Option<&str>, detail: impl Into<String>) -> Self {
        ApiError::InvalidJson {
            detail: detail.into(),
            param: param.map(str::to_string),
        }
    }

    /// The row of API.md's table for this refusal: its status, its code and its title, each
    /// stated once here; `status`, `code` and the problem document read them from this match.
    #[rustfmt::skip]
    fn meta(&self) -> (StatusCode, &'static str, &'static str) {
        use StatusCode as S;
        match self {
            ApiError::InvalidJson { .. }         => (S::BAD_REQUEST,           "invalid_json",         "The body is not valid JSON for this request"),
            ApiError::Unauthorized               => (S::UNAUTHORIZED,          "unauthorized",         "Missing or unknown API key"),
            ApiError::InsufficientCredits { .. } => (S::PAYMENT_REQUIRED,      "insufficient_credits", "Not enough credits"),
            ApiError::Forbidden                  => (S::FORBIDDEN,             "forbidden",            "This key may not do that"),
            ApiError::NotFound { .. }            => (S::NOT_FOUND,             "not_found",            "Not found"),
            ApiError::Conflict { .. }            => (S::CONFLICT,              "conflict",             "It exists already"),
            ApiError::IdempotencyConflict        => (S::CONFLICT,              "idempotency_conflict", "Idempotency key reused with another request"),
            ApiError::HoldNotPending { .. }      => (S::CONFLICT,              "hold_not_pending",     "The hold is not pending"),
            ApiError::PurchaseNotPending { .. }  => (S::CONFLICT,              "purchase_not_pending", "The purchase is not pending"),
            ApiError::PayloadTooLarge { .. }     => (S::PAYLOAD_TOO_LARGE,     "payload_too_large",    "The body is too large"),
            ApiError::InvalidRequest { .. }      => (S::UNPROCESSABLE_ENTITY,  "invalid_request",      "Invalid request"),
            ApiError::InvalidAmount { .. }       => (S::UNPROCESSABLE_ENTITY,  "invalid_amount",       "Invalid amount"),
            ApiError::UnknownModel { .. }        => (S::UNPROCESSABLE_ENTITY,  "unknown_model",        "Unknown model"),
            ApiError::CaptureExceedsHold { .. }  => (S::UNPROCESSABLE_ENTITY,  "capture_exceeds_hold", "The capture exceeds the hold"),
            ApiError::RateLimited { .. }         => (S::TOO_MANY_REQUESTS,     "rate_limited",         "Too many requests"),
            ApiError::MethodNotAllowed { .. }    => (S::METHOD_NOT_ALLOWED,    "method_not_allowed",   "Method not allowed on this path"),
            ApiError::Unavailable { .. }         => (S::SERVICE_UNAVAILABLE,   "unavailable",          "Temporarily unavailable"),
            ApiError::AccountUnavailable { .. }  => (S::SERVICE_UNAVAILABLE,   "account_unavailable",  "This account is unavailable"),
            ApiError::Internal                   => (S::INTERNAL_SERVER_ERROR, "internal",             "Internal error"),
            ApiError::StoreDamaged               => (S::INTERNAL_SERVER_ERROR, "internal",             "Internal error"),
            ApiError::RefundExceedsCharge { .. } => (S::UNPROCESSABLE_ENTITY,  "refund_exceeds_charge", "The refund exceeds what is left to refund"),
            ApiError::InvalidSignature { .. }    => (S::BAD_REQUEST,           "invalid_signature",    "The webhook's signature does not verify"),
            ApiError::LimitExceeded { .. }       => (S::PAYMENT_REQUIRED,      "limit_exceeded",       "A spend limit would be exceeded"),
            ApiError::OverdraftBelowDebt { .. }  => (S::UNPROCESSABLE_ENTITY,  "overdraft_below_debt", "The overdraft limit is below what the account owes"),
        }
    }

    pub fn status(&self) -> StatusCode {
        self.meta().0
    }

    pub fn code(&self) -> &'static str {
        self.meta().1
    }

    fn title(&self) -> &'static str {
        self.meta().2
    }

    /// The problem document.
    pub fn body(&self) -> Value {
        let mut body = Map::new();
        body.insert("type".into(), json!(problem_type(self.code())));
        body.insert("title".into(), json!(self.title()));
        body.insert("status".into(), json!(self.status().as_u16()));
        body.insert("code".into(), json!(self.code()));
        let detail = match self {
            ApiError::InvalidJson { detail, param } => {
                if let Some(param) = param {
                    body.insert("param".into(), json!(param));
                }
                detail.clone()
            }
            ApiError::Unauthorized => {
                "send `Authorization: Bearer <key>` with a valid, unrevoked key".into()
            }
            ApiError::InsufficientCredits {
                available,
                required,
            } => {
                body.insert("available".into(), credits(*available));
                body.insert("required".into(), credits(*required));
                format!("{available} credits available, {required} required")
            }
            ApiError::Forbidden => "this endpoint needs an admin key".into(),
            ApiError::NotFound { what } => format!("no such {what}"),
            ApiError::Conflict { detail } => detail.clone(),
            ApiError::IdempotencyConflict => {
                "this Idempotency-Key was used with a different request".into()
            }
            ApiError::HoldNotPending { status } => {
                body.insert("hold_status".into(), json!(status.as_str()));
                format!("the hold is {}", status.as_str())
            }
            ApiError::PurchaseNotPending { status } => {
                body.insert("purchase_status".into(), json!(status.as_str()));
                format!(
                    "the purchase is {}: only a pending purchase can be completed, failed or canceled",
                    status.as_str()
                )
            }
            ApiError::PayloadTooLarge { limit_bytes } => {
                body.insert("limit_bytes".into(), json!(limit_bytes));
                format!("the body is over the limit of {limit_bytes} bytes")
            }
            ApiError::InvalidRequest { param, detail }
            | ApiError::InvalidAmount { param, detail }
            | ApiError::UnknownModel { param, detail } => {
                body.insert("param".into(), json!(param));
                detail.clone()
            }
            ApiError::CaptureExceedsHold { held, requested } => {
                body.insert("held".into(), credits(*held));
                body.insert("requested".into(), credits(*requested));
                format!("capture of {requested} credits exceeds the hold of {held}")
            }
            ApiError::RateLimited {
                retry_after_seconds,
            } => {
                format!("retry after {retry_after_seconds} seconds")
            }
            ApiError::MethodNotAllowed { allowed } if allowed.is_empty() => {
                "this method is not allowed on this path; the `Allow` header lists those that are"
                    .into()
            }
            ApiError::MethodNotAllowed { allowed } => {
                format!("this path allows {allowed}; see GET /openapi.json for every route")
            }
            ApiError::Unavailable { detail } => detail.clone(),
            ApiError::AccountUnavailable { account_id } => {
                body.insert("account_id".into(), Value::String(account_id.clone()));
                format!(
                    "account {account_id} cannot be used: its stored state does not load (the \
                     server's log says what is wrong); nothing was done. Other accounts are not \
                     affected; retry once an operator has repaired it"
                )
            }
            ApiError::Internal | ApiError::StoreDamaged => {
                "an internal error occurred; it has been logged".into()
            }
            ApiError::RefundExceedsCharge { refundable } => {
                body.insert("refundable".into(), credits(*refundable));
                format!("only {refundable} credits are left to refund")
            }
            ApiError::InvalidSignature { tolerance_seconds } => {
                body.insert("param".into(), json!("Stripe-Signature"));
                format!(
                    "the Stripe-Signature header is missing, malformed, more than \
                     {tolerance_seconds} seconds from the server's clock, or not made with a \
                     configured signing secret"
                )
            }
            ApiError::LimitExceeded {
                limit,
                value,
                used,
                remaining,
                resets_at,
            } => {
                body.insert("limit".into(), crate::render::limit(limit));
                body.insert("match_value".into(), json!(value));
                body.insert("used".into(), credits(*used));
                body.insert("remaining".into(), credits(*remaining));
                body.insert(
                    "resets_at".into(),
                    crate::render::optional_instant(*resets_at),
                );
                let scope = limit.scope.as_str();
                let window = limit.window.as_str();
                match resets_at {
                    Some(at) => format!(
                        "the {scope} limit {} ({window}) for {value:?} has {remaining} of {} credits left; it resets at {}",
                        limit.id,
                        limit.max,
                        at.to_rfc3339()
                    ),
                    None => format!(
                        "the {scope} limit {} ({window}) for {value:?} has {remaining} of {} credits left; it never resets",
                        limit.id, limit.max
                    ),
                }
            }
            ApiError::OverdraftBelowDebt {
                overdraft_limit_min,
            } => {
                body.insert("param".into(), json!("overdraft_limit"));
                body.insert("overdraft_limit_min".into(), credits(*overdraft_limit_min));
                format!(
                    "the account owes {overdraft_limit_min} credits (spent or held beyond its grants): the overdraft limit must be at least that"
                )
            }
        };
        body.insert("detail".into(), json!(detail));
        Value::Object(body)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), self.body().to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        match self {
            ApiError::RateLimited {
                retry_after_seconds,
            } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_seconds));
            }
            // Every 503 is worth a retry (the same Idempotency-Key) after a moment.
            ApiError::Unavailable { .. } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            ApiError::MethodNotAllowed { allowed } if !allowed.is_empty() => {
                if let Ok(value) = HeaderValue::from_str(&allowed) {
                    headers.insert(header::ALLOW, value);
                }
            }
            _ => {}
        }
        response
    }
}

/// A problem's `type`: a URI reference to the code's page on the server that answered
/// (`/errors/insufficient_credits`, served from `docs/errors.md` by `routes::error_pages`),
/// the same for every problem of a code.
pub fn problem_type(code: &str) -> String {
    format!("/errors/{code}")
}

impl From<Rejection> for ApiError {
    fn from(rejection: Rejection) -> Self {
        match rejection {
            Rejection::AmountNotPositive => {
                ApiError::invalid_amount("amount", "the amount must be positive")
            }
            Rejection::GrantWindowInvalid => ApiError::invalid_request(
                "expires_at",
                "expires_at must be in the future and after effective_at",
            ),
            Rejection::AccountNotFound => ApiError::NotFound { what: "account" },
            Rejection::AccountExists => ApiError::Conflict {
                detail: "an account with this id exists already".into(),
            },
            Rejection::GrantNotFound => ApiError::NotFound { what: "grant" },
            Rejection::HoldNotFound => ApiError::NotFound { what: "hold" },
            Rejection::HoldNotPending { status } => ApiError::HoldNotPending { status },
            Rejection::CaptureExceedsHold { held, requested } => {
                ApiError::CaptureExceedsHold { held, requested }
            }
            Rejection::InsufficientCredits {
                available,
                required,
            } => ApiError::InsufficientCredits {
                available,
                required,
            },
            Rejection::SeatsInvalid => {
                ApiError::invalid_request("seats", "seats must be a whole number from 1 to 100000")
            }
            Rejection::NoSubscription => ApiError::NotFound {
                what: "subscription",
            },
            Rejection::Overflow => ApiError::invalid_amount(
                "amount",
                "the account's balance would exceed what can be represented",
            ),
            Rejection::PlanNotFound { plan_id } => {
                ApiError::invalid_request("plan", format!("no plan {plan_id:?} in the catalog"))
            }
            Rejection::PackNotFound { pack_id } => {
                ApiError::invalid_request("pack", format!("no pack {pack_id:?} in the catalog"))
            }
            Rejection::KeyNotFound => ApiError::NotFound { what: "key" },
            Rejection::PurchaseNotFound => ApiError::NotFound { what: "purchase" },
            Rejection::PurchaseNotPending { status } => ApiError::PurchaseNotPending { status },
            Rejection::PurchaseWindowInvalid => ApiError::invalid_request(
                "purchase_expires_after_seconds",
                "a purchase must stay payable for a positive time",
            ),
            Rejection::RefundExceedsCharge { refundable } => {
                ApiError::RefundExceedsCharge { refundable }
            }
            Rejection::ChargeNotFound => ApiError::NotFound { what: "charge" },
            Rejection::AutoTopupNotFound => ApiError::NotFound {
                what: "auto top-up",
            },
            Rejection::PortalLinkNotFound => ApiError::NotFound {
                what: "portal session",
            },
            Rejection::PortalLinkUsed => ApiError::Conflict {
                detail: "this portal link was used already".into(),
            },
            Rejection::PortalLinkExpired => ApiError::Conflict {
                detail: "this portal link has expired".into(),
            },
            Rejection::PortalTtlInvalid => ApiError::invalid_request(
                "ttl_seconds",
                "`ttl_seconds` must be a whole number from 1 to 3600",
            ),
            Rejection::LimitExceeded {
                limit,
                value,
                used,
                remaining,
                resets_at,
            } => ApiError::LimitExceeded {
                limit,
                value,
                used,
                remaining,
                resets_at,
            },
            Rejection::LimitInvalid { position, problem } => {
                let field = problem.field();
                let param = if field == "limits" {
                    "limits".to_string()
                } else {
                    format!("limits[{position}].{field}")
                };
                let detail = match problem {
                    tally_core::LimitProblem::TooMany => {
                        format!("at most {} limits", tally_core::LIMITS_MAX)
                    }
                    tally_core::LimitProblem::DuplicateId => "two limits have this id".into(),
                    tally_core::LimitProblem::BadId => "an id is 1 to 255 bytes".into(),
                    tally_core::LimitProblem::BadMatch => {
                        "a match is 1 to 255 bytes, and `*` for an account limit".into()
                    }
                    tally_core::LimitProblem::NegativeMax => "max must not be negative".into(),
                };
                ApiError::invalid_request(param, detail)
            }
            Rejection::OverdraftBelowDebt {
                overdraft_limit_min,
            } => ApiError::OverdraftBelowDebt {
                overdraft_limit_min,
            },
            Rejection::TimeZoneUnknown => ApiError::invalid_request(
                "time_zone",
                "not an IANA time zone name (like `Europe/Paris` or `UTC`)",
            ),
            Rejection::UsageBelowCaptured { captured, priced } => ApiError::invalid_request(
                "usage",
                format!(
                    "the usage so far prices {priced} credits, below the {captured} captured already"
                ),
            ),
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::Rejected(rejection) => rejection.into(),
            EngineError::IdempotencyConflict => ApiError::IdempotencyConflict,
            // The test clock's route exists only with the test clock on.
            EngineError::TestClockOff => ApiError::NotFound { what: "route" },
            EngineError::ClockBackwards { now } => ApiError::invalid_request(
                "now",
                format!(
                    "the clock never moves backwards; it is {}",
                    now.to_rfc3339()
                ),
            ),
            EngineError::Store(error) => error.into(),
            EngineError::Overloaded { queued } => {
                tracing::warn!(queued, "engine queue full; answering 503");
                ApiError::Unavailable {
                    detail: "the server is overloaded; retry".into(),
                }
            }
            EngineError::ShuttingDown => ApiError::Unavailable {
                detail: "the server is shutting down; retry".into(),
            },
            EngineError::AccountUnavailable { account_id } => {
                ApiError::AccountUnavailable { account_id }
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(detail) => {
                tracing::error!(%detail, "store unavailable");
                ApiError::Unavailable {
                    detail: "the store cannot be reached; retry".into(),
                }
            }
            StoreError::Interrupted(detail) => {
                tracing::error!(%detail, "store connection lost inside a transaction");
                ApiError::Unavailable {
                    detail: "the store's connection was lost; nothing was done; retry".into(),
                }
            }
            StoreError::Conflict(detail) => {
                tracing::warn!(%detail, "store conflict");
                ApiError::Unavailable {
                    detail: "a concurrent transaction conflicted; retry".into(),
                }
            }
            StoreError::Corrupt(detail) => {
                tracing::error!(%detail, "store corrupt");
                ApiError::StoreDamaged
            }
            StoreError::Refused(detail) => {
                tracing::error!(%detail, "store refused");
                ApiError::Internal
            }
        }
    }
}

impl From<PageError> for ApiError {
    fn from(error: PageError) -> Self {
        match error {
            PageError::UnknownCursor => ApiError::invalid_request(
                "starting_after",
                "starting_after names no item of this list",
            ),
            PageError::Store(error) => error.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_has_the_documented_type_and_a_405_its_allow_header() {
        let problem = ApiError::MethodNotAllowed {
            allowed: "GET,HEAD".into(),
        };
        assert_eq!(problem.body()["type"], json!("/errors/method_not_allowed"));
        assert_eq!(problem.status(), StatusCode::METHOD_NOT_ALLOWED);
        let response = problem.into_response();
        assert_eq!(response.headers()[header::ALLOW], "GET,HEAD");
        let unavailable = ApiError::Unavailable {
            detail: "the store is not answering".into(),
        }
        .into_response();
        assert_eq!(unavailable.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(unavailable.headers()[header::RETRY_AFTER], "1");
        assert_eq!(ApiError::Internal.body()["type"], json!("/errors/internal"));
    }
}
