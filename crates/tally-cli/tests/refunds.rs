//! End to end: refunds of charges and of what holds captured (API.md "Refunds") against a real
//! `tally serve`: where the credits go back, what expires, usage net of refunds, the bad input
//! refused, idempotency, the CLI, and `tally verify` after each test.

mod common;

use std::process::Command;

use common::*;
use serde_json::{Value, json};

fn refund_charge(client: &Client, charge_id: &str, body: Value) -> Resp {
    client.post(&format!("/v1/charges/{charge_id}/refunds"), body)
}

fn refund_hold(client: &Client, hold_id: &str, body: Value) -> Resp {
    client.post(&format!("/v1/holds/{hold_id}/refunds"), body)
}

/// `[(grant_id, millicredits)]` of a refund's `restored`.
fn restored(refund: &Value) -> Vec<(String, i64)> {
    refund["restored"]
        .as_array()
        .expect("restored is a list")
        .iter()
        .map(|part| {
            (
                part["grant_id"].as_str().expect("grant_id").to_string(),
                millis(&part["amount"]),
            )
        })
        .collect()
}

fn remaining(client: &Client, grant_id: &str) -> i64 {
    millis(&client.get(&format!("/v1/grants/{grant_id}")).expect(200)["remaining"])
}

/// The account's entries of one type that name this charge or hold, as (amount, held).
fn entries_of(client: &Client, account: &str, kind: &str, field: &str, id: &str) -> Vec<i64> {
    entries(client, account)
        .iter()
        .filter(|entry| entry["type"] == json!(kind) && entry[field] == json!(id))
        .map(|entry| millis(&entry["amount"]))
        .collect()
}

#[test]
fn a_refund_goes_back_to_the_grants_drawn_from_last_drawn_first() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "back");
    let first = grant(&admin, "back", json!(10), json!({"priority": 0}))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let second = grant(&admin, "back", json!(100), json!({"priority": 1}))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let c = charge(&admin, "back", json!(30)).expect(201);
    assert_eq!(c["refunded"], json!(0));
    let charge_id = c.id();
    assert_eq!(remaining(&admin, &first), 0, "the first grant is depleted");

    let part = refund_charge(
        &admin,
        &charge_id,
        json!({"amount": 15, "reason": "a retry"}),
    )
    .expect(201);
    assert!(part.id().starts_with("ref_"), "refund id {}", part.id());
    assert_eq!(part["account_id"], json!("back"));
    assert_eq!(part["charge_id"], json!(charge_id));
    assert_eq!(part["amount"], json!(15));
    assert_eq!(part["reason"], json!("a retry"));
    assert_eq!(part["expired"], json!(0));
    assert_eq!(restored(&part.body), vec![(second.clone(), 15_000)]);
    assert_eq!(totals(&admin, "back"), (95_000, 0, 95_000));
    let read = admin.get(&format!("/v1/charges/{charge_id}")).expect(200);
    assert_eq!(read["refunded"], json!(15));

    // All that is left: the rest of the second grant's part, then the depleted first grant.
    let rest = refund_charge(&admin, &charge_id, json!({})).expect(201);
    assert_eq!(rest["amount"], json!(15));
    assert_eq!(
        restored(&rest.body),
        vec![(second.clone(), 5_000), (first.clone(), 10_000)]
    );
    assert_eq!(
        (remaining(&admin, &first), remaining(&admin, &second)),
        (10_000, 100_000)
    );
    assert_eq!(totals(&admin, "back"), (110_000, 0, 110_000));
    assert_eq!(
        admin.get(&format!("/v1/charges/{charge_id}")).expect(200)["refunded"],
        json!(30)
    );
    assert_eq!(
        entries_of(&admin, "back", "refund", "charge_id", &charge_id),
        vec![15_000, 15_000]
    );

    // Nothing is left to refund.
    let none = refund_charge(&admin, &charge_id, json!({"amount": num("0.001")}));
    assert_eq!(
        none.problem(422, "refund_exceeds_charge")["refundable"],
        json!(0)
    );
    refund_charge(&admin, &charge_id, json!({})).problem(422, "refund_exceeds_charge");
    // The restored credits are spendable again, first grant first.
    let again = charge(&admin, "back", json!(10)).expect(201);
    assert_eq!(again["drawn"][0]["grant_id"], json!(first));
    t.verify();
}

