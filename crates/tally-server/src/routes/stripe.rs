//! `POST /v1/integrations/stripe/webhook`: Stripe Checkout's events complete or fail pack
//! purchases. No API key: the request is authenticated by its `Stripe-Signature`, checked on
//! the raw body's bytes before anything parses them (`crate::stripe`). Off (404, like any
//! path that is not a route) unless `tally serve --stripe-webhook-secret` names a secret.
//!
//! - `checkout.session.completed` and `checkout.session.async_payment_succeeded` with
//!   `payment_status: "paid"` complete the purchase whose id is the session's
//!   `client_reference_id` (or `metadata.tally_purchase_id`), with the session's id as its
//!   `payment_reference`; `completed` still `unpaid` (an async payment method) waits for the
//!   async event.
//! - `checkout.session.expired` and `checkout.session.async_payment_failed` fail it.
//! - Anything else is acknowledged and ignored.
//!
//! Stripe retries what is not answered 2xx, for days, so everything that retrying cannot
//! change is answered 200: an unknown purchase (logged at warn), one that is no longer pending
//! (info), an event without a purchase id. The event's id is the command's idempotency key (in
//! a scope of its own), so a redelivered event replays its first answer and changes nothing.
//! Failures that a retry can fix (the store, an overloaded engine) keep their 503.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use tally_core::{PurchaseEnd, PurchaseStatus, Rejection};
use tally_engine::{Answer, Command, EngineError, Idempotency, Outcome};

use super::write::{Context, RequestBody, Target, is_valid_idempotency_key, request_hash};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::json;
use crate::reply::json_response;
use crate::state::AppState;

/// The route's path (also what the idempotency hash of its commands names).
pub const WEBHOOK_PATH: &str = "/v1/integrations/stripe/webhook";

/// The idempotency scope of Stripe's events: never one of an API key's.
const IDEMPOTENCY_SCOPE: &str = "stripe";

/// The longest `payment_reference` a purchase keeps (as `POST /v1/purchases/{id}/complete`).
const PAYMENT_REFERENCE_BYTES_MAX: usize = 255;

/// The longest purchase id read from an event.
const PURCHASE_ID_BYTES_MAX: usize = 128;

/// What the webhook's body is checked against: nobody's key. A key never reaches this route's
/// body (the handler checks the signature instead), so resolving it from one is refused.
pub struct Signed;

impl Target for Signed {
    fn resolve(_: Option<String>, _: &AppState, _: &Principal) -> Result<Self, ApiError> {
        Err(ApiError::Forbidden)
    }
}

/// A Stripe event, as far as Tally reads it: its id, its type and its `data.object`.
pub struct StripeEvent {
    pub id: String,
    pub kind: String,
    pub object: Map<String, Value>,
}

impl RequestBody for StripeEvent {
    type Target = Signed;

    // The event's own id is its idempotency key; an `Idempotency-Key` header is not read.
    const IDEMPOTENT: bool = false;

    // Stripe's event object; it may grow fields, which are not refused.
    const FIELDS: &'static [&'static str] = &[
        "id",
        "object",
        "api_version",
        "created",
        "data",
        "livemode",
        "pending_webhooks",
        "request",
        "type",
    ];

    fn schema() -> Value {
        use crate::schema::*;
        open_object(
            &["id", "type", "data"],
            serde_json::json!({
                "id": string(),
                "object": string(),
                "api_version": nullable(string()),
                "created": {"type": "integer"},
                "data": {"type": "object"},
                "livemode": boolean(),
                "pending_webhooks": {"type": "integer"},
                "request": {},
                "type": string(),
            }),
        )
    }

    fn from_json(value: Value, _: &Context<'_, Signed>) -> Result<Self, ApiError> {
        let Value::Object(mut event) = value else {
            return Err(ApiError::invalid_json(
                None,
                "an event must be a JSON object",
            ));
        };
        let id = match event.remove("id") {
            Some(Value::String(id)) if is_valid_idempotency_key(&id) => id,
            _ => {
                return Err(ApiError::invalid_request(
                    "id",
                    "an event's `id` must be 1 to 255 printable ASCII characters",
                ));
            }
        };
        let Some(Value::String(kind)) = event.remove("type") else {
            return Err(ApiError::invalid_request(
                "type",
                "an event's `type` must be a string",
            ));
        };
        let object = match event.remove("data") {
            Some(Value::Object(mut data)) => match data.remove("object") {
                Some(Value::Object(object)) => object,
                _ => Map::new(),
            },
            _ => Map::new(),
        };
        Ok(StripeEvent { id, kind, object })
    }
}

/// What an event asks of a purchase.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Action {
    Complete {
        purchase_id: String,
        session_id: Option<String>,
    },
    Fail {
        purchase_id: String,
    },
    /// Acknowledged, nothing to do: why, and the purchase it named if any.
    Ignore {
        reason: &'static str,
        purchase_id: Option<String>,
    },
}

