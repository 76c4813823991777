//! End to end: an acknowledged write survives SIGKILL. Clients charge from several threads,
//! the server is killed mid-load, restarted on the same file, and every acknowledged charge is
//! there; what was in flight either committed whole (with its idempotency key) or not at all.

mod common;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use common::*;
use serde_json::{Value, json};

const THREADS: usize = 8;
const GRANTED: i64 = 1_000_000;
/// Kill once this many charges were acknowledged.
const ACKNOWLEDGED_BEFORE_KILL: usize = 300;
/// A bound so a server that never dies cannot loop a thread forever.
const REQUESTS_PER_THREAD_MAX: usize = 20_000;
const AMOUNTS: [&str; 4] = ["1", "2.5", "0.125", "3.75"];

/// One charge a client sent: its idempotency key, body, and what came back (if anything).
struct Sent {
    key: String,
    body: Value,
    answer: Option<Resp>,
}

#[test]
fn acknowledged_charges_survive_sigkill() {
    let mut t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "durable");
    grant(&admin, "durable", json!(GRANTED), json!({}));
    let before_crash = admin.post_idem(
        "/v1/accounts/durable/charges",
        "before-crash",
        json!({"amount": 5}),
    );
    before_crash.clone().expect(201);

    let sent: Mutex<Vec<Sent>> = Mutex::new(Vec::new());
    let stop = AtomicBool::new(false);
    let (acks, acked) = mpsc::channel::<()>();
    std::thread::scope(|scope| {
        for thread in 0..THREADS {
            let client = t.admin();
            let sent = &sent;
            let stop = &stop;
            let acks = acks.clone();
            scope.spawn(move || {
                for n in 0..REQUESTS_PER_THREAD_MAX {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let key = format!("load-{thread}-{n}");
                    let body = json!({"amount": num(AMOUNTS[(thread + n) % AMOUNTS.len()])});
                    let text = body.to_string();
                    let answer = client
                        .try_request(
                            "POST",
                            "/v1/accounts/durable/charges",
                            Some(text.as_bytes()),
                            &[("Idempotency-Key", key.as_str())],
                        )
                        .ok();
                    let failed = answer.is_none();
                    if let Some(answer) = &answer {
                        assert_eq!(answer.status, 201, "under load: {}", answer.text);
                        let _ = acks.send(());
                    }
                    sent.lock().unwrap().push(Sent { key, body, answer });
                    if failed {
                        // The server is gone.
                        break;
                    }
                }
            });
        }
        drop(acks);
        // Kill the server mid-load, once enough charges were acknowledged.
        for _ in 0..ACKNOWLEDGED_BEFORE_KILL {
            acked
                .recv()
                .expect("the load threads ended before enough charges were acknowledged");
        }
        t.kill();
        stop.store(true, Ordering::SeqCst);
    });
    let sent = sent.into_inner().unwrap();
    let acknowledged: Vec<&Sent> = sent.iter().filter(|s| s.answer.is_some()).collect();
    let in_flight: Vec<&Sent> = sent.iter().filter(|s| s.answer.is_none()).collect();
    assert!(acknowledged.len() >= ACKNOWLEDGED_BEFORE_KILL);

    t.restart();
    let admin = t.admin();

    // Every acknowledged charge is there, as acknowledged.
    for s in &acknowledged {
        let answer = s.answer.as_ref().unwrap();
        let id = answer.id();
        let read = admin.get(&format!("/v1/charges/{id}")).expect(200);
        assert_eq!(read["amount"], answer["amount"]);
        assert_eq!(read["account_id"], json!("durable"));
    }
    let all = entries(&admin, "durable");
    let charge_entries = of_type(&all, "charge");
    let committed: std::collections::HashSet<&str> = charge_entries
        .iter()
        .map(|entry| entry["charge_id"].as_str().expect("charge_id"))
        .collect();
    for s in &acknowledged {
        let id = s.answer.as_ref().unwrap().id();
        assert!(
            committed.contains(id.as_str()),
            "acknowledged charge {id} is not in the entries after the crash"
        );
    }
    assert!(committed.contains(before_crash.id().as_str()));
    assert!(
        committed.len() > acknowledged.len(),
        "the charge before the load is there too"
    );
    assert!(
        committed.len() <= acknowledged.len() + in_flight.len() + 1,
        "more charges committed than were sent"
    );

    // The balance is what the committed charges leave.
    let spent: i64 = charge_entries
        .iter()
        .map(|entry| -millis(&entry["amount"]))
        .sum();
    let b = balance(&admin, "durable");
    assert_eq!(millis(&b["posted"]), GRANTED * 1000 - spent);
    assert_eq!(millis(&b["available"]), GRANTED * 1000 - spent);
    assert_eq!(b["held"], json!(0));
    t.verify();

    // Idempotency keys survived with their effects: an acknowledged request replays as it was.
    let replay = admin.post_idem(
        "/v1/accounts/durable/charges",
        "before-crash",
        json!({"amount": 5}),
    );
    assert_eq!(replay.status, 201);
    assert!(replay.replayed());
    assert_eq!(replay.body, before_crash.body);
    for s in &acknowledged {
        let replay = admin.post_idem("/v1/accounts/durable/charges", &s.key, s.body.clone());
        assert_eq!(replay.status, 201, "{}", replay.text);
        assert!(replay.replayed(), "{} must replay after the crash", s.key);
        assert_eq!(&replay.body, &s.answer.as_ref().unwrap().body);
    }
    // A request in flight at the crash, retried with its key, has one true outcome: the charge
    // it committed before the crash, or a new one now, never both and never neither.
    eprintln!(
        "durability: {} acknowledged, {} in flight at the kill, {} committed",
        acknowledged.len(),
        in_flight.len(),
        committed.len() - 1
    );
    let mut retried_ids = Vec::new();
    for s in &in_flight {
        let retry = admin.post_idem("/v1/accounts/durable/charges", &s.key, s.body.clone());
        assert_eq!(retry.status, 201, "{}", retry.text);
        assert_eq!(retry["amount"], s.body["amount"]);
        let id = retry.id();
        if retry.replayed() {
            assert!(
                committed.contains(id.as_str()),
                "a replayed in-flight charge {id} must be one that committed"
            );
        } else {
            assert!(!committed.contains(id.as_str()));
        }
        retried_ids.push(id);
    }
    let replayed = retried_ids
        .iter()
        .filter(|id| committed.contains(id.as_str()))
        .count();
    eprintln!("durability: {replayed} of the in-flight requests had committed");
    let all = entries(&admin, "durable");
    let charges_now = of_type(&all, "charge");
    assert_eq!(
        charges_now.len(),
        acknowledged.len() + in_flight.len() + 1,
        "after the retries, every request sent has exactly one charge"
    );
    let spent: i64 = charges_now
        .iter()
        .map(|entry| -millis(&entry["amount"]))
        .sum();
    let sent_total: i64 = sent.iter().map(|s| millis(&s.body["amount"])).sum::<i64>() + 5000;
    assert_eq!(spent, sent_total);
    assert_eq!(
        millis(&balance(&admin, "durable")["available"]),
        GRANTED * 1000 - sent_total
    );
    t.verify();
}

#[test]
fn a_graceful_stop_keeps_everything_and_restarts_cleanly() {
    let mut t = Tally::with_test_clock();
    let admin = t.admin();
    create_account(&admin, "calm");
    grant(&admin, "calm", json!(100), json!({}));
    let c = charge(&admin, "calm", num("10.5")).expect(201).id();
    let h = hold(&admin, "calm", json!(20)).expect(201).id();
    let (_, key) = account_key(&admin, "calm");
    let before = snapshot(&admin, "calm");

    t.stop();
    t.verify();
    t.restart();
    let admin = t.admin();
    assert_eq!(snapshot(&admin, "calm"), before);
    admin.get(&format!("/v1/charges/{c}")).expect(200);
    // A pending hold is still a pending hold, and still capturable.
    let captured = t
        .client(&key)
        .post(&format!("/v1/holds/{h}/capture"), json!({"amount": 5}))
        .expect(200);
    assert_eq!(captured["released"], json!(15));
    assert_eq!(balance(&admin, "calm")["available"], num("84.5"));
    t.verify();
}
