//! The delivery worker: one per `tally serve`, off the write path. It claims due deliveries
//! from the store (the oldest undelivered event per account and endpoint, under a lease),
//! posts each on a task of its own, and records the attempt and what follows it. An endpoint
//! that is slow or down costs only its own task; the engine never waits on the worker.
//!
//! Schedule decisions (what is due, when to retry, when a lease or a rotated secret runs out)
//! read the engine's clock, so a test clock moves them; the `webhook-timestamp` a receiver
//! checks against its own clock is the wall clock's.

use std::sync::Arc;
use std::time::Duration;

use tally_core::{Clock, Timestamp};
use tally_engine::clock::SystemClock;
use tally_store::Store;
use tally_store::webhooks::{AfterAttempt, AttemptOutcome, AttemptRecord, ClaimedDelivery};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::client::{self, Answered, Signed};
use super::{schedule, signature, target};

/// How long a claim leases a delivery: a node that dies mid-delivery leaves it to another
/// after this (longer than an attempt can take, [`client::DELIVERY_TIMEOUT`]).
pub const LEASE: Duration = Duration::from_secs(60);

/// The most deliveries one node has in flight.
pub const DELIVERIES_IN_FLIGHT_MAX: usize = 32;

/// How often an idle worker looks for due deliveries (one indexed read; no write when nothing
/// is due).
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// How long the worker waits after the store failed, before it tries again.
const STORE_RETRY_INTERVAL: Duration = Duration::from_secs(1);

/// What the worker needs.
#[derive(Clone)]
pub struct WorkerContext {
    pub store: Arc<dyn Store>,
    /// The engine's clock (the test clock when it is on).
    pub clock: Arc<dyn Clock>,
    pub deny_private: bool,
    /// How long a claim leases a delivery.
    pub lease: Duration,
    /// How `https` endpoints are reached.
    pub tls: client::Tls,
}

fn micros(duration: Duration) -> i64 {
    i64::try_from(duration.as_micros()).unwrap_or(i64::MAX)
}

/// Runs the worker until `stop` turns true, then lets the attempts in flight finish (each is
/// bounded by [`client::DELIVERY_TIMEOUT`]) so none is left to a lease.
pub async fn run(context: WorkerContext, mut stop: watch::Receiver<bool>) {
    let owner = format!("node_{}", tally_engine::ids::random_token(10));
    tracing::info!(%owner, "webhook delivery worker started");
    let mut in_flight: JoinSet<()> = JoinSet::new();
    loop {
        if *stop.borrow() {
            break;
        }
        let capacity = DELIVERIES_IN_FLIGHT_MAX.saturating_sub(in_flight.len());
        let mut claimed_any = false;
        if capacity > 0 {
            match claim(&context, &owner, capacity).await {
                Ok(claimed) => {
                    claimed_any = !claimed.is_empty();
                    for delivery in claimed {
                        in_flight.spawn(attempt(context.clone(), delivery));
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "webhooks: claiming deliveries failed");
                    tokio::select! {
                        _ = tokio::time::sleep(STORE_RETRY_INTERVAL) => {}
                        _ = stop.changed() => {}
                    }
                    continue;
                }
            }
        }
        if claimed_any && in_flight.len() < DELIVERIES_IN_FLIGHT_MAX {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL_INTERVAL) => {}
            // An attempt that ends may make the next event of its account due.
            Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
            _ = stop.changed() => {}
        }
    }
    while in_flight.join_next().await.is_some() {}
    tracing::info!("webhook delivery worker stopped");
}

async fn claim(
    context: &WorkerContext,
    owner: &str,
    capacity: usize,
) -> Result<Vec<ClaimedDelivery>, String> {
    let (store, owner) = (context.store.clone(), owner.to_string());
    let now = context.clock.now();
    let lease = micros(context.lease);
    let lease_until = Timestamp::from_micros(now.as_micros().saturating_add(lease));
    let token = tally_engine::ids::random_token(10);
    tokio::task::spawn_blocking(move || {
        store.claim_deliveries(&owner, &token, now, lease_until, capacity)
    })
    .await
    .map_err(|error| error.to_string())?
    .map_err(|error| error.to_string())
}

