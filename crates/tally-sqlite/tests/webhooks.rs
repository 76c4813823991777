//! Webhooks in the SQLite store: the batch writer fans each event out to the endpoints that
//! subscribe to it, in the event's transaction; the delivery side claims one delivery per
//! account and endpoint at a time, in event order, under a lease; an attempt's outcome moves
//! the delivery on only for the lease's holder; a redelivery starts a new round.

use std::path::PathBuf;

use tally_core::{Account, Millicredits, Timestamp};
use tally_sqlite::SqliteStore;
use tally_store::webhooks::{
    AfterAttempt, AttemptOutcome, AttemptRecord, ClaimedDelivery, CreateKey, Created,
    EndpointChange, EndpointRecord, EndpointStatus, EventSelection, WebhookStore,
};
use tally_store::{BatchWrite, EventRecord, LedgerStore, PageRequest};

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write(name.as_bytes());
        let path = std::env::temp_dir().join(format!(
            "tally-sqlite-{name}-{}-{}",
            std::process::id(),
            hasher.finish()
        ));
        std::fs::create_dir_all(&path).expect("creating a temp dir");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const AT: Timestamp = Timestamp::from_micros(1_900_000_000_000_000);

fn account(id: &str) -> Account {
    Account {
        id: id.into(),
        name: None,
        overdraft_limit: Millicredits::new(0),
        metadata: None,
        created_at: AT,
        settings: Default::default(),
    }
}

fn event(account_id: &str, sequence: i64, event_type: &str) -> EventRecord {
    let id = format!("evt_{account_id}_{sequence}");
    EventRecord {
        body: format!(
            r#"{{"id":"{id}","type":"{event_type}","account_id":"{account_id}","sequence":{sequence}}}"#
        ),
        id,
        account_id: account_id.into(),
        sequence,
        event_type: event_type.into(),
        created_at: AT,
    }
}

fn endpoint(id: &str, events: EventSelection) -> EndpointRecord {
    EndpointRecord {
        id: id.into(),
        url: "http://127.0.0.1:9/hook".into(),
        description: None,
        events,
        status: EndpointStatus::Enabled,
        secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into(),
        previous_secret: None,
        created_at: AT,
        updated_at: AT,
    }
}

fn finish(store: &SqliteStore, claimed: &ClaimedDelivery, after: AfterAttempt) -> bool {
    let outcome = AttemptOutcome {
        event_seq: claimed.event_seq,
        account_id: claimed.account_id.clone(),
        lease_token: claimed.lease_token.clone(),
        attempt: AttemptRecord {
            id: format!(
                "dlv_{}_{}_{}",
                claimed.endpoint.id, claimed.event_seq, claimed.attempt
            ),
            endpoint_id: claimed.endpoint.id.clone(),
            event_id: claimed.event_id.clone(),
            attempt: claimed.attempt,
            status_code: Some(if after == AfterAttempt::Delivered {
                204
            } else {
                500
            }),
            ok: after == AfterAttempt::Delivered,
            error: None,
            created_at: AT,
            next_attempt_at: match after {
                AfterAttempt::RetryAt(at) => Some(at),
                _ => None,
            },
        },
        after,
    };
    store
        .finish_attempt(&outcome)
        .expect("finishing an attempt")
}

fn ids(claimed: &[ClaimedDelivery]) -> Vec<(String, String)> {
    let mut ids: Vec<_> = claimed
        .iter()
        .map(|c| (c.endpoint.id.clone(), c.event_id.clone()))
        .collect();
    ids.sort();
    ids
}

