//! Handing a finished sign-in to the app that opened the flow in a window of its own (the
//! desktop app's sign-in window, web mode's popup). That window is another browser, and
//! the app's own window cannot read its pages, so the outcome is filed here instead.
//!
//! It works like PKCE between the app and the sandbox: the app keeps a random `verifier`
//! and opens `/api/v1/auth/google/handoff/start?challenge=...` with its SHA-256. That route
//! puts the challenge in the `dojo_google_handoff` cookie and goes on to the normal start.
//! The callback files whatever happened (signed in, or the refusal) under the challenge in
//! that cookie, and the app collects it once by posting the verifier. The verifier never
//! travels in a URL, so the window's address bar and history hold nothing that collects
//! the result; a page on another origin cannot read the answer (CORS), and a filed
//! outcome is gone after one read or five minutes.

use std::collections::HashMap;
use std::sync::Mutex;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::features::secrets::now_ms;

/// Where an app starts a sign-in whose outcome it collects.
pub const HANDOFF_START_PATH: &str = "/api/v1/auth/google/handoff/start";
/// Where the app collects the outcome with its verifier.
pub const HANDOFF_PATH: &str = "/api/v1/auth/google/handoff";
/// The cookie that carries the challenge from the start to the callback.
pub const HANDOFF_COOKIE: &str = "dojo_google_handoff";
/// How long a filed outcome waits for its app.
const HANDOFF_TTL_MS: u64 = 5 * 60 * 1000;
/// Outcomes kept at most; the oldest go first.
const MAX_HANDOFFS: usize = 1_000;

/// The challenge for a verifier: `base64url(SHA-256(verifier))`, as PKCE's S256.
pub fn challenge_of(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Whether `challenge` has the shape of a challenge: 43 base64url characters that decode
/// to 32 bytes.
pub(crate) fn is_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && URL_SAFE_NO_PAD
            .decode(challenge)
            .is_ok_and(|decoded| decoded.len() == 32)
}

/// Why a challenge is refused; `None` when it has the right shape.
pub(crate) fn challenge_problem(challenge: &str) -> Option<&'static str> {
    (!is_challenge(challenge))
        .then_some("challenge must be the base64url SHA-256 of the app's verifier (43 characters)")
}

/// Why a verifier is refused; `None` when it is well formed: 43 to 128 characters of
/// `A-Z a-z 0-9 - . _ ~`, as PKCE's verifiers.
pub(crate) fn verifier_problem(verifier: &str) -> Option<&'static str> {
    let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
    if (43..=128).contains(&verifier.len()) && verifier.bytes().all(allowed) {
        None
    } else {
        Some("verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~")
    }
}

/// One filed outcome.
#[derive(Debug)]
struct Filed {
    expires_at: u64,
    outcome: Value,
}

/// Outcomes waiting for their apps, by challenge.
#[derive(Debug, Default)]
pub(crate) struct Handoffs {
    filed: Mutex<HashMap<String, Filed>>,
}

impl Handoffs {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Filed>> {
        self.filed.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Files an outcome under `challenge`; a later outcome for it replaces the earlier.
    pub(crate) fn file(&self, challenge: &str, outcome: Value) {
        let now = now_ms();
        let mut filed = self.lock();
        filed.retain(|_, f| f.expires_at > now);
        if filed.len() >= MAX_HANDOFFS
            && let Some(oldest) = filed
                .iter()
                .min_by_key(|(_, f)| f.expires_at)
                .map(|(k, _)| k.clone())
        {
            filed.remove(&oldest);
        }
        filed.insert(
            challenge.to_owned(),
            Filed {
                expires_at: now.saturating_add(HANDOFF_TTL_MS),
                outcome,
            },
        );
    }

    /// Removes and returns the outcome filed for this verifier's challenge, if it is still
    /// there.
    pub(crate) fn take(&self, verifier: &str) -> Option<Value> {
        let filed = self.lock().remove(&challenge_of(verifier))?;
        (filed.expires_at > now_ms()).then_some(filed.outcome)
    }

    /// Forgets every filed outcome.
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

    #[test]
    fn the_challenge_is_pkce_s256_of_the_verifier() {
        // RFC 7636, appendix B.
        assert_eq!(
            challenge_of(VERIFIER),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!(is_challenge(&challenge_of(VERIFIER)));
        assert_eq!(challenge_problem(&challenge_of(VERIFIER)), None);
    }

    #[test]
    fn only_a_base64url_sha256_is_a_challenge() {
        for bad in [
            "",
            "short",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM",
            &"A".repeat(44),
        ] {
            assert!(!is_challenge(bad), "{bad:?}");
            assert!(challenge_problem(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn verifiers_follow_pkce_rules() {
        assert_eq!(verifier_problem(VERIFIER), None);
        assert_eq!(verifier_problem(&"a~._-".repeat(25)), None);
        for bad in [
            "too-short",
            &"a".repeat(129),
            "dBjftJeZ4CVP mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            "dBjftJeZ4CVP/mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        ] {
            assert!(verifier_problem(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn an_outcome_is_collected_once_and_only_with_its_verifier() {
        let handoffs = Handoffs::default();
        handoffs.file(&challenge_of(VERIFIER), json!({ "outcome": "signed_in" }));
        let other = "x".repeat(43);
        assert_eq!(handoffs.take(&other), None);
        assert_eq!(
            handoffs.take(VERIFIER),
            Some(json!({ "outcome": "signed_in" }))
        );
        assert_eq!(handoffs.take(VERIFIER), None);
    }

    #[test]
    fn clearing_forgets_filed_outcomes() {
        let handoffs = Handoffs::default();
        handoffs.file(&challenge_of(VERIFIER), json!({ "outcome": "refused" }));
        handoffs.clear();
        assert_eq!(handoffs.take(VERIFIER), None);
    }
}
