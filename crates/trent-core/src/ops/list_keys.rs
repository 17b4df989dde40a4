//! ListKeys: the caller's keys in its region, paginated.

use serde::{Deserialize, Serialize};

use crate::access::caller::Caller;
use crate::error::KmsResult;
use crate::key::model::KeyRecord;
use crate::kms::{Kms, store_err};
use crate::operation::Operation;
use crate::wire::pagination;
use crate::wire::validate::Validator;

/// ListKeys request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub limit: Option<i64>,
    pub marker: Option<String>,
}

/// One entry of ListKeys.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyListEntry {
    pub key_id: String,
    pub key_arn: String,
}

/// ListKeys response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub keys: Vec<KeyListEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    pub truncated: bool,
}

/// Runs ListKeys.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let mut v = Validator::new();
    pagination::validate(&mut v, req.limit, req.marker.as_deref());
    v.finish()?;
    let after = pagination::decode(req.marker.as_deref())?;
    kms.admit(caller, Operation::ListKeys).await?;
    let limit = pagination::page_size(req.limit, 100, 1000);
    let page =
        kms.store.list_keys(&caller.account_id, &caller.region, after.as_deref(), limit).await.map_err(store_err)?;
    // The store orders by store id (a multi-Region key's carries its region).
    let handles: Vec<String> = page.items.last().map(KeyRecord::store_id).into_iter().collect();
    let next_marker = pagination::next_marker(&handles, page.truncated, |h| h);
    Ok(Response {
        keys: page.items.iter().map(|k| KeyListEntry { key_id: k.key_id.clone(), key_arn: k.arn() }).collect(),
        next_marker,
        truncated: page.truncated,
    })
}
