//! Middleware in two halves, for the layers of the stack that never need to `await`:
//! [`Middleware::enter`] runs as the request goes in and may answer by itself; the
//! [`Exit`] it hands back runs as the response comes out.
//!
//! `axum::middleware::from_fn` reads nicer but, on every request, clones every layer below
//! it and boxes a future per layer. A layer written this way costs a function call on the
//! way in and one on the way out.

use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::extract::Request;
use axum::http::Response;
use tower::{Layer, Service};

/// The way in. `B` is the response body type of the layer below.
pub(crate) trait Middleware<B>: Clone {
    /// What the way out needs from the way in.
    type Exit: Exit<B>;

    /// Looks at (or changes) the request. `Err` answers without calling the inner layers.
    fn enter(&self, request: &mut Request) -> Result<Self::Exit, Response<B>>;
}

/// The way out.
pub(crate) trait Exit<B>: Unpin {
    /// Whether [`Exit::panicked`] should run when an inner layer panics. Off by default,
    /// so the other layers pay nothing for it.
    const SEES_PANICS: bool = false;

    fn exit(self, response: &mut Response<B>);

    /// Runs instead of `exit` when an inner layer panicked; the panic then goes on
    /// unwinding to the layer that catches it.
    fn panicked(self)
    where
        Self: Sized,
    {
    }
}

/// Nothing to do on the way out.
impl<B> Exit<B> for () {
    fn exit(self, _response: &mut Response<B>) {}
}

/// Puts a [`Middleware`] in a `tower` stack.
#[derive(Debug, Clone)]
pub(crate) struct MiddlewareLayer<M> {
    middleware: M,
}

impl<M> MiddlewareLayer<M> {
    pub(crate) fn new(middleware: M) -> Self {
        MiddlewareLayer { middleware }
    }
}

impl<M: Clone, S> Layer<S> for MiddlewareLayer<M> {
    type Service = WithMiddleware<M, S>;

    fn layer(&self, inner: S) -> Self::Service {
        WithMiddleware {
            middleware: self.middleware.clone(),
            inner,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct WithMiddleware<M, S> {
    middleware: M,
    inner: S,
}

impl<M, S, B> Service<Request> for WithMiddleware<M, S>
where
    M: Middleware<B>,
    S: Service<Request, Response = Response<B>>,
    S::Future: Unpin,
{
    type Response = Response<B>;
    type Error = S::Error;
    type Future = MiddlewareFuture<S::Future, M::Exit, B>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        match self.middleware.enter(&mut request) {
            Ok(exit) => MiddlewareFuture::Inner {
                inner: self.inner.call(request),
                exit: Some(exit),
            },
            Err(response) => MiddlewareFuture::Answered {
                response: Some(response),
            },
        }
    }
}

/// The response of a [`WithMiddleware`] layer.
#[derive(Debug)]
pub(crate) enum MiddlewareFuture<F, X, B> {
    Inner { inner: F, exit: Option<X> },
    Answered { response: Option<Response<B>> },
}

impl<F, X, B, E> Future for MiddlewareFuture<F, X, B>
where
    F: Future<Output = Result<Response<B>, E>> + Unpin,
    X: Exit<B>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            MiddlewareFuture::Inner { inner, exit } => {
                let polled = if X::SEES_PANICS {
                    match panic::catch_unwind(AssertUnwindSafe(|| Pin::new(&mut *inner).poll(cx))) {
                        Ok(polled) => polled,
                        Err(payload) => {
                            if let Some(exit) = exit.take() {
                                exit.panicked();
                            }
                            panic::resume_unwind(payload)
                        }
                    }
                } else {
                    Pin::new(inner).poll(cx)
                };
                let mut result = ready!(polled);
                if let (Ok(response), Some(exit)) = (&mut result, exit.take()) {
                    exit.exit(response);
                }
                Poll::Ready(result)
            }
            MiddlewareFuture::Answered { response } => Poll::Ready(Ok(response
                .take()
                .expect("a middleware answer is only taken once"))),
        }
    }
}

// `Response<B>` is only held, never pinned.
impl<F: Unpin, X: Unpin, B> Unpin for MiddlewareFuture<F, X, B> {}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;
    use std::sync::{Arc, Mutex};

    use axum::body::Body;
    use axum::http::StatusCode;
    use tower::{ServiceExt as _, service_fn};

    use super::*;

    /// Notes its enter and exit; the inner one refuses requests to `/refused` by itself.
    #[derive(Clone)]
    struct Noting {
        name: &'static str,
        log: Arc<Mutex<Vec<String>>>,
    }

    struct Noted(Noting);

    impl Middleware<Body> for Noting {
        type Exit = Noted;

        fn enter(&self, request: &mut Request) -> Result<Noted, Response<Body>> {
            self.log
                .lock()
                .expect("log")
                .push(format!("{} enter", self.name));
            if self.name == "inner" && request.uri().path() == "/refused" {
                let mut refused = Response::new(Body::empty());
                *refused.status_mut() = StatusCode::TOO_MANY_REQUESTS;
                return Err(refused);
            }
            Ok(Noted(self.clone()))
        }
    }

    impl Exit<Body> for Noted {
        fn exit(self, response: &mut Response<Body>) {
            self.0.log.lock().expect("log").push(format!(
                "{} exit {}",
                self.0.name,
                response.status().as_u16()
            ));
        }
    }

    async fn run(path: &str) -> (StatusCode, Vec<String>) {
        let log = Arc::new(Mutex::new(Vec::new()));
        let inner_log = log.clone();
        let handler = service_fn(move |_request: Request| {
            inner_log.lock().expect("log").push("handler".to_owned());
            std::future::ready(Ok::<_, Infallible>(Response::new(Body::empty())))
        });
        let outer = MiddlewareLayer::new(Noting {
            name: "outer",
            log: log.clone(),
        });
        let inner = MiddlewareLayer::new(Noting {
            name: "inner",
            log: log.clone(),
        });
        let service = outer.layer(inner.layer(handler));
        let request = Request::builder()
            .uri(path)
            .body(Body::empty())
            .expect("request");
        let status = service
            .oneshot(request)
            .await
            .map_or(StatusCode::INTERNAL_SERVER_ERROR, |r| r.status());
        let log = log.lock().expect("log").clone();
        (status, log)
    }

    #[tokio::test]
    async fn layers_enter_in_order_and_exit_in_reverse() {
        let (status, log) = run("/").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            log,
            [
                "outer enter",
                "inner enter",
                "handler",
                "inner exit 200",
                "outer exit 200"
            ]
        );
    }

    #[tokio::test]
    async fn an_answer_from_enter_skips_the_inner_layers_only() {
        let (status, log) = run("/refused").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(log, ["outer enter", "inner enter", "outer exit 429"]);
    }
}
