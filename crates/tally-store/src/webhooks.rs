//! Webhooks' storage, written once for every SQL store: endpoints, one delivery per endpoint
//! and event (the queue), and the log of every attempt.
//!
//! These tables have their own writer: the delivery side (the endpoint routes and the delivery
//! worker of tally-server), never the engine. The one exception is the fan-out: the engine's
//! batch writer, in each store, inserts an event's pending deliveries with
//! [`FAN_OUT_SELECT`] right after the event, in the same transaction, so an event and its
//! deliveries commit together.
//!
//! A pending delivery is claimed under a lease (`lease_until`, on the engine's clock, by a
//! worker `lease_owner` with a `lease_token` of its claim) and only when it is the oldest
//! undelivered event of its account for its endpoint: deliveries go out in order per account
//! and endpoint, and one account's stuck delivery holds back no one else's. On a shared store
//! the claim also locks the rows it takes (`FOR UPDATE … SKIP LOCKED`), so two nodes never
//! take the same one; the lease makes a node that died mid-delivery leave it to another.

use tally_core::Timestamp;

use crate::read::{Condition, read_page};
use crate::row::{ColumnReader, Fields, Query, RowSink, RowSource, Value};
use crate::sql::SqlReads;
use crate::{AuditRecord, Page, PageError, PageRequest, StoreError};

/// What an endpoint subscribes to, as stored: `*`, or the types each between commas.
pub const ALL_EVENTS: &str = "*";

/// Whether endpoint `e` subscribes to event `ev`'s type (in both dialects: `||` and `LIKE`;
/// event types hold neither `%` nor `_`).
pub const SUBSCRIBES: &str = "(e.events = '*' OR e.events LIKE '%,' || ev.type || ',%')";

/// The body of the fan-out both batch writers run after inserting events: the columns of a
/// pending delivery for every enabled endpoint that subscribes to the event, from
/// `events ev` and `webhook_endpoints e` (each store adds which events: `WHERE ev.id = …`).
///
/// A delivery behind an undelivered one of the same account and endpoint starts out waiting
/// ([`WAITING`]: not due, so the claims' index range holds only the heads of the queues);
/// the head's last attempt makes the next one due.
pub const FAN_OUT_SELECT: &str = "INSERT INTO webhook_deliveries (endpoint_id, event_seq, \
     account_id, state, attempts, next_attempt_at, created_at, updated_at) \
     SELECT e.id, ev.seq, ev.account_id, 'pending', 0, \
     CASE WHEN EXISTS (SELECT 1 FROM webhook_deliveries w WHERE w.endpoint_id = e.id \
     AND w.account_id = ev.account_id AND w.state = 'pending') \
     THEN 9223372036854775806 ELSE ev.created_at END, ev.created_at, \
     ev.created_at FROM events ev JOIN webhook_endpoints e ON e.status = 'enabled' AND \
     (e.events = '*' OR e.events LIKE '%,' || ev.type || ',%')";

/// When a delivery waiting behind an earlier one of its account is due: never, until the
/// earlier one's last attempt (`i64::MAX - 1`, written out in [`FAN_OUT_SELECT`]).
pub const WAITING: i64 = i64::MAX - 1;

/// The condition that makes a delivery one the dashboard lists as failing: given up, or
/// pending after at least one failed attempt (the text of a partial index of both stores).
const FAILING: &str = "(d.state = 'failed' OR (d.state = 'pending' AND d.attempts > 0))";

/// Which events an endpoint receives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventSelection {
    All,
    /// These types (at least one, each a known type, checked by the API).
    Only(Vec<String>),
}

impl EventSelection {
    /// The stored form: `*`, or `,a,b,`.
    pub fn encode(&self) -> String {
        match self {
            EventSelection::All => ALL_EVENTS.to_string(),
            EventSelection::Only(types) => format!(",{},", types.join(",")),
        }
    }

    pub fn decode(text: &str) -> Option<Self> {
        if text == ALL_EVENTS {
            return Some(EventSelection::All);
        }
        let inner = text.strip_prefix(',')?.strip_suffix(',')?;
        if inner.is_empty() {
            return None;
        }
        Some(EventSelection::Only(
            inner.split(',').map(str::to_string).collect(),
        ))
    }

    pub fn includes(&self, event_type: &str) -> bool {
        match self {
            EventSelection::All => true,
            EventSelection::Only(types) => types.iter().any(|t| t == event_type),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointStatus {
    Enabled,
    Disabled,
}

impl EndpointStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointStatus::Enabled => "enabled",
            EndpointStatus::Disabled => "disabled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "enabled" => Some(EndpointStatus::Enabled),
            "disabled" => Some(EndpointStatus::Disabled),
            _ => None,
        }
    }
}

/// A signing secret that still signs until its expiry (the one a rotation replaced).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreviousSecret {
    pub secret: String,
    pub expires_at: Timestamp,
}

/// A webhook endpoint as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointRecord {
    /// `we_…`.
    pub id: String,
    pub url: String,
    pub description: Option<String>,
    pub events: EventSelection,
    pub status: EndpointStatus,
    /// `whsec_…`.
    pub secret: String,
    pub previous_secret: Option<PreviousSecret>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl EndpointRecord {
    /// The secrets that sign a delivery at `now`: the current one, and the previous one until
    /// it expires.
    pub fn signing_secrets(&self, now: Timestamp) -> Vec<&str> {
        let mut secrets = vec![self.secret.as_str()];
        if let Some(previous) = &self.previous_secret
            && now < previous.expires_at
        {
            secrets.push(&previous.secret);
        }
        secrets
    }
}

