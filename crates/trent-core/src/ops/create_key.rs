//! CreateKey: a new KMS key (symmetric, RSA, ECC or HMAC) with fresh
//! material, or, with Origin EXTERNAL, one that waits for imported material.

use serde::{Deserialize, Serialize};

use crate::access::caller::Caller;
use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::key::model::{KeyManager, KeyRecord, KeySpec, KeyState, KeyUsage, Origin, RotationConfig};
use crate::kms::{Kms, store_err};
use crate::operation::Operation;
use crate::quota::resource::ResourceQuota;
use crate::wire::validate::Validator;

use crate::key::metadata::KeyMetadata;
use crate::key::multi_region;
use crate::key::sealing::{new_key_pair_material, new_material};
use crate::key::tags::TagInput;

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

/// Runs CreateKey.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let mut v = Validator::new();
    v.str_len("description", req.description.as_deref(), 0, 8192);
    crate::access::policy::checks::validate_policy_member(&mut v, req.policy.as_deref());
    let usage = v.enum_member::<KeyUsage>("keyUsage", req.key_usage.as_deref());
    let key_spec = v.enum_member::<KeySpec>("keySpec", req.key_spec.as_deref());
    let cmk_spec = v.enum_member::<KeySpec>("customerMasterKeySpec", req.customer_master_key_spec.as_deref());
    let origin = v.enum_member::<Origin>("origin", req.origin.as_deref());
    v.str_len("customKeyStoreId", req.custom_key_store_id.as_deref(), 1, 64);
    crate::key::tags::validate(&mut v, req.tags.as_deref());
    v.finish()?;
    if key_spec.is_some() && cmk_spec.is_some() {
        return Err(KmsError::validation(
            "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.",
        ));
    }
    kms.admit(caller, Operation::CreateKey).await?;
    let spec = key_spec.or(cmk_spec).unwrap_or(KeySpec::SymmetricDefault);
    let origin = origin.unwrap_or(Origin::AwsKms);
    let multi_region = req.multi_region == Some(true);
    let Some(allowed) = crate::key::asymmetric::allowed_usages(spec) else {
        return Err(KmsError::new(
            ErrorKind::UnsupportedOperation,
            format!("Trent does not support KeySpec {spec} yet."),
        ));
    };
    let usage = match usage {
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
    let key_store = crate::custom_key_store::placement(
        kms,
        caller,
        origin,
        spec,
        usage,
        multi_region,
        req.custom_key_store_id.as_deref(),
    )
    .await?;
    let (policy, parsed_policy) = crate::access::policy::checks::initial_policy(req.policy, &caller.account_id)?;
    let mut tags = Vec::new();
    crate::key::tags::merge(&mut tags, req.tags.as_deref().unwrap_or_default())?;
    let key_id = if multi_region { multi_region::new_key_id() } else { crate::key::crypto::random_uuid() };
    let (materials, key_state) = if origin == Origin::External {
        (Vec::new(), KeyState::PendingImport)
    } else if spec == KeySpec::SymmetricDefault {
        (vec![new_material(&kms.root, kms.now(), &key_id, None)?], KeyState::Enabled)
    } else {
        (vec![new_key_pair_material(&kms.root, kms.now(), &key_id, spec).await?], KeyState::Enabled)
    };
    let mut record = KeyRecord {
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
        multi_region,
        valid_to: None,
        expiration_model: None,
        policy,
        tags,
        rotation: RotationConfig::default(),
        materials,
        ext: key_store.as_ref().map(crate::custom_key_store::key_ext).unwrap_or_default(),
    };
    if multi_region {
        let set = multi_region::MultiRegionSet { primary_region: caller.region.clone(), replica_regions: Vec::new() };
        multi_region::set_set(&mut record, &set)?;
    }
    if let Some(parsed) = &parsed_policy
        && req.bypass_policy_lockout_safety_check != Some(true)
    {
        crate::access::authorize::check_lockout(parsed, caller, &record)?;
    }
    let limit = kms.resource_limit(&record.account_id, &record.region, ResourceQuota::Keys);
    ResourceQuota::Keys.check(limit, kms.store.insert_key_capped(&record, limit).await)?.map_err(store_err)?;
    let record = crate::custom_key_store::settle_new_key(kms, caller, record).await?;
    Ok(Response { key_metadata: KeyMetadata::of(&record) })
}
