//! Syntax-checks the Express templates with `node --check`, when node is installed.

use std::io::Write as _;
use std::path::Path;
use std::process::Command;

/// Whether `node` can be run.
pub(crate) fn node_available(node: &Path) -> bool {
    Command::new(node)
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success())
}

/// Runs `node --check` on `code`; on a syntax error returns node's message and the 1-based
/// line inside `code` it points at.
pub(crate) fn check(node: &Path, code: &str) -> Result<(), (usize, String)> {
    let mut file = tempfile_js().map_err(|e| (1, format!("cannot write a temporary file: {e}")))?;
    file.write_all(code.as_bytes())
        .map_err(|e| (1, format!("cannot write a temporary file: {e}")))?;
    let path = file.path().to_owned();
    let output = Command::new(node)
        .arg("--check")
        .arg(&path)
        .output()
        .map_err(|e| (1, format!("cannot run node: {e}")))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let path_text = path.to_string_lossy();
    // node prints `FILE:LINE` on the first line, then the source line, a caret, and the error.
    let line = stderr
        .lines()
        .find_map(|l| l.strip_prefix(path_text.as_ref()))
        .and_then(|rest| rest.trim_start_matches(':').parse().ok())
        .unwrap_or(1);
    // The message is the `SyntaxError: ...` line, not the echoed source line, which may
    // mention `Error` too.
    let message = stderr
        .lines()
        .map(str::trim)
        .find(|l| {
            l.split_once(':').is_some_and(|(name, _)| {
                name.ends_with("Error") && name.chars().all(|c| c.is_ascii_alphanumeric())
            })
        })
        .unwrap_or("node --check failed")
        .to_owned();
    Err((line, message))
}

fn tempfile_js() -> std::io::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new()
        .prefix("dojo-check-")
        .suffix(".js")
        .tempfile()
}
