//! End to end: every endpoint of API.md (Conventions, Accounts and balances, Grants, Charges,
//! Holds, Ledger entries, Keys, Test clock, Operations) against a real `tally serve`, checking
//! status codes and field shapes, and `tally verify` after each test.

mod common;

use common::*;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------

/// Every route API.md names for the sections this server implements, as (method, path).
const CONTRACT_ROUTES: &[(&str, &str)] = &[
    ("post", "/v1/accounts"),
    ("get", "/v1/accounts"),
    ("get", "/v1/accounts/{}"),
    ("get", "/v1/accounts/{}/balance"),
    ("post", "/v1/accounts/{}/grants"),
    ("get", "/v1/accounts/{}/grants"),
    ("post", "/v1/grants/{}/void"),
    ("post", "/v1/accounts/{}/charges"),
    ("post", "/v1/accounts/{}/holds"),
    ("get", "/v1/holds/{}"),
    ("post", "/v1/holds/{}/capture"),
    ("post", "/v1/holds/{}/void"),
    ("get", "/v1/accounts/{}/entries"),
    ("post", "/v1/accounts/{}/keys"),
    ("get", "/v1/accounts/{}/keys"),
    ("delete", "/v1/keys/{}"),
    ("get", "/v1/clock"),
    ("post", "/v1/clock"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/openapi.json"),
];

/// `/v1/accounts/{id}/grants` → `/v1/accounts/{}/grants`.
fn normalize_path(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') && segment.ends_with('}') {
                "{}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn is_prometheus_number(text: &str) -> bool {
    matches!(text, "NaN" | "+Inf" | "-Inf")
        || serde_json::from_str::<Value>(text).is_ok_and(|value| value.is_number())
}

#[test]
fn operations_endpoints_need_no_key() {
    let t = Tally::start();
    let anonymous = t.anonymous();

    let health = anonymous.get("/healthz").expect(200);
    assert!(health.body.is_object(), "/healthz: {}", health.text);
    let ready = anonymous.get("/readyz").expect(200);
    assert!(ready.body.is_object(), "/readyz: {}", ready.text);

    // Some traffic, so the metrics have something to count.
    create_account(&t.admin(), "ops");
    let metrics = anonymous.get("/metrics").expect(200);
    let content_type = metrics.header("content-type").unwrap_or_default();
    assert!(
        content_type.starts_with("text/plain"),
        "/metrics must be Prometheus text, got content-type {content_type:?}"
    );
    let mut samples = 0;
    for line in metrics.text.lines().filter(|line| !line.trim().is_empty()) {
        if let Some(comment) = line.strip_prefix('#') {
            let comment = comment.trim_start();
            assert!(
                comment.starts_with("TYPE ") || comment.starts_with("HELP "),
                "/metrics: unexpected comment line {line:?}"
            );
            continue;
        }
        let name_end = line
            .find(['{', ' '])
            .unwrap_or_else(|| panic!("/metrics: no value on line {line:?}"));
        let name = &line[..name_end];
        assert!(
            !name.is_empty()
                && !name.starts_with(|c: char| c.is_ascii_digit())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "/metrics: bad metric name on line {line:?}"
        );
        let value = line
            .rsplit(' ')
            .next()
            .unwrap_or_else(|| panic!("/metrics: no value on line {line:?}"));
        assert!(
            is_prometheus_number(value),
            "/metrics: bad value on line {line:?}"
        );
        samples += 1;
    }
    assert!(samples > 0, "/metrics has no samples:\n{}", metrics.text);

    let openapi = anonymous.get("/openapi.json").expect(200);
    let version = openapi["openapi"].as_str().unwrap_or_default();
    assert!(
        version.starts_with("3.1"),
        "/openapi.json must be OpenAPI 3.1, got {version:?}"
    );
    let paths = openapi["paths"]
        .as_object()
        .expect("/openapi.json has `paths`");
    let documented: Vec<(String, String)> = paths
        .iter()
        .flat_map(|(path, operations)| {
            let path = normalize_path(path);
            operations
                .as_object()
                .into_iter()
                .flat_map(|operations| operations.keys())
                .map(move |method| (method.to_ascii_lowercase(), path.clone()))
        })
        .collect();
    for (method, path) in CONTRACT_ROUTES {
        assert!(
            documented.iter().any(|(m, p)| m == method && p == path),
            "/openapi.json does not document {} {path}",
            method.to_uppercase()
        );
    }
    t.verify();
}

#[test]
fn clock_endpoints_are_404_without_the_test_clock() {
    let t = Tally::start();
    let admin = t.admin();
    admin.get("/v1/clock").problem(404, "not_found");
    admin
        .post("/v1/clock", json!({"advance_seconds": 60}))
        .problem(404, "not_found");
    t.verify();
}

#[test]
fn a_request_refused_before_its_body_arrives_leaves_the_connection_usable() {
    // A client sends a POST's head, the server refuses it at once (no key: 401; another
    // account's hold: 404) without reading the body, then the body arrives. The connection
    // must still serve the next request, or the refusal must say `Connection: close`:
    // otherwise a client with a connection pool sends its next request into a closed socket.
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "a");
    create_account(&admin, "b");
    grant(&admin, "b", json!(10), json!({}));
    let b_hold = hold(&admin, "b", json!(1)).expect(201).id();
    let (_, a_key) = account_key(&admin, "a");

    let body = br#"{"amount": 1}"#;
    let cases = [
        ("/v1/accounts/a/charges".to_string(), None, 401),
        (format!("/v1/holds/{b_hold}/capture"), Some(&a_key), 404),
        ("/v1/accounts/b/charges".to_string(), Some(&a_key), 404),
    ];
    // Whether the server still reads the late body is a race on its side: try each case a few
    // times, so a server that closes such connections fails here every time, not now and then.
    let attempts = cases.iter().flat_map(|case| std::iter::repeat_n(case, 5));
    for (path, key, status) in attempts {
        let status = *status;
        let mut connection = RawConnection::open(t.server().base());
        let authorization = key
            .map(|key| format!("Authorization: Bearer {key}\r\n"))
            .unwrap_or_default();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: tally\r\n{authorization}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        assert!(connection.send(head.as_bytes()));
        let refused = connection
            .read_response()
            .unwrap_or_else(|| panic!("POST {path}: no answer"));
        assert_eq!(refused.status, status, "POST {path}: {}", refused.text);
        let closing = refused
            .header("connection")
            .is_some_and(|value| value.eq_ignore_ascii_case("close"));
        if closing {
            continue;
        }
        let sent = connection.send(body)
            && connection.send(b"GET /healthz HTTP/1.1\r\nHost: tally\r\n\r\n");
        let next = connection.read_response().filter(|_| sent);
        assert!(
            next.as_ref().is_some_and(|next| next.status == 200),
            "POST {path} was answered {status} without `Connection: close` before its body \
             arrived; after the body, the next request on the connection got {:?} (the \
             server closed a connection it had left open for reuse)",
            next.map(|next| (next.status, next.text))
        );
    }
    t.verify();
}

// ---------------------------------------------------------------------------------------------
// Accounts and balances
// ---------------------------------------------------------------------------------------------

fn is_valid_account_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"_.:-".contains(&byte))
}

#[test]
fn accounts_are_created_read_listed_and_unique() {
    let t = Tally::start();
    let admin = t.admin();

    let created = admin
        .post(
            "/v1/accounts",
            json!({"id": "acme", "name": "Acme Inc.", "overdraft_limit": num("25.5"), "metadata": {"plan": "team"}}),
        )
        .expect(201);
    assert_eq!(created["id"], json!("acme"));
    assert_eq!(created["name"], json!("Acme Inc."));
    assert_eq!(created["overdraft_limit"], num("25.5"));
    assert_eq!(created["metadata"], json!({"plan": "team"}));
    instant(&created["created_at"]);
    assert!(
        !created["balance"].is_null(),
        "Account has a `balance`: {}",
        created.text
    );

    let read = admin.get("/v1/accounts/acme").expect(200);
    for field in ["id", "name", "overdraft_limit", "metadata", "created_at"] {
        assert_eq!(read[field], created[field], "GET account: field {field}");
    }
    let available = match &read["balance"] {
        Value::Object(balance) => balance["available"].clone(),
        other => other.clone(),
    };
    assert_eq!(millis(&available), 0, "a new account's balance is 0");
    let b = balance(&admin, "acme");
    assert_eq!(b["next_expiry"], Value::Null, "nothing expires: {b}");
    assert_eq!(b["grants"], json!([]));
    assert_eq!(b["overdraft_limit"], num("25.5"));

    // A duplicate id: 409 conflict, and the account is unchanged.
    admin
        .post("/v1/accounts", json!({"id": "acme", "name": "Impostor"}))
        .problem(409, "conflict");
    assert_eq!(
        admin.get("/v1/accounts/acme").expect(200)["name"],
        json!("Acme Inc.")
    );

    // A generated id, and the defaults.
    let generated = admin.post("/v1/accounts", json!({})).expect(201);
    let generated_id = generated.id();
    assert!(
        is_valid_account_id(&generated_id),
        "a generated account id: {generated_id:?}"
    );
    assert_eq!(millis(&generated["overdraft_limit"]), 0);

    // The longest valid id, with every kind of character allowed.
    let longest = format!("{}_.:-", "Az09".repeat(15));
    assert_eq!(longest.len(), 64);
    let created_longest = admin
        .post("/v1/accounts", json!({"id": longest}))
        .expect(201);
    assert_eq!(created_longest["id"], json!(longest));
    admin.get(&format!("/v1/accounts/{longest}")).expect(200);

    // Invalid ids.
    for bad in ["has space", "slash/no", &"x".repeat(65), ""] {
        let response = admin.post("/v1/accounts", json!({"id": bad}));
        let problem = response.problem(422, "invalid_request");
        assert_eq!(problem["param"], json!("id"), "{}", response.text);
    }

    // The list: newest first.
    let list = admin.get("/v1/accounts").expect(200);
    let ids: Vec<&str> = list["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|account| account["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, vec![longest.as_str(), generated_id.as_str(), "acme"]);
    assert_eq!(list["has_more"], json!(false));

    admin.get("/v1/accounts/nope").problem(404, "not_found");
    admin
        .get("/v1/accounts/nope/balance")
        .problem(404, "not_found");
    t.verify();
}

