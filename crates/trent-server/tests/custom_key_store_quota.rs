//! The custom key store request pool, proved in-process with a hand-moved
//! monotonic clock (no sleeps): each store has its own 1,800 units per second,
//! not adjustable; in the 2020 profile GenerateDataKey(WithoutPlaintext) and
//! GenerateRandom cost 3 units; and every such call also draws on the calling
//! account's symmetric pool (docs/quotas.md, "Custom key store pool").
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{ACCOUNT, REGION, Service};
use serde_json::{Value, json};
use trent_core::quota::{ManualMonotonicClock, Profile, QuotaConfig, QuotaEngine, QuotaOverride};
use trent_core::{ErrorKind, Operation};

const STORE_POOL: usize = 1_800;
/// One second, plus the 800 ns the engine's whole-nanosecond emission interval
/// adds to a full refill: 1 s / 1,800 rounds to 555,556 ns, and 1,800 of them
/// are 1.0000008 s.
const ONE_SECOND: Duration = Duration::from_micros(1_000_001);

/// A service whose account symmetric pool (`L-6E3AF000`) is `symmetric` per
/// second, and the monotonic clock its request quotas run on.
async fn service(profile: Profile, symmetric: f64) -> (Service, Arc<ManualMonotonicClock>) {
    let clock = Arc::new(ManualMonotonicClock::new(1_000_000_000));
    let config = QuotaConfig {
        profile,
        overrides: vec![QuotaOverride {
            account_id: ACCOUNT.into(),
            region: REGION.into(),
            quota_code: "L-6E3AF000".into(),
            value: symmetric,
        }],
        ..QuotaConfig::default()
    };
    let engine = QuotaEngine::new(&config, clock.clone()).unwrap();
    let s = Service::build(REGION, |kms| kms.with_admission(Arc::new(engine))).await;
    (s, clock)
}

/// Helpers only this file needs.
impl Service {
    /// A connected CloudHSM key store and a key in it; returns (store id, key id).
    async fn store_with_key(&self) -> (String, String) {
        let store = self.create_custom_key_store("quota-store", "cluster-abcdefghijk").await;
        self.ok(Operation::ConnectCustomKeyStore, json!({"CustomKeyStoreId": store})).await;
        let md = self
            .ok(Operation::CreateKey, json!({"Origin": "AWS_CLOUDHSM", "CustomKeyStoreId": store}))
            .await["KeyMetadata"]
            .clone();
        assert_eq!(md["CustomKeyStoreId"], store.as_str());
        (store, md["KeyId"].as_str().unwrap().to_owned())
    }

    /// Runs `op` with `body` `n` times; every call must succeed.
    async fn admit_n(&self, n: usize, op: Operation, body: &Value) {
        for i in 0..n {
            if let Err(e) = self.call(op, body.clone()).await {
                panic!("{op:?} #{} of {n} failed: {e}", i + 1);
            }
        }
    }

    async fn throttled(&self, op: Operation, body: &Value) {
        match self.call(op, body.clone()).await {
            Ok(_) => panic!("{op:?} was admitted"),
            Err(e) => assert_eq!(e.kind, ErrorKind::Throttling, "{e}"),
        }
    }
}

fn encrypt(key: &str) -> Value {
    json!({"KeyId": key, "Plaintext": STANDARD.encode(b"custom key store")})
}

fn generate_data_key(key: &str) -> Value {
    json!({"KeyId": key, "KeySpec": "AES_256"})
}

