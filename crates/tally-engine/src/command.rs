//! The closed set of commands the engine applies, and the idempotency context a request may
//! carry. Commands are values the API has validated; the engine checks what only the ledger
//! can (balances, holds, accounts) and refuses with a [`tally_core::Rejection`].

use tally_core::pricing::RateCardDocument;
use tally_core::{
    AccountPatch, CaptureAmount, DebitSpec, GrantSpec, LimitSpec, Millicredits, PurchaseEnd,
    Timestamp,
};
use tokio::sync::oneshot;

use crate::answer::Reply;

/// A command for the engine.
#[derive(Debug, Clone)]
pub enum Command {
    CreateAccount {
        id: Option<String>,
        name: Option<String>,
        overdraft_limit: Millicredits,
        metadata: Option<String>,
    },
    CreateGrant {
        account_id: String,
        spec: GrantSpec,
    },
    VoidGrant {
        grant_id: String,
    },
    Charge {
        account_id: String,
        spec: DebitSpec,
    },
    Hold {
        account_id: String,
        spec: DebitSpec,
        ttl_seconds: i64,
    },
    /// `owner`: the account the caller may act for (`None` for an admin).
    Capture {
        hold_id: String,
        owner: Option<String>,
        amount: Option<Millicredits>,
        extra: Option<String>,
    },
    VoidHold {
        hold_id: String,
        owner: Option<String>,
    },
    CreateApiKey {
        account_id: String,
        key_hash: String,
        secret: String,
    },
    RevokeApiKey {
        key_id: String,
    },
    TouchApiKey {
        key_id: String,
        at: Timestamp,
    },
    /// Mints a portal link for an account: only the hash of its token is kept. `url` is the
    /// link itself, handed back in the outcome (shown once, never kept).
    CreatePortalLink {
        account_id: String,
        token_hash: String,
        url: String,
        ttl_seconds: i64,
        return_url: Option<String>,
    },
    /// A visit of a portal link: it is marked used in this batch, so of any number of visits,
    /// on any number of nodes, exactly one is answered with the link.
    RedeemPortalLink {
        token_hash: String,
    },
    /// Moves the test clock and does all work that falls due.
    MoveClock {
        to: Timestamp,
    },
    /// Starts or changes the account's plan subscription.
    Subscribe {
        account_id: String,
        plan_id: String,
        seats: u32,
    },
    /// Cancels the subscription at the current period's end.
    CancelSubscription {
        account_id: String,
    },
    /// Buys a credit pack: a pending purchase (no credits until it is completed), or, when
    /// `paid`, one completed at once with its grant (the platform was paid already).
    Purchase {
        account_id: String,
        pack_id: String,
        paid: bool,
    },
    /// Sets the account's auto top-up (replacing one that is set: active again).
    PutAutoTopup {
        account_id: String,
        pack_id: String,
        threshold: Millicredits,
        monthly_max: u32,
        cooldown_seconds: i64,
        complete: bool,
    },
    /// Removes the account's auto top-up.
    DeleteAutoTopup {
        account_id: String,
    },
    /// The payment of a pending purchase arrived: its grant is issued, exactly once.
    CompletePurchase {
        purchase_id: String,
        payment_reference: Option<String>,
    },
    /// A pending purchase failed or was canceled: no credits, ever.
    EndPurchase {
        purchase_id: String,
        end: PurchaseEnd,
    },
    /// Installs a new rate card version (the engine numbers it).
    PutRateCard {
        document: RateCardDocument,
    },
    /// Installs the first rate card version, unless there is one already (bootstrap).
    PutFirstRateCard {
        document: RateCardDocument,
    },
    /// Stores a setting, unless it is set already (bootstrap: the admin key's hash, the quote
    /// signing key). Read the setting after the answer: on a shared store another node may
    /// have set it first.
    SetMetaIfAbsent {
        key: String,
        value: String,
    },
    /// A capture in parts: with `settle: false` (`final: false`) the hold stays pending with
    /// the rest still reserved; `amount` may be what brings the captures up to a total (a
    /// usage so far). `owner` as for [`Command::Capture`].
    CapturePart {
        hold_id: String,
        owner: Option<String>,
        amount: CaptureAmount,
        extra: Option<String>,
        settle: bool,
    },
    /// Reserves `amount` more on a pending hold and/or gives it a new time to live from now.
    ExtendHold {
        hold_id: String,
        owner: Option<String>,
        amount: Option<Millicredits>,
        ttl_seconds: Option<i64>,
    },
    /// Refunds `amount` (all that is left when `None`) of a charge.
    RefundCharge {
        charge_id: String,
        owner: Option<String>,
        amount: Option<Millicredits>,
        reason: Option<String>,
    },
    /// Refunds `amount` (all that is left when `None`) of what a hold captured.
    RefundHold {
        hold_id: String,
        owner: Option<String>,
        amount: Option<Millicredits>,
        reason: Option<String>,
    },
    /// Changes an account's own fields and settings (`PATCH /v1/accounts/{id}`).
    UpdateAccount {
        account_id: String,
        patch: AccountPatch,
    },
    /// Replaces the account's spend limits.
    PutLimits {
        account_id: String,
        limits: Vec<LimitSpec>,
    },
}

/// The idempotency key a request came with.
#[derive(Debug, Clone)]
pub struct Idempotency {
    /// Whose key it is (keys of different callers never collide).
    pub scope: String,
    pub key: String,
    /// A hash of the request: the same key with another request is refused.
    pub request_hash: String,
}

/// A command on its way in, with where its answer goes.
pub(crate) struct Envelope {
    pub command: Command,
    pub idempotency: Option<Idempotency>,
    /// Who sent it, when an admin did: the id its audit record names.
    pub actor: Option<std::sync::Arc<str>>,
    pub reply: Option<oneshot::Sender<Reply>>,
}

/// What one slot of the engine's queue holds: one command, or a group of commands that must
/// be applied together, in one batch (and one commit), in their order.
#[expect(
    clippy::large_enum_variant,
    reason = "a single command is the hot path: boxing it would allocate per request, and the queue's slots were this size before groups"
)]
pub(crate) enum Submission {
    One(Envelope),
    /// Never empty; never split across batches.
    Group(Vec<Envelope>),
}

impl Submission {
    /// How many commands it holds.
    pub(crate) fn len(&self) -> usize {
        match self {
            Submission::One(_) => 1,
            Submission::Group(envelopes) => envelopes.len(),
        }
    }

    /// Appends its commands to a batch's, in order.
    pub(crate) fn append_to(self, envelopes: &mut Vec<Envelope>) {
        match self {
            Submission::One(envelope) => envelopes.push(envelope),
            Submission::Group(group) => envelopes.extend(group),
        }
    }
}
