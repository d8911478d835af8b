//! Search, filter and sort (topic 11).
//!
//! - `GET /api/v1/posts/search?q=` is full-text search (SQLite FTS5, ranked by bm25) with
//!   the same allowlisted filters as the post lists. The words are only words: engine
//!   syntax in `q` (`OR`, `*`, quotes) is dropped before the query is built.
//! - `GET /api/v1/accounts/search?filter={...}` takes a MongoDB-style JSON filter. It is
//!   read by an allowlist: public fields only (`id`, `email`, `name`, `role`,
//!   `created_at`), comparison operators only.
//! - `POST /api/v1/accounts/login` checks `{email, password}`, both strings, the password
//!   against its Argon2id hash.
//!
//! Break it: `query-raw-object` passes the client's JSON object to the query as it came,
//! the way `User.findOne(req.body)` does in Express. Then `{"email": "ada@dojo.test",
//! "password": {"$ne": null}}` logs in as Ada without her password, and `filter` can probe
//! the password hashes with `$regex`.
//!
//! Try it: `curl -s -X POST http://127.0.0.1:PORT/api/v1/accounts/login -H 'content-type: application/json' -d '{"email":"ada@dojo.test","password":{"$ne":null}}'`

use axum::Json;
use axum::extract::{Query, State};
use dojo_storage::filter::{Filter, Policy, Scalar, USER_FIELDS};
use dojo_storage::model::Scope;
use dojo_storage::query::{PostFilter, SearchQuery, search_words};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult, FieldError};
use crate::extract::ValidJson;
use crate::features::jwt::{TokenResponse, issue_access_token};
use crate::features::pagination::PostView;
use crate::features::users_crud::{AccountPage, AccountView, role_of};
use crate::passwords;
use crate::state::AppState;
use crate::switches::Switch;

/// Most results of one search.
pub const MAX_RESULTS: u32 = 50;

/// The routes, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search_posts))
        .routes(routes!(search_accounts))
        .routes(routes!(account_login))
}

fn decision(passed: bool, status: u64, reason: &str) {
    if passed {
        tracing::info!(target: "dojo::trace", layer = "query", step = "decision", decision = "passed", reason);
    } else {
        tracing::info!(target: "dojo::trace", layer = "query", step = "decision", decision = "short_circuited", status, reason);
    }
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::Validation(vec![FieldError {
        field: field.into(),
        message: message.into(),
    }])
}

/// `?q=&tag=&author_id=&min_likes=&limit=`. Anything else is refused.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PostSearchQuery {
    /// Words that must all occur in the title or body.
    q: Option<String>,
    tag: Option<String>,
    author_id: Option<u64>,
    min_likes: Option<i64>,
    /// Results, 1 to 50 (default 20).
    limit: Option<u32>,
}

/// One result: the post and its relevance.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHitView {
    pub post: PostView,
    /// Higher is more relevant; only comparable within one answer.
    pub score: f64,
}

/// What a search found.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults {
    /// The words searched for, as the engine read them.
    pub words: Vec<String>,
    pub items: Vec<SearchHitView>,
}

/// Full-text search over posts
///
/// Every word must occur in the title or body (whole words, any case); most relevant
/// first. Filters as for the post lists.
#[utoipa::path(
    get,
    path = "/api/v1/posts/search",
    tag = "data",
    params(PostSearchQuery),
    responses(
        (status = 200, description = "Matching posts, most relevant first", body = SearchResults),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 422, response = crate::openapi::ValidationFailed),
    ),
)]
// region: search-posts
async fn search_posts(
    State(state): State<AppState>,
    Query(query): Query<PostSearchQuery>,
) -> ApiResult<Json<SearchResults>> {
    let text = query.q.unwrap_or_default();
    let words = search_words(&text);
    if words.is_empty() {
        return Err(invalid("q", "give at least one word to search for"));
    }
    let filter = PostFilter {
        author_id: query.author_id,
        tag: query
            .tag
            .map(|t| t.trim().to_lowercase())
            .filter(|t| !t.is_empty()),
        min_likes: query.min_likes,
        ..PostFilter::default()
    };
    let limit = query.limit.unwrap_or(20).clamp(1, MAX_RESULTS);
    let data = state.data.ready().await?;
    let hits = data
        .posts
        .search(SearchQuery {
            text,
            filter,
            limit,
        })
        .await?;
    Ok(Json(SearchResults {
        words,
        items: hits
            .into_iter()
            .map(|hit| SearchHitView {
                post: PostView::from(hit.post),
                score: hit.score,
            })
            .collect(),
    }))
}
// endregion

