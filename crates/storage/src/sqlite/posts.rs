//! Posts on SQLite: offset and keyset paging over allowlisted sorts (each backed by an
//! index ending in `id`), FTS5 full-text search, and the fast bulk generator behind the
//! 100 000-post data set.

use std::sync::Arc;

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension as _, Row, params, params_from_iter};

use super::filter_sql::Clause;
use super::{Db, backend, from_sql, to_sql};
use crate::error::{StoreError, StoreResult};
use crate::model::{NewPost, Post, PostId};
use crate::query::{
    Cursor, Direction, KeysetPage, OffsetPage, PostFilter, PostSort, PostSortField, SearchHit,
    SearchQuery, SortValue, search_words,
};
use crate::seed;
use crate::stores::{BoxFuture, PostStore};

/// The columns a [`Post`] is read from, in [`post_from_row`]'s order.
pub(crate) const POST_COLUMNS: &str = "id, author_id, title, body, tag, likes, created_at";

#[derive(Debug)]
pub(crate) struct SqlitePosts {
    db: Arc<Db>,
}

impl SqlitePosts {
    pub(crate) fn new(db: Arc<Db>) -> SqlitePosts {
        SqlitePosts { db }
    }
}

fn post_from_row(row: &Row<'_>) -> rusqlite::Result<Post> {
    Ok(Post {
        id: from_sql(row.get(0)?),
        author_id: from_sql(row.get(1)?),
        title: row.get(2)?,
        body: row.get(3)?,
        tag: row.get(4)?,
        likes: row.get(5)?,
        created_at: row.get(6)?,
    })
}

// region: sqlite-post-filter
/// The allowlisted filter as SQL on `posts` (columns prefixed with `table.` when given).
/// Every member is a fixed column with a bound value: nothing from the request is SQL.
pub(crate) fn filter_clause(filter: &PostFilter, table: &str) -> Clause {
    let mut clause = Clause::default();
    let column = |name: &str| {
        if table.is_empty() {
            name.to_owned()
        } else {
            format!("{table}.{name}")
        }
    };
    if let Some(author_id) = filter.author_id {
        clause.and(
            &format!("{} = ?", column("author_id")),
            [to_sql(author_id).into()],
        );
    }
    if let Some(tag) = &filter.tag {
        clause.and(&format!("{} = ?", column("tag")), [tag.clone().into()]);
    }
    if let Some(from) = filter.created_from {
        clause.and(&format!("{} >= ?", column("created_at")), [from.into()]);
    }
    if let Some(before) = filter.created_before {
        clause.and(&format!("{} < ?", column("created_at")), [before.into()]);
    }
    if let Some(min_likes) = filter.min_likes {
        clause.and(&format!("{} >= ?", column("likes")), [min_likes.into()]);
    }
    clause
}

/// `ORDER BY` for an allowlisted sort, always ending in the id tie-break.
pub(crate) fn order_by(sort: PostSort) -> String {
    let direction = match sort.direction {
        Direction::Asc => "ASC",
        Direction::Desc => "DESC",
    };
    match sort.field {
        PostSortField::Id => format!("id {direction}"),
        field => format!("{} {direction}, id {direction}", field.as_str()),
    }
}
// endregion

// region: sqlite-keyset
/// "Strictly after the cursor" in the sort's order, as a row-value comparison the index on
/// `(field, id)` answers with a seek, however deep the page.
fn after_cursor(clause: &mut Clause, sort: PostSort, cursor: &Cursor) -> StoreResult<()> {
    if cursor.sort != sort {
        return Err(StoreError::invalid(
            "cursor",
            "the cursor was made for another sort; start again without it",
        ));
    }
    let comparison = match sort.direction {
        Direction::Asc => ">",
        Direction::Desc => "<",
    };
    let id = Value::Integer(to_sql(cursor.id));
    match (sort.field, &cursor.value) {
        (PostSortField::Id, _) => clause.and(&format!("id {comparison} ?"), [id]),
        (PostSortField::Title, SortValue::Text(title)) => clause.and(
            &format!("(title, id) {comparison} (?, ?)"),
            [Value::Text(title.clone()), id],
        ),
        (PostSortField::CreatedAt | PostSortField::Likes, SortValue::Int(value)) => clause.and(
            &format!("({}, id) {comparison} (?, ?)", sort.field.as_str()),
            [Value::Integer(*value), id],
        ),
        _ => {
            return Err(StoreError::invalid(
                "cursor",
                "the cursor's value does not fit its sort field",
            ));
        }
    }
    Ok(())
}
// endregion

