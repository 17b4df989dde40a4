//! Where bucket state lives: the [`Limiter`] trait and its in-memory implementation.
//!
//! The engine decides *which* buckets a request draws on and at what rate;
//! a limiter only keeps each bucket's state and applies the pure maths —
//! [`super::window`] or [`mod@super::gcra`], as [`Rate`] says — atomically across
//! all the buckets of one request. The trait is async and object safe so a
//! Redis-backed limiter, shared by several Trent processes, can sit behind
//! the same engine: a Lua script running the same steps over the same state
//! layout ([`super::window::WindowState`], or one TAT) reaches the same
//! decisions.

use std::collections::HashMap;

use parking_lot::{Mutex, MutexGuard};

use super::catalog::QuotaId;
use super::charge::{BucketKey, BucketLimit, ScopeKind};
use super::fxhash::{PrehashedBuildHasher, hash_pair, reduce};
use super::gcra::{RateParams, gcra};
use super::window::{WindowParams, WindowState};

/// How one bucket is limited: everything the algorithm needs, so a limiter
/// keeps only state and never looks up a quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rate {
    /// `algorithm = "window"`: at most `capacity` units in any `window` ns.
    Window(WindowParams),
    /// `algorithm = "token-bucket"`: GCRA with these parameters.
    TokenBucket(RateParams),
}

/// One bucket to draw on, with the rate it is limited to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitRequest<'a> {
    /// The bucket.
    pub key: BucketKey<'a>,
    /// Its limit, already resolved from the quota value and the config.
    pub rate: Rate,
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
///
/// The engine fails closed on either: the request is refused with an AWS
/// server fault, never admitted uncounted. The two kinds exist because AWS
/// names them apart: a dependency that did not answer in time is
/// `DependencyTimeoutException`, anything else `KMSInternalException`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimiterError {
    /// The backend failed (refused connection, protocol or script error);
    /// the text is for logs.
    #[error("limiter backend: {0}")]
    Backend(String),
    /// The backend did not answer within the limiter's deadline; the text is for logs.
    #[error("limiter backend timed out: {0}")]
    Timeout(String),
}

