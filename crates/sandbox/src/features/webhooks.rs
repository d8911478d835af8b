//! Webhook receiver (topic 23). `POST /api/v1/webhooks/receive` verifies each delivery's
//! `Dojo-Signature` over the raw body (see `webhook_signature`), refuses timestamps outside
//! the tolerance, records the event id so a duplicate delivery changes nothing, answers at
//! once and does the event's work in a task of its own. `GET /api/v1/webhooks/events` shows
//! what arrived, how often, and whether its work ran.
//!
//! `POST /api/v1/webhooks/send` is the built-in sender: it signs an event (valid, forged,
//! stale, or a redelivery of the last valid one) and posts it to the receiver over real
//! HTTP, then reports what the receiver answered and the receiver's request id, whose
//! trace names the check that decided.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::extract::ValidJson;
use crate::features::secrets::{now_ms, random_token};
use crate::features::webhook_signature::{
    Checks, DeliveryAnswer, IDEMPOTENCY_LAYER, LoopbackClient, deliver, own_base_url, random_id,
    signature_header, unix_now, verify_delivery,
};
use crate::state::AppState;
use crate::switches::Switch;

/// Where the receiver listens.
pub const RECEIVE_PATH: &str = "/api/v1/webhooks/receive";
/// Events kept at most; the oldest go first.
const CAPACITY: usize = 500;
/// How long an event's work takes: long enough to see that the answer did not wait for it.
const WORK: Duration = Duration::from_millis(250);
/// How far before the tolerance the sender's stale events are signed.
const STALE_BY: Duration = Duration::from_secs(5 * 60);

/// One event the receiver accepted, with what happened to it since.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReceivedEvent {
    /// The sender's event id: the idempotency key.
    pub id: String,
    /// The event's type, such as `invoice.paid`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `received` until its work has run, then `processed`.
    pub status: &'static str,
    /// How many verified deliveries carried this id (retries and replays included).
    pub deliveries: u32,
    /// How many times its work ran: 1 however many deliveries there were.
    pub times_processed: u32,
    /// Milliseconds since the Unix epoch.
    pub received_at: u64,
    pub processed_at: Option<u64>,
    /// The event as it was delivered.
    #[schema(value_type = Object)]
    pub payload: Value,
}

/// What the receiver keeps: every event by id, newest last, and the sender's last valid
/// event (for redelivery).
#[derive(Debug, Default)]
pub struct WebhookInbox {
    inner: Mutex<Inbox>,
    client: LoopbackClient,
}

#[derive(Debug, Default)]
struct Inbox {
    events: HashMap<String, ReceivedEvent>,
    arrival: VecDeque<String>,
    last_valid: Option<(String, Vec<u8>)>,
}

impl WebhookInbox {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inbox> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets every event and the sender's last one.
    pub fn clear(&self) {
        *self.lock() = Inbox::default();
    }

    /// Records a verified delivery; true when its id is new. Checking and inserting under
    /// one lock is what makes two concurrent deliveries of one id count as one event.
    fn record(&self, id: &str, kind: &str, payload: Value) -> bool {
        let mut inbox = self.lock();
        if let Some(known) = inbox.events.get_mut(id) {
            known.deliveries += 1;
            return false;
        }
        inbox.events.insert(
            id.to_owned(),
            ReceivedEvent {
                id: id.to_owned(),
                kind: kind.to_owned(),
                status: "received",
                deliveries: 1,
                times_processed: 0,
                received_at: now_ms(),
                processed_at: None,
                payload,
            },
        );
        inbox.arrival.push_back(id.to_owned());
        if inbox.arrival.len() > CAPACITY
            && let Some(oldest) = inbox.arrival.pop_front()
        {
            inbox.events.remove(&oldest);
        }
        true
    }

    fn mark_processed(&self, id: &str) {
        if let Some(event) = self.lock().events.get_mut(id) {
            event.times_processed += 1;
            event.status = "processed";
            event.processed_at = Some(now_ms());
        }
    }

    /// The newest `limit` events, newest first.
    pub fn recent(&self, limit: usize) -> Vec<ReceivedEvent> {
        let inbox = self.lock();
        inbox
            .arrival
            .iter()
            .rev()
            .filter_map(|id| inbox.events.get(id))
            .take(limit)
            .cloned()
            .collect()
    }

    pub fn get(&self, id: &str) -> Option<ReceivedEvent> {
        self.lock().events.get(id).cloned()
    }
}

/// The routes, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(receive))
        .routes(routes!(events))
        .routes(routes!(event))
        .routes(routes!(send))
}

