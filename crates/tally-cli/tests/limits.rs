//! End to end: spend limits (API.md "Spend limits") and account settings ("Accounts:
//! settings") against a real `tally serve`: a member limit refusing a debit with its reset time
//! (in a time zone with a DST change, on the test clock), holds counting and releases and
//! refunds giving back, key limits, 64 parallel debits by one member of which exactly those
//! that fit succeed, PATCH of every field, bad input refused naming the field with nothing
//! changed, both routes in a batch, and the limits surviving a restart. `tally verify` after
//! each test.

mod common;

use common::*;
use serde_json::{Value, json};

fn put_limits(client: &Client, account: &str, body: Value) -> Resp {
    client.request(
        "PUT",
        &format!("/v1/accounts/{account}/limits"),
        Some(body.to_string().as_bytes()),
        &[],
    )
}

fn patch(client: &Client, account: &str, body: Value) -> Resp {
    client.request(
        "PATCH",
        &format!("/v1/accounts/{account}"),
        Some(body.to_string().as_bytes()),
        &[],
    )
}

fn limits(client: &Client, account: &str) -> Vec<Value> {
    client
        .get(&format!("/v1/accounts/{account}/limits"))
        .expect(200)["data"]
        .as_array()
        .expect("data is a list")
        .clone()
}

fn debit(client: &Client, account: &str, kind: &str, body: Value) -> Resp {
    client.post(&format!("/v1/accounts/{account}/{kind}"), body)
}

/// What limit `index` counted for `value` (its `by_match` entry).
fn used_by(limits: &[Value], index: usize, value: &str) -> i64 {
    limits[index]["by_match"]
        .as_array()
        .expect("by_match is a list")
        .iter()
        .find(|each| each["match"] == json!(value))
        .map_or(0, |each| millis(&each["used"]))
}

fn move_clock(admin: &Client, to: &str) {
    admin.post("/v1/clock", json!({"now": to})).expect(200);
}

#[test]
fn a_member_limit_refuses_a_debit_with_its_reset_time_across_a_dst_change() {
    let t = Tally::with_test_clock();
    let admin = t.admin();
    create_account(&admin, "studio");
    grant(&admin, "studio", json!(1_000), json!({}));
    // 13 March 2027, 23:30 in New York (EST); the next day is 23 hours long.
    move_clock(&admin, "2027-03-14T04:30:00Z");
    let account = patch(&admin, "studio", json!({"time_zone": "America/New_York"})).expect(200);
    assert_eq!(account["time_zone"], json!("America/New_York"));
    let set = put_limits(
        &admin,
        "studio",
        json!({"limits": [{"id": "daily", "scope": "member", "match": "*", "window": "day", "max": 50}]}),
    )
    .expect(200);
    assert_eq!(set["data"][0]["id"], json!("daily"));
    assert_eq!(set["data"][0]["resets_at"], json!("2027-03-14T05:00:00Z"));
    debit(
        &admin,
        "studio",
        "charges",
        json!({"amount": 50, "member": "ann"}),
    )
    .expect(201);
    // After local midnight: a new day, which ends at the next local midnight, 23 hours on.
    move_clock(&admin, "2027-03-14T05:00:00Z");
    debit(
        &admin,
        "studio",
        "charges",
        json!({"amount": 30, "member": "ann"}),
    )
    .expect(201);
    let before = balance(&admin, "studio");
    let refused = debit(
        &admin,
        "studio",
        "charges",
        json!({"amount": 21, "member": "ann"}),
    );
    let problem = refused.problem(402, "limit_exceeded");
    assert_eq!(problem["limit"]["id"], json!("daily"));
    assert_eq!(problem["limit"]["max"], json!(50));
    assert_eq!(problem["used"], json!(30));
    assert_eq!(problem["remaining"], json!(20));
    assert_eq!(problem["resets_at"], json!("2027-03-15T04:00:00Z"));
    assert_eq!(problem["match_value"], json!("ann"));
    assert_eq!(balance(&admin, "studio")["available"], before["available"]);
    // A hold is refused alike; another member is not limited by ann's spending.
    debit(
        &admin,
        "studio",
        "holds",
        json!({"amount": 21, "member": "ann"}),
    )
    .problem(402, "limit_exceeded");
    debit(
        &admin,
        "studio",
        "charges",
        json!({"amount": 50, "member": "bob"}),
    )
    .expect(201);
    let shown = limits(&admin, "studio");
    assert_eq!(used_by(&shown, 0, "ann"), 30_000);
    assert_eq!(used_by(&shown, 0, "bob"), 50_000);
    assert_eq!(shown[0]["used"], json!(50));
    assert_eq!(shown[0]["remaining"], json!(0));
    assert_eq!(shown[0]["resets_at"], json!("2027-03-15T04:00:00Z"));
    // A minute before the reset it still refuses; at the reset it fits.
    move_clock(&admin, "2027-03-15T03:59:00Z");
    debit(
        &admin,
        "studio",
        "charges",
        json!({"amount": 21, "member": "ann"}),
    )
    .problem(402, "limit_exceeded");
    move_clock(&admin, "2027-03-15T04:00:00Z");
    debit(
        &admin,
        "studio",
        "charges",
        json!({"amount": 50, "member": "ann"}),
    )
    .expect(201);
    t.verify();
}

