//! Signed webhook deliveries, in the scheme Stripe uses, shared by the webhook receiver
//! (topic 23) and the shop's payment webhook (topic 33).
//!
//! The sender puts `Dojo-Signature: t=<unix seconds>,v1=<hex>` on each delivery, where the
//! hex is HMAC-SHA256, keyed with the endpoint's secret, of `"{t}.{raw body}"`. Several `v1`
//! values may be present (a sender signs with the old and the new secret while a secret is
//! rotated); one match is enough. The receiver checks the MAC over the exact bytes it
//! received, compares in constant time, then refuses a timestamp outside the tolerance.
//!
//! This module also delivers signed events over real HTTP: the built-in sender (topic 23)
//! and the mock payment provider (topic 33) call the sandbox's own address, so each
//! delivery is traced like any other request.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::OnceLock;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::error::{ApiError, ApiResult};
use crate::features::secrets::now_ms;
use crate::state::AppState;

/// The header that carries the timestamp and the signatures.
pub const SIGNATURE_HEADER: &str = "dojo-signature";
/// Most `v1` values one header may carry; more is refused before any MAC is computed.
const MAX_SIGNATURES: usize = 8;
/// Longest a delivery to the sandbox's own address may take.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(3);

type HmacSha256 = Hmac<Sha256>;

/// Which checks run. Both are on, except when topic 23's break-it switches turn one off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checks {
    /// Read the header and compare its `v1` values with our own MAC.
    pub signature: bool,
    /// Refuse a timestamp outside the tolerance.
    pub timestamp: bool,
}

impl Checks {
    pub const ALL: Checks = Checks {
        signature: true,
        timestamp: true,
    };
}

/// Why a delivery was refused; each names the check that decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    MissingHeader,
    BadFormat(&'static str),
    BadSignature,
    Stale { age_secs: i64, tolerance_secs: u64 },
}

impl Refusal {
    /// The trace layer of the check that refused.
    fn layer(&self) -> &'static str {
        match self {
            Refusal::MissingHeader | Refusal::BadFormat(_) | Refusal::BadSignature => {
                SIGNATURE_LAYER
            }
            Refusal::Stale { .. } => REPLAY_LAYER,
        }
    }

    /// The refusal in a sentence, as the trace and the answer give it.
    pub fn reason(&self) -> String {
        match self {
            Refusal::MissingHeader => "no Dojo-Signature header".into(),
            Refusal::BadFormat(what) => format!("malformed Dojo-Signature header: {what}"),
            Refusal::BadSignature => "no v1 signature matches: the body was not signed with this \
                                      endpoint's secret, or was changed after signing"
                .into(),
            Refusal::Stale {
                age_secs,
                tolerance_secs,
            } if *age_secs >= 0 => format!(
                "timestamp outside the tolerance: signed {age_secs} s ago, the tolerance is \
                 {tolerance_secs} s"
            ),
            Refusal::Stale {
                age_secs,
                tolerance_secs,
            } => format!(
                "timestamp outside the tolerance: signed {} s in the future, the tolerance is \
                 {tolerance_secs} s",
                age_secs.unsigned_abs()
            ),
        }
    }
}

/// Trace layer of the header and MAC check.
pub const SIGNATURE_LAYER: &str = "webhook_signature";
/// Trace layer of the tolerance check.
pub const REPLAY_LAYER: &str = "webhook_replay_window";
/// Trace layer of the duplicate check, used by both receivers.
pub const IDEMPOTENCY_LAYER: &str = "webhook_idempotency";

/// The hex HMAC-SHA256 of `"{timestamp}.{body}"` under `secret`.
pub fn signature(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    let mut mac = keyed(secret);
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    hex(&mac.finalize().into_bytes())
}

/// The header value a sender puts on a delivery signed now-ish, at `timestamp`.
pub fn signature_header(secret: &[u8], timestamp: u64, body: &[u8]) -> String {
    let timestamp = timestamp.to_string();
    format!("t={timestamp},v1={}", signature(secret, &timestamp, body))
}

fn keyed(secret: &[u8]) -> HmacSha256 {
    // HMAC takes a key of any length (long keys are hashed first), so this never fails.
    <HmacSha256 as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    now_ms() / 1000
}

/// A Stripe-style id: the prefix, an underscore and 16 random hex digits (`evt_3f9c...`).
pub fn random_id(prefix: &str) -> String {
    format!("{prefix}_{:016x}", rand::random::<u64>())
}

// region: webhook-verify
/// A parsed `Dojo-Signature` header: the timestamp exactly as sent (it is part of the
/// signed text) and every `v1` value, decoded.
#[derive(Debug)]
struct SignatureHeader<'h> {
    timestamp: &'h str,
    signatures: Vec<Vec<u8>>,
}

