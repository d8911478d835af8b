//! Starting and stopping the sandbox for the shells: the CLI's `dojo sandbox`, web mode
//! and the desktop app all go through here.

use std::net::SocketAddr;
use std::sync::Arc;

use serde::Serialize;
use ts_rs::TS;

use dojo_sandbox::trace::TraceStore;

pub use dojo_sandbox::{Sandbox, SandboxConfig};

/// Options a shell may set; everything else keeps the sandbox's defaults.
#[derive(Debug, Clone, Default)]
pub struct SandboxOptions {
    pub addr: Option<SocketAddr>,
    /// Requests per second per client, also the burst size.
    pub rate_limit: Option<u32>,
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
    Sandbox::start(config).await
}

/// What the app keeps of the sandbox it started: where it listens and its traces.
#[derive(Debug, Clone)]
pub(crate) struct SandboxLink {
    pub(crate) base_url: String,
    pub(crate) traces: Arc<TraceStore>,
}

impl SandboxLink {
    pub(crate) fn new(sandbox: &Sandbox) -> SandboxLink {
        SandboxLink { base_url: format!("http://{}", sandbox.addr), traces: sandbox.state.traces.clone() }
    }
}

/// The sandbox as the status bar shows it.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SandboxInfo {
    pub base_url: Option<String>,
    pub running: bool,
}
