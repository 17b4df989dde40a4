//! New material versions: fresh random or generated key material, sealed
//! under the root key with a fresh material id, ready to store on a key.

use crate::error::{KmsError, KmsResult};
use crate::key::crypto::random_bytes;
use crate::key::model::{KeyRecord, KeySpec, RotationType, StoredMaterial};
use crate::key::root_key::RootKey;

/// Makes new random 256-bit symmetric material for `key_id`, created at `now`.
pub fn new_material(
    root: &RootKey,
    now: f64,
    key_id: &str,
    rotation_type: Option<RotationType>,
) -> KmsResult<StoredMaterial> {
    let material = random_bytes(32)?;
    seal_material(root, now, key_id, &material, rotation_type)
}

/// Makes fresh RSA, ECC or HMAC material (on the blocking pool: RSA key
/// generation takes up to a second), sealed under the root key.
pub async fn new_key_pair_material(root: &RootKey, now: f64, key_id: &str, spec: KeySpec) -> KmsResult<StoredMaterial> {
    let material = tokio::task::spawn_blocking(move || crate::key::material::generate(spec))
        .await
        .map_err(|e| KmsError::internal(format!("key generation task failed: {e}")))??;
    seal_material(root, now, key_id, &material, None)
}

/// Seals `material` under the root key as a new material version with a fresh id.
pub fn seal_material(
    root: &RootKey,
    now: f64,
    key_id: &str,
    material: &[u8],
    rotation_type: Option<RotationType>,
) -> KmsResult<StoredMaterial> {
    let id = hex::encode(&random_bytes(32)?[..]);
    let wrapped = root.seal_material(key_id, &id, material)?;
    Ok(StoredMaterial { id, created: now, rotation_type, wrapped })
}

/// Re-seals every material version of `record` under the root key's current
/// key (see [`RootKey::with_previous`]); returns whether anything changed.
/// Material ids stay, so ciphertexts made before still decrypt.
pub fn reseal_record(root: &RootKey, record: &mut KeyRecord) -> KmsResult<bool> {
    let mut changed = false;
    // Deleted imported material keeps its place with nothing sealed.
    for m in record.materials.iter_mut().filter(|m| !m.wrapped.is_empty()) {
        if let Some(wrapped) = root.reseal(&record.key_id, &m.id, &m.wrapped)? {
            m.wrapped = wrapped;
            changed = true;
        }
    }
    Ok(changed)
}
