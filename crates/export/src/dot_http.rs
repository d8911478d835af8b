//! `.http` files (the REST Client / JetBrains HTTP Client format) of the topics' "Try it"
//! and "Break it" requests, one file per topic or all in one. The content crate's
//! `http_file::parse` reads them back to the same requests.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use dojo_content::http_file::HttpRequest;
use dojo_content::{Library, SectionKind, Topic};

use crate::selection::TopicSelection;
use crate::try_it::{
    RequestBlock, TOKEN_PLACEHOLDER, TOKEN_VARIABLE, is_tooling, request_blocks, substitute,
    with_launch_token,
};
use crate::{Error, Result};

/// One exported file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpExportFile {
    /// A file name without folders, e.g. `17-rate-limiting.http`.
    pub file_name: String,
    /// The file's text.
    pub text: String,
}

/// One `.http` file per selected topic that has requests, each defining `@baseUrl`.
/// Topics without requests are left out; if none has any, that is an error.
pub fn http_file_per_topic(
    library: &Library,
    topics: &TopicSelection,
    base_url: &str,
) -> Result<Vec<HttpExportFile>> {
    let mut files = Vec::new();
    for topic in topics.resolve(library)? {
        let blocks = request_blocks(topic)?;
        if blocks.is_empty() {
            continue;
        }
        let mut text = file_header(&format!(
            "Backend Dojo, topic {}: {}",
            topic.front.id, topic.front.title
        ));
        let variables: Vec<(String, String)> = blocks
            .iter()
            .flat_map(|block| block.file.variables.clone())
            .collect();
        write_variables(&mut text, base_url, &variables, uses_tooling(&blocks));
        write_topic(&mut text, topic, &blocks, &BTreeMap::new(), false);
        files.push(HttpExportFile {
            file_name: topic.file.replace(".md", ".http"),
            text,
        });
    }
    if files.is_empty() {
        return Err(no_requests(topics));
    }
    Ok(files)
}

/// All selected topics' requests in one file. A request name that an earlier topic already
/// used gets the topic id appended (`login-27`), and that topic's captures follow it, so
/// every `{{name.response...}}` reads the response of its own topic's request.
pub fn http_single_file(
    library: &Library,
    topics: &TopicSelection,
    base_url: &str,
) -> Result<String> {
    let selected = topics.resolve(library)?;
    let mut parsed = Vec::new();
    for topic in selected {
        let blocks = request_blocks(topic)?;
        if !blocks.is_empty() {
            parsed.push((topic, blocks));
        }
    }
    if parsed.is_empty() {
        return Err(no_requests(topics));
    }
    let mut variables: Vec<(String, String)> = Vec::new();
    for (topic, blocks) in &parsed {
        for (name, value) in blocks.iter().flat_map(|block| &block.file.variables) {
            match variables.iter().find(|(known, _)| known == name) {
                Some((_, first)) if first != value => {
                    return Err(Error::ConflictingVariable {
                        name: name.clone(),
                        first: first.clone(),
                        second: value.clone(),
                        topic: topic.front.id,
                    });
                }
                Some(_) => {}
                None => variables.push((name.clone(), value.clone())),
            }
        }
    }
    let mut text = file_header("Backend Dojo: the requests of every topic");
    let needs_token = parsed.iter().any(|(_, blocks)| uses_tooling(blocks));
    write_variables(&mut text, base_url, &variables, needs_token);
    let mut used_names = BTreeSet::new();
    for (topic, blocks) in &parsed {
        let names: BTreeSet<String> = blocks
            .iter()
            .flat_map(|block| &block.file.requests)
            .filter_map(|request| request.name.clone())
            .collect();
        let renames: BTreeMap<String, String> = names
            .iter()
            .filter(|name| used_names.contains(*name))
            .map(|name| (name.clone(), format!("{name}-{}", topic.front.id)))
            .collect();
        used_names.extend(
            names
                .into_iter()
                .map(|name| renames.get(&name).cloned().unwrap_or(name)),
        );
        write_topic(&mut text, topic, blocks, &renames, true);
    }
    Ok(text)
}

