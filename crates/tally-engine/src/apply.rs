//! One function per command: each looks up what it needs first (through [`Known`] for what
//! is not in memory), then applies the command with the pure core, then notes what the batch
//! touched. A refusal returns before anything changed.

use std::collections::HashMap;

use tally_core::{
    Account, AccountState, CaptureAmount, DebitSpec, GrantSpec, Hold, Millicredits, PortalLink,
    PurchaseEnd, RefundOf, Rejection, Timestamp,
};
use tally_store::{ApiKeyRecord, RateCardRecord};

use crate::batch::Batch;
use crate::engine::Engine;
use crate::ids::new_id;
use crate::{Command, EngineError, Outcome, TEST_CLOCK_META};

type Applied = Result<Outcome, EngineError>;

/// The account's state, or the refusal for an unknown account.
fn account<'a>(
    accounts: &'a mut HashMap<String, Box<AccountState>>,
    account_id: &str,
) -> Result<&'a mut AccountState, Rejection> {
    accounts
        .get_mut(account_id)
        .map(|state| &mut **state)
        .ok_or(Rejection::AccountNotFound)
}

impl Engine {
    /// Applies one command to the batch.
    pub(crate) fn execute(&mut self, command: Command, batch: &mut Batch) -> Applied {
        match command {
            Command::CreateAccount {
                id,
                name,
                overdraft_limit,
                metadata,
            } => self.create_account(batch, id, name, overdraft_limit, metadata),
            Command::CreateGrant { account_id, spec } => {
                self.create_grant(batch, &account_id, spec)
            }
            Command::VoidGrant { grant_id } => self.void_grant(batch, &grant_id),
            Command::Charge { account_id, spec } => self.charge(batch, &account_id, spec),
            Command::Hold {
                account_id,
                spec,
                ttl_seconds,
            } => self.hold(batch, &account_id, spec, ttl_seconds),
            Command::Capture {
                hold_id,
                owner,
                amount,
                extra,
            } => self.capture(batch, &hold_id, owner.as_deref(), amount, extra),
            Command::VoidHold { hold_id, owner } => {
                self.void_hold(batch, &hold_id, owner.as_deref())
            }
            Command::CreateApiKey {
                account_id,
                key_hash,
                secret,
            } => self.create_api_key(batch, account_id, key_hash, secret),
            Command::RevokeApiKey { key_id } => self.revoke_api_key(batch, key_id),
            Command::TouchApiKey { key_id, at } => {
                batch.write.touched_api_keys.push((key_id, at));
                Ok(Outcome::Nothing)
            }
            Command::Subscribe {
                account_id,
                plan_id,
                seats,
            } => self.subscribe(batch, &account_id, &plan_id, seats),
            Command::PutAutoTopup {
                account_id,
                pack_id,
                threshold,
                monthly_max,
                cooldown_seconds,
                complete,
            } => {
                let pack = self.catalog.pack(&pack_id).cloned().ok_or_else(|| {
                    Rejection::PackNotFound {
                        pack_id: pack_id.clone(),
                    }
                })?;
                let spec = tally_core::AutoTopupSpec {
                    pack,
                    threshold,
                    monthly_max,
                    cooldown_seconds,
                    complete,
                    purchase_expires_after_seconds: self.catalog.purchase_expires_after_seconds,
                    checkout_url: self.catalog.checkout_url.clone(),
                };
                let state = account(&mut self.accounts, &account_id)?;
                let topup =
                    state.set_auto_topup(spec, batch.now, &mut self.ids, &mut batch.write.effects);
                self.touched(batch, &account_id);
                Ok(Outcome::AutoTopup {
                    topup: Box::new(topup),
                    removed: false,
                })
            }
            Command::DeleteAutoTopup { account_id } => {
                let state = account(&mut self.accounts, &account_id)?;
                state.run_due(batch.now, &mut self.ids, &mut batch.write.effects);
                let topup = state
                    .remove_auto_topup(batch.now, &mut batch.write.effects)
                    .ok_or(Rejection::AutoTopupNotFound)?;
                self.touched(batch, &account_id);
                Ok(Outcome::AutoTopup {
                    topup: Box::new(topup),
                    removed: true,
                })
            }
            Command::CancelSubscription { account_id } => {
                self.cancel_subscription(batch, &account_id)
            }
            Command::Purchase {
                account_id,
                pack_id,
                paid,
            } => self.purchase(batch, &account_id, &pack_id, paid),
            Command::CompletePurchase {
                purchase_id,
                payment_reference,
            } => self.complete_purchase(batch, &purchase_id, payment_reference),
            Command::EndPurchase { purchase_id, end } => {
                self.end_purchase(batch, &purchase_id, end)
            }
            Command::PutRateCard { document } => self.put_rate_card(batch, document),
            Command::PutFirstRateCard { document } => {
                if self.known(batch).latest_rate_card_version()? > 0 {
                    return Ok(Outcome::Nothing);
                }
                self.put_rate_card(batch, document)
            }
            Command::SetMetaIfAbsent { key, value } => {
                if self.known(batch).meta(&key)?.is_none() {
                    batch.write.meta_if_absent.push((key, value));
                }
                Ok(Outcome::Nothing)
            }
            Command::MoveClock { to } => self.move_clock(batch, to),
            Command::CreatePortalLink {
                account_id,
                token_hash,
                url,
                ttl_seconds,
                return_url,
            } => {
                if !self.accounts.contains_key(&account_id) {
                    return Err(Rejection::AccountNotFound.into());
                }
                let link = PortalLink::new(
                    new_id("portal_"),
                    account_id,
                    token_hash,
                    batch.now,
                    ttl_seconds,
                    return_url,
                )?;
                batch.write.new_portal_links.push(link.clone());
                batch
                    .portal_links
                    .insert(link.token_hash.clone(), link.clone());
                Ok(Outcome::PortalLink {
                    link: Box::new(link),
                    url,
                })
            }
            Command::RedeemPortalLink { token_hash } => {
                let mut link = self
                    .known(batch)
                    .portal_link(&token_hash)?
                    .ok_or(Rejection::PortalLinkNotFound)?;
                link.redeem(batch.now)?;
                batch
                    .write
                    .redeemed_portal_links
                    .push((link.id.clone(), batch.now));
                batch.portal_links.insert(token_hash, link.clone());
                Ok(Outcome::PortalLinkRedeemed(Box::new(link)))
            }
            Command::CapturePart {
                hold_id,
                owner,
                amount,
                extra,
                settle,
            } => self.capture_part(batch, &hold_id, owner.as_deref(), amount, extra, settle),
            Command::ExtendHold {
                hold_id,
                owner,
                amount,
                ttl_seconds,
            } => self.extend_hold(batch, &hold_id, owner.as_deref(), amount, ttl_seconds),
            Command::RefundCharge {
                charge_id,
                owner,
                amount,
                reason,
            } => {
                let charge = self
                    .known(batch)
                    .charge(&charge_id)?
                    .filter(|charge| {
                        owner
                            .as_deref()
                            .is_none_or(|owner| owner == charge.account_id)
                    })
                    .ok_or(Rejection::ChargeNotFound)?;
                self.refund(batch, RefundOf::Charge(charge), amount, reason)
            }
            Command::RefundHold {
                hold_id,
                owner,
                amount,
                reason,
            } => {
                let hold = self
                    .known(batch)
                    .hold_written(&hold_id)?
                    .filter(|hold| {
                        owner
                            .as_deref()
                            .is_none_or(|owner| owner == hold.account_id)
                    })
                    .ok_or(Rejection::HoldNotFound)?;
                self.refund(batch, RefundOf::Hold(hold), amount, reason)
            }
            Command::UpdateAccount { account_id, patch } => {
                let state = account(&mut self.accounts, &account_id)?;
                let account = state.update_account(
                    patch,
                    batch.now,
                    &mut self.ids,
                    &mut batch.write.effects,
                )?;
                let outcome = Outcome::AccountUpdated {
                    account: Box::new(account),
                    totals: state.totals(),
                    grants: state
                        .grants()
                        .iter()
                        .filter(|grant| grant.status() == tally_core::GrantStatus::Active)
                        .cloned()
                        .collect(),
                    subscription: state.subscription().cloned().map(Box::new),
                    at: batch.now,
                };
                self.touched(batch, &account_id);
                Ok(outcome)
            }
            Command::PutLimits { account_id, limits } => {
                let state = account(&mut self.accounts, &account_id)?;
                let statuses =
                    state.set_limits(limits, batch.now, &mut self.ids, &mut batch.write.effects)?;
                self.touched(batch, &account_id);
                Ok(Outcome::Limits(statuses))
            }
        }
    }

