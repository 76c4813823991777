//! Stripe's webhook signatures, checked exactly as Stripe signs them: the `Stripe-Signature`
//! header is `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "{t}.{raw body}")>`, with one `v1`
//! per signing secret while a secret rolls (and a `v0` in test mode, which is ignored). The
//! raw body's bytes are what is signed: they are checked before anything parses them.
//!
//! Pure: the instant to check the timestamp against is passed in (the server's clock, which
//! a test clock moves).

use tally_core::Timestamp;
use tally_core::time::MICROS_PER_SECOND;

use crate::secret::constant_time_eq;
use crate::secret::{hex, hmac_sha256};

/// How far a signature's timestamp may be from the server's clock, either way (Stripe's
/// libraries default to the same 300 seconds).
pub const SIGNATURE_TOLERANCE_SECONDS: i64 = 300;

/// The prefix of every Stripe webhook signing secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// The signing secrets of the Stripe webhook endpoints Tally accepts events from: several
/// while one rolls. Empty: the adapter is off.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WebhookSecrets(Vec<String>);

impl WebhookSecrets {
    /// The secrets, checked: each is a `whsec_…` secret (a mistyped API key is refused here,
    /// rather than every event later).
    pub fn new(secrets: Vec<String>) -> Result<Self, String> {
        for secret in &secrets {
            let rest = secret.strip_prefix(SECRET_PREFIX).unwrap_or_default();
            if rest.is_empty() {
                return Err(format!(
                    "a Stripe webhook signing secret starts with `{SECRET_PREFIX}` (the \
                     endpoint's \"Signing secret\" in Stripe's dashboard); got one that does not"
                ));
            }
        }
        Ok(WebhookSecrets(secrets))
    }

    /// Whether the adapter is on.
    pub fn is_on(&self) -> bool {
        !self.0.is_empty()
    }

    /// Whether `header` signs `body` with one of the secrets, at a time within the tolerance
    /// of `now`.
    pub fn verify(&self, header: &str, body: &[u8], now: Timestamp) -> Result<(), SignatureError> {
        let signature = parse_header(header)?;
        let now_seconds = now.as_micros().div_euclid(MICROS_PER_SECOND);
        let age_seconds = now_seconds.saturating_sub(signature.timestamp);
        if age_seconds.saturating_abs() > SIGNATURE_TOLERANCE_SECONDS {
            return Err(SignatureError::OutsideTolerance { age_seconds });
        }
        let signed = self.0.iter().any(|secret| {
            let expected = hex(&sign(secret, signature.timestamp, body));
            signature
                .v1
                .iter()
                .any(|given| constant_time_eq(expected.as_bytes(), given.as_bytes()))
        });
        if signed {
            Ok(())
        } else {
            Err(SignatureError::NoMatch)
        }
    }
}

/// Why a signature was refused (logged; the caller only learns that it was).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("stripe: no Stripe-Signature header")]
    Missing,
    #[error("stripe: the Stripe-Signature header is not `t=<unix seconds>,v1=<hex>`")]
    Malformed,
    #[error("stripe: the signature's timestamp is {age_seconds} s from the server's clock")]
    OutsideTolerance { age_seconds: i64 },
    #[error("stripe: no v1 signature matches a configured secret")]
    NoMatch,
}

/// A parsed `Stripe-Signature` header.
#[derive(Debug, PartialEq, Eq)]
struct SignatureHeader {
    timestamp: i64,
    /// The `v1` signatures, lower-cased.
    v1: Vec<String>,
}

/// The longest `Stripe-Signature` header read (a timestamp and a few signatures).
const HEADER_BYTES_MAX: usize = 4096;