#[test]
fn what_came_from_a_grant_that_ended_since_expires_at_once() {
    let t = Tally::with_test_clock();
    let admin = t.admin();
    create_account(&admin, "ended");
    let now = instant(&admin.get("/v1/clock").expect(200)["now"]);
    let soon = grant(
        &admin,
        "ended",
        json!(10),
        json!({"expires_at": plus_seconds(now, 60)}),
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    let voided = grant(&admin, "ended", json!(10), json!({"priority": 1}))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let lasting = grant(&admin, "ended", json!(100), json!({"priority": 2}))["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The first charge draws 10 from the grant that expires soon and 5 from the one voided
    // next; the second draws 20 from the lasting grant.
    let first = charge(&admin, "ended", json!(15)).expect(201).id();
    admin
        .post_empty(&format!("/v1/grants/{voided}/void"))
        .expect(200);
    let second = charge(&admin, "ended", json!(20)).expect(201);
    assert_eq!(second["drawn"][0]["grant_id"], json!(lasting));
    admin
        .post("/v1/clock", json!({"advance_seconds": 61}))
        .expect(200);
    assert_eq!(totals(&admin, "ended"), (80_000, 0, 80_000));

    // The voided grant's part first (drawn last), then the expired grant's: none comes back.
    let part = refund_charge(&admin, &first, json!({"amount": 7})).expect(201);
    assert_eq!(part["expired"], json!(7));
    assert_eq!(restored(&part.body), vec![]);
    let rest = refund_charge(&admin, &first, json!({})).expect(201);
    assert_eq!(rest["amount"], json!(8));
    assert_eq!(rest["expired"], json!(8));
    assert_eq!(totals(&admin, "ended"), (80_000, 0, 80_000));
    // Each refund gave its credits back to the lines and expired them at once.
    assert_eq!(
        sorted(entries_of(&admin, "ended", "refund", "charge_id", &first)),
        vec![7_000, 8_000]
    );
    assert_eq!(
        sorted(entries_of(&admin, "ended", "expire", "charge_id", &first)),
        vec![-8_000, -7_000]
    );
    for (grant_id, status) in [(&soon, "expired"), (&voided, "voided")] {
        let ended = admin.get(&format!("/v1/grants/{grant_id}")).expect(200);
        assert_eq!(
            (ended["status"].clone(), millis(&ended["remaining"])),
            (json!(status), 0)
        );
    }
    // The charge from a grant still active comes back in full.
    let back = refund_charge(&admin, &second.id(), json!({})).expect(201);
    assert_eq!(back["expired"], json!(0));
    assert_eq!(restored(&back.body), vec![(lasting.clone(), 20_000)]);
    assert_eq!(totals(&admin, "ended"), (100_000, 0, 100_000));
    t.verify();
}

fn sorted(mut items: Vec<i64>) -> Vec<i64> {
    items.sort_unstable();
    items
}

#[test]
fn refunds_of_a_hold_give_back_what_its_captures_took() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "hr");
    let g = grant(&admin, "hr", json!(100), json!({}))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let h = hold(&admin, "hr", json!(30)).expect(201).id();

    // Nothing captured yet: nothing to refund.
    let nothing = refund_hold(&admin, &h, json!({}));
    assert_eq!(
        nothing.problem(422, "refund_exceeds_charge")["refundable"],
        json!(0)
    );

    // A partial capture can be refunded while the hold is pending.
    admin
        .post(
            &format!("/v1/holds/{h}/capture"),
            json!({"amount": 10, "final": false}),
        )
        .expect(200);
    let early = refund_hold(&admin, &h, json!({"amount": 4})).expect(201);
    assert_eq!(early["hold_id"], json!(h));
    assert!(early.body.get("charge_id").is_none());
    assert_eq!(restored(&early.body), vec![(g.clone(), 4_000)]);
    assert_eq!(totals(&admin, "hr"), (94_000, 20_000, 74_000));
    let pending = admin.get(&format!("/v1/holds/{h}")).expect(200);
    assert_eq!(
        (
            pending["status"].clone(),
            pending["captured"].clone(),
            pending["refunded"].clone()
        ),
        (json!("pending"), json!(10), json!(4))
    );

    // The final capture; then the rest of what was captured.
    admin
        .post(&format!("/v1/holds/{h}/capture"), json!({"amount": 5}))
        .expect(200);
    let over = refund_hold(&admin, &h, json!({"amount": 12}));
    assert_eq!(
        over.problem(422, "refund_exceeds_charge")["refundable"],
        json!(11)
    );
    let rest = refund_hold(&admin, &h, json!({})).expect(201);
    assert_eq!(rest["amount"], json!(11));
    assert_eq!(totals(&admin, "hr"), (100_000, 0, 100_000));
    let settled = admin.get(&format!("/v1/holds/{h}")).expect(200);
    assert_eq!(
        (
            settled["status"].clone(),
            settled["captured"].clone(),
            settled["refunded"].clone()
        ),
        (json!("captured"), json!(15), json!(15))
    );

    // A voided hold that captured nothing has nothing to refund.
    let v = hold(&admin, "hr", json!(5)).expect(201).id();
    admin.post_empty(&format!("/v1/holds/{v}/void")).expect(200);
    let problem = refund_hold(&admin, &v, json!({"amount": 1}));
    assert_eq!(
        problem.problem(422, "refund_exceeds_charge")["refundable"],
        json!(0)
    );
    t.verify();
}

