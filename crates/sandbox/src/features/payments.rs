//! Payments (topic 33): a small shop that takes card payments through the built-in mock
//! provider (`payment_provider`), the way a backend uses Stripe.
//!
//! - `GET /api/v1/shop/products`: the catalogue, prices in integer minor units.
//! - `POST /api/v1/shop/orders`: an order for product ids and quantities. The server prices
//!   it from its own catalogue; an amount sent by the client is ignored.
//! - `POST /api/v1/shop/orders/{id}/pay`: creates the order's payment intent at the provider
//!   with an `Idempotency-Key` derived from the order, so a retry can never make a second
//!   charge, and answers the intent's client secret. The browser confirms the card with the
//!   provider directly; card numbers never reach the shop.
//! - `POST /api/v1/shop/webhooks`: the provider's signed events (same scheme as topic 23).
//!   Only a verified `payment_intent.succeeded` for the right intent, amount and currency
//!   marks an order paid; a receipt goes to the mailbox and `payment.succeeded` to the
//!   user's Socket.IO room after the answer.
//! - `POST /api/v1/shop/orders/{id}/return`: what the front end calls when the provider
//!   sends the customer back. It changes nothing (the switch `payments-paid-on-return`
//!   makes it mark the order paid, the classic hole).
//! - `GET /api/v1/shop/orders/{id}`: the order's status, for its owner only.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult, FieldError};
use crate::extract::ValidJson;
use crate::features::jwt::AuthUser;
use crate::features::payment_provider::TEST_SECRET_KEY;
use crate::features::secrets::now_ms;
use crate::features::webhook_signature::{
    Checks, IDEMPOTENCY_LAYER, LoopbackClient, own_base_url, random_id, verify_delivery,
};
use crate::features::webhooks::Receipt;
use crate::state::AppState;
use crate::switches::Switch;

/// Where the provider delivers its events.
pub const WEBHOOK_PATH: &str = "/api/v1/shop/webhooks";
/// The shop's one currency.
pub const CURRENCY: &str = "eur";
/// Most lines one order may have, and most of one product per line.
const MAX_LINES: usize = 20;
const MAX_QUANTITY: u32 = 10;

/// One product of the catalogue.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct Product {
    pub id: &'static str,
    pub name: &'static str,
    /// Integer minor units (cents): 1250 is 12.50 EUR.
    pub unit_amount: u64,
    pub currency: &'static str,
}

/// What the shop sells.
pub const CATALOGUE: [Product; 3] = [
    Product {
        id: "mug",
        name: "Dojo mug",
        unit_amount: 1250,
        currency: CURRENCY,
    },
    Product {
        id: "hoodie",
        name: "Dojo hoodie",
        unit_amount: 4500,
        currency: CURRENCY,
    },
    Product {
        id: "handbook",
        name: "Backend interview handbook",
        unit_amount: 2999,
        currency: CURRENCY,
    },
];

/// Where an order stands. It only moves forward: a late or repeated event never takes a
/// paid order back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    AwaitingPayment,
    Paid,
    /// The provider reported a payment that does not match the order: a human looks.
    NeedsReview,
}

/// One line of an order, priced by the server.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderLine {
    pub product: &'static str,
    pub name: &'static str,
    pub quantity: u32,
    pub unit_amount: u64,
    pub amount: u64,
}

/// An order as its owner sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Order {
    pub id: String,
    pub status: OrderStatus,
    /// The total in integer minor units, computed by the server.
    pub amount: u64,
    pub currency: &'static str,
    pub items: Vec<OrderLine>,
    /// The provider's payment intent, once payment started.
    pub payment_intent: Option<String>,
    /// Why the last attempt failed (`card_declined`, ...), while the order waits.
    pub last_payment_error: Option<String>,
    /// What marked it paid: `webhook`, or `client return` with the break-it switch on.
    pub paid_by: Option<&'static str>,
    /// Milliseconds since the Unix epoch.
    pub paid_at: Option<u64>,
    pub created_at: u64,
    #[serde(skip)]
    user_id: u64,
}

/// The shop's orders and the provider events it has applied.
#[derive(Debug, Default)]
pub struct Shop {
    inner: Mutex<Book>,
    client: LoopbackClient,
}

#[derive(Debug, Default)]
struct Book {
    orders: HashMap<String, Order>,
    /// Event ids already applied: a repeated delivery changes nothing.
    applied_events: HashSet<String>,
}

/// What a verified provider event did.
#[derive(Debug)]
enum Applied {
    Duplicate,
    Paid(Box<Order>),
    Mismatch(String),
    Failed(String),
    Ignored(String),
}

