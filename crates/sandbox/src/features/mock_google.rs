//! The built-in mock Google (topic 7): an OpenID Connect provider on the sandbox's own port
//! that speaks Google's protocol, so "Sign in with Google" works offline and every step
//! can be watched and attacked.
//!
//! - `GET /mock/google/.well-known/openid-configuration`: discovery, as Google publishes it.
//! - `GET /mock/google/authorize`: the consent page. It checks the client and its registered
//!   redirect URI first (a bad one is refused on the page, never redirected to), then the
//!   rest of the request (`response_type=code`, known scopes, PKCE with `S256`); those
//!   errors go back to the redirect URI as `error=...&state=...`.
//! - `POST /mock/google/authorize` (same query string): the consent form's answer, with
//!   `account` (`ada`, `katherine` or `mallory`) and `decision` (`allow` or `deny`). Allow
//!   answers 303 to the redirect URI with a single-use code that lives a minute; deny with
//!   `error=access_denied`. Scripts and drills post this form directly.
//! - `POST /mock/google/token`: the code exchange. Client authentication (HTTP Basic or
//!   body), the code (known, unused, unexpired, issued to this client), the same
//!   `redirect_uri`, and the PKCE `code_verifier` whose SHA-256 must equal the challenge.
//!   Errors are RFC 6749 JSON (`invalid_grant`, `invalid_client`, ...). A code presented a
//!   second time revokes the access token issued for it.
//! - `GET /mock/google/userinfo`: the profile, for the access token.
//! - `GET /mock/google/certs`: the JWKS that verifies the RS256 ID tokens.
//!
//! The one registered client is the sandbox itself: client id [`CLIENT_ID`], a secret that
//! is random per sandbox, and the redirect URI `/api/v1/auth/google/callback` on the origin
//! the provider is reached at.

mod consent_page;
mod keys;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode, Uri, header};
use axum::response::IntoResponse;
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use oauth2::url::form_urlencoded;
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use tower::ServiceExt as _;

pub(crate) use keys::SigningKey;

use crate::error::{ApiError, ApiResult, PROBLEM_BASE, ProblemAnswered};
use crate::features::google_oauth::{CALLBACK_PATH, same_secret};
use crate::features::secrets::{digest, now_ms, random_token};
use crate::state::AppState;

/// Where the mock provider is served; also its issuer's path.
pub const BASE_PATH: &str = "/mock/google";
/// The client id of the one client registered with the mock: the sandbox.
pub const CLIENT_ID: &str = "dojo-sandbox.apps.mock-google.test";
/// What the consent page calls that client.
const CLIENT_NAME: &str = "Backend Dojo sandbox";
/// Lifetimes of what the token endpoint issues, like Google's.
const ACCESS_TOKEN_TTL_SECS: u64 = 3599;
const ID_TOKEN_TTL_SECS: u64 = 3600;
/// Codes and tokens kept at most; the oldest go first.
const MAX_GRANTS: usize = 10_000;

/// The scopes the mock knows, with the line the consent page shows for each.
const SCOPES: [(&str, &str); 3] = [
    ("openid", "Associate you with your personal info on Google"),
    ("email", "See your primary Google Account email address"),
    (
        "profile",
        "See your personal info, including any personal info you've made publicly available",
    ),
];

/// A Google account the consent page offers.
#[derive(Debug)]
pub struct MockAccount {
    /// What the consent form posts as `account`.
    pub login: &'static str,
    /// Google's stable subject identifier: what an app should key the identity on.
    pub sub: &'static str,
    pub email: &'static str,
    /// Whether Google vouches that the account owner controls `email`.
    pub email_verified: bool,
    pub given_name: &'static str,
    pub family_name: &'static str,
    /// Why the account is there, as the consent page says.
    pub note: &'static str,
}

impl MockAccount {
    /// The full name.
    pub fn name(&self) -> String {
        if self.family_name.is_empty() {
            self.given_name.to_owned()
        } else {
            format!("{} {}", self.given_name, self.family_name)
        }
    }
}

