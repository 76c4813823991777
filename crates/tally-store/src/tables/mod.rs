//! The tables every SQL store has, one module each: the columns an insert writes (in order),
//! the encoder that writes a record's values in that order, and the decoder that reads the
//! record back from a row by column name. SQLite's and PostgreSQL's migrations create the same
//! tables with the same columns, so this is written once and both stores read alike.
//!
//! The `ON CONFLICT` clauses read the same in both dialects. Each store builds its own
//! statements from a [`Table`]: SQLite one row at a time, PostgreSQL one array per column.

pub mod accounts;
pub mod api_keys;
pub mod audit;
pub mod auto_topups;
pub mod charges;
pub mod entries;
pub mod events;
pub mod grants;
pub mod holds;
pub mod idempotency;
pub mod limits;
pub mod portal_links;
pub mod purchases;
pub mod rate_cards;
pub mod refunds;
pub mod subscriptions;
pub mod usage_buckets;
pub mod usage_daily;

use tally_core::{Attribution, Timestamp};

use crate::StoreError;
use crate::row::{ColumnWriter, Fields};

/// How a column's values are stored: text, or a 64-bit integer (instants, amounts, counts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    Text,
    I64,
}

/// One column an insert writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub kind: ColumnType,
}

const fn text(name: &'static str) -> Column {
    Column {
        name,
        kind: ColumnType::Text,
    }
}

const fn i64(name: &'static str) -> Column {
    Column {
        name,
        kind: ColumnType::I64,
    }
}

/// What an insert into one table writes.
#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    /// The columns the table's encoder writes, in its order, in groups (so the attribution
    /// columns several tables share are listed once).
    groups: &'static [&'static [Column]],
    /// Columns every new row starts with, as `(column, SQL literal)`.
    pub constants: &'static [(&'static str, &'static str)],
    /// What writing a row that exists does (` ON CONFLICT …`), or empty: an error.
    pub on_conflict: &'static str,
}

impl Table {
    /// The columns the encoder writes, in order.
    pub fn columns(&self) -> impl Iterator<Item = &'static Column> + use<> {
        self.groups.iter().flat_map(|group| group.iter())
    }
}

/// Who and what a hold, charge or entry was for.
const ATTRIBUTION: &[Column] = &[
    text("product"),
    text("member"),
    text("model"),
    text("action"),
    i64("rate_card_version"),
    text("quote_id"),
];

fn encode_attribution<W: ColumnWriter>(
    attribution: &Attribution,
    writer: &mut W,
) -> Result<(), W::Error> {
    writer.opt_text(attribution.product.as_deref())?;
    writer.opt_text(attribution.member.as_deref())?;
    writer.opt_text(attribution.model.as_deref())?;
    writer.opt_text(attribution.action.as_deref())?;
    writer.opt_i64(attribution.rate_card_version)?;
    writer.opt_text(attribution.quote_id.as_deref())
}

fn decode_attribution(fields: &Fields<'_>) -> Result<Attribution, StoreError> {
    Ok(Attribution {
        product: fields.opt_text("product")?,
        member: fields.opt_text("member")?,
        model: fields.opt_text("model")?,
        action: fields.opt_text("action")?,
        rate_card_version: fields.opt_i64("rate_card_version")?,
        quote_id: fields.opt_text("quote_id")?,
        key_id: None,
    })
}

fn micros(at: Timestamp) -> i64 {
    at.as_micros()
}

#[cfg(test)]
pub(crate) mod test_row {
    //! A row in memory: what an encoder writes, named by the table's columns, read back by the
    //! decoder. Every round trip checks the columns, the encoder and the decoder agree.

    use std::collections::HashMap;

    use super::{ColumnType, Table};
    use crate::row::{ColumnError, ColumnReader, ColumnWriter};

    #[derive(Clone, Debug, PartialEq)]
    pub(crate) enum Stored {
        Text(Option<String>),
        I64(Option<i64>),
    }

    /// Writes the values an encoder gives under the table's column names, checking their types.
    pub(crate) struct TestRow {
        names: Vec<(&'static str, ColumnType)>,
        pub(crate) values: HashMap<String, Stored>,
    }

    impl TestRow {
        pub(crate) fn new(table: &Table) -> Self {
            let mut row = TestRow {
                names: table.columns().map(|c| (c.name, c.kind)).collect(),
                values: HashMap::new(),
            };
            row.names.reverse();
            row
        }

        pub(crate) fn set(&mut self, column: &str, value: Stored) -> &mut Self {
            self.values.insert(column.to_string(), value);
            self
        }

        pub(crate) fn is_complete(&self) -> bool {
            self.names.is_empty()
        }

        fn put(&mut self, kind: ColumnType, value: Stored) -> Result<(), String> {
            let (name, expected) = self.names.pop().ok_or("more values than columns")?;
            if expected != kind {
                return Err(format!(
                    "column {name} is {expected:?}, written as {kind:?}"
                ));
            }
            self.values.insert(name.to_string(), value);
            Ok(())
        }

        fn get(&self, column: &str) -> Result<&Stored, ColumnError> {
            self.values
                .get(column)
                .ok_or_else(|| ColumnError::new(format!("no column {column}")))
        }
    }

    impl ColumnWriter for TestRow {
        type Error = String;
        fn text(&mut self, value: &str) -> Result<(), String> {
            self.put(ColumnType::Text, Stored::Text(Some(value.to_string())))
        }
        fn opt_text(&mut self, value: Option<&str>) -> Result<(), String> {
            self.put(ColumnType::Text, Stored::Text(value.map(str::to_string)))
        }
        fn i64(&mut self, value: i64) -> Result<(), String> {
            self.put(ColumnType::I64, Stored::I64(Some(value)))
        }
        fn opt_i64(&mut self, value: Option<i64>) -> Result<(), String> {
            self.put(ColumnType::I64, Stored::I64(value))
        }
    }

    impl ColumnReader for TestRow {
        fn text(&self, column: &str) -> Result<String, ColumnError> {
            self.opt_text(column)?
                .ok_or_else(|| ColumnError::new("NULL in a text column"))
        }
        fn opt_text(&self, column: &str) -> Result<Option<String>, ColumnError> {
            match self.get(column)? {
                Stored::Text(value) => Ok(value.clone()),
                Stored::I64(_) => Err(ColumnError::new("an integer, not text")),
            }
        }
        fn i64(&self, column: &str) -> Result<i64, ColumnError> {
            self.opt_i64(column)?
                .ok_or_else(|| ColumnError::new("NULL in an integer column"))
        }
        fn opt_i64(&self, column: &str) -> Result<Option<i64>, ColumnError> {
            match self.get(column)? {
                Stored::I64(value) => Ok(*value),
                Stored::Text(_) => Err(ColumnError::new("text, not an integer")),
            }
        }
    }
}

#[cfg(test)]
mod tests;
