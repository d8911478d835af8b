//! Export and import of all study data: a round trip restores everything, and bad data is
//! refused without touching what is there.

mod common;

use common::{T0, study_with_embedded};
use dojo_study::{
    CodeFont, Error, FirstRun, InterviewSetup, ProfileChoices, ReviewGrade, RubricCriterion,
    StackFocus, StoryDraft, Study, StudyExport, TopicState,
};

/// A database with some of everything.
fn populated() -> (Study, dojo_content::Library) {
    let (study, library) = study_with_embedded();
    study.touch_topic(1).expect("touch");
    study
        .set_topic_state(2, TopicState::Confident)
        .expect("confident");
    study.record_drill_run(17, 3, 4).expect("drills");
    study
        .save_note(1, "# JWT\n\nPin the **algorithm**. ✓")
        .expect("note");
    study
        .save_note(17, "Token bucket, 10 burst.")
        .expect("note");
    let card = study.topic_cards(1).expect("cards")[0].id;
    study.review(card, ReviewGrade::Good, T0).expect("review");
    study
        .review(card, ReviewGrade::Again, T0 + 3 * common::DAY)
        .expect("review");
    let mine = study.add_card(17, "Burst size?", "10").expect("card");
    study
        .review(mine.id, ReviewGrade::Easy, T0)
        .expect("review");
    study
        .save_story(&StoryDraft {
            topic_id: 1,
            title: "Forged tokens".into(),
            situation: "A pentest forged admin tokens with alg none.".into(),
            task: "Close the hole before the release that week.".into(),
            action: "Pinned HS256 and added a test per rejection reason.".into(),
            result: "Zero forged tokens accepted across 2,000 fuzzed requests.".into(),
        })
        .expect("story");
    let interview = study
        .create_interview(
            &library,
            &InterviewSetup {
                name: "Grace".into(),
                preset: None,
                topic_ids: vec![1, 3],
                seconds_per_question: 240,
            },
        )
        .expect("interview");
    study.start_interview(interview.id).expect("start");
    study
        .score_answer(interview.id, 0, RubricCriterion::Depth, 3)
        .expect("score");
    study
        .set_interview_note(interview.id, 1, "Skipped 403.")
        .expect("note");
    study
        .save_profile(&ProfileChoices {
            stack_first: StackFocus::Rust,
            interview_date: Some("2026-12-14".into()),
            daily_minutes: 45,
            code_font: Some(CodeFont::JetBrainsMono),
        })
        .expect("profile");
    (study, library)
}

#[test]
fn an_export_imported_into_a_fresh_database_restores_everything() {
    let (source, library) = populated();
    let export = source.export_all().expect("export");
    assert_eq!(export.format, "backend-dojo-study");
    assert_eq!(
        (
            export.notes.len(),
            export.stories.len(),
            export.interviews.len(),
            export.reviews.len()
        ),
        (2, 1, 1, 3)
    );

    let json = export.to_json().expect("json");
    let parsed = StudyExport::from_json(&json).expect("parse");
    assert_eq!(parsed, export);

    let target = Study::open_in_memory().expect("db").with_clock(|| T0);
    target.sync_library(&library).expect("sync");
    let summary = target.import_all(&parsed).expect("import");
    assert_eq!(
        (summary.notes, summary.cards as usize, summary.reviews),
        (2, export.cards.len(), 3)
    );

    let again = target.export_all().expect("export again");
    assert_eq!(
        StudyExport {
            exported_at: export.exported_at,
            ..again
        },
        export
    );
    assert_eq!(
        target.progress_all().expect("progress"),
        source.progress_all().expect("progress")
    );
    assert_eq!(
        target.stories_all().expect("stories"),
        source.stories_all().expect("stories")
    );
    assert_eq!(
        target.list_interviews().expect("list"),
        source.list_interviews().expect("list")
    );
    let id = export.interviews[0].id;
    assert_eq!(
        target.mentor_view(id).expect("mentor"),
        source.mentor_view(id).expect("mentor")
    );
    let far = T0 + 30 * common::DAY;
    assert_eq!(
        target.due_cards(far, 500).expect("due"),
        source.due_cards(far, 500).expect("due")
    );
    assert_eq!(
        target.profile().expect("profile"),
        source.profile().expect("profile"),
        "the first run's answers and the code font come back"
    );
    assert_eq!(target.profile().expect("profile").first_run, FirstRun::Done);
    let hits = target.search("algorithm", 50).expect("search");
    assert!(
        hits.iter().any(|h| h.section == "note" && h.topic_id == 1),
        "imported notes are searchable"
    );
}

