//! Sign in with an API key (posted in a form body, never in a URL), and sign out.
//!
//! An account key shows its account; an admin key shows the accounts list first. A wrong key
//! shows an error and nothing else. The sign-in form has its own CSRF token (a cookie and a
//! field), so no other site can sign a browser in with a key of its choosing.

use std::collections::HashMap;

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::html::Html;
use super::session::{self, SESSION_COOKIE, SIGN_IN_COOKIE, Sessions, SignedIn};
use super::{WebUser, field, layout, redirect};
use crate::WebState;
use crate::html;
use tally_server::auth::{hash_key, principal_for_key_hash};
use tally_server::error::ApiError;

/// The longest key the form accepts (real keys are about 40 characters).
const KEY_BYTES_MAX: usize = 512;

fn form_page(sessions: &Sessions, token: &str, error: Option<&str>) -> Response {
    let mut response = sign_in_page(sessions, token, error, error.is_some());
    if error.is_some() {
        *response.status_mut() = StatusCode::UNAUTHORIZED;
    }
    response
}

/// The sign-in page for a visit of a portal link that signs no one in (used, expired or
/// unknown): `410 Gone` with `message`, no session, and the key form for operators.
pub fn portal_refused(sessions: &Sessions, status: StatusCode, message: &str) -> Response {
    let mut response = sign_in_page(sessions, &session::new_token(), Some(message), false);
    *response.status_mut() = status;
    response
}

/// The sign-in page, with an error above the form (`key_invalid`: it is about the key that
/// was entered, and the field says so).
fn sign_in_page(
    sessions: &Sessions,
    token: &str,
    error: Option<&str>,
    key_invalid: bool,
) -> Response {
    let error_html = match error {
        Some(message) => html!(
            "<p class=\"notice error\" role=\"alert\" id=\"sign-in-error\" data-testid=\"sign-in-error\">{}</p>",
            message
        ),
        None => Html::default(),
    };
    let describedby = if key_invalid {
        html!(" aria-describedby=\"sign-in-error\" aria-invalid=\"true\"")
    } else {
        Html::default()
    };
    let body = html!(
        "<section class=\"card narrow\"><h1>Sign in</h1>\
         <p>Use an account key to see that account, or an admin key to see every account.</p>\
         {}<form method=\"post\" action=\"/sign-in\" class=\"stack\">{}\
         <label for=\"key\">API key</label>\
         <input id=\"key\" name=\"key\" type=\"password\" required autocomplete=\"off\" \
         spellcheck=\"false\" autofocus data-testid=\"key-input\"{}>\
         <button type=\"submit\" data-testid=\"sign-in\">Sign in</button></form>\
         <p class=\"muted\">The key is sent once to start a session; it is never stored in \
         the browser.</p>\
         <h2>Where to get a key</h2>\
         <p data-testid=\"key-help\">An <b>account key</b> comes from your platform's \
         administrator, who issues it for your account (<code>tally keys create ACCOUNT</code>, \
         or <code>POST /v1/accounts/{{id}}/keys</code> with the admin key); it is shown once, \
         when it is made. The <b>admin key</b> is the one <code>tally serve</code> printed on \
         its first start (or was given with <code>--admin-key</code>). Your platform may also \
         sign you in with a link instead, without a key.</p></section>",
        error_html,
        super::hidden("csrf", token),
        describedby
    );
    let mut response = layout::bare("Sign in", body);
    if let Ok(value) = HeaderValue::from_str(&sessions.cookie(SIGN_IN_COOKIE, Some(token))) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

pub async fn form(State(state): State<WebState>, headers: HeaderMap) -> Response {
    if session::from_headers(&headers, &state.sessions).is_some() {
        return redirect("/");
    }
    form_page(&state.sessions, &session::new_token(), None)
}

pub async fn submit(
    State(state): State<WebState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let expected = session::cookie(&headers, SIGN_IN_COOKIE).unwrap_or("");
    if !session::tokens_match(field(&form, "csrf"), expected) {
        return form_page(
            &state.sessions,
            &session::new_token(),
            Some("The sign-in form expired. Please enter the key again."),
        );
    }
    let key = field(&form, "key");
    if key.is_empty() || key.len() > KEY_BYTES_MAX {
        return form_page(&state.sessions, expected, Some("That key is not valid."));
    }
    let key_hash = hash_key(key);
    match principal_for_key_hash(&state, &key_hash) {
        Ok(_) => {
            let signed_in = SignedIn::Key { key_hash };
            let id = state.sessions.start(signed_in.clone());
            let mut response = redirect("/");
            let headers = response.headers_mut();
            for cookie in [
                state.sessions.session_cookie(&id, &signed_in),
                state.sessions.cookie(SIGN_IN_COOKIE, None),
            ] {
                if let Ok(value) = HeaderValue::from_str(&cookie) {
                    headers.append(header::SET_COOKIE, value);
                }
            }
            response
        }
        Err(ApiError::Unauthorized) => form_page(
            &state.sessions,
            expected,
            Some("That key is not valid. Check it and try again."),
        ),
        Err(error) => form_page(
            &state.sessions,
            expected,
            Some(&format!(
                "Cannot sign in now: {}",
                error.body()["detail"].as_str().unwrap_or("try again later")
            )),
        ),
    }
}

pub async fn sign_out(
    State(state): State<WebState>,
    user: WebUser,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Err(error) = user.check_csrf(&form) {
        return error.into_response();
    }
    state.sessions.remove(&user.session_id);
    let mut response = redirect("/sign-in");
    if let Ok(value) = HeaderValue::from_str(&state.sessions.cookie(SESSION_COOKIE, None)) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}
