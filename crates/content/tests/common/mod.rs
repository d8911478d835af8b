//! Fixture builders for Backend Dojo topic files: a valid outline or complete topic that a
//! test then breaks in one place, and helpers to read the diagnostics a library reports.

#![allow(dead_code, unreachable_pub)]

use dojo_content::{Error, Library};

/// The group a topic id belongs to, as in the catalogue table of `content/README.md`.
pub fn group_for(id: u32) -> &'static str {
    match id {
        1..=7 => "auth",
        8..=14 => "data",
        15..=20 => "middleware",
        21..=26 => "realtime",
        27..=30 => "testing-ops",
        _ => "addons",
    }
}

/// The slug fixtures use for a topic id.
pub fn slug_for(id: u32) -> String {
    format!("fixture-topic-{id}")
}

/// The file name that matches a fixture topic's id and slug.
pub fn file_for(id: u32) -> String {
    format!("{id:02}-{}.md", slug_for(id))
}

/// An interview answer of exactly `words` words, wrapped over several lines.
pub fn answer_words(words: usize) -> String {
    let mut text = String::new();
    for index in 0..words {
        if index > 0 {
            text.push(if index % 12 == 0 { '\n' } else { ' ' });
        }
        text.push_str(["caching", "tokens", "latency", "retries"][index % 4]);
    }
    text.push('\n');
    text
}

/// The body of a valid `## STAR story` section; its result has a number.
pub const STAR_STORY: &str = "**Situation.** The login endpoint was slow under load.\n\n\
**Task.** Make it fast without weakening the password hash.\n\n\
**Action.** Moved hashing to a worker pool and added a per-account limit.\n\n\
**Result.** p99 latency fell from 900 ms to 120 ms.\n";

pub const KEY_POINTS: &str =
    "- Verify the signature before reading claims.\n- Keep tokens short-lived.\n";

pub const FOLLOW_UPS: &str = "### Why short-lived tokens?\n\nA stolen token expires soon.\n\n\
### Where do you store them?\n\nIn memory on the client.\n\n\
### How do you revoke one?\n\nKeep a deny list of `jti` values until they expire.\n";

pub const PITFALLS: &str =
    "- Trusting the payload without verifying it.\n- Putting secrets in claims.\n";

pub const EXPRESS: &str = "Plain Express middleware.\n\n```js\n'use strict';\n\
const express = require('express');\n\nconst app = express();\n\
app.get('/healthz', (req, res) => res.json({ ok: true }));\n\nmodule.exports = app;\n```\n";

/// One topic file under construction: front matter fields in the documented order, then
/// `## ` sections in the order they are added.
#[derive(Debug, Clone)]
pub struct TopicFile {
    pub name: String,
    pub front: Vec<(String, String)>,
    pub sections: Vec<(String, String)>,
}

impl TopicFile {
    /// A valid outline topic: front matter and a 200-word interview answer.
    pub fn outline(id: u32) -> TopicFile {
        let front = [
            ("id", id.to_string()),
            ("slug", format!("{:?}", slug_for(id))),
            ("title", format!("\"Fixture topic {id}\"")),
            ("group", format!("{:?}", group_for(id))),
            ("tags", "[\"fixture\"]".to_owned()),
            ("difficulty", "\"mid\"".to_owned()),
            ("status", "\"outline\"".to_owned()),
            ("sandbox", "\"fixture\"".to_owned()),
            ("regions", "[]".to_owned()),
        ];
        TopicFile {
            name: file_for(id),
            front: front.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
            sections: vec![("Interview answer".to_owned(), answer_words(200))],
        }
    }

    /// A valid complete topic with the six required sections.
    pub fn complete(id: u32) -> TopicFile {
        TopicFile::outline(id)
            .set("status", "\"complete\"")
            .section("STAR story", STAR_STORY)
            .section("Key points", KEY_POINTS)
            .section("Follow-up questions", FOLLOW_UPS)
            .section("Pitfalls", PITFALLS)
            .section("Express template", EXPRESS)
    }

    /// Replaces a front matter value (raw TOML), or appends the key when it is new.
    pub fn set(mut self, key: &str, toml_value: &str) -> TopicFile {
        match self.front.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = toml_value.to_owned(),
            None => self.front.push((key.to_owned(), toml_value.to_owned())),
        }
        self
    }

    /// Appends a `## heading` section with `body` under it.
    pub fn section(mut self, heading: &str, body: &str) -> TopicFile {
        self.sections.push((heading.to_owned(), body.to_owned()));
        self
    }

    /// Drops the section with this heading.
    pub fn without(mut self, heading: &str) -> TopicFile {
        self.sections.retain(|(h, _)| h != heading);
        self
    }

    /// Replaces the body of the section with this heading.
    pub fn replace(mut self, heading: &str, body: &str) -> TopicFile {
        for section in self.sections.iter_mut().filter(|(h, _)| h == heading) {
            section.1 = body.to_owned();
        }
        self
    }

    pub fn named(mut self, name: &str) -> TopicFile {
        self.name = name.to_owned();
        self
    }

    /// The file text: `+++`, one `key = value` per line, `+++`, a blank line, sections.
    pub fn text(&self) -> String {
        let mut out = String::from("+++\n");
        for (key, value) in &self.front {
            out.push_str(&format!("{key} = {value}\n"));
        }
        out.push_str("+++\n");
        for (heading, body) in &self.sections {
            out.push_str(&format!("\n## {heading}\n\n{body}"));
            if !body.ends_with('\n') {
                out.push('\n');
            }
        }
        out
    }

    pub fn file(&self) -> (String, String) {
        (self.name.clone(), self.text())
    }
}

/// All 33 topics as valid outline fixtures, in id order.
pub fn outline_library() -> Vec<(String, String)> {
    (1..=33).map(|id| TopicFile::outline(id).file()).collect()
}

/// The 1-based line of the first line of `text` containing `needle`.
pub fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|line| line.contains(needle))
        .map(|index| index + 1)
        .unwrap_or_else(|| panic!("{needle:?} is not in the fixture:\n{text}"))
}

/// Loads `files`, expects them to be rejected, and returns each diagnostic as
/// `file:line: message`.
pub fn diagnostics(files: Vec<(String, String)>) -> Vec<String> {
    match Library::from_files(files) {
        Ok(library) => panic!(
            "expected diagnostics, the library loaded {} topics",
            library.topics().len()
        ),
        Err(Error::Invalid(found)) => found.iter().map(ToString::to_string).collect(),
        Err(other) => panic!("expected Error::Invalid, got {other}"),
    }
}

/// Diagnostics for one topic file on its own.
pub fn diagnostics_for(name: &str, text: &str) -> Vec<String> {
    diagnostics(vec![(name.to_owned(), text.to_owned())])
}