#[test]
fn usage_is_net_of_refunds() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "net");
    grant(&admin, "net", json!(100), json!({}));
    let charge_id = admin
        .post(
            "/v1/accounts/net/charges",
            json!({"amount": 10, "product": "assistant", "member": "ann"}),
        )
        .expect(201)
        .id();
    admin
        .post(
            "/v1/accounts/net/charges",
            json!({"amount": 3, "product": "studio"}),
        )
        .expect(201);
    refund_charge(&admin, &charge_id, json!({"amount": 4})).expect(201);
    let usage = admin
        .get("/v1/accounts/net/usage?group_by=product,member")
        .expect(200);
    assert_eq!(usage["total"]["credits"], json!(9));
    assert_eq!(usage["total"]["count"], json!(2));
    let assistant: Vec<&Value> = usage["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|group| group["product"] == json!("assistant"))
        .collect();
    assert_eq!(assistant.len(), 1);
    assert_eq!(assistant[0]["credits"], json!(6));
    assert_eq!(assistant[0]["member"], json!("ann"));
    t.verify();
}

#[test]
fn a_refund_of_an_overdraft_pays_down_the_debt() {
    let t = Tally::start();
    let admin = t.admin();
    admin
        .post("/v1/accounts", json!({"id": "debt", "overdraft_limit": 50}))
        .expect(201);
    let charge_id = charge(&admin, "debt", json!(20)).expect(201).id();
    assert_eq!(totals(&admin, "debt"), (-20_000, 0, -20_000));
    let refund = refund_charge(&admin, &charge_id, json!({"amount": 5})).expect(201);
    assert_eq!(restored(&refund.body), vec![]);
    assert_eq!(refund["expired"], json!(0));
    assert_eq!(totals(&admin, "debt"), (-15_000, 0, -15_000));
    t.verify();
}

#[test]
fn refunds_refuse_bad_input_and_other_accounts_and_change_nothing() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "mine");
    create_account(&admin, "theirs");
    grant(&admin, "mine", json!(100), json!({}));
    grant(&admin, "theirs", json!(100), json!({}));
    let (_, key) = account_key(&admin, "mine");
    let mine = t.client(&key);
    let own = charge(&mine, "mine", json!(10)).expect(201).id();
    let other = charge(&admin, "theirs", json!(10)).expect(201).id();
    let other_hold = hold(&admin, "theirs", json!(10)).expect(201).id();
    admin
        .post_empty(&format!("/v1/holds/{other_hold}/capture"))
        .expect(200);
    let before = (totals(&admin, "mine"), totals(&admin, "theirs"));

    refund_charge(&mine, &other, json!({})).problem(404, "not_found");
    refund_hold(&mine, &other_hold, json!({})).problem(404, "not_found");
    refund_charge(&mine, "chg_nope", json!({})).problem(404, "not_found");
    let over = refund_charge(&mine, &own, json!({"amount": 11}));
    assert_eq!(
        over.problem(422, "refund_exceeds_charge")["refundable"],
        json!(10)
    );
    for amount in [json!(0), json!(-2), num("0.0001")] {
        let refused = refund_charge(&mine, &own, json!({"amount": amount}));
        assert_eq!(
            refused.problem(422, "invalid_amount")["param"],
            json!("amount")
        );
    }
    let unknown = refund_charge(&mine, &own, json!({"amount": 1, "why": "x"}));
    assert_eq!(
        unknown.problem(422, "invalid_request")["param"],
        json!("why")
    );
    let wrong = refund_charge(&mine, &own, json!({"amount": "1"}));
    assert_eq!(wrong.problem(400, "invalid_json")["param"], json!("amount"));
    assert_eq!((totals(&admin, "mine"), totals(&admin, "theirs")), before);
    assert_eq!(
        admin.get(&format!("/v1/charges/{own}")).expect(200)["refunded"],
        json!(0)
    );

    // The account's own key may refund its own charge.
    refund_charge(&mine, &own, json!({"amount": 1})).expect(201);
    t.verify();
}

