//! Real delivery of the sandbox's mail through an SMTP relay, when one is set
//! (`dojo sandbox --smtp-url URL --mail-from ADDRESS`).
//!
//! The built-in mailbox keeps every mail whatever happens here. With a relay, each mail is
//! also put on a bounded queue that one background task empties, one mail at a time, so a
//! slow or unreachable relay never delays or fails the request that sent the mail. A full
//! queue refuses the mail at once (it stays in the mailbox, marked not delivered). The task
//! reports each outcome back, and the mailbox shows it on the mail (`delivery`).
//!
//! The relay's password never leaves [`SmtpRelay`]: its `Debug`, its shown URL and every
//! failure reason have it replaced by `***`.
//!
//! Try it with a local mail catcher listening on port 1025 (Mailpit, or
//! `python3 -m aiosmtpd -n -l 127.0.0.1:1025`):
//! `dojo sandbox --smtp-url smtp://127.0.0.1:1025 --mail-from "Dojo <dojo@example.test>"`,
//! then sign up (`POST /api/v1/signup`) and read `GET /_dojo/mailbox`.

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use lettre::message::Mailbox as Address;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};
use tokio::sync::mpsc;

use crate::redis_link::redact_url;

/// Mails that may wait for the relay; one more is refused and marked not delivered.
pub const QUEUE_CAPACITY: usize = 64;
/// Longest a single delivery may take, from connecting to the relay's last answer.
const SEND_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the relay may take to answer one command (lettre's own timeout).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);
/// The sender's address when `--mail-from` is not given.
pub const DEFAULT_FROM: &str = "Backend Dojo <sandbox@backend-dojo.localhost>";

/// The `tls` query values accepted for `smtp://`, and what each asks lettre for.
const TLS_MODES: [(&str, &str); 3] = [
    ("starttls", "required"),
    ("required", "required"),
    ("opportunistic", "opportunistic"),
];

/// An SMTP relay the sandbox's mail also goes through, checked when it is made:
/// `smtp://[user:password@]host[:port]` (plain, port 25), `smtp://...?tls=starttls`
/// (STARTTLS required, port 587; `tls=opportunistic` upgrades only if offered) or
/// `smtps://...` (TLS from the first byte, port 465). Certificates are checked against
/// the system's roots.
#[derive(Clone)]
pub struct SmtpRelay {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    shown: String,
    /// The password as written in the URL and percent-decoded, to scrub from reasons.
    secrets: Vec<String>,
    from: Address,
}

impl SmtpRelay {
    /// Checks `url` and the sender address (`None`: [`DEFAULT_FROM`]) and prepares the
    /// transport. Connects to nothing: an unreachable relay shows on the first mail.
    pub fn new(url: &str, from: Option<&str>) -> Result<SmtpRelay, BadMailSettings> {
        let url = url.trim();
        let shown = redact_url(url);
        let refuse = |problem: String| BadMailSettings {
            setting: "SMTP URL",
            shown: shown.clone(),
            problem,
        };
        let normalized = normalize(url).map_err(refuse)?;
        let secrets = password_in(url)
            .filter(|password| !password.is_empty())
            .map(|password| vec![password.to_owned(), percent_decoded(password)])
            .unwrap_or_default();
        let scrub = |text: String| scrubbed(text, &secrets);
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&normalized)
            .map_err(|e| refuse(scrub(e.to_string())))?
            .timeout(Some(COMMAND_TIMEOUT))
            .build();
        let from_text = from.map(str::trim).unwrap_or(DEFAULT_FROM);
        let from = from_text.parse::<Address>().map_err(|e| BadMailSettings {
            setting: "sender address",
            shown: format!("`{from_text}`"),
            problem: e.to_string(),
        })?;
        Ok(SmtpRelay {
            transport,
            shown,
            secrets,
            from,
        })
    }

    /// The relay's URL with the password replaced by `***`, for messages and the UI.
    pub fn shown_url(&self) -> &str {
        &self.shown
    }

    /// The `From` of every mail, e.g. `Backend Dojo <sandbox@backend-dojo.localhost>`.
    pub fn from_address(&self) -> String {
        self.from.to_string()
    }

    /// Sends one mail and waits for the relay's answer, at most [`SEND_TIMEOUT`]. The
    /// error is a reason to show the learner, without the password.
    async fn deliver(&self, mail: &Outgoing) -> Result<(), String> {
        let to = mail
            .to
            .parse::<Address>()
            .map_err(|e| format!("`{}` is not an address SMTP can take: {e}", mail.to))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.as_str())
            .header(ContentType::TEXT_PLAIN)
            .body(mail.text.clone())
            .map_err(|e| format!("the mail could not be built: {e}"))?;
        match tokio::time::timeout(SEND_TIMEOUT, self.transport.send(message)).await {
            Ok(Ok(_answer)) => Ok(()),
            Ok(Err(error)) => Err(self.scrub(format!("{}: {}", self.shown, full_chain(&error)))),
            Err(_) => Err(format!(
                "{}: no answer within {} s",
                self.shown,
                SEND_TIMEOUT.as_secs()
            )),
        }
    }

    fn scrub(&self, text: String) -> String {
        scrubbed(text, &self.secrets)
    }
}

