//! Credit pack purchases and their payment state: a pack's credits are granted only when its
//! purchase is paid.
//!
//! A purchase opens `pending` (no grant, no credits) and ends exactly once: `completed` (the
//! pack's grant is issued then, and only then), `failed`, `canceled`, or `expired` when it is
//! still pending at its `expires_at` (due work, like a hold's expiry). Only pending purchases
//! live in the account's state; an ended one is final and only the store keeps it. The pack is
//! copied into the purchase when it opens, so a catalog change before the payment arrives
//! changes neither what is granted nor what was charged.

use super::events::EventKind;
use super::{AccountState, Effects, GrantSource, GrantSpec, IdKind, IdSource, Rejection};
use crate::amount::Millicredits;
use crate::catalog::Pack;
use crate::time::Timestamp;

/// Where a purchase is in its payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PurchaseStatus {
    /// Waiting for the payment; no credits yet.
    Pending,
    /// Paid: the pack's grant was issued.
    Completed,
    /// The payment failed.
    Failed,
    /// Canceled before it was paid.
    Canceled,
    /// Not paid in time.
    Expired,
}

impl PurchaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PurchaseStatus::Pending => "pending",
            PurchaseStatus::Completed => "completed",
            PurchaseStatus::Failed => "failed",
            PurchaseStatus::Canceled => "canceled",
            PurchaseStatus::Expired => "expired",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "pending" => PurchaseStatus::Pending,
            "completed" => PurchaseStatus::Completed,
            "failed" => PurchaseStatus::Failed,
            "canceled" => PurchaseStatus::Canceled,
            "expired" => PurchaseStatus::Expired,
            _ => return None,
        })
    }
}

/// One purchase of a credit pack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Purchase {
    pub id: String,
    pub account_id: String,
    pub pack_id: String,
    /// The pack as it was sold: its name, credits, price and validity.
    pub pack_name: String,
    pub credits: Millicredits,
    /// US dollars, as exact decimal text.
    pub price_usd: String,
    pub grant_expires_after_days: Option<u32>,
    pub status: PurchaseStatus,
    /// The grant its completion issued.
    pub grant_id: Option<String>,
    /// The payment provider's reference (a checkout session, an invoice), given at completion.
    pub payment_reference: Option<String>,
    /// Where the buyer pays for it (the catalog's template, with this purchase's id).
    pub checkout_url: Option<String>,
    /// Opened by the auto top-up (not by a buyer).
    pub topup: bool,
    pub created_at: Timestamp,
    /// When a purchase still pending expires.
    pub expires_at: Timestamp,
    /// When it left `pending` (completed, failed, canceled or expired).
    pub resolved_at: Option<Timestamp>,
}

impl Purchase {
    /// When it completed, if it did.
    pub fn completed_at(&self) -> Option<Timestamp> {
        match self.status {
            PurchaseStatus::Completed => self.resolved_at,
            _ => None,
        }
    }
}

/// Who opened a purchase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Buyer {
    /// A buyer or the platform, by a command.
    Person,
    /// The account's auto top-up, inside a debit.
    AutoTopup,
}

/// How a pending purchase ends without payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PurchaseEnd {
    Failed,
    Canceled,
}

impl AccountState {
    /// The pending purchases, oldest first.
    pub fn pending_purchases(&self) -> &[Purchase] {
        &self.purchases
    }

    pub fn pending_purchase(&self, purchase_id: &str) -> Option<&Purchase> {
        self.purchases
            .iter()
            .find(|purchase| purchase.id == purchase_id)
    }

    /// Opens a pending purchase of `pack` that expires `expires_after_seconds` after `at`
    /// unless it is completed, failed or canceled first. No credits move.
    /// `checkout_url` is a template in which `{purchase_id}` stands for the purchase's id.
    pub fn open_purchase(
        &mut self,
        pack: &Pack,
        at: Timestamp,
        expires_after_seconds: i64,
        checkout_url: Option<&str>,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) -> Result<Purchase, Rejection> {
        let buyer = Buyer::Person;
        self.open(
            pack,
            at,
            expires_after_seconds,
            checkout_url,
            buyer,
            ids,
            effects,
        )
    }

