//! End to end: the Stripe adapter. A real `tally serve --stripe-webhook-secret` receives
//! Checkout events signed here exactly as Stripe signs them (HMAC-SHA256 computed with the
//! `hmac` crate, apart from the server's own code): a paid session completes its pending
//! purchase once, an expired or failed one fails it, redeliveries and later events change
//! nothing, and a bad, stale or missing signature is refused and changes nothing.

mod common;

use common::*;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};

const WEBHOOK: &str = "/v1/integrations/stripe/webhook";
const SECRET: &str = "whsec_e2e_first_0123456789";
const ROLLED: &str = "whsec_e2e_second_abcdef";

/// `v1`: hex HMAC-SHA256 with the whole secret as key over `"{t}.{body}"`.
fn v1(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<sha2_stripe::Sha256>::new_from_slice(secret.as_bytes()).expect("a key");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The `Stripe-Signature` header Stripe sends for `body` at `timestamp`.
fn header(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", v1(secret, timestamp, body))
}

/// Now, in unix seconds, by the wall clock (the server reads the same one).
fn wall_seconds() -> i64 {
    wall_now().as_second()
}

/// A Stripe event's body, as Stripe's API shapes it.
fn event(id: &str, kind: &str, object: &Value) -> Vec<u8> {
    json!({
        "id": id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": 1_700_000_000,
        "livemode": false,
        "pending_webhooks": 1,
        "request": {"id": null, "idempotency_key": null},
        "type": kind,
        "data": {"object": object},
    })
    .to_string()
    .into_bytes()
}

/// A Checkout Session naming `purchase_id` as its `client_reference_id`.
fn session(purchase_id: &str, payment_status: &str) -> Value {
    json!({
        "id": format!("cs_test_{purchase_id}"),
        "object": "checkout.session",
        "client_reference_id": purchase_id,
        "payment_status": payment_status,
        "status": "complete",
        "metadata": {},
    })
}

fn with_secret(secret: &str) -> ServeOptions {
    ServeOptions {
        stripe_webhook_secret: Some(secret.to_string()),
        ..ServeOptions::default()
    }
}

/// A server with the adapter on, an account `acme` and its key.
struct Shop {
    t: Tally,
    admin: Client,
    acme: Client,
}

impl Shop {
    fn start(options: ServeOptions) -> Shop {
        let t = Tally::start_with(options);
        let admin = t.admin();
        create_account(&admin, "acme");
        let (_, key) = account_key(&admin, "acme");
        let acme = t.client(&key);
        Shop { t, admin, acme }
    }

    /// A pending purchase opened by the account's own key, as a buyer would.
    fn open(&self) -> Value {
        let opened = self
            .acme
            .post("/v1/accounts/acme/purchases", json!({"pack": "pack_10k"}))
            .expect(201);
        assert_eq!(opened["status"], json!("pending"));
        opened.body
    }

    fn purchase(&self, id: &str) -> Value {
        self.admin
            .get(&format!("/v1/purchases/{id}"))
            .expect(200)
            .body
    }

    fn available(&self) -> i64 {
        millis(&balance(&self.admin, "acme")["available"])
    }

    /// Delivers `body` with `signature` as its `Stripe-Signature`, without any key.
    fn deliver(&self, body: &[u8], signature: Option<&str>) -> Resp {
        let headers: Vec<(&str, &str)> = signature
            .map(|signature| ("Stripe-Signature", signature))
            .into_iter()
            .collect();
        self.t.anonymous().post_raw(WEBHOOK, body, &headers)
    }

    /// Delivers `body` signed with `SECRET` now.
    fn send(&self, body: &[u8]) -> Resp {
        self.deliver(body, Some(&header(SECRET, wall_seconds(), body)))
    }
}

#[track_caller]
fn assert_received(response: &Resp, action: &str, purchase_id: &str) {
    assert_eq!(
        (response.status, &response["received"], &response["action"]),
        (200, &json!(true), &json!(action)),
        "{}",
        response.text
    );
    assert_eq!(
        response["purchase_id"],
        json!(purchase_id),
        "{}",
        response.text
    );
}

#[test]
fn a_paid_session_completes_its_purchase_once() {
    let shop = Shop::start(with_secret(SECRET));
    let opened = shop.open();
    let id = opened["id"].as_str().unwrap();
    assert_eq!(shop.available(), 0);

    let completed = event(
        "evt_paid_1",
        "checkout.session.completed",
        &session(id, "paid"),
    );
    let answer = shop.send(&completed);
    assert_received(&answer, "completed", id);
    assert!(!answer.replayed());
    let purchase = shop.purchase(id);
    assert_eq!(purchase["status"], json!("completed"));
    assert_eq!(
        purchase["payment_reference"],
        json!(format!("cs_test_{id}"))
    );
    assert_eq!(purchase["grant"]["source"], json!("pack"));
    let credits = millis(&opened["credits"]);
    assert!(credits > 0);
    assert_eq!(shop.available(), credits);
    let after = snapshot(&shop.admin, "acme");

    // Stripe delivers the same event again (signed anew): its first answer, nothing more.
    let again = shop.send(&completed);
    assert_received(&again, "completed", id);
    assert!(again.replayed(), "{:?}", again.headers);
    // A redelivery may differ in fields Tally does not read: still the same event.
    let mut redelivered: Value = serde_json::from_slice(&completed).unwrap();
    redelivered["pending_webhooks"] = json!(2);
    let redelivered = redelivered.to_string().into_bytes();
    let answer = shop.send(&redelivered);
    assert_received(&answer, "completed", id);
    assert!(answer.replayed());
    // Another event for the same purchase: acknowledged, nothing more.
    let succeeded = event(
        "evt_paid_2",
        "checkout.session.async_payment_succeeded",
        &session(id, "paid"),
    );
    let answer = shop.send(&succeeded);
    assert_received(&answer, "ignored", id);
    assert_eq!(answer["reason"], json!("purchase_not_pending"));
    let expired = event(
        "evt_paid_3",
        "checkout.session.expired",
        &session(id, "unpaid"),
    );
    assert_received(&shop.send(&expired), "ignored", id);
    assert_eq!(snapshot(&shop.admin, "acme"), after);
    assert_eq!(shop.purchase(id)["status"], json!("completed"));
    shop.t.verify();
}

#[test]
fn the_purchase_may_be_named_in_the_sessions_metadata() {
    let shop = Shop::start(with_secret(SECRET));
    let id = shop.open()["id"].as_str().unwrap().to_string();
    let object = json!({
        "id": "cs_test_metadata",
        "object": "checkout.session",
        "client_reference_id": null,
        "payment_status": "paid",
        "metadata": {"tally_purchase_id": id},
    });
    let answer = shop.send(&event("evt_meta", "checkout.session.completed", &object));
    assert_received(&answer, "completed", &id);
    let purchase = shop.purchase(&id);
    assert_eq!(purchase["status"], json!("completed"));
    assert_eq!(purchase["payment_reference"], json!("cs_test_metadata"));
    shop.t.verify();
}

#[test]
fn an_expired_or_failed_session_fails_the_purchase_without_credits() {
    let shop = Shop::start(with_secret(SECRET));
    let expired = shop.open()["id"].as_str().unwrap().to_string();
    let failed = shop.open()["id"].as_str().unwrap().to_string();
    let answer = shop.send(&event(
        "evt_expired",
        "checkout.session.expired",
        &session(&expired, "unpaid"),
    ));
    assert_received(&answer, "failed", &expired);
    let answer = shop.send(&event(
        "evt_async_failed",
        "checkout.session.async_payment_failed",
        &session(&failed, "unpaid"),
    ));
    assert_received(&answer, "failed", &failed);
    for id in [&expired, &failed] {
        let purchase = shop.purchase(id);
        assert_eq!(purchase["status"], json!("failed"));
        assert_eq!(purchase["grant"], json!(null));
    }
    // A paid session arriving for a failed purchase grants nothing (and is logged for a person).
    let before = snapshot(&shop.admin, "acme");
    let answer = shop.send(&event(
        "evt_late_paid",
        "checkout.session.completed",
        &session(&expired, "paid"),
    ));
    assert_received(&answer, "ignored", &expired);
    assert_eq!(answer["reason"], json!("purchase_not_pending"));
    assert_eq!(snapshot(&shop.admin, "acme"), before);
    assert_eq!(shop.available(), 0);
    shop.t.verify();
}

#[test]
fn a_completed_but_unpaid_session_waits_for_its_async_payment() {
    let shop = Shop::start(with_secret(SECRET));
    let id = shop.open()["id"].as_str().unwrap().to_string();
    let answer = shop.send(&event(
        "evt_unpaid",
        "checkout.session.completed",
        &session(&id, "unpaid"),
    ));
    assert_received(&answer, "ignored", &id);
    assert_eq!(answer["reason"], json!("unpaid"));
    assert_eq!(shop.purchase(&id)["status"], json!("pending"));
    assert_eq!(shop.available(), 0);
    let answer = shop.send(&event(
        "evt_async_paid",
        "checkout.session.async_payment_succeeded",
        &session(&id, "paid"),
    ));
    assert_received(&answer, "completed", &id);
    assert_eq!(shop.purchase(&id)["status"], json!("completed"));
    shop.t.verify();
}

#[test]
fn a_bad_or_missing_signature_is_refused_and_changes_nothing() {
    let shop = Shop::start(with_secret(SECRET));
    let id = shop.open()["id"].as_str().unwrap().to_string();
    let body = event(
        "evt_forged",
        "checkout.session.completed",
        &session(&id, "paid"),
    );
    let now = wall_seconds();
    let mut altered: Value = serde_json::from_slice(&body).unwrap();
    altered["data"]["object"]["id"] = json!("cs_test_altered");
    let altered = altered.to_string().into_bytes();
    let good_mac = v1(SECRET, now, &body);
    let before = snapshot(&shop.admin, "acme");

    let refused = |response: Resp, label: &str| {
        let problem = response.problem(400, "invalid_signature");
        assert_eq!(problem["param"], json!("Stripe-Signature"), "{label}");
        assert_eq!(
            problem["type"],
            json!("/errors/invalid_signature"),
            "{label}"
        );
    };
    refused(
        shop.deliver(&body, Some(&header("whsec_someone_else", now, &body))),
        "another secret",
    );
    refused(
        shop.deliver(&altered, Some(&header(SECRET, now, &body))),
        "a body altered after signing",
    );
    refused(
        shop.deliver(&body, Some(&format!("t={},v1={good_mac}", now + 1))),
        "a timestamp other than the signed one",
    );
    refused(shop.deliver(&body, None), "no header");
    for malformed in [
        String::new(),
        good_mac.clone(),
        format!("v1={good_mac}"),
        format!("t={now}"),
        format!("t=soon,v1={good_mac}"),
        format!("t={now};v1={good_mac}"),
        format!("t={now},v0={good_mac}"),
    ] {
        refused(shop.deliver(&body, Some(&malformed)), &malformed);
    }
    // A key is no signature, not even the admin's.
    for client in [shop.admin.clone(), shop.acme.clone()] {
        refused(client.post_raw(WEBHOOK, &body, &[]), "a key alone");
    }
    assert_eq!(snapshot(&shop.admin, "acme"), before);
    assert_eq!(shop.purchase(&id)["status"], json!("pending"));

    // The same event, signed as Stripe signs it, is then accepted: the refusals kept nothing.
    let answer = shop.deliver(&body, Some(&format!("t={now},v1={good_mac}")));
    assert_received(&answer, "completed", &id);
    assert!(!answer.replayed());
    shop.t.verify();
}

#[test]
fn a_stale_signature_is_refused_by_the_servers_clock() {
    // The test clock decides what "now" is for the server; SQLite only.
    let shop = Shop::start(ServeOptions {
        test_clock: true,
        ..with_secret(SECRET)
    });
    let now = |shop: &Shop| instant(&shop.admin.get("/v1/clock").expect(200)["now"]).as_second();
    let stale = shop.open()["id"].as_str().unwrap().to_string();
    let edge = shop.open()["id"].as_str().unwrap().to_string();
    let stale_body = event(
        "evt_stale",
        "checkout.session.completed",
        &session(&stale, "paid"),
    );
    let edge_body = event(
        "evt_edge",
        "checkout.session.completed",
        &session(&edge, "paid"),
    );
    let signed_at = now(&shop);
    let stale_header = header(SECRET, signed_at, &stale_body);
    let edge_header = header(SECRET, signed_at, &edge_body);

    shop.admin
        .post("/v1/clock", json!({"advance_seconds": 300}))
        .expect(200);
    // 300 seconds old: still within the tolerance.
    assert_received(
        &shop.deliver(&edge_body, Some(&edge_header)),
        "completed",
        &edge,
    );
    shop.admin
        .post("/v1/clock", json!({"advance_seconds": 1}))
        .expect(200);
    let before = snapshot(&shop.admin, "acme");
    shop.deliver(&stale_body, Some(&stale_header))
        .problem(400, "invalid_signature");
    assert_eq!(snapshot(&shop.admin, "acme"), before);
    assert_eq!(shop.purchase(&stale)["status"], json!("pending"));
    // Stripe's retry signs the event anew: accepted.
    let retried = header(SECRET, now(&shop), &stale_body);
    assert_received(
        &shop.deliver(&stale_body, Some(&retried)),
        "completed",
        &stale,
    );
    shop.t.verify();
}

#[test]
fn both_secrets_of_a_roll_are_accepted() {
    let shop = Shop::start(with_secret(&format!("{SECRET},{ROLLED}")));
    let first = shop.open()["id"].as_str().unwrap().to_string();
    let second = shop.open()["id"].as_str().unwrap().to_string();
    let third = shop.open()["id"].as_str().unwrap().to_string();
    let now = wall_seconds();
    let body = event(
        "evt_old",
        "checkout.session.completed",
        &session(&first, "paid"),
    );
    assert_received(
        &shop.deliver(&body, Some(&header(SECRET, now, &body))),
        "completed",
        &first,
    );
    let body = event(
        "evt_new",
        "checkout.session.completed",
        &session(&second, "paid"),
    );
    assert_received(
        &shop.deliver(&body, Some(&header(ROLLED, now, &body))),
        "completed",
        &second,
    );
    // During a roll Stripe sends one v1 per secret; one unknown to Tally does not matter.
    let body = event(
        "evt_both",
        "checkout.session.completed",
        &session(&third, "paid"),
    );
    let signature = format!(
        "t={now},v1={},v1={}",
        v1("whsec_not_configured", now, &body),
        v1(ROLLED, now, &body)
    );
    assert_received(&shop.deliver(&body, Some(&signature)), "completed", &third);
    for id in [&first, &second, &third] {
        assert_eq!(shop.purchase(id)["status"], json!("completed"));
    }
    shop.t.verify();
}

#[test]
fn an_unknown_purchase_or_another_event_is_acknowledged_and_changes_nothing() {
    let shop = Shop::start(with_secret(SECRET));
    let id = shop.open()["id"].as_str().unwrap().to_string();
    let before = snapshot(&shop.admin, "acme");
    let answer = shop.send(&event(
        "evt_unknown",
        "checkout.session.completed",
        &session("pur_nobody", "paid"),
    ));
    assert_received(&answer, "ignored", "pur_nobody");
    assert_eq!(answer["reason"], json!("purchase_not_found"));
    let answer = shop.send(&event(
        "evt_invoice",
        "invoice.paid",
        &json!({"id": "in_1", "object": "invoice"}),
    ));
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer["action"], json!("ignored"));
    assert_eq!(answer["purchase_id"], json!(null));
    let no_reference = json!({"id": "cs_other", "payment_status": "paid", "metadata": {}});
    let answer = shop.send(&event(
        "evt_other",
        "checkout.session.completed",
        &no_reference,
    ));
    assert_eq!(answer["action"], json!("ignored"), "{}", answer.text);
    assert_eq!(answer["reason"], json!("no_purchase_id"));
    assert_eq!(snapshot(&shop.admin, "acme"), before);
    assert_eq!(shop.purchase(&id)["status"], json!("pending"));
    shop.t.verify();
}

