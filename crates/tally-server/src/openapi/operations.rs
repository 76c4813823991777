//! What the route table does not say about each route, and the document does: its operation
//! id, the status and schema of its success, its query parameters, and the links a client
//! (or schemathesis's stateful phase) follows from its answer. One row per route of
//! `ROUTES`, found by method and path: a route without a row is documented without its
//! answer, and the tests of `openapi/` fail until it has one.

use serde_json::{Value, json};

use crate::schema::{instant, integer, one_of, string};

/// What a route answers when it succeeds.
#[derive(Clone, Copy, Debug)]
pub enum Answer {
    /// JSON, of this component schema.
    Json(&'static str),
    /// A JSON array of this component schema.
    JsonArray(&'static str),
    /// Prometheus's text format.
    Text,
    /// A page for people.
    Html,
    /// An OpenAPI document.
    Document,
}

/// One route's row.
#[derive(Clone, Copy, Debug)]
pub struct Operation {
    pub method: &'static str,
    pub path: &'static str,
    pub id: &'static str,
    pub status: u16,
    pub answer: Answer,
    pub query: &'static [&'static str],
    /// Links from the answer: (name, operation id, the path `id` from this JSON pointer).
    pub links: &'static [(&'static str, &'static str, &'static str)],
}

const PAGE: &[&str] = &["limit", "starting_after"];
const PAGE_STATUS: &[&str] = &["limit", "starting_after", "status"];

macro_rules! operations {
    ($($method:literal $path:literal $id:literal $status:literal $answer:expr, [$($query:expr)?], [$(($name:literal, $op:literal, $pointer:literal)),*];)*) => {
        /// Every route's row, in the order of `ROUTES`.
        pub const OPERATIONS: &[Operation] = &[
            $(Operation {
                method: $method,
                path: $path,
                id: $id,
                status: $status,
                answer: $answer,
                query: operations!(@query $($query)?),
                links: &[$(($name, $op, $pointer)),*],
            },)*
        ];
    };
    (@query) => { &[] };
    (@query $query:expr) => { $query };
}

use Answer::{Document, Html, Json, JsonArray, Text};

