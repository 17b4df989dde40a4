//! Request quotas end to end: the throttled answer as AWS sends it, SDK
//! retries recovering, no side effect when throttled, and the Service Quotas
//! API through the AWS CLI, durable across SIGKILL.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;

use aws_sdk_kms::error::ProvideErrorMetadata;
use aws_sdk_kms::primitives::Blob;
use common::{TestServer, venv_bin};

const THROTTLE_BODY: &str = r#"{"__type":"ThrottlingException","message":"You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls."}"#;

fn config(symmetric: f64, create_key: f64) -> String {
    format!(
        r#"
[quotas]
profile = "current"

[[quotas.overrides]]
account_id = "111122223333"
region = "us-east-1"
quota_code = "L-6E3AF000"
value = {symmetric:.1}

[[quotas.overrides]]
account_id = "*"
region = "*"
quota_code = "L-32B67F4A"
value = {create_key:.1}
"#
    )
}

#[tokio::test]
async fn throttled_answer_is_exactly_what_aws_sends_and_sdk_without_retries_sees_it() {
    let server = TestServer::start_with_config(Some(&config(5.0, 100.0)));
    let kms = server.kms_client().await;
    let key = kms.create_key().send().await.expect("create").key_metadata().expect("md").key_id().to_owned();
    let mut ok: u64 = 0;
    let mut throttled = 0;
    let started = std::time::Instant::now();
    for _ in 0..40 {
        match kms.encrypt().key_id(&key).plaintext(Blob::new("x")).send().await {
            Ok(_) => ok += 1,
            Err(e) => {
                let e = e.into_service_error();
                assert_eq!(e.code(), Some("ThrottlingException"));
                assert_eq!(
                    e.message(),
                    Some("You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.")
                );
                throttled += 1;
            }
        }
    }
    // Burst is one second's worth (5), plus 5/s for the time the loop took.
    let most = 5 + (5.0 * started.elapsed().as_secs_f64()).ceil() as u64;
    assert!((5..=most).contains(&ok), "admitted {ok}, at most {most} allowed");
    assert!(throttled > 0);
    assert_eq!(ok + throttled, 40);
    assert_eq!(server.count("Encrypt", "throttled"), throttled);
    assert_eq!(server.count("Encrypt", "ok"), ok);

    // Throttling comes after authentication: an unsigned request is refused
    // for its missing signature, never charged.
    let addr = server.endpoint.trim_start_matches("http://").to_owned();
    let mut s = TcpStream::connect(&addr).expect("connect");
    let body = "{}";
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: {addr}\r\nX-Amz-Target: TrentService.GenerateRandom\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut raw = String::new();
    s.read_to_string(&mut raw).expect("read");
    assert!(raw.contains("MissingAuthenticationTokenException"), "auth runs before the quota check: {raw}");
}

#[tokio::test]
async fn throttle_body_is_byte_exact_on_the_wire() {
    let server = TestServer::start_with_config(Some(&config(1.0, 100.0)));
    let out = Command::new(venv_bin("python"))
        .args([
            "-c",
            r#"
import boto3, botocore, json
kms = boto3.client("kms", config=botocore.config.Config(retries={"max_attempts": 0, "mode": "standard"}))
bodies = []
def grab(response_dict, **kw):
    if response_dict["status_code"] != 200:
        bodies.append((response_dict["status_code"], response_dict["body"].decode()))
kms.meta.events.register("before-parse.kms.GenerateRandom", grab)
for _ in range(10):
    try:
        kms.generate_random(NumberOfBytes=8)
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "ThrottlingException"
print(json.dumps(bodies))
"#,
        ])
        .envs(server.envs())
        .output()
        .expect("python");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bodies: Vec<(u16, String)> = serde_json::from_slice(&out.stdout).expect("json");
    assert!(bodies.len() >= 8, "expected most of 10 calls throttled at 1/s: {bodies:?}");
    for (status, body) in bodies {
        assert_eq!(status, 400);
        assert_eq!(body, THROTTLE_BODY);
    }
}

