//! `rate_cards`: every rate card version, keyed by its number, never changed.

use super::{Table, i64, micros, text};
use crate::row::{ColumnReader, ColumnWriter, Fields};
use crate::{RateCardRecord, StoreError};

pub const TABLE: Table = Table {
    name: "rate_cards",
    groups: &[&[
        i64("version"),
        i64("effective_at"),
        text("document"),
        i64("created_at"),
    ]],
    constants: &[],
    on_conflict: "",
};

pub fn encode<W: ColumnWriter>(card: &RateCardRecord, writer: &mut W) -> Result<(), W::Error> {
    writer.i64(card.version)?;
    writer.i64(micros(card.effective_at))?;
    writer.text(&card.document)?;
    writer.i64(micros(card.created_at))
}

pub fn decode(row: &dyn ColumnReader) -> Result<RateCardRecord, StoreError> {
    let version = Fields::aggregate(row, TABLE.name).i64("version")?;
    let fields = Fields::keyed(row, TABLE.name, version.to_string());
    Ok(RateCardRecord {
        version,
        effective_at: fields.timestamp("effective_at")?,
        document: fields.text("document")?,
        created_at: fields.timestamp("created_at")?,
    })
}
