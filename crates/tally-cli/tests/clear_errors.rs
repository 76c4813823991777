//! End to end: the errors a new user meets say what is wrong and name the field, each in its
//! own words (unknown model, unknown field, wrong JSON type against a wrong value, a method a
//! path does not take, a path that is no route), every problem's `type` is the documented
//! one, and a refused request changes nothing. Also the charge and hold lists of an account.

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::{Value, json};

const ACCOUNT: &str = "newuser";

struct Fixture {
    t: Tally,
    admin: Client,
}

impl Fixture {
    fn new() -> Self {
        let t = Tally::start();
        let admin = t.admin();
        create_account(&admin, ACCOUNT);
        grant(&admin, ACCOUNT, json!(1000), json!({}));
        Fixture { t, admin }
    }

    /// Sends a bad request; asserts the problem, its `param`, and that nothing changed.
    #[track_caller]
    fn refused(
        &self,
        status: u16,
        code: &str,
        param: Option<&str>,
        send: impl FnOnce() -> Resp,
    ) -> Value {
        let before = snapshot(&self.admin, ACCOUNT);
        let response = send();
        let problem = response.problem(status, code).clone();
        assert_eq!(
            problem.get("param"),
            param.map(|param| json!(param)).as_ref(),
            "{} {}: {}",
            response.method,
            response.path,
            response.text
        );
        assert_documented_type(&problem);
        let detail = problem["detail"].as_str().unwrap();
        assert!(
            !detail.contains("pricing:"),
            "an internal prefix leaks: {detail}"
        );
        assert_eq!(
            snapshot(&self.admin, ACCOUNT),
            before,
            "{} changed the ledger",
            response.path
        );
        problem
    }
}

fn docs_errors() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/errors.md"))
        .expect("docs/errors.md")
}

/// The problem's `type` is `/errors/<code>`, and docs/errors.md has that section.
#[track_caller]
fn assert_documented_type(problem: &Value) {
    let code = problem["code"].as_str().unwrap();
    assert_eq!(
        problem["type"],
        json!(format!("/errors/{code}")),
        "{problem}"
    );
    assert!(
        docs_errors()
            .lines()
            .any(|line| line == format!("## {code}")),
        "docs/errors.md has no section `## {code}`"
    );
}

#[test]
fn an_unknown_model_is_named_with_where_the_models_are_listed() {
    let f = Fixture::new();
    let charges = format!("/v1/accounts/{ACCOUNT}/charges");
    // No output tokens either: the model is what is reported.
    let usage = json!({"action": "chat", "model": "gpt-9-turbo", "input_tokens": 100});
    for (path, body) in [
        ("/v1/quotes", json!({"usage": usage})),
        (charges.as_str(), json!({"usage": usage})),
        (
            &format!("/v1/accounts/{ACCOUNT}/holds"),
            json!({"usage": usage}),
        ),
    ] {
        let problem = f.refused(422, "unknown_model", Some("usage.model"), || {
            f.admin.post(path, body.clone())
        });
        let detail = problem["detail"].as_str().unwrap();
        assert!(
            detail.contains("`gpt-9-turbo`") && detail.contains("`chat`"),
            "{detail}"
        );
        assert!(detail.contains("GET /v1/rate-card"), "{detail}");
    }
    // A model the card prices under another action is still unknown for this one.
    let problem = f.refused(422, "unknown_model", Some("usage.model"), || {
        f.admin.post(
            "/v1/quotes",
            json!({"usage": {"action": "embedding", "model": "gpt-4o", "input_tokens": 5}}),
        )
    });
    assert!(
        problem["detail"].as_str().unwrap().contains("`embedding`"),
        "{problem}"
    );
    f.t.verify();
}

#[test]
fn an_unknown_field_is_named_before_what_it_causes() {
    let f = Fixture::new();
    let hold_id = hold(&f.admin, ACCOUNT, json!(10)).expect(201).id();
    let cases = [
        (
            format!("/v1/accounts/{ACCOUNT}/charges"),
            json!({"amout": 3}),
            "amout",
            "`amount`",
        ),
        (
            format!("/v1/accounts/{ACCOUNT}/holds"),
            json!({"amout": 3}),
            "amout",
            "`ttl_seconds`",
        ),
        (
            format!("/v1/accounts/{ACCOUNT}/grants"),
            json!({"amount": 5, "sorce": "promo"}),
            "sorce",
            "`source`",
        ),
        (
            format!("/v1/holds/{hold_id}/capture"),
            json!({"amout": 1}),
            "amout",
            "`amount`",
        ),
        (
            "/v1/accounts".to_string(),
            json!({"nmae": "x"}),
            "nmae",
            "`name`",
        ),
        (
            "/v1/quotes".to_string(),
            json!({"usgae": {}}),
            "usgae",
            "`usage`",
        ),
    ];
    for (path, body, field, accepted) in cases {
        let problem = f.refused(422, "invalid_request", Some(field), || {
            f.admin.post(&path, body.clone())
        });
        let detail = problem["detail"].as_str().unwrap();
        assert!(
            detail.starts_with(&format!("unknown field `{field}`")),
            "{path}: {detail}"
        );
        assert!(
            detail.contains(accepted),
            "{path}: the accepted fields are listed: {detail}"
        );
    }
    // Inside the usage object too, named from the root.
    let problem = f.refused(422, "invalid_request", Some("usage.inptu_tokens"), || {
        f.admin.post(
            "/v1/quotes",
            json!({"usage": {"action": "chat", "model": "gpt-4o", "inptu_tokens": 5, "output_tokens": 1}}),
        )
    });
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("`usage.inptu_tokens`"),
        "{problem}"
    );
    f.t.verify();
}

