//! Rate limiting (topic 17): token buckets per client address and per signed-in user. Each
//! request spends a token from its client's bucket and, when it carries a valid access
//! token, from its user's bucket too; tokens come back at a steady rate up to the burst
//! size. A refused request gets 429 with `Retry-After` naming the bucket that refused;
//! every answer carries `RateLimit-Policy` and `RateLimit`.
//!
//! The buckets live in process, or in Redis when the sandbox has `--redis-url`, so several
//! sandboxes share them (see `rate_limit/redis_buckets.rs`). A Redis that cannot be reached
//! lets requests through (fail open) and the trace says why.
//!
//! Try it: fire `GET /api/v1/me` more than the burst size in a row and watch the 429.

mod redis_buckets;

use std::collections::HashMap;
use std::future::Future;
use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::header::{AUTHORIZATION, RETRY_AFTER};
use axum::http::{HeaderName, HeaderValue, Response, StatusCode};
use axum::response::IntoResponse as _;
use tower::{Layer, Service};

use crate::config::SandboxConfig;
use crate::error::{Problem, ProblemAnswered};
use crate::features::jwt;
use crate::middleware::Exit;
use crate::redis_link::RedisUnavailable;
use crate::state::AppState;

use redis_buckets::RedisBuckets;

/// The two buckets a request can spend from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Keyed by the client's address: every request.
    Client,
    /// Keyed by the user id of a valid access token: signed-in requests only.
    User,
}

impl Scope {
    /// The policy's name in `RateLimit-Policy` and `RateLimit`.
    pub fn policy_name(self) -> &'static str {
        match self {
            Scope::Client => "per-client",
            Scope::User => "per-user",
        }
    }

    /// Whose bucket, for sentences: "the client's", "the user's".
    fn owner(self) -> &'static str {
        match self {
            Scope::Client => "client's",
            Scope::User => "user's",
        }
    }
}

/// One bucket's size and refill rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    /// Most tokens the bucket holds: the burst a caller may send at once.
    pub burst: f64,
    /// Tokens added per second: the sustained rate.
    pub per_second: f64,
}

impl Policy {
    /// At least one token, and a refill rate above zero.
    pub fn new(burst: u32, per_second: f64) -> Policy {
        Policy {
            burst: f64::from(burst.max(1)),
            per_second: per_second.max(0.001),
        }
    }

    /// `w` of `RateLimit-Policy`: seconds to refill an empty bucket.
    fn window_secs(self) -> u64 {
        (self.burst / self.per_second).ceil() as u64
    }

    /// `"name";q=burst;w=window`.
    fn describe(self, scope: Scope) -> String {
        format!(
            "\"{}\";q={};w={}",
            scope.policy_name(),
            self.burst as u64,
            self.window_secs()
        )
    }

    /// Where a bucket stands once the request was decided: `tokens` are left in it and the
    /// request was `allowed` (by every bucket it spends from) or not.
    fn verdict(self, tokens: f64, allowed: bool) -> Verdict {
        // A refused request spent nothing: its bucket had a token unless it is below one.
        let had_token = allowed || tokens >= 1.0;
        let missing = if had_token {
            self.burst - tokens
        } else {
            1.0 - tokens
        };
        Verdict {
            allowed: had_token,
            // Truncation is the point: only whole tokens can be spent.
            remaining: tokens.max(0.0).floor() as u64,
            reset_secs: (missing.max(0.0) / self.per_second).ceil() as u64,
        }
    }
}

/// Where one bucket stands after a request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    /// Whether this bucket had a token for the request.
    pub allowed: bool,
    /// Whole tokens left after this request.
    pub remaining: u64,
    /// Seconds until one token is back (when this bucket refused) or the bucket is full.
    pub reset_secs: u64,
}

/// The outcome of one request against its buckets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    pub client: Verdict,
    /// The signed-in user's bucket, when the request carried a valid access token.
    pub user: Option<Verdict>,
}

impl Decision {
    /// A request passes only if every bucket it spends from had a token.
    pub fn allowed(&self) -> bool {
        self.client.allowed && self.user.is_none_or(|user| user.allowed)
    }

