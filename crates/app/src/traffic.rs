//! Traces and live traffic from the embedded sandbox, in the shapes the UI draws.

use serde::Serialize;
use ts_rs::TS;

use dojo_sandbox::trace::{Decision, LayerSpan, Step, Trace, TraceSummary};

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct LayerView {
    pub layer: String,
    #[ts(type = "number")]
    pub enter_us: u64,
    #[ts(type = "number")]
    pub exit_us: u64,
    /// `passed` or `short_circuited`.
    pub decision: String,
    pub status: Option<u16>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct StepView {
    pub layer: String,
    pub step: String,
    #[ts(type = "number")]
    pub at_us: u64,
    pub status: Option<u16>,
    pub decision: Option<String>,
    pub reason: Option<String>,
    pub file: String,
    pub line: u32,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct TraceView {
    pub id: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    #[ts(type = "number")]
    pub duration_us: u64,
    pub layers: Vec<LayerView>,
    pub steps: Vec<StepView>,
}

/// One request in the traffic list.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct TrafficEntry {
    pub id: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    #[ts(type = "number")]
    pub started_at_ms: u64,
    #[ts(type = "number")]
    pub duration_us: u64,
    pub short_circuited_by: Option<String>,
}

fn decision_name(decision: Decision) -> String {
    match decision {
        Decision::Passed => "passed".into(),
        Decision::ShortCircuited => "short_circuited".into(),
    }
}

impl From<&LayerSpan> for LayerView {
    fn from(layer: &LayerSpan) -> Self {
        LayerView {
            layer: layer.layer.to_string(),
            enter_us: layer.enter_us,
            exit_us: layer.exit_us,
            decision: decision_name(layer.decision),
            status: layer.status,
            reason: layer.reason.as_ref().map(ToString::to_string),
        }
    }
}

impl From<&Step> for StepView {
    fn from(step: &Step) -> Self {
        StepView {
            layer: step.layer.to_string(),
            step: step.step.to_string(),
            at_us: step.at_us,
            status: step.status,
            decision: step.decision.map(decision_name),
            reason: step.reason.as_ref().map(ToString::to_string),
            file: step.file.to_string(),
            line: step.line,
        }
    }
}

impl From<&Trace> for TraceView {
    fn from(trace: &Trace) -> Self {
        TraceView {
            id: trace.id.to_string(),
            method: trace.method.to_string(),
            path: trace.path.to_string(),
            status: trace.status,
            duration_us: trace.duration_us,
            layers: trace.layers.iter().map(LayerView::from).collect(),
            steps: trace.steps.iter().map(StepView::from).collect(),
        }
    }
}

impl From<TraceSummary> for TrafficEntry {
    fn from(summary: TraceSummary) -> Self {
        TrafficEntry {
            id: summary.id.to_string(),
            method: summary.method.to_string(),
            path: summary.path.to_string(),
            status: summary.status,
            started_at_ms: summary.started_at_ms,
            duration_us: summary.duration_us,
            short_circuited_by: summary.short_circuited_by.as_ref().map(ToString::to_string),
        }
    }
}
