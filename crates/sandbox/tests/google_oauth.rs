//! Sign in with Google (topic 7) over real HTTP, the way a browser and an attacker meet
//! it: a sandbox on a loopback port, clients with their own cookie jars that never follow
//! redirects, the mock provider's consent form posted like a browser posts it.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use common::{DEADLINE, config};
use dojo_sandbox::features::google_oauth::{
    GOOGLE_AUTHORIZE_URL, GoogleClientCredentials, SignInOutcome,
};
use dojo_sandbox::features::mock_google::CLIENT_ID;
use dojo_sandbox::switches::Switch;
use dojo_sandbox::trace::Decision;
use dojo_sandbox::{Sandbox, SandboxConfig};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::{StatusCode, Url};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

const CALLBACK: &str = "/api/v1/auth/google/callback";

/// One browser: its own cookie jar, redirects left to the test.
struct Browser {
    http: reqwest::Client,
    base: String,
}

/// One answer, read.
struct Answer {
    status: StatusCode,
    location: Option<String>,
    request_id: String,
    content_type: String,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    fn detail(&self) -> String {
        assert!(
            self.content_type.starts_with("application/problem+json"),
            "{} {}",
            self.content_type,
            self.body
        );
        self.json()["detail"].as_str().expect("a detail").to_owned()
    }

    fn location(&self) -> &str {
        self.location
            .as_deref()
            .unwrap_or_else(|| panic!("expected a redirect, got {} {}", self.status, self.body))
    }
}

async fn read(response: reqwest::Response) -> Answer {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    Answer {
        status: response.status(),
        location: header(LOCATION.as_str()),
        request_id: header("x-request-id").unwrap_or_default(),
        content_type: header(CONTENT_TYPE.as_str()).unwrap_or_default(),
        headers: response.headers().clone(),
        body: response.text().await.expect("a body"),
    }
}

impl Browser {
    fn new(sandbox: &Sandbox) -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .no_proxy()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .timeout(DEADLINE)
                .build()
                .expect("a client"),
            base: format!("http://{}", sandbox.addr),
        }
    }

    async fn get(&self, url: &str, accept: &str) -> Answer {
        let url = if url.starts_with("http") {
            url.to_owned()
        } else {
            format!("{}{url}", self.base)
        };
        read(
            self.http
                .get(url)
                .header(ACCEPT, accept)
                .send()
                .await
                .expect("the sandbox answers"),
        )
        .await
    }

    /// `GET /start`: the authorization URL it redirects to.
    async fn start(&self) -> String {
        let answer = self.get("/api/v1/auth/google/start", "text/html").await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        answer.location().to_owned()
    }

    /// Posts the consent form of `authorize_url` as the browser would.
    async fn consent(&self, authorize_url: &str, account: &str, decision: &str) -> Answer {
        read(
            self.http
                .post(authorize_url)
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(format!("account={account}&decision={decision}"))
                .send()
                .await
                .expect("the provider answers"),
        )
        .await
    }

    /// Start, consent as `account`: the callback URL the provider sends the browser to.
    async fn callback_url(&self, account: &str) -> String {
        let authorize = self.start().await;
        let consent = self.consent(&authorize, account, "allow").await;
        assert_eq!(consent.status, StatusCode::SEE_OTHER, "{}", consent.body);
        consent.location().to_owned()
    }

    /// The whole flow as `account`, answered as JSON.
    async fn sign_in(&self, account: &str) -> Answer {
        let callback = self.callback_url(account).await;
        self.get(&callback, "application/json").await
    }
}

fn query_value(url: &str, name: &str) -> Option<String> {
    Url::parse(url)
        .expect("a URL")
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn with_query_value(url: &str, name: &str, value: &str) -> String {
    let mut url = Url::parse(url).expect("a URL");
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut().clear();
    for (k, v) in pairs {
        url.query_pairs_mut()
            .append_pair(&k, if k == name { value } else { &v });
    }
    url.to_string()
}

/// The decision and reason of one layer of a request's trace.
fn decision(sandbox: &Sandbox, request_id: &str, layer: &str) -> (Decision, String) {
    let trace = sandbox
        .state
        .traces
        .get(request_id)
        .unwrap_or_else(|| panic!("no trace {request_id}"));
    let span = trace
        .layers
        .iter()
        .find(|l| l.layer == layer)
        .unwrap_or_else(|| {
            let names: Vec<&str> = trace.layers.iter().map(|l| l.layer.as_str()).collect();
            panic!("no layer {layer} in {names:?}")
        });
    (span.decision, span.reason.clone().unwrap_or_default())
}

async fn sandbox_with(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config).await.expect("the sandbox starts")
}

async fn sandbox() -> Sandbox {
    sandbox_with(config()).await
}

