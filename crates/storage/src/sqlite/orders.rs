//! Orders on SQLite: amounts in integer cents, status checked by the table.

use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension as _, Row, params};

use super::{Db, backend, from_sql, to_sql};
use crate::error::{StoreError, StoreResult};
use crate::model::{NewOrder, Order, OrderId, OrderStatus, UserId};
use crate::stores::{BoxFuture, OrderStore};

const COLUMNS: &str = "id, user_id, total_cents, currency, status, created_at";

#[derive(Debug)]
pub(crate) struct SqliteOrders {
    db: Arc<Db>,
}

impl SqliteOrders {
    pub(crate) fn new(db: Arc<Db>) -> SqliteOrders {
        SqliteOrders { db }
    }
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<Order> {
    let status: String = row.get(4)?;
    Ok(Order {
        id: from_sql(row.get(0)?),
        user_id: from_sql(row.get(1)?),
        total_cents: row.get(2)?,
        currency: row.get(3)?,
        status: OrderStatus::parse(&status).unwrap_or(OrderStatus::Pending),
        created_at: row.get(5)?,
    })
}

fn get(db: &Connection, id: OrderId) -> rusqlite::Result<Option<Order>> {
    db.prepare_cached(&format!("SELECT {COLUMNS} FROM orders WHERE id = ?1"))?
        .query_row([to_sql(id)], from_row)
        .optional()
}

fn insert(db: &Connection, id: Option<OrderId>, order: &NewOrder) -> rusqlite::Result<OrderId> {
    db.prepare_cached(
        "INSERT INTO orders (id, user_id, total_cents, currency, status, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        id.map(to_sql),
        to_sql(order.user_id),
        order.total_cents,
        order.currency,
        order.status.as_str(),
        order.created_at
    ])?;
    Ok(from_sql(db.last_insert_rowid()))
}

impl OrderStore for SqliteOrders {
    fn create(&self, order: NewOrder) -> BoxFuture<'_, StoreResult<Order>> {
        Box::pin(self.db.write(move |db| {
            let id = insert(db, None, &order).map_err(backend)?;
            Ok(Order {
                id,
                user_id: order.user_id,
                total_cents: order.total_cents,
                currency: order.currency,
                status: order.status,
                created_at: order.created_at,
            })
        }))
    }

    fn get(&self, id: OrderId) -> BoxFuture<'_, StoreResult<Option<Order>>> {
        Box::pin(self.db.read(move |db| get(db, id).map_err(backend)))
    }

    fn list_for_user(&self, user_id: UserId) -> BoxFuture<'_, StoreResult<Vec<Order>>> {
        Box::pin(self.db.read(move |db| {
            let sql = format!(
                "SELECT {COLUMNS} FROM orders WHERE user_id = ?1 ORDER BY created_at DESC, id DESC"
            );
            let mut statement = db.prepare_cached(&sql).map_err(backend)?;
            statement
                .query_map([to_sql(user_id)], from_row)
                .and_then(|rows| rows.collect())
                .map_err(backend)
        }))
    }

    fn set_status(&self, id: OrderId, status: OrderStatus) -> BoxFuture<'_, StoreResult<Order>> {
        Box::pin(self.db.write(move |db| {
            let changed = db
                .prepare_cached("UPDATE orders SET status = ?2 WHERE id = ?1")
                .and_then(|mut s| s.execute(params![to_sql(id), status.as_str()]))
                .map_err(backend)?;
            if changed == 0 {
                return Err(StoreError::NotFound { what: "order" });
            }
            get(db, id)
                .map_err(backend)?
                .ok_or(StoreError::NotFound { what: "order" })
        }))
    }

    fn reset(&self, orders: Vec<NewOrder>) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(self.db.write(move |db| {
            let tx = db.transaction().map_err(backend)?;
            tx.execute("DELETE FROM orders", []).map_err(backend)?;
            for (index, order) in orders.iter().enumerate() {
                insert(&tx, Some(index as u64 + 1), order).map_err(backend)?;
            }
            tx.commit().map_err(backend)
        }))
    }
}
