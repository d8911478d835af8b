//! A small Socket.IO client for the sandbox's tests: Engine.IO v4 long polling over real
//! HTTP, Socket.IO v5 packets, the way `socket.io-client` talks when WebSocket is not
//! available. Enough for namespaces, the handshake `auth` payload, events and acks.
//! (The real `socket.io-client` is tested from Node in `tests/realtime/`.)

use std::collections::VecDeque;

use dojo_sandbox::{Sandbox, SandboxConfig, TOOLING_TOKEN_HEADER};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::time::{Instant, timeout_at};

use super::{DEADLINE, PASSWORD};

/// Engine.IO separates the packets of one polling payload with this byte.
const SEPARATOR: char = '\u{1e}';

/// One Socket.IO packet as received.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Packet {
    /// `0` connect, `1` disconnect, `2` event, `3` ack, `4` connect error.
    pub(crate) kind: u8,
    pub(crate) namespace: String,
    pub(crate) ack_id: Option<u64>,
    pub(crate) data: Value,
}

/// One Engine.IO session over long polling.
#[derive(Debug)]
pub(crate) struct PollingClient {
    http: reqwest::Client,
    url: String,
    /// Packets received but not asked for yet, oldest first.
    inbox: VecDeque<Packet>,
    next_ack: u64,
}

impl PollingClient {
    /// Opens an Engine.IO session on the sandbox at `base` (`http://127.0.0.1:PORT`).
    pub(crate) async fn open(base: &str) -> PollingClient {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(DEADLINE * 4)
            .build()
            .expect("a client");
        let handshake = http
            .get(format!("{base}/socket.io/?EIO=4&transport=polling"))
            .send()
            .await
            .expect("the handshake answers");
        assert_eq!(handshake.status(), reqwest::StatusCode::OK);
        let body = handshake.text().await.expect("the handshake body");
        let open: Value = body
            .strip_prefix('0')
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or_else(|| panic!("not an Engine.IO open packet: {body:?}"));
        let sid = open["sid"].as_str().expect("a session id").to_owned();
        PollingClient {
            http,
            url: format!("{base}/socket.io/?EIO=4&transport=polling&sid={sid}"),
            inbox: VecDeque::new(),
            next_ack: 1,
        }
    }

    /// Sends Socket.IO packets (written out, such as `40/chat,{...}`) in one POST.
    pub(crate) async fn send_raw(&self, packets: &[String]) {
        let body: Vec<String> = packets.iter().map(|p| format!("4{p}")).collect();
        self.post(body.join(&SEPARATOR.to_string())).await;
    }

    async fn post(&self, body: String) {
        let reply = self
            .http
            .post(&self.url)
            .header("content-type", "text/plain;charset=UTF-8")
            .body(body)
            .send()
            .await
            .expect("the POST answers");
        assert_eq!(reply.status(), reqwest::StatusCode::OK, "POST refused");
    }

    /// One long-polling GET: whatever the server has queued, or a ping after a while.
    async fn poll(&mut self) {
        let reply = self
            .http
            .get(&self.url)
            .send()
            .await
            .expect("the GET answers");
        assert_eq!(reply.status(), reqwest::StatusCode::OK, "GET refused");
        let body = reply.text().await.expect("the GET body");
        for engine_packet in body.split(SEPARATOR) {
            match engine_packet.as_bytes().first() {
                // Ping: answer pong, or the server closes the session.
                Some(b'2') => self.post("3".to_owned()).await,
                Some(b'4') => self.inbox.push_back(parse(&engine_packet[1..])),
                _ => {}
            }
        }
    }

    /// The first packet matching `wanted`, waiting for it (at most [`DEADLINE`]); packets
    /// before it that do not match stay in the inbox.
    pub(crate) async fn expect(&mut self, what: &str, wanted: impl Fn(&Packet) -> bool) -> Packet {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(at) = self.inbox.iter().position(&wanted) {
                return self.inbox.remove(at).expect("the packet is there");
            }
            timeout_at(deadline, self.poll())
                .await
                .unwrap_or_else(|_| panic!("no {what} in time; received: {:?}", self.inbox));
        }
    }

    /// Every packet received so far that nobody asked for.
    pub(crate) fn unclaimed(&self) -> &VecDeque<Packet> {
        &self.inbox
    }

    /// Joins `namespace` with this handshake `auth` payload: `Ok` with the socket id, or
    /// `Err` with the `connect_error` message.
    pub(crate) async fn connect(
        &mut self,
        namespace: &str,
        auth: &Value,
    ) -> Result<String, String> {
        self.send_raw(&[format!("0{}{auth}", prefix(namespace))])
            .await;
        let answer = self
            .expect("connect answer", |p| {
                p.namespace == namespace && (p.kind == 0 || p.kind == 4)
            })
            .await;
        if answer.kind == 0 {
            Ok(answer.data["sid"].as_str().expect("a socket id").to_owned())
        } else {
            Err(answer.data["message"]
                .as_str()
                .expect("a connect_error message")
                .to_owned())
        }
    }

    /// Emits `event` with `data` on `namespace` without asking for an ack.
    pub(crate) async fn emit(&self, namespace: &str, event: &str, data: &Value) {
        let payload = Value::Array(vec![Value::from(event), data.clone()]);
        self.send_raw(&[format!("2{}{payload}", prefix(namespace))])
            .await;
    }

    /// Emits `event` with `data` on `namespace` and waits for its ack's first argument.
    pub(crate) async fn call(&mut self, namespace: &str, event: &str, data: &Value) -> Value {
        let id = self.next_ack;
        self.next_ack += 1;
        let payload = Value::Array(vec![Value::from(event), data.clone()]);
        self.send_raw(&[format!("2{}{id}{payload}", prefix(namespace))])
            .await;
        let ack = self
            .expect(&format!("ack {id} of {event}"), |p| {
                p.kind == 3 && p.namespace == namespace && p.ack_id == Some(id)
            })
            .await;
        ack.data[0].clone()
    }

    /// Waits for the server to emit `event` on `namespace`; answers its first argument.
    pub(crate) async fn event(&mut self, namespace: &str, event: &str) -> Value {
        let packet = self
            .expect(&format!("{event} event"), |p| {
                p.kind == 2 && p.namespace == namespace && p.data[0] == event
            })
            .await;
        packet.data[1].clone()
    }
}

