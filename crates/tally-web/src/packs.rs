//! Plan and packs: the current plan and its seats (and a form to change them), the credit
//! packs on sale, each bought after a confirmation that shows its credits and price, and the
//! purchases awaiting payment.
//!
//! Buying here never grants credits: it opens a `pending` purchase (whatever key signed the
//! visitor in) and sends the buyer to the catalog's checkout page; the credits arrive when the
//! platform's backend (or an admin, here) completes the purchase. Purchases and plan changes
//! go through the API with the form's idempotency token, so a double submit buys once.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::format::{self, credits_value};
use super::html::{Html, url_component};
use super::layout::{self, Nav};
use super::{
    PageError, WebUser, account_for, account_query, action_fields, api, field,
    form_idempotency_key, notice_and_redirect, number_or_text,
};
use crate::WebState;
use crate::html;

fn subscription_html(
    subscription: Option<&Value>,
    balance: &Value,
    zone: &jiff::tz::TimeZone,
) -> Html {
    let Some(subscription) = subscription else {
        return html!("<p data-testid=\"current-plan\">No plan yet. Choose one below.</p>");
    };
    let status = subscription["status"].as_str().unwrap_or("");
    let status_note = match status {
        "canceling" => html!(" <span class=\"pill bad\">Ends at the period's end</span>"),
        "canceled" => html!(" <span class=\"pill bad\">Canceled</span>"),
        _ => Html::default(),
    };
    let next_seats = match subscription["next_period_seats"].as_u64() {
        Some(seats) => html!(
            "<p class=\"muted\">From the next period: {}.</p>",
            format::plural(seats as i64, "seat", "seats")
        ),
        None => Html::default(),
    };
    let allowance = &balance["plan"];
    let allowance_html = if allowance.is_null() {
        Html::default()
    } else {
        html!(
            "<p><b>{}</b> of {} left this period.</p>",
            credits_value(&allowance["allowance_left"]),
            format::credits_phrase(&allowance["allowance"])
        )
    };
    html!(
        "<p data-testid=\"current-plan\"><b>{}</b> · {}{}</p>\
         <p>Current period: {} to {}.</p>{}{}",
        subscription["plan_name"]
            .as_str()
            .or_else(|| subscription["plan"].as_str())
            .unwrap_or(""),
        format::plural(
            subscription["seats"].as_u64().unwrap_or(1) as i64,
            "seat",
            "seats"
        ),
        status_note,
        format::date_value_in(&subscription["current_period_start"], zone),
        format::date_value_in(&subscription["current_period_end"], zone),
        allowance_html,
        next_seats
    )
}

/// A choice of the advice in words: "Pro with 2 seats", "Pro with 1 seat and packs (1 ×
/// 50,000 credits, 1 × 10,000 credits)", "packs alone (…)".
fn choice_words(choice: &Value) -> String {
    let packs: Vec<String> = choice["packs"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|pack| {
            format!(
                "{} × {}",
                pack["count"].as_u64().unwrap_or(0),
                pack["name"].as_str().unwrap_or("")
            )
        })
        .collect();
    let packs = packs.join(", ");
    match choice["plan_name"]
        .as_str()
        .or_else(|| choice["plan"].as_str())
    {
        Some(plan) => {
            let seats = format::plural(choice["seats"].as_i64().unwrap_or(1), "seat", "seats");
            if packs.is_empty() {
                format!("{plan} with {seats}")
            } else {
                format!("{plan} with {seats} and packs ({packs})")
            }
        }
        None => format!("packs alone ({packs})"),
    }
}

