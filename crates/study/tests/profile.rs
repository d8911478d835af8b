//! The learner's profile from the first run and Settings, and today's plan sized to it:
//! choices survive a restart, bad input is refused by name, a database from before the
//! profile existed is upgraded in place, and the plan fits the daily budget and counts the
//! days to the interview.

mod common;

use common::{T0, embedded, memory_study, study_with_embedded};
use dojo_study::{
    CivilDate, CodeFont, Error, FirstRun, PlanItemKind, ProfileChoices, SCHEMA_VERSION, StackFocus,
    Study, TopicState,
};
use rusqlite::Connection;

fn choices(stack: StackFocus, date: Option<&str>, minutes: u32) -> ProfileChoices {
    ProfileChoices {
        stack_first: stack,
        interview_date: date.map(str::to_owned),
        daily_minutes: minutes,
        code_font: None,
    }
}

fn day(text: &str) -> CivilDate {
    CivilDate::parse(text).expect("a valid date")
}

#[test]
fn a_new_learner_has_a_pending_first_run_and_the_defaults() {
    let study = memory_study();
    let profile = study.profile().expect("profile");
    assert_eq!(profile.first_run, FirstRun::Pending);
    assert_eq!(profile.stack_first, StackFocus::Express);
    assert_eq!(profile.interview_date, None);
    assert_eq!(profile.daily_minutes, 30);
    assert_eq!(profile.code_font, CodeFont::System);
    assert_eq!(profile.updated_at, None);
}

#[test]
fn choices_from_the_first_run_survive_reopening_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("study.db");
    {
        let study = Study::open(&path).expect("open").with_clock(|| T0);
        let saved = study
            .save_profile(&choices(StackFocus::Rust, Some(" 2024-04-15 "), 60))
            .expect("save");
        assert_eq!(saved.first_run, FirstRun::Done);
        assert_eq!(saved.interview_date.as_deref(), Some("2024-04-15"));
        assert_eq!(saved.updated_at, Some(T0));
    }
    let study = Study::open(&path).expect("reopen");
    let profile = study.profile().expect("profile");
    assert_eq!(profile.first_run, FirstRun::Done);
    assert_eq!(profile.stack_first, StackFocus::Rust);
    assert_eq!(profile.interview_date.as_deref(), Some("2024-04-15"));
    assert_eq!(profile.daily_minutes, 60);
}

#[test]
fn settings_change_the_font_and_clear_the_date_while_keeping_the_rest() {
    let study = memory_study();
    study
        .save_profile(&ProfileChoices {
            code_font: Some(CodeFont::JetBrainsMono),
            ..choices(StackFocus::Rust, Some("2024-05-01"), 45)
        })
        .expect("first save");
    // The first run's form leaves the font out: the one chosen before stays.
    let kept = study
        .save_profile(&choices(StackFocus::Express, Some(""), 90))
        .expect("second save");
    assert_eq!(kept.code_font, CodeFont::JetBrainsMono);
    assert_eq!(kept.interview_date, None, "a blank date clears it");
    assert_eq!(
        (kept.stack_first, kept.daily_minutes),
        (StackFocus::Express, 90)
    );
    assert_eq!(study.profile().expect("profile"), kept);
}

#[test]
fn bad_choices_are_refused_by_name_and_change_nothing() {
    let study = memory_study();
    study
        .save_profile(&choices(StackFocus::Rust, Some("2024-06-01"), 45))
        .expect("good save");
    let before = study.profile().expect("profile");

    let cases = [
        (
            choices(StackFocus::Express, None, 5),
            "5 minutes is out of range",
        ),
        (
            choices(StackFocus::Express, None, 481),
            "481 minutes is out of range",
        ),
        (
            choices(StackFocus::Express, Some("2024-02-30"), 30),
            "not a day on the calendar",
        ),
        (
            choices(StackFocus::Express, Some("next tuesday"), 30),
            "YYYY-MM-DD",
        ),
    ];
    for (bad, expected) in cases {
        match study.save_profile(&bad) {
            Err(Error::Invalid(message)) => assert!(message.contains(expected), "{message}"),
            other => panic!("expected Invalid for {bad:?}, got {other:?}"),
        }
    }
    assert_eq!(study.profile().expect("profile"), before);
}

