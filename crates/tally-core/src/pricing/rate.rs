//! Exact rates (picocredits per unit) and exact line amounts (femtocredits): pricing's units.
//!
//! A rate card holds prices finer than a millicredit (0.00015 credits per token), so rates are
//! integers of 1e-12 credits, read exactly from decimal text. A line amount is a quantity times
//! a rate; amounts are integers of 1e-15 credits so that a per-second rate times a duration in
//! milliseconds stays exact. Only the final cost, rounded once, becomes [`Millicredits`].
//!
//! [`Millicredits`]: crate::Millicredits

use std::fmt;

use crate::amount::{AMOUNT_CREDITS_MAX, Decimal};

/// Picocredits (1e-12 credits) in one credit: the resolution of a rate.
pub const PICOCREDITS_PER_CREDIT: i128 = 1_000_000_000_000;

/// Femtocredits (1e-15 credits) in one credit: the resolution of a line amount.
pub const FEMTOCREDITS_PER_CREDIT: i128 = 1_000_000_000_000_000;

/// Femtocredits in one picocredit.
pub(super) const FEMTOCREDITS_PER_PICOCREDIT: i128 = 1_000;

/// Femtocredits in one millicredit.
pub const FEMTOCREDITS_PER_MILLICREDIT: i128 = 1_000_000_000_000;

/// The largest rate a card may hold: 1e12 credits per unit, the largest amount the API knows.
pub const RATE_CREDITS_MAX: i128 = AMOUNT_CREDITS_MAX as i128;

/// [`RATE_CREDITS_MAX`] in picocredits.
pub const RATE_PICOCREDITS_MAX: i128 = RATE_CREDITS_MAX * PICOCREDITS_PER_CREDIT;

/// Why a decimal text is not a valid rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    #[error("not a decimal number")]
    NotANumber,
    #[error("must not be negative")]
    Negative,
    #[error("finer than 1e-12 credits (0.000000000001)")]
    TooPrecise,
    #[error("over 1e12 credits")]
    TooLarge,
}

/// A price per unit (token, second, character, image, megapixel...), as a non-negative integer
/// of picocredits (1e-12 credits). The unit is carried by where the rate is stored, never
/// inferred from the number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CreditRate(i128);

impl CreditRate {
    pub const ZERO: CreditRate = CreditRate(0);

    /// A rate of `picocredits` per unit, if it is within `0..=`[`RATE_PICOCREDITS_MAX`].
    pub const fn from_picocredits(picocredits: i128) -> Option<Self> {
        if picocredits < 0 || picocredits > RATE_PICOCREDITS_MAX {
            None
        } else {
            Some(CreditRate(picocredits))
        }
    }

    pub const fn picocredits(self) -> i128 {
        self.0
    }

    /// The same rate in femtocredits, the unit line amounts are written in (always exact).
    pub const fn to_femtocredits(self) -> Femtocredits {
        // Cannot overflow: RATE_PICOCREDITS_MAX * 1_000 is about 1e27, far below i128::MAX.
        Femtocredits(self.0 * FEMTOCREDITS_PER_PICOCREDIT)
    }

    /// Parses the text of a decimal number (a JSON number's own text, exponents included) as
    /// credits per unit, exactly.
    ///
    /// ```
    /// use tally_core::pricing::CreditRate;
    /// assert_eq!(CreditRate::parse("0.00015").unwrap().picocredits(), 150_000_000);
    /// assert_eq!(CreditRate::parse("1.5e-4").unwrap().picocredits(), 150_000_000);
    /// assert!(CreditRate::parse("1e-13").is_err());
    /// assert!(CreditRate::parse("-1").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, RateError> {
        let decimal = Decimal::parse(text).ok_or(RateError::NotANumber)?;
        if decimal.is_negative() {
            return Err(RateError::Negative);
        }
        let picocredits = scaled(&decimal, 12, RATE_PICOCREDITS_MAX).ok_or_else(|| {
            if decimal.fraction_digits() > 12 {
                RateError::TooPrecise
            } else {
                RateError::TooLarge
            }
        })?;
        Ok(CreditRate(picocredits))
    }
}

