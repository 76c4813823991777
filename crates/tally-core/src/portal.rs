//! Portal links: single-use, short-lived links that sign their visitor in to one account's
//! dashboard without a key. The platform's backend mints one for its signed-in user and
//! redirects the user to it; the first visit before it expires starts a session, and that
//! visit marks it used, so no later one does.
//!
//! Only the SHA-256 of the link's token is kept (like an API key's), never the token.

use crate::{Rejection, Timestamp};

/// The shortest time to live a link may be given, in seconds.
pub const PORTAL_TTL_SECONDS_MIN: i64 = 1;

/// The longest time to live a link may be given, in seconds (an hour: a link is for a
/// redirect that happens at once, not for an inbox).
pub const PORTAL_TTL_SECONDS_MAX: i64 = 3600;

/// The time to live of a link minted without one, in seconds.
pub const PORTAL_TTL_SECONDS_DEFAULT: i64 = 300;

/// The longest `return_url` a link may carry, in bytes.
pub const PORTAL_RETURN_URL_BYTES_MAX: usize = 2048;

/// A portal link as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortalLink {
    pub id: String,
    pub account_id: String,
    /// The SHA-256 of the token, in hex.
    pub token_hash: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// Where the dashboard sends the visitor back to (the platform's page), if anywhere.
    pub return_url: Option<String>,
    /// When a visit used it (`None`: not yet).
    pub used_at: Option<Timestamp>,
}

impl PortalLink {
    /// A new link, unused, living `ttl_seconds` from `at`.
    pub fn new(
        id: String,
        account_id: String,
        token_hash: String,
        at: Timestamp,
        ttl_seconds: i64,
        return_url: Option<String>,
    ) -> Result<PortalLink, Rejection> {
        if !(PORTAL_TTL_SECONDS_MIN..=PORTAL_TTL_SECONDS_MAX).contains(&ttl_seconds) {
            return Err(Rejection::PortalTtlInvalid);
        }
        Ok(PortalLink {
            id,
            account_id,
            token_hash,
            created_at: at,
            expires_at: at.plus_seconds(ttl_seconds),
            return_url,
            used_at: None,
        })
    }

    /// Uses the link at `at`: refused when it was used before or has expired (at its
    /// `expires_at` it has), and then nothing changes.
    pub fn redeem(&mut self, at: Timestamp) -> Result<(), Rejection> {
        if self.used_at.is_some() {
            return Err(Rejection::PortalLinkUsed);
        }
        if at >= self.expires_at {
            return Err(Rejection::PortalLinkExpired);
        }
        self.used_at = Some(at);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AT: Timestamp = Timestamp::from_micros(1_700_000_000_000_000);

    fn link(ttl_seconds: i64) -> Result<PortalLink, Rejection> {
        PortalLink::new(
            "portal_1".into(),
            "acct".into(),
            "hash".into(),
            AT,
            ttl_seconds,
            None,
        )
    }

    #[test]
    fn the_time_to_live_is_from_one_second_to_an_hour() {
        for bad in [i64::MIN, -1, 0, 3601, i64::MAX] {
            assert_eq!(link(bad), Err(Rejection::PortalTtlInvalid), "{bad}");
        }
        assert_eq!(link(1).unwrap().expires_at, AT.plus_seconds(1));
        assert_eq!(link(3600).unwrap().expires_at, AT.plus_seconds(3600));
    }

    #[test]
    fn a_link_is_used_once_and_only_before_it_expires() {
        let mut fresh = link(300).unwrap();
        let before = fresh.clone();
        assert_eq!(
            fresh.redeem(AT.plus_seconds(300)),
            Err(Rejection::PortalLinkExpired)
        );
        assert_eq!(fresh, before, "a refusal changes nothing");
        let last = Timestamp::from_micros(AT.plus_seconds(300).as_micros() - 1);
        assert_eq!(fresh.redeem(last), Ok(()));
        assert_eq!(fresh.used_at, Some(last));
        let used = fresh.clone();
        assert_eq!(fresh.redeem(last), Err(Rejection::PortalLinkUsed));
        assert_eq!(fresh.redeem(AT), Err(Rejection::PortalLinkUsed));
        assert_eq!(fresh, used);
    }
}