#[test]
fn grants_balance_list_and_void() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "b1");
    let expires = jiff::Timestamp::from_second(wall_now().as_second() + 2 * 86_400).unwrap();

    let g1 = admin
        .post(
            "/v1/accounts/b1/grants",
            json!({
                "amount": 100, "source": "pack", "priority": 1, "expires_at": expires.to_string(),
                "description": "welcome pack", "metadata": {"order": "o-1"}
            }),
        )
        .expect(201);
    let g1_id = g1.id();
    assert!(g1_id.starts_with("grant_"), "grant id {g1_id}");
    assert_eq!(g1["account_id"], json!("b1"));
    assert_eq!(g1["amount"], json!(100));
    assert_eq!(g1["remaining"], json!(100));
    assert_eq!(g1["source"], json!("pack"));
    assert_eq!(g1["priority"], json!(1));
    assert_eq!(g1["status"], json!("active"));
    assert_eq!(instant(&g1["expires_at"]), expires);
    instant(&g1["effective_at"]);
    instant(&g1["created_at"]);

    let g2 = admin
        .post("/v1/accounts/b1/grants", json!({"amount": num("50.25")}))
        .expect(201);
    let g2_id = g2.id();
    assert_eq!(g2["source"], json!("promo"), "the default source");
    assert_eq!(g2["priority"], json!(0), "the default priority");
    assert_eq!(g2["expires_at"], Value::Null, "no expiry by default");
    assert_eq!(g2["status"], json!("active"));

    for source in ["promo", "adjustment", "plan", "pack"] {
        let response = admin.post(
            "/v1/accounts/b1/grants",
            json!({"amount": 1, "source": source}),
        );
        assert_eq!(response.expect(201)["source"], json!(source));
    }
    let response = admin.post(
        "/v1/accounts/b1/grants",
        json!({"amount": 1, "source": "gift"}),
    );
    assert_eq!(
        response.problem(422, "invalid_request")["param"],
        json!("source")
    );

    let b = balance(&admin, "b1");
    assert_eq!(b["account_id"], json!("b1"));
    assert_eq!(b["available"], num("154.25"));
    assert_eq!(b["posted"], num("154.25"));
    assert_eq!(b["held"], json!(0));
    assert_eq!(b["overdraft_limit"], json!(0));
    let grants = b["grants"].as_array().expect("balance.grants");
    let listed_g1 = grants
        .iter()
        .find(|grant| grant["id"] == json!(g1_id))
        .expect("g1 in balance.grants");
    assert_eq!(listed_g1["source"], json!("pack"));
    assert_eq!(listed_g1["remaining"], json!(100));
    assert_eq!(listed_g1["priority"], json!(1));
    assert_eq!(instant(&listed_g1["expires_at"]), expires);
    let total: i64 = grants.iter().map(|grant| millis(&grant["remaining"])).sum();
    assert_eq!(total, 154_250, "balance.grants add up to posted");
    assert_eq!(instant(&b["next_expiry"]["at"]), expires);
    assert_eq!(b["next_expiry"]["amount"], json!(100));

    // The account's grants, newest first; by status.
    let listed = admin.get("/v1/accounts/b1/grants").expect(200);
    let data = listed["data"].as_array().expect("data");
    assert_eq!(data.len(), 6);
    assert_eq!(data[4]["id"], json!(g2_id));
    assert_eq!(data[5]["id"], json!(g1_id));
    assert_eq!(listed["has_more"], json!(false));
    let active = admin
        .get("/v1/accounts/b1/grants?status=active")
        .expect(200);
    assert_eq!(active["data"].as_array().expect("data").len(), 6);

    // Void: 200, status voided, the rest is gone, a `void` entry says so.
    let voided = admin
        .post_empty(&format!("/v1/grants/{g2_id}/void"))
        .expect(200);
    assert_eq!(voided["id"], json!(g2_id));
    assert_eq!(voided["status"], json!("voided"));
    assert_eq!(voided["remaining"], json!(0));
    let b = balance(&admin, "b1");
    assert_eq!(b["available"], json!(104));
    let void_entries: Vec<Value> = of_type(&entries(&admin, "b1"), "void")
        .into_iter()
        .cloned()
        .collect();
    assert_eq!(void_entries.len(), 1);
    assert_eq!(void_entries[0]["amount"], num("-50.25"));
    assert_eq!(void_entries[0]["held"], json!(0));
    assert_eq!(void_entries[0]["grant_id"], json!(g2_id));
    let by_status = admin
        .get("/v1/accounts/b1/grants?status=voided")
        .expect(200);
    let ids: Vec<&Value> = by_status["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|grant| &grant["id"])
        .collect();
    assert_eq!(ids, vec![&json!(g2_id)]);

    admin
        .post_empty("/v1/grants/grant_doesnotexist/void")
        .problem(404, "not_found");
    admin
        .post("/v1/accounts/nope/grants", json!({"amount": 1}))
        .problem(404, "not_found");
    admin
        .get("/v1/accounts/nope/grants")
        .problem(404, "not_found");
    t.verify();
}

#[test]
fn a_grant_is_pending_until_effective() {
    let t = Tally::with_test_clock();
    let admin = t.admin();
    create_account(&admin, "later");
    let now = instant(&admin.get("/v1/clock").expect(200)["now"]);
    let g = grant(
        &admin,
        "later",
        json!(10),
        json!({"effective_at": plus_seconds(now, 3600)}),
    );
    assert_eq!(g["status"], json!("pending"));
    assert_eq!(balance(&admin, "later")["available"], json!(0));
    let refused = charge(&admin, "later", json!(1));
    let problem = refused.problem(402, "insufficient_credits");
    assert_eq!(problem["available"], json!(0));
    assert_eq!(problem["required"], json!(1));

    admin
        .post("/v1/clock", json!({"advance_seconds": 3600}))
        .expect(200);
    let listed = admin.get("/v1/accounts/later/grants").expect(200);
    assert_eq!(listed["data"][0]["status"], json!("active"));
    assert_eq!(balance(&admin, "later")["available"], json!(10));
    charge(&admin, "later", json!(1)).expect(201);
    t.verify();
}

// ---------------------------------------------------------------------------------------------
// Charges
// ---------------------------------------------------------------------------------------------

fn drawn(charge: &Resp) -> Vec<(String, i64)> {
    charge["drawn"]
        .as_array()
        .unwrap_or_else(|| panic!("charge.drawn: {}", charge.text))
        .iter()
        .map(|line| {
            (
                line["grant_id"]
                    .as_str()
                    .expect("drawn.grant_id")
                    .to_string(),
                millis(&line["amount"]),
            )
        })
        .collect()
}

