//! Numbers and dates for people: thousands separators, at most 3 decimals, no float noise.
//!
//! Amounts come from the API as exact decimal text (JSON numbers read with
//! `arbitrary_precision` keep their text), so they are formatted from that text with digit
//! arithmetic on strings: no float, no rounding surprise.

use serde_json::Value;
use tally_core::{Decimal, Timestamp};

/// The most fraction digits an amount of credits shows.
pub const CREDITS_FRACTION_DIGITS_MAX: usize = 3;

/// Exponents beyond this are shown as the API wrote them instead of being expanded.
const EXPONENT_EXPANDED_MAX: i64 = 40;

/// The text to show when there is no value.
pub const NONE: &str = "—";

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A decimal number's text with thousands separators, rounded (half away from zero) to at
/// most `fraction_digits_max` digits, without trailing zeros; `None` when `text` is not a
/// decimal number. The flag says whether rounding changed the value.
///
/// ```
/// use tally_web::format::decimal;
/// assert_eq!(decimal("1234567.5", 3), Some(("1,234,567.5".to_string(), false)));
/// assert_eq!(decimal("0.00125", 3), Some(("0.001".to_string(), true)));
/// ```
pub fn decimal(text: &str, fraction_digits_max: usize) -> Option<(String, bool)> {
    let parsed = Decimal::parse(text)?;
    let (negative, digits, exponent) = parsed.parts();
    if exponent.abs() > EXPONENT_EXPANDED_MAX {
        return None;
    }
    // value = digits × 10^exponent, as whole and fraction digit strings.
    let (mut whole, mut fraction) = if digits.is_empty() {
        ("0".to_string(), String::new())
    } else if exponent >= 0 {
        (
            format!("{digits}{}", "0".repeat(exponent as usize)),
            String::new(),
        )
    } else {
        let shift = exponent.unsigned_abs() as usize;
        if digits.len() > shift {
            let split = digits.len() - shift;
            (digits[..split].to_string(), digits[split..].to_string())
        } else {
            (
                "0".to_string(),
                format!("{}{digits}", "0".repeat(shift - digits.len())),
            )
        }
    };
    let mut rounded = false;
    if fraction.len() > fraction_digits_max {
        rounded = fraction[fraction_digits_max..].bytes().any(|b| b != b'0');
        let round_up = fraction.as_bytes()[fraction_digits_max] >= b'5';
        fraction.truncate(fraction_digits_max);
        if round_up {
            let carried = increment(&format!("{whole}{fraction}"));
            let split = carried.len() - fraction.len();
            whole = carried[..split].to_string();
            fraction = carried[split..].to_string();
        }
    }
    let fraction = fraction.trim_end_matches('0');
    let is_zero = whole.bytes().all(|b| b == b'0') && fraction.is_empty();
    let sign = if negative && !is_zero { "-" } else { "" };
    let mut out = format!("{sign}{}", group_thousands(&whole));
    if !fraction.is_empty() {
        out.push('.');
        out.push_str(fraction);
    }
    Some((out, rounded))
}

/// Adds one to a string of decimal digits.
fn increment(digits: &str) -> String {
    let mut bytes = digits.as_bytes().to_vec();
    for byte in bytes.iter_mut().rev() {
        if *byte == b'9' {
            *byte = b'0';
        } else {
            *byte += 1;
            return String::from_utf8(bytes).expect("format: digits are ASCII");
        }
    }
    let mut out = String::with_capacity(bytes.len() + 1);
    out.push('1');
    out.push_str(std::str::from_utf8(&bytes).expect("format: digits are ASCII"));
    out
}

/// `1234567` → `1,234,567` (the digits of a whole number, without a sign).
pub fn group_thousands(digits: &str) -> String {
    let digits = digits.trim_start_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, character) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(character);
    }
    out
}

/// An amount of credits from its decimal text: `12500.5` → `12,500.5`. Text that is not a
/// number is shown as it is.
pub fn credits(text: &str) -> String {
    match decimal(text, CREDITS_FRACTION_DIGITS_MAX) {
        Some((formatted, false)) => formatted,
        Some((formatted, true)) => format!("≈{formatted}"),
        None => text.to_string(),
    }
}

/// An exact decimal (a unit price, a quantity): separators, no rounding.
pub fn exact(text: &str) -> String {
    decimal(text, usize::MAX)
        .map(|(formatted, _)| formatted)
        .unwrap_or_else(|| text.to_string())
}

