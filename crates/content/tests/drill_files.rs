//! Drill files (`content/drills/NN-slug/NN-short-name.hurl`): loaded per topic, and every
//! problem named by file and line.

mod common;

use common::{file_for, outline_library};
use dojo_content::{Error, Library};

const GOOD: &str = "# Health answers 200.\n\nGET {{baseUrl}}/healthz\nHTTP 200\n[Asserts]\njsonpath \"$.status\" == \"ok\"\n";

/// The folder of fixture topic `id`: its file name without `.md`.
fn folder(id: u32) -> String {
    file_for(id).trim_end_matches(".md").to_owned()
}

fn load(drills: &[(String, &str)]) -> Result<Library, Vec<String>> {
    let drills = drills
        .iter()
        .map(|(path, text)| (path.clone(), (*text).to_owned()))
        .collect();
    match Library::from_sources(outline_library(), drills) {
        Ok(library) => Ok(library),
        Err(Error::Invalid(found)) => Err(found.iter().map(ToString::to_string).collect()),
        Err(other) => panic!("expected Error::Invalid, got {other}"),
    }
}

fn problems(drills: &[(String, &str)]) -> Vec<String> {
    match load(drills) {
        Ok(_) => panic!("expected the drills to be rejected"),
        Err(found) => found,
    }
}

#[test]
fn drills_are_listed_per_topic_in_file_order_with_their_titles() {
    let second = "# Readiness answers 200.\nGET {{baseUrl}}/readyz\nHTTP 200\n";
    let library = load(&[
        (format!("{}/02-readyz.hurl", folder(29)), second),
        (format!("{}/01-healthz.hurl", folder(29)), GOOD),
    ])
    .expect("valid drills load");
    let drills = library.drills(29);
    let files: Vec<&str> = drills.iter().map(|d| d.file.as_str()).collect();
    assert_eq!(files, ["01-healthz.hurl", "02-readyz.hurl"]);
    assert_eq!(drills[0].topic, 29);
    assert_eq!(drills[0].title, "Health answers 200.");
    assert_eq!(drills[0].path, format!("{}/01-healthz.hurl", folder(29)));
    assert_eq!(drills[0].source, GOOD);
    assert_eq!(
        drills[0].display_path(),
        format!("content/drills/{}/01-healthz.hurl", folder(29))
    );
    assert!(library.drills(1).is_empty());
    assert_eq!(library.all_drills().count(), 2);
}

#[test]
fn a_drill_folder_that_matches_no_topic_is_an_error() {
    assert_eq!(
        problems(&[("99-no-such-topic/01-healthz.hurl".into(), GOOD)]),
        [
            "content/drills/99-no-such-topic/01-healthz.hurl: the drill folder \"99-no-such-topic\" matches no topic; \
          name it after a topic file (content/topics/99-no-such-topic.md does not exist)"
        ]
    );
}

#[test]
fn a_hurl_syntax_error_names_file_and_line() {
    let broken = "# Broken.\n\nGET {{baseUrl}}/healthz\nHTTP 200\n[Asserts]\njsonpath \"$.status\" equals \"ok\"\n";
    let path = format!("{}/01-broken.hurl", folder(29));
    let found = problems(&[(path.clone(), broken)]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with(&format!("content/drills/{path}:6: Hurl syntax: ")),
        "{found:?}"
    );
}

#[test]
fn title_line_file_name_and_base_url_are_required() {
    let untitled = "GET {{baseUrl}}/healthz\nHTTP 200\n";
    let hard_coded = "# Health on a fixed port.\nGET http://localhost:3000/healthz\nHTTP 200\n";
    let dir = folder(29);
    let found = problems(&[
        (format!("{dir}/01-untitled.hurl"), untitled),
        (format!("{dir}/02-hard-coded.hurl"), hard_coded),
        (format!("{dir}/Health Check.hurl"), GOOD),
    ]);
    assert_eq!(
        found,
        [
            format!(
                "content/drills/{dir}/01-untitled.hurl:1: the first line should be a comment giving the drill's title in one sentence: `# <title>`"
            ),
            format!(
                "content/drills/{dir}/02-hard-coded.hurl:2: the URL \"http://localhost:3000/healthz\" should start with {{{{baseUrl}}}}, so the drill runs against any server"
            ),
            format!(
                "content/drills/{dir}/Health Check.hurl: the drill file name \"Health Check.hurl\" should be NN-short-name.hurl: two digits, '-', then lowercase words joined by '-'"
            ),
        ]
    );
}

#[test]
fn two_drills_of_a_topic_may_not_share_a_number() {
    let dir = folder(29);
    let found = problems(&[
        (format!("{dir}/01-healthz.hurl"), GOOD),
        (format!("{dir}/01-again.hurl"), GOOD),
    ]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("also starts with 01"), "{found:?}");
}

#[test]
fn a_drill_of_a_topic_that_failed_to_parse_is_not_reported_as_orphaned() {
    let mut topics = outline_library();
    topics[28].1 = "no front matter here\n".into();
    let drills = vec![(format!("{}/01-healthz.hurl", folder(29)), GOOD.to_owned())];
    let Err(Error::Invalid(found)) = Library::from_sources(topics, drills) else {
        panic!("topic 29 is broken")
    };
    assert!(
        found.iter().all(|d| !d.file.starts_with("content/drills")),
        "{found:?}"
    );
}

#[test]
fn hurl_blocks_in_a_topic_are_syntax_checked() {
    let mut topics = outline_library();
    let text = topics[28].1.clone();
    topics[28].1 = format!(
        "{text}\n## Drills\n\n```hurl\nGET {{{{baseUrl}}}}/healthz\nHTTP two hundred\n```\n"
    );
    let line = topics[28]
        .1
        .lines()
        .position(|l| l == "HTTP two hundred")
        .expect("line")
        + 1;
    let Err(Error::Invalid(found)) = Library::from_files(topics) else {
        panic!("the hurl block is broken")
    };
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].line, line, "{found:?}");
    assert!(found[0].message.starts_with("hurl block: "), "{found:?}");
}

#[test]
fn the_embedded_drills_load() {
    let library = Library::embedded().expect("embedded content loads");
    let counts: Vec<(u32, usize)> = library
        .topics()
        .iter()
        .map(|t| (t.front.id, library.drills(t.front.id).len()))
        .filter(|(_, n)| *n > 0)
        .collect();
    assert_eq!(
        counts.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        // Every topic.
        (1..=33).collect::<Vec<u32>>()
    );
    assert!(counts.iter().all(|(_, n)| *n >= 3), "{counts:?}");
    for drill in library.all_drills() {
        assert!(
            drill.source.starts_with(&format!("# {}", drill.title)),
            "{}",
            drill.path
        );
    }
}
