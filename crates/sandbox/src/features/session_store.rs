//! Where server-side sessions live (topic 2). [`SessionStore`] is the seam: the sandbox
//! keeps sessions in [`SqliteSessionStore`] (in-memory SQLite) by default and in
//! [`RedisSessionStore`] when it is started with `--redis-url`, so several sandboxes behind
//! one load balancer share them. Records are keyed by the SHA-256 of the session id, never
//! by the id itself.
//!
//! The calls are async because Redis answers over the network; SQLite answers at once.

use std::fmt::Debug;
use std::future::{Future, ready};
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

use redis::aio::ConnectionManager;
use rusqlite::{Connection, OptionalExtension as _, params};

use crate::error::{ApiError, ApiResult};
use crate::redis_link::{KeySpace, RedisUnavailable};

/// One session as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionRecord {
    /// The signed-in user.
    pub user_id: u64,
    /// When the session began (ms since the epoch): the absolute expiry counts from here.
    pub created_at: u64,
    /// The last request that used it: the idle expiry counts from here.
    pub last_seen: u64,
}

/// What a [`SessionStore`] call gives back: a boxed future, so the trait stays usable as
/// `dyn SessionStore` whichever backend is behind it.
pub type StoreCall<'a, T> = Pin<Box<dyn Future<Output = ApiResult<T>> + Send + 'a>>;

/// A place to keep sessions.
pub trait SessionStore: Send + Sync + Debug {
    /// `sqlite` or `redis`.
    fn backend(&self) -> &'static str;
    /// Stores (or replaces) the session whose id hashes to `id_hash`.
    fn put<'a>(&'a self, id_hash: &'a str, record: SessionRecord) -> StoreCall<'a, ()>;
    /// The session whose id hashes to `id_hash`, if the store has it.
    fn get<'a>(&'a self, id_hash: &'a str) -> StoreCall<'a, Option<SessionRecord>>;
    /// Records activity now, for the idle expiry. A session that is gone stays gone.
    fn touch<'a>(&'a self, id_hash: &'a str, now: u64) -> StoreCall<'a, ()>;
    /// Destroys one session; true if it existed.
    fn remove<'a>(&'a self, id_hash: &'a str) -> StoreCall<'a, bool>;
    /// Destroys every session of a user (after a password reset); how many there were.
    fn remove_user(&self, user_id: u64) -> StoreCall<'_, usize>;
    /// Destroys every session (a topic reset, which cannot wait). No session made before
    /// this call is found afterwards: SQLite deletes them now, Redis before its next call.
    fn clear(&self) -> ApiResult<()>;
}

// region: session-store
/// Sessions in SQLite: one table, the id's hash as primary key.
#[derive(Debug)]
pub struct SqliteSessionStore {
    /// The open database, or why it could not be opened (then every call says so).
    connection: Result<Mutex<Connection>, String>,
}

impl SqliteSessionStore {
    /// A private in-memory database, gone when the sandbox stops.
    pub fn in_memory() -> SqliteSessionStore {
        SqliteSessionStore {
            connection: open_in_memory().map(Mutex::new).map_err(|e| e.to_string()),
        }
    }

