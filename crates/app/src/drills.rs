//! The drill engine: runs a topic's Hurl drills against a server (the sandbox, or the
//! learner's own with `--base-url`) and reports each request, each assert and how long it
//! took, for the terminal and for the UI.
//!
//! Hurl runs requests with libcurl, which blocks, so [`run_drills`] moves the work onto
//! tokio's blocking pool. Drills of one topic run one after another, in file order: they
//! share the server's state (its rate limiter, its switches).

use std::fmt::Write as _;
use std::time::Duration;

use dojo_content::Drill;
use dojo_content::drill::{BASE_URL_VARIABLE, describe_error};
use hurl::http::{Header, HeaderVec};
use hurl::runner::{
    AssertResult, EntryResult, RunnerError, RunnerErrorKind, RunnerOptionsBuilder, Value,
    VariableSet,
};
use hurl::util::logger::{Logger, LoggerOptionsBuilder};
use hurl::util::term::{Stderr, Stdout, WriteMode};
use hurl_core::ast::Entry;
use hurl_core::input::Input;
use serde::Serialize;
use ts_rs::TS;

/// Longest a single request may take before the drill fails; the sandbox's own timeout
/// (5 s) is well inside it.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const USER_AGENT: &str = concat!("backend-dojo-drills/", env!("CARGO_PKG_VERSION"));

/// A drill as the UI lists it, before it runs.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DrillInfo {
    /// `01-login-then-me.hurl`.
    pub file: String,
    /// Path under `content/drills`, e.g. `01-jwt-protected-routes/01-login-then-me.hurl`.
    pub path: String,
    pub title: String,
    /// The Hurl text, for showing and for running with the `hurl` command.
    pub source: String,
}

impl From<&Drill> for DrillInfo {
    fn from(drill: &Drill) -> Self {
        DrillInfo {
            file: drill.file.clone(),
            path: drill.path.clone(),
            title: drill.title.clone(),
            source: drill.source.clone(),
        }
    }
}

/// Every drill of one topic, run against one server.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DrillRun {
    pub topic_id: u32,
    pub topic_title: String,
    pub base_url: String,
    /// True when every drill passed.
    pub passed: bool,
    pub drills: Vec<DrillResult>,
}

impl DrillRun {
    pub fn passed_count(&self) -> usize {
        self.drills.iter().filter(|d| d.passed).count()
    }
}

/// One drill's outcome.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DrillResult {
    pub file: String,
    pub path: String,
    pub title: String,
    pub passed: bool,
    /// Wall-clock time of the whole drill, delays and retries included.
    pub duration_ms: f64,
    /// One per request in the file, in order; those after a failure are `skipped`.
    pub steps: Vec<DrillStep>,
}

impl DrillResult {
    /// The first thing that went wrong, as `line N: message`, for one-line reports.
    pub fn first_failure(&self) -> Option<(u32, String)> {
        let step = self
            .steps
            .iter()
            .find(|s| s.outcome == StepOutcome::Failed)?;
        if let Some(check) = step.asserts.iter().find(|a| !a.passed) {
            let message = check.message.clone().unwrap_or_default();
            return Some((check.line, format!("{}: {message}", check.text)));
        }
        let error = step
            .errors
            .first()
            .cloned()
            .unwrap_or_else(|| "the request failed".into());
        Some((step.line, format!("{} {}: {error}", step.method, step.url)))
    }
}

/// What became of one request of a drill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum StepOutcome {
    Passed,
    Failed,
    /// Not sent, because an earlier request of the drill failed.
    Skipped,
}

/// One request of a drill (a Hurl entry) and its asserts.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DrillStep {
    /// 1-based line of the request in the drill file.
    pub line: u32,
    pub method: String,
    /// The URL as sent; as written when no request went out (`{{baseUrl}}` filled in,
    /// other variables left as `{{name}}`).
    pub url: String,
    /// The response status; none when no answer came (or the step did not run).
    pub status: Option<u16>,
    pub outcome: StepOutcome,
    /// How many times the request was sent: more than one with Hurl's `retry` or `repeat`.
    pub attempts: u32,
    /// Time on the network, all attempts together.
    pub duration_ms: f64,
    /// Each assert of the last attempt, the status line first.
    pub asserts: Vec<AssertCheck>,
    /// Failures that are not asserts: no connection, a capture that found nothing, ...
    pub errors: Vec<String>,
}

