//! `charges`: one row per charge, changed only by refunds (`refunded`). The grants it drew
//! from are stored in one column, in [`crate::codec`]'s text form.

use tally_core::Charge;

use tally_core::Attribution;

use super::{ATTRIBUTION, Table, decode_attribution, encode_attribution, i64, micros, text};
use crate::row::{ColumnReader, ColumnWriter, Fields};
use crate::{StoreError, codec};

pub const TABLE: Table = Table {
    name: "charges",
    groups: &[
        &[
            text("id"),
            text("account_id"),
            i64("amount"),
            text("drawn"),
            i64("overdraft"),
            i64("available_after"),
        ],
        ATTRIBUTION,
        &[
            text("description"),
            text("metadata"),
            text("extra"),
            i64("created_at"),
        ],
        &[i64("refunded")],
        &[text("key_id")],
    ],
    constants: &[],
    on_conflict: " ON CONFLICT (id) DO UPDATE SET refunded = excluded.refunded",
};

pub fn encode<W: ColumnWriter>(charge: &Charge, writer: &mut W) -> Result<(), W::Error> {
    writer.text(&charge.id)?;
    writer.text(&charge.account_id)?;
    writer.i64(charge.amount.get())?;
    writer.text(&codec::encode_drawn(&charge.drawn))?;
    writer.i64(charge.overdraft.get())?;
    writer.i64(charge.available_after.get())?;
    encode_attribution(&charge.attribution, writer)?;
    writer.opt_text(charge.description.as_deref())?;
    writer.opt_text(charge.metadata.as_deref())?;
    writer.opt_text(charge.extra.as_deref())?;
    writer.i64(micros(charge.created_at))?;
    writer.i64(charge.refunded.get())?;
    writer.opt_text(charge.attribution.key_id.as_deref())
}

pub fn decode(row: &dyn ColumnReader) -> Result<Charge, StoreError> {
    let fields = Fields::new(row, TABLE.name, "id")?;
    Ok(Charge {
        id: fields.key().to_string(),
        account_id: fields.text("account_id")?,
        amount: fields.millicredits("amount")?,
        drawn: fields.parsed("drawn", codec::decode_drawn)?,
        overdraft: fields.millicredits("overdraft")?,
        available_after: fields.millicredits("available_after")?,
        attribution: Attribution {
            key_id: fields.opt_text("key_id")?,
            ..decode_attribution(&fields)?
        },
        description: fields.opt_text("description")?,
        metadata: fields.opt_text("metadata")?,
        created_at: fields.timestamp("created_at")?,
        extra: fields.opt_text("extra")?,
        refunded: fields.millicredits("refunded")?,
    })
}
