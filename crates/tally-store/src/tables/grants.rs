//! `grants`: one row per grant. Written again whenever its balance or lifecycle changes.

use tally_core::{Grant, GrantLifecycle, GrantSource};

use super::{Table, i64, micros, text};
use crate::StoreError;
use crate::row::{ColumnReader, ColumnWriter, Fields};

pub const TABLE: Table = Table {
    name: "grants",
    groups: &[&[
        text("id"),
        text("account_id"),
        i64("amount"),
        i64("remaining"),
        i64("reserved"),
        text("source"),
        i64("priority"),
        i64("effective_at"),
        i64("expires_at"),
        text("lifecycle"),
        i64("ordinal"),
        i64("created_at"),
        text("description"),
        text("metadata"),
        i64("expiry_warned"),
    ]],
    constants: &[],
    on_conflict: " ON CONFLICT (id) DO UPDATE SET remaining = excluded.remaining, \
                  reserved = excluded.reserved, lifecycle = excluded.lifecycle, \
                  expiry_warned = excluded.expiry_warned",
};

pub fn encode<W: ColumnWriter>(grant: &Grant, writer: &mut W) -> Result<(), W::Error> {
    writer.text(&grant.id)?;
    writer.text(&grant.account_id)?;
    writer.i64(grant.amount.get())?;
    writer.i64(grant.remaining.get())?;
    writer.i64(grant.reserved.get())?;
    writer.text(grant.source.as_str())?;
    writer.i64(grant.priority)?;
    writer.i64(micros(grant.effective_at))?;
    writer.opt_i64(grant.expires_at.map(micros))?;
    writer.text(grant.lifecycle.as_str())?;
    writer.i64(grant.ordinal)?;
    writer.i64(micros(grant.created_at))?;
    writer.opt_text(grant.description.as_deref())?;
    writer.opt_text(grant.metadata.as_deref())?;
    writer.i64(i64::from(grant.expiry_warned))
}

pub fn decode(row: &dyn ColumnReader) -> Result<Grant, StoreError> {
    let fields = Fields::new(row, TABLE.name, "id")?;
    Ok(Grant {
        id: fields.key().to_string(),
        account_id: fields.text("account_id")?,
        amount: fields.millicredits("amount")?,
        remaining: fields.millicredits("remaining")?,
        reserved: fields.millicredits("reserved")?,
        source: fields.parsed("source", GrantSource::parse)?,
        priority: fields.i64("priority")?,
        effective_at: fields.timestamp("effective_at")?,
        expires_at: fields.opt_timestamp("expires_at")?,
        lifecycle: fields.parsed("lifecycle", GrantLifecycle::parse)?,
        ordinal: fields.i64("ordinal")?,
        created_at: fields.timestamp("created_at")?,
        description: fields.opt_text("description")?,
        metadata: fields.opt_text("metadata")?,
        expiry_warned: fields.i64("expiry_warned")? != 0,
    })
}