/// The parts of a provider event the shop reads.
#[derive(Debug)]
struct ProviderEvent {
    id: String,
    kind: String,
    intent: String,
    order: Option<String>,
    amount_received: u64,
    currency: String,
    error_code: Option<String>,
}

impl Shop {
    fn lock(&self) -> MutexGuard<'_, Book> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets every order and applied event.
    pub fn clear(&self) {
        *self.lock() = Book::default();
    }

    /// The order, if it exists and belongs to `user_id`; someone else's is "not found", so
    /// ids reveal nothing.
    fn owned(&self, id: &str, user_id: u64) -> ApiResult<Order> {
        self.lock()
            .orders
            .get(id)
            .filter(|o| o.user_id == user_id)
            .cloned()
            .ok_or_else(|| ApiError::NotFound(format!("you have no order {id}")))
    }

    // region: payment-webhook
    /// Applies one verified event. The duplicate check and the state change happen under
    /// one lock, so a retry racing the first delivery cannot apply it twice. Each change
    /// only moves an order forward, and a success must match the order's own intent,
    /// amount and currency before the order counts as paid.
    fn apply(&self, event: &ProviderEvent) -> Applied {
        let mut book = self.lock();
        if !book.applied_events.insert(event.id.clone()) {
            return Applied::Duplicate;
        }
        let Some(order) = event.order.as_ref().and_then(|id| book.orders.get_mut(id)) else {
            return Applied::Ignored(format!("no order for {}", event.intent));
        };
        if order.payment_intent.as_deref() != Some(event.intent.as_str()) {
            return Applied::Ignored(format!(
                "{} is not the intent of {}",
                event.intent, order.id
            ));
        }
        match event.kind.as_str() {
            "payment_intent.succeeded" if order.status != OrderStatus::AwaitingPayment => {
                Applied::Ignored(format!(
                    "{} is already {:?}: nothing to do",
                    order.id, order.status
                ))
            }
            "payment_intent.succeeded"
                if event.amount_received != order.amount || event.currency != order.currency =>
            {
                order.status = OrderStatus::NeedsReview;
                Applied::Mismatch(format!(
                    "{} received {} {} but {} costs {} {}: held for review",
                    event.intent,
                    event.amount_received,
                    event.currency,
                    order.id,
                    order.amount,
                    order.currency
                ))
            }
            "payment_intent.succeeded" => {
                order.status = OrderStatus::Paid;
                order.paid_by = Some("webhook");
                order.paid_at = Some(now_ms());
                order.last_payment_error = None;
                Applied::Paid(Box::new(order.clone()))
            }
            "payment_intent.payment_failed" if order.status == OrderStatus::AwaitingPayment => {
                order.last_payment_error = event.error_code.clone();
                Applied::Failed(format!(
                    "payment of {} failed ({}); it waits for another card",
                    order.id,
                    event.error_code.as_deref().unwrap_or("no reason given")
                ))
            }
            other => Applied::Ignored(format!("{other} changes nothing for {}", order.id)),
        }
    }
    // endregion
}

/// The routes, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(products))
        .routes(routes!(create_order))
        .routes(routes!(order))
        .routes(routes!(pay))
        .routes(routes!(returned))
        .routes(routes!(provider_webhook))
}

fn trace_payment(passed: bool, status: u64, reason: &str) {
    if passed {
        tracing::info!(target: "dojo::trace", layer = "payment", step = "decision", decision = "passed", reason);
    } else {
        tracing::info!(target: "dojo::trace", layer = "payment", step = "decision", decision = "short_circuited", status, reason);
    }
}

/// The catalogue
#[utoipa::path(
    get,
    path = "/api/v1/shop/products",
    operation_id = "shop_products",
    tag = "payments",
    responses(
        (status = 200, description = "Every product, prices in minor units", body = [Product]),
        (status = 400, response = crate::openapi::BadRequest),
    ),
)]
async fn products() -> Json<[Product; 3]> {
    Json(CATALOGUE)
}

/// One line of a cart: a product id and how many.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CartItem {
    #[schema(example = "mug")]
    product: String,
    #[schema(minimum = 1, maximum = 10)]
    quantity: u32,
}

/// The body of `POST /api/v1/shop/orders`. Only products and quantities count: the server
/// prices the order itself.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({ "items": [{ "product": "mug", "quantity": 2 }] }))]
pub struct NewOrder {
    items: Vec<CartItem>,
    /// Not part of the API: read only to note in the trace that it was ignored.
    #[serde(default)]
    #[schema(ignore)]
    amount: Option<Value>,
}

