//! ListAliases: the caller's aliases in its region, optionally for one key.

use serde::{Deserialize, Serialize};

use crate::access::authorize::Access;
use crate::access::caller::Caller;
use crate::error::KmsResult;
use crate::kms::{Kms, store_err};
use crate::operation::Operation;
use crate::wire::pagination;
use crate::wire::validate::Validator;

/// ListAliases request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub key_id: Option<String>,
    pub limit: Option<i64>,
    pub marker: Option<String>,
}

/// One alias entry.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AliasListEntry {
    pub alias_name: String,
    pub alias_arn: String,
    pub target_key_id: String,
    pub creation_date: f64,
    pub last_updated_date: f64,
}

/// ListAliases response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub aliases: Vec<AliasListEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    pub truncated: bool,
}

/// Runs ListAliases.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let mut v = Validator::new();
    v.key_id("keyId", req.key_id.as_deref(), false);
    pagination::validate(&mut v, req.limit, req.marker.as_deref());
    v.finish()?;
    let after = pagination::decode(req.marker.as_deref())?;
    let target = match req.key_id.as_deref() {
        Some(k) => Some(kms.resolve_key_only(caller, k, &Access::iam_only("ListAliases")).await?.record.key_id.clone()),
        None => None,
    };
    kms.admit(caller, Operation::ListAliases).await?;
    // The model allows 1–1000; the service returns at most 100 aliases a page.
    let limit = pagination::page_size(req.limit, 50, 100);
    let page = kms
        .store
        .list_aliases(&caller.account_id, &caller.region, target.as_deref(), after.as_deref(), limit)
        .await
        .map_err(store_err)?;
    let next_marker = pagination::next_marker(&page.items, page.truncated, |a| &a.alias_name);
    Ok(Response {
        aliases: page
            .items
            .into_iter()
            .map(|a| AliasListEntry {
                alias_arn: a.arn(),
                alias_name: a.alias_name,
                target_key_id: a.target_key_id,
                creation_date: a.creation_date,
                last_updated_date: a.last_updated_date,
            })
            .collect(),
        next_marker,
        truncated: page.truncated,
    })
}
