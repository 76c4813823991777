//! The JSON shapes of API.md's resources, built from the core's types.
//!
//! Amounts are written as JSON numbers from their exact decimal text (never through a float);
//! instants as RFC 3339 UTC strings.

use serde_json::{Map, Number, Value, json};
use tally_core::{
    Account, AccountTotals, AutoTopup, Charge, Entry, Grant, Hold, Millicredits, Purchase,
    PurchaseStatus, Refund, Subscription, SubscriptionStatus, Timestamp,
};

/// An amount as a JSON number with at most 3 fraction digits.
pub fn credits(amount: Millicredits) -> Value {
    let number: Number = amount
        .to_string()
        .parse()
        .expect("render: an amount is a JSON number");
    Value::Number(number)
}

/// An instant as RFC 3339 UTC.
pub fn instant(at: Timestamp) -> Value {
    json!(format_timestamp(at))
}

pub fn format_timestamp(at: Timestamp) -> String {
    at.to_rfc3339()
}

pub fn parse_timestamp(text: &str) -> Option<Timestamp> {
    let timestamp: jiff::Timestamp = text.parse().ok()?;
    Some(Timestamp::from_micros(timestamp.as_microsecond()))
}

pub fn optional_instant(at: Option<Timestamp>) -> Value {
    at.map(instant).unwrap_or(Value::Null)
}

fn metadata(text: &Option<String>) -> Value {
    match text {
        Some(text) => serde_json::from_str(text).unwrap_or(Value::Null),
        None => json!({}),
    }
}

fn insert_some(map: &mut Map<String, Value>, key: &str, value: &Option<String>) {
    if let Some(value) = value {
        map.insert(key.to_string(), json!(value));
    }
}

/// The Balance object (API.md, Accounts and balances).
pub fn balance(
    account: &Account,
    totals: &AccountTotals,
    grants: &[Grant],
    subscription: Option<&Subscription>,
    at: Timestamp,
) -> Value {
    let available = Millicredits::new(totals.posted.get() - totals.held.get());
    let grant_lines: Vec<Value> = grants
        .iter()
        .map(|grant| {
            json!({
                "id": grant.id,
                "source": grant.source.as_str(),
                "status": grant.status().as_str(),
                "remaining": credits(grant.remaining),
                "reserved": credits(grant.reserved),
                "expires_at": optional_instant(grant.expires_at),
                "priority": grant.priority,
            })
        })
        .collect();
    let next_expiry = grants
        .iter()
        .filter(|grant| grant.spendable().is_positive())
        .filter_map(|grant| grant.expires_at.filter(|expires_at| *expires_at > at))
        .min()
        .map(|soonest| {
            let amount: i64 = grants
                .iter()
                .filter(|grant| grant.expires_at == Some(soonest))
                .map(|grant| grant.spendable().get())
                .sum();
            json!({"at": instant(soonest), "amount": credits(Millicredits::new(amount))})
        })
        .unwrap_or(Value::Null);
    json!({
        "account_id": account.id,
        "available": credits(available),
        "posted": credits(totals.posted),
        "held": credits(totals.held),
        "overdraft_limit": credits(account.overdraft_limit),
        "overdraft_used": credits(Millicredits::new(-totals.overdraft_remaining.get())),
        "grants": grant_lines,
        "next_expiry": next_expiry,
        "plan": plan_view(subscription, grants),
        "next_reset": next_reset(subscription),
    })
}

/// `next_reset: {at, credits} | null`: when the next plan grant arrives and its size (null
/// without a plan, or when it is canceling or canceled).
pub fn next_reset(subscription: Option<&Subscription>) -> Value {
    match subscription.and_then(Subscription::next_reset) {
        Some(reset) => json!({"at": instant(reset.at), "credits": credits(reset.credits)}),
        None => Value::Null,
    }
}

/// The Account object, with its balance.
pub fn account(account: &Account, balance: Value) -> Value {
    json!({
        "id": account.id,
        "object": "account",
        "name": account.name,
        "overdraft_limit": credits(account.overdraft_limit),
        "metadata": metadata(&account.metadata),
        "time_zone": account.settings.time_zone,
        "low_balance_threshold": account.settings.low_balance_threshold.map(credits),
        "created_at": instant(account.created_at),
        "balance": balance,
    })
}

/// A Limit as it was set: `{id, scope, match, window, max}`.
pub fn limit(limit: &tally_core::Limit) -> Value {
    json!({
        "id": limit.id,
        "object": "limit",
        "scope": limit.scope.as_str(),
        "match": limit.matches,
        "window": limit.window.as_str(),
        "max": credits(limit.max),
    })
}

