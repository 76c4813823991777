//! End to end: a mixed workload through real `tally serve` processes, killed with SIGKILL at
//! seeded random points, over and over, on the same store.
//!
//! Several client threads send grants, charges, holds, partial and final captures, voids,
//! purchases (paid at once, and pending then completed), refunds, plan changes and keyed
//! retries of earlier requests, every one with an `Idempotency-Key`, while the server also
//! checkpoints its WAL (every 50 ms) and delivers every event to a webhook receiver. The kill
//! lands after a seeded number of answers and a seeded delay (which decide only *when*: early
//! in a batch, during a commit, a checkpoint or a delivery); the verdict is never timed. After
//! each restart:
//!
//! - every request in flight at the kill is retried with its key: it gets one answer, a replay
//!   when it had committed;
//! - every answer given before (this round's, and a sample of older ones) replays exactly,
//!   status and body, marked `Idempotent-Replayed`;
//! - the ledger holds every acknowledged operation exactly once (one `grant` entry per grant
//!   answered, one `charge` per charge, one `hold` per hold, a `capture` per capture answered,
//!   a `refund` per refund, one grant per completed purchase), and nothing else: no entry names
//!   a charge, hold or grant no answer gave (plan grants excepted, which no answer names);
//! - every hold, charge, purchase and subscription reads as its last answer left it;
//! - every admin action answered has exactly one audit record, and there is no other;
//! - no event the receiver got is missing from the store, and `tally verify` is clean.
//!
//! At the end every stored event has been delivered at least once.
//!
//! ```text
//! TALLY_KILL_LOOP_SEED=<n> cargo test -p tally-cli --test kill_loop     # replay one seed
//! TALLY_KILL_LOOP_KILLS=1000 cargo test -p tally-cli --test kill_loop   # the long run
//! ```

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::receiver::{Receiver, wait_for};
use common::*;
use serde_json::{Value, json};

const SEED_VARIABLE: &str = "TALLY_KILL_LOOP_SEED";
const KILLS_VARIABLE: &str = "TALLY_KILL_LOOP_KILLS";
/// Kills in the default run (scripts/test).
const KILLS_DEFAULT: usize = 100;
const THREADS: usize = 4;
const ACCOUNTS: [&str; 3] = ["kl-a", "kl-b", "kl-c"];
/// A bound on one round's requests per thread, so a server that never dies cannot loop.
const REQUESTS_PER_ROUND_MAX: usize = 2_000;
/// Older answers replayed after each restart (besides all of the round's).
const OLD_REPLAYS_PER_ROUND: usize = 25;

