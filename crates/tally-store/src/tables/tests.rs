//! Every table's columns, encoder and decoder agree: a record written under the table's column
//! names (each value of the column's type) reads back as the same record, and a value that does
//! not read back names the table, the row and the column.

use tally_core::usage::{UsageDelta, UsageKey};
use tally_core::{
    Account, Attribution, Charge, Entry, EntryKind, Grant, GrantLifecycle, GrantSource, Hold,
    HoldStatus, Line, Millicredits, Posting, Reservation, Subscription, SubscriptionStatus,
    Timestamp,
};

use super::test_row::{Stored, TestRow};
use super::*;
use crate::{ApiKeyRecord, IdempotencyRecord, RateCardRecord, StoreError};

fn at(micros: i64) -> Timestamp {
    Timestamp::from_micros(micros)
}

fn credits(value: i64) -> Millicredits {
    Millicredits::new(value)
}

/// The row `encode` writes, checked complete.
fn written(table: &Table, encode: impl FnOnce(&mut TestRow) -> Result<(), String>) -> TestRow {
    let mut row = TestRow::new(table);
    encode(&mut row).expect("every value has a column of its type");
    assert!(
        row.is_complete(),
        "{}: a column is left unwritten",
        table.name
    );
    row
}

fn attribution() -> Attribution {
    Attribution {
        product: Some("chat".into()),
        member: None,
        model: Some("m-1".into()),
        action: Some("reply".into()),
        rate_card_version: Some(3),
        quote_id: None,
        key_id: None,
    }
}

/// Holds and charges also keep the account key that made them (entries do not).
fn keyed_attribution() -> Attribution {
    Attribution {
        key_id: Some("key_1".into()),
        ..attribution()
    }
}

#[test]
fn accounts_round_trip_from_zero_totals() {
    let account = Account {
        id: "acme".into(),
        name: Some("Acme".into()),
        overdraft_limit: credits(500),
        metadata: None,
        created_at: at(11),
        settings: Default::default(),
    };
    let mut row = written(&accounts::TABLE, |row| accounts::encode(&account, row));
    for (column, value) in accounts::TABLE.constants {
        row.set(column, Stored::I64(Some(value.parse().unwrap())));
    }
    // What the schema's defaults give a new row.
    row.set("event_sequence", Stored::I64(Some(0)));
    row.set("alerts", Stored::I64(Some(0)));
    let read = accounts::decode(&row).unwrap();
    assert_eq!(read.account, account);
    assert_eq!(read.totals, tally_core::AccountTotals::default());
}

#[test]
fn grants_round_trip() {
    let grant = Grant {
        id: "grant_1".into(),
        account_id: "acme".into(),
        amount: credits(1_000),
        remaining: credits(700),
        reserved: credits(50),
        source: GrantSource::Pack,
        priority: 4,
        effective_at: at(20),
        expires_at: Some(at(30)),
        lifecycle: GrantLifecycle::Active,
        ordinal: 9,
        created_at: at(19),
        description: Some("pack".into()),
        metadata: None,
        expiry_warned: false,
    };
    let row = written(&grants::TABLE, |row| grants::encode(&grant, row));
    assert_eq!(grants::decode(&row).unwrap(), grant);
}

#[test]
fn holds_round_trip() {
    let hold = Hold {
        id: "hold_1".into(),
        account_id: "acme".into(),
        status: HoldStatus::Pending,
        amount: credits(300),
        captured: credits(100),
        released: credits(20),
        expires_at: at(90),
        created_at: at(80),
        resolved_at: None,
        attribution: keyed_attribution(),
        description: None,
        metadata: Some("{}".into()),
        reservations: vec![
            Reservation {
                line: Line::Grant("grant_1".into()),
                amount: credits(150),
            },
            Reservation {
                line: Line::Overdraft,
                amount: credits(30),
            },
        ],
        extra: Some("x".into()),
        captured_from: vec![Reservation {
            line: Line::Grant("grant_1".into()),
            amount: credits(100),
        }],
        captured_at: Some(at(85)),
        refunded: credits(40),
    };
    let row = written(&holds::TABLE, |row| holds::encode(&hold, row));
    assert_eq!(holds::decode(&row).unwrap(), hold);
}