    fn buckets(&self) -> impl Iterator<Item = (Scope, Verdict)> {
        std::iter::once((Scope::Client, self.client))
            .chain(self.user.map(|user| (Scope::User, user)))
    }

    /// The bucket that refused and how long until it has a token again. When both are
    /// empty, the longer wait is the honest `Retry-After`.
    pub fn refused_by(&self) -> Option<(Scope, u64)> {
        self.buckets()
            .filter(|(_, verdict)| !verdict.allowed)
            .map(|(scope, verdict)| (scope, verdict.reset_secs.max(1)))
            .reduce(|first, other| if other.1 > first.1 { other } else { first })
    }

    /// The bucket closest to refusing: the one that refused, else the one with fewest
    /// tokens left (the client's on a tie). `RateLimit` describes this one.
    pub fn tightest(&self) -> (Scope, Verdict) {
        if let Some((scope, _)) = self.refused_by() {
            let verdict = if scope == Scope::Client {
                self.client
            } else {
                self.user.unwrap_or(self.client)
            };
            return (scope, verdict);
        }
        self.buckets()
            .reduce(|first, other| {
                if other.1.remaining < first.1.remaining {
                    other
                } else {
                    first
                }
            })
            .unwrap_or((Scope::Client, self.client))
    }
}

/// What a bucket is keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum BucketKey {
    Client(IpAddr),
    User(u64),
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// The sandbox's buckets, with their policies.
#[derive(Debug)]
pub struct RateLimiter {
    client: Policy,
    user: Policy,
    /// The buckets when they live in process.
    buckets: Mutex<HashMap<BucketKey, Bucket>>,
    /// The buckets when they live in Redis (`--redis-url`).
    shared: Option<RedisBuckets>,
    /// `RateLimit-Policy` for an anonymous request, and for a signed-in one.
    client_policy: Option<HeaderValue>,
    both_policies: Option<HeaderValue>,
}

impl RateLimiter {
    /// In-process buckets: a client bucket of `burst` refilled at `per_second`, and user
    /// buckets of the same size.
    pub fn new(burst: u32, per_second: f64) -> RateLimiter {
        let policy = Policy::new(burst, per_second);
        RateLimiter::with_policies(policy, policy, None)
    }

    /// The limiter `config` describes: its policies, in Redis when `redis_url` is set.
    pub fn from_config(config: &SandboxConfig) -> RateLimiter {
        let client = Policy::new(config.rate_limit_burst, config.rate_limit_per_second);
        let user = Policy::new(
            config
                .rate_limit_user_burst
                .unwrap_or(config.rate_limit_burst),
            config
                .rate_limit_user_per_second
                .unwrap_or(config.rate_limit_per_second),
        );
        let shared = config
            .redis_url
            .as_deref()
            .map(str::trim)
            .filter(|url| !url.is_empty())
            .map(RedisBuckets::new);
        RateLimiter::with_policies(client, user, shared)
    }

    fn with_policies(client: Policy, user: Policy, shared: Option<RedisBuckets>) -> RateLimiter {
        let client_only = client.describe(Scope::Client);
        let both = format!("{client_only}, {}", user.describe(Scope::User));
        RateLimiter {
            client,
            user,
            buckets: Mutex::new(HashMap::new()),
            shared,
            client_policy: HeaderValue::try_from(client_only).ok(),
            both_policies: HeaderValue::try_from(both).ok(),
        }
    }

    /// The policy of one scope.
    pub fn policy(&self, scope: Scope) -> Policy {
        match scope {
            Scope::Client => self.client,
            Scope::User => self.user,
        }
    }

    /// Where the buckets live: `memory`, or the Redis server without its password.
    pub fn store(&self) -> &str {
        self.shared
            .as_ref()
            .map_or("memory", RedisBuckets::shown_url)
    }

    /// Empties every bucket (a topic reset): in process now, in Redis before its next use.
    pub fn clear(&self) {
        self.buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clear();
        if let Some(shared) = &self.shared {
            shared.clear();
        }
    }
}

