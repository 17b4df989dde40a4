//! Key rotation shared by the rotation operations and the scheduler: which
//! keys may rotate, and adding a new material version. Old versions stay, so
//! ciphertexts made before a rotation still decrypt.

use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::key::model::{KeyManager, KeyRecord, KeySpec, Origin, RotationType};
use crate::key::root_key::RootKey;

/// AWS's default automatic rotation period.
pub const DEFAULT_PERIOD_DAYS: u32 = 365;
/// Seconds in a day.
pub const DAY: f64 = 86_400.0;

/// Rotation is only for symmetric encryption keys with AWS_KMS material.
pub fn require_rotatable(key: &KeyRecord) -> KmsResult<()> {
    if key.key_spec != KeySpec::SymmetricDefault {
        return Err(KmsError::new(
            ErrorKind::UnsupportedOperation,
            format!(
                "{} has key spec {}; automatic and on-demand rotation are supported only for symmetric encryption keys.",
                key.arn(),
                key.key_spec
            ),
        ));
    }
    if key.origin != Origin::AwsKms {
        return Err(KmsError::new(
            ErrorKind::UnsupportedOperation,
            format!("{} has origin {}; rotation is not supported.", key.arn(), key.origin),
        ));
    }
    if key.key_manager == KeyManager::Aws {
        return Err(KmsError::new(ErrorKind::UnsupportedOperation, format!("{} is an AWS managed key.", key.arn())));
    }
    Ok(())
}

/// RotateKeyOnDemand and ListKeyRotations also take symmetric keys with
/// imported material (EXTERNAL origin), which rotate to material imported as
/// NEW_KEY_MATERIAL; automatic rotation does not.
pub fn require_rotatable_on_demand(key: &KeyRecord) -> KmsResult<()> {
    if key.origin == Origin::External && key.key_spec == KeySpec::SymmetricDefault && key.custom_key_store_id.is_none()
    {
        return Ok(());
    }
    require_rotatable(key)
}

/// Rotation settings and rotations of a multi-Region key are the primary's
/// to change: replicas share them (AWS refuses them on a replica).
pub fn require_not_replica(key: &KeyRecord) -> KmsResult<()> {
    if crate::key::multi_region::is_replica(key) {
        return Err(crate::key::multi_region::not_primary(key));
    }
    Ok(())
}

/// Adds a new material version to `key`.
pub fn add_material(root: &RootKey, now: f64, key: &mut KeyRecord, kind: RotationType) -> KmsResult<()> {
    let m = crate::key::sealing::new_material(root, now, &key.key_id, Some(kind))?;
    key.materials.push(m);
    Ok(())
}

/// The next automatic rotation after `now` for `period_days`.
pub fn next_rotation(now: f64, period_days: u32) -> f64 {
    (now + f64::from(period_days) * DAY).round()
}
