//! Topic Markdown turned into a small tree of blocks and inlines that the Typst template
//! walks with its own functions. Text stays data all the way: nothing here is Typst markup,
//! so a backtick, `#` or `$` in a topic or a note prints as itself.

use std::collections::BTreeMap;

use dojo_content::regions::Region;
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag};
use serde::Serialize;

use crate::code_tokens::{self, CodeLine, Kind};

/// A block of a section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub(crate) enum Block {
    Paragraph {
        inlines: Vec<Inline>,
    },
    Heading {
        level: u8,
        inlines: Vec<Inline>,
    },
    List {
        ordered: bool,
        start: u64,
        items: Vec<Vec<Block>>,
    },
    Code {
        lang: String,
        /// The code as written, for tests and plain output; the template reads `lines`.
        #[serde(skip)]
        text: String,
        lines: Vec<CodeLine>,
        caption: Option<String>,
    },
    Quote {
        blocks: Vec<Block>,
    },
    Rule,
}

/// A run of text inside a block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub(crate) enum Inline {
    Text { text: String },
    Code { text: String },
    Strong { inlines: Vec<Inline> },
    Emphasis { inlines: Vec<Inline> },
    Strike { inlines: Vec<Inline> },
    Link { url: String, inlines: Vec<Inline> },
    Break,
}

enum Frame {
    /// Holds blocks: the document, a list item or a quote. `loose` collects inline
    /// content that a tight list item carries without a paragraph around it.
    Blocks {
        kind: BlockFrame,
        blocks: Vec<Block>,
        loose: Vec<Inline>,
    },
    List {
        ordered: bool,
        start: u64,
        items: Vec<Vec<Block>>,
    },
    Inlines {
        kind: InlineFrame,
        inlines: Vec<Inline>,
    },
    Code {
        info: String,
        text: String,
    },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum BlockFrame {
    Root,
    Item,
    Quote,
}

#[derive(Clone, PartialEq, Eq)]
enum InlineFrame {
    Paragraph,
    Heading(u8),
    Strong,
    Emphasis,
    Strike,
    Link(String),
    /// An image: only its alt text is kept.
    Image,
}

/// Section Markdown to blocks; `rust region=NAME` fences become that region of sandbox
/// source, captioned with its file and first line.
pub(crate) fn from_markdown(markdown: &str, regions: &BTreeMap<String, Region>) -> Vec<Block> {
    let mut stack = vec![Frame::Blocks {
        kind: BlockFrame::Root,
        blocks: Vec::new(),
        loose: Vec::new(),
    }];
    let options = Options::ENABLE_STRIKETHROUGH;
    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Start(tag) => start(&mut stack, tag),
            Event::End(_) => {
                if stack.len() > 1 {
                    close_top(&mut stack, regions);
                }
            }
            Event::Text(text) => {
                if let Some(Frame::Code { text: body, .. }) = stack.last_mut() {
                    body.push_str(&text);
                } else {
                    push_inline(
                        &mut stack,
                        Inline::Text {
                            text: text.into_string(),
                        },
                    );
                }
            }
            Event::Code(text) => push_inline(
                &mut stack,
                Inline::Code {
                    text: breakable(&text),
                },
            ),
            // Raw HTML is shown as the text it is.
            Event::Html(text) | Event::InlineHtml(text) => {
                if let Some(Frame::Code { text: body, .. }) = stack.last_mut() {
                    body.push_str(&text);
                } else {
                    let text = text.trim_end_matches('\n').to_owned();
                    push_inline(&mut stack, Inline::Text { text });
                }
            }
            Event::SoftBreak => push_inline(&mut stack, Inline::Text { text: " ".into() }),
            Event::HardBreak => push_inline(&mut stack, Inline::Break),
            Event::Rule => push_block(&mut stack, Block::Rule),
            Event::TaskListMarker(done) => {
                let mark = if done { "[x] " } else { "[ ] " };
                push_inline(&mut stack, Inline::Text { text: mark.into() });
            }
            Event::FootnoteReference(name) => {
                push_inline(
                    &mut stack,
                    Inline::Text {
                        text: format!("[{name}]"),
                    },
                );
            }
            Event::InlineMath(text) | Event::DisplayMath(text) => {
                push_inline(
                    &mut stack,
                    Inline::Code {
                        text: text.into_string(),
                    },
                );
            }
        }
    }
    // Close whatever an unbalanced event stream left open, then return the root.
    while stack.len() > 1 {
        close_top(&mut stack, regions);
    }
    match stack.pop() {
        Some(Frame::Blocks {
            mut blocks, loose, ..
        }) => {
            if !loose.is_empty() {
                blocks.push(Block::Paragraph { inlines: loose });
            }
            blocks
        }
        _ => Vec::new(),
    }
}