#[test]
fn a_wrong_json_type_is_400_and_a_wrong_number_422_each_in_its_own_words() {
    let f = Fixture::new();
    let chat = |input_tokens: Value| json!({"usage": {"action": "chat", "model": "gpt-4o", "input_tokens": input_tokens, "output_tokens": 5}});
    let holds = format!("/v1/accounts/{ACCOUNT}/holds");
    let cases: Vec<(&str, Value, Value, &str)> = vec![
        (
            "/v1/quotes",
            chat(json!("100")),
            chat(num("100.5")),
            "usage.input_tokens",
        ),
        (
            "/v1/quotes",
            chat(json!([100])),
            chat(json!(-100)),
            "usage.input_tokens",
        ),
        (
            &holds,
            json!({"amount": 5, "ttl_seconds": "60"}),
            json!({"amount": 5, "ttl_seconds": num("60.5")}),
            "ttl_seconds",
        ),
        (
            &holds,
            json!({"usage": {"action": "image", "model": "nano-banana-2", "width": "1024", "height": 1024}}),
            json!({"usage": {"action": "image", "model": "nano-banana-2", "width": num("1024.5"), "height": 1024}}),
            "usage.width",
        ),
    ];
    for (path, wrong_type, wrong_value, param) in cases {
        let typed = f.refused(400, "invalid_json", Some(param), || {
            f.admin.post(path, wrong_type.clone())
        });
        let valued = f.refused(422, "invalid_request", Some(param), || {
            f.admin.post(path, wrong_value.clone())
        });
        let (typed, valued) = (
            typed["detail"].as_str().unwrap(),
            valued["detail"].as_str().unwrap(),
        );
        assert!(
            typed.contains(&format!("`{param}`")) && typed.contains("JSON"),
            "{typed}"
        );
        assert!(valued.contains(&format!("`{param}`")), "{valued}");
        assert_ne!(typed, valued, "a wrong type and a wrong value read alike");
    }
    f.t.verify();
}

#[test]
fn an_image_beyond_the_largest_size_names_that_size() {
    let f = Fixture::new();
    let usage = |width: u64, height: u64| json!({"usage": {"action": "image", "model": "nano-banana-2", "width": width, "height": height}});
    let problem = f.refused(422, "invalid_request", Some("usage.width"), || {
        f.admin.post("/v1/quotes", usage(6336, 2700))
    });
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("up to 17031168 pixels"),
        "{problem}"
    );
    // 4K is priced, and costs more than a thumbnail.
    let four_k = f
        .admin
        .post("/v1/quotes", usage(3840, 2160))
        .expect(200)
        .body;
    let thumbnail = f.admin.post("/v1/quotes", usage(256, 256)).expect(200).body;
    assert!(millis(&four_k["cost"]["max"]) > millis(&thumbnail["cost"]["max"]));
}

#[test]
fn a_method_a_path_does_not_take_is_a_405_problem_and_an_unknown_path_a_404() {
    let f = Fixture::new();
    let cases = [
        (
            "DELETE",
            format!("/v1/accounts/{ACCOUNT}/balance"),
            vec!["GET"],
        ),
        ("PATCH", "/v1/accounts".to_string(), vec!["GET", "POST"]),
        (
            "PUT",
            format!("/v1/accounts/{ACCOUNT}/charges"),
            vec!["GET", "POST"],
        ),
        ("POST", "/v1/rate-card".to_string(), vec!["GET", "PUT"]),
    ];
    for (method, path, allowed) in cases {
        let response = f.admin.raw(method, &path, b"", b"{}");
        let problem = response.problem(405, "method_not_allowed").clone();
        assert_documented_type(&problem);
        let allow = response
            .header("allow")
            .unwrap_or_else(|| panic!("{method} {path}: no Allow"));
        let allow: BTreeSet<&str> = allow.split(',').map(str::trim).collect();
        let detail = problem["detail"].as_str().unwrap();
        for method in &allowed {
            assert!(allow.contains(method), "{path}: Allow {allow:?}");
            assert!(detail.contains(method), "{path}: {detail}");
        }
    }
    for path in ["/v1/nope", "/v1/accounts/x/y/z"] {
        let problem = f.admin.get(path).problem(404, "not_found").clone();
        assert_documented_type(&problem);
    }
    // Without a key: still a problem document.
    let problem =
        f.t.anonymous()
            .get("/v1/accounts")
            .problem(401, "unauthorized")
            .clone();
    assert_documented_type(&problem);
}

