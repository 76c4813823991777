//! End to end: bad requests get the right status and code of API.md, and change nothing. After
//! every bad request the account's balance, every entry, and the account list are compared
//! with what they were just before.

mod common;

use common::*;
use serde_json::{Value, json};

const ACCOUNT: &str = "bad";

/// Everything a bad request could disturb.
#[derive(Debug, PartialEq)]
struct World {
    ledger: Snapshot,
    accounts: Vec<Value>,
    hold: Value,
}

struct Fixture {
    t: Tally,
    admin: Client,
    hold_id: String,
    grant_id: String,
}

impl Fixture {
    fn new() -> Self {
        let t = Tally::start();
        let admin = t.admin();
        create_account(&admin, ACCOUNT);
        let grant_id = grant(&admin, ACCOUNT, json!(100), json!({}))["id"]
            .as_str()
            .unwrap()
            .to_string();
        charge(&admin, ACCOUNT, num("2.5")).expect(201);
        let hold_id = hold(&admin, ACCOUNT, json!(10)).expect(201).id();
        Fixture {
            t,
            admin,
            hold_id,
            grant_id,
        }
    }

    fn world(&self) -> World {
        World {
            ledger: snapshot(&self.admin, ACCOUNT),
            accounts: list_all(&self.admin, "/v1/accounts")
                .into_iter()
                .map(|mut account| {
                    account["balance"] = ledger_balance(account["balance"].take());
                    account
                })
                .collect(),
            hold: self
                .admin
                .get(&format!("/v1/holds/{}", self.hold_id))
                .expect(200)
                .body,
        }
    }

    /// Sends a bad request, asserts its problem (and `param` when given), and that nothing
    /// changed.
    #[track_caller]
    fn refused(
        &self,
        status: u16,
        code: &str,
        param: Option<&str>,
        send: impl FnOnce() -> Resp,
    ) -> Resp {
        let before = self.world();
        let response = send();
        let problem = response.problem(status, code);
        if let Some(param) = param {
            assert_eq!(
                problem["param"],
                json!(param),
                "{} {}: the problem names the field: {}",
                response.method,
                response.path,
                response.text
            );
        }
        let after = self.world();
        assert_eq!(
            after, before,
            "{} {} was refused ({}) but changed the ledger",
            response.method, response.path, response.status
        );
        response
    }

    /// Every POST endpoint that takes a body, with a path valid in this fixture.
    fn post_paths(&self) -> Vec<String> {
        vec![
            "/v1/accounts".to_string(),
            format!("/v1/accounts/{ACCOUNT}/grants"),
            format!("/v1/accounts/{ACCOUNT}/charges"),
            format!("/v1/accounts/{ACCOUNT}/holds"),
            format!("/v1/holds/{}/capture", self.hold_id),
            format!("/v1/holds/{}/void", self.hold_id),
            format!("/v1/grants/{}/void", self.grant_id),
            format!("/v1/accounts/{ACCOUNT}/keys"),
        ]
    }
}

#[test]
fn malformed_json_is_400_invalid_json() {
    let f = Fixture::new();
    let bodies: &[&[u8]] = &[
        br#"{"amount": 5"#,
        b"not json",
        br#"{"amount": 5,}"#,
        br#"{"amount": 5} trailing"#,
        br#"{'amount': 5}"#,
        br#"{"amount": 05}"#,
        br#"{"amount": 5"} "#,
        b"{\"amount\": \"\xff\"}",
        // Whitespace alone is not JSON (schemathesis sent a tab to PATCH /v1/accounts/{id}).
        b"\t",
        b" \n ",
    ];
    for path in f.post_paths() {
        for body in bodies {
            f.refused(400, "invalid_json", None, || {
                f.admin.post_raw(&path, body, &[])
            });
        }
    }
    f.t.verify();
}

#[test]
fn nan_like_amounts_are_refused() {
    // Not JSON (400 invalid_json) and "NaN-like text" (422 invalid_amount) both describe these;
    // API.md does not say which wins, so either is accepted, but nothing may change.
    let f = Fixture::new();
    let charges = format!("/v1/accounts/{ACCOUNT}/charges");
    for body in [
        r#"{"amount": NaN}"#,
        r#"{"amount": Infinity}"#,
        r#"{"amount": -Infinity}"#,
    ] {
        let before = f.world();
        let response = f.admin.post_raw(&charges, body.as_bytes(), &[]);
        match response.status {
            400 => response.problem(400, "invalid_json"),
            _ => response.problem(422, "invalid_amount"),
        };
        assert_eq!(f.world(), before, "{body} changed the ledger");
    }
    f.t.verify();
}

