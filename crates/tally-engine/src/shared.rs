//! Batches on a store that several nodes share: lock and load the accounts the commands touch
//! (and a share of the accounts with due work), look up the batch's idempotency keys under
//! lock, apply, write, commit; on a serialization conflict, start over from what is in the
//! store; start over once, too, when the batch's connection was lost before its COMMIT was
//! sent (`StoreError::Interrupted`: nothing of it applied, so a connection that broke costs
//! a retry, not a 503). Nothing is kept across batches.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::Ordering;
use std::time::Duration;

use tally_core::AccountState;
use tally_store::StoreError;

use crate::batch::{Batch, KnownKey};
use crate::command::Envelope;
use crate::engine::Engine;
use crate::{Command, EngineError, Idempotency, Reply};

/// How often a batch on a shared store is tried before its requests get 503.
const SHARED_BATCH_ATTEMPTS_MAX: u32 = 8;

/// How many accounts with due work one shared batch claims.
const SHARED_DUE_ACCOUNTS_PER_BATCH: usize = 256;

/// How long to wait before the next attempt, per attempt made (a conflict means another node
/// holds what this batch needs).
const SHARED_RETRY_BACKOFF_PER_ATTEMPT: Duration = Duration::from_millis(2);

impl Engine {
    pub(crate) fn run_shared_batch(&mut self, envelopes: Vec<Envelope>) {
        let mut commands = Vec::with_capacity(envelopes.len());
        let mut actors = Vec::with_capacity(envelopes.len());
        let mut senders = Vec::with_capacity(envelopes.len());
        for envelope in envelopes {
            commands.push((envelope.command, envelope.idempotency));
            actors.push(envelope.actor);
            senders.push(envelope.reply);
        }
        let mut attempt = 0;
        let mut interrupted = false;
        let outcome = loop {
            attempt += 1;
            let result = self.try_shared_batch(&commands, &actors);
            self.forget();
            match result {
                Err(StoreError::Conflict(detail)) if attempt < SHARED_BATCH_ATTEMPTS_MAX => {
                    tracing::debug!(%detail, attempt, "engine: batch conflicted; retrying");
                    std::thread::sleep(SHARED_RETRY_BACKOFF_PER_ATTEMPT * attempt);
                }
                // Nothing of it applied: tried again at once, once (a connection lost twice
                // running says the database is going away; its requests get 503).
                Err(StoreError::Interrupted(detail))
                    if !interrupted && attempt < SHARED_BATCH_ATTEMPTS_MAX =>
                {
                    interrupted = true;
                    tracing::warn!(
                        %detail,
                        "engine: the batch's connection was lost before its COMMIT; trying it \
                         again on a new connection"
                    );
                }
                other => break other,
            }
        };
        self.count_batch(commands.len());
        match outcome {
            Ok(replies) => {
                for (sender, reply) in senders.into_iter().zip(replies) {
                    if let Some(sender) = sender {
                        let _ = sender.send(reply);
                    }
                }
            }
            Err(error) => {
                tracing::error!(%error, "engine: shared batch failed; answering 503");
                self.metrics.commit_failures.fetch_add(1, Ordering::Relaxed);
                for sender in senders.into_iter().flatten() {
                    let _ = sender.send(Err(EngineError::Store(StoreError::Unavailable(
                        error.to_string(),
                    ))));
                }
            }
        }
    }

    /// The account each command touches, if any (a hold's or grant's account from its
    /// committed row: they never move between accounts).
    fn accounts_touched(
        &self,
        commands: &[(Command, Option<Idempotency>)],
    ) -> Result<Vec<Option<String>>, StoreError> {
        let mut touched = Vec::with_capacity(commands.len());
        for (command, _) in commands {
            let account_id = match command {
                Command::CreateAccount { id: Some(id), .. } => Some(id.clone()),
                Command::CreateGrant { account_id, .. }
                | Command::Charge { account_id, .. }
                | Command::Hold { account_id, .. }
                | Command::CreateApiKey { account_id, .. }
                | Command::CreatePortalLink { account_id, .. }
                | Command::Subscribe { account_id, .. }
                | Command::CancelSubscription { account_id }
                | Command::PutAutoTopup { account_id, .. }
                | Command::DeleteAutoTopup { account_id }
                | Command::UpdateAccount { account_id, .. }
                | Command::PutLimits { account_id, .. }
                | Command::Purchase { account_id, .. } => Some(account_id.clone()),
                Command::Capture { hold_id, .. }
                | Command::VoidHold { hold_id, .. }
                | Command::CapturePart { hold_id, .. }
                | Command::ExtendHold { hold_id, .. } => {
                    self.store.hold(hold_id)?.map(|hold| hold.account_id)
                }
                Command::CompletePurchase { purchase_id, .. }
                | Command::EndPurchase { purchase_id, .. } => self
                    .store
                    .purchase(purchase_id)?
                    .map(|purchase| purchase.account_id),
                Command::RefundHold { hold_id, .. } => {
                    self.store.hold(hold_id)?.map(|hold| hold.account_id)
                }
                Command::RefundCharge { charge_id, .. } => self
                    .store
                    .charge_written(charge_id)?
                    .map(|charge| charge.account_id),
                // Redeeming locks the link's account: two nodes redeeming the same link take
                // turns, and the second reads the first's `used_at` once it holds the lock.
                Command::RedeemPortalLink { token_hash } => self
                    .store
                    .portal_link(token_hash)?
                    .map(|link| link.account_id),
                Command::VoidGrant { grant_id } => {
                    self.store.grant(grant_id)?.map(|grant| grant.account_id)
                }
                Command::CreateAccount { id: None, .. }
                | Command::PutRateCard { .. }
                | Command::PutFirstRateCard { .. }
                | Command::SetMetaIfAbsent { .. }
                | Command::RevokeApiKey { .. }
                | Command::TouchApiKey { .. }
                | Command::MoveClock { .. } => None,
            };
            touched.push(account_id);
        }
        Ok(touched)
    }

