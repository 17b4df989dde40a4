//! One fault rule: which requests it matches, when and how often it acts, and
//! what it injects. The same shape in the config (`[[faults]]`, TOML) and on
//! the admin route (`POST /_trent/faults`, JSON); unknown fields are refused by
//! serde with their name, bad values by [`FaultRule::validate`] with theirs.

use serde::{Deserialize, Serialize};
use trent_core::{ErrorKind, Operation};

/// The AWS errors a rule can inject, by their `__type`.
pub const INJECTABLE_ERRORS: [(&str, ErrorKind); 5] = [
    ("KMSInternalException", ErrorKind::KmsInternal),
    ("DependencyTimeoutException", ErrorKind::DependencyTimeout),
    ("KeyUnavailableException", ErrorKind::KeyUnavailable),
    ("ThrottlingException", ErrorKind::Throttling),
    ("KMSInvalidStateException", ErrorKind::KmsInvalidState),
];

/// A fault to inject into matching KMS requests.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// Label in metrics and logs [default: the action, e.g. `KMSInternalException`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Operations matched (KMS API names); empty: every operation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<String>,
    /// The request's `KeyId` (id, ARN or alias as sent; a key id also matches an ARN ending in it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// The calling account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The region signed for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The caller: principal ARN or access key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller: Option<String>,
    /// Act on a match with this probability (0–1) [default: 1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// Act only on every n-th match (n ≥ 1), before the probability is drawn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<u64>,
    /// Seed of the probability draws, for repeatable runs [default: random].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Start acting this long after the rule is installed (s) [default: 0].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_seconds: Option<f64>,
    /// Stop acting this long after it started (s) [default: never].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_seconds: Option<f64>,
    /// Delay the answer by this many milliseconds (alone, or before an error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// Answer with this AWS error (see [`INJECTABLE_ERRORS`]) instead of running the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The error's message [default: AWS's wording for that error].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Answer as AWS does for a key whose custom key store is disconnected:
    /// KMSInvalidStateException, "KEY_ARN is unavailable.".
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub custom_key_store_disconnected: bool,
}

/// A refused rule: the field and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FaultRuleError {
    /// The field's path, e.g. `faults[1].probability`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl FaultRule {
    /// The error kind of `error`, if set and known.
    pub fn error_kind(&self) -> Option<ErrorKind> {
        let e = self.error.as_deref()?;
        INJECTABLE_ERRORS.iter().find(|(n, _)| *n == e).map(|(_, k)| *k)
    }

    /// The label in metrics and logs.
    pub fn label(&self) -> String {
        if let Some(n) = &self.name {
            return n.clone();
        }
        if self.custom_key_store_disconnected {
            return "custom-key-store-disconnected".into();
        }
        match (&self.error, self.latency_ms) {
            (Some(e), _) => e.clone(),
            (None, Some(ms)) => format!("latency-{ms}ms"),
            (None, None) => "fault".into(),
        }
    }

    /// Checks every value; `prefix` goes before field names (`faults[2]`, or empty).
    pub fn validate(&self, prefix: &str) -> Result<(), FaultRuleError> {
        let field = |f: &str| if prefix.is_empty() { f.to_owned() } else { format!("{prefix}.{f}") };
        let bad = |f: &str, m: String| Err(FaultRuleError { field: field(f), message: m });
        for (i, op) in self.operations.iter().enumerate() {
            if Operation::from_name(op).is_none() {
                return bad(
                    &format!("operations[{i}]"),
                    format!("unknown KMS operation {op:?} (e.g. Encrypt, GenerateDataKey)"),
                );
            }
        }
        if let Some(n) = &self.name
            && (n.is_empty() || n.len() > 64 || !n.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b)))
        {
            return bad("name", format!("{n:?} must be 1 to 64 letters, digits, '-', '_', '.' or ':'"));
        }
        if let Some(p) = self.probability
            && !(p.is_finite() && (0.0..=1.0).contains(&p))
        {
            return bad("probability", format!("must be between 0 and 1, got {p}"));
        }
        if self.every == Some(0) {
            return bad("every", "must be at least 1 (1 = every match)".into());
        }
        for (f, v) in [("after_seconds", self.after_seconds), ("for_seconds", self.for_seconds)] {
            if let Some(v) = v
                && !(v.is_finite() && v >= 0.0)
            {
                return bad(f, format!("must be a number of seconds ≥ 0, got {v}"));
            }
        }
        if let Some(ms) = self.latency_ms
            && ms > 600_000
        {
            return bad("latency_ms", format!("at most 600000 (10 minutes), got {ms}"));
        }
        if let Some(e) = &self.error
            && self.error_kind().is_none()
        {
            let known: Vec<&str> = INJECTABLE_ERRORS.iter().map(|(n, _)| *n).collect();
            return bad("error", format!("unknown error {e:?}; one of {}", known.join(", ")));
        }
        if self.error.is_some() && self.custom_key_store_disconnected {
            return bad("custom_key_store_disconnected", "cannot be combined with error".into());
        }
        if self.message.is_some() && self.error.is_none() {
            return bad("message", "only with error".into());
        }
        if self.error.is_none() && self.latency_ms.is_none() && !self.custom_key_store_disconnected {
            return bad("error", "a rule needs an action: error, latency_ms or custom_key_store_disconnected".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(rule: &str) -> String {
        let r: FaultRule = serde_json::from_str(rule).expect("parses");
        r.validate("faults[0]").expect_err("refused").to_string()
    }

    #[test]
    fn bad_rules_are_refused_naming_the_field() {
        assert!(err(r#"{"error":"KMSInternalException","probability":1.5}"#).starts_with("faults[0].probability: "));
        assert!(err(r#"{"error":"Boom"}"#).starts_with("faults[0].error: unknown error \"Boom\""));
        assert!(err(r#"{"operations":["Encrypt","Encrpyt"],"latency_ms":5}"#).starts_with("faults[0].operations[1]: "));
        assert!(err(r#"{"every":0,"latency_ms":5}"#).starts_with("faults[0].every: "));
        assert!(err(r#"{"operations":["Encrypt"]}"#).contains("needs an action"));
        assert!(err(r#"{"for_seconds":-1,"latency_ms":5}"#).starts_with("faults[0].for_seconds: "));
        let unknown =
            serde_json::from_str::<FaultRule>(r#"{"probablity":0.5}"#).expect_err("unknown field").to_string();
        assert!(unknown.contains("probablity"), "{unknown}");
    }

    #[test]
    fn labels_default_to_the_action() {
        let r = FaultRule { error: Some("ThrottlingException".into()), ..FaultRule::default() };
        assert_eq!(r.label(), "ThrottlingException");
        assert_eq!(r.error_kind(), Some(ErrorKind::Throttling));
        let r = FaultRule { latency_ms: Some(250), ..FaultRule::default() };
        assert_eq!(r.label(), "latency-250ms");
    }
}
