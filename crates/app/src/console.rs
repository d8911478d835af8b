//! The request console: sends a topic's "Try it" requests (or the learner's edits of them)
//! with a cookie jar, filling `{{variables}}` from the topic's `.http` definitions and from
//! the responses of earlier named requests, the way REST Client does.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use dojo_sandbox::TOOLING_TOKEN_HEADER;

use crate::sandbox::SandboxLink;
use crate::traffic::TraceView;
use crate::{Error, Result};

/// A request as the UI sends it: templates unresolved.
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct ConsoleRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// Remember the response under this name for later `{{name.response...}}`.
    pub name: Option<String>,
    /// `@name = value` definitions of the topic.
    pub variables: Vec<(String, String)>,
}

/// What came back.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ConsoleResponse {
    pub status: u16,
    pub status_text: String,
    pub headers: Vec<(String, String)>,
    /// Pretty-printed when it is JSON.
    pub body: String,
    pub pretty: bool,
    pub duration_ms: f64,
    pub request_id: Option<String>,
    pub resolved_url: String,
    pub trace: Option<TraceView>,
}

/// The answer of a named request, kept for captures.
#[derive(Debug, Clone)]
struct Remembered {
    headers: Vec<(String, String)>,
    json: Option<serde_json::Value>,
}

/// The most of a non-JSON body (and, for uploads, of any body) shown as text.
pub(crate) const MAX_BODY_SHOWN: usize = 256 * 1024;

#[derive(Debug)]
pub struct Console {
    client: reqwest::Client,
    remembered: Mutex<HashMap<String, Remembered>>,
}

impl Default for Console {
    fn default() -> Self {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_default();
        Console {
            client,
            remembered: Mutex::new(HashMap::new()),
        }
    }
}

impl Console {
    /// Resolves and sends one request. The sandbox's address fills `{{baseUrl}}`; a request
    /// to its `/_dojo/` tooling carries the launch token.
    pub(crate) async fn send(
        &self,
        request: &ConsoleRequest,
        sandbox: Option<&SandboxLink>,
    ) -> Result<(ConsoleResponse, Option<String>)> {
        let base_url = sandbox.map(|link| link.base_url.as_str());
        let resolve = |text: &str| self.resolve(text, &request.variables, base_url);
        let url = resolve(&request.url)?;
        let method =
            reqwest::Method::from_bytes(request.method.trim().to_ascii_uppercase().as_bytes())
                .map_err(|_| {
                    Error::Console(format!("{:?} is not an HTTP method", request.method))
                })?;
        let parsed = reqwest::Url::parse(&url)
            .map_err(|e| Error::Console(format!("{url:?} is not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::Console(format!(
                "only http and https URLs can be sent, not {}",
                parsed.scheme()
            )));
        }
        let mut builder = self.client.request(method, parsed);
        for (name, value) in &request.headers {
            if name.trim().is_empty() {
                continue;
            }
            builder = builder.header(name.trim(), resolve(value)?);
        }
        if let Some(link) = sandbox.filter(|link| link.is_tooling(&url))
            && !request
                .headers
                .iter()
                .any(|(name, _)| name.trim().eq_ignore_ascii_case(TOOLING_TOKEN_HEADER))
        {
            builder = builder.header(TOOLING_TOKEN_HEADER, &link.tooling_token);
        }
        if let Some(body) = &request.body {
            builder = builder.body(resolve(body)?);
        }
        let started = Instant::now();
        let Received {
            status,
            headers,
            bytes,
        } = receive(builder, &url).await?;
        let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        let json: Option<serde_json::Value> = serde_json::from_slice(&bytes).ok();
        let (body, pretty) = match &json {
            Some(value) => (
                serde_json::to_string_pretty(value).unwrap_or_default(),
                true,
            ),
            None => {
                let shown = &bytes[..bytes.len().min(MAX_BODY_SHOWN)];
                (String::from_utf8_lossy(shown).into_owned(), false)
            }
        };
        let request_id = request_id_of(&headers);
        if let Some(name) = &request.name {
            let mut remembered = self.remembered.lock().unwrap_or_else(|p| p.into_inner());
            remembered.insert(
                name.clone(),
                Remembered {
                    headers: headers.clone(),
                    json,
                },
            );
        }
        let answer = ConsoleResponse {
            status: status.as_u16(),
            status_text: status.canonical_reason().unwrap_or("").to_owned(),
            headers,
            body,
            pretty,
            duration_ms,
            request_id: request_id.clone(),
            resolved_url: url,
            trace: None,
        };
        Ok((answer, request_id))
    }

    /// Forgets captured responses and cookies' owners (a fresh start for a topic).
    pub fn forget(&self) {
        self.remembered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    fn resolve(
        &self,
        text: &str,
        variables: &[(String, String)],
        base_url: Option<&str>,
    ) -> Result<String> {
        self.resolve_at(text, variables, base_url, 0)
    }

    /// Fills every `{{name}}` of `text`; `depth` counts how many variable definitions deep
    /// this text is, so a definition that refers to itself stops.
    fn resolve_at(
        &self,
        text: &str,
        variables: &[(String, String)],
        base_url: Option<&str>,
        depth: u8,
    ) -> Result<String> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .ok_or_else(|| Error::Console("`{{` is never closed with `}}`".into()))?;
            out.push_str(&self.value_of(after[..end].trim(), variables, base_url, depth)?);
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn value_of(
        &self,
        name: &str,
        variables: &[(String, String)],
        base_url: Option<&str>,
        depth: u8,
    ) -> Result<String> {
        if name == "baseUrl" {
            return base_url
                .map(|u| u.trim_end_matches('/').to_owned())
                .ok_or_else(|| {
                    Error::Console("{{baseUrl}} needs the sandbox, which is not running".into())
                });
        }
        match name {
            "$uuid" => return Ok(uuid::Uuid::new_v4().to_string()),
            "$timestamp" => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                return Ok(now.to_string());
            }
            _ => {}
        }
        if let Some((_, value)) = variables.iter().find(|(k, _)| k == name) {
            if depth > 4 {
                return Err(Error::Console(format!(
                    "variable {{{{{name}}}}} refers to itself"
                )));
            }
            // A definition may use other variables.
            return self.resolve_at(value, variables, base_url, depth + 1);
        }
        if let Some((request, path)) = name.split_once(".response.") {
            let remembered = self.remembered.lock().unwrap_or_else(|p| p.into_inner());
            let Some(answer) = remembered.get(request) else {
                return Err(Error::Console(format!(
                    "{{{{{name}}}}} needs the response of the request named {request:?}: run that one first"
                )));
            };
            if let Some(header) = path.strip_prefix("headers.") {
                return answer
                    .headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(header))
                    .map(|(_, v)| v.clone())
                    .ok_or_else(|| {
                        Error::Console(format!(
                            "the response of {request:?} has no header {header:?}"
                        ))
                    });
            }
            if let Some(json_path) = path.strip_prefix("body.") {
                let json = answer.json.as_ref().ok_or_else(|| {
                    Error::Console(format!("the response of {request:?} was not JSON"))
                })?;
                return select(json, json_path).ok_or_else(|| {
                    Error::Console(format!(
                        "the response of {request:?} has nothing at {json_path}"
                    ))
                });
            }
        }
        Err(Error::Console(format!("unknown variable {{{{{name}}}}}")))
    }
}

