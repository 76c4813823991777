//! The dashboard: server-rendered HTML pages at `/`, served by `tally serve` itself, with a
//! little progressive JavaScript and SVG charts drawn on the server. Assets are embedded.
//!
//! Codemap:
//! - `session.rs`: sessions (cookie → key hash, or a portal link's account), CSRF tokens, the
//!   cookie path of the API.
//! - `html.rs`: markup escaped by construction (`html!`), URL encoding.
//! - `format.rs`: numbers and dates for people, from the API's exact decimal text.
//! - `api.rs`: in-process calls of the JSON API, as the signed-in user.
//! - `layout.rs`: the page shell (navigation, notices, security headers).
//! - `portal.rs`: a portal link's visit (a session for the link's account, without a key).
//! - `sign_in.rs`, `overview.rs`, `calculator.rs`, `usage.rs` (+ `chart.rs`), `ledger.rs`,
//!   `events.rs`, `packs.rs`, `admin.rs` (with the webhooks page): one file per page.
//!
//! Architecture invariants:
//! - Reads go through the API in process (or the store with the API's render helpers, for the
//!   streamed CSV; and the store's failing webhook deliveries, which no API route lists across
//!   endpoints), so the dashboard shows exactly what the API answers.
//! - Writes go through the API in process too (`api::call` with an `Idempotency-Key` drawn
//!   when the form was shown), exactly as reads: one validation path, one request hash.
//! - Sessions are this crate's: a layer over the whole application ([`app`]) turns a session
//!   cookie into the key it stands for ([`tally_server::auth::SessionKey`]), or the account a
//!   portal link signed in ([`tally_server::auth::SessionAccount`]), so the API's
//!   authorization knows nothing of the dashboard.
//! - Every value reaches a page through `html!`, which escapes it.
//! - Deliberately absent: the key in a URL or a log, inline scripts, float arithmetic.

pub mod admin;
pub mod api;
pub mod calculator;
pub mod chart;
pub mod events;
pub mod format;
pub mod html;
pub mod layout;
pub mod ledger;
pub mod overview;
pub mod packs;
pub mod portal;
pub mod session;
pub mod sign_in;
pub mod usage;

use std::collections::HashMap;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use std::sync::Arc;

use tally_server::AppState;
use tally_server::auth::Principal;
use tally_server::error::ApiError;

use crate::html::Html;
use crate::session::Sessions;

/// What the dashboard's handlers reach: the application's state and the sessions.
#[derive(Clone)]
pub struct WebState {
    pub app: AppState,
    pub sessions: Arc<Sessions>,
}

impl std::ops::Deref for WebState {
    type Target = AppState;

    fn deref(&self) -> &AppState {
        &self.app
    }
}

/// The whole application: the API and the dashboard, with the session layer over both.
pub fn app(state: AppState) -> Router {
    let secure = state.public_url.starts_with("https://");
    let sessions = Arc::new(Sessions::new(secure));
    let web = router().with_state(WebState {
        app: state.clone(),
        sessions: sessions.clone(),
    });
    tally_server::app_with(web, state).layer(SessionLayer { sessions })
}

/// The session layer: a request without `Authorization` but with a session cookie (and,
/// unless it is a read, the session's CSRF token) is made as the key the session stands for.
/// A plain tower layer rather than `from_fn`: it runs on every request of the application, and
/// this way it costs a header lookup, not a boxed future.
#[derive(Clone)]
struct SessionLayer {
    sessions: Arc<Sessions>,
}

impl<S> tower::Layer<S> for SessionLayer {
    type Service = SessionService<S>;

    fn layer(&self, inner: S) -> SessionService<S> {
        SessionService {
            inner,
            sessions: self.sessions.clone(),
        }
    }
}

/// See [`SessionLayer`].
#[derive(Clone)]
struct SessionService<S> {
    inner: S,
    sessions: Arc<Sessions>,
}

impl<S, B> tower::Service<axum::http::Request<B>> for SessionService<S>
where
    S: tower::Service<axum::http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(
        &mut self,
        context: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), S::Error>> {
        self.inner.poll_ready(context)
    }

    fn call(&mut self, mut request: axum::http::Request<B>) -> S::Future {
        if !request.headers().contains_key(header::AUTHORIZATION)
            && let Some(signed_in) =
                session::api_signed_in(request.method(), request.headers(), &self.sessions)
        {
            signed_in.authorize(request.extensions_mut());
        }
        self.inner.call(request)
    }
}

const APP_CSS: &str = include_str!("assets/app.css");
const APP_JS: &str = include_str!("assets/app.js");

