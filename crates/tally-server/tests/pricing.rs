//! Pricing over HTTP: the cost shown before the user commits is exactly what they are charged,
//! a quote pins its rate card version for 15 minutes, holds pin theirs, and bad usage is
//! refused with the documented codes.

mod common;

use axum::http::StatusCode;
use common::{ADMIN_KEY, TestServer};
use serde_json::{Value, json};

fn mc(value: &Value) -> i64 {
    tally_core::Millicredits::parse_credits(&value.to_string())
        .unwrap_or_else(|_| panic!("not an amount: {value}"))
        .get()
}

async fn setup() -> (TestServer, String, String) {
    let server = TestServer::start(|_| {});
    for account in ["a", "b"] {
        server
            .admin("POST", "/v1/accounts", json!({"id": account}))
            .await;
        server
            .admin(
                "POST",
                &format!("/v1/accounts/{account}/grants"),
                json!({"amount": 100000}),
            )
            .await;
    }
    let key_a = server.admin("POST", "/v1/accounts/a/keys", json!({})).await["key"]
        .as_str()
        .unwrap()
        .to_string();
    let key_b = server.admin("POST", "/v1/accounts/b/keys", json!({})).await["key"]
        .as_str()
        .unwrap()
        .to_string();
    (server, key_a, key_b)
}

fn chat(input: u64, output: u64) -> Value {
    json!({"product": "assistant", "action": "chat", "model": "gpt-4o", "input_tokens": input, "output_tokens": output})
}

