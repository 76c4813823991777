//! End to end: the typed Rust client (`tally-client`) against a real `tally serve` on
//! loopback: the product loop (account, grant, quote, hold, capture, charge and its replay,
//! refund, entries, balance), a refusal read as a `Problem`, and the retries: a loopback proxy
//! between the client and the server answers the first attempt of a charge 503
//! (`Retry-After: 0`), or forwards it and withholds the answer until the client times out;
//! the same Idempotency-Key must arrive again, and exactly one charge exist.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use tally_client::{
    CaptureHold, Client, CreateAccount, CreateCharge, CreateGrant, CreateHold, CreateQuote,
    CreateRefund, Credits, Error, ListEntries, Page, RetryPolicy, Usage,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn credits(text: &str) -> Credits {
    text.parse().expect("a valid amount")
}

async fn admin(t: &Tally) -> Client {
    Client::new(t.server().base(), ADMIN_KEY).expect("a client")
}

/// An account with `amount` credits, made through the typed client.
async fn funded(api: &Client, id: &str, amount: &str) {
    let account = CreateAccount {
        id: Some(id.into()),
        name: Some("Acme Inc.".into()),
        ..CreateAccount::default()
    };
    api.create_account(&account).await.expect("the account");
    let grant = CreateGrant {
        amount: credits(amount),
        description: Some("welcome".into()),
        ..CreateGrant::default()
    };
    api.create_grant(id, &grant).await.expect("the grant");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_product_loop_through_the_typed_client() {
    let t = Tally::start();
    let api = admin(&t).await;

    let created = api
        .create_account(&CreateAccount {
            id: Some("acme".into()),
            name: Some("Acme Inc.".into()),
            ..CreateAccount::default()
        })
        .await
        .expect("creating the account");
    assert_eq!(created.status().as_u16(), 201);
    assert!(!created.replayed());
    assert!(
        created
            .idempotency_key()
            .is_some_and(|key| key.starts_with("tally-client-")),
        "a write carries a generated key: {:?}",
        created.idempotency_key()
    );
    assert_eq!(created.id, "acme");
    assert_eq!(created.overdraft_limit, Credits::ZERO);

    let grant = api
        .create_grant(
            "acme",
            &CreateGrant {
                amount: credits("5000"),
                source: Some("promo".into()),
                ..CreateGrant::default()
            },
        )
        .await
        .expect("granting");
    assert_eq!(grant.remaining, credits("5000"));
    assert_eq!(grant.status, "active");

    // The price first, with the cheaper models for the same usage.
    let usage = Usage {
        input_tokens: Some(1000),
        output_tokens: Some(1000),
        ..Usage::new("chat", "gpt-4o")
    };
    let quote = api
        .quote(&CreateQuote {
            usage,
            account_id: Some("acme".into()),
            alternatives: Some(true),
        })
        .await
        .expect("a quote");
    assert_eq!(quote.cost.max, credits("13"));
    assert!(quote.id.starts_with("qt_"), "{}", quote.id);
    let account = quote.account.as_ref().expect("the account's view");
    assert!(account.affordable);
    assert_eq!(account.available, credits("5000"));
    assert_eq!(
        quote.alternatives.first().map(|a| a.model.as_str()),
        Some("gpt-4o-mini")
    );

    // Hold, then capture what the job cost: the rest goes back at once.
    let hold = api
        .create_hold("acme", &CreateHold::amount(credits("600")))
        .await
        .expect("a hold");
    assert_eq!(hold.status, "pending");
    assert_eq!(api.balance("acme").await.unwrap().held, credits("600"));
    let captured = api
        .capture_hold(
            &hold.id,
            &CaptureHold {
                amount: Some(credits("512.5")),
                ..CaptureHold::default()
            },
        )
        .await
        .expect("capturing");
    assert_eq!(captured.status, "captured");
    assert_eq!(captured.captured, credits("512.5"));
    assert_eq!(captured.released, Some(credits("87.5")));

    // A charge with the caller's key, sent twice: done once, the second a replay.
    let keyed = api.with_idempotency_key("msg-8841");
    let charge = CreateCharge {
        product: Some("assistant".into()),
        member: Some("ada".into()),
        ..CreateCharge::amount(credits("3"))
    };
    let first = keyed
        .create_charge("acme", &charge)
        .await
        .expect("charging");
    assert!(!first.replayed());
    assert_eq!(first.idempotency_key(), Some("msg-8841"));
    assert_eq!(first.available_after, credits("4484.5"));
    let again = keyed.create_charge("acme", &charge).await.expect("again");
    assert!(again.replayed(), "the same key and body replays");
    assert_eq!(again.id, first.id);
    assert_eq!(
        api.charges("acme", &Page::default())
            .await
            .unwrap()
            .data
            .len(),
        1
    );

    // A usage-priced charge on the quote's price: the quote's id alone says the usage.
    let priced = api
        .create_charge("acme", &CreateCharge::quote(quote.id.clone()))
        .await
        .expect("a charge of the quote");
    assert_eq!(priced.amount, credits("13"));
    assert_eq!(priced.rate_card_version, Some(quote.rate_card_version));
    assert_eq!(priced.model.as_deref(), Some("gpt-4o"), "{priced:?}");

    // Refund the keyed charge: the credits go back to the grant.
    let refund = api
        .refund_charge(
            &first.id,
            &CreateRefund {
                reason: Some("the message failed".into()),
                ..CreateRefund::default()
            },
        )
        .await
        .expect("refunding");
    assert_eq!(refund.amount, credits("3"));
    assert_eq!(refund.charge_id.as_deref(), Some(first.id.as_str()));
    assert_eq!(refund.restored.len(), 1);
    assert_eq!(refund.restored[0].grant_id, grant.id);
    let refunded = api.charge(&first.id).await.expect("the charge");
    assert_eq!(refunded.refunded, Some(credits("3")));

    // The ledger says all of it, newest first; the balance is exact.
    let entries = api
        .entries("acme", &ListEntries::default())
        .await
        .expect("entries");
    let kinds: Vec<&str> = entries.data.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "refund", "charge", "charge", "release", "capture", "hold", "grant"
        ],
        "{entries:#?}"
    );
    let only_charges = api
        .entries(
            "acme",
            &ListEntries {
                kind: Some("charge".into()),
                page: Page {
                    limit: Some(1),
                    starting_after: None,
                },
                ..ListEntries::default()
            },
        )
        .await
        .expect("charge entries");
    assert_eq!(only_charges.data.len(), 1);
    assert!(only_charges.has_more);
    let balance = api.balance("acme").await.expect("the balance");
    // 5000 − 512.5 − 3 − 13 + 3
    assert_eq!(balance.available, credits("4474.5"));
    assert_eq!(balance.available.millicredits(), 4_474_500);
    assert_eq!(balance.held, Credits::ZERO);
    assert_eq!(balance.grants.len(), 1);
    let account = api.account("acme").await.expect("the account");
    assert_eq!(
        account.balance.map(|b| b.available),
        Some(credits("4474.5"))
    );
    let usage = api
        .usage(
            "acme",
            &tally_client::UsageQuery {
                group_by: vec!["product".into()],
                ..Default::default()
            },
        )
        .await
        .expect("usage");
    assert_eq!(usage.total.credits, credits("525.5"));
    t.verify();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_is_a_problem_with_its_code_param_and_fields() {
    let t = Tally::start();
    let api = admin(&t).await;
    funded(&api, "acme", "1").await;

    let error = api
        .create_charge("acme", &CreateCharge::amount(credits("5.5")))
        .await
        .expect_err("more than the balance");
    let problem = error.problem().expect("a problem");
    assert_eq!(problem.status, 402);
    assert_eq!(error.code(), Some("insufficient_credits"));
    assert_eq!(problem.credits("available"), Some(credits("1")));
    assert_eq!(problem.credits("required"), Some(credits("5.5")));
    assert!(!problem.message.is_empty());
    assert!(!problem.is_retryable());

    let error = api
        .create_grant(
            "acme",
            &CreateGrant {
                amount: credits("1"),
                source: Some("gift".into()),
                ..CreateGrant::default()
            },
        )
        .await
        .expect_err("no such source");
    let problem = error.problem().expect("a problem");
    assert_eq!(problem.code, "invalid_request");
    assert_eq!(problem.param.as_deref(), Some("source"));
    assert!(error.to_string().contains("(param: source)"), "{error}");

    let error = api.hold("hold_nope").await.expect_err("no such hold");
    assert_eq!(error.status(), Some(404));
    assert_eq!(error.code(), Some("not_found"));

    // An account key on an admin route; the escape hatch reads any route.
    let key = api.create_key("acme").await.expect("a key");
    let secret = key.key.clone().expect("the key, once");
    let scoped = Client::new(t.server().base(), secret).unwrap();
    let error = api_forbidden(&scoped).await;
    assert_eq!(error.code(), Some("forbidden"));
    let limits = scoped
        .request::<serde_json::Value>(tally_client::Method::GET, "/v1/accounts/acme/limits", None)
        .await
        .expect("the escape hatch");
    assert!(limits.value()["data"].is_array());
    assert_eq!(api.keys("acme").await.unwrap().data.len(), 1);
    api.revoke_key(&key.id).await.expect("revoking");
    let error = scoped.balance("acme").await.expect_err("revoked");
    assert_eq!(error.code(), Some("unauthorized"));

    // Nothing changed.
    assert_eq!(api.balance("acme").await.unwrap().available, credits("1"));
}

