//! Events as properties: random grants, charges (some refused for lack of credits), holds and
//! their voids on one account, against a small model of the balance alerts as the contract
//! states them. After every step: the events written are exactly those the model expects
//! (`grant.created` per grant; `balance.low` when a change lowers `available` below the
//! threshold, once until it is back at or above it; `balance.depleted` when a change lowers it
//! to zero or less, or a debit is refused for lack of credits, once until credits arrive), the
//! account's sequence counts them without gaps, and each carries `available` as it was right
//! after its cause. A refused debit changes nothing but the alert it may write.

use proptest::prelude::*;
use tally_core::events::{Event, EventKind};
use tally_core::{
    Account, AccountSettings, AccountState, Attribution, DebitSpec, Effects, GrantSource,
    GrantSpec, IdKind, IdSource, Millicredits, Rejection, Timestamp,
};

const START: i64 = 1_769_731_200 * 1_000_000;

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
    Grant(i64),
    Charge(i64),
    /// A hold, voided at once when `void` (the release gives the credits back).
    Hold {
        amount: i64,
        void: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (1i64..600).prop_map(Op::Grant),
        5 => (1i64..400).prop_map(Op::Charge),
        2 => (1i64..300, any::<bool>()).prop_map(|(amount, void)| Op::Hold { amount, void }),
    ]
}

/// What the contract says, in credits.
#[derive(Debug, Default)]
struct Model {
    available: i64,
    low_fired: bool,
    depleted_fired: bool,
}

/// The alert types a change from `before` to the model's `available` calls for, in order.
fn alerts_of_change(model: &mut Model, before: i64, threshold: Option<i64>) -> Vec<&'static str> {
    let mut expected = Vec::new();
    let now = model.available;
    match threshold {
        Some(threshold) if now < threshold => {
            if now < before && !model.low_fired {
                model.low_fired = true;
                expected.push("balance.low");
            }
        }
        _ => model.low_fired = false,
    }
    if now <= 0 {
        if now < before && !model.depleted_fired {
            model.depleted_fired = true;
            expected.push("balance.depleted");
        }
    } else if now > before {
        model.depleted_fired = false;
    }
    expected
}

fn debit(amount: i64) -> DebitSpec {
    DebitSpec {
        amount: Millicredits::from_credits(amount),
        attribution: Attribution::default(),
        description: None,
        metadata: None,
        extra: None,
    }
}

fn run(ops: &[Op], threshold: Option<i64>) {
    let account = Account {
        id: "acct".into(),
        name: None,
        overdraft_limit: Millicredits::ZERO,
        metadata: None,
        created_at: Timestamp::from_micros(START),
        settings: AccountSettings {
            low_balance_threshold: threshold.map(Millicredits::from_credits),
            ..AccountSettings::default()
        },
    };
    let mut state = AccountState::new(account);
    let mut ids = Ids::default();
    let mut effects = Effects::default();
    let mut model = Model::default();
    let mut written: Vec<Event> = Vec::new();
    for (step, op) in ops.iter().enumerate() {
        let at = Timestamp::from_micros(START + step as i64 * 1_000_000);
        let before = model.available;
        let mut expected: Vec<&'static str> = Vec::new();
        match op {
            Op::Grant(amount) => {
                let spec = GrantSpec {
                    amount: Millicredits::from_credits(*amount),
                    source: GrantSource::Promo,
                    priority: 0,
                    effective_at: None,
                    expires_at: None,
                    description: None,
                    metadata: None,
                };
                state
                    .create_grant(spec, at, &mut ids, &mut effects)
                    .unwrap();
                model.available += amount;
                expected.push("grant.created");
                state.watch_balance(at, &mut ids, &mut effects);
                expected.extend(alerts_of_change(&mut model, before, threshold));
            }
            Op::Charge(amount) => match state.charge(debit(*amount), at, &mut ids, &mut effects) {
                Ok(_) => {
                    assert!(model.available >= *amount, "step {step}: {op:?} succeeded");
                    model.available -= amount;
                    state.watch_balance(at, &mut ids, &mut effects);
                    expected.extend(alerts_of_change(&mut model, before, threshold));
                }
                Err(Rejection::InsufficientCredits { required, .. }) => {
                    assert!(model.available < *amount, "step {step}: {op:?} refused");
                    state.watch_refusal(required, at, &mut ids, &mut effects);
                    if !model.depleted_fired {
                        model.depleted_fired = true;
                        expected.push("balance.depleted");
                    }
                }
                Err(other) => panic!("step {step}: {op:?} refused with {other:?}"),
            },
            Op::Hold { amount, void } => {
                match state.hold(debit(*amount), 86_400, at, &mut ids, &mut effects) {
                    Ok(hold) => {
                        model.available -= amount;
                        state.watch_balance(at, &mut ids, &mut effects);
                        expected.extend(alerts_of_change(&mut model, before, threshold));
                        if *void {
                            let before = model.available;
                            state
                                .void_hold(&hold.id, at, &mut ids, &mut effects)
                                .unwrap();
                            model.available += amount;
                            state.watch_balance(at, &mut ids, &mut effects);
                            expected.extend(alerts_of_change(&mut model, before, threshold));
                        }
                    }
                    Err(Rejection::InsufficientCredits { .. }) => {
                        assert!(model.available < *amount);
                    }
                    Err(other) => panic!("step {step}: {op:?} refused with {other:?}"),
                }
            }
        }
        let new: Vec<Event> = effects.events.drain(..).collect();
        let types: Vec<&str> = new.iter().map(|event| event.kind.type_name()).collect();
        assert_eq!(
            types, expected,
            "step {step}: {op:?} from {before} to {}",
            model.available
        );
        assert_eq!(
            state.available(),
            Millicredits::from_credits(model.available)
        );
        // Each event carries `available` right after its cause (a voided hold's events
        // came before the void gave the credits back).
        let voided = matches!(op, Op::Hold { void: true, .. });
        if let Some(last) = new.last().filter(|_| !voided) {
            assert_eq!(last.available, state.available(), "step {step}");
        }
        for event in &new {
            if let EventKind::BalanceLow { threshold: fired } = &event.kind {
                assert_eq!(Some(*fired), threshold.map(Millicredits::from_credits));
            }
        }
        written.extend(new);
    }
    for (index, event) in written.iter().enumerate() {
        assert_eq!(event.sequence, index as i64 + 1);
        assert_eq!(event.account_id, "acct");
    }
    assert_eq!(state.event_sequence(), written.len() as i64);
    // The sequence and the alerts are what a restart starts from.
    assert_eq!(state.totals().event_sequence, state.event_sequence());
    assert_eq!(state.totals().alerts, state.alerts());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn balance_alerts_fire_once_per_crossing_and_the_sequence_has_no_gaps(
        ops in proptest::collection::vec(op(), 1..80),
        threshold in proptest::option::of(1i64..500),
    ) {
        run(&ops, threshold);
    }
}

#[test]
fn an_account_that_never_had_credits_is_not_depleted_until_a_debit_is_refused() {
    run(&[Op::Charge(5), Op::Charge(5)], Some(100));
}