fn parse_header(header: &str) -> Result<SignatureHeader, SignatureError> {
    if header.len() > HEADER_BYTES_MAX {
        return Err(SignatureError::Malformed);
    }
    let mut timestamp = None;
    let mut v1 = Vec::new();
    for item in header.split(',') {
        let (key, value) = item
            .trim()
            .split_once('=')
            .ok_or(SignatureError::Malformed)?;
        match key {
            "t" => {
                let seconds: i64 = value.parse().map_err(|_| SignatureError::Malformed)?;
                // One timestamp: a header naming two says two different things.
                if timestamp.replace(seconds).is_some() {
                    return Err(SignatureError::Malformed);
                }
            }
            "v1" => v1.push(value.to_ascii_lowercase()),
            // `v0` (test mode's legacy scheme) and schemes to come are not ours to check.
            _ => {}
        }
    }
    match timestamp {
        Some(timestamp) if !v1.is_empty() => Ok(SignatureHeader { timestamp, v1 }),
        _ => Err(SignatureError::Malformed),
    }
}

/// HMAC-SHA256 of `"{timestamp}.{body}"` with the secret (all of it, `whsec_` included, as
/// Stripe's libraries use it).
fn sign(secret: &str, timestamp: i64, body: &[u8]) -> [u8; 32] {
    let mut message = format!("{timestamp}.").into_bytes();
    message.extend_from_slice(body);
    hmac_sha256(secret.as_bytes(), &message)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_micros(seconds * MICROS_PER_SECOND)
    }

    fn secrets(list: &[&str]) -> WebhookSecrets {
        WebhookSecrets::new(list.iter().map(|secret| (*secret).to_string()).collect()).unwrap()
    }

    #[test]
    fn a_header_is_a_timestamp_and_one_or_more_v1_signatures() {
        let parsed = parse_header("t=12,v1=AB,v0=cd,v1=ef").unwrap();
        assert_eq!(
            parsed,
            SignatureHeader {
                timestamp: 12,
                v1: vec!["ab".into(), "ef".into()]
            }
        );
        for bad in [
            "",
            "t=12",
            "v1=ab",
            "t=x,v1=ab",
            "t=1,t=2,v1=ab",
            "t=12;v1=ab",
            "t=12,v1",
        ] {
            assert_eq!(parse_header(bad), Err(SignatureError::Malformed), "{bad}");
        }
    }

    #[test]
    fn the_signature_matches_stripes_scheme() {
        // Computed apart from this module: `printf '%s' '1700000000.{"id":"evt_1"}' |
        // openssl dgst -sha256 -hmac whsec_test_secret`.
        let body = br#"{"id":"evt_1"}"#;
        assert_eq!(
            hex(&sign(SECRET, 1_700_000_000, body)),
            "248a374f50f943a28b0f6ab50faf9a7e7e29b710fa26df9fb1618b9bf8ea9c9a"
        );
    }

    #[test]
    fn any_v1_of_any_secret_passes_within_the_tolerance() {
        let body = br#"{"id":"evt_1"}"#;
        let mac = hex(&sign(SECRET, 1000, body));
        let header = format!("t=1000,v1=00ff,v1={mac}");
        let rolled = secrets(&["whsec_new", SECRET]);
        assert_eq!(rolled.verify(&header, body, at(1000)), Ok(()));
        assert_eq!(rolled.verify(&header, body, at(1300)), Ok(()));
        assert_eq!(rolled.verify(&header, body, at(700)), Ok(()));
        assert_eq!(
            rolled.verify(&header, body, at(1301)),
            Err(SignatureError::OutsideTolerance { age_seconds: 301 })
        );
        assert_eq!(
            rolled.verify(&header, body, at(699)),
            Err(SignatureError::OutsideTolerance { age_seconds: -301 })
        );
        assert_eq!(
            secrets(&["whsec_other"]).verify(&header, body, at(1000)),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            rolled.verify(&header, br#"{"id":"evt_2"}"#, at(1000)),
            Err(SignatureError::NoMatch)
        );
    }

    #[test]
    fn a_secret_must_be_a_webhook_signing_secret() {
        assert!(WebhookSecrets::new(vec!["sk_live_123".into()]).is_err());
        assert!(WebhookSecrets::new(vec!["whsec_".into()]).is_err());
        assert!(!WebhookSecrets::default().is_on());
        assert!(secrets(&[SECRET]).is_on());
    }
}
