//! End to end: holds captured in parts and extended (API.md "Holds: extend, capture in
//! parts") against a real `tally serve`, with the bad input each route refuses, and `tally
//! verify` after each test.

mod common;

use common::*;
use serde_json::{Value, json};

fn capture(client: &Client, hold_id: &str, body: Value) -> Resp {
    client.post(&format!("/v1/holds/{hold_id}/capture"), body)
}

fn extend(client: &Client, hold_id: &str, body: Value) -> Resp {
    client.post(&format!("/v1/holds/{hold_id}/extend"), body)
}

fn read_hold(client: &Client, hold_id: &str) -> Value {
    client.get(&format!("/v1/holds/{hold_id}")).expect(200).body
}

#[test]
fn partial_captures_summing_exactly_to_the_amount_then_the_final_capture_settles() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "parts");
    grant(&admin, "parts", json!(100), json!({}));
    let h = hold(&admin, "parts", json!(30)).expect(201).id();

    let first = capture(&admin, &h, json!({"amount": 10, "final": false})).expect(200);
    assert_eq!(first["status"], json!("pending"));
    assert_eq!(first["amount"], json!(30));
    assert_eq!(first["captured"], json!(10));
    assert_eq!(totals(&admin, "parts"), (90_000, 20_000, 70_000));

    let second = capture(&admin, &h, json!({"amount": 20, "final": false})).expect(200);
    assert_eq!(second["status"], json!("pending"));
    assert_eq!(second["captured"], json!(30));
    assert_eq!(totals(&admin, "parts"), (70_000, 0, 70_000));
    assert_eq!(read_hold(&admin, &h)["captured"], json!(30));

    // Nothing is left to capture: a capture that is not final has nothing to take.
    let over = capture(&admin, &h, json!({"amount": num("0.001"), "final": false}));
    let problem = over.problem(422, "capture_exceeds_hold");
    assert_eq!(problem["held"], json!(0));
    assert_eq!(problem["requested"], num("0.001"));

    // The final capture (an empty body: all that is left, nothing) settles it.
    let settled = admin
        .post_empty(&format!("/v1/holds/{h}/capture"))
        .expect(200);
    assert_eq!(settled["status"], json!("captured"));
    assert_eq!(settled["captured"], json!(30));
    assert_eq!(settled["released"], json!(0));
    assert_eq!(totals(&admin, "parts"), (70_000, 0, 70_000));
    let kinds: Vec<(String, i64)> = entries(&admin, "parts")
        .iter()
        .filter(|entry| entry["hold_id"] == json!(h))
        .map(|entry| {
            (
                entry["type"].as_str().unwrap().to_string(),
                millis(&entry["amount"]),
            )
        })
        .collect();
    // Newest first: two captures after the hold, nothing released.
    assert_eq!(
        kinds,
        vec![
            ("capture".to_string(), -20_000),
            ("capture".to_string(), -10_000),
            ("hold".to_string(), 0),
        ]
    );
    // Settled: a second final capture is refused.
    let again = capture(&admin, &h, json!({}));
    assert_eq!(
        again.problem(409, "hold_not_pending")["hold_status"],
        json!("captured")
    );
    t.verify();
}

#[test]
fn the_final_capture_releases_the_uncaptured_rest() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "fin");
    grant(&admin, "fin", json!(100), json!({}));
    let h = hold(&admin, "fin", json!(30)).expect(201).id();
    capture(&admin, &h, json!({"amount": 10, "final": false})).expect(200);
    let settled = capture(&admin, &h, json!({"amount": 5})).expect(200);
    assert_eq!(settled["status"], json!("captured"));
    assert_eq!(settled["captured"], json!(15));
    assert_eq!(settled["released"], json!(15));
    assert_eq!(totals(&admin, "fin"), (85_000, 0, 85_000));
    t.verify();
}