    /// Notes a change to the account: it is written with the batch, rescheduled, and its
    /// balance watched for the alerts the change calls for.
    fn touched(&mut self, batch: &mut Batch, account_id: &str) {
        if let Some(state) = self.accounts.get_mut(account_id) {
            state.watch_balance(batch.now, &mut self.ids, &mut batch.write.effects);
        }
        batch.touched.insert(account_id.to_string());
        self.reschedule(account_id);
    }

    /// A refused debit writes what the refusal calls for and nothing else: for lack of
    /// credits, the `balance.depleted` it may fire; refused by a limit, its `limit.reached`
    /// (once per window), with the account's event count and the limit's counter.
    fn refused(
        &mut self,
        batch: &mut Batch,
        account_id: &str,
        rejection: Rejection,
    ) -> EngineError {
        if let Rejection::LimitExceeded { .. } = &rejection {
            self.touched(batch, account_id);
        }
        if let Rejection::InsufficientCredits { required, .. } = rejection
            && let Some(state) = self.accounts.get_mut(account_id)
        {
            let before = state.event_sequence();
            state.watch_refusal(required, batch.now, &mut self.ids, &mut batch.write.effects);
            if state.event_sequence() != before {
                batch.touched.insert(account_id.to_string());
            }
        }
        rejection.into()
    }

