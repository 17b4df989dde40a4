//! End to end with the real AWS CLI and boto3 (from the venv made by
//! `scripts/setup-python.sh`) against the real server.

mod common;

use std::process::Command;

use common::{TestServer, venv_bin};

fn aws(server: &TestServer, args: &[&str]) -> serde_json::Value {
    let out = Command::new(venv_bin("aws"))
        .args(args)
        .args(["--output", "json"])
        .envs(server.envs())
        .output()
        .expect("run aws");
    assert!(out.status.success(), "aws {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    if out.stdout.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&out.stdout).expect("aws printed JSON")
    }
}

#[test]
fn aws_cli_creates_key_and_alias_and_round_trips_through_the_alias() {
    let server = TestServer::start();
    let created = aws(&server, &["kms", "create-key", "--description", "cli test"]);
    let arn = created["KeyMetadata"]["Arn"].as_str().expect("Arn").to_owned();
    let key_id = created["KeyMetadata"]["KeyId"].as_str().expect("KeyId").to_owned();
    assert_eq!(arn, format!("arn:aws:kms:us-east-1:111122223333:key/{key_id}"));
    assert_eq!(created["KeyMetadata"]["KeyState"], "Enabled");

    aws(&server, &["kms", "create-alias", "--alias-name", "alias/cli-test", "--target-key-id", &key_id]);
    let aliases = aws(&server, &["kms", "list-aliases", "--key-id", &key_id]);
    assert_eq!(aliases["Aliases"][0]["AliasName"], "alias/cli-test");

    let dir = tempfile::tempdir().expect("tempdir");
    let plain = dir.path().join("plain.bin");
    std::fs::write(&plain, b"secret from the AWS CLI \x00\xff").expect("write");
    let enc = aws(
        &server,
        &[
            "kms",
            "encrypt",
            "--key-id",
            "alias/cli-test",
            "--plaintext",
            &format!("fileb://{}", plain.display()),
            "--encryption-context",
            "purpose=e2e",
        ],
    );
    assert_eq!(enc["KeyId"], arn.as_str());
    use base64::Engine;
    let blob =
        base64::engine::general_purpose::STANDARD.decode(enc["CiphertextBlob"].as_str().expect("blob")).expect("b64");
    let ct = dir.path().join("ct.bin");
    std::fs::write(&ct, &blob).expect("write");
    let dec = aws(
        &server,
        &[
            "kms",
            "decrypt",
            "--ciphertext-blob",
            &format!("fileb://{}", ct.display()),
            "--encryption-context",
            "purpose=e2e",
        ],
    );
    let pt = base64::engine::general_purpose::STANDARD.decode(dec["Plaintext"].as_str().expect("pt")).expect("b64");
    assert_eq!(pt, b"secret from the AWS CLI \x00\xff");
    assert_eq!(dec["KeyId"], arn.as_str());

    // A wrong context is refused with the AWS error code the CLI shows.
    let out = Command::new(venv_bin("aws"))
        .args([
            "kms",
            "decrypt",
            "--ciphertext-blob",
            &format!("fileb://{}", ct.display()),
            "--encryption-context",
            "purpose=other",
        ])
        .envs(server.envs())
        .output()
        .expect("run aws");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("InvalidCiphertextException"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn boto3_uses_trent_through_aws_endpoint_url_kms() {
    let server = TestServer::start();
    let script = r#"
import boto3, botocore
kms = boto3.client("kms")
key = kms.create_key(Description="boto3", Tags=[{"TagKey": "team", "TagValue": "sre"}])["KeyMetadata"]
assert key["KeyState"] == "Enabled", key
dk = kms.generate_data_key(KeyId=key["Arn"], KeySpec="AES_256", EncryptionContext={"app": "x"})
assert len(dk["Plaintext"]) == 32
back = kms.decrypt(CiphertextBlob=dk["CiphertextBlob"], EncryptionContext={"app": "x"})
assert back["Plaintext"] == dk["Plaintext"] and back["KeyId"] == key["Arn"]
try:
    kms.decrypt(CiphertextBlob=dk["CiphertextBlob"])
    raise SystemExit("decrypt without the context succeeded")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "InvalidCiphertextException", e.response
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
kms.disable_key(KeyId=key["KeyId"])
try:
    kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    raise SystemExit("encrypt with a disabled key succeeded")
except kms.exceptions.DisabledException as e:
    assert e.response["Error"]["Message"] == key["Arn"] + " is disabled.", e.response
tags = kms.list_resource_tags(KeyId=key["KeyId"])["Tags"]
assert tags == [{"TagKey": "team", "TagValue": "sre"}], tags
print("boto3 ok")
"#;
    common::run_boto3(&server, script, "boto3 ok");
}

#[test]
fn boto3_grants_and_access_denied_across_two_accounts() {
    let server = TestServer::start_with_config(Some(
        r#"
[quotas]
enabled = false

[[principals]]
access_key_id = "AKIAOWNER00000000000"
secret_access_key = "owner-secret"
account_id = "111122223333"
arn = "arn:aws:iam::111122223333:user/owner"

[[principals]]
access_key_id = "AKIAPARTNER000000000"
secret_access_key = "partner-secret"
account_id = "444455556666"
arn = "arn:aws:iam::444455556666:role/partner"
"#,
    ));
    let script = r#"
import boto3, botocore, json
owner = boto3.client("kms", aws_access_key_id="AKIAOWNER00000000000", aws_secret_access_key="owner-secret")
partner = boto3.client("kms", aws_access_key_id="AKIAPARTNER000000000", aws_secret_access_key="partner-secret")
key = owner.create_key()["KeyMetadata"]
ct = owner.encrypt(KeyId=key["KeyId"], Plaintext=b"hello", EncryptionContext={"app": "a"})["CiphertextBlob"]
def code(call):
    try:
        call()
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"]["Message"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    raise SystemExit("call succeeded")
c, msg, status = code(lambda: partner.decrypt(CiphertextBlob=ct, EncryptionContext={"app": "a"}))
assert (c, status) == ("AccessDeniedException", 400), (c, status)
assert msg == ("User: arn:aws:iam::444455556666:role/partner is not authorized to perform: kms:Decrypt on resource: "
               + key["Arn"] + " because no resource-based policy allows the kms:Decrypt action"), msg
g = owner.create_grant(KeyId=key["KeyId"], GranteePrincipal="arn:aws:iam::444455556666:role/partner",
                       RetiringPrincipal="arn:aws:iam::444455556666:role/partner", Operations=["Decrypt"],
                       Constraints={"EncryptionContextEquals": {"app": "a"}})
out = partner.decrypt(CiphertextBlob=ct, EncryptionContext={"app": "a"}, GrantTokens=[g["GrantToken"]])
assert out["Plaintext"] == b"hello" and out["KeyId"] == key["Arn"], out
pages = list(owner.get_paginator("list_grants").paginate(KeyId=key["KeyId"]))
grants = [x for p in pages for x in p["Grants"]]
assert [x["GrantId"] for x in grants] == [g["GrantId"]], grants
assert grants[0]["Constraints"] == {"EncryptionContextEquals": {"app": "a"}}, grants
assert grants[0]["IssuingAccount"] == "arn:aws:iam::111122223333:root", grants
retirable = partner.list_retirable_grants(RetiringPrincipal="arn:aws:iam::444455556666:role/partner")["Grants"]
assert [x["GrantId"] for x in retirable] == [g["GrantId"]], retirable
partner.retire_grant(GrantToken=g["GrantToken"])
assert code(lambda: partner.decrypt(CiphertextBlob=ct, EncryptionContext={"app": "a"}))[0] == "AccessDeniedException"
lockout = json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                                     "Action": "kms:*", "Resource": "*"}]})
c, msg, _ = code(lambda: owner.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=lockout))
assert (c, msg) == ("MalformedPolicyDocumentException",
                    "The new key policy will not allow you to update the key policy in the future."), (c, msg)
print("boto3 authz ok")
"#;
    common::run_boto3(&server, script, "boto3 authz ok");
}
