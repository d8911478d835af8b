//! Renders section Markdown to HTML for the app and to plain text for the terminal.
//!
//! Raw HTML in Markdown is shown as text, never passed through, and links keep only safe
//! schemes, so rendered output can be inserted into the page as it is.

use std::collections::BTreeMap;

use pulldown_cmark::{
    CodeBlockKind, CowStr, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd,
};

use crate::highlight::{escape, highlight};
use crate::regions::Region;

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}

/// Markdown to HTML; code fences are highlighted, `rust region=NAME` fences are replaced
/// by that region of the sandbox or storage source.
pub fn to_html(markdown: &str, regions: &BTreeMap<String, Region>) -> String {
    let mut events = Vec::new();
    let mut code: Option<(String, String)> = None; // (info string, body)
    let mut in_unsafe_link = false;
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let info = match kind {
                    CodeBlockKind::Fenced(info) => info.to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                code = Some((info, String::new()));
            }
            Event::Text(text) if code.is_some() => {
                code.as_mut()
                    .expect("inside a code block")
                    .1
                    .push_str(&text);
            }
            Event::End(TagEnd::CodeBlock) => {
                let (info, body) = code.take().unwrap_or_default();
                events.push(Event::Html(CowStr::from(code_block_html(
                    &info, &body, regions,
                ))));
            }
            Event::Html(html) | Event::InlineHtml(html) => events.push(Event::Text(html)),
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                // A link to a `javascript:` (or other unsafe) address keeps its text and
                // loses the link: nothing to click. Links never nest, so one flag does.
                if !is_safe_url(&dest_url) {
                    in_unsafe_link = true;
                    continue;
                }
                events.push(Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }));
            }
            Event::Start(Tag::Image {
                dest_url,
                title,
                id,
                ..
            }) if !is_safe_url(&dest_url) => {
                let _ = (title, id);
                events.push(Event::Start(Tag::Image {
                    link_type: LinkType::Inline,
                    dest_url: CowStr::from(""),
                    title: CowStr::from(""),
                    id: CowStr::from(""),
                }));
            }
            Event::End(TagEnd::Link) if in_unsafe_link => in_unsafe_link = false,
            other => events.push(other),
        }
    }
    let mut html = String::with_capacity(markdown.len() * 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    html
}

fn code_block_html(info: &str, body: &str, regions: &BTreeMap<String, Region>) -> String {
    let mut words = info.split_whitespace();
    let lang = words.next().unwrap_or("");
    let region_name = words
        .find_map(|w| w.strip_prefix("region="))
        .map(|n| n.trim_matches('"'));
    if let Some(name) = region_name {
        return match regions.get(name) {
            Some(region) => format!(
                "<pre class=\"code hl-code\" data-lang=\"{}\" data-region=\"{}\" data-file=\"{}\" data-first-line=\"{}\"><code>{}</code></pre>\n",
                escape(lang),
                escape(name),
                escape(&region.file),
                region.first_line,
                highlight(&region.code, lang)
            ),
            None => format!(
                "<p class=\"missing-region\">Source region {} is not in this build.</p>\n",
                escape(name)
            ),
        };
    }
    format!(
        "<pre class=\"code hl-code\" data-lang=\"{}\"><code>{}</code></pre>\n",
        escape(lang),
        highlight(body, lang)
    )
}

fn is_safe_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    match lower.split_once(':') {
        Some((scheme, _))
            if !scheme.contains('/') && !scheme.contains('#') && !scheme.contains('?') =>
        {
            matches!(scheme, "http" | "https" | "mailto")
        }
        _ => true,
    }
}

/// Markdown to plain text for `dojo show`: headings underlined, lists bulleted, code
/// indented, paragraphs separated by blank lines.
pub fn to_terminal(markdown: &str, regions: &BTreeMap<String, Region>) -> String {
    let mut out = String::new();
    let mut list_depth = 0usize;
    let mut heading: Option<HeadingLevel> = None;
    let mut heading_text = String::new();
    let mut code: Option<String> = None;
    let mut code_info = String::new();
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                heading = Some(level);
                heading_text.clear();
            }
            Event::End(TagEnd::Heading(_)) => {
                out.push_str(&heading_text);
                out.push('\n');
                if heading == Some(HeadingLevel::H2) {
                    out.push_str(&"=".repeat(heading_text.chars().count()));
                    out.push('\n');
                }
                out.push('\n');
                heading = None;
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                code_info = match kind {
                    CodeBlockKind::Fenced(info) => info.to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                code = Some(String::new());
            }
            Event::End(TagEnd::CodeBlock) => {
                let mut body = code.take().unwrap_or_default();
                if let Some(name) = code_info
                    .split_whitespace()
                    .find_map(|w| w.strip_prefix("region="))
                {
                    body = regions
                        .get(name)
                        .map(|r| r.code.clone())
                        .unwrap_or_default();
                }
                for line in body.lines() {
                    out.push_str("    ");
                    out.push_str(line);
                    out.push('\n');
                }
                out.push('\n');
            }
            Event::Start(Tag::List(_)) => list_depth += 1,
            Event::End(TagEnd::List(_)) => {
                list_depth = list_depth.saturating_sub(1);
                if list_depth == 0 {
                    out.push('\n');
                }
            }
            Event::Start(Tag::Item) => {
                out.push_str(&"  ".repeat(list_depth.saturating_sub(1)));
                out.push_str("- ");
            }
            Event::End(TagEnd::Item) if !out.ends_with('\n') => out.push('\n'),
            Event::End(TagEnd::Paragraph) => {
                out.push_str(if list_depth > 0 { "\n" } else { "\n\n" })
            }
            Event::Text(text) | Event::Code(text) | Event::Html(text) | Event::InlineHtml(text) => {
                if let Some(body) = code.as_mut() {
                    body.push_str(&text);
                } else if heading.is_some() {
                    heading_text.push_str(&text);
                } else {
                    out.push_str(&text);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                out.push(if heading.is_some() { ' ' } else { '\n' })
            }
            _ => {}
        }
    }
    out.trim_end().to_owned() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_regions() -> BTreeMap<String, Region> {
        BTreeMap::new()
    }

    #[test]
    fn raw_html_and_script_links_are_neutralised() {
        let html = to_html(
            "<script>alert(1)</script>\n\n[x](javascript:alert(1)) [ok](https://a.test)",
            &no_regions(),
        );
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(
            html.contains("<p>x <a href"),
            "the unsafe link is text only: {html}"
        );
        assert!(!html.contains("javascript"), "{html}");
        assert!(html.contains("<a href=\"https://a.test\">ok</a>"), "{html}");
    }

    #[test]
    fn region_fences_show_the_sandbox_source() {
        let mut regions = no_regions();
        regions.insert(
            "hello".into(),
            Region {
                file: "crates/sandbox/src/hello.rs".into(),
                first_line: 7,
                code: "fn hello() {}\n".into(),
            },
        );
        let html = to_html("```rust region=hello\n```\n", &regions);
        assert!(
            html.contains("data-file=\"crates/sandbox/src/hello.rs\" data-first-line=\"7\""),
            "{html}"
        );
        assert!(html.contains("hl-entity hl-name hl-function"), "{html}");
    }

    #[test]
    fn terminal_text_bullets_lists_and_indents_code() {
        let text = to_terminal(
            "Intro.\n\n- one\n- two\n\n```js\nlet a = 1;\n```\n",
            &no_regions(),
        );
        assert_eq!(text, "Intro.\n\n- one\n- two\n\n    let a = 1;\n");
    }
}