/// The text of a JSON number or string (numbers keep their text with `arbitrary_precision`).
pub fn number_text(value: &Value) -> Option<String> {
    match value {
        Value::Number(number) => Some(number.to_string()),
        Value::String(text) => Some(text.clone()),
        _ => None,
    }
}

/// A JSON amount of credits for people; `—` when absent.
pub fn credits_value(value: &Value) -> String {
    number_text(value).map_or_else(|| NONE.to_string(), |text| credits(&text))
}

/// A JSON count or exact decimal for people; `—` when absent.
pub fn exact_value(value: &Value) -> String {
    number_text(value).map_or_else(|| NONE.to_string(), |text| exact(&text))
}

/// A JSON amount in integer millicredits (exact), for comparisons.
pub fn millicredits(value: &Value) -> Option<i64> {
    let text = number_text(value)?;
    tally_core::Millicredits::parse_credits(&text)
        .ok()
        .map(tally_core::Millicredits::get)
}

/// A price in US dollars from its decimal text: `10` → `$10.00`, `9.5` → `$9.50`.
pub fn usd(text: &str) -> String {
    match decimal(text, usize::MAX) {
        Some((formatted, _)) => {
            let cents = match formatted.split_once('.') {
                None => format!("{formatted}.00"),
                Some((_, fraction)) if fraction.len() == 1 => format!("{formatted}0"),
                Some(_) => formatted,
            };
            match cents.strip_prefix('-') {
                Some(positive) => format!("-${positive}"),
                None => format!("${cents}"),
            }
        }
        None => text.to_string(),
    }
}

fn civil(text: &str) -> Option<jiff::civil::DateTime> {
    let timestamp: jiff::Timestamp = text.parse().ok()?;
    Some(
        timestamp
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .datetime(),
    )
}

/// An RFC 3339 instant as a UTC date: `24 Nov 2026`.
pub fn date(text: &str) -> String {
    match civil(text) {
        Some(at) => format!(
            "{} {} {}",
            at.day(),
            MONTHS[(at.month() - 1) as usize],
            at.year()
        ),
        None => text.to_string(),
    }
}

/// An RFC 3339 instant to the minute, in UTC: `24 Nov 2026, 13:05 UTC`.
pub fn date_time(text: &str) -> String {
    match civil(text) {
        Some(at) => format!(
            "{} {} {}, {:02}:{:02} UTC",
            at.day(),
            MONTHS[(at.month() - 1) as usize],
            at.year(),
            at.hour(),
            at.minute()
        ),
        None => text.to_string(),
    }
}

/// An RFC 3339 instant in `zone`.
fn zoned(text: &str, zone: &jiff::tz::TimeZone) -> Option<jiff::ZonedDateTime> {
    let timestamp: jiff::Timestamp = text.parse().ok()?;
    Some(timestamp.to_zoned_datetime(zone.clone()))
}

/// An RFC 3339 instant as a date in the account's time zone: `24 Nov 2026`.
pub fn date_in(text: &str, zone: &jiff::tz::TimeZone) -> String {
    match zoned(text, zone) {
        Some(at) => format!(
            "{} {} {}",
            at.day(),
            MONTHS[(at.month() - 1) as usize],
            at.year()
        ),
        None => text.to_string(),
    }
}

/// An RFC 3339 instant to the minute in the account's time zone, with the zone's
/// abbreviation: `24 Nov 2026, 08:05 EST`.
pub fn date_time_in(text: &str, zone: &jiff::tz::TimeZone) -> String {
    match zoned(text, zone) {
        Some(at) => format!(
            "{} {} {}, {:02}:{:02} {}",
            at.day(),
            MONTHS[(at.month() - 1) as usize],
            at.year(),
            at.hour(),
            at.minute(),
            at.strftime("%Z")
        ),
        None => text.to_string(),
    }
}

/// Whether an RFC 3339 instant is the first instant of its day in `zone`.
pub fn starts_a_day(text: &str, zone: &jiff::tz::TimeZone) -> bool {
    zoned(text, zone)
        .and_then(|at| at.start_of_day().ok().map(|start| start == at))
        .unwrap_or(false)
}