#[test]
fn charges_round_trip() {
    let charge = Charge {
        id: "charge_1".into(),
        account_id: "acme".into(),
        amount: credits(70),
        drawn: vec![("grant_1".into(), credits(60))],
        overdraft: credits(10),
        available_after: credits(-10),
        attribution: keyed_attribution(),
        description: Some("a reply".into()),
        metadata: None,
        created_at: at(81),
        extra: None,
        refunded: credits(5),
    };
    let row = written(&charges::TABLE, |row| charges::encode(&charge, row));
    assert_eq!(charges::decode(&row).unwrap(), charge);
}

#[test]
fn refunds_round_trip() {
    let refund = tally_core::Refund {
        id: "ref_1".into(),
        account_id: "acme".into(),
        charge_id: Some("charge_1".into()),
        hold_id: None,
        amount: credits(70),
        restored: vec![("grant_1".into(), credits(60))],
        expired: credits(10),
        reason: Some("the reply failed".into()),
        created_at: at(90),
        attribution: attribution(),
        spent_at: at(81),
    };
    let row = written(&refunds::TABLE, |row| refunds::encode(&refund, row));
    assert_eq!(refunds::decode(&row).unwrap(), refund);
}

#[test]
fn entries_round_trip() {
    let entry = Entry {
        id: "entry_1".into(),
        account_id: "acme".into(),
        kind: EntryKind::Charge,
        amount: credits(-70),
        held: credits(0),
        grant_id: None,
        hold_id: None,
        charge_id: Some("charge_1".into()),
        attribution: attribution(),
        description: None,
        created_at: at(81),
        postings: vec![Posting {
            line: Line::Grant("grant_1".into()),
            remaining_delta: credits(-70),
            reserved_delta: credits(0),
        }],
    };
    let row = written(&entries::TABLE, |row| entries::encode(&entry, row));
    assert_eq!(entries::decode(&row).unwrap(), entry);
}

#[test]
fn subscriptions_round_trip() {
    let subscription = Subscription {
        account_id: "acme".into(),
        plan_id: "team".into(),
        plan_name: "Team".into(),
        credits_per_seat: credits(10_000),
        seats: 3,
        next_period_seats: Some(5),
        status: SubscriptionStatus::Active,
        anchor: at(5),
        period_index: 2,
        current_period_start: at(6),
        current_period_end: at(7),
        period_grant_ids: vec!["grant_1".into(), "grant_2".into()],
        created_at: at(4),
        canceled_at: None,
    };
    let row = written(&subscriptions::TABLE, |row| {
        subscriptions::encode(&subscription, row)
    });
    assert_eq!(subscriptions::decode(&row).unwrap(), subscription);
}

#[test]
fn purchases_idempotency_and_rate_cards_round_trip() {
    let completed = tally_core::Purchase {
        id: "purchase_1".into(),
        account_id: "acme".into(),
        pack_id: "small".into(),
        pack_name: "Small".into(),
        credits: credits(5_000),
        price_usd: "5.00".into(),
        grant_expires_after_days: Some(365),
        status: tally_core::PurchaseStatus::Completed,
        grant_id: Some("grant_1".into()),
        payment_reference: Some("cs_test_1".into()),
        checkout_url: Some("https://platform.example/checkout?purchase=purchase_1".into()),
        topup: true,
        created_at: at(3),
        expires_at: at(9),
        resolved_at: Some(at(4)),
    };
    let pending = tally_core::Purchase {
        id: "purchase_2".into(),
        grant_expires_after_days: None,
        status: tally_core::PurchaseStatus::Pending,
        grant_id: None,
        payment_reference: None,
        checkout_url: None,
        resolved_at: None,
        ..completed.clone()
    };
    for purchase in [completed, pending] {
        let row = written(&purchases::TABLE, |row| purchases::encode(&purchase, row));
        assert_eq!(purchases::decode(&row).unwrap(), purchase);
    }
    let record = IdempotencyRecord {
        scope: "account:acme".into(),
        key: "k-1".into(),
        request_hash: "h".into(),
        status: 201,
        body: "{}".into(),
        created_at: at(2),
    };
    let row = written(&idempotency::TABLE, |row| idempotency::encode(&record, row));
    assert_eq!(idempotency::decode(&row).unwrap(), record);
    let card = RateCardRecord {
        version: 2,
        effective_at: at(8),
        document: "{\"models\":[]}".into(),
        created_at: at(7),
    };
    let row = written(&rate_cards::TABLE, |row| rate_cards::encode(&card, row));
    assert_eq!(rate_cards::decode(&row).unwrap(), card);
}

