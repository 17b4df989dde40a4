//! CreateKey: a new KMS key (symmetric, RSA, ECC or HMAC) with fresh
//! material, or, with Origin EXTERNAL, one that waits for imported material.

use serde::{Deserialize, Serialize};

use crate::caller::Caller;
use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::model::{KeyManager, KeyRecord, KeySpec, KeyState, KeyUsage, Origin, RotationConfig, StoredMaterial};
use crate::operation::Operation;
use crate::resource_quota::ResourceQuota;
use crate::service::{Kms, store_err};
use crate::validate::Validator;

use super::describe_key::KeyMetadata;
use super::tags::TagInput;

/// CreateKey request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub policy: Option<String>,
    pub description: Option<String>,
    pub key_usage: Option<String>,
    pub customer_master_key_spec: Option<String>,
    pub key_spec: Option<String>,
    pub origin: Option<String>,
    pub custom_key_store_id: Option<String>,
    pub bypass_policy_lockout_safety_check: Option<bool>,
    pub tags: Option<Vec<TagInput>>,
    pub multi_region: Option<bool>,
    pub xks_key_id: Option<String>,
}

/// CreateKey response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub key_metadata: KeyMetadata,
}

/// The key policy AWS attaches when CreateKey gets none: the account root may do everything.
pub fn default_policy(account_id: &str) -> String {
    format!(
        r#"{{
  "Version" : "2012-10-17",
  "Id" : "key-default-1",
  "Statement" : [ {{
    "Sid" : "Enable IAM User Permissions",
    "Effect" : "Allow",
    "Principal" : {{
      "AWS" : "arn:aws:iam::{account_id}:root"
    }},
    "Action" : "kms:*",
    "Resource" : "*"
  }} ]
}}"#
    )
}

/// Makes new random key material, sealed under the root key, with a fresh material id.
pub(crate) fn new_material(
    kms: &Kms,
    key_id: &str,
    rotation_type: Option<crate::model::RotationType>,
) -> KmsResult<StoredMaterial> {
    let material = crate::crypto::random_bytes(32)?;
    let id = hex::encode(&crate::crypto::random_bytes(32)?[..]);
    let wrapped = kms.root.seal_material(key_id, &id, &material)?;
    Ok(StoredMaterial { id, created: kms.now(), rotation_type, wrapped })
}

/// Makes fresh RSA, ECC or HMAC material (on the blocking pool: RSA key
/// generation takes up to a second), sealed under the root key.
pub(crate) async fn new_key_pair_material(kms: &Kms, key_id: &str, spec: KeySpec) -> KmsResult<StoredMaterial> {
    let material = tokio::task::spawn_blocking(move || crate::key_material::generate(spec))
        .await
        .map_err(|e| KmsError::internal(format!("key generation task failed: {e}")))??;
    seal_material(kms, key_id, &material, None)
}

/// Seals `material` under the root key as a new material version with a fresh id.
pub(crate) fn seal_material(
    kms: &Kms,
    key_id: &str,
    material: &[u8],
    rotation_type: Option<crate::model::RotationType>,
) -> KmsResult<StoredMaterial> {
    let id = hex::encode(&crate::crypto::random_bytes(32)?[..]);
    let wrapped = kms.root.seal_material(key_id, &id, material)?;
    Ok(StoredMaterial { id, created: kms.now(), rotation_type, wrapped })
}

