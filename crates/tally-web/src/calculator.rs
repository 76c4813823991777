//! The cost calculator: an action and a model from the current rate card, the quantities of a
//! usage, and the API's quote for it (min–max, the lines that explain it, affordable or not,
//! available after, the cheaper models for the same usage, and, when the account cannot
//! afford it now but its next plan grant would, when those credits arrive), updated as you
//! type.
//!
//! The quote is exactly the API's: the server posts `{usage, account_id, alternatives: true}`
//! to `/v1/quotes` in
//! process and renders the answer. Without JavaScript the form posts and the page comes back
//! with the quote; with it, `app.js` posts the form to `/calculator/quote` as you type and
//! swaps in the fragment.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Number, Value, json};

use super::format::{self, credits_value};
use super::html::Html;
use super::layout::{self, Nav};
use super::{WebUser, account_for, api, field, form_fields};
use crate::WebState;
use crate::html;

/// The longest quantity text the form accepts.
const QUANTITY_BYTES_MAX: usize = 20;

/// Qualities in the order a person reads them.
const QUALITIES: [&str; 5] = ["low", "medium", "high", "standard", "hd"];

/// One quantity of a usage, as the form shows it.
struct Quantity {
    name: &'static str,
    label: &'static str,
    test_id: &'static str,
    /// Fraction digits allowed (seconds take milliseconds).
    fraction_digits: u64,
    default: &'static str,
    hint: &'static str,
}

const QUANTITIES: [Quantity; 10] = [
    Quantity {
        name: "input_tokens",
        label: "Input tokens",
        test_id: "calc-input-tokens",
        fraction_digits: 0,
        default: "1000",
        hint: "",
    },
    Quantity {
        name: "cached_input_tokens",
        label: "Cached input tokens",
        test_id: "calc-cached-input-tokens",
        fraction_digits: 0,
        default: "",
        hint: "Optional.",
    },
    Quantity {
        name: "output_tokens",
        label: "Output tokens",
        test_id: "calc-output-tokens",
        fraction_digits: 0,
        default: "500",
        hint: "",
    },
    Quantity {
        name: "max_output_tokens",
        label: "Max output tokens",
        test_id: "calc-max-output-tokens",
        fraction_digits: 0,
        default: "",
        hint: "Used when output tokens is empty: the quote is then a range.",
    },
    Quantity {
        name: "width",
        label: "Width (pixels)",
        test_id: "calc-width",
        fraction_digits: 0,
        default: "1024",
        hint: "",
    },
    Quantity {
        name: "height",
        label: "Height (pixels)",
        test_id: "calc-height",
        fraction_digits: 0,
        default: "1024",
        hint: "",
    },
    Quantity {
        name: "count",
        label: "Images",
        test_id: "calc-count",
        fraction_digits: 0,
        default: "1",
        hint: "",
    },
    Quantity {
        name: "seconds",
        label: "Seconds",
        test_id: "calc-seconds",
        fraction_digits: 3,
        default: "8",
        hint: "",
    },
    Quantity {
        name: "characters",
        label: "Characters",
        test_id: "calc-characters",
        fraction_digits: 0,
        default: "1000",
        hint: "",
    },
    Quantity {
        name: "units",
        label: "Units",
        test_id: "calc-units",
        fraction_digits: 0,
        default: "1",
        hint: "",
    },
];

/// A rate-card item the calculator can price: its action, model, and the form fields it uses.
struct Item {
    action: String,
    model: String,
    fields: Vec<&'static str>,
    qualities: Vec<&'static str>,
}

fn items(card: &Value) -> Vec<Item> {
    let Some(items) = card["items"].as_array() else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let action = item["action"].as_str()?.to_string();
            let model = item["model"].as_str()?.to_string();
            let qualities = qualities(item);
            let mut fields: Vec<&'static str> = match action.as_str() {
                "chat" => vec![
                    "input_tokens",
                    "cached_input_tokens",
                    "output_tokens",
                    "max_output_tokens",
                ],
                "embedding" => vec!["input_tokens"],
                "image" => vec!["width", "height", "count"],
                "video" => vec!["seconds", "width", "height"],
                "speech" => {
                    let rates = &item["rates"];
                    let by: Vec<&'static str> = ["characters", "seconds"]
                        .into_iter()
                        .filter(|name| !rates[*name].is_null())
                        .collect();
                    if by.is_empty() {
                        vec!["characters", "seconds"]
                    } else {
                        by
                    }
                }
                "custom" => vec!["units"],
                _ => QUANTITIES.iter().map(|quantity| quantity.name).collect(),
            };
            if !qualities.is_empty() {
                fields.push("quality");
            }
            Some(Item {
                action,
                model,
                fields,
                qualities,
            })
        })
        .collect()
}

