//! The one subscriber layer that turns `dojo::trace` events into [`Trace`]s.
//!
//! It runs for every event of every traced request, so it keeps the work per event small:
//! the names events carry (layers, steps) are almost always known words and are kept as
//! indexes, the source location is the event's `'static` metadata, nothing is copied into
//! a `String`, and a request's steps are only turned into the public [`Trace`] shape when
//! someone reads them (`/_dojo/traces/{id}`, the live feed while someone listens).
//!
//! [`Trace`]: super::Trace

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::{LookupSpan, SpanRef};

use super::{Decision, RawLayer, RawStep, Reason, Record, TARGET, TraceStore};
use crate::compact::{LayerStep, SmallStr, Word, intern};

/// Name of the span the trace recorder opens around each request.
pub(crate) const REQUEST_SPAN: &str = "dojo.request";
/// The innermost probe: reaching it means every middleware layer passed the request on.
pub(crate) const ROUTER: &str = "router";
/// Around the matched route: its extractors (auth, validation) and the handler itself.
pub(crate) const HANDLER: &str = "handler";

/// Room for the steps of a request that passes the whole stack and its extractors, and
/// still a small allocation (under 1 KiB).
const USUAL_STEPS: usize = 18;

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
    id: SmallStr<64>,
    method: Cow<'static, str>,
    path: SmallStr<48>,
    started_at_ms: u64,
    start: Instant,
    steps: Vec<RawStep>,
}

/// The fields of the request span.
#[derive(Default)]
struct SpanFields {
    request_id: Option<SmallStr<64>>,
    method: Option<Cow<'static, str>>,
    path: Option<SmallStr<48>>,
}

impl Visit for SpanFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "request_id" => self.request_id = Some(SmallStr::new(value)),
            "method" => self.method = Some(intern(value)),
            "path" => self.path = Some(SmallStr::new(value)),
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if matches!(field.name(), "request_id" | "method" | "path") {
            self.record_str(field, &format!("{value:?}"));
        }
    }
}

/// The fields of one event.
#[derive(Default)]
struct EventFields {
    layer: Option<Word>,
    step: Option<Word>,
    status: Option<u16>,
    decision: Option<Decision>,
    reason: Option<Box<str>>,
}

impl Visit for EventFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "layer" => self.layer = Some(Word::new(value)),
            "step" => self.step = Some(Word::new(value)),
            "reason" | "message" => self.reason = Some(value.into()),
            "decision" => {
                self.decision = Some(if value == "passed" {
                    Decision::Passed
                } else {
                    Decision::ShortCircuited
                });
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
        // Only format what is kept: `origin = ?origin` and the like are not.
        if matches!(
            field.name(),
            "layer" | "step" | "reason" | "message" | "decision"
        ) {
            self.record_str(field, &format!("{value:?}"));
        }
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
        let mut fields = SpanFields::default();
        attrs.record(&mut fields);
        let Some(span) = ctx.span(id) else { return };
        let started_at_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        span.extensions_mut().insert(InFlight {
            id: fields.request_id.unwrap_or_default(),
            method: fields.method.unwrap_or(Cow::Borrowed("")),
            path: fields.path.unwrap_or_default(),
            started_at_ms,
            start: Instant::now(),
            steps: Vec::with_capacity(USUAL_STEPS),
        });
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        // Events inside a request almost always sit directly in its span; only look
        // further up when they do not.
        let current = if event.is_contextual() {
            ctx.lookup_current()
        } else {
            None
        };
        match current {
            Some(span) if span.name() == REQUEST_SPAN => record(&span, event),
            _ => {
                let Some(scope) = ctx.event_scope(event) else {
                    return;
                };
                if let Some(span) = scope.from_root().find(|span| span.name() == REQUEST_SPAN) {
                    record(&span, event);
                }
            }
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        if span.name() != REQUEST_SPAN {
            return;
        }
        let Some(in_flight) = span.extensions_mut().remove::<InFlight>() else {
            return;
        };
        self.store.push_record(finish(in_flight));
    }
}

