//! The Redis limiter against a real `redis-server` (trent-testkit): the Lua
//! script makes the in-memory limiter's decisions, one for one, and a Redis
//! outage fails closed and heals by itself.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use trent_core::quota::{
    BucketKey, BucketScope, InMemoryLimiter, LimitRequest, Limiter, LimiterError, QuotaId, Rate, RateParams,
    WindowParams,
};
use trent_redis::RedisLimiter;
use trent_testkit::RedisServer;

const S: u64 = 1_000_000_000;
const T0: u64 = 1_000 * S;

/// SplitMix64, seeded: the same "random" arrivals every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// An exponential gap (ns) of a Poisson process of `rate` per second.
    fn gap(&mut self, rate: f64) -> u64 {
        let u = ((self.next() >> 11) + 1) as f64 / (1u64 << 53) as f64;
        (-u.ln() / rate * 1e9) as u64
    }
}

fn steady(rate: f64, seconds: u64) -> Vec<u64> {
    let n = (rate * seconds as f64) as u64;
    (0..n).map(|i| T0 + (i as f64 * 1e9 / rate) as u64).collect()
}

fn poisson(rate: f64, seconds: u64, seed: u64) -> Vec<u64> {
    let mut rng = Rng(seed);
    let mut t = T0;
    let mut out = vec![];
    loop {
        t += rng.gap(rate);
        if t >= T0 + seconds * S {
            return out;
        }
        out.push(t);
    }
}

/// `n` at once at the start of every 250 ms.
fn bursts(n: usize, seconds: u64) -> Vec<u64> {
    (0..seconds * 4).flat_map(|k| std::iter::repeat_n(T0 + k * S / 4, n)).collect()
}

fn account(id: &str) -> BucketScope<'_> {
    BucketScope::Account { account_id: id, region: "us-east-1" }
}

fn window(per_second: f64) -> Rate {
    Rate::Window(WindowParams::for_rate(per_second, 1.0).unwrap())
}

fn token_bucket(per_second: f64) -> Rate {
    Rate::TokenBucket(RateParams::for_rate(per_second, 1.0, 1).unwrap())
}

async fn start() -> (RedisServer, RedisLimiter) {
    let redis = RedisServer::start().expect("redis-server (apt-get install redis-server)");
    let limiter = RedisLimiter::connect(&redis.url()).await.expect("connect");
    (redis, limiter)
}