/// Plain text to blocks, as written: paragraphs at blank lines, line breaks kept, nothing
/// interpreted (for notes and other learner text).
pub(crate) fn from_plain_text(text: &str) -> Vec<Block> {
    let normalized = text.replace("\r\n", "\n");
    normalized
        .split("\n\n")
        .map(|paragraph| paragraph.trim_matches('\n'))
        .filter(|paragraph| !paragraph.trim().is_empty())
        .map(|paragraph| {
            let mut inlines = Vec::new();
            for (index, line) in paragraph.lines().enumerate() {
                if index > 0 {
                    inlines.push(Inline::Break);
                }
                inlines.push(Inline::Text {
                    text: line.to_owned(),
                });
            }
            Block::Paragraph { inlines }
        })
        .collect()
}

fn start(stack: &mut Vec<Frame>, tag: Tag<'_>) {
    let inline_frame = |kind| Frame::Inlines {
        kind,
        inlines: Vec::new(),
    };
    let frame = match tag {
        Tag::Paragraph => inline_frame(InlineFrame::Paragraph),
        Tag::Heading { level, .. } => inline_frame(InlineFrame::Heading(level as u8)),
        Tag::BlockQuote(_) => Frame::Blocks {
            kind: BlockFrame::Quote,
            blocks: Vec::new(),
            loose: Vec::new(),
        },
        Tag::CodeBlock(kind) => {
            let info = match kind {
                CodeBlockKind::Fenced(info) => info.into_string(),
                CodeBlockKind::Indented => String::new(),
            };
            Frame::Code {
                info,
                text: String::new(),
            }
        }
        Tag::List(first) => Frame::List {
            ordered: first.is_some(),
            start: first.unwrap_or(1),
            items: Vec::new(),
        },
        Tag::Item => Frame::Blocks {
            kind: BlockFrame::Item,
            blocks: Vec::new(),
            loose: Vec::new(),
        },
        Tag::Emphasis => inline_frame(InlineFrame::Emphasis),
        Tag::Strong => inline_frame(InlineFrame::Strong),
        Tag::Strikethrough => inline_frame(InlineFrame::Strike),
        Tag::Link { dest_url, .. } => inline_frame(InlineFrame::Link(dest_url.into_string())),
        Tag::Image { .. } => inline_frame(InlineFrame::Image),
        // Everything else (tables, footnote definitions, metadata) keeps its text only.
        _ => inline_frame(InlineFrame::Paragraph),
    };
    if matches!(
        frame,
        Frame::Blocks { .. } | Frame::List { .. } | Frame::Code { .. }
    ) || matches!(
        frame,
        Frame::Inlines {
            kind: InlineFrame::Paragraph | InlineFrame::Heading(_),
            ..
        }
    ) {
        flush_loose(stack);
    }
    stack.push(frame);
}

