//! Shared setup for the sandbox's integration tests: a sandbox driven in process with
//! `tower::ServiceExt::oneshot`, the answer as a learner sees it, problem-details checks,
//! trace lookups and hand-made tokens.
//!
//! Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dojo_sandbox::{AppState, SandboxConfig, TOOLING_TOKEN_HEADER, app};
use serde_json::{Value, json};
use tower::ServiceExt as _;

/// Password of every seeded account.
pub(crate) const PASSWORD: &str = "correct-horse-battery";
/// Seeded user 1, role `user`.
pub(crate) const ADA: &str = "ada@dojo.test";
/// Seeded user 2, role `admin`.
pub(crate) const GRACE: &str = "grace@dojo.test";
/// An origin on the default CORS allowlist.
pub(crate) const ALLOWED_ORIGIN: &str = "https://app.dojo.test";
/// An origin nobody allowed.
pub(crate) const EVIL_ORIGIN: &str = "https://evil.example";

/// The middleware layers every traced request meets, outermost first.
pub(crate) const STACK: [&str; 7] = [
    "access_log",
    "timeout",
    "body_limit",
    "security_headers",
    "cors",
    "rate_limit",
    "router",
];

/// The default config with a known JWT secret and a bucket large enough that only the
/// rate-limit tests ever see a 429 (in process, every request shares one client key).
pub(crate) fn config() -> SandboxConfig {
    SandboxConfig {
        rate_limit_burst: 10_000,
        jwt_secret: b"backend-dojo-test-secret-0123456789".to_vec(),
        ..SandboxConfig::default()
    }
}

/// One sandbox app, driven without a socket.
#[derive(Debug, Clone)]
pub(crate) struct Dojo {
    pub(crate) app: Router,
    pub(crate) config: SandboxConfig,
}

/// What came back, as a learner's client sees it.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Reply {
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text()))
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("header is visible ASCII"))
    }

    /// The `X-Request-Id` every answer carries.
    pub(crate) fn request_id(&self) -> String {
        self.header("x-request-id")
            .expect("every answer has x-request-id")
            .to_owned()
    }
}

impl Dojo {
    pub(crate) fn new() -> Dojo {
        Dojo::with(config())
    }

    pub(crate) fn with(config: SandboxConfig) -> Dojo {
        Dojo {
            app: app(AppState::new(config.clone())),
            config,
        }
    }

    /// Sends `request` the way the app does: `/_dojo/` requests carry the launch token
    /// unless the test set the header itself (or calls [`Dojo::send_untokened`]).
    pub(crate) async fn send(&self, mut request: Request<Body>) -> Reply {
        if request.uri().path().starts_with("/_dojo/")
            && !request.headers().contains_key(TOOLING_TOKEN_HEADER)
        {
            let token = self
                .config
                .tooling_token
                .parse()
                .expect("the token is ASCII");
            request.headers_mut().insert(TOOLING_TOKEN_HEADER, token);
        }
        self.send_untokened(request).await
    }

    /// Sends `request` exactly as built.
    pub(crate) async fn send_untokened(&self, request: Request<Body>) -> Reply {
        let response = self
            .app
            .clone()
            .oneshot(request)
            .await
            .expect("the router never fails");
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .expect("the body can be read");
        Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    pub(crate) async fn get(&self, path: &str) -> Reply {
        self.get_with(path, &[]).await
    }

    pub(crate) async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        self.send(request(Method::GET, path, headers, Body::empty()))
            .await
    }

    pub(crate) async fn post_json(&self, path: &str, body: &Value) -> Reply {
        self.send_json(Method::POST, path, body).await
    }

    pub(crate) async fn send_json(&self, method: Method, path: &str, body: &Value) -> Reply {
        let headers = [("content-type", "application/json")];
        self.send(request(
            method,
            path,
            &headers,
            Body::from(body.to_string()),
        ))
        .await
    }

