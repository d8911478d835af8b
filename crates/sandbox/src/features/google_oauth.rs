//! Sign in with Google (topic 7): the OAuth 2.0 authorization code flow with PKCE (S256),
//! `state` and an OpenID Connect `nonce`, written with the `oauth2` crate, against the
//! built-in mock provider (`features::mock_google`) or, when a real client is configured,
//! against Google itself.
//!
//! - `GET /api/v1/auth/google/start` makes a random `state`, `nonce` and PKCE verifier,
//!   keeps them server-side under a random attempt id set in the `dojo_google_attempt`
//!   cookie (`HttpOnly`, `SameSite=Lax`, ten minutes), and answers 303 to the provider's
//!   consent page with the `state`, the `nonce` and the verifier's SHA-256 challenge.
//! - `GET /api/v1/auth/google/callback?code=...&state=...` takes this browser's attempt
//!   (single use), checks the returned `state` against it, redeems the code with the
//!   verifier (server to server), verifies the ID token (signature through the provider's
//!   JWKS, `iss`, `aud`, `exp`, `nonce`), links the Google identity to an account (by its
//!   `sub`; a new link only through an address Google verified) and answers the
//!   sandbox's own access token: JSON, or for a browser a page that also hands the result
//!   to `window.opener`.
//! - `GET /api/v1/auth/google/handoff/start?challenge=...` and `POST
//!   /api/v1/auth/google/handoff`: for an app that opens the flow in a window it cannot
//!   read (the desktop app's sign-in window); the callback files its outcome, and the app
//!   collects it once with its verifier (`handoff`).
//!
//! Every refusal is a 4xx problem, and the check that decided is in the trace: layers
//! `google_state`, `google_consent`, `google_exchange` (with the provider's own
//! `mock_google` decision beside it), `id_token` and `account_link`.

mod accounts;
mod handoff;
pub(crate) mod html;
mod http_client;
mod id_token;

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, Response, StatusCode, Uri, header};
use axum::response::IntoResponse;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope,
    StandardRevocableToken, StandardTokenResponse, TokenResponse as _, TokenUrl,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::broadcast;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use accounts::{GoogleIdentity, LinkKind};
pub use handoff::{HANDOFF_COOKIE, HANDOFF_PATH, HANDOFF_START_PATH, challenge_of};

use self::accounts::{LinkedAccounts, SignedIn};
use self::http_client::ProviderHttp;
use crate::error::{ApiError, ApiResult};
use crate::extract::ValidJson;
use crate::features::jwt::{TokenResponse, issue_access_token};
use crate::features::mock_google::{self, issuer_at, request_origin};
use crate::features::secrets::{digest, now_ms, random_token};
use crate::features::sessions::{CookieTransport, cookie_value, set_cookie};
use crate::features::users::Role;
use crate::state::AppState;
use crate::switches::Switch;

/// Where a browser starts signing in.
pub const START_PATH: &str = "/api/v1/auth/google/start";
/// Where the provider sends the browser back; registered with the provider.
pub const CALLBACK_PATH: &str = "/api/v1/auth/google/callback";
/// The cookie that ties a browser to its sign-in attempt.
pub const ATTEMPT_COOKIE: &str = "dojo_google_attempt";
/// The only paths the browser sends the attempt cookie to.
const ATTEMPT_COOKIE_PATH: &str = "/api/v1/auth/google";
/// Attempts kept at most; the oldest go first.
const MAX_ATTEMPTS: usize = 10_000;
/// How long a fetched key set is trusted before it is fetched again.
const KEYS_MAX_AGE_MS: u64 = 60 * 60 * 1000;
/// A key set is never fetched twice within this, even for an unknown key id.
const KEYS_MIN_REFETCH_MS: u64 = 60 * 1000;

/// Google's own endpoints, used when a real client is configured.
pub const GOOGLE_AUTHORIZE_URL: &str = "https://accounts.google.com/o/oauth2/v2/auth";
pub const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
pub const GOOGLE_USERINFO_URL: &str = "https://openidconnect.googleapis.com/v1/userinfo";
pub const GOOGLE_JWKS_URL: &str = "https://www.googleapis.com/oauth2/v3/certs";
/// Google writes its issuer both ways.
const GOOGLE_ISSUERS: [&str; 2] = ["https://accounts.google.com", "accounts.google.com"];

/// A real Google OAuth client. A "Desktop app" client accepts any loopback port in its
/// redirect URI; a "Web application" client needs
/// `http://127.0.0.1:PORT/api/v1/auth/google/callback` registered exactly.
#[derive(Clone)]
pub struct GoogleClientCredentials {
    pub client_id: String,
    client_secret: String,
}

