//! The planner against measurement: for a pool-bound, a management-op-bound
//! and an S3-heavy workload (bench/workloads/), `trent plan`'s expected
//! throttle ratio is within 5 percentage points of what `trent load` measures
//! against a real server enforcing the same quotas (bench/workloads/quotas.toml:
//! symmetric pool 100/s, DescribeKey 20/s). bench/plan-vs-load.sh does the same
//! with longer runs in a release build.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{TestServer, workspace_root};
use serde_json::Value;

fn workloads() -> PathBuf {
    workspace_root().join("bench/workloads")
}

fn forecast(workload: &str) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_trent"))
        .arg("plan")
        .arg(workloads().join(workload))
        .arg("--config")
        .arg(workloads().join("quotas.toml"))
        .args(["--output", "json"])
        .output()
        .expect("run trent plan");
    assert!(matches!(out.status.code(), Some(0 | 3)), "trent plan failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("forecast JSON")
}

/// throttled / sent of one report, or of every report of a scenario.
fn measured(server: &TestServer, args: &[&str]) -> f64 {
    let out = Command::new(env!("CARGO_BIN_EXE_trent"))
        .args(["load", "--endpoint", &server.endpoint, "--output", "json", "--progress", "never"])
        .args(["--duration", "3s", "--settle", "1200ms", "--drain", "3s", "--retry", "none"])
        .args(args)
        .envs(server.envs())
        .output()
        .expect("run trent load");
    assert!(out.status.success(), "trent load failed: {}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("report JSON");
    let reports = v.as_array().cloned().unwrap_or_else(|| vec![v]);
    let (sent, throttled) = reports.iter().fold((0u64, 0u64), |(s, t), r| {
        (s + r["sent"].as_u64().expect("sent"), t + r["throttled"].as_u64().expect("throttled"))
    });
    assert!(sent > 100, "too few requests to measure: {sent}");
    throttled as f64 / sent as f64
}

#[test]
fn forecast_throttle_ratios_match_measurement_within_5_points() {
    let config = std::fs::read_to_string(workloads().join("quotas.toml")).expect("quotas.toml");
    let server = TestServer::start_with_config(Some(&config));
    let dir = tempfile::tempdir().expect("tempdir");
    let chart = dir.path().join("s3.svg");
    let chart = chart.to_str().expect("utf-8 path");
    let cases: [(&str, &[&str], f64); 3] = [
        ("pool-bound.toml", &["--operation", "Encrypt=200,Decrypt=100", "--rate", "300"], 2.0 / 3.0),
        ("management-bound.toml", &["--operation", "Encrypt=50,DescribeKey=50", "--rate", "100"], 0.3),
        (
            "s3-heavy.toml",
            &[
                "--scenario",
                "s3-sse-kms",
                "--s3-bucket-key",
                "false",
                "--s3-put-rate",
                "150",
                "--s3-get-rate",
                "100",
                "--s3-multipart-rate",
                "5",
                "--s3-parts",
                "4",
                "--chart",
                chart,
            ],
            1.0 - 100.0 / 275.0,
        ),
    ];
    for (workload, load_args, expected) in cases {
        let f = forecast(workload);
        let planned = f["throttle_ratio"].as_f64().expect("throttle_ratio");
        assert!((planned - expected).abs() < 1e-9, "{workload}: forecast {planned}, worked by hand {expected}");
        let got = measured(&server, load_args);
        assert!(
            (planned - got).abs() <= 0.05,
            "{workload}: forecast {:.1}% throttled, measured {:.1}%",
            planned * 100.0,
            got * 100.0
        );
    }
    let svg = std::fs::read_to_string(chart).expect("the S3 scenario's chart");
    assert!(svg.contains("<svg") && svg.contains("No Bucket Keys"), "chart without its panel");
}

fn plan(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_trent")).arg("plan").args(args).output().expect("run trent plan")
}

#[test]
fn bad_workloads_are_refused_with_line_and_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        (
            "[[callers]]\nname = \"a\"\nrates = { Encrypt = 5, Encrpyt = 1 }\n",
            "line 3: callers[0].rates.Encrpyt: unknown operation",
        ),
        ("[[s3]]\nname = \"b\"\nget_per_second = -2\n", "line 3: s3[0].get_per_second:"),
        (
            "[[envelope]]\nname = \"c\"\nregion = \"us-north-9\"\nmessages_per_second = 1\n",
            "line 3: envelope[0].region: unknown region",
        ),
    ];
    for (i, (text, want)) in cases.into_iter().enumerate() {
        let path = dir.path().join(format!("w{i}.toml"));
        std::fs::write(&path, text).expect("write");
        let out = plan(&[path.to_str().expect("utf-8")]);
        assert_eq!(out.status.code(), Some(1), "{want}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(want), "{stderr}");
    }
}

#[test]
fn the_seed_uploads_throttle_in_a_default_tier_region_and_bucket_keys_fix_it() {
    let w = workloads().join("seed-uploads.toml");
    let out = plan(&[w.to_str().expect("utf-8"), "--profile", "2020", "--region", "sa-east-1", "--output", "json"]);
    assert_eq!(out.status.code(), Some(3), "a throttling forecast exits 3");
    let f: Value = serde_json::from_slice(&out.stdout).expect("json");
    let q = &f["quotas"][0];
    assert_eq!(
        (q["quota_code"].as_str(), q["limit"].as_f64(), q["demand"].as_f64()),
        (Some("L-6E3AF000"), Some(5500.0), Some(20000.0))
    );
    assert!((q["throttle_ratio"].as_f64().expect("ratio") - 0.725).abs() < 1e-9);
    let bucket_keys = &q["remedies"][0];
    assert_eq!(bucket_keys["remedy"], "bucket-keys");
    assert_eq!(bucket_keys["suffices"], true);
    assert_eq!(f["quotas"][1]["status"], "ok", "the account with Bucket Keys");
    let out = plan(&[w.to_str().expect("utf-8"), "--profile", "2020", "--region", "us-east-1"]);
    assert_eq!(out.status.code(), Some(0), "30,000/s in us-east-1 in 2020 holds 20,000/s");
}
