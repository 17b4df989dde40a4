//! Fault injection against the real server: rules from the config and from
//! `trent faults add`, seen by aws-sdk-kms and boto3 exactly as AWS's own
//! errors (status, `__type`, message), retried by their retry modes, counted
//! apart in `/metrics`, and bad rules refused naming the field.

mod common;

use std::process::Command;
use std::time::Instant;

use common::TestServer;

fn trent_faults(server: &TestServer, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_trent"))
        .arg("faults")
        .args(args)
        .args(["--endpoint", &server.endpoint])
        .output()
        .expect("run trent faults")
}

fn add(server: &TestServer, args: &[&str]) {
    let out = trent_faults(server, &[&["add"], args].concat());
    assert!(out.status.success(), "trent faults add failed: {}", String::from_utf8_lossy(&out.stderr));
}

fn injected(server: &TestServer, op: &str, fault: &str) -> u64 {
    let needle = format!("trent_injected_faults_total{{operation=\"{op}\",fault=\"{fault}\"}} ");
    server.metrics().lines().find_map(|l| l.strip_prefix(&needle).and_then(|v| v.trim().parse().ok())).unwrap_or(0)
}

/// Every injectable error as aws-sdk-kms sees it: AWS's code, status and message.
#[tokio::test]
async fn injected_errors_reach_aws_sdk_kms_as_aws_sends_them() {
    let server = TestServer::start();
    let kms = server.kms_client().await; // one attempt: every error as sent
    let cases = [
        ("KMSInternalException", 500, "An internal error occurred. Try the request again."),
        (
            "DependencyTimeoutException",
            503,
            "The system timed out while trying to fulfill the request. You can retry the request.",
        ),
        (
            "KeyUnavailableException",
            500,
            "The request was rejected because the specified KMS key is not available. You can retry the request.",
        ),
        (
            "ThrottlingException",
            400,
            "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.",
        ),
        (
            "KMSInvalidStateException",
            400,
            "The request was rejected because the state of the specified resource is not valid for this request.",
        ),
    ];
    for (code, status, message) in cases {
        add(&server, &["--operation", "GenerateRandom", "--error", code]);
        let err = kms.generate_random().number_of_bytes(8).send().await.expect_err("fault injected");
        let raw = err.raw_response().expect("an HTTP answer");
        assert_eq!(raw.status().as_u16(), status, "{code}");
        let meta = aws_sdk_kms::error::ProvideErrorMetadata::meta(&err);
        assert_eq!(meta.code(), Some(code));
        assert_eq!(meta.message(), Some(message), "{code}");
        assert_eq!(injected(&server, "GenerateRandom", code), 1, "{code} counted");
        let out = trent_faults(&server, &["clear"]);
        assert!(out.status.success());
        assert!(String::from_utf8_lossy(&out.stdout).contains("cleared 1"), "{}", String::from_utf8_lossy(&out.stdout));
    }
    // Injected faults are not counted as the operation's real outcomes.
    assert_eq!(server.count("GenerateRandom", "error"), 0);
    assert_eq!(server.count("GenerateRandom", "throttled"), 0);
    kms.generate_random().number_of_bytes(8).send().await.expect("no rule left");
    assert_eq!(server.op_count("GenerateRandom"), 1);
}

