//! ListGrants: the grants on one key, optionally one grant or one grantee's.

use serde::{Deserialize, Serialize};

use crate::authz::Access;
use crate::caller::Caller;
use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::grants::{self, Constraints, Grant};
use crate::operation::Operation;
use crate::service::Kms;
use crate::validate::Validator;

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

/// One grant as the List operations show it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GrantListEntry {
    pub key_id: String,
    pub grant_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub creation_date: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grantee_principal: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retiring_principal: Option<String>,
    pub issuing_account: String,
    pub operations: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constraints: Option<Constraints>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grantee_service_principal: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retiring_service_principal: Option<String>,
}

impl From<Grant> for GrantListEntry {
    fn from(g: Grant) -> Self {
        Self {
            key_id: g.key_arn,
            grant_id: g.grant_id,
            name: g.name,
            creation_date: g.creation_date,
            grantee_principal: g.grantee_principal,
            retiring_principal: g.retiring_principal,
            issuing_account: g.issuing_account,
            operations: g.operations,
            constraints: g.constraints,
            grantee_service_principal: g.grantee_service_principal,
            retiring_service_principal: g.retiring_service_principal,
        }
    }
}

/// ListGrants / ListRetirableGrants response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub grants: Vec<GrantListEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    pub truncated: bool,
}

/// Orders grants oldest first and cuts one page (AWS: default 50, at most 100 per page).
pub(crate) fn page(mut grants: Vec<Grant>, limit: Option<i64>, marker: Option<&str>) -> KmsResult<Response> {
    grants.sort_by(|a, b| a.creation_date.total_cmp(&b.creation_date).then_with(|| a.grant_id.cmp(&b.grant_id)));
    let limit = limit.unwrap_or(50).clamp(1, 100) as usize;
    let (items, next_marker, truncated) = super::marker::offset_page(grants, marker, limit)?;
    Ok(Response { grants: items.into_iter().map(GrantListEntry::from).collect(), next_marker, truncated })
}

/// InvalidGrantIdException unless `id` has the form of a grant id.
pub(crate) fn require_grant_id(id: &str) -> KmsResult<()> {
    if grants::is_grant_id(id) {
        Ok(())
    } else {
        Err(KmsError::new(ErrorKind::InvalidGrantId, format!("Invalid grant ID: {id}")))
    }
}

/// Runs ListGrants.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let mut v = Validator::new();
    v.key_id("keyId", req.key_id.as_deref(), true).str_len("grantId", req.grant_id.as_deref(), 1, 128);
    super::create_grant::check_principal(&mut v, "granteePrincipal", req.grantee_principal.as_deref());
    super::marker::validate(&mut v, req.limit, req.marker.as_deref());
    v.finish()?;
    if let Some(id) = req.grant_id.as_deref() {
        require_grant_id(id)?;
    }
    let key =
        kms.resolve_key_only(caller, req.key_id.as_deref().unwrap_or_default(), &Access::new("ListGrants")).await?;
    kms.admit_key(caller, Operation::ListGrants, &key.record).await?;
    let grants: Vec<Grant> = kms
        .grants_of(&key.record.key_id)
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
