//! Where bucket state lives: the [`Limiter`] trait and its in-memory implementation.
//!
//! The engine decides *which* buckets a request draws on and at what rate;
//! a limiter only keeps the GCRA state and applies [`super::gcra::gcra`]
//! atomically across all the buckets of one request. The trait is async and
//! object safe so a Redis-backed limiter, shared by several Trent processes,
//! can sit behind the same engine.

use std::collections::HashMap;

use parking_lot::{Mutex, MutexGuard};

use super::catalog::QuotaId;
use super::charge::BucketKey;
use super::fxhash::{PrehashedBuildHasher, hash_pair, reduce};
use super::gcra::gcra;

/// One bucket to draw on, with the rate it is limited to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitRequest<'a> {
    /// The bucket.
    pub key: BucketKey<'a>,
    /// Nanoseconds per unit (see [`super::gcra::RateParams`]).
    pub emission_interval: u64,
    /// GCRA burst tolerance τ in nanoseconds.
    pub burst_tolerance: u64,
    /// Units to take.
    pub cost: u32,
}

/// A limiter's answer for a whole request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitDecision {
    /// True when every bucket admitted the request (and all were charged).
    pub allowed: bool,
    /// When refused, nanoseconds until the refusing buckets would admit it
    /// (`u64::MAX` if never). 0 when allowed.
    pub retry_after: u64,
}

impl LimitDecision {
    /// An admitting decision.
    pub const ALLOW: LimitDecision = LimitDecision { allowed: true, retry_after: 0 };
}

/// A limiter backend could not decide (e.g. Redis unreachable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimiterError {
    /// The backend failed; the text is for logs.
    #[error("limiter backend: {0}")]
    Backend(String),
}

/// Keeps GCRA state and decides, all-or-nothing, whether a request may draw
/// on every bucket it names.
///
/// `now_nanos` is the caller's monotonic time; a shared backend may use its
/// own clock instead (Redis `TIME`) as long as it is consistent across processes.
#[async_trait::async_trait]
pub trait Limiter: Send + Sync + 'static {
    /// Charges every request in `requests` if all of them conform at `now_nanos`,
    /// and none of them otherwise.
    async fn check(&self, requests: &[LimitRequest<'_>], now_nanos: u64) -> Result<LimitDecision, LimiterError>;

    /// Forgets a bucket's state (it starts full again). Called when a quota is
    /// raised so the new value applies at once instead of after the old
    /// rate's backlog drains.
    async fn reset(&self, key: &BucketKey<'_>) -> Result<(), LimiterError>;
}

type Slots = Box<[u64]>;

/// The buckets of one scope: one TAT per catalog quota.
struct ScopeState {
    a: Box<str>,
    b: Box<str>,
    slots: Slots,
}

impl ScopeState {
    fn new(a: &str, b: &str) -> Self {
        Self { a: a.into(), b: b.into(), slots: vec![0u64; QuotaId::COUNT].into_boxed_slice() }
    }

    fn is(&self, a: &str, b: &str) -> bool {
        &*self.a == a && &*self.b == b
    }
}

#[derive(Default)]
struct Shard {
    /// Scopes by their pre-computed [`hash_pair`]: one hash per decision.
    scopes: HashMap<u64, ScopeState, PrehashedBuildHasher>,
    /// Scopes whose 64-bit hash collided with another's (practically never).
    collisions: Vec<ScopeState>,
}

impl Shard {
    /// The TAT of one bucket, 0 if never used.
    fn tat(&self, h: u64, a: &str, b: &str, quota: QuotaId) -> u64 {
        let found = match self.scopes.get(&h) {
            Some(s) if s.is(a, b) => Some(s),
            Some(_) => self.collisions.iter().find(|s| s.is(a, b)),
            None => None,
        };
        found.map_or(0, |s| s.slots[quota.index()])
    }

    /// Runs `f` on a scope's slots, creating them on first use. Allocates
    /// only on a miss.
    fn with_slots<R>(&mut self, h: u64, a: &str, b: &str, f: impl FnOnce(&mut Slots) -> R) -> R {
        match self.scopes.get_mut(&h) {
            Some(s) if s.is(a, b) => f(&mut s.slots),
            Some(_) => match self.collisions.iter_mut().find(|s| s.is(a, b)) {
                Some(s) => f(&mut s.slots),
                None => {
                    let mut s = ScopeState::new(a, b);
                    let r = f(&mut s.slots);
                    self.collisions.push(s);
                    r
                }
            },
            None => {
                let mut s = ScopeState::new(a, b);
                let r = f(&mut s.slots);
                self.scopes.insert(h, s);
                r
            }
        }
    }

    fn len(&self) -> usize {
        self.scopes.len() + self.collisions.len()
    }
}

/// A shard on its own cache lines, so threads working on different shards
/// never invalidate each other's lock word.
#[repr(align(128))]
#[derive(Default)]
struct Padded(Mutex<Shard>);

/// The single-process limiter: GCRA state in memory, sharded by scope
/// (account + region, or custom key store) so concurrent requests from
/// different accounts rarely touch the same lock.
pub struct InMemoryLimiter {
    shards: Box<[Padded]>,
}

impl std::fmt::Debug for InMemoryLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InMemoryLimiter").field("shards", &self.shards.len()).finish()
    }
}

