//! A batch's connection to PostgreSQL dropped at chosen points of its transaction, across
//! seeded histories: before anything is locked, after the accounts are locked, after the batch
//! is written (COMMIT then fails on a dead connection), racing the COMMIT itself, and after
//! the server committed but before its answer arrives (the unknown outcome).
//!
//! The real engine runs on a real `PostgresStore` (a database of its own on the test server)
//! whose test-only fault hook (`PostgresStore::set_fault_hook`) ends the batch's server process
//! with `pg_terminate_backend` from another connection, at the point the round arms. Every
//! round sends a group of charges (one batch, one transaction), most with an idempotency key,
//! some without, and checks:
//!
//! - a success is in the store exactly once (its charge row, its idempotency record with the
//!   very body answered); a 503 left nothing behind (no record, and the account's totals are
//!   the sum of the acknowledged charges alone, which also covers the charges without a key);
//! - the lost answer of a COMMIT that landed is settled into the original success, never a
//!   503 for something that happened (and never a success for something that did not);
//! - the engine recovers without a restart: the 503'd keyed charges, retried with their keys,
//!   succeed (as first executions, not replays); acknowledged keys replay their first answer;
//! - at the end, every acknowledged key replays byte for byte, the charges table holds exactly
//!   the acknowledged charges, and `verify` is clean.
//!
//! Named cases reach what the random rounds do not, each answer known in advance: a
//! connection this side finds lost between BEGIN and COMMIT is never replaced inside the
//! transaction (`a_connection_lost_inside_the_transaction_is_not_replaced`); a batch whose
//! connection broke before its COMMIT was sent is tried again once on a new connection, and
//! done by one transaction (`a_batch_whose_connection_broke_before_commit_is_tried_again`);
//! and a COMMIT lost on its way, its server process still in the open transaction, is
//! settled by ending that process
//! (`a_commit_lost_on_its_way_is_settled_by_ending_its_transaction`).
//!
//! ```text
//! scripts/with-postgres cargo test -p tally-cli --test pg_commit_faults
//! TALLY_PG_FAULTS_SEED=7 …   (one seed)     TALLY_PG_FAULTS_SEEDS=50 …   (more seeds; 6 by default)
//! ```

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use common::TestDatabase;
use tally_core::catalog::Catalog;
use tally_core::{Attribution, DebitSpec, GrantSource, GrantSpec, Millicredits};
use tally_engine::clock::SystemClock;
use tally_engine::{self as engine, Answer, Command, EngineConfig, EngineError, Idempotency};
use tally_postgres::{AfterHook, BatchPoint, PostgresStore};
use tally_store::{ReadStore, StoreError};

const SEED_VARIABLE: &str = "TALLY_PG_FAULTS_SEED";
const SEEDS_VARIABLE: &str = "TALLY_PG_FAULTS_SEEDS";
const SEEDS_DEFAULT: u64 = 6;
const ROUNDS: usize = 30;
const ACCOUNTS: [&str; 3] = ["pf-a", "pf-b", "pf-c"];
const GRANTED: i64 = 1_000_000_000;

/// SplitMix64.
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
}

/// Where a round drops the batch's connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Cut {
    /// Right after BEGIN.
    AtBegin,
    /// With the accounts locked and loaded.
    AtLocked,
    /// With the batch written: COMMIT goes to a dead connection.
    BeforeCommit,
    /// Terminated from another thread while COMMIT is sent: either outcome may happen.
    RacingCommit,
    /// The server committed; its answer is lost with the connection.
    CommitAnswerLost,
    // The named cases below, never drawn at random (each answer is known in advance):
    /// This side drops its connection right after BEGIN, as if it found it closed.
    DropAtBegin,
    /// This side drops its connection with the accounts locked and loaded.
    DropAtLocked,
    /// This side drops its connection with the batch written, before COMMIT is sent.
    DropAtWritten,
    /// COMMIT is lost on its way: the socket stays open, the server process waits on in the
    /// open transaction.
    AbandonAtCommit,
}

const CUTS: [Cut; 5] = [
    Cut::AtBegin,
    Cut::AtLocked,
    Cut::BeforeCommit,
    Cut::RacingCommit,
    Cut::CommitAnswerLost,
];

