//! A [`Limiter`] whose bucket state lives in Redis, so every Trent node of a
//! deployment draws on one account's quota together.
//!
//! Exists because the in-memory limiter counts per process: three nodes behind
//! a load balancer would each admit the whole quota, three times what AWS
//! allows. Here every decision is made by one Lua script run atomically by
//! Redis (`limiter.lua`, EVALSHA, loaded again after NOSCRIPT by
//! `redis::Script`), covering all the buckets of the request, all or nothing;
//! requests that queue while a call is out share the next call (decided one
//! by one, in order), which is what makes one round trip per request
//! affordable. The script runs
//! the same integer steps as trent-core's `window.rs` and `gcra.rs` over the
//! same layout, and reads Redis `TIME`, so node clocks that differ do not
//! matter. See `docs/multi-node.md` for the key layout, the clock and the
//! fault behaviour (fail closed).

#![warn(missing_docs)]

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::{mpsc, oneshot};
use trent_core::quota::{BucketKey, LimitDecision, LimitRequest, Limiter, LimiterError, Rate, window::MAX_RECORDS};

/// The decision script; see its header for arguments and layout.
const SCRIPT: &str = include_str!("limiter.lua");

/// Prefix of every key this limiter writes; `v1` names the layout, so a
/// changed layout can never misread an old bucket.
pub const KEY_PREFIX: &str = "trent:quota:v1:";

/// A bucket whose local time passes this many ns is re-based (see the
/// script): 2^51 ns, about 26 days, well inside the 2^53 that Lua's doubles
/// hold exactly.
const REBASE_AFTER: u64 = 1 << 51;

/// Largest time parameter (window, emission interval, tolerance) sent to the
/// script, 2^50 ns (about 13 days): exact in Lua's doubles with room for the
/// sums the script forms. Only quotas below one request per 13 days are
/// affected; they are enforced as one per 13 days.
const MAX_PARAM: u64 = 1 << 50;

/// How long one decision may take before the request gets
/// `DependencyTimeoutException`. Short: a request waits this long at most,
/// and a Redis that takes longer is as good as down.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(200);

/// Why a [`RedisLimiter`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum RedisLimiterError {
    /// The URL does not parse as a Redis URL.
    #[error("limiter URL {url}: {source}")]
    Url {
        /// The URL, without credentials.
        url: String,
        /// What the client said.
        source: redis::RedisError,
    },
    /// Redis did not answer at start.
    #[error("connecting to the Redis limiter at {url}: {detail}")]
    Connect {
        /// The URL, without credentials.
        url: String,
        /// What went wrong.
        detail: String,
    },
}

/// The shared limiter: one Redis (or a primary of one) for all nodes.
///
/// Cloning is cheap; clones share the connection.
#[derive(Clone)]
pub struct RedisLimiter {
    conn: ConnectionManager,
    script: redis::Script,
    timeout: Duration,
    /// Requests for the [`batcher`] task.
    batches: mpsc::Sender<Pending>,
}

impl std::fmt::Debug for RedisLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLimiter").field("timeout", &self.timeout).finish_non_exhaustive()
    }
}

/// `url` without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return "(unparsable limiter URL)".into() };
    match rest.rsplit_once('@') {
        Some((user, host)) => format!("{scheme}://{}@{host}", user.split_once(':').map_or(user, |(u, _)| u)),
        None => url.to_owned(),
    }
}

impl RedisLimiter {
    /// Connects to `url` (`redis://HOST:PORT[/DB]`) and loads the script,
    /// with [`DEFAULT_TIMEOUT`] per decision.
    pub async fn connect(url: &str) -> Result<Self, RedisLimiterError> {
        Self::connect_with_timeout(url, DEFAULT_TIMEOUT).await
    }

    /// [`RedisLimiter::connect`] with another deadline per decision.
    ///
    /// The connection manager reconnects by itself after an outage (first
    /// retry after ~10 ms, backing off to at most 1 s); meanwhile every
    /// decision fails at once with a connection error, or after `timeout`.
    pub async fn connect_with_timeout(url: &str, timeout: Duration) -> Result<Self, RedisLimiterError> {
        let name = redact(url);
        let client = redis::Client::open(url).map_err(|source| RedisLimiterError::Url { url: name.clone(), source })?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_min_delay(Duration::from_millis(10))
            .set_max_delay(Duration::from_secs(1))
            .set_number_of_retries(3);
        let connect = ConnectionManager::new_with_config(client, config);
        let conn = match tokio::time::timeout(timeout * 10, connect).await {
            Ok(Ok(conn)) => conn,
            Ok(Err(e)) => return Err(RedisLimiterError::Connect { url: name, detail: e.to_string() }),
            Err(_) => {
                return Err(RedisLimiterError::Connect {
                    url: name,
                    detail: format!("no answer in {:?}", timeout * 10),
                });
            }
        };
        let script = redis::Script::new(SCRIPT);
        let (batches, rx) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(batcher(conn.clone(), script.clone(), timeout, rx));
        let limiter = Self { conn, script, timeout, batches };
        let mut conn = limiter.conn.clone();
        limiter
            .script
            .load_async(&mut conn)
            .await
            .map_err(|e| RedisLimiterError::Connect { url: name, detail: format!("loading the script: {e}") })?;
        Ok(limiter)
    }

