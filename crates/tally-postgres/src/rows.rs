//! PostgreSQL's side of tally-store's row traits, for the codec, readers and `verify` written
//! once there: a result row read by column name ([`PgRow`]) and a connection that runs the
//! shared readers' statements ([`Source`]). The batch writer's arrays are in `write.rs`.

use postgres::Row;
use postgres::types::{FromSql, ToSql};
use tally_store::StoreError;
use tally_store::row::{ColumnError, ColumnReader, Decode, RowSink, RowSource, Value};

use crate::pool::{Connection, explain};

/// A column of one of this crate's own statements (locks, migrations, the scheduler's ids).
pub(crate) fn get<'a, T: FromSql<'a>>(row: &'a Row, column: &str) -> Result<T, StoreError> {
    row.try_get(column).map_err(|error| {
        StoreError::Corrupt(format!("postgres: column {column}: {}", explain(&error)))
    })
}

/// A row of a result.
pub(crate) struct PgRow<'a>(pub(crate) &'a Row);

impl PgRow<'_> {
    fn get<'a, T: FromSql<'a>>(&'a self, column: &str) -> Result<T, ColumnError> {
        self.0
            .try_get(column)
            .map_err(|error| ColumnError::new(explain(&error)))
    }
}

impl ColumnReader for PgRow<'_> {
    fn text(&self, column: &str) -> Result<String, ColumnError> {
        self.get(column)
    }

    fn opt_text(&self, column: &str) -> Result<Option<String>, ColumnError> {
        self.get(column)
    }

    fn i64(&self, column: &str) -> Result<i64, ColumnError> {
        self.get(column)
    }

    fn opt_i64(&self, column: &str) -> Result<Option<i64>, ColumnError> {
        self.get(column)
    }
}

/// A row sent as a JSON object (`to_jsonb(row)`: BIGINT columns as numbers, TEXT as strings),
/// for statements that return the rows of several tables at once.
pub(crate) struct JsonRow<'a>(pub(crate) &'a serde_json::Map<String, serde_json::Value>);

impl JsonRow<'_> {
    fn value(&self, column: &str) -> Result<&serde_json::Value, ColumnError> {
        self.0
            .get(column)
            .ok_or_else(|| ColumnError::new(format!("no column {column}")))
    }

    fn opt_text_of(value: &serde_json::Value) -> Result<Option<String>, ColumnError> {
        match value {
            serde_json::Value::Null => Ok(None),
            serde_json::Value::String(text) => Ok(Some(text.clone())),
            other => Err(ColumnError::new(format!("not text: {other}"))),
        }
    }

    fn opt_i64_of(value: &serde_json::Value) -> Result<Option<i64>, ColumnError> {
        match value {
            serde_json::Value::Null => Ok(None),
            serde_json::Value::Number(number) => number
                .as_i64()
                .map(Some)
                .ok_or_else(|| ColumnError::new(format!("not a 64-bit integer: {number}"))),
            other => Err(ColumnError::new(format!("not an integer: {other}"))),
        }
    }
}

impl ColumnReader for JsonRow<'_> {
    fn text(&self, column: &str) -> Result<String, ColumnError> {
        Self::opt_text_of(self.value(column)?)?
            .ok_or_else(|| ColumnError::new("was null".to_string()))
    }

    fn opt_text(&self, column: &str) -> Result<Option<String>, ColumnError> {
        Self::opt_text_of(self.value(column)?)
    }

    fn i64(&self, column: &str) -> Result<i64, ColumnError> {
        Self::opt_i64_of(self.value(column)?)?
            .ok_or_else(|| ColumnError::new("was null".to_string()))
    }

    fn opt_i64(&self, column: &str) -> Result<Option<i64>, ColumnError> {
        Self::opt_i64_of(self.value(column)?)
    }
}

/// Every row, decoded.
pub(crate) fn decode_all<T>(rows: &[Row], decode: Decode<T>) -> Result<Vec<T>, StoreError> {
    rows.iter().map(|row| decode(&PgRow(row))).collect()
}

/// A connection running the shared readers' statements (prepared once per connection, and
/// streamed: no result is held all at once).
pub struct Source<'c>(pub(crate) &'c mut Connection);

impl RowSource for Source<'_> {
    const PARAMETER: char = '$';

    fn each(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
        row: &mut dyn FnMut(&dyn ColumnReader) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let params: Vec<&(dyn ToSql + Sync)> = params
            .iter()
            .map(|value| match value {
                Value::Text(text) => text as &(dyn ToSql + Sync),
                Value::I64(number) => number,
                Value::OptText(text) => text,
                Value::OptI64(number) => number,
            })
            .collect();
        self.0
            .for_each_row(sql, &params, |found| row(&PgRow(found)))
    }
}

/// In a write transaction: the delivery side's writes (tally-store's `webhooks`).
impl RowSink for Source<'_> {
    fn execute(&mut self, sql: &str, params: &[Value<'_>]) -> Result<u64, StoreError> {
        let params: Vec<&(dyn ToSql + Sync)> = params
            .iter()
            .map(|value| match value {
                Value::Text(text) => text as &(dyn ToSql + Sync),
                Value::I64(number) => number,
                Value::OptText(text) => text,
                Value::OptI64(number) => number,
            })
            .collect();
        self.0.execute(sql, &params)
    }

    fn lock_account(&mut self, account_id: &str) -> Result<(), StoreError> {
        let key = crate::locks::account_lock_key(account_id);
        self.0
            .execute("SELECT pg_advisory_xact_lock($1)", &[&key])
            .map(|_| ())
    }
}
