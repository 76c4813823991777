//! The connections, each owned by a plain OS thread of its own.
//!
//! The sync `postgres::Client` drives a runtime of its own and panics when it is used (or
//! dropped) on a tokio runtime's thread, and the server calls the store's readers from async
//! handlers. So a caller never touches a connection: it sends a job to a worker thread that
//! owns one and blocks on the answer. A worker whose connection broke (PostgreSQL restarted)
//! answers that job `Unavailable`, drops the connection, and connects again for its next job.

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, mpsc};

use postgres::error::SqlState;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;
use postgres::{Client, Config, NoTls, Row, Statement};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::tls::{self, TlsOptions};
use tally_store::StoreError;

/// Set on every new connection: a commit is durable when it returns (whatever the server's
/// default), and a node that vanishes in the middle of a batch does not keep its accounts
/// locked for long.
const SESSION_SETUP: &str = "SET synchronous_commit = on;
    SET idle_in_transaction_session_timeout = '60s';
    SET client_min_messages = warning";

/// The parameters of a statement.
pub(crate) type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// Where and how every connection of a store is made.
pub(crate) struct Target {
    pub(crate) config: Config,
    /// The TLS connector (`None`: `sslmode=disable`, no TLS).
    pub(crate) tls: Option<MakeRustlsConnect>,
    pub(crate) options: TlsOptions,
}

impl Target {
    fn connect(&self) -> Result<Client, StoreError> {
        let connected = match &self.tls {
            None => self.config.connect(NoTls),
            Some(tls) => self.config.connect(tls.clone()),
        };
        connected.map_err(|error| {
            let why =
                tls::explain_failure(&error, &self.options).unwrap_or_else(|| explain(&error));
            StoreError::Unavailable(format!("postgres: connecting: {why}"))
        })
    }
}

/// One connection (made when first needed) and its prepared statements.
pub(crate) struct Connection {
    config: Arc<Target>,
    client: Option<Client>,
    statements: HashMap<String, Statement>,
    /// Whether a connection that was up has been found broken (and dropped) since this was
    /// last cleared.
    lost: bool,
    /// The server process of the connection up now (`pg_backend_pid()`).
    backend_pid: Option<i32>,
    /// Whether a transaction is open on the connection (from its BEGIN to its COMMIT or
    /// ROLLBACK): then a lost connection is an error, never a new connection, whose
    /// statements would run outside the transaction, each committing on its own.
    in_transaction: bool,
    /// A connection the tests' fault hook abandoned with its socket open
    /// ([`crate::AfterHook::AbandonAtCommit`]): kept, not dropped, so that its server process
    /// stays in its transaction; closed when the next transaction begins.
    abandoned: Option<Client>,
}

/// How a `COMMIT` ended, as far as this side can tell.
pub(crate) enum CommitEnd {
    /// The server answered that it committed.
    Committed,
    /// The server answered with an error: the transaction did not commit.
    Refused(StoreError),
    /// The connection was lost before the answer came: the transaction may or may not have
    /// committed (the server may have made it durable and died before answering).
    Lost(String),
    /// The connection was found lost before `COMMIT` could be sent: the transaction cannot
    /// commit (its server process ends it, or is ending it, when it sees the connection go).
    NotSent(String),
}

/// The error with what the server said (`postgres::Error` alone prints only "db error").
pub(crate) fn explain(error: &postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => {
            let mut text = format!("{} {}: {}", db.severity(), db.code().code(), db.message());
            if let Some(detail) = db.detail() {
                text.push_str(&format!(" ({detail})"));
            }
            text
        }
        None => {
            let mut text = error.to_string();
            let mut source = std::error::Error::source(error);
            while let Some(cause) = source {
                text.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            text
        }
    }
}

/// What a failed statement means for the store. A serialization failure, a deadlock, or a
/// row another node inserted first (a unique key taken meanwhile) is a `Conflict`: the engine
/// tries the whole batch again, from what is then committed.
pub(crate) fn classify(error: &postgres::Error) -> StoreError {
    match error.code() {
        Some(code)
            if *code == SqlState::T_R_SERIALIZATION_FAILURE
                || *code == SqlState::T_R_DEADLOCK_DETECTED
                || *code == SqlState::UNIQUE_VIOLATION =>
        {
            StoreError::Conflict(format!("postgres: {}", explain(error)))
        }
        _ => StoreError::Unavailable(format!("postgres: {}", explain(error))),
    }
}

