//! The audit log's side of the engine: which commands are admin actions worth a record, and
//! the record one writes when it succeeds. The record goes into the batch's write, so it is
//! committed with the change it records or lost with it; a refusal or a replay changes
//! nothing and writes none. The caller (an admin key's id) comes with the submission: the
//! engine only copies it.

use tally_core::Timestamp;
use tally_store::AuditRecord;

use crate::{Command, Outcome};

/// What a command will record if it succeeds: its action, and what it names already.
pub(crate) struct Planned {
    action: &'static str,
    target_id: Option<String>,
    account_id: Option<String>,
}

/// The record an admin's command writes, if it is an admin action (ledger operations an
/// admin makes, charges and holds, are in the entries already; bookkeeping is not an action).
pub(crate) fn plan(command: &Command) -> Option<Planned> {
    let on_account = |action, account_id: &String| Planned {
        action,
        target_id: Some(account_id.clone()),
        account_id: Some(account_id.clone()),
    };
    let on = |action, target_id: &String| Planned {
        action,
        target_id: Some(target_id.clone()),
        account_id: None,
    };
    let made = |action, account_id: Option<&String>| Planned {
        action,
        target_id: None,
        account_id: account_id.cloned(),
    };
    Some(match command {
        Command::CreateAccount { .. } => made("account.create", None),
        Command::UpdateAccount { account_id, .. } => on_account("account.update", account_id),
        Command::PutLimits { account_id, .. } => on_account("limits.put", account_id),
        Command::CreateGrant { account_id, .. } => made("grant.create", Some(account_id)),
        Command::VoidGrant { grant_id } => on("grant.void", grant_id),
        Command::CreateApiKey { account_id, .. } => made("key.create", Some(account_id)),
        Command::RevokeApiKey { key_id } => on("key.revoke", key_id),
        Command::Subscribe { account_id, .. } => on_account("subscription.put", account_id),
        Command::CancelSubscription { account_id } => on_account("subscription.cancel", account_id),
        Command::Purchase {
            account_id, paid, ..
        } => {
            let action = if *paid {
                "purchase.paid"
            } else {
                "purchase.create"
            };
            made(action, Some(account_id))
        }
        Command::CompletePurchase { purchase_id, .. } => on("purchase.complete", purchase_id),
        Command::EndPurchase { purchase_id, end } => {
            let action = match end {
                tally_core::PurchaseEnd::Failed => "purchase.fail",
                tally_core::PurchaseEnd::Canceled => "purchase.cancel",
            };
            on(action, purchase_id)
        }
        Command::PutAutoTopup { account_id, .. } => on_account("auto_topup.put", account_id),
        Command::DeleteAutoTopup { account_id } => on_account("auto_topup.delete", account_id),
        Command::PutRateCard { .. } => made("rate_card.put", None),
        Command::RefundCharge { charge_id, .. } => on("refund.charge", charge_id),
        Command::RefundHold { hold_id, .. } => on("refund.hold", hold_id),
        Command::MoveClock { .. } => Planned {
            action: "clock.move",
            target_id: Some("clock".into()),
            account_id: None,
        },
        Command::Charge { .. }
        | Command::Hold { .. }
        | Command::Capture { .. }
        | Command::CapturePart { .. }
        | Command::ExtendHold { .. }
        | Command::VoidHold { .. }
        | Command::TouchApiKey { .. }
        | Command::CreatePortalLink { .. }
        | Command::RedeemPortalLink { .. }
        | Command::PutFirstRateCard { .. }
        | Command::SetMetaIfAbsent { .. } => return None,
    })
}

impl Planned {
    /// The record of the action, now that it succeeded with `outcome`: what it made (a grant,
    /// a key, a purchase, a rate card version) is its target.
    pub(crate) fn record(
        self,
        id: String,
        actor: &str,
        outcome: &Outcome,
        at: Timestamp,
    ) -> AuditRecord {
        let (made, account_id) = match outcome {
            Outcome::Account(account) => (Some(account.id.clone()), Some(account.id.clone())),
            Outcome::Grant(grant) => (Some(grant.id.clone()), Some(grant.account_id.clone())),
            Outcome::ApiKey { record, .. } | Outcome::ApiKeyRevoked(record) => {
                (Some(record.id.clone()), record.account_id.clone())
            }
            Outcome::Purchase { purchase, .. } => {
                (Some(purchase.id.clone()), Some(purchase.account_id.clone()))
            }
            Outcome::RateCard(card) => (Some(card.version().to_string()), None),
            Outcome::Refund(refund) => (None, Some(refund.account_id.clone())),
            _ => (None, None),
        };
        AuditRecord {
            id,
            at,
            actor: actor.to_string(),
            action: self.action.to_string(),
            target_id: self.target_id.or(made).unwrap_or_default(),
            account_id: self.account_id.or(account_id),
        }
    }
}
