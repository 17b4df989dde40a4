//! Work that comes due with time: deletions whose waiting period ended and
//! automatic rotations.

use crate::error::{ErrorKind, KmsResult};
use crate::key::model::RotationType;
use crate::key::multi_region::is_replica;
use crate::key::rotation::{DAY, DEFAULT_PERIOD_DAYS, add_material};
use crate::key::state::require_usable;
use crate::store::StoreError;

use super::{DueWork, Kms, store_err};

impl Kms {
    /// Runs the work that comes due with time: deletes keys whose waiting
    /// period is over and performs automatic rotations. The server calls this
    /// periodically; tests call it after moving the clock.
    pub async fn run_due_work(&self) -> KmsResult<DueWork> {
        let now = self.now();
        let mut done = DueWork::default();
        for key_id in self.store.keys_due_for_deletion(now).await.map_err(store_err)? {
            // A multi-Region key's set learns of its deletion (read before it goes).
            let related = self.store.get_key(&key_id).await.map_err(store_err)?.filter(|k| k.multi_region);
            match self.store.delete_key(&key_id).await {
                Ok(()) | Err(StoreError::NotFound) => {
                    self.cache.remove(&key_id);
                    done.deleted += 1;
                }
                Err(e) => return Err(store_err(e)),
            }
            if let Some(deleted) = &related {
                self.forget_deleted_related_key(deleted).await?;
            }
            self.forget_key_use(&key_id).await?;
            // A deleted key's grants go with it.
            for grant in
                self.store.list_docs(crate::access::grants::DOC_KIND, Some(&key_id)).await.map_err(store_err)?
            {
                match self.store.delete_doc(&grant.kind, &grant.scope, &grant.id).await {
                    Ok(()) | Err(StoreError::NotFound) => {}
                    Err(e) => return Err(store_err(e)),
                }
            }
        }
        done.rotated = self.rotate_due_keys(now).await?;
        Ok(done)
    }

    /// Rotates every key whose automatic rotation is due; returns how many rotated.
    async fn rotate_due_keys(&self, now: f64) -> KmsResult<usize> {
        let due = self.store.keys_due_for_rotation(now).await.map_err(store_err)?;
        let mut n = 0;
        for key_id in due {
            let mut rotated = false;
            let r = self
                .update_key(&key_id, |k| {
                    rotated = false;
                    // A replica rotates with its primary (`share_with_replicas`), never by itself.
                    if is_replica(k) {
                        return Ok(());
                    }
                    let Some(next) = k.rotation.next_rotation.filter(|_| k.rotation.enabled) else { return Ok(()) };
                    if next > now || require_usable(k).is_err() {
                        return Ok(());
                    }
                    add_material(&self.root, now, k, RotationType::Automatic)?;
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
                Ok(primary) if rotated => {
                    self.share_with_replicas(&primary.record).await?;
                    n += 1
                }
                Ok(replica) if is_replica(&replica.record) => self.follow_primary(&replica.record).await?,
                Ok(_) => {}
                Err(e) if e.kind == ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(n)
    }
}
