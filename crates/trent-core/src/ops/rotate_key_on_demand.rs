//! RotateKeyOnDemand: a new material version now, without touching the automatic schedule.

use serde::{Deserialize, Serialize};

use crate::caller::Caller;
use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::model::RotationType;
use crate::operation::Operation;
use crate::service::{Kms, require_usable};

use super::rotation::{MAX_ON_DEMAND_ROTATIONS, add_material, require_rotatable};

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
    let key = super::enable_key::key_only(kms, caller, Operation::RotateKeyOnDemand, req.key_id.as_deref()).await?;
    let updated = kms
        .update_key(&key.record.key_id, |k| {
            require_usable(k)?;
            require_rotatable(k)?;
            let done = k.materials.iter().filter(|m| m.rotation_type == Some(RotationType::OnDemand)).count();
            if done >= MAX_ON_DEMAND_ROTATIONS {
                return Err(KmsError::new(
                    ErrorKind::LimitExceeded,
                    format!("{} has reached the limit of {MAX_ON_DEMAND_ROTATIONS} on-demand rotations.", k.arn()),
                ));
            }
            add_material(kms, k, RotationType::OnDemand)
        })
        .await?;
    Ok(Response { key_id: updated.arn() })
}
