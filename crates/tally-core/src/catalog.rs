//! What the platform sells: plans (a monthly allowance per seat, no rollover) and credit packs
//! (a one-off top-up that expires after its validity). Configuration, not code: the default
//! catalog below ships with the binary, and an operator can replace it with a file.

use crate::amount::Millicredits;

/// A plan: `credits_per_seat × seats` granted at the start of every monthly period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub id: String,
    pub name: String,
    pub credits_per_seat: Millicredits,
    /// The price per seat and month in US dollars, as exact decimal text (`"0"`, `"20"`).
    pub price_usd: String,
}

/// A credit pack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pack {
    pub id: String,
    pub name: String,
    pub credits: Millicredits,
    /// The price in US dollars, as exact decimal text.
    pub price_usd: String,
    /// How long the pack's credits last; `None`: they never expire.
    pub expires_after_days: Option<u32>,
}

/// How long a pack purchase may wait for its payment by default: 24 hours.
pub const PURCHASE_EXPIRES_AFTER_SECONDS_DEFAULT: i64 = 86_400;

/// The plans and packs on sale, and how they are paid for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Catalog {
    pub plans: Vec<Plan>,
    pub packs: Vec<Pack>,
    /// Where the dashboard sends a buyer to pay for a pending purchase: a URL in which
    /// `{purchase_id}` stands for the purchase's id (none: the purchase waits to be completed
    /// by the platform's backend).
    pub checkout_url: Option<String>,
    /// How long a pending purchase waits for its payment before it expires.
    pub purchase_expires_after_seconds: i64,
}

/// Why a catalog is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    #[error("catalog: {0} has no id")]
    EmptyId(&'static str),
    #[error("catalog: the id {0:?} is used twice")]
    DuplicateId(String),
    #[error("catalog: {id:?} must grant a positive number of credits")]
    NoCredits { id: String },
    #[error("catalog: {id:?} has an invalid price {price:?} (a non-negative decimal)")]
    InvalidPrice { id: String, price: String },
    #[error("catalog: {id:?} must last at least one day")]
    NoValidity { id: String },
    #[error("catalog: checkout_url must be an http(s) URL containing {{purchase_id}}, got {0:?}")]
    InvalidCheckoutUrl(String),
    #[error("catalog: purchase_expires_after_seconds must be positive, got {0}")]
    InvalidPurchaseExpiry(i64),
}

impl Catalog {
    pub fn plan(&self, id: &str) -> Option<&Plan> {
        self.plans.iter().find(|plan| plan.id == id)
    }

    pub fn pack(&self, id: &str) -> Option<&Pack> {
        self.packs.iter().find(|pack| pack.id == id)
    }

    /// Checks ids, amounts and prices.
    pub fn validate(&self) -> Result<(), CatalogError> {
        if let Some(url) = &self.checkout_url {
            let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
            if !scheme_ok || !url.contains("{purchase_id}") || url.chars().any(char::is_whitespace)
            {
                return Err(CatalogError::InvalidCheckoutUrl(url.clone()));
            }
        }
        if self.purchase_expires_after_seconds <= 0 {
            return Err(CatalogError::InvalidPurchaseExpiry(
                self.purchase_expires_after_seconds,
            ));
        }
        let mut seen = std::collections::HashSet::new();
        let entries = self
            .plans
            .iter()
            .map(|plan| {
                (
                    "a plan",
                    &plan.id,
                    plan.credits_per_seat,
                    &plan.price_usd,
                    Some(1),
                )
            })
            .chain(self.packs.iter().map(|pack| {
                (
                    "a pack",
                    &pack.id,
                    pack.credits,
                    &pack.price_usd,
                    pack.expires_after_days.or(Some(1)),
                )
            }));
        for (kind, id, credits, price, days) in entries {
            if id.is_empty() {
                return Err(CatalogError::EmptyId(kind));
            }
            if !seen.insert(id.clone()) {
                return Err(CatalogError::DuplicateId(id.clone()));
            }
            if !credits.is_positive() {
                return Err(CatalogError::NoCredits { id: id.clone() });
            }
            let valid_price =
                crate::Decimal::parse(price).is_some_and(|decimal| !decimal.is_negative());
            if !valid_price {
                return Err(CatalogError::InvalidPrice {
                    id: id.clone(),
                    price: price.clone(),
                });
            }
            if days == Some(0) {
                return Err(CatalogError::NoValidity { id: id.clone() });
            }
        }
        Ok(())
    }
}

impl Default for Catalog {
    /// Starter (5,000 credits a month, free), Pro (250,000 per seat a month), and three packs
    /// valid for 365 days.
    fn default() -> Self {
        let pack = |id: &str, name: &str, credits: i64, price: &str| Pack {
            id: id.to_string(),
            name: name.to_string(),
            credits: Millicredits::from_credits(credits),
            price_usd: price.to_string(),
            expires_after_days: Some(365),
        };
        Catalog {
            plans: vec![
                Plan {
                    id: "starter".into(),
                    name: "Starter".into(),
                    credits_per_seat: Millicredits::from_credits(5_000),
                    price_usd: "0".into(),
                },
                Plan {
                    id: "pro".into(),
                    name: "Pro".into(),
                    credits_per_seat: Millicredits::from_credits(250_000),
                    price_usd: "20".into(),
                },
            ],
            packs: vec![
                pack("pack_10k", "10,000 credits", 10_000, "10"),
                pack("pack_50k", "50,000 credits", 50_000, "45"),
                pack("pack_250k", "250,000 credits", 250_000, "200"),
            ],
            checkout_url: None,
            purchase_expires_after_seconds: PURCHASE_EXPIRES_AFTER_SECONDS_DEFAULT,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_catalog_is_valid_and_sells_what_the_platform_promises() {
        let catalog = Catalog::default();
        catalog.validate().unwrap();
        assert_eq!(
            catalog.plan("starter").unwrap().credits_per_seat,
            Millicredits::from_credits(5_000)
        );
        assert_eq!(catalog.plan("starter").unwrap().price_usd, "0");
        assert_eq!(
            catalog.plan("pro").unwrap().credits_per_seat,
            Millicredits::from_credits(250_000)
        );
        assert!(catalog.packs.len() >= 3);
    }

    #[test]
    fn invalid_catalogs_are_refused() {
        let mut catalog = Catalog::default();
        catalog.packs[0].id = "pro".into();
        assert_eq!(
            catalog.validate(),
            Err(CatalogError::DuplicateId("pro".into()))
        );
        let mut catalog = Catalog::default();
        catalog.plans[0].price_usd = "-1".into();
        assert!(matches!(
            catalog.validate(),
            Err(CatalogError::InvalidPrice { .. })
        ));
        let mut catalog = Catalog::default();
        catalog.packs[1].expires_after_days = Some(0);
        assert!(matches!(
            catalog.validate(),
            Err(CatalogError::NoValidity { .. })
        ));
    }
}
