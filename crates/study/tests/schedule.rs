//! FSRS scheduling: intervals match the fsrs crate's own computation for default
//! parameters, grades order their intervals, and the review queue shows what is due.

mod common;

use common::{DAY, T0, study_with_embedded};
use dojo_study::{ReviewGrade, Study, schedule::DESIRED_RETENTION};

fn seconds(days: f32) -> i64 {
    (f64::from(days) * 86_400.0).round() as i64
}

fn started_card(study: &Study, topic: u32) -> i64 {
    study.touch_topic(topic).expect("start topic");
    study.topic_cards(topic).expect("cards")[0].id
}

#[test]
fn a_new_card_graded_good_is_due_after_the_fsrs_interval() {
    let (study, _) = study_with_embedded();
    let card = started_card(&study, 1);
    let expected = fsrs::FSRS::default()
        .next_states(None, DESIRED_RETENTION, 0)
        .expect("fsrs next states");

    let outcome = study.review(card, ReviewGrade::Good, T0).expect("review");
    let reviewed = outcome.card;
    assert_eq!(reviewed.due_at - T0, seconds(expected.good.interval));
    // Default FSRS-6 parameters give a first "good" interval of about 2.3 days.
    assert!(
        (2 * DAY..3 * DAY).contains(&(reviewed.due_at - T0)),
        "{}",
        reviewed.due_at - T0
    );
    assert_eq!(
        reviewed.stability,
        Some(f64::from(expected.good.memory.stability))
    );
    assert_eq!(
        reviewed.difficulty,
        Some(f64::from(expected.good.memory.difficulty))
    );
    assert_eq!(
        (reviewed.reps, reviewed.lapses, reviewed.is_new),
        (1, 0, false)
    );
    assert_eq!(reviewed.last_review_at, Some(T0));

    let log = study.card_reviews(card).expect("log");
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].id, log[0].grade, log[0].reviewed_at, log[0].due_at),
        (outcome.review_id, ReviewGrade::Good, T0, reviewed.due_at)
    );
}

#[test]
fn a_second_review_uses_the_stored_memory_and_the_days_elapsed() {
    let (study, _) = study_with_embedded();
    let card = started_card(&study, 1);
    let first = study
        .review(card, ReviewGrade::Good, T0)
        .expect("first")
        .card;
    let later = first.due_at + 2 * DAY + 3600;
    let elapsed_days = ((later - T0) / DAY) as u32;

    let state = fsrs::MemoryState {
        stability: first.stability.expect("stability") as f32,
        difficulty: first.difficulty.expect("difficulty") as f32,
    };
    let expected = fsrs::FSRS::default()
        .next_states(Some(state), DESIRED_RETENTION, elapsed_days)
        .expect("fsrs next states");

    let preview = study.preview_intervals(card, later).expect("preview");
    assert_eq!(
        preview.easy.interval_seconds,
        seconds(expected.easy.interval)
    );
    let second = study
        .review(card, ReviewGrade::Easy, later)
        .expect("second")
        .card;
    assert_eq!(second.due_at - later, seconds(expected.easy.interval));
    assert_eq!(
        second.due_at, preview.easy.due_at,
        "the button showed the truth"
    );
    assert_eq!(
        second.stability,
        Some(f64::from(expected.easy.memory.stability))
    );
    assert_eq!(second.reps, 2);
    assert_eq!(
        study.card_reviews(card).expect("log")[1].elapsed_days,
        elapsed_days
    );
}

#[test]
fn intervals_grow_from_again_to_easy_for_new_and_reviewed_cards() {
    let (study, _) = study_with_embedded();
    let card = started_card(&study, 1);
    let check = |at: i64| {
        let preview = study.preview_intervals(card, at).expect("preview");
        let steps = [preview.again, preview.hard, preview.good, preview.easy];
        assert_eq!(steps.map(|s| s.grade), ReviewGrade::ALL);
        for pair in steps.windows(2) {
            assert!(
                pair[0].interval_seconds < pair[1].interval_seconds,
                "{steps:?}"
            );
        }
        assert!(steps.iter().all(|s| s.due_at == at + s.interval_seconds));
    };
    check(T0);
    let due = study
        .review(card, ReviewGrade::Good, T0)
        .expect("review")
        .card
        .due_at;
    check(due);
}

#[test]
fn forgetting_a_learned_card_is_a_lapse_and_brings_it_back_soon() {
    let (study, _) = study_with_embedded();
    let card = started_card(&study, 1);
    let new_again = study
        .review(card, ReviewGrade::Again, T0)
        .expect("again on a new card")
        .card;
    assert_eq!(
        (new_again.reps, new_again.lapses),
        (1, 0),
        "a new card cannot lapse"
    );
    let learned = study
        .review(card, ReviewGrade::Good, T0 + DAY)
        .expect("good")
        .card;
    let forgot = study
        .review(card, ReviewGrade::Again, learned.due_at)
        .expect("again")
        .card;
    assert_eq!((forgot.reps, forgot.lapses), (3, 1));
    assert!(forgot.due_at - learned.due_at < learned.due_at - (T0 + DAY));
}

#[test]
fn the_queue_holds_cards_of_started_topics_most_overdue_first() {
    let (study, _) = study_with_embedded();
    assert!(
        study.due_cards(T0, 100).expect("due").is_empty(),
        "nothing due before a topic is started"
    );
    assert_eq!(study.due_counts(T0).expect("counts").total, 0);

    study.touch_topic(17).expect("start 17");
    study.touch_topic(2).expect("start 2");
    let n17 = study.topic_cards(17).expect("cards").len() as u32;
    let n2 = study.topic_cards(2).expect("cards").len() as u32;
    let counts = study.due_counts(T0).expect("counts");
    assert_eq!((counts.total, counts.new), (n17 + n2, n17 + n2));
    let per_topic: Vec<(u32, u32)> = counts
        .by_topic
        .iter()
        .map(|c| (c.topic_id, c.due))
        .collect();
    assert_eq!(per_topic, [(2, n2), (17, n17)]);

    let first_batch = study.due_cards(T0, 3).expect("due");
    assert_eq!(first_batch.len(), 3);
    let reviewed = first_batch[0].id;
    let due_at = study
        .review(reviewed, ReviewGrade::Good, T0)
        .expect("review")
        .card
        .due_at;
    assert!(
        study
            .due_cards(T0, 100)
            .expect("due")
            .iter()
            .all(|c| c.id != reviewed)
    );
    let counts = study.due_counts(T0).expect("counts");
    assert_eq!((counts.total, counts.new), (n17 + n2 - 1, n17 + n2 - 1));

    let later = study.due_cards(due_at, 1000).expect("due later");
    assert_eq!(later.iter().filter(|c| c.id == reviewed).count(), 1);
    assert!(
        later
            .windows(2)
            .all(|w| (w[0].due_at, w[0].id) <= (w[1].due_at, w[1].id))
    );
    assert_eq!(study.due_cards(T0, 0).expect("limit 0").len(), 0);
}

#[test]
fn reviewing_an_unknown_card_is_a_clear_error() {
    let (study, _) = study_with_embedded();
    let error = study
        .review(424_242, ReviewGrade::Good, T0)
        .expect_err("no such card");
    assert_eq!(error.to_string(), "no flashcard with id 424242");
    assert!(study.preview_intervals(424_242, T0).is_err());
}
