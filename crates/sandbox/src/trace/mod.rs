//! The trace of every request: which layers it passed, what each decided, how long each
//! took, and the source lines of the events, so the app can show the Rust that ran.
//!
//! Middleware and handlers emit ordinary `tracing` events with target `dojo::trace`
//! inside the request's span; one subscriber layer ([`collector`]) gathers them into a
//! [`Trace`] per request, kept in a bounded ring ([`TraceStore`]) and broadcast to the
//! live event stream.

pub(crate) mod collector;
pub(crate) mod recorder;

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::broadcast;
use tracing::Metadata;

use crate::compact::{LayerStep, SmallStr};

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
        self.layers
            .iter()
            .find(|l| l.decision == Decision::ShortCircuited)
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

/// A finished request as the collector keeps it: names borrowed where they are known,
/// id and path inline. Turned into a [`Trace`] only when someone asks for it.
#[derive(Debug)]
pub(crate) struct Record {
    pub(crate) id: SmallStr<64>,
    pub(crate) method: Cow<'static, str>,
    pub(crate) path: SmallStr<48>,
    pub(crate) status: u16,
    pub(crate) started_at_ms: u64,
    pub(crate) duration_us: u64,
    pub(crate) layers: Vec<RawLayer>,
    pub(crate) steps: Vec<RawStep>,
}

/// A [`Step`] before it is shown. Small on purpose (a request records about sixteen):
/// names are indexes and the source location is the event's own metadata.
#[derive(Debug)]
pub(crate) struct RawStep {
    pub(crate) names: LayerStep,
    pub(crate) at_us: u64,
    pub(crate) status: Option<u16>,
    pub(crate) decision: Option<Decision>,
    pub(crate) reason: Option<Box<str>>,
    pub(crate) source: &'static Metadata<'static>,
}

/// A [`LayerSpan`] before it is shown.
#[derive(Debug)]
pub(crate) struct RawLayer {
    pub(crate) layer: Cow<'static, str>,
    pub(crate) enter_us: u64,
    pub(crate) exit_us: u64,
    pub(crate) decision: Decision,
    pub(crate) status: Option<u16>,
    pub(crate) reason: Option<Reason>,
    /// Whether the layer recorded leaving (or decided without a probe).
    pub(crate) exited: bool,
}

/// Why a layer decided as it did: the reason of one of the steps, or a default text.
#[derive(Debug)]
pub(crate) enum Reason {
    OfStep(usize),
    Text(Cow<'static, str>),
}

impl Record {
    fn short_circuit(&self) -> Option<&RawLayer> {
        self.layers
            .iter()
            .find(|l| l.decision == Decision::ShortCircuited)
    }

    fn reason(&self, reason: &Reason) -> String {
        match reason {
            Reason::OfStep(index) => self
                .steps
                .get(*index)
                .and_then(|s| s.reason.as_deref())
                .unwrap_or_default()
                .to_owned(),
            Reason::Text(text) => text.clone().into_owned(),
        }
    }

    fn summary(&self) -> TraceSummary {
        TraceSummary {
            id: self.id.as_str().to_owned(),
            method: self.method.clone().into_owned(),
            path: self.path.as_str().to_owned(),
            status: self.status,
            started_at_ms: self.started_at_ms,
            duration_us: self.duration_us,
            short_circuited_by: self.short_circuit().map(|l| l.layer.clone().into_owned()),
        }
    }

    fn to_trace(&self) -> Trace {
        Trace {
            id: self.id.as_str().to_owned(),
            method: self.method.clone().into_owned(),
            path: self.path.as_str().to_owned(),
            status: self.status,
            started_at_ms: self.started_at_ms,
            duration_us: self.duration_us,
            layers: self
                .layers
                .iter()
                .map(|l| LayerSpan {
                    layer: l.layer.clone().into_owned(),
                    enter_us: l.enter_us,
                    exit_us: l.exit_us,
                    decision: l.decision,
                    status: l.status,
                    reason: l.reason.as_ref().map(|r| self.reason(r)),
                })
                .collect(),
            steps: self
                .steps
                .iter()
                .map(|s| Step {
                    layer: s.names.layer().to_owned(),
                    step: s.names.step().to_owned(),
                    at_us: s.at_us,
                    status: s.status,
                    decision: s.decision,
                    reason: s.reason.as_deref().map(str::to_owned),
                    file: s.source.file().unwrap_or("").to_owned(),
                    line: s.source.line().unwrap_or(0),
                })
                .collect(),
        }
    }
}

/// One slot of the ring: what the collector recorded, or a trace pushed whole.
// Records are kept inline: boxing them would cost an allocation per request, and the
// ring is allocated once.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Entry {
    Recorded(Record),
    Pushed(Arc<Trace>),
}

impl Entry {
    fn has_id(&self, id: &str) -> bool {
        match self {
            Entry::Recorded(record) => record.id.as_bytes() == id.as_bytes(),
            Entry::Pushed(trace) => trace.id == id,
        }
    }

    fn summary(&self) -> TraceSummary {
        match self {
            Entry::Recorded(record) => record.summary(),
            Entry::Pushed(trace) => TraceSummary::from(trace.as_ref()),
        }
    }

    fn to_trace(&self) -> Arc<Trace> {
        match self {
            Entry::Recorded(record) => Arc::new(record.to_trace()),
            Entry::Pushed(trace) => trace.clone(),
        }
    }
}

/// The ring of finished traces plus the live feed.
#[derive(Debug)]
pub struct TraceStore {
    ring: Mutex<VecDeque<Entry>>,
    live: broadcast::Sender<TraceSummary>,
}

impl Default for TraceStore {
    fn default() -> Self {
        let (live, _) = broadcast::channel(256);
        TraceStore {
            ring: Mutex::new(VecDeque::with_capacity(CAPACITY)),
            live,
        }
    }
}

impl TraceStore {
    pub fn push(&self, trace: Trace) {
        let summary = (self.live.receiver_count() > 0).then(|| TraceSummary::from(&trace));
        self.insert(Entry::Pushed(Arc::new(trace)), summary);
    }

    /// Keeps a trace the collector finished.
    pub(crate) fn push_record(&self, record: Record) {
        // The summary is only built when someone is listening.
        let summary = (self.live.receiver_count() > 0).then(|| record.summary());
        self.insert(Entry::Recorded(record), summary);
    }

    fn insert(&self, entry: Entry, summary: Option<TraceSummary>) {
        let evicted = {
            let mut ring = self
                .ring
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let evicted = if ring.len() >= CAPACITY {
                ring.pop_front()
            } else {
                None
            };
            ring.push_back(entry);
            evicted
        };
        // Freed outside the lock, so other requests do not wait for it.
        drop(evicted);
        if let Some(summary) = summary {
            // A listener that left in the meantime is fine.
            let _ = self.live.send(summary);
        }
    }

    pub fn get(&self, id: &str) -> Option<Arc<Trace>> {
        let ring = self
            .ring
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        ring.iter()
            .rev()
            .find(|entry| entry.has_id(id))
            .map(Entry::to_trace)
    }

    /// The newest `limit` traces, newest first.
    pub fn recent(&self, limit: usize) -> Vec<TraceSummary> {
        let ring = self
            .ring
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        ring.iter().rev().take(limit).map(Entry::summary).collect()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<TraceSummary> {
        self.live.subscribe()
    }
}
