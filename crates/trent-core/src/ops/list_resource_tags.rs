//! ListResourceTags: a key's tags, paginated.

use serde::{Deserialize, Serialize};

use crate::access::caller::Caller;
use crate::error::KmsResult;
use crate::key::model::Tag;
use crate::kms::Kms;
use crate::operation::Operation;
use crate::wire::pagination;
use crate::wire::validate::Validator;

/// ListResourceTags request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub key_id: Option<String>,
    pub limit: Option<i64>,
    pub marker: Option<String>,
}

/// ListResourceTags response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub tags: Vec<Tag>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    pub truncated: bool,
}

/// Runs ListResourceTags.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let mut v = Validator::new();
    v.key_id("keyId", req.key_id.as_deref(), true);
    pagination::validate(&mut v, req.limit, req.marker.as_deref());
    v.finish()?;
    pagination::decode(req.marker.as_deref())?;
    let key = kms.key_only(caller, Operation::ListResourceTags, req.key_id.as_deref()).await?;
    let mut tags = key.record.tags.clone();
    tags.sort_by(|a, b| a.tag_key.cmp(&b.tag_key));
    // The model allows 1–1000; the service returns at most 50 tags a page.
    let limit = pagination::page_size(req.limit, 50, 50);
    let page = pagination::keyed_page(tags, req.marker.as_deref(), limit, |t| &t.tag_key)?;
    Ok(Response { tags: page.items, next_marker: page.next_marker, truncated: page.truncated })
}
