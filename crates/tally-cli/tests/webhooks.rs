//! End to end: webhooks from a real `tally serve` (SQLite, the test clock) to a real receiver
//! on loopback that verifies every delivery with the stock `standardwebhooks` library
//! (tests/webhooks/receiver.py). Events are the engine's own (an admin grant writes
//! `grant.created`). Every wait is a bounded poll on what the receiver or the API shows; time
//! is moved with the test clock, never slept through.

mod common;

use std::collections::{BTreeMap, HashMap};

use common::receiver::{Receiver, wait_for};
use common::*;
use serde_json::{Value, json};

fn micros(text: &Value) -> i64 {
    let text = text
        .as_str()
        .unwrap_or_else(|| panic!("an instant, not {text}"));
    let at: jiff::Timestamp = text.parse().expect("an RFC 3339 instant");
    at.as_microsecond()
}

/// Every event of the server (oldest first).
fn all_events(admin: &Client) -> Vec<Value> {
    let page = admin.get("/v1/events?limit=1000").expect(200);
    assert_eq!(page.body["has_more"], json!(false));
    let mut events = page.body["data"].as_array().unwrap().clone();
    events.reverse();
    events
}

fn create_endpoint(admin: &Client, url: &str, events: Option<Value>) -> Value {
    let mut body = json!({"url": url, "description": "the test receiver"});
    if let Some(events) = events {
        body["events"] = events;
    }
    let created = admin.post("/v1/webhook-endpoints", body).expect(201);
    assert!(
        created.body["secret"]
            .as_str()
            .unwrap()
            .starts_with("whsec_")
    );
    created.body
}

/// The endpoint's attempt log, oldest first.
fn attempts(admin: &Client, endpoint_id: &str) -> Vec<Value> {
    let path = format!("/v1/webhook-endpoints/{endpoint_id}/deliveries?limit=1000");
    let mut log = admin.get(&path).expect(200).body["data"]
        .as_array()
        .unwrap()
        .clone();
    log.reverse();
    log
}

fn set_clock(admin: &Client, at_micros: i64) {
    let at = jiff::Timestamp::from_microsecond(at_micros).unwrap();
    admin
        .post("/v1/clock", json!({"now": at.to_string()}))
        .expect(200);
}

fn advance(admin: &Client, seconds: i64) {
    admin
        .post("/v1/clock", json!({"advance_seconds": seconds}))
        .expect(200);
}

fn grant(admin: &Client, account: &str, amount: i64) -> String {
    admin
        .post(
            &format!("/v1/accounts/{account}/grants"),
            json!({"amount": amount}),
        )
        .expect(201)
        .id()
}

/// Checks every delivery the receiver accepted: signed (verified with the secret by the stock
/// library), the stored body byte for byte, `webhook-id` the event's id; once per event; in
/// sequence order per account. Returns the delivered ids.
#[track_caller]
fn assert_delivered_once_in_order(admin: &Client, receiver: &Receiver, expected: &[Value]) {
    let delivered = receiver.delivered();
    let mut count: HashMap<String, usize> = HashMap::new();
    let mut last_sequence: BTreeMap<String, i64> = BTreeMap::new();
    for entry in &delivered {
        let id = entry["id"].as_str().unwrap().to_string();
        *count.entry(id.clone()).or_default() += 1;
        assert!(
            entry["verified"]
                .as_array()
                .unwrap()
                .iter()
                .any(|v| v == true),
            "a delivery no secret verifies: {entry}"
        );
        assert_eq!(entry["content_type"], json!("application/json"));
        let stored = admin.get(&format!("/v1/events/{id}")).expect(200);
        assert_eq!(
            entry["body"].as_str().unwrap(),
            stored.text,
            "the body as stored"
        );
        let event: Value = serde_json::from_str(&stored.text).unwrap();
        let account = event["account_id"].as_str().unwrap().to_string();
        let sequence = event["sequence"].as_i64().unwrap();
        let previous = last_sequence.insert(account.clone(), sequence).unwrap_or(0);
        assert!(
            sequence > previous,
            "{account}'s event {sequence} arrived after {previous}"
        );
    }
    let duplicates: Vec<_> = count.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        duplicates.is_empty(),
        "delivered more than once: {duplicates:?}"
    );
    let mut delivered_ids: Vec<&String> = count.keys().collect();
    delivered_ids.sort();
    let mut expected_ids: Vec<&str> = expected
        .iter()
        .map(|event| event["id"].as_str().unwrap())
        .collect();
    expected_ids.sort_unstable();
    assert_eq!(delivered_ids, expected_ids, "every event, and only those");
}