impl GoogleClientCredentials {
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        GoogleClientCredentials {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
        }
    }

    /// `DOJO_GOOGLE_CLIENT_ID` and `DOJO_GOOGLE_CLIENT_SECRET`, when both are set and not
    /// empty.
    pub fn from_env() -> Option<Self> {
        let read = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Some(GoogleClientCredentials::new(
            read("DOJO_GOOGLE_CLIENT_ID")?,
            read("DOJO_GOOGLE_CLIENT_SECRET")?,
        ))
    }
}

impl std::fmt::Debug for GoogleClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GoogleClientCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"..")
            .finish()
    }
}

/// Settings of Google sign-in.
#[derive(Debug, Clone)]
pub struct GoogleOAuthConfig {
    /// A real Google client; `None` (the default) signs in against the built-in mock.
    pub real_client: Option<GoogleClientCredentials>,
    /// How long a started sign-in waits for its callback.
    pub attempt_ttl: Duration,
    /// How long the mock provider's authorization codes live.
    pub mock_code_ttl: Duration,
}

impl Default for GoogleOAuthConfig {
    fn default() -> Self {
        GoogleOAuthConfig {
            real_client: None,
            attempt_ttl: Duration::from_secs(10 * 60),
            mock_code_ttl: Duration::from_secs(60),
        }
    }
}

/// The provider one sign-in talks to.
#[derive(Clone)]
struct Provider {
    is_mock: bool,
    client_id: String,
    client_secret: String,
    authorize_url: String,
    token_url: String,
    jwks_url: String,
    issuers: Vec<String>,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("is_mock", &self.is_mock)
            .field("client_id", &self.client_id)
            .field("authorize_url", &self.authorize_url)
            .finish_non_exhaustive()
    }
}

/// The token endpoint's answer: OAuth's fields plus OpenID Connect's `id_token`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct IdTokenField {
    #[serde(default)]
    id_token: Option<String>,
}

impl ExtraTokenFields for IdTokenField {}

type OAuthClient = oauth2::Client<
    BasicErrorResponse,
    StandardTokenResponse<IdTokenField, BasicTokenType>,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

impl Provider {
    /// Google when a real client is configured, else the mock reached at `origin`.
    fn for_origin(state: &AppState, origin: &str) -> Provider {
        match &state.config.google.real_client {
            Some(real) => Provider {
                is_mock: false,
                client_id: real.client_id.clone(),
                client_secret: real.client_secret.clone(),
                authorize_url: GOOGLE_AUTHORIZE_URL.into(),
                token_url: GOOGLE_TOKEN_URL.into(),
                jwks_url: GOOGLE_JWKS_URL.into(),
                issuers: GOOGLE_ISSUERS.iter().map(|s| (*s).to_owned()).collect(),
            },
            None => {
                let issuer = issuer_at(origin);
                Provider {
                    is_mock: true,
                    client_id: mock_google::CLIENT_ID.into(),
                    client_secret: state.mock_google.client_secret().into(),
                    authorize_url: format!("{issuer}/authorize"),
                    token_url: format!("{issuer}/token"),
                    jwks_url: format!("{issuer}/certs"),
                    issuers: vec![issuer],
                }
            }
        }
    }

    fn name(&self) -> &'static str {
        if self.is_mock {
            "the mock Google"
        } else {
            "Google"
        }
    }

    fn oauth_client(&self, redirect_uri: &str) -> ApiResult<OAuthClient> {
        let bad = |what: &str, e: oauth2::url::ParseError| {
            ApiError::Internal(format!("the provider's {what} is not a URL: {e}"))
        };
        Ok(oauth2::Client::new(ClientId::new(self.client_id.clone()))
            .set_client_secret(ClientSecret::new(self.client_secret.clone()))
            .set_auth_uri(
                AuthUrl::new(self.authorize_url.clone()).map_err(|e| bad("authorize URL", e))?,
            )
            .set_token_uri(TokenUrl::new(self.token_url.clone()).map_err(|e| bad("token URL", e))?)
            .set_redirect_uri(
                RedirectUrl::new(redirect_uri.to_owned()).map_err(|e| bad("redirect URI", e))?,
            ))
    }

    fn http(&self, state: &AppState) -> ApiResult<ProviderHttp> {
        if self.is_mock {
            return Ok(ProviderHttp::InProcess(state.clone()));
        }
        let logins = &state.google_logins;
        if let Some(client) = logins.network.get() {
            return Ok(ProviderHttp::Network(client.clone()));
        }
        let client = http_client::network_client()?;
        Ok(ProviderHttp::Network(
            logins.network.get_or_init(|| client).clone(),
        ))
    }
}

