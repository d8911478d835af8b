//! The JSON the Typst template reads: topics, learner text and reports as plain data.

use dojo_content::{Group, Library, SectionKind, Topic};
use serde::Serialize;

use crate::blocks::{self, Block, Inline};
use crate::learner::{InterviewReport, LearnerData, Story};
use crate::selection::find_topic;
use crate::{Error, Result};

use super::{CodeLang, PdfKind};

/// Everything one document needs.
#[derive(Debug, Serialize)]
pub(super) struct DocumentData {
    kind: &'static str,
    title: String,
    subtitle: String,
    date: String,
    groups: Vec<GroupData>,
    report: Option<ReportData>,
}

#[derive(Debug, Serialize)]
struct GroupData {
    title: String,
    topics: Vec<TopicData>,
}

#[derive(Debug, Serialize)]
struct TopicData {
    id: u32,
    title: String,
    difficulty: &'static str,
    status: &'static str,
    tags: Vec<String>,
    sections: Vec<SectionData>,
    notes: Vec<Block>,
    stories: Vec<StoryData>,
}

#[derive(Debug, Serialize)]
struct SectionData {
    key: &'static str,
    title: String,
    blocks: Vec<Block>,
}

#[derive(Debug, Serialize)]
struct StoryData {
    title: String,
    parts: Vec<(&'static str, Vec<Block>)>,
}

#[derive(Debug, Serialize)]
struct ReportData {
    candidate: String,
    average: Option<String>,
    questions: Vec<QuestionData>,
    strengths: Vec<Block>,
    gaps: Vec<Block>,
    review: Vec<String>,
}

#[derive(Debug, Serialize)]
struct QuestionData {
    topic: String,
    question: Vec<Block>,
    scores: Vec<(String, u8)>,
    notes: Vec<Block>,
}

impl DocumentData {
    /// How many topics the document covers.
    pub(super) fn topic_count(&self) -> usize {
        self.groups.iter().map(|group| group.topics.len()).sum()
    }
}

/// The data for `kind`, with `date` printed on it.
pub(super) fn document_data(
    kind: &PdfKind,
    date: String,
    library: &Library,
    learner: &LearnerData,
) -> Result<DocumentData> {
    match kind {
        PdfKind::CheatSheet { topics, code } => {
            let selected = topics.resolve(library)?;
            let count = selected.len();
            Ok(DocumentData {
                kind: "cheat-sheet",
                title: "Backend Dojo cheat sheet".into(),
                subtitle: format!("{} · {} code · {date}", topic_count(count), code.label()),
                date,
                groups: by_group(&selected, |topic| cheat_sheet_topic(topic, *code, library)),
                report: None,
            })
        }
        PdfKind::Guide { topics } => {
            let selected = topics.resolve(library)?;
            Ok(DocumentData {
                kind: "guide",
                title: "Backend Dojo study guide".into(),
                subtitle: topic_count(selected.len()),
                date,
                groups: by_group(&selected, |topic| guide_topic(topic, library, learner)),
                report: None,
            })
        }
        PdfKind::Report(report) => Ok(DocumentData {
            kind: "report",
            title: if report.title.trim().is_empty() {
                "Mock interview report".into()
            } else {
                report.title.clone()
            },
            subtitle: report.date.clone(),
            date,
            groups: Vec::new(),
            report: Some(report_data(report, library)?),
        }),
    }
}

fn topic_count(count: usize) -> String {
    if count == 1 {
        "1 topic".into()
    } else {
        format!("{count} topics")
    }
}

fn by_group(topics: &[&Topic], make: impl Fn(&Topic) -> TopicData) -> Vec<GroupData> {
    Group::ALL
        .into_iter()
        .filter_map(|group| {
            let topics: Vec<TopicData> = topics
                .iter()
                .filter(|t| t.front.group == group)
                .map(|t| make(t))
                .collect();
            (!topics.is_empty()).then(|| GroupData {
                title: group.title().to_owned(),
                topics,
            })
        })
        .collect()
}

fn topic_data(topic: &Topic, sections: Vec<SectionData>) -> TopicData {
    let front = &topic.front;
    TopicData {
        id: front.id,
        title: front.title.clone(),
        difficulty: front.difficulty.key(),
        status: front.status.key(),
        tags: front.tags.clone(),
        sections,
        notes: Vec::new(),
        stories: Vec::new(),
    }
}

fn section(topic: &Topic, kind: SectionKind, library: &Library) -> Option<SectionData> {
    let section = topic.section(kind)?;
    let blocks = blocks::from_markdown(&section.markdown, library.regions());
    (!blocks.is_empty()).then(|| SectionData {
        key: kind.key(),
        title: kind.heading().to_owned(),
        blocks,
    })
}

/// Key points (or the interview answer while a topic has none), the core code in the
/// chosen language, and the pitfalls.
fn cheat_sheet_topic(topic: &Topic, code: CodeLang, library: &Library) -> TopicData {
    let mut sections = Vec::new();
    let summary = section(topic, SectionKind::KeyPoints, library)
        .or_else(|| section(topic, SectionKind::InterviewAnswer, library));
    sections.extend(summary);
    sections.extend(core_code(topic, code, library));
    let pitfalls = section(topic, SectionKind::Pitfalls, library);
    sections.extend(pitfalls.map(|p| SectionData {
        blocks: lead_sentences(p.blocks),
        ..p
    }));
    topic_data(topic, sections)
}

/// A list whose every item opens with a bold sentence ("**Trusting the wrong IP.** ...")
/// keeps only those sentences: the reminder a cheat sheet needs; the guide has the rest.
fn lead_sentences(blocks: Vec<Block>) -> Vec<Block> {
    let lead = |item: &[Block]| match item.first() {
        Some(Block::Paragraph { inlines }) => match inlines.first() {
            Some(strong @ Inline::Strong { .. }) => Some(strong.clone()),
            _ => None,
        },
        _ => None,
    };
    blocks
        .into_iter()
        .map(|block| match block {
            Block::List {
                ordered,
                start,
                items,
            } if items.iter().all(|item| lead(item).is_some()) => {
                let items = items
                    .iter()
                    .filter_map(|item| lead(item))
                    .map(|strong| {
                        vec![Block::Paragraph {
                            inlines: vec![strong],
                        }]
                    })
                    .collect();
                Block::List {
                    ordered,
                    start,
                    items,
                }
            }
            other => other,
        })
        .collect()
}

/// Express: the longest `js` block of the template, which holds the pattern itself rather
/// than its wiring. Rust: every sandbox region the implementation section includes.
fn core_code(topic: &Topic, code: CodeLang, library: &Library) -> Option<SectionData> {
    let kind = match code {
        CodeLang::Express => SectionKind::Express,
        CodeLang::Rust => SectionKind::Rust,
    };
    let source = topic.section(kind)?;
    let all = blocks::from_markdown(&source.markdown, library.regions());
    let mut code_blocks = all.into_iter().filter(|block| match block {
        Block::Code { lang, .. } => lang == code.fence(),
        _ => false,
    });
    let blocks: Vec<Block> = match code {
        CodeLang::Express => {
            code_blocks.max_by_key(|block| match block {
                Block::Code { text, .. } => text.lines().count(),
                _ => 0,
            })
        }
        .into_iter()
        .collect(),
        CodeLang::Rust => code_blocks.by_ref().collect(),
    };
    (!blocks.is_empty()).then(|| SectionData {
        key: kind.key(),
        title: kind.heading().to_owned(),
        blocks,
    })
}

/// Every section of the topic in full, then the learner's notes and stories.
fn guide_topic(topic: &Topic, library: &Library, learner: &LearnerData) -> TopicData {
    let sections = SectionKind::ALL
        .into_iter()
        .filter_map(|kind| section(topic, kind, library))
        .collect();
    let mut data = topic_data(topic, sections);
    let id = topic.front.id;
    if let Some(notes) = learner.notes.get(&id) {
        data.notes = blocks::from_plain_text(notes);
    }
    data.stories = learner
        .stories
        .get(&id)
        .map(|s| s.iter().map(story_data).collect())
        .unwrap_or_default();
    data
}

fn story_data(story: &Story) -> StoryData {
    let parts = [
        ("Situation", &story.situation),
        ("Task", &story.task),
        ("Action", &story.action),
        ("Result", &story.result),
    ];
    StoryData {
        title: story.title.clone(),
        parts: parts
            .into_iter()
            .filter(|(_, text)| !text.trim().is_empty())
            .map(|(label, text)| (label, blocks::from_plain_text(text)))
            .collect(),
    }
}

fn report_data(report: &InterviewReport, library: &Library) -> Result<ReportData> {
    let mut questions = Vec::new();
    let mut total = 0u32;
    let mut count = 0u32;
    for (index, question) in report.questions.iter().enumerate() {
        let topic = find_topic(library, question.topic_id)?;
        for score in &question.scores {
            if !(1..=4).contains(&score.score) {
                return Err(Error::ScoreOutOfRange {
                    question: index + 1,
                    criterion: score.criterion.clone(),
                    score: score.score,
                });
            }
            total += u32::from(score.score);
            count += 1;
        }
        questions.push(QuestionData {
            topic: format!("{} · {}", topic.front.id, topic.front.title),
            question: blocks::from_plain_text(&question.question),
            scores: question
                .scores
                .iter()
                .map(|s| (s.criterion.clone(), s.score))
                .collect(),
            notes: blocks::from_plain_text(&question.notes),
        });
    }
    let review = report
        .summary
        .topics_to_review
        .iter()
        .map(|&id| find_topic(library, id).map(|t| format!("{} · {}", t.front.id, t.front.title)))
        .collect::<Result<Vec<_>>>()?;
    // One decimal, computed in integers: tenths of a point, rounded half up.
    let average = (count > 0).then(|| {
        let tenths = (total * 10 * 2 + count) / (2 * count);
        format!("{}.{} / 4", tenths / 10, tenths % 10)
    });
    Ok(ReportData {
        candidate: report.candidate.clone(),
        average,
        questions,
        strengths: blocks::from_plain_text(&report.summary.strengths),
        gaps: blocks::from_plain_text(&report.summary.gaps),
        review,
    })
}
