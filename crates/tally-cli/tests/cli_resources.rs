//! End to end: the `tally` client commands for accounts, balance, grants, charges, holds,
//! entries, usage, limits, purchases, events and webhook endpoints, run as a subprocess against
//! a real `tally serve`. Each command's output is checked
//! against what the API then says, client flags work after any subcommand, an API error exits 1
//! with the problem's detail, and bad amounts are refused before any request.

mod common;

use std::process::Command;

use common::*;
use serde_json::{Value, json};

/// Runs `tally ARGS…` without any TALLY_* variable: (exit code, stdout, stderr).
fn tally(args: &[&str]) -> (i32, String, String) {
    tally_env(args, &[])
}

fn tally_env(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut command = Command::new(tally_bin());
    command
        .args(args)
        .env_remove("TALLY_URL")
        .env_remove("TALLY_KEY")
        .env_remove("TALLY_ADMIN_KEY")
        .env("RUST_LOG", "warn");
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("running `tally`");
    (
        output.status.code().expect("`tally` exited"),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `tally ARGS… --url … --key ADMIN` (the flags after the subcommand); its stdout.
#[track_caller]
fn ok(t: &Tally, args: &[&str]) -> String {
    let mut all = args.to_vec();
    all.extend_from_slice(&["--url", t.server().base(), "--key", ADMIN_KEY]);
    let (code, stdout, stderr) = tally(&all);
    assert_eq!(code, 0, "`tally {}`:\n{stdout}\n{stderr}", args.join(" "));
    stdout
}

/// The same with `--json`: the API's answer.
#[track_caller]
fn ok_json(t: &Tally, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let stdout = ok(t, &all);
    serde_json::from_str(&stdout).unwrap_or_else(|error| panic!("{error}: {stdout}"))
}

/// Exit code and stderr of a command expected to fail.
#[track_caller]
fn fails(t: &Tally, args: &[&str]) -> (i32, String) {
    let mut all = args.to_vec();
    all.extend_from_slice(&["--url", t.server().base(), "--key", ADMIN_KEY]);
    let (code, stdout, stderr) = tally(&all);
    assert_ne!(code, 0, "`tally {}` succeeded:\n{stdout}", args.join(" "));
    (code, stderr)
}

#[test]
fn accounts_grants_balance_and_entries() {
    let t = Tally::start();
    let admin = t.admin();

    let out = ok(
        &t,
        &[
            "accounts",
            "create",
            "acme",
            "--name",
            "Acme Inc",
            "--overdraft-limit",
            "5.25",
        ],
    );
    assert!(out.contains("created account acme (Acme Inc)"), "{out}");
    let account = admin.get("/v1/accounts/acme").expect(200).body;
    assert_eq!(account["name"], json!("Acme Inc"));
    assert_eq!(millis(&account["overdraft_limit"]), 5250);

    // No id: the server makes one, and --json shows it.
    let generated = ok_json(&t, &["accounts", "create"]);
    let generated_id = generated["id"].as_str().expect("an id").to_string();
    admin
        .get(&format!("/v1/accounts/{generated_id}"))
        .expect(200);

    let list = ok(&t, &["accounts", "list"]);
    assert!(
        list.contains("acme") && list.contains(&generated_id),
        "{list}"
    );
    let first = ok_json(&t, &["accounts", "list", "--limit", "1"]);
    assert_eq!(first["data"].as_array().unwrap().len(), 1);
    assert_eq!(first["has_more"], json!(true));

    let grant = ok_json(
        &t,
        &[
            "grants",
            "create",
            "acme",
            "12.5",
            "--source",
            "adjustment",
            "--priority",
            "-1",
            "--expires-at",
            "2999-01-01T00:00:00Z",
            "--description",
            "welcome",
        ],
    );
    let grant_id = grant["id"].as_str().expect("a grant id").to_string();
    let stored = admin
        .get(&format!("/v1/grants/{grant_id}"))
        .expect(200)
        .body;
    assert_eq!(millis(&stored["amount"]), 12_500);
    assert_eq!(stored["source"], json!("adjustment"));
    assert_eq!(stored["priority"], json!(-1));
    assert_eq!(
        instant(&stored["expires_at"]),
        "2999-01-01T00:00:00Z".parse().unwrap()
    );
    let second = ok(&t, &["grants", "create", "acme", "0.125"]);
    assert!(
        second.contains("0.125 of 0.125 credits remaining"),
        "{second}"
    );

    let show = ok(&t, &["accounts", "show", "acme"]);
    assert!(show.contains("account acme (Acme Inc)"), "{show}");
    assert!(show.contains("available 12.625"), "{show}");
    let text = ok(&t, &["balance", "acme"]);
    assert!(
        text.contains("available 12.625 · posted 12.625 · held 0 · overdraft limit 5.25"),
        "{text}"
    );
    assert!(text.contains(&grant_id), "{text}");
    let json_balance = ok_json(&t, &["balance", "acme"]);
    let api_balance = balance(&admin, "acme");
    for field in ["available", "posted", "held", "overdraft_limit"] {
        assert_eq!(
            millis(&json_balance[field]),
            millis(&api_balance[field]),
            "{field}"
        );
    }

    let grants = ok(&t, &["grants", "list", "acme", "--status", "active"]);
    assert!(grants.contains(&grant_id), "{grants}");
    let voided = ok(&t, &["grants", "void", &grant_id]);
    assert!(voided.contains("voided"), "{voided}");
    let stored = admin
        .get(&format!("/v1/grants/{grant_id}"))
        .expect(200)
        .body;
    assert_eq!(stored["status"], json!("voided"));
    assert_eq!(millis(&balance(&admin, "acme")["available"]), 125);
    let active = ok(&t, &["grants", "list", "acme", "--status", "active"]);
    assert!(!active.contains(&grant_id), "{active}");

    // Entries: the two grants and the void, as the API lists them.
    let api_entries = entries(&admin, "acme");
    let printed = ok(&t, &["entries", "acme"]);
    for entry in &api_entries {
        assert!(printed.contains(entry["id"].as_str().unwrap()), "{printed}");
    }
    let only_grants = ok_json(&t, &["entries", "acme", "--type", "grant"]);
    let types: Vec<&Value> = only_grants["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| &entry["type"])
        .collect();
    assert_eq!(types, vec![&json!("grant"), &json!("grant")]);
    let one = ok_json(&t, &["entries", "acme", "--limit", "1"]);
    assert_eq!(one["data"].as_array().unwrap().len(), 1);
    assert_eq!(one["data"][0]["id"], api_entries[0]["id"]);
    assert_eq!(one["has_more"], json!(true));
    t.verify();
}

#[test]
fn charges_and_holds() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "acme");
    grant(&admin, "acme", json!(100), json!({}));

    // An amount, attributed, with an idempotency key: the second run changes nothing.
    let args = [
        "charge",
        "acme",
        "2.5",
        "--product",
        "assistant",
        "--member",
        "u_1",
        "--idempotency-key",
        "cli-charge-1",
    ];
    let first = ok_json(&t, &args);
    let again = ok_json(&t, &args);
    assert_eq!(first["id"], again["id"]);
    // The replay is said on stderr; stdout is the answer as before.
    let mut with_flags = args.to_vec();
    with_flags.extend_from_slice(&["--url", t.server().base(), "--key", ADMIN_KEY]);
    let (code, stdout, stderr) = tally(&with_flags);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(first["id"].as_str().unwrap()), "{stdout}");
    assert!(
        stderr.contains("replayed: the first answer to Idempotency-Key cli-charge-1"),
        "{stderr}"
    );
    let charge_id = first["id"].as_str().unwrap().to_string();
    let stored = admin
        .get(&format!("/v1/charges/{charge_id}"))
        .expect(200)
        .body;
    assert_eq!(millis(&stored["amount"]), 2500);
    let charge_entries = of_type(&entries(&admin, "acme"), "charge")
        .into_iter()
        .cloned()
        .collect::<Vec<_>>();
    assert_eq!(charge_entries.len(), 1);
    assert_eq!(charge_entries[0]["product"], json!("assistant"));
    assert_eq!(charge_entries[0]["member"], json!("u_1"));

    // A usage: priced as the server quotes it.
    let quote = admin
        .post(
            "/v1/quotes",
            json!({"usage": {"action": "chat", "model": "gpt-4o", "input_tokens": 1000, "output_tokens": 100}}),
        )
        .expect(200)
        .body;
    let text = ok(
        &t,
        &[
            "charge",
            "acme",
            "--model",
            "gpt-4o",
            "--input-tokens",
            "1000",
            "--output-tokens",
            "100",
        ],
    );
    let cost = millis(&quote["cost"]["max"]);
    assert!(cost > 0);
    assert!(
        text.contains(&format!("{} credits", quote["cost"]["max"])),
        "{text} vs {quote}"
    );
    let spent = 2500 + cost;
    assert_eq!(
        millis(&balance(&admin, "acme")["available"]),
        100_000 - spent
    );

    // A hold: created, listed, captured in two parts.
    let hold = ok_json(
        &t,
        &["holds", "create", "acme", "10", "--ttl-seconds", "600"],
    );
    let hold_id = hold["id"].as_str().unwrap().to_string();
    assert_eq!(hold["status"], json!("pending"));
    let pending = ok(&t, &["holds", "list", "acme", "--status", "pending"]);
    assert!(pending.contains(&hold_id), "{pending}");
    let part = ok(
        &t,
        &[
            "holds",
            "capture",
            &hold_id,
            "--amount",
            "3",
            "--final=false",
        ],
    );
    assert!(
        part.contains("pending, 10 credits held, 3 captured"),
        "{part}"
    );
    let last = ok_json(&t, &["holds", "capture", &hold_id, "--amount", "4"]);
    assert_eq!(last["status"], json!("captured"));
    let stored = admin.get(&format!("/v1/holds/{hold_id}")).expect(200).body;
    assert_eq!(stored["status"], json!("captured"));
    assert_eq!(millis(&stored["captured"]), 7000);
    let after = balance(&admin, "acme");
    assert_eq!(millis(&after["available"]), 100_000 - spent - 7000);
    assert_eq!(millis(&after["held"]), 0);

    // Another hold, voided: its credits return.
    let other = ok_json(&t, &["holds", "create", "acme", "1.5"]);
    let other_id = other["id"].as_str().unwrap().to_string();
    assert_eq!(millis(&balance(&admin, "acme")["held"]), 1500);
    let voided = ok(&t, &["holds", "void", &other_id]);
    assert!(voided.contains("voided"), "{voided}");
    assert_eq!(millis(&balance(&admin, "acme")["held"]), 0);
    // A hold from a usage with an upper bound reserves the quote's maximum.
    let bounded = admin
        .post(
            "/v1/quotes",
            json!({"usage": {"action": "chat", "model": "gpt-4o", "input_tokens": 100, "max_output_tokens": 1000}}),
        )
        .expect(200)
        .body;
    let usage_hold = ok_json(
        &t,
        &[
            "holds",
            "create",
            "acme",
            "--model",
            "gpt-4o",
            "--input-tokens",
            "100",
            "--max-output-tokens",
            "1000",
            "--product",
            "assistant",
        ],
    );
    let usage_hold_id = usage_hold["id"].as_str().unwrap().to_string();
    let stored = admin
        .get(&format!("/v1/holds/{usage_hold_id}"))
        .expect(200)
        .body;
    assert_eq!(millis(&stored["amount"]), millis(&bounded["cost"]["max"]));
    assert_eq!(
        millis(&balance(&admin, "acme")["held"]),
        millis(&bounded["cost"]["max"])
    );
    ok(&t, &["holds", "void", &usage_hold_id]);

    let all = ok(&t, &["holds", "list", "acme"]);
    assert!(all.contains(&hold_id) && all.contains(&other_id), "{all}");
    t.verify();
}

