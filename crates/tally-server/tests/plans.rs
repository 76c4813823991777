//! Plans, seats, monthly periods without rollover, and credit packs, over many months with the
//! test clock: every credit of a period is granted, spent or expired to the millicredit, and
//! the ledger verifies after every period.

mod common;

use axum::http::StatusCode;
use common::{ADMIN_KEY, TestServer, sqlite};
use serde_json::{Value, json};
use tally_core::Timestamp;

fn at(text: &str) -> Timestamp {
    tally_server::render::parse_timestamp(text).unwrap()
}

fn start_at(text: &str) -> TestServer {
    let start = at(text);
    TestServer::start(|config| config.test_clock_start = Some(start))
}

/// An amount from the API in millicredits, read from the number's text.
fn mc(value: &Value) -> i64 {
    tally_core::Millicredits::parse_credits(&value.to_string())
        .unwrap_or_else(|_| panic!("{value}"))
        .get()
}

async fn move_clock(server: &TestServer, to: &str) {
    server.admin("POST", "/v1/clock", json!({"now": to})).await;
}

async fn entries(server: &TestServer, account: &str) -> Vec<Value> {
    let list = server
        .admin(
            "GET",
            &format!("/v1/accounts/{account}/entries?limit=1000"),
            json!(null),
        )
        .await;
    let mut entries = list["data"].as_array().unwrap().clone();
    entries.reverse(); // oldest first
    entries
}

async fn balance(server: &TestServer, account: &str) -> Value {
    server
        .admin(
            "GET",
            &format!("/v1/accounts/{account}/balance"),
            json!(null),
        )
        .await
}

async fn grant_source(server: &TestServer, grant_id: &str) -> String {
    let grant = server
        .admin("GET", &format!("/v1/grants/{grant_id}"), json!(null))
        .await;
    grant["source"].as_str().unwrap().to_string()
}

/// The first instants of the months from January 2027, on the 15th at noon.
fn month_starts(count: usize) -> Vec<String> {
    (0..count)
        .map(|index| {
            let (year, month) = (2027 + (index / 12) as i32, (index % 12) as i32 + 1);
            format!("{year}-{month:02}-15T12:00:00Z")
        })
        .collect()
}

