//! A hand-written access logger (topic 16): method, path, status, latency and request id
//! of every request, kept in a ring the app shows live at `/_dojo/logs`. Each line is also
//! a structured log record (topic 19): a timestamp, a level, the authenticated user, and
//! the request's query, headers and JSON body, redacted by `structured_logging`.
//!
//! Try it: `curl -s http://127.0.0.1:PORT/_dojo/logs`

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Response, header};
use serde_json::{Map, Value};

use crate::compact::{SmallStr, intern};
use crate::features::structured_logging::{self as redact, Level, LogLine};
use crate::middleware::{Exit, Middleware, MiddlewareLayer};
use crate::request_id::REQUEST_ID;
use crate::state::AppState;
use crate::switches::{Switch, Switches};

const KEEP: usize = 1000;

/// Bodies longer than this are noted by size, not logged.
const MAX_LOGGED_BODY: usize = 4096;

/// A line as the ring keeps it: short strings inline, the request's details already
/// redacted (or not, if the "logs-unredacted" switch was on when it was written). Turned
/// into a [`LogLine`] when someone reads the log.
#[derive(Debug)]
struct Line {
    started_at_ms: u64,
    request_id: SmallStr<64>,
    method: Cow<'static, str>,
    path: SmallStr<48>,
    status: u16,
    latency_us: u64,
    panicked: bool,
    user: Option<Box<str>>,
    query: Option<String>,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Option<Value>,
    set_cookies: Vec<HeaderValue>,
}

impl Line {
    fn entry(&self) -> LogLine {
        let mut fields = Map::new();
        if let Some(query) = &self.query {
            fields.insert("query".into(), Value::String(query.clone()));
        }
        if !self.headers.is_empty() {
            fields.insert(
                "headers".into(),
                header_object(self.headers.iter().map(|(n, v)| (n, v))),
            );
        }
        if let Some(body) = &self.body {
            fields.insert("body".into(), body.clone());
        }
        if !self.set_cookies.is_empty() {
            let set_cookie =
                header_object(self.set_cookies.iter().map(|v| (&header::SET_COOKIE, v)));
            fields.insert("response_headers".into(), set_cookie);
        }
        LogLine {
            ts: redact::rfc3339_millis(self.started_at_ms),
            level: if self.panicked {
                Level::Error
            } else {
                Level::of_status(self.status)
            },
            msg: if self.panicked {
                "handler panicked"
            } else {
                "request completed"
            },
            request_id: self.request_id.as_str().to_owned(),
            method: self.method.clone().into_owned(),
            path: self.path.as_str().to_owned(),
            status: self.status,
            latency_us: self.latency_us,
            user: self.user.as_deref().map(str::to_owned),
            fields,
        }
    }
}

/// Headers as a JSON object; a header sent twice becomes an array.
fn header_object<'h>(headers: impl Iterator<Item = (&'h HeaderName, &'h HeaderValue)>) -> Value {
    let mut object = Map::new();
    for (name, value) in headers {
        let text = Value::String(String::from_utf8_lossy(value.as_bytes()).into_owned());
        match object.get_mut(name.as_str()) {
            Some(Value::Array(values)) => values.push(text),
            Some(first) => *first = Value::Array(vec![first.take(), text]),
            None => {
                object.insert(name.as_str().to_owned(), text);
            }
        }
    }
    Value::Object(object)
}

/// The newest access log lines.
#[derive(Debug)]
pub struct AccessLog {
    lines: Mutex<VecDeque<Line>>,
}

impl Default for AccessLog {
    fn default() -> Self {
        AccessLog {
            lines: Mutex::new(VecDeque::with_capacity(KEEP)),
        }
    }
}

impl AccessLog {
    fn keep(&self, line: Line) {
        let evicted = {
            let mut lines = self
                .lines
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let evicted = if lines.len() >= KEEP {
                lines.pop_front()
            } else {
                None
            };
            lines.push_back(line);
            evicted
        };
        drop(evicted);
    }

    /// Forgets every line.
    pub fn clear(&self) {
        self.lines
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clear();
    }

    /// Newest first, at most `limit`, only those of `request_id` when it is given.
    pub fn recent(&self, limit: usize, request_id: Option<&str>) -> Vec<LogLine> {
        let lines = self
            .lines
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        lines
            .iter()
            .rev()
            .filter(|line| request_id.is_none_or(|id| line.request_id.as_str() == id))
            .take(limit)
            .map(Line::entry)
            .collect()
    }
}

