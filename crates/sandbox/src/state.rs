//! What every handler and middleware can reach. Cheap to clone.

use std::sync::Arc;

use axum::extract::FromRef;
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
    pub config: Arc<SandboxConfig>,
    pub switches: Arc<Switches>,
    pub traces: Arc<TraceStore>,
    pub access_log: Arc<AccessLog>,
    pub rate_limiter: Arc<RateLimiter>,
    pub users: Arc<UserStore>,
    /// Routes this sandbox's `tracing` events to its own trace store.
    pub dispatch: Dispatch,
}

impl AppState {
    pub fn new(config: SandboxConfig) -> AppState {
        let traces = Arc::new(TraceStore::default());
        let subscriber = tracing_subscriber::registry().with(Collector::new(traces.clone()));
        AppState {
            rate_limiter: Arc::new(RateLimiter::new(config.rate_limit_burst, config.rate_limit_per_second)),
            config: Arc::new(config),
            switches: Arc::new(Switches::default()),
            traces,
            access_log: Arc::new(AccessLog::default()),
            users: Arc::new(UserStore::seeded()),
            dispatch: Dispatch::new(subscriber),
        }
    }
}

impl FromRef<AppState> for Dispatch {
    fn from_ref(state: &AppState) -> Dispatch {
        state.dispatch.clone()
    }
}