#[test]
fn events_arrive_signed_in_order_per_account_once_per_success() {
    let tally = Tally::with_test_clock();
    let admin = tally.admin();
    let receiver = Receiver::start();
    let endpoint = create_endpoint(&admin, &receiver.url(), None);
    receiver.secrets(&[endpoint["secret"].as_str().unwrap()]);
    for account in ["a", "b", "c"] {
        admin
            .post("/v1/accounts", json!({"id": account}))
            .expect(201);
    }
    for round in 1..=8 {
        for account in ["a", "b", "c"] {
            grant(&admin, account, round * 10);
        }
    }
    let events = all_events(&admin);
    assert!(events.len() >= 24, "{} events", events.len());
    wait_for(
        "every event delivered",
        || receiver.delivered().len(),
        |n| *n >= events.len(),
    );
    assert_delivered_once_in_order(&admin, &receiver, &events);
    // Every attempt is logged (recorded just after the receiver answered), each ok, each a
    // first attempt, and nothing more arrived.
    let endpoint_id = endpoint["id"].as_str().unwrap();
    let log = wait_for(
        "every attempt logged",
        || attempts(&admin, endpoint_id),
        |log| log.len() >= events.len(),
    );
    assert_eq!(log.len(), events.len());
    assert!(
        log.iter()
            .all(|a| a["ok"] == json!(true) && a["attempt"] == json!(1))
    );
    assert!(log.iter().all(|a| a["status_code"] == json!(204)));
    assert_eq!(receiver.received().len(), events.len());
    // The secret is never shown again.
    let id = endpoint["id"].as_str().unwrap();
    let shown = admin
        .get(&format!("/v1/webhook-endpoints/{id}"))
        .expect(200);
    assert!(shown.body.get("secret").is_none(), "{}", shown.text);
    let listed = admin.get("/v1/webhook-endpoints").expect(200);
    assert!(!listed.text.contains("whsec_"), "{}", listed.text);
}

