//! The fixed parts of a mock interview: the five rubric criteria with a description per
//! score, and the topic presets a mentor can pick.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The lowest and highest rubric score.
pub const SCORE_RANGE: std::ops::RangeInclusive<u32> = 1..=4;

/// One thing a mentor scores each answer on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum RubricCriterion {
    Clarity,
    Depth,
    TradeOffs,
    Security,
    Structure,
}

impl RubricCriterion {
    /// The five criteria in rubric order.
    pub const ALL: [RubricCriterion; 5] = [
        RubricCriterion::Clarity,
        RubricCriterion::Depth,
        RubricCriterion::TradeOffs,
        RubricCriterion::Security,
        RubricCriterion::Structure,
    ];

    /// The stored and serialized name, e.g. `trade-offs`.
    pub fn key(self) -> &'static str {
        match self {
            RubricCriterion::Clarity => "clarity",
            RubricCriterion::Depth => "depth",
            RubricCriterion::TradeOffs => "trade-offs",
            RubricCriterion::Security => "security",
            RubricCriterion::Structure => "structure",
        }
    }

    /// The criterion named by [`RubricCriterion::key`].
    pub fn from_key(key: &str) -> Option<RubricCriterion> {
        RubricCriterion::ALL.into_iter().find(|c| c.key() == key)
    }

    /// The display name.
    pub fn title(self) -> &'static str {
        match self {
            RubricCriterion::Clarity => "Clarity",
            RubricCriterion::Depth => "Depth",
            RubricCriterion::TradeOffs => "Trade-offs",
            RubricCriterion::Security => "Security",
            RubricCriterion::Structure => "Structure",
        }
    }

    /// What the criterion asks of an answer.
    fn summary(self) -> &'static str {
        match self {
            RubricCriterion::Clarity => "Could a listener follow the answer and repeat its point?",
            RubricCriterion::Depth => {
                "Does the candidate know how it works, including when it fails?"
            }
            RubricCriterion::TradeOffs => {
                "Are alternatives weighed, with their costs and when each fits?"
            }
            RubricCriterion::Security => {
                "Are the threats for this topic named, with a defense for each?"
            }
            RubricCriterion::Structure => "Does the answer have a shape and fit the time?",
        }
    }

    /// What a score of 1 to 4 means for this criterion.
    fn levels(self) -> [&'static str; 4] {
        match self {
            RubricCriterion::Clarity => [
                "Hard to follow: jumps between ideas, uses jargon without explaining it, never \
                 quite answers the question.",
                "Understandable with effort: the main point is there but buried, and the \
                 listener has to ask what was meant.",
                "Clear: answers the question directly, explains its terms, and a listener could \
                 repeat the gist.",
                "Crisp: leads with the answer, uses a concrete example, adapts to the listener \
                 and wastes no words.",
            ],
            RubricCriterion::Depth => [
                "Surface only: names the concept but cannot say how it works.",
                "Knows the happy path: describes the usual flow but not what happens when a step \
                 fails.",
                "Solid: explains the mechanism, the failure cases and the details that matter in \
                 production.",
                "Expert: goes below the library to the protocol, edge cases and numbers from \
                 real systems.",
            ],
            RubricCriterion::TradeOffs => [
                "Presents one way as the only way.",
                "Mentions an alternative when asked, without weighing it.",
                "Compares alternatives with their costs and says when each one fits.",
                "Frames the choice by its constraints (scale, team, risk), picks one and says \
                 what would change the decision.",
            ],
            RubricCriterion::Security => [
                "Misses or introduces obvious risks, such as trusting client input or secrets \
                 in code.",
                "Aware of risks when prompted, but without concrete defenses.",
                "Names the main threats for this topic and the defense for each.",
                "Thinks like an attacker: abuse cases, defense in depth, failing safely and \
                 what to log.",
            ],
            RubricCriterion::Structure => [
                "No order: details before the point and no conclusion.",
                "Some order, but loses the thread or runs out of time.",
                "A clear shape (what, why, how, trade-off) within the time.",
                "Signposted and paced: says where the answer is going, fits the time and \
                 invites follow-ups.",
            ],
        }
    }
}

