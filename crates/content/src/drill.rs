//! Drills: scenarios of HTTP requests with assertions, in the Hurl file format, one per file
//! under `content/drills/NN-slug/NN-short-name.hurl`. A learner runs them against the
//! sandbox (the app's engine) or against their own server with the `hurl` command; both
//! get the server's address in the `baseUrl` variable.

use std::collections::{BTreeMap, BTreeSet};

use hurl_core::error::DisplaySourceError;
use hurl_core::text::Format;

use crate::Diagnostic;

/// Where drill files live, from the repository root; diagnostics start with it.
pub const DRILLS_DIR: &str = "content/drills";
/// The variable every request URL starts with.
pub const BASE_URL_VARIABLE: &str = "baseUrl";

/// One drill file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drill {
    /// Id of the topic whose folder holds it.
    pub topic: u32,
    /// `01-login-then-me.hurl`.
    pub file: String,
    /// Path under `content/drills`: `01-jwt-protected-routes/01-login-then-me.hurl`.
    pub path: String,
    /// The sentence of the first line's comment.
    pub title: String,
    /// The Hurl text, as written.
    pub source: String,
}

impl Drill {
    /// Path from the repository root, as diagnostics name it.
    pub fn display_path(&self) -> String {
        format!("{DRILLS_DIR}/{}", self.path)
    }
}

/// Parses and checks `(path under content/drills, text)` pairs against the topics they
/// belong to. Returns the drills by topic id, each topic's in file-name order, or every
/// problem found.
///
/// `topic_files` are the topic file names (`NN-slug.md`), including any that failed to
/// parse, so a broken topic does not also make its drills look orphaned.
pub(crate) fn load(
    files: &[(String, String)],
    topic_files: &[&str],
) -> Result<BTreeMap<u32, Vec<Drill>>, Vec<Diagnostic>> {
    let folders: BTreeMap<String, u32> = topic_files
        .iter()
        .filter_map(|file| {
            let stem = file.strip_suffix(".md")?;
            let id = stem.split('-').next()?.parse().ok()?;
            Some((stem.to_owned(), id))
        })
        .collect();
    let mut problems = Vec::new();
    let mut drills: BTreeMap<u32, Vec<Drill>> = BTreeMap::new();
    let mut numbers: BTreeSet<(String, String)> = BTreeSet::new();
    for (path, source) in files {
        match parse(path, source, &folders) {
            Ok(drill) => {
                let (folder, number) =
                    (path.split('/').next().unwrap_or_default(), &drill.file[..2]);
                if !numbers.insert((folder.to_owned(), number.to_owned())) {
                    problems.push(Diagnostic::new(
                        drill.display_path(),
                        1,
                        format!("another drill in {folder} also starts with {number}; numbers order the drills, so each is used once"),
                    ));
                }
                drills.entry(drill.topic).or_default().push(drill);
            }
            Err(found) => problems.extend(found),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    for list in drills.values_mut() {
        list.sort_by(|a, b| a.file.cmp(&b.file));
    }
    Ok(drills)
}

/// One drill file on its own: name, title line, Hurl syntax, `{{baseUrl}}` in every URL.
fn parse(
    path: &str,
    source: &str,
    folders: &BTreeMap<String, u32>,
) -> Result<Drill, Vec<Diagnostic>> {
    let display = format!("{DRILLS_DIR}/{path}");
    let problem = |line: usize, message: String| Diagnostic::new(&display, line, message);
    let mut problems = Vec::new();

    let (folder, file) = match path.split('/').collect::<Vec<_>>().as_slice() {
        [folder, file] => ((*folder).to_owned(), (*file).to_owned()),
        _ => {
            return Err(vec![problem(
                0,
                "a drill lives in content/drills/NN-slug/NN-short-name.hurl, one folder per topic"
                    .into(),
            )]);
        }
    };
    let topic = folders.get(&folder).copied();
    if topic.is_none() {
        problems.push(problem(0, format!("the drill folder {folder:?} matches no topic; name it after a topic file (content/topics/{folder}.md does not exist)")));
    }
    if !is_drill_file_name(&file) {
        problems.push(problem(0, format!("the drill file name {file:?} should be NN-short-name.hurl: two digits, '-', then lowercase words joined by '-'")));
    }

    let title = source
        .lines()
        .next()
        .and_then(|line| line.strip_prefix('#'))
        .map(str::trim)
        .unwrap_or("");
    if title.is_empty() {
        problems.push(problem(1, "the first line should be a comment giving the drill's title in one sentence: `# <title>`".into()));
    }

    match hurl_core::parser::parse_hurl_file(source) {
        Err(error) => {
            problems.push(problem(
                error.pos.line,
                format!("Hurl syntax: {}", describe_error(&error, source)),
            ));
        }
        Ok(hurl) => {
            if hurl.entries.is_empty() {
                problems.push(problem(0, "the drill has no request".into()));
            }
            let prefix = format!("{{{{{BASE_URL_VARIABLE}}}}}");
            for entry in &hurl.entries {
                let url = entry.request.url.to_string();
                if !url.starts_with(&prefix) {
                    problems.push(problem(
                        entry.request.url.source_info.start.line,
                        format!("the URL {url:?} should start with {prefix}, so the drill runs against any server"),
                    ));
                }
            }
        }
    }

    match (problems.is_empty(), topic) {
        (true, Some(topic)) => Ok(Drill {
            topic,
            file,
            path: path.to_owned(),
            title: title.to_owned(),
            source: source.to_owned(),
        }),
        _ => Err(problems),
    }
}

fn is_drill_file_name(file: &str) -> bool {
    let Some(stem) = file.strip_suffix(".hurl") else {
        return false;
    };
    let bytes = stem.as_bytes();
    bytes.len() > 3
        && bytes[..2].iter().all(u8::is_ascii_digit)
        && bytes[2] == b'-'
        && !stem.ends_with('-')
        && !stem.contains("--")
        && bytes[3..]
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

/// A Hurl parse or run error as one line of plain text: what went wrong, without the
/// source excerpt and carets Hurl draws for a terminal.
pub fn describe_error(error: &dyn DisplaySourceError, source: &str) -> String {
    let lines: Vec<&str> = source.lines().collect();
    let detail = error.fixme(&lines).to_string(Format::Plain);
    let detail: Vec<String> = detail
        .lines()
        .map(|line| {
            line.trim()
                .trim_start_matches('^')
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|line| !line.is_empty())
        .collect();
    match detail.is_empty() {
        true => error.description(),
        false => format!("{}: {}", error.description(), detail.join("; ")),
    }
}
