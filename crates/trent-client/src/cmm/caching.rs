//! The caching materials manager: reuses data keys across messages within usage limits.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_lc_rs::digest::{self, SHA512};
use parking_lot::Mutex;

use crate::cache::{CacheId, EncryptLimits, LocalCache};
use crate::cmm::MaterialsManager;
use crate::error::{Error, Result};
use crate::materials::{DecryptionMaterials, DecryptionRequest, EncryptionMaterials, EncryptionRequest};
use crate::stats::Stats;
use crate::suite::{AlgorithmSuite, Kdf};

/// Most messages one data key may encrypt (the ESDK maximum, 2^32).
pub const MAX_MESSAGES_PER_KEY: u64 = 1 << 32;
/// Most bytes one data key may encrypt (the ESDK maximum, 2^63 − 1).
pub const MAX_BYTES_PER_KEY: u64 = i64::MAX as u64;

/// Limits of a caching manager. `max_age` is required by the format's guidance: a cached key
/// must expire.
#[derive(Debug, Clone)]
pub struct CachingLimits {
    /// An entry is used only while younger than this.
    pub max_age: Duration,
    /// An entry encrypts at most this many messages (1..=2^32).
    pub max_messages: u64,
    /// An entry encrypts at most this many plaintext bytes in total.
    pub max_bytes: u64,
}

impl CachingLimits {
    /// Limits with only a maximum age.
    pub fn with_max_age(max_age: Duration) -> Self {
        Self { max_age, max_messages: MAX_MESSAGES_PER_KEY, max_bytes: MAX_BYTES_PER_KEY }
    }

    fn validate(&self) -> Result<()> {
        if self.max_age.is_zero() {
            return Err(Error::Config("cache max_age must be greater than 0".into()));
        }
        if !(1..=MAX_MESSAGES_PER_KEY).contains(&self.max_messages) {
            return Err(Error::Config(format!("max_messages_encrypted must be between 1 and {MAX_MESSAGES_PER_KEY}")));
        }
        if self.max_bytes > MAX_BYTES_PER_KEY {
            return Err(Error::Config(format!("max_bytes_encrypted cannot exceed {MAX_BYTES_PER_KEY}")));
        }
        Ok(())
    }
}

/// Wraps another materials manager and serves repeated requests from a [`LocalCache`].
///
/// Rules (those of the ESDK caching CMM, made explicit):
/// - identity-KDF suites (00xx) are never cached;
/// - encryption requests of unknown plaintext length, or longer than `max_bytes`, bypass the
///   cache (the byte limit could not be enforced);
/// - an entry is used for a message only if, counting that message, it is younger than
///   `max_age`, has encrypted at most `max_messages` messages and at most `max_bytes` bytes;
///   otherwise it is evicted and fresh materials are fetched;
/// - decryption entries are keyed by suite, encrypted data keys and context, and checked for age;
/// - concurrent misses on one entry are collapsed into a single call to the underlying
///   manager, so N parallel encryptions with `max_messages = M` cost exactly ⌈N/M⌉ data keys.
///
/// Signing suites are cached too: every message served by one entry shares its signing key.
pub struct CachingMaterialsManager {
    inner: Arc<dyn MaterialsManager>,
    cache: Arc<LocalCache>,
    partition: [u8; 64],
    limits: CachingLimits,
    stats: Arc<Stats>,
    in_flight: Mutex<HashMap<CacheId, Arc<tokio::sync::Mutex<()>>>>,
}

impl CachingMaterialsManager {
    /// Builds the manager. `partition` names the share of `cache` this manager uses (managers
    /// with equal names share entries); `None` picks a random, unshared name.
    pub fn new(
        inner: Arc<dyn MaterialsManager>,
        cache: Arc<LocalCache>,
        limits: CachingLimits,
        partition: Option<&str>,
        stats: Arc<Stats>,
    ) -> Result<Self> {
        limits.validate()?;
        let name = match partition {
            Some(p) => p.to_string(),
            None => uuid::Uuid::new_v4().to_string(),
        };
        let mut hash = [0u8; 64];
        hash.copy_from_slice(digest::digest(&SHA512, name.as_bytes()).as_ref());
        Ok(Self { inner, cache, partition: hash, limits, stats, in_flight: Mutex::new(HashMap::new()) })
    }

    /// The cache in use.
    pub fn cache(&self) -> &Arc<LocalCache> {
        &self.cache
    }

    fn encrypt_id(&self, suite: AlgorithmSuite, serialized_context: &[u8]) -> CacheId {
        let mut ctx = digest::Context::new(&SHA512);
        ctx.update(&self.partition);
        ctx.update(&[1]);
        ctx.update(&suite.id().to_be_bytes());
        ctx.update(digest::digest(&SHA512, serialized_context).as_ref());
        to_id(ctx.finish())
    }

