//! Quote ids: signed, not stored, and each names one quote.
//!
//! A quote id is `qt_<claim>_<mac>`: the claim is base64url (no padding) of a small JSON
//! object, the mac an HMAC-SHA256 (the store's quote-signing key, first 16 bytes, hex) over
//! the claim's text. The claim says what the quote was:
//!
//! - `v`: the rate-card version it pinned; `e`: its expiry (µs since the epoch);
//! - `a`: the account it was made for, or null (anyone);
//! - `u`: the usage it priced, normalized, for a quote of one usage; or `d`, a digest of the
//!   normalized list, for a workflow run's list (up to 100 steps would make an unwieldy id).
//!
//! So two quotes of different usage never share an id, any node can check one without a
//! lookup, nobody can forge one or move it to another account, and a charge or hold may send
//! the `quote_id` alone: the usage comes from the id.
//!
//! Ids of the earlier form `qt_<version>_<expires µs>_<mac>` (version, expiry and account
//! only) are still accepted until they expire, so quotes made by a node of the previous
//! release stay good during a rolling upgrade.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64URL;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tally_core::Timestamp;

use crate::secret::hex;

/// The longest quote id a request may send (a long usage makes a long id).
pub const QUOTE_ID_BYTES_MAX: usize = 4096;

/// What a genuine quote id says.
#[derive(Debug, Clone, PartialEq)]
pub struct QuoteClaim {
    /// The rate-card version the quote pinned.
    pub version: i64,
    pub expires_at: Timestamp,
    /// The account the quote was made for (None: anyone).
    pub account_id: Option<String>,
    pub quoted: Quoted,
}

/// What the quote priced.
#[derive(Debug, Clone, PartialEq)]
pub enum Quoted {
    /// One usage, normalized: a debit may take it from the id.
    Usage(Value),
    /// A workflow run's list, known by its digest only.
    Run { digest: String },
    /// An id of the earlier form, which did not say.
    Unknown,
}

/// Why an id is not a genuine quote id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a quote id this server made")]
pub struct NotAQuote;

/// The digest a run's claim carries: SHA-256 of the normalized list's text, first 16 bytes.
pub fn run_digest(usage_list: &Value) -> String {
    hex(&Sha256::digest(usage_list.to_string().as_bytes())[..16])
}

/// The id of a quote.
pub fn encode(key: &[u8], claim: &QuoteClaim) -> String {
    let mut body = json!({
        "v": claim.version,
        "e": claim.expires_at.as_micros(),
        "a": claim.account_id,
    });
    match &claim.quoted {
        Quoted::Usage(usage) => body["u"] = usage.clone(),
        Quoted::Run { digest } => body["d"] = json!(digest),
        Quoted::Unknown => {}
    }
    let text = BASE64URL.encode(body.to_string());
    let mac = mac(key, text.as_bytes());
    format!("qt_{text}_{mac}")
}

/// What a quote id says, if this key signed it. Expiry, and whether `caller_account` may use
/// it, are the caller's to check; `caller_account` is needed only to check an id of the
/// earlier form, whose mac covers the account instead of naming it.
pub fn decode(key: &[u8], id: &str, caller_account: &str) -> Result<QuoteClaim, NotAQuote> {
    let rest = id.strip_prefix("qt_").ok_or(NotAQuote)?;
    // The mac is hex, so the last `_` ends the claim (base64url may hold `_` itself).
    let (text, mac_text) = rest.rsplit_once('_').ok_or(NotAQuote)?;
    if let Some(claim) = decode_earlier(key, text, mac_text, caller_account)? {
        return Ok(claim);
    }
    if !crate::secret::constant_time_eq(mac(key, text.as_bytes()).as_bytes(), mac_text.as_bytes()) {
        return Err(NotAQuote);
    }
    let bytes = BASE64URL.decode(text).map_err(|_| NotAQuote)?;
    let body: Value = serde_json::from_slice(&bytes).map_err(|_| NotAQuote)?;
    let version = body["v"].as_i64().ok_or(NotAQuote)?;
    let expires_at = Timestamp::from_micros(body["e"].as_i64().ok_or(NotAQuote)?);
    let account_id = match &body["a"] {
        Value::Null => None,
        Value::String(account) => Some(account.clone()),
        _ => return Err(NotAQuote),
    };
    let quoted = match (body.get("u"), body.get("d")) {
        (Some(usage), None) => Quoted::Usage(usage.clone()),
        (None, Some(Value::String(digest))) => Quoted::Run {
            digest: digest.clone(),
        },
        (None, None) => Quoted::Unknown,
        _ => return Err(NotAQuote),
    };
    Ok(QuoteClaim {
        version,
        expires_at,
        account_id,
        quoted,
    })
}