    fn create_account(
        &mut self,
        batch: &mut Batch,
        id: Option<String>,
        name: Option<String>,
        overdraft_limit: Millicredits,
        metadata: Option<String>,
    ) -> Applied {
        let id = id.unwrap_or_else(|| new_id("acct_"));
        if self.accounts.contains_key(&id) {
            return Err(Rejection::AccountExists.into());
        }
        let account = Account {
            id: id.clone(),
            name,
            overdraft_limit,
            metadata,
            created_at: batch.now,
            settings: Default::default(),
        };
        self.accounts
            .insert(id.clone(), Box::new(AccountState::new(account.clone())));
        batch.write.new_accounts.push(account.clone());
        batch.touched.insert(id);
        Ok(Outcome::Account(Box::new(account)))
    }

    fn create_grant(&mut self, batch: &mut Batch, account_id: &str, spec: GrantSpec) -> Applied {
        let state = account(&mut self.accounts, account_id)?;
        let grant = state.create_grant(spec, batch.now, &mut self.ids, &mut batch.write.effects)?;
        self.touched(batch, account_id);
        Ok(Outcome::Grant(Box::new(grant)))
    }

    fn void_grant(&mut self, batch: &mut Batch, grant_id: &str) -> Applied {
        let account_id = self
            .known(batch)
            .grant_account(grant_id)?
            .ok_or(Rejection::GrantNotFound)?;
        let state = account(&mut self.accounts, &account_id)?;
        match state.void_grant(grant_id, batch.now, &mut self.ids, &mut batch.write.effects)? {
            Some(grant) => {
                self.touched(batch, &account_id);
                Ok(Outcome::Grant(Box::new(grant)))
            }
            // Finished before (depleted, or ended): answer it as it stands.
            None => match self.known(batch).grant(grant_id)? {
                Some(grant) => Ok(Outcome::Grant(Box::new(grant))),
                None => Err(Rejection::GrantNotFound.into()),
            },
        }
    }

    fn charge(&mut self, batch: &mut Batch, account_id: &str, spec: DebitSpec) -> Applied {
        let state = account(&mut self.accounts, account_id)?;
        let charge = match state.charge(spec, batch.now, &mut self.ids, &mut batch.write.effects) {
            Ok(charge) => charge,
            Err(rejection) => return Err(self.refused(batch, account_id, rejection)),
        };
        self.touched(batch, account_id);
        Ok(Outcome::Charge(Box::new(charge)))
    }

    fn hold(
        &mut self,
        batch: &mut Batch,
        account_id: &str,
        spec: DebitSpec,
        ttl_seconds: i64,
    ) -> Applied {
        let state = account(&mut self.accounts, account_id)?;
        let hold = match state.hold(
            spec,
            ttl_seconds,
            batch.now,
            &mut self.ids,
            &mut batch.write.effects,
        ) {
            Ok(hold) => hold,
            Err(rejection) => return Err(self.refused(batch, account_id, rejection)),
        };
        self.hold_index
            .insert(hold.id.clone(), account_id.to_string());
        self.touched(batch, account_id);
        Ok(Outcome::Hold(Box::new(hold)))
    }