/// What the last months' usage would have cost on the cheapest plan, seats and packs
/// (`GET /v1/accounts/{id}/advice`), with the months it read, labelled as the answer says.
fn advice_html(advice: Option<&Value>, zone: &jiff::tz::TimeZone) -> Html {
    let Some(advice) = advice else {
        return Html::default();
    };
    let months = advice["months"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let count = i64::try_from(months.len()).unwrap_or(0);
    let (Some(from), Some(to)) = (advice["from"].as_str(), advice["to"].as_str()) else {
        return Html::default();
    };
    let last = format::day_before(to, zone).unwrap_or_else(|| to.to_string());
    let range = format!(
        "{} to {}",
        format::date_in(from, zone),
        format::date_in(&last, zone)
    );
    let best = &advice["best"];
    let headline = if best.is_null() {
        html!("Nothing on sale covers this usage.")
    } else {
        let period = if count == 1 {
            "this month so far".to_string()
        } else {
            format!("your last {count} months")
        };
        html!(
            "{} would have cost <b data-testid=\"advice-cost\">{}</b> on \
             <b data-testid=\"advice-choice\">{}</b>.",
            capitalized(&period),
            format::usd(&format::number_text(&best["cost_usd"]).unwrap_or_default()),
            choice_words(best)
        )
    };
    let current = &advice["current"];
    let comparison = if current.is_null() || best.is_null() {
        Html::default()
    } else if format::millicredits(&advice["savings_usd"]).unwrap_or(0) > 0 {
        html!(
            "<p data-testid=\"advice-current\">On your plan as it is ({}) the same usage \
             cost {}: {} more.</p>",
            choice_words(current),
            format::usd(&format::number_text(&current["cost_usd"]).unwrap_or_default()),
            format::usd(&format::number_text(&advice["savings_usd"]).unwrap_or_default())
        )
    } else {
        html!(
            "<p data-testid=\"advice-current\">Your plan as it is is already the cheapest for this usage.</p>"
        )
    };
    let rows: Html = months
        .iter()
        .map(|month| {
            let from = month["from"].as_str().unwrap_or("");
            html!(
                "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td></tr>",
                format::date_in(from, zone),
                credits_value(&month["credits"])
            )
        })
        .collect();
    html!(
        "<section class=\"card\" aria-labelledby=\"advice-title\" data-testid=\"advice\">\
         <h2 id=\"advice-title\">What would have cost the least</h2>\
         <p data-testid=\"advice-headline\">{}</p>{}\
         <div class=\"table-wrap\" tabindex=\"0\"><table data-testid=\"advice-months\"><caption>Usage counted, \
         <span data-testid=\"advice-range\">{}</span> ({}), in credits</caption><thead><tr>\
         <th scope=\"col\">Month from</th><th scope=\"col\" class=\"num\">Credits</th></tr></thead>\
         <tbody>{}</tbody></table></div>\
         <p class=\"muted\">Each month the plan's credits are spent first; packs cover the rest \
         and carry over. Seats start at the number of members who spent.</p></section>",
        headline,
        comparison,
        range,
        advice["time_zone"].as_str().unwrap_or("UTC"),
        rows
    )
}

fn capitalized(text: &str) -> String {
    let mut characters = text.chars();
    match characters.next() {
        Some(first) => first.to_uppercase().chain(characters).collect(),
        None => String::new(),
    }
}

fn plan_form(
    user: &WebUser,
    account_id: &str,
    plans: &[Value],
    subscription: Option<&Value>,
) -> Html {
    let current_plan = subscription
        .filter(|subscription| subscription["status"].as_str() != Some("canceled"))
        .and_then(|subscription| subscription["plan"].as_str())
        .unwrap_or("");
    let seats = subscription
        .and_then(|subscription| subscription["seats"].as_u64())
        .unwrap_or(1);
    let options: Html = plans
        .iter()
        .map(|plan| {
            let id = plan["id"].as_str().unwrap_or("");
            let selected = if id == current_plan {
                html!(" selected")
            } else {
                Html::default()
            };
            html!(
                "<option value=\"{}\"{}>{}: {} per seat a month, {} per seat</option>",
                id,
                selected,
                plan["name"].as_str().unwrap_or(id),
                format::credits_phrase(&plan["credits_per_seat"]),
                format::usd(&format::number_text(&plan["price_usd"]).unwrap_or_default())
            )
        })
        .collect();
    html!(
        "<form method=\"post\" action=\"/plan\" class=\"stack\" aria-describedby=\"plan-help\">{}\
         <div class=\"field\"><label for=\"plan-id\">Plan</label>\
         <select id=\"plan-id\" name=\"plan\" data-testid=\"plan-select\">{}</select></div>\
         <div class=\"field\"><label for=\"plan-seats\">Seats</label>\
         <input id=\"plan-seats\" name=\"seats\" type=\"number\" min=\"1\" max=\"{}\" step=\"1\" \
         required value=\"{}\" data-testid=\"plan-seats\"></div>\
         <p id=\"plan-help\" class=\"muted\">Another plan starts at once with a new period, and \
         the current plan's remaining credits are voided. More seats add their credits now, \
         prorated to the rest of the period; fewer seats apply from the next period.</p>\
         <div class=\"actions\"><button type=\"submit\" data-testid=\"change-plan\">Save plan</button></div></form>",
        action_fields(user, account_id),
        options,
        tally_core::ledger::SEATS_MAX,
        seats
    )
}

fn pack_cards(user: &WebUser, account_id: &str, packs: &[Value]) -> Html {
    packs
        .iter()
        .map(|pack| {
            let id = pack["id"].as_str().unwrap_or("");
            let expiry = match pack["expires_after_days"].as_i64() {
                Some(days) => html!(
                    "Expires {} after purchase.",
                    format::plural(days, "day", "days")
                ),
                None => html!("Never expires."),
            };
            let account = if user.is_admin() { account_id } else { "" };
            html!(
                "<article class=\"card pack\"><h3>{}</h3>\
                 <p class=\"figure small\">{} <span class=\"unit\">{}</span></p>\
                 <p>{} · {}</p>\
                 <p><a class=\"button\" href=\"/packs/confirm{}\" data-testid=\"buy-pack-{}\">Buy {}</a></p></article>",
                pack["name"].as_str().unwrap_or(id),
                credits_value(&pack["credits"]),
                format::credits_unit(&pack["credits"]),
                format::usd(&format::number_text(&pack["price_usd"]).unwrap_or_default()),
                expiry,
                html::query(&[("pack", id), ("account", account)]),
                id,
                pack["name"].as_str().unwrap_or(id)
            )
        })
        .collect()
}

/// The purchases awaiting payment, each with where to pay and, for an admin, the buttons
/// that record the payment's outcome.
pub(crate) fn pending_purchases(
    user: &WebUser,
    pending: &[Value],
    show_account: bool,
    zone: &jiff::tz::TimeZone,
) -> Html {
    if pending.is_empty() {
        return Html::default();
    }
    let rows: Html = pending
        .iter()
        .map(|purchase| {
            let id = purchase["id"].as_str().unwrap_or("");
            let account_id = purchase["account_id"].as_str().unwrap_or("");
            let pay = match purchase["checkout_url"].as_str() {
                Some(url) => html!("<a href=\"{}\">Pay</a>", url),
                None => html!("<span class=\"muted\">Awaiting payment</span>"),
            };
            let decide = if user.is_admin() {
                let form = |outcome: &str, label: &str| {
                    html!(
                        "<form method=\"post\" action=\"/purchases/{}\" class=\"inline\">{}{}\
                         <button type=\"submit\" data-testid=\"purchase-{}-{}\">{}</button></form>",
                        outcome,
                        action_fields(user, account_id),
                        super::hidden("purchase", id),
                        outcome,
                        id,
                        label
                    )
                };
                html!("{} {}", form("complete", "Mark paid"), form("fail", "Mark failed"))
            } else {
                Html::default()
            };
            let account_cell = if show_account {
                html!("<td>{}</td>", account_id)
            } else {
                Html::default()
            };
            html!(
                "<tr data-testid=\"pending-purchase\">{}<td>{}</td><td>{}</td><td class=\"num\">{}</td>\
                 <td>{}</td><td>{}</td><td>{} {}</td></tr>",
                account_cell,
                format::date_value_in(&purchase["created_at"], zone),
                purchase["pack"].as_str().unwrap_or(""),
                credits_value(&purchase["credits"]),
                format::usd(&format::number_text(&purchase["price_usd"]).unwrap_or_default()),
                format::date_value_in(&purchase["expires_at"], zone),
                pay,
                decide
            )
        })
        .collect();
    html!(
        "<section class=\"card\" aria-labelledby=\"pending-title\"><h2 id=\"pending-title\">\
         Awaiting payment</h2><p class=\"muted\">These purchases add their credits once they are \
         paid; unpaid, they expire.</p><table><thead><tr>{}<th scope=\"col\">Opened</th>\
         <th scope=\"col\">Pack</th><th scope=\"col\" class=\"num\">Credits</th>\
         <th scope=\"col\">Price</th><th scope=\"col\">Expires</th><th scope=\"col\">Payment</th>\
         </tr></thead><tbody>{}</tbody></table></section>",
        if show_account {
            html!("<th scope=\"col\">Account</th>")
        } else {
            Html::default()
        },
        rows
    )
}

/// The account's auto top-up, for admins (set with `PUT /v1/accounts/{id}/auto-topup`).
fn auto_topup_html(topup: Option<&Value>) -> Html {
    let Some(topup) = topup else {
        return html!(
            "<section class=\"card\" aria-labelledby=\"topup-title\"><h2 id=\"topup-title\">\
             Auto top-up</h2><p data-testid=\"auto-topup\">Not set. An admin sets it with \
             <code>PUT /v1/accounts/{{id}}/auto-topup</code>.</p></section>"
        );
    };
    let status = topup["status"].as_str().unwrap_or("");
    let pill = if status == "suspended" {
        html!(" <span class=\"pill bad\">Suspended after repeated failures</span>")
    } else {
        Html::default()
    };
    html!(
        "<section class=\"card\" aria-labelledby=\"topup-title\"><h2 id=\"topup-title\">\
         Auto top-up</h2><p data-testid=\"auto-topup\">Buys <b>{}</b> when fewer than <b>{}</b> \
         credits are available{}.{}</p><p class=\"muted\">{} of {} this month; {} failed in a row.</p></section>",
        topup["pack"].as_str().unwrap_or(""),
        credits_value(&topup["threshold"]),
        if topup["complete"].as_bool() == Some(true) {
            html!(", completed at once (invoiced)")
        } else {
            html!(", pending until paid")
        },
        pill,
        topup["used_this_month"].as_u64().unwrap_or(0),
        topup["monthly_max"].as_u64().unwrap_or(0),
        topup["consecutive_failures"].as_u64().unwrap_or(0)
    )
}

/// `POST /purchases/complete` and `/purchases/fail` (admins): records a payment's outcome.
pub async fn decide_purchase(
    State(state): State<WebState>,
    user: WebUser,
    axum::extract::Path(outcome): axum::extract::Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Err(error) = user.check_csrf(&form) {
        return error.into_response();
    }
    let account_id = match account_for(&user, &form) {
        Ok(account_id) => account_id,
        Err(denied) => return denied.into_response(),
    };
    let back = format!("/packs{}", account_query(&user, &account_id));
    if outcome != "complete" && outcome != "fail" {
        return PageError::NotFound.into_response();
    }
    let purchase_id = field(&form, "purchase").to_string();
    let idempotency_key = match form_idempotency_key(&form) {
        Ok(key) => key,
        Err(error) => return error.into_response(),
    };
    let api_path = format!("/v1/purchases/{}/{outcome}", url_component(&purchase_id));
    let answer = api::write(
        &state,
        &user,
        Method::POST,
        &api_path,
        &json!({}),
        &idempotency_key,
    )
    .await;
    let message = if !answer.is_success() {
        format!("The purchase was not changed: {}", answer.detail())
    } else if outcome == "complete" {
        format!(
            "Purchase {purchase_id} is paid: {} added.",
            format::credits_phrase(&answer.body["credits"])
        )
    } else {
        format!("Purchase {purchase_id} is marked failed: no credits were added.")
    };
    notice_and_redirect(&state, &user, answer.is_success(), message, &back)
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
    let account_path = format!("/v1/accounts/{}", url_component(&account_id));
    let balance = api::get(&state, &user, &format!("{account_path}/balance")).await;
    if !balance.is_success() {
        return PageError::from_answer(&balance).into_response();
    }
    let subscription = api::get(&state, &user, &format!("{account_path}/subscription")).await;
    let subscription = subscription.is_success().then_some(subscription.body);
    let plans = api::get(&state, &user, "/v1/plans").await;
    let packs = api::get(&state, &user, "/v1/packs").await;
    let plans = plans.body.as_array().cloned().unwrap_or_default();
    let packs = packs.body.as_array().cloned().unwrap_or_default();
    let pending = api::get(
        &state,
        &user,
        &format!("{account_path}/purchases?status=pending"),
    )
    .await;
    let pending = pending.body["data"].as_array().cloned().unwrap_or_default();
    let topup = if user.is_admin() {
        let answer = api::get(&state, &user, &format!("{account_path}/auto-topup")).await;
        Some(answer.is_success().then_some(answer.body))
    } else {
        None
    };
    let zone = super::account_zone(&state, &user, &account_id).await;
    let advice = api::get(&state, &user, &format!("{account_path}/advice")).await;
    let body = html!(
        "<h1>Plan and packs</h1>\
         <div class=\"grid two\"><section class=\"card\"><h2>Your plan</h2>{}</section>\
         <section class=\"card\"><h2>Change the plan or seats</h2>{}</section></div>{}\
         <h2>Credit packs</h2><p class=\"muted\">Packs top up the pool shared by every product. \
         Available now: <b>{}</b> {}.</p><div class=\"grid\">{}</div>{}{}",
        subscription_html(subscription.as_ref(), &balance.body, &zone),
        plan_form(&user, &account_id, &plans, subscription.as_ref()),
        advice_html(advice.is_success().then_some(&advice.body), &zone),
        credits_value(&balance.body["available"]),
        format::credits_unit(&balance.body["available"]),
        pack_cards(&user, &account_id, &packs),
        pending_purchases(&user, &pending, false, &zone),
        topup
            .map(|topup| auto_topup_html(topup.as_ref()))
            .unwrap_or_default()
    );
    layout::page(
        &state,
        &user,
        Some(&account_id),
        Some(Nav::Packs),
        "Plan and packs",
        body,
    )
}

/// The confirmation before a purchase: the pack's credits and price, and one button.
pub async fn confirm(
    State(state): State<WebState>,
    user: WebUser,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let account_id = match account_for(&user, &query) {
        Ok(account_id) => account_id,
        Err(denied) => return denied.into_response(),
    };
    let balance = api::get(
        &state,
        &user,
        &format!("/v1/accounts/{}/balance", url_component(&account_id)),
    )
    .await;
    if !balance.is_success() {
        return PageError::from_answer(&balance).into_response();
    }
    let packs = api::get(&state, &user, "/v1/packs").await;
    let pack_id = field(&query, "pack");
    let Some(pack) = packs
        .body
        .as_array()
        .and_then(|packs| {
            packs
                .iter()
                .find(|pack| pack["id"].as_str() == Some(pack_id))
        })
        .cloned()
    else {
        let mut response = PageError::NotFound.into_response();
        *response.status_mut() = StatusCode::NOT_FOUND;
        return response;
    };
    let name = pack["name"].as_str().unwrap_or(pack_id);
    let price = format::usd(&format::number_text(&pack["price_usd"]).unwrap_or_default());
    let expiry = match pack["expires_after_days"].as_i64() {
        Some(days) => html!(
            "The credits expire {} after purchase.",
            format::plural(days, "day", "days")
        ),
        None => html!("The credits never expire."),
    };
    let body = html!(
        "<section class=\"card narrow\" aria-labelledby=\"confirm-title\">\
         <h1 id=\"confirm-title\">Confirm your purchase</h1>\
         <p class=\"confirm\" data-testid=\"confirm-details\">Buy <b>{}</b>: \
         <b data-testid=\"confirm-credits\">{}</b> {} for <b data-testid=\"confirm-price\">{}</b>.</p>\
         <p>{} You have {} available now.</p>\
         <form method=\"post\" action=\"/packs/buy\" class=\"actions\">{}{}\
         <button type=\"submit\" data-testid=\"confirm-purchase\">Buy for {}</button>\
         <a class=\"button secondary\" href=\"/packs{}\">Cancel</a></form></section>",
        name,
        credits_value(&pack["credits"]),
        format::credits_unit(&pack["credits"]),
        price,
        expiry,
        format::credits_phrase(&balance.body["available"]),
        action_fields(&user, &account_id),
        super::hidden("pack", pack_id),
        price,
        account_query(&user, &account_id)
    );
    layout::page(
        &state,
        &user,
        Some(&account_id),
        Some(Nav::Packs),
        "Confirm your purchase",
        body,
    )
}

pub async fn buy(
    State(state): State<WebState>,
    user: WebUser,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Err(error) = user.check_csrf(&form) {
        return error.into_response();
    }
    let account_id = match account_for(&user, &form) {
        Ok(account_id) => account_id,
        Err(denied) => return denied.into_response(),
    };
    let back = format!("/packs{}", account_query(&user, &account_id));
    let pack_id = field(&form, "pack").to_string();
    let idempotency_key = match form_idempotency_key(&form) {
        Ok(key) => key,
        Err(error) => return error.into_response(),
    };
    let api_path = format!("/v1/accounts/{}/purchases", url_component(&account_id));
    let answer = api::write(
        &state,
        &user,
        Method::POST,
        &api_path,
        &json!({"pack": pack_id, "complete": false}),
        &idempotency_key,
    )
    .await;
    if answer.is_success() {
        if let Some(checkout_url) = answer.body["checkout_url"].as_str() {
            return axum::response::Redirect::to(checkout_url).into_response();
        }
        notice_and_redirect(
            &state,
            &user,
            true,
            format!(
                "Purchase {} of {} is awaiting payment: its {} arrive once it is paid.",
                answer.body["id"].as_str().unwrap_or(""),
                state
                    .catalog
                    .pack(&pack_id)
                    .map_or(pack_id.as_str(), |pack| pack.name.as_str()),
                format::credits_phrase(&answer.body["credits"])
            ),
            &back,
        )
    } else {
        notice_and_redirect(
            &state,
            &user,
            false,
            format!("The purchase did not go through: {}", answer.detail()),
            &back,
        )
    }
}

pub async fn change_plan(
    State(state): State<WebState>,
    user: WebUser,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Err(error) = user.check_csrf(&form) {
        return error.into_response();
    }
    let account_id = match account_for(&user, &form) {
        Ok(account_id) => account_id,
        Err(denied) => return denied.into_response(),
    };
    let back = format!("/packs{}", account_query(&user, &account_id));
    let plan_id = field(&form, "plan").to_string();
    let seats_text = field(&form, "seats");
    let idempotency_key = match form_idempotency_key(&form) {
        Ok(key) => key,
        Err(error) => return error.into_response(),
    };
    let api_path = format!("/v1/accounts/{}/subscription", url_component(&account_id));
    // The form's fields as the API's body; the API checks them, as for any client.
    let body = json!({"plan": plan_id, "seats": number_or_text(seats_text)});
    let answer = api::write(
        &state,
        &user,
        Method::PUT,
        &api_path,
        &body,
        &idempotency_key,
    )
    .await;
    let (ok, message) = if answer.is_success() {
        (
            true,
            format!(
                "Your plan is now {} with {}.",
                answer.body["plan_name"].as_str().unwrap_or(&plan_id),
                format::plural(seats_text.parse().unwrap_or(0), "seat", "seats")
            ),
        )
    } else {
        (
            false,
            format!("The plan was not changed: {}", answer.detail()),
        )
    };
    notice_and_redirect(&state, &user, ok, message, &back)
}
