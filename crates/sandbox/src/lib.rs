//! Backend Dojo's sandbox: one axum app that implements each topic's pattern for real
//! and records what every layer did with every request.
//!
//! [`app`] composes the feature routers and the middleware stack; [`Sandbox::start`] runs
//! it on a loopback port and shuts it down gracefully.

mod compact;
pub mod config;
pub mod error;
pub mod extract;
pub mod features;
mod middleware;
mod openapi;
mod problem;
pub mod request_id;
pub mod state;
pub mod switches;
mod timeout;
pub mod tooling;
pub mod trace;

use std::net::SocketAddr;

use axum::Router;
use axum::http::StatusCode;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower::ServiceBuilder;
use tower::util::MapRequestLayer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::map_request_body::MapRequestBodyLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;

pub use config::SandboxConfig;
pub use state::AppState;

use crate::timeout::TimeoutLayer;
use crate::trace::recorder::probe;

// region: middleware-stack
/// The whole sandbox. Layers run top to bottom on the way in, bottom to top on the way out:
///
/// 1. request id: first, so every answer (even a panic's) and every trace carries one;
/// 2. error mapper: turns any 4xx/5xx from below into problem details with that id, and
///    gives errors from layers outside 8 and 9 (413, 503, a panic's 500) their headers;
/// 3. catch panic: a bug becomes a 500 the mapper can explain, not a dropped connection;
/// 4. trace recorder: from here inward each layer's enter, exit and decision is recorded;
/// 5. access log: sees the final status and the full latency of everything inside, and
///    writes each request as one redacted JSON record;
/// 6. timeout: bounds the work below it, so slow handlers cannot pile up;
/// 7. body limit: refuses oversized bodies before anyone reads them;
/// 8. security headers and 9. CORS: on every answer, including refusals from below;
/// 10. rate limit: last before the routes, so refused requests still get headers and CORS.
///
/// Per route, extractors then apply auth, role and validation before the handler runs.
/// `/openapi.json` and `/docs` are routes like the others, so they pass the same layers.
///
/// The sandbox's own layers are plain `tower` layers rather than `axum::middleware::from_fn`
/// (see `middleware.rs`): the stack runs on every request, and that keeps it cheap.
pub fn app(state: AppState) -> Router {
    // Each feature router brings its routes with their OpenAPI descriptions; merging them in
    // an `OpenApiRouter` keeps the document and the routes in step.
    let (features, document) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(features::jwt::router())
        .merge(features::errors::router())
        .merge(features::versioning::router())
        .merge(features::sessions::router())
        .merge(features::rbac::router())
        .merge(features::refresh_tokens::router())
        .merge(features::email_verification::router())
        .merge(features::password_reset::router())
        .merge(features::otp::router())
        .split_for_parts();
    let (probes, probes_document) = features::health::router().split_for_parts();
    let document = openapi::complete(document, probes_document);

    let features = features
        .merge(openapi::router(&document))
        // Marks where the matched route's handler (with its extractors) runs.
        .route_layer(probe(trace::collector::HANDLER))
        .with_state(state.clone());

    let traced = ServiceBuilder::new()
        .layer(trace::recorder::record(state.dispatch.clone()))
        .layer(probe("access_log"))
        .layer(features::logger::log(&state))
        .layer(probe("timeout"))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            state.config.request_timeout,
        ))
        .layer(probe("body_limit"))
        .layer(RequestBodyLimitLayer::new(state.config.body_limit))
        .layer(MapRequestBodyLayer::new(axum::body::Body::new))
        .layer(probe("security_headers"))
        .layer(features::security_headers::set_headers())
        .layer(probe("cors"))
        .layer(features::security_headers::note_cors(&state))
        .layer(features::security_headers::cors(&state))
        .layer(probe("rate_limit"))
        .layer(features::rate_limit::enforce(&state))
        .layer(probe(trace::collector::ROUTER));

    let untraced = Router::new()
        .merge(probes)
        .merge(tooling::router())
        .with_state(state.clone());

    Router::new()
        .merge(untraced)
        .merge(features.layer(traced))
        .layer(
            ServiceBuilder::new()
                .layer(MapRequestLayer::new(request_id::drop_unacceptable))
                .layer(SetRequestIdLayer::new(
                    request_id::REQUEST_ID,
                    request_id::MakeUuid,
                ))
                .layer(PropagateRequestIdLayer::new(request_id::REQUEST_ID))
                .layer(problem::finish(&state))
                .layer(CatchPanicLayer::new()),
        )
}
// endregion

/// A running sandbox.
#[derive(Debug)]
pub struct Sandbox {
    pub addr: SocketAddr,
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Sandbox {
    /// Binds `config.addr` (port 0 picks a free one) and starts serving in the background.
    pub async fn start(config: SandboxConfig) -> std::io::Result<Sandbox> {
        let listener = tokio::net::TcpListener::bind(config.addr).await?;
        let addr = listener.local_addr()?;
        let state = AppState::new(config);
        let router = app(state.clone());
        let (shutdown, signal) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async {
                let _ = signal.await;
            })
            .await
        });
        Ok(Sandbox {
            addr,
            state,
            shutdown: Some(shutdown),
            task,
        })
    }

    /// Stops accepting connections and waits for requests in flight to finish.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        self.task.await.map_err(std::io::Error::other)?
    }
}