/// One started sign-in, kept server-side until its callback.
#[derive(Clone)]
struct Attempt {
    state: String,
    nonce: String,
    verifier: String,
    redirect_uri: String,
    provider: Provider,
    expires_at: u64,
}

impl std::fmt::Debug for Attempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attempt")
            .field("redirect_uri", &self.redirect_uri)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A key set fetched from a provider.
#[derive(Debug, Clone)]
struct CachedKeys {
    url: String,
    fetched_at: u64,
    keys: JwkSet,
}

/// How a sign-in ended, for whoever listens in process (see [`GoogleLogins::subscribe`]).
/// An app outside the process collects its own sign-in's outcome through the handoff
/// routes instead.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SignInOutcome {
    SignedIn {
        user_id: u64,
        email: String,
        access_token: String,
    },
    Refused {
        status: u16,
        reason: String,
    },
}

/// Google sign-in's server-side state: attempts in flight, linked identities, the
/// provider's keys.
pub struct GoogleLogins {
    /// By the SHA-256 of the attempt id in the browser's cookie.
    attempts: Mutex<HashMap<String, Attempt>>,
    accounts: LinkedAccounts,
    keys: Mutex<Option<CachedKeys>>,
    network: OnceLock<reqwest::Client>,
    outcomes: broadcast::Sender<SignInOutcome>,
    /// Outcomes filed for the apps that started their sign-ins in a window.
    handoffs: handoff::Handoffs,
}

impl std::fmt::Debug for GoogleLogins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GoogleLogins")
            .field("attempts", &self.lock_attempts().len())
            .finish_non_exhaustive()
    }
}

impl Default for GoogleLogins {
    fn default() -> Self {
        GoogleLogins {
            attempts: Mutex::new(HashMap::new()),
            accounts: LinkedAccounts::default(),
            keys: Mutex::new(None),
            network: OnceLock::new(),
            outcomes: broadcast::channel(16).0,
            handoffs: handoff::Handoffs::default(),
        }
    }
}

impl GoogleLogins {
    fn lock_attempts(&self) -> std::sync::MutexGuard<'_, HashMap<String, Attempt>> {
        self.attempts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets attempts, linked identities, accounts Google sign-in created, keys, and
    /// outcomes no app collected.
    pub fn clear(&self) {
        self.lock_attempts().clear();
        self.accounts.clear();
        self.handoffs.clear();
        *self.keys.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Every sign-in that ends from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<SignInOutcome> {
        self.outcomes.subscribe()
    }

    fn remember(&self, attempt_id: &str, attempt: Attempt) {
        let now = now_ms();
        let mut attempts = self.lock_attempts();
        attempts.retain(|_, a| a.expires_at > now);
        if attempts.len() >= MAX_ATTEMPTS
            && let Some(oldest) = attempts
                .iter()
                .min_by_key(|(_, a)| a.expires_at)
                .map(|(k, _)| k.clone())
        {
            attempts.remove(&oldest);
        }
        attempts.insert(digest(attempt_id), attempt);
    }

    /// Removes and returns the attempt this browser's cookie names.
    fn take(&self, attempt_id: &str) -> Option<Attempt> {
        self.lock_attempts().remove(&digest(attempt_id))
    }

    /// Removes and returns whichever attempt has this `state`, any browser's: the broken
    /// lookup behind the `google-skip-state-check` switch.
    fn take_by_state(&self, state: &str) -> Option<Attempt> {
        let mut attempts = self.lock_attempts();
        let key = attempts
            .iter()
            .find(|(_, a)| same_secret(a.state.as_bytes(), state.as_bytes()))
            .map(|(k, _)| k.clone())?;
        attempts.remove(&key)
    }
}

/// Compares two secrets in time that depends only on their lengths.
pub(crate) fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

/// Records a passed check in the trace, at the line that made it.
macro_rules! passed {
    ($layer:literal, $reason:expr) => {
        tracing::info!(target: "dojo::trace", layer = $layer, step = "decision",
            decision = "passed", reason = AsRef::<str>::as_ref(&$reason))
    };
}

/// Records a refusal in the trace, at the line that made it, and builds its problem.
macro_rules! refuse {
    ($layer:literal, $status:literal, $reason:expr) => {{
        let reason: String = ($reason).into();
        tracing::info!(target: "dojo::trace", layer = $layer, step = "decision",
            decision = "short_circuited", status = $status as u64, reason = reason.as_str());
        refusal($status, reason)
    }};
}

fn refusal(status: u16, reason: String) -> ApiError {
    match status {
        401 => ApiError::Unauthorized { reason },
        403 => ApiError::Forbidden(reason),
        404 => ApiError::NotFound(reason),
        _ => ApiError::BadRequest(reason),
    }
}

/// The routes: the sandbox's two (documented), and the mock provider's (served beside
/// them, documented by OpenID discovery instead).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start))
        .routes(routes!(callback))
        .routes(routes!(start_for_app))
        .routes(routes!(collect_for_app))
        .merge(OpenApiRouter::from(mock_google::routes()))
}