#[test]
fn holds_count_when_made_and_releases_and_refunds_give_back() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "agents");
    grant(&admin, "agents", json!(1_000), json!({}));
    put_limits(
        &admin,
        "agents",
        json!({"limits": [
            {"scope": "product", "match": "video", "window": "month", "max": 100},
            {"scope": "account", "window": "total", "max": 500}
        ]}),
    )
    .expect(200);
    let hold = debit(
        &admin,
        "agents",
        "holds",
        json!({"amount": 80, "product": "video"}),
    )
    .expect(201);
    let hold_id = hold["id"].as_str().unwrap().to_string();
    assert_eq!(used_by(&limits(&admin, "agents"), 0, "video"), 80_000);
    debit(
        &admin,
        "agents",
        "charges",
        json!({"amount": 21, "product": "video"}),
    )
    .problem(402, "limit_exceeded");
    // A refused extension leaves the hold as it was.
    admin
        .post(
            &format!("/v1/holds/{hold_id}/extend"),
            json!({"amount": 30}),
        )
        .problem(402, "limit_exceeded");
    // Capture 50: the 30 released come back.
    admin
        .post(
            &format!("/v1/holds/{hold_id}/capture"),
            json!({"amount": 50}),
        )
        .expect(200);
    let shown = limits(&admin, "agents");
    assert_eq!(used_by(&shown, 0, "video"), 50_000);
    assert_eq!(used_by(&shown, 1, "*"), 50_000);
    let charge = debit(
        &admin,
        "agents",
        "charges",
        json!({"amount": 50, "product": "video"}),
    )
    .expect(201);
    assert_eq!(used_by(&limits(&admin, "agents"), 0, "video"), 100_000);
    // A refund gives back what it refunds.
    let charge_id = charge["id"].as_str().unwrap();
    admin
        .post(
            &format!("/v1/charges/{charge_id}/refunds"),
            json!({"amount": 20}),
        )
        .expect(201);
    assert_eq!(used_by(&limits(&admin, "agents"), 0, "video"), 80_000);
    debit(
        &admin,
        "agents",
        "charges",
        json!({"amount": 20, "product": "video"}),
    )
    .expect(201);
    // A void gives everything back.
    let other = debit(
        &admin,
        "agents",
        "holds",
        json!({"amount": 5, "product": "image"}),
    )
    .expect(201);
    assert_eq!(used_by(&limits(&admin, "agents"), 1, "*"), 105_000);
    let other_id = other["id"].as_str().unwrap();
    admin
        .post_empty(&format!("/v1/holds/{other_id}/void"))
        .expect(200);
    assert_eq!(used_by(&limits(&admin, "agents"), 1, "*"), 100_000);
    t.verify();
}

