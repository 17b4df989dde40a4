//! Writing every key of a multi-Region set (see [`crate::key::multi_region`]):
//! what related keys share follows the primary, and each one's record of the
//! set follows ReplicateKey, UpdatePrimaryRegion and deletions.

use crate::error::{ErrorKind, KmsResult};
use crate::key::model::{KeyRecord, KeyState, store_id};
use crate::key::multi_region::{copy_shared, set_of, set_set};
use crate::store::StoreError;

use super::{Kms, store_err};

impl Kms {
    /// Applies `change` to every key related to `key` (not `key` itself),
    /// each with its own compare-and-swap. A related key deleted meanwhile is
    /// skipped. Nothing to do for a single-Region key.
    pub async fn update_related_keys<F>(&self, key: &KeyRecord, mut change: F) -> KmsResult<()>
    where
        F: FnMut(&mut KeyRecord) -> KmsResult<()>,
    {
        let Some(set) = set_of(key) else { return Ok(()) };
        for region in set.regions().filter(|r| *r != key.region) {
            match self.update_key(&store_id(&key.key_id, region), &mut change).await {
                Ok(_) => {}
                Err(e) if e.kind == ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Gives every replica of `primary` its material and rotation settings,
    /// after the primary rotated or changed its rotation.
    pub async fn share_with_replicas(&self, primary: &KeyRecord) -> KmsResult<()> {
        self.update_related_keys(primary, |k| {
            copy_shared(primary, k);
            Ok(())
        })
        .await
    }

    /// Brings a replica's shared properties up to its primary's, if they lag
    /// (the primary rotated but a write to this replica did not happen, e.g.
    /// the process stopped in between). The scheduler calls it for a replica
    /// whose rotation came due, which is exactly the sign of such a lag.
    pub(crate) async fn follow_primary(&self, replica: &KeyRecord) -> KmsResult<()> {
        let Some(set) = set_of(replica).filter(|s| s.primary_region != replica.region) else { return Ok(()) };
        let Some(primary) = self.related_key(&replica.key_id, &set.primary_region).await? else { return Ok(()) };
        let lags = |k: &KeyRecord| k.materials != primary.materials || k.rotation != primary.rotation;
        if !lags(replica) {
            return Ok(());
        }
        match self
            .update_key(&replica.store_id(), |k| {
                if lags(k) {
                    copy_shared(&primary, k);
                }
                Ok(())
            })
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// After the deletion of the multi-Region key `deleted`: the other keys of
    /// its set forget it, and a primary that waited for its last replica to go
    /// (PendingReplicaDeletion) starts its own waiting period (PendingDeletion).
    pub(crate) async fn forget_deleted_related_key(&self, deleted: &KeyRecord) -> KmsResult<()> {
        let now = self.now();
        self.update_related_keys(deleted, |k| {
            let Some(mut set) = set_of(k) else { return Ok(()) };
            set.replica_regions.retain(|r| *r != deleted.region);
            set_set(k, &set)?;
            if k.key_state == KeyState::PendingReplicaDeletion && set.replica_regions.is_empty() {
                let days = k.pending_deletion_window_days.unwrap_or(30);
                k.key_state = KeyState::PendingDeletion;
                k.deletion_date = Some((now + f64::from(days) * 86_400.0).round());
            }
            Ok(())
        })
        .await
    }

    /// Reads the multi-Region key `key_id` of `region`, if it exists.
    pub async fn related_key(&self, key_id: &str, region: &str) -> KmsResult<Option<KeyRecord>> {
        match self.store.get_key(&store_id(key_id, region)).await {
            Ok(k) => Ok(k),
            Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(store_err(e)),
        }
    }
}