fn parse_header(value: &str) -> Result<SignatureHeader<'_>, Refusal> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in value.split(',') {
        let (key, value) = part
            .trim()
            .split_once('=')
            .ok_or(Refusal::BadFormat("each part must be key=value"))?;
        match key {
            "t" if timestamp.is_some() => return Err(Refusal::BadFormat("more than one t=")),
            "t" if !value.is_empty()
                && value.len() <= 12
                && value.bytes().all(|b| b.is_ascii_digit()) =>
            {
                timestamp = Some(value);
            }
            "t" => return Err(Refusal::BadFormat("t= must be a Unix time in seconds")),
            "v1" => {
                let bytes = unhex(value).ok_or(Refusal::BadFormat("a v1= value is not hex"))?;
                signatures.push(bytes);
            }
            // Other schemes (a provider's `v0`, say) are not ours to check.
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(Refusal::BadFormat("no t= timestamp"))?;
    if signatures.is_empty() {
        return Err(Refusal::BadFormat("no v1= signature"));
    }
    if signatures.len() > MAX_SIGNATURES {
        return Err(Refusal::BadFormat("too many v1= values"));
    }
    Ok(SignatureHeader {
        timestamp,
        signatures,
    })
}

/// Checks the MAC over the raw body: any `v1` that matches is enough. `verify_slice`
/// compares in constant time, so the answer's timing says nothing about how close a guess
/// was. Returns the signed timestamp.
fn check_signature(header: &str, body: &[u8], secret: &[u8]) -> Result<u64, Refusal> {
    let parsed = parse_header(header)?;
    let mut mac = keyed(secret);
    mac.update(parsed.timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    let matched = parsed
        .signatures
        .iter()
        .any(|candidate| mac.clone().verify_slice(candidate).is_ok());
    if !matched {
        return Err(Refusal::BadSignature);
    }
    parsed
        .timestamp
        .parse()
        .map_err(|_| Refusal::BadFormat("t= must be a Unix time in seconds"))
}

/// Refuses a timestamp further than `tolerance` from now, in either direction. The
/// timestamp is signed, so an attacker who replays a captured delivery cannot freshen it.
fn check_timestamp(signed_at: u64, now: u64, tolerance: Duration) -> Result<(), Refusal> {
    let age_secs =
        i64::try_from(now).unwrap_or(i64::MAX) - i64::try_from(signed_at).unwrap_or(i64::MAX);
    if age_secs.unsigned_abs() > tolerance.as_secs() {
        return Err(Refusal::Stale {
            age_secs,
            tolerance_secs: tolerance.as_secs(),
        });
    }
    Ok(())
}

/// Verifies one delivery: the header, the MAC over the raw body, then the timestamp. Each
/// check writes its decision into the trace; a refusal is a 400, which tells the sender
/// that retrying the same bytes will not help.
pub fn verify_delivery(
    headers: &HeaderMap,
    body: &[u8],
    secret: &[u8],
    tolerance: Duration,
    checks: Checks,
) -> ApiResult<()> {
    if !checks.signature {
        trace_passed(
            SIGNATURE_LAYER,
            "not checked: webhook-skip-signature is on, so anyone can post any event",
        );
        trace_passed(
            REPLAY_LAYER,
            "not checked: the timestamp is only evidence once a signature covers it",
        );
        return Ok(());
    }
    let verified = headers
        .get(SIGNATURE_HEADER)
        .ok_or(Refusal::MissingHeader)
        .and_then(|value| {
            value
                .to_str()
                .map_err(|_| Refusal::BadFormat("the header is not visible ASCII"))
        })
        .and_then(|value| check_signature(value, body, secret))
        .and_then(|signed_at| {
            trace_passed(SIGNATURE_LAYER, "a v1 signature matches the raw body");
            if !checks.timestamp {
                trace_passed(
                    REPLAY_LAYER,
                    "not checked: webhook-skip-timestamp is on, so an old delivery replays",
                );
                return Ok(());
            }
            check_timestamp(signed_at, unix_now(), tolerance)?;
            trace_passed(REPLAY_LAYER, "signed within the tolerance");
            Ok(())
        });
    verified.map_err(|refusal| {
        let reason = refusal.reason();
        tracing::info!(target: "dojo::trace", layer = refusal.layer(), step = "decision", decision = "short_circuited", status = 400u64, reason = reason.as_str());
        ApiError::BadRequest(reason)
    })
}
// endregion

fn trace_passed(layer: &str, reason: &str) {
    tracing::info!(target: "dojo::trace", layer, step = "decision", decision = "passed", reason);
}

/// Where this sandbox can reach itself: its listening address, with an unspecified IP
/// (`0.0.0.0`, `::`) replaced by loopback.
pub fn own_base_url(state: &AppState) -> ApiResult<String> {
    let addr: SocketAddr = state.config.addr;
    if addr.port() == 0 {
        return Err(ApiError::Internal(
            "the sandbox is not listening on a socket, so it cannot call itself".into(),
        ));
    }
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    Ok(format!("http://{}", SocketAddr::new(ip, addr.port())))
}

/// An HTTP client for calls to the sandbox's own address: no proxy (a loopback call must
/// not leave the machine), no pooled connections (each sandbox and runtime stands alone).
#[derive(Debug, Default)]
pub struct LoopbackClient {
    client: OnceLock<reqwest::Client>,
}

impl LoopbackClient {
    pub fn get(&self) -> ApiResult<&reqwest::Client> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let built = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(0)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(DELIVERY_TIMEOUT)
            .build()
            .map_err(|e| ApiError::Internal(format!("no HTTP client for deliveries: {e}")))?;
        Ok(self.client.get_or_init(|| built))
    }
}