/// The accounts every mock provider offers.
pub const ACCOUNTS: [MockAccount; 3] = [
    MockAccount {
        login: "ada",
        sub: "110248495921238986420",
        email: "ada@dojo.test",
        email_verified: true,
        given_name: "Ada",
        family_name: "Lovelace",
        note: "verified address of the sandbox's seeded user Ada",
    },
    MockAccount {
        login: "katherine",
        sub: "110248495921238986421",
        email: "katherine@dojo.test",
        email_verified: true,
        given_name: "Katherine",
        family_name: "Johnson",
        note: "verified address with no sandbox account yet",
    },
    MockAccount {
        login: "mallory",
        sub: "110248495921238986422",
        email: "grace@dojo.test",
        email_verified: false,
        given_name: "Mallory",
        family_name: "",
        note: "an attacker's account that claims Grace's address without verifying it",
    },
];

fn account_by_login(login: &str) -> Option<usize> {
    ACCOUNTS.iter().position(|a| a.login == login)
}

/// The origin a request was made to (`http://host:port`), from its `Host` header (the host
/// guard has already refused names the sandbox does not serve), else from its URI.
pub(crate) fn request_origin(headers: &HeaderMap, uri: &Uri) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| uri.authority().map(|a| a.as_str()))
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".:-[]".contains(c))
        })
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// The issuer a provider reached at `origin` names in its ID tokens.
pub(crate) fn issuer_at(origin: &str) -> String {
    format!("{origin}{BASE_PATH}")
}

/// The redirect URI registered for the sandbox's client on `origin`.
fn registered_redirect_uri(origin: &str) -> String {
    format!("{origin}{CALLBACK_PATH}")
}

/// A code the consent form issued, by its digest.
#[derive(Debug, Clone)]
struct CodeGrant {
    redirect_uri: String,
    account: usize,
    scopes: Vec<String>,
    nonce: Option<String>,
    challenge: String,
    issuer: String,
    expires_at: u64,
    /// Set when the code is first presented: the digests of the access tokens issued for
    /// it, revoked if the code comes back.
    redeemed: Option<Vec<String>>,
}

/// An access token the token endpoint issued, by its digest.
#[derive(Debug, Clone)]
struct AccessGrant {
    account: usize,
    scopes: Vec<String>,
    expires_at: u64,
    revoked: bool,
}

#[derive(Debug, Default)]
struct Grants {
    codes: HashMap<String, CodeGrant>,
    tokens: HashMap<String, AccessGrant>,
}

impl Grants {
    /// Forgets what can no longer matter: tokens past expiry, codes well past theirs (a
    /// redeemed code is kept a while so its reuse is still recognised).
    fn prune(&mut self, now: u64) {
        let keep_codes_ms = 10 * 60 * 1000;
        self.codes
            .retain(|_, code| code.expires_at.saturating_add(keep_codes_ms) > now);
        self.tokens.retain(|_, token| token.expires_at > now);
        if self.codes.len() > MAX_GRANTS {
            let mut by_age: Vec<(u64, String)> = self
                .codes
                .iter()
                .map(|(k, v)| (v.expires_at, k.clone()))
                .collect();
            by_age.sort();
            for (_, key) in by_age.iter().take(self.codes.len() - MAX_GRANTS) {
                self.codes.remove(key);
            }
        }
    }
}

/// The mock provider's state: its client secret, signing key, codes and tokens.
#[derive(Debug)]
pub struct MockGoogle {
    client_secret: String,
    code_ttl: Duration,
    key: OnceLock<Arc<SigningKey>>,
    grants: Mutex<Grants>,
}

impl MockGoogle {
    /// A provider whose codes live `code_ttl`, with a fresh client secret.
    pub fn new(code_ttl: Duration) -> MockGoogle {
        MockGoogle {
            client_secret: random_token(),
            code_ttl,
            key: OnceLock::new(),
            grants: Mutex::new(Grants::default()),
        }
    }

    /// The sandbox client's secret (random per sandbox).
    pub fn client_secret(&self) -> &str {
        &self.client_secret
    }

