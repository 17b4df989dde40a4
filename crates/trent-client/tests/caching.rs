//! The caching materials manager at each limit's boundary, on an injected clock.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use trent_client::cmm::caching::CachingLimits;
use trent_client::format::header::MessageHeader;
use trent_client::{
    CacheConfig, ClientConfig, DecryptOptions, EncryptOptions, EnvelopeClient, LocalCache, ManualClock,
};

struct Rig {
    kms: Arc<trent_client::testing::InMemoryKms>,
    clock: Arc<ManualClock>,
    client: EnvelopeClient,
}

fn rig(limits: CachingLimits, capacity: usize) -> Rig {
    let kms = kms();
    let clock = Arc::new(ManualClock::default());
    let cache = Arc::new(LocalCache::with_clock(capacity, clock.clone()).unwrap());
    let config = ClientConfig {
        caching: Some(CacheConfig { capacity, limits, partition: Some("tests".into()) }),
        ..ClientConfig::default()
    };
    let client = client_with_cache(&kms, strict(&[KEY1]), &config, Some(cache));
    Rig { kms, clock, client }
}

fn limits(age: u64, messages: u64, bytes: u64) -> CachingLimits {
    CachingLimits { max_age: Duration::from_secs(age), max_messages: messages, max_bytes: bytes }
}

fn edk_of(message: &[u8]) -> Vec<u8> {
    MessageHeader::read_from(&mut &message[..], None).unwrap().encrypted_data_keys[0].ciphertext.clone()
}

async fn enc(r: &Rig, len: usize, context: &[(&str, &str)]) -> Vec<u8> {
    let opts = EncryptOptions { encryption_context: ec(context), ..EncryptOptions::default() };
    r.client.encrypt_bytes(&data(len), &opts).await.unwrap()
}

#[tokio::test]
async fn max_messages_is_exact() {
    let r = rig(limits(600, 3, u64::MAX >> 1), 10);
    let mut edks = Vec::new();
    for _ in 0..7 {
        edks.push(edk_of(&enc(&r, 10, &[]).await));
    }
    // Messages 1-3 share a key, 4-6 the next, 7 a third.
    assert_eq!(edks[0], edks[2]);
    assert_ne!(edks[2], edks[3]);
    assert_eq!(edks[3], edks[5]);
    assert_ne!(edks[5], edks[6]);
    assert_eq!(r.kms.calls().0, 3);
    let s = r.client.stats();
    assert_eq!((s.cache_hits, s.cache_misses, s.kms_generate_data_key), (4, 3, 3));
}

#[tokio::test]
async fn max_messages_of_one_never_reuses() {
    let r = rig(limits(600, 1, 1 << 40), 10);
    for _ in 0..4 {
        enc(&r, 1, &[]).await;
    }
    assert_eq!(r.kms.calls().0, 4);
}

#[tokio::test]
async fn max_bytes_boundary() {
    let r = rig(limits(600, 100, 100), 10);
    let a = edk_of(&enc(&r, 40, &[]).await); // 40
    let b = edk_of(&enc(&r, 60, &[]).await); // 100: exactly at the limit, still served
    assert_eq!(a, b);
    let c = edk_of(&enc(&r, 1, &[]).await); // 101: over, fresh key (holding 1)
    assert_ne!(b, c);
    let d = edk_of(&enc(&r, 99, &[]).await); // 100 again
    assert_eq!(c, d);
    let e = edk_of(&enc(&r, 0, &[]).await); // empty messages still count as messages, 0 bytes
    assert_eq!(d, e);
    assert_eq!(r.kms.calls().0, 2);
    // A single message over the limit bypasses the cache and leaves the entry alone.
    let big = edk_of(&enc(&r, 101, &[]).await);
    assert_ne!(big, e);
    let f = edk_of(&enc(&r, 0, &[]).await);
    assert_eq!(f, e);
    // A first message of exactly max_bytes is served but not cached.
    let r = rig(limits(600, 100, 100), 10);
    let g = edk_of(&enc(&r, 100, &[]).await);
    let h = edk_of(&enc(&r, 0, &[]).await);
    assert_ne!(g, h);
    assert_eq!(r.client.stats().cache_bypasses, 0);
}

#[tokio::test]
async fn max_age_boundary() {
    let r = rig(limits(10, 100, 1 << 40), 10);
    let a = edk_of(&enc(&r, 1, &[]).await);
    r.clock.advance(Duration::from_secs(10) - Duration::from_nanos(1));
    let b = edk_of(&enc(&r, 1, &[]).await);
    assert_eq!(a, b, "one nanosecond before max_age the entry is still used");
    r.clock.advance(Duration::from_nanos(1));
    let c = edk_of(&enc(&r, 1, &[]).await);
    assert_ne!(b, c, "at max_age the entry is no longer used");
    assert_eq!(r.kms.calls().0, 2);
}