#[test]
fn a_key_limit_counts_what_that_key_debits() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "team");
    grant(&admin, "team", json!(1_000), json!({}));
    let (key_id, secret) = account_key(&admin, "team");
    let (_, other_secret) = account_key(&admin, "team");
    put_limits(
        &admin,
        "team",
        json!({"limits": [{"scope": "key", "match": key_id, "window": "total", "max": 10}]}),
    )
    .expect(200);
    let key = t.client(&secret);
    debit(&key, "team", "charges", json!({"amount": 10})).expect(201);
    debit(&key, "team", "charges", json!({"amount": 1})).problem(402, "limit_exceeded");
    // Another key, or the admin, is not this key.
    debit(
        &t.client(&other_secret),
        "team",
        "charges",
        json!({"amount": 100}),
    )
    .expect(201);
    debit(&admin, "team", "charges", json!({"amount": 100})).expect(201);
    // A key's hold made before a restart gives back to the key's limit when it is voided.
    put_limits(
        &admin,
        "team",
        json!({"limits": [{"id": "per-key", "scope": "key", "match": "*", "window": "total", "max": 10}]}),
    )
    .expect(200);
    let hold = debit(&key, "team", "holds", json!({"amount": 10})).expect(201);
    debit(&key, "team", "charges", json!({"amount": 1})).problem(402, "limit_exceeded");
    let mut t = t;
    t.restart();
    let admin = t.admin();
    let hold_id = hold["id"].as_str().unwrap();
    admin
        .post_empty(&format!("/v1/holds/{hold_id}/void"))
        .expect(200);
    let key = t.client(&secret);
    debit(&key, "team", "charges", json!({"amount": 10})).expect(201);
    t.verify();
}

#[test]
fn sixty_four_parallel_debits_by_one_member_exactly_those_that_fit_succeed() {
    const CLIENTS: usize = 64;
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "crowd");
    grant(&admin, "crowd", json!(10_000), json!({}));
    // 100 credits a day for each member: 33 debits of 3 fit, 31 do not.
    put_limits(
        &admin,
        "crowd",
        json!({"limits": [{"scope": "member", "match": "*", "window": "day", "max": 100}]}),
    )
    .expect(200);
    let barrier = std::sync::Barrier::new(CLIENTS);
    let statuses: Vec<(u16, Option<String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..CLIENTS)
            .map(|n| {
                let client = t.admin();
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    // Charges and holds alike.
                    let kind = if n % 2 == 0 { "charges" } else { "holds" };
                    let response = debit(
                        &client,
                        "crowd",
                        kind,
                        json!({"amount": 3, "member": "ann"}),
                    );
                    let code = response.body["code"].as_str().map(str::to_string);
                    (response.status, code)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let fitted = statuses.iter().filter(|(status, _)| *status == 201).count();
    let refused = statuses
        .iter()
        .filter(|(status, code)| *status == 402 && code.as_deref() == Some("limit_exceeded"))
        .count();
    assert_eq!((fitted, refused), (33, 31), "{statuses:?}");
    let shown = limits(&admin, "crowd");
    assert_eq!(used_by(&shown, 0, "ann"), 99_000);
    assert_eq!(
        millis(&balance(&admin, "crowd")["available"]),
        10_000_000 - 99_000
    );
    t.verify();
}

#[test]
fn patch_changes_each_field_and_only_those_sent() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "acme");
    grant(&admin, "acme", json!(10), json!({}));
    let account = patch(&admin, "acme", json!({"name": "Acme Inc"})).expect(200);
    assert_eq!(account["name"], json!("Acme Inc"));
    assert_eq!(account["time_zone"], json!("UTC"));
    assert_eq!(account["low_balance_threshold"], Value::Null);
    assert_eq!(account["balance"]["available"], json!(10));
    let account = patch(&admin, "acme", json!({"overdraft_limit": 25.5})).expect(200);
    assert_eq!(account["overdraft_limit"], json!(25.5));
    assert_eq!(
        account["name"],
        json!("Acme Inc"),
        "only the fields sent change"
    );
    let account = patch(&admin, "acme", json!({"metadata": {"tier": "gold"}})).expect(200);
    assert_eq!(account["metadata"], json!({"tier": "gold"}));
    let account = patch(&admin, "acme", json!({"time_zone": "Asia/Kolkata"})).expect(200);
    assert_eq!(account["time_zone"], json!("Asia/Kolkata"));
    let account = patch(&admin, "acme", json!({"low_balance_threshold": 2.125})).expect(200);
    assert_eq!(account["low_balance_threshold"], json!(2.125));
    // What the PATCH answered is what GET shows.
    let read = admin.get("/v1/accounts/acme").expect(200);
    for field in [
        "name",
        "overdraft_limit",
        "metadata",
        "time_zone",
        "low_balance_threshold",
    ] {
        assert_eq!(read[field], account[field], "{field}");
    }
    // `null` clears what may be cleared.
    let cleared = patch(
        &admin,
        "acme",
        json!({"name": null, "metadata": null, "low_balance_threshold": null}),
    )
    .expect(200);
    assert_eq!(cleared["name"], Value::Null);
    assert_eq!(cleared["metadata"], json!({}));
    assert_eq!(cleared["low_balance_threshold"], Value::Null);
    assert_eq!(cleared["time_zone"], json!("Asia/Kolkata"));
    // The overdraft is usable at once; lowering it below the debt is refused.
    charge(&admin, "acme", json!(30)).expect(201);
    let problem = patch(&admin, "acme", json!({"overdraft_limit": 19.999}))
        .problem(422, "overdraft_below_debt")
        .clone();
    assert_eq!(problem["overdraft_limit_min"], json!(20));
    assert_eq!(problem["param"], json!("overdraft_limit"));
    patch(&admin, "acme", json!({"overdraft_limit": 20})).expect(200);
    // Settings survive a restart.
    let mut t = t;
    t.restart();
    let read = t.admin().get("/v1/accounts/acme").expect(200);
    assert_eq!(read["time_zone"], json!("Asia/Kolkata"));
    assert_eq!(read["overdraft_limit"], json!(20));
    t.verify();
}

