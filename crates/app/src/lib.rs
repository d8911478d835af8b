//! The one API Backend Dojo's UI calls. The desktop shell wraps each method in a Tauri
//! command; web mode ([`web`]) serves the same methods over HTTP on loopback.

pub mod check;
pub mod sandbox;
mod error;
mod views;
pub mod web;

use std::sync::Arc;

use dojo_content::{highlight, render, Library, SectionKind};

pub use error::{Error, Problem, Result};
pub use views::{GroupView, SectionView, TopicIndex, TopicSummary, TopicView};

/// Everything the UI can ask for. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Dojo {
    library: Arc<Library>,
}

impl Dojo {
    /// Loads the topics compiled into the binary.
    pub fn load() -> Result<Dojo> {
        Ok(Dojo { library: Arc::new(Library::embedded()?) })
    }

    /// All topics grouped for the sidebar, groups and topics in catalogue order.
    pub fn topic_index(&self) -> TopicIndex {
        let groups = dojo_content::Group::ALL
            .into_iter()
            .map(|group| GroupView {
                key: group.key().to_owned(),
                title: group.title().to_owned(),
                topics: self
                    .library
                    .topics()
                    .iter()
                    .filter(|t| t.front.group == group)
                    .map(TopicSummary::from)
                    .collect(),
            })
            .filter(|group| !group.topics.is_empty())
            .collect();
        TopicIndex { groups }
    }

    /// One topic with every section rendered to HTML.
    pub fn topic(&self, key: &str) -> Result<TopicView> {
        let topic = self.library.get(key).map_err(|_| Error::TopicNotFound(key.to_owned()))?;
        let sections = topic
            .sections
            .iter()
            .map(|section| SectionView {
                key: section.kind.key().to_owned(),
                title: section.kind.heading().to_owned(),
                html: render::to_html(&section.markdown, self.library.regions()),
            })
            .collect();
        Ok(TopicView {
            summary: TopicSummary::from(topic),
            group_title: topic.front.group.title().to_owned(),
            sections,
        })
    }

    /// One topic as plain text for a terminal.
    pub fn topic_text(&self, key: &str) -> Result<String> {
        let topic = self.library.get(key).map_err(|_| Error::TopicNotFound(key.to_owned()))?;
        let front = &topic.front;
        let mut out = format!(
            "Topic {}: {}\n{} | {} | {}\n\n",
            front.id,
            front.title,
            front.group.title(),
            front.difficulty.key(),
            front.tags.join(", ")
        );
        for kind in SectionKind::ALL {
            let Some(section) = topic.section(kind) else { continue };
            out.push_str(&format!("## {}\n\n{}\n", kind.heading(), section.markdown));
        }
        Ok(render::to_terminal(&out, self.library.regions()))
    }

    /// CSS for highlighted code, light and dark.
    pub fn syntax_css(&self) -> &'static str {
        highlight::stylesheet()
    }
}
