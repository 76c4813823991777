//! [`Credits`]: an exact amount of credits, as the API writes it (a JSON number with at most 3
//! fraction digits), held as integer millicredits. Never a float.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tally_core::{AmountError, Decimal, Millicredits};

/// An amount of credits: `12`, `512.5`, `0.125`. Read from the JSON number's own text and
/// written back as one, exactly (serde_json's `arbitrary_precision` keeps the text).
///
/// ```
/// use tally_client::Credits;
/// let amount: Credits = "512.5".parse().unwrap();
/// assert_eq!(amount.millicredits(), 512_500);
/// assert_eq!(amount.to_string(), "512.5");
/// assert_eq!(serde_json::to_string(&amount).unwrap(), "512.5");
/// assert!("0.0001".parse::<Credits>().is_err());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Credits(Millicredits);

/// Why a text is not an amount of credits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditsError {
    /// Not a decimal number (`abc`, `1.5.1`, `NaN`).
    #[error("credits: {0:?} is not a decimal number")]
    NotANumber(String),
    /// More than 3 fraction digits (trailing zeros don't count).
    #[error("credits: {0:?} has more than 3 fraction digits")]
    TooPrecise(String),
    /// Beyond what integer millicredits hold.
    #[error("credits: {0:?} is too large")]
    TooLarge(String),
}

impl Credits {
    /// Zero credits.
    pub const ZERO: Credits = Credits(Millicredits::ZERO);

    /// `millicredits / 1000` credits.
    pub const fn from_millicredits(millicredits: i64) -> Credits {
        Credits(Millicredits::new(millicredits))
    }

    /// A whole number of credits.
    pub const fn from_credits(credits: i64) -> Credits {
        Credits(Millicredits::from_credits(credits))
    }

    /// The amount in millicredits.
    pub const fn millicredits(self) -> i64 {
        self.0.get()
    }

    /// The amount as tally-core's type.
    pub const fn get(self) -> Millicredits {
        self.0
    }

    /// Parses a decimal text exactly. A request's amount must also be within 1e12 credits
    /// (the server answers 422 `invalid_amount` otherwise); an answer's totals may be larger,
    /// so only the fraction digits and what an `i64` of millicredits holds are checked here.
    pub fn parse(text: &str) -> Result<Credits, CreditsError> {
        let decimal =
            Decimal::parse(text).ok_or_else(|| CreditsError::NotANumber(text.to_string()))?;
        match decimal.to_scaled(3, i64::MAX) {
            Ok(millicredits) => Ok(Credits(Millicredits::new(millicredits))),
            Err(AmountError::TooPrecise) => Err(CreditsError::TooPrecise(text.to_string())),
            Err(AmountError::TooLarge) => Err(CreditsError::TooLarge(text.to_string())),
            Err(AmountError::NotANumber) => Err(CreditsError::NotANumber(text.to_string())),
        }
    }
}

impl From<Millicredits> for Credits {
    fn from(amount: Millicredits) -> Credits {
        Credits(amount)
    }
}

impl From<Credits> for Millicredits {
    fn from(amount: Credits) -> Millicredits {
        amount.0
    }
}

impl FromStr for Credits {
    type Err = CreditsError;

    fn from_str(text: &str) -> Result<Credits, CreditsError> {
        Credits::parse(text)
    }
}

impl fmt::Display for Credits {
    /// At most 3 fraction digits, no trailing zeros: `12`, `12.5`, `-0.125`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for Credits {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let number: serde_json::Number = self
            .to_string()
            .parse()
            .map_err(serde::ser::Error::custom)?;
        number.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Credits {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Credits, D::Error> {
        let number = serde_json::Number::deserialize(deserializer)?;
        Credits::parse(&number.to_string()).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credits_round_trip_through_json_exactly() {
        for text in ["0", "12", "512.5", "0.125", "-3.5", "999999999999.999"] {
            let amount: Credits = serde_json::from_str(text).unwrap();
            assert_eq!(serde_json::to_string(&amount).unwrap(), text);
        }
        let amount: Credits = serde_json::from_str("1.2000").unwrap();
        assert_eq!(amount.millicredits(), 1200);
        let amount: Credits = serde_json::from_str("2.5e-2").unwrap();
        assert_eq!(amount.millicredits(), 25);
    }

    #[test]
    fn too_precise_or_non_numbers_are_refused() {
        assert!(matches!(
            Credits::parse("0.0001"),
            Err(CreditsError::TooPrecise(_))
        ));
        assert!(matches!(
            Credits::parse("abc"),
            Err(CreditsError::NotANumber(_))
        ));
        assert!(serde_json::from_str::<Credits>("0.0005").is_err());
        assert!(serde_json::from_str::<Credits>("\"5\"").is_err());
        assert!(matches!(
            Credits::parse("1e30"),
            Err(CreditsError::TooLarge(_))
        ));
    }

    #[test]
    fn totals_above_the_request_bound_are_read() {
        let amount = Credits::parse("2000000000000").unwrap();
        assert_eq!(amount.millicredits(), 2_000_000_000_000_000);
    }
}
