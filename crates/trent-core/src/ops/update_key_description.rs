//! UpdateKeyDescription: replaces a key's description.

use serde::Deserialize;

use crate::access::caller::Caller;
use crate::error::KmsResult;
use crate::key::state::require_not_pending;
use crate::kms::Kms;
use crate::operation::Operation;
use crate::wire::validate::Validator;

/// UpdateKeyDescription request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub key_id: Option<String>,
    pub description: Option<String>,
}

/// Runs UpdateKeyDescription.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<super::Empty> {
    let description = Validator::new()
        .key_id("keyId", req.key_id.as_deref(), true)
        .required("description", &req.description)
        .str_len("description", req.description.as_deref(), 0, 8192)
        .finish_with(req.description)?;
    let key = kms.key_only(caller, Operation::UpdateKeyDescription, req.key_id.as_deref()).await?;
    kms.update_key(&key.record.store_id(), |k| {
        require_not_pending(k)?;
        k.description = description.clone();
        Ok(())
    })
    .await?;
    Ok(super::Empty {})
}