    fn try_shared_batch(
        &mut self,
        commands: &[(Command, Option<Idempotency>)],
        actors: &[Option<std::sync::Arc<str>>],
    ) -> Result<Vec<Reply>, StoreError> {
        let store = self.store.clone();
        let touched = self.accounts_touched(commands)?;
        let account_ids: Vec<String> = touched
            .iter()
            .flatten()
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut shared = store.begin_shared_batch()?;
        let transaction = shared
            .as_mut()
            .expect("engine: a shared store opens shared batches");
        let locked = transaction.lock_loadable_accounts(&account_ids)?;
        // An account whose stored state does not load is left alone: its commands are answered
        // `AccountUnavailable`, and the rest of the batch goes on.
        let unavailable: BTreeSet<String> = locked
            .unavailable
            .into_iter()
            .map(|account| {
                tracing::error!(
                    account_id = %account.account_id,
                    problem = %account.problem,
                    "engine: an account's stored state does not load; its commands are \
                     answered 503 account_unavailable until it is repaired"
                );
                account.account_id
            })
            .collect();
        let locked = locked.states;
        // The idempotency keys, locked after the accounts and in key order (so two nodes never
        // deadlock), read before anything is applied: a failed lookup fails this attempt, and
        // the whole batch is tried again.
        let mut keys: Vec<(String, String)> = commands
            .iter()
            .filter_map(|(_, idempotency)| idempotency.as_ref())
            .map(|idempotency| (idempotency.scope.clone(), idempotency.key.clone()))
            .collect();
        keys.sort();
        keys.dedup();
        // All of them at once: on PostgreSQL one round trip for the locks, one for the records.
        let records = transaction.idempotency_keys(&keys)?;
        if records.len() != keys.len() {
            return Err(StoreError::Corrupt(format!(
                "engine: the store answered {} of {} idempotency keys",
                records.len(),
                keys.len()
            )));
        }
        let mut known_keys = HashMap::with_capacity(keys.len());
        for (slot, record) in keys.into_iter().zip(records) {
            let known = match record {
                Some(record) => KnownKey::Recorded(record),
                None => KnownKey::Unused,
            };
            known_keys.insert(slot, known);
        }
        // The clock is read after the locks: entries follow those of the node that held them.
        let mut batch = Batch::new(self.batch_now());
        batch.keys = known_keys;
        self.ids.raise_floor(batch.now.as_micros());
        for state in locked {
            self.adopt(state);
        }
        for state in transaction.claim_due(batch.now, SHARED_DUE_ACCOUNTS_PER_BATCH)? {
            if self.accounts.contains_key(&state.account.id) {
                continue;
            }
            let account_id = state.account.id.clone();
            self.adopt(state);
            self.run_due_on(&account_id, &mut batch);
        }
        let mut replies = Vec::with_capacity(commands.len());
        for (((command, idempotency), actor), account) in commands.iter().zip(actors).zip(&touched)
        {
            if let Some(account_id) = account.as_ref().filter(|id| unavailable.contains(*id)) {
                replies.push(Err(EngineError::AccountUnavailable {
                    account_id: account_id.clone(),
                }));
                continue;
            }
            let actor = actor.as_deref();
            replies.push(self.handle(command.clone(), idempotency.clone(), actor, &mut batch));
        }
        let write = self.finish_batch(&mut batch);
        let transaction = shared.expect("engine: the shared batch is open");
        transaction.commit(&write)?;
        Ok(replies)
    }

    /// Takes a loaded account state into this batch.
    fn adopt(&mut self, state: AccountState) {
        let account_id = state.account.id.clone();
        for hold in state.pending_holds() {
            self.hold_index.insert(hold.id.clone(), account_id.clone());
        }
        for purchase in state.pending_purchases() {
            self.purchase_index
                .insert(purchase.id.clone(), account_id.clone());
        }
        self.accounts.insert(account_id, Box::new(state));
    }
}
