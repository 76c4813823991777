//! Plan advice: of everything the catalog sells, the plan and seats (or plan plus packs, or
//! packs alone) that would have cost the least in US dollars for the usage of the last months.
//! A pure function of the catalog and the monthly totals, so the server only reads the usage
//! and renders the answer (the rule: docs/advice.md).
//!
//! The rule, in short:
//! - **Months**: the last [`ADVICE_MONTHS`] whole calendar months before the current one, in
//!   the account's time zone, leaving out months that ended before the account existed; an
//!   account younger than its first whole month is judged on its current month so far
//!   ([`advice_months`]).
//! - **A choice** is a plan with a number of seats (or no plan), and packs. Each month the plan
//!   grants `seats × credits_per_seat`, spent first and never rolled over; what a month spends
//!   beyond it is drawn from packs, whose credits carry over from month to month (a pack counts
//!   only if it lasts at least 31 days per month advised on). So the packs needed are the
//!   cheapest set whose credits cover the sum of the months' overages.
//! - **Seats**: at least the number of members who spent in those months (and at least 1);
//!   more only on a plan with a price (extra seats of a free plan would be credits for
//!   nothing), and never more than the busiest month needs or [`ADVICE_SEATS_MAX`].
//! - **Cost**: months × seats × the plan's price, plus the packs' prices, in cents.
//! - **Ties**: the cheapest wins; between equal costs, the first plan in catalog order, then
//!   fewer seats, then packs alone last; of equally cheap pack sets, the fewest credits.

use jiff::ToSpan;

use crate::amount::Millicredits;
use crate::catalog::{Catalog, Pack, Plan};
use crate::time::Timestamp;

/// How many whole months advice looks back on.
pub const ADVICE_MONTHS: usize = 3;

/// The most seats advice ever proposes.
pub const ADVICE_SEATS_MAX: u64 = 1_000;

/// The days a pack must last per month advised on, for its credits to carry over.
pub const PACK_DAYS_PER_MONTH_MIN: u64 = 31;

/// The widest exact search of pack sets (in units of the packs' common divisor); a catalog
/// whose packs would need more is searched with its best-value pack alone beyond that.
pub const PACK_SEARCH_UNITS_MAX: u64 = 1_000_000;

/// Cents in a US dollar.
pub const CENTS_PER_USD: i64 = 100;

/// Why advice cannot be given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdviceError {
    #[error("advice: the price of {id:?} is not a whole number of cents")]
    PriceNotInCents { id: String },
    #[error("advice: the catalog sells nothing that covers this usage")]
    NothingCovers,
    #[error("advice: the cost is over what advice can count")]
    Overflow,
}

/// Some of one pack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackCount {
    pub pack_id: String,
    pub count: u64,
}

/// One way of paying for the usage: a plan (or none) with its seats, and the packs to buy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// `None`: packs alone.
    pub plan_id: Option<String>,
    /// 0 with no plan.
    pub seats: u64,
    /// The plan's credits each month (`seats × credits_per_seat`).
    pub allowance: Millicredits,
    /// What the months spent beyond the allowance, summed.
    pub overage: Millicredits,
    pub packs: Vec<PackCount>,
    /// The packs' credits (at least `overage`).
    pub pack_credits: Millicredits,
    /// What the plan costs over the months, in cents.
    pub plan_cents: i64,
    /// What the packs cost, in cents.
    pub pack_cents: i64,
}

impl Choice {
    /// The whole cost, in cents.
    pub fn cents(&self) -> i64 {
        self.plan_cents + self.pack_cents
    }
}

/// The advice: the cheapest choice, and what the account's current plan would have cost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Advice {
    pub best: Choice,
    /// The current plan and seats with the packs they would have needed (`None`: no plan, or
    /// a plan the catalog no longer sells).
    pub current: Option<Choice>,
    /// Whether every pack set was searched exactly (false only for a catalog whose packs
    /// are too finely divided: see [`PACK_SEARCH_UNITS_MAX`]).
    pub exact: bool,
}

/// What advice is asked about: the months' spending (net credits, one total a month), the
/// members who spent in them, and the account's current plan.
#[derive(Clone, Debug)]
pub struct AdviceRequest<'a> {
    pub months: &'a [Millicredits],
    pub members: u64,
    pub current: Option<(&'a str, u64)>,
}

