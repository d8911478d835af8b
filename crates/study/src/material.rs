//! What the study database takes from a topic's Markdown: the interview question, the
//! follow-up questions with their answers, prose and code in order, plain text for the
//! search index, and stable slugs. Pure functions over `dojo_content` types.

use dojo_content::{SectionKind, Topic};

/// Characters the search index uses to mark matches in snippets; they are removed from
/// every indexed text so a topic or note can never fake a highlight.
pub(crate) const MATCH_START: char = '\u{2}';
pub(crate) const MATCH_END: char = '\u{3}';

/// The question an interviewer asks about a topic, built from its title.
pub(crate) fn interview_question(title: &str) -> String {
    format!(
        "Walk me through {}: what it is, why it matters, how you would build it, and the \
         trade-offs.",
        lowercase_first_word(title.trim())
    )
}

/// The prompt of a topic's pitfalls card.
pub(crate) fn pitfalls_question(title: &str) -> String {
    format!(
        "What goes wrong with {}?",
        lowercase_first_word(title.trim())
    )
}

/// "Rate limiting" reads "rate limiting" inside a sentence, but "JWT-protected routes" and
/// "API versioning" keep their capitals.
fn lowercase_first_word(title: &str) -> String {
    let first_word = title.split_whitespace().next().unwrap_or("");
    let capitals = first_word.chars().filter(|c| c.is_uppercase()).count();
    let mut chars = title.chars();
    match chars.next() {
        Some(first) if capitals == 1 && first.is_uppercase() => {
            first.to_lowercase().chain(chars).collect()
        }
        _ => title.to_owned(),
    }
}

/// A section's Markdown, trimmed; `None` when the topic lacks it or it is blank.
pub(crate) fn section_text(topic: &Topic, kind: SectionKind) -> Option<&str> {
    topic
        .section(kind)
        .map(|s| s.markdown.trim())
        .filter(|text| !text.is_empty())
}

/// One follow-up question and the short answer written under it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct FollowUp {
    pub(crate) question: String,
    pub(crate) answer: String,
}

/// The `### question` headings of the follow-up section with the Markdown under each.
pub(crate) fn follow_ups(topic: &Topic) -> Vec<FollowUp> {
    let Some(text) = section_text(topic, SectionKind::FollowUps) else {
        return Vec::new();
    };
    let mut found: Vec<FollowUp> = Vec::new();
    let mut fence = Fence::default();
    for line in text.lines() {
        let heading = if fence.is_open() {
            None
        } else {
            line.strip_prefix("### ")
        };
        fence.observe(line);
        match (heading, found.last_mut()) {
            (Some(question), _) => found.push(FollowUp {
                question: question.trim().to_owned(),
                answer: String::new(),
            }),
            (None, Some(current)) => {
                current.answer.push_str(line);
                current.answer.push('\n');
            }
            (None, None) => {}
        }
    }
    for follow_up in &mut found {
        follow_up.answer = follow_up.answer.trim().to_owned();
    }
    found.retain(|f| !f.question.is_empty() && !f.answer.is_empty());
    found
}

/// A stretch of Markdown: prose, or the body of one fenced code block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    Prose(String),
    Code { lang: String, body: String },
}

/// Splits Markdown into prose and fenced code, in order. Prose stretches are trimmed and
/// blank ones dropped.
pub(crate) fn segments(markdown: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut prose = String::new();
    let mut code: Option<(String, String)> = None;
    let mut fence = Fence::default();
    for line in markdown.lines() {
        let was_open = fence.is_open();
        fence.observe(line);
        match (was_open, fence.is_open()) {
            (false, true) => {
                push_prose(&mut out, &mut prose);
                code = Some((fence.lang.clone(), String::new()));
            }
            (true, false) => {
                if let Some((lang, body)) = code.take() {
                    out.push(Segment::Code { lang, body });
                }
            }
            (true, true) => {
                if let Some((_, body)) = code.as_mut() {
                    body.push_str(line);
                    body.push('\n');
                }
            }
            (false, false) => {
                prose.push_str(line);
                prose.push('\n');
            }
        }
    }
    if let Some((lang, body)) = code.take() {
        out.push(Segment::Code { lang, body });
    }
    push_prose(&mut out, &mut prose);
    out
}

fn push_prose(out: &mut Vec<Segment>, prose: &mut String) {
    let text = prose.trim();
    if !text.is_empty() {
        out.push(Segment::Prose(text.to_owned()));
    }
    prose.clear();
}

