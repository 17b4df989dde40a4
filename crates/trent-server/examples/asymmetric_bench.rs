//! Sign and Verify per second through Trent's operation dispatch (JSON in,
//! key lookup, quota decision, the blocking-pool hop for RSA, JSON out),
//! next to aws-lc-rs signing on its own with the same keys, same process,
//! one thread per core.
//!
//! `cargo run --release -p trent-server --example asymmetric_bench [seconds-per-slice] [rounds]`

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use trent_core::key::root_key::RootKey;
use trent_core::quota::{QuotaConfig, QuotaEngine, QuotaOverride, SystemMonotonicClock};
use trent_core::{Caller, Kms, Operation};
use trent_store::SqliteStore;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const MESSAGE: &[u8] = b"benchmark message: 32 bytes long";

/// CPU seconds this process has used (user + system), from /proc/self/stat.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f[11].parse::<f64>().expect("utime") + f[12].parse::<f64>().expect("stime");
    ticks / 100.0
}

/// Operations per wall second and per CPU second of one measured slice.
#[derive(Default, Clone, Copy)]
struct Rate {
    ops: f64,
    wall: f64,
    cpu: f64,
}

impl std::ops::AddAssign for Rate {
    fn add_assign(&mut self, o: Rate) {
        self.ops += o.ops;
        self.wall += o.wall;
        self.cpu += o.cpu;
    }
}

fn measured(f: impl FnOnce() -> f64) -> Rate {
    let (c0, t0) = (cpu_seconds(), Instant::now());
    let ops = f();
    Rate { ops, wall: t0.elapsed().as_secs_f64(), cpu: cpu_seconds() - c0 }
}

fn threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
}

/// Runs `op` on one thread per core for `secs`; operations done.
fn native(secs: f64, op: impl Fn() + Sync) -> f64 {
    let stop = AtomicBool::new(false);
    let count = AtomicU64::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads() {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    op();
                    count.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        std::thread::sleep(Duration::from_secs_f64(secs));
        stop.store(true, Ordering::Relaxed);
    });
    let _ = start;
    count.load(Ordering::Relaxed) as f64
}

/// Runs `concurrency` request loops of `op` with `body` through dispatch for `secs`; requests done.
async fn trent(kms: Arc<Kms>, op: Operation, body: Vec<u8>, concurrency: usize, secs: f64) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let body = Arc::new(body);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (kms, stop, count, body) = (kms.clone(), stop.clone(), count.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let caller = Caller::new("111122223333", "us-east-1");
            while !stop.load(Ordering::Relaxed) {
                trent_core::ops::dispatch(&kms, &caller, op, &body).await.expect("request");
                count.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    // The timer is a plain thread: request loops that never wait (a cached
    // key, inline verification) would starve tokio's own timer.
    let timer = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs_f64(secs));
            stop.store(true, Ordering::Relaxed);
        })
    };
    timer.join().expect("timer");
    for t in tasks {
        t.await.expect("task");
    }
    let _ = start;
    count.load(Ordering::Relaxed) as f64
}

async fn call(kms: &Kms, op: Operation, body: &str) -> serde_json::Value {
    let caller = Caller::new("111122223333", "us-east-1");
    let out = trent_core::ops::dispatch(kms, &caller, op, body.as_bytes()).await.expect("request");
    serde_json::from_slice(&out).expect("json")
}

