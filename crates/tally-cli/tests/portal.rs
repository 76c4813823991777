//! Portal links end to end, on a real `tally serve` (test clock on, SQLite) and a client that
//! keeps no cookies and follows no redirects (the raw HTTP client of the harness): a link
//! minted by the platform signs its visitor in to its account's dashboard once, only to that
//! account, only before it expires, and exactly once however many visits race for it.

mod common;

use std::sync::{Arc, Barrier};

use common::*;
use serde_json::{Value, json};

/// Where the test clock is put before links are minted, and the same instants as text.
const NOW: &str = "2030-01-01T00:00:00Z";
const NOW_PLUS_DEFAULT_TTL: &str = "2030-01-01T00:05:00Z";
const NOW_PLUS_ONE_MINUTE: &str = "2030-01-01T00:01:00Z";

/// Accounts `acme` (123.5 credits granted) and `globex` (777.25), and a key of each.
struct World {
    tally: Tally,
    acme_key: String,
    globex_key: String,
}

fn world() -> World {
    world_with(ServeOptions {
        test_clock: true,
        ..ServeOptions::default()
    })
}

fn world_with(options: ServeOptions) -> World {
    let tally = Tally::start_sqlite_with(options);
    let admin = tally.admin();
    admin.post("/v1/clock", json!({"now": NOW})).expect(200);
    for (id, amount) in [("acme", "123.5"), ("globex", "777.25")] {
        admin.post("/v1/accounts", json!({"id": id})).expect(201);
        admin
            .post(
                &format!("/v1/accounts/{id}/grants"),
                json!({"amount": num(amount), "source": "promo"}),
            )
            .expect(201);
    }
    let key = |id: &str| {
        admin
            .post_empty(&format!("/v1/accounts/{id}/keys"))
            .expect(201)["key"]
            .as_str()
            .expect("a new key")
            .to_string()
    };
    World {
        acme_key: key("acme"),
        globex_key: key("globex"),
        tally,
    }
}

/// Mints a link for `account` with `client`; returns the whole answer.
fn mint(client: &Client, account: &str, body: Value) -> Value {
    client
        .post(&format!("/v1/accounts/{account}/portal-sessions"), body)
        .expect(201)
        .body
}

/// The path of a minted link on this server (`/portal/…`), checking it is on `base`.
fn portal_path(link: &Value, base: &str) -> String {
    let url = link["url"].as_str().expect("a url");
    let path = url
        .strip_prefix(base)
        .unwrap_or_else(|| panic!("{url} is not on {base}"));
    assert!(path.starts_with("/portal/"), "{url}");
    path.to_string()
}

/// A visit as a browser makes it after the platform's redirect: a plain GET, no cookie.
fn visit(tally: &Tally, path: &str) -> Resp {
    tally.anonymous().raw("GET", path, b"", b"")
}

/// The session cookie a response sets (`name=value`), if any.
fn session_cookie(response: &Resp) -> Option<String> {
    response
        .headers
        .iter()
        .filter(|(name, _)| name == "set-cookie")
        .map(|(_, value)| value)
        .find(|value| value.starts_with("tally_session=") && !value.contains("Max-Age=0"))
        .map(|value| value.split(';').next().unwrap_or_default().to_string())
}

/// A request made with a session cookie and no key.
fn with_cookie(tally: &Tally, cookie: &str, method: &str, path: &str, body: &[u8]) -> Resp {
    let header = format!("Cookie: {cookie}\r\n");
    tally.anonymous().raw(method, path, header.as_bytes(), body)
}

