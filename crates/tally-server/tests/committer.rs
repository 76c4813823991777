//! The engine and its committer on a real SQLite file whose commits are held at a gate, or made
//! to fail, by a wrapper: batches applied while earlier ones are still being written must see
//! what those decided, and a failed commit must take nothing acknowledged with it.
//!
//! The interleaving is forced, not timed: the first batch's commit is held at the closed gate
//! until every later command has been applied on top of it in memory.

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use common::gated_store::{GatedStore, TempDir, submit_in_order, wait_until_applied};
use common::gated_store::{Reply, renderer};
use tally_core::catalog::Catalog;
use tally_core::{Attribution, DebitSpec, GrantSource, GrantSpec, Millicredits};
use tally_engine::clock::SystemClock;
use tally_engine::{self as engine, Command, EngineConfig, EngineHandle, Idempotency};
use tally_store::ReadStore;

struct Setup {
    store: Arc<GatedStore>,
    engine: EngineHandle,
    thread: std::thread::JoinHandle<()>,
    _dir: TempDir,
}

impl Setup {
    /// An engine on a fresh file with account `a` holding `credits`.
    async fn start(name: &str, credits: i64) -> Setup {
        let dir = TempDir::new(&format!("committer-{name}"));
        let store = Arc::new(GatedStore::open(&dir.path().join("ledger.db")));
        let (engine, thread) = engine::start(
            store.clone(),
            EngineConfig {
                clock: Arc::new(SystemClock),
                test_clock: None,
                catalog: Arc::new(Catalog::default()),
                batch_commands_max: engine::BATCH_COMMANDS_MAX_DEFAULT,
                render: renderer(),
                render_event: tally_server::event_body::renderer(),
            },
        )
        .expect("starting the engine");
        let create = Command::CreateAccount {
            id: Some("a".into()),
            name: None,
            overdraft_limit: Millicredits::ZERO,
            metadata: None,
        };
        engine.submit(create, None).await.expect("account");
        let grant = Command::CreateGrant {
            account_id: "a".into(),
            spec: GrantSpec {
                amount: Millicredits::from_credits(credits),
                source: GrantSource::Promo,
                priority: 0,
                effective_at: None,
                expires_at: None,
                description: None,
                metadata: None,
            },
        };
        engine.submit(grant, None).await.expect("grant");
        Setup {
            store,
            engine,
            thread,
            _dir: dir,
        }
    }

    fn posted_credits(&self) -> i64 {
        let row = self.store.account("a").expect("read").expect("account a");
        row.totals.posted.get() / 1_000
    }

    fn transactions(&self) -> u64 {
        self.engine.metrics.batches.load(Ordering::SeqCst)
    }

    /// Holds the next commit at the gate: submits `first`, waits until its commit has started
    /// (and is blocked), then submits `rest` and waits until the engine has applied it, on top
    /// of the first batch that is still not durable. Then a marker, then the gate opens; the
    /// answers of `first`, `rest` and the marker.
    ///
    /// The marker (a charge on an account that does not exist, which writes nothing) is
    /// submitted only once `rest` is applied, so it is a batch of its own, and the engine
    /// starts it only after it has handed the last batch of `rest` to the committer: once the
    /// marker is applied, everything of `rest` is waiting for the committer.
    async fn with_first_commit_held(
        &self,
        first: (Command, Option<Idempotency>),
        rest: Vec<(Command, Option<Idempotency>)>,
    ) -> (Reply, Vec<Reply>, Reply) {
        self.store.close_gate();
        let started = self.store.commits_started();
        let mut applied = self.engine.metrics.commands.load(Ordering::SeqCst);
        let first = submit_in_order(&self.engine, [first]).await;
        let blocked = self.store.wait_for_blocked_commit(started);
        assert_eq!(blocked.batches, 1, "the first command's batch alone");
        applied += 1 + rest.len() as u64;
        let rest = submit_in_order(&self.engine, rest).await;
        wait_until_applied(&self.engine, applied);
        let marker = submit_in_order(&self.engine, [(charge_one_credit_on("nobody"), None)]).await;
        wait_until_applied(&self.engine, applied + 1);
        self.store.open_gate();
        let first = first.replies().await.remove(0);
        let rest = rest.replies().await;
        let marker = marker.replies().await.remove(0);
        (first, rest, marker)
    }

    fn stop_and_verify(self) {
        drop(self.engine);
        self.thread.join().expect("the engine stops");
        let report = self.store.verify().expect("verify");
        assert!(report.problems.is_empty(), "{:?}", report.problems);
    }
}