/// The key a create was sent with: its `Idempotency-Key` and the request's hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateKey {
    pub key: String,
    pub request_hash: String,
}

/// What a create did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Created {
    New(EndpointRecord),
    /// The key was used before with the same request: the endpoint it created.
    Replayed(EndpointRecord),
    /// The key was used before with another request.
    KeyConflict,
}

/// What a PATCH changes (`None`: left as it is).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EndpointChange {
    pub url: Option<String>,
    pub events: Option<EventSelection>,
    /// `Some(None)` clears it.
    pub description: Option<Option<String>>,
    pub status: Option<EndpointStatus>,
}

/// One attempt, as logged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptRecord {
    /// `dlv_…`.
    pub id: String,
    pub endpoint_id: String,
    pub event_id: String,
    /// 1 for the first attempt of a round (a redelivery starts a new round).
    pub attempt: i64,
    /// The receiver's status (`None`: no answer: refused, timed out, not allowed).
    pub status_code: Option<i64>,
    pub ok: bool,
    /// Why it failed, when there was no status to say it.
    pub error: Option<String>,
    pub created_at: Timestamp,
    /// When the next attempt is due (`None`: none: delivered, or given up).
    pub next_attempt_at: Option<Timestamp>,
}

/// A delivery a worker claimed: everything it needs to make the attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimedDelivery {
    pub endpoint: EndpointRecord,
    pub event_seq: i64,
    pub event_id: String,
    pub account_id: String,
    /// The event's JSON, as stored: what is sent and signed.
    pub body: String,
    /// This attempt's number (1, 2, …).
    pub attempt: i64,
    /// The claim's token: only the holder of the lease records the outcome.
    pub lease_token: String,
}

/// What happens to a delivery after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterAttempt {
    Delivered,
    RetryAt(Timestamp),
    /// Given up after the last retry.
    Failed,
    /// The receiver answered 410: given up, and the endpoint is disabled.
    Gone,
}

/// A claimed delivery's attempt and what follows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptOutcome {
    pub event_seq: i64,
    /// The event's account (whose lock the recording takes on a shared store).
    pub account_id: String,
    pub lease_token: String,
    pub attempt: AttemptRecord,
    pub after: AfterAttempt,
}

/// A delivery the dashboard lists as failing (given up, or retrying).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailingDelivery {
    pub endpoint_id: String,
    pub url: String,
    pub event_id: String,
    pub event_type: String,
    pub account_id: String,
    /// `pending` (retrying) or `failed`.
    pub state: String,
    pub attempts: i64,
    pub last_status_code: Option<i64>,
    pub next_attempt_at: Option<Timestamp>,
    pub updated_at: Timestamp,
}

/// A delivery's state, for one event and endpoint (what tests and the redelivery check).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryState {
    pub endpoint_id: String,
    pub event_id: String,
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: Option<Timestamp>,
}

/// What the delivery side needs of a store. The engine never calls it.
pub trait WebhookStore: Send + Sync + 'static {
    /// Creates an endpoint (once per `key`, when one is given).
    /// Creates an endpoint; `audit`, the admin's record of it, is written in the same
    /// transaction, and only if the endpoint is new (a replayed key writes none).
    fn create_endpoint(
        &self,
        endpoint: &EndpointRecord,
        key: Option<&CreateKey>,
        audit: Option<&AuditRecord>,
    ) -> Result<Created, StoreError>;
    fn endpoint(&self, id: &str) -> Result<Option<EndpointRecord>, StoreError>;
    /// Endpoints, newest first.
    fn endpoints(&self, page: &PageRequest) -> Result<Page<EndpointRecord>, PageError>;
    /// Changes an endpoint (`None`: no such endpoint). `audit`, here and below, is written in
    /// the change's transaction when there was an endpoint to change.
    fn update_endpoint(
        &self,
        id: &str,
        change: &EndpointChange,
        at: Timestamp,
        audit: Option<&AuditRecord>,
    ) -> Result<Option<EndpointRecord>, StoreError>;
    /// Makes `secret` the endpoint's secret; the current one keeps signing until
    /// `previous_expires_at`.
    fn rotate_endpoint_secret(
        &self,
        id: &str,
        secret: &str,
        previous_expires_at: Timestamp,
        at: Timestamp,
        audit: Option<&AuditRecord>,
    ) -> Result<Option<EndpointRecord>, StoreError>;
    /// Deletes an endpoint with its deliveries and their log (`false`: no such endpoint).
    fn delete_endpoint(&self, id: &str, audit: Option<&AuditRecord>) -> Result<bool, StoreError>;
    /// An endpoint's attempts, newest first.
    fn delivery_attempts(
        &self,
        endpoint_id: &str,
        page: &PageRequest,
    ) -> Result<Page<AttemptRecord>, PageError>;
    /// Delivers the event `event_id` again, from `now`: to the endpoints it was for (not
    /// while an attempt is in flight) and to the enabled ones that subscribe to its type. The
    /// endpoints it will go to.
    fn redeliver(&self, event_id: &str, now: Timestamp) -> Result<Vec<String>, StoreError>;
    /// Claims up to `limit` due deliveries for `owner` (one per account and endpoint, the
    /// oldest undelivered), leased until `lease_until`, with `lease_token`.
    fn claim_deliveries(
        &self,
        owner: &str,
        lease_token: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: usize,
    ) -> Result<Vec<ClaimedDelivery>, StoreError>;
    /// Logs an attempt and moves its delivery on, if the claim still holds its lease (`false`:
    /// the lease was lost, only the attempt is logged).
    fn finish_attempt(&self, outcome: &AttemptOutcome) -> Result<bool, StoreError> {
        Ok(self.finish_attempts(std::slice::from_ref(outcome))?[0])
    }
    /// [`WebhookStore::finish_attempt`] for several attempts, in one transaction (a worker
    /// records what its attempts got together: one commit, not one per delivery).
    fn finish_attempts(&self, outcomes: &[AttemptOutcome]) -> Result<Vec<bool>, StoreError>;
    /// Deliveries given up or retrying, most recently changed first.
    fn failing_deliveries(&self, limit: usize) -> Result<Vec<FailingDelivery>, StoreError>;
    /// Every delivery of an event.
    fn event_deliveries(&self, event_id: &str) -> Result<Vec<DeliveryState>, StoreError>;
}