/// Keeps bucket state and decides, all-or-nothing, whether a request may
/// draw on every bucket it names.
///
/// `now_nanos` is the caller's monotonic time; a shared backend may use its
/// own clock instead (Redis `TIME`) as long as it is consistent across processes.
#[async_trait::async_trait]
pub trait Limiter: Send + Sync + 'static {
    /// Charges every request in `requests` if all of them conform at `now_nanos`,
    /// and none of them otherwise. A bucket named twice is charged the sum.
    async fn check(&self, requests: &[LimitRequest<'_>], now_nanos: u64) -> Result<LimitDecision, LimiterError>;

    /// Forgets a bucket's state (it starts empty again). Called when a quota is
    /// raised so the new value applies at once instead of after the units
    /// admitted at the old value leave the window (or the old backlog drains).
    async fn reset(&self, key: &BucketKey<'_>) -> Result<(), LimiterError>;

    /// Forgets every bucket this limiter holds (`POST /_trent/reset`).
    async fn reset_all(&self) -> Result<(), LimiterError>;
}

/// One bucket's state, in whichever algorithm last used it.
#[derive(Debug, Default)]
enum Bucket {
    /// Never used, or reset: full.
    #[default]
    Empty,
    /// GCRA: the theoretical arrival time.
    Tat(u64),
    /// The sliding window's admission records (boxed: most buckets of a
    /// scope stay empty, so the variant stays two words).
    Window(Box<WindowState>),
}

/// The outcome of checking one bucket, kept until the request is committed.
#[derive(Debug, Clone, Copy)]
struct Step {
    allowed: bool,
    retry_after: u64,
    /// GCRA only: the TAT to store if the request is committed.
    new_tat: u64,
}

impl Bucket {
    /// Whether `cost` units fit at `now`, charging nothing. May drop units
    /// that have left the window (which changes no decision).
    fn check(&mut self, rate: Rate, now: u64, cost: u32) -> Step {
        match rate {
            Rate::TokenBucket(p) => {
                let tat = match self {
                    Bucket::Tat(t) => *t,
                    Bucket::Empty | Bucket::Window(_) => 0,
                };
                let d = gcra(tat, now, p.emission_interval, p.burst_tolerance, cost);
                Step { allowed: d.allowed, retry_after: d.retry_after, new_tat: d.new_tat }
            }
            Rate::Window(p) => {
                let v = match self {
                    Bucket::Window(w) => w.check(now, p, cost),
                    Bucket::Empty | Bucket::Tat(_) => {
                        // First use (a bucket changes algorithm only with the config).
                        let mut w = Box::<WindowState>::default();
                        let v = w.check(now, p, cost);
                        *self = Bucket::Window(w);
                        v
                    }
                };
                Step { allowed: v.allowed, retry_after: v.retry_after, new_tat: 0 }
            }
        }
    }

    /// Charges a request [`Bucket::check`] allowed at the same `now`.
    fn commit(&mut self, rate: Rate, now: u64, cost: u32, step: Step) {
        match (rate, self) {
            (Rate::TokenBucket(_), b) => *b = Bucket::Tat(step.new_tat),
            (Rate::Window(p), Bucket::Window(w)) => w.record(now, p, cost),
            (Rate::Window(p), b) => {
                let mut w = Box::<WindowState>::default();
                w.record(now, p, cost);
                *b = Bucket::Window(w);
            }
        }
    }

    /// Whether forgetting the bucket at `now` would change no decision.
    fn is_idle(&self, now: u64) -> bool {
        match self {
            Bucket::Empty => true,
            Bucket::Tat(t) => *t <= now,
            Bucket::Window(w) => w.is_idle(now),
        }
    }
}

/// Buckets held per account scope: one per catalog quota, plus the hot-key slot.
const ACCOUNT_BUCKETS: usize = QuotaId::COUNT + 1;

/// The buckets of one scope: one per catalog quota for an account; one
/// (the pool, or the hot-key limit) for a custom key store or a key.
struct ScopeState {
    kind: ScopeKind,
    a: Box<str>,
    b: Box<str>,
    buckets: Box<[Bucket]>,
}

impl ScopeState {
    fn new(kind: ScopeKind, a: &str, b: &str) -> Self {
        let n = if kind == ScopeKind::Account { ACCOUNT_BUCKETS } else { 2 };
        Self { kind, a: a.into(), b: b.into(), buckets: (0..n).map(|_| Bucket::Empty).collect() }
    }

    fn is(&self, kind: ScopeKind, a: &str, b: &str) -> bool {
        self.kind == kind && &*self.a == a && &*self.b == b
    }

    /// The bucket of `limit` in this scope. Every combination has a bucket
    /// of its own, though the engine only asks for the ones it plans.
    fn bucket(&mut self, limit: BucketLimit) -> &mut Bucket {
        let last = self.buckets.len() - 1;
        let i = match (self.kind, limit) {
            (ScopeKind::Account, BucketLimit::Quota(q)) => q.index(),
            (_, BucketLimit::Quota(_)) => 0,
            (_, BucketLimit::HotKey) => last,
        };
        &mut self.buckets[i.min(last)]
    }
}

#[derive(Default)]
struct Shard {
    /// Scopes by their pre-computed hash: one hash per bucket per decision.
    scopes: HashMap<u64, ScopeState, PrehashedBuildHasher>,
    /// Scopes whose 64-bit hash collided with another's (practically never).
    collisions: Vec<ScopeState>,
}

impl Shard {
    /// A scope's state, if it has any.
    fn scope(&mut self, at: &Located<'_>) -> Option<&mut ScopeState> {
        match self.scopes.get_mut(&at.hash) {
            Some(s) if s.is(at.kind, at.a, at.b) => Some(s),
            Some(_) => self.collisions.iter_mut().find(|s| s.is(at.kind, at.a, at.b)),
            None => None,
        }
    }

    /// A scope's state, created on first use (the only allocation on the
    /// path). One map lookup either way.
    fn scope_or_new(&mut self, at: &Located<'_>) -> &mut ScopeState {
        use std::collections::hash_map::Entry;
        let fresh = || ScopeState::new(at.kind, at.a, at.b);
        match self.scopes.entry(at.hash) {
            Entry::Vacant(v) => v.insert(fresh()),
            Entry::Occupied(o) if o.get().is(at.kind, at.a, at.b) => o.into_mut(),
            Entry::Occupied(_) => {
                let i = match self.collisions.iter().position(|s| s.is(at.kind, at.a, at.b)) {
                    Some(i) => i,
                    None => {
                        self.collisions.push(fresh());
                        self.collisions.len() - 1
                    }
                };
                &mut self.collisions[i]
            }
        }
    }

    /// The bucket a request draws on, created on first use.
    fn bucket(&mut self, at: &Located<'_>, limit: BucketLimit) -> &mut Bucket {
        self.scope_or_new(at).bucket(limit)
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

/// The single-process limiter: bucket state in memory, sharded by scope
/// (account + region, custom key store, or key) so concurrent requests from
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

/// Where a bucket's scope lives: its hash, shard and identity.
#[derive(Clone, Copy)]
struct Located<'a> {
    hash: u64,
    shard: usize,
    kind: ScopeKind,
    a: &'a str,
    b: &'a str,
}

/// Keeps the hashes of scopes of different kinds apart.
fn salt(kind: ScopeKind) -> u64 {
    match kind {
        ScopeKind::Account => 0,
        ScopeKind::CustomKeyStore => 0x9E37_79B9_7F4A_7C15,
        ScopeKind::Key => 0xC2B2_AE3D_27D4_EB4F,
    }
}

/// One distinct bucket of a request, with the summed cost of every entry
/// naming it.
#[derive(Clone, Copy)]
struct Draw<'a> {
    at: Located<'a>,
    limit: BucketLimit,
    rate: Rate,
    cost: u32,
}

impl InMemoryLimiter {
    /// A limiter with `shards` locks (at least 1).
    pub fn new(shards: usize) -> Self {
        let n = shards.max(1);
        Self { shards: (0..n).map(|_| Padded::default()).collect() }
    }

    fn locate<'a>(&self, key: &BucketKey<'a>) -> Located<'a> {
        let (a, b) = key.scope.parts();
        let kind = key.scope.kind();
        let hash = hash_pair(a, b) ^ salt(kind);
        Located { hash, shard: reduce(hash, self.shards.len()), kind, a, b }
    }

    fn draw<'a>(&self, r: &LimitRequest<'a>, cost: u32) -> Draw<'a> {
        Draw { at: self.locate(&r.key), limit: r.key.limit, rate: r.rate, cost }
    }

    /// The synchronous decision behind [`Limiter::check`]; never fails.
    pub fn check_now(&self, requests: &[LimitRequest<'_>], now_nanos: u64) -> LimitDecision {
        match requests {
            [] => LimitDecision::ALLOW,
            [r] => self.check_one(self.draw(r, r.cost), now_nanos),
            [a, b] if a.key == b.key => self.check_one(self.draw(a, a.cost.saturating_add(b.cost)), now_nanos),
            [a, b] => self.check_two(self.draw(a, a.cost), self.draw(b, b.cost), now_nanos),
            _ => self.check_many(requests, now_nanos),
        }
    }

    fn check_one(&self, d: Draw<'_>, now: u64) -> LimitDecision {
        let mut shard = self.shards[d.at.shard].0.lock();
        let bucket = shard.bucket(&d.at, d.limit);
        let step = bucket.check(d.rate, now, d.cost);
        if step.allowed {
            bucket.commit(d.rate, now, d.cost, step);
            LimitDecision::ALLOW
        } else {
            LimitDecision { allowed: false, retry_after: step.retry_after }
        }
    }

    /// The common multi-bucket case (account quota + custom key store or
    /// key) without allocating: lock one or two shards, in ascending order.
    fn check_two(&self, d0: Draw<'_>, d1: Draw<'_>, now: u64) -> LimitDecision {
        if d0.at.shard == d1.at.shard {
            let mut g = self.shards[d0.at.shard].0.lock();
            return decide_two(&mut g, None, [d0, d1], now);
        }
        let (lo, hi) = (d0.at.shard.min(d1.at.shard), d0.at.shard.max(d1.at.shard));
        let mut first = self.shards[lo].0.lock();
        let mut second = self.shards[hi].0.lock();
        if d0.at.shard == lo {
            decide_two(&mut first, Some(&mut second), [d0, d1], now)
        } else {
            decide_two(&mut second, Some(&mut first), [d0, d1], now)
        }
    }

    fn check_many(&self, requests: &[LimitRequest<'_>], now: u64) -> LimitDecision {
        // One draw per distinct bucket, charged the sum of its entries.
        let mut draws: Vec<Draw<'_>> = Vec::with_capacity(requests.len());
        for (i, r) in requests.iter().enumerate() {
            if requests[..i].iter().any(|e| e.key == r.key) {
                continue;
            }
            let cost = requests[i..].iter().filter(|e| e.key == r.key).fold(0u32, |c, e| c.saturating_add(e.cost));
            draws.push(self.draw(r, cost));
        }
        // Lock every shard involved, in ascending order, so two multi-bucket
        // requests can never deadlock and the decision is atomic.
        let mut order: Vec<usize> = draws.iter().map(|d| d.at.shard).collect();
        order.sort_unstable();
        order.dedup();
        let mut guards: Vec<(usize, MutexGuard<'_, Shard>)> =
            order.iter().map(|&i| (i, self.shards[i].0.lock())).collect();

        let mut steps = Vec::with_capacity(draws.len());
        let mut refused: Option<u64> = None;
        for d in &draws {
            let step = match find_guard(&mut guards, d.at.shard) {
                Some(shard) => shard.bucket(&d.at, d.limit).check(d.rate, now, d.cost),
                None => Step { allowed: false, retry_after: 0, new_tat: 0 },
            };
            if !step.allowed {
                refused = Some(refused.map_or(step.retry_after, |x: u64| x.max(step.retry_after)));
            }
            steps.push(step);
        }
        if let Some(retry_after) = refused {
            return LimitDecision { allowed: false, retry_after };
        }
        for (d, step) in draws.iter().zip(steps) {
            if let Some(shard) = find_guard(&mut guards, d.at.shard) {
                shard.bucket(&d.at, d.limit).commit(d.rate, now, d.cost, step);
            }
        }
        LimitDecision::ALLOW
    }

    /// The synchronous form of [`Limiter::reset`].
    pub fn reset_now(&self, key: &BucketKey<'_>) {
        let at = self.locate(key);
        let mut shard = self.shards[at.shard].0.lock();
        if let Some(scope) = shard.scope(&at) {
            *scope.bucket(key.limit) = Bucket::Empty;
        }
    }

    /// Forgets scopes whose every bucket is full again at `now_nanos`
    /// (indistinguishable from never used), bounding memory when many
    /// accounts or keys come and go. Safe to call from a periodic task.
    pub fn purge_idle(&self, now_nanos: u64) -> usize {
        let busy = |s: &ScopeState| s.buckets.iter().any(|b| !b.is_idle(now_nanos));
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

    /// Forgets every bucket (a server reset): every quota starts full.
    pub fn clear(&self) {
        for shard in self.shards.iter() {
            let mut shard = shard.0.lock();
            shard.scopes.clear();
            shard.collisions.clear();
        }
    }

    /// Number of scopes currently held (for tests and metrics).
    pub fn scope_count(&self) -> usize {
        self.shards.iter().map(|s| s.0.lock().len()).sum()
    }
}

/// Decides two distinct buckets atomically: `g0` holds the first, `g1` the
/// second (`None`: the same shard as the first).
fn decide_two(g0: &mut Shard, mut g1: Option<&mut Shard>, [d0, d1]: [Draw<'_>; 2], now: u64) -> LimitDecision {
    let s0 = g0.bucket(&d0.at, d0.limit).check(d0.rate, now, d0.cost);
    let second = match g1.as_deref_mut() {
        Some(g) => g,
        None => &mut *g0,
    };
    let s1 = second.bucket(&d1.at, d1.limit).check(d1.rate, now, d1.cost);
    if !(s0.allowed && s1.allowed) {
        let wait = |s: Step| if s.allowed { 0 } else { s.retry_after };
        return LimitDecision { allowed: false, retry_after: wait(s0).max(wait(s1)) };
    }
    g0.bucket(&d0.at, d0.limit).commit(d0.rate, now, d0.cost, s0);
    let second = match g1 {
        Some(g) => g,
        None => g0,
    };
    second.bucket(&d1.at, d1.limit).commit(d1.rate, now, d1.cost, s1);
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

    async fn reset_all(&self) -> Result<(), LimiterError> {
        self.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quota::charge::BucketScope;

    const S: u64 = 1_000_000_000;

    /// A token-bucket request with a burst of one second's worth.
    fn req<'a>(account: &'a str, quota: QuotaId, per_second: u64, cost: u32) -> LimitRequest<'a> {
        let t = S / per_second;
        LimitRequest {
            key: BucketKey::quota(BucketScope::Account { account_id: account, region: "us-east-1" }, quota),
            rate: Rate::TokenBucket(RateParams { emission_interval: t, burst_tolerance: (per_second - 1) * t }),
            cost,
        }
    }

    /// The same request under the one-second window.
    fn win<'a>(account: &'a str, quota: QuotaId, per_second: u64, cost: u32) -> LimitRequest<'a> {
        let rate = WindowParams::for_rate(per_second as f64, 1.0).map(Rate::Window).expect("rate");
        LimitRequest { rate, ..req(account, quota, per_second, cost) }
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
                key: BucketKey::quota(BucketScope::CustomKeyStore { id: "cks-1" }, QuotaId::CUSTOM_KEY_STORE),
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
        let q = BucketLimit::Quota(QuotaId::SYMMETRIC);
        let at = |kind, a, b| Located { hash: 42, shard: 0, kind, a, b };
        let (a1, b2, c3) =
            (at(ScopeKind::Account, "a", "1"), at(ScopeKind::Account, "b", "2"), at(ScopeKind::Account, "c", "3"));
        let tat = |shard: &mut Shard, l: &Located<'_>| match shard.scope(l).map(|s| &*s.bucket(q)) {
            Some(Bucket::Tat(t)) => *t,
            _ => 0,
        };
        let mut shard = Shard::default();
        *shard.bucket(&a1, q) = Bucket::Tat(7);
        *shard.bucket(&b2, q) = Bucket::Tat(9);
        assert_eq!(tat(&mut shard, &a1), 7);
        assert_eq!(tat(&mut shard, &b2), 9);
        assert_eq!(tat(&mut shard, &c3), 0);
        *shard.bucket(&b2, q) = Bucket::Tat(10);
        assert_eq!(tat(&mut shard, &b2), 10);
        assert_eq!(shard.len(), 2);
        // Same strings, another kind of scope: another scope.
        let key = at(ScopeKind::Key, "a", "1");
        assert_eq!(tat(&mut shard, &key), 0);
        *shard.bucket(&key, BucketLimit::HotKey) = Bucket::Tat(1);
        assert_eq!(shard.len(), 3);
        assert_eq!(tat(&mut shard, &a1), 7);
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

    #[test]
    fn window_buckets_admit_n_per_second_all_or_nothing() {
        for shards in [1, 64] {
            let l = InMemoryLimiter::new(shards);
            let wide = win("111111111111", QuotaId::SYMMETRIC, 10, 1);
            let narrow = LimitRequest {
                key: BucketKey::quota(BucketScope::CustomKeyStore { id: "cks-1" }, QuotaId::CUSTOM_KEY_STORE),
                ..win("x", QuotaId::CUSTOM_KEY_STORE, 2, 1)
            };
            assert!(l.check_now(&[wide, narrow], S).allowed);
            assert!(l.check_now(&[wide, narrow], S + 1).allowed);
            let d = l.check_now(&[wide, narrow], S + 2);
            // The first admission (at S) leaves one second after it was made.
            assert_eq!(d, LimitDecision { allowed: false, retry_after: S - 2 }, "shards={shards}");
            // The refused request did not charge the wide bucket.
            assert_eq!((0..20).filter(|_| l.check_now(&[wide], S + 3).allowed).count(), 8, "shards={shards}");
            // One second after the last admissions everything is back.
            assert_eq!((0..20).filter(|_| l.check_now(&[wide], 2 * S + 3).allowed).count(), 10);
        }
    }

    #[test]
    fn hot_key_buckets_are_per_key_and_apart_from_account_quotas() {
        let l = InMemoryLimiter::new(8);
        let rate = WindowParams::for_rate(2.0, 1.0).map(Rate::Window).expect("rate");
        let key = |key_id| LimitRequest {
            key: BucketKey { scope: BucketScope::Key { region: "us-east-1", key_id }, limit: BucketLimit::HotKey },
            rate,
            cost: 1,
        };
        let own = win("111111111111", QuotaId::SYMMETRIC, 100, 1);
        assert!(l.check_now(&[own, key("k-1")], S).allowed);
        assert!(l.check_now(&[own, key("k-1")], S).allowed);
        assert!(!l.check_now(&[own, key("k-1")], S).allowed, "two state changes per second on k-1");
        assert!(l.check_now(&[own, key("k-2")], S).allowed, "another key is not hot");
        assert_eq!((0..200).filter(|_| l.check_now(&[own], S).allowed).count(), 97, "3 charged, 1 refusal not");
    }

    #[test]
    fn a_bucket_named_twice_is_charged_the_sum_under_the_window_too() {
        let l = InMemoryLimiter::new(8);
        let r = win("111111111111", QuotaId::SYMMETRIC, 3, 1);
        assert!(l.check_now(&[r, r], S).allowed);
        assert!(!l.check_now(&[r, r], S).allowed);
        assert!(l.check_now(&[r], S).allowed);
        let other = win("222222222222", QuotaId::SYMMETRIC, 3, 1);
        assert!(l.check_now(&[other, other, other], S).allowed, "three buckets' worth: the generic path");
        assert!(!l.check_now(&[other], S).allowed);
    }

    #[test]
    fn idle_window_scopes_are_purged_and_reset_empties_a_window() {
        let l = InMemoryLimiter::default();
        let r = win("111111111111", QuotaId::SYMMETRIC, 1, 1);
        assert!(l.check_now(&[r], S).allowed);
        assert!(!l.check_now(&[r], S + 1).allowed);
        l.reset_now(&r.key);
        assert!(l.check_now(&[r], S + 1).allowed, "reset forgets what was admitted");
        assert_eq!(l.purge_idle(2 * S), 0, "still busy until 2 s + 1 ns");
        assert_eq!(l.scope_count(), 1);
        assert_eq!(l.purge_idle(2 * S + 1), 1);
        assert_eq!(l.scope_count(), 0);
    }
}
