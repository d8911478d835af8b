//! Flashcards generated from topics: how many each kind of topic gives, what they say,
//! and how a re-sync after a content change keeps the review history. Learner cards can
//! be added, edited and deleted; generated ones cannot.

mod common;

use common::{T0, complete, library_in, memory_study, outline, study_with_embedded};
use dojo_study::{CardKind, Error, ReviewGrade};

fn kinds(cards: &[dojo_study::CardView]) -> Vec<CardKind> {
    cards.iter().map(|c| c.kind).collect()
}

#[test]
fn a_complete_topic_gives_every_kind_of_card_and_an_outline_topic_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let library = library_in(
        dir.path(),
        &[(
            17,
            complete(17, "Rate limiting", common::FOLLOW_UPS, common::PITFALLS),
        )],
    );
    let study = memory_study();
    let report = study.sync_cards(&library).expect("sync");
    // 32 outline topics with one card each, plus 1 + 3 + 1 + 3 for the complete one.
    assert_eq!(report.added, 32 + 8);

    let outline_cards = study.topic_cards(3).expect("outline cards");
    assert_eq!(kinds(&outline_cards), [CardKind::Question]);
    assert_eq!(
        outline_cards[0].prompt,
        "Walk me through fixture topic 3: what it is, why it matters, how you would build it, \
         and the trade-offs."
    );
    assert!(
        outline_cards[0]
            .answer
            .starts_with("tokens latency queues retries")
    );

    let cards = study.topic_cards(17).expect("complete cards");
    assert_eq!(
        kinds(&cards),
        [
            CardKind::Question,
            CardKind::FollowUp,
            CardKind::FollowUp,
            CardKind::FollowUp,
            CardKind::Pitfalls,
            CardKind::Code,
            CardKind::Code,
            CardKind::Code,
        ]
    );
    assert_eq!(
        cards[0].prompt,
        "Walk me through rate limiting: what it is, why it matters, how you would build it, and the trade-offs."
    );
    assert_eq!(
        (cards[3].prompt.as_str(), cards[3].answer.as_str()),
        (
            "How do you revoke one?",
            "Keep a deny list of `jti` values until they expire."
        )
    );
    assert_eq!(cards[4].prompt, "What goes wrong with rate limiting?");
    assert_eq!(cards[4].answer, common::PITFALLS);
    assert!(
        cards
            .iter()
            .take(5)
            .all(|c| c.prompt_code_lang.is_none() && c.answer_code_lang.is_none())
    );

    let code = &cards[5..];
    assert!(
        code.iter()
            .all(|c| c.prompt_code_lang.as_deref() == Some("js") && c.answer_code_lang.is_none())
    );
    assert!(
        code[0]
            .prompt
            .starts_with("// routes/items.js\n'use strict';")
    );
    assert_eq!(
        code[0].answer,
        "The app is two modules: a router and the middleware it uses."
    );
    assert_eq!(
        code[1].answer, code[0].answer,
        "back-to-back blocks share the prose before them"
    );
    assert_eq!(
        code[2].answer,
        "The app mounts the router behind the middleware."
    );
    assert!(
        cards
            .iter()
            .all(|c| c.is_new && !c.retired && c.due_at == T0)
    );
}

#[test]
fn the_embedded_topics_give_cards_for_every_topic_and_more_for_complete_ones() {
    let (study, library) = study_with_embedded();
    for topic in library.topics() {
        let cards = study.topic_cards(topic.front.id).expect("cards");
        assert_eq!(
            cards[0].kind,
            CardKind::Question,
            "topic {}",
            topic.front.id
        );
        match topic.front.status {
            dojo_content::Status::Outline if topic.sections.len() == 1 => {
                assert_eq!(cards.len(), 1)
            }
            dojo_content::Status::Complete => {
                assert!(
                    cards.len() >= 6,
                    "topic {} has {} cards",
                    topic.front.id,
                    cards.len()
                );
                for kind in [CardKind::FollowUp, CardKind::Pitfalls, CardKind::Code] {
                    assert!(
                        kinds(&cards).contains(&kind),
                        "topic {} lacks {kind:?}",
                        topic.front.id
                    );
                }
            }
            _ => {}
        }
    }
    let again = study.sync_library(&library).expect("second sync");
    assert_eq!(
        (again.cards.added, again.cards.updated, again.cards.retired),
        (0, 0, 0)
    );
}

