//! Resource quotas: how many keys, aliases, grants, custom key stores and
//! on-demand rotations an account may hold (AWS "Resource quotas", listed in
//! `docs/quotas.md`), including the two the 2020
//! documentation listed and AWS dropped in 2021 (aliases per Region, grants
//! for a given principal per key), enforced only in the 2020 profile.
//!
//! Each [`ResourceQuota`] is also an entry of the quota catalog
//! ([`crate::quota::catalog`], kind [`QuotaKind::Resource`]), so the profile
//! default, `[quotas]` overrides and approved Service Quotas increases reach
//! it exactly as they reach request quotas. The operations ask
//! `Kms::resource_limit` for the limit in force and pass it to a capped
//! store write ([`crate::store::KeyStore::insert_key_capped`] and friends),
//! which counts and writes atomically; a refusal becomes
//! [`KmsError::resource_limit_exceeded`].
//!
//! The key policy document size (32 KB) is a fixed limit checked by
//! PutKeyPolicy and CreateKey; it is not a Service Quotas quota and not here.

pub use super::catalog::ResourceQuota;
use super::catalog::{Profile, QuotaId, QuotaKind};
use super::engine::QuotaEngine;
use crate::error::{ErrorKind, KmsError};
use crate::store::StoreError;

impl ResourceQuota {
    /// The catalog entry holding this quota's code, name and defaults.
    pub fn quota_id(self) -> QuotaId {
        QuotaId::for_resource(self)
    }

    /// The Service Quotas quota code.
    pub fn code(self) -> &'static str {
        self.quota_id().def().code
    }

    /// The Service Quotas quota name (AWS still uses the CMK-era names there).
    pub fn name(self) -> &'static str {
        self.quota_id().def().name
    }

    /// The name AWS puts at the start of the LimitExceededException message.
    /// Seen in real errors: "Aliases per key" and "Key"; the others follow
    /// the same pattern (Trent's choice).
    pub fn message_name(self) -> &'static str {
        match self {
            ResourceQuota::Keys => "Key",
            ResourceQuota::AliasesPerKey => "Aliases per key",
            ResourceQuota::GrantsPerKey => "Grants per key",
            ResourceQuota::CustomKeyStores => "Custom key store",
            ResourceQuota::OnDemandRotationsPerKey => "On-demand rotations per key",
            ResourceQuota::AliasesPerRegion => "Aliases per region",
            ResourceQuota::GrantsPerPrincipalPerKey => "Grants per principal per key",
        }
    }

    /// AWS's default in `profile` (the same in every region); `u64::MAX`
    /// (no limit) for a quota the profile does not have.
    pub fn default_in(self, profile: Profile) -> u64 {
        limit_from_value(self.quota_id().def().default_in(profile, ""))
    }

    /// Whether RequestServiceQuotaIncrease may raise it (all but on-demand rotations).
    pub fn adjustable(self) -> bool {
        self.quota_id().def().adjustable
    }

    /// The resource quota with Service Quotas code `code`, if any.
    pub fn from_code(code: &str) -> Option<ResourceQuota> {
        match QuotaId::from_code(code)?.def().kind {
            QuotaKind::Resource(r) => Some(r),
            _ => None,
        }
    }

    /// The LimitExceededException for going over this quota; see
    /// [`KmsError::resource_limit_exceeded`].
    pub fn exceeded(self, limit: u64, usage: u64) -> KmsError {
        KmsError::resource_limit_exceeded(self, limit, usage)
    }

    /// Maps the outcome of a capped store write: `LimitReached` becomes this
    /// quota's LimitExceededException, any other store error stays a store
    /// error for the caller to map (e.g. `AlreadyExists`).
    pub fn check(self, limit: u64, result: Result<(), StoreError>) -> Result<Result<(), StoreError>, KmsError> {
        match result {
            Err(StoreError::LimitReached { usage }) => Err(self.exceeded(limit, usage)),
            other => Ok(other),
        }
    }
}

/// Maps the outcome of a store write with two caps (a new alias counts per key
/// and per region; a new grant per key and per grantee on the key):
/// `LimitReached` is the first quota's LimitExceededException,
/// `SecondLimitReached` the second's, any other store error stays a store
/// error for the caller to map.
pub fn check_two_caps(
    first: (ResourceQuota, u64),
    second: (ResourceQuota, u64),
    result: Result<(), StoreError>,
) -> Result<Result<(), StoreError>, KmsError> {
    match result {
        Err(StoreError::SecondLimitReached { usage }) => Err(second.0.exceeded(second.1, usage)),
        other => first.0.check(first.1, other),
    }
}

