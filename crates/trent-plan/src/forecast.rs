//! The forecast: each source's KMS requests, charged to quotas by trent-core's
//! own charging rules (`trent_core::quota::charge::plan`), summed per
//! (account, region, quota) and compared with the limit the quota engine would
//! enforce (profile defaults from the catalog, plus the config's overrides).
//!
//! A quota offered D requests per second against a limit L admits L of them
//! when D > L (the window and the token bucket both converge to that on a
//! steady load), so the expected throttle ratio is `1 − L/D`, and 0 below the
//! limit. Clients that retry add their retries to D; the planner forecasts
//! first attempts, the load lab's `--retry none`.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use trent_core::Caller;
use trent_core::Operation;
use trent_core::key::model::{KeyManager, KeySpec};
use trent_core::quota::admission::{Charge, KeyClass};
use trent_core::quota::charge::{ChargeRules, plan};
use trent_core::quota::{BucketScope, QuotaConfig, QuotaConfigError, QuotaEngine, QuotaId, SystemMonotonicClock};

use crate::s3::S3Traffic;
use crate::workload::{CacheSettings, Place, Source, SourceKind, Workload};

/// Utilization above which a quota is reported as near its limit.
pub const NEAR: f64 = 0.8;

/// Cache max age assumed when suggesting a cache to a source that has none (s).
pub const SUGGESTED_MAX_AGE_SECONDS: f64 = 300.0;

/// One source's share of a quota.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contribution {
    /// The source's name.
    pub source: String,
    /// The KMS operation.
    pub operation: String,
    /// Requests per second.
    pub rate: f64,
}

/// A change that lowers a quota's demand or raises its limit.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "remedy", rename_all = "kebab-case")]
pub enum Remedy {
    /// Turn on S3 Bucket Keys for these S3 sources.
    BucketKeys {
        /// The S3 sources without Bucket Keys drawing on the quota.
        sources: Vec<String>,
        /// The quota's demand afterwards.
        demand_after: f64,
        /// Whether the demand then fits.
        suffices: bool,
    },
    /// Cache data keys in an envelope-encryption source.
    Cache {
        /// The envelope source.
        source: String,
        /// Messages per data key at least.
        max_messages: f64,
        /// Data key age at most (s).
        max_age_seconds: f64,
        /// The quota's demand afterwards.
        demand_after: f64,
        /// Whether the demand then fits (false: no cache setting suffices alone).
        suffices: bool,
    },
    /// Ask Service Quotas for an increase (adjustable quotas only).
    Increase {
        /// The value to ask for (demand rounded up to two significant digits).
        to: f64,
    },
    /// Spread the callers over this many accounts or regions, each with its own quota.
    Spread {
        /// Accounts (or regions with the same limit) needed.
        over: u32,
    },
}

/// One quota's forecast.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuotaForecast {
    /// The paying account.
    pub account: String,
    /// The region.
    pub region: String,
    /// Service Quotas code.
    pub quota_code: &'static str,
    /// Quota name in the profile.
    pub quota_name: &'static str,
    /// Whether Service Quotas can raise it.
    pub adjustable: bool,
    /// Requests per second enforced.
    pub limit: f64,
    /// Requests per second asked for.
    pub demand: f64,
    /// demand / limit.
    pub utilization: f64,
    /// Expected share of requests throttled: `max(0, 1 − limit/demand)`.
    pub throttle_ratio: f64,
    /// Expected throttles per second.
    pub throttled_per_second: f64,
    /// `ok`, `near` (above [`NEAR`] of the limit) or `throttled`.
    pub status: &'static str,
    /// Who asks, largest first.
    pub contributions: Vec<Contribution>,
    /// What would bring a throttled quota under its limit.
    pub remedies: Vec<Remedy>,
}

/// The whole forecast.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forecast {
    /// The quota profile (`current` or `2020`).
    pub profile: &'static str,
    /// Every quota the workload draws on, throttled first.
    pub quotas: Vec<QuotaForecast>,
    /// All requests per second.
    pub total_demand: f64,
    /// Expected throttles per second, all quotas.
    pub total_throttled: f64,
    /// total_throttled / total_demand.
    pub throttle_ratio: f64,
}

/// Why a forecast could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// The quota settings (profile, overrides) are invalid.
    #[error("quota settings: {0}")]
    Quotas(#[from] QuotaConfigError),
}

