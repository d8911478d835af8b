//! `node --check` on the Express templates: a syntax error is reported at the file line a
//! content author has to fix. CI has node, so an unavailable node fails these tests.

mod common;

use std::path::Path;

use common::{TopicFile, line_of};
use dojo_content::{Diagnostic, Topic, parse, validate};

const NODE: &str = "node";

fn topic_with_express(express: &str) -> (Topic, String) {
    let fixture = TopicFile::complete(5).replace("Express template", express);
    let (name, text) = fixture.file();
    let topic =
        parse::parse_topic(&name, &text).unwrap_or_else(|d| panic!("fixture parses: {d:?}"));
    (topic, text)
}

fn check(topics: &[Topic]) -> Vec<Diagnostic> {
    validate::javascript(topics, Path::new(NODE))
        .expect("node must be installed to check the Express templates")
}

#[test]
fn a_valid_express_template_passes() {
    let (topic, _) = topic_with_express(common::EXPRESS);
    assert_eq!(check(&[topic]), Vec::<Diagnostic>::new());
}

#[test]
fn a_syntax_error_is_reported_at_its_file_line() {
    let express = "The router.\n\n```js\n'use strict';\nconst express = require('express');\n\n\
                   const router = express.Router();\nrouter.get('/items', (req, res) => {\n  \
                   res.json({ items: [] };\n});\n\nmodule.exports = router;\n```\n";
    let (topic, text) = topic_with_express(express);
    let problems = check(std::slice::from_ref(&topic));
    assert_eq!(problems.len(), 1, "{problems:?}");
    let problem = &problems[0];
    assert_eq!(problem.file, "05-fixture-topic-5.md");
    assert_eq!(problem.line, line_of(&text, "res.json({ items: [] };"));
    assert!(
        problem.message.starts_with("node --check: "),
        "{}",
        problem.message
    );
    assert!(
        problem.message.contains("SyntaxError"),
        "{}",
        problem.message
    );
    assert_eq!(
        problem.to_string(),
        format!(
            "05-fixture-topic-5.md:{}: {}",
            problem.line, problem.message
        )
    );
}

#[test]
fn the_message_is_the_syntax_error_even_when_the_bad_line_mentions_error() {
    // node echoes the offending source line before its message; an error-handling template
    // mentions `Error` on almost every line, and that echo is not the message.
    let express = "Errors.\n\n```js\n'use strict';\nclass HttpError extends Error {}\n\n\
                   function notFound(req, res, next) {\n  next(new HttpError('Not found');\n}\n\n\
                   module.exports = { notFound };\n```\n";
    let (topic, text) = topic_with_express(express);
    let problems = check(&[topic]);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].line, line_of(&text, "next(new HttpError("));
    assert!(
        problems[0]
            .message
            .starts_with("node --check: SyntaxError: "),
        "{}",
        problems[0].message
    );
}

#[test]
fn each_broken_block_of_each_topic_is_reported() {
    let express = "```js\nconst a = ;\n```\n\nAnd a good one.\n\n```js\nconst b = 2;\n```\n\n\
                   ```js\nif (ready) }\n```\n";
    let (first, first_text) = topic_with_express(express);
    let second_fixture =
        TopicFile::complete(6).replace("Express template", "```js\nconst = 1;\n```\n");
    let (name, second_text) = second_fixture.file();
    let second = parse::parse_topic(&name, &second_text).expect("fixture parses");
    let lines: Vec<(String, usize)> = check(&[first, second])
        .into_iter()
        .map(|d| (d.file, d.line))
        .collect();
    assert_eq!(
        lines,
        vec![
            (
                "05-fixture-topic-5.md".to_owned(),
                line_of(&first_text, "const a = ;")
            ),
            (
                "05-fixture-topic-5.md".to_owned(),
                line_of(&first_text, "if (ready) }")
            ),
            (
                "06-fixture-topic-6.md".to_owned(),
                line_of(&second_text, "const = 1;")
            ),
        ]
    );
}

#[test]
fn only_js_blocks_are_checked() {
    let express = "```js\nconst ok = true;\n```\n\n```json\n{ not: javascript }\n```\n\n```sh\nnpm i express (\n```\n";
    let (topic, _) = topic_with_express(express);
    assert!(check(&[topic]).is_empty());
}

#[test]
fn the_embedded_express_templates_pass_node_check() {
    let library = dojo_content::Library::embedded().expect("embedded topics load");
    let problems: Vec<String> = check(library.topics())
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(problems, Vec::<String>::new());
}

#[test]
fn a_missing_node_is_reported_as_unavailable() {
    let (topic, _) = topic_with_express(common::EXPRESS);
    assert_eq!(
        validate::javascript(&[topic], Path::new("/nonexistent/backend-dojo/node")),
        None
    );
}