#[tokio::test]
async fn a_year_of_starter_and_pro_periods_grants_exactly_and_never_rolls_over() {
    let months = month_starts(13);
    let server = start_at(&months[0]);
    for (account, plan, seats) in [("s", "starter", 1), ("p", "pro", 3)] {
        server
            .admin("POST", "/v1/accounts", json!({"id": account}))
            .await;
        server
            .admin(
                "PUT",
                &format!("/v1/accounts/{account}/subscription"),
                json!({"plan": plan, "seats": seats}),
            )
            .await;
    }
    // The packs are bought an hour later, so they expire (after 365 days) an hour after the
    // twelfth period ends: plan credits always expire first.
    move_clock(&server, "2027-01-15T13:00:00Z").await;
    for account in ["s", "p"] {
        server
            .admin(
                "POST",
                &format!("/v1/accounts/{account}/purchases"),
                json!({"pack": "pack_10k"}),
            )
            .await;
    }
    let allowance = |account: &str| {
        if account == "s" {
            5_000_000
        } else {
            3 * 250_000_000
        }
    };
    for month in 0..12 {
        for account in ["s", "p"] {
            let before = balance(&server, account).await;
            assert_eq!(mc(&before["plan"]["allowance"]), allowance(account));
            assert_eq!(
                mc(&before["plan"]["allowance_left"]),
                allowance(account),
                "{account} month {month}"
            );
            assert_eq!(before["plan"]["period_start"], json!(months[month]));
            assert_eq!(before["plan"]["period_end"], json!(months[month + 1]));
            // Spend a different share of the allowance each month; in month 5, more than it
            // (the rest comes from the pack).
            let spend = if month == 5 {
                allowance(account) + 500_000
            } else {
                allowance(account) / 12 * month as i64 + 1_250
            };
            let spend_credits = tally_core::Millicredits::new(spend).to_string();
            let charge = server
                .admin(
                    "POST",
                    &format!("/v1/accounts/{account}/charges"),
                    json!({"amount": spend_credits.parse::<serde_json::Number>().unwrap()}),
                )
                .await;
            let drawn = charge["drawn"].as_array().unwrap();
            // Plan credits first: they expire soonest.
            assert_eq!(
                grant_source(&server, drawn[0]["grant_id"].as_str().unwrap()).await,
                "plan"
            );
            if month == 5 {
                assert_eq!(drawn.len(), 2);
                assert_eq!(
                    grant_source(&server, drawn[1]["grant_id"].as_str().unwrap()).await,
                    "pack"
                );
                assert_eq!(mc(&drawn[1]["amount"]), 500_000);
            }
        }
        let entry_counts = [
            entries(&server, "s").await.len(),
            entries(&server, "p").await.len(),
        ];
        move_clock(&server, &months[month + 1]).await;
        for (index, account) in ["s", "p"].into_iter().enumerate() {
            let new_entries = entries(&server, account)
                .await
                .split_off(entry_counts[index]);
            let spent = if month == 5 {
                allowance(account)
            } else {
                allowance(account) / 12 * month as i64 + 1_250
            };
            let unspent = allowance(account) - spent;
            let kinds: Vec<(&str, i64)> = new_entries
                .iter()
                .map(|entry| (entry["type"].as_str().unwrap(), mc(&entry["amount"])))
                .collect();
            let mut expected = Vec::new();
            if unspent > 0 {
                expected.push(("expire", -unspent));
            }
            expected.push(("grant", allowance(account)));
            assert_eq!(kinds, expected, "{account} at the end of month {month}");
            for entry in &new_entries {
                assert_eq!(entry["created_at"], json!(months[month + 1]));
            }
            // The pack survives every renewal (less what month 5 took from it).
            let pack_left = if month >= 5 { 9_500_000 } else { 10_000_000 };
            let balance = balance(&server, account).await;
            assert_eq!(
                mc(&balance["available"]),
                allowance(account) + pack_left,
                "{account} after month {month}"
            );
        }
        server.verify();
    }
}

async fn period_ends(anchor: &str, count: usize) -> Vec<String> {
    let server = start_at(anchor);
    server
        .admin("POST", "/v1/accounts", json!({"id": "a"}))
        .await;
    server
        .admin(
            "PUT",
            "/v1/accounts/a/subscription",
            json!({"plan": "starter"}),
        )
        .await;
    let mut ends = Vec::new();
    for _ in 0..count {
        let subscription = server
            .admin("GET", "/v1/accounts/a/subscription", json!(null))
            .await;
        let end = subscription["current_period_end"]
            .as_str()
            .unwrap()
            .to_string();
        move_clock(&server, &end).await;
        ends.push(end);
    }
    server.verify();
    ends
}

#[tokio::test]
async fn periods_clamp_to_short_months_and_come_back() {
    assert_eq!(
        period_ends("2027-01-31T10:00:00Z", 4).await,
        [
            "2027-02-28T10:00:00Z",
            "2027-03-31T10:00:00Z",
            "2027-04-30T10:00:00Z",
            "2027-05-31T10:00:00Z"
        ]
    );
    assert_eq!(
        period_ends("2028-01-31T10:00:00Z", 3).await,
        [
            "2028-02-29T10:00:00Z",
            "2028-03-31T10:00:00Z",
            "2028-04-30T10:00:00Z"
        ]
    );
    assert_eq!(
        period_ends("2027-01-30T00:00:00Z", 3).await,
        [
            "2027-02-28T00:00:00Z",
            "2027-03-30T00:00:00Z",
            "2027-04-30T00:00:00Z"
        ]
    );
    assert_eq!(
        period_ends("2028-01-29T00:00:00Z", 3).await,
        [
            "2028-02-29T00:00:00Z",
            "2028-03-29T00:00:00Z",
            "2028-04-29T00:00:00Z"
        ]
    );
    assert_eq!(
        period_ends("2027-01-29T00:00:00Z", 2).await,
        ["2027-02-28T00:00:00Z", "2027-03-29T00:00:00Z"]
    );
}

