//! Keys in memory: the decrypted, ready-to-use form of a [`KeyRecord`], and a
//! cache of them so a cryptographic request touches neither the database nor
//! the root key.
//!
//! The cache is invalidated by every write this process makes. With a store
//! shared by several nodes, the changes other nodes make are forgotten when
//! the store reports them ([`KeyCache::forget_key`], [`KeyCache::clear`] ...,
//! called by `Kms::apply_store_change`), and, in case a report is lost,
//! keys and alias targets older than a maximum age are read again
//! ([`KeyCache::with_max_age`]). A read that raced with a change report is
//! not cached (see [`KeyCache::generation`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

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
            // Deleted imported material (empty) and material pending rotation take no part in crypto.
            for m in record
                .materials
                .iter()
                .filter(|m| !m.wrapped.is_empty() && !crate::key::imported_materials::is_pending(&record, &m.id))
            {
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

/// Loaded keys by store id (`KeyRecord::store_id`, the key id but for multi-Region keys), alias targets by (account, region, alias name), and
/// the grants of keys by key id (with the time they were read).
#[derive(Debug, Default)]
pub struct KeyCache {
    keys: RwLock<HashMap<String, (Instant, Arc<LoadedKey>)>>,
    aliases: RwLock<HashMap<AliasKey, (Instant, String)>>,
    grants: RwLock<HashMap<String, CachedGrants>>,
    /// Keys and alias targets older than this are not used (`None`: kept
    /// until this process changes them, right for a store nobody else writes).
    max_age: Option<Duration>,
    /// Bumped by every forget; see [`KeyCache::generation`].
    generation: AtomicU64,
}

/// A key's grants and when they were read (epoch seconds).
type CachedGrants = (f64, Arc<Vec<Grant>>);

/// An alias in the cache: (account, region, alias name).
type AliasKey = (String, String, String);

/// The key of an alias in the cache.
fn alias_key(account: &str, region: &str, name: &str) -> AliasKey {
    (account.to_owned(), region.to_owned(), name.to_owned())
}

impl KeyCache {
    /// A cache whose keys and alias targets are read again from the store
    /// once older than `max_age`. Exists for stores shared by several nodes:
    /// it bounds how long a change another node made can go unseen even if
    /// its change report is lost. `None` keeps entries until forgotten.
    pub fn with_max_age(max_age: Option<Duration>) -> Self {
        Self { max_age, ..Self::default() }
    }

    /// The maximum age of an entry, if any.
    pub fn max_age(&self) -> Option<Duration> {
        self.max_age
    }

    /// Whether an entry cached at `at` may still be used.
    fn fresh(&self, at: Instant) -> bool {
        self.max_age.is_none_or(|m| at.elapsed() < m)
    }

    /// A counter bumped by every forget. A caller reads it before reading the
    /// store and passes it to a `*_if_unchanged` put: if something was
    /// forgotten meanwhile, the value read may predate that change and is
    /// not cached (it is still returned to the request that read it).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Marks that something was forgotten (see [`KeyCache::generation`]).
    fn bump(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// A cached key, unless older than the maximum age.
    pub fn get(&self, key_id: &str) -> Option<Arc<LoadedKey>> {
        self.keys.read().get(key_id).filter(|(at, _)| self.fresh(*at)).map(|(_, k)| k.clone())
    }

    /// Stores or replaces a key this process just wrote (so it is current).
    pub fn put(&self, key: Arc<LoadedKey>) {
        self.keys.write().insert(key.record.store_id(), (Instant::now(), key));
    }

    /// Stores a key read (or written) by this process unless something was
    /// forgotten since `generation` was read (see [`KeyCache::generation`]);
    /// then the key's entry is dropped instead, so that an older version of
    /// it is not left behind to be served.
    pub fn put_if_unchanged(&self, key: Arc<LoadedKey>, generation: u64) {
        let mut keys = self.keys.write();
        // Checked under the write lock: a forget of this key waits for it,
        // so it either bumped the generation already or removes this entry.
        if self.generation() == generation {
            keys.insert(key.record.store_id(), (Instant::now(), key));
        } else {
            keys.remove(&key.record.store_id());
        }
    }

    /// Drops a key (deleted), the alias targets pointing at it and its grants.
    pub fn remove(&self, key_id: &str) {
        self.keys.write().remove(key_id);
        self.aliases
            .write()
            .retain(|(_, region, _), (_, target)| crate::key::model::store_id(target, region) != key_id);
        self.forget_grants(key_id);
    }

    /// Forgets a cached key (another node changed or deleted it).
    pub fn forget_key(&self, key_id: &str) {
        let mut keys = self.keys.write();
        self.bump();
        keys.remove(key_id);
    }

    /// Forgets every key, alias target and grant list (changes may have been missed).
    pub fn clear(&self) {
        let (mut keys, mut aliases, mut grants) = (self.keys.write(), self.aliases.write(), self.grants.write());
        self.bump();
        keys.clear();
        aliases.clear();
        grants.clear();
    }

    /// A key's grants if read at or after `fresh_since` (epoch seconds).
    pub fn grants(&self, key_id: &str, fresh_since: f64) -> Option<Arc<Vec<Grant>>> {
        self.grants.read().get(key_id).filter(|(at, _)| *at >= fresh_since).map(|(_, g)| g.clone())
    }

    /// Caches a key's grants as read at `at`, unless something was forgotten
    /// since `generation` was read (see [`KeyCache::generation`]).
    pub fn put_grants(&self, key_id: &str, at: f64, grants: Arc<Vec<Grant>>, generation: u64) {
        let mut cached = self.grants.write();
        if self.generation() == generation {
            cached.insert(key_id.to_owned(), (at, grants));
        } else {
            cached.remove(key_id);
        }
    }

    /// Forgets a key's grants (one was created, retired or revoked).
    pub fn forget_grants(&self, key_id: &str) {
        let mut grants = self.grants.write();
        self.bump();
        grants.remove(key_id);
    }

    /// A cached alias target, unless older than the maximum age.
    pub fn alias(&self, account: &str, region: &str, name: &str) -> Option<String> {
        self.aliases
            .read()
            .get(&alias_key(account, region, name))
            .filter(|(at, _)| self.fresh(*at))
            .map(|(_, k)| k.clone())
    }

    /// Caches an alias target read from the store, unless something was
    /// forgotten since `generation` was read (see [`KeyCache::generation`]).
    pub fn put_alias(&self, account: &str, region: &str, name: &str, key_id: &str, generation: u64) {
        let mut aliases = self.aliases.write();
        if self.generation() == generation {
            aliases.insert(alias_key(account, region, name), (Instant::now(), key_id.to_owned()));
        } else {
            aliases.remove(&alias_key(account, region, name));
        }
    }

    /// Forgets an alias (created, updated or deleted).
    pub fn forget_alias(&self, account: &str, region: &str, name: &str) {
        let mut aliases = self.aliases.write();
        self.bump();
        aliases.remove(&alias_key(account, region, name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grants() -> Arc<Vec<Grant>> {
        Arc::new(Vec::new())
    }

    #[test]
    fn entries_older_than_the_max_age_are_not_used() {
        let cache = KeyCache::with_max_age(Some(Duration::from_millis(50)));
        cache.put_alias("a", "r", "alias/x", "k1", cache.generation());
        assert_eq!(cache.alias("a", "r", "alias/x").as_deref(), Some("k1"));
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(cache.alias("a", "r", "alias/x"), None, "an entry past its max age must be read again");
        let forever = KeyCache::default();
        forever.put_alias("a", "r", "alias/x", "k1", forever.generation());
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(forever.alias("a", "r", "alias/x").as_deref(), Some("k1"), "no max age: kept");
    }

    #[test]
    fn a_read_that_raced_with_a_forget_is_not_cached() {
        let cache = KeyCache::default();
        let before = cache.generation();
        // Another node's change is reported while this read was in flight ...
        cache.forget_alias("a", "r", "alias/x");
        cache.put_alias("a", "r", "alias/x", "stale", before);
        cache.put_grants("k", 1.0, grants(), before);
        // ... so what it read is not kept.
        assert_eq!(cache.alias("a", "r", "alias/x"), None);
        assert!(cache.grants("k", 0.0).is_none());
        let now = cache.generation();
        cache.put_alias("a", "r", "alias/x", "fresh", now);
        cache.put_grants("k", 1.0, grants(), now);
        assert_eq!(cache.alias("a", "r", "alias/x").as_deref(), Some("fresh"));
        assert!(cache.grants("k", 0.0).is_some());
    }

    /// A symmetric key record in `state` with no material (enough for the cache).
    fn key(state: crate::key::model::KeyState, version: u64) -> Arc<LoadedKey> {
        use crate::key::model::{KeyManager, KeyRecord, KeySpec, KeyUsage, Origin, RotationConfig};
        let record = KeyRecord {
            key_id: "11111111-2222-3333-4444-555555555555".into(),
            account_id: "111122223333".into(),
            region: "us-east-1".into(),
            version,
            creation_date: 0.0,
            description: String::new(),
            key_spec: KeySpec::SymmetricDefault,
            key_usage: KeyUsage::EncryptDecrypt,
            key_state: state,
            origin: Origin::External,
            key_manager: KeyManager::Customer,
            deletion_date: None,
            pending_deletion_window_days: None,
            custom_key_store_id: None,
            multi_region: false,
            valid_to: None,
            expiration_model: None,
            policy: String::new(),
            tags: vec![],
            rotation: RotationConfig::default(),
            materials: vec![],
            ext: serde_json::Map::new(),
        };
        let root = crate::key::root_key::RootKey::from_bytes(&[9; 32]).expect("root");
        Arc::new(LoadedKey::load(record, &root).expect("load"))
    }

    #[test]
    fn a_write_that_raced_with_a_forget_leaves_no_older_version_behind() {
        use crate::key::model::KeyState;
        let cache = KeyCache::default();
        let id = key(KeyState::PendingImport, 1).record.key_id.clone();
        cache.put(key(KeyState::PendingImport, 1));
        // This process writes version 2 while another key is forgotten.
        let before = cache.generation();
        cache.forget_key("some-other-key");
        cache.put_if_unchanged(key(KeyState::Enabled, 2), before);
        // Not cached, and version 1 is not served either: the next read goes to the store.
        assert!(cache.get(&id).is_none(), "a stale version was left in the cache");
        // Declined alias targets and grants drop what was there too.
        cache.put_alias("a", "r", "alias/x", "old", cache.generation());
        cache.put_grants("k", 1.0, grants(), cache.generation());
        let before = cache.generation();
        cache.forget_key("some-other-key");
        cache.put_alias("a", "r", "alias/x", "new", before);
        cache.put_grants("k", 2.0, grants(), before);
        assert_eq!(cache.alias("a", "r", "alias/x"), None);
        assert!(cache.grants("k", 0.0).is_none());
    }

    #[test]
    fn clear_forgets_everything() {
        let cache = KeyCache::default();
        cache.put_alias("a", "r", "alias/x", "k", cache.generation());
        cache.put_grants("k", 1.0, grants(), cache.generation());
        cache.clear();
        assert_eq!(cache.alias("a", "r", "alias/x"), None);
        assert!(cache.grants("k", 0.0).is_none());
    }
}