#[test]
fn bad_settings_are_refused_naming_the_field_and_change_nothing() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "acme");
    let before = admin.get("/v1/accounts/acme").expect(200).body;
    for (body, status, code, param) in [
        (
            json!({"time_zone": "Mars/Olympus"}),
            422,
            "invalid_request",
            "time_zone",
        ),
        (
            json!({"time_zone": null}),
            422,
            "invalid_request",
            "time_zone",
        ),
        (json!({"time_zone": 5}), 400, "invalid_json", "time_zone"),
        (
            json!({"overdraft_limit": -1}),
            422,
            "invalid_amount",
            "overdraft_limit",
        ),
        (
            json!({"overdraft_limit": "10"}),
            400,
            "invalid_json",
            "overdraft_limit",
        ),
        (
            json!({"overdraft_limit": null}),
            422,
            "invalid_request",
            "overdraft_limit",
        ),
        (
            json!({"low_balance_threshold": -0.001}),
            422,
            "invalid_amount",
            "low_balance_threshold",
        ),
        (
            json!({"low_balance_threshold": 1.0001}),
            422,
            "invalid_amount",
            "low_balance_threshold",
        ),
        (json!({"name": 7}), 400, "invalid_json", "name"),
        (json!({"metadata": []}), 400, "invalid_json", "metadata"),
        (
            json!({"name": "x", "colour": "red"}),
            422,
            "invalid_request",
            "colour",
        ),
    ] {
        let response = patch(&admin, "acme", body.clone());
        let problem = response.problem(status, code);
        assert_eq!(problem["param"], json!(param), "{body}");
    }
    assert_eq!(admin.get("/v1/accounts/acme").expect(200).body, before);
    // An account key may not, and another account is not found.
    let (_, secret) = account_key(&admin, "acme");
    patch(&t.client(&secret), "acme", json!({"name": "mine"})).problem(403, "forbidden");
    patch(&admin, "nobody", json!({"name": "x"})).problem(404, "not_found");
    t.verify();
}

