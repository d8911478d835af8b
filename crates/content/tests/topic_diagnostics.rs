//! What a content author sees when a topic file is wrong: one `file:line: message` per
//! problem, pointing at the line to fix.

mod common;

use common::{
    TopicFile, answer_words, diagnostics, diagnostics_for, file_for, line_of, outline_library,
};

const FILE: &str = "05-fixture-topic-5.md";

/// Diagnostics for a fixture topic 5 on its own.
fn problems(topic: &TopicFile) -> Vec<String> {
    let (name, text) = topic.file();
    diagnostics_for(&name, &text)
}

fn at(line: usize, message: &str) -> String {
    format!("{FILE}:{line}: {message}")
}

#[test]
fn a_file_without_the_opening_fence_is_rejected_at_line_1() {
    let text = TopicFile::outline(5).text();
    let without_fence = text
        .strip_prefix("+++\n")
        .expect("fixture starts with the fence");
    assert_eq!(
        diagnostics_for(FILE, without_fence),
        vec![at(
            1,
            "the file must start with a `+++` line opening the front matter"
        )]
    );
    // A blank line before the fence is not a fence either.
    assert_eq!(
        diagnostics_for(FILE, &format!("\n{text}")),
        vec![at(
            1,
            "the file must start with a `+++` line opening the front matter"
        )]
    );
}

#[test]
fn an_unclosed_front_matter_points_at_the_opening_fence() {
    let text = TopicFile::outline(5)
        .text()
        .replacen("+++\n\n## ", "\n## ", 1);
    assert_eq!(
        text.matches("+++").count(),
        1,
        "fixture keeps only the opening fence"
    );
    assert_eq!(
        diagnostics_for(FILE, &text),
        vec![at(
            1,
            "the front matter opened here is never closed with `+++`"
        )]
    );
}

#[test]
fn a_toml_syntax_error_points_at_the_front_matter_line() {
    let topic = TopicFile::outline(5).set("title", "\"Unterminated title");
    let line = line_of(&topic.text(), "title = ");
    assert_eq!(line, 4);
    assert_eq!(
        problems(&topic),
        vec![at(
            line,
            "front matter: invalid basic string, expected `\"`"
        )]
    );
}

#[test]
fn a_wrongly_typed_value_points_at_its_line() {
    let topic = TopicFile::outline(5).set("id", "\"five\"");
    assert_eq!(
        problems(&topic),
        vec![at(
            2,
            "front matter: invalid type: string \"five\", expected u32"
        )]
    );
}

#[test]
fn an_unknown_front_matter_field_is_named_with_the_allowed_ones() {
    let topic = TopicFile::outline(5).set("colour", "\"blue\"");
    let line = line_of(&topic.text(), "colour = ");
    assert_eq!(line, 11);
    assert_eq!(
        problems(&topic),
        vec![at(
            line,
            "front matter: unknown field `colour`, expected one of `id`, `slug`, `title`, `group`, \
             `tags`, `difficulty`, `status`, `sandbox`, `regions`"
        )]
    );
}

#[test]
fn an_unknown_group_lists_the_six_groups() {
    let topic = TopicFile::outline(5).set("group", "\"frontend\"");
    assert_eq!(
        problems(&topic),
        vec![at(
            5,
            "front matter: unknown variant `frontend`, expected one of `auth`, `data`, \
             `middleware`, `realtime`, `testing-ops`, `addons`"
        )]
    );
}

#[test]
fn an_unknown_section_heading_lists_the_known_ones() {
    let topic = TopicFile::outline(5).section("Summary", "In short: cache it.\n");
    let line = line_of(&topic.text(), "## Summary");
    assert_eq!(
        problems(&topic),
        vec![at(
            line,
            "unknown section \"Summary\"; expected one of: Interview answer, STAR story, Key points, \
             Follow-up questions, Pitfalls, Express template, Rust implementation, Try it, Drills, \
             Break it"
        )]
    );
}

