//! Admin pages (admin keys only): the accounts with their balances, searchable; the rate card
//! as a searchable table; a form to grant credits (through the API, like every write of the dashboard).

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::format::{self, credits_value};
use super::html::Html;
use super::layout::{self, Nav};
use super::{
    PageError, WebUser, action_fields, api, field, form_idempotency_key, notice_and_redirect,
    number_or_text,
};
use crate::WebState;
use crate::html;

/// Accounts on one page of the list without a search.
const ACCOUNTS_PAGE: usize = 100;

/// The most accounts a search reads, and the most matches it shows.
const SEARCH_ACCOUNTS_SCANNED_MAX: usize = 10_000;
const SEARCH_MATCHES_MAX: usize = 200;

/// The page of the list the API reads per call while searching.
const SEARCH_PAGE: usize = 1000;

/// An account key gets "not found" on admin pages (as on admin routes, nothing leaks).
fn require_admin(user: &WebUser) -> Result<(), PageError> {
    if user.is_admin() {
        Ok(())
    } else {
        Err(PageError::NotFound)
    }
}

fn matches(haystack: &[&str], needle: &str) -> bool {
    let needle = needle.to_lowercase();
    needle.is_empty()
        || haystack
            .iter()
            .any(|text| text.to_lowercase().contains(&needle))
}

/// An account's auto top-up in a few words (`—` without one).
fn topup_cell(topup: Option<&Value>) -> Html {
    match topup {
        Some(topup) => html!(
            "{} below {} · {}",
            topup["pack"].as_str().unwrap_or(""),
            credits_value(&topup["threshold"]),
            topup["status"].as_str().unwrap_or("")
        ),
        None => html!("—"),
    }
}

fn account_row(account: &Value, topup: Option<&Value>) -> Html {
    let id = account["id"].as_str().unwrap_or("");
    let balance = &account["balance"];
    let plan = match balance["plan"]["name"].as_str() {
        Some(name) => html!(
            "{} · {}",
            name,
            format::plural(
                balance["plan"]["seats"].as_i64().unwrap_or(1),
                "seat",
                "seats"
            )
        ),
        None => html!("—"),
    };
    html!(
        "<tr data-testid=\"admin-account-row\"><th scope=\"row\"><a href=\"/{}\">{}</a></th>\
         <td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td>\
         <td data-testid=\"admin-account-topup\">{}</td></tr>",
        html::query(&[("account", id)]),
        id,
        account["name"].as_str().unwrap_or(""),
        credits_value(&balance["available"]),
        credits_value(&balance["held"]),
        plan,
        topup_cell(topup)
    )
}

