//! The one authorization point: every request's key becomes a [`Principal`], and every
//! handler asks the principal before it touches anything.
//!
//! Keys are high-entropy secrets; only their SHA-256 is stored and compared (in constant time
//! for the admin key). An account key may act only on its own account: admin-only routes
//! answer 403, other accounts' resources 404, so nothing leaks that they exist.
//!
//! Without an `Authorization` header, the dashboard's session cookie stands for the key that
//! signed in (resolved by the same rules, so a revoked key's sessions stop working; see
//! web/session.rs, which also requires the session's CSRF token on requests that change
//! something). A session a portal link started has no key: it stands for its account
//! ([`SessionAccount`]) and resolves to that account's principal only.

use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::AppState;
use tally_engine::Command;

/// How often a key's `last_used_at` is written at most.
const KEY_TOUCH_INTERVAL: Duration = Duration::from_secs(60);

/// Who is calling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    Admin,
    Account { account_id: String, key_id: String },
}

impl Principal {
    /// Admin-only routes: an account key gets 403 whatever the path names.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        match self {
            Principal::Admin => Ok(()),
            Principal::Account { .. } => Err(ApiError::Forbidden),
        }
    }

    /// A route on `account_id`'s resources: another account's key gets 404.
    pub fn require_account(&self, account_id: &str) -> Result<(), ApiError> {
        match self {
            Principal::Admin => Ok(()),
            Principal::Account {
                account_id: own, ..
            } if own == account_id => Ok(()),
            Principal::Account { .. } => Err(ApiError::NotFound { what: "account" }),
        }
    }

    /// Whether the caller may see a resource of `account_id`.
    pub fn can_see(&self, account_id: &str) -> bool {
        self.require_account(account_id).is_ok()
    }

    /// The account an account key is restricted to (`None` for an admin).
    pub fn owner(&self) -> Option<String> {
        match self {
            Principal::Admin => None,
            Principal::Account { account_id, .. } => Some(account_id.clone()),
        }
    }

    /// Idempotency keys are scoped per API key's account; admin keys share one scope.
    pub fn idempotency_scope(&self) -> String {
        match self {
            Principal::Admin => "admin".to_string(),
            Principal::Account { account_id, .. } => format!("account:{account_id}"),
        }
    }
}

/// The SHA-256 of a key, in hex: what is stored.
pub fn hash_key(key: &str) -> String {
    crate::secret::hex(&Sha256::digest(key.as_bytes()))
}

pub use crate::secret::constant_time_eq;

/// A new account key: `tk_live_` and 160 random bits.
pub fn new_account_key() -> String {
    format!("tk_live_{}", tally_engine::ids::random_token(20))
}

/// The key a request is made with when it came without `Authorization`: put in the request's
/// extensions by a layer that authenticated it otherwise (the dashboard's sessions). The key
/// is resolved by the same rules as a bearer key, so a revoked key stops working there too.
#[derive(Clone, Debug)]
pub struct SessionKey {
    /// The hash of the key ([`hash_key`]).
    pub key_hash: String,
}

/// The account a request is made as when it came without `Authorization` from a session that
/// a portal link started (it has no key): put in the request's extensions by the layer that
/// authenticated it, as [`SessionKey`] is. It resolves to that account's principal only, so
/// everything the session does is what the account's own key could do there.
#[derive(Clone, Debug)]
pub struct SessionAccount {
    pub account_id: String,
    /// The portal link that started the session (its rate limit bucket, in logs its id).
    pub link_id: String,
}

/// Random tokens (sessions, CSRF, idempotency of forms), for crates that do not reach the
/// engine.
pub use tally_engine::ids::random_token;

