//! End to end: an account's days are its time zone's (API.md "Accounts: settings"). Accounts
//! in Asia/Kolkata (a half-hour offset), America/New_York (across the March 2027 DST change)
//! and UTC spend at seeded instants and at the instants either side of each local midnight and
//! of the change, some of it is refunded later, and the usage grouped by day (and by day and
//! product, over dates and over unaligned instants) must equal what this test computes from
//! the instants with jiff; the default window starts at the local midnight of the day the plan
//! began; a day limit resets at the next local midnight. On the test clock; `tally verify`
//! after each test.

mod common;

use std::collections::BTreeMap;

use common::*;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde_json::{Value, json};

const ZONES: [(&str, &str); 3] = [
    ("mumbai", "Asia/Kolkata"),
    ("nyc", "America/New_York"),
    ("london", "UTC"),
];

fn at(text: &str) -> jiff::Timestamp {
    text.parse().expect("an RFC 3339 instant")
}

fn move_clock(admin: &Client, to: jiff::Timestamp) {
    admin
        .post("/v1/clock", json!({"now": to.to_string()}))
        .expect(200);
}

fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).expect("in jiff's database")
}

/// The first instant of `date` in `zone`, as jiff computes it.
fn start_of(date: Date, zone: &TimeZone) -> jiff::Timestamp {
    date.to_zoned_datetime(zone.clone())
        .and_then(|midnight| midnight.start_of_day())
        .expect("a date in range")
        .timestamp()
}

/// A credit amount of `millis` millicredits, as the exact JSON number the API takes.
fn credits(millis: i64) -> Value {
    num(&format!("{}.{:03}", millis / 1000, millis % 1000))
}

/// One charge the test made: when, what, and how much of it stands after refunds.
struct Spent {
    at: jiff::Timestamp,
    product: &'static str,
    net_millis: i64,
}

/// The usage rows `(day, product?, credits, count)` jiff says `spent` makes in `zone` over
/// `[from, to)`, in the API's order (by day, then product).
fn expected(
    spent: &[Spent],
    zone: &TimeZone,
    (from, to): (jiff::Timestamp, jiff::Timestamp),
    by_product: bool,
) -> Vec<(String, Option<String>, i64, i64)> {
    let mut groups: BTreeMap<(String, Option<String>), (i64, i64)> = BTreeMap::new();
    for each in spent.iter().filter(|each| from <= each.at && each.at < to) {
        let day = each.at.to_zoned_datetime(zone.clone()).date().to_string();
        let product = by_product.then(|| each.product.to_string());
        let group = groups.entry((day, product)).or_default();
        group.0 += each.net_millis;
        group.1 += 1;
    }
    groups
        .into_iter()
        .map(|((day, product), (millis, count))| (day, product, millis, count))
        .collect()
}

fn usage_rows(answer: &Value) -> Vec<(String, Option<String>, i64, i64)> {
    answer["data"]
        .as_array()
        .expect("data is a list")
        .iter()
        .map(|row| {
            (
                row["day"].as_str().expect("a day").to_string(),
                row["product"].as_str().map(str::to_string),
                millis(&row["credits"]),
                row["count"].as_i64().expect("a count"),
            )
        })
        .collect()
}

/// The instants of the test: either side of each local midnight of both zones and of the
/// DST change, then seeded ones over the four days, in order.
fn instants() -> Vec<jiff::Timestamp> {
    let mut instants = Vec::new();
    for date in ["2027-03-13", "2027-03-14", "2027-03-15", "2027-03-16"] {
        let date: Date = date.parse().expect("a date");
        for name in ["Asia/Kolkata", "America/New_York"] {
            let midnight = start_of(date, &zone(name));
            instants.push(midnight);
            instants.push(midnight - jiff::SignedDuration::from_secs(1));
            instants.push(midnight + jiff::SignedDuration::from_micros(1));
        }
    }
    // 2:00 EST became 3:00 EDT at 07:00 UTC.
    let change = at("2027-03-14T07:00:00Z");
    instants.extend([change, change - jiff::SignedDuration::from_micros(1)]);
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let first = at("2027-03-13T00:00:00Z");
    for _ in 0..30 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let micros = i64::try_from(seed % (4 * 86_400 * 1_000_000)).expect("fits");
        instants.push(first + jiff::SignedDuration::from_micros(micros));
    }
    instants.sort();
    instants.dedup();
    instants
}

