//! `purchases`: one row per credit pack purchase, written again as it leaves `pending`
//! (completed with its grant, failed, canceled or expired). A row that left `pending` is
//! final.

use tally_core::{Purchase, PurchaseStatus};

use super::{Table, i64, micros, text};
use crate::StoreError;
use crate::row::{ColumnReader, ColumnWriter, Fields};

pub const TABLE: Table = Table {
    name: "purchases",
    groups: &[&[
        text("id"),
        text("account_id"),
        text("pack_id"),
        text("pack_name"),
        i64("credits"),
        text("price_usd"),
        i64("grant_expires_after_days"),
        text("status"),
        text("grant_id"),
        text("payment_reference"),
        text("checkout_url"),
        i64("topup"),
        i64("created_at"),
        i64("expires_at"),
        i64("resolved_at"),
    ]],
    constants: &[],
    on_conflict: " ON CONFLICT (id) DO UPDATE SET status = excluded.status, \
                  grant_id = excluded.grant_id, payment_reference = excluded.payment_reference, \
                  resolved_at = excluded.resolved_at",
};

/// The purchases a state holds.
pub const PENDING: &str = "status = 'pending'";

pub fn encode<W: ColumnWriter>(purchase: &Purchase, writer: &mut W) -> Result<(), W::Error> {
    writer.text(&purchase.id)?;
    writer.text(&purchase.account_id)?;
    writer.text(&purchase.pack_id)?;
    writer.text(&purchase.pack_name)?;
    writer.i64(purchase.credits.get())?;
    writer.text(&purchase.price_usd)?;
    writer.opt_i64(purchase.grant_expires_after_days.map(i64::from))?;
    writer.text(purchase.status.as_str())?;
    writer.opt_text(purchase.grant_id.as_deref())?;
    writer.opt_text(purchase.payment_reference.as_deref())?;
    writer.opt_text(purchase.checkout_url.as_deref())?;
    writer.i64(i64::from(purchase.topup))?;
    writer.i64(micros(purchase.created_at))?;
    writer.i64(micros(purchase.expires_at))?;
    writer.opt_i64(purchase.resolved_at.map(micros))
}

pub fn decode(row: &dyn ColumnReader) -> Result<Purchase, StoreError> {
    let fields = Fields::new(row, TABLE.name, "id")?;
    let days = match fields.opt_i64("grant_expires_after_days")? {
        None => None,
        Some(_) => Some(fields.small("grant_expires_after_days")?),
    };
    Ok(Purchase {
        id: fields.key().to_string(),
        account_id: fields.text("account_id")?,
        pack_id: fields.text("pack_id")?,
        pack_name: fields.text("pack_name")?,
        credits: fields.millicredits("credits")?,
        price_usd: fields.text("price_usd")?,
        grant_expires_after_days: days,
        status: fields.parsed("status", PurchaseStatus::parse)?,
        grant_id: fields.opt_text("grant_id")?,
        payment_reference: fields.opt_text("payment_reference")?,
        checkout_url: fields.opt_text("checkout_url")?,
        topup: fields.i64("topup")? != 0,
        created_at: fields.timestamp("created_at")?,
        expires_at: fields.timestamp("expires_at")?,
        resolved_at: fields.opt_timestamp("resolved_at")?,
    })
}
