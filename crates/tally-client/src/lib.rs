//! The typed, async Rust client of a Tally server's HTTP API (API.md; `docs/openapi.json`).
//!
//! - **Typed**: a method per route ([`Client::create_charge`], [`Client::capture_hold`], …)
//!   with request and answer structs ([`types`]); [`Client::request`] for any other route.
//! - **Exact**: amounts are [`Credits`] (integer millicredits), read from and written as the
//!   JSON number's text, never through a float.
//! - **Safe to retry**: every write carries an `Idempotency-Key` (yours, from
//!   [`Client::with_idempotency_key`], or a random one), and is retried with that same key
//!   after a `503`, a failed connection or a timeout, with a bounded backoff that honours
//!   `Retry-After` ([`RetryPolicy`]). [`Reply::replayed`] says when the answer is the replay of
//!   an earlier attempt's (nothing was done twice).
//! - **Errors as values**: a refusal is [`Error::Api`] with the server's [`Problem`] (its
//!   `code`, `message`, `param` and every other field).
//!
//! Plain HTTP/1.1 over hyper, on tokio: no TLS (put Tally behind your own proxy for that).
//!
//! # Quick start
//!
//! ```no_run
//! use tally_client::{Client, CreateAccount, CreateCharge, CreateGrant, CreateHold, CaptureHold, Credits};
//!
//! # async fn run() -> Result<(), tally_client::Error> {
//! let tally = Client::new("http://127.0.0.1:8080", "sk_admin_demo")?;
//! tally
//!     .create_account(&CreateAccount { id: Some("acme".into()), ..Default::default() })
//!     .await?;
//! tally
//!     .create_grant("acme", &CreateGrant { amount: Credits::from_credits(5000), ..Default::default() })
//!     .await?;
//!
//! // Reserve before the job, capture what it cost: the rest goes back at once.
//! let hold = tally.create_hold("acme", &CreateHold::amount(Credits::from_credits(600))).await?;
//! let captured = tally
//!     .capture_hold(&hold.id, &CaptureHold { amount: Some("512.5".parse().unwrap()), ..Default::default() })
//!     .await?;
//! assert_eq!(captured.status, "captured");
//!
//! // A chat message, safe to send again with the same key: charged once.
//! let charge = tally
//!     .with_idempotency_key("msg-8841")
//!     .create_charge("acme", &CreateCharge::amount(Credits::from_credits(3)))
//!     .await;
//! match charge {
//!     Ok(charge) => println!("{} ({} available, replayed: {})", charge.id, charge.available_after, charge.replayed()),
//!     Err(error) if error.code() == Some("insufficient_credits") => {
//!         let problem = error.problem().unwrap();
//!         println!("only {:?} available", problem.credits("available"));
//!     }
//!     Err(error) => return Err(error),
//! }
//! println!("{} available", tally.balance("acme").await?.available);
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

mod client;
mod credits;
mod error;
mod resources;
pub mod types;

pub use client::{
    ATTEMPT_TIMEOUT_DEFAULT, CONNECT_TIMEOUT_DEFAULT, Client, ClientBuilder, IDEMPOTENCY_KEY,
    IDEMPOTENT_REPLAYED, Reply, RetryPolicy,
};
pub use credits::{Credits, CreditsError};
pub use error::{Error, Problem};
pub use hyper::{Method, StatusCode};
pub use types::*;

/// The README's example, compiled with the doc tests so that it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
