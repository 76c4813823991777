//! End to end: the audit log. Every admin action (an account made and changed, a grant made
//! and voided, a rate card installed, a purchase paid at once, one completed, one canceled, a
//! key issued and revoked, limits set) leaves exactly one record naming who (`admin`, the key
//! the server was started with), what and on which id, listed newest first by `GET
//! /v1/audit`; what is not an admin action (an account key's charge and purchase), a replay
//! and a refusal leave none. Admin only.

mod common;

use common::*;
use serde_json::{Value, json};

/// Every record, oldest first, as (actor, action, target_id, account_id).
fn log(admin: &Client) -> Vec<(String, String, String, Value)> {
    let mut records = list_all(admin, "/v1/audit");
    records.reverse();
    records
        .into_iter()
        .map(|record| {
            assert_eq!(record["object"], json!("audit_record"));
            assert!(record["id"].as_str().unwrap().starts_with("aud_"));
            instant(&record["created_at"]);
            (
                record["actor"].as_str().unwrap().to_string(),
                record["action"].as_str().unwrap().to_string(),
                record["target_id"].as_str().unwrap().to_string(),
                record["account_id"].clone(),
            )
        })
        .collect()
}

fn entry(action: &str, target: &str, account: Option<&str>) -> (String, String, String, Value) {
    (
        "admin".to_string(),
        action.to_string(),
        target.to_string(),
        account.map_or(Value::Null, |account| json!(account)),
    )
}

