//! End to end on PostgreSQL: three `tally serve` nodes on one database, as behind a load
//! balancer. Many clients spend one account through all three and never overspend; an
//! idempotent retry answers the same on any node, and batches on two nodes at once answer
//! each of their keys (replayed, fresh, twice in one batch, another scope's, the other
//! batch's) as it was recorded; due work (hold expiry) happens exactly once
//! whichever node claims it; and a restart of PostgreSQL in the middle of a load run loses
//! nothing that was acknowledged, the nodes reconnecting by themselves.
//!
//! Each test gets a fresh database on the server at `TALLY_TEST_DATABASE_URL`; run them through
//! `scripts/with-postgres`, which starts a throwaway cluster (and exports `TALLY_TEST_PG_CTL`
//! for the restart):
//!
//! ```sh
//! scripts/with-postgres cargo test -p tally-cli --test postgres_multinode
//! ```
//!
//! Without the variable every test fails. Randomness is seeded; a failure prints its seed
//! (`TALLY_TEST_SEED=… reruns it`).

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

const NO_DATABASE: &str = "TALLY_TEST_DATABASE_URL is not set. Run the PostgreSQL tests \
    through scripts/with-postgres, which starts a throwaway cluster for them (e.g. \
    `scripts/with-postgres cargo test -p tally-cli --test postgres_multinode`), or set \
    TALLY_TEST_DATABASE_URL to a server where they may create and drop databases.";

/// Nodes sharing the database in every test.
const NODES: usize = 3;

/// The restart test stops the whole cluster, so it runs alone; the others share it.
static CLUSTER: RwLock<()> = RwLock::new(());

fn shared_cluster() -> RwLockReadGuard<'static, ()> {
    CLUSTER
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn whole_cluster() -> RwLockWriteGuard<'static, ()> {
    CLUSTER
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

// ---------------------------------------------------------------------------------------------
// A fresh database and three nodes on it
// ---------------------------------------------------------------------------------------------

/// Three `tally serve --database-url` nodes on a fresh database.
struct Nodes {
    // Dropped in this order: the servers, then their database, then the logs.
    servers: Vec<Server>,
    database: TestDatabase,
    _dir: TempDir,
}

impl Nodes {
    fn start(label: &str) -> Nodes {
        let database = TestDatabase::create();
        let dir = TempDir::new(label);
        let servers = (0..NODES)
            .map(|node| {
                let log = dir.path().join(format!("node{node}.log"));
                Server::start_postgres(&database.url, &log, &ServeOptions::default())
            })
            .collect();
        Nodes {
            servers,
            database,
            _dir: dir,
        }
    }

    fn admin(&self, node: usize) -> Client {
        self.servers[node % NODES].admin()
    }

    fn admins(&self) -> Vec<Client> {
        (0..NODES).map(|node| self.admin(node)).collect()
    }

    /// `tally verify --database-url` passes.
    #[track_caller]
    fn verify(&self) {
        let (ok, text) = run_verify_postgres(&self.database.url);
        assert!(ok, "`tally verify --database-url` failed:\n{text}");
        assert!(
            text.contains("ok: every balance equals its entries"),
            "{text}"
        );
    }
}

