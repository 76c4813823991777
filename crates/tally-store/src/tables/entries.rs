//! `entries`: the append-only ledger, one row per entry. Its postings are stored in one column,
//! in [`crate::codec`]'s text form.

use tally_core::{Entry, EntryKind};

use super::{ATTRIBUTION, Table, decode_attribution, encode_attribution, i64, micros, text};
use crate::row::{ColumnReader, ColumnWriter, Fields};
use crate::{StoreError, codec};

pub const TABLE: Table = Table {
    name: "entries",
    groups: &[
        &[
            text("id"),
            text("account_id"),
            text("type"),
            i64("amount"),
            i64("held"),
            text("grant_id"),
            text("hold_id"),
            text("charge_id"),
        ],
        ATTRIBUTION,
        &[text("description"), i64("created_at"), text("postings")],
    ],
    constants: &[],
    on_conflict: "",
};

pub fn encode<W: ColumnWriter>(entry: &Entry, writer: &mut W) -> Result<(), W::Error> {
    writer.text(&entry.id)?;
    writer.text(&entry.account_id)?;
    writer.text(entry.kind.as_str())?;
    writer.i64(entry.amount.get())?;
    writer.i64(entry.held.get())?;
    writer.opt_text(entry.grant_id.as_deref())?;
    writer.opt_text(entry.hold_id.as_deref())?;
    writer.opt_text(entry.charge_id.as_deref())?;
    encode_attribution(&entry.attribution, writer)?;
    writer.opt_text(entry.description.as_deref())?;
    writer.i64(micros(entry.created_at))?;
    writer.text(&codec::encode_postings(&entry.postings))
}

pub fn decode(row: &dyn ColumnReader) -> Result<Entry, StoreError> {
    let fields = Fields::new(row, TABLE.name, "id")?;
    Ok(Entry {
        id: fields.key().to_string(),
        account_id: fields.text("account_id")?,
        kind: fields.parsed("type", EntryKind::parse)?,
        amount: fields.millicredits("amount")?,
        held: fields.millicredits("held")?,
        grant_id: fields.opt_text("grant_id")?,
        hold_id: fields.opt_text("hold_id")?,
        charge_id: fields.opt_text("charge_id")?,
        attribution: decode_attribution(&fields)?,
        description: fields.opt_text("description")?,
        created_at: fields.timestamp("created_at")?,
        postings: fields.parsed("postings", codec::decode_postings)?,
    })
}
