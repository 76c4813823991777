//! The engine and its committer on a real SQLite file whose commits are made slow, or made to
//! fail, by a wrapper: batches applied while earlier ones are still being written must see
//! what those decided, and a failed commit must take nothing acknowledged with it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tally_core::catalog::Catalog;
use tally_core::usage::UsageDelta;
use tally_core::{
    AccountState, Attribution, Charge, DebitSpec, Entry, Grant, GrantSource, GrantSpec,
    GrantStatus, Hold, Millicredits, Subscription, Timestamp,
};
use tally_engine::clock::SystemClock;
use tally_engine::{
    self as engine, Answer, Command, EngineConfig, EngineHandle, Idempotency, Reply, StoredAnswer,
};
use tally_server::error::ApiError;
use tally_sqlite::SqliteStore;
use tally_store::{
    AccountRow, ApiKeyRecord, BatchWrite, EntryFilter, IdempotencyRecord, Page, PageError,
    PageRequest, PurchaseRecord, RateCardRecord, Store, StoreError, UsageDimension, UsageGroup,
    VerifyReport,
};

/// The SQLite store, with commits that take `delay` longer, and fail while `fail_commits`
/// is above zero (each failure counts it down).
struct SlowStore {
    inner: SqliteStore,
    delay_millis: AtomicU64,
    fail_commits: AtomicU64,
    failed: AtomicBool,
}

impl SlowStore {
    fn before_commit(&self) -> Result<(), StoreError> {
        std::thread::sleep(Duration::from_millis(
            self.delay_millis.load(Ordering::SeqCst),
        ));
        let failing = self
            .fail_commits
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            });
        if failing.is_ok() {
            self.failed.store(true, Ordering::SeqCst);
            return Err(StoreError::Unavailable("injected: the disk is full".into()));
        }
        Ok(())
    }
}

impl Store for SlowStore {
    fn load_states(&self) -> Result<Vec<AccountState>, StoreError> {
        self.inner.load_states()
    }
    fn max_grant_ordinal(&self) -> Result<i64, StoreError> {
        self.inner.max_grant_ordinal()
    }
    fn commit_many(&self, batches: &[&BatchWrite]) -> Result<(), StoreError> {
        self.before_commit()?;
        self.inner.commit_many(batches)
    }
    fn idempotency(&self, scope: &str, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        self.inner.idempotency(scope, key)
    }
    fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.inner.meta(key)
    }
    fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping()
    }
    fn account(&self, id: &str) -> Result<Option<AccountRow>, StoreError> {
        self.inner.account(id)
    }
    fn accounts(&self, page: &PageRequest) -> Result<Page<AccountRow>, PageError> {
        self.inner.accounts(page)
    }
    fn balance_grants(&self, account_id: &str) -> Result<Vec<Grant>, StoreError> {
        self.inner.balance_grants(account_id)
    }
    fn grant(&self, id: &str) -> Result<Option<Grant>, StoreError> {
        self.inner.grant(id)
    }
    fn grants(
        &self,
        account_id: &str,
        status: Option<GrantStatus>,
        page: &PageRequest,
    ) -> Result<Page<Grant>, PageError> {
        self.inner.grants(account_id, status, page)
    }
    fn hold(&self, id: &str) -> Result<Option<Hold>, StoreError> {
        self.inner.hold(id)
    }
    fn usage(
        &self,
        account_id: &str,
        from: Timestamp,
        to: Timestamp,
        group_by: &[UsageDimension],
    ) -> Result<Vec<(UsageGroup, UsageDelta)>, StoreError> {
        self.inner.usage(account_id, from, to, group_by)
    }
    fn subscription(&self, account_id: &str) -> Result<Option<Subscription>, StoreError> {
        self.inner.subscription(account_id)
    }
    fn rate_card(&self, version: i64) -> Result<Option<RateCardRecord>, StoreError> {
        self.inner.rate_card(version)
    }
    fn latest_rate_card_version(&self) -> Result<Option<i64>, StoreError> {
        self.inner.latest_rate_card_version()
    }
    fn purchases(
        &self,
        account_id: &str,
        page: &PageRequest,
    ) -> Result<Page<PurchaseRecord>, PageError> {
        self.inner.purchases(account_id, page)
    }
    fn charge(&self, id: &str) -> Result<Option<Charge>, StoreError> {
        self.inner.charge(id)
    }
    fn entries(
        &self,
        account_id: &str,
        filter: &EntryFilter,
        page: &PageRequest,
    ) -> Result<Page<Entry>, PageError> {
        self.inner.entries(account_id, filter, page)
    }
    fn api_key_by_hash(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        self.inner.api_key_by_hash(key_hash)
    }
    fn api_key(&self, id: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        self.inner.api_key(id)
    }
    fn api_keys(&self, account_id: &str) -> Result<Vec<ApiKeyRecord>, StoreError> {
        self.inner.api_keys(account_id)
    }
    fn verify(&self) -> Result<VerifyReport, StoreError> {
        self.inner.verify()
    }
}

/// A temp directory, removed when dropped.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Setup {
    store: Arc<SlowStore>,
    engine: EngineHandle,
    thread: std::thread::JoinHandle<()>,
    _dir: TempDir,
}