#[test]
fn events_fan_out_in_their_transaction_and_go_out_in_order_per_account() {
    let dir = TempDir::new("webhooks");
    let store = SqliteStore::open(dir.0.join("tally.db")).expect("a fresh store");
    let all = endpoint("we_all", EventSelection::All);
    let grants_only = endpoint(
        "we_grants",
        EventSelection::Only(vec!["grant.created".into()]),
    );
    let key = CreateKey {
        key: "k1".into(),
        request_hash: "h1".into(),
    };
    assert_eq!(
        store.create_endpoint(&all, Some(&key), None).unwrap(),
        Created::New(all.clone())
    );
    assert_eq!(
        store.create_endpoint(&all, Some(&key), None).unwrap(),
        Created::Replayed(all.clone())
    );
    let other = CreateKey {
        request_hash: "h2".into(),
        ..key
    };
    assert_eq!(
        store
            .create_endpoint(&grants_only, Some(&other), None)
            .unwrap(),
        Created::KeyConflict
    );
    store.create_endpoint(&grants_only, None, None).unwrap();
    let disabled = EndpointRecord {
        status: EndpointStatus::Disabled,
        ..endpoint("we_off", EventSelection::All)
    };
    store.create_endpoint(&disabled, None, None).unwrap();

    store
        .commit(&BatchWrite {
            new_accounts: vec![account("a"), account("b")],
            events: vec![
                event("a", 1, "grant.created"),
                event("a", 2, "hold.expired"),
                event("b", 1, "hold.expired"),
            ],
            ..BatchWrite::default()
        })
        .unwrap();
    // One pending delivery per enabled endpoint that subscribes: none for the disabled one.
    let deliveries = |event_id: &str| -> Vec<String> {
        let found = store.event_deliveries(event_id).unwrap();
        found.into_iter().map(|d| d.endpoint_id).collect()
    };
    assert_eq!(deliveries("evt_a_1"), ["we_all", "we_grants"]);
    assert_eq!(deliveries("evt_a_2"), ["we_all"]);
    assert_eq!(deliveries("evt_b_1"), ["we_all"]);
    // Behind a's first event, its second waits (not due at all) until the first's last attempt.
    let due = |event_id: &str| store.event_deliveries(event_id).unwrap()[0].next_attempt_at;
    assert_eq!((due("evt_a_1"), due("evt_a_2")), (Some(AT), None));

    // The first claim takes the head of each account's queue per endpoint: a's second event
    // waits for its first, b's does not.
    let lease_until = AT.plus_seconds(60);
    let first = store
        .claim_deliveries("node1", "t1", AT, lease_until, 10)
        .unwrap();
    assert_eq!(
        ids(&first),
        [
            ("we_all".to_string(), "evt_a_1".to_string()),
            ("we_all".to_string(), "evt_b_1".to_string()),
            ("we_grants".to_string(), "evt_a_1".to_string()),
        ]
    );
    assert!(first.iter().all(|c| c.attempt == 1));
    let body = &first.iter().find(|c| c.event_id == "evt_b_1").unwrap().body;
    assert_eq!(body, &event("b", 1, "hold.expired").body);
    // Leased: nothing more for this node, nor for another before the lease ends.
    assert!(
        store
            .claim_deliveries("node1", "t2", AT, lease_until, 10)
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .claim_deliveries("node2", "t3", AT.plus_seconds(59), lease_until, 10)
            .unwrap()
            .is_empty()
    );
    // The owner never takes back its own attempt in flight, another node does after the lease.
    assert!(
        store
            .claim_deliveries("node1", "t4", AT.plus_seconds(61), lease_until, 10)
            .unwrap()
            .is_empty()
    );
    let retaken = store
        .claim_deliveries("node2", "t5", AT.plus_seconds(61), AT.plus_seconds(121), 1)
        .unwrap();
    assert_eq!(retaken.len(), 1);
    assert_eq!(retaken[0].attempt, 2);
    // The first claim lost that lease: its outcome is logged but moves nothing.
    let lost = first
        .iter()
        .find(|c| c.endpoint.id == retaken[0].endpoint.id && c.event_id == retaken[0].event_id)
        .unwrap();
    assert!(!finish(&store, lost, AfterAttempt::Delivered));
    assert!(finish(&store, &retaken[0], AfterAttempt::Delivered));

    // a's first event delivered to we_all: its second becomes claimable there.
    for claimed in &first {
        let same = (&claimed.endpoint.id, &claimed.event_id)
            == (&retaken[0].endpoint.id, &retaken[0].event_id);
        if !same {
            finish(&store, claimed, AfterAttempt::Delivered);
        }
    }
    let later = AT.plus_seconds(200);
    assert_eq!(due("evt_a_2"), Some(AT), "due once the first was delivered");
    let next = store
        .claim_deliveries("node1", "t6", later, later.plus_seconds(60), 10)
        .unwrap();
    assert_eq!(ids(&next), [("we_all".to_string(), "evt_a_2".to_string())]);
    // A failure retries at its time; a 410 fails it and disables the endpoint.
    let retry_at = later.plus_seconds(5);
    assert!(finish(&store, &next[0], AfterAttempt::RetryAt(retry_at)));
    assert!(
        store
            .claim_deliveries(
                "node1",
                "t7",
                later.plus_seconds(4),
                later.plus_seconds(64),
                10
            )
            .unwrap()
            .is_empty()
    );
    let again = store
        .claim_deliveries("node1", "t8", retry_at, retry_at.plus_seconds(60), 10)
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempt, 2);
    assert!(finish(&store, &again[0], AfterAttempt::Gone));
    assert_eq!(
        store.endpoint("we_all").unwrap().unwrap().status,
        EndpointStatus::Disabled
    );
    let failing = store.failing_deliveries(10).unwrap();
    assert_eq!(failing.len(), 1, "{failing:?}");
    assert_eq!(
        (failing[0].event_id.as_str(), failing[0].state.as_str()),
        ("evt_a_2", "failed")
    );

    // The log, newest first, with the next attempt's time on the retried one.
    let log = store
        .delivery_attempts(
            "we_all",
            &PageRequest {
                limit: 100,
                starting_after: None,
            },
        )
        .unwrap();
    let attempts: Vec<(String, i64, bool, Option<Timestamp>)> = log
        .data
        .iter()
        .map(|a| (a.event_id.clone(), a.attempt, a.ok, a.next_attempt_at))
        .collect();
    assert_eq!(attempts[0], ("evt_a_2".to_string(), 2, false, None));
    assert_eq!(
        attempts[1],
        ("evt_a_2".to_string(), 1, false, Some(retry_at))
    );

    // Redelivery: enabled again, a new round for the endpoints it was for.
    let change = EndpointChange {
        status: Some(EndpointStatus::Enabled),
        ..EndpointChange::default()
    };
    store
        .update_endpoint("we_all", &change, later, None)
        .unwrap()
        .unwrap();
    assert_eq!(store.redeliver("evt_a_2", later).unwrap(), ["we_all"]);
    assert!(store.redeliver("evt_nope", later).unwrap().is_empty());
    let round = store
        .claim_deliveries("node1", "t9", later, later.plus_seconds(60), 10)
        .unwrap();
    assert_eq!(ids(&round), [("we_all".to_string(), "evt_a_2".to_string())]);
    assert_eq!(round[0].attempt, 1);

    // A rotation keeps the old secret signing until it expires; a delete takes the log too.
    let rotated = store
        .rotate_endpoint_secret(
            "we_grants",
            "whsec_new",
            later.plus_seconds(86_400),
            later,
            None,
        )
        .unwrap()
        .unwrap();
    assert_eq!(rotated.secret, "whsec_new");
    assert_eq!(
        rotated.signing_secrets(later),
        ["whsec_new", grants_only.secret.as_str()]
    );
    assert!(store.delete_endpoint("we_grants", None).unwrap());
    assert!(!store.delete_endpoint("we_grants", None).unwrap());
    assert_eq!(deliveries("evt_a_1"), ["we_all"]);
}
