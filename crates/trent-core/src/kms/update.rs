//! Read-modify-write of key records with compare-and-swap.

use std::sync::Arc;

use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::key::cache::LoadedKey;
use crate::key::model::KeyRecord;
use crate::store::StoreError;

use super::{Kms, store_err};

impl Kms {
    /// Reads a key fresh from the store, applies `change`, and writes it back
    /// with compare-and-swap, retrying on a concurrent update. `change` sees
    /// the latest state, so state checks inside it are never stale.
    pub async fn update_key<F>(&self, key_id: &str, mut change: F) -> KmsResult<Arc<LoadedKey>>
    where
        F: FnMut(&mut KeyRecord) -> KmsResult<()>,
    {
        for _ in 0..64 {
            let Some(mut record) = self.store.get_key(key_id).await.map_err(store_err)? else {
                self.cache.remove(key_id);
                return Err(KmsError::new(ErrorKind::NotFound, format!("Key '{key_id}' does not exist")));
            };
            change(&mut record)?;
            record.version += 1;
            // Another node may write the key right after us and its report
            // arrive before we cache ours: then ours is not cached.
            let generation = self.cache.generation();
            match self.store.update_key(&record).await {
                Ok(()) => {
                    let loaded = Arc::new(LoadedKey::load(record, &self.root)?);
                    self.cache.put_if_unchanged(loaded.clone(), generation);
                    return Ok(loaded);
                }
                Err(StoreError::Conflict) => continue,
                Err(StoreError::NotFound) => {
                    self.cache.remove(key_id);
                    return Err(KmsError::new(ErrorKind::NotFound, format!("Key '{key_id}' does not exist")));
                }
                Err(e) => return Err(store_err(e)),
            }
        }
        Err(KmsError::internal(format!("too many concurrent updates of {key_id}")))
    }
}
