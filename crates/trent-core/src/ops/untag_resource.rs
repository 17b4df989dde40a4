//! UntagResource: removes tags by key.

use serde::Deserialize;

use crate::access::caller::Caller;
use crate::error::KmsResult;
use crate::key::state::require_not_pending;
use crate::kms::Kms;
use crate::operation::Operation;
use crate::wire::validate::Validator;

/// UntagResource request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub key_id: Option<String>,
    pub tag_keys: Option<Vec<String>>,
}

/// Runs UntagResource.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<super::Empty> {
    let mut v = Validator::new();
    v.key_id("keyId", req.key_id.as_deref(), true).required("tagKeys", &req.tag_keys);
    for (i, t) in req.tag_keys.as_deref().unwrap_or_default().iter().enumerate() {
        v.str_len(&format!("tagKeys.{}.member", i + 1), Some(t), 1, 128);
    }
    let remove = v.finish_with(req.tag_keys)?;
    let key = kms.key_only(caller, Operation::UntagResource, req.key_id.as_deref()).await?;
    kms.update_key(&key.record.store_id(), |k| {
        require_not_pending(k)?;
        k.tags.retain(|t| !remove.contains(&t.tag_key));
        Ok(())
    })
    .await?;
    Ok(super::Empty {})
}
