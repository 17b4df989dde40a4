//! [`QuotaEngine`]: the [`Admission`] every KMS operation calls once.
//!
//! It joins the pieces: the charging rules say which buckets a request draws
//! on, [`QuotaValues`] says at what rate, [`RateParams`] turns the rate into
//! GCRA parameters, and the limiter decides atomically across the buckets.

use std::sync::Arc;

use crate::error::{KmsError, KmsResult};
use crate::quota::admission::{Admission, Charge};

use super::catalog::{Profile, QuotaId};
use super::charge::{self, BucketKey, BucketScope, ChargeRules, MAX_CHARGES};
use super::clock::MonotonicClock;
use super::config::{QuotaConfig, QuotaConfigError};
use super::gcra::RateParams;
use super::limiter::{InMemoryLimiter, LimitDecision, LimitRequest, Limiter};
use super::values::QuotaValues;

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
    burst_seconds: f64,
    values: QuotaValues,
    limiter: Backend,
    clock: Arc<dyn MonotonicClock>,
}

impl std::fmt::Debug for QuotaEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QuotaEngine")
            .field("enabled", &self.enabled)
            .field("profile", &self.rules.profile)
            .field("burst_seconds", &self.burst_seconds)
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
            rules: ChargeRules { profile: config.profile, charge_aws_managed_keys: config.charge_aws_managed_keys },
            burst_seconds: config.burst_seconds,
            values: QuotaValues::new(config)?,
            limiter,
            clock,
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

    /// Applies an approved increase at once: records it and refills the
    /// bucket, so the very next request sees the new value rather than
    /// waiting out the backlog accrued at the old rate.
    pub async fn apply_increase(&self, account_id: &str, region: &str, quota: QuotaId, value: f64) {
        self.values.record_increase(account_id, region, quota, value);
        if quota.def().is_resource() {
            // A count, read at the next create: there is no bucket to refill.
            return;
        }
        let key = BucketKey { scope: BucketScope::Account { account_id, region }, quota };
        match &self.limiter {
            Backend::Local(l) => l.reset_now(&key),
            Backend::Shared(l) => {
                if let Err(e) = l.reset(&key).await {
                    tracing::warn!(error = %e, bucket = %key, "could not reset bucket after quota increase");
                }
            }
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

    /// The rate applying to one bucket right now.
    fn rate_of(&self, scope: &BucketScope<'_>, quota: QuotaId) -> f64 {
        match *scope {
            BucketScope::Account { account_id, region } => self.values.applied(account_id, region, quota),
            // Per store, not adjustable: the catalog value (no region dependence).
            BucketScope::CustomKeyStore { .. } => self.values.default_value("", quota),
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
            let rate = self.rate_of(&c.bucket.scope, c.bucket.quota);
            let Some(p) = RateParams::for_rate(rate, self.burst_seconds, c.cost) else {
                // A quota of 0 admits nothing.
                return Err(KmsError::throttled());
            };
            *slot = LimitRequest {
                key: c.bucket,
                emission_interval: p.emission_interval,
                burst_tolerance: p.burst_tolerance,
                cost: c.cost,
            };
        }
        let requests = &buf[..plan.as_slice().len()];
        let now = self.clock.now_nanos();
        let decision = match &self.limiter {
            Backend::Local(l) => l.check_now(requests, now),
            Backend::Shared(l) => match l.check(requests, now).await {
                Ok(d) => d,
                Err(e) => {
                    // Fail open: a limiter outage must not take KMS down with it.
                    tracing::warn!(error = %e, "quota limiter unavailable; admitting request");
                    LimitDecision::ALLOW
                }
            },
        };
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
        key: BucketKey { scope: BucketScope::CustomKeyStore { id: "" }, quota: QuotaId::CUSTOM_KEY_STORE },
        emission_interval: 1,
        burst_tolerance: 0,
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
