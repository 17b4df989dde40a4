//! GetKeyLastUsage against a real `trent serve` (aws-sdk-kms and boto3): fed
//! by the successful cryptographic operations only, naming the request id the
//! client saw and the eventID of the request's audit-log record, not across
//! accounts, and kept across a restart (the server writes it on SIGTERM).
#![allow(clippy::unwrap_used)]

mod common;

use aws_sdk_kms::Client;
use aws_sdk_kms::operation::RequestId;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeySpec, KeyUsageType, MacAlgorithmSpec, SigningAlgorithmSpec};
use common::TestServer;
use common::api::err_of;
use serde_json::Value;

const CONFIG: &str = r#"
# Written only on SIGTERM in these tests: the maintenance pass never runs.
maintenance_interval_seconds = 3600.0

[quotas]
enabled = false

[[principals]]
access_key_id = "AKIAALICE00000000000"
secret_access_key = "alice-secret"
account_id = "111111111111"

[[principals]]
access_key_id = "AKIABOB0000000000000"
secret_access_key = "bob-secret"
account_id = "222222222222"
"#;

/// The audit-log record answered with `request_id`.
fn audit_record(server: &TestServer, request_id: &str) -> Value {
    let log = server.data_dir().parent().unwrap().join("audit.log");
    std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|r| r["requestID"] == request_id)
        .unwrap_or_else(|| panic!("no audit record for {request_id}"))
}

/// (operation, request id, event id) of the key's last use; `None` when unused.
async fn last_use(c: &Client, key: &str) -> Option<(String, String, String)> {
    let out = c.get_key_last_usage().key_id(key).send().await.unwrap();
    let u = out.key_last_usage().unwrap();
    let op = u.operation()?.as_str().to_owned();
    assert!(u.timestamp().is_some());
    Some((op, u.kms_request_id().unwrap().to_owned(), u.cloud_trail_event_id().unwrap().to_owned()))
}

/// Asserts that `key`'s last use is `op`, by the request `request_id`, whose audit record has the event id.
async fn assert_last(server: &TestServer, c: &Client, key: &str, op: &str, request_id: &str) {
    let (got_op, got_request, got_event) = last_use(c, key).await.expect("a last use");
    assert_eq!((got_op.as_str(), got_request.as_str()), (op, request_id), "last use of {key}");
    assert_eq!(audit_record(server, request_id)["eventID"], got_event.as_str(), "eventID of {op}");
}

