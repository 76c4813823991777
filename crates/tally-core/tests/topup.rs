//! Auto top-up's guard rails, as properties: random debits, payments, failures, expiries,
//! clock moves (across months) and settings against a small model of when a top-up is due.
//! After every step: at most one top-up purchase is pending; a top-up was opened exactly when
//! the model says one is due (active, below the threshold, none pending, past the cooldown,
//! under the month's cap); no month has more than `monthly_max`; three failures in a row
//! suspend it, and a suspended top-up buys nothing until it is set again.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use tally_core::catalog::Pack;
use tally_core::{
    Account, AccountState, Attribution, AutoTopupSpec, AutoTopupStatus, DebitSpec, Effects,
    GrantSource, GrantSpec, IdKind, IdSource, Millicredits, PurchaseEnd, PurchaseStatus,
    TOPUP_FAILURES_MAX, Timestamp, month_start,
};

const SECOND: i64 = 1_000_000;
/// 2026-01-30T00:00:00Z: months end soon after the start.
const START: i64 = 1_769_731_200 * SECOND;
const TTL_SECONDS: i64 = 3_600;

#[derive(Default)]
struct Ids(u64);

impl IdSource for Ids {
    fn new_id(&mut self, kind: IdKind) -> String {
        self.0 += 1;
        format!("{}{:06}", kind.prefix(), self.0)
    }

    fn next_ordinal(&mut self) -> i64 {
        self.0 += 1;
        self.0 as i64
    }
}

#[derive(Clone, Debug)]
enum Op {
    Charge(i64),
    /// Completes, fails or cancels the pending top-up purchase, if there is one.
    Pay,
    Fail,
    Cancel,
    Advance(i64),
    /// Sets the top-up again (active, failures forgotten).
    Set,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (1i64..4_000).prop_map(Op::Charge),
        1 => Just(Op::Pay),
        2 => Just(Op::Fail),
        1 => Just(Op::Cancel),
        3 => prop_oneof![
            4 => 0i64..400,
            2 => 3_000i64..5_000,
            1 => 20 * 86_400i64..40 * 86_400,
        ]
        .prop_map(Op::Advance),
        1 => Just(Op::Set),
    ]
}

fn spec(complete: bool, monthly_max: u32, cooldown_seconds: i64) -> AutoTopupSpec {
    AutoTopupSpec {
        pack: Pack {
            id: "pack".into(),
            name: "Pack".into(),
            credits: Millicredits::from_credits(5),
            price_usd: "1".into(),
            expires_after_days: None,
        },
        threshold: Millicredits::from_credits(4),
        monthly_max,
        cooldown_seconds,
        complete,
        purchase_expires_after_seconds: TTL_SECONDS,
        checkout_url: None,
    }
}

/// When the model says the top-up stands, from its own bookkeeping.
#[derive(Default)]
struct Model {
    suspended: bool,
    failures: u32,
    last_attempt: Option<i64>,
    /// Month start → top-ups opened in it.
    per_month: BTreeMap<i64, u32>,
}

