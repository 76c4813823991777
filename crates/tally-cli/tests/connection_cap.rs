//! End to end: `--max-connections`. With the cap's connections open, one more is answered
//! 503 `unavailable` (problem+json, `Retry-After: 1`) and closed, and nothing else changes;
//! once one of them closes, a new connection is served again. The connections are held open
//! by the test (each answered once, so the server has surely taken it), so which one is
//! refused is decided by the cap, never by timing. A connection that sends nothing for
//! `--idle-timeout-seconds` is closed by the server, and its slot serves the next one.

mod common;

use common::receiver::wait_for;
use common::*;
use serde_json::json;

const HEALTH: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: tally\r\n\r\n";

/// A keep-alive connection the server has answered once (so it holds one of the slots).
fn served_connection(base: &str) -> RawConnection {
    let mut connection = RawConnection::open(base);
    assert!(connection.send(HEALTH), "sending on a new connection");
    let answer = connection.read_response().expect("an answer");
    assert_eq!(answer.status, 200, "{}", answer.text);
    connection
}

/// What a new connection's first request gets.
fn first_answer(base: &str) -> Resp {
    let mut connection = RawConnection::open(base);
    assert!(connection.send(HEALTH), "sending on a new connection");
    connection
        .read_response()
        .expect("an answer, before the close")
}

#[test]
fn a_connection_over_the_cap_is_answered_503_and_closed_until_one_closes() {
    let t = Tally::start_with(ServeOptions {
        max_connections: Some(2),
        ..ServeOptions::default()
    });
    let base = t.server().base().to_string();
    let first = served_connection(&base);
    let mut second = served_connection(&base);

    // The third: refused at once, cleanly.
    let mut third = RawConnection::open(&base);
    assert!(third.send(HEALTH));
    let refused = third.read_response().expect("the refusal");
    refused.problem(503, "unavailable");
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(refused.header("connection"), Some("close"));
    assert!(
        refused.body["detail"].as_str().unwrap().contains('2'),
        "the detail names the cap: {}",
        refused.text
    );
    // And closed: no second answer on it.
    assert!(!third.send(HEALTH) || third.read_response().is_none());

    // The two served ones keep being served.
    assert!(second.send(HEALTH));
    assert_eq!(second.read_response().expect("an answer").status, 200);

    // Once one closes, a new connection is served (as soon as the server has seen the close;
    // until then it is refused exactly as above).
    drop(first);
    let served = wait_for(
        "a new connection served after one closed",
        || first_answer(&base),
        |answer| {
            if answer.status != 200 {
                answer.problem(503, "unavailable");
            }
            answer.status == 200
        },
    );
    assert_eq!(served.body["status"], json!("ok"), "{}", served.text);
    drop(second);

    // Nothing was done for the refused ones: the server writes as before.
    let admin = t.admin();
    create_account(&admin, "capped");
    grant(&admin, "capped", json!(10), json!({}));
    assert_eq!(balance(&admin, "capped")["available"], json!(10));
}

#[test]
fn an_idle_keep_alive_connection_is_closed_and_its_slot_serves_the_next() {
    let t = Tally::start_with(ServeOptions {
        max_connections: Some(1),
        idle_timeout_seconds: Some(1),
        ..ServeOptions::default()
    });
    let base = t.server().base().to_string();
    let mut idle = served_connection(&base);
    // The test sends nothing more: the server ends the connection by itself (an end of
    // stream, not the test's read timeout).
    assert!(
        idle.closed_by_the_server(),
        "the idle connection was never closed"
    );
    // Its slot was freed before the close was sent: the one slot serves a new connection.
    let mut next = served_connection(&base);
    assert!(next.send(HEALTH));
    assert_eq!(next.read_response().expect("an answer").status, 200);
}