/// The receiver's answer to a delivery it took.
#[derive(Debug, Serialize, ToSchema)]
pub struct Receipt {
    pub received: bool,
    /// True when this id had arrived before: nothing was done again.
    pub duplicate: bool,
    pub event_id: String,
}

/// The id, type and whole payload of a verified delivery.
fn parse_event(body: &[u8]) -> ApiResult<(String, String, Value)> {
    let refuse = |reason: &str| {
        tracing::info!(target: "dojo::trace", layer = "webhook_event", step = "decision", decision = "short_circuited", status = 400u64, reason);
        ApiError::BadRequest(reason.to_owned())
    };
    let payload: Value =
        serde_json::from_slice(body).map_err(|_| refuse("the event is not a JSON object"))?;
    let text = |name: &str| {
        payload
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty() && s.len() <= 255)
            .map(str::to_owned)
    };
    let id = text("id").ok_or_else(|| refuse("the event has no \"id\" string"))?;
    let kind = text("type").ok_or_else(|| refuse("the event has no \"type\" string"))?;
    Ok((id, kind, payload))
}

/// Receive a signed webhook delivery
///
/// Checks `Dojo-Signature` (`t=<unix seconds>,v1=<hex HMAC-SHA256 of "{t}.{raw body}">`)
/// over the raw body, refuses a timestamp outside the tolerance (5 minutes), and answers
/// 200 at once; the event's work runs after the answer. A repeated event id answers 200
/// with `duplicate: true` and runs nothing.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/receive",
    operation_id = "webhook_receive",
    tag = "webhooks",
    request_body(content = Object, description = "An event: at least `id` and `type` strings"),
    params(("Dojo-Signature" = String, Header, description = "`t=<unix seconds>,v1=<hex>`")),
    responses(
        (status = 200, description = "Taken (new or duplicate)", body = Receipt),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 413, response = crate::openapi::PayloadTooLarge),
    ),
)]
// region: webhook-receive
async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Receipt>> {
    // The raw bytes, exactly as sent: parsing first and re-serialising would change them.
    let checks = Checks {
        signature: !state.switches.is_on(Switch::WebhookSkipSignature),
        timestamp: !state.switches.is_on(Switch::WebhookSkipTimestamp),
    };
    let secret = state.config.webhook_secret.as_bytes();
    verify_delivery(
        &headers,
        &body,
        secret,
        state.config.webhook_tolerance,
        checks,
    )?;
    let (id, kind, payload) = parse_event(&body)?;

    if !state.webhooks.record(&id, &kind, payload) {
        let reason =
            format!("duplicate event {id}: already received, answered 200 and nothing ran");
        tracing::info!(target: "dojo::trace", layer = IDEMPOTENCY_LAYER, step = "decision", decision = "short_circuited", status = 200u64, reason = reason.as_str());
        return Ok(Json(Receipt {
            received: true,
            duplicate: true,
            event_id: id,
        }));
    }
    let reason = format!("new event {id} recorded; its work runs after the answer");
    tracing::info!(target: "dojo::trace", layer = IDEMPOTENCY_LAYER, step = "decision", decision = "passed", reason = reason.as_str());

    // Answer now, work later: a slow answer makes the sender time out and deliver again.
    let inbox = state.webhooks.clone();
    let event_id = id.clone();
    tokio::spawn(async move {
        tokio::time::sleep(WORK).await; // stands in for the real work (a mail, a PDF, an API call)
        inbox.mark_processed(&event_id);
    });
    Ok(Json(Receipt {
        received: true,
        duplicate: false,
        event_id: id,
    }))
}
// endregion

/// List the events the receiver took
///
/// Newest first, at most 50. `deliveries` counts every verified delivery of an id;
/// `times_processed` stays at 1.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/events",
    operation_id = "webhook_events",
    tag = "webhooks",
    responses(
        (status = 200, description = "The newest events", body = [ReceivedEvent]),
        (status = 400, response = crate::openapi::BadRequest),
    ),
)]
async fn events(State(state): State<AppState>) -> Json<Vec<ReceivedEvent>> {
    Json(state.webhooks.recent(50))
}

/// One event the receiver took
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/events/{id}",
    operation_id = "webhook_event",
    tag = "webhooks",
    params(("id" = String, Path, description = "The event id, such as `evt_3f9c...`")),
    responses(
        (status = 200, description = "The event and what happened to it", body = ReceivedEvent),
        (status = 404, response = crate::openapi::NotFound),
    ),
)]
async fn event(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<ReceivedEvent>> {
    state
        .webhooks
        .get(&id)
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("the receiver has no event {id}")))
}

