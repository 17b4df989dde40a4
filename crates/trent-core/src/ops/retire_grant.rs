//! RetireGrant: the grant's retiring principal (or its grantee, when the grant
//! allows RetireGrant, or the account that issued it) deletes a grant.

use serde::Deserialize;

use crate::arn::KeyRef;
use crate::authz::access_denied;
use crate::caller::Caller;
use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::grants::{self, Grant};
use crate::operation::Operation;
use crate::service::{Kms, store_err};
use crate::store::StoreError;
use crate::validate::Validator;

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
            super::list_grants::require_grant_id(id)?;
            (key_id_of(key, caller)?, id.clone())
        }
        _ => return Err(KmsError::validation("Specify a grant token, or both a key id and a grant id.")),
    };
    kms.admit(caller, Operation::RetireGrant).await?;
    let grant = find(kms, &key_id, &grant_id).await?;
    if !grant.in_region(&caller.region) {
        return Err(not_found(&grant_id));
    }
    if !grant.may_retire(caller) {
        return Err(access_denied(caller, "RetireGrant", &grant.key_arn, false));
    }
    if req.dry_run == Some(true) {
        return Err(KmsError::dry_run());
    }
    delete(kms, &key_id, &grant_id).await
}

/// The key id a RetireGrant/RevokeGrant `KeyId` names (key id or key ARN only).
fn key_id_of(key_ref: &str, caller: &Caller) -> KmsResult<String> {
    match KeyRef::parse(key_ref) {
        Some(KeyRef::KeyId(id)) => Ok(id),
        Some(KeyRef::KeyArn { key_id, region, .. }) if region == caller.region => Ok(key_id),
        _ => Err(KmsError::new(ErrorKind::InvalidArn, format!("Invalid keyId {key_ref}"))),
    }
}

/// AWS's NotFoundException for a grant that is not there.
pub(crate) fn not_found(grant_id: &str) -> KmsError {
    KmsError::new(ErrorKind::NotFound, format!("Grant ID {grant_id} not found"))
}

/// Reads one grant of a key.
pub(crate) async fn find(kms: &Kms, key_id: &str, grant_id: &str) -> KmsResult<Grant> {
    match kms.store.get_doc(grants::DOC_KIND, key_id, grant_id).await.map_err(store_err)? {
        Some(doc) => Grant::from_json(&doc.body),
        None => Err(not_found(grant_id)),
    }
}

/// Deletes one grant of a key.
pub(crate) async fn delete(kms: &Kms, key_id: &str, grant_id: &str) -> KmsResult<super::Empty> {
    let deleted = kms.store.delete_doc(grants::DOC_KIND, key_id, grant_id).await;
    kms.grants_changed(key_id);
    match deleted {
        Ok(()) => Ok(super::Empty {}),
        Err(StoreError::NotFound) => Err(not_found(grant_id)),
        Err(e) => Err(store_err(e)),
    }
}
