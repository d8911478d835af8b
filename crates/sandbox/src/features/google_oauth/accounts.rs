//! Who a Google identity is in the sandbox. Identities are keyed on the provider's `sub`,
//! never on the email address (addresses change and get reassigned; `sub` does not). A new
//! identity joins an existing account only through an address Google has verified; an
//! address nobody has yet gets a new account.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::Serialize;
use utoipa::ToSchema;

use super::id_token::IdClaims;
use crate::features::secrets::now_ms;
use crate::features::users::{Role, UserStore};

/// Accounts created by Google sign-in get ids from here up, clear of the other stores.
pub(crate) const FIRST_ID: u64 = 7000;

/// One Google identity linked to a sandbox account.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GoogleIdentity {
    /// Google's subject id: the key of the link.
    pub sub: String,
    /// The address Google gave when the link was made (an attribute, not the key).
    pub email: Option<String>,
    /// When the link was made, in milliseconds since the Unix epoch.
    pub linked_at_ms: u64,
}

/// How a sign-in found its account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LinkKind {
    /// This Google identity was linked before.
    AlreadyLinked,
    /// Linked now to the account with the address Google verified.
    LinkedByVerifiedEmail,
    /// Linked now by an address Google did NOT verify (only with the
    /// `google-link-unverified-email` switch on: an account takeover).
    LinkedByUnverifiedEmail,
    /// No account had the address: one was created.
    NewAccount,
}

/// The account a sign-in ended in.
#[derive(Debug, Clone)]
pub(crate) struct SignedIn {
    pub(crate) id: u64,
    pub(crate) email: String,
    pub(crate) name: String,
    pub(crate) role: Role,
    pub(crate) link: LinkKind,
}

#[derive(Debug, Clone)]
struct CreatedAccount {
    id: u64,
    email: String,
    name: String,
}

/// Identities by `sub`, and the accounts Google sign-in created.
#[derive(Debug, Default)]
pub(crate) struct LinkedAccounts {
    inner: Mutex<Links>,
}

#[derive(Debug, Default)]
struct Links {
    by_sub: HashMap<String, (u64, GoogleIdentity)>,
    created: Vec<CreatedAccount>,
}

impl LinkedAccounts {
    fn lock(&self) -> std::sync::MutexGuard<'_, Links> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn clear(&self) {
        *self.lock() = Links::default();
    }

    // region: google-link
    /// The account for a verified ID token: the one its `sub` is linked to, else the one
    /// with its address if Google verified it, else a new one. `Err` is the reason for
    /// refusing. `trust_unverified` is the break-it hole: link by any address Google sent.
    pub(crate) fn link(
        &self,
        users: &UserStore,
        claims: &IdClaims,
        trust_unverified: bool,
    ) -> Result<SignedIn, String> {
        let mut links = self.lock();
        if let Some((id, _)) = links.by_sub.get(&claims.sub) {
            let id = *id;
            return signed_in(&links, users, id, LinkKind::AlreadyLinked);
        }
        let Some(email) = claims
            .email
            .as_deref()
            .map(|e| e.trim().to_ascii_lowercase())
        else {
            return Err("Google shared no email address (the email scope is needed)".into());
        };
        let verified = claims.email_verified();
        if !verified && !trust_unverified {
            // Anyone can open a provider account that claims an address they do not own.
            return Err(format!(
                "Google has not verified {email}, so it cannot be linked to an account or \
                 start one"
            ));
        }
        let kind = if verified {
            LinkKind::LinkedByVerifiedEmail
        } else {
            LinkKind::LinkedByUnverifiedEmail
        };
        let existing = users.by_email(&email).map(|u| u.id).or_else(|| {
            links
                .created
                .iter()
                .find(|a| a.email == email)
                .map(|a| a.id)
        });
        let (id, kind) = match existing {
            Some(id) => (id, kind),
            None => {
                let id = FIRST_ID + links.created.len() as u64;
                let name = claims.name.clone().unwrap_or_else(|| email.clone());
                links.created.push(CreatedAccount {
                    id,
                    email: email.clone(),
                    name,
                });
                (id, LinkKind::NewAccount)
            }
        };
        let identity = GoogleIdentity {
            sub: claims.sub.clone(),
            email: Some(email),
            linked_at_ms: now_ms(),
        };
        links.by_sub.insert(claims.sub.clone(), (id, identity));
        signed_in(&links, users, id, kind)
    }
    // endregion

    /// The Google identities linked to an account, oldest first.
    pub(crate) fn identities_of(&self, id: u64) -> Vec<GoogleIdentity> {
        let links = self.lock();
        let mut identities: Vec<GoogleIdentity> = links
            .by_sub
            .values()
            .filter(|(owner, _)| *owner == id)
            .map(|(_, identity)| identity.clone())
            .collect();
        identities.sort_by(|a, b| a.linked_at_ms.cmp(&b.linked_at_ms).then(a.sub.cmp(&b.sub)));
        identities
    }
}

