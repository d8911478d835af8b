//! The sandbox's link to Redis, for features that keep shared state there when the
//! sandbox is started with `--redis-url` (the cache of topic 31; sessions and rate limits
//! can follow).
//!
//! Nothing connects when the sandbox starts: [`RedisLink::connection`] builds a
//! [`ConnectionManager`] on first use, and the manager opens its connection with the first
//! command (and opens a new one after a failure), so a sandbox whose Redis is down still
//! starts in milliseconds and recovers by itself once Redis is back. Timeouts are short: a
//! cache that answers slower than the database it protects is worse than none.
//!
//! Every error names the server with the password left out.

use std::fmt;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// How long opening a connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
/// How long one command may wait for its answer.
const RESPONSE_TIMEOUT: Duration = Duration::from_millis(500);

/// One Redis server, connected on first use.
pub struct RedisLink {
    url: String,
    shown: String,
    manager: OnceLock<Result<ConnectionManager, RedisUnavailable>>,
}

impl fmt::Debug for RedisLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisLink")
            .field("url", &self.shown)
            .finish_non_exhaustive()
    }
}

impl RedisLink {
    /// A link to the server at `url` (`redis://[user:password@]host[:port][/db]`). Does
    /// not connect.
    pub fn new(url: &str) -> RedisLink {
        RedisLink {
            url: url.to_owned(),
            shown: redact_url(url),
            manager: OnceLock::new(),
        }
    }

    /// The server's URL without its password, for messages and the UI.
    pub fn shown_url(&self) -> &str {
        &self.shown
    }

    /// A handle to the server: cheap to clone, shared by every request. The first call
    /// builds it (which needs a tokio runtime); a URL that cannot be parsed is an error
    /// every time.
    pub fn connection(&self) -> Result<ConnectionManager, RedisUnavailable> {
        self.manager.get_or_init(|| connect(&self.url)).clone()
    }

    /// The error of a failed command, naming this server.
    pub fn failed(&self, error: &redis::RedisError) -> RedisUnavailable {
        RedisUnavailable::new(&self.url, &error.to_string())
    }
}

/// How many keys one SCAN step asks for while clearing.
const SCAN_BATCH: u64 = 500;

// region: redis-owed-clear
/// The keys one feature keeps on a Redis server, under its own prefixes, and the clears
/// topic resets ask for. A reset cannot wait on the network, so it only counts the ask;
/// the next command first deletes the keys (found with SCAN by prefix, never FLUSHDB,
/// which would take the other features' keys and every other application's with them).
#[derive(Debug)]
pub struct KeySpace {
    link: RedisLink,
    prefixes: &'static [&'static str],
    clears_asked: AtomicU64,
    clears_done: AtomicU64,
    clearing: tokio::sync::Mutex<()>,
}

impl KeySpace {
    /// The keys under `prefixes` on the server at `url`. Does not connect.
    pub fn new(url: &str, prefixes: &'static [&'static str]) -> KeySpace {
        KeySpace {
            link: RedisLink::new(url),
            prefixes,
            clears_asked: AtomicU64::new(0),
            clears_done: AtomicU64::new(0),
            clearing: tokio::sync::Mutex::new(()),
        }
    }

    /// The server.
    pub fn link(&self) -> &RedisLink {
        &self.link
    }

    /// Asks for every key of this space to be deleted before the next command.
    pub fn ask_clear(&self) {
        self.clears_asked.fetch_add(1, Ordering::SeqCst);
    }

    /// A connection, after any clear still owed has run.
    pub async fn connection(&self) -> Result<ConnectionManager, RedisUnavailable> {
        let mut connection = self.link.connection()?;
        if self.clears_done.load(Ordering::SeqCst) < self.clears_asked.load(Ordering::SeqCst) {
            let _one_at_a_time = self.clearing.lock().await;
            let asked = self.clears_asked.load(Ordering::SeqCst);
            if self.clears_done.load(Ordering::SeqCst) < asked {
                for prefix in self.prefixes {
                    delete_prefixed(&mut connection, prefix)
                        .await
                        .map_err(|e| self.link.failed(&e))?;
                }
                self.clears_done.store(asked, Ordering::SeqCst);
            }
        }
        Ok(connection)
    }
}

