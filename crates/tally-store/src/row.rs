//! One row, whatever the database. Each SQL store implements these traits for its own row,
//! statement and connection types, in a few lines; what the columns mean, and what a value that
//! does not read back says, is written once, in this crate, on top of them.
//!
//! - [`ColumnReader`]: a row of a result, read by column name (the decoders in [`crate::tables`]).
//! - [`ColumnWriter`]: a row being written, its values in the table's column order (the
//!   encoders in [`crate::tables`]; SQLite binds them to a statement, PostgreSQL adds them to
//!   one array per column).
//! - [`RowSource`]: a connection that runs one statement with its parameters and hands over the
//!   rows (the readers in [`crate::read`], usage and `verify`).
//!
//! A value that does not read back is [`StoreError::Corrupt`], naming the table, the row's key
//! and the column the same way in every store.

use std::fmt::{Display, Write};

use tally_core::{Millicredits, Timestamp};

use crate::StoreError;

/// What the database said when a column could not be read as asked (a NULL, another type, no
/// such column).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnError(pub String);

impl ColumnError {
    pub fn new(detail: impl Display) -> Self {
        ColumnError(detail.to_string())
    }
}

/// One row of a result, read by column name.
pub trait ColumnReader {
    fn text(&self, column: &str) -> Result<String, ColumnError>;
    fn opt_text(&self, column: &str) -> Result<Option<String>, ColumnError>;
    fn i64(&self, column: &str) -> Result<i64, ColumnError>;
    fn opt_i64(&self, column: &str) -> Result<Option<i64>, ColumnError>;
}

/// One row being written: its values, in the order of the table's columns.
pub trait ColumnWriter {
    type Error;
    fn text(&mut self, value: &str) -> Result<(), Self::Error>;
    fn opt_text(&mut self, value: Option<&str>) -> Result<(), Self::Error>;
    fn i64(&mut self, value: i64) -> Result<(), Self::Error>;
    fn opt_i64(&mut self, value: Option<i64>) -> Result<(), Self::Error>;
}

/// A parameter of a statement the shared readers run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    Text(&'a str),
    I64(i64),
    /// Text or NULL (typed, as PostgreSQL wants its parameters).
    OptText(Option<&'a str>),
    /// An integer or NULL.
    OptI64(Option<i64>),
}

/// Reads one record from a row.
pub type Decode<T> = fn(&dyn ColumnReader) -> Result<T, StoreError>;

/// A connection as the shared readers use it: it runs one statement with its parameters and
/// hands each row to `row`, in order, stopping at the first error.
pub trait RowSource {
    /// What starts a numbered parameter: `?` (`?1`, SQLite) or `$` (`$1`, PostgreSQL).
    const PARAMETER: char;

    fn each(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
        row: &mut dyn FnMut(&dyn ColumnReader) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;

    /// Every row, decoded.
    fn rows<T>(
        &mut self,
        query: &Query<'_>,
        decode: impl Fn(&dyn ColumnReader) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let mut rows = Vec::new();
        self.each(query.sql(), query.params(), &mut |row| {
            rows.push(decode(row)?);
            Ok(())
        })?;
        Ok(rows)
    }

    /// The first row, decoded (the others are not).
    fn first<T>(
        &mut self,
        query: &Query<'_>,
        decode: impl Fn(&dyn ColumnReader) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        let mut first = None;
        self.each(query.sql(), query.params(), &mut |row| {
            if first.is_none() {
                first = Some(decode(row)?);
            }
            Ok(())
        })?;
        Ok(first)
    }
}

/// A connection in a write transaction: it also runs statements that change rows (the
/// delivery side's writes in [`crate::webhooks`]; the engine's batches have writers of their
/// own in each store).
pub trait RowSink: RowSource {
    /// Runs one statement; how many rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value<'_>]) -> Result<u64, StoreError>;

    /// Runs a [`Query`].
    fn run(&mut self, query: &Query<'_>) -> Result<u64, StoreError> {
        self.execute(query.sql(), query.params())
    }
}

/// A statement and its parameters, numbered as they are bound (`?1`, `?2`… or `$1`, `$2`…), so
/// that no parameter is ever named by its position in someone else's string.
#[derive(Clone, Debug)]
pub struct Query<'a> {
    sql: String,
    params: Vec<Value<'a>>,
    parameter: char,
}

impl<'a> Query<'a> {
    /// A statement for a store whose parameters start with `parameter` (its
    /// [`RowSource::PARAMETER`]).
    pub fn new(parameter: char, sql: &str) -> Self {
        Query {
            sql: sql.to_string(),
            params: Vec::new(),
            parameter,
        }
    }

