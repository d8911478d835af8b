//! The `/chat` namespace: the handshake, the events (`join`, `leave`, `send`, `typing`,
//! `history`), presence and the per-socket flood limit.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use socketioxide::SocketIo;
use socketioxide::extract::{AckSender, Extension, SocketRef, State as SocketState, TryData};
use socketioxide::handler::ConnectHandler as _;
use socketioxide::socket::{DisconnectReason, Sid};

use super::store::{NewMessage, Stored};
use super::{
    CHAT_NAMESPACE, DEFAULT_PAGE, FLOOD_BURST, FLOOD_PER_SECOND, MAX_CLIENT_ID, message_body,
    page_limit, room_name,
};
use crate::features::realtime::{
    HandshakeAuth, Hub, Refusal, SocketUser, authenticate, check, enter, event_path, exit,
    forget_expiry, namespace_path, socket_decision, socket_note, traced, unknown_event,
};
use crate::switches::Switch;

/// The Socket.IO room of a chat room.
fn room_key(room: &str) -> String {
    format!("room:{room}")
}

/// Registers the `/chat` namespace on the sandbox's Socket.IO server.
pub(crate) fn register(io: &SocketIo) {
    io.ns(CHAT_NAMESPACE, connected.with(admit));
}

/// The connect handler: the middleware set everything up before the client heard it was
/// connected, so its first event always finds its handler.
async fn connected() {}

/// The handshake of the chat namespace: the same token check as notifications, then the
/// chat events and this socket's flood bucket.
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
            socket.extensions.insert(Flood::full());
            socket.on("join", join);
            socket.on("leave", leave);
            socket.on("send", send);
            socket.on("typing", typing);
            socket.on("history", history);
            socket.on_fallback(unknown_event);
            socket.on_disconnect(disconnected);
            hub.socket_connected(&io);
            socket_note!("handler", format!("{} can join chat rooms", user.name));
            exit("handler", 200);
            (200, Ok(()))
        },
    )
    .await
}

/// Someone in a room, as presence lists them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
struct Member {
    id: u64,
    name: String,
}

// region: chat-presence
/// Who is online in a room: the users of its sockets, each once however many tabs and
/// devices they have there. `leaving` is left out (a socket that is disconnecting is still
/// in its rooms until its disconnect handler returns).
fn online(socket: &SocketRef, room: &str, leaving: Option<Sid>) -> Vec<Member> {
    let mut members: BTreeMap<u64, Member> = BTreeMap::new();
    for other in socket.within(room_key(room)).sockets() {
        if Some(other.id) == leaving {
            continue;
        }
        if let Some(user) = other.extensions.get::<SocketUser>() {
            members.insert(
                user.id,
                Member {
                    id: user.id,
                    name: user.name,
                },
            );
        }
    }
    members.into_values().collect()
}

/// Tells the others in the room who is online, when that changed: presence is broadcast on
/// transitions only (a user's first socket in, their last socket out).
async fn announce_presence(socket: &SocketRef, room: &str, before: &[Member], after: &[Member]) {
    if before == after {
        socket_note!("presence", format!("presence in {room} unchanged"));
        return;
    }
    let update = json!({ "online": after, "room": room });
    let _ = socket.to(room_key(room)).emit("presence", &update).await;
    socket_note!(
        "presence",
        format!(
            "presence sent to {}: {} online",
            room_key(room),
            after.len()
        )
    );
}
// endregion

#[derive(Debug, Deserialize)]
struct RoomRequest {
    room: String,
}

/// Reads a `{ room }` payload and checks the name.
fn room_request(
    request: Result<RoomRequest, socketioxide::ParserError>,
) -> Result<String, Refusal> {
    let request = request.map_err(|_| {
        let refusal = Refusal::new(
            400,
            "the payload must be an object like { room: \"general\" }",
        );
        socket_decision!("validation", refused, 400u16, refusal.message);
        refusal
    })?;
    let room = room_name(&request.room).map_err(|message| {
        socket_decision!("validation", refused, 422u16, message);
        Refusal::new(422, message)
    })?;
    socket_decision!("validation", passed, format!("room {room}"));
    Ok(room.to_owned())
}