impl Default for InMemoryLimiter {
    fn default() -> Self {
        Self::new(64)
    }
}

/// Where a bucket lives: its scope's hash and shard.
#[derive(Clone, Copy)]
struct Located<'a> {
    hash: u64,
    shard: usize,
    a: &'a str,
    b: &'a str,
}

impl InMemoryLimiter {
    /// A limiter with `shards` locks (at least 1).
    pub fn new(shards: usize) -> Self {
        let n = shards.max(1);
        Self { shards: (0..n).map(|_| Padded::default()).collect() }
    }

    fn locate<'a>(&self, key: &BucketKey<'a>) -> Located<'a> {
        let (a, b) = key.scope.parts();
        let hash = hash_pair(a, b);
        Located { hash, shard: reduce(hash, self.shards.len()), a, b }
    }

    /// The synchronous decision behind [`Limiter::check`]; never fails.
    pub fn check_now(&self, requests: &[LimitRequest<'_>], now_nanos: u64) -> LimitDecision {
        match requests {
            [] => LimitDecision::ALLOW,
            [r] => self.check_one(r, now_nanos),
            [a, b] => self.check_two(a, b, now_nanos),
            _ => self.check_many(requests, now_nanos),
        }
    }

    fn check_one(&self, r: &LimitRequest<'_>, now: u64) -> LimitDecision {
        let at = self.locate(&r.key);
        let mut shard = self.shards[at.shard].0.lock();
        shard.with_slots(at.hash, at.a, at.b, |slots| {
            let slot = &mut slots[r.key.quota.index()];
            let d = gcra(*slot, now, r.emission_interval, r.burst_tolerance, r.cost);
            if d.allowed {
                *slot = d.new_tat;
                LimitDecision::ALLOW
            } else {
                LimitDecision { allowed: false, retry_after: d.retry_after }
            }
        })
    }

    /// The common multi-bucket case (account pool + custom key store)
    /// without allocating: lock one or two shards, in ascending order.
    fn check_two(&self, r0: &LimitRequest<'_>, r1: &LimitRequest<'_>, now: u64) -> LimitDecision {
        let (l0, l1) = (self.locate(&r0.key), self.locate(&r1.key));
        let pair = [(l0, r0), (l1, r1)];
        if l0.shard == l1.shard {
            let mut g = self.shards[l0.shard].0.lock();
            return decide_two(&mut g, None, pair, now);
        }
        let (lo, hi) = (l0.shard.min(l1.shard), l0.shard.max(l1.shard));
        let mut first = self.shards[lo].0.lock();
        let mut second = self.shards[hi].0.lock();
        if l0.shard == lo {
            decide_two(&mut first, Some(&mut second), pair, now)
        } else {
            decide_two(&mut second, Some(&mut first), pair, now)
        }
    }

    fn check_many(&self, requests: &[LimitRequest<'_>], now: u64) -> LimitDecision {
        // Lock every shard involved, in ascending order, so two multi-bucket
        // requests can never deadlock and the decision is atomic.
        let located: Vec<Located<'_>> = requests.iter().map(|r| self.locate(&r.key)).collect();
        let mut order: Vec<usize> = located.iter().map(|l| l.shard).collect();
        order.sort_unstable();
        order.dedup();
        let mut guards: Vec<(usize, MutexGuard<'_, Shard>)> =
            order.iter().map(|&i| (i, self.shards[i].0.lock())).collect();

        let mut new_tats = Vec::with_capacity(requests.len());
        let mut refused: Option<u64> = None;
        for (i, r) in requests.iter().enumerate() {
            // A bucket named twice in one request sees its own earlier charge.
            let earlier = requests[..i].iter().rposition(|e| e.key == r.key).map(|j| new_tats[j]);
            let tat = match earlier {
                Some(t) => t,
                None => {
                    let at = located[i];
                    find_guard(&mut guards, at.shard).map_or(0, |shard| shard.tat(at.hash, at.a, at.b, r.key.quota))
                }
            };
            let d = gcra(tat, now, r.emission_interval, r.burst_tolerance, r.cost);
            if !d.allowed {
                refused = Some(refused.map_or(d.retry_after, |x: u64| x.max(d.retry_after)));
            }
            new_tats.push(d.new_tat);
        }
        if let Some(retry_after) = refused {
            return LimitDecision { allowed: false, retry_after };
        }
        for (i, r) in requests.iter().enumerate() {
            let at = located[i];
            if let Some(shard) = find_guard(&mut guards, at.shard) {
                shard.with_slots(at.hash, at.a, at.b, |slots| slots[r.key.quota.index()] = new_tats[i]);
            }
        }
        LimitDecision::ALLOW
    }

    /// The synchronous form of [`Limiter::reset`].
    pub fn reset_now(&self, key: &BucketKey<'_>) {
        let at = self.locate(key);
        let mut shard = self.shards[at.shard].0.lock();
        if shard.tat(at.hash, at.a, at.b, key.quota) != 0 {
            shard.with_slots(at.hash, at.a, at.b, |slots| slots[key.quota.index()] = 0);
        }
    }

    /// Forgets scopes whose every bucket is full again at `now_nanos`
    /// (indistinguishable from never used), bounding memory when many
    /// accounts come and go. Safe to call from a periodic task.
    pub fn purge_idle(&self, now_nanos: u64) -> usize {
        let busy = |s: &ScopeState| s.slots.iter().any(|&tat| tat > now_nanos);
        let mut removed = 0;
        for shard in self.shards.iter() {
            let mut shard = shard.0.lock();
            let before = shard.len();
            shard.scopes.retain(|_, s| busy(s));
            shard.collisions.retain(|s| busy(s));
            removed += before - shard.len();
        }
        removed
    }

    /// Number of scopes currently held (for tests and metrics).
    pub fn scope_count(&self) -> usize {
        self.shards.iter().map(|s| s.0.lock().len()).sum()
    }
}

/// Decides two requests atomically: `g0` holds the first bucket, `g1` the
/// second (`None`: the same shard as the first).
fn decide_two(
    g0: &mut Shard,
    g1: Option<&mut Shard>,
    [(l0, r0), (l1, r1)]: [(Located<'_>, &LimitRequest<'_>); 2],
    now: u64,
) -> LimitDecision {
    let d0 = gcra(g0.tat(l0.hash, l0.a, l0.b, r0.key.quota), now, r0.emission_interval, r0.burst_tolerance, r0.cost);
    // A bucket named twice sees its own earlier charge.
    let t1 =
        if r1.key == r0.key { d0.new_tat } else { g1.as_deref().unwrap_or(g0).tat(l1.hash, l1.a, l1.b, r1.key.quota) };
    let d1 = gcra(t1, now, r1.emission_interval, r1.burst_tolerance, r1.cost);
    if !(d0.allowed && d1.allowed) {
        let wait = |d: super::gcra::Decision| if d.allowed { 0 } else { d.retry_after };
        return LimitDecision { allowed: false, retry_after: wait(d0).max(wait(d1)) };
    }
    g0.with_slots(l0.hash, l0.a, l0.b, |s| s[r0.key.quota.index()] = d0.new_tat);
    let g1: &mut Shard = match g1 {
        Some(g) => g,
        None => g0,
    };
    g1.with_slots(l1.hash, l1.a, l1.b, |s| s[r1.key.quota.index()] = d1.new_tat);
    LimitDecision::ALLOW
}

fn find_guard<'g>(guards: &'g mut [(usize, MutexGuard<'_, Shard>)], shard: usize) -> Option<&'g mut Shard> {
    guards.iter_mut().find(|(i, _)| *i == shard).map(|(_, g)| &mut **g)
}

#[async_trait::async_trait]
impl Limiter for InMemoryLimiter {
    async fn check(&self, requests: &[LimitRequest<'_>], now_nanos: u64) -> Result<LimitDecision, LimiterError> {
        Ok(self.check_now(requests, now_nanos))
    }

    async fn reset(&self, key: &BucketKey<'_>) -> Result<(), LimiterError> {
        self.reset_now(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quota::charge::BucketScope;

    const S: u64 = 1_000_000_000;

    fn req<'a>(account: &'a str, quota: QuotaId, per_second: u64, cost: u32) -> LimitRequest<'a> {
        let t = S / per_second;
        LimitRequest {
            key: BucketKey { scope: BucketScope::Account { account_id: account, region: "us-east-1" }, quota },
            emission_interval: t,
            burst_tolerance: (per_second - 1) * t,
            cost,
        }
    }

    #[test]
    fn buckets_are_independent() {
        let l = InMemoryLimiter::new(4);
        let a = req("111111111111", QuotaId::SYMMETRIC, 2, 1);
        let b = req("111111111111", QuotaId::RSA, 2, 1);
        let c = req("222222222222", QuotaId::SYMMETRIC, 2, 1);
        for r in [a, a] {
            assert!(l.check_now(&[r], S).allowed);
        }
        assert!(!l.check_now(&[a], S).allowed);
        assert!(l.check_now(&[b], S).allowed);
        assert!(l.check_now(&[c], S).allowed);
    }

    #[test]
    fn multi_bucket_is_all_or_nothing() {
        for shards in [1, 64] {
            let l = InMemoryLimiter::new(shards);
            let wide = req("111111111111", QuotaId::SYMMETRIC, 10, 1);
            let narrow = LimitRequest {
                key: BucketKey { scope: BucketScope::CustomKeyStore { id: "cks-1" }, quota: QuotaId::CUSTOM_KEY_STORE },
                ..req("x", QuotaId::CUSTOM_KEY_STORE, 2, 1)
            };
            assert!(l.check_now(&[wide, narrow], S).allowed);
            assert!(l.check_now(&[wide, narrow], S).allowed);
            // The store is empty now: the request is refused and the symmetric
            // bucket must not have been charged for it.
            let d = l.check_now(&[wide, narrow], S);
            assert!(!d.allowed);
            assert_eq!(d.retry_after, S / 2);
            let passed = (0..20).filter(|_| l.check_now(&[wide], S).allowed).count();
            assert_eq!(passed, 8, "shards={shards}");
        }
    }

    #[test]
    fn three_buckets_are_all_or_nothing_too() {
        for shards in [1, 3, 64] {
            let l = InMemoryLimiter::new(shards);
            let a = req("111111111111", QuotaId::SYMMETRIC, 10, 1);
            let b = req("222222222222", QuotaId::RSA, 10, 1);
            let c = req("333333333333", QuotaId::ECC, 1, 1);
            assert!(l.check_now(&[a, b, c], S).allowed);
            assert!(!l.check_now(&[a, b, c], S).allowed, "c is empty");
            let passed = (0..20).filter(|_| l.check_now(&[a, b], S).allowed).count();
            assert_eq!(passed, 9, "shards={shards}");
            assert!(!l.check_now(&[c, c, c], 2 * S).allowed);
            assert!(l.check_now(&[c], 2 * S).allowed);
        }
    }

    #[test]
    fn a_bucket_named_twice_is_charged_twice() {
        let l = InMemoryLimiter::new(8);
        let r = req("111111111111", QuotaId::SYMMETRIC, 3, 1);
        assert!(l.check_now(&[r, r], S).allowed);
        assert!(!l.check_now(&[r, r], S).allowed);
        assert!(l.check_now(&[r], S).allowed);
    }

    #[test]
    fn idle_scopes_are_purged() {
        let l = InMemoryLimiter::default();
        let r = req("111111111111", QuotaId::SYMMETRIC, 1, 1);
        assert!(l.check_now(&[r], S).allowed);
        assert_eq!(l.scope_count(), 1);
        assert_eq!(l.purge_idle(S), 0, "still busy until 2 s");
        assert_eq!(l.purge_idle(2 * S), 1);
        assert_eq!(l.scope_count(), 0);
        assert!(l.check_now(&[r], 2 * S).allowed);
    }

    #[test]
    fn colliding_hashes_keep_scopes_apart() {
        let q = QuotaId::SYMMETRIC;
        let mut shard = Shard::default();
        shard.with_slots(42, "a", "1", |s| s[q.index()] = 7);
        shard.with_slots(42, "b", "2", |s| s[q.index()] = 9);
        assert_eq!(shard.tat(42, "a", "1", q), 7);
        assert_eq!(shard.tat(42, "b", "2", q), 9);
        assert_eq!(shard.tat(42, "c", "3", q), 0);
        shard.with_slots(42, "b", "2", |s| s[q.index()] += 1);
        assert_eq!(shard.tat(42, "b", "2", q), 10);
        assert_eq!(shard.len(), 2);
    }

    #[test]
    fn reset_refills_one_bucket() {
        let l = InMemoryLimiter::default();
        let r = req("111111111111", QuotaId::SYMMETRIC, 1, 1);
        let other = req("111111111111", QuotaId::RSA, 1, 1);
        assert!(l.check_now(&[r], S).allowed);
        assert!(l.check_now(&[other], S).allowed);
        l.reset_now(&r.key);
        assert!(l.check_now(&[r], S).allowed);
        assert!(!l.check_now(&[other], S).allowed);
    }

    #[tokio::test]
    async fn trait_object_delegates() {
        let l: std::sync::Arc<dyn Limiter> = std::sync::Arc::new(InMemoryLimiter::default());
        let r = req("111111111111", QuotaId::SYMMETRIC, 1, 1);
        assert_eq!(l.check(&[r], S).await, Ok(LimitDecision::ALLOW));
        assert!(!l.check(&[r], S).await.expect("decision").allowed);
    }
}