/// A small deterministic generator (SplitMix64).
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }

    /// From `low` to `high`, both included.
    fn between(&mut self, low: i64, high: i64) -> i64 {
        low + self.below((high - low + 1) as u64) as i64
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// Millicredits as the API's decimal text (`12345` → `12.345`).
fn credits(millis: i64) -> Value {
    assert!(millis >= 0);
    num(&format!("{}.{:03}", millis / 1000, millis % 1000))
}

/// What a request does, and on what: how its answer changes what the loop knows.
#[derive(Clone, Debug)]
enum Kind {
    Grant,
    Charge,
    Hold,
    CapturePart {
        hold: String,
    },
    CaptureFinal {
        hold: String,
    },
    VoidHold {
        hold: String,
    },
    /// An admin's purchase, paid at once (completed with its grant).
    PurchasePaid,
    PurchasePending,
    CompletePurchase {
        purchase: String,
    },
    Refund {
        charge: String,
    },
    Subscribe,
    /// The same request as op `of`, with its key: it must replay that op's answer.
    Retry {
        of: usize,
    },
}

#[derive(Clone, Debug)]
struct Op {
    key: String,
    method: &'static str,
    path: String,
    body: Value,
    account: String,
    kind: Kind,
}

/// One request the loop sent, and its answer once it has one.
#[derive(Clone, Debug)]
struct Sent {
    op: Op,
    round: usize,
    answer: Option<Resp>,
}

/// A pending hold the loop may act on, and how much of it is not captured yet.
#[derive(Clone, Debug)]
struct HoldRef {
    id: String,
    account: String,
    uncaptured: i64,
}

#[derive(Clone, Debug)]
struct ChargeRef {
    id: String,
    account: String,
    refundable: i64,
}

/// What the loop knows, shared by the client threads. A hold, charge or purchase is taken out
/// while a request acts on it (so requests on one thing are sequential, as a client's would
/// be) and put back, as its answer left it.
#[derive(Default)]
struct World {
    sent: Vec<Sent>,
    holds: Vec<HoldRef>,
    charges: Vec<ChargeRef>,
    pending_purchases: Vec<(String, String)>,
    /// Wrong answers seen by the client threads (reported by the main thread, with the seed).
    failures: Vec<String>,
    /// The accounts' first grants, made before the loop.
    setup_grants: HashSet<String>,
    /// The receiver's webhook endpoint, made before the loop (an admin action too).
    setup_endpoint: String,
    /// Accounts with a plan change in flight.
    plans_busy: HashSet<String>,
}

/// Counts for the closing note.
#[derive(Default, Debug)]
struct Figures {
    kills: usize,
    requests: usize,
    answered: usize,
    in_flight_at_kills: usize,
    in_flight_committed: usize,
    replays_checked: usize,
    live_retries: usize,
    /// Acknowledged operations, each checked in the ledger after every later restart.
    operations: usize,
    operation_checks: usize,
    events: usize,
    deliveries: usize,
}

impl World {
    /// Takes what a new request acts on, and builds it.
    fn next_op(&mut self, rng: &mut Rng, key: String) -> Op {
        let account = ACCOUNTS[rng.below(ACCOUNTS.len() as u64) as usize].to_string();
        let roll = rng.below(100);
        let op = |method, path: String, body, kind| Op {
            key: key.clone(),
            method,
            path,
            body,
            account: account.clone(),
            kind,
        };
        match roll {
            0..=7 => op(
                "POST",
                format!("/v1/accounts/{account}/grants"),
                json!({"amount": credits(rng.between(100_000, 2_000_000))}),
                Kind::Grant,
            ),
            8..=29 => op(
                "POST",
                format!("/v1/accounts/{account}/charges"),
                json!({"amount": credits(rng.between(1, 60_000)), "product": "chat"}),
                Kind::Charge,
            ),
            30..=44 => op(
                "POST",
                format!("/v1/accounts/{account}/holds"),
                json!({"amount": credits(rng.between(2, 80_000)), "ttl_seconds": 86_400}),
                Kind::Hold,
            ),
            45..=64 if !self.holds.is_empty() => {
                let index = rng.below(self.holds.len() as u64) as usize;
                let hold = self.holds.swap_remove(index);
                let path = |action: &str| format!("/v1/holds/{}/{action}", hold.id);
                let roll = rng.below(100);
                let (method, path, body, kind) = if roll < 40 && hold.uncaptured >= 2 {
                    let amount = rng.between(1, hold.uncaptured / 2);
                    let body = json!({"amount": credits(amount), "final": false});
                    let kind = Kind::CapturePart {
                        hold: hold.id.clone(),
                    };
                    ("POST", path("capture"), body, kind)
                } else if roll < 80 {
                    let amount = rng.between(1, hold.uncaptured.max(1));
                    let body = json!({"amount": credits(amount)});
                    let kind = Kind::CaptureFinal {
                        hold: hold.id.clone(),
                    };
                    ("POST", path("capture"), body, kind)
                } else {
                    let kind = Kind::VoidHold {
                        hold: hold.id.clone(),
                    };
                    ("POST", path("void"), json!({}), kind)
                };
                Op {
                    key,
                    method,
                    path,
                    body,
                    account: hold.account,
                    kind,
                }
            }
            65..=74 if !self.charges.is_empty() => {
                let index = rng.below(self.charges.len() as u64) as usize;
                let charge = self.charges.swap_remove(index);
                let amount = if rng.chance(15) {
                    charge.refundable + 1
                } else {
                    rng.between(1, charge.refundable.max(1))
                };
                Op {
                    key,
                    method: "POST",
                    path: format!("/v1/charges/{}/refunds", charge.id),
                    body: json!({"amount": credits(amount), "reason": "kill loop"}),
                    account: charge.account,
                    kind: Kind::Refund { charge: charge.id },
                }
            }
            75..=79 => op(
                "POST",
                format!("/v1/accounts/{account}/purchases"),
                json!({"pack": "pack_10k"}),
                Kind::PurchasePaid,
            ),
            80..=84 => op(
                "POST",
                format!("/v1/accounts/{account}/purchases"),
                json!({"pack": "pack_10k", "complete": false}),
                Kind::PurchasePending,
            ),
            85..=88 if !self.pending_purchases.is_empty() => {
                let index = rng.below(self.pending_purchases.len() as u64) as usize;
                let (purchase, account) = self.pending_purchases.swap_remove(index);
                Op {
                    key: key.clone(),
                    method: "POST",
                    path: format!("/v1/purchases/{purchase}/complete"),
                    body: json!({"payment_reference": format!("pay-{key}")}),
                    account,
                    kind: Kind::CompletePurchase { purchase },
                }
            }
            89..=91 if self.plans_busy.insert(account.clone()) => {
                // One plan change at a time per account (the slot is freed by its answer), so
                // the order they were sent in is the order they took effect.
                let plan = if rng.chance(60) { "starter" } else { "pro" };
                op(
                    "PUT",
                    format!("/v1/accounts/{account}/subscription"),
                    json!({"plan": plan, "seats": rng.between(1, 3)}),
                    Kind::Subscribe,
                )
            }
            _ => {
                let answered: Vec<usize> = self
                    .sent
                    .iter()
                    .enumerate()
                    .filter(|(_, sent)| {
                        !matches!(sent.op.kind, Kind::Retry { .. })
                            && sent.answer.as_ref().is_some_and(|a| a.status < 300)
                    })
                    .map(|(index, _)| index)
                    .collect();
                if answered.is_empty() {
                    return self.next_op(rng, key);
                }
                let of = answered[rng.below(answered.len() as u64) as usize];
                let first = &self.sent[of].op;
                Op {
                    kind: Kind::Retry { of },
                    ..first.clone()
                }
            }
        }
    }

    /// Takes note of an answer: what it made or changed is available again, as it is now.
    fn absorb(&mut self, index: usize, answer: &Resp) {
        let op = self.sent[index].op.clone();
        let ok = answer.status < 300;
        match &op.kind {
            Kind::Hold if ok => self.holds.push(HoldRef {
                id: answer.id(),
                account: op.account.clone(),
                uncaptured: millis(&answer["amount"]),
            }),
            Kind::CapturePart { hold } | Kind::CaptureFinal { hold } | Kind::VoidHold { hold } => {
                let pending = if ok {
                    answer["status"] == json!("pending")
                } else {
                    // Refused: the hold is as it was (a 409 only when it is not pending).
                    answer.status != 409
                };
                if pending {
                    let uncaptured = if ok {
                        millis(&answer["amount"]) - millis(&answer["captured"])
                    } else {
                        self.last_hold_state(hold)
                    };
                    self.holds.push(HoldRef {
                        id: hold.clone(),
                        account: op.account.clone(),
                        uncaptured,
                    });
                }
            }
            Kind::Charge if ok => self.charges.push(ChargeRef {
                id: answer.id(),
                account: op.account.clone(),
                refundable: millis(&answer["amount"]),
            }),
            Kind::Refund { charge } => {
                let before = self.refundable(charge);
                let refunded = if ok { millis(&answer["amount"]) } else { 0 };
                self.charges.push(ChargeRef {
                    id: charge.clone(),
                    account: op.account.clone(),
                    refundable: before - refunded,
                });
            }
            Kind::PurchasePending if ok => {
                self.pending_purchases
                    .push((answer.id(), op.account.clone()));
            }
            Kind::CompletePurchase { purchase } if !ok && answer.status != 409 => {
                self.pending_purchases
                    .push((purchase.clone(), op.account.clone()));
            }
            Kind::Subscribe => {
                self.plans_busy.remove(&op.account);
            }
            _ => {}
        }
        self.sent[index].answer = Some(answer.clone());
    }

    /// What is left to capture of a hold, by the last successful answer about it.
    fn last_hold_state(&self, hold: &str) -> i64 {
        for sent in self.sent.iter().rev() {
            let Some(answer) = sent.answer.as_ref().filter(|a| a.status < 300) else {
                continue;
            };
            let about = match &sent.op.kind {
                Kind::Hold => answer.body["id"] == json!(hold),
                Kind::CapturePart { hold: id } => id == hold,
                _ => false,
            };
            if about {
                return millis(&answer["amount"]) - millis(&answer["captured"]);
            }
        }
        panic!("kill loop: no answer about hold {hold}")
    }

    /// What is left to refund of a charge, by its answer and the refunds answered since.
    fn refundable(&self, charge: &str) -> i64 {
        let mut left = None;
        for sent in &self.sent {
            let Some(answer) = sent.answer.as_ref().filter(|a| a.status < 300) else {
                continue;
            };
            match &sent.op.kind {
                Kind::Charge if answer.body["id"] == json!(charge) => {
                    left = Some(millis(&answer["amount"]));
                }
                Kind::Refund { charge: id } if id == charge => {
                    left = left.map(|left| left - millis(&answer["amount"]));
                }
                _ => {}
            }
        }
        left.unwrap_or_else(|| panic!("kill loop: no answer about charge {charge}"))
    }
}

/// Sends an op; `None` when the connection failed (the server died under it).
fn send(client: &Client, op: &Op) -> Option<Resp> {
    let text = op.body.to_string();
    client
        .try_request(
            op.method,
            &op.path,
            Some(text.as_bytes()),
            &[("Idempotency-Key", op.key.as_str())],
        )
        .ok()
}

/// Prints the seed when the test fails, so the run can be replayed.
struct SeedNote(u64);

impl Drop for SeedNote {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "kill loop FAILED with seed {seed}: replay with {SEED_VARIABLE}={seed} cargo test \
                 -p tally-cli --test kill_loop",
                seed = self.0
            );
        }
    }
}