// region: payment-order
/// Prices a cart from the catalogue: integer minor units, quantities merged per product,
/// every problem reported at once. Nothing here reads a price from the client.
fn price(items: &[CartItem]) -> ApiResult<(Vec<OrderLine>, u64)> {
    let mut errors = Vec::new();
    if items.is_empty() || items.len() > MAX_LINES {
        errors.push(FieldError {
            field: "items".into(),
            message: format!("must hold 1 to {MAX_LINES} lines"),
        });
    }
    let mut wanted: BTreeMap<&'static str, u32> = BTreeMap::new();
    for (index, item) in items.iter().enumerate() {
        let Some(product) = CATALOGUE.iter().find(|p| p.id == item.product) else {
            errors.push(FieldError {
                field: format!("items[{index}].product"),
                message: "unknown product; the catalogue has mug, hoodie and handbook".into(),
            });
            continue;
        };
        if !(1..=MAX_QUANTITY).contains(&item.quantity) {
            errors.push(FieldError {
                field: format!("items[{index}].quantity"),
                message: format!("must be from 1 to {MAX_QUANTITY}"),
            });
            continue;
        }
        *wanted.entry(product.id).or_default() += item.quantity;
    }
    if let Some((product, _)) = wanted.iter().find(|(_, q)| **q > MAX_QUANTITY) {
        errors.push(FieldError {
            field: "items".into(),
            message: format!("at most {MAX_QUANTITY} of {product} per order"),
        });
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let lines: Vec<OrderLine> = wanted
        .into_iter()
        .filter_map(|(id, quantity)| {
            let product = CATALOGUE.iter().find(|p| p.id == id)?;
            Some(OrderLine {
                product: product.id,
                name: product.name,
                quantity,
                unit_amount: product.unit_amount,
                amount: product.unit_amount * u64::from(quantity),
            })
        })
        .collect();
    let total = lines.iter().map(|line| line.amount).sum();
    Ok((lines, total))
}
// endregion

/// Create an order
///
/// Send product ids and quantities; the answer carries the total the server computed from
/// its own prices, in integer minor units. An `amount` in the body is ignored.
#[utoipa::path(
    post,
    path = "/api/v1/shop/orders",
    operation_id = "shop_create_order",
    tag = "payments",
    request_body = NewOrder,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The order, priced by the server", body = Order),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::ValidationFailed),
    ),
)]
async fn create_order(
    State(state): State<AppState>,
    user: AuthUser,
    ValidJson(body): ValidJson<NewOrder>,
) -> ApiResult<(StatusCode, Json<Order>)> {
    let (items, amount) = price(&body.items)?;
    let order = Order {
        id: random_id("ord"),
        status: OrderStatus::AwaitingPayment,
        amount,
        currency: CURRENCY,
        items,
        payment_intent: None,
        last_payment_error: None,
        paid_by: None,
        paid_at: None,
        created_at: now_ms(),
        user_id: user.id,
    };
    let reason = match &body.amount {
        Some(sent) => format!(
            "{} priced at {amount} minor units from the catalogue; the client's amount {sent} \
             was ignored",
            order.id
        ),
        None => format!(
            "{} priced at {amount} minor units from the catalogue",
            order.id
        ),
    };
    trace_payment(true, 201, &reason);
    state
        .shop
        .lock()
        .orders
        .insert(order.id.clone(), order.clone());
    Ok((StatusCode::CREATED, Json(order)))
}

/// One of your orders
#[utoipa::path(
    get,
    path = "/api/v1/shop/orders/{id}",
    operation_id = "shop_order",
    tag = "payments",
    params(("id" = String, Path, description = "The order id, such as `ord_3f9c...`")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The order and its status", body = Order),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 404, response = crate::openapi::NotFound),
    ),
)]
async fn order(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Order>> {
    state.shop.owned(&id, user.id).map(Json)
}

/// What the browser needs to pay: the intent and its client secret, nothing more.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentStarted {
    pub order_id: String,
    /// The provider's payment intent id (`pi_...`).
    pub payment_intent: String,
    /// Lets the browser confirm this one intent with the provider.
    pub client_secret: String,
    pub amount: u64,
    pub currency: &'static str,
    /// The intent's status at the provider, such as `requires_payment_method`.
    pub status: String,
    /// True when the provider answered an intent it already had for this order's key.
    pub idempotent_replay: bool,
}

/// The provider's answer to a create call, as far as the shop reads it.
#[derive(Debug, Deserialize)]
struct CreatedIntent {
    id: String,
    client_secret: String,
    status: String,
}

