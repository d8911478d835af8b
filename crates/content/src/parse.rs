//! Turns the text of one topic file into a [`Topic`]: TOML front matter, then the
//! level-two sections with their fenced code blocks.

use crate::Diagnostic;
use crate::model::{CodeBlock, FrontMatter, Section, SectionKind, Topic};

const FRONT_MATTER_FENCE: &str = "+++";

/// Parses one topic file. `file` is the name used in diagnostics.
pub fn parse_topic(file: &str, text: &str) -> Result<Topic, Vec<Diagnostic>> {
    let at = |line: usize, message: String| Diagnostic::new(file, line, message);
    let lines: Vec<&str> = text.lines().collect();

    if lines.first().map(|l| l.trim_end()) != Some(FRONT_MATTER_FENCE) {
        return Err(vec![at(
            1,
            "the file must start with a `+++` line opening the front matter".into(),
        )]);
    }
    let Some(close) = lines
        .iter()
        .skip(1)
        .position(|l| l.trim_end() == FRONT_MATTER_FENCE)
    else {
        return Err(vec![at(
            1,
            "the front matter opened here is never closed with `+++`".into(),
        )]);
    };
    let close = close + 1; // index of the closing fence
    let toml_text = lines[1..close].join("\n");
    let front: FrontMatter = match toml::from_str(&toml_text) {
        Ok(front) => front,
        Err(error) => {
            // Line 1 is the opening fence, so TOML line 1 is file line 2.
            let line = error
                .span()
                .map_or(2, |span| 2 + line_index(&toml_text, span.start));
            return Err(vec![at(line, format!("front matter: {}", error.message()))]);
        }
    };

    let sections =
        parse_sections(&lines, close + 1).map_err(|(line, message)| vec![at(line, message)])?;
    Ok(Topic {
        file: file.to_owned(),
        front,
        sections,
    })
}

/// 0-based line index of a byte offset.
fn line_index(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count()
}

struct OpenFence {
    marker: char,
    width: usize,
    block: CodeBlock,
}

/// Splits the body (starting at 0-based `start`) into sections; errors carry a 1-based line.
fn parse_sections(lines: &[&str], start: usize) -> Result<Vec<Section>, (usize, String)> {
    let mut sections: Vec<Section> = Vec::new();
    let mut fence: Option<OpenFence> = None;

    for (index, raw) in lines.iter().enumerate().skip(start) {
        let number = index + 1;
        if let Some(open) = fence.as_mut() {
            if closes_fence(raw, open.marker, open.width) {
                let open = fence.take().expect("fence is open");
                let section = sections
                    .last_mut()
                    .expect("fences only open inside a section");
                section.code_blocks.push(open.block);
            } else {
                open.block.body.push_str(raw);
                open.block.body.push('\n');
            }
            push_line(&mut sections, raw);
            continue;
        }

        if let Some(heading) = raw.strip_prefix("## ") {
            let heading = heading.trim();
            let Some(kind) = SectionKind::from_heading(heading) else {
                let known: Vec<_> = SectionKind::ALL.iter().map(|k| k.heading()).collect();
                return Err((
                    number,
                    format!(
                        "unknown section {heading:?}; expected one of: {}",
                        known.join(", ")
                    ),
                ));
            };
            sections.push(Section {
                kind,
                line: number,
                markdown: String::new(),
                code_blocks: Vec::new(),
            });
            continue;
        }
        if raw.starts_with("# ") {
            return Err((
                number,
                "level-one headings are not allowed; the title comes from the front matter".into(),
            ));
        }
        if let Some((marker, width, info)) = opens_fence(raw) {
            if sections.is_empty() {
                return Err((number, "code block before the first section".into()));
            }
            let (lang, attrs) = split_info(info).map_err(|message| (number, message))?;
            fence = Some(OpenFence {
                marker,
                width,
                block: CodeBlock {
                    lang,
                    attrs,
                    line: number,
                    body: String::new(),
                },
            });
            push_line(&mut sections, raw);
            continue;
        }
        if sections.is_empty() {
            if raw.trim().is_empty() {
                continue;
            }
            return Err((number, "text before the first `## ` section heading".into()));
        }
        push_line(&mut sections, raw);
    }

    if let Some(open) = fence {
        return Err((open.block.line, "code block is never closed".into()));
    }
    for section in &mut sections {
        let trimmed = section.markdown.trim().to_owned();
        section.markdown = trimmed;
    }
    Ok(sections)
}

fn push_line(sections: &mut [Section], line: &str) {
    if let Some(section) = sections.last_mut() {
        section.markdown.push_str(line);
        section.markdown.push('\n');
    }
}

/// Recognises an opening fence (up to three spaces of indent, then three or more backticks
/// or tildes) and returns its marker, width and info string.
fn opens_fence(line: &str) -> Option<(char, usize, &str)> {
    let trimmed = line.trim_start_matches(' ');
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    let marker = trimmed.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let width = trimmed.chars().take_while(|c| *c == marker).count();
    if width < 3 {
        return None;
    }
    let info = trimmed[width..].trim();
    if marker == '`' && info.contains('`') {
        return None;
    }
    Some((marker, width, info))
}

fn closes_fence(line: &str, marker: char, width: usize) -> bool {
    let trimmed = line.trim();
    trimmed.len() >= width && trimmed.chars().all(|c| c == marker)
}

type Attrs = Vec<(String, String)>;

/// Splits an info string like `rust region=jwt-verify` into language and attributes.
fn split_info(info: &str) -> Result<(String, Attrs), String> {
    let mut words = info.split_whitespace();
    let lang = words.next().unwrap_or_default().to_owned();
    let mut attrs = Vec::new();
    for word in words {
        let Some((key, value)) = word.split_once('=') else {
            return Err(format!(
                "code block attribute {word:?} must be written key=value"
            ));
        };
        attrs.push((key.to_owned(), value.trim_matches('"').to_owned()));
    }
    Ok((lang, attrs))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRONT: &str = "+++\nid = 3\nslug = \"rbac\"\ntitle = \"RBAC\"\ngroup = \"auth\"\ndifficulty = \"mid\"\nstatus = \"outline\"\nsandbox = \"rbac\"\n+++\n";

    #[test]
    fn code_fences_hide_headings_inside_them() {
        let text = format!("{FRONT}\n## Interview answer\nWords.\n```js\n## not a heading\n```\n");
        let topic = parse_topic("03-rbac.md", &text).expect("parses");
        assert_eq!(topic.sections.len(), 1);
        assert_eq!(topic.sections[0].code_blocks[0].body, "## not a heading\n");
        assert_eq!(topic.sections[0].code_blocks[0].line, 13);
    }

    #[test]
    fn attributes_follow_the_language() {
        let text = format!("{FRONT}## Rust implementation\n```rust region=jwt-verify\n```\n");
        let topic = parse_topic("03-rbac.md", &text).expect("parses");
        let block = &topic.sections[0].code_blocks[0];
        assert_eq!(block.lang, "rust");
        assert_eq!(block.attr("region"), Some("jwt-verify"));
    }

    #[test]
    fn longer_fences_need_a_matching_close() {
        let text = format!("{FRONT}## Interview answer\n````md\n```js\n```\n````\n");
        let topic = parse_topic("03-rbac.md", &text).expect("parses");
        assert_eq!(topic.sections[0].code_blocks[0].body, "```js\n```\n");
    }
}
