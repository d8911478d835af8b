//! A small, fast highlighter for the code in exported PDFs: it splits each line into
//! coloured runs (keywords, strings, comments, numbers, types, calls, macros, names).
//!
//! Typst's built-in highlighting runs full Sublime grammars and took most of the time of a
//! study guide (about three seconds for its 9,000 code lines); a lexer that knows just
//! enough of JavaScript, Rust, `.http`, JSON and a few configuration languages does the
//! same job for print in a few milliseconds.

use serde::Serialize;

/// What a run of code is, for its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) enum Kind {
    #[serde(rename = "")]
    Plain,
    #[serde(rename = "k")]
    Keyword,
    #[serde(rename = "s")]
    String,
    #[serde(rename = "c")]
    Comment,
    #[serde(rename = "n")]
    Number,
    #[serde(rename = "t")]
    Type,
    #[serde(rename = "f")]
    Function,
    /// Rust macros and attributes, `{{variables}}` in requests.
    #[serde(rename = "m")]
    Macro,
    /// Header names, `@variable` definitions, object keys.
    #[serde(rename = "p")]
    Property,
}

/// One line: how many spaces it is indented by, and its runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct CodeLine {
    pub(crate) indent: usize,
    pub(crate) runs: Vec<(Kind, String)>,
}

struct Language {
    line_comments: &'static [&'static str],
    block_comment: Option<(&'static str, &'static str)>,
    keywords: &'static [&'static str],
    /// Quotes whose strings may run over several lines (JavaScript's backtick).
    multiline_quotes: &'static [char],
    quotes: &'static [char],
    /// Raw strings, lifetimes, `name!` macros and `#[attributes]`.
    rust: bool,
    /// A string followed by `:` is an object key (JSON).
    keys: bool,
    /// Keywords match in any case (SQL).
    any_case: bool,
    /// Names followed by `(` are calls and capitalised names are types.
    names: bool,
}

const JS_KEYWORDS: &[&str] = &[
    "async",
    "await",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "default",
    "delete",
    "do",
    "else",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "import",
    "in",
    "instanceof",
    "let",
    "new",
    "null",
    "of",
    "return",
    "static",
    "super",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "undefined",
    "var",
    "void",
    "while",
    "yield",
];

const RUST_KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "false",
    "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe",
    "use", "where", "while",
];

const SQL_KEYWORDS: &[&str] = &[
    "select",
    "from",
    "where",
    "and",
    "or",
    "not",
    "null",
    "insert",
    "into",
    "values",
    "update",
    "set",
    "delete",
    "create",
    "table",
    "index",
    "on",
    "order",
    "by",
    "group",
    "limit",
    "offset",
    "join",
    "left",
    "inner",
    "as",
    "primary",
    "key",
    "unique",
    "references",
    "default",
    "desc",
    "asc",
    "is",
    "in",
    "exists",
    "returning",
    "begin",
    "commit",
];

const JSON_KEYWORDS: &[&str] = &["true", "false", "null"];

const JS: Language = Language {
    line_comments: &["//"],
    block_comment: Some(("/*", "*/")),
    keywords: JS_KEYWORDS,
    multiline_quotes: &['`'],
    quotes: &['\'', '"'],
    rust: false,
    keys: false,
    any_case: false,
    names: true,
};
const RUST: Language = Language {
    line_comments: &["//"],
    block_comment: Some(("/*", "*/")),
    keywords: RUST_KEYWORDS,
    multiline_quotes: &['"'],
    quotes: &[],
    rust: true,
    keys: false,
    any_case: false,
    names: true,
};
const JSON: Language = Language {
    line_comments: &[],
    block_comment: None,
    keywords: JSON_KEYWORDS,
    multiline_quotes: &[],
    quotes: &['"'],
    rust: false,
    keys: true,
    any_case: false,
    names: false,
};
const SQL: Language = Language {
    line_comments: &["--"],
    block_comment: Some(("/*", "*/")),
    keywords: SQL_KEYWORDS,
    multiline_quotes: &[],
    quotes: &['\''],
    rust: false,
    keys: false,
    any_case: true,
    names: false,
};
/// Dockerfiles, YAML, shell and anything else with `#` comments.
const HASH_COMMENTS: Language = Language {
    line_comments: &["#"],
    block_comment: None,
    keywords: JSON_KEYWORDS,
    multiline_quotes: &[],
    quotes: &['\'', '"'],
    rust: false,
    keys: false,
    any_case: false,
    names: false,
};
const PLAIN: Language = Language {
    line_comments: &[],
    block_comment: None,
    keywords: &[],
    multiline_quotes: &[],
    quotes: &[],
    rust: false,
    keys: false,
    any_case: false,
    names: false,
};

