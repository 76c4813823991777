//! End to end: `tally verify` passes on a busy ledger (every kind of entry, several accounts,
//! an overdraft, expiries) and fails, naming the account, once the SQLite file is tampered
//! with behind the server's back.

mod common;

use common::*;
use serde_json::json;

/// Builds a ledger with every kind of entry on `busy`, and a quiet second account `calm`.
fn busy_ledger(t: &Tally) {
    let admin = t.admin();
    create_account(&admin, "busy");
    create_account(&admin, "calm");
    admin
        .post(
            "/v1/accounts",
            json!({"id": "debtor", "overdraft_limit": 30}),
        )
        .expect(201);
    let now = instant(&admin.get("/v1/clock").expect(200)["now"]);

    grant(&admin, "calm", json!(10), json!({}));
    charge(&admin, "calm", num("0.001")).expect(201);

    let soon = plus_seconds(now, 3600);
    grant(&admin, "busy", json!(500), json!({"priority": 1}));
    grant(&admin, "busy", num("120.5"), json!({"expires_at": soon}));
    grant(
        &admin,
        "busy",
        json!(40),
        json!({"effective_at": plus_seconds(now, 600)}),
    );
    let voided = grant(&admin, "busy", json!(25), json!({"source": "adjustment"}));
    for amount in ["1", "2.5", "0.125", "7", "33.333"] {
        charge(&admin, "busy", num(amount)).expect(201);
    }
    let captured = hold(&admin, "busy", json!(30)).expect(201).id();
    admin
        .post(
            &format!("/v1/holds/{captured}/capture"),
            json!({"amount": num("12.25")}),
        )
        .expect(200);
    let voided_hold = hold(&admin, "busy", json!(15)).expect(201).id();
    admin
        .post_empty(&format!("/v1/holds/{voided_hold}/void"))
        .expect(200);
    // Outlives its grant, then is captured.
    let outliving = admin
        .post(
            "/v1/accounts/busy/holds",
            json!({"amount": 50, "ttl_seconds": 7200}),
        )
        .expect(201)
        .id();
    // Expires on its own.
    admin
        .post(
            "/v1/accounts/busy/holds",
            json!({"amount": 5, "ttl_seconds": 1800}),
        )
        .expect(201);
    // Stays pending.
    admin
        .post(
            "/v1/accounts/busy/holds",
            json!({"amount": 3, "ttl_seconds": 86_400}),
        )
        .expect(201);
    admin
        .post_empty(&format!(
            "/v1/grants/{}/void",
            voided["id"].as_str().unwrap()
        ))
        .expect(200);
    charge(&admin, "debtor", json!(25)).expect(201);

    admin
        .post("/v1/clock", json!({"advance_seconds": 3600}))
        .expect(200);
    admin
        .post(
            &format!("/v1/holds/{outliving}/capture"),
            json!({"amount": 20}),
        )
        .expect(200);
    charge(&admin, "busy", json!(10)).expect(201);
    grant(&admin, "debtor", json!(40), json!({}));
    charge(&admin, "debtor", json!(5)).expect(201);

    let all = entries(&admin, "busy");
    for kind in [
        "grant", "charge", "hold", "capture", "release", "expire", "void",
    ] {
        assert!(
            !of_type(&all, kind).is_empty(),
            "the busy ledger has a `{kind}` entry"
        );
    }
}

/// Runs `tally verify`, asserts it fails and names `account` and not `clean`.
#[track_caller]
fn assert_verify_names(db: &std::path::Path, account: &str, clean: &[&str]) {
    let (ok, text) = run_verify(db);
    assert!(
        !ok,
        "`tally verify` must fail on a tampered ledger:\n{text}"
    );
    assert!(
        text.contains(account),
        "`tally verify` must name the account {account}:\n{text}"
    );
    for clean in clean {
        assert!(
            !text.contains(clean),
            "`tally verify` must not blame the untouched account {clean}:\n{text}"
        );
    }
}

