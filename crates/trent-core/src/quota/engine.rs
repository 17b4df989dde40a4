//! [`QuotaEngine`]: the [`Admission`] every KMS operation calls once.
//!
//! It joins the pieces: the charging rules say which buckets a request draws
//! on, [`QuotaValues`] says at what rate, the configured algorithm turns the
//! rate into [`Rate`] parameters (a [`WindowParams`] window by default,
//! [`RateParams`] for the token bucket), and the limiter decides atomically
//! across the buckets.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::quota::admission::{Admission, Charge};

use super::catalog::{Profile, QuotaId};
use super::charge::{self, BucketKey, BucketLimit, BucketScope, ChargeRules, MAX_CHARGES};
use super::clock::MonotonicClock;
use super::config::{Algorithm, QuotaConfig, QuotaConfigError};
use super::gcra::RateParams;
use super::limiter::{InMemoryLimiter, LimitRequest, Limiter, LimiterError, Rate};
use super::usage::{AccountQuota, BucketSnapshot, UsageMeter};
use super::values::QuotaValues;
use super::window::WindowParams;

enum Backend {
    /// In-process state, called synchronously (no boxed future per request).
    Local(InMemoryLimiter),
    /// Any other limiter, e.g. one shared through Redis.
    Shared(Arc<dyn Limiter>),
}

/// Enforces AWS KMS request quotas and holds the values the Service Quotas
/// API reports and raises (request and resource quotas; the resource limits
/// reach [`crate::Kms`] through [`crate::quota::resource::ResourceLimits`]).
///
/// Build it once from the `[quotas]` config and share it (`Arc`) between the
/// KMS operations (as `Arc<dyn Admission>`) and
/// [`crate::service_quotas::ServiceQuotas`].
pub struct QuotaEngine {
    enabled: bool,
    rules: ChargeRules,
    algorithm: Algorithm,
    window_seconds: f64,
    burst_seconds: f64,
    hot_key_per_second: f64,
    values: QuotaValues,
    limiter: Backend,
    clock: Arc<dyn MonotonicClock>,
    /// When a limiter fault was last logged (monotonic ns, 0: never).
    fault_logged: AtomicU64,
    /// What each account quota admitted and refused (observes, never decides).
    usage: UsageMeter,
}

impl std::fmt::Debug for QuotaEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QuotaEngine")
            .field("enabled", &self.enabled)
            .field("profile", &self.rules.profile)
            .field("algorithm", &self.algorithm)
            .field("window_seconds", &self.window_seconds)
            .field("burst_seconds", &self.burst_seconds)
            .field("hot_key_per_second", &self.hot_key_per_second)
            .finish_non_exhaustive()
    }
}

impl QuotaEngine {
    /// An engine with the single-process in-memory limiter.
    pub fn new(config: &QuotaConfig, clock: Arc<dyn MonotonicClock>) -> Result<Self, QuotaConfigError> {
        Self::build(config, clock, Backend::Local(InMemoryLimiter::default()))
    }

    /// An engine deciding through `limiter` (e.g. one shared by several processes).
    pub fn with_limiter(
        config: &QuotaConfig,
        clock: Arc<dyn MonotonicClock>,
        limiter: Arc<dyn Limiter>,
    ) -> Result<Self, QuotaConfigError> {
        Self::build(config, clock, Backend::Shared(limiter))
    }

    fn build(config: &QuotaConfig, clock: Arc<dyn MonotonicClock>, limiter: Backend) -> Result<Self, QuotaConfigError> {
        Ok(Self {
            enabled: config.enabled,
            rules: ChargeRules {
                profile: config.profile,
                charge_aws_managed_keys: config.charge_aws_managed_keys,
                hot_key: config.hot_key_per_second.is_some(),
            },
            algorithm: config.algorithm,
            window_seconds: config.window_seconds,
            burst_seconds: config.burst_seconds,
            hot_key_per_second: config.hot_key_per_second.unwrap_or(0.0),
            // Validates the whole config.
            values: QuotaValues::new(config)?,
            limiter,
            clock,
            fault_logged: AtomicU64::new(0),
            usage: UsageMeter::default(),
        })
    }

    /// Whether requests are throttled at all.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The profile whose defaults apply.
    pub fn profile(&self) -> Profile {
        self.values.profile()
    }

    /// AWS's default value of `quota` in `region` (GetAWSDefaultServiceQuota).
    pub fn default_value(&self, region: &str, quota: QuotaId) -> f64 {
        self.values.default_value(region, quota)
    }

