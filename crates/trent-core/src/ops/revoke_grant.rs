//! RevokeGrant: a principal the key policy allows kms:RevokeGrant deletes a grant.

use serde::Deserialize;

use crate::access::authorize::Access;
use crate::access::caller::Caller;
use crate::error::KmsResult;
use crate::kms::Kms;
use crate::operation::Operation;
use crate::wire::validate::Validator;

/// RevokeGrant request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub key_id: Option<String>,
    pub grant_id: Option<String>,
    pub dry_run: Option<bool>,
}

/// Runs RevokeGrant.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<super::Empty> {
    let (key_id, grant_id) = Validator::new()
        .key_id("keyId", req.key_id.as_deref(), true)
        .required("grantId", &req.grant_id)
        .str_len("grantId", req.grant_id.as_deref(), 1, 128)
        .finish_with((req.key_id, req.grant_id))?;
    crate::access::grants::require_grant_id(&grant_id)?;
    let key = kms.resolve_key_only(caller, &key_id, &Access::new("RevokeGrant")).await?;
    kms.admit_key(caller, Operation::RevokeGrant, &key.record).await?;
    kms.find_grant(&key.record.store_id(), &grant_id).await?;
    if req.dry_run == Some(true) {
        return Err(crate::error::KmsError::dry_run());
    }
    kms.delete_grant(&key.record.store_id(), &grant_id).await?;
    Ok(super::Empty {})
}
