//! Reads on a busy account come from aggregates (whole days, hours and minutes) and at most two
//! partial minutes of entries; after a seeded workload of charges, captures and refunds spread
//! over hours and day boundaries (the real engine, a real SQLite file, the test clock), every
//! answer must equal a brute-force recount from the `entries` and `refunds` rows of the file:
//! usage over ranges cut anywhere (to the microsecond, through the store; to the second,
//! through `GET /usage`), and the balance's forecast.

mod common;

use std::collections::BTreeMap;

use common::TestServer;
use rusqlite::{Connection, OpenFlags};
use serde_json::{Value, json};
use tally_core::Timestamp;
use tally_core::usage::{MICROS_PER_DAY, MICROS_PER_MINUTE};
use tally_store::{UsageDimension, UsageGroup};

fn mc(value: &Value) -> i64 {
    tally_core::Millicredits::parse_credits(&value.to_string())
        .unwrap()
        .get()
}

fn amount(millicredits: u64) -> Value {
    serde_json::from_str(&tally_core::Millicredits::new(millicredits as i64).to_string()).unwrap()
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

/// (day, product, member) → (credits, count), recounted from the rows of the file.
type Recount = BTreeMap<(i64, String, String), (i64, i64)>;

/// The spending of account `a` in `[from, to)`, from the entries (charges and captures) and
/// the refunds (net, at the instant of the spending refunded), row by row.
fn recount(db: &Connection, from: i64, to: i64) -> Recount {
    let mut groups = Recount::new();
    let sql = "SELECT created_at, COALESCE(product, ''), COALESCE(member, ''), -amount, 1 \
               FROM entries WHERE account_id = 'a' AND (type = 'charge' OR type = 'capture') \
               UNION ALL \
               SELECT spent_at, COALESCE(product, ''), COALESCE(member, ''), -amount, 0 \
               FROM refunds WHERE account_id = 'a'";
    let mut statement = db.prepare(sql).unwrap();
    let rows = statement
        .query_map([], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, i64>(3)?,
                row.get::<_, i64>(4)?,
            ))
        })
        .unwrap();
    for row in rows {
        let (at, product, member, credits, count) = row.unwrap();
        if at < from || at >= to {
            continue;
        }
        let slot = groups
            .entry((at.div_euclid(MICROS_PER_DAY), product, member))
            .or_insert((0, 0));
        slot.0 += credits;
        slot.1 += count;
    }
    groups.retain(|_, (credits, count)| *credits != 0 || *count != 0);
    groups
}

fn total(groups: &Recount) -> (i64, i64) {
    groups
        .values()
        .fold((0, 0), |(credits, count), (c, n)| (credits + c, count + n))
}

/// What the store answers for `[from, to)` by day, product and member.
fn served(server: &TestServer, from: i64, to: i64) -> Recount {
    let group_by = [
        UsageDimension::Day,
        UsageDimension::Product,
        UsageDimension::Member,
    ];
    let groups = server
        .server()
        .state
        .store
        .usage(
            "a",
            Timestamp::from_micros(from),
            Timestamp::from_micros(to),
            &group_by,
        )
        .unwrap();
    let mut found = Recount::new();
    for (group, delta) in groups {
        let UsageGroup {
            day: Some(day),
            product: Some(product),
            member: Some(member),
            ..
        } = group
        else {
            panic!("a group without its dimensions: {group:?}");
        };
        let fresh = found.insert((day, product, member), (delta.credits.get(), delta.count));
        assert!(fresh.is_none(), "one row per group");
    }
    found.retain(|_, (credits, count)| *credits != 0 || *count != 0);
    found
}

