//! Following the changes other nodes make to a shared store: what
//! [`Kms::apply_store_change`] forgets for each [`StoreChange`], and the
//! cache's maximum age ([`Kms::with_cache_max_age`]) that bounds staleness
//! when a change report is lost.

use std::time::Duration;

use crate::access::grants;
use crate::key::cache::KeyCache;
use crate::store::StoreChange;

use super::Kms;

impl Kms {
    /// The same service, reading cached keys and alias targets again once
    /// they are older than `max_age` (grants: the shorter of it and the grant
    /// cache time). Exists for stores shared by several nodes, where a change
    /// report can be lost; `None` (the default) keeps entries until this
    /// process changes them. Call before serving: it empties the cache.
    pub fn with_cache_max_age(mut self, max_age: Option<Duration>) -> Self {
        self.cache = KeyCache::with_max_age(max_age);
        self
    }

    /// Forgets what `change` (reported by the store, made by any node) may
    /// have made stale: the key, the alias target, a key's grants, or
    /// everything. Other documents (quota requests, custom key stores) are
    /// not cached here.
    pub fn apply_store_change(&self, change: &StoreChange) {
        match change {
            StoreChange::Key { key_id } => self.cache.forget_key(key_id),
            StoreChange::Alias { account_id, region, alias_name } => {
                self.cache.forget_alias(account_id, region, alias_name)
            }
            StoreChange::Doc { kind, scope, .. } if kind == grants::DOC_KIND => self.cache.forget_grants(scope),
            StoreChange::Doc { .. } => {}
            StoreChange::Everything => self.cache.clear(),
        }
    }

    /// Deletes every key, alias and document and empties the cache: the
    /// store half of a server reset (`POST /_trent/reset`).
    pub async fn wipe(&self) -> crate::error::KmsResult<()> {
        self.store.wipe().await.map_err(super::store_err)?;
        self.cache.clear();
        Ok(())
    }
}
