//! A mentor's mock interview from setup to summary: the candidate only ever sees the
//! question, scores and notes are kept per question, and weak topics land in the review
//! queue when it ends.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use common::{T0, embedded, study_with_embedded};
use dojo_study::{
    Error, InterviewPreset, InterviewSetup, InterviewStatus, RubricCriterion, Study, TopicState,
    interview_presets, rubric,
};

fn setup(topic_ids: Vec<u32>) -> InterviewSetup {
    InterviewSetup {
        name: "Ada, backend loop".into(),
        preset: None,
        topic_ids,
        seconds_per_question: 300,
    }
}

/// A study database whose clock the test moves by hand.
fn study_with_clock() -> (Study, Arc<AtomicI64>, dojo_content::Library) {
    let clock = Arc::new(AtomicI64::new(T0));
    let reading = Arc::clone(&clock);
    let study = Study::open_in_memory()
        .expect("database")
        .with_clock(move || reading.load(Ordering::SeqCst));
    let library = embedded();
    study.sync_library(&library).expect("sync");
    (study, clock, library)
}

#[test]
fn the_rubric_and_presets_are_fixed_and_complete() {
    let rubric = rubric();
    assert_eq!(
        rubric.iter().map(|c| c.criterion).collect::<Vec<_>>(),
        RubricCriterion::ALL
    );
    for criterion in &rubric {
        assert_eq!(
            criterion.levels.iter().map(|l| l.score).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
        assert!(
            criterion
                .levels
                .iter()
                .all(|l| l.description.split_whitespace().count() >= 5)
        );
    }
    let presets = interview_presets();
    let ids = |p: InterviewPreset| {
        presets
            .iter()
            .find(|v| v.preset == p)
            .expect("preset")
            .topic_ids
            .clone()
    };
    assert_eq!(ids(InterviewPreset::Auth), (1..=7).collect::<Vec<u32>>());
    assert_eq!(ids(InterviewPreset::Data), (8..=14).collect::<Vec<u32>>());
    assert_eq!(ids(InterviewPreset::Security), [1, 3, 15, 17, 18]);
    let library = embedded();
    let groups: std::collections::BTreeSet<_> = ids(InterviewPreset::FullLoop)
        .iter()
        .map(|id| library.get(&id.to_string()).expect("topic").front.group)
        .collect();
    assert_eq!(groups.len(), 6, "the full loop covers every group");
}

#[test]
fn a_three_question_interview_runs_from_start_to_summary() {
    let (study, clock, library) = study_with_clock();
    let created = study
        .create_interview(&library, &setup(vec![17, 1, 10]))
        .expect("create");
    assert_eq!(
        (created.status, created.total, created.current_index),
        (InterviewStatus::NotStarted, 3, 0)
    );
    let model_answer = created.questions[0].model_answer.clone();
    assert!(
        model_answer.len() > 200,
        "the model answer is the topic's interview answer"
    );
    assert!(!created.questions[0].follow_ups.is_empty());
    assert_eq!(
        created.questions[1].topic_title,
        library.get("1").expect("topic").front.title
    );

    let waiting = study.candidate_view(created.id).expect("candidate");
    assert_eq!(
        (waiting.status, waiting.question.as_deref(), waiting.total),
        (InterviewStatus::NotStarted, None, 3)
    );

    study.start_interview(created.id).expect("start");
    clock.store(T0 + 100, Ordering::SeqCst);
    let candidate = study.candidate_view(created.id).expect("candidate");
    assert_eq!(
        candidate.question.as_deref(),
        Some(created.questions[0].question.as_str())
    );
    assert!(
        candidate
            .question
            .as_deref()
            .is_some_and(|q| q.contains("rate limiting"))
    );
    assert_eq!(
        (
            candidate.index,
            candidate.timer.elapsed_seconds,
            candidate.timer.remaining_seconds
        ),
        (0, 100, 200)
    );
    let shown = serde_json::to_string(&candidate).expect("json");
    assert!(
        !shown.contains(&model_answer[..60]),
        "the candidate never sees the model answer"
    );
    assert!(!shown.contains(&created.questions[0].follow_ups[0].question));

    // Question 1 (rate limiting): strong.
    for criterion in RubricCriterion::ALL {
        study
            .score_answer(created.id, 0, criterion, 4)
            .expect("score");
    }
    study
        .score_answer(created.id, 0, RubricCriterion::Security, 3)
        .expect("rescore replaces");
    study
        .set_interview_note(created.id, 0, "Explained token buckets well.")
        .expect("note");
    study.pause_timer(created.id).expect("pause");
    clock.store(T0 + 1000, Ordering::SeqCst);
    let paused = study.mentor_view(created.id).expect("mentor");
    assert_eq!(
        (paused.timer.running, paused.timer.elapsed_seconds),
        (false, 100)
    );
    study.resume_timer(created.id).expect("resume");

    // Question 2 (JWT): weak on everything.
    let second = study.advance_interview(created.id).expect("advance");
    assert_eq!(
        (
            second.current_index,
            second.timer.elapsed_seconds,
            second.timer.running
        ),
        (1, 0, true)
    );
    for criterion in RubricCriterion::ALL {
        study
            .score_answer(
                created.id,
                1,
                criterion,
                if criterion == RubricCriterion::Clarity {
                    3
                } else {
                    1
                },
            )
            .expect("score");
    }

    // Question 3 (pagination): middling.
    study.advance_interview(created.id).expect("advance");
    assert!(
        matches!(study.advance_interview(created.id), Err(Error::Invalid(_))),
        "no fourth question"
    );
    for criterion in RubricCriterion::ALL {
        study
            .score_answer(created.id, 2, criterion, 2)
            .expect("score");
    }
    study
        .set_interview_note(created.id, 2, "Forgot Link headers.")
        .expect("note");

    let mentor = study.mentor_view(created.id).expect("mentor");
    assert_eq!(mentor.questions[0].note, "Explained token buckets well.");
    assert_eq!(mentor.questions[0].average, Some(3.8));
    assert_eq!(mentor.questions[0].scores.len(), 5);
    assert_eq!(mentor.rubric.len(), 5);

    clock.store(T0 + 2000, Ordering::SeqCst);
    let summary = study.finish_interview(created.id).expect("finish");
    assert_eq!(summary.status, InterviewStatus::Finished);
    let average = |c: RubricCriterion| {
        summary
            .criteria
            .iter()
            .find(|a| a.criterion == c)
            .and_then(|a| a.average)
    };
    assert_eq!(average(RubricCriterion::Clarity), Some(3.0));
    assert_eq!(average(RubricCriterion::Depth), Some(7.0 / 3.0));
    assert_eq!(summary.strengths, [RubricCriterion::Clarity]);
    assert_eq!(
        summary.gaps,
        [
            RubricCriterion::Depth,
            RubricCriterion::TradeOffs,
            RubricCriterion::Security,
            RubricCriterion::Structure
        ]
    );
    let review: Vec<(u32, f64)> = summary
        .topics_to_review
        .iter()
        .map(|t| (t.topic_id, t.average))
        .collect();
    assert_eq!(review, [(1, 1.4), (10, 2.0)]);
    assert_eq!(summary.overall_average, Some((19.0 + 7.0 + 10.0) / 15.0));

    // The weak topics' cards are now due, and their topics are being learned again.
    let due = study.due_counts(T0 + 2000).expect("due");
    let topics: Vec<u32> = due.by_topic.iter().map(|t| t.topic_id).collect();
    assert_eq!(topics, [1, 10]);
    assert_eq!(
        due.total as usize,
        study.topic_cards(1).expect("c").len() + study.topic_cards(10).expect("c").len()
    );
    assert_eq!(
        study.progress(10).expect("progress").state,
        TopicState::Learning
    );

    let done = study.candidate_view(created.id).expect("candidate");
    assert_eq!(
        (done.status, done.question),
        (InterviewStatus::Finished, None)
    );
    assert!(matches!(
        study.score_answer(created.id, 0, RubricCriterion::Depth, 1),
        Err(Error::Invalid(_))
    ));
    assert_eq!(
        study.finish_interview(created.id).expect("finish twice"),
        summary
    );
}

#[test]
fn past_interviews_are_listed_newest_first_with_their_averages() {
    let (study, clock, library) = study_with_clock();
    let first = study
        .create_interview(
            &library,
            &InterviewSetup {
                preset: Some(InterviewPreset::Security),
                topic_ids: vec![],
                ..setup(vec![])
            },
        )
        .expect("create");
    assert_eq!(
        first
            .questions
            .iter()
            .map(|q| q.topic_id)
            .collect::<Vec<_>>(),
        [1, 3, 15, 17, 18]
    );
    assert_eq!(first.preset, Some(InterviewPreset::Security));
    study.start_interview(first.id).expect("start");
    study
        .score_answer(first.id, 0, RubricCriterion::Depth, 2)
        .expect("score");
    study
        .score_answer(first.id, 4, RubricCriterion::Depth, 3)
        .expect("score");
    study.finish_interview(first.id).expect("finish");

    clock.store(T0 + 7 * common::DAY, Ordering::SeqCst);
    let second = study
        .create_interview(&library, &setup(vec![2]))
        .expect("create");
    let list = study.list_interviews().expect("list");
    let rows: Vec<(i64, InterviewStatus, u32, Option<f64>, i64)> = list
        .iter()
        .map(|i| {
            (
                i.id,
                i.status,
                i.question_count,
                i.overall_average,
                i.created_at,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                second.id,
                InterviewStatus::NotStarted,
                1,
                None,
                T0 + 7 * common::DAY
            ),
            (first.id, InterviewStatus::Finished, 5, Some(2.5), T0),
        ]
    );
    study.delete_interview(second.id).expect("delete");
    assert_eq!(study.list_interviews().expect("list").len(), 1);
    assert!(matches!(
        study.mentor_view(second.id),
        Err(Error::InterviewNotFound(_))
    ));
}

#[test]
fn bad_setups_and_bad_scores_are_refused_with_reasons() {
    let (study, library) = study_with_embedded();
    let refuse = |setup: InterviewSetup, expected: &str| {
        let error = study
            .create_interview(&library, &setup)
            .expect_err("refused")
            .to_string();
        assert!(
            error.contains(expected),
            "{error:?} should mention {expected:?}"
        );
    };
    refuse(setup(vec![]), "choose a preset or at least one topic");
    refuse(
        InterviewSetup {
            preset: Some(InterviewPreset::Auth),
            ..setup(vec![1])
        },
        "not both",
    );
    refuse(setup(vec![1, 2, 1]), "topic 1 is listed twice");
    refuse(setup(vec![40]), "unknown topic 40");
    refuse(
        InterviewSetup {
            seconds_per_question: 5,
            ..setup(vec![1])
        },
        "5 seconds per question",
    );
    refuse(
        InterviewSetup {
            name: "n".repeat(201),
            ..setup(vec![1])
        },
        "longer than 200",
    );
    assert!(
        study.list_interviews().expect("list").is_empty(),
        "nothing was created"
    );

    let blank_name = study
        .create_interview(
            &library,
            &InterviewSetup {
                name: "  ".into(),
                ..setup(vec![1])
            },
        )
        .expect("create");
    assert_eq!(blank_name.name, "Mock interview");
    let id = blank_name.id;
    assert!(
        study
            .score_answer(id, 0, RubricCriterion::Clarity, 5)
            .expect_err("5")
            .to_string()
            .contains("1 to 4")
    );
    assert!(
        study
            .score_answer(id, 0, RubricCriterion::Clarity, 0)
            .is_err()
    );
    assert!(
        study
            .score_answer(id, 1, RubricCriterion::Clarity, 2)
            .expect_err("no question 1")
            .to_string()
            .contains("has 1 question;")
    );
    assert!(matches!(
        study.advance_interview(id),
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        study.candidate_view(9999),
        Err(Error::InterviewNotFound(9999))
    ));
    assert!(
        study.mentor_view(id).expect("mentor").questions[0]
            .scores
            .is_empty()
    );
}

#[test]
fn the_mentor_can_go_back_to_an_earlier_question() {
    let (study, _clock, library) = study_with_clock();
    let view = study
        .create_interview(&library, &setup(vec![5, 6, 7]))
        .expect("create");
    assert!(
        matches!(study.go_to_question(view.id, 1), Err(Error::Invalid(_))),
        "not started yet"
    );
    study.start_interview(view.id).expect("start");
    study.go_to_question(view.id, 2).expect("jump ahead");
    let back = study.go_to_question(view.id, 0).expect("go back");
    assert_eq!(back.current_index, 0);
    assert_eq!(
        study
            .candidate_view(view.id)
            .expect("candidate")
            .question
            .as_deref(),
        Some(view.questions[0].question.as_str())
    );
    assert!(matches!(
        study.go_to_question(view.id, 3),
        Err(Error::Invalid(_))
    ));
}