#[test]
fn a_cancelled_stream_void_after_partial_captures_keeps_what_was_captured() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "stream");
    grant(&admin, "stream", json!(100), json!({}));
    let h = hold(&admin, "stream", json!(30)).expect(201).id();
    capture(&admin, &h, json!({"amount": 5, "final": false})).expect(200);
    capture(&admin, &h, json!({"amount": 7, "final": false})).expect(200);
    assert_eq!(totals(&admin, "stream"), (88_000, 18_000, 70_000));

    let voided = admin.post_empty(&format!("/v1/holds/{h}/void")).expect(200);
    assert_eq!(voided["status"], json!("voided"));
    assert_eq!(voided["captured"], json!(12));
    assert_eq!(voided["released"], json!(18));
    assert_eq!(totals(&admin, "stream"), (88_000, 0, 88_000));
    t.verify();
}

#[test]
fn a_capture_over_the_rest_is_refused_and_changes_nothing() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "over");
    grant(&admin, "over", json!(100), json!({}));
    let h = hold(&admin, "over", json!(10)).expect(201).id();
    capture(&admin, &h, json!({"amount": 4, "final": false})).expect(200);
    let before = (totals(&admin, "over"), read_hold(&admin, &h));

    for body in [json!({"amount": 7, "final": false}), json!({"amount": 7})] {
        let refused = capture(&admin, &h, body);
        let problem = refused.problem(422, "capture_exceeds_hold");
        assert_eq!(problem["held"], json!(6));
        assert_eq!(problem["requested"], json!(7));
    }
    // Bad input: a capture that is not final must take something; `final` is a boolean.
    capture(&admin, &h, json!({"amount": 0, "final": false})).problem(422, "invalid_amount");
    capture(&admin, &h, json!({"amount": -1, "final": false})).problem(422, "invalid_amount");
    let wrong = capture(&admin, &h, json!({"final": "no"}));
    assert_eq!(wrong.problem(400, "invalid_json")["param"], json!("final"));
    assert_eq!((totals(&admin, "over"), read_hold(&admin, &h)), before);
    t.verify();
}

#[test]
fn a_partial_capture_replays_with_its_idempotency_key() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "idem");
    grant(&admin, "idem", json!(100), json!({}));
    let h = hold(&admin, "idem", json!(30)).expect(201).id();
    let path = format!("/v1/holds/{h}/capture");
    let body = json!({"amount": 10, "final": false});
    let first = admin.post_idem(&path, "part-1", body.clone()).expect(200);
    let again = admin.post_idem(&path, "part-1", body).expect(200);
    assert!(again.replayed());
    assert_eq!(again.body, first.body);
    assert_eq!(read_hold(&admin, &h)["captured"], json!(10));
    let extend_path = format!("/v1/holds/{h}/extend");
    let grown = admin
        .post_idem(&extend_path, "grow-1", json!({"amount": 5}))
        .expect(200);
    let grown_again = admin
        .post_idem(&extend_path, "grow-1", json!({"amount": 5}))
        .expect(200);
    assert!(grown_again.replayed());
    assert_eq!(grown_again.body, grown.body);
    assert_eq!(read_hold(&admin, &h)["amount"], json!(35));
    admin
        .post_idem(&extend_path, "grow-1", json!({"amount": 6}))
        .problem(409, "idempotency_conflict");
    t.verify();
}

