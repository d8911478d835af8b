//! The mock provider's signing key: one RSA-2048 key per sandbox, made on first use (it
//! takes tens of milliseconds, which the sandbox's start should not pay). ID tokens are
//! signed with its private half; its public half is published as a JWKS, the way Google
//! publishes its keys at `https://www.googleapis.com/oauth2/v3/certs`.

use aws_lc_rs::encoding::{AsDer as _, Pkcs8V1Der};
use aws_lc_rs::rsa::{KeyPair, KeySize};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

/// A signing key and the public key set that verifies it.
pub(crate) struct SigningKey {
    kid: String,
    private: EncodingKey,
    public: Jwk,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A fresh RSA-2048 key. Blocking (key generation is CPU work): call it off the async
    /// worker threads.
    pub(crate) fn generate() -> Result<SigningKey, String> {
        let pair = KeyPair::generate(KeySize::Rsa2048)
            .map_err(|e| format!("RSA key generation failed: {e}"))?;
        let pkcs8: Pkcs8V1Der<'static> = pair
            .as_der()
            .map_err(|e| format!("the RSA key could not be encoded: {e}"))?;
        // jsonwebtoken reads RSA private keys as PKCS#1 DER or as PEM; PEM around the
        // PKCS#8 document is the form it unwraps itself.
        let private = EncodingKey::from_rsa_pem(pem("PRIVATE KEY", pkcs8.as_ref()).as_bytes())
            .map_err(|e| format!("the RSA key was refused for signing: {e}"))?;
        let mut public = Jwk::from_encoding_key(&private, Algorithm::RS256)
            .map_err(|e| format!("the public key could not be derived: {e}"))?;
        // The key id is the start of the key's RFC 7638 thumbprint: stable for the key,
        // different for any other.
        let thumbprint = public
            .thumbprint(ThumbprintHash::SHA256)
            .map_err(|e| format!("the key thumbprint failed: {e}"))?;
        let kid: String = thumbprint.chars().take(16).collect();
        public.common.key_id = Some(kid.clone());
        public.common.public_key_use = Some(PublicKeyUse::Signature);
        Ok(SigningKey {
            kid,
            private,
            public,
        })
    }

    /// The key id every token signed with this key names in its header.
    #[cfg(test)]
    pub(crate) fn kid(&self) -> &str {
        &self.kid
    }

    /// The published key set: this key's public half only.
    pub(crate) fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: vec![self.public.clone()],
        }
    }

    /// Signs `claims` as an RS256 JWT whose header names this key.
    pub(crate) fn sign<T: Serialize>(&self, claims: &T) -> Result<String, String> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.private)
            .map_err(|e| format!("ID token signing failed: {e}"))
    }
}

/// A PEM block: base64 of `der` in 64-character lines between the label's markers.
fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut text = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        text.push_str(&String::from_utf8_lossy(line));
        text.push('\n');
    }
    text.push_str(&format!("-----END {label}-----\n"));
    text
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{DecodingKey, Validation};
    use serde_json::{Value, json};

    use super::*;

    #[test]
    fn a_token_it_signs_verifies_with_the_published_key_and_not_with_another() {
        let key = SigningKey::generate().expect("a key");
        let token = key
            .sign(&json!({ "sub": "1", "exp": 4_000_000_000u64 }))
            .expect("signed");
        let header = jsonwebtoken::decode_header(&token).expect("a header");
        assert_eq!(header.alg, Algorithm::RS256);
        assert_eq!(header.kid.as_deref(), Some(key.kid()));

        let jwks = key.jwks();
        let published = jwks.find(key.kid()).expect("the key is published");
        let decoding = DecodingKey::from_jwk(published).expect("a decoding key");
        let mut validation = Validation::new(Algorithm::RS256);
        validation.required_spec_claims.clear();
        let claims = jsonwebtoken::decode::<Value>(&token, &decoding, &validation)
            .expect("verifies")
            .claims;
        assert_eq!(claims["sub"], "1");

        let other = SigningKey::generate().expect("another key");
        assert_ne!(other.kid(), key.kid());
        let wrong = DecodingKey::from_jwk(&other.jwks().keys[0]).expect("a decoding key");
        assert!(jsonwebtoken::decode::<Value>(&token, &wrong, &validation).is_err());
    }

    #[test]
    fn the_published_set_holds_only_public_parameters() {
        let key = SigningKey::generate().expect("a key");
        let published = serde_json::to_value(key.jwks()).expect("JSON");
        let entry = &published["keys"][0];
        assert_eq!(entry["kty"], "RSA");
        assert_eq!(entry["alg"], "RS256");
        assert_eq!(entry["use"], "sig");
        assert_eq!(entry["e"], "AQAB");
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(entry.get(private).is_none(), "{private} leaked: {entry}");
        }
    }
}