#[test]
fn acknowledged_operations_survive_kill_9_exactly_once() {
    let seed = match std::env::var(SEED_VARIABLE) {
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{SEED_VARIABLE}={text:?} is not a number")),
        Err(_) => random_u64() % 1_000_000,
    };
    let kills = match std::env::var(KILLS_VARIABLE) {
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{KILLS_VARIABLE}={text:?} is not a number")),
        Err(_) => KILLS_DEFAULT,
    };
    let _note = SeedNote(seed);
    eprintln!("kill loop: seed {seed}, {kills} kills ({SEED_VARIABLE}={seed} replays it)");
    let started = Instant::now();
    let mut rng = Rng(seed ^ 0x6B11_100F_5EED_0001);

    let receiver = Receiver::start();
    let mut t = Tally::start_with(ServeOptions {
        // A delivery a killed server had leased is taken up again soon after the restart.
        webhook_lease_seconds: Some(1),
        ..ServeOptions::default()
    });
    let admin = t.admin();
    let endpoint = admin
        .post("/v1/webhook-endpoints", json!({"url": receiver.url()}))
        .expect(201);
    receiver.secrets(&[endpoint["secret"].as_str().expect("a secret")]);
    let mut world = World {
        setup_endpoint: endpoint.id(),
        ..World::default()
    };
    for account in ACCOUNTS {
        create_account(&admin, account);
        let first = grant(&admin, account, json!(5_000), json!({}));
        world
            .setup_grants
            .insert(first["id"].as_str().expect("a grant id").to_string());
    }

    let world = Mutex::new(world);
    let mut figures = Figures::default();
    for round in 0..kills {
        run_round(&mut t, &world, &mut rng, round, &mut figures);
        t.restart();
        check_after_restart(&t, &world, &mut rng, round, &receiver, &mut figures);
    }

    // Every event the store has reaches the receiver (at least once), and only those.
    let admin = t.admin();
    let events: BTreeSet<String> = list_all(&admin, "/v1/events")
        .iter()
        .map(|event| event["id"].as_str().expect("an event id").to_string())
        .collect();
    let delivered = wait_for(
        "every event delivered at least once",
        || delivered_ids(&receiver),
        |delivered| events.iter().all(|id| delivered.contains(id)),
    );
    let phantom: Vec<&String> = delivered.difference(&events).collect();
    assert!(phantom.is_empty(), "delivered, never stored: {phantom:?}");
    figures.events = events.len();
    figures.operations = check_ledger(&admin, &world.lock().unwrap(), None);
    figures.operation_checks += figures.operations;
    figures.deliveries = receiver.delivered().len();
    t.verify();
    eprintln!(
        "kill loop: seed {seed}: {figures:#?}\nkill loop: {} kills in {:.1?}",
        figures.kills,
        started.elapsed()
    );
}