    /// More SQL.
    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// The next parameter's placeholder, bound to `value`.
    pub fn bind(&mut self, value: Value<'a>) -> &mut Self {
        self.params.push(value);
        let number = self.params.len();
        write!(self.sql, "{}{number}", self.parameter).expect("writing to a String cannot fail");
        self
    }

    pub fn sql(&self) -> &str {
        &self.sql
    }

    pub fn params(&self) -> &[Value<'a>] {
        &self.params
    }
}

/// The data error of one stored row: `table "key": what`.
pub(crate) fn corrupt(table: &str, key: Option<&str>, what: impl Display) -> StoreError {
    match key {
        Some(key) => StoreError::Corrupt(format!("{table} {key:?}: {what}")),
        None => StoreError::Corrupt(format!("{table}: {what}")),
    }
}

/// A row being decoded as a record of `table`: every read names the table, the row's key and
/// the column when it fails.
pub(crate) struct Fields<'r> {
    row: &'r dyn ColumnReader,
    table: &'r str,
    /// `None` for an aggregate, which has no key of its own.
    key: Option<String>,
}

impl<'r> Fields<'r> {
    /// Reads the key column first, so every later error can name the row.
    pub(crate) fn new(
        row: &'r dyn ColumnReader,
        table: &'r str,
        key_column: &str,
    ) -> Result<Self, StoreError> {
        let key = Fields::aggregate(row, table).text(key_column)?;
        Ok(Fields::keyed(row, table, key))
    }

    /// A row whose key the caller has read.
    pub(crate) fn keyed(row: &'r dyn ColumnReader, table: &'r str, key: String) -> Self {
        Fields {
            row,
            table,
            key: Some(key),
        }
    }

    /// A row with no key of its own (an aggregate).
    pub(crate) fn aggregate(row: &'r dyn ColumnReader, table: &'r str) -> Self {
        Fields {
            row,
            table,
            key: None,
        }
    }

    /// The key [`Fields::new`] read.
    pub(crate) fn key(&self) -> &str {
        self.key.as_deref().unwrap_or_default()
    }

    pub(crate) fn fail(&self, column: &str, detail: impl Display) -> StoreError {
        corrupt(
            self.table,
            self.key.as_deref(),
            format!("column {column}: {detail}"),
        )
    }

    fn read<T>(
        &self,
        column: &str,
        read: impl FnOnce(&dyn ColumnReader) -> Result<T, ColumnError>,
    ) -> Result<T, StoreError> {
        read(self.row).map_err(|error| self.fail(column, error.0))
    }

    pub(crate) fn text(&self, column: &str) -> Result<String, StoreError> {
        self.read(column, |row| row.text(column))
    }

    pub(crate) fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError> {
        self.read(column, |row| row.opt_text(column))
    }

    pub(crate) fn i64(&self, column: &str) -> Result<i64, StoreError> {
        self.read(column, |row| row.i64(column))
    }

    pub(crate) fn opt_i64(&self, column: &str) -> Result<Option<i64>, StoreError> {
        self.read(column, |row| row.opt_i64(column))
    }

    pub(crate) fn millicredits(&self, column: &str) -> Result<Millicredits, StoreError> {
        self.i64(column).map(Millicredits::new)
    }

    pub(crate) fn opt_millicredits(
        &self,
        column: &str,
    ) -> Result<Option<Millicredits>, StoreError> {
        Ok(self.opt_i64(column)?.map(Millicredits::new))
    }

    pub(crate) fn timestamp(&self, column: &str) -> Result<Timestamp, StoreError> {
        self.i64(column).map(Timestamp::from_micros)
    }

    pub(crate) fn opt_timestamp(&self, column: &str) -> Result<Option<Timestamp>, StoreError> {
        Ok(self.opt_i64(column)?.map(Timestamp::from_micros))
    }

    /// A small count (seats, a period's index, a status code).
    pub(crate) fn small<T: TryFrom<i64>>(&self, column: &str) -> Result<T, StoreError> {
        let value = self.i64(column)?;
        T::try_from(value).map_err(|_| self.fail(column, format!("unexpected value {value}")))
    }

    /// A text column in one of the forms `parse` reads (a kind, a status, a coded list).
    pub(crate) fn parsed<T>(
        &self,
        column: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<T, StoreError> {
        let text = self.text(column)?;
        parse(&text).ok_or_else(|| self.fail(column, format!("unexpected value {text:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_numbered_as_they_are_bound() {
        let mut query = Query::new('$', "SELECT * FROM t WHERE a = ");
        query
            .bind(Value::Text("x"))
            .push(" AND b < ")
            .bind(Value::I64(7));
        assert_eq!(query.sql(), "SELECT * FROM t WHERE a = $1 AND b < $2");
        assert_eq!(query.params(), &[Value::Text("x"), Value::I64(7)]);
    }
}
