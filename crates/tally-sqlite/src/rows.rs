//! SQLite's side of tally-store's row traits, for the codec, readers and `verify` written once
//! there: a result row read by column name ([`SqliteRow`]) and a connection that runs the
//! shared readers' statements ([`Reader`]).

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, Statement};
use tally_store::StoreError;
use tally_store::row::{ColumnError, ColumnReader, RowSource, Value};

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
pub(crate) struct Reader<'c> {
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