/// The dashboard's routes (none under `/v1`, nor the operations paths).
pub fn router() -> Router<WebState> {
    Router::new()
        .route("/", get(overview::page))
        .route("/sign-in", get(sign_in::form).post(sign_in::submit))
        .route("/sign-out", post(sign_in::sign_out))
        .route("/portal/{token}", get(portal::visit))
        .route(
            "/calculator",
            get(calculator::page).post(calculator::page_with_quote),
        )
        .route("/calculator/quote", post(calculator::quote_fragment))
        .route("/usage", get(usage::page))
        .route("/ledger", get(ledger::page))
        .route("/ledger.csv", get(ledger::export_csv))
        .route("/events", get(events::page))
        .route("/packs", get(packs::page))
        .route("/packs/confirm", get(packs::confirm))
        .route("/packs/buy", post(packs::buy))
        .route("/purchases/{outcome}", post(packs::decide_purchase))
        .route("/plan", post(packs::change_plan))
        .route("/admin", get(admin::accounts))
        .route("/admin/rate-card", get(admin::rate_card))
        .route("/admin/webhooks", get(admin::webhooks))
        .route("/admin/grants", post(admin::grant))
        .route("/assets/app.css", get(|| asset(APP_CSS, "text/css")))
        .route("/assets/app.js", get(|| asset(APP_JS, "text/javascript")))
}

async fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&format!("{content_type}; charset=utf-8"))
            .expect("web: a static content type"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// The signed-in user of a dashboard request; without a live session, the request is
/// redirected to the sign-in page.
#[derive(Clone, Debug)]
pub struct WebUser {
    pub principal: Principal,
    pub session_id: String,
    pub csrf: String,
    /// Who the session stands for (the API is called as that key, or that account).
    pub signed_in: session::SignedIn,
}

impl WebUser {
    pub fn is_admin(&self) -> bool {
        self.principal == Principal::Admin
    }

    /// Checks a form's CSRF token.
    pub fn check_csrf(&self, form: &HashMap<String, String>) -> Result<(), PageError> {
        let token = form.get("csrf").map(String::as_str).unwrap_or("");
        if session::tokens_match(token, &self.csrf) {
            Ok(())
        } else {
            Err(PageError::Forbidden)
        }
    }
}

impl FromRequestParts<WebState> for WebUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Response> {
        let Some((session_id, session)) = session::from_headers(&parts.headers, &state.sessions)
        else {
            return Err(redirect_to_sign_in(&state.sessions, false));
        };
        match session.signed_in.principal(state) {
            Ok(principal) => Ok(WebUser {
                principal,
                session_id,
                csrf: session.csrf,
                signed_in: session.signed_in,
            }),
            Err(ApiError::Unauthorized) => {
                // The key was revoked since: the session ends with it.
                state.sessions.remove(&session_id);
                Err(redirect_to_sign_in(&state.sessions, true))
            }
            Err(error) => Err(PageError::Api {
                status: error.status(),
                detail: error.body()["detail"].as_str().unwrap_or("").to_string(),
            }
            .into_response()),
        }
    }
}

fn redirect_to_sign_in(sessions: &Sessions, clear_cookie: bool) -> Response {
    let mut response = redirect("/sign-in");
    if clear_cookie {
        response.headers_mut().insert(
            header::SET_COOKIE,
            HeaderValue::from_str(&sessions.cookie(session::SESSION_COOKIE, None))
                .expect("web: a cookie header"),
        );
    }
    response
}

/// A `303 See Other` to `location` (after a form, and to sign in).
pub fn redirect(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    layout::secure(response)
}

/// Why a page cannot be shown.
#[derive(Debug)]
pub enum PageError {
    /// No such account, or not this key's.
    NotFound,
    /// A form without its session's CSRF token.
    Forbidden,
    /// The API refused or failed.
    Api { status: StatusCode, detail: String },
}

impl PageError {
    /// An API answer that is not a success.
    pub fn from_answer(answer: &api::Answer) -> PageError {
        if answer.status == StatusCode::NOT_FOUND {
            PageError::NotFound
        } else {
            PageError::Api {
                status: answer.status,
                detail: answer.detail(),
            }
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, title, detail) = match self {
            PageError::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is no such account here, or this key may not see it.".to_string(),
            ),
            PageError::Forbidden => (
                StatusCode::FORBIDDEN,
                "Form expired",
                "This form is from another session. Go back, reload the page and try again."
                    .to_string(),
            ),
            PageError::Api { status, detail } => (status, "Something went wrong", detail),
        };
        let body = html!(
            "<section class=\"card\"><h1>{}</h1><p>{}</p><p><a href=\"/\">Back to the dashboard</a></p></section>",
            title,
            detail
        );
        let mut response = layout::bare(title, body);
        *response.status_mut() = status;
        response
    }
}

