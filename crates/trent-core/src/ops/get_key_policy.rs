//! GetKeyPolicy: the key policy document, kept verbatim.

use serde::{Deserialize, Serialize};

use crate::access::caller::Caller;
use crate::access::policy::checks::{check_policy_name, require_default};
use crate::error::KmsResult;
use crate::kms::Kms;
use crate::operation::Operation;
use crate::wire::validate::Validator;

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

/// Runs GetKeyPolicy.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let mut v = Validator::new();
    v.key_id("keyId", req.key_id.as_deref(), true);
    check_policy_name(&mut v, req.policy_name.as_deref());
    v.finish()?;
    let key = kms.key_only(caller, Operation::GetKeyPolicy, req.key_id.as_deref()).await?;
    require_default(req.policy_name.as_deref())?;
    Ok(Response { policy: key.record.policy.clone(), policy_name: "default".into() })
}
