//! End-to-end tests of the quota engine through the `Admission` trait,
//! driven by a manual clock (no sleeps).

use std::sync::Arc;
use std::time::Duration;

use crate::access::caller::Caller;
use crate::error::{ErrorKind, THROTTLING_MESSAGE};
use crate::key::model::{DataKeyPairSpec, KeyManager, KeySpec};
use crate::operation::Operation;
use crate::quota::admission::{Admission, Charge, KeyClass};

use super::*;

const T0: u64 = 1_000 * 1_000_000_000;

fn engine_with(config: QuotaConfig) -> (QuotaEngine, Arc<ManualMonotonicClock>) {
    let clock = Arc::new(ManualMonotonicClock::new(T0));
    let engine = QuotaEngine::new(&config, clock.clone()).expect("valid config");
    (engine, clock)
}

fn engine(profile: Profile) -> (QuotaEngine, Arc<ManualMonotonicClock>) {
    engine_with(QuotaConfig { profile, ..QuotaConfig::default() })
}

fn ov(account: &str, region: &str, code: &str, value: f64) -> QuotaOverride {
    QuotaOverride { account_id: account.into(), region: region.into(), quota_code: code.into(), value }
}

const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

fn customer(spec: KeySpec) -> KeyClass<'static> {
    KeyClass { spec, manager: KeyManager::Customer, custom_key_store_id: None, key_id: KEY_ID }
}

fn charge<'a>(caller: &'a Caller, op: Operation, key: Option<KeyClass<'a>>) -> Charge<'a> {
    Charge { caller, operation: op, key, key_pair_spec: None, custom_key_store_id: None }
}

fn gdkp<'a>(caller: &'a Caller, spec: DataKeyPairSpec) -> Charge<'a> {
    Charge {
        caller,
        operation: Operation::GenerateDataKeyPair,
        key: Some(customer(KeySpec::SymmetricDefault)),
        key_pair_spec: Some(spec),
        custom_key_store_id: None,
    }
}

/// How many of `n` identical requests at the same instant are admitted.
async fn admitted(engine: &QuotaEngine, c: &Charge<'_>, n: usize) -> usize {
    let mut ok = 0;
    for _ in 0..n {
        if engine.admit(c).await.is_ok() {
            ok += 1;
        }
    }
    ok
}

#[tokio::test]
async fn refusal_is_the_exact_throttling_exception() {
    let (e, _) =
        engine_with(QuotaConfig { overrides: vec![ov("*", "*", "L-32B67F4A", 0.0)], ..QuotaConfig::default() });
    let c = Caller::new("111122223333", "us-east-1");
    let err = e.admit(&charge(&c, Operation::CreateKey, None)).await.expect_err("quota 0");
    assert_eq!(err.kind, ErrorKind::Throttling);
    assert_eq!(err.kind.aws_type(), "ThrottlingException");
    assert_eq!(err.message.as_deref(), Some(THROTTLING_MESSAGE));
}

#[tokio::test]
async fn symmetric_rsa_ecc_and_ml_dsa_pools_are_independent() {
    let (e, _) = engine(Profile::Current);
    let c = Caller::new("111122223333", "eu-north-1");
    let sym = charge(&c, Operation::Encrypt, Some(customer(KeySpec::SymmetricDefault)));
    assert_eq!(admitted(&e, &sym, 10_001).await, 10_000);
    let rsa = charge(&c, Operation::Sign, Some(customer(KeySpec::Rsa2048)));
    assert_eq!(admitted(&e, &rsa, 1_001).await, 1_000);
    let ecc = charge(&c, Operation::Verify, Some(customer(KeySpec::EccNistP256)));
    assert_eq!(admitted(&e, &ecc, 1_001).await, 1_000);
    let mldsa = charge(&c, Operation::Sign, Some(customer(KeySpec::MlDsa44)));
    assert_eq!(admitted(&e, &mldsa, 1_001).await, 1_000);
    // Exhausting the asymmetric pools gave the symmetric pool nothing back, and vice versa.
    assert!(e.admit(&sym).await.is_err());
    assert!(e.admit(&rsa).await.is_err());
}