    /// Forgets every code and access token; the signing key stays.
    pub fn clear(&self) {
        *self.lock() = Grants::default();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Grants> {
        self.grants.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The signing key, made on first use off the async threads.
    pub(crate) async fn signing_key(&self) -> ApiResult<Arc<SigningKey>> {
        if let Some(key) = self.key.get() {
            return Ok(key.clone());
        }
        let made = tokio::task::spawn_blocking(SigningKey::generate)
            .await
            .map_err(|e| ApiError::Internal(format!("key generation did not finish: {e}")))?
            .map_err(ApiError::Internal)?;
        // Two first requests may both make one; the first stored wins for both.
        let _ = self.key.set(Arc::new(made));
        self.key
            .get()
            .cloned()
            .ok_or_else(|| ApiError::Internal("the signing key was not kept".into()))
    }
}

/// The provider's routes. Served on the sandbox's traced stack but not in its OpenAPI
/// document: they are Google's API, not the sandbox's, and their errors follow OAuth
/// (RFC 6749 JSON) rather than the sandbox's problem details.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/mock/google/.well-known/openid-configuration",
            get(discovery),
        )
        .route("/mock/google/authorize", get(authorize).post(consent))
        .route("/mock/google/token", axum::routing::post(token))
        .route("/mock/google/userinfo", get(userinfo).post(userinfo))
        .route("/mock/google/certs", get(certs))
}

/// Sends `request` to the mock provider inside this process: the same routes a browser
/// reaches over the socket, with no network in between. The URL's host is ignored, so a
/// forged `Host` can never send the client secret anywhere.
pub(crate) async fn call_in_process(
    state: &AppState,
    request: axum::http::Request<Vec<u8>>,
) -> ApiResult<axum::http::Response<Vec<u8>>> {
    let response = routes()
        .with_state(state.clone())
        .oneshot(request.map(Body::from))
        .await
        .map_err(|e| ApiError::Internal(format!("the mock provider failed: {e}")))?;
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 1024 * 1024)
        .await
        .map_err(|e| ApiError::Internal(format!("the mock provider's answer: {e}")))?;
    Ok(axum::http::Response::from_parts(parts, bytes.to_vec()))
}

/// Records one of the provider's decisions in the trace, at the line that made it.
macro_rules! provider_decision {
    (passed, $reason:expr) => {
        tracing::info!(target: "dojo::trace", layer = "mock_google", step = "decision",
            decision = "passed", reason = AsRef::<str>::as_ref(&$reason))
    };
    (refused $status:expr, $reason:expr) => {
        tracing::info!(target: "dojo::trace", layer = "mock_google", step = "decision",
            decision = "short_circuited", status = u64::from($status),
            reason = AsRef::<str>::as_ref(&$reason))
    };
}

// ---------------------------------------------------------------------------------------
// Discovery and keys

async fn discovery(headers: HeaderMap, uri: Uri) -> Response<Body> {
    let issuer = issuer_at(&request_origin(&headers, &uri));
    let document = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "jwks_uri": format!("{issuer}/certs"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": SCOPES.iter().map(|(name, _)| *name).collect::<Vec<_>>(),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "claims_supported": [
            "aud", "email", "email_verified", "exp", "family_name", "given_name", "iat",
            "iss", "name", "nonce", "sub"
        ],
        "code_challenge_methods_supported": ["S256"],
        "grant_types_supported": ["authorization_code"],
    });
    (
        [(header::CACHE_CONTROL, "public, max-age=3600")],
        axum::Json(document),
    )
        .into_response()
}

async fn certs(State(state): State<AppState>) -> ApiResult<Response<Body>> {
    let key = state.mock_google.signing_key().await?;
    Ok((
        [(header::CACHE_CONTROL, "public, max-age=3600")],
        axum::Json(key.jwks()),
    )
        .into_response())
}

// ---------------------------------------------------------------------------------------
// Authorization endpoint

/// A well-formed authorization request.
#[derive(Debug)]
pub(crate) struct AuthorizationRequest {
    pub(crate) redirect_uri: String,
    pub(crate) state: Option<String>,
    pub(crate) scopes: Vec<String>,
    pub(crate) nonce: Option<String>,
    pub(crate) challenge: String,
    pub(crate) issuer: String,
}

/// Why an authorization request was refused.
#[derive(Debug)]
enum Refusal {
    /// Shown to the user, never redirected: without a known client and its registered
    /// redirect URI, redirecting would make the provider an open redirector.
    OnPage(String),
    /// Sent back to the client's redirect URI as `error=...`.
    ToClient {
        redirect_uri: String,
        state: Option<String>,
        error: &'static str,
        description: String,
    },
}

