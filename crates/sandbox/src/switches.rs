//! "Break it" switches: named holes a learner can open to watch an attack work, then close
//! to watch it fail. Features read them on every request; all are off at start.

use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;

/// Every switch the sandbox knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Switch {
    JwtAcceptUnsigned,
    JwtSkipExpiry,
    CorsReflectAnyOrigin,
    LogsUnredacted,
    SessionKeepPreLoginId,
    RbacTrustRoleClaim,
    RefreshNoRotation,
    GoogleSkipStateCheck,
    GoogleLinkUnverifiedEmail,
    WebhookSkipSignature,
    WebhookSkipTimestamp,
    PaymentsPaidOnReturn,
    RealtimeTrustClientUser,
    ChatNoFloodLimit,
    UploadTrustDeclaredType,
    UploadTrustClientFilename,
    QueryRawObject,
    NotificationsNoOwnership,
    CacheSkipInvalidation,
    CacheNoStampedeGuard,
}

impl Switch {
    pub const ALL: [Switch; 20] = [
        Switch::JwtAcceptUnsigned,
        Switch::JwtSkipExpiry,
        Switch::CorsReflectAnyOrigin,
        Switch::LogsUnredacted,
        Switch::SessionKeepPreLoginId,
        Switch::RbacTrustRoleClaim,
        Switch::RefreshNoRotation,
        Switch::GoogleSkipStateCheck,
        Switch::GoogleLinkUnverifiedEmail,
        Switch::WebhookSkipSignature,
        Switch::WebhookSkipTimestamp,
        Switch::PaymentsPaidOnReturn,
        Switch::RealtimeTrustClientUser,
        Switch::ChatNoFloodLimit,
        Switch::UploadTrustDeclaredType,
        Switch::UploadTrustClientFilename,
        Switch::QueryRawObject,
        Switch::NotificationsNoOwnership,
        Switch::CacheSkipInvalidation,
        Switch::CacheNoStampedeGuard,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Switch::JwtAcceptUnsigned => "jwt-accept-unsigned",
            Switch::JwtSkipExpiry => "jwt-skip-expiry",
            Switch::CorsReflectAnyOrigin => "cors-reflect-any-origin",
            Switch::LogsUnredacted => "logs-unredacted",
            Switch::SessionKeepPreLoginId => "session-keep-pre-login-id",
            Switch::RbacTrustRoleClaim => "rbac-trust-role-claim",
            Switch::RefreshNoRotation => "refresh-no-rotation",
            Switch::GoogleSkipStateCheck => "google-skip-state-check",
            Switch::GoogleLinkUnverifiedEmail => "google-link-unverified-email",
            Switch::WebhookSkipSignature => "webhook-skip-signature",
            Switch::WebhookSkipTimestamp => "webhook-skip-timestamp",
            Switch::PaymentsPaidOnReturn => "payments-paid-on-return",
            Switch::RealtimeTrustClientUser => "realtime-trust-client-user",
            Switch::ChatNoFloodLimit => "chat-no-flood-limit",
            Switch::UploadTrustDeclaredType => "upload-trust-declared-type",
            Switch::UploadTrustClientFilename => "upload-trust-client-filename",
            Switch::QueryRawObject => "query-raw-object",
            Switch::NotificationsNoOwnership => "notifications-no-ownership",
            Switch::CacheSkipInvalidation => "cache-skip-invalidation",
            Switch::CacheNoStampedeGuard => "cache-no-stampede-guard",
        }
    }

    pub fn topic(self) -> u32 {
        match self {
            Switch::JwtAcceptUnsigned | Switch::JwtSkipExpiry => 1,
            Switch::CorsReflectAnyOrigin => 18,
            Switch::LogsUnredacted => 19,
            Switch::SessionKeepPreLoginId => 2,
            Switch::RbacTrustRoleClaim => 3,
            Switch::RefreshNoRotation => 5,
            Switch::GoogleSkipStateCheck | Switch::GoogleLinkUnverifiedEmail => 7,
            Switch::WebhookSkipSignature | Switch::WebhookSkipTimestamp => 23,
            Switch::PaymentsPaidOnReturn => 33,
            Switch::RealtimeTrustClientUser => 24,
            Switch::ChatNoFloodLimit => 25,
            Switch::UploadTrustDeclaredType => 21,
            Switch::UploadTrustClientFilename => 22,
            Switch::QueryRawObject => 11,
            Switch::NotificationsNoOwnership => 26,
            Switch::CacheSkipInvalidation | Switch::CacheNoStampedeGuard => 31,
        }
    }

    /// The hole it opens, in a sentence.
    pub fn vulnerability(self) -> &'static str {
        match self {
            Switch::JwtAcceptUnsigned => {
                "Tokens whose header says `alg: none` are accepted without a signature, so anyone \
                 can write their own claims."
            }
            Switch::JwtSkipExpiry => "The `exp` claim is ignored, so a stolen token works forever.",
            Switch::CorsReflectAnyOrigin => {
                "Any Origin is echoed back with credentials allowed, so any site can read answers \
                 with the learner's cookies."
            }
            Switch::LogsUnredacted => {
                "The access log writes Authorization and Cookie headers, passwords, tokens and \
                 secrets in clear, so anyone who can read the logs can log in as your users."
            }
            Switch::SessionKeepPreLoginId => {
                "Login keeps the session id the browser arrived with, so an attacker who planted \
                 that id (session fixation) is signed in as the victim."
            }
            Switch::RbacTrustRoleClaim => {
                "The role comes from the client's `X-Role` header instead of the signed token, so \
                 any user can claim to be an admin."
            }
            Switch::RefreshNoRotation => {
                "Refresh tokens are not rotated: the same token keeps working, so a stolen one \
                 replays for its whole lifetime and reuse is never detected."
            }
            Switch::GoogleSkipStateCheck => {
                "The Google callback finds the sign-in by the `state` in the URL instead of \
                 checking it against this browser's attempt, so an attacker can send a victim \
                 the callback link of the attacker's own sign-in and the victim ends up signed \
                 in to the attacker's account (login CSRF)."
            }
            Switch::GoogleLinkUnverifiedEmail => {
                "Google sign-in links an identity to the account with the same address even \
                 when Google has not verified that address, so anyone who opens a Google \
                 account claiming a user's address takes over that user's account."
            }
            Switch::WebhookSkipSignature => {
                "The webhook receiver stops reading the Dojo-Signature header, so anyone who \
                 finds the URL can post a forged event (an invoice paid, an order refunded) \
                 and it is acted on."
            }
            Switch::WebhookSkipTimestamp => {
                "The webhook receiver ignores how old the signed timestamp is, so a delivery \
                 captured once (from a log or a proxy) can be replayed whenever its event id \
                 is no longer remembered."
            }
            Switch::PaymentsPaidOnReturn => {
                "The shop marks an order paid when the browser comes back from the payment \
                 page, without the provider's webhook, so anyone can call that route and take \
                 the goods without paying."
            }
            Switch::RealtimeTrustClientUser => {
                "The Socket.IO handshake takes the user id from the client's `auth` payload \
                 instead of the verified token, so any signed-in user can join another user's \
                 room and read their notifications."
            }
            Switch::UploadTrustDeclaredType => {
                "Image uploads take their type from the client's Content-Type or file name and \
                 are stored as sent, undecoded, so an SVG or HTML file with a script is accepted \
                 as an \"image\" and served back with its own type (stored XSS)."
            }
            Switch::UploadTrustClientFilename => {
                "File uploads are written under the client's file name, so `../` climbs out of \
                 the upload directory and one upload overwrites another; the sandbox writes \
                 such files only inside a victim folder of its own temp dir."
            }
            Switch::ChatNoFloodLimit => {
                "Chat sockets have no message limit, so one client can flood a room and the \
                 database with as many messages as it can send."
            }
            Switch::QueryRawObject => {
                "The login and the account search hand the client's JSON object to the query as \
                 it came, like `User.findOne(req.body)`: an operator object such as \
                 `{\"password\": {\"$ne\": null}}` stands in for the password and logs in \
                 without one, and filters may read fields that were never public."
            }
            Switch::NotificationsNoOwnership => {
                "Reading a notification or marking it read no longer checks whose it is \
                 (IDOR): any signed-in user reads another's notifications by changing the id."
            }
            Switch::CacheSkipInvalidation => {
                "A product write no longer deletes its cache entry, so every reader keeps getting \
                 the old version (an old price) until the entry's TTL runs out."
            }
            Switch::CacheNoStampedeGuard => {
                "Concurrent misses on one key are no longer coalesced (no single flight, no Redis \
                 lock), so when a hot key expires every waiting request loads the source at once \
                 (a cache stampede)."
            }
        }
    }

    pub fn from_name(name: &str) -> Option<Switch> {
        Switch::ALL.into_iter().find(|s| s.name() == name)
    }

    fn index(self) -> usize {
        Switch::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }
}

/// The current position of every switch.
#[derive(Debug, Default)]
pub struct Switches {
    on: [AtomicBool; Switch::ALL.len()],
}

/// A switch as the tooling API shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SwitchView {
    pub name: &'static str,
    pub topic: u32,
    pub enabled: bool,
    pub vulnerability: &'static str,
}

impl Switches {
    pub fn is_on(&self, switch: Switch) -> bool {
        self.on[switch.index()].load(Ordering::Relaxed)
    }

    pub fn set(&self, switch: Switch, enabled: bool) {
        self.on[switch.index()].store(enabled, Ordering::Relaxed);
    }

    /// Closes every hole of one topic.
    pub fn reset_topic(&self, topic: u32) {
        for switch in Switch::ALL.into_iter().filter(|s| s.topic() == topic) {
            self.set(switch, false);
        }
    }

    pub fn list(&self) -> Vec<SwitchView> {
        Switch::ALL
            .into_iter()
            .map(|s| SwitchView {
                name: s.name(),
                topic: s.topic(),
                enabled: self.is_on(s),
                vulnerability: s.vulnerability(),
            })
            .collect()
    }
}
