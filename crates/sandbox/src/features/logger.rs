//! A hand-written access logger (topic 16): method, path, status, latency and request id
//! of every request, kept in a ring the app shows live at `/_dojo/logs`.
//!
//! Try it: `curl -s http://127.0.0.1:PORT/_dojo/logs`

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::Request;
use axum::http::Response;
use serde::Serialize;

use crate::compact::{SmallStr, intern};
use crate::middleware::{Exit, Middleware, MiddlewareLayer};
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

/// A line as the ring keeps it: short strings inline, so logging allocates nothing.
#[derive(Debug)]
struct Line {
    request_id: SmallStr<64>,
    method: Cow<'static, str>,
    path: SmallStr<48>,
    status: u16,
    latency_us: u64,
}

impl Line {
    fn entry(&self) -> AccessEntry {
        AccessEntry {
            request_id: self.request_id.as_str().to_owned(),
            method: self.method.clone().into_owned(),
            path: self.path.as_str().to_owned(),
            status: self.status,
            latency_us: self.latency_us,
        }
    }
}

/// The newest access log lines.
#[derive(Debug)]
pub struct AccessLog {
    lines: Mutex<VecDeque<Line>>,
}

impl Default for AccessLog {
    fn default() -> Self {
        AccessLog { lines: Mutex::new(VecDeque::with_capacity(KEEP)) }
    }
}

impl AccessLog {
    pub fn push(&self, entry: AccessEntry) {
        self.keep(Line {
            request_id: SmallStr::new(&entry.request_id),
            method: intern(&entry.method),
            path: SmallStr::new(&entry.path),
            status: entry.status,
            latency_us: entry.latency_us,
        });
    }

    fn keep(&self, line: Line) {
        let evicted = {
            let mut lines = self.lines.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let evicted = if lines.len() >= KEEP { lines.pop_front() } else { None };
            lines.push_back(line);
            evicted
        };
        drop(evicted);
    }

    /// Newest first.
    pub fn recent(&self, limit: usize) -> Vec<AccessEntry> {
        let lines = self.lines.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        lines.iter().rev().take(limit).map(Line::entry).collect()
    }
}

// region: access-logger
/// Notes when a request came in and what it asked for; [`Logged`] writes the line once
/// the answer is known.
#[derive(Debug, Clone)]
pub(crate) struct AccessLogger {
    log: Arc<AccessLog>,
}

pub(crate) fn log(state: &AppState) -> MiddlewareLayer<AccessLogger> {
    MiddlewareLayer::new(AccessLogger { log: state.access_log.clone() })
}

impl<B> Middleware<B> for AccessLogger {
    type Exit = Logged;

    fn enter(&self, request: &mut Request) -> Result<Logged, Response<B>> {
        let request_id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
        Ok(Logged {
            started: Instant::now(),
            line: Line {
                request_id: SmallStr::new(request_id),
                method: intern(request.method().as_str()),
                path: SmallStr::new(request.uri().path()),
                status: 0,
                latency_us: 0,
            },
            log: self.log.clone(),
        })
    }
}

#[derive(Debug)]
pub(crate) struct Logged {
    started: Instant,
    line: Line,
    log: Arc<AccessLog>,
}

impl<B> Exit<B> for Logged {
    fn exit(self, response: &mut Response<B>) {
        let Logged { started, mut line, log } = self;
        line.status = response.status().as_u16();
        line.latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        log.keep(line);
    }
}
// endregion
