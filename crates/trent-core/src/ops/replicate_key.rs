//! ReplicateKey: a replica of a multi-Region primary key in another region of
//! the same account, with the primary's id, material and shared properties
//! and its own policy, tags and description.

use serde::{Deserialize, Serialize};

use crate::access::authorize::Access;
use crate::access::caller::Caller;
use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::key::metadata::KeyMetadata;
use crate::key::model::{KeyRecord, KeyState, Origin, Tag};
use crate::key::multi_region::{self, copy_shared, not_primary, set_of, set_set};
use crate::key::state::invalid_state;
use crate::key::tags::TagInput;
use crate::kms::{Kms, store_err};
use crate::operation::Operation;
use crate::quota::resource::ResourceQuota;
use crate::store::StoreError;
use crate::wire::validate::Validator;

/// ReplicateKey request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub key_id: Option<String>,
    pub replica_region: Option<String>,
    pub policy: Option<String>,
    pub bypass_policy_lockout_safety_check: Option<bool>,
    pub description: Option<String>,
    pub tags: Option<Vec<TagInput>>,
}

/// ReplicateKey response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub replica_key_metadata: KeyMetadata,
    pub replica_policy: String,
    pub replica_tags: Vec<Tag>,
}

/// Runs ReplicateKey.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let mut v = Validator::new();
    v.key_id("keyId", req.key_id.as_deref(), true);
    v.required("replicaRegion", &req.replica_region);
    multi_region::validate_region(&mut v, "replicaRegion", req.replica_region.as_deref());
    crate::access::policy::checks::validate_policy_member(&mut v, req.policy.as_deref());
    v.str_len("description", req.description.as_deref(), 0, 8192);
    crate::key::tags::validate(&mut v, req.tags.as_deref());
    let (key_ref, region) = v.finish_with((req.key_id.as_deref(), req.replica_region.as_deref()))?;
    let access = Access::new("ReplicateKey").region("kms:ReplicaRegion", region);
    let primary = kms.resolve_key_only(caller, key_ref, &access).await?;
    // AWS counts one ReplicateKey in the primary's region and two CreateKey
    // requests (one a dry run) in the replica's region.
    kms.admit_key(caller, Operation::ReplicateKey, &primary.record).await?;
    let in_replica_region = Caller { region: region.to_owned(), ..caller.clone() };
    for _ in 0..2 {
        kms.admit(&in_replica_region, Operation::CreateKey).await?;
    }
    let primary = &primary.record;
    let Some(mut set) = set_of(primary).filter(|s| s.primary_region == primary.region) else {
        return Err(not_primary(primary));
    };
    match primary.key_state {
        KeyState::Enabled | KeyState::PendingImport => {}
        KeyState::Disabled => return Err(KmsError::disabled(&primary.arn())),
        _ => return Err(invalid_state(primary)),
    }
    if set.has_region(region) {
        return Err(already_exists(primary, region));
    }
    let (policy, parsed_policy) = crate::access::policy::checks::initial_policy(req.policy, &caller.account_id)?;
    let mut tags = Vec::new();
    crate::key::tags::merge(&mut tags, req.tags.as_deref().unwrap_or_default())?;
    set.replica_regions.push(region.to_owned());
    let mut replica = KeyRecord {
        region: region.to_owned(),
        version: 1,
        creation_date: kms.now(),
        description: req.description.unwrap_or_default(),
        deletion_date: None,
        pending_deletion_window_days: None,
        policy,
        tags,
        ext: Default::default(),
        materials: Vec::new(),
        rotation: Default::default(),
        valid_to: None,
        expiration_model: None,
        ..primary.clone()
    };
    set_set(&mut replica, &set)?;
    // Imported material is not replicated: the same material must be
    // imported into the replica (AWS's rule).
    if primary.origin == Origin::External {
        replica.key_state = KeyState::PendingImport;
        replica.rotation = primary.rotation.clone();
        // ... and only that material: ImportKeyMaterial refuses any other.
        let imported = crate::key::import::EXT_IMPORTED_MATERIAL_ID;
        if let Some(id) = primary.ext.get(imported) {
            replica.ext.insert(imported.to_owned(), id.clone());
        }
    } else {
        replica.key_state = KeyState::Enabled;
        copy_shared(primary, &mut replica);
    }
    if let Some(parsed) = &parsed_policy
        && req.bypass_policy_lockout_safety_check != Some(true)
    {
        crate::access::authorize::check_lockout(parsed, caller, &replica)?;
    }
    let limit = kms.resource_limit(&replica.account_id, region, ResourceQuota::Keys);
    match ResourceQuota::Keys.check(limit, kms.store.insert_key_capped(&replica, limit).await)? {
        Ok(()) => announce_replica(kms, primary, region).await?,
        // The replica is there but the primary did not list it: an earlier
        // ReplicateKey stopped between its writes. Finish them, then refuse.
        Err(StoreError::AlreadyExists) => {
            announce_replica(kms, primary, region).await?;
            return Err(already_exists(primary, region));
        }
        Err(e) => return Err(store_err(e)),
    }
    Ok(Response {
        replica_policy: replica.policy.clone(),
        replica_tags: replica.tags.clone(),
        replica_key_metadata: KeyMetadata::of(&replica),
    })
}

/// The primary, then every other related key, learns of the replica in
/// `region` (written after the replica itself, so the set never names a
/// replica that does not exist). Idempotent.
async fn announce_replica(kms: &Kms, primary: &KeyRecord, region: &str) -> KmsResult<()> {
    let add = |k: &mut KeyRecord| {
        let Some(mut s) = set_of(k) else { return Ok(()) };
        if !s.has_region(region) {
            s.replica_regions.push(region.to_owned());
        }
        set_set(k, &s)
    };
    let updated = kms.update_key(&primary.store_id(), add).await?;
    kms.update_related_keys(&updated.record, |k| if k.region == region { Ok(()) } else { add(k) }).await
}

/// AlreadyExistsException: `region` already holds a key of the set.
fn already_exists(primary: &KeyRecord, region: &str) -> KmsError {
    KmsError::new(
        ErrorKind::AlreadyExists,
        format!(
            "Replica key {} already exists.",
            crate::key::arn::key_arn(region, &primary.account_id, &primary.key_id)
        ),
    )
}
