//! Fault injection: rules from the config (`[[faults]]`) and from the admin
//! route (`/_trent/faults`, see [`admin`]) that make matching KMS requests
//! slow, or fail as AWS fails them (`KMSInternalException`,
//! `DependencyTimeoutException`, `KeyUnavailableException`,
//! `ThrottlingException` whatever the quota, `KMSInvalidStateException`, a
//! custom key store disconnection), so that an application's retries and
//! fallbacks meet those answers before production does.
//!
//! A request is checked after SigV4 and before the operation runs (so an
//! injected error charges no quota and changes nothing); the first rule that
//! matches *and acts* decides. The HTTP layer renders the error exactly as
//! trent-core's `KmsError` renders real ones, counts it apart from real
//! outcomes in the metrics and marks it in the log.

pub mod admin;
pub mod rule;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use parking_lot::RwLock;
use serde::Serialize;
use trent_core::{Caller, ErrorKind, KmsError, Operation};

pub use rule::{FaultRule, FaultRuleError, INJECTABLE_ERRORS};

/// What to do to one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Injection {
    /// The rule's label (metrics, logs).
    pub label: String,
    /// Delay before answering (or before running the request).
    pub latency: Option<Duration>,
    /// The error to answer with; `None`: run the request (after the latency).
    pub error: Option<KmsError>,
}

/// An installed rule and its counters.
#[derive(Debug)]
struct Active {
    id: u64,
    rule: FaultRule,
    ops: Vec<Operation>,
    installed: Instant,
    seed: u64,
    matches: AtomicU64,
    injected: AtomicU64,
}

/// One rule as the admin route lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FaultView {
    /// Id for `DELETE /_trent/faults/{id}`.
    pub id: u64,
    /// The label in metrics and logs.
    pub label: String,
    /// The rule as given.
    pub rule: FaultRule,
    /// Requests that matched while the rule was in its window.
    pub matches: u64,
    /// Requests it acted on.
    pub injected: u64,
}

/// The installed rules.
#[derive(Debug, Default)]
pub struct Faults {
    rules: RwLock<Vec<Arc<Active>>>,
    count: AtomicUsize,
    next_id: AtomicU64,
}

/// SplitMix64: a well-mixed 64-bit value from a counter, so each rule's draws
/// are a repeatable sequence of its seed.
fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// AWS's message for each injectable error when the rule gives none.
fn default_message(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Throttling => trent_core::error::THROTTLING_MESSAGE,
        ErrorKind::DependencyTimeout => {
            "The system timed out while trying to fulfill the request. You can retry the request."
        }
        ErrorKind::KeyUnavailable => {
            "The request was rejected because the specified KMS key is not available. You can retry the request."
        }
        ErrorKind::KmsInvalidState => {
            "The request was rejected because the state of the specified resource is not valid for this request."
        }
        _ => "An internal error occurred. Try the request again.",
    }
}

/// The ARN a request's `KeyId` names, as a disconnected store's refusal quotes it.
fn key_arn(key_id: Option<&str>, caller: &Caller) -> String {
    let (account, region) = (&caller.account_id, &caller.region);
    match key_id {
        Some(k) if k.starts_with("arn:") => k.to_owned(),
        Some(k) if k.starts_with("alias/") => format!("arn:aws:kms:{region}:{account}:{k}"),
        Some(k) => format!("arn:aws:kms:{region}:{account}:key/{k}"),
        None => "The KMS key".to_owned(),
    }
}

impl Active {
    fn matches(&self, op: Operation, caller: &Caller, key_id: Option<&str>) -> bool {
        let r = &self.rule;
        (self.ops.is_empty() || self.ops.contains(&op))
            && r.account.as_deref().is_none_or(|a| a == caller.account_id)
            && r.region.as_deref().is_none_or(|g| g == caller.region)
            && r.caller.as_deref().is_none_or(|c| c == caller.principal_arn || c == caller.access_key_id)
            && r.key_id.as_deref().is_none_or(|want| {
                key_id.is_some_and(|k| k == want || k.strip_suffix(want).is_some_and(|rest| rest.ends_with('/')))
            })
    }

    fn in_window(&self, now: Instant) -> bool {
        let t = now.saturating_duration_since(self.installed).as_secs_f64();
        let start = self.rule.after_seconds.unwrap_or(0.0);
        t >= start && self.rule.for_seconds.is_none_or(|d| t < start + d)
    }

    /// Counts a match and decides whether to act on it.
    fn acts(&self) -> bool {
        let n = self.matches.fetch_add(1, Ordering::Relaxed) + 1;
        if self.rule.every.is_some_and(|e| !n.is_multiple_of(e)) {
            return false;
        }
        let p = self.rule.probability.unwrap_or(1.0);
        // 53 random bits as a uniform number in [0, 1).
        let u = (splitmix(self.seed.wrapping_add(n)) >> 11) as f64 / (1u64 << 53) as f64;
        u < p
    }

    fn injection(&self, caller: &Caller, key_id: Option<&str>) -> Injection {
        let r = &self.rule;
        let error = if r.custom_key_store_disconnected {
            Some(KmsError::new(ErrorKind::KmsInvalidState, format!("{} is unavailable.", key_arn(key_id, caller))))
        } else {
            r.error_kind().map(|k| KmsError::new(k, r.message.clone().unwrap_or_else(|| default_message(k).to_owned())))
        };
        Injection { label: r.label(), latency: r.latency_ms.map(Duration::from_millis), error }
    }

    fn view(&self) -> FaultView {
        FaultView {
            id: self.id,
            label: self.rule.label(),
            rule: self.rule.clone(),
            matches: self.matches.load(Ordering::Relaxed),
            injected: self.injected.load(Ordering::Relaxed),
        }
    }
}

