//! RetireGrant: the grant's retiring principal (or its grantee, when the grant
//! allows RetireGrant, or the account that issued it) deletes a grant.

use serde::Deserialize;

use crate::access::authorize::access_denied;
use crate::access::caller::Caller;
use crate::access::grants::{self};
use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::key::arn::KeyRef;
use crate::kms::Kms;
use crate::operation::Operation;
use crate::wire::validate::Validator;

/// RetireGrant request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub grant_token: Option<String>,
    pub key_id: Option<String>,
    pub grant_id: Option<String>,
    pub dry_run: Option<bool>,
}

/// Runs RetireGrant.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<super::Empty> {
    let mut v = Validator::new();
    v.str_len("grantToken", req.grant_token.as_deref(), 1, 8192)
        .key_id("keyId", req.key_id.as_deref(), false)
        .str_len("grantId", req.grant_id.as_deref(), 1, 128)
        .finish()?;
    let (key_id, grant_id) = match (&req.grant_token, &req.key_id, &req.grant_id) {
        (Some(token), _, _) => grants::parse_token(token)
            .ok_or_else(|| KmsError::new(ErrorKind::InvalidGrantToken, "Grant token is invalid"))?,
        (None, Some(key), Some(id)) => {
            crate::access::grants::require_grant_id(id)?;
            (key_id_of(key, caller)?, id.clone())
        }
        _ => return Err(KmsError::validation("Specify a grant token, or both a key id and a grant id.")),
    };
    kms.admit(caller, Operation::RetireGrant).await?;
    // Grants belong to one key of a multi-Region set: the caller's region's.
    let key_id = crate::key::model::store_id(&key_id, &caller.region);
    let grant = kms.find_grant(&key_id, &grant_id).await?;
    if !grant.in_region(&caller.region) {
        return Err(grants::not_found(&grant_id));
    }
    if !grant.may_retire(caller) {
        return Err(access_denied(caller, "RetireGrant", &grant.key_arn, false));
    }
    if req.dry_run == Some(true) {
        return Err(KmsError::dry_run());
    }
    kms.delete_grant(&key_id, &grant_id).await?;
    Ok(super::Empty {})
}

/// The key id a RetireGrant/RevokeGrant `KeyId` names (key id or key ARN only).
fn key_id_of(key_ref: &str, caller: &Caller) -> KmsResult<String> {
    match KeyRef::parse(key_ref) {
        Some(KeyRef::KeyId(id)) => Ok(id),
        Some(KeyRef::KeyArn { key_id, region, .. }) if region == caller.region => Ok(key_id),
        _ => Err(KmsError::new(ErrorKind::InvalidArn, format!("Invalid keyId {key_ref}"))),
    }
}