#[tokio::test]
async fn a_hold_on_plan_credits_survives_the_period_end_and_its_release_expires() {
    let server = start_at("2027-04-01T00:00:00Z");
    server
        .admin("POST", "/v1/accounts", json!({"id": "a"}))
        .await;
    server
        .admin(
            "PUT",
            "/v1/accounts/a/subscription",
            json!({"plan": "starter"}),
        )
        .await;
    move_clock(&server, "2027-04-30T23:00:00Z").await;
    let hold = server
        .admin(
            "POST",
            "/v1/accounts/a/holds",
            json!({"amount": 3000, "ttl_seconds": 7200}),
        )
        .await;
    move_clock(&server, "2027-05-01T00:30:00Z").await;
    // The period ended: the unreserved 2,000 expired, the new allowance came; the hold stands.
    let balance = balance(&server, "a").await;
    assert_eq!(mc(&balance["held"]), 3_000_000);
    assert_eq!(mc(&balance["posted"]), 8_000_000);
    let hold_id = hold["id"].as_str().unwrap();
    let captured = server
        .admin(
            "POST",
            &format!("/v1/holds/{hold_id}/capture"),
            json!({"amount": 1000}),
        )
        .await;
    assert_eq!(captured["status"], "captured");
    assert_eq!(mc(&captured["released"]), 2_000_000);
    let tail: Vec<(String, i64, i64)> = entries(&server, "a")
        .await
        .iter()
        .rev()
        .take(3)
        .map(|entry| {
            (
                entry["type"].as_str().unwrap().to_string(),
                mc(&entry["amount"]),
                mc(&entry["held"]),
            )
        })
        .collect();
    // Newest first: the released 2,000 expire at once, after the release and the capture.
    assert_eq!(
        tail,
        [
            ("expire".into(), -2_000_000, 0),
            ("release".into(), 0, -2_000_000),
            ("capture".into(), -1_000_000, -1_000_000)
        ]
    );
    let balance = self::balance(&server, "a").await;
    assert_eq!(mc(&balance["available"]), 5_000_000);
    server.verify();
}