#[tokio::test]
async fn start_redirects_to_the_consent_page_with_state_nonce_and_an_s256_challenge() {
    let sandbox = sandbox().await;
    let browser = Browser::new(&sandbox);
    let answer = browser.get("/api/v1/auth/google/start", "text/html").await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let location = answer.location();
    let base = &browser.base;
    assert!(
        location.starts_with(&format!("{base}/mock/google/authorize?")),
        "{location}"
    );
    assert_eq!(
        query_value(location, "response_type").as_deref(),
        Some("code")
    );
    assert_eq!(
        query_value(location, "client_id").as_deref(),
        Some(CLIENT_ID)
    );
    assert_eq!(
        query_value(location, "redirect_uri"),
        Some(format!("{base}{CALLBACK}"))
    );
    assert_eq!(
        query_value(location, "scope").as_deref(),
        Some("openid email profile")
    );
    assert_eq!(
        query_value(location, "code_challenge_method").as_deref(),
        Some("S256")
    );
    let challenge = query_value(location, "code_challenge").expect("a challenge");
    assert_eq!(
        URL_SAFE_NO_PAD.decode(&challenge).expect("base64url").len(),
        32
    );
    let state = query_value(location, "state").expect("a state");
    let nonce = query_value(location, "nonce").expect("a nonce");
    assert!(state.len() >= 22 && nonce.len() >= 32, "{state} {nonce}");
    assert_ne!(state, nonce);

    let cookie = answer.headers[SET_COOKIE].to_str().expect("ASCII");
    assert!(cookie.starts_with("dojo_google_attempt="), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/api/v1/auth/google"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    // The attempt id in the cookie is neither the state nor anything in the URL.
    let attempt = cookie
        .split(';')
        .next()
        .and_then(|p| p.split_once('='))
        .map(|(_, v)| v)
        .expect("a value");
    assert!(!location.contains(attempt));

    // A second start gets fresh values.
    let again = browser.start().await;
    assert_ne!(
        query_value(&again, "state").as_deref(),
        Some(state.as_str())
    );
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn the_consent_page_lists_the_scopes_and_accounts_and_can_be_a_popup() {
    let sandbox = sandbox().await;
    let browser = Browser::new(&sandbox);
    let authorize = browser.start().await;
    let page = browser.get(&authorize, "text/html").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.content_type.starts_with("text/html"),
        "{}",
        page.content_type
    );
    for text in [
        "Backend Dojo sandbox",
        "ada@dojo.test",
        "katherine@dojo.test",
        "grace@dojo.test",
        "not verified",
        "See your primary Google Account email address",
        "value=\"allow\"",
        "value=\"deny\"",
        "<form method=\"post\">",
    ] {
        assert!(page.body.contains(text), "{text} missing");
    }
    let csp = page.headers["content-security-policy"]
        .to_str()
        .expect("ASCII");
    assert!(csp.contains("form-action 'self'") && csp.contains("frame-ancestors 'none'"));
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(page.headers["cross-origin-opener-policy"], "unsafe-none");
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn signing_in_links_ada_by_her_verified_address_and_her_token_works() {
    let sandbox = sandbox().await;
    let mut events = sandbox.state.user_events.subscribe();
    let mut outcomes = sandbox.state.google_logins.subscribe();
    let browser = Browser::new(&sandbox);
    let callback = browser.callback_url("ada").await;
    assert!(
        callback.starts_with(&format!("{}{CALLBACK}?", browser.base)),
        "{callback}"
    );
    assert!(query_value(&callback, "code").is_some());

    let answer = browser.get(&callback, "application/json").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let body = answer.json();
    assert_eq!(body["user"]["id"], 1);
    assert_eq!(body["user"]["email"], "ada@dojo.test");
    assert_eq!(body["user"]["role"], "user");
    assert_eq!(body["link"], "linked-by-verified-email");
    assert_eq!(body["google"]["email_verified"], true);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["google_identities"][0]["sub"], body["google"]["sub"]);
    // The attempt cookie is cleared.
    let cleared = answer.headers[SET_COOKIE].to_str().expect("ASCII");
    assert!(cleared.contains("dojo_google_attempt=;") && cleared.contains("Max-Age=0"));

    // The sandbox's own token, not Google's, opens the sandbox's routes.
    let token = body["access_token"].as_str().expect("a token");
    let me = browser
        .http
        .get(format!("{}/api/v1/me", browser.base))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .send()
        .await
        .expect("me answers");
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(
        me.json::<Value>().await.expect("JSON")["email"],
        "ada@dojo.test"
    );

    // Every check of the callback is in its trace, the provider's included.
    for layer in [
        "google_state",
        "google_exchange",
        "mock_google",
        "id_token",
        "account_link",
    ] {
        let (decided, reason) = decision(&sandbox, &answer.request_id, layer);
        assert_eq!(decided, Decision::Passed, "{layer}: {reason}");
    }
    let (_, reason) = decision(&sandbox, &answer.request_id, "account_link");
    assert!(reason.contains("verified"), "{reason}");

    // Ada hears that a sign-in method joined her account; the shell hears the outcome.
    let event = events.try_recv().expect("an event was published");
    assert_eq!((event.user_id, event.name.as_str()), (1, "google.linked"));
    match outcomes.try_recv().expect("an outcome") {
        SignInOutcome::SignedIn {
            user_id,
            access_token,
            ..
        } => assert_eq!((user_id, access_token.as_str()), (1, token)),
        other => panic!("{other:?}"),
    }

    // Signing in again finds the identity by its sub.
    let again = browser.sign_in("ada").await;
    assert_eq!(again.json()["link"], "already-linked");
    assert_eq!(again.json()["user"]["id"], 1);
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn an_address_nobody_has_gets_a_new_account_once() {
    let sandbox = sandbox().await;
    let browser = Browser::new(&sandbox);
    let first = browser.sign_in("katherine").await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let id = first.json()["user"]["id"].as_u64().expect("an id");
    assert!(id >= 7000, "{id}");
    assert_eq!(first.json()["link"], "new-account");
    assert_eq!(first.json()["user"]["name"], "Katherine Johnson");

    let second = Browser::new(&sandbox).sign_in("katherine").await;
    assert_eq!(second.json()["user"]["id"], id);
    assert_eq!(second.json()["link"], "already-linked");
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_browser_gets_a_result_page_that_hands_the_token_to_its_opener_only() {
    let sandbox = sandbox().await;
    let browser = Browser::new(&sandbox);
    let callback = browser.callback_url("ada").await;
    let page = browser
        .get(&callback, "text/html,application/xhtml+xml")
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.content_type.starts_with("text/html"));
    assert!(page.body.contains("Signed in as Ada Lovelace"));
    assert!(
        page.body
            .contains("window.opener.postMessage(message, origin)")
    );
    assert!(!page.body.contains("postMessage(message, '*')"));
    // The result and the origins it may go to are data, not code.
    let data = |id: &str| -> Value {
        let marker = format!("id=\"{id}\">");
        let start = page.body.find(&marker).expect("the data block") + marker.len();
        let end = start + page.body[start..].find("</script>").expect("its end");
        serde_json::from_str(&page.body[start..end]).expect("JSON data")
    };
    assert_eq!(data("dojo-google-result")["user"]["id"], 1);
    let origins = data("dojo-google-origins");
    assert_eq!(origins[0], browser.base.as_str());
    assert!(origins.as_array().expect("a list").iter().all(|o| o != "*"));
    let csp = page.headers["content-security-policy"]
        .to_str()
        .expect("ASCII");
    assert!(csp.contains("script-src 'sha256-"), "{csp}");
    assert_eq!(page.headers["cross-origin-opener-policy"], "unsafe-none");
    assert_eq!(page.headers["cache-control"], "no-store");
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_wrong_or_missing_state_is_refused_and_spends_the_attempt() {
    let sandbox = sandbox().await;
    let browser = Browser::new(&sandbox);
    let callback = browser.callback_url("ada").await;
    let forged = with_query_value(&callback, "state", "not-the-state");
    let refused = browser.get(&forged, "application/json").await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.detail().contains("state does not match"),
        "{}",
        refused.body
    );
    let (decided, reason) = decision(&sandbox, &refused.request_id, "google_state");
    assert_eq!(decided, Decision::ShortCircuited);
    assert!(reason.contains("login CSRF"), "{reason}");

    // The attempt was single-use: the genuine callback no longer works either.
    let late = browser.get(&callback, "application/json").await;
    assert_eq!(late.status, StatusCode::BAD_REQUEST);
    assert!(
        late.detail().contains("no dojo_google_attempt cookie"),
        "{}",
        late.body
    );

    let no_state = browser
        .get(&format!("{CALLBACK}?code=abc"), "application/json")
        .await;
    assert_eq!(no_state.status, StatusCode::BAD_REQUEST);
    assert!(no_state.detail().contains("no state"), "{}", no_state.body);
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn login_csrf_works_only_with_the_state_check_switched_off() {
    let sandbox = sandbox().await;
    // The attacker signs in with their own Google account and stops before the callback.
    let attacker = Browser::new(&sandbox);
    let trap = attacker.callback_url("katherine").await;
    // The victim has started a sign-in of their own, then opens the attacker's link.
    let victim = Browser::new(&sandbox);
    victim.start().await;
    let refused = victim.get(&trap, "application/json").await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.detail().contains("login CSRF refused"),
        "{}",
        refused.body
    );

    // Again with the hole open: the victim ends up in the attacker's account.
    let trap = attacker.callback_url("katherine").await;
    sandbox
        .state
        .switches
        .set(Switch::GoogleSkipStateCheck, true);
    let victim = Browser::new(&sandbox);
    let hijacked = victim.get(&trap, "application/json").await;
    assert_eq!(hijacked.status, StatusCode::OK, "{}", hijacked.body);
    assert_eq!(hijacked.json()["user"]["email"], "katherine@dojo.test");
    let (decided, reason) = decision(&sandbox, &hijacked.request_id, "google_state");
    assert_eq!(decided, Decision::Passed);
    assert!(reason.contains("google-skip-state-check is on"), "{reason}");
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn denied_consent_is_a_clear_403() {
    let sandbox = sandbox().await;
    let browser = Browser::new(&sandbox);
    let authorize = browser.start().await;
    let denied = browser.consent(&authorize, "ada", "deny").await;
    assert_eq!(denied.status, StatusCode::SEE_OTHER);
    assert_eq!(
        query_value(denied.location(), "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(
        query_value(denied.location(), "state"),
        query_value(&authorize, "state")
    );
    let answer = browser.get(denied.location(), "application/json").await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer.detail().contains("access_denied"), "{}", answer.body);
    let (decided, _) = decision(&sandbox, &answer.request_id, "google_consent");
    assert_eq!(decided, Decision::ShortCircuited);
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_code_used_twice_is_refused_by_the_provider() {
    let sandbox = sandbox().await;
    let browser = Browser::new(&sandbox);
    let first = browser.callback_url("ada").await;
    assert_eq!(
        browser.get(&first, "application/json").await.status,
        StatusCode::OK
    );
    // A new attempt in the same browser, answered with the old code.
    let authorize = browser.start().await;
    let replay = format!(
        "{}{CALLBACK}?code={}&state={}",
        browser.base,
        query_value(&first, "code").expect("a code"),
        query_value(&authorize, "state").expect("a state")
    );
    let refused = browser.get(&replay, "application/json").await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let detail = refused.detail();
    assert!(
        detail.contains("invalid_grant") && detail.contains("already used"),
        "{detail}"
    );
    let (decided, reason) = decision(&sandbox, &refused.request_id, "mock_google");
    assert_eq!(decided, Decision::ShortCircuited);
    assert!(reason.contains("already used"), "{reason}");
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_code_injected_into_another_attempt_fails_pkce() {
    let sandbox = sandbox().await;
    // A code issued for one attempt (one verifier)...
    let browser = Browser::new(&sandbox);
    let stolen = browser.callback_url("ada").await;
    // ...redeemed under another attempt, whose state is right but whose verifier is not.
    let authorize = browser.start().await;
    let injected = with_query_value(
        &stolen,
        "state",
        &query_value(&authorize, "state").expect("a state"),
    );
    let refused = browser.get(&injected, "application/json").await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let detail = refused.detail();
    assert!(detail.contains("PKCE verification failed"), "{detail}");
    let (decided, _) = decision(&sandbox, &refused.request_id, "google_exchange");
    assert_eq!(decided, Decision::ShortCircuited);
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn an_id_token_minted_for_another_nonce_is_refused() {
    let sandbox = sandbox().await;
    let browser = Browser::new(&sandbox);
    let authorize = browser.start().await;
    // Someone rewrote the nonce on its way to the provider.
    let tampered = with_query_value(&authorize, "nonce", "a-nonce-of-someone-elses");
    let consent = browser.consent(&tampered, "ada", "allow").await;
    let refused = browser.get(consent.location(), "application/json").await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(
        refused.detail().contains("nonce does not match"),
        "{}",
        refused.body
    );
    let (decided, _) = decision(&sandbox, &refused.request_id, "id_token");
    assert_eq!(decided, Decision::ShortCircuited);
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn an_unverified_address_takes_over_an_account_only_with_the_switch_on() {
    let sandbox = sandbox().await;
    let refused = Browser::new(&sandbox).sign_in("mallory").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused
            .detail()
            .contains("has not verified grace@dojo.test"),
        "{}",
        refused.body
    );
    let (decided, _) = decision(&sandbox, &refused.request_id, "account_link");
    assert_eq!(decided, Decision::ShortCircuited);

    sandbox
        .state
        .switches
        .set(Switch::GoogleLinkUnverifiedEmail, true);
    let taken = Browser::new(&sandbox).sign_in("mallory").await;
    assert_eq!(taken.status, StatusCode::OK, "{}", taken.body);
    let body = taken.json();
    assert_eq!(body["user"]["id"], 2);
    assert_eq!(body["user"]["role"], "admin");
    assert_eq!(body["link"], "linked-by-unverified-email");
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn an_expired_attempt_is_refused() {
    let sandbox = sandbox_with(SandboxConfig {
        google: dojo_sandbox::features::google_oauth::GoogleOAuthConfig {
            attempt_ttl: std::time::Duration::ZERO,
            ..Default::default()
        },
        ..config()
    })
    .await;
    // A client that keeps the cookie whatever its Max-Age says, like a stale tab.
    let browser = Browser::new(&sandbox);
    let start = browser.get("/api/v1/auth/google/start", "text/html").await;
    let cookie = start.headers[SET_COOKIE]
        .to_str()
        .expect("ASCII")
        .split(';')
        .next()
        .expect("name=value")
        .to_owned();
    let authorize = start.location().to_owned();
    let consent = browser.consent(&authorize, "ada", "allow").await;
    let refused = read(
        browser
            .http
            .get(consent.location())
            .header(COOKIE, cookie)
            .header(ACCEPT, "application/json")
            .send()
            .await
            .expect("answers"),
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.detail().contains("expired"), "{}", refused.body);
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn the_authorize_endpoint_never_redirects_to_an_unregistered_uri() {
    let sandbox = sandbox().await;
    let browser = Browser::new(&sandbox);
    let authorize = browser.start().await;
    let elsewhere = with_query_value(
        &authorize,
        "redirect_uri",
        "https://evil.example/api/v1/auth/google/callback",
    );
    let page = browser.get(&elsewhere, "text/html").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.location.is_none());
    assert!(
        page.detail().contains("redirect_uri_mismatch"),
        "{}",
        page.body
    );

    let stranger = with_query_value(&authorize, "client_id", "someone-else");
    let page = browser.get(&stranger, "text/html").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.detail().contains("invalid_client"), "{}", page.body);

    // With the client and redirect known, other mistakes go back to the client.
    let plain = with_query_value(&authorize, "code_challenge_method", "plain");
    let back = browser.get(&plain, "text/html").await;
    assert_eq!(back.status, StatusCode::SEE_OTHER);
    assert_eq!(
        query_value(back.location(), "error").as_deref(),
        Some("invalid_request")
    );
    let unknown_account = browser.consent(&authorize, "eve", "allow").await;
    assert_eq!(unknown_account.status, StatusCode::BAD_REQUEST);
    assert!(unknown_account.detail().contains("ada, katherine, mallory"));
    sandbox.shutdown().await.expect("clean shutdown");
}

/// The provider's token endpoint, driven directly like any OAuth client would.
mod token_endpoint {
    use super::*;

    const VERIFIER: &str = "a-verifier-of-forty-three-characters-or-more-0123";

    fn challenge(verifier: &str) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
    }

    /// Consents as Ada for a request this test built itself: the code.
    async fn code(browser: &Browser, nonce: &str) -> String {
        let authorize = format!(
            "{base}/mock/google/authorize?response_type=code&client_id={CLIENT_ID}\
             &redirect_uri={base}{CALLBACK}&scope=openid%20email%20profile&state=s1\
             &nonce={nonce}&code_challenge={}&code_challenge_method=S256",
            challenge(VERIFIER),
            base = browser.base,
        );
        let consent = browser.consent(&authorize, "ada", "allow").await;
        query_value(consent.location(), "code").expect("a code")
    }

    async fn redeem(
        browser: &Browser,
        sandbox: &Sandbox,
        code: &str,
        verifier: &str,
        secret: Option<&str>,
        redirect_uri: Option<&str>,
    ) -> Answer {
        let default_redirect = format!("{}{CALLBACK}", browser.base);
        let redirect_uri = redirect_uri.unwrap_or(&default_redirect);
        let secret = secret.unwrap_or(sandbox.state.mock_google.client_secret());
        let basic = STANDARD.encode(format!("{CLIENT_ID}:{secret}"));
        read(
            browser
                .http
                .post(format!("{}/mock/google/token", browser.base))
                .header(AUTHORIZATION, format!("Basic {basic}"))
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(format!(
                    "grant_type=authorization_code&code={code}&code_verifier={verifier}\
                     &redirect_uri={redirect_uri}"
                ))
                .send()
                .await
                .expect("answers"),
        )
        .await
    }

    fn oauth_error(answer: &Answer) -> (String, String) {
        assert!(
            answer.content_type.starts_with("application/json"),
            "{}",
            answer.content_type
        );
        let body = answer.json();
        (
            body["error"].as_str().expect("error").to_owned(),
            body["error_description"]
                .as_str()
                .expect("description")
                .to_owned(),
        )
    }

    #[tokio::test]
    async fn a_good_exchange_answers_a_verifiable_id_token_and_a_userinfo_token() {
        let sandbox = sandbox().await;
        let browser = Browser::new(&sandbox);
        let code = code(&browser, "n-42").await;
        let answer = redeem(&browser, &sandbox, &code, VERIFIER, None, None).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        assert_eq!(answer.headers["cache-control"], "no-store");
        let tokens = answer.json();
        assert_eq!(tokens["token_type"], "Bearer");
        assert_eq!(tokens["scope"], "openid email profile");

        // Discovery names the key set; the key set verifies the ID token.
        let discovery = browser
            .get(
                "/mock/google/.well-known/openid-configuration",
                "application/json",
            )
            .await
            .json();
        let issuer = format!("{}/mock/google", browser.base);
        assert_eq!(discovery["issuer"], issuer.as_str());
        assert_eq!(discovery["code_challenge_methods_supported"][0], "S256");
        let jwks: JwkSet = serde_json::from_str(
            &browser
                .get(
                    discovery["jwks_uri"].as_str().expect("jwks_uri"),
                    "application/json",
                )
                .await
                .body,
        )
        .expect("a JWKS");
        let id_token = tokens["id_token"].as_str().expect("an ID token");
        let kid = jsonwebtoken::decode_header(id_token)
            .expect("a header")
            .kid
            .expect("a kid");
        let key = DecodingKey::from_jwk(jwks.find(&kid).expect("published")).expect("a key");
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[CLIENT_ID]);
        validation.set_issuer(&[issuer.as_str()]);
        let claims = jsonwebtoken::decode::<Value>(id_token, &key, &validation)
            .expect("the ID token verifies")
            .claims;
        assert_eq!(claims["email"], "ada@dojo.test");
        assert_eq!(claims["email_verified"], true);
        assert_eq!(claims["nonce"], "n-42");

        // The access token is for Google's APIs: here, userinfo.
        let access = tokens["access_token"].as_str().expect("an access token");
        let profile = browser
            .http
            .get(format!("{}/mock/google/userinfo", browser.base))
            .header(AUTHORIZATION, format!("Bearer {access}"))
            .send()
            .await
            .expect("answers");
        assert_eq!(profile.status(), StatusCode::OK);
        let profile: Value = profile.json().await.expect("JSON");
        assert_eq!(profile["sub"], claims["sub"]);
        assert_eq!(profile["name"], "Ada Lovelace");

        // The code again: refused, and the token it bought stops working.
        let replay = redeem(&browser, &sandbox, &code, VERIFIER, None, None).await;
        assert_eq!(replay.status, StatusCode::BAD_REQUEST);
        let (error, description) = oauth_error(&replay);
        assert_eq!(error, "invalid_grant");
        assert!(description.contains("already used"), "{description}");
        let revoked = browser
            .http
            .get(format!("{}/mock/google/userinfo", browser.base))
            .header(AUTHORIZATION, format!("Bearer {access}"))
            .send()
            .await
            .expect("answers");
        assert_eq!(revoked.status(), StatusCode::UNAUTHORIZED);
        let challenge = revoked.headers()["www-authenticate"]
            .to_str()
            .expect("ASCII");
        assert!(challenge.contains("invalid_token"), "{challenge}");
        sandbox.shutdown().await.expect("clean shutdown");
    }

    #[tokio::test]
    async fn each_bad_exchange_gets_its_oauth_error() {
        let sandbox = sandbox().await;
        let browser = Browser::new(&sandbox);

        let wrong_secret = redeem(
            &browser,
            &sandbox,
            &code(&browser, "n").await,
            VERIFIER,
            Some("guessed"),
            None,
        )
        .await;
        assert_eq!(wrong_secret.status, StatusCode::UNAUTHORIZED);
        assert_eq!(oauth_error(&wrong_secret).0, "invalid_client");

        let wrong_redirect = redeem(
            &browser,
            &sandbox,
            &code(&browser, "n").await,
            VERIFIER,
            None,
            Some("http://127.0.0.1:1/elsewhere"),
        )
        .await;
        assert_eq!(wrong_redirect.status, StatusCode::BAD_REQUEST);
        let (error, description) = oauth_error(&wrong_redirect);
        assert_eq!(error, "invalid_grant");
        assert!(description.contains("redirect_uri"), "{description}");

        let wrong_verifier = redeem(
            &browser,
            &sandbox,
            &code(&browser, "n").await,
            "another-verifier-of-forty-three-characters-or-more",
            None,
            None,
        )
        .await;
        let (error, description) = oauth_error(&wrong_verifier);
        assert_eq!(error, "invalid_grant");
        assert!(description.contains("PKCE"), "{description}");

        let unknown = redeem(&browser, &sandbox, "made-up", VERIFIER, None, None).await;
        assert_eq!(oauth_error(&unknown).0, "invalid_grant");

        let wrong_grant = read(
            browser
                .http
                .post(format!("{}/mock/google/token", browser.base))
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(format!(
                    "grant_type=password&client_id={CLIENT_ID}&client_secret={}",
                    sandbox.state.mock_google.client_secret()
                ))
                .send()
                .await
                .expect("answers"),
        )
        .await;
        assert_eq!(oauth_error(&wrong_grant).0, "unsupported_grant_type");
        sandbox.shutdown().await.expect("clean shutdown");
    }

    #[tokio::test]
    async fn codes_expire() {
        let sandbox = sandbox_with(SandboxConfig {
            google: dojo_sandbox::features::google_oauth::GoogleOAuthConfig {
                mock_code_ttl: std::time::Duration::ZERO,
                ..Default::default()
            },
            ..config()
        })
        .await;
        let browser = Browser::new(&sandbox);
        let expired = redeem(
            &browser,
            &sandbox,
            &code(&browser, "n").await,
            VERIFIER,
            None,
            None,
        )
        .await;
        let (error, description) = oauth_error(&expired);
        assert_eq!(error, "invalid_grant");
        assert!(description.contains("expired"), "{description}");

        // Through the sandbox the same refusal is a clear 400.
        let answer = browser.sign_in("ada").await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
        assert!(
            answer.detail().contains("authorization code expired"),
            "{}",
            answer.body
        );
        sandbox.shutdown().await.expect("clean shutdown");
    }
}

#[tokio::test]
async fn a_real_google_client_sends_the_browser_to_google() {
    let sandbox = sandbox_with(SandboxConfig {
        google: dojo_sandbox::features::google_oauth::GoogleOAuthConfig {
            real_client: Some(GoogleClientCredentials::new(
                "1234-abc.apps.googleusercontent.com",
                "a-real-secret",
            )),
            ..Default::default()
        },
        ..config()
    })
    .await;
    let browser = Browser::new(&sandbox);
    let location = browser.start().await;
    assert!(location.starts_with(GOOGLE_AUTHORIZE_URL), "{location}");
    assert_eq!(
        query_value(&location, "client_id").as_deref(),
        Some("1234-abc.apps.googleusercontent.com")
    );
    assert_eq!(
        query_value(&location, "redirect_uri"),
        Some(format!("{}{CALLBACK}", browser.base))
    );
    assert_eq!(
        query_value(&location, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert!(!location.contains("a-real-secret"));
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn resetting_topic_7_forgets_links_and_closes_its_holes() {
    let sandbox = sandbox().await;
    let first = Browser::new(&sandbox).sign_in("ada").await;
    assert_eq!(first.json()["link"], "linked-by-verified-email");
    sandbox
        .state
        .switches
        .set(Switch::GoogleSkipStateCheck, true);
    let reset = reqwest::Client::new()
        .post(format!("http://{}/_dojo/topics/7/reset", sandbox.addr))
        .header(
            dojo_sandbox::TOOLING_TOKEN_HEADER,
            sandbox.state.config.tooling_token.as_str(),
        )
        .send()
        .await
        .expect("answers");
    assert_eq!(reset.status(), StatusCode::OK);
    let cleared: Value = reset.json().await.expect("JSON");
    assert!(
        cleared["cleared"][0]
            .as_str()
            .expect("what")
            .contains("Google")
    );
    assert!(!sandbox.state.switches.is_on(Switch::GoogleSkipStateCheck));
    let again = Browser::new(&sandbox).sign_in("ada").await;
    assert_eq!(again.json()["link"], "linked-by-verified-email");
    sandbox.shutdown().await.expect("clean shutdown");
}

/// The app's verifier for the handoff tests, and a second one it never used.
const APP_VERIFIER: &str = "ZdNq0tR3Qy8cW1hVgmK5s9xLbPj2uEoYfA7nHkD4wTi";
const OTHER_VERIFIER: &str = "Mb5vX2pQ9rT4kL7wN1cZ8yH3gF6dS0aJ2eU5iO8uYtR";

impl Browser {
    /// What the app's window opens first: the handoff start with the app's challenge. Returns
    /// the authorization URL the usual start sends the window on to.
    async fn start_for_app(&self, verifier: &str) -> String {
        let challenge = dojo_sandbox::features::google_oauth::challenge_of(verifier);
        let first = self
            .get(
                &format!("/api/v1/auth/google/handoff/start?challenge={challenge}"),
                "text/html",
            )
            .await;
        assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
        assert_eq!(first.location(), "/api/v1/auth/google/start");
        let cookie = first.headers[SET_COOKIE].to_str().expect("ASCII");
        assert!(
            cookie.starts_with(&format!("dojo_google_handoff={challenge};")),
            "{cookie}"
        );
        for attribute in ["HttpOnly", "SameSite=Lax", "Path=/api/v1/auth/google"] {
            assert!(cookie.contains(attribute), "{cookie}");
        }
        self.start().await
    }
}

/// The app collecting an outcome: its own client, none of the window's cookies.
async fn collect(sandbox: &Sandbox, body: &str) -> Answer {
    read(
        reqwest::Client::new()
            .post(format!(
                "http://{}/api/v1/auth/google/handoff",
                sandbox.addr
            ))
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_owned())
            .send()
            .await
            .expect("the sandbox answers"),
    )
    .await
}

fn verifier_body(verifier: &str) -> String {
    serde_json::json!({ "verifier": verifier }).to_string()
}

#[tokio::test]
async fn an_app_window_sign_in_is_collected_once_with_the_apps_verifier() {
    let sandbox = sandbox().await;
    let window = Browser::new(&sandbox);
    let authorize = window.start_for_app(APP_VERIFIER).await;
    let consent = window.consent(&authorize, "ada", "allow").await;
    assert_eq!(consent.status, StatusCode::SEE_OTHER, "{}", consent.body);

    // Nothing is filed before the callback runs.
    let early = collect(&sandbox, &verifier_body(APP_VERIFIER)).await;
    assert_eq!(early.status, StatusCode::NOT_FOUND, "{}", early.body);
    assert!(early.detail().contains("has not run yet"), "{}", early.body);

    // The window lands on the result page, which says the app collects the result.
    let page = window
        .get(consent.location(), "text/html,application/xhtml+xml")
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Signed in as Ada Lovelace"));
    assert!(
        page.body.contains("id=\"dojo-google-filed\">true</script>"),
        "{}",
        page.body
    );
    let cleared: Vec<&str> = page
        .headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().expect("ASCII"))
        .collect();
    assert!(
        cleared
            .iter()
            .any(|c| c.starts_with("dojo_google_handoff=;") && c.contains("Max-Age=0")),
        "{cleared:?}"
    );

    // Another verifier collects nothing; the app's own collects the sign-in, once.
    let wrong = collect(&sandbox, &verifier_body(OTHER_VERIFIER)).await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND, "{}", wrong.body);
    let collected = collect(&sandbox, &verifier_body(APP_VERIFIER)).await;
    assert_eq!(collected.status, StatusCode::OK, "{}", collected.body);
    assert_eq!(collected.headers["cache-control"], "no-store");
    let outcome = collected.json();
    assert_eq!(outcome["outcome"], "signed_in");
    assert_eq!(outcome["user"]["email"], "ada@dojo.test");
    assert_eq!(outcome["user"]["name"], "Ada Lovelace");
    assert_eq!(outcome["link"], "linked-by-verified-email");
    let token = outcome["access_token"].as_str().expect("a token");
    let me = reqwest::Client::new()
        .get(format!("http://{}/api/v1/me", sandbox.addr))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .send()
        .await
        .expect("me answers");
    assert_eq!(me.status(), StatusCode::OK);
    let (decided, reason) = decision(&sandbox, &collected.request_id, "google_handoff");
    assert_eq!(decided, Decision::Passed, "{reason}");

    let again = collect(&sandbox, &verifier_body(APP_VERIFIER)).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "{}", again.body);
    assert!(
        again.detail().contains("collected already"),
        "{}",
        again.body
    );
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_refused_app_window_sign_in_is_filed_as_the_refusal() {
    let sandbox = sandbox().await;
    // Denied on the consent page.
    let window = Browser::new(&sandbox);
    let authorize = window.start_for_app(APP_VERIFIER).await;
    let denied = window.consent(&authorize, "ada", "deny").await;
    let answer = window.get(denied.location(), "text/html").await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    let outcome = collect(&sandbox, &verifier_body(APP_VERIFIER)).await.json();
    assert_eq!(outcome["outcome"], "refused");
    assert_eq!(outcome["status"], 403);
    assert!(
        outcome["detail"]
            .as_str()
            .expect("a detail")
            .contains("access_denied"),
        "{outcome}"
    );

    // A callback whose state is not this window's: the login CSRF refusal is filed too.
    let window = Browser::new(&sandbox);
    let authorize = window.start_for_app(OTHER_VERIFIER).await;
    let consent = window.consent(&authorize, "ada", "allow").await;
    let forged = with_query_value(consent.location(), "state", "not-the-state");
    let refused = window.get(&forged, "text/html").await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    let outcome = collect(&sandbox, &verifier_body(OTHER_VERIFIER))
        .await
        .json();
    assert_eq!(outcome["outcome"], "refused");
    assert_eq!(outcome["status"], 400);
    assert!(
        outcome["detail"]
            .as_str()
            .expect("a detail")
            .contains("state does not match"),
        "{outcome}"
    );
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_sign_in_started_without_the_handoff_files_nothing() {
    let sandbox = sandbox().await;
    let browser = Browser::new(&sandbox);
    let page = browser
        .get(&browser.callback_url("ada").await, "text/html")
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains("id=\"dojo-google-filed\">false</script>")
    );
    let nothing = collect(&sandbox, &verifier_body(APP_VERIFIER)).await;
    assert_eq!(nothing.status, StatusCode::NOT_FOUND, "{}", nothing.body);
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn malformed_challenges_and_verifiers_are_refused_with_the_reason() {
    let sandbox = sandbox().await;
    let browser = Browser::new(&sandbox);
    for query in [
        "",
        "?challenge=",
        "?challenge=not-a-hash",
        "?challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw%2BcM",
    ] {
        let answer = browser
            .get(
                &format!("/api/v1/auth/google/handoff/start{query}"),
                "text/html",
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{query}: {}",
            answer.body
        );
        assert!(
            answer.detail().contains("base64url SHA-256"),
            "{query}: {}",
            answer.body
        );
        assert!(answer.headers.get(SET_COOKIE).is_none(), "{query}");
    }
    for body in [
        verifier_body("short"),
        verifier_body(&format!("{APP_VERIFIER}/")),
    ] {
        let answer = collect(&sandbox, &body).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            answer.body
        );
        assert!(answer.detail().contains("43 to 128"), "{}", answer.body);
    }
    let no_field = collect(&sandbox, "{}").await;
    assert_eq!(
        no_field.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        no_field.body
    );
    assert!(
        no_field.body.contains("missing field `verifier`"),
        "{}",
        no_field.body
    );
    let not_json = reqwest::Client::new()
        .post(format!(
            "http://{}/api/v1/auth/google/handoff",
            sandbox.addr
        ))
        .body(verifier_body(APP_VERIFIER))
        .send()
        .await
        .expect("answers");
    assert_eq!(not_json.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn resetting_topic_7_forgets_outcomes_no_app_collected() {
    let sandbox = sandbox().await;
    let window = Browser::new(&sandbox);
    let authorize = window.start_for_app(APP_VERIFIER).await;
    let consent = window.consent(&authorize, "ada", "allow").await;
    let page = window.get(consent.location(), "application/json").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let reset = reqwest::Client::new()
        .post(format!("http://{}/_dojo/topics/7/reset", sandbox.addr))
        .header(
            dojo_sandbox::TOOLING_TOKEN_HEADER,
            sandbox.state.config.tooling_token.as_str(),
        )
        .send()
        .await
        .expect("answers");
    assert_eq!(reset.status(), StatusCode::OK);
    let gone = collect(&sandbox, &verifier_body(APP_VERIFIER)).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND, "{}", gone.body);
    sandbox.shutdown().await.expect("clean shutdown");
}