/// How many charges a node's `/metrics` says it answered with 201.
fn charges_answered(client: &Client) -> u64 {
    let metrics = client.get("/metrics").expect(200).text;
    metrics
        .lines()
        .filter(|line| {
            line.starts_with("tally_http_requests_total{method=\"POST\"")
                && line.contains("route=\"/v1/accounts/{id}/charges\"")
                && line.contains("status=\"201\"")
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// `tally bench --url A --also-url B --also-url C` deals its connections over the three nodes
/// of one database: every node answers charges, and the ledger verifies.
#[test]
fn the_bench_deals_its_connections_over_every_node() {
    let _cluster = shared_cluster();
    let nodes = Nodes::start("bench-nodes");
    let before: Vec<u64> = nodes.admins().iter().map(charges_answered).collect();
    let mut bench = std::process::Command::new(env!("CARGO_BIN_EXE_tally"));
    bench.args(["bench", "--url", nodes.servers[0].base()]);
    for server in &nodes.servers[1..] {
        bench.args(["--also-url", server.base()]);
    }
    let output = bench
        .args([
            "--key",
            ADMIN_KEY,
            "--scenario",
            "charge-hot",
            "--connections",
            "6",
        ])
        .args(["--duration", "2", "--warmup", "0", "--json"])
        .env("RUST_LOG", "warn")
        .output()
        .expect("running tally bench");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "tally bench failed:\n{stderr}");
    let report: Value = serde_json::from_slice(&output.stdout).expect("one JSON report");
    assert_eq!(report["error_count"], 0, "{stderr}");
    for (node, admin) in nodes.admins().iter().enumerate() {
        let answered = charges_answered(admin) - before[node];
        assert!(answered > 0, "node {node} answered no charge:\n{stderr}");
    }
    nodes.verify();
}

// ---------------------------------------------------------------------------------------------
// Seeded randomness
// ---------------------------------------------------------------------------------------------

fn seed() -> u64 {
    let seed = std::env::var("TALLY_TEST_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(random_u64);
    eprintln!("seed: {seed} (TALLY_TEST_SEED={seed} reruns with it)");
    seed
}

/// xorshift64*: small, seeded, good enough to pick nodes and operations.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64) -> Rng {
        Rng((seed ^ stream.wrapping_mul(0x9e37_79b9_7f4a_7c15)) | 1)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % bound
    }
}

/// Sends the same idempotent request to another node and asserts the original answer.
#[track_caller]
fn assert_replayed_elsewhere(
    admins: &[Client],
    node: usize,
    rng: &mut Rng,
    path: &str,
    key: &str,
    body: &Value,
    original: &Resp,
) {
    let other = (node + 1 + rng.below(NODES as u64 - 1) as usize) % NODES;
    assert_ne!(other, node);
    let retried = admins[other].post_idem(path, key, body.clone());
    assert_eq!(
        (retried.status, &retried.body),
        (original.status, &original.body),
        "a retry of {key} on node {other} (first sent to node {node}) answers the original"
    );
    assert!(retried.replayed(), "{key}: the retry is marked as a replay");
}

// ---------------------------------------------------------------------------------------------
// Many clients, one account, three nodes
// ---------------------------------------------------------------------------------------------

const CLIENTS: usize = 64;
/// About four and a half times what fits.
const OPERATIONS: usize = 640;
const GRANTED_CREDITS: i64 = 1_000;
/// Every charge, hold and capture is 7 credits: exactly 142 debits fit in 1,000.
const DEBIT_CREDITS: i64 = 7;
const DEBITS_THAT_FIT: usize = 142;

#[derive(Default)]
struct Spent {
    charges: Vec<String>,
    captured: Vec<String>,
    voided: Vec<String>,
    refused: usize,
}

#[test]
fn sixty_four_clients_on_three_nodes_spend_one_account_exactly() {
    let _cluster = shared_cluster();
    let seed = seed();
    let nodes = Nodes::start("pg-spend");
    let admins = nodes.admins();
    create_account(&admins[0], "hot");
    grant(&admins[1], "hot", json!(GRANTED_CREDITS), json!({}));

    let next = AtomicUsize::new(0);
    let spent = Mutex::new(Spent::default());
    std::thread::scope(|scope| {
        for client in 0..CLIENTS {
            let admins = &admins;
            let next = &next;
            let spent = &spent;
            scope.spawn(move || {
                let mut rng = Rng::new(seed, client as u64);
                loop {
                    let n = next.fetch_add(1, Ordering::SeqCst);
                    if n >= OPERATIONS {
                        break;
                    }
                    let node = rng.below(NODES as u64) as usize;
                    let key = format!("op-{n}");
                    let (path, debit) = if rng.below(2) == 0 {
                        ("/v1/accounts/hot/charges", json!({"amount": DEBIT_CREDITS}))
                    } else {
                        let body = json!({"amount": DEBIT_CREDITS, "ttl_seconds": 600});
                        ("/v1/accounts/hot/holds", body)
                    };
                    let answer = admins[node].post_idem(path, &key, debit.clone());
                    if answer.status == 402 {
                        let problem = answer.problem(402, "insufficient_credits");
                        assert!(
                            millis(&problem["available"]) < millis(&problem["required"]),
                            "a 402 means available < required: {}",
                            answer.text
                        );
                        spent.lock().unwrap().refused += 1;
                        continue;
                    }
                    answer.clone().expect(201);
                    assert_replayed_elsewhere(admins, node, &mut rng, path, &key, &debit, &answer);
                    let id = answer.id();
                    if path.ends_with("charges") {
                        spent.lock().unwrap().charges.push(id);
                        continue;
                    }
                    // Resolve the hold on any node, and retry that elsewhere too.
                    let node = rng.below(NODES as u64) as usize;
                    let capture = rng.below(2) == 0;
                    let (path, body) = if capture {
                        (format!("/v1/holds/{id}/capture"), json!({"amount": 7}))
                    } else {
                        (format!("/v1/holds/{id}/void"), json!({}))
                    };
                    let key = format!("{key}-resolve");
                    let resolved = admins[node].post_idem(&path, &key, body.clone());
                    resolved.clone().expect(200);
                    assert_replayed_elsewhere(
                        admins, node, &mut rng, &path, &key, &body, &resolved,
                    );
                    let mut spent = spent.lock().unwrap();
                    if capture {
                        assert_eq!(resolved["status"], json!("captured"), "{}", resolved.text);
                        spent.captured.push(id);
                    } else {
                        assert_eq!(resolved["status"], json!("voided"), "{}", resolved.text);
                        spent.voided.push(id);
                    }
                }
            });
        }
    });
    let mut spent = spent.into_inner().unwrap();
    // What voided holds gave back meanwhile: spend it to the last debit, on any node.
    let mut rng = Rng::new(seed, u64::MAX);
    for n in 0.. {
        let node = rng.below(NODES as u64) as usize;
        let answer = charge(&admins[node], "hot", json!(DEBIT_CREDITS));
        if answer.status == 402 {
            break;
        }
        answer.clone().expect(201);
        spent.charges.push(answer.id());
        assert!(
            n < DEBITS_THAT_FIT,
            "more charges fit than there were credits"
        );
    }

    assert_eq!(
        spent.charges.len() + spent.captured.len(),
        DEBITS_THAT_FIT,
        "exactly 142 debits of 7 fit in 1,000 credits ({} charges, {} captures, {} voids, {} \
         refused)",
        spent.charges.len(),
        spent.captured.len(),
        spent.voided.len(),
        spent.refused
    );
    assert!(spent.refused > 0, "the run went past what fits");
    let balance = balance(&admins[2], "hot");
    assert_eq!(balance["available"], json!(6));
    assert_eq!(balance["posted"], json!(6));
    assert_eq!(balance["held"], json!(0));

    // The ledger holds exactly what was acknowledged.
    let all = entries(&admins[1], "hot");
    let ids_of = |kind: &str, field: &str| -> Vec<String> {
        let mut ids: Vec<String> = of_type(&all, kind)
            .iter()
            .map(|entry| entry[field].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    let sorted = |mut ids: Vec<String>| {
        ids.sort();
        ids
    };
    assert_eq!(ids_of("charge", "charge_id"), sorted(spent.charges.clone()));
    assert_eq!(ids_of("capture", "hold_id"), sorted(spent.captured.clone()));
    assert_eq!(ids_of("release", "hold_id"), sorted(spent.voided.clone()));
    let holds: HashSet<String> = ids_of("hold", "hold_id").into_iter().collect();
    assert_eq!(holds.len(), spent.captured.len() + spent.voided.len());
    nodes.verify();
}

// ---------------------------------------------------------------------------------------------
// Due work, exactly once
// ---------------------------------------------------------------------------------------------

const SHORT_HOLDS: usize = 1_000;
const HOLD_CLIENTS: usize = 32;
/// How long every hold is given to expire, after the last one was made.
const EXPIRY_DEADLINE: Duration = Duration::from_secs(60);

#[test]
fn a_thousand_short_holds_each_expire_once_with_three_nodes_running() {
    let _cluster = shared_cluster();
    let seed = seed();
    let nodes = Nodes::start("pg-expiry");
    let admins = nodes.admins();
    create_account(&admins[0], "short");
    grant(&admins[0], "short", json!(2 * SHORT_HOLDS), json!({}));

    let next = AtomicUsize::new(0);
    let made: Mutex<Vec<String>> = Mutex::new(Vec::with_capacity(SHORT_HOLDS));
    std::thread::scope(|scope| {
        for client in 0..HOLD_CLIENTS {
            let admins = &admins;
            let next = &next;
            let made = &made;
            scope.spawn(move || {
                let mut rng = Rng::new(seed, client as u64);
                while next.fetch_add(1, Ordering::SeqCst) < SHORT_HOLDS {
                    let node = rng.below(NODES as u64) as usize;
                    let ttl_seconds = 1 + rng.below(2);
                    let answer = admins[node].post(
                        "/v1/accounts/short/holds",
                        json!({"amount": 1, "ttl_seconds": ttl_seconds}),
                    );
                    answer.clone().expect(201);
                    made.lock().unwrap().push(answer.id());
                }
            });
        }
    });
    let made = made.into_inner().unwrap();
    assert_eq!(made.len(), SHORT_HOLDS);

    // Nobody touches the account any more: only the nodes' schedulers expire the holds. This
    // is a poll of the wall clock, and cannot be a gate: a shared database refuses the test
    // clock, and expiry in real time is what is under test. The pause is the poll's interval;
    // the outcome is decided by the balance, and the deadline only bounds the wait.
    let started = Instant::now();
    loop {
        let balance = balance(
            &admins[started.elapsed().as_millis() as usize % NODES],
            "short",
        );
        if balance["held"] == json!(0) {
            assert_eq!(
                balance["posted"],
                json!(2 * SHORT_HOLDS),
                "expiry spends nothing"
            );
            break;
        }
        assert!(
            started.elapsed() < EXPIRY_DEADLINE,
            "holds still held after {EXPIRY_DEADLINE:?}: {balance}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    let all = entries(&admins[1], "short");
    let mut releases: HashMap<String, usize> = HashMap::new();
    for entry in of_type(&all, "release") {
        *releases
            .entry(entry["hold_id"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    let twice: Vec<_> = releases.iter().filter(|(_, count)| **count > 1).collect();
    assert!(twice.is_empty(), "holds expired more than once: {twice:?}");
    let made_set: HashSet<&String> = made.iter().collect();
    let released: HashSet<&String> = releases.keys().collect();
    assert_eq!(released, made_set, "every hold expired (one release each)");
    assert_eq!(of_type(&all, "hold").len(), SHORT_HOLDS);
    for (n, id) in made.iter().enumerate() {
        let hold = admins[n % NODES]
            .get(&format!("/v1/holds/{id}"))
            .expect(200);
        assert_eq!(hold["status"], json!("expired"), "{}", hold.text);
    }
    nodes.verify();
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL restarted under load
// ---------------------------------------------------------------------------------------------

const LOAD_CLIENTS: usize = 24;
/// Restart once this many charges were acknowledged.
const ACKNOWLEDGED_BEFORE_RESTART: usize = 300;
/// Stop once every node acknowledged this many charges sent after the restart.
const ACKNOWLEDGED_AFTER_RESTART_PER_NODE: usize = 30;
/// Bounds, so that a cluster that never comes back cannot keep the test running.
const REQUESTS_PER_CLIENT_MAX: usize = 5_000;
const LOAD_DEADLINE: Duration = Duration::from_secs(180);
const RESTART_LOAD_GRANT_CREDITS: i64 = 1_000_000;

/// One charge a client sent: its key, the node, whether it was sent after the restart ended,
/// and what came back.
struct Sent {
    key: String,
    node: usize,
    after_restart: bool,
    answer: Resp,
}

#[test]
fn a_postgres_restart_under_load_loses_nothing_acknowledged() {
    let _cluster = whole_cluster();
    let pg_ctl = std::env::var("TALLY_TEST_PG_CTL").unwrap_or_else(|_| {
        panic!(
            "TALLY_TEST_PG_CTL is not set: this test restarts PostgreSQL with it. Run it through \
             scripts/with-postgres, which sets it for the cluster it starts."
        )
    });
    let nodes = Nodes::start("pg-restart");
    let admins = nodes.admins();
    create_account(&admins[0], "steady");
    grant(
        &admins[0],
        "steady",
        json!(RESTART_LOAD_GRANT_CREDITS),
        json!({}),
    );

    let acknowledged = AtomicUsize::new(0);
    let restarted = AtomicBool::new(false);
    let stop = AtomicBool::new(false);
    let after_restart_per_node: Vec<AtomicUsize> =
        (0..NODES).map(|_| AtomicUsize::new(0)).collect();
    let sent: Mutex<Vec<Sent>> = Mutex::new(Vec::new());
    // The test waits on the clients' progress through this gate: a client takes the lock
    // after counting an acknowledgement and then wakes the waiter, so none is missed.
    let progress = (Mutex::new(()), Condvar::new());
    let started = Instant::now();
    // Blocks until `done`; past the load's deadline, fails with `what`.
    let wait_for = |done: &dyn Fn() -> bool, what: &dyn Fn() -> String| {
        let (lock, progressed) = &progress;
        let mut guard = lock.lock().unwrap();
        while !done() {
            let left = LOAD_DEADLINE.saturating_sub(started.elapsed());
            if left.is_zero() {
                stop.store(true, Ordering::SeqCst);
                panic!("{}", what());
            }
            guard = progressed.wait_timeout(guard, left).unwrap().0;
        }
    };
    std::thread::scope(|scope| {
        for client in 0..LOAD_CLIENTS {
            let admins = &admins;
            let progress = &progress;
            let (acknowledged, restarted, stop) = (&acknowledged, &restarted, &stop);
            let after_restart_per_node = &after_restart_per_node;
            let sent = &sent;
            scope.spawn(move || {
                for n in 0..REQUESTS_PER_CLIENT_MAX {
                    if stop.load(Ordering::SeqCst) || started.elapsed() > LOAD_DEADLINE {
                        break;
                    }
                    let node = (client + n) % NODES;
                    let key = format!("load-{client}-{n}");
                    let after_restart = restarted.load(Ordering::SeqCst);
                    let answer = admins[node].post_idem(
                        "/v1/accounts/steady/charges",
                        &key,
                        json!({"amount": 1}),
                    );
                    match answer.status {
                        201 => {
                            acknowledged.fetch_add(1, Ordering::SeqCst);
                            if after_restart {
                                after_restart_per_node[node].fetch_add(1, Ordering::SeqCst);
                            }
                            drop(progress.0.lock().unwrap());
                            progress.1.notify_all();
                        }
                        503 => {
                            answer.problem(503, "unavailable");
                            // Retry pacing while PostgreSQL is down (each client has a bounded
                            // number of requests); no outcome depends on it.
                            std::thread::sleep(Duration::from_millis(20));
                        }
                        other => panic!("under load, {key} answered {other}: {}", answer.text),
                    }
                    sent.lock().unwrap().push(Sent {
                        key,
                        node,
                        after_restart,
                        answer,
                    });
                }
            });
        }

        wait_for(
            &|| acknowledged.load(Ordering::SeqCst) >= ACKNOWLEDGED_BEFORE_RESTART,
            &|| "the load never got going".to_string(),
        );
        let restart = std::process::Command::new(&pg_ctl)
            .args(["restart", "-m", "fast", "-w", "-t", "60"])
            .output()
            .expect("running TALLY_TEST_PG_CTL restart");
        assert!(
            restart.status.success(),
            "pg_ctl restart failed: {}{}",
            String::from_utf8_lossy(&restart.stdout),
            String::from_utf8_lossy(&restart.stderr)
        );
        restarted.store(true, Ordering::SeqCst);
        wait_for(
            &|| {
                after_restart_per_node.iter().all(|count| {
                    count.load(Ordering::SeqCst) >= ACKNOWLEDGED_AFTER_RESTART_PER_NODE
                })
            },
            &|| {
                format!(
                    "the nodes did not all come back: acknowledged after the restart per node {:?}",
                    after_restart_per_node
                        .iter()
                        .map(|count| count.load(Ordering::SeqCst))
                        .collect::<Vec<_>>()
                )
            },
        );
        stop.store(true, Ordering::SeqCst);
    });
    let sent = sent.into_inner().unwrap();
    let unavailable: Vec<&Sent> = sent.iter().filter(|s| s.answer.status == 503).collect();
    assert!(
        !unavailable.is_empty(),
        "requests sent while PostgreSQL was down are answered 503 unavailable"
    );
    eprintln!(
        "{} charges sent, {} acknowledged, {} answered 503 ({} of them before the restart \
         ended), in {:?}",
        sent.len(),
        acknowledged.load(Ordering::SeqCst),
        unavailable.len(),
        unavailable.iter().filter(|s| !s.after_restart).count(),
        started.elapsed()
    );

    // Every acknowledged charge is in the ledger.
    let all = entries(&admins[0], "steady");
    let ledger: HashSet<String> = of_type(&all, "charge")
        .iter()
        .map(|entry| entry["charge_id"].as_str().unwrap().to_string())
        .collect();
    for s in sent.iter().filter(|s| s.answer.status == 201) {
        assert!(
            ledger.contains(&s.answer.id()),
            "{} was acknowledged by node {} but is not in the ledger",
            s.key,
            s.node
        );
    }
    // What got 503 either committed (a retry replays it) or did nothing (a retry does it):
    // once retried, every key has exactly one charge.
    for (n, s) in unavailable.iter().enumerate() {
        let retried = admins[(s.node + 1 + n) % NODES].post_idem(
            "/v1/accounts/steady/charges",
            &s.key,
            json!({"amount": 1}),
        );
        retried.expect(201);
    }
    let all = entries(&admins[1], "steady");
    let charges = of_type(&all, "charge").len();
    assert_eq!(
        charges,
        sent.len(),
        "one charge per key, none lost, none twice"
    );
    let balance = balance(&admins[2], "steady");
    assert_eq!(
        millis(&balance["posted"]),
        (RESTART_LOAD_GRANT_CREDITS - sent.len() as i64) * 1_000
    );
    nodes.verify();
}

#[test]
fn a_node_of_a_shared_database_refuses_the_test_clock() {
    let _cluster = shared_cluster();
    let database = TestDatabase::create();
    let output = std::process::Command::new(tally_bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--test-clock"])
        .args(["--admin-key", ADMIN_KEY, "--database-url", &database.url])
        .env_remove("TALLY_DB")
        .env_remove("TALLY_DATABASE_URL")
        .output()
        .expect("running `tally serve`");
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "it must not start: {text}");
    assert!(
        text.contains("--test-clock cannot be used with --database-url"),
        "{text}"
    );
}

#[test]
fn every_test_needs_a_database_and_says_how_to_get_one() {
    assert!(NO_DATABASE.contains("scripts/with-postgres"));
    let _ = test_server_url();
}

#[test]
fn sixty_four_debits_across_the_threshold_on_three_nodes_open_one_top_up() {
    let _cluster = shared_cluster();
    let nodes = Nodes::start("pg-topup");
    let admins = nodes.admins();
    create_account(&admins[0], "low");
    grant(&admins[1], "low", json!(1_000), json!({}));
    let settings = json!({"pack": "pack_10k", "threshold": 500, "cooldown_seconds": 0});
    admins[2]
        .request(
            "PUT",
            "/v1/accounts/low/auto-topup",
            Some(settings.to_string().as_bytes()),
            &[("content-type", "application/json")],
        )
        .expect(200);
    let barrier = std::sync::Barrier::new(CLIENTS);
    std::thread::scope(|scope| {
        for client in 0..CLIENTS {
            let admin = nodes.admin(client);
            let barrier = &barrier;
            scope.spawn(move || {
                barrier.wait();
                charge(&admin, "low", json!(10)).expect(201);
            });
        }
    });
    let purchases = list_all(&admins[0], "/v1/accounts/low/purchases");
    let topups: Vec<_> = purchases
        .iter()
        .filter(|purchase| purchase["topup"] == json!(true))
        .collect();
    assert_eq!(topups.len(), 1, "{topups:?}");
    assert_eq!(topups[0]["status"], json!("pending"));
    let expected = 1_000_000 - i64::try_from(CLIENTS).unwrap() * 10_000;
    assert_eq!(millis(&balance(&admins[1], "low")["available"]), expected);
    nodes.verify();
}

#[test]
fn a_portal_link_visited_on_every_node_at_once_signs_in_exactly_once() {
    const VISITS_PER_NODE: usize = 4;
    let _cluster = shared_cluster();
    let nodes = Nodes::start("portal");
    let admin = nodes.admin(0);
    admin
        .post("/v1/accounts", json!({"id": "portal_acct"}))
        .expect(201);
    for round in 0..3 {
        // Minted on one node, visited on all of them at once.
        let link = nodes
            .admin(round)
            .post("/v1/accounts/portal_acct/portal-sessions", json!({}))
            .expect(201)
            .body;
        let url = link["url"].as_str().expect("a url");
        let token = url.rsplit('/').next().expect("a token").to_string();
        let visits = NODES * VISITS_PER_NODE;
        let start = std::sync::Barrier::new(visits);
        let statuses: Vec<u16> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..visits)
                .map(|visit| {
                    let (start, token) = (&start, &token);
                    let client = nodes.servers[visit % NODES].anonymous();
                    scope.spawn(move || {
                        start.wait();
                        client
                            .raw("GET", &format!("/portal/{token}"), b"", b"")
                            .status
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|handle| handle.join().expect("a visit"))
                .collect()
        });
        let signed_in = statuses.iter().filter(|status| **status == 303).count();
        let refused = statuses.iter().filter(|status| **status == 410).count();
        assert_eq!(
            (signed_in, refused),
            (1, visits - 1),
            "round {round}: {statuses:?}"
        );
    }
    nodes.verify();
}

/// Every event of `account` as written on the shared database, in its sequence: (sequence,
/// type, body).
fn written_events(url: &str, account: &str) -> Vec<(i64, String, Value)> {
    let mut client = postgres::Client::connect(url, postgres::NoTls).expect("connecting");
    client
        .query(
            "SELECT sequence, type, body FROM events WHERE account_id = $1 ORDER BY sequence",
            &[&account],
        )
        .expect("the events table")
        .iter()
        .map(|row| {
            let body: String = row.get(2);
            (row.get(0), row.get(1), serde_json::from_str(&body).unwrap())
        })
        .collect()
}

#[test]
fn debits_on_three_nodes_write_each_balance_alert_once_in_one_gapless_sequence() {
    let _cluster = shared_cluster();
    let nodes = Nodes::start("pg-events");
    let admins = nodes.admins();
    create_account(&admins[0], "pool");
    // The Starter plan's 5,000 credits: the low balance threshold is 500 by default.
    admins[1]
        .request(
            "PUT",
            "/v1/accounts/pool/subscription",
            Some(
                json!({"plan": "starter", "seats": 1})
                    .to_string()
                    .as_bytes(),
            ),
            &[("content-type", "application/json")],
        )
        .expect(200);
    // 64 clients charge 100 credits at a time through all three nodes until refused: the
    // balance falls through the threshold once and reaches zero once, whichever node's
    // charge does it, and the refusals after that (no credits arrived) write nothing.
    let refused = AtomicUsize::new(0);
    let barrier = std::sync::Barrier::new(CLIENTS);
    std::thread::scope(|scope| {
        for client in 0..CLIENTS {
            let admin = nodes.admin(client);
            let (barrier, refused) = (&barrier, &refused);
            scope.spawn(move || {
                barrier.wait();
                loop {
                    let answer = charge(&admin, "pool", json!(100));
                    if answer.status == 402 {
                        refused.fetch_add(1, Ordering::SeqCst);
                        break;
                    }
                    answer.expect(201);
                }
            });
        }
    });
    assert_eq!(refused.load(Ordering::SeqCst), CLIENTS);
    assert_eq!(millis(&balance(&admins[2], "pool")["available"]), 0);
    let events = written_events(&nodes.database.url, "pool");
    let types: Vec<&str> = events.iter().map(|(_, kind, _)| kind.as_str()).collect();
    assert_eq!(
        types,
        [
            "grant.created",
            "subscription.changed",
            "balance.low",
            "balance.depleted"
        ]
    );
    for (index, (sequence, kind, body)) in events.iter().enumerate() {
        assert_eq!(*sequence, index as i64 + 1);
        assert_eq!(body["sequence"], json!(sequence));
        assert_eq!(body["type"], json!(kind));
    }
    assert_eq!(events[2].2["data"]["available"], json!(400));
    assert_eq!(events[3].2["data"]["reason"], json!("reached_zero"));
    nodes.verify();
}

#[test]
fn sixty_four_debits_by_one_member_on_three_nodes_exactly_those_that_fit_succeed() {
    let _cluster = shared_cluster();
    let nodes = Nodes::start("pg-limits");
    let admins = nodes.admins();
    create_account(&admins[0], "crowd");
    grant(&admins[1], "crowd", json!(10_000), json!({}));
    // 100 credits a day for each member: 33 debits of 3 fit, the other 31 do not.
    let limits =
        json!({"limits": [{"scope": "member", "match": "*", "window": "day", "max": 100}]});
    admins[2]
        .request(
            "PUT",
            "/v1/accounts/crowd/limits",
            Some(limits.to_string().as_bytes()),
            &[("content-type", "application/json")],
        )
        .expect(200);
    let barrier = std::sync::Barrier::new(CLIENTS);
    let statuses: Vec<(u16, Option<String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..CLIENTS)
            .map(|client| {
                let admin = nodes.admin(client);
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    let kind = if client % 2 == 0 { "charges" } else { "holds" };
                    let response = admin.post(
                        &format!("/v1/accounts/crowd/{kind}"),
                        json!({"amount": 3, "member": "ann"}),
                    );
                    let code = response.body["code"].as_str().map(str::to_string);
                    (response.status, code)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let fitted = statuses.iter().filter(|(status, _)| *status == 201).count();
    let refused = statuses
        .iter()
        .filter(|(status, code)| *status == 402 && code.as_deref() == Some("limit_exceeded"))
        .count();
    assert_eq!((fitted, refused), (33, 31), "{statuses:?}");
    for admin in &admins {
        let shown = admin.get("/v1/accounts/crowd/limits").expect(200);
        assert_eq!(
            shown["data"][0]["by_match"][0]["used"],
            json!(99),
            "{shown:?}"
        );
    }
    let expected = 10_000_000 - 99_000;
    assert_eq!(millis(&balance(&admins[0], "crowd")["available"]), expected);
    nodes.verify();
}

// ---------------------------------------------------------------------------------------------
// A batch's idempotency keys, looked up together
// ---------------------------------------------------------------------------------------------

/// One `POST /v1/batch` of charges on `hot`, each `(key, credits)`; its results as
/// `(status, replayed, body)`.
fn charges_in_one_batch(admin: &Client, charges: &[(String, i64)]) -> Vec<(u16, bool, Value)> {
    let operations: Vec<Value> = charges
        .iter()
        .map(|(key, amount)| {
            json!({
                "method": "POST",
                "path": "/v1/accounts/hot/charges",
                "body": {"amount": amount},
                "idempotency_key": key,
            })
        })
        .collect();
    let response = admin
        .post("/v1/batch", json!({"operations": operations}))
        .expect(200);
    response["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|result| {
            (
                result["status"].as_u64().expect("a status") as u16,
                result["replayed"].as_bool().expect("replayed"),
                result["body"].clone(),
            )
        })
        .collect()
}

#[test]
fn batches_on_two_nodes_at_once_answer_each_key_as_recorded_and_keep_scopes_apart() {
    let _cluster = shared_cluster();
    let nodes = Nodes::start("pg-keys");
    let admins = nodes.admins();
    create_account(&admins[0], "hot");
    grant(&admins[0], "hot", json!(1_000), json!({}));
    let replayed = admins[0]
        .post_idem("/v1/accounts/hot/charges", "replayed", json!({"amount": 1}))
        .expect(201);
    // "elsewhere" is recorded under the account key's scope, not the admin's.
    let (_, secret) = account_key(&admins[0], "hot");
    let theirs = admins[2]
        .with_key(&secret)
        .post_idem(
            "/v1/accounts/hot/charges",
            "elsewhere",
            json!({"amount": 2}),
        )
        .expect(201);

    // Nodes 0 and 1 at once: each batch holds a replay, a fresh key, a key twice, the key
    // recorded under another scope (fresh in the admin's) and a key the other batch holds.
    let answers: Vec<Vec<(u16, bool, Value)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|node| {
                let admin = &admins[node];
                scope.spawn(move || {
                    let charges = [
                        ("replayed".to_string(), 1),
                        (format!("fresh-{node}"), 3),
                        (format!("twice-{node}"), 4),
                        (format!("twice-{node}"), 4),
                        ("elsewhere".to_string(), 2),
                        ("both".to_string(), 5),
                    ];
                    charges_in_one_batch(admin, &charges)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut executed = Vec::new();
    for (node, results) in answers.iter().enumerate() {
        assert_eq!(results.len(), 6, "node {node}: {results:?}");
        for (status, _, body) in results {
            assert_eq!(*status, 201, "node {node}: {body}");
        }
        let [replay, fresh, twice, again, elsewhere, both] = &results[..] else {
            unreachable!()
        };
        assert!(replay.1, "node {node}: a recorded key is replayed");
        assert_eq!(
            replay.2, replayed.body,
            "node {node}: the replay answers the record"
        );
        assert!(!fresh.1, "node {node}: a fresh key runs");
        assert!(!twice.1, "node {node}: a key's first use in the batch runs");
        assert!(again.1, "node {node}: its second use replays the first");
        assert_eq!(again.2, twice.2, "node {node}: with the first one's answer");
        assert_ne!(
            elsewhere.2["id"], theirs.body["id"],
            "node {node}: another scope's record is not this scope's"
        );
        executed.extend([fresh, twice]);
        for shared in [elsewhere, both] {
            if !shared.1 {
                executed.push(shared);
            }
        }
    }
    // The keys both batches held ran once, on one node, and the other node answered that.
    for index in [4, 5] {
        let (first, second) = (&answers[0][index], &answers[1][index]);
        assert_eq!(
            usize::from(first.1) + usize::from(second.1),
            1,
            "one node runs a shared key, the other replays it: {first:?} / {second:?}"
        );
        assert_eq!(first.2, second.2, "both answer the one charge");
    }
    // 1 + 2 before; on each node 3 + 4; "elsewhere" (admin's) 2 and "both" 5 once.
    let charged: i64 = executed
        .iter()
        .map(|(_, _, body)| millis(&body["amount"]))
        .sum();
    assert_eq!(charged, ((3 + 4) * 2 + 2 + 5) * 1_000, "{executed:?}");
    let balance = balance(&admins[2], "hot");
    assert_eq!(millis(&balance["available"]), (1_000 - 1 - 2 - 21) * 1_000);
    nodes.verify();
}
