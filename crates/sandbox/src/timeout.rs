//! The timeout layer: when the layers below have not answered within the limit, their
//! work is dropped and the request is answered with a status of its own (503 here).
//!
//! The deadline is fixed when the request comes in, but the timer is only armed once the
//! work below has to wait; a request answered in one go never touches the timer.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::http::{Request, Response, StatusCode};
use tokio::time::{Instant, Sleep};
use tower::{Layer, Service};

#[derive(Debug, Clone, Copy)]
pub(crate) struct TimeoutLayer {
    timeout: Duration,
    status: StatusCode,
}

impl TimeoutLayer {
    /// Answers `status` when the inner layers take longer than `timeout`.
    pub(crate) fn with_status_code(status: StatusCode, timeout: Duration) -> Self {
        TimeoutLayer { timeout, status }
    }
}

impl<S> Layer<S> for TimeoutLayer {
    type Service = Timeout<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Timeout {
            inner,
            timeout: self.timeout,
            status: self.status,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Timeout<S> {
    inner: S,
    timeout: Duration,
    status: StatusCode,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Timeout<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Unpin,
    ResBody: Default,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = TimeoutFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let deadline = Instant::now() + self.timeout;
        TimeoutFuture {
            inner: self.inner.call(request),
            deadline,
            timer: None,
            status: self.status,
        }
    }
}

/// The response of [`Timeout`].
#[derive(Debug)]
pub(crate) struct TimeoutFuture<F> {
    inner: F,
    deadline: Instant,
    /// Armed the first time the inner work has to wait.
    timer: Option<Pin<Box<Sleep>>>,
    status: StatusCode,
}

impl<F, B, E> Future for TimeoutFuture<F>
where
    F: Future<Output = Result<Response<B>, E>> + Unpin,
    B: Default,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        // The deadline wins over an answer that is ready at the same moment.
        let expired = match this.timer.as_mut() {
            Some(timer) => timer.as_mut().poll(cx).is_ready(),
            None => Instant::now() >= this.deadline,
        };
        if expired {
            return Poll::Ready(Ok(this.timed_out()));
        }
        if let Poll::Ready(result) = Pin::new(&mut this.inner).poll(cx) {
            return Poll::Ready(result);
        }
        if this.timer.is_none() {
            let mut timer = Box::pin(tokio::time::sleep_until(this.deadline));
            if timer.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Ok(this.timed_out()));
            }
            this.timer = Some(timer);
        }
        Poll::Pending
    }
}

impl<F> TimeoutFuture<F> {
    fn timed_out<B: Default>(&self) -> Response<B> {
        let mut response = Response::new(B::default());
        *response.status_mut() = self.status;
        response
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use axum::body::Body;
    use tower::{ServiceExt as _, service_fn};

    use super::*;

    async fn answer_after(wait: Duration, timeout: Duration) -> StatusCode {
        let slow = service_fn(move |_request: Request<Body>| {
            Box::pin(async move {
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
                Ok::<_, Infallible>(Response::new(Body::empty()))
            })
        });
        let service =
            TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, timeout).layer(slow);
        let response = service.oneshot(Request::new(Body::empty())).await;
        response.map_or(StatusCode::INTERNAL_SERVER_ERROR, |r| r.status())
    }

    #[tokio::test]
    async fn answers_in_time_pass_through() {
        assert_eq!(
            answer_after(Duration::ZERO, Duration::from_secs(5)).await,
            StatusCode::OK
        );
        // Waits, so the timer is armed, and still finishes first.
        assert_eq!(
            answer_after(Duration::from_millis(5), Duration::from_secs(5)).await,
            StatusCode::OK
        );
    }

    #[tokio::test]
    async fn slow_answers_are_replaced_by_the_status() {
        let status = answer_after(Duration::from_secs(10), Duration::from_millis(20)).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    }

    #[tokio::test]
    async fn a_deadline_already_passed_wins() {
        assert_eq!(
            answer_after(Duration::ZERO, Duration::ZERO).await,
            StatusCode::SERVICE_UNAVAILABLE
        );
    }
}
