//! Key rotation shared by the rotation operations and the scheduler: which
//! keys may rotate, and adding a new material version. Old versions stay, so
//! ciphertexts made before a rotation still decrypt.

use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::model::{KeyManager, KeyRecord, KeySpec, Origin, RotationType};
use crate::service::{Kms, require_usable, store_err};

/// AWS's default automatic rotation period.
pub const DEFAULT_PERIOD_DAYS: u32 = 365;
const DAY: f64 = 86_400.0;

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

/// Adds a new material version to `key`.
pub fn add_material(kms: &Kms, key: &mut KeyRecord, kind: RotationType) -> KmsResult<()> {
    let m = super::create_key::new_material(kms, &key.key_id, Some(kind))?;
    key.materials.push(m);
    Ok(())
}

/// The next automatic rotation after `now` for `period_days`.
pub fn next_rotation(now: f64, period_days: u32) -> f64 {
    (now + f64::from(period_days) * DAY).round()
}

/// Rotates every key whose automatic rotation is due; returns how many rotated.
pub async fn rotate_due_keys(kms: &Kms, now: f64) -> KmsResult<usize> {
    let due = kms.store.keys_due_for_rotation(now).await.map_err(store_err)?;
    let mut n = 0;
    for key_id in due {
        let mut rotated = false;
        let r = kms
            .update_key(&key_id, |k| {
                rotated = false;
                let Some(next) = k.rotation.next_rotation.filter(|_| k.rotation.enabled) else { return Ok(()) };
                if next > now || require_usable(k).is_err() {
                    return Ok(());
                }
                add_material(kms, k, RotationType::Automatic)?;
                rotated = true;
                let period = k.rotation.period_days.unwrap_or(DEFAULT_PERIOD_DAYS);
                let mut next = next;
                while next <= now {
                    next += f64::from(period) * DAY;
                }
                k.rotation.next_rotation = Some(next);
                Ok(())
            })
            .await;
        match r {
            Ok(_) if rotated => n += 1,
            Ok(_) => {}
            Err(e) if e.kind == ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
