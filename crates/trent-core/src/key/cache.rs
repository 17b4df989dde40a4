//! Keys in memory: the decrypted, ready-to-use form of a [`KeyRecord`], and a
//! cache of them so a cryptographic request touches neither the database nor
//! the root key.
//!
//! The cache is invalidated by every write Trent makes. A multi-node
//! deployment (shared PostgreSQL) will need a short time-to-live on top.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;

use crate::access::grants::Grant;
use crate::access::policy::KeyPolicy;
use crate::error::{KmsError, KmsResult};
use crate::key::crypto::AesKey;
use crate::key::material::LoadedMaterial;
use crate::key::model::{KeyRecord, KeySpec};
use crate::key::root_key::RootKey;

/// A key with its material opened and ready for use.
#[derive(Debug)]
pub struct LoadedKey {
    /// The durable record as last read or written.
    pub record: KeyRecord,
    /// AES keys of every material version, oldest first, with their 32-byte ids.
    pub symmetric: Vec<([u8; 32], AesKey)>,
    /// RSA, ECC and HMAC keys: the parsed key object of the current material
    /// (`None` while an imported key awaits its material).
    pub asymmetric: Option<LoadedMaterial>,
    /// The key policy, parsed once per write of the record. A stored text
    /// that does not parse (written before policies were validated) stands
    /// for AWS's default policy of the key's account.
    pub policy: Option<Arc<KeyPolicy>>,
    /// The key ARN, formatted once (authorization needs it on every request).
    key_arn: String,
}

impl LoadedKey {
    /// Opens every material version of `record` with the root key.
    pub fn load(record: KeyRecord, root: &RootKey) -> KmsResult<Self> {
        let mut symmetric = Vec::new();
        let mut asymmetric = None;
        if record.key_spec != KeySpec::SymmetricDefault
            && let Some(m) = record.materials.last()
        {
            let material = root.open_material(&record.key_id, &m.id, &m.wrapped)?;
            let loaded = LoadedMaterial::open(record.key_spec, record.key_usage, &material)
                .map_err(|e| KmsError::internal(format!("key material of {}: {e}", record.key_id)))?;
            asymmetric = Some(loaded);
        }
        if record.key_spec == KeySpec::SymmetricDefault {
            for m in &record.materials {
                let material = root.open_material(&record.key_id, &m.id, &m.wrapped)?;
                let mut id = [0u8; 32];
                hex::decode_to_slice(&m.id, &mut id).map_err(|_| KmsError::internal("bad material id"))?;
                symmetric.push((id, AesKey::new(&material)?));
            }
        }
        let policy = match KeyPolicy::parse(&record.policy) {
            Ok(p) => Some(Arc::new(p)),
            Err(e) => {
                // Only a Trent older than policy validation could have stored
                // it. Locking the key away would help nobody: it behaves as
                // with AWS's default policy until PutKeyPolicy replaces it.
                tracing::warn!(key_id = %record.key_id, error = %e, "stored key policy does not parse; using the default policy");
                KeyPolicy::parse(&crate::access::policy::default_policy::default_policy(&record.account_id))
                    .ok()
                    .map(Arc::new)
            }
        };
        let key_arn = record.arn();
        Ok(Self { record, symmetric, asymmetric, policy, key_arn })
    }

    /// The material that encrypts now (the newest).
    pub fn current_symmetric(&self) -> Option<&([u8; 32], AesKey)> {
        self.symmetric.last()
    }

    /// The material version with this id.
    pub fn symmetric_by_id(&self, id: &[u8; 32]) -> Option<&AesKey> {
        self.symmetric.iter().find(|(mid, _)| mid == id).map(|(_, k)| k)
    }

    /// The key ARN.
    pub fn arn(&self) -> String {
        self.key_arn.clone()
    }

    /// The key ARN, borrowed.
    pub fn arn_str(&self) -> &str {
        &self.key_arn
    }
}

/// Loaded keys by key id, alias targets by (account, region, alias name), and
/// the grants of keys by key id (with the time they were read).
#[derive(Debug, Default)]
pub struct KeyCache {
    keys: RwLock<HashMap<String, Arc<LoadedKey>>>,
    aliases: RwLock<HashMap<(String, String, String), String>>,
    grants: RwLock<HashMap<String, CachedGrants>>,
}

/// A key's grants and when they were read (epoch seconds).
type CachedGrants = (f64, Arc<Vec<Grant>>);

impl KeyCache {
    /// A cached key.
    pub fn get(&self, key_id: &str) -> Option<Arc<LoadedKey>> {
        self.keys.read().get(key_id).cloned()
    }

    /// Stores or replaces a key.
    pub fn put(&self, key: Arc<LoadedKey>) {
        self.keys.write().insert(key.record.key_id.clone(), key);
    }

    /// Drops a key (deleted).
    pub fn remove(&self, key_id: &str) {
        self.keys.write().remove(key_id);
        self.aliases.write().retain(|_, target| target != key_id);
        self.forget_grants(key_id);
    }

    /// A key's grants if read at or after `fresh_since` (epoch seconds).
    pub fn grants(&self, key_id: &str, fresh_since: f64) -> Option<Arc<Vec<Grant>>> {
        self.grants.read().get(key_id).filter(|(at, _)| *at >= fresh_since).map(|(_, g)| g.clone())
    }

    /// Caches a key's grants as read at `at`.
    pub fn put_grants(&self, key_id: &str, at: f64, grants: Arc<Vec<Grant>>) {
        self.grants.write().insert(key_id.to_owned(), (at, grants));
    }

    /// Forgets a key's grants (one was created, retired or revoked).
    pub fn forget_grants(&self, key_id: &str) {
        self.grants.write().remove(key_id);
    }

    /// A cached alias target.
    pub fn alias(&self, account: &str, region: &str, name: &str) -> Option<String> {
        self.aliases.read().get(&(account.to_owned(), region.to_owned(), name.to_owned())).cloned()
    }

    /// Caches an alias target.
    pub fn put_alias(&self, account: &str, region: &str, name: &str, key_id: &str) {
        self.aliases.write().insert((account.to_owned(), region.to_owned(), name.to_owned()), key_id.to_owned());
    }

    /// Forgets an alias (created, updated or deleted).
    pub fn forget_alias(&self, account: &str, region: &str, name: &str) {
        self.aliases.write().remove(&(account.to_owned(), region.to_owned(), name.to_owned()));
    }
}