/// A Limit with where it stands: `used` (for `"*"`: the most any one value used),
/// `remaining`, `resets_at` (null: never), and `by_match`, each value counted in the window.
pub fn limit_status(status: &tally_core::LimitStatus) -> Value {
    let mut value = limit(&status.limit);
    let map = value.as_object_mut().expect("render: a limit is an object");
    map.insert("used".into(), credits(status.used));
    map.insert("remaining".into(), credits(status.remaining));
    map.insert("resets_at".into(), optional_instant(status.resets_at));
    let by_match: Vec<Value> = status
        .values
        .iter()
        .map(|each| {
            json!({
                "match": each.value,
                "used": credits(each.used),
                "remaining": credits(each.remaining),
            })
        })
        .collect();
    map.insert("by_match".into(), Value::Array(by_match));
    value
}

/// `{object: "list", data: [Limit with used, remaining, resets_at]}`.
pub fn limits(statuses: &[tally_core::LimitStatus]) -> Value {
    let data: Vec<Value> = statuses.iter().map(limit_status).collect();
    json!({"object": "list", "data": data, "has_more": false})
}

pub fn grant(grant: &Grant) -> Value {
    json!({
        "id": grant.id,
        "object": "grant",
        "account_id": grant.account_id,
        "amount": credits(grant.amount),
        "remaining": credits(grant.remaining),
        "reserved": credits(grant.reserved),
        "source": grant.source.as_str(),
        "priority": grant.priority,
        "effective_at": instant(grant.effective_at),
        "expires_at": optional_instant(grant.expires_at),
        "status": grant.status().as_str(),
        "description": grant.description,
        "metadata": metadata(&grant.metadata),
        "created_at": instant(grant.created_at),
    })
}

fn attribution_fields(map: &mut Map<String, Value>, attribution: &tally_core::Attribution) {
    insert_some(map, "product", &attribution.product);
    insert_some(map, "member", &attribution.member);
    insert_some(map, "model", &attribution.model);
    insert_some(map, "action", &attribution.action);
    insert_some(map, "quote_id", &attribution.quote_id);
    if let Some(version) = attribution.rate_card_version {
        map.insert("rate_card_version".into(), json!(version));
    }
}

/// Merges the shell's opaque extra data (a JSON object: usage, lines, …) into `map`.
fn extra_fields(map: &mut Map<String, Value>, extra: &Option<String>) {
    if let Some(Value::Object(extra)) = extra
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
    {
        for (key, value) in extra {
            map.entry(key).or_insert(value);
        }
    }
}

pub fn hold(hold: &Hold) -> Value {
    let mut map = Map::new();
    map.insert("id".into(), json!(hold.id));
    map.insert("object".into(), json!("hold"));
    map.insert("account_id".into(), json!(hold.account_id));
    map.insert("status".into(), json!(hold.status.as_str()));
    map.insert("amount".into(), credits(hold.amount));
    map.insert("captured".into(), credits(hold.captured));
    map.insert("released".into(), credits(hold.released));
    map.insert("expires_at".into(), instant(hold.expires_at));
    map.insert("created_at".into(), instant(hold.created_at));
    map.insert("resolved_at".into(), optional_instant(hold.resolved_at));
    map.insert("description".into(), json!(hold.description));
    map.insert("metadata".into(), metadata(&hold.metadata));
    attribution_fields(&mut map, &hold.attribution);
    extra_fields(&mut map, &hold.extra);
    map.insert("refunded".into(), credits(hold.refunded));
    Value::Object(map)
}

pub fn refund(refund: &Refund) -> Value {
    let mut map = Map::new();
    map.insert("id".into(), json!(refund.id));
    map.insert("object".into(), json!("refund"));
    map.insert("account_id".into(), json!(refund.account_id));
    insert_some(&mut map, "charge_id", &refund.charge_id);
    insert_some(&mut map, "hold_id", &refund.hold_id);
    map.insert("amount".into(), credits(refund.amount));
    let restored: Vec<Value> = refund
        .restored
        .iter()
        .map(|(grant_id, amount)| json!({"grant_id": grant_id, "amount": credits(*amount)}))
        .collect();
    map.insert("restored".into(), Value::Array(restored));
    map.insert("expired".into(), credits(refund.expired));
    map.insert("reason".into(), json!(refund.reason));
    map.insert("created_at".into(), instant(refund.created_at));
    Value::Object(map)
}