/// One KMS request stream of a source.
#[derive(Debug, Clone)]
struct Flow {
    source: usize,
    operation: Operation,
    rate: f64,
    key_spec: KeySpec,
    key_pair_spec: Option<trent_core::key::model::DataKeyPairSpec>,
}

/// The KMS requests per second an envelope source makes (GenerateDataKey).
pub fn envelope_calls(messages_per_second: f64, instances: f64, cache: Option<CacheSettings>) -> f64 {
    match cache {
        None => messages_per_second,
        Some(c) => {
            let per_instance = messages_per_second / instances.max(1.0);
            // A data key is replaced after max_messages or max_age, whichever comes first.
            let calls = (per_instance / c.max_messages).max(1.0 / c.max_age_seconds).min(per_instance);
            calls * instances.max(1.0)
        }
    }
}

fn s3_flows(i: usize, t: &S3Traffic) -> Vec<Flow> {
    let c = t.kms_calls();
    [(Operation::GenerateDataKey, c.generate_data_key), (Operation::Decrypt, c.decrypt)]
        .into_iter()
        .filter(|(_, r)| *r > 0.0)
        .map(|(operation, rate)| Flow {
            source: i,
            operation,
            rate,
            key_spec: KeySpec::SymmetricDefault,
            key_pair_spec: None,
        })
        .collect()
}

fn flows(i: usize, s: &Source) -> Vec<Flow> {
    match &s.kind {
        SourceKind::Caller { rates, key_spec, key_pair_spec } => rates
            .iter()
            .filter(|(_, r)| *r > 0.0)
            .map(|(op, rate)| Flow {
                source: i,
                operation: *op,
                rate: *rate,
                key_spec: *key_spec,
                key_pair_spec: *key_pair_spec,
            })
            .collect(),
        SourceKind::S3(t) => s3_flows(i, t),
        SourceKind::Envelope { messages_per_second, instances, cache } => {
            let rate = envelope_calls(*messages_per_second, *instances, *cache);
            if rate > 0.0 {
                vec![Flow {
                    source: i,
                    operation: Operation::GenerateDataKey,
                    rate,
                    key_spec: KeySpec::SymmetricDefault,
                    key_pair_spec: None,
                }]
            } else {
                Vec::new()
            }
        }
    }
}

/// The account quota a flow draws on, by trent-core's charging rules.
fn quota_of(rules: ChargeRules, place: &Place, f: &Flow) -> Option<QuotaId> {
    let caller = Caller::new(&place.account, &place.region);
    // Key operations need a key for the charge (its spec picks the pool); the
    // rest (CreateKey, ListKeys, GenerateRandom…) are charged without one.
    let key = (f.operation.is_shared_crypto() || QuotaId::for_operation(f.operation).is_some_and(|q| q.def().hot_key))
        .then_some(KeyClass {
            spec: f.key_spec,
            manager: KeyManager::Customer,
            custom_key_store_id: None,
            key_id: "planned-key",
        });
    let charge = Charge {
        caller: &caller,
        operation: f.operation,
        key,
        key_pair_spec: f.key_pair_spec,
        custom_key_store_id: None,
    };
    let p = plan(rules, &charge);
    p.as_slice().iter().find_map(|c| match (c.bucket.scope, c.bucket.limit) {
        (BucketScope::Account { .. }, trent_core::quota::BucketLimit::Quota(q)) => Some(q),
        _ => None,
    })
}

/// Rounds up to two significant digits (an increase request a human would make).
pub fn round_up_2sig(x: f64) -> f64 {
    if x <= 0.0 || !x.is_finite() {
        return x.max(0.0);
    }
    let magnitude = 10f64.powf(x.log10().floor() - 1.0).max(1.0);
    (x / magnitude).ceil() * magnitude
}

