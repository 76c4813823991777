//! Usage analytics are served from aggregates the engine keeps in the ledger's transaction;
//! after a randomized workload over many days they must equal a recount from the entries, for
//! every grouping and for ranges that cut days in the middle.

mod common;

use std::collections::BTreeMap;

use common::TestServer;
use serde_json::{Value, json};

fn mc(value: &Value) -> i64 {
    tally_core::Millicredits::parse_credits(&value.to_string())
        .unwrap()
        .get()
}

/// A small deterministic generator (xorshift), so a failure can be replayed from its seed.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

type Group = (String, String, String, String, String);

/// Credits and count per (day, product, model, member, action), recounted from the entries.
async fn recount(server: &TestServer, from: &str, to: &str) -> BTreeMap<Group, (i64, i64)> {
    let mut groups = BTreeMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/v1/accounts/a/entries?limit=1000&from={from}&to={to}");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&starting_after={cursor}"));
        }
        let page = server.admin("GET", &path, json!(null)).await;
        let data = page["data"].as_array().unwrap();
        for entry in data {
            let kind = entry["type"].as_str().unwrap();
            if kind != "charge" && kind != "capture" {
                continue;
            }
            let text = |field: &str| entry[field].as_str().unwrap_or("").to_string();
            let day = entry["created_at"].as_str().unwrap()[..10].to_string();
            let group = (
                day,
                text("product"),
                text("model"),
                text("member"),
                text("action"),
            );
            let slot = groups.entry(group).or_insert((0, 0));
            slot.0 -= mc(&entry["amount"]);
            slot.1 += 1;
        }
        if page["has_more"] != true {
            break;
        }
        cursor = Some(data.last().unwrap()["id"].as_str().unwrap().to_string());
    }
    groups
}

async fn served(server: &TestServer, from: &str, to: &str) -> BTreeMap<Group, (i64, i64)> {
    let path = format!(
        "/v1/accounts/a/usage?from={from}&to={to}&group_by=day,product,model,member,action"
    );
    let usage = server.admin("GET", &path, json!(null)).await;
    let mut groups = BTreeMap::new();
    let mut credits_total = 0;
    let mut count_total = 0;
    for row in usage["data"].as_array().unwrap() {
        let text = |field: &str| row[field].as_str().unwrap_or("").to_string();
        let group = (
            text("day"),
            text("product"),
            text("model"),
            text("member"),
            text("action"),
        );
        let credits = mc(&row["credits"]);
        let count = row["count"].as_i64().unwrap();
        credits_total += credits;
        count_total += count;
        assert!(
            groups.insert(group, (credits, count)).is_none(),
            "one row per group"
        );
    }
    assert_eq!(mc(&usage["total"]["credits"]), credits_total);
    assert_eq!(usage["total"]["count"].as_i64().unwrap(), count_total);
    groups
}

#[tokio::test]
async fn aggregates_equal_a_recount_from_the_entries_after_a_randomized_workload() {
    let start = tally_server::render::parse_timestamp("2027-03-01T08:00:00Z").unwrap();
    let server = TestServer::start(|config| config.test_clock_start = Some(start));
    server
        .admin(
            "POST",
            "/v1/accounts",
            json!({"id": "a", "overdraft_limit": 1000}),
        )
        .await;
    server
        .admin(
            "POST",
            "/v1/accounts/a/grants",
            json!({"amount": 100000000}),
        )
        .await;
    let seed = 0x5eed_2027_u64;
    let mut random = Random(seed);
    let products = ["assistant", "knowledge", "studio", "code", "workflow"];
    let members = ["ada", "grace", "linus"];
    for step in 0..600 {
        match random.below(10) {
            0 => {
                // Time passes: from minutes to a day and a half.
                let seconds = 60 + random.below(36 * 3600);
                server
                    .admin("POST", "/v1/clock", json!({"advance_seconds": seconds}))
                    .await;
            }
            1..=5 => {
                let mut body = json!({"product": random.pick(&products)});
                if random.below(3) > 0 {
                    body["member"] = json!(random.pick(&members));
                }
                if random.below(2) == 0 {
                    body["amount"] = serde_json::from_str(
                        &tally_core::Millicredits::new(1 + random.below(50_000) as i64).to_string(),
                    )
                    .unwrap();
                } else {
                    let model = random.pick(&["gpt-4o", "gpt-4o-mini", "claude-haiku-4-5"]);
                    body["usage"] = json!({"action": "chat", "model": model, "input_tokens": random.below(5000), "output_tokens": random.below(2000)});
                }
                server.admin("POST", "/v1/accounts/a/charges", body).await;
            }
            _ => {
                let usage = json!({"action": "image", "model": "gpt-image-1", "width": 1024, "height": 1024, "quality": random.pick(&["low", "medium", "high"])});
                let hold = server
                    .admin(
                        "POST",
                        "/v1/accounts/a/holds",
                        json!({"usage": usage, "member": random.pick(&members)}),
                    )
                    .await;
                let path = format!("/v1/holds/{}/", hold["id"].as_str().unwrap());
                match random.below(3) {
                    0 => {
                        server
                            .admin("POST", &format!("{path}capture"), json!({}))
                            .await
                    }
                    1 => {
                        let part =
                            tally_core::Millicredits::new(mc(&hold["amount"]) / 2).to_string();
                        server
                            .admin(
                                "POST",
                                &format!("{path}capture"),
                                json!({"amount": serde_json::from_str::<Value>(&part).unwrap()}),
                            )
                            .await
                    }
                    _ => {
                        server
                            .admin("POST", &format!("{path}void"), json!({}))
                            .await
                    }
                };
            }
        }
        if step % 200 == 199 {
            server.verify();
        }
    }
    // Whole days, and ranges that begin and end in the middle of a day.
    for (from, to) in [
        ("2027-03-01T00:00:00Z", "2027-06-01T00:00:00Z"),
        ("2027-03-02T13:17:00Z", "2027-03-20T02:45:30Z"),
        ("2027-03-05T23:59:59Z", "2027-03-06T00:00:01Z"),
        ("2027-03-03T10:00:00Z", "2027-03-03T18:00:00Z"),
    ] {
        let expected = recount(&server, from, to).await;
        assert!(
            from != "2027-03-01T00:00:00Z" || expected.len() > 20,
            "the workload spread over days and groups"
        );
        assert_eq!(
            served(&server, from, to).await,
            expected,
            "seed {seed:#x}, {from} .. {to}"
        );
    }
    server.verify();
}
