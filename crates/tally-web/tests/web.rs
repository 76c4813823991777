//! The dashboard in process: sessions stand for the key that signed in (and die with it), the
//! JSON API takes the session cookie only with its CSRF token on writes, forms need their
//! token and buy once on a double submit, pages escape what accounts are named, and the CSV
//! export streams every entry across store pages. (The browser tests in tests/browser drive
//! the same pages in Chromium.)

use std::path::PathBuf;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use serde_json::{Value, json};
use tally_server::{ServeConfig, Server};

/// The SQLite store in `dir` (created on first use).
fn sqlite(dir: &std::path::Path) -> std::sync::Arc<dyn tally_store::Store> {
    std::sync::Arc::new(tally_sqlite::SqliteStore::open(dir.join("tally.db")).unwrap())
}
use tower::ServiceExt;

const ADMIN_KEY: &str = "admin-key-for-web-tests";

struct Web {
    server: Option<Server>,
    router: Router,
    dir: PathBuf,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// The value a `Set-Cookie` header gives `name`.
    fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find_map(|value| {
                let (pair, _) = value.split_once(';')?;
                let (key, value) = pair.split_once('=')?;
                (key == name).then(|| value.to_string())
            })
    }

    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
    }
}

/// The text between `before` and the next `"` in `html`.
fn attribute_after(html: &str, before: &str) -> String {
    let start = html
        .find(before)
        .unwrap_or_else(|| panic!("{before} in {html}"))
        + before.len();
    html[start..].split('"').next().unwrap().to_string()
}

