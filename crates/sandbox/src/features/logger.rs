//! A hand-written access logger (topic 16): method, path, status, latency and request id
//! of every request, kept in a ring the app shows live at `/_dojo/logs`.
//!
//! Try it: `curl -s http://127.0.0.1:PORT/_dojo/logs`

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde::Serialize;

use crate::request_id::REQUEST_ID;
use crate::state::AppState;

const KEEP: usize = 1000;

/// One access log line.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AccessEntry {
    pub request_id: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub latency_us: u64,
}

/// The newest access log lines.
#[derive(Debug, Default)]
pub struct AccessLog {
    lines: Mutex<VecDeque<AccessEntry>>,
}

impl AccessLog {
    pub fn push(&self, entry: AccessEntry) {
        let mut lines = self.lines.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if lines.len() == KEEP {
            lines.pop_front();
        }
        lines.push_back(entry);
    }

    /// Newest first.
    pub fn recent(&self, limit: usize) -> Vec<AccessEntry> {
        let lines = self.lines.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        lines.iter().rev().take(limit).cloned().collect()
    }
}

// region: access-logger
pub(crate) async fn log(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let request_id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-").to_owned();
    let response = next.run(request).await;
    let entry = AccessEntry {
        request_id,
        method,
        path,
        status: response.status().as_u16(),
        latency_us: u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
    };
    state.access_log.push(entry);
    response
}
// endregion
