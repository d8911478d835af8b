//! A real `redis-server` for the tests that run against Redis: one per test, in memory
//! (no RDB, no AOF), on a free loopback port, stopped when its handle is dropped.
//!
//! The server runs under a small bash supervisor that holds the read end of a pipe we
//! keep the write end of. When the pipe closes (the handle is dropped, or the test process
//! ends however it ends, even killed) the supervisor stops the server, so no server is ever
//! left behind. The supervisor exits as soon as the server does, which is how a server
//! that could not start (a port taken meanwhile) is noticed at once.
//!
//! `DOJO_TEST_REDIS_SERVER` names the binary (default: `redis-server` on the `PATH`; the
//! package is `redis-server` on Debian and Ubuntu). Without one, the Redis tests fail with
//! the reason if `CI=true`, and are skipped with a notice otherwise.

use std::fs::{self, File};
use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a fresh server may take to accept connections (it needs milliseconds; a busy
/// two-core CI machine gets slack).
const READY_WITHIN: Duration = Duration::from_secs(20);
const POLL_EVERY: Duration = Duration::from_millis(10);
/// A port taken between choosing and binding shows up as the server exiting; try another.
const START_ATTEMPTS: usize = 3;

/// Runs the server with the script's arguments and stops it when standard input closes.
const SUPERVISOR: &str = r#"
exec 3<&0
"$DOJO_REDIS_BINARY" "$@" </dev/null 3<&- &
server=$!
{ read -r _ <&3; kill "$server" 2>/dev/null; } &
wait "$server"
"#;

/// One running `redis-server`, stopped when dropped.
#[derive(Debug)]
pub(crate) struct RedisServer {
    supervisor: Child,
    stdin: Option<ChildStdin>,
    port: u16,
    dir: tempfile::TempDir,
}

/// A server for one test. `None` means "skip": there is no `redis-server` (or it could not
/// start) and this is not CI; the reason was printed.
///
/// # Panics
/// When no server can be started and `CI=true`: CI must never skip these tests.
pub(crate) fn start() -> Option<RedisServer> {
    match RedisServer::start() {
        Ok(server) => Some(server),
        Err(reason) if std::env::var("CI").is_ok_and(|value| value == "true") => {
            panic!("redis-server is required in CI but could not start: {reason}")
        }
        Err(reason) => {
            // Straight to the stream: the harness captures `eprintln!`, and this notice
            // must be seen even when every test passes.
            let notice = format!(
                "NOTICE: skipping a Redis cache test, no server: {reason}\n        \
                 (install the redis-server package; with CI=true this is a failure)\n"
            );
            let _ = std::io::stderr().write_all(notice.as_bytes());
            None
        }
    }
}

impl RedisServer {
    fn start() -> Result<RedisServer, String> {
        let binary = std::env::var("DOJO_TEST_REDIS_SERVER")
            .ok()
            .filter(|b| !b.trim().is_empty())
            .unwrap_or_else(|| "redis-server".to_owned());
        let version = Command::new(&binary)
            .arg("--version")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {binary}: {e}"))?;
        if !version.status.success() {
            return Err(format!("{binary} --version failed ({})", version.status));
        }
        let mut failures = Vec::new();
        for _ in 0..START_ATTEMPTS {
            let port = free_port()?;
            match RedisServer::spawn(&binary, port) {
                Ok(server) => return Ok(server),
                Err(reason) => failures.push(format!("port {port}: {reason}")),
            }
        }
        Err(failures.join("; "))
    }

    fn spawn(binary: &str, port: u16) -> Result<RedisServer, String> {
        let dir = tempfile::Builder::new()
            .prefix("dojo-redis-test-")
            .tempdir()
            .map_err(|e| format!("cannot create a scratch directory: {e}"))?;
        let log_path = dir.path().join("redis.log");
        let log = File::create(&log_path)
            .map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
        let errors = log
            .try_clone()
            .map_err(|e| format!("cannot share a file handle: {e}"))?;
        let mut supervisor = Command::new("bash")
            .arg("-c")
            .arg(SUPERVISOR)
            .arg("redis-test-supervisor")
            .args(["--port", &port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--save", ""])
            .args(["--appendonly", "no"])
            .args(["--daemonize", "no"])
            .arg("--dir")
            .arg(dir.path())
            .env("DOJO_REDIS_BINARY", binary)
            .stdin(Stdio::piped())
            .stdout(log)
            .stderr(errors)
            .spawn()
            .map_err(|e| format!("cannot run bash: {e}"))?;
        let stdin = supervisor.stdin.take();
        let mut server = RedisServer {
            supervisor,
            stdin,
            port,
            dir,
        };
        server.wait_until_ready()?;
        Ok(server)
    }

    fn wait_until_ready(&mut self) -> Result<(), String> {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            if let Ok(Some(status)) = self.supervisor.try_wait() {
                return Err(format!("the server exited ({status}): {}", self.log_tail()));
            }
            if TcpStream::connect_timeout(&address, POLL_EVERY * 10).is_ok() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "not accepting connections after {READY_WITHIN:?}: {}",
                    self.log_tail()
                ));
            }
            std::thread::sleep(POLL_EVERY);
        }
    }

    fn log_tail(&self) -> String {
        let text = fs::read_to_string(self.log_path()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(6)..].join("\n")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("redis.log")
    }

    /// The URL the sandbox's `redis_url` takes.
    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        // Closing the pipe is the stop signal; the supervisor exits once the server has.
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if !matches!(self.supervisor.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(POLL_EVERY);
        }
        let _ = self.supervisor.kill();
        let _ = self.supervisor.wait();
    }
}

/// A port nobody listens on right now. Another process could take it before the server
/// binds it; `start` then tries another.
pub(crate) fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| format!("cannot find a free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("cannot read a port: {e}"))
}
