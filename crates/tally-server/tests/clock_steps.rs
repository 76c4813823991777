//! The wall clock stepping backwards (NTP, a restored VM) under the real engine on a real
//! SQLite file: entries are never dated before those already written, a hold never expires
//! before its time, and a plan is renewed once per period, however the clock jumps back and
//! forth. The clock is injected and stepped by the test; nothing is timed.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use common::gated_store::{GatedStore, TempDir, renderer};
use tally_core::catalog::Catalog;
use tally_core::{Attribution, Clock, DebitSpec, EntryKind, GrantSource, GrantSpec, HoldStatus};
use tally_core::{Millicredits, Timestamp};
use tally_engine::{self as engine, Answer, Command, EngineConfig, Outcome};
use tally_store::{EntryFilter, LedgerStore, PageRequest, ReadStore};

const SECOND: i64 = 1_000_000;
/// 2031-01-27T09:00:00Z.
const START: i64 = 1_927_443_600 * SECOND;

/// A wall clock the test sets, backwards too.
struct SteppedClock(AtomicI64);

impl SteppedClock {
    fn set(&self, micros: i64) {
        self.0.store(micros, Ordering::SeqCst);
    }
}

impl Clock for SteppedClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_micros(self.0.load(Ordering::SeqCst))
    }
}

fn debit(amount: i64) -> DebitSpec {
    DebitSpec {
        amount: Millicredits::from_credits(amount),
        attribution: Attribution::default(),
        description: None,
        metadata: None,
        extra: None,
    }
}

fn done(answer: Answer) -> Outcome {
    match answer {
        Answer::Done(outcome) => outcome,
        other => panic!("an answer without a key: {other:?}"),
    }
}

#[tokio::test]
async fn a_clock_stepping_back_never_dates_entries_earlier_nor_expires_or_renews_early() {
    let dir = TempDir::new("clock-steps");
    let store = Arc::new(GatedStore::open(&dir.path().join("ledger.db")));
    let clock = Arc::new(SteppedClock(AtomicI64::new(START)));
    let (engine, thread) = engine::start(
        store.clone(),
        EngineConfig {
            clock: clock.clone(),
            test_clock: None,
            catalog: Arc::new(Catalog::default()),
            batch_commands_max: engine::BATCH_COMMANDS_MAX_DEFAULT,
            render: renderer(),
            render_event: tally_server::event_body::renderer(),
        },
    )
    .expect("starting the engine");
    let submit = |command: Command| {
        let engine = engine.clone();
        async move { done(engine.submit(command, None).await.expect("applied")) }
    };
    submit(Command::CreateAccount {
        id: Some("a".into()),
        name: None,
        overdraft_limit: Millicredits::ZERO,
        metadata: None,
    })
    .await;
    submit(Command::CreateGrant {
        account_id: "a".into(),
        spec: GrantSpec {
            amount: Millicredits::from_credits(1_000),
            source: GrantSource::Promo,
            priority: 0,
            effective_at: None,
            expires_at: None,
            description: None,
            metadata: None,
        },
    })
    .await;
    submit(Command::Subscribe {
        account_id: "a".into(),
        plan_id: "starter".into(),
        seats: 1,
    })
    .await;
    clock.set(START + 10 * SECOND);
    let Outcome::Hold(hold) = submit(Command::Hold {
        account_id: "a".into(),
        spec: debit(100),
        ttl_seconds: 60,
    })
    .await
    else {
        panic!("a hold");
    };
    assert_eq!(hold.expires_at, Timestamp::from_micros(START + 70 * SECOND));

    // An hour back: the charge is dated at the last instant the engine saw, not before it.
    clock.set(START - 3_600 * SECOND);
    let Outcome::Charge(charge) = submit(Command::Charge {
        account_id: "a".into(),
        spec: debit(1),
    })
    .await
    else {
        panic!("a charge");
    };
    assert_eq!(
        charge.created_at,
        Timestamp::from_micros(START + 10 * SECOND)
    );
    // Forward again, to just before the hold's expiry: still pending.
    clock.set(START + 69 * SECOND);
    submit(Command::Charge {
        account_id: "a".into(),
        spec: debit(1),
    })
    .await;
    let pending = store.hold(&hold.id).expect("reading").expect("the hold");
    assert_eq!(pending.status, HoldStatus::Pending);
    // Back again by a day: the hold is not expired by going back and forth.
    clock.set(START - 86_400 * SECOND);
    submit(Command::Charge {
        account_id: "a".into(),
        spec: debit(1),
    })
    .await;
    assert_eq!(
        store.hold(&hold.id).unwrap().unwrap().status,
        HoldStatus::Pending
    );

    // Past the period's end, then back before it, then past it again: one renewal.
    clock.set(START + 40 * 86_400 * SECOND);
    submit(Command::Charge {
        account_id: "a".into(),
        spec: debit(1),
    })
    .await;
    clock.set(START + 20 * 86_400 * SECOND);
    submit(Command::Charge {
        account_id: "a".into(),
        spec: debit(1),
    })
    .await;
    clock.set(START + 41 * 86_400 * SECOND);
    submit(Command::Charge {
        account_id: "a".into(),
        spec: debit(1),
    })
    .await;
    let subscription = store.subscription("a").unwrap().expect("the plan");
    assert_eq!(subscription.period_index, 1);

    // Every entry is dated at or after the one before it.
    let entries = store
        .entries(
            "a",
            &EntryFilter::default(),
            &PageRequest {
                limit: 1000,
                starting_after: None,
            },
        )
        .unwrap()
        .data;
    let mut dates: Vec<Timestamp> = entries.iter().rev().map(|entry| entry.created_at).collect();
    let sorted = {
        let mut sorted = dates.clone();
        sorted.sort();
        sorted
    };
    assert_eq!(dates, sorted, "entries in writing order are in date order");
    dates.dedup();
    let grants = entries
        .iter()
        .filter(|entry| entry.kind == EntryKind::Grant)
        .count();
    // The promo, the first period's allowance, the renewal's: three grants, one renewal.
    assert_eq!(grants, 3);
    assert_eq!(store.verify().unwrap().problems, Vec::<String>::new());
    drop(engine);
    thread.join().expect("the engine stopped");
}
