//! End to end: a workflow run's cost before it starts (API.md "Quotes: the cheaper choice, the
//! next reset": `usage` as a list of 1–100 descriptors) against a real `tally serve`: the
//! quote of a list with each step and their sum, the hold of a list reserving the sum of the
//! maxima, its steps captured in parts then a final capture, and the bad lists refused with
//! the step they name; `tally verify` after each test.
//!
//! Expected costs are worked out here by hand from the default card's rates (credits per
//! token or unit; each step's exact total rounded up to a whole credit, at least 1):
//! - gpt-4o chat, 1,000 input tokens, at most 1,000 output: min 1000 × 0.0025 = 2.5 → 3,
//!   max 2.5 + 1000 × 0.01 = 12.5 → 13; with 600 output tokens: 2.5 + 6 = 8.5 → 9
//! - web-search, 3 units: 3 × 10 = 30 (2 units: 20)
//! - gpt-4o-mini chat, 1,000 input and 1,000 output: 0.15 + 0.6 = 0.75 → 1

mod common;

use common::*;
use serde_json::{Value, json};

fn plan_step() -> Value {
    json!({"product": "workflow", "action": "chat", "model": "gpt-4o",
           "input_tokens": 1000, "max_output_tokens": 1000})
}

fn search_step(units: i64) -> Value {
    json!({"product": "workflow", "action": "custom", "model": "web-search", "units": units})
}

fn summary_step() -> Value {
    json!({"product": "workflow", "action": "chat", "model": "gpt-4o-mini",
           "input_tokens": 1000, "output_tokens": 1000})
}

fn run() -> Value {
    json!([plan_step(), search_step(3), summary_step()])
}

#[test]
fn a_quote_of_a_list_shows_each_step_and_their_sum() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "wf");
    grant(&admin, "wf", json!(40), json!({}));
    let quote = admin
        .post("/v1/quotes", json!({"usage": run(), "account_id": "wf"}))
        .expect(200);
    let items = quote["items"].as_array().expect("items is a list");
    let costs: Vec<(Value, Value)> = items
        .iter()
        .map(|item| (item["cost"]["min"].clone(), item["cost"]["max"].clone()))
        .collect();
    assert_eq!(
        costs,
        vec![
            (json!(3), json!(13)),
            (json!(30), json!(30)),
            (json!(1), json!(1))
        ]
    );
    assert_eq!(quote["cost"], json!({"min": 34, "max": 44}));
    assert_eq!(quote["exact"], json!(false));
    // Each step says what it is and its lines; the quote's usage is the list.
    assert_eq!(items[1]["usage"]["model"], json!("web-search"));
    assert_eq!(items[1]["lines"][0]["quantity"], json!(3));
    assert_eq!(items[1]["lines"][0]["amount"], json!(30));
    assert_eq!(quote["usage"].as_array().map(Vec::len), Some(3));
    // 40 credits do not cover the run's maximum of 44.
    assert_eq!(quote["account"]["available"], json!(40));
    assert_eq!(quote["account"]["affordable"], json!(false));
    assert_eq!(quote["account"]["available_after"], json!(-4));
    assert!(quote["id"].as_str().is_some_and(|id| id.starts_with("qt_")));

    // The quote of one step alone is the step's cost, as the list's item says.
    let alone = admin
        .post("/v1/quotes", json!({"usage": plan_step()}))
        .expect(200);
    assert_eq!(alone["cost"], json!({"min": 3, "max": 13}));
    assert!(alone.body.get("items").is_none());
    t.verify();
}

#[test]
fn a_hold_of_a_list_reserves_the_sum_of_the_maxima_and_its_steps_capture_in_parts() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "run");
    grant(&admin, "run", json!(100), json!({}));
    let quote = admin
        .post("/v1/quotes", json!({"usage": run(), "account_id": "run"}))
        .expect(200);
    let held = admin
        .post(
            "/v1/accounts/run/holds",
            json!({"usage": run(), "quote_id": quote.id()}),
        )
        .expect(201);
    assert_eq!(held["amount"], json!(44));
    assert_eq!(held["status"], json!("pending"));
    let h = held.id();
    assert_eq!(totals(&admin, "run"), (100_000, 44_000, 56_000));

    // Each step captures its own price, not the run's total so far.
    let first = admin
        .post(
            &format!("/v1/holds/{h}/capture"),
            json!({"usage": {"product": "workflow", "action": "chat", "model": "gpt-4o",
                             "input_tokens": 1000, "output_tokens": 600},
                   "final": false}),
        )
        .expect(200);
    assert_eq!(first["status"], json!("pending"));
    assert_eq!(first["captured"], json!(9));
    let second = admin
        .post(
            &format!("/v1/holds/{h}/capture"),
            json!({"usage": search_step(2), "final": false}),
        )
        .expect(200);
    assert_eq!(second["captured"], json!(29));
    assert_eq!(totals(&admin, "run"), (71_000, 15_000, 56_000));

    // The last step settles the run: what it did not use goes back.
    let last = admin
        .post(
            &format!("/v1/holds/{h}/capture"),
            json!({"usage": summary_step()}),
        )
        .expect(200);
    assert_eq!(last["status"], json!("captured"));
    assert_eq!(last["captured"], json!(30));
    assert_eq!(last["released"], json!(14));
    assert_eq!(totals(&admin, "run"), (70_000, 0, 70_000));

    // The run's spending is the workflow product's, the sum of its steps.
    let usage = admin
        .get("/v1/accounts/run/usage?group_by=product")
        .expect(200);
    assert_eq!(
        usage["data"],
        json!([{"product": "workflow", "credits": 30, "count": 3}])
    );
    t.verify();
}