/// What the receiving end answered to one delivery.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DeliveryAnswer {
    /// The receiver's HTTP status.
    pub status: u16,
    /// The receiver's `X-Request-Id`: open its trace at `/_dojo/traces/{id}`.
    pub request_id: Option<String>,
    /// The receiver's JSON answer (problem details on a refusal).
    #[schema(value_type = Object)]
    pub answer: Value,
}

/// POSTs `body` to `url` with `signature_header`, and reports the answer. A delivery that
/// gets no answer at all is an error.
pub async fn deliver(
    client: &reqwest::Client,
    url: &str,
    signature_header: &str,
    body: Vec<u8>,
) -> ApiResult<DeliveryAnswer> {
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header(SIGNATURE_HEADER, signature_header)
        .body(body)
        .send()
        .await
        .map_err(|e| ApiError::Internal(format!("delivery to {url} failed: {e}")))?;
    let status = response.status().as_u16();
    let request_id = response
        .headers()
        .get(crate::request_id::REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = response
        .bytes()
        .await
        .map_err(|e| ApiError::Internal(format!("the answer from {url} could not be read: {e}")))?;
    let answer = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    Ok(DeliveryAnswer {
        status,
        request_id,
        answer,
    })
}

/// Whether the receiver took the delivery (any 2xx), as a provider decides whether to retry.
pub fn accepted(answer: &DeliveryAnswer) -> bool {
    StatusCode::from_u16(answer.status).is_ok_and(|s| s.is_success())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whsec_unit_test";

    #[test]
    fn a_signature_verifies_over_the_exact_bytes_only() {
        let body = br#"{"id":"evt_1","type":"invoice.paid"}"#;
        let header = signature_header(SECRET, 1_700_000_000, body);
        assert_eq!(check_signature(&header, body, SECRET), Ok(1_700_000_000));
        let spaced = br#"{"id": "evt_1", "type": "invoice.paid"}"#;
        assert_eq!(
            check_signature(&header, spaced, SECRET),
            Err(Refusal::BadSignature)
        );
        assert_eq!(
            check_signature(&header, body, b"whsec_other"),
            Err(Refusal::BadSignature)
        );
    }

    #[test]
    fn one_matching_v1_among_several_is_enough() {
        let body = b"{}";
        let good = signature(SECRET, "1700000000", body);
        let old = signature(b"whsec_previous", "1700000000", body);
        let header = format!("t=1700000000,v1={old},v0=ignored,v1={good}");
        assert!(check_signature(&header, body, SECRET).is_ok());
    }

    #[test]
    fn malformed_headers_name_what_is_wrong() {
        let cases = [
            ("v1=00", "no t= timestamp"),
            ("t=1700000000", "no v1= signature"),
            ("t=soon,v1=00", "t= must be a Unix time in seconds"),
            ("t=1,t=2,v1=00", "more than one t="),
            ("t=1700000000,v1=zz", "a v1= value is not hex"),
            ("t=1700000000;v1=00", "t= must be a Unix time in seconds"),
            ("garbage", "each part must be key=value"),
        ];
        for (header, what) in cases {
            assert_eq!(
                check_signature(header, b"{}", SECRET),
                Err(Refusal::BadFormat(what)),
                "{header}"
            );
        }
    }

    #[test]
    fn the_tolerance_applies_both_ways() {
        let tolerance = Duration::from_secs(300);
        assert!(check_timestamp(1000, 1300, tolerance).is_ok());
        assert!(check_timestamp(1300, 1000, tolerance).is_ok());
        let stale = check_timestamp(1000, 1301, tolerance).expect_err("301 s old");
        assert_eq!(
            stale.reason(),
            "timestamp outside the tolerance: signed 301 s ago, the tolerance is 300 s"
        );
        let future = check_timestamp(1400, 1000, tolerance).expect_err("400 s ahead");
        assert!(
            future.reason().contains("400 s in the future"),
            "{future:?}"
        );
    }

    #[test]
    fn hex_round_trips_and_refuses_odd_input() {
        assert_eq!(unhex(&hex(&[0, 15, 255])), Some(vec![0, 15, 255]));
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("éé"), None);
    }
}