#[test]
fn charges_draw_by_priority_then_soonest_expiry_then_age() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "order");
    let day = |days: i64| {
        jiff::Timestamp::from_second(wall_now().as_second() + days * 86_400)
            .unwrap()
            .to_string()
    };
    // Created in an order unlike the spending order.
    let a = grant(&admin, "order", json!(10), json!({"priority": 1}))["id"].clone();
    let b = grant(
        &admin,
        "order",
        json!(10),
        json!({"priority": 0, "expires_at": day(2)}),
    )["id"]
        .clone();
    let d = grant(&admin, "order", json!(10), json!({"priority": 0}))["id"].clone();
    let c = grant(
        &admin,
        "order",
        json!(10),
        json!({"priority": 0, "expires_at": day(1)}),
    )["id"]
        .clone();
    let e = grant(&admin, "order", json!(10), json!({"priority": 0}))["id"].clone();
    let f = grant(&admin, "order", json!(1), json!({"priority": -1}))["id"].clone();
    let id = |value: &Value| value.as_str().expect("grant id").to_string();

    let first = charge(&admin, "order", json!(4)).expect(201);
    assert_eq!(drawn(&first), vec![(id(&f), 1000), (id(&c), 3000)]);
    assert_eq!(first["available_after"], json!(47));

    let second = charge(&admin, "order", json!(41)).expect(201);
    assert_eq!(
        drawn(&second),
        vec![
            (id(&c), 7000),
            (id(&b), 10_000),
            (id(&d), 10_000),
            (id(&e), 10_000),
            (id(&a), 4000),
        ],
        "lowest priority first, then soonest expiry (never last), then oldest"
    );
    assert_eq!(second["available_after"], json!(6));

    let depleted = admin
        .get("/v1/accounts/order/grants?status=depleted")
        .expect(200);
    let mut ids: Vec<String> = depleted["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|grant| id(&grant["id"]))
        .collect();
    ids.sort();
    let mut expected = vec![id(&b), id(&c), id(&d), id(&e), id(&f)];
    expected.sort();
    assert_eq!(ids, expected);
    let listed = admin.get("/v1/accounts/order/grants").expect(200);
    let a_now = listed["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|grant| grant["id"] == a)
        .expect("grant a")
        .clone();
    assert_eq!(a_now["remaining"], json!(6));
    assert_eq!(a_now["status"], json!("active"));
    t.verify();
}

#[test]
fn charge_shape_and_exact_amounts() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "shape");
    let g = grant(&admin, "shape", json!(10), json!({}));

    let c = admin
        .post(
            "/v1/accounts/shape/charges",
            json!({"amount": num("0.125"), "product": "assistant", "member": "ann", "description": "a chat", "metadata": {"k": "v"}}),
        )
        .expect(201);
    let charge_id = c.id();
    assert!(charge_id.starts_with("chg_"), "charge id {charge_id}");
    assert_eq!(c["account_id"], json!("shape"));
    assert_eq!(c["amount"], num("0.125"));
    assert_eq!(
        c["drawn"],
        json!([{"grant_id": g["id"], "amount": num("0.125")}])
    );
    assert_eq!(c["available_after"], num("9.875"));
    instant(&c["created_at"]);

    let charge_entries: Vec<Value> = entries(&admin, "shape")
        .into_iter()
        .filter(|entry| entry["charge_id"] == json!(charge_id))
        .collect();
    assert_eq!(charge_entries.len(), 1, "one entry for the charge");
    assert_eq!(charge_entries[0]["type"], json!("charge"));
    assert_eq!(charge_entries[0]["amount"], num("-0.125"));
    assert_eq!(charge_entries[0]["product"], json!("assistant"));
    assert_eq!(charge_entries[0]["member"], json!("ann"));

    let read = admin.get(&format!("/v1/charges/{charge_id}")).expect(200);
    for field in [
        "id",
        "account_id",
        "amount",
        "drawn",
        "available_after",
        "created_at",
    ] {
        assert_eq!(read[field], c[field], "GET charge: field {field}");
    }

    // Trailing zeros don't count; exponents are numbers too.
    let trailing = admin
        .post_raw("/v1/accounts/shape/charges", br#"{"amount": 1.2000}"#, &[])
        .expect(201);
    assert_eq!(trailing["amount"], num("1.2"));
    let exponent = admin
        .post_raw("/v1/accounts/shape/charges", br#"{"amount": 5e-1}"#, &[])
        .expect(201);
    assert_eq!(exponent["amount"], num("0.5"));
    assert_eq!(exponent["available_after"], num("8.175"));
    assert_eq!(balance(&admin, "shape")["available"], num("8.175"));

    admin
        .get("/v1/charges/chg_doesnotexist")
        .problem(404, "not_found");
    t.verify();
}

#[test]
fn insufficient_credits_is_402_and_draws_nothing() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "poor");
    grant(&admin, "poor", json!(10), json!({}));
    hold(&admin, "poor", json!(4)).expect(201);

    let before = snapshot(&admin, "poor");
    assert_eq!(before.balance["available"], json!(6));
    let refused = charge(&admin, "poor", num("6.001"));
    let problem = refused.problem(402, "insufficient_credits");
    assert_eq!(problem["available"], json!(6));
    assert_eq!(problem["required"], num("6.001"));
    assert_eq!(snapshot(&admin, "poor"), before, "a 402 changes nothing");

    let refused = hold(&admin, "poor", json!(7));
    let problem = refused.problem(402, "insufficient_credits");
    assert_eq!(problem["available"], json!(6));
    assert_eq!(problem["required"], json!(7));
    assert_eq!(snapshot(&admin, "poor"), before, "a 402 changes nothing");

    let exact = charge(&admin, "poor", json!(6)).expect(201);
    assert_eq!(exact["available_after"], json!(0));
    let problem_response = charge(&admin, "poor", num("0.001"));
    let problem = problem_response.problem(402, "insufficient_credits");
    assert_eq!(problem["available"], json!(0));
    assert_eq!(problem["required"], num("0.001"));
    t.verify();
}

#[test]
fn overdraft_limit_lets_available_go_negative_down_to_the_limit() {
    let t = Tally::start();
    let admin = t.admin();
    admin
        .post("/v1/accounts", json!({"id": "od", "overdraft_limit": 50}))
        .expect(201);
    let first = charge(&admin, "od", json!(30)).expect(201);
    assert_eq!(first["available_after"], json!(-30));
    let b = balance(&admin, "od");
    assert_eq!(b["posted"], json!(-30));
    assert_eq!(b["available"], json!(-30));
    assert_eq!(b["overdraft_limit"], json!(50));

    let before = snapshot(&admin, "od");
    let refused = charge(&admin, "od", num("20.001"));
    let problem = refused.problem(402, "insufficient_credits");
    assert_eq!(problem["available"], json!(-30));
    assert_eq!(problem["required"], num("20.001"));
    assert_eq!(snapshot(&admin, "od"), before);

    let second = charge(&admin, "od", json!(20)).expect(201);
    assert_eq!(second["available_after"], json!(-50));

    // The next credits granted repay the debt first.
    grant(&admin, "od", json!(100), json!({}));
    let b = balance(&admin, "od");
    assert_eq!(b["available"], json!(50));
    assert_eq!(b["posted"], json!(50));
    t.verify();
}

// ---------------------------------------------------------------------------------------------
// Holds
// ---------------------------------------------------------------------------------------------

fn seconds_between(from: &Value, to: &Value) -> i64 {
    instant(to).as_second() - instant(from).as_second()
}

fn hold_entries(all: &[Value], hold_id: &str) -> Vec<(String, i64, i64)> {
    all.iter()
        .filter(|entry| entry["hold_id"] == json!(hold_id))
        .map(|entry| {
            (
                entry["type"].as_str().expect("type").to_string(),
                millis(&entry["amount"]),
                millis(&entry["held"]),
            )
        })
        .collect()
}

fn sorted<T: Ord>(mut items: Vec<T>) -> Vec<T> {
    items.sort();
    items
}

#[test]
fn hold_then_partial_capture_releases_the_rest() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "h");
    grant(&admin, "h", json!(100), json!({}));

    let h = admin
        .post(
            "/v1/accounts/h/holds",
            json!({"amount": 30, "ttl_seconds": 120, "description": "a video"}),
        )
        .expect(201);
    let hold_id = h.id();
    assert!(hold_id.starts_with("hold_"), "hold id {hold_id}");
    assert_eq!(h["account_id"], json!("h"));
    assert_eq!(h["status"], json!("pending"));
    assert_eq!(h["amount"], json!(30));
    assert_eq!(h["captured"], json!(0));
    assert_eq!(seconds_between(&h["created_at"], &h["expires_at"]), 120);

    let b = balance(&admin, "h");
    assert_eq!(
        (
            b["posted"].clone(),
            b["held"].clone(),
            b["available"].clone()
        ),
        (json!(100), json!(30), json!(70))
    );
    let read = admin.get(&format!("/v1/holds/{hold_id}")).expect(200);
    assert_eq!(read["status"], json!("pending"));
    assert_eq!(read["amount"], json!(30));

    let captured = admin
        .post(
            &format!("/v1/holds/{hold_id}/capture"),
            json!({"amount": num("12.5")}),
        )
        .expect(200);
    assert_eq!(captured["id"], json!(hold_id));
    assert_eq!(captured["status"], json!("captured"));
    assert_eq!(captured["amount"], json!(30));
    assert_eq!(captured["captured"], num("12.5"));
    assert_eq!(captured["released"], num("17.5"));

    let b = balance(&admin, "h");
    assert_eq!(
        (
            b["posted"].clone(),
            b["held"].clone(),
            b["available"].clone()
        ),
        (num("87.5"), json!(0), num("87.5"))
    );
    assert_eq!(
        admin.get(&format!("/v1/holds/{hold_id}")).expect(200)["status"],
        json!("captured")
    );
    assert_eq!(
        sorted(hold_entries(&entries(&admin, "h"), &hold_id)),
        sorted(vec![
            ("hold".to_string(), 0, 30_000),
            ("capture".to_string(), -12_500, -12_500),
            ("release".to_string(), 0, -17_500),
        ])
    );

    // The default time to live is 600 seconds.
    let default_ttl = hold(&admin, "h", json!(1)).expect(201);
    assert_eq!(
        seconds_between(&default_ttl["created_at"], &default_ttl["expires_at"]),
        600
    );
    t.verify();
}

