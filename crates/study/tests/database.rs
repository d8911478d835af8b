//! Opening the study database: a fresh file gets the whole schema, a reopened file keeps
//! its data, a file from a newer Backend Dojo is refused, and the handle works across
//! threads.

mod common;

use std::sync::Arc;

use common::{T0, embedded};
use dojo_study::{Error, SCHEMA_VERSION, Study};
use rusqlite::Connection;

fn table_names(path: &std::path::Path) -> Vec<String> {
    let conn = Connection::open(path).expect("raw connection");
    let mut statement = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'search_index_%' ORDER BY name")
        .expect("list tables");
    statement
        .query_map([], |row| row.get(0))
        .expect("query tables")
        .collect::<rusqlite::Result<Vec<String>>>()
        .expect("table names")
}

#[test]
fn a_fresh_file_is_created_with_its_folders_and_the_whole_schema() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("nested").join("deeper").join("study.db");
    let study = Study::open(&path).expect("open a new file");
    assert_eq!(study.schema_version().expect("version"), SCHEMA_VERSION);
    assert_eq!(study.path(), Some(path.as_path()));
    assert!(
        study
            .integrity_problems()
            .expect("integrity check")
            .is_empty()
    );
    drop(study);

    assert_eq!(
        table_names(&path),
        [
            "cards",
            "interview_questions",
            "interview_scores",
            "interviews",
            "notes",
            "profile",
            "progress",
            "reviews",
            "search_index",
            "stories",
            "topics"
        ]
    );
    let conn = Connection::open(&path).expect("raw connection");
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .expect("journal mode");
    assert_eq!(mode, "wal");
}

#[test]
fn reopening_keeps_the_data_and_runs_no_migration_twice() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("study.db");
    let library = embedded();
    {
        let study = Study::open(&path).expect("first open").with_clock(|| T0);
        study.sync_library(&library).expect("sync");
        study
            .save_note(3, "Roles map to **permissions**.")
            .expect("save note");
        study.touch_topic(3).expect("touch");
    }
    let study = Study::open(&path).expect("second open");
    assert_eq!(study.schema_version().expect("version"), SCHEMA_VERSION);
    let note = study
        .note(3)
        .expect("read note")
        .expect("the note survived");
    assert_eq!(note.markdown, "Roles map to **permissions**.");
    assert_eq!(note.updated_at, Some(T0));
    assert_eq!(
        study.progress(3).expect("progress").state,
        dojo_study::TopicState::Learning
    );
    assert_eq!(study.progress_all().expect("all").len(), 33);
}

#[test]
fn a_database_from_a_newer_version_is_refused_untouched() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("study.db");
    drop(Study::open(&path).expect("create"));
    let conn = Connection::open(&path).expect("raw connection");
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .expect("bump version");
    drop(conn);

    match Study::open(&path) {
        Err(Error::NewerSchema {
            found, supported, ..
        }) => {
            assert_eq!((found, supported), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
        }
        other => panic!("expected NewerSchema, got {other:?}"),
    }
    let error = Study::open(&path).expect_err("still refused").to_string();
    assert!(error.contains("update the app"), "{error}");
    let conn = Connection::open(&path).expect("raw connection");
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .expect("version");
    assert_eq!(
        version,
        SCHEMA_VERSION + 1,
        "the file was not migrated down or changed"
    );
}

#[test]
fn a_file_that_is_not_a_database_gives_an_error_not_a_panic() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("study.db");
    std::fs::write(&path, "this is a shopping list, not SQLite ".repeat(200)).expect("write junk");
    let error = Study::open(&path).expect_err("junk is refused");
    assert!(matches!(error, Error::Sqlite(_)), "{error:?}");
}

#[test]
fn topic_ids_are_checked_against_the_synced_catalogue() {
    let study = common::memory_study();
    assert!(matches!(
        study.save_note(1, "early"),
        Err(Error::UnknownTopic(1))
    ));
    study.sync_library(&embedded()).expect("sync");
    study.save_note(1, "now it works").expect("known topic");
    assert!(matches!(
        study.touch_topic(34),
        Err(Error::UnknownTopic(34))
    ));
    assert!(matches!(study.progress(0), Err(Error::UnknownTopic(0))));
}

#[test]
fn one_handle_serves_many_threads_and_every_write_lands() {
    let dir = tempfile::tempdir().expect("temp dir");
    let study = Arc::new(Study::open(dir.path().join("study.db")).expect("open"));
    study.sync_library(&embedded()).expect("sync");
    let workers: Vec<_> = (0..4u32)
        .map(|worker| {
            let study = Arc::clone(&study);
            std::thread::spawn(move || {
                for round in 0..10u32 {
                    let topic = worker * 8 + 1 + round % 8;
                    study
                        .save_note(topic, &format!("worker {worker} round {round}"))
                        .expect("save");
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("worker thread");
    }
    let notes = study.notes_all().expect("notes");
    assert_eq!(notes.len(), 32);
    for worker in 0..4u32 {
        for slot in 0..8u32 {
            let note = notes
                .iter()
                .find(|n| n.topic_id == worker * 8 + 1 + slot)
                .expect("note");
            // Rounds 0..10 cycle over 8 topics: slots 0 and 1 were written twice.
            let last_round = if slot + 8 < 10 { slot + 8 } else { slot };
            assert_eq!(note.markdown, format!("worker {worker} round {last_round}"));
        }
    }
}
