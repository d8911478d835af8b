//! STAR stories are saved as drafts, come back with their check, and are listed per
//! topic and in all.

mod common;

use common::{T0, study_with_embedded};
use dojo_study::{Error, StoryDraft, StoryPart, check_story};

fn draft(topic_id: u32) -> StoryDraft {
    StoryDraft {
        topic_id,
        title: "Pagination that scaled".into(),
        situation: "Our admin list of orders timed out past page 500.".into(),
        task: "Make deep pages fast without breaking the UI.".into(),
        action: "Switched to keyset pagination on (created_at, id) with an index.".into(),
        result: "Page loads fell from 4 s to 80 ms at any depth.".into(),
    }
}

#[test]
fn a_good_story_passes_and_round_trips() {
    let (study, _) = study_with_embedded();
    assert!(check_story(&draft(10)).is_empty());
    let saved = study.save_story(&draft(10)).expect("save");
    assert!(saved.issues.is_empty());
    assert_eq!(
        (saved.topic_id, saved.created_at, saved.updated_at),
        (10, T0, T0)
    );
    assert_eq!(study.story(saved.id).expect("read"), saved);
    assert_eq!(
        saved.result,
        "Page loads fell from 4 s to 80 ms at any depth."
    );
}

#[test]
fn drafts_are_saved_with_the_issues_they_still_have() {
    let (study, _) = study_with_embedded();
    let thin = StoryDraft {
        topic_id: 3,
        title: "Roles".into(),
        situation: "Admins everywhere.".into(),
        result: "The team felt much safer about permissions afterwards.".into(),
        ..StoryDraft::default()
    };
    let saved = study.save_story(&thin).expect("drafts are allowed");
    let parts: Vec<StoryPart> = saved.issues.iter().map(|i| i.part).collect();
    assert_eq!(
        parts,
        [
            StoryPart::Situation,
            StoryPart::Task,
            StoryPart::Action,
            StoryPart::Result
        ]
    );
    assert!(saved.issues[3].message.contains("not measurable"));

    let fixed = StoryDraft {
        result: "Admin accounts went from 41 to 3.".into(),
        ..draft(3)
    };
    let updated = study.update_story(saved.id, &fixed).expect("update");
    assert!(updated.issues.is_empty());
    assert_eq!(updated.id, saved.id);
    let percent = StoryDraft {
        result: "Support tickets about access dropped by 60%.".into(),
        ..draft(3)
    };
    assert!(
        check_story(&percent).is_empty(),
        "a percentage is measurable"
    );
}

#[test]
fn stories_are_listed_per_topic_and_in_all_and_can_be_deleted() {
    let (study, _) = study_with_embedded();
    let a = study.save_story(&draft(10)).expect("a");
    let b = study
        .save_story(&StoryDraft {
            title: "Second".into(),
            ..draft(10)
        })
        .expect("b");
    let c = study.save_story(&draft(1)).expect("c");
    let ids = |list: Vec<dojo_study::StoryView>| list.iter().map(|s| s.id).collect::<Vec<_>>();
    assert_eq!(
        ids(study.topic_stories(10).expect("topic 10")),
        [a.id, b.id]
    );
    assert_eq!(ids(study.stories_all().expect("all")), [c.id, a.id, b.id]);

    study.delete_story(a.id).expect("delete");
    assert_eq!(ids(study.topic_stories(10).expect("topic 10")), [b.id]);
    assert!(matches!(
        study.delete_story(a.id),
        Err(Error::StoryNotFound(_))
    ));
    assert!(matches!(
        study.update_story(a.id, &draft(10)),
        Err(Error::StoryNotFound(_))
    ));
    assert!(matches!(
        study.save_story(&draft(77)),
        Err(Error::UnknownTopic(77))
    ));
}