operations! {
    "POST" "/v1/accounts" "createAccount" 201 Json("Account"), [], [
        ("GetAccount", "getAccount", "/id"), ("CreateGrant", "createGrant", "/id"),
        ("CreateCharge", "createCharge", "/id"), ("CreateHold", "createHold", "/id"),
        ("GetBalance", "getBalance", "/id"), ("ListEntries", "listEntries", "/id")];
    "GET" "/v1/accounts" "listAccounts" 200 Json("AccountList"), [PAGE], [];
    "GET" "/v1/accounts/{id}" "getAccount" 200 Json("Account"), [], [];
    "PATCH" "/v1/accounts/{id}" "updateAccount" 200 Json("Account"), [], [];
    "PUT" "/v1/accounts/{id}/limits" "putLimits" 200 Json("LimitList"), [], [];
    "GET" "/v1/accounts/{id}/limits" "getLimits" 200 Json("LimitList"), [], [];
    "GET" "/v1/accounts/{id}/balance" "getBalance" 200 Json("Balance"), [], [];
    "POST" "/v1/accounts/{id}/grants" "createGrant" 201 Json("Grant"), [], [
        ("GetGrant", "getGrant", "/id"), ("VoidGrant", "voidGrant", "/id"),
        ("CreateHold", "createHold", "/account_id"), ("CreateCharge", "createCharge", "/account_id")];
    "GET" "/v1/accounts/{id}/grants" "listGrants" 200 Json("GrantList"), [PAGE_STATUS], [];
    "GET" "/v1/grants/{id}" "getGrant" 200 Json("Grant"), [], [];
    "POST" "/v1/grants/{id}/void" "voidGrant" 200 Json("Grant"), [], [];
    "POST" "/v1/accounts/{id}/charges" "createCharge" 201 Json("Charge"), [], [
        ("GetCharge", "getCharge", "/id"), ("RefundCharge", "refundCharge", "/id")];
    "GET" "/v1/accounts/{id}/charges" "listCharges" 200 Json("ChargeList"), [PAGE], [];
    "GET" "/v1/charges/{id}" "getCharge" 200 Json("Charge"), [], [];
    "POST" "/v1/accounts/{id}/holds" "createHold" 201 Json("Hold"), [], [
        ("GetHold", "getHold", "/id"), ("CaptureHold", "captureHold", "/id"),
        ("VoidHold", "voidHold", "/id"), ("ExtendHold", "extendHold", "/id")];
    "GET" "/v1/accounts/{id}/holds" "listHolds" 200 Json("HoldList"), [PAGE_STATUS], [];
    "GET" "/v1/holds/{id}" "getHold" 200 Json("Hold"), [], [];
    "POST" "/v1/holds/{id}/capture" "captureHold" 200 Json("Hold"), [], [
        ("RefundHold", "refundHold", "/id"), ("GetHold", "getHold", "/id")];
    "POST" "/v1/holds/{id}/void" "voidHold" 200 Json("Hold"), [], [];
    "POST" "/v1/holds/{id}/extend" "extendHold" 200 Json("Hold"), [], [
        ("CaptureHold", "captureHold", "/id")];
    "POST" "/v1/charges/{id}/refunds" "refundCharge" 201 Json("Refund"), [], [];
    "POST" "/v1/holds/{id}/refunds" "refundHold" 201 Json("Refund"), [], [];
    "GET" "/v1/accounts/{id}/entries" "listEntries" 200 Json("EntryList"), [&["limit", "starting_after", "type", "product", "from", "to"]], [];
    "GET" "/v1/accounts/{id}/usage" "getUsage" 200 Json("UsageReport"), [&["from", "to", "group_by"]], [];
    "GET" "/v1/accounts/{id}/advice" "getAdvice" 200 Json("Advice"), [], [];
    "POST" "/v1/quotes" "createQuote" 200 Json("Quote"), [], [];
    "GET" "/v1/rate-card" "getRateCard" 200 Json("RateCard"), [], [];
    "PUT" "/v1/rate-card" "putRateCard" 200 Json("RateCard"), [], [];
    "GET" "/v1/rate-card/versions/{version}" "getRateCardVersion" 200 Json("RateCard"), [], [];
    "GET" "/v1/plans" "listPlans" 200 JsonArray("Plan"), [], [];
    "GET" "/v1/packs" "listPacks" 200 JsonArray("Pack"), [], [];
    "PUT" "/v1/accounts/{id}/subscription" "putSubscription" 200 Json("Subscription"), [], [];
    "GET" "/v1/accounts/{id}/subscription" "getSubscription" 200 Json("Subscription"), [], [];
    "DELETE" "/v1/accounts/{id}/subscription" "cancelSubscription" 200 Json("Subscription"), [], [];
    "PUT" "/v1/accounts/{id}/auto-topup" "putAutoTopup" 200 Json("AutoTopup"), [], [];
    "GET" "/v1/accounts/{id}/auto-topup" "getAutoTopup" 200 Json("AutoTopup"), [], [];
    "DELETE" "/v1/accounts/{id}/auto-topup" "deleteAutoTopup" 200 Json("AutoTopup"), [], [];
    "POST" "/v1/accounts/{id}/purchases" "createPurchase" 201 Json("Purchase"), [], [
        ("GetPurchase", "getPurchase", "/id"), ("CompletePurchase", "completePurchase", "/id"),
        ("FailPurchase", "failPurchase", "/id"), ("CancelPurchase", "cancelPurchase", "/id")];
    "GET" "/v1/accounts/{id}/purchases" "listPurchases" 200 Json("PurchaseList"), [PAGE_STATUS], [];
    "GET" "/v1/purchases" "listAllPurchases" 200 Json("PurchaseList"), [PAGE_STATUS], [];
    "GET" "/v1/purchases/{id}" "getPurchase" 200 Json("Purchase"), [], [];
    "POST" "/v1/purchases/{id}/complete" "completePurchase" 200 Json("Purchase"), [], [];
    "POST" "/v1/purchases/{id}/fail" "failPurchase" 200 Json("Purchase"), [], [];
    "POST" "/v1/purchases/{id}/cancel" "cancelPurchase" 200 Json("Purchase"), [], [];
    "POST" "/v1/integrations/stripe/webhook" "stripeWebhook" 200 Json("StripeReceipt"), [], [];
    "POST" "/v1/accounts/{id}/keys" "createKey" 201 Json("ApiKey"), [], [];
    "GET" "/v1/accounts/{id}/keys" "listKeys" 200 Json("ApiKeyList"), [PAGE], [];
    "DELETE" "/v1/keys/{id}" "revokeKey" 200 Json("ApiKey"), [], [];
    "POST" "/v1/accounts/{id}/portal-sessions" "createPortalSession" 201 Json("PortalSession"), [], [];
    "GET" "/v1/events" "listEvents" 200 Json("EventList"), [&["type", "account_id", "limit", "starting_after"]], [];
    "GET" "/v1/events/{id}" "getEvent" 200 Json("Event"), [], [];
    "POST" "/v1/events/{id}/redeliver" "redeliverEvent" 202 Json("Redelivery"), [], [];
    "POST" "/v1/webhook-endpoints" "createWebhookEndpoint" 201 Json("WebhookEndpoint"), [], [
        ("GetWebhookEndpoint", "getWebhookEndpoint", "/id")];
    "GET" "/v1/webhook-endpoints" "listWebhookEndpoints" 200 Json("WebhookEndpointList"), [PAGE], [];
    "GET" "/v1/webhook-endpoints/{id}" "getWebhookEndpoint" 200 Json("WebhookEndpoint"), [], [];
    "PATCH" "/v1/webhook-endpoints/{id}" "updateWebhookEndpoint" 200 Json("WebhookEndpoint"), [], [];
    "DELETE" "/v1/webhook-endpoints/{id}" "deleteWebhookEndpoint" 200 Json("DeletedWebhookEndpoint"), [], [];
    "POST" "/v1/webhook-endpoints/{id}/rotate-secret" "rotateWebhookSecret" 200 Json("WebhookEndpoint"), [], [];
    "GET" "/v1/webhook-endpoints/{id}/deliveries" "listDeliveries" 200 Json("DeliveryAttemptList"), [PAGE], [];
    "POST" "/v1/batch" "batch" 200 Json("BatchResults"), [], [];
    "GET" "/v1/clock" "getClock" 200 Json("Clock"), [], [];
    "POST" "/v1/clock" "moveClock" 200 Json("Clock"), [], [];
    "GET" "/v1/audit" "listAudit" 200 Json("AuditList"), [PAGE], [];
    "GET" "/healthz" "healthz" 200 Json("Health"), [], [];
    "GET" "/readyz" "readyz" 200 Json("Health"), [], [];
    "GET" "/metrics" "metrics" 200 Text, [], [];
    "GET" "/openapi.json" "openapi" 200 Document, [], [];
    "GET" "/errors" "listErrorCodes" 200 Html, [], [];
    "GET" "/errors/{code}" "getErrorCode" 200 Html, [], [];
}

