//! Upgrades: a store written by an earlier release (`tests/fixtures/store-v10.db`, made by
//! `scripts/make-upgrade-fixture` with that release's binary) is opened by this one, migrated
//! in place and verified; its balances, its account key, its pending purchase and its plan
//! are as the earlier release left them, and it takes new writes (which then verify too).

mod common;

use std::path::PathBuf;

use common::*;
use serde_json::{Value, json};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn a_store_written_by_release_schema_10_migrates_and_keeps_everything() {
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("store-v10.json")).unwrap()).unwrap();
    assert_eq!(expected["schema_version"], json!(10));
    let dir = TempDir::new("upgrade");
    let db = dir.path().join("tally.db");
    std::fs::copy(fixture("store-v10.db"), &db).unwrap();

    // Migrated by `tally verify` (it opens the store as the server does), and clean.
    verify_ok(&db);
    let version: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("SELECT MAX(version) FROM schema_migrations", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert!(version > 10, "the store was not migrated: {version}");

    let server = Server::start(
        &db,
        &dir.path().join("server.log"),
        &ServeOptions {
            admin_key: expected["admin_key"].as_str().unwrap().to_string(),
            test_clock: true,
            ..ServeOptions::default()
        },
    );
    let admin = server.admin();
    for (account, figures) in expected["balances"].as_object().unwrap() {
        let balance = balance(&admin, account);
        for figure in ["posted", "held", "available"] {
            assert_eq!(
                millis(&balance[figure]),
                figures[figure].as_i64().unwrap() * 1000,
                "{account}: {figure} in {balance}"
            );
        }
    }
    // The account key still signs in, and sees only its account.
    let acme = server.client(expected["acme_key"].as_str().unwrap());
    assert_eq!(millis(&balance(&acme, "acme")["available"]), 740_000);
    acme.get("/v1/accounts/globex/balance").expect(404);
    // The pending purchase can still be paid, once.
    let purchase = expected["pending_purchase"].as_str().unwrap();
    admin
        .post(&format!("/v1/purchases/{purchase}/complete"), json!({}))
        .expect(200);
    assert_eq!(millis(&balance(&admin, "globex")["available"]), 13_800_000);
    // The plan is still on.
    let subscription = admin.get("/v1/accounts/globex/subscription").expect(200);
    assert_eq!(subscription["plan"], json!("starter"));
    // New writes on the migrated store: a charge, and the events it now writes.
    charge(&admin, "initech", json!(1)).problem(402, "insufficient_credits");
    charge(&acme, "acme", json!(40)).expect(201);
    assert_eq!(millis(&balance(&admin, "acme")["available"]), 700_000);
    drop(server);
    verify_ok(&db);
}
