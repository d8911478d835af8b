//! Realtime notifications (topic 24): a Socket.IO server at `/socket.io/`, the protocol the
//! `socket.io-client` package speaks, over long polling or WebSocket.
//!
//! - The handshake carries the access token in the client's `auth` payload
//!   (`io(url, { auth: { token } })`). It is checked by the same code as `Authorization:
//!   Bearer` on HTTP routes ([`AuthUser`]); a missing or bad token refuses the connection
//!   before any event flows, and the client gets `connect_error` with the reason.
//! - Each socket joins the room of its user, `user:<id>`, taken from the verified token and
//!   never from the client. Every tab and device of one person is in the same room.
//! - Whatever happens to a user (a reply, a mention, a payment) is published once on
//!   [`UserEvents`](crate::features::user_events::UserEvents) by the feature where it
//!   happens; the relay here emits it to that user's room.
//! - The socket is closed when its token expires (`auth:expired` first), so a connection
//!   does not outlive the proof it was opened with.
//! - `POST /api/v1/notifications/demo` publishes a notification for the caller, so a
//!   learner sees a push arrive.
//!
//! Connects, handshake decisions, events in and events out are recorded as traces, like
//! HTTP requests, so the traffic view shows both on one timeline: the method is `CONNECT`,
//! `DISCONNECT`, `EVENT` (client to server) or `EMIT` (server to client), the path names
//! the namespace and the event (`/socket.io/#notification`, `/socket.io/chat#send`).
//!
//! The chat namespace (`/chat`, topic 25) lives in `chat/` and shares this server and its
//! handshake check.
//!
//! Try it (Node): `io("http://127.0.0.1:PORT", { auth: { token } }).on("notification", console.log)`,
//! then `curl -X POST http://127.0.0.1:PORT/api/v1/notifications/demo -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"type":"mention"}'`.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::{FromRequestParts as _, Request, State};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use socketioxide::extract::{
    AckSender, Event, Extension, SocketRef, State as SocketState, TryData,
};
use socketioxide::handler::ConnectHandler as _;
use socketioxide::layer::SocketIoLayer;
use socketioxide::service::SocketIoService;
use socketioxide::socket::DisconnectReason;
use socketioxide::{ParserError, SocketIo};
use tokio::sync::{Notify, broadcast, watch};
use tokio::task::JoinHandle;
use tower::util::MapResponse;
use tower::{Layer, Service};
use tracing::Dispatch;
use tracing::instrument::{Instrument as _, WithSubscriber as _};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult, FieldError};
use crate::extract::ValidJson;
use crate::features::chat;
use crate::features::jwt::AuthUser;
use crate::features::user_events::UserEvent;
use crate::features::users::Role;
use crate::state::AppState;
use crate::switches::Switch;
use crate::trace::collector::REQUEST_SPAN;

/// The namespace notifications are delivered on: the default one.
pub const NOTIFICATIONS_NAMESPACE: &str = "/";
/// The event name every notification is emitted under.
pub const NOTIFICATION_EVENT: &str = "notification";
/// Emitted just before the server closes a socket whose token expired.
pub const EXPIRED_EVENT: &str = "auth:expired";
/// Largest packet a client may send: the channel carries small JSON events only.
const MAX_PAYLOAD: u64 = 64 * 1024;
/// The outer layer of every Socket.IO trace, the counterpart of an HTTP request's stack.
const SOCKET_LAYER: &str = "socketio";

/// The room every socket of one user joins.
pub fn user_room(user_id: u64) -> String {
    format!("user:{user_id}")
}

/// Records one check's decision in the current Socket.IO trace. A macro, so the trace names
/// the file and line of the check that decided, not of a helper.
macro_rules! socket_decision {
    ($layer:expr, passed, $reason:expr) => {
        tracing::info!(
            target: "dojo::trace",
            layer = $layer,
            step = "decision",
            decision = "passed",
            reason = AsRef::<str>::as_ref(&$reason),
        )
    };
    ($layer:expr, refused, $status:expr, $reason:expr) => {
        tracing::info!(
            target: "dojo::trace",
            layer = $layer,
            step = "decision",
            decision = "short_circuited",
            status = u64::from($status),
            reason = AsRef::<str>::as_ref(&$reason),
        )
    };
}
pub(crate) use socket_decision;

