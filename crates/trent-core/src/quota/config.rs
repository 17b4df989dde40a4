//! The `[quotas]` section of Trent's configuration.
//!
//! Embedded by the server in its TOML config:
//!
//! ```toml
//! [quotas]
//! enabled = true
//! profile = "current"        # or "2020"
//! algorithm = "window"       # or "token-bucket"
//! window_seconds = 1.0       # window: at most quota × this in any such interval
//! burst_seconds = 1.0        # token-bucket: burst of quota × this
//! hot_key_per_second = 5.0   # optional: state changes per key (off unless set)
//! charge_aws_managed_keys = true
//!
//! [[quotas.overrides]]
//! account_id = "111122223333" # or "*" for every account
//! region = "us-east-1"        # or "*" for every region
//! quota_code = "L-6E3AF000"
//! value = 50.0
//! ```

use serde::{Deserialize, Serialize};

use super::catalog::{Profile, QuotaId};

/// How a request quota of N per second is enforced.
///
/// AWS documents "N requests in each one-second interval" and does not
/// publish its algorithm; the two choices differ in what an idle bucket lets
/// through at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Algorithm {
    /// A sliding window: at no instant have more than N been admitted in the
    /// preceding second (`window_seconds`), so a burst from idle gets exactly N
    /// in its first second ([`super::window`]).
    #[default]
    Window,
    /// GCRA, a token bucket whose burst is `burst_seconds` worth of the quota:
    /// from idle up to about 2N pass in the first second (the burst, then the
    /// refill), N per second after ([`mod@super::gcra`]).
    TokenBucket,
}

impl Algorithm {
    /// The spelling used in configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Window => "window",
            Algorithm::TokenBucket => "token-bucket",
        }
    }
}

impl TryFrom<String> for Algorithm {
    type Error = QuotaConfigError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        match s.as_str() {
            "window" => Ok(Algorithm::Window),
            "token-bucket" => Ok(Algorithm::TokenBucket),
            _ => Err(QuotaConfigError::Algorithm(s)),
        }
    }
}

impl From<Algorithm> for String {
    fn from(a: Algorithm) -> String {
        a.as_str().to_owned()
    }
}

/// Request- and resource-quota settings. Every field has a default, so `[quotas]` may be omitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QuotaConfig {
    /// Whether requests are throttled at all (the Service Quotas API works
    /// either way, and resource quotas are enforced either way).
    pub enabled: bool,
    /// Which era of AWS defaults to enforce.
    pub profile: Profile,
    /// How request quotas are enforced (default: the sliding window).
    pub algorithm: Algorithm,
    /// `algorithm = "window"`: the interval a quota is counted over; at most
    /// quota × this (rounded down, at least one request) pass in any such
    /// interval. AWS describes quotas per one-second interval, hence 1.0.
    pub window_seconds: f64,
    /// `algorithm = "token-bucket"`: burst size as seconds' worth of each
    /// quota (at least one request). Default 1.0.
    pub burst_seconds: f64,
    /// State-changing requests (EnableKey, DisableKey, PutKeyPolicy, …) per
    /// second on any one key, whoever makes them, on top of the per-operation
    /// quotas. AWS throttles such "hot keys" without publishing a number, so
    /// this is off unless set.
    pub hot_key_per_second: Option<f64>,
    /// Whether requests on AWS managed keys count, as AWS documents (true).
    pub charge_aws_managed_keys: bool,
    /// Per-account, per-region replacements for profile defaults.
    pub overrides: Vec<QuotaOverride>,
}

impl Default for QuotaConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            profile: Profile::Current,
            algorithm: Algorithm::Window,
            window_seconds: 1.0,
            burst_seconds: 1.0,
            hot_key_per_second: None,
            charge_aws_managed_keys: true,
            overrides: Vec::new(),
        }
    }
}

/// One configured quota value, replacing the profile default (approved
/// Service Quotas increases above it still apply).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaOverride {
    /// The calling account, or `"*"` for every account.
    pub account_id: String,
    /// The region, or `"*"` for every region.
    pub region: String,
    /// The quota code (`L-…` or Trent's `T-…`).
    pub quota_code: String,
    /// Requests per second for a request quota (may be fractional; 0 refuses
    /// every request); a count for a resource quota such as `L-C2F1777E`
    /// (rounded down; 0 refuses every create).
    pub value: f64,
}

