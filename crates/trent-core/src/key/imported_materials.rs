//! Several imported materials on one symmetric EXTERNAL key, as AWS has had
//! since imported keys rotate on demand: ImportKeyMaterial with `ImportType`
//! NEW_KEY_MATERIAL stages material as PENDING_ROTATION, RotateKeyOnDemand
//! makes it current, EXISTING_KEY_MATERIAL re-imports material already
//! associated, DeleteImportedKeyMaterial takes one material away by id.
//!
//! Each material's import facts (description, expiry, pending or deleted,
//! rotation date) live in the record's `ext` map under [`EXT_KEY`], keyed by
//! material id, so no store schema changes and records written before keep
//! working: a material without an entry takes the key-level ExpirationModel
//! and ValidTo if it is current. A deleted material keeps its place in
//! `materials` with empty `wrapped` (AWS's ImportState PENDING_IMPORT), so the
//! rotation order and the ids old ciphertexts name survive until it returns.
//! Asymmetric and HMAC keys keep one material and the behavior of
//! `key/import.rs`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::key::model::{ExpirationModel, KeyRecord, KeySpec, KeyState, RotationType, StoredMaterial};
use crate::wire::aws_enum::wire_enum;

/// The `ext` field holding the per-material import facts.
pub const EXT_KEY: &str = "imported_materials";

wire_enum!(
    /// Whether ImportKeyMaterial brings new or already associated material (`ImportType`).
    ImportType { NewKeyMaterial = "NEW_KEY_MATERIAL", ExistingKeyMaterial = "EXISTING_KEY_MATERIAL" }
);

/// What AWS reports of one imported material.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MaterialImport {
    /// `KeyMaterialDescription`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Imported as NEW_KEY_MATERIAL and not yet made current by RotateKeyOnDemand.
    #[serde(default)]
    pub pending_rotation: bool,
    /// Deleted (or expired): ImportState PENDING_IMPORT until re-imported.
    #[serde(default)]
    pub deleted: bool,
    /// `ExpirationModel` of the last import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_model: Option<ExpirationModel>,
    /// `ValidTo` of the last import, epoch seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<f64>,
    /// When RotateKeyOnDemand made it current, epoch seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation_date: Option<f64>,
}

/// Import facts by material id.
pub type Imports = BTreeMap<String, MaterialImport>;

/// Whether `key` holds several imported materials (a symmetric EXTERNAL key).
pub fn applies(key: &KeyRecord) -> bool {
    key.key_spec == KeySpec::SymmetricDefault && key.origin == crate::key::model::Origin::External
}

/// The import facts of `key`, with an entry for every material (records
/// written before per-material facts existed get them from the key level).
pub fn read(key: &KeyRecord) -> Imports {
    let mut imports: Imports =
        key.ext.get(EXT_KEY).and_then(|v| serde_json::from_value(v.clone()).ok()).unwrap_or_default();
    let current = current_index_in(key, &imports);
    for (i, m) in key.materials.iter().enumerate() {
        imports.entry(m.id.clone()).or_insert_with(|| {
            let is_current = Some(i) == current;
            MaterialImport {
                expiration_model: key.expiration_model.filter(|_| is_current),
                valid_to: key.valid_to.filter(|_| is_current),
                ..MaterialImport::default()
            }
        });
    }
    imports
}

fn write(key: &mut KeyRecord, imports: &Imports) -> KmsResult<()> {
    let v = serde_json::to_value(imports).map_err(KmsError::internal)?;
    key.ext.insert(EXT_KEY.to_owned(), v);
    Ok(())
}

fn current_index_in(key: &KeyRecord, imports: &Imports) -> Option<usize> {
    key.materials.iter().rposition(|m| !imports.get(&m.id).is_some_and(|i| i.pending_rotation))
}

/// Whether material `id` of `key` is staged for rotation (never used for crypto before it).
pub fn is_pending(key: &KeyRecord, id: &str) -> bool {
    applies(key)
        && key
            .ext
            .get(EXT_KEY)
            .and_then(|v| v.get(id))
            .and_then(|v| v.get("pending_rotation"))
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false)
}

/// The material that encrypts: the newest one not pending rotation.
pub fn current(key: &KeyRecord) -> Option<&StoredMaterial> {
    key.materials.iter().rev().find(|m| !is_pending(key, &m.id))
}

/// Keeps the key-level ExpirationModel / ValidTo (DescribeKey's) equal to the
/// current material's, and the key state to AWS's rule: PendingImport while any
/// material associated with the key is missing, Enabled once all are back.
fn settle(key: &mut KeyRecord, imports: &Imports) {
    let current = current_index_in(key, imports).and_then(|i| imports.get(&key.materials[i].id));
    key.expiration_model = current.filter(|c| !c.deleted).and_then(|c| c.expiration_model);
    key.valid_to = current.filter(|c| !c.deleted).and_then(|c| c.valid_to);
    if key.key_state == KeyState::PendingDeletion {
        return;
    }
    let missing = key.materials.is_empty()
        || key.materials.iter().any(|m| imports.get(&m.id).is_some_and(|i| i.deleted && !i.pending_rotation));
    if missing {
        key.key_state = KeyState::PendingImport;
    } else if key.key_state == KeyState::PendingImport {
        key.key_state = KeyState::Enabled;
    }
}

