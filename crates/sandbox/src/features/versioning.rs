//! API versioning (topic 14): one user resource in two shapes. `/api/v1/users/{id}` is
//! the old flat shape and announces its end with `Deprecation`, `Sunset` and a `Link` to
//! its successor; `/api/v2/users/{id}` nests the name. `/api/users/{id}` picks by the
//! `Accept: application/vnd.dojo.v1+json` (or v2) header, v2 by default.
//!
//! Try it: `curl -si http://127.0.0.1:PORT/api/v1/users/1`

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::features::users::User;
use crate::state::AppState;

/// The routes, each registered with its OpenAPI description.
#[expect(
    deprecated,
    reason = "v1 is still served until its sunset; `#[deprecated]` marks it so in the document"
)]
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(user_v1))
        .routes(routes!(user_v2))
        .routes(routes!(user_negotiated))
}

/// A user as v1 shows it: the name in one string.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({ "email": "ada@dojo.test", "id": 1, "name": "Ada Lovelace" }))]
struct UserV1 {
    #[schema(value_type = String, format = Email)]
    email: &'static str,
    id: u64,
    name: String,
}

/// A user as v2 shows it: the name split in two.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "email": "ada@dojo.test",
    "id": 1,
    "name": { "first": "Ada", "last": "Lovelace" }
}))]
struct UserV2 {
    #[schema(value_type = String, format = Email)]
    email: &'static str,
    id: u64,
    name: FullName,
}

#[derive(Debug, Serialize, ToSchema)]
struct FullName {
    #[schema(value_type = String)]
    first: &'static str,
    #[schema(value_type = String)]
    last: &'static str,
}

/// When v1 was deprecated, 1 January 2026, as RFC 9745 writes it: a structured-field date,
/// `@` and the Unix time in seconds.
const V1_DEPRECATED: &str = "@1767225600";
/// When v1 stops answering (an HTTP date, as `Sunset` wants).
const V1_SUNSET: &str = "Wed, 30 Jun 2027 00:00:00 GMT";
/// The media types `/api/users/{id}` can answer with.
const V1_TYPE: &str = "application/vnd.dojo.v1+json";
const V2_TYPE: &str = "application/vnd.dojo.v2+json";

// region: versioning
fn v1(user: &User) -> Response {
    let name = format!("{} {}", user.first_name, user.last_name);
    let mut response = Json(UserV1 {
        email: user.email,
        id: user.id,
        name,
    })
    .into_response();
    let headers = response.headers_mut();
    headers.insert("deprecation", HeaderValue::from_static(V1_DEPRECATED));
    headers.insert("sunset", HeaderValue::from_static(V1_SUNSET));
    if let Ok(link) = HeaderValue::from_str(&format!(
        "</api/v2/users/{}>; rel=\"successor-version\"",
        user.id
    )) {
        headers.insert(header::LINK, link);
    }
    response
}

fn v2(user: &User) -> Response {
    let name = FullName {
        first: user.first_name,
        last: user.last_name,
    };
    Json(UserV2 {
        email: user.email,
        id: user.id,
        name,
    })
    .into_response()
}

/// A user, in the version the Accept header asks for
///
/// Send `Accept: application/vnd.dojo.v1+json` for v1 (with its deprecation headers) or
/// `application/vnd.dojo.v2+json` for v2; plain JSON or no `Accept` gets v2, and a version
/// that does not exist gets 406. The answer varies by `Accept`.
#[utoipa::path(
    get,
    path = "/api/users/{id}",
    tag = "versioning",
    params(("id" = u64, Path, description = "The user's id")),
    responses(
        (status = 200, description = "The user in the version asked for: v2 by default",
            body = UserV2, headers(("Vary" = String, description = "`accept`"))),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 404, response = crate::openapi::NotFound),
        (status = 406, response = crate::openapi::NotAcceptable),
    ),
)]
async fn user_negotiated(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("*/*");
    let version = negotiate(accept).ok_or_else(|| {
        ApiError::NotAcceptable(format!(
            "no representation for {accept}; this route has {V1_TYPE} and {V2_TYPE}"
        ))
    })?;
    let user = find(&state, id)?;
    let mut response = if version == 1 { v1(user) } else { v2(user) };
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept"));
    Ok(response)
}

/// The version the first acceptable media range in `Accept` names: the vendor types pick
/// theirs, plain JSON and wildcards get the latest. `None` when nothing listed can be
/// served, such as a version that does not exist (`application/vnd.dojo.v9+json`).
fn negotiate(accept: &str) -> Option<u8> {
    accept.split(',').find_map(|range| {
        let mut parts = range.split(';');
        let media_type = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        // `q=0` means "not this one".
        let refused = parts.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .is_some_and(|q| q.trim().parse::<f32>() == Ok(0.0))
        });
        match media_type.as_str() {
            _ if refused => None,
            V1_TYPE => Some(1),
            V2_TYPE | "application/json" | "application/*" | "*/*" => Some(2),
            _ => None,
        }
    })
}
// endregion

/// A user, version 1 (deprecated)
///
/// The flat shape. Every answer announces the version's end with `Deprecation`, `Sunset`
/// and a `Link` to its successor.
#[utoipa::path(
    get,
    path = "/api/v1/users/{id}",
    tag = "versioning",
    params(("id" = u64, Path, description = "The user's id")),
    responses(
        (status = 200, description = "The user, v1 shape", body = UserV1, headers(
            ("Deprecation" = String, description = "When v1 was deprecated: `@1767225600`"),
            ("Sunset" = String, description = "When v1 stops answering (an HTTP date)"),
            ("Link" = String, description = "The same user in v2, `rel=\"successor-version\"`"),
        )),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 404, response = crate::openapi::NotFound),
    ),
)]
#[deprecated = "v1 is sunset on 30 June 2027; use /api/v2/users/{id}"]
async fn user_v1(State(state): State<AppState>, Path(id): Path<u64>) -> ApiResult<Response> {
    Ok(v1(find(&state, id)?))
}

/// A user, version 2
///
/// The current shape, with the name split into first and last.
#[utoipa::path(
    get,
    path = "/api/v2/users/{id}",
    tag = "versioning",
    params(("id" = u64, Path, description = "The user's id")),
    responses(
        (status = 200, description = "The user, v2 shape", body = UserV2),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 404, response = crate::openapi::NotFound),
    ),
)]
async fn user_v2(State(state): State<AppState>, Path(id): Path<u64>) -> ApiResult<Response> {
    Ok(v2(find(&state, id)?))
}

fn find(state: &AppState, id: u64) -> ApiResult<&User> {
    state
        .users
        .by_id(id)
        .ok_or_else(|| ApiError::NotFound(format!("no user has id {id}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_picks_the_first_version_it_can_serve() {
        assert_eq!(negotiate("application/vnd.dojo.v1+json"), Some(1));
        assert_eq!(negotiate("application/vnd.dojo.v2+json"), Some(2));
        assert_eq!(negotiate("*/*"), Some(2));
        assert_eq!(negotiate("application/json; charset=utf-8"), Some(2));
        assert_eq!(
            negotiate("Application/VND.dojo.V1+JSON;q=0.9, application/json;q=0.5"),
            Some(1)
        );
        assert_eq!(
            negotiate("application/vnd.dojo.v9+json, application/json"),
            Some(2)
        );
        assert_eq!(
            negotiate("application/vnd.dojo.v1+json;q=0, application/json"),
            Some(2)
        );
        assert_eq!(negotiate("application/vnd.dojo.v9+json"), None);
        assert_eq!(negotiate("text/html"), None);
        assert_eq!(negotiate(""), None);
    }
}
