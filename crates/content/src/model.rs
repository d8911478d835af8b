//! The in-memory shape of a topic file.

use serde::Deserialize;

/// The TOML block between the `+++` lines.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    pub id: u32,
    pub slug: String,
    pub title: String,
    pub group: Group,
    #[serde(default)]
    pub tags: Vec<String>,
    pub difficulty: Difficulty,
    pub status: Status,
    /// The sandbox feature module that implements the topic.
    pub sandbox: String,
    /// Source regions (sandbox or storage crate) the Rust section includes.
    #[serde(default)]
    pub regions: Vec<String>,
}

/// The six groups of the catalogue, in display order.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum Group {
    Auth,
    Data,
    Middleware,
    Realtime,
    TestingOps,
    Addons,
}

impl Group {
    pub const ALL: [Group; 6] = [
        Group::Auth,
        Group::Data,
        Group::Middleware,
        Group::Realtime,
        Group::TestingOps,
        Group::Addons,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Group::Auth => "auth",
            Group::Data => "data",
            Group::Middleware => "middleware",
            Group::Realtime => "realtime",
            Group::TestingOps => "testing-ops",
            Group::Addons => "addons",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Group::Auth => "Authentication and authorization",
            Group::Data => "REST API and data",
            Group::Middleware => "Middleware and security",
            Group::Realtime => "Uploads, realtime and webhooks",
            Group::TestingOps => "Testing, analytics and deployment",
            Group::Addons => "Add-ons",
        }
    }
}

/// The interview level a topic is usually asked at.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Difficulty {
    Junior,
    Mid,
    Senior,
}

impl Difficulty {
    pub fn key(self) -> &'static str {
        match self {
            Difficulty::Junior => "junior",
            Difficulty::Mid => "mid",
            Difficulty::Senior => "senior",
        }
    }
}

/// How far a topic's writing has come; decides which sections are required.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Outline,
    Complete,
}

impl Status {
    pub fn key(self) -> &'static str {
        match self {
            Status::Outline => "outline",
            Status::Complete => "complete",
        }
    }
}

/// The fixed level-two headings of a topic file, in the order they must appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SectionKind {
    InterviewAnswer,
    Star,
    KeyPoints,
    FollowUps,
    Pitfalls,
    Express,
    Rust,
    TryIt,
    Drills,
    BreakIt,
}

impl SectionKind {
    pub const ALL: [SectionKind; 10] = [
        SectionKind::InterviewAnswer,
        SectionKind::Star,
        SectionKind::KeyPoints,
        SectionKind::FollowUps,
        SectionKind::Pitfalls,
        SectionKind::Express,
        SectionKind::Rust,
        SectionKind::TryIt,
        SectionKind::Drills,
        SectionKind::BreakIt,
    ];

    /// The heading text as written in the file.
    pub fn heading(self) -> &'static str {
        match self {
            SectionKind::InterviewAnswer => "Interview answer",
            SectionKind::Star => "STAR story",
            SectionKind::KeyPoints => "Key points",
            SectionKind::FollowUps => "Follow-up questions",
            SectionKind::Pitfalls => "Pitfalls",
            SectionKind::Express => "Express template",
            SectionKind::Rust => "Rust implementation",
            SectionKind::TryIt => "Try it",
            SectionKind::Drills => "Drills",
            SectionKind::BreakIt => "Break it",
        }
    }

    /// A stable identifier for the UI and for anchors.
    pub fn key(self) -> &'static str {
        match self {
            SectionKind::InterviewAnswer => "answer",
            SectionKind::Star => "star",
            SectionKind::KeyPoints => "key-points",
            SectionKind::FollowUps => "follow-ups",
            SectionKind::Pitfalls => "pitfalls",
            SectionKind::Express => "express",
            SectionKind::Rust => "rust",
            SectionKind::TryIt => "try-it",
            SectionKind::Drills => "drills",
            SectionKind::BreakIt => "break-it",
        }
    }

    pub fn from_heading(text: &str) -> Option<SectionKind> {
        SectionKind::ALL
            .into_iter()
            .find(|kind| kind.heading() == text)
    }

    /// Sections a topic must have at the given status.
    pub fn required_for(status: Status) -> &'static [SectionKind] {
        match status {
            Status::Outline => &[SectionKind::InterviewAnswer],
            Status::Complete => &[
                SectionKind::InterviewAnswer,
                SectionKind::Star,
                SectionKind::KeyPoints,
                SectionKind::FollowUps,
                SectionKind::Pitfalls,
                SectionKind::Express,
            ],
        }
    }
}

/// A fenced code block, with where it starts in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeBlock {
    /// First word of the info string (`js`, `http`, `rust`, ...).
    pub lang: String,
    /// `key=value` words after the language, e.g. `region=jwt-verify`.
    pub attrs: Vec<(String, String)>,
    /// 1-based line of the opening fence.
    pub line: usize,
    pub body: String,
}

impl CodeBlock {
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// One level-two section of a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub kind: SectionKind,
    /// 1-based line of the heading.
    pub line: usize,
    /// The Markdown under the heading, without the heading itself.
    pub markdown: String,
    pub code_blocks: Vec<CodeBlock>,
}

/// A parsed topic file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    /// The file name it came from, e.g. `17-rate-limiting.md`.
    pub file: String,
    pub front: FrontMatter,
    pub sections: Vec<Section>,
}

impl Topic {
    pub fn section(&self, kind: SectionKind) -> Option<&Section> {
        self.sections.iter().find(|section| section.kind == kind)
    }
}