#[tokio::test]
async fn the_2020_profile_has_the_2020_pools() {
    let (e, _) = engine(Profile::Y2020);
    let c = Caller::new("111122223333", "eu-north-1");
    let sym = charge(&c, Operation::Decrypt, Some(customer(KeySpec::SymmetricDefault)));
    assert_eq!(admitted(&e, &sym, 5_501).await, 5_500);
    let rsa = charge(&c, Operation::Decrypt, Some(customer(KeySpec::Rsa4096)));
    assert_eq!(admitted(&e, &rsa, 501).await, 500);
    let ecc = charge(&c, Operation::Sign, Some(customer(KeySpec::EccSecgP256k1)));
    assert_eq!(admitted(&e, &ecc, 301).await, 300);
}

#[tokio::test]
async fn symmetric_quota_follows_the_region_tier() {
    for (profile, region, value) in [
        (Profile::Current, "us-east-1", 100_000),
        (Profile::Current, "ap-northeast-1", 20_000),
        (Profile::Y2020, "us-west-2", 30_000),
        (Profile::Y2020, "eu-west-2", 10_000),
    ] {
        let (e, _) = engine(profile);
        let c = Caller::new("111122223333", region);
        let sym = charge(&c, Operation::GenerateDataKey, Some(customer(KeySpec::SymmetricDefault)));
        assert_eq!(admitted(&e, &sym, value + 1).await, value, "{profile:?} {region}");
    }
}

#[tokio::test]
async fn hmac_and_generate_random_share_the_symmetric_pool() {
    let (e, _) = engine_with(QuotaConfig {
        overrides: vec![ov("111122223333", "us-east-1", "L-6E3AF000", 3.0)],
        ..QuotaConfig::default()
    });
    let c = Caller::new("111122223333", "us-east-1");
    assert!(e.admit(&charge(&c, Operation::Encrypt, Some(customer(KeySpec::SymmetricDefault)))).await.is_ok());
    assert!(e.admit(&charge(&c, Operation::GenerateMac, Some(customer(KeySpec::Hmac256)))).await.is_ok());
    assert!(e.admit(&charge(&c, Operation::GenerateRandom, None)).await.is_ok());
    assert!(e.admit(&charge(&c, Operation::VerifyMac, Some(customer(KeySpec::Hmac256)))).await.is_err());
}

#[tokio::test]
async fn generate_data_key_pair_draws_only_on_its_spec_quota() {
    let (e, clock) = engine_with(QuotaConfig {
        profile: Profile::Y2020,
        overrides: vec![ov("*", "*", "L-6E3AF000", 1.0)],
        ..QuotaConfig::default()
    });
    let c = Caller::new("111122223333", "us-east-1");
    assert_eq!(admitted(&e, &gdkp(&c, DataKeyPairSpec::Rsa2048), 3).await, 1);
    assert_eq!(admitted(&e, &gdkp(&c, DataKeyPairSpec::EccNistP256), 30).await, 25);
    assert_eq!(admitted(&e, &gdkp(&c, DataKeyPairSpec::EccNistP384), 30).await, 10);
    let mut without = gdkp(&c, DataKeyPairSpec::EccNistP521);
    without.operation = Operation::GenerateDataKeyPairWithoutPlaintext;
    assert_eq!(admitted(&e, &without, 10).await, 5);
    // The symmetric pool (1/s here) was never touched by the pair calls.
    assert!(e.admit(&charge(&c, Operation::Encrypt, Some(customer(KeySpec::SymmetricDefault)))).await.is_ok());
    // RSA_4096 in 2020: one per 10 s.
    let rsa4096 = gdkp(&c, DataKeyPairSpec::Rsa4096);
    assert!(e.admit(&rsa4096).await.is_ok());
    clock.advance(Duration::from_millis(9_999));
    assert!(e.admit(&rsa4096).await.is_err());
    clock.advance(Duration::from_millis(1));
    assert!(e.admit(&rsa4096).await.is_ok());
}

#[tokio::test]
async fn china_regions_keep_the_old_rsa_pair_rates() {
    let (e, clock) = engine(Profile::Current);
    let cn = Caller::new("111122223333", "cn-north-1");
    let us = Caller::new("111122223333", "us-east-1");
    assert_eq!(admitted(&e, &gdkp(&us, DataKeyPairSpec::Rsa3072), 10).await, 4);
    assert_eq!(admitted(&e, &gdkp(&cn, DataKeyPairSpec::Rsa3072), 10).await, 1);
    clock.advance(Duration::from_millis(1_999));
    assert!(e.admit(&gdkp(&cn, DataKeyPairSpec::Rsa3072)).await.is_err());
    clock.advance(Duration::from_millis(1));
    assert!(e.admit(&gdkp(&cn, DataKeyPairSpec::Rsa3072)).await.is_ok());
}