// region: token-bucket
impl RateLimiter {
    /// Refills the client's bucket (and the user's, for a signed-in request) for the time
    /// passed, then spends one token from each if every one of them has a whole token.
    /// One lock around all of it: no other request sees a half-spent pair.
    pub fn check(&self, client: IpAddr, user: Option<u64>, now: Instant) -> Decision {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut refill = |key: BucketKey, policy: Policy| {
            let bucket = buckets.entry(key).or_insert(Bucket {
                tokens: policy.burst,
                updated: now,
            });
            let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
            bucket.tokens = (bucket.tokens + elapsed * policy.per_second).min(policy.burst);
            bucket.updated = now;
            bucket.tokens
        };
        let mut client_tokens = refill(BucketKey::Client(client), self.client);
        let mut user_tokens = user.map(|id| refill(BucketKey::User(id), self.user));
        // All or nothing: a refusal by one bucket costs the other nothing.
        let allowed = client_tokens >= 1.0 && user_tokens.is_none_or(|tokens| tokens >= 1.0);
        if allowed {
            client_tokens = spend(&mut buckets, BucketKey::Client(client));
            if let Some(id) = user {
                user_tokens = Some(spend(&mut buckets, BucketKey::User(id)));
            }
        }
        Decision {
            client: self.client.verdict(client_tokens, allowed),
            user: user_tokens.map(|tokens| self.user.verdict(tokens, allowed)),
        }
    }
}

/// Takes one token from a bucket that has it; what is left.
fn spend(buckets: &mut HashMap<BucketKey, Bucket>, key: BucketKey) -> f64 {
    buckets.get_mut(&key).map_or(0.0, |bucket| {
        bucket.tokens -= 1.0;
        bucket.tokens
    })
}
// endregion

impl RateLimiter {
    /// [`RateLimiter::check`] against the buckets in Redis; an error when Redis cannot be
    /// used (the caller lets the request through).
    async fn check_shared(
        &self,
        client: IpAddr,
        user: Option<u64>,
    ) -> Result<Decision, RedisUnavailable> {
        let Some(shared) = &self.shared else {
            return Ok(self.check(client, user, Instant::now()));
        };
        let user = user.map(|id| (id, self.user));
        let taken = shared.take(client, self.client, user).await?;
        Ok(Decision {
            client: self.client.verdict(taken.client_tokens, taken.allowed),
            user: taken
                .user_tokens
                .map(|tokens| self.user.verdict(tokens, taken.allowed)),
        })
    }
}

// region: rate-limit-keys
/// The client's address: the TCP peer, never a header the client could write. Outside a
/// real socket (tests driving the router directly) every caller shares one key.
fn client_address(request: &Request) -> IpAddr {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([127, 0, 0, 1]), |info| info.0.ip())
}

/// The user a valid access token proves, checked by the same code as the auth extractor.
/// A missing, forged or expired token spends from the client's bucket only, and the
/// route's own auth check refuses it later.
fn signed_in_user(request: Request, state: &AppState) -> (Request, Option<u64>) {
    if !request.headers().contains_key(AUTHORIZATION) {
        return (request, None);
    }
    let (parts, body) = request.into_parts();
    let user = jwt::verified_user_id(&parts, state);
    (Request::from_parts(parts, body), user)
}
// endregion

const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");

/// The rate limit layer: last before the routes.
pub(crate) fn enforce(state: &AppState) -> RateLimitLayer {
    RateLimitLayer {
        state: state.clone(),
    }
}

#[derive(Debug, Clone)]
pub(crate) struct RateLimitLayer {
    state: AppState,
}

impl<S> Layer<S> for RateLimitLayer {
    type Service = RateLimit<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RateLimit {
            state: self.state.clone(),
            inner,
        }
    }
}

/// The rate limiter in the stack. In process it decides before calling the layers below,
/// with no allocation; with Redis it has to wait for the answer, so the request goes on
/// in a boxed future.
#[derive(Debug, Clone)]
pub(crate) struct RateLimit<S> {
    state: AppState,
    inner: S,
}

type Pending<E> = Pin<Box<dyn Future<Output = Result<Response<Body>, E>> + Send>>;

