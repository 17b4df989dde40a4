//! [`Kms`]: the KMS service itself, shared by all requests. It owns the store,
//! the root key, the key cache, the admission (quota) hook and the clock, and
//! offers the helpers every operation module uses: key resolution, state
//! checks, and read-modify-write of key records.

use std::sync::Arc;

use crate::admission::{Admission, AdmitAll, Charge, KeyClass};
use crate::arn::{KeyRef, key_arn};
use crate::authz::{Access, cross_account_action};
use crate::caller::Caller;
use crate::clock::{SystemWallClock, WallClock};
use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::keyring::{KeyCache, LoadedKey};
use crate::model::{KeyRecord, KeyState};
use crate::operation::Operation;
use crate::root_key::RootKey;
use crate::store::{KeyStore, StoreError};

/// The KMS service.
pub struct Kms {
    pub(crate) store: Arc<dyn KeyStore>,
    pub(crate) root: RootKey,
    pub(crate) cache: KeyCache,
    pub(crate) admission: Arc<dyn Admission>,
    pub(crate) clock: Arc<dyn WallClock>,
    /// Where resource-quota limits come from (see [`Kms::resource_limit`]).
    pub(crate) resource_limits: Arc<dyn crate::resource_quota::ResourceLimits>,
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
    /// A service over `store`, sealing material with `root`, admitting everything.
    pub fn new(store: Arc<dyn KeyStore>, root: RootKey) -> Self {
        Self {
            store,
            root,
            cache: KeyCache::default(),
            admission: Arc::new(AdmitAll),
            clock: Arc::new(SystemWallClock),
            resource_limits: Arc::new(crate::resource_quota::ProfileDefaults::default()),
        }
    }

