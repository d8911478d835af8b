//! Search finds topic text and notes, ranks a title above running text, marks matches
//! without HTML, and survives whatever a learner types.

mod common;

use common::{complete, library_in, memory_study, outline, study_with_embedded};
use dojo_study::{SearchHit, Study};

fn fixture_study(dir: &std::path::Path) -> Study {
    let pitfalls = "- Forgetting that a wombat cache needs an expiry.\n- Caching errors.";
    let library = library_in(
        dir,
        &[
            (5, outline(5, "Wombat tokens")),
            (
                6,
                complete(6, "Token storage", common::FOLLOW_UPS, pitfalls),
            ),
        ],
    );
    let study = memory_study();
    study.index_topics(&library).expect("index");
    study
}

fn highlighted(hit: &SearchHit) -> Vec<String> {
    hit.snippet
        .iter()
        .filter(|p| p.highlighted)
        .map(|p| p.text.to_lowercase())
        .collect()
}

#[test]
fn a_word_in_a_title_ranks_above_the_same_word_in_a_pitfall() {
    let dir = tempfile::tempdir().expect("temp dir");
    let study = fixture_study(dir.path());
    let hits = study.search("wombat", 10).expect("search");
    let places: Vec<(u32, &str)> = hits
        .iter()
        .map(|h| (h.topic_id, h.section.as_str()))
        .collect();
    assert_eq!(places, [(5, "answer"), (6, "pitfalls")]);
    assert_eq!(hits[0].heading.as_deref(), Some("Wombat tokens"));
    assert!(hits[0].score > hits[1].score);
    assert_eq!(highlighted(&hits[1]), ["wombat"]);
    let text: String = hits[1].snippet.iter().map(|p| p.text.as_str()).collect();
    assert!(
        text.contains("Forgetting that a wombat cache needs an expiry"),
        "{text}"
    );
}

#[test]
fn follow_up_questions_are_hits_of_their_own_with_the_question_as_heading() {
    let dir = tempfile::tempdir().expect("temp dir");
    let study = fixture_study(dir.path());
    let hits = study.search("revoke", 10).expect("search");
    let hit = hits
        .iter()
        .find(|h| h.section == "follow-ups")
        .expect("a follow-up hit");
    assert_eq!(
        (hit.topic_id, hit.heading.as_deref()),
        (6, Some("How do you revoke one?"))
    );
}

#[test]
fn words_are_prefixes_and_all_must_match() {
    let dir = tempfile::tempdir().expect("temp dir");
    let study = fixture_study(dir.path());
    assert!(
        study
            .search("womb", 10)
            .expect("prefix")
            .iter()
            .any(|h| h.topic_id == 5)
    );
    let both = study.search("wombat expiry", 10).expect("two words");
    assert_eq!(both.iter().map(|h| h.topic_id).collect::<Vec<_>>(), [6]);
    assert!(
        study
            .search("wombat zebra", 10)
            .expect("no match")
            .is_empty()
    );
}

#[test]
fn notes_are_found_and_follow_their_edits() {
    let dir = tempfile::tempdir().expect("temp dir");
    let study = fixture_study(dir.path());
    study
        .save_note(12, "Remember the **platypus** trick for nested replies.")
        .expect("note");
    let hits = study.search("platypus", 10).expect("search");
    assert_eq!(hits.len(), 1);
    assert_eq!(
        (
            hits[0].topic_id,
            hits[0].section.as_str(),
            hits[0].heading.as_deref()
        ),
        (12, "note", None)
    );
    assert_eq!(highlighted(&hits[0]), ["platypus"]);
    assert!(
        hits[0].snippet.iter().all(|p| !p.text.contains("**")),
        "Markdown marks are not shown"
    );

    study
        .save_note(12, "Rewritten without the animal.")
        .expect("edit");
    assert!(study.search("platypus", 10).expect("search").is_empty());
    assert_eq!(study.search("animal", 10).expect("search").len(), 1);
}

#[test]
fn reindexing_is_idempotent_and_keeps_notes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let study = fixture_study(dir.path());
    study.save_note(3, "echidna").expect("note");
    let before = study.search("tokens", 50).expect("search");
    let library = library_in(dir.path(), &[(5, outline(5, "Wombat tokens"))]);
    let first = study.index_topics(&library).expect("reindex");
    let second = study.index_topics(&library).expect("reindex again");
    assert_eq!(first, second);
    let after = study.search("tokens", 50).expect("search");
    assert!(
        after.len() < before.len(),
        "topic 6's text left with its old content"
    );
    assert_eq!(study.search("echidna", 10).expect("note").len(), 1);
}

#[test]
fn hostile_queries_never_error_and_empty_ones_find_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let study = fixture_study(dir.path());
    study.save_note(1, "a note about AND and OR").expect("note");
    for query in [
        "\"",
        "\"\"",
        "AND",
        "OR",
        "NOT",
        "*",
        "NEAR(",
        "NEAR(a b",
        "a OR",
        "(",
        ")",
        "^",
        "-",
        "+",
        ":",
        "col:term",
        "{a b}",
        "token*",
        "\"unterminated",
        "'; DROP TABLE notes; --",
        "\u{2}x\u{3}",
        "🚦",
        "über",
        "",
        "   ",
    ] {
        let result = study.search(query, 20);
        assert!(result.is_ok(), "{query:?} gave {result:?}");
    }
    assert!(study.search("", 20).expect("empty").is_empty());
    assert!(study.search("  \t ", 20).expect("blank").is_empty());
    assert!(study.search("*^()", 20).expect("punctuation").is_empty());
    assert!(study.search("token", 0).expect("limit 0").is_empty());
    let and = study.search("AND", 20).expect("a word");
    assert!(
        and.iter().any(|h| h.section == "note"),
        "operators are searched as plain words"
    );
}

#[test]
fn the_embedded_topics_are_searchable_including_code() {
    let (study, _) = study_with_embedded();
    let hits = study.search("jwt", 5).expect("search");
    assert_eq!(hits.len(), 5, "the limit is respected");
    assert!(
        hits.iter()
            .any(|h| (h.topic_id, h.section.as_str()) == (1, "answer")),
        "{hits:?}"
    );
    assert!(
        hits.windows(2).all(|w| w[0].score >= w[1].score),
        "best first"
    );
    let code_hits = study.search("require express", 50).expect("code");
    assert!(
        code_hits.iter().any(|h| h.section == "express"),
        "Express code is indexed"
    );
}
