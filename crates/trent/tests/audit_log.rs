//! `trent serve --audit-log`: the records of a real aws-sdk-kms session,
//! checked field by field against AWS KMS's documented CloudTrail entries.
//!
//! The facts below are from AWS's "Examples of AWS KMS log entries" (the
//! Encrypt and GenerateDataKey pages of the KMS Developer Guide), restated:
//! `eventVersion` "1.11"; `userIdentity` with `type` "IAMUser", `arn`,
//! `accountId`, `accessKeyId`, `userName`; `eventTime` as
//! `YYYY-MM-DDTHH:MM:SSZ`; `eventSource` "kms.amazonaws.com"; `eventName` the
//! operation; `awsRegion`; `sourceIPAddress`; `userAgent`;
//! `requestParameters` of Encrypt = {`encryptionContext`, `keyId` (as the
//! caller gave it), `encryptionAlgorithm`}, of GenerateDataKey = {`keyId`,
//! `keySpec`, `encryptionContext`} — never the plaintext; `responseElements`
//! null for both; `requestID`; `eventID`; `readOnly` true; `resources` =
//! [{`ARN` of the key, `accountId`}]; `eventType` "AwsApiCall";
//! `managementEvent` true; `recipientAccountId`; `eventCategory` "Management".
//! Failed calls carry `errorCode` and `errorMessage`.

mod common;

use aws_sdk_kms::operation::RequestId;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{DataKeySpec, EncryptionAlgorithmSpec};
use common::{DEV_ACCESS_KEY_ID, DEV_ACCOUNT_ID, REGION, TestServer};
use serde_json::{Value, json};

const PLAINTEXT: &[u8] = b"audit-log-plaintext-must-never-appear";

fn records(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("audit log")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not one JSON object per line: {e}: {l}")))
        .collect()
}

fn is_event_time(s: &str) -> bool {
    let b = s.as_bytes();
    s.len() == 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'Z'
        && s.chars().filter(char::is_ascii_digit).count() == 14
}

