//! The resources' JSON Schemas (`components.schemas`), each written beside the renderer it
//! describes (`render.rs`, `event_body.rs`, the routes' own bodies): what the server answers,
//! field for field. Objects are closed (`additionalProperties: false`) where the renderer
//! writes a fixed set of fields, so that schemathesis's response check notices a field added
//! without its schema; the few that carry data of their own (a charge's or hold's priced
//! usage, a rate card's items, a quote) say what they may carry.

use serde_json::{Map, Value, json};

use crate::schema::{
    array, boolean, constant, credits, credits_component, instant, integer, metadata, nullable,
    object, one_of, open_object, reference, string,
};

/// Every schema of `components.schemas`, by name.
pub fn schemas() -> Map<String, Value> {
    let mut schemas = Map::new();
    let mut add = |name: &str, schema: Value| {
        schemas.insert(name.to_string(), schema);
    };
    add("Credits", credits_component());
    add("Usage", usage());
    add("Account", account());
    add("Balance", balance());
    add("BalanceGrant", balance_grant());
    add("PlanView", plan_view());
    add("Grant", grant());
    add("Charge", charge());
    add("Hold", hold());
    add("Refund", refund());
    add("Entry", entry());
    add("UsageReport", usage_report());
    add("Advice", advice());
    add("Quote", quote());
    add("QuoteLine", quote_line());
    add("Alternative", alternative());
    add("RateCard", rate_card());
    add("RateCardDocument", rate_card_document());
    add("Plan", plan());
    add("Pack", pack());
    add("Subscription", subscription());
    add("Purchase", purchase());
    add("AutoTopup", auto_topup());
    add("Limit", limit());
    add("LimitStatus", limit_status());
    add("ApiKey", api_key());
    add("PortalSession", portal_session());
    add("Event", event());
    add(
        "AuditRecord",
        object(
            &[
                "id",
                "object",
                "actor",
                "action",
                "target_id",
                "account_id",
                "created_at",
            ],
            json!({
                "id": string(),
                "object": constant("audit_record"),
                "actor": string(),
                "action": string(),
                "target_id": string(),
                "account_id": nullable(string()),
                "created_at": instant(),
            }),
        ),
    );
    add("WebhookEndpoint", webhook_endpoint());
    add("DeletedWebhookEndpoint", deleted_endpoint());
    add("DeliveryAttempt", delivery_attempt());
    add("Redelivery", redelivery());
    add("BatchResults", batch_results());
    add("Clock", clock());
    add("Health", health());
    add("StripeReceipt", stripe_receipt());
    for (name, item) in [
        ("AccountList", "Account"),
        ("GrantList", "Grant"),
        ("ChargeList", "Charge"),
        ("HoldList", "Hold"),
        ("EntryList", "Entry"),
        ("PurchaseList", "Purchase"),
        ("ApiKeyList", "ApiKey"),
        ("LimitList", "LimitStatus"),
        ("WebhookEndpointList", "WebhookEndpoint"),
        ("DeliveryAttemptList", "DeliveryAttempt"),
        ("AuditList", "AuditRecord"),
        ("EventList", "Event"),
    ] {
        add(name, list(item));
    }
    schemas
}

/// A list page: `{object: "list", data: [item], has_more}`.
fn list(item: &str) -> Value {
    object(
        &["object", "data", "has_more"],
        json!({
            "object": constant("list"),
            "data": array(reference(item)),
            "has_more": boolean(),
        }),
    )
}

/// `{at, amount}` or `{at, credits}`: an instant and an amount.
fn dated(amount_field: &str) -> Value {
    let mut properties = json!({"at": instant()});
    properties[amount_field] = credits();
    object(&["at", amount_field], properties)
}

fn usage() -> Value {
    let count = || integer(0, i64::MAX);
    let mut schema = object(
        &["action", "model"],
        json!({
            "product": {"type": "string", "minLength": 1, "maxLength": tally_core::pricing::ATTRIBUTION_BYTES_MAX},
            "member": {"type": "string", "minLength": 1, "maxLength": tally_core::pricing::ATTRIBUTION_BYTES_MAX},
            "action": one_of(&["chat", "embedding", "image", "video", "speech", "custom"]),
            "model": {"type": "string", "minLength": 1, "maxLength": tally_core::pricing::MODEL_BYTES_MAX},
            "input_tokens": count(),
            "cached_input_tokens": count(),
            "output_tokens": count(),
            "max_output_tokens": count(),
            "width": count(),
            "height": count(),
            "quality": one_of(&["low", "medium", "high", "standard", "hd"]),
            "count": count(),
            "seconds": {"type": "number", "minimum": 0, "description": "At most 3 fraction digits."},
            "characters": count(),
            "units": count(),
        }),
    );
    schema["description"] = json!(
        "A usage descriptor (API.md, Usage descriptors): priced by the rate card's item for its action and model."
    );
    schema
}

