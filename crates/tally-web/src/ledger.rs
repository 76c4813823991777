//! The ledger: entries newest first, paged, filtered by type, product and date, and the CSV
//! export of the filtered range. Unfiltered, each entry shows the balance (available credits)
//! after it; every entry shows the source of the credits it moved (plan, pack, promo,
//! adjustment), and what a hold reserved or gave back is shown as such, not as a loss.
//!
//! The page reads `GET /v1/accounts/{id}/entries` in process. The export streams: a blocking
//! task reads the store one page at a time and renders each entry with the API's own
//! `render::entry`, sending chunks through a small bounded channel, so a large export never
//! sits in memory and its amounts are exactly the API's.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tally_core::EntryKind;
use tally_store::{EntryFilter, PageRequest};

use super::format::{self, credits_value};
use super::html::{Html, url_component};
use super::layout::{self, Nav};
use super::{PageError, WebUser, account_for, api, field};
use crate::WebState;
use crate::html;

/// Entries on one page of the ledger.
pub const PAGE_ENTRIES: usize = 50;

/// Entries read from the store per chunk of the CSV export.
const CSV_PAGE_ENTRIES: usize = 1000;

/// Chunks of the CSV export waiting for the client at most (bounds its memory).
const CSV_CHUNKS_BUFFERED: usize = 4;

const ENTRY_TYPES: [&str; 9] = [
    "grant",
    "charge",
    "hold",
    "capture",
    "release",
    "expire",
    "void",
    "adjustment",
    "refund",
];

/// The CSV's columns: fields of the API's Entry, in this order.
pub const CSV_COLUMNS: [&str; 13] = [
    "id",
    "created_at",
    "type",
    "amount",
    "held",
    "product",
    "model",
    "member",
    "grant_id",
    "hold_id",
    "charge_id",
    "rate_card_version",
    "description",
];

/// Free-text columns: a leading `=`, `+`, `-`, `@` is neutralised so that a spreadsheet does
/// not run it as a formula.
const CSV_TEXT_COLUMNS: [&str; 4] = ["product", "model", "member", "description"];

/// The filters of the page and of the export.
struct Filters<'a> {
    kind: &'a str,
    product: &'a str,
    from: &'a str,
    to: &'a str,
}

