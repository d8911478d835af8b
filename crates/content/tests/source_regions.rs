//! The code a topic shows comes from the embedded sources of two crates: the sandbox's
//! handlers and the storage crate's queries. Each region keeps the workspace path and the
//! line numbers of the real file, which is how the UI lights up the lines a request ran.

use std::path::PathBuf;

use dojo_content::render::to_html;
use dojo_content::{Library, SectionKind};

fn library() -> Library {
    Library::embedded().expect("embedded topics load")
}

fn workspace_file(path: &str) -> String {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path);
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

#[test]
fn every_region_points_at_its_marker_in_the_file_on_disk() {
    let library = library();
    let regions = library.regions();
    let mut crates_seen = std::collections::BTreeSet::new();
    for (name, region) in regions {
        let source = workspace_file(&region.file);
        let lines: Vec<&str> = source.lines().collect();
        // `first_line` is 1-based and the marker sits on the line before it.
        assert_eq!(
            lines[region.first_line - 2].trim(),
            format!("// region: {name}"),
            "{name} in {}",
            region.file
        );
        let first_code_line = region.code.lines().next().unwrap_or("");
        assert_eq!(
            lines[region.first_line - 1].trim(),
            first_code_line.trim(),
            "{name}: its first line is the file's line {}",
            region.first_line
        );
        let crate_dir = region.file.split('/').take(2).collect::<Vec<_>>().join("/");
        crates_seen.insert(crate_dir);
    }
    assert_eq!(
        crates_seen.into_iter().collect::<Vec<_>>(),
        ["crates/sandbox", "crates/storage"]
    );
}

#[test]
fn storage_regions_carry_the_path_a_trace_names_their_file_by() {
    let library = library();
    let regions = library.regions();
    let keyset = &regions["sqlite-keyset"];
    assert_eq!(keyset.file, "crates/storage/src/sqlite/posts.rs");
    assert!(
        keyset.code.contains("(title, id) {comparison} (?, ?)"),
        "{}",
        keyset.code
    );
    let pipelines = &regions["mongo-pipelines"];
    assert_eq!(pipelines.file, "crates/storage/src/mongo/analytics.rs");
    assert!(pipelines.code.contains("\"$lookup\""), "{}", pipelines.code);
}

#[test]
fn the_data_topics_show_the_sqlite_and_the_mongodb_query_code() {
    let library = library();
    for id in ["8", "9", "10", "11", "12", "13", "26", "28"] {
        let topic = library.get(id).expect("a data topic");
        let from_storage = |prefix: &str| {
            topic.front.regions.iter().any(|name| {
                library.regions()[name]
                    .file
                    .starts_with(&format!("crates/storage/src/{prefix}/"))
            })
        };
        assert!(
            from_storage("sqlite"),
            "topic {id} shows no SQLite store code"
        );
        assert!(
            from_storage("mongo"),
            "topic {id} shows no MongoDB store code"
        );
    }
}

#[test]
fn the_report_topic_renders_the_pipelines_from_the_storage_file_at_their_lines() {
    let library = library();
    let topic = library.get("28").expect("topic 28");
    let section = topic.section(SectionKind::Rust).expect("a Rust section");
    let html = to_html(&section.markdown, library.regions());
    let pipelines = &library.regions()["mongo-pipelines"];
    let expected = format!(
        "data-region=\"mongo-pipelines\" data-file=\"crates/storage/src/mongo/analytics.rs\" \
         data-first-line=\"{}\"",
        pipelines.first_line
    );
    assert!(html.contains(&expected), "{html}");
    assert!(
        html.contains("data-file=\"crates/storage/src/sqlite/analytics.rs\""),
        "{html}"
    );
    assert!(!html.contains("missing-region"), "{html}");
}
