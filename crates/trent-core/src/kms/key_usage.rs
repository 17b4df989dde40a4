//! GetKeyLastUsage's data: recording each successful cryptographic use of a
//! key in memory ([`crate::key::last_usage`]), writing the changed ones to the
//! store lazily, and reading a key's last use back.

use crate::error::KmsResult;
use crate::key::last_usage::{DOC_ID, DOC_KIND, LastUse, TRACKING_DOC_KIND, current_request_ids};
use crate::key::model::KeyRecord;
use crate::operation::Operation;
use crate::store::{Doc, StoreError};

use super::{Kms, store_err};

impl Kms {
    /// Records that `key` was just used by the successful `operation`, with
    /// the ids of the request being served. Memory only: see [`Kms::flush_key_usage`].
    pub fn record_key_use(&self, key: &KeyRecord, operation: Operation) {
        let used = LastUse { operation, timestamp: self.now(), ids: current_request_ids() };
        self.key_usage.record(&key.store_id_ref(), used);
    }

    /// Writes every key use recorded since the last flush to the store, one
    /// document per key (skipped when the store holds a later use, written by
    /// another node). The server calls it on each maintenance pass and when
    /// stopped by a signal; returns how many keys were written.
    pub async fn flush_key_usage(&self) -> KmsResult<usize> {
        let mut written = 0;
        for (store_id, used) in self.key_usage.take_changed() {
            let result = self.write_key_use(&store_id, used).await;
            if let Err(e) = result {
                self.key_usage.unwritten(&store_id, used);
                return Err(e);
            }
            written += 1;
        }
        Ok(written)
    }

    async fn write_key_use(&self, store_id: &str, used: LastUse) -> KmsResult<()> {
        let stored = self.stored_key_use(store_id).await?;
        if stored.is_some_and(|s| s.timestamp >= used.timestamp) {
            return Ok(());
        }
        let doc = Doc { kind: DOC_KIND.into(), scope: store_id.into(), id: DOC_ID.into(), body: used.to_json() };
        self.store.put_doc(&doc).await.map_err(store_err)
    }

    async fn stored_key_use(&self, store_id: &str) -> KmsResult<Option<LastUse>> {
        let doc = self.store.get_doc(DOC_KIND, store_id, DOC_ID).await.map_err(store_err)?;
        Ok(doc.and_then(|d| LastUse::from_json(&d.body)))
    }

    /// The last successful cryptographic use of `key`: the later of what this
    /// process recorded and what the store holds (other nodes, earlier runs).
    pub async fn key_last_usage(&self, key: &KeyRecord) -> KmsResult<Option<LastUse>> {
        let store_id = key.store_id();
        let stored = self.stored_key_use(&store_id).await?;
        Ok(LastUse::latest(self.key_usage.get(&store_id), stored))
    }

    /// When this store began tracking key usage: written once, by the first
    /// server (or request) that needs it, and the same for every node after.
    pub async fn usage_tracking_start(&self) -> KmsResult<f64> {
        self.usage_tracking_start
            .get_or_try_init(|| async {
                let read = |d: Option<Doc>| d.and_then(|d| d.body.parse::<f64>().ok());
                if let Some(t) = read(self.store.get_doc(TRACKING_DOC_KIND, DOC_ID, DOC_ID).await.map_err(store_err)?) {
                    return Ok(t);
                }
                let now = self.now().floor();
                let doc = Doc {
                    kind: TRACKING_DOC_KIND.into(),
                    scope: DOC_ID.into(),
                    id: DOC_ID.into(),
                    body: now.to_string(),
                };
                match self.store.insert_doc(&doc).await {
                    Ok(()) => Ok(now),
                    // Another node began first: its date holds.
                    Err(StoreError::AlreadyExists) => {
                        Ok(read(self.store.get_doc(TRACKING_DOC_KIND, DOC_ID, DOC_ID).await.map_err(store_err)?)
                            .unwrap_or(now))
                    }
                    Err(e) => Err(store_err(e)),
                }
            })
            .await
            .copied()
    }

    /// Forgets the recorded use of a deleted key, in memory and in the store.
    pub(crate) async fn forget_key_use(&self, store_id: &str) -> KmsResult<()> {
        self.key_usage.forget(store_id);
        match self.store.delete_doc(DOC_KIND, store_id, DOC_ID).await {
            Ok(()) | Err(StoreError::NotFound) => Ok(()),
            Err(e) => Err(store_err(e)),
        }
    }
}
