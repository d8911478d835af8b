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
mod launch_guard;
mod middleware;
mod openapi;
mod passwords;
mod problem;
pub mod redis_link;
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
use tower_http::map_request_body::MapRequestBodyLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;

pub use config::SandboxConfig;
pub use launch_guard::TOOLING_TOKEN_HEADER;
pub use state::AppState;

use crate::launch_guard::HostGuard;
use crate::middleware::MiddlewareLayer;
use crate::timeout::TimeoutLayer;
use crate::trace::recorder::probe;

// region: middleware-stack
/// The whole sandbox. Layers run top to bottom on the way in, bottom to top on the way out:
///
/// 1. request id: first, so every answer (even a panic's) and every trace carries one;
/// 2. error mapper: turns any 4xx/5xx from below into problem details with that id, and
///    gives errors from layers outside 9 and 10 (413, 503, a panic's 500) their headers;
/// 3. catch panic: a bug becomes a 500 the mapper can explain, not a dropped connection;
/// 4. host guard: refuses a `Host` the sandbox does not serve (DNS rebinding);
///    then Socket.IO takes `/socket.io/` (topics 24, 25) before the traced stack: its
///    transport requests record their own traces, with no rate limit or access log;
/// 5. trace recorder: from here inward each layer's enter, exit and decision is recorded;
/// 6. access log: sees the final status and the full latency of everything inside, and
///    writes each request as one redacted JSON record;
/// 7. timeout: bounds the work below it, so slow handlers cannot pile up;
/// 8. body limit: refuses oversized bodies before anyone reads them (larger on the
///    upload routes of topics 21 and 22, smaller everywhere else);
/// 9. security headers and 10. CORS: on every answer, including refusals from below;
/// 11. rate limit: last before the routes, so refused requests still get headers and CORS.
///
/// The `/_dojo/` tooling sits outside 5-11 (it is not traced, and no CORS ever opens it)
/// and needs the launch token.
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
        .merge(features::google_oauth::router())
        .merge(features::otp::router())
        .merge(features::webhooks::router())
        .merge(features::payments::router())
        .merge(features::payment_provider::router())
        .merge(features::realtime::router())
        .merge(features::chat::router())
        .merge(features::image_upload::router())
        .merge(features::object_store::router())
        .merge(features::file_upload::router())
        .merge(features::users_crud::router())
        .merge(features::soft_delete::router())
        .merge(features::pagination::router())
        .merge(features::search::router())
        .merge(features::comments::router())
        .merge(features::notifications::router())
        .merge(features::schema::router())
        .merge(features::analytics::router())
        .merge(features::cache::router())
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
        // `config.body_limit` for every route but the uploads, which take more: the limit
        // must be chosen here, because nothing further in can raise it (see `body_limit`).
        .layer(features::file_upload::body_limit::by_route(
            state.config.body_limit,
        ))
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
        .merge(tooling::router(&state))
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
                .layer(CatchPanicLayer::new())
                .layer(MiddlewareLayer::new(HostGuard::new(
                    &state.config.allowed_hosts,
                )))
                // Socket.IO (topics 24, 25) answers `/socket.io/` here, inside the host guard
                // but outside the traced stack: its long-polling requests are transport, not
                // API calls (no rate limit, no access log); it records its own traces.
                .layer(features::realtime::socket_io(&state)),
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
        // The address actually bound, so features that call the sandbox itself (the webhook
        // sender, the mock payment provider) know where it listens.
        let config = SandboxConfig { addr, ..config };
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
        // Socket.IO sessions end first: a long poll in flight would otherwise hold the
        // graceful shutdown until its next ping.
        self.state.socket_io_shutdown.close();
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        self.task.await.map_err(std::io::Error::other)?
    }
}