#[test]
fn bad_limits_are_refused_naming_the_field_and_change_nothing() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "acme");
    let good = json!({"scope": "member", "match": "*", "window": "day", "max": 5});
    put_limits(&admin, "acme", json!({"limits": [good.clone()]})).expect(200);
    let before = limits(&admin, "acme");
    let with = |field: &str, value: Value| {
        let mut limit = good.clone();
        limit[field] = value;
        json!({"limits": [good.clone(), limit]})
    };
    let mut without_max = good.clone();
    without_max.as_object_mut().unwrap().remove("max");
    for (body, status, code, param) in [
        (
            with("scope", json!("team")),
            422,
            "invalid_request",
            "limits[1].scope",
        ),
        (
            with("window", json!("week")),
            422,
            "invalid_request",
            "limits[1].window",
        ),
        (
            with("max", json!(-1)),
            422,
            "invalid_amount",
            "limits[1].max",
        ),
        (
            with("max", json!(0.0001)),
            422,
            "invalid_amount",
            "limits[1].max",
        ),
        (
            with("max", json!("5")),
            400,
            "invalid_json",
            "limits[1].max",
        ),
        (
            with("scope", json!(1)),
            400,
            "invalid_json",
            "limits[1].scope",
        ),
        (
            with("match", json!("")),
            422,
            "invalid_request",
            "limits[1].match",
        ),
        (
            with("colour", json!("red")),
            422,
            "invalid_request",
            "limits[1].colour",
        ),
        (
            json!({"limits": [good.clone(), {"scope": "account", "match": "ann", "window": "day", "max": 1}]}),
            422,
            "invalid_request",
            "limits[1].match",
        ),
        (
            json!({"limits": [{"id": "a", "scope": "member", "match": "*", "window": "day", "max": 1}, {"id": "a", "scope": "member", "match": "*", "window": "day", "max": 1}]}),
            422,
            "invalid_request",
            "limits[1].id",
        ),
        (
            json!({"limits": [without_max]}),
            422,
            "invalid_request",
            "limits[0].max",
        ),
        (
            json!({"limits": {"scope": "member"}}),
            400,
            "invalid_json",
            "limits",
        ),
        (json!({"limits": ["day"]}), 400, "invalid_json", "limits[0]"),
        (json!({}), 422, "invalid_request", "limits"),
    ] {
        let response = put_limits(&admin, "acme", body.clone());
        let problem = response.problem(status, code);
        assert_eq!(problem["param"], json!(param), "{body}");
    }
    assert_eq!(limits(&admin, "acme"), before);
    let (_, secret) = account_key(&admin, "acme");
    let key = t.client(&secret);
    put_limits(&key, "acme", json!({"limits": []})).problem(403, "forbidden");
    // The account's own key may read its limits.
    assert_eq!(limits(&key, "acme"), before);
    put_limits(&admin, "nobody", json!({"limits": []})).problem(404, "not_found");
    // An empty set removes them.
    put_limits(&admin, "acme", json!({"limits": []})).expect(200);
    assert!(limits(&admin, "acme").is_empty());
    t.verify();
}

#[test]
fn settings_and_limits_go_through_a_batch_and_survive_a_restart() {
    let mut t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "acme");
    grant(&admin, "acme", json!(100), json!({}));
    let results = admin
        .post(
            "/v1/batch",
            json!({"operations": [
                {"method": "PATCH", "path": "/v1/accounts/acme", "body": {"time_zone": "Europe/Paris"}},
                {"method": "PUT", "path": "/v1/accounts/acme/limits", "body": {"limits": [{"id": "chat", "scope": "product", "match": "chat", "window": "month", "max": 10}]}},
                {"method": "POST", "path": "/v1/accounts/acme/charges", "body": {"amount": 8, "product": "chat"}},
                {"method": "POST", "path": "/v1/accounts/acme/charges", "body": {"amount": 3, "product": "chat"}},
                {"method": "PUT", "path": "/v1/accounts/acme/limits", "body": {"limits": [{"scope": "planet", "window": "day", "max": 1}]}}
            ]}),
        )
        .expect(200);
    let statuses: Vec<u64> = results["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|result| result["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, vec![200, 200, 201, 402, 422]);
    assert_eq!(
        results["results"][3]["body"]["code"],
        json!("limit_exceeded")
    );
    t.restart();
    let admin = t.admin();
    let shown = limits(&admin, "acme");
    assert_eq!(shown.len(), 1);
    assert_eq!(used_by(&shown, 0, "chat"), 8_000);
    charge(&admin, "acme", json!(3)).expect(201);
    debit(
        &admin,
        "acme",
        "charges",
        json!({"amount": 3, "product": "chat"}),
    )
    .problem(402, "limit_exceeded");
    assert_eq!(
        admin.get("/v1/accounts/acme").expect(200)["time_zone"],
        json!("Europe/Paris")
    );
    t.verify();
}