    /// The value enforced for `account` in `region` (GetServiceQuota).
    pub fn applied_value(&self, account_id: &str, region: &str, quota: QuotaId) -> f64 {
        self.values.applied(account_id, region, quota)
    }

    /// Records an approved increase (e.g. reloaded at startup). Never lowers a value.
    pub fn record_increase(&self, account_id: &str, region: &str, quota: QuotaId, value: f64) {
        self.values.record_increase(account_id, region, quota, value);
    }

    /// Applies an approved increase at once: records it and empties the
    /// bucket, so the very next request sees the new value rather than
    /// waiting for what the old value admitted to leave the window.
    pub async fn apply_increase(&self, account_id: &str, region: &str, quota: QuotaId, value: f64) {
        self.values.record_increase(account_id, region, quota, value);
        if quota.def().is_resource() {
            // A count, read at the next create: there is no bucket to refill.
            return;
        }
        let key = BucketKey::quota(BucketScope::Account { account_id, region }, quota);
        match &self.limiter {
            Backend::Local(l) => l.reset_now(&key),
            Backend::Shared(l) => {
                if let Err(e) = l.reset(&key).await {
                    tracing::warn!(error = %e, bucket = %key, "could not reset bucket after quota increase");
                }
            }
        }
    }

    /// Forgets every approved increase and every bucket (`POST
    /// /_trent/reset`): every quota is at its configured value and full.
    pub async fn reset_all(&self) -> Result<(), LimiterError> {
        self.values.clear_increases();
        match &self.limiter {
            Backend::Local(l) => {
                l.clear();
                Ok(())
            }
            Backend::Shared(l) => l.reset_all().await,
        }
    }

    /// Forgets idle in-memory buckets (see [`InMemoryLimiter::purge_idle`]);
    /// returns how many scopes were dropped. A no-op for shared limiters.
    pub fn purge_idle(&self) -> usize {
        match &self.limiter {
            Backend::Local(l) => l.purge_idle(self.clock.now_nanos()),
            Backend::Shared(_) => 0,
        }
    }

    /// The per-bucket usage meter (metrics and the dashboard read it; it can
    /// be switched off to measure what it costs).
    pub fn usage(&self) -> &UsageMeter {
        &self.usage
    }

    /// Every metered bucket with the limit in force now, in requests per second.
    pub fn usage_snapshot(&self) -> Vec<BucketSnapshot> {
        let mut snap = self.usage.snapshot(self.clock.now_nanos());
        for b in &mut snap {
            b.limit = if b.quota == QuotaId::CUSTOM_KEY_STORE {
                // Per store, as enforced (see `per_second`).
                self.values.default_value("", b.quota)
            } else {
                self.values.applied(&b.account_id, &b.region, b.quota)
            };
        }
        snap
    }