pub async fn accounts(
    State(state): State<WebState>,
    user: WebUser,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Err(error) = require_admin(&user) {
        return error.into_response();
    }
    let search = field(&query, "q");
    let starting_after = field(&query, "starting_after");
    let mut shown: Vec<Value> = Vec::new();
    let mut more_link = Html::default();
    let mut note = Html::default();
    if search.is_empty() {
        let limit = ACCOUNTS_PAGE.to_string();
        let uri = format!(
            "/v1/accounts{}",
            html::query(&[("limit", &limit), ("starting_after", starting_after)])
        );
        let answer = api::get(&state, &user, &uri).await;
        if !answer.is_success() {
            return PageError::from_answer(&answer).into_response();
        }
        shown = answer.body["data"].as_array().cloned().unwrap_or_default();
        if answer.body["has_more"].as_bool() == Some(true)
            && let Some(last) = shown.last().and_then(|account| account["id"].as_str())
        {
            more_link = html!(
                "<a href=\"/admin{}\">More accounts →</a>",
                html::query(&[("starting_after", last)])
            );
        }
    } else {
        let mut cursor = String::new();
        let mut scanned = 0;
        loop {
            let limit = SEARCH_PAGE.to_string();
            let uri = format!(
                "/v1/accounts{}",
                html::query(&[("limit", &limit), ("starting_after", &cursor)])
            );
            let answer = api::get(&state, &user, &uri).await;
            if !answer.is_success() {
                return PageError::from_answer(&answer).into_response();
            }
            let page = answer.body["data"].as_array().cloned().unwrap_or_default();
            scanned += page.len();
            for account in &page {
                let id = account["id"].as_str().unwrap_or("");
                let name = account["name"].as_str().unwrap_or("");
                if matches(&[id, name], search) && shown.len() < SEARCH_MATCHES_MAX {
                    shown.push(account.clone());
                }
            }
            let has_more = answer.body["has_more"].as_bool() == Some(true);
            match page.last().and_then(|account| account["id"].as_str()) {
                Some(last)
                    if has_more
                        && scanned < SEARCH_ACCOUNTS_SCANNED_MAX
                        && shown.len() < SEARCH_MATCHES_MAX =>
                {
                    cursor = last.to_string();
                }
                _ => {
                    if has_more {
                        note = html!(
                            "<p class=\"muted\">Showing the first matches only; refine the search.</p>"
                        );
                    }
                    break;
                }
            }
        }
    }
    // Each shown account's auto top-up (404: it has none).
    let mut rows = Html::default();
    for account in &shown {
        let id = account["id"].as_str().unwrap_or("");
        let uri = format!("/v1/accounts/{}/auto-topup", html::url_component(id));
        let topup = api::get(&state, &user, &uri).await;
        let topup = topup.is_success().then_some(&topup.body);
        rows.push(account_row(account, topup));
    }
    let rows = if shown.is_empty() {
        html!("<tr><td colspan=\"6\" class=\"muted\">No accounts match.</td></tr>")
    } else {
        rows
    };
    let pending = api::get(&state, &user, "/v1/purchases?status=pending&limit=50").await;
    let pending = pending.body["data"].as_array().cloned().unwrap_or_default();
    let body = html!(
        "<h1>Accounts</h1><p><a href=\"/admin/rate-card\">The rate card →</a> \
         <a href=\"/admin/webhooks\" data-testid=\"admin-webhooks-link\">Webhooks →</a></p>{}\
         <section class=\"card\"><form method=\"get\" action=\"/admin\" class=\"inline-form\" role=\"search\">\
         <div class=\"field\"><label for=\"account-search\">Search accounts</label>\
         <input id=\"account-search\" name=\"q\" type=\"search\" value=\"{}\" \
         data-filter-table=\"accounts-table\" data-testid=\"account-search\"></div>\
         <div class=\"actions\"><button type=\"submit\">Search</button></div></form>{}\
         <div class=\"table-wrap\" tabindex=\"0\"><table id=\"accounts-table\"><caption>Accounts and their balances</caption>\
         <thead><tr><th scope=\"col\">Account</th><th scope=\"col\">Name</th>\
         <th scope=\"col\" class=\"num\">Available</th><th scope=\"col\" class=\"num\">Held</th>\
         <th scope=\"col\">Plan</th><th scope=\"col\">Auto top-up</th></tr></thead><tbody>{}</tbody></table></div>\
         <nav class=\"pager\" aria-label=\"Pages\">{}</nav></section>\
         <section class=\"card\"><h2>Grant credits</h2>{}</section>",
        super::packs::pending_purchases(&user, &pending, true, &jiff::tz::TimeZone::UTC),
        search,
        note,
        rows,
        more_link,
        grant_form(&user)
    );
    layout::page(&state, &user, None, Some(Nav::Admin), "Accounts", body)
}