    /// The account of a pending hold the caller may act on. A hold of another account is
    /// not found, whatever its state.
    fn hold_account(
        &self,
        batch: &Batch,
        hold_id: &str,
        owner: Option<&str>,
    ) -> Result<String, EngineError> {
        let visible = |account_id: &str| owner.is_none_or(|owner| owner == account_id);
        if let Some(account_id) = self.hold_index.get(hold_id) {
            if visible(account_id) {
                return Ok(account_id.clone());
            }
            return Err(Rejection::HoldNotFound.into());
        }
        match self.known(batch).hold(hold_id)? {
            Some((account_id, status)) if visible(&account_id) => {
                Err(Rejection::HoldNotPending { status }.into())
            }
            _ => Err(Rejection::HoldNotFound.into()),
        }
    }

    fn capture(
        &mut self,
        batch: &mut Batch,
        hold_id: &str,
        owner: Option<&str>,
        amount: Option<Millicredits>,
        extra: Option<String>,
    ) -> Applied {
        let account_id = self.hold_account(batch, hold_id, owner)?;
        let state = account(&mut self.accounts, &account_id)?;
        let hold = state.capture(
            hold_id,
            amount,
            extra,
            batch.now,
            &mut self.ids,
            &mut batch.write.effects,
        )?;
        self.resolved(batch, &account_id, &hold);
        Ok(Outcome::Hold(Box::new(hold)))
    }

    /// A capture in parts: one that is not final keeps the hold pending (and in the hold
    /// index); a final one settles it, as [`Engine::capture`] does.
    fn capture_part(
        &mut self,
        batch: &mut Batch,
        hold_id: &str,
        owner: Option<&str>,
        amount: CaptureAmount,
        extra: Option<String>,
        settle: bool,
    ) -> Applied {
        let account_id = self.hold_account(batch, hold_id, owner)?;
        let state = account(&mut self.accounts, &account_id)?;
        let hold = state.capture_part(
            hold_id,
            amount,
            extra,
            settle,
            batch.now,
            &mut self.ids,
            &mut batch.write.effects,
        )?;
        if settle {
            self.resolved(batch, &account_id, &hold);
            return Ok(Outcome::Hold(Box::new(hold)));
        }
        self.touched(batch, &account_id);
        Ok(Outcome::HoldChanged(Box::new(hold)))
    }

    fn extend_hold(
        &mut self,
        batch: &mut Batch,
        hold_id: &str,
        owner: Option<&str>,
        amount: Option<Millicredits>,
        ttl_seconds: Option<i64>,
    ) -> Applied {
        let account_id = self.hold_account(batch, hold_id, owner)?;
        let state = account(&mut self.accounts, &account_id)?;
        let hold = match state.extend_hold(
            hold_id,
            amount,
            ttl_seconds,
            batch.now,
            &mut self.ids,
            &mut batch.write.effects,
        ) {
            Ok(hold) => hold,
            Err(rejection) => return Err(self.refused(batch, &account_id, rejection)),
        };
        self.touched(batch, &account_id);
        Ok(Outcome::HoldChanged(Box::new(hold)))
    }

    /// A refund: the grants its draws name that the account's state no longer keeps are
    /// looked up first (as last written), for the core to give back to.
    fn refund(
        &mut self,
        batch: &mut Batch,
        of: RefundOf,
        amount: Option<Millicredits>,
        reason: Option<String>,
    ) -> Applied {
        let (account_id, lines): (String, Vec<String>) = match &of {
            RefundOf::Charge(charge) => (
                charge.account_id.clone(),
                charge.drawn.iter().map(|(id, _)| id.clone()).collect(),
            ),
            RefundOf::Hold(hold) => (
                hold.account_id.clone(),
                hold.captured_from
                    .iter()
                    .filter_map(|draw| draw.line.grant_id().map(str::to_string))
                    .collect(),
            ),
        };
        let mut grants = Vec::new();
        {
            let state = account(&mut self.accounts, &account_id)?;
            let missing: Vec<String> = lines
                .into_iter()
                .filter(|grant_id| state.grant(grant_id).is_none())
                .collect();
            let known = self.known(batch);
            for grant_id in missing {
                if let Some(grant) = known.grant(&grant_id)? {
                    grants.push(grant);
                }
            }
        }
        let state = account(&mut self.accounts, &account_id)?;
        let refund = state.refund(
            of,
            amount,
            reason,
            grants,
            batch.now,
            &mut self.ids,
            &mut batch.write.effects,
        )?;
        self.touched(batch, &account_id);
        Ok(Outcome::Refund(Box::new(refund)))
    }

