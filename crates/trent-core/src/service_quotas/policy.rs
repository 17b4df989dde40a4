//! How quota increase requests get decided: the `[service_quotas]` settings.
//!
//! ```toml
//! [service_quotas]
//! approval = "after"        # "instant" (default), "after" or "manual"
//! approval_delay = "30s"    # only with "after": "500ms", "30s", "5m", "1h30m", "2d"
//! ```
//!
//! Kept as plain strings in the config and checked here, so a bad value is
//! refused at startup with a message naming its key and what would be accepted.

use std::time::Duration;

use serde::Deserialize;

/// Longest accepted `approval_delay` (a year): longer is a typo, and the
/// bound keeps the arithmetic on epoch seconds far from overflow.
const MAX_DELAY: Duration = Duration::from_secs(366 * 24 * 3600);

/// The `[service_quotas]` section of the server configuration, as written.
/// Exists so the server's config file can carry the approval policy without
/// the server crate knowing its rules; [`ServiceQuotasConfig::policy`] checks it.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ServiceQuotasConfig {
    /// `"instant"`, `"after"` or `"manual"`; `"instant"` when absent.
    pub approval: Option<String>,
    /// With `approval = "after"`: how long after a request it is approved.
    pub approval_delay: Option<String>,
}

/// Who decides a quota increase request, and when. Exists because AWS
/// decides requests asynchronously (`PENDING` → `CASE_OPENED` → `APPROVED` /
/// `DENIED`) while a local emulator is most convenient when it approves at
/// once; tests of clients that wait for a decision need the former.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ApprovalPolicy {
    /// Approved when requested: answered `APPROVED`, the value applies at once.
    #[default]
    Instant,
    /// Answered `PENDING`; the maintenance pass opens a case, then approves
    /// once this long has passed since the request was made.
    After(Duration),
    /// Answered `PENDING`; the maintenance pass opens a case; only the
    /// operator (`trent quotas approve|deny|close`) decides.
    Manual,
}

/// A `[service_quotas]` value that cannot be used. Every message names the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// `approval` is not one of the three policies.
    #[error("[service_quotas] approval = {0:?} is not an approval policy: use \"instant\", \"after\" or \"manual\"")]
    UnknownApproval(String),
    /// `approval = "after"` without `approval_delay`.
    #[error(
        "[service_quotas] approval_delay is required with approval = \"after\" (a duration such as \"500ms\", \"30s\" or \"5m\")"
    )]
    MissingDelay,
    /// `approval_delay` given for a policy that has no delay.
    #[error("[service_quotas] approval_delay applies only with approval = \"after\", not with approval = {0:?}")]
    DelayWithoutAfter(String),
    /// `approval_delay` does not parse.
    #[error("[service_quotas] approval_delay = {value:?} is not a duration: {reason}")]
    BadDelay {
        /// The value as written.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl ServiceQuotasConfig {
    /// The policy these settings describe, or why they are refused.
    pub fn policy(&self) -> Result<ApprovalPolicy, PolicyError> {
        let approval = self.approval.as_deref().unwrap_or("instant");
        let delay = self.approval_delay.as_deref();
        match approval {
            "after" => {
                let text = delay.ok_or(PolicyError::MissingDelay)?;
                parse_duration(text)
                    .map(ApprovalPolicy::After)
                    .map_err(|reason| PolicyError::BadDelay { value: text.to_owned(), reason })
            }
            "instant" | "manual" if delay.is_some() => Err(PolicyError::DelayWithoutAfter(approval.to_owned())),
            "instant" => Ok(ApprovalPolicy::Instant),
            "manual" => Ok(ApprovalPolicy::Manual),
            other => Err(PolicyError::UnknownApproval(other.to_owned())),
        }
    }
}

impl ApprovalPolicy {
    /// The name used in the config (`instant`, `after`, `manual`), for logs.
    pub fn name(self) -> &'static str {
        match self {
            ApprovalPolicy::Instant => "instant",
            ApprovalPolicy::After(_) => "after",
            ApprovalPolicy::Manual => "manual",
        }
    }
}