#[test]
fn client_flags_work_after_any_subcommand_and_from_the_environment() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "acme");

    // The issue's command: flags after the nested subcommand.
    let out = ok(&t, &["keys", "create", "acme"]);
    let key = out
        .lines()
        .find_map(|line| line.strip_prefix("key: "))
        .expect("the key is printed")
        .trim()
        .to_string();
    t.client(&key).get("/v1/accounts/acme/balance").expect(200);

    // Between the group and its subcommand, as before.
    let (code, stdout, stderr) = tally(&[
        "keys",
        "--url",
        t.server().base(),
        "--key",
        ADMIN_KEY,
        "list",
        "acme",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.lines().count(), 2, "{stdout}");

    // TALLY_URL / TALLY_KEY; an account key acts on its own account.
    let (code, stdout, stderr) = tally_env(
        &["balance", "acme"],
        &[("TALLY_URL", t.server().base()), ("TALLY_KEY", &key)],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("available 0"), "{stdout}");
}

#[test]
fn an_api_error_exits_1_with_the_problem_detail() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "acme");
    grant(&admin, "acme", json!(1), json!({}));
    let before = entries(&admin, "acme").len();

    // The same refused request through the API gives the detail to expect (it changes nothing).
    let refused = charge(&admin, "acme", json!(5));
    let detail = refused.problem(402, "insufficient_credits")["detail"]
        .as_str()
        .unwrap()
        .to_string();
    let (code, stderr) = fails(&t, &["charge", "acme", "5"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("insufficient_credits"), "{stderr}");
    assert!(stderr.contains(&detail), "{stderr} lacks {detail}");

    let (code, stderr) = fails(&t, &["grants", "create", "nobody", "1"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("404 not_found"), "{stderr}");

    // A problem naming a field says which.
    let (code, stderr) = fails(&t, &["grants", "create", "acme", "1", "--source", "gift"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("(param: source)"), "{stderr}");

    // An account key on an admin command.
    let (_, key) = account_key(&admin, "acme");
    let (code, _, stderr) = tally(&[
        "accounts",
        "list",
        "--url",
        t.server().base(),
        "--key",
        &key,
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("403 forbidden"), "{stderr}");

    assert_eq!(entries(&admin, "acme").len(), before);
    assert_eq!(millis(&balance(&admin, "acme")["available"]), 1000);
}

#[test]
fn bad_amounts_are_refused_before_any_request() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "acme");
    grant(&admin, "acme", json!(10), json!({}));
    let before = entries(&admin, "acme");

    let cases: &[(&[&str], &str)] = &[
        (&["charge", "acme", "1.2345"], "more than 3 fraction digits"),
        (&["charge", "acme", "0"], "must be positive"),
        (&["charge", "acme", "1.5.1"], "AMOUNT"),
        (&["charge", "acme", "NaN"], "AMOUNT"),
        (&["charge", "acme"], "AMOUNT"),
        (
            &["grants", "create", "acme", "0.0001"],
            "more than 3 fraction digits",
        ),
        (&["grants", "create", "acme", "abc"], "AMOUNT"),
        (&["holds", "create", "acme", "99999999999999"], "AMOUNT"),
        (
            &["holds", "capture", "hold_x", "--amount=-1"],
            "must be positive",
        ),
        (
            &["accounts", "create", "beta", "--overdraft-limit", "-1"],
            "must not be negative",
        ),
        (
            &["charge", "acme", "1", "--model", "gpt-4o"],
            "cannot be used with",
        ),
    ];
    for (args, says) in cases {
        let (code, stderr) = fails(&t, args);
        assert_eq!(code, 2, "`tally {}`: {stderr}", args.join(" "));
        assert!(
            stderr.contains(says),
            "`tally {}`: {stderr} lacks {says:?}",
            args.join(" ")
        );
    }
    assert_eq!(entries(&admin, "acme"), before);
    admin.get("/v1/accounts/beta").expect(404);
}

#[test]
fn usage_limits_charges_purchases_events_and_webhooks() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "acme");
    grant(&admin, "acme", json!(100), json!({}));

    // Settings: only the flags given change.
    let account = ok_json(
        &t,
        &[
            "accounts",
            "update",
            "acme",
            "--time-zone",
            "Asia/Kolkata",
            "--low-balance-threshold",
            "12.5",
        ],
    );
    assert_eq!(account["time_zone"], json!("Asia/Kolkata"));
    assert_eq!(account["low_balance_threshold"], json!(12.5));
    let read = admin.get("/v1/accounts/acme").expect(200);
    assert_eq!(read["time_zone"], json!("Asia/Kolkata"));
    assert_eq!(read["name"], Value::Null);

    // Limits: set from a JSON list, shown with used and remaining.
    let limits =
        r#"[{"id": "daily", "scope": "product", "match": "*", "window": "day", "max": 50}]"#;
    ok(&t, &["limits", "set", "acme", limits]);
    let charge = ok_json(&t, &["charge", "acme", "7.5", "--product", "chat"]);
    let shown = ok_json(&t, &["limits", "show", "acme"]);
    assert_eq!(
        shown,
        admin.get("/v1/accounts/acme/limits").expect(200).body
    );
    assert_eq!(shown["data"][0]["id"], json!("daily"));
    let text = ok(&t, &["limits", "show", "acme"]);
    assert!(text.contains("daily") && text.contains("50"), "{text}");
    let (code, stderr) = fails(&t, &["limits", "set", "acme", "{not json"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("LIMITS must be a JSON list"), "{stderr}");

    // Charges: listed and shown as the API answers them.
    let id = charge["id"].as_str().unwrap();
    let listed = ok_json(&t, &["charges", "list", "acme"]);
    assert_eq!(listed["data"][0]["id"], json!(id));
    let one = ok_json(&t, &["charges", "show", id]);
    assert_eq!(
        one,
        admin.get(&format!("/v1/charges/{id}")).expect(200).body
    );
    assert!(ok(&t, &["charges", "show", id]).contains("7.5 credits"));

    // Holds extend: more reserved.
    let hold = ok_json(&t, &["holds", "create", "acme", "10"]);
    let hold_id = hold["id"].as_str().unwrap();
    let extended = ok_json(&t, &["holds", "extend", hold_id, "--amount", "5"]);
    assert_eq!(extended["amount"], json!(15));
    assert_eq!(balance(&admin, "acme")["held"], json!(15));

    // Usage: the API's answer, in the account's zone, grouped as asked.
    let usage = ok_json(&t, &["usage", "acme", "--group-by", "product"]);
    let api = admin
        .get("/v1/accounts/acme/usage?group_by=product")
        .expect(200);
    assert_eq!(usage["data"], api["data"]);
    assert_eq!(usage["time_zone"], json!("Asia/Kolkata"));
    assert_eq!(usage["data"][0]["product"], json!("chat"));
    assert_eq!(usage["data"][0]["credits"], json!(7.5));
    let text = ok(
        &t,
        &[
            "usage",
            "acme",
            "--group-by",
            "product",
            "--from",
            "2026-01-01",
        ],
    );
    assert!(
        text.contains("product=chat") && text.contains("Asia/Kolkata"),
        "{text}"
    );

    // Purchases: a pending one is listed for the account and, with --status, for all.
    admin
        .post(
            "/v1/accounts/acme/purchases",
            json!({"pack": "pack_10k", "complete": false}),
        )
        .expect(201);
    let pending = ok_json(&t, &["purchases", "list", "--status", "pending"]);
    assert_eq!(
        pending,
        admin.get("/v1/purchases?status=pending").expect(200).body
    );
    let mine = ok_json(&t, &["purchases", "list", "acme"]);
    let purchase_id = mine["data"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        ok_json(&t, &["purchases", "show", &purchase_id])["account_id"],
        json!("acme")
    );

    // Events: listed newest first and shown; the same as the API.
    let events = ok_json(&t, &["events", "list", "--account", "acme"]);
    assert_eq!(
        events,
        admin.get("/v1/events?account_id=acme").expect(200).body
    );
    let event_id = events["data"][0]["id"].as_str().unwrap().to_string();
    let event = ok_json(&t, &["events", "show", &event_id]);
    assert_eq!(event["id"], json!(event_id));

    // Webhooks: created with the secret shown once, changed, rotated, deleted.
    let endpoint = ok_json(
        &t,
        &[
            "webhooks",
            "create",
            "http://127.0.0.1:9/hooks",
            "--events",
            "refund.created,balance.low",
        ],
    );
    let endpoint_id = endpoint["id"].as_str().unwrap().to_string();
    assert!(endpoint["secret"].as_str().unwrap().starts_with("whsec_"));
    assert_eq!(endpoint["events"], json!(["refund.created", "balance.low"]));
    let listed = ok(&t, &["webhooks", "list"]);
    assert!(
        listed.contains(&endpoint_id) && listed.contains("127.0.0.1:9"),
        "{listed}"
    );
    let changed = ok_json(
        &t,
        &["webhooks", "update", &endpoint_id, "--status", "disabled"],
    );
    assert_eq!(changed["status"], json!("disabled"));
    assert_eq!(
        admin
            .get(&format!("/v1/webhook-endpoints/{endpoint_id}"))
            .expect(200)["status"],
        json!("disabled")
    );
    let rotated = ok_json(&t, &["webhooks", "rotate-secret", &endpoint_id]);
    assert_ne!(rotated["secret"], endpoint["secret"]);
    ok_json(&t, &["webhooks", "deliveries", &endpoint_id]);
    ok(&t, &["webhooks", "delete", &endpoint_id]);
    admin
        .get(&format!("/v1/webhook-endpoints/{endpoint_id}"))
        .problem(404, "not_found");
    t.verify();
}

