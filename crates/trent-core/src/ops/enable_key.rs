//! EnableKey: lets a disabled key be used again.

use serde::Deserialize;

use crate::authz::Access;
use crate::caller::Caller;
use crate::error::KmsResult;
use crate::model::KeyState;
use crate::operation::Operation;
use crate::service::{Kms, invalid_state};
use crate::validate::Validator;

/// EnableKey request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub key_id: Option<String>,
}

/// Validates a request whose only member is a required KeyId, resolves the
/// key (key id or key ARN only) and charges `op`. Shared by the management
/// operations that take just a key.
pub(crate) async fn key_only(
    kms: &Kms,
    caller: &Caller,
    op: Operation,
    key_id: Option<&str>,
) -> KmsResult<std::sync::Arc<crate::keyring::LoadedKey>> {
    Validator::new().key_id("keyId", key_id, true).finish()?;
    let key = kms.resolve_key_only(caller, key_id.unwrap_or_default(), &Access::new(op.name())).await?;
    kms.admit_key(caller, op, &key.record).await?;
    Ok(key)
}

/// Runs EnableKey.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<super::Empty> {
    let key = key_only(kms, caller, Operation::EnableKey, req.key_id.as_deref()).await?;
    kms.update_key(&key.record.key_id, |k| match k.key_state {
        KeyState::Enabled | KeyState::Disabled => {
            k.key_state = KeyState::Enabled;
            Ok(())
        }
        _ => Err(invalid_state(k)),
    })
    .await?;
    Ok(super::Empty {})
}