#[test]
fn a_level_one_heading_is_rejected() {
    let topic = TopicFile::outline(5).replace(
        "Interview answer",
        &format!("# Caching\n\n{}", answer_words(200)),
    );
    let line = line_of(&topic.text(), "# Caching");
    assert_eq!(
        problems(&topic),
        vec![at(
            line,
            "level-one headings are not allowed; the title comes from the front matter"
        )]
    );
}

#[test]
fn sections_out_of_order_are_reported_at_each_heading_that_goes_back() {
    // Interview answer, Follow-up questions, Pitfalls, Express template, Key points, STAR story:
    // Key points goes back after Express template, STAR story goes back after Key points.
    let topic = TopicFile::complete(5)
        .without("STAR story")
        .without("Key points")
        .section("Key points", common::KEY_POINTS)
        .section("STAR story", common::STAR_STORY);
    let text = topic.text();
    assert_eq!(
        problems(&topic),
        vec![
            at(
                line_of(&text, "## Key points"),
                "section \"Key points\" is out of order; sections follow the order of content/README.md"
            ),
            at(
                line_of(&text, "## STAR story"),
                "section \"STAR story\" is out of order; sections follow the order of content/README.md"
            ),
        ]
    );
}

#[test]
fn two_sections_swapped_give_one_diagnostic() {
    let topic = TopicFile::outline(5)
        .section("Pitfalls", common::PITFALLS)
        .section("Key points", common::KEY_POINTS);
    assert_eq!(
        problems(&topic),
        vec![at(
            line_of(&topic.text(), "## Key points"),
            "section \"Key points\" is out of order; sections follow the order of content/README.md"
        )]
    );
}

#[test]
fn a_duplicate_section_is_reported_at_its_second_heading() {
    let topic = TopicFile::outline(5)
        .section("Key points", common::KEY_POINTS)
        .section("Key points", "- Another list.\n");
    let text = topic.text();
    let second = text
        .lines()
        .enumerate()
        .filter(|(_, l)| *l == "## Key points")
        .map(|(i, _)| i + 1)
        .last();
    assert_eq!(
        problems(&topic),
        vec![at(
            second.expect("two headings"),
            "section \"Key points\" appears twice; sections follow the order of content/README.md"
        )]
    );
}

#[test]
fn a_complete_topic_needs_every_required_section() {
    let topic = TopicFile::complete(5).without("Pitfalls");
    assert_eq!(
        problems(&topic),
        vec![at(1, "a complete topic needs a `## Pitfalls` section")]
    );

    let topic = TopicFile::complete(5)
        .without("STAR story")
        .without("Express template");
    assert_eq!(
        problems(&topic),
        vec![
            at(1, "a complete topic needs a `## STAR story` section"),
            at(1, "a complete topic needs a `## Express template` section"),
        ]
    );
}

#[test]
fn an_outline_topic_needs_an_interview_answer() {
    let topic = TopicFile::outline(5)
        .without("Interview answer")
        .section("Key points", common::KEY_POINTS);
    assert_eq!(
        problems(&topic),
        vec![at(
            1,
            "a outline topic needs a `## Interview answer` section"
        )]
    );
}

#[test]
fn a_star_story_without_a_result_is_reported() {
    let without_result = common::STAR_STORY
        .split("**Result.**")
        .next()
        .expect("text before the result");
    let topic = TopicFile::complete(5).replace("STAR story", without_result);
    assert_eq!(
        problems(&topic),
        vec![at(
            line_of(&topic.text(), "## STAR story"),
            "the STAR story needs a paragraph starting with **Result.**"
        )]
    );
}

#[test]
fn a_star_result_without_a_number_is_reported() {
    let vague = common::STAR_STORY.replace(
        "p99 latency fell from 900 ms to 120 ms.",
        "Latency fell a lot.",
    );
    let topic = TopicFile::complete(5).replace("STAR story", &vague);
    assert_eq!(
        problems(&topic),
        vec![at(
            line_of(&topic.text(), "## STAR story"),
            "the STAR result should be measurable: give a number"
        )]
    );
}