/// How a SQL store runs the delivery side's writes: in one write transaction on a connection
/// of its own (SQLite: the writer, between the engine's commits; PostgreSQL: any writer
/// connection), and how its claims lock.
pub trait SqlWebhooks: SqlReads {
    type Sink<'a>: RowSink;

    /// What the claim's `SELECT` ends with: `FOR UPDATE OF d SKIP LOCKED` where several nodes
    /// claim, nothing where one process does.
    const CLAIM_LOCK: &'static str;

    /// Runs `job` in one write transaction: committed when it returns `Ok`.
    fn write<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Self::Sink<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError>;
}

fn micros(at: Timestamp) -> i64 {
    at.as_micros()
}

/// A parameter in a `SELECT` list, cast to its column's type (PostgreSQL types an uncast
/// parameter there as text; SQLite reads `BIGINT` as an integer).
fn cast<'a>(query: &mut Query<'a>, value: Value<'a>) {
    let kind = match value {
        Value::Text(_) | Value::OptText(_) => "TEXT",
        Value::I64(_) | Value::OptI64(_) => "BIGINT",
    };
    query
        .push("CAST(")
        .bind(value)
        .push(&format!(" AS {kind})"));
}

fn decode_endpoint(row: &dyn ColumnReader) -> Result<EndpointRecord, StoreError> {
    let fields = Fields::new(row, "webhook_endpoints", "id")?;
    let previous_secret = match fields.opt_text("previous_secret")? {
        None => None,
        Some(secret) => Some(PreviousSecret {
            secret,
            expires_at: fields.timestamp("previous_secret_expires_at")?,
        }),
    };
    Ok(EndpointRecord {
        id: fields.key().to_string(),
        url: fields.text("url")?,
        description: fields.opt_text("description")?,
        events: fields.parsed("events", EventSelection::decode)?,
        status: fields.parsed("status", EndpointStatus::parse)?,
        secret: fields.text("secret")?,
        previous_secret,
        created_at: fields.timestamp("created_at")?,
        updated_at: fields.timestamp("updated_at")?,
    })
}

fn decode_attempt(row: &dyn ColumnReader) -> Result<AttemptRecord, StoreError> {
    let fields = Fields::new(row, "webhook_attempts", "id")?;
    Ok(AttemptRecord {
        id: fields.key().to_string(),
        endpoint_id: fields.text("endpoint_id")?,
        event_id: fields.text("event_id")?,
        attempt: fields.i64("attempt")?,
        status_code: fields.opt_i64("status_code")?,
        ok: fields.i64("ok")? == 1,
        error: fields.opt_text("error")?,
        created_at: fields.timestamp("created_at")?,
        next_attempt_at: fields.opt_timestamp("next_attempt_at")?,
    })
}

fn endpoint_by<S: RowSource>(
    db: &mut S,
    column: &str,
    key: &str,
) -> Result<Option<EndpointRecord>, StoreError> {
    let mut query = Query::new(
        S::PARAMETER,
        &format!("SELECT * FROM webhook_endpoints WHERE {column} = "),
    );
    query.bind(Value::Text(key));
    db.first(&query, decode_endpoint)
}

fn insert_endpoint<S: RowSink>(
    db: &mut S,
    endpoint: &EndpointRecord,
    key: Option<&CreateKey>,
) -> Result<(), StoreError> {
    let events = endpoint.events.encode();
    let mut query = Query::new(
        S::PARAMETER,
        "INSERT INTO webhook_endpoints (id, url, description, events, status, secret, \
         created_at, updated_at, idempotency_key, request_hash) VALUES (",
    );
    query
        .bind(Value::Text(&endpoint.id))
        .push(", ")
        .bind(Value::Text(&endpoint.url))
        .push(", ")
        .bind(Value::OptText(endpoint.description.as_deref()))
        .push(", ")
        .bind(Value::Text(&events))
        .push(", ")
        .bind(Value::Text(endpoint.status.as_str()))
        .push(", ")
        .bind(Value::Text(&endpoint.secret))
        .push(", ")
        .bind(Value::I64(micros(endpoint.created_at)))
        .push(", ")
        .bind(Value::I64(micros(endpoint.updated_at)))
        .push(", ")
        .bind(Value::OptText(key.map(|key| key.key.as_str())))
        .push(", ")
        .bind(Value::OptText(key.map(|key| key.request_hash.as_str())))
        .push(")");
    db.run(&query).map(|_| ())
}