/// What the built-in sender fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SendKind {
    /// A new event signed with the endpoint's secret, now.
    Valid,
    /// A new event signed with a secret the attacker guessed.
    Forged,
    /// A correctly signed event whose timestamp is older than the tolerance, as a
    /// delivery captured earlier and replayed.
    Stale,
    /// The last valid event again, freshly signed, as a provider's retry.
    Duplicate,
}

/// The body of `POST /api/v1/webhooks/send`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "kind": "valid" }))]
pub struct SendRequest {
    kind: SendKind,
}

/// What the sender sent and what the receiver answered.
#[derive(Debug, Serialize, ToSchema)]
pub struct SendReport {
    pub kind: SendKind,
    pub event_id: String,
    /// The `Dojo-Signature` header that went with it.
    pub signature_header: String,
    /// The raw body, byte for byte.
    pub body: String,
    /// The receiver's answer to this delivery.
    pub receiver: DeliveryAnswer,
    /// For `duplicate` when nothing valid was sent before: the first delivery.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_delivery: Option<DeliveryAnswer>,
}

/// A new `invoice.paid` event, pretty-printed: a receiver that re-serialises the JSON
/// before checking the signature gets different bytes and fails.
fn invoice_paid(customer: &str, amount: u64) -> (String, Vec<u8>) {
    let id = random_id("evt");
    let event = json!({
        "id": id,
        "object": "event",
        "type": "invoice.paid",
        "created": unix_now(),
        "data": { "object": {
            "id": random_id("in"),
            "object": "invoice",
            "customer": customer,
            "amount_paid": amount,
            "currency": "eur",
        }},
    });
    let body = serde_json::to_vec_pretty(&event).unwrap_or_default();
    (id, body)
}

/// Fire a signed test event at the receiver
///
/// Signs an event and posts it to `/api/v1/webhooks/receive` over HTTP: `valid` (signed
/// with the endpoint's secret, now), `forged` (another secret), `stale` (signed 10 minutes
/// ago) or `duplicate` (the last valid event again). Answers what the receiver said and its
/// request id, whose trace shows which check decided.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/send",
    operation_id = "webhook_send",
    tag = "webhooks",
    request_body = SendRequest,
    responses(
        (status = 200, description = "Sent; `receiver` holds the answer", body = SendReport),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::ValidationFailed),
        (status = 500, response = crate::openapi::InternalError),
    ),
)]
async fn send(
    State(state): State<AppState>,
    ValidJson(request): ValidJson<SendRequest>,
) -> ApiResult<Json<SendReport>> {
    let url = format!("{}{RECEIVE_PATH}", own_base_url(&state)?);
    let client = state.webhooks.client.get()?;
    let secret = state.config.webhook_secret.as_bytes();
    let now = unix_now();
    // region: webhook-send
    // `first_time`: a duplicate with nothing sent before is delivered twice.
    let (event_id, body, header, first_time) = match request.kind {
        SendKind::Valid => {
            let (id, body) = invoice_paid("cus_ada", 1999);
            state.webhooks.lock().last_valid = Some((id.clone(), body.clone()));
            let header = signature_header(secret, now, &body);
            (id, body, header, false)
        }
        SendKind::Forged => {
            let (id, body) = invoice_paid("cus_mallory", 999_999);
            let guessed = format!("whsec_{}", random_token());
            let header = signature_header(guessed.as_bytes(), now, &body);
            (id, body, header, false)
        }
        SendKind::Stale => {
            let (id, body) = invoice_paid("cus_ada", 1999);
            let age = state.config.webhook_tolerance + STALE_BY;
            let header = signature_header(secret, now.saturating_sub(age.as_secs()), &body);
            (id, body, header, false)
        }
        SendKind::Duplicate => {
            let mut inbox = state.webhooks.lock();
            let first_time = inbox.last_valid.is_none();
            let (id, body) = inbox
                .last_valid
                .get_or_insert_with(|| invoice_paid("cus_ada", 1999))
                .clone();
            let header = signature_header(secret, now, &body);
            (id, body, header, first_time)
        }
    };
    // endregion
    let first_delivery = if first_time {
        Some(deliver(client, &url, &header, body.clone()).await?)
    } else {
        None
    };
    let receiver = deliver(client, &url, &header, body.clone()).await?;
    Ok(Json(SendReport {
        kind: request.kind,
        event_id,
        signature_header: header,
        body: String::from_utf8_lossy(&body).into_owned(),
        receiver,
        first_delivery,
    }))
}
