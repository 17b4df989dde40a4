//! HTTPS: `trent serve --tls self-signed` and `--tls-cert/--tls-key`, used by
//! the AWS CLI and boto3 (AWS_CA_BUNDLE), aws-sdk-kms (a trust store with
//! the CA) and `trent encrypt`/`decrypt`, each verifying the certificate; a
//! client that does not trust it refuses the connection, as it should.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::{DEV_ACCESS_KEY_ID, DEV_SECRET_ACCESS_KEY, REGION, venv_bin};

/// A `trent serve` over HTTPS; its endpoint and the CA file it printed.
struct HttpsServer {
    endpoint: String,
    ca: PathBuf,
    child: Child,
}

impl Drop for HttpsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(data: &Path, tls: &[&str], ca: Option<&Path>) -> HttpsServer {
    let child = Command::new(env!("CARGO_BIN_EXE_trent"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .args(tls)
        .env_remove("TRENT_ROOT_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn");
    // Killed on any panic below.
    let mut server = HttpsServer { endpoint: String::new(), ca: PathBuf::new(), child };
    let (endpoint, mut lines) = common::serve_endpoint(&mut server.child);
    let mut printed_ca = None;
    for line in lines.by_ref() {
        let line = line.expect("line");
        if let Some(p) = line.strip_prefix("export AWS_CA_BUNDLE=") {
            printed_ca = Some(PathBuf::from(p));
        }
        if line.starts_with("export AWS_REGION") {
            break;
        }
    }
    common::drain(lines);
    assert!(endpoint.starts_with("https://"), "{endpoint}");
    let ca = match (printed_ca, ca) {
        (Some(p), _) => {
            assert!(p.is_absolute(), "AWS_CA_BUNDLE must work from any directory: {}", p.display());
            p
        }
        (None, Some(c)) => c.to_owned(),
        (None, None) => panic!("no AWS_CA_BUNDLE printed"),
    };
    server.endpoint = endpoint;
    server.ca = ca;
    server
}

fn aws_env(cmd: &mut Command, endpoint: &str) {
    cmd.env("AWS_ENDPOINT_URL_KMS", endpoint)
        .env("AWS_ACCESS_KEY_ID", DEV_ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", DEV_SECRET_ACCESS_KEY)
        .env("AWS_REGION", REGION)
        .env("AWS_DEFAULT_REGION", REGION)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_CA_BUNDLE")
        .env_remove("REQUESTS_CA_BUNDLE");
}

/// `aws kms ARGS` against `endpoint`, trusting `ca` if given.
fn aws(endpoint: &str, ca: Option<&Path>, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(venv_bin("aws"));
    cmd.arg("kms").args(args).args(["--output", "json"]);
    aws_env(&mut cmd, endpoint);
    if let Some(ca) = ca {
        cmd.env("AWS_CA_BUNDLE", ca);
    }
    cmd.output().expect("aws")
}

async fn sdk_client(endpoint: &str, ca: Option<&Path>) -> aws_sdk_kms::Client {
    use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
    let trust = match ca {
        Some(ca) => TrustStore::empty().with_pem_certificate(std::fs::read(ca).expect("ca")),
        None => TrustStore::default(),
    };
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(TlsContext::builder().with_trust_store(trust).build().expect("tls context"))
        .build_https();
    let creds = aws_credential_types::Credentials::new(DEV_ACCESS_KEY_ID, DEV_SECRET_ACCESS_KEY, None, None, "tls");
    let conf = aws_sdk_kms::Config::builder()
        .behavior_version(aws_sdk_kms::config::BehaviorVersion::latest())
        .region(aws_sdk_kms::config::Region::new(REGION))
        .credentials_provider(creds)
        .endpoint_url(endpoint)
        .http_client(http)
        .retry_config(aws_sdk_kms::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_kms::Client::from_conf(conf)
}

#[tokio::test]
async fn a_self_signed_server_is_reached_by_every_client_that_trusts_its_ca_and_refused_by_others() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let server = start(&data, &["--tls", "self-signed"], None);

    // AWS CLI.
    let out = aws(&server.endpoint, Some(&server.ca), &["create-key", "--description", "over tls"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let key: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let key_id = key["KeyMetadata"]["KeyId"].as_str().expect("id").to_owned();
    let refused = aws(&server.endpoint, None, &["list-keys"]);
    assert!(!refused.status.success(), "the AWS CLI trusted an unknown certificate");
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("CERTIFICATE_VERIFY_FAILED") || err.contains("SSL"), "{err}");

    // boto3.
    let mut py = Command::new(venv_bin("python"));
    py.args([
        "-c",
        "import boto3,sys; print(boto3.client('kms').describe_key(KeyId=sys.argv[1])['KeyMetadata']['Description'])",
        &key_id,
    ]);
    aws_env(&mut py, &server.endpoint);
    let out = py.env("AWS_CA_BUNDLE", &server.ca).output().expect("python");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "over tls", "{}", String::from_utf8_lossy(&out.stderr));

    // aws-sdk-kms, with and without the CA.
    let trusted = sdk_client(&server.endpoint, Some(&server.ca)).await;
    let md = trusted.describe_key().key_id(&key_id).send().await.expect("describe over https");
    assert_eq!(md.key_metadata().and_then(|m| m.description()), Some("over tls"));
    let untrusted = sdk_client(&server.endpoint, None).await;
    let err = untrusted.list_keys().send().await.expect_err("an untrusted certificate must be refused");
    assert!(format!("{:?}", err).to_lowercase().contains("certificate"), "{err:?}");

    // trent encrypt / decrypt (aws-sdk-kms inside, AWS_CA_BUNDLE as the AWS CLI reads it).
    let trent = |args: &[&str], input: &[u8]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_trent"));
        cmd.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        aws_env(&mut cmd, &server.endpoint);
        cmd.env("AWS_CA_BUNDLE", &server.ca);
        let mut child = cmd.spawn().expect("trent");
        child.stdin.take().expect("stdin").write_all(input).expect("write");
        child.wait_with_output().expect("output")
    };
    let key_arn = format!("key=arn:aws:kms:{REGION}:{}:key/{key_id}", common::DEV_ACCOUNT_ID);
    let enc = trent(&["encrypt", "-i", "-", "-o", "-", "-w", &key_arn], b"secret over tls");
    assert!(enc.status.success(), "{}", String::from_utf8_lossy(&enc.stderr));
    let dec = trent(&["decrypt", "-i", "-", "-o", "-", "-w", &key_arn, "--buffer"], &enc.stdout);
    assert!(dec.status.success(), "{}", String::from_utf8_lossy(&dec.stderr));
    assert_eq!(dec.stdout, b"secret over tls");

    // The same certificate files given as --tls-cert/--tls-key, on another server.
    drop(server);
    let tls = data.join("tls");
    let other = tmp.path().join("other");
    let (cert, keyf) = (tls.join("cert.pem"), tls.join("key.pem"));
    let audit = tmp.path().join("audit.log");
    let mut files = start(
        &other,
        &[
            "--tls-cert",
            cert.to_str().expect("utf-8"),
            "--tls-key",
            keyf.to_str().expect("utf-8"),
            "--audit-log",
            audit.to_str().expect("utf-8"),
        ],
        Some(&tls.join("ca.pem")),
    );
    let out = aws(&files.endpoint, Some(&files.ca), &["list-keys"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // The audit record names the connection as CloudTrail's tlsDetails do.
    let pid = files.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
    assert_eq!(files.child.wait().expect("reap").code(), Some(143));
    let text = std::fs::read_to_string(&audit).expect("audit log");
    let record: serde_json::Value = serde_json::from_str(text.lines().next().expect("a record")).expect("json");
    assert_eq!(record["eventName"], "ListKeys", "{record}");
    let host = files.endpoint.trim_start_matches("https://").trim_end_matches('/');
    let details = &record["tlsDetails"];
    assert_eq!(details["tlsVersion"], "TLSv1.3", "{record}");
    let suites = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"];
    assert!(suites.contains(&details["cipherSuite"].as_str().unwrap_or("")), "{record}");
    assert_eq!(details["clientProvidedHostHeader"], host, "{record}");
}

#[test]
fn bad_tls_settings_stop_the_start_with_a_message() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let junk = tmp.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate").expect("write");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_trent"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(tmp.path().join("data"))
            .args(args)
            .env_remove("TRENT_ROOT_KEY")
            .output()
            .expect("serve")
    };
    let j = junk.to_str().expect("utf-8");
    let out = run(&["--tls-cert", j, "--tls-key", j]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("[tls]") && err.contains("junk.pem"), "{err}");
    let out = run(&["--tls-cert", j]);
    assert_eq!(out.status.code(), Some(2), "clap refuses a certificate without a key");
}