impl std::fmt::Display for ResourceQuota {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// A quota value (a finite number ≥ 0, possibly fractional when configured or
/// requested so) as a resource count: rounded down, saturating.
pub fn limit_from_value(value: f64) -> u64 {
    if value.is_nan() || value <= 0.0 {
        0
    } else if value >= u64::MAX as f64 {
        u64::MAX
    } else {
        value.floor() as u64
    }
}

/// Where `Kms` learns the resource limits in force. Exists so the KMS
/// service does not depend on how limits are configured: the server plugs in
/// the [`QuotaEngine`] (profile, overrides, approved increases), bare tests
/// get [`ProfileDefaults`].
pub trait ResourceLimits: Send + Sync + 'static {
    /// The limit of `quota` for `account_id` in `region`, right now.
    fn limit(&self, account_id: &str, region: &str, quota: ResourceQuota) -> u64;
}

/// AWS's defaults of one profile, with no overrides or increases: what a
/// `Kms` built without a quota engine enforces.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProfileDefaults(pub Profile);

impl ResourceLimits for ProfileDefaults {
    fn limit(&self, _account_id: &str, _region: &str, quota: ResourceQuota) -> u64 {
        quota.default_in(self.0)
    }
}

impl ResourceLimits for QuotaEngine {
    /// The value GetServiceQuota reports: profile default, then the most
    /// specific `[quotas]` override, then the highest approved increase.
    /// Enforced whether or not request throttling is `enabled`.
    fn limit(&self, account_id: &str, region: &str, quota: ResourceQuota) -> u64 {
        limit_from_value(self.applied_value(account_id, region, quota.quota_id()))
    }
}