/// The qualities an image item prices (the keys of its tiers' `prices`).
fn qualities(item: &Value) -> Vec<&'static str> {
    let tiers = item["tiers"].as_array();
    QUALITIES
        .into_iter()
        .filter(|quality| {
            tiers.is_some_and(|tiers| tiers.iter().any(|tier| !tier["prices"][*quality].is_null()))
        })
        .collect()
}

/// What the form holds: the chosen action and model and the quantities' text.
struct Choice {
    values: HashMap<String, String>,
}

impl Choice {
    fn new(input: &HashMap<String, String>, items: &[Item]) -> Choice {
        let mut values: HashMap<String, String> = HashMap::new();
        for quantity in &QUANTITIES {
            let value = input
                .get(quantity.name)
                .map_or(quantity.default, |text| text.trim());
            values.insert(quantity.name.to_string(), value.to_string());
        }
        let action = field(input, "action");
        let model = field(input, "model");
        let item = items
            .iter()
            .find(|item| item.action == action && item.model == model)
            .or_else(|| items.iter().find(|item| item.action == action))
            .or_else(|| items.first());
        let (action, model) = match item {
            Some(item) => (item.action.clone(), item.model.clone()),
            None => (action.to_string(), model.to_string()),
        };
        values.insert("action".into(), action);
        values.insert("model".into(), model);
        values.insert("quality".into(), field(input, "quality").to_string());
        Choice { values }
    }

    fn get(&self, name: &str) -> &str {
        self.values.get(name).map_or("", String::as_str)
    }

    fn item<'a>(&self, items: &'a [Item]) -> Option<&'a Item> {
        items
            .iter()
            .find(|item| item.action == self.get("action") && item.model == self.get("model"))
    }

    /// The usage descriptor, or the first field whose text is not a valid quantity.
    fn usage(&self, item: &Item) -> Result<Value, (&'static str, String)> {
        let mut usage = Map::new();
        usage.insert("action".into(), json!(item.action));
        usage.insert("model".into(), json!(item.model));
        for quantity in QUANTITIES
            .iter()
            .filter(|quantity| item.fields.contains(&quantity.name))
        {
            let text = self.get(quantity.name);
            if text.is_empty() {
                continue;
            }
            let number = quantity_number(text, quantity.fraction_digits).ok_or_else(|| {
                let expected = if quantity.fraction_digits == 0 {
                    "a whole number of 0 or more".to_string()
                } else {
                    format!(
                        "a number of 0 or more with at most {} decimals",
                        quantity.fraction_digits
                    )
                };
                (quantity.label, expected)
            })?;
            usage.insert(quantity.name.into(), Value::Number(number));
        }
        if usage.contains_key("output_tokens") {
            usage.remove("max_output_tokens");
        }
        let quality = self.get("quality");
        if item.fields.contains(&"quality") && item.qualities.contains(&quality) {
            usage.insert("quality".into(), json!(quality));
        }
        Ok(Value::Object(usage))
    }
}

/// A quantity's text as an exact JSON number (never through a float).
fn quantity_number(text: &str, fraction_digits_max: u64) -> Option<Number> {
    if text.len() > QUANTITY_BYTES_MAX || !text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let decimal = tally_core::Decimal::parse(text)?;
    if decimal.fraction_digits() > fraction_digits_max {
        return None;
    }
    let scale = u32::try_from(fraction_digits_max).ok()?;
    let scaled = decimal.to_scaled(scale, i64::MAX).ok()?;
    let divisor = 10i64.pow(scale);
    let whole = scaled / divisor;
    let fraction = scaled % divisor;
    let text = if fraction == 0 {
        whole.to_string()
    } else {
        let digits = format!("{fraction:0width$}", width = scale as usize);
        format!("{whole}.{}", digits.trim_end_matches('0'))
    };
    text.parse().ok()
}

