//! `.http` files, Postman collections and Markdown as a learner's tools read them: the
//! content crate's own `.http` parser reads exported files back to the same requests, the
//! collection holds every request with the captures it needs, and a fixture topic pins the
//! exact output in snapshots.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::library;
use dojo_content::http_file::{self, HttpRequest};
use dojo_content::{Library, SectionKind, Topic};
use dojo_export::{
    DEFAULT_BASE_URL, Error, TopicSelection, http_file_per_topic, http_single_file,
    postman_collection, postman_environment, topic_markdown,
};
use serde_json::Value;

const BASE: &str = "http://127.0.0.1:8080";

/// The requests of a topic's "Try it" and "Break it" blocks, in file order.
fn topic_requests(topic: &Topic) -> (Vec<HttpRequest>, Vec<(String, String)>) {
    let mut requests = Vec::new();
    let mut variables = Vec::new();
    for kind in [SectionKind::TryIt, SectionKind::BreakIt] {
        let Some(section) = topic.section(kind) else {
            continue;
        };
        for block in section.code_blocks.iter().filter(|b| b.lang == "http") {
            let file = http_file::parse(&block.body).expect("library blocks parse");
            requests.extend(file.requests);
            variables.extend(file.variables);
        }
    }
    (requests, variables)
}

/// A request without its position, which naturally differs between files, and with the
/// launch token header an API client needs for the sandbox's `/_dojo/` tooling.
fn comparable(request: &HttpRequest) -> HttpRequest {
    let mut headers = request.headers.clone();
    if request.url.starts_with("{{baseUrl}}/_dojo/") {
        headers.push(("X-Dojo-Token".to_owned(), "{{dojoToken}}".to_owned()));
    }
    HttpRequest {
        line: 0,
        headers,
        ..request.clone()
    }
}

/// Whether any of the requests needs the launch token.
fn needs_token(requests: &[HttpRequest]) -> bool {
    requests
        .iter()
        .any(|r| r.url.starts_with("{{baseUrl}}/_dojo/"))
}

#[test]
fn each_topic_file_reads_back_to_the_same_requests() {
    let library = library();
    let files = http_file_per_topic(&library, &TopicSelection::All, BASE).expect("exports");
    let with_requests: Vec<&Topic> = library
        .topics()
        .iter()
        .filter(|t| !topic_requests(t).0.is_empty())
        .collect();
    assert_eq!(
        files.len(),
        with_requests.len(),
        "one file per topic with requests"
    );
    for (file, topic) in files.iter().zip(&with_requests) {
        assert_eq!(file.file_name, topic.file.replace(".md", ".http"));
        let parsed = http_file::parse(&file.text).unwrap_or_else(|e| {
            panic!(
                "{} does not parse at line {}: {}",
                file.file_name,
                e.line + 1,
                e.message
            )
        });
        let (requests, variables) = topic_requests(topic);
        let expected: Vec<HttpRequest> = requests.iter().map(comparable).collect();
        let found: Vec<HttpRequest> = parsed
            .requests
            .iter()
            .map(|r| HttpRequest {
                line: 0,
                ..r.clone()
            })
            .collect();
        assert_eq!(found, expected, "{}", file.file_name);
        let mut expected_variables = vec![("baseUrl".to_owned(), BASE.to_owned())];
        if needs_token(&requests) {
            expected_variables.push((
                "dojoToken".to_owned(),
                "paste-the-tooling-token-dojo-sandbox-prints".to_owned(),
            ));
        }
        expected_variables.extend(variables);
        assert_eq!(parsed.variables, expected_variables, "{}", file.file_name);
    }
}

