//! Portal links: `POST /v1/accounts/{id}/portal-sessions` mints a single-use URL that signs
//! its visitor in to that account's dashboard without a key (the dashboard redeems it). The
//! token is drawn here and only its hash goes to the engine; the URL is shown once, so the
//! route takes no `Idempotency-Key` (a kept answer would keep the token): a retry mints
//! another link, and an unused link dies at its expiry.

use axum::extract::State;
use axum::response::Response;

use super::write::{Context, Decode, OwnAccount, Prepared, WriteRequest, WriteRoute, run};
use crate::auth::{Principal, hash_key};
use crate::error::ApiError;
use crate::json::Fields;
use crate::state::AppState;
use tally_core::portal::{
    PORTAL_RETURN_URL_BYTES_MAX, PORTAL_TTL_SECONDS_DEFAULT, PORTAL_TTL_SECONDS_MAX,
    PORTAL_TTL_SECONDS_MIN,
};
use tally_core::{PortalLink, Rejection};
use tally_engine::{Command, EngineError, Outcome};

/// Random bytes in a portal link's token (256 bits).
pub const PORTAL_TOKEN_BYTES: usize = 32;

/// The path under which the dashboard redeems portal links (`/portal/{token}`).
pub const PORTAL_PATH_PREFIX: &str = "/portal/";

/// The body of `POST /v1/accounts/{id}/portal-sessions`.
pub struct PortalSessionRequest {
    pub ttl_seconds: i64,
    pub return_url: Option<String>,
}

impl Decode for PortalSessionRequest {
    type Target = OwnAccount;

    const IDEMPOTENT: bool = false;

    const FIELDS: &'static [&'static str] = &["ttl_seconds", "return_url"];

    fn schema() -> serde_json::Value {
        use crate::schema::*;
        body(
            &[],
            serde_json::json!({
                "ttl_seconds": integer(PORTAL_TTL_SECONDS_MIN, PORTAL_TTL_SECONDS_MAX),
                "return_url": {"type": "string", "maxLength": PORTAL_RETURN_URL_BYTES_MAX, "format": "uri", "description": "An absolute http:// or https:// URL."},
            }),
        )
    }

    fn decode(fields: &mut Fields, _: &Context<'_, OwnAccount>) -> Result<Self, ApiError> {
        let ttl_seconds = fields
            .integer(
                "ttl_seconds",
                PORTAL_TTL_SECONDS_MIN,
                PORTAL_TTL_SECONDS_MAX,
            )?
            .unwrap_or(PORTAL_TTL_SECONDS_DEFAULT);
        let return_url = fields.string("return_url", PORTAL_RETURN_URL_BYTES_MAX)?;
        if let Some(url) = &return_url
            && !is_web_url(url)
        {
            return Err(ApiError::invalid_request(
                "return_url",
                "`return_url` must be an absolute http:// or https:// URL without spaces",
            ));
        }
        Ok(PortalSessionRequest {
            ttl_seconds,
            return_url,
        })
    }
}

/// Whether `url` is an absolute `http(s)://host…` URL of printable ASCII without spaces (the
/// dashboard links to it, so no `javascript:` and nothing that breaks out of an attribute).
pub fn is_web_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    rest.is_some_and(|rest| {
        !rest.is_empty()
            && !rest.starts_with('/')
            && url.bytes().all(|byte| (0x21..0x7f).contains(&byte))
    })
}

/// `POST /v1/accounts/{id}/portal-sessions`.
pub struct CreatePortalSession;

impl WriteRoute for CreatePortalSession {
    type Body = PortalSessionRequest;

    fn prepare(
        state: &AppState,
        _: &Principal,
        OwnAccount(account_id): OwnAccount,
        PortalSessionRequest {
            ttl_seconds,
            return_url,
        }: PortalSessionRequest,
    ) -> Result<Prepared, ApiError> {
        let token = tally_engine::ids::random_token(PORTAL_TOKEN_BYTES);
        Ok(Prepared::engine(Command::CreatePortalLink {
            account_id,
            token_hash: hash_key(&token),
            url: format!("{}{PORTAL_PATH_PREFIX}{token}", state.public_url),
            ttl_seconds,
            return_url,
        }))
    }
}

pub async fn create_portal_session(
    State(state): State<AppState>,
    request: WriteRequest<PortalSessionRequest>,
) -> Response {
    run::<CreatePortalSession>(&state, request).await
}

/// The longest token a visit may name (real ones are 52 characters); anything longer, or not
/// alphanumeric, is unknown without asking the engine.
const PORTAL_TOKEN_CHARS_MAX: usize = 128;

/// Why a visit of a portal link signs no one in.
#[derive(Debug)]
pub enum PortalRefusal {
    /// Unknown, used or expired (`PortalLinkNotFound`, `PortalLinkUsed`, `PortalLinkExpired`):
    /// nothing changed.
    Refused(Rejection),
    /// The engine or the store could not answer: nothing changed; try again.
    Failed(ApiError),
}

/// Redeems the portal link `token` names (the dashboard's `GET /portal/{token}`): through the
/// engine, which marks it used in the same batch, so of any number of visits, on any number
/// of nodes, one gets the link and every other is refused. The token is never logged.
pub async fn redeem(state: &AppState, token: &str) -> Result<PortalLink, PortalRefusal> {
    let plausible = !token.is_empty()
        && token.len() <= PORTAL_TOKEN_CHARS_MAX
        && token.bytes().all(|byte| byte.is_ascii_alphanumeric());
    if !plausible {
        return Err(PortalRefusal::Refused(Rejection::PortalLinkNotFound));
    }
    let command = Command::RedeemPortalLink {
        token_hash: hash_key(token),
    };
    match state.engine.submit(command, None).await {
        Ok(answer) => match answer.outcome() {
            Some(Outcome::PortalLinkRedeemed(link)) => Ok(*link.clone()),
            other => {
                tracing::error!(?other, "portal: the engine answered a redemption oddly");
                Err(PortalRefusal::Failed(ApiError::Internal))
            }
        },
        Err(EngineError::Rejected(rejection)) => Err(PortalRefusal::Refused(rejection)),
        Err(error) => Err(PortalRefusal::Failed(error.into())),
    }
}

#[cfg(test)]
mod tests {
    use super::is_web_url;

    #[test]
    fn return_urls_are_absolute_web_urls() {
        for good in [
            "https://app.example.com",
            "http://localhost:3000/billing?x=1#y",
        ] {
            assert!(is_web_url(good), "{good}");
        }
        for bad in [
            "",
            "https://",
            "https:///path",
            "/billing",
            "javascript:alert(1)",
            "ftp://example.com",
            "https://example.com/a b",
            "https://exämple.com",
        ] {
            assert!(!is_web_url(bad), "{bad}");
        }
    }
}
