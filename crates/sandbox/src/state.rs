//! What every handler and middleware can reach. Cheap to clone: one reference count,
//! however many parts it has (handlers and extractors clone it on every request).

use std::ops::Deref;
use std::sync::Arc;

use axum::extract::FromRef;
use jsonwebtoken::DecodingKey;
use tracing::Dispatch;
use tracing_subscriber::layer::SubscriberExt as _;

use crate::config::SandboxConfig;
use crate::features::cache::Cache;
use crate::features::chat::ChatStore;
use crate::features::data_suite::DataSuite;
use crate::features::email_verification::SignupStore;
use crate::features::file_upload::disk::FileStore;
use crate::features::google_oauth::GoogleLogins;
use crate::features::image_upload::ImageStore;
use crate::features::logger::AccessLog;
use crate::features::mailbox::Mailbox;
use crate::features::mock_google::MockGoogle;
use crate::features::object_store::ObjectStore;
use crate::features::otp::OtpStore;
use crate::features::password_reset::ResetTokens;
use crate::features::payment_provider::MockProvider;
use crate::features::payments::Shop;
use crate::features::rate_limit::RateLimiter;
use crate::features::rbac::Profiles;
use crate::features::realtime::SocketIoShutdown;
use crate::features::refresh_tokens::RefreshStore;
use crate::features::session_store::{RedisSessionStore, SessionStore, SqliteSessionStore};
use crate::features::user_events::UserEvents;
use crate::features::users::UserStore;
use crate::features::webhooks::WebhookInbox;
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
    /// Every mail the sandbox sent (`/_dojo/mailbox`).
    pub mailbox: Arc<Mailbox>,
    /// Server-side sessions (topic 2).
    pub sessions: Arc<dyn SessionStore>,
    /// Display names set through the RBAC profile route (topic 3).
    pub profiles: Arc<Profiles>,
    /// Refresh token families (topic 5).
    pub refresh_tokens: Arc<RefreshStore>,
    /// Signed-up accounts and verification links (topic 4).
    pub signups: Arc<SignupStore>,
    /// Outstanding password reset links (topic 6).
    pub reset_tokens: Arc<ResetTokens>,
    /// Outstanding one-time codes and their cooldowns (topic 32).
    pub otp: Arc<OtpStore>,
    /// Events for one user (replies, payments), pushed over Socket.IO (topic 24).
    pub user_events: Arc<UserEvents>,
    /// The data suite's storage, seeded on first use (topics 8-13, 26, 28).
    pub data: Arc<DataSuite>,
    /// Google sign-in attempts and linked identities (topic 7).
    pub google_logins: Arc<GoogleLogins>,
    /// The built-in mock Google provider: its key, codes and tokens (topic 7).
    pub mock_google: Arc<MockGoogle>,
    /// Events taken by the webhook receiver (topic 23).
    pub webhooks: Arc<WebhookInbox>,
    /// The shop's orders (topic 33).
    pub shop: Arc<Shop>,
    /// The built-in mock payment provider's intents and events (topic 33).
    pub payment_provider: Arc<MockProvider>,
    /// Chat messages, in SQLite (topic 25).
    pub chat: Arc<ChatStore>,
    /// Closes the Socket.IO sessions when the sandbox stops (topics 24, 25).
    pub socket_io_shutdown: Arc<SocketIoShutdown>,
    /// The mock object store and its URL signing key (topic 21).
    pub object_store: Arc<ObjectStore>,
    /// Published images and open direct-upload tickets (topic 21).
    pub images: Arc<ImageStore>,
    /// The upload directory and the files in it (topic 22).
    pub files: Arc<FileStore>,
    /// The product cache and its slow source of truth, in process or in Redis (topic 31).
    pub cache: Arc<Cache>,
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
        // Topic 2: sessions in Redis when `--redis-url` is given, in SQLite otherwise.
        let sessions: Arc<dyn SessionStore> = match config.redis_url.as_deref().map(str::trim) {
            Some(url) if !url.is_empty() => {
                Arc::new(RedisSessionStore::new(url, config.session_absolute_timeout))
            }
            _ => Arc::new(SqliteSessionStore::in_memory()),
        };
        // Mail also goes out through the SMTP relay (`--smtp-url`) when one is set.
        let mailbox = Arc::new(Mailbox::new(config.smtp.clone()));
        let shared = SharedState {
            rate_limiter: Arc::new(RateLimiter::from_config(&config)),
            jwt_key: JwtKey(DecodingKey::from_secret(&config.jwt_secret)),
            google_logins: Arc::new(GoogleLogins::default()),
            mock_google: Arc::new(MockGoogle::new(config.google.mock_code_ttl)),
            data: Arc::new(DataSuite::new(&config)),
            cache: Arc::new(Cache::new(&config)),
            config: Arc::new(config),
            switches: Arc::new(Switches::default()),
            traces,
            access_log: Arc::new(AccessLog::default()),
            users: Arc::new(UserStore::seeded()),
            mailbox,
            sessions,
            profiles: Arc::new(Profiles::default()),
            refresh_tokens: Arc::new(RefreshStore::default()),
            signups: Arc::new(SignupStore::default()),
            reset_tokens: Arc::new(ResetTokens::default()),
            otp: Arc::new(OtpStore::default()),
            user_events: Arc::new(UserEvents::default()),
            webhooks: Arc::new(WebhookInbox::default()),
            shop: Arc::new(Shop::default()),
            payment_provider: Arc::new(MockProvider::default()),
            chat: Arc::new(ChatStore::seeded()),
            socket_io_shutdown: Arc::default(),
            object_store: Arc::new(ObjectStore::default()),
            images: Arc::new(ImageStore::default()),
            files: Arc::new(FileStore::default()),
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
