//! Topic 7's "Sign in with Google" in a native window of its own. The window shows remote
//! pages (the sandbox's start, the mock Google's consent page, the sandbox's callback), so
//! no capability names its label: it has no IPC at all. The shell watches it from outside
//! instead: when a page of the sandbox's callback has loaded, the sign-in is over, the
//! window closes, and the main window hears `google-sign-in` with `ended: "finished"`; it
//! then collects the outcome from the sandbox with the verifier it kept. A window closed
//! before that sends `ended: "closed"`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use dojo_app::Problem;
use serde::Serialize;
use tauri::webview::{DownloadEvent, NewWindowResponse, PageLoadEvent};
use tauri::{
    AppHandle, Emitter as _, Manager as _, Url, WebviewUrl, WebviewWindowBuilder, WindowEvent,
};

/// Every sign-in window's label starts with this; `capabilities/` never names it.
pub(crate) const LABEL_PREFIX: &str = "google-sign-in";
/// The event the main window hears when a sign-in window is done.
pub(crate) const EVENT: &str = "google-sign-in";
/// Where an app's window starts a sign-in whose outcome it collects (the sandbox's
/// `google_oauth::HANDOFF_START_PATH`).
const HANDOFF_START_PATH: &str = "/api/v1/auth/google/handoff/start";
/// Where the provider sends the window back (the sandbox's `google_oauth::CALLBACK_PATH`).
const CALLBACK_PATH: &str = "/api/v1/auth/google/callback";

/// Numbers the windows, so a new one never waits for the old one's label to be free.
static OPENED: AtomicU32 = AtomicU32::new(0);

/// What the main window hears when a sign-in window is done.
#[derive(Debug, Clone, Serialize)]
struct WindowDone {
    /// The challenge the window started with: which sign-in this was.
    challenge: String,
    /// `finished`: the callback's page loaded; `closed`: the window went away before that.
    ended: &'static str,
}

/// Whether `challenge` can be the base64url SHA-256 the sandbox expects.
fn is_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The start URL on the sandbox at `base_url` for this challenge.
fn start_url(base_url: &str, challenge: &str) -> Result<Url, Problem> {
    let mut url = Url::parse(base_url)
        .and_then(|base| base.join(HANDOFF_START_PATH))
        .map_err(|error| {
            Problem::new(
                500,
                "The sign-in window could not open",
                &format!("the sandbox's address {base_url:?} is not a URL: {error}"),
            )
        })?;
    url.query_pairs_mut().append_pair("challenge", challenge);
    Ok(url)
}

/// Whether `url` is a page of the sandbox's callback.
fn is_callback(url: &Url, sandbox: &Url) -> bool {
    url.origin() == sandbox.origin() && url.path() == CALLBACK_PATH
}

/// Pages the window may show: the sandbox's own, and HTTPS (Google itself, when a real
/// client is configured). Nothing local to the app, no other scheme.
fn may_show(url: &Url, sandbox: &Url) -> bool {
    url.origin() == sandbox.origin() || url.scheme() == "https"
}

/// Opens a sign-in window on the sandbox at `base_url`, started with `challenge`. A sign-in
/// window still open is closed first (the main window hears it as `closed`).
pub(crate) fn open(
    app: &AppHandle,
    base_url: &str,
    challenge: &str,
    main_window: &'static str,
) -> Result<(), Problem> {
    if !is_challenge(challenge) {
        return Err(Problem::new(
            400,
            "Not a sign-in challenge",
            "the challenge must be the base64url SHA-256 of a verifier (43 characters)",
        ));
    }
    let start = start_url(base_url, challenge)?;
    let failed = |error: tauri::Error| {
        Problem::new(500, "The sign-in window could not open", &error.to_string())
    };
    for (label, window) in app.webview_windows() {
        if label.starts_with(LABEL_PREFIX) {
            window.destroy().map_err(failed)?;
        }
    }
    let label = format!("{LABEL_PREFIX}-{}", OPENED.fetch_add(1, Ordering::Relaxed));
    // Each handler owns what it needs: the sandbox's address, the challenge, the app.
    let (sandbox_for_navigation, sandbox_for_load) = (start.clone(), start.clone());
    let (challenge_on_load, challenge_on_close) = (challenge.to_owned(), challenge.to_owned());
    let (app_on_load, app_on_close) = (app.clone(), app.clone());
    // Set once the main window was told, so a finished sign-in is never also "closed".
    let told = Arc::new(AtomicBool::new(false));
    let told_on_close = Arc::clone(&told);
    let window = WebviewWindowBuilder::new(app, &label, WebviewUrl::External(start))
        .title("Sign in with Google — Backend Dojo")
        .inner_size(520.0, 720.0)
        .min_inner_size(360.0, 480.0)
        .on_navigation(move |url| may_show(url, &sandbox_for_navigation))
        // Links that would open yet another window stay closed.
        .on_new_window(|_, _| NewWindowResponse::Deny)
        // Nothing the flow shows is a file to save.
        .on_download(|_, event| !matches!(event, DownloadEvent::Requested { .. }))
        .on_page_load(move |window, payload| {
            if payload.event() == PageLoadEvent::Finished
                && is_callback(payload.url(), &sandbox_for_load)
                && !told.swap(true, Ordering::SeqCst)
            {
                tell(&app_on_load, main_window, &challenge_on_load, "finished");
                let _ = window.destroy();
            }
        })
        .build()
        .map_err(failed)?;
    window.on_window_event(move |event| {
        if matches!(event, WindowEvent::Destroyed) && !told_on_close.swap(true, Ordering::SeqCst) {
            tell(&app_on_close, main_window, &challenge_on_close, "closed");
        }
    });
    Ok(())
}

