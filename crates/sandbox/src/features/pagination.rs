//! Pagination (topic 10) over the data suite's posts: 100 000 generated at first use.
//!
//! - `GET /api/v1/posts?page=&per_page=` pages by offset: totals (`X-Total-Count`, `total`,
//!   `total_pages`) and `Link` headers (`first`, `prev`, `next`, `last`); `per_page` is
//!   capped at 100. Deep pages get slower: the database still walks every skipped row.
//! - `GET /api/v1/posts/feed?cursor=&limit=` pages by keyset: an opaque cursor holds the
//!   last row's sort key and id, the next page seeks straight past it through the index, so
//!   page 5000 costs what page 1 costs, and rows inserted meanwhile never shift a page.
//! - Both take the allowlisted filters (`tag`, `author_id`, `min_likes`) and `sort`
//!   (`id`, `created_at`, `likes`, `title`; `-` for descending; default `-created_at`).
//! - `GET /api/v1/posts/paging-benchmark?page=5000` times page 1 and a deep page both ways
//!   and shows both query plans.
//! - `POST /api/v1/posts` adds a post (bearer token), `GET /api/v1/posts/{id}` reads one.
//!
//! Try it: `curl -si 'http://127.0.0.1:PORT/api/v1/posts?page=2&per_page=5' | grep -i '^link'`

use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dojo_storage::model::{NewPost, Post};
use dojo_storage::query::{Cursor, Direction, PostFilter, PostSort, PostSortField, SortValue};
use dojo_storage::schema::{ExplainTarget, QueryPlan};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

use crate::error::{ApiError, ApiResult, FieldError};
use crate::extract::ValidJson;
use crate::features::data_suite::{now, rfc3339};
use crate::features::jwt::AuthUser;
use crate::features::validation;
use crate::state::AppState;

/// Largest page, whatever the client asks.
pub const MAX_PER_PAGE: u32 = 100;
/// Page size when the client does not say.
pub const DEFAULT_PER_PAGE: u32 = 20;

/// A post as clients see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PostView {
    pub id: u64,
    pub author_id: u64,
    pub title: String,
    pub body: String,
    pub tag: String,
    pub likes: i64,
    /// RFC 3339, UTC.
    pub created_at: String,
}

impl From<Post> for PostView {
    fn from(post: Post) -> PostView {
        PostView {
            id: post.id,
            author_id: post.author_id,
            title: post.title,
            body: post.body,
            tag: post.tag,
            likes: post.likes,
            created_at: rfc3339(post.created_at),
        }
    }
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::Validation(vec![FieldError {
        field: field.into(),
        message: message.into(),
    }])
}

// region: sort-allowlist
/// `sort=-likes` as an allowlisted sort: the field must be one the API indexes, or the
/// request is refused with the list of those it may use.
pub fn parse_sort(raw: Option<&str>) -> ApiResult<PostSort> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(PostSort::default());
    };
    let (direction, name) = match raw.strip_prefix('-') {
        Some(name) => (Direction::Desc, name),
        None => (Direction::Asc, raw),
    };
    let field = PostSortField::parse(name).ok_or_else(|| {
        tracing::info!(target: "dojo::trace", layer = "allowlist", step = "decision",
            decision = "short_circuited", status = 422u64, reason = "sort field not allowlisted");
        invalid(
            "sort",
            format!("cannot sort by {name:?}; use id, created_at, likes or title (prefix - for descending)"),
        )
    })?;
    Ok(PostSort { field, direction })
}
// endregion

fn sort_text(sort: PostSort) -> String {
    match sort.direction {
        Direction::Asc => sort.field.as_str().to_owned(),
        Direction::Desc => format!("-{}", sort.field.as_str()),
    }
}

/// The allowlisted filters every post list takes.
fn post_filter(tag: Option<String>, author_id: Option<u64>, min_likes: Option<i64>) -> PostFilter {
    PostFilter {
        author_id,
        tag: tag
            .map(|t| t.trim().to_lowercase())
            .filter(|t| !t.is_empty()),
        min_likes,
        ..PostFilter::default()
    }
}