impl StripeEvent {
    /// The purchase a Checkout Session names: `client_reference_id`, else
    /// `metadata.tally_purchase_id`.
    fn purchase_id(&self) -> Option<String> {
        let named = |value: Option<&Value>| match value {
            Some(Value::String(id)) if !id.is_empty() && id.len() <= PURCHASE_ID_BYTES_MAX => {
                Some(id.clone())
            }
            _ => None,
        };
        named(self.object.get("client_reference_id")).or_else(|| {
            named(
                self.object
                    .get("metadata")
                    .and_then(|metadata| metadata.get("tally_purchase_id")),
            )
        })
    }

    fn action(&self) -> Result<Action, ApiError> {
        let completes = matches!(
            self.kind.as_str(),
            "checkout.session.completed" | "checkout.session.async_payment_succeeded"
        );
        let fails = matches!(
            self.kind.as_str(),
            "checkout.session.expired" | "checkout.session.async_payment_failed"
        );
        if !completes && !fails {
            return Ok(Action::Ignore {
                reason: "event_type",
                purchase_id: None,
            });
        }
        let Some(purchase_id) = self.purchase_id() else {
            return Ok(Action::Ignore {
                reason: "no_purchase_id",
                purchase_id: None,
            });
        };
        if fails {
            return Ok(Action::Fail { purchase_id });
        }
        let paid = self.object.get("payment_status") == Some(&json!("paid"));
        if !paid {
            return Ok(Action::Ignore {
                reason: "unpaid",
                purchase_id: Some(purchase_id),
            });
        }
        let session_id = match self.object.get("id") {
            None | Some(Value::Null) => None,
            Some(Value::String(id)) if id.len() <= PAYMENT_REFERENCE_BYTES_MAX => Some(id.clone()),
            Some(_) => {
                return Err(ApiError::invalid_request(
                    "data.object.id",
                    format!(
                        "the session's `id` must be a string of at most {PAYMENT_REFERENCE_BYTES_MAX} bytes"
                    ),
                ));
            }
        };
        Ok(Action::Complete {
            purchase_id,
            session_id,
        })
    }
}

/// The webhook's answer to Stripe.
fn received(action: &str, purchase_id: Option<&str>, reason: Option<&str>) -> Value {
    let mut body = json!({"received": true, "action": action, "purchase_id": purchase_id});
    if let Some(reason) = reason {
        body["reason"] = json!(reason);
    }
    body
}

fn ok(body: &Value) -> Response {
    json_response(StatusCode::OK, body.to_string())
}