/// Adds a line of what happened (a room joined, who received an emit) to the current
/// Socket.IO trace.
macro_rules! socket_note {
    ($layer:expr, $reason:expr) => {
        tracing::info!(
            target: "dojo::trace",
            layer = $layer,
            step = "note",
            reason = AsRef::<str>::as_ref(&$reason),
        )
    };
}
pub(crate) use socket_note;

/// What the Socket.IO handlers share: the sandbox and the relay of user events.
#[derive(Debug, Clone)]
pub(crate) struct Hub {
    pub(crate) state: AppState,
    relay: Arc<Relay>,
}

impl Hub {
    /// Every namespace's handshake calls this once it accepts a socket (before the client
    /// hears it is connected).
    pub(crate) fn socket_connected(&self, io: &SocketIo) {
        self.relay.socket_connected(io, &self.state);
    }

    /// Every namespace's disconnect handler calls this.
    pub(crate) fn socket_disconnected(&self) {
        self.relay.socket_disconnected();
    }
}

/// Who a socket belongs to, proven at the handshake. Kept in the socket's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SocketUser {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) role: Role,
}

/// Why the server refused something a client asked over Socket.IO: a handshake (the text
/// becomes the `message` of the client's `connect_error`) or an event (the ack says it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// The HTTP status with the same meaning, as the trace and the ack show it.
    pub(crate) status: u16,
    pub(crate) message: String,
}

impl Refusal {
    pub(crate) fn new(status: u16, message: impl Into<String>) -> Refusal {
        Refusal {
            status,
            message: message.into(),
        }
    }

    /// The ack a refused event gets: `{ ok: false, status, error }`.
    pub(crate) fn ack(&self) -> Value {
        json!({ "error": self.message, "ok": false, "status": self.status })
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

// region: socketio-server
/// The Socket.IO server as a tower layer: it answers `/socket.io/` (long polling and the
/// WebSocket upgrade) and passes every other request on. Registers the notifications
/// namespace here and the chat namespace in `chat/`.
pub fn socket_io(state: &AppState) -> SocketLayer {
    let hub = Hub {
        state: state.clone(),
        relay: Arc::default(),
    };
    let (layer, io) = SocketIo::builder()
        .max_payload(MAX_PAYLOAD)
        .with_state(hub)
        .build_layer();
    // The middleware runs before the server confirms the connection: a refusal there is
    // the client's `connect_error`, and nothing the socket needs is set up too late.
    io.ns(NOTIFICATIONS_NAMESPACE, connected.with(admit));
    chat::register(&io);
    SocketLayer { layer }
}

/// The handshake of the notifications namespace: check the token, join the user's room,
/// listen.
async fn admit(
    socket: SocketRef,
    io: SocketIo,
    SocketState(hub): SocketState<Hub>,
    TryData(auth): TryData<HandshakeAuth>,
) -> Result<(), Refusal> {
    traced(
        &hub.state.dispatch,
        "CONNECT",
        namespace_path(&socket),
        async {
            let user = match authenticate(&hub, &socket, auth).await {
                Ok(user) => user,
                Err(refusal) => return (refusal.status, Err(refusal)),
            };
            enter("handler");
            let room = user_room(user.id);
            socket.join(room.clone());
            socket_note!("handler", format!("{} joined {room}", user.name));
            socket.on("whoami", whoami);
            socket.on_fallback(unknown_event);
            socket.on_disconnect(disconnected);
            hub.socket_connected(&io);
            exit("handler", 200);
            (200, Ok(()))
        },
    )
    .await
}
// endregion

/// [`socket_io`]'s layer: socketioxide's, with its answers turned into axum responses, so
/// it can sit among the sandbox's own layers.
#[derive(Clone)]
pub struct SocketLayer {
    layer: SocketIoLayer,
}

impl fmt::Debug for SocketLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SocketLayer(/socket.io/)")
    }
}

/// What socketioxide answers with, before it becomes an axum response.
type SocketResponse<S> = <SocketIoService<S> as Service<Request>>::Response;

impl<S> Layer<S> for SocketLayer
where
    S: Clone,
    SocketIoService<S>: Service<Request>,
    SocketResponse<S>: IntoResponse,
{
    type Service = MapResponse<SocketIoService<S>, fn(SocketResponse<S>) -> Response>;

    fn layer(&self, inner: S) -> Self::Service {
        let into_response: fn(SocketResponse<S>) -> Response = IntoResponse::into_response;
        MapResponse::new(self.layer.layer(inner), into_response)
    }
}