/// The day before an instant's, in `zone`, as an RFC 3339 instant at noon of it (for a
/// date label of an exclusive end at midnight).
pub fn day_before(text: &str, zone: &jiff::tz::TimeZone) -> Option<String> {
    let at = zoned(text, zone)?;
    let day = at.date().yesterday().ok()?;
    let noon = day
        .to_datetime(jiff::civil::Time::constant(12, 0, 0, 0))
        .to_zoned_datetime(zone.clone())
        .ok()?;
    Some(noon.timestamp().to_string())
}

/// A JSON instant as a date in `zone`; `—` when absent.
pub fn date_value_in(value: &Value, zone: &jiff::tz::TimeZone) -> String {
    value
        .as_str()
        .map_or_else(|| NONE.to_string(), |text| date_in(text, zone))
}

/// A JSON instant to the minute in `zone`; `—` when absent.
pub fn date_time_value_in(value: &Value, zone: &jiff::tz::TimeZone) -> String {
    value
        .as_str()
        .map_or_else(|| NONE.to_string(), |text| date_time_in(text, zone))
}

/// An account's time zone by its IANA name (UTC when unknown).
pub fn time_zone(name: &str) -> jiff::tz::TimeZone {
    tally_core::zone::time_zone_or_utc(name)
}

/// A JSON amount of credits with its unit, singular for exactly one: `1 credit`,
/// `12.5 credits`, `1,000 credits`.
pub fn credits_phrase(value: &Value) -> String {
    format!("{} {}", credits_value(value), credits_unit(value))
}

/// The unit that follows a JSON amount of credits: `credit` for exactly one, else `credits`.
pub fn credits_unit(value: &Value) -> &'static str {
    millicredits_unit(millicredits(value))
}

/// The unit that follows an amount in millicredits: `credit` for exactly 1,000.
pub fn millicredits_unit(millicredits: Option<i64>) -> &'static str {
    if millicredits == Some(1_000) {
        "credit"
    } else {
        "credits"
    }
}

/// A JSON instant as a date; `—` when absent.
pub fn date_value(value: &Value) -> String {
    value.as_str().map_or_else(|| NONE.to_string(), date)
}

/// A JSON instant to the minute; `—` when absent.
pub fn date_time_value(value: &Value) -> String {
    value.as_str().map_or_else(|| NONE.to_string(), date_time)
}

/// Whole days from `now` until `at`, rounded up (0 when `at` is not in the future).
pub fn days_until(now: Timestamp, at: Timestamp) -> i64 {
    const MICROS_PER_DAY: i64 = 86_400_000_000;
    let micros = at.as_micros().saturating_sub(now.as_micros());
    if micros <= 0 {
        0
    } else {
        i64::try_from(
            micros
                .unsigned_abs()
                .div_ceil(MICROS_PER_DAY.unsigned_abs()),
        )
        .unwrap_or(i64::MAX)
    }
}