fn create<S: RowSink>(
    db: &mut S,
    endpoint: &EndpointRecord,
    key: Option<&CreateKey>,
) -> Result<Created, StoreError> {
    if let Some(key) = key {
        let mut query = Query::new(
            S::PARAMETER,
            "SELECT request_hash FROM webhook_endpoints WHERE idempotency_key = ",
        );
        query.bind(Value::Text(&key.key));
        let earlier = db.first(&query, |row| {
            Fields::aggregate(row, "webhook_endpoints").text("request_hash")
        })?;
        if let Some(hash) = earlier {
            if hash != key.request_hash {
                return Ok(Created::KeyConflict);
            }
            let found = endpoint_by(db, "idempotency_key", &key.key)?;
            let found = found.ok_or_else(|| {
                StoreError::Corrupt("webhook_endpoints: a key's endpoint vanished".into())
            })?;
            return Ok(Created::Replayed(found));
        }
    }
    insert_endpoint(db, endpoint, key)?;
    Ok(Created::New(endpoint.clone()))
}

fn update<S: RowSink>(
    db: &mut S,
    id: &str,
    change: &EndpointChange,
    at: Timestamp,
) -> Result<Option<EndpointRecord>, StoreError> {
    let events = change.events.as_ref().map(EventSelection::encode);
    let mut query = Query::new(S::PARAMETER, "UPDATE webhook_endpoints SET updated_at = ");
    query.bind(Value::I64(micros(at)));
    if let Some(url) = &change.url {
        query.push(", url = ").bind(Value::Text(url));
    }
    if let Some(events) = &events {
        query.push(", events = ").bind(Value::Text(events));
    }
    if let Some(description) = &change.description {
        query
            .push(", description = ")
            .bind(Value::OptText(description.as_deref()));
    }
    if let Some(status) = change.status {
        query.push(", status = ").bind(Value::Text(status.as_str()));
    }
    query.push(" WHERE id = ").bind(Value::Text(id));
    if db.run(&query)? == 0 {
        return Ok(None);
    }
    if let Some(status) = change.status {
        park(db, id, status, micros(at))?;
    }
    endpoint_by(db, "id", id)
}

fn rotate<S: RowSink>(
    db: &mut S,
    id: &str,
    secret: &str,
    previous_expires_at: Timestamp,
    at: Timestamp,
) -> Result<Option<EndpointRecord>, StoreError> {
    let mut query = Query::new(
        S::PARAMETER,
        "UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_expires_at = ",
    );
    query
        .bind(Value::I64(micros(previous_expires_at)))
        .push(", secret = ")
        .bind(Value::Text(secret))
        .push(", updated_at = ")
        .bind(Value::I64(micros(at)))
        .push(" WHERE id = ")
        .bind(Value::Text(id));
    if db.run(&query)? == 0 {
        return Ok(None);
    }
    endpoint_by(db, "id", id)
}

/// Writes an admin's change of an endpoint to the audit log, in the change's transaction.
fn record<S: RowSink>(db: &mut S, audit: Option<&AuditRecord>) -> Result<(), StoreError> {
    let Some(audit) = audit else {
        return Ok(());
    };
    let mut query = Query::new(
        S::PARAMETER,
        "INSERT INTO audit_log (id, at, actor, action, target_id, account_id) VALUES (",
    );
    query
        .bind(Value::Text(&audit.id))
        .push(", ")
        .bind(Value::I64(micros(audit.at)))
        .push(", ")
        .bind(Value::Text(&audit.actor))
        .push(", ")
        .bind(Value::Text(&audit.action))
        .push(", ")
        .bind(Value::Text(&audit.target_id))
        .push(", ")
        .bind(Value::OptText(audit.account_id.as_deref()))
        .push(")");
    db.run(&query)?;
    Ok(())
}

fn delete<S: RowSink>(db: &mut S, id: &str) -> Result<bool, StoreError> {
    // The deliveries and attempts go with it (ON DELETE CASCADE, said again here so no store
    // depends on its foreign keys being on).
    for table in ["webhook_attempts", "webhook_deliveries"] {
        let mut query = Query::new(
            S::PARAMETER,
            &format!("DELETE FROM {table} WHERE endpoint_id = "),
        );
        query.bind(Value::Text(id));
        db.run(&query)?;
    }
    let mut query = Query::new(S::PARAMETER, "DELETE FROM webhook_endpoints WHERE id = ");
    query.bind(Value::Text(id));
    Ok(db.run(&query)? > 0)
}

