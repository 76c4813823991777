//! Plan advice on a synthetic year of usage matches a brute-force search over the catalog.
//!
//! The year is drawn from a seeded generator (daily spending of three products, with a season
//! and busy spells), summed into calendar months; for every window of three consecutive months
//! and a set of catalogs (the default one and seeded random ones), the advice must equal what
//! an exhaustive search finds. The search is written here from the rule in docs/advice.md,
//! independently of `tally_core::advice`: every plan and seat count (seats past what the
//! busiest month needs too, which must never win), every count of every pack but the last,
//! the last pack's count the fewest that covers what is left.

use tally_core::Millicredits;
use tally_core::advice::{AdviceRequest, advise};
use tally_core::catalog::{Catalog, Pack, Plan};

const SEED: u64 = 0x5eed_2026_0017;

/// xorshift64*: small, seeded, the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `low..=high`.
    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }
}

const DAYS_IN_MONTHS: [u64; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/// A year of spending in whole credits, one total per calendar month.
fn synthetic_year(rng: &mut Rng) -> Vec<u64> {
    let mut months = Vec::new();
    for (month, days) in DAYS_IN_MONTHS.iter().enumerate() {
        // A season: busier in the middle of the year.
        let season = 6 - (month as i64 - 6).unsigned_abs();
        let mut total = 0;
        for _ in 0..*days {
            let busy = rng.between(0, 9) == 0;
            for product_scale in [1500, 600, 200] {
                let base = rng.between(0, product_scale) * (2 + season);
                total += if busy { base * 3 } else { base };
            }
        }
        months.push(total);
    }
    months
}

fn random_catalog(rng: &mut Rng) -> Catalog {
    let plans = (0..rng.between(1, 3))
        .map(|index| Plan {
            id: format!("plan{index}"),
            name: format!("Plan {index}"),
            credits_per_seat: Millicredits::from_credits(rng.between(4, 50) as i64 * 5_000),
            price_usd: if rng.between(0, 3) == 0 {
                "0".to_string()
            } else {
                format!("{}.{:02}", rng.between(1, 60), rng.between(0, 99))
            },
        })
        .collect();
    let packs = (0..rng.between(1, 3))
        .map(|index| Pack {
            id: format!("pack{index}"),
            name: format!("Pack {index}"),
            credits: Millicredits::from_credits(rng.between(4, 50) as i64 * 5_000),
            price_usd: format!("{}.{:02}", rng.between(5, 250), rng.between(0, 99)),
            expires_after_days: match rng.between(0, 4) {
                0 => None,
                1 => Some(30),
                _ => Some(365),
            },
        })
        .collect();
    Catalog {
        plans,
        packs,
        ..Catalog::default()
    }
}

/// "12.34" → 1234 (the test's own reading of a price).
fn cents(price: &str) -> u64 {
    match price.split_once('.') {
        Some((dollars, fraction)) => {
            let fraction = format!("{fraction:0<2}");
            dollars.parse::<u64>().unwrap() * 100 + fraction[..2].parse::<u64>().unwrap()
        }
        None => price.parse::<u64>().unwrap() * 100,
    }
}

fn whole_credits(amount: Millicredits) -> u64 {
    (amount.get() / 1_000) as u64
}

/// The cheapest packs covering `need` credits, then the fewest credits: (cents, credits).
fn brute_cover(packs: &[(u64, u64)], need: u64) -> Option<(u64, u64)> {
    if need == 0 {
        return Some((0, 0));
    }
    let (last, others) = packs.split_last()?;
    let mut best: Option<(u64, u64)> = None;
    let mut counts = vec![0u64; others.len()];
    loop {
        let (mut cost, mut credits) = (0, 0);
        for (count, (pack_credits, pack_cents)) in counts.iter().zip(others) {
            cost += count * pack_cents;
            credits += count * pack_credits;
        }
        let last_count = need.saturating_sub(credits).div_ceil(last.0);
        cost += last_count * last.1;
        credits += last_count * last.0;
        if best.is_none_or(|known| (cost, credits) < known) {
            best = Some((cost, credits));
        }
        // The next vector of counts, each from 0 to what alone covers the need.
        let mut position = 0;
        loop {
            if position == counts.len() {
                return best;
            }
            counts[position] += 1;
            if counts[position] <= need.div_ceil(others[position].0) {
                break;
            }
            counts[position] = 0;
            position += 1;
        }
    }
}

/// What a plan (`(credits per seat, cents per seat)`, or none) with `seats` costs for
/// `months`: (cents, pack credits).
fn brute_cost(
    plan: Option<(u64, u64)>,
    seats: u64,
    months: &[u64],
    packs: &[(u64, u64)],
) -> Option<(u64, u64)> {
    let (per_seat, seat_cents) = plan.unwrap_or((0, 0));
    let allowance = per_seat * seats;
    let overage: u64 = months.iter().map(|m| m.saturating_sub(allowance)).sum();
    let (pack_cents, pack_credits) = brute_cover(packs, overage)?;
    Some((
        months.len() as u64 * seats * seat_cents + pack_cents,
        pack_credits,
    ))
}

/// The brute-force answer: (plan id, seats, cents, pack credits).
fn brute_force(
    catalog: &Catalog,
    months: &[u64],
    members: u64,
) -> Option<(Option<String>, u64, u64, u64)> {
    let packs: Vec<(u64, u64)> = catalog
        .packs
        .iter()
        .filter(|pack| {
            pack.expires_after_days
                .is_none_or(|days| u64::from(days) >= 31 * months.len() as u64)
        })
        .map(|pack| (whole_credits(pack.credits), cents(&pack.price_usd)))
        .collect();
    let peak = months.iter().copied().max().unwrap_or(0);
    let least = members.max(1);
    let mut best: Option<(Option<String>, u64, u64, u64)> = None;
    let mut consider = |plan_id: Option<String>, seats: u64, found: Option<(u64, u64)>| {
        if let Some((cost, credits)) = found
            && best.as_ref().is_none_or(|known| cost < known.2)
        {
            best = Some((plan_id, seats, cost, credits));
        }
    };
    for plan in &catalog.plans {
        let per_seat = whole_credits(plan.credits_per_seat);
        let seat_cents = cents(&plan.price_usd);
        // A free plan: its members' seats only. A paid one: two seats more than the busiest
        // month needs, which can only cost more.
        let most = if seat_cents == 0 {
            least
        } else {
            least.max(peak.div_ceil(per_seat)) + 2
        };
        for seats in least..=most {
            consider(
                Some(plan.id.clone()),
                seats,
                brute_cost(Some((per_seat, seat_cents)), seats, months, &packs),
            );
        }
    }
    consider(None, 0, brute_cost(None, 0, months, &packs));
    best
}

#[test]
fn advice_on_a_synthetic_year_matches_a_brute_force_search_over_the_catalog() {
    let mut rng = Rng(SEED);
    let mut catalogs = vec![Catalog::default()];
    catalogs.extend((0..12).map(|_| random_catalog(&mut rng)));
    let mut compared = 0;
    let mut packs_won = 0;
    let mut seats_won = 0;
    for (catalog_index, catalog) in catalogs.iter().enumerate() {
        let year = synthetic_year(&mut rng);
        let members = rng.between(0, 3);
        for start in 0..=(year.len() - 3) {
            let window = &year[start..start + 3];
            let months: Vec<Millicredits> = window
                .iter()
                .map(|credits| Millicredits::from_credits(*credits as i64))
                .collect();
            let current_plan = &catalog.plans[start % catalog.plans.len()];
            let current_seats = members.max(1) + (start as u64 % 2);
            let context = format!(
                "seed {SEED:#x}, catalog {catalog_index} {catalog:?}, months {window:?}, \
                 members {members}"
            );
            let advice = advise(
                catalog,
                &AdviceRequest {
                    months: &months,
                    members,
                    current: Some((&current_plan.id, current_seats)),
                },
            );
            let expected = brute_force(catalog, window, members);
            let Some((plan_id, seats, cost, pack_credits)) = expected else {
                assert!(
                    advice.is_err(),
                    "{context}: nothing covers it, yet {advice:?}"
                );
                continue;
            };
            let advice = advice.unwrap_or_else(|error| panic!("{context}: {error}"));
            assert!(advice.exact, "{context}");
            let best = &advice.best;
            assert_eq!(
                (
                    best.plan_id.clone(),
                    best.seats,
                    best.cents() as u64,
                    whole_credits(best.pack_credits)
                ),
                (plan_id, seats, cost, pack_credits),
                "{context}"
            );
            // What the chosen packs add up to, counted here from the catalog.
            let (mut counted_credits, mut counted_cents) = (0, 0);
            for pack in &best.packs {
                let sold = catalog.pack(&pack.pack_id).expect("a pack on sale");
                counted_credits += pack.count * whole_credits(sold.credits);
                counted_cents += pack.count * cents(&sold.price_usd);
            }
            assert_eq!(counted_credits, pack_credits, "{context}");
            assert!(counted_credits >= whole_credits(best.overage), "{context}");
            assert_eq!(counted_cents, best.pack_cents as u64, "{context}");
            // The current plan's cost, searched the same way.
            let current_expected = brute_cost(
                Some((
                    whole_credits(current_plan.credits_per_seat),
                    cents(&current_plan.price_usd),
                )),
                current_seats,
                window,
                &catalog
                    .packs
                    .iter()
                    .filter(|pack| pack.expires_after_days.is_none_or(|days| days >= 93))
                    .map(|pack| (whole_credits(pack.credits), cents(&pack.price_usd)))
                    .collect::<Vec<_>>(),
            );
            assert_eq!(
                advice.current.map(|current| current.cents() as u64),
                current_expected.map(|(cost, _)| cost),
                "{context}"
            );
            compared += 1;
            if !best.packs.is_empty() {
                packs_won += 1;
            }
            if best.seats > members.max(1) {
                seats_won += 1;
            }
        }
    }
    eprintln!("compared {compared}: packs won {packs_won}, seats won {seats_won}");
    // The year and the catalogs exercise both kinds of answer, not one only.
    assert!(compared >= 100, "compared {compared}");
    assert!(
        packs_won > 0 && seats_won > 0,
        "packs {packs_won}, seats {seats_won}"
    );
}
