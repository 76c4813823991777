//! End to end: `POST /v1/batch` against a real `tally serve`. A batch's results must be what
//! the same operations give when sent one by one (statuses, bodies, replays, refusals, and the
//! ledger they leave), each operation authorized on its own, and a batch refused as a whole
//! (too many or no operations) must change nothing.

mod common;

use common::*;
use serde_json::{Map, Value, json};

/// One operation: method, path, body (if any), idempotency key (if any).
struct Op {
    method: &'static str,
    path: String,
    body: Option<Value>,
    key: Option<String>,
}

fn op(method: &'static str, path: &str, body: Option<Value>, key: Option<&str>) -> Op {
    Op {
        method,
        path: path.to_string(),
        body,
        key: key.map(str::to_string),
    }
}

impl Op {
    fn to_json(&self) -> Value {
        let mut entry = Map::new();
        entry.insert("method".into(), json!(self.method));
        entry.insert("path".into(), json!(self.path));
        if let Some(body) = &self.body {
            entry.insert("body".into(), body.clone());
        }
        if let Some(key) = &self.key {
            entry.insert("idempotency_key".into(), json!(key));
        }
        Value::Object(entry)
    }
}

/// `(status, replayed, body)` of one answer.
type Outcome = (u16, bool, Value);

/// The operation sent alone, as its own request.
fn send_alone(client: &Client, op: &Op) -> Outcome {
    let text = op.body.as_ref().map(Value::to_string);
    let mut headers = Vec::new();
    if let Some(key) = &op.key {
        headers.push(("Idempotency-Key", key.as_str()));
    }
    let response = client.request(
        op.method,
        &op.path,
        text.as_deref().map(str::as_bytes),
        &headers,
    );
    let replayed = response.replayed();
    (response.status, replayed, response.body)
}

/// The whole batch's response.
fn send_batch(client: &Client, ops: &[Op]) -> Resp {
    let operations: Vec<Value> = ops.iter().map(Op::to_json).collect();
    client.post("/v1/batch", json!({"operations": operations}))
}

/// The results of a batch that was accepted.
#[track_caller]
fn results(response: Resp) -> Vec<Outcome> {
    let response = response.expect(200);
    let results = response["results"].as_array().expect("results").clone();
    results
        .into_iter()
        .map(|result| {
            let status = result["status"].as_u64().expect("a status") as u16;
            let replayed = result["replayed"].as_bool().expect("replayed");
            (status, replayed, result["body"].clone())
        })
        .collect()
}

