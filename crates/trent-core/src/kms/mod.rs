//! [`Kms`]: the KMS service itself, shared by all requests. It owns the store,
//! the root key, the key cache, the admission (quota) hook and the clock, and
//! offers the helpers every operation module uses: key resolution, state
//! checks, and read-modify-write of key records.

mod authorize;
mod changes;
mod crypto_keys;
mod due_work;
mod key_usage;
mod related_keys;
mod resolve;
mod update;
pub mod wall_clock;

use std::sync::Arc;

use crate::access::caller::Caller;
use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::key::cache::{KeyCache, LoadedKey};
use crate::key::model::KeyRecord;
use crate::key::root_key::RootKey;
use crate::kms::wall_clock::{SystemWallClock, WallClock};
use crate::operation::Operation;
use crate::quota::admission::{Admission, AdmitAll, Charge, KeyClass};
use crate::quota::resource::ResourceQuota;
use crate::store::{KeyStore, StoreError};

/// The KMS service.
pub struct Kms {
    pub(crate) store: Arc<dyn KeyStore>,
    pub(crate) root: RootKey,
    pub(crate) cache: KeyCache,
    pub(crate) admission: Arc<dyn Admission>,
    pub(crate) clock: Arc<dyn WallClock>,
    /// Where resource-quota limits come from (see [`Kms::resource_limit`]).
    pub(crate) resource_limits: Arc<dyn crate::quota::resource::ResourceLimits>,
    /// Each key's last cryptographic use, written to the store lazily.
    pub(crate) key_usage: crate::key::last_usage::KeyUsageLog,
    /// When this store began tracking key usage (read or set once).
    pub(crate) usage_tracking_start: tokio::sync::OnceCell<f64>,
}

impl std::fmt::Debug for Kms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Kms { .. }")
    }
}

/// Maps a store failure to the client-visible error (details go to the log only).
pub(crate) fn store_err(e: StoreError) -> KmsError {
    KmsError::internal(e)
}

impl Kms {
    /// The limit of `quota` in force for `account_id` in `region`: what the
    /// operations pass as `cap` to the store's capped writes.
    pub fn resource_limit(&self, account_id: &str, region: &str, quota: ResourceQuota) -> u64 {
        self.resource_limits.limit(account_id, region, quota)
    }

    /// A service over `store`, sealing material with `root`, admitting everything.
    pub fn new(store: Arc<dyn KeyStore>, root: RootKey) -> Self {
        Self {
            store,
            root,
            cache: KeyCache::default(),
            admission: Arc::new(AdmitAll),
            clock: Arc::new(SystemWallClock),
            resource_limits: Arc::new(crate::quota::resource::ProfileDefaults::default()),
            key_usage: Default::default(),
            usage_tracking_start: tokio::sync::OnceCell::new(),
        }
    }

    /// Replaces where resource-quota limits come from (the server passes its
    /// quota engine, so overrides and approved increases apply at once);
    /// without it, the `current` profile's defaults apply.
    pub fn with_resource_limits(mut self, limits: Arc<dyn crate::quota::resource::ResourceLimits>) -> Self {
        self.resource_limits = limits;
        self
    }

    /// Replaces the admission hook (the quota engine).
    pub fn with_admission(mut self, admission: Arc<dyn Admission>) -> Self {
        self.admission = admission;
        self
    }

    /// Replaces the wall clock (tests move time by hand).
    pub fn with_clock(mut self, clock: Arc<dyn WallClock>) -> Self {
        self.clock = clock;
        self
    }

    /// The store, for subsystems that keep their own documents.
    pub fn store(&self) -> &Arc<dyn KeyStore> {
        &self.store
    }

    /// Now, epoch seconds.
    pub fn now(&self) -> f64 {
        self.clock.now()
    }

    /// Charges a request that uses no key (or before its key is known).
    pub async fn admit(&self, caller: &Caller, operation: Operation) -> KmsResult<()> {
        self.admission
            .admit(&Charge { caller, operation, key: None, key_pair_spec: None, custom_key_store_id: None })
            .await
    }

    /// Charges a request on `key`.
    pub async fn admit_key(&self, caller: &Caller, operation: Operation, key: &KeyRecord) -> KmsResult<()> {
        self.admission
            .admit(&Charge {
                caller,
                operation,
                key: Some(key_class(key)),
                key_pair_spec: None,
                custom_key_store_id: None,
            })
            .await
    }

    /// Charges an arbitrary prepared charge.
    pub async fn admit_charge(&self, charge: &Charge<'_>) -> KmsResult<()> {
        self.admission.admit(charge).await
    }

    /// Loads a key by store id (`KeyRecord::store_id`) from the cache or the store. `None` if it does not exist.
    pub async fn load_key(&self, key_id: &str) -> KmsResult<Option<Arc<LoadedKey>>> {
        if let Some(k) = self.cache.get(key_id) {
            return Ok(Some(k));
        }
        let generation = self.cache.generation();
        let Some(record) = self.store.get_key(key_id).await.map_err(store_err)? else {
            return Ok(None);
        };
        let loaded = Arc::new(LoadedKey::load(record, &self.root)?);
        self.cache.put_if_unchanged(loaded.clone(), generation);
        Ok(Some(loaded))
    }
}

/// What one [`Kms::run_due_work`] pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DueWork {
    /// Keys deleted because their waiting period ended.
    pub deleted: usize,
    /// Keys rotated automatically.
    pub rotated: usize,
}

/// The class of `key` for quota charging.
pub fn key_class(key: &KeyRecord) -> KeyClass<'_> {
    KeyClass {
        spec: key.key_spec,
        manager: key.key_manager,
        custom_key_store_id: key.custom_key_store_id.as_deref(),
        key_id: &key.key_id,
    }
}

/// AWS's answer to a `KeyId` that is no key id, key ARN or alias.
fn invalid_arn(key_ref: &str) -> KmsError {
    KmsError::new(ErrorKind::NotFound, format!("Invalid keyId '{key_ref}'"))
}
