//! `usage_daily`: what each account spent per day and attribution, added to by every batch
//! with charges or captures (an upsert that adds). Missing attributes are empty strings, so
//! every group has one row.

use tally_core::usage::{UsageDelta, UsageKey};

use super::{Table, i64, text};
use crate::row::ColumnWriter;

pub const TABLE: Table = Table {
    name: "usage_daily",
    groups: &[&[
        text("account_id"),
        i64("day"),
        text("product"),
        text("model"),
        text("member"),
        text("action"),
        i64("credits"),
        i64("count"),
    ]],
    constants: &[],
    on_conflict: " ON CONFLICT (account_id, day, product, model, member, action) DO UPDATE SET \
                  credits = usage_daily.credits + excluded.credits, \
                  count = usage_daily.count + excluded.count",
};

pub fn encode<W: ColumnWriter>(
    key: &UsageKey,
    delta: &UsageDelta,
    writer: &mut W,
) -> Result<(), W::Error> {
    writer.text(&key.account_id)?;
    writer.i64(key.day)?;
    writer.text(&key.product)?;
    writer.text(&key.model)?;
    writer.text(&key.member)?;
    writer.text(&key.action)?;
    writer.i64(delta.credits.get())?;
    writer.i64(delta.count)
}
