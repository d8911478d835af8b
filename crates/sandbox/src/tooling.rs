//! The sandbox's own tooling under `/_dojo/`: traces, the live event stream, the access
//! log, "break it" switches and per-topic reset. Not traced itself, so watching the
//! traffic does not add to it.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_stream::StreamExt as _;
use tokio_stream::wrappers::BroadcastStream;

use crate::error::{ApiError, ApiResult};
use crate::extract::ValidJson;
use crate::features::RESET_HOOKS;
use crate::features::data_suite::DATA_TOPICS;
use crate::features::mailbox::Mail;
use crate::features::structured_logging::LogLine;
use crate::state::AppState;
use crate::switches::{Switch, SwitchView};
use crate::trace::{Trace, TraceSummary};

/// The tooling routes, each behind the launch token check.
pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/_dojo/traces", get(recent_traces))
        .route("/_dojo/traces/{id}", get(trace))
        .route("/_dojo/events", get(events))
        .route("/_dojo/logs", get(logs))
        .route("/_dojo/switches", get(switches))
        .route("/_dojo/switches/{name}", put(set_switch))
        .route("/_dojo/topics/{id}/reset", post(reset_topic))
        .route("/_dojo/mailbox", get(mailbox))
        .route("/_dojo/mailbox/{id}", get(mail))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::launch_guard::require_tooling_token,
        ))
}

#[derive(Debug, Deserialize)]
struct Limit {
    limit: Option<usize>,
}

async fn recent_traces(
    State(state): State<AppState>,
    Query(limit): Query<Limit>,
) -> Json<Vec<TraceSummary>> {
    Json(
        state
            .traces
            .recent(limit.limit.unwrap_or(100).min(crate::trace::CAPACITY)),
    )
}

async fn trace(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Trace>> {
    state
        .traces
        .get(&id)
        .map(|t| Json(t.as_ref().clone()))
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "no trace with id {id}; only the newest {} are kept",
                crate::trace::CAPACITY
            ))
        })
}

/// Every finished request as a `trace` event, as it happens.
async fn events(
    State(state): State<AppState>,
) -> Sse<impl tokio_stream::Stream<Item = Result<Event, Infallible>>> {
    let stream = BroadcastStream::new(state.traces.subscribe()).filter_map(|summary| {
        let summary = summary.ok()?;
        Event::default()
            .event("trace")
            .json_data(&summary)
            .ok()
            .map(Ok)
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

#[derive(Debug, Deserialize)]
struct LogQuery {
    limit: Option<usize>,
    /// Only the lines of this request.
    request_id: Option<String>,
    /// `json` (default): an array, newest first. `jsonl`: JSON Lines, oldest first, the way
    /// a log file or a shipper reading stdout sees them.
    format: Option<String>,
}

async fn logs(State(state): State<AppState>, Query(query): Query<LogQuery>) -> ApiResult<Response> {
    let lines: Vec<LogLine> = state
        .access_log
        .recent(query.limit.unwrap_or(100), query.request_id.as_deref());
    match query.format.as_deref() {
        None | Some("json") => Ok(Json(lines).into_response()),
        Some("jsonl") => {
            let text: String = lines.iter().rev().map(LogLine::to_json_line).collect();
            Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], text).into_response())
        }
        Some(other) => Err(ApiError::BadRequest(format!(
            "format must be json or jsonl, not {other:?}"
        ))),
    }
}

async fn switches(State(state): State<AppState>) -> Json<Vec<SwitchView>> {
    Json(state.switches.list())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SwitchChange {
    enabled: bool,
}

async fn set_switch(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ValidJson(change): ValidJson<SwitchChange>,
) -> ApiResult<Json<Vec<SwitchView>>> {
    let switch = Switch::from_name(&name).ok_or_else(|| {
        let known: Vec<_> = Switch::ALL.iter().map(|s| s.name()).collect();
        ApiError::NotFound(format!(
            "no switch named {name:?}; known switches: {}",
            known.join(", ")
        ))
    })?;
    state.switches.set(switch, change.enabled);
    Ok(Json(state.switches.list()))
}

async fn reset_topic(State(state): State<AppState>, Path(id): Path<u32>) -> ApiResult<Json<Value>> {
    let cleared = reset_topic_state(&state, id).await?;
    Ok(Json(
        json!({ "topic": id, "reset": true, "cleared": cleared }),
    ))
}

/// Puts topic `id`'s sandbox state back to its seed and says what was cleared. Data-suite
/// resets are applied before it returns, so the topic's next request meets the seed at
/// once; this is where a fresh sandbox's data set gets generated when a topic is reset
/// first, outside any request's timeout.
pub async fn reset_topic_state(state: &AppState, id: u32) -> ApiResult<Vec<&'static str>> {
    if !(1..=33).contains(&id) {
        return Err(ApiError::NotFound(format!(
            "topic ids run from 1 to 33, not {id}"
        )));
    }
    state.switches.reset_topic(id);
    let mut cleared = Vec::new();
    for hook in RESET_HOOKS.iter().filter(|hook| hook.topic == id) {
        (hook.reset)(state);
        cleared.push(hook.what);
    }
    if DATA_TOPICS.contains(&id) {
        drop(state.data.ready().await?);
    }
    Ok(cleared)
}

/// Every mail the sandbox sent, newest first.
async fn mailbox(State(state): State<AppState>, Query(limit): Query<Limit>) -> Json<Vec<Mail>> {
    Json(state.mailbox.recent(limit.limit.unwrap_or(100)))
}

async fn mail(State(state): State<AppState>, Path(id): Path<u64>) -> ApiResult<Json<Mail>> {
    state
        .mailbox
        .get(id)
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no mail with id {id} in the mailbox")))
}