#[test]
fn hold_full_capture_with_an_empty_body() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "full");
    grant(&admin, "full", json!(100), json!({}));

    let h = hold(&admin, "full", json!(30)).expect(201).id();
    let captured = admin
        .post_empty(&format!("/v1/holds/{h}/capture"))
        .expect(200);
    assert_eq!(captured["status"], json!("captured"));
    assert_eq!(captured["captured"], json!(30));
    assert_eq!(captured["released"], json!(0));

    let h2 = hold(&admin, "full", num("5.5")).expect(201).id();
    let captured = admin
        .post_raw(&format!("/v1/holds/{h2}/capture"), b"{}", &[])
        .expect(200);
    assert_eq!(captured["captured"], num("5.5"));
    assert_eq!(captured["released"], json!(0));

    let b = balance(&admin, "full");
    assert_eq!(b["posted"], num("64.5"));
    assert_eq!(b["held"], json!(0));
    let all = entries(&admin, "full");
    let capture = hold_entries(&all, &h)
        .into_iter()
        .find(|(kind, _, _)| kind == "capture")
        .expect("a capture entry");
    assert_eq!(capture, ("capture".to_string(), -30_000, -30_000));
    t.verify();
}

#[test]
fn hold_void_releases_everything() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "v");
    grant(&admin, "v", json!(50), json!({}));
    let h = hold(&admin, "v", json!(20)).expect(201).id();
    assert_eq!(balance(&admin, "v")["available"], json!(30));

    let voided = admin.post_empty(&format!("/v1/holds/{h}/void")).expect(200);
    assert_eq!(voided["id"], json!(h));
    assert_eq!(voided["status"], json!("voided"));
    let b = balance(&admin, "v");
    assert_eq!(
        (
            b["posted"].clone(),
            b["held"].clone(),
            b["available"].clone()
        ),
        (json!(50), json!(0), json!(50))
    );
    assert_eq!(
        sorted(hold_entries(&entries(&admin, "v"), &h)),
        sorted(vec![
            ("hold".to_string(), 0, 20_000),
            ("release".to_string(), 0, -20_000),
        ])
    );
    t.verify();
}

#[test]
fn capture_or_void_of_a_finished_hold_is_409_hold_not_pending() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "done");
    grant(&admin, "done", json!(100), json!({}));
    let captured = hold(&admin, "done", json!(10)).expect(201).id();
    admin
        .post_empty(&format!("/v1/holds/{captured}/capture"))
        .expect(200);
    let voided = hold(&admin, "done", json!(10)).expect(201).id();
    admin
        .post_empty(&format!("/v1/holds/{voided}/void"))
        .expect(200);

    let before = snapshot(&admin, "done");
    for (hold_id, status) in [(&captured, "captured"), (&voided, "voided")] {
        for action in ["capture", "void"] {
            let response = admin.post_empty(&format!("/v1/holds/{hold_id}/{action}"));
            let problem = response.problem(409, "hold_not_pending");
            assert_eq!(problem["hold_status"], json!(status), "{}", response.text);
        }
        let response = admin.post(
            &format!("/v1/holds/{hold_id}/capture"),
            json!({"amount": 1}),
        );
        assert_eq!(
            response.problem(409, "hold_not_pending")["hold_status"],
            json!(status)
        );
    }
    assert_eq!(snapshot(&admin, "done"), before);
    t.verify();
}

#[test]
fn capture_over_the_hold_is_422_capture_exceeds_hold() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "over");
    grant(&admin, "over", json!(100), json!({}));
    let h = hold(&admin, "over", json!(10)).expect(201).id();

    let before = snapshot(&admin, "over");
    let response = admin.post(
        &format!("/v1/holds/{h}/capture"),
        json!({"amount": num("10.001")}),
    );
    let problem = response.problem(422, "capture_exceeds_hold");
    assert_eq!(problem["held"], json!(10));
    assert_eq!(problem["requested"], num("10.001"));
    assert_eq!(snapshot(&admin, "over"), before);
    assert_eq!(
        admin.get(&format!("/v1/holds/{h}")).expect(200)["status"],
        json!("pending")
    );

    let captured = admin
        .post(&format!("/v1/holds/{h}/capture"), json!({"amount": 10}))
        .expect(200);
    assert_eq!(captured["captured"], json!(10));
    t.verify();
}

// ---------------------------------------------------------------------------------------------
// Not found
// ---------------------------------------------------------------------------------------------

#[test]
fn unknown_accounts_holds_grants_charges_and_keys_are_404() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "real");
    grant(&admin, "real", json!(10), json!({}));
    let before = snapshot(&admin, "real");

    let gets = [
        "/v1/accounts/nope",
        "/v1/accounts/nope/balance",
        "/v1/accounts/nope/entries",
        "/v1/accounts/nope/grants",
        "/v1/accounts/nope/keys",
        "/v1/holds/hold_doesnotexist",
        "/v1/charges/chg_doesnotexist",
    ];
    for path in gets {
        admin.get(path).problem(404, "not_found");
    }
    let posts = [
        ("/v1/accounts/nope/grants", json!({"amount": 1})),
        ("/v1/accounts/nope/charges", json!({"amount": 1})),
        ("/v1/accounts/nope/holds", json!({"amount": 1})),
        ("/v1/accounts/nope/keys", json!({})),
        ("/v1/holds/hold_doesnotexist/capture", json!({})),
        ("/v1/holds/hold_doesnotexist/void", json!({})),
        ("/v1/grants/grant_doesnotexist/void", json!({})),
    ];
    for (path, body) in posts {
        admin.post(path, body).problem(404, "not_found");
    }
    admin
        .delete("/v1/keys/key_doesnotexist")
        .problem(404, "not_found");
    assert_eq!(snapshot(&admin, "real"), before);
    let accounts = admin.get("/v1/accounts").expect(200);
    assert_eq!(accounts["data"].as_array().expect("data").len(), 1);
    t.verify();
}

// ---------------------------------------------------------------------------------------------
// Auth and keys
// ---------------------------------------------------------------------------------------------

struct TwoAccounts {
    a_grant: String,
    b_grant: String,
    a_key_id: String,
    a_key: String,
    b_key_id: String,
    b_key: String,
    b_hold: String,
    b_charge: String,
}

fn two_accounts(admin: &Client) -> TwoAccounts {
    create_account(admin, "a");
    create_account(admin, "b");
    let a_grant = grant(admin, "a", json!(100), json!({}))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let b_grant = grant(admin, "b", json!(100), json!({}))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (a_key_id, a_key) = account_key(admin, "a");
    let (b_key_id, b_key) = account_key(admin, "b");
    let b_hold = hold(admin, "b", json!(10)).expect(201).id();
    let b_charge = charge(admin, "b", json!(5)).expect(201).id();
    TwoAccounts {
        a_grant,
        b_grant,
        a_key_id,
        a_key,
        b_key_id,
        b_key,
        b_hold,
        b_charge,
    }
}

#[test]
fn no_key_unknown_key_or_another_scheme_is_401() {
    let t = Tally::with_test_clock();
    let admin = t.admin();
    let s = two_accounts(&admin);
    let a_hold = hold(&admin, "a", json!(1)).expect(201).id();
    let a_charge = charge(&admin, "a", json!(1)).expect(201).id();
    let before_a = snapshot(&admin, "a");
    let clock_before = admin.get("/v1/clock").expect(200).body;

    let routes: Vec<(&str, String, Option<Value>)> = vec![
        ("GET", "/v1/accounts".into(), None),
        (
            "POST",
            "/v1/accounts".into(),
            Some(json!({"id": "intruder"})),
        ),
        ("GET", "/v1/accounts/a".into(), None),
        ("GET", "/v1/accounts/a/balance".into(), None),
        (
            "POST",
            "/v1/accounts/a/grants".into(),
            Some(json!({"amount": 1})),
        ),
        ("GET", "/v1/accounts/a/grants".into(), None),
        (
            "POST",
            format!("/v1/grants/{}/void", s.a_grant),
            Some(json!({})),
        ),
        (
            "POST",
            "/v1/accounts/a/charges".into(),
            Some(json!({"amount": 1})),
        ),
        ("GET", format!("/v1/charges/{a_charge}"), None),
        (
            "POST",
            "/v1/accounts/a/holds".into(),
            Some(json!({"amount": 1})),
        ),
        ("GET", format!("/v1/holds/{a_hold}"), None),
        (
            "POST",
            format!("/v1/holds/{a_hold}/capture"),
            Some(json!({})),
        ),
        ("POST", format!("/v1/holds/{a_hold}/void"), Some(json!({}))),
        ("GET", "/v1/accounts/a/entries".into(), None),
        ("POST", "/v1/accounts/a/keys".into(), Some(json!({}))),
        ("GET", "/v1/accounts/a/keys".into(), None),
        ("DELETE", format!("/v1/keys/{}", s.a_key_id), None),
        ("GET", "/v1/clock".into(), None),
        (
            "POST",
            "/v1/clock".into(),
            Some(json!({"advance_seconds": 60})),
        ),
    ];
    let anonymous = t.anonymous();
    let unknown = t.client("tk_live_thiskeydoesnotexist");
    let wrong_admin = t.client(&format!("{ADMIN_KEY}x"));
    for (method, path, body) in &routes {
        let bytes = body.as_ref().map(|body| body.to_string().into_bytes());
        let bytes = bytes.as_deref();
        anonymous
            .request(method, path, bytes, &[])
            .problem(401, "unauthorized");
        unknown
            .request(method, path, bytes, &[])
            .problem(401, "unauthorized");
        wrong_admin
            .request(method, path, bytes, &[])
            .problem(401, "unauthorized");
        let basic = format!("Basic {ADMIN_KEY}");
        anonymous
            .request(method, path, bytes, &[("Authorization", basic.as_str())])
            .problem(401, "unauthorized");
    }
    assert_eq!(snapshot(&admin, "a"), before_a);
    assert_eq!(admin.get("/v1/clock").expect(200).body, clock_before);
    admin.get("/v1/accounts/intruder").problem(404, "not_found");
    // The account key was not revoked by the refused DELETE.
    t.client(&s.a_key).get("/v1/accounts/a").expect(200);
    t.verify();
}

