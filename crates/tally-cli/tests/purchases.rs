//! End to end: pack purchases and their payment state. An account key can only open a
//! `pending` purchase, which grants nothing; the admin key completes it (its grant, exactly
//! once), fails or cancels it; an unpaid purchase expires; another account's purchases are
//! not found; replays answer the first answer.

mod common;

use common::*;
use serde_json::json;

fn available(client: &Client, account: &str) -> i64 {
    millis(&balance(client, account)["available"])
}

#[test]
fn an_account_key_buys_pending_and_only_the_admins_completion_grants_once() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "acme");
    let (_, key) = account_key(&admin, "acme");
    let acme = t.client(&key);

    // Whatever the body says, an account key's purchase waits for its payment.
    for body in [
        json!({"pack": "pack_10k"}),
        json!({"pack": "pack_10k", "complete": true}),
    ] {
        let opened = acme.post("/v1/accounts/acme/purchases", body).expect(201);
        assert_eq!(opened["status"], json!("pending"));
        assert_eq!(opened["grant"], json!(null));
        assert_eq!(opened["completed_at"], json!(null));
        assert_eq!(millis(&opened["credits"]), 10_000_000);
    }
    assert_eq!(
        available(&acme, "acme"),
        0,
        "pending purchases grant nothing"
    );
    let pending = list_all(&acme, "/v1/accounts/acme/purchases?status=pending");
    assert_eq!(pending.len(), 2);
    let purchase_id = pending[0]["id"].as_str().unwrap().to_string();

    // The account cannot record its own payment.
    let complete = format!("/v1/purchases/{purchase_id}/complete");
    acme.post(&complete, json!({})).problem(403, "forbidden");
    acme.post(&format!("/v1/purchases/{purchase_id}/fail"), json!({}))
        .problem(403, "forbidden");
    assert_eq!(available(&acme, "acme"), 0);

    let completed = admin
        .post_idem(
            &complete,
            "pay-1",
            json!({"payment_reference": "cs_test_1"}),
        )
        .expect(200);
    assert_eq!(completed["status"], json!("completed"));
    assert_eq!(completed["payment_reference"], json!("cs_test_1"));
    assert_eq!(completed["grant"]["source"], json!("pack"));
    assert_eq!(millis(&completed["grant"]["amount"]), 10_000_000);
    assert!(completed["completed_at"].is_string());
    assert_eq!(available(&acme, "acme"), 10_000_000);

    // The same key replays the first answer; another completion is refused; nothing more.
    let replayed = admin
        .post_idem(
            &complete,
            "pay-1",
            json!({"payment_reference": "cs_test_1"}),
        )
        .expect(200);
    assert!(replayed.replayed());
    assert_eq!(replayed["grant"]["id"], completed["grant"]["id"]);
    let twice = admin.post(&complete, json!({}));
    let problem = twice.problem(409, "purchase_not_pending");
    assert_eq!(problem["purchase_status"], json!("completed"));
    admin
        .post(&format!("/v1/purchases/{purchase_id}/cancel"), json!({}))
        .problem(409, "purchase_not_pending");
    assert_eq!(available(&acme, "acme"), 10_000_000);

    // The account sees its purchase, with its grant.
    let seen = acme
        .get(&format!("/v1/purchases/{purchase_id}"))
        .expect(200);
    assert_eq!(seen["status"], json!("completed"));
    assert_eq!(seen["grant"]["id"], completed["grant"]["id"]);
    t.verify();
}

#[test]
fn failed_and_canceled_purchases_never_grant() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "acme");
    let open = |complete: bool| {
        admin
            .post(
                "/v1/accounts/acme/purchases",
                json!({"pack": "pack_50k", "complete": complete}),
            )
            .expect(201)
    };
    let failed = open(false).id();
    let canceled = open(false).id();
    let answer = admin
        .post(&format!("/v1/purchases/{failed}/fail"), json!({}))
        .expect(200);
    assert_eq!(answer["status"], json!("failed"));
    assert_eq!(answer["grant"], json!(null));
    let answer = admin
        .post(&format!("/v1/purchases/{canceled}/cancel"), json!({}))
        .expect(200);
    assert_eq!(answer["status"], json!("canceled"));
    for id in [&failed, &canceled] {
        admin
            .post(&format!("/v1/purchases/{id}/complete"), json!({}))
            .problem(409, "purchase_not_pending");
    }
    assert_eq!(available(&admin, "acme"), 0);

    // An admin's purchase is paid already unless it says otherwise: granted at once.
    let paid = admin
        .post("/v1/accounts/acme/purchases", json!({"pack": "pack_10k"}))
        .expect(201);
    assert_eq!(paid["status"], json!("completed"));
    assert_eq!(paid["grant"]["source"], json!("pack"));
    assert_eq!(available(&admin, "acme"), 10_000_000);
    let completed = list_all(&admin, "/v1/accounts/acme/purchases?status=completed");
    assert_eq!(completed.len(), 1);
    assert_eq!(list_all(&admin, "/v1/accounts/acme/purchases").len(), 3);
    t.verify();
}

