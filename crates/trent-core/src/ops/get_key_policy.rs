//! GetKeyPolicy: the key policy document, kept verbatim.

use serde::{Deserialize, Serialize};

use crate::caller::Caller;
use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::operation::Operation;
use crate::service::Kms;
use crate::validate::Validator;

/// GetKeyPolicy request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub key_id: Option<String>,
    pub policy_name: Option<String>,
}

/// GetKeyPolicy response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub policy: String,
    pub policy_name: String,
}

/// Checks a PolicyName member: the model's pattern, and KMS knows only `default`.
pub(crate) fn check_policy_name(v: &mut Validator, name: Option<&str>) {
    v.str_len("policyName", name, 1, 128)
        .pattern("policyName", name, "[\\w]+", |s| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
}

/// NotFound unless the policy name is `default`.
pub(crate) fn require_default(name: Option<&str>) -> KmsResult<()> {
    match name {
        None | Some("default") => Ok(()),
        Some(other) => Err(KmsError::new(ErrorKind::NotFound, format!("No such policy exists: {other}"))),
    }
}

/// Runs GetKeyPolicy.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let mut v = Validator::new();
    v.key_id("keyId", req.key_id.as_deref(), true);
    check_policy_name(&mut v, req.policy_name.as_deref());
    v.finish()?;
    let key = super::enable_key::key_only(kms, caller, Operation::GetKeyPolicy, req.key_id.as_deref()).await?;
    require_default(req.policy_name.as_deref())?;
    Ok(Response { policy: key.record.policy.clone(), policy_name: "default".into() })
}