/// The cursor that resumes after `post` in `sort`.
pub(crate) fn cursor_of(post: &Post, sort: PostSort) -> Cursor {
    let value = match sort.field {
        PostSortField::Id => SortValue::Int(to_sql(post.id)),
        PostSortField::CreatedAt => SortValue::Int(post.created_at),
        PostSortField::Likes => SortValue::Int(post.likes),
        PostSortField::Title => SortValue::Text(post.title.clone()),
    };
    Cursor {
        sort,
        value,
        id: post.id,
    }
}

fn select(db: &Connection, sql: &str, params: &[Value]) -> StoreResult<Vec<Post>> {
    let mut statement = db.prepare_cached(sql).map_err(backend)?;
    statement
        .query_map(params_from_iter(params.iter()), post_from_row)
        .and_then(|rows| rows.collect())
        .map_err(backend)
}

fn count(db: &Connection, clause: &Clause) -> StoreResult<u64> {
    let sql = format!("SELECT count(*) FROM posts WHERE {}", clause.sql());
    db.prepare_cached(&sql)
        .and_then(|mut s| s.query_row(params_from_iter(clause.params.iter()), |r| r.get(0)))
        .map(from_sql)
        .map_err(backend)
}

fn insert(db: &Connection, id: Option<PostId>, post: &NewPost) -> rusqlite::Result<PostId> {
    db.prepare_cached(
        "INSERT INTO posts (id, author_id, title, body, tag, likes, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        id.map(to_sql),
        to_sql(post.author_id),
        post.title,
        post.body,
        post.tag,
        post.likes,
        post.created_at
    ])?;
    Ok(from_sql(db.last_insert_rowid()))
}

// region: sqlite-search
/// The FTS5 query for a search: each word quoted (so engine syntax is only text), all
/// required.
fn match_expression(text: &str) -> StoreResult<String> {
    let words = search_words(text);
    if words.is_empty() {
        return Err(StoreError::invalid(
            "q",
            "give at least one word to search for",
        ));
    }
    Ok(words
        .iter()
        .map(|word| format!("\"{word}\""))
        .collect::<Vec<_>>()
        .join(" "))
}

/// The search's SQL, shared with `explain`.
pub(crate) fn search_sql(filter_sql: &str) -> String {
    format!(
        "SELECT p.id, p.author_id, p.title, p.body, p.tag, p.likes, p.created_at,
                -bm25(posts_fts) AS score
         FROM posts_fts JOIN posts AS p ON p.id = posts_fts.rowid
         WHERE posts_fts MATCH ? AND {filter_sql}
         ORDER BY bm25(posts_fts), p.id DESC
         LIMIT ?"
    )
}
// endregion

// region: sqlite-bulk-seed
/// Replaces every post with `count` generated ones in one transaction through one
/// prepared statement, then builds the full-text index in one pass. Foreign keys are off
/// meanwhile, so emptying the tables does not check each row's comments one by one.
fn regenerate(db: &mut Connection, count: u64) -> StoreResult<()> {
    db.pragma_update(None, "foreign_keys", "OFF")
        .map_err(backend)?;
    let result = (|| {
        let tx = db.transaction()?;
        tx.execute_batch("DELETE FROM comments; DELETE FROM posts;")?;
        // Building each index once over sorted rows beats updating five indexes per row:
        // drop them (keeping their exact definitions) and create them again after.
        let indexes: Vec<(String, String)> = tx
            .prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'posts' AND sql IS NOT NULL")?
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (name, _) in &indexes {
            tx.execute_batch(&format!("DROP INDEX \"{name}\""))?;
        }
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO posts (id, author_id, title, body, tag, likes, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for index in 0..count {
                let post = seed::post(index);
                insert.execute(params![
                    to_sql(index + 1),
                    to_sql(post.author_id),
                    post.title,
                    post.body,
                    post.tag,
                    post.likes,
                    post.created_at
                ])?;
            }
        }
        for (_, sql) in &indexes {
            tx.execute_batch(sql)?;
        }
        tx.execute("INSERT INTO posts_fts (posts_fts) VALUES ('rebuild')", [])?;
        tx.commit()
    })();
    let restored = db.pragma_update(None, "foreign_keys", "ON");
    result.and(restored).map_err(backend)
}
// endregion

