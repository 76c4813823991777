//! `GET /errors` and `GET /errors/{code}`: the page a problem's `type` names. Every problem
//! says `"type": "/errors/<code>"`, a path on the server that answered it, so a person who
//! follows it reads what the code means and what to do, from the same text as `docs/errors.md`
//! (compiled in: the page and the file cannot differ).

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// docs/errors.md, as this binary was built with it.
const ERRORS_MD: &str = include_str!("../../../../docs/errors.md");

/// The codes documented, in the page's order, each with its section (without the heading).
pub fn sections() -> Vec<(&'static str, &'static str)> {
    let mut sections = Vec::new();
    let mut rest = ERRORS_MD;
    while let Some(start) = rest.find("\n## ") {
        let after = &rest[start + 4..];
        let line_end = after.find('\n').unwrap_or(after.len());
        let code = after[..line_end].trim();
        let body = &after[line_end..];
        let end = body.find("\n## ").unwrap_or(body.len());
        sections.push((code, body[..end].trim()));
        rest = &body[end..];
    }
    sections
}

/// The introduction: what every problem holds.
fn introduction() -> &'static str {
    let start = ERRORS_MD.find('\n').map_or(0, |end| end + 1);
    let end = ERRORS_MD.find("\n## ").unwrap_or(ERRORS_MD.len());
    ERRORS_MD[start..end].trim()
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// One line of the page's Markdown, escaped, with `` `code` `` spans as `<code>`.
fn inline(text: &str) -> String {
    let mut out = String::new();
    for (index, part) in text.split('`').enumerate() {
        if index % 2 == 1 {
            out.push_str(&format!("<code>{}</code>", escape(part)));
        } else {
            out.push_str(&escape(part));
        }
    }
    out
}

/// The subset of Markdown the page uses: paragraphs, `- ` lists, fenced code and tables
/// (shown as preformatted text).
fn markdown(text: &str) -> String {
    let mut html = String::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let mut list: Vec<String> = Vec::new();
    let mut fenced: Option<Vec<&str>> = None;
    let flush = |html: &mut String, paragraph: &mut Vec<&str>, list: &mut Vec<String>| {
        if !paragraph.is_empty() {
            html.push_str(&format!("<p>{}</p>\n", inline(&paragraph.join(" "))));
            paragraph.clear();
        }
        if !list.is_empty() {
            html.push_str("<ul>\n");
            for item in list.drain(..) {
                html.push_str(&format!("<li>{}</li>\n", inline(&item)));
            }
            html.push_str("</ul>\n");
        }
    };
    for line in text.lines() {
        if let Some(block) = fenced.as_mut() {
            if line.starts_with("```") {
                html.push_str(&format!("<pre>{}</pre>\n", escape(&block.join("\n"))));
                fenced = None;
            } else {
                block.push(line);
            }
            continue;
        }
        if line.starts_with("```") || line.starts_with('|') {
            flush(&mut html, &mut paragraph, &mut list);
            if line.starts_with('|') {
                html.push_str(&format!("<pre>{}</pre>\n", escape(line)));
            } else {
                fenced = Some(Vec::new());
            }
        } else if let Some(item) = line.strip_prefix("- ") {
            if !paragraph.is_empty() {
                flush(&mut html, &mut paragraph, &mut list);
            }
            list.push(item.to_string());
        } else if line.trim().is_empty() {
            flush(&mut html, &mut paragraph, &mut list);
        } else if !list.is_empty() && line.starts_with("  ") {
            let last = list.last_mut().expect("a list item");
            last.push(' ');
            last.push_str(line.trim());
        } else {
            if !list.is_empty() {
                flush(&mut html, &mut paragraph, &mut list);
            }
            paragraph.push(line);
        }
    }
    if let Some(block) = fenced {
        html.push_str(&format!("<pre>{}</pre>\n", escape(&block.join("\n"))));
    }
    flush(&mut html, &mut paragraph, &mut list);
    html
}

fn page(title: &str, main: &str) -> Response {
    let body = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} · Tally errors</title>\n\
         <style>body{{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;\
         padding:0 1rem;color:#1a1a1a;background:#fff}}code,pre{{background:#f2f2f2;\
         font-size:.9em}}pre{{padding:.5rem;overflow-x:auto}}a{{color:#0645ad}}</style>\n\
         </head>\n<body>\n<main>\n{main}</main>\n</body>\n</html>\n",
        title = escape(title),
    );
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// `GET /errors`: every code, with the introduction.
pub async fn index() -> Response {
    let mut main = String::from("<h1>Errors</h1>\n");
    main.push_str(&markdown(introduction()));
    main.push_str("<h2>Codes</h2>\n<ul>\n");
    for (code, _) in sections() {
        main.push_str(&format!(
            "<li><a href=\"/errors/{code}\"><code>{code}</code></a></li>\n",
            code = escape(code)
        ));
    }
    main.push_str("</ul>\n");
    page("Errors", &main)
}

/// `GET /errors/{code}`: one code's section; an unknown code is a 404 problem.
pub async fn code(Path(code): Path<String>) -> Result<Response, ApiError> {
    let (code, section) = sections()
        .into_iter()
        .find(|(known, _)| *known == code)
        .ok_or(ApiError::NotFound { what: "error code" })?;
    let main = format!(
        "<p><a href=\"/errors\">All errors</a></p>\n<h1><code>{}</code></h1>\n{}",
        escape(code),
        markdown(section)
    );
    Ok(page(code, &main))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_section_of_the_page_is_a_code_with_text() {
        let sections = sections();
        assert!(sections.len() >= 20, "{} sections", sections.len());
        for (code, body) in &sections {
            assert!(
                code.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "`{code}` is not a code"
            );
            assert!(!body.is_empty(), "`{code}` has no text");
        }
        assert!(
            sections
                .iter()
                .any(|(code, _)| *code == "insufficient_credits")
        );
    }

    #[test]
    fn markdown_is_escaped_and_its_code_spans_marked() {
        let html = markdown("A `<b>` tag & more\n\n- one\n  two\n- three\n\n```\n{\"a\": 1}\n```");
        assert_eq!(
            html,
            "<p>A <code>&lt;b&gt;</code> tag &amp; more</p>\n<ul>\n<li>one two</li>\n\
             <li>three</li>\n</ul>\n<pre>{&quot;a&quot;: 1}</pre>\n"
        );
    }
}