/// Runs CreateKey.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let mut v = Validator::new();
    v.str_len("description", req.description.as_deref(), 0, 8192);
    super::put_key_policy::validate_policy_member(&mut v, req.policy.as_deref());
    v.enum_value(
        "keyUsage",
        req.key_usage.as_deref(),
        req.key_usage.as_deref().and_then(KeyUsage::parse).is_some(),
        KeyUsage::wire_list(),
    )
    .enum_value(
        "keySpec",
        req.key_spec.as_deref(),
        req.key_spec.as_deref().and_then(KeySpec::parse).is_some(),
        KeySpec::wire_list(),
    )
    .enum_value(
        "customerMasterKeySpec",
        req.customer_master_key_spec.as_deref(),
        req.customer_master_key_spec.as_deref().and_then(KeySpec::parse).is_some(),
        KeySpec::wire_list(),
    )
    .enum_value(
        "origin",
        req.origin.as_deref(),
        req.origin.as_deref().and_then(Origin::parse).is_some(),
        Origin::wire_list(),
    )
    .str_len("customKeyStoreId", req.custom_key_store_id.as_deref(), 1, 64);
    super::tags::validate(&mut v, req.tags.as_deref());
    v.finish()?;
    if req.key_spec.is_some() && req.customer_master_key_spec.is_some() {
        return Err(KmsError::validation(
            "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.",
        ));
    }
    kms.admit(caller, Operation::CreateKey).await?;
    let spec = req
        .key_spec
        .as_deref()
        .or(req.customer_master_key_spec.as_deref())
        .and_then(KeySpec::parse)
        .unwrap_or(KeySpec::SymmetricDefault);
    let origin = req.origin.as_deref().and_then(Origin::parse).unwrap_or(Origin::AwsKms);
    if req.multi_region == Some(true) {
        return Err(KmsError::new(ErrorKind::UnsupportedOperation, "Trent does not support multi-Region keys yet."));
    }
    let Some(allowed) = super::asymmetric::allowed_usages(spec) else {
        return Err(KmsError::new(
            ErrorKind::UnsupportedOperation,
            format!("Trent does not support KeySpec {spec} yet."),
        ));
    };
    let usage = match req.key_usage.as_deref().and_then(KeyUsage::parse) {
        Some(u) => u,
        None if spec == KeySpec::SymmetricDefault => KeyUsage::EncryptDecrypt,
        None => {
            return Err(KmsError::validation(
                "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.",
            ));
        }
    };
    if !allowed.contains(&usage) {
        return Err(KmsError::validation(format!("KeyUsage {usage} is not compatible with KeySpec {spec}")));
    }
    if !matches!(origin, Origin::AwsKms | Origin::External | Origin::AwsCloudHsm) {
        return Err(KmsError::new(
            ErrorKind::UnsupportedOperation,
            format!("Trent does not support Origin {origin} yet."),
        ));
    }
    let key_store = super::custom_key_store::placement(
        kms,
        caller,
        origin,
        spec,
        usage,
        req.multi_region == Some(true),
        req.custom_key_store_id.as_deref(),
    )
    .await?;
    let (policy, parsed_policy) = match req.policy {
        Some(p) => {
            let parsed = super::put_key_policy::check_policy(&p)?;
            (p, Some(parsed))
        }
        None => (default_policy(&caller.account_id), None),
    };
    let mut tags = Vec::new();
    super::tags::merge(&mut tags, req.tags.as_deref().unwrap_or_default())?;
    let key_id = crate::crypto::random_uuid();
    let (materials, key_state) = if origin == Origin::External {
        (Vec::new(), KeyState::PendingImport)
    } else if spec == KeySpec::SymmetricDefault {
        (vec![new_material(kms, &key_id, None)?], KeyState::Enabled)
    } else {
        (vec![new_key_pair_material(kms, &key_id, spec).await?], KeyState::Enabled)
    };
    let record = KeyRecord {
        key_id,
        account_id: caller.account_id.clone(),
        region: caller.region.clone(),
        version: 1,
        creation_date: kms.now(),
        description: req.description.unwrap_or_default(),
        key_spec: spec,
        key_usage: usage,
        key_state,
        origin,
        key_manager: KeyManager::Customer,
        deletion_date: None,
        pending_deletion_window_days: None,
        custom_key_store_id: key_store.as_ref().map(|s| s.id.clone()),
        multi_region: false,
        valid_to: None,
        expiration_model: None,
        policy,
        tags,
        rotation: RotationConfig::default(),
        materials,
        ext: key_store.as_ref().map(super::custom_key_store::key_ext).unwrap_or_default(),
    };
    if let Some(parsed) = &parsed_policy
        && req.bypass_policy_lockout_safety_check != Some(true)
    {
        super::put_key_policy::check_lockout(parsed, caller, &record)?;
    }
    let limit = kms.resource_limit(&record.account_id, &record.region, ResourceQuota::Keys);
    ResourceQuota::Keys.check(limit, kms.store.insert_key_capped(&record, limit).await)?.map_err(store_err)?;
    let record = super::custom_key_store::settle_new_key(kms, caller, record).await?;
    Ok(Response { key_metadata: KeyMetadata::of(&record) })
}