fn account() -> Value {
    object(
        &[
            "id",
            "object",
            "name",
            "overdraft_limit",
            "metadata",
            "time_zone",
            "low_balance_threshold",
            "created_at",
            "balance",
        ],
        json!({
            "id": string(),
            "object": constant("account"),
            "name": nullable(string()),
            "overdraft_limit": credits(),
            "metadata": nullable(metadata()),
            "time_zone": string(),
            "low_balance_threshold": nullable(credits()),
            "created_at": instant(),
            "balance": reference("Balance"),
        }),
    )
}

fn balance() -> Value {
    object(
        &[
            "account_id",
            "available",
            "posted",
            "held",
            "overdraft_limit",
            "overdraft_used",
            "grants",
            "next_expiry",
            "plan",
            "next_reset",
        ],
        json!({
            "account_id": string(),
            "available": credits(),
            "posted": credits(),
            "held": credits(),
            "overdraft_limit": credits(),
            "overdraft_used": credits(),
            "grants": array(reference("BalanceGrant")),
            "next_expiry": nullable(dated("amount")),
            "plan": nullable(reference("PlanView")),
            "next_reset": nullable(dated("credits")),
            "forecast": object(
                &["burn_per_day", "runs_out_at", "window_days"],
                json!({
                    "burn_per_day": credits(),
                    "runs_out_at": nullable(instant()),
                    "window_days": {"type": "integer"},
                }),
            ),
        }),
    )
}

fn grant_source() -> Value {
    one_of(&["promo", "adjustment", "plan", "pack"])
}

fn grant_status() -> Value {
    one_of(&["pending", "active", "depleted", "expired", "voided"])
}

fn balance_grant() -> Value {
    object(
        &[
            "id",
            "source",
            "status",
            "remaining",
            "reserved",
            "expires_at",
            "priority",
        ],
        json!({
            "id": string(),
            "source": grant_source(),
            "status": grant_status(),
            "remaining": credits(),
            "reserved": credits(),
            "expires_at": nullable(instant()),
            "priority": {"type": "integer"},
        }),
    )
}

fn plan_view() -> Value {
    object(
        &[
            "id",
            "name",
            "seats",
            "status",
            "period_start",
            "period_end",
            "allowance",
            "allowance_left",
            "allowance_held",
        ],
        json!({
            "id": string(),
            "name": string(),
            "seats": {"type": "integer"},
            "status": subscription_status(),
            "period_start": instant(),
            "period_end": instant(),
            "allowance": credits(),
            "allowance_left": credits(),
            "allowance_held": credits(),
        }),
    )
}

fn grant() -> Value {
    object(
        &[
            "id",
            "object",
            "account_id",
            "amount",
            "remaining",
            "reserved",
            "source",
            "priority",
            "effective_at",
            "expires_at",
            "status",
            "description",
            "metadata",
            "created_at",
        ],
        json!({
            "id": string(),
            "object": constant("grant"),
            "account_id": string(),
            "amount": credits(),
            "remaining": credits(),
            "reserved": credits(),
            "source": grant_source(),
            "priority": {"type": "integer"},
            "effective_at": instant(),
            "expires_at": nullable(instant()),
            "status": grant_status(),
            "description": nullable(string()),
            "metadata": nullable(metadata()),
            "created_at": instant(),
        }),
    )
}

/// What a debit records of who and what it was for (left out when not known).
fn attribution(properties: &mut Value) {
    for name in ["product", "member", "model", "action", "quote_id"] {
        properties[name] = string();
    }
    properties["rate_card_version"] = json!({"type": "integer"});
}

/// What a debit priced from `usage` keeps: the usage, its lines and its cost.
fn priced(properties: &mut Value) {
    properties["usage"] = {
        let mut usage = reference("Usage");
        usage["description"] = json!("The usage it was priced from.");
        usage
    };
    properties["lines"] = array(reference("QuoteLine"));
    properties["cost"] = cost();
}