#[test]
fn a_failing_receiver_is_retried_on_the_schedule_then_given_up_and_holds_back_only_its_account() {
    let tally = Tally::with_test_clock();
    let admin = tally.admin();
    let receiver = Receiver::start();
    let endpoint = create_endpoint(&admin, &receiver.url(), Some(json!(["grant.created"])));
    let endpoint_id = endpoint["id"].as_str().unwrap().to_string();
    receiver.secrets(&[endpoint["secret"].as_str().unwrap()]);
    receiver.control(json!({"mode": "fail", "status": 503, "only_accounts": ["a"]}));
    admin.post("/v1/accounts", json!({"id": "a"})).expect(201);
    admin.post("/v1/accounts", json!({"id": "b"})).expect(201);
    let first = grant(&admin, "a", 5);
    let second = grant(&admin, "a", 6);
    let other = grant(&admin, "b", 7);
    let event_of = |grant_id: &str| -> String {
        let events = all_events(&admin);
        let event = events
            .iter()
            .find(|e| e["data"]["grant"]["id"] == json!(grant_id))
            .unwrap_or_else(|| panic!("no grant.created for {grant_id}"));
        event["id"].as_str().unwrap().to_string()
    };
    let (first, second, other) = (event_of(&first), event_of(&second), event_of(&other));

    // b's event is not held back by a's failing one.
    wait_for(
        "b's event delivered",
        || receiver.delivered().iter().any(|e| e["id"] == json!(other)),
        |done| *done,
    );
    // The schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h (plus up to a tenth of
    // jitter), then given up after the 10th attempt.
    let schedule = [5, 300, 1800, 7200, 18_000, 36_000, 50_400, 72_000, 86_400];
    for attempt in 1..=10usize {
        let log = wait_for(
            &format!("attempt {attempt} of {first}"),
            || {
                attempts(&admin, &endpoint_id)
                    .into_iter()
                    .filter(|a| a["event_id"] == json!(first))
                    .collect::<Vec<_>>()
            },
            |log| log.len() >= attempt,
        );
        assert_eq!(log.len(), attempt, "one attempt per due time: {log:?}");
        let last = &log[attempt - 1];
        assert_eq!(last["attempt"], json!(attempt));
        assert_eq!(
            (last["ok"].clone(), last["status_code"].clone()),
            (json!(false), json!(503))
        );
        if attempt == 10 {
            assert_eq!(
                last["next_attempt_at"],
                Value::Null,
                "given up after the 10th"
            );
            break;
        }
        // a's second event waits behind its first: never attempted while the first is pending.
        assert!(
            !receiver.received().iter().any(|e| e["id"] == json!(second)),
            "a's second event went out before its first (attempt {attempt}): {:#?}",
            attempts(&admin, &endpoint_id)
        );
        let wait = micros(&last["next_attempt_at"]) - micros(&last["created_at"]);
        let step = schedule[attempt - 1] * 1_000_000;
        assert!(
            (step..=step + step / 10).contains(&wait),
            "attempt {attempt}: the next in {wait} µs, the schedule says {step} (+10 %)"
        );
        // Just before its time nothing happens (the clock is the test's): move to the instant.
        set_clock(&admin, micros(&last["next_attempt_at"]));
    }
    // Given up: a's second event is free to go, and goes (the receiver still fails a's, so
    // it is retried; b's are fine).
    let failing = wait_for(
        "a's second event attempted",
        || {
            receiver
                .received()
                .iter()
                .filter(|e| e["id"] == json!(second))
                .count()
        },
        |n| *n >= 1,
    );
    assert_eq!(failing, 1);
    let received_first = receiver
        .received()
        .iter()
        .filter(|e| e["id"] == json!(first))
        .count();
    assert_eq!(received_first, 10, "ten attempts of the first event in all");

    // Retry-After later than the schedule is honoured.
    receiver.control(
        json!({"mode": "fail", "status": 429, "retry_after": 7200, "only_accounts": ["a"]}),
    );
    let before = attempts(&admin, &endpoint_id).len();
    let second_log = |admin: &Client| -> Vec<Value> {
        attempts(admin, &endpoint_id)
            .into_iter()
            .filter(|a| a["event_id"] == json!(second))
            .collect()
    };
    // The receiver has seen the second event's first attempt; the worker records it after the
    // answer, so wait for the record too.
    let log = wait_for(
        "the second event's first attempt recorded",
        || second_log(&admin),
        |l| !l.is_empty(),
    );
    set_clock(&admin, micros(&log[0]["next_attempt_at"]));
    let log = wait_for(
        "the second attempt",
        || second_log(&admin),
        |l| l.len() >= 2,
    );
    assert_eq!(log[1]["status_code"], json!(429));
    let wait = micros(&log[1]["next_attempt_at"]) - micros(&log[1]["created_at"]);
    assert!(
        wait >= 7200 * 1_000_000,
        "Retry-After: 7200 honoured, got {wait} µs"
    );
    assert!(attempts(&admin, &endpoint_id).len() > before);

    // A redelivery of the given-up event: a new round, delivered once the receiver is fine.
    receiver.control(json!({"mode": "ok"}));
    let redelivered = admin
        .post(&format!("/v1/events/{first}/redeliver"), json!({}))
        .expect(202);
    assert_eq!(redelivered.body["endpoints"], json!([endpoint_id]));
    set_clock(&admin, micros(&log[1]["next_attempt_at"]));
    wait_for(
        "a's events delivered after the redelivery",
        || {
            let delivered = receiver.delivered();
            [&first, &second]
                .iter()
                .all(|id| delivered.iter().any(|e| e["id"] == json!(id)))
        },
        |done| *done,
    );
    let delivered = receiver.delivered();
    assert_eq!(
        delivered.iter().filter(|e| e["id"] == json!(first)).count(),
        1
    );
}