fn close_top(stack: &mut Vec<Frame>, regions: &BTreeMap<String, Region>) {
    let Some(frame) = stack.pop() else { return };
    match frame {
        Frame::Blocks {
            kind,
            mut blocks,
            loose,
        } => {
            if !loose.is_empty() {
                blocks.push(Block::Paragraph { inlines: loose });
            }
            match kind {
                BlockFrame::Item => {
                    if let Some(Frame::List { items, .. }) = stack.last_mut() {
                        items.push(blocks);
                    } else {
                        for block in blocks {
                            push_block(stack, block);
                        }
                    }
                }
                BlockFrame::Quote => push_block(stack, Block::Quote { blocks }),
                BlockFrame::Root => {
                    for block in blocks {
                        push_block(stack, block);
                    }
                }
            }
        }
        Frame::List {
            ordered,
            start,
            items,
        } => {
            push_block(
                stack,
                Block::List {
                    ordered,
                    start,
                    items,
                },
            );
        }
        Frame::Code { info, text } => push_block(stack, code_block(&info, text, regions)),
        Frame::Inlines { kind, inlines } => match kind {
            InlineFrame::Paragraph => {
                if !inlines.is_empty() {
                    push_block(stack, Block::Paragraph { inlines });
                }
            }
            InlineFrame::Heading(level) => push_block(stack, Block::Heading { level, inlines }),
            InlineFrame::Strong => push_inline(stack, Inline::Strong { inlines }),
            InlineFrame::Emphasis => push_inline(stack, Inline::Emphasis { inlines }),
            InlineFrame::Strike => push_inline(stack, Inline::Strike { inlines }),
            // Only web and mail links stay links; any other target keeps just its text.
            InlineFrame::Link(url) if is_web_link(&url) => {
                push_inline(stack, Inline::Link { url, inlines });
            }
            InlineFrame::Link(_) => {
                for inline in inlines {
                    push_inline(stack, inline);
                }
            }
            InlineFrame::Image => {
                for inline in inlines {
                    push_inline(stack, inline);
                }
            }
        },
    }
}

const ZERO_WIDTH_SPACE: char = '\u{200B}';

/// Runs of this many characters without a space get break opportunities.
const LONG_RUN: usize = 40;
/// How often a long run may break.
const BREAK_EVERY: usize = 8;

/// The text with a zero-width space every few characters inside long runs without spaces
/// (tokens, URLs), so that a line too long for the page can wrap there instead of running
/// off the edge. Shorter words are left alone and still wrap only at spaces.
pub(crate) fn breakable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for run in text.split_inclusive(char::is_whitespace) {
        let word = run.trim_end_matches(char::is_whitespace);
        if word.chars().count() < LONG_RUN {
            out.push_str(run);
            continue;
        }
        for (position, c) in word.chars().enumerate() {
            if position > 0 && position % BREAK_EVERY == 0 {
                out.push(ZERO_WIDTH_SPACE);
            }
            out.push(c);
        }
        out.push_str(&run[word.len()..]);
    }
    out
}

fn code_block(info: &str, text: String, regions: &BTreeMap<String, Region>) -> Block {
    let mut words = info.split_whitespace();
    let lang = words.next().unwrap_or("").to_owned();
    let region = words
        .find_map(|word| word.strip_prefix("region="))
        .map(|n| n.trim_matches('"'));
    let (text, caption) = match region {
        Some(name) => match regions.get(name) {
            Some(region) => (
                region.code.clone(),
                Some(format!("{}, from line {}", region.file, region.first_line)),
            ),
            None => (
                text,
                Some(format!("source region {name} is not in this build")),
            ),
        },
        None => (text, None),
    };
    code(lang, text, caption)
}

/// A code block: highlighted lines, with break opportunities inside long tokens.
pub(crate) fn code(lang: String, text: String, caption: Option<String>) -> Block {
    let lines = code_tokens::highlight(&text, &lang)
        .into_iter()
        .map(|line| CodeLine {
            runs: breakable_runs(line.runs),
            ..line
        })
        .collect();
    Block::Code {
        lang,
        text,
        lines,
        caption,
    }
}

