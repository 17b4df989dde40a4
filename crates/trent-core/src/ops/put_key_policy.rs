//! PutKeyPolicy: stores a new key policy (evaluation comes with the authorization work).

use serde::Deserialize;

use crate::caller::Caller;
use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::operation::Operation;
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
/// the size limit and that it is a JSON object with a `Statement`.
pub fn check_policy(policy: &str) -> KmsResult<()> {
    if policy.len() > MAX_POLICY_BYTES {
        return Err(KmsError::new(
            ErrorKind::LimitExceeded,
            format!("Policy document exceeds the maximum size of {MAX_POLICY_BYTES} bytes."),
        ));
    }
    let doc: serde_json::Value = serde_json::from_str(policy)
        .map_err(|_| KmsError::new(ErrorKind::MalformedPolicyDocument, "The policy document is not valid JSON."))?;
    if doc.get("Statement").is_none() {
        return Err(KmsError::new(ErrorKind::MalformedPolicyDocument, "The policy document must contain a Statement."));
    }
    Ok(())
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
    check_policy(&policy)?;
    kms.update_key(&key.record.key_id, |k| {
        require_not_pending(k)?;
        k.policy = policy.clone();
        Ok(())
    })
    .await?;
    Ok(super::Empty {})
}