impl PostStore for SqlitePosts {
    fn create(&self, post: NewPost) -> BoxFuture<'_, StoreResult<Post>> {
        Box::pin(self.db.write(move |db| {
            let tx = db.transaction().map_err(backend)?;
            let id = insert(&tx, None, &post).map_err(backend)?;
            tx.prepare_cached("INSERT INTO posts_fts (rowid, title, body) VALUES (?1, ?2, ?3)")
                .and_then(|mut s| s.execute(params![to_sql(id), post.title, post.body]))
                .map_err(backend)?;
            tx.commit().map_err(backend)?;
            Ok(Post {
                id,
                author_id: post.author_id,
                title: post.title,
                body: post.body,
                tag: post.tag,
                likes: post.likes,
                created_at: post.created_at,
            })
        }))
    }

    fn get(&self, id: PostId) -> BoxFuture<'_, StoreResult<Option<Post>>> {
        Box::pin(self.db.read(move |db| {
            db.prepare_cached(&format!("SELECT {POST_COLUMNS} FROM posts WHERE id = ?1"))
                .and_then(|mut s| s.query_row([to_sql(id)], post_from_row).optional())
                .map_err(backend)
        }))
    }

    fn count(&self, filter: PostFilter) -> BoxFuture<'_, StoreResult<u64>> {
        Box::pin(
            self.db
                .read(move |db| count(db, &filter_clause(&filter, ""))),
        )
    }

    fn page_by_offset(
        &self,
        filter: PostFilter,
        sort: PostSort,
        offset: u64,
        limit: u32,
    ) -> BoxFuture<'_, StoreResult<OffsetPage<Post>>> {
        Box::pin(self.db.read(move |db| {
            let mut clause = filter_clause(&filter, "");
            let total = count(db, &clause)?;
            // region: sqlite-offset
            let sql = format!(
                "SELECT {POST_COLUMNS} FROM posts WHERE {} ORDER BY {} LIMIT ? OFFSET ?",
                clause.sql(),
                order_by(sort)
            );
            // endregion
            clause.params.push(i64::from(limit).into());
            clause.params.push(to_sql(offset).into());
            let items = select(db, &sql, &clause.params)?;
            Ok(OffsetPage { items, total })
        }))
    }

    fn page_after(
        &self,
        filter: PostFilter,
        sort: PostSort,
        after: Option<Cursor>,
        limit: u32,
    ) -> BoxFuture<'_, StoreResult<KeysetPage<Post>>> {
        Box::pin(self.db.read(move |db| {
            let mut clause = filter_clause(&filter, "");
            if let Some(cursor) = &after {
                after_cursor(&mut clause, sort, cursor)?;
            }
            let sql = format!(
                "SELECT {POST_COLUMNS} FROM posts WHERE {} ORDER BY {} LIMIT ?",
                clause.sql(),
                order_by(sort)
            );
            // One row more than asked: if it comes back, there is a next page.
            clause.params.push((i64::from(limit) + 1).into());
            let mut items = select(db, &sql, &clause.params)?;
            let more = items.len() > limit as usize;
            items.truncate(limit as usize);
            let next = if more {
                items.last().map(|last| cursor_of(last, sort))
            } else {
                None
            };
            Ok(KeysetPage { items, next })
        }))
    }

    fn search(&self, query: SearchQuery) -> BoxFuture<'_, StoreResult<Vec<SearchHit>>> {
        Box::pin(self.db.read(move |db| {
            let expression = match_expression(&query.text)?;
            let filter = filter_clause(&query.filter, "p");
            let sql = search_sql(filter.sql());
            let mut params = vec![Value::Text(expression)];
            params.extend(filter.params);
            params.push(i64::from(query.limit).into());
            let mut statement = db.prepare_cached(&sql).map_err(backend)?;
            statement
                .query_map(params_from_iter(params.iter()), |row| {
                    Ok(SearchHit {
                        post: post_from_row(row)?,
                        score: row.get(7)?,
                    })
                })
                .and_then(|rows| rows.collect())
                .map_err(backend)
        }))
    }

    fn regenerate(&self, count: u64) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(self.db.write(move |db| regenerate(db, count)))
    }
}