#[test]
fn a_signed_body_that_is_no_event_is_refused_naming_the_field() {
    let shop = Shop::start(with_secret(SECRET));
    let id = shop.open()["id"].as_str().unwrap().to_string();
    let before = snapshot(&shop.admin, "acme");
    let not_json = b"evt_1 paid".to_vec();
    shop.send(&not_json).problem(400, "invalid_json");
    let mut object = session(&id, "paid");
    object["id"] = json!(17);
    for (body, param) in [
        (json!({"type": "checkout.session.completed"}), "id"),
        (
            json!({"id": "", "type": "checkout.session.completed"}),
            "id",
        ),
        (json!({"id": "evt_no_type", "type": 3}), "type"),
        (
            json!({"id": "evt_bad_session", "type": "checkout.session.completed", "data": {"object": object}}),
            "data.object.id",
        ),
    ] {
        let response = shop.send(body.to_string().as_bytes());
        assert_eq!(
            response.problem(422, "invalid_request")["param"],
            json!(param),
            "{body}"
        );
    }
    assert_eq!(snapshot(&shop.admin, "acme"), before);
    assert_eq!(shop.purchase(&id)["status"], json!("pending"));
    shop.t.verify();
}

#[test]
fn the_webhook_is_not_a_route_without_a_secret() {
    let shop = Shop::start(ServeOptions::default());
    let id = shop.open()["id"].as_str().unwrap().to_string();
    let body = event(
        "evt_off",
        "checkout.session.completed",
        &session(&id, "paid"),
    );
    shop.send(&body).problem(404, "not_found");
    assert_eq!(shop.purchase(&id)["status"], json!("pending"));
    shop.t.verify();
}

#[test]
fn a_secret_that_is_not_a_signing_secret_stops_the_server_at_start() {
    let dir = TempDir::new("stripe");
    // From the environment as from the flag.
    let output = std::process::Command::new(tally_bin())
        .arg("serve")
        .arg("--db")
        .arg(dir.path().join("tally.db"))
        .arg("--listen")
        .arg("127.0.0.1:0")
        .arg("--admin-key")
        .arg(ADMIN_KEY)
        .env_remove("TALLY_DB")
        .env_remove("TALLY_DATABASE_URL")
        .env(
            "TALLY_STRIPE_WEBHOOK_SECRET",
            "whsec_fine,sk_live_pasted_by_mistake",
        )
        .output()
        .expect("running `tally serve`");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--stripe-webhook-secret"), "{stderr}");
    assert!(stderr.contains("whsec_"), "{stderr}");
}