fn charge_one_credit_on(account_id: &str) -> Command {
    Command::Charge {
        account_id: account_id.into(),
        spec: DebitSpec {
            amount: Millicredits::from_credits(1),
            attribution: Attribution::default(),
            description: None,
            metadata: None,
            extra: None,
        },
    }
}

fn charge_one_credit() -> Command {
    charge_one_credit_on("a")
}

fn keyed(key: &str) -> Option<Idempotency> {
    Some(Idempotency {
        scope: "account:a".into(),
        key: key.into(),
        request_hash: "same request".into(),
    })
}

#[tokio::test]
async fn later_batches_see_what_batches_still_being_committed_decided() {
    let setup = Setup::start("overlay", 10).await;
    let transactions_before = setup.transactions();
    let committed_before = setup.store.commits_succeeded();

    // The same key, eleven more times, all applied while the first use is still being
    // written: one charge, and eleven replays of its answer.
    let repeats = (0..11)
        .map(|_| (charge_one_credit(), keyed("once")))
        .collect();
    let (first, later, marker) = setup
        .with_first_commit_held((charge_one_credit(), keyed("once")), repeats)
        .await;
    let first = first.expect("the keyed charge succeeds");
    assert!(!first.replayed);
    assert_eq!(first.status, 201);
    for later in later {
        let later = later.expect("a replay");
        assert!(later.replayed, "the key was used by a batch in flight");
        assert_eq!(later.status, first.status);
        assert_eq!(later.body.into_json(), first.body.clone().into_json());
    }
    assert_eq!(marker.expect_err("no account").code(), "not_found");
    assert_eq!(setup.posted_credits(), 9);
    // The replays write nothing: one transaction, the first charge's.
    assert_eq!(setup.transactions() - transactions_before, 1);

    // Fifteen more without keys against the 9 credits left, all applied while the first of
    // them is still being written: what is refused depends on charges not yet durable, and
    // exactly 9 succeed, the first 9.
    let rest = (0..14).map(|_| (charge_one_credit(), None)).collect();
    let (first, rest, marker) = setup
        .with_first_commit_held((charge_one_credit(), None), rest)
        .await;
    assert_eq!(marker.expect_err("no account").code(), "not_found");
    let replies: Vec<Reply> = [first].into_iter().chain(rest).collect();
    let outcomes: Vec<&str> = replies
        .iter()
        .map(|reply| match reply {
            Ok(_) => "ok",
            Err(error) => error.code(),
        })
        .collect();
    let expected: Vec<&str> = [["ok"; 9].as_slice(), ["insufficient_credits"; 6].as_slice()]
        .concat()
        .clone();
    assert_eq!(outcomes, expected);
    assert_eq!(setup.posted_credits(), 0);

    // The commits were grouped, and the gate says exactly how: the first charge alone, then
    // everything that waited behind it in one transaction.
    assert_eq!(setup.transactions() - transactions_before, 3);
    assert_eq!(setup.store.commits_succeeded() - committed_before, 3);
    setup.stop_and_verify();
}