/// The refusal for an event about a room this socket has not joined.
fn require_member(socket: &SocketRef, room: &str) -> Result<(), Refusal> {
    let key = room_key(room);
    if socket.rooms().iter().any(|joined| *joined == key) {
        socket_decision!("membership", passed, format!("this socket is in {key}"));
        Ok(())
    } else {
        let message = format!("join the room {room:?} first: this socket is not in it");
        socket_decision!("membership", refused, 403u16, message);
        Err(Refusal::new(403, message))
    }
}

/// `join { room }`.
async fn join(
    socket: SocketRef,
    SocketState(hub): SocketState<Hub>,
    Extension(user): Extension<SocketUser>,
    TryData(request): TryData<RoomRequest>,
    ack: AckSender,
) {
    traced(
        &hub.state.dispatch,
        "EVENT",
        event_path(CHAT_NAMESPACE, "join"),
        async {
            let room = match check("validation", || room_request(request)) {
                Ok(room) => room,
                Err(refusal) => return (refusal.status, send_ack(ack, &refusal.ack())),
            };
            enter("handler");
            let before = online(&socket, &room, None);
            socket.join(room_key(&room));
            socket_note!(
                "handler",
                format!("{} joined {}", user.name, room_key(&room))
            );
            let after = online(&socket, &room, None);
            let (status, reply) = match hub.state.chat.page(&room, None, DEFAULT_PAGE) {
                Ok(page) => (
                    200,
                    json!({
                        "messages": page.messages,
                        "next_before": page.next_before,
                        "ok": true,
                        "online": after,
                        "room": room,
                    }),
                ),
                Err(error) => (500, Refusal::new(500, error.to_string()).ack()),
            };
            send_ack(ack, &reply);
            announce_presence(&socket, &room, &before, &after).await;
            exit("handler", status);
            (status, ())
        },
    )
    .await;
}

/// `leave { room }`.
async fn leave(
    socket: SocketRef,
    SocketState(hub): SocketState<Hub>,
    TryData(request): TryData<RoomRequest>,
    ack: AckSender,
) {
    traced(
        &hub.state.dispatch,
        "EVENT",
        event_path(CHAT_NAMESPACE, "leave"),
        async {
            let room = match check("validation", || room_request(request)) {
                Ok(room) => room,
                Err(refusal) => return (refusal.status, send_ack(ack, &refusal.ack())),
            };
            if let Err(refusal) = check("membership", || require_member(&socket, &room)) {
                return (refusal.status, send_ack(ack, &refusal.ack()));
            }
            enter("handler");
            let before = online(&socket, &room, None);
            socket.leave(room_key(&room));
            let after = online(&socket, &room, None);
            send_ack(ack, &json!({ "ok": true, "room": room }));
            announce_presence(&socket, &room, &before, &after).await;
            exit("handler", 200);
            (200, ())
        },
    )
    .await;
}

#[derive(Debug, Deserialize)]
struct SendRequest {
    room: String,
    body: String,
    client_id: Option<String>,
}

// region: chat-send
/// `send { room, body, client_id? }`: check, limit, store, broadcast, ack. Stored before it
/// is broadcast, so nobody sees a message the database does not have.
async fn send(
    socket: SocketRef,
    SocketState(hub): SocketState<Hub>,
    Extension(user): Extension<SocketUser>,
    Extension(flood): Extension<Flood>,
    TryData(request): TryData<SendRequest>,
    ack: AckSender,
) {
    traced(
        &hub.state.dispatch,
        "EVENT",
        event_path(CHAT_NAMESPACE, "send"),
        async {
            let checked = check("validation", || validate_send(request))
                .and_then(|message| {
                    check("membership", || require_member(&socket, &message.room))?;
                    Ok(message)
                })
                .and_then(|message| {
                    let unlimited = hub.state.switches.is_on(Switch::ChatNoFloodLimit);
                    check("flood_limit", || flood.take(unlimited))?;
                    Ok(message)
                });
            let request = match checked {
                Ok(request) => request,
                Err(refusal) => return (refusal.status, send_ack(ack, &refusal.ack())),
            };
            enter("handler");
            let stored = hub.state.chat.append(&NewMessage {
                room: &request.room,
                user_id: user.id,
                author: &user.name,
                body: &request.body,
                client_id: request.client_id.as_deref(),
            });
            let Stored { message, duplicate } = match stored {
                Ok(stored) => stored,
                Err(error) => {
                    let refusal = Refusal::new(500, "the message could not be stored");
                    socket_note!("handler", error.to_string());
                    exit("handler", 500);
                    return (500, send_ack(ack, &refusal.ack()));
                }
            };
            let status = if duplicate {
                // A retry: the sender lost our ack. Answer the stored message again and
                // broadcast nothing, so nobody sees it twice.
                socket_note!(
                    "handler",
                    format!(
                        "client_id seen before: message {} answered again",
                        message.id
                    )
                );
                200
            } else {
                let key = room_key(&message.room);
                let _ = socket.to(key.clone()).emit("message", &message).await;
                socket_note!(
                    "handler",
                    format!(
                        "stored as {} (seq {}), broadcast to {key}",
                        message.id, message.seq
                    )
                );
                201
            };
            send_ack(
                ack,
                &json!({ "duplicate": duplicate, "message": message, "ok": true }),
            );
            exit("handler", status);
            (status, ())
        },
    )
    .await;
}
// endregion