/// The ids of the events the receiver accepted.
fn delivered_ids(receiver: &Receiver) -> BTreeSet<String> {
    receiver
        .delivered()
        .iter()
        .map(|entry| entry["id"].as_str().expect("a webhook id").to_string())
        .collect()
}

/// One round: the client threads send requests until the server is killed under them.
fn run_round(t: &mut Tally, world: &Mutex<World>, rng: &mut Rng, round: usize, f: &mut Figures) {
    let answers_before_kill = rng.between(0, 120) as usize;
    let delay = Duration::from_micros(rng.between(0, 20_000) as u64);
    let stop = AtomicBool::new(false);
    let (answered, answers) = mpsc::channel::<()>();
    let seeds: Vec<u64> = (0..THREADS).map(|_| rng.next()).collect();
    std::thread::scope(|scope| {
        for (thread, seed) in seeds.into_iter().enumerate() {
            let client = t.admin();
            let answered = answered.clone();
            let stop = &stop;
            scope.spawn(move || {
                let mut rng = Rng(seed);
                for n in 0..REQUESTS_PER_ROUND_MAX {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let key = format!("r{round}-t{thread}-n{n}");
                    let index = {
                        let mut world = world.lock().unwrap();
                        let op = world.next_op(&mut rng, key);
                        world.sent.push(Sent {
                            op,
                            round,
                            answer: None,
                        });
                        world.sent.len() - 1
                    };
                    let op = world.lock().unwrap().sent[index].op.clone();
                    let Some(answer) = send(&client, &op) else {
                        // The server is gone: this request is in flight at the kill.
                        return;
                    };
                    let mut world = world.lock().unwrap();
                    if let Kind::Retry { of } = op.kind {
                        let first = world.sent[of].answer.clone().expect("answered");
                        if let Some(wrong) = replay_mismatch(&first, &answer) {
                            world
                                .failures
                                .push(format!("live retry of {}: {wrong}", op.key));
                        }
                    } else if answer.status >= 500 {
                        world
                            .failures
                            .push(format!("{} {}: {}", op.method, op.path, answer.text));
                    }
                    world.absorb(index, &answer);
                    drop(world);
                    let _ = answered.send(());
                }
            });
        }
        drop(answered);
        for _ in 0..answers_before_kill {
            if answers.recv().is_err() {
                break;
            }
        }
        // Decides only when the kill lands, not what is checked after it.
        std::thread::sleep(delay);
        t.kill();
        stop.store(true, Ordering::SeqCst);
    });
    f.kills += 1;
}

