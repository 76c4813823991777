//! Tenant isolation, route by route: every route of the router's own table is called with no
//! key, an unknown key, a revoked key, another account's key and an account key on admin
//! routes, and the ledger of the account the path names must not change.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{ADMIN_KEY, TestServer};
use serde_json::{Value, json};
use tally_server::limits::LimitsConfig;
use tally_server::routes::{Access, ROUTES};
use tower::ServiceExt;

fn start(limits: LimitsConfig) -> TestServer {
    TestServer::start(|config| config.limits = limits)
}

/// Everything observable about account `a`: balance, entries, grants, and its hold.
async fn snapshot(server: &TestServer, hold_id: &str) -> Value {
    let balance = server
        .call("GET", "/v1/accounts/a/balance", Some(ADMIN_KEY), None)
        .await
        .1;
    let entries = server
        .call(
            "GET",
            "/v1/accounts/a/entries?limit=1000",
            Some(ADMIN_KEY),
            None,
        )
        .await
        .1;
    let grants = server
        .call("GET", "/v1/accounts/a/grants", Some(ADMIN_KEY), None)
        .await
        .1;
    let hold = server
        .call(
            "GET",
            &format!("/v1/holds/{hold_id}"),
            Some(ADMIN_KEY),
            None,
        )
        .await
        .1;
    let keys = server
        .call("GET", "/v1/accounts/a/keys", Some(ADMIN_KEY), None)
        .await
        .1;
    json!({"balance": balance, "entries": entries, "grants": grants, "hold": hold, "keys": keys})
}

