//! Nested comments (topic 12): an adjacency list (`parent_id`) with the depth stored at
//! write time, a limit on how deep replies nest, reply counts, and a whole thread read in
//! one query (a recursive CTE on SQLite) and nested in memory.
//!
//! - `GET /api/v1/posts/{id}/comments?max_depth=&root=` answers the thread as a tree.
//! - `POST /api/v1/posts/{id}/comments` adds a comment or a reply (bearer token); a reply
//!   deeper than the limit is a 422. The parent's author gets a notification (topic 26),
//!   pushed live as `notification.created` (topic 24).
//! - `GET /api/v1/comments/{id}` reads one comment with its reply count.
//!
//! Try it: `curl -s http://127.0.0.1:PORT/api/v1/posts/1/comments`

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use dojo_storage::model::{Comment, NewComment, NewNotification};
use dojo_storage::{Storage, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

use crate::error::{ApiError, ApiResult};
use crate::extract::ValidJson;
use crate::features::data_suite::{now, rfc3339};
use crate::features::jwt::AuthUser;
use crate::features::notifications::{NotificationView, publish_created};
use crate::features::validation;
use crate::state::AppState;

/// Replies nest at most this deep: top-level comments are depth 0, so four levels.
pub const MAX_DEPTH: u32 = 3;

/// A comment with its replies, as the tree is answered.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentNode {
    pub id: u64,
    pub post_id: u64,
    pub parent_id: Option<u64>,
    pub author_id: u64,
    pub body: String,
    pub depth: u32,
    /// Direct replies, including any deeper than `max_depth` (those are not in `replies`).
    pub reply_count: u64,
    pub created_at: String,
    #[schema(no_recursion)]
    pub replies: Vec<CommentNode>,
}

impl From<Comment> for CommentNode {
    fn from(comment: Comment) -> CommentNode {
        CommentNode {
            id: comment.id,
            post_id: comment.post_id,
            parent_id: comment.parent_id,
            author_id: comment.author_id,
            body: comment.body,
            depth: comment.depth,
            reply_count: comment.reply_count,
            created_at: rfc3339(comment.created_at),
            replies: Vec::new(),
        }
    }
}

// region: nest-thread
/// Nests a thread read in tree order (every comment right before its replies): the
/// comments at `depth` from `position` on are siblings, and each one's replies follow it
/// one level deeper. One pass, no lookups.
fn nest(
    thread: &mut std::iter::Peekable<std::vec::IntoIter<Comment>>,
    depth: u32,
) -> Vec<CommentNode> {
    let mut siblings = Vec::new();
    while let Some(comment) = thread.next_if(|c| c.depth == depth) {
        let mut node = CommentNode::from(comment);
        node.replies = nest(thread, depth + 1);
        siblings.push(node);
    }
    siblings
}
// endregion

/// `?max_depth=&root=` of a thread.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ThreadQuery {
    /// Deepest level returned, 0 to 3 (default 3: everything).
    max_depth: Option<u32>,
    /// Only this comment and its replies.
    root: Option<u64>,
}

/// A post's comment tree.
#[derive(Debug, Serialize, ToSchema)]
pub struct Thread {
    pub post_id: u64,
    pub max_depth: u32,
    /// Comments returned, at every level.
    pub count: usize,
    pub comments: Vec<CommentNode>,
}

/// The body of `POST /api/v1/posts/{id}/comments`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "body": "Same here: we settled on twice the cores.", "parent_id": 2 }))]
pub struct NewCommentBody {
    #[validate(length(min = 1, max = 2000, message = "must be 1 to 2000 characters"))]
    body: String,
    /// The comment this answers; absent for a top-level comment.
    parent_id: Option<u64>,
}

/// The routes, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(comment_thread, add_comment))
        .routes(routes!(get_comment))
}

async fn post_must_exist(data: &Storage, post_id: u64) -> ApiResult<()> {
    match data.posts.get(post_id).await? {
        Some(_) => Ok(()),
        None => Err(ApiError::NotFound(format!("no post with id {post_id}"))),
    }
}

/// A post's comments as a tree
///
/// The whole thread comes from one query and is nested in one pass. `reply_count` counts
/// direct replies even where `max_depth` leaves them out.
#[utoipa::path(
    get,
    path = "/api/v1/posts/{id}/comments",
    tag = "data",
    params(("id" = u64, Path, description = "The post's id"), ThreadQuery),
    responses(
        (status = 200, description = "The comment tree", body = Thread),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 404, response = crate::openapi::NotFound),
    ),
)]
// region: thread-route
async fn comment_thread(
    State(state): State<AppState>,
    Path(post_id): Path<u64>,
    Query(query): Query<ThreadQuery>,
) -> ApiResult<Json<Thread>> {
    let max_depth = query.max_depth.unwrap_or(MAX_DEPTH).min(MAX_DEPTH);
    let data = state.data.ready().await?;
    post_must_exist(&data, post_id).await?;
    let comments = data.comments.thread(post_id, query.root, max_depth).await?;
    let count = comments.len();
    let top = comments.first().map_or(0, |c| c.depth);
    let comments = nest(&mut comments.into_iter().peekable(), top);
    Ok(Json(Thread {
        post_id,
        max_depth,
        count,
        comments,
    }))
}
// endregion

