//! The built-in mock payment provider (topic 33): a small API under `/mock-pay/v1` shaped
//! like Stripe's, so the shop talks to it the way a real backend talks to a real provider.
//!
//! - `POST /mock-pay/v1/payment_intents` (secret key as a bearer token, optional
//!   `Idempotency-Key`): an intent for an amount in integer minor units and a currency. The
//!   same key with the same body answers the same intent (`Idempotent-Replayed: true`); the
//!   same key with another body is refused with 422.
//! - `GET /mock-pay/v1/payment_intents/{id}` (secret key): the intent as it is now.
//! - `POST /mock-pay/v1/payment_intents/{id}/confirm` (the intent's client secret, as a
//!   browser holds it): pays with a test card. `4242 4242 4242 4242` succeeds,
//!   `4000 0000 0000 0002` is declined (402), `4000 0025 0000 3155` needs 3-D Secure: the
//!   intent answers `requires_action` with a URL to visit.
//! - `GET`/`POST /mock-pay/v1/authenticate/{id}?token=...`: the 3-D Secure page and its
//!   answer (`outcome=complete` or `outcome=fail`).
//! - `GET /mock-pay/v1/events`: every event the provider sent and how each delivery went.
//!
//! Each change of an intent's state is an event, signed like topic 23's and delivered to the
//! shop's webhook (`/api/v1/shop/webhooks`) over real HTTP before the provider answers. A
//! delivery that is not taken is retried after 1, 2 and 4 seconds.
//!
//! The provider stands in for an outside service, so its routes are not part of the
//! sandbox's OpenAPI document.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use axum::Json;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;

use crate::error::{PROBLEM_JSON, Problem, ProblemAnswered};
use crate::extract::ValidJson;
use crate::features::payments::WEBHOOK_PATH;
use crate::features::secrets::{digest, now_ms, random_token};
use crate::features::webhook_signature::{
    LoopbackClient, accepted, deliver, own_base_url, random_id, signature_header, unix_now,
};
use crate::state::AppState;

/// The provider's test-mode secret key. Server-side calls send it as a bearer token; a
/// browser never sees it.
pub const TEST_SECRET_KEY: &str = "sk_test_dojo";
/// A card that pays.
pub const CARD_SUCCEEDS: &str = "4242424242424242";
/// A card the bank declines.
pub const CARD_DECLINED: &str = "4000000000000002";
/// A card whose bank asks for 3-D Secure.
pub const CARD_NEEDS_AUTHENTICATION: &str = "4000002500003155";
/// Largest amount an intent may have, in minor units.
const MAX_AMOUNT: u64 = 99_999_999;
/// Events kept at most.
const EVENT_CAPACITY: usize = 200;
/// Waits before the second, third and fourth delivery of an event that was not taken.
const RETRY_DELAYS: [Duration; 3] = [
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(4),
];

/// Where an intent stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IntentStatus {
    /// Waiting for a card (again, after a decline or a failed authentication).
    RequiresPaymentMethod,
    /// Waiting for the card holder to authenticate at `next_action`.
    RequiresAction,
    /// Paid.
    Succeeded,
}

/// Why the last attempt failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentError {
    pub code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decline_code: Option<&'static str>,
    pub message: &'static str,
}

/// A payment intent as the provider's API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct PaymentIntent {
    pub id: String,
    pub object: &'static str,
    /// Integer minor units: 2500 is 25.00 EUR.
    pub amount: u64,
    pub amount_received: u64,
    /// Lowercase ISO 4217 code.
    pub currency: String,
    pub status: IntentStatus,
    /// Lets a browser confirm this one intent, nothing else.
    pub client_secret: String,
    pub metadata: BTreeMap<String, String>,
    pub last_payment_error: Option<PaymentError>,
    pub next_action: Option<Value>,
    /// Unix seconds.
    pub created: u64,
}

