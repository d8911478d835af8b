//! The connections of one database and how work reaches them: on the blocking pool, one
//! writer at a time, readers in parallel (file databases in WAL mode).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use regex::{Regex, RegexBuilder};
use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, OpenFlags};

use super::{Location, backend, migrations};
use crate::error::{StoreError, StoreResult};

/// Reader connections of a file database.
const READERS: usize = 3;
/// How long a connection waits for another's lock before failing with "busy".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 128;
/// Largest compiled `$regex` accepted, in bytes: patterns stay cheap.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// One database: the writer, and readers when the database is a file.
#[derive(Debug)]
pub(crate) struct Db {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

impl Db {
    /// Opens the writer, migrates the schema, then opens the readers.
    pub(crate) fn open(location: &Location) -> StoreResult<Db> {
        let writer = match location {
            Location::Memory => Connection::open_in_memory(),
            Location::File(path) => Connection::open(path),
        }
        .map_err(backend)?;
        prepare(&writer, location, false).map_err(backend)?;
        migrations::migrate(&writer)?;
        let readers = match location {
            Location::Memory => Vec::new(),
            Location::File(path) => (0..READERS)
                .map(|_| {
                    let reader = Connection::open_with_flags(
                        path,
                        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                    )?;
                    prepare(&reader, location, true)?;
                    Ok(Mutex::new(reader))
                })
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(backend)?,
        };
        Ok(Db {
            writer: Mutex::new(writer),
            readers,
            next_reader: AtomicUsize::new(0),
        })
    }

    /// Runs `work` on a reader connection (the writer for an in-memory database), off the
    /// async threads.
    pub(crate) async fn read<T, F>(self: &Arc<Self>, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let db = self.clone();
        run_blocking(move || work(&db.reader())).await
    }

    /// Runs `work` on the writer connection, off the async threads. `work` opens its own
    /// transaction when it writes more than one statement.
    pub(crate) async fn write<T, F>(self: &Arc<Self>, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        let db = self.clone();
        run_blocking(move || work(&mut lock(&db.writer))).await
    }

    /// A free reader if there is one, else the next in turn (waiting for it).
    fn reader(&self) -> MutexGuard<'_, Connection> {
        if self.readers.is_empty() {
            return lock(&self.writer);
        }
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        for offset in 0..self.readers.len() {
            let reader = &self.readers[(start + offset) % self.readers.len()];
            if let Ok(guard) = reader.try_lock() {
                return guard;
            }
        }
        lock(&self.readers[start % self.readers.len()])
    }
}

fn lock(connection: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    connection.lock().unwrap_or_else(|e| e.into_inner())
}

async fn run_blocking<T, F>(work: F) -> StoreResult<T>
where
    T: Send + 'static,
    F: FnOnce() -> StoreResult<T> + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StoreError::Backend(format!("sqlite task failed: {e}")))?
}

/// Settings every connection gets at open.
fn prepare(connection: &Connection, location: &Location, read_only: bool) -> rusqlite::Result<()> {
    connection.busy_timeout(BUSY_TIMEOUT)?;
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    if matches!(location, Location::File(_)) && !read_only {
        // WAL: readers never block the writer and see the last commit; NORMAL sync is
        // durable across a process crash and only loses the last commits on power loss.
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "NORMAL")?;
    }
    connection.pragma_update(None, "foreign_keys", "ON")?;
    connection.pragma_update(None, "temp_store", "MEMORY")?;
    add_regexp(connection)
}

/// `text REGEXP pattern` for the filter language's `$regex`. The pattern is compiled once
/// per statement (SQLite keeps it as auxiliary data of the argument).
fn add_regexp(connection: &Connection) -> rusqlite::Result<()> {
    connection.create_scalar_function(
        "regexp",
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |context| {
            let pattern: Arc<Regex> = context.get_or_create_aux(0, |value| {
                let pattern = value.as_str().map_err(|e| e.to_string())?;
                compile_regex(pattern).map_err(|e| e.to_string())
            })?;
            let text = context.get_raw(1);
            Ok(match text.as_str_or_null()? {
                Some(text) => pattern.is_match(text),
                None => false,
            })
        },
    )
}

/// A `$regex` pattern compiled with the limits every use shares.
pub(crate) fn compile_regex(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
}
