//! The trace of every request: which layers it passed, what each decided, how long each
//! took, and the source lines of the events, so the app can show the Rust that ran.
//!
//! Middleware and handlers emit ordinary `tracing` events with target `dojo::trace`
//! inside the request's span; one subscriber layer ([`collector`]) gathers them into a
//! [`Trace`] per request, kept in a bounded ring ([`TraceStore`]) and broadcast to the
//! live event stream.

pub(crate) mod collector;
pub(crate) mod recorder;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::broadcast;

/// Target of the events that make up traces.
pub const TARGET: &str = "dojo::trace";
/// How many finished traces are kept.
pub const CAPACITY: usize = 2000;

/// What one layer did with the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Passed the request on.
    Passed,
    /// Answered itself; inner layers never saw the request.
    ShortCircuited,
}

/// One event inside a trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The layer or handler that emitted it (`rate_limit`, `auth`, `handler`, ...).
    pub layer: String,
    /// `enter`, `exit`, `decision` or a handler's own word.
    pub step: String,
    /// Microseconds since the request entered the trace recorder.
    pub at_us: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Source file and line of the event.
    pub file: String,
    pub line: u32,
}

/// One layer's part in a request, derived from its steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LayerSpan {
    pub layer: String,
    pub enter_us: u64,
    pub exit_us: u64,
    pub decision: Decision,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Everything recorded about one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trace {
    pub id: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    /// Wall-clock start, milliseconds since the Unix epoch.
    pub started_at_ms: u64,
    pub duration_us: u64,
    /// The layers in the order the request met them.
    pub layers: Vec<LayerSpan>,
    pub steps: Vec<Step>,
}

impl Trace {
    /// The layer that answered without passing the request on, if any.
    pub fn short_circuit(&self) -> Option<&LayerSpan> {
        self.layers.iter().find(|l| l.decision == Decision::ShortCircuited)
    }
}

/// A finished trace in brief, as sent on the live event stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceSummary {
    pub id: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub started_at_ms: u64,
    pub duration_us: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub short_circuited_by: Option<String>,
}

impl From<&Trace> for TraceSummary {
    fn from(trace: &Trace) -> Self {
        TraceSummary {
            id: trace.id.clone(),
            method: trace.method.clone(),
            path: trace.path.clone(),
            status: trace.status,
            started_at_ms: trace.started_at_ms,
            duration_us: trace.duration_us,
            short_circuited_by: trace.short_circuit().map(|l| l.layer.clone()),
        }
    }
}

/// The ring of finished traces plus the live feed.
#[derive(Debug)]
pub struct TraceStore {
    ring: Mutex<VecDeque<Arc<Trace>>>,
    live: broadcast::Sender<TraceSummary>,
}

impl Default for TraceStore {
    fn default() -> Self {
        let (live, _) = broadcast::channel(256);
        TraceStore { ring: Mutex::new(VecDeque::with_capacity(CAPACITY)), live }
    }
}

impl TraceStore {
    pub fn push(&self, trace: Trace) {
        let summary = TraceSummary::from(&trace);
        {
            let mut ring = self.ring.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if ring.len() == CAPACITY {
                ring.pop_front();
            }
            ring.push_back(Arc::new(trace));
        }
        // Nobody listening is fine.
        let _ = self.live.send(summary);
    }

    pub fn get(&self, id: &str) -> Option<Arc<Trace>> {
        let ring = self.ring.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        ring.iter().rev().find(|t| t.id == id).cloned()
    }

    /// The newest `limit` traces, newest first.
    pub fn recent(&self, limit: usize) -> Vec<TraceSummary> {
        let ring = self.ring.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        ring.iter().rev().take(limit).map(|t| TraceSummary::from(t.as_ref())).collect()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<TraceSummary> {
        self.live.subscribe()
    }
}
