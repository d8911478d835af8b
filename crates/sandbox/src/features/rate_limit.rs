//! Rate limiting (topic 17): a token bucket per client address. Each request spends a
//! token; tokens come back at a steady rate up to the burst size. A refused request gets
//! 429 with `Retry-After`; every answer carries `RateLimit-Policy` and `RateLimit`.
//!
//! Try it: fire `GET /api/v1/me` more than the burst size in a row and watch the 429.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::state::AppState;

/// Buckets per client key.
#[derive(Debug)]
pub struct RateLimiter {
    burst: f64,
    per_second: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
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
        RateLimiter { burst: f64::from(burst.max(1)), per_second: per_second.max(0.001), buckets: Mutex::new(HashMap::new()) }
    }

    /// Refills the client's bucket for the time passed, then spends one token if there is one.
    pub fn check(&self, client: IpAddr, now: Instant) -> Verdict {
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let bucket = buckets.entry(client).or_insert(Bucket { tokens: self.burst, updated: now });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.burst);
        bucket.updated = now;
        let allowed = bucket.tokens >= 1.0;
        if allowed {
            bucket.tokens -= 1.0;
        }
        let missing = if allowed { self.burst - bucket.tokens } else { 1.0 - bucket.tokens };
        Verdict {
            allowed,
            // Truncation is the point: only whole tokens can be spent.
            remaining: bucket.tokens.floor() as u64,
            reset_secs: (missing / self.per_second).ceil() as u64,
        }
    }

    pub fn clear(&self) {
        self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clear();
    }

    fn policy(&self) -> String {
        let window = (self.burst / self.per_second).ceil() as u64;
        format!("\"per-client\";q={};w={window}", self.burst as u64)
    }
}

pub(crate) async fn enforce(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // Outside a real socket (tests driving the router directly) every caller shares one key.
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([127, 0, 0, 1]), |info| info.0.ip());
    let limiter = &state.rate_limiter;
    let verdict = limiter.check(client, Instant::now());
    let mut response = if verdict.allowed {
        next.run(request).await
    } else {
        tracing::info!(target: "dojo::trace", layer = "rate_limit", step = "decision", decision = "short_circuited", status = 429u64, reason = "the client's token bucket is empty");
        ApiError::RateLimited { retry_after_secs: verdict.reset_secs.max(1) }.into_response()
    };
    let headers = response.headers_mut();
    if let Ok(policy) = HeaderValue::from_str(&limiter.policy()) {
        headers.insert("ratelimit-policy", policy);
    }
    let state_header = format!("\"per-client\";r={};t={}", verdict.remaining, verdict.reset_secs);
    if let Ok(value) = HeaderValue::from_str(&state_header) {
        headers.insert("ratelimit", value);
    }
    response
}
// endregion
