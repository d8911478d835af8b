//! Which topics an export covers.

use dojo_content::{Library, Topic};

use crate::{Error, Result};

/// The topics to export: all of them, or some ids (exported in id order, each once).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TopicSelection {
    /// Every topic of the library.
    #[default]
    All,
    /// Only these topic ids.
    Only(Vec<u32>),
}

impl TopicSelection {
    /// The selected topics in id order; an id the library lacks is an error.
    pub fn resolve<'a>(&self, library: &'a Library) -> Result<Vec<&'a Topic>> {
        let topics: Vec<&Topic> = match self {
            TopicSelection::All => library.topics().iter().collect(),
            TopicSelection::Only(ids) => {
                for &id in ids {
                    find_topic(library, id)?;
                }
                library
                    .topics()
                    .iter()
                    .filter(|topic| ids.contains(&topic.front.id))
                    .collect()
            }
        };
        if topics.is_empty() {
            return Err(Error::NoTopics);
        }
        Ok(topics)
    }
}

/// One topic by id, or an error that says which ids exist.
pub fn find_topic(library: &Library, id: u32) -> Result<&Topic> {
    let topics = library.topics();
    topics
        .iter()
        .find(|topic| topic.front.id == id)
        .ok_or_else(|| Error::UnknownTopic {
            id,
            first: topics.first().map_or(0, |t| t.front.id),
            last: topics.last().map_or(0, |t| t.front.id),
        })
}