#[tokio::test]
async fn fractional_quota_admits_exactly_one_per_four_seconds() {
    let (e, clock) = engine(Profile::Y2020);
    let c = Caller::new("111122223333", "us-east-1");
    let gpi = charge(&c, Operation::GetParametersForImport, Some(customer(KeySpec::SymmetricDefault)));
    assert!(e.admit(&gpi).await.is_ok());
    let mut admitted_at = vec![];
    // Hammer every 100 ms for 40 s: exactly 10 more pass, 4 s apart.
    for step in 1..=400u64 {
        clock.advance(Duration::from_millis(100));
        if e.admit(&gpi).await.is_ok() {
            admitted_at.push(step * 100);
        }
    }
    assert_eq!(admitted_at, (1..=10).map(|k| k * 4_000).collect::<Vec<_>>());
}

/// The token bucket, as `algorithm = "token-bucket"` configures it.
fn token_bucket() -> QuotaConfig {
    QuotaConfig { algorithm: Algorithm::TokenBucket, ..QuotaConfig::default() }
}

#[tokio::test]
async fn default_burst_is_one_seconds_worth_then_the_steady_rate() {
    let (e, clock) = engine_with(token_bucket());
    let c = Caller::new("111122223333", "us-east-1");
    let create = charge(&c, Operation::CreateKey, None);
    assert_eq!(admitted(&e, &create, 10).await, 5);
    clock.advance(Duration::from_millis(199));
    assert!(e.admit(&create).await.is_err());
    clock.advance(Duration::from_millis(1));
    assert!(e.admit(&create).await.is_ok());
    assert!(e.admit(&create).await.is_err());
    // After a full idle second the burst is back.
    clock.advance(Duration::from_secs(1));
    assert_eq!(admitted(&e, &create, 10).await, 5);
}

#[tokio::test]
async fn burst_seconds_is_configurable() {
    let (e, _) = engine_with(QuotaConfig { burst_seconds: 3.0, ..token_bucket() });
    let c = Caller::new("111122223333", "us-east-1");
    assert_eq!(admitted(&e, &charge(&c, Operation::CreateKey, None), 20).await, 15);
}

#[tokio::test]
async fn per_operation_quotas_are_independent() {
    let (e, _) = engine(Profile::Current);
    let c = Caller::new("111122223333", "us-east-1");
    assert_eq!(admitted(&e, &charge(&c, Operation::CreateKey, None), 6).await, 5);
    assert_eq!(admitted(&e, &charge(&c, Operation::CreateAlias, None), 6).await, 5);
    let k = Some(customer(KeySpec::SymmetricDefault));
    assert_eq!(admitted(&e, &charge(&c, Operation::DeleteAlias, k), 20).await, 15);
    assert_eq!(admitted(&e, &charge(&c, Operation::DescribeKey, k), 2_001).await, 2_000);
    // GetPublicKey has its own quota, not the RSA pool's.
    let rsa = Some(customer(KeySpec::Rsa2048));
    assert_eq!(admitted(&e, &charge(&c, Operation::GetPublicKey, rsa), 2_001).await, 2_000);
    assert!(e.admit(&charge(&c, Operation::Decrypt, rsa)).await.is_ok());
    // Crypto on the symmetric pool is unaffected by the management quotas.
    assert!(e.admit(&charge(&c, Operation::Encrypt, k)).await.is_ok());
}

#[tokio::test]
async fn cross_account_use_is_charged_to_the_caller() {
    let (e, _) =
        engine_with(QuotaConfig { overrides: vec![ov("*", "*", "L-6E3AF000", 2.0)], ..QuotaConfig::default() });
    // One key (owned by some third account); two callers.
    let key = Some(customer(KeySpec::SymmetricDefault));
    let a = Caller::new("111111111111", "us-east-1");
    let b = Caller::new("222222222222", "us-east-1");
    assert_eq!(admitted(&e, &charge(&a, Operation::Decrypt, key), 5).await, 2);
    assert_eq!(admitted(&e, &charge(&b, Operation::Decrypt, key), 5).await, 2);
    // Same account, another region: another bucket.
    let a2 = Caller::new("111111111111", "us-west-2");
    assert_eq!(admitted(&e, &charge(&a2, Operation::Decrypt, key), 5).await, 2);
}

