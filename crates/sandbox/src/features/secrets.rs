//! Random secrets and their digests, shared by the auth features: session ids, refresh
//! tokens, and single-use links. A secret goes to the client once; the server keeps only
//! its SHA-256, so a leaked table opens no account.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngExt as _;
use sha2::{Digest as _, Sha256};

// region: secret-token
/// 256 random bits as base64url (43 characters): unguessable, safe in a cookie or a URL.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes[..]);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The SHA-256 of a secret, hex: what the stores keep instead of the secret. A fast hash is
/// right here because the secret is random and long, unlike a password.
pub fn digest(secret: &str) -> String {
    let hash = Sha256::digest(secret.as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}
// endregion

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
