//! `holds`: one row per hold, written again as it is captured, released or expires. Its
//! reservations are stored in one column, in [`crate::codec`]'s text form.

use tally_core::{Hold, HoldStatus};

use tally_core::Attribution;

use super::{ATTRIBUTION, Table, decode_attribution, encode_attribution, i64, micros, text};
use crate::row::{ColumnReader, ColumnWriter, Fields};
use crate::{StoreError, codec};

pub const TABLE: Table = Table {
    name: "holds",
    groups: &[
        &[
            text("id"),
            text("account_id"),
            text("status"),
            i64("amount"),
            i64("captured"),
            i64("released"),
            i64("expires_at"),
            i64("created_at"),
            i64("resolved_at"),
        ],
        ATTRIBUTION,
        &[
            text("description"),
            text("metadata"),
            text("reservations"),
            text("extra"),
        ],
        &[text("captured_from"), i64("captured_at"), i64("refunded")],
        &[text("key_id")],
    ],
    constants: &[],
    on_conflict: " ON CONFLICT (id) DO UPDATE SET status = excluded.status, \
                  captured = excluded.captured, released = excluded.released, \
                  resolved_at = excluded.resolved_at, reservations = excluded.reservations, \
                  extra = excluded.extra, amount = excluded.amount, \
                  expires_at = excluded.expires_at, captured_from = excluded.captured_from, \
                  captured_at = excluded.captured_at, refunded = excluded.refunded",
};

pub fn encode<W: ColumnWriter>(hold: &Hold, writer: &mut W) -> Result<(), W::Error> {
    writer.text(&hold.id)?;
    writer.text(&hold.account_id)?;
    writer.text(hold.status.as_str())?;
    writer.i64(hold.amount.get())?;
    writer.i64(hold.captured.get())?;
    writer.i64(hold.released.get())?;
    writer.i64(micros(hold.expires_at))?;
    writer.i64(micros(hold.created_at))?;
    writer.opt_i64(hold.resolved_at.map(micros))?;
    encode_attribution(&hold.attribution, writer)?;
    writer.opt_text(hold.description.as_deref())?;
    writer.opt_text(hold.metadata.as_deref())?;
    writer.text(&codec::encode_reservations(&hold.reservations))?;
    writer.opt_text(hold.extra.as_deref())?;
    writer.text(&codec::encode_reservations(&hold.captured_from))?;
    writer.opt_i64(hold.captured_at.map(micros))?;
    writer.i64(hold.refunded.get())?;
    writer.opt_text(hold.attribution.key_id.as_deref())
}

pub fn decode(row: &dyn ColumnReader) -> Result<Hold, StoreError> {
    let fields = Fields::new(row, TABLE.name, "id")?;
    Ok(Hold {
        id: fields.key().to_string(),
        account_id: fields.text("account_id")?,
        status: fields.parsed("status", HoldStatus::parse)?,
        amount: fields.millicredits("amount")?,
        captured: fields.millicredits("captured")?,
        released: fields.millicredits("released")?,
        expires_at: fields.timestamp("expires_at")?,
        created_at: fields.timestamp("created_at")?,
        resolved_at: fields.opt_timestamp("resolved_at")?,
        attribution: Attribution {
            key_id: fields.opt_text("key_id")?,
            ..decode_attribution(&fields)?
        },
        description: fields.opt_text("description")?,
        metadata: fields.opt_text("metadata")?,
        reservations: fields.parsed("reservations", codec::decode_reservations)?,
        extra: fields.opt_text("extra")?,
        captured_from: fields.parsed("captured_from", codec::decode_reservations)?,
        captured_at: fields.opt_timestamp("captured_at")?,
        refunded: fields.millicredits("refunded")?,
    })
}
