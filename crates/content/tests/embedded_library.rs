//! The topics compiled into Backend Dojo: what every learner sees on first launch.

use dojo_content::{Error, Group, Library, SectionKind, Status};

fn embedded() -> Library {
    match Library::embedded() {
        Ok(library) => library,
        Err(error) => panic!("the embedded topics must load: {error}"),
    }
}

#[test]
fn all_33_topics_load_in_id_order() {
    let library = embedded();
    let ids: Vec<u32> = library.topics().iter().map(|t| t.front.id).collect();
    assert_eq!(ids, (1..=33).collect::<Vec<u32>>());
}

#[test]
fn every_topic_is_complete_with_all_six_study_sections() {
    let library = embedded();
    for topic in library.topics() {
        assert_eq!(
            topic.front.status,
            Status::Complete,
            "{} is still an outline",
            topic.file
        );
        for kind in SectionKind::required_for(Status::Complete) {
            assert!(
                topic.section(*kind).is_some(),
                "{} lacks {:?}",
                topic.file,
                kind.heading()
            );
        }
    }
}

#[test]
fn every_file_name_matches_its_id_and_slug() {
    for topic in embedded().topics() {
        assert_eq!(
            topic.file,
            format!("{:02}-{}.md", topic.front.id, topic.front.slug)
        );
    }
}

#[test]
fn topics_sit_in_the_groups_of_the_catalogue() {
    let library = embedded();
    let expected = [
        (Group::Auth, 1..=7),
        (Group::Data, 8..=14),
        (Group::Middleware, 15..=20),
        (Group::Realtime, 21..=26),
        (Group::TestingOps, 27..=30),
        (Group::Addons, 31..=33),
    ];
    for (group, ids) in expected {
        let found: Vec<u32> = library
            .topics()
            .iter()
            .filter(|t| t.front.group == group)
            .map(|t| t.front.id)
            .collect();
        assert_eq!(found, ids.collect::<Vec<u32>>(), "group {}", group.key());
    }
}

#[test]
fn topics_are_found_by_id_padded_id_or_slug() {
    let library = embedded();
    for key in ["17", "017", " 17 ", "rate-limiting"] {
        let topic = library.get(key).unwrap_or_else(|e| panic!("{key:?}: {e}"));
        assert_eq!(
            (topic.front.id, topic.front.slug.as_str()),
            (17, "rate-limiting"),
            "{key:?}"
        );
    }
    assert_eq!(
        library.get("1").map(|t| t.front.title.as_str()).ok(),
        Some("JWT-protected routes")
    );
}

#[test]
fn an_unknown_topic_is_an_error_naming_the_key() {
    let library = embedded();
    for key in ["99", "0", "rate-limit", ""] {
        match library.get(key) {
            Err(Error::UnknownTopic(found)) => assert_eq!(found, key.trim()),
            Err(other) => panic!("{key:?}: unexpected error {other}"),
            Ok(topic) => panic!("{key:?} found {}", topic.file),
        }
    }
    let message = library
        .get("99")
        .map(|_| ())
        .expect_err("no topic 99")
        .to_string();
    assert_eq!(message, "no topic with id or slug \"99\"");
}