/// The filters again as query parameters, for `Link` targets.
fn filter_query(filter: &PostFilter, sort: PostSort) -> String {
    let mut query = format!("sort={}", sort_text(sort));
    if let Some(tag) = &filter.tag {
        query.push_str(&format!("&tag={}", encode(tag)));
    }
    if let Some(author_id) = filter.author_id {
        query.push_str(&format!("&author_id={author_id}"));
    }
    if let Some(min_likes) = filter.min_likes {
        query.push_str(&format!("&min_likes={min_likes}"));
    }
    query
}

/// Percent-encodes everything but unreserved characters.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// `?page=&per_page=&sort=&tag=&author_id=&min_likes=`. Anything else is refused.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1-based page number (default 1).
    page: Option<u64>,
    /// Posts per page, default 20, capped at 100.
    per_page: Option<u32>,
    /// `id`, `created_at`, `likes` or `title`; `-` first for descending (default `-created_at`).
    sort: Option<String>,
    tag: Option<String>,
    author_id: Option<u64>,
    min_likes: Option<i64>,
}

/// One page by offset.
#[derive(Debug, Serialize, ToSchema)]
pub struct OffsetPageView {
    pub items: Vec<PostView>,
    pub page: u64,
    pub per_page: u32,
    /// Every post matching the filters.
    pub total: u64,
    pub total_pages: u64,
}

/// `?cursor=&limit=&sort=&tag=&author_id=&min_likes=`. Anything else is refused.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// The `next_cursor` of the previous page; none for the first page.
    cursor: Option<String>,
    /// Posts per page, default 20, capped at 100.
    limit: Option<u32>,
    /// As for offset pages; a cursor only continues the sort it was made for.
    sort: Option<String>,
    tag: Option<String>,
    author_id: Option<u64>,
    min_likes: Option<i64>,
}

/// One page by keyset.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedPageView {
    pub items: Vec<PostView>,
    pub limit: u32,
    /// Pass it as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The routes, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(posts_page, create_post))
        .routes(routes!(posts_feed))
        .routes(routes!(paging_benchmark))
        .routes(routes!(get_post))
}

// region: cursor-codec
/// A cursor for clients: base64url JSON. Opaque by convention, not a secret: it holds only
/// the sort and the last row's key, which the client saw anyway.
pub fn encode_cursor(cursor: &Cursor) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(cursor).unwrap_or_default())
}

/// The cursor a client sent back, or a 400 saying it is not one of ours.
pub fn decode_cursor(text: &str) -> ApiResult<Cursor> {
    URL_SAFE_NO_PAD
        .decode(text.trim())
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| {
            ApiError::BadRequest("cursor is not one this API issued; start again without it".into())
        })
}
// endregion

/// Page through posts by offset
///
/// Answers totals and `Link` headers. Deep pages cost more: the skipped rows are still
/// read. Unknown query parameters and sort fields are refused.
#[utoipa::path(
    get,
    path = "/api/v1/posts",
    tag = "data",
    params(PageQuery),
    responses(
        (status = 200, description = "One page; `Link` and `X-Total-Count` headers", body = OffsetPageView),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 422, response = crate::openapi::ValidationFailed),
    ),
)]
// region: offset-page
async fn posts_page(
    State(state): State<AppState>,
    Query(query): Query<PageQuery>,
) -> ApiResult<Response> {
    let page = query.page.unwrap_or(1);
    if page == 0 {
        return Err(invalid("page", "pages count from 1"));
    }
    // A cap, not an error: a client asking for 10 000 rows gets 100 and can see it did.
    let per_page = query
        .per_page
        .unwrap_or(DEFAULT_PER_PAGE)
        .clamp(1, MAX_PER_PAGE);
    let sort = parse_sort(query.sort.as_deref())?;
    let filter = post_filter(query.tag, query.author_id, query.min_likes);
    let offset = (page - 1).saturating_mul(u64::from(per_page));
    let data = state.data.ready().await?;
    let found = data
        .posts
        .page_by_offset(filter.clone(), sort, offset, per_page)
        .await?;
    let total_pages = found.total.div_ceil(u64::from(per_page)).max(1);

    let base = format!(
        "/api/v1/posts?{}&per_page={per_page}",
        filter_query(&filter, sort)
    );
    let link = |page: u64, rel: &str| format!("<{base}&page={page}>; rel=\"{rel}\"");
    let mut links = vec![link(1, "first")];
    if page > 1 {
        links.push(link((page - 1).min(total_pages), "prev"));
    }
    if page < total_pages {
        links.push(link(page + 1, "next"));
    }
    links.push(link(total_pages, "last"));

    let mut headers = HeaderMap::new();
    headers.insert("x-total-count", HeaderValue::from(found.total));
    if let Ok(value) = HeaderValue::try_from(links.join(", ")) {
        headers.insert(header::LINK, value);
    }
    let body = OffsetPageView {
        items: found.items.into_iter().map(PostView::from).collect(),
        page,
        per_page,
        total: found.total,
        total_pages,
    };
    Ok((headers, Json(body)).into_response())
}
// endregion

