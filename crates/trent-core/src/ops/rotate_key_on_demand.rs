//! RotateKeyOnDemand: a new material version now, without touching the
//! automatic schedule; for imported keys, the material imported as
//! NEW_KEY_MATERIAL becomes current.

use serde::{Deserialize, Serialize};

use crate::access::caller::Caller;
use crate::error::KmsResult;
use crate::key::model::RotationType;
use crate::key::state::require_usable;
use crate::kms::Kms;
use crate::operation::Operation;
use crate::quota::resource::ResourceQuota;

use crate::key::rotation::{add_material, require_rotatable_on_demand};

/// RotateKeyOnDemand request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub key_id: Option<String>,
}

/// RotateKeyOnDemand response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub key_id: String,
}

/// Runs RotateKeyOnDemand.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let key = kms.key_only(caller, Operation::RotateKeyOnDemand, req.key_id.as_deref()).await?;
    // A lifetime count kept in the key record itself: the compare-and-swap of
    // `update_key` makes check and rotation atomic.
    let quota = ResourceQuota::OnDemandRotationsPerKey;
    let limit = kms.resource_limit(&key.record.account_id, &key.record.region, quota);
    let updated = kms
        .update_key(&key.record.store_id(), |k| {
            require_usable(k)?;
            require_rotatable_on_demand(k)?;
            crate::key::rotation::require_not_replica(k)?;
            let done = k.materials.iter().filter(|m| m.rotation_type == Some(RotationType::OnDemand)).count();
            let done = u64::try_from(done).unwrap_or(u64::MAX);
            if done >= limit {
                return Err(quota.exceeded(limit, done));
            }
            if crate::key::imported_materials::applies(k) {
                return crate::key::imported_materials::rotate(k, kms.now());
            }
            add_material(&kms.root, kms.now(), k, RotationType::OnDemand)
        })
        .await?;
    // Related multi-Region keys share the new material.
    kms.share_with_replicas(&updated.record).await?;
    Ok(Response { key_id: updated.arn() })
}