impl DrillStep {
    /// A step that failed before any request went out, with why.
    fn not_run(line: u32, error: String) -> DrillStep {
        DrillStep {
            line,
            method: String::new(),
            url: String::new(),
            status: None,
            outcome: StepOutcome::Failed,
            attempts: 0,
            duration_ms: 0.0,
            asserts: Vec::new(),
            errors: vec![error],
        }
    }
}

/// One assert of a step.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct AssertCheck {
    /// 1-based line in the drill file.
    pub line: u32,
    /// The assert as written, e.g. `header "WWW-Authenticate" startsWith "Bearer"`.
    pub text: String,
    pub passed: bool,
    /// Why it failed, e.g. `expected status 401, got 200`.
    pub message: Option<String>,
}

/// Where drills run: a server's address and, when that server is a sandbox, the launch
/// token its `/_dojo/` tooling wants (sent with every request; other routes ignore it).
#[derive(Debug, Clone)]
pub struct DrillTarget {
    pub base_url: String,
    pub tooling_token: Option<String>,
}

impl DrillTarget {
    /// A learner's own server.
    pub fn server(base_url: impl Into<String>) -> DrillTarget {
        DrillTarget {
            base_url: base_url.into(),
            tooling_token: None,
        }
    }

    /// A running sandbox.
    pub fn sandbox(sandbox: &dojo_sandbox::Sandbox) -> DrillTarget {
        DrillTarget {
            base_url: format!("http://{}", sandbox.addr),
            tooling_token: Some(sandbox.state.config.tooling_token.clone()),
        }
    }
}

/// Runs `drills` one after another against `target` on tokio's blocking pool.
pub async fn run_drills(drills: Vec<Drill>, target: DrillTarget) -> Vec<DrillResult> {
    let fallback = drills.clone();
    let task = tokio::task::spawn_blocking(move || {
        drills
            .iter()
            .map(|drill| run_drill(drill, &target))
            .collect()
    });
    match task.await {
        Ok(results) => results,
        // A panic inside the engine fails every drill instead of the caller.
        Err(error) => fallback
            .iter()
            .map(|drill| DrillResult {
                file: drill.file.clone(),
                path: drill.path.clone(),
                title: drill.title.clone(),
                passed: false,
                duration_ms: 0.0,
                steps: vec![DrillStep::not_run(
                    1,
                    format!("the drill engine stopped: {error}"),
                )],
            })
            .collect(),
    }
}

/// Runs one drill against `target`. Blocking: call it off the async threads.
pub fn run_drill(drill: &Drill, target: &DrillTarget) -> DrillResult {
    let base_url = target.base_url.as_str();
    let mut result = DrillResult {
        file: drill.file.clone(),
        path: drill.path.clone(),
        title: drill.title.clone(),
        passed: false,
        duration_ms: 0.0,
        steps: Vec::new(),
    };
    // Drills are checked when the library loads, so this only fails for hand-made ones.
    let entries = match hurl_core::parser::parse_hurl_file(&drill.source) {
        Ok(file) => file.entries,
        Err(error) => {
            let line = u32::try_from(error.pos.line).unwrap_or(0);
            result.steps.push(DrillStep::not_run(
                line,
                describe_error(&error, &drill.source),
            ));
            return result;
        }
    };

    let mut variables = VariableSet::new();
    variables.insert(
        BASE_URL_VARIABLE.to_owned(),
        Value::String(base_url.trim_end_matches('/').to_owned()),
    );
    let mut headers = HeaderVec::new();
    if let Some(token) = &target.tooling_token {
        headers.push(Header::new(dojo_sandbox::TOOLING_TOKEN_HEADER, token));
    }
    let options = RunnerOptionsBuilder::new()
        .headers(headers)
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .user_agent(Some(USER_AGENT.to_owned()))
        .build();
    // Hurl's own terminal output stays in buffers: the report below replaces it.
    let mut stdout = Stdout::new(WriteMode::Buffered);
    let mut logger = Logger::new(
        &LoggerOptionsBuilder::new().build(),
        Stderr::new(WriteMode::Buffered),
        &[],
    );
    let input = Input::new(&drill.display_path());
    let run = hurl::runner::run_entries(
        &entries,
        &drill.source,
        Some(&input),
        &options,
        &variables,
        &mut stdout,
        None,
        &mut logger,
    );

    let lines: Vec<&str> = drill.source.lines().collect();
    let base_url = base_url.trim_end_matches('/');
    result.steps = entries
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            let attempts: Vec<&EntryResult> = run
                .entries
                .iter()
                .filter(|r| r.entry_index.get() == index + 1)
                .collect();
            step(entry, &attempts, base_url, &drill.source, &lines)
        })
        .collect();
    result.passed = run.success
        && result
            .steps
            .iter()
            .all(|s| s.outcome == StepOutcome::Passed);
    result.duration_ms = millis(run.duration);
    result
}