impl Setup {
    /// An engine on a fresh file with account `a` holding `credits`; every commit after that
    /// takes `delay_millis` longer.
    async fn start(name: &str, credits: i64, delay_millis: u64) -> Setup {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock after 1970")
            .as_nanos();
        let dir = TempDir(std::env::temp_dir().join(format!(
            "tally-committer-{name}-{}-{nanos}",
            std::process::id()
        )));
        std::fs::create_dir_all(&dir.0).expect("temp dir");
        let store = Arc::new(SlowStore {
            inner: SqliteStore::open(dir.0.join("ledger.db")).expect("opening the store"),
            delay_millis: AtomicU64::new(0),
            fail_commits: AtomicU64::new(0),
            failed: AtomicBool::new(false),
        });
        let (engine, thread) = engine::start(
            store.clone(),
            EngineConfig {
                clock: Arc::new(SystemClock),
                test_clock: None,
                catalog: Arc::new(Catalog::default()),
                batch_commands_max: engine::BATCH_COMMANDS_MAX_DEFAULT,
                render: tally_server::reply::renderer(),
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
        store.delay_millis.store(delay_millis, Ordering::SeqCst);
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

    fn stop_and_verify(self) {
        drop(self.engine);
        self.thread.join().expect("the engine stops");
        let report = self.store.verify().expect("verify");
        assert!(report.problems.is_empty(), "{:?}", report.problems);
    }
}

fn charge_one_credit() -> Command {
    Command::Charge {
        account_id: "a".into(),
        spec: DebitSpec {
            amount: Millicredits::from_credits(1),
            attribution: Attribution::default(),
            description: None,
            metadata: None,
            extra: None,
        },
    }
}

/// The answer as kept for a replay.
fn stored(answer: &Answer) -> StoredAnswer {
    match answer {
        Answer::Recorded { answer, .. } | Answer::Replayed(answer) => answer.clone(),
        Answer::Done(outcome) => panic!("a keyed answer is recorded: {outcome:?}"),
    }
}

/// The API's error code for a refusal.
fn code(error: &tally_engine::EngineError) -> &'static str {
    ApiError::from(error.clone()).code()
}

fn keyed(key: &str) -> Option<Idempotency> {
    Some(Idempotency {
        scope: "account:a".into(),
        key: key.into(),
        request_hash: "same request".into(),
    })
}

/// Sends `count` commands made by `command`, one every `spacing`, without waiting for
/// answers (so later ones are applied while earlier ones are still being committed), then
/// collects the answers in order.
async fn staggered(
    engine: &EngineHandle,
    count: usize,
    spacing: Duration,
    command: impl Fn(usize) -> (Command, Option<Idempotency>),
) -> Vec<Reply> {
    let mut tasks = Vec::new();
    for n in 0..count {
        let engine = engine.clone();
        let (command, idempotency) = command(n);
        tasks.push(tokio::spawn(async move {
            engine.submit(command, idempotency).await
        }));
        tokio::time::sleep(spacing).await;
    }
    let mut replies = Vec::new();
    for task in tasks {
        replies.push(task.await.expect("a submitting task"));
    }
    replies
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn later_batches_see_what_batches_still_being_committed_decided() {
    let setup = Setup::start("overlay", 10, 40).await;
    let batches_before = setup.engine.metrics.batches.load(Ordering::Relaxed);

    // The same key, over and over, while the first use is still being written: one charge.
    let replies = staggered(&setup.engine, 12, Duration::from_millis(7), |_| {
        (charge_one_credit(), keyed("once"))
    })
    .await;
    let bodies: Vec<_> = replies
        .into_iter()
        .map(|reply| reply.expect("a keyed charge succeeds or replays"))
        .collect();
    assert!(!bodies[0].is_replayed());
    for later in &bodies[1..] {
        assert!(later.is_replayed(), "the key was used by a batch in flight");
        assert_eq!(stored(later), stored(&bodies[0]));
    }

    // Fifteen more without keys against the 9 credits left: what is refused depends on
    // charges not yet durable, and exactly 9 succeed.
    let replies = staggered(&setup.engine, 15, Duration::from_millis(3), |_| {
        (charge_one_credit(), None)
    })
    .await;
    let succeeded = replies.iter().filter(|reply| reply.is_ok()).count();
    let refused: Vec<_> = replies
        .iter()
        .filter_map(|reply| reply.as_ref().err())
        .map(|error| code(error))
        .collect();
    assert_eq!(succeeded, 9, "refusals: {refused:?}");
    assert!(
        refused.iter().all(|code| *code == "insufficient_credits"),
        "{refused:?}"
    );
    assert_eq!(setup.posted_credits(), 0);

    // The commits were grouped: fewer transactions than commands.
    let transactions = setup.engine.metrics.batches.load(Ordering::Relaxed) - batches_before;
    assert!(
        transactions < 27,
        "{transactions} transactions for 27 commands"
    );
    setup.stop_and_verify();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_commit_takes_what_followed_it_and_nothing_acknowledged() {
    let setup = Setup::start("failure", 10, 30).await;
    setup.store.fail_commits.store(1, Ordering::SeqCst);

    // The first charge's commit fails; the others were applied on top of it in memory and
    // must be refused too, not committed without it.
    let replies = staggered(&setup.engine, 4, Duration::from_millis(5), |_| {
        (charge_one_credit(), None)
    })
    .await;
    assert!(setup.store.failed.load(Ordering::SeqCst));
    for reply in &replies {
        let error = reply.as_ref().expect_err("refused after the failed commit");
        assert_eq!(code(error), "unavailable", "{error:?}");
    }
    assert_eq!(setup.posted_credits(), 10, "nothing of the failed batches");

    // The engine reloads from the store and goes on: the next charges count from 10.
    let replies = staggered(&setup.engine, 3, Duration::from_millis(5), |n| {
        (charge_one_credit(), keyed(&format!("after-{n}")))
    })
    .await;
    for reply in &replies {
        let rendered = reply.as_ref().expect("charged after the reload");
        assert!(!rendered.is_replayed());
    }
    assert_eq!(setup.posted_credits(), 7);
    assert_eq!(
        setup.engine.metrics.commit_failures.load(Ordering::Relaxed),
        1
    );
    setup.stop_and_verify();
}
