//! What keeps the sandbox from becoming a door into the learner's machine while they browse
//! the web:
//!
//! - [`HostGuard`] refuses requests whose `Host` names a domain the sandbox does not answer
//!   for. A page on `evil.example` that re-points its DNS name at 127.0.0.1 (DNS rebinding)
//!   would otherwise read the sandbox as if it were same-origin.
//! - [`require_tooling_token`] keeps `/_dojo/` (switches, resets, traces, mailbox) for the
//!   app and the CLI: they know the token made at launch; a web page does not.

use std::net::IpAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Response, header};
use axum::middleware::Next;
use axum::response::IntoResponse;

use crate::error::ApiError;
use crate::middleware::Middleware;
use crate::state::AppState;

/// The header that carries the launch token to `/_dojo/`.
pub const TOOLING_TOKEN_HEADER: &str = "x-dojo-token";

// region: host-guard
/// Accepts `localhost` and its subdomains, any IP literal, and the names the user allowed
/// (`--allow-host`). IP literals cannot be rebound: only a DNS name can change what it
/// points at. A request without `Host` (not HTTP/1.1, never a browser's) passes.
#[derive(Debug, Clone)]
pub(crate) struct HostGuard {
    allowed: Arc<[String]>,
}

impl HostGuard {
    pub(crate) fn new(allowed_hosts: &[String]) -> HostGuard {
        HostGuard {
            allowed: allowed_hosts
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
        }
    }

    fn allows(&self, host: &str) -> bool {
        let name = host_name(host).to_ascii_lowercase();
        name == "localhost"
            || name.ends_with(".localhost")
            || name.parse::<IpAddr>().is_ok()
            || self.allowed.contains(&name)
    }
}

impl Middleware<Body> for HostGuard {
    type Exit = ();

    fn enter(&self, request: &mut Request) -> Result<(), Response<Body>> {
        let Some(host) = request.headers().get(header::HOST) else {
            return Ok(());
        };
        match host.to_str() {
            Ok(host) if self.allows(host) => Ok(()),
            Ok(host) => Err(ApiError::Forbidden(format!(
                "this sandbox does not answer for the host {host:?}: it serves localhost and IP \
                 addresses (start it with --allow-host {} to add that name)",
                host_name(host)
            ))
            .into_response()),
            Err(_) => Err(
                ApiError::BadRequest("the Host header is not visible ASCII".into()).into_response(),
            ),
        }
    }
}
// endregion

/// The host without its port; an IPv6 literal loses its brackets.
fn host_name(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

// region: tooling-token
/// Lets a `/_dojo/` request through only with the launch token in `X-Dojo-Token`.
pub(crate) async fn require_tooling_token(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response<Body> {
    let given = request
        .headers()
        .get(TOOLING_TOKEN_HEADER)
        .map(|value| value.as_bytes());
    match given {
        Some(given) if same_secret(given, state.config.tooling_token.as_bytes()) => {
            next.run(request).await
        }
        Some(_) => ApiError::Unauthorized {
            reason: "the X-Dojo-Token header does not match this sandbox's launch token".into(),
        }
        .into_response(),
        None => ApiError::Unauthorized {
            reason: "the sandbox's /_dojo/ tooling needs the X-Dojo-Token header; the app and \
                     `dojo sandbox` know the token (it is printed at start)"
                .into(),
        }
        .into_response(),
    }
}
// endregion

/// Compares two secrets in time that depends only on their lengths.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_and_ip_literals_pass_other_names_do_not() {
        let guard = HostGuard::new(&["dojo.team.internal".into()]);
        for host in [
            "localhost",
            "LOCALHOST:5173",
            "app.localhost:80",
            "127.0.0.1:8080",
            "[::1]:3000",
            "192.168.1.20",
            "dojo.team.internal:9000",
        ] {
            assert!(guard.allows(host), "{host} should pass");
        }
        for host in [
            "evil.example",
            "evil.example:8080",
            "localhost.evil.example",
            "127.0.0.1.nip.io",
            "",
        ] {
            assert!(!guard.allows(host), "{host:?} should be refused");
        }
    }

    #[test]
    fn secrets_match_only_when_equal() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abd", b"abc"));
        assert!(!same_secret(b"ab", b"abc"));
    }
}
