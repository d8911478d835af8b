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

use super::Policy;
use crate::redis_link::{KeySpace, RedisUnavailable};

/// Every key of the rate limiter starts with this.
pub(super) const KEY_PREFIX: &str = "dojo:ratelimit:";

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
    /// The buckets' keys; a topic reset deletes them before the next request counts.
    keys: KeySpace,
    take_token: redis::Script,
}

impl RedisBuckets {
    /// Buckets on the server at `url`. Does not connect.
    pub(super) fn new(url: &str) -> RedisBuckets {
        RedisBuckets {
            keys: KeySpace::new(url, &[KEY_PREFIX]),
            take_token: redis::Script::new(TAKE_TOKEN),
        }
    }

    /// The server, password left out.
    pub(super) fn shown_url(&self) -> &str {
        self.keys.link().shown_url()
    }

    /// One request against the client's bucket and, if signed in, the user's: one round
    /// trip, one atomic script.
    pub(super) async fn take(
        &self,
        client: IpAddr,
        client_policy: Policy,
        user: Option<(u64, Policy)>,
    ) -> Result<Taken, RedisUnavailable> {
        let mut connection = self.keys.connection().await?;
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
            .map_err(|e| self.keys.link().failed(&e))?;
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
        self.keys.ask_clear();
    }
}