#[test]
fn keys_plans_packs_subscribe_buy_purchase_refund_quote_and_rate_card_print_json() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "acme");

    let key = ok_json(&t, &["keys", "create", "acme"]);
    let key_id = key["id"].as_str().expect("the key's id").to_string();
    assert!(key_id.starts_with("key_"), "{key}");
    assert!(key["key"].is_string(), "the key is in the answer: {key}");
    assert_eq!(
        ok_json(&t, &["keys", "list", "acme"]),
        admin.get("/v1/accounts/acme/keys").expect(200).body
    );

    assert_eq!(
        ok_json(&t, &["plans"]),
        admin.get("/v1/plans").expect(200).body
    );
    assert_eq!(
        ok_json(&t, &["packs"]),
        admin.get("/v1/packs").expect(200).body
    );

    let subscription = ok_json(&t, &["subscribe", "acme", "pro", "--seats", "2"]);
    assert_eq!(subscription["plan"], json!("pro"));
    assert_eq!(subscription["seats"], json!(2));
    let stored = admin.get("/v1/accounts/acme/subscription").expect(200).body;
    assert_eq!(
        subscription["current_period_end"],
        stored["current_period_end"]
    );

    let pending = ok_json(&t, &["buy", "acme", "pack_10k", "--pending"]);
    assert_eq!(pending["status"], json!("pending"), "{pending}");
    let purchase_id = pending["id"].as_str().unwrap().to_string();
    // --json at the group, before the action, like --url and --key.
    let (code, stdout, stderr) = tally(&[
        "purchase",
        "--json",
        "--url",
        t.server().base(),
        "--key",
        ADMIN_KEY,
        "complete",
        &purchase_id,
        "--payment-reference",
        "inv_1",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let completed: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(completed["status"], json!("completed"));
    assert_eq!(completed["payment_reference"], json!("inv_1"));
    assert_eq!(
        completed,
        admin
            .get(&format!("/v1/purchases/{purchase_id}"))
            .expect(200)
            .body
    );

    let charge = ok_json(&t, &["charge", "acme", "3"]);
    let charge_id = charge["id"].as_str().unwrap().to_string();
    let refund = ok_json(&t, &["refund", &charge_id, "--amount", "1.5"]);
    assert_eq!(refund["amount"], num("1.5"));
    assert_eq!(refund["charge_id"], json!(charge_id));
    let text = ok(&t, &["refund", &charge_id]);
    assert!(text.contains("refunded 1.5 credits"), "{text}");

    let quote_args = [
        "quote",
        "--model",
        "gpt-4o",
        "--input-tokens",
        "1000",
        "--output-tokens",
        "1000",
        "--account",
        "acme",
        "--alternatives",
    ];
    let quote = ok_json(&t, &quote_args);
    assert_eq!(quote["cost"]["max"], json!(13));
    assert_eq!(quote["alternatives"][0]["model"], json!("gpt-4o-mini"));
    assert!(quote["account"]["affordable"] == json!(true), "{quote}");
    let text = ok(&t, &quote_args);
    assert!(
        text.contains("cheaper: gpt-4o-mini at 1 credits (affordable)"),
        "{text}"
    );

    assert_eq!(
        ok_json(&t, &["rate-card", "show"]),
        admin.get("/v1/rate-card").expect(200).body
    );

    let revoked = ok_json(&t, &["keys", "revoke", &key_id]);
    assert_eq!(revoked["id"], json!(key_id), "{revoked}");
    t.verify();
}

#[test]
fn every_client_command_documents_the_client_flags_in_its_help() {
    for command in [
        "accounts",
        "balance",
        "grants",
        "charge",
        "holds",
        "entries",
        "usage",
        "limits",
        "charges",
        "purchases",
        "events",
        "webhooks",
        "keys",
        "refund",
        "quote",
        "plans",
        "packs",
        "subscribe",
        "buy",
        "purchase",
        "rate-card",
    ] {
        let (code, stdout, stderr) = tally(&[command, "--help"]);
        assert_eq!(code, 0, "`tally {command} --help`: {stderr}");
        for flag in ["--url", "--key", "--json"] {
            assert!(
                stdout.contains(flag),
                "`tally {command} --help` does not name {flag}:\n{stdout}"
            );
        }
    }
    for command in [
        &["keys", "create"][..],
        &["purchase", "complete"],
        &["rate-card", "show"],
        &["holds", "capture"],
        &["webhooks", "list"],
    ] {
        let mut args = command.to_vec();
        args.push("--help");
        let (code, stdout, stderr) = tally(&args);
        assert_eq!(code, 0, "`tally {}`: {stderr}", args.join(" "));
        for flag in ["--url", "--key", "--json"] {
            assert!(
                stdout.contains(flag),
                "`tally {}` does not name {flag}:\n{stdout}",
                args.join(" ")
            );
        }
    }
}
