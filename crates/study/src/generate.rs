//! Flashcards generated from a topic's sections. Each card has a source key that stays
//! the same while its text changes (topic id, kind and a slug of where it came from), so
//! a re-sync updates the text and keeps the review history. Only sections a topic has are
//! used: an outline topic gives one card, a complete one a dozen or more.

use std::collections::BTreeMap;

use dojo_content::{SectionKind, Topic};

use crate::cards::CardKind;
use crate::material::{self, Segment};

/// A card as the topic text defines it, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GeneratedCard {
    pub(crate) topic_id: u32,
    pub(crate) kind: CardKind,
    /// Unique across the library, e.g. `17/follow-up/why-must-the-redis-update-be-atomic`.
    pub(crate) source_key: String,
    pub(crate) prompt: String,
    pub(crate) prompt_code_lang: Option<String>,
    pub(crate) answer: String,
    pub(crate) answer_code_lang: Option<String>,
}

/// Every card the topic's current text gives, in reading order.
pub(crate) fn cards_for(topic: &Topic) -> Vec<GeneratedCard> {
    let id = topic.front.id;
    let title = topic.front.title.as_str();
    let mut cards = Vec::new();
    let mut keys = KeyMaker::new(id);
    let mut push =
        |kind: CardKind, source: &str, prompt: String, lang: Option<&str>, answer: String| {
            cards.push(GeneratedCard {
                topic_id: id,
                kind,
                source_key: keys.key(kind, source),
                prompt,
                prompt_code_lang: lang.map(str::to_owned),
                answer,
                answer_code_lang: None,
            });
        };

    if let Some(answer) = material::section_text(topic, SectionKind::InterviewAnswer) {
        push(
            CardKind::Question,
            "",
            material::interview_question(title),
            None,
            answer.to_owned(),
        );
    }
    for follow_up in material::follow_ups(topic) {
        push(
            CardKind::FollowUp,
            &follow_up.question,
            follow_up.question.clone(),
            None,
            follow_up.answer,
        );
    }
    if let Some(pitfalls) = material::section_text(topic, SectionKind::Pitfalls) {
        push(
            CardKind::Pitfalls,
            "",
            material::pitfalls_question(title),
            None,
            pitfalls.to_owned(),
        );
    }
    if let Some(express) = material::section_text(topic, SectionKind::Express) {
        for (index, (code, explanation)) in explained_js_blocks(express).into_iter().enumerate() {
            let source = file_comment(&code).unwrap_or_else(|| format!("block {}", index + 1));
            push(CardKind::Code, &source, code, Some("js"), explanation);
        }
    }
    cards
}

/// Each `js` block of the Express template with the prose that explains it: the prose
/// right before it, or, for blocks that follow each other, the last prose before them.
/// Blocks with no prose anywhere before them are left out.
fn explained_js_blocks(markdown: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut last_prose: Option<String> = None;
    for segment in material::segments(markdown) {
        match segment {
            Segment::Prose(text) => last_prose = Some(text),
            Segment::Code { lang, body } if matches!(lang.as_str(), "js" | "javascript") => {
                let code = body.trim_end().to_owned();
                if let (false, Some(prose)) = (code.trim().is_empty(), &last_prose) {
                    found.push((code, prose.clone()));
                }
            }
            Segment::Code { .. } => {}
        }
    }
    found
}

/// The file name a code block names in its first line (`// routes/users.js`).
fn file_comment(code: &str) -> Option<String> {
    let first = code.lines().find(|line| !line.trim().is_empty())?.trim();
    let name = first.strip_prefix("//")?.trim();
    let looks_like_file = !name.contains(' ') && name.contains('.');
    looks_like_file.then(|| name.to_owned())
}

/// Builds source keys, numbering repeats within a topic (`...-2`, `...-3`).
struct KeyMaker {
    topic_id: u32,
    seen: BTreeMap<String, u32>,
}

impl KeyMaker {
    fn new(topic_id: u32) -> KeyMaker {
        KeyMaker {
            topic_id,
            seen: BTreeMap::new(),
        }
    }

    fn key(&mut self, kind: CardKind, source: &str) -> String {
        let slug = material::slug(source);
        let base = match (slug.is_empty(), source.is_empty()) {
            (_, true) => format!("{}/{}", self.topic_id, kind.key()),
            (true, false) => format!("{}/{}/untitled", self.topic_id, kind.key()),
            (false, false) => format!("{}/{}/{slug}", self.topic_id, kind.key()),
        };
        let count = self.seen.entry(base.clone()).or_insert(0);
        *count += 1;
        if *count == 1 {
            base
        } else {
            format!("{base}-{count}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_to_back_blocks_share_the_prose_before_them() {
        let markdown = "```js\n// orphan.js\nx();\n```\n\nThree modules.\n\n```js\n// models/user.js\na();\n```\n\n```js\n// auth/tokens.js\nb();\n```\n\nThe middleware.\n\n```js\nc();\n```\n\n```http\nGET /\n```\n";
        let blocks = explained_js_blocks(markdown);
        let pairs: Vec<(&str, &str)> = blocks
            .iter()
            .map(|(c, p)| (c.as_str(), p.as_str()))
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("// models/user.js\na();", "Three modules."),
                ("// auth/tokens.js\nb();", "Three modules."),
                ("c();", "The middleware."),
            ]
        );
    }

    #[test]
    fn file_comments_name_code_cards_and_repeats_are_numbered() {
        assert_eq!(
            file_comment("\n// routes/users.js\nconst a = 1;"),
            Some("routes/users.js".into())
        );
        assert_eq!(file_comment("// not a file name\n"), None);
        assert_eq!(file_comment("const a = 1;"), None);
        let mut keys = KeyMaker::new(17);
        assert_eq!(keys.key(CardKind::Question, ""), "17/question");
        assert_eq!(keys.key(CardKind::Code, "app.js"), "17/code/app-js");
        assert_eq!(keys.key(CardKind::Code, "app.js"), "17/code/app-js-2");
        assert_eq!(keys.key(CardKind::FollowUp, "¿?"), "17/follow-up/untitled");
    }
}