/// Ends a server process from a connection of its own, waiting until it is gone.
fn terminate(url: &str, pid: i32, wait: bool) {
    let mut admin = postgres::Client::connect(url, postgres::NoTls).expect("an admin connection");
    let timeout: i64 = if wait { 10_000 } else { 0 };
    let ended: bool = admin
        .query_one("SELECT pg_terminate_backend($1, $2)", &[&pid, &timeout])
        .expect("pg_terminate_backend")
        .get(0);
    assert!(
        ended || !wait,
        "pg_terminate_backend({pid}) did not end the process"
    );
}

/// The fault armed for the next batch, and what fired.
struct Injector {
    url: String,
    armed: Mutex<Option<Cut>>,
    /// How many times more the armed drop fires after its first (the batch's retry meets
    /// it too).
    again: Mutex<u32>,
    fired: Mutex<BTreeMap<Cut, u64>>,
    racing: Mutex<Vec<std::thread::JoinHandle<()>>>,
    /// The server process of the batch the last drop fired in.
    fired_pid: Mutex<Option<i32>>,
}

impl Injector {
    fn at(&self, point: BatchPoint, pid: i32) -> AfterHook {
        let mut armed = self.armed.lock().unwrap();
        let Some(drop) = *armed else {
            return AfterHook::Go;
        };
        let here = matches!(
            (drop, point),
            (Cut::AtBegin | Cut::DropAtBegin, BatchPoint::Begun)
                | (Cut::AtLocked | Cut::DropAtLocked, BatchPoint::Locked)
                | (
                    Cut::BeforeCommit
                        | Cut::RacingCommit
                        | Cut::DropAtWritten
                        | Cut::AbandonAtCommit,
                    BatchPoint::Written
                )
                | (Cut::CommitAnswerLost, BatchPoint::Committed)
        );
        if !here {
            return AfterHook::Go;
        }
        let mut again = self.again.lock().unwrap();
        if *again == 0 {
            *armed = None;
        } else {
            *again -= 1;
        }
        std::mem::drop(again);
        *self.fired.lock().unwrap().entry(drop).or_default() += 1;
        *self.fired_pid.lock().unwrap() = Some(pid);
        match drop {
            Cut::DropAtBegin | Cut::DropAtLocked | Cut::DropAtWritten => AfterHook::DropConnection,
            Cut::AbandonAtCommit => AfterHook::AbandonAtCommit,
            Cut::RacingCommit => {
                let url = self.url.clone();
                let racing = std::thread::spawn(move || terminate(&url, pid, false));
                self.racing.lock().unwrap().push(racing);
                AfterHook::Go
            }
            Cut::CommitAnswerLost => {
                terminate(&self.url, pid, true);
                AfterHook::LoseCommitAnswer
            }
            _ => {
                terminate(&self.url, pid, true);
                AfterHook::Go
            }
        }
    }

    fn join_racing(&self) {
        for racing in self.racing.lock().unwrap().drain(..) {
            racing.join().expect("the racing terminator");
        }
    }
}

#[derive(Default, Debug)]
struct Figures {
    seeds: u64,
    batches: u64,
    commands: u64,
    acknowledged: u64,
    unavailable: u64,
    retried: u64,
    replays_checked: u64,
    /// Drops whose COMMIT had landed, answered as the success they were.
    settled_committed: u64,
    fired: BTreeMap<Cut, u64>,
}

/// A keyed charge's first answer.
struct Acknowledged {
    status: u16,
    body: String,
    charge_id: String,
}

struct Sim {
    rng: Rng,
    db: TestDatabase,
    store: Arc<PostgresStore>,
    injector: Arc<Injector>,
    engine: Option<engine::EngineHandle>,
    thread: Option<std::thread::JoinHandle<()>>,
    runtime: tokio::runtime::Runtime,
    next_key: u64,
    /// What the acknowledged charges took from each account.
    spent: BTreeMap<String, i64>,
    acknowledged: BTreeMap<String, Acknowledged>,
    /// Charges acknowledged without a key (their ids).
    unkeyed: Vec<String>,
    figures: Figures,
}