/// Page through posts by cursor (keyset)
///
/// Each page ends with `next_cursor` (and a `Link: rel="next"`); pass it back as `cursor`.
/// Every page costs the same, and rows added meanwhile never make a page skip or repeat.
#[utoipa::path(
    get,
    path = "/api/v1/posts/feed",
    tag = "data",
    params(FeedQuery),
    responses(
        (status = 200, description = "One page and the cursor of the next", body = FeedPageView),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 422, response = crate::openapi::ValidationFailed),
    ),
)]
// region: keyset-page
async fn posts_feed(
    State(state): State<AppState>,
    Query(query): Query<FeedQuery>,
) -> ApiResult<Response> {
    let limit = query
        .limit
        .unwrap_or(DEFAULT_PER_PAGE)
        .clamp(1, MAX_PER_PAGE);
    let sort = parse_sort(query.sort.as_deref())?;
    let filter = post_filter(query.tag, query.author_id, query.min_likes);
    let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let data = state.data.ready().await?;
    let found = data
        .posts
        .page_after(filter.clone(), sort, after, limit)
        .await
        .map_err(|e| match e {
            dojo_storage::StoreError::Invalid { message, .. } => ApiError::BadRequest(message),
            other => other.into(),
        })?;
    let next_cursor = found.next.as_ref().map(encode_cursor);
    let mut headers = HeaderMap::new();
    if let Some(next) = &next_cursor {
        let target = format!(
            "</api/v1/posts/feed?{}&limit={limit}&cursor={next}>; rel=\"next\"",
            filter_query(&filter, sort)
        );
        if let Ok(value) = HeaderValue::try_from(target) {
            headers.insert(header::LINK, value);
        }
    }
    let body = FeedPageView {
        items: found.items.into_iter().map(PostView::from).collect(),
        limit,
        next_cursor,
    };
    Ok((headers, Json(body)).into_response())
}
// endregion

/// Read a post
#[utoipa::path(
    get,
    path = "/api/v1/posts/{id}",
    tag = "data",
    params(("id" = u64, Path, description = "The post's id")),
    responses(
        (status = 200, description = "The post", body = PostView),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 404, response = crate::openapi::NotFound),
    ),
)]
async fn get_post(State(state): State<AppState>, Path(id): Path<u64>) -> ApiResult<Json<PostView>> {
    let data = state.data.ready().await?;
    data.posts
        .get(id)
        .await?
        .map(|post| Json(PostView::from(post)))
        .ok_or_else(|| ApiError::NotFound(format!("no post with id {id}")))
}

/// The body of `POST /api/v1/posts`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "title": "Keyset paging in practice", "body": "Seek, don't skip.", "tag": "databases" }))]
pub struct NewPostBody {
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    title: String,
    #[validate(length(min = 1, max = 10_000, message = "must be 1 to 10000 characters"))]
    body: String,
    #[validate(length(min = 1, max = 30, message = "must be 1 to 30 characters"))]
    tag: String,
}