#[tokio::test]
async fn aws_managed_keys_count_by_default_and_can_be_exempted() {
    let aws = Some(KeyClass {
        spec: KeySpec::SymmetricDefault,
        manager: KeyManager::Aws,
        custom_key_store_id: None,
        key_id: KEY_ID,
    });
    let o = vec![ov("*", "*", "L-6E3AF000", 1.0)];
    let (e, _) = engine_with(QuotaConfig { overrides: o.clone(), ..QuotaConfig::default() });
    let c = Caller::new("111122223333", "us-east-1");
    assert_eq!(admitted(&e, &charge(&c, Operation::Encrypt, aws), 5).await, 1);
    let (e, _) = engine_with(QuotaConfig { overrides: o, charge_aws_managed_keys: false, ..QuotaConfig::default() });
    assert_eq!(admitted(&e, &charge(&c, Operation::Encrypt, aws), 5).await, 5);
    let cust = Some(customer(KeySpec::SymmetricDefault));
    assert_eq!(admitted(&e, &charge(&c, Operation::Encrypt, cust), 5).await, 1);
}

fn in_store(spec: KeySpec, store: &str) -> Option<KeyClass<'_>> {
    Some(KeyClass { spec, manager: KeyManager::Customer, custom_key_store_id: Some(store), key_id: KEY_ID })
}

#[tokio::test]
async fn custom_key_store_pool_is_1800_with_3_unit_data_keys_in_2020() {
    let (e, clock) = engine(Profile::Y2020);
    let c = Caller::new("111122223333", "us-east-1");
    let k = in_store(KeySpec::SymmetricDefault, "cks-1111111111111111a");
    assert_eq!(admitted(&e, &charge(&c, Operation::GenerateDataKey, k), 700).await, 600);
    assert!(e.admit(&charge(&c, Operation::Decrypt, k)).await.is_err(), "store is empty");
    // Another store is independent; Encrypt/Decrypt cost 1 unit.
    let k2 = in_store(KeySpec::SymmetricDefault, "cks-2222222222222222b");
    assert_eq!(admitted(&e, &charge(&c, Operation::Decrypt, k2), 2_000).await, 1_800);
    // A 50/50 GenerateDataKey + Decrypt mix gets 900/s through by the documented
    // weights (the 2020 text's "about 1,200/s" would need 2,400 units; docs/quotas.md).
    clock.advance(Duration::from_secs(1));
    let k3 = in_store(KeySpec::SymmetricDefault, "cks-3333333333333333c");
    let mut ok = 0;
    for i in 0..2_000 {
        let op = if i % 2 == 0 { Operation::GenerateDataKeyWithoutPlaintext } else { Operation::Decrypt };
        if e.admit(&charge(&c, op, k3)).await.is_ok() {
            ok += 1;
        }
    }
    assert_eq!(ok, 900, "450 × 3 + 450 × 1 = 1,800 units");
    // GenerateRandom with CustomKeyStoreId costs 3 units of that store too.
    let mut random = charge(&c, Operation::GenerateRandom, None);
    random.custom_key_store_id = Some("cks-4444444444444444d");
    assert_eq!(admitted(&e, &random, 700).await, 600);
}

#[tokio::test]
async fn custom_key_store_pool_is_1800_of_anything_today_and_shared_by_accounts() {
    let (e, _) = engine(Profile::Current);
    let a = Caller::new("111111111111", "us-east-1");
    let b = Caller::new("222222222222", "us-east-1");
    let k = in_store(KeySpec::SymmetricDefault, "cks-1111111111111111a");
    assert_eq!(admitted(&e, &charge(&a, Operation::GenerateDataKey, k), 1_000).await, 1_000);
    assert_eq!(admitted(&e, &charge(&b, Operation::GenerateDataKey, k), 1_000).await, 800);
}