impl<'a> Filters<'a> {
    fn read(query: &'a HashMap<String, String>) -> Filters<'a> {
        let kind = field(query, "type");
        Filters {
            kind: if ENTRY_TYPES.contains(&kind) {
                kind
            } else {
                ""
            },
            product: field(query, "product"),
            from: field(query, "from"),
            to: field(query, "to"),
        }
    }

    /// `from` as the start of its day, `to` as the end of its day (exclusive), RFC 3339.
    fn instants(&self) -> Result<(Option<String>, Option<String>), String> {
        let day = |text: &str, next: bool, name: &str| -> Result<Option<String>, String> {
            if text.is_empty() {
                return Ok(None);
            }
            let date: jiff::civil::Date = text
                .parse()
                .map_err(|_| format!("{name} must be a date (YYYY-MM-DD)"))?;
            let date = if next {
                date.tomorrow()
                    .map_err(|_| format!("{name} is out of range"))?
            } else {
                date
            };
            Ok(Some(format!("{date}T00:00:00Z")))
        };
        Ok((day(self.from, false, "From")?, day(self.to, true, "To")?))
    }

    /// The API's query for these filters (with `extra` pairs).
    fn api_query(&self, extra: &[(&str, &str)]) -> Result<String, String> {
        let (from, to) = self.instants()?;
        let mut pairs = vec![
            ("type", self.kind),
            ("product", self.product),
            ("from", from.as_deref().unwrap_or("")),
            ("to", to.as_deref().unwrap_or("")),
        ];
        pairs.extend_from_slice(extra);
        Ok(html::query(&pairs))
    }

    /// The page's own query for these filters (links keep them).
    fn page_query(&self, user: &WebUser, account_id: &str, extra: &[(&str, &str)]) -> String {
        let account = if user.is_admin() { account_id } else { "" };
        let mut pairs = vec![
            ("account", account),
            ("type", self.kind),
            ("product", self.product),
            ("from", self.from),
            ("to", self.to),
        ];
        pairs.extend_from_slice(extra);
        html::query(&pairs)
    }
}

fn amount_cell(value: &Value) -> Html {
    let class = match format::millicredits(value) {
        Some(amount) if amount < 0 => "num neg",
        Some(amount) if amount > 0 => "num pos",
        _ => "num",
    };
    html!("<td class=\"{}\">{}</td>", class, credits_value(value))
}

fn text_cell(value: &Value) -> Html {
    html!(
        "<td>{}</td>",
        value.as_str().unwrap_or(format::NONE).to_string()
    )
}

/// The held column: what an entry reserved (`+X reserved`) or gave back from a hold
/// (`X released`: a capture's part taken from the hold, a release's rest returned), never
/// shown as a loss; what it spent is in the amount column.
fn held_cell(entry: &Value) -> Html {
    let held = &entry["held"];
    match format::millicredits(held) {
        Some(amount) if amount > 0 => html!(
            "<td class=\"num\" data-testid=\"ledger-held\">+{} reserved</td>",
            credits_value(held)
        ),
        Some(amount) if amount < 0 => {
            let released = tally_core::Millicredits::new(amount.saturating_neg()).to_string();
            let what = if entry["type"].as_str() == Some("capture") {
                "from the hold"
            } else {
                "released"
            };
            html!(
                "<td class=\"num\" data-testid=\"ledger-held\">{} {}</td>",
                format::credits(&released),
                what
            )
        }
        _ => html!(
            "<td class=\"num\" data-testid=\"ledger-held\">{}</td>",
            format::NONE
        ),
    }
}

/// Where an entry's credits are: the source of the grant (or grants) it posted to (`Plan`,
/// `Pack`, `Promo`, `Adjustment`), `Overdraft` when it posted to no grant.
fn source_of(entry: &Value, sources: &HashMap<String, String>) -> String {
    let mut grant_ids: Vec<&str> = entry["grant_id"].as_str().into_iter().collect();
    for line in entry["grants"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        if let Some(id) = line["grant_id"].as_str() {
            grant_ids.push(id);
        }
    }
    let mut names: Vec<String> = Vec::new();
    for id in grant_ids {
        let name = match sources.get(id).map(String::as_str) {
            Some("plan") => "Plan",
            Some("pack") => "Pack",
            Some("promo") => "Promo",
            Some("adjustment") => "Adjustment",
            _ => "Grant",
        }
        .to_string();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    if names.is_empty() {
        let moved = format::millicredits(&entry["amount"]).unwrap_or(0) != 0
            || format::millicredits(&entry["held"]).unwrap_or(0) != 0;
        return if moved {
            "Overdraft".into()
        } else {
            format::NONE.into()
        };
    }
    names.join(" + ")
}

/// What an entry did to `available` (`amount - held`), in millicredits.
fn available_delta(entry: &Value) -> i64 {
    let amount = format::millicredits(&entry["amount"]).unwrap_or(0);
    let held = format::millicredits(&entry["held"]).unwrap_or(0);
    amount.saturating_sub(held)
}

fn row_html(
    entry: &Value,
    sources: &HashMap<String, String>,
    balance_after: Option<i64>,
    zone: &jiff::tz::TimeZone,
) -> Html {
    let balance = match balance_after {
        Some(balance) => html!(
            "<td class=\"num\" data-testid=\"ledger-balance\">{}</td>",
            format::credits(&tally_core::Millicredits::new(balance).to_string())
        ),
        None => Html::default(),
    };
    html!(
        "<tr data-testid=\"ledger-row\" data-entry-id=\"{}\"><td>{}</td><td><span class=\"tag\">{}</span></td>{}{}{}<td data-testid=\"ledger-source\">{}</td>{}{}{}{}<td class=\"id\">{}</td></tr>",
        entry["id"].as_str().unwrap_or(""),
        format::date_time_value_in(&entry["created_at"], zone),
        entry["type"].as_str().unwrap_or(""),
        amount_cell(&entry["amount"]),
        held_cell(entry),
        balance,
        source_of(entry, sources),
        text_cell(&entry["product"]),
        text_cell(&entry["model"]),
        text_cell(&entry["member"]),
        text_cell(&entry["description"]),
        entry["id"].as_str().unwrap_or("")
    )
}

fn filters_form(user: &WebUser, account_id: &str, filters: &Filters) -> Html {
    let account = if user.is_admin() {
        super::hidden("account", account_id)
    } else {
        Html::default()
    };
    let options: Html = std::iter::once(html!("<option value=\"\">All types</option>"))
        .chain(ENTRY_TYPES.iter().map(|kind| {
            let selected = if *kind == filters.kind {
                html!(" selected")
            } else {
                Html::default()
            };
            html!("<option value=\"{}\"{}>{}</option>", *kind, selected, *kind)
        }))
        .collect();
    html!(
        "<form method=\"get\" action=\"/ledger\" class=\"inline-form\" aria-label=\"Filters\">{}\
         <div class=\"field\"><label for=\"ledger-type\">Type</label>\
         <select id=\"ledger-type\" name=\"type\" data-testid=\"ledger-type\">{}</select></div>\
         <div class=\"field\"><label for=\"ledger-product\">Product</label>\
         <input id=\"ledger-product\" name=\"product\" type=\"text\" value=\"{}\" data-testid=\"ledger-product\"></div>\
         <div class=\"field\"><label for=\"ledger-from\">From</label>\
         <input id=\"ledger-from\" name=\"from\" type=\"date\" value=\"{}\"></div>\
         <div class=\"field\"><label for=\"ledger-to\">To</label>\
         <input id=\"ledger-to\" name=\"to\" type=\"date\" value=\"{}\"></div>\
         <div class=\"actions\"><button type=\"submit\">Filter</button></div></form>",
        account,
        options,
        filters.product,
        filters.from,
        filters.to
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
    let filters = Filters::read(&query);
    let starting_after = field(&query, "starting_after");
    let page_size = PAGE_ENTRIES.to_string();
    let render = |content: Html| {
        let export_href = format!("/ledger.csv{}", filters.page_query(&user, &account_id, &[]));
        let body = html!(
            "<h1>Ledger</h1>{}<p><a class=\"button secondary\" href=\"{}\" data-testid=\"export-csv\" \
             download>Export CSV</a> <span class=\"muted\">All entries that match the filters, \
             amounts in credits.</span></p>{}",
            filters_form(&user, &account_id, &filters),
            export_href,
            content
        );
        layout::page(
            &state,
            &user,
            Some(&account_id),
            Some(Nav::Ledger),
            "Ledger",
            body,
        )
    };
    let api_query =
        match filters.api_query(&[("limit", &page_size), ("starting_after", starting_after)]) {
            Ok(api_query) => api_query,
            Err(problem) => {
                return render(html!(
                    "<p class=\"notice error\" role=\"alert\">{}</p>",
                    problem
                ));
            }
        };
    let uri = format!(
        "/v1/accounts/{}/entries{api_query}",
        url_component(&account_id)
    );
    let answer = api::get(&state, &user, &uri).await;
    if !answer.is_success() {
        if answer.status.as_u16() == 422 {
            return render(html!(
                "<p class=\"notice error\" role=\"alert\">{}</p>",
                answer.detail()
            ));
        }
        return PageError::from_answer(&answer).into_response();
    }
    let entries = answer.body["data"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    let account_path = format!("/v1/accounts/{}", url_component(&account_id));
    let zone = super::account_zone(&state, &user, &account_id).await;
    let grants = api::get(&state, &user, &format!("{account_path}/grants?limit=1000")).await;
    let sources: HashMap<String, String> = grants.body["data"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|grant| {
            Some((
                grant["id"].as_str()?.to_string(),
                grant["source"].as_str()?.to_string(),
            ))
        })
        .collect();
    // The running balance (available after each entry) needs every entry: unfiltered only.
    // The newest page starts from the balance; an older one from where the page before it
    // stopped (carried in its link).
    let unfiltered = filters.kind.is_empty()
        && filters.product.is_empty()
        && filters.from.is_empty()
        && filters.to.is_empty();
    let mut balance_after = if !unfiltered {
        None
    } else if starting_after.is_empty() {
        let balance = api::get(&state, &user, &format!("{account_path}/balance")).await;
        format::millicredits(&balance.body["available"])
    } else {
        field(&query, "balance_after").parse::<i64>().ok()
    };
    let mut rows = Html::default();
    for entry in entries {
        rows.push(row_html(entry, &sources, balance_after, &zone));
        balance_after = balance_after.map(|after| after.saturating_sub(available_delta(entry)));
    }
    let balance_heading = if unfiltered {
        html!("<th scope=\"col\" class=\"num\">Balance</th>")
    } else {
        Html::default()
    };
    let rows = if entries.is_empty() {
        html!("<tr><td colspan=\"11\" class=\"muted\">No entries match.</td></tr>")
    } else {
        rows
    };
    let carried = balance_after
        .map(|after| after.to_string())
        .unwrap_or_default();
    let mut pager = Html::default();
    if !starting_after.is_empty() {
        pager.push(html!(
            "<a href=\"/ledger{}\">← Newest</a>",
            filters.page_query(&user, &account_id, &[])
        ));
    }
    if answer.body["has_more"].as_bool() == Some(true)
        && let Some(last) = entries.last().and_then(|entry| entry["id"].as_str())
    {
        pager.push(html!(
            "<a href=\"/ledger{}\" data-testid=\"ledger-older\">Older entries →</a>",
            filters.page_query(
                &user,
                &account_id,
                &[("starting_after", last), ("balance_after", &carried)]
            )
        ));
    }
    render(html!(
        "<section class=\"card\"><div class=\"table-wrap\" tabindex=\"0\"><table class=\"ledger\">\
         <caption>Entries, newest first</caption><thead><tr>\
         <th scope=\"col\">Date</th><th scope=\"col\">Type</th>\
         <th scope=\"col\" class=\"num\">Amount</th><th scope=\"col\" class=\"num\">Held</th>{}\
         <th scope=\"col\">Source</th><th scope=\"col\">Product</th><th scope=\"col\">Model</th><th scope=\"col\">Member</th>\
         <th scope=\"col\">Description</th><th scope=\"col\">Id</th></tr></thead>\
         <tbody>{}</tbody></table></div><nav class=\"pager\" aria-label=\"Pages\">{}</nav>\
         <p class=\"muted\">Amount: what an entry did to your credits. Held: what it reserved \
         for an action in progress, or gave back from a hold. Balance: the credits available \
         after it.</p></section>",
        balance_heading,
        rows,
        pager
    ))
}

/// One CSV field, quoted when it must be.
fn csv_field(text: &str, is_text_column: bool, out: &mut String) {
    let neutralise = is_text_column
        && text
            .chars()
            .next()
            .is_some_and(|first| matches!(first, '=' | '+' | '-' | '@' | '\t' | '\r'));
    let needs_quotes = neutralise || text.contains([',', '"', '\n', '\r']);
    if needs_quotes {
        out.push('"');
        if neutralise {
            out.push('\'');
        }
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

/// One entry (as the API renders it) as a CSV line.
pub fn csv_line(entry: &Value, out: &mut String) {
    for (index, column) in CSV_COLUMNS.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        let text = match &entry[*column] {
            Value::Null => String::new(),
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        csv_field(&text, CSV_TEXT_COLUMNS.contains(column), out);
    }
    out.push_str("\r\n");
}

pub async fn export_csv(
    State(state): State<WebState>,
    user: WebUser,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let account_id = match account_for(&user, &query) {
        Ok(account_id) => account_id,
        Err(denied) => return denied.into_response(),
    };
    let filters = Filters::read(&query);
    // The API checks access and the filters exactly as for the page.
    let api_query = match filters.api_query(&[("limit", "1")]) {
        Ok(api_query) => api_query,
        Err(problem) => {
            return PageError::Api {
                status: axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                detail: problem,
            }
            .into_response();
        }
    };
    let uri = format!(
        "/v1/accounts/{}/entries{api_query}",
        url_component(&account_id)
    );
    let answer = api::get(&state, &user, &uri).await;
    if !answer.is_success() {
        return PageError::from_answer(&answer).into_response();
    }
    let (from, to) = filters.instants().unwrap_or_default();
    let filter = EntryFilter {
        kind: EntryKind::parse(filters.kind),
        product: Some(filters.product.to_string()).filter(|product| !product.is_empty()),
        from: from
            .as_deref()
            .and_then(tally_server::render::parse_timestamp),
        to: to
            .as_deref()
            .and_then(tally_server::render::parse_timestamp),
    };
    let (sender, receiver) =
        tokio::sync::mpsc::channel::<Result<String, std::io::Error>>(CSV_CHUNKS_BUFFERED);
    let store = state.store.clone();
    let export_account = account_id.clone();
    tokio::task::spawn_blocking(move || {
        let mut chunk = CSV_COLUMNS.join(",");
        chunk.push_str("\r\n");
        let mut page = PageRequest {
            limit: CSV_PAGE_ENTRIES,
            starting_after: None,
        };
        loop {
            let result = store.entries(&export_account, &filter, &page);
            let entries = match result {
                Ok(entries) => entries,
                Err(error) => {
                    tracing::error!(%error, "web: the CSV export failed");
                    let _ = sender
                        .blocking_send(Err(std::io::Error::other("the ledger could not be read")));
                    return;
                }
            };
            for entry in &entries.data {
                csv_line(&tally_server::render::entry(entry), &mut chunk);
            }
            if sender
                .blocking_send(Ok(std::mem::take(&mut chunk)))
                .is_err()
            {
                return; // The client went away.
            }
            match (entries.has_more, entries.data.last()) {
                (true, Some(last)) => page.starting_after = Some(last.id.clone()),
                _ => return,
            }
        }
    });
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    let file_name: String = account_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    if let Ok(value) = HeaderValue::from_str(&format!(
        "attachment; filename=\"tally-ledger-{file_name}.csv\""
    )) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    layout::secure(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_lines_quote_and_neutralise() {
        let entry: Value = serde_json::from_str(
            r#"{"id": "ent_1", "created_at": "2026-11-24T00:00:00Z", "type": "charge",
                "amount": -12.5, "held": 0, "product": "=cmd()", "member": "a,b",
                "description": "say \"hi\"\nthere", "rate_card_version": 3}"#,
        )
        .unwrap();
        let mut out = String::new();
        csv_line(&entry, &mut out);
        assert_eq!(
            out,
            "ent_1,2026-11-24T00:00:00Z,charge,-12.5,0,\"'=cmd()\",,\"a,b\",,,,3,\"say \"\"hi\"\"\nthere\"\r\n"
        );
    }

    #[test]
    fn dates_filter_whole_days() {
        let query: HashMap<String, String> = [("from", "2026-11-01"), ("to", "2026-11-02")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let filters = Filters::read(&query);
        assert_eq!(
            filters.instants().unwrap(),
            (
                Some("2026-11-01T00:00:00Z".to_string()),
                Some("2026-11-03T00:00:00Z".to_string())
            )
        );
        let bad: HashMap<String, String> = [("from".to_string(), "yesterday".to_string())].into();
        assert!(Filters::read(&bad).instants().is_err());
    }
}