/// A price in cents.
fn cents(id: &str, price_usd: &str) -> Result<i64, AdviceError> {
    crate::Decimal::parse(price_usd)
        .and_then(|decimal| decimal.to_scaled(2, i64::MAX / 4).ok())
        .filter(|cents| *cents >= 0)
        .ok_or_else(|| AdviceError::PriceNotInCents { id: id.to_string() })
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// A pack on sale as advice counts it.
struct Priced<'a> {
    pack: &'a Pack,
    credits: u64,
    cents: i64,
}

/// The cheapest set of packs covering `need` millicredits (then the fewest credits):
/// `(cents, credits, counts per pack)`. `None` when nothing covers it.
///
/// Exact by this argument: let `b` be the pack with the lowest price per credit, `g` the
/// greatest common divisor of all packs' credits and `w = b.credits / g`. Any `w` other
/// packs hold a non-empty subset whose credits are a multiple `j` of `b.credits` (two of
/// their `w + 1` prefix sums agree modulo `b.credits`), and `j` of `b` cost no more for the
/// same credits. So some best set has fewer than `w` other packs, whose credits are an exact
/// sum of at most `(w - 1) × max credits`: a knapsack over those sums, topped up with `b`.
fn cover(packs: &[Priced<'_>], need: u64) -> Option<(i64, u64, Vec<u64>, bool)> {
    if need == 0 {
        return Some((0, 0, vec![0; packs.len()], true));
    }
    // The best value: lowest cents per credit (cross-multiplied), then more credits, then
    // catalog order.
    let best = (0..packs.len()).min_by(|&a, &b| {
        let (pa, pb) = (&packs[a], &packs[b]);
        let left = i128::from(pa.cents) * i128::from(pb.credits);
        let right = i128::from(pb.cents) * i128::from(pa.credits);
        left.cmp(&right)
            .then(pb.credits.cmp(&pa.credits))
            .then(a.cmp(&b))
    })?;
    let unit = packs.iter().fold(0, |g, pack| gcd(g, pack.credits));
    let best_units = packs[best].credits / unit;
    let widest = packs
        .iter()
        .enumerate()
        .filter(|(index, _)| *index != best)
        .map(|(_, pack)| pack.credits / unit)
        .max()
        .unwrap_or(0);
    let mut span = (best_units - 1).saturating_mul(widest);
    let exact = span <= PACK_SEARCH_UNITS_MAX;
    if !exact {
        span = 0;
    }
    let span = usize::try_from(span).expect("advice: the pack search is bounded");
    // cheapest[u]: the fewest cents for exactly `u` units of the other packs, and the pack
    // last added to reach it.
    let mut cheapest: Vec<Option<(i64, usize)>> = vec![None; span + 1];
    cheapest[0] = Some((0, usize::MAX));
    for units in 1..=span {
        for (index, pack) in packs.iter().enumerate() {
            let width = usize::try_from(pack.credits / unit).unwrap_or(usize::MAX);
            if index == best || width > units {
                continue;
            }
            if let Some((before, _)) = cheapest[units - width] {
                let total = before + pack.cents;
                if cheapest[units].is_none_or(|(known, _)| total < known) {
                    cheapest[units] = Some((total, index));
                }
            }
        }
    }
    let best_pack = &packs[best];
    let mut chosen: Option<(i64, u64, usize, u64)> = None;
    for (units, found) in cheapest.iter().enumerate() {
        let Some((others_cents, _)) = found else {
            continue;
        };
        let others_credits = units as u64 * unit;
        let rest = need.saturating_sub(others_credits);
        let count = rest.div_ceil(best_pack.credits);
        let cents = i64::try_from(count)
            .ok()
            .and_then(|count| count.checked_mul(best_pack.cents))
            .and_then(|cents| cents.checked_add(*others_cents))?;
        let credits = others_credits.checked_add(count.checked_mul(best_pack.credits)?)?;
        if chosen.is_none_or(|(known_cents, known_credits, _, _)| {
            (cents, credits) < (known_cents, known_credits)
        }) {
            chosen = Some((cents, credits, units, count));
        }
    }
    let (cents, credits, mut units, count) = chosen?;
    let mut counts = vec![0; packs.len()];
    counts[best] = count;
    while units > 0 {
        let (_, index) = cheapest[units].expect("advice: a reached sum has a last pack");
        counts[index] += 1;
        units -= usize::try_from(packs[index].credits / unit).expect("advice: a pack's width");
    }
    Some((cents, credits, counts, exact))
}

/// The usage in millicredits, a month's spending counted from zero (a month of refunds only
/// spends nothing).
fn spent(month: Millicredits) -> u64 {
    u64::try_from(month.get()).unwrap_or(0)
}

/// The packs whose credits last the months advised on, in catalog order, with their cents.
fn lasting_packs<'a>(catalog: &'a Catalog, months: usize) -> Result<Vec<Priced<'a>>, AdviceError> {
    let days_min = PACK_DAYS_PER_MONTH_MIN * months as u64;
    catalog
        .packs
        .iter()
        .filter(|pack| {
            pack.expires_after_days
                .is_none_or(|days| u64::from(days) >= days_min)
        })
        .map(|pack| {
            Ok(Priced {
                pack,
                credits: spent(pack.credits),
                cents: cents(&pack.id, &pack.price_usd)?,
            })
        })
        .collect()
}

