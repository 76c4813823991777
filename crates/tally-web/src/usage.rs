//! Usage: credits per day of a date range (the current period by default) stacked by product,
//! and tables by product, model and member, all from `GET /v1/accounts/{id}/usage`.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::chart::{self, Series};
use super::format::{self, credits_value};
use super::html::{Html, url_component};
use super::layout::{self, Nav};
use super::{PageError, WebUser, account_for, api, field};
use crate::WebState;
use crate::html;

/// The most days one chart draws (the latest are kept).
pub const CHART_DAYS_MAX: usize = 400;

/// How a group without a value is shown.
const UNNAMED: &str = "(none)";

/// `from` and `to` of the API answer as the days they cover in the account's time zone (`to`
/// is exclusive).
fn days_between(from: &str, to: &str, zone: &jiff::tz::TimeZone) -> Vec<String> {
    let civil = |text: &str| -> Option<jiff::civil::DateTime> {
        let timestamp: jiff::Timestamp = text.parse().ok()?;
        Some(timestamp.to_zoned_datetime(zone.clone()).datetime())
    };
    let (Some(from), Some(to)) = (civil(from), civil(to)) else {
        return Vec::new();
    };
    let last = if to.time() == jiff::civil::Time::midnight() {
        match to.date().yesterday() {
            Ok(day) => day,
            Err(_) => return Vec::new(),
        }
    } else {
        to.date()
    };
    let mut days = Vec::new();
    let mut day = from.date();
    while day <= last {
        days.push(day.to_string());
        if days.len() > CHART_DAYS_MAX {
            days.remove(0);
        }
        match day.tomorrow() {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    days
}

/// The last day a range covers, in the account's time zone, for the `to` date input.
fn last_day(to: &str, zone: &jiff::tz::TimeZone) -> String {
    days_between(to, to, zone)
        .last()
        .cloned()
        .or_else(|| {
            // `to` at midnight: the day before.
            let timestamp: jiff::Timestamp = to.parse().ok()?;
            let day = timestamp
                .to_zoned_datetime(zone.clone())
                .date()
                .yesterday()
                .ok()?;
            Some(day.to_string())
        })
        .unwrap_or_default()
}

/// The range a usage answer counted, in words, from the `from` and `to` it returned (never
/// a range the page computes): a start at midnight is its date, any other start its date and
/// time; an end at midnight is the day before it (the last day counted), any other end its
/// date and time.
fn range_label(from: &str, to: &str, zone: &jiff::tz::TimeZone) -> String {
    let start = if format::starts_a_day(from, zone) {
        format::date_in(from, zone)
    } else {
        format::date_time_in(from, zone)
    };
    let end = match format::starts_a_day(to, zone).then(|| format::day_before(to, zone)) {
        Some(Some(last)) => format::date_in(&last, zone),
        _ => format::date_time_in(to, zone),
    };
    format!("{start} to {end}")
}

fn name_of(row: &Value, key: &str) -> String {
    row[key]
        .as_str()
        .filter(|text| !text.is_empty())
        .unwrap_or(UNNAMED)
        .to_string()
}

/// A table of one grouping, most credits first.
fn group_table(title: &str, key: &str, usage: &Value) -> Html {
    let mut rows: Vec<&Value> = usage["data"]
        .as_array()
        .map_or(Vec::new(), |rows| rows.iter().collect());
    rows.sort_by_key(|row| std::cmp::Reverse(format::millicredits(&row["credits"]).unwrap_or(0)));
    let body: Html = rows
        .iter()
        .map(|row| {
            html!(
                "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                name_of(row, key),
                format::exact_value(&row["count"]),
                credits_value(&row["credits"])
            )
        })
        .collect();
    let body = if rows.is_empty() {
        html!("<tr><td colspan=\"3\" class=\"muted\">Nothing in this range.</td></tr>")
    } else {
        body
    };
    html!(
        "<section class=\"card\"><div class=\"table-wrap\" tabindex=\"0\"><table data-testid=\"usage-by-{}\">\
         <caption>{}</caption><thead><tr><th scope=\"col\">{}</th>\
         <th scope=\"col\" class=\"num\">Actions</th><th scope=\"col\" class=\"num\">Credits</th></tr></thead>\
         <tbody>{}</tbody></table></div></section>",
        key,
        title,
        title.trim_start_matches("By ").to_string(),
        body
    )
}

fn chart_html(usage: &Value, zone: &jiff::tz::TimeZone) -> Html {
    let from = usage["from"].as_str().unwrap_or("");
    let to = usage["to"].as_str().unwrap_or("");
    let days = days_between(from, to, zone);
    let position: HashMap<&str, usize> = days
        .iter()
        .enumerate()
        .map(|(index, day)| (day.as_str(), index))
        .collect();
    let mut series: Vec<Series> = Vec::new();
    for row in usage["data"].as_array().map_or(&[][..], Vec::as_slice) {
        let Some(&index) = row["day"].as_str().and_then(|day| position.get(day)) else {
            continue;
        };
        let name = name_of(row, "product");
        let credits = format::millicredits(&row["credits"]).unwrap_or(0);
        let slot = match series.iter().position(|one| one.name == name) {
            Some(slot) => slot,
            None => {
                series.push(Series {
                    name,
                    millicredits: vec![0; days.len()],
                });
                series.len() - 1
            }
        };
        series[slot].millicredits[index] = series[slot].millicredits[index].saturating_add(credits);
    }
    // The biggest product at the bottom of each bar and first in the legend.
    series.sort_by_key(|one| {
        std::cmp::Reverse(
            one.millicredits
                .iter()
                .map(|value| (*value).max(0))
                .fold(0i64, i64::saturating_add),
        )
    });
    chart::stacked_days("usage-chart", &days, &series)
}

/// A date (or instant) the API reads; anything else is left out.
fn date_parameter(text: &str) -> &str {
    let plausible = text.len() <= 40
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-:.+".contains(&b));
    if plausible { text } else { "" }
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
    let from = date_parameter(field(&query, "from"));
    let to = date_parameter(field(&query, "to"));
    let base = format!("/v1/accounts/{}/usage", url_component(&account_id));
    let mut answers = Vec::new();
    for group_by in ["day,product", "product", "model", "member"] {
        let uri = format!(
            "{base}{}",
            html::query(&[("from", from), ("to", to), ("group_by", group_by)])
        );
        let answer = api::get(&state, &user, &uri).await;
        if !answer.is_success() {
            if answer.status.as_u16() == 422 {
                // A bad range: say so, and show the form again.
                let body = html!(
                    "<h1>Usage</h1><p class=\"notice error\" role=\"alert\">{}</p>{}",
                    answer.detail(),
                    range_form(&user, &account_id, from, to)
                );
                return layout::page(
                    &state,
                    &user,
                    Some(&account_id),
                    Some(Nav::Usage),
                    "Usage",
                    body,
                );
            }
            return PageError::from_answer(&answer).into_response();
        }
        answers.push(answer.body);
    }
    let zone = super::account_zone(&state, &user, &account_id).await;
    let by_day = &answers[0];
    let range_from = by_day["from"].as_str().unwrap_or("");
    let range_to = by_day["to"].as_str().unwrap_or("");
    let from_day = days_between(range_from, range_from, &zone)
        .first()
        .cloned()
        .unwrap_or_default();
    let to_day = last_day(range_to, &zone);
    let body = html!(
        "<h1>Usage</h1>{}\
         <section class=\"card\"><h2>Credits per day, by product</h2>\
         <p class=\"muted\" data-testid=\"usage-total\"><span data-testid=\"usage-range\">{}</span>: \
         <b>{}</b> in {}.</p>\
         <figure class=\"chart-wrap\">{}</figure></section>\
         <div class=\"grid\">{}{}{}</div>",
        range_form(&user, &account_id, &from_day, &to_day),
        range_label(range_from, range_to, &zone),
        format::credits_phrase(&by_day["total"]["credits"]),
        format::plural(
            by_day["total"]["count"].as_i64().unwrap_or(0),
            "action",
            "actions"
        ),
        chart_html(by_day, &zone),
        group_table("By product", "product", &answers[1]),
        group_table("By model", "model", &answers[2]),
        group_table("By member", "member", &answers[3])
    );
    layout::page(
        &state,
        &user,
        Some(&account_id),
        Some(Nav::Usage),
        "Usage",
        body,
    )
}

fn range_form(user: &WebUser, account_id: &str, from: &str, to: &str) -> Html {
    let account = if user.is_admin() {
        super::hidden("account", account_id)
    } else {
        Html::default()
    };
    html!(
        "<form method=\"get\" action=\"/usage\" class=\"inline-form\" aria-label=\"Date range\">{}\
         <div class=\"field\"><label for=\"usage-from\">From</label>\
         <input id=\"usage-from\" name=\"from\" type=\"date\" value=\"{}\" data-testid=\"usage-from\"></div>\
         <div class=\"field\"><label for=\"usage-to\">To</label>\
         <input id=\"usage-to\" name=\"to\" type=\"date\" value=\"{}\" data-testid=\"usage-to\"></div>\
         <div class=\"actions\"><button type=\"submit\">Show</button></div></form>",
        account,
        from.chars().take(10).collect::<String>(),
        to.chars().take(10).collect::<String>()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_covers_its_days() {
        let utc = jiff::tz::TimeZone::UTC;
        assert_eq!(
            days_between("2026-11-01T10:00:00Z", "2026-11-03T00:00:00Z", &utc),
            vec!["2026-11-01", "2026-11-02"]
        );
        assert_eq!(
            days_between("2026-11-01T00:00:00Z", "2026-11-02T00:00:01Z", &utc),
            vec!["2026-11-01", "2026-11-02"]
        );
        assert!(days_between("bad", "2026-11-02T00:00:00Z", &utc).is_empty());
        assert_eq!(
            days_between("2020-01-01T00:00:00Z", "2030-01-01T00:00:00Z", &utc).len(),
            CHART_DAYS_MAX
        );
        assert_eq!(last_day("2026-11-03T00:00:00Z", &utc), "2026-11-02");
        assert_eq!(last_day("2026-11-03T12:00:00Z", &utc), "2026-11-03");
        // In New York, 03:00 UTC is the evening before.
        let new_york = format::time_zone("America/New_York");
        assert_eq!(
            days_between("2026-11-02T03:00:00Z", "2026-11-03T05:00:00Z", &new_york),
            vec!["2026-11-01", "2026-11-02"]
        );
    }

    #[test]
    fn the_label_is_the_range_the_answer_counted() {
        let utc = jiff::tz::TimeZone::UTC;
        // A whole first day (the start of the day the period began) to now.
        assert_eq!(
            range_label("2026-12-02T00:00:00Z", "2026-12-02T14:30:00.000001Z", &utc),
            "2 Dec 2026 to 2 Dec 2026, 14:30 UTC"
        );
        // A start in the middle of a day is shown with its time, not as the whole day.
        assert_eq!(
            range_label("2026-12-02T09:15:00Z", "2026-12-05T00:00:00Z", &utc),
            "2 Dec 2026, 09:15 UTC to 4 Dec 2026"
        );
        let new_york = format::time_zone("America/New_York");
        assert_eq!(
            range_label("2026-12-01T05:00:00Z", "2026-12-03T05:00:00Z", &new_york),
            "1 Dec 2026 to 2 Dec 2026"
        );
    }
}
