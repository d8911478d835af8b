//! Valid topic files load into a library a learner can browse.

mod common;

use common::{TopicFile, file_for, outline_library};
use dojo_content::{Library, SectionKind, Status};

fn load(files: Vec<(String, String)>) -> Library {
    match Library::from_files(files) {
        Ok(library) => library,
        Err(error) => panic!("fixtures should load: {error}"),
    }
}

#[test]
fn thirty_three_outline_topics_load_in_id_order_whatever_the_file_order() {
    let mut files = outline_library();
    files.reverse();
    files.swap(3, 20);
    let library = load(files);
    let ids: Vec<u32> = library.topics().iter().map(|t| t.front.id).collect();
    assert_eq!(ids, (1..=33).collect::<Vec<u32>>());
    assert!(
        library
            .topics()
            .iter()
            .all(|t| t.front.status == Status::Outline)
    );
}

#[test]
fn a_complete_topic_keeps_its_sections_and_code_block_lines() {
    let mut files = outline_library();
    let complete = TopicFile::complete(17);
    files.retain(|(name, _)| name != &file_for(17));
    files.push(complete.file());
    let library = load(files);
    let topic = library.get("17").expect("topic 17");
    assert_eq!(topic.front.status, Status::Complete);
    let kinds: Vec<SectionKind> = topic.sections.iter().map(|s| s.kind).collect();
    assert_eq!(kinds, SectionKind::required_for(Status::Complete).to_vec());

    let text = complete.text();
    let express = topic
        .section(SectionKind::Express)
        .expect("express section");
    assert_eq!(express.line, common::line_of(&text, "## Express template"));
    assert_eq!(express.code_blocks.len(), 1);
    assert_eq!(express.code_blocks[0].lang, "js");
    assert_eq!(express.code_blocks[0].line, common::line_of(&text, "```js"));
    assert!(
        express.code_blocks[0]
            .body
            .starts_with("'use strict';\nconst express")
    );
}

#[test]
fn a_topic_with_every_optional_section_loads() {
    let try_it = "Log in, then read the profile with the captured token.\n\n```http\n@password = hunter2\n\n\
                  ### Log in\n# @name login\nPOST {{baseUrl}}/api/v1/auth/login\nContent-Type: application/json\n\n\
                  {\"email\": \"ada@example.com\", \"password\": \"{{password}}\"}\n\n### Profile\n\
                  GET {{baseUrl}}/api/v1/me\nAuthorization: Bearer {{login.response.body.$.token}}\n```\n";
    let topic = TopicFile::complete(2)
        .section("Try it", try_it)
        .section(
            "Drills",
            "```hurl\nGET {{baseUrl}}/healthz\nHTTP 200\n```\n",
        )
        .section(
            "Break it",
            "Set `BREAK_JWT=1` and the profile answers without a token.\n",
        );
    let mut files = outline_library();
    files.retain(|(name, _)| name != &file_for(2));
    files.push(topic.file());
    let library = load(files);
    let loaded = library.get("fixture-topic-2").expect("by slug");
    assert_eq!(loaded.sections.len(), 9);
    assert_eq!(
        loaded.sections.last().map(|s| s.kind),
        Some(SectionKind::BreakIt)
    );
}

#[test]
fn windows_line_endings_load_too() {
    let mut files = outline_library();
    for (_, text) in &mut files {
        *text = text.replace('\n', "\r\n");
    }
    assert_eq!(load(files).topics().len(), 33);
}
