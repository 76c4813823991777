//! `GET /portal/{token}`: a portal link's visit. The platform's backend minted the link
//! (`POST /v1/accounts/{id}/portal-sessions`) and redirected its signed-in user here: the
//! first visit before the link expires starts a dashboard session for that account (it holds
//! no key: the account itself, see [`SignedIn::Portal`]) and is sent on to the overview. A
//! used, expired or unknown link gets the sign-in page with a message saying so, `410 Gone`,
//! and no session; nothing else changes. A `HEAD` does not use the link.
//!
//! The session lives as long as a key's ([`crate::session::SESSION_TTL`]) and ends then, or
//! at sign-out; there is no key to revoke. The token is never logged (the request log writes
//! `/portal/…`).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tally_core::Rejection;
use tally_server::routes::portal::{PortalRefusal, redeem};

use crate::session::{self, SignedIn};
use crate::{WebState, layout, redirect, sign_in};

pub async fn visit(
    State(state): State<WebState>,
    method: Method,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    // A HEAD (a link checker, a preview) says nothing of the link and does not use it.
    if method == Method::HEAD {
        return layout::secure(StatusCode::OK.into_response());
    }
    let link = match redeem(&state, &token).await {
        Ok(link) => link,
        Err(refusal) => return refused(&state, &refusal),
    };
    // A session this browser had (another account's, an operator's) ends: the link says who
    // the visitor is now.
    if let Some((old, _)) = session::from_headers(&headers, &state.sessions) {
        state.sessions.remove(&old);
    }
    let signed_in = SignedIn::Portal {
        account_id: link.account_id,
        link_id: link.id,
        return_url: link.return_url,
    };
    let id = state.sessions.start(signed_in.clone());
    let mut response = redirect("/");
    if let Ok(value) = HeaderValue::from_str(&state.sessions.session_cookie(&id, &signed_in)) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

fn refused(state: &WebState, refusal: &PortalRefusal) -> Response {
    let (status, message) = match refusal {
        PortalRefusal::Refused(Rejection::PortalLinkUsed) => (
            StatusCode::GONE,
            "This sign-in link was used already: each link works once. Open the dashboard \
             again from the site that sent you here.",
        ),
        PortalRefusal::Refused(Rejection::PortalLinkExpired) => (
            StatusCode::GONE,
            "This sign-in link has expired. Open the dashboard again from the site that sent \
             you here.",
        ),
        PortalRefusal::Refused(_) => (
            StatusCode::GONE,
            "This sign-in link is not valid. Open the dashboard again from the site that sent \
             you here.",
        ),
        PortalRefusal::Failed(error) => (
            error.status(),
            "Cannot sign in now. Please try the link again in a moment.",
        ),
    };
    sign_in::portal_refused(&state.sessions, status, message)
}
