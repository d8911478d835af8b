//! Structured logging (topic 19): each request becomes one JSON object with named, typed
//! fields (time, level, request id, method, path, status, latency, the caller), and
//! everything that could carry a secret is redacted before it is written: credential
//! headers, and password, token and secret members of query strings and JSON bodies.
//!
//! The access logger (`logger.rs`) captures the request and calls [`headers`], [`query`]
//! and [`json_body`] here; `/_dojo/logs` serves the lines as a JSON array, or as JSON Lines
//! (`?format=jsonl`), one object per line as a log shipper would read them from stdout.
//! The "logs-unredacted" switch turns redaction off, so the learner sees the leak.
//!
//! Try it: `curl -s 'http://127.0.0.1:PORT/_dojo/logs?format=jsonl&limit=5'`

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use serde::Serialize;
use serde_json::{Map, Value};

/// What a redacted value is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// How serious a line is. Requests are `info`, refused ones (4xx) `warn`, failed ones
/// (5xx, panics) `error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Info,
    Warn,
    Error,
}

impl Level {
    /// The level a request's final status deserves.
    pub fn of_status(status: u16) -> Level {
        match status {
            500.. => Level::Error,
            400..=499 => Level::Warn,
            _ => Level::Info,
        }
    }
}

// region: json-log-line
/// One request as one JSON object: the shape of every line of the log.
///
/// ```json
/// {"ts":"2026-05-12T10:15:04.211Z","level":"warn","msg":"request completed",
///  "request_id":"topic19-login","method":"POST","path":"/api/v1/auth/login",
///  "status":401,"latency_us":48213,
///  "fields":{"headers":{"content-type":"application/json"},
///            "body":{"email":"ada@dojo.test","password":"[REDACTED]"}}}
/// ```
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LogLine {
    /// When the request arrived, RFC 3339 in UTC with milliseconds.
    pub ts: String,
    pub level: Level,
    /// A constant message, so lines can be grouped and counted.
    pub msg: &'static str,
    /// The `X-Request-Id` of the answer, the `instance` of its problem details and the id
    /// of its trace: one value ties them together.
    pub request_id: String,
    pub method: String,
    /// The path only; the query string, redacted, is in `fields.query`.
    pub path: String,
    pub status: u16,
    pub latency_us: u64,
    /// The `sub` of the access token, when the request was authenticated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The request's details, redacted: `query`, `headers`, `body` (JSON bodies) and
    /// `response_headers` (only `Set-Cookie`).
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub fields: Map<String, Value>,
}

impl LogLine {
    /// The line as JSON Lines wants it: one object, no newline inside, then a newline.
    pub fn to_json_line(&self) -> String {
        // A line with only strings, numbers and maps always serializes.
        let mut line = serde_json::to_string(self).unwrap_or_default();
        line.push('\n');
        line
    }
}
// endregion

// region: log-redaction
/// Headers that carry credentials, whatever their value.
const SECRET_HEADERS: [&str; 6] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "x-dojo-token",
];

/// Words that mark a member or parameter name as secret, compared without case and without
/// `-`/`_`, so `access_token`, `newPassword` and `client-secret` all match.
const SECRET_WORDS: [&str; 8] = [
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "authorization",
    "cookie",
    "cardnumber",
];

/// True when a header, query parameter or JSON member of this name must not be logged.
pub fn is_secret_name(name: &str) -> bool {
    let folded: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    SECRET_WORDS.iter().any(|word| folded.contains(word))
}

fn is_secret_header(name: &HeaderName) -> bool {
    SECRET_HEADERS.contains(&name.as_str()) || is_secret_name(name.as_str())
}

/// The request headers to log, credentials replaced by `[REDACTED]` unless `reveal`.
pub fn headers(headers: &HeaderMap, reveal: bool) -> Vec<(HeaderName, HeaderValue)> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = if !reveal && is_secret_header(name) {
                HeaderValue::from_static(REDACTED)
            } else {
                value.clone()
            };
            (name.clone(), value)
        })
        .collect()
}

