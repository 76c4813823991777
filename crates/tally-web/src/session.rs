//! Dashboard sessions: a server-side map from a random session id (the cookie) to who signed
//! in ([`SignedIn`]: the hash of the key, or the account a portal link was minted for), with
//! an expiry, a CSRF token and a one-shot notice.
//!
//! The key itself is never kept, never put in a URL and never logged. Every request resolves
//! the key's hash again through [`tally_server::auth::principal_for_key_hash`], so a revoked key's
//! sessions stop working at once; a portal session is its account's, and ends at its expiry.
//! The cookie is `HttpOnly; SameSite=Strict; Path=/` (`Secure` when the public URL is https);
//! a portal session's is `SameSite=Lax`, because it is set at the end of a redirect another
//! site (the platform) started, and browsers withhold Strict cookies for the rest of such a
//! navigation. Requests that change something also carry the session's CSRF token (a form
//! field, or the `X-CSRF-Token` header for the JSON API), so Lax lets no other site act.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{Extensions, HeaderMap, Method};

use tally_server::AppState;
use tally_server::auth::{Principal, SessionAccount, SessionKey, constant_time_eq};
use tally_server::error::ApiError;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "tally_session";

/// The cookie that carries the sign-in form's CSRF token before there is a session.
pub const SIGN_IN_COOKIE: &str = "tally_sign_in";

/// The header the JSON API reads a session's CSRF token from.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How long a session lasts from sign-in.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 60 * 60);

/// The most sessions kept at once; past it, the one closest to expiry is dropped.
pub const SESSIONS_MAX: usize = 100_000;

/// Random bytes in a session id and in a CSRF token (256 bits).
const TOKEN_BYTES: usize = 32;

/// A notice shown once on the next page (after a purchase, a plan change, a grant).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub ok: bool,
    pub message: String,
}

/// Who a session stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignedIn {
    /// Signed in with a key: the SHA-256 of the key.
    Key { key_hash: String },
    /// Signed in with a portal link: the link's account (there is no key).
    Portal {
        account_id: String,
        link_id: String,
        /// The platform's page to go back to, if the link named one.
        return_url: Option<String>,
    },
}

impl SignedIn {
    /// Marks a request to the API as made by this session (see `tally_server::auth`).
    pub fn authorize(&self, extensions: &mut Extensions) {
        match self {
            SignedIn::Key { key_hash } => {
                extensions.insert(SessionKey {
                    key_hash: key_hash.clone(),
                });
            }
            SignedIn::Portal {
                account_id,
                link_id,
                ..
            } => {
                extensions.insert(SessionAccount {
                    account_id: account_id.clone(),
                    link_id: link_id.clone(),
                });
            }
        }
    }

    /// The principal the session acts as, resolved as the API resolves it.
    pub fn principal(&self, state: &AppState) -> Result<Principal, ApiError> {
        match self {
            SignedIn::Key { key_hash } => {
                tally_server::auth::principal_for_key_hash(state, key_hash)
            }
            SignedIn::Portal {
                account_id,
                link_id,
                ..
            } => tally_server::auth::principal_for_session_account(
                state,
                &SessionAccount {
                    account_id: account_id.clone(),
                    link_id: link_id.clone(),
                },
            ),
        }
    }

    /// The `SameSite` of the session's cookie (see the module's documentation).
    fn same_site(&self) -> &'static str {
        match self {
            SignedIn::Key { .. } => "Strict",
            SignedIn::Portal { .. } => "Lax",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Session {
    pub signed_in: SignedIn,
    pub csrf: String,
    pub expires_at: Instant,
    pub notice: Option<Notice>,
}

/// Every live session, by id.
#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
    /// Whether cookies are `Secure` (the public URL is https).
    secure: bool,
}

impl Sessions {
    /// No sessions yet; `secure`: the cookies are `Secure`.
    pub fn new(secure: bool) -> Sessions {
        Sessions {
            map: Mutex::default(),
            secure,
        }
    }

    /// Starts a session for a key's hash; returns its id.
    pub fn create(&self, key_hash: String) -> String {
        self.start(SignedIn::Key { key_hash })
    }

    /// Starts a session for whoever signed in; returns its id.
    pub fn start(&self, signed_in: SignedIn) -> String {
        let id = tally_server::auth::random_token(TOKEN_BYTES);
        let now = Instant::now();
        let session = Session {
            signed_in,
            csrf: tally_server::auth::random_token(TOKEN_BYTES),
            expires_at: now + SESSION_TTL,
            notice: None,
        };
        let mut map = self.lock();
        if map.len() >= SESSIONS_MAX {
            map.retain(|_, session| session.expires_at > now);
        }
        if map.len() >= SESSIONS_MAX
            && let Some(oldest) = map
                .iter()
                .min_by_key(|(_, session)| session.expires_at)
                .map(|(id, _)| id.clone())
        {
            map.remove(&oldest);
        }
        map.insert(id.clone(), session);
        id
    }

    /// The live session with this id (an expired one is dropped).
    pub fn get(&self, id: &str) -> Option<Session> {
        let mut map = self.lock();
        let session = map.get(id)?;
        if session.expires_at <= Instant::now() {
            map.remove(id);
            return None;
        }
        Some(session.clone())
    }

    pub fn remove(&self, id: &str) {
        self.lock().remove(id);
    }

    /// Leaves a notice for the session's next page.
    pub fn set_notice(&self, id: &str, notice: Notice) {
        if let Some(session) = self.lock().get_mut(id) {
            session.notice = Some(notice);
        }
    }

    /// Takes the session's notice, if any.
    pub fn take_notice(&self, id: &str) -> Option<Notice> {
        self.lock()
            .get_mut(id)
            .and_then(|session| session.notice.take())
    }

