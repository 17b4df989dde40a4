//! In-process cost of one Encrypt request, served versus throttled: the
//! operation dispatch alone (JSON decode, key lookup, authorization, quota
//! decision, AES-GCM, JSON encode), without HTTP or SigV4, which both paths
//! pay alike; and the authorization decision alone, by the default key
//! policy, by a policy with conditions, and by a grant.
//!
//! `cargo bench -p trent-server --bench dispatch`

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use trent_core::key::root_key::RootKey;
use trent_core::quota::{QuotaConfig, QuotaEngine, QuotaOverride, SystemMonotonicClock};
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

/// A key with `policy` (None: the default policy) and, if `grantee` is given,
/// a grant for Encrypt to that principal; returns the loaded key.
fn key_for_authz(
    rt: &tokio::runtime::Runtime,
    kms: &Kms,
    policy: Option<&str>,
    grantee: Option<&str>,
) -> std::sync::Arc<trent_core::key::cache::LoadedKey> {
    rt.block_on(async {
        let admin = Caller::new("111122223333", "us-east-1");
        let body = match policy {
            Some(p) => serde_json::json!({ "Policy": p }).to_string(),
            None => "{}".to_owned(),
        };
        let out = trent_core::ops::dispatch(kms, &admin, Operation::CreateKey, body.as_bytes()).await.expect("create");
        let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
        let id = v["KeyMetadata"]["KeyId"].as_str().expect("id").to_owned();
        if let Some(g) = grantee {
            let req = serde_json::json!({ "KeyId": id, "GranteePrincipal": g, "Operations": ["Encrypt"] }).to_string();
            trent_core::ops::dispatch(kms, &admin, Operation::CreateGrant, req.as_bytes()).await.expect("grant");
        }
        kms.load_key(&id).await.expect("load").expect("key")
    })
}

fn bench_authorization(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
    let (kms, _) = kms(&rt, Some(1e12));
    let user = Caller {
        account_id: "111122223333".into(),
        region: "us-east-1".into(),
        principal_arn: "arn:aws:iam::111122223333:user/app".into(),
        access_key_id: String::new(),
    };
    let ctx: trent_core::key::encryption_context::EncryptionContext =
        [("tenant".to_owned(), "t1".to_owned())].into_iter().collect();
    let access = trent_core::access::authorize::Access::new("Encrypt").context(Some(&ctx));
    let conditioned = serde_json::json!({"Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*",
         "Condition": {"StringEquals": {"kms:CallerAccount": "111122223333"}, "ForAllValues:StringLike": {"kms:EncryptionContextKeys": ["tenant*"]}}}
    ]})
    .to_string();
    let admin_only = serde_json::json!({"Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:root"}}}
    ]})
    .to_string();
    let cases = [
        ("authorize Encrypt, default key policy", key_for_authz(&rt, &kms, None, None)),
        ("authorize Encrypt, key policy with conditions", key_for_authz(&rt, &kms, Some(&conditioned), None)),
        ("authorize Encrypt, by grant", key_for_authz(&rt, &kms, Some(&admin_only), Some(&user.principal_arn))),
    ];
    // What driving any future through block_on costs, to subtract from the cases below.
    c.bench_function("block_on of a ready future (baseline)", |b| b.iter(|| rt.block_on(async { 1 })));
    for (name, key) in &cases {
        c.bench_function(name, |b| {
            b.iter(|| rt.block_on(kms.authorize(&user, key, &access, None)).expect("allowed"));
        });
    }
}

criterion_group!(benches, bench, bench_authorization);
criterion_main!(benches);