/// An id of the earlier form `qt_<version>_<expires µs>_<mac>`, whose mac covers
/// `version:expires:account` (account empty for anyone). `Ok(None)`: not of that form.
fn decode_earlier(
    key: &[u8],
    text: &str,
    mac_text: &str,
    caller_account: &str,
) -> Result<Option<QuoteClaim>, NotAQuote> {
    let Some((version, expires)) = text.split_once('_') else {
        return Ok(None);
    };
    let (Ok(version), Ok(expires_micros)) = (version.parse::<i64>(), expires.parse::<i64>()) else {
        return Ok(None);
    };
    let expires_at = Timestamp::from_micros(expires_micros);
    let matches = |account: &str| {
        crate::secret::constant_time_eq(
            earlier_mac(key, version, expires_at, account).as_bytes(),
            mac_text.as_bytes(),
        )
    };
    let account_id = if matches("") {
        None
    } else if matches(caller_account) {
        Some(caller_account.to_string())
    } else {
        return Err(NotAQuote);
    };
    Ok(Some(QuoteClaim {
        version,
        expires_at,
        account_id,
        quoted: Quoted::Unknown,
    }))
}

/// The earlier form's mac, for `account` ("" for anyone).
fn earlier_mac(key: &[u8], version: i64, expires_at: Timestamp, account: &str) -> String {
    mac(
        key,
        format!("{version}:{}:{account}", expires_at.as_micros()).as_bytes(),
    )
}

fn mac(key: &[u8], message: &[u8]) -> String {
    hex(&crate::secret::hmac_sha256(key, message)[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"the store's quote-signing key";

    fn claim(account: Option<&str>, quoted: Quoted) -> QuoteClaim {
        QuoteClaim {
            version: 7,
            expires_at: Timestamp::from_micros(1_800_000_000_123_456),
            account_id: account.map(str::to_string),
            quoted,
        }
    }

    fn chat(output_tokens: u64) -> Quoted {
        Quoted::Usage(json!({
            "action": "chat", "model": "gpt-4o", "input_tokens": 1000, "output_tokens": output_tokens,
        }))
    }

    #[test]
    fn an_id_says_what_was_quoted() {
        for claim in [
            claim(Some("acme"), chat(500)),
            claim(None, chat(1)),
            claim(
                Some("a_b-c"),
                Quoted::Run {
                    digest: run_digest(&json!([{"action": "chat"}])),
                },
            ),
        ] {
            let id = encode(KEY, &claim);
            assert!(id.starts_with("qt_"), "{id}");
            assert_eq!(decode(KEY, &id, "someone"), Ok(claim));
        }
    }

    #[test]
    fn different_quotes_at_one_instant_have_different_ids() {
        let ids: std::collections::HashSet<String> = [
            claim(Some("acme"), chat(500)),
            claim(Some("acme"), chat(501)),
            claim(None, chat(500)),
            claim(Some("other"), chat(500)),
        ]
        .iter()
        .map(|claim| encode(KEY, claim))
        .collect();
        assert_eq!(ids.len(), 4);
    }

    #[test]
    fn a_changed_or_foreign_id_is_refused() {
        let id = encode(KEY, &claim(Some("acme"), chat(500)));
        assert_eq!(decode(b"another key", &id, "acme"), Err(NotAQuote));
        // Every one-character change of the claim or the mac.
        for at in 3..id.len() {
            if id.as_bytes()[at] == b'_' {
                continue;
            }
            let mut bytes = id.clone().into_bytes();
            bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
            let changed = String::from_utf8(bytes).unwrap();
            assert_eq!(decode(KEY, &changed, "acme"), Err(NotAQuote), "{changed}");
        }
        // Another account's claim with this claim's mac.
        let other = encode(KEY, &claim(Some("other"), chat(500)));
        let (other_claim, _) = other.rsplit_once('_').unwrap();
        let (_, mac) = id.rsplit_once('_').unwrap();
        assert_eq!(
            decode(KEY, &format!("{other_claim}_{mac}"), "other"),
            Err(NotAQuote)
        );
        for junk in ["", "qt_", "qt__", "qt_x_y", "chg_1", "qt_1_2", "qt_1_2_3_4"] {
            assert_eq!(decode(KEY, junk, "acme"), Err(NotAQuote), "{junk:?}");
        }
    }

    #[test]
    fn an_earlier_id_is_good_for_its_account_only() {
        let expires_at = Timestamp::from_micros(1_800_000_000_000_000);
        let mine = format!(
            "qt_7_{}_{}",
            expires_at.as_micros(),
            earlier_mac(KEY, 7, expires_at, "acme")
        );
        assert_eq!(
            decode(KEY, &mine, "acme"),
            Ok(QuoteClaim {
                version: 7,
                expires_at,
                account_id: Some("acme".into()),
                quoted: Quoted::Unknown,
            })
        );
        assert_eq!(decode(KEY, &mine, "other"), Err(NotAQuote));
        let anyones = format!(
            "qt_7_{}_{}",
            expires_at.as_micros(),
            earlier_mac(KEY, 7, expires_at, "")
        );
        assert_eq!(decode(KEY, &anyones, "other").unwrap().account_id, None);
    }
}
