//! The Redis store: entries are JSON strings with a TTL (`SET ... PX`), read together
//! with what is left of their TTL (`GET` and `PTTL` in one round trip). Every instance
//! pointed at the same Redis shares them, so one write invalidates for all.
//!
//! Across instances the stampede guard is a short lock per key: `SET lock token NX PX`
//! lets one instance load while the others poll for the value it stores; the lock is
//! released only by its owner (a compare-and-delete script), and it expires by itself if
//! the owner dies.
//!
//! Keys are `dojo-cache:<namespace>:<generation>:<key>`. The namespace is this sandbox's
//! own unless configured, because each sandbox has its own source of truth; a topic reset
//! starts a new generation, which makes every old key unreachable at once (they expire by
//! their TTL) without scanning Redis.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::features::secrets::random_token;
use crate::redis_link::{RedisLink, RedisUnavailable};

use super::source::Product;

/// Deletes the lock only if it still holds our token: after expiring it may belong to
/// another instance.
const UNLOCK_IF_OURS: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then \
     return redis.call('DEL', KEYS[1]) else return 0 end";
/// The first pause of a waiter between two polls; it doubles up to [`POLL_AT_MOST`].
const POLL_FIRST: Duration = Duration::from_millis(10);
const POLL_AT_MOST: Duration = Duration::from_millis(80);

/// What a waiter saw while another instance held the lock.
#[derive(Debug)]
pub(super) enum Waited {
    /// The owner stored the value.
    Filled(Product, Duration),
    /// The lock went away without a value (the owner failed or found nothing).
    LockFreed,
    /// The lock outlived its TTL's worth of waiting.
    TimedOut,
}

/// A fill lock this instance holds.
#[derive(Debug)]
pub(super) struct HeldLock {
    key: String,
    token: String,
}

#[derive(Debug)]
pub(super) struct RedisStore {
    link: RedisLink,
    namespace: String,
    generation: AtomicU64,
    lock_ttl: Duration,
    unlock: redis::Script,
}

impl RedisStore {
    pub(super) fn new(url: &str, namespace: String, lock_ttl: Duration) -> RedisStore {
        RedisStore {
            link: RedisLink::new(url),
            namespace,
            generation: AtomicU64::new(1),
            lock_ttl,
            unlock: redis::Script::new(UNLOCK_IF_OURS),
        }
    }

    pub(super) fn shown_url(&self) -> &str {
        self.link.shown_url()
    }

    /// The Redis key of a cache key, in the current generation.
    pub(super) fn redis_key(&self, key: &str) -> String {
        format!(
            "dojo-cache:{}:{}:{key}",
            self.namespace,
            self.generation.load(Ordering::SeqCst)
        )
    }

    fn connection(&self) -> Result<redis::aio::ConnectionManager, RedisUnavailable> {
        self.link.connection()
    }

    async fn query<T: redis::FromRedisValue>(
        &self,
        command: &redis::Cmd,
    ) -> Result<T, RedisUnavailable> {
        let mut connection = self.connection()?;
        command
            .query_async(&mut connection)
            .await
            .map_err(|e| self.link.failed(&e))
    }

    // region: cache-redis-get
    /// The entry under `key` and its remaining TTL, in one round trip. A value that does
    /// not parse (an older shape) counts as absent.
    pub(super) async fn get(
        &self,
        key: &str,
    ) -> Result<Option<(Product, Duration)>, RedisUnavailable> {
        let redis_key = self.redis_key(key);
        let mut connection = self.connection()?;
        let (raw, ttl_ms): (Option<String>, i64) = redis::pipe()
            .cmd("GET")
            .arg(&redis_key)
            .cmd("PTTL")
            .arg(&redis_key)
            .query_async(&mut connection)
            .await
            .map_err(|e| self.link.failed(&e))?;
        let left = Duration::from_millis(u64::try_from(ttl_ms).unwrap_or(0));
        Ok(raw
            .and_then(|json| serde_json::from_str::<Product>(&json).ok())
            .map(|product| (product, left)))
    }

    pub(super) async fn put(
        &self,
        key: &str,
        product: &Product,
        ttl: Duration,
    ) -> Result<(), RedisUnavailable> {
        let json = serde_json::to_string(product).map_err(|e| RedisUnavailable {
            url: self.shown_url().to_owned(),
            cause: format!("the product could not be written as JSON: {e}"),
        })?;
        let mut set = redis::cmd("SET");
        set.arg(self.redis_key(key))
            .arg(json)
            .arg("PX")
            .arg(millis(ttl));
        self.query::<()>(&set).await
    }
    // endregion

    /// Deletes the entry; whether there was one.
    pub(super) async fn delete(&self, key: &str) -> Result<bool, RedisUnavailable> {
        let mut del = redis::cmd("DEL");
        del.arg(self.redis_key(key));
        Ok(self.query::<i64>(&del).await? > 0)
    }

    // region: cache-redis-lock
    /// Takes the fill lock of `key` if nobody holds it: `SET lock token NX PX ttl`.
    pub(super) async fn try_lock(&self, key: &str) -> Result<Option<HeldLock>, RedisUnavailable> {
        let lock_key = format!("{}:lock", self.redis_key(key));
        let token = random_token();
        let mut set = redis::cmd("SET");
        set.arg(&lock_key)
            .arg(&token)
            .arg("NX")
            .arg("PX")
            .arg(millis(self.lock_ttl));
        let taken: Option<String> = self.query(&set).await?;
        Ok(taken.map(|_| HeldLock {
            key: lock_key,
            token,
        }))
    }

    /// Releases a lock this instance holds, unless it expired and someone else took it.
    pub(super) async fn unlock(&self, lock: HeldLock) -> Result<(), RedisUnavailable> {
        let mut connection = self.connection()?;
        self.unlock
            .key(&lock.key)
            .arg(&lock.token)
            .invoke_async::<i64>(&mut connection)
            .await
            .map(drop)
            .map_err(|e| self.link.failed(&e))
    }

    /// While another instance holds the lock of `key`: polls, backing off, until its value
    /// appears, the lock goes away, or a lock's lifetime has passed.
    pub(super) async fn wait_for_fill(&self, key: &str) -> Result<Waited, RedisUnavailable> {
        let deadline = Instant::now() + self.lock_ttl;
        let lock_key = format!("{}:lock", self.redis_key(key));
        let mut pause = POLL_FIRST;
        loop {
            tokio::time::sleep(pause).await;
            if let Some((product, left)) = self.get(key).await? {
                return Ok(Waited::Filled(product, left));
            }
            let mut exists = redis::cmd("EXISTS");
            exists.arg(&lock_key);
            if self.query::<i64>(&exists).await? == 0 {
                return Ok(Waited::LockFreed);
            }
            if Instant::now() >= deadline {
                return Ok(Waited::TimedOut);
            }
            pause = (pause * 2).min(POLL_AT_MOST);
        }
    }
    // endregion

    /// Makes every entry unreachable: the next generation starts empty.
    pub(super) fn clear(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    pub(super) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}