#[test]
fn an_extension_adds_credits_and_a_new_time_to_live() {
    let t = Tally::with_test_clock();
    let admin = t.admin();
    create_account(&admin, "ext");
    grant(&admin, "ext", json!(100), json!({}));
    let h = admin
        .post(
            "/v1/accounts/ext/holds",
            json!({"amount": 30, "ttl_seconds": 60}),
        )
        .expect(201)
        .id();
    let now = admin
        .post("/v1/clock", json!({"advance_seconds": 50}))
        .expect(200)["now"]
        .clone();

    let grown = extend(&admin, &h, json!({"amount": 20, "ttl_seconds": 300})).expect(200);
    assert_eq!(grown["status"], json!("pending"));
    assert_eq!(grown["amount"], json!(50));
    assert_eq!(
        instant(&grown["expires_at"]),
        instant(&json!(plus_seconds(instant(&now), 300)))
    );
    assert_eq!(totals(&admin, "ext"), (100_000, 50_000, 50_000));

    // Only the time to live; then only credits.
    let later = extend(&admin, &h, json!({"ttl_seconds": 10})).expect(200);
    assert_eq!(later["amount"], json!(50));
    assert_eq!(
        instant(&later["expires_at"]),
        instant(&json!(plus_seconds(instant(&now), 10)))
    );
    let more = extend(&admin, &h, json!({"amount": num("0.5")})).expect(200);
    assert_eq!(more["amount"], num("50.5"));
    assert_eq!(more["expires_at"], later["expires_at"]);

    // The whole extended amount can be captured.
    let settled = capture(&admin, &h, json!({})).expect(200);
    assert_eq!(settled["captured"], num("50.5"));
    assert_eq!(totals(&admin, "ext"), (49_500, 0, 49_500));

    // Extending a captured hold, or an expired one, is refused.
    let problem = extend(&admin, &h, json!({"amount": 1}));
    assert_eq!(
        problem.problem(409, "hold_not_pending")["hold_status"],
        json!("captured")
    );
    let short = admin
        .post(
            "/v1/accounts/ext/holds",
            json!({"amount": 1, "ttl_seconds": 5}),
        )
        .expect(201)
        .id();
    admin
        .post("/v1/clock", json!({"advance_seconds": 5}))
        .expect(200);
    let problem = extend(&admin, &short, json!({"ttl_seconds": 60}));
    assert_eq!(
        problem.problem(409, "hold_not_pending")["hold_status"],
        json!("expired")
    );
    t.verify();
}

#[test]
fn an_extension_refused_mid_stream_leaves_the_hold_intact() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "mid");
    grant(&admin, "mid", json!(100), json!({}));
    let h = hold(&admin, "mid", json!(60)).expect(201).id();
    capture(&admin, &h, json!({"amount": 10, "final": false})).expect(200);
    charge(&admin, "mid", json!(30)).expect(201);
    let before = (totals(&admin, "mid"), read_hold(&admin, &h));
    assert_eq!(before.0, (60_000, 50_000, 10_000));

    let refused = extend(&admin, &h, json!({"amount": 20, "ttl_seconds": 900}));
    let problem = refused.problem(402, "insufficient_credits");
    assert_eq!(problem["available"], json!(10));
    assert_eq!(problem["required"], json!(20));
    assert_eq!((totals(&admin, "mid"), read_hold(&admin, &h)), before);

    // The earlier hold is still a guarantee: its rest can be captured in full.
    let settled = capture(&admin, &h, json!({})).expect(200);
    assert_eq!(settled["captured"], json!(60));
    assert_eq!(totals(&admin, "mid"), (10_000, 0, 10_000));
    t.verify();
}

#[test]
fn extend_refuses_bad_input_and_other_accounts() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "mine");
    create_account(&admin, "theirs");
    grant(&admin, "mine", json!(100), json!({}));
    grant(&admin, "theirs", json!(100), json!({}));
    let (_, mine_key) = account_key(&admin, "mine");
    let mine = t.client(&mine_key);
    let own = hold(&mine, "mine", json!(10)).expect(201).id();
    let other = hold(&admin, "theirs", json!(10)).expect(201).id();
    let before = (totals(&admin, "theirs"), read_hold(&admin, &other));

    extend(&mine, &other, json!({"amount": 1})).problem(404, "not_found");
    capture(&mine, &other, json!({"amount": 1, "final": false})).problem(404, "not_found");
    assert_eq!(
        (totals(&admin, "theirs"), read_hold(&admin, &other)),
        before
    );

    assert_eq!(
        extend(&mine, &own, json!({})).problem(422, "invalid_request")["param"],
        json!("amount")
    );
    assert_eq!(
        extend(&mine, &own, json!({"amount": 0})).problem(422, "invalid_amount")["param"],
        json!("amount")
    );
    assert_eq!(
        extend(&mine, &own, json!({"amount": -3})).problem(422, "invalid_amount")["param"],
        json!("amount")
    );
    assert_eq!(
        extend(&mine, &own, json!({"ttl_seconds": 0})).problem(422, "invalid_request")["param"],
        json!("ttl_seconds")
    );
    assert_eq!(
        extend(&mine, &own, json!({"ttl_seconds": 86_401})).problem(422, "invalid_request")["param"],
        json!("ttl_seconds")
    );
    assert_eq!(
        extend(&mine, &own, json!({"amount": 1, "color": "red"})).problem(422, "invalid_request")["param"],
        json!("color")
    );
    extend(&mine, "hold_nope", json!({"amount": 1})).problem(404, "not_found");
    assert_eq!(read_hold(&mine, &own)["amount"], json!(10));

    let grown = extend(&mine, &own, json!({"amount": 5})).expect(200);
    assert_eq!(grown["amount"], json!(15));
    t.verify();
}