#[test]
fn usage_days_net_of_refunds_are_the_local_days_jiff_computes() {
    let t = Tally::with_test_clock();
    let admin = t.admin();
    move_clock(&admin, at("2027-03-12T12:00:00Z"));
    for (account, name) in ZONES {
        create_account(&admin, account);
        grant(&admin, account, json!(1_000_000), json!({}));
        let patched = admin.request(
            "PATCH",
            &format!("/v1/accounts/{account}"),
            Some(json!({"time_zone": name}).to_string().as_bytes()),
            &[],
        );
        assert_eq!(patched.expect(200)["time_zone"], json!(name));
    }

    // Every account spends the same at every instant.
    let mut spent = Vec::new();
    let mut charges: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (index, when) in instants().into_iter().enumerate() {
        move_clock(&admin, when);
        let index = i64::try_from(index).expect("few instants");
        let product = if index % 3 == 0 { "image" } else { "chat" };
        let amount = 1_000 + index * 137;
        for (account, _) in ZONES {
            let charge = admin
                .post(
                    &format!("/v1/accounts/{account}/charges"),
                    json!({"amount": credits(amount), "product": product}),
                )
                .expect(201);
            charges.entry(account).or_default().push(charge.id());
        }
        spent.push(Spent {
            at: when,
            product,
            net_millis: amount,
        });
    }
    // Later, every fourth charge is refunded in part: usage is net of it on the charge's day.
    move_clock(&admin, at("2027-03-18T09:00:00Z"));
    for (index, each) in spent.iter_mut().enumerate().filter(|(i, _)| i % 4 == 1) {
        let refund_millis = each.net_millis / 3;
        for (account, _) in ZONES {
            let charge_id = &charges[account][index];
            admin
                .post(
                    &format!("/v1/charges/{charge_id}/refunds"),
                    json!({"amount": credits(refund_millis)}),
                )
                .expect(201);
        }
        each.net_millis -= refund_millis;
    }

    for (account, name) in ZONES {
        let zone = zone(name);
        let first: Date = "2027-03-12".parse().unwrap();
        let last: Date = "2027-03-17".parse().unwrap();
        let range = (start_of(first, &zone), start_of(last, &zone));
        for (group_by, by_product) in [("day", false), ("day,product", true)] {
            let answer = admin
                .get(&format!(
                    "/v1/accounts/{account}/usage?group_by={group_by}&from=2027-03-12&to=2027-03-16"
                ))
                .expect(200);
            assert_eq!(answer["time_zone"], json!(name));
            assert_eq!(instant(&answer["from"]), range.0, "{account}: from");
            assert_eq!(instant(&answer["to"]), range.1, "{account}: to");
            assert_eq!(
                usage_rows(&answer.body),
                expected(&spent, &zone, range, by_product),
                "{account} grouped by {group_by}"
            );
        }
        // Unaligned instants: the partial minutes at the ends come from the entries, on their
        // local days too.
        let (from, to) = ("2027-03-13T18:29:59.5Z", "2027-03-15T04:00:00.000001Z");
        let answer = admin
            .get(&format!(
                "/v1/accounts/{account}/usage?group_by=day&from={from}&to={to}"
            ))
            .expect(200);
        assert_eq!(
            usage_rows(&answer.body),
            expected(&spent, &zone, (at(from), at(to)), false),
            "{account} between {from} and {to}"
        );
    }
    t.verify();
}

