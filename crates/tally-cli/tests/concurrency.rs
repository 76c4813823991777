//! End to end: many clients racing on one account never overspend, and the ledger adds up.

mod common;

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use serde_json::json;

const THREADS: usize = 64;
const CHARGES: usize = 500;

#[test]
fn sixty_four_clients_racing_on_one_account_never_overspend() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "hot");
    grant(&admin, "hot", json!(1000), json!({}));
    let (_, key) = account_key(&admin, "hot");

    let next = AtomicUsize::new(0);
    let answers: Mutex<Vec<Resp>> = Mutex::new(Vec::with_capacity(CHARGES));
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            // Each thread its own client (its own connections).
            let client = t.client(&key);
            let next = &next;
            let answers = &answers;
            scope.spawn(move || {
                while next.fetch_add(1, Ordering::SeqCst) < CHARGES {
                    let response = charge(&client, "hot", json!(7));
                    answers.lock().unwrap().push(response);
                }
            });
        }
    });
    let answers = answers.into_inner().unwrap();
    assert_eq!(answers.len(), CHARGES);

    let mut created = Vec::new();
    let mut refused = 0;
    for response in &answers {
        match response.status {
            201 => {
                assert_eq!(response["amount"], json!(7));
                created.push(response.id());
            }
            402 => {
                let problem = response.problem(402, "insufficient_credits");
                // Available only ever drops by 7 from 1000, so below 7 it is exactly 6.
                assert_eq!(problem["available"], json!(6), "{}", response.text);
                assert_eq!(problem["required"], json!(7), "{}", response.text);
                refused += 1;
            }
            other => panic!("a charge answered {other}: {}", response.text),
        }
    }
    assert_eq!(created.len(), 142, "exactly 142 charges of 7 fit in 1000");
    assert_eq!(refused, CHARGES - 142);
    created.sort();
    created.dedup();
    assert_eq!(created.len(), 142, "every charge has its own id");

    // Every acknowledged available_after is distinct: each charge saw the one before it.
    let mut after: Vec<i64> = answers
        .iter()
        .filter(|response| response.status == 201)
        .map(|response| millis(&response["available_after"]))
        .collect();
    after.sort();
    let expected: Vec<i64> = (0..142).map(|n| 6000 + n * 7000).collect();
    assert_eq!(after, expected);

    let b = balance(&admin, "hot");
    assert_eq!(b["available"], json!(6));
    assert_eq!(b["posted"], json!(6));
    assert_eq!(b["held"], json!(0));
    let all = entries(&admin, "hot");
    let charges = of_type(&all, "charge");
    assert_eq!(charges.len(), 142);
    let mut ledger_ids: Vec<String> = charges
        .iter()
        .map(|entry| entry["charge_id"].as_str().unwrap().to_string())
        .collect();
    ledger_ids.sort();
    assert_eq!(
        ledger_ids, created,
        "the ledger holds exactly the acknowledged charges"
    );
    t.verify();
}

#[test]
fn racing_holds_and_charges_respect_available() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "mixed");
    grant(&admin, "mixed", json!(500), json!({}));

    let next = AtomicUsize::new(0);
    let answers: Mutex<Vec<(usize, Resp)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..16 {
            let client = t.admin();
            let next = &next;
            let answers = &answers;
            scope.spawn(move || {
                loop {
                    let n = next.fetch_add(1, Ordering::SeqCst);
                    if n >= 300 {
                        break;
                    }
                    // Charges of 3, holds of 5 captured at 2 (3 released) or voided.
                    let response = if n.is_multiple_of(2) {
                        charge(&client, "mixed", json!(3))
                    } else {
                        let held = hold(&client, "mixed", json!(5));
                        if held.status == 201 {
                            let id = held.id();
                            let resolved = if n % 4 == 1 {
                                client
                                    .post(&format!("/v1/holds/{id}/capture"), json!({"amount": 2}))
                            } else {
                                client.post_empty(&format!("/v1/holds/{id}/void"))
                            };
                            assert_eq!(resolved.status, 200, "{}", resolved.text);
                            resolved
                        } else {
                            held
                        }
                    };
                    answers.lock().unwrap().push((n, response));
                }
            });
        }
    });
    let answers = answers.into_inner().unwrap();
    let mut spent = 0;
    for (n, response) in &answers {
        match response.status {
            200 | 201 => {
                if n.is_multiple_of(2) {
                    spent += 3000;
                } else if n % 4 == 1 {
                    assert_eq!(response["captured"], json!(2));
                    assert_eq!(response["released"], json!(3));
                    spent += 2000;
                } else {
                    assert_eq!(response["status"], json!("voided"));
                }
            }
            402 => {
                let problem = response.problem(402, "insufficient_credits");
                let available = millis(&problem["available"]);
                let required = millis(&problem["required"]);
                assert!(
                    available < required,
                    "a 402 means available < required: {}",
                    response.text
                );
            }
            other => panic!("answered {other}: {}", response.text),
        }
    }
    let b = balance(&admin, "mixed");
    assert_eq!(millis(&b["posted"]), 500_000 - spent);
    assert_eq!(b["held"], json!(0));
    assert!(millis(&b["available"]) >= 0, "no overspend: {b}");
    t.verify();
}

#[test]
fn the_same_idempotency_key_from_many_threads_charges_once() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "once");
    grant(&admin, "once", json!(100), json!({}));

    let answers: Mutex<Vec<Resp>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..32 {
            let client = t.admin();
            let answers = &answers;
            scope.spawn(move || {
                for _ in 0..4 {
                    let response = client.post_idem(
                        "/v1/accounts/once/charges",
                        "exactly-once",
                        json!({"amount": num("12.5")}),
                    );
                    answers.lock().unwrap().push(response);
                }
            });
        }
    });
    let answers = answers.into_inner().unwrap();
    assert_eq!(answers.len(), 128);
    let originals: Vec<&Resp> = answers.iter().filter(|r| !r.replayed()).collect();
    assert_eq!(originals.len(), 1, "exactly one answer is not a replay");
    for response in &answers {
        assert_eq!(response.status, 201, "{}", response.text);
        assert_eq!(response.body, originals[0].body);
    }
    let b = balance(&admin, "once");
    assert_eq!(b["available"], num("87.5"));
    assert_eq!(of_type(&entries(&admin, "once"), "charge").len(), 1);
    t.verify();
}