impl Faults {
    /// The rules of the config, checked (`faults[i].field` in errors).
    pub fn from_config(rules: &[FaultRule]) -> Result<Self, FaultRuleError> {
        let f = Faults::default();
        for (i, r) in rules.iter().enumerate() {
            r.validate(&format!("faults[{i}]"))?;
            f.install(r.clone());
        }
        Ok(f)
    }

    fn install(&self, rule: FaultRule) -> FaultView {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let ops = rule.operations.iter().filter_map(|o| Operation::from_name(o)).collect();
        let seed = rule.seed.unwrap_or_else(|| uuid::Uuid::new_v4().as_u64_pair().0);
        let active = Arc::new(Active {
            id,
            rule,
            ops,
            installed: Instant::now(),
            seed,
            matches: AtomicU64::new(0),
            injected: AtomicU64::new(0),
        });
        let view = active.view();
        let mut rules = self.rules.write();
        rules.push(active);
        self.count.store(rules.len(), Ordering::Release);
        view
    }

    /// Checks and installs a rule (the admin route).
    pub fn add(&self, rule: FaultRule) -> Result<FaultView, FaultRuleError> {
        rule.validate("")?;
        Ok(self.install(rule))
    }

    /// Every rule with its counters, in installation order.
    pub fn list(&self) -> Vec<FaultView> {
        self.rules.read().iter().map(|a| a.view()).collect()
    }

    /// Removes every rule; returns how many there were.
    pub fn clear(&self) -> usize {
        let mut rules = self.rules.write();
        let n = rules.len();
        rules.clear();
        self.count.store(0, Ordering::Release);
        n
    }

    /// Removes one rule; whether it existed.
    pub fn remove(&self, id: u64) -> bool {
        let mut rules = self.rules.write();
        let before = rules.len();
        rules.retain(|a| a.id != id);
        self.count.store(rules.len(), Ordering::Release);
        rules.len() != before
    }

    /// What to inject into this request, if anything. Costs one atomic load
    /// when no rule is installed.
    pub fn check(&self, op: Operation, caller: &Caller, body: &[u8]) -> Option<Injection> {
        if self.count.load(Ordering::Acquire) == 0 {
            return None;
        }
        let rules: Vec<Arc<Active>> = self.rules.read().clone();
        let key_id = if rules.iter().any(|a| a.rule.key_id.is_some() || a.rule.custom_key_store_disconnected) {
            serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .and_then(|v| v.get("KeyId").and_then(|k| k.as_str()).map(str::to_owned))
        } else {
            None
        };
        let now = Instant::now();
        for a in &rules {
            if a.matches(op, caller, key_id.as_deref()) && a.in_window(now) && a.acts() {
                a.injected.fetch_add(1, Ordering::Relaxed);
                return Some(a.injection(caller, key_id.as_deref()));
            }
        }
        None
    }

    /// [`Faults::check`], then waits out the injected latency.
    pub async fn inject(&self, op: Operation, caller: &Caller, body: &[u8]) -> Option<Injection> {
        let injection = self.check(op, caller, body)?;
        if let Some(d) = injection.latency {
            tokio::time::sleep(d).await;
        }
        Some(injection)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(json: &str) -> FaultRule {
        serde_json::from_str(json).expect("rule")
    }

    #[test]
    fn filters_every_and_probability_decide_which_requests_fail() {
        let f = Faults::default();
        f.add(rule(r#"{"operations":["Encrypt"],"account":"111122223333","every":3,"error":"KMSInternalException"}"#))
            .expect("valid");
        let c = Caller::new("111122223333", "us-east-1");
        let other = Caller::new("444455556666", "us-east-1");
        let hits: Vec<bool> = (0..9).map(|_| f.check(Operation::Encrypt, &c, b"{}").is_some()).collect();
        assert_eq!(hits, [false, false, true, false, false, true, false, false, true]);
        assert!(f.check(Operation::Decrypt, &c, b"{}").is_none());
        assert!(f.check(Operation::Encrypt, &other, b"{}").is_none());
        assert_eq!(f.list()[0].matches, 9);
        assert_eq!(f.list()[0].injected, 3);

        f.clear();
        f.add(rule(r#"{"probability":0.25,"seed":7,"error":"ThrottlingException"}"#)).expect("valid");
        let n = (0..4000).filter(|_| f.check(Operation::Encrypt, &c, b"{}").is_some()).count();
        assert!((900..1100).contains(&n), "{n} of 4000 at p = 0.25");
    }

    #[test]
    fn keys_windows_and_disconnected_stores() {
        let f = Faults::default();
        f.add(rule(r#"{"key_id":"1234abcd-12ab-34cd-56ef-1234567890ab","custom_key_store_disconnected":true}"#))
            .expect("valid");
        f.add(rule(r#"{"after_seconds":3600,"error":"KMSInternalException"}"#)).expect("valid");
        let c = Caller::new("111122223333", "eu-west-1");
        let by_arn = br#"{"KeyId":"arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}"#;
        let i = f.check(Operation::Encrypt, &c, by_arn).expect("matches by ARN");
        let e = i.error.expect("error");
        assert_eq!(e.kind, ErrorKind::KmsInvalidState);
        assert_eq!(
            e.message.as_deref(),
            Some("arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab is unavailable.")
        );
        assert!(f.check(Operation::Encrypt, &c, br#"{"KeyId":"alias/other"}"#).is_none(), "the window is an hour away");
        f.clear();
        f.add(rule(r#"{"for_seconds":0,"error":"KMSInternalException"}"#)).expect("valid");
        assert!(f.check(Operation::Encrypt, &c, b"{}").is_none(), "a window of no time never opens");
        assert_eq!(f.list()[0].matches, 0, "matches count only inside the window");
    }
}
