//! Key state checks with AWS's refusals: which states an operation accepts.

use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::key::model::{KeyRecord, KeyState};

/// AWS's answer when a key in `PendingDeletion` (or another unusable state) is used.
pub fn invalid_state(key: &KeyRecord) -> KmsError {
    let arn = key.arn();
    let msg = match key.key_state {
        KeyState::PendingDeletion => format!("{arn} is pending deletion."),
        KeyState::PendingReplicaDeletion => format!("{arn} is pending replica deletion."),
        KeyState::PendingImport => format!("{arn} is pending import."),
        KeyState::Disabled => format!("{arn} is disabled."),
        KeyState::Unavailable => format!("{arn} is unavailable."),
        other => format!("{arn} is {other}."),
    };
    KmsError::new(ErrorKind::KmsInvalidState, msg)
}

/// The state check of cryptographic operations: Enabled passes, Disabled gives
/// DisabledException, every other state KMSInvalidStateException.
pub fn require_usable(key: &KeyRecord) -> KmsResult<()> {
    match key.key_state {
        KeyState::Enabled => Ok(()),
        KeyState::Disabled => Err(KmsError::disabled(&key.arn())),
        _ => Err(invalid_state(key)),
    }
}

/// The state check of management operations that are refused only while a
/// key is pending deletion (or import).
pub fn require_not_pending(key: &KeyRecord) -> KmsResult<()> {
    match key.key_state {
        KeyState::PendingDeletion | KeyState::PendingReplicaDeletion => Err(invalid_state(key)),
        _ => Ok(()),
    }
}