/// Adds one event to the request whose span this is.
fn record<'a, S: LookupSpan<'a>>(span: &SpanRef<'a, S>, event: &Event<'_>) {
    let mut fields = EventFields::default();
    event.record(&mut fields);
    let names = LayerStep::new(
        fields.layer.unwrap_or_else(|| Word::new("handler")),
        fields.step.unwrap_or_else(|| Word::new("event")),
    );
    let mut extensions = span.extensions_mut();
    let Some(in_flight) = extensions.get_mut::<InFlight>() else {
        return;
    };
    let at_us = micros(in_flight.start);
    in_flight.steps.push(RawStep {
        names,
        at_us,
        status: fields.status,
        decision: fields.decision,
        reason: fields.reason,
        source: event.metadata(),
    });
}

fn micros(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// Derives each layer's span and decision from the raw steps.
fn finish(in_flight: InFlight) -> Record {
    let duration_us = micros(in_flight.start);
    let steps = in_flight.steps;
    let mut layers: Vec<RawLayer> = Vec::with_capacity(USUAL_STEPS / 2);
    for (index, step) in steps.iter().enumerate() {
        match step.names.step() {
            "enter" => layers.push(RawLayer::entered(step, false)),
            "exit" => {
                if let Some(span) = layers
                    .iter_mut()
                    .rev()
                    .find(|l| l.layer == step.names.layer())
                {
                    span.exit_us = step.at_us;
                    span.status = step.status;
                    span.exited = true;
                }
            }
            "decision" => {
                let index_of_layer =
                    match layers.iter().rposition(|l| l.layer == step.names.layer()) {
                        Some(found) => found,
                        None => {
                            // Extractors (auth, role, validation) decide without a probe of
                            // their own. They run before the handler's body, so they are
                            // shown before it; their decision is explicit, never inferred.
                            let open_handler = layers
                                .last()
                                .is_some_and(|l| l.layer == HANDLER && !l.exited);
                            let at = if open_handler {
                                layers.len() - 1
                            } else {
                                layers.len()
                            };
                            layers.insert(at, RawLayer::entered(step, false));
                            at
                        }
                    };
                let span = &mut layers[index_of_layer];
                span.decision = step.decision.unwrap_or(Decision::Passed);
                span.reason = step.reason.as_ref().map(|_| Reason::OfStep(index));
                if step.status.is_some() {
                    span.status = step.status;
                }
            }
            _ => {}
        }
    }
    // A middleware layer that answered while the next one never finished (or never
    // started) answered by itself, unless it is the router handing over to the handler
    // or the handler itself.
    for index in 0..layers.len() {
        let inner_finished = layers.get(index + 1).is_some_and(|l| l.exited);
        let is_last_probe = index + 1 == layers.len();
        if layers[index].exited
            && layers[index].layer != ROUTER
            && layers[index].layer != HANDLER
            && (is_last_probe || !inner_finished)
            && layers[index].decision == Decision::Passed
            && layers
                .iter()
                .skip(index + 1)
                .all(|l| l.decision == Decision::Passed)
        {
            layers[index].decision = Decision::ShortCircuited;
            if layers[index].reason.is_none() {
                layers[index].reason = Some(Reason::Text(default_reason(
                    &layers[index].layer,
                    layers[index].status,
                )));
            }
        }
    }
    let status = layers.first().and_then(|l| l.status).unwrap_or(500);
    Record {
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

impl RawLayer {
    fn entered(step: &RawStep, exited: bool) -> RawLayer {
        RawLayer {
            layer: step.names.layer_cow(),
            enter_us: step.at_us,
            exit_us: step.at_us,
            decision: Decision::Passed,
            status: None,
            reason: None,
            exited,
        }
    }
}

fn default_reason(layer: &str, status: Option<u16>) -> Cow<'static, str> {
    match (layer, status) {
        ("timeout", _) => "the handler ran past the time limit, so the request was dropped".into(),
        ("body_limit", _) => "the body is larger than the limit".into(),
        ("cors", Some(_)) => "answered the CORS preflight itself".into(),
        (layer, Some(status)) => {
            format!("{layer} answered {status} without calling the next layer").into()
        }
        (layer, None) => format!("{layer} stopped the request").into(),
    }
}