#[test]
fn an_account_key_gets_403_on_admin_endpoints_whatever_the_account() {
    let t = Tally::with_test_clock();
    let admin = t.admin();
    let s = two_accounts(&admin);
    let ka = t.client(&s.a_key);
    let before_a = snapshot(&admin, "a");
    let before_b = snapshot(&admin, "b");
    let clock_before = admin.get("/v1/clock").expect(200).body;

    let forbidden: Vec<(&str, String, Option<Value>)> = vec![
        ("GET", "/v1/accounts".into(), None),
        ("POST", "/v1/accounts".into(), Some(json!({"id": "mine"}))),
        (
            "POST",
            "/v1/accounts/a/grants".into(),
            Some(json!({"amount": 1})),
        ),
        (
            "POST",
            "/v1/accounts/b/grants".into(),
            Some(json!({"amount": 1})),
        ),
        (
            "POST",
            format!("/v1/grants/{}/void", s.a_grant),
            Some(json!({})),
        ),
        (
            "POST",
            format!("/v1/grants/{}/void", s.b_grant),
            Some(json!({})),
        ),
        ("POST", "/v1/accounts/a/keys".into(), Some(json!({}))),
        ("GET", "/v1/accounts/a/keys".into(), None),
        ("POST", "/v1/accounts/b/keys".into(), Some(json!({}))),
        ("GET", "/v1/accounts/b/keys".into(), None),
        (
            "POST",
            "/v1/accounts/zz/grants".into(),
            Some(json!({"amount": 1})),
        ),
        ("POST", "/v1/accounts/zz/keys".into(), Some(json!({}))),
        ("GET", "/v1/accounts/zz/keys".into(), None),
        (
            "POST",
            "/v1/grants/grant_doesnotexist/void".into(),
            Some(json!({})),
        ),
        ("DELETE", "/v1/keys/key_doesnotexist".into(), None),
        ("DELETE", format!("/v1/keys/{}", s.a_key_id), None),
        ("DELETE", format!("/v1/keys/{}", s.b_key_id), None),
        ("GET", "/v1/clock".into(), None),
        (
            "POST",
            "/v1/clock".into(),
            Some(json!({"advance_seconds": 60})),
        ),
    ];
    for (method, path, body) in &forbidden {
        let bytes = body.as_ref().map(|body| body.to_string().into_bytes());
        ka.request(method, path, bytes.as_deref(), &[])
            .problem(403, "forbidden");
    }
    assert_eq!(snapshot(&admin, "a"), before_a);
    assert_eq!(snapshot(&admin, "b"), before_b);
    assert_eq!(admin.get("/v1/clock").expect(200).body, clock_before);
    admin.get("/v1/accounts/mine").problem(404, "not_found");
    ka.get("/v1/accounts/a").expect(200);
    t.client(&s.b_key).get("/v1/accounts/b").expect(200);
    t.verify();
}

#[test]
fn an_account_key_sees_only_its_own_account() {
    let t = Tally::start();
    let admin = t.admin();
    let s = two_accounts(&admin);
    let ka = t.client(&s.a_key);
    let before_b = snapshot(&admin, "b");

    // Another account's resources: 404, exactly as if they did not exist.
    let pairs: Vec<(&str, String, String, Option<Value>)> = vec![
        (
            "GET",
            "/v1/accounts/b".into(),
            "/v1/accounts/zz".into(),
            None,
        ),
        (
            "GET",
            "/v1/accounts/b/balance".into(),
            "/v1/accounts/zz/balance".into(),
            None,
        ),
        (
            "GET",
            "/v1/accounts/b/entries".into(),
            "/v1/accounts/zz/entries".into(),
            None,
        ),
        (
            "GET",
            "/v1/accounts/b/grants".into(),
            "/v1/accounts/zz/grants".into(),
            None,
        ),
        (
            "POST",
            "/v1/accounts/b/charges".into(),
            "/v1/accounts/zz/charges".into(),
            Some(json!({"amount": 1})),
        ),
        (
            "POST",
            "/v1/accounts/b/holds".into(),
            "/v1/accounts/zz/holds".into(),
            Some(json!({"amount": 1})),
        ),
        (
            "GET",
            format!("/v1/holds/{}", s.b_hold),
            "/v1/holds/hold_doesnotexist".into(),
            None,
        ),
        (
            "POST",
            format!("/v1/holds/{}/capture", s.b_hold),
            "/v1/holds/hold_doesnotexist/capture".into(),
            Some(json!({})),
        ),
        (
            "POST",
            format!("/v1/holds/{}/void", s.b_hold),
            "/v1/holds/hold_doesnotexist/void".into(),
            Some(json!({})),
        ),
        (
            "GET",
            format!("/v1/charges/{}", s.b_charge),
            "/v1/charges/chg_doesnotexist".into(),
            None,
        ),
    ];
    for (method, theirs, missing, body) in &pairs {
        let bytes = body.as_ref().map(|body| body.to_string().into_bytes());
        let other = ka.request(method, theirs, bytes.as_deref(), &[]);
        other.problem(404, "not_found");
        let absent = ka.request(method, missing, bytes.as_deref(), &[]);
        absent.problem(404, "not_found");
        for field in ["type", "title", "status", "code"] {
            assert_eq!(
                other.body[field], absent.body[field],
                "{method} {theirs} must not tell that it exists: {} vs {}",
                other.text, absent.text
            );
        }
    }
    assert_eq!(snapshot(&admin, "b"), before_b);
    assert_eq!(
        admin.get(&format!("/v1/holds/{}", s.b_hold)).expect(200)["status"],
        json!("pending")
    );

    // Its own account: everything but the admin endpoints.
    ka.get("/v1/accounts/a").expect(200);
    assert_eq!(balance(&ka, "a")["available"], json!(100));
    ka.get("/v1/accounts/a/entries").expect(200);
    ka.get("/v1/accounts/a/grants").expect(200);
    let c = charge(&ka, "a", json!(3)).expect(201).id();
    ka.get(&format!("/v1/charges/{c}")).expect(200);
    let h = hold(&ka, "a", json!(4)).expect(201).id();
    ka.get(&format!("/v1/holds/{h}")).expect(200);
    ka.post(&format!("/v1/holds/{h}/capture"), json!({"amount": 1}))
        .expect(200);
    let h2 = hold(&ka, "a", json!(4)).expect(201).id();
    ka.post_empty(&format!("/v1/holds/{h2}/void")).expect(200);
    assert_eq!(balance(&admin, "a")["available"], json!(96));
    t.verify();
}

#[test]
fn keys_are_shown_once_listed_without_secret_and_revoked_at_once() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "k");
    grant(&admin, "k", json!(10), json!({}));

    let created = admin.post_empty("/v1/accounts/k/keys").expect(201);
    let key_id = created.id();
    assert!(key_id.starts_with("key_"), "key id {key_id}");
    let secret = created["key"].as_str().expect("the secret").to_string();
    assert!(!secret.is_empty());
    assert_eq!(created["account_id"], json!("k"));
    instant(&created["created_at"]);
    let (other_id, other_secret) = account_key(&admin, "k");

    let kc = t.client(&secret);
    assert_eq!(balance(&kc, "k")["available"], json!(10));

    let listed = admin.get("/v1/accounts/k/keys").expect(200);
    assert!(
        !listed.text.contains(&secret) && !listed.text.contains(&other_secret),
        "the key list must not show secrets: {}",
        listed.text
    );
    let data = listed["data"].as_array().expect("data");
    assert_eq!(data.len(), 2);
    for key in data {
        assert!(key.get("key").is_none(), "a listed key has no `key`: {key}");
        assert_eq!(key["account_id"], json!("k"));
        instant(&key["created_at"]);
        assert!(
            key.get("last_used_at")
                .is_some_and(|at| at.is_null() || at.is_string()),
            "a listed key has `last_used_at`: {key}"
        );
    }
    let mut ids: Vec<&str> = data.iter().map(|key| key["id"].as_str().unwrap()).collect();
    ids.sort();
    let mut expected = vec![key_id.as_str(), other_id.as_str()];
    expected.sort();
    assert_eq!(ids, expected);

    // Revoked: 401 at once, and nothing it tries happens.
    let revoked = admin.delete(&format!("/v1/keys/{key_id}"));
    assert!(
        (200..300).contains(&revoked.status),
        "DELETE /v1/keys/{{id}}: {} {}",
        revoked.status,
        revoked.text
    );
    let before = snapshot(&admin, "k");
    kc.get("/v1/accounts/k/balance")
        .problem(401, "unauthorized");
    charge(&kc, "k", json!(1)).problem(401, "unauthorized");
    assert_eq!(snapshot(&admin, "k"), before);
    // The other key of the account still works.
    balance(&t.client(&other_secret), "k");
    t.verify();
}

