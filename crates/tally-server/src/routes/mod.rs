//! The routes of API.md. [`ROUTES`] is the one table of them: it builds the router, the
//! OpenAPI document, and the tests that walk every route with every kind of key.

pub mod accounts;
pub mod advice;
pub mod allowed;
pub mod audit;
pub mod batch;
pub mod cheaper;
pub mod debits;
pub mod error_pages;
pub mod events;
pub mod keys;
pub mod limits;
pub mod lists;
pub mod ops;
pub mod plans;
pub mod portal;
pub mod pricing;
pub mod purchases;
pub mod stripe;
pub mod topup;
pub mod webhooks;
pub mod write;

use std::collections::HashMap;

use axum::Router;
use axum::routing::{MethodRouter, delete, get, patch, post, put};

use crate::error::ApiError;
use crate::state::AppState;
use tally_store::PageRequest;

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// No key needed.
    Public,
    /// Admin keys only; account keys get 403.
    Admin,
    /// Admin keys, and account keys on their own account (others: 404).
    Account,
    /// Any valid key (nothing account-specific).
    AnyKey,
}

/// One route: method, path (axum syntax), who may call it, what it does, and its body.
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
    pub summary: &'static str,
    /// What the route's body may hold (`None`: the route reads no body).
    pub body: Option<BodyFields>,
}

/// A route's body, as its request type states it: for the OpenAPI document.
#[derive(Clone, Copy, Debug)]
pub struct BodyFields {
    /// The fields it may hold; any other is refused.
    pub fields: &'static [&'static str],
    /// Whether the route takes an `Idempotency-Key`.
    pub idempotent: bool,
    /// The body's JSON Schema ([`write::RequestBody::schema`]).
    pub schema: fn() -> serde_json::Value,
}

impl BodyFields {
    const fn of<T: write::RequestBody>() -> Option<Self> {
        Some(BodyFields {
            fields: T::FIELDS,
            idempotent: T::IDEMPOTENT,
            schema: T::schema,
        })
    }
}

/// The [`BodyFields`] of a route's request type, if it names one.
macro_rules! body_of {
    () => {
        None
    };
    ($body:ty) => {
        BodyFields::of::<$body>()
    };
}