    fn with<T>(&self, work: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> ApiResult<T> {
        let connection = self
            .connection
            .as_ref()
            .map_err(|cause| ApiError::Internal(format!("session store unavailable: {cause}")))?;
        let connection = connection.lock().unwrap_or_else(|e| e.into_inner());
        work(&connection).map_err(db_error)
    }

    fn put_now(&self, id_hash: &str, record: SessionRecord) -> ApiResult<()> {
        self.with(|db| {
            db.execute(
                "INSERT OR REPLACE INTO sessions (id_hash, user_id, created_at, last_seen)
                 VALUES (?1, ?2, ?3, ?4)",
                params![
                    id_hash,
                    to_sql(record.user_id),
                    to_sql(record.created_at),
                    to_sql(record.last_seen)
                ],
            )
            .map(|_| ())
        })
    }

    fn get_now(&self, id_hash: &str) -> ApiResult<Option<SessionRecord>> {
        self.with(|db| {
            db.query_row(
                "SELECT user_id, created_at, last_seen FROM sessions WHERE id_hash = ?1",
                [id_hash],
                |row| {
                    Ok(SessionRecord {
                        user_id: from_sql(row.get(0)?),
                        created_at: from_sql(row.get(1)?),
                        last_seen: from_sql(row.get(2)?),
                    })
                },
            )
            .optional()
        })
    }

    fn touch_now(&self, id_hash: &str, now: u64) -> ApiResult<()> {
        self.with(|db| {
            db.execute(
                "UPDATE sessions SET last_seen = ?2 WHERE id_hash = ?1",
                params![id_hash, to_sql(now)],
            )
            .map(|_| ())
        })
    }

    fn remove_now(&self, id_hash: &str) -> ApiResult<bool> {
        self.with(|db| db.execute("DELETE FROM sessions WHERE id_hash = ?1", [id_hash]))
            .map(|n| n > 0)
    }

    fn remove_user_now(&self, user_id: u64) -> ApiResult<usize> {
        self.with(|db| db.execute("DELETE FROM sessions WHERE user_id = ?1", [to_sql(user_id)]))
    }
}

fn open_in_memory() -> rusqlite::Result<Connection> {
    let connection = Connection::open_in_memory()?;
    connection.execute_batch(
        "CREATE TABLE IF NOT EXISTS sessions (
                    id_hash    TEXT PRIMARY KEY,
                    user_id    INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    last_seen  INTEGER NOT NULL
                 ) STRICT;
                 CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions(user_id);",
    )?;
    Ok(connection)
}

/// SQLite answers at once: each call does its work and hands back a ready future.
impl SessionStore for SqliteSessionStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn put<'a>(&'a self, id_hash: &'a str, record: SessionRecord) -> StoreCall<'a, ()> {
        Box::pin(ready(self.put_now(id_hash, record)))
    }

    fn get<'a>(&'a self, id_hash: &'a str) -> StoreCall<'a, Option<SessionRecord>> {
        Box::pin(ready(self.get_now(id_hash)))
    }

    fn touch<'a>(&'a self, id_hash: &'a str, now: u64) -> StoreCall<'a, ()> {
        Box::pin(ready(self.touch_now(id_hash, now)))
    }

    fn remove<'a>(&'a self, id_hash: &'a str) -> StoreCall<'a, bool> {
        Box::pin(ready(self.remove_now(id_hash)))
    }

    fn remove_user(&self, user_id: u64) -> StoreCall<'_, usize> {
        Box::pin(ready(self.remove_user_now(user_id)))
    }

    fn clear(&self) -> ApiResult<()> {
        self.with(|db| db.execute("DELETE FROM sessions", []).map(|_| ()))
    }
}
// endregion