/// Start signing in with Google
///
/// Answers 303 to the provider's consent page (the mock's, or Google's when a real client
/// is configured) with `state`, `nonce` and a PKCE `S256` challenge, and sets the
/// `dojo_google_attempt` cookie that ties this browser to the attempt.
#[utoipa::path(
    get,
    path = "/api/v1/auth/google/start",
    operation_id = "google_start",
    tag = "google",
    responses(
        (status = 303, description = "To the provider's consent page",
            headers(
                ("Location" = String, description = "The authorization URL"),
                ("Set-Cookie" = String, description = "`dojo_google_attempt=...; HttpOnly; SameSite=Lax; Path=/api/v1/auth/google`"),
            )),
        (status = 500, response = crate::openapi::InternalError),
    ),
)]
// region: google-start
async fn start(
    State(state): State<AppState>,
    transport: CookieTransport,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult<Response<Body>> {
    let origin = request_origin(&headers, &uri);
    let provider = Provider::for_origin(&state, &origin);
    let redirect_uri = format!("{origin}{CALLBACK_PATH}");
    let client = provider.oauth_client(&redirect_uri)?;
    // The verifier stays here; only its SHA-256 travels, in the URL.
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let nonce = random_token();
    let (url, csrf_state) = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(["openid", "email", "profile"].map(|s| Scope::new(s.into())))
        .add_extra_param("nonce", &nonce)
        .add_extra_param("prompt", "select_account")
        .set_pkce_challenge(challenge)
        .url();
    let ttl = state.config.google.attempt_ttl;
    let attempt_id = random_token();
    state.google_logins.remember(
        &attempt_id,
        Attempt {
            state: csrf_state.secret().clone(),
            nonce,
            verifier: verifier.secret().clone(),
            redirect_uri,
            expires_at: now_ms().saturating_add(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX)),
            provider: provider.clone(),
        },
    );
    let cookie = set_cookie(
        ATTEMPT_COOKIE,
        &attempt_id,
        ATTEMPT_COOKIE_PATH,
        "Lax",
        ttl.as_secs(),
        transport,
    )?;
    passed!(
        "google_state",
        format!(
            "sign-in started: state, nonce and PKCE verifier kept for this browser; off to {}",
            provider.name()
        )
    );
    let location = HeaderValue::from_str(url.as_str())
        .map_err(|e| ApiError::Internal(format!("authorization URL: {e}")))?;
    Ok((
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, location),
            (header::SET_COOKIE, cookie),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response())
}
// endregion

/// What the provider sends back on the redirect.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    /// The authorization code, when the user allowed.
    code: Option<String>,
    /// The `state` the sign-in started with, echoed by the provider.
    state: Option<String>,
    /// `access_denied` when the user refused, or another OAuth error.
    error: Option<String>,
    error_description: Option<String>,
}

/// The signed-in account.
#[derive(Debug, Serialize, ToSchema)]
pub struct GoogleUser {
    id: u64,
    #[schema(format = Email)]
    email: String,
    name: String,
    role: Role,
}

/// What Google said about the person, from the verified ID token.
#[derive(Debug, Serialize, ToSchema)]
pub struct GoogleClaimsView {
    sub: String,
    email: Option<String>,
    email_verified: bool,
}

/// A completed sign-in: the sandbox's own access token and how the Google identity met an
/// account.
#[derive(Debug, Serialize, ToSchema)]
pub struct GoogleSignIn {
    #[serde(flatten)]
    token: TokenResponse,
    user: GoogleUser,
    link: LinkKind,
    google: GoogleClaimsView,
    /// Every Google identity linked to the account, oldest first.
    google_identities: Vec<GoogleIdentity>,
}