fn cost() -> Value {
    object(&["min", "max"], json!({"min": credits(), "max": credits()}))
}

fn drawn() -> Value {
    array(object(
        &["grant_id", "amount"],
        json!({"grant_id": string(), "amount": credits()}),
    ))
}

fn charge() -> Value {
    let mut properties = json!({
        "id": string(),
        "object": constant("charge"),
        "account_id": string(),
        "amount": credits(),
        "drawn": drawn(),
        "overdraft": credits(),
        "available_after": credits(),
        "description": nullable(string()),
        "metadata": nullable(metadata()),
        "created_at": instant(),
        "refunded": credits(),
    });
    attribution(&mut properties);
    priced(&mut properties);
    let mut schema = open_object(
        &[
            "id",
            "object",
            "account_id",
            "amount",
            "drawn",
            "overdraft",
            "available_after",
            "description",
            "metadata",
            "created_at",
            "refunded",
        ],
        properties,
    );
    schema["description"] = json!(
        "A charge. One priced from `usage` also carries what priced it (`usage`, `lines`, `cost`, …)."
    );
    schema
}

fn hold() -> Value {
    let mut properties = json!({
        "id": string(),
        "object": constant("hold"),
        "account_id": string(),
        "status": one_of(&["pending", "captured", "voided", "expired"]),
        "amount": credits(),
        "captured": credits(),
        "released": credits(),
        "expires_at": instant(),
        "created_at": instant(),
        "resolved_at": nullable(instant()),
        "description": nullable(string()),
        "metadata": nullable(metadata()),
        "refunded": credits(),
    });
    attribution(&mut properties);
    priced(&mut properties);
    let mut schema = open_object(
        &[
            "id",
            "object",
            "account_id",
            "status",
            "amount",
            "captured",
            "released",
            "expires_at",
            "created_at",
            "resolved_at",
            "description",
            "metadata",
            "refunded",
        ],
        properties,
    );
    schema["description"] = json!(
        "A hold. One made from `usage` also carries what priced it (`usage`, `lines`, `cost`, …)."
    );
    schema
}

fn refund() -> Value {
    object(
        &[
            "id",
            "object",
            "account_id",
            "amount",
            "restored",
            "expired",
            "reason",
            "created_at",
        ],
        json!({
            "id": string(),
            "object": constant("refund"),
            "account_id": string(),
            "charge_id": string(),
            "hold_id": string(),
            "amount": credits(),
            "restored": drawn(),
            "expired": credits(),
            "reason": nullable(string()),
            "created_at": instant(),
        }),
    )
}

/// The types of entries.
pub const ENTRY_TYPES: &[&str] = &[
    "grant",
    "charge",
    "hold",
    "capture",
    "release",
    "expire",
    "void",
    "adjustment",
    "refund",
];

fn entry() -> Value {
    let mut properties = json!({
        "id": string(),
        "object": constant("entry"),
        "account_id": string(),
        "type": one_of(ENTRY_TYPES),
        "amount": credits(),
        "held": credits(),
        "grant_id": string(),
        "hold_id": string(),
        "charge_id": string(),
        "description": string(),
        "grants": array(object(
            &["grant_id", "remaining", "reserved"],
            json!({"grant_id": string(), "remaining": credits(), "reserved": credits()}),
        )),
        "created_at": instant(),
    });
    attribution(&mut properties);
    object(
        &[
            "id",
            "object",
            "account_id",
            "type",
            "amount",
            "held",
            "created_at",
        ],
        properties,
    )
}