/// Forecasts `workload` under `quotas` (profile and overrides, as the server's `[quotas]`).
pub fn forecast(workload: &Workload, quotas: &QuotaConfig) -> Result<Forecast, PlanError> {
    let engine = QuotaEngine::new(quotas, Arc::new(SystemMonotonicClock::new()))?;
    let rules = ChargeRules {
        profile: quotas.profile,
        charge_aws_managed_keys: quotas.charge_aws_managed_keys,
        hot_key: false,
    };
    // (place, quota) → flows
    let mut groups: BTreeMap<(Place, QuotaId), Vec<Flow>> = BTreeMap::new();
    for (i, s) in workload.sources.iter().enumerate() {
        for f in flows(i, s) {
            if let Some(q) = quota_of(rules, &s.place, &f) {
                groups.entry((s.place.clone(), q)).or_default().push(f);
            }
        }
    }
    let mut out = Vec::new();
    for ((place, q), fl) in groups {
        let def = q.def();
        let limit = engine.applied_value(&place.account, &place.region, q);
        let demand: f64 = fl.iter().map(|f| f.rate).sum();
        let throttle_ratio = if demand > limit && demand > 0.0 { 1.0 - limit / demand } else { 0.0 };
        let utilization = if limit > 0.0 {
            demand / limit
        } else if demand > 0.0 {
            f64::INFINITY
        } else {
            0.0
        };
        let mut contributions: Vec<Contribution> = fl
            .iter()
            .map(|f| Contribution {
                source: workload.sources[f.source].name.clone(),
                operation: f.operation.name().to_owned(),
                rate: f.rate,
            })
            .collect();
        contributions.sort_by(|a, b| b.rate.total_cmp(&a.rate));
        let remedies =
            if throttle_ratio > 0.0 { remedies(workload, &fl, demand, limit, def.adjustable) } else { Vec::new() };
        out.push(QuotaForecast {
            account: place.account,
            region: place.region,
            quota_code: def.code,
            quota_name: def.name_in(quotas.profile),
            adjustable: def.adjustable,
            limit,
            demand,
            utilization,
            throttle_ratio,
            throttled_per_second: demand * throttle_ratio,
            status: if throttle_ratio > 0.0 {
                "throttled"
            } else if utilization > NEAR {
                "near"
            } else {
                "ok"
            },
            contributions,
            remedies,
        });
    }
    out.sort_by(|a, b| b.throttle_ratio.total_cmp(&a.throttle_ratio).then(b.utilization.total_cmp(&a.utilization)));
    let total_demand: f64 = out.iter().map(|q| q.demand).sum();
    let total_throttled: f64 = out.iter().map(|q| q.throttled_per_second).sum();
    Ok(Forecast {
        profile: quotas.profile.as_str(),
        quotas: out,
        total_demand,
        total_throttled,
        throttle_ratio: if total_demand > 0.0 { total_throttled / total_demand } else { 0.0 },
    })
}