fn debit(amount: i64) -> DebitSpec {
    DebitSpec {
        amount: Millicredits::new(amount),
        attribution: Attribution::default(),
        description: None,
        metadata: None,
        extra: None,
    }
}

fn charge_id(body: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(body).expect("a JSON body");
    value["id"].as_str().expect("a charge id").to_string()
}

impl Sim {
    fn new(seed: u64) -> Sim {
        let db = TestDatabase::create();
        let store = Arc::new(PostgresStore::open(&db.url).expect("opening the store"));
        let injector = Arc::new(Injector {
            url: db.url.clone(),
            armed: Mutex::new(None),
            again: Mutex::new(0),
            fired: Mutex::new(BTreeMap::new()),
            racing: Mutex::new(Vec::new()),
            fired_pid: Mutex::new(None),
        });
        let hook = injector.clone();
        store.set_fault_hook(Some(Arc::new(move |point, pid| hook.at(point, pid))));
        let (engine, thread) = engine::start(
            store.clone(),
            EngineConfig {
                clock: Arc::new(SystemClock),
                test_clock: None,
                catalog: Arc::new(Catalog::default()),
                batch_commands_max: 64,
                render: tally_server::reply::renderer(),
                render_event: tally_server::event_body::renderer(),
            },
        )
        .expect("starting the engine");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        let mut sim = Sim {
            rng: Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0x005e_ed0f_d20b),
            db,
            store,
            injector,
            engine: Some(engine),
            thread: Some(thread),
            runtime,
            next_key: 0,
            spent: BTreeMap::new(),
            acknowledged: BTreeMap::new(),
            unkeyed: Vec::new(),
            figures: Figures::default(),
        };
        let mut setup = Vec::new();
        for account in ACCOUNTS {
            setup.push((
                Command::CreateAccount {
                    id: Some(account.into()),
                    name: None,
                    overdraft_limit: Millicredits::ZERO,
                    metadata: None,
                },
                None,
            ));
            setup.push((
                Command::CreateGrant {
                    account_id: account.into(),
                    spec: GrantSpec {
                        amount: Millicredits::new(GRANTED),
                        source: GrantSource::Promo,
                        priority: 0,
                        effective_at: None,
                        expires_at: None,
                        description: None,
                        metadata: None,
                    },
                },
                None,
            ));
            sim.spent.insert(account.into(), 0);
        }
        for reply in sim.submit(setup) {
            reply.expect("the set-up succeeds");
        }
        sim
    }

    fn submit(&self, commands: Vec<(Command, Option<Idempotency>)>) -> Vec<engine::Reply> {
        let engine = self.engine.as_ref().expect("the engine runs");
        self.runtime.block_on(engine.submit_group(commands))
    }

    fn key(&mut self) -> Idempotency {
        self.next_key += 1;
        Idempotency {
            scope: "admin".into(),
            key: format!("pgf-{}", self.next_key),
            request_hash: format!("request-{}", self.next_key),
        }
    }

    fn sql(&self) -> postgres::Client {
        postgres::Client::connect(&self.db.url, postgres::NoTls).expect("a test connection")
    }

    fn record_count(&self, sql: &mut postgres::Client, key: &str) -> i64 {
        sql.query_one(
            "SELECT count(*) FROM idempotency WHERE scope = 'admin' AND key = $1",
            &[&key],
        )
        .expect("reading idempotency")
        .get(0)
    }

    /// Checks one answer against the store; returns whether it was acknowledged.
    fn check(
        &mut self,
        context: &str,
        command: &Command,
        idempotency: Option<&Idempotency>,
        reply: engine::Reply,
        expect_replay: bool,
    ) -> bool {
        let Command::Charge { account_id, spec } = command else {
            unreachable!("only charges")
        };
        let mut sql = self.sql();
        match reply {
            Ok(Answer::Recorded { answer, .. }) => {
                assert!(
                    !expect_replay,
                    "{context}: a first answer where a replay was due"
                );
                let key = idempotency.expect("a recorded answer has a key");
                assert_eq!(answer.status, 201, "{context}: {}", answer.body);
                let stored: String = sql
                    .query_one(
                        "SELECT body FROM idempotency WHERE scope = 'admin' AND key = $1",
                        &[&key.key],
                    )
                    .unwrap_or_else(|error| panic!("{context}: no record of {}: {error}", key.key))
                    .get(0);
                assert_eq!(
                    stored, answer.body,
                    "{context}: the record keeps the answer"
                );
                let id = charge_id(&answer.body);
                let charges: i64 = sql
                    .query_one("SELECT count(*) FROM charges WHERE id = $1", &[&id])
                    .expect("reading charges")
                    .get(0);
                assert_eq!(charges, 1, "{context}: the charge {id} is stored once");
                let previous = self.acknowledged.insert(
                    key.key.clone(),
                    Acknowledged {
                        status: answer.status,
                        body: answer.body,
                        charge_id: id,
                    },
                );
                assert!(previous.is_none(), "{context}: {} applied twice", key.key);
                *self.spent.get_mut(account_id).unwrap() += spec.amount.get();
                self.figures.acknowledged += 1;
                true
            }
            Ok(Answer::Replayed(answer)) => {
                assert!(
                    expect_replay,
                    "{context}: a replay of a key never acknowledged"
                );
                let key = idempotency.expect("a replay has a key");
                let first = &self.acknowledged[&key.key];
                assert_eq!(
                    (answer.status, &answer.body),
                    (first.status, &first.body),
                    "{context}: the replay is the first answer"
                );
                self.figures.replays_checked += 1;
                true
            }
            Ok(Answer::Done(outcome)) => {
                assert!(
                    idempotency.is_none(),
                    "{context}: a keyed answer not recorded"
                );
                let body = tally_server::reply::outcome_body(&outcome).to_string();
                let id = charge_id(&body);
                let charges: i64 = sql
                    .query_one("SELECT count(*) FROM charges WHERE id = $1", &[&id])
                    .expect("reading charges")
                    .get(0);
                assert_eq!(charges, 1, "{context}: the charge {id} is stored once");
                self.unkeyed.push(id);
                *self.spent.get_mut(account_id).unwrap() += spec.amount.get();
                self.figures.acknowledged += 1;
                true
            }
            Err(EngineError::Store(StoreError::Unavailable(detail))) => {
                assert!(
                    !expect_replay,
                    "{context}: an acknowledged key is 503 now: {detail}"
                );
                if let Some(key) = idempotency {
                    assert_eq!(
                        self.record_count(&mut sql, &key.key),
                        0,
                        "{context}: a 503 for {} whose batch committed ({detail})",
                        key.key
                    );
                }
                self.figures.unavailable += 1;
                false
            }
            Err(error) => panic!("{context}: unexpected answer {error:?}"),
        }
    }

    /// The accounts' totals equal the acknowledged charges: nothing unacknowledged landed.
    fn check_totals(&self, context: &str) {
        let mut sql = self.sql();
        for account in ACCOUNTS {
            let (posted, held): (i64, i64) = {
                let row = sql
                    .query_one(
                        "SELECT posted, held FROM accounts WHERE id = $1",
                        &[&account],
                    )
                    .expect("reading the account");
                (row.get(0), row.get(1))
            };
            assert_eq!(
                posted,
                GRANTED - self.spent[account],
                "{context}: {account}'s posted is the grant less the acknowledged charges"
            );
            assert_eq!(held, 0, "{context}: {account} holds nothing");
        }
    }

    fn round(&mut self, round: usize) {
        let drop = if self.rng.below(100) < 15 {
            None
        } else {
            Some(CUTS[self.rng.below(CUTS.len() as u64) as usize])
        };
        *self.injector.armed.lock().unwrap() = drop;
        let size = 1 + self.rng.below(4) as usize;
        let mut group = Vec::with_capacity(size);
        for _ in 0..size {
            let account = ACCOUNTS[self.rng.below(ACCOUNTS.len() as u64) as usize];
            let command = Command::Charge {
                account_id: account.into(),
                spec: debit(1 + self.rng.below(5_000) as i64),
            };
            let idempotency = (self.rng.below(100) < 80).then(|| self.key());
            group.push((command, idempotency));
        }
        let replies = self.submit(group.clone());
        self.injector.join_racing();
        let unfired = self.injector.armed.lock().unwrap().take();
        assert_eq!(
            unfired, None,
            "round {round}: the armed drop {drop:?} never fired"
        );
        self.figures.batches += 1;
        let mut retry = Vec::new();
        let mut acknowledged = 0;
        for (index, ((command, idempotency), reply)) in group.into_iter().zip(replies).enumerate() {
            self.figures.commands += 1;
            let context = format!("round {round}, command {index}, drop {drop:?}");
            if self.check(&context, &command, idempotency.as_ref(), reply, false) {
                acknowledged += 1;
            } else if let Some(key) = idempotency {
                retry.push((command, Some(key)));
            }
        }
        if acknowledged > 0 && matches!(drop, Some(Cut::CommitAnswerLost)) {
            self.figures.settled_committed += 1;
        }
        if drop == Some(Cut::CommitAnswerLost) {
            assert!(
                acknowledged > 0,
                "round {round}: a COMMIT that landed was not settled into its success"
            );
        }
        self.check_totals(&format!("round {round}, after the drop {drop:?}"));
        // No restart: the 503'd keyed charges, sent again with their keys, are done now.
        if !retry.is_empty() {
            let replies = self.submit(retry.clone());
            for (index, ((command, idempotency), reply)) in
                retry.into_iter().zip(replies).enumerate()
            {
                self.figures.retried += 1;
                let context = format!("round {round}, retry {index}");
                assert!(
                    self.check(&context, &command, idempotency.as_ref(), reply, false),
                    "{context}: the retry of a 503 is done once the connection is back"
                );
            }
        }
        // Now and then, an acknowledged key again: its first answer.
        if self.rng.below(100) < 30 && !self.acknowledged.is_empty() {
            let pick = self.rng.below(self.acknowledged.len() as u64) as usize;
            let key = self.acknowledged.keys().nth(pick).unwrap().clone();
            self.replay(&key, &format!("round {round}, replay of {key}"));
        }
        self.check_totals(&format!("round {round}, after the retries"));
    }

    /// Sends an acknowledged key's charge again (its request hash and account as first sent;
    /// the command itself is not compared, only the key and its hash).
    fn replay(&mut self, key: &str, context: &str) {
        let number = key.trim_start_matches("pgf-");
        let idempotency = Idempotency {
            scope: "admin".into(),
            key: key.to_string(),
            request_hash: format!("request-{number}"),
        };
        let command = Command::Charge {
            account_id: ACCOUNTS[0].into(),
            spec: debit(1),
        };
        let reply = self
            .submit(vec![(command.clone(), Some(idempotency.clone()))])
            .pop()
            .expect("one reply");
        self.check(context, &command, Some(&idempotency), reply, true);
    }

    /// Three keyed charges on two accounts, sent as one batch with `cut` armed to fire
    /// `firings` times (the batch and its retries meet it); the group and the replies.
    fn faulted_batch(
        &mut self,
        cut: Cut,
        firings: u32,
    ) -> (Vec<(Command, Option<Idempotency>)>, Vec<engine::Reply>) {
        *self.injector.armed.lock().unwrap() = Some(cut);
        *self.injector.again.lock().unwrap() = firings - 1;
        let fired_before = self.injector.fired.lock().unwrap().get(&cut).copied();
        let group: Vec<_> = [(ACCOUNTS[0], 700), (ACCOUNTS[1], 800), (ACCOUNTS[0], 900)]
            .into_iter()
            .map(|(account, amount)| {
                let command = Command::Charge {
                    account_id: account.into(),
                    spec: debit(amount),
                };
                (command, Some(self.key()))
            })
            .collect();
        let replies = self.submit(group.clone());
        let unfired = self.injector.armed.lock().unwrap().take();
        assert_eq!(unfired, None, "{cut:?}: the armed drop never fired");
        let fired = self.injector.fired.lock().unwrap()[&cut] - fired_before.unwrap_or(0);
        assert_eq!(fired, u64::from(firings), "{cut:?}: how often it fired");
        (group, replies)
    }

    /// A batch whose connection `cut` breaks once: it is tried again on a new connection and
    /// done, every charge once (first executions), all of it written by one transaction.
    fn retried_batch(&mut self, cut: Cut) {
        let (group, replies) = self.faulted_batch(cut, 1);
        let mut charges = Vec::new();
        for (index, ((command, idempotency), reply)) in group.iter().zip(replies).enumerate() {
            let context = format!("{cut:?}, command {index}");
            if let Ok(Answer::Recorded { answer, .. }) = &reply {
                charges.push(charge_id(&answer.body));
            }
            assert!(
                self.check(&context, command, idempotency.as_ref(), reply, false),
                "{context}: the batch was tried again and done"
            );
        }
        let keys: Vec<String> = group
            .iter()
            .filter_map(|(_, idempotency)| idempotency.as_ref().map(|key| key.key.clone()))
            .collect();
        // One transaction wrote the charges and their records (not statements committing
        // one by one, as on a connection made anew inside the transaction).
        let writers: Vec<String> = self
            .sql()
            .query(
                "SELECT xmin::text FROM charges WHERE id = ANY($1)
                 UNION SELECT xmin::text FROM idempotency WHERE scope = 'admin' AND key = ANY($2)",
                &[&charges, &keys],
            )
            .expect("reading the writers")
            .iter()
            .map(|row| row.get(0))
            .collect();
        assert_eq!(
            writers.len(),
            1,
            "{cut:?}: written by transactions {writers:?}"
        );
        self.check_totals(&format!("{cut:?}: the batch applied once"));
    }

    /// A batch whose connection `cut` breaks `firings` times: every command is 503, its
    /// detail saying each of `why`, and nothing of the batch is in the store (no record, the
    /// totals unchanged); sent again with the same keys, the charges are done, once.
    fn refused_batch(&mut self, cut: Cut, firings: u32, why: &[&str]) {
        let (group, replies) = self.faulted_batch(cut, firings);
        for (index, ((command, idempotency), reply)) in group.iter().zip(replies).enumerate() {
            let context = format!("{cut:?}, command {index}");
            match &reply {
                Err(EngineError::Store(StoreError::Unavailable(detail))) => {
                    for why in why {
                        assert!(detail.contains(why), "{context}: {detail:?} says {why:?}");
                    }
                }
                other => panic!("{context}: a 503 was due, got {other:?}"),
            }
            assert!(!self.check(&context, command, idempotency.as_ref(), reply, false));
        }
        self.check_totals(&format!("{cut:?}: nothing of the batch applied"));
        let replies = self.submit(group.clone());
        for (index, ((command, idempotency), reply)) in group.iter().zip(replies).enumerate() {
            let context = format!("{cut:?}, retry {index}");
            assert!(
                self.check(&context, command, idempotency.as_ref(), reply, false),
                "{context}: the retry is done on a new connection"
            );
        }
        self.check_totals(&format!("{cut:?}: the retries applied once"));
    }

    fn finish(mut self) -> Figures {
        let keys: Vec<String> = self.acknowledged.keys().cloned().collect();
        for key in &keys {
            self.replay(key, &format!("the final replay of {key}"));
        }
        let mut sql = self.sql();
        let stored: i64 = sql
            .query_one("SELECT count(*) FROM charges", &[])
            .expect("counting charges")
            .get(0);
        let expected = self.acknowledged.len() + self.unkeyed.len();
        assert_eq!(
            stored,
            i64::try_from(expected).unwrap(),
            "the charges table holds exactly the acknowledged charges"
        );
        for acknowledged in self.acknowledged.values() {
            assert!(self.unkeyed.iter().all(|id| *id != acknowledged.charge_id));
        }
        self.check_totals("at the end");
        let report = self.store.verify().expect("verify runs");
        assert!(report.problems.is_empty(), "verify: {:?}", report.problems);
        self.store.set_fault_hook(None);
        drop(self.engine.take());
        if let Some(thread) = self.thread.take() {
            thread.join().expect("the engine stops");
        }
        self.figures.fired = std::mem::take(&mut self.injector.fired.lock().unwrap());
        self.figures
    }
}

