//! Amounts of credits as integer millicredits, and their exact decimal text form.
//!
//! Money never touches a float: amounts are parsed from the JSON number's own text and
//! formatted back with at most three fraction digits. Every arithmetic operation is checked.

use std::fmt;

/// The number of millicredits in one credit.
pub const MILLICREDITS_PER_CREDIT: i64 = 1_000;

/// The largest magnitude an amount may have in the API: 1e12 credits (API.md, Amounts).
pub const AMOUNT_CREDITS_MAX: i64 = 1_000_000_000_000;

/// [`AMOUNT_CREDITS_MAX`] in millicredits.
pub const AMOUNT_MILLICREDITS_MAX: i64 = AMOUNT_CREDITS_MAX * MILLICREDITS_PER_CREDIT;

/// An amount of credits, stored as a signed number of millicredits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Millicredits(i64);

/// Why a decimal text is not a valid amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("not a decimal number of credits")]
    NotANumber,
    #[error("more than 3 fraction digits (the smallest amount is 0.001 credits)")]
    TooPrecise,
    #[error("more than 1e12 credits in magnitude")]
    TooLarge,
}

impl Millicredits {
    pub const ZERO: Millicredits = Millicredits(0);

    pub const fn new(millicredits: i64) -> Self {
        Millicredits(millicredits)
    }

    pub const fn from_credits(credits: i64) -> Self {
        Millicredits(credits * MILLICREDITS_PER_CREDIT)
    }

    pub const fn get(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.0.checked_add(other.0).map(Millicredits)
    }

    pub fn checked_sub(self, other: Self) -> Option<Self> {
        self.0.checked_sub(other.0).map(Millicredits)
    }

    pub fn checked_neg(self) -> Option<Self> {
        self.0.checked_neg().map(Millicredits)
    }

    pub fn is_positive(self) -> bool {
        self.0 > 0
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// Whether the magnitude is within what the API accepts (`|x| <= 1e12` credits).
    pub fn is_within_api_range(self) -> bool {
        self.0.unsigned_abs() <= AMOUNT_MILLICREDITS_MAX as u64
    }

    /// Parses the text of a decimal number (a JSON number's text: optional sign, digits,
    /// optional fraction, optional exponent) exactly, with at most 3 significant fraction
    /// digits and a magnitude of at most 1e12 credits.
    ///
    /// ```
    /// use tally_core::Millicredits;
    /// assert_eq!(Millicredits::parse_credits("12.5"), Ok(Millicredits::new(12_500)));
    /// assert_eq!(Millicredits::parse_credits("1.2000"), Ok(Millicredits::new(1_200)));
    /// assert_eq!(Millicredits::parse_credits("2.5e-2"), Ok(Millicredits::new(25)));
    /// assert!(Millicredits::parse_credits("0.0001").is_err());
    /// ```
    pub fn parse_credits(text: &str) -> Result<Self, AmountError> {
        let decimal = Decimal::parse(text).ok_or(AmountError::NotANumber)?;
        decimal
            .to_scaled(3, AMOUNT_MILLICREDITS_MAX)
            .map(Millicredits)
    }
}

impl fmt::Display for Millicredits {
    /// Formats as credits with at most 3 fraction digits and no trailing zeros: `12`, `12.5`,
    /// `-0.125`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let magnitude = self.0.unsigned_abs();
        let whole = magnitude / MILLICREDITS_PER_CREDIT as u64;
        let fraction = magnitude % MILLICREDITS_PER_CREDIT as u64;
        if fraction == 0 {
            write!(f, "{sign}{whole}")
        } else {
            let digits = format!("{fraction:03}");
            write!(f, "{sign}{whole}.{}", digits.trim_end_matches('0'))
        }
    }
}

/// An exact decimal read from text: `digits × 10^exponent` with a sign. Digits are kept as
/// text (without leading zeros), so no input can overflow while parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decimal {
    negative: bool,
    /// Significant digits, no leading zeros, no trailing zeros (empty means zero).
    digits: String,
    /// The power of ten applied to `digits`.
    exponent: i64,
}

/// Exponents beyond this are treated as "too large" or "too precise" without computing them.
const DECIMAL_EXPONENT_LIMIT: i64 = 1_000_000;

impl Decimal {
    /// Parses JSON number syntax (also accepting a leading `+` and leading zeros), exactly.
    pub fn parse(text: &str) -> Option<Decimal> {
        let bytes = text.trim().as_bytes();
        let mut position = 0;
        let mut negative = false;
        if let Some(&sign) = bytes.first()
            && (sign == b'-' || sign == b'+')
        {
            negative = sign == b'-';
            position = 1;
        }
        let mut digits = String::new();
        let mut exponent: i64 = 0;
        let mut saw_digit = false;
        while position < bytes.len() && bytes[position].is_ascii_digit() {
            digits.push(bytes[position] as char);
            saw_digit = true;
            position += 1;
        }
        if !saw_digit {
            // JSON numbers have at least one digit before the point.
            return None;
        }
        if position < bytes.len() && bytes[position] == b'.' {
            position += 1;
            let mut saw_fraction_digit = false;
            while position < bytes.len() && bytes[position].is_ascii_digit() {
                digits.push(bytes[position] as char);
                exponent -= 1;
                saw_fraction_digit = true;
                position += 1;
            }
            if !saw_fraction_digit {
                return None;
            }
        }
        if position < bytes.len() && (bytes[position] == b'e' || bytes[position] == b'E') {
            position += 1;
            let mut exponent_negative = false;
            if position < bytes.len() && (bytes[position] == b'-' || bytes[position] == b'+') {
                exponent_negative = bytes[position] == b'-';
                position += 1;
            }
            let mut written: i64 = 0;
            let mut saw_exponent_digit = false;
            while position < bytes.len() && bytes[position].is_ascii_digit() {
                // Saturate: anything past the limit is already out of every range we accept.
                written = (written * 10 + i64::from(bytes[position] - b'0'))
                    .min(DECIMAL_EXPONENT_LIMIT * 10);
                saw_exponent_digit = true;
                position += 1;
            }
            if !saw_exponent_digit {
                return None;
            }
            exponent += if exponent_negative { -written } else { written };
        }
        if position != bytes.len() {
            return None;
        }
        let trimmed_leading = digits.trim_start_matches('0');
        let trimmed = trimmed_leading.trim_end_matches('0');
        exponent += (trimmed_leading.len() - trimmed.len()) as i64;
        let digits = trimmed.to_string();
        if digits.is_empty() {
            return Some(Decimal {
                negative: false,
                digits,
                exponent: 0,
            });
        }
        Some(Decimal {
            negative,
            digits,
            exponent,
        })
    }

    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// The number of digits after the decimal point this value needs (0 for integers).
    pub fn fraction_digits(&self) -> u64 {
        if self.exponent < 0 {
            self.exponent.unsigned_abs()
        } else {
            0
        }
    }

