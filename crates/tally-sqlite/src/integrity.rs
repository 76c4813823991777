//! What a file must be before the store writes to it: an SQLite database (not a truncated or
//! foreign file), empty or a Tally store (never another program's tables), with a schema no
//! newer than this binary knows, and pages that pass SQLite's `quick_check`. A refusal says
//! what is wrong and where, and leaves the file exactly as it was: these checks run before
//! any pragma or migration writes to it.

use std::path::Path;

use rusqlite::{Connection, ErrorCode};
use tally_store::StoreError;

/// The `application_id` in the header of every Tally store ("TALY").
pub(crate) const APPLICATION_ID: i32 = 0x5441_4c59;

/// Checks the file behind `connection` (opened, not yet written to) before the store opens it.
pub(crate) fn check(
    connection: &Connection,
    path: &Path,
    schema_known: i64,
) -> Result<(), StoreError> {
    let place = path.display();
    let refuse = |what: String| StoreError::Refused(format!("{place}: {what}"));
    let application_id: i32 = connection
        .query_row("PRAGMA application_id", [], |row| row.get(0))
        .map_err(|error| match error.sqlite_error_code() {
            Some(ErrorCode::NotADatabase) => refuse(
                "not an SQLite database, or its header is damaged (a truncated or overwritten \
                 file?); restore it from a backup, or point --db at a new file"
                    .into(),
            ),
            _ => refuse(format!("cannot be read: {error}")),
        })?;
    if application_id != 0 && application_id != APPLICATION_ID {
        return Err(refuse(format!(
            "an SQLite database of another application (application_id {application_id:#x}); \
             Tally leaves it untouched: point --db at a Tally store or a new file"
        )));
    }
    let tables: Vec<String> = {
        let mut statement = connection
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .map_err(|error| corrupt(&place, &error))?;
        let names = statement
            .query_map([], |row| row.get(0))
            .map_err(|error| corrupt(&place, &error))?;
        names
            .collect::<Result<_, _>>()
            .map_err(|error| corrupt(&place, &error))?
    };
    if !tables.is_empty() && !tables.iter().any(|name| name == "schema_migrations") {
        let shown: Vec<&str> = tables.iter().take(3).map(String::as_str).collect();
        return Err(refuse(format!(
            "an SQLite database with tables of its own ({}{}) and no Tally schema; Tally \
             leaves it untouched: point --db at a Tally store or a new file",
            shown.join(", "),
            if tables.len() > shown.len() {
                ", …"
            } else {
                ""
            }
        )));
    }
    if !tables.is_empty() {
        let version: i64 = connection
            .query_row(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                [],
                |row| row.get(0),
            )
            .map_err(|error| corrupt(&place, &error))?;
        if version > schema_known {
            return Err(refuse(format!(
                "written by a newer Tally (schema version {version}; this binary knows up to \
                 {schema_known}): run the newer release, a downgrade is not supported"
            )));
        }
        let problems = quick_check(connection).map_err(|error| corrupt(&place, &error))?;
        if !problems.is_empty() {
            return Err(StoreError::Corrupt(format!(
                "{place}: SQLite's integrity check failed ({}); Tally will not serve balances \
                 from it: restore the last backup (see `tally backup`)",
                problems.join("; ")
            )));
        }
    }
    Ok(())
}

/// What `PRAGMA quick_check` finds (empty when the file is sound), at most 5 lines.
fn quick_check(connection: &Connection) -> Result<Vec<String>, rusqlite::Error> {
    let mut statement = connection.prepare("PRAGMA quick_check(5)")?;
    let lines = statement.query_map([], |row| row.get::<_, String>(0))?;
    let lines: Vec<String> = lines.collect::<Result<_, _>>()?;
    Ok(lines.into_iter().filter(|line| line != "ok").collect())
}

fn corrupt(place: &std::path::Display<'_>, error: &rusqlite::Error) -> StoreError {
    StoreError::Corrupt(format!(
        "{place}: SQLite reports {error}; Tally will not serve balances from it: restore the \
         last backup (see `tally backup`)"
    ))
}
