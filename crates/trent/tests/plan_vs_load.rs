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
                "/dev/null",
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
}
