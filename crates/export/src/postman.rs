//! A Postman collection (format v2.1) of every "Try it" and "Break it" request, with an
//! environment file for the base URL.
//!
//! Layout: one folder per topic group, one subfolder per topic, its "Break it" requests in
//! a folder of their own. Captures work the way Backend Dojo's console does them: a later
//! request writes `{{login.response.body.$.access_token}}` and the named request `login`
//! stores that value when its answer arrives (a test script sets a collection variable of
//! exactly that name). Redirects are not followed, as in the console.

use std::collections::{BTreeMap, BTreeSet};

use dojo_content::http_file::HttpRequest;
use dojo_content::{Group, Library, SectionKind, Topic};
use serde_json::{Value, json};

use crate::Result;
use crate::dot_http::no_requests;
use crate::markdown::without_fences;
use crate::selection::TopicSelection;
use crate::try_it::{
    Capture, RequestBlock, TOKEN_VARIABLE, captures_in, request_blocks, substitute,
    with_launch_token,
};

/// The collection's file name.
pub const COLLECTION_FILE_NAME: &str = "backend-dojo.postman_collection.json";
/// The environment's file name.
pub const ENVIRONMENT_FILE_NAME: &str = "backend-dojo.postman_environment.json";

const SCHEMA: &str = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json";
/// Fixed ids, so the same content exports to the same files and a re-import replaces the
/// previous one.
const COLLECTION_ID: &str = "5d0b7c1e-8f0a-4c6e-9b8e-2f4f6c1d0a17";
const ENVIRONMENT_ID: &str = "9a3e52c4-1b7d-4f0e-8c2a-6d5b4e3f2a19";

/// The collection of the selected topics' requests; `base_url` is the collection's default
/// `baseUrl` (the environment file overrides it).
pub fn postman_collection(
    library: &Library,
    topics: &TopicSelection,
    base_url: &str,
) -> Result<Value> {
    let selected = topics.resolve(library)?;
    let mut captured = BTreeSet::new();
    let mut groups = Vec::new();
    for group in Group::ALL {
        let mut folders = Vec::new();
        for topic in selected.iter().filter(|topic| topic.front.group == group) {
            let blocks = request_blocks(topic)?;
            if blocks.is_empty() {
                continue;
            }
            folders.push(topic_folder(topic, &blocks, &mut captured));
        }
        if !folders.is_empty() {
            groups.push(json!({ "name": group.title(), "item": folders }));
        }
    }
    if groups.is_empty() {
        return Err(no_requests(topics));
    }
    let mut variables = vec![json!({
        "key": "baseUrl",
        "value": base_url.trim_end_matches('/'),
        "type": "string",
        "description": "Where the sandbox listens; the environment file sets it too.",
    })];
    variables.push(json!({
        "key": TOKEN_VARIABLE,
        "value": "",
        "type": "string",
        "description": "The sandbox's tooling token, which `dojo sandbox` prints at start; \
            requests to /_dojo/ send it as X-Dojo-Token. The environment file sets it too.",
    }));
    variables.extend(captured.iter().map(|capture: &Capture| {
        json!({
            "key": capture.variable(),
            "value": "",
            "type": "string",
            "description": format!("Set by the request named {} when it runs.", capture.request),
        })
    }));
    Ok(json!({
        "info": {
            "_postman_id": COLLECTION_ID,
            "name": "Backend Dojo",
            "description": "The \"Try it\" and \"Break it\" requests of Backend Dojo's topics. \
                Start the sandbox (`dojo sandbox --port 8080`), select the Backend Dojo \
                environment and run a topic's folder in order: later requests use values that \
                earlier ones capture. Failed tests mean an answer was not what the topic shows.",
            "schema": SCHEMA,
        },
        "item": groups,
        "event": [{
            "listen": "test",
            "script": { "type": "text/javascript", "exec": problem_details_script() },
        }],
        "variable": variables,
    }))
}

/// The environment with `baseUrl`.
pub fn postman_environment(base_url: &str) -> Value {
    json!({
        "id": ENVIRONMENT_ID,
        "name": "Backend Dojo sandbox",
        "values": [{
            "key": "baseUrl",
            "value": base_url.trim_end_matches('/'),
            "type": "default",
            "enabled": true,
        }, {
            "key": TOKEN_VARIABLE,
            "value": "",
            "type": "secret",
            "enabled": true,
        }],
        "_postman_variable_scope": "environment",
    })
}

