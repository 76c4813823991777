//! Groups of commands (`EngineHandle::submit_group`, what `POST /v1/batch` uses) on the real
//! engine and a real SQLite file whose commits are held at a gate: a group is applied in one
//! batch, never split, even when it is larger than the batch bound, and each of its commands
//! is answered as if it had been submitted alone.
//!
//! Nothing is timed: the gate holds every commit, and the test lets them through one at a
//! time, reading what each batch wrote, until every charge submitted has been seen.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use common::gated_store::{GatedStore, TempDir, as_api, renderer, submit_in_order};
use tally_core::catalog::Catalog;
use tally_core::{Attribution, DebitSpec, GrantSource, GrantSpec, Millicredits};
use tally_engine::clock::SystemClock;
use tally_engine::{self as engine, Command, EngineConfig, EngineHandle, Idempotency};
use tally_store::{BatchWrite, ReadStore};

/// The batch bound the engine runs with here: far below the groups' sizes.
const BATCH_COMMANDS_MAX: usize = 4;

async fn start(
    name: &str,
) -> (
    Arc<GatedStore>,
    EngineHandle,
    std::thread::JoinHandle<()>,
    TempDir,
) {
    let dir = TempDir::new(&format!("engine-group-{name}"));
    let store = Arc::new(GatedStore::open(&dir.path().join("ledger.db")));
    let (engine, thread) = engine::start(
        store.clone(),
        EngineConfig {
            clock: Arc::new(SystemClock),
            test_clock: None,
            catalog: Arc::new(Catalog::default()),
            batch_commands_max: BATCH_COMMANDS_MAX,
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
            amount: Millicredits::from_credits(1_000),
            source: GrantSource::Promo,
            priority: 0,
            effective_at: None,
            expires_at: None,
            description: None,
            metadata: None,
        },
    };
    engine.submit(grant, None).await.expect("grant");
    (store, engine, thread, dir)
}

/// A charge of one credit on `account_id`, named by its description.
fn charge(account_id: &str, name: &str) -> Command {
    Command::Charge {
        account_id: account_id.into(),
        spec: DebitSpec {
            amount: Millicredits::from_credits(1),
            attribution: Attribution::default(),
            description: Some(name.into()),
            metadata: None,
            extra: None,
        },
    }
}

fn keyed(key: &str) -> Option<Idempotency> {
    Some(Idempotency {
        scope: "account:a".into(),
        key: key.into(),
        request_hash: format!("request {key}"),
    })
}

/// Lets the held commits after the first `after` through one at a time until `charges`
/// charges have been written; the writes of every engine batch seen on the way, in order.
fn batches_until(store: &GatedStore, mut after: u64, charges: usize) -> Vec<BatchWrite> {
    let mut writes = Vec::new();
    let mut seen = 0;
    while seen < charges {
        let blocked = store.wait_for_blocked_commit(after);
        after = blocked.number;
        seen += blocked
            .writes
            .iter()
            .map(|write| write.effects.charges.len())
            .sum::<usize>();
        writes.extend(blocked.writes);
        store.release_one();
    }
    assert_eq!(
        seen, charges,
        "no charge was written that was not submitted"
    );
    writes
}

