//! Stopping the process after a broken invariant: the engine and the committer stop rather
//! than answer from a state nobody trusts (a restart reloads it from the store).

/// Stops the process at once (exit status 70) after a broken invariant. The message goes to
/// stderr directly: the log is written by a background thread that exiting would cut short.
pub(crate) fn stop_process(message: &str) -> ! {
    tracing::error!("{message}");
    eprintln!("tally: {message}");
    std::process::exit(70);
}
