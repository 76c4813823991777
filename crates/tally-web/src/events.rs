//! Events: the account's recent events, newest first (what its webhooks are sent), read from
//! `GET /v1/events?account_id=` in process, paged.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::format::{self, credits_value};
use super::html::Html;
use super::layout::{self, Nav};
use super::{PageError, WebUser, account_for, api, field};
use crate::WebState;
use crate::html;

/// Events on one page.
pub const PAGE_EVENTS: usize = 50;

/// What an event is about, in a few words: the resource's id and the balance after.
fn summary(event: &Value) -> Html {
    let data = &event["data"];
    let about = [
        "grant",
        "hold",
        "purchase",
        "refund",
        "subscription",
        "auto_topup",
    ]
    .iter()
    .find_map(|key| data[*key]["id"].as_str().map(|id| (*key, id)));
    let mut parts = Html::default();
    if let Some((kind, id)) = about {
        parts.push(html!(
            "{} <span class=\"id\">{}</span>",
            kind.replace('_', " "),
            id
        ));
    }
    if data["available"].is_number() {
        if about.is_some() {
            parts.push(html!("; "));
        }
        parts.push(html!(
            "{} available after",
            credits_value(&data["available"])
        ));
    }
    parts
}

fn row_html(event: &Value) -> Html {
    html!(
        "<tr data-testid=\"event-row\" data-event-id=\"{}\"><td>{}</td>\
         <td><span class=\"tag\">{}</span></td><td class=\"num\">{}</td><td>{}</td>\
         <td class=\"id\">{}</td></tr>",
        event["id"].as_str().unwrap_or(""),
        format::date_time_value(&event["created_at"]),
        event["type"].as_str().unwrap_or(""),
        format::exact_value(&event["sequence"]),
        summary(event),
        event["id"].as_str().unwrap_or("")
    )
}

pub async fn page(
    State(state): State<WebState>,
    user: WebUser,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let account_id = match account_for(&user, &query) {
        Ok(account_id) => account_id,
        Err(denied) => return denied.into_response(),
    };
    let starting_after = field(&query, "starting_after");
    let limit = PAGE_EVENTS.to_string();
    let uri = format!(
        "/v1/events{}",
        html::query(&[
            ("account_id", &account_id),
            ("limit", &limit),
            ("starting_after", starting_after)
        ])
    );
    let answer = api::get(&state, &user, &uri).await;
    if !answer.is_success() {
        return PageError::from_answer(&answer).into_response();
    }
    let events = answer.body["data"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    let rows: Html = events.iter().map(row_html).collect();
    let rows = if events.is_empty() {
        html!("<tr><td colspan=\"5\" class=\"muted\">No events yet.</td></tr>")
    } else {
        rows
    };
    let account_query = |extra: &[(&str, &str)]| {
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        if user.is_admin() {
            pairs.push(("account", &account_id));
        }
        pairs.extend_from_slice(extra);
        html::query(&pairs)
    };
    let mut pager = Html::default();
    if !starting_after.is_empty() {
        pager.push(html!(
            "<a href=\"/events{}\">← Newest</a>",
            account_query(&[])
        ));
    }
    if answer.body["has_more"].as_bool() == Some(true)
        && let Some(last) = events.last().and_then(|event| event["id"].as_str())
    {
        pager.push(html!(
            "<a href=\"/events{}\" data-testid=\"events-older\">Older events →</a>",
            account_query(&[("starting_after", last)])
        ));
    }
    let body = html!(
        "<h1>Events</h1><p class=\"muted\">What changed on this account, newest first: what \
         its platform's webhooks are sent (GET /v1/events).</p>\
         <section class=\"card\"><div class=\"table-wrap\" tabindex=\"0\"><table class=\"events\">\
         <caption>Events, newest first</caption><thead><tr>\
         <th scope=\"col\">Date</th><th scope=\"col\">Type</th>\
         <th scope=\"col\" class=\"num\">Sequence</th><th scope=\"col\">About</th>\
         <th scope=\"col\">Id</th></tr></thead><tbody>{}</tbody></table></div>\
         <nav class=\"pager\" aria-label=\"Pages\">{}</nav></section>",
        rows,
        pager
    );
    layout::page(
        &state,
        &user,
        Some(&account_id),
        Some(Nav::Events),
        "Events",
        body,
    )
}