/// Why a `[quotas]` section was rejected at startup.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QuotaConfigError {
    /// `algorithm` is neither `window` nor `token-bucket`.
    #[error("quotas.algorithm must be \"window\" or \"token-bucket\", got {0:?}")]
    Algorithm(String),
    /// `window_seconds` is not a finite number above zero.
    #[error("quotas.window_seconds must be a finite number greater than 0, got {0}")]
    WindowSeconds(f64),
    /// `hot_key_per_second` is set but not a finite number above zero.
    #[error(
        "quotas.hot_key_per_second must be a finite number greater than 0 (leave it out to switch hot-key limits off), got {0}"
    )]
    HotKeyPerSecond(f64),
    /// `burst_seconds` is not a finite number above zero.
    #[error("quotas.burst_seconds must be a finite number greater than 0, got {0}")]
    BurstSeconds(f64),
    /// An override names a quota code the catalog does not have.
    #[error("quotas.overrides: unknown quota_code {0:?}")]
    UnknownQuotaCode(String),
    /// An override names the custom key store pool, which is per store, not per account.
    #[error("quotas.overrides: {0} is per custom key store and cannot be overridden per account")]
    NotOverridable(String),
    /// An override value is negative or not a number.
    #[error("quotas.overrides: value for {code} must be a finite number >= 0, got {value}")]
    Value {
        /// The quota code.
        code: String,
        /// The rejected value.
        value: f64,
    },
    /// An override has an empty account_id or region.
    #[error("quotas.overrides: account_id and region must not be empty (use \"*\" for any)")]
    EmptyScope,
    /// An override names a quota the configured profile does not have (the
    /// ones AWS dropped in 2021 exist only in the 2020 profile).
    #[error("quotas.overrides: {code} exists only in profile \"2020\" (AWS dropped it in 2021), not in {profile:?}")]
    NotInProfile {
        /// The quota code.
        code: String,
        /// The configured profile's name.
        profile: &'static str,
    },
}

impl QuotaConfig {
    /// Checks every field; the engine refuses to start on an invalid config.
    pub fn validate(&self) -> Result<(), QuotaConfigError> {
        let positive = |v: f64| v.is_finite() && v > 0.0;
        if !positive(self.window_seconds) {
            return Err(QuotaConfigError::WindowSeconds(self.window_seconds));
        }
        if !positive(self.burst_seconds) {
            return Err(QuotaConfigError::BurstSeconds(self.burst_seconds));
        }
        if let Some(v) = self.hot_key_per_second
            && !positive(v)
        {
            return Err(QuotaConfigError::HotKeyPerSecond(v));
        }
        for o in &self.overrides {
            if !o.resolve()?.def().exists_in(self.profile) {
                return Err(QuotaConfigError::NotInProfile {
                    code: o.quota_code.clone(),
                    profile: self.profile.as_str(),
                });
            }
        }
        Ok(())
    }
}