fn signed_in(
    links: &Links,
    users: &UserStore,
    id: u64,
    link: LinkKind,
) -> Result<SignedIn, String> {
    if let Some(user) = users.by_id(id) {
        return Ok(SignedIn {
            id,
            email: user.email.to_owned(),
            name: format!("{} {}", user.first_name, user.last_name),
            role: user.role,
            link,
        });
    }
    links
        .created
        .iter()
        .find(|a| a.id == id)
        .map(|a| SignedIn {
            id,
            email: a.email.clone(),
            name: a.name.clone(),
            role: Role::User,
            link,
        })
        .ok_or_else(|| format!("the account {id} linked to this Google identity no longer exists"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn claims(sub: &str, email: &str, verified: bool) -> IdClaims {
        serde_json::from_value(json!({
            "sub": sub, "email": email, "email_verified": verified, "name": "Someone"
        }))
        .expect("claims")
    }

    #[test]
    fn a_verified_address_links_to_its_account_then_the_sub_is_enough() {
        let users = UserStore::seeded();
        let links = LinkedAccounts::default();
        let first = links
            .link(&users, &claims("g-1", "Ada@Dojo.test", true), false)
            .expect("linked");
        assert_eq!((first.id, first.link), (1, LinkKind::LinkedByVerifiedEmail));
        // The address changed at Google: the sub still finds the account.
        let again = links
            .link(
                &users,
                &claims("g-1", "ada.new@elsewhere.test", true),
                false,
            )
            .expect("linked");
        assert_eq!((again.id, again.link), (1, LinkKind::AlreadyLinked));
        assert_eq!(links.identities_of(1).len(), 1);
    }

    #[test]
    fn an_unknown_verified_address_gets_one_new_account() {
        let users = UserStore::seeded();
        let links = LinkedAccounts::default();
        let made = links
            .link(&users, &claims("g-2", "new@dojo.test", true), false)
            .expect("created");
        assert_eq!(
            (made.id, made.link, made.role),
            (FIRST_ID, LinkKind::NewAccount, Role::User)
        );
        // A second Google identity with the same verified address joins that account.
        let joined = links
            .link(&users, &claims("g-3", "new@dojo.test", true), false)
            .expect("linked");
        assert_eq!(
            (joined.id, joined.link),
            (FIRST_ID, LinkKind::LinkedByVerifiedEmail)
        );
        assert_eq!(links.identities_of(FIRST_ID).len(), 2);
    }

    #[test]
    fn an_unverified_address_is_refused_unless_the_hole_is_open() {
        let users = UserStore::seeded();
        let links = LinkedAccounts::default();
        let reason = links
            .link(&users, &claims("g-4", "grace@dojo.test", false), false)
            .expect_err("refused");
        assert!(
            reason.contains("has not verified grace@dojo.test"),
            "{reason}"
        );
        let taken = links
            .link(&users, &claims("g-4", "grace@dojo.test", false), true)
            .expect("linked through the hole");
        assert_eq!((taken.id, taken.role), (2, Role::Admin));
        assert_eq!(taken.link, LinkKind::LinkedByUnverifiedEmail);
    }
}