/// Every code in error.rs's table has a section in docs/errors.md.
#[test]
fn every_code_has_a_section_in_the_docs() {
    let table = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tally-server/src/error.rs"
    ))
    .unwrap();
    let docs = docs_errors();
    let mut codes = 0;
    for line in table.lines().filter(|line| line.contains("=> (S::")) {
        let code = line.split('"').nth(1).unwrap();
        assert!(
            docs.lines().any(|l| l == format!("## {code}")),
            "docs/errors.md lacks `{code}`"
        );
        codes += 1;
    }
    assert!(codes >= 15, "only {codes} codes read from error.rs");
}

fn ids(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn charges_and_holds_are_lists_and_pending_holds_survive_a_restart() {
    let mut f = Fixture::new();
    let charges: Vec<String> = (1..=3)
        .map(|amount| charge(&f.admin, ACCOUNT, json!(amount)).expect(201).id())
        .collect();
    let holds: Vec<String> = (1..=4)
        .map(|amount| hold(&f.admin, ACCOUNT, json!(amount)).expect(201).id())
        .collect();
    f.admin
        .post(&format!("/v1/holds/{}/capture", holds[0]), json!({}))
        .expect(200);
    f.admin
        .post_empty(&format!("/v1/holds/{}/void", holds[2]))
        .expect(200);
    // Another account's charge and hold never show.
    create_account(&f.admin, "other");
    grant(&f.admin, "other", json!(10), json!({}));
    charge(&f.admin, "other", json!(1)).expect(201);
    hold(&f.admin, "other", json!(1)).expect(201);

    let newest_first = |mut ids: Vec<String>| {
        ids.reverse();
        ids
    };
    let list = format!("/v1/accounts/{ACCOUNT}/charges");
    let page = f.admin.get(&list).expect(200).body;
    assert_eq!(ids(&page), newest_first(charges.clone()));
    assert_eq!(page["has_more"], json!(false));
    assert_eq!(page["data"][0]["amount"], json!(3));
    // Pages: limit and starting_after.
    let first = f.admin.get(&format!("{list}?limit=2")).expect(200).body;
    assert_eq!(ids(&first), vec![charges[2].clone(), charges[1].clone()]);
    assert_eq!(first["has_more"], json!(true));
    let rest = f
        .admin
        .get(&format!("{list}?limit=2&starting_after={}", charges[1]))
        .expect(200)
        .body;
    assert_eq!(
        (ids(&rest), rest["has_more"].clone()),
        (vec![charges[0].clone()], json!(false))
    );

    let holds_list = format!("/v1/accounts/{ACCOUNT}/holds");
    assert_eq!(
        ids(&f.admin.get(&holds_list).expect(200).body),
        newest_first(holds.clone())
    );
    let pending = vec![holds[3].clone(), holds[1].clone()];
    let pending_path = format!("{holds_list}?status=pending");
    assert_eq!(ids(&f.admin.get(&pending_path).expect(200).body), pending);
    let captured = f
        .admin
        .get(&format!("{holds_list}?status=captured"))
        .expect(200)
        .body;
    assert_eq!(ids(&captured), vec![holds[0].clone()]);
    assert_eq!(captured["data"][0]["status"], json!("captured"));

    // The account's own key sees its lists; another account's key does not (404).
    let (_, own) = account_key(&f.admin, ACCOUNT);
    let (_, other) = account_key(&f.admin, "other");
    assert_eq!(
        ids(&f.t.client(&own).get(&pending_path).expect(200).body),
        pending
    );
    f.t.client(&other)
        .get(&pending_path)
        .problem(404, "not_found");
    f.t.client(&other).get(&list).problem(404, "not_found");
    f.admin
        .get("/v1/accounts/nobody/holds")
        .problem(404, "not_found");

    // Bad query parameters name themselves.
    for (path, param) in [
        (format!("{holds_list}?status=open"), "status"),
        (format!("{holds_list}?limit=0"), "limit"),
        (format!("{list}?status=pending"), "status"),
        (format!("{list}?starting_after=chg_nope"), "starting_after"),
    ] {
        let response = f.admin.get(&path);
        let problem = response.problem(422, "invalid_request");
        assert_eq!(problem["param"], json!(param), "{path}: {}", response.text);
    }

    // A backend that restarts finds its pending holds again.
    f.t.restart();
    let admin = f.t.admin();
    assert_eq!(ids(&admin.get(&pending_path).expect(200).body), pending);
    f.t.verify();
}

#[test]
fn a_problem_type_is_a_page_on_the_server_that_says_what_the_code_means() {
    let f = Fixture::new();
    let refused = f.admin.post(
        &format!("/v1/accounts/{ACCOUNT}/charges"),
        json!({"amount": 5000}),
    );
    let problem = refused.problem(402, "insufficient_credits").clone();
    let anonymous = f.t.anonymous();
    let page = anonymous
        .get(problem["type"].as_str().expect("a type"))
        .expect(200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let html = page.text.clone();
    assert!(
        html.contains("<h1><code>insufficient_credits</code></h1>"),
        "{html}"
    );
    assert!(
        html.contains("Spendable credits are fewer than required"),
        "{html}"
    );
    // The index links every code docs/errors.md documents, and only those.
    let index = anonymous.get("/errors").expect(200).text.clone();
    let documented: Vec<String> = docs_errors()
        .lines()
        .filter_map(|line| line.strip_prefix("## ").map(str::to_string))
        .collect();
    assert!(documented.len() >= 20);
    for code in &documented {
        assert!(
            index.contains(&format!("href=\"/errors/{code}\"")),
            "/errors does not link {code}"
        );
    }
    assert_eq!(index.matches("href=\"/errors/").count(), documented.len());
    anonymous
        .get("/errors/no_such_code")
        .problem(404, "not_found");
}

#[test]
fn every_list_says_it_is_a_list_and_a_bad_entry_type_lists_the_good_ones() {
    let f = Fixture::new();
    charge(&f.admin, ACCOUNT, json!(1)).expect(201);
    for path in [
        "/v1/accounts".to_string(),
        format!("/v1/accounts/{ACCOUNT}/grants"),
        format!("/v1/accounts/{ACCOUNT}/charges"),
        format!("/v1/accounts/{ACCOUNT}/holds"),
        format!("/v1/accounts/{ACCOUNT}/entries"),
        format!("/v1/accounts/{ACCOUNT}/purchases"),
        format!("/v1/accounts/{ACCOUNT}/keys"),
        format!("/v1/accounts/{ACCOUNT}/limits"),
        "/v1/webhook-endpoints".to_string(),
        "/v1/events".to_string(),
        "/v1/audit".to_string(),
    ] {
        let page = f.admin.get(&path).expect(200).body;
        assert_eq!(page["object"], json!("list"), "{path}: {page}");
        assert!(
            page["data"].is_array() && page["has_more"].is_boolean(),
            "{path}"
        );
    }
    let entries = format!("/v1/accounts/{ACCOUNT}/entries");
    let response = f.admin.get(&format!("{entries}?type=refunds"));
    let problem = response.problem(422, "invalid_request");
    assert_eq!(problem["param"], json!("type"));
    let detail = problem["detail"].as_str().unwrap();
    // The kinds of entry API.md and docs name, refunds included.
    for kind in [
        "grant",
        "charge",
        "hold",
        "capture",
        "release",
        "expire",
        "void",
        "adjustment",
        "refund",
    ] {
        assert!(detail.contains(kind), "{kind} missing from: {detail}");
        f.admin.get(&format!("{entries}?type={kind}")).expect(200);
    }
}

#[test]
fn an_accounts_keys_are_a_list_in_pages_like_any_other() {
    let f = Fixture::new();
    let mut made: Vec<String> = (0..5).map(|_| account_key(&f.admin, ACCOUNT).0).collect();
    made.reverse(); // newest first, as every list
    let path = format!("/v1/accounts/{ACCOUNT}/keys");
    assert_eq!(ids(&f.admin.get(&path).expect(200).body), made);
    let first = f.admin.get(&format!("{path}?limit=2")).expect(200).body;
    assert_eq!(ids(&first), made[..2]);
    assert_eq!(first["has_more"], json!(true));
    let rest = f
        .admin
        .get(&format!("{path}?limit=10&starting_after={}", made[1]))
        .expect(200)
        .body;
    assert_eq!(ids(&rest), made[2..]);
    assert_eq!(rest["has_more"], json!(false));
    for (query, param) in [
        ("?limit=0", "limit"),
        ("?starting_after=key_nope", "starting_after"),
        ("?status=live", "status"),
    ] {
        let response = f.admin.get(&format!("{path}{query}"));
        let problem = response.problem(422, "invalid_request");
        assert_eq!(problem["param"], json!(param), "{query}: {}", response.text);
    }
}