/// The query string to log: each secret parameter's value replaced by `[REDACTED]`
/// unless `reveal`. Names are percent-decoded before they are compared, so `pass%77ord=`
/// is caught too.
pub fn query(query: &str, reveal: bool) -> String {
    if reveal {
        return query.to_owned();
    }
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if is_secret_name(&percent_decode(name)) => {
                format!("{name}={REDACTED}")
            }
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A JSON body to log, with every secret member (at any depth) replaced by `[REDACTED]`
/// unless `reveal`.
pub fn json_body(mut body: Value, reveal: bool) -> Value {
    if !reveal {
        redact_members(&mut body);
    }
    body
}

fn redact_members(value: &mut Value) {
    match value {
        Value::Object(members) => {
            for (name, member) in members.iter_mut() {
                if is_secret_name(name) {
                    *member = Value::String(REDACTED.to_owned());
                } else {
                    redact_members(member);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_members),
        _ => {}
    }
}
// endregion

/// `%XX` escapes and `+` decoded; anything malformed is kept as it is.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => decoded.push(b' '),
            b'%' if index + 2 < bytes.len() => {
                match (hex(bytes[index + 1]), hex(bytes[index + 2])) {
                    (Some(high), Some(low)) => {
                        decoded.push(high * 16 + low);
                        index += 2;
                    }
                    _ => decoded.push(b'%'),
                }
            }
            byte => decoded.push(byte),
        }
        index += 1;
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

fn hex(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// Milliseconds since the Unix epoch as RFC 3339 in UTC, e.g. `2026-05-12T10:15:04.211Z`.
pub fn rfc3339_millis(unix_ms: u64) -> String {
    let millis = unix_ms % 1000;
    let seconds = unix_ms / 1000;
    let (hour, minute, second) = (seconds / 3600 % 24, seconds / 60 % 60, seconds % 60);
    let (year, month, day) = civil_date(seconds / 86_400);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{millis:03}Z")
}

/// The calendar date of a day count since 1970-01-01 (proleptic Gregorian), counted in
/// 400-year eras that start on 1 March, so the leap day falls at the end of a year.
fn civil_date(days: u64) -> (u64, u64, u64) {
    let shifted = days + 719_468; // days from 0000-03-01 to 1970-01-01
    let era = shifted / 146_097;
    let day_of_era = shifted % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc_with_milliseconds() {
        assert_eq!(rfc3339_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_millis(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(
            rfc3339_millis(1_767_225_599_999),
            "2025-12-31T23:59:59.999Z"
        );
        assert_eq!(
            rfc3339_millis(1_778_580_904_211),
            "2026-05-12T10:15:04.211Z"
        );
        assert_eq!(
            rfc3339_millis(4_107_542_400_000),
            "2100-03-01T00:00:00.000Z"
        );
    }

    #[test]
    fn secret_names_are_found_whatever_their_spelling() {
        for name in [
            "password",
            "newPassword",
            "access_token",
            "refresh-token",
            "client_secret",
            "API-Key",
            "Authorization",
            "card_number",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in ["email", "name", "ms", "age", "page", "accept"] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn credential_headers_are_redacted_and_the_rest_kept() {
        let mut map = HeaderMap::new();
        map.insert(
            "authorization",
            HeaderValue::from_static("Bearer eyJhbGciOi.secret.sig"),
        );
        map.insert("cookie", HeaderValue::from_static("sid=abc123"));
        map.insert("x-csrf-token", HeaderValue::from_static("t0k3n"));
        map.insert("user-agent", HeaderValue::from_static("curl/8.5.0"));
        let logged = headers(&map, false);
        let value = |name: &str| {
            logged
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.to_str().expect("ascii").to_owned())
        };
        assert_eq!(value("authorization").as_deref(), Some(REDACTED));
        assert_eq!(value("cookie").as_deref(), Some(REDACTED));
        assert_eq!(value("x-csrf-token").as_deref(), Some(REDACTED));
        assert_eq!(value("user-agent").as_deref(), Some("curl/8.5.0"));

        let revealed = headers(&map, true);
        assert!(
            revealed
                .iter()
                .any(|(n, v)| n == "authorization" && v == "Bearer eyJhbGciOi.secret.sig")
        );
    }

    #[test]
    fn set_cookie_is_a_secret_header() {
        let mut map = HeaderMap::new();
        map.append("set-cookie", HeaderValue::from_static("sid=abc; HttpOnly"));
        map.append("set-cookie", HeaderValue::from_static("theme=dark"));
        let logged = headers(&map, false);
        assert_eq!(logged.len(), 2);
        assert!(logged.iter().all(|(_, v)| v == REDACTED), "{logged:?}");
    }

    #[test]
    fn query_secrets_are_redacted_even_when_percent_encoded() {
        assert_eq!(
            query("ms=20&access_token=abc.def", false),
            "ms=20&access_token=[REDACTED]"
        );
        assert_eq!(
            query("pass%77ord=hunter2&x=1", false),
            "pass%77ord=[REDACTED]&x=1"
        );
        assert_eq!(
            query("api+key=k&flag&token", false),
            "api+key=[REDACTED]&flag&token"
        );
        assert_eq!(query("bad%zz=1&%", false), "bad%zz=1&%");
        assert_eq!(query("token=abc", true), "token=abc");
    }

    #[test]
    fn json_secrets_are_redacted_at_any_depth() {
        let body = serde_json::json!({
            "email": "ada@dojo.test",
            "password": "correct-horse-battery",
            "profile": { "apiKey": 42, "tokens": ["a", "b"], "bio": "hi" },
            "devices": [{ "push_token": "xyz", "model": "phone" }],
        });
        let logged = json_body(body.clone(), false);
        assert_eq!(
            logged,
            serde_json::json!({
                "email": "ada@dojo.test",
                "password": REDACTED,
                "profile": { "apiKey": REDACTED, "tokens": REDACTED, "bio": "hi" },
                "devices": [{ "push_token": REDACTED, "model": "phone" }],
            })
        );
        assert_eq!(json_body(body.clone(), true), body);
    }

    #[test]
    fn levels_follow_the_status() {
        assert_eq!(Level::of_status(200), Level::Info);
        assert_eq!(Level::of_status(304), Level::Info);
        assert_eq!(Level::of_status(401), Level::Warn);
        assert_eq!(Level::of_status(503), Level::Error);
    }

    #[test]
    fn a_json_line_is_one_line() {
        let mut fields = Map::new();
        fields.insert("body".into(), serde_json::json!({ "note": "two\nlines" }));
        let line = LogLine {
            ts: rfc3339_millis(0),
            level: Level::Info,
            msg: "request completed",
            request_id: "r1".into(),
            method: "POST".into(),
            path: "/api/v1/echo".into(),
            status: 200,
            latency_us: 12,
            user: None,
            fields,
        };
        let text = line.to_json_line();
        assert_eq!(text.matches('\n').count(), 1, "{text}");
        assert!(text.ends_with('\n'));
        let parsed: Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(parsed["body"], Value::Null, "fields stay under `fields`");
        assert_eq!(parsed["fields"]["body"]["note"], "two\nlines");
        assert!(parsed.get("user").is_none());
    }
}
