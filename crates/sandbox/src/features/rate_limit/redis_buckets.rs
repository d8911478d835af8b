//! The token buckets in Redis, for sandboxes started with `--redis-url`: every sandbox
//! pointed at the same server spends from the same buckets, so running two of them does
//! not double the limit.
//!
//! A bucket is a hash `{tokens, ts}` under `dojo:ratelimit:client:{ip}` or
//! `dojo:ratelimit:user:{id}`. One Lua script refills, decides and spends, atomically on
//! the server, with the server's clock (`TIME`), so sandboxes on machines whose clocks
//! disagree still agree on every bucket. Each write sets a TTL of a full refill: a bucket
//! left alone that long would be full again, so Redis may as well forget it.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use redis::aio::ConnectionManager;

use super::Policy;
use crate::redis_link::{RedisLink, RedisUnavailable};

/// Every key of the rate limiter starts with this.
pub(super) const KEY_PREFIX: &str = "dojo:ratelimit:";
/// How many keys one SCAN step looks at while clearing.
const SCAN_BATCH: u64 = 500;

// region: rate-limit-redis
/// KEYS: the client's bucket, then the user's if the request is signed in. ARGV: each
/// bucket's burst and tokens per second, in the same order. Spends one token from every
/// bucket only if every bucket has one. Answers `{allowed, tokens left...}` as strings:
/// Redis would cut Lua numbers down to integers.
const TAKE_TOKEN: &str = r"
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local levels = {}
local allowed = 1
for i, key in ipairs(KEYS) do
  local burst = tonumber(ARGV[2 * i - 1])
  local rate = tonumber(ARGV[2 * i])
  local state = redis.call('HMGET', key, 'tokens', 'ts')
  local tokens = tonumber(state[1]) or burst
  local ts = tonumber(state[2]) or now
  tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000)
  levels[i] = tokens
  if tokens < 1 then allowed = 0 end
end
local reply = { tostring(allowed) }
for i, key in ipairs(KEYS) do
  local burst = tonumber(ARGV[2 * i - 1])
  local rate = tonumber(ARGV[2 * i])
  local tokens = levels[i]
  if allowed == 1 then tokens = tokens - 1 end
  redis.call('HSET', key, 'tokens', tostring(tokens), 'ts', tostring(now))
  redis.call('PEXPIRE', key, math.ceil(burst / rate * 1000) + 1000)
  reply[i + 1] = tostring(tokens)
end
return reply
";

/// What the script decided.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Taken {
    pub(super) allowed: bool,
    pub(super) client_tokens: f64,
    pub(super) user_tokens: Option<f64>,
}

/// The buckets on one Redis server.
#[derive(Debug)]
pub(super) struct RedisBuckets {
    link: RedisLink,
    take_token: redis::Script,
    /// Clears asked for by a topic reset and clears done: the next request runs the
    /// missing one first, so a reset never waits on the network.
    clears_asked: AtomicU64,
    clears_done: AtomicU64,
    clearing: tokio::sync::Mutex<()>,
}

impl RedisBuckets {
    /// Buckets on the server at `url`. Does not connect.
    pub(super) fn new(url: &str) -> RedisBuckets {
        RedisBuckets {
            link: RedisLink::new(url),
            take_token: redis::Script::new(TAKE_TOKEN),
            clears_asked: AtomicU64::new(0),
            clears_done: AtomicU64::new(0),
            clearing: tokio::sync::Mutex::new(()),
        }
    }

    /// The server, password left out.
    pub(super) fn shown_url(&self) -> &str {
        self.link.shown_url()
    }

    /// One request against the client's bucket and, if signed in, the user's: one round
    /// trip, one atomic script.
    pub(super) async fn take(
        &self,
        client: IpAddr,
        client_policy: Policy,
        user: Option<(u64, Policy)>,
    ) -> Result<Taken, RedisUnavailable> {
        let mut connection = self.connection().await?;
        let mut invocation = self.take_token.prepare_invoke();
        invocation
            .key(format!("{KEY_PREFIX}client:{client}"))
            .arg(client_policy.burst)
            .arg(client_policy.per_second);
        if let Some((id, policy)) = user {
            invocation
                .key(format!("{KEY_PREFIX}user:{id}"))
                .arg(policy.burst)
                .arg(policy.per_second);
        }
        let reply: Vec<String> = invocation
            .invoke_async(&mut connection)
            .await
            .map_err(|e| self.link.failed(&e))?;
        self.read(&reply, user.is_some())
    }
    // endregion

    /// The script's answer, checked: a server that answers something else is unusable.
    fn read(&self, reply: &[String], signed_in: bool) -> Result<Taken, RedisUnavailable> {
        let number = |index: usize| reply.get(index).and_then(|v| v.parse::<f64>().ok());
        let expected = if signed_in { 3 } else { 2 };
        match (reply.len() == expected, number(0), number(1)) {
            (true, Some(allowed), Some(client_tokens)) => Ok(Taken {
                allowed: allowed >= 1.0,
                client_tokens,
                user_tokens: if signed_in { number(2) } else { None },
            }),
            _ => Err(RedisUnavailable {
                url: self.shown_url().to_owned(),
                cause: format!("the rate limit script answered {reply:?}"),
            }),
        }
    }

    /// Asks for every bucket to be deleted before the next request is counted.
    pub(super) fn clear(&self) {
        self.clears_asked.fetch_add(1, Ordering::SeqCst);
    }

    /// A connection, after any clear still owed has run.
    async fn connection(&self) -> Result<ConnectionManager, RedisUnavailable> {
        let mut connection = self.link.connection()?;
        if self.clears_done.load(Ordering::SeqCst) < self.clears_asked.load(Ordering::SeqCst) {
            let _one_at_a_time = self.clearing.lock().await;
            let asked = self.clears_asked.load(Ordering::SeqCst);
            if self.clears_done.load(Ordering::SeqCst) < asked {
                self.delete_every_bucket(&mut connection).await?;
                self.clears_done.store(asked, Ordering::SeqCst);
            }
        }
        Ok(connection)
    }

    // region: rate-limit-redis-clear
    /// Deletes the rate limiter's keys, found with SCAN by their prefix: never FLUSHDB,
    /// which would take the cache's keys and every other application's with them.
    async fn delete_every_bucket(
        &self,
        connection: &mut ConnectionManager,
    ) -> Result<(), RedisUnavailable> {
        let pattern = format!("{KEY_PREFIX}*");
        let mut cursor = 0u64;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(SCAN_BATCH)
                .query_async(connection)
                .await
                .map_err(|e| self.link.failed(&e))?;
            if !keys.is_empty() {
                redis::cmd("DEL")
                    .arg(&keys)
                    .query_async::<()>(connection)
                    .await
                    .map_err(|e| self.link.failed(&e))?;
            }
            if next == 0 {
                return Ok(());
            }
            cursor = next;
        }
    }
    // endregion
}
