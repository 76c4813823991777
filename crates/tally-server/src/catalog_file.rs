//! Reading a catalog of plans and packs from a TOML file (`tally serve --catalog FILE`).
//! Every error names the line it is on.
//!
//! ```toml
//! # Where the dashboard sends a buyer to pay (optional; `{purchase_id}` is replaced).
//! checkout_url = "https://platform.example/checkout?purchase={purchase_id}"
//! # How long a pending purchase waits for its payment (optional; default 86400).
//! purchase_expires_after_seconds = 86400
//!
//! [[plan]]
//! id = "starter"
//! name = "Starter"
//! credits_per_seat = 5000
//! price_usd = 0
//!
//! [[pack]]
//! id = "pack_10k"
//! name = "10,000 credits"
//! credits = 10000
//! price_usd = 10
//! expires_after_days = 365
//! ```

use serde::Deserialize;
use tally_core::Millicredits;
use tally_core::catalog::{Catalog, Pack, Plan};
use toml::Spanned;

/// Why a catalog file was refused.
#[derive(Debug, thiserror::Error)]
#[error("catalog file, line {line}: {message}")]
pub struct CatalogFileError {
    pub line: usize,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCatalog {
    checkout_url: Option<String>,
    purchase_expires_after_seconds: Option<i64>,
    #[serde(default)]
    plan: Vec<Spanned<FilePlan>>,
    #[serde(default)]
    pack: Vec<Spanned<FilePack>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FilePlan {
    id: String,
    name: Option<String>,
    credits_per_seat: Spanned<Number>,
    price_usd: Spanned<Number>,
    #[serde(default = "month")]
    period: Spanned<String>,
}

fn month() -> Spanned<String> {
    Spanned::new(0..0, "month".to_string())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FilePack {
    id: String,
    name: Option<String>,
    credits: Spanned<Number>,
    price_usd: Spanned<Number>,
    expires_after_days: Option<Spanned<i64>>,
}

/// A number as TOML wrote it: an integer, a float, or a decimal in a string.
#[derive(Deserialize)]
#[serde(untagged)]
enum Number {
    Integer(i64),
    Float(f64),
    Text(String),
}

impl Number {
    /// The decimal text: floats by their shortest round-trip form (what the file says).
    fn text(&self) -> String {
        match self {
            Number::Integer(value) => value.to_string(),
            Number::Float(value) => value.to_string(),
            Number::Text(text) => text.clone(),
        }
    }
}

fn line_of(source: &str, offset: usize) -> usize {
    source[..offset.min(source.len())]
        .bytes()
        .filter(|byte| *byte == b'\n')
        .count()
        + 1
}

fn credits(source: &str, value: &Spanned<Number>) -> Result<Millicredits, CatalogFileError> {
    let text = value.get_ref().text();
    let error = |message: String| CatalogFileError {
        line: line_of(source, value.span().start),
        message,
    };
    let amount =
        Millicredits::parse_credits(&text).map_err(|cause| error(format!("{text}: {cause}")))?;
    if !amount.is_positive() {
        return Err(error(format!("credits must be positive, got {text}")));
    }
    Ok(amount)
}

fn price(source: &str, value: &Spanned<Number>) -> Result<String, CatalogFileError> {
    let text = value.get_ref().text();
    match tally_core::Decimal::parse(&text) {
        Some(decimal) if !decimal.is_negative() => Ok(text),
        _ => Err(CatalogFileError {
            line: line_of(source, value.span().start),
            message: format!("price_usd must be a non-negative decimal, got {text}"),
        }),
    }
}

/// Parses and validates a catalog file's text.
pub fn parse_catalog(source: &str) -> Result<Catalog, CatalogFileError> {
    let file: FileCatalog = toml::from_str(source).map_err(|error| CatalogFileError {
        line: error
            .span()
            .map(|span| line_of(source, span.start))
            .unwrap_or(1),
        message: error.message().to_string(),
    })?;
    let mut catalog = Catalog {
        plans: Vec::new(),
        packs: Vec::new(),
        checkout_url: file.checkout_url.clone(),
        purchase_expires_after_seconds: file
            .purchase_expires_after_seconds
            .unwrap_or(tally_core::catalog::PURCHASE_EXPIRES_AFTER_SECONDS_DEFAULT),
    };
    for entry in &file.plan {
        let plan = entry.get_ref();
        if plan.period.get_ref() != "month" {
            return Err(CatalogFileError {
                line: line_of(source, plan.period.span().start),
                message: format!("period must be \"month\", got {:?}", plan.period.get_ref()),
            });
        }
        catalog.plans.push(Plan {
            id: plan.id.clone(),
            name: plan.name.clone().unwrap_or_else(|| plan.id.clone()),
            credits_per_seat: credits(source, &plan.credits_per_seat)?,
            price_usd: price(source, &plan.price_usd)?,
        });
    }
    for entry in &file.pack {
        let pack = entry.get_ref();
        let expires_after_days = match &pack.expires_after_days {
            None => None,
            Some(days) => match u32::try_from(*days.get_ref()) {
                Ok(days) if days >= 1 => Some(days),
                _ => {
                    return Err(CatalogFileError {
                        line: line_of(source, days.span().start),
                        message: format!(
                            "expires_after_days must be at least 1, got {}",
                            days.get_ref()
                        ),
                    });
                }
            },
        };
        catalog.packs.push(Pack {
            id: pack.id.clone(),
            name: pack.name.clone().unwrap_or_else(|| pack.id.clone()),
            credits: credits(source, &pack.credits)?,
            price_usd: price(source, &pack.price_usd)?,
            expires_after_days,
        });
    }
    let entry_lines = file
        .plan
        .iter()
        .map(|entry| (entry.get_ref().id.clone(), entry.span().start))
        .chain(
            file.pack
                .iter()
                .map(|entry| (entry.get_ref().id.clone(), entry.span().start)),
        );
    if let Err(error) = catalog.validate() {
        // Name the line of the entry the error is about (the last one with that id).
        let text = error.to_string();
        let line = entry_lines
            .filter(|(id, _)| text.contains(&format!("{id:?}")))
            .map(|(_, start)| line_of(source, start))
            .next_back()
            .unwrap_or(1);
        return Err(CatalogFileError {
            line,
            message: text,
        });
    }
    Ok(catalog)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
[[plan]]
id = "starter"
name = "Starter"
credits_per_seat = 5000
price_usd = 0

[[plan]]
id = "team"
credits_per_seat = "1000.5"
price_usd = 9.99

[[pack]]
id = "boost"
name = "Boost"
credits = 20000
price_usd = "15"
expires_after_days = 30
"#;

    #[test]
    fn a_valid_file_is_read_exactly() {
        let catalog = parse_catalog(EXAMPLE).unwrap();
        assert_eq!(catalog.plans.len(), 2);
        assert_eq!(
            catalog.plans[1].credits_per_seat,
            Millicredits::new(1_000_500)
        );
        assert_eq!(catalog.plans[1].price_usd, "9.99");
        assert_eq!(catalog.plans[1].name, "team");
        assert_eq!(catalog.packs[0].expires_after_days, Some(30));
    }

    fn error_line(source: &str) -> (usize, String) {
        let error = parse_catalog(source).unwrap_err();
        (error.line, error.message)
    }

    #[test]
    fn errors_name_their_line() {
        let (line, message) =
            error_line("[[plan]]\nid = \"x\"\ncredits_per_seat = -5\nprice_usd = 0\n");
        assert_eq!(line, 3, "{message}");
        let (line, message) =
            error_line("[[pack]]\nid = \"x\"\ncredits = 5\nprice_usd = 1\ncolour = \"red\"\n");
        assert_eq!(line, 5, "{message}");
        assert!(message.contains("colour"), "{message}");
        let (line, _) = error_line(
            "[[pack]]\nid = \"x\"\ncredits = 5\nprice_usd = 1\nexpires_after_days = 0\n",
        );
        assert_eq!(line, 5);
        let (line, _) = error_line(
            "[[plan]]\nid = \"a\"\ncredits_per_seat = 1\nprice_usd = 0\n\n[[pack]]\nid = \"a\"\ncredits = 5\nprice_usd = 1\n",
        );
        assert_eq!(line, 6);
        let (line, _) =
            error_line("[[plan]]\nid = \"a\"\ncredits_per_seat = 0.0001\nprice_usd = 0\n");
        assert_eq!(line, 3);
        let (line, _) = error_line("[[plan]\nid = 1\n");
        assert_eq!(line, 1);
    }
}