impl fmt::Debug for SmtpRelay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpRelay")
            .field("url", &self.shown)
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

/// Longest [`check_relay`] may take: connecting, the greeting, TLS and the login included.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(8);

/// Tries `relay` the way a delivery starts, without sending mail: connects, reads the
/// greeting, says EHLO, sets up TLS when the URL asks for it, logs in when the URL has a
/// user, then sends NOOP and QUIT. `Err` is the reason in a learner's words, password left
/// out: the connection was refused, nothing answered in time, TLS failed, or the login was
/// refused.
pub async fn check_relay(relay: &SmtpRelay) -> Result<(), String> {
    let shown = relay.shown_url();
    match tokio::time::timeout(CHECK_TIMEOUT, relay.transport.test_connection()).await {
        Ok(Ok(true)) => Ok(()),
        Ok(Ok(false)) => Err(format!(
            "{shown} greeted but did not answer NOOP; it is not usable as a relay"
        )),
        Ok(Err(error)) => Err(relay.scrub(why_unreachable(shown, &error))),
        Err(_) => Err(format!(
            "{shown} did not finish the SMTP handshake within {} s",
            CHECK_TIMEOUT.as_secs()
        )),
    }
}

/// The reason a relay check failed, by what went wrong first.
fn why_unreachable(shown: &str, error: &lettre::transport::smtp::Error) -> String {
    let chain = full_chain(error);
    let io_kind = std::iter::successors(std::error::Error::source(error), |e| e.source())
        .find_map(|cause| cause.downcast_ref::<std::io::Error>())
        .map(std::io::Error::kind);
    let lower = chain.to_lowercase();
    let code = error.status().map(|code| code.to_string());
    if io_kind == Some(std::io::ErrorKind::ConnectionRefused) {
        format!(
            "{shown} refused the connection: nothing listens there; check the host, the port \
             and that the relay runs"
        )
    } else if error.is_timeout() || io_kind == Some(std::io::ErrorKind::TimedOut) {
        format!("{shown} did not answer in time ({chain})")
    } else if lower.contains("lookup address") || lower.contains("could not resolve") {
        format!("the host of {shown} could not be found ({chain})")
    } else if code.as_deref() == Some("538") {
        format!("{shown} wants TLS before the login: add ?tls=starttls, or use smtps://")
    } else if matches!(code.as_deref(), Some("530" | "534" | "535")) {
        format!("{shown} refused the user name or password (authentication failed: {chain})")
    } else if lower.contains("no compatible authentication mechanism") {
        format!(
            "{shown} offers no login this app can use; it may want TLS first (add \
             ?tls=starttls, or use smtps://) or no user in the URL"
        )
    } else if lower.contains("starttls is not supported") {
        format!(
            "{shown} does not offer STARTTLS; use smtps:// if it speaks TLS from the first \
             byte, or drop ?tls= on a trusted network"
        )
    } else if error.is_tls()
        || io_kind == Some(std::io::ErrorKind::InvalidData)
        || lower.contains("certificate")
    {
        let cause = std::iter::successors(Some(error as &dyn std::error::Error), |e| e.source())
            .last()
            .map_or_else(|| chain.clone(), ToString::to_string);
        let hint = if lower.contains("corrupt message") {
            "; the relay does not speak TLS on this port (try smtp://, or ?tls=starttls)"
        } else {
            ""
        };
        format!("the TLS handshake with {shown} failed: {cause}{hint}")
    } else {
        format!("{shown} could not be used: {chain}")
    }
}