async fn api_forbidden(scoped: &Client) -> Error {
    scoped
        .accounts(&Page::default())
        .await
        .expect_err("listing accounts is for admins")
}

// ---------------------------------------------------------------------------------------------
// A loopback proxy that fails the first attempt of a charge
// ---------------------------------------------------------------------------------------------

/// What the proxy does to the first `POST …/charges` it sees (the rest it forwards).
#[derive(Clone, Copy)]
enum FirstCharge {
    /// Answer 503 `unavailable` with `Retry-After: 0`, without forwarding it.
    Unavailable,
    /// Forward it (the server does it) and never answer.
    Withhold,
}

/// One request the proxy saw: method, path, Idempotency-Key.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    method: String,
    path: String,
    idempotency_key: Option<String>,
}

struct Proxy {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Proxy {
    async fn start(server: &str, first: FirstCharge) -> Proxy {
        let upstream = server
            .strip_prefix("http://")
            .expect("an http:// base")
            .to_string();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (log, upstream) = (log.clone(), upstream.clone());
                tokio::spawn(async move { proxy_one(stream, &upstream, &log, first).await });
            }
        });
        Proxy { base, seen }
    }

    fn charges_seen(&self) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|seen| seen.method == "POST" && seen.path.ends_with("/charges"))
            .cloned()
            .collect()
    }
}

