//! End to end: every event type is written by its cause, in the transaction of that cause (the
//! outbox), numbered per account without gaps, exactly once: a replayed request, a refused one
//! and a restart write none. The events are read from the SQLite file the server writes (what
//! a delivery worker starts from), driven by a real `tally serve` with the test clock.

mod common;

use std::path::Path;

use common::*;
use serde_json::{Value, json};

/// Every event of `account`, in its sequence, as written.
fn events(db: &Path, account: &str) -> Vec<Value> {
    let connection =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("opening the server's file");
    let mut statement = connection
        .prepare(
            "SELECT body, sequence, type, id FROM events WHERE account_id = ?1 ORDER BY sequence",
        )
        .expect("the events table");
    let rows = statement
        .query_map([account], |row| {
            let body: String = row.get(0)?;
            let sequence: i64 = row.get(1)?;
            let kind: String = row.get(2)?;
            let id: String = row.get(3)?;
            Ok((body, sequence, kind, id))
        })
        .expect("reading the events");
    rows.map(|row| {
        let (body, sequence, kind, id) = row.expect("an event row");
        let event: Value = serde_json::from_str(&body).expect("an event body is JSON");
        // The columns the lists filter on say what the body says.
        assert_eq!(event["sequence"], json!(sequence));
        assert_eq!(event["type"], json!(kind));
        assert_eq!(event["id"], json!(id));
        assert_eq!(event["account_id"], json!(account));
        event
    })
    .collect()
}

fn types(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|event| event["type"].as_str().expect("a type").to_string())
        .collect()
}

/// The events after the first `seen`.
fn since(db: &Path, account: &str, seen: usize) -> Vec<Value> {
    events(db, account).split_off(seen)
}

#[track_caller]
fn assert_sequence_has_no_gaps(events: &[Value]) {
    for (index, event) in events.iter().enumerate() {
        assert_eq!(event["sequence"], json!(index as i64 + 1), "{event}");
        assert!(event["id"].as_str().unwrap().starts_with("evt_"));
    }
}

fn put(client: &Client, path: &str, body: Value) -> Resp {
    let text = body.to_string();
    client.request(
        "PUT",
        path,
        Some(text.as_bytes()),
        &[("content-type", "application/json")],
    )
}

fn move_clock(admin: &Client, now: &str) {
    admin.post("/v1/clock", json!({ "now": now })).expect(200);
}

fn now_of(value: &Value) -> jiff::Timestamp {
    value.as_str().unwrap().parse().unwrap()
}

fn later(at: jiff::Timestamp, seconds: i64) -> String {
    at.checked_add(jiff::SignedDuration::from_secs(seconds))
        .unwrap()
        .to_string()
}

#[test]
fn grants_debits_and_balance_alerts_write_their_events_once_per_crossing() {
    let t = Tally::start_sqlite_with(ServeOptions {
        test_clock: true,
        ..ServeOptions::default()
    });
    let admin = t.admin();
    create_account(&admin, "acme");
    // A plan's allowance sets the default low balance threshold: 10 % of 5,000.
    put(
        &admin,
        "/v1/accounts/acme/subscription",
        json!({"plan": "starter", "seats": 1}),
    )
    .expect(200);
    let first = events(t.db(), "acme");
    assert_eq!(types(&first), ["grant.created", "subscription.changed"]);
    assert_eq!(first[0]["data"]["grant"]["amount"], json!(5000));
    assert_eq!(first[0]["data"]["available"], json!(5000));
    assert_eq!(first[1]["data"]["subscription"]["plan"], json!("starter"));

    // Above the threshold: nothing. Crossing below 500: one balance.low.
    charge(&admin, "acme", json!(4000)).expect(201);
    assert!(since(t.db(), "acme", 2).is_empty());
    charge(&admin, "acme", json!(600)).expect(201);
    let low = since(t.db(), "acme", 2);
    assert_eq!(types(&low), ["balance.low"]);
    assert_eq!(low[0]["data"]["available"], json!(400));
    assert_eq!(low[0]["data"]["threshold"], json!(500));
    // Still below: no second one.
    charge(&admin, "acme", json!(100)).expect(201);
    assert_eq!(events(t.db(), "acme").len(), 3);

    // Reaching zero: balance.depleted once; a refusal for lack of credits adds none while no
    // credits arrived since.
    charge(&admin, "acme", json!(300)).expect(201);
    let depleted = since(t.db(), "acme", 3);
    assert_eq!(types(&depleted), ["balance.depleted"]);
    assert_eq!(depleted[0]["data"]["reason"], json!("reached_zero"));
    assert_eq!(depleted[0]["data"]["available"], json!(0));
    charge(&admin, "acme", json!(1)).problem(402, "insufficient_credits");
    assert_eq!(events(t.db(), "acme").len(), 4);

    // Credits arrive above the threshold: both alerts re-arm.
    grant(&admin, "acme", json!(1000), json!({}));
    assert_eq!(types(&since(t.db(), "acme", 4)), ["grant.created"]);
    // A refused debit now fires balance.depleted (with what was asked), once.
    charge(&admin, "acme", json!(5000)).problem(402, "insufficient_credits");
    charge(&admin, "acme", json!(5000)).problem(402, "insufficient_credits");
    let refused = since(t.db(), "acme", 5);
    assert_eq!(types(&refused), ["balance.depleted"]);
    assert_eq!(refused[0]["data"]["reason"], json!("debit_refused"));
    assert_eq!(refused[0]["data"]["refused_amount"], json!(5000));
    assert_eq!(refused[0]["data"]["available"], json!(1000));
    // Going below the threshold again after rising above it: a second balance.low.
    charge(&admin, "acme", json!(600)).expect(201);
    assert_eq!(types(&since(t.db(), "acme", 6)), ["balance.low"]);

    let all = events(t.db(), "acme");
    assert_sequence_has_no_gaps(&all);
    t.verify();
}