// region: payment-pay
/// Asks the provider for the order's payment intent. The key is derived from the order, so
/// a retry after a timeout, a double click or two servers racing all get the same intent.
async fn intent_for(state: &AppState, order: &Order) -> ApiResult<(CreatedIntent, bool)> {
    let url = format!("{}/mock-pay/v1/payment_intents", own_base_url(state)?);
    let response = state
        .shop
        .client
        .get()?
        .post(&url)
        .bearer_auth(TEST_SECRET_KEY)
        .header("idempotency-key", format!("order-{}", order.id))
        .json(&json!({
            "amount": order.amount,
            "currency": order.currency,
            "metadata": { "order_id": order.id },
        }))
        .send()
        .await
        .map_err(|e| ApiError::Internal(format!("the payment provider did not answer: {e}")))?;
    let status = response.status();
    let replayed = response.headers().contains_key("idempotent-replayed");
    let body = response
        .bytes()
        .await
        .map_err(|e| ApiError::Internal(format!("the provider's answer was cut: {e}")))?;
    if !status.is_success() {
        return Err(ApiError::Internal(format!(
            "the payment provider refused the intent ({status}): {}",
            String::from_utf8_lossy(&body)
        )));
    }
    let intent = serde_json::from_slice(&body)
        .map_err(|e| ApiError::Internal(format!("the provider's intent is unreadable: {e}")))?;
    Ok((intent, replayed))
}
// endregion

