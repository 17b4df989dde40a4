//! Request quotas: the catalog of AWS KMS quotas, profiles, GCRA and the limiter.
//!
//! * [`catalog`] — every quota, its code, name and defaults per [`Profile`];
//! * [`charge`] — which buckets a request draws on (pools, per-op, per-spec, custom key store);
//! * [`mod@gcra`] — the pure rate-limiting maths, integer nanoseconds;
//! * [`limiter`] — where bucket state lives ([`Limiter`] trait, [`InMemoryLimiter`]);
//! * [`clock`] — monotonic time, real or hand-driven;
//! * [`config`] — the `[quotas]` config section;
//! * [`QuotaEngine`] — the [`crate::admission::Admission`] tying them together.

pub mod catalog;
pub mod charge;
pub mod clock;
pub mod config;
mod engine;
mod fxhash;
pub mod gcra;
pub mod limiter;
mod values;
pub mod window;

pub use catalog::{Profile, QuotaDef, QuotaId, QuotaKind};
pub use charge::{BucketKey, BucketScope};
pub use clock::{ManualMonotonicClock, MonotonicClock, SystemMonotonicClock};
pub use config::{QuotaConfig, QuotaConfigError, QuotaOverride};
pub use engine::QuotaEngine;
pub use gcra::{Decision, RateParams, gcra};
pub use limiter::{InMemoryLimiter, LimitDecision, LimitRequest, Limiter, LimiterError};

#[cfg(test)]
mod tests;
