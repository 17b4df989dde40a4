//! Request quotas: the catalog of AWS KMS quotas, profiles, the sliding
//! window, GCRA and the limiter.
//!
//! * [`catalog`] — every quota, its code, name and defaults per [`Profile`];
//! * [`charge`] — which buckets a request draws on (pools, per-op, per-spec,
//!   custom key store, hot key);
//! * [`window`] — the default algorithm: no one-second interval admits more
//!   than the quota; pure maths, integer nanoseconds;
//! * [`mod@gcra`] — the token bucket (`algorithm = "token-bucket"`), pure maths too;
//! * [`limiter`] — where bucket state lives ([`Limiter`] trait, [`InMemoryLimiter`]);
//! * [`clock`] — monotonic time, real or hand-driven;
//! * [`config`] — the `[quotas]` config section;
//! * [`usage`] — what each account quota admitted and refused, and by whom (observes only);
//! * [`QuotaEngine`] — the [`crate::quota::admission::Admission`] tying them together.

pub mod admission;
pub mod catalog;
pub mod charge;
pub mod clock;
pub mod config;
mod engine;
mod fxhash;
pub mod gcra;
pub mod limiter;
pub mod resource;
pub mod usage;
mod values;
pub mod window;

pub use catalog::{Profile, QuotaDef, QuotaId, QuotaKind};
pub use charge::{BucketKey, BucketLimit, BucketScope, ScopeKind};
pub use clock::{ManualMonotonicClock, MonotonicClock, SystemMonotonicClock};
pub use config::{Algorithm, QuotaConfig, QuotaConfigError, QuotaOverride};
pub use engine::QuotaEngine;
pub use gcra::{Decision, RateParams, gcra};
pub use limiter::{InMemoryLimiter, LimitDecision, LimitRequest, Limiter, LimiterError, Rate};
pub use usage::{AccountQuota, BucketSnapshot, CallerCounts, UsageMeter};
pub use window::{Verdict, WindowParams, WindowState};

#[cfg(test)]
mod tests;