/// Start paying an order
///
/// Creates (or, on a retry, finds again) the order's payment intent at the mock provider,
/// with `Idempotency-Key: order-<id>`. Confirm the card with the provider at
/// `POST /mock-pay/v1/payment_intents/{payment_intent}/confirm` using the client secret.
#[utoipa::path(
    post,
    path = "/api/v1/shop/orders/{id}/pay",
    operation_id = "shop_pay",
    tag = "payments",
    params(("id" = String, Path, description = "The order id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The intent to confirm", body = PaymentStarted),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, description = "The order is already paid or held for review", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 500, response = crate::openapi::InternalError),
    ),
)]
async fn pay(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<PaymentStarted>> {
    let order = state.shop.owned(&id, user.id)?;
    if order.status != OrderStatus::AwaitingPayment {
        let reason = format!("{id} is {:?}: there is nothing left to pay", order.status);
        trace_payment(false, 409, &reason);
        return Err(ApiError::Conflict(reason));
    }
    let (intent, replayed) = intent_for(&state, &order).await?;
    if let Some(stored) = state.shop.lock().orders.get_mut(&id) {
        stored.payment_intent = Some(intent.id.clone());
    }
    trace_payment(
        true,
        200,
        &if replayed {
            format!(
                "the provider answered {} again for key order-{id}: no second charge",
                intent.id
            )
        } else {
            format!(
                "payment intent {} created for {id} with key order-{id}",
                intent.id
            )
        },
    );
    Ok(Json(PaymentStarted {
        order_id: id,
        payment_intent: intent.id,
        client_secret: intent.client_secret,
        amount: order.amount,
        currency: order.currency,
        status: intent.status,
        idempotent_replay: replayed,
    }))
}

/// Sends the receipt and the notification for a paid order, after the answer: a real mail
/// server is slow, and the provider is waiting.
fn fulfil(state: &AppState, order: Order) {
    let state = state.clone();
    tokio::spawn(async move {
        let lines: Vec<String> = order
            .items
            .iter()
            .map(|l| format!("{} x {}: {}", l.quantity, l.name, money(l.amount)))
            .collect();
        if let Some(user) = state.users.by_id(order.user_id) {
            state.mailbox.send(
                user.email,
                &format!("Receipt for order {}", order.id),
                format!(
                    "Thank you for your order {}.\n\n{}\n\nTotal paid: {}\nPayment: {}\n",
                    order.id,
                    lines.join("\n"),
                    money(order.amount),
                    order.payment_intent.as_deref().unwrap_or("none"),
                ),
            );
        }
        state.user_events.publish(
            order.user_id,
            "payment.succeeded",
            json!({ "order_id": order.id, "amount": order.amount, "currency": order.currency }),
        );
    });
}

/// Minor units as a receipt prints them: `2500` is `25.00 EUR`.
fn money(amount: u64) -> String {
    format!(
        "{}.{:02} {}",
        amount / 100,
        amount % 100,
        CURRENCY.to_ascii_uppercase()
    )
}

/// The customer is back from the payment page
///
/// What the front end calls when the provider sends the customer back. It answers the
/// order as it is: only the provider's signed webhook marks an order paid.
#[utoipa::path(
    post,
    path = "/api/v1/shop/orders/{id}/return",
    operation_id = "shop_return",
    tag = "payments",
    params(("id" = String, Path, description = "The order id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The order as it is now", body = Order),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 404, response = crate::openapi::NotFound),
    ),
)]
// region: payment-return
async fn returned(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Order>> {
    let order = state.shop.owned(&id, user.id)?;
    let trust_the_client = state.switches.is_on(Switch::PaymentsPaidOnReturn);
    if !trust_the_client || order.status != OrderStatus::AwaitingPayment {
        trace_payment(
            true,
            200,
            "the return changes nothing: only the provider's signed webhook marks an order paid",
        );
        return Ok(Json(order));
    }
    // The hole: the browser's word is taken for a payment nobody checked.
    let paid = {
        let mut book = state.shop.lock();
        let Some(stored) = book.orders.get_mut(&id) else {
            return Err(ApiError::NotFound(format!("you have no order {id}")));
        };
        stored.status = OrderStatus::Paid;
        stored.paid_by = Some("client return");
        stored.paid_at = Some(now_ms());
        stored.clone()
    };
    trace_payment(
        true,
        200,
        &format!("{id} marked paid on the client's return (payments-paid-on-return is on)"),
    );
    fulfil(&state, paid.clone());
    Ok(Json(paid))
}
// endregion

/// The parts of the provider's event the shop needs.
fn parse_provider_event(body: &[u8]) -> ApiResult<ProviderEvent> {
    let refuse = |reason: &str| {
        trace_payment(false, 400, reason);
        ApiError::BadRequest(reason.to_owned())
    };
    let event: Value = serde_json::from_slice(body).map_err(|_| refuse("the event is not JSON"))?;
    let text = |pointer: &str| {
        event
            .pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    Ok(ProviderEvent {
        id: text("/id").ok_or_else(|| refuse("the event has no id"))?,
        kind: text("/type").ok_or_else(|| refuse("the event has no type"))?,
        intent: text("/data/object/id")
            .ok_or_else(|| refuse("the event names no payment intent"))?,
        order: text("/data/object/metadata/order_id"),
        amount_received: event
            .pointer("/data/object/amount_received")
            .and_then(Value::as_u64)
            .unwrap_or(0),
        currency: text("/data/object/currency").unwrap_or_default(),
        error_code: text("/data/object/last_payment_error/code"),
    })
}

/// Receive the payment provider's events
///
/// Signed like topic 23's webhooks (`Dojo-Signature`, this endpoint's own secret). Answers
/// 200 for every verified event, new or repeated; only a new `payment_intent.succeeded`
/// that matches its order marks the order paid.
#[utoipa::path(
    post,
    path = "/api/v1/shop/webhooks",
    operation_id = "shop_webhook",
    tag = "payments",
    request_body(content = Object, description = "A provider event"),
    params(("Dojo-Signature" = String, Header, description = "`t=<unix seconds>,v1=<hex>`")),
    responses(
        (status = 200, description = "Taken (new or duplicate)", body = Receipt),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 413, response = crate::openapi::PayloadTooLarge),
    ),
)]
async fn provider_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Receipt>> {
    let secret = state.config.payment_webhook_secret.as_bytes();
    verify_delivery(
        &headers,
        &body,
        secret,
        state.config.webhook_tolerance,
        Checks::ALL,
    )?;
    let event = parse_provider_event(&body)?;
    let applied = state.shop.apply(&event);
    if let Applied::Duplicate = applied {
        let reason = format!(
            "duplicate event {}: already applied, nothing changes",
            event.id
        );
        tracing::info!(target: "dojo::trace", layer = IDEMPOTENCY_LAYER, step = "decision", decision = "short_circuited", status = 200u64, reason = reason.as_str());
        return Ok(Json(Receipt {
            received: true,
            duplicate: true,
            event_id: event.id,
        }));
    }
    tracing::info!(target: "dojo::trace", layer = IDEMPOTENCY_LAYER, step = "decision", decision = "passed", reason = "a new event id");
    match applied {
        Applied::Paid(order) => {
            trace_payment(
                true,
                200,
                &format!(
                    "{} paid: receipt and notification follow the answer",
                    order.id
                ),
            );
            fulfil(&state, *order);
        }
        Applied::Mismatch(reason) | Applied::Failed(reason) | Applied::Ignored(reason) => {
            trace_payment(true, 200, &reason);
        }
        Applied::Duplicate => {}
    }
    Ok(Json(Receipt {
        received: true,
        duplicate: false,
        event_id: event.id,
    }))
}