#[tokio::test]
async fn multi_bucket_charges_are_all_or_nothing() {
    let (e, _) = engine_with(QuotaConfig {
        profile: Profile::Y2020,
        overrides: vec![ov("111111111111", "*", "L-6E3AF000", 2.0)],
        ..QuotaConfig::default()
    });
    let poor = Caller::new("111111111111", "us-east-1");
    let rich = Caller::new("222222222222", "us-east-1");
    let k = in_store(KeySpec::SymmetricDefault, "cks-1111111111111111a");
    // Two pass; the next 50 are refused by the caller's symmetric pool and
    // must not drain the store.
    assert_eq!(admitted(&e, &charge(&poor, Operation::GenerateDataKey, k), 52).await, 2);
    // The store therefore has 1,800 − 2 × 3 = 1,794 units left: 598 more data keys.
    assert_eq!(admitted(&e, &charge(&rich, Operation::GenerateDataKey, k), 700).await, 598);
    // Each refusal is metered where it happened: the poor account's on its
    // symmetric pool, the rich account's on the store's pool.
    let snap = e.usage_snapshot();
    let row = |account: &str, quota: QuotaId| {
        snap.iter().find(|b| b.account_id == account && b.quota == quota).map(|b| (b.admitted, b.throttled, b.limit))
    };
    assert_eq!(row("111111111111", QuotaId::SYMMETRIC), Some((2, 50, 2.0)));
    assert_eq!(row("111111111111", QuotaId::CUSTOM_KEY_STORE), Some((6, 0, 1_800.0)), "3 units per data key");
    assert_eq!(row("222222222222", QuotaId::SYMMETRIC), Some((598, 0, 30_000.0)), "us-east-1 in 2020: {snap:?}");
    assert_eq!(row("222222222222", QuotaId::CUSTOM_KEY_STORE), Some((1_794, 102, 1_800.0)));
    // And a refusal by the store leaves the caller's symmetric pool untouched.
    let sym = charge(&rich, Operation::Encrypt, Some(customer(KeySpec::SymmetricDefault)));
    assert_eq!(admitted(&e, &sym, 30_000).await, 30_000 - 598);
}

#[tokio::test]
async fn overrides_replace_defaults() {
    let (e, clock) = engine_with(QuotaConfig {
        overrides: vec![
            ov("111122223333", "us-east-1", "L-32B67F4A", 1.0),
            ov("*", "*", "T-GetParametersForImport", 0.5),
        ],
        ..QuotaConfig::default()
    });
    let c = Caller::new("111122223333", "us-east-1");
    assert_eq!(admitted(&e, &charge(&c, Operation::CreateKey, None), 5).await, 1);
    assert_eq!(e.applied_value("111122223333", "us-east-1", QuotaId::from_code("L-32B67F4A").expect("q")), 1.0);
    let other = Caller::new("444455556666", "us-east-1");
    assert_eq!(admitted(&e, &charge(&other, Operation::CreateKey, None), 10).await, 5);
    let gpi = charge(&other, Operation::GetParametersForImport, None);
    assert!(e.admit(&gpi).await.is_ok());
    clock.advance(Duration::from_millis(1_999));
    assert!(e.admit(&gpi).await.is_err());
    clock.advance(Duration::from_millis(1));
    assert!(e.admit(&gpi).await.is_ok());
}

#[tokio::test]
async fn increases_take_effect_at_once() {
    let (e, _) =
        engine_with(QuotaConfig { overrides: vec![ov("*", "*", "L-2AC98190", 2.0)], ..QuotaConfig::default() });
    let c = Caller::new("111122223333", "us-east-1");
    let rsa = charge(&c, Operation::Encrypt, Some(customer(KeySpec::Rsa2048)));
    assert_eq!(admitted(&e, &rsa, 5).await, 2);
    e.apply_increase("111122223333", "us-east-1", QuotaId::RSA, 10.0).await;
    assert_eq!(e.applied_value("111122223333", "us-east-1", QuotaId::RSA), 10.0);
    // No time has passed, yet the new value applies.
    assert_eq!(admitted(&e, &rsa, 20).await, 10);
    // Only that account and region.
    let other = Caller::new("111122223333", "eu-west-1");
    let rsa2 = charge(&other, Operation::Encrypt, Some(customer(KeySpec::Rsa2048)));
    assert_eq!(admitted(&e, &rsa2, 5).await, 2);
}

#[tokio::test]
async fn disabled_admits_everything() {
    let (e, _) = engine_with(QuotaConfig {
        enabled: false,
        overrides: vec![ov("*", "*", "L-32B67F4A", 0.0)],
        ..QuotaConfig::default()
    });
    let c = Caller::new("111122223333", "us-east-1");
    assert_eq!(admitted(&e, &charge(&c, Operation::CreateKey, None), 100).await, 100);
    assert!(!e.enabled());
}

