//! End to end: plan advice (`GET /v1/accounts/{id}/advice`, docs/advice.md) against a real
//! `tally serve` with the test clock: months of spending, then the cheapest way to have paid
//! for them on the default catalog, worked out here by hand, with who may ask.
//!
//! The default catalog: Starter free (5,000 credits a seat), Pro $20 a seat (250,000);
//! packs of 10,000 credits for $10, 50,000 for $45, 250,000 for $200, valid 365 days.

mod common;

use common::*;
use serde_json::json;

fn move_clock(admin: &Client, now: &str) {
    admin.post("/v1/clock", json!({"now": now})).expect(200);
}

fn spend(admin: &Client, account: &str, credits: i64, product: &str) {
    admin
        .post(
            &format!("/v1/accounts/{account}/charges"),
            json!({"amount": credits, "product": product, "member": "ana"}),
        )
        .expect(201);
}

#[test]
fn three_months_of_spending_are_cheapest_on_pro_with_packs_for_the_rest() {
    let t = Tally::with_test_clock();
    let admin = t.admin();
    // The test clock starts at the wall clock; the months below are all after it.
    let year = wall_now().to_zoned_datetime(jiff::tz::TimeZone::UTC).year() + 1;
    move_clock(&admin, &format!("{year}-01-01T00:00:00Z"));
    create_account(&admin, "adv");
    grant(&admin, "adv", json!(1_000_000), json!({}));
    let subscribe = json!({"plan": "starter"}).to_string();
    admin
        .request(
            "PUT",
            "/v1/accounts/adv/subscription",
            Some(subscribe.as_bytes()),
            &[],
        )
        .expect(200);
    // January 300,000 (5,000 of them from the plan), February 260,000, March 100,000.
    spend(&admin, "adv", 200_000, "assistant");
    spend(&admin, "adv", 100_000, "studio");
    move_clock(&admin, &format!("{year}-02-10T00:00:00Z"));
    spend(&admin, "adv", 260_000, "assistant");
    move_clock(&admin, &format!("{year}-03-15T00:00:00Z"));
    spend(&admin, "adv", 100_000, "assistant");
    move_clock(&admin, &format!("{year}-04-02T00:00:00Z"));
    // Spending this month does not count: it is not a whole month yet.
    spend(&admin, "adv", 1_000, "assistant");

    let advice = admin.get("/v1/accounts/adv/advice").expect(200);
    let months: Vec<_> = advice["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|month| (month["from"].clone(), month["credits"].clone()))
        .collect();
    assert_eq!(
        months,
        vec![
            (json!(format!("{year}-01-01T00:00:00Z")), json!(300_000)),
            (json!(format!("{year}-02-01T00:00:00Z")), json!(260_000)),
            (json!(format!("{year}-03-01T00:00:00Z")), json!(100_000)),
        ]
    );
    assert_eq!(advice["to"], json!(format!("{year}-04-01T00:00:00Z")));
    assert_eq!(advice["usage"]["credits"], json!(660_000));
    assert_eq!(
        advice["usage"]["by_product"],
        json!([{"product": "assistant", "credits": 560_000},
               {"product": "studio", "credits": 100_000}])
    );
    assert_eq!(advice["usage"]["members"], json!(1));
    // Pro with one seat, $60, and 60,000 over it: a 50,000 pack and a 10,000 one, $55.
    let best = &advice["best"];
    assert_eq!(best["plan"], json!("pro"));
    assert_eq!(best["seats"], json!(1));
    assert_eq!(best["overage"], json!(60_000));
    assert_eq!(best["plan_usd"], json!(60));
    assert_eq!(best["packs_usd"], json!(55));
    assert_eq!(best["cost_usd"], json!(115));
    let packs: Vec<_> = best["packs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pack| (pack["pack"].clone(), pack["count"].clone()))
        .collect();
    assert_eq!(
        packs,
        vec![(json!("pack_10k"), json!(1)), (json!("pack_50k"), json!(1))]
    );
    // Staying on Starter: 645,000 over it, two 250k and three 50k packs, $535.
    assert_eq!(advice["current"]["plan"], json!("starter"));
    assert_eq!(advice["current"]["cost_usd"], json!(535));
    assert_eq!(advice["savings_usd"], json!(420));
    t.verify();
}

#[test]
fn a_new_account_is_advised_on_its_month_so_far_and_only_it_or_an_admin_may_ask() {
    let t = Tally::with_test_clock();
    let admin = t.admin();
    create_account(&admin, "young");
    create_account(&admin, "other");
    grant(&admin, "young", json!(1_000_000), json!({}));
    // 480,000 this month: two seats of Pro ($20 each) cover it, cheaper than any packs.
    spend(&admin, "young", 480_000, "assistant");
    let (_, key) = account_key(&admin, "young");
    let own = t.client(&key);
    let advice = own.get("/v1/accounts/young/advice").expect(200);
    assert_eq!(advice["months"].as_array().map(Vec::len), Some(1));
    assert_eq!(advice["usage"]["credits"], json!(480_000));
    assert_eq!(advice["best"]["plan"], json!("pro"));
    assert_eq!(advice["best"]["seats"], json!(2));
    assert_eq!(advice["best"]["cost_usd"], json!(40));
    assert_eq!(advice["current"], json!(null));
    own.get("/v1/accounts/other/advice")
        .problem(404, "not_found");
    t.anonymous()
        .get("/v1/accounts/young/advice")
        .problem(401, "unauthorized");
    admin
        .get("/v1/accounts/nobody/advice")
        .problem(404, "not_found");
    let unknown = admin.get("/v1/accounts/young/advice?months=6");
    assert_eq!(
        unknown.problem(422, "invalid_request")["param"],
        json!("months")
    );
}