    /// Decides at an explicit time (ns) instead of Redis `TIME`.
    ///
    /// Exists so tests can run the script and the in-memory limiter over the
    /// same arrival times and compare decision by decision. `now_nanos` must
    /// be below 2^52 (about 52 days).
    pub async fn check_at(&self, requests: &[LimitRequest<'_>], now_nanos: u64) -> Result<LimitDecision, LimiterError> {
        if now_nanos >= 1 << 52 {
            return Err(LimiterError::Backend(format!("explicit time {now_nanos} ns is past 2^52")));
        }
        self.decide(requests, Some(now_nanos), REBASE_AFTER).await
    }

    /// [`RedisLimiter::check_at`] with another re-basing threshold, so a test
    /// can make buckets re-base early and check that no decision changes.
    #[doc(hidden)]
    pub async fn check_at_rebasing_after(
        &self,
        requests: &[LimitRequest<'_>],
        now_nanos: u64,
        rebase_after: u64,
    ) -> Result<LimitDecision, LimiterError> {
        self.decide(requests, Some(now_nanos), rebase_after).await
    }

    /// The Redis key of a bucket.
    pub fn key(bucket: &BucketKey<'_>) -> String {
        format!("{KEY_PREFIX}{bucket}")
    }

    async fn decide(
        &self,
        requests: &[LimitRequest<'_>],
        now: Option<u64>,
        rebase_after: u64,
    ) -> Result<LimitDecision, LimiterError> {
        if requests.is_empty() {
            return Ok(LimitDecision::ALLOW);
        }
        let draws = draws(requests);
        let decisions = run_batch(&self.conn, &self.script, std::slice::from_ref(&draws), now, rebase_after);
        let mut decisions = self.bounded(decisions).await?;
        decisions.pop().ok_or_else(|| LimiterError::Backend("the script returned no decision".into()))
    }

    /// Runs one Redis call within the deadline, naming a timeout as such.
    async fn bounded<T>(&self, call: impl Future<Output = redis::RedisResult<T>>) -> Result<T, LimiterError> {
        match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) if e.is_timeout() => Err(LimiterError::Timeout(e.to_string())),
            Ok(Err(e)) => Err(LimiterError::Backend(e.to_string())),
            Err(_) => Err(LimiterError::Timeout(format!("no answer from Redis in {:?}", self.timeout))),
        }
    }
}

/// One bucket of a request, as the script takes it: key, kind, two
/// parameters, cost (a request's buckets are distinct, costs summed).
type Draw = (String, &'static str, u64, u64, u32);

/// The distinct buckets of `requests`, each charged the sum of its entries,
/// as the in-memory limiter does.
fn draws(requests: &[LimitRequest<'_>]) -> Vec<Draw> {
    let mut out = Vec::with_capacity(requests.len());
    for (i, r) in requests.iter().enumerate() {
        if requests[..i].iter().any(|e| e.key == r.key) {
            continue;
        }
        let cost = requests[i..].iter().filter(|e| e.key == r.key).fold(0u32, |c, e| c.saturating_add(e.cost));
        let (kind, p1, p2) = match r.rate {
            Rate::Window(p) => ("w", p.window.min(MAX_PARAM), u64::from(p.capacity)),
            Rate::TokenBucket(p) => ("t", p.emission_interval.min(MAX_PARAM), p.burst_tolerance.min(MAX_PARAM)),
        };
        out.push((RedisLimiter::key(&r.key), kind, p1, p2, cost));
    }
    out
}

/// Decides `batch` (requests, in order) in one script call.
async fn run_batch(
    conn: &ConnectionManager,
    script: &redis::Script,
    batch: &[Vec<Draw>],
    now: Option<u64>,
    rebase_after: u64,
) -> redis::RedisResult<Vec<LimitDecision>> {
    let mut call = script.prepare_invoke();
    call.arg(now.map(|n| n.to_string()).unwrap_or_default()).arg(rebase_after).arg(2 * MAX_RECORDS).arg(batch.len());
    let mut keys: Vec<&str> = Vec::new();
    for draws in batch {
        call.arg(draws.len());
        for (key, kind, p1, p2, cost) in draws {
            let index = match keys.iter().position(|k| k == key) {
                Some(i) => i + 1,
                None => {
                    keys.push(key);
                    call.key(key.as_str());
                    keys.len()
                }
            };
            call.arg(index).arg(*kind).arg(*p1).arg(*p2).arg(*cost);
        }
    }
    let mut conn = conn.clone();
    let flat: Vec<i64> = call.invoke_async(&mut conn).await?;
    Ok(flat
        .chunks_exact(2)
        .map(|d| {
            if d[0] == 1 {
                LimitDecision::ALLOW
            } else {
                LimitDecision { allowed: false, retry_after: u64::try_from(d[1]).unwrap_or(u64::MAX) }
            }
        })
        .collect())
}

/// A decision waiting for the next batch.
struct Pending {
    draws: Vec<Draw>,
    reply: oneshot::Sender<Result<LimitDecision, LimiterError>>,
}

/// Most requests decided by one script call: bounds the time Redis spends
/// in one call (about 10 µs a request) so other clients are not held up.
const MAX_BATCH: usize = 128;

/// Sends the requests that queued up while the previous call was out as one
/// call: one round trip and one script invocation for the lot, instead of
/// one each. Decisions are the same as one call per request arriving in that
/// order at that instant (the script decides them one by one, each all or
/// nothing); the only difference is that a batch shares one reading of
/// Redis `TIME`. Ends when every [`RedisLimiter`] clone is gone.
async fn batcher(conn: ConnectionManager, script: redis::Script, timeout: Duration, mut rx: mpsc::Receiver<Pending>) {
    let mut batch: Vec<Pending> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        // A caller that gave up (timed out) is not sent: it was refused.
        batch.retain(|p| !p.reply.is_closed());
        let draws: Vec<Vec<Draw>> = batch.iter_mut().map(|p| std::mem::take(&mut p.draws)).collect();
        let result = match tokio::time::timeout(timeout, run_batch(&conn, &script, &draws, None, REBASE_AFTER)).await {
            Ok(Ok(d)) if d.len() == batch.len() => Ok(d),
            Ok(Ok(d)) => Err(LimiterError::Backend(format!("{} decisions for {} requests", d.len(), batch.len()))),
            Ok(Err(e)) if e.is_timeout() => Err(LimiterError::Timeout(e.to_string())),
            Ok(Err(e)) => Err(LimiterError::Backend(e.to_string())),
            Err(_) => Err(LimiterError::Timeout(format!("no answer from Redis in {timeout:?}"))),
        };
        match result {
            Ok(decisions) => {
                for (p, d) in batch.drain(..).zip(decisions) {
                    let _ = p.reply.send(Ok(d));
                }
            }
            Err(e) => {
                for p in batch.drain(..) {
                    let _ = p.reply.send(Err(e.clone()));
                }
            }
        }
    }
}

#[async_trait::async_trait]
impl Limiter for RedisLimiter {
    /// Decides on Redis `TIME`; `now_nanos` (this node's clock) is not used,
    /// so nodes whose clocks differ still share one window.
    async fn check(&self, requests: &[LimitRequest<'_>], _now_nanos: u64) -> Result<LimitDecision, LimiterError> {
        if requests.is_empty() {
            return Ok(LimitDecision::ALLOW);
        }
        let (reply, answer) = oneshot::channel();
        let pending = Pending { draws: draws(requests), reply };
        let queued = async {
            self.batches.send(pending).await.map_err(|_| LimiterError::Backend("the batcher has stopped".into()))?;
            answer.await.map_err(|_| LimiterError::Backend("the batcher dropped a decision".into()))?
        };
        // The wait in the queue counts against the deadline too.
        match tokio::time::timeout(self.timeout, queued).await {
            Ok(r) => r,
            Err(_) => Err(LimiterError::Timeout(format!("no decision from Redis in {:?}", self.timeout))),
        }
    }

    /// Deletes the bucket: the next request starts on an empty one.
    async fn reset(&self, key: &BucketKey<'_>) -> Result<(), LimiterError> {
        let mut conn = self.conn.clone();
        let mut cmd = redis::cmd("DEL");
        cmd.arg(Self::key(key));
        self.bounded(cmd.query_async::<i64>(&mut conn)).await.map(|_| ())
    }

    /// Deletes every key under [`KEY_PREFIX`], SCANning in batches so a
    /// large Redis is not blocked the way `KEYS` would block it.
    async fn reset_all(&self) -> Result<(), LimiterError> {
        let mut conn = self.conn.clone();
        let mut cursor: u64 = 0;
        loop {
            let mut scan = redis::cmd("SCAN");
            scan.arg(cursor).arg("MATCH").arg(format!("{KEY_PREFIX}*")).arg("COUNT").arg(1000);
            let (next, keys): (u64, Vec<String>) = self.bounded(scan.query_async(&mut conn)).await?;
            if !keys.is_empty() {
                let mut del = redis::cmd("DEL");
                del.arg(keys);
                self.bounded(del.query_async::<i64>(&mut conn)).await?;
            }
            if next == 0 {
                return Ok(());
            }
            cursor = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_passwords() {
        assert_eq!(redact("redis://:s3cret@cache:6379/0"), "redis://@cache:6379/0");
        assert_eq!(redact("redis://trent:s3cret@cache:6379"), "redis://trent@cache:6379");
        assert_eq!(redact("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
        assert_eq!(redact("nonsense"), "(unparsable limiter URL)");
    }

    #[test]
    fn keys_name_the_bucket_under_the_prefix() {
        use trent_core::quota::{BucketScope, QuotaId};
        let key = BucketKey::quota(
            BucketScope::Account { account_id: "111122223333", region: "us-east-1" },
            QuotaId::SYMMETRIC,
        );
        let k = RedisLimiter::key(&key);
        assert!(k.starts_with(KEY_PREFIX) && k.contains("111122223333/us-east-1/"), "{k}");
    }
}