/// What the inner layers tell the access log about a request: who the caller turned out
/// to be, and the JSON body they sent. Put in the request's extensions by the logger;
/// `AuthUser` and `ValidJson` fill it in.
#[derive(Debug, Clone)]
pub struct RequestLog(Arc<Notes>);

#[derive(Debug)]
struct Notes {
    /// Whether secrets are written in clear ("logs-unredacted"), fixed when the request
    /// came in.
    reveal: bool,
    user: OnceLock<Box<str>>,
    body: OnceLock<Value>,
}

impl RequestLog {
    fn new(reveal: bool) -> RequestLog {
        RequestLog(Arc::new(Notes {
            reveal,
            user: OnceLock::new(),
            body: OnceLock::new(),
        }))
    }

    /// Names the authenticated caller (the token's `sub`).
    pub fn set_user(&self, sub: &str) {
        let _ = self.0.user.set(sub.into());
    }

    /// Keeps the request's JSON body for the log line, redacted now, before it is stored.
    pub fn set_body(&self, bytes: &[u8]) {
        let body = if bytes.len() > MAX_LOGGED_BODY {
            Value::String(format!("[{} bytes, not logged]", bytes.len()))
        } else {
            match serde_json::from_slice::<Value>(bytes) {
                Ok(body) => redact::json_body(body, self.0.reveal),
                // Unreadable JSON is refused with a 400; its text is not logged.
                Err(_) => return,
            }
        };
        let _ = self.0.body.set(body);
    }
}

// region: access-logger
/// Notes when a request came in and what it asked for; [`Logged`] writes the line once
/// the answer is known.
#[derive(Debug, Clone)]
pub(crate) struct AccessLogger {
    log: Arc<AccessLog>,
    switches: Arc<Switches>,
}

pub(crate) fn log(state: &AppState) -> MiddlewareLayer<AccessLogger> {
    MiddlewareLayer::new(AccessLogger {
        log: state.access_log.clone(),
        switches: state.switches.clone(),
    })
}

impl<B> Middleware<B> for AccessLogger {
    type Exit = Logged;

    fn enter(&self, request: &mut Request) -> Result<Logged, Response<B>> {
        let reveal = self.switches.is_on(Switch::LogsUnredacted);
        let notes = RequestLog::new(reveal);
        request.extensions_mut().insert(notes.clone());
        let request_id = request
            .headers()
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        let started_at_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        Ok(Logged {
            started: Instant::now(),
            line: Line {
                started_at_ms,
                request_id: SmallStr::new(request_id),
                method: intern(request.method().as_str()),
                path: SmallStr::new(request.uri().path()),
                status: 0,
                latency_us: 0,
                panicked: false,
                user: None,
                // Redacted on the way in: the ring never holds a secret unless the switch
                // says so.
                query: request
                    .uri()
                    .query()
                    .map(|query| redact::query(query, reveal)),
                headers: redact::headers(request.headers(), reveal)
                    .into_iter()
                    .filter(|(name, _)| name != REQUEST_ID)
                    .collect(),
                body: None,
                set_cookies: Vec::new(),
            },
            notes,
            log: self.log.clone(),
        })
    }
}

#[derive(Debug)]
pub(crate) struct Logged {
    started: Instant,
    line: Line,
    notes: RequestLog,
    log: Arc<AccessLog>,
}

impl Logged {
    fn write(self, status: u16, panicked: bool) {
        let Logged {
            started,
            mut line,
            notes,
            log,
        } = self;
        line.status = status;
        line.panicked = panicked;
        line.latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        line.user = notes.0.user.get().cloned();
        line.body = notes.0.body.get().cloned();
        log.keep(line);
    }
}

impl<B> Exit<B> for Logged {
    /// A handler that panics still gets its line: the client will get a 500.
    const SEES_PANICS: bool = true;

    fn exit(mut self, response: &mut Response<B>) {
        let reveal = self.notes.0.reveal;
        for cookie in response.headers().get_all(header::SET_COOKIE) {
            let logged = if reveal {
                cookie.clone()
            } else {
                HeaderValue::from_static(redact::REDACTED)
            };
            self.line.set_cookies.push(logged);
        }
        self.write(response.status().as_u16(), false);
    }

    fn panicked(self) {
        self.write(500, true);
    }
}
// endregion
