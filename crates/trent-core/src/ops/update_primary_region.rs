//! UpdatePrimaryRegion: makes the replica in another region the primary key
//! of a multi-Region key, and the current primary one of its replicas.

use serde::Deserialize;

use crate::access::authorize::Access;
use crate::access::caller::Caller;
use crate::error::{KmsError, KmsResult};
use crate::key::arn::key_arn;
use crate::key::model::{KeyRecord, KeyState, store_id};
use crate::key::multi_region::{self, MultiRegionSet, not_primary, set_of, set_set};
use crate::key::state::invalid_state;
use crate::kms::Kms;
use crate::operation::Operation;
use crate::wire::validate::Validator;

/// UpdatePrimaryRegion request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub key_id: Option<String>,
    pub primary_region: Option<String>,
}

/// Runs UpdatePrimaryRegion.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<super::Empty> {
    let mut v = Validator::new();
    v.key_id("keyId", req.key_id.as_deref(), true);
    v.required("primaryRegion", &req.primary_region);
    multi_region::validate_region(&mut v, "primaryRegion", req.primary_region.as_deref());
    let (key_ref, new_region) = v.finish_with((req.key_id.as_deref(), req.primary_region.as_deref()))?;
    let access = Access::new("UpdatePrimaryRegion").region("kms:PrimaryRegion", new_region);
    let primary = kms.resolve_key_only(caller, key_ref, &access).await?;
    // Charged as two requests, one in each region involved.
    kms.admit_key(caller, Operation::UpdatePrimaryRegion, &primary.record).await?;
    let in_new_region = Caller { region: new_region.to_owned(), ..caller.clone() };
    kms.admit_key(&in_new_region, Operation::UpdatePrimaryRegion, &primary.record).await?;
    let primary = &primary.record;
    let Some(set) = set_of(primary).filter(|s| s.primary_region == primary.region) else {
        return Err(not_primary(primary));
    };
    require_updatable(primary)?;
    if new_region == primary.region {
        return Err(KmsError::validation(format!("{} is already the primary key in {new_region}.", primary.arn())));
    }
    let new_arn = key_arn(new_region, &primary.account_id, &primary.key_id);
    let replica = match set.has_region(new_region) {
        true => kms.load_key(&store_id(&primary.key_id, new_region)).await?,
        false => None,
    };
    let Some(replica) = replica else { return Err(KmsError::key_not_found(&new_arn)) };
    // The replica's own key policy must allow it too (in its region).
    kms.authorize(&in_new_region, &replica, &access, None).await?;
    require_updatable(&replica.record)?;
    let swapped = MultiRegionSet {
        primary_region: new_region.to_owned(),
        replica_regions: set
            .replica_regions
            .iter()
            .map(|r| if r == new_region { primary.region.clone() } else { r.clone() })
            .collect(),
    };
    let apply = |k: &mut KeyRecord| set_set(k, &swapped);
    // The new primary first: from then on every read of it sees the new set.
    let new_primary = kms.update_key(&replica.record.store_id(), apply).await?;
    kms.update_related_keys(&new_primary.record, apply).await?;
    Ok(super::Empty {})
}

/// The key states UpdatePrimaryRegion works in (the rest are AWS's
/// DisabledException / KMSInvalidStateException).
fn require_updatable(key: &KeyRecord) -> KmsResult<()> {
    match key.key_state {
        KeyState::Enabled | KeyState::PendingImport => Ok(()),
        KeyState::Disabled => Err(KmsError::disabled(&key.arn())),
        _ => Err(invalid_state(key)),
    }
}