/// Why `again` is not a replay of `first`, if it is not.
fn replay_mismatch(first: &Resp, again: &Resp) -> Option<String> {
    if again.status != first.status || again.body != first.body || !again.replayed() {
        return Some(format!(
            "expected a replay of {} {}, got {} (replayed: {}) {}",
            first.status,
            first.text,
            again.status,
            again.replayed(),
            again.text
        ));
    }
    None
}

fn check_after_restart(
    t: &Tally,
    world: &Mutex<World>,
    rng: &mut Rng,
    round: usize,
    receiver: &Receiver,
    f: &mut Figures,
) {
    let admin = t.admin();
    let mut world = world.lock().unwrap();
    let failures = std::mem::take(&mut world.failures);
    assert!(failures.is_empty(), "round {round}: {failures:#?}");

    // What was in flight at the kill gets one answer now: a replay when it had committed.
    let in_flight: Vec<usize> = (0..world.sent.len())
        .filter(|index| world.sent[*index].answer.is_none())
        .collect();
    f.in_flight_at_kills += in_flight.len();
    for index in in_flight {
        let op = world.sent[index].op.clone();
        let answer = send(&admin, &op).unwrap_or_else(|| {
            panic!(
                "round {round}: retrying {} after the restart failed",
                op.key
            )
        });
        assert!(
            answer.status < 500,
            "round {round}: the retry of {} {}: {}",
            op.method,
            op.path,
            answer.text
        );
        if let Kind::Retry { of } = op.kind {
            let first = world.sent[of].answer.clone().expect("answered");
            if let Some(wrong) = replay_mismatch(&first, &answer) {
                panic!(
                    "round {round}: retry {} in flight at the kill: {wrong}",
                    op.key
                );
            }
        }
        if answer.replayed() {
            f.in_flight_committed += 1;
        }
        world.absorb(index, &answer);
    }

    // Every answer given replays: all of this round's, and some of the earlier ones.
    let round_answers: Vec<usize> = (0..world.sent.len())
        .filter(|index| {
            let sent = &world.sent[*index];
            sent.round == round
                && !matches!(sent.op.kind, Kind::Retry { .. })
                && sent.answer.as_ref().is_some_and(|a| a.status < 300)
        })
        .collect();
    let older: Vec<usize> = (0..world.sent.len())
        .filter(|index| {
            let sent = &world.sent[*index];
            sent.round < round
                && !matches!(sent.op.kind, Kind::Retry { .. })
                && sent.answer.as_ref().is_some_and(|a| a.status < 300)
        })
        .collect();
    let mut to_replay = round_answers;
    for _ in 0..OLD_REPLAYS_PER_ROUND.min(older.len()) {
        to_replay.push(older[rng.below(older.len() as u64) as usize]);
    }
    for index in to_replay {
        let sent = &world.sent[index];
        let again = send(&admin, &sent.op).expect("the restarted server answers");
        if let Some(wrong) = replay_mismatch(sent.answer.as_ref().expect("answered"), &again) {
            panic!(
                "round {round}: {} {}: {wrong}",
                sent.op.method, sent.op.path
            );
        }
        f.replays_checked += 1;
    }
    f.requests = world.sent.len();
    f.answered = world.sent.iter().filter(|s| s.answer.is_some()).count();
    f.live_retries = world
        .sent
        .iter()
        .filter(|s| matches!(s.op.kind, Kind::Retry { .. }))
        .count();

    f.operation_checks += check_ledger(&admin, &world, Some(round));

    // No event reached the receiver that the store does not have.
    let events: HashSet<String> = list_all(&admin, "/v1/events")
        .iter()
        .map(|event| event["id"].as_str().expect("an event id").to_string())
        .collect();
    let delivered = delivered_ids(receiver);
    let phantom: Vec<&String> = delivered
        .iter()
        .filter(|id| !events.contains(*id))
        .collect();
    assert!(
        phantom.is_empty(),
        "round {round}: delivered, never stored: {phantom:?}"
    );
    t.verify();
}

