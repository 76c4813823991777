//! One corrupt account on PostgreSQL is quarantined, not the whole ledger: a real `tally
//! serve` on a database of the test's own, two accounts corrupted with SQL behind its back:
//!
//! - `bad-row`: a pending hold whose `reservations` text does not decode (a row that fails to
//!   load);
//! - `bad-sum`: `posted` off by 7 from its grants (a state that breaks an invariant), and
//!   marked due at once (`next_due_at = 0`), so every batch's due-work claim meets it too.
//!
//! Each of them then answers 503 `account_unavailable` (with its `account_id`; a read of the
//! row that does not load too, and the damaged hold named by its id, read or captured, but
//! only to a key that may see its account: to another account's key it is not found), alone
//! and
//! inside a `POST /v1/batch` whose other operations, on a healthy account, succeed; the log
//! names each account and what is wrong with it; a repaired account works again without a
//! restart; `tally verify` is clean at the end.

mod common;

use common::{ServeOptions, Server, TempDir, TestDatabase, run_verify_postgres};
use serde_json::json;

fn problem_account(response: &common::Resp) -> String {
    response.body["account_id"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_corrupt_account_answers_503_and_the_others_keep_working() {
    let database = TestDatabase::create();
    let dir = TempDir::new("pg-quarantine");
    let log = dir.path().join("serve.log");
    let mut server = Server::start_postgres(&database.url, &log, &ServeOptions::default());
    let admin = server.admin();
    for account in ["good", "bad-row", "bad-sum"] {
        admin
            .post("/v1/accounts", json!({"id": account}))
            .expect(201);
        admin
            .post(
                &format!("/v1/accounts/{account}/grants"),
                json!({"amount": 1000}),
            )
            .expect(201);
    }
    let bad_hold = admin
        .post(
            "/v1/accounts/bad-row/holds",
            json!({"amount": 10, "ttl_seconds": 3600}),
        )
        .expect(201)
        .id();
    // Keys of the corrupt account and of another, issued while it still loads.
    let (_, own_key) = common::account_key(&admin, "bad-row");
    let (_, other_key) = common::account_key(&admin, "good");

    let mut sql = postgres::Client::connect(&database.url, postgres::NoTls).expect("connecting");
    let reservations: String = sql
        .query_one(
            "SELECT reservations FROM holds WHERE account_id = 'bad-row'",
            &[],
        )
        .expect("the hold's reservations")
        .get(0);
    sql.batch_execute(
        "UPDATE holds SET reservations = 'not a reservation list' WHERE account_id = 'bad-row';
         UPDATE accounts SET posted = posted + 7, next_due_at = 0 WHERE id = 'bad-sum';",
    )
    .expect("corrupting two accounts");

    // Alone: each corrupt account is 503 account_unavailable; the healthy one works.
    for account in ["bad-row", "bad-sum"] {
        let response = admin.post(
            &format!("/v1/accounts/{account}/charges"),
            json!({"amount": 1}),
        );
        response.problem(503, "account_unavailable");
        assert_eq!(problem_account(&response), account);
    }
    admin
        .post("/v1/accounts/good/charges", json!({"amount": 5}))
        .expect(201);
    // Reading the row that does not load is the same: that account is unavailable (not a
    // 500), the healthy one's list answers.
    let response = admin.get("/v1/accounts/bad-row/holds");
    response.problem(503, "account_unavailable");
    assert_eq!(problem_account(&response), "bad-row");
    admin.get("/v1/accounts/good/holds").expect(200);
    // The damaged hold named by id, read or captured: its account is unavailable to whoever
    // may see it (the admin, its own key), with the account's id; to another account's key it
    // is not found, as any hold of another account is.
    for caller in [admin.clone(), admin.with_key(&own_key)] {
        let response = caller.get(&format!("/v1/holds/{bad_hold}"));
        response.problem(503, "account_unavailable");
        assert_eq!(problem_account(&response), "bad-row");
        let response = caller.post(&format!("/v1/holds/{bad_hold}/capture"), json!({}));
        response.problem(503, "account_unavailable");
        assert_eq!(problem_account(&response), "bad-row");
    }
    let stranger = admin.with_key(&other_key);
    stranger
        .get(&format!("/v1/holds/{bad_hold}"))
        .problem(404, "not_found");
    stranger
        .post(&format!("/v1/holds/{bad_hold}/capture"), json!({}))
        .problem(404, "not_found");

    // In one batch (one engine batch, one transaction): only the corrupt accounts' operations
    // fail.
    let batch = admin
        .post(
            "/v1/batch",
            json!({"operations": [
                {"method": "POST", "path": "/v1/accounts/good/charges", "idempotency_key": "q-1",
                 "body": {"amount": 1}},
                {"method": "POST", "path": "/v1/accounts/bad-row/charges", "idempotency_key": "q-2",
                 "body": {"amount": 1}},
                {"method": "POST", "path": "/v1/accounts/good/charges", "idempotency_key": "q-3",
                 "body": {"amount": 2}},
                {"method": "POST", "path": "/v1/accounts/bad-sum/holds", "idempotency_key": "q-4",
                 "body": {"amount": 1, "ttl_seconds": 60}},
                // The corrupt row itself, named by id: it fails alone too (its route cannot
                // read it), and the operations after it apply.
                {"method": "POST", "path": format!("/v1/holds/{bad_hold}/capture"),
                 "idempotency_key": "q-5", "body": {}},
                {"method": "POST", "path": "/v1/accounts/good/charges", "idempotency_key": "q-6",
                 "body": {"amount": 4}},
            ]}),
        )
        .expect(200);
    let results = batch.body["results"].as_array().expect("results").clone();
    let statuses: Vec<u64> = results
        .iter()
        .map(|result| result["status"].as_u64().expect("a status"))
        .collect();
    assert_eq!(statuses, [201, 503, 201, 503, 503, 201], "{results:?}");
    for (index, account) in [(1, "bad-row"), (3, "bad-sum"), (4, "bad-row")] {
        assert_eq!(results[index]["body"]["code"], json!("account_unavailable"));
        assert_eq!(results[index]["body"]["account_id"], json!(account));
    }
    let balance = admin.get("/v1/accounts/good/balance").expect(200);
    assert_eq!(
        balance.body["available"],
        json!(988),
        "5 + 1 + 2 + 4 charged"
    );

    // The log says which account and what is wrong.
    let logged = std::fs::read_to_string(&log).expect("the server log");
    for account in ["bad-row", "bad-sum"] {
        assert!(
            logged.lines().any(|line| line.contains("does not load")
                && line.contains(account)
                && line.contains("problem")),
            "the log names {account} and its problem:\n{logged}"
        );
    }

    // Repaired (the rows put back as they were, as from a backup), each works again without
    // a restart; the key answered 503 was not recorded, so its retry is a first execution.
    sql.execute(
        "UPDATE holds SET reservations = $1 WHERE account_id = 'bad-row'",
        &[&reservations],
    )
    .expect("repairing bad-row");
    sql.batch_execute("UPDATE accounts SET posted = posted - 7 WHERE id = 'bad-sum'")
        .expect("repairing bad-sum");
    let retried = admin.post_idem("/v1/accounts/bad-row/charges", "q-2", json!({"amount": 1}));
    let retried = retried.expect(201);
    assert!(!retried.replayed(), "a 503'd key was not recorded");
    admin
        .post(
            "/v1/accounts/bad-sum/holds",
            json!({"amount": 1, "ttl_seconds": 60}),
        )
        .expect(201);
    server.stop();
    let (ok, output) = run_verify_postgres(&database.url);
    assert!(ok, "verify: {output}");
}