#[test]
fn one_file_reads_back_to_every_request_with_repeated_names_kept_apart() {
    let library = library();
    let text = http_single_file(&library, &TopicSelection::All, BASE).expect("exports");
    // The parser refuses a capture from a request that is not named earlier in the file.
    let parsed = http_file::parse(&text).expect("the single file parses");
    let originals: Vec<(u32, HttpRequest)> = library
        .topics()
        .iter()
        .flat_map(|t| topic_requests(t).0.into_iter().map(|r| (t.front.id, r)))
        .collect();
    assert_eq!(parsed.requests.len(), originals.len());
    let mut names_seen = BTreeSet::new();
    for (found, (topic, original)) in parsed.requests.iter().zip(&originals) {
        // A name taken by an earlier topic carries this topic's id, in the name and in
        // every capture that reads it; nothing else changes.
        let suffix = format!("-{topic}");
        let restore = |text: &str| text.replace(&format!("{suffix}.response."), ".response.");
        let restored = HttpRequest {
            name: found
                .name
                .as_ref()
                .map(|n| n.strip_suffix(&suffix).unwrap_or(n).to_owned()),
            url: restore(&found.url),
            headers: found
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), restore(v)))
                .collect(),
            body: found.body.as_deref().map(restore),
            ..comparable(found)
        };
        assert_eq!(restored, comparable(original), "topic {topic}");
        if let Some(name) = &found.name {
            assert!(
                names_seen.insert(name.clone()),
                "the name {name} is used twice in the file"
            );
        }
    }
    assert!(
        text.contains("### Topic 17: Rate limiting"),
        "each topic is introduced"
    );
}

#[test]
fn asking_for_requests_of_a_topic_without_any_is_a_clear_error() {
    let library = library();
    let without: Vec<u32> = library
        .topics()
        .iter()
        .filter(|t| topic_requests(t).0.is_empty())
        .map(|t| t.front.id)
        .collect();
    if let Some(&id) = without.first() {
        let error =
            http_file_per_topic(&library, &TopicSelection::Only(vec![id]), BASE).expect_err("none");
        assert_eq!(
            error.to_string(),
            format!("topic {id} has no \"Try it\" requests yet")
        );
    }
    let error =
        http_single_file(&library, &TopicSelection::Only(vec![0]), BASE).expect_err("no topic 0");
    assert!(
        matches!(error, Error::UnknownTopic { id: 0, .. }),
        "{error}"
    );
}

fn items(value: &Value) -> &[Value] {
    value["item"].as_array().map_or(&[], Vec::as_slice)
}

/// Every request item under a folder, depth first.
fn requests_in(value: &Value) -> Vec<&Value> {
    let mut found = Vec::new();
    for item in items(value) {
        if item.get("request").is_some() {
            found.push(item);
        } else {
            found.extend(requests_in(item));
        }
    }
    found
}

fn script(item: &Value) -> String {
    item["event"][0]["script"]["exec"]
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

#[test]
fn the_collection_holds_every_request_by_group_and_topic_with_its_captures() {
    let library = library();
    let collection = postman_collection(&library, &TopicSelection::All, BASE).expect("exports");
    assert_eq!(
        collection["info"]["schema"],
        "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
    );
    let group_names: Vec<&str> = items(&collection)
        .iter()
        .filter_map(|g| g["name"].as_str())
        .collect();
    assert!(
        group_names.contains(&"Middleware and security"),
        "{group_names:?}"
    );

    let requests = requests_in(&collection);
    let expected: usize = library
        .topics()
        .iter()
        .map(|t| topic_requests(t).0.len())
        .sum();
    assert_eq!(requests.len(), expected, "every request of every topic");

    let declared: BTreeSet<String> = collection["variable"]
        .as_array()
        .expect("variables")
        .iter()
        .filter_map(|v| v["key"].as_str().map(str::to_owned))
        .collect();
    let text = collection.to_string();
    for name in variables_used(&text) {
        assert!(
            declared.contains(&name) || name == "$guid" || name == "$timestamp",
            "{{{{{name}}}}} is neither declared nor a Postman dynamic variable"
        );
    }
    // Topic 17: the named request stores the header the trace request reads.
    let topic = items(&collection)
        .iter()
        .flat_map(items)
        .find(|folder| folder["name"] == "17 · Rate limiting")
        .expect("a folder for topic 17");
    let spend = requests_in(topic)
        .into_iter()
        .find(|item| item["name"] == "Spend a token (send this one repeatedly)")
        .expect("the spend request");
    let spend_script = script(spend);
    assert!(
        spend_script.contains(
            "pm.collectionVariables.set(\"spend.response.headers.X-Request-Id\", value);"
        ),
        "{spend_script}"
    );
    assert_eq!(spend["protocolProfileBehavior"]["followRedirects"], false);
    let trace = requests_in(topic)
        .into_iter()
        .find(|i| i["name"] == "The trace of the last answer")
        .expect("trace");
    assert_eq!(
        trace["request"]["url"]["raw"],
        "{{baseUrl}}/_dojo/traces/{{spend.response.headers.X-Request-Id}}"
    );

    let environment = postman_environment(DEFAULT_BASE_URL);
    assert_eq!(environment["values"][0]["key"], "baseUrl");
    assert_eq!(environment["values"][0]["value"], DEFAULT_BASE_URL);
    assert_eq!(environment["_postman_variable_scope"], "environment");
}

fn variables_used(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        names.insert(after[..end].trim().to_owned());
        rest = &after[end + 2..];
    }
    names
}

