//! The JSON API, called in process: the dashboard's pages read what the API answers, so
//! every number they show is exactly the API's.
//!
//! A call goes through the same route table, the same `Principal` resolution, the same body
//! validation and the same idempotency as a request from the network, made as the key the
//! signed-in user's session stands for (or as its account, for a session a portal link
//! started), so it can see and do nothing that key (or that account's own key) could not.
//! Writes too: a form's changes are an API request with an `Idempotency-Key`.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::Value;
use tower::ServiceExt;

use super::WebUser;
use crate::WebState;

/// The largest answer read from an in-process call (the rate card is the largest).
const ANSWER_BYTES_MAX: usize = 32 * 1024 * 1024;

/// An answer of the API: its status and its JSON body (`Null` when it has none).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

impl Answer {
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }

    /// The route is not served at all (no handler answered; the router's bare 404).
    pub fn route_missing(&self) -> bool {
        self.status == StatusCode::NOT_FOUND && self.body.is_null()
    }

    /// A problem's `code`, if the answer is one.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    /// A problem's `detail` (or its title) for people.
    pub fn detail(&self) -> String {
        self.body["detail"]
            .as_str()
            .or_else(|| self.body["title"].as_str())
            .map(str::to_string)
            .unwrap_or_else(|| format!("the API answered {}", self.status))
    }
}

/// Calls the API as `user`.
pub async fn call(
    state: &WebState,
    user: &WebUser,
    method: Method,
    uri: &str,
    body: Option<&Value>,
) -> Answer {
    send(state, user, method, uri, body, None).await
}

/// Makes a change through the API as `user`, with the form's idempotency key (a form sent
/// twice makes the change once, and the second answer is the first).
pub async fn write(
    state: &WebState,
    user: &WebUser,
    method: Method,
    uri: &str,
    body: &Value,
    idempotency_key: &str,
) -> Answer {
    send(state, user, method, uri, Some(body), Some(idempotency_key)).await
}

async fn send(
    state: &WebState,
    user: &WebUser,
    method: Method,
    uri: &str,
    body: Option<&Value>,
    idempotency_key: Option<&str>,
) -> Answer {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(key) = idempotency_key {
        request = request.header("idempotency-key", key);
    }
    let request = request.body(body.map_or_else(Body::empty, |body| Body::from(body.to_string())));
    let Ok(mut request) = request else {
        return Answer {
            status: StatusCode::BAD_REQUEST,
            body: Value::Null,
        };
    };
    user.signed_in.authorize(request.extensions_mut());
    let router = tally_server::routes::router().with_state(state.app.clone());
    let response = match router.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), ANSWER_BYTES_MAX)
        .await
        .unwrap_or_default();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer { status, body }
}

/// `GET uri` as `user`.
pub async fn get(state: &WebState, user: &WebUser, uri: &str) -> Answer {
    call(state, user, Method::GET, uri, None).await
}