fn grant_form(user: &WebUser) -> Html {
    let sources: Html = ["promo", "adjustment", "plan", "pack"]
        .iter()
        .map(|source| html!("<option value=\"{}\">{}</option>", *source, *source))
        .collect();
    html!(
        "<form method=\"post\" action=\"/admin/grants\" class=\"grant-form\">{}\
         <div class=\"field\"><label for=\"grant-account\">Account id</label>\
         <input id=\"grant-account\" name=\"grant_account\" type=\"text\" required \
         pattern=\"[A-Za-z0-9_.:\\-]{1,64}\" data-testid=\"grant-account\"></div>\
         <div class=\"field\"><label for=\"grant-amount\">Credits</label>\
         <input id=\"grant-amount\" name=\"amount\" type=\"text\" inputmode=\"decimal\" required \
         aria-describedby=\"grant-amount-hint\" data-testid=\"grant-amount\">\
         <small id=\"grant-amount-hint\">At most 3 decimals, e.g. 5000 or 12.5.</small></div>\
         <div class=\"field\"><label for=\"grant-source\">Source</label>\
         <select id=\"grant-source\" name=\"source\">{}</select></div>\
         <div class=\"field\"><label for=\"grant-expires\">Expires after (optional)</label>\
         <input id=\"grant-expires\" name=\"expires_on\" type=\"date\"></div>\
         <div class=\"field\"><label for=\"grant-description\">Description (optional)</label>\
         <input id=\"grant-description\" name=\"description\" type=\"text\" maxlength=\"200\"></div>\
         <div class=\"actions\"><button type=\"submit\" data-testid=\"grant-submit\">Grant</button></div></form>",
        action_fields(user, ""),
        sources
    )
}

pub async fn grant(
    State(state): State<WebState>,
    user: WebUser,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Err(error) = require_admin(&user) {
        return error.into_response();
    }
    if let Err(error) = user.check_csrf(&form) {
        return error.into_response();
    }
    let fail = |message: String| notice_and_redirect(&state, &user, false, message, "/admin");
    let idempotency_key = match form_idempotency_key(&form) {
        Ok(key) => key,
        Err(error) => return error.into_response(),
    };
    let account_id = field(&form, "grant_account").to_string();
    if account_id.is_empty() {
        return fail("Name the account to grant credits to.".into());
    }
    // The form's fields as the API's body; the API checks them, as for any client.
    let mut body = Map::new();
    body.insert("amount".into(), number_or_text(field(&form, "amount")));
    body.insert("source".into(), json!(field(&form, "source")));
    let expires_on = field(&form, "expires_on");
    if !expires_on.is_empty() {
        // Through the end of that day, UTC.
        let date: Option<jiff::civil::Date> = expires_on.parse().ok();
        let Some(end) = date.and_then(|date| date.tomorrow().ok()) else {
            return fail("The expiry must be a date (YYYY-MM-DD).".into());
        };
        body.insert("expires_at".into(), json!(format!("{end}T00:00:00Z")));
    }
    let description = field(&form, "description");
    if !description.is_empty() {
        body.insert("description".into(), json!(description));
    }
    let api_path = format!("/v1/accounts/{}/grants", html::url_component(&account_id));
    let answer = api::write(
        &state,
        &user,
        Method::POST,
        &api_path,
        &Value::Object(body),
        &idempotency_key,
    )
    .await;
    if answer.is_success() {
        notice_and_redirect(
            &state,
            &user,
            true,
            format!(
                "Granted {} to {account_id}.",
                super::format::credits_phrase(&answer.body["amount"])
            ),
            "/admin",
        )
    } else {
        fail(format!("The grant was not made: {}", answer.detail()))
    }
}

/// The failing deliveries the webhooks page lists at most.
const FAILING_DELIVERIES_MAX: usize = 50;