    /// The value times `10^scale` as an integer, if that is exact and its magnitude is at most
    /// `magnitude_max`.
    pub fn to_scaled(&self, scale: u32, magnitude_max: i64) -> Result<i64, AmountError> {
        if self.is_zero() {
            return Ok(0);
        }
        let shifted = self.exponent + i64::from(scale);
        if shifted < 0 {
            return Err(AmountError::TooPrecise);
        }
        if shifted > 19 || self.digits.len() as i64 + shifted > 19 {
            return Err(AmountError::TooLarge);
        }
        let mut value: i128 = 0;
        for digit in self.digits.bytes() {
            value = value * 10 + i128::from(digit - b'0');
        }
        value *= 10i128.pow(shifted as u32);
        if value > i128::from(magnitude_max) {
            return Err(AmountError::TooLarge);
        }
        let value = value as i64;
        Ok(if self.negative { -value } else { value })
    }

    /// The significant digits and the power of ten: `value = digits × 10^exponent`.
    pub fn parts(&self) -> (bool, &str, i64) {
        (self.negative, &self.digits, self.exponent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: Result<i64, AmountError>) {
        assert_eq!(
            Millicredits::parse_credits(text).map(Millicredits::get),
            expected,
            "{text}"
        );
    }

    #[test]
    fn parses_exact_decimals() {
        check("12", Ok(12_000));
        check("12.5", Ok(12_500));
        check("0.125", Ok(125));
        check("-3.07", Ok(-3_070));
        check("1.2000", Ok(1_200));
        check("1e3", Ok(1_000_000));
        check("1E-3", Ok(1));
        check("2.5e-2", Ok(25));
        check("0", Ok(0));
        check("-0", Ok(0));
        check("0.000", Ok(0));
        check("1000000000000", Ok(AMOUNT_MILLICREDITS_MAX));
        check("-1000000000000", Ok(-AMOUNT_MILLICREDITS_MAX));
    }

    #[test]
    fn refuses_what_is_not_an_exact_amount() {
        check("0.0001", Err(AmountError::TooPrecise));
        check("1.2345", Err(AmountError::TooPrecise));
        check("1e-4", Err(AmountError::TooPrecise));
        check("1e20", Err(AmountError::TooLarge));
        check("1000000000000.001", Err(AmountError::TooLarge));
        check("1e999999999999999999999", Err(AmountError::TooLarge));
        check("1e-999999999999999999999", Err(AmountError::TooPrecise));
        check("99999999999999999999999999999", Err(AmountError::TooLarge));
        check("NaN", Err(AmountError::NotANumber));
        check("Infinity", Err(AmountError::NotANumber));
        check("", Err(AmountError::NotANumber));
        check("1.", Err(AmountError::NotANumber));
        check(".5", Err(AmountError::NotANumber));
        check("1e", Err(AmountError::NotANumber));
        check("0x10", Err(AmountError::NotANumber));
        check("1 2", Err(AmountError::NotANumber));
    }

    #[test]
    fn formats_without_float_noise() {
        let cases = [
            (0, "0"),
            (1, "0.001"),
            (1_200, "1.2"),
            (12_500, "12.5"),
            (-3_070, "-3.07"),
        ];
        for (millicredits, text) in cases {
            assert_eq!(Millicredits::new(millicredits).to_string(), text);
        }
        assert_eq!(
            Millicredits::new(i64::MIN).to_string(),
            "-9223372036854775.808"
        );
    }

    proptest::proptest! {
        #[test]
        fn format_then_parse_round_trips(millicredits in -AMOUNT_MILLICREDITS_MAX..=AMOUNT_MILLICREDITS_MAX) {
            let amount = Millicredits::new(millicredits);
            proptest::prop_assert_eq!(Millicredits::parse_credits(&amount.to_string()), Ok(amount));
        }

        #[test]
        fn parse_never_panics(text in "\\PC{0,40}") {
            let _ = Millicredits::parse_credits(&text);
        }

        #[test]
        fn parse_of_number_like_text_never_panics(text in "[-+]?[0-9]{0,30}(\\.[0-9]{0,30})?([eE][-+]?[0-9]{0,25})?") {
            let _ = Millicredits::parse_credits(&text);
        }
    }
}