    fn decrypt_id(&self, request: &DecryptionRequest, serialized_context: &[u8]) -> Result<CacheId> {
        let mut edk_hashes = Vec::with_capacity(request.encrypted_data_keys.len());
        for edk in &request.encrypted_data_keys {
            let mut ser = Vec::new();
            edk.serialize_into(&mut ser)?;
            edk_hashes.push(to_id(digest::digest(&SHA512, &ser)));
        }
        edk_hashes.sort_unstable();
        let mut ctx = digest::Context::new(&SHA512);
        ctx.update(&self.partition);
        ctx.update(&request.suite.id().to_be_bytes());
        for h in &edk_hashes {
            ctx.update(h);
        }
        ctx.update(&[0u8; 64]);
        ctx.update(digest::digest(&SHA512, serialized_context).as_ref());
        Ok(to_id(ctx.finish()))
    }

    /// Joins (or opens) the single flight for `id`; see [`Flight`].
    fn flight(&self, id: &CacheId) -> Flight<'_> {
        let lock = self.in_flight.lock().entry(*id).or_default().clone();
        Flight { owner: self, id: *id, lock }
    }

    fn encrypt_limits(&self) -> EncryptLimits {
        EncryptLimits { max_messages: self.limits.max_messages, max_bytes: self.limits.max_bytes }
    }
}

/// Membership in the group of callers that missed on one cache id. Callers serialize on the
/// group's lock, so only the first one calls the underlying manager and the others find its
/// result in the cache. The group's map entry is removed by the last member to leave, so a
/// caller arriving while others still wait always joins the same group.
struct Flight<'a> {
    owner: &'a CachingMaterialsManager,
    id: CacheId,
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        let mut map = self.owner.in_flight.lock();
        // One reference is the map's, one is ours: nobody else is in the group.
        if Arc::strong_count(&self.lock) <= 2 {
            map.remove(&self.id);
        }
    }
}

fn to_id(d: digest::Digest) -> CacheId {
    let mut id = [0u8; 64];
    id.copy_from_slice(d.as_ref());
    id
}

#[async_trait]
impl MaterialsManager for CachingMaterialsManager {
    async fn encryption_materials(&self, request: &EncryptionRequest) -> Result<Arc<EncryptionMaterials>> {
        let suite = request.suite.unwrap_or_else(|| request.commitment_policy.default_suite());
        // The backing manager never sees the length: the materials will serve many messages.
        let inner_request = EncryptionRequest { suite: Some(suite), plaintext_length: None, ..request.clone() };
        let len = match request.plaintext_length {
            Some(len) if len <= self.limits.max_bytes && suite.kdf() != Kdf::Identity => len,
            _ => {
                self.stats.bypass();
                return self.inner.encryption_materials(&inner_request).await;
            }
        };
        let id = self.encrypt_id(suite, &request.encryption_context.serialize()?);
        if let Some(m) = self.cache.use_for_encrypt(&id, len, self.encrypt_limits()) {
            self.stats.hit();
            return Ok(m);
        }
        let flight = self.flight(&id);
        let _guard = flight.lock.lock().await;
        if let Some(m) = self.cache.use_for_encrypt(&id, len, self.encrypt_limits()) {
            self.stats.hit();
            return Ok(m);
        }
        self.stats.miss();
        let result = self.inner.encryption_materials(&inner_request).await;
        if let Ok(m) = &result
            && len < self.limits.max_bytes
        {
            self.cache.put_encrypt(id, m.clone(), len, self.limits.max_age);
        }
        result
    }

    async fn decryption_materials(&self, request: &DecryptionRequest) -> Result<Arc<DecryptionMaterials>> {
        if request.suite.kdf() == Kdf::Identity {
            self.stats.bypass();
            return self.inner.decryption_materials(request).await;
        }
        let id = self.decrypt_id(request, &request.encryption_context.serialize()?)?;
        if let Some(m) = self.cache.get_decrypt(&id) {
            self.stats.hit();
            return Ok(m);
        }
        let flight = self.flight(&id);
        let _guard = flight.lock.lock().await;
        if let Some(m) = self.cache.get_decrypt(&id) {
            self.stats.hit();
            return Ok(m);
        }
        self.stats.miss();
        let result = self.inner.decryption_materials(request).await;
        if let Ok(m) = &result {
            self.cache.put_decrypt(id, m.clone(), self.limits.max_age);
        }
        result
    }
}
