//! Progress per topic moves the way a learner expects, and the daily plan points at the
//! right next topic, drill and review count.

mod common;

use common::{T0, study_with_embedded};
use dojo_study::{Error, ReviewGrade, TopicState};

#[test]
fn every_topic_starts_not_started_with_its_title_group_and_drill_count() {
    let (study, library) = study_with_embedded();
    let all = study.progress_all().expect("progress");
    assert_eq!(all.len(), 33);
    for (view, topic) in all.iter().zip(library.topics()) {
        assert_eq!(view.topic_id, topic.front.id);
        assert_eq!(view.title, topic.front.title);
        assert_eq!(view.group, topic.front.group.key());
        assert_eq!(view.state, TopicState::NotStarted);
        assert_eq!(
            view.drill_count as usize,
            library.drills(topic.front.id).len()
        );
        assert_eq!(
            (
                view.drills_passed,
                view.last_opened_at,
                view.last_reviewed_at
            ),
            (None, None, None)
        );
    }
}

#[test]
fn opening_a_topic_starts_learning_and_never_lowers_confidence() {
    let (study, _) = study_with_embedded();
    let opened = study.touch_topic(2).expect("touch");
    assert_eq!(opened.state, TopicState::Learning);
    assert_eq!(opened.last_opened_at, Some(T0));

    assert_eq!(
        study
            .set_topic_state(2, TopicState::Confident)
            .expect("confident")
            .state,
        TopicState::Confident
    );
    assert_eq!(
        study.touch_topic(2).expect("touch again").state,
        TopicState::Confident
    );
    assert_eq!(
        study.progress(5).expect("untouched").state,
        TopicState::NotStarted
    );
}

#[test]
fn a_failed_review_moves_a_confident_topic_back_to_learning_and_a_pass_does_not() {
    let (study, _) = study_with_embedded();
    study
        .set_topic_state(1, TopicState::Confident)
        .expect("confident");
    let cards = study.topic_cards(1).expect("cards of topic 1");
    assert!(cards.len() >= 2, "topic 1 has several cards");

    study
        .review(cards[0].id, ReviewGrade::Good, T0)
        .expect("good review");
    let after_pass = study.progress(1).expect("progress");
    assert_eq!(after_pass.state, TopicState::Confident);
    assert_eq!(after_pass.last_reviewed_at, Some(T0));

    study
        .review(cards[1].id, ReviewGrade::Again, T0 + 60)
        .expect("failed review");
    let after_fail = study.progress(1).expect("progress");
    assert_eq!(after_fail.state, TopicState::Learning);
    assert_eq!(after_fail.last_reviewed_at, Some(T0 + 60));
}

#[test]
fn drill_runs_are_recorded_and_start_the_topic() {
    let (study, _) = study_with_embedded();
    let view = study.record_drill_run(17, 3, 5).expect("drill run");
    assert_eq!(view.state, TopicState::Learning);
    assert_eq!(
        (view.drills_passed, view.drills_total, view.drills_run_at),
        (Some(3), Some(5), Some(T0))
    );
    let again = study.record_drill_run(17, 5, 5).expect("second run");
    assert_eq!(
        (again.drills_passed, again.drills_total),
        (Some(5), Some(5))
    );

    let error = study
        .record_drill_run(17, 6, 5)
        .expect_err("more passed than run");
    assert!(matches!(error, Error::Invalid(_)));
    assert!(error.to_string().contains("6 of only 5"), "{error}");
    assert_eq!(
        study.progress(17).expect("unchanged").drills_passed,
        Some(5)
    );
}

#[test]
fn the_plan_suggests_the_least_advanced_topic_a_drill_and_counts_reviews() {
    let (study, library) = study_with_embedded();
    assert!(
        !library.drills(1).is_empty(),
        "topic 1 has drills in the library"
    );

    let fresh = study.next_steps(T0).expect("plan");
    assert_eq!(
        fresh.reviews_due, 0,
        "no card is due before any topic is started"
    );
    let next = fresh.next_topic.expect("a topic to study");
    assert_eq!(
        (next.topic_id, next.state, next.reason.as_str()),
        (1, TopicState::NotStarted, "Not started yet")
    );
    assert_eq!(fresh.drill_to_run, None);

    study.touch_topic(1).expect("open topic 1");
    let started = study.next_steps(T0).expect("plan");
    assert_eq!(
        started.reviews_due as usize,
        study.topic_cards(1).expect("cards").len()
    );
    assert_eq!(
        started.next_topic.expect("next").topic_id,
        2,
        "a topic not started beats one being learned"
    );
    let drill = started.drill_to_run.expect("a drill to run");
    assert_eq!(
        (drill.topic_id, drill.reason.as_str()),
        (1, "Its drills have not been run yet")
    );

    study.record_drill_run(1, 4, 4).expect("all passed");
    assert_eq!(study.next_steps(T0).expect("plan").drill_to_run, None);

    for id in 2..=33 {
        study.touch_topic(id).expect("open");
    }
    study.record_drill_run(1, 2, 4).expect("a regression");
    study.record_drill_run(17, 1, 4).expect("partly passed");
    let busy = study.next_steps(T0).expect("plan");
    let next = busy.next_topic.expect("next");
    assert_eq!(next.state, TopicState::Learning);
    assert!(
        next.topic_id != 1 && next.topic_id != 17,
        "topics with no drill passes come first"
    );
    assert_eq!(next.topic_id, 2);
    assert_eq!(busy.drill_to_run.expect("drill").topic_id, 1);

    for id in 1..=33 {
        study
            .set_topic_state(id, TopicState::Confident)
            .expect("confident");
    }
    let done = study.next_steps(T0).expect("plan");
    assert_eq!((done.next_topic, done.drill_to_run), (None, None));
}
