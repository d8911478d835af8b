//! Fixtures for the study database tests: a database on a fixed clock, the embedded topic
//! library, and small topic libraries written to a temporary folder.

#![allow(dead_code, unreachable_pub)]

use std::path::Path;

use dojo_content::Library;
use dojo_study::{Study, UnixSeconds};

/// 2024-03-01 09:00:00 UTC; the clock every test database starts on.
pub const T0: UnixSeconds = 1_709_283_600;
pub const DAY: i64 = 86_400;

/// An in-memory database whose clock always reads `T0`.
pub fn memory_study() -> Study {
    Study::open_in_memory()
        .expect("in-memory database")
        .with_clock(|| T0)
}

/// The topics compiled into the app.
pub fn embedded() -> Library {
    Library::embedded().expect("the embedded topics load")
}

/// An in-memory database synced with the embedded topics.
pub fn study_with_embedded() -> (Study, Library) {
    let study = memory_study();
    let library = embedded();
    study
        .sync_library(&library)
        .expect("sync with the embedded topics");
    (study, library)
}

/// A topic file's text: front matter, then `sections` as `## heading` + body.
pub fn topic_text(id: u32, title: &str, status: &str, sections: &[(&str, &str)]) -> String {
    let group = match id {
        1..=7 => "auth",
        8..=14 => "data",
        15..=20 => "middleware",
        21..=26 => "realtime",
        27..=30 => "testing-ops",
        _ => "addons",
    };
    let mut text = format!(
        "+++\nid = {id}\nslug = \"fixture-{id}\"\ntitle = {title:?}\ngroup = \"{group}\"\n\
         tags = [\"fixture\"]\ndifficulty = \"mid\"\nstatus = \"{status}\"\nsandbox = \"fixture\"\n\
         regions = []\n+++\n"
    );
    for (heading, body) in sections {
        text.push_str(&format!("\n## {heading}\n\n{}\n", body.trim_end()));
    }
    text
}

/// An interview answer of 200 words built from `words`, repeated.
pub fn answer(words: &[&str]) -> String {
    let mut text = String::new();
    for index in 0..200 {
        text.push_str(words[index % words.len()]);
        text.push(if index % 14 == 13 { '\n' } else { ' ' });
    }
    text
}

/// An outline topic: title and interview answer only.
pub fn outline(id: u32, title: &str) -> String {
    topic_text(
        id,
        title,
        "outline",
        &[(
            "Interview answer",
            &answer(&["tokens", "latency", "queues", "retries"]),
        )],
    )
}

pub const STAR: &str = "**Situation.** The login endpoint was slow under load.\n\n\
**Task.** Make it fast without weakening the hash.\n\n\
**Action.** Moved hashing to a worker pool.\n\n\
**Result.** p99 latency fell from 900 ms to 120 ms.";

pub const KEY_POINTS: &str = "- Verify before trusting.\n- Keep it short-lived.";

pub const PITFALLS: &str = "- Trusting the payload without verifying it.\n- Logging whole tokens.";

pub const FOLLOW_UPS: &str = "### Why short-lived tokens?\n\nA stolen token expires soon.\n\n\
### Where do you store them?\n\nIn memory on the client.\n\n\
### How do you revoke one?\n\nKeep a deny list of `jti` values until they expire.";

pub const EXPRESS: &str = "The app is two modules: a router and the middleware it uses.\n\n\
```js\n// routes/items.js\n'use strict';\nconst express = require('express');\n\nmodule.exports = express.Router();\n```\n\n\
```js\n// middleware/auth.js\n'use strict';\nmodule.exports = (req, res, next) => next();\n```\n\n\
The app mounts the router behind the middleware.\n\n\
```js\n'use strict';\nconst express = require('express');\nconst app = express();\nmodule.exports = app;\n```";

/// A complete topic with the six required sections; `follow_ups` and `pitfalls` replace
/// the default bodies.
pub fn complete(id: u32, title: &str, follow_ups: &str, pitfalls: &str) -> String {
    topic_text(
        id,
        title,
        "complete",
        &[
            (
                "Interview answer",
                &answer(&["tokens", "latency", "queues", "retries"]),
            ),
            ("STAR story", STAR),
            ("Key points", KEY_POINTS),
            ("Follow-up questions", follow_ups),
            ("Pitfalls", pitfalls),
            ("Express template", EXPRESS),
        ],
    )
}

/// Writes 33 topic files into `dir/topics` (outline topics titled "Fixture topic N", except the
/// ids in `replaced`, which get the given text) and loads them.
pub fn library_in(dir: &Path, replaced: &[(u32, String)]) -> Library {
    // A folder of its own: the loader reads drills from a `drills` folder beside it.
    let dir = dir.join("topics");
    std::fs::create_dir_all(&dir).expect("create the topics folder");
    for id in 1..=33u32 {
        let text = replaced.iter().find(|(rid, _)| *rid == id).map_or_else(
            || outline(id, &format!("Fixture topic {id}")),
            |(_, text)| text.clone(),
        );
        std::fs::write(dir.join(format!("{id:02}-fixture-{id}.md")), text)
            .expect("write topic file");
    }
    match Library::from_dir(&dir) {
        Ok(library) => library,
        Err(error) => panic!("fixture topics should load: {error}"),
    }
}