/// What goes between the packet type and the payload: nothing for `/`, `/chat,` otherwise.
fn prefix(namespace: &str) -> String {
    if namespace == "/" {
        String::new()
    } else {
        format!("{namespace},")
    }
}

/// Reads one Socket.IO packet: type, optional `/namespace,`, optional ack id, JSON.
fn parse(text: &str) -> Packet {
    let kind = text
        .bytes()
        .next()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .unwrap_or_else(|| panic!("not a Socket.IO packet: {text:?}"));
    let mut rest = &text[1..];
    let mut namespace = "/".to_owned();
    if rest.starts_with('/') {
        let (name, after) = rest.split_once(',').unwrap_or((rest, ""));
        namespace = name.to_owned();
        rest = after;
    }
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let ack_id = (digits > 0).then(|| rest[..digits].parse().expect("an ack id"));
    let json = &rest[digits..];
    let data = if json.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("bad JSON in {text:?}: {e}"))
    };
    Packet {
        kind,
        namespace,
        ack_id,
        data,
    }
}

/// A sandbox on a loopback port, with the HTTP calls the realtime tests make beside their
/// sockets.
#[derive(Debug)]
pub(crate) struct Live {
    pub(crate) sandbox: Sandbox,
    pub(crate) base: String,
    http: reqwest::Client,
}

impl Live {
    pub(crate) async fn start(config: SandboxConfig) -> Live {
        let sandbox = Sandbox::start(config).await.expect("the sandbox starts");
        let base = format!("http://{}", sandbox.addr);
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(DEADLINE)
            .build()
            .expect("a client");
        Live {
            sandbox,
            base,
            http,
        }
    }

    /// A new Engine.IO session on this sandbox.
    pub(crate) async fn client(&self) -> PollingClient {
        PollingClient::open(&self.base).await
    }

    /// Logs in over HTTP; the access token.
    pub(crate) async fn login(&self, email: &str) -> String {
        let (status, body) = self
            .send(
                self.http
                    .post(format!("{}/api/v1/auth/login", self.base))
                    .json(&json!({ "email": email, "password": PASSWORD })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "login: {body}");
        body["access_token"].as_str().expect("a token").to_owned()
    }

    /// `POST path` with a JSON body, as the holder of `token` (if any).
    pub(crate) async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> (StatusCode, Value) {
        let mut request = self.http.post(format!("{}{path}", self.base)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        self.send(request).await
    }

    /// `GET path` as the holder of `token` (if any).
    pub(crate) async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        self.send(request).await
    }

    /// A `/_dojo/` tooling call, with the launch token.
    pub(crate) async fn tooling(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Value {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header(
                TOOLING_TOKEN_HEADER,
                &self.sandbox.state.config.tooling_token,
            );
        if let Some(body) = body {
            request = request.json(body);
        }
        let (status, body) = self.send(request).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        body
    }

    /// Turns a break-it switch on or off.
    pub(crate) async fn switch(&self, name: &str, enabled: bool) {
        self.tooling(
            reqwest::Method::PUT,
            &format!("/_dojo/switches/{name}"),
            Some(&json!({ "enabled": enabled })),
        )
        .await;
    }

    /// The newest trace whose summary matches, in full (layers and steps).
    pub(crate) async fn trace_of(&self, method: &str, path: &str, status: u16) -> Value {
        let recent = self
            .tooling(reqwest::Method::GET, "/_dojo/traces?limit=500", None)
            .await;
        let summary = recent
            .as_array()
            .expect("a list")
            .iter()
            .find(|t| t["method"] == method && t["path"] == path && t["status"] == status)
            .unwrap_or_else(|| panic!("no {method} {path} {status} trace in {recent:#}"))
            .clone();
        let id = summary["id"].as_str().expect("an id");
        self.tooling(reqwest::Method::GET, &format!("/_dojo/traces/{id}"), None)
            .await
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let reply = request.send().await.expect("the sandbox answers");
        let status = reply.status();
        let text = reply.text().await.expect("a body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub(crate) async fn stop(self) {
        self.sandbox.shutdown().await.expect("clean shutdown");
    }
}
