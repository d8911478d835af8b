//! The MongoDB-compatible server behind the storage tests: one nx-27017 per test binary,
//! in memory, on a free loopback port, with its own pid, log and output files.
//!
//! `scripts/mongo-test-server.sh` installs nx-27017 into a venv that is created once and
//! reused, and runs the server for us. We hold the pipe to that script's standard input:
//! when the pipe closes (the handle is dropped, or the test process ends however it ends)
//! the script stops the server. A static is never dropped, so this is what keeps a test
//! binary from leaving a server behind.
//!
//! Set `DOJO_TEST_MONGODB_URI` to run the suite against a real MongoDB instead.
//! When no server can be had, the Mongo tests fail with the reason if `CI=true`, and are
//! skipped with a notice otherwise.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long a freshly spawned server may take to accept connections (it needs well under
/// a second; a busy two-core CI machine gets slack).
const READY_WITHIN: Duration = Duration::from_secs(30);
/// How often the port is polled while waiting for it to open.
const POLL_EVERY: Duration = Duration::from_millis(20);
/// A taken port shows up as the server exiting; try again on another.
const START_ATTEMPTS: usize = 3;

/// Where a test finds its MongoDB: a server this binary started, or one named by
/// `DOJO_TEST_MONGODB_URI`.
#[derive(Debug)]
pub(crate) enum MongoTarget {
    Started(MongoServer),
    External(String),
}

impl MongoTarget {
    /// The connection string for the driver.
    pub(crate) fn uri(&self) -> String {
        match self {
            Self::Started(server) => server.uri(),
            Self::External(uri) => uri.clone(),
        }
    }

    /// The URI of our own server with `database` as its default database; `None` for an
    /// external server, whose URI is used as given.
    pub(crate) fn uri_with_database(&self, database: &str) -> Option<String> {
        match self {
            Self::Started(server) => Some(format!(
                "mongodb://127.0.0.1:{}/{database}?directConnection=true",
                server.port
            )),
            Self::External(_) => None,
        }
    }

    /// True when the tests run against nx-27017, whose gaps some tests step around.
    pub(crate) fn is_nx_27017(&self) -> bool {
        matches!(self, Self::Started(_))
    }
}

/// The server for this test binary, started on first use. `None` means "skip": no server
/// could be started and this is not CI (the reason was printed once).
///
/// # Panics
/// When the server cannot be started and `CI=true`: CI must never skip these tests.
pub(crate) fn shared_target() -> Option<&'static MongoTarget> {
    static TARGET: OnceLock<Result<MongoTarget, String>> = OnceLock::new();
    let target = TARGET.get_or_init(|| match std::env::var("DOJO_TEST_MONGODB_URI") {
        Ok(uri) if !uri.trim().is_empty() => Ok(MongoTarget::External(uri)),
        _ => MongoServer::start().map(MongoTarget::Started),
    });
    match target {
        Ok(target) => Some(target),
        Err(reason) if std::env::var("CI").is_ok_and(|value| value == "true") => {
            panic!("the MongoDB test server is required in CI but could not start: {reason}")
        }
        Err(reason) => {
            static NOTICE: OnceLock<()> = OnceLock::new();
            NOTICE.get_or_init(|| {
                // Straight to the stream: the test harness captures `eprintln!`, and this
                // notice must be seen even when every test passes.
                let notice = format!(
                    "NOTICE: skipping the MongoDB half of the storage tests, no server: \
                     {reason}\n        (run scripts/mongo-test-server.sh install; with \
                     CI=true this is a failure)\n"
                );
                let _ = std::io::stderr().write_all(notice.as_bytes());
            });
            None
        }
    }
}

/// One running nx-27017, stopped when dropped.
#[derive(Debug)]
pub(crate) struct MongoServer {
    supervisor: Child,
    stdin: Option<ChildStdin>,
    port: u16,
    dir: PathBuf,
}