fn redeliver<S: RowSink>(
    db: &mut S,
    event_id: &str,
    now: Timestamp,
) -> Result<Vec<String>, StoreError> {
    let mut find = Query::new(S::PARAMETER, "SELECT seq FROM events WHERE id = ");
    find.bind(Value::Text(event_id));
    let found = db.first(&find, |row| Fields::aggregate(row, "events").i64("seq"))?;
    let Some(event_seq) = found else {
        return Ok(Vec::new());
    };
    let mut again = Query::new(
        S::PARAMETER,
        "UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_at = ",
    );
    again
        .bind(Value::I64(micros(now)))
        .push(", updated_at = ")
        .bind(Value::I64(micros(now)))
        .push(" WHERE lease_token IS NULL AND event_seq = ")
        .bind(Value::I64(event_seq));
    db.run(&again)?;
    let mut new = Query::new(
        S::PARAMETER,
        "INSERT INTO webhook_deliveries (endpoint_id, event_seq, account_id, state, attempts, \
         next_attempt_at, created_at, updated_at) SELECT e.id, ev.seq, ev.account_id, \
         'pending', 0",
    );
    for _ in 0..3 {
        new.push(", ");
        cast(&mut new, Value::I64(micros(now)));
    }
    new.push(" FROM events ev JOIN webhook_endpoints e ON e.status = 'enabled' AND ")
        .push(SUBSCRIBES)
        .push(" WHERE ev.seq = ")
        .bind(Value::I64(event_seq))
        .push(
            " AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d \
             WHERE d.endpoint_id = e.id AND d.event_seq = ev.seq)",
        );
    db.run(&new)?;
    let mut pending = Query::new(
        S::PARAMETER,
        "SELECT endpoint_id FROM webhook_deliveries WHERE state = 'pending' AND event_seq = ",
    );
    pending
        .bind(Value::I64(event_seq))
        .push(" ORDER BY endpoint_id");
    db.rows(&pending, |row| {
        Fields::aggregate(row, "webhook_deliveries").text("endpoint_id")
    })
}

/// The claimable deliveries' condition: pending, due, not leased (or leased by another owner
/// whose lease ran out: an owner never takes back its own attempt in flight), on an enabled
/// endpoint, and the oldest undelivered event of its account for its endpoint.
fn claimable<'a>(query: &mut Query<'a>, owner: &'a str, now: i64) {
    query
        .push(
            " FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
             WHERE d.state = 'pending' AND e.status = 'enabled' AND d.next_attempt_at <= ",
        )
        .bind(Value::I64(now))
        .push(" AND (d.lease_until IS NULL OR (d.lease_until <= ")
        .bind(Value::I64(now))
        .push(" AND d.lease_owner <> ")
        .bind(Value::Text(owner))
        .push(
            ")) AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p \
             WHERE p.endpoint_id = d.endpoint_id AND p.account_id = d.account_id \
             AND p.state = 'pending' AND p.event_seq < d.event_seq)",
        );
}

/// Whether anything is due for `owner` (read without a write transaction, so an idle worker
/// never takes the writer).
fn anything_due<S: RowSource>(db: &mut S, owner: &str, now: i64) -> Result<bool, StoreError> {
    let mut query = Query::new(S::PARAMETER, "SELECT d.event_seq");
    claimable(&mut query, owner, now);
    query.push(" LIMIT 1");
    Ok(db.first(&query, |_| Ok(()))?.is_some())
}

fn claim<S: RowSink>(
    db: &mut S,
    lock: &str,
    owner: &str,
    lease_token: &str,
    now: i64,
    lease_until: i64,
    limit: usize,
) -> Result<Vec<ClaimedDelivery>, StoreError> {
    let mut query = Query::new(S::PARAMETER, "SELECT d.endpoint_id, d.event_seq");
    claimable(&mut query, owner, now);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    query
        .push(" ORDER BY d.next_attempt_at, d.event_seq LIMIT ")
        .bind(Value::I64(limit))
        .push(lock);
    let keys = db.rows(&query, |row| {
        let fields = Fields::aggregate(row, "webhook_deliveries");
        Ok((fields.text("endpoint_id")?, fields.i64("event_seq")?))
    })?;
    let mut claimed = Vec::with_capacity(keys.len());
    for (endpoint_id, event_seq) in keys {
        let mut lease = Query::new(
            S::PARAMETER,
            "UPDATE webhook_deliveries SET attempts = attempts + 1, lease_owner = ",
        );
        lease
            .bind(Value::Text(owner))
            .push(", lease_token = ")
            .bind(Value::Text(lease_token))
            .push(", lease_until = ")
            .bind(Value::I64(lease_until))
            .push(", updated_at = ")
            .bind(Value::I64(now))
            .push(" WHERE endpoint_id = ")
            .bind(Value::Text(&endpoint_id))
            .push(" AND event_seq = ")
            .bind(Value::I64(event_seq))
            .push(" AND state = 'pending'");
        if db.run(&lease)? != 1 {
            continue;
        }
        let Some(endpoint) = endpoint_by(db, "id", &endpoint_id)? else {
            continue;
        };
        let mut detail = Query::new(
            S::PARAMETER,
            "SELECT ev.id, ev.account_id, ev.body, d.attempts FROM webhook_deliveries d \
             JOIN events ev ON ev.seq = d.event_seq WHERE d.endpoint_id = ",
        );
        detail
            .bind(Value::Text(&endpoint_id))
            .push(" AND d.event_seq = ")
            .bind(Value::I64(event_seq));
        let found = db.first(&detail, |row| {
            let fields = Fields::new(row, "events", "id")?;
            Ok((
                fields.key().to_string(),
                fields.text("account_id")?,
                fields.text("body")?,
                fields.i64("attempts")?,
            ))
        })?;
        let Some((event_id, account_id, body, attempt)) = found else {
            return Err(StoreError::Corrupt(format!(
                "webhook_deliveries: no event at seq {event_seq}"
            )));
        };
        claimed.push(ClaimedDelivery {
            endpoint,
            event_seq,
            event_id,
            account_id,
            body,
            attempt,
            lease_token: lease_token.to_string(),
        });
    }
    Ok(claimed)
}