    /// [`Self::open_purchase`], by `buyer`.
    #[expect(
        clippy::too_many_arguments,
        reason = "the public entry points name them all"
    )]
    pub(super) fn open(
        &mut self,
        pack: &Pack,
        at: Timestamp,
        expires_after_seconds: i64,
        checkout_url: Option<&str>,
        buyer: Buyer,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) -> Result<Purchase, Rejection> {
        self.run_due(at, ids, effects);
        let mut purchase = self.new_purchase(pack, at, expires_after_seconds, buyer, ids)?;
        purchase.checkout_url =
            checkout_url.map(|template| template.replace("{purchase_id}", &purchase.id));
        self.purchases.push(purchase.clone());
        effects.purchases.push(purchase.clone());
        self.recompute_next_due();
        let created = EventKind::PurchaseCreated {
            purchase: Box::new(purchase.clone()),
        };
        self.emit(created, at, ids, effects);
        Ok(purchase)
    }

    /// A purchase already paid for (the platform was paid before it asked): opened and
    /// completed in one step, with its grant. Refused, nothing changes, not even a pending
    /// purchase is left behind.
    pub fn purchase_paid(
        &mut self,
        pack: &Pack,
        at: Timestamp,
        expires_after_seconds: i64,
        payment_reference: Option<String>,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) -> Result<(Purchase, super::Grant), Rejection> {
        let buyer = Buyer::Person;
        self.paid(
            pack,
            at,
            expires_after_seconds,
            payment_reference,
            buyer,
            ids,
            effects,
        )
    }

    /// [`Self::purchase_paid`], by `buyer`.
    #[expect(
        clippy::too_many_arguments,
        reason = "the public entry points name them all"
    )]
    pub(super) fn paid(
        &mut self,
        pack: &Pack,
        at: Timestamp,
        expires_after_seconds: i64,
        payment_reference: Option<String>,
        buyer: Buyer,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) -> Result<(Purchase, super::Grant), Rejection> {
        self.run_due(at, ids, effects);
        if expires_after_seconds <= 0 {
            return Err(Rejection::PurchaseWindowInvalid);
        }
        let grant = self.create_grant(pack_grant(pack, at), at, ids, effects)?;
        let mut purchase = self.new_purchase(pack, at, expires_after_seconds, buyer, ids)?;
        purchase.status = PurchaseStatus::Completed;
        purchase.grant_id = Some(grant.id.clone());
        purchase.payment_reference = payment_reference;
        purchase.resolved_at = Some(at);
        effects.purchases.push(purchase.clone());
        let mut created = purchase.clone();
        (created.status, created.grant_id, created.resolved_at) =
            (PurchaseStatus::Pending, None, None);
        created.payment_reference = None;
        let created = EventKind::PurchaseCreated {
            purchase: Box::new(created),
        };
        self.emit(created, at, ids, effects);
        let completed = EventKind::PurchaseCompleted {
            purchase: Box::new(purchase.clone()),
            grant: Box::new(grant.clone()),
        };
        self.emit(completed, at, ids, effects);
        Ok((purchase, grant))
    }

    fn new_purchase(
        &self,
        pack: &Pack,
        at: Timestamp,
        expires_after_seconds: i64,
        buyer: Buyer,
        ids: &mut dyn IdSource,
    ) -> Result<Purchase, Rejection> {
        if expires_after_seconds <= 0 {
            return Err(Rejection::PurchaseWindowInvalid);
        }
        Ok(Purchase {
            id: ids.new_id(IdKind::Purchase),
            account_id: self.account.id.clone(),
            pack_id: pack.id.clone(),
            pack_name: pack.name.clone(),
            credits: pack.credits,
            price_usd: pack.price_usd.clone(),
            grant_expires_after_days: pack.expires_after_days,
            status: PurchaseStatus::Pending,
            grant_id: None,
            payment_reference: None,
            checkout_url: None,
            topup: buyer == Buyer::AutoTopup,
            created_at: at,
            expires_at: at.plus_seconds(expires_after_seconds),
            resolved_at: None,
        })
    }

    /// Completes a pending purchase: issues the pack's grant (source `pack`), exactly once.
    pub fn complete_purchase(
        &mut self,
        purchase_id: &str,
        payment_reference: Option<String>,
        at: Timestamp,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) -> Result<(Purchase, super::Grant), Rejection> {
        self.run_due(at, ids, effects);
        let index = self.pending_index(purchase_id)?;
        let pending = &self.purchases[index];
        let pack = Pack {
            id: pending.pack_id.clone(),
            name: pending.pack_name.clone(),
            credits: pending.credits,
            price_usd: pending.price_usd.clone(),
            expires_after_days: pending.grant_expires_after_days,
        };
        let spec = pack_grant(&pack, at);
        // The grant first: if it cannot be issued (an overflowing balance), the purchase stays
        // pending and nothing changes.
        let grant = self.create_grant(spec, at, ids, effects)?;
        let mut purchase = self.purchases.remove(index);
        purchase.status = PurchaseStatus::Completed;
        purchase.grant_id = Some(grant.id.clone());
        purchase.payment_reference = payment_reference;
        purchase.resolved_at = Some(at);
        effects.purchases.push(purchase.clone());
        let completed = EventKind::PurchaseCompleted {
            purchase: Box::new(purchase.clone()),
            grant: Box::new(grant.clone()),
        };
        self.emit(completed, at, ids, effects);
        self.topup_purchase_ended(&purchase, at, ids, effects);
        self.recompute_next_due();
        Ok((purchase, grant))
    }

    /// Ends a pending purchase without payment: no grant, ever.
    pub fn end_purchase(
        &mut self,
        purchase_id: &str,
        end: PurchaseEnd,
        at: Timestamp,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) -> Result<Purchase, Rejection> {
        self.run_due(at, ids, effects);
        let index = self.pending_index(purchase_id)?;
        let status = match end {
            PurchaseEnd::Failed => PurchaseStatus::Failed,
            PurchaseEnd::Canceled => PurchaseStatus::Canceled,
        };
        Ok(self.resolve_purchase(index, status, at, ids, effects))
    }

    /// Expires a pending purchase at its `expires_at` (due work).
    pub(super) fn expire_purchase(
        &mut self,
        purchase_id: &str,
        at: Timestamp,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) {
        if let Ok(index) = self.pending_index(purchase_id) {
            self.resolve_purchase(index, PurchaseStatus::Expired, at, ids, effects);
        }
    }

    /// Puts back the pending purchases a store persisted.
    pub fn restore_purchases(&mut self, purchases: Vec<Purchase>) {
        self.purchases = purchases
            .into_iter()
            .filter(|purchase| purchase.status == PurchaseStatus::Pending)
            .collect();
        self.purchases
            .sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        self.recompute_next_due();
    }

    fn pending_index(&self, purchase_id: &str) -> Result<usize, Rejection> {
        self.purchases
            .iter()
            .position(|purchase| purchase.id == purchase_id)
            .ok_or(Rejection::PurchaseNotFound)
    }

    fn resolve_purchase(
        &mut self,
        index: usize,
        status: PurchaseStatus,
        at: Timestamp,
        ids: &mut dyn IdSource,
        effects: &mut Effects,
    ) -> Purchase {
        let mut purchase = self.purchases.remove(index);
        purchase.status = status;
        purchase.resolved_at = Some(at);
        effects.purchases.push(purchase.clone());
        let ended = Box::new(purchase.clone());
        let kind = match status {
            PurchaseStatus::Failed => Some(EventKind::PurchaseFailed { purchase: ended }),
            PurchaseStatus::Expired => Some(EventKind::PurchaseExpired { purchase: ended }),
            // A purchase the platform canceled tells no one: it knows.
            PurchaseStatus::Canceled | PurchaseStatus::Pending | PurchaseStatus::Completed => None,
        };
        if let Some(kind) = kind {
            self.emit(kind, at, ids, effects);
        }
        self.topup_purchase_ended(&purchase, at, ids, effects);
        self.recompute_next_due();
        purchase
    }
}

/// The grant a paid pack issues at `at`: its credits, source `pack`, expiring after the
/// pack's validity.
fn pack_grant(pack: &Pack, at: Timestamp) -> GrantSpec {
    GrantSpec {
        amount: pack.credits,
        source: GrantSource::Pack,
        priority: 0,
        effective_at: None,
        expires_at: pack
            .expires_after_days
            .map(|days| at.plus_seconds(i64::from(days) * 86_400)),
        description: Some(format!("{} pack", pack.name)),
        metadata: None,
    }
}