#[test]
fn a_410_disables_the_endpoint() {
    let tally = Tally::with_test_clock();
    let admin = tally.admin();
    let receiver = Receiver::start();
    let endpoint = create_endpoint(&admin, &receiver.url(), None);
    let endpoint_id = endpoint["id"].as_str().unwrap().to_string();
    receiver.secrets(&[endpoint["secret"].as_str().unwrap()]);
    receiver.control(json!({"mode": "gone"}));
    admin.post("/v1/accounts", json!({"id": "a"})).expect(201);
    grant(&admin, "a", 5);
    let shown = wait_for(
        "the endpoint disabled",
        || {
            admin
                .get(&format!("/v1/webhook-endpoints/{endpoint_id}"))
                .body
        },
        |body| body["status"] == json!("disabled"),
    );
    assert_eq!(shown["status"], json!("disabled"));
    let log = attempts(&admin, &endpoint_id);
    assert_eq!(log.len(), 1);
    assert_eq!(
        (
            log[0]["status_code"].clone(),
            log[0]["next_attempt_at"].clone()
        ),
        (json!(410), Value::Null)
    );
    // Disabled: nothing more is sent (events made meanwhile are not queued for it), however
    // much time passes.
    receiver.control(json!({"mode": "ok"}));
    grant(&admin, "a", 6);
    advance(&admin, 3 * 86_400);
    // A bound on "never": a probe endpoint, enabled, gets the next event; by then the worker
    // has polled past everything due.
    let probe = create_endpoint(&admin, &receiver.url(), None);
    grant(&admin, "a", 7);
    let probe_id = probe["id"].as_str().unwrap().to_string();
    wait_for(
        "the probe endpoint's delivery",
        || attempts(&admin, &probe_id).len(),
        |n| *n >= 1,
    );
    assert_eq!(
        attempts(&admin, &endpoint_id).len(),
        1,
        "no attempt after the 410"
    );
    // Enabled again by an admin, it gets the events made from then on.
    let enabled = admin
        .request(
            "PATCH",
            &format!("/v1/webhook-endpoints/{endpoint_id}"),
            Some(json!({"status": "enabled"}).to_string().as_bytes()),
            &[],
        )
        .expect(200);
    assert_eq!(enabled.body["status"], json!("enabled"));
    assert!(enabled.body.get("secret").is_none());
    grant(&admin, "a", 8);
    let log = wait_for(
        "a delivery after re-enabling",
        || attempts(&admin, &endpoint_id),
        |log| log.iter().any(|a| a["ok"] == json!(true)),
    );
    assert_eq!(log.len(), 2, "{log:?}");
}

#[test]
fn during_a_rotation_both_secrets_sign_for_24_hours() {
    let tally = Tally::with_test_clock();
    let admin = tally.admin();
    let receiver = Receiver::start();
    let endpoint = create_endpoint(&admin, &receiver.url(), None);
    let endpoint_id = endpoint["id"].as_str().unwrap().to_string();
    let old = endpoint["secret"].as_str().unwrap().to_string();
    receiver.secrets(&[&old]);
    admin.post("/v1/accounts", json!({"id": "a"})).expect(201);
    grant(&admin, "a", 1);
    wait_for(
        "the first delivery",
        || receiver.delivered().len(),
        |n| *n >= 1,
    );

    let rotated = admin
        .post(
            &format!("/v1/webhook-endpoints/{endpoint_id}/rotate-secret"),
            json!({}),
        )
        .expect(200);
    let new = rotated.body["secret"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    assert!(rotated.body["previous_secret_expires_at"].is_string());
    receiver.secrets(&[&old, &new]);
    grant(&admin, "a", 2);
    let during = wait_for(
        "a delivery during the rotation",
        || receiver.delivered(),
        |d| d.len() >= 2,
    );
    let entry = &during[1];
    assert_eq!(
        entry["verified"],
        json!([true, true]),
        "both secrets verify: {entry}"
    );
    assert_eq!(entry["signature"].as_str().unwrap().split(' ').count(), 2);

    advance(&admin, 86_400);
    grant(&admin, "a", 3);
    let after = wait_for(
        "a delivery after 24 hours",
        || receiver.delivered(),
        |d| d.len() >= 3,
    );
    let entry = &after[2];
    assert_eq!(
        entry["verified"],
        json!([false, true]),
        "only the new one: {entry}"
    );
    assert_eq!(entry["signature"].as_str().unwrap().split(' ').count(), 1);
    // The first delivery was signed with the old secret alone.
    assert_eq!(after[0]["verified"], json!([true]));
    assert_eq!(
        after[0]["signature"].as_str().unwrap().split(' ').count(),
        1
    );
    let shown = admin
        .get(&format!("/v1/webhook-endpoints/{endpoint_id}"))
        .expect(200);
    assert!(!shown.text.contains("whsec_"), "{}", shown.text);
}

#[test]
fn a_kill_between_commit_and_delivery_loses_and_invents_nothing() {
    let mut tally = Tally::with_test_clock();
    let admin = tally.admin();
    let receiver = Receiver::start();
    let endpoint = create_endpoint(&admin, &receiver.url(), None);
    let endpoint_id = endpoint["id"].as_str().unwrap().to_string();
    receiver.secrets(&[endpoint["secret"].as_str().unwrap()]);
    receiver.control(json!({"mode": "hang"}));
    admin.post("/v1/accounts", json!({"id": "a"})).expect(201);
    admin.post("/v1/accounts", json!({"id": "b"})).expect(201);
    for amount in 1..=5 {
        grant(&admin, "a", amount);
        grant(&admin, "b", amount);
    }
    // Both accounts' first deliveries are in flight (hung); the rest are committed, waiting.
    wait_for(
        "two deliveries in flight",
        || receiver.received().len(),
        |n| *n >= 2,
    );
    tally.kill();
    tally.restart();
    let admin = tally.admin();
    receiver.control(json!({"mode": "ok"}));
    // The dead node's leases run out (60 s on the engine's clock); then the new one delivers.
    advance(&admin, 61);
    let events = all_events(&admin);
    wait_for(
        "every event delivered after the restart",
        || receiver.delivered().len(),
        |n| *n >= events.len(),
    );
    assert_delivered_once_in_order(&admin, &receiver, &events);
    // Compare with the ledger: one grant.created per grant, and no other event.
    for account in ["a", "b"] {
        let grants = admin
            .get(&format!("/v1/accounts/{account}/grants?limit=1000"))
            .expect(200);
        let mut grant_ids: Vec<String> = grants.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["id"].as_str().unwrap().to_string())
            .collect();
        grant_ids.sort();
        let mut evented: Vec<String> = events
            .iter()
            .filter(|e| e["account_id"] == json!(account))
            .map(|e| {
                assert_eq!(e["type"], json!("grant.created"), "{e}");
                e["data"]["grant"]["id"].as_str().unwrap().to_string()
            })
            .collect();
        evented.sort();
        assert_eq!(
            evented, grant_ids,
            "{account}: an event per grant, none invented"
        );
    }
    let ok = |log: &Vec<Value>| log.iter().filter(|a| a["ok"] == json!(true)).count();
    let log = wait_for(
        "every attempt logged",
        || attempts(&admin, &endpoint_id),
        |log| ok(log) >= events.len(),
    );
    assert_eq!(ok(&log), events.len());
    tally.verify();
}