/// How many portal links the database holds, and how many of them were used.
fn stored_links(tally: &Tally) -> (i64, i64) {
    let connection = rusqlite::Connection::open(tally.db()).expect("opening the database");
    connection
        .query_row(
            "SELECT COUNT(*), COUNT(used_at) FROM portal_links",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .expect("counting portal links")
}

#[test]
fn a_link_signs_its_account_in_once_and_sees_only_that_account() {
    let world = world();
    let tally = &world.tally;
    let acme = tally.client(&world.acme_key);
    let link = mint(&acme, "acme", json!({}));
    assert_eq!(link["object"], json!("portal_session"));
    assert_eq!(link["account_id"], json!("acme"));
    assert_eq!(link["expires_at"], json!(NOW_PLUS_DEFAULT_TTL));
    let path = portal_path(&link, tally.server().base());
    let token = path.trim_start_matches("/portal/").to_string();
    assert!(token.len() >= 43, "a long random token: {token}");
    assert_eq!(stored_links(tally), (1, 0));

    // A HEAD (a link checker) does not use the link.
    let head = tally.anonymous().raw("HEAD", &path, b"", b"");
    assert_eq!(head.status, 200);
    assert_eq!(session_cookie(&head), None);
    assert_eq!(stored_links(tally), (1, 0));

    let first = visit(tally, &path);
    assert_eq!(first.status, 303, "{}", first.text);
    assert_eq!(first.header("location"), Some("/"));
    let set_cookie = first.header("set-cookie").expect("a session cookie");
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    assert!(!set_cookie.contains("Secure"), "plain http: {set_cookie}");
    let cookie = session_cookie(&first).expect("a session cookie");
    assert_eq!(stored_links(tally), (1, 1));

    // The session sees acme's balance exactly as acme's key does.
    let by_key = acme.get("/v1/accounts/acme/balance").expect(200).body;
    let by_session = with_cookie(tally, &cookie, "GET", "/v1/accounts/acme/balance", b"");
    assert_eq!(by_session.status, 200, "{}", by_session.text);
    assert_eq!(by_session.body, by_key);
    assert_eq!(millis(&by_session.body["available"]), 123_500);
    let overview = with_cookie(tally, &cookie, "GET", "/", b"");
    assert_eq!(overview.status, 200, "{}", overview.text);
    assert!(
        overview.text.contains("123.5"),
        "the overview shows the balance"
    );
    assert!(!overview.text.contains("777.25"));

    // Nothing of globex, in the API or the dashboard; nothing admin-only either.
    for path in [
        "/v1/accounts/globex",
        "/v1/accounts/globex/balance",
        "/v1/accounts/globex/entries",
        "/?account=globex",
        "/ledger?account=globex",
        "/usage?account=globex",
    ] {
        let response = with_cookie(tally, &cookie, "GET", path, b"");
        assert_eq!(response.status, 404, "{path}: {}", response.text);
        assert!(!response.text.contains("777.25"), "{path}");
    }
    let accounts = with_cookie(tally, &cookie, "GET", "/v1/accounts", b"");
    assert_eq!(accounts.status, 403, "{}", accounts.text);
    // The dashboard's admin pages are "not found" for an account, as for its key.
    assert_eq!(
        with_cookie(tally, &cookie, "GET", "/admin", b"").status,
        404
    );
    // A write with the cookie alone (no CSRF token) counts for nothing.
    let charge = with_cookie(
        tally,
        &cookie,
        "POST",
        "/v1/accounts/acme/charges",
        br#"{"amount": 1}"#,
    );
    assert_eq!(charge.status, 401, "{}", charge.text);
    assert_eq!(
        millis(&acme.get("/v1/accounts/acme/balance").body["available"]),
        123_500
    );

    // Not a second time: the sign-in page says so, and no session starts.
    let second = visit(tally, &path);
    assert_eq!(second.status, 410, "{}", second.text);
    assert!(second.text.contains("used already"), "{}", second.text);
    assert!(second.text.contains("API key"), "the key sign-in stays");
    assert_eq!(session_cookie(&second), None);
    assert_eq!(stored_links(tally), (1, 1));

    // An unknown token, and one that is not even plausible, are refused alike.
    for path in [
        "/portal/abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrst",
        "/portal/%00x",
    ] {
        let response = visit(tally, path);
        assert_eq!(response.status, 410, "{path}: {}", response.text);
        assert!(response.text.contains("not valid"), "{}", response.text);
        assert_eq!(session_cookie(&response), None);
    }

    // The token never reaches the log; the visits are logged as /portal/….
    let log = std::fs::read_to_string(tally.dir().join("server.log")).expect("the log");
    assert!(!log.contains(&token), "the token is not logged");
    assert!(log.contains("/portal/…"), "the visits are logged, redacted");
}

#[test]
fn an_expired_link_signs_no_one_in() {
    let world = world();
    let tally = &world.tally;
    let admin = tally.admin();
    let link = mint(&admin, "acme", json!({"ttl_seconds": 60}));
    assert_eq!(link["expires_at"], json!(NOW_PLUS_ONE_MINUTE));
    let path = portal_path(&link, tally.server().base());
    admin
        .post("/v1/clock", json!({"advance_seconds": 60}))
        .expect(200);
    let response = visit(tally, &path);
    assert_eq!(response.status, 410, "{}", response.text);
    assert!(response.text.contains("expired"), "{}", response.text);
    assert_eq!(session_cookie(&response), None);
    assert_eq!(stored_links(tally), (1, 0), "an expired link stays unused");

    // A link one second from its end still works.
    let link = mint(&admin, "acme", json!({"ttl_seconds": 60}));
    admin
        .post("/v1/clock", json!({"advance_seconds": 59}))
        .expect(200);
    let response = visit(tally, &portal_path(&link, tally.server().base()));
    assert_eq!(response.status, 303, "{}", response.text);
    assert!(session_cookie(&response).is_some());
}

#[test]
fn visits_racing_for_one_link_start_exactly_one_session() {
    const VISITS: usize = 8;
    let world = world();
    let tally = &world.tally;
    let link = mint(&tally.client(&world.acme_key), "acme", json!({}));
    let path = portal_path(&link, tally.server().base());
    let start = Arc::new(Barrier::new(VISITS));
    let answers: Vec<(u16, Option<String>)> = std::thread::scope(|scope| {
        let visits: Vec<_> = (0..VISITS)
            .map(|_| {
                let (start, path) = (start.clone(), path.clone());
                scope.spawn(move || {
                    start.wait();
                    let response = visit(tally, &path);
                    (response.status, session_cookie(&response))
                })
            })
            .collect();
        visits
            .into_iter()
            .map(|visit| visit.join().expect("a visit"))
            .collect()
    });
    let signed_in: Vec<_> = answers
        .iter()
        .filter(|(status, _)| *status == 303)
        .collect();
    assert_eq!(signed_in.len(), 1, "{answers:?}");
    assert!(signed_in[0].1.is_some(), "the one sign-in has a session");
    for (status, cookie) in &answers {
        if *status != 303 {
            assert_eq!((*status, cookie), (410, &None), "{answers:?}");
        }
    }
    assert_eq!(stored_links(tally), (1, 1));
}

#[test]
fn only_the_admin_and_the_accounts_own_key_mint_links() {
    let world = world();
    let tally = &world.tally;
    let globex = tally.client(&world.globex_key);
    // Another account's key: 404, whether or not the account exists; nothing is stored.
    globex
        .post("/v1/accounts/acme/portal-sessions", json!({}))
        .problem(404, "not_found");
    globex
        .post("/v1/accounts/nobody/portal-sessions", json!({}))
        .problem(404, "not_found");
    tally
        .anonymous()
        .post("/v1/accounts/acme/portal-sessions", json!({}))
        .problem(401, "unauthorized");
    tally
        .admin()
        .post("/v1/accounts/nobody/portal-sessions", json!({}))
        .problem(404, "not_found");
    assert_eq!(stored_links(tally), (0, 0));

    // The admin may, and a return_url comes back with the link and onto the dashboard.
    let link = mint(
        &tally.admin(),
        "acme",
        json!({"return_url": "https://app.example.com/billing"}),
    );
    assert_eq!(link["return_url"], json!("https://app.example.com/billing"));
    let response = visit(tally, &portal_path(&link, tally.server().base()));
    let cookie = session_cookie(&response).expect("a session");
    let overview = with_cookie(tally, &cookie, "GET", "/", b"");
    assert!(
        overview
            .text
            .contains("href=\"https://app.example.com/billing\""),
        "a way back to the platform"
    );
}

#[test]
fn bad_bodies_are_refused_naming_the_field_and_change_nothing() {
    let world = world();
    let tally = &world.tally;
    let acme = tally.client(&world.acme_key);
    let path = "/v1/accounts/acme/portal-sessions";
    for (body, status, code, param) in [
        (
            json!({"ttl_seconds": 0}),
            422,
            "invalid_request",
            "ttl_seconds",
        ),
        (
            json!({"ttl_seconds": 3601}),
            422,
            "invalid_request",
            "ttl_seconds",
        ),
        (
            json!({"ttl_seconds": -5}),
            422,
            "invalid_request",
            "ttl_seconds",
        ),
        (
            json!({"ttl_seconds": 1.5}),
            422,
            "invalid_request",
            "ttl_seconds",
        ),
        (
            json!({"ttl_seconds": "x"}),
            400,
            "invalid_json",
            "ttl_seconds",
        ),
        (
            json!({"return_url": "javascript:alert(1)"}),
            422,
            "invalid_request",
            "return_url",
        ),
        (
            json!({"return_url": "/billing"}),
            422,
            "invalid_request",
            "return_url",
        ),
        (json!({"return_url": 7}), 400, "invalid_json", "return_url"),
        (json!({"ttl": 60}), 422, "invalid_request", "ttl"),
    ] {
        let response = acme.post(path, body.clone());
        let problem = response.problem(status, code);
        assert_eq!(problem["param"], json!(param), "{body}: {problem}");
    }
    assert_eq!(stored_links(tally), (0, 0));
    // The bounds themselves are fine.
    for ttl_seconds in [1, 3600] {
        mint(&acme, "acme", json!({"ttl_seconds": ttl_seconds}));
    }
    assert_eq!(stored_links(tally), (2, 0));
}

#[test]
fn links_are_made_on_the_public_url_and_its_https_makes_cookies_secure() {
    let world = world_with(ServeOptions {
        test_clock: true,
        public_url: Some("https://billing.example.com/".to_string()),
        ..ServeOptions::default()
    });
    let tally = &world.tally;
    let link = mint(&tally.client(&world.acme_key), "acme", json!({}));
    let url = link["url"].as_str().expect("a url");
    let path = url
        .strip_prefix("https://billing.example.com/portal/")
        .map(|token| format!("/portal/{token}"))
        .unwrap_or_else(|| panic!("{url} is on the public URL, without a double slash"));
    let response = visit(tally, &path);
    assert_eq!(response.status, 303, "{}", response.text);
    let set_cookie = response.header("set-cookie").expect("a cookie");
    assert!(set_cookie.ends_with("; Secure"), "{set_cookie}");
}

#[test]
fn a_public_url_that_is_not_a_web_url_stops_the_server_at_start() {
    let dir = TempDir::new("public-url");
    let output = std::process::Command::new(tally_bin())
        .arg("serve")
        .arg("--db")
        .arg(dir.path().join("tally.db"))
        .arg("--listen")
        .arg("127.0.0.1:0")
        .arg("--public-url")
        .arg("billing.example.com")
        .env_remove("TALLY_PUBLIC_URL")
        .output()
        .expect("running tally serve");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--public-url"), "{stderr}");
}
