//! What every handler and middleware can reach. Cheap to clone: one reference count,
//! however many parts it has (handlers and extractors clone it on every request).

use std::ops::Deref;
use std::sync::Arc;

use axum::extract::FromRef;
use jsonwebtoken::DecodingKey;
use tracing::Dispatch;
use tracing_subscriber::layer::SubscriberExt as _;

use crate::config::SandboxConfig;
use crate::features::logger::AccessLog;
use crate::features::rate_limit::RateLimiter;
use crate::features::users::UserStore;
use crate::switches::Switches;
use crate::trace::TraceStore;
use crate::trace::collector::Collector;

#[derive(Debug, Clone)]
pub struct AppState {
    shared: Arc<SharedState>,
}

/// The parts of [`AppState`], reached through it.
#[derive(Debug)]
pub struct SharedState {
    pub config: Arc<SandboxConfig>,
    pub switches: Arc<Switches>,
    pub traces: Arc<TraceStore>,
    pub access_log: Arc<AccessLog>,
    pub rate_limiter: Arc<RateLimiter>,
    pub users: Arc<UserStore>,
    /// Routes this sandbox's `tracing` events to its own trace store.
    pub dispatch: Dispatch,
    /// The access token key, prepared once from `config.jwt_secret`.
    jwt_key: JwtKey,
}

impl SharedState {
    /// The key that checks access tokens, made from `config.jwt_secret`.
    pub(crate) fn jwt_key(&self) -> &DecodingKey {
        &self.jwt_key.0
    }
}

/// The key that checks access tokens; its `Debug` does not show it.
struct JwtKey(DecodingKey);

impl std::fmt::Debug for JwtKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtKey(..)")
    }
}

impl Deref for AppState {
    type Target = SharedState;

    fn deref(&self) -> &SharedState {
        &self.shared
    }
}

impl AppState {
    pub fn new(config: SandboxConfig) -> AppState {
        let traces = Arc::new(TraceStore::default());
        let subscriber = tracing_subscriber::registry().with(Collector::new(traces.clone()));
        let shared = SharedState {
            rate_limiter: Arc::new(RateLimiter::new(
                config.rate_limit_burst,
                config.rate_limit_per_second,
            )),
            jwt_key: JwtKey(DecodingKey::from_secret(&config.jwt_secret)),
            config: Arc::new(config),
            switches: Arc::new(Switches::default()),
            traces,
            access_log: Arc::new(AccessLog::default()),
            users: Arc::new(UserStore::seeded()),
            dispatch: Dispatch::new(subscriber),
        };
        AppState {
            shared: Arc::new(shared),
        }
    }
}

impl FromRef<AppState> for Dispatch {
    fn from_ref(state: &AppState) -> Dispatch {
        state.dispatch.clone()
    }
}