#[test]
fn with_deny_private_a_loopback_endpoint_is_refused_and_never_called() {
    let options = ServeOptions {
        test_clock: true,
        ..ServeOptions::default()
    };
    let mut tally = Tally::start_with(options.clone());
    let admin = tally.admin();
    let receiver = Receiver::start();
    // Allowed by default, created on the server without the switch.
    let endpoint = create_endpoint(&admin, &receiver.url(), None);
    let endpoint_id = endpoint["id"].as_str().unwrap().to_string();
    admin.post("/v1/accounts", json!({"id": "a"})).expect(201);
    tally.stop();
    // The same database, with --webhook-deny-private.
    let mut tally = {
        let mut restarted = tally;
        restarted.set_options(ServeOptions {
            webhook_deny_private: true,
            ..options
        });
        restarted.restart();
        restarted
    };
    let admin = tally.admin();
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://10.0.0.7/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest",
    ] {
        let refused = admin.post("/v1/webhook-endpoints", json!({"url": url}));
        let problem = refused.problem(422, "invalid_request");
        assert_eq!(problem["param"], json!("url"), "{url}");
    }
    // The endpoint made before: its delivery is refused at delivery time, on the resolved
    // address, and the receiver never sees it.
    grant(&admin, "a", 5);
    let log = wait_for(
        "a refused attempt",
        || attempts(&admin, &endpoint_id),
        |log| !log.is_empty(),
    );
    assert_eq!(log[0]["status_code"], Value::Null);
    assert!(
        log[0]["error"].as_str().unwrap().contains("private"),
        "{}",
        log[0]
    );
    assert!(receiver.received().is_empty());
    tally.stop();
}

fn patch(client: &Client, path: &str, body: Value) -> Resp {
    client.request("PATCH", path, Some(body.to_string().as_bytes()), &[])
}