#[tokio::test]
async fn every_route_refuses_what_the_key_may_not_do_and_changes_nothing() {
    let server = start(LimitsConfig {
        key_requests_per_second: 0,
        ..LimitsConfig::default()
    });
    server
        .admin("POST", "/v1/accounts", json!({"id": "a"}))
        .await;
    server
        .admin("POST", "/v1/accounts", json!({"id": "b"}))
        .await;
    let grant = server
        .admin("POST", "/v1/accounts/a/grants", json!({"amount": 1000}))
        .await;
    let key_a = server.admin("POST", "/v1/accounts/a/keys", json!({})).await;
    let key_b = server.admin("POST", "/v1/accounts/b/keys", json!({})).await;
    let revoked = server.admin("POST", "/v1/accounts/a/keys", json!({})).await;
    server
        .call(
            "DELETE",
            &format!("/v1/keys/{}", revoked["id"].as_str().unwrap()),
            Some(ADMIN_KEY),
            None,
        )
        .await;
    let key_a_secret = key_a["key"].as_str().unwrap().to_string();
    let key_b_secret = key_b["key"].as_str().unwrap();
    let revoked_secret = revoked["key"].as_str().unwrap();
    let (status, charge) = server
        .call(
            "POST",
            "/v1/accounts/a/charges",
            Some(&key_a_secret),
            Some(json!({"amount": 5})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{charge}");
    let (status, hold) = server
        .call(
            "POST",
            "/v1/accounts/a/holds",
            Some(&key_a_secret),
            Some(json!({"amount": 10})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{hold}");
    let hold_id = hold["id"].as_str().unwrap().to_string();
    let (status, purchase) = server
        .call(
            "POST",
            "/v1/accounts/a/purchases",
            Some(&key_a_secret),
            Some(json!({"pack": "pack_10k"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{purchase}");
    assert_eq!(purchase["status"], "pending", "{purchase}");
    let purchase_id = purchase["id"].as_str().unwrap().to_string();

    let (_, events) = server
        .call("GET", "/v1/events?account_id=a", Some(ADMIN_KEY), None)
        .await;
    let a_event = events["data"][0]["id"]
        .as_str()
        .unwrap_or("evt_none")
        .to_string();
    let endpoint = server
        .admin(
            "POST",
            "/v1/webhook-endpoints",
            json!({"url": "http://127.0.0.1:9/hook"}),
        )
        .await;
    assert!(endpoint["id"].is_string(), "{endpoint}");

    // A sample id of account `a` for every kind of path parameter; a new kind of route fails
    // here loudly until it is given one.
    let fill = |path: &str| -> String {
        let id = if path.starts_with("/v1/accounts/") {
            "a".to_string()
        } else if path.starts_with("/v1/grants/") {
            grant["id"].as_str().unwrap().to_string()
        } else if path.starts_with("/v1/holds/") {
            hold_id.clone()
        } else if path.starts_with("/v1/purchases/") {
            purchase_id.clone()
        } else if path.starts_with("/v1/charges/") {
            charge["id"].as_str().unwrap().to_string()
        } else if path.starts_with("/v1/rate-card/versions/") {
            return path.replace("{version}", "1");
        } else if path.starts_with("/v1/keys/") {
            key_a["id"].as_str().unwrap().to_string()
        } else if path.starts_with("/v1/events/") {
            // An event of account a when there is one (an admin's grant makes one once the
            // engine produces events), else an id no account has.
            a_event.clone()
        } else if path.starts_with("/v1/webhook-endpoints/") {
            endpoint["id"].as_str().unwrap().to_string()
        } else {
            assert!(
                !path.contains('{'),
                "no sample id for the route {path}: add one to this test"
            );
            String::new()
        };
        path.replace("{id}", &id)
    };

    let before = snapshot(&server, &hold_id).await;
    let mut checked = 0;
    for route in ROUTES {
        if route.access == Access::Public {
            continue;
        }
        let path = fill(route.path);
        let body = matches!(route.method, "POST" | "PUT").then(|| json!({"amount": 1}));
        let label = format!("{} {}", route.method, route.path);
        for (who, key) in [
            ("no key", None),
            ("unknown key", Some("tk_live_nope")),
            ("revoked key", Some(revoked_secret)),
        ] {
            let (status, problem) = server.call(route.method, &path, key, body.clone()).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{label} with {who}: {problem}"
            );
            assert_eq!(problem["code"], "unauthorized", "{label}");
        }
        let (status, problem) = server
            .call(route.method, &path, Some(key_b_secret), body.clone())
            .await;
        match route.access {
            Access::Admin => {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{label} with b's key: {problem}"
                );
                assert_eq!(problem["code"], "forbidden");
                // Even the account's own key may not use an admin route.
                let (status, _) = server
                    .call(route.method, &path, Some(&key_a_secret), body.clone())
                    .await;
                assert_eq!(status, StatusCode::FORBIDDEN, "{label} with a's own key");
            }
            Access::AnyKey => {
                // Nothing account-specific: any valid key may use it (the sample body may
                // still be refused for what it says).
                assert!(
                    !matches!(status.as_u16(), 401 | 403 | 404),
                    "{label} with b's key: {problem}"
                );
            }
            Access::Account => {
                assert_eq!(
                    status,
                    StatusCode::NOT_FOUND,
                    "{label} with b's key: {problem}"
                );
                assert_eq!(problem["code"], "not_found");
            }
            Access::Public => unreachable!(),
        }
        assert_eq!(
            snapshot(&server, &hold_id).await,
            before,
            "{label} changed account a"
        );
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} routes were walked");
}

#[tokio::test]
async fn an_account_key_does_the_whole_product_flow_on_its_own_account() {
    let server = start(LimitsConfig::default());
    server
        .admin("POST", "/v1/accounts", json!({"id": "a"}))
        .await;
    server
        .admin("POST", "/v1/accounts/a/grants", json!({"amount": 100}))
        .await;
    let key = server.admin("POST", "/v1/accounts/a/keys", json!({})).await;
    let key = key["key"].as_str().unwrap();
    let (status, hold) = server
        .call(
            "POST",
            "/v1/accounts/a/holds",
            Some(key),
            Some(json!({"amount": 30})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let capture = format!("/v1/holds/{}/capture", hold["id"].as_str().unwrap());
    let (status, captured) = server
        .call("POST", &capture, Some(key), Some(json!({"amount": 12.5})))
        .await;
    assert_eq!(status, StatusCode::OK, "{captured}");
    assert_eq!(captured["released"], json!(17.5));
    let (status, _) = server
        .call(
            "POST",
            "/v1/accounts/a/charges",
            Some(key),
            Some(json!({"amount": 7})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, balance) = server
        .call("GET", "/v1/accounts/a/balance", Some(key), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(balance["available"], json!(80.5));
    let (status, entries) = server
        .call("GET", "/v1/accounts/a/entries", Some(key), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let types: Vec<&str> = entries["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["charge", "release", "capture", "hold", "grant"]);
    // Listing accounts is the admin's.
    let (status, _) = server.call("GET", "/v1/accounts", Some(key), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_burst_beyond_the_rate_limit_gets_429_and_changes_nothing() {
    let server = start(LimitsConfig {
        key_requests_per_second: 1,
        key_requests_burst: 3,
        ..LimitsConfig::default()
    });
    server
        .admin("POST", "/v1/accounts", json!({"id": "a"}))
        .await;
    server
        .admin("POST", "/v1/accounts/a/grants", json!({"amount": 100}))
        .await;
    let key = server.admin("POST", "/v1/accounts/a/keys", json!({})).await;
    let key = key["key"].as_str().unwrap();
    let mut created = 0;
    let mut limited = 0;
    for _ in 0..6 {
        let request = Request::builder()
            .method("POST")
            .uri("/v1/accounts/a/charges")
            .header("authorization", format!("Bearer {key}"))
            .body(Body::from(json!({"amount": 1}).to_string()))
            .unwrap();
        let response = server.router.clone().oneshot(request).await.unwrap();
        match response.status() {
            StatusCode::CREATED => created += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                limited += 1;
                let retry_after = response.headers().get("retry-after").expect("Retry-After");
                let seconds: u64 = retry_after.to_str().unwrap().parse().unwrap();
                assert!(seconds >= 1);
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!((created, limited), (3, 3));
    // Only the three admitted charges reached the ledger; admin keys are not limited.
    let (_, balance) = server
        .call("GET", "/v1/accounts/a/balance", Some(ADMIN_KEY), None)
        .await;
    assert_eq!(balance["available"], json!(97));
}

#[tokio::test]
async fn oversized_headers_are_refused() {
    let server = start(LimitsConfig::default());
    let request = Request::builder()
        .uri("/v1/accounts")
        .header("authorization", format!("Bearer {ADMIN_KEY}"))
        .header("x-padding", "x".repeat(20_000))
        .body(Body::empty())
        .unwrap();
    let response = server.router.clone().oneshot(request).await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
}
