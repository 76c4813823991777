//! Webhooks on PostgreSQL with three `tally serve` nodes on one database, each running its
//! delivery worker, and one receiver verifying with the stock `standardwebhooks` library:
//! every event is delivered, none twice (the nodes claim with `FOR UPDATE SKIP LOCKED` and a
//! lease), in order per account; and a node killed mid-delivery leaves the delivery to another
//! node once its lease has run out.
//!
//! Needs `TALLY_TEST_DATABASE_URL` (run through `scripts/with-postgres`) and the receiver's
//! python (`TALLY_TEST_PYTHON`, set by scripts/test).

mod common;

use std::collections::HashMap;

use common::receiver::{Receiver, wait_for};
use common::*;
use serde_json::{Value, json};

const NODES: usize = 3;

fn start_node(database: &TestDatabase, dir: &TempDir, node: usize, lease: u64) -> Server {
    let log = dir.path().join(format!("node{node}.log"));
    let options = ServeOptions {
        webhook_lease_seconds: Some(lease),
        ..ServeOptions::default()
    };
    Server::start_postgres(&database.url, &log, &options)
}

fn all_events(admin: &Client) -> Vec<Value> {
    let page = admin.get("/v1/events?limit=1000").expect(200);
    assert_eq!(page.body["has_more"], json!(false));
    let mut events = page.body["data"].as_array().unwrap().clone();
    events.reverse();
    events
}

#[test]
fn three_nodes_deliver_every_event_exactly_once_in_order() {
    let database = TestDatabase::create();
    let dir = TempDir::new("hooks-multinode");
    let nodes: Vec<Server> = (0..NODES)
        .map(|node| start_node(&database, &dir, node, 60))
        .collect();
    let receiver = Receiver::start();
    let admin = nodes[0].admin();
    let endpoint = admin
        .post("/v1/webhook-endpoints", json!({"url": receiver.url()}))
        .expect(201);
    receiver.secrets(&[endpoint.body["secret"].as_str().unwrap()]);
    let accounts = ["a", "b", "c", "d"];
    for account in accounts {
        admin
            .post("/v1/accounts", json!({"id": account}))
            .expect(201);
    }
    // Every node writes events at once: grants on every account, through every node.
    std::thread::scope(|scope| {
        for (node, server) in nodes.iter().enumerate() {
            let client = server.admin();
            scope.spawn(move || {
                for round in 0..16 {
                    let account = accounts[(node + round) % accounts.len()];
                    client
                        .post(
                            &format!("/v1/accounts/{account}/grants"),
                            json!({"amount": round + 1}),
                        )
                        .expect(201);
                }
            });
        }
    });
    let events = all_events(&admin);
    assert_eq!(events.len(), NODES * 16);
    wait_for(
        "every event delivered",
        || receiver.delivered().len(),
        |n| *n >= events.len(),
    );
    let received = receiver.received();
    let mut count: HashMap<&str, usize> = HashMap::new();
    let mut last: HashMap<String, i64> = HashMap::new();
    for entry in &received {
        assert_eq!(entry["verified"], json!([true]), "{entry}");
        assert_eq!(entry["answered"], json!(204));
        *count.entry(entry["id"].as_str().unwrap()).or_default() += 1;
        let event: Value = serde_json::from_str(entry["body"].as_str().unwrap()).unwrap();
        let account = event["account_id"].as_str().unwrap().to_string();
        let sequence = event["sequence"].as_i64().unwrap();
        let before = last.insert(account.clone(), sequence).unwrap_or(0);
        assert!(sequence > before, "{account}: {sequence} after {before}");
    }
    // The receiver never failed, so every request is a first and only attempt.
    assert_eq!(received.len(), events.len(), "a delivery was made twice");
    for event in &events {
        let id = event["id"].as_str().unwrap();
        assert_eq!(
            count.get(id),
            Some(&1),
            "{id} delivered {:?} times",
            count.get(id)
        );
    }
    // The log agrees: one attempt per event, each ok.
    let path = format!(
        "/v1/webhook-endpoints/{}/deliveries?limit=1000",
        endpoint.body["id"].as_str().unwrap()
    );
    let reader = nodes[1].admin();
    let log = wait_for(
        "every attempt logged",
        || {
            reader.get(&path).expect(200).body["data"]
                .as_array()
                .unwrap()
                .clone()
        },
        |log| log.len() >= events.len(),
    );
    assert_eq!(log.len(), events.len());
    assert!(
        log.iter()
            .all(|a| a["ok"] == json!(true) && a["attempt"] == json!(1))
    );
    // Which nodes delivered (each worker logs its attempts): for the record.
    let by_node: Vec<usize> = (0..NODES)
        .map(|node| {
            let log = std::fs::read_to_string(dir.path().join(format!("node{node}.log")))
                .unwrap_or_default();
            log.matches("webhook attempt").count()
        })
        .collect();
    eprintln!("attempts per node: {by_node:?}");
    assert_eq!(by_node.iter().sum::<usize>(), events.len());
    drop(nodes);
}