#[tokio::test]
async fn a_charge_of_the_quoted_usage_costs_exactly_the_quote() {
    let (server, key_a, _) = setup().await;
    for usage in [
        chat(1_000, 300),
        json!({"action": "embedding", "model": "text-embedding-3-small", "input_tokens": 50_000}),
        json!({"action": "image", "model": "gpt-image-1", "width": 1024, "height": 1024, "quality": "high", "count": 2}),
        json!({"action": "video", "model": "veo-3", "seconds": 8, "width": 1920, "height": 1080}),
        json!({"action": "speech", "model": "tts-1", "characters": 900}),
        json!({"action": "speech", "model": "whisper-1", "seconds": 60.5}),
        json!({"action": "custom", "model": "web-search", "units": 3}),
    ] {
        let (status, quote) = server
            .call(
                "POST",
                "/v1/quotes",
                Some(&key_a),
                Some(json!({"usage": usage})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{quote}");
        assert_eq!(
            quote["cost"]["min"], quote["cost"]["max"],
            "an exact usage has one cost"
        );
        // The lines explain the cost: they add up to it exactly.
        let lines_total: i128 = quote["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|line| {
                let text = line["amount"].to_string();
                let decimal = tally_core::Decimal::parse(&text).unwrap();
                i128::from(
                    decimal
                        .to_scaled(15, i64::MAX)
                        .expect("a line amount with at most 15 decimals"),
                )
            })
            .sum();
        assert_eq!(
            lines_total,
            i128::from(mc(&quote["cost"]["max"])) * 1_000_000_000_000,
            "{quote}"
        );
        assert_eq!(
            quote["account"]["id"], "a",
            "an account key's quote is its own"
        );
        let (status, charge) = server
            .call(
                "POST",
                "/v1/accounts/a/charges",
                Some(&key_a),
                Some(json!({"usage": usage, "quote_id": quote["id"]})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{charge}");
        assert_eq!(charge["amount"], quote["cost"]["max"], "{usage}");
        assert_eq!(charge["rate_card_version"], quote["rate_card_version"]);
    }
    let entries = server
        .admin("GET", "/v1/accounts/a/entries?type=charge", json!(null))
        .await;
    for entry in entries["data"].as_array().unwrap() {
        assert_eq!(
            entry["rate_card_version"], 1,
            "every charge entry names the version that priced it"
        );
        assert!(
            entry["model"].is_string() && entry["quote_id"].is_string(),
            "{entry}"
        );
    }
    server.verify();
}

#[tokio::test]
async fn a_hold_with_an_upper_bound_is_captured_at_the_actual_usage() {
    let (server, key_a, _) = setup().await;
    let bounded = json!({"action": "chat", "model": "claude-sonnet-4-5", "input_tokens": 1200, "max_output_tokens": 4096});
    let (_, quote) = server
        .call(
            "POST",
            "/v1/quotes",
            Some(&key_a),
            Some(json!({"usage": bounded})),
        )
        .await;
    assert!(
        mc(&quote["cost"]["min"]) < mc(&quote["cost"]["max"]),
        "{quote}"
    );
    let (status, hold) = server
        .call(
            "POST",
            "/v1/accounts/a/holds",
            Some(&key_a),
            Some(json!({"usage": bounded})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{hold}");
    assert_eq!(
        hold["amount"], quote["cost"]["max"],
        "the hold is the quote's max"
    );
    let actual = json!({"action": "chat", "model": "claude-sonnet-4-5", "input_tokens": 1200, "output_tokens": 350});
    let (_, actual_quote) = server
        .call(
            "POST",
            "/v1/quotes",
            Some(&key_a),
            Some(json!({"usage": actual})),
        )
        .await;
    let capture = format!("/v1/holds/{}/capture", hold["id"].as_str().unwrap());
    let (status, captured) = server
        .call(
            "POST",
            &capture,
            Some(&key_a),
            Some(json!({"usage": actual})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{captured}");
    assert_eq!(captured["captured"], actual_quote["cost"]["max"]);
    assert_eq!(
        mc(&captured["released"]),
        mc(&hold["amount"]) - mc(&captured["captured"])
    );
    assert!(mc(&captured["captured"]) >= mc(&quote["cost"]["min"]));
    // A charge must be exact.
    let (status, problem) = server
        .call(
            "POST",
            "/v1/accounts/a/charges",
            Some(&key_a),
            Some(json!({"usage": bounded})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    server.verify();
}

#[tokio::test]
async fn a_rate_card_change_after_the_quote_does_not_change_what_the_charge_costs() {
    let (server, key_a, _) = setup().await;
    let usage = chat(1_000, 300);
    let (_, quote) = server
        .call(
            "POST",
            "/v1/quotes",
            Some(&key_a),
            Some(json!({"usage": usage})),
        )
        .await;
    let hold_usage = chat(2_000, 1_000);
    let (_, hold) = server
        .call(
            "POST",
            "/v1/accounts/a/holds",
            Some(&key_a),
            Some(json!({"usage": hold_usage})),
        )
        .await;
    // gpt-4o's output becomes ten times dearer in version 2.
    let mut card = server.admin("GET", "/v1/rate-card", json!(null)).await;
    for item in card["items"].as_array_mut().unwrap() {
        if item["model"] == "gpt-4o" {
            item["rates"]["output_tokens"] = json!(0.1);
        }
    }
    card.as_object_mut().unwrap().remove("version");
    let (status, new_card) = server
        .call("PUT", "/v1/rate-card", Some(ADMIN_KEY), Some(card.clone()))
        .await;
    assert_eq!(status, StatusCode::OK, "{new_card}");
    assert_eq!(new_card["version"], 2);
    let (status, _) = server
        .call("PUT", "/v1/rate-card", Some(&key_a), Some(card))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, old) = server
        .call("GET", "/v1/rate-card/versions/1", Some(&key_a), None)
        .await;
    assert_eq!(old["version"], 1);
    let (_, requote) = server
        .call(
            "POST",
            "/v1/quotes",
            Some(&key_a),
            Some(json!({"usage": usage})),
        )
        .await;
    assert_eq!(requote["rate_card_version"], 2);
    assert!(mc(&requote["cost"]["max"]) > mc(&quote["cost"]["max"]));
    // With the quote: the pinned version 1 price. Without: today's.
    let (_, pinned) = server
        .call(
            "POST",
            "/v1/accounts/a/charges",
            Some(&key_a),
            Some(json!({"usage": usage, "quote_id": quote["id"]})),
        )
        .await;
    assert_eq!(pinned["amount"], quote["cost"]["max"]);
    assert_eq!(pinned["rate_card_version"], 1);
    let (_, current) = server
        .call(
            "POST",
            "/v1/accounts/a/charges",
            Some(&key_a),
            Some(json!({"usage": usage})),
        )
        .await;
    assert_eq!(current["amount"], requote["cost"]["max"]);
    // The hold pinned version 1: its capture is priced by it.
    let capture = format!("/v1/holds/{}/capture", hold["id"].as_str().unwrap());
    let (_, captured) = server
        .call(
            "POST",
            &capture,
            Some(&key_a),
            Some(json!({"usage": hold_usage})),
        )
        .await;
    assert_eq!(captured["captured"], hold["amount"]);
    server.verify();
}

#[tokio::test]
async fn quotes_belong_to_their_account_and_expire() {
    let (server, key_a, key_b) = setup().await;
    let usage = chat(1_000, 300);
    let (_, quote) = server
        .call(
            "POST",
            "/v1/quotes",
            Some(&key_a),
            Some(json!({"usage": usage})),
        )
        .await;
    // b cannot use a's quote, nor quote for a.
    let (status, _) = server
        .call(
            "POST",
            "/v1/accounts/b/charges",
            Some(&key_b),
            Some(json!({"usage": usage, "quote_id": quote["id"]})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server
        .call(
            "POST",
            "/v1/quotes",
            Some(&key_b),
            Some(json!({"usage": usage, "account_id": "a"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Any change to the id (here: its claim's first character) makes it nobody's quote.
    let id = quote["id"].as_str().unwrap();
    let forged = format!(
        "qt_{}{}",
        if &id[3..4] == "A" { "B" } else { "A" },
        &id[4..]
    );
    let (status, _) = server
        .call(
            "POST",
            "/v1/accounts/a/charges",
            Some(&key_a),
            Some(json!({"usage": usage, "quote_id": forged})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    server
        .admin("POST", "/v1/clock", json!({"advance_seconds": 15 * 60}))
        .await;
    let (status, problem) = server
        .call(
            "POST",
            "/v1/accounts/a/charges",
            Some(&key_a),
            Some(json!({"usage": usage, "quote_id": quote["id"]})),
        )
        .await;
    assert_eq!(
        (status, problem["param"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("quote_id"))
    );
    // An admin's quote for an account shows whether it is affordable.
    let big = json!({"action": "video", "model": "sora-2-pro", "seconds": 400, "width": 1280, "height": 720});
    let (_, quote) = server
        .call(
            "POST",
            "/v1/quotes",
            Some(ADMIN_KEY),
            Some(json!({"usage": big, "account_id": "b"})),
        )
        .await;
    assert_eq!(quote["account"]["affordable"], false, "{quote}");
    assert_eq!(
        mc(&quote["account"]["available_after"]),
        100_000_000 - mc(&quote["cost"]["max"])
    );
}

#[tokio::test]
async fn bad_usage_is_refused_with_the_documented_codes_and_changes_nothing() {
    let (server, key_a, _) = setup().await;
    let before = server
        .admin("GET", "/v1/accounts/a/entries", json!(null))
        .await;
    let cases = [
        (
            json!({"action": "chat", "model": "gpt-9", "input_tokens": 10, "output_tokens": 5}),
            422,
            "unknown_model",
        ),
        (
            json!({"action": "teleport", "model": "gpt-4o"}),
            422,
            "invalid_request",
        ),
        (
            json!({"action": "chat", "model": "gpt-4o", "input_tokens": -1, "output_tokens": 5}),
            422,
            "invalid_request",
        ),
        (
            json!({"action": "chat", "model": "gpt-4o", "input_tokens": "12", "output_tokens": 5}),
            400,
            "invalid_json",
        ),
        (
            json!({"action": "chat", "model": "gpt-4o", "input_tokens": 1e30, "output_tokens": 5}),
            422,
            "invalid_request",
        ),
        (
            json!({"action": "chat", "model": "gpt-4o", "input_tokens": 18446744073709551615u64, "output_tokens": 5}),
            422,
            "invalid_request",
        ),
        (
            json!({"action": "chat", "model": "gpt-4o", "input_tokens": 10, "output_tokens": 5, "colour": 1}),
            422,
            "invalid_request",
        ),
        (
            json!({"action": "image", "model": "gpt-image-1", "width": 99999, "height": 99999, "quality": "high"}),
            422,
            "invalid_request",
        ),
        (
            json!({"action": "image", "model": "gpt-image-1", "width": 1024, "height": 1024, "quality": "ultra"}),
            422,
            "invalid_request",
        ),
    ];
    for (usage, status, code) in cases {
        for (path, body) in [
            ("/v1/quotes", json!({"usage": usage})),
            ("/v1/accounts/a/charges", json!({"usage": usage})),
            ("/v1/accounts/a/holds", json!({"usage": usage})),
        ] {
            let (got, problem) = server.call("POST", path, Some(&key_a), Some(body)).await;
            assert_eq!(
                (got.as_u16(), problem["code"].as_str()),
                (status, Some(code)),
                "{path} {usage}: {problem}"
            );
        }
    }
    let (status, _) = server
        .call(
            "POST",
            "/v1/accounts/a/charges",
            Some(&key_a),
            Some(json!({"amount": 5, "usage": chat(1, 1)})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, problem) = server
        .call(
            "PUT",
            "/v1/rate-card",
            Some(ADMIN_KEY),
            Some(json!({"items": [{"action": "chat"}]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        server
            .admin("GET", "/v1/accounts/a/entries", json!(null))
            .await,
        before
    );
    assert_eq!(
        server.admin("GET", "/v1/rate-card", json!(null)).await["version"],
        1
    );
}

#[tokio::test]
async fn a_quote_id_alone_debits_the_quoted_usage() {
    let (server, key_a, key_b) = setup().await;
    let post = |path: &'static str, key: String, body: Value| {
        let server = &server;
        async move { server.call("POST", path, Some(&key), Some(body)).await }
    };
    let quote = |usage: Value| post("/v1/quotes", key_a.clone(), json!({"usage": usage}));
    // Four quotes made at one instant of the test clock: four ids.
    let mut quotes = Vec::new();
    for usage in [
        chat(1_000, 300),
        chat(1_000, 301),
        chat(2_000, 300),
        chat(1_000, 300),
    ] {
        let (status, quote) = quote(usage).await;
        assert_eq!(status, StatusCode::OK, "{quote}");
        quotes.push(quote);
    }
    let ids: std::collections::HashSet<&str> = quotes
        .iter()
        .map(|quote| quote["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids.len(),
        3,
        "the same usage quoted twice is the same quote; others differ"
    );
    assert_eq!(quotes[0]["id"], quotes[3]["id"]);

    // The id alone charges the usage it priced, at its price, and records it.
    for quote in &quotes[..3] {
        let (status, charge) = post(
            "/v1/accounts/a/charges",
            key_a.clone(),
            json!({"quote_id": quote["id"]}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{charge}");
        assert_eq!(charge["amount"], quote["cost"]["max"]);
        assert_eq!(charge["usage"], quote["usage"]);
        assert_eq!(charge["lines"], quote["lines"]);
        assert_eq!(charge["quote_id"], quote["id"]);
        assert_eq!(charge["product"], "assistant");
    }
    // Another account's key cannot use it, alone or not.
    let (status, _) = post(
        "/v1/accounts/b/charges",
        key_b.clone(),
        json!({"quote_id": quotes[0]["id"]}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A range: a charge needs the actual usage, and says so; a hold takes the quote's max.
    let range = json!({"action": "chat", "model": "gpt-4o", "input_tokens": 1_000, "max_output_tokens": 800});
    let (_, ranged) = quote(range).await;
    assert_ne!(ranged["cost"]["min"], ranged["cost"]["max"]);
    let before = server
        .call("GET", "/v1/accounts/a/balance", Some(&key_a), None)
        .await
        .1;
    let (status, problem) = post(
        "/v1/accounts/a/charges",
        key_a.clone(),
        json!({"quote_id": ranged["id"]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["param"], "usage");
    assert!(
        problem["detail"].as_str().unwrap().contains("actual usage"),
        "{problem}"
    );
    let after = server
        .call("GET", "/v1/accounts/a/balance", Some(&key_a), None)
        .await
        .1;
    assert_eq!(
        before["available"], after["available"],
        "a refused charge changes nothing"
    );
    let (status, hold) = post(
        "/v1/accounts/a/holds",
        key_a.clone(),
        json!({"quote_id": ranged["id"]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{hold}");
    assert_eq!(hold["amount"], ranged["cost"]["max"]);
    let capture = format!("/v1/holds/{}/capture", hold["id"].as_str().unwrap());
    let (status, captured) = server
        .call(
            "POST",
            &capture,
            Some(&key_a),
            Some(json!({"usage": chat(1_000, 300)})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{captured}");
    assert_eq!(captured["captured"], quotes[0]["cost"]["max"]);

    // A workflow run's quote: its id carries no steps, so the list must come with it.
    let (_, run) = quote(json!([chat(100, 10), chat(200, 20)])).await;
    for path in ["/v1/accounts/a/charges", "/v1/accounts/a/holds"] {
        let (status, problem) = post(path, key_a.clone(), json!({"quote_id": run["id"]})).await;
        assert_eq!(
            (status, problem["param"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("usage")),
            "{path}: {problem}"
        );
    }
    let (status, hold) = post(
        "/v1/accounts/a/holds",
        key_a.clone(),
        json!({"quote_id": run["id"], "usage": [chat(100, 10), chat(200, 20)]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{hold}");
    assert_eq!(hold["amount"], run["cost"]["max"]);

    // Neither amount, usage nor quote: the error says all three ways.
    let (status, problem) = post("/v1/accounts/a/charges", key_a.clone(), json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        problem["detail"].as_str().unwrap().contains("quote_id"),
        "{problem}"
    );
    server.verify();
}
