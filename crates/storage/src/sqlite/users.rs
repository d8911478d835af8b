//! Users on SQLite: soft deletion through `deleted_at`, email unique among live rows (a
//! partial unique index), the default scope written into every query.

use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension as _, Row, params, params_from_iter};

use super::filter_sql::{Clause, push_filter};
use super::{Db, backend, conflict_or_backend, from_sql, to_sql};
use crate::error::{StoreError, StoreResult};
use crate::filter::Filter;
use crate::model::{Credentials, Millis, NewUser, Scope, User, UserId, UserPatch, UserRole};
use crate::query::OffsetPage;
use crate::stores::{BoxFuture, UserStore};

/// The columns a [`User`] is read from, in [`user_from_row`]'s order.
const USER_COLUMNS: &str = "id, email, name, role, created_at, updated_at, deleted_at";

#[derive(Debug)]
pub(crate) struct SqliteUsers {
    db: Arc<Db>,
}

impl SqliteUsers {
    pub(crate) fn new(db: Arc<Db>) -> SqliteUsers {
        SqliteUsers { db }
    }
}

pub(crate) fn user_from_row(row: &Row<'_>) -> rusqlite::Result<User> {
    let role: String = row.get(3)?;
    Ok(User {
        id: from_sql(row.get(0)?),
        email: row.get(1)?,
        name: row.get(2)?,
        role: UserRole::parse(&role).unwrap_or(UserRole::User),
        created_at: row.get(4)?,
        updated_at: row.get(5)?,
        deleted_at: row.get(6)?,
    })
}

// region: sqlite-scope
/// The scope as a condition on `deleted_at`.
fn scope_sql(scope: Scope) -> &'static str {
    match scope {
        Scope::Live => "deleted_at IS NULL",
        Scope::Deleted => "deleted_at IS NOT NULL",
        Scope::All => "1",
    }
}
// endregion

fn get_in(db: &Connection, id: UserId, scope: Scope) -> rusqlite::Result<Option<User>> {
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM users WHERE id = ?1 AND {}",
        scope_sql(scope)
    );
    db.prepare_cached(&sql)?
        .query_row([to_sql(id)], user_from_row)
        .optional()
}

fn insert(db: &Connection, id: Option<UserId>, user: &NewUser) -> rusqlite::Result<User> {
    db.prepare_cached(
        "INSERT INTO users (id, email, name, role, password_hash, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
    )?
    .execute(params![
        id.map(to_sql),
        user.email,
        user.name,
        user.role.as_str(),
        user.password_hash,
        user.created_at
    ])?;
    Ok(User {
        id: from_sql(db.last_insert_rowid()),
        email: user.email.clone(),
        name: user.name.clone(),
        role: user.role,
        created_at: user.created_at,
        updated_at: user.created_at,
        deleted_at: None,
    })
}

fn not_found() -> StoreError {
    StoreError::NotFound { what: "user" }
}

