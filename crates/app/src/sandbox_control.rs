//! The embedded sandbox's lifecycle, owned by the app: the shells launch it once, the
//! status bar stops, starts and restarts it. The running [`Sandbox`] sits behind an async
//! lock, so two clicks never race; the [`SandboxLink`] every other call reads (address,
//! launch token, traces) changes in the same step, so a call sees either the old sandbox or
//! the new one, never half of each.
//!
//! A restart binds the port the sandbox had, so curl lines and Postman environments keep
//! working; if another program took the port meanwhile, a free one is used and the status
//! says so. The launch token stays the same for the whole session.

use std::net::SocketAddr;
use std::sync::{Mutex, PoisonError, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dojo_sandbox::trace::CAPACITY;
use tokio::sync::{broadcast, mpsc, watch};
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;

use crate::sandbox::{self, Sandbox, SandboxInfo, SandboxLink, SandboxOptions, SandboxState};
use crate::sandbox_settings;
use crate::traffic::TrafficEntry;
use crate::{Error, Result};

/// How far back requests count for the requests-per-second figure.
const RATE_WINDOW_MS: u64 = 5_000;
/// How long a stop waits for requests in flight (a live event stream never ends by itself).
const STOP_GRACE: Duration = Duration::from_secs(3);
/// How many finished requests the rate reading looks at first; doubled while they all fall
/// inside the window.
const RATE_FIRST_BATCH: usize = 64;

/// Starts, stops and restarts the sandbox, and tells everyone else where it is.
#[derive(Debug)]
pub(crate) struct SandboxControl {
    /// How the next start binds; after the first start it holds that start's address and
    /// launch token, so later starts keep both.
    options: Mutex<SandboxOptions>,
    running: tokio::sync::Mutex<Option<Sandbox>>,
    link: RwLock<Option<SandboxLink>>,
    /// Why the last start failed, or that the port had to change.
    note: Mutex<Option<String>>,
    /// Counts every start and stop, so followers of the traffic can switch sandboxes.
    changes: watch::Sender<u64>,
    /// The storage label of the last sandbox started, from its own config.
    storage: Mutex<Option<String>>,
}

impl Default for SandboxControl {
    fn default() -> SandboxControl {
        SandboxControl {
            options: Mutex::default(),
            running: tokio::sync::Mutex::default(),
            link: RwLock::default(),
            note: Mutex::default(),
            changes: watch::Sender::new(0),
            storage: Mutex::default(),
        }
    }
}

impl SandboxControl {
    /// The sandbox as calls should reach it; `None` while it is stopped.
    pub(crate) fn link(&self) -> Option<SandboxLink> {
        self.link
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Starts the sandbox with `options` unless one runs already (then nothing changes).
    pub(crate) async fn launch(&self, options: SandboxOptions) -> Result<SandboxInfo> {
        *lock(&self.options) = options;
        self.start().await
    }

    /// Starts the sandbox where it last listened; a running one is left as it is.
    pub(crate) async fn start(&self) -> Result<SandboxInfo> {
        let mut running = self.running.lock().await;
        if running.is_none() {
            *running = Some(self.bind().await?);
        }
        drop(running);
        Ok(self.info())
    }

    /// Stops the sandbox: it refuses new connections at once and gets a few seconds to
    /// finish the requests in flight.
    pub(crate) async fn stop(&self) -> Result<SandboxInfo> {
        let mut running = self.running.lock().await;
        if let Some(sandbox) = running.take() {
            self.publish(None);
            finish(sandbox).await;
        }
        *lock(&self.note) = None;
        drop(running);
        Ok(self.info())
    }

    /// Stops the sandbox and starts a fresh one on the same port: every store, switch and
    /// trace starts over.
    pub(crate) async fn restart(&self) -> Result<SandboxInfo> {
        let mut running = self.running.lock().await;
        if let Some(sandbox) = running.take() {
            self.publish(None);
            finish(sandbox).await;
        }
        *running = Some(self.bind().await?);
        drop(running);
        Ok(self.info())
    }

    /// Restarts the sandbox with its options changed by `change` (the launch token stays).
    /// The new options must work as given: when their address cannot be bound, the sandbox
    /// starts again as it was and the error names the port and the reason.
    pub(crate) async fn reconfigure(
        &self,
        change: impl FnOnce(&mut SandboxOptions),
    ) -> Result<SandboxInfo> {
        let mut running = self.running.lock().await;
        let before = lock(&self.options).clone();
        let mut next = before.clone();
        change(&mut next);
        if let Some(sandbox) = running.take() {
            self.publish(None);
            finish(sandbox).await;
        }
        match sandbox::start(next.clone()).await {
            Ok(sandbox) => {
                *lock(&self.options) = next;
                *lock(&self.note) = None;
                self.adopt(&sandbox);
                *running = Some(sandbox);
                drop(running);
                Ok(self.info())
            }
            Err(error) => {
                let wanted = next.addr.map_or(0, |addr| addr.port());
                let restored = self.bind().await;
                let now = match &restored {
                    Ok(sandbox) => format!("it still runs on {} as before", sandbox.addr),
                    Err(_) => "it is stopped".to_owned(),
                };
                *running = restored.ok();
                let why = if error.kind() == std::io::ErrorKind::AddrInUse {
                    "another program already uses it".to_owned()
                } else {
                    error.to_string()
                };
                Err(Error::SandboxSetting(
                    sandbox_settings::SandboxField::Port,
                    format!(
                        "the sandbox cannot listen on port {wanted}: {why}; {now}. Choose \
                         another port, or leave the field empty for any free port"
                    ),
                ))
            }
        }
    }

    /// What the status bar shows.
    pub(crate) fn info(&self) -> SandboxInfo {
        let link = self.link();
        let note = lock(&self.note).clone();
        let address = lock(&self.options).addr.map(|addr| addr.to_string());
        let state = match (&link, &note) {
            (Some(_), _) => SandboxState::Running,
            (None, Some(_)) => SandboxState::Failed,
            (None, None) => SandboxState::Stopped,
        };
        SandboxInfo {
            running: link.is_some(),
            state,
            address,
            requests_per_second: link.as_ref().map_or(0.0, requests_per_second),
            storage: lock(&self.storage)
                .clone()
                .unwrap_or_else(|| sandbox_settings::EMBEDDED_STORAGE.to_owned()),
            curl_example: link
                .as_ref()
                .map(|link| format!("curl -i {}/api/v1/users/1", link.base_url)),
            message: note,
            base_url: link.map(|link| link.base_url),
        }
    }

    /// Every request the sandbox finishes from now on, across stops and restarts, until the
    /// stream is dropped. Must be called inside a tokio runtime.
    pub(crate) fn live_traffic(
        self: &std::sync::Arc<Self>,
    ) -> impl Stream<Item = TrafficEntry> + Send + 'static {
        let (sender, receiver) = mpsc::channel(256);
        let control = std::sync::Arc::clone(self);
        tokio::spawn(async move { control.forward_traffic(sender).await });
        ReceiverStream::new(receiver)
    }

    async fn forward_traffic(&self, sender: mpsc::Sender<TrafficEntry>) {
        let mut changes = self.changes.subscribe();
        loop {
            changes.mark_unchanged();
            let mut feed = self.link().map(|link| link.traces.subscribe());
            loop {
                let next = async {
                    match feed.as_mut() {
                        Some(feed) => Some(feed.recv().await),
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    () = sender.closed() => return,
                    changed = changes.changed() => {
                        if changed.is_err() {
                            return;
                        }
                        break;
                    }
                    received = next => match received {
                        Some(Ok(summary)) => {
                            if sender.send(TrafficEntry::from(summary)).await.is_err() {
                                return;
                            }
                        }
                        // A slow reader misses some entries; the list view reloads anyway.
                        Some(Err(broadcast::error::RecvError::Lagged(_))) => {}
                        Some(Err(broadcast::error::RecvError::Closed)) | None => feed = None,
                    },
                }
            }
        }
    }

    /// Binds the remembered address (or a free port if it was taken) and makes the new
    /// sandbox the one every call reaches.
    async fn bind(&self) -> Result<Sandbox> {
        let options = lock(&self.options).clone();
        let (sandbox, moved_from) = match sandbox::start(options.clone()).await {
            Ok(sandbox) => (sandbox, None),
            Err(first) => match options.addr.filter(|addr| addr.port() != 0) {
                Some(wanted) => {
                    let elsewhere = SandboxOptions {
                        addr: Some(SocketAddr::new(wanted.ip(), 0)),
                        ..options.clone()
                    };
                    let sandbox = sandbox::start(elsewhere)
                        .await
                        .map_err(|error| self.failed(wanted, &error))?;
                    (sandbox, Some((wanted, first)))
                }
                None => {
                    let wanted = options
                        .addr
                        .unwrap_or_else(|| sandbox::SandboxConfig::default().addr);
                    return Err(self.failed(wanted, &first));
                }
            },
        };
        *lock(&self.note) = moved_from.map(|(wanted, error)| {
            format!(
                "port {} was not free ({error}), so the sandbox moved to port {}",
                wanted.port(),
                sandbox.addr.port()
            )
        });
        self.adopt(&sandbox);
        Ok(sandbox)
    }

    /// Makes a freshly started sandbox the one every call reaches, and remembers its
    /// address, launch token and storage for later starts and the status bar.
    fn adopt(&self, sandbox: &Sandbox) {
        {
            let mut kept = lock(&self.options);
            kept.addr = Some(sandbox.addr);
            kept.tooling_token = Some(sandbox.state.config.tooling_token.clone());
        }
        let config = &sandbox.state.config;
        *lock(&self.storage) = Some(sandbox_settings::storage_label(
            config.mongodb_uri.as_deref(),
            config.redis_url.as_deref(),
        ));
        self.publish(Some(SandboxLink::new(sandbox)));
    }

    fn failed(&self, addr: SocketAddr, error: &std::io::Error) -> Error {
        let message = format!("the sandbox could not start on {addr}: {error}");
        *lock(&self.note) = Some(message.clone());
        Error::SandboxStart(message)
    }

    fn publish(&self, link: Option<SandboxLink>) {
        *self.link.write().unwrap_or_else(PoisonError::into_inner) = link;
        self.changes.send_modify(|count| *count += 1);
    }
}

/// Shuts a sandbox down, giving requests in flight [`STOP_GRACE`]. Its port is released as
/// soon as the shutdown begins; a stream still open after the grace period ends with the
/// sandbox's task in the background.
async fn finish(sandbox: Sandbox) {
    let addr = sandbox.addr;
    match tokio::time::timeout(STOP_GRACE, sandbox.shutdown()).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => eprintln!("backend dojo: the sandbox on {addr} stopped with: {error}"),
        Err(_) => eprintln!(
            "backend dojo: the sandbox on {addr} still had open connections after {} s; \
             they end in the background",
            STOP_GRACE.as_secs()
        ),
    }
}

/// Requests per second over the last few seconds, from the finished requests' start times.
/// Reads the newest traces in growing batches until it reaches one older than the window.
fn requests_per_second(link: &SandboxLink) -> f64 {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        });
    let since = now_ms.saturating_sub(RATE_WINDOW_MS);
    let mut batch = RATE_FIRST_BATCH;
    loop {
        let recent = link.traces.recent(batch);
        let in_window = recent
            .iter()
            .filter(|trace| trace.started_at_ms >= since)
            .count();
        let reached_older = recent
            .last()
            .is_some_and(|trace| trace.started_at_ms < since);
        if reached_older || recent.len() < batch {
            return in_window as f64 * 1000.0 / RATE_WINDOW_MS as f64;
        }
        if batch >= CAPACITY {
            // Every trace the store keeps is recent: rate over the span they cover.
            let oldest = recent.last().map_or(since, |trace| trace.started_at_ms);
            let span_ms = now_ms.saturating_sub(oldest).max(1);
            return recent.len() as f64 * 1000.0 / span_ms as f64;
        }
        batch = (batch * 2).min(CAPACITY);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
