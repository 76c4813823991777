//! `accounts`: one row per account, with its balance totals. A new account starts at zero; the
//! batch writer keeps the totals as they are after each batch (each store in its own statement:
//! PostgreSQL's also sets when the account next has due work).

use tally_core::events::Alerts;
use tally_core::{Account, AccountSettings, AccountTotals};

use super::{Table, i64, micros, text};
use crate::row::{ColumnReader, ColumnWriter, Fields};
use crate::{AccountRow, StoreError};

pub const TABLE: Table = Table {
    name: "accounts",
    groups: &[&[
        text("id"),
        text("name"),
        i64("overdraft_limit"),
        text("metadata"),
        i64("created_at"),
        text("time_zone"),
        i64("low_balance_threshold"),
    ]],
    constants: &[
        ("posted", "0"),
        ("held", "0"),
        ("overdraft_remaining", "0"),
        ("overdraft_reserved", "0"),
    ],
    on_conflict: "",
};

/// A new account.
pub fn encode<W: ColumnWriter>(account: &Account, writer: &mut W) -> Result<(), W::Error> {
    writer.text(&account.id)?;
    writer.opt_text(account.name.as_deref())?;
    writer.i64(account.overdraft_limit.get())?;
    writer.opt_text(account.metadata.as_deref())?;
    writer.i64(micros(account.created_at))?;
    writer.text(&account.settings.time_zone)?;
    writer.opt_i64(
        account
            .settings
            .low_balance_threshold
            .map(tally_core::Millicredits::get),
    )
}

pub fn decode(row: &dyn ColumnReader) -> Result<AccountRow, StoreError> {
    let fields = Fields::new(row, TABLE.name, "id")?;
    Ok(AccountRow {
        account: Account {
            id: fields.key().to_string(),
            name: fields.opt_text("name")?,
            overdraft_limit: fields.millicredits("overdraft_limit")?,
            metadata: fields.opt_text("metadata")?,
            created_at: fields.timestamp("created_at")?,
            settings: AccountSettings {
                time_zone: fields.text("time_zone")?,
                low_balance_threshold: fields.opt_millicredits("low_balance_threshold")?,
            },
        },
        totals: AccountTotals {
            posted: fields.millicredits("posted")?,
            held: fields.millicredits("held")?,
            overdraft_remaining: fields.millicredits("overdraft_remaining")?,
            overdraft_reserved: fields.millicredits("overdraft_reserved")?,
            event_sequence: fields.i64("event_sequence")?,
            alerts: Alerts::from_bits(fields.i64("alerts")?),
        },
    })
}
