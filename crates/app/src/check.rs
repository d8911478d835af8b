//! `dojo check`: validates every topic file and syntax-checks the Express templates.

use std::path::Path;

use dojo_content::{Error as ContentError, Library, validate};

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
            return CheckReport { topics: 0, problems, javascript_checked: false };
        }
        Err(other) => return CheckReport { topics: 0, problems: vec![other.to_string()], javascript_checked: false },
    };
    let javascript = validate::javascript(library.topics(), node);
    CheckReport {
        topics: library.topics().len(),
        javascript_checked: javascript.is_some(),
        problems: javascript.unwrap_or_default().iter().map(ToString::to_string).collect(),
    }
}
