//! Parser for the `.http` request format (REST Client / JetBrains): the "Try it" blocks.
//!
//! ```text
//! @password = hunter2          file variable
//! ### Log in                   separator, optional title
//! # @name login                names the request so later ones can use its response
//! POST {{baseUrl}}/api/v1/auth/login
//! Content-Type: application/json
//!
//! {"email": "ada@example.com", "password": "{{password}}"}
//! ```

use std::collections::BTreeSet;

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// One request of an `.http` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// `# @name` value, if any.
    pub name: Option<String>,
    /// Text after the `###` separator, if any.
    pub title: Option<String>,
    pub method: String,
    /// The URL as written, variables still in `{{...}}`.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// 0-based line of the request line within the block.
    pub line: usize,
}

/// A parsed `.http` block: file variables and requests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpFile {
    pub variables: Vec<(String, String)>,
    pub requests: Vec<HttpRequest>,
}

/// A problem at a 0-based line of the block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError {
    pub line: usize,
    pub message: String,
}

/// Variables the app provides without a definition in the block.
pub const BUILT_IN_VARIABLES: [&str; 1] = ["baseUrl"];

#[derive(Default)]
struct Draft {
    name: Option<String>,
    title: Option<String>,
    request: Option<HttpRequest>,
    in_body: bool,
    body: Vec<String>,
}

pub fn parse(text: &str) -> Result<HttpFile, HttpError> {
    let mut file = HttpFile::default();
    let mut draft = Draft::default();
    let fail = |line: usize, message: String| Err(HttpError { line, message });

    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        if let Some(title) = line.strip_prefix("###") {
            finish(&mut file, std::mem::take(&mut draft));
            let title = title.trim();
            draft.title = (!title.is_empty()).then(|| title.to_owned());
            continue;
        }
        if draft.in_body {
            draft.body.push(raw.to_owned());
            continue;
        }
        let trimmed = line.trim_start();
        if let Some(comment) = trimmed
            .strip_prefix('#')
            .or_else(|| trimmed.strip_prefix("//"))
        {
            if let Some(name) = comment.trim().strip_prefix("@name") {
                let name = name.trim().trim_start_matches('=').trim();
                if !is_identifier(name) {
                    return fail(
                        index,
                        format!("request name {name:?} must be letters, digits, '_' or '-'"),
                    );
                }
                draft.name = Some(name.to_owned());
            }
            continue;
        }
        if draft.request.is_none() {
            if trimmed.is_empty() {
                continue;
            }
            if let Some(definition) = trimmed.strip_prefix('@') {
                let Some((key, value)) = definition.split_once('=') else {
                    return fail(
                        index,
                        format!("variable definition {trimmed:?} needs `= value`"),
                    );
                };
                let key = key.trim();
                if !is_identifier(key) {
                    return fail(
                        index,
                        format!("variable name {key:?} must be letters, digits, '_' or '-'"),
                    );
                }
                file.variables
                    .push((key.to_owned(), value.trim().to_owned()));
                continue;
            }
            draft.request = Some(request_line(trimmed, index)?);
            continue;
        }
        if trimmed.is_empty() {
            draft.in_body = true;
            continue;
        }
        let Some((name, value)) = trimmed.split_once(':') else {
            return fail(
                index,
                format!(
                    "expected a header `Name: value` or a blank line before the body, found {trimmed:?}"
                ),
            );
        };
        if name.is_empty() || !name.chars().all(is_header_char) {
            return fail(
                index,
                format!("header name {name:?} has characters a header name cannot have"),
            );
        }
        let request = draft.request.as_mut().expect("checked above");
        request
            .headers
            .push((name.to_owned(), value.trim().to_owned()));
    }
    finish(&mut file, draft);

    if file.requests.is_empty() {
        return fail(
            0,
            "the block has no request (expected a line like `GET {{baseUrl}}/healthz`)".into(),
        );
    }
    check_variables(text, &file)?;
    Ok(file)
}

fn finish(file: &mut HttpFile, draft: Draft) {
    let Some(mut request) = draft.request else {
        return;
    };
    let body = draft.body.join("\n");
    let body = body.trim_matches('\n');
    request.body = (!body.trim().is_empty()).then(|| body.to_owned());
    request.name = draft.name;
    request.title = draft.title;
    file.requests.push(request);
}

