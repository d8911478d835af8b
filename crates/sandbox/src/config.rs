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
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            rate_limit_burst: 10,
            rate_limit_per_second: 1.0,
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
        }
    }
}

/// 32 random bytes.
pub fn random_secret() -> Vec<u8> {
    use rand::RngExt as _;
    let mut secret = vec![0u8; 32];
    rand::rng().fill(&mut secret[..]);
    secret
}