#[tokio::test]
async fn seat_and_plan_changes_grant_exactly_the_prorated_amounts() {
    // A 30-day period: April 2027.
    let server = start_at("2027-04-01T00:00:00Z");
    server
        .admin("POST", "/v1/accounts", json!({"id": "a"}))
        .await;
    server
        .admin(
            "PUT",
            "/v1/accounts/a/subscription",
            json!({"plan": "pro", "seats": 2}),
        )
        .await;
    let period_seconds: i64 = 30 * 86_400;
    // Three points of the period: after 7 days, 12.5 days, and 29 days and 23 hours.
    let mut seats = 2;
    let mut expected_posted: i64 = 500_000_000;
    for (now, elapsed_seconds, new_seats) in [
        ("2027-04-08T00:00:00Z", 7 * 86_400, 5),
        ("2027-04-13T12:00:00Z", 12 * 86_400 + 43_200, 6),
        ("2027-04-30T23:00:00Z", 29 * 86_400 + 82_800, 9),
    ] {
        move_clock(&server, now).await;
        server
            .admin(
                "PUT",
                "/v1/accounts/a/subscription",
                json!({"plan": "pro", "seats": new_seats}),
            )
            .await;
        // The added seats' credits, prorated to the rest of the period, rounded down to a
        // whole credit.
        let added_seats: i64 = new_seats - seats;
        let left_seconds = period_seconds - elapsed_seconds;
        let prorated_credits = 250_000 * added_seats * left_seconds / period_seconds;
        expected_posted += prorated_credits * 1_000;
        let balance = balance(&server, "a").await;
        assert_eq!(mc(&balance["posted"]), expected_posted, "at {now}");
        seats = new_seats;
    }
    // The hand-derived figures, for the record: 3 seats × 23/30, 1 × 17.5/30, 3 × 1/720.
    assert_eq!(
        expected_posted,
        500_000_000 + 575_000_000 + 145_833_000 + 1_041_000
    );
    // Fewer seats: from the next period.
    let subscription = server
        .admin(
            "PUT",
            "/v1/accounts/a/subscription",
            json!({"plan": "pro", "seats": 4}),
        )
        .await;
    assert_eq!(subscription["seats"], 9);
    assert_eq!(subscription["next_period_seats"], 4);
    assert_eq!(mc(&balance(&server, "a").await["posted"]), expected_posted);
    move_clock(&server, "2027-05-01T00:00:00Z").await;
    let balance_may = balance(&server, "a").await;
    assert_eq!(mc(&balance_may["posted"]), 4 * 250_000_000);
    assert_eq!(balance_may["plan"]["seats"], 4);
    // Another plan: at once, the old plan's credits are voided and a new period starts now.
    move_clock(&server, "2027-05-10T06:00:00Z").await;
    server
        .admin("POST", "/v1/accounts/a/charges", json!({"amount": 1000}))
        .await;
    let subscription = server
        .admin(
            "PUT",
            "/v1/accounts/a/subscription",
            json!({"plan": "starter"}),
        )
        .await;
    assert_eq!(subscription["current_period_start"], "2027-05-10T06:00:00Z");
    assert_eq!(subscription["current_period_end"], "2027-06-10T06:00:00Z");
    let recent = entries(&server, "a").await;
    let tail: Vec<(&str, i64)> = recent
        .iter()
        .rev()
        .take(2)
        .map(|entry| (entry["type"].as_str().unwrap(), mc(&entry["amount"])))
        .collect();
    assert_eq!(
        tail,
        [("grant", 5_000_000), ("void", -(1_000_000_000 - 1_000_000))]
    );
    assert_eq!(mc(&balance(&server, "a").await["available"]), 5_000_000);
    server.verify();
}