fn topic_folder(topic: &Topic, blocks: &[RequestBlock], captured: &mut BTreeSet<Capture>) -> Value {
    // Every capture the topic's requests read, by the request that provides it.
    let mut wanted: BTreeMap<String, BTreeSet<Capture>> = BTreeMap::new();
    for block in blocks {
        let texts = block
            .file
            .requests
            .iter()
            .flat_map(request_texts)
            .chain(block.file.variables.iter().map(|(_, value)| value.clone()));
        for text in texts {
            for capture in captures_in(&text) {
                wanted
                    .entry(capture.request.clone())
                    .or_default()
                    .insert(capture.clone());
                captured.insert(capture);
            }
        }
    }
    let definitions: Vec<(String, String)> = blocks
        .iter()
        .flat_map(|block| block.file.variables.clone())
        .collect();
    let item = |block: &RequestBlock| -> Vec<Value> {
        block
            .file
            .requests
            .iter()
            .map(|r| request_item(r, &definitions, &wanted))
            .collect()
    };
    let mut items: Vec<Value> = blocks
        .iter()
        .filter(|b| b.section == SectionKind::TryIt)
        .flat_map(item)
        .collect();
    let break_it: Vec<Value> = blocks
        .iter()
        .filter(|b| b.section == SectionKind::BreakIt)
        .flat_map(item)
        .collect();
    if !break_it.is_empty() {
        items.push(folder(
            "Break it".into(),
            section_prose(topic, SectionKind::BreakIt),
            break_it,
        ));
    }
    let name = format!("{} · {}", topic.front.id, topic.front.title);
    folder(name, section_prose(topic, SectionKind::TryIt), items)
}

fn folder(name: String, description: String, items: Vec<Value>) -> Value {
    let mut folder = json!({ "name": name, "item": items });
    if !description.is_empty() {
        folder["description"] = json!(description);
    }
    folder
}

fn section_prose(topic: &Topic, kind: SectionKind) -> String {
    topic
        .section(kind)
        .map(|s| without_fences(&s.markdown, "http"))
        .unwrap_or_default()
}

fn request_texts(request: &HttpRequest) -> Vec<String> {
    let mut texts = vec![request.url.clone()];
    texts.extend(request.headers.iter().map(|(_, value)| value.clone()));
    texts.extend(request.body.clone());
    texts
}

/// Request text for Postman: the topic's `@name = value` definitions filled in, the
/// console's `{{$uuid}}` spelled as Postman's `{{$guid}}`; everything else (base URL,
/// captures, `{{$timestamp}}`) stays a variable.
fn for_postman(text: &str, definitions: &[(String, String)]) -> String {
    fn value(name: &str, definitions: &[(String, String)], depth: u8) -> Option<String> {
        if name == "$uuid" {
            return Some("{{$guid}}".into());
        }
        let (_, defined) = definitions.iter().rev().find(|(key, _)| key == name)?;
        if depth > 4 {
            return None;
        }
        Some(substitute(defined, &|inner| {
            value(inner, definitions, depth + 1)
        }))
    }
    substitute(text, &|name| value(name, definitions, 0))
}

fn request_item(
    request: &HttpRequest,
    definitions: &[(String, String)],
    wanted: &BTreeMap<String, BTreeSet<Capture>>,
) -> Value {
    let request = &with_launch_token(request);
    let url = for_postman(&request.url, definitions);
    let name = request
        .title
        .clone()
        .unwrap_or_else(|| format!("{} {}", request.method, request.url));
    let headers: Vec<Value> = request
        .headers
        .iter()
        .map(|(key, value)| json!({ "key": key, "value": for_postman(value, definitions) }))
        .collect();
    let mut body_json = Value::Null;
    if let Some(body) = &request.body {
        let is_json = request.headers.iter().any(|(key, value)| {
            key.eq_ignore_ascii_case("content-type") && value.to_ascii_lowercase().contains("json")
        });
        body_json = json!({ "mode": "raw", "raw": for_postman(body, definitions) });
        if is_json {
            body_json["options"] = json!({ "raw": { "language": "json" } });
        }
    }
    let mut request_json = json!({
        "method": request.method,
        "header": headers,
        "url": url_object(&url),
    });
    if !body_json.is_null() {
        request_json["body"] = body_json;
    }
    let mut item = json!({
        "name": name,
        "request": request_json,
        "protocolProfileBehavior": { "followRedirects": false, "disableBodyPruning": true },
    });
    let captures = request
        .name
        .as_ref()
        .and_then(|name| wanted.get(name))
        .filter(|c| !c.is_empty());
    if let (Some(name), Some(captures)) = (&request.name, captures) {
        item["description"] = json!(format!("Named `{name}`: later requests read its answer."));
        item["event"] = json!([{
            "listen": "test",
            "script": { "type": "text/javascript", "exec": capture_script(captures) },
        }]);
    }
    item
}

/// The URL as Postman stores it: the raw text plus host, path and query parts.
fn url_object(raw: &str) -> Value {
    let (address, query) = match raw.split_once('?') {
        Some((address, query)) => (address, Some(query)),
        None => (raw, None),
    };
    let mut object = json!({ "raw": raw });
    let rest = if let Some(after) = address.strip_prefix("{{")
        && let Some(end) = after.find("}}")
    {
        object["host"] = json!([format!("{{{{{}}}}}", &after[..end])]);
        &after[end + 2..]
    } else if let Some((protocol, after)) = address.split_once("://") {
        object["protocol"] = json!(protocol);
        let (authority, path) = after.split_once('/').map_or((after, ""), |(a, p)| (a, p));
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => (host, Some(port)),
            _ => (authority, None),
        };
        object["host"] = json!(host.split('.').collect::<Vec<_>>());
        if let Some(port) = port {
            object["port"] = json!(port);
        }
        return with_path_and_query(object, path, query);
    } else {
        address
    };
    with_path_and_query(object, rest.trim_start_matches('/'), query)
}

