//! `usage_buckets`: what each account spent per hour and per minute (`width`, in µs) and
//! attribution, added to by every batch with charges, captures or refunds, like `usage_daily`.
//! A usage range's partial days are read from these, so only the partial minutes at its two
//! ends are read from the entries.

use tally_core::usage::{BucketKey, UsageDelta};

use super::{Table, i64, text};
use crate::row::ColumnWriter;

pub const TABLE: Table = Table {
    name: "usage_buckets",
    groups: &[&[
        text("account_id"),
        i64("width"),
        i64("start"),
        text("product"),
        text("model"),
        text("member"),
        text("action"),
        i64("credits"),
        i64("count"),
    ]],
    constants: &[],
    on_conflict: " ON CONFLICT (account_id, width, start, product, model, member, action) DO \
                  UPDATE SET credits = usage_buckets.credits + excluded.credits, \
                  count = usage_buckets.count + excluded.count",
};

pub fn encode<W: ColumnWriter>(
    key: &BucketKey,
    delta: &UsageDelta,
    writer: &mut W,
) -> Result<(), W::Error> {
    writer.text(&key.account_id)?;
    writer.i64(key.width)?;
    writer.i64(key.start)?;
    writer.text(&key.product)?;
    writer.text(&key.model)?;
    writer.text(&key.member)?;
    writer.text(&key.action)?;
    writer.i64(delta.credits.get())?;
    writer.i64(delta.count)
}