/// The wall clock's unix seconds (what a receiver checks `webhook-timestamp` against).
fn wall_clock_seconds() -> i64 {
    SystemClock.now().as_micros().div_euclid(1_000_000)
}

/// One attempt: post, then record what it got and what follows.
async fn attempt(context: WorkerContext, delivery: ClaimedDelivery) {
    let started = context.clock.now();
    tracing::info!(
        endpoint = %delivery.endpoint.id,
        event = %delivery.event_id,
        attempt = delivery.attempt,
        "webhook delivery claimed"
    );
    let answered = match target::parse(&delivery.endpoint.url) {
        Err(error) => Answered::Failed(error.to_string()),
        Ok(target) => {
            let secrets = delivery.endpoint.signing_secrets(started);
            let timestamp_seconds = wall_clock_seconds();
            let header = signature::header(
                &secrets,
                &delivery.event_id,
                timestamp_seconds,
                &delivery.body,
            );
            let signed = Signed {
                id: &delivery.event_id,
                timestamp_seconds,
                signature: &header,
            };
            let deny_private = context.deny_private;
            client::post(&target, deny_private, &context.tls, &signed, &delivery.body).await
        }
    };
    let ended = context.clock.now();
    let outcome = outcome(
        &delivery,
        started,
        ended,
        &answered,
        schedule::random_jitter(),
    );
    tracing::info!(
        endpoint = %delivery.endpoint.id,
        event = %delivery.event_id,
        attempt = delivery.attempt,
        status = ?outcome.attempt.status_code,
        error = ?outcome.attempt.error,
        after = ?outcome.after,
        "webhook attempt"
    );
    let store = context.store.clone();
    let recorded = tokio::task::spawn_blocking(move || store.finish_attempt(&outcome)).await;
    match recorded {
        Ok(Ok(true)) => {}
        Ok(Ok(false)) => tracing::warn!(
            event = %delivery.event_id,
            "webhooks: the lease ran out before the attempt ended; another attempt owns it"
        ),
        Ok(Err(error)) => tracing::error!(
            %error,
            event = %delivery.event_id,
            "webhooks: recording an attempt failed; the delivery is retried after its lease"
        ),
        Err(error) => tracing::error!(%error, "webhooks: the recording task failed"),
    }
}

/// What an attempt's answer means: 2xx delivered, 410 gone (the endpoint is disabled),
/// anything else (a 3xx too: redirects are not followed) retried on the schedule, or given up
/// after the last.
pub fn outcome(
    delivery: &ClaimedDelivery,
    started: Timestamp,
    ended: Timestamp,
    answered: &Answered,
    jitter_per_mille: u64,
) -> AttemptOutcome {
    let (status_code, error, retry_after) = match answered {
        Answered::Status {
            code,
            retry_after_seconds,
        } => (Some(*code), None, *retry_after_seconds),
        Answered::Failed(reason) => (None, Some(reason.clone()), None),
    };
    let after = match status_code {
        Some(200..=299) => AfterAttempt::Delivered,
        Some(410) => AfterAttempt::Gone,
        _ => schedule::next_attempt_at(delivery.attempt, ended, jitter_per_mille, retry_after)
            .map_or(AfterAttempt::Failed, AfterAttempt::RetryAt),
    };
    let next_attempt_at = match after {
        AfterAttempt::RetryAt(at) => Some(at),
        _ => None,
    };
    AttemptOutcome {
        event_seq: delivery.event_seq,
        lease_token: delivery.lease_token.clone(),
        attempt: AttemptRecord {
            id: format!("dlv_{}", tally_engine::ids::random_token(12)),
            endpoint_id: delivery.endpoint.id.clone(),
            event_id: delivery.event_id.clone(),
            attempt: delivery.attempt,
            status_code: status_code.map(i64::from),
            ok: after == AfterAttempt::Delivered,
            error,
            created_at: started,
            next_attempt_at,
        },
        after,
    }
}
