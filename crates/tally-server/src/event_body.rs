//! The JSON body of an event: `{id, type, account_id, sequence, created_at, data}`, rendered
//! once, when the engine decides the event, and then served and delivered byte for byte (a
//! webhook's signature covers exactly these bytes). `data` carries the resource the event is
//! about, in the shape its own route answers, and the account's `available` right after.

use serde_json::{Value, json};
use tally_core::Millicredits;
use tally_core::events::{Event, EventKind};

use crate::render::{self, credits, instant};

/// The renderer the engine is started with.
pub fn renderer() -> tally_engine::EventRenderer {
    std::sync::Arc::new(render_event)
}

/// An event's body.
pub fn render_event(event: &Event) -> String {
    let mut data = data(&event.kind);
    data["available"] = credits(event.available);
    json!({
        "id": event.id,
        "object": "event",
        "type": event.kind.type_name(),
        "account_id": event.account_id,
        "sequence": event.sequence,
        "created_at": instant(event.at),
        "data": data,
    })
    .to_string()
}

fn data(kind: &EventKind) -> Value {
    match kind {
        EventKind::BalanceLow { threshold } => json!({ "threshold": credits(*threshold) }),
        EventKind::BalanceDepleted { refused } => json!({
            "reason": if refused.is_some() { "debit_refused" } else { "reached_zero" },
            "refused_amount": refused.map(credits),
        }),
        EventKind::GrantCreated { grant } => json!({ "grant": render::grant(grant) }),
        EventKind::GrantExpiring { grant } => json!({
            "grant": render::grant(grant),
            "expires_at": grant.expires_at.map(instant),
            "remaining": credits(grant.remaining),
        }),
        EventKind::GrantExpired { grant, expired } => json!({
            "grant": render::grant(grant),
            "expired": credits(*expired),
        }),
        EventKind::HoldExpired { hold } => json!({ "hold": render::hold(hold) }),
        EventKind::PurchaseCreated { purchase }
        | EventKind::PurchaseFailed { purchase }
        | EventKind::PurchaseExpired { purchase } => {
            json!({ "purchase": render::purchase(purchase, None) })
        }
        EventKind::PurchaseCompleted { purchase, grant } => {
            json!({ "purchase": render::purchase(purchase, Some(grant)) })
        }
        EventKind::TopupRequested {
            purchase,
            threshold,
        } => json!({
            "purchase": render::purchase(purchase, None),
            "threshold": credits(*threshold),
        }),
        EventKind::TopupSuspended { topup } => {
            json!({ "auto_topup": render::auto_topup(topup, false) })
        }
        EventKind::SubscriptionRenewed {
            subscription,
            grant,
        } => json!({
            "subscription": render::subscription(subscription),
            "grant": grant.as_deref().map(render::grant),
        }),
        EventKind::SubscriptionChanged { subscription } => {
            json!({ "subscription": render::subscription(subscription) })
        }
        EventKind::RefundCreated { refund } => json!({ "refund": render::refund(refund) }),
        EventKind::LimitReached {
            limit_id,
            scope,
            matches,
            value,
            window,
            max,
            used,
            resets_at,
            refused,
        } => json!({
            "limit": {
                "id": limit_id,
                "object": "limit",
                "scope": scope,
                "match": matches,
                "window": window,
                "max": credits(*max),
            },
            "value": value,
            "used": credits(*used),
            "remaining": credits(Millicredits::new((max.get() - used.get()).max(0))),
            "resets_at": resets_at.map(instant),
            "reason": if refused.is_some() { "debit_refused" } else { "reached" },
            "refused_amount": refused.map(credits),
        }),
    }
}