#[test]
fn an_unpaid_purchase_expires_after_a_day_and_cannot_be_completed() {
    let t = Tally::with_test_clock();
    let admin = t.admin();
    create_account(&admin, "acme");
    let opened = admin
        .post(
            "/v1/accounts/acme/purchases",
            json!({"pack": "pack_10k", "complete": false}),
        )
        .expect(201);
    let created = instant(&opened["created_at"]);
    assert_eq!(
        instant(&opened["expires_at"]),
        created
            .checked_add(jiff::SignedDuration::from_hours(24))
            .unwrap()
    );
    let id = opened.id();
    admin
        .post("/v1/clock", json!({"now": plus_seconds(created, 86_400)}))
        .expect(200);
    let expired = admin.get(&format!("/v1/purchases/{id}")).expect(200);
    assert_eq!(expired["status"], json!("expired"));
    let problem = admin.post(&format!("/v1/purchases/{id}/complete"), json!({}));
    assert_eq!(
        problem.problem(409, "purchase_not_pending")["purchase_status"],
        json!("expired")
    );
    assert_eq!(available(&admin, "acme"), 0);
    t.verify();
}

#[test]
fn purchases_of_another_account_are_not_found_and_bad_input_changes_nothing() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "acme");
    create_account(&admin, "globex");
    let (_, acme_key) = account_key(&admin, "acme");
    let (_, globex_key) = account_key(&admin, "globex");
    let acme = t.client(&acme_key);
    let globex = t.client(&globex_key);
    let id = acme
        .post("/v1/accounts/acme/purchases", json!({"pack": "pack_10k"}))
        .expect(201)
        .id();
    globex
        .get(&format!("/v1/purchases/{id}"))
        .problem(404, "not_found");
    globex
        .get("/v1/accounts/acme/purchases")
        .problem(404, "not_found");
    globex
        .post("/v1/accounts/acme/purchases", json!({"pack": "pack_10k"}))
        .problem(404, "not_found");
    admin
        .post("/v1/purchases/pur_nope/complete", json!({}))
        .problem(404, "not_found");

    let bad = [
        (json!({}), 422, "invalid_request", "pack"),
        (json!({"pack": "pack_nope"}), 422, "invalid_request", "pack"),
        (json!({"pack": 10}), 400, "invalid_json", "pack"),
        (
            json!({"pack": "pack_10k", "complete": "yes"}),
            400,
            "invalid_json",
            "complete",
        ),
        (
            json!({"pack": "pack_10k", "paid": true}),
            422,
            "invalid_request",
            "paid",
        ),
    ];
    for (body, status, code, param) in bad {
        let answer = admin.post("/v1/accounts/acme/purchases", body.clone());
        assert_eq!(
            answer.problem(status, code)["param"],
            json!(param),
            "{body}"
        );
    }
    admin
        .post(
            &format!("/v1/purchases/{id}/complete"),
            json!({"payment_reference": 7}),
        )
        .problem(400, "invalid_json");
    admin
        .get("/v1/accounts/acme/purchases?status=paid")
        .problem(422, "invalid_request");
    assert_eq!(list_all(&admin, "/v1/accounts/acme/purchases").len(), 1);
    assert_eq!(available(&admin, "acme"), 0);
    t.verify();
}

#[test]
fn the_admin_lists_what_awaits_payment_across_accounts() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "acme");
    create_account(&admin, "globex");
    let (_, key) = account_key(&admin, "acme");
    let acme = t.client(&key);
    let a = acme
        .post("/v1/accounts/acme/purchases", json!({"pack": "pack_10k"}))
        .expect(201)
        .id();
    let g = admin
        .post(
            "/v1/accounts/globex/purchases",
            json!({"pack": "pack_50k", "complete": false}),
        )
        .expect(201)
        .id();
    admin
        .post("/v1/accounts/globex/purchases", json!({"pack": "pack_10k"}))
        .expect(201);
    let pending = list_all(&admin, "/v1/purchases?status=pending");
    let ids: Vec<&str> = pending.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        vec![g.as_str(), a.as_str()],
        "newest first, pending only"
    );
    assert_eq!(list_all(&admin, "/v1/purchases").len(), 3);
    acme.get("/v1/purchases").problem(403, "forbidden");
    admin
        .get("/v1/purchases?status=owed")
        .problem(422, "invalid_request");
}