fn finish<S: RowSink>(db: &mut S, outcome: &AttemptOutcome) -> Result<bool, StoreError> {
    let attempt = &outcome.attempt;
    let (state, next) = match outcome.after {
        AfterAttempt::Delivered => ("delivered", None),
        AfterAttempt::RetryAt(at) => ("pending", Some(micros(at))),
        AfterAttempt::Failed | AfterAttempt::Gone => ("failed", None),
    };
    let mut moved = Query::new(S::PARAMETER, "UPDATE webhook_deliveries SET state = ");
    moved
        .bind(Value::Text(state))
        .push(", next_attempt_at = ")
        .bind(Value::OptI64(next))
        .push(
            ", lease_owner = NULL, lease_token = NULL, lease_until = NULL, \
             last_status_code = ",
        )
        .bind(Value::OptI64(attempt.status_code))
        .push(", updated_at = ")
        .bind(Value::I64(micros(attempt.created_at)))
        .push(" WHERE endpoint_id = ")
        .bind(Value::Text(&attempt.endpoint_id))
        .push(" AND event_seq = ")
        .bind(Value::I64(outcome.event_seq))
        .push(" AND lease_token = ")
        .bind(Value::Text(&outcome.lease_token));
    let held = db.run(&moved)? == 1;
    if held
        && matches!(
            outcome.after,
            AfterAttempt::Delivered | AfterAttempt::Failed
        )
    {
        let at = micros(attempt.created_at);
        next_is_due(db, &attempt.endpoint_id, outcome.event_seq, at)?;
    }
    let mut log = Query::new(
        S::PARAMETER,
        "INSERT INTO webhook_attempts (id, endpoint_id, event_id, attempt, status_code, ok, \
         error, created_at, next_attempt_at) SELECT ",
    );
    cast(&mut log, Value::Text(&attempt.id));
    log.push(", e.id, ");
    let next_attempt_at = attempt.next_attempt_at.filter(|_| held).map(micros);
    let values = [
        Value::Text(&attempt.event_id),
        Value::I64(attempt.attempt),
        Value::OptI64(attempt.status_code),
        Value::I64(i64::from(attempt.ok)),
        Value::OptText(attempt.error.as_deref()),
        Value::I64(micros(attempt.created_at)),
        Value::OptI64(next_attempt_at),
    ];
    for (at, value) in values.into_iter().enumerate() {
        if at > 0 {
            log.push(", ");
        }
        cast(&mut log, value);
    }
    log.push(" FROM webhook_endpoints e WHERE e.id = ")
        .bind(Value::Text(&attempt.endpoint_id));
    db.run(&log)?;
    if held && outcome.after == AfterAttempt::Gone {
        let mut disable = Query::new(
            S::PARAMETER,
            "UPDATE webhook_endpoints SET status = 'disabled', updated_at = ",
        );
        disable
            .bind(Value::I64(micros(attempt.created_at)))
            .push(" WHERE id = ")
            .bind(Value::Text(&attempt.endpoint_id));
        db.run(&disable)?;
        let (endpoint_id, at) = (&attempt.endpoint_id, micros(attempt.created_at));
        park(db, endpoint_id, EndpointStatus::Disabled, at)?;
    }
    Ok(held)
}

/// The far future: when a pending delivery of a disabled endpoint is due (so the claims'
/// index range never reaches it; enabling the endpoint makes it due again).
const PARKED: i64 = i64::MAX;

/// The delivery that waited behind the one at `event_seq` (the next pending one of its account
/// for `endpoint_id`) is due from `now`, now that this one is no longer pending.
fn next_is_due<S: RowSink>(
    db: &mut S,
    endpoint_id: &str,
    event_seq: i64,
    now: i64,
) -> Result<(), StoreError> {
    let mut query = Query::new(
        S::PARAMETER,
        "UPDATE webhook_deliveries SET next_attempt_at = ",
    );
    query
        .bind(Value::I64(now))
        .push(" WHERE endpoint_id = ")
        .bind(Value::Text(endpoint_id))
        .push(" AND next_attempt_at = ")
        .bind(Value::I64(WAITING))
        .push(" AND event_seq = (SELECT MIN(n.event_seq) FROM webhook_deliveries n WHERE n.endpoint_id = ")
        .bind(Value::Text(endpoint_id))
        .push(" AND n.state = 'pending' AND n.account_id = (SELECT h.account_id FROM webhook_deliveries h WHERE h.endpoint_id = ")
        .bind(Value::Text(endpoint_id))
        .push(" AND h.event_seq = ")
        .bind(Value::I64(event_seq))
        .push("))");
    db.run(&query).map(|_| ())
}

