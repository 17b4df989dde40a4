//! ListKeyPolicies: KMS keys have exactly one policy, named `default`.

use serde::{Deserialize, Serialize};

use crate::access::caller::Caller;
use crate::error::KmsResult;
use crate::kms::Kms;
use crate::operation::Operation;
use crate::wire::pagination;
use crate::wire::validate::Validator;

/// ListKeyPolicies request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub key_id: Option<String>,
    pub limit: Option<i64>,
    pub marker: Option<String>,
}

/// ListKeyPolicies response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub policy_names: Vec<&'static str>,
    pub truncated: bool,
}

/// Runs ListKeyPolicies.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let mut v = Validator::new();
    v.key_id("keyId", req.key_id.as_deref(), true);
    pagination::validate(&mut v, req.limit, req.marker.as_deref());
    v.finish()?;
    pagination::decode(req.marker.as_deref())?;
    kms.key_only(caller, Operation::ListKeyPolicies, req.key_id.as_deref()).await?;
    Ok(Response { policy_names: vec!["default"], truncated: false })
}
