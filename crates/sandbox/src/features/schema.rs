//! Schema design (topic 9): the data suite's schema as the database holds it, the SQL
//! schema beside the MongoDB collections and indexes of the same model, the embed-versus-
//! reference choices behind them, and the query plan of an allowlisted query.
//!
//! - `GET /api/v1/schema` answers the live schema (tables, indexes, the FTS5 table on
//!   SQLite), the SQL it was created with, and the MongoDB design.
//! - `POST /api/v1/schema/explain` with `{"query": "posts_by_author", "author_id": 1}`
//!   answers the plan (`EXPLAIN QUERY PLAN` on SQLite). Only named queries: no SQL text
//!   from clients ever reaches the database.
//!
//! Try it: `curl -s -X POST http://127.0.0.1:PORT/api/v1/schema/explain -H 'content-type: application/json' -d '{"query":"posts_page_by_offset","offset":99980}'`

use axum::Json;
use axum::extract::State;
use dojo_storage::schema::{Backend, ExplainTarget, QueryPlan, SchemaDescription};
use dojo_storage::sqlite;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::extract::ValidJson;
use crate::state::AppState;

/// One MongoDB collection of the same model.
#[derive(Debug, Serialize, ToSchema)]
pub struct CollectionDesign {
    pub name: &'static str,
    /// A document as stored.
    #[schema(value_type = Object)]
    pub example: Value,
    /// Each index: its name, key document and options.
    #[schema(value_type = Vec<Object>)]
    pub indexes: Value,
}

/// One modelling decision and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct DesignChoice {
    pub data: &'static str,
    /// `embed` or `reference`.
    pub choice: &'static str,
    pub why: &'static str,
}

/// The schema, both ways.
#[derive(Debug, Serialize, ToSchema)]
pub struct SchemaView {
    /// The backend this sandbox stores in.
    #[schema(value_type = String, example = "sqlite")]
    pub backend: Backend,
    /// What the live database reports.
    #[schema(value_type = Object)]
    pub live: SchemaDescription,
    /// The SQL schema (every migration, in order).
    pub sql: String,
    /// The MongoDB collections and indexes of the same model.
    pub mongodb: Vec<CollectionDesign>,
    pub choices: Vec<DesignChoice>,
}

/// The routes, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(data_schema))
        .routes(routes!(explain_query))
}

// region: design-choices
/// Why each piece of data is embedded or referenced.
fn choices() -> Vec<DesignChoice> {
    vec![
        DesignChoice {
            data: "comments of a post",
            choice: "reference",
            why: "Unbounded (a popular post gathers thousands; a MongoDB document stops at 16 MB), \
                  paged and written on their own, often by other users. Each comment names its post \
                  and parent; a materialized path (MongoDB) or a recursive CTE (SQL) reads a thread \
                  in one query.",
        },
        DesignChoice {
            data: "notifications of a user",
            choice: "reference",
            why: "Written constantly and read a page at a time with per-item read state; embedding \
                  them in the user would rewrite a growing document on every event.",
        },
        DesignChoice {
            data: "author of a post",
            choice: "reference",
            why: "Posts keep author_id only: a renamed user is one update, not one per post. Reports \
                  join ($lookup) the name at read time. Denormalising the name is the trade-off to \
                  take when feeds are read far more than names change.",
        },
        DesignChoice {
            data: "orders of a user",
            choice: "reference",
            why: "Their own lifecycle (paid, refunded), queried across users by analytics. An \
                  order's line items, owned and read with it and bounded, are what to embed.",
        },
        DesignChoice {
            data: "deleted_at, read_at",
            choice: "embed",
            why: "State of the row itself, filtered on by every default read: a column or member \
                  with a partial index, never a separate table.",
        },
    ]
}
// endregion

