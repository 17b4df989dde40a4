//! `trent load` against a real Trent server whose symmetric quota is overridden to a small
//! value: the admitted rate it reports matches the quota (quota × time + burst), every
//! throttle is counted exactly as the server counted it, and the envelope mode with a data
//! key cache sends far fewer KMS requests than it encrypts messages.

mod common;

use std::process::Command;

use common::TestServer;
use serde_json::Value;

const QUOTA: f64 = 100.0;

fn server() -> TestServer {
    // `trent load` predicts admissions as a token bucket does (quota × time + burst).
    let config = format!(
        "[quotas]\nalgorithm = \"token-bucket\"\n[[quotas.overrides]]\naccount_id = \"111122223333\"\nregion = \"us-east-1\"\nquota_code = \"L-6E3AF000\"\nvalue = {QUOTA:.1}\n"
    );
    TestServer::start_with_config(Some(&config))
}

fn load(server: &TestServer, args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_trent"))
        .args(["load", "--endpoint", &server.endpoint, "--output", "json", "--progress", "never"])
        .args(["--settle", "1200ms", "--drain", "3s"])
        .args(args)
        .envs(server.envs())
        .output()
        .expect("run trent load");
    assert!(out.status.success(), "trent load failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn u(v: &Value, field: &str) -> u64 {
    v[field].as_u64().unwrap_or_else(|| panic!("no {field} in {v}"))
}

#[test]
fn admitted_rate_matches_the_quota_and_throttles_are_counted() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("load.svg");
    let r =
        load(&server, &["--rate", "400", "--duration", "3s", "--retry", "none", "--chart", chart.to_str().unwrap()]);

    // The JSON contract.
    for field in ["sent", "succeeded", "throttled", "retries"] {
        assert!(r[field].is_u64(), "{field} missing");
    }
    assert!((r["duration_seconds"].as_f64().unwrap() - 3.0).abs() < 1e-6);
    for p in ["p50", "p90", "p99", "max"] {
        assert!(r["latency_ms"][p].is_f64(), "latency_ms.{p} missing");
    }

    // Offered 400/s for 3 s, one attempt each.
    assert_eq!(u(&r, "offered"), 1200);
    assert_eq!(u(&r, "sent"), 1200);
    assert_eq!(u(&r, "retries"), 0);

    // Admitted = quota × time + burst, from the generator's side and from the server's.
    let q = &r["quota"][0];
    assert_eq!(q["quota_code"], "L-6E3AF000");
    assert_eq!(q["quota"].as_f64(), Some(QUOTA), "quota discovered through GetServiceQuota");
    let expected = q["expected_admitted"].as_f64().unwrap();
    // The generator's send span sets `expected`; on a loaded machine it comes out a few
    // milliseconds short of 3 s (seen: 2.977 s), so allow 1 % of the ideal, not 2 requests.
    let ideal = QUOTA * 3.0 + QUOTA;
    assert!((expected - ideal).abs() <= ideal * 0.01 + 2.0, "expected {expected}");
    let admitted = u(q, "admitted_in_window") as f64;
    assert!((admitted - expected).abs() <= expected * 0.02 + 2.0, "admitted {admitted}, expected {expected}");

    // Every throttle the server sent is counted, and nothing else.
    assert_eq!(u(&r, "throttled"), server.count("Encrypt", "throttled"));
    assert_eq!(u(&r, "succeeded"), server.count("Encrypt", "ok"));
    assert_eq!(u(&r, "succeeded") + u(&r, "throttled"), 1200);
    assert!(u(&r, "throttled") > 700, "{r}");
    assert_eq!(u(&r, "errors"), 0);

    // The timeline adds up, and the chart was drawn.
    let timeline = r["timeline"].as_array().unwrap();
    let admitted_total: u64 = timeline.iter().map(|s| u(s, "admitted")).sum();
    assert_eq!(admitted_total, u(&r, "succeeded"));
    let svg = std::fs::read_to_string(&chart).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("throttled") && svg.contains("quota 100/s"));
}

#[test]
fn envelope_mode_sends_fewer_kms_requests_than_messages() {
    let server = server();
    let r = load(
        &server,
        &["--envelope", "--rate", "300", "--duration", "2s", "--retry", "none", "--cache-max-messages", "100"],
    );
    let messages = u(&r, "offered");
    assert_eq!(messages, 600);
    assert_eq!(u(&r, "succeeded"), messages, "{r}");
    // Only cache misses reach KMS: one GenerateDataKey per 100 messages, concurrent misses collapsed.
    let kms = u(&r, "sent");
    assert_eq!(kms, 6, "{r}");
    assert_eq!(server.count("GenerateDataKey", "ok"), kms);
    assert_eq!(r["cache"]["misses"].as_u64(), Some(6));
    assert_eq!(u(&r, "throttled"), 0);
}

#[test]
fn retries_recover_what_no_retries_lose() {
    let server = server();
    let r = load(
        &server,
        &["--rate", "200", "--duration", "2s", "--retry", "backoff", "--backoff-base", "100ms", "--backoff-cap", "1s"],
    );
    // 400 requests against a 100/s quota with a burst of 100: without retries 300 would pass
    // (75%); with up to six attempts spread over 2.5 s nearly all get through.
    assert_eq!(u(&r, "offered"), 400);
    assert!(u(&r, "retries") > 0, "{r}");
    assert_eq!(u(&r, "sent"), 400 + u(&r, "retries"));
    assert!(r["success_rate"].as_f64().unwrap() > 0.9, "{r}");
    assert_eq!(u(&r, "throttled"), server.count("Encrypt", "throttled"));
    assert!(r["retries_per_success"].as_f64().unwrap() > 0.0);
}
