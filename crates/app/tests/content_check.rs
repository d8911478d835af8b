//! `check::check_content`, the engine of `dojo check`: what a content author learns about a
//! folder of topic files.

use std::fs;
use std::path::{Path, PathBuf};

use dojo_app::check::check_content;

const NODE: &str = "node";

fn topics_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content/topics")
}

/// A temp copy of the real topics folder.
fn copy_of_topics() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for entry in fs::read_dir(topics_dir()).expect("content/topics exists") {
        let path = entry.expect("dir entry").path();
        if path.extension().is_some_and(|ext| ext == "md") {
            fs::copy(&path, dir.path().join(path.file_name().expect("file name")))
                .expect("copy topic");
        }
    }
    dir
}

#[test]
fn the_built_in_topics_pass_with_their_javascript_checked() {
    let report = check_content(None, Path::new(NODE));
    assert_eq!(report.problems, Vec::<String>::new());
    assert_eq!(report.topics, 33);
    assert!(
        report.javascript_checked,
        "node is installed, so the js blocks are checked"
    );
    assert!(report.passed());
}

#[test]
fn a_folder_with_one_broken_file_names_that_file_and_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = "+++\nid = 3\nslug = \"rbac\"\ntitle = \"Role-based access control\"\ngroup = \"auth\"\n\
                difficulty = \"mid\"\nstatus = \"outline\"\nsandbox = \"rbac\"\n\n## Interview answer\n\nRoles.\n";
    fs::write(dir.path().join("03-rbac.md"), text).expect("write topic");
    let report = check_content(Some(dir.path()), Path::new(NODE));
    assert_eq!(
        report.problems,
        vec!["03-rbac.md:1: the front matter opened here is never closed with `+++`"]
    );
    assert_eq!(report.topics, 0);
    assert!(!report.passed());
}

#[test]
fn a_copy_of_the_topics_folder_passes_and_non_markdown_files_are_ignored() {
    let dir = copy_of_topics();
    fs::write(dir.path().join("notes.txt"), "not a topic").expect("write note");
    let report = check_content(Some(dir.path()), Path::new(NODE));
    assert_eq!(report.problems, Vec::<String>::new());
    assert_eq!(report.topics, 33);
}

#[test]
fn a_javascript_syntax_error_in_a_topic_is_reported_at_its_line() {
    let dir = copy_of_topics();
    let path = dir.path().join("17-rate-limiting.md");
    let text = fs::read_to_string(&path).expect("read topic 17");
    let good = "app.set('trust proxy', 1);";
    assert!(text.contains(good), "topic 17 sets trust proxy");
    fs::write(&path, text.replacen(good, "app.set('trust proxy', 1;", 1)).expect("write topic 17");
    let line = text.lines().position(|l| l.contains(good)).expect("line") + 1;

    let report = check_content(Some(dir.path()), Path::new(NODE));
    assert!(report.javascript_checked);
    assert_eq!(report.topics, 33);
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    let problem = &report.problems[0];
    assert!(
        problem.starts_with(&format!(
            "17-rate-limiting.md:{line}: node --check: SyntaxError"
        )),
        "{problem}"
    );
}

#[test]
fn a_missing_folder_is_reported_not_a_panic() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("no-topics-here");
    let report = check_content(Some(&missing), Path::new(NODE));
    assert_eq!(report.problems.len(), 1);
    assert!(
        report.problems[0].starts_with(&format!("cannot read {}", missing.display())),
        "{:?}",
        report.problems
    );
    assert!(!report.passed());
}

#[test]
fn without_node_the_topics_still_pass_but_javascript_is_unchecked() {
    let report = check_content(None, Path::new("/nonexistent/backend-dojo/node"));
    assert!(report.passed());
    assert_eq!(report.topics, 33);
    assert!(!report.javascript_checked);
}