#[test]
fn choices_arriving_as_json_refuse_unknown_values_and_fields() {
    let parsed: ProfileChoices = serde_json::from_str(
        r#"{"stack_first":"rust","interview_date":null,"daily_minutes":45,"code_font":"fira-code"}"#,
    )
    .expect("a full body parses");
    assert_eq!(parsed.code_font, Some(CodeFont::FiraCode));
    let without_optional: ProfileChoices =
        serde_json::from_str(r#"{"stack_first":"express","daily_minutes":30}"#)
            .expect("date and font may be left out");
    assert_eq!(without_optional.interview_date, None);
    for body in [
        r#"{"stack_first":"go","daily_minutes":30}"#,
        r#"{"stack_first":"rust","daily_minutes":30,"theme":"dark"}"#,
        r#"{"stack_first":"rust","daily_minutes":-1}"#,
    ] {
        assert!(
            serde_json::from_str::<ProfileChoices>(body).is_err(),
            "{body} was accepted"
        );
    }
}

#[test]
fn skipping_keeps_the_defaults_and_is_remembered_until_asked_again() {
    let study = memory_study();
    let skipped = study.skip_first_run().expect("skip");
    assert_eq!(skipped.first_run, FirstRun::Skipped);
    assert_eq!(skipped.daily_minutes, 30);

    // Settings later saves choices: the first run stays skipped, not done.
    let saved = study
        .save_profile(&choices(StackFocus::Rust, None, 20))
        .expect("save");
    assert_eq!(saved.first_run, FirstRun::Skipped);

    let again = study.restart_first_run().expect("restart");
    assert_eq!(again.first_run, FirstRun::Pending);
    assert_eq!(
        (again.stack_first, again.daily_minutes),
        (StackFocus::Rust, 20),
        "asking again keeps the choices as the starting point"
    );
    assert_eq!(
        study
            .save_profile(&choices(StackFocus::Rust, None, 20))
            .expect("answer")
            .first_run,
        FirstRun::Done
    );
    assert_eq!(
        study.skip_first_run().expect("skip after done").first_run,
        FirstRun::Done,
        "skipping once answered changes nothing"
    );
}

#[test]
fn a_database_from_before_the_profile_is_upgraded_and_keeps_its_data() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("study.db");
    {
        let library = embedded();
        let study = Study::open(&path).expect("create").with_clock(|| T0);
        study.sync_library(&library).expect("sync");
        study
            .save_note(3, "Roles map to permissions.")
            .expect("note");
    }
    // Take the file back to schema version 1, as the first release left it.
    let conn = Connection::open(&path).expect("raw connection");
    conn.execute_batch("DROP TABLE profile; PRAGMA user_version = 1;")
        .expect("downgrade");
    drop(conn);

    let study = Study::open(&path).expect("upgrade");
    assert_eq!(study.schema_version().expect("version"), SCHEMA_VERSION);
    const {
        assert!(
            SCHEMA_VERSION >= 2,
            "the downgrade above needs a later schema"
        )
    };
    assert_eq!(
        study.profile().expect("profile").first_run,
        FirstRun::Pending
    );
    let note = study.note(3).expect("read").expect("the note survived");
    assert_eq!(note.markdown, "Roles map to permissions.");
    study
        .save_profile(&choices(StackFocus::Rust, None, 30))
        .expect("the new table takes writes");
}