    /// Meters one decision on the request's account bucket (always the
    /// plan's first entry when there is one) and, for a key in a custom key
    /// store, on the store's pool, under the caller's account and region
    /// (the pool is the store's, shared by every account using it). A
    /// refusal is put on the account quota when it is the only bucket or its
    /// last second is full, else on the store's pool when there is one; a
    /// refusal by the hot-key limit alone is put on neither.
    fn meter(&self, charge: &Charge<'_>, requests: &[LimitRequest<'_>], allowed: bool, now: u64) {
        if !self.usage.enabled() {
            return;
        }
        let Some(first) = requests.first() else { return };
        let (BucketScope::Account { account_id, region }, BucketLimit::Quota(q)) = (first.key.scope, first.key.limit)
        else {
            return;
        };
        let caller = charge.caller.principal_arn.as_str();
        let store = requests.iter().skip(1).find(|r| matches!(r.key.scope, BucketScope::CustomKeyStore { .. }));
        let bucket = |quota| AccountQuota { account_id, region, quota };
        if allowed {
            self.usage.record(bucket(q), caller, true, first.cost, now);
            if let Some(s) = store {
                self.usage.record(bucket(QuotaId::CUSTOM_KEY_STORE), caller, true, s.cost, now);
            }
            return;
        }
        let full = || {
            let used = self.usage.last_second(account_id, region, q, now) as f64;
            used + f64::from(first.cost) > self.values.applied(account_id, region, q)
        };
        if requests.len() == 1 || full() {
            self.usage.record(bucket(q), caller, false, first.cost, now);
        } else if let Some(s) = store {
            self.usage.record(bucket(QuotaId::CUSTOM_KEY_STORE), caller, false, s.cost, now);
        }
    }

    /// The algorithm enforcing request quotas.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Requests per second applying to one bucket right now.
    fn per_second(&self, key: &BucketKey<'_>) -> f64 {
        match (key.limit, key.scope) {
            (BucketLimit::HotKey, _) => self.hot_key_per_second,
            (BucketLimit::Quota(q), BucketScope::Account { account_id, region }) => {
                self.values.applied(account_id, region, q)
            }
            // Per store, not adjustable: the catalog value (no region dependence).
            (BucketLimit::Quota(q), BucketScope::CustomKeyStore { .. } | BucketScope::Key { .. }) => {
                self.values.default_value("", q)
            }
        }
    }

    /// The limiter parameters for `per_second` under the configured
    /// algorithm; `None` when nothing may pass (a quota of 0).
    fn rate(&self, per_second: f64, cost: u32) -> Option<Rate> {
        match self.algorithm {
            Algorithm::Window => WindowParams::for_rate(per_second, self.window_seconds).map(Rate::Window),
            Algorithm::TokenBucket => RateParams::for_rate(per_second, self.burst_seconds, cost).map(Rate::TokenBucket),
        }
    }

    /// The AWS error for a request the shared limiter could not decide: a
    /// deadline missed is `DependencyTimeoutException` (retryable, as AWS says
    /// of it), any other failure `KMSInternalException`. The detail is logged
    /// at most once a second: an outage fails every request, and a log line
    /// each would bury everything else.
    fn limiter_fault(&self, e: LimiterError, now: u64) -> KmsError {
        let last = self.fault_logged.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= 1_000_000_000 || last == 0 {
            self.fault_logged.store(now.max(1), Ordering::Relaxed);
            tracing::error!(error = %e, "quota limiter unavailable; refusing requests (fail closed)");
        }
        match e {
            LimiterError::Timeout(_) => KmsError::dependency_timeout(),
            LimiterError::Backend(_) => {
                KmsError::new(ErrorKind::KmsInternal, "An internal error occurred. Try the request again.")
            }
        }
    }

    /// Decides one request; `Err` is the ThrottlingException to send.
    async fn decide(&self, charge: &Charge<'_>) -> KmsResult<()> {
        let plan = charge::plan(self.rules, charge);
        if plan.is_empty() {
            return Ok(());
        }
        let mut buf = [empty_request(); MAX_CHARGES];
        for (slot, c) in buf.iter_mut().zip(plan.as_slice()) {
            let Some(rate) = self.rate(self.per_second(&c.bucket), c.cost) else {
                // A quota of 0 admits nothing.
                let only = [LimitRequest { key: c.bucket, rate: empty_request().rate, cost: c.cost }];
                self.meter(charge, &only, false, self.clock.now_nanos());
                return Err(KmsError::throttled());
            };
            *slot = LimitRequest { key: c.bucket, rate, cost: c.cost };
        }
        let requests = &buf[..plan.as_slice().len()];
        let now = self.clock.now_nanos();
        let decision = match &self.limiter {
            Backend::Local(l) => l.check_now(requests, now),
            // Fail closed: a request the shared limiter could not count is
            // refused, so N nodes never admit more than the quota between
            // them (docs/multi-node.md weighs fail open and local fallback).
            Backend::Shared(l) => l.check(requests, now).await.map_err(|e| self.limiter_fault(e, now))?,
        };
        self.meter(charge, requests, decision.allowed, now);
        if decision.allowed {
            Ok(())
        } else {
            tracing::debug!(
                operation = charge.operation.name(),
                account = %charge.caller.account_id,
                region = %charge.caller.region,
                retry_after_ns = decision.retry_after,
                "throttled"
            );
            Err(KmsError::throttled())
        }
    }
}

fn empty_request() -> LimitRequest<'static> {
    LimitRequest {
        key: BucketKey::quota(BucketScope::CustomKeyStore { id: "" }, QuotaId::CUSTOM_KEY_STORE),
        rate: Rate::Window(WindowParams { window: 1_000_000_000, capacity: 1 }),
        cost: 0,
    }
}

#[async_trait::async_trait]
impl Admission for QuotaEngine {
    async fn admit(&self, charge: &Charge<'_>) -> KmsResult<()> {
        if !self.enabled {
            return Ok(());
        }
        self.decide(charge).await
    }
}