fn seeds() -> Vec<u64> {
    if let Ok(seed) = std::env::var(SEED_VARIABLE) {
        return vec![seed.parse().expect("TALLY_PG_FAULTS_SEED is a number")];
    }
    let count = std::env::var(SEEDS_VARIABLE)
        .ok()
        .map_or(SEEDS_DEFAULT, |count| {
            count.parse().expect("a number of seeds")
        });
    (1..=count).collect()
}

#[test]
fn connection_drops_mid_transaction_and_at_commit_never_misanswer() {
    let mut total = Figures::default();
    for seed in seeds() {
        eprintln!("pg_commit_faults: seed {seed} ({SEED_VARIABLE}={seed} reruns it)");
        let mut sim = Sim::new(seed);
        for round in 0..ROUNDS {
            sim.round(round);
        }
        let figures = sim.finish();
        total.seeds += 1;
        total.batches += figures.batches;
        total.commands += figures.commands;
        total.acknowledged += figures.acknowledged;
        total.unavailable += figures.unavailable;
        total.retried += figures.retried;
        total.replays_checked += figures.replays_checked;
        total.settled_committed += figures.settled_committed;
        for (drop, count) in figures.fired {
            *total.fired.entry(drop).or_default() += count;
        }
    }
    eprintln!("pg_commit_faults: {total:#?}");
    for drop in CUTS {
        assert!(
            total.fired.get(&drop).copied().unwrap_or(0) > 0 || total.seeds < 2,
            "the drop {drop:?} never fired"
        );
    }
    assert!(total.unavailable > 0, "no drop made a 503");
}

