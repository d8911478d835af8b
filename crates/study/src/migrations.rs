//! The database schema, as numbered migrations compiled into the binary. The version a
//! file is at is kept in `PRAGMA user_version`; each migration runs in its own
//! transaction together with the version bump, so a crash leaves a file at one version or
//! the next, never in between.

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{Error, Result};

/// Migration `n` (1-based) brings a database from version `n - 1` to version `n`.
const MIGRATIONS: &[&str] = &[
    // 1: everything the first release stores.
    r#"
    CREATE TABLE topics (
        id           INTEGER PRIMARY KEY,
        slug         TEXT NOT NULL,
        title        TEXT NOT NULL,
        group_key    TEXT NOT NULL,
        drill_count  INTEGER NOT NULL DEFAULT 0
    );

    CREATE TABLE progress (
        topic_id          INTEGER PRIMARY KEY,
        state             TEXT NOT NULL DEFAULT 'not-started'
                          CHECK (state IN ('not-started', 'learning', 'confident')),
        drills_passed     INTEGER CHECK (drills_passed >= 0),
        drills_total      INTEGER CHECK (drills_total >= 0),
        drills_run_at     INTEGER,
        last_opened_at    INTEGER,
        last_reviewed_at  INTEGER,
        updated_at        INTEGER NOT NULL
    );

    CREATE TABLE notes (
        topic_id    INTEGER PRIMARY KEY,
        body        TEXT NOT NULL,
        updated_at  INTEGER NOT NULL
    );

    CREATE VIRTUAL TABLE search_index USING fts5(
        topic_id UNINDEXED,
        section UNINDEXED,
        heading,
        body,
        tokenize = 'unicode61 remove_diacritics 2'
    );

    CREATE TABLE cards (
        id               INTEGER PRIMARY KEY,
        topic_id         INTEGER NOT NULL,
        kind             TEXT NOT NULL
                         CHECK (kind IN ('question', 'follow-up', 'pitfalls', 'code', 'learner')),
        source_key       TEXT UNIQUE,
        prompt           TEXT NOT NULL,
        prompt_code_lang TEXT,
        answer           TEXT NOT NULL,
        answer_code_lang TEXT,
        retired          INTEGER NOT NULL DEFAULT 0 CHECK (retired IN (0, 1)),
        created_at       INTEGER NOT NULL,
        updated_at       INTEGER NOT NULL,
        due_at           INTEGER NOT NULL,
        stability        REAL,
        difficulty       REAL,
        reps             INTEGER NOT NULL DEFAULT 0 CHECK (reps >= 0),
        lapses           INTEGER NOT NULL DEFAULT 0 CHECK (lapses >= 0),
        last_review_at   INTEGER,
        CHECK ((kind = 'learner') = (source_key IS NULL)),
        CHECK ((stability IS NULL) = (difficulty IS NULL))
    );
    CREATE INDEX cards_by_due ON cards (retired, due_at);
    CREATE INDEX cards_by_topic ON cards (topic_id);

    CREATE TABLE reviews (
        id                 INTEGER PRIMARY KEY,
        card_id            INTEGER NOT NULL REFERENCES cards (id) ON DELETE CASCADE,
        reviewed_at        INTEGER NOT NULL,
        grade              INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 4),
        elapsed_days       INTEGER NOT NULL CHECK (elapsed_days >= 0),
        stability_before   REAL,
        difficulty_before  REAL,
        stability          REAL NOT NULL,
        difficulty         REAL NOT NULL,
        due_at             INTEGER NOT NULL
    );
    CREATE INDEX reviews_by_card ON reviews (card_id);

    CREATE TABLE stories (
        id          INTEGER PRIMARY KEY,
        topic_id    INTEGER NOT NULL,
        title       TEXT NOT NULL,
        situation   TEXT NOT NULL,
        task        TEXT NOT NULL,
        action      TEXT NOT NULL,
        result      TEXT NOT NULL,
        created_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL
    );
    CREATE INDEX stories_by_topic ON stories (topic_id);

    CREATE TABLE interviews (
        id                    INTEGER PRIMARY KEY,
        name                  TEXT NOT NULL,
        preset                TEXT,
        seconds_per_question  INTEGER NOT NULL CHECK (seconds_per_question > 0),
        current_index         INTEGER NOT NULL DEFAULT 0 CHECK (current_index >= 0),
        created_at            INTEGER NOT NULL,
        started_at            INTEGER,
        finished_at           INTEGER,
        timer_elapsed         INTEGER NOT NULL DEFAULT 0 CHECK (timer_elapsed >= 0),
        timer_running_since   INTEGER
    );

    CREATE TABLE interview_questions (
        interview_id  INTEGER NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
        position      INTEGER NOT NULL CHECK (position >= 0),
        topic_id      INTEGER NOT NULL,
        topic_title   TEXT NOT NULL,
        question      TEXT NOT NULL,
        model_answer  TEXT NOT NULL,
        follow_ups    TEXT NOT NULL,
        note          TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (interview_id, position)
    );

    CREATE TABLE interview_scores (
        interview_id  INTEGER NOT NULL,
        position      INTEGER NOT NULL,
        criterion     TEXT NOT NULL
                      CHECK (criterion IN ('clarity', 'depth', 'trade-offs', 'security', 'structure')),
        score         INTEGER NOT NULL CHECK (score BETWEEN 1 AND 4),
        PRIMARY KEY (interview_id, position, criterion),
        FOREIGN KEY (interview_id, position)
            REFERENCES interview_questions (interview_id, position) ON DELETE CASCADE
    );
    "#,
    // 2: the learner's profile from the first run and Settings: which implementation to
    // show first, the interview date, the daily time budget and the code font. One row.
    r#"
    CREATE TABLE profile (
        id              INTEGER PRIMARY KEY CHECK (id = 1),
        first_run       TEXT NOT NULL CHECK (first_run IN ('pending', 'done', 'skipped')),
        stack_first     TEXT NOT NULL CHECK (stack_first IN ('express', 'rust')),
        interview_date  TEXT CHECK (interview_date IS NULL OR interview_date GLOB
                            '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
        daily_minutes   INTEGER NOT NULL CHECK (daily_minutes BETWEEN 10 AND 480),
        code_font       TEXT NOT NULL,
        updated_at      INTEGER NOT NULL
    );
    "#,
];

/// The schema version this build writes.
pub(crate) const CURRENT_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings `conn` up to [`CURRENT_VERSION`]; refuses a database from a newer build.
/// `path` only names the file in errors.
pub(crate) fn run(conn: &mut Connection, path: &str) -> Result<()> {
    loop {
        // The version is read inside the write transaction, so two processes opening a
        // fresh file at once run each migration exactly once.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found = version(&tx)?;
        if found > CURRENT_VERSION {
            return Err(Error::NewerSchema {
                path: path.to_owned(),
                found,
                supported: CURRENT_VERSION,
            });
        }
        let index = usize::try_from(found).map_err(|_| {
            Error::Invalid(format!(
                "{path} is not a Backend Dojo study database (user_version {found})"
            ))
        })?;
        let Some(sql) = MIGRATIONS.get(index) else {
            return Ok(());
        };
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", found + 1)?;
        tx.commit()?;
    }
}

/// The version a connection's database is at.
pub(crate) fn version(conn: &Connection) -> Result<i64> {
    Ok(conn.pragma_query_value(None, "user_version", |row| row.get(0))?)
}