/// Comment on a post, or reply to a comment
///
/// Replies nest at most four levels (depth 0 to 3); deeper is a 422 naming `parent_id`.
/// The parent's author is notified.
#[utoipa::path(
    post,
    path = "/api/v1/posts/{id}/comments",
    tag = "data",
    security(("bearer" = [])),
    params(("id" = u64, Path, description = "The post's id")),
    request_body = NewCommentBody,
    responses(
        (status = 201, description = "Created; `Location` names the comment", body = CommentNode),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 404, response = crate::openapi::NotFound),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::ValidationFailed),
    ),
)]
async fn add_comment(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(post_id): Path<u64>,
    ValidJson(body): ValidJson<NewCommentBody>,
) -> ApiResult<Response> {
    let body = NewCommentBody {
        body: body.body.trim().to_owned(),
        parent_id: body.parent_id,
    };
    validation::check(&body)?;
    let data = state.data.ready().await?;
    let created = data
        .comments
        .create(
            NewComment {
                post_id,
                parent_id: body.parent_id,
                author_id: caller.id,
                body: body.body,
                created_at: now(),
            },
            MAX_DEPTH,
        )
        .await
        .map_err(|error| match error {
            StoreError::NotFound { what: "post" } => {
                ApiError::NotFound(format!("no post with id {post_id}"))
            }
            StoreError::NotFound { .. } => ApiError::NotFound(format!(
                "no comment with id {} to reply to",
                body.parent_id.unwrap_or(0)
            )),
            StoreError::Invalid { field, message } => {
                tracing::info!(target: "dojo::trace", layer = "comments", step = "decision",
                    decision = "short_circuited", status = 422u64, reason = message.as_str());
                ApiError::Validation(vec![crate::error::FieldError { field, message }])
            }
            other => other.into(),
        })?;
    tracing::info!(target: "dojo::trace", layer = "comments", step = "decision", decision = "passed",
        reason = "comment stored with its depth", depth = created.depth);
    if let Some(parent_id) = created.parent_id {
        notify_parent_author(&state, &data, parent_id, caller.id).await;
    }
    let location = HeaderValue::try_from(format!("/api/v1/comments/{}", created.id))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(CommentNode::from(created)),
    )
        .into_response())
}

/// Tells the parent comment's author about the reply, unless they replied to themselves.
/// A failure here does not undo the reply: it is logged.
async fn notify_parent_author(state: &AppState, data: &Storage, parent_id: u64, replier: u64) {
    let Ok(Some(parent)) = data.comments.get(parent_id).await else {
        return;
    };
    if parent.author_id == replier {
        return;
    }
    let note = NewNotification {
        user_id: parent.author_id,
        kind: "comment.reply".into(),
        message: format!("User {replier} replied to your comment #{parent_id}"),
        created_at: now(),
    };
    match data.notifications.create(note).await {
        Ok(created) => publish_created(state, &NotificationView::from(created)),
        Err(error) => tracing::warn!(%error, "reply notification not stored"),
    }
}

/// Read one comment
#[utoipa::path(
    get,
    path = "/api/v1/comments/{id}",
    tag = "data",
    params(("id" = u64, Path, description = "The comment's id")),
    responses(
        (status = 200, description = "The comment, without its replies", body = CommentNode),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 404, response = crate::openapi::NotFound),
    ),
)]
async fn get_comment(
    State(state): State<AppState>,
    Path(id): Path<u64>,
) -> ApiResult<Json<CommentNode>> {
    let data = state.data.ready().await?;
    data.comments
        .get(id)
        .await?
        .map(|c| Json(CommentNode::from(c)))
        .ok_or_else(|| ApiError::NotFound(format!("no comment with id {id}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comment(id: u64, depth: u32) -> Comment {
        Comment {
            id,
            post_id: 1,
            parent_id: None,
            author_id: 1,
            body: String::new(),
            depth,
            reply_count: 0,
            created_at: 0,
        }
    }

    #[test]
    fn a_tree_order_list_nests_into_the_tree_it_came_from() {
        let flat = vec![
            comment(1, 0),
            comment(2, 1),
            comment(3, 2),
            comment(4, 1),
            comment(5, 0),
        ];
        let tree = nest(&mut flat.into_iter().peekable(), 0);
        let ids: Vec<u64> = tree.iter().map(|n| n.id).collect();
        assert_eq!(ids, [1, 5]);
        let replies: Vec<u64> = tree[0].replies.iter().map(|n| n.id).collect();
        assert_eq!(replies, [2, 4]);
        assert_eq!(tree[0].replies[0].replies[0].id, 3);
    }
}