/// Finish signing in with Google
///
/// The provider's redirect target. Takes this browser's attempt, checks `state`, redeems
/// the code with the PKCE verifier, verifies the ID token and links the identity. Answers
/// JSON, or for a browser (`Accept: text/html`) a page that hands the result to the window
/// that opened it.
#[utoipa::path(
    get,
    path = "/api/v1/auth/google/callback",
    operation_id = "google_callback",
    tag = "google",
    params(CallbackQuery),
    responses(
        (status = 200, description = "Signed in; the attempt cookie is cleared", content(
            (GoogleSignIn = "application/json"),
            (String = "text/html"),
        )),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 500, response = crate::openapi::InternalError),
    ),
)]
async fn callback(
    State(state): State<AppState>,
    transport: CookieTransport,
    headers: HeaderMap,
    uri: Uri,
    Query(query): Query<CallbackQuery>,
) -> Response<Body> {
    // An app that started this sign-in in a window collects the outcome later.
    let handoff = cookie_value(&headers, HANDOFF_COOKIE)
        .filter(|challenge| handoff::is_challenge(challenge))
        .map(str::to_owned);
    let outcome = sign_in(&state, &headers, query).await;
    let mut response = match outcome {
        Ok(answer) => {
            let _ = state.google_logins.outcomes.send(SignInOutcome::SignedIn {
                user_id: answer.user.id,
                email: answer.user.email.clone(),
                access_token: access_token_of(&answer.token),
            });
            if let Some(challenge) = &handoff {
                state
                    .google_logins
                    .handoffs
                    .file(challenge, signed_in_for_app(&answer));
            }
            if wants_html(&headers) {
                let origin = request_origin(&headers, &uri);
                result_page(&state, &origin, &answer, handoff.is_some())
            } else {
                axum::Json(answer).into_response()
            }
        }
        Err(error) => {
            let _ = state.google_logins.outcomes.send(SignInOutcome::Refused {
                status: error.status().as_u16(),
                reason: error.to_string(),
            });
            if let Some(challenge) = &handoff {
                state
                    .google_logins
                    .handoffs
                    .file(challenge, refused_for_app(&error));
            }
            error.into_response()
        }
    };
    // The attempt is spent whatever happened: the browser may forget its cookie.
    if let Ok(cleared) = set_cookie(ATTEMPT_COOKIE, "", ATTEMPT_COOKIE_PATH, "Lax", 0, transport) {
        response.headers_mut().append(header::SET_COOKIE, cleared);
    }
    if handoff.is_some()
        && let Ok(cleared) =
            set_cookie(HANDOFF_COOKIE, "", ATTEMPT_COOKIE_PATH, "Lax", 0, transport)
    {
        response.headers_mut().append(header::SET_COOKIE, cleared);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// How an app that opens the sign-in in a window of its own starts it.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HandoffStartQuery {
    /// `base64url(SHA-256(verifier))` of a random verifier the app keeps to itself.
    challenge: Option<String>,
}

/// Start signing in for an app's window
///
/// For an app that opens the sign-in in a window whose pages it cannot read (the desktop
/// app's sign-in window, a popup on another origin). Keeps the app's challenge in the
/// `dojo_google_handoff` cookie and answers 303 to `/api/v1/auth/google/start`; the
/// callback files its outcome under that challenge for `POST /api/v1/auth/google/handoff`.
#[utoipa::path(
    get,
    path = "/api/v1/auth/google/handoff/start",
    operation_id = "google_handoff_start",
    tag = "google",
    params(HandoffStartQuery),
    responses(
        (status = 303, description = "On to the usual start",
            headers(
                ("Location" = String, description = "`/api/v1/auth/google/start`"),
                ("Set-Cookie" = String, description = "`dojo_google_handoff=CHALLENGE; HttpOnly; SameSite=Lax; Path=/api/v1/auth/google`"),
            )),
        (status = 400, response = crate::openapi::BadRequest),
    ),
)]
async fn start_for_app(
    State(state): State<AppState>,
    transport: CookieTransport,
    Query(query): Query<HandoffStartQuery>,
) -> ApiResult<Response<Body>> {
    let challenge = query.challenge.unwrap_or_default();
    if let Some(problem) = handoff::challenge_problem(&challenge) {
        return Err(refuse!("google_handoff", 400, problem));
    }
    let cookie = set_cookie(
        HANDOFF_COOKIE,
        &challenge,
        ATTEMPT_COOKIE_PATH,
        "Lax",
        state.config.google.attempt_ttl.as_secs(),
        transport,
    )?;
    passed!(
        "google_handoff",
        "the app's challenge goes with this browser to the callback; on to the start"
    );
    Ok((
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, HeaderValue::from_static(START_PATH)),
            (header::SET_COOKIE, cookie),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response())
}

/// The verifier an app kept when it started a sign-in in a window.
#[derive(Debug, Deserialize, ToSchema)]
pub struct HandoffRequest {
    /// The random value whose SHA-256 was the `challenge`: 43 to 128 characters of
    /// `A-Z a-z 0-9 - . _ ~`.
    verifier: String,
}