/// One ImportKeyMaterial into a symmetric EXTERNAL key, after the material
/// was unwrapped and checked: `id` is its material id, `wrapped` it sealed.
pub struct Import<'a> {
    /// NEW_KEY_MATERIAL or EXISTING_KEY_MATERIAL (already defaulted).
    pub import_type: ImportType,
    /// The material id computed from the material.
    pub id: &'a str,
    /// The material sealed under the root key.
    pub wrapped: &'a [u8],
    /// When it was imported.
    pub now: f64,
    /// `KeyMaterialDescription` (None keeps the one given before).
    pub description: Option<&'a str>,
    /// `ExpirationModel`.
    pub expiration_model: ExpirationModel,
    /// `ValidTo`.
    pub valid_to: Option<f64>,
}

/// Applies an import to `key` (inside a compare-and-swap update).
pub fn import(key: &mut KeyRecord, first_id: Option<&str>, i: &Import<'_>) -> KmsResult<()> {
    let mut imports = read(key);
    let position = key.materials.iter().position(|m| m.id == i.id);
    let fresh = |pending: bool| MaterialImport {
        description: i.description.map(str::to_owned),
        pending_rotation: pending,
        deleted: false,
        expiration_model: Some(i.expiration_model),
        valid_to: i.valid_to,
        rotation_date: None,
    };
    match (i.import_type, position) {
        (ImportType::NewKeyMaterial, Some(_)) => {
            return Err(KmsError::new(
                ErrorKind::IncorrectKeyMaterial,
                format!(
                    "The key material is already associated with {}. Use ImportType EXISTING_KEY_MATERIAL.",
                    key.arn()
                ),
            ));
        }
        (ImportType::NewKeyMaterial, None) => {
            if let Some((pending, _)) = imports.iter().find(|(_, m)| m.pending_rotation) {
                // AWS's words, as recorded.
                return Err(KmsError::new(
                    ErrorKind::KmsInvalidState,
                    format!(
                        "New key material (id: {}) cannot be imported into KMS key {}, because another key material (id: {pending}) is pending rotation.",
                        i.id, key.key_id
                    ),
                ));
            }
            let first = key.materials.is_empty() && first_id.is_none();
            key.materials.push(StoredMaterial {
                id: i.id.to_owned(),
                created: i.now,
                rotation_type: None,
                wrapped: i.wrapped.to_vec(),
            });
            imports.insert(i.id.to_owned(), fresh(!first));
        }
        (ImportType::ExistingKeyMaterial, Some(p)) => {
            key.materials[p].wrapped = i.wrapped.to_vec();
            let entry = imports.entry(i.id.to_owned()).or_default();
            entry.deleted = false;
            entry.expiration_model = Some(i.expiration_model);
            entry.valid_to = i.valid_to;
            if let Some(d) = i.description {
                entry.description = Some(d.to_owned());
            }
        }
        // Material deleted before per-material records existed: the key kept only its id.
        (ImportType::ExistingKeyMaterial, None) if key.materials.is_empty() && first_id == Some(i.id) => {
            key.materials.push(StoredMaterial {
                id: i.id.to_owned(),
                created: i.now,
                rotation_type: None,
                wrapped: i.wrapped.to_vec(),
            });
            imports.insert(i.id.to_owned(), fresh(false));
        }
        (ImportType::ExistingKeyMaterial, None) => {
            return Err(KmsError::new(
                ErrorKind::IncorrectKeyMaterial,
                format!("The key material does not match the key material previously imported into {}.", key.arn()),
            ));
        }
    }
    write(key, &imports)?;
    settle(key, &imports);
    Ok(())
}

/// DeleteImportedKeyMaterial on a symmetric EXTERNAL key: the material `id`
/// (the current one when `None`) becomes PENDING_IMPORT, or, if it was only
/// pending rotation, is dissociated. Returns the id deleted.
pub fn delete(key: &mut KeyRecord, id: Option<&str>) -> KmsResult<Option<String>> {
    let mut imports = read(key);
    let target = match id {
        Some(id) => id.to_owned(),
        None => match current_index_in(key, &imports) {
            Some(i) => key.materials[i].id.clone(),
            None => return Ok(None),
        },
    };
    let Some(p) = key.materials.iter().position(|m| m.id == target) else {
        return Err(KmsError::new(
            ErrorKind::NotFound,
            format!("Key material {target} is not associated with {}.", key.arn()),
        ));
    };
    if imports.get(&target).is_some_and(|m| m.pending_rotation) {
        key.materials.remove(p);
        imports.remove(&target);
    } else {
        key.materials[p].wrapped.clear();
        let entry = imports.entry(target.clone()).or_default();
        entry.deleted = true;
        entry.expiration_model = None;
        entry.valid_to = None;
    }
    write(key, &imports)?;
    settle(key, &imports);
    Ok(Some(target))
}