fn step(
    entry: &Entry,
    attempts: &[&EntryResult],
    base_url: &str,
    source: &str,
    lines: &[&str],
) -> DrillStep {
    let line = u32::try_from(entry.source_info().start.line).unwrap_or(0);
    // Without a call to show, the URL as written, with the one variable known up front.
    let written_url = entry
        .request
        .url
        .to_string()
        .replace(&format!("{{{{{BASE_URL_VARIABLE}}}}}"), base_url);
    let Some(last) = attempts.last() else {
        return DrillStep {
            line,
            method: entry.request.method.to_string(),
            url: written_url,
            status: None,
            outcome: StepOutcome::Skipped,
            attempts: 0,
            duration_ms: 0.0,
            asserts: Vec::new(),
            errors: Vec::new(),
        };
    };
    let call = last.calls.last();
    let asserts: Vec<AssertCheck> = last
        .asserts
        .iter()
        .filter_map(|a| assert_check(a, source, lines))
        .collect();
    // Assert failures are listed with their asserts; everything else is an error of the step.
    let assert_lines: Vec<u32> = asserts
        .iter()
        .filter(|a| !a.passed)
        .map(|a| a.line)
        .collect();
    let errors = last
        .errors
        .iter()
        .filter(|e| !(e.assert || is_assert_failure(e)) || !assert_lines.contains(&line_of(e)))
        .map(|e| format!("line {}: {}", line_of(e), describe_error(e, source)))
        .collect();
    DrillStep {
        line,
        method: call.map_or_else(
            || entry.request.method.to_string(),
            |c| c.request.method.clone(),
        ),
        url: call.map_or(written_url, |c| c.request.url.to_string()),
        status: call.and_then(|c| u16::try_from(c.response.status).ok()),
        outcome: if last.errors.is_empty() {
            StepOutcome::Passed
        } else {
            StepOutcome::Failed
        },
        attempts: u32::try_from(attempts.len()).unwrap_or(u32::MAX),
        duration_ms: millis(attempts.iter().map(|a| a.transfer_duration).sum()),
        asserts,
        errors,
    }
}

fn assert_check(result: &AssertResult, source: &str, lines: &[&str]) -> Option<AssertCheck> {
    let (line, message) = match result {
        // The `HTTP` keyword without a version always passes: it is the status line's.
        AssertResult::ImplicitVersion { expected, .. } if expected == "HTTP" => return None,
        AssertResult::ImplicitStatus {
            actual,
            expected,
            source_info,
        } => {
            let message =
                (actual != expected).then(|| format!("expected status {expected}, got {actual}"));
            (source_info.start.line, message)
        }
        other => {
            let error = other.to_runner_error();
            let line = match other {
                AssertResult::ImplicitVersion { source_info, .. }
                | AssertResult::ImplicitHeader { source_info, .. }
                | AssertResult::ImplicitBody { source_info, .. }
                | AssertResult::Explicit { source_info, .. } => source_info.start.line,
                AssertResult::ImplicitStatus { source_info, .. } => source_info.start.line,
            };
            (line, error.map(|e| assert_message(&e, source)))
        }
    };
    let text = lines
        .get(line.saturating_sub(1))
        .map_or("", |l| l.trim())
        .to_owned();
    Some(AssertCheck {
        line: u32::try_from(line).unwrap_or(0),
        text,
        passed: message.is_none(),
        message,
    })
}

