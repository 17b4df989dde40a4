//! `sts:GetCallerIdentity` on Trent's endpoint, and the `export` lines of
//! `trent serve`: with only those lines in the environment (no
//! `AWS_ENDPOINT_URL`, no config files), every command of the README's
//! "Using it" block works as printed, Service Quotas and STS included.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{TestServer, run_boto3, serve_endpoint, venv, venv_bin, workspace_root};

/// The `export K=V [K=V ...]` lines `trent serve` printed, as variables.
fn exports(lines: &mut common::ServeLines) -> BTreeMap<String, String> {
    let mut vars = BTreeMap::new();
    for line in lines.by_ref() {
        let line = line.expect("read stdout");
        if let Some(rest) = line.strip_prefix("export ") {
            for pair in rest.split_whitespace() {
                let (k, v) = pair.split_once('=').expect("K=V");
                vars.insert(k.to_owned(), v.to_owned());
            }
            if rest.starts_with("AWS_REGION=") {
                break;
            }
        }
    }
    vars
}

/// The README's shell block that follows "After the `export` lines".
fn readme_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).expect("README.md");
    let after = readme.split("After the `export` lines").nth(1).expect("the README's 'Using it' section");
    let block = after.split("```sh\n").nth(1).and_then(|b| b.split("```").next()).expect("a sh block");
    block.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

/// Runs one README command with nothing but `vars` (and PATH with the
/// venv's `aws`) in the environment, in `dir`; its JSON output.
fn run_printed(command: &str, vars: &BTreeMap<String, String>, dir: &Path) -> serde_json::Value {
    let path = format!("{}:{}", venv().join("bin").display(), std::env::var("PATH").unwrap_or_default());
    let out = Command::new("bash")
        .args(["-c", command])
        .current_dir(dir)
        .env_clear()
        .env("PATH", path)
        .env("HOME", dir)
        .envs(vars)
        .stdin(Stdio::null())
        .output()
        .expect("bash");
    assert!(
        out.status.success(),
        "README command failed with only the printed exports set: {command}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

#[test]
fn the_readme_commands_work_with_only_the_printed_exports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_trent"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn trent serve");
    let (endpoint, mut lines) = serve_endpoint(&mut child);
    let vars = exports(&mut lines);
    common::drain(lines);
    for service in ["KMS", "SERVICE_QUOTAS", "STS"] {
        assert_eq!(vars.get(&format!("AWS_ENDPOINT_URL_{service}")), Some(&endpoint), "{vars:?}");
    }
    assert!(!vars.contains_key("AWS_ENDPOINT_URL"), "other services must still reach AWS: {vars:?}");

    std::fs::write(dir.path().join("secret.txt"), b"a README secret").expect("write secret.txt");
    let mut key_id = String::new();
    let commands = readme_commands();
    assert!(commands.iter().any(|c| c.starts_with("aws sts get-caller-identity")), "{commands:?}");
    assert!(commands.iter().any(|c| c.starts_with("aws service-quotas ")), "{commands:?}");
    for command in &commands {
        let out = run_printed(&command.replace("<KeyId>", &key_id), &vars, dir.path());
        if command.starts_with("aws kms create-key") {
            key_id = out["KeyMetadata"]["KeyId"].as_str().expect("KeyId").to_owned();
        }
        if command.starts_with("aws sts get-caller-identity") {
            assert_eq!(out["Account"], common::DEV_ACCOUNT_ID, "{out}");
        }
        if command.starts_with("aws service-quotas get-service-quota") {
            assert_eq!(out["Quota"]["ServiceCode"], "kms", "{out}");
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn boto3_learns_the_principal_of_its_access_key() {
    let config = r#"
[[principals]]
access_key_id = "AKIAALICE00000000000"
secret_access_key = "alice-secret"
account_id = "444455556666"
arn = "arn:aws:iam::444455556666:user/alice"

[[principals]]
access_key_id = "AKIAROOT000000000000"
secret_access_key = "root-secret"
account_id = "777788889999"
arn = "arn:aws:iam::777788889999:root"
"#;
    let server = TestServer::start_with_config(Some(config));
    let script = r#"
import boto3, botocore
cfg = botocore.config.Config(retries={"max_attempts": 0, "mode": "standard"})
def sts(key, secret):
    return boto3.client("sts", aws_access_key_id=key, aws_secret_access_key=secret, config=cfg)
def code(f):
    try:
        f()
        return None
    except botocore.exceptions.ClientError as e:
        return (e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"])

alice = sts("AKIAALICE00000000000", "alice-secret").get_caller_identity()
assert alice["Account"] == "444455556666", alice
assert alice["Arn"] == "arn:aws:iam::444455556666:user/alice", alice
uid = alice["UserId"]
assert uid.startswith("AIDA") and len(uid) == 21 and uid[4:].isalnum() and uid.isupper(), uid
assert sts("AKIAALICE00000000000", "alice-secret").get_caller_identity()["UserId"] == uid, "stable"

root = sts("AKIAROOT000000000000", "root-secret").get_caller_identity()
assert root["Arn"] == "arn:aws:iam::777788889999:root" and root["UserId"] == "777788889999", root

assert code(lambda: sts("AKIAALICE00000000000", "wrong").get_caller_identity()) == ("SignatureDoesNotMatch", 403)
assert code(lambda: sts("AKIANOBODY0000000000", "x").get_caller_identity()) == ("InvalidClientTokenId", 403)
# Only GetCallerIdentity is served: other STS actions get the Query protocol's InvalidAction.
assert code(lambda: sts("AKIAALICE00000000000", "alice-secret").get_session_token()) == ("InvalidAction", 400)
print("sts ok")
"#;
    run_boto3(&server, script, "sts ok");
}

#[test]
fn a_get_query_request_is_answered_in_xml() {
    // The AWS CLI and SDKs POST a form; a GET with the query string is the
    // other form the Query protocol allows. The SigV4 signature covers the query.
    let server = TestServer::start();
    let out = Command::new(venv_bin("python"))
        .args([
            "-c",
            r#"
import os, urllib.request
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
url = os.environ["AWS_ENDPOINT_URL_KMS"] + "/?Action=GetCallerIdentity&Version=2011-06-15"
req = AWSRequest(method="GET", url=url)
SigV4Auth(Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]), "sts", "us-east-1").add_auth(req)
answer = urllib.request.urlopen(urllib.request.Request(url, headers=dict(req.headers.items())))
print(answer.headers["Content-Type"])
print(answer.read().decode())
"#,
        ])
        .envs(server.envs())
        .output()
        .expect("python");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("text/xml"), "{text}");
    assert!(text.contains("<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"), "{text}");
    assert!(text.contains(&format!("<Account>{}</Account>", common::DEV_ACCOUNT_ID)), "{text}");
    assert!(text.contains("<RequestId>"), "{text}");
}
