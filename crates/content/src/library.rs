//! The set of all topics, loaded from the embedded files or from a directory.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use crate::model::Topic;
use crate::regions::{self, Region};
use crate::{Diagnostic, Error, Result, embedded, parse, validate};

/// All topics, ordered by id, with the sandbox source regions they include.
#[derive(Debug, Clone)]
pub struct Library {
    topics: Vec<Topic>,
    regions: BTreeMap<String, Region>,
}

impl Library {
    /// The topics compiled into this binary.
    pub fn embedded() -> Result<Library> {
        let files = embedded::TOPIC_FILES.iter().map(|(name, text)| ((*name).to_owned(), (*text).to_owned()));
        Library::from_files(files.collect())
    }

    /// Every `*.md` file of `dir`, with the embedded sandbox regions.
    pub fn from_dir(dir: &Path) -> Result<Library> {
        let read_error = |source| Error::Read { path: dir.display().to_string(), source };
        let mut files = Vec::new();
        for entry in fs::read_dir(dir).map_err(read_error)? {
            let path = entry.map_err(read_error)?.path();
            if path.extension().is_none_or(|ext| ext != "md") {
                continue;
            }
            let text = fs::read_to_string(&path)
                .map_err(|source| Error::Read { path: path.display().to_string(), source })?;
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            files.push((name, text));
        }
        Library::from_files(files)
    }

    /// Parses and validates `(file name, text)` pairs; reports every problem at once.
    pub fn from_files(files: Vec<(String, String)>) -> Result<Library> {
        let regions = regions::collect(embedded::SANDBOX_SOURCES.iter().copied())
            .map_err(|message| Error::Invalid(vec![Diagnostic::new("crates/sandbox/src", 0, message)]))?;
        let mut problems = Vec::new();
        let mut topics = Vec::new();
        for (name, text) in &files {
            match parse::parse_topic(name, text) {
                Ok(topic) => {
                    problems.extend(validate::topic(&topic, &regions));
                    topics.push(topic);
                }
                Err(found) => problems.extend(found),
            }
        }
        if problems.is_empty() {
            problems.extend(validate::library(&topics));
        }
        if !problems.is_empty() {
            problems.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
            return Err(Error::Invalid(problems));
        }
        topics.sort_by_key(|t| t.front.id);
        Ok(Library { topics, regions })
    }

    pub fn topics(&self) -> &[Topic] {
        &self.topics
    }

    pub fn regions(&self) -> &BTreeMap<String, Region> {
        &self.regions
    }

    /// A topic by id (`"17"`, `"017"`) or slug (`"rate-limiting"`).
    pub fn get(&self, key: &str) -> Result<&Topic> {
        let key = key.trim();
        let by_id = key.parse::<u32>().ok();
        self.topics
            .iter()
            .find(|t| Some(t.front.id) == by_id || t.front.slug == key)
            .ok_or_else(|| Error::UnknownTopic(key.to_owned()))
    }
}
