//! Spend limits in the core: named cases (a member limit refusing a debit with its reset
//! time, holds counting and releases giving back, refunds giving back, day windows across DST
//! changes, `limit.reached` once per window, account settings), and a property test against
//! a small model: every debit adds to the used of each matching limit in the window it is made
//! in, every release and refund takes back from the window the spending was counted in; at
//! every step `available`, `held` and each limit's used in the current window match the model,
//! and a refused debit changes none of them.

use std::collections::HashMap;

use jiff::tz::TimeZone;
use proptest::prelude::*;
use tally_core::events::EventKind;
use tally_core::{
    Account, AccountPatch, AccountSettings, AccountState, Attribution, CaptureAmount, DebitSpec,
    Effects, GrantSource, GrantSpec, IdKind, IdSource, LimitScope, LimitSpec, LimitStatus,
    LimitWindow, Millicredits, RefundOf, Rejection, Timestamp,
};

const SECOND: i64 = 1_000_000;

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

fn at(text: &str) -> Timestamp {
    let instant: jiff::Timestamp = text.parse().expect("an RFC 3339 instant");
    Timestamp::from_micros(instant.as_microsecond())
}

fn credits(amount: i64) -> Millicredits {
    Millicredits::from_credits(amount)
}

/// An account in `time_zone` with `grant` credits, at `start`.
fn account(time_zone: &str, grant: i64, start: Timestamp, ids: &mut Ids) -> AccountState {
    let mut state = AccountState::new(Account {
        id: "acct".into(),
        name: None,
        overdraft_limit: Millicredits::ZERO,
        metadata: None,
        created_at: start,
        settings: AccountSettings {
            time_zone: time_zone.into(),
            low_balance_threshold: None,
        },
    });
    let spec = GrantSpec {
        amount: credits(grant),
        source: GrantSource::Promo,
        priority: 0,
        effective_at: None,
        expires_at: None,
        description: None,
        metadata: None,
    };
    state
        .create_grant(spec, start, ids, &mut Effects::default())
        .expect("the grant");
    state
}

fn limit(scope: LimitScope, matches: &str, window: LimitWindow, max: i64) -> LimitSpec {
    LimitSpec {
        id: None,
        scope,
        matches: matches.into(),
        window,
        max: credits(max),
    }
}

fn debit(member: &str, product: &str, amount: i64) -> DebitSpec {
    DebitSpec {
        amount: credits(amount),
        attribution: Attribution {
            member: Some(member.into()),
            product: Some(product.into()),
            ..Attribution::default()
        },
        description: None,
        metadata: None,
        extra: None,
    }
}

fn used_of(statuses: &[LimitStatus], index: usize, value: &str) -> Millicredits {
    statuses[index]
        .values
        .iter()
        .find(|used| used.value == value)
        .map_or(Millicredits::ZERO, |used| used.used)
}