#[tokio::test]
async fn current_profile_store_pool_is_1800_encrypts_and_also_draws_on_the_account_pool() {
    // Room for 2,000 symmetric requests: more than the store's 1,800.
    let (s, clock) = service(Profile::Current, 2_000.0).await;
    let (_store, key) = s.store_with_key().await;
    let plain = s.create_key().await.0;

    // The store's burst: 1,800 at once; the 1,801st is throttled by the store
    // although the account pool still has 200 requests of room.
    s.admit_n(STORE_POOL, Operation::Encrypt, &encrypt(&key)).await;
    s.throttled(Operation::Encrypt, &encrypt(&key)).await;

    // The 1,800 also counted against the account pool: exactly 200 requests
    // on a key outside the store remain (the refused ones charged nothing).
    s.admit_n(200, Operation::Encrypt, &encrypt(&plain)).await;
    s.throttled(Operation::Encrypt, &encrypt(&plain)).await;

    // One second later both buckets are full again.
    clock.advance(ONE_SECOND);
    s.admit_n(STORE_POOL, Operation::Encrypt, &encrypt(&key)).await;
    s.throttled(Operation::Encrypt, &encrypt(&key)).await;
}

#[tokio::test]
async fn profile_2020_generate_data_key_costs_three_store_units_and_one_account_unit() {
    let (s, clock) = service(Profile::Y2020, 1_000.0).await;
    let (store, key) = s.store_with_key().await;
    let plain = s.create_key().await.0;

    // "about 600/s for only GenerateDataKey": 600 × 3 = 1,800 units.
    s.admit_n(600, Operation::GenerateDataKey, &generate_data_key(&key)).await;
    s.throttled(Operation::GenerateDataKey, &generate_data_key(&key)).await;
    s.throttled(Operation::GenerateDataKeyWithoutPlaintext, &generate_data_key(&key)).await;
    s.throttled(Operation::GenerateRandom, &json!({"NumberOfBytes": 16, "CustomKeyStoreId": store})).await;

    // The account pool (1,000/s) was charged one unit per call: 400 left.
    s.admit_n(400, Operation::Encrypt, &encrypt(&plain)).await;
    s.throttled(Operation::Encrypt, &encrypt(&plain)).await;

    // Refilled after a second: GenerateRandom on the store costs 3 units too.
    clock.advance(ONE_SECOND);
    let random = json!({"NumberOfBytes": 16, "CustomKeyStoreId": store});
    s.admit_n(600, Operation::GenerateRandom, &random).await;
    s.throttled(Operation::GenerateRandom, &random).await;
    // GenerateRandom without a store uses only the account pool (400 left).
    s.admit_n(400, Operation::GenerateRandom, &json!({"NumberOfBytes": 16})).await;
    s.throttled(Operation::GenerateRandom, &json!({"NumberOfBytes": 16})).await;

    // "about 1,200/s for a 50/50 mix with Decrypt": 450 × 3 + 450 × 1 = 1,800.
    clock.advance(ONE_SECOND);
    let blob = s.ok(Operation::Encrypt, encrypt(&key)).await["CiphertextBlob"].clone();
    let decrypt = json!({"CiphertextBlob": blob});
    for _ in 0..449 {
        s.ok(Operation::GenerateDataKey, generate_data_key(&key)).await;
        s.ok(Operation::Decrypt, decrypt.clone()).await;
    }
    s.ok(Operation::GenerateDataKey, generate_data_key(&key)).await;
    // 1 (Encrypt) + 449 × 4 + 3 = 1,800 units used.
    s.throttled(Operation::Decrypt, &decrypt).await;
}

#[tokio::test]
async fn stores_have_separate_pools() {
    let (s, _clock) = service(Profile::Current, 100_000.0).await;
    let (_a, key_a) = s.store_with_key().await;
    let b = s.create_custom_key_store("second-store", "cluster-bcdefghijkl").await;
    s.ok(Operation::ConnectCustomKeyStore, json!({"CustomKeyStoreId": b})).await;
    let key_b = s.ok(Operation::CreateKey, json!({"Origin": "AWS_CLOUDHSM", "CustomKeyStoreId": b})).await
        ["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_owned();
    s.admit_n(STORE_POOL, Operation::Encrypt, &encrypt(&key_a)).await;
    s.throttled(Operation::Encrypt, &encrypt(&key_a)).await;
    s.admit_n(STORE_POOL, Operation::Encrypt, &encrypt(&key_b)).await;
    s.throttled(Operation::Encrypt, &encrypt(&key_b)).await;
}