    /// Logs in and returns the access token.
    pub(crate) async fn login_as(&self, email: &str) -> String {
        let reply = self
            .post_json(
                "/api/v1/auth/login",
                &json!({ "email": email, "password": PASSWORD }),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "login failed: {}",
            reply.text()
        );
        reply.json()["access_token"]
            .as_str()
            .expect("access_token is a string")
            .to_owned()
    }

    pub(crate) async fn login(&self) -> String {
        self.login_as(ADA).await
    }

    /// `GET /api/v1/me` with this `Authorization` header, or none.
    pub(crate) async fn me(&self, authorization: Option<&str>) -> Reply {
        match authorization {
            Some(value) => {
                self.get_with("/api/v1/me", &[("authorization", value)])
                    .await
            }
            None => self.get("/api/v1/me").await,
        }
    }

    /// Flips a "break it" switch through the tooling API.
    pub(crate) async fn switch(&self, name: &str, enabled: bool) {
        let reply = self
            .send_json(
                Method::PUT,
                &format!("/_dojo/switches/{name}"),
                &json!({ "enabled": enabled }),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "switch {name}: {}",
            reply.text()
        );
        let switches = reply.json();
        let view = switches
            .as_array()
            .expect("the switch list")
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("{name} is listed"));
        assert_eq!(view["enabled"], enabled);
    }

    pub(crate) async fn reset_topic(&self, topic: u32) {
        let reply = self
            .post_json(&format!("/_dojo/topics/{topic}/reset"), &json!({}))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "reset {topic}: {}",
            reply.text()
        );
        let answer = reply.json();
        assert_eq!(answer["topic"], topic, "{answer}");
        assert_eq!(answer["reset"], true, "{answer}");
        assert!(answer["cleared"].is_array(), "{answer}");
    }

    /// The trace of one request, read the way the app reads it.
    pub(crate) async fn trace(&self, id: &str) -> Value {
        let reply = self.get(&format!("/_dojo/traces/{id}")).await;
        assert_eq!(reply.status, StatusCode::OK, "trace {id}: {}", reply.text());
        let trace = reply.json();
        assert_eq!(trace["id"], id);
        trace
    }
}

pub(crate) fn request(
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Body,
) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(path);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(body).expect("a valid request")
}

/// Asserts an RFC 9457 answer: the status, `application/problem+json`, every member, and
/// `instance` equal to the `X-Request-Id` header. Returns the body.
#[track_caller]
pub(crate) fn assert_problem(reply: &Reply, status: u16) -> Value {
    assert_eq!(
        reply.status.as_u16(),
        status,
        "unexpected status; body: {}",
        reply.text()
    );
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json"),
        "body: {}",
        reply.text()
    );
    let body = reply.json();
    let kind = body["type"]
        .as_str()
        .unwrap_or_else(|| panic!("type is a string: {body}"));
    assert!(kind.starts_with("https://"), "type is a URI: {body}");
    assert!(
        body["title"].as_str().is_some_and(|t| !t.is_empty()),
        "title: {body}"
    );
    assert_eq!(body["status"], status, "status member: {body}");
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "detail: {body}"
    );
    assert_eq!(
        body["instance"],
        reply.request_id(),
        "instance is the request id: {body}"
    );
    body
}

/// The problem's `detail`, after [`assert_problem`].
#[track_caller]
pub(crate) fn problem_detail(reply: &Reply, status: u16) -> String {
    assert_problem(reply, status)["detail"]
        .as_str()
        .expect("detail")
        .to_owned()
}

/// Layer names of a trace, in the order the request met them.
pub(crate) fn layer_names(trace: &Value) -> Vec<String> {
    trace["layers"]
        .as_array()
        .expect("layers is an array")
        .iter()
        .map(|l| l["layer"].as_str().expect("layer name").to_owned())
        .collect()
}

/// One layer of a trace, by name.
#[track_caller]
pub(crate) fn layer<'t>(trace: &'t Value, name: &str) -> &'t Value {
    trace["layers"]
        .as_array()
        .expect("layers is an array")
        .iter()
        .find(|l| l["layer"] == name)
        .unwrap_or_else(|| panic!("no {name} layer in {trace:#}"))
}

