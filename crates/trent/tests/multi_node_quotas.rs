//! Three `trent serve` processes on one PostgreSQL (keys) and one Redis
//! (request quotas) admit together what one node admits alone, and a Redis
//! restart in the middle of a load fails closed and heals by itself.
//!
//! The load is GenerateRandom (the symmetric pool, no key needed) on a
//! schedule, round-robin across the nodes, at 2x and 10x a pool lowered to
//! [`QUOTA`]/s (small, so a debug-build client keeps its schedule at 10x). Everything runs on loopback and is bounded in time.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_kms::error::ProvideErrorMetadata;
use trent_testkit::{PgServer, RedisServer};

/// The symmetric pool for the development account, per second.
const QUOTA: u64 = 50;
/// Seconds each load runs.
const SECONDS: u64 = 4;
/// Same for every node: they share one store.
const ROOT_KEY: &str = "4242424242424242424242424242424242424242424242424242424242424242";

const CONFIG: &str = r#"
[quotas]
[[quotas.overrides]]
account_id = "111122223333"
region = "us-east-1"
quota_code = "L-6E3AF000"
value = 50.0
"#;

/// One `trent serve` child, killed on drop.
struct Node {
    endpoint: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Node {
    fn start(store: Option<&str>, limiter: Option<&str>) -> Node {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("trent.toml");
        std::fs::write(&config, CONFIG).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_trent"));
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"]).arg(dir.path().join("data"));
        cmd.arg("--config").arg(&config);
        if let Some(url) = store {
            cmd.args(["--store", url]);
        }
        if let Some(url) = limiter {
            cmd.args(["--limiter", url]);
        }
        cmd.env("TRENT_ROOT_KEY", ROOT_KEY).stdout(Stdio::piped()).stderr(Stdio::inherit());
        let mut child = cmd.spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().expect("trent printed nothing").unwrap();
        let endpoint = first.split_whitespace().find(|w| w.starts_with("http://")).expect("endpoint").to_owned();
        std::thread::spawn(move || for _ in lines.by_ref() {});
        Node { endpoint, child, _dir: dir }
    }

    fn client(&self) -> aws_sdk_kms::Client {
        let creds = aws_credential_types::Credentials::new(
            "AKIATRENTDEV00000000",
            "trent-development-secret-key-loopback-only",
            None,
            None,
            "multi-node",
        );
        let conf = aws_sdk_kms::Config::builder()
            .behavior_version(aws_sdk_kms::config::BehaviorVersion::latest())
            .region(aws_sdk_kms::config::Region::new("us-east-1"))
            .credentials_provider(creds)
            .endpoint_url(&self.endpoint)
            .retry_config(aws_sdk_kms::config::retry::RetryConfig::standard().with_max_attempts(1))
            .build();
        aws_sdk_kms::Client::from_conf(conf)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What happened to one scheduled request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Admitted,
    Throttled,
    /// A server fault: (KMSInternalException | DependencyTimeoutException, HTTP status).
    Fault(u16),
}

/// One request's send time (since the load started), latency and outcome.
#[derive(Debug, Clone, Copy)]
struct Sample {
    sent: Duration,
    latency: Duration,
    outcome: Outcome,
}

/// Offers GenerateRandom at `rate`/s, evenly spaced, for `millis`,
/// round-robin across `clients`; every request is awaited (bounded by the
/// run's length plus a grace).
async fn offer(clients: &[aws_sdk_kms::Client], rate: u64, millis: u64) -> Vec<Sample> {
    let seconds = millis.div_ceil(1_000);
    let n = rate * millis / 1_000;
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let at = Duration::from_nanos(i * 1_000_000_000 / rate);
        let kms = clients[(i as usize) % clients.len()].clone();
        tasks.spawn(async move {
            tokio::time::sleep_until((start + at).into()).await;
            let sent = start.elapsed();
            let r = kms.generate_random().number_of_bytes(8).send().await;
            let latency = start.elapsed() - sent;
            let outcome = match r {
                Ok(_) => Outcome::Admitted,
                Err(e) => {
                    let status = e.raw_response().map(|r| r.status().as_u16()).unwrap_or(0);
                    match e.code() {
                        Some("ThrottlingException") => Outcome::Throttled,
                        Some("KMSInternalException") | Some("DependencyTimeoutException") => Outcome::Fault(status),
                        other => panic!("unexpected error {other:?}: {e:?}"),
                    }
                }
            };
            Sample { sent, latency, outcome }
        });
    }
    let deadline = Duration::from_secs(seconds + 30);
    let all = tokio::time::timeout(deadline, tasks.join_all()).await.expect("the load did not finish in time");
    let mut all = all;
    all.sort_by_key(|s| s.sent);
    all
}

fn admitted(samples: &[Sample]) -> usize {
    samples.iter().filter(|s| s.outcome == Outcome::Admitted).count()
}

/// How many one-second windows the admissions can have spanned on the
/// server: from the first admitted request's send to the last one's answer,
/// rounded up. Equals the run's length when the machine keeps up; a
/// machine so busy that requests reach the limiter late can stretch it.
fn windows_spanned(samples: &[Sample]) -> u64 {
    let ok = samples.iter().filter(|s| s.outcome == Outcome::Admitted);
    let first = ok.clone().map(|s| s.sent).min().unwrap_or_default();
    let last = ok.map(|s| s.sent + s.latency).max().unwrap_or_default();
    last.saturating_sub(first).as_millis().div_ceil(1_000) as u64
}

/// Whether some [`QUOTA`] + 1 admissions certainly happened within one
/// second. The client sees each admission only as somewhere between its send
/// and its answer, so a group proves a breach when its last answer came less
/// than a second after its first send. The tightest groups are consecutive
/// ones in send order. Returns the first such group's span, if any.
fn over_quota(samples: &[Sample]) -> Option<Duration> {
    let ok: Vec<&Sample> = samples.iter().filter(|s| s.outcome == Outcome::Admitted).collect();
    let n = QUOTA as usize + 1;
    ok.windows(n).find_map(|group| {
        let first_sent = group[0].sent;
        let last_answer = group.iter().map(|s| s.sent + s.latency).max().unwrap_or_default();
        let span = last_answer.saturating_sub(first_sent);
        (span < Duration::from_secs(1)).then_some(span)
    })
}

/// Runs the 2x and 10x loads on `clients`; returns, per factor, the
/// admitted count, the offered count and the windows the admissions spanned.
async fn both_loads(clients: &[aws_sdk_kms::Client], label: &str) -> Vec<(u64, usize, usize, u64)> {
    let mut out = vec![];
    for factor in [2, 10] {
        // A quarter second short of SECONDS windows: from idle, window k
        // admits its quota in its first half at 2x (first tenth at 10x), so a
        // request that reaches a node a little late on a busy machine still
        // falls in the last window rather than opening one more.
        let samples = offer(clients, QUOTA * factor, SECONDS * 1_000 - 250).await;
        let faults = samples.iter().filter(|s| matches!(s.outcome, Outcome::Fault(_))).count();
        assert_eq!(faults, 0, "{label} x{factor}: server faults with Redis up");
        let breach = over_quota(&samples);
        assert!(breach.is_none(), "{label} x{factor}: {} admitted within {breach:?}", QUOTA + 1);
        // The client must have kept its schedule, or the run spilled into
        // another second and the totals say nothing about the limiter.
        let late = samples.last().map(|s| s.sent).unwrap_or_default();
        assert!(
            late < Duration::from_millis(SECONDS * 1_000 + 200),
            "{label} x{factor}: the client fell behind ({late:?})"
        );
        out.push((factor, admitted(&samples), samples.len(), windows_spanned(&samples)));
        // Let the window empty before the next load.
        tokio::time::sleep(Duration::from_millis(1_100)).await;
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_on_one_redis_admit_what_one_node_admits_alone() {
    let pg = PgServer::shared().expect("PostgreSQL (apt-get install postgresql)");
    let db = pg.create_database().unwrap();
    let redis = RedisServer::start().expect("redis-server (apt-get install redis-server)");

    // The reference: one node alone, embedded default (in-memory limiter).
    let alone = Node::start(Some(&db), None);
    let reference = both_loads(&[alone.client()], "one node").await;
    drop(alone);

    let nodes: Vec<Node> = (0..3).map(|_| Node::start(Some(&db), Some(&redis.url()))).collect();
    let clients: Vec<_> = nodes.iter().map(Node::client).collect();
    let shared = both_loads(&clients, "three nodes").await;

    for ((factor, one, offered, _), (_, three, _, spanned)) in reference.iter().zip(&shared) {
        eprintln!(
            "x{factor}: offered {offered}, one node alone admitted {one}, three nodes on Redis {three} over {spanned} s"
        );
        if *spanned <= SECONDS {
            let diff = (*three as f64 - *one as f64).abs() / *one as f64;
            assert!(diff <= 0.01, "x{factor}: three nodes admitted {three}, one node {one} ({:.2} %)", diff * 100.0);
        } else {
            // Requests reached Redis late enough to open another window: the
            // windows they spanned bound what may pass (no breach of any
            // second was found above either way).
            assert!((*one..=QUOTA as usize * *spanned as usize).contains(three), "x{factor}: {three} over {spanned} s");
        }
        // And what one node admits is the quota over the run.
        let expected = (QUOTA * SECONDS) as f64;
        assert!((*one as f64 - expected).abs() / expected <= 0.01, "x{factor}: one node admitted {one}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restart_mid_load_fails_closed_then_counts_correctly() {
    let pg = PgServer::shared().expect("PostgreSQL (apt-get install postgresql)");
    let db = pg.create_database().unwrap();
    let redis = Arc::new(std::sync::Mutex::new(RedisServer::start().expect("redis-server")));
    let url = redis.lock().unwrap().url();
    let nodes: Vec<Node> = (0..3).map(|_| Node::start(Some(&db), Some(&url))).collect();
    let clients: Vec<_> = nodes.iter().map(Node::client).collect();

    // 2x the quota for 6 s; Redis is killed at 2 s and back at 3 s.
    let load = tokio::spawn({
        let clients = clients.clone();
        async move { offer(&clients, QUOTA * 2, 6_000).await }
    });
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(2)).await;
    redis.lock().unwrap().kill();
    let killed_at = started.elapsed();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let restarted_at = started.elapsed();
    redis.lock().unwrap().restart().expect("Redis restarts");
    let samples = load.await.unwrap();

    // While it was down (well inside the outage): only faults, never an admission.
    let inside = |s: &&Sample| s.sent > killed_at + Duration::from_millis(100) && s.sent + s.latency < restarted_at;
    let down: Vec<&Sample> = samples.iter().filter(inside).collect();
    assert!(down.len() > 40, "the outage must see load: {}", down.len());
    for s in &down {
        assert!(matches!(s.outcome, Outcome::Fault(500 | 503)), "{s:?} while Redis was down");
    }
    // Every node still runs (no panic).
    for mut n in nodes {
        assert!(n.child.try_wait().unwrap().is_none(), "a node exited");
    }
    // After: the restarted Redis counts afresh, at most the quota in any second,
    // and the quota is admitted again within 1.5 s of the restart.
    let after: Vec<Sample> = samples.iter().copied().filter(|s| s.sent > restarted_at).collect();
    assert!(over_quota(&after).is_none(), "over the quota after the restart");
    let healed = after.iter().find(|s| s.outcome == Outcome::Admitted).expect("nothing admitted after the restart");
    assert!(healed.sent < restarted_at + Duration::from_millis(1_500), "healed only at {:?}", healed.sent);
    let last_two: usize =
        after.iter().filter(|s| s.sent >= Duration::from_secs(4) && s.outcome == Outcome::Admitted).count();
    let expected = 2 * QUOTA as usize;
    assert!(last_two.abs_diff(expected) <= expected / 50, "{last_two} admitted in the last 2 s, quota {QUOTA}/s");
}