#[test]
fn a_resync_after_a_content_change_keeps_history_and_retires_vanished_cards() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = library_in(
        dir.path(),
        &[(
            8,
            complete(8, "User CRUD", common::FOLLOW_UPS, common::PITFALLS),
        )],
    );
    let study = memory_study();
    study.sync_library(&first).expect("first sync");
    study.touch_topic(8).expect("start topic 8");

    let cards = study.topic_cards(8).expect("cards");
    let revoke = cards
        .iter()
        .find(|c| c.prompt == "How do you revoke one?")
        .expect("revoke card")
        .clone();
    let store = cards
        .iter()
        .find(|c| c.prompt == "Where do you store them?")
        .expect("store card")
        .clone();
    study
        .review(revoke.id, ReviewGrade::Good, T0)
        .expect("review");
    study
        .review(revoke.id, ReviewGrade::Hard, T0 + 3 * common::DAY)
        .expect("review again");
    study
        .review(store.id, ReviewGrade::Easy, T0)
        .expect("review");
    let reviewed = study.card(revoke.id).expect("reviewed card");

    // The writer rewords one answer, drops one question and adds another.
    let follow_ups = "### Why short-lived tokens?\n\nA stolen token expires soon.\n\n\
### How do you revoke one?\n\nBump the user's token version; old tokens then fail the check.\n\n\
### Where should the signing key live?\n\nIn a secret manager, never in the repository.";
    let second = library_in(
        dir.path(),
        &[(8, complete(8, "User CRUD", follow_ups, common::PITFALLS))],
    );
    let report = study.sync_library(&second).expect("second sync").cards;
    assert_eq!(
        (
            report.added,
            report.updated,
            report.retired,
            report.restored
        ),
        (1, 1, 1, 0)
    );

    let after = study.card(revoke.id).expect("same card id");
    assert_eq!(
        after.answer,
        "Bump the user's token version; old tokens then fail the check."
    );
    assert_eq!(
        (
            after.reps,
            after.lapses,
            after.due_at,
            after.stability,
            after.difficulty,
            after.last_review_at
        ),
        (
            reviewed.reps,
            reviewed.lapses,
            reviewed.due_at,
            reviewed.stability,
            reviewed.difficulty,
            reviewed.last_review_at
        )
    );
    let log = study.card_reviews(revoke.id).expect("log");
    assert_eq!(
        log.iter().map(|r| r.grade).collect::<Vec<_>>(),
        [ReviewGrade::Good, ReviewGrade::Hard]
    );

    let gone = study.card(store.id).expect("retired card kept");
    assert!(gone.retired);
    assert_eq!(study.card_reviews(store.id).expect("its log").len(), 1);
    let active = study.topic_cards(8).expect("active cards");
    assert!(active.iter().all(|c| c.id != store.id));
    assert!(
        active
            .iter()
            .any(|c| c.prompt == "Where should the signing key live?")
    );
    let far_future = T0 + 3650 * common::DAY;
    assert!(
        study
            .due_cards(far_future, 1000)
            .expect("due")
            .iter()
            .all(|c| c.id != store.id)
    );
    assert!(matches!(
        study.review(store.id, ReviewGrade::Good, T0),
        Err(Error::Invalid(_))
    ));

    // The question comes back: the same card, history and all.
    let third = library_in(
        dir.path(),
        &[(
            8,
            complete(8, "User CRUD", common::FOLLOW_UPS, common::PITFALLS),
        )],
    );
    let report = study.sync_cards(&third).expect("third sync");
    assert_eq!(report.restored, 1);
    let back = study.card(store.id).expect("restored");
    assert!(!back.retired);
    assert_eq!(back.reps, 1);
}

#[test]
fn an_outline_topic_that_becomes_complete_keeps_its_question_card() {
    let dir = tempfile::tempdir().expect("temp dir");
    let study = memory_study();
    study
        .sync_library(&library_in(
            dir.path(),
            &[(20, outline(20, "Async errors"))],
        ))
        .expect("sync");
    let question = study.topic_cards(20).expect("cards")[0].clone();
    study.touch_topic(20).expect("start");
    study
        .review(question.id, ReviewGrade::Good, T0)
        .expect("review");

    let report = study
        .sync_cards(&library_in(
            dir.path(),
            &[(
                20,
                complete(20, "Async errors", common::FOLLOW_UPS, common::PITFALLS),
            )],
        ))
        .expect("sync complete");
    assert_eq!((report.added, report.retired), (7, 0));
    let cards = study.topic_cards(20).expect("cards");
    assert_eq!(cards[0].id, question.id);
    assert_eq!(cards[0].reps, 1);
}

#[test]
fn learner_cards_can_be_added_edited_and_deleted_but_generated_ones_cannot() {
    let (study, _) = study_with_embedded();
    let card = study
        .add_card(
            10,
            "  Offset or cursor for a feed?  ",
            "Cursor: stable under inserts.",
        )
        .expect("add");
    assert_eq!(
        (card.kind, card.topic_id, card.prompt.as_str()),
        (CardKind::Learner, 10, "Offset or cursor for a feed?")
    );
    assert_eq!(card.due_at, T0);
    let due = study.due_cards(T0, 100).expect("due");
    assert_eq!(
        due.iter().map(|c| c.id).collect::<Vec<_>>(),
        [card.id],
        "learner cards are due at once"
    );

    study
        .review(card.id, ReviewGrade::Good, T0)
        .expect("review");
    let edited = study
        .edit_card(card.id, "Offset or keyset pagination?", "Keyset.")
        .expect("edit");
    assert_eq!(
        (edited.prompt.as_str(), edited.answer.as_str(), edited.reps),
        ("Offset or keyset pagination?", "Keyset.", 1)
    );
    assert!(matches!(
        study.edit_card(card.id, " ", "x"),
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        study.add_card(99, "q", "a"),
        Err(Error::UnknownTopic(99))
    ));

    let generated = study.topic_cards(10).expect("cards")[0].id;
    let refused = study
        .edit_card(generated, "mine now", "no")
        .expect_err("generated");
    assert!(
        refused.to_string().contains("only cards you wrote"),
        "{refused}"
    );
    assert!(matches!(
        study.delete_card(generated),
        Err(Error::Invalid(_))
    ));

    study.delete_card(card.id).expect("delete");
    assert!(matches!(study.card(card.id), Err(Error::CardNotFound(_))));
    assert!(matches!(
        study.card_reviews(card.id),
        Err(Error::CardNotFound(_))
    ));
    assert!(matches!(
        study.delete_card(card.id),
        Err(Error::CardNotFound(_))
    ));
}
