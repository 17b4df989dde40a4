//! In-process cost of one Encrypt request, served versus throttled: the
//! operation dispatch alone (JSON decode, key lookup, quota decision, AES-GCM,
//! JSON encode), without HTTP or SigV4, which both paths pay alike.
//!
//! `cargo bench -p trent-server --bench dispatch`

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use trent_core::quota::{QuotaConfig, QuotaEngine, QuotaOverride, SystemMonotonicClock};
use trent_core::root_key::RootKey;
use trent_core::{Caller, Kms, Operation};
use trent_store::SqliteStore;

fn kms(rt: &tokio::runtime::Runtime, symmetric_quota: Option<f64>) -> (Kms, Vec<u8>) {
    rt.block_on(async {
        let store = Arc::new(SqliteStore::open_in_memory().await.expect("store"));
        let mut cfg = QuotaConfig::default();
        if let Some(v) = symmetric_quota {
            cfg.overrides.push(QuotaOverride {
                account_id: "*".into(),
                region: "*".into(),
                quota_code: "L-6E3AF000".into(),
                value: v,
            });
        }
        let engine = Arc::new(QuotaEngine::new(&cfg, Arc::new(SystemMonotonicClock::new())).expect("engine"));
        let kms = Kms::new(store, RootKey::generate().expect("root").0).with_admission(engine);
        let caller = Caller::new("111122223333", "us-east-1");
        let out = trent_core::ops::dispatch(&kms, &caller, Operation::CreateKey, b"{}").await.expect("create");
        let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
        let id = v["KeyMetadata"]["KeyId"].as_str().expect("id").to_owned();
        let body = format!(r#"{{"KeyId":"{id}","Plaintext":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}}"#);
        (kms, body.into_bytes())
    })
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
    let caller = Caller::new("111122223333", "us-east-1");
    let (served, body) = kms(&rt, Some(1e12));
    c.bench_function("dispatch Encrypt, served", |b| {
        b.iter(|| rt.block_on(trent_core::ops::dispatch(&served, &caller, Operation::Encrypt, &body)).expect("served"))
    });
    let (throttled, body) = kms(&rt, Some(0.0));
    c.bench_function("dispatch Encrypt, throttled", |b| {
        b.iter(|| {
            let e = rt
                .block_on(trent_core::ops::dispatch(&throttled, &caller, Operation::Encrypt, &body))
                .expect_err("throttled");
            assert_eq!(e.kind, trent_core::ErrorKind::Throttling);
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