#[tokio::test]
async fn a_restart_across_two_period_ends_processes_each_exactly_once() {
    let mut server = start_at("2027-01-15T00:00:00Z");
    server
        .admin("POST", "/v1/accounts", json!({"id": "a"}))
        .await;
    server
        .admin(
            "PUT",
            "/v1/accounts/a/subscription",
            json!({"plan": "starter"}),
        )
        .await;
    server
        .admin("POST", "/v1/accounts/a/charges", json!({"amount": 1200}))
        .await;
    // Down from January 15 to March 20: the periods ending February 15 and March 15 are
    // processed at start, without any request.
    server.restart(|config| config.test_clock_start = Some(at("2027-03-20T00:00:00Z")));
    let expected = [
        ("grant", 5_000_000, "2027-01-15T00:00:00Z"),
        ("charge", -1_200_000, "2027-01-15T00:00:00Z"),
        ("expire", -3_800_000, "2027-02-15T00:00:00Z"),
        // February 15 to March 15 ended before the catch-up: nothing is granted for it.
        ("grant", 5_000_000, "2027-03-15T00:00:00Z"),
    ];
    let summary = |entries: Vec<Value>| -> Vec<(String, i64, String)> {
        entries
            .iter()
            .map(|entry| {
                (
                    entry["type"].as_str().unwrap().to_string(),
                    mc(&entry["amount"]),
                    entry["created_at"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let expected: Vec<(String, i64, String)> = expected
        .iter()
        .map(|(kind, amount, at)| (kind.to_string(), *amount, at.to_string()))
        .collect();
    assert_eq!(summary(entries(&server, "a").await), expected);
    let subscription = server
        .admin("GET", "/v1/accounts/a/subscription", json!(null))
        .await;
    assert_eq!(subscription["current_period_start"], "2027-03-15T00:00:00Z");
    server.verify();
    // A second restart at the same instant does nothing more.
    server.restart(|_| {});
    assert_eq!(summary(entries(&server, "a").await), expected);
    server.verify();
}

#[tokio::test]
async fn cancel_ends_at_the_period_end_and_bad_input_is_refused() {
    let server = start_at("2027-06-01T00:00:00Z");
    server
        .admin("POST", "/v1/accounts", json!({"id": "a"}))
        .await;
    let (status, _) = server
        .call("GET", "/v1/accounts/a/subscription", Some(ADMIN_KEY), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for (body, status, code) in [
        (json!({"plan": "gold"}), 422, "invalid_request"),
        (json!({"plan": "pro", "seats": 0}), 422, "invalid_request"),
        (json!({"plan": "pro", "seats": -2}), 422, "invalid_request"),
        (json!({"plan": "pro", "seats": 1.5}), 422, "invalid_request"),
        (json!({"plan": "pro", "seats": "2"}), 400, "invalid_json"),
        (json!({"seats": 2}), 422, "invalid_request"),
        (
            json!({"plan": "pro", "colour": "red"}),
            422,
            "invalid_request",
        ),
    ] {
        let (got, problem) = server
            .call(
                "PUT",
                "/v1/accounts/a/subscription",
                Some(ADMIN_KEY),
                Some(body.clone()),
            )
            .await;
        assert_eq!(
            (got.as_u16(), problem["code"].as_str().unwrap()),
            (status, code),
            "{body}"
        );
    }
    for body in [
        json!({"pack": "pack_1m"}),
        json!({}),
        json!({"pack": 10000}),
    ] {
        let (got, _) = server
            .call(
                "POST",
                "/v1/accounts/a/purchases",
                Some(ADMIN_KEY),
                Some(body.clone()),
            )
            .await;
        assert!(
            got == StatusCode::UNPROCESSABLE_ENTITY || got == StatusCode::BAD_REQUEST,
            "{body}: {got}"
        );
    }
    assert!(
        entries(&server, "a").await.is_empty(),
        "bad input changed nothing"
    );
    server
        .admin("PUT", "/v1/accounts/a/subscription", json!({"plan": "pro"}))
        .await;
    let canceled = server
        .admin("DELETE", "/v1/accounts/a/subscription", json!(null))
        .await;
    assert_eq!(canceled["status"], "canceling");
    move_clock(&server, "2027-07-01T00:00:00Z").await;
    let subscription = server
        .admin("GET", "/v1/accounts/a/subscription", json!(null))
        .await;
    assert_eq!(subscription["status"], "canceled");
    let balance = balance(&server, "a").await;
    assert_eq!(
        mc(&balance["available"]),
        0,
        "no grant after a canceled period"
    );
    assert_eq!(balance["plan"], Value::Null);
    server.verify();
}

#[test]
fn a_catalog_file_with_errors_is_refused_at_start_naming_the_line() {
    let dir = std::env::temp_dir().join(format!(
        "tally-catalog-{}",
        tally_engine::ids::random_token(8)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let catalog = dir.join("catalog.toml");
    std::fs::write(
        &catalog,
        "[[plan]]\nid = \"x\"\ncredits_per_seat = -5\nprice_usd = 0\n",
    )
    .unwrap();
    let config = tally_server::ServeConfig {
        catalog: Some(catalog),
        admin_key: Some(ADMIN_KEY.into()),
        ..tally_server::ServeConfig::default()
    };
    let error = tally_server::Server::start(sqlite(&dir), &config)
        .err()
        .expect("refused");
    assert!(error.to_string().contains("line 3"), "{error}");
    let _ = std::fs::remove_dir_all(&dir);
}