#[test]
fn an_interview_answer_outside_150_to_350_words_is_reported() {
    for words in [40, 149, 351] {
        let topic = TopicFile::outline(5).replace("Interview answer", &answer_words(words));
        assert_eq!(
            problems(&topic),
            vec![at(
                line_of(&topic.text(), "## Interview answer"),
                &format!(
                    "the interview answer has {words} words; it should have 150 to 350 (about 90 seconds spoken)"
                )
            )],
            "{words} words"
        );
    }
}

#[test]
fn too_few_follow_up_questions_are_reported() {
    let two = "### Why?\n\nBecause.\n\n### How?\n\nCarefully.\n";
    let topic = TopicFile::complete(5).replace("Follow-up questions", two);
    assert_eq!(
        problems(&topic),
        vec![at(
            line_of(&topic.text(), "## Follow-up questions"),
            "2 follow-up question(s); write at least 3, each a `### ` heading with its answer below"
        )]
    );
}

#[test]
fn a_file_name_must_match_id_and_slug() {
    let topic = TopicFile::outline(5).named("5-fixture-topic-5.md");
    assert_eq!(
        problems(&topic),
        vec![
            "5-fixture-topic-5.md:1: file name should be 05-fixture-topic-5.md to match id 5 and slug \
             \"fixture-topic-5\""
                .to_owned()
        ]
    );
    let topic = TopicFile::outline(5).named(&file_for(6));
    assert_eq!(
        problems(&topic),
        vec![
            "06-fixture-topic-6.md:1: file name should be 05-fixture-topic-5.md to match id 5 and slug \
             \"fixture-topic-5\""
                .to_owned()
        ]
    );
}

#[test]
fn an_http_block_with_a_bad_method_points_at_the_request_line() {
    let try_it = "Check the service, then call the profile.\n\n```http\n### Health\n\
                  GET {{baseUrl}}/healthz\n\n### Profile\nFETCH {{baseUrl}}/api/v1/me\n\
                  Accept: application/json\n```\n";
    let topic = TopicFile::outline(5).section("Try it", try_it);
    let line = line_of(&topic.text(), "FETCH ");
    assert_eq!(
        problems(&topic),
        vec![at(
            line,
            "http block: \"FETCH\" is not an HTTP method; expected one of GET, POST, PUT, PATCH, DELETE, \
             HEAD, OPTIONS"
        )]
    );
}

#[test]
fn an_http_block_with_an_undefined_variable_points_at_its_line() {
    let try_it = "```http\nGET {{baseUrl}}/api/v1/me\nAuthorization: Bearer {{token}}\n```\n";
    let topic = TopicFile::outline(5).section("Try it", try_it);
    assert_eq!(
        problems(&topic),
        vec![at(
            line_of(&topic.text(), "Authorization:"),
            "http block: unknown variable {{token}}: define it with `@token = ...` or name an earlier request"
        )]
    );
}

#[test]
fn a_region_fence_naming_a_missing_region_is_reported() {
    let rust = "The verifier from the sandbox.\n\n```rust region=no-such-region\n```\n";
    let listed = TopicFile::outline(5)
        .set("regions", "[\"no-such-region\"]")
        .section("Rust implementation", rust);
    let line = line_of(&listed.text(), "```rust region=");
    assert_eq!(
        problems(&listed),
        vec![at(
            line,
            "region \"no-such-region\" is not marked anywhere in crates/sandbox/src or crates/storage/src (`// region: no-such-region`)"
        )]
    );

    let unlisted = TopicFile::outline(5).section("Rust implementation", rust);
    assert_eq!(
        problems(&unlisted),
        vec![
            at(
                line,
                "region \"no-such-region\" is not listed in the front matter's `regions`"
            ),
            at(
                line,
                "region \"no-such-region\" is not marked anywhere in crates/sandbox/src or crates/storage/src (`// region: no-such-region`)"
            ),
        ]
    );
}