#[test]
fn a_refund_replays_with_its_idempotency_key() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "idem");
    grant(&admin, "idem", json!(100), json!({}));
    let charge_id = charge(&admin, "idem", json!(10)).expect(201).id();
    let path = format!("/v1/charges/{charge_id}/refunds");
    let first = admin
        .post_idem(&path, "r-1", json!({"amount": 3}))
        .expect(201);
    let again = admin
        .post_idem(&path, "r-1", json!({"amount": 3}))
        .expect(201);
    assert!(again.replayed());
    assert_eq!(again.body, first.body);
    admin
        .post_idem(&path, "r-1", json!({"amount": 4}))
        .problem(409, "idempotency_conflict");
    assert_eq!(
        admin.get(&format!("/v1/charges/{charge_id}")).expect(200)["refunded"],
        json!(3)
    );
    assert_eq!(totals(&admin, "idem"), (93_000, 0, 93_000));
    t.verify();
}

#[test]
fn the_cli_refunds_a_charge() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "cli");
    grant(&admin, "cli", json!(100), json!({}));
    let charge_id = charge(&admin, "cli", json!(10)).expect(201).id();
    let key = admin.key().expect("the admin client has a key").to_string();
    let run = |args: &[&str]| {
        Command::new(tally_bin())
            .arg("refund")
            .args(args)
            .args(["--url", t.server().base(), "--key", &key])
            .env_remove("TALLY_URL")
            .env_remove("TALLY_KEY")
            .output()
            .expect("running `tally refund`")
    };
    let output = run(&[&charge_id, "--amount", "2.5"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("refunded 2.5 credits"), "{stdout}");
    assert_eq!(
        admin.get(&format!("/v1/charges/{charge_id}")).expect(200)["refunded"],
        num("2.5")
    );
    // More than is left: the server's refusal, and a failure exit.
    let output = run(&[&charge_id, "--amount", "8"]);
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("refund_exceeds_charge"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = run(&[&charge_id]);
    assert!(output.status.success());
    assert_eq!(totals(&admin, "cli"), (100_000, 0, 100_000));
    t.verify();
}

#[test]
fn a_refund_days_later_nets_usage_on_the_day_of_the_charge() {
    let t = Tally::with_test_clock();
    let admin = t.admin();
    create_account(&admin, "later");
    grant(&admin, "later", json!(100), json!({}));
    let c = admin
        .post(
            "/v1/accounts/later/charges",
            json!({"amount": 10, "product": "studio"}),
        )
        .expect(201);
    let day = instant(&c["created_at"]).strftime("%Y-%m-%d").to_string();
    let next_days = plus_seconds(instant(&c["created_at"]), 3 * 86_400);
    admin
        .post("/v1/clock", json!({"advance_seconds": 2 * 86_400}))
        .expect(200);
    refund_charge(&admin, &c.id(), json!({"amount": 4})).expect(201);
    let today = instant(&admin.get("/v1/clock").expect(200)["now"]);
    // The day of the charge is read whole from the aggregates; today (the refund's day) in
    // part from the entries and refunds: the refund counts on the charge's day only.
    let usage = admin
        .get(&format!(
            "/v1/accounts/later/usage?from={day}&to={}&group_by=day,product",
            next_days.replace('+', "%2B")
        ))
        .expect(200);
    let days: Vec<(String, i64, i64)> = usage["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|group| {
            (
                group["day"].as_str().unwrap().to_string(),
                millis(&group["credits"]),
                group["count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(days, vec![(day.clone(), 6_000, 1)], "{}", usage.text);
    // A range of today alone (partial, from the entries) has no usage: the refund is not
    // counted where the charge was not.
    let partial = admin
        .get(&format!(
            "/v1/accounts/later/usage?from={}&to={}",
            plus_seconds(today, -60).replace('+', "%2B"),
            plus_seconds(today, 60).replace('+', "%2B")
        ))
        .expect(200);
    assert_eq!(partial["total"]["credits"], json!(0), "{}", partial.text);
    // And the charge's own instant, read in part: the refund is netted there.
    let around = admin
        .get(&format!(
            "/v1/accounts/later/usage?from={}&to={}",
            plus_seconds(instant(&c["created_at"]), -60).replace('+', "%2B"),
            plus_seconds(instant(&c["created_at"]), 60).replace('+', "%2B")
        ))
        .expect(200);
    assert_eq!(around["total"]["credits"], json!(6), "{}", around.text);
    t.verify();
}