/// The fields every KMS record has, with the values AWS's examples show.
fn check_common(r: &Value, event_name: &str, request_id: &str) {
    assert_eq!(r["eventVersion"], "1.11", "{r}");
    assert_eq!(r["eventSource"], "kms.amazonaws.com");
    assert_eq!(r["eventName"], event_name);
    assert_eq!(r["awsRegion"], REGION);
    assert_eq!(r["sourceIPAddress"], "127.0.0.1");
    assert!(r["userAgent"].as_str().is_some_and(|ua| ua.contains("aws-sdk-rust")), "{r}");
    let id = &r["userIdentity"];
    assert_eq!(id["type"], "IAMUser");
    assert_eq!(id["arn"], format!("arn:aws:iam::{DEV_ACCOUNT_ID}:user/trent-dev"));
    assert_eq!(id["accountId"], DEV_ACCOUNT_ID);
    assert_eq!(id["accessKeyId"], DEV_ACCESS_KEY_ID);
    assert_eq!(id["userName"], "trent-dev");
    assert!(is_event_time(r["eventTime"].as_str().unwrap_or("")), "{}", r["eventTime"]);
    assert_eq!(r["requestID"], request_id, "the x-amzn-RequestId the client saw");
    assert!(r["eventID"].as_str().is_some_and(|e| e.len() == 36 && e.matches('-').count() == 4), "{r}");
    assert_eq!(r["readOnly"], true);
    assert_eq!(r["eventType"], "AwsApiCall");
    assert_eq!(r["managementEvent"], true);
    assert_eq!(r["recipientAccountId"], DEV_ACCOUNT_ID);
    assert_eq!(r["eventCategory"], "Management");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_is_recorded_as_cloudtrail_records_kms_calls() {
    // The symmetric pool at 3/s, so the session can be throttled on purpose.
    let config = "[[quotas.overrides]]\naccount_id = \"*\"\nregion = \"*\"\nquota_code = \"L-6E3AF000\"\nvalue = 3.0\n";
    let server = TestServer::start_with_args(Some(config), &["--audit-log", "{dir}/audit/kms.log"]);
    let log = server.data_dir().parent().expect("tmp").join("audit/kms.log");
    let kms = server.kms_client().await;

    let key = kms.create_key().send().await.expect("CreateKey");
    let meta = key.key_metadata().expect("metadata");
    let (key_id, key_arn) = (meta.key_id().to_owned(), meta.arn().expect("arn").to_owned());

    let enc = kms
        .encrypt()
        .key_id(&key_arn)
        .plaintext(Blob::new(PLAINTEXT))
        .encryption_context("Department", "Engineering")
        .encryption_algorithm(EncryptionAlgorithmSpec::SymmetricDefault)
        .send()
        .await
        .expect("Encrypt");
    let dk = kms
        .generate_data_key()
        .key_id(&key_id)
        .key_spec(DataKeySpec::Aes256)
        .encryption_context("Department", "Engineering")
        .encryption_context("Project", "Alpha")
        .send()
        .await
        .expect("GenerateDataKey");
    // Spend the pool until a ThrottlingException (3/s: a handful of calls).
    let mut throttled = false;
    for _ in 0..20 {
        match kms.encrypt().key_id(&key_id).plaintext(Blob::new(PLAINTEXT)).send().await {
            Ok(_) => {}
            Err(e) => {
                let code = e.as_service_error().and_then(|s| aws_sdk_kms::error::ProvideErrorMetadata::code(s));
                assert_eq!(code, Some("ThrottlingException"), "{e:?}");
                throttled = true;
                break;
            }
        }
    }
    assert!(throttled, "20 Encrypts in a row under a 3/s quota were all admitted");

    // SIGTERM: the server writes what it holds and exits as a shell expects.
    let throttles = server.count("Encrypt", "throttled");
    let ok = server.count("Encrypt", "ok") + server.count("GenerateDataKey", "ok") + server.count("CreateKey", "ok");
    let (_tmp, status) = server.terminate();
    assert_eq!(status.code(), Some(143), "{status:?}");
    let recs = records(&log);
    let text = std::fs::read_to_string(&log).expect("log");
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    assert!(!text.contains(&b64.encode(PLAINTEXT)), "plaintext (base64) in the audit log");
    assert!(!text.contains(std::str::from_utf8(PLAINTEXT).expect("utf8")), "plaintext in the audit log");
    let blob = dk.ciphertext_blob().expect("blob").as_ref();
    assert!(!text.contains(&b64.encode(blob)), "a data key's ciphertext in the audit log");
    let data_key = dk.plaintext().expect("data key").as_ref();
    assert!(!text.contains(&b64.encode(data_key)), "a data key in the audit log");

    // CreateKey: a management call, not read-only, answered with the key's metadata.
    let create = &recs[0];
    assert_eq!(create["eventName"], "CreateKey");
    assert_eq!(create["readOnly"], false);
    assert_eq!(create["responseElements"]["keyMetadata"]["keyId"], key_id.as_str());
    assert_eq!(create["resources"][0]["ARN"], key_arn.as_str());

    // Encrypt, field by field.
    let r = recs.iter().find(|r| r["eventName"] == "Encrypt").expect("an Encrypt record");
    check_common(r, "Encrypt", enc.request_id().expect("request id"));
    assert_eq!(
        r["requestParameters"],
        json!({"encryptionContext": {"Department": "Engineering"}, "keyId": key_arn, "encryptionAlgorithm": "SYMMETRIC_DEFAULT"})
    );
    assert_eq!(r["responseElements"], Value::Null);
    assert_eq!(r["resources"][0]["ARN"], key_arn.as_str());
    assert_eq!(r["resources"][0]["accountId"], DEV_ACCOUNT_ID);
    assert!(r.get("errorCode").is_none());

    // GenerateDataKey, field by field.
    let r = recs.iter().find(|r| r["eventName"] == "GenerateDataKey").expect("a GenerateDataKey record");
    check_common(r, "GenerateDataKey", dk.request_id().expect("request id"));
    assert_eq!(
        r["requestParameters"],
        json!({"keyId": key_id, "keySpec": "AES_256", "encryptionContext": {"Department": "Engineering", "Project": "Alpha"}})
    );
    assert_eq!(r["responseElements"], Value::Null);
    assert_eq!(r["resources"][0]["ARN"], key_arn.as_str(), "the ARN even when the caller gave a bare id");

    // The throttled call: recorded with CloudTrail's error fields.
    let r = recs.iter().find(|r| r["errorCode"] == "ThrottlingException").expect("a throttled record");
    assert_eq!(r["eventName"], "Encrypt");
    assert!(r["errorMessage"].as_str().is_some_and(|m| !m.is_empty()), "{r}");
    assert_eq!(r["responseElements"], Value::Null);
    assert_eq!(r["requestParameters"], json!({"keyId": key_id}), "no plaintext member");

    // One record per request: CreateKey + Encrypt + GenerateDataKey + the loop.
    assert_eq!(recs.len() as u64, ok + throttles, "records vs requests counted by /metrics");
}

#[tokio::test(flavor = "multi_thread")]
async fn service_quotas_requests_are_recorded_too() {
    let server = TestServer::start_with_args(None, &["--audit-log", "{dir}/sq.log"]);
    let log = server.data_dir().parent().expect("tmp").join("sq.log");
    let mut cmd = std::process::Command::new(common::venv_bin("aws"));
    cmd.envs(server.envs()).args([
        "service-quotas",
        "get-service-quota",
        "--service-code",
        "kms",
        "--quota-code",
        "L-6E3AF000",
    ]);
    let out = cmd.output().expect("aws cli");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // An operation both APIs name (KMS has a TagResource too) is recorded as the one called.
    let mut cmd = std::process::Command::new(common::venv_bin("aws"));
    cmd.envs(server.envs()).args([
        "service-quotas",
        "tag-resource",
        "--resource-arn",
        "arn:aws:servicequotas:us-east-1:111122223333:kms/L-6E3AF000",
        "--tags",
        "Key=team,Value=platform",
    ]);
    let out = cmd.output().expect("aws cli");
    assert!(!out.status.success(), "Service Quotas tagging is not served");
    let (_tmp, _) = server.terminate();
    let recs = records(&log);
    assert_eq!(recs.len(), 2, "{recs:?}");
    let tag = &recs[1];
    assert_eq!(tag["eventSource"], "servicequotas.amazonaws.com", "{tag}");
    assert_eq!(tag["eventName"], "TagResource");
    assert!(tag["errorCode"].is_string() && tag.get("resources").is_none(), "{tag}");
    let r = &recs[0];
    assert_eq!(r["eventSource"], "servicequotas.amazonaws.com");
    assert_eq!(r["eventName"], "GetServiceQuota");
    assert_eq!(r["requestParameters"], json!({"serviceCode": "kms", "quotaCode": "L-6E3AF000"}));
    assert_eq!(r["readOnly"], true);
    assert!(r["userAgent"].as_str().is_some_and(|ua| ua.contains("aws-cli")), "{r}");
}

#[tokio::test(flavor = "multi_thread")]
async fn injected_faults_are_recorded_like_real_failures() {
    let config = "[[faults]]\noperations = [\"Encrypt\"]\nerror = \"KMSInternalException\"\n";
    let server = TestServer::start_with_args(Some(config), &["--audit-log", "{dir}/faults.log"]);
    let log = server.data_dir().parent().expect("tmp").join("faults.log");
    let kms = server.kms_client().await;
    let key_id = kms.create_key().send().await.expect("CreateKey").key_metadata.expect("metadata").key_id;
    let e = kms.encrypt().key_id(&key_id).plaintext(Blob::new(PLAINTEXT)).send().await.expect_err("injected");
    let request_id = e.request_id().expect("request id").to_owned();
    let (_tmp, _) = server.terminate();
    let recs = records(&log);
    let r = recs.iter().find(|r| r["eventName"] == "Encrypt").expect("the injected failure is recorded");
    assert_eq!(r["errorCode"], "KMSInternalException", "{r}");
    assert_eq!(r["requestID"], request_id.as_str(), "{r}");
    assert_eq!(r["requestParameters"], json!({"keyId": key_id}), "{r}");
}