// region: socket-handshake
/// The client's `auth` payload at the handshake.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct HandshakeAuth {
    token: Option<String>,
    /// Read only with the `realtime-trust-client-user` switch on: the hole it opens.
    user_id: Option<u64>,
}

/// The handshake check every namespace runs: the token from the `auth` payload goes
/// through the same verification as an HTTP bearer token. On success the socket knows its
/// user, and a timer closes it when the token expires.
pub(crate) async fn authenticate(
    hub: &Hub,
    socket: &SocketRef,
    auth: Result<HandshakeAuth, ParserError>,
) -> Result<SocketUser, Refusal> {
    enter("auth");
    let claimed = auth.as_ref().ok().and_then(|auth| auth.user_id);
    let (mut user, expires_at) = match check_token(hub, auth).await {
        Ok(found) => found,
        Err(refusal) => {
            exit("auth", refusal.status);
            return Err(refusal);
        }
    };
    pass("auth");
    if let Some(claimed) = claimed
        && hub.state.switches.is_on(Switch::RealtimeTrustClientUser)
    {
        enter("identity");
        socket_decision!(
            "identity",
            passed,
            format!(
                "realtime-trust-client-user is on: user {claimed} taken from the handshake \
                 payload instead of the token's user {}",
                user.id
            )
        );
        pass("identity");
        user = describe_user(&hub.state, claimed, user.role);
    }
    socket.extensions.insert(user.clone());
    if !hub.state.switches.is_on(Switch::JwtSkipExpiry) {
        close_at_expiry(hub, socket, expires_at);
    }
    Ok(user)
}

/// The token check itself: the `auth` payload's token is handed to [`AuthUser`], the
/// extractor that guards HTTP routes, as if it came in `Authorization: Bearer`.
async fn check_token(
    hub: &Hub,
    auth: Result<HandshakeAuth, ParserError>,
) -> Result<(SocketUser, u64), Refusal> {
    let auth = auth.map_err(|_| {
        let reason = "unauthorized: the handshake auth payload must be an object like \
                      { token: \"<access token>\" }";
        socket_decision!("auth", refused, 401u16, reason);
        Refusal::new(401, reason)
    })?;
    let Some(token) = auth.token.filter(|t| !t.trim().is_empty()) else {
        let reason = "unauthorized: no token; connect with auth: { token: \"<access token>\" } \
                      (log in with POST /api/v1/auth/login)";
        socket_decision!("auth", refused, 401u16, reason);
        return Err(Refusal::new(401, reason));
    };
    let request = axum::http::Request::builder()
        .header(AUTHORIZATION, format!("Bearer {}", token.trim()))
        .body(())
        .map_err(|_| {
            let reason = "unauthorized: the token holds characters no JWT has";
            socket_decision!("auth", refused, 401u16, reason);
            Refusal::new(401, reason)
        })?;
    let (mut parts, ()) = request.into_parts();
    // AuthUser records its own decision (passed, or refused with its reason).
    match AuthUser::from_request_parts(&mut parts, &hub.state).await {
        Ok(user) => Ok((
            describe_user(&hub.state, user.id, user.role),
            user.claims.exp,
        )),
        Err(ApiError::Unauthorized { reason }) => {
            Err(Refusal::new(401, format!("unauthorized: {reason}")))
        }
        Err(other) => Err(Refusal::new(401, format!("unauthorized: {other}"))),
    }
}
// endregion

/// A user as sockets show them: id, display name, role.
fn describe_user(state: &AppState, id: u64, role: Role) -> SocketUser {
    let name = state.users.by_id(id).map_or_else(
        || format!("user {id}"),
        |user| format!("{} {}", user.first_name, user.last_name),
    );
    SocketUser { id, name, role }
}

/// The connect handler: everything was set up by the middleware before the client heard
/// it was connected, so there is nothing left to do.
async fn connected() {}

// region: token-expiry
/// Closes the socket when its token expires: an open connection must not outlive the
/// proof it was opened with. The client hears `auth:expired` and can reconnect with a
/// fresh token.
fn close_at_expiry(hub: &Hub, socket: &SocketRef, expires_at: u64) {
    let left = Duration::from_secs(expires_at.saturating_sub(unix_now()));
    let gone = Arc::new(Notify::new());
    socket.extensions.insert(ExpiryWatch(gone.clone()));
    let socket = socket.clone();
    let dispatch = hub.state.dispatch.clone();
    tokio::spawn(async move {
        tokio::select! {
            () = tokio::time::sleep(left) => {
                let path = event_path(socket.ns(), EXPIRED_EVENT);
                traced(&dispatch, "EMIT", path, async {
                    let reason = "the access token expired: the server closes the socket; \
                                  connect again with a fresh token";
                    socket_decision!("auth", refused, 401u16, reason);
                    let _ = socket.emit(EXPIRED_EVENT, &json!({ "reason": reason }));
                    let _ = socket.clone().disconnect();
                    (401, ())
                })
                .await;
            }
            () = gone.notified() => {}
        }
    });
}
// endregion

