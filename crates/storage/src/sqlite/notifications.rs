//! Notifications on SQLite. Ownership is part of the query (`AND user_id = ?`), so another
//! user's notification is simply not found: no row to leak, no separate check to forget.

use std::sync::Arc;

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension as _, Row, params, params_from_iter};

use super::{Db, backend, from_sql, to_sql};
use crate::error::{StoreError, StoreResult};
use crate::model::{Millis, NewNotification, Notification, NotificationId, UserId};
use crate::stores::{BoxFuture, NotificationStore};

const COLUMNS: &str = "id, user_id, kind, message, created_at, read_at";

#[derive(Debug)]
pub(crate) struct SqliteNotifications {
    db: Arc<Db>,
}

impl SqliteNotifications {
    pub(crate) fn new(db: Arc<Db>) -> SqliteNotifications {
        SqliteNotifications { db }
    }
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<Notification> {
    Ok(Notification {
        id: from_sql(row.get(0)?),
        user_id: from_sql(row.get(1)?),
        kind: row.get(2)?,
        message: row.get(3)?,
        created_at: row.get(4)?,
        read_at: row.get(5)?,
    })
}

// region: sqlite-owned-notification
/// The notification with this id, and only if `owner` owns it (any owner when `None`).
fn get_owned(
    db: &Connection,
    id: NotificationId,
    owner: Option<UserId>,
) -> rusqlite::Result<Option<Notification>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM notifications WHERE id = ?1 AND (?2 IS NULL OR user_id = ?2)"
    );
    db.prepare_cached(&sql)?
        .query_row(params![to_sql(id), owner.map(to_sql)], from_row)
        .optional()
}
// endregion

fn insert(
    db: &Connection,
    id: Option<NotificationId>,
    note: &NewNotification,
) -> rusqlite::Result<NotificationId> {
    db.prepare_cached(
        "INSERT INTO notifications (id, user_id, kind, message, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        id.map(to_sql),
        to_sql(note.user_id),
        note.kind,
        note.message,
        note.created_at
    ])?;
    Ok(from_sql(db.last_insert_rowid()))
}

impl NotificationStore for SqliteNotifications {
    fn create(&self, note: NewNotification) -> BoxFuture<'_, StoreResult<Notification>> {
        Box::pin(self.db.write(move |db| {
            let live = db
                .prepare_cached("SELECT 1 FROM users WHERE id = ?1 AND deleted_at IS NULL")
                .and_then(|mut s| s.exists([to_sql(note.user_id)]))
                .map_err(backend)?;
            if !live {
                return Err(StoreError::NotFound { what: "user" });
            }
            let id = insert(db, None, &note).map_err(backend)?;
            Ok(Notification {
                id,
                user_id: note.user_id,
                kind: note.kind,
                message: note.message,
                created_at: note.created_at,
                read_at: None,
            })
        }))
    }

    fn get(
        &self,
        id: NotificationId,
        owner: Option<UserId>,
    ) -> BoxFuture<'_, StoreResult<Option<Notification>>> {
        Box::pin(
            self.db
                .read(move |db| get_owned(db, id, owner).map_err(backend)),
        )
    }

    fn list(
        &self,
        user_id: UserId,
        unread_only: bool,
        limit: u32,
    ) -> BoxFuture<'_, StoreResult<Vec<Notification>>> {
        Box::pin(self.db.read(move |db| {
            let unread = if unread_only {
                " AND read_at IS NULL"
            } else {
                ""
            };
            let sql = format!(
                "SELECT {COLUMNS} FROM notifications WHERE user_id = ?{unread}
                 ORDER BY created_at DESC, id DESC LIMIT ?"
            );
            let params = [Value::Integer(to_sql(user_id)), i64::from(limit).into()];
            let mut statement = db.prepare_cached(&sql).map_err(backend)?;
            statement
                .query_map(params_from_iter(params.iter()), from_row)
                .and_then(|rows| rows.collect())
                .map_err(backend)
        }))
    }

    // region: sqlite-read-state
    fn mark_read(
        &self,
        id: NotificationId,
        owner: Option<UserId>,
        at: Millis,
    ) -> BoxFuture<'_, StoreResult<Notification>> {
        Box::pin(self.db.write(move |db| {
            // COALESCE keeps the first read time: marking twice changes nothing.
            db.prepare_cached(
                "UPDATE notifications SET read_at = COALESCE(read_at, ?3)
                 WHERE id = ?1 AND (?2 IS NULL OR user_id = ?2)",
            )
            .and_then(|mut s| s.execute(params![to_sql(id), owner.map(to_sql), at]))
            .map_err(backend)?;
            get_owned(db, id, owner)
                .map_err(backend)?
                .ok_or(StoreError::NotFound {
                    what: "notification",
                })
        }))
    }

    fn mark_all_read(&self, user_id: UserId, at: Millis) -> BoxFuture<'_, StoreResult<u64>> {
        Box::pin(self.db.write(move |db| {
            db.prepare_cached(
                "UPDATE notifications SET read_at = ?2 WHERE user_id = ?1 AND read_at IS NULL",
            )
            .and_then(|mut s| s.execute(params![to_sql(user_id), at]))
            .map(|n| n as u64)
            .map_err(backend)
        }))
    }

    fn unread_count(&self, user_id: UserId) -> BoxFuture<'_, StoreResult<u64>> {
        Box::pin(self.db.read(move |db| {
            db.prepare_cached(
                "SELECT count(*) FROM notifications WHERE user_id = ?1 AND read_at IS NULL",
            )
            .and_then(|mut s| s.query_row([to_sql(user_id)], |r| r.get(0)))
            .map(from_sql)
            .map_err(backend)
        }))
    }
    // endregion

    fn reset(&self, notifications: Vec<NewNotification>) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(self.db.write(move |db| {
            let tx = db.transaction().map_err(backend)?;
            tx.execute("DELETE FROM notifications", [])
                .map_err(backend)?;
            for (index, note) in notifications.iter().enumerate() {
                insert(&tx, Some(index as u64 + 1), note).map_err(backend)?;
            }
            tx.commit().map_err(backend)
        }))
    }
}