/// Query or form parameters, each allowed at most once (RFC 6749 section 3.1).
#[derive(Debug)]
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(text: &[u8]) -> Params {
        Params(
            form_urlencoded::parse(text)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The parameter's value; `Err` names it when it was sent more than once.
    fn one(&self, name: &str) -> Result<Option<&str>, String> {
        let mut values = self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
        let first = values.next();
        if values.next().is_some() {
            return Err(format!("{name} was sent more than once"));
        }
        Ok(first.map(String::as_str).filter(|v| !v.is_empty()))
    }
}

// region: mock-authorize
/// Checks an authorization request the way Google does: the client and its exact
/// redirect URI first (a mismatch is refused on the page), then everything else (refused
/// back to the client with `error=`).
fn check_authorization(query: &str, origin: &str) -> Result<AuthorizationRequest, Refusal> {
    let params = Params::parse(query.as_bytes());
    let client_id = params.one("client_id").map_err(Refusal::OnPage)?;
    if client_id != Some(CLIENT_ID) {
        return Err(Refusal::OnPage(format!(
            "invalid_client: the OAuth client {client_id:?} was not found; the mock knows \
             only {CLIENT_ID:?}"
        )));
    }
    let registered = registered_redirect_uri(origin);
    let redirect_uri = params.one("redirect_uri").map_err(Refusal::OnPage)?;
    if redirect_uri != Some(registered.as_str()) {
        return Err(Refusal::OnPage(format!(
            "redirect_uri_mismatch: {redirect_uri:?} is not registered for this client; the \
             registered redirect URI is {registered}"
        )));
    }
    let state = params.one("state").ok().flatten().map(str::to_owned);
    let refuse = |error: &'static str, description: String| Refusal::ToClient {
        redirect_uri: registered.clone(),
        state: state.clone(),
        error,
        description,
    };
    let one = |name: &str| params.one(name).map_err(|e| refuse("invalid_request", e));
    if params.one("state").is_err() {
        return Err(refuse(
            "invalid_request",
            "state was sent more than once".into(),
        ));
    }
    if one("response_type")? != Some("code") {
        return Err(refuse(
            "unsupported_response_type",
            "only the authorization code flow is served: response_type=code".into(),
        ));
    }
    let scopes: Vec<String> = one("scope")?
        .unwrap_or_default()
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if scopes.is_empty() {
        return Err(refuse("invalid_request", "scope is required".into()));
    }
    if let Some(unknown) = scopes
        .iter()
        .find(|s| !SCOPES.iter().any(|(name, _)| name == s))
    {
        return Err(refuse(
            "invalid_scope",
            format!("unknown scope {unknown:?}; known: openid, email, profile"),
        ));
    }
    let challenge = one("code_challenge")?;
    let method = one("code_challenge_method")?;
    let Some(challenge) = challenge else {
        return Err(refuse(
            "invalid_request",
            "PKCE is required: send code_challenge with code_challenge_method=S256".into(),
        ));
    };
    if method != Some("S256") {
        return Err(refuse(
            "invalid_request",
            format!("code_challenge_method must be S256, not {method:?}"),
        ));
    }
    if challenge.len() != 43 || URL_SAFE_NO_PAD.decode(challenge).is_err() {
        return Err(refuse(
            "invalid_request",
            "code_challenge must be the base64url SHA-256 of the verifier (43 characters)".into(),
        ));
    }
    Ok(AuthorizationRequest {
        redirect_uri: registered.clone(),
        state: state.clone(),
        scopes,
        nonce: one("nonce")?.map(str::to_owned),
        challenge: challenge.to_owned(),
        issuer: issuer_at(origin),
    })
}
// endregion

/// A 303 to the client's redirect URI with these parameters.
fn back_to_client(redirect_uri: &str, pairs: &[(&str, &str)]) -> Response<Body> {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        query.append_pair(name, value);
    }
    let location = format!("{redirect_uri}?{}", query.finish());
    match HeaderValue::from_str(&location) {
        Ok(location) => (
            StatusCode::SEE_OTHER,
            [
                (header::LOCATION, location),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
        )
            .into_response(),
        Err(_) => {
            ApiError::Internal("the redirect location is not a header value".into()).into_response()
        }
    }
}

fn refused(refusal: Refusal) -> Response<Body> {
    match refusal {
        Refusal::OnPage(reason) => {
            provider_decision!(refused 400u16, reason);
            ApiError::BadRequest(reason).into_response()
        }
        Refusal::ToClient {
            redirect_uri,
            state,
            error,
            description,
        } => {
            provider_decision!(refused 303u16, format!("{error}: {description}"));
            let mut pairs = vec![
                ("error", error),
                ("error_description", description.as_str()),
            ];
            if let Some(state) = &state {
                pairs.push(("state", state));
            }
            back_to_client(&redirect_uri, &pairs)
        }
    }
}

