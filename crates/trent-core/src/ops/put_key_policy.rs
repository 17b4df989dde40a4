//! PutKeyPolicy: replaces a key's policy after checking its size, its grammar
//! and, unless BypassPolicyLockoutSafetyCheck is set, that the caller could
//! still change it afterwards.

use serde::Deserialize;

use crate::access::authorize::check_lockout;
use crate::access::caller::Caller;
use crate::access::policy::checks::{check_policy, check_policy_name, require_default, validate_policy_member};
use crate::error::KmsResult;
use crate::key::state::require_not_pending;
use crate::kms::Kms;
use crate::operation::Operation;
use crate::wire::validate::Validator;

/// PutKeyPolicy request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub key_id: Option<String>,
    pub policy_name: Option<String>,
    pub policy: Option<String>,
    pub bypass_policy_lockout_safety_check: Option<bool>,
}

/// Runs PutKeyPolicy.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<super::Empty> {
    let mut v = Validator::new();
    v.key_id("keyId", req.key_id.as_deref(), true).required("policy", &req.policy);
    validate_policy_member(&mut v, req.policy.as_deref());
    check_policy_name(&mut v, req.policy_name.as_deref());
    let policy = v.finish_with(req.policy)?;
    let key = kms.key_only(caller, Operation::PutKeyPolicy, req.key_id.as_deref()).await?;
    require_default(req.policy_name.as_deref())?;
    let parsed = check_policy(&policy)?;
    if req.bypass_policy_lockout_safety_check != Some(true) {
        check_lockout(&parsed, caller, &key.record)?;
    }
    kms.update_key(&key.record.store_id(), |k| {
        require_not_pending(k)?;
        k.policy = policy.clone();
        Ok(())
    })
    .await?;
    Ok(super::Empty {})
}
