//! The one lookup view: what is known of an idempotency key, a hold, a grant, a purchase, an API key or
//! the rate card versions. The newest knowledge wins: what this batch decided, then what the
//! batches handed to the committer and not yet finished decided (newest first; the store
//! does not have it yet), then the store.

use std::collections::VecDeque;

use tally_core::{Charge, Effects, Grant, Hold, HoldStatus, PortalLink, Purchase, Timestamp};
use tally_store::{ApiKeyRecord, IdempotencyRecord, LedgerStore, StoreError};

use crate::batch::{Batch, InFlight, KeySlot};

pub(crate) struct Known<'a> {
    batch: &'a Batch,
    in_flight: &'a VecDeque<InFlight>,
    store: &'a dyn LedgerStore,
}

impl<'a> Known<'a> {
    pub(crate) fn new(
        batch: &'a Batch,
        in_flight: &'a VecDeque<InFlight>,
        store: &'a dyn LedgerStore,
    ) -> Self {
        Known {
            batch,
            in_flight,
            store,
        }
    }

    /// The first answer `find` gives, asking the batches in flight newest first.
    fn in_flight<T>(&self, find: impl Fn(&'a InFlight) -> Option<T>) -> Option<T> {
        self.in_flight.iter().rev().find_map(find)
    }

    /// The record of a key used before this batch (the batch's own records are its own).
    pub(crate) fn idempotency(
        &self,
        slot: &KeySlot,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        match self.in_flight(|batch| batch.idempotency.get(slot)) {
            Some(record) => Ok(Some(record.clone())),
            None => self.store.idempotency(&slot.0, &slot.1),
        }
    }

    /// The account and status of a hold that is not pending in memory: resolved by this
    /// batch, by one in flight, or as the store has it.
    pub(crate) fn hold(&self, hold_id: &str) -> Result<Option<(String, HoldStatus)>, StoreError> {
        let decided = self
            .batch
            .resolved_holds
            .get(hold_id)
            .or_else(|| self.in_flight(|batch| batch.resolved_holds.get(hold_id)));
        if let Some((account_id, status)) = decided {
            return Ok(Some((account_id.clone(), *status)));
        }
        Ok(self
            .store
            .hold(hold_id)?
            .map(|hold| (hold.account_id, hold.status)))
    }

    /// The account a grant belongs to. Any grant a batch wrote counts (created, bought, or
    /// issued by a plan's period), not only those created by a command.
    pub(crate) fn grant_account(&self, grant_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self.grant(grant_id)?.map(|grant| grant.account_id))
    }

    /// The newest snapshot `pick` finds among the effects of this batch, then of the batches
    /// in flight (newest first); else what `stored` reads from the store.
    fn last_written<T: Clone + 'a>(
        &self,
        pick: impl Fn(&'a Effects) -> &'a [T],
        is_it: impl Fn(&T) -> bool,
        stored: impl FnOnce() -> Result<Option<T>, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        let written = pick(&self.batch.write.effects)
            .iter()
            .rev()
            .chain(
                self.in_flight
                    .iter()
                    .rev()
                    .flat_map(|batch| pick(&batch.write.effects).iter().rev()),
            )
            .find(|item| is_it(item));
        match written {
            Some(item) => Ok(Some(item.clone())),
            None => stored(),
        }
    }

    /// A grant as last written.
    pub(crate) fn grant(&self, grant_id: &str) -> Result<Option<Grant>, StoreError> {
        self.last_written(
            |effects| &effects.grants,
            |grant| grant.id == grant_id,
            || self.store.grant(grant_id),
        )
    }

    /// A purchase as last written: by this batch, by one in flight, or as the store has it.
    pub(crate) fn purchase(&self, purchase_id: &str) -> Result<Option<Purchase>, StoreError> {
        self.last_written(
            |effects| &effects.purchases,
            |purchase| purchase.id == purchase_id,
            || self.store.purchase(purchase_id),
        )
    }

    /// A hold as last written (resolved or pending).
    pub(crate) fn hold_written(&self, hold_id: &str) -> Result<Option<Hold>, StoreError> {
        self.last_written(
            |effects| &effects.holds,
            |hold| hold.id == hold_id,
            || self.store.hold(hold_id),
        )
    }

    /// A charge as last written (a refund writes it again).
    pub(crate) fn charge(&self, charge_id: &str) -> Result<Option<Charge>, StoreError> {
        self.last_written(
            |effects| &effects.charges,
            |charge| charge.id == charge_id,
            || self.store.charge_written(charge_id),
        )
    }

    /// An API key, with its revocation if one not yet in the store revoked it.
    pub(crate) fn api_key(&self, key_id: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        let created = self
            .batch
            .new_keys
            .get(key_id)
            .or_else(|| self.in_flight(|batch| batch.new_keys.get(key_id)));
        let record = match created {
            Some(record) => Some(record.clone()),
            None => self.store.api_key(key_id)?,
        };
        Ok(record.map(|mut record| {
            if record.revoked_at.is_none() {
                record.revoked_at = self.revoked_lately(key_id);
            }
            record
        }))
    }

    /// When this batch or one in flight revoked the key.
    fn revoked_lately(&self, key_id: &str) -> Option<Timestamp> {
        self.batch
            .write
            .revoked_api_keys
            .iter()
            .chain(
                self.in_flight
                    .iter()
                    .flat_map(|batch| &batch.write.revoked_api_keys),
            )
            .find(|(revoked, _)| revoked == key_id)
            .map(|(_, at)| *at)
    }

    /// A portal link as last written (a redeemed one with its `used_at`), by its token's hash.
    pub(crate) fn portal_link(&self, token_hash: &str) -> Result<Option<PortalLink>, StoreError> {
        let written = self
            .batch
            .portal_links
            .get(token_hash)
            .or_else(|| self.in_flight(|batch| batch.portal_links.get(token_hash)));
        match written {
            Some(link) => Ok(Some(link.clone())),
            None => self.store.portal_link(token_hash),
        }
    }

    /// The newest rate card version (0 when there is none).
    pub(crate) fn latest_rate_card_version(&self) -> Result<i64, StoreError> {
        let stored = self.store.latest_rate_card_version()?.unwrap_or(0);
        let unfinished = self
            .batch
            .write
            .new_rate_cards
            .iter()
            .chain(
                self.in_flight
                    .iter()
                    .flat_map(|batch| &batch.write.new_rate_cards),
            )
            .map(|card| card.version)
            .max()
            .unwrap_or(0);
        Ok(stored.max(unfinished))
    }

    /// A setting, as this batch, a batch in flight or the store has it.
    pub(crate) fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        let unfinished = std::iter::once(&self.batch.write)
            .chain(
                self.in_flight
                    .iter()
                    .rev()
                    .map(|batch| batch.write.as_ref()),
            )
            .flat_map(|write| write.meta.iter().chain(&write.meta_if_absent))
            .find(|(name, _)| name == key);
        match unfinished {
            Some((_, value)) => Ok(Some(value.clone())),
            None => self.store.meta(key),
        }
    }
}