#[test]
fn bad_endpoints_are_refused_naming_what_is_wrong() {
    let tally = Tally::start();
    let admin = tally.admin();
    let refused = |body: Value, status: u16, code: &str, param: &str| {
        let answer = admin.post("/v1/webhook-endpoints", body.clone());
        let problem = answer.problem(status, code);
        assert_eq!(problem["param"], json!(param), "{body}: {problem}");
        assert!(problem["type"].as_str().unwrap().starts_with("/errors/"));
        problem.clone()
    };
    for url in [
        "ftp://example.com/hook",
        "file:///etc/passwd",
        "not a url",
        "example.com/hook",
        "http://",
        "http:///hook",
        "https://user:secret@example.com/hook",
        "https://token@example.com/hook",
        "",
    ] {
        refused(json!({"url": url}), 422, "invalid_request", "url");
    }
    let long = format!("https://example.com/{}", "a".repeat(3000));
    refused(json!({"url": long}), 422, "invalid_request", "url");
    refused(json!({"url": 42}), 400, "invalid_json", "url");
    refused(json!({}), 422, "invalid_request", "url");
    refused(
        json!({"url": "https://example.com/", "evnts": ["grant.created"]}),
        422,
        "invalid_request",
        "evnts",
    );
    let unknown = refused(
        json!({"url": "https://example.com/", "events": ["grant.created", "grant.exploded"]}),
        422,
        "invalid_request",
        "events[1]",
    );
    let detail = unknown["detail"].as_str().unwrap();
    assert!(detail.contains("grant.exploded"), "{detail}");
    assert!(
        detail.contains("balance.low") && detail.contains("limit.reached"),
        "{detail}"
    );
    refused(
        json!({"url": "https://example.com/", "events": []}),
        422,
        "invalid_request",
        "events",
    );
    refused(
        json!({"url": "https://example.com/", "events": ["hold.expired", "hold.expired"]}),
        422,
        "invalid_request",
        "events[1]",
    );
    refused(
        json!({"url": "https://example.com/", "events": "grant.created"}),
        400,
        "invalid_json",
        "events",
    );
    // Nothing was created by any of them.
    let listed = admin.get("/v1/webhook-endpoints").expect(200);
    assert_eq!(listed.body["data"], json!([]));

    // A good one; its secret is in this answer only.
    let created = admin.post_idem(
        "/v1/webhook-endpoints",
        "create-1",
        json!({"url": "https://hooks.example.com/tally", "events": ["grant.created", "hold.expired"]}),
    );
    let created = created.expect(201);
    let id = created.id();
    assert!(id.starts_with("we_"));
    let secret = created.body["secret"].as_str().unwrap().to_string();
    assert_eq!(
        created.body["events"],
        json!(["grant.created", "hold.expired"])
    );
    assert_eq!(created.body["status"], json!("enabled"));
    let again = admin.post_idem(
        "/v1/webhook-endpoints",
        "create-1",
        json!({"url": "https://hooks.example.com/tally", "events": ["grant.created", "hold.expired"]}),
    );
    let again = again.expect(201);
    assert!(again.replayed());
    assert_eq!(again.id(), id);
    assert!(
        !again.text.contains(&secret),
        "a replay shows no secret: {}",
        again.text
    );
    admin
        .post_idem(
            "/v1/webhook-endpoints",
            "create-1",
            json!({"url": "https://other.example.com/"}),
        )
        .problem(409, "idempotency_conflict");
    for shown in [
        admin
            .get(&format!("/v1/webhook-endpoints/{id}"))
            .expect(200),
        admin.get("/v1/webhook-endpoints").expect(200),
        patch(
            &admin,
            &format!("/v1/webhook-endpoints/{id}"),
            json!({"description": "renamed", "events": ["*"]}),
        )
        .expect(200),
        admin
            .get(&format!("/v1/webhook-endpoints/{id}/deliveries"))
            .expect(200),
    ] {
        assert!(
            !shown.text.contains(&secret),
            "the secret shown again: {}",
            shown.text
        );
        assert!(!shown.text.contains("\"secret\""), "{}", shown.text);
    }
    let shown = admin
        .get(&format!("/v1/webhook-endpoints/{id}"))
        .expect(200);
    assert_eq!(shown.body["events"], json!(["*"]));
    assert_eq!(shown.body["description"], json!("renamed"));
    let path = format!("/v1/webhook-endpoints/{id}");
    for (body, param) in [
        (json!({"status": "paused"}), "status"),
        (json!({"url": "gopher://example.com/"}), "url"),
        (json!({"secret": "whsec_mine"}), "secret"),
    ] {
        let problem = patch(&admin, &path, body)
            .problem(422, "invalid_request")
            .clone();
        assert_eq!(problem["param"], json!(param));
    }
    patch(
        &admin,
        "/v1/webhook-endpoints/we_nope",
        json!({"description": "x"}),
    )
    .problem(404, "not_found");
    admin
        .get("/v1/webhook-endpoints/we_nope/deliveries")
        .problem(404, "not_found");
    admin
        .post("/v1/webhook-endpoints/we_nope/rotate-secret", json!({}))
        .problem(404, "not_found");
    admin.delete(&path).expect(200);
    admin.get(&path).problem(404, "not_found");
    admin.delete(&path).problem(404, "not_found");
}