/// `GET /v1/accounts/{id}/advice`: the last months' usage and the cheapest way to pay for it.
fn advice() -> Value {
    let usd = || json!({"type": "number", "description": "US dollars, exact to the cent."});
    let by_product = || {
        array(object(
            &["product", "credits"],
            json!({"product": nullable(string()), "credits": credits()}),
        ))
    };
    let choice = object(
        &[
            "plan",
            "plan_name",
            "seats",
            "credits_per_month",
            "overage",
            "packs",
            "pack_credits",
            "plan_usd",
            "packs_usd",
            "cost_usd",
            "months",
        ],
        json!({
            "plan": nullable(string()),
            "plan_name": nullable(string()),
            "seats": {"type": "integer"},
            "credits_per_month": credits(),
            "overage": credits(),
            "packs": array(object(
                &["pack", "name", "count", "credits", "price_usd"],
                json!({
                    "pack": string(),
                    "name": string(),
                    "count": {"type": "integer"},
                    "credits": credits(),
                    "price_usd": usd(),
                }),
            )),
            "pack_credits": credits(),
            "plan_usd": usd(),
            "packs_usd": usd(),
            "cost_usd": usd(),
            "months": {"type": "integer"},
        }),
    );
    object(
        &[
            "object",
            "account_id",
            "time_zone",
            "from",
            "to",
            "months",
            "usage",
            "best",
            "current",
            "savings_usd",
            "exact",
        ],
        json!({
            "object": constant("advice"),
            "account_id": string(),
            "time_zone": string(),
            "from": nullable(instant()),
            "to": nullable(instant()),
            "months": array(object(
                &["from", "to", "credits", "by_product"],
                json!({"from": instant(), "to": instant(), "credits": credits(), "by_product": by_product()}),
            )),
            "usage": object(
                &["credits", "by_product", "members"],
                json!({"credits": credits(), "by_product": by_product(), "members": {"type": "integer"}}),
            ),
            "best": nullable(choice.clone()),
            "current": nullable(choice),
            "savings_usd": nullable(usd()),
            "exact": boolean(),
        }),
    )
}

fn usage_report() -> Value {
    let text = || nullable(string());
    let row = object(
        &["credits", "count"],
        json!({
            "product": text(),
            "model": text(),
            "member": text(),
            "action": text(),
            "day": nullable(json!({"type": "string", "format": "date"})),
            "credits": credits(),
            "count": {"type": "integer"},
        }),
    );
    object(
        &[
            "object",
            "account_id",
            "from",
            "to",
            "time_zone",
            "data",
            "total",
        ],
        json!({
            "object": constant("usage"),
            "account_id": string(),
            "from": instant(),
            "to": instant(),
            "time_zone": string(),
            "data": array(row),
            "total": object(&["credits", "count"], json!({"credits": credits(), "count": {"type": "integer"}})),
        }),
    )
}

fn quote_line() -> Value {
    object(
        &["dimension", "quantity", "unit_price", "amount"],
        json!({
            "dimension": string(),
            "quantity": {"type": "number"},
            "unit_price": {"type": "number", "description": "Credits per unit, exact."},
            "amount": {"type": "number", "description": "Credits, exact (may hold more than 3 fraction digits before rounding)."},
            "tier": string(),
            "quality": string(),
            "upper_bound": boolean(),
        }),
    )
}

fn alternative() -> Value {
    object(
        &["model", "cost"],
        json!({"model": string(), "cost": cost(), "affordable": boolean()}),
    )
}

fn quote() -> Value {
    let mut schema = open_object(
        &[
            "id",
            "object",
            "usage",
            "cost",
            "exact",
            "lines",
            "rate_card_version",
            "created_at",
            "expires_at",
        ],
        json!({
            "id": string(),
            "object": constant("quote"),
            "usage": reference("Usage"),
            "cost": cost(),
            "exact": boolean(),
            "lines": array(reference("QuoteLine")),
            "rate_card_version": {"type": "integer"},
            "created_at": instant(),
            "expires_at": instant(),
            "account": open_object(
                &["id", "available", "affordable", "available_after", "next_reset"],
                json!({
                    "id": string(),
                    "available": credits(),
                    "affordable": boolean(),
                    "available_after": credits(),
                    "next_reset": nullable(dated("credits")),
                }),
            ),
            "alternatives": array(reference("Alternative")),
        }),
    );
    schema["description"] = json!("A quote: the cost of a usage, its price held for 15 minutes.");
    schema
}

fn rate_card() -> Value {
    let mut schema = open_object(
        &["version", "effective_at", "items"],
        json!({
            "version": {"type": "integer"},
            "effective_at": instant(),
            "credits_per_usd": {"type": "number"},
            "items": array(open_object(
                &["action", "model"],
                json!({"action": string(), "model": string()}),
            )),
        }),
    );
    schema["description"] =
        json!("A rate card version: its items price each action and model (see docs/pricing.md).");
    schema
}

fn rate_card_document() -> Value {
    let mut schema = open_object(
        &["items"],
        json!({
            "version": {"type": ["integer", "null"]},
            "effective_at": {"type": ["string", "null"]},
            "credits_per_usd": {"type": ["number", "null"]},
            "items": array(open_object(
                &["action", "model"],
                json!({"action": string(), "model": string()}),
            )),
        }),
    );
    schema["description"] = json!(
        "A rate card document, as `GET /v1/rate-card` returns it; `version` and `effective_at` may be left out."
    );
    schema
}

