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
}

impl Switch {
    pub const ALL: [Switch; 7] = [
        Switch::JwtAcceptUnsigned,
        Switch::JwtSkipExpiry,
        Switch::CorsReflectAnyOrigin,
        Switch::LogsUnredacted,
        Switch::SessionKeepPreLoginId,
        Switch::RbacTrustRoleClaim,
        Switch::RefreshNoRotation,
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