impl Connection {
    fn new(config: Arc<Target>) -> Self {
        Connection {
            config,
            client: None,
            statements: HashMap::new(),
            lost: false,
            backend_pid: None,
            in_transaction: false,
            abandoned: None,
        }
    }

    /// The connection, made now if there is none (or the one there was has closed).
    fn client(&mut self) -> Result<&mut Client, StoreError> {
        if self.client.as_ref().is_some_and(Client::is_closed) {
            self.lost = true;
            self.reset();
        }
        if self.in_transaction && self.client.is_none() {
            return Err(StoreError::Unavailable(
                "postgres: the connection was lost inside a transaction".into(),
            ));
        }
        if self.client.is_none() {
            let mut client = self.config.connect()?;
            client.batch_execute(SESSION_SETUP).map_err(|error| {
                StoreError::Unavailable(format!(
                    "postgres: setting up the session: {}",
                    explain(&error)
                ))
            })?;
            let pid = client
                .query_one("SELECT pg_backend_pid()", &[])
                .and_then(|row| row.try_get::<_, i32>(0))
                .map_err(|error| {
                    StoreError::Unavailable(format!(
                        "postgres: setting up the session: {}",
                        explain(&error)
                    ))
                })?;
            self.backend_pid = Some(pid);
            self.client = Some(client);
        }
        Ok(self.client.as_mut().expect("postgres: connected just now"))
    }

    fn reset(&mut self) {
        self.client = None;
        self.backend_pid = None;
        self.statements.clear();
    }

    /// Whether the connection was lost inside the open transaction (a statement found it
    /// broken, or it was found closed): the transaction is over without committing, and
    /// nothing more runs in it.
    pub(crate) fn transaction_lost(&self) -> bool {
        self.in_transaction && self.client.is_none()
    }

    /// The server process of this connection, if one is up.
    pub(crate) fn backend_pid(&self) -> Option<i32> {
        self.backend_pid
    }

    /// Drops the connection as if it had broken (the next call connects again).
    pub(crate) fn drop_connection(&mut self) {
        self.lost |= self.client.is_some();
        self.reset();
    }

    /// Abandons the connection inside its transaction without closing its socket, as when the
    /// network fails: the server process waits on in the transaction (the tests' fault hook).
    pub(crate) fn abandon(&mut self) {
        self.abandoned = self.client.take();
        self.lost |= self.abandoned.is_some();
        self.in_transaction = false;
        self.reset();
    }

    /// Opens a transaction with `begin` (a connection is made first if there is none); until
    /// [`Connection::commit`] or [`Connection::rollback`], a lost connection is not replaced.
    pub(crate) fn begin(&mut self, begin: &str) -> Result<(), StoreError> {
        self.abandoned = None;
        self.in_transaction = false;
        self.batch_execute(begin)?;
        self.in_transaction = true;
        Ok(())
    }

    /// Opens a transaction with `begin` and reads its id (`txid_current()`) in the same round
    /// trip: the id a `COMMIT` whose answer is lost is settled by. (It gives every batch an id
    /// at once; one that locks an account row would get one anyway.)
    pub(crate) fn begin_with_xid(&mut self, begin: &str) -> Result<i64, StoreError> {
        self.abandoned = None;
        self.in_transaction = false;
        let result = self
            .client()?
            .simple_query(&format!("{begin}; SELECT txid_current()"));
        let messages = result.map_err(|error| self.failed(error))?;
        self.in_transaction = true;
        messages
            .iter()
            .find_map(|message| match message {
                postgres::SimpleQueryMessage::Row(row) => row.get(0),
                _ => None,
            })
            .and_then(|text| text.parse().ok())
            .ok_or_else(|| {
                StoreError::Unavailable("postgres: txid_current() returned no row".into())
            })
    }

