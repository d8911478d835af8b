//! The sandbox's user accounts: a few seeded learners, passwords hashed with Argon2id.
//! Hashing is deliberately slow, so seeds are hashed on first use, not at start.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use argon2::password_hash::phc::PasswordHash;
use argon2::{Argon2, PasswordHasher as _, PasswordVerifier as _};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult, FieldError};

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
    password: &'static str,
    hash: OnceLock<String>,
}

impl User {
    fn hash(&self) -> &str {
        self.hash.get_or_init(|| hash_password(self.password))
    }
}

/// The seeded learners every reset starts from.
#[derive(Debug)]
pub struct UserStore {
    users: Vec<User>,
    /// Verified against when the email is unknown, so both cases take as long.
    decoy: OnceLock<String>,
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
            password: SEED_PASSWORD,
            hash: OnceLock::new(),
        };
        UserStore {
            users: vec![
                user(1, "ada@dojo.test", "Ada", "Lovelace", Role::User),
                user(2, "grace@dojo.test", "Grace", "Hopper", Role::Admin),
                user(3, "linus@dojo.test", "Linus", "Torvalds", Role::Moderator),
            ],
            decoy: OnceLock::new(),
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

    /// Sets a new password (hashed with Argon2id). Blocking: call it off the async threads.
    pub fn set_password(&self, id: u64, password: &str) {
        let hash = hash_password(password);
        self.changed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, hash);
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

    /// The account whose email and password match. Runs Argon2id whether or not the email
    /// exists, so timing does not tell which accounts exist. Blocking: call it off the
    /// async threads.
    pub fn verify_login(&self, email: &str, password: &str) -> Option<&User> {
        let email = email.trim().to_ascii_lowercase();
        let user = self.users.iter().find(|u| u.email == email);
        let changed = user.and_then(|u| {
            self.changed
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&u.id)
                .cloned()
        });
        let hash = match (user, &changed) {
            (Some(_), Some(changed)) => changed.as_str(),
            (Some(user), None) => user.hash(),
            (None, _) => self
                .decoy
                .get_or_init(|| hash_password("decoy-password-never-matches")),
        };
        let matches = PasswordHash::new(hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        });
        user.filter(|_| matches)
    }
}

fn hash_password(password: &str) -> String {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .unwrap_or_default()
}

/// Checks an email and password off the async worker threads (Argon2id is slow on
/// purpose). Unknown email and wrong password give the same 401, so the answer does not
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
    let found = tokio::task::spawn_blocking(move || {
        users
            .verify_login(&email, &password)
            .map(|u| (u.id, u.role))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("password check failed: {e}")))?;
    found.ok_or_else(|| ApiError::Unauthorized {
        reason: "email or password is wrong".into(),
    })
}