/// The consent page: which app asks, for what, as which account.
async fn authorize(headers: HeaderMap, uri: Uri) -> Response<Body> {
    let origin = request_origin(&headers, &uri);
    match check_authorization(uri.query().unwrap_or_default(), &origin) {
        Ok(request) => {
            provider_decision!(passed, "authorization request valid: consent page shown");
            let scopes: Vec<(&str, &str)> = SCOPES
                .iter()
                .filter(|(name, _)| request.scopes.iter().any(|s| s == name))
                .copied()
                .collect();
            consent_page::render(CLIENT_NAME, &origin, &scopes, &ACCOUNTS)
        }
        Err(refusal) => refused(refusal),
    }
}

// region: mock-consent
/// The consent form's answer: a single-use code for the chosen account, or `access_denied`.
async fn consent(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response<Body> {
    let origin = request_origin(&headers, &uri);
    let request = match check_authorization(uri.query().unwrap_or_default(), &origin) {
        Ok(request) => request,
        Err(refusal) => return refused(refusal),
    };
    let form = Params::parse(&body);
    let state_pair = request.state.as_deref().map(|s| ("state", s));
    match form.one("decision") {
        Ok(Some("allow")) => {}
        Ok(Some("deny")) => {
            provider_decision!(passed, "the user denied consent: access_denied sent back");
            let mut pairs = vec![
                ("error", "access_denied"),
                ("error_description", "The user denied the request"),
            ];
            pairs.extend(state_pair);
            return back_to_client(&request.redirect_uri, &pairs);
        }
        _ => {
            let reason = "the consent form needs decision=allow or decision=deny";
            provider_decision!(refused 400u16, reason);
            return ApiError::BadRequest(reason.into()).into_response();
        }
    }
    let Some(account) = form
        .one("account")
        .ok()
        .flatten()
        .and_then(account_by_login)
    else {
        let logins: Vec<&str> = ACCOUNTS.iter().map(|a| a.login).collect();
        let reason = format!(
            "choose an account: account must be one of {}",
            logins.join(", ")
        );
        provider_decision!(refused 400u16, reason);
        return ApiError::BadRequest(reason).into_response();
    };
    let code = random_token();
    let now = now_ms();
    let ttl = u64::try_from(state.mock_google.code_ttl.as_millis()).unwrap_or(u64::MAX);
    {
        let mut grants = state.mock_google.lock();
        grants.prune(now);
        grants.codes.insert(
            digest(&code),
            CodeGrant {
                redirect_uri: request.redirect_uri.clone(),
                account,
                scopes: request.scopes.clone(),
                nonce: request.nonce,
                challenge: request.challenge,
                issuer: request.issuer,
                expires_at: now.saturating_add(ttl),
                redeemed: None,
            },
        );
    }
    provider_decision!(
        passed,
        format!(
            "consent given as {}: single-use code issued",
            ACCOUNTS[account].email
        )
    );
    let scope = request.scopes.join(" ");
    let mut pairs = vec![("code", code.as_str()), ("scope", scope.as_str())];
    pairs.extend(state_pair);
    back_to_client(&request.redirect_uri, &pairs)
}
// endregion

// ---------------------------------------------------------------------------------------
// Token endpoint

/// An RFC 6749 error answer. It is also a problem document (`type`, `title`, `status`,
/// `detail`), so the sandbox's error mapper passes it through with the request id added,
/// but it stays `application/json` as OAuth clients expect.
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response<Body> {
    let body = json!({
        "error": error,
        "error_description": description,
        "type": format!("{PROBLEM_BASE}oauth-{}", error.replace('_', "-")),
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": format!("{error}: {description}"),
    });
    let mut response = (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        axum::Json(body),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"mock-google\""),
        );
    }
    response.extensions_mut().insert(ProblemAnswered);
    response
}