/// RotateKeyOnDemand on a symmetric EXTERNAL key: the material pending
/// rotation becomes current; without one, KMSInvalidStateException.
pub fn rotate(key: &mut KeyRecord, now: f64) -> KmsResult<()> {
    let mut imports = read(key);
    let pending = key.materials.iter().position(|m| imports.get(&m.id).is_some_and(|i| i.pending_rotation));
    let Some(p) = pending else {
        return Err(KmsError::new(
            ErrorKind::KmsInvalidState,
            // AWS's words, as recorded.
            format!("No available key material pending rotation for the key: {}.", key.arn()),
        ));
    };
    let id = key.materials[p].id.clone();
    key.materials[p].rotation_type = Some(RotationType::OnDemand);
    if let Some(entry) = imports.get_mut(&id) {
        entry.pending_rotation = false;
        entry.rotation_date = Some(now);
    }
    write(key, &imports)?;
    settle(key, &imports);
    Ok(())
}

/// Whether some imported material of `key` has passed its ValidTo.
pub fn expiry_due(key: &KeyRecord, now: f64) -> bool {
    if !applies(key) {
        return key.valid_to.is_some_and(|t| t <= now) && !key.materials.is_empty();
    }
    read(key).values().any(|m| !m.deleted && m.valid_to.is_some_and(|t| t <= now))
}

/// Deletes every imported material of `key` past its ValidTo, as AWS does.
pub fn expire(key: &mut KeyRecord, now: f64) -> KmsResult<()> {
    if !applies(key) {
        if expiry_due(key, now) {
            crate::key::import::remove_material(key);
        }
        return Ok(());
    }
    let expired: Vec<String> = read(key)
        .into_iter()
        .filter(|(_, m)| !m.deleted && m.valid_to.is_some_and(|t| t <= now))
        .map(|(id, _)| id)
        .collect();
    for id in expired {
        delete(key, Some(&id))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::model::{KeyManager, Origin, RotationConfig};

    fn key() -> KeyRecord {
        KeyRecord {
            key_id: "k".into(),
            account_id: "111122223333".into(),
            region: "us-east-1".into(),
            version: 1,
            creation_date: 0.0,
            description: String::new(),
            key_spec: KeySpec::SymmetricDefault,
            key_usage: crate::key::model::KeyUsage::EncryptDecrypt,
            key_state: KeyState::PendingImport,
            origin: Origin::External,
            key_manager: KeyManager::Customer,
            deletion_date: None,
            pending_deletion_window_days: None,
            custom_key_store_id: None,
            multi_region: false,
            valid_to: None,
            expiration_model: None,
            policy: String::new(),
            tags: vec![],
            rotation: RotationConfig::default(),
            materials: vec![],
            ext: Default::default(),
        }
    }

    fn imp<'a>(t: ImportType, id: &'a str, valid_to: Option<f64>) -> Import<'a> {
        Import {
            import_type: t,
            id,
            wrapped: b"sealed",
            now: 1.0,
            description: None,
            expiration_model: if valid_to.is_some() {
                ExpirationModel::KeyMaterialExpires
            } else {
                ExpirationModel::KeyMaterialDoesNotExpire
            },
            valid_to,
        }
    }

    #[test]
    fn new_material_waits_for_rotation_and_expiry_deletes_only_what_expired() {
        let mut k = key();
        import(&mut k, None, &imp(ImportType::NewKeyMaterial, "a", None)).unwrap();
        assert_eq!(k.key_state, KeyState::Enabled);
        import(&mut k, Some("a"), &imp(ImportType::NewKeyMaterial, "b", Some(100.0))).unwrap();
        assert_eq!(current(&k).unwrap().id, "a");
        assert!(is_pending(&k, "b"));
        assert!(import(&mut k, Some("a"), &imp(ImportType::NewKeyMaterial, "c", None)).is_err());
        rotate(&mut k, 5.0).unwrap();
        assert_eq!(current(&k).unwrap().id, "b");
        assert_eq!(k.valid_to, Some(100.0));
        assert!(rotate(&mut k, 6.0).is_err());
        assert!(expiry_due(&k, 100.0) && !expiry_due(&k, 99.0));
        expire(&mut k, 100.0).unwrap();
        assert_eq!(k.key_state, KeyState::PendingImport);
        assert!(k.materials[1].wrapped.is_empty() && !k.materials[0].wrapped.is_empty());
        import(&mut k, Some("a"), &imp(ImportType::ExistingKeyMaterial, "b", None)).unwrap();
        assert_eq!(k.key_state, KeyState::Enabled);
        assert_eq!(k.valid_to, None);
    }
}