// region: rate-limit-layer
impl<S> Service<Request> for RateLimit<S>
where
    S: Service<Request, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Unpin + Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = Limited<S::Future, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let client = client_address(&request);
        let (request, user) = signed_in_user(request, &self.state);
        let limiter = &self.state.rate_limiter;
        if limiter.shared.is_none() {
            let decision = limiter.check(client, user, Instant::now());
            return match answer(limiter, decision) {
                Answer::Pass(headers) => Limited::Passed {
                    inner: self.inner.call(request),
                    headers: Some(headers),
                },
                Answer::Refuse(refused) => Limited::Refused {
                    response: Some(refused),
                },
            };
        }
        // The clone stays here for the next request; the service that was polled ready
        // goes with this one.
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        let state = self.state.clone();
        Limited::Shared(Box::pin(async move {
            let limiter = &state.rate_limiter;
            match limiter.check_shared(client, user).await {
                Ok(decision) => match answer(limiter, decision) {
                    Answer::Pass(headers) => {
                        let mut response = inner.call(request).await?;
                        headers.exit(&mut response);
                        Ok(response)
                    }
                    Answer::Refuse(refused) => Ok(refused),
                },
                // Fail open: a limiter outage must not take the API down with it.
                Err(unavailable) => {
                    let reason = format!(
                        "rate limit store unavailable: {unavailable}; the request passes \
                         unlimited (fail open)"
                    );
                    tracing::warn!(target: "dojo::trace", layer = "rate_limit", step = "decision", decision = "passed", reason = reason.as_str());
                    inner.call(request).await
                }
            }
        }))
    }
}

/// What the limiter does with a request.
enum Answer {
    /// Let it through; these headers go on its answer.
    Pass(RateLimitHeaders),
    /// Answer it with this 429.
    Refuse(Response<Body>),
}

/// The headers for a request that passes, or the 429 for one that does not.
fn answer(limiter: &RateLimiter, decision: Decision) -> Answer {
    let policy = if decision.user.is_some() {
        limiter.both_policies.clone()
    } else {
        limiter.client_policy.clone()
    };
    let headers = RateLimitHeaders {
        tightest: decision.tightest(),
        policy,
    };
    let Some((scope, retry_after_secs)) = decision.refused_by() else {
        return Answer::Pass(headers);
    };
    let reason = match scope {
        Scope::Client => "the client's token bucket is empty",
        Scope::User => "the user's token bucket is empty",
    };
    tracing::info!(target: "dojo::trace", layer = "rate_limit", step = "decision", decision = "short_circuited", status = 429u64, reason);
    let detail = format!(
        "too many requests: this {} bucket ({}) is empty; retry in {retry_after_secs} s",
        scope.owner(),
        scope.policy_name()
    );
    let mut response =
        Problem::new(StatusCode::TOO_MANY_REQUESTS, "rate-limited", detail).into_response();
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(retry_after_secs));
    response.extensions_mut().insert(ProblemAnswered);
    headers.exit(&mut response);
    Answer::Refuse(response)
}
// endregion

/// The response of [`RateLimit`].
pub(crate) enum Limited<F, E> {
    /// Decided in process and allowed: the layers below run, then the headers are added.
    Passed {
        inner: F,
        headers: Option<RateLimitHeaders>,
    },
    /// Decided in process and refused.
    Refused { response: Option<Response<Body>> },
    /// Decided by Redis.
    Shared(Pending<E>),
}

impl<F, E> std::fmt::Debug for Limited<F, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Limited::Passed { .. } => "Limited::Passed",
            Limited::Refused { .. } => "Limited::Refused",
            Limited::Shared(_) => "Limited::Shared",
        })
    }
}

impl<F, E> Future for Limited<F, E>
where
    F: Future<Output = Result<Response<Body>, E>> + Unpin,
{
    type Output = Result<Response<Body>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            Limited::Passed { inner, headers } => {
                let mut result = std::task::ready!(Pin::new(inner).poll(cx));
                if let (Ok(response), Some(headers)) = (&mut result, headers.take()) {
                    headers.exit(response);
                }
                Poll::Ready(result)
            }
            Limited::Refused { response } => {
                Poll::Ready(Ok(response.take().expect("a refusal is only taken once")))
            }
            Limited::Shared(pending) => pending.as_mut().poll(cx),
        }
    }
}

