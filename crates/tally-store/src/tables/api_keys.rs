//! `api_keys`: one row per key (the hash of its secret, never the secret). A new key has not
//! been used or revoked: `last_used_at` and `revoked_at` are set later, each by an update of its
//! own, so an insert leaves them out.

use super::{Table, i64, micros, text};
use crate::row::{ColumnReader, ColumnWriter, Fields};
use crate::{ApiKeyRecord, StoreError};

pub const TABLE: Table = Table {
    name: "api_keys",
    groups: &[&[
        text("id"),
        text("account_id"),
        text("key_hash"),
        i64("created_at"),
    ]],
    constants: &[],
    on_conflict: "",
};

/// A new key.
pub fn encode<W: ColumnWriter>(key: &ApiKeyRecord, writer: &mut W) -> Result<(), W::Error> {
    writer.text(&key.id)?;
    writer.opt_text(key.account_id.as_deref())?;
    writer.text(&key.key_hash)?;
    writer.i64(micros(key.created_at))
}

pub fn decode(row: &dyn ColumnReader) -> Result<ApiKeyRecord, StoreError> {
    let fields = Fields::new(row, TABLE.name, "id")?;
    Ok(ApiKeyRecord {
        id: fields.key().to_string(),
        account_id: fields.opt_text("account_id")?,
        key_hash: fields.text("key_hash")?,
        created_at: fields.timestamp("created_at")?,
        last_used_at: fields.opt_timestamp("last_used_at")?,
        revoked_at: fields.opt_timestamp("revoked_at")?,
    })
}
