//! ListGrants: the grants on one key, optionally one grant or one grantee's.

use serde::Deserialize;

use crate::access::authorize::Access;
use crate::access::caller::Caller;
use crate::access::grant_list::{GrantList, page};
use crate::access::grants::Grant;
use crate::access::grants::require_grant_id;
use crate::error::KmsResult;
use crate::kms::Kms;
use crate::operation::Operation;
use crate::wire::pagination;
use crate::wire::validate::Validator;

/// ListGrants response: one page of the key's grants.
pub type Response = GrantList;

/// ListGrants request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub limit: Option<i64>,
    pub marker: Option<String>,
    pub key_id: Option<String>,
    pub grant_id: Option<String>,
    pub grantee_principal: Option<String>,
    pub grantee_service_principal: Option<String>,
}

/// Runs ListGrants.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let mut v = Validator::new();
    v.key_id("keyId", req.key_id.as_deref(), true).str_len("grantId", req.grant_id.as_deref(), 1, 128);
    crate::access::grants::check_principal(&mut v, "granteePrincipal", req.grantee_principal.as_deref());
    pagination::validate(&mut v, req.limit, req.marker.as_deref());
    let key_id = v.finish_with(req.key_id.as_deref())?;
    if let Some(id) = req.grant_id.as_deref() {
        require_grant_id(id)?;
    }
    let key = kms.resolve_key_only(caller, key_id, &Access::new("ListGrants")).await?;
    kms.admit_key(caller, Operation::ListGrants, &key.record).await?;
    let grants: Vec<Grant> = kms
        .grants_of(&key.record.store_id())
        .await?
        .into_iter()
        .filter(|g| req.grant_id.as_deref().is_none_or(|id| g.grant_id == id))
        .filter(|g| req.grantee_principal.is_none() || g.grantee_principal == req.grantee_principal)
        .filter(|g| {
            req.grantee_service_principal.is_none() || g.grantee_service_principal == req.grantee_service_principal
        })
        .collect();
    page(grants, req.limit, req.marker.as_deref())
}
