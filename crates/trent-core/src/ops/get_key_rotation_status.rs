//! GetKeyRotationStatus: whether automatic rotation is on, its period and next date.

use serde::{Deserialize, Serialize};

use crate::access::caller::Caller;
use crate::error::KmsResult;
use crate::key::model::KeyState;
use crate::kms::Kms;
use crate::operation::Operation;

use crate::key::rotation::require_rotatable;

/// GetKeyRotationStatus request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub key_id: Option<String>,
}

/// GetKeyRotationStatus response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub key_rotation_enabled: bool,
    pub key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_period_in_days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_rotation_date: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_demand_rotation_start_date: Option<f64>,
}

/// Runs GetKeyRotationStatus.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let key = kms.key_only(caller, Operation::GetKeyRotationStatus, req.key_id.as_deref()).await?;
    let k = &key.record;
    require_rotatable(k)?;
    // AWS: while a key is pending deletion its rotation status is false; the
    // stored setting is kept, so cancelling the deletion restores it.
    let enabled = k.rotation.enabled && k.key_state != KeyState::PendingDeletion;
    Ok(Response {
        key_rotation_enabled: enabled,
        key_id: k.arn(),
        rotation_period_in_days: k.rotation.period_days.filter(|_| enabled),
        next_rotation_date: k.rotation.next_rotation.filter(|_| enabled),
        on_demand_rotation_start_date: None,
    })
}
