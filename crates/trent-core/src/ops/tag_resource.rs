//! TagResource: adds or overwrites tags on a key.

use serde::Deserialize;

use crate::access::caller::Caller;
use crate::error::KmsResult;
use crate::key::state::require_not_pending;
use crate::kms::Kms;
use crate::operation::Operation;
use crate::wire::validate::Validator;

use crate::key::tags::TagInput;

/// TagResource request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub key_id: Option<String>,
    pub tags: Option<Vec<TagInput>>,
}

/// Runs TagResource.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<super::Empty> {
    let mut v = Validator::new();
    v.key_id("keyId", req.key_id.as_deref(), true).required("tags", &req.tags);
    crate::key::tags::validate(&mut v, req.tags.as_deref());
    let tags = v.finish_with(req.tags)?;
    let key = kms.key_only(caller, Operation::TagResource, req.key_id.as_deref()).await?;
    kms.update_key(&key.record.store_id(), |k| {
        require_not_pending(k)?;
        crate::key::tags::merge(&mut k.tags, &tags)
    })
    .await?;
    Ok(super::Empty {})
}