/// Parses a duration written as one or more `<integer><unit>` parts, units
/// `ms`, `s`, `m`, `h`, `d`, spaces allowed between parts: `"500ms"`,
/// `"30s"`, `"5m"`, `"1h 30m"`. A hand-written parser rather than the
/// `humantime` crate: these five units are all the config needs, and it keeps
/// the dependency tree (and its audit) unchanged.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err("it is empty (write e.g. \"30s\")".to_owned());
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(format!("expected a whole number at {rest:?} (write e.g. \"500ms\", \"30s\", \"5m\")"));
        }
        let (number, tail) = rest.split_at(digits);
        if tail.starts_with(['.', ',']) {
            return Err("fractions are not accepted: use a smaller unit (e.g. \"1500ms\" for 1.5s)".to_owned());
        }
        let tail = tail.trim_start();
        let unit_len = tail.bytes().take_while(u8::is_ascii_alphabetic).count();
        let (unit, tail) = tail.split_at(unit_len);
        let n: u64 = number.parse().map_err(|_| format!("{number} is too large"))?;
        let part = match unit {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.saturating_mul(60)),
            "h" => Duration::from_secs(n.saturating_mul(3600)),
            "d" => Duration::from_secs(n.saturating_mul(86_400)),
            "" => return Err(format!("{number} has no unit (use ms, s, m, h or d, e.g. \"{number}s\")")),
            other => return Err(format!("unknown unit {other:?} (use ms, s, m, h or d)")),
        };
        total = total.saturating_add(part);
        rest = tail.trim_start();
    }
    if total > MAX_DELAY {
        return Err("longer than a year".to_owned());
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(approval: Option<&str>, delay: Option<&str>) -> ServiceQuotasConfig {
        ServiceQuotasConfig { approval: approval.map(str::to_owned), approval_delay: delay.map(str::to_owned) }
    }

    #[test]
    fn durations_parse_in_every_unit_and_in_combinations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("1d"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration(" 0s "), Ok(Duration::ZERO));
        assert_eq!(parse_duration("30 s"), Ok(Duration::from_secs(30)));
    }

    #[test]
    fn bad_durations_say_what_is_wrong() {
        for (text, needle) in [
            ("", "empty"),
            ("30", "no unit"),
            ("soon", "whole number"),
            ("5 minutes", "unknown unit \"minutes\""),
            ("1.5s", "fractions are not accepted"),
            ("-1s", "whole number"),
            ("400d", "longer than a year"),
            ("99999999999999999999999s", "too large"),
        ] {
            let err = parse_duration(text).expect_err(text);
            assert!(err.contains(needle), "{text:?}: {err}");
        }
    }

    #[test]
    fn policies_come_from_the_two_keys() {
        assert_eq!(config(None, None).policy(), Ok(ApprovalPolicy::Instant));
        assert_eq!(config(Some("instant"), None).policy(), Ok(ApprovalPolicy::Instant));
        assert_eq!(config(Some("manual"), None).policy(), Ok(ApprovalPolicy::Manual));
        assert_eq!(config(Some("after"), Some("30s")).policy(), Ok(ApprovalPolicy::After(Duration::from_secs(30))));
    }

    #[test]
    fn refusals_name_the_key() {
        let err = config(Some("sometimes"), None).policy().expect_err("unknown");
        assert_eq!(err, PolicyError::UnknownApproval("sometimes".into()));
        assert!(err.to_string().contains("[service_quotas] approval = \"sometimes\""), "{err}");

        let err = config(Some("after"), None).policy().expect_err("no delay");
        assert!(err.to_string().contains("approval_delay is required"), "{err}");

        let err = config(Some("after"), Some("soon")).policy().expect_err("bad delay");
        assert!(err.to_string().starts_with("[service_quotas] approval_delay = \"soon\" is not a duration"), "{err}");

        let err = config(Some("manual"), Some("5s")).policy().expect_err("delay without after");
        assert!(err.to_string().contains("approval_delay applies only with approval = \"after\""), "{err}");
        let err = config(None, Some("5s")).policy().expect_err("delay with the default policy");
        assert_eq!(err, PolicyError::DelayWithoutAfter("instant".into()));
    }
}
