//! `dojo check`: validates every topic file and drill, syntax-checks the Express templates,
//! and runs every drill against a fresh sandbox.

use std::path::Path;

use dojo_content::{Error as ContentError, Library, validate};

use crate::drills;
use crate::sandbox::{self, SandboxOptions};

/// What a content check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// Topics that parsed and passed the structural checks.
    pub topics: usize,
    /// One line per problem, `file:line: message`.
    pub problems: Vec<String>,
    /// False when node could not be run, so `js` blocks went unchecked.
    pub javascript_checked: bool,
}

impl CheckReport {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks the topics in `dir`, or the embedded ones when `dir` is `None`; `node` is the
/// program used for `node --check`.
pub fn check_content(dir: Option<&Path>, node: &Path) -> CheckReport {
    let loaded = match dir {
        Some(dir) => Library::from_dir(dir),
        None => Library::embedded(),
    };
    let library = match loaded {
        Ok(library) => library,
        Err(ContentError::Invalid(problems)) => {
            let problems = problems.iter().map(ToString::to_string).collect();
            return CheckReport {
                topics: 0,
                problems,
                javascript_checked: false,
            };
        }
        Err(other) => {
            return CheckReport {
                topics: 0,
                problems: vec![other.to_string()],
                javascript_checked: false,
            };
        }
    };
    let javascript = validate::javascript(library.topics(), node);
    CheckReport {
        topics: library.topics().len(),
        javascript_checked: javascript.is_some(),
        problems: javascript
            .unwrap_or_default()
            .iter()
            .map(ToString::to_string)
            .collect(),
    }
}

/// What running the drills found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrillCheck {
    /// How many drills ran.
    pub drills: usize,
    /// One line per failed drill, `file:line: message`.
    pub problems: Vec<String>,
}

/// Runs every drill of every topic in `dir` (or the embedded ones), each topic against a
/// sandbox of its own, started fresh with default options, so no topic sees another's
/// state. Topics run at the same time; a topic's drills run in order. Content that does not
/// load runs no drills: [`check_content`] reports why.
pub async fn check_drills(dir: Option<&Path>) -> DrillCheck {
    let loaded = match dir {
        Some(dir) => Library::from_dir(dir),
        None => Library::embedded(),
    };
    let Ok(library) = loaded else {
        return DrillCheck {
            drills: 0,
            problems: Vec::new(),
        };
    };
    let mut topics = tokio::task::JoinSet::new();
    for topic in library.topics() {
        let drills = library.drills(topic.front.id).to_vec();
        if drills.is_empty() {
            continue;
        }
        let id = topic.front.id;
        topics.spawn(async move {
            let sandbox = match sandbox::start(SandboxOptions::default()).await {
                Ok(sandbox) => sandbox,
                Err(error) => {
                    return (
                        id,
                        drills.len(),
                        vec![format!(
                            "topic {id}: cannot start a sandbox for its drills: {error}"
                        )],
                    );
                }
            };
            // The topic starts from its seed; for the data topics this generates the data
            // set now, outside the drills' request timeouts, even with every topic starting
            // at once.
            if let Err(error) = dojo_sandbox::tooling::reset_topic_state(&sandbox.state, id).await {
                let _ = sandbox.shutdown().await;
                return (
                    id,
                    drills.len(),
                    vec![format!(
                        "topic {id}: the sandbox could not reset it: {error}"
                    )],
                );
            }
            let results = drills::run_drills(drills, drills::DrillTarget::sandbox(&sandbox)).await;
            let _ = sandbox.shutdown().await;
            let problems = results
                .iter()
                .filter(|d| !d.passed)
                .map(|d| {
                    let (line, message) = d.first_failure().unwrap_or((0, "failed".into()));
                    format!(
                        "{}/{}:{line}: drill failed: {message}",
                        dojo_content::drill::DRILLS_DIR,
                        d.path
                    )
                })
                .collect::<Vec<_>>();
            (id, results.len(), problems)
        });
    }
    let mut finished = Vec::new();
    while let Some(joined) = topics.join_next().await {
        match joined {
            Ok(topic) => finished.push(topic),
            Err(error) => finished.push((0, 0, vec![format!("a drill run stopped: {error}")])),
        }
    }
    finished.sort_by_key(|(id, _, _)| *id);
    DrillCheck {
        drills: finished.iter().map(|(_, count, _)| count).sum(),
        problems: finished
            .into_iter()
            .flat_map(|(_, _, problems)| problems)
            .collect(),
    }
}
