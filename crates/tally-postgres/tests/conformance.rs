//! The PostgreSQL store against the Store and SharedBatch contracts. Every test gets a fresh
//! database (`CREATE DATABASE tally_test_<random>`, dropped when it ends) on the server at
//! `TALLY_TEST_DATABASE_URL`; `scripts/with-postgres` makes a throwaway server for them:
//!
//! ```sh
//! scripts/with-postgres cargo test -p tally-postgres
//! ```
//!
//! Without the variable every test fails: a suite that cannot run must never pass.
//!
//! Batches are made the way the engine makes them: the core applies operations to an
//! `AccountState` and the effects, totals and next due instants become a `BatchWrite`.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use postgres::NoTls;
use tally_core::catalog::Catalog;
use tally_core::usage::{
    MICROS_PER_DAY, MICROS_PER_MINUTE, UsageDelta, bucket_deltas, refund_deltas, usage_deltas,
};
use tally_core::{
    Account, AccountState, Attribution, DebitSpec, Effects, EntryKind, Grant, GrantLifecycle,
    GrantSource, GrantSpec, GrantStatus, HoldStatus, IdKind, IdSource, Millicredits,
    PurchaseStatus, Timestamp,
};
use tally_postgres::{PostgresStore, account_lock_key, idempotency_lock_key};
use tally_store::{
    ApiKeyRecord, BatchWrite, EntryFilter, IdempotencyRecord, LedgerStore, PageError, PageRequest,
    RateCardRecord, ReadStore, StoreError, UsageDimension, UsageGroup,
};

const NO_DATABASE: &str = "TALLY_TEST_DATABASE_URL is not set. Run the PostgreSQL tests \
    through scripts/with-postgres, which starts a throwaway cluster for them (e.g. \
    `scripts/with-postgres cargo test -p tally-postgres`), or set TALLY_TEST_DATABASE_URL to a \
    server where they may create and drop databases.";

/// The longest any call may take when all is well.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------------
// A fresh database per test
// ---------------------------------------------------------------------------------------------

fn server_url() -> String {
    match std::env::var("TALLY_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!("{NO_DATABASE}"),
    }
}

/// `url` with its database name replaced by `name`.
fn with_dbname(url: &str, name: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((head, query)) => (head, format!("?{query}")),
        None => (url, String::new()),
    };
    let authority = head.find("://").map_or(0, |at| at + 3);
    let base = match head[authority..].find('/') {
        Some(at) => &head[..authority + at],
        None => head,
    };
    format!("{base}/{name}{query}")
}

fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    // RandomState's keys come from the OS's random source, once per process and thread.
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::SeqCst));
    format!("{:016x}", hasher.finish())
}

/// A database of this test's own, dropped (with any connection left) when it drops.
struct TestDb {
    server: String,
    name: String,
    url: String,
}

impl TestDb {
    fn new() -> TestDb {
        let server = server_url();
        let name = format!("tally_test_{}", unique_suffix());
        let mut admin = postgres::Client::connect(&server, NoTls)
            .unwrap_or_else(|error| panic!("connecting to {server}: {error}"));
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("creating the test database");
        let url = with_dbname(&server, &name);
        TestDb { server, name, url }
    }

    fn open(&self) -> PostgresStore {
        PostgresStore::open(&self.url).expect("opening the store")
    }

    /// A plain client on the test database, for what the store never does.
    fn sql(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, NoTls).expect("connecting to the test database")
    }

    /// Blocks until some session of this database waits for a lock (the server says so in
    /// `pg_stat_activity`): the proof that a call is waiting, without timing it.
    fn wait_until_a_session_waits_for_a_lock(&self) {
        let mut client = self.sql();
        let started = Instant::now();
        loop {
            let waiting: i64 = client
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity \
                     WHERE datname = current_database() AND wait_event_type = 'Lock'",
                    &[],
                )
                .expect("reading pg_stat_activity")
                .get(0);
            if waiting > 0 {
                return;
            }
            assert!(
                started.elapsed() < CALL_TIMEOUT,
                "no session waited for a lock within {CALL_TIMEOUT:?}"
            );
        }
    }

    /// How many advisory locks sessions of this database hold.
    fn advisory_locks_held(&self) -> i64 {
        self.sql()
            .query_one(
                "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database \
                 WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database()",
                &[],
            )
            .expect("reading pg_locks")
            .get(0)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.server, NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Making batches with the core
// ---------------------------------------------------------------------------------------------

/// A UTC midnight, so that usage days are easy to reason about.
const T0: i64 = 20_000 * MICROS_PER_DAY;

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_micros(T0 + seconds * 1_000_000)
}

fn credits(value: i64) -> Millicredits {
    Millicredits::from_credits(value)
}

/// Ids `<kind prefix><source>_<n>`; ordinals counting up.
struct Ids {
    source: String,
    next: i64,
}

impl Ids {
    fn new(source: &str) -> Self {
        Ids {
            source: source.to_string(),
            next: 0,
        }
    }
}

impl IdSource for Ids {
    fn new_id(&mut self, kind: IdKind) -> String {
        self.next += 1;
        format!("{}{}_{:05}", kind.prefix(), self.source, self.next)
    }

    fn next_ordinal(&mut self) -> i64 {
        self.next += 1;
        self.next
    }
}

fn account(id: &str) -> Account {
    Account {
        id: id.to_string(),
        name: Some(format!("{id} Inc.")),
        overdraft_limit: Millicredits::ZERO,
        metadata: None,
        created_at: at(0),
        settings: Default::default(),
    }
}

fn promo(amount: i64, expires_at: Option<Timestamp>) -> GrantSpec {
    GrantSpec {
        amount: credits(amount),
        source: GrantSource::Promo,
        priority: 0,
        effective_at: None,
        expires_at,
        description: None,
        metadata: None,
    }
}

fn debit(amount: i64, product: &str) -> DebitSpec {
    DebitSpec {
        amount: credits(amount),
        attribution: Attribution {
            product: Some(product.to_string()),
            ..Attribution::default()
        },
        description: None,
        metadata: None,
        extra: None,
    }
}

