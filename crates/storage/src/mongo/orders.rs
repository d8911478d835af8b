//! Orders on MongoDB: a plain collection, read by the revenue pipeline.

use std::sync::Arc;

use mongodb::bson::doc;
use mongodb::options::ReturnDocument;

use super::documents::OrderDoc;
use super::{MongoDb, ORDERS, backend, collect, ids, to_bson_id};
use crate::error::{StoreError, StoreResult};
use crate::model::{NewOrder, Order, OrderId, OrderStatus, UserId};
use crate::stores::{BoxFuture, OrderStore};

#[derive(Debug)]
pub(crate) struct MongoOrders {
    db: Arc<MongoDb>,
}

impl MongoOrders {
    pub(crate) fn new(db: Arc<MongoDb>) -> MongoOrders {
        MongoOrders { db }
    }
}

impl OrderStore for MongoOrders {
    fn create(&self, order: NewOrder) -> BoxFuture<'_, StoreResult<Order>> {
        Box::pin(async move {
            let id = ids::next_id(&self.db, ORDERS).await?;
            let document = OrderDoc::new(id, order);
            self.db
                .orders
                .insert_one(&document)
                .await
                .map_err(backend)?;
            Ok(document.into_order())
        })
    }

    fn get(&self, id: OrderId) -> BoxFuture<'_, StoreResult<Option<Order>>> {
        Box::pin(async move {
            let found = self
                .db
                .orders
                .find_one(doc! { "id": to_bson_id(id) })
                .await
                .map_err(backend)?;
            Ok(found.map(OrderDoc::into_order))
        })
    }

    fn list_for_user(&self, user_id: UserId) -> BoxFuture<'_, StoreResult<Vec<Order>>> {
        Box::pin(async move {
            let cursor = self
                .db
                .orders
                .find(doc! { "user_id": to_bson_id(user_id) })
                .sort(doc! { "created_at": -1, "id": -1 })
                .await
                .map_err(backend)?;
            Ok(collect(cursor)
                .await?
                .into_iter()
                .map(OrderDoc::into_order)
                .collect())
        })
    }

    fn set_status(&self, id: OrderId, status: OrderStatus) -> BoxFuture<'_, StoreResult<Order>> {
        Box::pin(async move {
            let changed = self
                .db
                .orders
                .find_one_and_update(
                    doc! { "id": to_bson_id(id) },
                    doc! { "$set": { "status": status.as_str() } },
                )
                .return_document(ReturnDocument::After)
                .await
                .map_err(backend)?;
            changed
                .map(OrderDoc::into_order)
                .ok_or(StoreError::NotFound { what: "order" })
        })
    }

    fn reset(&self, orders: Vec<NewOrder>) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(async move {
            self.db.orders.delete_many(doc! {}).await.map_err(backend)?;
            let documents: Vec<OrderDoc> = (1..)
                .zip(orders)
                .map(|(id, order)| OrderDoc::new(id, order))
                .collect();
            if !documents.is_empty() {
                self.db
                    .orders
                    .insert_many(&documents)
                    .await
                    .map_err(backend)?;
            }
            let last = i64::try_from(documents.len()).unwrap_or(i64::MAX);
            ids::set_last_id(&self.db, ORDERS, last).await
        })
    }
}