fn reached_events(effects: &Effects) -> Vec<(String, Option<Millicredits>)> {
    effects
        .events
        .iter()
        .filter_map(|event| match &event.kind {
            EventKind::LimitReached { value, refused, .. } => Some((value.clone(), *refused)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_member_limit_refuses_a_debit_with_its_reset_time() {
    let mut ids = Ids::default();
    let now = at("2026-06-10T15:00:00Z");
    let mut state = account("UTC", 1_000, now, &mut ids);
    let mut effects = Effects::default();
    state
        .set_limits(
            vec![limit(LimitScope::Member, "*", LimitWindow::Day, 100)],
            now,
            &mut ids,
            &mut effects,
        )
        .unwrap();
    state
        .charge(debit("ann", "chat", 60), now, &mut ids, &mut effects)
        .unwrap();
    // Another member has a limit of their own.
    state
        .charge(debit("bob", "chat", 90), now, &mut ids, &mut effects)
        .unwrap();
    let before = (state.available(), state.held());
    let refused = state
        .charge(debit("ann", "chat", 41), now, &mut ids, &mut effects)
        .unwrap_err();
    match &refused {
        Rejection::LimitExceeded {
            limit,
            value,
            used,
            remaining,
            resets_at,
        } => {
            assert_eq!(limit.window, LimitWindow::Day);
            assert_eq!(value, "ann");
            assert_eq!(*used, credits(60));
            assert_eq!(*remaining, credits(40));
            assert_eq!(*resets_at, Some(at("2026-06-11T00:00:00Z")));
        }
        other => panic!("expected limit_exceeded, got {other:?}"),
    }
    assert_eq!(refused.number(), 30);
    assert_eq!((state.available(), state.held()), before, "nothing changed");
    let statuses = state.limit_statuses(now);
    assert_eq!(used_of(&statuses, 0, "ann"), credits(60));
    // What fits still passes; the next day starts from zero.
    state
        .charge(debit("ann", "chat", 40), now, &mut ids, &mut effects)
        .unwrap();
    let tomorrow = at("2026-06-11T00:00:00Z");
    state
        .charge(debit("ann", "chat", 100), tomorrow, &mut ids, &mut effects)
        .unwrap();
    // A debit with no member is not a member limit's.
    let mut anonymous = debit("x", "chat", 500);
    anonymous.attribution.member = None;
    state
        .charge(anonymous, tomorrow, &mut ids, &mut effects)
        .unwrap();
}

#[test]
fn holds_count_when_made_and_what_they_release_comes_back() {
    let mut ids = Ids::default();
    let now = at("2026-06-10T10:00:00Z");
    let mut state = account("UTC", 1_000, now, &mut ids);
    let mut effects = Effects::default();
    state
        .set_limits(
            vec![limit(LimitScope::Member, "ann", LimitWindow::Total, 100)],
            now,
            &mut ids,
            &mut effects,
        )
        .unwrap();
    let hold = state
        .hold(debit("ann", "chat", 80), 600, now, &mut ids, &mut effects)
        .unwrap();
    assert_eq!(used_of(&state.limit_statuses(now), 0, "ann"), credits(80));
    let refused = state.charge(debit("ann", "chat", 21), now, &mut ids, &mut effects);
    assert!(matches!(refused, Err(Rejection::LimitExceeded { .. })));
    // An extension counts too; a refused one leaves the hold as it was.
    let refused = state.extend_hold(
        &hold.id,
        Some(credits(30)),
        None,
        now,
        &mut ids,
        &mut effects,
    );
    assert!(matches!(refused, Err(Rejection::LimitExceeded { .. })));
    assert_eq!(state.pending_hold(&hold.id).unwrap().amount, credits(80));
    state
        .extend_hold(
            &hold.id,
            Some(credits(10)),
            None,
            now,
            &mut ids,
            &mut effects,
        )
        .unwrap();
    assert_eq!(used_of(&state.limit_statuses(now), 0, "ann"), credits(90));
    // A capture in parts keeps the rest counted; the final capture releases the rest.
    state
        .capture_part(
            &hold.id,
            CaptureAmount::Exactly(credits(20)),
            None,
            false,
            now,
            &mut ids,
            &mut effects,
        )
        .unwrap();
    assert_eq!(used_of(&state.limit_statuses(now), 0, "ann"), credits(90));
    state
        .capture(
            &hold.id,
            Some(credits(30)),
            None,
            now,
            &mut ids,
            &mut effects,
        )
        .unwrap();
    // Captured 20 + 30 of 90: 40 released.
    assert_eq!(used_of(&state.limit_statuses(now), 0, "ann"), credits(50));
    // A void gives everything back; so does an expiry.
    let voided = state
        .hold(debit("ann", "chat", 50), 600, now, &mut ids, &mut effects)
        .unwrap();
    assert_eq!(used_of(&state.limit_statuses(now), 0, "ann"), credits(100));
    state
        .void_hold(&voided.id, now, &mut ids, &mut effects)
        .unwrap();
    assert_eq!(used_of(&state.limit_statuses(now), 0, "ann"), credits(50));
    state
        .hold(debit("ann", "chat", 50), 60, now, &mut ids, &mut effects)
        .unwrap();
    let later = now.plus_seconds(61);
    state.run_due(later, &mut ids, &mut effects);
    assert_eq!(used_of(&state.limit_statuses(later), 0, "ann"), credits(50));
}

#[test]
fn a_refund_gives_back_to_its_window() {
    let mut ids = Ids::default();
    let now = at("2026-06-10T10:00:00Z");
    let mut state = account("UTC", 1_000, now, &mut ids);
    let mut effects = Effects::default();
    state
        .set_limits(
            vec![
                limit(LimitScope::Product, "chat", LimitWindow::Day, 100),
                limit(LimitScope::Account, "*", LimitWindow::Month, 1_000),
            ],
            now,
            &mut ids,
            &mut effects,
        )
        .unwrap();
    let charge = state
        .charge(debit("ann", "chat", 100), now, &mut ids, &mut effects)
        .unwrap();
    assert!(matches!(
        state.charge(debit("ann", "chat", 1), now, &mut ids, &mut effects),
        Err(Rejection::LimitExceeded { .. })
    ));
    state
        .refund(
            RefundOf::Charge(charge.clone()),
            Some(credits(30)),
            None,
            Vec::new(),
            now,
            &mut ids,
            &mut effects,
        )
        .unwrap();
    let statuses = state.limit_statuses(now);
    assert_eq!(used_of(&statuses, 0, "chat"), credits(70));
    assert_eq!(used_of(&statuses, 1, "*"), credits(70));
    state
        .charge(debit("ann", "chat", 30), now, &mut ids, &mut effects)
        .unwrap();
    // A refund made the next day gives back to the month, not to the new day.
    let charge = effects.charges.last().unwrap().clone();
    let tomorrow = at("2026-06-11T10:00:00Z");
    state
        .charge(debit("ann", "chat", 10), tomorrow, &mut ids, &mut effects)
        .unwrap();
    state
        .refund(
            RefundOf::Charge(charge),
            None,
            None,
            Vec::new(),
            tomorrow,
            &mut ids,
            &mut effects,
        )
        .unwrap();
    let statuses = state.limit_statuses(tomorrow);
    assert_eq!(used_of(&statuses, 0, "chat"), credits(10));
    assert_eq!(used_of(&statuses, 1, "*"), credits(80));
}

/// The day around `instant` in `zone`, computed here with jiff: its start and the next's.
fn day_in(zone: &str, instant: Timestamp) -> (Timestamp, Timestamp) {
    let zone = TimeZone::get(zone).unwrap();
    let zoned = jiff::Timestamp::from_microsecond(instant.as_micros())
        .unwrap()
        .to_zoned_datetime(zone);
    let start = zoned.start_of_day().unwrap();
    let next = zoned.tomorrow().unwrap().start_of_day().unwrap();
    (
        Timestamp::from_micros(start.timestamp().as_microsecond()),
        Timestamp::from_micros(next.timestamp().as_microsecond()),
    )
}

fn resets_at(rejection: Rejection) -> Option<Timestamp> {
    match rejection {
        Rejection::LimitExceeded { resets_at, .. } => resets_at,
        other => panic!("expected limit_exceeded, got {other:?}"),
    }
}

#[test]
fn day_windows_follow_the_time_zone_across_dst_changes() {
    for (zone, instants) in [
        // Spring forward: 8 March 2026 is 23 hours long in New York.
        (
            "America/New_York",
            [
                "2026-03-08T04:30:00Z", // 7 March, 23:30 EST
                "2026-03-08T05:30:00Z", // 8 March, 00:30 EST
                "2026-03-09T03:59:00Z", // 8 March, 23:59 EDT
                "2026-03-09T04:00:00Z", // 9 March, 00:00 EDT
            ],
        ),
        // Fall back: 1 November 2026 is 25 hours long.
        (
            "America/New_York",
            [
                "2026-11-01T03:30:00Z", // 31 October, 23:30 EDT
                "2026-11-01T04:30:00Z", // 1 November, 00:30 EDT
                "2026-11-02T04:59:00Z", // 1 November, 23:59 EST
                "2026-11-02T05:00:00Z", // 2 November, 00:00 EST
            ],
        ),
        // No DST, a half-hour offset.
        (
            "Asia/Kolkata",
            [
                "2026-03-07T18:00:00Z", // 7 March, 23:30 IST
                "2026-03-07T18:30:00Z", // 8 March, 00:00 IST
                "2026-03-08T18:29:00Z", // 8 March, 23:59 IST
                "2026-03-08T18:30:00Z", // 9 March, 00:00 IST
            ],
        ),
    ] {
        let [before, start, last, next] = instants.map(at);
        let mut ids = Ids::default();
        let mut state = account(zone, 1_000, before, &mut ids);
        let mut effects = Effects::default();
        state
            .set_limits(
                vec![limit(LimitScope::Member, "*", LimitWindow::Day, 10)],
                before,
                &mut ids,
                &mut effects,
            )
            .unwrap();
        state
            .charge(debit("ann", "chat", 10), before, &mut ids, &mut effects)
            .unwrap();
        let refused = state
            .charge(debit("ann", "chat", 1), before, &mut ids, &mut effects)
            .unwrap_err();
        assert_eq!(resets_at(refused), Some(day_in(zone, before).1), "{zone}");
        let expected_start = match instants[0] {
            "2026-03-08T04:30:00Z" => at("2026-03-08T05:00:00Z"),
            "2026-11-01T03:30:00Z" => at("2026-11-01T04:00:00Z"),
            _ => at("2026-03-07T18:30:00Z"),
        };
        assert_eq!(day_in(zone, start).0, expected_start, "{zone}");
        assert_eq!(day_in(zone, before).1, expected_start, "{zone}");
        // The new day starts at local midnight, whatever the offset did.
        state
            .charge(debit("ann", "chat", 10), start, &mut ids, &mut effects)
            .unwrap();
        let refused = state
            .charge(debit("ann", "chat", 1), last, &mut ids, &mut effects)
            .unwrap_err();
        assert_eq!(
            resets_at(refused),
            Some(next),
            "{zone}: the day ends at the next midnight"
        );
        assert_eq!(day_in(zone, last), (day_in(zone, start).0, next), "{zone}");
        state
            .charge(debit("ann", "chat", 10), next, &mut ids, &mut effects)
            .unwrap();
        let length = (next.as_micros() - day_in(zone, start).0.as_micros()) / SECOND / 3_600;
        let expected = match instants[0] {
            "2026-03-08T04:30:00Z" => 23,
            "2026-11-01T03:30:00Z" => 25,
            _ => 24,
        };
        assert_eq!(length, expected, "{zone}: the day's length in hours");
    }
}

#[test]
fn limit_reached_fires_once_per_limit_per_window() {
    let mut ids = Ids::default();
    let now = at("2026-06-10T10:00:00Z");
    let mut state = account("UTC", 1_000, now, &mut ids);
    let mut effects = Effects::default();
    state
        .set_limits(
            vec![limit(LimitScope::Member, "*", LimitWindow::Day, 10)],
            now,
            &mut ids,
            &mut effects,
        )
        .unwrap();
    state
        .charge(debit("ann", "chat", 10), now, &mut ids, &mut effects)
        .unwrap();
    assert_eq!(reached_events(&effects), vec![("ann".to_string(), None)]);
    let _ = state.charge(debit("ann", "chat", 1), now, &mut ids, &mut effects);
    assert_eq!(
        reached_events(&effects).len(),
        1,
        "not again in the same window"
    );
    // Another member's refusal is their own event.
    let _ = state.charge(debit("bob", "chat", 11), now, &mut ids, &mut effects);
    assert_eq!(
        reached_events(&effects)[1],
        ("bob".to_string(), Some(credits(11)))
    );
    // The next day, once more.
    let tomorrow = at("2026-06-11T00:00:00Z");
    let _ = state.charge(debit("ann", "chat", 11), tomorrow, &mut ids, &mut effects);
    let _ = state.charge(debit("ann", "chat", 11), tomorrow, &mut ids, &mut effects);
    assert_eq!(reached_events(&effects).len(), 3);
    let event = effects.events.last().unwrap();
    assert_eq!(event.kind.type_name(), "limit.reached");
    match &event.kind {
        EventKind::LimitReached {
            max,
            used,
            resets_at,
            window,
            scope,
            ..
        } => {
            assert_eq!((*max, *used), (credits(10), Millicredits::ZERO));
            assert_eq!(*resets_at, Some(at("2026-06-12T00:00:00Z")));
            assert_eq!((window.as_str(), scope.as_str()), ("day", "member"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_put_keeps_what_an_unchanged_limit_counted_and_restarts_the_rest() {
    let mut ids = Ids::default();
    let now = at("2026-06-10T10:00:00Z");
    let mut state = account("UTC", 1_000, now, &mut ids);
    let mut effects = Effects::default();
    let mut kept = limit(LimitScope::Member, "*", LimitWindow::Day, 100);
    kept.id = Some("daily".into());
    let mut changed = limit(LimitScope::Product, "chat", LimitWindow::Day, 100);
    changed.id = Some("chat".into());
    state
        .set_limits(
            vec![kept.clone(), changed.clone()],
            now,
            &mut ids,
            &mut effects,
        )
        .unwrap();
    state
        .charge(debit("ann", "chat", 30), now, &mut ids, &mut effects)
        .unwrap();
    kept.max = credits(50);
    changed.window = LimitWindow::Month;
    let statuses = state
        .set_limits(vec![kept, changed], now, &mut ids, &mut effects)
        .unwrap();
    assert_eq!(used_of(&statuses, 0, "ann"), credits(30));
    assert_eq!(statuses[0].remaining, credits(20));
    assert_eq!(used_of(&statuses, 1, "chat"), Millicredits::ZERO);
    // Bad sets are refused whole.
    let mut negative = limit(LimitScope::Member, "*", LimitWindow::Day, 1);
    negative.max = Millicredits::new(-1);
    let refused = state.set_limits(vec![negative], now, &mut ids, &mut effects);
    assert!(matches!(
        refused,
        Err(Rejection::LimitInvalid { position: 0, .. })
    ));
    let refused = state.set_limits(
        vec![limit(LimitScope::Account, "ann", LimitWindow::Day, 1)],
        now,
        &mut ids,
        &mut effects,
    );
    assert!(matches!(refused, Err(Rejection::LimitInvalid { .. })));
    assert_eq!(state.limit_statuses(now).len(), 2);
    // An empty set removes them all.
    state
        .set_limits(Vec::new(), now, &mut ids, &mut effects)
        .unwrap();
    assert!(state.limit_book().is_none());
    state
        .charge(debit("ann", "chat", 500), now, &mut ids, &mut effects)
        .unwrap();
}

#[test]
fn account_settings_change_and_refuse_what_does_not_fit() {
    let mut ids = Ids::default();
    let now = at("2026-06-10T10:00:00Z");
    let mut state = account("UTC", 10, now, &mut ids);
    let mut effects = Effects::default();
    let patch = AccountPatch {
        overdraft_limit: Some(credits(50)),
        ..AccountPatch::default()
    };
    state
        .update_account(patch, now, &mut ids, &mut effects)
        .unwrap();
    state
        .charge(debit("ann", "chat", 40), now, &mut ids, &mut effects)
        .unwrap();
    // The account owes 30: an overdraft limit below it is refused, at it is fine.
    let refused = state.update_account(
        AccountPatch {
            overdraft_limit: Some(credits(29)),
            ..AccountPatch::default()
        },
        now,
        &mut ids,
        &mut effects,
    );
    assert_eq!(
        refused,
        Err(Rejection::OverdraftBelowDebt {
            overdraft_limit_min: credits(30)
        })
    );
    assert_eq!(state.account.overdraft_limit, credits(50));
    let refused = state.update_account(
        AccountPatch {
            time_zone: Some("Mars/Olympus_Mons".into()),
            name: Some(Some("changed".into())),
            ..AccountPatch::default()
        },
        now,
        &mut ids,
        &mut effects,
    );
    assert_eq!(refused, Err(Rejection::TimeZoneUnknown));
    assert_eq!(state.account.name, None, "a refused patch changes nothing");
    let account = state
        .update_account(
            AccountPatch {
                name: Some(Some("Acme".into())),
                overdraft_limit: Some(credits(30)),
                metadata: Some(Some("{\"a\":1}".into())),
                time_zone: Some("Europe/Paris".into()),
                low_balance_threshold: Some(Some(credits(5))),
            },
            now,
            &mut ids,
            &mut effects,
        )
        .unwrap();
    assert_eq!(account.name.as_deref(), Some("Acme"));
    assert_eq!(account.settings.time_zone, "Europe/Paris");
    assert_eq!(account.settings.low_balance_threshold, Some(credits(5)));
    assert_eq!(effects.accounts.last(), Some(&account));
    let cleared = state
        .update_account(
            AccountPatch {
                name: Some(None),
                metadata: Some(None),
                low_balance_threshold: Some(None),
                ..AccountPatch::default()
            },
            now,
            &mut ids,
            &mut effects,
        )
        .unwrap();
    assert_eq!(
        (
            cleared.name,
            cleared.metadata,
            cleared.settings.low_balance_threshold
        ),
        (None, None, None)
    );
    assert_eq!(cleared.settings.time_zone, "Europe/Paris");
}

// ---- the property test ----

const ZONE: &str = "America/New_York";
const MEMBERS: [&str; 2] = ["ann", "bob"];
const PRODUCTS: [&str; 2] = ["chat", "image"];
const HOLD_TTL_SECONDS: i64 = 2 * 86_400;

/// The limits of the model, in order.
fn model_limits() -> Vec<LimitSpec> {
    vec![
        limit(LimitScope::Member, "*", LimitWindow::Day, 40),
        limit(LimitScope::Member, "ann", LimitWindow::Total, 150),
        limit(LimitScope::Product, "chat", LimitWindow::Month, 120),
        limit(LimitScope::Account, "*", LimitWindow::Day, 70),
    ]
}

#[derive(Clone, Debug)]
enum Op {
    Charge(usize, usize, i64),
    Hold(usize, usize, i64),
    Capture(usize, i64, bool),
    Void(usize),
    Extend(usize, i64),
    RefundCharge(usize, i64),
    Advance(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..2usize, 0..2usize, 1i64..30).prop_map(|(m, p, a)| Op::Charge(m, p, a)),
        3 => (0..2usize, 0..2usize, 1i64..30).prop_map(|(m, p, a)| Op::Hold(m, p, a)),
        2 => (0..8usize, 0i64..30, any::<bool>()).prop_map(|(h, a, f)| Op::Capture(h, a, f)),
        1 => (0..8usize).prop_map(Op::Void),
        1 => (0..8usize, 1i64..20).prop_map(|(h, a)| Op::Extend(h, a)),
        2 => (0..8usize, 1i64..30).prop_map(|(c, a)| Op::RefundCharge(c, a)),
        2 => prop_oneof![0i64..3_600, 3_600i64..30_000, 80_000i64..200_000].prop_map(Op::Advance),
    ]
}

#[derive(Clone, Debug)]
struct ModelHold {
    id: String,
    member: usize,
    product: usize,
    amount: i64,
    captured: i64,
    created_at: Timestamp,
    expires_at: Timestamp,
    pending: bool,
}

#[derive(Default)]
struct Model {
    available: i64,
    held: i64,
    /// (limit, value, window start) → used, in credits.
    used: HashMap<(usize, String, Timestamp), i64>,
    holds: Vec<ModelHold>,
    /// (charge, member, product, amount, refunded, made at).
    charges: Vec<(tally_core::Charge, usize, usize, i64, i64)>,
}

/// The start of the window of limit `index` around `instant`, computed here with jiff.
fn window_start(index: usize, instant: Timestamp) -> Timestamp {
    let zone = TimeZone::get(ZONE).unwrap();
    let zoned = jiff::Timestamp::from_microsecond(instant.as_micros())
        .unwrap()
        .to_zoned_datetime(zone);
    let start = match model_limits()[index].window {
        LimitWindow::Day => zoned.start_of_day().unwrap(),
        LimitWindow::Month => zoned.first_of_month().unwrap().start_of_day().unwrap(),
        _ => return Timestamp::MIN,
    };
    Timestamp::from_micros(start.timestamp().as_microsecond())
}

/// The value each model limit counts a debit by `member` on `product` on.
fn values(member: usize, product: usize) -> Vec<(usize, String)> {
    let mut matched = vec![(0, MEMBERS[member].to_string())];
    if member == 0 {
        matched.push((1, "ann".to_string()));
    }
    if product == 0 {
        matched.push((2, "chat".to_string()));
    }
    matched.push((3, "*".to_string()));
    matched
}

impl Model {
    fn used_now(&self, index: usize, value: &str, now: Timestamp) -> i64 {
        self.used
            .get(&(index, value.to_string(), window_start(index, now)))
            .copied()
            .unwrap_or(0)
    }

    /// Whether a debit fits: the balance first, then every limit.
    fn fits(
        &self,
        member: usize,
        product: usize,
        amount: i64,
        now: Timestamp,
    ) -> Result<(), &'static str> {
        if self.available < amount {
            return Err("insufficient");
        }
        let limits = model_limits();
        for (index, value) in values(member, product) {
            if self.used_now(index, &value, now) + amount > limits[index].max.get() / 1_000 {
                return Err("limit");
            }
        }
        Ok(())
    }

    fn count(&mut self, member: usize, product: usize, amount: i64, now: Timestamp) {
        for (index, value) in values(member, product) {
            *self
                .used
                .entry((index, value, window_start(index, now)))
                .or_default() += amount;
        }
    }

    fn give_back(&mut self, member: usize, product: usize, amount: i64, spent_at: Timestamp) {
        for (index, value) in values(member, product) {
            let used = self
                .used
                .entry((index, value, window_start(index, spent_at)))
                .or_default();
            *used -= amount.min(*used);
        }
    }

    /// Expires the holds due by `now`.
    fn expire(&mut self, now: Timestamp) {
        let due: Vec<usize> = (0..self.holds.len())
            .filter(|&i| self.holds[i].pending && self.holds[i].expires_at <= now)
            .collect();
        for i in due {
            let hold = self.holds[i].clone();
            let rest = hold.amount - hold.captured;
            self.held -= rest;
            self.available += rest;
            self.give_back(hold.member, hold.product, rest, hold.created_at);
            self.holds[i].pending = false;
        }
    }
}

fn check(state: &AccountState, model: &Model, now: Timestamp) -> Result<(), TestCaseError> {
    prop_assert_eq!(state.available(), credits(model.available));
    prop_assert_eq!(state.held(), credits(model.held));
    let statuses = state.limit_statuses(now);
    for (index, value) in [(0, "ann"), (0, "bob"), (1, "ann"), (2, "chat"), (3, "*")] {
        prop_assert_eq!(
            used_of(&statuses, index, value),
            credits(model.used_now(index, value, now)),
            "limit {} value {}",
            index,
            value
        );
    }
    prop_assert_eq!(state.check(), Ok(()));
    Ok(())
}

fn outcome<T>(result: Result<T, Rejection>) -> Result<Option<T>, &'static str> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(Rejection::InsufficientCredits { .. }) => Err("insufficient"),
        Err(Rejection::LimitExceeded { .. }) => Err("limit"),
        Err(_) => Ok(None),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn limits_match_the_model(ops in prop::collection::vec(op(), 1..60)) {
        let mut ids = Ids::default();
        // Just before the spring-forward day in New York.
        let mut now = at("2026-03-07T20:00:00Z");
        let mut state = account(ZONE, 600, now, &mut ids);
        let mut effects = Effects::default();
        state.set_limits(model_limits(), now, &mut ids, &mut effects).unwrap();
        let mut model = Model { available: 600, ..Model::default() };
        for op in ops {
            match op {
                Op::Advance(seconds) => {
                    now = now.plus_seconds(seconds);
                    state.run_due(now, &mut ids, &mut effects);
                    model.expire(now);
                }
                Op::Charge(member, product, amount) => {
                    model.expire(now);
                    let expected = model.fits(member, product, amount, now);
                    let spec = debit(MEMBERS[member], PRODUCTS[product], amount);
                    let got = outcome(state.charge(spec, now, &mut ids, &mut effects));
                    match (expected, got) {
                        (Ok(()), Ok(Some(charge))) => {
                            model.available -= amount;
                            model.count(member, product, amount, now);
                            model.charges.push((charge, member, product, amount, 0));
                        }
                        (Err(want), Err(got)) => prop_assert_eq!(want, got),
                        (want, got) => prop_assert!(false, "charge: model {:?}, core {:?}", want, got.map(|_| ())),
                    }
                }
                Op::Hold(member, product, amount) => {
                    model.expire(now);
                    let expected = model.fits(member, product, amount, now);
                    let spec = debit(MEMBERS[member], PRODUCTS[product], amount);
                    let got = outcome(state.hold(spec, HOLD_TTL_SECONDS, now, &mut ids, &mut effects));
                    match (expected, got) {
                        (Ok(()), Ok(Some(hold))) => {
                            model.available -= amount;
                            model.held += amount;
                            model.count(member, product, amount, now);
                            model.holds.push(ModelHold {
                                id: hold.id,
                                member,
                                product,
                                amount,
                                captured: 0,
                                created_at: now,
                                expires_at: now.plus_seconds(HOLD_TTL_SECONDS),
                                pending: true,
                            });
                        }
                        (Err(want), Err(got)) => prop_assert_eq!(want, got),
                        (want, got) => prop_assert!(false, "hold: model {:?}, core {:?}", want, got.map(|_| ())),
                    }
                }
                Op::Capture(index, amount, settle) => {
                    model.expire(now);
                    let Some(hold) = model.holds.get(index).cloned() else { continue };
                    let rest = hold.amount - hold.captured;
                    let take = amount.min(rest);
                    let result = state.capture_part(
                        &hold.id,
                        CaptureAmount::Exactly(credits(take)),
                        None,
                        settle,
                        now,
                        &mut ids,
                        &mut effects,
                    );
                    let fine = hold.pending && (settle || take > 0);
                    prop_assert_eq!(result.is_ok(), fine, "capture {:?}", result);
                    if fine {
                        model.available += 0;
                        model.held -= take;
                        model.holds[index].captured += take;
                        if settle {
                            let released = rest - take;
                            model.held -= released;
                            model.available += released;
                            model.give_back(hold.member, hold.product, released, hold.created_at);
                            model.holds[index].pending = false;
                        }
                    }
                }
                Op::Void(index) => {
                    model.expire(now);
                    let Some(hold) = model.holds.get(index).cloned() else { continue };
                    let result = state.void_hold(&hold.id, now, &mut ids, &mut effects);
                    prop_assert_eq!(result.is_ok(), hold.pending);
                    if hold.pending {
                        let rest = hold.amount - hold.captured;
                        model.held -= rest;
                        model.available += rest;
                        model.give_back(hold.member, hold.product, rest, hold.created_at);
                        model.holds[index].pending = false;
                    }
                }
                Op::Extend(index, amount) => {
                    model.expire(now);
                    let Some(hold) = model.holds.get(index).cloned() else { continue };
                    let result = state.extend_hold(&hold.id, Some(credits(amount)), None, now, &mut ids, &mut effects);
                    if !hold.pending {
                        prop_assert!(result.is_err());
                        continue;
                    }
                    let expected = model.fits(hold.member, hold.product, amount, now);
                    match (expected, outcome(result)) {
                        (Ok(()), Ok(Some(_))) => {
                            model.available -= amount;
                            model.held += amount;
                            model.holds[index].amount += amount;
                            model.count(hold.member, hold.product, amount, now);
                        }
                        (Err(want), Err(got)) => prop_assert_eq!(want, got),
                        (want, got) => prop_assert!(false, "extend: model {:?}, core {:?}", want, got.map(|_| ())),
                    }
                }
                Op::RefundCharge(index, amount) => {
                    model.expire(now);
                    let Some((charge, member, product, charged, refunded)) = model.charges.get(index).cloned() else { continue };
                    let latest = effects
                        .charges
                        .iter()
                        .rev()
                        .find(|c| c.id == charge.id)
                        .cloned()
                        .unwrap_or(charge);
                    let amount = amount.min(charged - refunded);
                    let result = state.refund(
                        RefundOf::Charge(latest),
                        Some(credits(amount)),
                        None,
                        Vec::new(),
                        now,
                        &mut ids,
                        &mut effects,
                    );
                    prop_assert_eq!(result.is_ok(), amount > 0, "refund {:?}", result);
                    if amount > 0 {
                        model.available += amount;
                        model.give_back(member, product, amount, model.charges[index].0.created_at);
                        model.charges[index].4 += amount;
                    }
                }
            }
            check(&state, &model, now)?;
        }
    }
}