/// Tells the main window that the sign-in window for `challenge` is done.
fn tell(app: &AppHandle, main_window: &str, challenge: &str, ended: &'static str) {
    let done = WindowDone {
        challenge: challenge.to_owned(),
        ended,
    };
    let _ = app.emit_to(main_window, EVENT, done);
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn sandbox() -> Url {
        Url::parse("http://127.0.0.1:7400").expect("a URL")
    }

    #[test]
    fn the_window_starts_at_the_handoff_start_with_the_challenge() {
        let url = start_url("http://127.0.0.1:7400", CHALLENGE).expect("a URL");
        assert_eq!(
            url.as_str(),
            format!("http://127.0.0.1:7400/api/v1/auth/google/handoff/start?challenge={CHALLENGE}")
        );
        assert!(start_url("not a url", CHALLENGE).is_err());
    }

    #[test]
    fn only_a_challenge_shaped_value_opens_a_window() {
        assert!(is_challenge(CHALLENGE));
        for bad in [
            "",
            "short",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM",
            "a&b=c",
        ] {
            assert!(!is_challenge(bad), "{bad:?}");
        }
    }

    #[test]
    fn the_callback_is_recognised_on_the_sandbox_only() {
        let callback = |url: &str| is_callback(&Url::parse(url).expect("a URL"), &sandbox());
        assert!(callback(
            "http://127.0.0.1:7400/api/v1/auth/google/callback?code=a&state=b"
        ));
        assert!(callback(
            "http://127.0.0.1:7400/api/v1/auth/google/callback?error=access_denied"
        ));
        assert!(!callback(
            "http://127.0.0.1:7401/api/v1/auth/google/callback?code=a"
        ));
        assert!(!callback(
            "http://127.0.0.1:7400/mock/google/authorize?state=b"
        ));
        assert!(!callback(
            "https://evil.example/api/v1/auth/google/callback"
        ));
    }

    #[test]
    fn the_window_shows_the_sandbox_and_https_pages_only() {
        let shows = |url: &str| may_show(&Url::parse(url).expect("a URL"), &sandbox());
        assert!(shows("http://127.0.0.1:7400/mock/google/authorize?x=1"));
        assert!(shows("https://accounts.google.com/o/oauth2/v2/auth"));
        assert!(!shows("http://example.com/"));
        assert!(!shows("http://127.0.0.1:9999/"));
        assert!(!shows("file:///etc/passwd"));
        assert!(!shows("tauri://localhost/index.html"));
    }

    /// The window shows remote pages, so it must get no IPC: no capability may name its
    /// label, match it with a wildcard, or open IPC to remote URLs.
    #[test]
    fn no_capability_reaches_the_sign_in_window() {
        let capabilities = [
            include_str!("../capabilities/main.json"),
            include_str!("../capabilities/candidate.json"),
        ];
        let label = format!("{LABEL_PREFIX}-0");
        for text in capabilities {
            let capability: serde_json::Value = serde_json::from_str(text).expect("JSON");
            let windows = capability["windows"].as_array().expect("a window list");
            for window in windows {
                let pattern = window.as_str().expect("a label");
                assert!(
                    !pattern.contains('*')
                        && pattern != label
                        && !pattern.starts_with(LABEL_PREFIX),
                    "{pattern} would give the sign-in window IPC"
                );
            }
            assert!(capability.get("webviews").is_none(), "{capability}");
            assert!(capability.get("remote").is_none(), "{capability}");
        }
        let capability_files =
            std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/capabilities"))
                .expect("the capabilities folder")
                .count();
        assert_eq!(
            capability_files,
            capabilities.len(),
            "a capability file is not checked here"
        );
    }
}