/// Deletes every key whose name starts with `prefix`, a SCAN batch at a time.
async fn delete_prefixed(
    connection: &mut ConnectionManager,
    prefix: &str,
) -> Result<(), redis::RedisError> {
    let pattern = format!("{prefix}*");
    let mut cursor = 0u64;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(SCAN_BATCH)
            .query_async(connection)
            .await?;
        if !keys.is_empty() {
            redis::cmd("DEL")
                .arg(&keys)
                .query_async::<()>(connection)
                .await?;
        }
        if next == 0 {
            return Ok(());
        }
        cursor = next;
    }
}
// endregion

/// Builds a [`ConnectionManager`] for `url` that connects lazily, with short timeouts and
/// no retry loop inside a request. Must be called inside a tokio runtime.
pub fn connect(url: &str) -> Result<ConnectionManager, RedisUnavailable> {
    let client =
        redis::Client::open(url).map_err(|e| RedisUnavailable::new(url, &e.to_string()))?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_response_timeout(Some(RESPONSE_TIMEOUT))
        .set_number_of_retries(0);
    ConnectionManager::new_lazy_with_config(client, config)
        .map_err(|e| RedisUnavailable::new(url, &e.to_string()))
}

/// Redis could not be used: the server is down, slow or refused us, or the URL is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisUnavailable {
    /// The server, password left out.
    pub url: String,
    /// What went wrong, as the driver said it (password left out too).
    pub cause: String,
}

impl RedisUnavailable {
    fn new(url: &str, cause: &str) -> RedisUnavailable {
        let mut cause = cause.to_owned();
        if let Some(password) = password_of(url).filter(|p| !p.is_empty()) {
            cause = cause.replace(password, "***");
        }
        RedisUnavailable {
            url: redact_url(url),
            cause,
        }
    }
}

impl fmt::Display for RedisUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redis at {} cannot be used: {}", self.url, self.cause)
    }
}

impl std::error::Error for RedisUnavailable {}

/// The userinfo of a URL (`user:password` before the `@` of its authority), if any.
fn userinfo(url: &str) -> Option<(usize, &str)> {
    let start = url.find("://")? + 3;
    let rest = &url[start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let at = rest[..authority_end].rfind('@')?;
    Some((start, &rest[..at]))
}

fn password_of(url: &str) -> Option<&str> {
    let (_, info) = userinfo(url)?;
    info.split_once(':').map(|(_, password)| password)
}

/// `url` with its password (in the userinfo, or a `password=`/`pass=` query parameter)
/// replaced by `***`; the user name, host, port and database stay.
pub fn redact_url(url: &str) -> String {
    let mut shown = match userinfo(url) {
        Some((start, info)) => match info.split_once(':') {
            Some((user, _)) => format!("{}{user}:***{}", &url[..start], &url[start + info.len()..]),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    };
    if let Some(query_start) = shown.find('?') {
        let (base, query) = shown.split_at(query_start + 1);
        let query: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _)) if matches!(name, "password" | "pass") => format!("{name}=***"),
                _ => pair.to_owned(),
            })
            .collect();
        shown = format!("{base}{}", query.join("&"));
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_never_shows() {
        assert_eq!(
            redact_url("redis://:s3cret@cache.internal:6380/2"),
            "redis://:***@cache.internal:6380/2"
        );
        assert_eq!(
            redact_url("rediss://app:s3cret@cache.internal/0"),
            "rediss://app:***@cache.internal/0"
        );
        assert_eq!(
            redact_url("redis+unix:///run/redis.sock?db=1&pass=s3cret"),
            "redis+unix:///run/redis.sock?db=1&pass=***"
        );
        assert_eq!(
            redact_url("redis://127.0.0.1:6379"),
            "redis://127.0.0.1:6379"
        );
        // A user name alone is not a secret.
        assert_eq!(redact_url("redis://app@host/0"), "redis://app@host/0");
    }

    #[test]
    fn errors_name_the_server_without_the_password() {
        let error = RedisUnavailable::new(
            "redis://:s3cret@host:1/0",
            "AUTH failed for s3cret (WRONGPASS)",
        );
        let text = error.to_string();
        assert!(text.contains("redis://:***@host:1/0"), "{text}");
        assert!(!text.contains("s3cret"), "{text}");
    }

    #[test]
    fn a_url_that_is_not_redis_is_refused_with_its_cause() {
        let refused = connect("http://:pw@example.com").expect_err("not a Redis URL");
        assert_eq!(refused.url, "http://:***@example.com");
        assert!(!refused.cause.is_empty());
        assert!(!refused.to_string().contains(":pw@"), "{refused}");
    }
}
