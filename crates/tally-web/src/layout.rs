//! The page shell: head, navigation, the one-shot notice, and the security headers every
//! dashboard response carries.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::html::Html;
use super::session::Notice;
use super::{WebUser, account_query};
use crate::WebState;
use crate::html;

/// Scripts and styles come only from `/assets`; no inline script can run.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

/// Which navigation link is the current page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nav {
    Overview,
    Calculator,
    Usage,
    Ledger,
    Events,
    Packs,
    Admin,
}

/// Adds the headers every dashboard response carries.
pub fn secure(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let set = |headers: &mut axum::http::HeaderMap, name: &'static str, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(headers, "content-security-policy", CONTENT_SECURITY_POLICY);
    set(headers, "x-content-type-options", "nosniff");
    set(headers, "x-frame-options", "DENY");
    set(headers, "referrer-policy", "same-origin");
    set(headers, "cache-control", "no-store");
    response
}

fn document(title: &str, csrf: Option<&str>, header_html: Html, main: Html) -> Response {
    let csrf_meta = match csrf {
        Some(token) => html!("<meta name=\"csrf-token\" content=\"{}\">", token),
        None => Html::default(),
    };
    let page = html!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · Tally</title>{}\
         <link rel=\"stylesheet\" href=\"/assets/app.css\">\
         <script src=\"/assets/app.js\" defer></script></head>\
         <body><a class=\"skip\" href=\"#main\">Skip to content</a>{}\
         <main id=\"main\" tabindex=\"-1\">{}</main></body></html>\n",
        title,
        csrf_meta,
        header_html,
        main
    );
    let mut response = page.into_string().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    secure(response)
}

/// A page without navigation (sign-in, errors).
pub fn bare(title: &str, main: Html) -> Response {
    let header_html =
        html!("<header class=\"top\"><a class=\"brand\" href=\"/\">Tally</a></header>");
    document(title, None, header_html, main)
}

/// A signed-in page: navigation for `account_id` (none for an admin's accounts list), the
/// session's notice, and `main`.
pub fn page(
    state: &WebState,
    user: &WebUser,
    account_id: Option<&str>,
    active: Option<Nav>,
    title: &str,
    main: Html,
) -> Response {
    let mut links: Vec<(Nav, &str, &str, &str)> = Vec::new();
    if account_id.is_some() {
        links.extend([
            (Nav::Overview, "nav-overview", "/", "Overview"),
            (
                Nav::Calculator,
                "nav-calculator",
                "/calculator",
                "Cost calculator",
            ),
            (Nav::Usage, "nav-usage", "/usage", "Usage"),
            (Nav::Ledger, "nav-ledger", "/ledger", "Ledger"),
            (Nav::Events, "nav-events", "/events", "Events"),
            (Nav::Packs, "nav-packs", "/packs", "Plan and packs"),
        ]);
    }
    if user.is_admin() {
        links.push((Nav::Admin, "nav-admin", "/admin", "Admin"));
    }
    let suffix = account_id.map_or_else(String::new, |id| account_query(user, id));
    let nav: Html = links
        .into_iter()
        .map(|(nav, test_id, path, label)| {
            let href = if nav == Nav::Admin {
                path.to_string()
            } else {
                format!("{path}{suffix}")
            };
            let current = if Some(nav) == active {
                html!(" aria-current=\"page\"")
            } else {
                Html::default()
            };
            html!(
                "<a data-testid=\"{}\" href=\"{}\"{}>{}</a>",
                test_id,
                href,
                current,
                label
            )
        })
        .collect();
    let who = match (&user.principal, account_id) {
        (tally_server::auth::Principal::Admin, Some(id)) => html!("Admin · viewing <b>{}</b>", id),
        (tally_server::auth::Principal::Admin, None) => html!("Admin"),
        (tally_server::auth::Principal::Account { account_id, .. }, _) => html!("{}", account_id),
    };
    // A session a portal link started may lead back to the platform's page it named.
    let back = match &user.signed_in {
        crate::session::SignedIn::Portal {
            return_url: Some(url),
            ..
        } => html!(
            "<a href=\"{}\" data-testid=\"return-link\">Back to the site</a>",
            url.as_str()
        ),
        _ => Html::default(),
    };
    let header_html = html!(
        "<header class=\"top\"><a class=\"brand\" href=\"/{}\">Tally</a>\
         <nav aria-label=\"Main\">{}</nav>\
         <div class=\"who\">{}<span>{}</span>\
         <form method=\"post\" action=\"/sign-out\">{}\
         <button type=\"submit\" class=\"link\" data-testid=\"sign-out\">Sign out</button></form></div>\
         </header>",
        suffix,
        nav,
        back,
        who,
        super::hidden("csrf", &user.csrf)
    );
    let notice = state
        .sessions
        .take_notice(&user.session_id)
        .map(notice_html)
        .unwrap_or_default();
    let mut main_html = notice;
    main_html.push(main);
    document(title, Some(&user.csrf), header_html, main_html)
}

fn notice_html(notice: Notice) -> Html {
    let class = if notice.ok {
        "notice ok"
    } else {
        "notice error"
    };
    html!(
        "<p class=\"{}\" role=\"status\" data-testid=\"notice\">{}</p>",
        class,
        notice.message
    )
}