fn request_line(line: &str, index: usize) -> Result<HttpRequest, HttpError> {
    let mut words = line.split_whitespace();
    let method = words.next().unwrap_or_default();
    let url = words.next().unwrap_or_default();
    let version = words.next();
    let fail = |message: String| {
        Err(HttpError {
            line: index,
            message,
        })
    };
    if !METHODS.contains(&method) {
        return fail(format!(
            "{method:?} is not an HTTP method; expected one of {}",
            METHODS.join(", ")
        ));
    }
    if url.is_empty() {
        return fail(format!("{method} needs a URL"));
    }
    if !(url.starts_with("http://") || url.starts_with("https://") || url.starts_with("{{")) {
        return fail(format!(
            "URL {url:?} must start with http://, https:// or a variable such as {{{{baseUrl}}}}"
        ));
    }
    if let Some(version) = version
        && !version.starts_with("HTTP/")
    {
        return fail(format!(
            "unexpected {version:?} after the URL; only an HTTP version may follow it"
        ));
    }
    if words.next().is_some() {
        return fail("the request line has extra words after the HTTP version".into());
    }
    Ok(HttpRequest {
        name: None,
        title: None,
        method: method.to_owned(),
        url: url.to_owned(),
        headers: Vec::new(),
        body: None,
        line: index,
    })
}

/// Every `{{name}}` must be built in, defined in the block, a dynamic `$` variable, or a
/// reference to the response of a request named earlier.
fn check_variables(text: &str, file: &HttpFile) -> Result<(), HttpError> {
    let defined: BTreeSet<&str> = file.variables.iter().map(|(k, _)| k.as_str()).collect();
    for (index, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(start) = rest.find("{{") {
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else {
                return Err(HttpError {
                    line: index,
                    message: "`{{` is never closed with `}}`".into(),
                });
            };
            let name = after[..end].trim();
            let named_before = |request: &str| {
                file.requests
                    .iter()
                    .any(|r| r.name.as_deref() == Some(request) && r.line < index)
            };
            let known = BUILT_IN_VARIABLES.contains(&name)
                || defined.contains(name)
                || name.starts_with('$')
                || name
                    .split_once(".response.")
                    .is_some_and(|(request, _)| named_before(request));
            if !known {
                return Err(HttpError {
                    line: index,
                    message: format!(
                        "unknown variable {{{{{name}}}}}: define it with `@{name} = ...` or name an earlier request"
                    ),
                });
            }
            rest = &after[end + 2..];
        }
    }
    Ok(())
}

fn is_identifier(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn is_header_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_requests_headers_bodies_and_captures() {
        let text = "@password = hunter2\n\n### Log in\n# @name login\nPOST {{baseUrl}}/api/v1/auth/login\nContent-Type: application/json\n\n{\"password\": \"{{password}}\"}\n\n### Profile\nGET {{baseUrl}}/api/v1/me\nAuthorization: Bearer {{login.response.body.$.token}}\n";
        let file = parse(text).expect("parses");
        assert_eq!(file.variables, vec![("password".into(), "hunter2".into())]);
        assert_eq!(file.requests.len(), 2);
        let login = &file.requests[0];
        assert_eq!(login.name.as_deref(), Some("login"));
        assert_eq!(login.title.as_deref(), Some("Log in"));
        assert_eq!(
            login.body.as_deref(),
            Some("{\"password\": \"{{password}}\"}")
        );
        assert_eq!(file.requests[1].headers[0].0, "Authorization");
        assert_eq!(file.requests[1].line, 10);
    }

    #[test]
    fn rejects_a_bad_method_with_its_line() {
        let error = parse("\nFETCH {{baseUrl}}/x\n").expect_err("bad method");
        assert_eq!(error.line, 1);
        assert!(
            error.message.contains("\"FETCH\" is not an HTTP method"),
            "{}",
            error.message
        );
    }

    #[test]
    fn rejects_a_capture_from_a_request_that_comes_later() {
        let text = "GET {{baseUrl}}/a\nAuthorization: {{login.response.body.token}}\n###\n# @name login\nPOST {{baseUrl}}/login\n";
        let error = parse(text).expect_err("capture before its request");
        assert_eq!(error.line, 1);
        assert!(
            error
                .message
                .contains("unknown variable {{login.response.body.token}}")
        );
    }

    #[test]
    fn rejects_a_header_line_without_a_colon() {
        let error = parse("GET {{baseUrl}}/a\nnot a header\n").expect_err("bad header");
        assert!(
            error.message.contains("expected a header"),
            "{}",
            error.message
        );
    }
}