#[test]
fn a_listed_region_that_no_fence_includes_is_reported() {
    let topic = TopicFile::outline(5).set("regions", "[\"jwt-verify\"]");
    assert_eq!(
        problems(&topic),
        vec![at(
            2,
            "region \"jwt-verify\" is listed in `regions` but no ```rust region=jwt-verify fence includes it"
        )]
    );
}

#[test]
fn an_unclosed_code_fence_points_at_its_opening_line() {
    let topic =
        TopicFile::outline(5).section("Try it", "Run this.\n\n```http\nGET {{baseUrl}}/healthz\n");
    assert_eq!(
        problems(&topic),
        vec![at(
            line_of(&topic.text(), "```http"),
            "code block is never closed"
        )]
    );
}

#[test]
fn a_code_block_attribute_must_be_key_value() {
    let topic = TopicFile::outline(5).section("Rust implementation", "```rust jwt-verify\n```\n");
    assert_eq!(
        problems(&topic),
        vec![at(
            line_of(&topic.text(), "```rust"),
            "code block attribute \"jwt-verify\" must be written key=value"
        )]
    );
}

#[test]
fn duplicate_ids_across_two_files_name_both_files() {
    let mut files = outline_library();
    let twin = TopicFile::outline(5)
        .set("slug", "\"fixture-topic-5-again\"")
        .named("05-fixture-topic-5-again.md");
    files.push(twin.file());
    assert_eq!(
        diagnostics(files),
        vec![
            "05-fixture-topic-5-again.md:2: id 5 is also used by 05-fixture-topic-5.md".to_owned()
        ]
    );
}

#[test]
fn duplicate_slugs_across_two_files_name_both_files() {
    let mut files = outline_library();
    files.retain(|(name, _)| name != &file_for(6));
    let twin = TopicFile::outline(6)
        .set("slug", "\"fixture-topic-5\"")
        .named("06-fixture-topic-5.md");
    files.push(twin.file());
    assert_eq!(
        diagnostics(files),
        vec!["06-fixture-topic-5.md:3: slug \"fixture-topic-5\" is also used by 05-fixture-topic-5.md".to_owned()]
    );
}

#[test]
fn missing_ids_are_listed_for_the_topics_folder() {
    let mut files = outline_library();
    files.retain(|(name, _)| name != &file_for(12) && name != &file_for(30));
    assert_eq!(
        diagnostics(files),
        vec!["content/topics: no topic file for id(s) 12, 30".to_owned()]
    );
}

#[test]
fn every_problem_in_every_file_is_reported_sorted_by_file_and_line() {
    let short = TopicFile::outline(9).replace("Interview answer", &answer_words(10));
    let unknown = TopicFile::outline(4).section("Summary", "Short.\n");
    let no_fence = TopicFile::outline(7).text().replacen("+++\n", "", 1);
    let files = vec![short.file(), (file_for(7), no_fence), unknown.file()];
    assert_eq!(
        diagnostics(files),
        vec![
            format!(
                "04-fixture-topic-4.md:{}: unknown section \"Summary\"; expected one of: Interview answer, \
                 STAR story, Key points, Follow-up questions, Pitfalls, Express template, Rust implementation, \
                 Try it, Drills, Break it",
                line_of(&unknown.text(), "## Summary")
            ),
            "07-fixture-topic-7.md:1: the file must start with a `+++` line opening the front matter".to_owned(),
            format!(
                "09-fixture-topic-9.md:{}: the interview answer has 10 words; it should have 150 to 350 \
                 (about 90 seconds spoken)",
                line_of(&short.text(), "## Interview answer")
            ),
        ]
    );
}