/// A long prompt is priced at its context tier's rates (the default card's `claude-sonnet-4-5`
/// above 200,000 input tokens: 0.006 a token in, 0.0225 out; a price is rounded up to the
/// whole credit, once). A capture with `usage` states the usage so far: each part captures its
/// price less what was captured before, so every part of the output is priced at the tier, and
/// the parts add up to the price of the whole usage, rounded once.
#[test]
fn captures_in_parts_of_a_long_context_usage_are_priced_at_its_tier() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "long");
    grant(&admin, "long", json!(2000), json!({}));
    let usage = |output: Option<i64>| {
        let mut usage = json!({"action": "chat", "model": "claude-sonnet-4-5",
                               "input_tokens": 250_000});
        match output {
            Some(tokens) => usage["output_tokens"] = json!(tokens),
            None => usage["max_output_tokens"] = json!(1000),
        }
        usage
    };
    // 250,000 × 0.006 + 1,000 × 0.0225 = 1,500 + 22.5, rounded up.
    let h = admin
        .post("/v1/accounts/long/holds", json!({"usage": usage(None)}))
        .expect(201);
    assert_eq!(h["amount"], json!(1523));
    let h = h.id();

    // The prompt and 100 tokens out: 1,500 + 2.25, rounded up.
    let first = capture(
        &admin,
        &h,
        json!({"usage": usage(Some(100)), "final": false}),
    )
    .expect(200);
    assert_eq!(first["status"], json!("pending"));
    assert_eq!(first["captured"], json!(1503));
    // 300 out so far: 1,506.75, so 4 more (200 more at the base rate's 0.015 would be 3,
    // and 1,506 in all).
    let second = capture(
        &admin,
        &h,
        json!({"usage": usage(Some(300)), "final": false}),
    )
    .expect(200);
    assert_eq!(second["captured"], json!(1507));
    // The same usage again captures nothing more; a usage pricing below what was captured is
    // refused.
    let same = capture(
        &admin,
        &h,
        json!({"usage": usage(Some(300)), "final": false}),
    )
    .expect(200);
    assert_eq!(same["captured"], json!(1507));
    let less = capture(
        &admin,
        &h,
        json!({"usage": usage(Some(200)), "final": false}),
    );
    assert_eq!(
        less.problem(422, "invalid_request")["param"],
        json!("usage")
    );
    // The final capture: 400 out in all, 1,509; the rest, 14, goes back.
    let settled = capture(&admin, &h, json!({"usage": usage(Some(400))})).expect(200);
    assert_eq!(settled["status"], json!("captured"));
    assert_eq!(settled["captured"], num("1509"));
    assert_eq!(settled["released"], json!(14));
    assert_eq!(totals(&admin, "long"), (491_000, 0, 491_000));
    let captures: Vec<i64> = entries(&admin, "long")
        .iter()
        .filter(|entry| entry["type"] == json!("capture"))
        .map(|entry| millis(&entry["amount"]))
        .collect();
    assert_eq!(captures, vec![-2_000, -4_000, -1_503_000]);
    t.verify();
}