fn language(lang: &str) -> &'static Language {
    match lang {
        "js" | "javascript" | "ts" | "typescript" | "mjs" | "cjs" => &JS,
        "rust" | "rs" => &RUST,
        "json" => &JSON,
        "sql" => &SQL,
        "dockerfile" | "yaml" | "yml" | "toml" | "sh" | "bash" | "shell" | "hurl" => &HASH_COMMENTS,
        _ => &PLAIN,
    }
}

/// A construct left open at the end of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Nothing,
    BlockComment,
    String(char),
    /// A Rust raw string with this many `#`.
    RawString(usize),
}

/// Splits `code` (in `lang`, as a fence names it) into highlighted lines.
pub(crate) fn highlight(code: &str, lang: &str) -> Vec<CodeLine> {
    let code = code.strip_suffix('\n').unwrap_or(code);
    if lang == "http" {
        return highlight_http(code);
    }
    let language = language(lang);
    let mut open = Open::Nothing;
    code.lines()
        .map(|line| finish_line(line, lex_line(line, language, &mut open)))
        .collect()
}

fn finish_line(line: &str, runs: Vec<(Kind, String)>) -> CodeLine {
    let indent = line.chars().take_while(|c| *c == ' ').count();
    CodeLine { indent, runs }
}

/// Adds text to the runs, joining it to the last run of the same kind.
fn push(runs: &mut Vec<(Kind, String)>, kind: Kind, text: &str) {
    if text.is_empty() {
        return;
    }
    match runs.last_mut() {
        Some((last, existing)) if *last == kind => existing.push_str(text),
        _ => runs.push((kind, text.to_owned())),
    }
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '$'
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

fn lex_line(line: &str, language: &Language, open: &mut Open) -> Vec<(Kind, String)> {
    let mut runs = Vec::new();
    let mut rest = line;
    // Finish what the previous line left open.
    match *open {
        Open::Nothing => {}
        Open::BlockComment => {
            let end = language.block_comment.map_or("*/", |(_, end)| end);
            match rest.find(end) {
                Some(at) => {
                    push(&mut runs, Kind::Comment, &rest[..at + end.len()]);
                    rest = &rest[at + end.len()..];
                    *open = Open::Nothing;
                }
                None => {
                    push(&mut runs, Kind::Comment, rest);
                    return runs;
                }
            }
        }
        Open::String(quote) => {
            let (length, closed) = string_end(rest, quote);
            push(&mut runs, Kind::String, &rest[..length]);
            rest = &rest[length..];
            if !closed {
                return runs;
            }
            *open = Open::Nothing;
        }
        Open::RawString(hashes) => {
            let end = format!("\"{}", "#".repeat(hashes));
            match rest.find(&end) {
                Some(at) => {
                    push(&mut runs, Kind::String, &rest[..at + end.len()]);
                    rest = &rest[at + end.len()..];
                    *open = Open::Nothing;
                }
                None => {
                    push(&mut runs, Kind::String, rest);
                    return runs;
                }
            }
        }
    }
    while let Some(c) = rest.chars().next() {
        if language
            .line_comments
            .iter()
            .any(|start| rest.starts_with(start))
        {
            push(&mut runs, Kind::Comment, rest);
            return runs;
        }
        if let Some((start, end)) = language.block_comment
            && rest.starts_with(start)
        {
            match rest[start.len()..].find(end) {
                Some(at) => {
                    let length = start.len() + at + end.len();
                    push(&mut runs, Kind::Comment, &rest[..length]);
                    rest = &rest[length..];
                    continue;
                }
                None => {
                    push(&mut runs, Kind::Comment, rest);
                    *open = Open::BlockComment;
                    return runs;
                }
            }
        }
        if language.rust {
            if let Some((length, hashes)) = raw_string_start(rest) {
                let end = format!("\"{}", "#".repeat(hashes));
                match rest[length..].find(&end) {
                    Some(at) => {
                        let total = length + at + end.len();
                        push(&mut runs, Kind::String, &rest[..total]);
                        rest = &rest[total..];
                        continue;
                    }
                    None => {
                        push(&mut runs, Kind::String, rest);
                        *open = Open::RawString(hashes);
                        return runs;
                    }
                }
            }
            if c == '#' && (rest.starts_with("#[") || rest.starts_with("#![")) {
                let length = rest.find(']').map_or(rest.len(), |at| at + 1);
                push(&mut runs, Kind::Macro, &rest[..length]);
                rest = &rest[length..];
                continue;
            }
            if c == '\'' {
                let length = char_literal(rest).unwrap_or_else(|| lifetime(rest));
                let kind = if rest[..length].ends_with('\'') && length > 2 {
                    Kind::String
                } else {
                    Kind::Type
                };
                push(&mut runs, kind, &rest[..length]);
                rest = &rest[length..];
                continue;
            }
        }
        let multiline = language.multiline_quotes.contains(&c);
        if multiline || language.quotes.contains(&c) {
            let (length, closed) = string_end(&rest[1..], c);
            let total = 1 + length;
            // A string followed by `:` is an object key in JSON.
            let kind = if language.keys && is_key(&rest[total..]) {
                Kind::Property
            } else {
                Kind::String
            };
            push(&mut runs, kind, &rest[..total]);
            rest = &rest[total..];
            if !closed && multiline {
                *open = Open::String(c);
                return runs;
            }
            continue;
        }
        if c.is_ascii_digit() {
            let length = rest
                .find(|d: char| !(d.is_ascii_alphanumeric() || d == '_' || d == '.'))
                .unwrap_or(rest.len());
            push(&mut runs, Kind::Number, &rest[..length]);
            rest = &rest[length..];
            continue;
        }
        if is_ident_start(c) {
            let length = rest.find(|d: char| !is_ident(d)).unwrap_or(rest.len());
            let word = &rest[..length];
            let after = &rest[length..];
            let keyword = language.keywords.iter().any(|k| {
                if language.any_case {
                    k.eq_ignore_ascii_case(word)
                } else {
                    *k == word
                }
            });
            let kind = if keyword {
                Kind::Keyword
            } else if language.rust && after.starts_with('!') && !after.starts_with("!=") {
                push(&mut runs, Kind::Macro, word);
                push(&mut runs, Kind::Macro, "!");
                rest = &after[1..];
                continue;
            } else if language.names && after.starts_with('(') {
                Kind::Function
            } else if language.names && word.chars().next().is_some_and(char::is_uppercase) {
                Kind::Type
            } else {
                Kind::Plain
            };
            push(&mut runs, kind, word);
            rest = after;
            continue;
        }
        let length = c.len_utf8();
        push(&mut runs, Kind::Plain, &rest[..length]);
        rest = &rest[length..];
    }
    runs
}

fn is_key(after: &str) -> bool {
    after.trim_start().starts_with(':')
}

/// Where a string that opened before `text` ends: (bytes up to and including the closing
/// quote, or the whole text; whether it closed).
fn string_end(text: &str, quote: char) -> (usize, bool) {
    let mut escaped = false;
    for (index, c) in text.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == quote {
            return (index + c.len_utf8(), true);
        }
    }
    (text.len(), false)
}