/// A small JSONPath: `$`, `$.a.b`, `$.items[0].id`.
fn select(value: &serde_json::Value, path: &str) -> Option<String> {
    let path = path.strip_prefix('$').unwrap_or(path);
    let mut current = value;
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, indexes) = match part.find('[') {
            Some(at) => (&part[..at], &part[at..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            current = current.get(key)?;
        }
        for index in indexes.split('[').filter(|s| !s.is_empty()) {
            let index: usize = index.trim_end_matches(']').parse().ok()?;
            current = current.get(index)?;
        }
    }
    Some(match current {
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    })
}

/// An answer read whole: its status, its headers as text and its body.
pub(crate) struct Received {
    pub(crate) status: reqwest::StatusCode,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) bytes: Vec<u8>,
}

/// Sends `request` to `url` and reads the whole answer; a server that cannot be reached, or
/// stops halfway, is [`Error::Unreachable`] naming the URL and why.
pub(crate) async fn receive(request: reqwest::RequestBuilder, url: &str) -> Result<Received> {
    let unreachable =
        |error: reqwest::Error| Error::Unreachable(format!("{url}: {}", describe(&error)));
    let response = request.send().await.map_err(unreachable)?;
    let status = response.status();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let bytes = response.bytes().await.map_err(unreachable)?.to_vec();
    Ok(Received {
        status,
        headers,
        bytes,
    })
}

/// The `X-Request-Id` the sandbox gave an answer, which names its trace.
pub(crate) fn request_id_of(headers: &[(String, String)]) -> Option<String> {
    headers
        .iter()
        .find(|(name, _)| name == "x-request-id")
        .map(|(_, value)| value.clone())
}

fn describe(error: &reqwest::Error) -> String {
    if error.is_connect() {
        "nothing is listening there (connection refused)".into()
    } else if error.is_timeout() {
        "no answer within 30 s".into()
    } else {
        error.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::{Console, select};

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn definitions_may_use_other_variables_and_the_base_url() {
        let console = Console::default();
        let variables = vars(&[
            ("login", "{{baseUrl}}/api/v1/auth/{{verb}}"),
            ("verb", "login"),
        ]);
        let url = console
            .resolve("{{login}}?x=1", &variables, Some("http://127.0.0.1:9/"))
            .expect("resolves");
        assert_eq!(url, "http://127.0.0.1:9/api/v1/auth/login?x=1");
    }

    #[test]
    fn a_definition_that_refers_to_itself_is_refused() {
        let console = Console::default();
        let error = console
            .resolve("{{a}}", &vars(&[("a", "{{a}}")]), None)
            .expect_err("loops");
        assert!(error.to_string().contains("refers to itself"), "{error}");
    }

    #[test]
    fn selects_nested_fields_and_array_items() {
        let value = serde_json::json!({"a": {"b": [{"id": 7}, {"id": "x"}]}, "t": "tok"});
        assert_eq!(select(&value, "$.t").as_deref(), Some("tok"));
        assert_eq!(select(&value, "$.a.b[0].id").as_deref(), Some("7"));
        assert_eq!(select(&value, "$.a.b[1].id").as_deref(), Some("x"));
        assert_eq!(select(&value, "$.missing"), None);
    }
}