/// The descriptions of a batch's charges.
fn names(write: &BatchWrite) -> Vec<String> {
    write
        .effects
        .charges
        .iter()
        .map(|charge| charge.description.clone().unwrap_or_default())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_larger_than_the_batch_bound_is_one_batch_answered_per_command() {
    let (store, engine, thread, _dir) = start("large").await;
    store.close_gate();
    let started = store.commits_started();

    // 50 commands, twelve times the bound: 47 charges, a replay of a key used earlier in the
    // group, a charge on an account that does not exist, and one more keyed charge.
    let mut group: Vec<(Command, Option<Idempotency>)> = (0..47)
        .map(|index| (charge("a", &format!("g{index}")), None))
        .collect();
    group[3].1 = keyed("k3");
    group.push((charge("a", "replay of g3"), keyed("k3")));
    group.push((charge("nobody", "refused"), None));
    group.push((charge("a", "g-last"), keyed("k-last")));
    let replies = engine.submit_group(group);

    let writes = batches_until(&store, started, 48);
    store.open_gate();
    let replies: Vec<_> = replies.await.into_iter().map(as_api).collect();

    let with_charges: Vec<&BatchWrite> = writes
        .iter()
        .filter(|write| !write.effects.charges.is_empty())
        .collect();
    assert_eq!(with_charges.len(), 1, "the whole group is one batch");
    let mut expected: Vec<String> = (0..47).map(|index| format!("g{index}")).collect();
    expected.push("g-last".into());
    assert_eq!(names(with_charges[0]), expected, "in the group's order");
    assert_eq!(with_charges[0].idempotency.len(), 2, "two keys used first");

    assert_eq!(replies.len(), 50);
    for reply in &replies[..47] {
        let reply = reply.as_ref().expect("a charge");
        assert_eq!((reply.status, reply.replayed), (201, false));
    }
    let first = replies[3].as_ref().expect("the keyed charge");
    let replay = replies[47].as_ref().expect("its replay");
    assert!(
        replay.replayed,
        "the key was used earlier in the same group"
    );
    assert_eq!(
        replay.body.clone().into_json(),
        first.body.clone().into_json()
    );
    let refused = replies[48].as_ref().expect_err("no such account");
    assert_eq!(refused.code(), "not_found");
    assert_eq!(replies[49].as_ref().expect("a charge").status, 201);

    let posted = store
        .account("a")
        .expect("read")
        .expect("account a")
        .totals
        .posted;
    assert_eq!(posted, Millicredits::from_credits(1_000 - 48));
    drop(engine);
    thread.join().expect("the engine stops");
    let report = store.verify().expect("verify");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_are_never_split_and_batches_keep_their_bound() {
    let (store, engine, thread, _dir) = start("mixed").await;
    store.close_gate();
    let started = store.commits_started();

    // Singles and groups in one order, all queued before the engine can commit anything:
    // the groups of 3 and 4 fit the bound only with nothing before them, the group of 6 never.
    let singles = |names: &[&str]| -> Vec<(Command, Option<Idempotency>)> {
        names.iter().map(|name| (charge("a", name), None)).collect()
    };
    let group = |prefix: &str, size: usize| -> Vec<(Command, Option<Idempotency>)> {
        (0..size)
            .map(|index| (charge("a", &format!("{prefix}{index}")), None))
            .collect()
    };
    let first = submit_in_order(&engine, singles(&["s1", "s2"])).await;
    let g3 = engine.submit_group(group("three-", 3));
    let middle = submit_in_order(&engine, singles(&["s3"])).await;
    let g4 = engine.submit_group(group("four-", 4));
    let g6 = engine.submit_group(group("six-", 6));
    let last = submit_in_order(&engine, singles(&["s4", "s5"])).await;

    let writes = batches_until(&store, started, 2 + 3 + 1 + 4 + 6 + 2);
    store.open_gate();

    // Where each charge was written: every group in exactly one batch, whole.
    let mut batch_of: HashMap<String, usize> = HashMap::new();
    for (index, write) in writes.iter().enumerate() {
        let names = names(write);
        let six = names.iter().filter(|name| name.starts_with("six-")).count();
        assert!(
            names.len() <= BATCH_COMMANDS_MAX || names.len() == six,
            "a batch over the bound holds one group alone: {names:?}"
        );
        for name in names {
            batch_of.insert(name, index);
        }
    }
    for (prefix, size) in [("three-", 3), ("four-", 4), ("six-", 6)] {
        let batches: Vec<usize> = (0..size)
            .map(|index| batch_of[&format!("{prefix}{index}")])
            .collect();
        assert!(
            batches.iter().all(|batch| *batch == batches[0]),
            "the group {prefix} was split: {batches:?}"
        );
    }
    // And in submission order.
    let order = ["s1", "s2", "three-0", "s3", "four-0", "six-0", "s4", "s5"];
    let positions: Vec<usize> = order.iter().map(|name| batch_of[*name]).collect();
    assert!(
        positions.is_sorted(),
        "batches follow submission order: {positions:?}"
    );

    for reply in first
        .replies()
        .await
        .into_iter()
        .chain(middle.replies().await)
    {
        assert_eq!(reply.expect("a charge").status, 201);
    }
    for reply in last.replies().await {
        assert_eq!(reply.expect("a charge").status, 201);
    }
    for group in [g3.await, g4.await, g6.await] {
        for reply in group {
            assert_eq!(as_api(reply).expect("a charge").status, 201);
        }
    }
    drop(engine);
    thread.join().expect("the engine stops");
    let report = store.verify().expect("verify");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}
