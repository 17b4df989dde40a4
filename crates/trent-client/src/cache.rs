//! An in-memory LRU cache of cryptographic materials with usage accounting, safe to share
//! between threads and tasks, with an injectable clock for tests.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::error::{Error, Result};
use crate::materials::{DecryptionMaterials, EncryptionMaterials};

/// Monotonic time source. Exists so cache expiry can be tested at its exact boundary.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Time elapsed since an arbitrary fixed origin.
    fn now(&self) -> Duration;
}

/// The real monotonic clock.
#[derive(Debug)]
pub struct SystemClock {
    origin: Instant,
}

impl Default for SystemClock {
    fn default() -> Self {
        Self { origin: Instant::now() }
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }
}

/// A clock that only moves when told to (tests, simulations).
#[derive(Debug, Default)]
pub struct ManualClock {
    now: Mutex<Duration>,
}

impl ManualClock {
    /// Moves time forward.
    pub fn advance(&self, by: Duration) {
        *self.now.lock() += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        *self.now.lock()
    }
}

/// Cache key (a SHA-512 digest).
pub(crate) type CacheId = [u8; 64];

#[derive(Clone)]
enum Cached {
    Encrypt(Arc<EncryptionMaterials>),
    Decrypt(Arc<DecryptionMaterials>),
}

struct Entry {
    materials: Cached,
    expires: Duration,
    messages: u64,
    bytes: u64,
    tick: u64,
}

#[derive(Default)]
struct Inner {
    map: HashMap<CacheId, Entry>,
    lru: BTreeMap<u64, CacheId>,
    next_tick: u64,
}

impl Inner {
    fn touch(&mut self, id: &CacheId) {
        let tick = self.next_tick;
        self.next_tick += 1;
        if let Some(e) = self.map.get_mut(id) {
            self.lru.remove(&e.tick);
            e.tick = tick;
            self.lru.insert(tick, *id);
        }
    }

    fn remove(&mut self, id: &CacheId) {
        if let Some(e) = self.map.remove(id) {
            self.lru.remove(&e.tick);
        }
    }

    fn insert(&mut self, id: CacheId, entry: Entry) {
        self.remove(&id);
        let tick = self.next_tick;
        self.next_tick += 1;
        self.lru.insert(tick, id);
        self.map.insert(id, Entry { tick, ..entry });
    }
}

/// Usage limits checked on every encrypt hit.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EncryptLimits {
    pub max_messages: u64,
    pub max_bytes: u64,
}

/// How many least-recently-used entries a put inspects for expiry.
const PRUNE_TAIL: usize = 10;

/// Least-recently-used cache of encryption and decryption materials.
///
/// Entries carry their expiry and usage counters; check-and-count happens under one lock so
/// concurrent users can never push an entry past a limit. Several caching managers may share
/// one cache; their partition names keep their entries apart.
pub struct LocalCache {
    capacity: usize,
    clock: Arc<dyn Clock>,
    inner: Mutex<Inner>,
}

impl fmt::Debug for LocalCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalCache").field("capacity", &self.capacity).field("len", &self.len()).finish()
    }
}

impl LocalCache {
    /// A cache holding at most `capacity` entries (≥ 1), on the system clock.
    pub fn new(capacity: usize) -> Result<Self> {
        Self::with_clock(capacity, Arc::new(SystemClock::default()))
    }

    /// Same with an explicit clock.
    pub fn with_clock(capacity: usize, clock: Arc<dyn Clock>) -> Result<Self> {
        if capacity == 0 {
            return Err(Error::Config("cache capacity must be at least 1".into()));
        }
        Ok(Self { capacity, clock, inner: Mutex::new(Inner::default()) })
    }

    /// Number of entries currently held (expired ones included until pruned).
    pub fn len(&self) -> usize {
        self.inner.lock().map.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every entry.
    pub fn clear(&self) {
        let mut inner = self.inner.lock();
        inner.map.clear();
        inner.lru.clear();
    }

    /// Counts one more message of `plaintext_len` bytes against the entry and returns its
    /// materials if the entry is unexpired and still within `limits` afterwards; otherwise the
    /// entry is evicted and `None` returned.
    pub(crate) fn use_for_encrypt(
        &self,
        id: &CacheId,
        plaintext_len: u64,
        limits: EncryptLimits,
    ) -> Option<Arc<EncryptionMaterials>> {
        let now = self.clock.now();
        let mut inner = self.inner.lock();
        let entry = inner.map.get_mut(id)?;
        let Cached::Encrypt(materials) = &entry.materials else {
            return None;
        };
        let materials = materials.clone();
        entry.messages = entry.messages.saturating_add(1);
        entry.bytes = entry.bytes.saturating_add(plaintext_len);
        let usable = now < entry.expires && entry.messages <= limits.max_messages && entry.bytes <= limits.max_bytes;
        if usable {
            inner.touch(id);
            Some(materials)
        } else {
            inner.remove(id);
            None
        }
    }

    /// Stores fresh encryption materials that have already been used for one message.
    pub(crate) fn put_encrypt(
        &self,
        id: CacheId,
        materials: Arc<EncryptionMaterials>,
        plaintext_len: u64,
        max_age: Duration,
    ) {
        self.put(
            id,
            Entry {
                materials: Cached::Encrypt(materials),
                expires: self.clock.now().saturating_add(max_age),
                messages: 1,
                bytes: plaintext_len,
                tick: 0,
            },
        );
    }

    /// Returns unexpired decryption materials.
    pub(crate) fn get_decrypt(&self, id: &CacheId) -> Option<Arc<DecryptionMaterials>> {
        let now = self.clock.now();
        let mut inner = self.inner.lock();
        let entry = inner.map.get(id)?;
        let Cached::Decrypt(materials) = &entry.materials else {
            return None;
        };
        if now < entry.expires {
            let m = materials.clone();
            inner.touch(id);
            Some(m)
        } else {
            inner.remove(id);
            None
        }
    }

    /// Stores decryption materials.
    pub(crate) fn put_decrypt(&self, id: CacheId, materials: Arc<DecryptionMaterials>, max_age: Duration) {
        self.put(
            id,
            Entry {
                materials: Cached::Decrypt(materials),
                expires: self.clock.now().saturating_add(max_age),
                messages: 0,
                bytes: 0,
                tick: 0,
            },
        );
    }

    fn put(&self, id: CacheId, entry: Entry) {
        let now = self.clock.now();
        let mut inner = self.inner.lock();
        inner.insert(id, entry);
        // Opportunistically drop expired entries among the least recently used.
        let stale: Vec<CacheId> = inner
            .lru
            .values()
            .take(PRUNE_TAIL)
            .filter(|k| inner.map.get(*k).is_some_and(|e| now >= e.expires))
            .copied()
            .collect();
        for k in stale {
            inner.remove(&k);
        }
        while inner.map.len() > self.capacity {
            let Some((_, oldest)) = inner.lru.pop_first() else {
                break;
            };
            inner.map.remove(&oldest);
        }
    }
}