#[tokio::test]
async fn shared_limiter_is_used_and_failures_fail_closed() {
    struct Broken(bool);
    #[async_trait::async_trait]
    impl Limiter for Broken {
        async fn check(&self, _: &[LimitRequest<'_>], _: u64) -> Result<LimitDecision, LimiterError> {
            Err(if self.0 { LimiterError::Timeout("slow".into()) } else { LimiterError::Backend("down".into()) })
        }
        async fn reset(&self, _: &BucketKey<'_>) -> Result<(), LimiterError> {
            Err(LimiterError::Backend("down".into()))
        }
        async fn reset_all(&self) -> Result<(), LimiterError> {
            Err(LimiterError::Backend("down".into()))
        }
    }
    let clock = Arc::new(ManualMonotonicClock::new(T0));
    let shared: Arc<dyn Limiter> = Arc::new(InMemoryLimiter::new(2));
    let e = QuotaEngine::with_limiter(&QuotaConfig::default(), clock.clone(), shared).expect("engine");
    let c = Caller::new("111122223333", "us-east-1");
    assert_eq!(admitted(&e, &charge(&c, Operation::CreateKey, None), 10).await, 5);
    // Fail closed: nothing the limiter could not count is admitted, and the
    // error says which kind of fault (AWS's status for each).
    for (timeout, kind, status) in [(false, ErrorKind::KmsInternal, 500), (true, ErrorKind::DependencyTimeout, 503)] {
        let e = QuotaEngine::with_limiter(&QuotaConfig::default(), clock.clone(), Arc::new(Broken(timeout)))
            .expect("engine");
        assert_eq!(admitted(&e, &charge(&c, Operation::CreateKey, None), 10).await, 0);
        let err = e.admit(&charge(&c, Operation::CreateKey, None)).await.expect_err("refused");
        assert_eq!((err.kind, err.kind.http_status()), (kind, status));
        e.apply_increase("111122223333", "us-east-1", QuotaId::SYMMETRIC, 1e6).await;
    }
}

#[test]
fn invalid_config_is_refused() {
    let clock = Arc::new(ManualMonotonicClock::new(0));
    let c = QuotaConfig { overrides: vec![ov("*", "*", "L-BOGUS", 1.0)], ..QuotaConfig::default() };
    assert!(matches!(QuotaEngine::new(&c, clock), Err(QuotaConfigError::UnknownQuotaCode(_))));
}

#[tokio::test]
async fn idle_buckets_can_be_purged() {
    let (e, clock) = engine(Profile::Current);
    let c = Caller::new("111122223333", "us-east-1");
    assert!(e.admit(&charge(&c, Operation::CreateKey, None)).await.is_ok());
    assert_eq!(e.purge_idle(), 0);
    clock.advance(Duration::from_secs(1));
    assert_eq!(e.purge_idle(), 1);
}

/// Offers `charge` at `per_second`, evenly spaced, for `seconds` from the
/// clock's current time; returns how many were admitted in each second.
async fn offer_steady(
    e: &QuotaEngine,
    clock: &ManualMonotonicClock,
    c: &Charge<'_>,
    per_second: u64,
    seconds: u64,
) -> Vec<u64> {
    let start = clock.now_nanos();
    let gap = 1_000_000_000 / per_second;
    let mut out = vec![0; seconds as usize];
    for i in 0..per_second * seconds {
        clock.set_nanos(start + i * gap);
        if e.admit(c).await.is_ok() {
            out[(i / per_second) as usize] += 1;
        }
    }
    out
}

#[tokio::test]
async fn from_idle_the_window_admits_exactly_the_quota_in_the_first_second_and_the_token_bucket_twice_that() {
    // The measurement that motivated the window: quota 1,000/s, 10,000/s offered for 10 s.
    let thousand = vec![ov("*", "*", "L-6E3AF000", 1_000.0)];
    let c = Caller::new("111122223333", "us-east-1");
    let enc = charge(&c, Operation::Encrypt, Some(customer(KeySpec::SymmetricDefault)));

    let (e, clock) = engine_with(QuotaConfig { overrides: thousand.clone(), ..QuotaConfig::default() });
    assert_eq!(e.algorithm(), Algorithm::Window);
    let secs = offer_steady(&e, &clock, &enc, 10_000, 10).await;
    assert_eq!(secs, vec![1_000; 10], "never more than the quota in a second, and the whole quota every second");

    let (e, clock) = engine_with(QuotaConfig { overrides: thousand, ..token_bucket() });
    let secs = offer_steady(&e, &clock, &enc, 10_000, 10).await;
    assert!(secs[0] >= 1_990, "the token bucket's burst plus its refill: {secs:?}");
    assert!(secs[1..].iter().all(|&s| s == 1_000), "{secs:?}");
    assert!(secs.iter().sum::<u64>() >= 10_990, "{secs:?}");
}

#[tokio::test]
async fn every_kind_of_request_quota_is_a_one_second_window() {
    let (e, clock) = engine_with(QuotaConfig {
        overrides: vec![ov("111122223333", "*", "L-6E3AF000", 50.0)],
        ..QuotaConfig::default()
    });
    let c = Caller::new("111122223333", "us-east-1");
    let sym = charge(&c, Operation::Encrypt, Some(customer(KeySpec::SymmetricDefault)));
    let create = charge(&c, Operation::CreateKey, None);
    let pair = gdkp(&c, DataKeyPairSpec::EccNistP256);
    let store = charge(&c, Operation::Decrypt, in_store(KeySpec::SymmetricDefault, "cks-1111111111111111a"));
    let rich = Caller::new("444455556666", "us-east-1");
    let mut in_store_rich = store;
    in_store_rich.caller = &rich;
    // (charge, quota, requests offered at once)
    let cases: [(&Charge<'_>, usize); 4] = [(&sym, 50), (&create, 5), (&pair, 100), (&in_store_rich, 1_800)];
    for (ch, n) in cases {
        assert_eq!(admitted(&e, ch, n + 10).await, n, "{:?}", ch.operation);
    }
    // 1 ns before a second has passed, everything is still refused...
    clock.advance(Duration::from_nanos(999_999_999));
    for (ch, _) in cases {
        assert!(e.admit(ch).await.is_err(), "{:?}", ch.operation);
    }
    // ...and a second after the burst, each quota is whole again.
    clock.advance(Duration::from_nanos(1));
    for (ch, n) in cases {
        assert_eq!(admitted(&e, ch, n + 10).await, n, "{:?}", ch.operation);
    }
}

#[tokio::test]
async fn ninety_nine_percent_of_a_quota_evenly_spaced_is_never_throttled() {
    let (e, clock) = engine(Profile::Current);
    let c = Caller::new("111122223333", "eu-north-1");
    let k = Some(customer(KeySpec::SymmetricDefault));
    // CreateKey 5/s at 4.95/s for 20 s: one request every 202,020,202 ns.
    let create = charge(&c, Operation::CreateKey, None);
    let start = clock.now_nanos();
    for i in 0..99u64 {
        clock.set_nanos(start + i * 202_020_202);
        assert!(e.admit(&create).await.is_ok(), "CreateKey #{i} at 99 % of the quota");
    }
    // DescribeKey 2,000/s at 1,980/s and the symmetric pool 10,000/s at 9,900/s, for 3 s.
    for (op, per_second) in [(Operation::DescribeKey, 1_980), (Operation::Encrypt, 9_900)] {
        let secs = offer_steady(&e, &clock, &charge(&c, op, k), per_second, 3).await;
        assert_eq!(secs, vec![per_second; 3], "{op:?}");
    }
}

#[tokio::test]
async fn poisson_traffic_never_exceeds_the_quota_in_any_second() {
    let (e, clock) = engine(Profile::Current);
    let c = Caller::new("111122223333", "us-east-1");
    let list = charge(&c, Operation::ListGrants, Some(customer(KeySpec::SymmetricDefault)));
    // A seeded Poisson process at 3× ListGrants' 100/s for 30 s.
    let mut seed: u64 = 42;
    let mut next_unit = || {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((seed >> 11) + 1) as f64 / (1u64 << 53) as f64
    };
    let start = clock.now_nanos();
    let mut t = start;
    let mut admitted_at = vec![];
    while t < start + 30_000_000_000 {
        t += (-next_unit().ln() / 300.0 * 1e9) as u64;
        clock.set_nanos(t);
        if e.admit(&list).await.is_ok() {
            admitted_at.push(t);
        }
    }
    let mut lo = 0;
    for (hi, &at) in admitted_at.iter().enumerate() {
        while admitted_at[lo] + 1_000_000_000 <= at {
            lo += 1;
        }
        assert!(hi + 1 - lo <= 100, "{} admitted in the second before {at}", hi + 1 - lo);
    }
    // And the quota is used: the first second admits 100, the run close to 100/s.
    assert_eq!(admitted_at.iter().filter(|&&a| a < start + 1_000_000_000).count(), 100);
    assert!(admitted_at.len() >= 2_900, "{} admitted in 30 s", admitted_at.len());
}

#[tokio::test]
async fn hot_keys_limit_state_changes_on_one_key_whoever_makes_them() {
    let (e, clock) = engine_with(QuotaConfig { hot_key_per_second: Some(2.0), ..QuotaConfig::default() });
    let a = Caller::new("111111111111", "us-east-1");
    let b = Caller::new("222222222222", "us-east-1");
    let key = Some(customer(KeySpec::SymmetricDefault));
    let other =
        Some(KeyClass { key_id: "5678abcd-12ab-34cd-56ef-1234567890ab", ..customer(KeySpec::SymmetricDefault) });
    assert!(e.admit(&charge(&a, Operation::EnableKey, key)).await.is_ok());
    assert!(e.admit(&charge(&b, Operation::DisableKey, key)).await.is_ok());
    // Both callers are far below EnableKey's 5/s, but the key is hot.
    assert!(e.admit(&charge(&a, Operation::EnableKey, key)).await.is_err());
    assert!(e.admit(&charge(&b, Operation::PutKeyPolicy, key)).await.is_err());
    // Another key, and reads or crypto on the hot one, are not affected.
    assert!(e.admit(&charge(&a, Operation::EnableKey, other)).await.is_ok());
    assert!(e.admit(&charge(&a, Operation::DescribeKey, key)).await.is_ok());
    assert!(e.admit(&charge(&a, Operation::Encrypt, key)).await.is_ok());
    // The refused EnableKey did not use a's EnableKey quota (5/s): 2 used, 3 left.
    let ids =
        ["k-3", "k-4", "k-5", "k-6"].map(|key_id| Some(KeyClass { key_id, ..customer(KeySpec::SymmetricDefault) }));
    for k in &ids[..3] {
        assert!(e.admit(&charge(&a, Operation::EnableKey, *k)).await.is_ok());
    }
    assert!(e.admit(&charge(&a, Operation::EnableKey, ids[3])).await.is_err(), "a's 6th EnableKey in a second");
    // A second later the key has cooled down.
    clock.advance(Duration::from_secs(1));
    assert!(e.admit(&charge(&b, Operation::DisableKey, key)).await.is_ok());
    assert!(e.admit(&charge(&b, Operation::DisableKey, key)).await.is_ok());
    assert!(e.admit(&charge(&b, Operation::DisableKey, key)).await.is_err());
}

#[tokio::test]
async fn without_a_hot_key_limit_only_the_per_operation_quota_applies() {
    let (e, _) = engine(Profile::Current);
    let c = Caller::new("111111111111", "us-east-1");
    let key = Some(customer(KeySpec::SymmetricDefault));
    assert_eq!(admitted(&e, &charge(&c, Operation::DisableKey, key), 10).await, 5);
    // A fractional hot-key limit is one state change per period.
    let (e, clock) = engine_with(QuotaConfig { hot_key_per_second: Some(0.5), ..QuotaConfig::default() });
    assert_eq!(admitted(&e, &charge(&c, Operation::TagResource, key), 10).await, 1);
    clock.advance(Duration::from_millis(1_999));
    assert!(e.admit(&charge(&c, Operation::UntagResource, key)).await.is_err());
    clock.advance(Duration::from_millis(1));
    assert!(e.admit(&charge(&c, Operation::UntagResource, key)).await.is_ok());
}

#[test]
fn bad_algorithm_settings_stop_the_engine() {
    let clock = Arc::new(ManualMonotonicClock::new(0));
    for (c, key) in [
        (QuotaConfig { window_seconds: 0.0, ..QuotaConfig::default() }, "quotas.window_seconds"),
        (QuotaConfig { burst_seconds: -1.0, ..token_bucket() }, "quotas.burst_seconds"),
        (QuotaConfig { hot_key_per_second: Some(0.0), ..QuotaConfig::default() }, "quotas.hot_key_per_second"),
    ] {
        let err = QuotaEngine::new(&c, clock.clone()).expect_err(key);
        assert!(err.to_string().starts_with(key), "{err}");
    }
}