/// The current rate card, or why there is none.
async fn rate_card(state: &WebState, user: &WebUser) -> Result<Value, Html> {
    let answer = api::get(state, user, "/v1/rate-card").await;
    if answer.is_success() {
        Ok(answer.body)
    } else if answer.route_missing() {
        Err(html!(
            "<p class=\"notice error\" data-testid=\"calc-unavailable\">The rate card is not \
             available on this server yet, so nothing can be priced here.</p>"
        ))
    } else {
        Err(html!(
            "<p class=\"notice error\">The rate card cannot be read: {}</p>",
            answer.detail()
        ))
    }
}

/// The quote for the form's usage, rendered (the part of the page `app.js` swaps in).
async fn quote_html(
    state: &WebState,
    user: &WebUser,
    account_id: &str,
    items: &[Item],
    choice: &Choice,
) -> Html {
    let Some(item) = choice.item(items) else {
        return result_html(
            html!("—"),
            html!("<p class=\"notice error\">Choose a model for this action.</p>"),
        );
    };
    let usage = match choice.usage(item) {
        Ok(usage) => usage,
        Err((label, expected)) => {
            return result_html(
                html!("—"),
                html!(
                    "<p class=\"notice error\" role=\"alert\">{}: enter {}.</p>",
                    label,
                    expected
                ),
            );
        }
    };
    let request = json!({"usage": usage, "account_id": account_id, "alternatives": true});
    let answer = api::call(state, user, Method::POST, "/v1/quotes", Some(&request)).await;
    if answer.route_missing() {
        return result_html(
            html!("—"),
            html!(
                "<p class=\"notice error\" data-testid=\"calc-unavailable\">Quotes are not \
                 available on this server yet.</p>"
            ),
        );
    }
    if !answer.is_success() {
        return result_html(
            html!("—"),
            html!(
                "<p class=\"notice error\" role=\"alert\">This usage cannot be priced: {}</p>",
                answer.detail()
            ),
        );
    }
    let zone = super::account_zone(state, user, account_id).await;
    quote_details(&answer.body, &zone)
}

fn result_html(cost: Html, details: Html) -> Html {
    result_html_in(cost, "credits", details)
}

/// The cost figure with its unit (`credit` for a cost of exactly one).
fn result_html_in(cost: Html, unit: &str, details: Html) -> Html {
    html!(
        "<p class=\"figure\"><span data-testid=\"calc-cost\">{}</span> \
         <span class=\"unit\">{}</span></p>{}",
        cost,
        unit,
        details
    )
}