impl QuotaOverride {
    /// The catalog quota this override names, after validation.
    pub fn resolve(&self) -> Result<QuotaId, QuotaConfigError> {
        let id = QuotaId::from_code(&self.quota_code)
            .ok_or_else(|| QuotaConfigError::UnknownQuotaCode(self.quota_code.clone()))?;
        if id == QuotaId::CUSTOM_KEY_STORE {
            return Err(QuotaConfigError::NotOverridable(self.quota_code.clone()));
        }
        if !(self.value.is_finite() && self.value >= 0.0) {
            return Err(QuotaConfigError::Value { code: self.quota_code.clone(), value: self.value });
        }
        if self.account_id.is_empty() || self.region.is_empty() {
            return Err(QuotaConfigError::EmptyScope);
        }
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_section_means_defaults() {
        let c: QuotaConfig = serde_json::from_str("{}").expect("parse");
        assert_eq!(c, QuotaConfig::default());
        assert!(c.enabled);
        assert_eq!(c.profile, Profile::Current);
        assert_eq!(c.burst_seconds, 1.0);
        assert_eq!(c.algorithm, Algorithm::Window, "the one-second window is the default");
        assert_eq!(c.window_seconds, 1.0);
        assert_eq!(c.hot_key_per_second, None, "hot-key limits are off unless set");
        assert!(c.validate().is_ok());
    }

    #[test]
    fn parses_the_algorithm_and_refuses_unknown_ones_naming_the_key() {
        let c: QuotaConfig =
            serde_json::from_str(r#"{"algorithm":"token-bucket","burst_seconds":2.0,"hot_key_per_second":5}"#)
                .expect("parse");
        assert_eq!(c.algorithm, Algorithm::TokenBucket);
        assert_eq!(c.hot_key_per_second, Some(5.0));
        assert!(c.validate().is_ok());
        let c: QuotaConfig = serde_json::from_str(r#"{"algorithm":"window","window_seconds":0.5}"#).expect("parse");
        assert_eq!((c.algorithm, c.window_seconds), (Algorithm::Window, 0.5));
        let err = serde_json::from_str::<QuotaConfig>(r#"{"algorithm":"fixed"}"#).expect_err("unknown");
        assert!(
            err.to_string().contains(r#"quotas.algorithm must be "window" or "token-bucket", got "fixed""#),
            "{err}"
        );
        assert_eq!(serde_json::to_value(Algorithm::TokenBucket).expect("ser"), "token-bucket");
    }

    #[test]
    fn zero_negative_or_infinite_windows_bursts_and_hot_key_rates_are_refused_naming_the_key() {
        let with = |f: fn(&mut QuotaConfig)| {
            let mut c = QuotaConfig::default();
            f(&mut c);
            c.validate().expect_err("invalid").to_string()
        };
        for (msg, key) in [
            (with(|c| c.window_seconds = 0.0), "quotas.window_seconds"),
            (with(|c| c.window_seconds = -1.0), "quotas.window_seconds"),
            (with(|c| c.window_seconds = f64::INFINITY), "quotas.window_seconds"),
            (with(|c| c.burst_seconds = -0.5), "quotas.burst_seconds"),
            (with(|c| c.hot_key_per_second = Some(0.0)), "quotas.hot_key_per_second"),
            (with(|c| c.hot_key_per_second = Some(-5.0)), "quotas.hot_key_per_second"),
            (with(|c| c.hot_key_per_second = Some(f64::NAN)), "quotas.hot_key_per_second"),
        ] {
            assert!(msg.starts_with(key), "{msg}");
        }
    }

    #[test]
    fn parses_profile_and_overrides() {
        let c: QuotaConfig = serde_json::from_str(
            r#"{"profile":"2020","burst_seconds":2.5,"enabled":false,
                "overrides":[{"account_id":"111122223333","region":"*","quota_code":"L-6E3AF000","value":50}]}"#,
        )
        .expect("parse");
        assert_eq!(c.profile, Profile::Y2020);
        assert!(!c.enabled);
        assert_eq!(c.overrides[0].value, 50.0);
        assert!(c.validate().is_ok());
    }

    #[test]
    fn rejects_unknown_fields_and_bad_values() {
        assert!(serde_json::from_str::<QuotaConfig>(r#"{"profiel":"2020"}"#).is_err());
        assert!(serde_json::from_str::<QuotaConfig>(r#"{"profile":"2019"}"#).is_err());
        assert!(
            serde_json::from_str::<QuotaConfig>(
                r#"{"overrides":[{"account_id":"1","region":"r","quota_code":"L-6E3AF000","value":1,"x":1}]}"#
            )
            .is_err()
        );
        let bad = |o: QuotaOverride| QuotaConfig { overrides: vec![o], ..QuotaConfig::default() }.validate();
        let o = QuotaOverride {
            account_id: "111122223333".into(),
            region: "us-east-1".into(),
            quota_code: "L-6E3AF000".into(),
            value: 1.0,
        };
        assert!(bad(o.clone()).is_ok());
        assert_eq!(
            bad(QuotaOverride { quota_code: "L-NOPE".into(), ..o.clone() }),
            Err(QuotaConfigError::UnknownQuotaCode("L-NOPE".into()))
        );
        assert!(matches!(bad(QuotaOverride { value: -1.0, ..o.clone() }), Err(QuotaConfigError::Value { .. })));
        assert!(matches!(bad(QuotaOverride { value: f64::NAN, ..o.clone() }), Err(QuotaConfigError::Value { .. })));
        assert_eq!(bad(QuotaOverride { region: String::new(), ..o.clone() }), Err(QuotaConfigError::EmptyScope));
        assert!(matches!(
            bad(QuotaOverride { quota_code: "T-CustomKeyStore".into(), ..o }),
            Err(QuotaConfigError::NotOverridable(_))
        ));
        let c = QuotaConfig { burst_seconds: 0.0, ..QuotaConfig::default() };
        assert_eq!(c.validate(), Err(QuotaConfigError::BurstSeconds(0.0)));
    }

    #[test]
    fn quotas_dropped_in_2021_are_overridable_only_in_the_2020_profile() {
        for code in ["T-AliasesPerRegion", "T-GrantsPerPrincipalPerKey"] {
            let o = QuotaOverride { account_id: "*".into(), region: "*".into(), quota_code: code.into(), value: 2.0 };
            let old = QuotaConfig { profile: Profile::Y2020, overrides: vec![o.clone()], ..QuotaConfig::default() };
            assert_eq!(old.validate(), Ok(()), "{code}");
            let now = QuotaConfig { overrides: vec![o], ..QuotaConfig::default() };
            let err = now.validate().expect_err(code);
            assert_eq!(err, QuotaConfigError::NotInProfile { code: code.into(), profile: "current" });
            assert_eq!(
                err.to_string(),
                format!(
                    "quotas.overrides: {code} exists only in profile \"2020\" (AWS dropped it in 2021), not in \"current\""
                )
            );
        }
    }
}
