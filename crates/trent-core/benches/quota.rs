//! Cost of one admission decision (the quota check every KMS request pays).
//!
//! Run with `cargo bench -p trent-core --bench quota`.
//!
//! Every layer is measured for both algorithms (`window`, the default, and
//! `token_bucket`):
//!
//! * `admit/*` goes through `QuotaEngine` as an `Admission` (charging rules,
//!   value lookup, the algorithm, limiter), polled directly with a no-op
//!   waker since the in-memory path never waits;
//! * `limiter/*`, `window/*` and `gcra` isolate the layers below;
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
use trent_core::key::model::{KeyManager, KeySpec};
use trent_core::operation::Operation;
use trent_core::quota::admission::{Admission, Charge, KeyClass};
use trent_core::quota::{
    Algorithm, BucketKey, BucketScope, InMemoryLimiter, LimitRequest, QuotaConfig, QuotaEngine, QuotaId, QuotaOverride,
    Rate, RateParams, SystemMonotonicClock, WindowParams, WindowState, gcra,
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

/// An engine with `algorithm` whose symmetric pool never runs dry (1e9/s),
/// so every symmetric decision is an admit.
fn engine(algorithm: Algorithm) -> Arc<QuotaEngine> {
    let config = QuotaConfig {
        algorithm,
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

const ALGORITHMS: [(&str, Algorithm); 2] = [("window", Algorithm::Window), ("token_bucket", Algorithm::TokenBucket)];

fn single_thread(c: &mut Criterion) {
    let caller = Caller::new("111122223333", "us-east-1");
    for (name, algorithm) in ALGORITHMS {
        let e = engine(algorithm);
        let ch = encrypt(&caller);
        c.bench_function(&format!("admit/{name}/allowed/symmetric"), |b| {
            b.iter(|| black_box(ready(e.admit(black_box(&ch))).is_ok()));
        });

        // CreateKey at its default 5/s: after the first five every call is a refusal.
        let create = Charge {
            caller: &caller,
            operation: Operation::CreateKey,
            key: None,
            key_pair_spec: None,
            custom_key_store_id: None,
        };
        c.bench_function(&format!("admit/{name}/refused/create_key"), |b| {
            b.iter(|| black_box(ready(e.admit(black_box(&create))).is_err()));
        });

        // Account pool + the store's 1,800/s pool: mostly refused by the store.
        let in_store = KeyClass { custom_key_store_id: Some("cks-1234567890abcdef0"), ..SYMMETRIC };
        let cks = Charge { key: Some(in_store), ..encrypt(&caller) };
        c.bench_function(&format!("admit/{name}/two_buckets/custom_key_store"), |b| {
            b.iter(|| black_box(ready(e.admit(black_box(&cks))).is_ok()));
        });
    }

    let key =
        BucketKey::quota(BucketScope::Account { account_id: "111122223333", region: "us-east-1" }, QuotaId::SYMMETRIC);
    let store = BucketKey::quota(BucketScope::CustomKeyStore { id: "cks-1" }, QuotaId::CUSTOM_KEY_STORE);
    let rates = [
        ("window", Rate::Window(WindowParams { window: 1_000_000_000, capacity: u32::MAX })),
        ("token_bucket", Rate::TokenBucket(RateParams { emission_interval: 1, burst_tolerance: 1_000_000_000 })),
    ];
    for (name, rate) in rates {
        let limiter = InMemoryLimiter::default();
        let one = [LimitRequest { key, rate, cost: 1 }];
        let start = Instant::now();
        c.bench_function(&format!("limiter/{name}/check_now/1_bucket"), |b| {
            b.iter(|| black_box(limiter.check_now(black_box(&one), start.elapsed().as_nanos() as u64)));
        });
        let two = [one[0], LimitRequest { key: store, ..one[0] }];
        c.bench_function(&format!("limiter/{name}/check_now/2_buckets"), |b| {
            b.iter(|| black_box(limiter.check_now(black_box(&two), start.elapsed().as_nanos() as u64)));
        });
    }

    // The pure maths. The window at 100,000/s with time moving 10 µs per
    // call: every call admits, records fill up to a quantum and expire.
    let p = WindowParams::for_rate(100_000.0, 1.0).expect("rate");
    let mut state = WindowState::new();
    let mut now = 1_000_000_000u64;
    c.bench_function("window/admit/100k_per_second", |b| {
        b.iter(|| {
            now += 10_000;
            black_box(state.admit(black_box(now), p, 1))
        });
    });
    // Saturated: 10 calls per 10 µs at 100,000/s, so nine in ten are refused.
    let mut state = WindowState::new();
    let mut i = 0u64;
    c.bench_function("window/admit/100k_per_second_saturated", |b| {
        b.iter(|| {
            i += 1;
            black_box(state.admit(black_box(1_000_000_000 + i * 1_000), p, 1))
        });
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
    for (name, algorithm) in ALGORITHMS {
        let e = engine(algorithm);
        c.bench_function(&format!("contended/{name}/2_threads/different_buckets"), |b| {
            b.iter_custom(|iters| two_threads(&e, ["111111111111", "222222222222"], iters));
        });
        c.bench_function(&format!("contended/{name}/2_threads/same_bucket"), |b| {
            b.iter_custom(|iters| two_threads(&e, ["111111111111", "111111111111"], iters));
        });
    }
}

criterion_group!(benches, single_thread, contended);
criterion_main!(benches);
