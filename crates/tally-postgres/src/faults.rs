//! A hook the tests use to break a batch's connection at chosen points of its transaction
//! (`PostgresStore::set_fault_hook`, hidden from the documentation). A store without one pays
//! one check of an `Option` per point.

use std::sync::Arc;

use crate::pool::Connection;

/// Where a batch's transaction is when the hook is called.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BatchPoint {
    /// The transaction is open; nothing is locked yet.
    Begun,
    /// The batch's accounts are locked and loaded.
    Locked,
    /// The batch is written; `COMMIT` is sent as soon as the hook returns.
    Written,
    /// The server answered `COMMIT`: it committed. The hook may have this side lose the
    /// answer, as when the connection drops while the answer is on its way.
    Committed,
}

/// What the batch does after the hook returns.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterHook {
    /// Go on as if nothing happened (the hook may have broken the connection meanwhile).
    Go,
    /// At [`BatchPoint::Committed`]: drop the connection and treat `COMMIT`'s answer as lost.
    LoseCommitAnswer,
    /// At [`BatchPoint::Begun`], [`BatchPoint::Locked`] or [`BatchPoint::Written`]: this side
    /// drops its connection, as when it finds it closed between two statements (the server
    /// process sees the socket close and ends the transaction). The rest of the batch must not
    /// run on a new connection: outside the transaction, each statement would commit alone.
    DropConnection,
    /// At [`BatchPoint::Written`]: `COMMIT` is lost on its way, as when the network between
    /// the two fails. The connection is abandoned with its socket left open, so the server
    /// process waits on in the open transaction (holding its locks), and the batch treats
    /// `COMMIT`'s answer as lost: the settling must end that process to get a final answer.
    /// (The abandoned connection is closed when its worker's next transaction begins.)
    AbandonAtCommit,
}

/// Called with the point and the server process of the batch's connection.
#[doc(hidden)]
pub type FaultHook = Arc<dyn Fn(BatchPoint, i32) -> AfterHook + Send + Sync>;

/// Calls the hook, if there is one and the connection is up.
pub(crate) fn call(hook: Option<&FaultHook>, point: BatchPoint, pid: Option<i32>) -> AfterHook {
    match (hook, pid) {
        (Some(hook), Some(pid)) => hook(point, pid),
        _ => AfterHook::Go,
    }
}

/// Does what the hook asked for inside the transaction: [`AfterHook::DropConnection`] drops the
/// connection; the rest is for the caller ([`AfterHook::AbandonAtCommit`] at COMMIT) or
/// nothing.
pub(crate) fn follow(connection: &mut Connection, after: AfterHook) {
    if after == AfterHook::DropConnection {
        connection.drop_connection();
    }
}