/// `r"`, `r#"`, `br##"`...: the length of the opening and its number of `#`.
fn raw_string_start(text: &str) -> Option<(usize, usize)> {
    let after_b = text.strip_prefix('b').unwrap_or(text);
    let after_r = after_b.strip_prefix('r')?;
    let hashes = after_r.chars().take_while(|c| *c == '#').count();
    after_r[hashes..]
        .starts_with('"')
        .then(|| (text.len() - after_r.len() + hashes + 1, hashes))
}

/// A Rust character literal at the start of `text` (`'a'`, `'\n'`, `'\u{1F600}'`).
fn char_literal(text: &str) -> Option<usize> {
    let body = &text[1..];
    if let Some(escaped) = body.strip_prefix('\\') {
        let close = escaped.find('\'')?;
        return (close <= 10).then_some(1 + 1 + close + 1);
    }
    let c = body.chars().next()?;
    body[c.len_utf8()..]
        .starts_with('\'')
        .then(|| 1 + c.len_utf8() + 1)
}

/// A lifetime (`'a`, `'static`) or a lone quote.
fn lifetime(text: &str) -> usize {
    1 + text[1..]
        .find(|c: char| !is_ident(c))
        .unwrap_or(text.len() - 1)
}

/// `.http` requests: separators and comments, `@name = value`, the request line, header
/// names, and the body as JSON; `{{variables}}` stand out everywhere.
fn highlight_http(code: &str) -> Vec<CodeLine> {
    let mut in_body = false;
    let mut in_request = false;
    let mut open = Open::Nothing;
    let mut lines = Vec::new();
    for line in code.lines() {
        let trimmed = line.trim_start();
        let mut runs = Vec::new();
        if trimmed.starts_with("###") {
            in_body = false;
            in_request = false;
            push(&mut runs, Kind::Comment, line);
        } else if in_body {
            runs = with_variables(lex_line(line, &JSON, &mut open));
        } else if trimmed.starts_with('#') || trimmed.starts_with("//") {
            push(&mut runs, Kind::Comment, line);
        } else if trimmed.is_empty() {
            in_body = in_request;
        } else if !in_request && trimmed.starts_with('@') {
            let (name, value) = trimmed.split_once('=').unwrap_or((trimmed, ""));
            push(
                &mut runs,
                Kind::Property,
                &line[..line.len() - trimmed.len() + name.len()],
            );
            if trimmed.contains('=') {
                push(&mut runs, Kind::Plain, "=");
            }
            runs.extend(with_variables(vec![(Kind::String, value.to_owned())]));
        } else if !in_request {
            in_request = true;
            let (method, url) = trimmed.split_once(' ').unwrap_or((trimmed, ""));
            push(&mut runs, Kind::Keyword, method);
            push(&mut runs, Kind::Plain, " ");
            runs.extend(with_variables(vec![(Kind::Plain, url.to_owned())]));
        } else if let Some((name, value)) = line.split_once(':') {
            push(&mut runs, Kind::Property, name);
            push(&mut runs, Kind::Plain, ":");
            runs.extend(with_variables(vec![(Kind::Plain, value.to_owned())]));
        } else {
            runs = with_variables(vec![(Kind::Plain, line.to_owned())]);
        }
        lines.push(finish_line(line, runs));
    }
    lines
}

