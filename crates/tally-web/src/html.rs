//! HTML that is escaped by construction: [`Html`] is markup safe to emit, and the [`html!`]
//! macro fills a template's `{}` holes with values that are escaped unless they are `Html`.
//!
//! Unlike `format!`, the template is filled at run time and `{name}` is never an inline
//! capture, so no value can reach the page without passing through [`Render`]. A template
//! whose holes do not match its arguments is a bug and panics.
//!
//! [`html!`]: crate::html

use std::fmt::Write as _;

/// Markup that is safe to emit as it is: built only by [`html!`](crate::html) templates (whose
/// literal text is this crate's) and [`Html::text`] (escaped).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Html(String);

impl Html {
    /// Escaped text.
    pub fn text(text: &str) -> Html {
        Html(escape(text))
    }

    pub fn push(&mut self, more: Html) {
        self.0.push_str(&more.0);
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<Html> for Html {
    fn from_iter<I: IntoIterator<Item = Html>>(iter: I) -> Self {
        let mut all = Html::default();
        for part in iter {
            all.push(part);
        }
        all
    }
}

/// A value that can fill a hole of an [`html!`](crate::html) template.
pub trait Render {
    fn render(&self, out: &mut String);
}

impl Render for Html {
    fn render(&self, out: &mut String) {
        out.push_str(&self.0);
    }
}

impl Render for str {
    fn render(&self, out: &mut String) {
        escape_into(self, out);
    }
}

impl Render for String {
    fn render(&self, out: &mut String) {
        escape_into(self, out);
    }
}

impl<T: Render + ?Sized> Render for &T {
    fn render(&self, out: &mut String) {
        (**self).render(out);
    }
}

impl<T: Render> Render for Option<T> {
    fn render(&self, out: &mut String) {
        if let Some(value) = self {
            value.render(out);
        }
    }
}

macro_rules! render_integers {
    ($($integer:ty),*) => {$(
        impl Render for $integer {
            fn render(&self, out: &mut String) {
                let _ = write!(out, "{self}");
            }
        }
    )*};
}

render_integers!(i32, i64, u32, u64, usize);

/// Fills `template`'s `{}` holes with `args`, in order. Panics when the counts differ (a bug).
pub fn fill(template: &'static str, args: &[&dyn Render]) -> Html {
    let mut out = String::with_capacity(template.len() + 16 * args.len());
    let mut pieces = template.split("{}");
    out.push_str(pieces.next().unwrap_or_default());
    let mut used = 0;
    for piece in pieces {
        let arg = args
            .get(used)
            .unwrap_or_else(|| panic!("html: the template has more holes than arguments"));
        arg.render(&mut out);
        out.push_str(piece);
        used += 1;
    }
    assert_eq!(
        used,
        args.len(),
        "html: the template has fewer holes than arguments"
    );
    Html(out)
}

/// The number of `{}` holes in a template, counted as [`fill`] splits it (at compile time).
pub const fn holes(template: &str) -> usize {
    let bytes = template.as_bytes();
    let mut count = 0;
    let mut index = 0;
    while index + 1 < bytes.len() {
        if bytes[index] == b'{' && bytes[index + 1] == b'}' {
            count += 1;
            index += 2;
        } else {
            index += 1;
        }
    }
    count
}

/// `html!("<p class=\"{}\">{}</p>", class, text)`: a template whose holes are escaped. A
/// template whose holes do not match its arguments does not compile.
#[macro_export]
macro_rules! html {
    ($template:literal $(, $arg:expr)* $(,)?) => {{
        const _: () = assert!(
            $crate::html::holes($template) == 0usize $(+ $crate::html!(@one $arg))*,
            "html!: the template's holes and arguments differ"
        );
        $crate::html::fill($template, &[$(&$arg as &dyn $crate::html::Render),*])
    }};
    (@one $arg:expr) => {
        1usize
    };
}

/// Text escaped for HTML content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(text, &mut out);
    out
}

fn escape_into(text: &str, out: &mut String) {
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
}

/// Text percent-encoded for a URL's query component (every byte but unreserved ones).
pub fn url_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// A query string (`?a=1&b=2`) from pairs, leaving out empty values; empty when none is left.
pub fn query(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (name, value) in pairs.iter().filter(|(_, value)| !value.is_empty()) {
        out.push(if out.is_empty() { '?' } else { '&' });
        out.push_str(&url_component(name));
        out.push('=');
        out.push_str(&url_component(value));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_for_content_and_attributes() {
        let check = |text: &str, expected: &str| assert_eq!(escape(text), expected, "{text}");
        check("plain", "plain");
        check(
            "<script>alert(1)</script>",
            "&lt;script&gt;alert(1)&lt;/script&gt;",
        );
        check("a & b", "a &amp; b");
        check("\"quoted\" 'single'", "&quot;quoted&quot; &#39;single&#39;");
        check("&amp;", "&amp;amp;");
        check("émoji ✓", "émoji ✓");
    }

    #[test]
    fn templates_escape_values_but_not_markup() {
        let name = "<b>Ada</b>";
        let inner = crate::html!("<em>{}</em>", name);
        let page = crate::html!("<p title=\"{}\">{} {}</p>", "x\"y", inner, 42u32);
        assert_eq!(
            page.as_str(),
            "<p title=\"x&quot;y\"><em>&lt;b&gt;Ada&lt;/b&gt;</em> 42</p>"
        );
        // `{name}` is no capture: it stays as it is.
        let literal = crate::html!("{name}");
        assert_eq!(literal.as_str(), "{name}");
        let none: Option<&str> = None;
        assert_eq!(crate::html!("[{}]", none).as_str(), "[]");
    }

    #[test]
    fn holes_are_counted_as_fill_splits() {
        assert_eq!(holes(""), 0);
        assert_eq!(holes("{}"), 1);
        assert_eq!(holes("a{}b{}c"), 2);
        assert_eq!(holes("{{}"), 1);
        assert_eq!(holes("{1,64}"), 0);
    }

    // `html!` refuses these at compile time; `fill` (what it calls) panics as a second net.
    #[test]
    #[should_panic(expected = "more holes")]
    fn a_missing_argument_is_a_bug() {
        let _ = fill("{} {}", &[&"one"]);
    }

    #[test]
    #[should_panic(expected = "fewer holes")]
    fn an_extra_argument_is_a_bug() {
        let _ = fill("{}", &[&"one", &"two"]);
    }

    #[test]
    fn urls_are_percent_encoded() {
        assert_eq!(url_component("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(
            query(&[("account", "acme"), ("type", ""), ("product", "a&b")]),
            "?account=acme&product=a%26b"
        );
        assert_eq!(query(&[("type", "")]), "");
    }
}