#[tokio::test]
async fn capacity_evicts_least_recently_used() {
    let r = rig(limits(600, 100, 1 << 40), 2);
    let a1 = edk_of(&enc(&r, 1, &[("k", "a")]).await);
    let b1 = edk_of(&enc(&r, 1, &[("k", "b")]).await);
    // Touch a, so b is the least recently used when c arrives.
    let a2 = edk_of(&enc(&r, 1, &[("k", "a")]).await);
    assert_eq!(a1, a2);
    enc(&r, 1, &[("k", "c")]).await;
    assert_eq!(r.kms.calls().0, 3);
    let a3 = edk_of(&enc(&r, 1, &[("k", "a")]).await);
    assert_eq!(a1, a3, "a survived");
    let b2 = edk_of(&enc(&r, 1, &[("k", "b")]).await);
    assert_ne!(b1, b2, "b was evicted");
    assert_eq!(r.kms.calls().0, 4);
}

#[tokio::test]
async fn contexts_and_suites_get_separate_entries() {
    let r = rig(limits(600, 100, 1 << 40), 10);
    enc(&r, 1, &[("k", "a")]).await;
    enc(&r, 1, &[("k", "b")]).await;
    let opts = EncryptOptions {
        encryption_context: ec(&[("k", "a")]),
        suite: Some(trent_client::AlgorithmSuite::Aes256GcmHkdfSha512CommitKey),
        ..EncryptOptions::default()
    };
    r.client.encrypt_bytes(b"x", &opts).await.unwrap();
    assert_eq!(r.kms.calls().0, 3);
}

#[tokio::test]
async fn unknown_length_bypasses_the_cache() {
    let r = rig(limits(600, 100, 1 << 40), 10);
    for _ in 0..3 {
        let enc = r.client.encryptor(Vec::new(), None, &EncryptOptions::default()).await.unwrap();
        enc.finish().unwrap();
    }
    assert_eq!(r.kms.calls().0, 3);
    assert_eq!(r.client.stats().cache_bypasses, 3);
}

#[tokio::test]
async fn decrypt_entries_are_reused_until_max_age() {
    let r = rig(limits(10, 100, 1 << 40), 10);
    let m1 = enc(&r, 5, &[]).await;
    let m2 = enc(&r, 5, &[]).await; // same data key, same EDK
    let other = enc(&r, 5, &[("x", "y")]).await;
    for m in [&m1, &m2, &m1, &other] {
        r.client.decrypt_bytes(m, &DecryptOptions::default()).await.unwrap();
    }
    assert_eq!(r.kms.calls().2, 2);
    r.clock.advance(Duration::from_secs(10));
    r.client.decrypt_bytes(&m1, &DecryptOptions::default()).await.unwrap();
    assert_eq!(r.kms.calls().2, 3);
}

#[tokio::test]
async fn partitions_share_or_separate_entries() {
    let kms = kms();
    let cache = Arc::new(LocalCache::new(10).unwrap());
    let make = |partition: &str| {
        let config = ClientConfig {
            caching: Some(CacheConfig {
                capacity: 10,
                limits: limits(600, 100, 1 << 40),
                partition: Some(partition.into()),
            }),
            ..ClientConfig::default()
        };
        client_with_cache(&kms, strict(&[KEY1]), &config, Some(cache.clone()))
    };
    let (a, a2, b) = (make("p1"), make("p1"), make("p2"));
    let opts = EncryptOptions::default();
    a.encrypt_bytes(b"1", &opts).await.unwrap();
    a2.encrypt_bytes(b"2", &opts).await.unwrap();
    assert_eq!(kms.calls().0, 1, "same partition shares");
    b.encrypt_bytes(b"3", &opts).await.unwrap();
    assert_eq!(kms.calls().0, 2, "other partition does not");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_use_respects_limits_exactly() {
    for round in 0..5 {
        let r = Arc::new(rig(limits(600, 10, 1 << 40), 10));
        let mut tasks = Vec::new();
        for _ in 0..400 {
            let r = r.clone();
            tasks.push(tokio::spawn(async move { edk_of(&enc(&r, 100, &[]).await) }));
        }
        let mut counts = std::collections::HashMap::new();
        for t in tasks {
            *counts.entry(t.await.unwrap()).or_insert(0) += 1;
        }
        assert_eq!(r.kms.calls().0, 40, "round {round}");
        assert!(counts.values().all(|&n| n == 10), "round {round}: {:?}", counts.values());
    }
}

#[test]
fn invalid_limits_are_rejected() {
    let kms = kms();
    for bad in [limits(0, 1, 1), limits(1, 0, 1), limits(1, (1 << 32) + 1, 1)] {
        let config = ClientConfig {
            caching: Some(CacheConfig { capacity: 1, limits: bad, partition: None }),
            ..ClientConfig::default()
        };
        let stats = Arc::new(trent_client::Stats::default());
        let keyring = Arc::new(trent_client::AwsKmsKeyring::new(kms.clone(), strict(&[KEY1]), stats.clone()).unwrap());
        assert!(EnvelopeClient::from_keyring(keyring, stats, &config).is_err());
    }
    assert!(LocalCache::new(0).is_err());
}
