//! End to end: the cheaper choice and the next reset (API.md "Quotes: the cheaper choice, the
//! next reset") against a real `tally serve`: alternatives on a quote, with and without an
//! account, on the 402 of a usage-priced charge or hold, `next_reset` on the quote's account
//! and on the balance, and the bad input refused.
//!
//! Expected costs are worked out here by hand from the default card's rates (credits per
//! token; the exact total rounded up to a whole credit, at least 1):
//! 1,000 input and 1,000 output tokens cost
//! - gpt-4o: 1000 × 0.0025 + 1000 × 0.01 = 12.5 → 13
//! - gpt-4o-mini: 0.15 + 0.6 = 0.75 → 1
//! - gemini-2.5-flash: 0.3 + 2.5 = 2.8 → 3
//! - claude-haiku-4-5: 1 + 5 = 6
//! - gemini-2.5-pro: 1.25 + 10 = 11.25 → 12
//! - claude-sonnet-4-5: 3 + 15 = 18 (not cheaper)

mod common;

use common::*;
use serde_json::{Value, json};

fn usage(model: &str) -> Value {
    json!({"action": "chat", "model": model, "input_tokens": 1000, "output_tokens": 1000})
}

/// `[(model, min, max)]` of a list of alternatives, in credits.
fn listed(alternatives: &Value) -> Vec<(String, Value, Value)> {
    alternatives
        .as_array()
        .expect("alternatives is a list")
        .iter()
        .map(|item| {
            (
                item["model"].as_str().expect("model").to_string(),
                item["cost"]["min"].clone(),
                item["cost"]["max"].clone(),
            )
        })
        .collect()
}

fn cheaper_than_gpt_4o() -> Vec<(String, Value, Value)> {
    [
        ("gpt-4o-mini", 1),
        ("gemini-2.5-flash", 3),
        ("claude-haiku-4-5", 6),
        ("gemini-2.5-pro", 12),
    ]
    .into_iter()
    .map(|(model, cost)| (model.to_string(), json!(cost), json!(cost)))
    .collect()
}

#[test]
fn a_quote_lists_the_cheaper_models_only_when_asked() {
    let t = Tally::start();
    let admin = t.admin();
    let plain = admin
        .post("/v1/quotes", json!({"usage": usage("gpt-4o")}))
        .expect(200);
    assert_eq!(plain["cost"]["max"], json!(13));
    assert!(plain.body.get("alternatives").is_none(), "{}", plain.text);
    let off = admin
        .post(
            "/v1/quotes",
            json!({"usage": usage("gpt-4o"), "alternatives": false}),
        )
        .expect(200);
    assert!(off.body.get("alternatives").is_none(), "{}", off.text);

    let quote = admin
        .post(
            "/v1/quotes",
            json!({"usage": usage("gpt-4o"), "alternatives": true}),
        )
        .expect(200);
    assert_eq!(listed(&quote["alternatives"]), cheaper_than_gpt_4o());
    // Without an account there is nothing to afford.
    for item in quote["alternatives"].as_array().unwrap() {
        assert!(item.get("affordable").is_none(), "{item}");
    }

    // Each alternative is what its own quote says.
    for (model, _, max) in cheaper_than_gpt_4o() {
        let own = admin
            .post("/v1/quotes", json!({"usage": usage(&model)}))
            .expect(200);
        assert_eq!(own["cost"]["max"], max, "{model}");
    }

    // The cheapest model has none; a model of another action is never offered.
    let cheapest = admin
        .post(
            "/v1/quotes",
            json!({"usage": usage("gpt-4o-mini"), "alternatives": true}),
        )
        .expect(200);
    assert_eq!(cheapest["alternatives"], json!([]));
    let sonnet = admin
        .post(
            "/v1/quotes",
            json!({"usage": usage("claude-sonnet-4-5"), "alternatives": true}),
        )
        .expect(200);
    let mut expected = cheaper_than_gpt_4o();
    expected.push(("gpt-4o".into(), json!(13), json!(13)));
    // Five cheaper models, at most 5, cheapest first.
    assert_eq!(listed(&sonnet["alternatives"]), expected);
}

#[test]
fn with_an_account_each_alternative_says_whether_it_is_affordable() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "five");
    grant(&admin, "five", json!(5), json!({}));
    let quote = admin
        .post(
            "/v1/quotes",
            json!({"usage": usage("gpt-4o"), "account_id": "five", "alternatives": true}),
        )
        .expect(200);
    assert_eq!(quote["account"]["affordable"], json!(false));
    assert_eq!(listed(&quote["alternatives"]), cheaper_than_gpt_4o());
    let affordable: Vec<(&str, bool)> = quote["alternatives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            (
                item["model"].as_str().unwrap(),
                item["affordable"].as_bool().expect("affordable"),
            )
        })
        .collect();
    assert_eq!(
        affordable,
        [
            ("gpt-4o-mini", true),
            ("gemini-2.5-flash", true),
            ("claude-haiku-4-5", false),
            ("gemini-2.5-pro", false),
        ]
    );

    // An account key quotes for its own account.
    let (_, secret) = account_key(&admin, "five");
    let own = admin
        .with_key(&secret)
        .post(
            "/v1/quotes",
            json!({"usage": usage("gpt-4o"), "alternatives": true}),
        )
        .expect(200);
    assert_eq!(own["alternatives"], quote["alternatives"]);
}