// ---------------------------------------------------------------------------------------------
// Idempotency
// ---------------------------------------------------------------------------------------------

#[track_caller]
fn assert_replay(original: &Resp, replay: &Resp) {
    assert_eq!(
        replay.status, original.status,
        "a replay answers the original status: {}",
        replay.text
    );
    assert_eq!(
        replay.body, original.body,
        "a replay answers the original body"
    );
    assert!(
        replay.replayed(),
        "a replay carries `Idempotent-Replayed: true`; headers {:?}",
        replay.headers
    );
    assert!(
        !original.replayed(),
        "the first answer is not a replay; headers {:?}",
        original.headers
    );
}

#[test]
fn idempotent_replay_answers_the_same_and_changes_nothing() {
    let t = Tally::start();
    let admin = t.admin();

    let account = admin.post_idem("/v1/accounts", "acct-1", json!({"id": "idem"}));
    account.clone().expect(201);
    let replay = admin.post_idem("/v1/accounts", "acct-1", json!({"id": "idem"}));
    assert_replay(&account, &replay);

    let path = "/v1/accounts/idem/grants";
    let g = admin.post_idem(path, "grant-1", json!({"amount": 100}));
    g.clone().expect(201);
    let replay = admin.post_idem(path, "grant-1", json!({"amount": 100}));
    assert_replay(&g, &replay);
    assert_eq!(balance(&admin, "idem")["available"], json!(100));

    let charges = "/v1/accounts/idem/charges";
    let c = admin.post_idem(charges, "charge-1", json!({"amount": num("7.5")}));
    c.clone().expect(201);
    let before = snapshot(&admin, "idem");
    let replay = admin.post_idem(charges, "charge-1", json!({"amount": num("7.5")}));
    assert_replay(&c, &replay);
    assert_eq!(snapshot(&admin, "idem"), before, "a replay changes nothing");
    assert_eq!(before.balance["available"], num("92.5"));

    let holds = "/v1/accounts/idem/holds";
    let h = admin.post_idem(holds, "hold-1", json!({"amount": 10}));
    h.clone().expect(201);
    let replay = admin.post_idem(holds, "hold-1", json!({"amount": 10}));
    assert_replay(&h, &replay);
    let hold_id = h.id();
    let capture_path = format!("/v1/holds/{hold_id}/capture");
    let cap = admin.post_idem(&capture_path, "capture-1", json!({"amount": 4}));
    cap.clone().expect(200);
    let before = snapshot(&admin, "idem");
    let replay = admin.post_idem(&capture_path, "capture-1", json!({"amount": 4}));
    assert_replay(&cap, &replay);
    assert_eq!(snapshot(&admin, "idem"), before);
    assert_eq!(before.balance["available"], num("88.5"));

    // Voids move credits too: a retried void replays instead of answering 409.
    let h2 = hold(&admin, "idem", json!(6)).expect(201).id();
    let void_path = format!("/v1/holds/{h2}/void");
    let voided = admin.post_idem(&void_path, "void-1", json!({}));
    voided.clone().expect(200);
    let replay = admin.post_idem(&void_path, "void-1", json!({}));
    assert_replay(&voided, &replay);
    let g2 = grant(&admin, "idem", json!(9), json!({}))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let grant_void_path = format!("/v1/grants/{g2}/void");
    let grant_voided = admin.post_idem(&grant_void_path, "gvoid-1", json!({}));
    grant_voided.clone().expect(200);
    let replay = admin.post_idem(&grant_void_path, "gvoid-1", json!({}));
    assert_replay(&grant_voided, &replay);

    let before = snapshot(&admin, "idem");
    assert_eq!(before.balance["available"], num("88.5"));
    assert_eq!(of_type(&before.entries, "charge").len(), 1);
    assert_eq!(of_type(&before.entries, "hold").len(), 2);
    assert_eq!(of_type(&before.entries, "grant").len(), 2);
    assert_eq!(of_type(&before.entries, "void").len(), 1);
    t.verify();
}

#[test]
fn idempotency_keys_replay_for_24_hours_at_least() {
    let t = Tally::with_test_clock();
    let admin = t.admin();
    create_account(&admin, "day");
    grant(&admin, "day", json!(100), json!({}));
    let charges = "/v1/accounts/day/charges";
    let original = admin.post_idem(charges, "day-1", json!({"amount": 3}));
    original.clone().expect(201);

    admin
        .post("/v1/clock", json!({"advance_seconds": 86_400}))
        .expect(200);
    let before = snapshot(&admin, "day");
    let replay = admin.post_idem(charges, "day-1", json!({"amount": 3}));
    assert_replay(&original, &replay);
    admin
        .post_idem(charges, "day-1", json!({"amount": 4}))
        .problem(409, "idempotency_conflict");
    assert_eq!(snapshot(&admin, "day"), before);
    assert_eq!(before.balance["available"], json!(97));
    t.verify();
}

#[test]
fn the_same_idempotency_key_with_another_body_is_409() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "ic");
    grant(&admin, "ic", json!(100), json!({}));
    let charges = "/v1/accounts/ic/charges";
    admin
        .post_idem(charges, "k-1", json!({"amount": 5}))
        .expect(201);

    let before = snapshot(&admin, "ic");
    admin
        .post_idem(charges, "k-1", json!({"amount": 6}))
        .problem(409, "idempotency_conflict");
    admin
        .post_idem(charges, "k-1", json!({"amount": 5, "description": "x"}))
        .problem(409, "idempotency_conflict");
    // The same key and body on another endpoint is another request.
    admin
        .post_idem("/v1/accounts/ic/holds", "k-1", json!({"amount": 5}))
        .problem(409, "idempotency_conflict");
    assert_eq!(snapshot(&admin, "ic"), before);

    // The original still replays.
    let replay = admin.post_idem(charges, "k-1", json!({"amount": 5}));
    assert_eq!(replay.status, 201);
    assert!(replay.replayed());
    assert_eq!(snapshot(&admin, "ic"), before);
    t.verify();
}

#[test]
fn idempotency_keys_are_scoped_per_account() {
    let t = Tally::start();
    let admin = t.admin();
    let s = two_accounts(&admin);
    let ka = t.client(&s.a_key);
    let kb = t.client(&s.b_key);
    let (_, a_key2) = account_key(&admin, "a");
    let ka2 = t.client(&a_key2);
    let b_before = balance(&admin, "b")["available"].clone();

    let first = ka.post_idem("/v1/accounts/a/charges", "same", json!({"amount": 1}));
    first.clone().expect(201);
    let other = kb.post_idem("/v1/accounts/b/charges", "same", json!({"amount": 1}));
    other.clone().expect(201);
    assert!(
        !other.replayed(),
        "another account's key is another request"
    );
    assert_ne!(first.id(), other.id());
    assert_eq!(balance(&admin, "a")["available"], json!(99));
    assert_eq!(
        millis(&balance(&admin, "b")["available"]),
        millis(&b_before) - 1000
    );

    // Another key of the same account shares the scope.
    let again = ka2.post_idem("/v1/accounts/a/charges", "same", json!({"amount": 1}));
    assert_replay(&first, &again);
    assert_eq!(balance(&admin, "a")["available"], json!(99));

    // Admin keys share one scope of their own.
    let by_admin = admin.post_idem("/v1/accounts/a/charges", "same", json!({"amount": 1}));
    by_admin.clone().expect(201);
    assert!(!by_admin.replayed());
    assert_ne!(by_admin.id(), first.id());
    assert_eq!(balance(&admin, "a")["available"], json!(98));
    let by_admin_again = admin.post_idem("/v1/accounts/a/charges", "same", json!({"amount": 1}));
    assert_replay(&by_admin, &by_admin_again);
    assert_eq!(balance(&admin, "a")["available"], json!(98));

    kb.post_idem("/v1/accounts/b/charges", "same", json!({"amount": 2}))
        .problem(409, "idempotency_conflict");
    t.verify();
}

// ---------------------------------------------------------------------------------------------
// Lists and entries
// ---------------------------------------------------------------------------------------------

fn page_ids(page: &Resp, field: &str) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap_or_else(|| panic!("no data: {}", page.text))
        .iter()
        .map(|item| item[field].as_str().expect("a string").to_string())
        .collect()
}

