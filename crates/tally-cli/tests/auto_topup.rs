//! End to end: auto top-up. A debit that leaves `available` below the threshold opens one
//! top-up purchase in the same step; concurrent debits across the threshold open exactly one;
//! a pending one, the cooldown and the monthly cap hold the next back; three failures in a row
//! suspend it until it is set again; `complete: true` grants at once.

mod common;

use std::sync::Barrier;

use common::*;
use serde_json::{Value, json};

fn topups(client: &Client, account: &str) -> Vec<Value> {
    list_all(client, &format!("/v1/accounts/{account}/purchases"))
        .into_iter()
        .filter(|purchase| purchase["topup"] == json!(true))
        .collect()
}

fn set(client: &Client, account: &str, body: Value) -> Resp {
    let bytes = body.to_string();
    client.request(
        "PUT",
        &format!("/v1/accounts/{account}/auto-topup"),
        Some(bytes.as_bytes()),
        &[("content-type", "application/json")],
    )
}

#[test]
fn a_debit_below_the_threshold_opens_one_pending_top_up_and_the_guard_rails_hold() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "acme");
    grant(&admin, "acme", json!(150), json!({}));
    let topup = set(
        &admin,
        "acme",
        json!({"pack": "pack_10k", "threshold": 100, "cooldown_seconds": 0, "monthly_max": 10}),
    )
    .expect(200);
    assert_eq!(topup["status"], json!("active"));
    assert_eq!(topup["complete"], json!(false));
    assert_eq!(
        admin.get("/v1/accounts/acme/auto-topup").expect(200)["threshold"],
        json!(100)
    );

    // Above the threshold: nothing.
    charge(&admin, "acme", json!(40)).expect(201);
    assert!(topups(&admin, "acme").is_empty());
    // Below it: one pending purchase, no credits yet.
    charge(&admin, "acme", json!(20)).expect(201);
    let opened = topups(&admin, "acme");
    assert_eq!(opened.len(), 1);
    assert_eq!(opened[0]["status"], json!("pending"));
    assert_eq!(millis(&balance(&admin, "acme")["available"]), 90_000);
    // While it is pending, more debits open no second one.
    charge(&admin, "acme", json!(10)).expect(201);
    assert_eq!(topups(&admin, "acme").len(), 1);

    // Three failures in a row suspend it.
    for round in 0..3 {
        let pending = topups(&admin, "acme")
            .into_iter()
            .find(|purchase| purchase["status"] == json!("pending"))
            .expect("a pending top-up");
        let id = pending["id"].as_str().unwrap();
        admin
            .post(&format!("/v1/purchases/{id}/fail"), json!({}))
            .expect(200);
        let state = admin.get("/v1/accounts/acme/auto-topup").expect(200);
        assert_eq!(state["consecutive_failures"], json!(round + 1));
        charge(&admin, "acme", json!(1)).expect(201);
    }
    let state = admin.get("/v1/accounts/acme/auto-topup").expect(200);
    assert_eq!(state["status"], json!("suspended"));
    assert_eq!(
        topups(&admin, "acme").len(),
        3,
        "suspended: no fourth purchase"
    );
    // Setting it again makes it active; the next debit buys.
    set(
        &admin,
        "acme",
        json!({"pack": "pack_10k", "threshold": 100, "cooldown_seconds": 0}),
    )
    .expect(200);
    charge(&admin, "acme", json!(1)).expect(201);
    let all = topups(&admin, "acme");
    assert_eq!(all.len(), 4);
    let pending = all
        .iter()
        .find(|purchase| purchase["status"] == json!("pending"))
        .unwrap();
    admin
        .post(
            &format!("/v1/purchases/{}/complete", pending["id"].as_str().unwrap()),
            json!({}),
        )
        .expect(200);
    let state = admin.get("/v1/accounts/acme/auto-topup").expect(200);
    assert_eq!(state["consecutive_failures"], json!(0));
    assert_eq!(state["pending_purchase_id"], json!(null));
    t.verify();
}

#[test]
fn concurrent_debits_across_the_threshold_open_exactly_one_top_up() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "hot");
    grant(&admin, "hot", json!(1_000), json!({}));
    let (_, key) = account_key(&admin, "hot");
    set(
        &admin,
        "hot",
        json!({"pack": "pack_10k", "threshold": 500, "cooldown_seconds": 0}),
    )
    .expect(200);
    const THREADS: usize = 64;
    let barrier = Barrier::new(THREADS);
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            let client = t.client(&key);
            let barrier = &barrier;
            scope.spawn(move || {
                barrier.wait();
                charge(&client, "hot", json!(10)).expect(201);
            });
        }
    });
    assert_eq!(millis(&balance(&admin, "hot")["available"]), 360_000);
    let opened = topups(&admin, "hot");
    assert_eq!(opened.len(), 1, "{opened:?}");
    assert_eq!(opened[0]["status"], json!("pending"));
    t.verify();
}

