//! `audit_log`: one row per admin action, append-only, written in the transaction of the
//! change it records (see [`crate::AuditRecord`]).

use super::{Table, micros, text};
use crate::row::{ColumnReader, ColumnWriter, Fields, RowSource};
use crate::{AuditRecord, Page, PageError, PageRequest, StoreError};

pub const TABLE: Table = Table {
    name: "audit_log",
    groups: &[&[
        text("id"),
        super::i64("at"),
        text("actor"),
        text("action"),
        text("target_id"),
        text("account_id"),
    ]],
    constants: &[],
    on_conflict: "",
};

pub fn encode<W: ColumnWriter>(record: &AuditRecord, writer: &mut W) -> Result<(), W::Error> {
    writer.text(&record.id)?;
    writer.i64(micros(record.at))?;
    writer.text(&record.actor)?;
    writer.text(&record.action)?;
    writer.text(&record.target_id)?;
    writer.opt_text(record.account_id.as_deref())
}

pub fn decode(row: &dyn ColumnReader) -> Result<AuditRecord, StoreError> {
    let fields = Fields::new(row, TABLE.name, "id")?;
    Ok(AuditRecord {
        id: fields.key().to_string(),
        at: fields.timestamp("at")?,
        actor: fields.text("actor")?,
        action: fields.text("action")?,
        target_id: fields.text("target_id")?,
        account_id: fields.opt_text("account_id")?,
    })
}

/// A page of the log, newest first.
pub fn read_page<S: RowSource>(
    db: &mut S,
    page: &PageRequest,
) -> Result<Page<AuditRecord>, PageError> {
    crate::read::read_page(db, TABLE.name, None, &[], page, decode)
}