/// One event the provider sent, with every delivery attempt.
#[derive(Debug, Clone, Serialize)]
pub struct SentEvent {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub payment_intent: String,
    pub created: u64,
    pub deliveries: Vec<DeliveryAttempt>,
}

/// One try at delivering an event.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryAttempt {
    /// Milliseconds since the Unix epoch.
    pub at: u64,
    /// The shop's status, or none when it could not be reached.
    pub status: Option<u16>,
    /// The shop's `X-Request-Id`, whose trace shows the webhook's checks.
    pub request_id: Option<String>,
    pub error: Option<String>,
}

#[derive(Debug)]
struct Intent {
    public: PaymentIntent,
    /// SHA-256 of the token in the 3-D Secure URL, while one is pending.
    authentication: Option<String>,
}

/// What a create request asked for, reduced to what decides the intent: an idempotency
/// key may only be reused with the same fingerprint.
#[derive(Debug)]
struct NewIntent {
    amount: u64,
    currency: String,
    metadata: BTreeMap<String, String>,
}

impl NewIntent {
    fn fingerprint(&self) -> String {
        // The map is ordered, so the same metadata always serialises the same way.
        let metadata = serde_json::to_string(&self.metadata).unwrap_or_default();
        digest(&format!("{}|{}|{metadata}", self.amount, self.currency))
    }
}

/// The provider's books: intents, the idempotency keys it has seen, and sent events.
#[derive(Debug, Default)]
pub struct MockProvider {
    inner: Mutex<Ledger>,
    client: LoopbackClient,
}

#[derive(Debug, Default)]
struct Ledger {
    intents: HashMap<String, Intent>,
    /// Idempotency key -> (fingerprint of the first request, the intent it made).
    keys: HashMap<String, (String, String)>,
    events: VecDeque<SentEvent>,
}

impl MockProvider {
    fn lock(&self) -> MutexGuard<'_, Ledger> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets every intent, key and event.
    pub fn clear(&self) {
        *self.lock() = Ledger::default();
    }

    /// How many intents exist (for tests and the UI).
    pub fn intent_count(&self) -> usize {
        self.lock().intents.len()
    }

    // region: payment-idempotency
    /// Creates an intent, or with a key seen before answers that key's intent again. Looking
    /// the key up and storing it happen under one lock, so two racing retries make one
    /// intent. A key reused for a different request is refused rather than guessed at.
    fn create(
        &self,
        key: Option<&str>,
        new: NewIntent,
    ) -> Result<(PaymentIntent, bool), ProviderError> {
        let fingerprint = new.fingerprint();
        let mut ledger = self.lock();
        if let Some(key) = key
            && let Some((first, intent_id)) = ledger.keys.get(key)
        {
            if *first != fingerprint {
                return Err(ProviderError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "idempotency_key_in_use",
                    format!(
                        "the Idempotency-Key {key:?} was first used with different parameters; \
                         use a new key for a new payment"
                    ),
                ));
            }
            let intent = ledger.intents.get(intent_id).map(|i| i.public.clone());
            if let Some(intent) = intent {
                trace_provider(
                    true,
                    &format!("idempotent replay: key {key:?} already made {}", intent.id),
                );
                return Ok((intent, true));
            }
        }
        let id = random_id("pi");
        let intent = PaymentIntent {
            client_secret: format!("{id}_secret_{}", random_token()),
            id: id.clone(),
            object: "payment_intent",
            amount: new.amount,
            amount_received: 0,
            currency: new.currency,
            status: IntentStatus::RequiresPaymentMethod,
            metadata: new.metadata,
            last_payment_error: None,
            next_action: None,
            created: unix_now(),
        };
        ledger.intents.insert(
            id.clone(),
            Intent {
                public: intent.clone(),
                authentication: None,
            },
        );
        if let Some(key) = key {
            ledger
                .keys
                .insert(key.to_owned(), (fingerprint, id.clone()));
        }
        trace_provider(true, &format!("payment intent {id} created"));
        Ok((intent, false))
    }
    // endregion

    fn intent(&self, id: &str) -> Result<PaymentIntent, ProviderError> {
        self.lock()
            .intents
            .get(id)
            .map(|i| i.public.clone())
            .ok_or_else(|| no_such_intent(id))
    }

    /// Every event sent, newest first.
    pub fn events(&self) -> Vec<SentEvent> {
        self.lock().events.iter().rev().cloned().collect()
    }

    fn record_event(&self, id: &str, kind: &str, intent: &str) {
        let mut ledger = self.lock();
        ledger.events.push_back(SentEvent {
            id: id.to_owned(),
            kind: kind.to_owned(),
            payment_intent: intent.to_owned(),
            created: unix_now(),
            deliveries: Vec::new(),
        });
        if ledger.events.len() > EVENT_CAPACITY {
            ledger.events.pop_front();
        }
    }

    fn record_attempt(&self, id: &str, attempt: DeliveryAttempt) {
        if let Some(event) = self.lock().events.iter_mut().find(|e| e.id == id) {
            event.deliveries.push(attempt);
        }
    }
}

