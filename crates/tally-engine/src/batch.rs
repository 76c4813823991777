//! What one batch decides: its instant, its write, the keys it looked up before it ran, and
//! what it resolved or created; and, once handed to the committer, what of that later batches
//! must still be able to find ([`InFlight`]) until it is durable.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tally_core::{HoldStatus, PortalLink, Timestamp};
use tally_store::{ApiKeyRecord, BatchWrite, IdempotencyRecord, StoreError};

/// An idempotency key's place: `(scope, key)`.
pub(crate) type KeySlot = (String, String);

/// What a batch knows of one of its idempotency keys before it runs.
pub(crate) enum KnownKey {
    /// Used before: its first answer.
    Recorded(IdempotencyRecord),
    /// Never used (or used only by requests that were refused).
    Unused,
    /// The store could not be asked: the request is refused with this.
    LookupFailed(StoreError),
}

/// What one batch has done so far.
pub(crate) struct Batch {
    /// The batch's instant: the clock is read once per batch (a test clock moved by the
    /// batch moves it).
    pub now: Timestamp,
    /// What it writes; the core adds its effects to `write.effects`.
    pub write: BatchWrite,
    pub touched: HashSet<String>,
    /// Its keys, looked up before it ran (in the batches in flight, then the store).
    pub keys: HashMap<KeySlot, KnownKey>,
    /// Idempotency records it wrote.
    pub idempotency: HashMap<KeySlot, IdempotencyRecord>,
    /// Holds it resolved: id → (account, status).
    pub resolved_holds: HashMap<String, (String, HoldStatus)>,
    /// API keys it created.
    pub new_keys: HashMap<String, ApiKeyRecord>,
    /// Portal links it created or redeemed, by token hash, as they are after it.
    pub portal_links: HashMap<String, PortalLink>,
}

impl Batch {
    pub(crate) fn new(now: Timestamp) -> Batch {
        Batch {
            now,
            write: BatchWrite::default(),
            touched: HashSet::new(),
            keys: HashMap::new(),
            idempotency: HashMap::new(),
            resolved_holds: HashMap::new(),
            new_keys: HashMap::new(),
            portal_links: HashMap::new(),
        }
    }
}

/// What one batch, handed to the committer and perhaps not yet durable, decided that later
/// batches may need to look up (the store does not have it yet).
#[derive(Default)]
pub(crate) struct InFlight {
    /// The batch's number (they count up from 1).
    pub seq: u64,
    pub idempotency: HashMap<(String, String), IdempotencyRecord>,
    /// Holds the batch resolved: id → (account, status).
    pub resolved_holds: HashMap<String, (String, HoldStatus)>,
    pub new_keys: HashMap<String, ApiKeyRecord>,
    /// Portal links the batch created or redeemed, by token hash.
    pub portal_links: HashMap<String, PortalLink>,
    /// Everything else it wrote (grant snapshots, revocations, rate cards), for rare lookups.
    pub write: Arc<BatchWrite>,
}
