//! PutKeyPolicy: replaces a key's policy after checking its size, its grammar
//! and, unless BypassPolicyLockoutSafetyCheck is set, that the caller could
//! still change it afterwards.

use serde::Deserialize;

use crate::authz::{Access, policy_decision};
use crate::caller::Caller;
use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::model::KeyRecord;
use crate::operation::Operation;
use crate::policy::{Decision, KeyPolicy};
use crate::service::{Kms, require_not_pending};
use crate::validate::Validator;

/// The service's key policy size limit (32 KB), tighter than the model's 131,072.
pub const MAX_POLICY_BYTES: usize = 32 * 1024;

/// PutKeyPolicy request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub key_id: Option<String>,
    pub policy_name: Option<String>,
    pub policy: Option<String>,
    pub bypass_policy_lockout_safety_check: Option<bool>,
}

/// The model constraints of a `Policy` member: 1–131,072 characters of tab,
/// line feed, carriage return and U+0020–U+00FF.
pub(crate) fn validate_policy_member(v: &mut Validator, policy: Option<&str>) {
    v.str_len("policy", policy, 1, 131072).pattern("policy", policy, "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+", |s| {
        s.chars().all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}'))
    });
}

/// Checks what the service checks of a policy document before storing it:
/// the 32 KB size limit and the policy grammar (MalformedPolicyDocumentException).
pub fn check_policy(policy: &str) -> KmsResult<KeyPolicy> {
    if policy.len() > MAX_POLICY_BYTES {
        return Err(KmsError::new(
            ErrorKind::LimitExceeded,
            format!("Policy document exceeds the maximum size of {MAX_POLICY_BYTES} bytes."),
        ));
    }
    KeyPolicy::parse(policy)
}

/// The policy lockout safety check: the new policy must let the caller call
/// PutKeyPolicy on the key afterwards, or nobody could ever change it again.
pub fn check_lockout(policy: &KeyPolicy, caller: &Caller, key: &KeyRecord) -> KmsResult<()> {
    if policy_decision(policy, caller, key, &key.arn(), &Access::new("PutKeyPolicy"), None) == Decision::Allow {
        Ok(())
    } else {
        Err(KmsError::new(
            ErrorKind::MalformedPolicyDocument,
            "The new key policy will not allow you to update the key policy in the future.",
        ))
    }
}

/// Runs PutKeyPolicy.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<super::Empty> {
    let mut v = Validator::new();
    v.key_id("keyId", req.key_id.as_deref(), true).required("policy", &req.policy);
    validate_policy_member(&mut v, req.policy.as_deref());
    super::get_key_policy::check_policy_name(&mut v, req.policy_name.as_deref());
    v.finish()?;
    let key = super::enable_key::key_only(kms, caller, Operation::PutKeyPolicy, req.key_id.as_deref()).await?;
    super::get_key_policy::require_default(req.policy_name.as_deref())?;
    let policy = req.policy.unwrap_or_default();
    let parsed = check_policy(&policy)?;
    if req.bypass_policy_lockout_safety_check != Some(true) {
        check_lockout(&parsed, caller, &key.record)?;
    }
    kms.update_key(&key.record.key_id, |k| {
        require_not_pending(k)?;
        k.policy = policy.clone();
        Ok(())
    })
    .await?;
    Ok(super::Empty {})
}
