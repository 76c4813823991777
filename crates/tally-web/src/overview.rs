//! The overview: available credits (large), held, the plan and its period, the next expiry,
//! the forecast, a low-balance banner, and the way to buy a pack.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::format::{self, credits_value};
use super::html::{Html, url_component};
use super::layout::{self, Nav};
use super::{PageError, WebUser, account_for, account_query, api};
use crate::WebState;
use crate::html;
use tally_server::render::parse_timestamp;

/// The banner shows when available credits are under this share of the period's allowance
/// (1/10: "under 10 %").
const LOW_BALANCE_DIVISOR: i64 = 10;

pub async fn page(
    State(state): State<WebState>,
    user: WebUser,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let account_id = match account_for(&user, &query) {
        Ok(account_id) => account_id,
        Err(denied) => return denied.into_response(),
    };
    let answer = api::get(
        &state,
        &user,
        &format!("/v1/accounts/{}", url_component(&account_id)),
    )
    .await;
    if !answer.is_success() {
        return PageError::from_answer(&answer).into_response();
    }
    let account = &answer.body;
    let balance = &account["balance"];
    let name = account["name"].as_str().unwrap_or(&account_id);
    let links = account_query(&user, &account_id);
    let zone = format::time_zone(account["time_zone"].as_str().unwrap_or("UTC"));
    let pending = api::get(
        &state,
        &user,
        &format!(
            "/v1/accounts/{}/purchases?status=pending",
            url_component(&account_id)
        ),
    )
    .await;
    let pending = pending.body["data"].as_array().cloned().unwrap_or_default();
    let limits = api::get(
        &state,
        &user,
        &format!("/v1/accounts/{}/limits", url_component(&account_id)),
    )
    .await;
    let limits = limits.body["data"].as_array().cloned().unwrap_or_default();
    let body = html!(
        "<h1>{}</h1>{}{}<section class=\"grid\" aria-label=\"Balance\">{}{}{}{}{}</section>\
         {}<p><a class=\"button\" href=\"/packs{}\">Buy a credit pack</a></p>",
        name,
        low_balance_banner(account, &links),
        pending_banner(&pending, &links),
        available_card(balance),
        held_card(balance),
        plan_card(&state, balance, &links, &zone),
        expiry_card(&state, balance, &zone),
        forecast_card(balance, &zone),
        limits_table(&limits, &zone),
        links
    );
    layout::page(
        &state,
        &user,
        Some(&account_id),
        Some(Nav::Overview),
        "Overview",
        body,
    )
}

/// Purchases awaiting payment: their credits are not in the balance yet.
fn pending_banner(pending: &[Value], links: &str) -> Html {
    if pending.is_empty() {
        return Html::default();
    }
    let credits = pending
        .iter()
        .filter_map(|purchase| format::millicredits(&purchase["credits"]))
        .fold(0i64, i64::saturating_add);
    let count = i64::try_from(pending.len()).unwrap_or(i64::MAX);
    html!(
        "<p class=\"banner\" role=\"status\" data-testid=\"pending-purchases\">\
         <b>Awaiting payment:</b> {} for {}, added once paid. \
         <a href=\"/packs{}\">See the purchases</a></p>",
        format::plural(count, "purchase", "purchases"),
        format::credits_phrase(&crate::number_or_text(
            &tally_core::Millicredits::new(credits).to_string()
        )),
        links
    )
}

/// The low-balance banner: available credits under the account's `low_balance_threshold`
/// when it has one (with or without a plan), else under 10 % of the period's allowance (the
/// API's default threshold, API.md "Accounts: settings").
fn low_balance_banner(account: &Value, links: &str) -> Html {
    let balance = &account["balance"];
    let Some(available) = format::millicredits(&balance["available"]) else {
        return Html::default();
    };
    let threshold = &account["low_balance_threshold"];
    let allowance = &balance["plan"]["allowance"];
    let why = if let Some(limit) = format::millicredits(threshold) {
        if available >= limit {
            return Html::default();
        }
        html!(
            "under your alert threshold of {}",
            format::credits_phrase(threshold)
        )
    } else if let Some(allowance_millicredits) = format::millicredits(allowance) {
        if allowance_millicredits <= 0
            || available.saturating_mul(LOW_BALANCE_DIVISOR) >= allowance_millicredits
        {
            return Html::default();
        }
        html!(
            "under 10 % of this period's allowance of {}",
            format::credits_phrase(allowance)
        )
    } else {
        return Html::default();
    };
    html!(
        "<p class=\"banner warn\" role=\"alert\" data-testid=\"low-balance\"><b>Low balance.</b> \
         {} available: {}. <a href=\"/packs{}\">Buy a credit pack</a></p>",
        format::credits_phrase(&balance["available"]),
        why,
        links
    )
}