#[test]
fn a_refused_usage_charge_or_hold_lists_the_alternatives_that_fit() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "short");
    grant(&admin, "short", json!(5), json!({}));
    let refused = admin.post(
        "/v1/accounts/short/charges",
        json!({"usage": usage("gpt-4o")}),
    );
    let problem = refused.problem(402, "insufficient_credits");
    assert_eq!(problem["available"], json!(5));
    assert_eq!(problem["required"], json!(13));
    let fits = vec![
        ("gpt-4o-mini".to_string(), json!(1), json!(1)),
        ("gemini-2.5-flash".to_string(), json!(3), json!(3)),
    ];
    assert_eq!(listed(&problem["alternatives"]), fits);

    // A hold up to max_output_tokens: its max decides (1000 × 0.0025 + 1000 × 0.01 → 13);
    // an alternative's min is what it costs with no output (gpt-4o-mini 0.15 → 1,
    // gemini-2.5-flash 0.3 → 1).
    let hold = admin.post(
        "/v1/accounts/short/holds",
        json!({"usage": {"action": "chat", "model": "gpt-4o", "input_tokens": 1000,
                         "max_output_tokens": 1000}}),
    );
    let problem = hold.problem(402, "insufficient_credits");
    assert_eq!(
        listed(&problem["alternatives"]),
        vec![
            ("gpt-4o-mini".to_string(), json!(1), json!(1)),
            ("gemini-2.5-flash".to_string(), json!(1), json!(3)),
        ]
    );

    // Nothing was written; a charge of one that fits goes through.
    assert_eq!(millis(&balance(&admin, "short")["available"]), 5_000);
    admin
        .post(
            "/v1/accounts/short/charges",
            json!({"usage": usage("gemini-2.5-flash")}),
        )
        .expect(201);
    assert_eq!(millis(&balance(&admin, "short")["available"]), 2_000);

    // A refused charge of a plain amount has no alternatives.
    let plain = charge(&admin, "short", json!(50));
    assert!(
        plain
            .problem(402, "insufficient_credits")
            .get("alternatives")
            .is_none()
    );
    t.verify();
}

#[test]
fn next_reset_is_the_period_end_and_the_next_periods_allowance() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "planless");
    assert_eq!(balance(&admin, "planless")["next_reset"], Value::Null);
    let quote = admin
        .post(
            "/v1/quotes",
            json!({"usage": usage("gpt-4o"), "account_id": "planless"}),
        )
        .expect(200);
    assert_eq!(quote["account"]["next_reset"], Value::Null);

    create_account(&admin, "team");
    let subscription = admin
        .request(
            "PUT",
            "/v1/accounts/team/subscription",
            Some(json!({"plan": "pro", "seats": 2}).to_string().as_bytes()),
            &[],
        )
        .expect(200);
    assert_eq!(subscription["seats"], json!(2));
    // pro is 250,000 credits per seat a month.
    let expected = json!({"at": subscription["current_period_end"], "credits": 500_000});
    assert_eq!(balance(&admin, "team")["next_reset"], expected);
    assert_eq!(
        admin.get("/v1/accounts/team").expect(200)["balance"]["next_reset"],
        expected
    );
    let quote = admin
        .post(
            "/v1/quotes",
            json!({"usage": usage("gpt-4o"), "account_id": "team"}),
        )
        .expect(200);
    assert_eq!(quote["account"]["next_reset"], expected);

    // Canceling: the plan ends at the period's end, with no grant.
    admin.delete("/v1/accounts/team/subscription").expect(200);
    assert_eq!(balance(&admin, "team")["next_reset"], Value::Null);
}

#[test]
fn bad_alternatives_are_refused_by_name() {
    let t = Tally::start();
    let admin = t.admin();
    let bad = admin.post(
        "/v1/quotes",
        json!({"usage": usage("gpt-4o"), "alternatives": "yes"}),
    );
    assert_eq!(
        bad.problem(400, "invalid_json")["param"],
        json!("alternatives")
    );
    let unknown = admin.post(
        "/v1/quotes",
        json!({"usage": usage("gpt-4o"), "alternative": true}),
    );
    assert_eq!(
        unknown.problem(422, "invalid_request")["param"],
        json!("alternative")
    );
}

#[test]
fn a_refused_usage_charge_in_a_batch_lists_the_alternatives_as_alone() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "batched");
    grant(&admin, "batched", json!(5), json!({}));
    let answer = admin
        .post(
            "/v1/batch",
            json!({"operations": [
                {"method": "POST", "path": "/v1/accounts/batched/charges",
                 "body": {"usage": usage("gpt-4o")}},
                {"method": "POST", "path": "/v1/accounts/batched/charges",
                 "body": {"amount": 50}},
            ]}),
        )
        .expect(200);
    let results = answer["results"].as_array().expect("results");
    assert_eq!(results[0]["status"], json!(402));
    assert_eq!(results[0]["body"]["code"], json!("insufficient_credits"));
    assert_eq!(
        listed(&results[0]["body"]["alternatives"]),
        vec![
            ("gpt-4o-mini".to_string(), json!(1), json!(1)),
            ("gemini-2.5-flash".to_string(), json!(3), json!(3)),
        ]
    );
    assert_eq!(results[1]["status"], json!(402));
    assert!(results[1]["body"].get("alternatives").is_none());
}
