//! The sandbox's user accounts: a few seeded learners, passwords hashed with Argon2id.
//! Hashing is deliberately slow, so seeds are hashed on first use, not at start.

use std::sync::OnceLock;

use argon2::password_hash::phc::PasswordHash;
use argon2::{Argon2, PasswordHasher as _, PasswordVerifier as _};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
        }
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
        let hash = match user {
            Some(user) => user.hash(),
            None => self
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
