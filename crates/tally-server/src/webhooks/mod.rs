//! Webhooks: delivering events to the platform's endpoints, signed as Standard Webhooks
//! specifies. The endpoint routes are `routes/webhooks.rs`; this module is what they and the
//! worker share: URL checks (`target.rs`), signatures (`signature.rs`), the retry schedule
//! (`schedule.rs`), one delivery over HTTP (`client.rs`) and the worker (`worker.rs`).
//!
//! The delivery side writes only its own state (endpoints, deliveries, attempts) through
//! [`tally_store::webhooks::WebhookStore`]; the engine writes the events and, in the same
//! transaction, their pending deliveries.

pub mod client;
pub mod schedule;
pub mod signature;
pub mod target;
pub mod worker;

/// How webhooks are delivered on this server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WebhookConfig {
    /// `--webhook-deny-private`: refuse endpoints on loopback, private and link-local
    /// addresses (on the URL, and on what it resolves to before each delivery).
    pub deny_private: bool,
}
