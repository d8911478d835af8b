//! Starting and stopping the sandbox for the shells: the CLI's `dojo sandbox`, web mode
//! and the desktop app all go through here (the app's own sandbox through
//! `sandbox_control`, which keeps it running and restarts it).

use std::net::SocketAddr;
use std::sync::Arc;

use serde::Serialize;
use ts_rs::TS;

use dojo_sandbox::trace::TraceStore;

pub use dojo_sandbox::features::mail_delivery::SmtpRelay;
pub use dojo_sandbox::{Sandbox, SandboxConfig};

/// Options a shell may set; everything else keeps the sandbox's defaults.
#[derive(Debug, Clone, Default)]
pub struct SandboxOptions {
    pub addr: Option<SocketAddr>,
    /// Requests per second per client, also the burst size.
    pub rate_limit: Option<u32>,
    /// Host names answered besides localhost and IP addresses.
    pub allowed_hosts: Vec<String>,
    /// The `/_dojo/` launch token; random unless given.
    pub tooling_token: Option<String>,
    /// Keep the data suite (topics 8-13, 26, 28) in this MongoDB instead of SQLite.
    pub mongodb_uri: Option<String>,
    /// Keep the cache (topic 31) and the login sessions (topic 2) in this Redis.
    pub redis_url: Option<String>,
    /// Send every mail through this SMTP relay too; the built-in mailbox keeps them all.
    pub smtp: Option<SmtpRelay>,
    /// Signing secrets kept per install; random per start when `None`.
    pub secrets: Option<crate::sandbox_secrets::SandboxSecrets>,
}

/// Starts a sandbox in the current tokio runtime.
pub async fn start(options: SandboxOptions) -> std::io::Result<Sandbox> {
    let mut config = SandboxConfig::default();
    if let Some(addr) = options.addr {
        config.addr = addr;
    }
    if let Some(rate) = options.rate_limit {
        config.rate_limit_burst = rate;
        config.rate_limit_per_second = f64::from(rate);
    }
    config.allowed_hosts = options.allowed_hosts;
    // A real Google client (topic 7) replaces the built-in mock provider when both
    // DOJO_GOOGLE_CLIENT_ID and DOJO_GOOGLE_CLIENT_SECRET are set.
    config.google.real_client =
        dojo_sandbox::features::google_oauth::GoogleClientCredentials::from_env();
    if let Some(token) = options.tooling_token {
        config.tooling_token = token;
    }
    config.mongodb_uri = options.mongodb_uri;
    config.redis_url = options.redis_url;
    config.smtp = options.smtp;
    if let Some(secrets) = options.secrets {
        config.jwt_secret = secrets.jwt_key();
        config.webhook_secret = secrets.webhook_secret;
        config.payment_webhook_secret = secrets.payment_webhook_secret;
    }
    Sandbox::start(config).await
}

/// What the app keeps of the sandbox it started: where it listens, the launch token its
/// `/_dojo/` tooling wants, and its traces.
#[derive(Debug, Clone)]
pub(crate) struct SandboxLink {
    pub(crate) base_url: String,
    pub(crate) tooling_token: String,
    pub(crate) traces: Arc<TraceStore>,
}

impl SandboxLink {
    pub(crate) fn new(sandbox: &Sandbox) -> SandboxLink {
        SandboxLink {
            base_url: format!("http://{}", sandbox.addr),
            tooling_token: sandbox.state.config.tooling_token.clone(),
            traces: sandbox.state.traces.clone(),
        }
    }

    /// Whether `url` is one of this sandbox's `/_dojo/` tooling addresses.
    pub(crate) fn is_tooling(&self, url: &str) -> bool {
        url.strip_prefix(&self.base_url)
            .is_some_and(|path| path.starts_with("/_dojo/"))
    }
}

/// Whether the sandbox answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum SandboxState {
    Running,
    /// Stopped from the status bar, or never started by this shell.
    Stopped,
    /// The last start failed; `message` says why.
    Failed,
}

/// The sandbox as the status bar shows it.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SandboxInfo {
    /// `http://host:port` while it runs.
    pub base_url: Option<String>,
    pub running: bool,
    pub state: SandboxState,
    /// `host:port` it listens on, or last listened on when stopped; `None` before the
    /// first start.
    pub address: Option<String>,
    /// Requests finished per second over the last few seconds.
    pub requests_per_second: f64,
    /// Where the sandbox's data routes store, e.g. "SQLite (embedded)".
    pub storage: String,
    /// A request to paste into a terminal, while it runs.
    pub curl_example: Option<String>,
    /// Why the last start failed, or that it had to move to another port.
    pub message: Option<String>,
}