impl MongoServer {
    /// Installs nx-27017 if needed, starts it on a free port and waits until it accepts
    /// connections.
    pub(crate) fn start() -> Result<Self, String> {
        let script = script_path();
        install(&script)?;
        let dir = runtime_dir()?;
        let mut failures = Vec::new();
        for attempt in 1..=START_ATTEMPTS {
            let port = free_port()?;
            let attempt_dir = dir.join(format!("attempt-{attempt}"));
            match Self::spawn(&script, port, &attempt_dir) {
                Ok(server) => return Ok(server),
                Err(reason) => failures.push(format!("port {port}: {reason}")),
            }
        }
        Err(failures.join("; "))
    }

    fn spawn(script: &Path, port: u16, dir: &Path) -> Result<Self, String> {
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let output_path = dir.join("supervisor.out");
        let output = File::create(&output_path)
            .map_err(|e| format!("cannot create {}: {e}", output_path.display()))?;
        let errors = output
            .try_clone()
            .map_err(|e| format!("cannot share a file handle: {e}"))?;
        let mut supervisor = Command::new("bash")
            .arg(script)
            .arg("serve")
            .arg(port.to_string())
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(output)
            .stderr(errors)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
        let stdin = supervisor.stdin.take();
        let mut server = Self {
            supervisor,
            stdin,
            port,
            dir: dir.to_path_buf(),
        };
        server.wait_until_ready()?;
        Ok(server)
    }

    /// Polls the port until the server accepts a connection, the supervisor exits (the
    /// server could not start) or the deadline passes.
    fn wait_until_ready(&mut self) -> Result<(), String> {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            if let Ok(Some(status)) = self.supervisor.try_wait() {
                return Err(format!(
                    "the server exited ({status}): {}",
                    self.output_tail()
                ));
            }
            if TcpStream::connect_timeout(&address, POLL_EVERY * 10).is_ok() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "not accepting connections after {READY_WITHIN:?}: {}",
                    self.output_tail()
                ));
            }
            std::thread::sleep(POLL_EVERY);
        }
    }

    /// The last lines the supervisor and the server wrote, for error messages.
    fn output_tail(&self) -> String {
        let mut text = String::new();
        for name in ["supervisor.out", "nx-27017.out"] {
            if let Ok(mut file) = File::open(self.dir.join(name)) {
                let _ = file.read_to_string(&mut text);
            }
        }
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(8)..].join("\n");
        format!("(files in {})\n{tail}", self.dir.display())
    }

    /// The connection string for the driver (one server, no replica set discovery).
    pub(crate) fn uri(&self) -> String {
        format!("mongodb://127.0.0.1:{}/?directConnection=true", self.port)
    }
}

impl Drop for MongoServer {
    fn drop(&mut self) {
        // Closing the pipe is the stop signal; the script kills and reaps the server.
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if !matches!(self.supervisor.try_wait(), Ok(None)) {
                let _ = fs::remove_dir_all(&self.dir);
                return;
            }
            std::thread::sleep(POLL_EVERY);
        }
        let _ = self.supervisor.kill();
        let _ = self.supervisor.wait();
    }
}

fn script_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/mongo-test-server.sh")
}

/// Runs the script's `install`: a no-op once the venv exists.
fn install(script: &Path) -> Result<(), String> {
    let output = Command::new("bash")
        .arg(script)
        .arg("install")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "installing nx-27017 failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// A directory of this process's own under the target dir's scratch space; leftovers of
/// test processes that are gone are removed on the way.
fn runtime_dir() -> Result<PathBuf, String> {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mongo-test-server");
    fs::create_dir_all(&root).map_err(|e| format!("cannot create {}: {e}", root.display()))?;
    if let Ok(entries) = fs::read_dir(&root) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let owner = name
                .to_string_lossy()
                .rsplit('-')
                .next()
                .and_then(|p| p.parse().ok());
            if owner.is_some_and(|pid: u32| !Path::new(&format!("/proc/{pid}")).exists()) {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }
    let binary = std::env::current_exe()
        .ok()
        .and_then(|exe| {
            exe.file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "tests".to_owned());
    Ok(root.join(format!("{binary}-{}", std::process::id())))
}

/// A port nobody listens on right now. Another process could take it before the server
/// binds it; `start` then tries another.
fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| format!("cannot find a free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("cannot read a port: {e}"))
}