#[test]
fn lists_page_newest_first_with_limit_and_starting_after() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "p");
    let grant_ids: Vec<String> = (1..=5)
        .map(|amount| {
            grant(&admin, "p", json!(amount), json!({}))["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let newest_first: Vec<String> = grant_ids.iter().rev().cloned().collect();

    // Entries.
    let all = admin.get("/v1/accounts/p/entries").expect(200);
    assert_eq!(page_ids(&all, "grant_id"), newest_first);
    assert_eq!(all["has_more"], json!(false));
    let entry_ids = page_ids(&all, "id");
    let first = admin.get("/v1/accounts/p/entries?limit=2").expect(200);
    assert_eq!(page_ids(&first, "id"), entry_ids[..2]);
    assert_eq!(first["has_more"], json!(true));
    let second = admin
        .get(&format!(
            "/v1/accounts/p/entries?limit=2&starting_after={}",
            entry_ids[1]
        ))
        .expect(200);
    assert_eq!(page_ids(&second, "id"), entry_ids[2..4]);
    assert_eq!(second["has_more"], json!(true));
    let third = admin
        .get(&format!(
            "/v1/accounts/p/entries?limit=2&starting_after={}",
            entry_ids[3]
        ))
        .expect(200);
    assert_eq!(page_ids(&third, "id"), entry_ids[4..]);
    assert_eq!(third["has_more"], json!(false));
    let exact = admin.get("/v1/accounts/p/entries?limit=5").expect(200);
    assert_eq!(exact["has_more"], json!(false));
    admin.get("/v1/accounts/p/entries?limit=1000").expect(200);

    // Grants.
    let grants = admin.get("/v1/accounts/p/grants?limit=2").expect(200);
    assert_eq!(page_ids(&grants, "id"), newest_first[..2]);
    assert_eq!(grants["has_more"], json!(true));
    let grants = admin
        .get(&format!(
            "/v1/accounts/p/grants?limit=10&starting_after={}",
            newest_first[1]
        ))
        .expect(200);
    assert_eq!(page_ids(&grants, "id"), newest_first[2..]);
    assert_eq!(grants["has_more"], json!(false));

    // Accounts.
    for id in ["acc-1", "acc-2", "acc-3"] {
        create_account(&admin, id);
    }
    let accounts = admin.get("/v1/accounts?limit=1").expect(200);
    assert_eq!(page_ids(&accounts, "id"), ["acc-3"]);
    assert_eq!(accounts["has_more"], json!(true));
    let accounts = admin
        .get("/v1/accounts?limit=2&starting_after=acc-3")
        .expect(200);
    assert_eq!(page_ids(&accounts, "id"), ["acc-2", "acc-1"]);
    assert_eq!(accounts["has_more"], json!(true));
    let accounts = admin
        .get("/v1/accounts?limit=2&starting_after=acc-1")
        .expect(200);
    assert_eq!(page_ids(&accounts, "id"), ["p"]);
    assert_eq!(accounts["has_more"], json!(false));

    // The default page is 100 items.
    create_account(&admin, "many");
    for _ in 0..101 {
        grant(&admin, "many", json!(1), json!({}));
    }
    let default_page = admin.get("/v1/accounts/many/entries").expect(200);
    assert_eq!(default_page["data"].as_array().expect("data").len(), 100);
    assert_eq!(default_page["has_more"], json!(true));
    assert_eq!(entries(&admin, "many").len(), 101);

    // Limits out of 1..=1000.
    for path in [
        "/v1/accounts/p/entries",
        "/v1/accounts/p/grants",
        "/v1/accounts",
    ] {
        for limit in ["0", "1001", "-1"] {
            let response = admin.get(&format!("{path}?limit={limit}"));
            assert_eq!(
                response.problem(422, "invalid_request")["param"],
                json!("limit"),
                "{}",
                response.text
            );
        }
    }
    t.verify();
}

#[test]
fn entries_carry_signed_amount_and_held() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "e");
    let g = grant(&admin, "e", json!(100), json!({}))["id"].clone();
    let c = charge(&admin, "e", json!(10)).expect(201).id();
    let h1 = hold(&admin, "e", json!(30)).expect(201).id();
    admin
        .post(&format!("/v1/holds/{h1}/capture"), json!({"amount": 12}))
        .expect(200);
    let h2 = hold(&admin, "e", json!(5)).expect(201).id();
    admin
        .post_empty(&format!("/v1/holds/{h2}/void"))
        .expect(200);
    let g2 = grant(&admin, "e", num("20.5"), json!({}))["id"].clone();
    admin
        .post_empty(&format!("/v1/grants/{}/void", g2.as_str().unwrap()))
        .expect(200);

    let all = entries(&admin, "e");
    for entry in &all {
        assert!(
            entry["id"]
                .as_str()
                .is_some_and(|id| id.starts_with("ent_")),
            "entry id: {entry}"
        );
        assert_eq!(entry["account_id"], json!("e"));
        instant(&entry["created_at"]);
    }
    let seen: Vec<(String, i64, i64)> = all
        .iter()
        .map(|entry| {
            (
                entry["type"].as_str().unwrap().to_string(),
                millis(&entry["amount"]),
                millis(&entry["held"]),
            )
        })
        .collect();
    let expect = |kind: &str, amount: i64, held: i64| (kind.to_string(), amount, held);
    // Newest first; a capture and the release of its rest come from one request.
    let expected_newest_first = [
        expect("void", -20_500, 0),
        expect("grant", 20_500, 0),
        expect("release", 0, -5000),
        expect("hold", 0, 5000),
    ];
    assert_eq!(seen[..4], expected_newest_first, "entries: {seen:?}");
    assert_eq!(
        sorted(seen[4..6].to_vec()),
        sorted(vec![
            expect("capture", -12_000, -12_000),
            expect("release", 0, -18_000)
        ]),
        "entries: {seen:?}"
    );
    assert_eq!(
        seen[6..],
        [
            expect("hold", 0, 30_000),
            expect("charge", -10_000, 0),
            expect("grant", 100_000, 0)
        ],
        "entries: {seen:?}"
    );
    assert_eq!(all[8]["grant_id"], g);
    assert_eq!(all[7]["charge_id"], json!(c));
    assert_eq!(all[6]["hold_id"], json!(h1));
    assert_eq!(all[3]["hold_id"], json!(h2));
    assert_eq!(all[2]["hold_id"], json!(h2));
    assert_eq!(all[0]["grant_id"], g2);

    let b = balance(&admin, "e");
    let posted: i64 = seen.iter().map(|(_, amount, _)| amount).sum();
    let held: i64 = seen.iter().map(|(_, _, held)| held).sum();
    assert_eq!(
        millis(&b["posted"]),
        posted,
        "posted is the sum of the entries"
    );
    assert_eq!(millis(&b["held"]), held, "held is the sum of the entries");
    assert_eq!(b["posted"], json!(78));
    t.verify();
}

// ---------------------------------------------------------------------------------------------
// Test clock
// ---------------------------------------------------------------------------------------------

fn clock_now(admin: &Client) -> jiff::Timestamp {
    instant(&admin.get("/v1/clock").expect(200)["now"])
}

#[track_caller]
fn advance(admin: &Client, seconds: i64) -> jiff::Timestamp {
    let moved = admin
        .post("/v1/clock", json!({"advance_seconds": seconds}))
        .expect(200);
    instant(&moved["now"])
}

#[test]
fn the_test_clock_moves_forward_only_and_stands_still_between_moves() {
    let t = Tally::with_test_clock();
    let admin = t.admin();
    let start = clock_now(&admin);
    let wall = wall_now();
    assert!(
        (start.as_second() - wall.as_second()).abs() < 3600,
        "the clock starts at the wall-clock time: {start} vs {wall}"
    );
    assert_eq!(clock_now(&admin), start, "the clock stands still");

    let moved = advance(&admin, 90);
    assert_eq!(moved.as_second() - start.as_second(), 90);
    assert_eq!(moved.subsec_microsecond(), start.subsec_microsecond());
    assert_eq!(clock_now(&admin), moved);

    let target = plus_seconds(start, 1000);
    let set = admin.post("/v1/clock", json!({"now": target})).expect(200);
    assert_eq!(
        instant(&set["now"]),
        target.parse::<jiff::Timestamp>().unwrap()
    );

    let earlier = plus_seconds(start, 10);
    admin
        .post("/v1/clock", json!({"now": earlier}))
        .problem(422, "invalid_request");
    assert_eq!(
        clock_now(&admin),
        target.parse::<jiff::Timestamp>().unwrap(),
        "a refused move leaves the clock alone"
    );

    // Exactly one of `advance_seconds` and `now`; never backwards.
    let current = clock_now(&admin);
    for body in [
        json!({}),
        json!({"advance_seconds": -1}),
        json!({"advance_seconds": 60, "now": plus_seconds(current, 120)}),
        json!({"now": "yesterday"}),
    ] {
        admin
            .post("/v1/clock", body.clone())
            .problem(422, "invalid_request");
        assert_eq!(clock_now(&admin), current, "{body} left the clock alone");
    }

    // What is created carries the test clock's time.
    let account = create_account(&admin, "clocked");
    assert_eq!(
        instant(&account["created_at"]),
        target.parse::<jiff::Timestamp>().unwrap()
    );
    t.verify();
}