#[test]
fn the_plan_never_runs_past_the_budget_and_grows_with_it() {
    let (study, _) = study_with_embedded();
    // Opening topics makes their cards due, so reviews compete for the time.
    for topic in 1..=4 {
        study.touch_topic(topic).expect("open");
    }
    study.record_drill_run(2, 3, 5).expect("drill run");
    let today = day("2024-03-01");
    let mut topics_by_budget = Vec::new();
    for minutes in [10, 15, 20, 30, 45, 60, 90, 120, 240, 480] {
        study
            .save_profile(&choices(StackFocus::Express, None, minutes))
            .expect("save");
        let plan = study.daily_plan(today, T0).expect("plan");
        let sum: u32 = plan.items.iter().map(|item| item.minutes).sum();
        assert_eq!(plan.budget_minutes, minutes);
        assert_eq!(plan.planned_minutes, sum);
        assert!(sum <= minutes, "{minutes} min budget planned {sum} min");
        assert!(!plan.items.is_empty(), "{minutes} min: something to do");
        let review = plan
            .items
            .iter()
            .find(|item| item.kind == PlanItemKind::Review)
            .expect("cards are due");
        assert!(
            review.minutes <= (minutes / 3).max(5),
            "{minutes} min budget gave reviews {} min",
            review.minutes
        );
        topics_by_budget.push(
            plan.items
                .iter()
                .filter(|item| item.kind == PlanItemKind::Topic)
                .count(),
        );
    }
    assert!(
        topics_by_budget.windows(2).all(|pair| pair[0] <= pair[1]),
        "more time never means fewer topics: {topics_by_budget:?}"
    );
    assert!(
        topics_by_budget[9] > topics_by_budget[3],
        "{topics_by_budget:?}"
    );
}

#[test]
fn the_plan_holds_reviews_a_drill_and_the_next_topics_in_order() {
    let (study, _) = study_with_embedded();
    study.touch_topic(2).expect("open 2");
    study.record_drill_run(2, 3, 5).expect("drill run");
    study
        .set_topic_state(1, TopicState::Confident)
        .expect("confident");
    study
        .save_profile(&choices(StackFocus::Rust, None, 60))
        .expect("save");
    let plan = study.daily_plan(day("2024-03-01"), T0).expect("plan");

    let kinds: Vec<PlanItemKind> = plan.items.iter().map(|item| item.kind).collect();
    assert_eq!(
        kinds[..3],
        [
            PlanItemKind::Review,
            PlanItemKind::Drill,
            PlanItemKind::Topic
        ],
        "{kinds:?}"
    );
    let drill = &plan.items[1];
    assert_eq!(drill.topic_id, Some(2));
    assert!(drill.detail.contains("3 of 5"), "{}", drill.detail);
    // Topic 1 is confident and 2 is the drill: the topics come next in order, from 3.
    let topics: Vec<Option<u32>> = plan.items[2..].iter().map(|item| item.topic_id).collect();
    let expected: Vec<Option<u32>> = (3..).take(topics.len()).map(Some).collect();
    assert_eq!(topics, expected);
    assert!(
        plan.items[2].detail.contains("Rust implementation"),
        "the learner reads Rust first: {}",
        plan.items[2].detail
    );
    assert_eq!(plan.stack_first, StackFocus::Rust);
    assert_eq!(plan.topics_left, 32);
    assert_eq!((plan.days_left, plan.pace.as_deref()), (None, None));
}

#[test]
fn the_plan_counts_the_days_to_the_interview_and_judges_the_pace() {
    let (study, _) = study_with_embedded();
    study
        .save_profile(&choices(StackFocus::Express, Some("2024-03-31"), 30))
        .expect("save");
    let plan = study.daily_plan(day("2024-03-01"), T0).expect("plan");
    assert_eq!(plan.days_left, Some(30));
    assert_eq!(plan.interview_date.as_deref(), Some("2024-03-31"));
    let pace = plan.pace.expect("a pace with a date");
    assert!(
        pace.contains("33 topics to go in 30 days needs 2 a day"),
        "{pace}"
    );
    assert!(pace.contains("fits 1"), "{pace}");

    study
        .save_profile(&choices(StackFocus::Express, Some("2024-03-31"), 60))
        .expect("more time");
    let plan = study.daily_plan(day("2024-03-01"), T0).expect("plan");
    let pace = plan.pace.expect("a pace");
    assert!(pace.contains("2 a day keeps you on track"), "{pace}");

    let on_the_day = study.daily_plan(day("2024-03-31"), T0).expect("plan");
    assert_eq!(on_the_day.days_left, Some(0));
    assert!(on_the_day.pace.expect("pace").contains("today"));
    let after = study.daily_plan(day("2024-04-02"), T0).expect("plan");
    assert_eq!(after.days_left, Some(-2));
    assert!(after.pace.expect("pace").contains("has passed"));
}