/// Wakes a socket's expiry timer when the socket goes away first.
#[derive(Debug, Clone)]
pub(crate) struct ExpiryWatch(Arc<Notify>);

/// Stops the socket's expiry timer; called by every namespace's disconnect handler.
pub(crate) fn forget_expiry(socket: &SocketRef) {
    if let Some(ExpiryWatch(gone)) = socket.extensions.get::<ExpiryWatch>() {
        gone.notify_one();
    }
}

/// `whoami`: the ack says who the server thinks this socket is and which rooms it is in.
async fn whoami(
    socket: SocketRef,
    SocketState(hub): SocketState<Hub>,
    Extension(user): Extension<SocketUser>,
    ack: AckSender,
) {
    traced(
        &hub.state.dispatch,
        "EVENT",
        event_path(socket.ns(), "whoami"),
        async {
            enter("handler");
            let mut rooms: Vec<String> = socket.rooms().iter().map(|r| r.to_string()).collect();
            rooms.sort();
            let reply = json!({
                "name": user.name,
                "ok": true,
                "role": user.role,
                "rooms": rooms,
                "transport": format!("{:?}", socket.transport_type()).to_lowercase(),
                "user_id": user.id,
            });
            let _ = ack.send(&reply);
            exit("handler", 200);
            (200, ())
        },
    )
    .await;
}

/// Any event nobody listens for: refused in the ack and in the trace, never silently lost.
pub(crate) async fn unknown_event(
    socket: SocketRef,
    Event(event): Event,
    SocketState(hub): SocketState<Hub>,
    ack: AckSender,
) {
    traced(
        &hub.state.dispatch,
        "EVENT",
        event_path(socket.ns(), &event),
        async {
            let refusal = Refusal::new(
                404,
                format!(
                    "no handler for the event {event:?} on the namespace {}",
                    socket.ns()
                ),
            );
            socket_decision!("router", refused, 404u16, refusal.message);
            let _ = ack.send(&refusal.ack());
            (404, ())
        },
    )
    .await;
}

async fn disconnected(
    socket: SocketRef,
    SocketState(hub): SocketState<Hub>,
    reason: DisconnectReason,
) {
    forget_expiry(&socket);
    hub.socket_disconnected();
    traced(
        &hub.state.dispatch,
        "DISCONNECT",
        namespace_path(&socket),
        async {
            socket_note!("handler", reason.to_string());
            (200, ())
        },
    )
    .await;
}

// region: user-event-relay
/// The server's background work: delivering user events to user rooms, and closing every
/// session when the sandbox stops. It runs while at least one socket is connected (to any
/// namespace): with nobody connected there is nothing to deliver or close, and the task
/// (which holds the server) ends, so a stopped sandbox is freed.
#[derive(Debug, Default)]
struct Relay {
    running: Mutex<RelayState>,
}

#[derive(Debug, Default)]
struct RelayState {
    sockets: usize,
    task: Option<JoinHandle<()>>,
}

impl Relay {
    fn lock(&self) -> std::sync::MutexGuard<'_, RelayState> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Called before the server confirms a connection, so the relay already listens when
    /// the client learns it is connected: an event published right after is not missed.
    fn socket_connected(&self, io: &SocketIo, state: &AppState) {
        let mut running = self.lock();
        running.sockets += 1;
        if running.task.as_ref().is_none_or(JoinHandle::is_finished) {
            running.task = Some(tokio::spawn(relay(
                io.clone(),
                state.user_events.subscribe(),
                state.socket_io_shutdown.subscribe(),
                state.dispatch.clone(),
            )));
        }
    }

    fn socket_disconnected(&self) {
        let mut running = self.lock();
        running.sockets = running.sockets.saturating_sub(1);
        if running.sockets == 0
            && let Some(task) = running.task.take()
        {
            task.abort();
        }
    }
}