/// Topic 33 replaced by a fixture whose requests use every feature of the format: a file
/// variable built from another, a body, captures from a header and a body, `{{$uuid}}`, and
/// a "Break it" block.
fn fixture_library() -> Library {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content/topics");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("content/topics is readable")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .filter(|path| {
            !path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("33-"))
        })
        .map(|path| {
            let name = path
                .file_name()
                .expect("a file name")
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read_to_string(&path).expect("a topic file"))
        })
        .collect();
    files.push(("33-fixture-payments.md".into(), FIXTURE_TOPIC.into()));
    Library::from_files(files).unwrap_or_else(|error| panic!("the fixture library loads: {error}"))
}

const FIXTURE_TOPIC: &str = r#"+++
id = 33
slug = "fixture-payments"
title = "Fixture payments"
group = "addons"
tags = ["payments", "fixture"]
difficulty = "senior"
status = "outline"
sandbox = "payments"
regions = []
+++

## Interview answer

Payments fixture answer words repeated to reach the length the content format asks for.
One two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen.
One two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen.
One two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen.
One two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen.
One two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen.
One two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen.
One two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen.
One two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen.
One two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen.
One two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen.

## Try it

Log in, then pay with an idempotency key. `#` and `$` in prose stay as written.

```http
@payments = {{baseUrl}}/api/v1/payments
@amount = 1200

### Log in
# @name login
POST {{baseUrl}}/api/v1/auth/login
Content-Type: application/json

{"email": "ada@dojo.test", "password": "correct-horse-battery"}

### Pay once
# @name pay
POST {{payments}}?currency=eur&dry
Authorization: Bearer {{login.response.body.$.access_token}}
Idempotency-Key: {{$uuid}}
Content-Type: application/json

{"amount": {{amount}}}

### The payment's trace
GET {{baseUrl}}/_dojo/traces/{{pay.response.headers.X-Request-Id}}
```

## Break it

```http
### Turn idempotency off
PUT {{baseUrl}}/_dojo/switches/payments-skip-idempotency
Content-Type: application/json

{"enabled": true}

###
POST {{baseUrl}}/_dojo/topics/33/reset
```
"#;

#[test]
fn the_fixture_topic_exports_exactly_as_pinned() {
    let library = fixture_library();
    let only = TopicSelection::Only(vec![33]);
    let files = http_file_per_topic(&library, &only, BASE).expect("exports");
    insta::assert_snapshot!("fixture_topic.http", files[0].text);
    let collection = postman_collection(&library, &only, BASE).expect("exports");
    insta::assert_snapshot!(
        "fixture_topic.postman_collection.json",
        serde_json::to_string_pretty(&collection).expect("JSON")
    );
    insta::assert_snapshot!(
        "fixture_topic.md",
        topic_markdown(&library, 33).expect("exports")
    );
}

#[test]
fn markdown_of_a_topic_fills_its_rust_regions_and_keeps_every_section() {
    let library = library();
    let markdown = topic_markdown(&library, 17).expect("exports");
    assert!(markdown.starts_with("# 17. Rate limiting\n"), "{markdown}");
    let topic = library
        .topics()
        .iter()
        .find(|t| t.front.id == 17)
        .expect("topic 17");
    for section in &topic.sections {
        assert!(
            markdown.contains(&format!("\n## {}\n", section.kind.heading())),
            "{:?}",
            section.kind
        );
    }
    let region = &library.regions()["token-bucket"];
    assert!(
        markdown.contains(&region.code),
        "the token bucket's source is included"
    );
    assert!(markdown.contains(&format!(
        "// {}, from line {}",
        region.file, region.first_line
    )));
    assert!(
        !markdown.contains("region=token-bucket"),
        "no fence is left empty"
    );
    let error = topic_markdown(&library, 34).expect_err("no topic 34");
    assert_eq!(
        error.to_string(),
        "there is no topic 34; topics are numbered 1 to 33"
    );
}
