//! Posts on MongoDB: offset paging (`skip`), keyset paging (a range on the sort key and
//! `_id`), allowlisted filters, word search, and the batched generator behind the 100 000
//! post data set.

use std::collections::HashSet;
use std::sync::Arc;

use mongodb::bson::{Bson, Document, doc};

use super::documents::PostDoc;
use super::filter_bson::and;
use super::{COMMENTS, MongoDb, POSTS, backend, collect, driver_limit, ids, to_bson_id};
use crate::error::{StoreError, StoreResult};
use crate::model::{NewPost, Post, PostId};
use crate::query::{
    Cursor, Direction, KeysetPage, OffsetPage, PostFilter, PostSort, PostSortField, SearchHit,
    SearchQuery, SortValue, search_words,
};
use crate::seed;
use crate::stores::{BoxFuture, PostStore};

/// Generated posts are inserted this many at a time (the driver splits further to fit the
/// server's message size).
const INSERT_BATCH: u64 = 20_000;

#[derive(Debug)]
pub(crate) struct MongoPosts {
    db: Arc<MongoDb>,
}

impl MongoPosts {
    pub(crate) fn new(db: Arc<MongoDb>) -> MongoPosts {
        MongoPosts { db }
    }
}

// region: mongo-post-filter
/// The allowlisted filter as a query document: fixed keys, typed values.
pub(crate) fn filter_document(filter: &PostFilter) -> Vec<Document> {
    let mut conditions = Vec::new();
    if let Some(author_id) = filter.author_id {
        conditions.push(doc! { "author_id": to_bson_id(author_id) });
    }
    if let Some(tag) = &filter.tag {
        conditions.push(doc! { "tag": tag.as_str() });
    }
    if let Some(from) = filter.created_from {
        conditions.push(doc! { "created_at": { "$gte": from } });
    }
    if let Some(before) = filter.created_before {
        conditions.push(doc! { "created_at": { "$lt": before } });
    }
    if let Some(min_likes) = filter.min_likes {
        conditions.push(doc! { "likes": { "$gte": min_likes } });
    }
    conditions
}

/// The document key of a sort field.
fn sort_key(field: PostSortField) -> &'static str {
    match field {
        PostSortField::Id => "id",
        PostSortField::CreatedAt => "created_at",
        PostSortField::Likes => "likes",
        PostSortField::Title => "title",
    }
}

/// The sort document, always ending in `id` in the same direction.
pub(crate) fn sort_document(sort: PostSort) -> Document {
    let direction = match sort.direction {
        Direction::Asc => 1,
        Direction::Desc => -1,
    };
    match sort.field {
        PostSortField::Id => doc! { "id": direction },
        field => doc! { sort_key(field): direction, "id": direction },
    }
}
// endregion

// region: mongo-keyset-predicate
/// "Strictly after the cursor" in the sort's order: `key < v OR (key == v AND id < last)`
/// (`>` ascending). The `(key, id)` index answers it with one seek however deep the page.
pub(crate) fn after_cursor(sort: PostSort, cursor: &Cursor) -> StoreResult<Document> {
    if cursor.sort != sort {
        return Err(StoreError::invalid(
            "cursor",
            "the cursor was made for another sort; start again without it",
        ));
    }
    let operator = match sort.direction {
        Direction::Asc => "$gt",
        Direction::Desc => "$lt",
    };
    let id = to_bson_id(cursor.id);
    let value = match (sort.field, &cursor.value) {
        (PostSortField::Id, _) => return Ok(doc! { "id": { operator: id } }),
        (PostSortField::Title, SortValue::Text(title)) => Bson::String(title.clone()),
        (PostSortField::CreatedAt, SortValue::Int(at)) => Bson::Int64(*at),
        (PostSortField::Likes, SortValue::Int(likes)) => Bson::Int64(*likes),
        _ => {
            return Err(StoreError::invalid(
                "cursor",
                "the cursor's value does not fit its sort field",
            ));
        }
    };
    let key = sort_key(sort.field);
    Ok(doc! { "$or": [
        { key: { operator: value.clone() } },
        { key: value, "id": { operator: id } },
    ] })
}
// endregion

