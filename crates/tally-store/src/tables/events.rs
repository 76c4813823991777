//! `events`: one row per event, append-only, written in the transaction of the change that
//! caused it. The body is the event's JSON as the API rendered it when the engine decided the
//! event: it is served and delivered byte for byte, so a signature never depends on a later
//! rendering.

use super::{Table, i64, micros, text};
use crate::row::{ColumnReader, ColumnWriter, Fields};
use crate::{EventRecord, StoreError};

pub const TABLE: Table = Table {
    name: "events",
    groups: &[&[
        text("id"),
        text("account_id"),
        i64("sequence"),
        text("type"),
        i64("created_at"),
        text("body"),
    ]],
    constants: &[],
    on_conflict: "",
};

pub fn encode<W: ColumnWriter>(event: &EventRecord, writer: &mut W) -> Result<(), W::Error> {
    writer.text(&event.id)?;
    writer.text(&event.account_id)?;
    writer.i64(event.sequence)?;
    writer.text(&event.event_type)?;
    writer.i64(micros(event.created_at))?;
    writer.text(&event.body)
}

pub fn decode(row: &dyn ColumnReader) -> Result<EventRecord, StoreError> {
    let fields = Fields::new(row, TABLE.name, "id")?;
    Ok(EventRecord {
        id: fields.key().to_string(),
        account_id: fields.text("account_id")?,
        sequence: fields.i64("sequence")?,
        event_type: fields.text("type")?,
        created_at: fields.timestamp("created_at")?,
        body: fields.text("body")?,
    })
}
