//! `trent serve --allow-reset`: `POST /_trent/reset` empties a running server
//! for a user's next test run (keys, aliases, grants, quota increase
//! requests, quota buckets), durably; without the flag the route is 404.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use common::{TestServer, run_boto3};

/// CreateKey (`L-32B67F4A`) at one request in any 20 s: a second CreateKey
/// within the test is throttled unless a reset emptied the bucket.
const CONFIG: &str = r#"
[service_quotas]
approval = "manual"

[[quotas.overrides]]
account_id = "*"
region = "*"
quota_code = "L-32B67F4A"
value = 0.05
"#;

const BEFORE_AND_RESET: &str = r#"
import boto3, botocore, json, os, subprocess
cfg = botocore.config.Config(retries={"max_attempts": 0, "mode": "standard"})
kms = boto3.client("kms", config=cfg)
sq = boto3.client("service-quotas", config=cfg)
def code(f):
    try:
        f()
        return None
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
key = kms.create_key()["KeyMetadata"]["KeyId"]
assert code(lambda: kms.create_key()) == "ThrottlingException"
kms.create_alias(AliasName="alias/left-over", TargetKeyId=key)
kms.create_grant(KeyId=key, GranteePrincipal="arn:aws:iam::111122223333:user/ci", Operations=["Encrypt"])
sq.request_service_quota_increase(ServiceCode="kms", QuotaCode="T-ListKeys", DesiredValue=100000)
assert len(sq.list_requested_service_quota_change_history(ServiceCode="kms")["RequestedQuotas"]) == 1

# The README's command.
answer = subprocess.run(["curl", "-sS", "-X", "POST", os.environ["AWS_ENDPOINT_URL_KMS"] + "/_trent/reset"],
                        check=True, capture_output=True)
assert json.loads(answer.stdout) == {"Reset": True}, answer

assert kms.list_keys()["Keys"] == [], kms.list_keys()
assert [a for a in kms.list_aliases()["Aliases"] if not a["AliasName"].startswith("alias/aws/")] == []
assert code(lambda: kms.describe_key(KeyId=key)) == "NotFoundException"
assert code(lambda: kms.list_grants(KeyId=key)) == "NotFoundException"
assert sq.list_requested_service_quota_change_history(ServiceCode="kms")["RequestedQuotas"] == []
# The CreateKey bucket is empty again: admitted although the last admission was moments ago.
fresh = kms.create_key()["KeyMetadata"]["KeyId"]
kms.create_alias(AliasName="alias/left-over", TargetKeyId=fresh)
print("FRESH=" + fresh)
print("reset ok")
"#;

#[test]
fn reset_empties_keys_aliases_grants_requests_and_buckets_durably() {
    let server = TestServer::start_with_args(Some(CONFIG), &["--allow-reset"]);
    run_boto3(&server, BEFORE_AND_RESET, "reset ok");

    // What the reset deleted stays deleted after kill -9; what came after it stays.
    let server = server.kill9_and_restart();
    run_boto3(
        &server,
        r#"
import boto3
kms = boto3.client("kms")
keys = [k["KeyId"] for k in kms.list_keys()["Keys"]]
assert len(keys) == 1, keys
aliases = [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == "alias/left-over"]
assert [a["TargetKeyId"] for a in aliases] == keys, aliases
print("durable ok")
"#,
        "durable ok",
    );
}

/// A raw `POST /_trent/reset`: status line and body.
fn post_reset(server: &TestServer) -> (String, String) {
    let addr = server.endpoint.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(s, "POST /_trent/reset HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        .expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    let status = out.lines().next().unwrap_or_default().to_owned();
    let body = out.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned();
    (status, body)
}

#[tokio::test]
async fn without_the_flag_reset_is_not_found_and_deletes_nothing() {
    let server = TestServer::start_unthrottled();
    let kms = server.kms_client().await;
    let key = kms.create_key().send().await.expect("create").key_metadata.expect("metadata").key_id;
    let (status, body) = post_reset(&server);
    assert!(status.starts_with("HTTP/1.1 404"), "{status}");
    let body: serde_json::Value = serde_json::from_str(&body).expect("JSON error");
    assert_eq!(body["Code"], "NotFound");
    assert!(body["Message"].as_str().unwrap_or_default().contains("--allow-reset"), "{body}");
    kms.describe_key().key_id(&key).send().await.expect("the key is still there");
}
