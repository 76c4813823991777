//! `refunds`: one row per refund, never changed. What went back to each grant is stored in
//! one column, in [`crate::codec`]'s text form (as a charge's draws are), with the attribution
//! and the instant of the spending refunded (usage is netted in its group, on its day).

use tally_core::Refund;

use super::{ATTRIBUTION, Table, decode_attribution, encode_attribution, i64, micros, text};
use crate::row::{ColumnReader, ColumnWriter, Fields};
use crate::{StoreError, codec};

pub const TABLE: Table = Table {
    name: "refunds",
    groups: &[
        &[
            text("id"),
            text("account_id"),
            text("charge_id"),
            text("hold_id"),
            i64("amount"),
            text("restored"),
            i64("expired"),
            text("reason"),
            i64("created_at"),
        ],
        ATTRIBUTION,
        &[i64("spent_at")],
    ],
    constants: &[],
    on_conflict: "",
};

pub fn encode<W: ColumnWriter>(refund: &Refund, writer: &mut W) -> Result<(), W::Error> {
    writer.text(&refund.id)?;
    writer.text(&refund.account_id)?;
    writer.opt_text(refund.charge_id.as_deref())?;
    writer.opt_text(refund.hold_id.as_deref())?;
    writer.i64(refund.amount.get())?;
    writer.text(&codec::encode_drawn(&refund.restored))?;
    writer.i64(refund.expired.get())?;
    writer.opt_text(refund.reason.as_deref())?;
    writer.i64(micros(refund.created_at))?;
    encode_attribution(&refund.attribution, writer)?;
    writer.i64(micros(refund.spent_at))
}

pub fn decode(row: &dyn ColumnReader) -> Result<Refund, StoreError> {
    let fields = Fields::new(row, TABLE.name, "id")?;
    Ok(Refund {
        id: fields.key().to_string(),
        account_id: fields.text("account_id")?,
        charge_id: fields.opt_text("charge_id")?,
        hold_id: fields.opt_text("hold_id")?,
        amount: fields.millicredits("amount")?,
        restored: fields.parsed("restored", codec::decode_drawn)?,
        expired: fields.millicredits("expired")?,
        reason: fields.opt_text("reason")?,
        created_at: fields.timestamp("created_at")?,
        attribution: decode_attribution(&fields)?,
        spent_at: fields.timestamp("spent_at")?,
    })
}