#[tokio::test]
async fn a_failed_commit_takes_what_followed_it_and_nothing_acknowledged() {
    let setup = Setup::start("failure", 10).await;
    setup.store.fail_next_commits(1);

    // The first charge's commit fails; the others were applied on top of it in memory and
    // must be refused too, not committed without it.
    let rest = (0..3).map(|_| (charge_one_credit(), None)).collect();
    let (first, rest, marker) = setup
        .with_first_commit_held((charge_one_credit(), None), rest)
        .await;
    assert_eq!(setup.store.commits_failed(), 1);
    for reply in [&first].into_iter().chain(&rest).chain([&marker]) {
        let error = reply.as_ref().expect_err("refused after the failed commit");
        assert_eq!(error.code(), "unavailable", "{error:?}");
    }
    assert_eq!(setup.posted_credits(), 10, "nothing of the failed batches");

    // The engine reloads from the store and goes on: the next charges count from 10.
    let replies = submit_in_order(
        &setup.engine,
        (0..3).map(|n| (charge_one_credit(), keyed(&format!("after-{n}")))),
    )
    .await
    .replies()
    .await;
    for reply in &replies {
        let rendered = reply.as_ref().expect("charged after the reload");
        assert!(!rendered.replayed);
    }
    assert_eq!(setup.posted_credits(), 7);
    assert_eq!(
        setup.engine.metrics.commit_failures.load(Ordering::Relaxed),
        1
    );
    assert_eq!(setup.store.commits_failed(), 1);
    setup.stop_and_verify();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clock_move_whose_commit_failed_never_happened() {
    let dir = TempDir::new("committer-clock");
    let store = Arc::new(GatedStore::open(&dir.path().join("ledger.db")));
    let start = tally_core::Timestamp::from_micros(1_767_225_600_000_000); // 2026-01-01
    let clock = Arc::new(tally_engine::clock::TestClock::starting_at(start));
    let (engine, thread) = engine::start(
        store.clone(),
        EngineConfig {
            clock: clock.clone(),
            test_clock: Some(clock.clone()),
            catalog: Arc::new(Catalog::default()),
            batch_commands_max: engine::BATCH_COMMANDS_MAX_DEFAULT,
            render: renderer(),
            render_event: tally_server::event_body::renderer(),
        },
    )
    .expect("starting the engine");

    store.fail_next_commits(1);
    let moved = engine
        .submit(
            Command::MoveClock {
                to: start.plus_seconds(86_400),
            },
            None,
        )
        .await;
    let refused = moved.expect_err("the move's commit failed");
    assert_eq!(
        tally_server::error::ApiError::from(refused).code(),
        "unavailable"
    );

    // The next batch finds the clock where the store has it, and its entries are made then.
    let created = engine
        .submit(
            Command::CreateAccount {
                id: Some("a".into()),
                name: None,
                overdraft_limit: Millicredits::ZERO,
                metadata: None,
            },
            None,
        )
        .await
        .expect("the account");
    let Some(tally_engine::Outcome::Account(account)) = created.outcome() else {
        panic!("an account: {created:?}");
    };
    assert_eq!(account.created_at, start);
    assert_eq!(tally_core::Clock::now(clock.as_ref()), start);
    drop(engine);
    thread.join().expect("the engine stops");
    let report = store.verify().expect("verify");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

/// A new account with a random id (a command that writes, so its batch needs a commit).
fn create_account() -> (Command, Option<Idempotency>) {
    let command = Command::CreateAccount {
        id: None,
        name: None,
        overdraft_limit: Millicredits::ZERO,
        metadata: None,
    };
    (command, None)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_refuses_at_once_and_loses_nothing_it_took() {
    let dir = TempDir::new("committer-queue");
    let store = Arc::new(GatedStore::open(&dir.path().join("ledger.db")));
    // One command per batch, so the engine takes only a few commands while the committer is
    // held, and the rest wait in its queue.
    let (engine, thread) = engine::start(
        store.clone(),
        EngineConfig {
            clock: Arc::new(SystemClock),
            test_clock: None,
            catalog: Arc::new(Catalog::default()),
            batch_commands_max: 1,
            render: renderer(),
            render_event: tally_server::event_body::renderer(),
        },
    )
    .expect("starting the engine");
    store.close_gate();
    let first = submit_in_order(&engine, [create_account()]).await;
    store.wait_for_blocked_commit(0);

    // Far more than the queue holds, while nothing can commit: the queue takes what fits (and
    // the engine a few more, which it hands to the held committer), the rest are refused at
    // once, without waiting.
    let extra = 1_000;
    let offered = tally_engine::REQUESTS_QUEUED_MAX + extra;
    let rest = submit_in_order(&engine, (0..offered).map(|_| create_account())).await;
    store.open_gate();
    let mut replies = first.replies().await;
    replies.extend(rest.replies().await);
    let refused: Vec<_> = replies
        .iter()
        .filter_map(|reply| reply.as_ref().err())
        .collect();
    let accepted = replies.len() - refused.len();
    assert!(
        refused.iter().all(|error| error.code() == "unavailable"),
        "{:?}",
        refused.first()
    );
    assert!(!refused.is_empty(), "a full queue refuses");
    assert!(
        accepted > tally_engine::REQUESTS_QUEUED_MAX,
        "the queue holds {} requests; {accepted} were taken",
        tally_engine::REQUESTS_QUEUED_MAX
    );
    assert!(accepted < 1 + offered, "{accepted} of {offered} taken");

    // Every request taken was done and is durable; none refused left a trace.
    drop(engine);
    thread.join().expect("the engine stops");
    let report = store.verify().expect("verify");
    assert_eq!(report.accounts, accepted as u64, "{:?}", report.problems);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}