/// The row of a route.
pub fn find(method: &str, path: &str) -> Option<&'static Operation> {
    OPERATIONS
        .iter()
        .find(|operation| operation.method == method && operation.path == path)
}

/// The schema and description of a query parameter of the route at `path`.
pub fn query_parameter(path: &str, name: &str) -> (Value, &'static str) {
    match name {
        "limit" => (
            integer(1, super::super::routes::PAGE_ITEMS_MAX as i64),
            "The most items of the page (default 100).",
        ),
        "starting_after" => (
            string(),
            "The id of the last item of the previous page: this page starts after it.",
        ),
        "status" if path.ends_with("/grants") => (
            one_of(&["pending", "active", "depleted", "expired", "voided"]),
            "Only the grants in this status.",
        ),
        "status" if path.ends_with("/holds") => (
            one_of(&["pending", "captured", "voided", "expired"]),
            "Only the holds in this status.",
        ),
        "status" => (
            one_of(&["pending", "completed", "failed", "canceled", "expired"]),
            "Only the purchases in this status.",
        ),
        "type" if path == "/v1/events" => (
            one_of(tally_core::events::EVENT_TYPES),
            "Only the events of this type.",
        ),
        "type" => (
            one_of(super::components::ENTRY_TYPES),
            "Only the entries of this type.",
        ),
        "account_id" => (
            string(),
            "Only this account's (an account key sees its own only).",
        ),
        "product" => (string(), "Only the entries of this product."),
        "from" if path.ends_with("/usage") => (
            json!({"anyOf": [instant(), {"type": "string", "format": "date"}]}),
            "The start: an RFC 3339 instant or a date (default: the current period's start, or 30 days ago).",
        ),
        "to" if path.ends_with("/usage") => (
            json!({"anyOf": [instant(), {"type": "string", "format": "date"}]}),
            "The end (excluded): an RFC 3339 instant, or a date (through its end; default: now).",
        ),
        "from" => (instant(), "Only the entries at or after this instant."),
        "to" => (instant(), "Only the entries before this instant."),
        "group_by" => (
            json!({"type": "string", "pattern": "^[\\s\\u0085]*(product|model|member|action|day)?[\\s\\u0085]*(,[\\s\\u0085]*(product|model|member|action|day)?[\\s\\u0085]*)*$"}),
            "Comma-separated: any of product, model, member, action, day (days in UTC); empty names are skipped, none at all is one group.",
        ),
        other => panic!("openapi: no schema for the query parameter {other} of {path}"),
    }
}
