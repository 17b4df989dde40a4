//! ListResourceTags: a key's tags, paginated.

use serde::{Deserialize, Serialize};

use crate::access::caller::Caller;
use crate::error::KmsResult;
use crate::key::model::Tag;
use crate::operation::Operation;
use crate::kms::Kms;
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
    crate::wire::pagination::validate(&mut v, req.limit, req.marker.as_deref());
    v.finish()?;
    let after = crate::wire::pagination::decode(req.marker.as_deref())?;
    let key = kms.key_only(caller, Operation::ListResourceTags, req.key_id.as_deref()).await?;
    let mut tags = key.record.tags.clone();
    tags.sort_by(|a, b| a.tag_key.cmp(&b.tag_key));
    if let Some(a) = after {
        tags.retain(|t| t.tag_key > a);
    }
    // The model allows 1–1000; the service returns at most 50 tags a page.
    let limit = req.limit.unwrap_or(50).min(50) as usize;
    let truncated = tags.len() > limit;
    tags.truncate(limit);
    let next_marker = if truncated { tags.last().map(|t| crate::wire::pagination::encode(&t.tag_key)) } else { None };
    Ok(Response { tags, next_marker, truncated })
}
