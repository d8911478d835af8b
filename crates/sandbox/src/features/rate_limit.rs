//! Rate limiting (topic 17): a token bucket per client address. Each request spends a
//! token; tokens come back at a steady rate up to the burst size. A refused request gets
//! 429 with `Retry-After`; every answer carries `RateLimit-Policy` and `RateLimit`.
//!
//! Try it: fire `GET /api/v1/me` more than the burst size in a row and watch the 429.

use std::collections::HashMap;
use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderName, HeaderValue, Response};
use axum::response::IntoResponse;

use crate::error::ApiError;
use crate::middleware::{Exit, Middleware, MiddlewareLayer};
use crate::state::AppState;

/// Buckets per client key.
#[derive(Debug)]
pub struct RateLimiter {
    burst: f64,
    per_second: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
    /// `RateLimit-Policy`, the same on every answer.
    policy: Option<HeaderValue>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// The outcome of one request against its bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    pub allowed: bool,
    /// Whole tokens left after this request.
    pub remaining: u64,
    /// Seconds until one token is back (when refused) or the bucket is full.
    pub reset_secs: u64,
}

// region: token-bucket
impl RateLimiter {
    pub fn new(burst: u32, per_second: f64) -> RateLimiter {
        let burst = f64::from(burst.max(1));
        let per_second = per_second.max(0.001);
        let window = (burst / per_second).ceil() as u64;
        let policy =
            HeaderValue::try_from(format!("\"per-client\";q={};w={window}", burst as u64)).ok();
        RateLimiter {
            burst,
            per_second,
            buckets: Mutex::new(HashMap::new()),
            policy,
        }
    }

    /// Refills the client's bucket for the time passed, then spends one token if there is one.
    pub fn check(&self, client: IpAddr, now: Instant) -> Verdict {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let bucket = buckets.entry(client).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.burst);
        bucket.updated = now;
        let allowed = bucket.tokens >= 1.0;
        if allowed {
            bucket.tokens -= 1.0;
        }
        let missing = if allowed {
            self.burst - bucket.tokens
        } else {
            1.0 - bucket.tokens
        };
        Verdict {
            allowed,
            // Truncation is the point: only whole tokens can be spent.
            remaining: bucket.tokens.floor() as u64,
            reset_secs: (missing / self.per_second).ceil() as u64,
        }
    }

    pub fn clear(&self) {
        self.buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clear();
    }
}

const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");

pub(crate) fn enforce(state: &AppState) -> MiddlewareLayer<RateLimit> {
    MiddlewareLayer::new(RateLimit {
        limiter: state.rate_limiter.clone(),
    })
}

#[derive(Debug, Clone)]
pub(crate) struct RateLimit {
    limiter: Arc<RateLimiter>,
}

impl Middleware<Body> for RateLimit {
    type Exit = RateLimitHeaders;

    fn enter(&self, request: &mut Request) -> Result<RateLimitHeaders, Response<Body>> {
        // Outside a real socket (tests driving the router directly) every caller shares one key.
        let client = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([127, 0, 0, 1]), |info| info.0.ip());
        let verdict = self.limiter.check(client, Instant::now());
        let headers = RateLimitHeaders {
            verdict,
            policy: self.limiter.policy.clone(),
        };
        if verdict.allowed {
            return Ok(headers);
        }
        tracing::info!(target: "dojo::trace", layer = "rate_limit", step = "decision", decision = "short_circuited", status = 429u64, reason = "the client's token bucket is empty");
        let mut response = ApiError::RateLimited {
            retry_after_secs: verdict.reset_secs.max(1),
        }
        .into_response();
        headers.exit(&mut response);
        Err(response)
    }
}

/// Every answer, refused or not, tells the client where its bucket stands.
#[derive(Debug)]
pub(crate) struct RateLimitHeaders {
    verdict: Verdict,
    policy: Option<HeaderValue>,
}

impl<B> Exit<B> for RateLimitHeaders {
    fn exit(self, response: &mut Response<B>) {
        let headers = response.headers_mut();
        if let Some(policy) = self.policy {
            headers.insert(RATELIMIT_POLICY, policy);
        }
        // Written on the stack: two numbers never fill 64 bytes.
        let mut state_header = [0u8; 64];
        let mut writer = std::io::Cursor::new(&mut state_header[..]);
        if write!(
            writer,
            "\"per-client\";r={};t={}",
            self.verdict.remaining, self.verdict.reset_secs
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
// endregion