/// The layers that answered by themselves.
pub(crate) fn short_circuited(trace: &Value) -> Vec<String> {
    trace["layers"]
        .as_array()
        .expect("layers is an array")
        .iter()
        .filter(|l| l["decision"] == "short_circuited")
        .map(|l| l["layer"].as_str().expect("layer name").to_owned())
        .collect()
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

pub(crate) fn b64(json: &Value) -> String {
    URL_SAFE_NO_PAD.encode(json.to_string())
}

/// Claims like the sandbox's own, for user `sub`, expiring `exp_in` seconds from now
/// (negative: already expired).
pub(crate) fn claims(sub: &str, role: &str, exp_in: i64) -> Value {
    let now = unix_now();
    let exp = now.checked_add_signed(exp_in).expect("a sane expiry");
    json!({ "sub": sub, "role": role, "iat": now.saturating_sub(3600), "exp": exp, "jti": "test-token" })
}

/// `alg: none`: a header, the claims and an empty signature.
pub(crate) fn unsigned_token(claims: &Value) -> String {
    format!(
        "{}.{}.",
        b64(&json!({ "alg": "none", "typ": "JWT" })),
        b64(claims)
    )
}

/// A token signed by `secret` with an HMAC algorithm.
pub(crate) fn signed_token(
    algorithm: jsonwebtoken::Algorithm,
    secret: &[u8],
    claims: &Value,
) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(algorithm),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
    .expect("the token can be signed")
}

/// Decodes one base64url part of a token as JSON.
pub(crate) fn token_part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).expect("the part exists");
    let bytes = URL_SAFE_NO_PAD.decode(part).expect("the part is base64url");
    serde_json::from_slice(&bytes).expect("the part is JSON")
}

/// How long tests wait for something that should happen at once.
pub(crate) const DEADLINE: Duration = Duration::from_secs(10);

/// A Socket.IO client over long polling, for the realtime and chat tests.
pub(crate) mod socketio;

/// A `Dojo-Signature` header for `body`, signed at Unix time `t` with `secret` the way a
/// webhook sender signs (topics 23 and 33): `t=<t>,v1=<hex HMAC-SHA256 of "{t}.{body}">`.
/// Written here with the `hmac` crate, apart from the sandbox's own signer.
pub(crate) fn webhook_signature(secret: &str, t: u64, body: &str) -> String {
    use hmac::Mac as _;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(format!("{t}.{body}").as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={t},v1={hex}")
}

/// A sandbox app and its state, for tests that look behind the API: the upload directory
/// on disk (topic 22), the object store's signer (topic 21).
pub(crate) fn dojo_with_state(config: SandboxConfig) -> (Dojo, AppState) {
    let state = AppState::new(config.clone());
    let dojo = Dojo {
        app: app(state.clone()),
        config,
    };
    (dojo, state)
}

/// The boundary of hand-built multipart bodies.
pub(crate) const BOUNDARY: &str = "dojo-test-boundary-7f3c9a52";

/// One part of a hand-built `multipart/form-data` body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FormPart<'a> {
    pub(crate) name: &'a str,
    pub(crate) file_name: Option<&'a str>,
    pub(crate) content_type: Option<&'a str>,
    pub(crate) bytes: &'a [u8],
}

/// A `multipart/form-data` body, byte for byte as a browser frames it (CRLF line ends).
pub(crate) fn multipart_body(parts: &[FormPart<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let mut disposition = format!("Content-Disposition: form-data; name=\"{}\"", part.name);
        if let Some(file_name) = part.file_name {
            disposition.push_str(&format!("; filename=\"{file_name}\""));
        }
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(b"\r\n");
        if let Some(content_type) = part.content_type {
            body.extend_from_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(part.bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// The `Content-Type` of a body made by [`multipart_body`].
pub(crate) fn multipart_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}
