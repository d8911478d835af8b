//! One topic as a Markdown file: its sections as written, with every `rust region=NAME`
//! fence filled with the sandbox source it stands for.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use dojo_content::regions::Region;
use dojo_content::{Library, SectionKind};
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag};

use crate::Result;
use crate::selection::find_topic;

/// Topic `id` as Markdown: a title, a line of facts, then each section under its `##`
/// heading.
pub fn topic_markdown(library: &Library, id: u32) -> Result<String> {
    let topic = find_topic(library, id)?;
    let front = &topic.front;
    let mut out = String::new();
    let _ = writeln!(out, "# {}. {}\n", front.id, front.title);
    let _ = writeln!(
        out,
        "{} · {} · {}{}\n",
        front.group.title(),
        front.difficulty.key(),
        front.tags.join(", "),
        if front.status.key() == "outline" {
            " · outline (more is being written)"
        } else {
            ""
        }
    );
    for kind in SectionKind::ALL {
        let Some(section) = topic.section(kind) else {
            continue;
        };
        let _ = writeln!(out, "## {}\n", kind.heading());
        out.push_str(expand_regions(&section.markdown, library.regions()).trim_end());
        out.push_str("\n\n");
    }
    Ok(out.trim_end().to_owned() + "\n")
}

/// The Markdown with each region fence replaced by a plain `rust` fence holding the region's
/// code, its first line a comment naming the file and line it comes from.
fn expand_regions(markdown: &str, regions: &BTreeMap<String, Region>) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut copied = 0;
    for (event, range) in Parser::new_ext(markdown, Options::empty()).into_offset_iter() {
        let Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) = event else {
            continue;
        };
        let mut words = info.split_whitespace();
        let lang = words.next().unwrap_or("");
        let Some(name) = words
            .find_map(|w| w.strip_prefix("region="))
            .map(|n| n.trim_matches('"'))
        else {
            continue;
        };
        out.push_str(&markdown[copied..range.start]);
        match regions.get(name) {
            Some(region) => {
                let _ = write!(
                    out,
                    "```{lang}\n// {}, from line {}\n{}```",
                    region.file, region.first_line, region.code
                );
            }
            None => {
                let _ = write!(
                    out,
                    "```{lang}\n// source region {name} is not in this build\n```"
                );
            }
        }
        // The block's range may or may not take the newline after the closing fence.
        if markdown[range.clone()].ends_with('\n') {
            out.push('\n');
        }
        copied = range.end;
    }
    out.push_str(&markdown[copied..]);
    out
}

/// The Markdown with every fenced block of language `lang` cut out (the prose around them).
pub(crate) fn without_fences(markdown: &str, lang: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut copied = 0;
    for (event, range) in Parser::new_ext(markdown, Options::empty()).into_offset_iter() {
        let Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) = event else {
            continue;
        };
        if info.split_whitespace().next() != Some(lang) {
            continue;
        }
        out.push_str(&markdown[copied..range.start]);
        copied = range.end;
    }
    out.push_str(&markdown[copied..]);
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_fences_are_filled_and_other_fences_kept() {
        let mut regions = BTreeMap::new();
        regions.insert(
            "hello".to_owned(),
            Region {
                file: "crates/sandbox/src/a.rs".into(),
                first_line: 4,
                code: "fn hello() {}\n".into(),
            },
        );
        let markdown = "Before.\n\n```rust region=hello\n```\n\n```js\nlet a = 1;\n```\n";
        assert_eq!(
            expand_regions(markdown, &regions),
            "Before.\n\n```rust\n// crates/sandbox/src/a.rs, from line 4\nfn hello() {}\n```\n\n```js\nlet a = 1;\n```\n"
        );
    }
}
