//! The trace recorder middleware and the probes placed around each layer.

use std::future::Future;
use std::pin::Pin;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tracing::instrument::WithSubscriber;
use tracing::{Dispatch, Instrument};

use super::collector::REQUEST_SPAN;
use crate::request_id::REQUEST_ID;

/// Opens the request's span and routes every event inside it to this sandbox's collector.
pub(crate) async fn record(State(dispatch): State<Dispatch>, request: Request, next: Next) -> Response {
    let request_id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let span = tracing::dispatcher::with_default(&dispatch, || {
        tracing::info_span!(
            target: "dojo::trace",
            REQUEST_SPAN,
            request_id = request_id.as_str(),
            method = request.method().as_str(),
            path = request.uri().path(),
        )
    });
    next.run(request).instrument(span).with_subscriber(dispatch).await
}

/// A middleware that marks where `layer` starts and ends in the trace. Placed just
/// outside the layer it names.
pub(crate) fn probe(
    layer: &'static str,
) -> impl Fn(Request, Next) -> Pin<Box<dyn Future<Output = Response> + Send>> + Clone + Send + Sync + 'static
{
    move |request: Request, next: Next| {
        Box::pin(async move {
            tracing::trace!(target: "dojo::trace", layer, step = "enter");
            let response = next.run(request).await;
            tracing::trace!(target: "dojo::trace", layer, step = "exit", status = response.status().as_u16());
            response
        })
    }
}