/// A refusal in the provider's own words: problem details with a Stripe-like `code`.
#[derive(Debug)]
pub struct ProviderError {
    status: StatusCode,
    code: &'static str,
    detail: String,
    intent: Option<Box<PaymentIntent>>,
    decline_code: Option<&'static str>,
}

impl ProviderError {
    fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> ProviderError {
        ProviderError {
            status,
            code,
            detail: detail.into(),
            intent: None,
            decline_code: None,
        }
    }
}

impl IntoResponse for ProviderError {
    fn into_response(self) -> Response {
        trace_provider(false, &self.detail);
        let problem = Problem::new(self.status, &self.code.replace('_', "-"), self.detail);
        let mut body = serde_json::to_value(&problem).unwrap_or_else(|_| json!({}));
        body["code"] = json!(self.code);
        if let Some(decline_code) = self.decline_code {
            body["decline_code"] = json!(decline_code);
        }
        if let Some(intent) = self.intent {
            body["payment_intent"] = json!(intent);
        }
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"mock-pay\""),
            );
        }
        response.extensions_mut().insert(ProblemAnswered);
        response
    }
}

fn no_such_intent(id: &str) -> ProviderError {
    ProviderError::new(
        StatusCode::NOT_FOUND,
        "resource_missing",
        format!("no such payment intent: {id}"),
    )
}

fn trace_provider(passed: bool, reason: &str) {
    if passed {
        tracing::info!(target: "dojo::trace", layer = "payment_provider", step = "decision", decision = "passed", reason);
    } else {
        tracing::info!(target: "dojo::trace", layer = "payment_provider", step = "decision", decision = "short_circuited", reason);
    }
}

/// The provider's routes (not in the OpenAPI document: it plays an outside service).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/mock-pay/v1/payment_intents", post(create_intent))
        .route("/mock-pay/v1/payment_intents/{id}", get(retrieve_intent))
        .route("/mock-pay/v1/payment_intents/{id}/confirm", post(confirm))
        .route(
            "/mock-pay/v1/authenticate/{id}",
            get(authentication_page).post(authenticate),
        )
        .route("/mock-pay/v1/events", get(sent_events))
}

/// Server-side calls must carry the secret key.
fn check_key(headers: &HeaderMap) -> Result<(), ProviderError> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match given {
        Some(key) if digest(key.trim()) == digest(TEST_SECRET_KEY) => Ok(()),
        Some(_) => Err(ProviderError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_api_key",
            "the secret key in Authorization is not this provider's test key",
        )),
        None => Err(ProviderError::new(
            StatusCode::UNAUTHORIZED,
            "missing_api_key",
            format!("send the secret key as `Authorization: Bearer {TEST_SECRET_KEY}`"),
        )),
    }
}

/// The body of a create request, checked by hand so each mistake gets its own sentence.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateIntent {
    amount: Value,
    currency: String,
    #[serde(default)]
    metadata: BTreeMap<String, String>,
}