/// The cursor that resumes after `post` in `sort`.
fn cursor_of(post: &Post, sort: PostSort) -> Cursor {
    let value = match sort.field {
        PostSortField::Id => SortValue::Int(to_bson_id(post.id)),
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

// region: mongo-search
/// Search in two steps, because MongoDB has no whole-word, every-word match that also
/// ignores case in one operator: the query keeps posts whose title or body contains every
/// word (a case-insensitive `$regex`, escaped, so input is never a pattern), newest id
/// first; then each candidate is kept only if every word is a whole word of its text, read
/// exactly as [`search_words`] reads queries. A text index would rank by relevance, but
/// stems words and matches any word rather than every one.
pub(crate) fn search_document(words: &[String], filter: &PostFilter) -> Document {
    let mut conditions = filter_document(filter);
    for word in words {
        let pattern = escape_regex(word);
        conditions.push(doc! { "$or": [
            { "title": { "$regex": pattern.as_str(), "$options": "i" } },
            { "body": { "$regex": pattern.as_str(), "$options": "i" } },
        ] });
    }
    and(conditions)
}

/// Whether every word occurs in the post's title or body as a whole word, ignoring case.
fn has_every_word(post: &PostDoc, words: &[String]) -> bool {
    let text_words: HashSet<String> = [post.title.as_str(), post.body.as_str()]
        .into_iter()
        .flat_map(|text| text.split(|c: char| !c.is_alphanumeric()))
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect();
    words.iter().all(|word| text_words.contains(word))
}
// endregion

/// `text` with every regex metacharacter escaped, so it only ever matches itself.
pub(crate) fn escape_regex(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\^$.|?*+()[]{}-/#".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

impl PostStore for MongoPosts {
    fn create(&self, post: NewPost) -> BoxFuture<'_, StoreResult<Post>> {
        Box::pin(async move {
            let id = ids::next_id(&self.db, POSTS).await?;
            let document = PostDoc::new(id, post);
            self.db.posts.insert_one(&document).await.map_err(backend)?;
            Ok(document.into_post())
        })
    }

    fn get(&self, id: PostId) -> BoxFuture<'_, StoreResult<Option<Post>>> {
        Box::pin(async move {
            let found = self
                .db
                .posts
                .find_one(doc! { "id": to_bson_id(id) })
                .await
                .map_err(backend)?;
            Ok(found.map(PostDoc::into_post))
        })
    }

    fn count(&self, filter: PostFilter) -> BoxFuture<'_, StoreResult<u64>> {
        Box::pin(async move {
            let query = and(filter_document(&filter));
            self.db.posts.count_documents(query).await.map_err(backend)
        })
    }

    fn page_by_offset(
        &self,
        filter: PostFilter,
        sort: PostSort,
        offset: u64,
        limit: u32,
    ) -> BoxFuture<'_, StoreResult<OffsetPage<Post>>> {
        Box::pin(async move {
            let query = and(filter_document(&filter));
            let total = self
                .db
                .posts
                .count_documents(query.clone())
                .await
                .map_err(backend)?;
            if limit == 0 {
                return Ok(OffsetPage {
                    items: Vec::new(),
                    total,
                });
            }
            // region: mongo-offset
            let cursor = self
                .db
                .posts
                .find(query)
                .sort(sort_document(sort))
                .skip(offset)
                .limit(driver_limit(limit))
                .await
                .map_err(backend)?;
            // endregion
            let items = collect(cursor)
                .await?
                .into_iter()
                .map(PostDoc::into_post)
                .collect();
            Ok(OffsetPage { items, total })
        })
    }

    fn page_after(
        &self,
        filter: PostFilter,
        sort: PostSort,
        after: Option<Cursor>,
        limit: u32,
    ) -> BoxFuture<'_, StoreResult<KeysetPage<Post>>> {
        Box::pin(async move {
            let mut conditions = filter_document(&filter);
            if let Some(cursor) = &after {
                conditions.push(after_cursor(sort, cursor)?);
            }
            if limit == 0 {
                return Ok(KeysetPage {
                    items: Vec::new(),
                    next: None,
                });
            }
            // One more than asked: its presence is what says another page follows.
            let cursor = self
                .db
                .posts
                .find(and(conditions))
                .sort(sort_document(sort))
                .limit(driver_limit(limit) + 1)
                .await
                .map_err(backend)?;
            let mut items: Vec<Post> = collect(cursor)
                .await?
                .into_iter()
                .map(PostDoc::into_post)
                .collect();
            let more = items.len() > limit as usize;
            items.truncate(limit as usize);
            let next = if more {
                items.last().map(|last| cursor_of(last, sort))
            } else {
                None
            };
            Ok(KeysetPage { items, next })
        })
    }

    fn search(&self, query: SearchQuery) -> BoxFuture<'_, StoreResult<Vec<SearchHit>>> {
        Box::pin(async move {
            let words = search_words(&query.text);
            if words.is_empty() {
                return Err(StoreError::invalid(
                    "q",
                    "give at least one word to search for",
                ));
            }
            let wanted = query.limit as usize;
            let mut hits = Vec::new();
            if wanted == 0 {
                return Ok(hits);
            }
            let mut cursor = self
                .db
                .posts
                .find(search_document(&words, &query.filter))
                .sort(doc! { "id": -1 })
                .await
                .map_err(backend)?;
            while hits.len() < wanted && cursor.advance().await.map_err(backend)? {
                let candidate: PostDoc = cursor.deserialize_current().map_err(backend)?;
                if has_every_word(&candidate, &words) {
                    // Matched by regex, not ranked: every hit scores 0, so the order is
                    // the tie-break, id descending.
                    hits.push(SearchHit {
                        post: candidate.into_post(),
                        score: 0.0,
                    });
                }
            }
            Ok(hits)
        })
    }

    fn regenerate(&self, count: u64) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(async move {
            self.db
                .comments
                .delete_many(doc! {})
                .await
                .map_err(backend)?;
            self.db.posts.delete_many(doc! {}).await.map_err(backend)?;
            let mut start = 0;
            while start < count {
                let end = count.min(start + INSERT_BATCH);
                let batch: Vec<PostDoc> = (start..end)
                    .map(|index| PostDoc::new(to_bson_id(index + 1), seed::post(index)))
                    .collect();
                // Unordered: the server may apply a batch's inserts in any order, and
                // keeps going past none (there are no unique keys besides `_id`).
                self.db
                    .posts
                    .insert_many(&batch)
                    .ordered(false)
                    .await
                    .map_err(backend)?;
                start = end;
            }
            ids::set_last_id(&self.db, POSTS, to_bson_id(count)).await?;
            ids::set_last_id(&self.db, COMMENTS, 0).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(title: &str, body: &str) -> PostDoc {
        PostDoc::new(
            1,
            NewPost {
                author_id: 1,
                title: title.to_owned(),
                body: body.to_owned(),
                tag: "rust".to_owned(),
                likes: 0,
                created_at: 0,
            },
        )
    }

    #[test]
    fn only_whole_words_match_ignoring_case() {
        let words = search_words("Pool SIZE");
        assert!(has_every_word(
            &post("Connection pools", "pool size: 10"),
            &words
        ));
        assert!(!has_every_word(&post("Connection pools", "sizes"), &words));
        assert!(has_every_word(
            &post("Ünïcode", "x"),
            &search_words("ünÏcode")
        ));
    }

    #[test]
    fn regex_metacharacters_are_escaped() {
        assert_eq!(escape_regex("a.b*(c)"), "a\\.b\\*\\(c\\)");
    }

    #[test]
    fn a_cursor_for_another_sort_or_of_the_wrong_type_is_refused() {
        let by_title = PostSort {
            field: PostSortField::Title,
            direction: Direction::Asc,
        };
        let cursor = Cursor {
            sort: PostSort::default(),
            value: SortValue::Int(1),
            id: 1,
        };
        assert!(after_cursor(by_title, &cursor).is_err());
        let wrong_type = Cursor {
            sort: by_title,
            value: SortValue::Int(1),
            id: 1,
        };
        assert!(after_cursor(by_title, &wrong_type).is_err());
    }
}
