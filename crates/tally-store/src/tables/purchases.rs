//! `purchases`: one row per credit pack bought, never changed.

use super::{Table, i64, micros, text};
use crate::row::{ColumnReader, ColumnWriter, Fields};
use crate::{PurchaseRecord, StoreError};

pub const TABLE: Table = Table {
    name: "purchases",
    groups: &[&[
        text("id"),
        text("account_id"),
        text("pack_id"),
        text("grant_id"),
        i64("credits"),
        text("price_usd"),
        i64("created_at"),
    ]],
    constants: &[],
    on_conflict: "",
};

pub fn encode<W: ColumnWriter>(purchase: &PurchaseRecord, writer: &mut W) -> Result<(), W::Error> {
    writer.text(&purchase.id)?;
    writer.text(&purchase.account_id)?;
    writer.text(&purchase.pack_id)?;
    writer.text(&purchase.grant_id)?;
    writer.i64(purchase.credits.get())?;
    writer.text(&purchase.price_usd)?;
    writer.i64(micros(purchase.created_at))
}

pub fn decode(row: &dyn ColumnReader) -> Result<PurchaseRecord, StoreError> {
    let fields = Fields::new(row, TABLE.name, "id")?;
    Ok(PurchaseRecord {
        id: fields.key().to_string(),
        account_id: fields.text("account_id")?,
        pack_id: fields.text("pack_id")?,
        grant_id: fields.text("grant_id")?,
        credits: fields.millicredits("credits")?,
        price_usd: fields.text("price_usd")?,
        created_at: fields.timestamp("created_at")?,
    })
}
