//! Authorization of a request on a key (see [`crate::access::authorize`] for
//! the rules), with the key's grants read through this process's grant cache.

use std::sync::Arc;

use crate::access::authorize::{
    Access, GRANT_CACHE_SECONDS, PolicyOutcome, access_denied, grants_allow, policy_outcome, token_names_unknown_grant,
};
use crate::access::caller::Caller;
use crate::access::grants::{self, Grant};
use crate::error::KmsResult;
use crate::key::cache::LoadedKey;
use crate::store::StoreError;

use super::{Kms, store_err};

impl Kms {
    /// Decides whether `caller` may perform `access` on `key`: the key policy,
    /// then the key's grants. `request_alias` is the alias the request named
    /// the key by, if any (`kms:RequestAlias`).
    pub async fn authorize(
        &self,
        caller: &Caller,
        key: &LoadedKey,
        access: &Access<'_>,
        request_alias: Option<&str>,
    ) -> KmsResult<()> {
        let explicit = match policy_outcome(caller, key, access, request_alias)? {
            PolicyOutcome::Allowed => return Ok(()),
            PolicyOutcome::Denied { explicit } => explicit,
            PolicyOutcome::AskGrants => {
                let key_id = &key.record.key_id;
                let handle = key.record.store_id();
                let mut grants = self.cached_grants(&handle, false).await?;
                if token_names_unknown_grant(&grants, key_id, access) {
                    grants = self.cached_grants(&handle, true).await?;
                }
                if grants_allow(&grants, caller, access) {
                    return Ok(());
                }
                false
            }
        };
        Err(access_denied(caller, access.action, key.arn_str(), explicit))
    }

    /// A key's grants (by its store id, `KeyRecord::store_id`) from the cache, read again from the store when older
    /// than [`GRANT_CACHE_SECONDS`] (or the cache's maximum age, if shorter)
    /// or when `reload`. This process forgets a key's cached grants whenever
    /// it changes them, or another node's change is reported; a change whose
    /// report is lost shows within that time, or at once for a request
    /// presenting the new grant's token (AWS's eventual consistency for
    /// grants, bounded far tighter).
    async fn cached_grants(&self, key_id: &str, reload: bool) -> KmsResult<Arc<Vec<Grant>>> {
        let now = self.now();
        let ttl = self.cache.max_age().map_or(GRANT_CACHE_SECONDS, |m| m.as_secs_f64().min(GRANT_CACHE_SECONDS));
        if !reload && let Some(g) = self.cache.grants(key_id, now - ttl) {
            return Ok(g);
        }
        let generation = self.cache.generation();
        let grants = Arc::new(self.grants_of(key_id).await?);
        self.cache.put_grants(key_id, now, grants.clone(), generation);
        Ok(grants)
    }

    /// Forgets the cached grants of a key after this process changed them.
    pub fn grants_changed(&self, key_id: &str) {
        self.cache.forget_grants(key_id);
    }

    /// Every grant on a key (by its store id, `KeyRecord::store_id`: grants
    /// belong to one key of a multi-Region set), read from the store (ordered by grant id).
    pub async fn grants_of(&self, key_id: &str) -> KmsResult<Vec<Grant>> {
        let docs = self.store.list_docs(grants::DOC_KIND, Some(key_id)).await.map_err(store_err)?;
        docs.iter().map(|d| Grant::from_json(&d.body)).collect()
    }

    /// Reads one grant of a key; NotFoundException when it is not there.
    pub async fn find_grant(&self, key_id: &str, grant_id: &str) -> KmsResult<Grant> {
        match self.store.get_doc(grants::DOC_KIND, key_id, grant_id).await.map_err(store_err)? {
            Some(doc) => Grant::from_json(&doc.body),
            None => Err(grants::not_found(grant_id)),
        }
    }

    /// Deletes one grant of a key; NotFoundException when it is not there.
    pub async fn delete_grant(&self, key_id: &str, grant_id: &str) -> KmsResult<()> {
        let deleted = self.store.delete_doc(grants::DOC_KIND, key_id, grant_id).await;
        self.grants_changed(key_id);
        match deleted {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(grants::not_found(grant_id)),
            Err(e) => Err(store_err(e)),
        }
    }
}