#[test]
fn wrong_json_types_are_400_invalid_json() {
    let f = Fixture::new();
    let charges = format!("/v1/accounts/{ACCOUNT}/charges");
    let holds = format!("/v1/accounts/{ACCOUNT}/holds");
    let grants = format!("/v1/accounts/{ACCOUNT}/grants");
    let capture = format!("/v1/holds/{}/capture", f.hold_id);
    let cases: Vec<(&str, &str)> = vec![
        (&charges, r#"{"amount": "5"}"#),
        (&charges, r#"{"amount": "0.5"}"#),
        (&charges, r#"{"amount": true}"#),
        (&charges, r#"{"amount": [5]}"#),
        (&charges, r#"{"amount": {"value": 5}}"#),
        (&charges, r#"{"amount": 5, "description": 5}"#),
        (&charges, r#"{"amount": 5, "product": ["assistant"]}"#),
        (&charges, r#"{"amount": 5, "metadata": "x"}"#),
        (&charges, r#"[{"amount": 5}]"#),
        (&charges, r#""5""#),
        (&charges, "5"),
        (&charges, "true"),
        (&holds, r#"{"amount": "5"}"#),
        (&holds, r#"{"amount": 5, "ttl_seconds": "60"}"#),
        (&grants, r#"{"amount": "5"}"#),
        (&grants, r#"{"amount": 5, "priority": "1"}"#),
        (&grants, r#"{"amount": 5, "expires_at": 1893456000}"#),
        (&grants, r#"{"amount": 5, "source": 1}"#),
        (&grants, r#"{"amount": 5, "metadata": [1]}"#),
        ("/v1/accounts", r#"{"id": 7}"#),
        ("/v1/accounts", r#"{"name": 5}"#),
        ("/v1/accounts", r#"{"overdraft_limit": "10"}"#),
        ("/v1/accounts", r#"{"metadata": "x"}"#),
        (&capture, r#"{"amount": "1"}"#),
        (&capture, r#"[]"#),
    ];
    for (path, body) in cases {
        f.refused(400, "invalid_json", None, || {
            f.admin.post_raw(path, body.as_bytes(), &[])
        });
    }
    f.t.verify();
}

#[test]
fn bad_amounts_are_422_invalid_amount() {
    let f = Fixture::new();
    let bad_positive = [
        "1.0001",
        "0.0001",
        "1e-4",
        "-5",
        "-0.001",
        "0",
        "-0",
        "0.000",
        "1e20",
        "1E20",
        "1000000000000.001",
        "1000000000001",
        "1e13",
        "123456789012345678901234567890",
    ];
    let paths = [
        format!("/v1/accounts/{ACCOUNT}/charges"),
        format!("/v1/accounts/{ACCOUNT}/holds"),
        format!("/v1/accounts/{ACCOUNT}/grants"),
    ];
    for path in &paths {
        for amount in bad_positive {
            let body = format!(r#"{{"amount": {amount}}}"#);
            f.refused(422, "invalid_amount", Some("amount"), || {
                f.admin.post_raw(path, body.as_bytes(), &[])
            });
        }
    }
    // A capture amount: too precise, negative, absurd.
    let capture = format!("/v1/holds/{}/capture", f.hold_id);
    for amount in ["1.0001", "-1", "-0.001", "1e20", "0.0005"] {
        let body = format!(r#"{{"amount": {amount}}}"#);
        f.refused(422, "invalid_amount", Some("amount"), || {
            f.admin.post_raw(&capture, body.as_bytes(), &[])
        });
    }
    // An overdraft limit: too precise, negative, absurd.
    for limit in ["1.0001", "-1", "1e20"] {
        let body = format!(r#"{{"id": "new", "overdraft_limit": {limit}}}"#);
        f.refused(422, "invalid_amount", Some("overdraft_limit"), || {
            f.admin.post_raw("/v1/accounts", body.as_bytes(), &[])
        });
    }
    // The largest valid amount is accepted.
    let big = f
        .admin
        .post_raw(
            &format!("/v1/accounts/{ACCOUNT}/grants"),
            br#"{"amount": 1000000000000}"#,
            &[],
        )
        .expect(201);
    assert_eq!(big["amount"], num("1000000000000"));
    // Fifteen significant digits come back exactly as sent.
    let precise = f
        .admin
        .post_raw(
            &format!("/v1/accounts/{ACCOUNT}/grants"),
            br#"{"amount": 999999999999.999}"#,
            &[],
        )
        .expect(201);
    assert_eq!(precise["amount"].to_string(), "999999999999.999");
    f.t.verify();
}

#[test]
fn bodies_over_one_mib_are_413_payload_too_large() {
    let f = Fixture::new();
    let two_mib = {
        let mut body = br#"{"amount": 1, "description": ""#.to_vec();
        body.resize(2 * 1024 * 1024, b'x');
        body.extend_from_slice(br#""}"#);
        body
    };
    let just_over = {
        let mut body = br#"{"amount": 1"#.to_vec();
        body.resize(1024 * 1024, b' ');
        body.extend_from_slice(b"}");
        assert_eq!(body.len(), 1024 * 1024 + 1);
        body
    };
    for path in f.post_paths() {
        f.refused(413, "payload_too_large", None, || {
            f.admin.raw("POST", &path, b"", &two_mib)
        });
    }
    let charges = format!("/v1/accounts/{ACCOUNT}/charges");
    f.refused(413, "payload_too_large", None, || {
        f.admin.raw("POST", &charges, b"", &just_over)
    });
    // Without a Content-Length (chunked), the limit holds all the same.
    let chunked = {
        let mut framed = Vec::new();
        for chunk in two_mib.chunks(64 * 1024) {
            framed.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            framed.extend_from_slice(chunk);
            framed.extend_from_slice(b"\r\n");
        }
        framed.extend_from_slice(b"0\r\n\r\n");
        framed
    };
    f.refused(413, "payload_too_large", None, || {
        f.admin.raw_framed(
            "POST",
            &charges,
            b"Transfer-Encoding: chunked\r\n",
            &chunked,
        )
    });

    // Just under the limit is fine.
    let mut under = br#"{"amount": 1"#.to_vec();
    under.resize(1024 * 1024 - 1, b' ');
    under.extend_from_slice(b"}");
    let accepted = f.admin.raw("POST", &charges, b"", &under).expect(201);
    assert_eq!(accepted["amount"], json!(1));
    f.t.verify();
}

#[test]
fn unknown_and_missing_fields_are_422_invalid_request_naming_them() {
    let f = Fixture::new();
    let unknown: Vec<(String, Value, &str)> = vec![
        ("/v1/accounts".into(), json!({"id": "n", "nme": "x"}), "nme"),
        (
            format!("/v1/accounts/{ACCOUNT}/grants"),
            json!({"amount": 1, "expiry": "2030-01-01T00:00:00Z"}),
            "expiry",
        ),
        (
            format!("/v1/accounts/{ACCOUNT}/charges"),
            json!({"amount": 1, "amout": 2}),
            "amout",
        ),
        (
            format!("/v1/accounts/{ACCOUNT}/holds"),
            json!({"amount": 1, "ttl": 60}),
            "ttl",
        ),
        (
            format!("/v1/holds/{}/capture", f.hold_id),
            json!({"amonut": 1}),
            "amonut",
        ),
        (
            format!("/v1/holds/{}/void", f.hold_id),
            json!({"reason": "x"}),
            "reason",
        ),
        (
            format!("/v1/grants/{}/void", f.grant_id),
            json!({"why": 1}),
            "why",
        ),
        (
            format!("/v1/accounts/{ACCOUNT}/keys"),
            json!({"scope": "all"}),
            "scope",
        ),
    ];
    for (path, body, param) in unknown {
        f.refused(422, "invalid_request", Some(param), || {
            f.admin.post(&path, body)
        });
    }

    // Missing: the field is named.
    let grants = format!("/v1/accounts/{ACCOUNT}/grants");
    f.refused(422, "invalid_request", Some("amount"), || {
        f.admin.post(&grants, json!({}))
    });
    f.refused(422, "invalid_request", Some("amount"), || {
        f.admin
            .post(&grants, json!({"amount": null, "priority": 1}))
    });
    for path in [
        format!("/v1/accounts/{ACCOUNT}/charges"),
        format!("/v1/accounts/{ACCOUNT}/holds"),
    ] {
        let response = f.refused(422, "invalid_request", None, || {
            f.admin.post(&path, json!({"description": "no amount"}))
        });
        assert!(
            response["param"].is_string(),
            "the problem names the missing field: {}",
            response.text
        );
    }

    // Out of range: the field is named.
    let out_of_range: Vec<(String, Value, &str)> = vec![
        (
            grants.clone(),
            json!({"amount": 1, "source": "gift"}),
            "source",
        ),
        (
            grants.clone(),
            json!({"amount": 1, "expires_at": "tomorrow"}),
            "expires_at",
        ),
        (
            grants.clone(),
            json!({"amount": 1, "expires_at": "2001-01-01T00:00:00Z"}),
            "expires_at",
        ),
        (
            grants.clone(),
            json!({"amount": 1, "effective_at": "not a time"}),
            "effective_at",
        ),
        (
            grants.clone(),
            json!({"amount": 1, "priority": 1.5}),
            "priority",
        ),
        ("/v1/accounts".into(), json!({"id": "no spaces"}), "id"),
        ("/v1/accounts".into(), json!({"id": "x".repeat(65)}), "id"),
    ];
    for (path, body, param) in out_of_range {
        f.refused(422, "invalid_request", Some(param), || {
            f.admin.post(&path, body)
        });
    }
    f.t.verify();
}

#[test]
fn bad_ttl_seconds_are_422_invalid_request() {
    let f = Fixture::new();
    let holds = format!("/v1/accounts/{ACCOUNT}/holds");
    for ttl in ["0", "86401", "-1", "1.5", "1e10", "99999999999999999999"] {
        let body = format!(r#"{{"amount": 1, "ttl_seconds": {ttl}}}"#);
        f.refused(422, "invalid_request", Some("ttl_seconds"), || {
            f.admin.post_raw(&holds, body.as_bytes(), &[])
        });
    }
    // The bounds themselves are fine.
    for ttl in [1, 86_400] {
        let h = f
            .admin
            .post(&holds, json!({"amount": 1, "ttl_seconds": ttl}))
            .expect(201);
        let seconds = instant(&h["expires_at"]).as_second() - instant(&h["created_at"]).as_second();
        assert_eq!(seconds, ttl);
    }
    f.t.verify();
}

#[test]
fn unknown_ids_are_404_and_change_nothing() {
    let f = Fixture::new();
    let cases: Vec<(&str, Value)> = vec![
        ("/v1/accounts/ghost/charges", json!({"amount": 1})),
        ("/v1/accounts/ghost/holds", json!({"amount": 1})),
        ("/v1/accounts/ghost/grants", json!({"amount": 1})),
        ("/v1/accounts/ghost/keys", json!({})),
        ("/v1/holds/hold_ghost/capture", json!({"amount": 1})),
        ("/v1/holds/hold_ghost/void", json!({})),
        ("/v1/grants/grant_ghost/void", json!({})),
    ];
    for (path, body) in cases {
        f.refused(404, "not_found", None, || f.admin.post(path, body));
    }
    f.refused(404, "not_found", None, || {
        f.admin.delete("/v1/keys/key_ghost")
    });
    f.t.verify();
}

#[test]
fn bad_idempotency_keys_are_422_invalid_request() {
    let f = Fixture::new();
    let charges = format!("/v1/accounts/{ACCOUNT}/charges");
    let long = "k".repeat(256);
    for key in ["", long.as_str()] {
        f.refused(422, "invalid_request", None, || {
            f.admin.request(
                "POST",
                &charges,
                Some(br#"{"amount": 1}"#),
                &[("Idempotency-Key", key)],
            )
        });
    }
    // What a client library won't send: a tab, bytes beyond ASCII.
    for header in [
        b"Idempotency-Key: tab\there\r\n".to_vec(),
        b"Idempotency-Key: k\xc3\xa9y\r\n".to_vec(),
        b"Idempotency-Key: \xff\xfe\r\n".to_vec(),
    ] {
        f.refused(422, "invalid_request", None, || {
            f.admin.raw("POST", &charges, &header, br#"{"amount": 1}"#)
        });
    }

    // 255 printable characters are fine, and replay.
    let longest: String = (0..255)
        .map(|index| char::from(b'!' + (index % 94) as u8))
        .collect();
    let first = f
        .admin
        .post_idem(&charges, &longest, json!({"amount": 1}))
        .expect(201);
    let again = f.admin.post_idem(&charges, &longest, json!({"amount": 1}));
    assert_eq!(again.status, 201);
    assert!(again.replayed());
    assert_eq!(again.body, first.body);
    f.t.verify();
}

#[test]
fn a_refused_request_does_not_use_up_its_idempotency_key() {
    let f = Fixture::new();
    let charges = format!("/v1/accounts/{ACCOUNT}/charges");
    let refusals: Vec<(u16, &str, Vec<u8>)> = vec![
        (400, "invalid_json", br#"{"amount": 1"#.to_vec()),
        (400, "invalid_json", br#"{"amount": "1"}"#.to_vec()),
        (422, "invalid_amount", br#"{"amount": 1.0001}"#.to_vec()),
        (422, "invalid_request", br#"{"amount": 1, "x": 1}"#.to_vec()),
    ];
    for (status, code, body) in &refusals {
        f.refused(*status, code, None, || {
            f.admin
                .post_raw(&charges, body, &[("Idempotency-Key", "retry-me")])
        });
    }
    // The corrected request with the same key is a first request, not a conflict.
    let accepted = f
        .admin
        .post_idem(&charges, "retry-me", json!({"amount": 1}))
        .expect(201);
    assert!(!accepted.replayed());
    f.t.verify();
}
