//! Verifying an ID token before believing a word of it: the signature with the provider's
//! published key (RS256 only), the issuer, the audience (our client id), the expiry, and
//! the nonce this sign-in attempt sent. Arriving over TLS from the token endpoint is not
//! verification.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;

use super::same_secret;

/// Clock skew tolerated on `exp` and `iat`, in seconds.
const LEEWAY_SECS: u64 = 60;

/// The claims the sandbox reads from a verified ID token.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct IdClaims {
    /// The provider's stable id for the person: identities are keyed on it.
    pub(crate) sub: String,
    #[serde(default)]
    pub(crate) email: Option<String>,
    /// Google writes a boolean; older tokens carried the string `"true"`.
    #[serde(default)]
    email_verified: Option<Value>,
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default)]
    azp: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
}

impl IdClaims {
    /// Whether the provider vouches that the person controls `email`.
    pub(crate) fn email_verified(&self) -> bool {
        matches!(&self.email_verified, Some(Value::Bool(true)))
            || matches!(&self.email_verified, Some(Value::String(s)) if s == "true")
    }
}

/// What an ID token must be to be believed.
#[derive(Debug)]
pub(crate) struct Expected<'a> {
    /// Accepted `iss` values (Google uses two spellings).
    pub(crate) issuers: &'a [String],
    /// Our client id: the only acceptable `aud` (and `azp`, when present).
    pub(crate) client_id: &'a str,
    /// The nonce this sign-in attempt sent to the provider.
    pub(crate) nonce: &'a str,
}

/// The key id an ID token's header names, to look it up in the provider's key set.
pub(crate) fn key_id(token: &str) -> Result<String, String> {
    let header = jsonwebtoken::decode_header(token)
        .map_err(|e| format!("the ID token is not a JWT: {e}"))?;
    if header.alg != Algorithm::RS256 {
        return Err(format!(
            "ID token algorithm {:?} refused: only RS256 is accepted",
            header.alg
        ));
    }
    header
        .kid
        .ok_or_else(|| "the ID token's header names no signing key (kid)".to_owned())
}