fn run(ops: &[Op], complete: bool, monthly_max: u32, cooldown: i64) {
    let account = Account {
        id: "acct".into(),
        name: None,
        overdraft_limit: Millicredits::from_credits(1_000_000),
        metadata: None,
        created_at: Timestamp::from_micros(START),
        settings: Default::default(),
    };
    let mut state = AccountState::new(account);
    let mut ids = Ids::default();
    let mut effects = Effects::default();
    let mut now = START;
    let at = |now: i64| Timestamp::from_micros(now);
    state
        .create_grant(
            GrantSpec {
                amount: Millicredits::from_credits(10),
                source: GrantSource::Promo,
                priority: 0,
                effective_at: None,
                expires_at: None,
                description: None,
                metadata: None,
            },
            at(now),
            &mut ids,
            &mut effects,
        )
        .unwrap();
    state.set_auto_topup(
        spec(complete, monthly_max, cooldown),
        at(now),
        &mut ids,
        &mut effects,
    );
    let mut model = Model::default();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for op in ops {
        let pending_topup = || {
            |state: &AccountState| -> Option<String> {
                state
                    .pending_purchases()
                    .iter()
                    .find(|purchase| purchase.topup)
                    .map(|purchase| purchase.id.clone())
            }
        };
        // The due work first (expiries count as failures), as every command does it.
        let expired = effects.purchases.len();
        state.run_due(at(now), &mut ids, &mut effects);
        count_ends(&mut model, &effects.purchases[expired..]);
        let before_effects = effects.purchases.len();
        match op {
            Op::Charge(credits) => {
                // What the model expects: due after this debit?
                let before_pending = pending_topup()(&state).is_some();
                let month = month_start(at(now)).as_micros();
                let used = model.per_month.get(&month).copied().unwrap_or(0);
                let available_after = state.available().get() - credits * 1000;
                let due = !model.suspended
                    && available_after < 4_000
                    && !before_pending
                    && model
                        .last_attempt
                        .is_none_or(|last| now >= last + cooldown * SECOND)
                    && used < monthly_max;
                let debit = DebitSpec {
                    amount: Millicredits::from_credits(*credits),
                    attribution: Attribution::default(),
                    description: None,
                    metadata: None,
                    extra: None,
                };
                state
                    .charge(debit, at(now), &mut ids, &mut effects)
                    .unwrap();
                let opened: Vec<_> = effects.purchases[before_effects..]
                    .iter()
                    .filter(|purchase| purchase.topup && seen.insert(purchase.id.clone()))
                    .collect();
                assert_eq!(opened.len(), usize::from(due), "top-up due: {due}");
                if due {
                    let purchase = opened[0];
                    let expected = if complete {
                        PurchaseStatus::Completed
                    } else {
                        PurchaseStatus::Pending
                    };
                    assert_eq!(purchase.status, expected);
                    model.last_attempt = Some(now);
                    *model.per_month.entry(month).or_default() += 1;
                }
            }
            Op::Pay | Op::Fail | Op::Cancel => {
                if let Some(id) = pending_topup()(&state) {
                    let ended = effects.purchases.len();
                    match op {
                        Op::Pay => {
                            state
                                .complete_purchase(&id, None, at(now), &mut ids, &mut effects)
                                .unwrap();
                        }
                        Op::Fail => {
                            state
                                .end_purchase(
                                    &id,
                                    PurchaseEnd::Failed,
                                    at(now),
                                    &mut ids,
                                    &mut effects,
                                )
                                .unwrap();
                        }
                        _ => {
                            state
                                .end_purchase(
                                    &id,
                                    PurchaseEnd::Canceled,
                                    at(now),
                                    &mut ids,
                                    &mut effects,
                                )
                                .unwrap();
                        }
                    }
                    count_ends(&mut model, &effects.purchases[ended..]);
                }
            }
            Op::Advance(seconds) => {
                now += seconds * SECOND;
                let ended = effects.purchases.len();
                state.run_due(at(now), &mut ids, &mut effects);
                count_ends(&mut model, &effects.purchases[ended..]);
            }
            Op::Set => {
                let ended = effects.purchases.len();
                state.set_auto_topup(
                    spec(complete, monthly_max, cooldown),
                    at(now),
                    &mut ids,
                    &mut effects,
                );
                count_ends(&mut model, &effects.purchases[ended..]);
                model.suspended = false;
                model.failures = 0;
            }
        }
        let topup = state.auto_topup().expect("the top-up stays set");
        let pending = state
            .pending_purchases()
            .iter()
            .filter(|purchase| purchase.topup)
            .count();
        assert!(pending <= 1, "two top-up purchases pending");
        assert_eq!(
            topup.status == AutoTopupStatus::Suspended,
            model.suspended,
            "suspended after {} failures",
            model.failures
        );
        assert_eq!(topup.consecutive_failures, model.failures);
        for count in model.per_month.values() {
            assert!(*count <= monthly_max);
        }
        state.check().unwrap();
    }
    // Every top-up purchase ever written: no month over its cap, attempts a cooldown apart.
    let mut opened: BTreeMap<String, i64> = BTreeMap::new();
    for purchase in effects.purchases.iter().filter(|purchase| purchase.topup) {
        opened
            .entry(purchase.id.clone())
            .or_insert(purchase.created_at.as_micros());
    }
    let mut times: Vec<i64> = opened.values().copied().collect();
    times.sort_unstable();
    for pair in times.windows(2) {
        assert!(
            pair[1] - pair[0] >= cooldown * SECOND,
            "attempts inside the cooldown"
        );
    }
    let mut per_month: BTreeMap<i64, u32> = BTreeMap::new();
    for time in &times {
        *per_month
            .entry(month_start(Timestamp::from_micros(*time)).as_micros())
            .or_default() += 1;
    }
    assert!(per_month.values().all(|count| *count <= monthly_max));
}

/// A failed or expired top-up purchase counts a failure (the third in a row suspends); a
/// completion clears them; a cancel neither.
fn count_ends(model: &mut Model, written: &[tally_core::Purchase]) {
    for purchase in written.iter().filter(|purchase| purchase.topup) {
        match purchase.status {
            PurchaseStatus::Completed => model.failures = 0,
            PurchaseStatus::Failed | PurchaseStatus::Expired => {
                model.failures += 1;
                if model.failures >= TOPUP_FAILURES_MAX {
                    model.suspended = true;
                }
            }
            PurchaseStatus::Canceled | PurchaseStatus::Pending => {}
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn top_ups_keep_their_guard_rails(
        ops in prop::collection::vec(op(), 1..120),
        complete in any::<bool>(),
        monthly_max in 1u32..5,
        cooldown in prop_oneof![Just(0i64), 1i64..600, Just(3_600i64)],
    ) {
        run(&ops, complete, monthly_max, cooldown);
    }
}

#[test]
fn three_failures_in_a_row_suspend_until_set_again() {
    let ops = [
        Op::Charge(7),
        Op::Fail,
        Op::Advance(1),
        Op::Charge(1),
        Op::Fail,
        Op::Advance(1),
        Op::Charge(1),
        Op::Fail,
        Op::Advance(1),
        Op::Charge(1),
        Op::Set,
        Op::Charge(1),
    ];
    run(&ops, false, 10, 0);
}
