//! A real SMTP server for the mail delivery tests: `smtp_sink.py` beside this file, on
//! Python's aiosmtpd, one per test, on a free loopback port it picks itself, stopped when
//! its handle is dropped.
//!
//! The server writes its port to a file once it listens, and each mail it receives to
//! `mail-N.json` (renamed into place, never seen half written). It stops when its standard
//! input closes: the handle keeps the write end, so dropping the handle (or the test
//! process ending however it ends) stops the server.
//!
//! `DOJO_TEST_SMTP_PYTHON` names the Python to run it with (default: the first of
//! `python3` on the `PATH` and `/usr/bin/python3` that can import aiosmtpd; the package is
//! `python3-aiosmtpd` on Debian and Ubuntu). Without one, the SMTP tests fail with the
//! reason if `CI=true`, and are skipped with a notice otherwise.

use std::fs::{self, File};
use std::io::Write as _;
use std::net::{Ipv4Addr, TcpListener};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long a fresh server may take to listen (Python starts in well under a second; a
/// busy two-core CI machine gets slack).
const READY_WITHIN: Duration = Duration::from_secs(20);
const POLL_EVERY: Duration = Duration::from_millis(20);
// From the crate that includes this file (the sandbox, or the app through `#[path]`).
const SINK_SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../sandbox/tests/support/smtp_sink.py"
);

/// One running SMTP server, stopped when dropped.
#[derive(Debug)]
pub(crate) struct SmtpServer {
    process: Child,
    stdin: Option<ChildStdin>,
    port: u16,
    dir: tempfile::TempDir,
}

/// A server for one test, accepting mail without a login. `None` means "skip": there is
/// no Python with aiosmtpd and this is not CI; the reason was printed.
///
/// # Panics
/// When no server can be started and `CI=true`: CI must never skip these tests.
pub(crate) fn start() -> Option<SmtpServer> {
    or_skip(SmtpServer::start(None))
}

/// Like [`start`], but the server advertises AUTH and takes only this user and password.
pub(crate) fn start_with_login(user: &str, password: &str) -> Option<SmtpServer> {
    or_skip(SmtpServer::start(Some((user, password))))
}

fn or_skip(started: Result<SmtpServer, String>) -> Option<SmtpServer> {
    match started {
        Ok(server) => Some(server),
        Err(reason) if std::env::var("CI").is_ok_and(|value| value == "true") => {
            panic!(
                "an SMTP server (python3-aiosmtpd) is required in CI but could not start: {reason}"
            )
        }
        Err(reason) => {
            // Straight to the stream: the harness captures `eprintln!`, and this notice
            // must be seen even when every test passes.
            let notice = format!(
                "NOTICE: skipping an SMTP delivery test, no server: {reason}\n        \
                 (install the python3-aiosmtpd package; with CI=true this is a failure)\n"
            );
            let _ = std::io::stderr().write_all(notice.as_bytes());
            None
        }
    }
}

impl SmtpServer {
    fn start(login: Option<(&str, &str)>) -> Result<SmtpServer, String> {
        let python = python_with_aiosmtpd()?;
        let dir = tempfile::Builder::new()
            .prefix("dojo-smtp-test-")
            .tempdir()
            .map_err(|e| format!("cannot create a scratch directory: {e}"))?;
        let log_path = dir.path().join("sink.log");
        let log = File::create(&log_path)
            .map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
        let errors = log
            .try_clone()
            .map_err(|e| format!("cannot share a file handle: {e}"))?;
        let mut command = Command::new(&python);
        command.arg(SINK_SCRIPT).arg(dir.path());
        if let Some((user, password)) = login {
            command.args(["--user", user, "--password", password]);
        }
        let mut process = command
            .stdin(Stdio::piped())
            .stdout(log)
            .stderr(errors)
            .spawn()
            .map_err(|e| format!("cannot run {python}: {e}"))?;
        let stdin = process.stdin.take();
        let mut server = SmtpServer {
            process,
            stdin,
            port: 0,
            dir,
        };
        server.port = server.wait_for_port()?;
        Ok(server)
    }

    fn wait_for_port(&mut self) -> Result<u16, String> {
        let port_file = self.dir.path().join("port");
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            if let Ok(Some(status)) = self.process.try_wait() {
                return Err(format!("the server exited ({status}): {}", self.log_tail()));
            }
            if let Ok(text) = fs::read_to_string(&port_file) {
                return text
                    .trim()
                    .parse()
                    .map_err(|e| format!("the server wrote a bad port {text:?}: {e}"));
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "not listening after {READY_WITHIN:?}: {}",
                    self.log_tail()
                ));
            }
            std::thread::sleep(POLL_EVERY);
        }
    }

    fn log_tail(&self) -> String {
        let text = fs::read_to_string(self.dir.path().join("sink.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(8)..].join("\n")
    }

    /// `smtp://127.0.0.1:PORT`, the URL the sandbox's relay takes.
    pub(crate) fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// The mails received so far, oldest first.
    pub(crate) fn received(&self) -> Vec<Value> {
        let mut mails: Vec<(u64, Value)> = fs::read_dir(self.dir.path())
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                let number = name
                    .strip_prefix("mail-")?
                    .strip_suffix(".json")?
                    .parse()
                    .ok()?;
                Some((number, read_json(&entry.path())))
            })
            .collect();
        mails.sort_by_key(|(number, _)| *number);
        mails.into_iter().map(|(_, mail)| mail).collect()
    }

    /// Waits (polling, at most `within`) until at least `count` mails have arrived, and
    /// returns them all.
    ///
    /// # Panics
    /// When they have not arrived in time, with what did arrive and the server's log.
    pub(crate) async fn wait_for_mails(&self, count: usize, within: Duration) -> Vec<Value> {
        let deadline = Instant::now() + within;
        loop {
            let mails = self.received();
            if mails.len() >= count {
                return mails;
            }
            assert!(
                Instant::now() < deadline,
                "{count} mail(s) expected within {within:?}, got {mails:?}; server log: {}",
                self.log_tail()
            );
            tokio::time::sleep(POLL_EVERY).await;
        }
    }
}

fn read_json(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}: {text}", path.display()))
}

/// The Python to run the sink with: `DOJO_TEST_SMTP_PYTHON`, or the first candidate that
/// can import aiosmtpd.
fn python_with_aiosmtpd() -> Result<String, String> {
    let chosen = std::env::var("DOJO_TEST_SMTP_PYTHON")
        .ok()
        .filter(|p| !p.trim().is_empty());
    let candidates: Vec<String> = match chosen {
        Some(python) => vec![python],
        None => vec!["python3".into(), "/usr/bin/python3".into()],
    };
    let mut failures = Vec::new();
    for python in candidates {
        match Command::new(&python)
            .args(["-c", "import aiosmtpd"])
            .stdin(Stdio::null())
            .output()
        {
            Ok(output) if output.status.success() => return Ok(python),
            Ok(output) => failures.push(format!(
                "{python} cannot import aiosmtpd ({})",
                String::from_utf8_lossy(&output.stderr)
                    .trim()
                    .lines()
                    .last()
                    .unwrap_or("")
            )),
            Err(e) => failures.push(format!("cannot run {python}: {e}")),
        }
    }
    Err(failures.join("; "))
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        // Closing standard input is the stop signal.
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if !matches!(self.process.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(POLL_EVERY);
        }
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// A loopback port nobody listens on right now.
pub(crate) fn closed_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a free port");
    listener.local_addr().expect("a bound address").port()
}