/// Which account a page is about: an account key's own; for an admin, the `account` named in
/// the query (no account: the accounts list). An account key naming another account gets
/// "not found", whether or not it exists.
pub fn account_for(user: &WebUser, query: &HashMap<String, String>) -> Result<String, NoAccount> {
    let requested = query
        .get("account")
        .map(String::as_str)
        .filter(|id| !id.is_empty());
    match (&user.principal, requested) {
        (Principal::Admin, Some(id)) => Ok(id.to_string()),
        (Principal::Admin, None) => Err(NoAccount::AccountsList),
        (Principal::Account { account_id, .. }, None) => Ok(account_id.clone()),
        (Principal::Account { account_id, .. }, Some(id)) if id == account_id => {
            Ok(account_id.clone())
        }
        (Principal::Account { .. }, Some(_)) => Err(NoAccount::NotFound),
    }
}

/// Why a page has no account to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoAccount {
    /// An admin named none: the accounts list.
    AccountsList,
    /// An account key named another account.
    NotFound,
}

impl IntoResponse for NoAccount {
    fn into_response(self) -> Response {
        match self {
            NoAccount::AccountsList => redirect("/admin"),
            NoAccount::NotFound => PageError::NotFound.into_response(),
        }
    }
}

/// A hidden form field.
pub fn hidden(name: &str, value: &str) -> Html {
    html!(
        "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
        name,
        value
    )
}

/// The hidden fields every state-changing form carries: the CSRF token and, for an admin,
/// the account the page is about.
pub fn form_fields(user: &WebUser, account_id: &str) -> Html {
    let mut fields = hidden("csrf", &user.csrf);
    if user.is_admin() {
        fields.push(hidden("account", account_id));
    }
    fields
}

/// `?account=ID` for an admin's links (an account key's pages need none).
pub fn account_query(user: &WebUser, account_id: &str) -> String {
    if user.is_admin() {
        html::query(&[("account", account_id)])
    } else {
        String::new()
    }
}

/// A form field's text, trimmed (empty when absent).
pub fn field<'a>(form: &'a HashMap<String, String>, name: &str) -> &'a str {
    form.get(name).map_or("", |value| value.trim())
}

/// The longest idempotency token a form may carry.
const FORM_TOKEN_BYTES_MAX: usize = 128;

/// The idempotency key of a form that changes something: its hidden `idempotency` token
/// (drawn when the form was shown, so a double submit replays instead of acting twice).
pub fn form_idempotency_key(form: &HashMap<String, String>) -> Result<String, PageError> {
    let token = field(form, "idempotency");
    let valid = !token.is_empty()
        && token.len() <= FORM_TOKEN_BYTES_MAX
        && token.bytes().all(|byte| byte.is_ascii_alphanumeric());
    if !valid {
        return Err(PageError::Forbidden);
    }
    Ok(format!("dashboard:{token}"))
}

/// A form field as a JSON number when it reads as one (exactly: the text is kept), else as
/// the text itself, which the API refuses naming the field.
pub fn number_or_text(text: &str) -> serde_json::Value {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Number(number)) => serde_json::Value::Number(number),
        _ => serde_json::Value::String(text.to_string()),
    }
}

/// The hidden fields of a form that changes something: CSRF, account, and a fresh
/// idempotency token.
pub fn action_fields(user: &WebUser, account_id: &str) -> Html {
    let mut fields = form_fields(user, account_id);
    fields.push(hidden("idempotency", &session::new_token()));
    fields
}

/// Leaves a notice for the user's next page and sends them to `location`.
pub fn notice_and_redirect(
    state: &WebState,
    user: &WebUser,
    ok: bool,
    message: String,
    location: &str,
) -> Response {
    state
        .sessions
        .set_notice(&user.session_id, session::Notice { ok, message });
    redirect(location)
}

/// The time zone of `account_id` as its account answer names it (`UTC` when it cannot be
/// read): the dashboard shows every date in it.
pub async fn account_zone(
    state: &WebState,
    user: &WebUser,
    account_id: &str,
) -> jiff::tz::TimeZone {
    let answer = api::get(
        state,
        user,
        &format!("/v1/accounts/{}", html::url_component(account_id)),
    )
    .await;
    format::time_zone(answer.body["time_zone"].as_str().unwrap_or("UTC"))
}