pub(crate) fn no_requests(topics: &TopicSelection) -> Error {
    match topics {
        TopicSelection::All => Error::NoRequests { ids: Vec::new() },
        TopicSelection::Only(ids) => Error::NoRequests { ids: ids.clone() },
    }
}

fn file_header(title: &str) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "# {title}");
    text.push_str(
        "# Requests for the REST Client extension or a JetBrains IDE's HTTP Client.\n\
         # Start the sandbox with `dojo sandbox --port 8080`, or point baseUrl at your own server.\n\
         # Send the requests of a topic in order: later ones use values captured from earlier ones.\n\n",
    );
    text
}

/// Whether any request goes to the sandbox's `/_dojo/` tooling.
fn uses_tooling(blocks: &[RequestBlock]) -> bool {
    blocks
        .iter()
        .flat_map(|block| &block.file.requests)
        .any(is_tooling)
}

fn write_variables(
    text: &mut String,
    base_url: &str,
    variables: &[(String, String)],
    needs_token: bool,
) {
    let _ = writeln!(text, "@baseUrl = {}", base_url.trim_end_matches('/'));
    if needs_token {
        let _ = writeln!(text, "@{TOKEN_VARIABLE} = {TOKEN_PLACEHOLDER}");
    }
    for (name, value) in variables.iter().filter(|(name, _)| name != "baseUrl") {
        let _ = writeln!(text, "@{name} = {value}");
    }
    text.push('\n');
}

/// The topic's requests; in a file of several topics each topic starts with a separator of
/// its own that holds no request, only comments.
fn write_topic(
    text: &mut String,
    topic: &Topic,
    blocks: &[RequestBlock],
    renames: &BTreeMap<String, String>,
    with_banner: bool,
) {
    if with_banner {
        let _ = writeln!(text, "### Topic {}: {}", topic.front.id, topic.front.title);
        let _ = writeln!(
            text,
            "# Everything below, up to the next topic, belongs to topic {}.\n",
            topic.front.id
        );
    }
    let mut section = SectionKind::TryIt;
    for block in blocks {
        if block.section != section {
            section = block.section;
            let _ = writeln!(text, "### {}: topic {}", section.heading(), topic.front.id);
            if section == SectionKind::BreakIt {
                text.push_str(
                    "# These requests turn a sandbox fix off, show the hole, then reset the topic.\n",
                );
            }
            text.push('\n');
        }
        for request in &block.file.requests {
            write_request(text, &with_launch_token(&renamed(request, renames)));
        }
    }
}

fn renamed(request: &HttpRequest, renames: &BTreeMap<String, String>) -> HttpRequest {
    if renames.is_empty() {
        return request.clone();
    }
    let rewrite = |text: &str| {
        substitute(text, &|name| {
            let (target, path) = name.split_once(".response.")?;
            renames
                .get(target)
                .map(|new| format!("{{{{{new}.response.{path}}}}}"))
        })
    };
    HttpRequest {
        name: request
            .name
            .as_ref()
            .map(|name| renames.get(name).cloned().unwrap_or_else(|| name.clone())),
        title: request.title.clone(),
        method: request.method.clone(),
        url: rewrite(&request.url),
        headers: request
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), rewrite(v)))
            .collect(),
        body: request.body.as_deref().map(rewrite),
        line: request.line,
    }
}

fn write_request(text: &mut String, request: &HttpRequest) {
    match &request.title {
        Some(title) => {
            let _ = writeln!(text, "### {title}");
        }
        None => text.push_str("###\n"),
    }
    if let Some(name) = &request.name {
        let _ = writeln!(text, "# @name {name}");
    }
    let _ = writeln!(text, "{} {}", request.method, request.url);
    for (name, value) in &request.headers {
        let _ = writeln!(text, "{name}: {value}");
    }
    if let Some(body) = &request.body {
        let _ = writeln!(text, "\n{body}");
    }
    text.push('\n');
}
