//! DisableKey: stops a key from being used until it is enabled again.

use serde::Deserialize;

use crate::access::caller::Caller;
use crate::error::KmsResult;
use crate::key::model::KeyState;
use crate::key::state::invalid_state;
use crate::kms::Kms;
use crate::operation::Operation;

/// DisableKey request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub key_id: Option<String>,
}

/// Runs DisableKey.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<super::Empty> {
    let key = kms.key_only(caller, Operation::DisableKey, req.key_id.as_deref()).await?;
    kms.update_key(&key.record.store_id(), |k| match k.key_state {
        KeyState::Enabled | KeyState::Disabled => {
            k.key_state = KeyState::Disabled;
            Ok(())
        }
        _ => Err(invalid_state(k)),
    })
    .await?;
    Ok(super::Empty {})
}
