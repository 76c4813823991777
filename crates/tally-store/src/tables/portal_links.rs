//! `portal_links`: one row per portal link (the hash of its token, never the token). A new
//! link is unused: `used_at` is set later by an update of its own (the visit that redeems it),
//! so an insert leaves it out.

use super::{Table, i64, micros, text};
use crate::StoreError;
use crate::row::{ColumnReader, ColumnWriter, Fields};
use tally_core::PortalLink;

pub const TABLE: Table = Table {
    name: "portal_links",
    groups: &[&[
        text("id"),
        text("account_id"),
        text("token_hash"),
        i64("created_at"),
        i64("expires_at"),
        text("return_url"),
    ]],
    constants: &[],
    on_conflict: "",
};

/// A new link.
pub fn encode<W: ColumnWriter>(link: &PortalLink, writer: &mut W) -> Result<(), W::Error> {
    writer.text(&link.id)?;
    writer.text(&link.account_id)?;
    writer.text(&link.token_hash)?;
    writer.i64(micros(link.created_at))?;
    writer.i64(micros(link.expires_at))?;
    writer.opt_text(link.return_url.as_deref())
}

pub fn decode(row: &dyn ColumnReader) -> Result<PortalLink, StoreError> {
    let fields = Fields::new(row, TABLE.name, "id")?;
    Ok(PortalLink {
        id: fields.key().to_string(),
        account_id: fields.text("account_id")?,
        token_hash: fields.text("token_hash")?,
        created_at: fields.timestamp("created_at")?,
        expires_at: fields.timestamp("expires_at")?,
        return_url: fields.opt_text("return_url")?,
        used_at: fields.opt_timestamp("used_at")?,
    })
}