impl Web {
    fn start() -> Web {
        let dir = std::env::temp_dir().join(format!(
            "tally-web-test-{}",
            tally_server::auth::random_token(8)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let config = ServeConfig {
            admin_key: Some(ADMIN_KEY.to_string()),
            test_clock: true,
            ..ServeConfig::default()
        };
        let server = Server::start(sqlite(&dir), &config).unwrap();
        let router = tally_web::app(server.state.clone());
        Web {
            server: Some(server),
            router,
            dir,
        }
    }

    async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        Answer {
            status,
            headers,
            body: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    /// A JSON API call with a key.
    async fn api(&self, method: &str, path: &str, key: &str, body: Option<Value>) -> Answer {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {key}"))
            .body(body.map_or_else(Body::empty, |body| Body::from(body.to_string())))
            .unwrap();
        self.send(request).await
    }

    async fn admin(&self, method: &str, path: &str, body: Value) -> Value {
        let answer = self.api(method, path, ADMIN_KEY, Some(body)).await;
        assert!(
            answer.status.is_success(),
            "{method} {path}: {}",
            answer.body
        );
        answer.json()
    }

    /// A request with a session cookie (and headers), body as a form or JSON.
    async fn with_session(
        &self,
        method: &str,
        path: &str,
        session: &str,
        extra: &[(&str, &str)],
        body: Option<String>,
    ) -> Answer {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::COOKIE, format!("tally_session={session}"));
        for (name, value) in extra {
            request = request.header(*name, *value);
        }
        self.send(
            request
                .body(body.map_or_else(Body::empty, Body::from))
                .unwrap(),
        )
        .await
    }

    /// Signs in through the form; the session cookie and the session's CSRF token.
    async fn sign_in(&self, key: &str) -> (String, String) {
        self.sign_in_at(key, "/packs").await
    }

    /// Signs in, then reads the CSRF token from `page`.
    async fn sign_in_at(&self, key: &str, page: &str) -> (String, String) {
        let form = self
            .send(Request::get("/sign-in").body(Body::empty()).unwrap())
            .await;
        assert_eq!(form.status, StatusCode::OK);
        let sign_in_cookie = form.cookie("tally_sign_in").unwrap();
        let token = attribute_after(&form.body, "name=\"csrf\" value=\"");
        let body = format!("key={key}&csrf={token}");
        let answer = self
            .send(
                Request::post("/sign-in")
                    .header(header::COOKIE, format!("tally_sign_in={sign_in_cookie}"))
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        let session = answer.cookie("tally_session").expect("a session cookie");
        let set = answer
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|value| value.to_str().unwrap().to_string())
            .find(|value| value.starts_with("tally_session="))
            .unwrap();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Strict"),
            "{set}"
        );
        let page = self.with_session("GET", page, &session, &[], None).await;
        let csrf = attribute_after(&page.body, "<meta name=\"csrf-token\" content=\"");
        (session, csrf)
    }

    async fn form(&self, path: &str, session: &str, fields: &[(&str, &str)]) -> Answer {
        let body = fields
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("&");
        self.with_session(
            "POST",
            path,
            session,
            &[("content-type", "application/x-www-form-urlencoded")],
            Some(body),
        )
        .await
    }
}

impl Drop for Web {
    fn drop(&mut self) {
        self.router = Router::new();
        if let Some(server) = self.server.take() {
            server.stop();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn account_with_key(web: &Web, id: &str, name: &str, credits: &str) -> (String, String) {
    web.admin("POST", "/v1/accounts", json!({"id": id, "name": name}))
        .await;
    let amount: Value = serde_json::from_str(credits).unwrap();
    web.admin(
        "POST",
        &format!("/v1/accounts/{id}/grants"),
        json!({"amount": amount}),
    )
    .await;
    let key = web
        .admin("POST", &format!("/v1/accounts/{id}/keys"), json!({}))
        .await;
    (
        key["key"].as_str().unwrap().to_string(),
        key["id"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn a_session_is_the_key_that_signed_in_and_dies_with_it() {
    let web = Web::start();
    let (key, key_id) =
        account_with_key(&web, "a", "<script>alert(1)</script> & Co", "1234567.5").await;
    account_with_key(&web, "b", "Bee", "5").await;

    // Signed out: pages lead to the sign-in form; a wrong key starts no session.
    let page = web
        .send(Request::get("/ledger").body(Body::empty()).unwrap())
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/sign-in");

    let (session, csrf) = web.sign_in(&key).await;
    let overview = web.with_session("GET", "/", &session, &[], None).await;
    assert_eq!(overview.status, StatusCode::OK);
    assert!(overview.body.contains("1,234,567.5"), "{}", overview.body);
    assert!(
        overview
            .body
            .contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co")
    );
    assert!(!overview.body.contains("<script>alert"));
    let policy = overview.headers["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert_eq!(overview.headers["cache-control"], "no-store");

    // Another account's pages: not found, nothing shown.
    for path in [
        "/?account=b",
        "/ledger?account=b",
        "/ledger.csv?account=b",
        "/admin",
    ] {
        let answer = web.with_session("GET", path, &session, &[], None).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!answer.body.contains("Bee"), "{path}");
    }

    // The JSON API takes the cookie as the key: reads as is, writes only with the CSRF token.
    let balance = web
        .with_session("GET", "/v1/accounts/a/balance", &session, &[], None)
        .await;
    assert_eq!(balance.status, StatusCode::OK);
    let other = web
        .with_session("GET", "/v1/accounts/b/balance", &session, &[], None)
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    let charge = json!({"amount": 1}).to_string();
    let forged = web
        .with_session(
            "POST",
            "/v1/accounts/a/charges",
            &session,
            &[("content-type", "application/json")],
            Some(charge.clone()),
        )
        .await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    let wrong = web
        .with_session(
            "POST",
            "/v1/accounts/a/charges",
            &session,
            &[("x-csrf-token", "not-the-token")],
            Some(charge.clone()),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let charged = web
        .with_session(
            "POST",
            "/v1/accounts/a/charges",
            &session,
            &[("x-csrf-token", &csrf)],
            Some(charge),
        )
        .await;
    assert_eq!(charged.status, StatusCode::CREATED, "{}", charged.body);

    // Revoking the key ends its session at once.
    web.api("DELETE", &format!("/v1/keys/{key_id}"), ADMIN_KEY, None)
        .await;
    let after = web.with_session("GET", "/", &session, &[], None).await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert_eq!(after.location(), "/sign-in");
    let api = web
        .with_session("GET", "/v1/accounts/a/balance", &session, &[], None)
        .await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn forms_need_their_token_and_a_double_submit_buys_once_and_only_payment_grants() {
    let web = Web::start();
    let (key, _) = account_with_key(&web, "a", "A", "10").await;
    let (session, csrf) = web.sign_in(&key).await;

    let no_token = web
        .form(
            "/packs/buy",
            &session,
            &[("pack", "pack_10k"), ("idempotency", "t1")],
        )
        .await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    let no_idempotency = web
        .form(
            "/packs/buy",
            &session,
            &[("csrf", &csrf), ("pack", "pack_10k")],
        )
        .await;
    assert_eq!(no_idempotency.status, StatusCode::FORBIDDEN);
    for _ in 0..2 {
        let bought = web
            .form(
                "/packs/buy",
                &session,
                &[
                    ("csrf", &csrf),
                    ("pack", "pack_10k"),
                    ("idempotency", "form1"),
                ],
            )
            .await;
        assert_eq!(bought.status, StatusCode::SEE_OTHER, "{}", bought.body);
        assert_eq!(bought.location(), "/packs");
    }
    let purchases = web
        .api("GET", "/v1/accounts/a/purchases", &key, None)
        .await
        .json();
    let purchases = purchases["data"].as_array().unwrap().clone();
    assert_eq!(purchases.len(), 1);
    assert_eq!(purchases[0]["status"], "pending");
    assert_eq!(purchases[0]["grant"], Value::Null);
    // Buying from the dashboard grants nothing until the payment is recorded.
    let balance = web
        .api("GET", "/v1/accounts/a/balance", &key, None)
        .await
        .json();
    assert_eq!(balance["available"].to_string(), "10");
    let packs_page = web.with_session("GET", "/packs", &session, &[], None).await;
    assert!(
        packs_page.body.contains("awaiting payment"),
        "{}",
        packs_page.body
    );
    assert!(packs_page.body.contains("data-testid=\"pending-purchase\""));
    let overview = web.with_session("GET", "/", &session, &[], None).await;
    assert!(
        overview
            .body
            .contains("<b>Awaiting payment:</b> 1 purchase for 10,000 credits"),
        "{}",
        overview.body
    );
    // The account's own key cannot record the payment.
    let purchase_id = purchases[0]["id"].as_str().unwrap().to_string();
    let complete_path = format!("/v1/purchases/{purchase_id}/complete");
    let refused = web.api("POST", &complete_path, &key, Some(json!({}))).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let completed = web
        .api("POST", &complete_path, ADMIN_KEY, Some(json!({})))
        .await;
    assert_eq!(completed.status, StatusCode::OK);
    let again = web
        .api("POST", &complete_path, ADMIN_KEY, Some(json!({})))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.json()["code"], "purchase_not_pending");
    let balance = web
        .api("GET", "/v1/accounts/a/balance", &key, None)
        .await
        .json();
    assert_eq!(balance["available"].to_string(), "10010");

    // Sign out needs the token too, then the session is gone.
    let refused = web.form("/sign-out", &session, &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let out = web.form("/sign-out", &session, &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.cookie("tally_session").as_deref(), Some(""));
    let gone = web.with_session("GET", "/", &session, &[], None).await;
    assert_eq!(gone.location(), "/sign-in");
}

#[tokio::test]
async fn the_csv_export_streams_every_entry_across_store_pages() {
    let web = Web::start();
    let (key, _) = account_with_key(&web, "a", "A", "100000").await;
    let charges = (0..1100).map(|index| {
        let body =
            json!({"amount": 1.25, "product": if index % 2 == 0 { "=chat" } else { "studio" }});
        web.api("POST", "/v1/accounts/a/charges", &key, Some(body))
    });
    for answer in futures_util::future::join_all(charges).await {
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    }
    let (session, _) = web.sign_in(&key).await;
    let csv = web
        .with_session("GET", "/ledger.csv", &session, &[], None)
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let lines: Vec<&str> = csv
        .body
        .split("\r\n")
        .filter(|line| !line.is_empty())
        .collect();
    assert!(lines[0].starts_with("id,created_at,type,amount,held,product"));
    assert_eq!(lines.len(), 1 + 1101, "a header and every entry");
    // Newest first, as the API lists them; amounts in credits from their exact text.
    let newest = web
        .api("GET", "/v1/accounts/a/entries?limit=1", &key, None)
        .await
        .json();
    assert!(lines[1].starts_with(newest["data"][0]["id"].as_str().unwrap()));
    assert!(lines[1].contains(",charge,-1.25,0,"), "{}", lines[1]);
    assert!(lines.last().unwrap().contains(",grant,100000,0,"));
    // A product that looks like a formula is neutralised; filtered exports hold only matches.
    assert!(csv.body.contains(",\"'=chat\","));
    let filtered = web
        .with_session("GET", "/ledger.csv?type=grant", &session, &[], None)
        .await;
    assert_eq!(
        filtered
            .body
            .split("\r\n")
            .filter(|l| !l.is_empty())
            .count(),
        2
    );
}

#[tokio::test]
async fn low_balance_shows_a_banner_and_the_chart_escapes_product_names() {
    let web = Web::start();
    let (key, _) = account_with_key(&web, "a", "A", "1").await;
    web.admin(
        "PUT",
        "/v1/accounts/a/subscription",
        json!({"plan": "starter"}),
    )
    .await;
    let (session, _) = web.sign_in(&key).await;
    let overview = web.with_session("GET", "/", &session, &[], None).await;
    assert!(!overview.body.contains("data-testid=\"low-balance\""));

    // 5,001 credits, 4,600.5 spent: 400.5 left, under 10 % of the 5,000 allowance.
    let charge = json!({"amount": 4600.5, "product": "<b>studio</b>", "member": "ada"});
    let answer = web
        .api("POST", "/v1/accounts/a/charges", &key, Some(charge))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    let overview = web.with_session("GET", "/", &session, &[], None).await;
    assert!(overview.body.contains("data-testid=\"low-balance\""));
    assert!(overview.body.contains("400.5"), "{}", overview.body);

    let usage = web.with_session("GET", "/usage", &session, &[], None).await;
    assert_eq!(usage.status, StatusCode::OK);
    let start = usage.body.find("<svg").unwrap();
    let svg = &usage.body[start..usage.body[start..].find("</svg>").unwrap() + start];
    assert!(svg.contains("data-testid=\"usage-chart\""));
    assert!(svg.contains("&lt;b&gt;studio&lt;/b&gt;"), "{svg}");
    assert!(!svg.contains("<b>studio"));
    assert!(svg.contains("4,600.5 credits"), "{svg}");
    assert!(usage.body.contains("data-testid=\"usage-by-member\""));
}

#[tokio::test]
async fn the_dashboard_writes_through_the_api_with_its_checks_and_its_request_hash() {
    let web = Web::start();
    account_with_key(&web, "b", "B", "1").await;
    let (session, csrf) = web.sign_in_at(ADMIN_KEY, "/admin").await;

    // A bad amount is refused by the API's own check, in the API's words; nothing is granted.
    let refused = web
        .form(
            "/admin/grants",
            &session,
            &[
                ("csrf", &csrf),
                ("grant_account", "b"),
                ("amount", "-5"),
                ("source", "promo"),
                ("idempotency", "g1"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER, "{}", refused.body);
    let page = web.with_session("GET", "/admin", &session, &[], None).await;
    let from_api = web
        .api(
            "POST",
            "/v1/accounts/b/grants",
            ADMIN_KEY,
            Some(json!({"amount": -5, "source": "promo"})),
        )
        .await;
    assert_eq!(from_api.status, StatusCode::UNPROCESSABLE_ENTITY);
    let detail = from_api.json()["detail"].as_str().unwrap().to_string();
    assert!(!detail.contains(['&', '<', '>', '"', '\'']), "{detail}");
    assert!(
        page.body
            .contains(&format!("The grant was not made: {detail}")),
        "{}",
        page.body
    );

    // The same form sent twice grants once.
    for _ in 0..2 {
        let granted = web
            .form(
                "/admin/grants",
                &session,
                &[
                    ("csrf", &csrf),
                    ("grant_account", "b"),
                    ("amount", "2.5"),
                    ("source", "promo"),
                    ("idempotency", "g2"),
                ],
            )
            .await;
        assert_eq!(granted.status, StatusCode::SEE_OTHER, "{}", granted.body);
    }
    let grants = web
        .api("GET", "/v1/accounts/b/grants", ADMIN_KEY, None)
        .await
        .json();
    assert_eq!(grants["data"].as_array().unwrap().len(), 2, "{grants}");

    // The form's write was an API request like any other: the same key and body from an API
    // client replay its answer (one request hash), and another body is a conflict.
    let replay = |body: Value| {
        Request::post("/v1/accounts/b/grants")
            .header("authorization", format!("Bearer {ADMIN_KEY}"))
            .header("idempotency-key", "dashboard:g2")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let replayed = web
        .send(replay(json!({"amount": 2.5, "source": "promo"})))
        .await;
    assert_eq!(replayed.status, StatusCode::CREATED, "{}", replayed.body);
    assert_eq!(replayed.headers.get("idempotent-replayed").unwrap(), "true");
    let granted_by_form: Vec<&Value> = grants["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|grant| grant["amount"] == json!(2.5))
        .collect();
    assert_eq!(granted_by_form.len(), 1, "{grants}");
    assert_eq!(replayed.json()["id"], granted_by_form[0]["id"]);
    let conflict = web
        .send(replay(json!({"amount": 3, "source": "promo"})))
        .await;
    assert_eq!(conflict.status, StatusCode::CONFLICT, "{}", conflict.body);
}

#[tokio::test]
async fn an_admin_sees_the_accounts_auto_top_up_and_an_account_key_does_not() {
    let web = Web::start();
    let (key, _) = account_with_key(&web, "t", "T", "10").await;
    let (admin_session, _) = web.sign_in_at(ADMIN_KEY, "/admin").await;
    let unset = web
        .with_session("GET", "/packs?account=t", &admin_session, &[], None)
        .await;
    assert!(
        unset.body.contains("data-testid=\"auto-topup\">Not set"),
        "{}",
        unset.body
    );
    let set = web
        .api(
            "PUT",
            "/v1/accounts/t/auto-topup",
            ADMIN_KEY,
            Some(json!({"pack": "pack_10k", "threshold": 5, "monthly_max": 3})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK);
    let page = web
        .with_session("GET", "/packs?account=t", &admin_session, &[], None)
        .await;
    assert!(
        page.body
            .contains("Buys <b>pack_10k</b> when fewer than <b>5</b>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("0 of 3 this month"), "{}", page.body);
    let (session, _) = web.sign_in(&key).await;
    let own = web.with_session("GET", "/packs", &session, &[], None).await;
    assert!(
        !own.body.contains("data-testid=\"auto-topup\""),
        "{}",
        own.body
    );
}

#[tokio::test]
async fn the_admin_page_lists_purchases_awaiting_payment_with_their_account() {
    let web = Web::start();
    let (key, _) = account_with_key(&web, "p", "P", "1").await;
    let opened = web
        .api(
            "POST",
            "/v1/accounts/p/purchases",
            &key,
            Some(json!({"pack": "pack_10k"})),
        )
        .await;
    assert_eq!(opened.status, StatusCode::CREATED);
    let id = opened.json()["id"].as_str().unwrap().to_string();
    let (session, _) = web.sign_in_at(ADMIN_KEY, "/admin").await;
    let page = web.with_session("GET", "/admin", &session, &[], None).await;
    assert!(
        page.body
            .contains("data-testid=\"pending-purchase\"><td>p</td>"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(&format!("data-testid=\"purchase-complete-{id}\"")),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn the_overview_shows_the_spend_limits_with_used_and_remaining() {
    let web = Web::start();
    let (key, _) = account_with_key(&web, "lim", "Limited", "100").await;
    let (session, _) = web.sign_in(&key).await;
    let overview = web.with_session("GET", "/", &session, &[], None).await;
    assert!(
        !overview.body.contains("data-testid=\"limits\""),
        "no limits, no table"
    );
    web.admin(
        "PUT",
        "/v1/accounts/lim/limits",
        json!({"limits": [
            {"scope": "member", "match": "*", "window": "day", "max": 20},
            {"scope": "product", "match": "<i>video</i>", "window": "total", "max": 50}
        ]}),
    )
    .await;
    let charge = json!({"amount": 12.5, "member": "ada", "product": "<i>video</i>"});
    let answer = web
        .api("POST", "/v1/accounts/lim/charges", &key, Some(charge))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    let overview = web.with_session("GET", "/", &session, &[], None).await;
    let body = &overview.body;
    let start = body
        .find("data-testid=\"limits\"")
        .expect("the limits section");
    let section = &body[start..start + body[start..].find("</section>").unwrap()];
    assert!(section.contains("<caption>"), "{section}");
    assert!(
        section.contains("<th scope=\"col\">Remaining</th>"),
        "{section}"
    );
    assert!(section.contains("Each member"), "{section}");
    // ada's own row: 12.5 used of 20, 7.5 left.
    assert!(section.contains("Member ada"), "{section}");
    assert!(
        section.contains(">12.5<") && section.contains(">7.5<"),
        "{section}"
    );
    // The product's name is escaped; its total window never resets.
    assert!(
        section.contains("Product &lt;i&gt;video&lt;/i&gt;"),
        "{section}"
    );
    assert!(!section.contains("<i>video"), "{section}");
    assert!(
        section.contains(">37.5<") && section.contains("Never"),
        "{section}"
    );
}