/// Why an assert failed, in words a learner reads at a glance.
fn assert_message(error: &RunnerError, source: &str) -> String {
    match &error.kind {
        RunnerErrorKind::AssertFailure {
            actual,
            expected,
            type_mismatch,
        } => {
            let note = if *type_mismatch {
                " (the types differ)"
            } else {
                ""
            };
            format!("expected {expected}, got {actual}{note}")
        }
        RunnerErrorKind::AssertHeaderValueError { actual } => format!("got <{actual}>"),
        RunnerErrorKind::QueryHeaderNotFound => "the response has no such header".into(),
        RunnerErrorKind::NoQueryResult => "the response has nothing at that query".into(),
        _ => describe_error(error, source),
    }
}

fn is_assert_failure(error: &RunnerError) -> bool {
    matches!(
        error.kind,
        RunnerErrorKind::AssertFailure { .. }
            | RunnerErrorKind::AssertStatus { .. }
            | RunnerErrorKind::AssertHeaderValueError { .. }
            | RunnerErrorKind::AssertBodyValueError { .. }
            | RunnerErrorKind::AssertBodyDiffError { .. }
            | RunnerErrorKind::AssertVersion { .. }
    )
}

fn line_of(error: &RunnerError) -> u32 {
    u32::try_from(error.source_info.start.line).unwrap_or(0)
}

fn millis(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 10_000.0).round() / 10.0
}

/// Keeps the panics drills cause on purpose (the sandbox's panic route, answered as a 500)
/// off the terminal: the drill report already says what happened. Any other panic prints
/// as before. For shells that run drills against an in-process sandbox.
pub fn quiet_sandbox_handler_panics() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let in_sandbox_feature = info.location().is_some_and(|at| {
            let file = at.file().replace('\\', "/");
            file.contains("sandbox/src/features/")
        });
        if !in_sandbox_feature {
            previous(info);
        }
    }));
}

/// A run as terminal text: each drill and step with ✔ or ✘, failed asserts under their step
/// (every assert with `verbose`), and a total line.
pub fn to_terminal(run: &DrillRun, verbose: bool) -> String {
    let mut out = String::new();
    let count = run.drills.len();
    let _ = writeln!(
        out,
        "Topic {}: {} ({count} drill{} against {})\n",
        run.topic_id,
        run.topic_title,
        plural(count),
        run.base_url
    );
    for drill in &run.drills {
        let mark = if drill.passed { "✔" } else { "✘" };
        let _ = writeln!(out, "{mark} {}  {}", drill.file, drill.title);
        for step in &drill.steps {
            let (mark, status) = match (step.outcome, step.status) {
                (StepOutcome::Skipped, _) => ("·", "not run".to_owned()),
                (outcome, Some(status)) => (
                    if outcome == StepOutcome::Passed {
                        "✔"
                    } else {
                        "✘"
                    },
                    status.to_string(),
                ),
                (outcome, None) => (
                    if outcome == StepOutcome::Passed {
                        "✔"
                    } else {
                        "✘"
                    },
                    "no answer".to_owned(),
                ),
            };
            let tries = if step.attempts > 1 {
                format!(", {} attempts", step.attempts)
            } else {
                String::new()
            };
            let timing = if step.outcome == StepOutcome::Skipped {
                String::new()
            } else {
                format!(" ({} ms{tries})", step.duration_ms.round())
            };
            let _ = writeln!(
                out,
                "    {mark} {} {} → {status}{timing}",
                step.method, step.url
            );
            for check in step.asserts.iter().filter(|a| verbose || !a.passed) {
                let mark = if check.passed { "✔" } else { "✘" };
                let why = check
                    .message
                    .as_deref()
                    .map(|m| format!(" — {m}"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "        {mark} line {}: {}{why}",
                    check.line, check.text
                );
            }
            for error in &step.errors {
                let _ = writeln!(out, "        ✘ {error}");
            }
        }
    }
    let _ = writeln!(
        out,
        "\n{} of {count} drill{} passed",
        run.passed_count(),
        plural(count)
    );
    out
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}
