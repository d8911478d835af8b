//! Threaded comments on MongoDB with a materialized path: each comment stores the path of
//! ids from its top-level comment down (`path`) and the list of its `ancestors`. A whole
//! thread is one `find` on `post_id` sorted by `path` (which is tree order), a subtree the
//! same `find` also matching the root in `ancestors`, and the depth limit a condition on
//! the stored `depth`. Reply
//! counts are kept on the parent with `$inc` when a reply is added.

use std::collections::HashMap;
use std::sync::Arc;

use mongodb::bson::{Document, doc};

use super::documents::{CommentDoc, path_segment};
use super::{COMMENTS, MongoDb, backend, collect, ids, to_bson_id};
use crate::error::{StoreError, StoreResult};
use crate::model::{Comment, CommentId, NewComment, PostId};
use crate::stores::{BoxFuture, CommentStore};

#[derive(Debug)]
pub(crate) struct MongoComments {
    db: Arc<MongoDb>,
}

impl MongoComments {
    pub(crate) fn new(db: Arc<MongoDb>) -> MongoComments {
        MongoComments { db }
    }

    async fn find_comment(&self, id: i64) -> StoreResult<Option<CommentDoc>> {
        self.db
            .comments
            .find_one(doc! { "id": id })
            .await
            .map_err(backend)
    }
}

// region: mongo-comment-path
/// A comment document placed under `parent` (or at top level).
fn placed(id: i64, comment: NewComment, parent: Option<&CommentDoc>) -> CommentDoc {
    let (depth, path, ancestors) = match parent {
        Some(parent) => {
            let mut ancestors = parent.ancestors.clone();
            ancestors.push(parent.id);
            (
                parent.depth + 1,
                format!("{}/{}", parent.path, path_segment(id)),
                ancestors,
            )
        }
        None => (0, path_segment(id), Vec::new()),
    };
    CommentDoc {
        id,
        post_id: to_bson_id(comment.post_id),
        parent_id: parent.map(|p| p.id),
        author_id: to_bson_id(comment.author_id),
        body: comment.body,
        depth,
        reply_count: 0,
        created_at: comment.created_at,
        path,
        ancestors,
    }
}
// endregion

// region: mongo-comment-tree
/// The thread query: a post's comments (or one comment and everything under it) down to
/// an absolute depth, in tree order. One `find`, served by `{post_id: 1, path: 1}`.
pub(crate) fn thread_query(post_id: PostId, root: Option<CommentId>, max_depth: u32) -> Document {
    let mut query = doc! {
        "post_id": to_bson_id(post_id),
        "depth": { "$lte": i64::from(max_depth) },
    };
    if let Some(root) = root {
        let root = to_bson_id(root);
        query.insert("$or", vec![doc! { "id": root }, doc! { "ancestors": root }]);
    }
    query
}
// endregion

impl CommentStore for MongoComments {
    fn create(&self, comment: NewComment, max_depth: u32) -> BoxFuture<'_, StoreResult<Comment>> {
        Box::pin(async move {
            let post = self
                .db
                .posts
                .clone_with_type::<Document>()
                .find_one(doc! { "id": to_bson_id(comment.post_id) })
                .projection(doc! { "id": 1 })
                .await
                .map_err(backend)?;
            if post.is_none() {
                return Err(StoreError::NotFound { what: "post" });
            }
            let parent = match comment.parent_id {
                Some(parent_id) => Some(
                    self.find_comment(to_bson_id(parent_id))
                        .await?
                        .ok_or(StoreError::NotFound { what: "comment" })?,
                ),
                None => None,
            };
            if let Some(parent) = &parent {
                if parent.post_id != to_bson_id(comment.post_id) {
                    return Err(StoreError::invalid(
                        "parent_id",
                        "the parent comment belongs to another post",
                    ));
                }
                if parent.depth + 1 > i64::from(max_depth) {
                    return Err(StoreError::invalid(
                        "parent_id",
                        format!("replies nest at most {max_depth} levels deep"),
                    ));
                }
            }
            let id = ids::next_id(&self.db, COMMENTS).await?;
            let document = placed(id, comment, parent.as_ref());
            self.db
                .comments
                .insert_one(&document)
                .await
                .map_err(backend)?;
            if let Some(parent) = &parent {
                self.db
                    .comments
                    .update_one(
                        doc! { "id": parent.id },
                        doc! { "$inc": { "reply_count": 1_i64 } },
                    )
                    .await
                    .map_err(backend)?;
            }
            Ok(document.into_comment())
        })
    }

    fn get(&self, id: CommentId) -> BoxFuture<'_, StoreResult<Option<Comment>>> {
        Box::pin(async move {
            Ok(self
                .find_comment(to_bson_id(id))
                .await?
                .map(CommentDoc::into_comment))
        })
    }

    fn thread(
        &self,
        post_id: PostId,
        root: Option<CommentId>,
        max_depth: u32,
    ) -> BoxFuture<'_, StoreResult<Vec<Comment>>> {
        Box::pin(async move {
            let cursor = self
                .db
                .comments
                .find(thread_query(post_id, root, max_depth))
                .sort(doc! { "path": 1 })
                .await
                .map_err(backend)?;
            Ok(collect(cursor)
                .await?
                .into_iter()
                .map(CommentDoc::into_comment)
                .collect())
        })
    }

    fn reset(&self, comments: Vec<NewComment>) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(async move {
            self.db
                .comments
                .delete_many(doc! {})
                .await
                .map_err(backend)?;
            // Like `create`, every comment needs its post.
            let mut post_ids: Vec<i64> = comments.iter().map(|c| to_bson_id(c.post_id)).collect();
            post_ids.sort_unstable();
            post_ids.dedup();
            let present = self
                .db
                .posts
                .count_documents(doc! { "id": { "$in": &post_ids } })
                .await
                .map_err(backend)?;
            if present < post_ids.len() as u64 {
                return Err(StoreError::NotFound { what: "post" });
            }
            let mut documents: Vec<CommentDoc> = Vec::with_capacity(comments.len());
            let mut position: HashMap<i64, usize> = HashMap::new();
            for (index, comment) in comments.into_iter().enumerate() {
                let id = to_bson_id(index as u64 + 1);
                let parent = match comment.parent_id {
                    Some(parent_id) => {
                        let at = *position.get(&to_bson_id(parent_id)).ok_or_else(|| {
                            StoreError::invalid(
                                "parent_id",
                                format!(
                                    "seed comment {id} answers {parent_id}, not an earlier one"
                                ),
                            )
                        })?;
                        documents[at].reply_count += 1;
                        Some(&documents[at])
                    }
                    None => None,
                };
                let document = placed(id, comment, parent);
                position.insert(id, documents.len());
                documents.push(document);
            }
            if !documents.is_empty() {
                self.db
                    .comments
                    .insert_many(&documents)
                    .await
                    .map_err(backend)?;
            }
            ids::set_last_id(&self.db, COMMENTS, to_bson_id(documents.len() as u64)).await
        })
    }
}
