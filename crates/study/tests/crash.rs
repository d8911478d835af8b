//! Crash safety: a child process writes notes, reviews and stories in a loop and reports
//! each write once it has committed; the test kills it with SIGKILL mid-loop, reopens the
//! database, and checks the file is intact and every reported write is there. Three
//! rounds, so a database recovered from one kill is killed again.
//!
//! This binary has its own `main`: with `DOJO_STUDY_CRASH_WRITER` set it is the writer.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use common::{T0, embedded};
use dojo_study::{ReviewGrade, StoryDraft, Study};

const WRITER_ENV: &str = "DOJO_STUDY_CRASH_WRITER";
const ROUND_ENV: &str = "DOJO_STUDY_CRASH_ROUND";
/// Committed writes the parent waits for before it kills the writer.
const WRITES_BEFORE_KILL: usize = 240;
/// The writer stops by itself after this many writes, so a broken parent cannot leave it
/// running forever.
const WRITER_LIMIT: u64 = 200_000;
const ROUNDS: u64 = 3;

fn main() {
    match std::env::var_os(WRITER_ENV) {
        Some(path) => {
            let round: u64 = std::env::var(ROUND_ENV)
                .ok()
                .and_then(|r| r.parse().ok())
                .expect("round number");
            write_until_killed(Path::new(&path), round);
        }
        None => {
            kill_writers_and_check();
            println!(
                "crash test: ok ({ROUNDS} rounds of {WRITES_BEFORE_KILL}+ committed writes, each killed mid-loop)"
            );
        }
    }
}

/// The child: one write after another, each reported on stdout after it returned.
fn write_until_killed(path: &Path, round: u64) {
    let study = Study::open(path).expect("writer opens the database");
    let cards: Vec<i64> = study
        .due_cards(T0, 1000)
        .expect("due cards")
        .iter()
        .map(|c| c.id)
        .collect();
    assert!(
        !cards.is_empty(),
        "the parent started topics, so cards are due"
    );
    let mut out = std::io::stdout().lock();
    for step in 0..WRITER_LIMIT {
        let seq = round * 1_000_000 + step;
        let line = match step % 3 {
            0 => {
                let topic = (step % 33) as u32 + 1;
                study
                    .save_note(topic, &format!("write {seq}"))
                    .expect("save note");
                format!("note {topic} {seq}")
            }
            1 => {
                let card = cards[(step as usize) % cards.len()];
                let outcome = study
                    .review(card, ReviewGrade::Good, T0 + seq as i64)
                    .expect("review");
                format!("review {} {card}", outcome.review_id)
            }
            _ => {
                let story = study
                    .save_story(&StoryDraft {
                        topic_id: (step % 33) as u32 + 1,
                        title: format!("Story {seq}"),
                        situation: "A service fell over under load at night.".into(),
                        task: "Keep it up without paging anyone.".into(),
                        action: "Added a queue in front of the slow call.".into(),
                        result: format!("Errors dropped by {}%.", step % 100),
                    })
                    .expect("save story");
                format!("story {}", story.id)
            }
        };
        writeln!(out, "{line}").expect("report");
        out.flush().expect("flush report");
    }
}

/// Committed writes reported by the writers, across rounds.
#[derive(Default)]
struct Reported {
    /// Highest note sequence number per topic.
    notes: BTreeMap<u32, u64>,
    /// Review id to card id.
    reviews: BTreeMap<i64, i64>,
    stories: Vec<i64>,
}

fn kill_writers_and_check() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("study.db");
    {
        let study = Study::open(&path)
            .expect("create the database")
            .with_clock(|| T0);
        study.sync_library(&embedded()).expect("sync");
        for topic in 1..=33 {
            study.touch_topic(topic).expect("start topic");
        }
    }
    let mut reported = Reported::default();
    for round in 0..ROUNDS {
        let lines = run_and_kill(&path, round);
        for line in &lines {
            record(&mut reported, line);
        }
        check(&path, &reported, round);
    }
}

/// Starts a writer, reads its reports until enough writes committed, then kills it.
fn run_and_kill(path: &Path, round: u64) -> Vec<String> {
    let exe = std::env::current_exe().expect("this test binary");
    let mut child = Command::new(exe)
        .env(WRITER_ENV, path)
        .env(ROUND_ENV, round.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the writer");
    let stdout = child.stdout.take().expect("writer stdout");
    let mut reader = BufReader::new(stdout);
    let mut lines = Vec::new();
    while lines.len() < WRITES_BEFORE_KILL {
        let mut line = String::new();
        let read = reader.read_line(&mut line).expect("read a report");
        assert!(
            read > 0,
            "round {round}: the writer stopped after {} writes",
            lines.len()
        );
        lines.push(line.trim_end().to_owned());
    }
    assert!(
        child.try_wait().expect("writer status").is_none(),
        "round {round}: the writer must still be writing when it is killed"
    );
    child.kill().expect("SIGKILL the writer");
    let status = child.wait().expect("reap the writer");
    assert!(
        !status.success(),
        "round {round}: the writer was killed, not finished"
    );
    // Reports already in the pipe were committed too.
    for line in reader.lines() {
        let Ok(line) = line else { break };
        if !line.is_empty() {
            lines.push(line);
        }
    }
    lines
}

fn record(reported: &mut Reported, line: &str) {
    let words: Vec<&str> = line.split_whitespace().collect();
    let number = |index: usize| -> i64 {
        words
            .get(index)
            .and_then(|w| w.parse().ok())
            .unwrap_or_else(|| panic!("bad report {line:?}"))
    };
    match words.first().copied() {
        Some("note") => {
            let seq = number(2) as u64;
            let entry = reported.notes.entry(number(1) as u32).or_insert(seq);
            *entry = (*entry).max(seq);
        }
        Some("review") => {
            reported.reviews.insert(number(1), number(2));
        }
        Some("story") => reported.stories.push(number(1)),
        _ => panic!("bad report {line:?}"),
    }
}

fn check(path: &Path, reported: &Reported, round: u64) {
    let raw = rusqlite::Connection::open(path).expect("raw open after the kill");
    let integrity: String = raw
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .expect("integrity check");
    assert_eq!(integrity, "ok", "round {round}");
    drop(raw);

    let study = Study::open(path).expect("reopen after the kill");
    assert!(study.integrity_problems().expect("integrity").is_empty());
    for (topic, seq) in &reported.notes {
        let note = study
            .note(*topic)
            .expect("read note")
            .unwrap_or_else(|| panic!("note of topic {topic} lost"));
        let stored: u64 = note
            .markdown
            .trim_start_matches("write ")
            .parse()
            .expect("note text");
        assert!(
            stored >= *seq,
            "round {round}: topic {topic} has write {stored}, but write {seq} was committed"
        );
    }
    for (review, card) in &reported.reviews {
        let log = study.card_reviews(*card).expect("card reviews");
        assert!(
            log.iter().any(|r| r.id == *review),
            "round {round}: review {review} of card {card} lost"
        );
    }
    for story in &reported.stories {
        study
            .story(*story)
            .unwrap_or_else(|error| panic!("round {round}: story {story} lost: {error}"));
    }
    let total = reported.notes.len() + reported.reviews.len() + reported.stories.len();
    assert!(total > 0);
}