impl UserStore for SqliteUsers {
    fn create(&self, user: NewUser) -> BoxFuture<'_, StoreResult<User>> {
        Box::pin(
            self.db
                .write(move |db| insert(db, None, &user).map_err(conflict_or_backend)),
        )
    }

    fn get(&self, id: UserId, scope: Scope) -> BoxFuture<'_, StoreResult<Option<User>>> {
        Box::pin(
            self.db
                .read(move |db| get_in(db, id, scope).map_err(backend)),
        )
    }

    fn by_email(&self, email: String) -> BoxFuture<'_, StoreResult<Option<User>>> {
        Box::pin(self.db.read(move |db| {
            let sql =
                format!("SELECT {USER_COLUMNS} FROM users WHERE email = ?1 AND deleted_at IS NULL");
            db.prepare_cached(&sql)
                .and_then(|mut statement| statement.query_row([email], user_from_row).optional())
                .map_err(backend)
        }))
    }

    fn credentials(
        &self,
        filter: Filter,
        limit: u32,
    ) -> BoxFuture<'_, StoreResult<Vec<Credentials>>> {
        Box::pin(self.db.read(move |db| {
            let mut clause = Clause::default();
            clause.and("deleted_at IS NULL", []);
            push_filter(&mut clause, &filter)?;
            clause.params.push(i64::from(limit).into());
            let sql = format!(
                "SELECT {USER_COLUMNS}, password_hash FROM users WHERE {} ORDER BY id LIMIT ?",
                clause.sql()
            );
            let mut statement = db.prepare_cached(&sql).map_err(backend)?;
            let rows = statement
                .query_map(params_from_iter(clause.params.iter()), |row| {
                    Ok(Credentials {
                        user: user_from_row(row)?,
                        password_hash: row.get(7)?,
                    })
                })
                .map_err(backend)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
        }))
    }

    fn list(
        &self,
        filter: Filter,
        scope: Scope,
        offset: u64,
        limit: u32,
    ) -> BoxFuture<'_, StoreResult<OffsetPage<User>>> {
        Box::pin(self.db.read(move |db| {
            let mut clause = Clause::default();
            clause.and(scope_sql(scope), []);
            push_filter(&mut clause, &filter)?;
            let total: i64 = db
                .prepare_cached(&format!(
                    "SELECT count(*) FROM users WHERE {}",
                    clause.sql()
                ))
                .and_then(|mut s| s.query_row(params_from_iter(clause.params.iter()), |r| r.get(0)))
                .map_err(backend)?;
            let sql = format!(
                "SELECT {USER_COLUMNS} FROM users WHERE {} ORDER BY id LIMIT ? OFFSET ?",
                clause.sql()
            );
            clause.params.push(i64::from(limit).into());
            clause.params.push(to_sql(offset).into());
            let mut statement = db.prepare_cached(&sql).map_err(backend)?;
            let items = statement
                .query_map(params_from_iter(clause.params.iter()), user_from_row)
                .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
                .map_err(backend)?;
            Ok(OffsetPage {
                items,
                total: from_sql(total),
            })
        }))
    }

    // region: sqlite-user-patch
    fn update(&self, id: UserId, patch: UserPatch) -> BoxFuture<'_, StoreResult<User>> {
        Box::pin(self.db.write(move |db| {
            // COALESCE keeps a column whose patch member is NULL (absent).
            let changed = db
                .prepare_cached(
                    "UPDATE users SET
                        email = COALESCE(?2, email),
                        name = COALESCE(?3, name),
                        role = COALESCE(?4, role),
                        password_hash = COALESCE(?5, password_hash),
                        updated_at = ?6
                     WHERE id = ?1 AND deleted_at IS NULL",
                )
                .and_then(|mut statement| {
                    statement.execute(params![
                        to_sql(id),
                        patch.email,
                        patch.name,
                        patch.role.map(UserRole::as_str),
                        patch.password_hash,
                        patch.updated_at
                    ])
                })
                .map_err(conflict_or_backend)?;
            if changed == 0 {
                return Err(not_found());
            }
            get_in(db, id, Scope::Live)
                .map_err(backend)?
                .ok_or_else(not_found)
        }))
    }
    // endregion

    // region: sqlite-soft-delete
    fn soft_delete(&self, id: UserId, at: Millis) -> BoxFuture<'_, StoreResult<User>> {
        Box::pin(self.db.write(move |db| {
            let changed = db
                .prepare_cached(
                    "UPDATE users SET deleted_at = ?2, updated_at = ?2
                     WHERE id = ?1 AND deleted_at IS NULL",
                )
                .and_then(|mut s| s.execute(params![to_sql(id), at]))
                .map_err(backend)?;
            if changed == 0 {
                return Err(not_found());
            }
            get_in(db, id, Scope::Deleted)
                .map_err(backend)?
                .ok_or_else(not_found)
        }))
    }

    fn restore(&self, id: UserId, at: Millis) -> BoxFuture<'_, StoreResult<User>> {
        Box::pin(self.db.write(move |db| {
            // The partial unique index refuses the restore if a live account took the
            // address meanwhile: that is the conflict the caller reports.
            let changed = db
                .prepare_cached(
                    "UPDATE users SET deleted_at = NULL, updated_at = ?2
                     WHERE id = ?1 AND deleted_at IS NOT NULL",
                )
                .and_then(|mut s| s.execute(params![to_sql(id), at]))
                .map_err(conflict_or_backend)?;
            if changed == 0 {
                return Err(not_found());
            }
            get_in(db, id, Scope::Live)
                .map_err(backend)?
                .ok_or_else(not_found)
        }))
    }

    fn purge_deleted(&self, deleted_before: Millis) -> BoxFuture<'_, StoreResult<u64>> {
        Box::pin(self.db.write(move |db| {
            // Notifications go with their user (ON DELETE CASCADE).
            db.prepare_cached("DELETE FROM users WHERE deleted_at < ?1")
                .and_then(|mut s| s.execute([deleted_before]))
                .map(|n| n as u64)
                .map_err(backend)
        }))
    }
    // endregion

    fn reset(&self, users: Vec<NewUser>) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(self.db.write(move |db| {
            let tx = db.transaction().map_err(backend)?;
            tx.execute("DELETE FROM users", []).map_err(backend)?;
            for (index, user) in users.iter().enumerate() {
                insert(&tx, Some(index as u64 + 1), user).map_err(conflict_or_backend)?;
            }
            tx.commit().map_err(backend)
        }))
    }
}