macro_rules! routes {
    ($($method:literal $path:literal $access:ident $summary:literal $([$body:ty])? => $handler:expr;)*) => {
        /// Every route, in the order of API.md, with the request type of each route that
        /// reads a body (the one its handler's `WriteRequest` names).
        pub const ROUTES: &[Route] = &[
            $(Route {
                method: $method,
                path: $path,
                access: Access::$access,
                summary: $summary,
                body: body_of!($($body)?),
            },)*
        ];

        /// The router for [`ROUTES`].
        pub fn router() -> Router<AppState> {
            let mut by_path: Vec<(&'static str, MethodRouter<AppState>)> = Vec::new();
            $(
                let handler: MethodRouter<AppState> = $handler;
                match by_path.iter_mut().find(|(path, _)| *path == $path) {
                    Some((_, existing)) => *existing = std::mem::take(existing).merge(handler),
                    None => by_path.push(($path, handler)),
                }
            )*
            by_path.into_iter().fold(Router::new(), |router, (path, handler)| router.route(path, handler))
        }
    };
}

routes! {
    "POST" "/v1/accounts" Admin "Create an account" [accounts::CreateAccountRequest] => post(accounts::create_account);
    "GET" "/v1/accounts" Admin "List accounts" => get(accounts::list_accounts);
    "GET" "/v1/accounts/{id}" Account "Get an account with its balance" => get(accounts::get_account);
    "PATCH" "/v1/accounts/{id}" Admin "Change an account's name, overdraft limit, metadata, time zone or low balance threshold" [accounts::UpdateAccountRequest] => patch(accounts::update_account);
    "PUT" "/v1/accounts/{id}/limits" Admin "Replace the account's spend limits" [limits::PutLimitsRequest] => put(limits::put_limits);
    "GET" "/v1/accounts/{id}/limits" Account "The account's spend limits, with used, remaining and resets_at" => get(limits::get_limits);
    "GET" "/v1/accounts/{id}/balance" Account "Get an account's balance" => get(accounts::get_balance);
    "POST" "/v1/accounts/{id}/grants" Admin "Grant credits" [accounts::CreateGrantRequest] => post(accounts::create_grant);
    "GET" "/v1/accounts/{id}/grants" Account "List an account's grants" => get(accounts::list_grants);
    "GET" "/v1/grants/{id}" Account "Get a grant" => get(accounts::get_grant);
    "POST" "/v1/grants/{id}/void" Admin "Void a grant" [write::Empty<write::AdminOn>] => post(accounts::void_grant);
    "POST" "/v1/accounts/{id}/charges" Account "Charge credits" [debits::ChargeRequest] => post(debits::create_charge);
    "GET" "/v1/accounts/{id}/charges" Account "List an account's charges" => get(lists::list_charges);
    "GET" "/v1/charges/{id}" Account "Get a charge" => get(debits::get_charge);
    "POST" "/v1/accounts/{id}/holds" Account "Hold credits" [debits::HoldRequest] => post(debits::create_hold);
    "GET" "/v1/accounts/{id}/holds" Account "List an account's holds (`?status=pending`)" => get(lists::list_holds);
    "GET" "/v1/holds/{id}" Account "Get a hold" => get(debits::get_hold);
    "POST" "/v1/holds/{id}/capture" Account "Capture a hold" [debits::CaptureRequest] => post(debits::capture_hold);
    "POST" "/v1/holds/{id}/void" Account "Void a hold" [write::Empty<debits::VisibleHold>] => post(debits::void_hold);
    "POST" "/v1/holds/{id}/extend" Account "Extend a hold: reserve more, or live longer" [debits::ExtendRequest] => post(debits::extend_hold);
    "POST" "/v1/charges/{id}/refunds" Account "Refund a charge" [debits::RefundRequest<debits::VisibleCharge>] => post(debits::refund_charge);
    "POST" "/v1/holds/{id}/refunds" Account "Refund what a hold captured" [debits::RefundRequest<debits::VisibleHold>] => post(debits::refund_hold);
    "GET" "/v1/accounts/{id}/entries" Account "List ledger entries" => get(accounts::list_entries);
    "GET" "/v1/accounts/{id}/usage" Account "Usage analytics: credits and actions per group" => get(accounts::get_usage);
    "POST" "/v1/quotes" AnyKey "Price a usage before committing" [pricing::QuoteRequest] => post(pricing::create_quote);
    "GET" "/v1/rate-card" AnyKey "The current rate card" => get(pricing::get_rate_card);
    "PUT" "/v1/rate-card" Admin "Install a new rate card version" [pricing::PutRateCardRequest] => put(pricing::put_rate_card);
    "GET" "/v1/rate-card/versions/{version}" AnyKey "A rate card version" => get(pricing::get_rate_card_version);
    "GET" "/v1/plans" AnyKey "List the plans on sale" => get(plans::list_plans);
    "GET" "/v1/packs" AnyKey "List the credit packs on sale" => get(plans::list_packs);
    "PUT" "/v1/accounts/{id}/subscription" Account "Start or change the plan" [plans::SubscribeRequest] => put(plans::put_subscription);
    "GET" "/v1/accounts/{id}/subscription" Account "Get the subscription" => get(plans::get_subscription);
    "GET" "/v1/accounts/{id}/advice" Account "Plan advice: the cheapest plan, seats and packs for the last months' usage" => get(advice::get_advice);
    "DELETE" "/v1/accounts/{id}/subscription" Account "Cancel at the period's end" => delete(plans::delete_subscription);
    "PUT" "/v1/accounts/{id}/auto-topup" Admin "Set the auto top-up: a pack bought when the balance runs low" [topup::AutoTopupRequest] => put(topup::put_auto_topup);
    "GET" "/v1/accounts/{id}/auto-topup" Admin "Get the auto top-up" => get(topup::get_auto_topup);
    "DELETE" "/v1/accounts/{id}/auto-topup" Admin "Remove the auto top-up" => delete(topup::delete_auto_topup);
    "POST" "/v1/accounts/{id}/purchases" Account "Buy a credit pack (account keys: pending until paid)" [purchases::PurchaseRequest] => post(purchases::create_purchase);
    "GET" "/v1/accounts/{id}/purchases" Account "List the account's purchases" => get(purchases::list_purchases);
    "GET" "/v1/purchases" Admin "List every account's purchases (?status=pending: what awaits payment)" => get(purchases::list_all_purchases);
    "GET" "/v1/purchases/{id}" Account "Get a purchase" => get(purchases::get_purchase);
    "POST" "/v1/purchases/{id}/complete" Admin "Complete a pending purchase: its grant, exactly once" [purchases::CompleteRequest] => post(purchases::complete_purchase);
    "POST" "/v1/purchases/{id}/fail" Admin "Fail a pending purchase" [write::Empty<write::AdminOn>] => post(purchases::fail_purchase);
    "POST" "/v1/purchases/{id}/cancel" Admin "Cancel a pending purchase" [write::Empty<write::AdminOn>] => post(purchases::cancel_purchase);
    "POST" "/v1/integrations/stripe/webhook" Public "Stripe Checkout events (signed; on with --stripe-webhook-secret)" [stripe::StripeEvent] => post(stripe::webhook);
    "POST" "/v1/accounts/{id}/keys" Admin "Create an account key" [write::Empty<write::AdminOn>] => post(keys::create_key);
    "GET" "/v1/accounts/{id}/keys" Admin "List an account's keys" => get(keys::list_keys);
    "DELETE" "/v1/keys/{id}" Admin "Revoke a key" => delete(keys::revoke_key);
    "POST" "/v1/accounts/{id}/portal-sessions" Account "Mint a single-use link that signs its visitor in to the account's dashboard" [portal::PortalSessionRequest] => post(portal::create_portal_session);
    "GET" "/v1/events" AnyKey "List events, newest first (account keys: their account's)" => get(events::list_events);
    "GET" "/v1/events/{id}" Account "Get an event" => get(events::get_event);
    "POST" "/v1/events/{id}/redeliver" Admin "Deliver an event again to its webhook endpoints" [events::RedeliverRequest] => post(events::redeliver_event);
    "POST" "/v1/webhook-endpoints" Admin "Create a webhook endpoint (its secret is shown only here)" [webhooks::CreateEndpointRequest] => post(webhooks::create_endpoint);
    "GET" "/v1/webhook-endpoints" Admin "List webhook endpoints" => get(webhooks::list_endpoints);
    "GET" "/v1/webhook-endpoints/{id}" Admin "Get a webhook endpoint" => get(webhooks::get_endpoint);
    "PATCH" "/v1/webhook-endpoints/{id}" Admin "Change a webhook endpoint: url, events, description, status" [webhooks::UpdateEndpointRequest] => patch(webhooks::update_endpoint);
    "DELETE" "/v1/webhook-endpoints/{id}" Admin "Delete a webhook endpoint" => delete(webhooks::delete_endpoint);
    "POST" "/v1/webhook-endpoints/{id}/rotate-secret" Admin "Rotate the signing secret (the old one signs too for 24 h)" [webhooks::RotateRequest] => post(webhooks::rotate_secret);
    "GET" "/v1/webhook-endpoints/{id}/deliveries" Admin "The log of an endpoint's delivery attempts" => get(webhooks::list_deliveries);
    "GET" "/v1/audit" Admin "The audit log of admin actions: who did what to which id, newest first" => get(audit::list_audit);
    "POST" "/v1/batch" AnyKey "Apply up to 1,000 write operations in one engine batch" [batch::BatchRequest] => post(batch::batch);
    "GET" "/v1/clock" Admin "Read the test clock" => get(ops::get_clock);
    "POST" "/v1/clock" Admin "Move the test clock" [ops::MoveClockRequest] => post(ops::move_clock);
    "GET" "/healthz" Public "The process is up" => get(ops::healthz);
    "GET" "/readyz" Public "The store is reachable" => get(ops::readyz);
    "GET" "/metrics" Public "Prometheus metrics" => get(ops::metrics);
    "GET" "/openapi.json" Public "This API's OpenAPI 3.1 document" => get(ops::openapi);
    "GET" "/errors" Public "Every error code (the page a problem's `type` names)" => get(error_pages::index);
    "GET" "/errors/{code}" Public "What an error code means and what to do" => get(error_pages::code);
}

/// The most items a list page may hold.
pub const PAGE_ITEMS_MAX: usize = 1000;

/// The items a list page holds by default.
pub const PAGE_ITEMS_DEFAULT: usize = 100;

/// Reads `limit` and `starting_after` from a query.
pub fn page_request(query: &HashMap<String, String>) -> Result<PageRequest, ApiError> {
    let limit = match query.get("limit") {
        None => PAGE_ITEMS_DEFAULT,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|limit| (1..=PAGE_ITEMS_MAX).contains(limit))
            .ok_or_else(|| {
                ApiError::invalid_request(
                    "limit",
                    format!("limit must be from 1 to {PAGE_ITEMS_MAX}"),
                )
            })?,
    };
    let starting_after = query
        .get("starting_after")
        .filter(|id| !id.is_empty())
        .cloned();
    Ok(PageRequest {
        limit,
        starting_after,
    })
}

/// Refuses query parameters a route does not know.
pub fn known_query(query: &HashMap<String, String>, known: &[&str]) -> Result<(), ApiError> {
    match query.keys().find(|key| !known.contains(&key.as_str())) {
        None => Ok(()),
        Some(key) => Err(ApiError::invalid_request(
            key,
            format!("unknown query parameter `{key}`"),
        )),
    }
}