/// SMTP settings that cannot be used; the message names the setting, its value (password
/// left out) and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {setting} {shown} cannot be used: {problem}")]
pub struct BadMailSettings {
    /// `SMTP URL` or `sender address`.
    pub setting: &'static str,
    /// The value as given, with any password replaced by `***`.
    pub shown: String,
    pub problem: String,
}

/// `url` as lettre reads it, after checking what lettre would ignore or misread: the
/// scheme, a host, and the query (only `tls`, with `starttls` meaning `required`).
fn normalize(url: &str) -> Result<String, String> {
    if url.is_empty() {
        return Err("it is empty".into());
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err("it must start with smtp:// or smtps://".into());
    };
    if !matches!(scheme, "smtp" | "smtps") {
        return Err(format!(
            "the scheme is `{scheme}`; use smtp:// (plain or STARTTLS) or smtps:// (TLS)"
        ));
    }
    if rest.contains('#') {
        return Err("it has a `#` fragment; write a `#` in a password as %23".into());
    }
    let (authority_and_path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let authority = authority_and_path
        .split('/')
        .next()
        .unwrap_or(authority_and_path);
    let host_and_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    if host_and_port.is_empty() || host_and_port.starts_with(':') {
        return Err("it names no host".into());
    }
    let mut tls = None;
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if name != "tls" {
            return Err(format!(
                "unknown parameter `{name}`; the only one is tls=starttls or tls=opportunistic"
            ));
        }
        let Some((_, mode)) = TLS_MODES.iter().find(|(accepted, _)| *accepted == value) else {
            return Err(format!(
                "tls={value} is not a mode; use tls=starttls, tls=required or tls=opportunistic"
            ));
        };
        if scheme == "smtps" {
            return Err(
                "smtps:// always starts with TLS; drop ?tls=, or use smtp://...?tls=starttls"
                    .into(),
            );
        }
        tls = Some(*mode);
    }
    Ok(match tls {
        Some(mode) => format!("{scheme}://{authority_and_path}?tls={mode}"),
        None => format!("{scheme}://{authority_and_path}"),
    })
}

/// The password in a URL's userinfo, as written.
fn password_in(url: &str) -> Option<&str> {
    let rest = &url[url.find("://")? + 3..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let (userinfo, _) = authority.rsplit_once('@')?;
    userinfo.split_once(':').map(|(_, password)| password)
}

/// `%XX` sequences turned into their bytes (invalid ones left as they are).
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn scrubbed(mut text: String, secrets: &[String]) -> String {
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        text = text.replace(secret.as_str(), "***");
    }
    text
}

/// An error with its causes, `outer: inner: innermost`, without repeats.
fn full_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text = format!("{text}: {cause_text}");
        }
        source = cause.source();
    }
    text
}

/// One mail waiting for the relay.
#[derive(Debug)]
pub(crate) struct Outgoing {
    /// The mailbox's id of the mail, for reporting the outcome.
    pub(crate) id: u64,
    pub(crate) to: String,
    pub(crate) subject: String,
    pub(crate) text: String,
}

/// Where the sender task reports each mail's outcome: `Ok` when the relay accepted it.
pub(crate) type Report = Box<dyn Fn(u64, Result<(), String>) + Send + Sync>;

/// The queue to the relay and its one sender task, started with the first mail (so a
/// sandbox can be built outside a tokio runtime).
pub(crate) struct Courier {
    queue: mpsc::Sender<Outgoing>,
    /// The task's half until it starts.
    waiting: Mutex<Option<SenderTask>>,
    relay_url: String,
}

struct SenderTask {
    mails: mpsc::Receiver<Outgoing>,
    relay: SmtpRelay,
    report: Report,
}

impl Courier {
    pub(crate) fn new(relay: SmtpRelay, report: Report) -> Courier {
        let (queue, mails) = mpsc::channel(QUEUE_CAPACITY);
        Courier {
            queue,
            relay_url: relay.shown_url().to_owned(),
            waiting: Mutex::new(Some(SenderTask {
                mails,
                relay,
                report,
            })),
        }
    }

    /// The relay's URL without its password.
    pub(crate) fn relay_url(&self) -> &str {
        &self.relay_url
    }