    /// Sends `COMMIT` for the open transaction and tells a refusal (the server answered: it did
    /// not commit) from a lost connection (no answer: the outcome is unknown).
    pub(crate) fn commit(&mut self) -> CommitEnd {
        self.lost = false;
        let result = match self.client() {
            Ok(client) => client.batch_execute("COMMIT"),
            Err(error) => {
                self.in_transaction = false;
                return CommitEnd::NotSent(error.to_string());
            }
        };
        // Whatever the answer, the transaction is over (or its connection is).
        self.in_transaction = false;
        match result {
            Ok(()) => CommitEnd::Committed,
            Err(error) => {
                let mapped = self.failed(error);
                if self.lost {
                    CommitEnd::Lost(mapped.to_string())
                } else {
                    CommitEnd::Refused(mapped)
                }
            }
        }
    }

    /// Maps a failed call's error, dropping the connection when it is broken: a lost socket,
    /// the server shutting down or starting up, or anything that is not an answer from it.
    fn failed(&mut self, error: postgres::Error) -> StoreError {
        let code = error.code().map(SqlState::code).unwrap_or_default();
        let broken = error.is_closed()
            || error.as_db_error().is_none()
            || code.starts_with("08")
            || code.starts_with("57P")
            || self.client.as_ref().is_none_or(Client::is_closed);
        if broken {
            self.lost |= self.client.is_some();
            self.reset();
        }
        classify(&error)
    }

    fn statement(&mut self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let prepared = self.client()?.prepare(sql);
        match prepared {
            Ok(statement) => {
                self.statements.insert(sql.to_string(), statement.clone());
                Ok(statement)
            }
            Err(error) => Err(self.failed(error)),
        }
    }

    /// Runs one or more statements without parameters (simple protocol).
    pub(crate) fn batch_execute(&mut self, sql: &str) -> Result<(), StoreError> {
        let result = self.client()?.batch_execute(sql);
        result.map_err(|error| self.failed(error))
    }

    pub(crate) fn execute(&mut self, sql: &str, params: Params<'_>) -> Result<u64, StoreError> {
        let statement = self.statement(sql)?;
        let result = self.client()?.execute(&statement, params);
        result.map_err(|error| self.failed(error))
    }

    pub(crate) fn query(&mut self, sql: &str, params: Params<'_>) -> Result<Vec<Row>, StoreError> {
        let statement = self.statement(sql)?;
        let result = self.client()?.query(&statement, params);
        result.map_err(|error| self.failed(error))
    }

    /// Streams the rows of a statement through `each`, without holding them all in memory.
    pub(crate) fn for_each_row(
        &mut self,
        sql: &str,
        params: Params<'_>,
        mut each: impl FnMut(&Row) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let statement = self.statement(sql)?;
        let client = self.client()?;
        let streamed = (|| -> Result<Result<(), StoreError>, postgres::Error> {
            let mut rows = client.query_raw(&statement, params.iter().copied())?;
            while let Some(row) = rows.next()? {
                if let Err(error) = each(&row) {
                    return Ok(Err(error));
                }
            }
            Ok(Ok(()))
        })();
        match streamed {
            Ok(result) => result,
            Err(error) => Err(self.failed(error)),
        }
    }

    /// Runs `work` in a transaction opened with `begin`, committing when it succeeds and
    /// rolling back when it fails.
    pub(crate) fn transaction<T>(
        &mut self,
        begin: &str,
        work: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.begin(begin)?;
        match work(self) {
            Ok(value) => {
                let committed = self.batch_execute("COMMIT");
                self.in_transaction = false;
                committed?;
                Ok(value)
            }
            Err(error) => {
                self.rollback();
                Err(error)
            }
        }
    }

    /// Ends whatever transaction is open, if the connection is still there.
    pub(crate) fn rollback(&mut self) {
        self.in_transaction = false;
        if self
            .client
            .as_ref()
            .is_some_and(|client| !client.is_closed())
        {
            let _ = self.batch_execute("ROLLBACK");
        }
    }
}