impl CreateIntent {
    fn check(self) -> Result<NewIntent, ProviderError> {
        let invalid = |detail: &str| {
            ProviderError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "parameter_invalid",
                detail,
            )
        };
        let amount = match self.amount.as_u64() {
            Some(amount) if (1..=MAX_AMOUNT).contains(&amount) => amount,
            Some(_) => return Err(invalid("amount must be from 1 to 99999999 minor units")),
            None => {
                return Err(invalid(
                    "amount must be an integer number of minor units: 1999 for 19.99, never 19.99",
                ));
            }
        };
        let currency = self.currency.to_ascii_lowercase();
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(invalid(
                "currency must be a three-letter ISO 4217 code such as eur",
            ));
        }
        if self.metadata.len() > 20
            || self
                .metadata
                .iter()
                .any(|(k, v)| k.len() > 40 || v.len() > 500)
        {
            return Err(invalid(
                "metadata holds at most 20 keys of 40 characters, values of 500",
            ));
        }
        Ok(NewIntent {
            amount,
            currency,
            metadata: self.metadata,
        })
    }
}

/// `POST /mock-pay/v1/payment_intents`
async fn create_intent(
    State(state): State<AppState>,
    headers: HeaderMap,
    ValidJson(body): ValidJson<CreateIntent>,
) -> Result<Response, ProviderError> {
    check_key(&headers)?;
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .filter(|k| !k.is_empty() && k.len() <= 255)
                .ok_or_else(|| {
                    ProviderError::new(
                        StatusCode::BAD_REQUEST,
                        "idempotency_key_invalid",
                        "Idempotency-Key must be 1 to 255 visible ASCII characters",
                    )
                })?,
        ),
    };
    let (intent, replayed) = state.payment_provider.create(key, body.check()?)?;
    let mut response = Json(intent).into_response();
    if replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// `GET /mock-pay/v1/payment_intents/{id}`
async fn retrieve_intent(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<PaymentIntent>, ProviderError> {
    check_key(&headers)?;
    state.payment_provider.intent(&id).map(Json)
}

/// The body of a confirm request, as a browser sends it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Confirm {
    client_secret: String,
    /// A test card number; spaces and dashes are ignored.
    card: String,
}

/// What one state change of an intent produced: its new state and the event to send.
struct Outcome {
    intent: PaymentIntent,
    event: Option<&'static str>,
}

/// `POST /mock-pay/v1/payment_intents/{id}/confirm`
async fn confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<Confirm>,
) -> Result<Response, ProviderError> {
    let origin = origin(&headers);
    let outcome = {
        let mut ledger = state.payment_provider.lock();
        let intent = ledger
            .intents
            .get_mut(&id)
            .ok_or_else(|| no_such_intent(&id))?;
        apply_card(intent, &body, &origin)?
    };
    let declined = outcome.intent.last_payment_error.clone();
    if let Some(kind) = outcome.event {
        send_event(&state, kind, &outcome.intent).await;
    }
    match (outcome.intent.status, declined) {
        (IntentStatus::RequiresPaymentMethod, Some(error)) => Err(ProviderError {
            status: StatusCode::PAYMENT_REQUIRED,
            code: error.code,
            detail: error.message.to_owned(),
            decline_code: error.decline_code,
            intent: Some(Box::new(outcome.intent)),
        }),
        _ => Ok(Json(outcome.intent).into_response()),
    }
}