    /// Replaces where resource-quota limits come from (the server passes its
    /// quota engine, so overrides and approved increases apply at once);
    /// without it, the `current` profile's defaults apply.
    pub fn with_resource_limits(mut self, limits: Arc<dyn crate::resource_quota::ResourceLimits>) -> Self {
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

    /// Loads a key by id from the cache or the store. `None` if it does not exist.
    pub async fn load_key(&self, key_id: &str) -> KmsResult<Option<Arc<LoadedKey>>> {
        if let Some(k) = self.cache.get(key_id) {
            return Ok(Some(k));
        }
        let Some(record) = self.store.get_key(key_id).await.map_err(store_err)? else {
            return Ok(None);
        };
        let loaded = Arc::new(LoadedKey::load(record, &self.root)?);
        self.cache.put(loaded.clone());
        Ok(Some(loaded))
    }

    /// Resolves a `KeyId` member (key id, key ARN, alias name or alias ARN) to a key
    /// and authorizes `access` on it: AWS's NotFoundException when it does not
    /// exist (or lives in another account and `access` cannot cross accounts),
    /// AccessDeniedException when the key policy and grants do not allow it.
    pub async fn resolve(&self, caller: &Caller, key_ref: &str, access: &Access<'_>) -> KmsResult<Arc<LoadedKey>> {
        self.resolve_inner(caller, key_ref, true, access).await
    }

    /// Like [`Kms::resolve`] but refuses alias names and ARNs (operations that
    /// take only a key id or key ARN, such as management operations).
    pub async fn resolve_key_only(
        &self,
        caller: &Caller,
        key_ref: &str,
        access: &Access<'_>,
    ) -> KmsResult<Arc<LoadedKey>> {
        self.resolve_inner(caller, key_ref, false, access).await
    }

    async fn resolve_inner(
        &self,
        caller: &Caller,
        key_ref: &str,
        aliases_ok: bool,
        access: &Access<'_>,
    ) -> KmsResult<Arc<LoadedKey>> {
        let parsed = KeyRef::parse(key_ref).ok_or_else(|| invalid_arn(key_ref))?;
        let mut request_alias = None;
        let (account, region, key_id) = match parsed {
            KeyRef::KeyId(id) => (caller.account_id.clone(), caller.region.clone(), id),
            KeyRef::KeyArn { region, account, key_id } => (account, region, key_id),
            KeyRef::AliasName(name) => {
                if !aliases_ok {
                    return Err(invalid_arn(key_ref));
                }
                let id = self.alias_target(&caller.account_id, &caller.region, &name).await?;
                request_alias = Some(name);
                (caller.account_id.clone(), caller.region.clone(), id)
            }
            KeyRef::AliasArn { region, account, name } => {
                if !aliases_ok {
                    return Err(invalid_arn(key_ref));
                }
                if account != caller.account_id && !cross_account_action(access.action) {
                    return Err(KmsError::alias_not_found(&format!("arn:aws:kms:{region}:{account}:{name}")));
                }
                let id = self.alias_target(&account, &region, &name).await?;
                request_alias = Some(name);
                (account, region, id)
            }
        };
        let arn = key_arn(&region, &account, &key_id);
        let Some(key) = self.load_key(&key_id).await? else {
            return Err(KmsError::key_not_found(&arn));
        };
        // Keys live in exactly one account and region. Another account's key
        // is reachable by ARN only, and only for the actions AWS lets cross
        // accounts; whether this caller may is the key policy's and grants' call.
        if key.record.account_id != account
            || key.record.region != region
            || region != caller.region
            || (account != caller.account_id && !cross_account_action(access.action))
        {
            return Err(KmsError::key_not_found(&arn));
        }
        self.authorize(caller, &key, access, request_alias.as_deref()).await?;
        self.expire_imported_material(key).await
    }

    /// Imported material whose ValidTo has passed is deleted, as AWS does: the
    /// key goes to PendingImport. Checked whenever a key is resolved.
    async fn expire_imported_material(&self, key: Arc<LoadedKey>) -> KmsResult<Arc<LoadedKey>> {
        let now = self.now();
        let due = |k: &KeyRecord| k.valid_to.is_some_and(|t| t <= now) && !k.materials.is_empty();
        if !due(&key.record) {
            return Ok(key);
        }
        self.update_key(&key.record.key_id, |k| {
            if due(k) {
                crate::ops::delete_imported_key_material::remove_material(k);
            }
            Ok(())
        })
        .await
    }

    async fn alias_target(&self, account: &str, region: &str, name: &str) -> KmsResult<String> {
        if let Some(id) = self.cache.alias(account, region, name) {
            return Ok(id);
        }
        match self.store.get_alias(account, region, name).await.map_err(store_err)? {
            Some(a) => {
                self.cache.put_alias(account, region, name, &a.target_key_id);
                Ok(a.target_key_id)
            }
            None => Err(KmsError::alias_not_found(&format!("arn:aws:kms:{region}:{account}:{name}"))),
        }
    }

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
            match self.store.update_key(&record).await {
                Ok(()) => {
                    let loaded = Arc::new(LoadedKey::load(record, &self.root)?);
                    self.cache.put(loaded.clone());
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

    /// Runs the work that comes due with time: deletes keys whose waiting
    /// period is over and performs automatic rotations. The server calls this
    /// periodically; tests call it after moving the clock.
    pub async fn run_due_work(&self) -> KmsResult<DueWork> {
        let now = self.now();
        let mut done = DueWork::default();
        for key_id in self.store.keys_due_for_deletion(now).await.map_err(store_err)? {
            match self.store.delete_key(&key_id).await {
                Ok(()) | Err(StoreError::NotFound) => {
                    self.cache.remove(&key_id);
                    done.deleted += 1;
                }
                Err(e) => return Err(store_err(e)),
            }
            // A deleted key's grants go with it.
            for grant in self.store.list_docs(crate::grants::DOC_KIND, Some(&key_id)).await.map_err(store_err)? {
                match self.store.delete_doc(&grant.kind, &grant.scope, &grant.id).await {
                    Ok(()) | Err(StoreError::NotFound) => {}
                    Err(e) => return Err(store_err(e)),
                }
            }
        }
        done.rotated = crate::ops::rotation::rotate_due_keys(self, now).await?;
        Ok(done)
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

fn invalid_arn(key_ref: &str) -> KmsError {
    KmsError::new(ErrorKind::NotFound, format!("Invalid keyId {key_ref}"))
}

/// AWS's answer when a key in `PendingDeletion` (or another unusable state) is used.
pub fn invalid_state(key: &KeyRecord) -> KmsError {
    let arn = key.arn();
    let msg = match key.key_state {
        KeyState::PendingDeletion => format!("{arn} is pending deletion."),
        KeyState::PendingImport => format!("{arn} is pending import."),
        KeyState::Disabled => format!("{arn} is disabled."),
        KeyState::Unavailable => format!("{arn} is unavailable."),
        other => format!("{arn} is {other}."),
    };
    KmsError::new(ErrorKind::KmsInvalidState, msg)
}

/// The state check of cryptographic operations: Enabled passes, Disabled gives
/// DisabledException, every other state KMSInvalidStateException.
pub fn require_usable(key: &KeyRecord) -> KmsResult<()> {
    match key.key_state {
        KeyState::Enabled => Ok(()),
        KeyState::Disabled => Err(KmsError::disabled(&key.arn())),
        _ => Err(invalid_state(key)),
    }
}

/// The state check of management operations that are refused only while a
/// key is pending deletion (or import).
pub fn require_not_pending(key: &KeyRecord) -> KmsResult<()> {
    match key.key_state {
        KeyState::PendingDeletion | KeyState::PendingReplicaDeletion => Err(invalid_state(key)),
        _ => Ok(()),
    }
}
