//! The one subscriber layer that turns `dojo::trace` events into [`Trace`]s.
//!
//! It runs for every event of every traced request, so it keeps the work per event small:
//! the names events carry (layers, steps) are almost always known words and are borrowed
//! instead of copied, source files are `'static` already, and a request's steps are only
//! turned into the public [`Trace`] shape when someone reads them.
//!
//! [`Trace`]: super::Trace

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

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

    /// Tells this collector's entries in [`ENTERED`] from another sandbox's.
    fn key(&self) -> usize {
        Arc::as_ptr(&self.store) as usize
    }
}

/// A request's record while it is being answered, shared by its span and the threads
/// that enter it.
type Shared = Arc<Mutex<InFlight>>;

thread_local! {
    /// The spans entered on this thread, innermost last, as the registry keeps them. A
    /// request span's entry carries its record, so an event inside it reaches the record
    /// without looking the span up.
    static ENTERED: RefCell<Vec<Entered>> = const { RefCell::new(Vec::new()) };
}

struct Entered {
    collector: usize,
    span: u64,
    request: Option<Shared>,
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
        // Only format what is kept: `origin = ?origin` and the like are not.
        if matches!(field.name(), "layer" | "step" | "reason" | "message" | "decision") {
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
        let in_flight: Shared = Arc::new(Mutex::new(InFlight {
            id: fields.request_id.unwrap_or_default(),
            method: fields.method.unwrap_or(Cow::Borrowed("")),
            path: fields.path.unwrap_or_default(),
            started_at_ms,
            start: Instant::now(),
            steps: Vec::with_capacity(USUAL_STEPS),
        }));
        span.extensions_mut().insert(in_flight);
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        let request = ctx
            .span(id)
            .filter(|span| span.name() == REQUEST_SPAN)
            .and_then(|span| span.extensions().get::<Shared>().cloned());
        let entered = Entered { collector: self.key(), span: id.into_u64(), request };
        ENTERED.with_borrow_mut(|stack| stack.push(entered));
    }

    fn on_exit(&self, id: &Id, _ctx: Context<'_, S>) {
        let (collector, span) = (self.key(), id.into_u64());
        ENTERED.with_borrow_mut(|stack| {
            if let Some(index) = stack.iter().rposition(|e| e.collector == collector && e.span == span) {
                stack.remove(index);
            }
        });
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        // Nearly always: the event sits directly in the one request span entered on this
        // thread, whose record the entry already holds.
        if event.is_contextual() {
            let collector = self.key();
            let current = ENTERED.with_borrow(|stack| {
                let mut mine = stack.iter().rev().filter(|e| e.collector == collector);
                let innermost = mine.next()?.request.clone()?;
                mine.all(|e| e.request.is_none()).then_some(innermost)
            });
            if let Some(in_flight) = current {
                record(&in_flight, event);
                return;
            }
        }
        // Otherwise the request span is looked for among the event's ancestors.
        let Some(scope) = ctx.event_scope(event) else { return };
        if let Some(span) = scope.from_root().find(|span| span.name() == REQUEST_SPAN) {
            let in_flight = span.extensions().get::<Shared>().cloned();
            if let Some(in_flight) = in_flight {
                record(&in_flight, event);
            }
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        if span.name() != REQUEST_SPAN {
            return;
        }
        let Some(in_flight) = span.extensions_mut().remove::<Shared>() else { return };
        let in_flight = match Arc::try_unwrap(in_flight) {
            Ok(alone) => alone.into_inner().unwrap_or_else(PoisonError::into_inner),
            // Still entered somewhere (a span closed while entered): take what it has.
            Err(shared) => {
                let mut in_flight = shared.lock().unwrap_or_else(PoisonError::into_inner);
                let start = in_flight.start;
                let left = InFlight {
                    id: SmallStr::default(),
                    method: Cow::Borrowed(""),
                    path: SmallStr::default(),
                    started_at_ms: 0,
                    start,
                    steps: Vec::new(),
                };
                std::mem::replace(&mut *in_flight, left)
            }
        };
        self.store.push_record(finish(in_flight));
    }
}

/// Adds one event to a request's record.
fn record(in_flight: &Mutex<InFlight>, event: &Event<'_>) {
    let mut fields = EventFields::default();
    event.record(&mut fields);
    let names = LayerStep::new(
        fields.layer.unwrap_or_else(|| Word::new("handler")),
        fields.step.unwrap_or_else(|| Word::new("event")),
    );
    let mut in_flight = in_flight.lock().unwrap_or_else(PoisonError::into_inner);
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
                if let Some(span) = layers.iter_mut().rev().find(|l| l.layer == step.names.layer()) {
                    span.exit_us = step.at_us;
                    span.status = step.status;
                    span.exited = true;
                }
            }
            "decision" => {
                let index_of_layer = match layers.iter().rposition(|l| l.layer == step.names.layer()) {
                    Some(found) => found,
                    None => {
                        // Extractors (auth, role, validation) decide without a probe of
                        // their own. They run before the handler's body, so they are
                        // shown before it; their decision is explicit, never inferred.
                        let open_handler = layers.last().is_some_and(|l| l.layer == HANDLER && !l.exited);
                        let at = if open_handler { layers.len() - 1 } else { layers.len() };
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
            && layers.iter().skip(index + 1).all(|l| l.decision == Decision::Passed)
        {
            layers[index].decision = Decision::ShortCircuited;
            if layers[index].reason.is_none() {
                layers[index].reason = Some(Reason::Text(default_reason(&layers[index].layer, layers[index].status)));
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
        (layer, Some(status)) => format!("{layer} answered {status} without calling the next layer").into(),
        (layer, None) => format!("{layer} stopped the request").into(),
    }
}