/// A connection found lost between BEGIN and COMMIT is not replaced for the rest of the batch:
/// on a new connection, outside the transaction and its locks, each statement would commit
/// alone, and a COMMIT sent there would be answered as if the batch had committed. Whether the
/// connection went after BEGIN, with the accounts locked, or with the batch written (before
/// COMMIT was sent), the batch is not done there: it is tried again from the start on a new
/// connection, and done once, by one transaction. Lost on the retry too, it is 503 with
/// nothing applied: tried again once, not more.
#[test]
fn a_connection_lost_inside_the_transaction_is_not_replaced() {
    let mut sim = Sim::new(1);
    for cut in [Cut::DropAtBegin, Cut::DropAtLocked, Cut::DropAtWritten] {
        sim.retried_batch(cut);
    }
    let inside = "the connection was lost inside a transaction";
    sim.refused_batch(Cut::DropAtLocked, 2, &[inside, "nothing was applied"]);
    sim.refused_batch(Cut::DropAtWritten, 2, &[inside, "before COMMIT was sent"]);
    sim.finish();
}

/// A batch's server process ended (pg_terminate_backend) before its COMMIT was sent, right
/// after BEGIN or with its accounts locked: nothing of it can have applied, so the engine
/// tries it again on a new connection instead of answering 503, and it is done once.
#[test]
fn a_batch_whose_connection_broke_before_commit_is_tried_again() {
    let mut sim = Sim::new(3);
    sim.retried_batch(Cut::AtBegin);
    sim.retried_batch(Cut::AtLocked);
    sim.refused_batch(Cut::AtLocked, 2, &["nothing was applied"]);
    sim.finish();
}

/// COMMIT lost on its way (the network failed; the socket is still open): the server process
/// waits on in the open transaction, so asking whether it committed says "in progress" for as
/// long as it lives. The settling ends that process, and then the answer is final: it did not
/// commit, the batch is 503 with nothing applied, the process is gone (its locks with it),
/// and the keys retried are done once. (Without the ending, the settling runs out of time and
/// can only say the outcome is unknown.)
#[test]
fn a_commit_lost_on_its_way_is_settled_by_ending_its_transaction() {
    let mut sim = Sim::new(2);
    sim.refused_batch(Cut::AbandonAtCommit, 1, &["the batch did not commit"]);
    let pid = sim
        .injector
        .fired_pid
        .lock()
        .unwrap()
        .expect("the batch's process");
    let alive: i64 = sim
        .sql()
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = $1",
            &[&pid],
        )
        .expect("reading pg_stat_activity")
        .get(0);
    assert_eq!(alive, 0, "the lost transaction's process {pid} was ended");
    sim.finish();
}