/// `?filter=&limit=` of the account search.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AccountSearchQuery {
    /// A JSON object such as `{"role":"admin"}` or `{"id":{"$gte":2,"$lt":5}}`.
    filter: Option<String>,
    /// Accounts, 1 to 100 (default 20).
    limit: Option<u32>,
}

/// The allowlist, or (switch on) the raw object: what the client's filter may name.
fn policy(state: &AppState) -> Policy {
    if state.switches.is_on(Switch::QueryRawObject) {
        Policy::Raw
    } else {
        Policy::Allowlist
    }
}

/// Search accounts with a JSON filter
///
/// Public fields (`id`, `email`, `name`, `role`, `created_at`) and the operators `$eq
/// $ne $gt $gte $lt $lte $in $nin` only. Anything else is refused with the allowed list.
#[utoipa::path(
    get,
    path = "/api/v1/accounts/search",
    tag = "data",
    params(AccountSearchQuery),
    responses(
        (status = 200, description = "Matching live accounts in id order", body = AccountPage),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 422, response = crate::openapi::ValidationFailed),
    ),
)]
// region: search-accounts
async fn search_accounts(
    State(state): State<AppState>,
    Query(query): Query<AccountSearchQuery>,
) -> ApiResult<Json<AccountPage>> {
    let raw = query.filter.as_deref().unwrap_or("{}");
    let object: Value = serde_json::from_str(raw)
        .map_err(|e| ApiError::BadRequest(format!("filter is not JSON: {e}")))?;
    let policy = policy(&state);
    let filter = Filter::from_json(&object, USER_FIELDS, policy).inspect_err(|_| {
        decision(
            false,
            422,
            "the filter names a field or operator outside the allowlist",
        );
    })?;
    decision(
        true,
        200,
        match policy {
            Policy::Allowlist => "filter within the allowlist",
            Policy::Raw => "raw filter passed through (query-raw-object is on)",
        },
    );
    let limit = query.limit.unwrap_or(20).clamp(1, 100);
    let data = state.data.ready().await?;
    let page = data.users.list(filter, Scope::Live, 0, limit).await?;
    Ok(Json(AccountPage {
        items: page.items.into_iter().map(AccountView::from).collect(),
        offset: 0,
        limit,
        total: page.total,
    }))
}
// endregion

/// The body of `POST /api/v1/accounts/login`: both members strings. Documents the body
/// only: the handler reads any JSON, so it can show what happens to an operator object.
#[derive(Debug, ToSchema)]
#[expect(dead_code, reason = "describes a request body; never built")]
#[schema(example = json!({ "email": "ada@dojo.test", "password": "correct-horse-battery" }))]
pub struct AccountLogin {
    #[schema(format = Email)]
    email: String,
    #[schema(format = Password)]
    password: String,
}

