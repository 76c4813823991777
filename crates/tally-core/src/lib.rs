//! The pure core of Tally: amounts, grants, holds and the ledger state machine.
//!
//! Nothing here does I/O, reads a clock, draws random numbers or knows SQL. The shells (the
//! store backends and the server) pass time and new ids in and persist what comes out.

pub mod advice;
pub mod amount;
pub mod catalog;
pub mod ledger;
pub mod periods;
pub mod portal;
pub mod pricing;
pub mod time;
pub mod usage;
pub mod zone;

pub use amount::{AmountError, Decimal, Millicredits};
pub use ledger::events;
pub use ledger::*;
pub use portal::PortalLink;
pub use time::{Clock, Timestamp};
