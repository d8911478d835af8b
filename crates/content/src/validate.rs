//! Checks a topic library against the content format (`content/README.md`). Every problem
//! names its file and line.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::model::{SectionKind, Topic};
use crate::regions::Region;
use crate::{Diagnostic, http_file, js_check};

/// Topic ids run from 1 to this.
pub const TOPIC_COUNT: u32 = 33;
/// What `diagnostics` report for problems that belong to no single file.
pub const LIBRARY_FILE: &str = "content/topics";

const ANSWER_WORDS: std::ops::RangeInclusive<usize> = 150..=350;
const MIN_FOLLOW_UPS: usize = 3;
const STAR_LABELS: [&str; 4] = ["**Situation.**", "**Task.**", "**Action.**", "**Result.**"];

/// Problems with one topic on its own.
pub fn topic(topic: &Topic, regions: &BTreeMap<String, Region>) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    let mut report =
        |line: usize, message: String| problems.push(Diagnostic::new(&topic.file, line, message));
    let front = &topic.front;

    if !(1..=TOPIC_COUNT).contains(&front.id) {
        report(2, format!("id {} is outside 1..={TOPIC_COUNT}", front.id));
    }
    if front.slug.is_empty()
        || !front
            .slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        report(
            2,
            format!(
                "slug {:?} must be lowercase letters, digits and '-'",
                front.slug
            ),
        );
    }
    let expected_file = format!("{:02}-{}.md", front.id, front.slug);
    if topic.file != expected_file {
        report(
            1,
            format!(
                "file name should be {expected_file} to match id {} and slug {:?}",
                front.id, front.slug
            ),
        );
    }
    if front.title.trim().is_empty() {
        report(2, "title is empty".into());
    }
    if let Some(tag) = front
        .tags
        .iter()
        .find(|t| t.is_empty() || t.chars().any(|c| c.is_uppercase() || c.is_whitespace()))
    {
        report(2, format!("tag {tag:?} must be one lowercase word"));
    }

    let mut previous: Option<SectionKind> = None;
    for section in &topic.sections {
        if let Some(before) = previous
            && section.kind <= before
        {
            let problem = if section.kind == before {
                "appears twice"
            } else {
                "is out of order"
            };
            report(
                section.line,
                format!(
                    "section {:?} {problem}; sections follow the order of content/README.md",
                    section.kind.heading()
                ),
            );
        }
        previous = Some(section.kind);
        if section.markdown.trim().is_empty() {
            report(
                section.line,
                format!("section {:?} is empty", section.kind.heading()),
            );
        }
    }
    for kind in SectionKind::required_for(front.status) {
        if topic.section(*kind).is_none() {
            report(
                1,
                format!(
                    "a {} topic needs a `## {}` section",
                    front.status.key(),
                    kind.heading()
                ),
            );
        }
    }

    for section in &topic.sections {
        let text = section.markdown.as_str();
        match section.kind {
            SectionKind::InterviewAnswer => {
                let words = text.split_whitespace().count();
                if !ANSWER_WORDS.contains(&words) {
                    report(
                        section.line,
                        format!(
                            "the interview answer has {words} words; it should have {} to {} (about 90 seconds spoken)",
                            ANSWER_WORDS.start(),
                            ANSWER_WORDS.end()
                        ),
                    );
                }
            }
            SectionKind::Star => {
                for label in STAR_LABELS {
                    if !text.contains(label) {
                        report(
                            section.line,
                            format!("the STAR story needs a paragraph starting with {label}"),
                        );
                    }
                }
                let result = text.split("**Result.**").nth(1).unwrap_or("");
                if !result.is_empty() && !result.chars().any(|c| c.is_ascii_digit()) {
                    report(
                        section.line,
                        "the STAR result should be measurable: give a number".into(),
                    );
                }
            }
            SectionKind::FollowUps => {
                let questions =
                    text.split("\n### ").count() - usize::from(!text.starts_with("### "));
                if questions < MIN_FOLLOW_UPS {
                    report(
                        section.line,
                        format!(
                            "{questions} follow-up question(s); write at least {MIN_FOLLOW_UPS}, each a `### ` heading with its answer below"
                        ),
                    );
                }
            }
            SectionKind::KeyPoints | SectionKind::Pitfalls
                if !text
                    .lines()
                    .any(|l| l.starts_with("- ") || l.starts_with("* ")) =>
            {
                report(
                    section.line,
                    format!(
                        "section {:?} should be a bullet list",
                        section.kind.heading()
                    ),
                );
            }
            SectionKind::Express if !section.code_blocks.iter().any(|b| b.lang == "js") => {
                report(
                    section.line,
                    "the Express template needs at least one ```js block".into(),
                );
            }
            _ => {}
        }
    }

    let mut used_regions = BTreeSet::new();
    for block in topic.sections.iter().flat_map(|s| &s.code_blocks) {
        match block.lang.as_str() {
            "http" => {
                if let Err(error) = http_file::parse(&block.body) {
                    report(
                        block.line + 1 + error.line,
                        format!("http block: {}", error.message),
                    );
                }
            }
            "hurl" => {
                if let Err(error) = hurl_core::parser::parse_hurl_file(&block.body) {
                    report(
                        block.line + error.pos.line,
                        format!(
                            "hurl block: {}",
                            crate::drill::describe_error(&error, &block.body)
                        ),
                    );
                }
            }
            "rust" => {
                let Some(name) = block.attr("region") else {
                    continue;
                };
                used_regions.insert(name.to_owned());
                if !block.body.trim().is_empty() {
                    report(
                        block.line,
                        format!(
                            "the region fence {name:?} must be empty: its code comes from the marked source"
                        ),
                    );
                }
                if !front.regions.iter().any(|r| r == name) {
                    report(
                        block.line,
                        format!("region {name:?} is not listed in the front matter's `regions`"),
                    );
                }
                if !regions.contains_key(name) {
                    report(
                        block.line,
                        format!(
                            "region {name:?} is not marked anywhere in {} (`// region: {name}`)",
                            crate::embedded::RUST_SOURCE_DIRS.join(" or ")
                        ),
                    );
                }
            }
            _ => {}
        }
    }
    for name in front.regions.iter().filter(|r| !used_regions.contains(*r)) {
        report(
            2,
            format!(
                "region {name:?} is listed in `regions` but no ```rust region={name} fence includes it"
            ),
        );
    }
    problems
}

