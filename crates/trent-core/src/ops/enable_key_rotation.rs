//! EnableKeyRotation: automatic rotation every RotationPeriodInDays (90–2560, default 365).

use serde::Deserialize;

use crate::access::caller::Caller;
use crate::error::KmsResult;
use crate::key::state::require_usable;
use crate::kms::Kms;
use crate::operation::Operation;
use crate::wire::validate::Validator;

use crate::key::rotation::{DEFAULT_PERIOD_DAYS, next_rotation, require_rotatable};

/// EnableKeyRotation request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub key_id: Option<String>,
    pub rotation_period_in_days: Option<i64>,
}

/// Runs EnableKeyRotation.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<super::Empty> {
    Validator::new()
        .key_id("keyId", req.key_id.as_deref(), true)
        .int_range("rotationPeriodInDays", req.rotation_period_in_days, 90, 2560)
        .finish()?;
    let key = kms.key_only(caller, Operation::EnableKeyRotation, req.key_id.as_deref()).await?;
    let period = req.rotation_period_in_days.map(|d| d as u32).unwrap_or(DEFAULT_PERIOD_DAYS);
    let now = kms.now();
    let updated = kms
        .update_key(&key.record.store_id(), |k| {
            require_usable(k)?;
            require_rotatable(k)?;
            crate::key::rotation::require_not_replica(k)?;
            k.rotation.enabled = true;
            k.rotation.period_days = Some(period);
            k.rotation.next_rotation = Some(next_rotation(now, period));
            Ok(())
        })
        .await?;
    kms.share_with_replicas(&updated.record).await?;
    Ok(super::Empty {})
}