    fn void_hold(&mut self, batch: &mut Batch, hold_id: &str, owner: Option<&str>) -> Applied {
        let account_id = self.hold_account(batch, hold_id, owner)?;
        let state = account(&mut self.accounts, &account_id)?;
        let hold = state.void_hold(hold_id, batch.now, &mut self.ids, &mut batch.write.effects)?;
        self.resolved(batch, &account_id, &hold);
        Ok(Outcome::Hold(Box::new(hold)))
    }

    fn resolved(&mut self, batch: &mut Batch, account_id: &str, hold: &Hold) {
        self.hold_index.remove(&hold.id);
        batch
            .resolved_holds
            .insert(hold.id.clone(), (account_id.to_string(), hold.status));
        self.touched(batch, account_id);
    }

    fn create_api_key(
        &mut self,
        batch: &mut Batch,
        account_id: String,
        key_hash: String,
        secret: String,
    ) -> Applied {
        if !self.accounts.contains_key(&account_id) {
            return Err(Rejection::AccountNotFound.into());
        }
        let record = ApiKeyRecord {
            id: new_id("key_"),
            account_id: Some(account_id),
            key_hash,
            created_at: batch.now,
            last_used_at: None,
            revoked_at: None,
        };
        batch.new_keys.insert(record.id.clone(), record.clone());
        batch.write.new_api_keys.push(record.clone());
        Ok(Outcome::ApiKey {
            record: Box::new(record),
            secret,
        })
    }

    fn revoke_api_key(&mut self, batch: &mut Batch, key_id: String) -> Applied {
        let mut record = self
            .known(batch)
            .api_key(&key_id)?
            .ok_or(Rejection::KeyNotFound)?;
        if record.revoked_at.is_none() {
            record.revoked_at = Some(batch.now);
            batch.write.revoked_api_keys.push((key_id, batch.now));
        }
        Ok(Outcome::ApiKeyRevoked(Box::new(record)))
    }

    fn subscribe(
        &mut self,
        batch: &mut Batch,
        account_id: &str,
        plan_id: &str,
        seats: u32,
    ) -> Applied {
        let plan = self
            .catalog
            .plan(plan_id)
            .cloned()
            .ok_or_else(|| Rejection::PlanNotFound {
                plan_id: plan_id.to_string(),
            })?;
        let state = account(&mut self.accounts, account_id)?;
        let subscription = state.subscribe(
            &plan,
            seats,
            batch.now,
            &mut self.ids,
            &mut batch.write.effects,
        )?;
        self.touched(batch, account_id);
        Ok(Outcome::Subscription(Box::new(subscription)))
    }

    fn cancel_subscription(&mut self, batch: &mut Batch, account_id: &str) -> Applied {
        let state = account(&mut self.accounts, account_id)?;
        let subscription =
            state.cancel_subscription(batch.now, &mut self.ids, &mut batch.write.effects)?;
        self.touched(batch, account_id);
        Ok(Outcome::Subscription(Box::new(subscription)))
    }

    fn purchase(
        &mut self,
        batch: &mut Batch,
        account_id: &str,
        pack_id: &str,
        paid: bool,
    ) -> Applied {
        let pack = self
            .catalog
            .pack(pack_id)
            .cloned()
            .ok_or_else(|| Rejection::PackNotFound {
                pack_id: pack_id.to_string(),
            })?;
        let expires_after = self.catalog.purchase_expires_after_seconds;
        let state = account(&mut self.accounts, account_id)?;
        let effects = &mut batch.write.effects;
        let (purchase, grant) = if paid {
            let (purchase, grant) = state.purchase_paid(
                &pack,
                batch.now,
                expires_after,
                None,
                &mut self.ids,
                effects,
            )?;
            (purchase, Some(Box::new(grant)))
        } else {
            let checkout_url = self.catalog.checkout_url.as_deref();
            let purchase = state.open_purchase(
                &pack,
                batch.now,
                expires_after,
                checkout_url,
                &mut self.ids,
                effects,
            )?;
            self.purchase_index
                .insert(purchase.id.clone(), account_id.to_string());
            (purchase, None)
        };
        self.touched(batch, account_id);
        Ok(Outcome::Purchase {
            purchase: Box::new(purchase),
            grant,
            opened: true,
        })
    }