#[tokio::test]
async fn reads_on_a_busy_account_equal_a_recount_from_the_entries() {
    // Late in a day, so the workload crosses midnights as well as hours and minutes.
    let start = tally_server::render::parse_timestamp("2027-03-01T22:41:07Z").unwrap();
    let server = TestServer::start(|config| config.test_clock_start = Some(start));
    server
        .admin("POST", "/v1/accounts", json!({"id": "a"}))
        .await;
    server
        .admin(
            "POST",
            "/v1/accounts/a/grants",
            json!({"amount": 1000000000}),
        )
        .await;
    let seed = 0xf1a7_2027_u64;
    let mut random = Random(seed);
    let products = ["assistant", "studio", "code"];
    let members = ["ada", "grace"];
    let mut charges: Vec<String> = Vec::new();
    let mut holds: Vec<String> = Vec::new();
    for _ in 0..1_500 {
        match random.below(20) {
            // Time passes: often seconds (many actions in one minute), sometimes up to 3 hours.
            0..=5 => {
                let seconds = match random.below(4) {
                    0 => 1 + random.below(10_800),
                    _ => 1 + random.below(90),
                };
                server
                    .admin("POST", "/v1/clock", json!({"advance_seconds": seconds}))
                    .await;
            }
            6..=14 => {
                let mut body = json!({"product": random.pick(&products), "amount": amount(1 + random.below(9_000))});
                if random.below(3) > 0 {
                    body["member"] = json!(random.pick(&members));
                }
                let charge = server.admin("POST", "/v1/accounts/a/charges", body).await;
                charges.push(charge["id"].as_str().unwrap().to_string());
            }
            15..=17 => {
                let body = json!({"product": random.pick(&products), "member": random.pick(&members), "amount": amount(2_000 + random.below(8_000))});
                let hold = server.admin("POST", "/v1/accounts/a/holds", body).await;
                let path = format!("/v1/holds/{}/capture", hold["id"].as_str().unwrap());
                let part = mc(&hold["amount"]) as u64 / 2;
                server
                    .admin("POST", &path, json!({"amount": amount(part)}))
                    .await;
                holds.push(hold["id"].as_str().unwrap().to_string());
            }
            _ => {
                // A refund of part of an earlier charge or capture: netted at its spending.
                let (kind, ids) = if random.below(2) == 0 || holds.is_empty() {
                    ("charges", &charges)
                } else {
                    ("holds", &holds)
                };
                if ids.is_empty() {
                    continue;
                }
                let id = &ids[random.below(ids.len() as u64) as usize];
                let path = format!("/v1/{kind}/{id}/refunds");
                let body = json!({"amount": amount(1 + random.below(500))});
                let (status, _) = server
                    .call("POST", &path, Some(common::ADMIN_KEY), Some(body))
                    .await;
                assert!(
                    status.is_success() || status == 422,
                    "refund {path}: {status}"
                );
            }
        }
    }
    server.verify();
    let db = Connection::open_with_flags(
        server.dir.join("tally.db"),
        OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let now = tally_server::render::parse_timestamp(
        server.admin("GET", "/v1/clock", json!(null)).await["now"]
            .as_str()
            .unwrap(),
    )
    .unwrap()
    .as_micros();
    let begin = start.as_micros() - MICROS_PER_DAY;
    let everything = recount(&db, begin, now + 1);
    let days: std::collections::BTreeSet<i64> = everything.keys().map(|key| key.0).collect();
    let (_, actions) = total(&everything);
    assert!(
        days.len() >= 3 && actions > 800,
        "{days:?}, {actions} actions"
    );

    // Ranges cut anywhere, to the microsecond: from one minute to the whole history.
    for _ in 0..300 {
        let span = (now + 1 - begin) as u64;
        let from = begin + random.below(span) as i64;
        let length = match random.below(4) {
            0 => random.below(2 * MICROS_PER_MINUTE as u64),
            1 => random.below(3 * 3_600_000_000),
            _ => random.below(span),
        } as i64;
        let to = from + length;
        assert_eq!(
            served(&server, from, to),
            recount(&db, from, to),
            "seed {seed:#x}: [{from}, {to})"
        );
    }

    // `GET /usage` over ranges to the second, and its total.
    for _ in 0..40 {
        let from = begin + random.below((now - begin) as u64) as i64;
        let from = from - from.rem_euclid(1_000_000);
        let to = from + 1_000_000 * (1 + random.below(2 * 86_400)) as i64;
        let instant = |at: i64| tally_server::render::instant(Timestamp::from_micros(at));
        let path = format!(
            "/v1/accounts/a/usage?from={}&to={}",
            instant(from).as_str().unwrap(),
            instant(to).as_str().unwrap()
        );
        let usage = server.admin("GET", &path, json!(null)).await;
        let (credits, count) = total(&recount(&db, from, to));
        assert_eq!(mc(&usage["total"]["credits"]), credits, "{path}");
        assert_eq!(usage["total"]["count"].as_i64().unwrap(), count, "{path}");
    }

    // The forecast: what was spent from the start of the minute 7 days ago through the end of
    // the current minute, over 7 days (rounded down to a millicredit).
    let minute_start = |at: i64| at - at.rem_euclid(MICROS_PER_MINUTE);
    let window = (
        minute_start(now - 7 * MICROS_PER_DAY),
        minute_start(now) + MICROS_PER_MINUTE,
    );
    let (spent, _) = total(&recount(&db, window.0, window.1));
    assert!(spent > 0);
    let balance = server
        .admin("GET", "/v1/accounts/a/balance", json!(null))
        .await;
    assert_eq!(mc(&balance["forecast"]["burn_per_day"]), spent / 7);
    let account = server.admin("GET", "/v1/accounts/a", json!(null)).await;
    assert_eq!(account["balance"]["forecast"], balance["forecast"]);
}