/// A config rule failing every second Encrypt: the SDK's standard retries
/// recover, and the server saw exactly the attempts the rule predicts.
#[tokio::test]
async fn aws_sdk_kms_retries_through_every_other_failure() {
    let server = TestServer::start_with_config(Some(
        "[[faults]]\nname = \"enc-every-2\"\noperations = [\"Encrypt\"]\nevery = 2\nerror = \"KMSInternalException\"\n",
    ));
    let kms = server.kms_client_as(&server.access_key_id, &server.secret_access_key, &server.region, 3).await;
    let (key, _) = common::api::new_key(&kms).await;
    for _ in 0..4 {
        kms.encrypt().key_id(&key).plaintext(aws_smithy_types::Blob::new(b"x".to_vec())).send().await.expect("retried");
    }
    // Matches 1..=7: the first call passes at once, each later one fails
    // (even match) and passes on its retry (odd match): 4 successes, 3 injected.
    assert_eq!(server.op_count("Encrypt"), 4);
    assert_eq!(injected(&server, "Encrypt", "enc-every-2"), 3);
    let list = trent_faults(&server, &["list", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&list.stdout).expect("json");
    assert_eq!(v["Faults"][0]["Matches"], 7);
    assert_eq!(v["Faults"][0]["Injected"], 3);
}

/// boto3's retries see injected faults as AWS's: RetryAttempts counts them,
/// latency delays, and a disconnected custom key store is not retried.
#[test]
fn boto3_sees_injected_faults_as_aws_faults() {
    let server = TestServer::start();
    add(&server, &["--operation", "GenerateRandom", "--every", "2", "--error", "ThrottlingException"]);
    add(&server, &["--operation", "ListKeys", "--latency-ms", "300", "--name", "slow-list"]);
    add(&server, &["--operation", "DescribeKey", "--custom-key-store-disconnected"]);
    let script = r#"
import time, boto3, botocore
from botocore.config import Config
kms = boto3.client("kms", config=Config(retries={"mode": "standard", "max_attempts": 3}))
first = kms.generate_random(NumberOfBytes=8)
assert first["ResponseMetadata"]["RetryAttempts"] == 0, first["ResponseMetadata"]
second = kms.generate_random(NumberOfBytes=8)
assert second["ResponseMetadata"]["RetryAttempts"] == 1, second["ResponseMetadata"]
t = time.monotonic()
kms.list_keys()
took = time.monotonic() - t
assert took >= 0.3, took
key = "1234abcd-12ab-34cd-56ef-1234567890ab"
try:
    kms.describe_key(KeyId=key)
    raise SystemExit("describe_key succeeded")
except botocore.exceptions.ClientError as e:
    r = e.response
    assert r["Error"]["Code"] == "KMSInvalidStateException", r
    assert r["Error"]["Message"] == "arn:aws:kms:us-east-1:111122223333:key/" + key + " is unavailable.", r
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 400, r
    assert r["ResponseMetadata"]["RetryAttempts"] == 0, r
print("boto3 faults ok")
"#;
    let started = Instant::now();
    common::run_boto3(&server, script, "boto3 faults ok");
    assert!(started.elapsed().as_secs_f64() >= 0.3);
    assert_eq!(injected(&server, "GenerateRandom", "ThrottlingException"), 1);
    assert_eq!(injected(&server, "ListKeys", "slow-list"), 1);
    assert_eq!(injected(&server, "DescribeKey", "custom-key-store-disconnected"), 1);
    assert_eq!(server.op_count("ListKeys"), 1, "a latency fault still runs the request");
}

/// Bad rules are refused naming the field: at startup and on the admin route.
#[test]
fn bad_rules_are_refused_naming_the_field() {
    let server = TestServer::start();
    let out = trent_faults(&server, &["add", "--error", "KMSInternalException", "--probability", "1.5"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("probability: must be between 0 and 1, got 1.5"), "{stderr}");
    let out = trent_faults(&server, &["add", "--operation", "Encrpyt", "--latency-ms", "5"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("operations[0]: unknown KMS operation \"Encrpyt\""));
    assert!(String::from_utf8_lossy(&trent_faults(&server, &["list"]).stdout).contains("no fault rules"));

    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("trent.toml");
    std::fs::write(
        &config,
        "[[faults]]\nerror = \"KMSInternalException\"\n[[faults]]\nevery = 0\nerror = \"ThrottlingException\"\n",
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_trent"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("--config")
        .arg(&config)
        .output()
        .expect("run trent serve");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("faults[1].every: must be at least 1"), "{stderr}");
}