fn price_usd() -> Value {
    json!({"type": "number", "description": "US dollars, exact."})
}

fn plan() -> Value {
    object(
        &[
            "id",
            "object",
            "name",
            "credits_per_seat",
            "period",
            "price_usd",
            "rollover",
        ],
        json!({
            "id": string(),
            "object": constant("plan"),
            "name": string(),
            "credits_per_seat": credits(),
            "period": constant("month"),
            "price_usd": price_usd(),
            "rollover": {"type": "boolean", "const": false},
        }),
    )
}

fn pack() -> Value {
    object(
        &[
            "id",
            "object",
            "name",
            "credits",
            "price_usd",
            "expires_after_days",
        ],
        json!({
            "id": string(),
            "object": constant("pack"),
            "name": string(),
            "credits": credits(),
            "price_usd": price_usd(),
            "expires_after_days": nullable(json!({"type": "integer"})),
        }),
    )
}

fn subscription_status() -> Value {
    one_of(&["active", "canceling", "canceled"])
}

fn subscription() -> Value {
    object(
        &[
            "object",
            "account_id",
            "plan",
            "plan_name",
            "seats",
            "next_period_seats",
            "status",
            "credits_per_seat",
            "current_period_start",
            "current_period_end",
            "canceled_at",
            "created_at",
        ],
        json!({
            "object": constant("subscription"),
            "account_id": string(),
            "plan": string(),
            "plan_name": string(),
            "seats": {"type": "integer"},
            "next_period_seats": nullable(json!({"type": "integer"})),
            "status": subscription_status(),
            "credits_per_seat": credits(),
            "current_period_start": instant(),
            "current_period_end": instant(),
            "canceled_at": nullable(instant()),
            "created_at": instant(),
        }),
    )
}

fn purchase() -> Value {
    object(
        &[
            "id",
            "object",
            "account_id",
            "pack",
            "credits",
            "price_usd",
            "status",
            "topup",
            "grant_id",
            "grant",
            "payment_reference",
            "checkout_url",
            "created_at",
            "expires_at",
            "completed_at",
            "resolved_at",
        ],
        json!({
            "id": string(),
            "object": constant("purchase"),
            "account_id": string(),
            "pack": string(),
            "credits": credits(),
            "price_usd": price_usd(),
            "status": one_of(&["pending", "completed", "failed", "canceled", "expired"]),
            "topup": boolean(),
            "grant_id": nullable(string()),
            "grant": nullable(reference("Grant")),
            "payment_reference": nullable(string()),
            "checkout_url": nullable(string()),
            "created_at": instant(),
            "expires_at": instant(),
            "completed_at": nullable(instant()),
            "resolved_at": nullable(instant()),
        }),
    )
}

fn auto_topup() -> Value {
    object(
        &[
            "object",
            "account_id",
            "pack",
            "threshold",
            "monthly_max",
            "cooldown_seconds",
            "complete",
            "status",
            "used_this_month",
            "last_attempt_at",
            "consecutive_failures",
            "pending_purchase_id",
            "updated_at",
        ],
        json!({
            "object": constant("auto_topup"),
            "account_id": string(),
            "pack": string(),
            "threshold": credits(),
            "monthly_max": {"type": "integer"},
            "cooldown_seconds": {"type": "integer"},
            "complete": boolean(),
            "status": one_of(&["active", "suspended"]),
            "used_this_month": {"type": "integer"},
            "last_attempt_at": nullable(instant()),
            "consecutive_failures": {"type": "integer"},
            "pending_purchase_id": nullable(string()),
            "updated_at": instant(),
            "deleted": {"type": "boolean", "const": true, "description": "Only on the answer to its removal."},
        }),
    )
}

fn limit_properties() -> Value {
    json!({
        "id": string(),
        "object": constant("limit"),
        "scope": one_of(&["member", "product", "key", "account"]),
        "match": string(),
        "window": one_of(&["day", "month", "period", "total"]),
        "max": credits(),
    })
}

const LIMIT_FIELDS: [&str; 6] = ["id", "object", "scope", "match", "window", "max"];

fn limit() -> Value {
    object(&LIMIT_FIELDS, limit_properties())
}