fn with_path_and_query(mut object: Value, path: &str, query: Option<&str>) -> Value {
    if !path.is_empty() {
        object["path"] = json!(path.split('/').collect::<Vec<_>>());
    }
    if let Some(query) = query {
        let pairs: Vec<Value> = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| match pair.split_once('=') {
                Some((key, value)) => json!({ "key": key, "value": value }),
                None => json!({ "key": pair, "value": null }),
            })
            .collect();
        object["query"] = json!(pairs);
    }
    object
}

/// The collection-wide test: every error answer is problem details, as the sandbox
/// promises for every topic.
fn problem_details_script() -> Vec<&'static str> {
    vec![
        "// Backend Dojo answers every error with RFC 9457 problem details.",
        "if (pm.response.code >= 400) {",
        "    pm.test('the error answer is problem details (application/problem+json)', function () {",
        "        pm.expect(pm.response.headers.get('Content-Type') || '').to.include('application/problem+json');",
        "    });",
        "}",
    ]
}

/// The test script of a named request: it stores the values that later requests capture
/// from its answer, and fails when the answer does not have them.
fn capture_script(captures: &BTreeSet<Capture>) -> Vec<String> {
    let mut lines =
        vec!["// Values that later requests of this topic read from this answer.".to_owned()];
    if captures.iter().any(|c| c.path.starts_with("body.")) {
        lines.extend(
            [
                "// A small JSONPath, as in Backend Dojo's console: $, $.a.b, $.items[0].id",
                "function dojoSelect(value, path) {",
                "    let current = value;",
                "    for (const part of path.replace(/^\\$/, '').split('.').filter(Boolean)) {",
                "        const bracket = part.indexOf('[');",
                "        const key = bracket < 0 ? part : part.slice(0, bracket);",
                "        if (key) {",
                "            if (current === null || typeof current !== 'object' || !(key in current)) { return undefined; }",
                "            current = current[key];",
                "        }",
                "        const indexes = bracket < 0 ? [] : part.slice(bracket).split('[').filter(Boolean);",
                "        for (const index of indexes) {",
                "            if (!Array.isArray(current)) { return undefined; }",
                "            current = current[Number(index.replace(']', ''))];",
                "        }",
                "    }",
                "    if (current === undefined) { return undefined; }",
                "    return typeof current === 'string' ? current : JSON.stringify(current);",
                "}",
            ]
            .map(str::to_owned),
        );
    }
    for capture in captures {
        let variable = js_string(&capture.variable());
        let title = js_string(&format!("stores {{{{{}}}}}", capture.variable()));
        lines.push(format!("pm.test({title}, function () {{"));
        if let Some(header) = capture.path.strip_prefix("headers.") {
            let header = js_string(header);
            let message = js_string(&format!(
                "the answer has a {} header",
                capture.path["headers.".len()..].trim()
            ));
            lines.push(format!(
                "    const value = pm.response.headers.get({header});"
            ));
            lines.push(format!(
                "    pm.expect(value, {message}).to.be.a('string');"
            ));
        } else {
            let raw_path = capture.path.strip_prefix("body.").unwrap_or(&capture.path);
            let path = js_string(raw_path);
            let message = js_string(&format!("the JSON answer has a value at {raw_path}"));
            lines.push(format!(
                "    const value = dojoSelect(pm.response.json(), {path});"
            ));
            lines.push(format!(
                "    pm.expect(value, {message}).to.be.a('string');"
            ));
        }
        lines.push(format!(
            "    pm.collectionVariables.set({variable}, value);"
        ));
        lines.push("});".into());
    }
    lines
}

/// A JavaScript string literal (JSON's escaping is valid JavaScript).
fn js_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "''".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_host_path_and_query() {
        assert_eq!(
            url_object("{{baseUrl}}/api/v1/errors/slow?ms=20&access_token=x"),
            json!({
                "raw": "{{baseUrl}}/api/v1/errors/slow?ms=20&access_token=x",
                "host": ["{{baseUrl}}"],
                "path": ["api", "v1", "errors", "slow"],
                "query": [{ "key": "ms", "value": "20" }, { "key": "access_token", "value": "x" }],
            })
        );
        assert_eq!(
            url_object("http://127.0.0.1:8080/healthz"),
            json!({
                "raw": "http://127.0.0.1:8080/healthz",
                "protocol": "http",
                "host": ["127", "0", "0", "1"],
                "port": "8080",
                "path": ["healthz"],
            })
        );
    }

    #[test]
    fn definitions_are_filled_in_and_uuid_becomes_guid() {
        let definitions = vec![
            ("user".to_owned(), "{{who}}-{{$uuid}}".to_owned()),
            ("who".to_owned(), "ada".to_owned()),
        ];
        assert_eq!(
            for_postman(
                "{{baseUrl}}/u/{{user}}/{{login.response.body.$.id}}",
                &definitions
            ),
            "{{baseUrl}}/u/ada-{{$guid}}/{{login.response.body.$.id}}"
        );
    }
}