#[tokio::test]
async fn sdk_standard_retries_recover_from_throttling() {
    let server = TestServer::start_with_config(Some(&config(5.0, 100.0)));
    let plain = server.kms_client().await;
    let key = plain.create_key().send().await.expect("create").key_metadata().expect("md").key_id().to_owned();
    let retrying = server.kms_client_as(&server.access_key_id, &server.secret_access_key, &server.region, 10).await;
    for i in 0..15 {
        retrying
            .encrypt()
            .key_id(&key)
            .plaintext(Blob::new(format!("m{i}")))
            .send()
            .await
            .expect("standard retries recover");
    }
    assert_eq!(server.count("Encrypt", "ok"), 15);
    assert!(server.count("Encrypt", "throttled") > 0, "the test must actually have been throttled");
}

#[tokio::test]
async fn a_throttled_request_has_no_side_effect() {
    let server = TestServer::start_with_config(Some(&config(1000.0, 2.0)));
    let kms = server.kms_client().await;
    let mut created = 0;
    for _ in 0..10 {
        match kms.create_key().send().await {
            Ok(_) => created += 1,
            Err(e) => assert_eq!(e.into_service_error().code(), Some("ThrottlingException")),
        }
    }
    assert!((2..10).contains(&created), "created {created}");
    let listed = kms.list_keys().send().await.expect("list").keys().len();
    assert_eq!(listed, created, "a throttled CreateKey must not create a key");
}

fn aws(server: &TestServer, args: &[&str]) -> Result<serde_json::Value, String> {
    let out =
        Command::new(venv_bin("aws")).args(args).args(["--output", "json"]).envs(server.envs()).output().expect("aws");
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null))
}

#[test]
fn service_quotas_api_through_the_aws_cli_and_durable() {
    let server = TestServer::start();
    let q =
        aws(&server, &["service-quotas", "get-service-quota", "--service-code", "kms", "--quota-code", "L-6E3AF000"])
            .expect("get");
    assert_eq!(q["Quota"]["Value"], 100000.0, "us-east-1 is in the top tier: {q}");
    assert_eq!(q["Quota"]["QuotaCode"], "L-6E3AF000");
    assert_eq!(q["Quota"]["Adjustable"], true);
    assert_eq!(q["Quota"]["QuotaArn"], "arn:aws:servicequotas:us-east-1:111122223333:kms/L-6E3AF000");

    let req = aws(
        &server,
        &[
            "service-quotas",
            "request-service-quota-increase",
            "--service-code",
            "kms",
            "--quota-code",
            "L-6E3AF000",
            "--desired-value",
            "150000",
        ],
    )
    .expect("increase");
    assert_eq!(req["RequestedQuota"]["Status"], "APPROVED");
    let id = req["RequestedQuota"]["Id"].as_str().expect("id").to_owned();

    let lower = aws(
        &server,
        &[
            "service-quotas",
            "request-service-quota-increase",
            "--service-code",
            "kms",
            "--quota-code",
            "L-6E3AF000",
            "--desired-value",
            "10",
        ],
    );
    assert!(lower.is_err(), "a decrease must be refused");

    let server = server.kill9_and_restart();
    let q =
        aws(&server, &["service-quotas", "get-service-quota", "--service-code", "kms", "--quota-code", "L-6E3AF000"])
            .expect("get");
    assert_eq!(q["Quota"]["Value"], 150000.0, "approved increase survives SIGKILL: {q}");
    let change =
        aws(&server, &["service-quotas", "get-requested-service-quota-change", "--request-id", &id]).expect("change");
    assert_eq!(change["RequestedQuota"]["DesiredValue"], 150000.0);
    let default = aws(
        &server,
        &["service-quotas", "get-aws-default-service-quota", "--service-code", "kms", "--quota-code", "L-6E3AF000"],
    )
    .expect("default");
    assert_eq!(default["Quota"]["Value"], 100000.0);
}