/// SQLite integers are signed; the sandbox's ids and times fit with room to spare.
fn to_sql(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn from_sql(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

fn db_error(error: rusqlite::Error) -> ApiError {
    ApiError::Internal(format!("session store: {error}"))
}

/// The Redis key of one session: a hash with `user_id`, `created_at` and `last_seen`.
pub const REDIS_SESSION_PREFIX: &str = "dojo:session:";
/// The Redis key of one user's sessions: a set of id hashes.
pub const REDIS_USER_SESSIONS_PREFIX: &str = "dojo:user-sessions:";
/// How long Redis keeps a session past its absolute lifetime: long enough that the
/// sandbox's own check still finds it and its trace says `session absolute-expired`,
/// short enough that an abandoned session does not linger.
const EXPIRY_GRACE: Duration = Duration::from_secs(5);
/// The longest lifetime Redis is asked for (PEXPIREAT refuses absurd times).
const LONGEST_LIFETIME: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// Updates `last_seen` only if the session still exists: a plain HSET would bring an
/// expired session back as a record without a TTL.
const TOUCH_IF_LIVE: &str = "if redis.call('EXISTS', KEYS[1]) == 1 then \
     redis.call('HSET', KEYS[1], 'last_seen', ARGV[1]) end return 0";
/// Deletes a session and takes it out of its user's set. KEYS[1] the session; ARGV[1] the
/// user-set prefix, ARGV[2] the id hash.
const REMOVE_ONE: &str = "local user = redis.call('HGET', KEYS[1], 'user_id') \
     if not user then return 0 end \
     redis.call('DEL', KEYS[1]) \
     redis.call('SREM', ARGV[1] .. user, ARGV[2]) \
     return 1";
/// Deletes every session in a user's set that still belongs to that user, then the set.
/// KEYS[1] the set; ARGV[1] the session prefix, ARGV[2] the user id.
const REMOVE_ALL_OF_USER: &str = "local removed = 0 \
     for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do \
       local key = ARGV[1] .. id \
       if redis.call('HGET', key, 'user_id') == ARGV[2] then \
         removed = removed + redis.call('DEL', key) end \
     end \
     redis.call('DEL', KEYS[1]) \
     return removed";

// region: session-store-redis
/// Sessions in Redis, shared by every sandbox pointed at the same server. Each session is
/// a hash under `dojo:session:{id_hash}` whose TTL ends with its absolute lifetime, so
/// Redis drops expired sessions by itself; `dojo:user-sessions:{user_id}` lists a user's
/// sessions so a password reset can end them all.
#[derive(Debug)]
pub struct RedisSessionStore {
    /// The session keys; [`SessionStore::clear`] deletes them before the next call.
    keys: KeySpace,
    /// The absolute session lifetime: the TTL of a new session.
    lifetime: Duration,
    touch_if_live: redis::Script,
    remove_one: redis::Script,
    remove_all_of_user: redis::Script,
}

impl RedisSessionStore {
    /// Sessions on the server at `url`, living `lifetime` at most. Does not connect.
    pub fn new(url: &str, lifetime: Duration) -> RedisSessionStore {
        RedisSessionStore {
            keys: KeySpace::new(url, &[REDIS_SESSION_PREFIX, REDIS_USER_SESSIONS_PREFIX]),
            lifetime: lifetime.min(LONGEST_LIFETIME),
            touch_if_live: redis::Script::new(TOUCH_IF_LIVE),
            remove_one: redis::Script::new(REMOVE_ONE),
            remove_all_of_user: redis::Script::new(REMOVE_ALL_OF_USER),
        }
    }

    /// The server, password left out.
    pub fn shown_url(&self) -> &str {
        self.keys.link().shown_url()
    }

    /// A connection, after any clear still owed has run.
    async fn connection(&self) -> ApiResult<ConnectionManager> {
        self.keys.connection().await.map_err(unavailable)
    }

    fn failed(&self, error: &redis::RedisError) -> ApiError {
        unavailable(self.keys.link().failed(error))
    }

    async fn put_record(&self, id_hash: &str, record: SessionRecord) -> ApiResult<()> {
        let mut connection = self.connection().await?;
        let key = session_key(id_hash);
        let user_key = user_sessions_key(record.user_id);
        let ends_at = record
            .created_at
            .saturating_add(millis(self.lifetime + EXPIRY_GRACE));
        // One MULTI: the session and its place in the user's set appear together. The set
        // lives as long as the user's newest session (every login gets the same lifetime).
        redis::pipe()
            .atomic()
            .hset_multiple(
                &key,
                &[
                    ("user_id", record.user_id),
                    ("created_at", record.created_at),
                    ("last_seen", record.last_seen),
                ],
            )
            .ignore()
            .cmd("PEXPIREAT")
            .arg(&key)
            .arg(ends_at)
            .ignore()
            .sadd(&user_key, id_hash)
            .ignore()
            .cmd("PEXPIREAT")
            .arg(&user_key)
            .arg(ends_at)
            .ignore()
            .query_async::<()>(&mut connection)
            .await
            .map_err(|e| self.failed(&e))
    }

    async fn get_record(&self, id_hash: &str) -> ApiResult<Option<SessionRecord>> {
        let mut connection = self.connection().await?;
        let (user_id, created_at, last_seen): (Option<u64>, Option<u64>, Option<u64>) =
            redis::cmd("HMGET")
                .arg(session_key(id_hash))
                .arg(&["user_id", "created_at", "last_seen"])
                .query_async(&mut connection)
                .await
                .map_err(|e| self.failed(&e))?;
        // A hash missing a field is not a session this sandbox wrote: absent.
        Ok(match (user_id, created_at, last_seen) {
            (Some(user_id), Some(created_at), Some(last_seen)) => Some(SessionRecord {
                user_id,
                created_at,
                last_seen,
            }),
            _ => None,
        })
    }

    async fn touch_record(&self, id_hash: &str, now: u64) -> ApiResult<()> {
        let mut connection = self.connection().await?;
        self.touch_if_live
            .key(session_key(id_hash))
            .arg(now)
            .invoke_async::<i64>(&mut connection)
            .await
            .map(drop)
            .map_err(|e| self.failed(&e))
    }

    async fn remove_record(&self, id_hash: &str) -> ApiResult<bool> {
        let mut connection = self.connection().await?;
        self.remove_one
            .key(session_key(id_hash))
            .arg(REDIS_USER_SESSIONS_PREFIX)
            .arg(id_hash)
            .invoke_async::<i64>(&mut connection)
            .await
            .map(|removed| removed > 0)
            .map_err(|e| self.failed(&e))
    }

    async fn remove_user_records(&self, user_id: u64) -> ApiResult<usize> {
        let mut connection = self.connection().await?;
        self.remove_all_of_user
            .key(user_sessions_key(user_id))
            .arg(REDIS_SESSION_PREFIX)
            .arg(user_id)
            .invoke_async::<u64>(&mut connection)
            .await
            .map(|removed| usize::try_from(removed).unwrap_or(usize::MAX))
            .map_err(|e| self.failed(&e))
    }
}

impl SessionStore for RedisSessionStore {
    fn backend(&self) -> &'static str {
        "redis"
    }

    fn put<'a>(&'a self, id_hash: &'a str, record: SessionRecord) -> StoreCall<'a, ()> {
        Box::pin(self.put_record(id_hash, record))
    }

    fn get<'a>(&'a self, id_hash: &'a str) -> StoreCall<'a, Option<SessionRecord>> {
        Box::pin(self.get_record(id_hash))
    }

    fn touch<'a>(&'a self, id_hash: &'a str, now: u64) -> StoreCall<'a, ()> {
        Box::pin(self.touch_record(id_hash, now))
    }

    fn remove<'a>(&'a self, id_hash: &'a str) -> StoreCall<'a, bool> {
        Box::pin(self.remove_record(id_hash))
    }

    fn remove_user(&self, user_id: u64) -> StoreCall<'_, usize> {
        Box::pin(self.remove_user_records(user_id))
    }

    fn clear(&self) -> ApiResult<()> {
        self.keys.ask_clear();
        Ok(())
    }
}
// endregion

