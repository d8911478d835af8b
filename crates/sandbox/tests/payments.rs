//! Topic 33, payments: orders priced by the server, payment intents at the mock provider
//! with idempotency keys, test cards that succeed, decline or need 3-D Secure, the signed
//! webhook that alone marks an order paid, the receipt and the user event, and the
//! paid-on-return hole.

mod common;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::{
    ADA, DEADLINE, Dojo, GRACE, PASSWORD, assert_problem, config, layer, request, unix_now,
    webhook_signature,
};
use dojo_sandbox::Sandbox;
use dojo_sandbox::features::mailbox::Mail;
use serde_json::{Value, json};
use tokio::time::{Instant, timeout};

const ORDERS: &str = "/api/v1/shop/orders";
const INTENTS: &str = "/mock-pay/v1/payment_intents";
const KEY: &str = "Bearer sk_test_dojo";

/// A shopper on a real socket: the shop calls the provider and the provider calls the
/// shop's webhook over HTTP, as they would across the network.
struct Shopper {
    base: String,
    client: reqwest::Client,
    token: String,
}

impl Shopper {
    async fn login(sandbox: &Sandbox, email: &str) -> Shopper {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(DEADLINE)
            .build()
            .expect("a client");
        let base = format!("http://{}", sandbox.addr);
        let login: Value = client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({ "email": email, "password": PASSWORD }))
            .send()
            .await
            .expect("login answers")
            .json()
            .await
            .expect("JSON");
        let token = login["access_token"].as_str().expect("a token").to_owned();
        Shopper {
            base,
            client,
            token,
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let reply = request.send().await.expect("the sandbox answers");
        let status = reply.status();
        (status, reply.json().await.unwrap_or(Value::Null))
    }

    async fn order(&self, items: Value) -> Value {
        let (status, order) = self
            .call(Method::POST, ORDERS, Some(json!({ "items": items })))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{order}");
        order
    }

    async fn pay(&self, order: &Value) -> (StatusCode, Value) {
        let id = order["id"].as_str().expect("an order id");
        self.call(Method::POST, &format!("{ORDERS}/{id}/pay"), None)
            .await
    }