/// The cheaper models for the same usage, as the quote lists them (cheapest first), each
/// saying whether the account can afford it now.
fn alternatives_html(quote: &Value) -> Html {
    let alternatives = quote["alternatives"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if alternatives.is_empty() {
        return Html::default();
    }
    let rows: Html = alternatives
        .iter()
        .map(|alternative| {
            let cost = &alternative["cost"];
            let cost_text =
                if format::millicredits(&cost["min"]) == format::millicredits(&cost["max"]) {
                    credits_value(&cost["max"])
                } else {
                    format!(
                        "{} – {}",
                        credits_value(&cost["min"]),
                        credits_value(&cost["max"])
                    )
                };
            let affordable = match alternative["affordable"].as_bool() {
                Some(true) => html!("<span class=\"pill ok\">Affordable</span>"),
                Some(false) => html!("<span class=\"pill bad\">Not affordable</span>"),
                None => Html::default(),
            };
            html!(
                "<tr data-testid=\"calc-alternative\" data-model=\"{}\"><th scope=\"row\">{}</th>\
                 <td class=\"num\">{}</td><td>{}</td></tr>",
                alternative["model"].as_str().unwrap_or(""),
                alternative["model"].as_str().unwrap_or(""),
                cost_text,
                affordable
            )
        })
        .collect();
    html!(
        "<div class=\"table-wrap\" tabindex=\"0\"><table data-testid=\"calc-alternatives\"><caption>Cheaper \
         models for the same usage, cheapest first</caption><thead><tr><th scope=\"col\">Model</th>\
         <th scope=\"col\" class=\"num\">Credits</th><th scope=\"col\">Now</th></tr></thead>\
         <tbody>{}</tbody></table></div>",
        rows
    )
}

/// When the account cannot afford the usage now but its next plan grant alone would cover
/// it: "Not enough now; 5,000 credits arrive on 1 Jan 2027."
fn next_reset_html(quote: &Value, zone: &jiff::tz::TimeZone) -> Html {
    let account = &quote["account"];
    let reset = &account["next_reset"];
    let (Some(false), Some(at), Some(credits), Some(needed)) = (
        account["affordable"].as_bool(),
        reset["at"].as_str(),
        format::millicredits(&reset["credits"]),
        format::millicredits(&quote["cost"]["max"]),
    ) else {
        return Html::default();
    };
    if credits < needed {
        return Html::default();
    }
    html!(
        "<p class=\"notice\" data-testid=\"calc-next-reset\">Not enough now; {} arrive on {}.</p>",
        format::credits_phrase(&reset["credits"]),
        format::date_in(at, zone)
    )
}

fn quote_details(quote: &Value, zone: &jiff::tz::TimeZone) -> Html {
    let cost = &quote["cost"];
    let min = format::millicredits(&cost["min"]);
    let max = format::millicredits(&cost["max"]);
    let cost_html = if min == max {
        html!("{}", credits_value(&cost["max"]))
    } else {
        html!(
            "{} – {}",
            credits_value(&cost["min"]),
            credits_value(&cost["max"])
        )
    };
    let range_note = if min == max {
        Html::default()
    } else {
        html!(
            "<p class=\"muted\">A range: the final cost depends on how much of the upper bound \
             is used. A hold reserves the maximum.</p>"
        )
    };
    let account = &quote["account"];
    let affordability = match account["affordable"].as_bool() {
        Some(affordable) => {
            let (class, label) = if affordable {
                ("ok", "Affordable")
            } else {
                ("bad", "Not affordable")
            };
            html!(
                "<dl class=\"facts\"><div><dt>Can you afford it?</dt><dd><span class=\"pill {}\" \
                 data-testid=\"calc-affordable\" data-affordable=\"{}\">{}</span></dd></div>\
                 <div><dt>Available now</dt><dd>{}</dd></div>\
                 <div><dt>Available after</dt><dd><span data-testid=\"calc-available-after\">{}</span> {}</dd></div></dl>",
                class,
                if affordable { "true" } else { "false" },
                label,
                format::credits_phrase(&account["available"]),
                credits_value(&account["available_after"]),
                format::credits_unit(&account["available_after"])
            )
        }
        None => Html::default(),
    };
    let lines: Html = quote["lines"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|line| {
            let dimension = line["dimension"].as_str().unwrap_or("").replace('_', " ");
            let mut detail = Vec::new();
            for key in ["tier", "quality"] {
                if let Some(text) = line[key].as_str() {
                    detail.push(text.to_string());
                }
            }
            if line["upper_bound"].as_bool() == Some(true) {
                detail.push("upper bound".to_string());
            }
            let detail = if detail.is_empty() {
                Html::default()
            } else {
                html!(" <span class=\"muted\">({})</span>", detail.join(", "))
            };
            html!(
                "<tr><th scope=\"row\">{}{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                dimension,
                detail,
                format::exact_value(&line["quantity"]),
                format::exact_value(&line["unit_price"]),
                credits_value(&line["amount"])
            )
        })
        .collect();
    let footer = html!(
        "<p class=\"muted\">Rate card version {}. The quote holds its price until {}.</p>",
        format::exact_value(&quote["rate_card_version"]),
        format::date_time_value_in(&quote["expires_at"], zone)
    );
    let unit = if min == max {
        format::credits_unit(&cost["max"])
    } else {
        "credits"
    };
    result_html_in(
        cost_html,
        unit,
        html!(
            "{}{}{}<div class=\"table-wrap\" tabindex=\"0\"><table class=\"lines\"><caption>How it is priced</caption>\
             <thead><tr><th scope=\"col\">Dimension</th><th scope=\"col\" class=\"num\">Quantity</th>\
             <th scope=\"col\" class=\"num\">Unit price</th><th scope=\"col\" class=\"num\">Credits</th></tr></thead>\
             <tbody>{}</tbody></table></div>{}{}",
            range_note,
            affordability,
            next_reset_html(quote, zone),
            lines,
            alternatives_html(quote),
            footer
        ),
    )
}

fn form_html(user: &WebUser, account_id: &str, items: &[Item], choice: &Choice) -> Html {
    let mut actions: Vec<&str> = Vec::new();
    for item in items {
        if !actions.contains(&item.action.as_str()) {
            actions.push(&item.action);
        }
    }
    let selected = |yes: bool| {
        if yes {
            html!(" selected")
        } else {
            Html::default()
        }
    };
    let action_options: Html = actions
        .iter()
        .map(|action| {
            html!(
                "<option value=\"{}\"{}>{}</option>",
                *action,
                selected(*action == choice.get("action")),
                *action
            )
        })
        .collect();
    let model_options: Html = items
        .iter()
        .map(|item| {
            html!(
                "<option value=\"{}\" data-action=\"{}\" data-fields=\"{}\" data-qualities=\"{}\"{}>{}</option>",
                item.model,
                item.action,
                item.fields.join(" "),
                item.qualities.join(" "),
                selected(item.action == choice.get("action") && item.model == choice.get("model")),
                item.model
            )
        })
        .collect();
    let current = choice.item(items);
    let shown = |name: &str| current.is_none_or(|item| item.fields.contains(&name));
    let hidden_attribute = |name: &str| {
        if shown(name) {
            Html::default()
        } else {
            html!(" hidden")
        }
    };
    let quantity_fields: Html = QUANTITIES
        .iter()
        .map(|quantity| {
            let (mode, step) = if quantity.fraction_digits == 0 {
                ("numeric", "1")
            } else {
                ("decimal", "0.001")
            };
            let hint = if quantity.hint.is_empty() {
                Html::default()
            } else {
                html!(
                    "<small id=\"calc-{}-hint\">{}</small>",
                    quantity.name,
                    quantity.hint
                )
            };
            let describedby = if quantity.hint.is_empty() {
                Html::default()
            } else {
                html!(" aria-describedby=\"calc-{}-hint\"", quantity.name)
            };
            html!(
                "<div class=\"field\" data-field=\"{}\"{}><label for=\"calc-{}\">{}</label>\
                 <input id=\"calc-{}\" name=\"{}\" type=\"number\" min=\"0\" step=\"{}\" \
                 inputmode=\"{}\" value=\"{}\" data-testid=\"{}\"{}>{}</div>",
                quantity.name,
                hidden_attribute(quantity.name),
                quantity.name,
                quantity.label,
                quantity.name,
                quantity.name,
                step,
                mode,
                choice.get(quantity.name),
                quantity.test_id,
                describedby,
                hint
            )
        })
        .collect();
    let qualities: Vec<&str> = match current {
        Some(item) if !item.qualities.is_empty() => item.qualities.clone(),
        _ => QUALITIES.to_vec(),
    };
    let quality_options: Html = std::iter::once(html!("<option value=\"\">Card default</option>"))
        .chain(qualities.iter().map(|quality| {
            html!(
                "<option value=\"{}\"{}>{}</option>",
                *quality,
                selected(*quality == choice.get("quality")),
                *quality
            )
        }))
        .collect();
    html!(
        "<form id=\"calc\" class=\"calc\" method=\"post\" action=\"/calculator\" \
         data-quote-url=\"/calculator/quote\" aria-describedby=\"calc-help\">{}\
         <p id=\"calc-help\" class=\"muted\">The quote updates as you type.</p>\
         <div class=\"field\"><label for=\"calc-action\">Action</label>\
         <select id=\"calc-action\" name=\"action\" data-testid=\"calc-action\">{}</select></div>\
         <div class=\"field\"><label for=\"calc-model\">Model</label>\
         <select id=\"calc-model\" name=\"model\" data-testid=\"calc-model\">{}</select></div>\
         {}<div class=\"field\" data-field=\"quality\"{}><label for=\"calc-quality\">Quality</label>\
         <select id=\"calc-quality\" name=\"quality\" data-testid=\"calc-quality\">{}</select></div>\
         <div class=\"actions\"><button type=\"submit\">Get the quote</button></div></form>",
        form_fields(user, account_id),
        action_options,
        model_options,
        quantity_fields,
        hidden_attribute("quality"),
        quality_options
    )
}

async fn render_page(
    state: &WebState,
    user: &WebUser,
    account_id: &str,
    input: &HashMap<String, String>,
) -> Response {
    let body = match rate_card(state, user).await {
        Ok(card) => {
            let items = items(&card);
            let choice = Choice::new(input, &items);
            let quote = quote_html(state, user, account_id, &items, &choice).await;
            html!(
                "<h1>Cost calculator</h1>\
                 <p class=\"muted\">Prices from rate card version {}, effective {}.</p>\
                 <div class=\"calc-layout\">{}<section id=\"calc-result\" class=\"card\" \
                 aria-live=\"polite\" aria-label=\"Quote\">{}</section></div>",
                format::exact_value(&card["version"]),
                format::date_time_value(&card["effective_at"]),
                form_html(user, account_id, &items, &choice),
                quote
            )
        }
        Err(problem) => html!("<h1>Cost calculator</h1>{}", problem),
    };
    layout::page(
        state,
        user,
        Some(account_id),
        Some(Nav::Calculator),
        "Cost calculator",
        body,
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
    render_page(&state, &user, &account_id, &query).await
}

/// The form posted without JavaScript: the page again, with the quote.
pub async fn page_with_quote(
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
    render_page(&state, &user, &account_id, &form).await
}

/// The quote alone, for `app.js` to swap in as you type.
pub async fn quote_fragment(
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
    let html = match rate_card(&state, &user).await {
        Ok(card) => {
            let items = items(&card);
            let choice = Choice::new(&form, &items);
            quote_html(&state, &user, &account_id, &items, &choice).await
        }
        Err(problem) => result_html(html!("—"), problem),
    };
    let mut response = html.into_string().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    layout::secure(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_exact_json_numbers() {
        let check = |text: &str, digits: u64, expected: Option<&str>| {
            assert_eq!(
                quantity_number(text, digits).map(|number| number.to_string()),
                expected.map(str::to_string),
                "{text}"
            );
        };
        check("1200", 0, Some("1200"));
        check("007", 0, Some("7"));
        check("0", 0, Some("0"));
        check("8.25", 3, Some("8.25"));
        check("8.250", 3, Some("8.25"));
        check("8.2505", 3, None);
        check("1.5", 0, None);
        check("-1", 0, None);
        check("1e3", 0, None);
        check("", 0, None);
        check("99999999999999999999999", 0, None);
    }

    #[test]
    fn items_say_which_fields_they_use() {
        let card: Value = serde_json::from_str(
            r#"{"items": [
                {"action": "chat", "model": "m1", "rates": {"input_tokens": 1, "output_tokens": 2}},
                {"action": "image", "model": "m2", "tiers": [{"name": "s", "prices": {"low": 1, "high": 2}}]},
                {"action": "speech", "model": "m3", "rates": {"seconds": 0.1}},
                {"model": "no action"}
            ]}"#,
        )
        .unwrap();
        let items = items(&card);
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].fields[0], "input_tokens");
        assert_eq!(items[1].qualities, vec!["low", "high"]);
        assert!(items[1].fields.contains(&"quality"));
        assert_eq!(items[2].fields, vec!["seconds"]);
        let input: HashMap<String, String> = [
            ("action", "chat"),
            ("model", "m1"),
            ("input_tokens", "1200"),
            ("output_tokens", ""),
            ("max_output_tokens", "4096"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let choice = Choice::new(&input, &items);
        let usage = choice.usage(choice.item(&items).unwrap()).unwrap();
        assert_eq!(
            usage.to_string(),
            r#"{"action":"chat","input_tokens":1200,"max_output_tokens":4096,"model":"m1"}"#
        );
    }
}