/// Problems across the library: ids and slugs unique, every id from 1 to 33 present.
pub fn library(topics: &[Topic]) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    let mut ids: BTreeMap<u32, &str> = BTreeMap::new();
    let mut slugs: BTreeMap<&str, &str> = BTreeMap::new();
    for topic in topics {
        if let Some(other) = ids.insert(topic.front.id, &topic.file) {
            problems.push(Diagnostic::new(
                &topic.file,
                2,
                format!("id {} is also used by {other}", topic.front.id),
            ));
        }
        if let Some(other) = slugs.insert(&topic.front.slug, &topic.file) {
            problems.push(Diagnostic::new(
                &topic.file,
                3,
                format!("slug {:?} is also used by {other}", topic.front.slug),
            ));
        }
    }
    let missing: Vec<String> = (1..=TOPIC_COUNT)
        .filter(|id| !ids.contains_key(id))
        .map(|id| id.to_string())
        .collect();
    if !missing.is_empty() {
        problems.push(Diagnostic::new(
            LIBRARY_FILE,
            0,
            format!("no topic file for id(s) {}", missing.join(", ")),
        ));
    }
    problems
}

/// Runs `node --check` on every ```js block. Returns `None` when node cannot be run.
pub fn javascript(topics: &[Topic], node: &Path) -> Option<Vec<Diagnostic>> {
    if !js_check::node_available(node) {
        return None;
    }
    let mut problems = Vec::new();
    for topic in topics {
        for block in topic
            .sections
            .iter()
            .flat_map(|s| &s.code_blocks)
            .filter(|b| b.lang == "js")
        {
            if let Err((line, message)) = js_check::check(node, &block.body) {
                problems.push(Diagnostic::new(
                    &topic.file,
                    block.line + line,
                    format!("node --check: {message}"),
                ));
            }
        }
    }
    Some(problems)
}