#[test]
fn a_replayed_request_writes_no_second_event_and_a_restart_keeps_the_sequence() {
    let mut t = Tally::start_sqlite_with(ServeOptions::default());
    let admin = t.admin();
    create_account(&admin, "acme");
    let keyed = |key: &str| admin.post_idem("/v1/accounts/acme/grants", key, json!({"amount": 10}));
    keyed("grant-1").expect(201);
    keyed("grant-1").expect(201);
    assert_eq!(types(&events(t.db(), "acme")), ["grant.created"]);

    t.kill();
    t.restart();
    let admin = t.admin();
    grant(&admin, "acme", json!(5), json!({}));
    let all = events(t.db(), "acme");
    assert_eq!(types(&all), ["grant.created", "grant.created"]);
    assert_sequence_has_no_gaps(&all);
    // Another account counts its own events from 1.
    create_account(&admin, "globex");
    grant(&admin, "globex", json!(5), json!({}));
    assert_sequence_has_no_gaps(&events(t.db(), "globex"));
}

#[test]
fn due_work_writes_hold_expired_grant_expiring_once_and_grant_expired() {
    let t = Tally::start_sqlite_with(ServeOptions {
        test_clock: true,
        ..ServeOptions::default()
    });
    let admin = t.admin();
    create_account(&admin, "acme");
    let granted = grant(&admin, "acme", json!(100), json!({}));
    let start = now_of(&granted["created_at"]);
    let expiring = grant(
        &admin,
        "acme",
        json!(50),
        json!({"expires_at": later(start, 10 * 86_400)}),
    );
    let held = admin
        .post(
            "/v1/accounts/acme/holds",
            json!({"amount": 30, "ttl_seconds": 60}),
        )
        .expect(201);
    assert_eq!(events(t.db(), "acme").len(), 2);

    move_clock(&admin, &later(start, 61));
    let expired = since(t.db(), "acme", 2);
    assert_eq!(types(&expired), ["hold.expired"]);
    assert_eq!(expired[0]["data"]["hold"]["id"], held["id"]);
    assert_eq!(expired[0]["data"]["hold"]["status"], json!("expired"));
    assert_eq!(expired[0]["created_at"], json!(later(start, 60)));

    // 3 days before the expiry: grant.expiring, once.
    move_clock(&admin, &later(start, 7 * 86_400 - 1));
    assert_eq!(events(t.db(), "acme").len(), 3);
    move_clock(&admin, &later(start, 7 * 86_400 + 5));
    let warned = since(t.db(), "acme", 3);
    assert_eq!(types(&warned), ["grant.expiring"]);
    assert_eq!(warned[0]["data"]["grant"]["id"], expiring["id"]);
    assert_eq!(warned[0]["data"]["remaining"], json!(50));
    assert_eq!(warned[0]["created_at"], json!(later(start, 7 * 86_400)));
    move_clock(&admin, &later(start, 8 * 86_400));
    assert_eq!(events(t.db(), "acme").len(), 4);

    // Spend some of it (it is spent first: it expires soonest), then it expires with what is
    // left.
    charge(&admin, "acme", json!(20)).expect(201);
    move_clock(&admin, &later(start, 10 * 86_400 + 1));
    let ended = since(t.db(), "acme", 4);
    assert_eq!(types(&ended), ["grant.expired"]);
    assert_eq!(ended[0]["data"]["grant"]["id"], expiring["id"]);
    assert_eq!(ended[0]["data"]["expired"], json!(30));
    assert_eq!(ended[0]["data"]["available"], json!(100));
    assert_sequence_has_no_gaps(&events(t.db(), "acme"));
    t.verify();
}