/// What one score means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct RubricLevel {
    pub score: u32,
    /// Weak, Developing, Solid, Strong.
    pub label: String,
    pub description: String,
}

/// One criterion of the rubric with its four levels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct RubricCriterionView {
    pub criterion: RubricCriterion,
    pub title: String,
    /// The question the mentor asks themselves.
    pub summary: String,
    /// Scores 1 to 4, in order.
    pub levels: Vec<RubricLevel>,
}

const LEVEL_LABELS: [&str; 4] = ["Weak", "Developing", "Solid", "Strong"];

/// The mock interview rubric: five criteria, each scored 1 to 4.
pub fn rubric() -> Vec<RubricCriterionView> {
    RubricCriterion::ALL
        .into_iter()
        .map(|criterion| RubricCriterionView {
            criterion,
            title: criterion.title().to_owned(),
            summary: criterion.summary().to_owned(),
            levels: criterion
                .levels()
                .into_iter()
                .zip(LEVEL_LABELS)
                .zip(SCORE_RANGE)
                .map(|((description, label), score)| RubricLevel {
                    score,
                    label: label.to_owned(),
                    description: description.to_owned(),
                })
                .collect(),
        })
        .collect()
}

/// A ready-made set of interview topics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum InterviewPreset {
    /// Topics 1 to 7.
    Auth,
    /// Topics 8 to 14.
    Data,
    /// Tokens, roles, error handling, rate limiting, headers and CORS.
    Security,
    /// One topic from each of the six groups.
    FullLoop,
}

impl InterviewPreset {
    /// All presets, in menu order.
    pub const ALL: [InterviewPreset; 4] = [
        InterviewPreset::Auth,
        InterviewPreset::Data,
        InterviewPreset::Security,
        InterviewPreset::FullLoop,
    ];

    /// The topics asked, in order.
    pub fn topic_ids(self) -> &'static [u32] {
        match self {
            InterviewPreset::Auth => &[1, 2, 3, 4, 5, 6, 7],
            InterviewPreset::Data => &[8, 9, 10, 11, 12, 13, 14],
            InterviewPreset::Security => &[1, 3, 15, 17, 18],
            // auth, data, middleware, realtime, testing-ops, add-ons
            InterviewPreset::FullLoop => &[1, 10, 17, 23, 29, 31],
        }
    }

    /// The stored and serialized name, e.g. `full-loop`.
    pub fn key(self) -> &'static str {
        match self {
            InterviewPreset::Auth => "auth",
            InterviewPreset::Data => "data",
            InterviewPreset::Security => "security",
            InterviewPreset::FullLoop => "full-loop",
        }
    }

    /// The preset named by [`InterviewPreset::key`].
    pub fn from_key(key: &str) -> Option<InterviewPreset> {
        InterviewPreset::ALL.into_iter().find(|p| p.key() == key)
    }

    /// The display name.
    pub fn title(self) -> &'static str {
        match self {
            InterviewPreset::Auth => "Authentication and authorization",
            InterviewPreset::Data => "REST API and data",
            InterviewPreset::Security => "Security",
            InterviewPreset::FullLoop => "Full loop",
        }
    }
}

/// A preset as the setup dialog lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct PresetView {
    pub preset: InterviewPreset,
    pub title: String,
    pub topic_ids: Vec<u32>,
}

/// Every preset with its topics.
pub fn interview_presets() -> Vec<PresetView> {
    InterviewPreset::ALL
        .into_iter()
        .map(|preset| PresetView {
            preset,
            title: preset.title().to_owned(),
            topic_ids: preset.topic_ids().to_vec(),
        })
        .collect()
}
