//! `GET /v1/accounts/{id}/advice`: what the last months' usage would have cost on each way of
//! paying the catalog sells, and the cheapest (the rule is the core's,
//! [`tally_core::advice`]; docs/advice.md). This file only reads the months' usage and renders
//! the answer.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};
use tally_core::Millicredits;
use tally_core::advice::{self, AdviceError, AdviceRequest, CENTS_PER_USD, Choice};
use tally_core::catalog::Catalog;
use tally_store::UsageDimension;

use super::known_query;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::render::{self, credits, decimal_number};
use crate::reply::json_response;
use crate::state::AppState;

/// Cents as a JSON number of US dollars, exact and short (`11500` → `115`, `1990` → `19.9`).
fn usd(cents: i64) -> Value {
    let sign = if cents < 0 { "-" } else { "" };
    let magnitude = cents.unsigned_abs();
    let per_usd = CENTS_PER_USD.unsigned_abs();
    let (dollars, rest) = (magnitude / per_usd, magnitude % per_usd);
    let text = match rest {
        0 => format!("{sign}{dollars}"),
        rest => format!("{sign}{dollars}.{rest:02}")
            .trim_end_matches('0')
            .to_string(),
    };
    decimal_number(&text)
}

/// A way of paying, with its figures.
fn choice_json(catalog: &Catalog, choice: &Choice, months: usize) -> Value {
    let plan = choice.plan_id.as_deref().and_then(|id| catalog.plan(id));
    let packs: Vec<Value> = choice
        .packs
        .iter()
        .filter_map(|counted| {
            let pack = catalog.pack(&counted.pack_id)?;
            Some(json!({
                "pack": pack.id,
                "name": pack.name,
                "count": counted.count,
                "credits": credits(pack.credits),
                "price_usd": decimal_number(&pack.price_usd),
            }))
        })
        .collect();
    json!({
        "plan": choice.plan_id,
        "plan_name": plan.map(|plan| plan.name.clone()),
        "seats": choice.seats,
        "credits_per_month": credits(choice.allowance),
        "overage": credits(choice.overage),
        "packs": packs,
        "pack_credits": credits(choice.pack_credits),
        "plan_usd": usd(choice.plan_cents),
        "packs_usd": usd(choice.pack_cents),
        "cost_usd": usd(choice.cents()),
        "months": months,
    })
}

/// Credits by product, largest first (then by name; spending without a product is `null`).
fn by_product(products: &BTreeMap<Option<String>, i64>) -> Value {
    let mut rows: Vec<(&Option<String>, &i64)> = products.iter().collect();
    rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    Value::Array(
        rows.into_iter()
            .map(|(product, spent)| json!({"product": product, "credits": credits(Millicredits::new(*spent))}))
            .collect(),
    )
}

pub async fn get_advice(
    State(state): State<AppState>,
    principal: Principal,
    Path(account_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    principal.require_account(&account_id)?;
    known_query(&query, &[])?;
    let row = state
        .store
        .account(&account_id)?
        .ok_or(ApiError::NotFound { what: "account" })?;
    let subscription = state.store.subscription(&account_id)?;
    let zone = tally_core::zone::time_zone_or_utc(&row.account.settings.time_zone);
    let now = state.clock.now();
    let windows = advice::advice_months(row.account.created_at, now, &zone);
    // Past months do not change (but for a refund): each is read on its own.
    let mut months = Vec::with_capacity(windows.len());
    let mut month_totals = Vec::with_capacity(windows.len());
    let mut members = BTreeSet::new();
    let mut products: BTreeMap<Option<String>, i64> = BTreeMap::new();
    for (from, to) in &windows {
        let groups = state.store.usage(
            &account_id,
            *from,
            *to,
            &[UsageDimension::Product, UsageDimension::Member],
        )?;
        let mut month_products: BTreeMap<Option<String>, i64> = BTreeMap::new();
        let mut total = 0i64;
        for (group, delta) in groups {
            let product = group.product.filter(|product| !product.is_empty());
            if let Some(member) = group.member.filter(|member| !member.is_empty())
                && delta.credits.is_positive()
            {
                members.insert(member);
            }
            *month_products.entry(product.clone()).or_default() += delta.credits.get();
            *products.entry(product).or_default() += delta.credits.get();
            total += delta.credits.get();
        }
        months.push(json!({
            "from": render::instant(*from),
            "to": render::instant(*to),
            "credits": credits(Millicredits::new(total)),
            "by_product": by_product(&month_products),
        }));
        month_totals.push(Millicredits::new(total));
    }
    let current = subscription
        .as_ref()
        .filter(|subscription| subscription.status != tally_core::SubscriptionStatus::Canceled)
        .map(|subscription| (subscription.plan_id.as_str(), u64::from(subscription.seats)));
    let request = AdviceRequest {
        months: &month_totals,
        members: members.len() as u64,
        current,
    };
    let catalog = &state.catalog;
    let (best, current, exact) = match advice::advise(catalog, &request) {
        Ok(advice) => (Some(advice.best), advice.current, advice.exact),
        Err(AdviceError::NothingCovers) => (None, None, true),
        Err(error) => {
            tracing::error!(%error, "advice: the catalog cannot be advised on");
            return Err(ApiError::Internal);
        }
    };
    let count = windows.len();
    let savings = match (&best, &current) {
        (Some(best), Some(current)) => Some(usd(current.cents() - best.cents())),
        _ => None,
    };
    let total: i64 = month_totals.iter().map(|month| month.get()).sum();
    let body = json!({
        "object": "advice",
        "account_id": account_id,
        "time_zone": row.account.settings.time_zone,
        "from": windows.first().map(|(from, _)| render::instant(*from)),
        "to": windows.last().map(|(_, to)| render::instant(*to)),
        "months": months,
        "usage": {
            "credits": credits(Millicredits::new(total)),
            "by_product": by_product(&products),
            "members": members.len(),
        },
        "best": best.as_ref().map(|best| choice_json(catalog, best, count)),
        "current": current.as_ref().map(|current| choice_json(catalog, current, count)),
        "savings_usd": savings,
        "exact": exact,
    });
    Ok(json_response(StatusCode::OK, body.to_string()))
}
