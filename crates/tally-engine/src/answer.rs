//! What the engine answers: outcomes as values, refusals as types. The API turns them into
//! statuses and bodies; the engine only keeps the rendered answer of an idempotent request,
//! opaque, so that a replay gets exactly the first answer.

use std::sync::Arc;

use tally_core::pricing::RateCard;
use tally_core::{
    Account, AccountTotals, AutoTopup, Charge, Grant, Hold, LimitStatus, PortalLink, Purchase,
    Refund, Rejection, Subscription, Timestamp,
};
use tally_store::{ApiKeyRecord, StoreError};

/// What a command did. Large values are boxed: outcomes cross a channel per request.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// A new account (it has no grants yet).
    Account(Box<Account>),
    Grant(Box<Grant>),
    Charge(Box<Charge>),
    Hold(Box<Hold>),
    /// A new key, with its secret (shown once: never part of a kept answer).
    ApiKey {
        record: Box<ApiKeyRecord>,
        secret: String,
    },
    ApiKeyRevoked(Box<ApiKeyRecord>),
    Subscription(Box<Subscription>),
    /// The account's auto top-up as it is now (`removed`: as it was until just now).
    AutoTopup {
        topup: Box<AutoTopup>,
        removed: bool,
    },
    /// A purchase, with the grant its completion issued (when it completed just now);
    /// `opened` when the command made it (a create, rather than a change of its state).
    Purchase {
        purchase: Box<Purchase>,
        grant: Option<Box<Grant>>,
        opened: bool,
    },
    RateCard(Box<RateCard>),
    /// The test clock's new instant.
    Clock(Timestamp),
    Nothing,
    /// A hold that existed and changed (a capture that is not final, an extension): it may
    /// still be pending, but nothing was created.
    HoldChanged(Box<Hold>),
    Refund(Box<Refund>),
    /// A new portal link, with its URL (shown once: never part of a kept answer).
    PortalLink {
        link: Box<PortalLink>,
        url: String,
    },
    /// A portal link a visit just used: its account is who the visitor signs in as.
    PortalLinkRedeemed(Box<PortalLink>),
    /// An account whose fields changed, with its balance as the batch left it: its totals,
    /// the grants that count and its plan.
    AccountUpdated {
        account: Box<Account>,
        totals: AccountTotals,
        grants: Vec<Grant>,
        subscription: Option<Box<Subscription>>,
        at: Timestamp,
    },
    /// The account's limits as a `PUT` left them, where each stands.
    Limits(Vec<LimitStatus>),
}

/// An answer the API rendered, as kept for idempotent replays. The engine never reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    pub status: u16,
    pub body: String,
}

/// The API's rendering of an outcome of a keyed request.
#[derive(Debug, Clone)]
pub struct RenderedAnswer {
    /// What the caller gets now.
    pub answer: StoredAnswer,
    /// The body to keep for replays when it differs from the answer's (a secret is shown
    /// once and never kept).
    pub kept_body: Option<String>,
}

/// Renders the outcome of a keyed request on the engine thread, so that its answer is
/// written in the same transaction as its effect.
pub type Renderer = Arc<dyn Fn(&Outcome) -> RenderedAnswer + Send + Sync>;

/// Renders an event's body (its JSON, as it is served and delivered), handed in by the API
/// like [`Renderer`]: the engine writes it and never reads it.
pub type EventRenderer = Arc<dyn Fn(&tally_core::events::Event) -> String + Send + Sync>;

/// A successful answer.
#[derive(Debug, Clone)]
pub enum Answer {
    /// Done now, without an idempotency key: the caller renders the outcome.
    Done(Outcome),
    /// Done now with a key: the outcome, and the answer rendered (and kept) with it.
    Recorded {
        outcome: Outcome,
        answer: StoredAnswer,
    },
    /// The key was used before with the same request: its first answer.
    Replayed(StoredAnswer),
}

impl Answer {
    /// The outcome, unless this is a replay (whose outcome is only its kept answer).
    pub fn outcome(&self) -> Option<&Outcome> {
        match self {
            Answer::Done(outcome) | Answer::Recorded { outcome, .. } => Some(outcome),
            Answer::Replayed(_) => None,
        }
    }
}

/// What a submitted command gets back.
pub type Reply = Result<Answer, EngineError>;

/// Why the engine did not do a command.
#[derive(Clone, Debug, thiserror::Error)]
pub enum EngineError {
    /// The ledger refused it; nothing changed.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    #[error("engine: this idempotency key was used with a different request")]
    IdempotencyConflict,
    #[error("engine: the test clock is not on")]
    TestClockOff,
    #[error("engine: the clock never moves backwards; it is {}", now.to_rfc3339())]
    ClockBackwards { now: Timestamp },
    /// The store failed, or a commit this answer depended on failed: nothing of it is
    /// durable; retry.
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("engine: {queued} requests are waiting; retry")]
    Overloaded { queued: usize },
    #[error("engine: shutting down")]
    ShuttingDown,
    /// The account's stored state does not load (a corrupt row, a broken invariant): it is
    /// left alone, and so is everything else about it, until it is repaired. Other accounts,
    /// in the same batch too, are not affected. (What is wrong is logged, not answered.)
    #[error("engine: account {account_id} is unavailable: its stored state does not load")]
    AccountUnavailable { account_id: String },
}