    /// A `Set-Cookie` value for a cookie of these sessions (`None` clears it): as
    /// [`set_cookie`] makes it, `Secure` when the public URL is https.
    pub fn cookie(&self, name: &str, value: Option<&str>) -> String {
        self.cookie_same_site(name, value, "Strict")
    }

    /// The `Set-Cookie` value of a new session's cookie.
    pub fn session_cookie(&self, id: &str, signed_in: &SignedIn) -> String {
        self.cookie_same_site(SESSION_COOKIE, Some(id), signed_in.same_site())
    }

    fn cookie_same_site(&self, name: &str, value: Option<&str>, same_site: &str) -> String {
        let mut cookie = cookie_with(name, value, same_site);
        if self.secure {
            cookie.push_str("; Secure");
        }
        cookie
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.map.lock().expect("web: sessions poisoned")
    }
}

/// A new random token (CSRF for sign-in, idempotency keys of forms).
pub fn new_token() -> String {
    tally_server::auth::random_token(TOKEN_BYTES)
}

/// The value of the cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
}

/// A `Set-Cookie` value for a session-bound cookie (`None` clears it).
pub fn set_cookie(name: &str, value: Option<&str>) -> String {
    cookie_with(name, value, "Strict")
}

/// A `Set-Cookie` value for a session-bound cookie with this `SameSite`.
fn cookie_with(name: &str, value: Option<&str>, same_site: &str) -> String {
    match value {
        Some(value) => format!(
            "{name}={value}; HttpOnly; SameSite={same_site}; Path=/; Max-Age={}",
            SESSION_TTL.as_secs()
        ),
        None => format!("{name}=; HttpOnly; SameSite={same_site}; Path=/; Max-Age=0"),
    }
}

/// Whether two tokens are equal (in time independent of where they differ).
pub fn tokens_match(left: &str, right: &str) -> bool {
    !left.is_empty() && constant_time_eq(left.as_bytes(), right.as_bytes())
}

/// The session a request's cookie names, with its id.
pub fn from_headers(headers: &HeaderMap, sessions: &Sessions) -> Option<(String, Session)> {
    let id = cookie(headers, SESSION_COOKIE)?;
    let session = sessions.get(id)?;
    Some((id.to_string(), session))
}

/// For the JSON API (the session layer, when there is no `Authorization` header): who the
/// request's session stands for. A request that may change something must also carry the
/// session's CSRF token in `X-CSRF-Token`; without it the cookie counts for nothing.
pub fn api_signed_in(
    method: &Method,
    headers: &HeaderMap,
    sessions: &Sessions,
) -> Option<SignedIn> {
    let (_, session) = from_headers(headers, sessions)?;
    let safe = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        let token = headers.get(CSRF_HEADER)?.to_str().ok()?;
        if !tokens_match(token, &session.csrf) {
            return None;
        }
    }
    Some(session.signed_in)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn sessions_live_until_removed() {
        let sessions = Sessions::default();
        let id = sessions.create("hash".into());
        assert_eq!(id.len(), 52);
        let session = sessions.get(&id).unwrap();
        assert_eq!(
            session.signed_in,
            SignedIn::Key {
                key_hash: "hash".into()
            }
        );
        assert_ne!(session.csrf, id);
        sessions.set_notice(
            &id,
            Notice {
                ok: true,
                message: "done".into(),
            },
        );
        assert_eq!(sessions.take_notice(&id).unwrap().message, "done");
        assert_eq!(sessions.take_notice(&id), None);
        sessions.remove(&id);
        assert!(sessions.get(&id).is_none());
        assert!(sessions.get("unknown").is_none());
    }

    #[test]
    fn cookies_are_read_by_name() {
        let mut headers = HeaderMap::new();
        headers.append(
            axum::http::header::COOKIE,
            HeaderValue::from_static("a=1; tally_session=abc ; b=2"),
        );
        headers.append(
            axum::http::header::COOKIE,
            HeaderValue::from_static("tally_sign_in=xyz"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, SIGN_IN_COOKIE), Some("xyz"));
        assert_eq!(cookie(&headers, "missing"), None);
        let set = set_cookie(SESSION_COOKIE, Some("abc"));
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"));
        assert!(set.contains("Path=/"));
        assert!(set_cookie(SESSION_COOKIE, None).contains("Max-Age=0"));
        assert!(!set.contains("Secure"));
    }

    #[test]
    fn cookies_are_secure_behind_https_and_portal_sessions_lax() {
        let portal = SignedIn::Portal {
            account_id: "acct".into(),
            link_id: "portal_1".into(),
            return_url: None,
        };
        let key = SignedIn::Key {
            key_hash: "hash".into(),
        };
        for secure in [false, true] {
            let sessions = Sessions::new(secure);
            for cookie in [
                sessions.cookie(SIGN_IN_COOKIE, Some("t")),
                sessions.cookie(SESSION_COOKIE, None),
                sessions.session_cookie("id", &key),
                sessions.session_cookie("id", &portal),
            ] {
                assert_eq!(cookie.ends_with("; Secure"), secure, "{cookie}");
                assert!(cookie.contains("HttpOnly"), "{cookie}");
            }
            assert!(
                sessions
                    .session_cookie("id", &key)
                    .contains("SameSite=Strict")
            );
            let lax = sessions.session_cookie("id", &portal);
            assert!(lax.starts_with("tally_session=id;") && lax.contains("SameSite=Lax"));
        }
    }

    #[test]
    fn tokens_compare_exactly() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abc", "abd"));
        assert!(!tokens_match("", ""));
        assert!(!tokens_match("abc", "abcd"));
    }
}
