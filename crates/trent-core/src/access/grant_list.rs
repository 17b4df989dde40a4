//! How ListGrants and ListRetirableGrants show grants: each grant as a list
//! entry, oldest first, one page at a time.

use serde::Serialize;

use crate::access::grants::{Constraints, Grant};
use crate::error::KmsResult;
use crate::wire::pagination::{Tokens, offset_page, page_size};

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

/// The answer of ListGrants and ListRetirableGrants: one page of grants.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GrantList {
    pub grants: Vec<GrantListEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    pub truncated: bool,
}

/// Orders grants oldest first and cuts one page (AWS: default 50, at most 100 per page).
pub fn page(mut grants: Vec<Grant>, limit: Option<i64>, marker: Option<&str>) -> KmsResult<GrantList> {
    grants.sort_by(|a, b| a.creation_date.total_cmp(&b.creation_date).then_with(|| a.grant_id.cmp(&b.grant_id)));
    let limit = page_size(limit, 50, 100);
    let page = offset_page(grants, marker, limit, Tokens::KmsMarker)?;
    Ok(GrantList {
        grants: page.items.into_iter().map(GrantListEntry::from).collect(),
        next_marker: page.next_marker,
        truncated: page.truncated,
    })
}