#[test]
fn an_invoiced_top_up_grants_at_once_and_the_monthly_cap_holds() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "inv");
    grant(&admin, "inv", json!(100), json!({}));
    set(
        &admin,
        "inv",
        json!({"pack": "pack_10k", "threshold": 50, "complete": true, "monthly_max": 2, "cooldown_seconds": 0}),
    )
    .expect(200);
    charge(&admin, "inv", json!(60)).expect(201);
    assert_eq!(millis(&balance(&admin, "inv")["available"]), 10_040_000);
    charge(&admin, "inv", json!(10_000)).expect(201);
    assert_eq!(millis(&balance(&admin, "inv")["available"]), 10_040_000);
    // The cap: two this month, the third debit below the threshold buys nothing.
    charge(&admin, "inv", json!(10_000)).expect(201);
    assert_eq!(millis(&balance(&admin, "inv")["available"]), 40_000);
    let opened = topups(&admin, "inv");
    assert_eq!(opened.len(), 2);
    assert!(
        opened
            .iter()
            .all(|purchase| purchase["status"] == json!("completed"))
    );
    let state = admin.get("/v1/accounts/inv/auto-topup").expect(200);
    assert_eq!(state["used_this_month"], json!(2));
    t.verify();
}

#[test]
fn the_cooldown_holds_the_next_attempt_back_until_it_passes() {
    let t = Tally::with_test_clock();
    let admin = t.admin();
    create_account(&admin, "cool");
    grant(&admin, "cool", json!(100), json!({}));
    set(
        &admin,
        "cool",
        json!({"pack": "pack_10k", "threshold": 50, "cooldown_seconds": 600}),
    )
    .expect(200);
    charge(&admin, "cool", json!(60)).expect(201);
    let first = topups(&admin, "cool");
    assert_eq!(first.len(), 1);
    let id = first[0]["id"].as_str().unwrap().to_string();
    admin
        .post(&format!("/v1/purchases/{id}/fail"), json!({}))
        .expect(200);
    charge(&admin, "cool", json!(1)).expect(201);
    assert_eq!(topups(&admin, "cool").len(), 1, "inside the cooldown");
    let now = instant(&admin.get("/v1/clock").expect(200)["now"]);
    admin
        .post("/v1/clock", json!({"now": plus_seconds(now, 600)}))
        .expect(200);
    charge(&admin, "cool", json!(1)).expect(201);
    assert_eq!(topups(&admin, "cool").len(), 2, "after the cooldown");
    t.verify();
}

#[test]
fn auto_top_up_is_admin_only_and_bad_settings_change_nothing() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "acme");
    let (_, key) = account_key(&admin, "acme");
    let acme = t.client(&key);
    let body = json!({"pack": "pack_10k", "threshold": 100});
    set(&acme, "acme", body.clone()).problem(403, "forbidden");
    acme.get("/v1/accounts/acme/auto-topup")
        .problem(403, "forbidden");
    admin
        .get("/v1/accounts/acme/auto-topup")
        .problem(404, "not_found");
    admin
        .delete("/v1/accounts/acme/auto-topup")
        .problem(404, "not_found");
    set(&admin, "nobody", body).problem(404, "not_found");
    let bad = [
        (json!({"threshold": 100}), 422, "invalid_request", "pack"),
        (
            json!({"pack": "pack_nope", "threshold": 100}),
            422,
            "invalid_request",
            "pack",
        ),
        (
            json!({"pack": "pack_10k"}),
            422,
            "invalid_request",
            "threshold",
        ),
        (
            json!({"pack": "pack_10k", "threshold": -1}),
            422,
            "invalid_amount",
            "threshold",
        ),
        (
            json!({"pack": "pack_10k", "threshold": 1, "monthly_max": 0}),
            422,
            "invalid_request",
            "monthly_max",
        ),
        (
            json!({"pack": "pack_10k", "threshold": 1, "cooldown_seconds": -5}),
            422,
            "invalid_request",
            "cooldown_seconds",
        ),
        (
            json!({"pack": "pack_10k", "threshold": 1, "complete": "yes"}),
            400,
            "invalid_json",
            "complete",
        ),
        (
            json!({"pack": "pack_10k", "threshold": 1, "max": 3}),
            422,
            "invalid_request",
            "max",
        ),
    ];
    for (body, status, code, param) in bad {
        let answer = set(&admin, "acme", body.clone());
        assert_eq!(
            answer.problem(status, code)["param"],
            json!(param),
            "{body}"
        );
    }
    admin
        .get("/v1/accounts/acme/auto-topup")
        .problem(404, "not_found");
    // Set, then removed: gone, and debits buy nothing.
    set(
        &admin,
        "acme",
        json!({"pack": "pack_10k", "threshold": 100}),
    )
    .expect(200);
    let removed = admin.delete("/v1/accounts/acme/auto-topup").expect(200);
    assert_eq!(removed["deleted"], json!(true));
    admin
        .get("/v1/accounts/acme/auto-topup")
        .problem(404, "not_found");
    grant(&admin, "acme", json!(10), json!({}));
    charge(&admin, "acme", json!(5)).expect(201);
    assert!(topups(&admin, "acme").is_empty());
    t.verify();
}
