//! `idempotency`: the stored answer to each idempotency key, written in the same transaction as
//! its effect and never changed. Keyed by `(scope, key)`.

use super::{Table, i64, micros, text};
use crate::row::{ColumnReader, ColumnWriter, Fields};
use crate::{IdempotencyRecord, StoreError};

pub const TABLE: Table = Table {
    name: "idempotency",
    groups: &[&[
        text("scope"),
        text("key"),
        text("request_hash"),
        i64("status"),
        text("body"),
        i64("created_at"),
    ]],
    constants: &[],
    on_conflict: "",
};

pub fn encode<W: ColumnWriter>(record: &IdempotencyRecord, writer: &mut W) -> Result<(), W::Error> {
    writer.text(&record.scope)?;
    writer.text(&record.key)?;
    writer.text(&record.request_hash)?;
    writer.i64(i64::from(record.status))?;
    writer.text(&record.body)?;
    writer.i64(micros(record.created_at))
}

pub fn decode(row: &dyn ColumnReader) -> Result<IdempotencyRecord, StoreError> {
    let scope = Fields::new(row, TABLE.name, "scope")?.key().to_string();
    let key = Fields::keyed(row, TABLE.name, scope.clone()).text("key")?;
    let fields = Fields::keyed(row, TABLE.name, format!("{scope} {key}"));
    Ok(IdempotencyRecord {
        request_hash: fields.text("request_hash")?,
        status: fields.small("status")?,
        body: fields.text("body")?,
        created_at: fields.timestamp("created_at")?,
        scope,
        key,
    })
}
