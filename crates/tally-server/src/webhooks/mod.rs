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

use std::path::PathBuf;
use std::time::Duration;

/// How webhooks are delivered on this server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookConfig {
    /// `--webhook-deny-private`: refuse endpoints on loopback, private and link-local
    /// addresses (on the URL, and on what it resolves to before each delivery).
    pub deny_private: bool,
    /// How long a claim leases a delivery ([`worker::LEASE`] unless a test shortens it).
    pub lease: Duration,
    /// A PEM file of root certificates trusted for `https` endpoints besides the Web PKI's
    /// (`--webhook-ca-file`: a platform's private CA).
    pub extra_roots: Option<PathBuf>,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            deny_private: false,
            lease: worker::LEASE,
            extra_roots: None,
        }
    }
}

impl WebhookConfig {
    /// The TLS settings of deliveries to `https` endpoints.
    pub fn tls(&self) -> anyhow::Result<client::Tls> {
        let pem = match &self.extra_roots {
            None => None,
            Some(path) => Some(std::fs::read(path).map_err(|error| {
                anyhow::anyhow!("--webhook-ca-file {}: {error}", path.display())
            })?),
        };
        client::Tls::new(pem.as_deref()).map_err(|error| anyhow::anyhow!("webhooks: TLS: {error}"))
    }
}