impl fmt::Display for CreditRate {
    /// Credits per unit, exactly, without trailing zeros: `0.00015`, `42`, `0.000000000001`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_scaled(f, self.0, 12)
    }
}

/// An exact amount of credits finer than a millicredit, as an integer of femtocredits
/// (1e-15 credits): what a line of a price adds up before the one rounding.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Femtocredits(i128);

impl Femtocredits {
    pub const ZERO: Femtocredits = Femtocredits(0);

    pub const fn new(femtocredits: i128) -> Self {
        Femtocredits(femtocredits)
    }

    pub const fn get(self) -> i128 {
        self.0
    }

    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.0.checked_add(other.0).map(Femtocredits)
    }

    pub fn checked_sub(self, other: Self) -> Option<Self> {
        self.0.checked_sub(other.0).map(Femtocredits)
    }
}

impl fmt::Display for Femtocredits {
    /// Credits, exactly, without trailing zeros: `2.5`, `0.000045`, `13.5`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_scaled(f, self.0, 15)
    }
}

/// `decimal × 10^scale` as an integer, if that is exact and within `0..=magnitude_max`
/// (the sign is the caller's business).
pub(crate) fn scaled(decimal: &Decimal, scale: u32, magnitude_max: i128) -> Option<i128> {
    let (_, digits, exponent) = decimal.parts();
    if digits.is_empty() {
        return Some(0);
    }
    let shifted = exponent.checked_add(i64::from(scale))?;
    // The digits have no trailing zeros, so a negative shift means digits finer than 1e-scale.
    if shifted < 0 {
        return None;
    }
    // i128 holds 38 full digits; anything longer is beyond every limit we use.
    if digits.len() as i64 + shifted > 38 {
        return None;
    }
    let mut value: i128 = 0;
    for digit in digits.bytes() {
        value = value
            .checked_mul(10)?
            .checked_add(i128::from(digit - b'0'))?;
    }
    value = value.checked_mul(10i128.checked_pow(u32::try_from(shifted).ok()?)?)?;
    (value <= magnitude_max).then_some(value)
}

/// Writes `value / 10^scale` as a decimal without trailing zeros, allocating nothing.
/// `value / 10^scale` as exact decimal text, without trailing zeros (`8125, 3` → `8.125`).
pub(crate) fn scaled_text(value: i128, scale: u32) -> String {
    struct Scaled(i128, u32);
    impl fmt::Display for Scaled {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write_scaled(f, self.0, self.1)
        }
    }
    Scaled(value, scale).to_string()
}