/// The client credentials of a token request: HTTP Basic (each part form-urlencoded, RFC
/// 6749 section 2.3.1) or `client_id` and `client_secret` in the body, not both.
fn client_credentials(headers: &HeaderMap, form: &Params) -> Result<(String, String), String> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "));
    let in_body = (
        form.one("client_id")?.map(str::to_owned),
        form.one("client_secret")?.map(str::to_owned),
    );
    match (basic, in_body) {
        (Some(_), (Some(_), _) | (_, Some(_))) => {
            Err("use one client authentication method, not Basic and the body".into())
        }
        (Some(encoded), _) => {
            let decoded = STANDARD
                .decode(encoded.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or("the Basic credentials are not base64 text")?;
            let (id, secret) = decoded
                .split_once(':')
                .ok_or("the Basic credentials have no ':'")?;
            let decode = |part: &str| {
                form_urlencoded::parse(format!("v={part}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            Ok((decode(id), decode(secret)))
        }
        (None, (Some(id), Some(secret))) => Ok((id, secret)),
        (None, _) => Err(
            "no client authentication: send HTTP Basic or client_id and \
                          client_secret"
                .into(),
        ),
    }
}

/// RFC 7636: base64url(SHA-256(verifier)).
pub(crate) fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// What the token endpoint answers on success.
#[derive(Debug, Serialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: u64,
    token_type: &'static str,
    scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
}

/// The claims of an ID token, as Google writes them.
#[derive(Debug, Serialize)]
struct IdTokenClaims<'a> {
    iss: &'a str,
    azp: &'a str,
    aud: &'a str,
    sub: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email_verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    given_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    family_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    iat: u64,
    exp: u64,
}

// region: mock-token
/// Redeems an authorization code. Every check is one `return oauth_error(...)`, in the
/// order a provider must make them.
async fn token(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response<Body> {
    let form = Params::parse(&body);
    let refuse = |status: StatusCode, error: &str, description: &str| {
        provider_decision!(refused status.as_u16(), format!("{error}: {description}"));
        oauth_error(status, error, description)
    };
    let (client_id, secret) = match client_credentials(&headers, &form) {
        Ok(credentials) => credentials,
        Err(reason) => return refuse(StatusCode::UNAUTHORIZED, "invalid_client", &reason),
    };
    if client_id != CLIENT_ID
        || !same_secret(
            secret.as_bytes(),
            state.mock_google.client_secret.as_bytes(),
        )
    {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client or wrong client secret",
        );
    }
    let (grant_type, code, redirect_uri, verifier) = match (
        form.one("grant_type"),
        form.one("code"),
        form.one("redirect_uri"),
        form.one("code_verifier"),
    ) {
        (Ok(g), Ok(c), Ok(r), Ok(v)) => (g, c, r, v),
        _ => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "a parameter was sent more than once",
            );
        }
    };
    if grant_type != Some("authorization_code") {
        return refuse(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only grant_type=authorization_code is served",
        );
    }
    let Some(code) = code else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "code is required",
        );
    };
    let now = now_ms();
    let grant = {
        let mut grants = state.mock_google.lock();
        let Some(grant) = grants.codes.get_mut(&digest(code)) else {
            drop(grants);
            return refuse(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "unknown authorization code",
            );
        };
        if let Some(issued) = grant.redeemed.clone() {
            // Someone replays a code: whoever redeemed it first may be the thief, so the
            // tokens it bought stop working too (RFC 6749 section 4.1.2).
            for token in &issued {
                if let Some(access) = grants.tokens.get_mut(token) {
                    access.revoked = true;
                }
            }
            drop(grants);
            return refuse(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "authorization code already used; the tokens issued for it are revoked",
            );
        }
        // From here the code is spent, whatever the outcome.
        grant.redeemed = Some(Vec::new());
        grant.clone()
    };
    if now >= grant.expires_at {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "authorization code expired",
        );
    }
    if redirect_uri != Some(grant.redirect_uri.as_str()) {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "redirect_uri does not match the authorization request",
        );
    }
    let Some(verifier) = verifier else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "code_verifier is required: the authorization request sent a code_challenge",
        );
    };
    if !same_secret(s256(verifier).as_bytes(), grant.challenge.as_bytes()) {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "PKCE verification failed: SHA-256 of code_verifier does not match code_challenge",
        );
    }
    match issue_tokens(&state, &grant, code, now).await {
        Ok(answer) => {
            provider_decision!(
                passed,
                format!(
                    "code redeemed (client authenticated, redirect_uri and PKCE verified): tokens \
                     issued for {}",
                    ACCOUNTS[grant.account].email
                )
            );
            (
                [
                    (header::CACHE_CONTROL, "no-store"),
                    (header::PRAGMA, "no-cache"),
                ],
                axum::Json(answer),
            )
                .into_response()
        }
        Err(error) => error.into_response(),
    }
}
// endregion