/// The MongoDB side of the model: collections, a sample document each and their indexes.
/// The MongoDB store creates these indexes at start.
fn mongodb_design() -> Vec<CollectionDesign> {
    vec![
        CollectionDesign {
            name: "users",
            example: json!({ "_id": 1, "email": "ada@dojo.test", "name": "Ada Lovelace", "role": "user",
                "password_hash": "$argon2id$...", "created_at": { "$date": "2025-01-06T09:00:00Z" },
                "updated_at": { "$date": "2025-01-06T09:00:00Z" }, "deleted_at": null }),
            indexes: json!([
                { "name": "users_email_live", "key": { "email": 1 }, "unique": true,
                  "partialFilterExpression": { "deleted_at": null } },
                { "name": "users_deleted_at", "key": { "deleted_at": 1 },
                  "partialFilterExpression": { "deleted_at": { "$type": "date" } } },
                { "name": "users_created_at", "key": { "created_at": 1 } }
            ]),
        },
        CollectionDesign {
            name: "posts",
            example: json!({ "_id": 1, "author_id": 1, "title": "Practical keyset pagination at scale",
                "body": "...", "tag": "databases", "likes": 42, "created_at": { "$date": "2025-01-06T00:00:00Z" } }),
            indexes: json!([
                { "name": "posts_created", "key": { "created_at": 1, "_id": 1 } },
                { "name": "posts_likes", "key": { "likes": 1, "_id": 1 } },
                { "name": "posts_title", "key": { "title": 1, "_id": 1 } },
                { "name": "posts_author_created", "key": { "author_id": 1, "created_at": 1, "_id": 1 } },
                { "name": "posts_tag_created", "key": { "tag": 1, "created_at": 1, "_id": 1 } }
            ]),
        },
        CollectionDesign {
            name: "comments",
            example: json!({ "_id": 3, "post_id": 1, "parent_id": 2, "ancestors": [1, 2],
                "path": "00000000000000000001/00000000000000000002/00000000000000000003",
                "author_id": 3, "body": "Measured how?", "depth": 2, "created_at": { "$date": "2025-02-05T00:09:00Z" } }),
            indexes: json!([
                { "name": "comments_post_path", "key": { "post_id": 1, "path": 1 } },
                { "name": "comments_ancestors", "key": { "ancestors": 1 } }
            ]),
        },
        CollectionDesign {
            name: "notifications",
            example: json!({ "_id": 1, "user_id": 1, "kind": "comment.reply",
                "message": "Linus replied to your comment", "created_at": { "$date": "2025-02-05T00:09:00Z" }, "read_at": null }),
            indexes: json!([
                { "name": "notifications_user_newest", "key": { "user_id": 1, "created_at": -1, "_id": -1 } },
                { "name": "notifications_unread", "key": { "user_id": 1 },
                  "partialFilterExpression": { "read_at": null } }
            ]),
        },
        CollectionDesign {
            name: "orders",
            example: json!({ "_id": 1, "user_id": 1, "total_cents": 1999, "currency": "EUR",
                "status": "paid", "created_at": { "$date": "2025-01-07T00:00:00Z" } }),
            indexes: json!([
                { "name": "orders_user_newest", "key": { "user_id": 1, "created_at": -1, "_id": -1 } },
                { "name": "orders_status_created", "key": { "status": 1, "created_at": 1 } }
            ]),
        },
        CollectionDesign {
            name: "counters",
            example: json!({ "_id": "users", "seq": 12 }),
            indexes: json!([]),
        },
    ]
}

/// The schema, SQL and MongoDB
///
/// The live schema of this sandbox's database, the SQL it was created with, the MongoDB
/// collections and indexes of the same model, and why each relation is embedded or
/// referenced.
#[utoipa::path(
    get,
    path = "/api/v1/schema",
    tag = "data",
    responses((status = 200, description = "Both schemas and the design choices", body = SchemaView)),
)]
async fn data_schema(State(state): State<AppState>) -> ApiResult<Json<SchemaView>> {
    let data = state.data.ready().await?;
    let live = data.schema.describe().await?;
    Ok(Json(SchemaView {
        backend: data.backend,
        live,
        sql: sqlite::schema_sql(),
        mongodb: mongodb_design(),
        choices: choices(),
    }))
}

/// How the database runs a query
///
/// One of the allowlisted queries, by name, with its parameters: `user_by_email` (`email`),
/// `posts_by_author` (`author_id`), `posts_page_by_offset` (`offset`), `posts_page_after`
/// (`created_at`, `id`), `search_posts` (`text`), `comment_tree` (`post_id`),
/// `unread_notifications` (`user_id`).
#[utoipa::path(
    post,
    path = "/api/v1/schema/explain",
    tag = "data",
    request_body(content = Object, description = "`query` names the query; the other members are its parameters",
        example = json!({ "query": "posts_by_author", "author_id": 1 })),
    responses(
        (status = 200, description = "The query and its plan", body = Object),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::ValidationFailed),
    ),
)]
// region: explain-route
async fn explain_query(
    State(state): State<AppState>,
    ValidJson(target): ValidJson<ExplainTarget>,
) -> ApiResult<Json<QueryPlan>> {
    let data = state.data.ready().await?;
    let plan = data.schema.explain(target).await?;
    tracing::info!(target: "dojo::trace", layer = "schema", step = "decision", decision = "passed",
        reason = if plan.uses_index { "the plan reads through an index" } else { "the plan scans every row" });
    Ok(Json(plan))
}
// endregion