/// Collect the outcome of a sign-in started for an app's window
///
/// Answers once what the callback filed for the verifier's challenge:
/// `{"outcome": "signed_in", ...}` with the fields of the callback's JSON, or
/// `{"outcome": "refused", "status": 403, "detail": "..."}`. 404 before the callback ran,
/// after the outcome was collected, and five minutes after it was filed.
#[utoipa::path(
    post,
    path = "/api/v1/auth/google/handoff",
    operation_id = "google_handoff",
    tag = "google",
    request_body = HandoffRequest,
    responses(
        (status = 200, description = "The outcome; it is gone after this answer", body = Object),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 404, response = crate::openapi::NotFound),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::ValidationFailed),
    ),
)]
async fn collect_for_app(
    State(state): State<AppState>,
    ValidJson(request): ValidJson<HandoffRequest>,
) -> ApiResult<Response<Body>> {
    if let Some(problem) = handoff::verifier_problem(&request.verifier) {
        return Err(refuse!("google_handoff", 400, problem));
    }
    let Some(outcome) = state.google_logins.handoffs.take(&request.verifier) else {
        return Err(refuse!(
            "google_handoff",
            404,
            "no sign-in outcome is filed for this verifier: the callback has not run yet, \
             the outcome was collected already, or it expired"
        ));
    };
    passed!(
        "google_handoff",
        "outcome collected by the app that started the sign-in; it is no longer kept"
    );
    let mut response = axum::Json(outcome).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// A completed sign-in as filed for an app: the callback's JSON with `"outcome"`.
fn signed_in_for_app(answer: &GoogleSignIn) -> Value {
    let mut filed = serde_json::to_value(answer).unwrap_or_else(|_| json!({}));
    if let Some(fields) = filed.as_object_mut() {
        fields.insert("outcome".into(), json!("signed_in"));
    }
    filed
}

/// A refused sign-in as filed for an app. A 5xx keeps its cause for the trace.
fn refused_for_app(error: &ApiError) -> Value {
    let status = error.status();
    let detail = if status.is_server_error() {
        "the sandbox could not finish the sign-in; the callback's trace has the cause".to_owned()
    } else {
        error.to_string()
    };
    json!({ "outcome": "refused", "status": status.as_u16(), "detail": detail })
}

/// Every check of the callback, in order; the first that fails answers.
async fn sign_in(
    state: &AppState,
    headers: &HeaderMap,
    query: CallbackQuery,
) -> ApiResult<GoogleSignIn> {
    let attempt = take_attempt(state, headers, query.state.as_deref())?;
    if let Some(error) = query.error {
        if error == "access_denied" {
            return Err(refuse!(
                "google_consent",
                403,
                "Google sign-in was refused on the consent screen (access_denied)"
            ));
        }
        let description = query.error_description.unwrap_or_default();
        return Err(refuse!(
            "google_consent",
            400,
            format!("the provider answered error={error}: {description}")
        ));
    }
    let Some(code) = query.code else {
        return Err(refuse!(
            "google_consent",
            400,
            "the callback carries neither a code nor an error"
        ));
    };
    let id_token = exchange(state, &attempt, code).await?;
    let claims = verify_id_token(state, &attempt, &id_token).await?;
    let account = link(state, &claims)?;
    let token = issue_access_token(state, account.id, account.role)?;
    Ok(GoogleSignIn {
        token,
        google_identities: state.google_logins.accounts.identities_of(account.id),
        google: GoogleClaimsView {
            email_verified: claims.email_verified(),
            sub: claims.sub,
            email: claims.email,
        },
        link: account.link,
        user: GoogleUser {
            id: account.id,
            email: account.email,
            name: account.name,
            role: account.role,
        },
    })
}

// region: google-state
/// This browser's attempt, if the returned `state` is the one it started with. The
/// attempt is removed either way: a `state` works once.
fn take_attempt(
    state: &AppState,
    headers: &HeaderMap,
    returned: Option<&str>,
) -> ApiResult<Attempt> {
    let Some(returned) = returned else {
        return Err(refuse!(
            "google_state",
            400,
            "the callback carries no state"
        ));
    };
    if state.switches.is_on(Switch::GoogleSkipStateCheck) {
        // The hole: the attempt is looked up by the state in the URL, so a callback URL
        // from the attacker's own sign-in works in the victim's browser (login CSRF).
        let Some(attempt) = state.google_logins.take_by_state(returned) else {
            return Err(refuse!(
                "google_state",
                400,
                "no sign-in attempt has this state"
            ));
        };
        passed!(
            "google_state",
            "attempt found by the state in the URL; this browser was not checked \
             (google-skip-state-check is on)"
        );
        return Ok(attempt);
    }
    let Some(attempt_id) = cookie_value(headers, ATTEMPT_COOKIE) else {
        return Err(refuse!(
            "google_state",
            400,
            "no Google sign-in was started in this browser (no dojo_google_attempt cookie)"
        ));
    };
    let Some(attempt) = state.google_logins.take(attempt_id) else {
        return Err(refuse!(
            "google_state",
            400,
            "this browser's sign-in attempt is unknown or already finished; start again"
        ));
    };
    if now_ms() >= attempt.expires_at {
        return Err(refuse!(
            "google_state",
            400,
            "this browser's sign-in attempt expired; start again"
        ));
    }
    if !same_secret(returned.as_bytes(), attempt.state.as_bytes()) {
        return Err(refuse!(
            "google_state",
            400,
            "state does not match the sign-in this browser started (login CSRF refused)"
        ));
    }
    passed!(
        "google_state",
        "state matches the sign-in this browser started"
    );
    Ok(attempt)
}
// endregion

// region: google-exchange
/// Redeems the code at the token endpoint (server to server, client secret and PKCE
/// verifier attached) and returns the ID token.
async fn exchange(state: &AppState, attempt: &Attempt, code: String) -> ApiResult<String> {
    let client = attempt.provider.oauth_client(&attempt.redirect_uri)?;
    let http = attempt.provider.http(state)?;
    let answer = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(PkceCodeVerifier::new(attempt.verifier.clone()))
        .request_async(&http)
        .await;
    let tokens = match answer {
        Ok(tokens) => tokens,
        Err(RequestTokenError::ServerResponse(refused)) => {
            let description = refused.error_description().cloned().unwrap_or_default();
            return Err(refuse!(
                "google_exchange",
                400,
                format!(
                    "the provider refused the code: {} ({description})",
                    refused.error()
                )
            ));
        }
        Err(other) => {
            return Err(ApiError::Internal(format!(
                "the token exchange with {} failed: {other}",
                attempt.provider.name()
            )));
        }
    };
    let Some(id_token) = tokens.extra_fields().id_token.clone() else {
        return Err(ApiError::Internal(
            "the token answer has no id_token (was the openid scope granted?)".into(),
        ));
    };
    passed!(
        "google_exchange",
        format!(
            "code redeemed with the PKCE verifier: {} token and an ID token received",
            tokens.token_type().as_ref()
        )
    );
    Ok(id_token)
}
// endregion

/// Verifies the ID token with the provider's published keys.
async fn verify_id_token(
    state: &AppState,
    attempt: &Attempt,
    token: &str,
) -> ApiResult<id_token::IdClaims> {
    let kid = id_token::key_id(token).map_err(|reason| refuse!("id_token", 401, reason))?;
    let keys = provider_keys(state, &attempt.provider, &kid).await?;
    let expected = id_token::Expected {
        issuers: &attempt.provider.issuers,
        client_id: &attempt.provider.client_id,
        nonce: &attempt.nonce,
    };
    let claims = id_token::verify(token, &keys, &expected)
        .map_err(|reason| refuse!("id_token", 401, reason))?;
    passed!(
        "id_token",
        "ID token verified: RS256 signature by a published key, iss, aud, exp and nonce"
    );
    Ok(claims)
}

/// The provider's key set, fetched from its `jwks_uri` and kept an hour; fetched again
/// sooner for a key id it does not hold yet (the provider rotated its keys).
async fn provider_keys(state: &AppState, provider: &Provider, kid: &str) -> ApiResult<JwkSet> {
    let now = now_ms();
    let cached = state
        .google_logins
        .keys
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .filter(|c| c.url == provider.jwks_url && now < c.fetched_at + KEYS_MAX_AGE_MS);
    if let Some(cached) = &cached
        && (cached.keys.find(kid).is_some() || now < cached.fetched_at + KEYS_MIN_REFETCH_MS)
    {
        return Ok(cached.keys.clone());
    }
    let request = axum::http::Request::builder()
        .method(Method::GET)
        .uri(&provider.jwks_url)
        .header(header::ACCEPT, "application/json")
        .body(Vec::new())
        .map_err(|e| ApiError::Internal(format!("key set request: {e}")))?;
    let answer = provider.http(state)?.send(request).await?;
    if answer.status() != StatusCode::OK {
        return Err(ApiError::Internal(format!(
            "{} answered {}",
            provider.jwks_url,
            answer.status()
        )));
    }
    let listed: Value = serde_json::from_slice(answer.body())
        .map_err(|e| ApiError::Internal(format!("{} is not JSON: {e}", provider.jwks_url)))?;
    // Keys of kinds this build cannot use are skipped, not fatal.
    let keys = JwkSet {
        keys: listed["keys"]
            .as_array()
            .map(|keys| {
                keys.iter()
                    .filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok())
                    .collect()
            })
            .unwrap_or_default(),
    };
    *state
        .google_logins
        .keys
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = Some(CachedKeys {
        url: provider.jwks_url.clone(),
        fetched_at: now,
        keys: keys.clone(),
    });
    Ok(keys)
}