fn main() {
    let secs: f64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(1.0);
    let rounds: u32 = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(6);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let kms = rt.block_on(async {
        let store = Arc::new(SqliteStore::open_in_memory().await.expect("store"));
        // Quotas on, with the crypto pools raised out of the way: the decision is still made per request.
        let mut cfg = QuotaConfig::default();
        for code in ["L-2AC98190", "L-DC14942D", "L-32B67F4A"] {
            cfg.overrides.push(QuotaOverride {
                account_id: "*".into(),
                region: "*".into(),
                quota_code: code.into(),
                value: 1e9,
            });
        }
        let engine = Arc::new(QuotaEngine::new(&cfg, Arc::new(SystemMonotonicClock::new())).expect("engine"));
        Arc::new(Kms::new(store, RootKey::generate().expect("root").0).with_admission(engine))
    });
    println!("threads: {}, {rounds} interleaved rounds of {secs} s per side", threads());
    println!(
        "| key spec | operation | aws-lc-rs alone, ops/s | Trent, req/s | aws-lc-rs, ops per CPU-s | Trent, req per CPU-s | Trent / aws-lc-rs (wall) | Trent / aws-lc-rs (per CPU-s) |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    for (spec, alg) in
        [("RSA_2048", "RSASSA_PSS_SHA_256"), ("RSA_4096", "RSASSA_PSS_SHA_256"), ("ECC_NIST_P256", "ECDSA_SHA_256")]
    {
        // A Trent key, and the very same private key for aws-lc-rs on its own:
        // GenerateDataKeyPair would give another key, so the baseline uses a
        // key of the same spec generated here.
        let (key_id, public_der) = rt.block_on(async {
            let v =
                call(&kms, Operation::CreateKey, &format!(r#"{{"KeySpec":"{spec}","KeyUsage":"SIGN_VERIFY"}}"#)).await;
            let id = v["KeyMetadata"]["KeyId"].as_str().expect("id").to_owned();
            let pk = call(&kms, Operation::GetPublicKey, &format!(r#"{{"KeyId":"{id}"}}"#)).await;
            (id, STANDARD.decode(pk["PublicKey"].as_str().expect("pk")).expect("b64"))
        });
        let msg = STANDARD.encode(MESSAGE);
        let sign_body = format!(r#"{{"KeyId":"{key_id}","Message":"{msg}","SigningAlgorithm":"{alg}"}}"#);
        let sig = rt.block_on(call(&kms, Operation::Sign, &sign_body))["Signature"].as_str().expect("sig").to_owned();
        let verify_body =
            format!(r#"{{"KeyId":"{key_id}","Message":"{msg}","Signature":"{sig}","SigningAlgorithm":"{alg}"}}"#);
        let sig_bytes = STANDARD.decode(&sig).expect("b64");

        let concurrency = 4 * threads();
        let rng = SystemRandom::new();
        let rsa_size = match spec {
            "RSA_2048" => Some(aws_lc_rs::rsa::KeySize::Rsa2048),
            "RSA_4096" => Some(aws_lc_rs::rsa::KeySize::Rsa4096),
            _ => None,
        };
        let rsa_pair = rsa_size.map(|size| RsaKeyPair::generate(size).expect("rsa"));
        let ec_pair = EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_ASN1_SIGNING).expect("ec");
        let native_sign = || match &rsa_pair {
            Some(pair) => {
                let mut out = vec![0u8; pair.public_modulus_len()];
                pair.sign(&signature::RSA_PSS_SHA256, &rng, MESSAGE, &mut out).expect("sign");
            }
            None => {
                ec_pair.sign(&rng, MESSAGE).expect("sign");
            }
        };
        let verify_alg: &'static dyn signature::VerificationAlgorithm =
            if rsa_pair.is_some() { &signature::RSA_PSS_2048_8192_SHA256 } else { &signature::ECDSA_P256_SHA256_ASN1 };
        let public = signature::ParsedPublicKey::new(verify_alg, &public_der).expect("pk");
        let native_verify = || public.verify_sig(MESSAGE, &sig_bytes).expect("verify");
        // Interleaved slices, so load from elsewhere on the machine hits both sides alike.
        let (mut ns, mut ts, mut nv, mut tv) = (Rate::default(), Rate::default(), Rate::default(), Rate::default());
        for _ in 0..rounds {
            ns += measured(|| native(secs, native_sign));
            ts += measured(|| {
                rt.block_on(trent(kms.clone(), Operation::Sign, sign_body.clone().into_bytes(), concurrency, secs))
            });
            nv += measured(|| native(secs, native_verify));
            tv += measured(|| {
                rt.block_on(trent(kms.clone(), Operation::Verify, verify_body.clone().into_bytes(), concurrency, secs))
            });
        }
        for (op, n, t) in [("Sign", ns, ts), ("Verify", nv, tv)] {
            println!(
                "| {spec} | {op} ({alg}) | {:.0} | {:.0} | {:.0} | {:.0} | {:.1} % | {:.1} % |",
                n.ops / n.wall,
                t.ops / t.wall,
                n.ops / n.cpu,
                t.ops / t.cpu,
                100.0 * (t.ops / t.wall) / (n.ops / n.wall),
                100.0 * (t.ops / t.cpu) / (n.ops / n.cpu),
            );
        }
    }
}