fn available_card(balance: &Value) -> Html {
    let overdraft = match format::millicredits(&balance["overdraft_limit"]) {
        Some(limit) if limit > 0 => html!(
            "<p class=\"muted\">Overdraft allowed up to {}.</p>",
            format::credits_phrase(&balance["overdraft_limit"])
        ),
        _ => Html::default(),
    };
    html!(
        "<article class=\"card wide\"><h2>Available</h2>\
         <p class=\"figure\"><span data-testid=\"available\">{}</span> <span class=\"unit\">{}</span></p>\
         <p class=\"muted\">Posted {} · held {}</p>{}</article>",
        credits_value(&balance["available"]),
        format::credits_unit(&balance["available"]),
        credits_value(&balance["posted"]),
        credits_value(&balance["held"]),
        overdraft
    )
}

fn held_card(balance: &Value) -> Html {
    html!(
        "<article class=\"card\"><h2>Held</h2>\
         <p class=\"figure small\"><span data-testid=\"held\">{}</span> <span class=\"unit\">{}</span></p>\
         <p class=\"muted\">Reserved by actions in progress.</p></article>",
        credits_value(&balance["held"]),
        format::credits_unit(&balance["held"])
    )
}

fn plan_card(state: &WebState, balance: &Value, links: &str, zone: &jiff::tz::TimeZone) -> Html {
    let plan = &balance["plan"];
    if plan.is_null() {
        return html!(
            "<article class=\"card\" data-testid=\"plan\"><h2>Plan</h2><p>No plan.</p>\
             <p><a href=\"/packs{}\">Choose a plan</a></p></article>",
            links
        );
    }
    let name = plan["name"]
        .as_str()
        .or_else(|| plan["id"].as_str())
        .unwrap_or("");
    let seats = plan["seats"].as_u64().unwrap_or(1);
    let period_end = plan["period_end"].as_str().unwrap_or("");
    let days = parse_timestamp(period_end)
        .map(|end| format::days_until(state.clock.now(), end))
        .unwrap_or(0);
    let ends = if plan["status"].as_str() == Some("canceling") {
        "Ends"
    } else {
        "Renews"
    };
    html!(
        "<article class=\"card\" data-testid=\"plan\"><h2>Plan</h2>\
         <p><b>{}</b> · {}</p>\
         <p>{} in {} ({}).</p>\
         <p><b>{}</b> of {} left this period.</p></article>",
        name,
        format::plural(seats as i64, "seat", "seats"),
        ends,
        format::plural(days, "day", "days"),
        format::date_in(period_end, zone),
        credits_value(&plan["allowance_left"]),
        format::credits_phrase(&plan["allowance"])
    )
}

fn expiry_card(state: &WebState, balance: &Value, zone: &jiff::tz::TimeZone) -> Html {
    let expiry = &balance["next_expiry"];
    let Some(at) = expiry["at"].as_str() else {
        return html!(
            "<article class=\"card\"><h2>Next expiry</h2><p>No credits are set to expire.</p></article>"
        );
    };
    let days = parse_timestamp(at)
        .map(|at| format::days_until(state.clock.now(), at))
        .unwrap_or(0);
    html!(
        "<article class=\"card\" data-testid=\"next-expiry\"><h2>Next expiry</h2>\
         <p><b>{}</b> {} on {} (in {}).</p></article>",
        format::credits_phrase(&expiry["amount"]),
        if format::millicredits(&expiry["amount"]) == Some(1_000) {
            "expires"
        } else {
            "expire"
        },
        format::date_in(at, zone),
        format::plural(days, "day", "days")
    )
}

