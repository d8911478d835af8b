//! The schema, embedded in the binary and applied in order at open. `PRAGMA user_version`
//! records how many migrations a database has had.

use rusqlite::Connection;

use super::backend;
use crate::error::{StoreError, StoreResult};

/// Every migration, oldest first. Never edit one that shipped: add the next.
const MIGRATIONS: &[&str] = &[include_str!("migrations/001_data_suite.sql")];

/// Every migration's SQL, oldest first.
pub(crate) fn all() -> &'static [&'static str] {
    MIGRATIONS
}

/// Applies the migrations this database has not had, each in its own transaction.
pub(crate) fn migrate(connection: &Connection) -> StoreResult<()> {
    let applied: i64 = connection
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(backend)?;
    let applied = usize::try_from(applied).unwrap_or(0);
    if applied > MIGRATIONS.len() {
        return Err(StoreError::Backend(format!(
            "the database has {applied} migrations, newer than this program's {}",
            MIGRATIONS.len()
        )));
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        let version = index + 1;
        connection
            .execute_batch(&format!(
                "BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;"
            ))
            .map_err(|e| {
                let _ = connection.execute_batch("ROLLBACK");
                StoreError::Backend(format!("sqlite migration {version} failed: {e}"))
            })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrating_twice_is_a_no_op_and_records_the_version() {
        let connection = Connection::open_in_memory().expect("memory database");
        migrate(&connection).expect("first run");
        migrate(&connection).expect("second run");
        let version: i64 = connection
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .expect("version");
        assert_eq!(version, MIGRATIONS.len() as i64);
    }
}
