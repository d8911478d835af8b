//! The trace recorder middleware and the probes placed around each layer.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::extract::Request;
use axum::http::Response;
use tower::{Layer, Service};
use tracing::{Dispatch, Span};

use super::collector::REQUEST_SPAN;
use crate::middleware::{Exit, Middleware, MiddlewareLayer};
use crate::request_id::REQUEST_ID;

/// Opens the request's span and routes every event inside it to this sandbox's collector.
pub(crate) fn record(dispatch: Dispatch) -> RecordLayer {
    RecordLayer { dispatch }
}

#[derive(Debug, Clone)]
pub(crate) struct RecordLayer {
    dispatch: Dispatch,
}

impl<S> Layer<S> for RecordLayer {
    type Service = Record<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Record {
            dispatch: self.dispatch.clone(),
            inner,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Record<S> {
    dispatch: Dispatch,
    inner: S,
}

impl<S, B> Service<Request> for Record<S>
where
    S: Service<Request, Response = Response<B>>,
    S::Future: Unpin,
{
    type Response = Response<B>;
    type Error = S::Error;
    type Future = Recorded<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let inner = &mut self.inner;
        // The layers below start their work here, so their first events already belong
        // to the request's span and go to this sandbox's collector.
        tracing::dispatcher::with_default(&self.dispatch, || {
            let request_id = request
                .headers()
                .get(REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let span = tracing::info_span!(
                target: "dojo::trace",
                REQUEST_SPAN,
                request_id,
                method = request.method().as_str(),
                path = request.uri().path(),
            );
            let inner = span.in_scope(|| inner.call(request));
            Recorded {
                inner,
                span: Some(span),
                dispatch: self.dispatch.clone(),
            }
        })
    }
}

/// The response of [`Record`]: the inner layers' work, polled inside the request's span.
#[derive(Debug)]
pub(crate) struct Recorded<F> {
    inner: F,
    span: Option<Span>,
    dispatch: Dispatch,
}

impl<F, B, E> Future for Recorded<F>
where
    F: Future<Output = Result<Response<B>, E>> + Unpin,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let result = {
            let _default = tracing::dispatcher::set_default(&this.dispatch);
            let _entered = this.span.as_ref().map(Span::enter);
            ready!(Pin::new(&mut this.inner).poll(cx))
        };
        // Closing the span hands the finished trace to the collector, before the answer
        // leaves, so a client can look its trace up as soon as it has the answer.
        this.span = None;
        Poll::Ready(result)
    }
}

/// A middleware that marks where `layer` starts and ends in the trace. Placed just
/// outside the layer it names.
pub(crate) fn probe(layer: &'static str) -> MiddlewareLayer<Probe> {
    MiddlewareLayer::new(Probe { layer })
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Probe {
    layer: &'static str,
}

impl<B> Middleware<B> for Probe {
    type Exit = Probe;

    fn enter(&self, _request: &mut Request) -> Result<Probe, Response<B>> {
        let layer = self.layer;
        tracing::trace!(target: "dojo::trace", layer, step = "enter");
        Ok(*self)
    }
}

impl<B> Exit<B> for Probe {
    fn exit(self, response: &mut Response<B>) {
        let layer = self.layer;
        tracing::trace!(target: "dojo::trace", layer, step = "exit", status = response.status().as_u16());
    }
}