fn forecast_card(balance: &Value, zone: &jiff::tz::TimeZone) -> Html {
    let forecast = &balance["forecast"];
    let burn_positive = format::millicredits(&forecast["burn_per_day"]).is_some_and(|b| b > 0);
    let text = if !burn_positive {
        html!("Nothing spent in the last 7 days: no run-out date to forecast.")
    } else if let Some(at) = forecast["runs_out_at"].as_str() {
        html!(
            "At this rate ({} a day), you run out on <b>{}</b>.",
            format::credits_phrase(&forecast["burn_per_day"]),
            format::date_in(at, zone)
        )
    } else if let Some(end) = balance["plan"]["period_end"].as_str() {
        html!(
            "At this rate ({} a day), your credits last until the plan renews on {}.",
            format::credits_phrase(&forecast["burn_per_day"]),
            format::date_in(end, zone)
        )
    } else {
        html!(
            "At this rate ({} a day), you do not run out soon.",
            format::credits_phrase(&forecast["burn_per_day"])
        )
    };
    html!(
        "<article class=\"card\"><h2>Forecast</h2><p data-testid=\"forecast\">{}</p></article>",
        text
    )
}

/// What a limit applies to, in words: "Member ann", "Each member", "The account".
fn limit_target(scope: &str, matches: &str) -> String {
    let noun = match scope {
        "member" => "member",
        "product" => "product",
        "key" => "API key",
        _ => return "The whole account".to_string(),
    };
    if matches == "*" {
        format!("Each {noun}")
    } else {
        let mut named = noun.to_string();
        if let Some(first) = named.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        format!("{named} {matches}")
    }
}

fn window_name(window: &str) -> &'static str {
    match window {
        "day" => "Per day",
        "month" => "Per month",
        "period" => "Per plan period",
        _ => "In total",
    }
}

/// The account's spend limits, read-only: each limit (and, for "each member", each member
/// counted in the window) with what it used, what is left of its max, and when it resets.
fn limits_table(limits: &[Value], zone: &jiff::tz::TimeZone) -> Html {
    if limits.is_empty() {
        return Html::default();
    }
    let mut rows = Html::default();
    for limit in limits {
        let scope = limit["scope"].as_str().unwrap_or_default();
        let matches = limit["match"].as_str().unwrap_or_default();
        let resets = if limit["resets_at"].is_null() {
            "Never".to_string()
        } else {
            format::date_time_value_in(&limit["resets_at"], zone)
        };
        let by_match = limit["by_match"].as_array().cloned().unwrap_or_default();
        let counted: Vec<(String, &Value, &Value)> = if matches == "*" && scope != "account" {
            by_match
                .iter()
                .map(|each| {
                    let value = each["match"].as_str().unwrap_or_default();
                    (
                        limit_target(scope, value),
                        &each["used"],
                        &each["remaining"],
                    )
                })
                .collect()
        } else {
            Vec::new()
        };
        rows.push(html!(
            "<tr><th scope=\"row\">{}</th><td>{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            limit_target(scope, matches),
            window_name(limit["window"].as_str().unwrap_or_default()),
            credits_value(&limit["used"]),
            credits_value(&limit["remaining"]),
            credits_value(&limit["max"]),
            resets.clone()
        ));
        for (target, used, remaining) in counted {
            rows.push(html!(
                "<tr><th scope=\"row\" class=\"indent\">{}</th><td>{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td>{}</td></tr>",
                target,
                window_name(limit["window"].as_str().unwrap_or_default()),
                credits_value(used),
                credits_value(remaining),
                credits_value(&limit["max"]),
                resets.clone()
            ));
        }
    }
    html!(
        "<section class=\"card\" aria-labelledby=\"limits-heading\" data-testid=\"limits\">\
         <h2 id=\"limits-heading\">Spend limits</h2>\
         <p class=\"muted\">A charge or hold that would go over a limit is refused until it \
         resets. For \u{201c}each member\u{201d}, every member has the limit to themselves.</p>\
         <div class=\"table-wrap\" tabindex=\"0\"><table id=\"limits-table\"><caption>Spend limits: used and \
         remaining in the current window, in credits</caption><thead><tr>\
         <th scope=\"col\">Applies to</th><th scope=\"col\">Window</th>\
         <th scope=\"col\">Used</th><th scope=\"col\">Remaining</th>\
         <th scope=\"col\">Limit</th><th scope=\"col\">Resets</th></tr></thead>\
         <tbody>{}</tbody></table></div></section>",
        rows
    )
}
