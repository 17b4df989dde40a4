//! DisableKeyRotation: turns automatic rotation off; existing versions stay.

use serde::Deserialize;

use crate::access::caller::Caller;
use crate::error::KmsResult;
use crate::key::state::require_usable;
use crate::kms::Kms;
use crate::operation::Operation;

use crate::key::rotation::require_rotatable;

/// DisableKeyRotation request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub key_id: Option<String>,
}

/// Runs DisableKeyRotation.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<super::Empty> {
    let key = kms.key_only(caller, Operation::DisableKeyRotation, req.key_id.as_deref()).await?;
    let updated = kms
        .update_key(&key.record.store_id(), |k| {
            require_usable(k)?;
            require_rotatable(k)?;
            crate::key::rotation::require_not_replica(k)?;
            k.rotation.enabled = false;
            k.rotation.next_rotation = None;
            Ok(())
        })
        .await?;
    kms.share_with_replicas(&updated.record).await?;
    Ok(super::Empty {})
}
