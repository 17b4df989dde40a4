//! Cost of one admission decision (the quota check every KMS request pays).
//!
//! Run with `cargo bench -p trent-core --bench quota`.
//!
//! * `admit/*` goes through `QuotaEngine` as an `Admission` (charging rules,
//!   value lookup, GCRA, limiter), polled directly with a no-op waker since the
//!   in-memory path never waits;
//! * `limiter/*` and `gcra` isolate the layers below;
//! * `contended/*` runs two threads at once and reports wall time per
//!   admission per thread.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use trent_core::Caller;
use trent_core::admission::{Admission, Charge, KeyClass};
use trent_core::model::{KeyManager, KeySpec};
use trent_core::operation::Operation;
use trent_core::quota::{
    BucketKey, BucketScope, InMemoryLimiter, LimitRequest, QuotaConfig, QuotaEngine, QuotaId, QuotaOverride, Rate,
    RateParams, SystemMonotonicClock, gcra,
};

/// Polls a future that is expected to be ready at once.
fn ready<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    match f.as_mut().poll(&mut cx) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("in-memory admission never waits"),
    }
}

/// An engine whose symmetric pool never runs dry (1e9/s), so every decision is an admit.
fn engine() -> Arc<QuotaEngine> {
    let config = QuotaConfig {
        overrides: vec![QuotaOverride {
            account_id: "*".into(),
            region: "*".into(),
            quota_code: "L-6E3AF000".into(),
            value: 1e9,
        }],
        ..QuotaConfig::default()
    };
    Arc::new(QuotaEngine::new(&config, Arc::new(SystemMonotonicClock::new())).expect("valid config"))
}

const SYMMETRIC: KeyClass<'static> = KeyClass {
    spec: KeySpec::SymmetricDefault,
    manager: KeyManager::Customer,
    custom_key_store_id: None,
    key_id: "1234abcd-12ab-34cd-56ef-1234567890ab",
};

fn encrypt(caller: &Caller) -> Charge<'_> {
    Charge {
        caller,
        operation: Operation::Encrypt,
        key: Some(SYMMETRIC),
        key_pair_spec: None,
        custom_key_store_id: None,
    }
}

fn single_thread(c: &mut Criterion) {
    let e = engine();
    let caller = Caller::new("111122223333", "us-east-1");
    let ch = encrypt(&caller);
    c.bench_function("admit/allowed/symmetric", |b| {
        b.iter(|| black_box(ready(e.admit(black_box(&ch))).is_ok()));
    });

    // CreateKey at its default 5/s: after the burst every call is a refusal.
    let create = Charge {
        caller: &caller,
        operation: Operation::CreateKey,
        key: None,
        key_pair_spec: None,
        custom_key_store_id: None,
    };
    c.bench_function("admit/refused/create_key", |b| {
        b.iter(|| black_box(ready(e.admit(black_box(&create))).is_err()));
    });

    let in_store = KeyClass { custom_key_store_id: Some("cks-1234567890abcdef0"), ..SYMMETRIC };
    let cks = Charge { key: Some(in_store), ..encrypt(&caller) };
    c.bench_function("admit/two_buckets/custom_key_store", |b| {
        b.iter(|| black_box(ready(e.admit(black_box(&cks))).is_ok()));
    });

    let limiter = InMemoryLimiter::default();
    let key =
        BucketKey::quota(BucketScope::Account { account_id: "111122223333", region: "us-east-1" }, QuotaId::SYMMETRIC);
    let rate = Rate::TokenBucket(RateParams { emission_interval: 1, burst_tolerance: 1_000_000_000 });
    let one = [LimitRequest { key, rate, cost: 1 }];
    let start = Instant::now();
    c.bench_function("limiter/check_now/1_bucket", |b| {
        b.iter(|| black_box(limiter.check_now(black_box(&one), start.elapsed().as_nanos() as u64)));
    });
    let store = BucketKey::quota(BucketScope::CustomKeyStore { id: "cks-1" }, QuotaId::CUSTOM_KEY_STORE);
    let two = [one[0], LimitRequest { key: store, ..one[0] }];
    c.bench_function("limiter/check_now/2_buckets", |b| {
        b.iter(|| black_box(limiter.check_now(black_box(&two), start.elapsed().as_nanos() as u64)));
    });

    c.bench_function("gcra", |b| {
        b.iter(|| black_box(gcra(black_box(5_000), black_box(4_000), 100, 10_000, 1)));
    });
}

/// Two threads admitting at once, each `iters` times; wall time per admission per thread.
fn two_threads(e: &Arc<QuotaEngine>, accounts: [&'static str; 2], iters: u64) -> Duration {
    let barrier = Arc::new(std::sync::Barrier::new(3));
    let handles: Vec<_> = accounts
        .iter()
        .map(|&account| {
            let e = e.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let caller = Caller::new(account, "us-east-1");
                let ch = encrypt(&caller);
                barrier.wait();
                for _ in 0..iters {
                    black_box(ready(e.admit(black_box(&ch))).is_ok());
                }
            })
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    for h in handles {
        h.join().expect("bench thread");
    }
    start.elapsed()
}

fn contended(c: &mut Criterion) {
    let e = engine();
    c.bench_function("contended/2_threads/different_buckets", |b| {
        b.iter_custom(|iters| two_threads(&e, ["111111111111", "222222222222"], iters));
    });
    c.bench_function("contended/2_threads/same_bucket", |b| {
        b.iter_custom(|iters| two_threads(&e, ["111111111111", "111111111111"], iters));
    });
}

criterion_group!(benches, single_thread, contended);
criterion_main!(benches);