/// The card decides: pay, decline, or ask the holder to authenticate first.
fn apply_card(intent: &mut Intent, body: &Confirm, origin: &str) -> Result<Outcome, ProviderError> {
    if digest(&body.client_secret) != digest(&intent.public.client_secret) {
        return Err(ProviderError::new(
            StatusCode::FORBIDDEN,
            "client_secret_mismatch",
            "the client secret does not belong to this payment intent",
        ));
    }
    match intent.public.status {
        IntentStatus::RequiresPaymentMethod => {}
        IntentStatus::RequiresAction => {
            return Err(unexpected_state(
                "this payment intent waits for authentication at next_action",
            ));
        }
        IntentStatus::Succeeded => {
            return Err(unexpected_state(
                "this payment intent has already succeeded",
            ));
        }
    }
    let card: String = body
        .card
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .collect();
    let public = &mut intent.public;
    let event = match card.as_str() {
        CARD_SUCCEEDS => {
            succeed(public);
            trace_provider(true, &format!("card accepted: {} succeeded", public.id));
            Some("payment_intent.succeeded")
        }
        CARD_DECLINED => {
            public.last_payment_error = Some(PaymentError {
                code: "card_declined",
                decline_code: Some("generic_decline"),
                message: "Your card was declined.",
            });
            trace_provider(
                false,
                &format!("card declined: {} waits for another card", public.id),
            );
            Some("payment_intent.payment_failed")
        }
        CARD_NEEDS_AUTHENTICATION => {
            let token = random_token();
            intent.authentication = Some(digest(&token));
            public.status = IntentStatus::RequiresAction;
            public.last_payment_error = None;
            public.next_action = Some(json!({
                "type": "redirect_to_url",
                "redirect_to_url": {
                    "url": format!("{origin}/mock-pay/v1/authenticate/{}?token={token}", public.id),
                },
            }));
            trace_provider(
                true,
                &format!(
                    "3-D Secure required: {} waits for the card holder",
                    public.id
                ),
            );
            None
        }
        _ => {
            return Err(ProviderError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_card",
                "card must be a test card: 4242 4242 4242 4242 (succeeds), 4000 0000 0000 0002 \
                 (declined) or 4000 0025 0000 3155 (needs 3-D Secure)",
            ));
        }
    };
    Ok(Outcome {
        intent: public.clone(),
        event,
    })
}

fn succeed(intent: &mut PaymentIntent) {
    intent.status = IntentStatus::Succeeded;
    intent.amount_received = intent.amount;
    intent.last_payment_error = None;
    intent.next_action = None;
}

fn unexpected_state(detail: &str) -> ProviderError {
    ProviderError::new(
        StatusCode::BAD_REQUEST,
        "payment_intent_unexpected_state",
        detail,
    )
}

/// The origin the caller used, for links it will open (like the mailbox's links).
fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".:-[]".contains(c))
        })
        .unwrap_or("localhost");
    format!("http://{host}")
}

#[derive(Debug, Deserialize)]
struct AuthenticationQuery {
    token: String,
}

/// The pending intent this 3-D Secure link belongs to.
fn pending(ledger: &Ledger, id: &str, token: &str) -> Result<PaymentIntent, ProviderError> {
    let intent = ledger.intents.get(id).ok_or_else(|| no_such_intent(id))?;
    match &intent.authentication {
        Some(expected) if *expected == digest(token) => Ok(intent.public.clone()),
        _ => Err(ProviderError::new(
            StatusCode::NOT_FOUND,
            "authentication_not_pending",
            "this authentication link is unknown, used or expired",
        )),
    }
}

/// `GET /mock-pay/v1/authenticate/{id}?token=...`: the page a browser lands on.
async fn authentication_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<AuthenticationQuery>,
) -> Result<Html<String>, ProviderError> {
    let intent = pending(&state.payment_provider.lock(), &id, &query.token)?;
    let amount = format!(
        "{}.{:02} {}",
        intent.amount / 100,
        intent.amount % 100,
        intent.currency.to_ascii_uppercase()
    );
    Ok(Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Mock 3-D Secure</title></head><body>\
         <h1>Confirm your payment</h1><p>Your bank asks you to approve a payment of {amount} \
         ({id}).</p>\
         <form method=\"post\"><button name=\"outcome\" value=\"complete\">Approve</button> \
         <button name=\"outcome\" value=\"fail\">Refuse</button></form></body></html>",
        id = intent.id
    )))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
