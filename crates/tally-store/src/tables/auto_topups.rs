//! `auto_topups`: one row per account whose auto top-up was ever set, written again as it
//! buys, fails, is suspended, set again or removed (`disabled`).

use tally_core::catalog::Pack;
use tally_core::{AutoTopup, AutoTopupSpec, AutoTopupStatus};

use super::{Table, i64, micros, text};
use crate::StoreError;
use crate::row::{ColumnReader, ColumnWriter, Fields};

pub const TABLE: Table = Table {
    name: "auto_topups",
    groups: &[&[
        text("account_id"),
        text("pack_id"),
        text("pack_name"),
        i64("pack_credits"),
        text("pack_price_usd"),
        i64("pack_expires_after_days"),
        i64("threshold"),
        i64("monthly_max"),
        i64("cooldown_seconds"),
        i64("complete"),
        i64("purchase_expires_after_seconds"),
        text("checkout_url"),
        text("status"),
        i64("month_start"),
        i64("used_this_month"),
        i64("last_attempt_at"),
        i64("consecutive_failures"),
        text("pending_purchase_id"),
        i64("updated_at"),
    ]],
    constants: &[],
    on_conflict: " ON CONFLICT (account_id) DO UPDATE SET pack_id = excluded.pack_id, \
                  pack_name = excluded.pack_name, pack_credits = excluded.pack_credits, \
                  pack_price_usd = excluded.pack_price_usd, \
                  pack_expires_after_days = excluded.pack_expires_after_days, \
                  threshold = excluded.threshold, monthly_max = excluded.monthly_max, \
                  cooldown_seconds = excluded.cooldown_seconds, complete = excluded.complete, \
                  purchase_expires_after_seconds = excluded.purchase_expires_after_seconds, \
                  checkout_url = excluded.checkout_url, status = excluded.status, \
                  month_start = excluded.month_start, \
                  used_this_month = excluded.used_this_month, \
                  last_attempt_at = excluded.last_attempt_at, \
                  consecutive_failures = excluded.consecutive_failures, \
                  pending_purchase_id = excluded.pending_purchase_id, \
                  updated_at = excluded.updated_at",
};

/// The rows a state holds.
pub const KEPT: &str = "status <> 'disabled'";

pub fn encode<W: ColumnWriter>(topup: &AutoTopup, writer: &mut W) -> Result<(), W::Error> {
    let spec = &topup.spec;
    writer.text(&topup.account_id)?;
    writer.text(&spec.pack.id)?;
    writer.text(&spec.pack.name)?;
    writer.i64(spec.pack.credits.get())?;
    writer.text(&spec.pack.price_usd)?;
    writer.opt_i64(spec.pack.expires_after_days.map(i64::from))?;
    writer.i64(spec.threshold.get())?;
    writer.i64(i64::from(spec.monthly_max))?;
    writer.i64(spec.cooldown_seconds)?;
    writer.i64(i64::from(spec.complete))?;
    writer.i64(spec.purchase_expires_after_seconds)?;
    writer.opt_text(spec.checkout_url.as_deref())?;
    writer.text(topup.status.as_str())?;
    writer.i64(micros(topup.month_start))?;
    writer.i64(i64::from(topup.used_this_month))?;
    writer.opt_i64(topup.last_attempt_at.map(micros))?;
    writer.i64(i64::from(topup.consecutive_failures))?;
    writer.opt_text(topup.pending_purchase_id.as_deref())?;
    writer.i64(micros(topup.updated_at))
}

pub fn decode(row: &dyn ColumnReader) -> Result<AutoTopup, StoreError> {
    let fields = Fields::new(row, TABLE.name, "account_id")?;
    let days = match fields.opt_i64("pack_expires_after_days")? {
        None => None,
        Some(_) => Some(fields.small("pack_expires_after_days")?),
    };
    Ok(AutoTopup {
        account_id: fields.key().to_string(),
        spec: AutoTopupSpec {
            pack: Pack {
                id: fields.text("pack_id")?,
                name: fields.text("pack_name")?,
                credits: fields.millicredits("pack_credits")?,
                price_usd: fields.text("pack_price_usd")?,
                expires_after_days: days,
            },
            threshold: fields.millicredits("threshold")?,
            monthly_max: fields.small("monthly_max")?,
            cooldown_seconds: fields.i64("cooldown_seconds")?,
            complete: fields.i64("complete")? != 0,
            purchase_expires_after_seconds: fields.i64("purchase_expires_after_seconds")?,
            checkout_url: fields.opt_text("checkout_url")?,
        },
        status: fields.parsed("status", AutoTopupStatus::parse)?,
        month_start: fields.timestamp("month_start")?,
        used_this_month: fields.small("used_this_month")?,
        last_attempt_at: fields.opt_timestamp("last_attempt_at")?,
        consecutive_failures: fields.small("consecutive_failures")?,
        pending_purchase_id: fields.opt_text("pending_purchase_id")?,
        updated_at: fields.timestamp("updated_at")?,
    })
}
