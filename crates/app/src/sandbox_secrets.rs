//! The app's sandbox signs with secrets made once per install: the access token key and
//! the two webhook signing secrets. They live in `sandbox-secrets.json` beside the study
//! database, readable by the learner's account alone (mode 0600), so a token or a signed
//! event a learner saved still checks out after the app restarts, and nobody else on the
//! machine can mint one. They are never logged and never sent to the UI.
//!
//! A missing or unreadable file gets a fresh set (tokens signed with the old one then stop
//! working, which is all a lost key costs here). The headless `dojo sandbox` keeps its
//! random per-launch secrets.

use std::fs;
use std::io::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The file's name, next to the study database.
pub const SECRETS_FILE: &str = "sandbox-secrets.json";

/// Signing secrets for one install.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxSecrets {
    /// HS256 key of the access tokens, hex.
    jwt_key: String,
    /// Topic 23's webhook signing secret (`whsec_...`).
    pub webhook_secret: String,
    /// The mock payment provider's webhook signing secret (`whsec_...`).
    pub payment_webhook_secret: String,
}

impl std::fmt::Debug for SandboxSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SandboxSecrets { .. }")
    }
}

impl SandboxSecrets {
    /// A fresh random set.
    pub fn generate() -> SandboxSecrets {
        SandboxSecrets {
            jwt_key: hex(&dojo_sandbox::config::random_secret()),
            webhook_secret: format!("whsec_{}", hex(&dojo_sandbox::config::random_secret())),
            payment_webhook_secret: format!(
                "whsec_{}",
                hex(&dojo_sandbox::config::random_secret())
            ),
        }
    }

    /// The access token key as bytes.
    pub fn jwt_key(&self) -> Vec<u8> {
        self.jwt_key.as_bytes().to_vec()
    }

    /// The install's secrets from `dir`, made and saved there first if there are none
    /// usable. The file is kept owner-only even if something widened its mode.
    pub fn load_or_create(dir: &Path) -> std::io::Result<SandboxSecrets> {
        let path = dir.join(SECRETS_FILE);
        if let Some(secrets) = fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<SandboxSecrets>(&bytes).ok())
            .filter(SandboxSecrets::is_usable)
        {
            restrict_to_owner(&path)?;
            return Ok(secrets);
        }
        let secrets = SandboxSecrets::generate();
        secrets.save(&path)?;
        Ok(secrets)
    }

    fn is_usable(&self) -> bool {
        self.jwt_key.len() >= 32
            && self.webhook_secret.len() > "whsec_".len()
            && self.payment_webhook_secret.len() > "whsec_".len()
    }

    /// Writes a temporary file that is owner-only from its first byte, then renames it
    /// over `path`, so a crash never leaves half a file and no moment leaves it readable.
    fn save(&self, path: &Path) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        let temporary = path.with_extension("json.tmp");
        let _ = fs::remove_file(&temporary);
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut file = options.open(&temporary)?;
        file.write_all(&json)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temporary, path)?;
        restrict_to_owner(path)
    }
}

#[cfg(unix)]
fn restrict_to_owner(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = fs::metadata(path)?.permissions().mode() & 0o777;
    if mode != 0o600 {
        fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict_to_owner(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_made_once_and_read_back_the_same() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = SandboxSecrets::load_or_create(dir.path()).expect("created");
        let again = SandboxSecrets::load_or_create(dir.path()).expect("read back");
        assert_eq!(first, again);
        let other = tempfile::tempdir().expect("temp dir");
        let elsewhere = SandboxSecrets::load_or_create(other.path()).expect("created");
        assert_ne!(first, elsewhere, "each install gets its own");
        assert!(first.webhook_secret.starts_with("whsec_"));
        assert_eq!(first.jwt_key().len(), 64);
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_owner_only_and_stays_so() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("temp dir");
        SandboxSecrets::load_or_create(dir.path()).expect("created");
        let path = dir.path().join(SECRETS_FILE);
        let mode = |p: &Path| fs::metadata(p).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("widen");
        SandboxSecrets::load_or_create(dir.path()).expect("read back");
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn a_damaged_file_is_replaced_by_a_fresh_set() {
        let dir = tempfile::tempdir().expect("temp dir");
        fs::write(dir.path().join(SECRETS_FILE), b"{ not json").expect("write");
        let secrets = SandboxSecrets::load_or_create(dir.path()).expect("replaced");
        let again = SandboxSecrets::load_or_create(dir.path()).expect("read back");
        assert_eq!(secrets, again);
    }

    #[test]
    fn debug_output_never_shows_a_secret() {
        let secrets = SandboxSecrets::generate();
        let shown = format!("{secrets:?}");
        assert!(!shown.contains(&secrets.webhook_secret), "{shown}");
        assert!(!shown.contains("whsec_"), "{shown}");
    }
}