/// Finds or makes the account, and tells the account's owner when a new sign-in method
/// joined it.
fn link(state: &AppState, claims: &id_token::IdClaims) -> ApiResult<SignedIn> {
    let trust_unverified = state.switches.is_on(Switch::GoogleLinkUnverifiedEmail);
    let account = state
        .google_logins
        .accounts
        .link(&state.users, claims, trust_unverified)
        .map_err(|reason| refuse!("account_link", 403, reason))?;
    let how = match account.link {
        LinkKind::AlreadyLinked => "Google identity already linked",
        LinkKind::LinkedByVerifiedEmail => "linked by the address Google verified",
        LinkKind::LinkedByUnverifiedEmail => {
            "linked by an address Google did NOT verify (google-link-unverified-email is on)"
        }
        LinkKind::NewAccount => "no account had the address: a new one was created",
    };
    passed!(
        "account_link",
        format!(
            "{how}: signed in as user {} ({})",
            account.id, account.email
        )
    );
    if matches!(
        account.link,
        LinkKind::LinkedByVerifiedEmail | LinkKind::LinkedByUnverifiedEmail
    ) {
        state.user_events.publish(
            account.id,
            "google.linked",
            json!({ "sub": claims.sub, "email": claims.email }),
        );
    }
    Ok(account)
}