// region: google-id-token
/// Verifies `token` with the provider's `keys`; `Err` is the reason, for the trace and
/// the answer.
pub(crate) fn verify(
    token: &str,
    keys: &JwkSet,
    expected: &Expected<'_>,
) -> Result<IdClaims, String> {
    let kid = key_id(token)?;
    let jwk = keys
        .find(&kid)
        .ok_or_else(|| format!("the provider publishes no key with kid {kid:?}"))?;
    let key = DecodingKey::from_jwk(jwk)
        .map_err(|e| format!("the provider's key {kid:?} is unusable: {e}"))?;
    // Pinned to RS256: the header's `alg` chooses nothing.
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(expected.issuers);
    validation.set_audience(&[expected.client_id]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.leeway = LEEWAY_SECS;
    let claims = jsonwebtoken::decode::<IdClaims>(token, &key, &validation)
        .map_err(|e| match e.kind() {
            ErrorKind::InvalidSignature => {
                "ID token signature does not verify with the provider's published key".to_owned()
            }
            ErrorKind::ExpiredSignature => "ID token expired".to_owned(),
            ErrorKind::InvalidIssuer => {
                format!("ID token issuer is not {}", expected.issuers.join(" or "))
            }
            ErrorKind::InvalidAudience => {
                format!(
                    "ID token audience is not this client ({})",
                    expected.client_id
                )
            }
            ErrorKind::MissingRequiredClaim(claim) => format!("ID token has no {claim} claim"),
            _ => format!("ID token refused: {e}"),
        })?
        .claims;
    if claims
        .azp
        .as_deref()
        .is_some_and(|azp| azp != expected.client_id)
    {
        return Err("ID token was issued to another party (azp)".into());
    }
    // The nonce ties the token to this attempt: a token minted for another request (or
    // replayed from one) carries another nonce, or none.
    match claims.nonce.as_deref() {
        Some(nonce) if same_secret(nonce.as_bytes(), expected.nonce.as_bytes()) => Ok(claims),
        Some(_) => Err("ID token nonce does not match this sign-in attempt".into()),
        None => Err("ID token carries no nonce, but this sign-in attempt sent one".into()),
    }
}
// endregion

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::features::mock_google::SigningKey;

    const ISSUER: &str = "http://127.0.0.1:4000/mock/google";
    const CLIENT: &str = "dojo-sandbox.apps.mock-google.test";

    fn now() -> u64 {
        crate::features::secrets::now_ms() / 1000
    }

    fn claims() -> Value {
        json!({
            "iss": ISSUER, "aud": CLIENT, "azp": CLIENT, "sub": "110248495921238986420",
            "email": "ada@dojo.test", "email_verified": true, "nonce": "n-1",
            "iat": now(), "exp": now() + 3600,
        })
    }

    fn check(token: &str, keys: &JwkSet) -> Result<IdClaims, String> {
        let issuers = [ISSUER.to_owned()];
        verify(
            token,
            keys,
            &Expected {
                issuers: &issuers,
                client_id: CLIENT,
                nonce: "n-1",
            },
        )
    }

    fn with(key: &SigningKey, change: impl FnOnce(&mut Value)) -> String {
        let mut claims = claims();
        change(&mut claims);
        key.sign(&claims).expect("signed")
    }

    #[test]
    fn a_genuine_token_is_believed() {
        let key = SigningKey::generate().expect("a key");
        let verified = check(&with(&key, |_| {}), &key.jwks()).expect("verified");
        assert_eq!(verified.sub, "110248495921238986420");
        assert!(verified.email_verified());
    }

    #[test]
    fn each_forgery_is_refused_with_its_own_reason() {
        let key = SigningKey::generate().expect("a key");
        let keys = key.jwks();
        let refused = |token: String| check(&token, &keys).expect_err("refused");

        // Signed by another key that claims the provider's key id.
        let forger = SigningKey::generate().expect("another key");
        let forged = forger.sign(&claims()).expect("signed");
        let forged = format!(
            "{}.{}",
            with(&key, |_| {}).split('.').next().expect("header"),
            forged.split_once('.').expect("parts").1
        );
        assert!(refused(forged).contains("signature"));

        assert!(
            refused(with(&key, |c| c["iss"] = json!("https://evil.example"))).contains("issuer")
        );
        assert!(refused(with(&key, |c| c["aud"] = json!("someone-else"))).contains("audience"));
        assert!(refused(with(&key, |c| c["azp"] = json!("someone-else"))).contains("azp"));
        assert!(refused(with(&key, |c| c["exp"] = json!(now() - 600))).contains("expired"));
        assert!(
            refused(with(&key, |c| c["nonce"] = json!("n-2"))).contains("nonce does not match")
        );
        assert!(
            refused(with(&key, |c| {
                c.as_object_mut().expect("object").remove("nonce");
            }))
            .contains("no nonce")
        );
        // A key the provider never published.
        let unknown = forger.sign(&claims()).expect("signed");
        assert!(refused(unknown).contains("no key with kid"));
    }

    #[test]
    fn unsigned_and_hmac_tokens_are_refused_by_algorithm() {
        use base64::Engine as _;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let key = SigningKey::generate().expect("a key");
        let body = URL_SAFE_NO_PAD.encode(claims().to_string());
        let none = format!(
            "{}.{body}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","kid":"x"}"#)
        );
        let reason = check(&none, &key.jwks()).expect_err("an unsigned token is refused");
        assert!(
            reason.contains("not a JWT") || reason.contains("algorithm"),
            "{reason}"
        );
        let hmac = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(Algorithm::HS256),
            &claims(),
            &jsonwebtoken::EncodingKey::from_secret(b"the public modulus, say"),
        )
        .expect("signed");
        assert!(
            check(&hmac, &key.jwks())
                .expect_err("refused")
                .contains("only RS256")
        );
    }

    #[test]
    fn email_verified_reads_both_spellings() {
        let parse = |v: Value| -> IdClaims {
            serde_json::from_value(json!({ "sub": "1", "email_verified": v })).expect("claims")
        };
        assert!(parse(json!(true)).email_verified());
        assert!(parse(json!("true")).email_verified());
        assert!(!parse(json!(false)).email_verified());
        assert!(!parse(json!("yes")).email_verified());
    }
}