async fn relay(
    io: SocketIo,
    mut events: broadcast::Receiver<UserEvent>,
    mut closing: watch::Receiver<bool>,
    dispatch: Dispatch,
) {
    loop {
        let received = tokio::select! {
            received = events.recv() => received,
            _ = closing.wait_for(|closing| *closing) => {
                // Every session ends now, so no long poll keeps graceful shutdown waiting
                // for its next ping. On a task of its own: closing disconnects the sockets,
                // and the last disconnect ends this one.
                tokio::spawn(async move { io.close().await });
                break;
            }
        };
        match received {
            Ok(event) => deliver(&io, &dispatch, event).await,
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                traced(&dispatch, "EMIT", event_path("/", "*"), async {
                    let reason = format!(
                        "{missed} user events were dropped: the relay fell behind the publishers"
                    );
                    socket_decision!("relay", refused, 503u16, reason);
                    (503, ())
                })
                .await;
            }
            Err(broadcast::error::RecvError::Closed) => break,
        }
    }
}

/// One user event, emitted to its user's room: every socket of that user, and nobody else.
async fn deliver(io: &SocketIo, dispatch: &Dispatch, event: UserEvent) {
    let path = event_path(NOTIFICATIONS_NAMESPACE, &event.name);
    traced(dispatch, "EMIT", path, async {
        enter("handler");
        let room = user_room(event.user_id);
        let sockets = io.to(room.clone()).sockets().len();
        let status = match io.to(room.clone()).emit(&event.name, &event.data).await {
            Ok(()) if sockets == 0 => {
                socket_note!(
                    "handler",
                    format!("nobody is connected in {room}: the push is dropped, the client catches up over HTTP")
                );
                200
            }
            Ok(()) => {
                socket_note!("handler", format!("emitted to {room}: {sockets} socket(s)"));
                200
            }
            Err(error) => {
                socket_note!("handler", format!("emit to {room} failed: {error}"));
                500
            }
        };
        exit("handler", status);
        (status, ())
    })
    .await;
}
// endregion

/// Tells the Socket.IO server that the sandbox is stopping. Held by the sandbox's state,
/// which the server never holds back, so nothing keeps a stopped sandbox alive.
#[derive(Debug)]
pub struct SocketIoShutdown {
    closing: watch::Sender<bool>,
}

impl Default for SocketIoShutdown {
    fn default() -> Self {
        SocketIoShutdown {
            closing: watch::Sender::new(false),
        }
    }
}

impl SocketIoShutdown {
    /// Closes every Socket.IO session. Without it, a client on long polling holds graceful
    /// shutdown until its pending poll is answered by the next ping, up to 25 seconds.
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    fn subscribe(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }
}

// region: socket-trace
/// Records `work` as one entry of the sandbox's traces, exactly like an HTTP request: a
/// `dojo.request` span with an id, a method and a path, whose events the collector turns
/// into layers. `work` returns the status the trace shows (the HTTP status with the same
/// meaning) with its result. The trace reaches `/_dojo/traces` and the live event stream
/// like any request, so HTTP requests and Socket.IO events share one timeline.
pub(crate) async fn traced<T>(
    dispatch: &Dispatch,
    method: &'static str,
    path: String,
    work: impl Future<Output = (u16, T)>,
) -> T {
    let id = uuid::Uuid::new_v4().to_string();
    let span = tracing::dispatcher::with_default(dispatch, || {
        tracing::info_span!(
            target: "dojo::trace",
            REQUEST_SPAN,
            request_id = id.as_str(),
            method,
            path = path.as_str(),
        )
    });
    async {
        enter(SOCKET_LAYER);
        let (status, value) = work.await;
        exit(SOCKET_LAYER, status);
        value
    }
    .instrument(span)
    .with_subscriber(dispatch.clone())
    .await
}

/// Where a layer of a Socket.IO trace starts.
pub(crate) fn enter(layer: &'static str) {
    tracing::trace!(target: "dojo::trace", layer, step = "enter");
}

/// Where a layer of a Socket.IO trace ends, with the status it ended on.
pub(crate) fn exit(layer: &'static str, status: u16) {
    tracing::trace!(target: "dojo::trace", layer, step = "exit", status = u64::from(status));
}

/// Runs one check of a Socket.IO trace as its own layer: enter, the check (which records
/// its decision), exit with the refusal's status if it refused.
pub(crate) fn check<T>(
    layer: &'static str,
    run: impl FnOnce() -> Result<T, Refusal>,
) -> Result<T, Refusal> {
    enter(layer);
    let outcome = run();
    match &outcome {
        Ok(_) => pass(layer),
        Err(refusal) => exit(layer, refusal.status),
    }
    outcome
}