/// Log in to a data-suite account
///
/// `email` and `password` must both be strings; an object where a string belongs (an
/// operator such as `{"$ne": null}`) is refused with 422. With `query-raw-object` on, the
/// body goes to the query as it came.
#[utoipa::path(
    post,
    path = "/api/v1/accounts/login",
    tag = "data",
    request_body = AccountLogin,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::ValidationFailed),
    ),
)]
async fn account_login(
    State(state): State<AppState>,
    ValidJson(body): ValidJson<Value>,
) -> ApiResult<Json<TokenResponse>> {
    let Value::Object(body) = body else {
        return Err(invalid(
            "body",
            "must be a JSON object with email and password",
        ));
    };
    if policy(&state) == Policy::Raw {
        return raw_login(&state, body).await;
    }
    let (email, password) = typed_credentials(&body)?;
    let data = state.data.ready().await?;
    let filter = Filter::user_eq("email", Scalar::Text(email))
        .ok_or_else(|| ApiError::Internal("email is a user field".into()))?;
    let found = data.users.credentials(filter, 1).await?.pop();
    drop(data);
    // One answer for an unknown email and a wrong password; verify either way so both
    // take as long.
    let hash = found.as_ref().map_or_else(
        || passwords::DECOY_HASH.to_owned(),
        |c| c.password_hash.clone(),
    );
    let matches = passwords::verify(hash, password).await?;
    match found.filter(|_| matches) {
        Some(credentials) => {
            decision(true, 200, "email found and the password matches its hash");
            let user = credentials.user;
            Ok(Json(issue_access_token(
                &state,
                user.id,
                role_of(user.role),
            )?))
        }
        None => {
            decision(false, 401, "email or password is wrong");
            Err(ApiError::Unauthorized {
                reason: "email or password is wrong".into(),
            })
        }
    }
}

// region: typed-credentials
/// The fix: both members must be strings. An operator object where the password belongs
/// is refused here, before anything reaches the database.
fn typed_credentials(body: &Map<String, Value>) -> ApiResult<(String, String)> {
    let mut problems = Vec::new();
    let mut text = |field: &str| match body.get(field) {
        Some(Value::String(value)) if !value.is_empty() => Some(value.clone()),
        Some(Value::String(_)) | None => {
            problems.push(FieldError {
                field: field.into(),
                message: "is required".into(),
            });
            None
        }
        Some(_) => {
            problems.push(FieldError {
                field: field.into(),
                message: "must be a string (operator objects are not accepted)".into(),
            });
            None
        }
    };
    let email = text("email");
    let password = text("password");
    match (email, password) {
        (Some(email), Some(password)) if problems.is_empty() => {
            Ok((email.trim().to_ascii_lowercase(), password))
        }
        _ => {
            decision(
                false,
                422,
                "a credential is not a string: operator injection refused",
            );
            Err(ApiError::Validation(problems))
        }
    }
}
// endregion

// region: raw-login
/// The hole (`query-raw-object`): the body becomes the query as it came. A password given
/// as a string is still checked against the hash (no database can compare a salted hash),
/// but an operator object in its place is a condition on the stored hash, and
/// `{"$ne": null}` holds for every account.
async fn raw_login(
    state: &AppState,
    mut body: Map<String, Value>,
) -> ApiResult<Json<TokenResponse>> {
    let password = match body.remove("password") {
        Some(Value::String(password)) => Some(password),
        Some(operator) => {
            body.insert("password".into(), operator);
            None
        }
        None => return Err(invalid("password", "is required")),
    };
    let filter = Filter::from_json(&Value::Object(body), USER_FIELDS, Policy::Raw)?;
    let data = state.data.ready().await?;
    let found = data.users.credentials(filter, 1).await?.pop();
    drop(data);
    let Some(credentials) = found else {
        decision(false, 401, "the raw query matched no account");
        return Err(ApiError::Unauthorized {
            reason: "email or password is wrong".into(),
        });
    };
    if let Some(password) = password
        && !passwords::verify(credentials.password_hash.clone(), password).await?
    {
        decision(
            false,
            401,
            "the raw query matched, the string password did not",
        );
        return Err(ApiError::Unauthorized {
            reason: "email or password is wrong".into(),
        });
    } else {
        decision(
            true,
            200,
            "the raw query object matched an account (query-raw-object is on)",
        );
    }
    let user = credentials.user;
    Ok(Json(issue_access_token(
        state,
        user.id,
        role_of(user.role),
    )?))
}
// endregion