#[test]
fn a_new_api_key_is_written_unused_and_unrevoked() {
    let key = ApiKeyRecord {
        id: "key_1".into(),
        account_id: None,
        key_hash: "hash".into(),
        created_at: at(1),
        last_used_at: None,
        revoked_at: None,
    };
    let mut row = written(&api_keys::TABLE, |row| api_keys::encode(&key, row));
    row.set("last_used_at", Stored::I64(None))
        .set("revoked_at", Stored::I64(None));
    assert_eq!(api_keys::decode(&row).unwrap(), key);
}

#[test]
fn usage_rows_are_written_in_column_order() {
    let key = UsageKey {
        account_id: "acme".into(),
        day: 19_000,
        product: "chat".into(),
        model: String::new(),
        member: "ann".into(),
        action: "reply".into(),
    };
    let delta = UsageDelta {
        credits: credits(12),
        count: 2,
    };
    let row = written(&usage_daily::TABLE, |row| {
        usage_daily::encode(&key, &delta, row)
    });
    assert_eq!(row.values["day"], Stored::I64(Some(19_000)));
    assert_eq!(row.values["member"], Stored::Text(Some("ann".into())));
    assert_eq!(row.values["count"], Stored::I64(Some(2)));
}

#[test]
fn a_value_that_does_not_read_back_names_the_table_the_row_and_the_column() {
    let grant = Grant {
        id: "grant_9".into(),
        account_id: "acme".into(),
        amount: credits(1),
        remaining: credits(1),
        reserved: credits(0),
        source: GrantSource::Promo,
        priority: 0,
        effective_at: at(0),
        expires_at: None,
        lifecycle: GrantLifecycle::Active,
        ordinal: 1,
        created_at: at(0),
        description: None,
        metadata: None,
        expiry_warned: false,
    };
    let mut row = written(&grants::TABLE, |row| grants::encode(&grant, row));
    row.set("lifecycle", Stored::Text(Some("lost".into())));
    match grants::decode(&row) {
        Err(StoreError::Corrupt(detail)) => assert_eq!(
            detail,
            "grants \"grant_9\": column lifecycle: unexpected value \"lost\""
        ),
        other => panic!("a corrupt lifecycle is Corrupt, not {other:?}"),
    }
    row.set("lifecycle", Stored::Text(Some("active".into())))
        .set("amount", Stored::I64(None));
    match grants::decode(&row) {
        Err(StoreError::Corrupt(detail)) => {
            assert!(
                detail.starts_with("grants \"grant_9\": column amount: "),
                "{detail}"
            );
        }
        other => panic!("a NULL amount is Corrupt, not {other:?}"),
    }
}

#[test]
fn limits_and_their_counters_round_trip() {
    use super::limits;
    use tally_core::{Limit, LimitCounter, LimitScope, LimitSet, LimitWindow};
    let set = LimitSet {
        account_id: "acme".into(),
        limits: vec![
            Limit {
                id: "lim_1".into(),
                scope: LimitScope::Member,
                matches: "*".into(),
                window: LimitWindow::Day,
                max: credits(100),
            },
            Limit {
                id: "daily-key".into(),
                scope: LimitScope::Key,
                matches: "key_1".into(),
                window: LimitWindow::Period,
                max: credits(0),
            },
        ],
        updated_at: at(7),
    };
    let row = written(&limits::SETS, |row| limits::encode_set(&set, row));
    assert_eq!(row.values["size"], Stored::I64(Some(2)));
    let rows: Vec<_> = limits::rows_of(&set)
        .iter()
        .map(|limit| {
            let mut row = written(&limits::LIMITS, |row| limits::encode_limit(limit, row));
            // What the join of `limits::CURRENT` adds.
            row.set("set_updated_at", Stored::I64(Some(7)));
            limits::decode_limit(&row).unwrap()
        })
        .rev()
        .collect();
    assert_eq!(limits::sets_of(rows), vec![set]);
    let counter = LimitCounter {
        account_id: "acme".into(),
        limit_id: "lim_1".into(),
        value: "ann".into(),
        window_start: at(3),
        used: credits(40),
        reached: true,
    };
    let row = written(&limits::COUNTERS, |row| {
        limits::encode_counter(&counter, row)
    });
    assert_eq!(limits::decode_counter(&row).unwrap(), counter);
}