/// `POST /v1/integrations/stripe/webhook`.
pub async fn webhook(State(state): State<AppState>, request: Request) -> Response {
    match handle(&state, request).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn handle(state: &AppState, request: Request) -> Result<Response, ApiError> {
    if !state.stripe_webhook_secrets.is_on() {
        return Err(ApiError::NotFound { what: "route" });
    }
    let (parts, body) = request.into_parts();
    let limit_bytes = json::BODY_BYTES_MAX;
    let bytes = axum::body::to_bytes(body, limit_bytes)
        .await
        .map_err(|_| ApiError::PayloadTooLarge { limit_bytes })?;
    let header = parts
        .headers
        .get("stripe-signature")
        .map(|value| value.to_str().unwrap_or_default());
    let verified = match header {
        None => Err(crate::stripe::SignatureError::Missing),
        Some(header) => state
            .stripe_webhook_secrets
            .verify(header, &bytes, state.clock.now()),
    };
    if let Err(error) = verified {
        tracing::warn!(%error, "stripe webhook: signature refused");
        return Err(ApiError::InvalidSignature {
            tolerance_seconds: crate::stripe::SIGNATURE_TOLERANCE_SECONDS,
        });
    }
    let value: Value = serde_json::from_slice(&bytes)
        .map_err(|error| ApiError::invalid_json(None, format!("the body is not JSON: {error}")))?;
    let event = StripeEvent::from_json(
        value,
        &Context {
            state,
            target: &Signed,
        },
    )?;
    let (command, purchase_id) = match event.action()? {
        Action::Ignore {
            reason,
            purchase_id,
        } => {
            tracing::info!(event = %event.id, kind = %event.kind, reason, "stripe webhook: ignored");
            return Ok(ok(&received(
                "ignored",
                purchase_id.as_deref(),
                Some(reason),
            )));
        }
        Action::Complete {
            purchase_id,
            session_id,
        } => (
            Command::CompletePurchase {
                purchase_id: purchase_id.clone(),
                payment_reference: session_id,
            },
            purchase_id,
        ),
        Action::Fail { purchase_id } => (
            Command::EndPurchase {
                purchase_id: purchase_id.clone(),
                end: PurchaseEnd::Failed,
            },
            purchase_id,
        ),
    };
    let completes = matches!(command, Command::CompletePurchase { .. });
    // What the command is, not the event's bytes: Stripe's redeliveries of one event may
    // differ in fields Tally does not read (`pending_webhooks`).
    let hashed = match &command {
        Command::CompletePurchase {
            payment_reference, ..
        } => {
            json!({"action": "complete", "purchase_id": purchase_id, "payment_reference": payment_reference})
        }
        _ => json!({"action": "fail", "purchase_id": purchase_id}),
    };
    let idempotency = Idempotency {
        scope: IDEMPOTENCY_SCOPE.to_string(),
        key: event.id.clone(),
        request_hash: request_hash(&Method::POST, WEBHOOK_PATH, &hashed),
    };
    // The audit log names Stripe: the payment its webhook reported completed (or failed) it.
    let reply = state
        .engine
        .submit_by(command, Some(idempotency), Some("stripe"))
        .await;
    let action = |status: Option<&str>| match status {
        Some("completed") => "completed",
        _ => "failed",
    };
    match reply {
        Ok(Answer::Replayed(answer)) => {
            let first: Value = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
            tracing::info!(event = %event.id, purchase = %purchase_id, "stripe webhook: a redelivered event, answered as first");
            let mut response = ok(&received(
                action(first["status"].as_str()),
                Some(&purchase_id),
                None,
            ));
            response
                .headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            Ok(response)
        }
        Ok(Answer::Recorded { outcome, .. } | Answer::Done(outcome)) => {
            let status = match &outcome {
                Outcome::Purchase { purchase, .. } => purchase.status.as_str(),
                _ => "",
            };
            tracing::info!(event = %event.id, kind = %event.kind, purchase = %purchase_id, status, "stripe webhook: purchase updated");
            Ok(ok(&received(
                action(Some(status)),
                Some(&purchase_id),
                None,
            )))
        }
        Err(EngineError::Rejected(Rejection::PurchaseNotPending { status })) => {
            if completes && status != PurchaseStatus::Completed {
                // Paid, but the purchase ended unpaid first: the money needs a person.
                tracing::warn!(event = %event.id, purchase = %purchase_id, status = status.as_str(), "stripe webhook: a paid session for a purchase that is no longer pending; refund or grant by hand");
            } else {
                tracing::info!(event = %event.id, purchase = %purchase_id, status = status.as_str(), "stripe webhook: the purchase is not pending; nothing to do");
            }
            Ok(ok(&received(
                "ignored",
                Some(&purchase_id),
                Some("purchase_not_pending"),
            )))
        }
        Err(EngineError::Rejected(Rejection::PurchaseNotFound)) => {
            tracing::warn!(event = %event.id, purchase = %purchase_id, "stripe webhook: no such purchase; ignored");
            Ok(ok(&received(
                "ignored",
                Some(&purchase_id),
                Some("purchase_not_found"),
            )))
        }
        Err(error) => Err(error.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, object: Value) -> StripeEvent {
        let Value::Object(object) = object else {
            panic!("an object")
        };
        StripeEvent {
            id: "evt_1".into(),
            kind: kind.into(),
            object,
        }
    }

    #[test]
    fn checkout_events_map_to_what_they_do_to_the_purchase() {
        let paid = json!({"id": "cs_1", "payment_status": "paid", "client_reference_id": "pur_1"});
        let complete = Action::Complete {
            purchase_id: "pur_1".into(),
            session_id: Some("cs_1".into()),
        };
        for kind in [
            "checkout.session.completed",
            "checkout.session.async_payment_succeeded",
        ] {
            assert_eq!(event(kind, paid.clone()).action(), Ok(complete.clone()));
        }
        let by_metadata = json!({"id": "cs_1", "payment_status": "paid", "metadata": {"tally_purchase_id": "pur_1"}});
        assert_eq!(
            event("checkout.session.completed", by_metadata).action(),
            Ok(complete.clone())
        );
        let unpaid =
            json!({"id": "cs_1", "payment_status": "unpaid", "client_reference_id": "pur_1"});
        assert_eq!(
            event("checkout.session.completed", unpaid.clone()).action(),
            Ok(Action::Ignore {
                reason: "unpaid",
                purchase_id: Some("pur_1".into())
            })
        );
        for kind in [
            "checkout.session.expired",
            "checkout.session.async_payment_failed",
        ] {
            assert_eq!(
                event(kind, unpaid.clone()).action(),
                Ok(Action::Fail {
                    purchase_id: "pur_1".into()
                })
            );
        }
        assert_eq!(
            event(
                "checkout.session.completed",
                json!({"payment_status": "paid"})
            )
            .action(),
            Ok(Action::Ignore {
                reason: "no_purchase_id",
                purchase_id: None
            })
        );
        assert_eq!(
            event("invoice.paid", paid).action(),
            Ok(Action::Ignore {
                reason: "event_type",
                purchase_id: None
            })
        );
    }
}
