//! ImportKeyMaterial: unwraps material with the token's wrapping key, checks it
//! fits the key, and makes an EXTERNAL key usable (PendingImport → Enabled),
//! optionally until ValidTo. Asymmetric and HMAC keys take one material, and
//! re-imports must bring it again; symmetric keys also take NEW_KEY_MATERIAL,
//! staged for RotateKeyOnDemand (`key/imported_materials.rs`).

use serde::{Deserialize, Serialize};

use crate::access::authorize::Access;
use crate::access::caller::Caller;
use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::key::model::{ExpirationModel, KeySpec, KeyState, StoredMaterial};
use crate::kms::Kms;
use crate::operation::Operation;
use crate::wire::blob::Blob;
use crate::wire::validate::Validator;

use crate::key::import::{EXT_IMPORTED_MATERIAL_ID, check_material, material_id, open_token, require_external, unwrap};
use crate::key::imported_materials::{self, ImportType};

/// ImportKeyMaterial request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub key_id: Option<String>,
    pub import_token: Option<Blob>,
    pub encrypted_key_material: Option<Blob>,
    pub valid_to: Option<f64>,
    pub expiration_model: Option<String>,
    pub import_type: Option<String>,
    pub key_material_description: Option<String>,
    pub key_material_id: Option<String>,
}

/// ImportKeyMaterial response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<String>,
}

const MAX_VALID_DAYS: f64 = 365.0;

/// Runs ImportKeyMaterial.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let mut v = Validator::new();
    v.key_id("keyId", req.key_id.as_deref(), true)
        .required("importToken", &req.import_token)
        .blob_len("importToken", req.import_token.as_ref().map(|b| &b.0[..]), 1, 6144)
        .required("encryptedKeyMaterial", &req.encrypted_key_material)
        .blob_len("encryptedKeyMaterial", req.encrypted_key_material.as_ref().map(|b| &b.0[..]), 1, 6144);
    let model = v.enum_member::<ExpirationModel>("expirationModel", req.expiration_model.as_deref());
    let import_type = v.enum_member::<ImportType>("importType", req.import_type.as_deref());
    v.str_len("keyMaterialDescription", req.key_material_description.as_deref(), 0, 256).pattern(
        "keyMaterialDescription",
        req.key_material_description.as_deref(),
        "^[a-zA-Z0-9:/_\\s.-]+$",
        |s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c.is_whitespace() || ":/_.-".contains(c)),
    );
    v.str_len("keyMaterialId", req.key_material_id.as_deref(), 64, 64).pattern(
        "keyMaterialId",
        req.key_material_id.as_deref(),
        "^[a-f0-9]+$",
        |s| s.chars().all(|c| matches!(c, 'a'..='f' | '0'..='9')),
    );
    let (key_id, token, wrapped) = v.finish_with((req.key_id, req.import_token, req.encrypted_key_material))?;
    let model = match (model, req.valid_to) {
        (Some(m), _) => m,
        (None, Some(_)) => ExpirationModel::KeyMaterialExpires,
        (None, None) => ExpirationModel::KeyMaterialDoesNotExpire,
    };
    let now = kms.now();
    match (model, req.valid_to) {
        (ExpirationModel::KeyMaterialExpires, None) => {
            return Err(KmsError::validation(
                "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES",
            ));
        }
        (ExpirationModel::KeyMaterialDoesNotExpire, Some(_)) => {
            return Err(KmsError::validation(
                "A validTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE",
            ));
        }
        (ExpirationModel::KeyMaterialExpires, Some(t)) if t <= now || t > now + MAX_VALID_DAYS * 86_400.0 => {
            return Err(KmsError::validation("The validTo date must be in the future and at most 365 days from now."));
        }
        _ => {}
    }
    if import_type == Some(ImportType::NewKeyMaterial) && req.key_material_id.is_some() {
        return Err(KmsError::validation("You cannot specify a KeyMaterialId with ImportType NEW_KEY_MATERIAL."));
    }
    let key = kms.resolve_key_only(caller, &key_id, &Access::new("ImportKeyMaterial")).await?;
    kms.admit_key(caller, Operation::ImportKeyMaterial, &key.record).await?;
    require_external(&key.record)?;
    let several = imported_materials::applies(&key.record);
    if !several && (import_type.is_some() || req.key_material_id.is_some() || req.key_material_description.is_some()) {
        return Err(KmsError::validation(
            "ImportType, KeyMaterialId and KeyMaterialDescription are valid only for symmetric encryption KMS keys.",
        ));
    }
    let token = open_token(&kms.root, kms.now(), &key.record, &token.0)?;
    let material = tokio::task::spawn_blocking(move || unwrap(&token, &wrapped.0))
        .await
        .map_err(|e| KmsError::internal(format!("unwrap task failed: {e}")))??;
    check_material(&key.record, &material)?;
    let id = material_id(&key.record.key_id, &material);
    if req.key_material_id.as_deref().is_some_and(|want| want != id) {
        return Err(KmsError::new(
            ErrorKind::IncorrectKeyMaterial,
            "The key material does not match the KeyMaterialId given.",
        ));
    }
    let wrapped = kms.root.seal_material(&key.record.key_id, &id, &material)?;
    let created = now;
    let updated = kms
        .update_key(&key.record.store_id(), |k| {
            require_external(k)?;
            if imported_materials::applies(k) {
                let first = k.ext.get(EXT_IMPORTED_MATERIAL_ID).and_then(|v| v.as_str()).map(str::to_owned);
                let import_type = import_type.unwrap_or(if first.is_none() {
                    ImportType::NewKeyMaterial
                } else {
                    ImportType::ExistingKeyMaterial
                });
                let import = imported_materials::Import {
                    import_type,
                    id: &id,
                    wrapped: &wrapped,
                    now: created,
                    description: req.key_material_description.as_deref(),
                    expiration_model: model,
                    valid_to: req.valid_to.filter(|_| model == ExpirationModel::KeyMaterialExpires),
                };
                imported_materials::import(k, first.as_deref(), &import)?;
                if first.is_none() {
                    k.ext.insert(EXT_IMPORTED_MATERIAL_ID.to_owned(), serde_json::Value::String(id.clone()));
                }
                return Ok(());
            }
            match k.ext.get(EXT_IMPORTED_MATERIAL_ID).and_then(|v| v.as_str()) {
                Some(first) if first != id => {
                    return Err(KmsError::new(
                        ErrorKind::IncorrectKeyMaterial,
                        format!(
                            "The key material does not match the key material previously imported into {}.",
                            k.arn()
                        ),
                    ));
                }
                Some(_) => {}
                None => {
                    k.ext.insert(EXT_IMPORTED_MATERIAL_ID.to_owned(), serde_json::Value::String(id.clone()));
                }
            }
            k.materials =
                vec![StoredMaterial { id: id.clone(), created, rotation_type: None, wrapped: wrapped.clone() }];
            k.expiration_model = Some(model);
            k.valid_to = req.valid_to.filter(|_| model == ExpirationModel::KeyMaterialExpires);
            if k.key_state == KeyState::PendingImport {
                k.key_state = KeyState::Enabled;
            }
            Ok(())
        })
        .await?;
    let symmetric = updated.record.key_spec == KeySpec::SymmetricDefault;
    Ok(Response { key_id: updated.arn(), key_material_id: symmetric.then_some(id) })
}