#[test]
fn account_keys_may_not_touch_endpoints_and_see_only_their_own_events() {
    let tally = Tally::start();
    let admin = tally.admin();
    for account in ["a", "b"] {
        admin
            .post("/v1/accounts", json!({"id": account}))
            .expect(201);
        grant(&admin, account, 10);
    }
    let key_a = admin.post("/v1/accounts/a/keys", json!({})).expect(201);
    let a = tally.client(key_a.body["key"].as_str().unwrap());
    let endpoint = admin
        .post(
            "/v1/webhook-endpoints",
            json!({"url": "https://hooks.example.com/"}),
        )
        .expect(201)
        .id();
    let events = all_events(&admin);
    let of = |account: &str| -> String {
        events
            .iter()
            .find(|e| e["account_id"] == json!(account))
            .map(|e| e["id"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no event of {account}"))
    };
    let (event_a, event_b) = (of("a"), of("b"));

    // Every endpoint route, and redelivery: 403 for an account key.
    let endpoint_path = format!("/v1/webhook-endpoints/{endpoint}");
    for answer in [
        a.post(
            "/v1/webhook-endpoints",
            json!({"url": "https://x.example.com/"}),
        ),
        a.get("/v1/webhook-endpoints"),
        a.get(&endpoint_path),
        patch(&a, &endpoint_path, json!({"status": "disabled"})),
        a.delete(&endpoint_path),
        a.post(&format!("{endpoint_path}/rotate-secret"), json!({})),
        a.get(&format!("{endpoint_path}/deliveries")),
        a.post(&format!("/v1/events/{event_a}/redeliver"), json!({})),
    ] {
        answer.problem(403, "forbidden");
    }
    let still = admin.get(&endpoint_path).expect(200);
    assert_eq!(still.body["status"], json!("enabled"));

    // Events: its own only.
    let own = a.get("/v1/events").expect(200);
    let listed: Vec<&Value> = own.body["data"].as_array().unwrap().iter().collect();
    assert!(!listed.is_empty());
    assert!(
        listed.iter().all(|e| e["account_id"] == json!("a")),
        "{}",
        own.text
    );
    a.get(&format!("/v1/events/{event_a}")).expect(200);
    a.get(&format!("/v1/events/{event_b}"))
        .problem(404, "not_found");
    a.get("/v1/events?account_id=b").problem(404, "not_found");
    a.get("/v1/events?account_id=a").expect(200);
    let cursor = a.get(&format!("/v1/events?starting_after={event_b}"));
    assert_eq!(
        cursor.problem(422, "invalid_request")["param"],
        json!("starting_after")
    );
    let bad_type = a.get("/v1/events?type=grant.exploded");
    let problem = bad_type.problem(422, "invalid_request");
    assert_eq!(problem["param"], json!("type"));
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("grant.created")
    );
    a.get("/v1/events?colour=red")
        .problem(422, "invalid_request");
    a.get("/v1/events?limit=0").problem(422, "invalid_request");
    // The admin sees both, and filters.
    admin
        .get("/v1/events?account_id=nope")
        .problem(404, "not_found");
    let grants = admin.get("/v1/events?type=grant.created").expect(200);
    let accounts: Vec<&str> = grants.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["account_id"].as_str().unwrap())
        .collect();
    assert!(accounts.contains(&"a") && accounts.contains(&"b"));
    // Pages: newest first, a cursor goes on from an event.
    let first = admin.get("/v1/events?limit=1").expect(200);
    assert_eq!(first.body["has_more"], json!(true));
    let after = first.body["data"][0]["id"].as_str().unwrap();
    let rest = admin
        .get(&format!("/v1/events?starting_after={after}"))
        .expect(200);
    assert_eq!(
        rest.body["data"].as_array().unwrap().len(),
        events.len() - 1
    );
    // An event is served byte for byte as stored, on its own and in a list.
    let single = admin.get(&format!("/v1/events/{event_a}")).expect(200);
    assert!(rest.text.contains(&single.text) || first.text.contains(&single.text));
    admin.get("/v1/events/evt_nope").problem(404, "not_found");
    admin
        .post("/v1/events/evt_nope/redeliver", json!({}))
        .problem(404, "not_found");
}