/// A new admin key: `tk_admin_` and 160 random bits.
pub fn new_admin_key() -> String {
    format!("tk_admin_{}", tally_engine::ids::random_token(20))
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts.headers.get(axum::http::header::AUTHORIZATION);
        // No Authorization header: the key a session layer found for the request, if any.
        if header.is_none()
            && let Some(session) = parts.extensions.get::<SessionKey>()
        {
            return principal_for_key_hash(state, &session.key_hash);
        }
        if header.is_none()
            && let Some(session) = parts.extensions.get::<SessionAccount>()
        {
            return principal_for_session_account(state, session);
        }
        let key = header.and_then(bearer_key).ok_or(ApiError::Unauthorized)?;
        let key_hash = hash_key(key);
        principal_for_key_hash(state, &key_hash)
    }
}

/// The key of an `Authorization: Bearer <key>` header.
fn bearer_key(header: &axum::http::HeaderValue) -> Option<&str> {
    let header = header.to_str().ok()?;
    header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|key| !key.is_empty())
}

/// Who the audit log names for a request: for an admin key, its id (`admin` for the key the
/// server was started with, which has none); `None` for anyone else. Found by the same rules
/// as the [`Principal`] (a bearer key, else the dashboard session's key), and asked for only
/// by routes that make admin actions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Actor(pub Option<String>);

/// The id the audit log gives the admin key `tally serve` was started with.
pub const STARTUP_ADMIN_ACTOR: &str = "admin";

impl Actor {
    pub fn of(parts: &Parts, state: &AppState) -> Actor {
        let key_hash = match parts.headers.get(axum::http::header::AUTHORIZATION) {
            Some(header) => bearer_key(header).map(hash_key),
            None => parts
                .extensions
                .get::<SessionKey>()
                .map(|session| session.key_hash.clone()),
        };
        let Some(key_hash) = key_hash else {
            return Actor(None);
        };
        if constant_time_eq(key_hash.as_bytes(), state.admin_key_hash.as_bytes()) {
            return Actor(Some(STARTUP_ADMIN_ACTOR.to_string()));
        }
        let record = state.store.api_key_by_hash(&key_hash).ok().flatten();
        Actor(
            record
                .filter(|record| record.account_id.is_none() && record.revoked_at.is_none())
                .map(|record| record.id),
        )
    }

    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl FromRequestParts<AppState> for Actor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, std::convert::Infallible> {
        Ok(Actor::of(parts, state))
    }
}

/// Resolves the hash of a key to its principal: the admin key, or a stored key that is not
/// revoked (each use takes from the key's rate limit).
pub fn principal_for_key_hash(state: &AppState, key_hash: &str) -> Result<Principal, ApiError> {
    if constant_time_eq(key_hash.as_bytes(), state.admin_key_hash.as_bytes()) {
        state.limits.take("admin", true)?;
        return Ok(Principal::Admin);
    }
    let record = state
        .store
        .api_key_by_hash(key_hash)?
        .ok_or(ApiError::Unauthorized)?;
    if record.revoked_at.is_some() {
        return Err(ApiError::Unauthorized);
    }
    let Some(account_id) = record.account_id else {
        state.limits.take(&record.id, true)?;
        return Ok(Principal::Admin);
    };
    state.limits.take(&record.id, false)?;
    touch(state, &record.id);
    Ok(Principal::Account {
        account_id,
        key_id: record.id,
    })
}

/// The principal of a session a portal link started: its account, limited like an account
/// key (the link's id is its bucket).
pub fn principal_for_session_account(
    state: &AppState,
    session: &SessionAccount,
) -> Result<Principal, ApiError> {
    state.limits.take(&session.link_id, false)?;
    Ok(Principal::Account {
        account_id: session.account_id.clone(),
        key_id: session.link_id.clone(),
    })
}

/// Records a key's use, at most once per [`KEY_TOUCH_INTERVAL`] per key.
fn touch(state: &AppState, key_id: &str) {
    let now = Instant::now();
    let mut touched = state
        .key_touches
        .lock()
        .expect("auth: key touches poisoned");
    let due = touched
        .get(key_id)
        .is_none_or(|last| now.duration_since(*last) >= KEY_TOUCH_INTERVAL);
    if due {
        touched.insert(key_id.to_string(), now);
        drop(touched);
        state.engine.submit_detached(Command::TouchApiKey {
            key_id: key_id.to_string(),
            at: state.clock.now(),
        });
    }
}