/// The Redis key of the session whose id hashes to `id_hash`.
pub fn session_key(id_hash: &str) -> String {
    format!("{REDIS_SESSION_PREFIX}{id_hash}")
}

/// The Redis key of the set of `user_id`'s sessions.
pub fn user_sessions_key(user_id: u64) -> String {
    format!("{REDIS_USER_SESSIONS_PREFIX}{user_id}")
}

/// Redis out of reach: the request gets a 503 naming the server (never its password).
fn unavailable(down: RedisUnavailable) -> ApiError {
    ApiError::Unavailable(format!("the session store is unavailable: {down}"))
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_stored_touched_and_destroyed_by_id_or_by_user() {
        let store = SqliteSessionStore::in_memory();
        let record = SessionRecord {
            user_id: 7,
            created_at: 10,
            last_seen: 10,
        };
        store.put_now("a", record).expect("put");
        store.put_now("b", record).expect("put");
        store
            .put_now(
                "c",
                SessionRecord {
                    user_id: 8,
                    ..record
                },
            )
            .expect("put");
        store.touch_now("a", 99).expect("touch");
        assert_eq!(
            store.get_now("a").expect("get").map(|r| r.last_seen),
            Some(99)
        );
        assert!(store.remove_now("a").expect("remove"));
        assert!(!store.remove_now("a").expect("remove"));
        assert_eq!(store.remove_user_now(7).expect("remove_user"), 1);
        assert_eq!(store.get_now("b").expect("get"), None);
        assert!(store.get_now("c").expect("get").is_some());
        store.clear().expect("clear");
        assert_eq!(store.get_now("c").expect("get"), None);
    }

    #[tokio::test]
    async fn an_unreachable_redis_is_a_503_naming_the_server_without_its_password() {
        // Port 1 on loopback: nothing listens there, the connection is refused at once.
        let store = RedisSessionStore::new("redis://:s3cret@127.0.0.1:1/0", Duration::ZERO);
        let error = store.get("some-hash").await.expect_err("Redis is down");
        assert_eq!(error.status(), axum::http::StatusCode::SERVICE_UNAVAILABLE);
        let message = error.to_string();
        assert!(message.contains("redis://:***@127.0.0.1:1/0"), "{message}");
        assert!(!message.contains("s3cret"), "{message}");
        assert_eq!(store.backend(), "redis");
    }
}