/// Markdown reduced to the words a learner searches for: headings, bullets and emphasis
/// marks dropped, code kept, fence lines and match markers removed.
pub(crate) fn plain_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut fence = Fence::default();
    for line in markdown.lines() {
        let was_open = fence.is_open();
        fence.observe(line);
        if was_open != fence.is_open() {
            continue;
        }
        let line = if was_open {
            line
        } else {
            strip_markdown_line(line)
        };
        out.extend(
            line.chars()
                .filter(|c| *c != MATCH_START && *c != MATCH_END),
        );
        out.push('\n');
    }
    let cleaned: String = if out.contains("**") || out.contains('`') {
        out.replace("**", "").replace('`', "")
    } else {
        out
    };
    cleaned.trim().to_owned()
}

fn strip_markdown_line(line: &str) -> &str {
    let trimmed = line.trim_start();
    let without_heading = trimmed.trim_start_matches('#');
    if without_heading.len() != trimmed.len() && without_heading.starts_with(' ') {
        return without_heading.trim_start();
    }
    for bullet in ["- ", "* ", "> "] {
        if let Some(rest) = trimmed.strip_prefix(bullet) {
            return rest;
        }
    }
    line
}

/// Removes the characters the search index reserves for match markers.
pub(crate) fn without_markers(text: &str) -> String {
    text.chars()
        .filter(|c| *c != MATCH_START && *c != MATCH_END)
        .collect()
}

/// Lowercase ASCII letters and digits joined by single `-`, at most 80 characters; stable
/// for the same words whatever their punctuation. Empty when `text` has no letters.
pub(crate) fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut slug = out.trim_end_matches('-').to_owned();
    if slug.len() > 80 {
        slug.truncate(80);
        slug = slug.trim_end_matches('-').to_owned();
    }
    slug
}

/// Tracks whether a line-by-line walk is inside a fenced code block.
#[derive(Debug, Default)]
struct Fence {
    /// The fence character and how many of it opened the block.
    open: Option<(char, usize)>,
    /// The language word of the open block.
    lang: String,
}

impl Fence {
    fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// Updates the state for `line`: opens on a fence, closes on a matching one.
    fn observe(&mut self, line: &str) {
        let trimmed = line.trim();
        match self.open {
            Some((marker, count)) => {
                let run = trimmed.chars().take_while(|c| *c == marker).count();
                if run >= count && trimmed.chars().all(|c| c == marker) {
                    self.open = None;
                }
            }
            None => {
                for marker in ['`', '~'] {
                    let run = trimmed.chars().take_while(|c| *c == marker).count();
                    if run >= 3 {
                        self.open = Some((marker, run));
                        self.lang = trimmed[run..]
                            .split_whitespace()
                            .next()
                            .unwrap_or("")
                            .to_owned();
                        return;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_keep_acronyms_and_lowercase_plain_titles() {
        assert_eq!(
            interview_question("Rate limiting"),
            "Walk me through rate limiting: what it is, why it matters, how you would build it, \
             and the trade-offs."
        );
        assert!(
            interview_question("JWT-protected routes").contains("through JWT-protected routes:")
        );
        assert!(interview_question("API versioning").contains("through API versioning:"));
        assert_eq!(
            pitfalls_question("Sign in with Google"),
            "What goes wrong with sign in with Google?"
        );
    }

    #[test]
    fn segments_split_prose_and_code_in_order() {
        let markdown = "Intro text.\n\n```js\nconst a = 1;\n```\n\n```js\n// b.js\nb();\n```\n\nMore.\n\n````md\n```js\nnested\n```\n````\n";
        assert_eq!(
            segments(markdown),
            vec![
                Segment::Prose("Intro text.".into()),
                Segment::Code {
                    lang: "js".into(),
                    body: "const a = 1;\n".into()
                },
                Segment::Code {
                    lang: "js".into(),
                    body: "// b.js\nb();\n".into()
                },
                Segment::Prose("More.".into()),
                Segment::Code {
                    lang: "md".into(),
                    body: "```js\nnested\n```\n".into()
                },
            ]
        );
    }

    #[test]
    fn plain_text_drops_markup_but_keeps_code_and_removes_markers() {
        let text = plain_text(
            "## Title\n\n- **Bold** point with `code`\n\n```js\nconst x = '#';\n```\nfake \u{2}mark\u{3}\n",
        );
        assert_eq!(
            text,
            "Title\n\nBold point with code\n\nconst x = '#';\nfake mark"
        );
    }

    #[test]
    fn slugs_are_stable_across_punctuation_and_case() {
        assert_eq!(
            slug("Why must the Redis update be atomic?"),
            "why-must-the-redis-update-be-atomic"
        );
        assert_eq!(
            slug("  HS256 or an asymmetric algorithm?? "),
            "hs256-or-an-asymmetric-algorithm"
        );
        assert_eq!(slug("// models/user.js"), "models-user-js");
        assert_eq!(slug("¿¡!"), "");
        assert!(slug(&"word ".repeat(40)).len() <= 80);
    }
}
