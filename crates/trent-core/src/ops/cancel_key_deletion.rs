//! CancelKeyDeletion: takes a key out of PendingDeletion; it comes back Disabled, as in AWS.

use serde::{Deserialize, Serialize};

use crate::access::caller::Caller;
use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::key::model::KeyState;
use crate::kms::Kms;
use crate::operation::Operation;

/// CancelKeyDeletion request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub key_id: Option<String>,
}

/// CancelKeyDeletion response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub key_id: String,
}

/// Runs CancelKeyDeletion.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let key = kms.key_only(caller, Operation::CancelKeyDeletion, req.key_id.as_deref()).await?;
    let updated = kms
        .update_key(&key.record.store_id(), |k| {
            if !matches!(k.key_state, KeyState::PendingDeletion | KeyState::PendingReplicaDeletion) {
                return Err(KmsError::new(ErrorKind::KmsInvalidState, format!("{} is not pending deletion.", k.arn())));
            }
            // A key without material (imported material deleted or expired) awaits an import again.
            k.key_state = if k.materials.is_empty() { KeyState::PendingImport } else { KeyState::Disabled };
            k.deletion_date = None;
            k.pending_deletion_window_days = None;
            Ok(())
        })
        .await?;
    Ok(Response { key_id: updated.arn() })
}