pub(crate) fn write_scaled(f: &mut fmt::Formatter<'_>, value: i128, scale: u32) -> fmt::Result {
    let sign = if value < 0 { "-" } else { "" };
    let magnitude = value.unsigned_abs();
    let unit = 10u128.pow(scale);
    let whole = magnitude / unit;
    let mut fraction = magnitude % unit;
    if fraction == 0 {
        return write!(f, "{sign}{whole}");
    }
    let mut width = scale as usize;
    while fraction.is_multiple_of(10) {
        fraction /= 10;
        width -= 1;
    }
    write!(f, "{sign}{whole}.{fraction:0width$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: Result<i128, RateError>) {
        assert_eq!(
            CreditRate::parse(text).map(CreditRate::picocredits),
            expected,
            "{text}"
        );
    }

    #[test]
    fn parses_rates_exactly() {
        check("0", Ok(0));
        check("0.0", Ok(0));
        check("-0", Ok(0));
        check("1", Ok(1_000_000_000_000));
        check("0.00015", Ok(150_000_000));
        check("0.0025", Ok(2_500_000_000));
        check("2.5e-06", Ok(2_500_000));
        check("2.5E-6", Ok(2_500_000));
        check("1.5e-07", Ok(150_000));
        check("0.000000000001", Ok(1));
        check("1e-12", Ok(1));
        check("167", Ok(167_000_000_000_000));
        check("4.0054e-08", Ok(40_054));
        check("1e12", Ok(RATE_PICOCREDITS_MAX));
        check("1000000000000.000000000000", Ok(RATE_PICOCREDITS_MAX));
    }

    #[test]
    fn refuses_what_is_not_an_exact_rate() {
        check("1e-13", Err(RateError::TooPrecise));
        check("0.0000000000015", Err(RateError::TooPrecise));
        // LiteLLM's per-pixel price of a medium 1024x1024 gpt-image-1 image: 40054.321 pico.
        check("4.0054321e-08", Err(RateError::TooPrecise));
        check("1e-999999999999", Err(RateError::TooPrecise));
        check("-0.5", Err(RateError::Negative));
        check("-1e-20", Err(RateError::Negative));
        check("1e12000000000000", Err(RateError::TooLarge));
        check("1000000000000.000000000001", Err(RateError::TooLarge));
        check(
            "99999999999999999999999999999999999999999",
            Err(RateError::TooLarge),
        );
        check("", Err(RateError::NotANumber));
        check("NaN", Err(RateError::NotANumber));
        check("1.", Err(RateError::NotANumber));
        check("0x1", Err(RateError::NotANumber));
    }

    #[test]
    fn formats_exactly_without_trailing_zeros() {
        let rates = [
            (0, "0"),
            (1, "0.000000000001"),
            (150_000_000, "0.00015"),
            (2_500_000_000, "0.0025"),
            (167_000_000_000_000, "167"),
            (1_500_000_000_000, "1.5"),
        ];
        for (picocredits, text) in rates {
            let rate = CreditRate::from_picocredits(picocredits).unwrap();
            assert_eq!(rate.to_string(), text);
            assert_eq!(CreditRate::parse(text), Ok(rate));
        }
        let amounts = [
            (0, "0"),
            (1, "0.000000000000001"),
            (2_500_000_000_000_000, "2.5"),
            (-45_000_000_000, "-0.000045"),
            (i128::MIN, "-170141183460469231731687.303715884105728"),
        ];
        for (femtocredits, text) in amounts {
            assert_eq!(Femtocredits::new(femtocredits).to_string(), text);
        }
    }

    #[test]
    fn rates_stay_in_range() {
        assert_eq!(CreditRate::from_picocredits(-1), None);
        assert_eq!(CreditRate::from_picocredits(RATE_PICOCREDITS_MAX + 1), None);
        assert_eq!(
            CreditRate::from_picocredits(RATE_PICOCREDITS_MAX)
                .unwrap()
                .to_femtocredits()
                .get(),
            RATE_PICOCREDITS_MAX * 1_000
        );
    }

    proptest::proptest! {
        #[test]
        fn format_then_parse_round_trips(picocredits in 0..=RATE_PICOCREDITS_MAX) {
            let rate = CreditRate::from_picocredits(picocredits).unwrap();
            proptest::prop_assert_eq!(CreditRate::parse(&rate.to_string()), Ok(rate));
        }

        #[test]
        fn exponent_forms_parse_exactly(mantissa in 0u64..=999_999_999, shift in 0u32..=9, exponent in -12i32..=6) {
            // mantissa × 10^-shift × 10^exponent, written with an exponent.
            let text = if shift == 0 {
                format!("{mantissa}e{exponent}")
            } else {
                let digits = format!("{mantissa:0width$}", width = shift as usize + 1);
                let (whole, fraction) = digits.split_at(digits.len() - shift as usize);
                format!("{whole}.{fraction}e{exponent}")
            };
            let power = exponent - shift as i32 + 12;
            let expected = if power >= 0 {
                Some(i128::from(mantissa) * 10i128.pow(power as u32))
            } else {
                let divisor = 10i128.pow(power.unsigned_abs());
                (i128::from(mantissa) % divisor == 0).then(|| i128::from(mantissa) / divisor)
            };
            let expected = expected.filter(|value| *value <= RATE_PICOCREDITS_MAX);
            proptest::prop_assert_eq!(CreditRate::parse(&text).ok().map(CreditRate::picocredits), expected, "{}", text);
        }
    }
}