/// A value with what differs between two runs of the same operations taken out: generated ids
/// (`grant_…`, `hold_…`, …), key secrets, instants, and the account's own id.
fn normalize(value: &Value, account_id: &str) -> Value {
    match value {
        Value::String(text) => {
            if text == account_id {
                return json!("<account>");
            }
            for prefix in [
                "grant_", "hold_", "chg_", "ent_", "qt_", "key_", "pur_", "tk_",
            ] {
                if text.starts_with(prefix) {
                    return json!(format!("<{prefix}>"));
                }
            }
            let instant = text.len() >= 20
                && text.as_bytes()[..4].iter().all(u8::is_ascii_digit)
                && text.contains('T')
                && text.ends_with('Z');
            if instant {
                return json!("<instant>");
            }
            Value::String(text.replace(account_id, "<account>"))
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| normalize(item, account_id))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| (key.clone(), normalize(value, account_id)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A mix of every kind of result: creates, grants, charges, holds, replays in the middle, each
/// kind of refusal, unknown routes and methods, a quote, keys. `{a}` is the account.
fn mixed_ops(a: &str) -> Vec<Op> {
    let key = |name: &str| format!("{a}-{name}");
    vec![
        op(
            "POST",
            "/v1/accounts",
            Some(json!({"id": a, "name": "Batch"})),
            Some(&key("create")),
        ),
        op(
            "POST",
            &format!("/v1/accounts/{a}/grants"),
            Some(json!({"amount": 100, "description": "start"})),
            Some(&key("grant")),
        ),
        op(
            "POST",
            &format!("/v1/accounts/{a}/charges"),
            Some(json!({"amount": 10, "product": "chat"})),
            Some(&key("c1")),
        ),
        // The same key and body again: the first answer, replayed.
        op(
            "POST",
            &format!("/v1/accounts/{a}/charges"),
            Some(json!({"amount": 10, "product": "chat"})),
            Some(&key("c1")),
        ),
        // The same key with another body: refused.
        op(
            "POST",
            &format!("/v1/accounts/{a}/charges"),
            Some(json!({"amount": 11})),
            Some(&key("c1")),
        ),
        op(
            "POST",
            &format!("/v1/accounts/{a}/charges"),
            Some(json!({"amount": 0.0001})),
            None,
        ),
        op(
            "POST",
            &format!("/v1/accounts/{a}/charges"),
            Some(json!({"amount": 1000})),
            None,
        ),
        op(
            "POST",
            &format!("/v1/accounts/{a}/charges"),
            Some(json!({"amount": 1, "colour": "red"})),
            None,
        ),
        op(
            "POST",
            &format!("/v1/accounts/{a}/charges"),
            Some(json!("not an object")),
            None,
        ),
        op(
            "POST",
            &format!("/v1/accounts/{a}/holds"),
            Some(json!({"amount": 20, "ttl_seconds": 60})),
            Some(&key("h1")),
        ),
        op(
            "POST",
            &format!("/v1/accounts/{a}/charges"),
            Some(json!({"amount": 2.5, "description": "after the hold", "metadata": {"n": 1}})),
            None,
        ),
        op("POST", "/v1/nope", Some(json!({})), None),
        op(
            "POST",
            &format!("/v1/accounts/{a}/balance"),
            Some(json!({})),
            None,
        ),
        op(
            "POST",
            "/v1/quotes",
            Some(json!({"usage": {"action": "chat", "model": "no-such-model"}})),
            None,
        ),
        op(
            "PUT",
            &format!("/v1/accounts/{a}/subscription"),
            Some(json!({"plan": "no-such-plan"})),
            None,
        ),
        op(
            "DELETE",
            &format!("/v1/accounts/{a}/subscription"),
            None,
            None,
        ),
        op("POST", "/v1/grants/grant_nope/void", None, None),
        op("POST", "/v1/holds/hold_nope/capture", Some(json!({})), None),
        op(
            "POST",
            &format!("/v1/accounts/{a}/keys"),
            None,
            Some(&key("k1")),
        ),
        op(
            "POST",
            "/v1/accounts/nobody-at-all/charges",
            Some(json!({"amount": 1})),
            None,
        ),
        // The grant's key and body again: replayed, not granted twice.
        op(
            "POST",
            &format!("/v1/accounts/{a}/grants"),
            Some(json!({"amount": 100, "description": "start"})),
            Some(&key("grant")),
        ),
        op(
            "POST",
            &format!("/v1/accounts/{a}/charges"),
            Some(json!({"amount": 200})),
            None,
        ),
    ]
}

/// What the account looks like afterwards, without what differs between runs.
fn ledger_of(admin: &Client, account_id: &str) -> Value {
    let balance = admin
        .get(&format!("/v1/accounts/{account_id}/balance"))
        .expect(200)
        .body;
    let entries = admin
        .get(&format!("/v1/accounts/{account_id}/entries?limit=1000"))
        .expect(200)
        .body;
    let grants = admin
        .get(&format!("/v1/accounts/{account_id}/grants"))
        .expect(200)
        .body;
    normalize(
        &json!({"balance": balance, "entries": entries, "grants": grants}),
        account_id,
    )
}

#[test]
fn a_batch_answers_and_writes_what_the_same_operations_sent_one_by_one_do() {
    let tally = Tally::start();
    let admin = tally.admin();

    let batched = results(send_batch(&admin, &mixed_ops("batched")));
    let alone: Vec<Outcome> = mixed_ops("alone")
        .iter()
        .map(|op| send_alone(&admin, op))
        .collect();

    assert_eq!(batched.len(), alone.len());
    for (index, (batched, alone)) in batched.iter().zip(&alone).enumerate() {
        assert_eq!(
            (batched.0, batched.1, normalize(&batched.2, "batched")),
            (alone.0, alone.1, normalize(&alone.2, "alone")),
            "operation {index}"
        );
    }
    // The mix did exercise what it is for (read from the answers sent alone, not the batch).
    let statuses: Vec<u16> = alone.iter().map(|outcome| outcome.0).collect();
    for status in [201, 400, 402, 404, 405, 409, 422] {
        assert!(statuses.contains(&status), "no {status} among {statuses:?}");
    }
    assert!(alone[3].1, "the repeated key is a replay");
    assert!(alone[20].1, "the repeated grant key is a replay");

    assert_eq!(ledger_of(&admin, "batched"), ledger_of(&admin, "alone"));
    tally.verify();
}

#[test]
fn keys_replay_across_batches_and_single_requests() {
    let tally = Tally::start();
    let admin = tally.admin();
    admin.post("/v1/accounts", json!({"id": "a"})).expect(201);
    admin
        .post("/v1/accounts/a/grants", json!({"amount": 100}))
        .expect(201);
    let key = admin.post_empty("/v1/accounts/a/keys").expect(201)["key"]
        .as_str()
        .expect("a secret")
        .to_string();
    let client = tally.client(&key);
    let charge = |amount: i64, key: &str| {
        op(
            "POST",
            "/v1/accounts/a/charges",
            Some(json!({"amount": amount})),
            Some(key),
        )
    };

    // A batch first, then the same operation alone: the batch's answer, replayed.
    let first = results(send_batch(&client, &[charge(3, "one")])).remove(0);
    assert_eq!((first.0, first.1), (201, false));
    let again = send_alone(&client, &charge(3, "one"));
    assert_eq!(again, (201, true, first.2.clone()));

    // Alone first, then in a batch (twice in it): replayed each time, the first one's body.
    let alone = send_alone(&client, &charge(4, "two"));
    assert_eq!((alone.0, alone.1), (201, false));
    let batched = results(send_batch(
        &client,
        &[
            charge(4, "two"),
            charge(4, "two"),
            charge(5, "two"),
            charge(1, "three"),
        ],
    ));
    assert_eq!(batched[0], (201, true, alone.2.clone()));
    assert_eq!(batched[1], (201, true, alone.2.clone()));
    assert_eq!(batched[2].0, 409, "the same key with another body");
    assert_eq!(batched[2].2["code"], "idempotency_conflict");
    assert_eq!((batched[3].0, batched[3].1), (201, false));

    // The whole batch again: every keyed operation replays, nothing is charged twice.
    let retried = results(send_batch(&client, &[charge(3, "one"), charge(1, "three")]));
    assert_eq!(retried[0], (201, true, first.2));
    assert_eq!(retried[1], (201, true, batched[3].2.clone()));
    let balance = admin.get("/v1/accounts/a/balance").expect(200);
    assert_eq!(millis(&balance["available"]), 92_000, "100 - 3 - 4 - 1");
    tally.verify();
}

#[test]
fn each_operation_is_authorized_on_its_own_with_the_requests_key() {
    let tally = Tally::start();
    let admin = tally.admin();
    for id in ["a", "b"] {
        admin.post("/v1/accounts", json!({"id": id})).expect(201);
        admin
            .post(&format!("/v1/accounts/{id}/grants"), json!({"amount": 50}))
            .expect(201);
    }
    let key = admin.post_empty("/v1/accounts/a/keys").expect(201)["key"]
        .as_str()
        .expect("a secret")
        .to_string();
    let client = tally.client(&key);
    let charge = |account: &str| {
        op(
            "POST",
            &format!("/v1/accounts/{account}/charges"),
            Some(json!({"amount": 1})),
            None,
        )
    };
    let outcomes = results(send_batch(
        &client,
        &[
            charge("a"),
            charge("b"),
            op(
                "POST",
                "/v1/accounts/a/grants",
                Some(json!({"amount": 1000})),
                None,
            ),
            op("POST", "/v1/accounts", Some(json!({"id": "c"})), None),
            charge("a"),
        ],
    ));
    let statuses: Vec<u16> = outcomes.iter().map(|outcome| outcome.0).collect();
    assert_eq!(statuses, [201, 404, 403, 403, 201]);
    assert_eq!(
        outcomes[1].2["code"], "not_found",
        "another account: not found"
    );
    assert_eq!(outcomes[2].2["code"], "forbidden", "admin only");
    for account in ["a", "b"] {
        let alone = send_alone(&client, &charge(account));
        if account == "b" {
            assert_eq!(
                (alone.0, &alone.2),
                (404, &outcomes[1].2),
                "as when sent alone"
            );
        }
    }
    let available = |id: &str| {
        millis(&admin.get(&format!("/v1/accounts/{id}/balance")).expect(200)["available"])
    };
    assert_eq!(available("a"), 47_000, "two batched charges and one alone");
    assert_eq!(available("b"), 50_000, "b was never charged");
    admin.get("/v1/accounts/c").expect(404);

    // No key, or an unknown one: the whole batch is refused.
    let anonymous = tally.anonymous();
    send_batch(&anonymous, &[charge("a")]).problem(401, "unauthorized");
    assert_eq!(available("a"), 47_000);
    tally.verify();
}

#[test]
fn a_batch_of_no_operations_or_more_than_1000_is_refused_whole() {
    let tally = Tally::start();
    let admin = tally.admin();
    admin.post("/v1/accounts", json!({"id": "a"})).expect(201);
    admin
        .post("/v1/accounts/a/grants", json!({"amount": 10}))
        .expect(201);
    let before = ledger_of(&admin, "a");
    let tiny_charges = |count: usize| -> Vec<Op> {
        (0..count)
            .map(|index| {
                let key = format!("tiny-{index}");
                op(
                    "POST",
                    "/v1/accounts/a/charges",
                    Some(json!({"amount": 0.001})),
                    Some(&key),
                )
            })
            .collect()
    };

    let too_many = send_batch(&admin, &tiny_charges(1001));
    assert_eq!(
        too_many.problem(422, "invalid_request")["param"],
        "operations"
    );
    let none = send_batch(&admin, &[]);
    assert_eq!(none.problem(422, "invalid_request")["param"], "operations");
    let missing = admin.post("/v1/batch", json!({}));
    assert_eq!(
        missing.problem(422, "invalid_request")["param"],
        "operations"
    );
    let not_a_list = admin.post("/v1/batch", json!({"operations": {"method": "POST"}}));
    assert_eq!(
        not_a_list.problem(400, "invalid_json")["param"],
        "operations"
    );
    let unknown = admin.post("/v1/batch", json!({"operations": [], "atomic": true}));
    unknown.problem(422, "invalid_request");
    let text = json!({"operations": [tiny_charges(1)[0].to_json()]}).to_string();
    let keyed = admin.request(
        "POST",
        "/v1/batch",
        Some(text.as_bytes()),
        &[("Idempotency-Key", "outer")],
    );
    assert_eq!(
        keyed.problem(422, "invalid_request")["param"],
        "Idempotency-Key"
    );
    admin
        .post_raw(
            "/v1/batch",
            b"{\"operations\": [",
            &[("Content-Type", "application/json")],
        )
        .problem(400, "invalid_json");
    assert_eq!(
        ledger_of(&admin, "a"),
        before,
        "a refused batch applied nothing"
    );

    // 1,000 is the bound, and all of them apply, each once.
    let all = results(send_batch(&admin, &tiny_charges(1000)));
    assert_eq!(all.len(), 1000);
    assert!(
        all.iter()
            .all(|outcome| (outcome.0, outcome.1) == (201, false))
    );
    let balance = admin.get("/v1/accounts/a/balance").expect(200);
    assert_eq!(millis(&balance["available"]), 9_000);
    let replayed = results(send_batch(&admin, &tiny_charges(1000)));
    assert!(
        replayed
            .iter()
            .all(|outcome| (outcome.0, outcome.1) == (201, true))
    );
    let balance = admin.get("/v1/accounts/a/balance").expect(200);
    assert_eq!(
        millis(&balance["available"]),
        9_000,
        "a retried batch charges nothing again"
    );
    tally.verify();
}

#[test]
fn a_malformed_operation_is_refused_alone_and_names_its_field() {
    let tally = Tally::start();
    let admin = tally.admin();
    admin.post("/v1/accounts", json!({"id": "a"})).expect(201);
    admin
        .post("/v1/accounts/a/grants", json!({"amount": 10}))
        .expect(201);
    let charge = json!({"method": "POST", "path": "/v1/accounts/a/charges", "body": {"amount": 1}});
    let operations = json!([
        charge,
        5,
        {"path": "/v1/accounts/a/charges", "body": {"amount": 1}},
        {"method": "POST", "path": 7, "body": {"amount": 1}},
        {"method": "POST", "path": "/v1/accounts/a/charges", "body": [1]},
        {"method": "POST", "path": "/v1/accounts/a/charges", "body": {"amount": 1}, "headers": {}},
        {"method": "POST", "path": "/v1/accounts/a/charges", "body": {"amount": 1}, "idempotency_key": ""},
        {"method": "POST", "path": "/v1/accounts/a/charges", "body": {"amount": 1}, "idempotency_key": 12},
        {"method": "GET", "path": "/v1/accounts/a"},
        {"method": "PUT", "path": "/v1/rate-card", "body": {}},
        {"method": "post", "path": "/v1/accounts/a/charges", "body": {"amount": 1}},
        charge,
    ]);
    let outcomes = results(admin.post("/v1/batch", json!({"operations": operations})));
    let refusals: Vec<(u16, String, String)> = outcomes
        .iter()
        .map(|(status, _, body)| {
            let text = |field: &str| body[field].as_str().unwrap_or_default().to_string();
            (*status, text("code"), text("param"))
        })
        .collect();
    let expected = [
        (201, "", ""),
        (400, "invalid_json", "operations[1]"),
        (422, "invalid_request", "operations[2].method"),
        (400, "invalid_json", "operations[3].path"),
        (400, "invalid_json", ""),
        (422, "invalid_request", "operations[5].headers"),
        (422, "invalid_request", "operations[6].idempotency_key"),
        (400, "invalid_json", "operations[7].idempotency_key"),
        (422, "invalid_request", "operations[8].path"),
        (422, "invalid_request", "operations[9].path"),
        (405, "method_not_allowed", ""),
        (201, "", ""),
    ];
    let expected: Vec<(u16, String, String)> = expected
        .iter()
        .map(|(status, code, param)| (*status, code.to_string(), param.to_string()))
        .collect();
    assert_eq!(refusals, expected);
    for (status, _, body) in &outcomes {
        if *status >= 400 {
            assert_eq!(body["status"], json!(status), "a problem document: {body}");
        }
    }
    // A body of the wrong type is what the route answers alone.
    let alone = admin.request("POST", "/v1/accounts/a/charges", Some(b"[1]"), &[]);
    assert_eq!((alone.status, &alone.body), (400, &outcomes[4].2));
    let balance = admin.get("/v1/accounts/a/balance").expect(200);
    assert_eq!(
        millis(&balance["available"]),
        8_000,
        "the two good charges, and only those"
    );
    tally.verify();
}