/// What a plan (or none) with `seats` costs for `months`, with the packs it needs (`None`:
/// the packs cannot cover it).
fn choice(
    plan: Option<&Plan>,
    seats: u64,
    months: &[Millicredits],
    packs: &[Priced<'_>],
) -> Result<Option<(Choice, bool)>, AdviceError> {
    let (per_seat, seat_cents) = match plan {
        Some(plan) => (
            spent(plan.credits_per_seat),
            cents(&plan.id, &plan.price_usd)?,
        ),
        None => (0, 0),
    };
    let allowance = per_seat.checked_mul(seats).ok_or(AdviceError::Overflow)?;
    let overage = months
        .iter()
        .map(|month| spent(*month).saturating_sub(allowance))
        .try_fold(0u64, u64::checked_add)
        .ok_or(AdviceError::Overflow)?;
    let Some((pack_cents, pack_credits, counts, exact)) = cover(packs, overage) else {
        return Ok(None);
    };
    let plan_cents = i64::try_from(months.len() as u64 * seats)
        .ok()
        .and_then(|seat_months| seat_months.checked_mul(seat_cents))
        .ok_or(AdviceError::Overflow)?;
    // The whole cost must be countable too ([`Choice::cents`] adds the two).
    plan_cents
        .checked_add(pack_cents)
        .ok_or(AdviceError::Overflow)?;
    let as_amount = |value: u64| {
        i64::try_from(value)
            .map(Millicredits::new)
            .map_err(|_| AdviceError::Overflow)
    };
    Ok(Some((
        Choice {
            plan_id: plan.map(|plan| plan.id.clone()),
            seats,
            allowance: as_amount(allowance)?,
            overage: as_amount(overage)?,
            packs: packs
                .iter()
                .zip(counts)
                .filter(|(_, count)| *count > 0)
                .map(|(priced, count)| PackCount {
                    pack_id: priced.pack.id.clone(),
                    count,
                })
                .collect(),
            pack_credits: as_amount(pack_credits)?,
            plan_cents,
            pack_cents,
        },
        exact,
    )))
}

/// The seats advice weighs for `plan`: from the members (at least 1) to what the busiest
/// month needs, only the members' count on a free plan, never more than [`ADVICE_SEATS_MAX`].
pub fn seats_range(plan: &Plan, members: u64, peak: Millicredits) -> std::ops::RangeInclusive<u64> {
    let least = members.clamp(1, ADVICE_SEATS_MAX);
    let free = crate::Decimal::parse(&plan.price_usd).is_none_or(|price| price.is_zero());
    let per_seat = spent(plan.credits_per_seat).max(1);
    let most = if free {
        least
    } else {
        spent(peak)
            .div_ceil(per_seat)
            .clamp(least, ADVICE_SEATS_MAX)
    };
    least..=most
}

/// The cheapest way to have paid for `request.months` on `catalog` (the rule: the module's
/// doc).
pub fn advise(catalog: &Catalog, request: &AdviceRequest<'_>) -> Result<Advice, AdviceError> {
    let packs = lasting_packs(catalog, request.months.len())?;
    let peak = request
        .months
        .iter()
        .copied()
        .max()
        .unwrap_or(Millicredits::ZERO);
    let mut best: Option<Choice> = None;
    let mut exact = true;
    let mut consider = |found: Option<(Choice, bool)>| {
        if let Some((found, found_exact)) = found {
            exact &= found_exact;
            if best
                .as_ref()
                .is_none_or(|known| found.cents() < known.cents())
            {
                best = Some(found);
            }
        }
    };
    for plan in &catalog.plans {
        for seats in seats_range(plan, request.members, peak) {
            consider(choice(Some(plan), seats, request.months, &packs)?);
        }
    }
    consider(choice(None, 0, request.months, &packs)?);
    let best = best.ok_or(AdviceError::NothingCovers)?;
    let current = match request.current {
        Some((plan_id, seats)) => match catalog.plan(plan_id) {
            Some(plan) => choice(Some(plan), seats, request.months, &packs)?.map(|(c, _)| c),
            None => None,
        },
        None => None,
    };
    Ok(Advice {
        best,
        current,
        exact,
    })
}

fn to_jiff(at: Timestamp) -> jiff::Timestamp {
    let clamped = at.as_micros().clamp(
        jiff::Timestamp::MIN.as_microsecond(),
        jiff::Timestamp::MAX.as_microsecond(),
    );
    jiff::Timestamp::from_microsecond(clamped).expect("advice: clamped into jiff's range")
}

/// The first instant of the calendar month `months_back` before the one around `at`, in
/// `zone` (the first instant after a DST gap at midnight).
fn month_start(zone: &jiff::tz::TimeZone, at: Timestamp, months_back: i64) -> Option<Timestamp> {
    let first = to_jiff(at)
        .to_zoned_datetime(zone.clone())
        .date()
        .first_of_month()
        .checked_sub(months_back.months())
        .ok()?;
    let start = first
        .to_zoned_datetime(zone.clone())
        .and_then(|midnight| midnight.start_of_day())
        .ok()?;
    Some(Timestamp::from_micros(start.timestamp().as_microsecond()))
}

/// The months advice reads, oldest first, as `[from, to)`: the last [`ADVICE_MONTHS`] whole
/// calendar months before the one around `now` in `zone` that end after `created_at`; none
/// such, the current month so far (to just after `now`).
pub fn advice_months(
    created_at: Timestamp,
    now: Timestamp,
    zone: &jiff::tz::TimeZone,
) -> Vec<(Timestamp, Timestamp)> {
    let mut months = Vec::with_capacity(ADVICE_MONTHS);
    for back in 1..=ADVICE_MONTHS as i64 {
        let (Some(from), Some(to)) = (
            month_start(zone, now, back),
            month_start(zone, now, back - 1),
        ) else {
            break;
        };
        if to <= created_at {
            break;
        }
        months.push((from, to));
    }
    if months.is_empty()
        && let Some(from) = month_start(zone, now, 0)
    {
        months.push((
            from,
            Timestamp::from_micros(now.as_micros().saturating_add(1)),
        ));
    }
    months.reverse();
    months
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credits(n: i64) -> Millicredits {
        Millicredits::from_credits(n)
    }

    fn advise_default(months: &[i64], members: u64) -> Advice {
        let months: Vec<Millicredits> = months.iter().map(|m| credits(*m)).collect();
        advise(
            &Catalog::default(),
            &AdviceRequest {
                months: &months,
                members,
                current: Some(("starter", 1)),
            },
        )
        .unwrap()
    }

    fn packs(choice: &Choice) -> Vec<(&str, u64)> {
        choice
            .packs
            .iter()
            .map(|pack| (pack.pack_id.as_str(), pack.count))
            .collect()
    }

    // Worked by hand on the default catalog (Starter free 5,000 a seat; Pro $20 for 250,000
    // a seat; packs 10,000 for $10, 50,000 for $45, 250,000 for $200, all valid 365 days).

    #[test]
    fn a_small_overage_is_cheapest_as_packs_on_one_seat() {
        // Pro × 1: $60, overage 50,000 + 10,000 → one 50k and one 10k pack, $55: $115.
        // Pro × 2: $120. Starter: 645,000 over → $535. Packs alone 660,000 → $545.
        let advice = advise_default(&[300_000, 260_000, 100_000], 1);
        assert_eq!(advice.best.plan_id.as_deref(), Some("pro"));
        assert_eq!(advice.best.seats, 1);
        assert_eq!(advice.best.cents(), 11_500);
        assert_eq!(packs(&advice.best), vec![("pack_10k", 1), ("pack_50k", 1)]);
        assert_eq!(advice.best.overage, credits(60_000));
        // Starter (the current plan) and packs: 500,000 in two 250k packs and 150,000 in three
        // 50k packs cover 645,000 for $535.
        let current = advice.current.unwrap();
        assert_eq!(current.cents(), 53_500);
        assert!(advice.exact);
    }

    #[test]
    fn a_steady_overage_is_cheapest_as_another_seat() {
        // Pro × 2: $120, no overage. Pro × 1: $60 + 690,000 over (≥ $580).
        let advice = advise_default(&[480_000, 490_000, 470_000], 1);
        assert_eq!(advice.best.plan_id.as_deref(), Some("pro"));
        assert_eq!(advice.best.seats, 2);
        assert_eq!(advice.best.cents(), 12_000);
        assert!(advice.best.packs.is_empty());
    }

    #[test]
    fn little_usage_stays_on_the_free_plan_and_members_count_as_seats() {
        let advice = advise_default(&[4_000, 0, 3_000], 1);
        assert_eq!(advice.best.plan_id.as_deref(), Some("starter"));
        assert_eq!(advice.best.cents(), 0);
        // Three members: Pro needs three seats; Starter three free seats cover 15,000 a month.
        let advice = advise_default(&[14_000, 15_000, 2_000], 3);
        assert_eq!(advice.best.plan_id.as_deref(), Some("starter"));
        assert_eq!(advice.best.seats, 3);
        assert_eq!(advice.best.cents(), 0);
        // A free plan never gets seats beyond its members: 10,000 more is a $10 pack.
        let advice = advise_default(&[15_000, 0, 0], 1);
        assert_eq!(advice.best.seats, 1);
        assert_eq!(packs(&advice.best), vec![("pack_10k", 1)]);
        assert_eq!(advice.best.cents(), 1_000);
    }

    #[test]
    fn packs_too_short_for_the_months_do_not_count() {
        let mut catalog = Catalog::default();
        for pack in &mut catalog.packs {
            pack.expires_after_days = Some(30);
        }
        let months = [credits(300_000), credits(0), credits(0)];
        let advice = advise(
            &catalog,
            &AdviceRequest {
                months: &months,
                members: 1,
                current: None,
            },
        )
        .unwrap();
        // No pack lasts 93 days: two seats of Pro, $120.
        assert_eq!(advice.best.plan_id.as_deref(), Some("pro"));
        assert_eq!(advice.best.seats, 2);
        assert_eq!(advice.best.cents(), 12_000);
    }

    #[test]
    fn months_are_whole_calendar_months_in_the_zone_after_the_account_began() {
        let utc = jiff::tz::TimeZone::UTC;
        let at = |text: &str| {
            Timestamp::from_micros(text.parse::<jiff::Timestamp>().unwrap().as_microsecond())
        };
        let now = at("2026-12-02T07:00:00Z");
        assert_eq!(
            advice_months(at("2025-01-01T00:00:00Z"), now, &utc),
            vec![
                (at("2026-09-01T00:00:00Z"), at("2026-10-01T00:00:00Z")),
                (at("2026-10-01T00:00:00Z"), at("2026-11-01T00:00:00Z")),
                (at("2026-11-01T00:00:00Z"), at("2026-12-01T00:00:00Z")),
            ]
        );
        // Created in October: October (in part) and November.
        assert_eq!(
            advice_months(at("2026-10-20T00:00:00Z"), now, &utc).len(),
            2
        );
        // Created this month: the month so far.
        assert_eq!(
            advice_months(at("2026-12-01T09:00:00Z"), now, &utc),
            vec![(
                at("2026-12-01T00:00:00Z"),
                Timestamp::from_micros(now.as_micros() + 1)
            )]
        );
        // In New York, December 2 at 07:00 UTC is still December 2; November starts at 04:00 Z.
        let new_york = jiff::tz::db().get("America/New_York").unwrap();
        let months = advice_months(at("2025-01-01T00:00:00Z"), now, &new_york);
        assert_eq!(
            months[2],
            (at("2026-11-01T04:00:00Z"), at("2026-12-01T05:00:00Z"))
        );
    }
}
