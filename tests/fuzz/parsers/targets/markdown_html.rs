//! Any Markdown a learner writes in a note, rendered to HTML: nothing live comes out. Every
//! tag is one the renderer makes on purpose, no tag carries an event handler, and no link
//! or image points at a script.

#![no_main]

use std::collections::BTreeMap;

use dojo_content::render::to_html;
use libfuzzer_sys::fuzz_target;

/// The elements Markdown rendering produces.
const ALLOWED: &[&str] = &[
    "a", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "img", "li", "ol", "p", "pre", "span", "strong", "table", "tbody", "td", "th",
    "thead", "tr", "ul",
];

fuzz_target!(|data: &[u8]| {
    let Ok(markdown) = std::str::from_utf8(data) else {
        return;
    };
    let html = to_html(markdown, &BTreeMap::new());
    for tag in tags(&html) {
        check_tag(tag, &html);
    }
});

/// The tags of the HTML, each from `<` to its `>`; escaped text holds no `<`.
fn tags(html: &str) -> impl Iterator<Item = &str> {
    html.match_indices('<').map(|(at, _)| {
        let rest = &html[at..];
        rest.find('>').map_or(rest, |end| &rest[..=end])
    })
}

fn check_tag(tag: &str, html: &str) {
    let inner = tag.trim_start_matches('<');
    let closing = inner.starts_with('/');
    let inner = inner.trim_start_matches('/');
    let name_len = inner
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(inner.len());
    let name = inner[..name_len].to_ascii_lowercase();
    assert!(ALLOWED.contains(&name.as_str()), "unexpected element {tag:?} in {html}");
    if closing {
        return;
    }
    for (attribute, value) in attributes(&inner[name_len..]) {
        let attribute = attribute.to_ascii_lowercase();
        assert!(!attribute.starts_with("on"), "event handler in {tag:?} of {html}");
        if matches!(attribute.as_str(), "href" | "src") {
            let value = value.trim().to_ascii_lowercase();
            for scheme in ["javascript:", "vbscript:", "data:"] {
                assert!(!value.starts_with(scheme), "{scheme} address in {tag:?} of {html}");
            }
        }
    }
}

/// The `name="value"` pairs after a tag's name, read the way a browser reads them:
/// quoted values may hold spaces and `>`-free text, unquoted ones end at whitespace.
fn attributes(mut rest: &str) -> Vec<(&str, &str)> {
    let mut found = Vec::new();
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        if rest.is_empty() || rest.starts_with('>') {
            return found;
        }
        let name_end = rest
            .find(|c: char| c.is_whitespace() || matches!(c, '=' | '>' | '/'))
            .unwrap_or(rest.len());
        let name = &rest[..name_end];
        rest = rest[name_end..].trim_start();
        let Some(after_equals) = rest.strip_prefix('=') else {
            found.push((name, ""));
            continue;
        };
        let after_equals = after_equals.trim_start();
        let (value, remainder) = match after_equals.chars().next() {
            Some(quote @ ('"' | '\'')) => {
                let body = &after_equals[1..];
                let end = body.find(quote).unwrap_or(body.len());
                (&body[..end], body.get(end + 1..).unwrap_or(""))
            }
            _ => {
                let end = after_equals
                    .find(|c: char| c.is_whitespace() || c == '>')
                    .unwrap_or(after_equals.len());
                (&after_equals[..end], &after_equals[end..])
            }
        };
        found.push((name, value));
        rest = remainder;
    }
}
