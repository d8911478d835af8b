//! Web mode: the same app API over HTTP, plus the built UI, on loopback.
//!
//! `GET /api/topics`, `GET /api/topics/{key}`, `GET /api/topics/{key}/drills`,
//! `POST /api/topics/{key}/drills/run`, `GET /api/syntax.css`, the sandbox's state and its
//! start, stop and restart, traffic routes, study routes (`study`), the learner's profile
//! and daily plan (`profile`), the sandbox's settings (`sandbox_settings`), files carried
//! to the sandbox for the Upload panel (`uploads`); everything else is the UI from
//! `ui/dist`. Errors are `application/problem+json`.

mod export;
mod interviews;
mod profile;
mod sandbox_settings;
mod study;
mod uploads;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use axum::extract::{Path as UrlPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::console::{ConsoleRequest, ConsoleResponse};
use crate::sandbox::SandboxInfo;
use crate::traffic::{TraceView, TrafficEntry};
use crate::{Dojo, DrillInfo, DrillRun, Error, Problem, TopicIndex, TopicView};

/// Where `make` puts the built UI, known at compile time for runs from the source tree.
pub const DEFAULT_UI_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../ui/dist");

const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' http://127.0.0.1:* ws://127.0.0.1:*; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The web-mode router for a server listening on `port`. Requests whose `Host` is not
/// this loopback server are refused, so a page on another site cannot reach it through
/// DNS rebinding.
pub fn router(dojo: Dojo, ui_dir: &Path, port: u16) -> Router {
    let index = ui_dir.join("index.html");
    let ui = ServeDir::new(ui_dir).fallback(ServeFile::new(index));
    Router::new()
        .route("/api/topics", get(topic_index))
        .route("/api/topics/{key}", get(topic))
        .route("/api/topics/{key}/drills", get(drills))
        .route("/api/topics/{key}/drills/run", post(run_drills))
        .route("/api/syntax.css", get(syntax_css))
        .route("/api/sandbox", get(sandbox_info))
        .route("/api/sandbox/start", post(start_sandbox))
        .route("/api/sandbox/stop", post(stop_sandbox))
        .route("/api/sandbox/restart", post(restart_sandbox))
        .route("/api/console/send", post(send_request))
        .route("/api/traces/{id}", get(trace))
        .route("/api/traffic", get(traffic))
        .route("/api/traffic/events", get(traffic_events))
        .merge(study::routes())
        .merge(export::routes())
        .merge(interviews::routes())
        .merge(profile::routes())
        .merge(sandbox_settings::routes())
        .merge(uploads::routes())
        .route("/api/{*rest}", get(unknown_api))
        .fallback_service(ui)
        .with_state(dojo)
        // Innermost, so the 421 it answers also gets the headers below.
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            check_host(request, next, port)
        }))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
}

/// Binds `addr` (port 0 picks a free one) and serves until Ctrl-C or SIGTERM.
/// `on_ready` receives the URL once the socket is listening.
pub async fn serve(
    dojo: Dojo,
    addr: SocketAddr,
    ui_dir: PathBuf,
    on_ready: impl FnOnce(&str),
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let app = router(dojo, &ui_dir, local.port());
    on_ready(&format!("http://{local}/"));
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

async fn check_host(request: Request, next: Next, port: u16) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let allowed = ["127.0.0.1", "localhost", "[::1]"]
        .iter()
        .any(|name| host == format!("{name}:{port}"));
    if allowed {
        return next.run(request).await;
    }
    problem(
        StatusCode::MISDIRECTED_REQUEST,
        "Unexpected Host header",
        &format!(
            "Backend Dojo's web mode only answers requests addressed to 127.0.0.1:{port} or localhost:{port}"
        ),
    )
}

async fn topic_index(State(dojo): State<Dojo>) -> Json<TopicIndex> {
    Json(dojo.topic_index())
}

async fn topic(
    State(dojo): State<Dojo>,
    UrlPath(key): UrlPath<String>,
) -> Result<Json<TopicView>, Error> {
    dojo.topic(&key).map(Json)
}

async fn drills(
    State(dojo): State<Dojo>,
    UrlPath(key): UrlPath<String>,
) -> Result<Json<Vec<DrillInfo>>, Error> {
    dojo.drills(&key).map(Json)
}

async fn run_drills(
    State(dojo): State<Dojo>,
    UrlPath(key): UrlPath<String>,
) -> Result<Json<DrillRun>, Error> {
    dojo.run_topic_drills(&key).await.map(Json)
}

async fn syntax_css(State(dojo): State<Dojo>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        dojo.syntax_css(),
    )
        .into_response()
}

async fn sandbox_info(State(dojo): State<Dojo>) -> Json<SandboxInfo> {
    Json(dojo.sandbox_info())
}

async fn start_sandbox(State(dojo): State<Dojo>) -> Result<Json<SandboxInfo>, Error> {
    dojo.start_sandbox().await.map(Json)
}

async fn stop_sandbox(State(dojo): State<Dojo>) -> Result<Json<SandboxInfo>, Error> {
    dojo.stop_sandbox().await.map(Json)
}

async fn restart_sandbox(State(dojo): State<Dojo>) -> Result<Json<SandboxInfo>, Error> {
    dojo.restart_sandbox().await.map(Json)
}

async fn send_request(
    State(dojo): State<Dojo>,
    body: Result<Json<ConsoleRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<ConsoleResponse>, Response> {
    let request = json_body(body, "Bad console request")?;
    dojo.send_request(&request)
        .await
        .map(Json)
        .map_err(IntoResponse::into_response)
}

async fn trace(
    State(dojo): State<Dojo>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<TraceView>, Error> {
    dojo.trace(&id).map(Json)
}

async fn traffic(State(dojo): State<Dojo>) -> Json<Vec<TrafficEntry>> {
    Json(dojo.traffic())
}

/// Live traffic as server-sent events named `trace`; the stream follows the sandbox
/// through stops and restarts.
async fn traffic_events(State(dojo): State<Dojo>) -> Result<Response, Error> {
    let feed = dojo.live_traffic();
    let events = tokio_stream::StreamExt::filter_map(feed, |entry| {
        Event::default()
            .event("trace")
            .json_data(&entry)
            .ok()
            .map(Ok::<_, std::convert::Infallible>)
    });
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response())
}

async fn unknown_api(UrlPath(rest): UrlPath<String>) -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "Not found",
        &format!("there is no app API at /api/{rest}"),
    )
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        self.problem().into_response()
    }
}

/// Lets handlers that already answer with a `Response` use `?` on app calls.
impl From<Error> for Response {
    fn from(error: Error) -> Response {
        error.into_response()
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_string(&self).unwrap_or_default();
        (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response()
    }
}

/// A JSON body, or a problem titled `title` that says why it was refused: 400 for broken
/// JSON, 415 for another content type, 422 for JSON of the wrong shape.
#[expect(
    clippy::result_large_err,
    reason = "the error is the finished answer, returned once straight to axum"
)]
fn json_body<T>(
    body: Result<Json<T>, axum::extract::rejection::JsonRejection>,
    title: &str,
) -> Result<T, Response> {
    body.map(|Json(value)| value)
        .map_err(|rejection| problem(rejection.status(), title, &rejection.body_text()))
}

fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    Problem::new(status.as_u16(), title, detail).into_response()
}