#[test]
fn a_step_over_what_the_run_has_left_is_refused_and_changes_nothing() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "tight");
    grant(&admin, "tight", json!(100), json!({}));
    let h = admin
        .post(
            "/v1/accounts/tight/holds",
            json!({"usage": [search_step(1), summary_step()]}),
        )
        .expect(201)
        .id();
    // 10 + 1 held; a step of 3 searches (30) is more than the run has left.
    let over = admin.post(
        &format!("/v1/holds/{h}/capture"),
        json!({"usage": search_step(3), "final": false}),
    );
    let problem = over.problem(422, "capture_exceeds_hold");
    assert_eq!(problem["held"], json!(11));
    assert_eq!(problem["requested"], json!(30));
    assert_eq!(totals(&admin, "tight"), (100_000, 11_000, 89_000));
    // A step captured with an upper bound instead of its actual usage is refused too.
    let bound = admin.post(
        &format!("/v1/holds/{h}/capture"),
        json!({"usage": plan_step(), "final": false}),
    );
    assert_eq!(
        bound.problem(422, "invalid_request")["param"],
        json!("usage.max_output_tokens")
    );
    let hold = admin.get(&format!("/v1/holds/{h}")).expect(200);
    assert_eq!(hold["captured"], json!(0));
    assert_eq!(hold["status"], json!("pending"));
    t.verify();
}

#[test]
fn lists_of_no_step_or_over_a_hundred_are_refused_naming_usage() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "bad");
    grant(&admin, "bad", json!(10_000), json!({}));
    let hundred_and_one = Value::Array((0..101).map(|_| search_step(1)).collect());
    for list in [json!([]), hundred_and_one] {
        let quote = admin.post("/v1/quotes", json!({"usage": list.clone()}));
        assert_eq!(
            quote.problem(422, "invalid_request")["param"],
            json!("usage")
        );
        let hold = admin.post("/v1/accounts/bad/holds", json!({"usage": list}));
        assert_eq!(
            hold.problem(422, "invalid_request")["param"],
            json!("usage")
        );
    }
    // A hundred steps is the most, and is fine: 100 × 10 credits.
    let hundred = Value::Array((0..100).map(|_| search_step(1)).collect());
    let quote = admin
        .post("/v1/quotes", json!({"usage": hundred}))
        .expect(200);
    assert_eq!(quote["cost"], json!({"min": 1000, "max": 1000}));
    assert_eq!(quote["items"].as_array().map(Vec::len), Some(100));
    assert_eq!(totals(&admin, "bad"), (10_000_000, 0, 10_000_000));
    t.verify();
}

#[test]
fn a_bad_step_is_named_by_its_place_in_the_list() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "named");
    grant(&admin, "named", json!(1000), json!({}));
    let unknown = json!([search_step(1), summary_step(), search_step(1),
        {"action": "chat", "model": "no-such-model", "input_tokens": 10, "output_tokens": 10}]);
    for path in ["/v1/quotes", "/v1/accounts/named/holds"] {
        let answer = admin.post(path, json!({"usage": unknown.clone()}));
        assert_eq!(
            answer.problem(422, "unknown_model")["param"],
            json!("usage[3].model"),
            "{path}"
        );
    }
    let no_action = json!([search_step(1), {"model": "gpt-4o", "input_tokens": 10}]);
    let answer = admin.post("/v1/quotes", json!({"usage": no_action}));
    assert_eq!(
        answer.problem(422, "invalid_request")["param"],
        json!("usage[1].action")
    );
    let negative = json!([search_step(1), search_step(1), search_step(-2)]);
    let answer = admin.post("/v1/accounts/named/holds", json!({"usage": negative}));
    assert_eq!(
        answer.problem(422, "invalid_request")["param"],
        json!("usage[2].units")
    );
    let not_an_object = json!([search_step(1), 7]);
    let answer = admin.post("/v1/quotes", json!({"usage": not_an_object}));
    assert_eq!(
        answer.problem(400, "invalid_json")["param"],
        json!("usage[1]")
    );
    // A charge takes one usage; alternatives are for one usage.
    let charge = admin.post(
        "/v1/accounts/named/charges",
        json!({"usage": [summary_step()]}),
    );
    assert_eq!(
        charge.problem(422, "invalid_request")["param"],
        json!("usage")
    );
    let alternatives = admin.post(
        "/v1/quotes",
        json!({"usage": [summary_step()], "alternatives": true}),
    );
    assert_eq!(
        alternatives.problem(422, "invalid_request")["param"],
        json!("alternatives")
    );
    // Nothing of it was written.
    assert_eq!(totals(&admin, "named"), (1_000_000, 0, 1_000_000));
    assert_eq!(entries(&admin, "named").len(), 1);
    t.verify();
}