#[test]
fn every_admin_action_leaves_one_record_and_nothing_else_does() {
    let t = Tally::start();
    let admin = t.admin();
    assert_eq!(log(&admin), vec![], "a new server has no admin actions");

    create_account(&admin, "audited");
    let grant_id = admin
        .post_idem(
            "/v1/accounts/audited/grants",
            "grant-1",
            json!({"amount": 100}),
        )
        .expect(201)
        .id();
    // A replay changes nothing: no second record.
    let replay = admin.post_idem(
        "/v1/accounts/audited/grants",
        "grant-1",
        json!({"amount": 100}),
    );
    assert!(replay.replayed());
    let other_grant = grant(&admin, "audited", json!(5), json!({}))
        .as_object()
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    admin
        .post_empty(&format!("/v1/grants/{other_grant}/void"))
        .expect(200);
    admin
        .request(
            "PATCH",
            "/v1/accounts/audited",
            Some(json!({"overdraft_limit": 3}).to_string().as_bytes()),
            &[],
        )
        .expect(200);
    let mut card = admin.get("/v1/rate-card").expect(200).body;
    card.as_object_mut().unwrap().remove("version");
    let installed = admin
        .request(
            "PUT",
            "/v1/rate-card",
            Some(card.to_string().as_bytes()),
            &[],
        )
        .expect(200);
    let version = installed["version"].to_string();
    let paid = admin
        .post(
            "/v1/accounts/audited/purchases",
            json!({"pack": "pack_10k"}),
        )
        .expect(201)
        .id();
    let pending = admin
        .post(
            "/v1/accounts/audited/purchases",
            json!({"pack": "pack_10k", "complete": false}),
        )
        .expect(201)
        .id();
    admin
        .post(
            &format!("/v1/purchases/{pending}/complete"),
            json!({"payment_reference": "pay-1"}),
        )
        .expect(200);
    // A refusal changes nothing: no record.
    admin
        .post(&format!("/v1/purchases/{pending}/complete"), json!({}))
        .problem(409, "purchase_not_pending");
    let to_cancel = admin
        .post(
            "/v1/accounts/audited/purchases",
            json!({"pack": "pack_10k", "complete": false}),
        )
        .expect(201)
        .id();
    admin
        .post_empty(&format!("/v1/purchases/{to_cancel}/cancel"))
        .expect(200);
    let (key_id, secret) = account_key(&admin, "audited");
    admin
        .request(
            "PUT",
            "/v1/accounts/audited/limits",
            Some(json!({"limits": []}).to_string().as_bytes()),
            &[],
        )
        .expect(200);

    // An account key's own operations are not admin actions.
    let own = t.client(&secret);
    charge(&own, "audited", json!(1)).expect(201);
    own.post(
        "/v1/accounts/audited/purchases",
        json!({"pack": "pack_10k"}),
    )
    .expect(201);
    own.get("/v1/audit").problem(403, "forbidden");
    t.anonymous().get("/v1/audit").problem(401, "unauthorized");

    admin.delete(&format!("/v1/keys/{key_id}")).expect(200);

    let expected = vec![
        entry("account.create", "audited", Some("audited")),
        entry("grant.create", &grant_id, Some("audited")),
        entry("grant.create", &other_grant, Some("audited")),
        entry("grant.void", &other_grant, Some("audited")),
        entry("account.update", "audited", Some("audited")),
        entry("rate_card.put", &version, None),
        entry("purchase.paid", &paid, Some("audited")),
        entry("purchase.create", &pending, Some("audited")),
        entry("purchase.complete", &pending, Some("audited")),
        entry("purchase.create", &to_cancel, Some("audited")),
        entry("purchase.cancel", &to_cancel, Some("audited")),
        entry("key.create", &key_id, Some("audited")),
        entry("limits.put", "audited", Some("audited")),
        entry("key.revoke", &key_id, Some("audited")),
    ];
    assert_eq!(log(&admin), expected);

    // Pages, newest first.
    let first = admin.get("/v1/audit?limit=2").expect(200);
    assert_eq!(first["has_more"], json!(true));
    let ids: Vec<&str> = first["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|record| record["action"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["key.revoke", "limits.put"]);
    admin
        .get("/v1/audit?starting_after=aud_nobody")
        .problem(422, "invalid_request");
    admin
        .get("/v1/audit?account_id=audited")
        .problem(422, "invalid_request");

    // The log survives a restart as it was.
    let mut t = t;
    t.restart();
    assert_eq!(log(&t.admin()), expected);
    t.verify();
}

/// Webhook endpoints are changed outside the engine (they are delivery state), but an admin's
/// changes of them are admin actions all the same: create, update, rotate and delete each
/// leave one record, written with the change; a replayed create, a refused change and a change
/// of no endpoint leave none.
#[test]
fn webhook_endpoint_changes_are_in_the_audit_log() {
    let t = Tally::start();
    let admin = t.admin();
    let url = "http://127.0.0.1:9/hooks";
    let created = admin
        .post_idem("/v1/webhook-endpoints", "we-1", json!({"url": url}))
        .expect(201);
    let id = created.id();
    let replay = admin
        .post_idem("/v1/webhook-endpoints", "we-1", json!({"url": url}))
        .expect(201);
    assert!(replay.replayed());
    let path = format!("/v1/webhook-endpoints/{id}");
    admin
        .request(
            "PATCH",
            &path,
            Some(json!({"description": "billing"}).to_string().as_bytes()),
            &[],
        )
        .expect(200);
    // Refused (not a status) and of no endpoint: no record.
    admin
        .request(
            "PATCH",
            &path,
            Some(json!({"status": "paused"}).to_string().as_bytes()),
            &[],
        )
        .problem(422, "invalid_request");
    admin
        .request(
            "PATCH",
            "/v1/webhook-endpoints/we_nobody",
            Some(json!({"description": "x"}).to_string().as_bytes()),
            &[],
        )
        .problem(404, "not_found");
    admin
        .post_empty(&format!("{path}/rotate-secret"))
        .expect(200);
    admin.delete(&path).expect(200);
    admin.delete(&path).problem(404, "not_found");
    assert_eq!(
        log(&admin),
        vec![
            entry("webhook_endpoint.create", &id, None),
            entry("webhook_endpoint.update", &id, None),
            entry("webhook_endpoint.rotate_secret", &id, None),
            entry("webhook_endpoint.delete", &id, None),
        ]
    );
    t.verify();
}