#[test]
fn the_default_window_starts_at_the_local_midnight_of_the_day_the_plan_began() {
    let t = Tally::with_test_clock();
    let admin = t.admin();
    let new_york = zone("America/New_York");
    move_clock(&admin, at("2027-03-20T15:00:00Z"));
    create_account(&admin, "nyc");
    admin
        .request(
            "PATCH",
            "/v1/accounts/nyc",
            Some(
                json!({"time_zone": "America/New_York"})
                    .to_string()
                    .as_bytes(),
            ),
            &[],
        )
        .expect(200);
    grant(&admin, "nyc", json!(100), json!({}));
    // Without a plan: from the local midnight of the day 30 days ago.
    let now = at("2027-03-20T15:00:00Z");
    let answer = admin.get("/v1/accounts/nyc/usage").expect(200);
    let month_ago = (now - jiff::SignedDuration::from_hours(30 * 24))
        .to_zoned_datetime(new_york.clone())
        .date();
    assert_eq!(instant(&answer["from"]), start_of(month_ago, &new_york));

    // 11:00 in New York: 7 credits before the plan, 3 after it began at 13:00.
    admin
        .post("/v1/accounts/nyc/charges", json!({"amount": 7}))
        .expect(201);
    move_clock(&admin, at("2027-03-20T17:00:00Z"));
    admin
        .request(
            "PUT",
            "/v1/accounts/nyc/subscription",
            Some(
                json!({"plan": "starter", "seats": 1})
                    .to_string()
                    .as_bytes(),
            ),
            &[],
        )
        .expect(200);
    admin
        .post("/v1/accounts/nyc/charges", json!({"amount": 3}))
        .expect(201);
    let answer = admin.get("/v1/accounts/nyc/usage?group_by=day").expect(200);
    let day: Date = "2027-03-20".parse().unwrap();
    assert_eq!(instant(&answer["from"]), start_of(day, &new_york));
    assert_eq!(millis(&answer["total"]["credits"]), 10_000);
    assert_eq!(
        usage_rows(&answer.body),
        vec![("2027-03-20".to_string(), None, 10_000, 2)]
    );
    t.verify();
}

#[test]
fn a_day_limit_in_kolkata_resets_at_the_next_local_midnight() {
    let t = Tally::with_test_clock();
    let admin = t.admin();
    let kolkata = zone("Asia/Kolkata");
    let now = at("2027-03-14T18:00:00Z");
    move_clock(&admin, now);
    create_account(&admin, "mumbai");
    admin
        .request(
            "PATCH",
            "/v1/accounts/mumbai",
            Some(json!({"time_zone": "Asia/Kolkata"}).to_string().as_bytes()),
            &[],
        )
        .expect(200);
    grant(&admin, "mumbai", json!(100), json!({}));
    let body = json!({"limits": [{"id": "daily", "scope": "account", "window": "day", "max": 10}]});
    admin
        .request(
            "PUT",
            "/v1/accounts/mumbai/limits",
            Some(body.to_string().as_bytes()),
            &[],
        )
        .expect(200);
    let today = now.to_zoned_datetime(kolkata.clone()).date();
    let next_midnight = start_of(today.tomorrow().unwrap(), &kolkata);
    admin
        .post("/v1/accounts/mumbai/charges", json!({"amount": 10}))
        .expect(201);
    let refused = admin.post("/v1/accounts/mumbai/charges", json!({"amount": 1}));
    let problem = refused.problem(402, "limit_exceeded");
    assert_eq!(instant(&problem["resets_at"]), next_midnight);
    // A microsecond before the local midnight it still refuses; at it, the day is new.
    move_clock(&admin, next_midnight - jiff::SignedDuration::from_micros(1));
    admin
        .post("/v1/accounts/mumbai/charges", json!({"amount": 1}))
        .problem(402, "limit_exceeded");
    move_clock(&admin, next_midnight);
    admin
        .post("/v1/accounts/mumbai/charges", json!({"amount": 1}))
        .expect(201);
    t.verify();
}