/// Parks an endpoint's pending deliveries while it is disabled, or makes them due at `now`
/// when it is enabled again.
fn park<S: RowSink>(
    db: &mut S,
    endpoint_id: &str,
    status: EndpointStatus,
    now: i64,
) -> Result<(), StoreError> {
    let mut query = Query::new(
        S::PARAMETER,
        "UPDATE webhook_deliveries SET next_attempt_at = ",
    );
    match status {
        EndpointStatus::Disabled => {
            query
                .bind(Value::I64(PARKED))
                .push(" WHERE state = 'pending' AND lease_token IS NULL AND endpoint_id = ")
                .bind(Value::Text(endpoint_id));
        }
        EndpointStatus::Enabled => {
            query
                .bind(Value::I64(now))
                .push(" WHERE state = 'pending' AND next_attempt_at = ")
                .bind(Value::I64(PARKED))
                .push(" AND endpoint_id = ")
                .bind(Value::Text(endpoint_id));
        }
    }
    db.run(&query).map(|_| ())
}

/// When a delivery is due: `None` when it is not pending, parked (its endpoint disabled), or
/// waiting behind an earlier one.
fn due_at(fields: &Fields<'_>) -> Result<Option<Timestamp>, StoreError> {
    let at = fields.opt_timestamp("next_attempt_at")?;
    Ok(at.filter(|at| at.as_micros() != PARKED && at.as_micros() != WAITING))
}

fn failing<S: RowSource>(db: &mut S, limit: usize) -> Result<Vec<FailingDelivery>, StoreError> {
    let mut query = Query::new(
        S::PARAMETER,
        &format!(
            "SELECT d.endpoint_id, e.url, ev.id AS event_id, ev.type, d.account_id, d.state, \
             d.attempts, d.last_status_code, d.next_attempt_at, d.updated_at \
             FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
             JOIN events ev ON ev.seq = d.event_seq WHERE {FAILING} \
             ORDER BY d.updated_at DESC LIMIT "
        ),
    );
    query.bind(Value::I64(i64::try_from(limit).unwrap_or(i64::MAX)));
    db.rows(&query, |row| {
        let fields = Fields::new(row, "webhook_deliveries", "event_id")?;
        Ok(FailingDelivery {
            endpoint_id: fields.text("endpoint_id")?,
            url: fields.text("url")?,
            event_id: fields.key().to_string(),
            event_type: fields.text("type")?,
            account_id: fields.text("account_id")?,
            state: fields.text("state")?,
            attempts: fields.i64("attempts")?,
            last_status_code: fields.opt_i64("last_status_code")?,
            next_attempt_at: due_at(&fields)?,
            updated_at: fields.timestamp("updated_at")?,
        })
    })
}

fn deliveries_of<S: RowSource>(
    db: &mut S,
    event_id: &str,
) -> Result<Vec<DeliveryState>, StoreError> {
    let mut query = Query::new(
        S::PARAMETER,
        "SELECT d.endpoint_id, ev.id AS event_id, d.state, d.attempts, d.next_attempt_at \
         FROM webhook_deliveries d JOIN events ev ON ev.seq = d.event_seq WHERE ev.id = ",
    );
    query
        .bind(Value::Text(event_id))
        .push(" ORDER BY d.endpoint_id");
    db.rows(&query, |row| {
        let fields = Fields::new(row, "webhook_deliveries", "endpoint_id")?;
        Ok(DeliveryState {
            endpoint_id: fields.key().to_string(),
            event_id: fields.text("event_id")?,
            state: fields.text("state")?,
            attempts: fields.i64("attempts")?,
            next_attempt_at: due_at(&fields)?,
        })
    })
}

impl<S: SqlWebhooks> WebhookStore for S {
    fn create_endpoint(
        &self,
        endpoint: &EndpointRecord,
        key: Option<&CreateKey>,
        audit: Option<&AuditRecord>,
    ) -> Result<Created, StoreError> {
        let (endpoint, key, audit) = (endpoint.clone(), key.cloned(), audit.cloned());
        self.write(move |db| {
            let created = create(db, &endpoint, key.as_ref())?;
            if matches!(created, Created::New(_)) {
                record(db, audit.as_ref())?;
            }
            Ok(created)
        })
    }

    fn endpoint(&self, id: &str) -> Result<Option<EndpointRecord>, StoreError> {
        let id = id.to_string();
        self.read(move |db| endpoint_by(db, "id", &id))
    }

    fn endpoints(&self, page: &PageRequest) -> Result<Page<EndpointRecord>, PageError> {
        let page = page.clone();
        self.read_page(move |db| {
            read_page(db, "webhook_endpoints", None, &[], &page, decode_endpoint)
        })
    }

    fn update_endpoint(
        &self,
        id: &str,
        change: &EndpointChange,
        at: Timestamp,
        audit: Option<&AuditRecord>,
    ) -> Result<Option<EndpointRecord>, StoreError> {
        let (id, change, audit) = (id.to_string(), change.clone(), audit.cloned());
        self.write(move |db| {
            let updated = update(db, &id, &change, at)?;
            if updated.is_some() {
                record(db, audit.as_ref())?;
            }
            Ok(updated)
        })
    }