    /// Queues `mail` without waiting. `Err` is why it will not be delivered: the queue is
    /// full, or there is no tokio runtime to send from.
    pub(crate) fn post(&self, mail: Outgoing) -> Result<(), String> {
        {
            let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
            if waiting.is_some() {
                let runtime = tokio::runtime::Handle::try_current()
                    .map_err(|_| "no tokio runtime to send it from".to_owned())?;
                if let Some(task) = waiting.take() {
                    runtime.spawn(task.run());
                }
            }
        }
        self.queue.try_send(mail).map_err(|refused| match refused {
            mpsc::error::TrySendError::Full(_) => format!(
                "not sent: {QUEUE_CAPACITY} mails were already waiting for {}",
                self.relay_url
            ),
            mpsc::error::TrySendError::Closed(_) => "not sent: the SMTP sender stopped".into(),
        })
    }
}

impl SenderTask {
    /// Sends each queued mail in turn; ends when the mailbox (the queue's sender) is gone
    /// and the queue is empty.
    async fn run(mut self) {
        while let Some(mail) = self.mails.recv().await {
            let outcome = self.relay.deliver(&mail).await;
            match &outcome {
                Ok(()) => tracing::info!(
                    target: "dojo_sandbox::mail",
                    mail = mail.id,
                    relay = %self.relay.shown_url(),
                    "mail delivered"
                ),
                Err(reason) => tracing::warn!(
                    target: "dojo_sandbox::mail",
                    mail = mail.id,
                    reason = %reason,
                    "mail not delivered"
                ),
            }
            (self.report)(mail.id, outcome);
        }
    }
}

impl fmt::Debug for Courier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Courier")
            .field("relay", &self.relay_url)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_starttls_and_tls_urls_are_accepted() {
        let plain = SmtpRelay::new("smtp://127.0.0.1:2525", None).expect("plain SMTP");
        assert_eq!(plain.shown_url(), "smtp://127.0.0.1:2525");
        assert_eq!(plain.from_address(), DEFAULT_FROM);
        assert_eq!(
            normalize("smtp://mail.example.test:587?tls=starttls").as_deref(),
            Ok("smtp://mail.example.test:587?tls=required")
        );
        assert_eq!(
            normalize("smtp://mail.example.test?tls=opportunistic").as_deref(),
            Ok("smtp://mail.example.test?tls=opportunistic")
        );
        SmtpRelay::new("smtp://mail.example.test:587?tls=starttls", None).expect("STARTTLS");
        SmtpRelay::new(
            "smtps://u:p@mail.example.test",
            Some("Dojo <dojo@example.test>"),
        )
        .expect("implicit TLS");
    }

    #[test]
    fn unusable_urls_are_refused_naming_the_problem() {
        let cases = [
            ("", "empty"),
            ("mail.example.test:25", "smtp://"),
            ("http://mail.example.test", "scheme is `http`"),
            ("smtp://", "no host"),
            ("smtp://user:pw@:25", "no host"),
            (
                "smtp://mail.example.test?tsl=starttls",
                "unknown parameter `tsl`",
            ),
            ("smtp://mail.example.test?tls=yes", "tls=yes is not a mode"),
            (
                "smtps://mail.example.test?tls=starttls",
                "always starts with TLS",
            ),
            ("smtp://mail.example.test:notaport", "cannot be used"),
        ];
        for (url, expected) in cases {
            let refused = SmtpRelay::new(url, None).expect_err(url);
            let text = refused.to_string();
            assert!(text.contains(expected), "{url}: {text}");
        }
    }

    #[test]
    fn a_bad_sender_is_refused() {
        let refused =
            SmtpRelay::new("smtp://127.0.0.1:25", Some("not an address")).expect_err("no @");
        assert_eq!(refused.setting, "sender address");
        assert!(
            refused
                .to_string()
                .starts_with("the sender address `not an address` cannot be used: "),
            "{refused}"
        );
    }

    #[test]
    fn the_password_never_shows() {
        let relay =
            SmtpRelay::new("smtp://learner:pa%24%24word@127.0.0.1:1", None).expect("a valid URL");
        assert_eq!(relay.shown_url(), "smtp://learner:***@127.0.0.1:1");
        let debug = format!("{relay:?}");
        assert!(!debug.contains("pa%24"), "{debug}");
        assert_eq!(
            relay.scrub("AUTH pa$$word refused (pa%24%24word)".into()),
            "AUTH *** refused (***)"
        );
        let refused =
            SmtpRelay::new("smtp://learner:s3cret@127.0.0.1:x", None).expect_err("a bad port");
        assert!(!refused.to_string().contains("s3cret"), "{refused}");
    }
}
