//! Standard Webhooks signatures: `webhook-signature: v1,<base64 HMAC-SHA256>` over
//! `{id}.{timestamp}.{body}`, keyed with the base64-decoded part of a `whsec_…` secret after
//! the prefix; one `v1,…` per signing secret, space-separated (two during a rotation).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::secret::hmac_sha256;

/// The prefix of every endpoint secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// The random bytes of a new secret (Standard Webhooks asks for 24 to 64).
pub const SECRET_BYTES: usize = 24;

/// A new `whsec_…` secret.
pub fn new_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    getrandom::fill(&mut bytes).expect("webhooks: the system's random source failed");
    format!("{SECRET_PREFIX}{}", BASE64.encode(bytes))
}

/// One signature (`v1,…`) of a message with `secret` (`None`: not a `whsec_` secret with a
/// base64 key, which no endpoint of ours has).
pub fn sign(secret: &str, id: &str, timestamp_seconds: i64, body: &str) -> Option<String> {
    let key = BASE64.decode(secret.strip_prefix(SECRET_PREFIX)?).ok()?;
    let message = format!("{id}.{timestamp_seconds}.{body}");
    let mac = hmac_sha256(&key, message.as_bytes());
    Some(format!("v1,{}", BASE64.encode(mac)))
}

/// The `webhook-signature` header's value: a signature per secret, space-separated.
pub fn header(secrets: &[&str], id: &str, timestamp_seconds: i64, body: &str) -> String {
    let signatures: Vec<String> = secrets
        .iter()
        .filter_map(|secret| sign(secret, id, timestamp_seconds, body))
        .collect();
    signatures.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_the_standard_webhooks_test_vector() {
        // The test vector of the Standard Webhooks specification's libraries.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, id, 1614265330, body).as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
        let two = header(&[secret, secret], id, 1614265330, body);
        assert_eq!(two.split(' ').count(), 2);
        assert_eq!(sign("sk_nope", id, 1, body), None);
    }

    #[test]
    fn new_secrets_are_whsec_and_decode_to_their_bytes() {
        let secret = new_secret();
        let key = BASE64
            .decode(secret.strip_prefix(SECRET_PREFIX).unwrap())
            .unwrap();
        assert_eq!(key.len(), SECRET_BYTES);
        assert_ne!(new_secret(), secret);
    }
}