/// Write a post
///
/// The caller (bearer token) is the author. New posts are the newest: they appear on page 1
/// of the default sort, and shift every later offset page by one.
#[utoipa::path(
    post,
    path = "/api/v1/posts",
    tag = "data",
    security(("bearer" = [])),
    request_body = NewPostBody,
    responses(
        (status = 201, description = "Created; `Location` names the post", body = PostView),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::ValidationFailed),
    ),
)]
async fn create_post(
    State(state): State<AppState>,
    caller: AuthUser,
    ValidJson(body): ValidJson<NewPostBody>,
) -> ApiResult<Response> {
    let body = NewPostBody {
        title: body.title.trim().to_owned(),
        body: body.body.trim().to_owned(),
        tag: body.tag.trim().to_lowercase(),
    };
    validation::check(&body)?;
    let data = state.data.ready().await?;
    let post = data
        .posts
        .create(NewPost {
            author_id: caller.id,
            title: body.title,
            body: body.body,
            tag: body.tag,
            likes: 0,
            created_at: now(),
        })
        .await?;
    let location = HeaderValue::try_from(format!("/api/v1/posts/{}", post.id))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(PostView::from(post)),
    )
        .into_response())
}

/// `?page=&per_page=` of the benchmark.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BenchmarkQuery {
    /// The deep page to compare with page 1 (default 5000).
    page: Option<u64>,
    /// Posts per page (default 20, capped at 100).
    per_page: Option<u32>,
}

/// One way of paging, timed.
#[derive(Debug, Serialize, ToSchema)]
pub struct PagingTiming {
    /// Fastest of several runs, in microseconds, page 1.
    pub first_page_us: u64,
    /// Fastest of several runs, in microseconds, the deep page.
    pub deep_page_us: u64,
    /// `EXPLAIN QUERY PLAN` of the deep page's query.
    #[schema(value_type = Object)]
    pub deep_page_plan: QueryPlan,
}

/// Both ways of paging, side by side.
#[derive(Debug, Serialize, ToSchema)]
pub struct PagingBenchmark {
    /// Posts in the table.
    pub rows: u64,
    pub page: u64,
    pub per_page: u32,
    /// `total` as an offset API computes it on every page, timed alone.
    pub count_us: u64,
    /// Offset paging: `LIMIT n OFFSET (page - 1) * n` (its timings include the count).
    pub offset: PagingTiming,
    /// Keyset paging: `WHERE (created_at, id) < (last seen)`, given the cursor a client
    /// holds after paging there.
    pub cursor: PagingTiming,
    /// Whether both ways answered the same rows for the deep page.
    pub same_rows: bool,
}

/// The fastest of `RUNS` runs of `work`, which answers what it read.
const RUNS: usize = 5;