    fn rotate_endpoint_secret(
        &self,
        id: &str,
        secret: &str,
        previous_expires_at: Timestamp,
        at: Timestamp,
        audit: Option<&AuditRecord>,
    ) -> Result<Option<EndpointRecord>, StoreError> {
        let (id, secret, audit) = (id.to_string(), secret.to_string(), audit.cloned());
        self.write(move |db| {
            let rotated = rotate(db, &id, &secret, previous_expires_at, at)?;
            if rotated.is_some() {
                record(db, audit.as_ref())?;
            }
            Ok(rotated)
        })
    }

    fn delete_endpoint(&self, id: &str, audit: Option<&AuditRecord>) -> Result<bool, StoreError> {
        let (id, audit) = (id.to_string(), audit.cloned());
        self.write(move |db| {
            let deleted = delete(db, &id)?;
            if deleted {
                record(db, audit.as_ref())?;
            }
            Ok(deleted)
        })
    }

    fn delivery_attempts(
        &self,
        endpoint_id: &str,
        page: &PageRequest,
    ) -> Result<Page<AttemptRecord>, PageError> {
        let (endpoint_id, page) = (endpoint_id.to_string(), page.clone());
        self.read_page(move |db| {
            let conditions = [Condition {
                sql: " AND endpoint_id = ",
                value: Some(Value::Text(&endpoint_id)),
            }];
            read_page(
                db,
                "webhook_attempts",
                None,
                &conditions,
                &page,
                decode_attempt,
            )
        })
    }

    fn redeliver(&self, event_id: &str, now: Timestamp) -> Result<Vec<String>, StoreError> {
        let event_id = event_id.to_string();
        self.write(move |db| redeliver(db, &event_id, now))
    }

    fn claim_deliveries(
        &self,
        owner: &str,
        lease_token: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: usize,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        let owner = owner.to_string();
        let (now, lease_until) = (micros(now), micros(lease_until));
        let seen = owner.clone();
        if limit == 0 || !self.read(move |db| anything_due(db, &seen, now))? {
            return Ok(Vec::new());
        }
        let lease_token = lease_token.to_string();
        self.write(move |db| {
            let lock = S::CLAIM_LOCK;
            claim(db, lock, &owner, &lease_token, now, lease_until, limit)
        })
    }

    fn finish_attempts(&self, outcomes: &[AttemptOutcome]) -> Result<Vec<bool>, StoreError> {
        if outcomes.is_empty() {
            return Ok(Vec::new());
        }
        let outcomes = outcomes.to_vec();
        self.write(move |db| {
            // The accounts' locks first, in id order as the engine takes them: an event written
            // meanwhile on another node then either sees its predecessor still pending (and
            // waits behind it, made due here) or sees it delivered (and is due at once); without
            // them, it could wait behind a delivery that was recorded while it committed.
            let mut accounts: Vec<&str> = outcomes.iter().map(|o| o.account_id.as_str()).collect();
            accounts.sort_unstable();
            accounts.dedup();
            for account_id in accounts {
                db.lock_account(account_id)?;
            }
            outcomes.iter().map(|outcome| finish(db, outcome)).collect()
        })
    }

    fn failing_deliveries(&self, limit: usize) -> Result<Vec<FailingDelivery>, StoreError> {
        self.read(move |db| failing(db, limit))
    }

    fn event_deliveries(&self, event_id: &str) -> Result<Vec<DeliveryState>, StoreError> {
        let event_id = event_id.to_string();
        self.read(move |db| deliveries_of(db, &event_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_selection_is_stored_between_commas_and_read_back() {
        let only = EventSelection::Only(vec!["grant.created".into(), "hold.expired".into()]);
        assert_eq!(only.encode(), ",grant.created,hold.expired,");
        assert_eq!(EventSelection::decode(&only.encode()), Some(only.clone()));
        assert_eq!(EventSelection::decode("*"), Some(EventSelection::All));
        assert_eq!(EventSelection::decode(",,"), None);
        assert_eq!(EventSelection::decode("grant.created"), None);
        assert!(only.includes("hold.expired") && !only.includes("grant.expired"));
    }

    #[test]
    fn the_fan_out_uses_the_subscription_condition_and_the_waiting_instant() {
        assert!(FAN_OUT_SELECT.contains(SUBSCRIBES));
        assert!(FAN_OUT_SELECT.contains(&WAITING.to_string()));
    }

    #[test]
    fn a_previous_secret_signs_until_it_expires() {
        let endpoint = EndpointRecord {
            id: "we_1".into(),
            url: "http://127.0.0.1/".into(),
            description: None,
            events: EventSelection::All,
            status: EndpointStatus::Enabled,
            secret: "whsec_new".into(),
            previous_secret: Some(PreviousSecret {
                secret: "whsec_old".into(),
                expires_at: Timestamp::from_micros(10),
            }),
            created_at: Timestamp::from_micros(0),
            updated_at: Timestamp::from_micros(0),
        };
        let at = Timestamp::from_micros;
        assert_eq!(endpoint.signing_secrets(at(9)), ["whsec_new", "whsec_old"]);
        assert_eq!(endpoint.signing_secrets(at(10)), ["whsec_new"]);
    }
}