/// A `send` payload that passed validation.
#[derive(Debug)]
struct ValidSend {
    room: String,
    body: String,
    client_id: Option<String>,
}

fn validate_send(
    request: Result<SendRequest, socketioxide::ParserError>,
) -> Result<ValidSend, Refusal> {
    let refuse = |status: u16, message: String| {
        socket_decision!("validation", refused, status, message);
        Refusal::new(status, message)
    };
    let request = request.map_err(|_| {
        refuse(
            400,
            "send needs an object like { room: \"general\", body: \"hello\", client_id?: \"...\" } \
             with text values"
                .into(),
        )
    })?;
    let room = room_name(&request.room).map_err(|m| refuse(422, m))?;
    let body = message_body(&request.body).map_err(|m| refuse(422, m))?;
    let client_id = match request.client_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(id) if id.chars().count() > MAX_CLIENT_ID => {
            return Err(refuse(
                422,
                format!("client_id is longer than {MAX_CLIENT_ID} characters"),
            ));
        }
        Some(id) => Some(id.to_owned()),
    };
    socket_decision!(
        "validation",
        passed,
        format!("{} characters for {room}", body.chars().count())
    );
    Ok(ValidSend {
        room: room.to_owned(),
        body: body.to_owned(),
        client_id,
    })
}

// region: chat-flood
/// One socket's token bucket: [`FLOOD_BURST`] messages at once, then
/// [`FLOOD_PER_SECOND`]. A client that floods a room is refused in the ack, and its
/// messages are neither stored nor broadcast.
#[derive(Debug, Clone)]
pub(crate) struct Flood(Arc<Mutex<Bucket>>);

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Flood {
    fn full() -> Flood {
        Flood(Arc::new(Mutex::new(Bucket {
            tokens: FLOOD_BURST,
            updated: Instant::now(),
        })))
    }

    /// Spends one token, or refuses with how long until the next one. `unlimited` is the
    /// `chat-no-flood-limit` switch: everything passes.
    fn take(&self, unlimited: bool) -> Result<(), Refusal> {
        if unlimited {
            socket_decision!(
                "flood_limit",
                passed,
                "chat-no-flood-limit is on: no limit per socket"
            );
            return Ok(());
        }
        let mut bucket = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * FLOOD_PER_SECOND).min(FLOOD_BURST);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            socket_decision!(
                "flood_limit",
                passed,
                format!(
                    "{} message(s) left in this socket's burst",
                    bucket.tokens as u64
                )
            );
            Ok(())
        } else {
            let wait_ms = ((1.0 - bucket.tokens) / FLOOD_PER_SECOND * 1000.0).ceil() as u64;
            let message = format!(
                "slow down: at most {FLOOD_BURST} messages at once, then {FLOOD_PER_SECOND} a \
                 second; retry in {wait_ms} ms"
            );
            socket_decision!("flood_limit", refused, 429u16, message);
            Err(Refusal::new(429, message))
        }
    }
}
// endregion

#[derive(Debug, Deserialize)]
struct TypingRequest {
    room: String,
    /// True while typing (the default), false when the user stopped.
    typing: Option<bool>,
}

