//! DeleteImportedKeyMaterial: removes imported material; the key goes to
//! PendingImport (it stays PendingDeletion if deletion is scheduled) until
//! the same material is imported again. On symmetric keys `KeyMaterialId`
//! picks the material (the current one by default); material only pending
//! rotation is dissociated and the key state stays.

use serde::{Deserialize, Serialize};

use crate::access::authorize::Access;
use crate::access::caller::Caller;
use crate::error::KmsResult;
use crate::key::model::KeySpec;
use crate::kms::Kms;
use crate::operation::Operation;
use crate::wire::validate::Validator;

/// DeleteImportedKeyMaterial request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub key_id: Option<String>,
    pub key_material_id: Option<String>,
}

/// DeleteImportedKeyMaterial response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<String>,
}

/// Runs DeleteImportedKeyMaterial.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let key_id = Validator::new()
        .key_id("keyId", req.key_id.as_deref(), true)
        .str_len("keyMaterialId", req.key_material_id.as_deref(), 64, 64)
        .pattern("keyMaterialId", req.key_material_id.as_deref(), "^[a-f0-9]+$", |s| {
            s.chars().all(|c| matches!(c, 'a'..='f' | '0'..='9'))
        })
        .finish_with(req.key_id)?;
    let key = kms.resolve_key_only(caller, &key_id, &Access::new("DeleteImportedKeyMaterial")).await?;
    kms.admit_key(caller, Operation::DeleteImportedKeyMaterial, &key.record).await?;
    let mut removed = None;
    let updated = kms
        .update_key(&key.record.store_id(), |k| {
            crate::key::import::require_external(k)?;
            if crate::key::imported_materials::applies(k) {
                removed = crate::key::imported_materials::delete(k, req.key_material_id.as_deref())?;
                return Ok(());
            }
            removed = k.materials.last().map(|m| m.id.clone());
            crate::key::import::remove_material(k);
            Ok(())
        })
        .await?;
    let symmetric = updated.record.key_spec == KeySpec::SymmetricDefault;
    Ok(Response { key_id: updated.arn(), key_material_id: removed.filter(|_| symmetric) })
}