#[test]
fn moving_the_clock_expires_holds_before_answering() {
    let t = Tally::with_test_clock();
    let admin = t.admin();
    create_account(&admin, "hx");
    grant(&admin, "hx", json!(100), json!({}));
    let h = admin
        .post(
            "/v1/accounts/hx/holds",
            json!({"amount": 30, "ttl_seconds": 60}),
        )
        .expect(201)
        .id();
    let h2 = admin
        .post(
            "/v1/accounts/hx/holds",
            json!({"amount": 10, "ttl_seconds": 600}),
        )
        .expect(201)
        .id();

    advance(&admin, 59);
    assert_eq!(
        admin.get(&format!("/v1/holds/{h}")).expect(200)["status"],
        json!("pending")
    );
    assert_eq!(balance(&admin, "hx")["available"], json!(60));

    // At expires_at exactly, the hold expires, and the move answers after that.
    advance(&admin, 1);
    let expired = admin.get(&format!("/v1/holds/{h}")).expect(200);
    assert_eq!(expired["status"], json!("expired"));
    let b = balance(&admin, "hx");
    assert_eq!(
        (
            b["posted"].clone(),
            b["held"].clone(),
            b["available"].clone()
        ),
        (json!(100), json!(10), json!(90))
    );
    assert_eq!(
        sorted(hold_entries(&entries(&admin, "hx"), &h)),
        sorted(vec![
            ("hold".to_string(), 0, 30_000),
            ("release".to_string(), 0, -30_000),
        ])
    );

    let before = snapshot(&admin, "hx");
    for action in ["capture", "void"] {
        let response = admin.post_empty(&format!("/v1/holds/{h}/{action}"));
        assert_eq!(
            response.problem(409, "hold_not_pending")["hold_status"],
            json!("expired")
        );
    }
    assert_eq!(snapshot(&admin, "hx"), before);

    let captured = admin
        .post_empty(&format!("/v1/holds/{h2}/capture"))
        .expect(200);
    assert_eq!(captured["captured"], json!(10));
    t.verify();
}

#[test]
fn moving_the_clock_expires_exactly_a_grants_unspent_remainder() {
    let t = Tally::with_test_clock();
    let admin = t.admin();
    create_account(&admin, "gx");
    let now = clock_now(&admin);
    let expires_at = plus_seconds(now, 3600);
    let g1 = grant(
        &admin,
        "gx",
        json!(100),
        json!({"expires_at": expires_at.clone()}),
    )["id"]
        .clone();
    let g2 = grant(&admin, "gx", json!(50), json!({}))["id"].clone();
    let c = charge(&admin, "gx", num("30.5")).expect(201);
    assert_eq!(c["drawn"], json!([{"grant_id": g1, "amount": num("30.5")}]));

    let b = balance(&admin, "gx");
    assert_eq!(
        instant(&b["next_expiry"]["at"]),
        expires_at.parse::<jiff::Timestamp>().unwrap()
    );
    assert_eq!(b["next_expiry"]["amount"], num("69.5"));

    advance(&admin, 3600);
    let grants = admin.get("/v1/accounts/gx/grants").expect(200);
    let status_of = |id: &Value| {
        grants["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|grant| grant["id"] == *id)
            .map(|grant| grant["status"].clone())
    };
    assert_eq!(status_of(&g1), Some(json!("expired")));
    assert_eq!(status_of(&g2), Some(json!("active")));
    let all = entries(&admin, "gx");
    let expires = of_type(&all, "expire");
    assert_eq!(expires.len(), 1, "one expire entry: {all:?}");
    assert_eq!(expires[0]["amount"], num("-69.5"));
    assert_eq!(expires[0]["held"], json!(0));
    assert_eq!(expires[0]["grant_id"], g1);
    let b = balance(&admin, "gx");
    assert_eq!(b["available"], json!(50));
    assert_eq!(b["posted"], json!(50));
    assert_eq!(b["next_expiry"], Value::Null);
    t.verify();
}

#[test]
fn a_hold_outlives_its_expired_grant_and_its_release_expires_at_once() {
    let t = Tally::with_test_clock();
    let admin = t.admin();
    create_account(&admin, "guarantee");
    let now = clock_now(&admin);
    let g1 = grant(
        &admin,
        "guarantee",
        json!(50),
        json!({"expires_at": plus_seconds(now, 3600)}),
    )["id"]
        .clone();
    let g2 = grant(&admin, "guarantee", json!(20), json!({"priority": 5}))["id"].clone();
    let h = admin
        .post(
            "/v1/accounts/guarantee/holds",
            json!({"amount": 20, "ttl_seconds": 7200}),
        )
        .expect(201)
        .id();

    // The grant expires under the hold: only its unreserved part expires.
    advance(&admin, 3600);
    let all = entries(&admin, "guarantee");
    let expires = of_type(&all, "expire");
    assert_eq!(expires.len(), 1);
    assert_eq!(expires[0]["amount"], json!(-30));
    assert_eq!(expires[0]["grant_id"], g1);
    let b = balance(&admin, "guarantee");
    assert_eq!(
        (
            b["posted"].clone(),
            b["held"].clone(),
            b["available"].clone()
        ),
        (json!(40), json!(20), json!(20))
    );

    // The hold is still a guarantee: its capture succeeds; the rest expires at once.
    let captured = admin
        .post(&format!("/v1/holds/{h}/capture"), json!({"amount": 15}))
        .expect(200);
    assert_eq!(captured["status"], json!("captured"));
    assert_eq!(captured["captured"], json!(15));
    assert_eq!(captured["released"], json!(5));
    let all = entries(&admin, "guarantee");
    assert_eq!(
        sorted(hold_entries(&all, &h)),
        sorted(vec![
            ("hold".to_string(), 0, 20_000),
            ("capture".to_string(), -15_000, -15_000),
            ("release".to_string(), 0, -5000),
            ("expire".to_string(), -5000, 0),
        ])
    );
    let b = balance(&admin, "guarantee");
    assert_eq!(
        (
            b["posted"].clone(),
            b["held"].clone(),
            b["available"].clone()
        ),
        (json!(20), json!(0), json!(20))
    );
    let listed = admin.get("/v1/accounts/guarantee/grants").expect(200);
    let g2_now = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|grant| grant["id"] == g2)
        .unwrap()
        .clone();
    assert_eq!(
        g2_now["remaining"],
        json!(20),
        "the other grant is untouched"
    );
    t.verify();
}

#[test]
fn a_void_or_expiry_after_the_grant_expired_expires_the_release() {
    let t = Tally::with_test_clock();
    let admin = t.admin();
    create_account(&admin, "late");
    let now = clock_now(&admin);
    grant(
        &admin,
        "late",
        json!(40),
        json!({"expires_at": plus_seconds(now, 3600)}),
    );
    grant(&admin, "late", json!(10), json!({"priority": 5}));
    let h1 = admin
        .post(
            "/v1/accounts/late/holds",
            json!({"amount": 10, "ttl_seconds": 7200}),
        )
        .expect(201)
        .id();
    let h2 = admin
        .post(
            "/v1/accounts/late/holds",
            json!({"amount": 5, "ttl_seconds": 5000}),
        )
        .expect(201)
        .id();

    advance(&admin, 3600);
    let all = entries(&admin, "late");
    assert_eq!(of_type(&all, "expire").len(), 1);
    assert_eq!(of_type(&all, "expire")[0]["amount"], json!(-25));
    let b = balance(&admin, "late");
    assert_eq!(
        (
            b["posted"].clone(),
            b["held"].clone(),
            b["available"].clone()
        ),
        (json!(25), json!(15), json!(10))
    );

    admin
        .post_empty(&format!("/v1/holds/{h1}/void"))
        .expect(200);
    assert_eq!(
        sorted(hold_entries(&entries(&admin, "late"), &h1)),
        sorted(vec![
            ("hold".to_string(), 0, 10_000),
            ("release".to_string(), 0, -10_000),
            ("expire".to_string(), -10_000, 0),
        ])
    );
    let b = balance(&admin, "late");
    assert_eq!(
        (
            b["posted"].clone(),
            b["held"].clone(),
            b["available"].clone()
        ),
        (json!(15), json!(5), json!(10))
    );

    advance(&admin, 1400);
    assert_eq!(
        admin.get(&format!("/v1/holds/{h2}")).expect(200)["status"],
        json!("expired")
    );
    assert_eq!(
        sorted(hold_entries(&entries(&admin, "late"), &h2)),
        sorted(vec![
            ("hold".to_string(), 0, 5000),
            ("release".to_string(), 0, -5000),
            ("expire".to_string(), -5000, 0),
        ])
    );
    let b = balance(&admin, "late");
    assert_eq!(
        (
            b["posted"].clone(),
            b["held"].clone(),
            b["available"].clone()
        ),
        (json!(10), json!(0), json!(10))
    );
    t.verify();
}