/// A test CA and a certificate for 127.0.0.1 it signed (PEM files in `dir`), made with the
/// `openssl` command: `(ca, certificate, key)`.
fn test_certificates(
    dir: &std::path::Path,
) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let run = |args: &[&str]| {
        let output = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("running openssl (the TLS test makes its certificates with it)");
        assert!(
            output.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509", "-days", "2", "-subj", "/CN=Tally test CA"];
    ca.extend(ec);
    ca.extend(["-keyout", "ca.key", "-out", "ca.pem"]);
    run(&ca);
    let mut request = vec!["req", "-subj", "/CN=127.0.0.1"];
    request.extend(ec);
    request.extend(["-keyout", "server.key", "-out", "server.csr"]);
    run(&request);
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
         keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "server.ext",
        "-out",
        "server.pem",
    ]);
    (
        dir.join("ca.pem"),
        dir.join("server.pem"),
        dir.join("server.key"),
    )
}

#[test]
fn https_endpoints_get_deliveries_over_verified_tls_only() {
    let options = ServeOptions {
        test_clock: true,
        ..ServeOptions::default()
    };
    let mut tally = Tally::start_with(options.clone());
    let (ca, certificate, key) = test_certificates(tally.dir());
    let receiver = Receiver::start_tls(&certificate, &key);
    assert!(
        receiver.url().starts_with("https://127.0.0.1:"),
        "{}",
        receiver.url()
    );
    let admin = tally.admin();
    let endpoint = create_endpoint(&admin, &receiver.url(), None);
    let endpoint_id = endpoint["id"].as_str().unwrap().to_string();
    receiver.secrets(&[endpoint["secret"].as_str().unwrap()]);
    admin.post("/v1/accounts", json!({"id": "a"})).expect(201);
    grant(&admin, "a", 5);
    // The receiver's certificate is not one the Web PKI vouches for: refused, nothing sent.
    let log = wait_for(
        "a refused attempt",
        || attempts(&admin, &endpoint_id),
        |l| !l.is_empty(),
    );
    assert_eq!(log[0]["status_code"], Value::Null);
    let error = log[0]["error"].as_str().unwrap();
    assert!(error.contains("TLS"), "{error}");
    assert!(receiver.received().is_empty());

    // With the test CA trusted (--webhook-ca-file), the retry goes through, signed.
    tally.stop();
    tally.set_options(ServeOptions {
        webhook_ca_file: Some(ca),
        ..options
    });
    tally.restart();
    let admin = tally.admin();
    set_clock(&admin, micros(&log[0]["next_attempt_at"]));
    let delivered = wait_for(
        "the delivery over TLS",
        || receiver.delivered(),
        |d| !d.is_empty(),
    );
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0]["verified"], json!([true]));
    let log = wait_for(
        "the attempt logged",
        || attempts(&admin, &endpoint_id),
        |l| l.len() >= 2,
    );
    assert_eq!(log[1]["status_code"], json!(204));
}

#[test]
fn a_redirect_is_a_failed_attempt_and_is_never_followed() {
    let tally = Tally::with_test_clock();
    let admin = tally.admin();
    let receiver = Receiver::start();
    let endpoint = create_endpoint(&admin, &receiver.url(), None);
    let endpoint_id = endpoint["id"].as_str().unwrap().to_string();
    receiver.secrets(&[endpoint["secret"].as_str().unwrap()]);
    receiver.control(json!({"mode": "fail", "status": 307}));
    admin.post("/v1/accounts", json!({"id": "a"})).expect(201);
    grant(&admin, "a", 5);
    let log = wait_for(
        "the redirected attempt",
        || attempts(&admin, &endpoint_id),
        |l| !l.is_empty(),
    );
    assert_eq!(log[0]["status_code"], json!(307));
    assert_eq!(log[0]["ok"], json!(false));
    assert!(
        log[0]["next_attempt_at"].is_string(),
        "retried on the schedule"
    );
    // The Location was never called: every request the receiver saw went to the endpoint.
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    assert!(
        received.iter().all(|r| r["path"] == json!("/hook")),
        "{received:?}"
    );
}