#[test]
fn verify_passes_on_a_busy_ledger_and_fails_naming_a_tampered_account() {
    let mut t = Tally::with_test_clock();
    busy_ledger(&t);
    // While the server runs, and once it stopped.
    t.verify();
    t.stop();
    t.verify();

    let connection = rusqlite::Connection::open(t.db()).expect("opening the database");
    let grant_id: String = connection
        .query_row(
            "SELECT id FROM grants WHERE account_id = 'busy' AND remaining - reserved >= 1000
             ORDER BY seq LIMIT 1",
            [],
            |row| row.get(0),
        )
        .expect("a grant of `busy` with a credit to spare");

    // A grant's cache no longer matches its entries.
    let changed = connection
        .execute(
            "UPDATE grants SET remaining = remaining - 1 WHERE id = ?1",
            [&grant_id],
        )
        .expect("tampering with a grant");
    assert_eq!(changed, 1);
    assert_verify_names(t.db(), "busy", &["calm", "debtor"]);
    connection
        .execute(
            "UPDATE grants SET remaining = remaining + 1 WHERE id = ?1",
            [&grant_id],
        )
        .expect("undoing the tampering");
    t.verify();

    // An account's cached balance no longer matches its entries.
    connection
        .execute(
            "UPDATE accounts SET posted = posted + 1000 WHERE id = 'calm'",
            [],
        )
        .expect("tampering with an account");
    assert_verify_names(t.db(), "calm", &["busy", "debtor"]);
    connection
        .execute(
            "UPDATE accounts SET posted = posted - 1000 WHERE id = 'calm'",
            [],
        )
        .expect("undoing the tampering");
    t.verify();

    // Both caches moved together, so they agree with each other but not with the entries.
    connection
        .execute_batch(
            "UPDATE grants SET remaining = remaining + 7000
                 WHERE id = (SELECT id FROM grants WHERE account_id = 'debtor' ORDER BY seq LIMIT 1);
             UPDATE accounts SET posted = posted + 7000 WHERE id = 'debtor';",
        )
        .expect("tampering with a grant and its account");
    assert_verify_names(t.db(), "debtor", &["busy", "calm"]);
    connection
        .execute_batch(
            "UPDATE grants SET remaining = remaining - 7000
                 WHERE id = (SELECT id FROM grants WHERE account_id = 'debtor' ORDER BY seq LIMIT 1);
             UPDATE accounts SET posted = posted - 7000 WHERE id = 'debtor';",
        )
        .expect("undoing the tampering");
    t.verify();

    // An event is missing from an account's sequence (events are append-only: the sequence
    // is moved past them instead).
    connection
        .execute(
            "UPDATE accounts SET event_sequence = event_sequence + 1 WHERE id = 'calm'",
            [],
        )
        .expect("tampering with the event sequence");
    assert_verify_names(t.db(), "calm", &["busy", "debtor"]);
    drop(connection);
}

#[test]
fn verify_passes_after_concurrent_load_on_several_accounts() {
    let t = Tally::start();
    let admin = t.admin();
    let accounts = ["w1", "w2", "w3", "w4"];
    for account in accounts {
        create_account(&admin, account);
        grant(&admin, account, json!(200), json!({}));
        grant(&admin, account, json!(50), json!({"priority": -1}));
    }
    std::thread::scope(|scope| {
        for worker in 0..8 {
            let client = t.admin();
            scope.spawn(move || {
                for n in 0..40 {
                    let account = accounts[(worker + n) % accounts.len()];
                    match n % 3 {
                        0 => {
                            let response = charge(&client, account, num("1.5"));
                            assert!(matches!(response.status, 201 | 402), "{}", response.text);
                        }
                        1 => {
                            let held = hold(&client, account, json!(4));
                            if held.status == 201 {
                                client
                                    .post(
                                        &format!("/v1/holds/{}/capture", held.id()),
                                        json!({"amount": num("2.75")}),
                                    )
                                    .expect(200);
                            }
                        }
                        _ => {
                            let held = hold(&client, account, json!(2));
                            if held.status == 201 {
                                client
                                    .post_empty(&format!("/v1/holds/{}/void", held.id()))
                                    .expect(200);
                            }
                        }
                    }
                }
            });
        }
    });
    for account in accounts {
        let b = balance(&admin, account);
        let all = entries(&admin, account);
        let posted: i64 = all.iter().map(|entry| millis(&entry["amount"])).sum();
        let held: i64 = all.iter().map(|entry| millis(&entry["held"])).sum();
        assert_eq!(
            millis(&b["posted"]),
            posted,
            "{account}: posted = Σ entries"
        );
        assert_eq!(millis(&b["held"]), held, "{account}: held = Σ entries");
        assert_eq!(held, 0);
    }
    t.verify();
}

