//! The `dojo` binary as a learner or content author runs it from a terminal.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const GROUP_TITLES: [&str; 6] = [
    "Authentication and authorization",
    "REST API and data",
    "Middleware and security",
    "Uploads, realtime and webhooks",
    "Testing, analytics and deployment",
    "Add-ons",
];

fn dojo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dojo"))
        .args(args)
        .env_remove("DOJO_UI_DIR")
        .output()
        .expect("the dojo binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn topics_lists_all_33_under_their_group_titles() {
    let output = dojo(&["topics"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();

    let titles: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| !l.starts_with(' '))
        .collect();
    assert_eq!(titles, GROUP_TITLES);

    let ids: Vec<u32> = lines
        .iter()
        .filter(|l| l.starts_with(' '))
        .map(|l| {
            l.split_whitespace()
                .next()
                .and_then(|id| id.parse().ok())
                .expect("line starts with an id")
        })
        .collect();
    assert_eq!(ids, (1..=33).collect::<Vec<u32>>());
    assert_eq!(lines.len(), 33 + 6);

    let rate_limiting = lines
        .iter()
        .find(|l| l.trim_start().starts_with("17 "))
        .expect("topic 17 listed");
    let words: Vec<&str> = rate_limiting.split_whitespace().collect();
    assert_eq!(words, ["17", "rate-limiting", "Rate", "limiting"]);
    let middleware = lines
        .iter()
        .position(|l| *l == "Middleware and security")
        .expect("group title");
    let topic_17 = lines
        .iter()
        .position(|l| l == rate_limiting)
        .expect("topic line");
    let realtime = lines
        .iter()
        .position(|l| *l == "Uploads, realtime and webhooks")
        .expect("group title");
    assert!(
        middleware < topic_17 && topic_17 < realtime,
        "topic 17 is listed under its group"
    );
}

#[test]
fn show_prints_a_topic_by_id_or_slug() {
    let by_id = dojo(&["show", "17"]);
    let by_slug = dojo(&["show", "rate-limiting"]);
    assert!(by_id.status.success(), "{}", stderr(&by_id));
    assert!(by_slug.status.success(), "{}", stderr(&by_slug));
    let text = stdout(&by_id);
    assert_eq!(text, stdout(&by_slug));
    assert!(text.starts_with("Topic 17: Rate limiting\n"), "{text}");
    assert!(
        text.contains("\nInterview answer\n================\n"),
        "underlined section heading"
    );
    assert!(
        text.contains("\nExpress template\n================\n"),
        "underlined section heading"
    );
    assert!(
        text.contains("Rate limiting caps how many requests"),
        "the answer itself"
    );
    assert!(
        text.contains("    app.set('trust proxy', 1);"),
        "code is indented"
    );
    assert!(!text.contains("<span"), "plain text, no HTML");
}

#[test]
fn show_an_unknown_topic_fails_naming_it() {
    let output = dojo(&["show", "99"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "");
    assert_eq!(
        stderr(&output),
        "dojo: no topic has the id or slug \"99\"; topic ids run from 1 to 33\n"
    );
}

#[test]
fn check_passes_for_the_built_in_topics_and_their_drills() {
    let output = dojo(&["check"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let drills = text
        .strip_prefix("33 topics checked, ")
        .and_then(|rest| rest.strip_suffix(" drills passed, no problems\n"))
        .and_then(|count| count.parse::<usize>().ok());
    assert!(drills.is_some_and(|n| n >= 24), "{text}");
    assert_eq!(
        stderr(&output),
        "",
        "node is installed, so there is no note about unchecked templates; the sandbox's \
         deliberate panics (topic 15's drill) stay off the terminal"
    );
}

#[test]
fn check_without_node_passes_with_a_note() {
    let output = dojo(&[
        "check",
        "--no-drills",
        "--node",
        "/nonexistent/backend-dojo/node",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "33 topics checked, no problems\n");
    assert_eq!(
        stderr(&output),
        "note: /nonexistent/backend-dojo/node could not be run, so the Express templates were not syntax-checked\n"
    );
}

#[test]
fn check_a_folder_with_a_broken_topic_names_file_and_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = "+++\nid = 10\nslug = \"pagination\"\ntitle = \"Pagination\"\ngroup = \"data\"\n\
                difficulty = \"mid\"\nstatus = \"outline\"\nsandbox = \"pagination\"\n+++\n\n\
                ## Interview answer\n\nCursor pagination.\n\n## Sumary\n\nTypo in the heading.\n";
    fs_write(&dir.path().join("10-pagination.md"), text);
    let output = dojo(&[
        "check",
        "--dir",
        dir.path().to_str().expect("utf-8 temp path"),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "");
    let errors = stderr(&output);
    let mut lines = errors.lines();
    let first = lines.next().unwrap_or_default();
    assert!(
        first.starts_with("10-pagination.md:15: unknown section \"Sumary\"; expected one of:"),
        "{errors}"
    );
    assert_eq!(lines.next(), Some("1 problem(s) found"), "{errors}");
    assert_eq!(lines.next(), None, "{errors}");
}

#[test]
fn drill_runs_a_topic_against_a_fresh_sandbox() {
    let output = dojo(&["drill", "deployment"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let first = text.lines().next().unwrap_or_default();
    assert!(first.starts_with("Topic 29: Deployment"), "{text}");
    assert!(
        first.contains("3 drills against http://127.0.0.1:"),
        "{text}"
    );
    assert!(text.contains("\n✔ 01-healthz.hurl  "), "{text}");
    assert!(text.contains("    ✔ GET http://127.0.0.1:"), "{text}");
    assert!(text.contains("/healthz → 200 ("), "{text}");
    assert!(text.ends_with("\n3 of 3 drills passed\n"), "{text}");
    assert_eq!(stderr(&output), "");
}

#[test]
fn drill_against_a_server_that_is_not_there_fails_each_step() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let output = dojo(&["drill", "29", "--base-url", &url]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(
        text.contains(&format!("✘ GET {url}/healthz → no answer")),
        "{text}"
    );
    assert!(text.contains("✘ line 3: HTTP connection"), "{text}");
    assert!(
        text.contains(&format!("· GET {url}/readyz → not run")),
        "{text}"
    );
    assert!(text.ends_with("\n0 of 3 drills passed\n"), "{text}");
}

#[test]
fn drill_refuses_an_unknown_topic_and_a_bad_url() {
    let output = dojo(&["drill", "99"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "dojo: no topic has the id or slug \"99\"; topic ids run from 1 to 33\n"
    );
    let output = dojo(&["drill", "1", "--base-url", "localhost:3000"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "dojo: \"localhost:3000\" is not a server address; give one like http://127.0.0.1:3000\n"
    );
}

fn fs_write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

#[test]
fn serve_refuses_a_folder_without_a_built_ui() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ui = dir.path().to_str().expect("utf-8 temp path");
    let output = dojo(&["serve", "--port", "0", "--ui-dir", ui]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        format!("dojo: no built UI in {ui}; run `make run`, or pass --ui-dir\n")
    );
}

/// Kills the server when the test ends, whether it passed or not.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One HTTP/1.1 GET over a plain socket; returns the status line and the body.
fn http_get(port: u16, path: &str, host: &str) -> (String, String) {
    let mut stream =
        TcpStream::connect(("127.0.0.1", port)).expect("the server accepts connections");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("read timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    )
    .expect("send request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read response");
    let (head, body) = response
        .split_once("\r\n\r\n")
        .expect("a complete HTTP response");
    let status = head.lines().next().unwrap_or_default().to_owned();
    (status, body.to_owned())
}

#[test]
fn serve_prints_its_url_and_answers_the_api() {
    let ui = tempfile::tempdir().expect("temp dir");
    fs_write(
        &ui.path().join("index.html"),
        "<!doctype html><title>Backend Dojo</title>\n",
    );
    let child = Command::new(env!("CARGO_BIN_EXE_dojo"))
        .args([
            "serve",
            "--port",
            "0",
            "--ui-dir",
            ui.path().to_str().expect("utf-8 temp path"),
        ])
        .env_remove("DOJO_UI_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("dojo serve starts");
    let mut server = Server(child);

    // Read the announcement on another thread so a server that never prints fails the test
    // instead of hanging it.
    let stdout = server.0.stdout.take().expect("piped stdout");
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = sender.send(line);
    });
    let line = receiver
        .recv_timeout(Duration::from_secs(60))
        .expect("dojo serve prints its URL");

    let url = line
        .trim_end()
        .strip_prefix("Backend Dojo web mode: http://127.0.0.1:")
        .unwrap_or_else(|| panic!("unexpected announcement {line:?}"));
    let port: u16 = url
        .strip_suffix('/')
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    assert_ne!(port, 0, "port 0 is replaced by the port actually bound");

    let host = format!("127.0.0.1:{port}");
    let (status, body) = http_get(port, "/api/topics", &host);
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(body.contains("\"slug\":\"jwt-protected-routes\""), "{body}");

    let (status, body) = http_get(port, "/topics/17", &host);
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(body, "<!doctype html><title>Backend Dojo</title>\n");

    let (status, _) = http_get(port, "/api/topics", &format!("evil.example:{port}"));
    assert_eq!(status, "HTTP/1.1 421 Misdirected Request");
}

/// `dojo sandbox` with `args` and none of the mail settings from the environment but `env`.
fn dojo_sandbox(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dojo"));
    command
        .arg("sandbox")
        .args(args)
        .env_remove("DOJO_SMTP_URL")
        .env_remove("DOJO_MAIL_FROM")
        .envs(env.iter().copied())
        .stdin(Stdio::null());
    command
}

#[test]
fn sandbox_refuses_unusable_mail_settings_naming_the_problem() {
    let output = dojo_sandbox(&["--smtp-url", "http://learner:s3cret@mail.dojo.test"], &[])
        .output()
        .expect("the dojo binary runs");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "dojo: --smtp-url / --mail-from: the SMTP URL http://learner:***@mail.dojo.test cannot \
         be used: the scheme is `http`; use smtp:// (plain or STARTTLS) or smtps:// (TLS)\n"
    );

    // The same from the environment, where the password must not show either.
    let output = dojo_sandbox(
        &[],
        &[(
            "DOJO_SMTP_URL",
            "smtp://learner:s3cret@mail.dojo.test?tls=yes",
        )],
    )
    .output()
    .expect("the dojo binary runs");
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(text.contains("tls=yes is not a mode"), "{text}");
    assert!(!text.contains("s3cret"), "{text}");

    let output = dojo_sandbox(
        &[
            "--smtp-url",
            "smtp://127.0.0.1:2525",
            "--mail-from",
            "not an address",
        ],
        &[],
    )
    .output()
    .expect("the dojo binary runs");
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(
        text.starts_with(
            "dojo: --smtp-url / --mail-from: the sender address `not an address` cannot be used: "
        ),
        "{text}"
    );

    // A sender without a relay is a mistake, caught before anything starts.
    let output = dojo_sandbox(&["--mail-from", "dojo@dojo.test"], &[])
        .output()
        .expect("the dojo binary runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--smtp-url"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn sandbox_announces_its_smtp_relay_without_the_password() {
    let child = dojo_sandbox(
        &[
            "--port",
            "0",
            "--smtp-url",
            "smtp://learner:s3cret@127.0.0.1:2525?tls=starttls",
            "--mail-from",
            "Dojo <mailer@dojo.test>",
        ],
        &[],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .expect("dojo sandbox starts");
    let mut server = Server(child);

    // Read the announcements on another thread so a sandbox that never prints fails the
    // test instead of hanging it.
    let stdout = server.0.stdout.take().expect("piped stdout");
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                return;
            }
        }
    });
    let mut lines = Vec::new();
    let mail_line = loop {
        let line = receiver
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no mail announcement after {lines:?}"));
        if line.starts_with("Mail: ") {
            break line;
        }
        lines.push(line);
    };
    assert_eq!(
        mail_line,
        "Mail: kept in the mailbox and delivered through \
         smtp://learner:***@127.0.0.1:2525?tls=starttls as Dojo <mailer@dojo.test>"
    );
    assert!(
        lines.iter().all(|line| !line.contains("s3cret")),
        "{lines:?}"
    );
}