enum AuthenticationOutcome {
    Complete,
    Fail,
}

#[derive(Debug, Deserialize)]
struct AuthenticationForm {
    outcome: AuthenticationOutcome,
}

/// `POST /mock-pay/v1/authenticate/{id}?token=...` with `outcome=complete|fail`.
async fn authenticate(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<AuthenticationQuery>,
    Form(form): Form<AuthenticationForm>,
) -> Result<Json<PaymentIntent>, ProviderError> {
    let (intent, kind) = {
        let mut ledger = state.payment_provider.lock();
        pending(&ledger, &id, &query.token)?;
        let intent = ledger
            .intents
            .get_mut(&id)
            .ok_or_else(|| no_such_intent(&id))?;
        // The link works once.
        intent.authentication = None;
        let public = &mut intent.public;
        let kind = match form.outcome {
            AuthenticationOutcome::Complete => {
                succeed(public);
                trace_provider(
                    true,
                    &format!("3-D Secure approved: {} succeeded", public.id),
                );
                "payment_intent.succeeded"
            }
            AuthenticationOutcome::Fail => {
                public.status = IntentStatus::RequiresPaymentMethod;
                public.next_action = None;
                public.last_payment_error = Some(PaymentError {
                    code: "payment_intent_authentication_failure",
                    decline_code: None,
                    message: "The card holder did not complete 3-D Secure.",
                });
                trace_provider(
                    false,
                    &format!("3-D Secure refused: {} waits for another card", public.id),
                );
                "payment_intent.payment_failed"
            }
        };
        (public.clone(), kind)
    };
    send_event(&state, kind, &intent).await;
    Ok(Json(intent))
}

/// `GET /mock-pay/v1/events`
async fn sent_events(State(state): State<AppState>) -> Json<Vec<SentEvent>> {
    Json(state.payment_provider.events())
}

// region: payment-provider-webhook
/// Sends `kind` about `intent` to the shop's webhook, signed with the endpoint's secret, and
/// waits for the first answer. An event the shop did not take (no answer, or not 2xx) is
/// retried in the background with growing waits, as real providers do.
async fn send_event(state: &AppState, kind: &str, intent: &PaymentIntent) {
    let provider = &state.payment_provider;
    let event_id = random_id("evt");
    let body = serde_json::to_vec(&json!({
        "id": event_id,
        "object": "event",
        "type": kind,
        "created": unix_now(),
        "data": { "object": intent },
    }))
    .unwrap_or_default();
    provider.record_event(&event_id, kind, &intent.id);
    if attempt(state, &event_id, &body).await {
        return;
    }
    let state = state.clone();
    tokio::spawn(async move {
        for delay in RETRY_DELAYS {
            tokio::time::sleep(delay).await;
            if attempt(&state, &event_id, &body).await {
                return;
            }
        }
    });
}

/// One delivery, signed at the moment it leaves; true when the shop took it.
async fn attempt(state: &AppState, event_id: &str, body: &[u8]) -> bool {
    let secret = state.config.payment_webhook_secret.as_bytes();
    let header = signature_header(secret, unix_now(), body);
    let result = match (own_base_url(state), state.payment_provider.client.get()) {
        (Ok(base), Ok(client)) => {
            deliver(
                client,
                &format!("{base}{WEBHOOK_PATH}"),
                &header,
                body.to_vec(),
            )
            .await
        }
        (Err(error), _) | (_, Err(error)) => Err(error),
    };
    let (taken, record) = match result {
        Ok(answer) => (
            accepted(&answer),
            DeliveryAttempt {
                at: now_ms(),
                status: Some(answer.status),
                request_id: answer.request_id,
                error: None,
            },
        ),
        Err(error) => (
            false,
            DeliveryAttempt {
                at: now_ms(),
                status: None,
                request_id: None,
                error: Some(error.to_string()),
            },
        ),
    };
    state.payment_provider.record_attempt(event_id, record);
    taken
}
// endregion
