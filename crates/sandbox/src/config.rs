//! How a sandbox is set up: where it listens, its limits, its secrets.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

/// Settings for one sandbox. `Default` is what the app starts with.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Loopback unless the user asks otherwise.
    pub addr: SocketAddr,
    /// Token bucket per client: burst size, and tokens added per second.
    pub rate_limit_burst: u32,
    pub rate_limit_per_second: f64,
    /// Token bucket per signed-in user (topic 17), spent besides the client's: burst size
    /// and tokens per second. `None` takes the per-client value, so `--rate-limit N` sets
    /// both.
    pub rate_limit_user_burst: Option<u32>,
    pub rate_limit_user_per_second: Option<f64>,
    /// Longest a handler may run before the timeout layer answers 503.
    pub request_timeout: Duration,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// How long an access token lives.
    pub access_token_ttl: Duration,
    /// HMAC key for access tokens; random per sandbox unless given.
    pub jwt_secret: Vec<u8>,
    /// Origins allowed by CORS.
    pub cors_origins: Vec<String>,
    /// A session unused this long is over.
    pub session_idle_timeout: Duration,
    /// A session this old is over, however busy.
    pub session_absolute_timeout: Duration,
    /// How long a refresh token lives (each rotation starts a new one).
    pub refresh_token_ttl: Duration,
    /// How long a mailed verification link works.
    pub verification_token_ttl: Duration,
    /// Shortest wait between two mails of one kind to one address.
    pub mail_resend_cooldown: Duration,
    /// How long a mailed password reset link works.
    pub password_reset_ttl: Duration,
    /// How long a mailed one-time code works.
    pub otp_ttl: Duration,
    /// Google sign-in (topic 7): the built-in mock provider unless a real client is set.
    pub google: crate::features::google_oauth::GoogleOAuthConfig,
    /// Signing secret of the webhook receiver (topic 23), `whsec_...`; random per sandbox.
    pub webhook_secret: String,
    /// Signing secret of the shop's payment webhook (topic 33); random per sandbox.
    pub payment_webhook_secret: String,
    /// How far a webhook's signed timestamp may be from now before it is refused.
    pub webhook_tolerance: Duration,
    /// The token `/_dojo/` tooling requires in `X-Dojo-Token`: random per launch, known
    /// only to the app and the CLI that started the sandbox.
    pub tooling_token: String,
    /// Host names answered besides `localhost` and IP addresses (`--allow-host`).
    pub allowed_hosts: Vec<String>,
    /// The data suite's SQLite file (topics 8-13, 26, 28); `None`: a private database in
    /// memory, fresh for every sandbox.
    pub data_path: Option<std::path::PathBuf>,
    /// A MongoDB connection string: the data suite stores in MongoDB instead of SQLite.
    pub mongodb_uri: Option<String>,
    /// A Redis connection string (`--redis-url`): the cache (topic 31) keeps its entries
    /// there instead of in process. Connected on first use.
    pub redis_url: Option<String>,
    /// The cache's TTL, source latency and Redis lock (topic 31).
    pub cache: crate::features::cache::CacheConfig,
    /// An SMTP relay (`--smtp-url`, `--mail-from`) every mail also goes out through; the
    /// built-in mailbox keeps them all either way. `None`: no mail leaves the machine.
    pub smtp: Option<crate::features::mail_delivery::SmtpRelay>,
    /// How many generated posts the data suite holds (topic 10's large data set).
    pub seed_posts: u64,
    /// How long a soft-deleted account stays restorable before a purge removes it (topic 13).
    pub soft_delete_retention: Duration,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            rate_limit_burst: 10,
            rate_limit_per_second: 1.0,
            rate_limit_user_burst: None,
            rate_limit_user_per_second: None,
            request_timeout: Duration::from_secs(5),
            body_limit: 64 * 1024,
            access_token_ttl: Duration::from_secs(15 * 60),
            jwt_secret: random_secret(),
            cors_origins: vec![
                "http://localhost:5173".into(),
                "https://app.dojo.test".into(),
            ],
            session_idle_timeout: Duration::from_secs(30 * 60),
            session_absolute_timeout: Duration::from_secs(12 * 60 * 60),
            refresh_token_ttl: Duration::from_secs(14 * 24 * 60 * 60),
            verification_token_ttl: Duration::from_secs(24 * 60 * 60),
            mail_resend_cooldown: Duration::from_secs(60),
            password_reset_ttl: Duration::from_secs(30 * 60),
            otp_ttl: Duration::from_secs(5 * 60),
            google: Default::default(),
            webhook_secret: format!("whsec_{}", crate::features::secrets::random_token()),
            payment_webhook_secret: format!("whsec_{}", crate::features::secrets::random_token()),
            webhook_tolerance: Duration::from_secs(5 * 60),
            tooling_token: random_token(),
            allowed_hosts: Vec::new(),
            data_path: None,
            mongodb_uri: None,
            redis_url: None,
            cache: Default::default(),
            smtp: None,
            seed_posts: dojo_storage::seed::POST_COUNT,
            soft_delete_retention: Duration::from_secs(30 * 24 * 60 * 60),
        }
    }
}

/// A launch token: 32 random bytes, URL-safe base64.
pub fn random_token() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_secret())
}

/// 32 random bytes.
pub fn random_secret() -> Vec<u8> {
    use rand::RngExt as _;
    let mut secret = vec![0u8; 32];
    rand::rng().fill(&mut secret[..]);
    secret
}
