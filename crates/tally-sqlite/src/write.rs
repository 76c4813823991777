//! The batch writer: every batch of a commit in one `IMMEDIATE` transaction, each table's rows
//! with one cached statement run once per row.

use rusqlite::{Connection, Transaction, params};
use tally_core::Timestamp;
use tally_store::{BatchWrite, codec};

/// Writes batches, in order, in one transaction.
pub(crate) fn write_batches(
    connection: &mut Connection,
    batches: &[&BatchWrite],
) -> Result<(), rusqlite::Error> {
    let transaction =
        connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    for batch in batches {
        write_batch(&transaction, batch)?;
    }
    transaction.commit()
}

fn write_batch(transaction: &Transaction, batch: &BatchWrite) -> Result<(), rusqlite::Error> {
    {
        let mut insert_account = transaction.prepare_cached(
            "INSERT INTO accounts (id, name, overdraft_limit, metadata, created_at, posted, held,
                 overdraft_remaining, overdraft_reserved)
             VALUES (?1, ?2, ?3, ?4, ?5, 0, 0, 0, 0)",
        )?;
        for account in &batch.new_accounts {
            insert_account.execute(params![
                account.id,
                account.name,
                account.overdraft_limit.get(),
                account.metadata,
                account.created_at.as_micros(),
            ])?;
        }
        let mut upsert_grant = transaction.prepare_cached(
            "INSERT INTO grants (id, account_id, amount, remaining, reserved, source, priority,
                 effective_at, expires_at, lifecycle, ordinal, created_at, description, metadata)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
             ON CONFLICT (id) DO UPDATE SET remaining = excluded.remaining,
                 reserved = excluded.reserved, lifecycle = excluded.lifecycle",
        )?;
        for grant in &batch.effects.grants {
            upsert_grant.execute(params![
                grant.id,
                grant.account_id,
                grant.amount.get(),
                grant.remaining.get(),
                grant.reserved.get(),
                grant.source.as_str(),
                grant.priority,
                grant.effective_at.as_micros(),
                grant.expires_at.map(Timestamp::as_micros),
                grant.lifecycle.as_str(),
                grant.ordinal,
                grant.created_at.as_micros(),
                grant.description,
                grant.metadata,
            ])?;
        }
        let mut upsert_hold = transaction.prepare_cached(
            "INSERT INTO holds (id, account_id, status, amount, captured, released, expires_at,
                 created_at, resolved_at, product, member, model, action, rate_card_version,
                 quote_id, description, metadata, reservations, extra)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                 ?18, ?19)
             ON CONFLICT (id) DO UPDATE SET status = excluded.status,
                 captured = excluded.captured, released = excluded.released,
                 resolved_at = excluded.resolved_at, reservations = excluded.reservations,
                 extra = excluded.extra",
        )?;
        for hold in &batch.effects.holds {
            let attribution = &hold.attribution;
            upsert_hold.execute(params![
                hold.id,
                hold.account_id,
                hold.status.as_str(),
                hold.amount.get(),
                hold.captured.get(),
                hold.released.get(),
                hold.expires_at.as_micros(),
                hold.created_at.as_micros(),
                hold.resolved_at.map(Timestamp::as_micros),
                attribution.product,
                attribution.member,
                attribution.model,
                attribution.action,
                attribution.rate_card_version,
                attribution.quote_id,
                hold.description,
                hold.metadata,
                codec::encode_reservations(&hold.reservations),
                hold.extra,
            ])?;
        }
        let mut insert_charge = transaction.prepare_cached(
            "INSERT INTO charges (id, account_id, amount, drawn, overdraft, available_after,
                 product, member, model, action, rate_card_version, quote_id, description,
                 metadata, extra, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        )?;
        for charge in &batch.effects.charges {
            let attribution = &charge.attribution;
            insert_charge.execute(params![
                charge.id,
                charge.account_id,
                charge.amount.get(),
                codec::encode_drawn(&charge.drawn),
                charge.overdraft.get(),
                charge.available_after.get(),
                attribution.product,
                attribution.member,
                attribution.model,
                attribution.action,
                attribution.rate_card_version,
                attribution.quote_id,
                charge.description,
                charge.metadata,
                charge.extra,
                charge.created_at.as_micros(),
            ])?;
        }
        let mut insert_entry = transaction.prepare_cached(
            "INSERT INTO entries (id, account_id, type, amount, held, grant_id, hold_id,
                 charge_id, product, member, model, action, rate_card_version, quote_id,
                 description, created_at, postings)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
        )?;
        for entry in &batch.effects.entries {
            let attribution = &entry.attribution;
            insert_entry.execute(params![
                entry.id,
                entry.account_id,
                entry.kind.as_str(),
                entry.amount.get(),
                entry.held.get(),
                entry.grant_id,
                entry.hold_id,
                entry.charge_id,
                attribution.product,
                attribution.member,
                attribution.model,
                attribution.action,
                attribution.rate_card_version,
                attribution.quote_id,
                entry.description,
                entry.created_at.as_micros(),
                codec::encode_postings(&entry.postings),
            ])?;
        }
        let mut upsert_subscription = transaction.prepare_cached(
            "INSERT INTO subscriptions (account_id, plan_id, plan_name, credits_per_seat, seats,
                 next_period_seats, status, anchor, period_index, current_period_start,
                 current_period_end, period_grant_ids, created_at, canceled_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
             ON CONFLICT (account_id) DO UPDATE SET plan_id = excluded.plan_id,
                 plan_name = excluded.plan_name, credits_per_seat = excluded.credits_per_seat,
                 seats = excluded.seats, next_period_seats = excluded.next_period_seats,
                 status = excluded.status, anchor = excluded.anchor,
                 period_index = excluded.period_index,
                 current_period_start = excluded.current_period_start,
                 current_period_end = excluded.current_period_end,
                 period_grant_ids = excluded.period_grant_ids,
                 canceled_at = excluded.canceled_at",
        )?;
        for subscription in &batch.effects.subscriptions {
            upsert_subscription.execute(params![
                subscription.account_id,
                subscription.plan_id,
                subscription.plan_name,
                subscription.credits_per_seat.get(),
                subscription.seats,
                subscription.next_period_seats,
                subscription.status.as_str(),
                subscription.anchor.as_micros(),
                subscription.period_index,
                subscription.current_period_start.as_micros(),
                subscription.current_period_end.as_micros(),
                subscription.period_grant_ids.join(";"),
                subscription.created_at.as_micros(),
                subscription.canceled_at.map(Timestamp::as_micros),
            ])?;
        }
        let mut insert_purchase = transaction.prepare_cached(
            "INSERT INTO purchases (id, account_id, pack_id, grant_id, credits, price_usd, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for purchase in &batch.new_purchases {
            insert_purchase.execute(params![
                purchase.id,
                purchase.account_id,
                purchase.pack_id,
                purchase.grant_id,
                purchase.credits.get(),
                purchase.price_usd,
                purchase.created_at.as_micros(),
            ])?;
        }
        let mut add_usage = transaction.prepare_cached(
            "INSERT INTO usage_daily (account_id, day, product, model, member, action, credits, count)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (account_id, day, product, model, member, action) DO UPDATE SET
                 credits = credits + excluded.credits, count = count + excluded.count",
        )?;
        for (key, delta) in &batch.usage {
            add_usage.execute(params![
                key.account_id,
                key.day,
                key.product,
                key.model,
                key.member,
                key.action,
                delta.credits.get(),
                delta.count,
            ])?;
        }
        let mut insert_rate_card = transaction.prepare_cached(
            "INSERT INTO rate_cards (version, effective_at, document, created_at)
             VALUES (?1, ?2, ?3, ?4)",
        )?;
        for card in &batch.new_rate_cards {
            insert_rate_card.execute(params![
                card.version,
                card.effective_at.as_micros(),
                card.document,
                card.created_at.as_micros(),
            ])?;
        }
        let mut update_totals = transaction.prepare_cached(
            "UPDATE accounts SET posted = ?2, held = ?3, overdraft_remaining = ?4,
                 overdraft_reserved = ?5 WHERE id = ?1",
        )?;
        for (account_id, totals) in &batch.account_totals {
            update_totals.execute(params![
                account_id,
                totals.posted.get(),
                totals.held.get(),
                totals.overdraft_remaining.get(),
                totals.overdraft_reserved.get(),
            ])?;
        }
        let mut insert_idempotency = transaction.prepare_cached(
            "INSERT INTO idempotency (scope, key, request_hash, status, body, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for record in &batch.idempotency {
            insert_idempotency.execute(params![
                record.scope,
                record.key,
                record.request_hash,
                record.status,
                record.body,
                record.created_at.as_micros(),
            ])?;
        }
        let mut insert_key = transaction.prepare_cached(
            "INSERT INTO api_keys (id, account_id, key_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for key in &batch.new_api_keys {
            insert_key.execute(params![
                key.id,
                key.account_id,
                key.key_hash,
                key.created_at.as_micros()
            ])?;
        }
        let mut revoke_key = transaction.prepare_cached(
            "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        )?;
        for (key_id, at) in &batch.revoked_api_keys {
            revoke_key.execute(params![key_id, at.as_micros()])?;
        }
        let mut upsert_meta = transaction.prepare_cached(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )?;
        let mut touch_key =
            transaction.prepare_cached("UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1")?;
        for (key_id, at) in &batch.touched_api_keys {
            touch_key.execute(params![key_id, at.as_micros()])?;
        }
        for (key, value) in &batch.meta {
            upsert_meta.execute(params![key, value])?;
        }
        let mut insert_meta = transaction
            .prepare_cached("INSERT OR IGNORE INTO meta (key, value) VALUES (?1, ?2)")?;
        for (key, value) in &batch.meta_if_absent {
            insert_meta.execute(params![key, value])?;
        }
    }
    Ok(())
}