/// Runs `times` through both limiters with requests `reqs`, asserting the
/// same decision (and retry_after) every time; returns how many passed.
async fn compare(redis: &RedisLimiter, reqs: &[LimitRequest<'_>], times: &[u64], what: &str) -> usize {
    compare_rebasing(redis, reqs, times, what, None).await
}

async fn compare_rebasing(
    redis: &RedisLimiter,
    reqs: &[LimitRequest<'_>],
    times: &[u64],
    what: &str,
    rebase_after: Option<u64>,
) -> usize {
    let memory = InMemoryLimiter::new(4);
    let mut admitted = 0;
    for (i, &t) in times.iter().enumerate() {
        let expected = memory.check_now(reqs, t);
        let got = match rebase_after {
            None => redis.check_at(reqs, t).await,
            Some(r) => redis.check_at_rebasing_after(reqs, t, r).await,
        }
        .expect("decision");
        assert_eq!(got, expected, "{what}: decision {i} at t = {t}");
        admitted += usize::from(got.allowed);
    }
    admitted
}

#[tokio::test]
async fn the_lua_window_decides_like_the_in_memory_one_for_steady_bursty_and_poisson_load() {
    let (_redis, limiter) = start().await;
    let shapes: Vec<(&str, Vec<u64>)> = vec![
        ("steady x0.99", steady(99.0, 5)),
        ("steady x1.01", steady(101.0, 10)),
        ("steady x3", steady(300.0, 5)),
        ("bursts x2", bursts(50, 5)),
        ("poisson x1.1", poisson(110.0, 10, 1)),
        ("poisson x4", poisson(400.0, 5, 2)),
    ];
    for (i, (name, times)) in shapes.iter().enumerate() {
        let id = format!("10000000000{i}");
        let req =
            LimitRequest { key: BucketKey::quota(account(&id), QuotaId::SYMMETRIC), rate: window(100.0), cost: 1 };
        let admitted = compare(&limiter, &[req], times, name).await;
        assert!(admitted > 0 && (admitted <= times.len()), "{name}: {admitted}");
        if name.starts_with("steady x0.99") {
            assert_eq!(admitted, times.len(), "99 % of the quota is never throttled");
        } else {
            assert!(admitted < times.len(), "{name}: the shape must overload the bucket");
        }
    }
}

#[tokio::test]
async fn above_a_thousand_a_second_records_share_a_quantum_in_lua_too() {
    // 2,500/s: records of up to 3 units (window.rs quantum), with costs of 1 and 2.
    let (_redis, limiter) = start().await;
    let single =
        |id| LimitRequest { key: BucketKey::quota(account(id), QuotaId::SYMMETRIC), rate: window(2_500.0), cost: 1 };
    let shapes: Vec<(&str, Vec<LimitRequest<'_>>, Vec<u64>)> = vec![
        ("steady x1.5", vec![single("500000000001")], steady(3_750.0, 2)),
        ("bursts x2", vec![single("500000000002")], bursts(1_250, 2)),
        ("poisson x1.2, cost 2", vec![LimitRequest { cost: 2, ..single("500000000003") }], poisson(1_500.0, 2, 5)),
    ];
    for (name, reqs, times) in &shapes {
        let admitted = compare(&limiter, reqs, times, name).await;
        assert!(admitted > 2_000 && admitted < times.len(), "{name}: {admitted} of {}", times.len());
    }
    // Re-basing mid-run changes nothing either.
    compare_rebasing(&limiter, &[single("500000000004")], &poisson(4_000.0, 3, 6), "re-based", Some(S)).await;
}

#[tokio::test]
async fn token_bucket_multi_bucket_costs_and_fractional_quotas_decide_alike_too() {
    let (_redis, limiter) = start().await;
    let times = poisson(60.0, 5, 3);
    // GCRA.
    let tb = LimitRequest {
        key: BucketKey::quota(account("200000000001"), QuotaId::SYMMETRIC),
        rate: token_bucket(20.0),
        cost: 1,
    };
    compare(&limiter, &[tb], &times, "token bucket").await;
    // Account pool + custom key store, 3 units from the store, all or nothing.
    let pool = LimitRequest {
        key: BucketKey::quota(account("200000000002"), QuotaId::SYMMETRIC),
        rate: window(40.0),
        cost: 1,
    };
    let cks = LimitRequest {
        key: BucketKey::quota(BucketScope::CustomKeyStore { id: "cks-1" }, QuotaId::CUSTOM_KEY_STORE),
        rate: window(30.0),
        cost: 3,
    };
    let admitted = compare(&limiter, &[pool, cks], &times, "pool + custom key store").await;
    assert!(admitted > 0);
    // A bucket named twice is charged the sum; a cost above capacity never passes.
    let twice =
        LimitRequest { key: BucketKey::quota(account("200000000003"), QuotaId::RSA), rate: window(7.0), cost: 2 };
    compare(&limiter, &[twice, twice], &times, "named twice").await;
    let d = limiter.check_at(&[LimitRequest { cost: 8, ..twice }], T0).await.unwrap();
    assert_eq!((d.allowed, d.retry_after), (false, u64::MAX));
    // 0.5/s: one request in any 2 s.
    let slow =
        LimitRequest { key: BucketKey::quota(account("200000000004"), QuotaId::ECC), rate: window(0.5), cost: 1 };
    assert_eq!(compare(&limiter, &[slow], &steady(10.0, 10), "0.5/s").await, 5);
}

#[tokio::test]
async fn re_basing_a_busy_bucket_changes_no_decision() {
    let (_redis, limiter) = start().await;
    let times = poisson(300.0, 6, 4);
    for (name, rate) in [("window", window(100.0)), ("token bucket", token_bucket(100.0))] {
        let id = if name == "window" { "300000000001" } else { "300000000002" };
        let req = LimitRequest { key: BucketKey::quota(account(id), QuotaId::SYMMETRIC), rate, cost: 1 };
        // Re-base whenever local time passes 2 s: several times in the run.
        compare_rebasing(&limiter, &[req], &times, name, Some(2 * S)).await;
    }
}

#[tokio::test]
async fn reset_empties_a_bucket_and_idle_buckets_expire() {
    let (redis, limiter) = start().await;
    let key = BucketKey::quota(account("400000000001"), QuotaId::SYMMETRIC);
    let req = LimitRequest { key, rate: window(2.0), cost: 1 };
    // Redis TIME from here on.
    assert!(limiter.check(&[req], 0).await.unwrap().allowed);
    assert!(limiter.check(&[req], 0).await.unwrap().allowed);
    assert!(!limiter.check(&[req], 0).await.unwrap().allowed, "two per second");
    limiter.reset(&key).await.unwrap();
    assert!(limiter.check(&[req], 0).await.unwrap().allowed, "reset forgets what was admitted");
    // The bucket carries a TTL of its window plus a second.
    let ttl = pttl(&redis, &RedisLimiter::key(&key));
    assert!((1_000..=2_010).contains(&ttl), "PTTL {ttl}");
}

#[tokio::test]
async fn reset_all_empties_every_bucket_under_the_prefix_and_nothing_else() {
    let (redis, limiter) = start().await;
    // More buckets than one SCAN batch (1,000) returns.
    let accounts: Vec<String> = (0..1_500).map(|i| format!("5000{i:08}")).collect();
    for a in &accounts {
        let req = LimitRequest { key: BucketKey::quota(account(a), QuotaId::SYMMETRIC), rate: window(1.0), cost: 1 };
        assert!(limiter.check(&[req], 0).await.unwrap().allowed);
        assert!(!limiter.check(&[req], 0).await.unwrap().allowed, "one per second");
    }
    // A key that is not the limiter's survives.
    let foreign = "someone-else:key";
    resp(&redis, &["SET", foreign, "1"]);
    limiter.reset_all().await.unwrap();
    for a in &accounts {
        let req = LimitRequest { key: BucketKey::quota(account(a), QuotaId::SYMMETRIC), rate: window(1.0), cost: 1 };
        assert!(limiter.check(&[req], 0).await.unwrap().allowed, "{a}: reset_all forgets every bucket");
    }
    assert_eq!(resp(&redis, &["EXISTS", foreign]).trim(), ":1", "reset_all deletes only the limiter's keys");
}

/// One command by a second plain connection (redis-cli is not needed): the raw reply.
fn resp(redis: &RedisServer, args: &[&str]) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(redis.addr()).unwrap();
    let mut cmd = format!("*{}\r\n", args.len());
    for a in args {
        cmd.push_str(&format!("${}\r\n{a}\r\n", a.len()));
    }
    s.write_all(cmd.as_bytes()).unwrap();
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// PTTL of `key`.
fn pttl(redis: &RedisServer, key: &str) -> i64 {
    resp(redis, &["PTTL", key]).trim().trim_start_matches(':').parse().unwrap()
}

#[tokio::test]
async fn a_redis_outage_fails_closed_and_heals_by_itself() {
    let (mut redis, limiter) = start().await;
    let req = LimitRequest {
        key: BucketKey::quota(account("500000000001"), QuotaId::SYMMETRIC),
        rate: window(1000.0),
        cost: 1,
    };
    assert!(limiter.check(&[req], 0).await.unwrap().allowed);
    redis.kill();
    // Down: every decision is an error, promptly (never an admission).
    for _ in 0..20 {
        let started = Instant::now();
        let r = limiter.check(&[req], 0).await;
        assert!(matches!(r, Err(LimiterError::Backend(_) | LimiterError::Timeout(_))), "{r:?}");
        assert!(started.elapsed() < Duration::from_secs(1), "a decision took {:?}", started.elapsed());
    }
    redis.restart().expect("restart");
    // Back: decisions resume (the script is loaded again after NOSCRIPT) within a deadline.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match limiter.check(&[req], 0).await {
            Ok(d) => {
                assert!(d.allowed);
                break;
            }
            Err(e) => assert!(Instant::now() < deadline, "not healed after 10 s: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The restarted Redis is empty: the quota counts afresh from here.
    let admitted = futures_admitted(&limiter, req, 1_500).await;
    assert!((999..=1_000).contains(&admitted), "{admitted} admitted of 1,500 offered at once");
}

async fn futures_admitted(limiter: &RedisLimiter, req: LimitRequest<'_>, n: usize) -> usize {
    let mut admitted = 0;
    for _ in 0..n {
        admitted += usize::from(limiter.check(&[req], 0).await.unwrap().allowed);
    }
    admitted
}

#[tokio::test]
async fn a_stalled_redis_is_a_timeout() {
    // A listener that never answers (the kernel completes the handshake
    // into its backlog): connecting must give up, promptly and saying why.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let started = Instant::now();
    let r = RedisLimiter::connect_with_timeout(&format!("redis://{addr}"), Duration::from_millis(100)).await;
    let err = r.expect_err("nothing answers");
    assert!(err.to_string().contains("no answer") || err.to_string().contains("timed out"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
    drop(listener);
}

#[tokio::test]
async fn a_redis_busy_past_the_deadline_is_a_timeout_not_an_admission() {
    let (redis, limiter) = start().await;
    let req = LimitRequest {
        key: BucketKey::quota(account("600000000001"), QuotaId::SYMMETRIC),
        rate: window(10.0),
        cost: 1,
    };
    assert!(limiter.check(&[req], 0).await.unwrap().allowed);
    // Another client runs a script that keeps Redis busy (a long pure-Lua loop).
    let addr = redis.addr();
    let busy = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let script = "local i = 0 while i < 150000000 do i = i + 1 end return i";
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        let started = Instant::now();
        write!(s, "*3\r\n$4\r\nEVAL\r\n${}\r\n{script}\r\n$1\r\n0\r\n", script.len()).unwrap();
        let mut buf = [0u8; 64];
        let n = s.read(&mut buf).unwrap();
        (started.elapsed(), String::from_utf8_lossy(&buf[..n]).into_owned())
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let r = limiter.check(&[req], 0).await;
    assert!(matches!(r, Err(LimiterError::Timeout(_))), "{r:?}");
    assert!(started.elapsed() < Duration::from_millis(500), "took {:?}", started.elapsed());
    let (busy_for, reply) = busy.join().unwrap();
    assert!(reply.starts_with(":150000000"), "the busy script failed: {reply}");
    assert!(busy_for > Duration::from_millis(400), "Redis was busy only {busy_for:?}: make the loop longer");
    // Once Redis answers again, decisions resume.
    let deadline = Instant::now() + Duration::from_secs(5);
    while limiter.check(&[req], 0).await.is_err() {
        assert!(Instant::now() < deadline, "not back after 5 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_batched_together_still_get_exactly_the_quota() {
    let (_redis, limiter) = start().await;
    // 600 concurrent decisions over two buckets (one shared by all, one per
    // parity) and a bucket named twice: batches mix them, and the totals
    // must be what one-at-a-time decisions give within one second.
    let pool = BucketKey::quota(account("700000000001"), QuotaId::SYMMETRIC);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..600u32 {
        let limiter = limiter.clone();
        tasks.spawn(async move {
            let id = if i % 2 == 0 { "cks-even" } else { "cks-odd" };
            let store = BucketKey::quota(BucketScope::CustomKeyStore { id }, QuotaId::CUSTOM_KEY_STORE);
            let reqs = [
                LimitRequest { key: pool, rate: window(250.0), cost: 1 },
                LimitRequest { key: store, rate: window(100.0), cost: 1 },
            ];
            (i % 2, limiter.check(&reqs, 0).await.unwrap().allowed)
        });
    }
    let results = tasks.join_all().await;
    let even = results.iter().filter(|r| r.0 == 0 && r.1).count();
    let odd = results.iter().filter(|r| r.0 == 1 && r.1).count();
    // Each store admits 100; the pool (250) is not the limit.
    assert_eq!((even, odd), (100, 100));
    let twice = LimitRequest { key: pool, rate: window(250.0), cost: 1 };
    let d = limiter.check(&[twice, twice], 0).await.unwrap();
    assert!(d.allowed, "200 of 250 used: two more fit");
}
