//! `trent plan`: will this workload be throttled, and what fixes it? Reads a
//! workload (callers with operation rates, S3 object traffic on SSE-KMS
//! buckets, envelope encryption with or without a data key cache, across
//! accounts and regions), charges every KMS request it implies to a quota with
//! trent-core's own rules and catalog, and forecasts each quota's demand, its
//! expected throttle ratio, and the remedies that bring it under. Pure and
//! deterministic: no server, no clock, no randomness. See docs/planning.md.
//!
//! [`s3`] is the one model of the KMS calls S3 makes for SSE-KMS; the load
//! lab's `--scenario s3-sse-kms` uses it too.

pub mod forecast;
pub mod regions;
pub mod render;
pub mod s3;
pub mod workload;

pub use forecast::{Forecast, PlanError, QuotaForecast, Remedy, forecast};
pub use s3::{KmsCalls, S3Traffic};
pub use workload::{Workload, WorkloadError};