pub fn charge(charge: &Charge) -> Value {
    let mut map = Map::new();
    map.insert("id".into(), json!(charge.id));
    map.insert("object".into(), json!("charge"));
    map.insert("account_id".into(), json!(charge.account_id));
    map.insert("amount".into(), credits(charge.amount));
    let drawn: Vec<Value> = charge
        .drawn
        .iter()
        .map(|(grant_id, amount)| json!({"grant_id": grant_id, "amount": credits(*amount)}))
        .collect();
    map.insert("drawn".into(), Value::Array(drawn));
    map.insert("overdraft".into(), credits(charge.overdraft));
    map.insert("available_after".into(), credits(charge.available_after));
    map.insert("description".into(), json!(charge.description));
    map.insert("metadata".into(), metadata(&charge.metadata));
    map.insert("created_at".into(), instant(charge.created_at));
    attribution_fields(&mut map, &charge.attribution);
    extra_fields(&mut map, &charge.extra);
    map.insert("refunded".into(), credits(charge.refunded));
    Value::Object(map)
}

pub fn entry(entry: &Entry) -> Value {
    let mut map = Map::new();
    map.insert("id".into(), json!(entry.id));
    map.insert("object".into(), json!("entry"));
    map.insert("account_id".into(), json!(entry.account_id));
    map.insert("type".into(), json!(entry.kind.as_str()));
    map.insert("amount".into(), credits(entry.amount));
    map.insert("held".into(), credits(entry.held));
    insert_some(&mut map, "grant_id", &entry.grant_id);
    insert_some(&mut map, "hold_id", &entry.hold_id);
    insert_some(&mut map, "charge_id", &entry.charge_id);
    attribution_fields(&mut map, &entry.attribution);
    insert_some(&mut map, "description", &entry.description);
    let grants: Vec<Value> = entry
        .postings
        .iter()
        .filter_map(|posting| {
            posting.line.grant_id().map(|grant_id| {
                json!({
                    "grant_id": grant_id,
                    "remaining": credits(posting.remaining_delta),
                    "reserved": credits(posting.reserved_delta),
                })
            })
        })
        .collect();
    if grants.len() > 1 {
        map.insert("grants".into(), Value::Array(grants));
    }
    map.insert("created_at".into(), instant(entry.created_at));
    Value::Object(map)
}

/// A list page.
pub fn list(data: Vec<Value>, has_more: bool) -> Value {
    json!({"object": "list", "data": data, "has_more": has_more})
}

/// An API key; the secret only when it was just created.
pub fn api_key(record: &tally_store::ApiKeyRecord, secret: Option<&str>) -> Value {
    let mut map = Map::new();
    map.insert("id".into(), json!(record.id));
    map.insert("object".into(), json!("api_key"));
    if let Some(secret) = secret {
        map.insert("key".into(), json!(secret));
    }
    map.insert("account_id".into(), json!(record.account_id));
    map.insert("created_at".into(), instant(record.created_at));
    map.insert("last_used_at".into(), optional_instant(record.last_used_at));
    map.insert("revoked_at".into(), optional_instant(record.revoked_at));
    Value::Object(map)
}

/// A portal session (a portal link); its URL only when it was just minted.
pub fn portal_session(link: &tally_core::PortalLink, url: Option<&str>) -> Value {
    let mut map = Map::new();
    map.insert("id".into(), json!(link.id));
    map.insert("object".into(), json!("portal_session"));
    if let Some(url) = url {
        map.insert("url".into(), json!(url));
    }
    map.insert("account_id".into(), json!(link.account_id));
    map.insert("created_at".into(), instant(link.created_at));
    map.insert("expires_at".into(), instant(link.expires_at));
    map.insert("return_url".into(), json!(link.return_url));
    Value::Object(map)
}

/// The plan part of a balance: which plan and period, and how much of the allowance is left.
fn plan_view(subscription: Option<&Subscription>, grants: &[Grant]) -> Value {
    let Some(subscription) = subscription.filter(|s| s.status != SubscriptionStatus::Canceled)
    else {
        return Value::Null;
    };
    let period_grants = grants
        .iter()
        .filter(|grant| subscription.period_grant_ids.contains(&grant.id));
    let allowance_left: i64 = period_grants
        .clone()
        .map(|grant| grant.spendable().get())
        .sum();
    let allowance_held: i64 = period_grants.map(|grant| grant.reserved.get()).sum();
    let allowance = subscription
        .credits_per_seat
        .get()
        .saturating_mul(i64::from(subscription.seats));
    json!({
        "id": subscription.plan_id,
        "name": subscription.plan_name,
        "seats": subscription.seats,
        "status": subscription.status.as_str(),
        "period_start": instant(subscription.current_period_start),
        "period_end": instant(subscription.current_period_end),
        "allowance": credits(Millicredits::new(allowance)),
        "allowance_left": credits(Millicredits::new(allowance_left)),
        "allowance_held": credits(Millicredits::new(allowance_held)),
    })
}

