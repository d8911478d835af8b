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
use dojo_storage::{mongo, seed, sqlite};
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

/// The MongoDB side of the model: each collection the MongoDB store writes, a document as
/// it stores it, and the indexes it creates at start (the store's own definitions, from
/// [`mongo::index_catalogue`]). `counters` hands out the integer ids and has only `_id`.
fn mongodb_design() -> Vec<CollectionDesign> {
    let counters = CollectionDesign {
        name: COUNTERS,
        example: stored_example(COUNTERS),
        indexes: Value::Array(Vec::new()),
    };
    mongo::index_catalogue()
        .into_iter()
        .map(|(name, indexes)| CollectionDesign {
            name,
            example: stored_example(name),
            indexes,
        })
        .chain([counters])
        .collect()
}

/// The collection of the id counters, one document per collection.
const COUNTERS: &str = "counters";

/// The password hash shown in the sample user: the store keeps an Argon2id PHC string.
const SAMPLE_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$...";

/// `_id`, made by the driver when a document is inserted: an ObjectId that differs on
/// every reset, so the sample shows the form, not a value to look for.
fn object_id() -> Value {
    json!({ "$oid": "<12 bytes, made by the driver>" })
}

/// A seeded document of `collection` with the keys and value types the MongoDB store
/// writes (`mongo/documents.rs` in dojo-storage): the shared integer `id` beside `_id`,
/// times as whole milliseconds since the epoch, empty members stored as `null`. Values
/// come from the seed, so the sample is the document a fresh sandbox holds.
fn stored_example(collection: &str) -> Value {
    match collection {
        "users" => seed::users(SAMPLE_HASH)
            .into_iter()
            .next()
            .map_or(Value::Null, |ada| {
                json!({ "_id": object_id(), "id": 1, "email": ada.email, "name": ada.name,
                    "role": ada.role.as_str(), "password_hash": ada.password_hash,
                    "created_at": ada.created_at, "updated_at": ada.created_at,
                    "deleted_at": null })
            }),
        "posts" => {
            let post = seed::post(0);
            json!({ "_id": object_id(), "id": 1, "author_id": post.author_id,
                "title": post.title, "body": post.body, "tag": post.tag, "likes": post.likes,
                "created_at": post.created_at })
        }
        "comments" => sample_comment(),
        "notifications" => seed::notifications()
            .into_iter()
            .next()
            .map_or(Value::Null, |note| {
                json!({ "_id": object_id(), "id": 1, "user_id": note.user_id, "kind": note.kind,
                    "message": note.message, "created_at": note.created_at, "read_at": null })
            }),
        "orders" => seed::orders()
            .into_iter()
            .next()
            .map_or(Value::Null, |order| {
                json!({ "_id": object_id(), "id": 1, "user_id": order.user_id,
                "total_cents": order.total_cents, "currency": order.currency,
                "status": order.status.as_str(), "created_at": order.created_at })
            }),
        COUNTERS => json!({ "_id": "users", "seq": seed::USERS.len() }),
        _ => Value::Null,
    }
}

/// The seeded comment with id 3, two levels down its thread: its ancestors, the
/// materialized path of zero-padded ids (19 digits, the width of the largest id) and its
/// count of direct replies, as the store keeps them.
fn sample_comment() -> Value {
    const ID: u64 = 3;
    let comments = seed::comments();
    // Seeded comments get the ids 1..=n in order; a parent always comes before its replies.
    let by_id = |id: u64| {
        usize::try_from(id)
            .ok()
            .and_then(|id| comments.get(id.checked_sub(1)?))
    };
    let Some(comment) = by_id(ID) else {
        return Value::Null;
    };
    let mut ancestors = Vec::new();
    let mut parent = comment.parent_id;
    while let Some(id) = parent {
        ancestors.insert(0, id);
        parent = by_id(id).and_then(|above| above.parent_id);
    }
    let path: Vec<String> = ancestors
        .iter()
        .chain([&ID])
        .map(|id| format!("{id:019}"))
        .collect();
    let reply_count = comments
        .iter()
        .filter(|reply| reply.parent_id == Some(ID))
        .count();
    json!({ "_id": object_id(), "id": ID, "post_id": comment.post_id,
        "parent_id": comment.parent_id, "author_id": comment.author_id, "body": comment.body,
        "depth": ancestors.len(), "reply_count": reply_count, "created_at": comment.created_at,
        "path": path.join("/"), "ancestors": ancestors })
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