#[tokio::test]
async fn crypto_operations_feed_it_and_it_survives_a_restart() {
    let server = TestServer::start_with_args(Some(CONFIG), &["--audit-log", "{dir}/audit.log"]);
    let alice = server.kms_client_as("AKIAALICE00000000000", "alice-secret", "us-east-1", 1).await;
    let bob = server.kms_client_as("AKIABOB0000000000000", "bob-secret", "us-east-1", 1).await;

    let md = alice.create_key().send().await.unwrap().key_metadata.unwrap();
    let (a, a_arn) = (md.key_id().to_owned(), md.arn().unwrap().to_owned());
    let b = alice.create_key().send().await.unwrap().key_metadata.unwrap().key_id().to_owned();

    // Before any use: an empty KeyLastUsage, tracking from the key's creation.
    let out = alice.get_key_last_usage().key_id(&a_arn).send().await.unwrap();
    assert_eq!(out.key_id(), Some(a.as_str()));
    assert_eq!(out.key_last_usage().unwrap().operation(), None);
    assert_eq!(out.key_creation_date(), md.creation_date());
    assert_eq!(out.tracking_start_date(), md.creation_date());
    // Aliases are not accepted; other accounts' keys are not found.
    alice.create_alias().alias_name("alias/a").target_key_id(&a).send().await.unwrap();
    err_of(alice.get_key_last_usage().key_id("alias/a").send().await, "NotFoundException");
    err_of(bob.get_key_last_usage().key_id(&a_arn).send().await, "NotFoundException");

    let enc = alice.encrypt().key_id(&a).plaintext(Blob::new("x")).send().await.unwrap();
    assert_last(&server, &alice, &a, "Encrypt", enc.request_id().unwrap()).await;
    // Management and reads are not cryptographic uses.
    alice.describe_key().key_id(&a).send().await.unwrap();
    alice.tag_resource().key_id(&a).tags(common::api::tag("k", "v")).send().await.unwrap();
    assert_last(&server, &alice, &a, "Encrypt", enc.request_id().unwrap()).await;

    let ct = enc.ciphertext_blob().unwrap().clone();
    let dec = alice.decrypt().ciphertext_blob(ct.clone()).send().await.unwrap();
    assert_last(&server, &alice, &a, "Decrypt", dec.request_id().unwrap()).await;
    // A failed Decrypt (wrong context) is not a use.
    err_of(
        alice.decrypt().ciphertext_blob(ct.clone()).encryption_context("x", "y").send().await,
        "InvalidCiphertextException",
    );
    assert_last(&server, &alice, &a, "Decrypt", dec.request_id().unwrap()).await;

    let re = alice.re_encrypt().ciphertext_blob(ct).destination_key_id(&b).send().await.unwrap();
    assert_last(&server, &alice, &a, "ReEncrypt", re.request_id().unwrap()).await;
    assert_last(&server, &alice, &b, "ReEncrypt", re.request_id().unwrap()).await;
    let dk = alice.generate_data_key_without_plaintext().key_id(&b).number_of_bytes(16).send().await.unwrap();
    assert_last(&server, &alice, &b, "GenerateDataKeyWithoutPlaintext", dk.request_id().unwrap()).await;

    let ecc = common::asymmetric::create(&alice, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    let sig = alice
        .sign()
        .key_id(&ecc)
        .message(Blob::new("m"))
        .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
        .send()
        .await
        .unwrap();
    assert_last(&server, &alice, &ecc, "Sign", sig.request_id().unwrap()).await;
    let ver = alice
        .verify()
        .key_id(&ecc)
        .message(Blob::new("m"))
        .signature(sig.signature().unwrap().clone())
        .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
        .send()
        .await
        .unwrap();
    assert_last(&server, &alice, &ecc, "Verify", ver.request_id().unwrap()).await;

    let hmac = common::asymmetric::create(&alice, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await;
    let mac = alice
        .generate_mac()
        .key_id(&hmac)
        .message(Blob::new("m"))
        .mac_algorithm(MacAlgorithmSpec::HmacSha256)
        .send()
        .await
        .unwrap();
    assert_last(&server, &alice, &hmac, "GenerateMac", mac.request_id().unwrap()).await;
    // A MAC that does not verify is not a use.
    err_of(
        alice
            .verify_mac()
            .key_id(&hmac)
            .message(Blob::new("other"))
            .mac(mac.mac().unwrap().clone())
            .mac_algorithm(MacAlgorithmSpec::HmacSha256)
            .send()
            .await,
        "KMSInvalidMacException",
    );
    assert_last(&server, &alice, &hmac, "GenerateMac", mac.request_id().unwrap()).await;

    // SIGTERM writes what is in memory; a new process answers the same.
    let before = last_use(&alice, &a).await;
    let tracking = alice.get_key_last_usage().key_id(&a).send().await.unwrap().tracking_start_date().cloned();
    let server = server.terminate_and_restart();
    let alice = server.kms_client_as("AKIAALICE00000000000", "alice-secret", "us-east-1", 1).await;
    assert_eq!(last_use(&alice, &a).await, before);
    assert_last(&server, &alice, &hmac, "GenerateMac", mac.request_id().unwrap()).await;
    assert_last(&server, &alice, &ecc, "Verify", ver.request_id().unwrap()).await;
    let out = alice.get_key_last_usage().key_id(&a).send().await.unwrap();
    assert_eq!(out.tracking_start_date().cloned(), tracking, "tracking began once, on the first start");
}

#[test]
fn boto3_reads_the_last_usage_shapes() {
    let server = TestServer::start_unthrottled();
    let script = r#"
import boto3
kms = boto3.client("kms")
key = kms.create_key()["KeyMetadata"]
out = kms.get_key_last_usage(KeyId=key["KeyId"])
assert out["KeyId"] == key["KeyId"] and out["KeyLastUsage"] == {}, out
assert out["KeyCreationDate"] == key["CreationDate"] == out["TrackingStartDate"], out
enc = kms.encrypt(KeyId=key["Arn"], Plaintext=b"x")
out = kms.get_key_last_usage(KeyId=key["Arn"])["KeyLastUsage"]
assert out["Operation"] == "Encrypt", out
assert out["KmsRequestId"] == enc["ResponseMetadata"]["RequestId"], (out, enc["ResponseMetadata"])
assert len(out["CloudTrailEventId"]) == 36 and out["CloudTrailEventId"] != out["KmsRequestId"], out
assert abs(out["Timestamp"].timestamp() - key["CreationDate"].timestamp()) < 60, out
print("boto3 last usage ok")
"#;
    common::run_boto3(&server, script, "boto3 last usage ok");
}