/// What would bring one throttled quota (demand over limit) under.
fn remedies(workload: &Workload, flows: &[Flow], demand: f64, limit: f64, adjustable: bool) -> Vec<Remedy> {
    let mut out = Vec::new();
    let mut rate_of = BTreeMap::<usize, f64>::new();
    for f in flows {
        *rate_of.entry(f.source).or_default() += f.rate;
    }
    // S3 without Bucket Keys: the same traffic with them.
    let mut names = Vec::new();
    let mut after = demand;
    for (&i, &rate) in &rate_of {
        if let SourceKind::S3(t) = &workload.sources[i].kind
            && !t.bucket_key
        {
            names.push(workload.sources[i].name.clone());
            after = after - rate + t.with_bucket_key(true).kms_calls().total();
        }
    }
    if !names.is_empty() {
        out.push(Remedy::BucketKeys { sources: names, demand_after: after, suffices: after <= limit });
    }
    // Envelope encryption: the cache that fits the rest of the limit.
    for (&i, &rate) in &rate_of {
        if let SourceKind::Envelope { messages_per_second, instances, cache } = &workload.sources[i].kind {
            let max_age = cache.map_or(SUGGESTED_MAX_AGE_SECONDS, |c| c.max_age_seconds);
            let budget = limit - (demand - rate);
            let floor = instances.max(1.0) / max_age; // age-driven refreshes alone
            let (max_messages, suffices) = if budget > floor {
                ((messages_per_second / budget).ceil().max(1.0), true)
            } else {
                (messages_per_second.max(1.0).ceil(), false)
            };
            let calls = envelope_calls(
                *messages_per_second,
                *instances,
                Some(CacheSettings { max_messages, max_age_seconds: max_age }),
            );
            out.push(Remedy::Cache {
                source: workload.sources[i].name.clone(),
                max_messages,
                max_age_seconds: max_age,
                demand_after: demand - rate + calls,
                suffices: suffices && demand - rate + calls <= limit,
            });
        }
    }
    if adjustable {
        out.push(Remedy::Increase { to: round_up_2sig(demand) });
    }
    if limit > 0.0 {
        let over = (demand / limit).ceil();
        out.push(Remedy::Spread { over: if over >= f64::from(u32::MAX) { u32::MAX } else { over as u32 } });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use trent_core::quota::Profile;

    fn quotas(profile: Profile) -> QuotaConfig {
        QuotaConfig { profile, ..QuotaConfig::default() }
    }

    #[test]
    fn ten_thousand_uploads_a_second_in_2020_us_east_1() {
        let w = Workload::parse("[[s3]]\nname = \"uploads\"\nput_per_second = 10000\n", "us-east-1").expect("valid");
        let f = forecast(&w, &quotas(Profile::Y2020)).expect("forecast");
        let q = &f.quotas[0];
        assert_eq!((q.quota_code, q.limit, q.demand), ("L-6E3AF000", 30_000.0, 10_000.0));
        assert_eq!(q.status, "ok");
        // Four times as many in a middle-tier region (10,000 in 2020) is over by 3/4.
        let w = Workload::parse("[[s3]]\nname = \"uploads\"\nput_per_second = 40000\n", "eu-west-2").expect("valid");
        let f = forecast(&w, &quotas(Profile::Y2020)).expect("forecast");
        let q = &f.quotas[0];
        assert_eq!(q.limit, 10_000.0);
        assert!((q.throttle_ratio - 0.75).abs() < 1e-12);
        let Remedy::BucketKeys { suffices, demand_after, .. } = &q.remedies[0] else { panic!("{:?}", q.remedies) };
        assert!(*suffices && *demand_after < 1.0);
        assert!(q.remedies.contains(&Remedy::Increase { to: 40_000.0 }));
        assert!(q.remedies.contains(&Remedy::Spread { over: 4 }));
    }

    #[test]
    fn operations_draw_on_the_quota_trent_core_charges() {
        let w = Workload::parse(
            "[[callers]]\nname = \"a\"\nkey_spec = \"RSA_2048\"\nrates = { Sign = 1200, DescribeKey = 3000, CreateKey = 1, GenerateRandom = 5 }\n",
            "us-east-1",
        )
        .expect("valid");
        let f = forecast(&w, &quotas(Profile::Current)).expect("forecast");
        let by_code: BTreeMap<&str, (f64, f64)> =
            f.quotas.iter().map(|q| (q.quota_code, (q.demand, q.limit))).collect();
        assert_eq!(by_code["L-2AC98190"], (1200.0, 1000.0), "Sign with RSA: the RSA pool");
        assert_eq!(by_code["L-6E3AF000"].0, 5.0, "GenerateRandom: the symmetric pool");
        assert_eq!(by_code.len(), 4);
        let rsa = f.quotas.iter().find(|q| q.quota_code == "L-2AC98190").expect("rsa");
        assert!((rsa.throttle_ratio - (1.0 - 1000.0 / 1200.0)).abs() < 1e-12);
        assert!((f.throttle_ratio - 1200.0 / 4206.0).abs() < 1e-12, "RSA 200/s and DescribeKey (2,000/s) 1,000/s over");
    }

    #[test]
    fn overrides_set_the_limit_and_a_cache_that_suffices_is_named() {
        let mut q = quotas(Profile::Current);
        q.overrides.push(trent_core::quota::QuotaOverride {
            account_id: "*".into(),
            region: "*".into(),
            quota_code: "L-6E3AF000".into(),
            value: 100.0,
        });
        let w = Workload::parse(
            "[[envelope]]\nname = \"events\"\nmessages_per_second = 1000\ninstances = 2\n",
            "us-east-1",
        )
        .expect("valid");
        let f = forecast(&w, &q).expect("forecast");
        let qf = &f.quotas[0];
        assert_eq!((qf.limit, qf.demand), (100.0, 1000.0));
        let Some(Remedy::Cache { max_messages, suffices, demand_after, .. }) = qf.remedies.first() else {
            panic!("{:?}", qf.remedies)
        };
        assert!(*suffices && *demand_after <= 100.0, "{demand_after}");
        assert_eq!(*max_messages, 10.0);
    }

    #[test]
    fn rounding_for_increase_requests() {
        assert_eq!(round_up_2sig(10_010.0), 11_000.0);
        assert_eq!(round_up_2sig(12.1), 13.0);
        assert_eq!(round_up_2sig(7.2), 8.0);
    }
}
