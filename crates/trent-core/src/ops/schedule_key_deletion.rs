//! ScheduleKeyDeletion: puts a key in PendingDeletion for 7–30 days; when the
//! waiting period ends, [`crate::kms::Kms::run_due_work`] deletes it.

use serde::{Deserialize, Serialize};

use crate::access::caller::Caller;
use crate::error::KmsResult;
use crate::key::model::KeyState;
use crate::key::multi_region::set_of;
use crate::key::state::invalid_state;
use crate::kms::Kms;
use crate::operation::Operation;
use crate::wire::aws_enum::AwsEnum;
use crate::wire::validate::Validator;

/// ScheduleKeyDeletion request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub key_id: Option<String>,
    pub pending_window_in_days: Option<i64>,
}

/// ScheduleKeyDeletion response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub key_id: String,
    /// Absent for a multi-Region primary key with replicas: its waiting
    /// period begins when its last replica is deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_date: Option<f64>,
    pub key_state: &'static str,
    pub pending_window_in_days: u32,
}

/// Runs ScheduleKeyDeletion.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    // The model allows 1–365; the service enforces 7–30.
    Validator::new().int_range("pendingWindowInDays", req.pending_window_in_days, 7, 30).finish()?;
    let key = kms.key_only(caller, Operation::ScheduleKeyDeletion, req.key_id.as_deref()).await?;
    let days = req.pending_window_in_days.unwrap_or(30) as u32;
    let deletion_date = (kms.now() + f64::from(days) * 86_400.0).round();
    let updated = kms
        .update_key(&key.record.store_id(), |k| match k.key_state {
            // Unavailable: a key in a disconnected custom key store (AWS allows it).
            KeyState::Enabled | KeyState::Disabled | KeyState::PendingImport | KeyState::Unavailable => {
                // A primary key with replicas waits for them to be deleted first.
                let waits_for_replicas =
                    set_of(k).is_some_and(|s| s.primary_region == k.region && !s.replica_regions.is_empty());
                if waits_for_replicas {
                    k.key_state = KeyState::PendingReplicaDeletion;
                    k.deletion_date = None;
                } else {
                    k.key_state = KeyState::PendingDeletion;
                    k.deletion_date = Some(deletion_date);
                }
                k.pending_deletion_window_days = Some(days);
                Ok(())
            }
            _ => Err(invalid_state(k)),
        })
        .await?;
    Ok(Response {
        key_id: updated.arn(),
        deletion_date: updated.record.deletion_date,
        key_state: updated.record.key_state.as_str(),
        pending_window_in_days: days,
    })
}