#[test]
fn a_node_killed_mid_delivery_leaves_it_to_another_after_its_lease() {
    let database = TestDatabase::create();
    let dir = TempDir::new("hooks-lease");
    // A short lease, so the test waits seconds, not a minute (it must stay above the time an
    // attempt takes: here the receiver answers at once once released).
    let lease = 3;
    let mut nodes: Vec<Option<Server>> = (0..NODES)
        .map(|node| Some(start_node(&database, &dir, node, lease)))
        .collect();
    let receiver = Receiver::start();
    let admin = nodes[0].as_ref().unwrap().admin();
    let endpoint = admin
        .post("/v1/webhook-endpoints", json!({"url": receiver.url()}))
        .expect(201);
    let endpoint_id = endpoint.body["id"].as_str().unwrap().to_string();
    receiver.secrets(&[endpoint.body["secret"].as_str().unwrap()]);
    receiver.control(json!({"mode": "hang"}));
    admin.post("/v1/accounts", json!({"id": "a"})).expect(201);
    admin
        .post("/v1/accounts/a/grants", json!({"amount": 5}))
        .expect(201);
    // One node has claimed it and is mid-delivery: the one whose log says so.
    wait_for(
        "the delivery in flight",
        || receiver.received().len(),
        |n| *n == 1,
    );
    let claimed_by = |node: usize| {
        std::fs::read_to_string(dir.path().join(format!("node{node}.log")))
            .unwrap_or_default()
            .contains("webhook delivery claimed")
    };
    let holder = wait_for(
        "the log line of the node that claimed it",
        || (0..NODES).find(|node| claimed_by(*node)),
        Option::is_some,
    )
    .unwrap();
    let mut first = nodes[holder].take().unwrap();
    let others: Vec<Server> = nodes.into_iter().flatten().collect();
    first.kill();
    receiver.control(json!({"mode": "ok"}));
    wait_for(
        "the delivery made by another node",
        || receiver.delivered().len(),
        |n| *n >= 1,
    );
    let delivered = receiver.delivered();
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0]["verified"], json!([true]));
    // The dead node never recorded its attempt; the one that took over made attempt 2.
    let reader = others[0].admin();
    let path = format!("/v1/webhook-endpoints/{endpoint_id}/deliveries");
    let log = wait_for(
        "the attempt logged",
        || {
            reader.get(&path).expect(200).body["data"]
                .as_array()
                .unwrap()
                .clone()
        },
        |log| !log.is_empty(),
    );
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(
        (log[0]["attempt"].clone(), log[0]["ok"].clone()),
        (json!(2), json!(true))
    );
    // Two requests reached the receiver in all: the dead node's (never answered to it) and
    // the one that succeeded.
    assert_eq!(receiver.received().len(), 2);
    drop(others);
}