/// [`breakable`] across the runs of one highlighted line: a long token split into several
/// runs still gets its break opportunities, each in the run of the character after it.
fn breakable_runs(runs: Vec<(Kind, String)>) -> Vec<(Kind, String)> {
    let text: String = runs.iter().map(|(_, t)| t.as_str()).collect();
    let wrapped = breakable(&text);
    if wrapped.len() == text.len() {
        return runs;
    }
    let mut added = wrapped.chars().peekable();
    runs.into_iter()
        .map(|(kind, run)| {
            let mut piece = String::with_capacity(run.len() + 8);
            for original in run.chars() {
                while original != ZERO_WIDTH_SPACE && added.peek() == Some(&ZERO_WIDTH_SPACE) {
                    piece.push(ZERO_WIDTH_SPACE);
                    added.next();
                }
                if let Some(c) = added.next() {
                    piece.push(c);
                }
            }
            (kind, piece)
        })
        .collect()
}

fn is_web_link(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    ["http://", "https://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme) && lower.len() > scheme.len())
}

/// Moves inline content a tight list item holds into a paragraph before a block starts.
fn flush_loose(stack: &mut [Frame]) {
    if let Some(Frame::Blocks { blocks, loose, .. }) = stack.last_mut()
        && !loose.is_empty()
    {
        blocks.push(Block::Paragraph {
            inlines: std::mem::take(loose),
        });
    }
}

fn push_block(stack: &mut [Frame], block: Block) {
    flush_loose(stack);
    match stack.last_mut() {
        Some(Frame::Blocks { blocks, .. }) => blocks.push(block),
        Some(Frame::List { items, .. }) => items.push(vec![block]),
        // A block inside inline content (not valid Markdown): keep it after the parent.
        _ => {
            let index = stack
                .iter()
                .rposition(|f| matches!(f, Frame::Blocks { .. }));
            if let Some(Frame::Blocks { blocks, .. }) = index.and_then(|i| stack.get_mut(i)) {
                blocks.push(block);
            }
        }
    }
}

fn push_inline(stack: &mut [Frame], inline: Inline) {
    match stack.last_mut() {
        Some(Frame::Inlines { inlines, .. }) => merge_text(inlines, inline),
        Some(Frame::Blocks { loose, .. }) => merge_text(loose, inline),
        Some(Frame::Code { text, .. }) => {
            if let Inline::Text { text: more } | Inline::Code { text: more } = inline {
                text.push_str(&more);
            }
        }
        Some(Frame::List { .. }) | None => {}
    }
}

/// Adjacent text runs join into one, which keeps the data small.
fn merge_text(inlines: &mut Vec<Inline>, inline: Inline) {
    if let (Some(Inline::Text { text: last }), Inline::Text { text }) =
        (inlines.last_mut(), &inline)
    {
        last.push_str(text);
        return;
    }
    inlines.push(inline);
}

/// The text of blocks without any structure, for tests and plain output.
#[cfg(test)]
pub(crate) fn plain(blocks: &[Block]) -> String {
    fn inline_text(inlines: &[Inline], out: &mut String) {
        for inline in inlines {
            match inline {
                Inline::Text { text } | Inline::Code { text } => out.push_str(text),
                Inline::Strong { inlines }
                | Inline::Emphasis { inlines }
                | Inline::Strike { inlines }
                | Inline::Link { inlines, .. } => inline_text(inlines, out),
                Inline::Break => out.push('\n'),
            }
        }
    }
    let mut out = String::new();
    for block in blocks {
        match block {
            Block::Paragraph { inlines } | Block::Heading { inlines, .. } => {
                inline_text(inlines, &mut out);
            }
            Block::List { items, .. } => {
                for item in items {
                    out.push_str(&plain(item));
                }
            }
            Block::Code { text, .. } => out.push_str(text),
            Block::Quote { blocks } => out.push_str(&plain(blocks)),
            Block::Rule => {}
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(value: &str) -> Inline {
        Inline::Text { text: value.into() }
    }

    #[test]
    fn a_tight_list_keeps_bold_and_inline_code_in_one_paragraph_per_item() {
        let blocks = from_markdown(
            "- **Goals**: protect `capacity`.\n- Second\n  line.\n",
            &BTreeMap::new(),
        );
        let expected = Block::List {
            ordered: false,
            start: 1,
            items: vec![
                vec![Block::Paragraph {
                    inlines: vec![
                        Inline::Strong {
                            inlines: vec![text("Goals")],
                        },
                        text(": protect "),
                        Inline::Code {
                            text: "capacity".into(),
                        },
                        text("."),
                    ],
                }],
                vec![Block::Paragraph {
                    inlines: vec![text("Second line.")],
                }],
            ],
        };
        assert_eq!(blocks, vec![expected]);
    }

    #[test]
    fn region_fences_carry_the_sandbox_source_and_where_it_lives() {
        let mut regions = BTreeMap::new();
        regions.insert(
            "bucket".to_owned(),
            Region {
                file: "crates/sandbox/src/x.rs".into(),
                first_line: 12,
                code: "fn take() {}\n".into(),
            },
        );
        let blocks = from_markdown("Intro.\n\n```rust region=bucket\n```\n", &regions);
        let Block::Code {
            lang,
            text,
            lines,
            caption,
        } = &blocks[1]
        else {
            panic!("a code block: {:?}", blocks[1]);
        };
        assert_eq!((lang.as_str(), text.as_str()), ("rust", "fn take() {}\n"));
        assert_eq!(
            caption.as_deref(),
            Some("crates/sandbox/src/x.rs, from line 12")
        );
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].runs[0], (Kind::Keyword, "fn".to_owned()));
    }

    #[test]
    fn raw_html_and_headings_stay_text() {
        let blocks = from_markdown("### Why?\n\n<script>x</script> ok\n", &BTreeMap::new());
        assert_eq!(
            blocks[0],
            Block::Heading {
                level: 3,
                inlines: vec![text("Why?")]
            }
        );
        assert_eq!(plain(&blocks[1..]), "<script>x</script> ok\n");
    }

    #[test]
    fn long_runs_without_spaces_get_break_opportunities_and_short_words_none() {
        let token = "a".repeat(20) + &"b".repeat(20);
        let text = format!("Bearer {token}\nshort words only");
        let wrapped = breakable(&text);
        assert_eq!(
            wrapped.replace('\u{200B}', ""),
            text,
            "only zero-width spaces are added"
        );
        assert_eq!(wrapped.matches('\u{200B}').count(), 4);
        assert!(wrapped.ends_with("\nshort words only"));
        assert_eq!(breakable("let x = 1;"), "let x = 1;");
    }

    #[test]
    fn a_long_token_split_over_runs_keeps_its_text_and_gets_breaks() {
        let token = format!("Bearer {}.{}", "a".repeat(30), "b".repeat(30));
        let Block::Code { lines, .. } = code(
            "http".into(),
            format!("GET /x\nAuthorization: {token}\n"),
            None,
        ) else {
            panic!("a code block");
        };
        let header: String = lines[1].runs.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(
            header.replace(ZERO_WIDTH_SPACE, ""),
            format!("Authorization: {token}")
        );
        assert!(header.contains(ZERO_WIDTH_SPACE), "{header:?}");
    }

    #[test]
    fn only_web_and_mail_links_stay_links() {
        let blocks = from_markdown(
            "[site](https://a.test) [x](javascript:alert(1)) [here](#drills)",
            &BTreeMap::new(),
        );
        assert_eq!(
            blocks,
            vec![Block::Paragraph {
                inlines: vec![
                    Inline::Link {
                        url: "https://a.test".into(),
                        inlines: vec![text("site")]
                    },
                    text(" x here"),
                ],
            }]
        );
    }

    #[test]
    fn plain_text_keeps_markup_characters_and_line_breaks() {
        let blocks = from_plain_text("# not a heading *x*\nline two\n\n\n$ second ]");
        assert_eq!(
            blocks,
            vec![
                Block::Paragraph {
                    inlines: vec![text("# not a heading *x*"), Inline::Break, text("line two")],
                },
                Block::Paragraph {
                    inlines: vec![text("$ second ]")]
                },
            ]
        );
    }
}