/// Issues the access token (remembered against the code) and, for `openid`, the ID token.
async fn issue_tokens(
    state: &AppState,
    grant: &CodeGrant,
    code: &str,
    now_ms: u64,
) -> ApiResult<TokenAnswer> {
    let account = &ACCOUNTS[grant.account];
    let access_token = format!("ya29.{}", random_token());
    {
        let mut grants = state.mock_google.lock();
        grants.tokens.insert(
            digest(&access_token),
            AccessGrant {
                account: grant.account,
                scopes: grant.scopes.clone(),
                expires_at: now_ms.saturating_add(ACCESS_TOKEN_TTL_SECS * 1000),
                revoked: false,
            },
        );
        if let Some(code) = grants.codes.get_mut(&digest(code)) {
            code.redeemed = Some(vec![digest(&access_token)]);
        }
    }
    let has = |scope: &str| grant.scopes.iter().any(|s| s == scope);
    let id_token = if has("openid") {
        let now = now_ms / 1000;
        let claims = IdTokenClaims {
            iss: &grant.issuer,
            azp: CLIENT_ID,
            aud: CLIENT_ID,
            sub: account.sub,
            email: has("email").then_some(account.email),
            email_verified: has("email").then_some(account.email_verified),
            name: has("profile").then(|| account.name()),
            given_name: has("profile").then_some(account.given_name),
            family_name: has("profile")
                .then_some(account.family_name)
                .filter(|f| !f.is_empty()),
            nonce: grant.nonce.as_deref(),
            iat: now,
            exp: now + ID_TOKEN_TTL_SECS,
        };
        let key = state.mock_google.signing_key().await?;
        Some(key.sign(&claims).map_err(ApiError::Internal)?)
    } else {
        None
    };
    Ok(TokenAnswer {
        access_token,
        expires_in: ACCESS_TOKEN_TTL_SECS,
        token_type: "Bearer",
        scope: grant.scopes.join(" "),
        id_token,
    })
}

// ---------------------------------------------------------------------------------------
// Userinfo