/// Where a layer of a Socket.IO trace ends after passing the event on.
pub(crate) fn pass(layer: &'static str) {
    tracing::trace!(target: "dojo::trace", layer, step = "exit");
}
// endregion

/// The trace path of a namespace: `/socket.io/` for the default one, `/socket.io/chat` for
/// `/chat`.
pub(crate) fn namespace_path(socket: &SocketRef) -> String {
    format!("/socket.io{}", socket.ns())
}

/// The trace path of one event on a namespace: `/socket.io/#notification`,
/// `/socket.io/chat#send`.
pub(crate) fn event_path(namespace: &str, event: &str) -> String {
    format!("/socket.io{namespace}#{event}")
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn unix_now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The routes, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(demo_notification))
}

/// What kind of notification the demo sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum NotificationType {
    Reply,
    Mention,
    Payment,
}

/// The body of `POST /api/v1/notifications/demo`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "type": "mention" }))]
pub struct DemoRequest {
    /// `reply`, `mention` (the default) or `payment`.
    #[serde(rename = "type")]
    #[schema(value_type = Option<NotificationType>)]
    kind: Option<Value>,
}

/// A notification as clients receive it.
// Members in alphabetical order, like every other JSON object the sandbox writes.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Notification {
    /// Who did it (for a payment: the shop).
    actor: String,
    /// When it happened, milliseconds since the Unix epoch.
    created_at: u64,
    id: String,
    text: String,
    #[serde(rename = "type")]
    kind: NotificationType,
}

/// What the demo route published.
#[derive(Debug, Serialize, ToSchema)]
pub struct DemoPublished {
    /// The Socket.IO event name clients listen for.
    #[schema(example = "notification")]
    event: &'static str,
    notification: Notification,
    /// The room it is emitted to: the caller's own.
    #[schema(example = "user:1")]
    room: String,
}

/// Send yourself a demo notification
///
/// Publishes a reply, mention or payment notification for the caller. Every socket that
/// connected with the caller's token receives it as a `notification` event on the default
/// namespace; nobody else does.
#[utoipa::path(
    post,
    path = "/api/v1/notifications/demo",
    tag = "realtime",
    security(("bearer" = [])),
    request_body = DemoRequest,
    responses(
        (status = 202, description = "Published to the caller's room", body = DemoPublished),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::ValidationFailed),
    ),
)]
// region: notification-demo
async fn demo_notification(
    State(state): State<AppState>,
    user: AuthUser,
    ValidJson(body): ValidJson<DemoRequest>,
) -> ApiResult<(StatusCode, Json<DemoPublished>)> {
    let kind = match body.kind {
        None => NotificationType::Mention,
        Some(value) => serde_json::from_value(value).map_err(|_| {
            ApiError::Validation(vec![FieldError {
                field: "type".into(),
                message: "must be \"reply\", \"mention\" or \"payment\"".into(),
            }])
        })?,
    };
    // Someone other than the caller did it: nobody is notified about their own actions.
    let actor_id = if user.id == 2 { 1 } else { 2 };
    let actor = describe_user(&state, actor_id, Role::User).name;
    let text = match kind {
        NotificationType::Reply => {
            format!("{actor} replied to your post \"Why is my refresh token rotating?\"")
        }
        NotificationType::Mention => {
            format!("{actor} mentioned you: \"@you can you review the migration before 5?\"")
        }
        NotificationType::Payment => "Payment of 19.99 EUR succeeded for order #1042".to_owned(),
    };
    let notification = Notification {
        actor: if kind == NotificationType::Payment {
            "Dojo Shop".to_owned()
        } else {
            actor
        },
        created_at: unix_now_ms(),
        id: uuid::Uuid::new_v4().to_string(),
        text,
        kind,
    };
    let data = serde_json::to_value(&notification)
        .map_err(|e| ApiError::Internal(format!("notification not serializable: {e}")))?;
    // Published once; the relay emits it to every socket in the caller's room.
    state.user_events.publish(user.id, NOTIFICATION_EVENT, data);
    tracing::info!(
        target: "dojo::trace",
        layer = "handler",
        step = "note",
        reason = format!("published to {}", user_room(user.id)).as_str(),
    );
    Ok((
        StatusCode::ACCEPTED,
        Json(DemoPublished {
            event: NOTIFICATION_EVENT,
            notification,
            room: user_room(user.id),
        }),
    ))
}
// endregion