#[test]
fn verify_checks_that_refunds_never_exceed_what_they_refund() {
    let mut t = Tally::start_sqlite_with(ServeOptions::default());
    let admin = t.admin();
    create_account(&admin, "ref");
    create_account(&admin, "calm");
    grant(&admin, "ref", json!(100), json!({}));
    grant(&admin, "calm", json!(10), json!({}));
    let charge_id = charge(&admin, "ref", json!(10)).expect(201).id();
    admin
        .post(
            &format!("/v1/charges/{charge_id}/refunds"),
            json!({"amount": 4}),
        )
        .expect(201);
    let hold_id = hold(&admin, "ref", json!(10)).expect(201).id();
    admin
        .post(
            &format!("/v1/holds/{hold_id}/capture"),
            json!({"amount": 6}),
        )
        .expect(200);
    admin
        .post(&format!("/v1/holds/{hold_id}/refunds"), json!({}))
        .expect(201);
    assert!(
        !of_type(&entries(&admin, "ref"), "refund").is_empty(),
        "the ledger has refund entries"
    );
    t.verify();
    t.stop();

    let connection = rusqlite::Connection::open(t.db()).expect("opening the database");
    // A refund row beyond the charge: 4 + 7 > 10.
    connection
        .execute(
            "INSERT INTO refunds (id, account_id, charge_id, amount, restored, expired,
                 created_at, spent_at)
             VALUES ('ref_forged', 'ref', ?1, 7000, '', 7000, 1, 1)",
            [&charge_id],
        )
        .expect("forging a refund");
    let (ok, text) = run_verify(t.db());
    assert!(!ok, "{text}");
    assert!(text.contains(&format!("charge {charge_id}")), "{text}");
    assert!(text.contains("exceed"), "{text}");
    assert!(!text.contains("calm"), "{text}");
    connection
        .execute("DELETE FROM refunds WHERE id = 'ref_forged'", [])
        .expect("undoing it");
    t.verify();

    // A hold's `refunded` that its refunds do not add up to.
    connection
        .execute("UPDATE holds SET refunded = 5000 WHERE id = ?1", [&hold_id])
        .expect("tampering with a hold");
    let (ok, text) = run_verify(t.db());
    assert!(!ok, "{text}");
    assert!(text.contains(&format!("hold {hold_id}")), "{text}");
    assert!(text.contains("refunded is 5000"), "{text}");
}

/// Idempotency records are found by the store's index in memory, built when the store opens:
/// after a restart every key still answers its first answer; a record written twice behind
/// the server's back (nothing in SQLite's schema refuses it) is what `verify` reports.
#[test]
fn keys_answer_after_a_restart_and_verify_finds_a_key_recorded_twice() {
    let mut t = Tally::start_sqlite_with(ServeOptions::default());
    let admin = t.admin();
    create_account(&admin, "keyed");
    grant(&admin, "keyed", json!(100), json!({}));
    let mut first = Vec::new();
    for n in 0..20 {
        let body = json!({"amount": 1, "product": "assistant"});
        let answer = admin
            .post_idem("/v1/accounts/keyed/charges", &format!("key-{n}"), body)
            .expect(201);
        first.push(answer.id());
    }
    t.restart();
    let admin = t.admin();
    for (n, id) in first.iter().enumerate() {
        let body = json!({"amount": 1, "product": "assistant"});
        let replay = admin
            .post_idem("/v1/accounts/keyed/charges", &format!("key-{n}"), body)
            .expect(201);
        assert_eq!(replay.header("idempotent-replayed"), Some("true"));
        assert_eq!(&replay.id(), id);
        let other = json!({"amount": 2, "product": "assistant"});
        admin
            .post_idem("/v1/accounts/keyed/charges", &format!("key-{n}"), other)
            .problem(409, "idempotency_conflict");
    }
    // A fresh key after the restart is a new charge.
    let body = json!({"amount": 1, "product": "assistant"});
    admin
        .post_idem("/v1/accounts/keyed/charges", "key-new", body)
        .expect(201);
    let balance = admin.get("/v1/accounts/keyed/balance").expect(200);
    assert_eq!(millis(&balance["available"]), 100_000 - 21_000);
    t.stop();
    t.verify();

    let connection = rusqlite::Connection::open(t.db()).expect("opening the database");
    connection
        .execute(
            "INSERT INTO idempotency (scope, key, request_hash, status, body, created_at)
             SELECT scope, key, request_hash, status, body, created_at FROM idempotency
             WHERE key = 'key-7'",
            [],
        )
        .expect("recording a key twice");
    let (ok, text) = run_verify(t.db());
    assert!(
        !ok,
        "`tally verify` must fail on a key recorded twice:\n{text}"
    );
    assert!(text.contains("\"key-7\""), "it names the key:\n{text}");
    assert!(!text.contains("\"key-8\""), "and no other:\n{text}");
}