/// The token string of an access token answer.
fn access_token_of(token: &TokenResponse) -> String {
    serde_json::to_value(token)
        .ok()
        .and_then(|v| v["access_token"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A browser navigation asks for HTML; API clients and scripts get JSON.
fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// Hands the result to the window that opened this one, on an origin allowed to read the
/// sandbox's answers only: posting the token to `*` would give it to any page that opened
/// the sign-in.
const HANDOFF_SCRIPT: &str = "(() => {\
const read = (id) => JSON.parse(document.getElementById(id).textContent);\
const note = document.getElementById('dojo-google-handoff');\
if (!window.opener) { note.textContent = read('dojo-google-filed')\
 ? 'The app that started this sign-in collects the result from the sandbox. You can close this window.'\
 : 'No app window opened this page; nothing was handed over.'; return; }\
const message = { type: 'dojo:google-sign-in', result: read('dojo-google-result') };\
for (const origin of read('dojo-google-origins')) { window.opener.postMessage(message, origin); }\
note.textContent = 'Handed to the app window that opened this page. You can close it.';\
})();";

/// The page a browser ends on: who signed in, and the result handed to `window.opener`.
/// `filed`: the outcome waits for the app that started the sign-in (`handoff`).
fn result_page(
    state: &AppState,
    origin: &str,
    answer: &GoogleSignIn,
    filed: bool,
) -> Response<Body> {
    let mut origins = vec![origin.to_owned()];
    origins.extend(state.config.cors_origins.iter().cloned());
    let result = serde_json::to_value(answer).unwrap_or(Value::Null);
    let shown: String = access_token_of(&answer.token).chars().take(24).collect();
    let how = match answer.link {
        LinkKind::AlreadyLinked => "this Google account was linked before",
        LinkKind::LinkedByVerifiedEmail => "linked to the existing account by a verified address",
        LinkKind::LinkedByUnverifiedEmail => {
            "linked by an address Google did not verify: an account takeover"
        }
        LinkKind::NewAccount => "a new account was created",
    };
    let body = format!(
        "<p class=\"brand\"><b>G</b> Sign in with Google · Backend Dojo sandbox</p>\
         <h1>Signed in as {name}</h1>\
         <p>{email} · user {id} ({role}) · {how}</p>\
         <p>The sandbox issued its own access token: <code>{shown}…</code></p>\
         <p id=\"dojo-google-handoff\">Handing the result to the app…</p>\
         <script type=\"application/json\" id=\"dojo-google-result\">{result}</script>\
         <script type=\"application/json\" id=\"dojo-google-origins\">{origins}</script>\
         <script type=\"application/json\" id=\"dojo-google-filed\">{filed}</script>",
        name = html::escape(&answer.user.name),
        email = html::escape(&answer.user.email),
        id = answer.user.id,
        role = html::escape(&format!("{:?}", answer.user.role).to_lowercase()),
        how = html::escape(how),
        shown = html::escape(&shown),
        result = html::json_for_script(&result),
        origins = html::json_for_script(&json!(origins)),
    );
    html::page(
        StatusCode::OK,
        "Signed in with Google",
        &body,
        Some(HANDOFF_SCRIPT),
    )
}