    async fn status_of(&self, order: &Value) -> Value {
        let id = order["id"].as_str().expect("an order id");
        let (status, order) = self
            .call(Method::GET, &format!("{ORDERS}/{id}"), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{order}");
        order
    }

    /// What the browser does: confirms the intent with the provider, card and client secret.
    async fn confirm(&self, started: &Value, card: &str) -> (StatusCode, Value) {
        let intent = started["payment_intent"].as_str().expect("an intent id");
        let reply = self
            .client
            .post(format!("{}{INTENTS}/{intent}/confirm", self.base))
            .json(&json!({ "client_secret": started["client_secret"], "card": card }))
            .send()
            .await
            .expect("the provider answers");
        let status = reply.status();
        (status, reply.json().await.expect("JSON"))
    }
}

async fn start() -> Sandbox {
    Sandbox::start(config()).await.expect("the sandbox starts")
}

/// Waits for the receipt of `order_id`.
async fn receipt(sandbox: &Sandbox, order_id: &str) -> Mail {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let receipts: Vec<Mail> = sandbox
            .state
            .mailbox
            .recent(100)
            .into_iter()
            .filter(|m| m.subject == format!("Receipt for order {order_id}"))
            .collect();
        if let [mail] = receipts.as_slice() {
            return mail.clone();
        }
        assert!(receipts.len() < 2, "two receipts for {order_id}");
        assert!(Instant::now() < deadline, "no receipt for {order_id}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

fn trace_layer(sandbox: &Sandbox, request_id: &str, name: &str) -> Value {
    let trace = sandbox
        .state
        .traces
        .get(request_id)
        .expect("the trace is kept");
    let trace = serde_json::to_value(trace.as_ref()).expect("a trace is JSON");
    layer(&trace, name).clone()
}

#[tokio::test]
async fn orders_are_priced_by_the_server_in_integer_minor_units() {
    let dojo = Dojo::new();
    let token = dojo.login().await;
    let auth = format!("Bearer {token}");
    let headers = [
        ("content-type", "application/json"),
        ("authorization", auth.as_str()),
    ];
    let post = |body: Value| request(Method::POST, ORDERS, &headers, Body::from(body.to_string()));
    let reply = dojo
        .send(post(json!({
            "items": [
                { "product": "mug", "quantity": 2 },
                { "product": "handbook", "quantity": 1 },
                { "product": "mug", "quantity": 1 },
            ],
            "amount": 1,
        })))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let order = reply.json();
    assert_eq!(order["amount"], 3 * 1250 + 2999, "{order}");
    assert_eq!(order["currency"], "eur");
    assert_eq!(order["status"], "awaiting_payment");
    assert_eq!(order["items"][1]["product"], "mug", "{order}");
    assert_eq!(
        order["items"][1]["quantity"], 3,
        "merged per product: {order}"
    );
    let trace = dojo.trace(&reply.request_id()).await;
    let reason = layer(&trace, "payment")["reason"].to_string();
    assert!(
        reason.contains("the client's amount 1 was ignored"),
        "{reason}"
    );

    let refused = dojo
        .send(post(json!({ "items": [
            { "product": "yacht", "quantity": 1 },
            { "product": "mug", "quantity": 0 },
            { "product": "hoodie", "quantity": 11 },
        ]})))
        .await;
    let problem = assert_problem(&refused, 422);
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field"))
        .collect();
    assert_eq!(
        fields,
        ["items[0].product", "items[1].quantity", "items[2].quantity"]
    );
    assert_problem(&dojo.send(post(json!({ "items": [] }))).await, 422);
    assert_problem(
        &dojo
            .send(post(
                json!({ "items": [{ "product": "mug", "quantity": 1.5 }] }),
            ))
            .await,
        422,
    );
    assert_problem(
        &dojo
            .post_json(
                ORDERS,
                &json!({ "items": [{ "product": "mug", "quantity": 1 }] }),
            )
            .await,
        401,
    );
    let catalogue = dojo.get("/api/v1/shop/products").await.json();
    assert_eq!(
        catalogue[0],
        json!({ "id": "mug", "name": "Dojo mug", "unit_amount": 1250, "currency": "eur" })
    );
}

#[tokio::test]
async fn a_card_that_succeeds_pays_the_order_through_the_signed_webhook() {
    let sandbox = start().await;
    let mut events = sandbox.state.user_events.subscribe();
    let ada = Shopper::login(&sandbox, ADA).await;
    let order = ada
        .order(json!([{ "product": "hoodie", "quantity": 1 }]))
        .await;
    let order_id = order["id"].as_str().expect("an id");

    let (status, started) = ada.pay(&order).await;
    assert_eq!(status, StatusCode::OK, "{started}");
    assert_eq!(started["amount"], 4500);
    assert_eq!(started["status"], "requires_payment_method");
    assert_eq!(started["idempotent_replay"], false);
    assert!(
        started["client_secret"]
            .as_str()
            .is_some_and(|s| s.contains("_secret_"))
    );
    assert_eq!(ada.status_of(&order).await["status"], "awaiting_payment");

    let (status, intent) = ada.confirm(&started, "4242 4242 4242 4242").await;
    assert_eq!(status, StatusCode::OK, "{intent}");
    assert_eq!(intent["status"], "succeeded");
    assert_eq!(intent["amount_received"], 4500);

    // The provider delivered its signed event before answering, so the order is paid.
    let paid = ada.status_of(&order).await;
    assert_eq!(paid["status"], "paid", "{paid}");
    assert_eq!(paid["paid_by"], "webhook");
    assert_eq!(paid["payment_intent"], started["payment_intent"]);

    let mail = receipt(&sandbox, order_id).await;
    assert_eq!(mail.to, ADA);
    assert!(
        mail.text.contains("1 x Dojo hoodie: 45.00 EUR"),
        "{}",
        mail.text
    );
    assert!(mail.text.contains("Total paid: 45.00 EUR"), "{}", mail.text);
    let event = timeout(DEADLINE, events.recv())
        .await
        .expect("an event in time")
        .expect("the hub is open");
    assert_eq!(event.user_id, 1);
    assert_eq!(event.name, "payment.succeeded");
    assert_eq!(
        event.data,
        json!({ "order_id": order_id, "amount": 4500, "currency": "eur" })
    );

    // The provider's record of the delivery leads to the webhook's trace.
    let sent: Value = ada
        .client
        .get(format!("{}/mock-pay/v1/events", ada.base))
        .send()
        .await
        .expect("events answer")
        .json()
        .await
        .expect("JSON");
    assert_eq!(sent[0]["type"], "payment_intent.succeeded", "{sent}");
    let delivery = &sent[0]["deliveries"][0];
    assert_eq!(delivery["status"], 200, "{sent}");
    let webhook = delivery["request_id"].as_str().expect("a request id");
    assert_eq!(
        trace_layer(&sandbox, webhook, "webhook_signature")["decision"],
        "passed"
    );
    let payment = trace_layer(&sandbox, webhook, "payment");
    assert_eq!(
        payment["reason"],
        format!("{order_id} paid: receipt and notification follow the answer")
    );

    // Nothing is left to pay.
    let (status, conflict) = ada.pay(&order).await;
    assert_eq!(status, StatusCode::CONFLICT, "{conflict}");
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn retried_payments_reuse_one_intent_so_nothing_is_charged_twice() {
    let sandbox = start().await;
    let ada = Shopper::login(&sandbox, ADA).await;
    let order = ada
        .order(json!([{ "product": "mug", "quantity": 1 }]))
        .await;
    let (_, first) = ada.pay(&order).await;
    let (status, second) = ada.pay(&order).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(second["payment_intent"], first["payment_intent"]);
    assert_eq!(second["client_secret"], first["client_secret"]);
    assert_eq!(second["idempotent_replay"], true);
    assert_eq!(sandbox.state.payment_provider.intent_count(), 1);

    // A double click on "pay" after the card: one success, then a clear refusal.
    let (status, _) = ada.confirm(&first, "4242424242424242").await;
    assert_eq!(status, StatusCode::OK);
    let (status, again) = ada.confirm(&first, "4242424242424242").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{again}");
    assert_eq!(again["code"], "payment_intent_unexpected_state");
    // One receipt: the second confirm changed nothing.
    receipt(&sandbox, order["id"].as_str().expect("an id")).await;
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn the_provider_honours_idempotency_keys_and_wants_integer_amounts() {
    let sandbox = start().await;
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a client");
    let url = format!("http://{}{INTENTS}", sandbox.addr);
    let create = |key: Option<&str>, body: Value| {
        let mut request = client.post(&url).header("authorization", KEY).json(&body);
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        request.send()
    };
    let body = json!({ "amount": 2500, "currency": "EUR", "metadata": { "order_id": "ord_1" } });

    let first = create(Some("checkout-7f3c"), body.clone())
        .await
        .expect("answers");
    assert_eq!(first.status(), StatusCode::OK);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.expect("JSON");
    assert_eq!(first["currency"], "eur");
    assert_eq!(first["object"], "payment_intent");

    let retry = create(Some("checkout-7f3c"), body.clone())
        .await
        .expect("answers");
    assert_eq!(
        retry
            .headers()
            .get("idempotent-replayed")
            .map(|v| v.as_bytes()),
        Some(&b"true"[..])
    );
    let retry: Value = retry.json().await.expect("JSON");
    assert_eq!(retry["id"], first["id"]);

    let other = create(
        Some("checkout-7f3c"),
        json!({ "amount": 1, "currency": "eur" }),
    )
    .await
    .expect("answers");
    assert_eq!(other.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        other.headers().get("content-type").map(|v| v.as_bytes()),
        Some(&b"application/problem+json"[..])
    );
    let other: Value = other.json().await.expect("JSON");
    assert_eq!(other["code"], "idempotency_key_in_use", "{other}");

    // Without a key every call is a new intent: exactly the double charge keys prevent.
    let a: Value = create(None, body.clone())
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    let b: Value = create(None, body.clone())
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    assert_ne!(a["id"], b["id"]);
    assert_eq!(sandbox.state.payment_provider.intent_count(), 3);

    for (amount, code) in [
        (json!(19.99), "parameter_invalid"),
        (json!("2500"), "parameter_invalid"),
        (json!(0), "parameter_invalid"),
    ] {
        let reply = create(None, json!({ "amount": amount, "currency": "eur" }))
            .await
            .expect("answers");
        assert_eq!(reply.status(), StatusCode::UNPROCESSABLE_ENTITY, "{amount}");
        let problem: Value = reply.json().await.expect("JSON");
        assert_eq!(problem["code"], code, "{problem}");
    }
    let floats: Value = create(None, json!({ "amount": 19.99, "currency": "eur" }))
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    assert!(
        floats["detail"]
            .as_str()
            .is_some_and(|d| d.contains("1999 for 19.99")),
        "{floats}"
    );

    let anonymous = client.post(&url).json(&body).send().await.expect("answers");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let wrong = client
        .get(format!("{url}/{}", first["id"].as_str().expect("id")))
        .header("authorization", "Bearer sk_test_guess")
        .send()
        .await
        .expect("answers");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let fetched: Value = client
        .get(format!("{url}/{}", first["id"].as_str().expect("id")))
        .header("authorization", KEY)
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(fetched["id"], first["id"]);
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_declined_card_leaves_the_order_waiting_for_another_card() {
    let sandbox = start().await;
    let ada = Shopper::login(&sandbox, ADA).await;
    let order = ada
        .order(json!([{ "product": "handbook", "quantity": 2 }]))
        .await;
    let (_, started) = ada.pay(&order).await;

    let (status, declined) = ada.confirm(&started, "4000000000000002").await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{declined}");
    assert_eq!(declined["code"], "card_declined");
    assert_eq!(declined["decline_code"], "generic_decline");
    assert_eq!(
        declined["payment_intent"]["status"],
        "requires_payment_method"
    );
    let waiting = ada.status_of(&order).await;
    assert_eq!(waiting["status"], "awaiting_payment", "{waiting}");
    assert_eq!(waiting["last_payment_error"], "card_declined");

    let (status, unknown) = ada.confirm(&started, "5555 5555 5555 4444").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{unknown}");
    let wrong_secret =
        json!({ "payment_intent": started["payment_intent"], "client_secret": "pi_x_secret_y" });
    let (status, _) = ada.confirm(&wrong_secret, "4242424242424242").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The same intent takes another card.
    let (status, paid) = ada.confirm(&started, "4242424242424242").await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    let order = ada.status_of(&order).await;
    assert_eq!(order["status"], "paid");
    assert_eq!(order["amount"], 5998);
    assert_eq!(order["last_payment_error"], Value::Null);
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn three_d_secure_waits_for_the_card_holder() {
    let sandbox = start().await;
    let ada = Shopper::login(&sandbox, ADA).await;
    let order = ada
        .order(json!([{ "product": "mug", "quantity": 4 }]))
        .await;
    let (_, started) = ada.pay(&order).await;

    let (status, intent) = ada.confirm(&started, "4000002500003155").await;
    assert_eq!(status, StatusCode::OK, "{intent}");
    assert_eq!(intent["status"], "requires_action");
    assert_eq!(intent["next_action"]["type"], "redirect_to_url");
    let url = intent["next_action"]["redirect_to_url"]["url"]
        .as_str()
        .expect("a URL to visit")
        .to_owned();
    assert!(url.starts_with(&ada.base), "{url}");
    assert_eq!(ada.status_of(&order).await["status"], "awaiting_payment");
    let (status, waiting) = ada.confirm(&started, "4242424242424242").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{waiting}");

    let page = ada.client.get(&url).send().await.expect("the page answers");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("HTML");
    assert!(
        html.contains("50.00 EUR") && html.contains("Approve"),
        "{html}"
    );

    let approve = || {
        ada.client
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("outcome=complete")
            .send()
    };
    let approved = approve().await.expect("answers");
    assert_eq!(approved.status(), StatusCode::OK);
    let approved: Value = approved.json().await.expect("JSON");
    assert_eq!(approved["status"], "succeeded");
    assert_eq!(ada.status_of(&order).await["status"], "paid");
    // The link works once.
    assert_eq!(
        approve().await.expect("answers").status(),
        StatusCode::NOT_FOUND
    );

    // Refusing the challenge sends the intent back for another card.
    let other = ada
        .order(json!([{ "product": "mug", "quantity": 1 }]))
        .await;
    let (_, started) = ada.pay(&other).await;
    let (_, intent) = ada.confirm(&started, "4000 0025 0000 3155").await;
    let url = intent["next_action"]["redirect_to_url"]["url"]
        .as_str()
        .expect("a URL");
    let refused: Value = ada
        .client
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("outcome=fail")
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(refused["status"], "requires_payment_method");
    assert_eq!(
        refused["last_payment_error"]["code"],
        "payment_intent_authentication_failure"
    );
    let waiting = ada.status_of(&other).await;
    assert_eq!(waiting["status"], "awaiting_payment");
    assert_eq!(
        waiting["last_payment_error"],
        "payment_intent_authentication_failure"
    );
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn only_a_verified_matching_event_pays_and_each_event_counts_once() {
    let sandbox = start().await;
    let secret = sandbox.state.config.payment_webhook_secret.clone();
    let ada = Shopper::login(&sandbox, ADA).await;
    let webhook = format!("{}/api/v1/shop/webhooks", ada.base);
    let post = |signature: Option<String>, body: String| {
        let mut request = ada
            .client
            .post(&webhook)
            .header("content-type", "application/json")
            .body(body);
        if let Some(signature) = signature {
            request = request.header("dojo-signature", signature);
        }
        request.send()
    };
    let succeeded = |event: &str, intent: &Value, order: &Value, amount: u64| {
        json!({
            "id": event,
            "type": "payment_intent.succeeded",
            "data": { "object": {
                "id": intent, "amount_received": amount, "currency": "eur",
                "metadata": { "order_id": order },
            }},
        })
        .to_string()
    };

    let order = ada
        .order(json!([{ "product": "hoodie", "quantity": 2 }]))
        .await;
    let (_, started) = ada.pay(&order).await;
    let intent = &started["payment_intent"];

    // Unsigned, and signed with a guessed secret: refused, the order stays unpaid.
    let body = succeeded("evt_forged", intent, &order["id"], 9000);
    assert_eq!(
        post(None, body.clone()).await.expect("answers").status(),
        StatusCode::BAD_REQUEST
    );
    let guessed = webhook_signature("whsec_guessed", unix_now(), &body);
    assert_eq!(
        post(Some(guessed), body.clone())
            .await
            .expect("answers")
            .status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(ada.status_of(&order).await["status"], "awaiting_payment");

    // Signed, but for the wrong amount: held for a human, not paid.
    let short = succeeded("evt_short", intent, &order["id"], 100);
    let reply = post(Some(webhook_signature(&secret, unix_now(), &short)), short)
        .await
        .expect("answers");
    assert_eq!(reply.status(), StatusCode::OK);
    assert_eq!(ada.status_of(&order).await["status"], "needs_review");

    // A matching event pays another order once, however often it arrives.
    let order = ada
        .order(json!([{ "product": "mug", "quantity": 1 }]))
        .await;
    let (_, started) = ada.pay(&order).await;
    let good = succeeded("evt_good", &started["payment_intent"], &order["id"], 1250);
    let first: Value = post(
        Some(webhook_signature(&secret, unix_now(), &good)),
        good.clone(),
    )
    .await
    .expect("answers")
    .json()
    .await
    .expect("JSON");
    assert_eq!(first["duplicate"], false);
    let paid = ada.status_of(&order).await;
    assert_eq!(paid["status"], "paid");
    receipt(&sandbox, order["id"].as_str().expect("an id")).await;
    let again = post(Some(webhook_signature(&secret, unix_now(), &good)), good)
        .await
        .expect("answers");
    let id = again
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("an id")
        .to_owned();
    let again: Value = again.json().await.expect("JSON");
    assert_eq!(again["duplicate"], true);
    assert_eq!(
        trace_layer(&sandbox, &id, "webhook_idempotency")["decision"],
        "short_circuited"
    );
    assert_eq!(ada.status_of(&order).await["paid_at"], paid["paid_at"]);
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn nobody_else_sees_or_pays_your_order() {
    let sandbox = start().await;
    let ada = Shopper::login(&sandbox, ADA).await;
    let grace = Shopper::login(&sandbox, GRACE).await;
    let order = ada
        .order(json!([{ "product": "mug", "quantity": 1 }]))
        .await;
    let id = order["id"].as_str().expect("an id");
    let (status, problem) = grace
        .call(Method::GET, &format!("{ORDERS}/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    assert_eq!(grace.pay(&order).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        grace
            .call(Method::POST, &format!("{ORDERS}/{id}/return"), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(sandbox.state.payment_provider.intent_count(), 0);
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn the_return_from_checkout_pays_nothing_unless_the_hole_is_open() {
    let dojo = Dojo::new();
    let token = dojo.login().await;
    let auth = format!("Bearer {token}");
    let send = |method: Method, path: String, body: Option<Value>| {
        let headers = [
            ("content-type", "application/json"),
            ("authorization", auth.as_str()),
        ];
        request(
            method,
            &path,
            &headers,
            body.map_or_else(Body::empty, |b| Body::from(b.to_string())),
        )
    };
    let order = dojo
        .send(send(
            Method::POST,
            ORDERS.into(),
            Some(json!({ "items": [{ "product": "hoodie", "quantity": 1 }] })),
        ))
        .await
        .json();
    let id = order["id"].as_str().expect("an id").to_owned();
    let returned = dojo
        .send(send(Method::POST, format!("{ORDERS}/{id}/return"), None))
        .await;
    assert_eq!(returned.status, StatusCode::OK);
    assert_eq!(returned.json()["status"], "awaiting_payment");
    let trace = dojo.trace(&returned.request_id()).await;
    assert_eq!(
        layer(&trace, "payment")["reason"],
        "the return changes nothing: only the provider's signed webhook marks an order paid"
    );

    dojo.switch("payments-paid-on-return", true).await;
    let returned = dojo
        .send(send(Method::POST, format!("{ORDERS}/{id}/return"), None))
        .await;
    let stolen = returned.json();
    assert_eq!(stolen["status"], "paid", "{stolen}");
    assert_eq!(stolen["paid_by"], "client return");
    assert_eq!(
        stolen["payment_intent"],
        Value::Null,
        "nobody ever paid: {stolen}"
    );

    dojo.reset_topic(33).await;
    let gone = dojo
        .send(send(Method::GET, format!("{ORDERS}/{id}"), None))
        .await;
    assert_problem(&gone, 404);
    let order = dojo
        .send(send(
            Method::POST,
            ORDERS.into(),
            Some(json!({ "items": [{ "product": "mug", "quantity": 1 }] })),
        ))
        .await
        .json();
    let id = order["id"].as_str().expect("an id");
    let returned = dojo
        .send(send(Method::POST, format!("{ORDERS}/{id}/return"), None))
        .await;
    assert_eq!(
        returned.json()["status"],
        "awaiting_payment",
        "the reset closed the hole"
    );
}