/// `1 day`, `3 days`.
pub fn plural(count: i64, one: &str, many: &str) -> String {
    let grouped = group_thousands(&count.unsigned_abs().to_string());
    let sign = if count < 0 { "-" } else { "" };
    if count == 1 {
        format!("1 {one}")
    } else {
        format!("{sign}{grouped} {many}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credits_get_thousands_separators_from_their_text() {
        let check = |text: &str, expected: &str| assert_eq!(credits(text), expected, "{text}");
        check("0", "0");
        check("7", "7");
        check("999", "999");
        check("1000", "1,000");
        check("12500.5", "12,500.5");
        check("1234567.125", "1,234,567.125");
        check("-1234567.125", "-1,234,567.125");
        check("1000000000000", "1,000,000,000,000");
        check("-0.001", "-0.001");
        check("0.1", "0.1");
        check("100.100", "100.1");
        check("1.2000", "1.2");
        check("2.5e-2", "0.025");
        check("1.25e3", "1,250");
        check("-0", "0");
        check("0012", "12");
        // Past 3 decimals it rounds half away from zero and says so.
        check("0.0005", "≈0.001");
        check("0.0004", "≈0");
        check("999.9996", "≈1,000");
        check("-999.9996", "≈-1,000");
        check("0.0000", "0");
        // Not a number: shown as it is (and escaped by the template).
        check("n/a", "n/a");
    }

    #[test]
    fn no_float_noise_where_floats_would_add_it() {
        // 0.1 + 0.2 as a float is 0.30000000000000004; from text it is what the API said.
        assert_eq!(credits("0.3"), "0.3");
        assert_eq!(credits("9007199254740993"), "9,007,199,254,740,993");
        assert_eq!(exact("0.000075"), "0.000075");
        assert_eq!(exact("1234.000075"), "1,234.000075");
    }

    #[test]
    fn grouping_whole_numbers() {
        let check = |digits: &str, expected: &str| {
            assert_eq!(group_thousands(digits), expected, "{digits}");
        };
        check("0", "0");
        check("", "0");
        check("12", "12");
        check("123", "123");
        check("1234", "1,234");
        check("123456", "123,456");
        check("1234567", "1,234,567");
    }

    #[test]
    fn json_values_keep_their_text() {
        let value: Value = serde_json::from_str("[12500.125, \"3\", null, 0.000075]").unwrap();
        assert_eq!(credits_value(&value[0]), "12,500.125");
        assert_eq!(credits_value(&value[1]), "3");
        assert_eq!(credits_value(&value[2]), NONE);
        assert_eq!(exact_value(&value[3]), "0.000075");
        assert_eq!(millicredits(&value[0]), Some(12_500_125));
        assert_eq!(millicredits(&value[2]), None);
    }

    #[test]
    fn prices_dates_and_days() {
        assert_eq!(usd("10"), "$10.00");
        assert_eq!(usd("9.5"), "$9.50");
        assert_eq!(usd("1999.99"), "$1,999.99");
        assert_eq!(date("2026-11-24T13:05:09Z"), "24 Nov 2026");
        assert_eq!(
            date_time("2026-01-02T03:04:05.123Z"),
            "2 Jan 2026, 03:04 UTC"
        );
        assert_eq!(date("garbage"), "garbage");
        let day = 86_400_000_000;
        let now = Timestamp::from_micros(10 * day);
        assert_eq!(days_until(now, Timestamp::from_micros(10 * day)), 0);
        assert_eq!(days_until(now, Timestamp::from_micros(10 * day + 1)), 1);
        assert_eq!(days_until(now, Timestamp::from_micros(13 * day)), 3);
        assert_eq!(days_until(now, Timestamp::from_micros(9 * day)), 0);
        assert_eq!(plural(1, "day", "days"), "1 day");
        assert_eq!(plural(1500, "day", "days"), "1,500 days");
    }

    #[test]
    fn dates_in_the_accounts_time_zone() {
        let new_york = time_zone("America/New_York");
        assert_eq!(date_in("2026-12-02T03:00:00Z", &new_york), "1 Dec 2026");
        assert_eq!(
            date_time_in("2026-12-02T03:04:00Z", &new_york),
            "1 Dec 2026, 22:04 EST"
        );
        assert_eq!(
            date_time_in("2026-07-01T12:00:00Z", &new_york),
            "1 Jul 2026, 08:00 EDT"
        );
        assert_eq!(
            date_time_in("2026-07-01T12:00:00Z", &time_zone("no/such-zone")),
            "1 Jul 2026, 12:00 UTC"
        );
        assert!(starts_a_day("2026-12-02T05:00:00Z", &new_york));
        assert!(!starts_a_day("2026-12-02T00:00:00Z", &new_york));
        let before = day_before("2026-12-02T05:00:00Z", &new_york).unwrap();
        assert_eq!(date_in(&before, &new_york), "1 Dec 2026");
    }

    #[test]
    fn one_credit_is_singular() {
        let value: Value = serde_json::from_str("[1, 1.000, 2, 0.5, 1000]").unwrap();
        assert_eq!(credits_phrase(&value[0]), "1 credit");
        assert_eq!(credits_phrase(&value[1]), "1 credit");
        assert_eq!(credits_phrase(&value[2]), "2 credits");
        assert_eq!(credits_phrase(&value[3]), "0.5 credits");
        assert_eq!(credits_phrase(&value[4]), "1,000 credits");
        let units: Vec<&str> = value.as_array().unwrap().iter().map(credits_unit).collect();
        assert_eq!(units, ["credit", "credit", "credits", "credits", "credits"]);
        assert_eq!(millicredits_unit(Some(1_000)), "credit");
        assert_eq!(millicredits_unit(Some(1_001)), "credits");
        assert_eq!(millicredits_unit(None), "credits");
    }
}