/// Every answer, refused or not, tells the client where it stands: both policies when it
/// signed in, and the state of the bucket closest to refusing.
#[derive(Debug)]
pub(crate) struct RateLimitHeaders {
    tightest: (Scope, Verdict),
    policy: Option<HeaderValue>,
}

impl<B> Exit<B> for RateLimitHeaders {
    fn exit(self, response: &mut Response<B>) {
        let headers = response.headers_mut();
        if let Some(policy) = self.policy {
            headers.insert(RATELIMIT_POLICY, policy);
        }
        let (scope, verdict) = self.tightest;
        // Written on the stack: a name and two numbers never fill 64 bytes.
        let mut state_header = [0u8; 64];
        let mut writer = std::io::Cursor::new(&mut state_header[..]);
        if write!(
            writer,
            "\"{}\";r={};t={}",
            scope.policy_name(),
            verdict.remaining,
            verdict.reset_secs
        )
        .is_ok()
        {
            let written = usize::try_from(writer.position()).unwrap_or(0);
            if let Ok(value) = HeaderValue::from_bytes(&state_header[..written]) {
                headers.insert(RATELIMIT, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const CAFE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, 7));

    #[test]
    fn an_anonymous_burst_passes_then_the_client_bucket_refuses() {
        let limiter = RateLimiter::new(3, 1.0);
        let now = Instant::now();
        for left in [2, 1, 0] {
            let decision = limiter.check(HOME, None, now);
            assert!(decision.allowed());
            assert_eq!(decision.client.remaining, left);
            assert_eq!(decision.user, None);
        }
        let refused = limiter.check(HOME, None, now);
        assert!(!refused.allowed());
        assert_eq!(refused.refused_by(), Some((Scope::Client, 1)));
        // One second later one token is back.
        assert!(
            limiter
                .check(HOME, None, now + Duration::from_secs(1))
                .allowed()
        );
    }

    #[test]
    fn a_user_bucket_follows_the_user_across_addresses() {
        let limiter =
            RateLimiter::with_policies(Policy::new(10, 0.001), Policy::new(3, 0.001), None);
        let now = Instant::now();
        for client in [HOME, CAFE, HOME] {
            assert!(limiter.check(client, Some(1), now).allowed());
        }
        let refused = limiter.check(CAFE, Some(1), now);
        assert!(!refused.allowed());
        assert_eq!(
            refused.refused_by().map(|(scope, _)| scope),
            Some(Scope::User)
        );
        // The cafe's bucket paid for one request: the refusal spent nothing from it.
        assert_eq!(refused.client.remaining, 9);
        assert_eq!(refused.tightest().0, Scope::User);
        // Another user at the same cafe still passes.
        assert!(limiter.check(CAFE, Some(2), now).allowed());
    }

    #[test]
    fn retry_after_is_the_longer_wait_when_both_buckets_are_empty() {
        let decision = Decision {
            client: Verdict {
                allowed: false,
                remaining: 0,
                reset_secs: 2,
            },
            user: Some(Verdict {
                allowed: false,
                remaining: 0,
                reset_secs: 5,
            }),
        };
        assert_eq!(decision.refused_by(), Some((Scope::User, 5)));
    }

    #[test]
    fn the_policy_header_lists_the_user_policy_for_signed_in_requests() {
        let limiter = RateLimiter::with_policies(Policy::new(10, 1.0), Policy::new(4, 0.5), None);
        assert_eq!(
            limiter.client_policy.as_ref().and_then(|v| v.to_str().ok()),
            Some("\"per-client\";q=10;w=10")
        );
        assert_eq!(
            limiter.both_policies.as_ref().and_then(|v| v.to_str().ok()),
            Some("\"per-client\";q=10;w=10, \"per-user\";q=4;w=8")
        );
    }
}