/// The Subscription object.
pub fn subscription(subscription: &Subscription) -> Value {
    json!({
        "object": "subscription",
        "account_id": subscription.account_id,
        "plan": subscription.plan_id,
        "plan_name": subscription.plan_name,
        "seats": subscription.seats,
        "next_period_seats": subscription.next_period_seats,
        "status": subscription.status.as_str(),
        "credits_per_seat": credits(subscription.credits_per_seat),
        "current_period_start": instant(subscription.current_period_start),
        "current_period_end": instant(subscription.current_period_end),
        "canceled_at": optional_instant(subscription.canceled_at),
        "created_at": instant(subscription.created_at),
    })
}

/// A purchase, with its grant once it completed (`grant_value`: the grant as it is now, when
/// the caller has it) and, while it is pending, where the buyer pays.
pub fn purchase(purchase: &Purchase, grant_value: Option<&Grant>) -> Value {
    json!({
        "id": purchase.id,
        "object": "purchase",
        "account_id": purchase.account_id,
        "pack": purchase.pack_id,
        "credits": credits(purchase.credits),
        "price_usd": decimal_number(&purchase.price_usd),
        "status": purchase.status.as_str(),
        "topup": purchase.topup,
        "grant_id": purchase.grant_id,
        "grant": grant_value.map(grant),
        "payment_reference": purchase.payment_reference,
        "checkout_url": purchase
            .checkout_url
            .as_ref()
            .filter(|_| purchase.status == PurchaseStatus::Pending),
        "created_at": instant(purchase.created_at),
        "expires_at": instant(purchase.expires_at),
        "completed_at": optional_instant(purchase.completed_at()),
        "resolved_at": optional_instant(purchase.resolved_at),
    })
}

/// An auto top-up (`deleted` when the answer is to its removal).
pub fn auto_topup(topup: &AutoTopup, deleted: bool) -> Value {
    let spec = &topup.spec;
    let mut value = json!({
        "object": "auto_topup",
        "account_id": topup.account_id,
        "pack": spec.pack.id,
        "threshold": credits(spec.threshold),
        "monthly_max": spec.monthly_max,
        "cooldown_seconds": spec.cooldown_seconds,
        "complete": spec.complete,
        "status": topup.status.as_str(),
        "used_this_month": topup.used_this_month,
        "last_attempt_at": optional_instant(topup.last_attempt_at),
        "consecutive_failures": topup.consecutive_failures,
        "pending_purchase_id": topup.pending_purchase_id,
        "updated_at": instant(topup.updated_at),
    });
    if deleted {
        value["deleted"] = Value::Bool(true);
    }
    value
}

/// Exact decimal text as a JSON number.
pub fn decimal_number(text: &str) -> Value {
    text.parse::<serde_json::Number>()
        .map(Value::Number)
        .unwrap_or_else(|_| json!(text))
}

/// A UTC day number as `YYYY-MM-DD`.
pub fn day(day: i64) -> Value {
    let start = tally_core::usage::day_start(day);
    match jiff::Timestamp::from_microsecond(start.as_micros()) {
        Ok(timestamp) => json!(
            timestamp
                .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                .date()
                .to_string()
        ),
        Err(_) => Value::Null,
    }
}

/// A webhook endpoint; its `secret` only when it was just made (created, rotated). `events` is
/// `["*"]` for every type.
pub fn webhook_endpoint(
    endpoint: &tally_store::webhooks::EndpointRecord,
    with_secret: bool,
) -> Value {
    use tally_store::webhooks::{ALL_EVENTS, EventSelection};
    let events = match &endpoint.events {
        EventSelection::All => json!([ALL_EVENTS]),
        EventSelection::Only(types) => json!(types),
    };
    let mut body = json!({
        "id": endpoint.id,
        "object": "webhook_endpoint",
        "url": endpoint.url,
        "events": events,
        "status": endpoint.status.as_str(),
        "description": endpoint.description,
        "created_at": instant(endpoint.created_at),
        "updated_at": instant(endpoint.updated_at),
        "previous_secret_expires_at":
            optional_instant(endpoint.previous_secret.as_ref().map(|previous| previous.expires_at)),
    });
    if with_secret {
        body["secret"] = json!(endpoint.secret);
    }
    body
}

/// One delivery attempt of the log (`GET /v1/webhook-endpoints/{id}/deliveries`).
pub fn webhook_attempt(attempt: &tally_store::webhooks::AttemptRecord) -> Value {
    json!({
        "id": attempt.id,
        "event_id": attempt.event_id,
        "attempt": attempt.attempt,
        "status_code": attempt.status_code,
        "ok": attempt.ok,
        "error": attempt.error,
        "created_at": instant(attempt.created_at),
        "next_attempt_at": optional_instant(attempt.next_attempt_at),
    })
}