async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response<Body> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let found =
        presented.and_then(|token| state.mock_google.lock().tokens.get(&digest(token)).cloned());
    let reason = match (&presented, &found) {
        (None, _) => Some("no access token: send Authorization: Bearer <access_token>"),
        (Some(_), None) => Some("unknown or expired access token"),
        (Some(_), Some(grant)) if grant.revoked => Some("access token revoked"),
        (Some(_), Some(grant)) if now_ms() >= grant.expires_at => Some("access token expired"),
        _ => None,
    };
    let Some(grant) = found.filter(|_| reason.is_none()) else {
        let reason = reason.unwrap_or("invalid access token");
        provider_decision!(refused 401u16, reason);
        let mut response = ApiError::Unauthorized {
            reason: reason.into(),
        }
        .into_response();
        let challenge = format!("Bearer error=\"invalid_token\", error_description=\"{reason}\"");
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        return response;
    };
    let account = &ACCOUNTS[grant.account];
    let has = |scope: &str| grant.scopes.iter().any(|s| s == scope);
    let mut profile = json!({ "sub": account.sub });
    if has("email") {
        profile["email"] = Value::from(account.email);
        profile["email_verified"] = Value::from(account.email_verified);
    }
    if has("profile") {
        profile["name"] = Value::from(account.name());
        profile["given_name"] = Value::from(account.given_name);
        if !account.family_name.is_empty() {
            profile["family_name"] = Value::from(account.family_name);
        }
    }
    provider_decision!(passed, format!("profile of {} served", account.email));
    axum::Json(profile).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGIN: &str = "http://127.0.0.1:4000";

    fn query(extra: &[(&str, &str)], without: &[&str]) -> String {
        let mut pairs = vec![
            ("client_id", CLIENT_ID.to_owned()),
            ("redirect_uri", format!("{ORIGIN}{CALLBACK_PATH}")),
            ("response_type", "code".to_owned()),
            ("scope", "openid email profile".to_owned()),
            ("state", "the-state".to_owned()),
            ("nonce", "the-nonce".to_owned()),
            (
                "code_challenge",
                s256("a-verifier-that-is-long-enough-0123456789"),
            ),
            ("code_challenge_method", "S256".to_owned()),
        ];
        pairs.retain(|(k, _)| !without.contains(k));
        let mut text = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &pairs {
            text.append_pair(k, v);
        }
        for (k, v) in extra {
            text.append_pair(k, v);
        }
        text.finish()
    }

    fn to_client_error(result: Result<AuthorizationRequest, Refusal>) -> (&'static str, String) {
        match result {
            Err(Refusal::ToClient {
                error, description, ..
            }) => (error, description),
            other => panic!("expected a refusal sent to the client, got {other:?}"),
        }
    }

    #[test]
    fn s256_matches_the_rfc_7636_example() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn a_complete_request_is_accepted_with_its_nonce_and_issuer() {
        let request = check_authorization(&query(&[], &[]), ORIGIN).expect("valid");
        assert_eq!(request.nonce.as_deref(), Some("the-nonce"));
        assert_eq!(request.state.as_deref(), Some("the-state"));
        assert_eq!(request.issuer, "http://127.0.0.1:4000/mock/google");
        assert_eq!(request.scopes, ["openid", "email", "profile"]);
    }

    #[test]
    fn an_unknown_client_or_redirect_is_refused_on_the_page_never_redirected() {
        let unknown_client = query(&[("client_id", "other")], &["client_id"]);
        assert!(matches!(
            check_authorization(&unknown_client, ORIGIN),
            Err(Refusal::OnPage(reason)) if reason.starts_with("invalid_client")
        ));
        let elsewhere = query(
            &[(
                "redirect_uri",
                "https://evil.example/api/v1/auth/google/callback",
            )],
            &["redirect_uri"],
        );
        assert!(matches!(
            check_authorization(&elsewhere, ORIGIN),
            Err(Refusal::OnPage(reason)) if reason.starts_with("redirect_uri_mismatch")
        ));
        // The registered URI belongs to the origin the provider was reached at.
        assert!(matches!(
            check_authorization(&query(&[], &[]), "http://localhost:4000"),
            Err(Refusal::OnPage(_))
        ));
    }

    #[test]
    fn pkce_is_required_and_only_s256() {
        let (error, description) = to_client_error(check_authorization(
            &query(&[], &["code_challenge", "code_challenge_method"]),
            ORIGIN,
        ));
        assert_eq!(error, "invalid_request");
        assert!(description.contains("PKCE is required"), "{description}");

        let plain = query(
            &[("code_challenge_method", "plain")],
            &["code_challenge_method"],
        );
        let (error, description) = to_client_error(check_authorization(&plain, ORIGIN));
        assert_eq!(error, "invalid_request");
        assert!(description.contains("S256"), "{description}");
    }

    #[test]
    fn other_mistakes_go_back_to_the_client_with_state() {
        let token_flow = query(&[("response_type", "token")], &["response_type"]);
        match check_authorization(&token_flow, ORIGIN) {
            Err(Refusal::ToClient { error, state, .. }) => {
                assert_eq!(error, "unsupported_response_type");
                assert_eq!(state.as_deref(), Some("the-state"));
            }
            other => panic!("{other:?}"),
        }
        let (error, _) = to_client_error(check_authorization(
            &query(&[("scope", "openid drive")], &["scope"]),
            ORIGIN,
        ));
        assert_eq!(error, "invalid_scope");
        let (error, description) = to_client_error(check_authorization(
            &query(&[("nonce", "second")], &[]),
            ORIGIN,
        ));
        assert_eq!(error, "invalid_request");
        assert!(description.contains("more than once"), "{description}");
    }

    #[test]
    fn basic_credentials_are_form_decoded_and_one_method_only() {
        let mut headers = HeaderMap::new();
        let encoded = STANDARD.encode("my%2Bclient:s%3Acret");
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {encoded}")).expect("header"),
        );
        let empty = Params::parse(b"");
        assert_eq!(
            client_credentials(&headers, &empty).expect("credentials"),
            ("my+client".to_owned(), "s:cret".to_owned())
        );
        let both = Params::parse(b"client_id=a&client_secret=b");
        assert!(client_credentials(&headers, &both).is_err());
        let in_body = client_credentials(&HeaderMap::new(), &both).expect("body credentials");
        assert_eq!(in_body, ("a".to_owned(), "b".to_owned()));
        assert!(client_credentials(&HeaderMap::new(), &empty).is_err());
    }
}
