//! Threaded comments on SQLite: an adjacency list (`parent_id`) with the depth stored at
//! insert, and a whole thread read by one recursive CTE.

use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension as _, Row, params};

use super::{Db, backend, from_sql, to_sql};
use crate::error::{StoreError, StoreResult};
use crate::model::{Comment, CommentId, NewComment, PostId};
use crate::stores::{BoxFuture, CommentStore};

#[derive(Debug)]
pub(crate) struct SqliteComments {
    db: Arc<Db>,
}

impl SqliteComments {
    pub(crate) fn new(db: Arc<Db>) -> SqliteComments {
        SqliteComments { db }
    }
}

/// Columns of a comment with its direct reply count, from `comments AS c`.
const COMMENT_COLUMNS: &str = "c.id, c.post_id, c.parent_id, c.author_id, c.body, c.depth,
    (SELECT count(*) FROM comments AS r WHERE r.parent_id = c.id) AS reply_count,
    c.created_at";

fn comment_from_row(row: &Row<'_>) -> rusqlite::Result<Comment> {
    let depth: i64 = row.get(5)?;
    Ok(Comment {
        id: from_sql(row.get(0)?),
        post_id: from_sql(row.get(1)?),
        parent_id: row.get::<_, Option<i64>>(2)?.map(from_sql),
        author_id: from_sql(row.get(3)?),
        body: row.get(4)?,
        depth: u32::try_from(depth).unwrap_or(u32::MAX),
        reply_count: from_sql(row.get(6)?),
        created_at: row.get(7)?,
    })
}

// region: sqlite-comment-tree
/// A whole thread in one statement: the recursive CTE walks down from the top-level
/// comments (or one root), carrying a path of zero-padded ids, and sorting by that path
/// puts every comment right before its replies: the order a threaded view renders.
pub(crate) const THREAD_SQL: &str = "
WITH RECURSIVE thread (id, post_id, parent_id, author_id, body, depth, created_at, path) AS (
    SELECT id, post_id, parent_id, author_id, body, depth, created_at, printf('%020d', id)
    FROM comments
    WHERE post_id = ?1 AND depth <= ?3
      AND (CASE WHEN ?2 IS NULL THEN parent_id IS NULL ELSE id = ?2 END)
    UNION ALL
    SELECT child.id, child.post_id, child.parent_id, child.author_id, child.body,
           child.depth, child.created_at, thread.path || '/' || printf('%020d', child.id)
    FROM comments AS child JOIN thread ON child.parent_id = thread.id
    WHERE child.depth <= ?3
)
SELECT t.id, t.post_id, t.parent_id, t.author_id, t.body, t.depth,
       (SELECT count(*) FROM comments AS r WHERE r.parent_id = t.id) AS reply_count,
       t.created_at
FROM thread AS t
ORDER BY t.path";
// endregion

fn get(db: &Connection, id: CommentId) -> rusqlite::Result<Option<Comment>> {
    db.prepare_cached(&format!(
        "SELECT {COMMENT_COLUMNS} FROM comments AS c WHERE c.id = ?1"
    ))?
    .query_row([to_sql(id)], comment_from_row)
    .optional()
}

/// Checks the post and the parent, then inserts with the computed depth. `max_depth`
/// `None` means no limit (seeding).
fn insert(
    db: &Connection,
    id: Option<CommentId>,
    comment: &NewComment,
    max_depth: Option<u32>,
) -> StoreResult<Comment> {
    let post_exists = db
        .prepare_cached("SELECT 1 FROM posts WHERE id = ?1")
        .and_then(|mut s| s.exists([to_sql(comment.post_id)]))
        .map_err(backend)?;
    if !post_exists {
        return Err(StoreError::NotFound { what: "post" });
    }
    // region: sqlite-comment-depth
    let depth = match comment.parent_id {
        None => 0,
        Some(parent_id) => {
            let parent: Option<(i64, i64)> = db
                .prepare_cached("SELECT post_id, depth FROM comments WHERE id = ?1")
                .and_then(|mut s| {
                    s.query_row([to_sql(parent_id)], |r| Ok((r.get(0)?, r.get(1)?)))
                        .optional()
                })
                .map_err(backend)?;
            let Some((parent_post, parent_depth)) = parent else {
                return Err(StoreError::NotFound { what: "comment" });
            };
            if from_sql(parent_post) != comment.post_id {
                return Err(StoreError::invalid(
                    "parent_id",
                    "the parent comment belongs to another post",
                ));
            }
            u32::try_from(parent_depth)
                .unwrap_or(u32::MAX)
                .saturating_add(1)
        }
    };
    if let Some(max_depth) = max_depth
        && depth > max_depth
    {
        return Err(StoreError::invalid(
            "parent_id",
            format!("replies nest at most {max_depth} levels deep; answer a shallower comment"),
        ));
    }
    // endregion
    db.prepare_cached(
        "INSERT INTO comments (id, post_id, parent_id, author_id, body, depth, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .and_then(|mut s| {
        s.execute(params![
            id.map(to_sql),
            to_sql(comment.post_id),
            comment.parent_id.map(to_sql),
            to_sql(comment.author_id),
            comment.body,
            depth,
            comment.created_at
        ])
    })
    .map_err(backend)?;
    Ok(Comment {
        id: from_sql(db.last_insert_rowid()),
        post_id: comment.post_id,
        parent_id: comment.parent_id,
        author_id: comment.author_id,
        body: comment.body.clone(),
        depth,
        reply_count: 0,
        created_at: comment.created_at,
    })
}

impl CommentStore for SqliteComments {
    fn create(&self, comment: NewComment, max_depth: u32) -> BoxFuture<'_, StoreResult<Comment>> {
        Box::pin(self.db.write(move |db| {
            let tx = db.transaction().map_err(backend)?;
            let created = insert(&tx, None, &comment, Some(max_depth))?;
            tx.commit().map_err(backend)?;
            Ok(created)
        }))
    }

    fn get(&self, id: CommentId) -> BoxFuture<'_, StoreResult<Option<Comment>>> {
        Box::pin(self.db.read(move |db| get(db, id).map_err(backend)))
    }

    fn thread(
        &self,
        post_id: PostId,
        root: Option<CommentId>,
        max_depth: u32,
    ) -> BoxFuture<'_, StoreResult<Vec<Comment>>> {
        Box::pin(self.db.read(move |db| {
            let mut statement = db.prepare_cached(THREAD_SQL).map_err(backend)?;
            statement
                .query_map(
                    params![to_sql(post_id), root.map(to_sql), max_depth],
                    comment_from_row,
                )
                .and_then(|rows| rows.collect())
                .map_err(backend)
        }))
    }

    fn reset(&self, comments: Vec<NewComment>) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(self.db.write(move |db| {
            let tx = db.transaction().map_err(backend)?;
            tx.execute("DELETE FROM comments", []).map_err(backend)?;
            for (index, comment) in comments.iter().enumerate() {
                insert(&tx, Some(index as u64 + 1), comment, None)?;
            }
            tx.commit().map_err(backend)
        }))
    }
}
