//! The set of all topics and their drills, loaded from the embedded files or from a
//! directory.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use crate::drill::{self, Drill};
use crate::model::Topic;
use crate::regions::{self, Region};
use crate::{Error, Result, embedded, parse, validate};

/// All topics, ordered by id, with the source regions they include (from the sandbox and
/// storage crates) and their drills.
#[derive(Debug, Clone)]
pub struct Library {
    topics: Vec<Topic>,
    regions: BTreeMap<String, Region>,
    drills: BTreeMap<u32, Vec<Drill>>,
}

impl Library {
    /// The topics and drills compiled into this binary.
    pub fn embedded() -> Result<Library> {
        let owned = |files: &[(&str, &str)]| -> Vec<(String, String)> {
            files
                .iter()
                .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
                .collect()
        };
        Library::from_sources(owned(embedded::TOPIC_FILES), owned(embedded::DRILL_FILES))
    }

    /// Every `*.md` file of `dir`, with the embedded source regions. Drills come from the
    /// `drills` folder beside `dir` (`content/drills` for `content/topics`) when there is one.
    pub fn from_dir(dir: &Path) -> Result<Library> {
        let mut files = Vec::new();
        for path in read_dir_sorted(dir)? {
            if path.extension().is_none_or(|ext| ext != "md") {
                continue;
            }
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            files.push((name, read(&path)?));
        }
        let mut drills = Vec::new();
        if let Some(drills_dir) = dir
            .parent()
            .map(|parent| parent.join("drills"))
            .filter(|d| d.is_dir())
        {
            for folder in read_dir_sorted(&drills_dir)?
                .into_iter()
                .filter(|p| p.is_dir())
            {
                for path in read_dir_sorted(&folder)? {
                    if path.extension().is_none_or(|ext| ext != "hurl") {
                        continue;
                    }
                    let relative = path.strip_prefix(&drills_dir).unwrap_or(&path);
                    drills.push((relative.to_string_lossy().replace('\\', "/"), read(&path)?));
                }
            }
        }
        Library::from_sources(files, drills)
    }

    /// Parses and validates `(file name, text)` topic pairs, without drills; reports every
    /// problem at once.
    pub fn from_files(files: Vec<(String, String)>) -> Result<Library> {
        Library::from_sources(files, Vec::new())
    }

    /// Parses and validates topics `(file name, text)` and drills `(path under
    /// content/drills, text)`; reports every problem at once.
    pub fn from_sources(
        files: Vec<(String, String)>,
        drill_files: Vec<(String, String)>,
    ) -> Result<Library> {
        let regions = regions::collect(embedded::RUST_SOURCES.iter().copied())
            .map_err(|problem| Error::Invalid(vec![problem]))?;
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
        let topic_files: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
        let drills = match drill::load(&drill_files, &topic_files) {
            Ok(drills) => drills,
            Err(found) => {
                problems.extend(found);
                BTreeMap::new()
            }
        };
        if !problems.is_empty() {
            problems.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
            return Err(Error::Invalid(problems));
        }
        topics.sort_by_key(|t| t.front.id);
        Ok(Library {
            topics,
            regions,
            drills,
        })
    }

    pub fn topics(&self) -> &[Topic] {
        &self.topics
    }

    /// Every region marked in the embedded sources (the sandbox's and the storage crate's),
    /// by name.
    pub fn regions(&self) -> &BTreeMap<String, Region> {
        &self.regions
    }

    /// The drills of one topic, in file-name order; empty when it has none.
    pub fn drills(&self, topic_id: u32) -> &[Drill] {
        self.drills.get(&topic_id).map_or(&[], Vec::as_slice)
    }

    /// Every drill of every topic, by topic id.
    pub fn all_drills(&self) -> impl Iterator<Item = &Drill> {
        self.drills.values().flatten()
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

fn read_dir_sorted(dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    let read_error = |source| Error::Read {
        path: dir.display().to_string(),
        source,
    };
    let mut paths = Vec::new();
    for entry in fs::read_dir(dir).map_err(read_error)? {
        paths.push(entry.map_err(read_error)?.path());
    }
    paths.sort();
    Ok(paths)
}

fn read(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.display().to_string(),
        source,
    })
}