fn endpoint_row(endpoint: &Value) -> Html {
    let events: Vec<&str> = endpoint["events"]
        .as_array()
        .map(|types| types.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let events = if events == ["*"] {
        "every event".to_string()
    } else {
        events.join(", ")
    };
    html!(
        "<tr data-testid=\"webhook-endpoint-row\"><th scope=\"row\" class=\"url\">{}</th>\
         <td><span class=\"tag\">{}</span></td><td>{}</td><td>{}</td><td>{}</td>\
         <td class=\"id\">{}</td></tr>",
        endpoint["url"].as_str().unwrap_or(""),
        endpoint["status"].as_str().unwrap_or(""),
        events,
        endpoint["description"].as_str().unwrap_or(""),
        format::date_time_value(&endpoint["created_at"]),
        endpoint["id"].as_str().unwrap_or("")
    )
}

fn failing_row(delivery: &tally_store::webhooks::FailingDelivery) -> Html {
    let state = if delivery.state == "pending" {
        "retrying"
    } else {
        "given up"
    };
    let status = delivery
        .last_status_code
        .map_or_else(|| "no answer".to_string(), |code| code.to_string());
    let next = delivery.next_attempt_at.map_or_else(
        || format::NONE.to_string(),
        |at| format::date_time(&at.to_rfc3339()),
    );
    html!(
        "<tr data-testid=\"failing-delivery-row\"><td class=\"url\">{}</td><td class=\"id\">{}</td>\
         <td>{}</td><td>{}</td><td><span class=\"tag\">{}</span></td><td class=\"num\">{}</td>\
         <td>{}</td><td>{}</td></tr>",
        delivery.url.as_str(),
        delivery.event_id.as_str(),
        delivery.event_type.as_str(),
        delivery.account_id.as_str(),
        state,
        delivery.attempts.to_string(),
        status,
        next
    )
}

/// Webhooks: the endpoints (`GET /v1/webhook-endpoints`), and the deliveries that are failing
/// (retrying, or given up), read from the store (the API lists attempts per endpoint).
pub async fn webhooks(State(state): State<WebState>, user: WebUser) -> Response {
    if let Err(error) = require_admin(&user) {
        return error.into_response();
    }
    let answer = api::get(&state, &user, "/v1/webhook-endpoints?limit=100").await;
    if !answer.is_success() {
        return PageError::from_answer(&answer).into_response();
    }
    let endpoints = answer.body["data"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    let rows: Html = endpoints.iter().map(endpoint_row).collect();
    let rows = if endpoints.is_empty() {
        html!(
            "<tr><td colspan=\"6\" class=\"muted\">No webhook endpoints yet (POST /v1/webhook-endpoints).</td></tr>"
        )
    } else {
        rows
    };
    let failing = match state.store.failing_deliveries(FAILING_DELIVERIES_MAX) {
        Ok(failing) => failing,
        Err(error) => {
            let error = tally_server::error::ApiError::from(error);
            let detail = error.body()["detail"].as_str().unwrap_or("").to_string();
            return PageError::Api {
                status: error.status(),
                detail,
            }
            .into_response();
        }
    };
    let failing_rows: Html = failing.iter().map(failing_row).collect();
    let failing_rows = if failing.is_empty() {
        html!("<tr><td colspan=\"8\" class=\"muted\">No delivery is failing.</td></tr>")
    } else {
        failing_rows
    };
    let body = html!(
        "<h1>Webhooks</h1><p><a href=\"/admin\">← Accounts</a></p>\
         <section class=\"card\"><div class=\"table-wrap\" tabindex=\"0\"><table id=\"webhook-endpoints-table\">\
         <caption>Webhook endpoints</caption><thead><tr><th scope=\"col\">URL</th>\
         <th scope=\"col\">Status</th><th scope=\"col\">Events</th><th scope=\"col\">Description</th>\
         <th scope=\"col\">Created</th><th scope=\"col\">Id</th></tr></thead><tbody>{}</tbody></table></div></section>\
         <section class=\"card\"><h2>Failing deliveries</h2><p class=\"muted\">Retrying on the \
         schedule, or given up after the last retry (POST /v1/events/…/redeliver sends one again).</p>\
         <div class=\"table-wrap\" tabindex=\"0\"><table id=\"failing-deliveries-table\">\
         <caption>Failing deliveries, most recent first</caption><thead><tr>\
         <th scope=\"col\">Endpoint</th><th scope=\"col\">Event</th><th scope=\"col\">Type</th>\
         <th scope=\"col\">Account</th><th scope=\"col\">State</th>\
         <th scope=\"col\" class=\"num\">Attempts</th><th scope=\"col\">Last answer</th>\
         <th scope=\"col\">Next attempt</th></tr></thead><tbody>{}</tbody></table></div></section>",
        rows,
        failing_rows
    );
    layout::page(&state, &user, None, Some(Nav::Admin), "Webhooks", body)
}

/// A rate-card value as text: exact numbers, nested objects as `key value` pairs.
fn summary(value: &Value) -> String {
    match value {
        Value::Null => format::NONE.to_string(),
        Value::Bool(yes) => (if *yes { "yes" } else { "no" }).to_string(),
        Value::Number(_) => format::exact_value(value),
        Value::String(text) => text.clone(),
        Value::Array(items) => items.iter().map(summary).collect::<Vec<_>>().join("; "),
        Value::Object(map) => map
            .iter()
            .map(|(key, value)| match value {
                Value::Object(_) | Value::Array(_) => {
                    format!("{} ({})", key.replace('_', " "), summary(value))
                }
                _ => format!("{} {}", key.replace('_', " "), summary(value)),
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}

pub async fn rate_card(
    State(state): State<WebState>,
    user: WebUser,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Err(error) = require_admin(&user) {
        return error.into_response();
    }
    let search = field(&query, "q");
    let answer = api::get(&state, &user, "/v1/rate-card").await;
    let content = if answer.route_missing() {
        html!("<p class=\"notice error\">The rate card is not available on this server yet.</p>")
    } else if !answer.is_success() {
        html!(
            "<p class=\"notice error\">The rate card cannot be read: {}</p>",
            answer.detail()
        )
    } else {
        let card = &answer.body;
        let items = card["items"].as_array().map_or(&[][..], Vec::as_slice);
        let rows: Html = items
            .iter()
            .filter_map(|item| {
                let action = item["action"].as_str().unwrap_or("");
                let model = item["model"].as_str().unwrap_or("");
                let details: Html = item
                    .as_object()?
                    .iter()
                    .filter(|(key, _)| !matches!(key.as_str(), "action" | "model"))
                    .map(|(key, value)| {
                        html!("<div><b>{}</b>: {}</div>", key.replace('_', " "), summary(value))
                    })
                    .collect();
                let text = summary(item);
                matches(&[action, model, &text], search).then(|| {
                    html!(
                        "<tr data-testid=\"rate-card-row\"><td>{}</td><th scope=\"row\" class=\"model\">{}</th><td class=\"rates\">{}</td></tr>",
                        action,
                        model,
                        details
                    )
                })
            })
            .collect();
        html!(
            "<p class=\"muted\">Version {}, effective {}. Rates are in credits per unit.</p>\
             <div class=\"table-wrap\" tabindex=\"0\"><table id=\"rate-card-table\"><caption>Rate card</caption>\
             <thead><tr><th scope=\"col\">Action</th><th scope=\"col\">Model</th>\
             <th scope=\"col\">Prices</th></tr></thead><tbody>{}</tbody></table></div>",
            format::exact_value(&card["version"]),
            format::date_time_value(&card["effective_at"]),
            rows
        )
    };
    let body = html!(
        "<h1>Rate card</h1><p><a href=\"/admin\">← Accounts</a></p><section class=\"card\">\
         <form method=\"get\" action=\"/admin/rate-card\" class=\"inline-form\" role=\"search\">\
         <div class=\"field\"><label for=\"rate-search\">Search the rate card</label>\
         <input id=\"rate-search\" name=\"q\" type=\"search\" value=\"{}\" \
         data-filter-table=\"rate-card-table\" data-testid=\"rate-card-search\"></div>\
         <div class=\"actions\"><button type=\"submit\">Search</button></div></form>{}</section>",
        search,
        content
    );
    layout::page(&state, &user, None, Some(Nav::Admin), "Rate card", body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_card_values_read_exactly() {
        let item: Value = serde_json::from_str(
            r#"{"rates": {"input_tokens": 0.0025, "output_tokens": 0.01},
                "tiers": [{"name": "720p", "per_second": 100}]}"#,
        )
        .unwrap();
        assert_eq!(
            summary(&item),
            "rates (input tokens 0.0025, output tokens 0.01), tiers (name 720p, per second 100)"
        );
        assert!(matches(&["chat", "GPT-4o"], "gpt"));
        assert!(matches(&["chat"], ""));
        assert!(!matches(&["chat"], "video"));
    }
}