/// `typing { room, typing }`: relayed to the others in the room, volatile (dropped rather
/// than queued for a slow client) and never stored.
async fn typing(
    socket: SocketRef,
    SocketState(hub): SocketState<Hub>,
    Extension(user): Extension<SocketUser>,
    TryData(request): TryData<TypingRequest>,
    ack: AckSender,
) {
    traced(
        &hub.state.dispatch,
        "EVENT",
        event_path(CHAT_NAMESPACE, "typing"),
        async {
            let checked = check("validation", || {
                let request = request.map_err(|_| {
                    let message = "typing needs an object like { room: \"general\", typing: true }";
                    socket_decision!("validation", refused, 400u16, message);
                    Refusal::new(400, message)
                })?;
                let room = room_name(&request.room).map_err(|m| {
                    socket_decision!("validation", refused, 422u16, m);
                    Refusal::new(422, m)
                })?;
                socket_decision!("validation", passed, format!("room {room}"));
                Ok((room.to_owned(), request.typing.unwrap_or(true)))
            })
            .and_then(|(room, is_typing)| {
                check("membership", || require_member(&socket, &room))?;
                Ok((room, is_typing))
            });
            let (room, is_typing) = match checked {
                Ok(found) => found,
                Err(refusal) => return (refusal.status, send_ack(ack, &refusal.ack())),
            };
            enter("handler");
            let update = json!({
                "room": room,
                "typing": is_typing,
                "user": { "id": user.id, "name": user.name },
            });
            let key = room_key(&room);
            let _ = socket
                .to(key.clone())
                .volatile()
                .emit("typing", &update)
                .await;
            socket_note!(
                "handler",
                format!("typing={is_typing} relayed to {key}, not stored")
            );
            send_ack(ack, &json!({ "ok": true }));
            exit("handler", 200);
            (200, ())
        },
    )
    .await;
}

/// `history { room, before?, limit? }`: the same page the HTTP route answers.
async fn history(
    socket: SocketRef,
    SocketState(hub): SocketState<Hub>,
    TryData(request): TryData<HistoryRequest>,
    ack: AckSender,
) {
    traced(
        &hub.state.dispatch,
        "EVENT",
        event_path(CHAT_NAMESPACE, "history"),
        async {
            let checked = check("validation", || {
                let request = request.map_err(|_| {
                    let message = "history needs an object like { room: \"general\", before?: 42, \
                                   limit?: 20 }";
                    socket_decision!("validation", refused, 400u16, message);
                    Refusal::new(400, message)
                })?;
                let room = room_name(&request.room).map_err(|m| {
                    socket_decision!("validation", refused, 422u16, m);
                    Refusal::new(422, m)
                })?;
                let limit = page_limit(request.limit).map_err(|m| {
                    socket_decision!("validation", refused, 422u16, m);
                    Refusal::new(422, m)
                })?;
                socket_decision!("validation", passed, format!("room {room}, limit {limit}"));
                Ok((room.to_owned(), request.before, limit))
            })
            .and_then(|(room, before, limit)| {
                check("membership", || require_member(&socket, &room))?;
                Ok((room, before, limit))
            });
            let (room, before, limit) = match checked {
                Ok(found) => found,
                Err(refusal) => return (refusal.status, send_ack(ack, &refusal.ack())),
            };
            enter("handler");
            let (status, reply) = match hub.state.chat.page(&room, before, limit) {
                Ok(page) => (
                    200,
                    json!({
                        "messages": page.messages,
                        "next_before": page.next_before,
                        "ok": true,
                        "room": page.room,
                    }),
                ),
                Err(error) => (500, Refusal::new(500, error.to_string()).ack()),
            };
            send_ack(ack, &reply);
            exit("handler", status);
            (status, ())
        },
    )
    .await;
}

#[derive(Debug, Deserialize)]
struct HistoryRequest {
    room: String,
    before: Option<u64>,
    limit: Option<u64>,
}

/// Answers the event's ack, if the client asked for one.
fn send_ack(ack: AckSender, reply: &Value) {
    let _ = ack.send(reply);
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
            // Still in its rooms until this handler returns: tell each room if this was the
            // user's last socket there.
            for room in socket.rooms() {
                let Some(name) = room.strip_prefix("room:") else {
                    continue;
                };
                let before = online(&socket, name, None);
                let after = online(&socket, name, Some(socket.id));
                announce_presence(&socket, name, &before, &after).await;
            }
            (200, ())
        },
    )
    .await;
}