/// Splits `{{variables}}` out of the runs as their own macro-coloured runs.
fn with_variables(runs: Vec<(Kind, String)>) -> Vec<(Kind, String)> {
    let mut out = Vec::new();
    for (kind, text) in runs {
        let mut rest = text.as_str();
        while let Some(start) = rest.find("{{") {
            let Some(end) = rest[start..].find("}}") else {
                break;
            };
            push(&mut out, kind, &rest[..start]);
            push(&mut out, Kind::Macro, &rest[start..start + end + 2]);
            rest = &rest[start + end + 2..];
        }
        push(&mut out, kind, rest);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(code: &str, lang: &str) -> Vec<Vec<(Kind, String)>> {
        highlight(code, lang)
            .into_iter()
            .map(|line| line.runs)
            .collect()
    }

    fn run(kind: Kind, text: &str) -> (Kind, String) {
        (kind, text.to_owned())
    }

    #[test]
    fn javascript_keywords_strings_calls_and_comments() {
        let lines = runs(
            "const x = require('express'); // app\n  `multi\nline` + 1;\n",
            "js",
        );
        assert_eq!(
            lines[0],
            vec![
                run(Kind::Keyword, "const"),
                run(Kind::Plain, " x = "),
                run(Kind::Function, "require"),
                run(Kind::Plain, "("),
                run(Kind::String, "'express'"),
                run(Kind::Plain, "); "),
                run(Kind::Comment, "// app"),
            ]
        );
        assert_eq!(
            lines[1],
            vec![run(Kind::Plain, "  "), run(Kind::String, "`multi")]
        );
        assert_eq!(
            lines[2],
            vec![
                run(Kind::String, "line`"),
                run(Kind::Plain, " + "),
                run(Kind::Number, "1"),
                run(Kind::Plain, ";")
            ]
        );
    }

    #[test]
    fn rust_macros_attributes_lifetimes_chars_and_raw_strings() {
        let lines = runs(
            "#[derive(Debug)]\nfn a<'b>(c: &'b str) -> char { println!(r#\"x\"#); 'z' }\n",
            "rust",
        );
        assert_eq!(lines[0], vec![run(Kind::Macro, "#[derive(Debug)]")]);
        let second = &lines[1];
        assert!(second.contains(&run(Kind::Keyword, "fn")));
        assert!(second.contains(&run(Kind::Type, "'b")));
        assert!(second.contains(&run(Kind::Macro, "println!")));
        assert!(second.contains(&run(Kind::String, "r#\"x\"#")));
        assert!(second.contains(&run(Kind::String, "'z'")));
    }

    #[test]
    fn http_requests_headers_variables_and_json_bodies() {
        let lines = highlight(
            "### Log in\n# @name login\nPOST {{baseUrl}}/login\nContent-Type: application/json\n\n{\"email\": \"a\", \"n\": 2}\n",
            "http",
        );
        assert_eq!(lines[0].runs, vec![run(Kind::Comment, "### Log in")]);
        assert_eq!(
            lines[2].runs,
            vec![
                run(Kind::Keyword, "POST"),
                run(Kind::Plain, " "),
                run(Kind::Macro, "{{baseUrl}}"),
                run(Kind::Plain, "/login"),
            ]
        );
        assert_eq!(lines[3].runs[0], run(Kind::Property, "Content-Type"));
        assert!(lines[4].runs.is_empty());
        assert_eq!(lines[5].runs[1], run(Kind::Property, "\"email\""));
        assert!(lines[5].runs.contains(&run(Kind::Number, "2")));
    }

    #[test]
    fn every_character_is_kept_in_order() {
        let code = "fn x() { let s = \"a\\\"b\"; /* c */ }\n    indented(1.5e3)\n";
        for lang in ["rust", "js", "json", "sql", "yaml", "unknown", "http"] {
            let lines = highlight(code, lang);
            let joined: Vec<String> = lines
                .iter()
                .map(|l| l.runs.iter().map(|(_, t)| t.as_str()).collect())
                .collect();
            assert_eq!(joined.join("\n") + "\n", code, "{lang}");
        }
        assert_eq!(highlight(code, "rust")[1].indent, 4);
    }
}
