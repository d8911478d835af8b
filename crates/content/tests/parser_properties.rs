//! Property tests of the parsers that read what learners and authors write: topic files
//! (front matter and sections), `.http` request blocks, and Markdown rendering. Whatever the
//! input, they answer without panicking, and an error names a line that exists.

use std::collections::BTreeMap;

use dojo_content::http_file::{self, HttpRequest};
use dojo_content::parse::parse_topic;
use dojo_content::render::to_html;
use proptest::prelude::*;

/// A real topic file, the starting point for mutations.
const TOPIC: &str = include_str!("../../../content/topics/17-rate-limiting.md");

/// Pieces that matter to the parsers, mixed with arbitrary text.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("+++".to_owned()),
        Just("## Interview answer".to_owned()),
        Just("## Try it".to_owned()),
        Just("```http".to_owned()),
        Just("```rust region=nowhere".to_owned()),
        Just("```".to_owned()),
        Just("### ".to_owned()),
        Just("# @name login".to_owned()),
        Just("@baseUrl = {{baseUrl}}".to_owned()),
        Just("GET {{baseUrl}}/x".to_owned()),
        Just("id = 99999999999999999999".to_owned()),
        Just("slug = \"\\u{0}\"".to_owned()),
        Just("{{".to_owned()),
        Just("\u{feff}\r\n\t".to_owned()),
        "\\PC{0,40}",
        any::<String>(),
    ]
}

fn lines(count: usize) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(fragment(), 0..count)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_text_as_a_topic_fails_with_lines_that_exist(text in lines(40).prop_map(|l| l.join("\n"))) {
        let line_count = text.lines().count();
        if let Err(diagnostics) = parse_topic("99-fuzz.md", &text) {
            prop_assert!(!diagnostics.is_empty());
            for d in diagnostics {
                prop_assert!(d.line <= line_count.max(1), "line {} of {}: {}", d.line, line_count, d.message);
                prop_assert!(!d.message.trim().is_empty());
            }
        }
    }

    #[test]
    fn a_real_topic_with_lines_inserted_or_removed_never_panics(
        edits in prop::collection::vec((any::<prop::sample::Index>(), prop::option::of(fragment())), 1..8)
    ) {
        let mut file: Vec<String> = TOPIC.lines().map(str::to_owned).collect();
        for (at, insert) in edits {
            let index = at.index(file.len() + 1);
            match insert {
                Some(line) => file.insert(index, line),
                None if index < file.len() => {
                    file.remove(index);
                }
                None => {}
            }
        }
        let text = file.join("\n");
        let line_count = text.lines().count();
        if let Err(diagnostics) = parse_topic("17-rate-limiting.md", &text) {
            for d in diagnostics {
                prop_assert!(d.line <= line_count.max(1), "line {} of {}: {}", d.line, line_count, d.message);
            }
        }
    }

    #[test]
    fn any_http_block_parses_or_names_a_line_of_it(text in lines(30).prop_map(|l| l.join("\n"))) {
        if let Err(error) = http_file::parse(&text) {
            // 0-based; one past the end is where "the block ended too early" points.
            prop_assert!(error.line <= text.lines().count(), "line {}: {}", error.line, error.message);
            prop_assert!(!error.message.trim().is_empty());
        }
    }

    #[test]
    fn written_requests_read_back_the_same(requests in prop::collection::vec(request(), 1..6)) {
        let text = write(&requests);
        let parsed = http_file::parse(&text).map_err(|e| TestCaseError::fail(format!("{}: {}\n{text}", e.line, e.message)))?;
        let found: Vec<HttpRequest> = parsed.requests.into_iter().map(|r| HttpRequest { line: 0, ..r }).collect();
        prop_assert_eq!(found, requests);
    }

    #[test]
    fn markdown_from_anyone_never_carries_live_markup(text in lines(20).prop_map(|l| l.join("\n")), tag in hostile()) {
        let html = to_html(&format!("{text}\n{tag}\n"), &BTreeMap::new()).to_ascii_lowercase();
        for live in tags(&html) {
            prop_assert!(!live.starts_with("<script"), "{live} in {html}");
            prop_assert!(!live.contains("javascript:"), "{live} in {html}");
            prop_assert!(!live.contains("onerror"), "{live} in {html}");
        }
    }
}

/// The tags of an HTML text (escaped text such as `&lt;img&gt;` is not a tag).
fn tags(html: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        let after = &rest[open..];
        let close = after.find('>').map_or(after.len(), |i| i + 1);
        found.push(&after[..close]);
        rest = &after[close..];
    }
    found
}

fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("<script>alert(1)</script>".to_owned()),
        Just("[click](javascript:alert(1))".to_owned()),
        Just("<img src=x onerror=alert(1)>".to_owned()),
        Just("<a href=\"javascript:alert(1)\">x</a>".to_owned()),
        Just("![x](javascript:alert(1))".to_owned()),
    ]
}

/// A request as an author could write it: no variables, so the text is its own value.
fn request() -> impl Strategy<Value = HttpRequest> {
    let method = prop::sample::select(vec!["GET", "POST", "PUT", "PATCH", "DELETE"]);
    let header = ("[A-Z][a-z]{1,8}(-[A-Z][a-z]{1,8})?", "[a-z0-9/;=.]{1,20}");
    (
        method,
        "/[a-z0-9/_-]{0,20}(\\?[a-z]{1,5}=[0-9]{1,3})?",
        prop::collection::vec(header, 0..3),
        prop::option::of("\\{\"[a-z]{1,6}\": [0-9]{1,4}\\}"),
        prop::option::of("[a-z]{1,8}"),
        prop::option::of("[A-Z][a-z ]{0,20}[a-z]"),
    )
        .prop_map(|(method, path, headers, body, name, title)| HttpRequest {
            name,
            title,
            method: method.to_owned(),
            url: format!("{{{{baseUrl}}}}{path}"),
            headers,
            body,
            line: 0,
        })
}

fn write(requests: &[HttpRequest]) -> String {
    let mut text = String::new();
    for request in requests {
        text.push_str("###");
        if let Some(title) = &request.title {
            text.push(' ');
            text.push_str(title);
        }
        text.push('\n');
        if let Some(name) = &request.name {
            text.push_str(&format!("# @name {name}\n"));
        }
        text.push_str(&format!("{} {}\n", request.method, request.url));
        for (name, value) in &request.headers {
            text.push_str(&format!("{name}: {value}\n"));
        }
        if let Some(body) = &request.body {
            text.push_str(&format!("\n{body}\n"));
        }
        text.push('\n');
    }
    text
}