async fn fastest<T, F, Fut>(mut work: F) -> ApiResult<(Duration, T)>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ApiResult<T>>,
{
    let mut best: Option<(Duration, T)> = None;
    for _ in 0..RUNS {
        let started = Instant::now();
        let answer = work().await?;
        let took = started.elapsed();
        if best.as_ref().is_none_or(|(b, _)| took < *b) {
            best = Some((took, answer));
        }
    }
    best.ok_or_else(|| ApiError::Internal("no run".into()))
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

/// Time page 1 and a deep page, by offset and by cursor
///
/// Runs each query five times and keeps the fastest, on the newest-first sort. The cursor
/// of the deep page is the one a client would hold after paging there.
#[utoipa::path(
    get,
    path = "/api/v1/posts/paging-benchmark",
    tag = "data",
    params(BenchmarkQuery),
    responses(
        (status = 200, description = "Timings and plans", body = PagingBenchmark),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 422, response = crate::openapi::ValidationFailed),
    ),
)]
async fn paging_benchmark(
    State(state): State<AppState>,
    Query(query): Query<BenchmarkQuery>,
) -> ApiResult<Json<PagingBenchmark>> {
    let page = query.page.unwrap_or(5_000);
    if page == 0 {
        return Err(invalid("page", "pages count from 1"));
    }
    let per_page = query
        .per_page
        .unwrap_or(DEFAULT_PER_PAGE)
        .clamp(1, MAX_PER_PAGE);
    let sort = PostSort::default();
    let offset = (page - 1).saturating_mul(u64::from(per_page));
    let data = state.data.ready().await?;
    let posts = &data.posts;
    let filter = PostFilter::default;

    let (count_time, rows) = fastest(|| async { Ok(posts.count(filter()).await?) }).await?;
    let (offset_first, _) =
        fastest(|| async { Ok(posts.page_by_offset(filter(), sort, 0, per_page).await?) }).await?;
    let (offset_deep, deep_by_offset) = fastest(|| async {
        Ok(posts
            .page_by_offset(filter(), sort, offset, per_page)
            .await?)
    })
    .await?;

    // The cursor after the last row of the page before: what a client paging there holds.
    // Past the end there is no such row; a cursor below every key then finds nothing, as
    // the offset page does.
    let cursor = match offset.checked_sub(1) {
        None => None,
        Some(before) => Some(
            posts
                .page_by_offset(filter(), sort, before, 1)
                .await?
                .items
                .first()
                .map_or(
                    Cursor {
                        sort,
                        value: SortValue::Int(i64::MIN),
                        id: 0,
                    },
                    |last| Cursor {
                        sort,
                        value: SortValue::Int(last.created_at),
                        id: last.id,
                    },
                ),
        ),
    };
    let (cursor_first, _) =
        fastest(|| async { Ok(posts.page_after(filter(), sort, None, per_page).await?) }).await?;
    let (cursor_deep, deep_by_cursor) = fastest(|| async {
        Ok(posts
            .page_after(filter(), sort, cursor.clone(), per_page)
            .await?)
    })
    .await?;

    let offset_plan = data
        .schema
        .explain(ExplainTarget::PostsPageByOffset { offset })
        .await?;
    let (created_at, id) = cursor
        .as_ref()
        .map(|c| match c.value {
            SortValue::Int(value) => (value, c.id),
            SortValue::Text(_) => (0, c.id),
        })
        .unwrap_or((i64::MAX, u64::MAX >> 1));
    let cursor_plan = data
        .schema
        .explain(ExplainTarget::PostsPageAfter { created_at, id })
        .await?;
    tracing::info!(target: "dojo::trace", layer = "pagination", step = "decision", decision = "passed",
        reason = "timed offset and keyset paging", offset_deep_us = micros(offset_deep), cursor_deep_us = micros(cursor_deep));
    Ok(Json(PagingBenchmark {
        rows,
        page,
        per_page,
        count_us: micros(count_time),
        same_rows: deep_by_offset.items == deep_by_cursor.items,
        offset: PagingTiming {
            first_page_us: micros(offset_first),
            deep_page_us: micros(offset_deep),
            deep_page_plan: offset_plan,
        },
        cursor: PagingTiming {
            first_page_us: micros(cursor_first),
            deep_page_us: micros(cursor_deep),
            deep_page_plan: cursor_plan,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_are_allowlisted_and_cursors_round_trip() {
        assert_eq!(parse_sort(None).expect("default"), PostSort::default());
        let likes = parse_sort(Some("-likes")).expect("allowed");
        assert_eq!(
            (likes.field, likes.direction),
            (PostSortField::Likes, Direction::Desc)
        );
        assert!(parse_sort(Some("password")).is_err());
        assert!(parse_sort(Some("-author_id; DROP TABLE posts")).is_err());
        let cursor = Cursor {
            sort: likes,
            value: SortValue::Int(42),
            id: 7,
        };
        assert_eq!(
            decode_cursor(&encode_cursor(&cursor)).expect("ours"),
            cursor
        );
        assert!(decode_cursor("not-a-cursor").is_err());
        assert_eq!(encode("a b&c"), "a%20b%26c");
    }
}