fn limit_status() -> Value {
    let mut properties = limit_properties();
    properties["used"] = credits();
    properties["remaining"] = credits();
    properties["resets_at"] = nullable(instant());
    properties["by_match"] = array(object(
        &["match", "used", "remaining"],
        json!({"match": string(), "used": credits(), "remaining": credits()}),
    ));
    let mut required = LIMIT_FIELDS.to_vec();
    required.extend(["used", "remaining", "resets_at", "by_match"]);
    object(&required, properties)
}

fn api_key() -> Value {
    object(
        &[
            "id",
            "object",
            "account_id",
            "created_at",
            "last_used_at",
            "revoked_at",
        ],
        json!({
            "id": string(),
            "object": constant("api_key"),
            "key": {"type": "string", "description": "The secret: only in the answer that created it."},
            "account_id": nullable(string()),
            "created_at": instant(),
            "last_used_at": nullable(instant()),
            "revoked_at": nullable(instant()),
        }),
    )
}

fn portal_session() -> Value {
    object(
        &[
            "id",
            "object",
            "account_id",
            "created_at",
            "expires_at",
            "return_url",
        ],
        json!({
            "id": string(),
            "object": constant("portal_session"),
            "url": {"type": "string", "description": "The single-use link: only in the answer that minted it."},
            "account_id": string(),
            "created_at": instant(),
            "expires_at": instant(),
            "return_url": nullable(string()),
        }),
    )
}

/// The fields every event has; `data` depends on its type (see the document's `webhooks`).
pub fn event_with(type_schema: Value, data: Value) -> Value {
    object(
        &[
            "id",
            "object",
            "type",
            "account_id",
            "sequence",
            "created_at",
            "data",
        ],
        json!({
            "id": string(),
            "object": constant("event"),
            "type": type_schema,
            "account_id": string(),
            "sequence": {"type": "integer", "minimum": 1},
            "created_at": instant(),
            "data": data,
        }),
    )
}

fn event() -> Value {
    event_with(
        one_of(tally_core::events::EVENT_TYPES),
        json!({
            "type": "object",
            "additionalProperties": true,
            "description": "The resource the event is about, and the account's `available` right after; per type in `webhooks`.",
        }),
    )
}

fn webhook_endpoint() -> Value {
    object(
        &[
            "id",
            "object",
            "url",
            "events",
            "status",
            "description",
            "created_at",
            "updated_at",
            "previous_secret_expires_at",
        ],
        json!({
            "id": string(),
            "object": constant("webhook_endpoint"),
            "url": string(),
            "events": array(string()),
            "status": one_of(&["enabled", "disabled"]),
            "description": nullable(string()),
            "created_at": instant(),
            "updated_at": instant(),
            "previous_secret_expires_at": nullable(instant()),
            "secret": {"type": "string", "description": "`whsec_…`: only when it was just made (created, rotated)."},
        }),
    )
}

fn deleted_endpoint() -> Value {
    object(
        &["id", "deleted"],
        json!({"id": string(), "deleted": {"type": "boolean", "const": true}}),
    )
}

fn delivery_attempt() -> Value {
    object(
        &[
            "id",
            "event_id",
            "attempt",
            "status_code",
            "ok",
            "error",
            "created_at",
            "next_attempt_at",
        ],
        json!({
            "id": string(),
            "event_id": string(),
            "attempt": {"type": "integer"},
            "status_code": nullable(json!({"type": "integer"})),
            "ok": boolean(),
            "error": nullable(string()),
            "created_at": instant(),
            "next_attempt_at": nullable(instant()),
        }),
    )
}

fn redelivery() -> Value {
    object(
        &["event_id", "endpoints"],
        json!({"event_id": string(), "endpoints": array(string())}),
    )
}

fn batch_results() -> Value {
    let result = object(
        &["status", "replayed", "body"],
        json!({
            "status": {"type": "integer"},
            "replayed": boolean(),
            "body": {
                "description": "What the operation's route would have answered: its resource, or a problem document.",
                "anyOf": [reference("Problem"), {"type": "object", "additionalProperties": true}],
            },
        }),
    );
    object(&["results"], json!({"results": array(result)}))
}

fn clock() -> Value {
    object(&["now"], json!({"now": instant()}))
}

fn health() -> Value {
    object(&["status"], json!({"status": one_of(&["ok", "ready"])}))
}

fn stripe_receipt() -> Value {
    object(
        &["received", "action", "purchase_id"],
        json!({
            "received": {"type": "boolean", "const": true},
            "action": string(),
            "purchase_id": nullable(string()),
            "reason": string(),
        }),
    )
}