impl KmsError {
    /// AWS's answer to a create that would go over a resource quota:
    /// LimitExceededException, "<name> quota for this account in this region
    /// is <limit>, current usage is <usage>." (the form of AWS's real alias
    /// message "Aliases per key quota for this account in this region is 50,
    /// current usage is 60.").
    pub fn resource_limit_exceeded(quota: ResourceQuota, limit: u64, usage: u64) -> KmsError {
        KmsError::new(
            ErrorKind::LimitExceeded,
            format!(
                "{} quota for this account in this region is {limit}, current usage is {usage}.",
                quota.message_name()
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn codes_names_and_defaults_follow_the_reference() {
        use ResourceQuota::*;
        let rows: Vec<_> = ResourceQuota::ALL
            .iter()
            .map(|&q| (q.code(), q.default_in(Profile::Current), q.default_in(Profile::Y2020), q.adjustable()))
            .collect();
        assert_eq!(
            rows,
            vec![
                ("L-C2F1777E", 100_000, 10_000, true),
                ("L-340F62FB", 50, 50, true),
                ("L-D594A657", 50_000, 50_000, true),
                ("L-F33DCFEB", 10, 10, true),
                ("L-0E66C9C0", 25, 25, false),
                ("T-AliasesPerRegion", u64::MAX, 10_000, true),
                ("T-GrantsPerPrincipalPerKey", u64::MAX, 500, true),
            ]
        );
        for &q in ResourceQuota::ALL {
            assert_eq!(ResourceQuota::from_code(q.code()), Some(q));
            assert_eq!(q.quota_id().def().kind, QuotaKind::Resource(q));
        }
        assert_eq!(ResourceQuota::from_code("L-32B67F4A"), None, "a request quota is not a resource quota");
        assert_eq!(Keys.name(), "Customer Master Keys (CMKs)");
        assert_eq!(AliasesPerKey.name(), "Aliases per CMK");
        assert_eq!(AliasesPerRegion.name(), "Aliases per Region");
        assert_eq!(GrantsPerPrincipalPerKey.name(), "Grants for a given principal per CMK");
    }

    #[test]
    fn quotas_dropped_in_2021_have_no_limit_in_the_current_profile() {
        use crate::quota::{ManualMonotonicClock, QuotaConfig, QuotaOverride};
        let (region, account) = ("us-east-1", "111122223333");
        for q in [ResourceQuota::AliasesPerRegion, ResourceQuota::GrantsPerPrincipalPerKey] {
            assert_eq!(ProfileDefaults(Profile::Current).limit(account, region, q), u64::MAX);
            let current =
                QuotaEngine::new(&QuotaConfig::default(), Arc::new(ManualMonotonicClock::new(0))).expect("engine");
            assert_eq!(current.limit(account, region, q), u64::MAX, "{q}");
            // Even an increase approved under the 2020 profile and reloaded does not limit.
            current.record_increase(account, region, q.quota_id(), 20_000.0);
            assert_eq!(current.limit(account, region, q), u64::MAX, "{q}");

            let lowered = QuotaConfig {
                profile: Profile::Y2020,
                overrides: vec![QuotaOverride {
                    account_id: "*".into(),
                    region: "*".into(),
                    quota_code: q.code().into(),
                    value: 3.0,
                }],
                ..QuotaConfig::default()
            };
            let old = QuotaEngine::new(&lowered, Arc::new(ManualMonotonicClock::new(0))).expect("engine");
            assert_eq!(old.limit(account, region, q), 3, "{q}");
        }
        assert_eq!(ProfileDefaults(Profile::Y2020).limit("1", "r", ResourceQuota::AliasesPerRegion), 10_000);
        assert_eq!(ProfileDefaults(Profile::Y2020).limit("1", "r", ResourceQuota::GrantsPerPrincipalPerKey), 500);
    }

    #[test]
    fn messages_of_the_2020_only_quotas() {
        let e = ResourceQuota::AliasesPerRegion.exceeded(10_000, 10_000);
        assert_eq!(
            e.message.as_deref(),
            Some("Aliases per region quota for this account in this region is 10000, current usage is 10000.")
        );
        let e = ResourceQuota::GrantsPerPrincipalPerKey.exceeded(500, 500);
        assert_eq!(
            e.message.as_deref(),
            Some("Grants per principal per key quota for this account in this region is 500, current usage is 500.")
        );
        assert_eq!(e.kind, ErrorKind::LimitExceeded);
    }

    #[test]
    fn message_has_aws_form() {
        let e = KmsError::resource_limit_exceeded(ResourceQuota::AliasesPerKey, 50, 60);
        assert_eq!(e.kind, ErrorKind::LimitExceeded);
        assert_eq!(
            e.message.as_deref(),
            Some("Aliases per key quota for this account in this region is 50, current usage is 60.")
        );
        let e = ResourceQuota::Keys.exceeded(3, 3);
        assert_eq!(e.message.as_deref(), Some("Key quota for this account in this region is 3, current usage is 3."));
    }

    #[test]
    fn values_become_counts() {
        assert_eq!(limit_from_value(2.9), 2);
        assert_eq!(limit_from_value(0.0), 0);
        assert_eq!(limit_from_value(-1.0), 0);
        assert_eq!(limit_from_value(f64::NAN), 0);
        assert_eq!(limit_from_value(1e30), u64::MAX);
        assert_eq!(limit_from_value(1e10), 10_000_000_000);
    }

    #[test]
    fn check_two_caps_names_the_cap_that_was_hit() {
        let first = (ResourceQuota::AliasesPerKey, 50);
        let second = (ResourceQuota::AliasesPerRegion, 7);
        let e = check_two_caps(first, second, Err(StoreError::LimitReached { usage: 50 })).expect_err("first");
        assert!(e.message.as_deref().is_some_and(|m| m.starts_with("Aliases per key quota")), "{e:?}");
        let e = check_two_caps(first, second, Err(StoreError::SecondLimitReached { usage: 9 })).expect_err("second");
        assert_eq!(
            e.message.as_deref(),
            Some("Aliases per region quota for this account in this region is 7, current usage is 9.")
        );
        assert!(matches!(
            check_two_caps(first, second, Err(StoreError::AlreadyExists)),
            Ok(Err(StoreError::AlreadyExists))
        ));
        assert!(matches!(check_two_caps(first, second, Ok(())), Ok(Ok(()))));
    }

    #[test]
    fn check_maps_only_limit_reached() {
        let q = ResourceQuota::GrantsPerKey;
        let e = q.check(5, Err(StoreError::LimitReached { usage: 5 })).expect_err("limit");
        assert!(e.message.as_deref().is_some_and(|m| m.starts_with("Grants per key quota")));
        assert!(matches!(q.check(5, Err(StoreError::AlreadyExists)), Ok(Err(StoreError::AlreadyExists))));
        assert!(matches!(q.check(5, Ok(())), Ok(Ok(()))));
    }
}
