//! The one subscriber layer that turns `dojo::trace` events into [`Trace`]s.

use std::fmt;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use super::{Decision, LayerSpan, Step, TARGET, Trace, TraceStore};

/// Name of the span the trace recorder opens around each request.
pub(crate) const REQUEST_SPAN: &str = "dojo.request";
/// The innermost probe: reaching it means every middleware layer passed the request on.
pub(crate) const ROUTER: &str = "router";

pub(crate) struct Collector {
    store: Arc<TraceStore>,
}

impl Collector {
    pub(crate) fn new(store: Arc<TraceStore>) -> Self {
        Collector { store }
    }
}

/// A request still being answered.
struct InFlight {
    id: String,
    method: String,
    path: String,
    started_at_ms: u64,
    start: Instant,
    steps: Vec<Step>,
}

#[derive(Default)]
struct Fields {
    request_id: Option<String>,
    method: Option<String>,
    path: Option<String>,
    layer: Option<String>,
    step: Option<String>,
    status: Option<u16>,
    decision: Option<Decision>,
    reason: Option<String>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        let value = value.to_owned();
        match field.name() {
            "request_id" => self.request_id = Some(value),
            "method" => self.method = Some(value),
            "path" => self.path = Some(value),
            "layer" => self.layer = Some(value),
            "step" => self.step = Some(value),
            "reason" | "message" => self.reason = Some(value),
            "decision" => {
                self.decision = Some(if value == "passed" { Decision::Passed } else { Decision::ShortCircuited });
            }
            _ => {}
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "status" {
            self.status = u16::try_from(value).ok();
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if field.name() == "status" {
            self.status = u16::try_from(value).ok();
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.record_str(field, &format!("{value:?}"));
    }
}

impl<S> Layer<S> for Collector
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        metadata.target() == TARGET
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.metadata().name() != REQUEST_SPAN {
            return;
        }
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        let Some(span) = ctx.span(id) else { return };
        let started_at_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        span.extensions_mut().insert(InFlight {
            id: fields.request_id.unwrap_or_default(),
            method: fields.method.unwrap_or_default(),
            path: fields.path.unwrap_or_default(),
            started_at_ms,
            start: Instant::now(),
            steps: Vec::with_capacity(24),
        });
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let Some(scope) = ctx.event_scope(event) else { return };
        for span in scope.from_root() {
            if span.name() != REQUEST_SPAN {
                continue;
            }
            let mut extensions = span.extensions_mut();
            let Some(in_flight) = extensions.get_mut::<InFlight>() else { return };
            let mut fields = Fields::default();
            event.record(&mut fields);
            let metadata = event.metadata();
            in_flight.steps.push(Step {
                layer: fields.layer.unwrap_or_else(|| "handler".into()),
                step: fields.step.unwrap_or_else(|| "event".into()),
                at_us: micros(in_flight.start),
                status: fields.status,
                decision: fields.decision,
                reason: fields.reason,
                file: metadata.file().unwrap_or("").to_owned(),
                line: metadata.line().unwrap_or(0),
            });
            return;
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        if span.name() != REQUEST_SPAN {
            return;
        }
        let Some(in_flight) = span.extensions_mut().remove::<InFlight>() else { return };
        self.store.push(finish(in_flight));
    }
}

fn micros(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// Derives each layer's span and decision from the raw steps.
fn finish(in_flight: InFlight) -> Trace {
    let duration_us = micros(in_flight.start);
    let steps = in_flight.steps;
    let mut layers: Vec<LayerSpan> = Vec::new();
    let mut exited: Vec<bool> = Vec::new();
    for step in &steps {
        match step.step.as_str() {
            "enter" => {
                layers.push(LayerSpan {
                    layer: step.layer.clone(),
                    enter_us: step.at_us,
                    exit_us: step.at_us,
                    decision: Decision::Passed,
                    status: None,
                    reason: None,
                });
                exited.push(false);
            }
            "exit" => {
                if let Some(index) = layers.iter().rposition(|l| l.layer == step.layer) {
                    layers[index].exit_us = step.at_us;
                    layers[index].status = step.status;
                    exited[index] = true;
                }
            }
            "decision" => {
                let span = match layers.iter().rposition(|l| l.layer == step.layer) {
                    Some(index) => &mut layers[index],
                    None => {
                        // Extractors (auth, role, validation) decide without a probe.
                        layers.push(LayerSpan {
                            layer: step.layer.clone(),
                            enter_us: step.at_us,
                            exit_us: step.at_us,
                            decision: Decision::Passed,
                            status: None,
                            reason: None,
                        });
                        exited.push(true);
                        layers.last_mut().expect("just pushed")
                    }
                };
                span.decision = step.decision.unwrap_or(Decision::Passed);
                span.reason = step.reason.clone();
                if step.status.is_some() {
                    span.status = step.status;
                }
            }
            _ => {}
        }
    }
    // A middleware layer that answered while the next one never finished (or never
    // started) answered by itself, unless it is the router handing over to the handler.
    for index in 0..layers.len() {
        let inner_finished = exited.get(index + 1).copied().unwrap_or(false);
        let is_last_probe = index + 1 == layers.len();
        if exited[index]
            && layers[index].layer != ROUTER
            && (is_last_probe || !inner_finished)
            && layers[index].decision == Decision::Passed
            && layers.iter().skip(index + 1).all(|l| l.decision == Decision::Passed)
        {
            layers[index].decision = Decision::ShortCircuited;
            if layers[index].reason.is_none() {
                layers[index].reason = Some(default_reason(&layers[index].layer, layers[index].status));
            }
        }
    }
    let status = layers.first().and_then(|l| l.status).unwrap_or(500);
    Trace {
        id: in_flight.id,
        method: in_flight.method,
        path: in_flight.path,
        status,
        started_at_ms: in_flight.started_at_ms,
        duration_us,
        layers,
        steps,
    }
}

fn default_reason(layer: &str, status: Option<u16>) -> String {
    match (layer, status) {
        ("timeout", _) => "the handler ran past the time limit, so the request was dropped".into(),
        ("body_limit", _) => "the body is larger than the limit".into(),
        ("cors", Some(_)) => "answered the CORS preflight itself".into(),
        (layer, Some(status)) => format!("{layer} answered {status} without calling the next layer"),
        (layer, None) => format!("{layer} stopped the request"),
    }
}
