//! `subscriptions`: one row per account that ever subscribed, written again as its periods
//! renew and its seats or status change.

use tally_core::{Subscription, SubscriptionStatus};

use super::{Table, i64, micros, text};
use crate::row::{ColumnReader, ColumnWriter, Fields};
use crate::{StoreError, codec};

pub const TABLE: Table = Table {
    name: "subscriptions",
    groups: &[&[
        text("account_id"),
        text("plan_id"),
        text("plan_name"),
        i64("credits_per_seat"),
        i64("seats"),
        i64("next_period_seats"),
        text("status"),
        i64("anchor"),
        i64("period_index"),
        i64("current_period_start"),
        i64("current_period_end"),
        text("period_grant_ids"),
        i64("created_at"),
        i64("canceled_at"),
    ]],
    constants: &[],
    on_conflict: " ON CONFLICT (account_id) DO UPDATE SET plan_id = excluded.plan_id, \
                  plan_name = excluded.plan_name, credits_per_seat = excluded.credits_per_seat, \
                  seats = excluded.seats, next_period_seats = excluded.next_period_seats, \
                  status = excluded.status, anchor = excluded.anchor, \
                  period_index = excluded.period_index, \
                  current_period_start = excluded.current_period_start, \
                  current_period_end = excluded.current_period_end, \
                  period_grant_ids = excluded.period_grant_ids, \
                  canceled_at = excluded.canceled_at",
};

pub fn encode<W: ColumnWriter>(
    subscription: &Subscription,
    writer: &mut W,
) -> Result<(), W::Error> {
    writer.text(&subscription.account_id)?;
    writer.text(&subscription.plan_id)?;
    writer.text(&subscription.plan_name)?;
    writer.i64(subscription.credits_per_seat.get())?;
    writer.i64(i64::from(subscription.seats))?;
    writer.opt_i64(subscription.next_period_seats.map(i64::from))?;
    writer.text(subscription.status.as_str())?;
    writer.i64(micros(subscription.anchor))?;
    writer.i64(i64::from(subscription.period_index))?;
    writer.i64(micros(subscription.current_period_start))?;
    writer.i64(micros(subscription.current_period_end))?;
    writer.text(&codec::encode_ids(&subscription.period_grant_ids))?;
    writer.i64(micros(subscription.created_at))?;
    writer.opt_i64(subscription.canceled_at.map(micros))
}

pub fn decode(row: &dyn ColumnReader) -> Result<Subscription, StoreError> {
    let fields = Fields::new(row, TABLE.name, "account_id")?;
    let next_period_seats = fields.opt_i64("next_period_seats")?;
    Ok(Subscription {
        account_id: fields.key().to_string(),
        plan_id: fields.text("plan_id")?,
        plan_name: fields.text("plan_name")?,
        credits_per_seat: fields.millicredits("credits_per_seat")?,
        seats: fields.small("seats")?,
        next_period_seats: next_period_seats.and_then(|seats| u32::try_from(seats).ok()),
        status: fields.parsed("status", SubscriptionStatus::parse)?,
        anchor: fields.timestamp("anchor")?,
        period_index: fields.small("period_index")?,
        current_period_start: fields.timestamp("current_period_start")?,
        current_period_end: fields.timestamp("current_period_end")?,
        period_grant_ids: codec::decode_ids(&fields.text("period_grant_ids")?),
        created_at: fields.timestamp("created_at")?,
        canceled_at: fields.opt_timestamp("canceled_at")?,
    })
}
