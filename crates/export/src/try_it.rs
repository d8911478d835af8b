//! The requests a topic lets the learner fire: the `http` blocks of its "Try it" and
//! "Break it" sections, parsed by the content crate's `.http` parser.

use dojo_content::http_file::{self, HttpFile, HttpRequest};
use dojo_content::{SectionKind, Topic};

use crate::{Error, Result};

/// The sections whose `http` blocks are exported, in the order they are exported.
pub(crate) const REQUEST_SECTIONS: [SectionKind; 2] = [SectionKind::TryIt, SectionKind::BreakIt];

/// One `http` block of a topic, parsed.
#[derive(Debug, Clone)]
pub(crate) struct RequestBlock {
    pub(crate) section: SectionKind,
    pub(crate) file: HttpFile,
}

/// Every `http` block of the topic's request sections, in file order.
pub(crate) fn request_blocks(topic: &Topic) -> Result<Vec<RequestBlock>> {
    let mut blocks = Vec::new();
    for kind in REQUEST_SECTIONS {
        let Some(section) = topic.section(kind) else {
            continue;
        };
        for code in section
            .code_blocks
            .iter()
            .filter(|code| code.lang == "http")
        {
            let file = http_file::parse(&code.body).map_err(|error| Error::HttpBlock {
                topic: topic.front.id,
                line: error.line + 1,
                message: error.message,
            })?;
            blocks.push(RequestBlock {
                section: kind,
                file,
            });
        }
    }
    Ok(blocks)
}

/// A `{{name.response.path}}` reference found in request text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Capture {
    /// The `# @name` of the request whose response is read.
    pub(crate) request: String,
    /// What is read: `body.$.token` or `headers.X-Request-Id`.
    pub(crate) path: String,
}

impl Capture {
    /// The variable exactly as the topic writes it, without braces.
    pub(crate) fn variable(&self) -> String {
        format!("{}.response.{}", self.request, self.path)
    }
}

/// Every `{{...}}` name in `text`, trimmed, in order.
pub(crate) fn variables_in(text: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        names.push(after[..end].trim());
        rest = &after[end + 2..];
    }
    names
}

/// The response captures `text` refers to.
pub(crate) fn captures_in(text: &str) -> Vec<Capture> {
    variables_in(text)
        .into_iter()
        .filter_map(|name| name.split_once(".response."))
        .map(|(request, path)| Capture {
            request: request.to_owned(),
            path: path.to_owned(),
        })
        .collect()
}

/// Replaces every `{{name}}` of `text` for which `value` answers, leaving the rest as is.
pub(crate) fn substitute(text: &str, value: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            rest = &rest[start..];
            break;
        };
        match value(after[..end].trim()) {
            Some(replacement) => out.push_str(&replacement),
            None => out.push_str(&rest[start..start + 2 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// The variable that holds the sandbox's launch token in exported requests.
pub(crate) const TOKEN_VARIABLE: &str = "dojoToken";
/// What an exported file holds until the learner pastes the token `dojo sandbox` printed.
pub(crate) const TOKEN_PLACEHOLDER: &str = "paste-the-tooling-token-dojo-sandbox-prints";
/// The header `/_dojo/` tooling wants the launch token in.
const TOKEN_HEADER: &str = "X-Dojo-Token";

/// Whether the request goes to the sandbox's `/_dojo/` tooling.
pub(crate) fn is_tooling(request: &HttpRequest) -> bool {
    request
        .url
        .strip_prefix("{{baseUrl}}")
        .is_some_and(|path| path.starts_with("/_dojo/"))
}

/// The request as an API client must send it: tooling requests carry the launch token
/// (`dojo sandbox` prints it), which the app adds by itself.
pub(crate) fn with_launch_token(request: &HttpRequest) -> HttpRequest {
    let mut request = request.clone();
    if is_tooling(&request)
        && !request
            .headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case(TOKEN_HEADER))
    {
        request
            .headers
            .push((TOKEN_HEADER.to_owned(), format!("{{{{{TOKEN_VARIABLE}}}}}")));
    }
    request
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_captures_of_headers_and_bodies() {
        let text = "Bearer {{login.response.body.$.access_token}} {{ spend.response.headers.X-Request-Id }} {{baseUrl}}";
        assert_eq!(
            captures_in(text),
            vec![
                Capture {
                    request: "login".into(),
                    path: "body.$.access_token".into()
                },
                Capture {
                    request: "spend".into(),
                    path: "headers.X-Request-Id".into()
                },
            ]
        );
    }

    #[test]
    fn substitutes_only_known_names() {
        let known = |name: &str| (name == "user").then(|| "ada".to_owned());
        assert_eq!(
            substitute("{{baseUrl}}/users/{{ user }}?x={{user}}{{open", &known),
            "{{baseUrl}}/users/ada?x=ada{{open"
        );
    }
}