#[test]
fn purchases_top_ups_renewals_and_refunds_write_their_events() {
    let t = Tally::start_sqlite_with(ServeOptions {
        test_clock: true,
        ..ServeOptions::default()
    });
    let admin = t.admin();
    create_account(&admin, "acme");

    // A pending purchase, then paid: created, then the grant and completed.
    let opened = admin
        .post(
            "/v1/accounts/acme/purchases",
            json!({"pack": "pack_10k", "complete": false}),
        )
        .expect(201);
    let start = now_of(&opened["created_at"]);
    assert_eq!(types(&events(t.db(), "acme")), ["purchase.created"]);
    admin
        .post(
            &format!("/v1/purchases/{}/complete", opened.id()),
            json!({}),
        )
        .expect(200);
    let paid = since(t.db(), "acme", 1);
    assert_eq!(types(&paid), ["grant.created", "purchase.completed"]);
    assert_eq!(paid[1]["data"]["purchase"]["status"], json!("completed"));
    assert_eq!(
        paid[1]["data"]["purchase"]["grant"]["id"],
        paid[0]["data"]["grant"]["id"]
    );

    // Failed, canceled (tells no one: the platform did it), expired.
    let failing = admin
        .post(
            "/v1/accounts/acme/purchases",
            json!({"pack": "pack_10k", "complete": false}),
        )
        .expect(201);
    admin
        .post(&format!("/v1/purchases/{}/fail", failing.id()), json!({}))
        .expect(200);
    let canceled = admin
        .post(
            "/v1/accounts/acme/purchases",
            json!({"pack": "pack_10k", "complete": false}),
        )
        .expect(201);
    admin
        .post(
            &format!("/v1/purchases/{}/cancel", canceled.id()),
            json!({}),
        )
        .expect(200);
    admin
        .post(
            "/v1/accounts/acme/purchases",
            json!({"pack": "pack_10k", "complete": false}),
        )
        .expect(201);
    move_clock(&admin, &later(start, 86_400 + 1));
    assert_eq!(
        types(&since(t.db(), "acme", 3)),
        [
            "purchase.created",
            "purchase.failed",
            "purchase.created",
            "purchase.created",
            "purchase.expired"
        ]
    );

    // A refund of a charge.
    let charged = charge(&admin, "acme", json!(100)).expect(201);
    admin
        .post(
            &format!("/v1/charges/{}/refunds", charged.id()),
            json!({"amount": 40}),
        )
        .expect(201);
    let refunded = since(t.db(), "acme", 8);
    assert_eq!(types(&refunded), ["refund.created"]);
    assert_eq!(refunded[0]["data"]["refund"]["amount"], json!(40));

    // Auto top-up: a debit below the threshold requests one; three failures suspend it.
    put(
        &admin,
        "/v1/accounts/acme/auto-topup",
        json!({"pack": "pack_10k", "threshold": 9_950, "cooldown_seconds": 0, "monthly_max": 10}),
    )
    .expect(200);
    for _ in 0..3 {
        let seen = events(t.db(), "acme").len();
        charge(&admin, "acme", json!(1)).expect(201);
        let requested = since(t.db(), "acme", seen);
        assert_eq!(types(&requested), ["purchase.created", "topup.requested"]);
        let purchase = requested[1]["data"]["purchase"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(requested[0]["data"]["purchase"]["id"], json!(purchase));
        assert_eq!(requested[1]["data"]["threshold"], json!(9_950));
        admin
            .post(&format!("/v1/purchases/{purchase}/fail"), json!({}))
            .expect(200);
    }
    let all = events(t.db(), "acme");
    assert_eq!(
        types(&all[all.len() - 2..]),
        ["purchase.failed", "topup.suspended"]
    );
    assert_eq!(
        all.last().unwrap()["data"]["auto_topup"]["status"],
        json!("suspended")
    );

    // A plan, and its renewal a month later with the new period's grant.
    put(
        &admin,
        "/v1/accounts/acme/subscription",
        json!({"plan": "starter", "seats": 1}),
    )
    .expect(200);
    let seen = events(t.db(), "acme").len();
    move_clock(&admin, &later(start, 40 * 86_400));
    let renewed: Vec<Value> = since(t.db(), "acme", seen)
        .into_iter()
        .filter(|event| {
            event["type"] != json!("grant.expired") && event["type"] != json!("grant.expiring")
        })
        .collect();
    let renewal = renewed
        .iter()
        .find(|event| event["type"] == json!("subscription.renewed"))
        .unwrap_or_else(|| panic!("no subscription.renewed in {renewed:?}"));
    assert_eq!(renewal["data"]["subscription"]["plan"], json!("starter"));
    assert_eq!(renewal["data"]["grant"]["amount"], json!(5000));
    // Cancel: the plan changes (to canceling).
    admin.delete("/v1/accounts/acme/subscription").expect(200);
    let last = events(t.db(), "acme").pop().unwrap();
    assert_eq!(last["type"], json!("subscription.changed"));
    assert_eq!(last["data"]["subscription"]["status"], json!("canceling"));

    assert_sequence_has_no_gaps(&events(t.db(), "acme"));
    t.verify();
}
