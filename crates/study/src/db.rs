//! Opening the study database: where the file lives, the connection settings that keep it
//! safe (WAL, full sync, busy timeout, foreign keys), the clock, and the one-transaction
//! helpers every feature module writes through.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::error::{Error, Result};
use crate::migrations;

/// A point in time as whole seconds since 1970-01-01 UTC.
pub type UnixSeconds = i64;

/// The environment variable that moves all of Backend Dojo's data to another folder.
pub const DATA_DIR_ENV: &str = "DOJO_DATA_DIR";

/// The folder name under the operating system's data directory.
const APP_FOLDER: &str = "backend-dojo";
/// The database file name inside the data folder.
const FILE_NAME: &str = "study.db";
/// How long a write waits for another connection's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

type Clock = Box<dyn Fn() -> UnixSeconds + Send + Sync>;

/// The study database: progress, notes, search index, flashcards, STAR stories and mock
/// interviews of one learner.
///
/// `Study` is `Send + Sync`: share it behind an `Arc`. Calls are serialized on one
/// connection; every write is a single transaction, so a crash or kill at any moment
/// keeps each write either whole or absent.
///
/// Topic ids are checked against the topic catalogue the database was last synced with,
/// so call [`Study::sync_library`] once after opening.
pub struct Study {
    conn: Mutex<Connection>,
    clock: Clock,
    pub(crate) scheduler: fsrs::FSRS,
    path: Option<PathBuf>,
}

impl fmt::Debug for Study {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Study")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Study {
    /// Opens the database file at `path`, creating it and its parent folders when missing,
    /// and brings its schema up to date. A file written by a newer Backend Dojo is refused
    /// with [`Error::NewerSchema`].
    pub fn open(path: impl AsRef<Path>) -> Result<Study> {
        let path = path.as_ref();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| Error::CreateDir {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let conn = Connection::open(path)?;
        Study::prepare(conn, Some(path.to_path_buf()))
    }

    /// A fresh database that lives only in memory; for tests and previews.
    pub fn open_in_memory() -> Result<Study> {
        Study::prepare(Connection::open_in_memory()?, None)
    }

    /// Opens the database at [`Study::default_path`].
    pub fn open_default() -> Result<Study> {
        Study::open(Study::default_path()?)
    }

    /// Where the study database lives by default: `$DOJO_DATA_DIR/study.db` when that
    /// variable is set, otherwise `backend-dojo/study.db` in the operating system's data
    /// folder (`$XDG_DATA_HOME` or `~/.local/share` on Linux, `~/Library/Application
    /// Support` on macOS, `%APPDATA%` on Windows).
    pub fn default_path() -> Result<PathBuf> {
        Ok(data_dir_from(|name| std::env::var_os(name))
            .ok_or(Error::NoDataDir)?
            .join(FILE_NAME))
    }

    /// Replaces the clock used for the times the database records (`updated_at`,
    /// `created_at`, interview timers). Scheduling calls take their `now` explicitly.
    pub fn with_clock(mut self, clock: impl Fn() -> UnixSeconds + Send + Sync + 'static) -> Study {
        self.clock = Box::new(clock);
        self
    }

    /// The current time by this database's clock.
    pub fn now(&self) -> UnixSeconds {
        (self.clock)()
    }

    /// The file this database was opened from; `None` in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64> {
        self.read(migrations::version)
    }

    /// Runs SQLite's `PRAGMA integrity_check`; an empty list means the file is intact.
    pub fn integrity_problems(&self) -> Result<Vec<String>> {
        self.read(|conn| {
            let mut statement = conn.prepare("PRAGMA integrity_check")?;
            let lines = statement
                .query_map([], |row| row.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            Ok(lines.into_iter().filter(|line| line != "ok").collect())
        })
    }

    fn prepare(mut conn: Connection, path: Option<PathBuf>) -> Result<Study> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // WAL lets readers run beside a writer and makes a killed process lose nothing it
        // committed; FULL sync adds the same promise for a power cut.
        let _mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        let name = path
            .as_ref()
            .map_or_else(|| ":memory:".to_owned(), |p| p.display().to_string());
        migrations::run(&mut conn, &name)?;
        Ok(Study {
            conn: Mutex::new(conn),
            clock: Box::new(system_now),
            scheduler: fsrs::FSRS::default(),
            path,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic elsewhere cannot leave the connection mid-transaction: an unfinished
        // transaction rolls back when it is dropped. So a poisoned lock is still usable.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `work` against the connection without a write transaction.
    pub(crate) fn read<T>(&self, work: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.lock();
        work(&conn)
    }

    /// Runs `work` in one immediate transaction, committed only when it returns `Ok`.
    pub(crate) fn write<T>(&self, work: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = work(&tx)?;
        tx.commit()?;
        Ok(value)
    }
}

fn system_now() -> UnixSeconds {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

/// Backend Dojo's data folder, reading environment variables through `env`.
fn data_dir_from(env: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let set = |name: &str| {
        env(name)
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = set(DATA_DIR_ENV) {
        return Some(dir);
    }
    let base = if cfg!(windows) {
        set("APPDATA")?
    } else if cfg!(target_os = "macos") {
        set("HOME")?.join("Library").join("Application Support")
    } else {
        set("XDG_DATA_HOME")
            .filter(|dir| dir.is_absolute())
            .or_else(|| set("HOME").map(|home| home.join(".local").join("share")))?
    };
    Some(base.join(APP_FOLDER))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<OsString> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn the_override_variable_wins_over_the_platform_folder() {
        let env = env_of(&[("DOJO_DATA_DIR", "/srv/dojo"), ("HOME", "/home/ada")]);
        assert_eq!(data_dir_from(env), Some(PathBuf::from("/srv/dojo")));
    }

    #[cfg(all(unix, not(target_os = "macos")))]
    #[test]
    fn linux_uses_xdg_data_home_then_local_share() {
        let xdg = env_of(&[("XDG_DATA_HOME", "/data/ada"), ("HOME", "/home/ada")]);
        assert_eq!(
            data_dir_from(xdg),
            Some(PathBuf::from("/data/ada/backend-dojo"))
        );
        let relative_xdg = env_of(&[("XDG_DATA_HOME", "data"), ("HOME", "/home/ada")]);
        assert_eq!(
            data_dir_from(relative_xdg),
            Some(PathBuf::from("/home/ada/.local/share/backend-dojo"))
        );
        let home_only = env_of(&[("HOME", "/home/ada"), ("DOJO_DATA_DIR", "")]);
        assert_eq!(
            data_dir_from(home_only),
            Some(PathBuf::from("/home/ada/.local/share/backend-dojo"))
        );
        assert_eq!(data_dir_from(env_of(&[])), None);
    }
}