    /// The account of a pending purchase; a purchase that ended is refused with its status.
    fn purchase_account(&self, batch: &Batch, purchase_id: &str) -> Result<String, EngineError> {
        if let Some(account_id) = self.purchase_index.get(purchase_id) {
            return Ok(account_id.clone());
        }
        match self.known(batch).purchase(purchase_id)? {
            // Opened inside another command (an auto top-up), so not indexed: pending in its
            // account's state.
            Some(purchase)
                if self
                    .accounts
                    .get(&purchase.account_id)
                    .is_some_and(|state| state.pending_purchase(purchase_id).is_some()) =>
            {
                Ok(purchase.account_id)
            }
            Some(purchase) => Err(Rejection::PurchaseNotPending {
                status: purchase.status,
            }
            .into()),
            None => Err(Rejection::PurchaseNotFound.into()),
        }
    }

    fn complete_purchase(
        &mut self,
        batch: &mut Batch,
        purchase_id: &str,
        payment_reference: Option<String>,
    ) -> Applied {
        let account_id = self.purchase_account(batch, purchase_id)?;
        let state = account(&mut self.accounts, &account_id)?;
        let completed = state.complete_purchase(
            purchase_id,
            payment_reference,
            batch.now,
            &mut self.ids,
            &mut batch.write.effects,
        );
        let (purchase, grant) =
            self.purchase_resolved(batch, &account_id, purchase_id, completed)?;
        Ok(Outcome::Purchase {
            purchase: Box::new(purchase),
            grant: Some(Box::new(grant)),
            opened: false,
        })
    }

    fn end_purchase(&mut self, batch: &mut Batch, purchase_id: &str, end: PurchaseEnd) -> Applied {
        let account_id = self.purchase_account(batch, purchase_id)?;
        let state = account(&mut self.accounts, &account_id)?;
        let ended = state.end_purchase(
            purchase_id,
            end,
            batch.now,
            &mut self.ids,
            &mut batch.write.effects,
        );
        let purchase = self.purchase_resolved(batch, &account_id, purchase_id, ended)?;
        Ok(Outcome::Purchase {
            purchase: Box::new(purchase),
            grant: None,
            opened: false,
        })
    }

    /// After a command on a pending purchase: the account is touched (its due work may have
    /// run), and a purchase no longer pending leaves the index. A purchase the due work just
    /// expired is refused with its status.
    fn purchase_resolved<T>(
        &mut self,
        batch: &mut Batch,
        account_id: &str,
        purchase_id: &str,
        result: Result<T, Rejection>,
    ) -> Result<T, EngineError> {
        self.touched(batch, account_id);
        let still_pending = self
            .accounts
            .get(account_id)
            .is_some_and(|state| state.pending_purchase(purchase_id).is_some());
        if !still_pending {
            self.purchase_index.remove(purchase_id);
        }
        match result {
            Err(Rejection::PurchaseNotFound) => match self.known(batch).purchase(purchase_id)? {
                Some(purchase) => Err(Rejection::PurchaseNotPending {
                    status: purchase.status,
                }
                .into()),
                None => Err(Rejection::PurchaseNotFound.into()),
            },
            other => other.map_err(EngineError::from),
        }
    }

    fn put_rate_card(
        &mut self,
        batch: &mut Batch,
        document: tally_core::pricing::RateCardDocument,
    ) -> Applied {
        let version = self.known(batch).latest_rate_card_version()? + 1;
        let card = document.into_card(version, batch.now.to_rfc3339());
        batch.write.new_rate_cards.push(RateCardRecord {
            version,
            effective_at: batch.now,
            document: tally_core::pricing::to_json(&card).to_string(),
            created_at: batch.now,
        });
        Ok(Outcome::RateCard(Box::new(card)))
    }

    fn move_clock(&mut self, batch: &mut Batch, to: Timestamp) -> Applied {
        let Some(test_clock) = &self.test_clock else {
            return Err(EngineError::TestClockOff);
        };
        test_clock
            .set(to)
            .map_err(|now| EngineError::ClockBackwards { now })?;
        batch
            .write
            .meta
            .push((TEST_CLOCK_META.to_string(), to.as_micros().to_string()));
        // The rest of the batch happens at the new instant, after what fell due until then.
        batch.now = to;
        self.run_due(batch);
        Ok(Outcome::Clock(to))
    }
}