/// `job` made to run again, once, on a new connection when the one it started on turns out
/// to be broken (PostgreSQL restarted since its last use). Only for jobs that change nothing
/// before their first statement succeeds: reads, and opening a transaction.
pub(crate) fn retried_once<T>(
    job: impl Fn(&mut Connection) -> Result<T, StoreError>,
) -> impl FnOnce(&mut Connection) -> Result<T, StoreError> {
    move |connection| {
        connection.lost = false;
        match job(connection) {
            Err(StoreError::Unavailable(_)) if connection.lost => job(connection),
            result => result,
        }
    }
}

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// The worker thread went away (a job panicked: a bug).
struct WorkerGone;

/// A thread that owns one connection and runs the jobs sent to it, in order.
struct Worker {
    jobs: mpsc::Sender<Job>,
}

impl Worker {
    fn spawn(config: Arc<Target>, name: String) -> Result<Worker, StoreError> {
        let (jobs, receiver) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name(name)
            .spawn(move || {
                let mut connection = Connection::new(config);
                for job in receiver {
                    job(&mut connection);
                }
                // Every sender is gone: the connection closes here, on this thread.
            })
            .map_err(|error| {
                StoreError::Unavailable(format!("postgres: starting a connection thread: {error}"))
            })?;
        Ok(Worker { jobs })
    }

    fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Connection) -> T + Send + 'static,
    ) -> Result<T, WorkerGone> {
        let (reply, answer) = mpsc::sync_channel(1);
        self.jobs
            .send(Box::new(move |connection| {
                let _ = reply.send(job(connection));
            }))
            .map_err(|_| WorkerGone)?;
        answer.recv().map_err(|_| WorkerGone)
    }
}

struct PoolState {
    idle: Vec<Worker>,
    /// Workers alive, idle or lent.
    total: usize,
}

/// A bounded set of workers, started when first needed and kept.
pub(crate) struct Pool {
    config: Arc<Target>,
    name: &'static str,
    workers_max: usize,
    state: Mutex<PoolState>,
    returned: Condvar,
}

impl Pool {
    pub(crate) fn new(config: Arc<Target>, name: &'static str, workers_max: usize) -> Self {
        Pool {
            config,
            name,
            workers_max: workers_max.max(1),
            state: Mutex::new(PoolState {
                idle: Vec::new(),
                total: 0,
            }),
            returned: Condvar::new(),
        }
    }

    /// A worker for the caller alone until the guard drops; waits while all are lent.
    pub(crate) fn get(&self) -> Result<Lent<'_>, StoreError> {
        let mut state = self.state.lock().expect("postgres: pool poisoned");
        loop {
            if let Some(worker) = state.idle.pop() {
                return Ok(Lent {
                    pool: self,
                    worker: Some(worker),
                });
            }
            if state.total < self.workers_max {
                state.total += 1;
                let number = state.total;
                drop(state);
                return match Worker::spawn(self.config.clone(), format!("{}-{number}", self.name)) {
                    Ok(worker) => Ok(Lent {
                        pool: self,
                        worker: Some(worker),
                    }),
                    Err(error) => {
                        self.state.lock().expect("postgres: pool poisoned").total -= 1;
                        self.returned.notify_one();
                        Err(error)
                    }
                };
            }
            state = self.returned.wait(state).expect("postgres: pool poisoned");
        }
    }

    /// Runs one job on any worker.
    pub(crate) fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.get()?.run(job)
    }
}

/// A worker lent by a [`Pool`]; given back when dropped (or retired, if its thread is gone).
pub(crate) struct Lent<'a> {
    pool: &'a Pool,
    worker: Option<Worker>,
}

impl Lent<'_> {
    /// Runs a job on this worker and waits for its answer.
    pub(crate) fn run<T: Send + 'static>(
        &mut self,
        job: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let worker = self.worker.as_ref().ok_or_else(gone)?;
        match worker.run(job) {
            Ok(result) => result,
            Err(WorkerGone) => {
                self.worker = None;
                Err(gone())
            }
        }
    }
}

fn gone() -> StoreError {
    StoreError::Unavailable("postgres: a connection thread stopped".into())
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        let mut state = self.pool.state.lock().expect("postgres: pool poisoned");
        match self.worker.take() {
            Some(worker) => state.idle.push(worker),
            None => state.total -= 1,
        }
        drop(state);
        self.pool.returned.notify_one();
    }
}