/// What the engine writes after applying `effects` to these accounts.
fn write_of(states: &[&AccountState], mut effects: Effects) -> BatchWrite {
    // The engine renders each event's body with the API's renderer; any text does here.
    let events = effects
        .events
        .drain(..)
        .map(|event| {
            let body = format!(r#"{{"id":"{}"}}"#, event.id);
            tally_store::EventRecord::of(event, body)
        })
        .collect();
    BatchWrite {
        events,
        account_totals: states
            .iter()
            .map(|state| (state.account.id.clone(), state.totals()))
            .collect(),
        account_next_due: states
            .iter()
            .map(|state| {
                let next = Some(state.next_due_at()).filter(|at| *at != Timestamp::MAX);
                (state.account.id.clone(), next)
            })
            .collect(),
        usage: usage_deltas(&effects.entries)
            .into_iter()
            .chain(refund_deltas(&effects.refunds))
            .collect(),
        usage_buckets: bucket_deltas(&effects.entries, &effects.refunds),
        effects,
        ..BatchWrite::default()
    }
}

/// Creates `id` with a grant of `amount` credits (expiring at `expires_at`) in one commit.
fn funded(store: &PostgresStore, id: &str, amount: i64, expires_at: Option<Timestamp>) {
    let mut ids = Ids::new(&format!("setup_{id}"));
    let mut state = AccountState::new(account(id));
    let mut effects = Effects::default();
    state
        .create_grant(promo(amount, expires_at), at(0), &mut ids, &mut effects)
        .expect("granting");
    let mut write = write_of(&[&state], effects);
    write.new_accounts.push(state.account.clone());
    store.commit(&write).expect("committing the set-up");
}

fn page(limit: usize, starting_after: Option<String>) -> PageRequest {
    PageRequest {
        limit,
        starting_after,
    }
}

fn next_due_column(db: &TestDb, id: &str) -> Option<i64> {
    db.sql()
        .query_one("SELECT next_due_at FROM accounts WHERE id = $1", &[&id])
        .expect("reading next_due_at")
        .get(0)
}

// ---------------------------------------------------------------------------------------------
// Writes and reads
// ---------------------------------------------------------------------------------------------

#[test]
fn a_committed_batch_reads_back_exactly_as_written() {
    let db = TestDb::new();
    let store = db.open();
    let catalog = Catalog::default();
    let mut ids = Ids::new("rt");
    let acme = Account {
        id: "acme".into(),
        name: Some("Acme Inc.".into()),
        overdraft_limit: credits(5),
        metadata: Some(r#"{"tier":"gold"}"#.into()),
        created_at: at(0),
        settings: Default::default(),
    };
    let mut state = AccountState::new(acme.clone());
    let mut effects = Effects::default();
    let promo_grant = state
        .create_grant(
            GrantSpec {
                description: Some("welcome".into()),
                metadata: Some(r#"{"campaign":7}"#.into()),
                ..promo(100, Some(at(30 * 86_400)))
            },
            at(0),
            &mut ids,
            &mut effects,
        )
        .unwrap();
    let charge = state
        .charge(
            DebitSpec {
                amount: Millicredits::new(7_125),
                attribution: Attribution {
                    product: Some("assistant".into()),
                    member: Some("ada".into()),
                    model: Some("large".into()),
                    action: Some("chat".into()),
                    rate_card_version: Some(3),
                    quote_id: Some("qt_1".into()),
                    key_id: Some("key_1".into()),
                },
                description: Some("a chat".into()),
                metadata: Some("{}".into()),
                extra: Some(r#"{"tokens":12}"#.into()),
            },
            at(1),
            &mut ids,
            &mut effects,
        )
        .unwrap();
    let hold = state
        .hold(debit(10, "studio"), 600, at(2), &mut ids, &mut effects)
        .unwrap();
    let pack = catalog.pack("pack_10k").unwrap().clone();
    let (paid, pack_grant) = state
        .purchase_paid(
            &pack,
            at(3),
            86_400,
            Some("cs_1".into()),
            &mut ids,
            &mut effects,
        )
        .unwrap();
    let pending = state
        .open_purchase(
            &pack,
            at(3),
            86_400,
            Some("https://platform.example/checkout?purchase={purchase_id}"),
            &mut ids,
            &mut effects,
        )
        .unwrap();
    assert_eq!(paid.grant_id.as_deref(), Some(pack_grant.id.as_str()));
    let subscription = state
        .subscribe(
            catalog.plan("pro").unwrap(),
            2,
            at(4),
            &mut ids,
            &mut effects,
        )
        .unwrap();
    let entries = effects.entries.clone();
    let mut write = write_of(&[&state], effects);
    write.new_accounts.push(acme.clone());
    let record = IdempotencyRecord {
        scope: "account:acme".into(),
        key: "charge-1".into(),
        request_hash: "h1".into(),
        status: 201,
        body: r#"{"id":"x"}"#.into(),
        created_at: at(1),
    };
    write.idempotency.push(record.clone());
    let key = ApiKeyRecord {
        id: "key_1".into(),
        account_id: Some("acme".into()),
        key_hash: "hash_1".into(),
        created_at: at(5),
        last_used_at: None,
        revoked_at: None,
    };
    write.new_api_keys.push(key.clone());
    let card = RateCardRecord {
        version: 3,
        effective_at: at(0),
        document: r#"{"version":3}"#.into(),
        created_at: at(0),
    };
    write.new_rate_cards.push(card.clone());
    write.meta.push(("admin_key_hash".into(), "abc".into()));
    store.commit(&write).unwrap();

    let row = store.account("acme").unwrap().expect("the account");
    assert_eq!(row.account, acme);
    assert_eq!(row.totals, state.totals());
    assert!(store.account("nobody").unwrap().is_none());
    for grant in state.grants() {
        assert_eq!(store.grant(&grant.id).unwrap().as_ref(), Some(grant));
    }
    assert_eq!(
        store.grant(&promo_grant.id).unwrap().unwrap().description,
        Some("welcome".into())
    );
    let spendable: Vec<Grant> = state
        .grants()
        .iter()
        .filter(|grant| {
            (grant.lifecycle == GrantLifecycle::Active && grant.remaining.is_positive())
                || grant.reserved.is_positive()
        })
        .cloned()
        .collect();
    assert_eq!(store.balance_grants("acme").unwrap(), spendable);
    assert_eq!(
        store.hold(&hold.id).unwrap().as_ref(),
        state.pending_hold(&hold.id)
    );
    // Whose hold it is, read alone (what a route answers a damaged hold's reader with).
    assert_eq!(
        store.hold_account(&hold.id).unwrap().as_deref(),
        Some("acme")
    );
    assert_eq!(store.hold_account("hold_unknown").unwrap(), None);
    assert_eq!(store.charge(&charge.id).unwrap(), Some(charge.clone()));
    assert_eq!(store.subscription("acme").unwrap(), Some(subscription));
    let mut newest_first = entries.clone();
    newest_first.reverse();
    let stored = store
        .entries("acme", &EntryFilter::default(), &page(100, None))
        .unwrap();
    assert_eq!(stored.data, newest_first);
    assert!(!stored.has_more);
    assert_eq!(
        store.purchases("acme", None, &page(10, None)).unwrap().data,
        vec![pending.clone(), paid.clone()]
    );
    assert_eq!(
        store
            .purchases("acme", Some(PurchaseStatus::Pending), &page(10, None))
            .unwrap()
            .data,
        vec![pending.clone()]
    );
    assert_eq!(store.purchase(&paid.id).unwrap(), Some(paid.clone()));
    assert!(
        pending
            .checkout_url
            .as_deref()
            .is_some_and(|url| url.ends_with(&pending.id))
    );
    let loaded = store.load_states().unwrap();
    let acme_state = loaded
        .iter()
        .find(|loaded| loaded.account.id == "acme")
        .expect("acme's state");
    assert_eq!(
        acme_state.pending_purchases(),
        std::slice::from_ref(&pending)
    );
    assert_eq!(store.api_key_by_hash("hash_1").unwrap(), Some(key.clone()));
    assert_eq!(store.api_key("key_1").unwrap(), Some(key.clone()));
    assert_eq!(store.api_keys("acme").unwrap(), vec![key.clone()]);
    assert_eq!(store.meta("admin_key_hash").unwrap(), Some("abc".into()));
    assert_eq!(store.meta("nothing").unwrap(), None);
    assert_eq!(
        store.idempotency("account:acme", "charge-1").unwrap(),
        Some(record)
    );
    assert_eq!(store.idempotency("account:acme", "other").unwrap(), None);
    assert_eq!(store.rate_card(3).unwrap(), Some(card));
    assert_eq!(store.latest_rate_card_version().unwrap(), Some(3));
    let ordinal_max = state.grants().iter().map(|grant| grant.ordinal).max();
    assert_eq!(store.max_grant_ordinal().unwrap(), ordinal_max.unwrap());
    assert_eq!(
        next_due_column(&db, "acme"),
        Some(state.next_due_at().as_micros())
    );
    store.ping().unwrap();

    // Loading gives back the same state, in a batch and for the embedded engine.
    let loaded = store.load_states().unwrap();
    assert_eq!(loaded.len(), 1);
    assert_same_state(&loaded[0], &state);
    {
        let mut batch = store.begin_shared_batch().unwrap().expect("a shared store");
        let locked = batch.lock_accounts(&["acme".to_string()]).unwrap();
        assert_eq!(locked.len(), 1);
        assert_same_state(&locked[0], &state);
    }

    // A second batch: capture the hold, revoke the key, note its use.
    let mut effects = Effects::default();
    let captured = state
        .capture(
            &hold.id,
            Some(credits(4)),
            None,
            at(10),
            &mut ids,
            &mut effects,
        )
        .unwrap();
    let mut write = write_of(&[&state], effects);
    write.revoked_api_keys.push(("key_1".into(), at(11)));
    write.touched_api_keys.push(("key_1".into(), at(9)));
    write.touched_api_keys.push(("key_1".into(), at(10)));
    store.commit(&write).unwrap();
    let stored_hold = store.hold(&hold.id).unwrap().unwrap();
    assert_eq!(stored_hold, captured);
    assert_eq!(stored_hold.status, HoldStatus::Captured);
    assert_eq!(
        store.account("acme").unwrap().unwrap().totals,
        state.totals()
    );
    assert_eq!(store.api_keys("acme").unwrap(), Vec::new());
    let key = store.api_key("key_1").unwrap().unwrap();
    assert_eq!(key.revoked_at, Some(at(11)));
    assert_eq!(key.last_used_at, Some(at(10)));
    assert!(store.verify().unwrap().problems.is_empty());
}

fn assert_same_state(loaded: &AccountState, expected: &AccountState) {
    assert_eq!(loaded.account, expected.account);
    assert_eq!(loaded.totals(), expected.totals());
    assert_eq!(loaded.grants(), expected.grants());
    let mut loaded_holds: Vec<_> = loaded.pending_holds().cloned().collect();
    let mut expected_holds: Vec<_> = expected.pending_holds().cloned().collect();
    loaded_holds.sort_by(|left, right| left.id.cmp(&right.id));
    expected_holds.sort_by(|left, right| left.id.cmp(&right.id));
    assert_eq!(loaded_holds, expected_holds);
    assert_eq!(loaded.subscription(), expected.subscription());
    assert_eq!(loaded.next_due_at(), expected.next_due_at());
}

#[test]
fn pages_are_newest_first_and_follow_their_cursor() {
    let db = TestDb::new();
    let store = db.open();
    let mut ids = Ids::new("pg");
    let mut state = AccountState::new(account("acme"));
    let mut effects = Effects::default();
    state
        .create_grant(promo(1_000, None), at(0), &mut ids, &mut effects)
        .unwrap();
    state
        .create_grant(
            GrantSpec {
                effective_at: Some(at(86_400)),
                ..promo(5, None)
            },
            at(0),
            &mut ids,
            &mut effects,
        )
        .unwrap();
    for n in 0..25 {
        let product = if n % 2 == 0 { "even" } else { "odd" };
        state
            .charge(debit(1, product), at(10 + n), &mut ids, &mut effects)
            .unwrap();
    }
    let all = effects.entries.clone();
    assert_eq!(all.len(), 26, "the pending grant has no entry yet");
    let mut write = write_of(&[&state], effects);
    write.new_accounts.push(state.account.clone());
    for other in ["beta", "gamma"] {
        write.new_accounts.push(account(other));
    }
    store.commit(&write).unwrap();

    let mut read = Vec::new();
    let mut after = None;
    let mut sizes = Vec::new();
    loop {
        let page = store
            .entries("acme", &EntryFilter::default(), &page(10, after.clone()))
            .unwrap();
        sizes.push((page.data.len(), page.has_more));
        after = page.data.last().map(|entry| entry.id.clone());
        read.extend(page.data);
        if !page.has_more {
            break;
        }
    }
    assert_eq!(sizes, vec![(10, true), (10, true), (6, false)]);
    let mut newest_first = all.clone();
    newest_first.reverse();
    assert_eq!(read, newest_first);

    let filtered = |filter: EntryFilter| {
        store
            .entries("acme", &filter, &page(100, None))
            .unwrap()
            .data
            .len()
    };
    assert_eq!(
        filtered(EntryFilter {
            kind: Some(EntryKind::Charge),
            ..EntryFilter::default()
        }),
        25
    );
    assert_eq!(
        filtered(EntryFilter {
            product: Some("odd".into()),
            ..EntryFilter::default()
        }),
        12
    );
    assert_eq!(
        filtered(EntryFilter {
            kind: Some(EntryKind::Charge),
            product: Some("even".into()),
            from: Some(at(12)),
            to: Some(at(20)),
        }),
        4
    );
    assert!(matches!(
        store.entries(
            "acme",
            &EntryFilter::default(),
            &page(10, Some("ent_nope".into()))
        ),
        Err(PageError::UnknownCursor)
    ));
    assert!(
        store
            .entries("beta", &EntryFilter::default(), &page(10, None))
            .unwrap()
            .data
            .is_empty()
    );

    let first = store.accounts(&page(2, None)).unwrap();
    let names: Vec<_> = first
        .data
        .iter()
        .map(|row| row.account.id.clone())
        .collect();
    assert_eq!(names, vec!["gamma", "beta"]);
    assert!(first.has_more);
    let rest = store.accounts(&page(2, Some("beta".into()))).unwrap();
    assert_eq!(rest.data.len(), 1);
    assert_eq!(rest.data[0].account.id, "acme");
    assert!(!rest.has_more);

    let pending = store
        .grants("acme", Some(GrantStatus::Pending), &page(10, None))
        .unwrap();
    assert_eq!(pending.data.len(), 1);
    assert_eq!(pending.data[0].lifecycle, GrantLifecycle::Pending);
    let active = store
        .grants("acme", Some(GrantStatus::Active), &page(10, None))
        .unwrap();
    assert_eq!(active.data.len(), 1);
    assert_eq!(active.data[0].remaining, credits(975));
    assert_eq!(
        store
            .grants("acme", None, &page(10, None))
            .unwrap()
            .data
            .len(),
        2
    );
}

#[test]
fn verify_is_clean_and_names_what_was_tampered_with() {
    let db = TestDb::new();
    let store = db.open();
    funded(&store, "acme", 100, None);
    let mut ids = Ids::new("v");
    let mut state = store.load_states().unwrap().remove(0);
    let mut effects = Effects::default();
    state
        .charge(debit(30, "a"), at(1), &mut ids, &mut effects)
        .unwrap();
    let hold = state
        .hold(debit(20, "a"), 60, at(2), &mut ids, &mut effects)
        .unwrap();
    store.commit(&write_of(&[&state], effects)).unwrap();
    let report = store.verify().unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!((report.accounts, report.grants, report.entries), (1, 1, 3));

    let mut sql = db.sql();
    // Entries are append-only, whoever asks.
    for statement in [
        "UPDATE entries SET amount = amount + 1",
        "DELETE FROM entries",
        "TRUNCATE entries CASCADE",
    ] {
        let error = sql.batch_execute(statement).unwrap_err();
        assert!(
            error
                .as_db_error()
                .is_some_and(|db| db.message().contains("append-only")),
            "{statement}: {error}"
        );
    }

    sql.batch_execute("UPDATE accounts SET posted = posted + 1000 WHERE id = 'acme'")
        .unwrap();
    let report = store.verify().unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|problem| problem.starts_with("account acme: posted is 71000")),
        "{:?}",
        report.problems
    );

    sql.batch_execute(
        "UPDATE accounts SET posted = posted - 1000 WHERE id = 'acme';
         UPDATE grants SET remaining = remaining - 1 WHERE account_id = 'acme'",
    )
    .unwrap();
    let problems = store.verify().unwrap().problems;
    assert!(
        problems
            .iter()
            .any(|problem| problem.contains("grant") && problem.contains("remaining is 69999")),
        "{problems:?}"
    );
    sql.batch_execute(
        "UPDATE grants SET remaining = remaining + 1 WHERE account_id = 'acme';
         UPDATE holds SET reservations = '' WHERE status = 'pending'",
    )
    .unwrap();
    let problems = store.verify().unwrap().problems;
    assert!(
        problems
            .iter()
            .any(|problem| problem.contains("but pending holds reserve 0")),
        "{problems:?}"
    );
    assert_eq!(hold.amount, credits(20));
}

#[test]
fn usage_reads_whole_days_from_the_aggregates_and_the_ends_from_the_entries() {
    let db = TestDb::new();
    let store = db.open();
    funded(&store, "acme", 1_000, None);
    let mut ids = Ids::new("u");
    let mut state = store.load_states().unwrap().remove(0);
    let hour = 3_600;
    let day = 24 * hour;
    // (when, credits, product): day 0 noon, day 1 at 6h and 18h, day 2 at 3h.
    let charges = [
        (12 * hour, 1, "assistant"),
        (day + 6 * hour, 2, "assistant"),
        (day + 18 * hour, 4, "studio"),
        (2 * day + 3 * hour, 8, "assistant"),
    ];
    for (when, amount, product) in charges {
        let mut effects = Effects::default();
        state
            .charge(debit(amount, product), at(when), &mut ids, &mut effects)
            .unwrap();
        store.commit(&write_of(&[&state], effects)).unwrap();
    }
    let total = |from: i64, to: i64| -> (i64, i64) {
        let groups = store.usage("acme", at(from), at(to), &[]).unwrap();
        assert!(groups.len() <= 1);
        groups.first().map_or((0, 0), |(group, delta)| {
            assert_eq!(group, &UsageGroup::default());
            (delta.credits.get() / 1_000, delta.count)
        })
    };
    assert_eq!(total(0, 3 * day), (15, 4));
    assert_eq!(total(13 * hour, 2 * day + 4 * hour), (14, 3));
    assert_eq!(total(13 * hour, 2 * day), (6, 2));
    assert_eq!(total(day + 7 * hour, day + 19 * hour), (4, 1));
    assert_eq!(total(3 * day, 4 * day), (0, 0));

    let by_day = store
        .usage("acme", at(0), at(3 * day), &[UsageDimension::Day])
        .unwrap();
    let days: Vec<(i64, i64, i64)> = by_day
        .iter()
        .map(|(group, delta)| {
            (
                group.day.unwrap() - 20_000,
                delta.credits.get() / 1_000,
                delta.count,
            )
        })
        .collect();
    assert_eq!(days, vec![(0, 1, 1), (1, 6, 2), (2, 8, 1)]);
    let by_product = store
        .usage(
            "acme",
            at(6 * hour),
            at(2 * day + 6 * hour),
            &[UsageDimension::Product, UsageDimension::Member],
        )
        .unwrap();
    let expected = vec![
        (
            UsageGroup {
                product: Some("assistant".into()),
                member: Some(String::new()),
                ..UsageGroup::default()
            },
            UsageDelta {
                credits: credits(11),
                count: 3,
            },
        ),
        (
            UsageGroup {
                product: Some("studio".into()),
                member: Some(String::new()),
                ..UsageGroup::default()
            },
            UsageDelta {
                credits: credits(4),
                count: 1,
            },
        ),
    ];
    assert_eq!(by_product, expected);

    // Whole days come from usage_daily, not from the entries.
    db.sql()
        .batch_execute("UPDATE usage_daily SET credits = credits + 100000")
        .unwrap();
    assert_eq!(total(day, 2 * day), (206, 2), "two groups on day 1");
    assert_eq!(total(day + hour, 2 * day), (6, 2));
}

#[test]
fn usage_days_are_the_account_time_zone_days() {
    let db = TestDb::new();
    let store = db.open();
    // Asia/Kolkata is UTC+05:30 all year: its days start at 18:30 UTC the day before.
    let mut ids = Ids::new("kol");
    let mut state = AccountState::new(Account {
        settings: tally_core::AccountSettings {
            time_zone: "Asia/Kolkata".to_string(),
            ..Default::default()
        },
        ..account("kol")
    });
    let mut effects = Effects::default();
    state
        .create_grant(promo(1_000, None), at(0), &mut ids, &mut effects)
        .unwrap();
    let mut write = write_of(&[&state], effects);
    write.new_accounts.push(state.account.clone());
    store.commit(&write).unwrap();
    let minute = 60;
    let kolkata_midnight = 18 * 3_600 + 30 * minute;
    // Seconds after T0 (a UTC midnight) and credits: either side of two local midnights, one
    // in a partial minute, others inside whole hours and minutes.
    let charges = [
        (3_600, 1),
        (kolkata_midnight - 1, 2),
        (kolkata_midnight, 4),
        (kolkata_midnight + 7 * minute + 13, 8),
        (30 * 3_600, 16),
        (86_400 + kolkata_midnight - 1, 32),
        (86_400 + kolkata_midnight, 64),
    ];
    for (when, amount) in charges {
        let mut effects = Effects::default();
        state
            .charge(debit(amount, "assistant"), at(when), &mut ids, &mut effects)
            .unwrap();
        store.commit(&write_of(&[&state], effects)).unwrap();
    }
    let read = |from: i64, to: i64| {
        let range: tally_store::UsageRangeOf = std::sync::Arc::new(move |_, _| (at(from), at(to)));
        let read = store
            .account_usage("kol", range, &[UsageDimension::Day])
            .unwrap()
            .expect("the account");
        assert_eq!(read.time_zone, "Asia/Kolkata");
        read.groups
            .iter()
            .map(|(group, delta)| (group.day.unwrap() - 20_000, delta.credits.get() / 1_000))
            .collect::<Vec<_>>()
    };
    // The local day of T0 + s is ⌊(s + 19,800) / 86,400⌋ days after T0's.
    assert_eq!(read(0, 3 * 86_400), vec![(0, 3), (1, 60), (2, 64)]);
    // From a partial minute on: only what follows it, on its local day.
    assert_eq!(
        read(kolkata_midnight + 7 * minute + 1, 2 * 86_400),
        vec![(1, 56), (2, 64)]
    );
}

/// (day, product) → (credits, count) of account `busy` in `[from, to)`, recounted row by row
/// from the entries (charges) and the refunds (at the instant of the spending refunded).
fn recount_busy(
    db: &TestDb,
    from: i64,
    to: i64,
) -> std::collections::BTreeMap<(i64, String), (i64, i64)> {
    let mut groups = std::collections::BTreeMap::new();
    let rows = db
        .sql()
        .query(
            "SELECT created_at, COALESCE(product, '') AS product, -amount AS credits, 1::bigint AS n \
             FROM entries WHERE account_id = 'busy' AND (type = 'charge' OR type = 'capture') \
             UNION ALL \
             SELECT spent_at, COALESCE(product, ''), -amount, 0::bigint FROM refunds \
             WHERE account_id = 'busy'",
            &[],
        )
        .unwrap();
    for row in rows {
        let (at, product, credits, count): (i64, String, i64, i64) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        if at < from || at >= to {
            continue;
        }
        let slot = groups
            .entry((at.div_euclid(MICROS_PER_DAY), product))
            .or_insert((0, 0));
        slot.0 += credits;
        slot.1 += count;
    }
    groups.retain(|_, (credits, count)| *credits != 0 || *count != 0);
    groups
}

#[test]
fn reads_on_a_busy_account_equal_a_recount_from_the_entries() {
    let db = TestDb::new();
    let store = db.open();
    funded(&store, "busy", 10_000_000, None);
    let mut ids = Ids::new("busy");
    let mut state = store.load_states().unwrap().remove(0);
    let mut seed: u64 = 0xb05e_2027;
    let mut random = |bound: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % bound
    };
    let products = ["assistant", "studio", "code"];
    // 2,000 charges over about three days (22:00 on day 0 onwards), five to a commit, the
    // clock moving by microseconds to minutes, and now and then by hours; refunds among them.
    let mut now = T0 + 22 * 3_600_000_000;
    let mut charges = Vec::new();
    for _ in 0..400 {
        let mut effects = Effects::default();
        for _ in 0..5 {
            now += match random(10) {
                0 => 1 + random(7_200_000_000),
                _ => 1 + random(120_000_000),
            } as i64;
            let spec = debit(1, products[random(3) as usize]);
            let spec = DebitSpec {
                amount: Millicredits::new(1 + random(5_000) as i64),
                ..spec
            };
            let at = Timestamp::from_micros(now);
            charges.push(state.charge(spec, at, &mut ids, &mut effects).unwrap());
            if random(8) == 0 {
                let index = random(charges.len() as u64) as usize;
                let amount = Some(Millicredits::new(1 + random(300) as i64));
                let of = tally_core::RefundOf::Charge(charges[index].clone());
                // A refund beyond what is left is refused and changes nothing; one that is
                // made leaves the charge as its effects wrote it (what the next refund sees).
                if state
                    .refund(of, amount, None, Vec::new(), at, &mut ids, &mut effects)
                    .is_ok()
                {
                    charges[index] = effects.charges.last().expect("the refunded charge").clone();
                }
            }
        }
        store.commit(&write_of(&[&state], effects)).unwrap();
    }
    let begin = T0;
    let end = now + 1;
    let everything = recount_busy(&db, begin, end);
    assert!(
        everything
            .keys()
            .map(|key| key.0)
            .collect::<std::collections::BTreeSet<_>>()
            .len()
            >= 3
    );
    let refunded: i64 = db
        .sql()
        .query_one("SELECT COUNT(*) FROM refunds", &[])
        .unwrap()
        .get(0);
    assert!(refunded > 50, "{refunded} refunds");
    let group_by = [UsageDimension::Day, UsageDimension::Product];
    // Half the ranges on the buckets as the batches wrote them; then the table is made again
    // by migration 9 from the rows written (a store migrated from version 8 with data in it),
    // and the other half on those.
    for round in 0..200 {
        if round == 100 {
            // Later migrations follow 9, so 9 is run again by itself, as it ran on a store
            // at version 8.
            db.sql()
                .batch_execute("DROP TABLE usage_buckets; DROP INDEX entries_by_account_time;")
                .unwrap();
            db.sql()
                .batch_execute(include_str!("../migrations/0009_usage_buckets.sql"))
                .unwrap();
        }
        let span = (end - begin) as u64;
        let from = begin + random(span) as i64;
        let to = from
            + match random(3) {
                0 => random(2 * MICROS_PER_MINUTE as u64),
                1 => random(3 * 3_600_000_000),
                _ => random(span),
            } as i64;
        let served: std::collections::BTreeMap<(i64, String), (i64, i64)> = store
            .usage(
                "busy",
                Timestamp::from_micros(from),
                Timestamp::from_micros(to),
                &group_by,
            )
            .unwrap()
            .into_iter()
            .map(|(group, delta)| {
                let key = (group.day.unwrap(), group.product.unwrap());
                (key, (delta.credits.get(), delta.count))
            })
            .filter(|(_, (credits, count))| *credits != 0 || *count != 0)
            .collect();
        assert_eq!(served, recount_busy(&db, from, to), "[{from}, {to})");
    }
    // The balance in one snapshot: the totals as the state has them, the spending of a window.
    let window = (
        now - 7 * MICROS_PER_DAY,
        now - now.rem_euclid(MICROS_PER_MINUTE),
    );
    let read = store
        .balance(
            "busy",
            (
                Timestamp::from_micros(window.0),
                Timestamp::from_micros(window.1),
            ),
        )
        .unwrap()
        .expect("the account");
    assert_eq!(read.row.totals, state.totals());
    let spent: i64 = recount_busy(&db, window.0, window.1)
        .values()
        .map(|(credits, _)| credits)
        .sum();
    assert_eq!(read.spent.get(), spent);
    assert!(store.balance("nobody", window_of(0, 1)).unwrap().is_none());
    let problems = store.verify().unwrap().problems;
    assert!(problems.is_empty(), "{problems:?}");
}

fn window_of(from: i64, to: i64) -> (Timestamp, Timestamp) {
    (Timestamp::from_micros(from), Timestamp::from_micros(to))
}

// ---------------------------------------------------------------------------------------------
// Shared batches
// ---------------------------------------------------------------------------------------------

#[test]
fn a_second_batch_on_the_same_account_waits_for_the_first_to_commit() {
    let db = TestDb::new();
    let store = db.open();
    funded(&store, "hot", 100, None);
    let ids_of = |id: &str| vec![id.to_string()];

    let mut first = store.begin_shared_batch().unwrap().unwrap();
    let mut state = first.lock_accounts(&ids_of("hot")).unwrap().remove(0);
    let (done, second_locked) = mpsc::channel();
    std::thread::scope(|scope| {
        let store = &store;
        scope.spawn(move || {
            let mut second = store.begin_shared_batch().unwrap().unwrap();
            let states = second.lock_accounts(&["hot".to_string()]).unwrap();
            done.send(states[0].totals()).unwrap();
        });
        db.wait_until_a_session_waits_for_a_lock();
        assert!(
            second_locked.try_recv().is_err(),
            "the second batch must wait for the first"
        );
        let mut effects = Effects::default();
        state
            .charge(debit(7, "a"), at(1), &mut Ids::new("first"), &mut effects)
            .unwrap();
        first.commit(&write_of(&[&state], effects)).unwrap();
        let seen = second_locked
            .recv_timeout(CALL_TIMEOUT)
            .expect("the second batch goes on once the first commits");
        assert_eq!(
            seen.posted,
            credits(93),
            "it reads what the first committed"
        );
    });
}

#[test]
fn an_account_with_no_row_is_locked_too() {
    let db = TestDb::new();
    let store = db.open();
    let mut first = store.begin_shared_batch().unwrap().unwrap();
    assert!(
        first
            .lock_accounts(&["new".to_string(), "other".to_string()])
            .unwrap()
            .is_empty()
    );
    let (done, second_locked) = mpsc::channel();
    std::thread::scope(|scope| {
        let store = &store;
        scope.spawn(move || {
            let mut second = store.begin_shared_batch().unwrap().unwrap();
            let states = second.lock_accounts(&["new".to_string()]).unwrap();
            done.send(states.len()).unwrap();
        });
        db.wait_until_a_session_waits_for_a_lock();
        assert!(second_locked.try_recv().is_err());
        let state = AccountState::new(account("new"));
        let mut write = write_of(&[&state], Effects::default());
        write.new_accounts.push(state.account.clone());
        first.commit(&write).unwrap();
        assert_eq!(
            second_locked.recv_timeout(CALL_TIMEOUT).unwrap(),
            1,
            "the second batch sees the account the first created"
        );
    });
}

#[test]
fn dropping_a_batch_rolls_it_back_and_frees_its_locks() {
    let db = TestDb::new();
    let store = db.open();
    funded(&store, "acme", 100, None);
    {
        let mut batch = store.begin_shared_batch().unwrap().unwrap();
        batch.lock_accounts(&["acme".to_string()]).unwrap();
        batch.idempotency("admin", "k").unwrap();
    }
    assert_eq!(
        db.advisory_locks_held(),
        0,
        "the dropped batch holds no lock"
    );
    let mut batch = store.begin_shared_batch().unwrap().unwrap();
    assert_eq!(batch.lock_accounts(&["acme".to_string()]).unwrap().len(), 1);
    assert_eq!(batch.idempotency("admin", "k").unwrap(), None);
}

#[test]
fn an_idempotency_key_stays_locked_until_its_batch_ends() {
    let db = TestDb::new();
    let store = db.open();
    let mut first = store.begin_shared_batch().unwrap().unwrap();
    assert_eq!(first.idempotency("admin", "once").unwrap(), None);
    let record = IdempotencyRecord {
        scope: "admin".into(),
        key: "once".into(),
        request_hash: "h".into(),
        status: 201,
        body: "{}".into(),
        created_at: at(1),
    };
    let (done, second_read) = mpsc::channel();
    std::thread::scope(|scope| {
        let store = &store;
        scope.spawn(move || {
            let mut second = store.begin_shared_batch().unwrap().unwrap();
            // Another key is free at once.
            assert_eq!(second.idempotency("admin", "twice").unwrap(), None);
            done.send(None).unwrap();
            done.send(second.idempotency("admin", "once").unwrap())
                .unwrap();
        });
        assert_eq!(second_read.recv_timeout(CALL_TIMEOUT).unwrap(), None);
        db.wait_until_a_session_waits_for_a_lock();
        assert!(second_read.try_recv().is_err());
        first
            .commit(&BatchWrite {
                idempotency: vec![record.clone()],
                ..BatchWrite::default()
            })
            .unwrap();
        assert_eq!(
            second_read.recv_timeout(CALL_TIMEOUT).unwrap(),
            Some(record)
        );
    });
}

/// Accounts "due_1" … "due_n" with a hold each expiring at `at(10 + i)`.
fn accounts_with_expiring_holds(store: &PostgresStore, count: i64) {
    for n in 1..=count {
        let id = format!("due_{n}");
        funded(store, &id, 100, None);
        let mut state = store
            .load_states()
            .unwrap()
            .into_iter()
            .find(|state| state.account.id == id)
            .unwrap();
        let mut effects = Effects::default();
        state
            .hold(
                debit(5, "a"),
                9 + n,
                at(1),
                &mut Ids::new(&format!("hold_{id}")),
                &mut effects,
            )
            .unwrap();
        store.commit(&write_of(&[&state], effects)).unwrap();
    }
}

#[test]
fn claim_due_takes_due_accounts_earliest_first_and_skips_those_another_batch_holds() {
    let db = TestDb::new();
    let store = db.open();
    accounts_with_expiring_holds(&store, 4);
    assert_eq!(
        next_due_column(&db, "due_1"),
        Some(at(11).as_micros()),
        "the hold's expiry is the account's next due instant"
    );

    // Nothing is due before the first expiry.
    let mut early = store.begin_shared_batch().unwrap().unwrap();
    assert!(early.claim_due(at(10), 10).unwrap().is_empty());
    drop(early);

    // The first batch claims two (earliest first); it locked due_4 itself.
    let mut first = store.begin_shared_batch().unwrap().unwrap();
    first.lock_accounts(&["due_4".to_string()]).unwrap();
    let claimed = first.claim_due(at(100), 2).unwrap();
    let names: Vec<_> = claimed.iter().map(|s| s.account.id.clone()).collect();
    assert_eq!(names, vec!["due_1", "due_2"]);

    // Another node holds due_3's advisory lock but not yet its row.
    let mut other = db.sql();
    other
        .execute("SELECT pg_advisory_lock($1)", &[&account_lock_key("due_3")])
        .unwrap();

    std::thread::scope(|scope| {
        let store = &store;
        let (done, claimed_by_second) = mpsc::channel();
        scope.spawn(move || {
            let mut second = store.begin_shared_batch().unwrap().unwrap();
            let states = second.claim_due(at(100), 10).unwrap();
            done.send(states.len()).unwrap();
        });
        assert_eq!(
            claimed_by_second.recv_timeout(CALL_TIMEOUT).unwrap(),
            0,
            "due_1 and due_2 are claimed, due_3 and due_4 locked: nothing left, without waiting"
        );
    });

    // The first batch expires its holds: they are no longer due.
    let mut effects = Effects::default();
    let mut states = claimed;
    let mut ids = Ids::new("expiry");
    for state in &mut states {
        state.run_due(at(100), &mut ids, &mut effects);
    }
    let refs: Vec<&AccountState> = states.iter().collect();
    first.commit(&write_of(&refs, effects)).unwrap();
    assert_eq!(next_due_column(&db, "due_1"), None);
    other
        .execute(
            "SELECT pg_advisory_unlock($1)",
            &[&account_lock_key("due_3")],
        )
        .unwrap();

    let mut third = store.begin_shared_batch().unwrap().unwrap();
    let left: Vec<_> = third
        .claim_due(at(100), 10)
        .unwrap()
        .iter()
        .map(|state| state.account.id.clone())
        .collect();
    assert_eq!(left, vec!["due_3", "due_4"]);
    let hold = store
        .entries("due_1", &EntryFilter::default(), &page(1, None))
        .unwrap()
        .data
        .remove(0);
    assert_eq!(
        hold.kind,
        EntryKind::Release,
        "the expiry released the hold"
    );
}

#[test]
fn batches_waiting_on_each_other_in_a_cycle_conflict_and_can_be_retried() {
    let db = TestDb::new();
    let store = db.open();
    let conflict = |result: &Result<(), StoreError>| matches!(result, Err(StoreError::Conflict(_)));
    let mut first = store.begin_shared_batch().unwrap().unwrap();
    first.idempotency("admin", "a").unwrap();
    std::thread::scope(|scope| {
        let store = &store;
        let (locked_b, b_is_locked) = mpsc::channel();
        let second = scope.spawn(move || {
            let mut second = store.begin_shared_batch().unwrap().unwrap();
            second.idempotency("admin", "b").unwrap();
            locked_b.send(()).unwrap();
            let waited = second.idempotency("admin", "a").map(|_| ());
            (waited, second.commit(&BatchWrite::default()))
        });
        b_is_locked.recv_timeout(CALL_TIMEOUT).unwrap();
        // Each batch holds one key and asks for the other's, in whichever order the two
        // requests arrive: either way the waits form a cycle, and PostgreSQL fails one of them.
        let mine = first.idempotency("admin", "b").map(|_| ());
        // The batch PostgreSQL chose to fail cannot commit: it answers Conflict again (what
        // the engine retries), whatever the engine did with the first error. Ending it lets
        // the other one through.
        let my_commit = first.commit(&BatchWrite::default());
        let (theirs, their_commit) = second.join().unwrap();
        assert_eq!(
            usize::from(conflict(&mine)) + usize::from(conflict(&theirs)),
            1,
            "a deadlock fails one of the two with a Conflict: {mine:?} / {theirs:?}"
        );
        for (waited, committed) in [(&mine, &my_commit), (&theirs, &their_commit)] {
            if conflict(waited) {
                assert!(conflict(committed), "{committed:?}");
            } else {
                assert!(committed.is_ok(), "{committed:?}");
            }
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Opening and reconnecting
// ---------------------------------------------------------------------------------------------

#[test]
fn nodes_opening_together_migrate_once() {
    let db = TestDb::new();
    let stores: Vec<PostgresStore> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4).map(|_| scope.spawn(|| db.open())).collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .collect()
    });
    let versions: Vec<i64> = db
        .sql()
        .query(
            "SELECT version FROM schema_migrations ORDER BY version",
            &[],
        )
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(versions, vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    assert!(stores.iter().all(|store| store.ping().is_ok()));
    // Opening a migrated database changes nothing.
    let again = db.open();
    assert!(again.account("nobody").unwrap().is_none());
    assert!(again.describe().starts_with("postgres://"));
    assert!(!again.describe().contains('@'));
}

#[test]
fn a_broken_connection_fails_at_most_one_call_and_the_next_reconnects() {
    let db = TestDb::new();
    let store = db.open();
    funded(&store, "acme", 100, None);
    store.ping().unwrap();
    let kill = || {
        let killed: i64 = db
            .sql()
            .query_one(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
                &[],
            )
            .unwrap()
            .get(0);
        assert!(killed >= 1, "the store's connections were there to kill");
    };
    let meta = |value: &str| BatchWrite {
        meta: vec![("k".into(), value.into())],
        ..BatchWrite::default()
    };

    // The reader and the writer connections are both cut (as by a restart of PostgreSQL).
    kill();
    // A read notices, connects again and answers: it changes nothing, so it can be run again.
    assert!(store.account("acme").unwrap().is_some());
    // A write is never run twice: that one call is Unavailable, the next one reconnects.
    match store.commit(&meta("first")) {
        Err(StoreError::Unavailable(_)) => {}
        other => panic!("a write on a broken connection is Unavailable, not {other:?}"),
    }
    store.commit(&meta("second")).unwrap();
    assert_eq!(store.meta("k").unwrap(), Some("second".into()));

    // A batch opens its transaction on a new connection if it has to.
    kill();
    let mut batch = store.begin_shared_batch().unwrap().unwrap();
    assert_eq!(batch.lock_accounts(&["acme".to_string()]).unwrap().len(), 1);
    drop(batch);

    // While the server is gone, every call is Unavailable at once.
    let unreachable = with_dbname("postgres://postgres@127.0.0.1:1/x", "nothing");
    match PostgresStore::open(&unreachable) {
        Err(StoreError::Unavailable(detail)) => assert!(detail.contains("connecting")),
        Err(other) => panic!("{other:?}"),
        Ok(_) => panic!("nothing listens on port 1"),
    }
}

#[test]
fn every_test_needs_a_database_and_says_how_to_get_one() {
    // The suite's guard: a run without a database fails with a message naming the wrapper.
    assert!(NO_DATABASE.contains("scripts/with-postgres"));
    let _ = server_url();
}

#[test]
fn a_portal_link_reads_back_and_a_second_redemption_is_a_conflict() {
    let db = TestDb::new();
    let store = db.open();
    let link = tally_core::PortalLink {
        id: "portal_1".into(),
        account_id: "acme".into(),
        token_hash: "cd".repeat(32),
        created_at: at(0),
        expires_at: at(300),
        return_url: None,
        used_at: None,
    };
    store
        .commit(&BatchWrite {
            new_accounts: vec![account("acme")],
            new_portal_links: vec![link.clone()],
            ..BatchWrite::default()
        })
        .expect("creating the link");
    assert_eq!(
        store.portal_link(&link.token_hash).expect("read"),
        Some(link.clone())
    );
    let redeem = |seconds: i64| BatchWrite {
        redeemed_portal_links: vec![(link.id.clone(), at(seconds))],
        ..BatchWrite::default()
    };
    store.commit(&redeem(10)).expect("redeeming it");
    // A node that read the link before this redemption committed: its batch conflicts (and
    // is tried again from the store, where the link is used), and the first use stands.
    match store.commit(&redeem(20)) {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("a second redemption must conflict, got {other:?}"),
    }
    let used = store
        .portal_link(&link.token_hash)
        .expect("read")
        .expect("the link");
    assert_eq!(used.used_at, Some(at(10)));
}

fn record(scope: &str, key: &str, body: &str) -> IdempotencyRecord {
    IdempotencyRecord {
        scope: scope.into(),
        key: key.into(),
        request_hash: format!("hash of {body}"),
        status: 201,
        body: body.into(),
        created_at: at(1),
    }
}

fn keys(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(scope, key)| (scope.to_string(), key.to_string()))
        .collect()
}

/// Whether some session of this database holds the advisory lock `key` (a bigint lock shows
/// in `pg_locks` as its high half in `classid` and its low half in `objid`).
fn advisory_lock_granted(db: &TestDb, key: i64) -> bool {
    db.sql()
        .query_one(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database \
             WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
             AND d.datname = current_database() \
             AND ((l.classid::bigint << 32) | l.objid::bigint) = $1",
            &[&key],
        )
        .expect("reading pg_locks")
        .get::<_, i64>(0)
        > 0
}

#[test]
fn a_batch_reads_its_keys_at_once_each_as_recorded_once_another_node_has_committed() {
    let db = TestDb::new();
    let (node_a, node_b) = (db.open(), db.open());
    let replayed = record("account:acme", "replayed", "{\"first\":1}");
    let elsewhere = record("account:other", "elsewhere", "{\"other\":1}");
    let pending = record("account:acme", "pending", "{\"pending\":1}");
    let setup = node_a.begin_shared_batch().unwrap().unwrap();
    setup
        .commit(&BatchWrite {
            idempotency: vec![replayed.clone(), elsewhere.clone()],
            ..BatchWrite::default()
        })
        .unwrap();

    // Node A's batch holds "pending" and has not committed its record yet.
    let mut first = node_a.begin_shared_batch().unwrap().unwrap();
    assert_eq!(
        first
            .idempotency_keys(&keys(&[("account:acme", "pending")]))
            .unwrap(),
        vec![None]
    );
    let asked = keys(&[
        ("account:acme", "pending"),
        ("account:acme", "replayed"),
        ("account:acme", "fresh"),
        ("account:acme", "replayed"),
        // Recorded, but under another scope: not this one's.
        ("account:acme", "elsewhere"),
    ]);
    std::thread::scope(|scope| {
        let (answer, answered) = mpsc::channel();
        let (end, ended) = mpsc::channel::<()>();
        let (node_b, asked) = (&node_b, &asked);
        scope.spawn(move || {
            let mut second = node_b.begin_shared_batch().unwrap().unwrap();
            answer
                .send(second.idempotency_keys(asked).unwrap())
                .unwrap();
            // Its keys stay locked until it ends.
            ended.recv().unwrap();
        });
        db.wait_until_a_session_waits_for_a_lock();
        assert!(
            answered.try_recv().is_err(),
            "node B waits for node A's key"
        );
        first
            .commit(&BatchWrite {
                idempotency: vec![pending.clone()],
                ..BatchWrite::default()
            })
            .unwrap();
        assert_eq!(
            answered.recv_timeout(CALL_TIMEOUT).unwrap(),
            vec![
                Some(pending.clone()),
                Some(replayed.clone()),
                None,
                Some(replayed.clone()),
                None,
            ],
            "each key answered in the order asked, with what its last holder committed"
        );
        assert_eq!(
            db.advisory_locks_held(),
            4,
            "node B holds each of its four keys until it ends"
        );
        end.send(()).unwrap();
    });
    assert_eq!(db.advisory_locks_held(), 0);
}

#[test]
fn a_batch_locks_its_keys_in_key_order_whatever_the_order_asked() {
    let db = TestDb::new();
    let (node_a, node_b) = (db.open(), db.open());
    // Node A holds "b".
    let mut first = node_a.begin_shared_batch().unwrap().unwrap();
    first.idempotency_keys(&keys(&[("s", "b")])).unwrap();
    std::thread::scope(|scope| {
        let node_b = &node_b;
        let second = scope.spawn(move || {
            let mut second = node_b.begin_shared_batch().unwrap().unwrap();
            let answers = second
                .idempotency_keys(&keys(&[("s", "c"), ("s", "b"), ("s", "a")]))
                .unwrap();
            second.commit(&BatchWrite::default()).unwrap();
            answers
        });
        db.wait_until_a_session_waits_for_a_lock();
        let held = (
            advisory_lock_granted(&db, idempotency_lock_key("s", "a")),
            advisory_lock_granted(&db, idempotency_lock_key("s", "c")),
        );
        first.commit(&BatchWrite::default()).unwrap();
        assert_eq!(second.join().unwrap(), vec![None, None, None]);
        // Node B waited for "b" holding "a" (before it in key order) and not "c" (after it).
        assert_eq!(held, (true, false), "(a held, c held) while waiting for b");
    });
}

#[test]
fn a_batch_locks_its_accounts_in_id_order_whatever_the_order_asked() {
    let db = TestDb::new();
    let store = db.open();
    // Another node holds "b".
    let mut other = db.sql();
    other
        .execute("SELECT pg_advisory_lock($1)", &[&account_lock_key("b")])
        .unwrap();
    std::thread::scope(|scope| {
        let store = &store;
        let batch = scope.spawn(move || {
            let mut batch = store.begin_shared_batch().unwrap().unwrap();
            let ids = ["c", "b", "a"].map(str::to_string);
            let states = batch.lock_accounts(&ids).unwrap();
            batch.commit(&BatchWrite::default()).unwrap();
            states.len()
        });
        db.wait_until_a_session_waits_for_a_lock();
        let held = (
            advisory_lock_granted(&db, account_lock_key("a")),
            advisory_lock_granted(&db, account_lock_key("c")),
        );
        other
            .execute("SELECT pg_advisory_unlock($1)", &[&account_lock_key("b")])
            .unwrap();
        assert_eq!(batch.join().unwrap(), 0, "none of them has a row");
        // It waited for "b" holding "a" (before it in id order) and not "c" (after it).
        assert_eq!(held, (true, false), "(a held, c held) while waiting for b");
    });
}
