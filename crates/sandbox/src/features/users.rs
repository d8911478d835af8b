//! The sandbox's user accounts: a few seeded learners, passwords hashed with Argon2id.
//! Hashing is deliberately slow, so the seed password is hashed on first use, not at start.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult, FieldError};
use crate::passwords;

/// Roles, from least to most trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Moderator,
    Admin,
}

#[derive(Debug)]
pub struct User {
    pub id: u64,
    pub email: &'static str,
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub role: Role,
}

/// The seeded learners every reset starts from.
#[derive(Debug)]
pub struct UserStore {
    users: Vec<User>,
    /// Password hashes set by a password reset, by user id; a topic reset forgets them.
    changed: Mutex<HashMap<u64, String>>,
}

/// Demo password of every seeded account; the topics' requests use it.
pub const SEED_PASSWORD: &str = "correct-horse-battery";

impl UserStore {
    pub fn seeded() -> UserStore {
        let user = |id, email, first_name, last_name, role| User {
            id,
            email,
            first_name,
            last_name,
            role,
        };
        UserStore {
            users: vec![
                user(1, "ada@dojo.test", "Ada", "Lovelace", Role::User),
                user(2, "grace@dojo.test", "Grace", "Hopper", Role::Admin),
                user(3, "linus@dojo.test", "Linus", "Torvalds", Role::Moderator),
            ],
            changed: Mutex::new(HashMap::new()),
        }
    }

    /// Every seeded address.
    pub fn iter_emails(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.users.iter().map(|u| u.email)
    }

    /// The seeded account with this address.
    pub fn by_email(&self, email: &str) -> Option<&User> {
        let email = email.trim().to_ascii_lowercase();
        self.users.iter().find(|u| u.email == email)
    }

    /// Sets a new password for a seeded account.
    pub async fn set_password(&self, id: u64, password: String) -> ApiResult<()> {
        let hash = passwords::hash(password).await?;
        self.changed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, hash);
        Ok(())
    }

    /// Puts every seeded password back.
    pub fn restore_passwords(&self) {
        self.changed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    pub fn count(&self) -> usize {
        self.users.len()
    }

    pub fn by_id(&self, id: u64) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    /// The stored hash of an account's password: the one a reset set, else the seed's.
    async fn password_hash(&self, id: u64) -> ApiResult<String> {
        let changed = self
            .changed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
            .cloned();
        match changed {
            Some(hash) => Ok(hash),
            None => passwords::seed_hash().await,
        }
    }
}

/// Checks an email and password (Argon2id, off the async worker threads). Unknown email and wrong password give the same 401, so the answer does not
/// tell which accounts exist.
pub async fn check_credentials(
    users: Arc<UserStore>,
    email: String,
    password: String,
) -> ApiResult<(u64, Role)> {
    if email.trim().is_empty() || password.is_empty() {
        return Err(ApiError::Validation(vec![FieldError {
            field: "email/password".into(),
            message: "both are required".into(),
        }]));
    }
    let user = users.by_email(&email).map(|u| (u.id, u.role));
    // Unknown addresses are checked against the decoy, so both cases take as long.
    let hash = match user {
        Some((id, _)) => users.password_hash(id).await?,
        None => passwords::DECOY_HASH.to_owned(),
    };
    let matches = passwords::verify(hash, password).await?;
    user.filter(|_| matches)
        .ok_or_else(|| ApiError::Unauthorized {
            reason: "email or password is wrong".into(),
        })
}
