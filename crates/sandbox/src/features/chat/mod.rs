//! Chat (topic 25): rooms on the `/chat` namespace of the sandbox's Socket.IO server, with
//! the same handshake check as notifications (`realtime.rs`).
//!
//! Client events, each answered in its ack (`{ ok: true, ... }` or `{ ok: false, status,
//! error }`):
//! - `join { room }`: joins the room; the ack carries who is online and the newest page of
//!   history. The others in the room get `presence` when someone new arrives.
//! - `leave { room }`: leaves it; `presence` again if that was the user's last socket there.
//! - `send { room, body, client_id? }`: validated (member of the room, 1 to 1000
//!   characters), flood-limited per socket (a burst of 5, then 1 a second), stored first,
//!   then broadcast to the room as `message`; the ack carries the stored message with its
//!   id and per-room `seq`. A retry with the same `client_id` answers the stored message
//!   again instead of storing a second one.
//! - `typing { room, typing }`: relayed to the others in the room as `typing`; never stored.
//! - `history { room, before?, limit? }`: a page of older messages, like the HTTP route.
//!
//! Messages live in SQLite (in memory), ordered by a per-room sequence number. History is
//! paged by cursor: `GET /api/v1/chat/rooms/{room}/messages?before=<seq>&limit=<n>` answers
//! up to `n` messages older than `seq`, oldest first, and `next_before` for the page before.
//! Room `general` starts with 25 messages, so paging has something to page through.
//!
//! Try it: `curl -s 'http://127.0.0.1:PORT/api/v1/chat/rooms/general/messages?limit=5' -H "authorization: Bearer $TOKEN"`.

mod socket;
mod store;

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult, FieldError};
use crate::features::jwt::AuthUser;
use crate::state::AppState;

pub(crate) use socket::register;
pub use store::{ChatMessage, ChatStore, HistoryPage, SEEDED_ROOM};

/// The namespace chat events travel on.
pub const CHAT_NAMESPACE: &str = "/chat";
/// Longest message, in characters.
pub const MAX_BODY_CHARS: usize = 1000;
/// Longest client message id.
pub(crate) const MAX_CLIENT_ID: usize = 64;
/// A history page holds this many messages unless the client asks otherwise.
pub const DEFAULT_PAGE: u32 = 20;
/// The most one page may hold.
pub const MAX_PAGE: u32 = 100;
/// Messages a socket may send in a quick burst, and how many a second after that.
pub const FLOOD_BURST: f64 = 5.0;
pub const FLOOD_PER_SECOND: f64 = 1.0;

// region: chat-validation
/// A room name: 1 to 32 lowercase letters, digits or dashes, starting with a letter or
/// digit. It becomes part of a Socket.IO room and of a URL, so nothing else gets in.
pub(crate) fn room_name(raw: &str) -> Result<&str, String> {
    let valid = (1..=32).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !raw.starts_with('-');
    if valid {
        Ok(raw)
    } else {
        Err(format!(
            "room {raw:?} is not a room name: 1 to 32 lowercase letters, digits or dashes"
        ))
    }
}

/// The body as stored: trimmed, not empty, at most [`MAX_BODY_CHARS`] characters.
pub(crate) fn message_body(raw: &str) -> Result<&str, String> {
    let body = raw.trim();
    if body.is_empty() {
        return Err("the message is empty".into());
    }
    let chars = body.chars().count();
    if chars > MAX_BODY_CHARS {
        return Err(format!(
            "the message has {chars} characters; at most {MAX_BODY_CHARS} are allowed"
        ));
    }
    Ok(body)
}

/// A page size: 1 to [`MAX_PAGE`], [`DEFAULT_PAGE`] when not given.
pub(crate) fn page_limit(limit: Option<u64>) -> Result<u32, String> {
    match limit {
        None => Ok(DEFAULT_PAGE),
        Some(limit) if (1..=u64::from(MAX_PAGE)).contains(&limit) => {
            Ok(u32::try_from(limit).unwrap_or(DEFAULT_PAGE))
        }
        Some(limit) => Err(format!("limit must be 1 to {MAX_PAGE}, not {limit}")),
    }
}
// endregion

/// The routes, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(room_messages))
}

/// The query of a history page.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Only messages whose `seq` is lower than this: the `next_before` of the page after.
    #[param(value_type = Option<u64>, minimum = 1)]
    before: Option<String>,
    /// How many messages, 1 to 100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    limit: Option<String>,
}

/// A page of a chat room's history
///
/// Messages older than `before` (the newest ones without it), oldest first. Keep passing
/// `next_before` as `before` to walk back; it is null on the room's first page.
#[utoipa::path(
    get,
    path = "/api/v1/chat/rooms/{room}/messages",
    tag = "chat",
    security(("bearer" = [])),
    params(
        ("room" = String, Path, description = "The room name, such as `general`"),
        PageQuery,
    ),
    responses(
        (status = 200, description = "One page, oldest first", body = HistoryPage),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 422, response = crate::openapi::ValidationFailed),
    ),
)]
// region: chat-history-route
async fn room_messages(
    State(state): State<AppState>,
    _user: AuthUser,
    Path(room): Path<String>,
    Query(query): Query<PageQuery>,
) -> ApiResult<Json<HistoryPage>> {
    let invalid = |field: &str, message: String| {
        ApiError::Validation(vec![FieldError {
            field: field.into(),
            message,
        }])
    };
    let room = room_name(&room).map_err(|m| invalid("room", m))?;
    let number = |field: &str, raw: Option<String>| -> ApiResult<Option<u64>> {
        raw.map(|raw| {
            raw.trim()
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| {
                    invalid(
                        field,
                        format!("must be a positive whole number, not {raw:?}"),
                    )
                })
        })
        .transpose()
    };
    let before = number("before", query.before)?;
    let limit = page_limit(number("limit", query.limit)?).map_err(|m| invalid("limit", m))?;
    Ok(Json(state.chat.page(room, before, limit)?))
}
// endregion