#[test]
fn an_import_replaces_what_was_there() {
    let (study, _) = populated();
    let export = study.export_all().expect("export");
    study
        .save_note(5, "written after the export")
        .expect("note");
    study.add_card(5, "new", "card").expect("card");
    study.import_all(&export).expect("import");
    assert_eq!(study.note(5).expect("note"), None);
    assert!(
        study
            .search("written", 10)
            .expect("search")
            .iter()
            .all(|h| h.section != "note")
    );
    assert_eq!(
        study.export_all().expect("export").cards.len(),
        export.cards.len()
    );
}

#[test]
fn invalid_data_is_refused_and_nothing_changes() {
    let (study, _) = populated();
    let good = study.export_all().expect("export");
    type Spoil = Box<dyn Fn(&mut StudyExport)>;
    let cases: Vec<(&str, Spoil)> = vec![
        ("format", Box::new(|e| e.format = "something-else".into())),
        ("schema version", Box::new(|e| e.schema_version = 99)),
        (
            "not in the export",
            Box::new(|e| e.reviews[0].card_id = 987_654),
        ),
        (
            "outside 1 to 4",
            Box::new(|e| e.interviews[0].questions[0].scores[0].score = 9),
        ),
        ("topic 40", Box::new(|e| e.notes[0].topic_id = 40)),
        (
            "appears twice",
            Box::new(|e| {
                let copy = e.stories[0].clone();
                e.stories.push(copy);
            }),
        ),
        ("source key", Box::new(|e| e.cards[0].source_key = None)),
        (
            "passed",
            Box::new(|e| {
                let row = e
                    .progress
                    .iter_mut()
                    .find(|p| p.topic_id == 17)
                    .expect("row");
                row.drills_passed = Some(9);
            }),
        ),
        (
            "current question",
            Box::new(|e| e.interviews[0].current_index = 7),
        ),
        (
            "profile: 2026-02-30 is not a day on the calendar",
            Box::new(|e| {
                if let Some(profile) = e.profile.as_mut() {
                    profile.interview_date = Some("2026-02-30".into());
                }
            }),
        ),
        (
            "profile: a daily budget of 0 minutes",
            Box::new(|e| {
                if let Some(profile) = e.profile.as_mut() {
                    profile.daily_minutes = 0;
                }
            }),
        ),
    ];
    for (expected, spoil) in cases {
        let mut bad = good.clone();
        spoil(&mut bad);
        let error = study.import_all(&bad).expect_err("refused");
        assert!(
            matches!(error, Error::Import(_) | Error::UnknownTopic(_)),
            "{error:?}"
        );
        assert!(
            error.to_string().contains(expected),
            "{error} should mention {expected:?}"
        );
    }
    let mut after = study.export_all().expect("export");
    after.exported_at = good.exported_at;
    assert_eq!(after, good, "a refused import changed nothing");

    for text in ["", "[]", "{\"format\": \"backend-dojo-study\"}", "not json"] {
        let error = StudyExport::from_json(text).expect_err("bad file");
        assert!(
            error
                .to_string()
                .starts_with("import refused: not a study export"),
            "{error}"
        );
    }
    let mut extra: serde_json::Value =
        serde_json::from_str(&good.to_json().expect("json")).expect("value");
    extra["surprise"] = serde_json::json!(1);
    assert!(
        StudyExport::from_json(&extra.to_string()).is_err(),
        "unknown fields are refused"
    );
}

#[test]
fn an_export_without_a_profile_offers_the_guided_start_again() {
    let (study, _) = populated();
    let mut export = study.export_all().expect("export");
    assert!(
        export.profile.is_some(),
        "the profile is part of the export"
    );
    export.profile = None;
    study.import_all(&export).expect("import");
    let profile = study.profile().expect("profile");
    assert_eq!(profile.first_run, FirstRun::Pending);
    assert_eq!(profile.stack_first, StackFocus::Express);
    assert_eq!(profile.interview_date, None);

    // A file written before exports carried the profile reads the same way.
    let mut value: serde_json::Value =
        serde_json::from_str(&export.to_json().expect("json")).expect("value");
    value.as_object_mut().expect("an object").remove("profile");
    let older = StudyExport::from_json(&value.to_string()).expect("an older file still reads");
    assert_eq!(older.profile, None);
}
