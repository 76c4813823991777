//! SQLite's side of tally-store's row traits, for the codec, readers and `verify` written once
//! there: a result row read by column name ([`SqliteRow`]), a connection that runs the shared
//! readers' statements ([`Reader`]), and a statement whose parameters an encoder binds one by
//! one ([`Binder`]: nothing is collected first, since every charge a batch writes goes through
//! it).

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{CachedStatement, Connection, Statement, ToSql};
use tally_store::StoreError;
use tally_store::row::{ColumnError, ColumnReader, ColumnWriter, RowSink, RowSource, Value};

pub(crate) fn unavailable(error: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(error.to_string())
}

/// A row of a result.
pub(crate) struct SqliteRow<'a, 'stmt>(&'a rusqlite::Row<'stmt>);

impl ColumnReader for SqliteRow<'_, '_> {
    fn text(&self, column: &str) -> Result<String, ColumnError> {
        self.0.get(column).map_err(ColumnError::new)
    }

    fn opt_text(&self, column: &str) -> Result<Option<String>, ColumnError> {
        self.0.get(column).map_err(ColumnError::new)
    }

    fn i64(&self, column: &str) -> Result<i64, ColumnError> {
        self.0.get(column).map_err(ColumnError::new)
    }

    fn opt_i64(&self, column: &str) -> Result<Option<i64>, ColumnError> {
        self.0.get(column).map_err(ColumnError::new)
    }
}

/// A connection running the shared readers' statements: from the connection's statement
/// cache, or (for one-off reads: loading every state, `verify`) prepared afresh, so they do not
/// push the writer's statements out of its cache.
pub struct Reader<'c> {
    connection: &'c Connection,
    cached: bool,
}

impl<'c> Reader<'c> {
    pub(crate) fn cached(connection: &'c Connection) -> Self {
        Reader {
            connection,
            cached: true,
        }
    }

    pub(crate) fn uncached(connection: &'c Connection) -> Self {
        Reader {
            connection,
            cached: false,
        }
    }
}

fn parameter<'a>(value: &Value<'a>) -> ToSqlOutput<'a> {
    match *value {
        Value::Text(text) => ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
        Value::I64(number) => ToSqlOutput::Owned(rusqlite::types::Value::Integer(number)),
        Value::OptText(Some(text)) => ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
        Value::OptI64(Some(number)) => ToSqlOutput::Owned(rusqlite::types::Value::Integer(number)),
        Value::OptText(None) | Value::OptI64(None) => {
            ToSqlOutput::Owned(rusqlite::types::Value::Null)
        }
    }
}

impl RowSource for Reader<'_> {
    const PARAMETER: char = '?';

    fn each(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
        row: &mut dyn FnMut(&dyn ColumnReader) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let (mut cached, mut fresh);
        let statement: &mut Statement<'_> = if self.cached {
            cached = self.connection.prepare_cached(sql).map_err(unavailable)?;
            &mut cached
        } else {
            fresh = self.connection.prepare(sql).map_err(unavailable)?;
            &mut fresh
        };
        let params = rusqlite::params_from_iter(params.iter().map(parameter));
        let mut rows = statement.query(params).map_err(unavailable)?;
        while let Some(found) = rows.next().map_err(unavailable)? {
            row(&SqliteRow(found))?;
        }
        Ok(())
    }
}

/// On the writer's transaction: the delivery side's writes (tally-store's `webhooks`).
impl RowSink for Reader<'_> {
    fn execute(&mut self, sql: &str, params: &[Value<'_>]) -> Result<u64, StoreError> {
        let mut statement = self.connection.prepare_cached(sql).map_err(unavailable)?;
        let params = rusqlite::params_from_iter(params.iter().map(parameter));
        let changed = statement.execute(params).map_err(unavailable)?;
        Ok(changed as u64)
    }
}

/// A cached insert or update statement, run once per row with the values an encoder binds.
pub(crate) struct Binder<'c> {
    statement: CachedStatement<'c>,
    bound: usize,
}

impl<'c> Binder<'c> {
    pub(crate) fn new(connection: &'c Connection, sql: &str) -> Result<Self, rusqlite::Error> {
        Ok(Binder {
            statement: connection.prepare_cached(sql)?,
            bound: 0,
        })
    }

    /// Runs the statement with the values `encode` binds (all of its parameters, or an error).
    pub(crate) fn execute<T: ?Sized>(
        &mut self,
        row: &T,
        encode: impl FnOnce(&T, &mut Self) -> Result<(), rusqlite::Error>,
    ) -> Result<(), rusqlite::Error> {
        self.bound = 0;
        encode(row, self)?;
        let expected = self.statement.parameter_count();
        if self.bound != expected {
            return Err(rusqlite::Error::InvalidParameterCount(self.bound, expected));
        }
        self.statement.raw_execute().map(|_| ())
    }

    fn bind(&mut self, value: impl ToSql) -> Result<(), rusqlite::Error> {
        self.bound += 1;
        self.statement.raw_bind_parameter(self.bound, value)
    }
}

impl ColumnWriter for Binder<'_> {
    type Error = rusqlite::Error;

    fn text(&mut self, value: &str) -> Result<(), rusqlite::Error> {
        self.bind(value)
    }

    fn opt_text(&mut self, value: Option<&str>) -> Result<(), rusqlite::Error> {
        self.bind(value)
    }

    fn i64(&mut self, value: i64) -> Result<(), rusqlite::Error> {
        self.bind(value)
    }

    fn opt_i64(&mut self, value: Option<i64>) -> Result<(), rusqlite::Error> {
        self.bind(value)
    }
}