/// Every acknowledged operation is in the ledger exactly once, and nothing else is; every
/// hold, charge, purchase and plan a request of `round` acted on (of any round: `None`) reads
/// as its last answer left it. Returns how many operations it checked.
fn check_ledger(admin: &Client, world: &World, round: Option<usize>) -> usize {
    let context = format!("round {round:?}");
    let read_back = |sent: &Sent| round.is_none_or(|round| sent.round == round);
    // What the answers say should be there, per account.
    let mut grants: HashMap<String, usize> = HashMap::new();
    let mut charges: HashMap<String, usize> = HashMap::new();
    let mut holds: HashMap<String, usize> = HashMap::new();
    let mut captures: HashMap<String, usize> = HashMap::new();
    let mut refunds: HashMap<String, usize> = HashMap::new();
    let mut refunded: HashMap<String, i64> = HashMap::new();
    let mut last_hold: HashMap<String, Value> = HashMap::new();
    let mut last_purchase: HashMap<String, Value> = HashMap::new();
    let mut last_plan: BTreeMap<String, Value> = BTreeMap::new();
    let mut read_charges: HashSet<String> = HashSet::new();
    let mut audit: HashMap<(String, String), usize> = HashMap::new();
    for account in ACCOUNTS {
        *audit
            .entry(("account.create".to_string(), account.to_string()))
            .or_default() += 1;
    }
    for grant in &world.setup_grants {
        *audit
            .entry(("grant.create".to_string(), grant.clone()))
            .or_default() += 1;
    }
    *audit
        .entry((
            "webhook_endpoint.create".to_string(),
            world.setup_endpoint.clone(),
        ))
        .or_default() += 1;
    let mut checked = 0;
    for sent in &world.sent {
        let Some(answer) = sent.answer.as_ref().filter(|a| a.status < 300) else {
            continue;
        };
        if matches!(sent.op.kind, Kind::Retry { .. }) {
            continue;
        }
        checked += 1;
        let body = &answer.body;
        // Every answered admin action has its one audit record (an admin's charges, holds and
        // captures are ledger operations, in the entries).
        let audited = match &sent.op.kind {
            Kind::Grant => Some(("grant.create", answer.id())),
            Kind::PurchasePaid => Some(("purchase.paid", answer.id())),
            Kind::PurchasePending => Some(("purchase.create", answer.id())),
            Kind::CompletePurchase { purchase } => Some(("purchase.complete", purchase.clone())),
            Kind::Refund { charge } => Some(("refund.charge", charge.clone())),
            Kind::Subscribe => Some(("subscription.put", sent.op.account.clone())),
            _ => None,
        };
        if let Some((action, target)) = audited {
            *audit.entry((action.to_string(), target)).or_default() += 1;
        }
        match &sent.op.kind {
            Kind::Grant => *grants.entry(answer.id()).or_default() += 1,
            Kind::Charge => *charges.entry(answer.id()).or_default() += 1,
            Kind::Hold => {
                *holds.entry(answer.id()).or_default() += 1;
                if read_back(sent) {
                    last_hold.insert(answer.id(), body.clone());
                }
            }
            Kind::CapturePart { hold } | Kind::CaptureFinal { hold } => {
                *captures.entry(hold.clone()).or_default() += 1;
                if read_back(sent) {
                    last_hold.insert(hold.clone(), body.clone());
                }
            }
            Kind::VoidHold { hold } => {
                if read_back(sent) {
                    last_hold.insert(hold.clone(), body.clone());
                }
            }
            Kind::PurchasePaid | Kind::PurchasePending | Kind::CompletePurchase { .. } => {
                if let Some(grant_id) = body["grant"]["id"].as_str() {
                    *grants.entry(grant_id.to_string()).or_default() += 1;
                }
                if read_back(sent) {
                    last_purchase.insert(answer.id(), body.clone());
                }
            }
            Kind::Refund { charge } => {
                *refunds.entry(charge.clone()).or_default() += 1;
                *refunded.entry(charge.clone()).or_default() += millis(&body["amount"]);
                if read_back(sent) {
                    read_charges.insert(charge.clone());
                }
            }
            Kind::Subscribe => {
                if read_back(sent) {
                    last_plan.insert(sent.op.account.clone(), body.clone());
                }
            }
            Kind::Retry { .. } => unreachable!(),
        }
    }

    let mut seen_grants: HashMap<String, usize> = HashMap::new();
    let mut seen_charges: HashMap<String, usize> = HashMap::new();
    let mut seen_holds: HashMap<String, usize> = HashMap::new();
    let mut seen_captures: HashMap<String, usize> = HashMap::new();
    let mut seen_refunds: HashMap<String, usize> = HashMap::new();
    let mut plan_grants: HashSet<String> = HashSet::new();
    for account in ACCOUNTS {
        for grant in list_all(admin, &format!("/v1/accounts/{account}/grants")) {
            if grant["source"] == json!("plan") {
                plan_grants.insert(grant["id"].as_str().expect("an id").to_string());
            }
        }
        for entry in entries(admin, account) {
            let id = |field: &str| entry[field].as_str().map(str::to_string);
            let kind = entry["type"].as_str().expect("a type");
            let count = match kind {
                "grant" => id("grant_id").map(|grant| (&mut seen_grants, grant)),
                "charge" => id("charge_id").map(|charge| (&mut seen_charges, charge)),
                "hold" => id("hold_id").map(|hold| (&mut seen_holds, hold)),
                "capture" => id("hold_id").map(|hold| (&mut seen_captures, hold)),
                "refund" => id("charge_id").map(|charge| (&mut seen_refunds, charge)),
                _ => None,
            };
            if let Some((seen, id)) = count {
                *seen.entry(id).or_default() += 1;
            }
        }
    }
    // Besides the answered ones: the accounts' first grants, made before the loop, and plan
    // grants (which no answer names).
    for grant in seen_grants.keys() {
        assert!(
            grants.contains_key(grant)
                || plan_grants.contains(grant)
                || world.setup_grants.contains(grant),
            "{context}: grant {grant} is in the ledger, but no answer gave it"
        );
    }
    seen_grants.retain(|grant, _| grants.contains_key(grant));
    assert_eq!(seen_grants, grants, "{context}: grants: entries vs answers");
    assert_eq!(
        seen_charges, charges,
        "{context}: charges: entries vs answers"
    );
    assert_eq!(seen_holds, holds, "{context}: holds: entries vs answers");
    assert_eq!(
        seen_captures, captures,
        "{context}: captures: entries vs answers"
    );
    assert_eq!(
        seen_refunds, refunds,
        "{context}: refunds: entries vs answers"
    );

    let mut seen_audit: HashMap<(String, String), usize> = HashMap::new();
    for record in list_all(admin, "/v1/audit") {
        let action = record["action"].as_str().expect("an action").to_string();
        let target = record["target_id"].as_str().expect("a target").to_string();
        assert_eq!(record["actor"], json!("admin"), "{context}: {record}");
        *seen_audit.entry((action, target)).or_default() += 1;
    }
    assert_eq!(
        seen_audit, audit,
        "{context}: the audit log vs the admin actions answered"
    );

    for (hold, last) in &last_hold {
        let read = admin.get(&format!("/v1/holds/{hold}")).expect(200);
        for field in ["status", "amount", "captured"] {
            assert_eq!(read[field], last[field], "{context}: hold {hold}: {field}");
        }
    }
    for (charge, total) in refunded
        .iter()
        .filter(|(charge, _)| read_charges.contains(*charge))
    {
        let read = admin.get(&format!("/v1/charges/{charge}")).expect(200);
        assert_eq!(
            millis(&read["refunded"]),
            *total,
            "{context}: charge {charge}: refunded"
        );
    }
    for (purchase, last) in &last_purchase {
        let read = admin.get(&format!("/v1/purchases/{purchase}")).expect(200);
        assert_eq!(
            read["status"], last["status"],
            "{context}: purchase {purchase}"
        );
    }
    for (account, last) in &last_plan {
        let read = admin
            .get(&format!("/v1/accounts/{account}/subscription"))
            .expect(200);
        for field in ["plan", "seats", "status"] {
            assert_eq!(
                read[field], last[field],
                "{context}: {account}'s plan: {field}"
            );
        }
    }
    checked
}
