//! Events: what an account's changes tell the platform. The core decides which events a change
//! causes; the engine writes them in the same batch as the change (an outbox), and the API
//! renders and delivers them.

/// Every event type, as named on the wire. A webhook endpoint subscribes to some of them (or
/// all); the events list filters by one.
pub const EVENT_TYPES: &[&str] = &[
    "balance.low",
    "balance.depleted",
    "grant.created",
    "grant.expiring",
    "grant.expired",
    "hold.expired",
    "purchase.created",
    "purchase.completed",
    "purchase.failed",
    "purchase.expired",
    "topup.requested",
    "topup.suspended",
    "subscription.renewed",
    "subscription.changed",
    "refund.created",
    "limit.reached",
];

/// Whether `name` is an event type.
pub fn is_event_type(name: &str) -> bool {
    EVENT_TYPES.contains(&name)
}