/// Reads one HTTP/1.1 message (head and a `content-length` body) from `stream`.
async fn read_message(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buffer.len() < head_end + length {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    Some((head, buffer[head_end..head_end + length].to_vec()))
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

/// One request per connection (every answer says `connection: close`, so the client's pool
/// never reuses a connection the proxy is done with).
async fn proxy_one(
    mut client: TcpStream,
    upstream: &str,
    seen: &Mutex<Vec<Seen>>,
    first: FirstCharge,
) {
    let Some((head, body)) = read_message(&mut client).await else {
        return;
    };
    let mut words = head.split_whitespace();
    let method = words.next().unwrap_or_default().to_string();
    let path = words.next().unwrap_or_default().to_string();
    let is_charge = method == "POST" && path.ends_with("/charges");
    let first_charge = {
        let mut seen = seen.lock().unwrap();
        let earlier = seen
            .iter()
            .any(|s| s.method == "POST" && s.path.ends_with("/charges"));
        seen.push(Seen {
            method,
            path,
            idempotency_key: header(&head, "idempotency-key").map(str::to_string),
        });
        is_charge && !earlier
    };
    if first_charge && matches!(first, FirstCharge::Unavailable) {
        let problem = r#"{"type":"/errors/unavailable","title":"Unavailable","status":503,"code":"unavailable","detail":"the proxy says: try again"}"#;
        let answer = format!(
            "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json\r\n\
             retry-after: 0\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{problem}",
            problem.len()
        );
        let _ = client.write_all(answer.as_bytes()).await;
        return;
    }
    let mut server = TcpStream::connect(upstream).await.expect("the server");
    let mut request = head.into_bytes();
    request.extend_from_slice(&body);
    server.write_all(&request).await.expect("forwarding");
    let Some((answer_head, answer_body)) = read_message(&mut server).await else {
        return;
    };
    if first_charge {
        // FirstCharge::Withhold: the server has done it; its answer never comes. Hold the
        // connection open until the test is over (the client's timeout decides).
        std::future::pending::<()>().await;
    }
    let answer = answer_head.replacen("\r\n", "\r\nconnection: close\r\n", 1);
    let mut bytes = answer.into_bytes();
    bytes.extend_from_slice(&answer_body);
    let _ = client.write_all(&bytes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_503_is_retried_with_the_same_key_and_charges_once() {
    let t = Tally::start();
    let api = admin(&t).await;
    funded(&api, "acme", "100").await;
    let proxy = Proxy::start(t.server().base(), FirstCharge::Unavailable).await;
    let through = Client::new(&proxy.base, ADMIN_KEY).unwrap();

    let charge = through
        .create_charge("acme", &CreateCharge::amount(credits("7")))
        .await
        .expect("the retry succeeds");
    assert_eq!(charge.attempts(), 2);
    assert!(!charge.replayed(), "the 503 never reached the server");

    let seen = proxy.charges_seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    let key = seen[0].idempotency_key.clone().expect("a key on the first");
    assert_eq!(seen[1].idempotency_key.as_deref(), Some(key.as_str()));
    assert_eq!(charge.idempotency_key(), Some(key.as_str()));

    let charges = api.charges("acme", &Page::default()).await.unwrap();
    assert_eq!(charges.data.len(), 1, "{charges:#?}");
    assert_eq!(charges.data[0].id, charge.id);
    assert_eq!(api.balance("acme").await.unwrap().available, credits("93"));
    t.verify();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_retries_the_503_is_the_answer_and_nothing_is_charged() {
    let t = Tally::start();
    let api = admin(&t).await;
    funded(&api, "acme", "100").await;
    let proxy = Proxy::start(t.server().base(), FirstCharge::Unavailable).await;
    let through = Client::builder(&proxy.base)
        .key(ADMIN_KEY)
        .retry(RetryPolicy::none())
        .build()
        .unwrap();

    let error = through
        .create_charge("acme", &CreateCharge::amount(credits("7")))
        .await
        .expect_err("one attempt, and it was refused");
    assert_eq!(error.code(), Some("unavailable"));
    assert_eq!(error.problem().unwrap().retry_after, Some(Duration::ZERO));
    assert!(error.problem().unwrap().is_retryable());
    assert_eq!(proxy.charges_seen().len(), 1);
    assert!(
        api.charges("acme", &Page::default())
            .await
            .unwrap()
            .data
            .is_empty()
    );
    assert_eq!(api.balance("acme").await.unwrap().available, credits("100"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_is_retried_with_the_same_key_and_the_replay_reported() {
    let t = Tally::start();
    let api = admin(&t).await;
    funded(&api, "acme", "100").await;
    let proxy = Proxy::start(t.server().base(), FirstCharge::Withhold).await;
    let through = Client::builder(&proxy.base)
        .key(ADMIN_KEY)
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();

    let charge = through
        .create_charge("acme", &CreateCharge::amount(credits("7")))
        .await
        .expect("the retry gets the answer");
    // The first attempt was done by the server; its answer was lost. The retry's answer is
    // that first one again.
    assert!(charge.replayed(), "the retry is answered with the replay");
    assert!(charge.attempts() >= 2);

    let seen = proxy.charges_seen();
    assert!(seen.len() >= 2, "{seen:?}");
    let key = seen[0].idempotency_key.clone().expect("a key on the first");
    assert!(
        seen.iter()
            .all(|s| s.idempotency_key.as_deref() == Some(key.as_str())),
        "{seen:?}"
    );

    let charges = api.charges("acme", &Page::default()).await.unwrap();
    assert_eq!(charges.data.len(), 1, "{charges:#?}");
    assert_eq!(charges.data[0].id, charge.id);
    assert_eq!(api.balance("acme").await.unwrap().available, credits("93"));
    t.verify();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_is_a_connection_error_after_the_retries() {
    // A port nobody listens on: bound, then closed.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let api = Client::builder(&base)
        .key(ADMIN_KEY)
        .retry(RetryPolicy {
            attempts_max: 3,
            backoff_initial: Duration::from_millis(1),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();
    let error = api
        .create_charge("acme", &CreateCharge::amount(credits("1")))
        .await
        .expect_err("nobody listens");
    assert!(
        matches!(error, Error::Connection { attempts: 3, .. }),
        "{error:?}"
    );
}
